"""Recognise an app's export whatever language its header is in.

An export is recognised, in this order:

1. by a column mapping the user gives (``columns={"file column": "app's English column"}``);
2. by its header, translated into the app's English names with the vocabulary of
   :mod:`soleus_analysis.readers.vocabulary` (the language that names the most columns wins);
3. by its layout: apps write their columns in a fixed order in every language, so a header that
   has the app's number of columns (or, for Strava, its pattern of repeated names) and whose
   *contents* fit every column (dates where the date goes, numbers where numbers go...) is read
   by position. The contents of the first 5,000 rows are checked, so a file that merely has the
   right width is not taken for an export.

When none fits, the error names the file, the header it saw and the mapping that would read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from soleus_analysis.coercion import is_missing
from soleus_analysis.errors import InputError
from soleus_analysis.parsing import decimal_mark, parse_number
from soleus_analysis.readers.dates import parse_datetimes
from soleus_analysis.readers.vocabulary import translate_header, translate_table
from soleus_analysis.textfile import TextTable

__all__ = [
    "FIT_SHARE",
    "Recognised",
    "apply_columns",
    "dates_fit",
    "first_rows",
    "numbers_fit",
    "recognise",
    "share",
    "shown_header",
]

#: Share of the non-empty cells of a column that must fit its kind for a layout to be taken.
FIT_SHARE = 0.95


@dataclass(frozen=True)
class Recognised:
    """An export whose columns carry the app's English names.

    Attributes
    ----------
    text : TextTable
        The file's cells, columns renamed to the app's English names.
    language : str or None
        The header's language (``None`` when the layout, not the words, was recognised).
    how : str
        ``"columns"`` (the user's mapping), ``"header"`` or ``"layout"``.
    """

    text: TextTable
    language: str | None
    how: str


def shown_header(header: tuple[str, ...], limit: int = 14) -> str:
    """A header for a one-line message: its first ``limit`` names, then how many more.

    Examples
    --------
    >>> shown_header(("a", "b", "c"), limit=2)
    "'a', 'b' (+1 more)"
    """
    shown = ", ".join(repr(h) for h in header[:limit])
    return shown + (f" (+{len(header) - limit} more)" if len(header) > limit else "")


def apply_columns(text: TextTable, columns: dict, fields: tuple[str, ...], path) -> TextTable:
    """Rename a file's columns with a user's mapping ``{file column: app column}``.

    Raises
    ------
    InputError
        A mapped file column that the file does not have, or an app column the app does not know.
    """
    missing = [k for k in columns if k not in text.header]
    if missing:
        raise InputError(
            f"column(s) {', '.join(map(repr, missing))} of columns= are not in the file "
            f"(it has: {shown_header(text.header)})",
            path=path,
            fix="map the file's column names exactly as they are written",
        )
    unknown = [v for v in columns.values() if v not in fields]
    if unknown:
        raise InputError(
            f"column(s) {', '.join(map(repr, unknown))} of columns= are not columns of this app",
            path=path,
            fix="map to the app's English column names: " + ", ".join(fields),
        )
    header = tuple(columns.get(h, h) for h in text.header)
    return translate_table(text, header, "columns renamed with the columns= mapping given")


def dates_fit(values: pd.Series) -> bool:
    """Whether nearly every non-empty cell of a column reads as a date."""
    present = ~is_missing(values)
    if not present.any():
        return False
    parsed = parse_datetimes(values[present], order_hint="dmy")
    return float((~parsed.unparsed).mean()) >= FIT_SHARE


def numbers_fit(values: pd.Series, *, allow_empty: bool = True) -> bool:
    """Whether nearly every non-empty cell of a column reads as a number."""
    present = ~is_missing(values)
    if not present.any():
        return allow_empty
    cells = values[present]
    parsed = parse_number(cells, decimal=decimal_mark(cells))
    return float(parsed.notna().mean()) >= FIT_SHARE


def recognise(
    text: TextTable,
    *,
    app: str,
    matches: Callable[[tuple[str, ...]], tuple[bool, str]],
    layout: Callable[[TextTable], tuple[tuple[str, ...] | None, str]] | None = None,
    columns: dict | None = None,
    fields: tuple[str, ...] = (),
    path=None,
    use_layout: bool = True,
) -> tuple[Recognised | None, str]:
    """Recognise ``text`` as ``app``'s export (see the module docstring), or say why not.

    Parameters
    ----------
    text : TextTable
    app : str
        The vocabulary's app name (``strong``, ``strava``, ``garmin_csv``...).
    matches : callable
        The reader's check of an English header: header -> (fits, why not).
    layout : callable, optional
        The reader's check of the layout and contents: text -> (English header or None, why).
    columns : dict, optional
        The user's mapping of file columns to the app's English columns.
    fields : tuple of str
        The app's English column names (to check ``columns``).
    path
        The file, for error messages.
    use_layout : bool, default True
        Try the layout when the names do not fit (source detection first tries every app's names,
        then every app's layout).

    Returns
    -------
    (Recognised or None, str)
        The recognised export, or None and why it does not fit.
    """
    if columns:
        mapped = apply_columns(text, columns, fields, path)
        ok, why = matches(mapped.header)
        if not ok:
            raise InputError(
                f"with the columns= mapping the file is still not this app's export ({why})",
                path=path,
                fix="map every required column: " + ", ".join(fields),
            )
        return Recognised(mapped, None, "columns"), ""
    ok, why = matches(text.header)
    if ok:
        return Recognised(text, "en", "header"), ""
    translation = translate_header(app, text.header)
    if translation.language not in (None, "en"):
        ok, why_translated = matches(translation.header)
        if ok:
            note = f"column names read as {translation.language} ({translation.known} known)"
            return Recognised(
                translate_table(text, translation.header, note), translation.language, "header"
            ), ""
        why = why_translated
    if layout is not None and use_layout:
        header, why_layout = layout(text)
        if header is not None:
            note = (
                "column names not in the vocabulary; the columns were identified by the app's "
                "column order and checked on their contents"
            )
            return Recognised(translate_table(text, header, note), None, "layout"), ""
        if why_layout:
            why = f"{why}; {why_layout}"
    return None, why


def first_rows(text: TextTable, n: int = 5000) -> pd.DataFrame:
    """The first ``n`` rows of the text cells (layout checks look at a bounded sample)."""
    return text.frame.iloc[:n]


def share(mask: np.ndarray | pd.Series) -> float:
    """Mean of a boolean mask (0 for an empty one)."""
    values = np.asarray(mask, dtype=bool)
    return float(values.mean()) if values.size else 0.0
