"""Build ``runs`` and ``sessions`` rows from record streams (GPX, TCX, FIT) and summaries."""

from __future__ import annotations

import numpy as np
import pandas as pd

from soleus_analysis.readers import streams

__all__ = ["RUN_NOTE", "haversine_m", "run_row", "session_row"]

RUN_NOTE = (
    "moving time, pace, efficiency factor, decoupling and pace fade computed from the record "
    "stream (stops < 0.5 m/s and the first 10 min excluded as documented)"
)
_EARTH_RADIUS_M = 6_371_008.8


def haversine_m(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Great-circle distance [m] between consecutive points (0 for the first point).

    Examples
    --------
    >>> round(float(haversine_m(np.array([0.0, 0.0]), np.array([0.0, 1.0]))[1]))
    111195
    """
    lat_r, lon_r = np.radians(lat), np.radians(lon)
    dlat, dlon = np.diff(lat_r), np.diff(lon_r)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat_r[:-1]) * np.cos(lat_r[1:]) * np.sin(dlon / 2) ** 2
    d = 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return np.concatenate([[0.0], np.nan_to_num(d)])


def run_row(
    stream: pd.DataFrame, *, start, name, fallback_moving_time_s: float = np.nan, **recorded
) -> dict:
    """One ``runs`` row: recorded summary values where present, stream metrics otherwise.

    Parameters
    ----------
    stream : DataFrame
        The run's record stream (:mod:`soleus_analysis.readers.streams`).
    start, name
        The run's ``start`` (UTC) and ``activity_name``.
    fallback_moving_time_s : float, optional
        Moving time [s] used only when neither ``recorded`` nor the stream gives one (FIT's
        ``total_timer_time`` for a run without records).
    **recorded
        Recorded summary values by ``runs`` column (``distance_m``, ``moving_time_s``,
        ``elapsed_time_s``, ``avg_hr_bpm``, ``max_hr_bpm``, ``avg_cadence_spm``,
        ``elevation_gain_m``); missing or NaN values come from the stream.

    Returns
    -------
    dict
        ``start``, ``activity_name``, ``distance_m`` [m], ``moving_time_s`` [s],
        ``elapsed_time_s`` [s], ``avg_hr_bpm``, ``max_hr_bpm`` [beats/min], ``avg_cadence_spm``
        [steps/min], ``elevation_gain_m`` [m], ``efficiency_factor_m_per_beat`` [m/beat],
        ``decoupling_pct`` [%], ``pace_fade_pct`` [%], ``avg_pace_s_per_km`` [s/km] (moving time /
        distance), ``n_records``.
    """
    m = streams.run_metrics(stream)
    row = {"start": start, "activity_name": name}
    for key in (
        "distance_m",
        "moving_time_s",
        "elapsed_time_s",
        "avg_hr_bpm",
        "max_hr_bpm",
        "avg_cadence_spm",
        "elevation_gain_m",
    ):
        value = recorded.get(key, np.nan)
        row[key] = value if value is not None and np.isfinite(value) else m[key]
    if recorded.get("moving_time_s") is None or not np.isfinite(
        recorded.get("moving_time_s", np.nan)
    ):
        row["moving_time_s"] = m["moving_time_s"]
    if not np.isfinite(row["moving_time_s"]):
        row["moving_time_s"] = fallback_moving_time_s
    for key in ("efficiency_factor_m_per_beat", "decoupling_pct", "pace_fade_pct"):
        row[key] = m[key]
    dist, moving = row["distance_m"], row["moving_time_s"]
    row["avg_pace_s_per_km"] = (
        moving / dist * 1000.0 if np.isfinite(dist) and dist > 0 and np.isfinite(moving) else np.nan
    )
    row["n_records"] = len(stream)
    return row


def session_row(start, activity: str, duration_s: float, row: int) -> dict:
    """One ``sessions`` row of an activity file (no RPE recorded), numbered ``row`` from 1."""
    return {
        "start": start,
        "activity": activity,
        "duration_s": duration_s,
        "rpe": np.nan,
        "row": row,
    }
