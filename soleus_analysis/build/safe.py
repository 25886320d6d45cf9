"""Outputs that are safe to open: user text never runs as a formula, HTML or Markdown.

The build copies text from users' files (exercise names, file names, rejected cells as given) into
files that people open in a spreadsheet or read rendered:

- **CSV** (quarantine files): a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is a formula to a spreadsheet (OWASP "CSV injection"). Such a cell gets a
  leading ``'``, which spreadsheets show as text and hide; the value stays readable. A cell that
  is a plain number (``-3.5``, ``+2``, ``-1e3``) is left alone: it is no formula. Header names are
  treated the same. :func:`restore_cells` undoes it, so that reading a quarantine file back gives
  the cells as they were given.
- **Markdown** (``build_report.md``): :func:`markdown_text` escapes HTML and the Markdown
  characters that would format, link or break a table, so that the report shows user text as
  written and renders none of it.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import pandas as pd

from soleus_analysis.errors import InputError

__all__ = ["markdown_text", "neutralise_cells", "restore_cells", "write_csv"]

_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_MARKDOWN = re.compile(r"([\\`*\[\]#!|~]|(?<!\w)_|_(?!\w))")


def _needs_quote(text: str) -> bool:
    bare = text.lstrip("'")
    if not bare.startswith(_TRIGGERS):
        return False
    # A cell already quoted by us (or by the user) keeps one more quote, so that restoring is exact.
    return bool(text != bare) or not _NUMBER.match(text)


def _neutralise(value: object) -> object:
    if isinstance(value, str) and _needs_quote(value):
        return "'" + value
    return value


def neutralise_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and header names cannot run as spreadsheet formulas.

    Numeric, boolean and datetime columns are unchanged; in text columns, a cell that starts with
    ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (after any leading ``'``) gets one more
    leading ``'``, unless it is a plain number.

    Examples
    --------
    >>> df = pd.DataFrame({"reps": ["-3.5", "=1+2", "@SUM(A1)", "'=x", "ok"], "n": range(5)})
    >>> neutralise_cells(df)["reps"].tolist()
    ['-3.5', "'=1+2", "'@SUM(A1)", "''=x", 'ok']
    """
    out = frame.copy()
    for name in out.columns:
        col = out[name]
        if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            text = col.astype(object)
            flagged = text.map(lambda v: isinstance(v, str) and _needs_quote(v))
            if flagged.any():
                out[name] = text.where(~flagged, "'" + text.where(flagged, "").astype(str))
    out.columns = [_neutralise(str(c)) if isinstance(c, str) else c for c in out.columns]
    if isinstance(out.index, pd.Index) and out.index.name is not None:
        out.index.name = _neutralise(str(out.index.name))
    return out


def restore_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Undo :func:`neutralise_cells` on a frame read back as text.

    Examples
    --------
    >>> df = pd.DataFrame({"x": ["-3.5", "=1+2", "'=x", "ok"]})
    >>> restore_cells(neutralise_cells(df)).equals(df)
    True
    """
    out = frame.copy()

    def undo(value: object) -> object:
        if isinstance(value, str) and value.startswith("'") and _needs_quote(value[1:]):
            return value[1:]
        return value

    for name in out.columns:
        col = out[name]
        if pd.api.types.is_object_dtype(col) or pd.api.types.is_string_dtype(col):
            out[name] = col.astype(object).map(undo)
    out.columns = [undo(c) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: str | PathLike[str], *, index: bool = False) -> None:
    """Write a CSV that is safe to open in a spreadsheet (:func:`neutralise_cells`).

    Raises
    ------
    InputError
        When the file cannot be written (its folder is a file, or not writable).
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        neutralise_cells(frame).to_csv(target, index=index, lineterminator="\n")
    except OSError as exc:
        raise InputError(
            f"cannot write {target.name} there ({exc.strerror or exc})",
            path=target.parent,
            fix="choose a folder you can write to, or move away the file that has its name",
        ) from None


def markdown_text(value: object) -> str:
    """User text for a Markdown file: shown as written, rendered as nothing else.

    ``&`` and ``<`` become HTML entities (no tag, entity or autolink can form), Markdown's
    formatting, link and table characters get a backslash (an underscore inside a word needs
    none), and line breaks become spaces.

    Examples
    --------
    >>> print(markdown_text("<img src=x onerror=alert(1)> *Calf* [raise](http://x) | seated_calf"))
    &lt;img src=x onerror=alert(1)> \\*Calf\\* \\[raise\\](http://x) \\| seated_calf
    """
    text = " ".join(str(value).splitlines())
    text = _MARKDOWN.sub(r"\\\1", text)
    return text.replace("&", "&amp;").replace("<", "&lt;")
