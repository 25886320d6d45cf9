"""Any CSV (lab spreadsheets) with a column mapping -> one canonical table.

``sol.read(path, source="csv", columns={...}, units={...}, table=...)``

- ``columns`` maps the file's column names to canonical names, like ``DataFrame.rename``:
  ``{"Athlete": "athlete_id", "Date": "session_start", "Load (lb)": "load_kg"}``. The reverse
  direction (canonical -> file) is accepted when every value is a column of the file.
- ``table`` names the canonical table; without it, the one table whose required columns are all
  mapped is taken.
- ``units`` gives the unit of each measure whose file column does not say it: ``{"load_kg": "lb",
  "distance_m": "km", "duration_s": "min"}``. Accepted: weights ``kg``/``lb``; distances
  ``m``/``km``/``mi``; durations ``s``/``min``/``h`` or ``clock`` (``1h 4m``, ``00:47:12``, parsed
  by :func:`soleus_analysis.parsing.parse_duration`); ``sleep_duration_h`` ``h``/``min``. A unit
  written in the file's column name (``Load (lb)``, ``dist_km``) is used when ``units`` has none;
  a file column that already has the canonical name (``load_kg``) is in the canonical unit. Any
  other measure without a unit raises :class:`~soleus_analysis.MissingUnitError`.
- Timestamps: ``units`` may give a ``strftime`` format per timestamp column (``{"session_start":
  "%d.%m.%Y %H:%M"}``); otherwise ISO 8601 is required. Times without a zone are local wall time
  in ``tz``.
- Columns that are not mapped are kept, under their own names, after the canonical ones.
"""

from __future__ import annotations

import pandas as pd

from soleus_analysis.coercion import is_missing
from soleus_analysis.errors import InputError, MissingUnitError
from soleus_analysis.parsing import keep_unparsed, parse_duration, parse_number
from soleus_analysis.readers.common import (
    KG_PER_LB,
    M_PER_UNIT,
    ReadContext,
    ReadResult,
    distance_unit_of,
    finish,
    parse_local_times,
    parse_utc_times,
    result,
    unit_in_header,
    weight_unit_of,
)
from soleus_analysis.readers.sets import number
from soleus_analysis.schemas import TABLES, get_schema
from soleus_analysis.textfile import TextTable, read_text_table

__all__ = ["read_generic"]

SOURCE = "csv"
_WEIGHT = {"load_kg"}
_DISTANCE = {"distance_m"}
_DURATION = {"duration_s", "moving_time_s", "elapsed_time_s", "session_duration_s", "rest_after_s"}
_HOURS = {"sleep_duration_h"}
_TIME_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "seconds": 1.0,
    "min": 60.0,
    "mins": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hours": 3600.0,
}


def _mapping(ctx: ReadContext, header: tuple[str, ...]) -> dict[str, str]:
    columns = ctx.columns
    if not columns:
        raise InputError(
            "a generic CSV needs a column mapping",
            path=ctx.path,
            fix="pass columns={'file column': 'canonical column', ...} (see `soleus schema`)",
        )
    if all(k in header for k in columns):
        return dict(columns)
    if all(v in header for v in columns.values()):
        return {v: k for k, v in columns.items()}
    missing = [k for k in columns if k not in header]
    raise InputError(
        f"column(s) {', '.join(map(repr, missing))} of the mapping are not in the file "
        f"(it has: {', '.join(header)})",
        path=ctx.path,
        fix="map the file's column names exactly, e.g. columns={'Date': 'session_start'}",
    )


def _table(ctx: ReadContext, canonical: set[str]) -> str:
    if ctx.table is not None:
        if ctx.table not in TABLES:
            raise InputError(
                f"unknown table {ctx.table!r}", fix=f"choose one of {', '.join(TABLES)}"
            )
        return ctx.table
    fits = _fitting_tables(canonical | {"athlete_id"})
    if len(fits) != 1:
        raise InputError(
            "cannot tell which canonical table the mapped columns form"
            + (f" (they fit {', '.join(fits)})" if fits else ""),
            path=ctx.path,
            fix="pass table='strength_sets', 'runs', 'sessions' or 'wellness'",
        )
    return fits[0]


def _fitting_tables(names: set[str]) -> list[str]:
    """Tables whose required columns are all in ``names``, the most specific first.

    ``athletes`` (which requires only ``athlete_id``) fits only when no other table does.
    """
    fits = []
    for name in TABLES:
        if name == "athlete_week":
            continue
        required = {
            c for c, col in get_schema(name).columns.items() if col.required and not col.nullable
        }
        if required <= names:
            fits.append((len(required), name))
    fits.sort(key=lambda item: -item[0])
    best = [name for n, name in fits if n == fits[0][0]] if fits else []
    return best


def _unit(canonical: str, file_col: str, ctx: ReadContext) -> str | None:
    given = (ctx.units or {}).get(canonical)
    if given is not None:
        return str(given).strip().lower()
    if file_col == canonical:
        return None  # already in the canonical unit
    return unit_in_header(file_col)


def _missing_unit(
    canonical: str, file_col: str, ctx: ReadContext, choices: str
) -> MissingUnitError:
    return MissingUnitError(
        f"column {file_col!r} (mapped to {canonical}) does not say its unit",
        path=ctx.path,
        column=file_col,
        fix=f"pass units={{'{canonical}': ...}} with one of {choices}",
    )


def _measure(
    values: pd.Series, canonical: str, file_col: str, ctx: ReadContext, dec: str
) -> pd.Series:
    unit = _unit(canonical, file_col, ctx)
    if canonical in _WEIGHT:
        w = weight_unit_of(unit) if unit else (None if file_col != canonical else "kg")
        w = w or (ctx.weight_unit if file_col != canonical else "kg")
        if w is None:
            raise _missing_unit(canonical, file_col, ctx, "'kg', 'lb'")
        ctx.note(f"{file_col!r} read as {w}" + (" and converted to kg" if w == "lb" else ""))
        return _scale(values, dec, 1.0 if w == "kg" else KG_PER_LB)
    if canonical in _DISTANCE:
        d = distance_unit_of(unit) if unit else (None if file_col != canonical else "m")
        d = d or (ctx.distance_unit if file_col != canonical else "m")
        if d is None:
            raise _missing_unit(canonical, file_col, ctx, "'m', 'km', 'mi'")
        ctx.note(f"{file_col!r} read as {d}" + (" and converted to m" if d != "m" else ""))
        return _scale(values, dec, M_PER_UNIT[d])
    if canonical in _DURATION or canonical in _HOURS:
        base = 3600.0 if canonical in _HOURS else 1.0
        if unit is None and file_col == canonical:
            return number(values, dec)
        if unit == "clock":
            seconds = parse_duration(values)
            return keep_unparsed(seconds / base, values)
        if unit not in _TIME_UNITS:
            raise _missing_unit(canonical, file_col, ctx, "'s', 'min', 'h' or 'clock'")
        ctx.note(f"{file_col!r} read as {unit}")
        return _scale(values, dec, _TIME_UNITS[unit] / base)
    return number(values, dec)


def _scale(values: pd.Series, dec: str, factor: float) -> pd.Series:
    return keep_unparsed(parse_number(values, decimal=dec) * factor, values)


def read_generic(ctx: ReadContext, text: TextTable | None = None) -> ReadResult:
    """Read a CSV with a column mapping into one canonical table (see the module docstring).

    Returns
    -------
    ReadResult
        One table, named by ``table``: the mapped canonical columns converted to canonical units,
        ``athlete_id`` (mapped, or ``athlete_id=``/file name), the unmapped columns, then
        ``timezone``, ``source`` (``csv``), ``source_file``, ``source_row``.
    """
    text = text or read_text_table(ctx.path, encoding=ctx.encoding)
    ctx.notes.extend(n for n in text.notes if n not in ctx.notes)
    mapping = _mapping(ctx, text.header)
    table = _table(ctx, set(mapping.values()))
    schema = get_schema(table)
    raw = text.frame
    rows = raw.index.to_numpy()
    raw = raw.reset_index(drop=True)
    dec = text.decimal
    out = pd.DataFrame(index=raw.index)
    for file_col, canonical in mapping.items():
        values = raw[file_col]
        col = schema.columns.get(canonical)
        dtype = str(col.dtype) if col is not None else "str"
        if dtype.startswith("datetime64"):
            fmt = (ctx.units or {}).get(canonical, "ISO8601")
            if "UTC" in dtype:
                zoned = values.str.strip().str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True)
                parse = parse_utc_times if zoned.any() else parse_local_times
                out[canonical] = parse(values, (fmt,), ctx, column=canonical)
            else:
                parsed = pd.to_datetime(
                    values.where(~is_missing(values)), format=fmt, errors="coerce"
                )
                out[canonical] = keep_unparsed(parsed.dt.normalize().dt.as_unit("us"), values)
        elif dtype in {"float64", "Int64"}:
            out[canonical] = _measure(values, canonical, file_col, ctx, dec)
        else:
            out[canonical] = values.where(~is_missing(values), None)
    for name, col in schema.columns.items():
        if col.required and col.nullable and name not in out:
            out[name] = None if str(col.dtype) in {"str", "string"} else float("nan")
    for file_col in raw.columns:
        if file_col not in mapping and file_col not in out:
            out[file_col] = raw[file_col]
    athlete = out.pop("athlete_id") if "athlete_id" in out else None
    if athlete is not None:
        ctx.notes[:] = [n for n in ctx.notes if not n.startswith("athlete_id ")]
    tz = out.pop("timezone") if "timezone" in out else None
    frame = finish(out, table, ctx, source=SOURCE, source_row=rows, athlete_id=athlete)
    if tz is not None:
        frame["timezone"] = tz.fillna(ctx.tz).to_numpy()
    ctx.note(f"generic CSV read as the {table} table")
    return result(ctx, SOURCE, {table: frame})


def canonical_source(header: tuple[str, ...], table: str | None) -> tuple[str | None, str]:
    """The canonical table whose required columns a header has (``table`` first), and why not."""
    if table:
        required = [c for c, col in get_schema(table).columns.items() if col.required]
        if all(c in header for c in required):
            return table, ""
    else:
        fits = _fitting_tables(set(header))
        if len(fits) == 1:
            return fits[0], ""
    if table:
        required = [c for c, col in get_schema(table).columns.items() if col.required]
        missing = [c for c in required if c not in header]
        return None, f"lacks the required column(s) {', '.join(missing)} of the {table} table"
    return None, "header does not hold the required columns of any canonical table"


def read_canonical(ctx: ReadContext, table: str, text: TextTable | None = None) -> ReadResult:
    """A CSV whose header already has the canonical names: cells stay text for validation.

    Decimal commas in numeric columns are turned into points; nothing else is converted.
    """
    text = text or read_text_table(ctx.path, encoding=ctx.encoding)
    ctx.notes.extend(n for n in text.notes if n not in ctx.notes)
    frame = text.frame.reset_index()
    if text.decimal == ",":
        for name, col in get_schema(table).columns.items():
            if str(col.dtype) in {"float64", "Int64"} and name in frame and name != "source_row":
                frame[name] = (
                    frame[name].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
                )
    # The athlete and the provenance come from the file itself; nothing is added that would hide
    # a missing required column from validation.
    ctx.notes[:] = [n for n in ctx.notes if not n.startswith("athlete_id ")]
    frame["source_file"] = str(ctx.path)
    if "source" not in frame:
        frame["source"] = "canonical"
    frame.attrs = {"table": table, "source": "canonical", "notes": list(ctx.notes)}
    return result(ctx, "canonical", {table: frame})
