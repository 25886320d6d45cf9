"""Hevy CSV exports -> ``strength_sets`` (and one ``sessions`` row per workout).

Header (formats.md §3.6, all fields quoted): ``title,start_time,end_time,description,
exercise_title,superset_id,exercise_notes,set_index,set_type,weight_kg,reps,distance_km,
duration_seconds,rpe``. The units are in the column names and follow the user's preference:
``weight_kg`` or ``weight_lbs``, ``distance_km`` or ``distance_miles``; they are converted to kg
and m and the logged unit is kept in ``load_unit``.

Conventions
-----------
- ``start_time``/``end_time`` look like ``30 Nov 2024, 18:51`` (``%d %b %Y, %H:%M``): local wall
  time, read in the athlete's zone ``tz`` and stored in UTC. The workout's duration is
  ``end_time - start_time``. Hevy writes the month in the app's language (``30 nov 2024``,
  ``30 de nov. de 2024``); such dates are read by :mod:`soleus_analysis.readers.dates`, one form
  for the whole column. The column names are English in every app language.
- Numbers: the decimal mark is decided per column (a decimal comma in a comma-separated file is
  quoted: ``"62,5"``).
- ``set_type``: ``normal`` -> working, ``warmup`` -> warmup, ``failure`` -> failure, ``dropset``
  -> drop; anything else is kept as given so that validation rejects it.
- ``set_index`` counts the sets of an exercise in a workout from 0 in file order (as Hevy's own
  0-based ``set_index`` does). A row repeated cell for cell (the same set exported twice) keeps the
  index of the row it repeats, so that validation rejects it as a duplicate set.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from soleus_analysis.parsing import decimal_mark, parse_number
from soleus_analysis.readers.common import (
    ReadContext,
    ReadResult,
    finish,
    parse_local_times,
    result,
    text_column,
)
from soleus_analysis.readers.layout import Recognised, recognise, shown_header
from soleus_analysis.readers.sets import (
    column_number,
    convert_distance,
    convert_weight,
    exact_copies,
    sessions_from_sets,
    set_indices,
)
from soleus_analysis.textfile import TextTable, read_text_table

__all__ = ["FIELDS", "matches", "read_hevy", "recognise_hevy"]

SOURCE = "hevy"
_REQUIRED = ("title", "start_time", "exercise_title", "set_type", "reps")
_DATE_FORMATS = ("%d %b %Y, %H:%M",)
_SET_TYPES = {"normal": "working", "warmup": "warmup", "failure": "failure", "dropset": "drop"}
#: Hevy's column names (English in every app language).
FIELDS = (
    "title", "start_time", "end_time", "description", "exercise_title", "superset_id",
    "exercise_notes", "set_index", "set_type", "weight_kg", "weight_lbs", "reps", "distance_km",
    "distance_miles", "duration_seconds", "rpe",
)  # fmt: skip


def matches(header: tuple[str, ...]) -> tuple[bool, str]:
    """Whether a header is a Hevy export, and why not."""
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        return False, "no Hevy column(s) " + ", ".join(missing)
    if not {"weight_kg", "weight_lbs"} & set(header):
        return False, "no Hevy weight column (weight_kg or weight_lbs)"
    return True, ""


def recognise_hevy(
    text: TextTable, *, columns: dict | None = None, path=None, use_layout: bool = True
) -> tuple[Recognised | None, str]:
    """``text`` as a Hevy export, or None and why not (Hevy's names are alike in every language)."""
    return recognise(
        text, app=SOURCE, matches=matches, columns=columns, fields=FIELDS, path=path,
        use_layout=use_layout,
    )  # fmt: skip


def read_hevy(ctx: ReadContext, text: TextTable | None = None) -> ReadResult:
    """Read a Hevy CSV export into ``strength_sets`` and ``sessions``.

    Returns
    -------
    ReadResult
        ``strength_sets``: ``athlete_id``, ``session_start`` (UTC), ``workout_name`` (Hevy
        ``title``), ``exercise_raw``, ``set_index`` (from 0), ``set_type``, ``reps``, ``load_kg``
        [kg], ``load_unit`` (kg/lb as logged), ``duration_s`` [s], ``distance_m`` [m], ``rpe``,
        ``session_duration_s`` [s], ``notes`` (exercise notes), ``superset_id``, then
        ``timezone``, ``source``, ``source_file``, ``source_row``. ``sessions``: one row per
        workout (``start``, ``activity`` = ``strength``, ``duration_s`` [s]).
    """
    text = text or read_text_table(ctx.path, encoding=ctx.encoding)
    found, why = recognise_hevy(text, columns=ctx.columns, path=ctx.path)
    if found is None:
        raise ctx.error(
            f"not a Hevy export ({why}; header: {shown_header(text.header)})",
            fix="pass the right source= for this file, or map its columns to Hevy's names with "
            "columns={...} (soleus: --columns)",
        )
    text = found.text
    ctx.notes.extend(n for n in text.notes if n not in ctx.notes)
    raw = text.frame
    rows = raw.index.to_numpy()
    raw = raw.reset_index(drop=True)
    dec = text.decimal

    col = partial(text_column, raw)

    out = pd.DataFrame(index=raw.index)
    start = parse_local_times(col("start_time"), _DATE_FORMATS, ctx, column="session_start")
    end = parse_local_times(col("end_time"), _DATE_FORMATS, ctx, column="end_time")
    out["session_start"] = start
    out["workout_name"] = col("title").replace("", None)
    out["exercise_raw"] = col("exercise_title").str.strip()
    # Hevy rows carry their own set_index: a row repeated cell for cell is the same set exported
    # twice, and keeps that set's index so that validation rejects it as a duplicate.
    copies = exact_copies(raw, np.ones(len(raw), dtype=bool))
    if (copies >= 0).any():
        ctx.note(
            f"{int((copies >= 0).sum())} row(s) repeat an earlier row exactly; they keep its "
            "set_index so that validation rejects them as duplicates"
        )
    out["set_index"] = set_indices(
        pd.DataFrame({"s": col("start_time"), "t": col("title"), "e": out["exercise_raw"]}),
        ["s", "t"],
        "e",
        copies=copies,
    )
    kind = col("set_type").str.strip().str.lower()
    out["set_type"] = kind.map(_SET_TYPES).fillna(col("set_type")).to_numpy()
    out["reps"] = column_number(col("reps"), dec)
    w_name, w_unit = ("weight_kg", "kg") if "weight_kg" in raw else ("weight_lbs", "lb")
    units = pd.Series(w_unit, index=raw.index)
    w_dec = decimal_mark(col(w_name), default=dec)
    out["load_kg"] = convert_weight(col(w_name), units, w_dec)
    out["load_unit"] = units.where(parse_number(col(w_name), decimal=w_dec).notna())
    ctx.note(
        f"weights from column {w_name!r}" + (" converted from lb to kg" if w_unit == "lb" else "")
    )
    if "distance_km" in raw or "distance_miles" in raw:
        d_name, d_unit = ("distance_km", "km") if "distance_km" in raw else ("distance_miles", "mi")
        out["distance_m"] = convert_distance(
            col(d_name),
            pd.Series(d_unit, index=raw.index),
            decimal_mark(col(d_name), default=dec),
        )
        ctx.note(f"distances from column {d_name!r} converted to m")
    else:
        out["distance_m"] = np.nan
    out["duration_s"] = column_number(col("duration_seconds"), dec)
    out["rpe"] = column_number(col("rpe"), dec)
    both = pd.api.types.is_datetime64_any_dtype(start) and pd.api.types.is_datetime64_any_dtype(end)
    out["session_duration_s"] = (end - start).dt.total_seconds() if both else np.nan
    out["notes"] = col("exercise_notes").replace("", None)
    out["superset_id"] = col("superset_id").replace("", None)
    out["description"] = col("description").replace("", None)
    sets = finish(out, "strength_sets", ctx, source=SOURCE, source_row=rows)
    frame = sessions_from_sets(sets, ctx)
    srows = frame.attrs.pop("source_row", np.arange(1, len(frame) + 1))
    sessions = finish(frame, "sessions", ctx, source=SOURCE, source_row=srows)
    return result(ctx, SOURCE, {"strength_sets": sets, "sessions": sessions})
