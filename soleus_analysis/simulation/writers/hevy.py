"""Hevy CSV exports of a simulated athlete's strength sets (formats.md §3.6).

Header (every field quoted): ``title,start_time,end_time,description,exercise_title,superset_id,
exercise_notes,set_index,set_type,weight_kg,reps,distance_km,duration_seconds,rpe``, with
``weight_lbs`` and ``distance_miles`` for athletes who use pounds. Times are local wall times to
the minute (``06 Jan 2025, 18:51``); ``end_time`` is the start plus the workout's duration.
``set_index`` counts the sets of an exercise in a workout from 0; ``set_type`` is ``normal``,
``warmup``, ``failure`` or ``dropset``. Measures that were not recorded are empty. Hevy lists the
newest workout first.
"""

from __future__ import annotations

import pandas as pd

from soleus_analysis.simulation.writers.text import (
    LB_IN_KG,
    M_PER_MILE,
    MONTHS,
    csv_bytes,
    local_times,
    num,
)

__all__ = ["hevy_bytes"]

_TYPES = {"working": "normal", "warmup": "warmup", "failure": "failure", "drop": "dropset"}


def _stamp(local: pd.Series) -> list[str]:
    return [
        f"{t.day:02d} {MONTHS[t.month - 1]} {t.year}, {t.hour:02d}:{t.minute:02d}" for t in local
    ]


def hevy_bytes(sets: pd.DataFrame, *, weight_unit: str, timezone: str) -> bytes:
    """One athlete's sets as a Hevy export.

    Parameters
    ----------
    sets : DataFrame
        The sets as logged, in file order (see :func:`.strong.strong_bytes`), with ``set_index``.
    weight_unit : {"kg", "lb"}
        ``lb`` writes ``weight_lbs`` and ``distance_miles``.
    timezone : str
        The athlete's zone.

    Returns
    -------
    bytes
        Data rows in the order of ``sets``.
    """
    lb = weight_unit == "lb"
    start = local_times(sets["session_start"], timezone)
    end = start + pd.to_timedelta(sets["session_duration_s"], unit="s")
    starts, ends = _stamp(start), _stamp(end)
    weight = sets["load_kg"].to_numpy(dtype=float) / (LB_IN_KG if lb else 1.0)
    dist = sets["distance_m"].to_numpy(dtype=float) / (M_PER_MILE if lb else 1000.0)
    header = (
        "title",
        "start_time",
        "end_time",
        "description",
        "exercise_title",
        "superset_id",
        "exercise_notes",
        "set_index",
        "set_type",
        "weight_lbs" if lb else "weight_kg",
        "reps",
        "distance_miles" if lb else "distance_km",
        "duration_seconds",
        "rpe",
    )
    rows = [
        (
            title,
            starts[k],
            ends[k],
            "",
            name,
            "",
            "",
            str(int(index)),
            _TYPES[kind],
            num(weight[k], 2),
            num(reps, 0),
            num(dist[k], 5 if lb else 3),
            num(secs, 0),
            num(rpe, 1),
        )
        for k, (title, name, index, kind, reps, secs, rpe) in enumerate(
            zip(
                sets["workout_name"],
                sets["exercise_raw"],
                sets["set_index"],
                sets["set_type"],
                sets["reps"],
                sets["duration_s"],
                sets["rpe"],
                strict=True,
            )
        )
    ]
    return csv_bytes(header, rows, quote_all=True)
