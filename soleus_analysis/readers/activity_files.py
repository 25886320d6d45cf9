"""Activity files (FIT, GPX, TCX): tell which one a file is, and read its record stream.

Shared by :func:`soleus_analysis.read_stream` and the Strava reader (which reads the activity
files its ``activities.csv`` names), so that neither imports the other.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import pandas as pd

from soleus_analysis.errors import InputError
from soleus_analysis.readers import fit, gpx, tcx
from soleus_analysis.readers.common import make_context, read_bytes

__all__ = ["STREAM_SOURCES", "activity_source", "read_activity_stream", "xml_root"]

#: Sources that have a record stream, in the order they are recognised.
STREAM_SOURCES = ("fit", "gpx", "tcx")
_XML_ROOT = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)[\s>/]")


def xml_root(head: bytes) -> str | None:
    """The local name of the root element of an XML document's first bytes, or None.

    Examples
    --------
    >>> xml_root(b'<?xml version="1.0"?><!-- c --><gpx version="1.1">')
    'gpx'
    >>> xml_root(b"Date,Workout Name") is None
    True
    """
    body = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if not body.startswith(b"<"):
        return None
    # Skip the XML declaration, comments and processing instructions.
    for m in _XML_ROOT.finditer(body):
        start = body.rfind(b"<", 0, m.end())
        if body[start + 1 : start + 2] in (b"?", b"!"):
            continue
        return m.group(1).decode("ascii", "replace")
    return None


def activity_source(head: bytes) -> str | None:
    """``fit``, ``gpx`` or ``tcx`` from a file's first bytes (gunzipped), None for anything else.

    Examples
    --------
    >>> activity_source(b"<TrainingCenterDatabase xmlns='x'>"), activity_source(b"a,b")
    ('tcx', None)
    """
    if fit.is_fit(head):
        return "fit"
    root = xml_root(head)
    if root == "gpx":
        return "gpx"
    if root == "TrainingCenterDatabase":
        return "tcx"
    return None


def read_activity_stream(
    path: str | PathLike[str], *, source: str = "auto", tz: str = "UTC"
) -> pd.DataFrame:
    """The record stream of a FIT, GPX or TCX activity file (columns: see ``read_stream``).

    Raises
    ------
    InputError
        A missing, empty or damaged file, or a file that is not a FIT, GPX or TCX activity.
    """
    p = Path(path)
    ctx = make_context(p, athlete_id="-", tz=tz)
    if source == "auto":
        found = activity_source(read_bytes(p)[:65536])
        if found is None:
            raise InputError(
                "not a FIT, GPX or TCX activity file",
                path=p,
                fix="read_stream takes FIT, GPX and TCX activity files",
            )
        source = found
    readers = {"fit": fit.read_fit_stream, "gpx": gpx.read_gpx_stream, "tcx": tcx.read_tcx_stream}
    if source not in readers:
        raise InputError(
            f"a {source} file has no record stream",
            path=p,
            fix="read_stream takes FIT, GPX and TCX activity files",
        )
    out = readers[source](ctx)
    out.attrs = {"source": source, "notes": list(ctx.notes)}
    return out
