"""Garmin Connect's activity list export (``Activities.csv``) -> ``runs`` and ``sessions``.

Garmin Connect (web: Activities -> Export CSV) writes one row per activity. The English header
starts ``Activity Type,Date,Favorite,Title,Distance,Calories,Time,Avg HR,Max HR,...`` and ends with
``Moving Time,Elapsed Time,Min Elevation,Max Elevation``; which columns lie between depends on the
sports in the account, so columns are matched by name. The header is written in the user's
language (German ``Aktivitätstyp,Datum,...``, Spanish ``Tipo de actividad,Fecha,...``,
Portuguese ``Tipo de atividade,Data,...``); names in ``data/export_headers.csv`` are translated.

Conventions (checked on real exports in English, German, Spanish and Portuguese)
-----------------------------------------------------------------------------
- ``Date`` (``2022-04-20 06:08:34``) is the start as local wall time: read in the athlete's zone
  ``tz`` and stored in UTC.
- ``Distance`` is in the account's unit, km or miles, which the file does not state: pass
  ``distance_unit=`` (or give the athlete a ``distance_unit`` in ``athletes.csv``), else
  :class:`~soleus_analysis.MissingUnitError`. ``Total Ascent`` follows the account's system:
  metres with km, feet with miles.
- Numbers carry thousands separators (``1,825`` calories, ``1,086`` m) in every language seen:
  they are removed; ``--`` means not recorded.
- ``Time`` is the timer time, ``Moving Time`` and ``Elapsed Time`` clock durations
  (``00:58:08``, ``00:05:35.4``). A ``Moving Time`` of ``00:00:00`` (indoor activities) means not
  recorded: the timer time is the moving time then.
- ``Avg Run Cadence`` is in steps per minute.
- Runs are the activity types ``data/activity_types.csv`` names as runs (``Running``,
  ``Treadmill Running``, ``Laufen``, ``Carrera``...); an activity type it does not know is not
  taken for a run, and the notes list it. Every activity is a ``sessions`` row.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from soleus_analysis.coercion import is_missing
from soleus_analysis.parsing import decimal_mark, keep_unparsed, parse_duration, parse_number
from soleus_analysis.readers.common import (
    M_PER_UNIT,
    ReadContext,
    ReadResult,
    finish,
    missing_distance_unit,
    parse_local_times,
    result,
    text_column,
)
from soleus_analysis.readers.layout import Recognised, recognise, shown_header
from soleus_analysis.readers.sets import column_number
from soleus_analysis.readers.vocabulary import activity_kinds, fold
from soleus_analysis.textfile import TextTable, read_text_table

__all__ = ["FIELDS", "matches", "read_garmin_csv", "recognise_garmin_csv"]

SOURCE = "garmin_csv"
FT_IN_M = 0.3048
#: The English column names the reader uses.
FIELDS = (
    "Activity Type", "Date", "Favorite", "Title", "Distance", "Calories", "Time", "Avg HR",
    "Max HR", "Avg Run Cadence", "Avg Pace", "Total Ascent", "Moving Time", "Elapsed Time",
)  # fmt: skip
_REQUIRED = ("Activity Type", "Date", "Distance", "Time")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M")
_NOT_RECORDED = {"--", "—"}


def matches(header: tuple[str, ...]) -> tuple[bool, str]:
    """Whether a header (in English names) is a Garmin Connect activity export, and why not."""
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        return False, "no Garmin Connect column(s) " + ", ".join(missing)
    if "Title" not in header and "Avg HR" not in header:
        return False, "no Garmin Connect Title or Avg HR column"
    return True, ""


def recognise_garmin_csv(
    text: TextTable, *, columns: dict | None = None, path=None, use_layout: bool = True
) -> tuple[Recognised | None, str]:
    """``text`` as a Garmin Connect ``Activities.csv`` with English names, or None and why not."""
    return recognise(
        text, app=SOURCE, matches=matches, columns=columns, fields=FIELDS, path=path,
        use_layout=use_layout,
    )  # fmt: skip


def _blank_dashes(values: pd.Series) -> pd.Series:
    return values.where(~values.str.strip().isin(_NOT_RECORDED), "")


def _seconds(values: pd.Series) -> pd.Series:
    values = _blank_dashes(values)
    return keep_unparsed(parse_duration(values), values)


def read_garmin_csv(ctx: ReadContext, text: TextTable | None = None) -> ReadResult:
    """Read a Garmin Connect ``Activities.csv`` into ``runs`` and ``sessions``.

    Returns
    -------
    ReadResult
        ``runs``: ``athlete_id``, ``start`` (UTC), ``activity_name`` (``Title``), ``distance_m``
        [m], ``moving_time_s`` [s], ``elapsed_time_s`` [s], ``avg_hr_bpm``, ``max_hr_bpm``
        [beats/min], ``avg_cadence_spm`` [steps/min], ``elevation_gain_m`` [m], ``rpe``
        (missing), stream metrics (missing: no stream), ``activity_type``, then provenance
        (``source_row`` = line in the file). ``sessions``: ``start``, ``activity`` (the activity
        type in lower case), ``duration_s`` [s], ``rpe`` (missing).

    Raises
    ------
    MissingUnitError
        Distances whose unit (km or miles) was not given.
    InputError
        A file that is not a Garmin Connect activity export.
    """
    text = text or read_text_table(ctx.path, encoding=ctx.encoding)
    found, why = recognise_garmin_csv(text, columns=ctx.columns, path=ctx.path)
    if found is None:
        raise ctx.error(
            f"not a Garmin Connect activity export ({why}; header: {shown_header(text.header)})",
            fix="pass the right source= for this file, or map its columns to Garmin's English "
            "names with columns={...} (soleus: --columns)",
        )
    text = found.text
    if found.language not in (None, "en"):
        ctx.note(f"Garmin Connect export with {found.language} column names")
    ctx.notes.extend(n for n in text.notes if n not in ctx.notes)
    raw = text.frame.apply(_blank_dashes)
    rows = raw.index.to_numpy()
    raw = raw.reset_index(drop=True)
    col = partial(text_column, raw)

    start = parse_local_times(col("Date"), _DATE_FORMATS, ctx, column="start")
    kind = col("Activity Type").str.strip()
    distance = parse_number(col("Distance"), decimal=decimal_mark(col("Distance")))
    if ctx.distance_unit is None and distance.gt(0).any():
        raise missing_distance_unit(ctx, "Distance", "Garmin Connect export")
    unit = ctx.distance_unit or "km"
    if ctx.distance_unit is not None:
        ctx.note(f"'Distance' read as {unit} (given)")
    distance_m = keep_unparsed(distance * M_PER_UNIT[unit], col("Distance"))
    timer = _seconds(col("Time"))
    moving = _seconds(col("Moving Time"))
    moving_num = pd.to_numeric(moving, errors="coerce")
    timer_num = pd.to_numeric(timer, errors="coerce")
    no_moving = moving_num.eq(0) | (moving_num.isna() & is_missing(col("Moving Time")))
    if no_moving.any() and "Moving Time" in raw:
        ctx.note(
            f"{int(no_moving.sum())} activit(ies) without a moving time (00:00:00 or empty): "
            "their timer time ('Time') is used"
        )
    moving = moving.where(~no_moving.to_numpy(), timer_num)
    elapsed = _seconds(col("Elapsed Time")) if "Elapsed Time" in raw else timer
    ascent_factor = FT_IN_M if unit == "mi" else 1.0
    ascent = column_number(col("Total Ascent"))
    if unit == "mi":
        ctx.note("'Total Ascent' read as feet (the account uses miles)")
    out = pd.DataFrame(
        {
            "start": start,
            "activity_name": col("Title").replace("", None),
            "distance_m": distance_m.where(~pd.to_numeric(distance_m, errors="coerce").eq(0)),
            "moving_time_s": moving,
            "elapsed_time_s": elapsed,
            "avg_hr_bpm": column_number(col("Avg HR")),
            "max_hr_bpm": column_number(col("Max HR")),
            "avg_cadence_spm": column_number(col("Avg Run Cadence")),
            "elevation_gain_m": ascent.map(
                lambda v: v * ascent_factor if isinstance(v, float) else v
            ),
            "rpe": np.nan,
            "activity_type": kind.replace("", None),
        }
    )
    for key in ("efficiency_factor_m_per_beat", "decoupling_pct", "pace_fade_pct"):
        out[key] = np.nan
    kinds = activity_kinds(SOURCE)
    known = kind.map(fold).map(kinds)
    is_run = known.eq("run").to_numpy()
    unknown = kind.ne("") & known.isna()
    if unknown.any():
        listed = ", ".join(f"{k!r} ({v})" for k, v in kind[unknown].value_counts().head(5).items())
        ctx.note(
            f"{int(unknown.sum())} activit(ies) of a type the reader does not know ({listed}) "
            "were not taken for runs; they are sessions only"
        )
    ctx.note(
        f"{int(is_run.sum())} run(s) of {len(out)} activities; every activity is also a session"
    )
    runs = finish(out.loc[is_run], "runs", ctx, source=SOURCE, source_row=rows[is_run])
    duration = pd.to_numeric(out["moving_time_s"], errors="coerce")
    sessions = pd.DataFrame(
        {
            "start": start,
            "activity": kind.str.lower().replace("", None),
            "duration_s": duration.where(duration > 0, timer_num),
            "rpe": np.nan,
        }
    )
    sessions = finish(sessions, "sessions", ctx, source=SOURCE, source_row=rows)
    return result(ctx, SOURCE, {"runs": runs, "sessions": sessions})
