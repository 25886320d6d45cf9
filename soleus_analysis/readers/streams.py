"""Per-run metrics from a record stream: moving time, pace, efficiency factor, decoupling, fade.

A *stream* is one run's samples as a DataFrame with the columns of :data:`STREAM_COLUMNS`:
``time`` (UTC), ``elapsed_s``, ``distance_m`` (cumulative), ``speed_m_s``, ``heart_rate_bpm``,
``altitude_m``, ``cadence_spm`` (steps per minute, both feet). Missing measures are NaN.

Conventions (docs/methods.md §4.9, after Friel and GoldenCheetah's ``AerobicDecoupling.cpp``)
--------------------------------------------------------------------------------------
The stream is cut into *intervals* between consecutive samples. Interval *i* lasts
``dt = time[i] - time[i-1]``, covers ``dd = distance[i] - distance[i-1]`` (or ``speed[i] * dt``
when the stream has no distance) and carries the heart rate of sample *i*.

- **Moving**: an interval whose average speed ``dd / dt`` is at least :data:`STOP_SPEED_M_S`
  (0.5 m/s = 1.8 km/h). Stops and auto-pauses (no distance over a long ``dt``) are not moving.
- **Moving time** [s]: the sum of ``dt`` over moving intervals. **Average pace** [s/km]: moving
  time / moving distance x 1000.
- **Warm-up**: the first :data:`WARMUP_S` (10 minutes) of moving time are excluded from the
  efficiency factor and the decoupling.
- **Steady running**: moving intervals after the warm-up with a heart rate > 0.
- **Efficiency factor** EF [m/beat]: mean speed [m/min] / mean heart rate [beats/min] over the
  steady intervals, both time-weighted (mean speed = distance / time).
- **Aerobic decoupling** Pa:HR [%]: the steady intervals are split at half their count;
  ``100 * (EF_first - EF_second) / EF_first``. Positive = heart rate drifted up relative to speed.
  Below 5 % is conventionally "coupled". Needs at least :data:`MIN_DECOUPLING_S` (20 minutes) of
  steady running, else NaN.
- **Pace fade** [%]: moving time is cut into quarters; speed (distance / time) of the middle half
  (25-75 %) against the last quarter (75-100 %): ``100 * (v_middle / v_last - 1)``, i.e. the
  slowdown of the last quarter in pace. Positive = slower at the end. Needs at least
  :data:`MIN_FADE_S` (20 minutes) of moving time, else NaN.

No grade adjustment is applied (the streams here have no reliable grade); hilly runs bias EF
and fade, which is stated here rather than corrected silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "MIN_DECOUPLING_S",
    "MIN_EF_S",
    "MIN_FADE_S",
    "STOP_SPEED_M_S",
    "STREAM_COLUMNS",
    "WARMUP_S",
    "concat",
    "decoupling_pct",
    "efficiency_factor",
    "elevation_gain_m",
    "empty_stream",
    "intervals",
    "moving_time_s",
    "pace_fade_pct",
    "run_metrics",
]

STREAM_COLUMNS = (
    "time",
    "elapsed_s",
    "distance_m",
    "speed_m_s",
    "heart_rate_bpm",
    "altitude_m",
    "cadence_spm",
)
#: An interval slower than this average speed is a stop [m/s].
STOP_SPEED_M_S = 0.5
#: Moving time at the start of a run treated as warm-up and left out of EF and decoupling [s].
WARMUP_S = 600.0
#: Least steady running for an efficiency factor [s].
MIN_EF_S = 300.0
#: Least steady running for a decoupling [s].
MIN_DECOUPLING_S = 1200.0
#: Least moving time for a pace fade [s].
MIN_FADE_S = 1200.0
#: Altitude change ignored as noise when summing the ascent [m].
ELEVATION_HYSTERESIS_M = 2.0


def empty_stream() -> pd.DataFrame:
    """A stream without samples, with the stream columns and dtypes."""
    out = pd.DataFrame({c: pd.Series(dtype="float64") for c in STREAM_COLUMNS[1:]})
    out.insert(0, "time", pd.Series(dtype="datetime64[us, UTC]"))
    return out


def concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """One stream from the streams of several activities, timed from the first sample.

    Parameters
    ----------
    parts : list of DataFrame
        Streams in file order; empty ones are skipped.

    Returns
    -------
    DataFrame
        The samples of all parts in order, with the parts' columns; ``elapsed_s`` [s] counts from
        the first sample of the first non-empty part. :func:`empty_stream` when all are empty.

    Examples
    --------
    >>> t = pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:01"], utc=True)
    >>> a = pd.DataFrame({"time": t, "elapsed_s": [0.0, 60.0]})
    >>> b = pd.DataFrame({"time": t + pd.Timedelta("1h"), "elapsed_s": [0.0, 60.0]})
    >>> concat([a, empty_stream(), b])["elapsed_s"].tolist()
    [0.0, 60.0, 3600.0, 3660.0]
    """
    parts = [p for p in parts if not p.empty]
    if not parts:
        return empty_stream()
    out = pd.concat(parts, ignore_index=True)
    out["elapsed_s"] = (out["time"] - out["time"].iloc[0]).dt.total_seconds()
    return out


@dataclass(frozen=True)
class _Intervals:
    """The columns of :func:`intervals` as arrays (the metrics work on arrays, not on frames)."""

    dt_s: np.ndarray
    dd_m: np.ndarray
    hr_bpm: np.ndarray
    moving: np.ndarray
    moving_before_s: np.ndarray
    steady: np.ndarray

    def __len__(self) -> int:
        return len(self.dt_s)

    def rows(self, keep: np.ndarray | slice) -> _Intervals:
        """The intervals selected by a boolean mask or a slice."""
        return _Intervals(
            self.dt_s[keep],
            self.dd_m[keep],
            self.hr_bpm[keep],
            self.moving[keep],
            self.moving_before_s[keep],
            self.steady[keep],
        )


def intervals(stream: pd.DataFrame) -> pd.DataFrame:
    """The intervals between consecutive samples, with the moving and steady flags.

    Parameters
    ----------
    stream : DataFrame
        A stream (see the module docstring); rows in time order.

    Returns
    -------
    DataFrame
        One row per interval: ``dt_s`` [s], ``dd_m`` [m], ``hr_bpm`` (heart rate at the interval's
        end) [beats/min], ``moving`` (bool), ``moving_before_s`` (moving time before the interval)
        [s], ``steady`` (bool: moving, after the warm-up, heart rate > 0).

    Examples
    --------
    >>> s = pd.DataFrame({"elapsed_s": [0.0, 10, 20, 80], "distance_m": [0.0, 30, 60, 61],
    ...                   "heart_rate_bpm": [100.0, 120, 130, 110]})
    >>> intervals(s)[["dt_s", "dd_m", "moving"]].values.tolist()
    [[10.0, 30.0, True], [10.0, 30.0, True], [60.0, 1.0, False]]
    """
    iv = _interval_arrays(stream)
    return pd.DataFrame(
        {
            "dt_s": iv.dt_s,
            "dd_m": iv.dd_m,
            "hr_bpm": iv.hr_bpm,
            "moving": iv.moving,
            "moving_before_s": iv.moving_before_s,
            "steady": iv.steady,
        }
    )


def _interval_arrays(stream: pd.DataFrame) -> _Intervals:
    """:func:`intervals` as arrays."""
    n = len(stream)
    elapsed = stream["elapsed_s"].to_numpy() if "elapsed_s" in stream else None
    if elapsed is not None and not pd.isna(elapsed).any():
        t = elapsed.astype("float64", copy=False)
    else:
        times = stream["time"]
        t = ((times - times.iloc[0]).dt.total_seconds()).to_numpy(dtype="float64")
    dt = np.diff(t) if n > 1 else np.array([])
    dist = _col(stream, "distance_m")
    if n > 1 and np.isfinite(dist).sum() >= 2:
        filled = _forward_filled(dist)
        filled[np.isnan(filled)] = 0.0  # before the first distance
        dd = np.diff(filled)
    else:
        dd = np.nan_to_num(_col(stream, "speed_m_s")[1:]) * dt if n > 1 else np.array([])
    hr = _col(stream, "heart_rate_bpm")[1:] if n > 1 else np.array([])
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(dt > 0, dd / dt, 0.0)
    moving = (dt > 0) & (v >= STOP_SPEED_M_S)
    moving_dt = np.where(moving, dt, 0.0)
    before = np.concatenate([[0.0], np.cumsum(moving_dt)[:-1]]) if len(dt) else np.array([])
    steady = moving & (before >= WARMUP_S) & np.isfinite(hr) & (hr > 0)
    return _Intervals(dt, dd, hr, moving, before, steady)


def _forward_filled(values: np.ndarray) -> np.ndarray:
    """NaNs replaced by the last value before them (leading NaNs stay NaN), like ``ffill``."""
    position = np.where(np.isnan(values), 0, np.arange(len(values)))
    return values[np.maximum.accumulate(position)]


def _sum(values: np.ndarray) -> float:
    """Sum skipping NaN, as pandas' ``Series.sum`` does (NaN counted as 0 in the same order)."""
    missing = np.isnan(values)
    return (np.where(missing, 0.0, values) if missing.any() else values).sum()


def _col(stream: pd.DataFrame, name: str) -> np.ndarray:
    if name not in stream:
        return np.full(len(stream), np.nan)
    column = stream[name]
    if column.dtype == np.float64:  # the readers' streams: no conversion needed
        return column.to_numpy()
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype="float64")


def moving_time_s(stream: pd.DataFrame) -> float:
    """Moving time [s]: the time spent in intervals at or above :data:`STOP_SPEED_M_S`.

    Examples
    --------
    >>> s = pd.DataFrame({"elapsed_s": [0.0, 10, 20, 80], "distance_m": [0.0, 30, 60, 61]})
    >>> moving_time_s(s)
    20.0
    """
    iv = _interval_arrays(stream)
    return float(_sum(iv.dt_s[iv.moving])) if len(iv) else np.nan


def _ef(iv: _Intervals) -> float:
    """EF of a set of intervals: (distance/time in m/min) / time-weighted mean HR."""
    dt = iv.dt_s
    total = dt.sum()
    if total <= 0:
        return np.nan
    speed_m_min = _sum(iv.dd_m) / total * 60.0
    hr = (iv.hr_bpm * dt).sum() / total
    return float(speed_m_min / hr) if hr > 0 else np.nan


def efficiency_factor(stream: pd.DataFrame) -> float:
    """Efficiency factor [m/beat] of the steady running (warm-up and stops excluded).

    Mean speed [m/min] over mean heart rate [beats/min], both time-weighted; NaN without heart
    rate or with less than :data:`MIN_EF_S` of steady running.

    Examples
    --------
    >>> # 30 min at 3 m/s and 150 bpm, 1 Hz: EF = 180 m/min / 150 bpm
    >>> t = np.arange(1801.0)
    >>> s = pd.DataFrame({"elapsed_s": t, "distance_m": 3.0 * t, "heart_rate_bpm": 150.0})
    >>> efficiency_factor(s)
    1.2
    """
    return _efficiency_factor(_interval_arrays(stream))


def _efficiency_factor(iv: _Intervals) -> float:
    steady = iv.rows(iv.steady)
    if _sum(steady.dt_s) < MIN_EF_S:
        return np.nan
    return _ef(steady)


def decoupling_pct(stream: pd.DataFrame) -> float:
    """Aerobic decoupling Pa:HR [%] of the steady running, split at half its intervals.

    ``100 * (EF_first_half - EF_second_half) / EF_first_half``; NaN with less than
    :data:`MIN_DECOUPLING_S` of steady running or without heart rate.
    """
    return _decoupling_pct(_interval_arrays(stream))


def _decoupling_pct(iv: _Intervals) -> float:
    steady = iv.rows(iv.steady)
    if _sum(steady.dt_s) < MIN_DECOUPLING_S:
        return np.nan
    half = len(steady) // 2
    ef1, ef2 = _ef(steady.rows(slice(None, half))), _ef(steady.rows(slice(half, None)))
    if not np.isfinite(ef1) or not np.isfinite(ef2) or ef1 == 0:
        return np.nan
    return float(100.0 * (ef1 - ef2) / ef1)


def pace_fade_pct(stream: pd.DataFrame) -> float:
    """Late-run pace fade [%]: slowdown of the last quarter of moving time against the middle half.

    ``100 * (v_middle / v_last - 1)`` where each speed is distance / moving time of its part; an
    interval belongs to the part in which it starts. Positive = slower at the end. NaN with less
    than :data:`MIN_FADE_S` of moving time.
    """
    return _pace_fade_pct(_interval_arrays(stream))


def _pace_fade_pct(iv: _Intervals) -> float:
    mv = iv.rows(iv.moving)
    total = _sum(mv.dt_s)
    if total < MIN_FADE_S:
        return np.nan
    start = mv.moving_before_s
    mid = mv.rows((start >= 0.25 * total) & (start < 0.75 * total))
    last = mv.rows(start >= 0.75 * total)
    if _sum(mid.dt_s) <= 0 or _sum(last.dt_s) <= 0:
        return np.nan
    v_mid = _sum(mid.dd_m) / _sum(mid.dt_s)
    v_last = _sum(last.dd_m) / _sum(last.dt_s)
    if v_last <= 0:
        return np.nan
    return float(100.0 * (v_mid / v_last - 1.0))


def elevation_gain_m(altitude: pd.Series | np.ndarray) -> float:
    """Total ascent [m], ignoring changes smaller than :data:`ELEVATION_HYSTERESIS_M` (noise).

    Examples
    --------
    >>> elevation_gain_m(np.array([100.0, 101, 100, 105, 104, 110]))
    10.0
    """
    alt = np.asarray(altitude, dtype="float64")
    alt = alt[np.isfinite(alt)]
    if len(alt) < 2:
        return np.nan
    values = alt.tolist()  # Python floats: the loop is several times faster than over numpy's
    gain, ref = 0.0, values[0]
    for a in values[1:]:
        if a - ref >= ELEVATION_HYSTERESIS_M:
            gain += a - ref
            ref = a
        elif ref - a >= ELEVATION_HYSTERESIS_M:
            ref = a
    return float(gain)


def run_metrics(stream: pd.DataFrame) -> dict[str, float]:
    """All per-run metrics of one stream.

    Returns
    -------
    dict
        ``distance_m`` [m] (last cumulative distance, or the sum of interval distances),
        ``moving_time_s`` [s], ``elapsed_time_s`` [s], ``avg_pace_s_per_km`` [s/km] (moving),
        ``avg_hr_bpm`` and ``max_hr_bpm`` [beats/min] (time-weighted over moving intervals; max over
        samples), ``avg_cadence_spm`` [steps/min] (moving samples), ``elevation_gain_m`` [m],
        ``efficiency_factor_m_per_beat`` [m/beat], ``decoupling_pct`` [%], ``pace_fade_pct`` [%].
        NaN where the stream lacks what a metric needs.
    """
    out = dict.fromkeys(
        (
            "distance_m",
            "moving_time_s",
            "elapsed_time_s",
            "avg_pace_s_per_km",
            "avg_hr_bpm",
            "max_hr_bpm",
            "avg_cadence_spm",
            "elevation_gain_m",
            "efficiency_factor_m_per_beat",
            "decoupling_pct",
            "pace_fade_pct",
        ),
        np.nan,
    )
    if len(stream) < 2:
        return out
    iv = _interval_arrays(stream)
    mv = iv.rows(iv.moving)
    dist = _col(stream, "distance_m")
    out["distance_m"] = float(np.nanmax(dist)) if np.isfinite(dist).any() else float(_sum(iv.dd_m))
    moving = float(_sum(mv.dt_s))
    out["moving_time_s"] = moving if moving > 0 else np.nan
    out["elapsed_time_s"] = float(_sum(iv.dt_s)) or np.nan
    if moving > 0 and _sum(mv.dd_m) > 0:
        out["avg_pace_s_per_km"] = moving / _sum(mv.dd_m) * 1000.0
    hr_ok = mv.rows(np.isfinite(mv.hr_bpm) & (mv.hr_bpm > 0))
    if _sum(hr_ok.dt_s) > 0:
        out["avg_hr_bpm"] = float(_sum(hr_ok.hr_bpm * hr_ok.dt_s) / _sum(hr_ok.dt_s))
    hr = _col(stream, "heart_rate_bpm")
    if np.isfinite(hr).any() and np.nanmax(hr) > 0:
        out["max_hr_bpm"] = float(np.nanmax(hr))
    cad = _col(stream, "cadence_spm")[1:][iv.moving]
    cad = cad[np.isfinite(cad) & (cad > 0)]
    if len(cad):
        out["avg_cadence_spm"] = float(cad.mean())
    out["elevation_gain_m"] = elevation_gain_m(_col(stream, "altitude_m"))
    # The intervals are computed once and shared by the three stream metrics.
    out["efficiency_factor_m_per_beat"] = _efficiency_factor(iv)
    out["decoupling_pct"] = _decoupling_pct(iv)
    out["pace_fade_pct"] = _pace_fade_pct(iv)
    return out
