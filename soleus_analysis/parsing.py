"""Parse the numbers, durations and paces that exports write as text.

One helper per kind of value, each vectorised over a Series and tested on the spellings seen in
real exports. A value that cannot be parsed becomes NaN; :func:`keep_unparsed` puts the original
text back so that validation rejects the row with the value in its reason instead of losing it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from soleus_analysis.coercion import is_missing
from soleus_analysis.errors import MissingUnitError

__all__ = [
    "KM_PER_MILE",
    "decimal_mark",
    "keep_unparsed",
    "parse_duration",
    "parse_number",
    "parse_pace",
]

KM_PER_MILE = 1.609344

_DURATION_UNITS = {
    "d": 86400.0,
    "day": 86400.0,
    "days": 86400.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "second": 1.0,
    "seconds": 1.0,
}
_UNIT_PART = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]+)")
_UNIT_TEXT = re.compile(r"^(?:\d+(?:[.,]\d+)?\s*[a-z]+\s*)+$")
_CLOCK = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:[.,]\d+)?)$")
_ISO = re.compile(r"^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$")
# Numbers written with thousands separators: 1.005 / 1.005,5 (dots) and 1,825 / 1,825.5 (commas).
_THOUSANDS_DOT = r"^[-+]?\d{1,3}(?:\.\d{3})+(?:,\d+)?$"
_THOUSANDS_COMMA = r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$"
# Spaces (also no-break and narrow no-break spaces) between groups of three: 1 825 / 1 825,5.
_THOUSANDS_SPACE = r"^[-+]?\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?$"
# Cells that can only be read one way: a mark followed by 1-2 or 4+ digits, a leading 0, or both
# marks (the last one is the decimal mark).
_ONLY_COMMA = r"^[-+]?(?:\d*,\d{1,2}|\d*,\d{4,}|0,\d+|\d{1,3}(?:\.\d{3})+,\d+)$"
_ONLY_DOT = r"^[-+]?(?:\d*\.\d{1,2}|\d*\.\d{4,}|0\.\d+|\d{1,3}(?:,\d{3})+\.\d+)$"
_PACE = re.compile(r"^(\d{1,2}):(\d{2}(?:[.,]\d+)?)\s*(?:min)?\s*(?:/\s*(km|mi|mile))?$")


def decimal_mark(values: pd.Series, *, default: str = ".") -> str:
    """The decimal mark of one column of numbers written as text: ``"."`` or ``","``.

    A cell decides when it can be read only one way (``72,5``, ``1.005,0`` and ``0,75`` are
    decimal commas; ``72.5``, ``1,825.5`` and ``0.75`` decimal points). ``1,825`` or ``1.005``
    alone could be either (a thousands separator or three decimals): a column of such cells, or
    one whose cells disagree, gets ``default`` (the file's mark).

    Examples
    --------
    >>> decimal_mark(pd.Series(["2,81", "10"])), decimal_mark(pd.Series(["1,825", "567"]))
    (',', '.')
    >>> decimal_mark(pd.Series(["1.005", "12"]), default=",")
    ','
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        return "."
    text = values.astype("str").str.strip()
    has_comma = text.str.contains(",", regex=False).any()
    has_dot = text.str.contains(".", regex=False).any()
    if not has_comma:
        return "." if default == "." or not has_dot else _mark_of_dots(text, default)
    comma = bool(text.str.match(_ONLY_COMMA).any())
    dot = bool(has_dot and text.str.match(_ONLY_DOT).any())
    if comma and not dot:
        return ","
    if dot and not comma:
        return "."
    return default


def _mark_of_dots(text: pd.Series, default: str) -> str:
    """The mark of a column without commas: ``"."`` once a dot can only be a decimal point."""
    return "." if bool(text.str.match(_ONLY_DOT).any()) else default


def parse_number(values: pd.Series, *, decimal: str = ".") -> pd.Series:
    """Parse numbers written as text; NaN where a cell is missing or not a number.

    Parameters
    ----------
    values : Series
    decimal : {".", ","}
        The decimal mark. A thousands separator (the other mark, in groups of three digits from
        the decimal mark: ``1.005,0`` with ``","``, ``1,825`` with ``"."``) is removed; any other
        use of the other mark makes the cell unreadable rather than a wrong number, except that a
        decimal point in a decimal-comma column (``62.5``) is read as a decimal point.

    Examples
    --------
    >>> parse_number(pd.Series(["72,5", "1.005,0", "x"]), decimal=",").tolist()
    [72.5, 1005.0, nan]
    >>> parse_number(pd.Series(["1,825", "14.17", "1,82", "1\u00a0825"])).tolist()
    [1825.0, 14.17, nan, 1825.0]
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")
    if decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")
    text = values.astype("str").str.strip()
    missing = is_missing(values)
    out = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    # Only cells a plain number parse cannot read (or, with a decimal comma, cells with a dot,
    # which may be a thousands separator) take the slower path through the separators.
    retry = ~missing & out.isna().to_numpy()
    if decimal == ",":
        retry |= ~missing & text.str.contains(".", regex=False).to_numpy(dtype=bool, na_value=False)
    if retry.any():
        cells = text[retry]
        spaced = cells.str.match(_THOUSANDS_SPACE)
        cells = cells.where(~spaced, cells.str.replace(r"[ \u00a0\u202f]", "", regex=True))
        if decimal == ",":
            grouped = cells.str.match(_THOUSANDS_DOT)
            cells = cells.where(~grouped, cells.str.replace(".", "", regex=False))
            cells = cells.str.replace(",", ".", regex=False)
        else:
            grouped = cells.str.match(_THOUSANDS_COMMA)
            cells = cells.where(~grouped, cells.str.replace(",", "", regex=False))
        out[retry] = pd.to_numeric(cells, errors="coerce").astype("float64").to_numpy()
    return out.where(np.isfinite(out))


def keep_unparsed(parsed: pd.Series, original: pd.Series) -> pd.Series:
    """Parsed values where parsing worked, the original text where it did not.

    A reader converts units on the parsed numbers and then calls this, so that an unparseable
    cell reaches validation as given and is rejected with its value, not silently missing.

    Examples
    --------
    >>> keep_unparsed(pd.Series([1.0, np.nan, np.nan]), pd.Series(["1", "ten", ""])).tolist()
    [1.0, 'ten', nan]
    """
    lost = parsed.isna().to_numpy() & ~is_missing(original)
    if not lost.any():
        return parsed
    out = parsed.astype(object)
    out[lost] = original[lost].astype(object)
    return out


def _duration_one(text: str) -> float:
    t = text.strip().lower()
    if not t:
        return np.nan
    try:
        return float(t.replace(",", "."))
    except ValueError:
        pass
    if m := _CLOCK.match(t):
        h, mnt, sec = m.groups()
        return float(h or 0) * 3600 + float(mnt) * 60 + float(sec.replace(",", "."))
    if m := _ISO.match(text.strip().upper()):
        d, h, mnt, sec = (float(g) if g else 0.0 for g in m.groups())
        return d * 86400 + h * 3600 + mnt * 60 + sec
    if _UNIT_TEXT.match(t):
        total = 0.0
        for number, unit in _UNIT_PART.findall(t):
            if unit not in _DURATION_UNITS:
                return np.nan
            total += float(number.replace(",", ".")) * _DURATION_UNITS[unit]
        return total
    return np.nan


def parse_duration(values: pd.Series) -> pd.Series:
    """Parse durations to seconds: ``1h 4m``, ``47m``, ``55s``, ``21min``, ``00:47:12``, ``PT1H4M``.

    A bare number is seconds; ``MM:SS`` and ``H:MM:SS`` are clock notation. NaN where a cell is
    missing or not a duration.

    Examples
    --------
    >>> texts = ["1h 4m", "47m", "00:47:12", "55s", "21min", "PT1H", "x"]
    >>> parse_duration(pd.Series(texts)).tolist()
    [3840.0, 2820.0, 2832.0, 55.0, 1260.0, 3600.0, nan]
    """
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values.astype("float64")
    missing = is_missing(values)
    out = np.full(len(values), np.nan)
    texts = values.astype("str").to_numpy()
    for i in np.flatnonzero(~missing):
        out[i] = _duration_one(texts[i])
    return pd.Series(out, index=values.index)


def parse_pace(values: pd.Series, *, unit: str | None = None) -> pd.Series:
    """Parse paces to seconds per kilometre: ``5:30/km``, ``8:51/mi``, ``5:30 min/km``.

    Parameters
    ----------
    values : Series
    unit : {"km", "mi"}, optional
        Unit of paces written without one. Without it, a pace without unit raises: a pace per
        mile read as per kilometre is 61% off, so the unit is never guessed.

    Raises
    ------
    MissingUnitError
        When a pace has no unit and ``unit`` is not given.

    Examples
    --------
    >>> parse_pace(pd.Series(["5:30/km", "8:51/mi"])).round(1).tolist()
    [330.0, 329.9]
    """
    missing = is_missing(values)
    out = np.full(len(values), np.nan)
    texts = values.astype("str").str.strip().str.lower().to_numpy()
    for i in np.flatnonzero(~missing):
        m = _PACE.match(texts[i])
        if not m:
            continue
        minutes, seconds, given = m.groups()
        per = given or unit
        if per is None:
            raise MissingUnitError(
                f"pace {texts[i]!r} does not say whether it is per km or per mile",
                fix="pass unit='km' or unit='mi'",
            )
        sec = float(minutes) * 60 + float(seconds.replace(",", "."))
        out[i] = sec / KM_PER_MILE if per in {"mi", "mile"} else sec
    return pd.Series(out, index=values.index)
