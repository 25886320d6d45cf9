"""A Strava bulk export's ``activities.csv`` of a simulated athlete's runs (formats.md §3.1).

The header is the one of a real export (2020-era, 88 columns): ``Elapsed Time``, ``Distance``,
``Max Heart Rate``, ``Relative Effort`` and ``Commute`` appear twice. As in Strava's files the first
``Distance`` is in the athlete's display unit (km or miles, 2 decimals) and the second in metres;
the first ``Elapsed Time`` is whole seconds and the second a float; ``Activity Date`` is UTC as
locale text (``Jan 6, 2025, 7:05:03 AM`` or ``6 Jan 2025, 07:05:03``). ``Average Cadence`` is per
leg (half the steps per minute). ``Filename`` points to the run's activity file
(``activities/<id>.gpx.gz``, ``.fit.gz`` or ``.tcx.gz``) where one was written, and is empty
otherwise (manual entries, runs whose file is not included).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soleus_analysis.simulation.writers.text import M_PER_MILE, MONTHS, csv_bytes, num

__all__ = ["HEADER", "activities_bytes"]

HEADER = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,"
    "Distance,Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,Filename,"
    "Athlete Weight,Bike Weight,Elapsed Time,Moving Time,Distance,Max Speed,Average Speed,"
    "Elevation Gain,Elevation Loss,Elevation Low,Elevation High,Max Grade,Average Grade,"
    "Average Positive Grade,Average Negative Grade,Max Cadence,Average Cadence,Max Heart Rate,"
    "Average Heart Rate,Max Watts,Average Watts,Calories,Max Temperature,Average Temperature,"
    "Relative Effort,Total Work,Number of Runs,Uphill Time,Downhill Time,Other Time,"
    "Perceived Exertion,Type,Start Time,Weighted Average Power,Power Count,"
    "Prefer Perceived Exertion,Perceived Relative Effort,Commute,Total Weight Lifted,From Upload,"
    "Grade Adjusted Distance,Weather Observation Time,Weather Condition,Weather Temperature,"
    "Apparent Temperature,Dewpoint,Humidity,Weather Pressure,Wind Speed,Wind Gust,Wind Bearing,"
    "Precipitation Intensity,Sunrise Time,Sunset Time,Moon Phase,Bike,Gear,"
    "Precipitation Probability,Precipitation Type,Cloud Cover,Weather Visibility,UV Index,"
    "Weather Ozone,Jump Count,Total Grit,Average Flow,Flagged,Average Elapsed Speed,Dirt Distance,"
    "Newly Explored Distance,Newly Explored Dirt Distance,Activity Count,Total Steps,Carbon Saved,"
    "Pool Length,Training Load,Intensity,Average Grade Adjusted Pace,Timer Time,Total Cycles,Media"
).split(",")


def _date_us(t: pd.Timestamp) -> str:
    hour = t.hour % 12 or 12
    half = "AM" if t.hour < 12 else "PM"
    return f"{MONTHS[t.month - 1]} {t.day}, {t.year}, {hour}:{t.minute:02d}:{t.second:02d} {half}"


def _date_gb(t: pd.Timestamp) -> str:
    return f"{t.day} {MONTHS[t.month - 1]} {t.year}, {t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def activities_bytes(
    runs: pd.DataFrame, *, distance_unit: str, date_style: str, body_mass_kg: float
) -> bytes:
    """One athlete's runs as Strava's ``activities.csv``.

    Parameters
    ----------
    runs : DataFrame
        The runs as logged, in file order: ``activity_id``, ``start`` (UTC), ``activity_name``,
        ``distance_m``, ``moving_time_s``, ``elapsed_time_s``, ``avg_hr_bpm``, ``max_hr_bpm``,
        ``avg_cadence_spm``, ``elevation_gain_m``, ``rpe``, ``filename`` ("" without a file).
    distance_unit : {"km", "mi"}
        Display unit of the first ``Distance`` column.
    date_style : {"us", "gb"}
        ``Jan 6, 2025, 7:05:03 AM`` or ``6 Jan 2025, 07:05:03``.
    body_mass_kg : float
        ``Athlete Weight``.

    Returns
    -------
    bytes
        One data row per run, in order.
    """
    col = {name: k for k, name in reversed(list(enumerate(HEADER)))}  # first copy of a name
    second = {name: k for k, name in enumerate(HEADER)}  # last copy of a name
    stamp = _date_us if date_style == "us" else _date_gb
    per_unit = M_PER_MILE if distance_unit == "mi" else 1000.0
    rows = []
    for r in runs.itertuples(index=False):
        cells = [""] * len(HEADER)
        moving, elapsed, dist = r.moving_time_s, r.elapsed_time_s, r.distance_m
        speed = dist / moving if moving > 0 else np.nan
        cells[col["Activity ID"]] = str(r.activity_id)
        cells[col["Activity Date"]] = stamp(r.start.tz_convert("UTC"))
        cells[col["Activity Name"]] = r.activity_name
        cells[col["Activity Type"]] = "Run"
        cells[col["Elapsed Time"]] = num(elapsed, 0)
        cells[col["Distance"]] = num(dist / per_unit, 2)
        cells[col["Max Heart Rate"]] = num(r.max_hr_bpm, 1)
        cells[col["Commute"]] = "false"
        cells[col["Filename"]] = r.filename
        cells[col["Athlete Weight"]] = num(body_mass_kg, 1)
        cells[second["Elapsed Time"]] = f"{elapsed:.1f}"
        cells[col["Moving Time"]] = f"{moving:.1f}"
        cells[second["Distance"]] = f"{dist:.1f}"
        cells[col["Average Speed"]] = num(speed, 3)
        cells[col["Elevation Gain"]] = num(r.elevation_gain_m, 1)
        cells[col["Average Cadence"]] = num(r.avg_cadence_spm / 2.0, 1)
        cells[second["Max Heart Rate"]] = num(r.max_hr_bpm, 1)
        cells[col["Average Heart Rate"]] = num(r.avg_hr_bpm, 1)
        cells[col["Perceived Exertion"]] = num(r.rpe, 1)
        cells[second["Commute"]] = "0"
        cells[col["From Upload"]] = "1" if r.filename else "0"
        cells[col["Timer Time"]] = f"{moving:.1f}"
        rows.append(cells)
    return csv_bytes(HEADER, rows)
