"""Tell which app or format exported a file, from its first bytes and its header.

Detection never looks at the file name's extension alone: a ``.csv`` is recognised by its header,
a FIT file by its ``.FIT`` signature, XML by its root element, JSON by its items. When nothing
fits, :class:`~soleus_analysis.UnknownSourceError` lists each source tried and why it did not fit.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from soleus_analysis.errors import InputError, UnknownSourceError
from soleus_analysis.readers import garmin_csv, hevy, pmsys, strava, strong
from soleus_analysis.readers.activity_files import xml_root
from soleus_analysis.readers.common import read_bytes
from soleus_analysis.readers.fit import is_fit
from soleus_analysis.readers.generic import canonical_source
from soleus_analysis.readers.layout import shown_header
from soleus_analysis.textfile import TextTable, looks_binary, read_text_table

__all__ = ["SOURCES", "Detected", "detect_source"]

#: Every source ``sol.read`` knows, in the order detection tries them.
SOURCES = (
    "fit",
    "gpx",
    "tcx",
    "fitbit",
    "strong",
    "hevy",
    "strava",
    "garmin_csv",
    "pmsys",
    "canonical",
    "csv",
)


@dataclass(frozen=True)
class Detected:
    """The detected source, the file read as text when it is a CSV, and the canonical table."""

    source: str
    text: TextTable | None = None
    table: str | None = None


def detect_source(
    path: Path,
    *,
    encoding: str | None = None,
    table: str | None = None,
    columns: dict | None = None,
) -> Detected:
    """Detect the source of a file.

    Parameters
    ----------
    path : Path
    encoding : str, optional
        Encoding of a text export (see :func:`soleus_analysis.textfile.read_text_table`).
    table : str, optional
        The canonical table expected; used to recognise canonical CSVs.
    columns : dict, optional
        A column mapping: a CSV with a mapping is read as a generic CSV.

    Raises
    ------
    UnknownSourceError
        Listing every source tried and why it did not fit.
    InputError
        Missing, empty or undecodable file.
    """
    if not path.exists():
        raise InputError("file not found", path=path, fix="check the path and the file name")
    if path.is_dir():
        raise InputError(
            "is a folder, not a file", path=path, fix="name a file, or use sol.read_folder"
        )
    raw = read_bytes(path)
    if not raw.strip():
        raise InputError(
            "the file is empty", path=path, fix="export the data again; the export may have failed"
        )
    head = raw[:65536]
    tried: list[tuple[str, str]] = []
    if is_fit(head):
        return Detected("fit")
    tried.append(("fit", "no '.FIT' signature in the first 12 bytes"))
    root = xml_root(head)
    if root == "gpx":
        return Detected("gpx")
    if root == "TrainingCenterDatabase":
        return Detected("tcx")
    why = f"XML root element is {root!r}" if root else "not XML"
    tried += [("gpx", why), ("tcx", why)]
    stripped = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if stripped[:1] in (b"[", b"{"):
        if b'"activityName"' in head and b'"startTime"' in head:
            return Detected("fitbit")
        tried.append(("fitbit", "JSON without Fitbit's activityName/startTime"))
    else:
        tried.append(("fitbit", "not JSON"))
    if looks_binary(head):
        tried.append(("csv", "binary data, not text"))
        raise _unknown(path, tried)
    text = read_text_table(path, encoding=encoding)
    if columns:
        return Detected("csv", text)
    apps = (
        ("strong", strong.recognise_strong),
        ("hevy", hevy.recognise_hevy),
        ("strava", strava.recognise_strava),
        ("garmin_csv", garmin_csv.recognise_garmin_csv),
    )
    # Every app's column names first, then every app's layout (which reads the contents).
    whys: dict[str, str] = {}
    for use_layout in (False, True):
        for name, recognise in apps:
            found, why = recognise(text, path=path, use_layout=use_layout)
            if found is not None:
                return Detected(name, text)
            whys[name] = why
    tried += [(name, whys[name]) for name, _ in apps]
    ok, why = pmsys.matches(text.header)
    if ok:
        return Detected("pmsys", text)
    tried.append(("pmsys", why))
    found, why = canonical_source(text.header, table)
    if found is not None:
        return Detected("canonical", text, found)
    tried.append(("canonical", why))
    tried.append(("csv", "no column mapping given (columns=)"))
    raise _unknown(path, tried, header=text.header)


def _mapping_hint(header: tuple[str, ...], path: Path) -> str:
    """A columns= mapping that would read a header of an app's layout in an unknown language."""
    if path.name.casefold() == "activities.csv" or strava.layout_width_fits(header):
        names = ("Activity ID", "Activity Date", "Activity Name", "Activity Type")
        pairs = dict(zip(header[:4], names, strict=False))
        return (
            f"if it is a Strava activities.csv in a language the readers do not know, name its "
            f"columns in Strava's English: sol.read(path, source='strava', columns={pairs!r}) "
            "(soleus: --source strava --columns)"
        )
    for names in strong.LAYOUTS.values():
        if len(names) == len(header):
            pairs = dict(zip(header, names, strict=True))
            return (
                "if it is a Strong export in a language the readers do not know, name its "
                f"columns in Strong's English: sol.read(path, source='strong', columns={pairs!r}) "
                "(soleus: --source strong --columns)"
            )
    return (
        "for an app export in a language the readers do not know, pass source= and columns= "
        "mapping its column names to the app's English ones (soleus: --source, --columns); for a "
        "spreadsheet, source='csv' with columns={...}"
    )


def _unknown(
    path: Path, tried: list[tuple[str, str]], header: tuple[str, ...] | None = None
) -> UnknownSourceError:
    shown = ""
    hint = ""
    if header is not None:
        shown = f" (header: {shown_header(header, limit=8)})"
        hint = "; " + _mapping_hint(header, path)
    reasons = "; ".join(f"{name}: {why}" for name, why in tried)
    return UnknownSourceError(
        f"cannot tell which app exported this file{shown}. Tried {reasons}",
        path=path,
        fix="pass source= (one of " + ", ".join(SOURCES) + ")" + hint,
    )
