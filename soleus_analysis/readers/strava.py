"""Strava bulk export ``activities.csv`` -> ``runs`` and ``sessions`` (formats.md §3.1).

Columns are matched by name, never by position (Strava adds columns over time). Five names appear
twice with different units; the reader looks at the raw header and takes:

- distance: the **second** ``Distance`` (metres). With only one ``Distance`` column (older
  exports), it is in the user's display unit (km or miles), which the file does not state: pass
  ``distance_unit=``, else :class:`~soleus_analysis.MissingUnitError`.
- elapsed time: the second ``Elapsed Time`` (float seconds), else the first (integer seconds).
- maximum heart rate: the second ``Max Heart Rate``, else the first.
- ``Moving Time`` [s], ``Average Heart Rate``, ``Elevation Gain`` [m], ``Average Cadence`` (per leg
  for runs, doubled to steps/min), ``Perceived Exertion`` (Strava's 1-10 scale, taken as CR-10).

``Activity Date`` is UTC in Strava's exports (``Oct 7, 2020, 2:43:11 PM``, or ``20 Aug 2014,
17:38:32`` in some locales; one format for the whole file). The zone ``tz`` is stored in
``timezone`` for local days and weeks but does not shift the times.

Every activity gives a ``sessions`` row (``activity`` = ``Activity Type``, ``duration_s`` = moving
time, else elapsed time; ``rpe`` = ``Perceived Exertion``). Runs (``Run``, ``Trail Run``,
``Virtual Run``, ``Treadmill``) also give a ``runs`` row. When ``Filename`` points to an activity
file next to the CSV (``activities/<id>.gpx|.fit.gz|.tcx.gz``), the run's efficiency factor,
decoupling and pace fade are computed from that file's stream.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from soleus_analysis.errors import InputError
from soleus_analysis.parsing import parse_number
from soleus_analysis.readers import streams
from soleus_analysis.readers._common import (
    M_PER_UNIT,
    ReadContext,
    ReadResult,
    finish,
    missing_distance_unit,
    open_export,
    parse_utc_times,
    result,
    text_column,
)
from soleus_analysis.readers._sets import number
from soleus_analysis.readers.activity_files import read_activity_stream
from soleus_analysis.textfile import TextTable

__all__ = ["RUN_TYPES", "matches", "read_strava"]

SOURCE = "strava"
RUN_TYPES = {"run", "trail run", "virtual run", "virtualrun", "treadmill", "trailrun"}
_DATE_FORMATS = ("%b %d, %Y, %I:%M:%S %p", "%d %b %Y, %H:%M:%S")
_REQUIRED = ("Activity ID", "Activity Date", "Activity Type")


def matches(header: tuple[str, ...]) -> tuple[bool, str]:
    """Whether a header is a Strava ``activities.csv``, and why not."""
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        return False, "no Strava column(s) " + ", ".join(missing)
    return True, ""


def _second(frame: pd.DataFrame, name: str) -> pd.Series | None:
    """The second copy of a repeated column (``name.1``), else the only one."""
    if f"{name}.1" in frame:
        return frame[f"{name}.1"]
    return frame[name] if name in frame else None


def read_strava(
    ctx: ReadContext, text: TextTable | None = None, *, streams_from_files: bool = True
) -> ReadResult:
    """Read a Strava ``activities.csv`` into ``runs`` and ``sessions``.

    Parameters
    ----------
    ctx : ReadContext
    text : TextTable, optional
    streams_from_files : bool, default True
        Compute stream metrics from the activity files that ``Filename`` points to.

    Returns
    -------
    ReadResult
        ``runs``: ``athlete_id``, ``start`` (UTC), ``activity_name``, ``distance_m`` [m],
        ``moving_time_s`` [s], ``elapsed_time_s`` [s], ``avg_hr_bpm``, ``max_hr_bpm``
        [beats/min], ``avg_cadence_spm`` [steps/min], ``elevation_gain_m`` [m], ``rpe``,
        ``efficiency_factor_m_per_beat``, ``decoupling_pct``, ``pace_fade_pct`` (from the activity
        file, where there is one), ``activity_id``, ``activity_type``, ``filename``, then
        provenance. ``sessions``: ``start``, ``activity``, ``duration_s`` [s], ``rpe``,
        ``activity_id``.
    """
    text = open_export(ctx, text, matches, what="a Strava activities.csv")
    raw = text.frame
    rows = raw.index.to_numpy()
    raw = raw.reset_index(drop=True)
    dec = text.decimal

    col = partial(text_column, raw)

    start = parse_utc_times(col("Activity Date"), _DATE_FORMATS, ctx, column="start")
    ctx.note(f"Strava's Activity Date is UTC; {ctx.tz} is stored as the athlete's zone")
    kind = col("Activity Type").str.strip()
    distance = _second(raw, "Distance")
    if "Distance.1" in raw:
        distance_m = number(distance, dec)
        ctx.note("distance from the second 'Distance' column (metres)")
    elif distance is not None:
        num = parse_number(distance, decimal=dec)
        if ctx.distance_unit is None and num.gt(0).any():
            raise missing_distance_unit(
                ctx, "Distance", "Strava export (one Distance column, in display units)"
            )
        unit = ctx.distance_unit or "km"
        distance_m = num * M_PER_UNIT[unit]
        ctx.note(f"'Distance' read as {unit} (given)")
    else:
        distance_m = pd.Series(np.nan, index=raw.index)
    elapsed = _second(raw, "Elapsed Time")
    moving = number(col("Moving Time"), dec)
    out = pd.DataFrame(
        {
            "start": start,
            "activity_name": col("Activity Name").replace("", None),
            "distance_m": distance_m,
            "moving_time_s": moving,
            "elapsed_time_s": number(elapsed, dec) if elapsed is not None else np.nan,
            "avg_hr_bpm": number(col("Average Heart Rate"), dec),
            "max_hr_bpm": number(_second(raw, "Max Heart Rate"), dec)
            if "Max Heart Rate" in raw
            else np.nan,
            "avg_cadence_spm": parse_number(col("Average Cadence"), decimal=dec) * 2.0,
            "elevation_gain_m": number(col("Elevation Gain"), dec),
            "rpe": number(col("Perceived Exertion"), dec),
            "activity_id": col("Activity ID").str.strip(),
            "activity_type": kind,
            "filename": col("Filename").replace("", None),
        }
    )
    for key in ("efficiency_factor_m_per_beat", "decoupling_pct", "pace_fade_pct"):
        out[key] = np.nan
    is_run = kind.str.lower().isin(RUN_TYPES).to_numpy()
    if streams_from_files and "Filename" in raw:
        _stream_metrics(out, is_run, ctx)
    runs = finish(out.loc[is_run], "runs", ctx, source=SOURCE, source_row=rows[is_run])
    duration = pd.to_numeric(out["moving_time_s"], errors="coerce")
    duration = duration.where(duration > 0, pd.to_numeric(out["elapsed_time_s"], errors="coerce"))
    sessions = pd.DataFrame(
        {
            "start": start,
            "activity": kind.str.lower().replace("", None),
            "duration_s": duration,
            "rpe": out["rpe"],
            "activity_id": out["activity_id"],
        }
    )
    ctx.note(
        f"{int(is_run.sum())} run(s) of {len(out)} activities; every activity is also a session"
    )
    sessions = finish(sessions, "sessions", ctx, source=SOURCE, source_row=rows)
    return result(ctx, SOURCE, {"runs": runs, "sessions": sessions})


def _stream_metrics(out: pd.DataFrame, is_run: np.ndarray, ctx: ReadContext) -> None:
    folder = ctx.path.parent
    done = missing = failed = 0
    for i in np.flatnonzero(is_run):
        name = out.at[i, "filename"]
        if not isinstance(name, str) or not name.strip():
            continue
        path = folder / name.strip()
        if not path.exists():
            missing += 1
            continue
        try:
            stream = read_activity_stream(path, tz=ctx.tz)
        except InputError:
            failed += 1
            continue
        m = streams.run_metrics(stream)
        for key in ("efficiency_factor_m_per_beat", "decoupling_pct", "pace_fade_pct"):
            out.at[i, key] = m[key]
        done += 1
    if done or missing or failed:
        ctx.note(
            f"stream metrics from {done} activity file(s)"
            + (f"; {missing} file(s) named in Filename not found" if missing else "")
            + (f"; {failed} file(s) could not be read" if failed else "")
        )
