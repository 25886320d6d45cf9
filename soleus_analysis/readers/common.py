"""What every reader shares: the reading context, time and unit conversion, the finished table.

A reader turns one export into canonical tables. It never guesses a unit or a date format
silently: each conversion it applies is stated in the notes that travel with the result
(``df.attrs["notes"]`` and :attr:`ReadResult.notes`).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from soleus_analysis.coercion import is_missing
from soleus_analysis.errors import InputError, MissingUnitError
from soleus_analysis.parsing import KM_PER_MILE, keep_unparsed
from soleus_analysis.readers.dates import parse_datetimes
from soleus_analysis.schemas import canonical_columns

__all__ = [
    "KG_PER_LB",
    "PROVENANCE",
    "M_PER_UNIT",
    "LocalNames",
    "ReadContext",
    "ReadResult",
    "finish",
    "make_context",
    "parse_local_times",
    "parse_utc_times",
    "read_bytes",
]

#: Kilograms per pound (exact, by definition of the international pound).
KG_PER_LB = 0.45359237
#: Metres per distance unit.
M_PER_UNIT = {"m": 1.0, "km": 1000.0, "mi": KM_PER_MILE * 1000.0}
PROVENANCE = ("athlete_id", "timezone", "source", "source_file", "source_row")

_WEIGHT_ALIASES = {
    "kg": "kg",
    "kgs": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "lb": "lb",
    "lbs": "lb",
    "pound": "lb",
    "pounds": "lb",
}
_DISTANCE_ALIASES = {
    "m": "m",
    "meter": "m",
    "meters": "m",
    "metre": "m",
    "metres": "m",
    "km": "km",
    "kilometer": "km",
    "kilometers": "km",
    "kilometre": "km",
    "kilometres": "km",
    "mi": "mi",
    "mile": "mi",
    "miles": "mi",
}


@dataclass(frozen=True)
class ReadResult:
    """Everything read from one file.

    Attributes
    ----------
    path : str
        The file read.
    source : str
        The exporting app or format (``strong``, ``hevy``, ``fit``, ``strava``, ``gpx``, ``tcx``,
        ``fitbit``, ``pmsys``, ``csv``, ``canonical``).
    tables : dict of str to DataFrame
        Canonical tables the file feeds, by name (``strength_sets``, ``runs``, ``sessions``,
        ``wellness``), each not yet validated (see :func:`soleus_analysis.validate`). The first
        one is the file's main table, the one :func:`soleus_analysis.read` returns.
    notes : tuple of str
        What was assumed or converted (athlete id from the file name, zone, units, decimal comma,
        encoding, rows merged).
    """

    path: str
    source: str
    tables: dict[str, pd.DataFrame]
    notes: tuple[str, ...] = ()

    @property
    def main(self) -> str:
        """Name of the main table (the first one)."""
        return next(iter(self.tables))


@dataclass
class ReadContext:
    """The options of one read and the notes gathered while reading."""

    path: Path
    athlete_id: str
    tz: str
    weight_unit: str | None = None
    distance_unit: str | None = None
    columns: dict | None = None
    units: dict | None = None
    table: str | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    tz_given: bool = True
    #: Day/month order of numeric dates in this export's language (``"dmy"``/``"mdy"``), used
    #: only when the dates themselves do not decide it.
    date_order: str | None = None

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def note_zone(self, what: str = "times") -> None:
        """State the zone used for local wall times."""
        how = "given" if self.tz_given else "default; pass tz= or set the athlete's timezone"
        self.note(f"{what} without a zone were read as local time in {self.tz} ({how})")

    def error(
        self,
        problem: str,
        *,
        fix: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> InputError:
        return InputError(problem, path=self.path, row=row, column=column, fix=fix)


def _norm_unit(
    value: str | None, aliases: dict[str, str], what: str, path: Path | None = None
) -> str | None:
    if value is None:
        return None
    unit = aliases.get(str(value).strip().lower())
    if unit is None:
        raise InputError(
            f"unknown {what} unit {value!r}",
            path=path,
            fix=f"use one of {', '.join(sorted(set(aliases.values())))}",
        )
    return unit


def weight_unit_of(text: str | None) -> str | None:
    """``kg``/``lb`` for the spellings exports use, None when missing or unknown.

    Examples
    --------
    >>> weight_unit_of("lbs"), weight_unit_of(" KG "), weight_unit_of("stone")
    ('lb', 'kg', None)
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    return _WEIGHT_ALIASES.get(str(text).strip().lower())


def distance_unit_of(text: str | None) -> str | None:
    """``m``/``km``/``mi`` for the spellings exports use, None when missing or unknown.

    Examples
    --------
    >>> distance_unit_of("Kilometer"), distance_unit_of("miles"), distance_unit_of("yd")
    ('km', 'mi', None)
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    return _DISTANCE_ALIASES.get(str(text).strip().lower())


def make_context(
    path: str | PathLike[str],
    *,
    athlete_id: str | None = None,
    tz: str | None = "UTC",
    weight_unit: str | None = None,
    distance_unit: str | None = None,
    columns: dict | None = None,
    units: dict | None = None,
    table: str | None = None,
    encoding: str | None = None,
) -> ReadContext:
    """Check the options of a read and state the defaults taken."""
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=p, fix="check the path and the file name")
    if p.is_dir():
        raise InputError(
            "is a folder, not a file", path=p, fix="name a file, or use sol.read_folder"
        )
    notes: list[str] = []
    tz_given = tz is not None and tz != "UTC"
    zone = tz or "UTC"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"unknown time zone {zone!r}",
            path=p,
            fix="pass an IANA zone name such as 'Europe/Oslo'",
        ) from None
    if athlete_id is None:
        athlete_id = _stem(p)
        notes.append(
            f"athlete_id {athlete_id!r} taken from the file name (pass athlete_id= to set it)"
        )
    elif not str(athlete_id).strip():
        raise InputError("athlete_id is empty", path=p, fix="pass a non-empty athlete_id")
    wu = _norm_unit(weight_unit, _WEIGHT_ALIASES, "weight", p)
    du = _norm_unit(distance_unit, _DISTANCE_ALIASES, "distance", p)
    return ReadContext(
        path=p,
        athlete_id=str(athlete_id),
        tz=zone,
        weight_unit=wu,
        distance_unit=du,
        columns=columns,
        units=units,
        table=table,
        encoding=encoding,
        notes=notes,
        tz_given=tz_given,
    )


def _stem(path: Path) -> str:
    name = path.name
    for suffix in (".gz",):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return Path(name).stem


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when it is gzip-compressed (Strava's ``.fit.gz``)."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(
                f"the gzip file is damaged or truncated ({exc})",
                path=path,
                fix="download or export the file again",
            ) from None
    return raw


class LocalNames(dict):
    """Local names of XML tags (``{namespace}name`` -> ``name``), each worked out once.

    GPX and TCX readers match elements by local name, so that files with and without namespace
    prefixes read alike; a file has a dozen distinct tags but up to a million elements. Make one
    per file (a shared one would grow with every tag ever seen).

    Examples
    --------
    >>> local = LocalNames()
    >>> local["{http://www.topografix.com/GPX/1/1}trkpt"], local["time"]
    ('trkpt', 'time')
    """

    def __missing__(self, tag: object) -> str:
        name = self[tag] = tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""
        return name


# --- time -------------------------------------------------------------------------------------


def _parse_with_formats(
    values: pd.Series, formats: tuple[str, ...], ctx: ReadContext, column: str
) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Parse with the first format that reads every cell, else with the export-language reader.

    One format (or one day/month order, see :mod:`soleus_analysis.readers.dates`) is used for
    the whole column, never a mix per cell. Returns the parsed wall-clock times (naive), the mask
    of cells that held text that could not be read, and the UTC offset written in each cell
    [minutes] (NaN where none is written).
    """
    missing = is_missing(values)
    text = values.astype("str").str.strip().where(~missing)
    n_present = int((~missing).sum())
    best: tuple[int, pd.Series, str] | None = None
    for fmt in formats:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        n_ok = int(parsed.notna().sum())
        if best is None or n_ok > best[0]:
            best = (n_ok, parsed, fmt)
        if n_ok == n_present:
            break
    if best is None:
        raise ValueError("no date format given")
    n_ok, parsed, fmt = best
    offset = np.full(len(values), np.nan)
    if n_ok < n_present:
        general = parse_datetimes(values.where(~missing, ""), order_hint=ctx.date_order)
        if int((~general.unparsed & ~missing).sum()) > n_ok:
            parsed, offset = general.wall, general.offset_min
            fmt = f"the export's date style ({general.how})"
            if n_present:
                ctx.note(f"{column}: dates read as {fmt}")
    unparsed = ~missing & parsed.isna().to_numpy()
    if unparsed.any():
        first = int(np.flatnonzero(unparsed)[0])
        shown = fmt if fmt.startswith("the export") else repr(fmt)
        ctx.note(
            f"{column}: {int(unparsed.sum())} value(s) do not match the date format {shown} "
            f"(e.g. {values.iloc[first]!r}); kept as text so that validation rejects them"
        )
    return parsed.astype("datetime64[us]"), unparsed, offset


def parse_local_times(
    values: pd.Series, formats: tuple[str, ...], ctx: ReadContext, *, column: str
) -> pd.Series:
    """Local wall times written as text -> tz-aware UTC, read in the athlete's zone ``ctx.tz``.

    Times that do not exist or are ambiguous because of a daylight-saving change become NaT
    (validation rejects them as missing) and a note names how many. A time that states its own
    UTC offset (``...Z``, ``+02:00``) is converted with that offset. Cells that do not match the
    format are kept as their text (see :func:`soleus_analysis.parsing.keep_unparsed`).
    """
    naive, unparsed, offset = _parse_with_formats(values, formats, ctx, column)
    zoned = np.isfinite(offset)
    local = naive.where(~zoned).dt.tz_localize(ctx.tz, ambiguous="NaT", nonexistent="NaT")
    dst = naive.notna().to_numpy() & ~zoned & local.isna().to_numpy()
    if dst.any():
        first = int(np.flatnonzero(dst)[0])
        ctx.note(
            f"{column}: {int(dst.sum())} local time(s) fall in a daylight-saving change in "
            f"{ctx.tz} (do not exist or are ambiguous, e.g. {values.iloc[first]!r}); left "
            "missing, so validation rejects those rows"
        )
    out = local.dt.tz_convert("UTC").dt.as_unit("us")
    if zoned.any():
        utc = (naive - pd.to_timedelta(offset, unit="min")).dt.tz_localize("UTC").dt.as_unit("us")
        out = out.where(~zoned, utc)
        ctx.note(f"{column}: {int(zoned.sum())} time(s) state their UTC offset; it was used")
    if (~zoned & naive.notna().to_numpy()).any() or not zoned.any():
        ctx.note_zone(column)
    return keep_unparsed(out, values.where(unparsed)) if unparsed.any() else out


def parse_utc_times(
    values: pd.Series, formats: tuple[str, ...], ctx: ReadContext, *, column: str
) -> pd.Series:
    """Times that are UTC (stated in the file or documented by the app) -> tz-aware UTC."""
    naive, unparsed, offset = _parse_with_formats(values, formats, ctx, column)
    shift = pd.to_timedelta(np.nan_to_num(offset, nan=0.0), unit="min")
    out = (naive - shift).dt.tz_localize("UTC").dt.as_unit("us")
    return keep_unparsed(out, values.where(unparsed)) if unparsed.any() else out


def local_dates(utc: pd.Series, tz: str) -> pd.Series:
    """The local calendar date (naive midnight) of UTC timestamps in zone ``tz``."""
    return utc.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize().dt.as_unit("us")


# --- units ------------------------------------------------------------------------------------


def missing_weight_unit(ctx: ReadContext, column: str, what: str) -> MissingUnitError:
    return MissingUnitError(
        f"column {column!r} holds weights but the {what} does not say whether they are kg or lb",
        path=ctx.path,
        column=column,
        fix="pass weight_unit='kg' or weight_unit='lb' (sol.read(path, weight_unit=...), "
        "soleus validate --weight-unit), or give the athlete a weight_unit in athletes.csv",
    )


def missing_distance_unit(ctx: ReadContext, column: str, what: str) -> MissingUnitError:
    return MissingUnitError(
        f"column {column!r} holds distances but the {what} does not say whether they are m, km "
        "or miles",
        path=ctx.path,
        column=column,
        fix="pass distance_unit='km', 'mi' or 'm' (sol.read(path, distance_unit=...), "
        "soleus validate --distance-unit)",
    )


_UNIT_IN_NAME = re.compile(r"[\(\[]\s*([A-Za-z]+)\s*[\)\]]\s*$|_([A-Za-z]+)$")


def unit_in_header(name: str) -> str | None:
    """The unit a column name states: ``Weight (kg)`` -> ``kg``, ``weight_lbs`` -> ``lbs``.

    Examples
    --------
    >>> unit_in_header("Weight (lbs)"), unit_in_header("distance_km"), unit_in_header("Weight")
    ('lbs', 'km', None)
    """
    m = _UNIT_IN_NAME.search(str(name).strip())
    if not m:
        return None
    return (m.group(1) or m.group(2)).lower()


# --- the finished table -----------------------------------------------------------------------


def finish(
    frame: pd.DataFrame,
    table: str,
    ctx: ReadContext,
    *,
    source: str,
    source_row: pd.Series | np.ndarray | None = None,
    athlete_id: pd.Series | str | None = None,
) -> pd.DataFrame:
    """Add identity and provenance columns and put the columns in canonical order.

    Canonical columns come first in the data dictionary's order, then the reader's extra columns,
    then ``timezone``, ``source``, ``source_file``, ``source_row``. The index is a plain range.
    """
    out = frame.reset_index(drop=True).copy()
    out["athlete_id"] = ctx.athlete_id if athlete_id is None else athlete_id
    if table != "wellness" or "timezone" not in out:
        out["timezone"] = ctx.tz if "timezone" not in out else out["timezone"]
    out["source"] = source
    out["source_file"] = str(ctx.path)
    if source_row is None:
        out["source_row"] = pd.array(np.arange(1, len(out) + 1), dtype="Int64")
    else:
        out["source_row"] = pd.array(np.asarray(source_row, dtype="int64"), dtype="Int64")
    canon = [c for c in canonical_columns(table) if c in out.columns and c not in PROVENANCE[1:]]
    extra = [c for c in out.columns if c not in canon and c not in PROVENANCE]
    ordered = canon + extra + [c for c in PROVENANCE[1:] if c in out.columns]
    out = out[ordered]
    out.attrs = {"table": table, "source": source, "notes": list(ctx.notes)}
    return out


def text_column(raw: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` of a text-cell table, or empty strings when the export lacks it."""
    return raw[name] if name in raw else pd.Series("", index=raw.index, dtype="str")


def finish_rows(frame: pd.DataFrame, table: str, ctx: ReadContext, *, source: str) -> pd.DataFrame:
    """:func:`finish` a table whose ``row`` column numbers each row's place in the file.

    Parameters
    ----------
    frame : DataFrame
        The reader's rows, with a ``row`` column (the activity, track or message number from 1).
    table : str
        The canonical table name (``runs``, ``sessions``, ``strength_sets``...).
    ctx : ReadContext
        The read's context (athlete, zone, path, notes).
    source : str
        The reader's source name.

    Returns
    -------
    DataFrame
        As :func:`finish`, with ``row`` moved into ``source_row``.
    """
    return finish(
        frame.drop(columns="row"), table, ctx, source=source, source_row=frame["row"].to_numpy()
    )


def empty_table(table: str, ctx: ReadContext, *, source: str) -> pd.DataFrame:
    """A canonical table without rows (a file that feeds nothing to that table)."""
    cols = {c: pd.Series(dtype=object) for c in canonical_columns(table)}
    return finish(
        pd.DataFrame(cols), table, ctx, source=source, source_row=np.array([], dtype="int64")
    )


def result(ctx: ReadContext, source: str, tables: dict[str, pd.DataFrame]) -> ReadResult:
    """A :class:`ReadResult` whose tables all carry the final notes."""
    notes = tuple(ctx.notes)
    for name, df in tables.items():
        df.attrs = {"table": name, "source": source, "notes": list(notes)}
    return ReadResult(path=str(ctx.path), source=source, tables=tables, notes=notes)
