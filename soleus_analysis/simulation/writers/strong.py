"""Strong app CSV exports of a simulated athlete's strength sets, in the four variants read.

Headers as in formats.md §3.5 and §3.9 (exactly what :mod:`soleus_analysis.readers.strong`
parses):

- ``classic``: comma-separated, ``Date,Workout Name,Duration,Exercise Name,Set Order,Weight,
  Reps,Distance,Seconds,Notes,Workout Notes,RPE``; weights and distances in the athlete's units,
  which the file does not state (``athletes.csv`` gives them); ``Duration`` as ``47m`` / ``1h 4m``.
- ``german``: the classic layout with German headers, dates ``DD.MM.YYYY HH:MM:SS`` and decimal
  commas (quoted).
- ``semicolon``: ``Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;Reps;RPE;
  Distance;Distance Unit;Seconds;Notes;Workout Notes``: units on every row, no workout duration.
- ``newest``: every field quoted, semicolons, a UTF-8 byte-order mark, decimal commas,
  ``"Workout #"`` and ``"Duration (sec)"``, ``"Weight (kg)"`` or ``"Weight (lbs)"`` and
  ``"Distance (meters)"``; set markers ``WARM_UP``, ``DROP_SET``, ``FAILURE``.

Conventions Strong follows and the writer copies: working sets are numbered 1, 2, ... within an
exercise of a workout; warm-up, drop and failure sets carry a marker instead (``W``, ``D``, ``F``
in the older variants); unrecorded reps, distance and seconds are written as ``0``; a load that
was not recorded (stretches) is left empty. Dates are local wall times of the workout's start.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soleus_analysis.simulation.writers.text import (
    LB_IN_KG,
    M_PER_MILE,
    csv_bytes,
    local_times,
    num,
)

__all__ = ["VARIANTS", "has_sessions", "strong_bytes"]

VARIANTS = ("classic", "german", "semicolon", "newest")

_HEADERS = {
    "classic": (
        "Date",
        "Workout Name",
        "Duration",
        "Exercise Name",
        "Set Order",
        "Weight",
        "Reps",
        "Distance",
        "Seconds",
        "Notes",
        "Workout Notes",
        "RPE",
    ),
    "german": (
        "Datum",
        "Workout-Name",
        "Dauer",
        "Name der Übung",
        "Reihenfolge festlegen",
        "Gewicht",
        "Wiederh.",
        "Entfernung",
        "Sekunden",
        "Notizen",
        "Workout-Notizen",
        "RPE",
    ),
    "semicolon": (
        "Date",
        "Workout Name",
        "Exercise Name",
        "Set Order",
        "Weight",
        "Weight Unit",
        "Reps",
        "RPE",
        "Distance",
        "Distance Unit",
        "Seconds",
        "Notes",
        "Workout Notes",
    ),
}
_MARKERS = {"warmup": "W", "drop": "D", "failure": "F"}
_NEW_MARKERS = {"warmup": "WARM_UP", "drop": "DROP_SET", "failure": "FAILURE"}


def has_sessions(variant: str) -> bool:
    """Whether the variant states the workout's duration (the reader then gives ``sessions``)."""
    return variant != "semicolon"


def _duration_text(seconds: float) -> str:
    minutes = int(round(seconds / 60.0))
    hours, rest = divmod(minutes, 60)
    return f"{hours}h {rest}m" if hours else f"{rest}m"


def _set_orders(sets: pd.DataFrame, markers: dict[str, str]) -> list[str]:
    """Working sets numbered from 1 within an exercise of a workout; markers for the others."""
    out, counter = [], {}
    for start, name, kind, copy in zip(
        sets["session_start"],
        sets["exercise_raw"],
        sets["set_type"],
        sets["_copy_of_previous"],
        strict=True,
    ):
        if kind != "working":
            out.append(markers.get(kind, kind))
            continue
        key = (start, name)
        if copy:
            out.append(str(counter[key]))  # an exact copy repeats the set's number
            continue
        counter[key] = counter.get(key, 0) + 1
        out.append(str(counter[key]))
    return out


def strong_bytes(
    sets: pd.DataFrame, *, variant: str, weight_unit: str, distance_unit: str, timezone: str
) -> bytes:
    """One athlete's sets as a Strong export.

    Parameters
    ----------
    sets : DataFrame
        The sets as logged, in file order: ``session_start`` (UTC), ``workout_name``,
        ``exercise_raw``, ``set_type``, ``reps``, ``load_kg`` [kg], ``duration_s``, ``distance_m``,
        ``rpe``, ``session_duration_s`` and ``_copy_of_previous`` (True for a row that repeats
        the row above it exactly).
    variant : {"classic", "german", "semicolon", "newest"}
    weight_unit : {"kg", "lb"}
        Unit the file's weights are written in (stated in the header of ``newest``, on every row of
        ``semicolon``, nowhere in ``classic`` and ``german``).
    distance_unit : {"km", "mi"}
        The athlete's display unit for distances (``classic``, ``german``, ``semicolon``;
        ``newest`` writes metres).
    timezone : str
        The athlete's zone: dates are local wall times.

    Returns
    -------
    bytes
        The file; its data rows are the rows of ``sets`` in order (spreadsheet rows 2, 3, ...).
    """
    if variant not in VARIANTS:
        raise ValueError(f"unknown Strong variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    local = local_times(sets["session_start"], timezone)
    weight = sets["load_kg"].to_numpy(dtype=float) / (LB_IN_KG if weight_unit == "lb" else 1.0)
    metres = sets["distance_m"].to_numpy(dtype=float)
    dec = "," if variant in ("german", "newest") else "."
    reps = [num(r, 0, zero="0") for r in sets["reps"]]
    seconds = [num(s, 0, zero="0") for s in sets["duration_s"]]
    rpe = [num(r, 1, decimal=dec) for r in sets["rpe"]]
    names = sets["workout_name"].fillna("").astype(str).tolist()
    exercises = sets["exercise_raw"].astype(str).tolist()
    loads = [num(w, 2, decimal=dec) for w in weight]
    durations = sets["session_duration_s"].to_numpy(dtype=float)
    if variant == "newest":
        orders = _set_orders(sets, _NEW_MARKERS)
        dates = local.dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
        number = pd.factorize(sets["session_start"])[0] + 1
        header = (
            "Workout #",
            "Date",
            "Workout Name",
            "Duration (sec)",
            "Exercise Name",
            "Set Order",
            "Weight (lbs)" if weight_unit == "lb" else "Weight (kg)",
            "Reps",
            "RPE",
            "Distance (meters)",
            "Seconds",
            "Notes",
            "Workout Notes",
        )
        rows = [
            (
                str(number[k]),
                dates[k],
                names[k],
                num(durations[k], 0),
                exercises[k],
                orders[k],
                loads[k],
                reps[k],
                rpe[k],
                num(metres[k], 0, zero="0"),
                seconds[k],
                "",
                "",
            )
            for k in range(len(sets))
        ]
        return csv_bytes(header, rows, delimiter=";", quote_all=True, bom=True)
    orders = _set_orders(sets, _MARKERS)
    per_unit = M_PER_MILE if distance_unit == "mi" else 1000.0
    digits = 5 if distance_unit == "mi" else 3
    dist = [num(m / per_unit, digits, decimal=dec, zero="0") for m in metres]
    if variant == "semicolon":
        dates = local.dt.strftime("%Y-%m-%d %H:%M:%S").tolist()
        w_unit = "lbs" if weight_unit == "lb" else "kg"
        rows = [
            (
                dates[k],
                names[k],
                exercises[k],
                orders[k],
                loads[k],
                w_unit if loads[k] else "",
                reps[k],
                rpe[k],
                dist[k],
                distance_unit,
                seconds[k],
                "",
                "",
            )
            for k in range(len(sets))
        ]
        return csv_bytes(_HEADERS["semicolon"], rows, delimiter=";")
    fmt = "%d.%m.%Y %H:%M:%S" if variant == "german" else "%Y-%m-%d %H:%M:%S"
    dates = local.dt.strftime(fmt).tolist()
    rows = [
        (
            dates[k],
            names[k],
            _duration_text(durations[k]) if np.isfinite(durations[k]) else "",
            exercises[k],
            orders[k],
            loads[k],
            reps[k],
            dist[k],
            seconds[k],
            "",
            "",
            rpe[k],
        )
        for k in range(len(sets))
    ]
    return csv_bytes(_HEADERS[variant], rows)
