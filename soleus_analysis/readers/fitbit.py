"""Fitbit ``exercise.json`` (as in PMData) -> ``runs`` and ``sessions``.

The file is a JSON list of logged activities (``logId``, ``activityName``, ``startTime``,
``duration``, ``activeDuration``, ``averageHeartRate``, ``distance`` + ``distanceUnit``, ``steps``,
``elevationGain``, ...).

Conventions
-----------
- ``startTime`` (``2019-11-05 22:40:41``) is local wall time on the tracker: read in the athlete's
  zone ``tz`` (PMData's participants lived in Norway: ``tz="Europe/Oslo"``) and stored in UTC.
- ``duration`` and ``activeDuration`` are milliseconds: elapsed and moving time.
- ``distance`` is in ``distanceUnit`` (``Kilometer`` or ``Mile``) and converted to metres; an
  activity with a distance but no unit raises :class:`~soleus_analysis.MissingUnitError` unless
  ``distance_unit=`` is given.
- ``elevationGain`` is taken as metres (the PMData values are multiples of 0.3048 m, Fitbit's
  floor-based estimate converted to metres).
- No cadence is derived: ``steps`` is kept as logged (auto-detected runs count steps of only
  part of the activity, which gave impossible cadences below 60 steps/min in PMData).
- ``Run`` and ``Treadmill`` activities are runs (a treadmill session may be a walk: its
  ``activity_name`` says ``Treadmill`` so that an analysis can leave it out). Every activity
  (walks, rides, weights...) is a ``sessions`` row with ``rpe`` missing.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from soleus_analysis.readers.common import (
    M_PER_UNIT,
    ReadContext,
    ReadResult,
    distance_unit_of,
    finish,
    missing_distance_unit,
    parse_local_times,
    result,
)

__all__ = ["RUN_NAMES", "looks_like_exercise_json", "read_fitbit"]

SOURCE = "fitbit"
RUN_NAMES = {"run", "treadmill"}
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S",)


def looks_like_exercise_json(data: object) -> tuple[bool, str]:
    """Whether decoded JSON is a Fitbit exercise list, and why not."""
    if not isinstance(data, list):
        return False, "JSON is not a list of activities"
    if not data:
        return True, ""
    first = next((item for item in data if isinstance(item, dict)), None)
    if first is None or not {"activityName", "startTime"} <= set(first):
        return False, "JSON items lack Fitbit's activityName/startTime"
    return True, ""


def _load(ctx: ReadContext) -> list[dict]:
    raw = ctx.path.read_bytes()
    if not raw.strip():
        raise ctx.error("the file is empty", fix="export the data again")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ctx.error("not a JSON text file", fix="pass Fitbit's exercise.json") from None
    except json.JSONDecodeError as exc:
        raise ctx.error(
            f"the JSON is incomplete or damaged ({exc.msg} at line {exc.lineno}); "
            "it may be truncated",
            fix="export or copy the complete file again",
        ) from None
    ok, why = looks_like_exercise_json(data)
    if not ok:
        raise ctx.error(
            f"not a Fitbit exercise.json ({why})", fix="pass the right source= for this file"
        )
    return data


def read_fitbit(ctx: ReadContext) -> ReadResult:
    """Read a Fitbit ``exercise.json`` into ``runs`` and ``sessions``.

    Returns
    -------
    ReadResult
        ``runs``: ``athlete_id``, ``start`` (UTC), ``activity_name``, ``distance_m`` [m],
        ``moving_time_s`` [s] (active duration), ``elapsed_time_s`` [s], ``avg_hr_bpm``
        [beats/min], ``elevation_gain_m`` [m], ``steps``, ``log_id``,
        ``log_type``, then provenance (``source_row`` = position in the list, from 1).
        ``sessions``: every activity (``start``, ``activity`` = activity name in lower case,
        ``duration_s`` = active duration [s], ``rpe`` missing, ``log_id``).
    """
    data = _load(ctx)
    odd = [k + 1 for k, item in enumerate(data) if not isinstance(item, dict)]
    if odd:
        # Every item stays a row (so nothing is lost): one that is not an object has no field,
        # and validation rejects it for its missing start.
        ctx.note(
            f"{len(odd)} item(s) of the list are not activity objects (first: item {odd[0]}); "
            "kept as rows without any field so that validation rejects them"
        )
        data = [item if isinstance(item, dict) else {} for item in data]
    frame = (
        pd.DataFrame.from_records(data)
        if data
        else pd.DataFrame(columns=["activityName", "startTime"])
    )
    for name in ("activityName", "startTime"):
        if name not in frame:
            frame[name] = pd.Series(np.nan, index=frame.index, dtype=object)

    def col(name: str) -> pd.Series:
        return frame[name] if name in frame else pd.Series(np.nan, index=frame.index, dtype=object)

    def num(name: str) -> pd.Series:
        return pd.to_numeric(col(name), errors="coerce").astype("float64")

    start = parse_local_times(
        col("startTime").astype("str").where(col("startTime").notna(), ""),
        _DATE_FORMATS,
        ctx,
        column="start",
    )
    units = col("distanceUnit").map(lambda u: distance_unit_of(u) if isinstance(u, str) else None)
    dist = num("distance")
    if ctx.distance_unit is not None:
        units = units.fillna(ctx.distance_unit)
    if (dist.gt(0) & units.isna()).any():
        raise missing_distance_unit(ctx, "distance", "Fitbit activity (no distanceUnit)")
    distance_m = dist * units.map(M_PER_UNIT).astype("float64")
    active_s = num("activeDuration") / 1000.0
    elapsed_s = num("duration") / 1000.0
    name = col("activityName").astype("str")
    out = pd.DataFrame(
        {
            "start": start,
            "activity_name": name,
            "distance_m": distance_m.where(distance_m > 0),
            "moving_time_s": active_s,
            "elapsed_time_s": elapsed_s,
            "avg_hr_bpm": num("averageHeartRate"),
            "elevation_gain_m": num("elevationGain"),
            "steps": num("steps"),
            "log_id": col("logId").astype("str"),
            "log_type": col("logType"),
        }
    )
    rows = np.arange(1, len(out) + 1)
    is_run = name.str.lower().isin(RUN_NAMES).to_numpy()
    treadmill = int(name.str.lower().eq("treadmill").sum())
    ctx.note(
        f"{int(is_run.sum())} run(s) (Run, Treadmill) of {len(out)} Fitbit activities"
        + (f"; {treadmill} are Treadmill sessions (may be walks)" if treadmill else "")
    )
    ctx.note("elevationGain taken as metres; no cadence (Fitbit's step counts are not per run)")
    runs = finish(out.loc[is_run], "runs", ctx, source=SOURCE, source_row=rows[is_run])
    sessions = pd.DataFrame(
        {
            "start": start,
            "activity": name.str.lower(),
            "duration_s": active_s.where(active_s > 0, elapsed_s),
            "rpe": np.nan,
            "log_id": out["log_id"],
        }
    )
    sessions = finish(sessions, "sessions", ctx, source=SOURCE, source_row=rows)
    return result(ctx, SOURCE, {"runs": runs, "sessions": sessions})
