"""Read the dates and times that exports write in their user's language.

Apps write their dates the way the phone's language does: ``Oct 7, 2020, 2:43:11 PM`` (English),
``07.10.2020, 14:43:11`` (German), ``7 oct. 2020, 14:43:11`` (French), ``8 jul 2017, 15:25:34``
(Spanish, Dutch), ``7 de out. de 2020 14:43:11`` (Portuguese), ``7 окт. 2020 г., 14:43:11``
(Russian), ``2020/10/07 14:43:11`` (Japanese), ``2020年10月7日 下午2:43:11`` (Chinese),
``2020. 10. 7. 오후 2:43:11`` (Korean). :func:`parse_datetimes` reads all of these:

- month names and abbreviations of the languages in ``data/month_names.csv`` (CLDR), with or
  without a trailing dot, in any case; CJK ``年 月 日`` / ``년 월 일`` markers;
- 12-hour clocks with ``AM``/``PM``, ``a. m.``/``p. m.``, ``午前``/``午後``, ``上午``/``下午``,
  ``오전``/``오후``; 24-hour clocks; seconds and fractions optional;
- an ISO 8601 zone (``Z``, ``+02:00``) where one is written.

One order is used for the whole column: a year written first is year-month-day; with the year
last, a numeric day and month are ordered by the column itself (a first number above 12 means
day-month, a second above 12 month-day), else by the separator (``07.10.2020`` is day-month in
every language that writes dots), else by the caller's hint (the export's language). A column
that stays ambiguous is not guessed: its cells are left unparsed and the result says why.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["ParsedTimes", "month_names", "parse_datetimes"]

_AM = ("am", "a.m.", "a. m.", "a.m", "午前", "上午", "오전", "öö", "vorm.")
_PM = ("pm", "p.m.", "p. m.", "p.m", "午後", "下午", "오후", "ös", "nachm.")
_TIME = re.compile(r"(?<!\d)(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?(?!\d)")
_ZONE = re.compile(r"(?:\s*(z|utc|gmt)|\s*([+-])(\d{2}):?(\d{2}))\s*$")
_CJK_YEAR = re.compile(r"(\d{4})\s*[年년]")
_CJK_MONTH = re.compile(r"(\d{1,2})\s*[月월]")
_CJK_DAY = re.compile(r"(\d{1,2})\s*[日일]")
_TOKEN = re.compile(r"([ymd])?(\d+)")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


@lru_cache(maxsize=1)
def month_names() -> dict[str, int]:
    """Every month name and abbreviation known (case-folded) -> month number.

    Examples
    --------
    >>> names = month_names()
    >>> names["okt"], names["juil"], names["мая"], names["ago"]
    (10, 7, 5, 8)
    """
    path = resources.files("soleus_analysis") / "data" / "month_names.csv"
    table = pd.read_csv(str(path), dtype=str, keep_default_na=False)
    out: dict[str, int] = {}
    for _, row in table.iterrows():
        for name in row["names"].split("|"):
            key = _fold(name.strip())
            month = int(row["month"])
            if out.get(key, month) != month:
                raise ValueError(f"month name {key!r} means two months in month_names.csv")
            out[key] = month
    return out


@lru_cache(maxsize=1)
def _month_pattern() -> re.Pattern[str]:
    names = sorted(month_names(), key=len, reverse=True)
    alternation = "|".join(re.escape(n) for n in names)
    # A name is a whole word: no letter right before it or right after it (a dot may follow).
    return re.compile(rf"(?<![^\W\d_])({alternation})\.?(?![^\W\d_])")


@lru_cache(maxsize=1)
def _meridiem_pattern() -> re.Pattern[str]:
    markers = sorted((*_AM, *_PM), key=len, reverse=True)
    alternation = "|".join(re.escape(m) for m in markers)
    return re.compile(rf"(?<![^\W\d_])({alternation})(?![^\W\d_])")


@dataclass
class _Cell:
    """One text's pieces: date numbers (tagged y/m/d where the text says so), time, zone."""

    tokens: list[tuple[str, str]] = field(default_factory=list)
    hour: int | None = None
    minute: int = 0
    second: int = 0
    micro: int = 0
    meridiem: str | None = None
    offset_min: float = np.nan
    separator: str = ""


def _split(text: str) -> _Cell | None:
    s = _fold(text).strip()
    cell = _Cell()
    if not s:
        return None
    if m := _ZONE.search(s):
        if m.group(1):
            cell.offset_min = 0.0
        else:
            sign = 1 if m.group(2) == "+" else -1
            cell.offset_min = sign * (int(m.group(3)) * 60 + int(m.group(4)))
        s = s[: m.start()]
    times = list(_TIME.finditer(s))
    if len(times) > 1:
        return None
    if times:
        t = times[0]
        cell.hour, cell.minute = int(t.group(1)), int(t.group(2))
        cell.second = int(t.group(3) or 0)
        frac = t.group(4)
        cell.micro = int((frac or "0").ljust(6, "0")[:6])
        s = s[: t.start()] + " " + s[t.end() :]
    marks = list(_meridiem_pattern().finditer(s))
    if len(marks) > 1:
        return None
    if marks:
        word = marks[0].group(1)
        cell.meridiem = "am" if word in _AM else "pm"
        s = s[: marks[0].start()] + " " + s[marks[0].end() :]
    s = _CJK_YEAR.sub(r" y\1 ", s)
    s = _CJK_MONTH.sub(r" m\1 ", s)
    s = _CJK_DAY.sub(r" d\1 ", s)
    names = month_names()
    s = _month_pattern().sub(lambda m: f" m{names[m.group(1)]} ", s)
    sep = re.search(r"\d([./-])\d", s)
    cell.separator = sep.group(1) if sep else ""
    rest = _TOKEN.sub(" ", s)
    # Only separators and filler words may remain ("de", "г.", "del", commas, "um", "à").
    if re.search(r"\d", rest):
        return None
    cell.tokens = [(tag or "", num) for tag, num in _TOKEN.findall(s)]
    return cell


def _ymd(cell: _Cell, order: str | None) -> tuple[int, int, int] | None:
    """(year, month, day) of a cell; ``order`` decides untagged day/month (``dmy``/``mdy``)."""
    tagged = {tag: int(num) for tag, num in cell.tokens if tag}
    plain = [num for tag, num in cell.tokens if not tag]
    if len(cell.tokens) != 3:
        return None
    if set(tagged) == {"y", "m", "d"}:
        return tagged["y"], tagged["m"], tagged["d"]
    if set(tagged) == {"m"}:
        years = [n for n in plain if len(n) == 4]
        days = [n for n in plain if len(n) <= 2]
        if len(years) != 1 or len(days) != 1:
            return None
        return int(years[0]), tagged["m"], int(days[0])
    if set(tagged) == {"y", "m"} and len(plain) == 1:  # 2020年10月7 (no 日)
        return tagged["y"], tagged["m"], int(plain[0])
    if tagged or len(plain) != 3:
        return None
    a, b, c = plain
    if len(a) == 4 and len(b) <= 2 and len(c) <= 2:
        return int(a), int(b), int(c)
    if len(c) == 4 and len(a) <= 2 and len(b) <= 2:
        if order == "dmy":
            return int(c), int(b), int(a)
        if order == "mdy":
            return int(c), int(a), int(b)
    return None


def _shape(cell: _Cell) -> tuple:
    """The written form of a cell: where the year, month name and numbers stand, separators."""
    tokens = tuple(tag or ("n4" if len(num) == 4 else "n") for tag, num in cell.tokens)
    return tokens, cell.separator, cell.meridiem is not None, cell.hour is not None


@dataclass(frozen=True)
class ParsedTimes:
    """Times read from text.

    Attributes
    ----------
    wall : Series of datetime64[us]
        The wall-clock time written (naive); NaT where a cell is missing or unread.
    offset_min : ndarray of float
        The UTC offset written in the cell [minutes], NaN where the cell states no zone.
    unparsed : ndarray of bool
        Cells that held text that is not a date (or a date the column's order cannot place).
    how : str
        How the column was read, for the notes (``"day-month-year, 24-hour clock"``...).
    """

    wall: pd.Series
    offset_min: np.ndarray
    unparsed: np.ndarray
    how: str


def _order_of(cells: list[_Cell], hint: str | None) -> tuple[str | None, str]:
    """The column's day/month order for numeric dates with the year last, and why."""
    firsts, seconds, seps = [], [], set()
    for cell in cells:
        plain = [num for tag, num in cell.tokens if not tag]
        if len(cell.tokens) == 3 and len(plain) == 3 and len(plain[2]) == 4:
            firsts.append(int(plain[0]))
            seconds.append(int(plain[1]))
            seps.add(cell.separator)
    if not firsts:
        return None, ""
    day_first = max(firsts) > 12
    month_first = max(seconds) > 12
    if day_first and month_first:
        return "conflict", "numbers above 12 in both the first and the second place"
    if day_first:
        return "dmy", "a first number above 12"
    if month_first:
        return "mdy", "a second number above 12"
    if seps == {"."}:
        return "dmy", "dots between day, month and year"
    if hint in ("dmy", "mdy"):
        return hint, "the export's language"
    return None, "every day and month is 12 or below"


def parse_datetimes(values: pd.Series, *, order_hint: str | None = None) -> ParsedTimes:
    """Parse dates with optional times written in any supported language (module docstring).

    Parameters
    ----------
    values : Series of str
        The cells as text; empty cells are missing.
    order_hint : {"dmy", "mdy"}, optional
        Day/month order of numeric dates with the year last, used only when the column itself
        does not decide it (every day and month at most 12, no dot separators).

    Returns
    -------
    ParsedTimes

    Examples
    --------
    >>> texts = pd.Series(["8 jul 2017, 15:25:34", "20 août 2017, 7:05:00", ""])
    >>> parse_datetimes(texts).wall.tolist()
    [Timestamp('2017-07-08 15:25:34'), Timestamp('2017-08-20 07:05:00'), NaT]
    >>> parse_datetimes(pd.Series(["Oct 7, 2020, 2:43:11 PM"])).wall.iloc[0]
    Timestamp('2020-10-07 14:43:11')
    >>> parse_datetimes(pd.Series(["03/04/2024 10:00"])).unparsed.tolist()
    [True]
    >>> parse_datetimes(pd.Series(["03/04/2024 10:00"]), order_hint="dmy").wall.iloc[0]
    Timestamp('2024-04-03 10:00:00')
    """
    text = values.astype("str").where(values.notna(), "").str.strip()
    missing = text.eq("") | text.str.casefold().isin({"nan", "nat", "none", "null", "-", "--"})
    uniques = pd.unique(text[~missing])
    cells = {u: _split(u) for u in uniques}
    good = [c for c in cells.values() if c is not None]
    # One written form per column: cells in a form other than the most common one are not read
    # (a date written differently from the rest of its column is a damaged or foreign cell).
    counts = pd.Series([_shape(c) for c in good], dtype=object).value_counts(sort=True)
    main = counts.index[0] if len(counts) else None
    foreign = {u for u, c in cells.items() if c is not None and _shape(c) != main}
    good = [c for c in good if _shape(c) == main]
    order, why = _order_of(good, order_hint)
    clocks = {c.meridiem is not None and 1 <= c.hour <= 12 for c in good if c.hour is not None}
    parts: dict[str, tuple] = {}
    for u, cell in cells.items():
        ymd = _ymd(cell, order) if cell is not None and u not in foreign else None
        if ymd is None:
            continue
        hour = cell.hour if cell.hour is not None else 0
        # A marker beside a 24-hour time ("am 7. Okt. 2020, 14:43") is a word, not AM/PM.
        if cell.meridiem is not None and 1 <= hour <= 12:
            hour = hour % 12 + (12 if cell.meridiem == "pm" else 0)
        if hour > 23 or cell.minute > 59 or cell.second > 59:
            continue
        parts[u] = (*ymd, hour, cell.minute, cell.second, cell.micro, cell.offset_min)
    keys = list(parts)
    if keys:
        frame = pd.DataFrame(
            [parts[k][:7] for k in keys],
            columns=["year", "month", "day", "hour", "minute", "second", "us"],
        )
        stamps = pd.to_datetime(frame, errors="coerce").dt.as_unit("us")
        lookup = dict(zip(keys, stamps, strict=True))
        offsets = {k: parts[k][7] for k in keys}
    else:
        lookup, offsets = {}, {}
    wall = pd.Series(text.map(lookup), index=values.index).astype("datetime64[us]")
    wall = wall.where(~missing.to_numpy())
    offset = text.map(offsets).astype("float64").to_numpy()
    unparsed = ~missing.to_numpy() & wall.isna().to_numpy()
    pieces = []
    if order == "dmy":
        pieces.append(f"day before month ({why})")
    elif order == "mdy":
        pieces.append(f"month before day ({why})")
    elif order == "conflict":
        pieces.append(f"day/month order contradicts itself ({why}): such dates left unread")
    elif why:
        pieces.append(f"day/month order undecidable ({why}): such dates left unread")
    if foreign:
        pieces.append(f"{len(foreign)} value(s) written in another form left unread")
    if clocks == {True}:
        pieces.append("12-hour clock")
    elif clocks == {False}:
        pieces.append("24-hour clock")
    return ParsedTimes(wall, offset, unparsed, ", ".join(pieces) or "dates without time")
