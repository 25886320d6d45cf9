"""Record streams of simulated runs that reproduce the run's simulated metrics.

A long run of the simulated cohort carries an efficiency factor, an aerobic decoupling and a pace
fade drawn by the generating model. The activity file written for it must give back those values
when :func:`soleus_analysis.readers.streams.run_metrics` reads its stream. :func:`synthesise` builds
such a stream, following the readers' conventions (:mod:`soleus_analysis.readers.streams`):

- samples every ``sample_s`` seconds of moving time (integer seconds; the last interval may be
  shorter), plus one pause of ``elapsed - moving`` seconds without distance (a stop, below
  0.5 m/s) after the warm-up;
- speed: the run's average speed with a smooth random variation (SD about 2%), slightly slower in
  the first 10 minutes (warm-up); the intervals that start in the last quarter of moving time are
  scaled so that the pace fade (middle half against last quarter) equals the target exactly, and
  every speed is scaled so that the distance equals the run's;
- positions along a smooth random course from the athlete's home, rounded to 7 decimals of a
  degree (1.1 cm) as a GPX file stores them; the distances between consecutive samples are the
  great-circle distances between the *rounded* positions, as the GPX reader computes them;
- heart rate: over the steady intervals (moving, after the 10-minute warm-up), a linear drift
  whose time-weighted means over the first and second half of the steady intervals (split by
  count, as the reader splits them) give the target efficiency factor over the whole steady part
  and the target decoupling between the halves; smooth noise (SD 1.5 beats/min) with zero mean
  in each half is added, and the values are rounded to whole beats by error diffusion within each
  half so that each half's sum stays exact to half a beat. The warm-up ramps up from 85% of the
  starting value;
- altitude: a sum of smooth waves scaled so that the ascent is close to the run's elevation gain;
  cadence around the run's average.

Accuracy (stated in the round-trip tests): rounding positions moves each step by at most 1.6 cm,
which changes the pace fade by less than 0.01 percentage points; heart rates in whole beats change
each half's mean by at most ``0.5 / n`` beats (``n`` = intervals in the half, at least 20 for the
shortest run written), i.e. the efficiency factor by less than 0.03% and the decoupling by less
than 0.05 percentage points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soleus_analysis.readers.streams import WARMUP_S

__all__ = ["EARTH_RADIUS_M", "synthesise"]

#: Mean Earth radius [m], the one the GPX reader's haversine uses.
EARTH_RADIUS_M = 6_371_008.8
_DEG = 1e-7


def _haversine(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    lat_r, lon_r = np.radians(lat), np.radians(lon)
    dlat, dlon = np.diff(lat_r), np.diff(lon_r)
    a = np.sin(dlat / 2) ** 2 + np.cos(lat_r[:-1]) * np.cos(lat_r[1:]) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _smooth_noise(rng: np.random.Generator, n: int, sd: float, rho: float) -> np.ndarray:
    """Stationary AR(1) noise of length ``n`` with standard deviation ``sd``."""
    if n == 0:
        return np.zeros(0)
    e = rng.standard_normal(n) * sd * np.sqrt(1 - rho**2)
    out = np.empty(n)
    out[0] = rng.standard_normal() * sd
    for k in range(1, n):
        out[k] = rho * out[k - 1] + e[k]
    return out


def _diffuse_round(values: np.ndarray) -> np.ndarray:
    """Round to integers keeping the running sum within half a unit (1-D error diffusion)."""
    out = np.empty(len(values))
    carry = 0.0
    for k, v in enumerate(values):
        target = v + carry
        out[k] = np.round(target)
        carry = target - out[k]
    return out


def synthesise(
    *,
    start: pd.Timestamp,
    distance_m: float,
    moving_time_s: float,
    elapsed_time_s: float,
    avg_hr_bpm: float,
    efficiency_factor: float,
    decoupling_pct: float,
    pace_fade_pct: float,
    cadence_spm: float,
    elevation_gain_m: float,
    home: tuple[float, float],
    sample_s: int,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """A record stream whose reader-computed metrics equal the given run's.

    Parameters
    ----------
    start : Timestamp
        Start of the run (UTC).
    distance_m, moving_time_s, elapsed_time_s : float
        The run's distance [m], moving and elapsed time [s] (whole seconds).
    avg_hr_bpm : float
        Average heart rate; NaN for a run recorded without heart rate (then no heart rate is
        written and the efficiency factor and decoupling are missing).
    efficiency_factor, decoupling_pct, pace_fade_pct : float
        Targets: efficiency factor of the steady running [m/beat], aerobic decoupling [%] and
        late-run pace fade [%] (see :mod:`soleus_analysis.readers.streams`).
    cadence_spm : float
        Average cadence [steps/min].
    elevation_gain_m : float
        Total ascent to aim at [m].
    home : (float, float)
        Latitude and longitude of the start [degrees].
    sample_s : int
        Recording interval [s]; a divisor of 600 so that the warm-up ends on a sample.
    rng : numpy.random.Generator

    Returns
    -------
    DataFrame
        One row per sample: ``time`` (UTC), ``elapsed_s`` [s], ``distance_m`` [m, cumulative],
        ``speed_m_s`` [m/s, over the interval ending at the sample], ``heart_rate_bpm`` (whole
        beats, NaN without heart rate), ``altitude_m`` [m, 0.1 m], ``cadence_spm`` [steps/min,
        even: whole steps per leg], ``latitude_deg``, ``longitude_deg`` (7 decimals).
    """
    T = int(round(moving_time_s))
    grid = np.arange(0, T, sample_s, dtype=np.int64)
    tau = np.append(grid, T) if grid[-1] != T else grid
    dt = np.diff(tau).astype(float)
    n = len(dt)
    begin = tau[:-1].astype(float)  # moving time before each interval

    # Speed: smooth variation, warm-up 4% slower.
    v = 1.0 + _smooth_noise(rng, n, 0.02, 0.9)
    v = np.where(begin < WARMUP_S, 0.96 * v, v)
    mid = (begin >= 0.25 * T) & (begin < 0.75 * T)
    last = begin >= 0.75 * T
    v_mid = (v[mid] * dt[mid]).sum() / dt[mid].sum()
    v_last = (v[last] * dt[last]).sum() / dt[last].sum()
    v[last] *= v_mid / v_last / (1.0 + pace_fade_pct / 100.0)
    v *= distance_m / (v * dt).sum()
    dd = v * dt

    # Positions along a smooth course; distances as a reader computes them from 7 decimals.
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(_smooth_noise(rng, n, 0.12, 0.8))
    north, east = dd * np.cos(heading), dd * np.sin(heading)
    lat0, lon0 = home
    lat = np.concatenate([[lat0], lat0 + np.degrees(np.cumsum(north) / EARTH_RADIUS_M)])
    mid_lat = np.radians(0.5 * (lat[:-1] + lat[1:]))
    lon = np.concatenate(
        [[lon0], lon0 + np.degrees(np.cumsum(east / (EARTH_RADIUS_M * np.cos(mid_lat))))]
    )
    lat, lon = np.round(lat, 7), np.round(lon, 7)
    dd = _haversine(lat, lon)
    dist = np.concatenate([[0.0], np.cumsum(dd)])

    # Heart rate over the steady intervals (after the warm-up).
    hr = np.full(n + 1, np.nan)
    if np.isfinite(avg_hr_bpm) and np.isfinite(efficiency_factor):
        steady = np.flatnonzero(begin >= WARMUP_S)
        half = len(steady) // 2
        first, second = steady[:half], steady[half:]
        t1, t2 = dt[first].sum(), dt[second].sum()
        v1, v2 = dd[first].sum() / t1, dd[second].sum() / t2
        v_steady = (dd[first].sum() + dd[second].sum()) / (t1 + t2)
        h_mean = v_steady * 60.0 / efficiency_factor
        ratio = (v2 / v1) / (1.0 - decoupling_pct / 100.0) if np.isfinite(decoupling_pct) else 1.0
        h1 = h_mean * (t1 + t2) / (t1 + ratio * t2)
        h2 = ratio * h1
        x = begin[steady] + 0.5 * dt[steady] - begin[steady].mean()
        # Linear drift a + b x whose time-weighted half means are h1 and h2.
        x1 = (x[:half] * dt[first]).sum() / t1
        x2 = (x[half:] * dt[second]).sum() / t2
        b = (h2 - h1) / (x2 - x1)
        a = h1 - b * x1
        level = a + b * x
        noise = _smooth_noise(rng, len(steady), 1.5, 0.7)
        noise[:half] -= (noise[:half] * dt[first]).sum() / t1
        noise[half:] -= (noise[half:] * dt[second]).sum() / t2
        steady_hr = np.concatenate(
            [_diffuse_round((level + noise)[:half]), _diffuse_round((level + noise)[half:])]
        )
        warm = np.flatnonzero(begin < WARMUP_S)
        ramp = np.linspace(0.85, 1.0, len(warm) + 1)[1:] * steady_hr[0]
        hr[warm + 1] = np.round(ramp + _smooth_noise(rng, len(warm), 1.0, 0.7))
        hr[steady + 1] = steady_hr
        hr[0] = np.round(0.85 * steady_hr[0])

    # Altitude: smooth waves scaled to the ascent; cadence around the average.
    phase = dist / max(distance_m, 1.0) * 2 * np.pi
    waves = sum(np.sin(k * phase + rng.uniform(0, 2 * np.pi)) / k for k in (1, 2, 3, 5, 8))
    altitude = np.round(rng.uniform(5, 300) + _scale_ascent(waves, elevation_gain_m), 1)
    legs = (
        np.round(cadence_spm / 2.0 + _smooth_noise(rng, n + 1, 1.0, 0.8))
        if np.isfinite(cadence_spm)
        else np.full(n + 1, np.nan)
    )

    # Elapsed time: the pause after the warm-up, at a sample.
    pause = int(round(elapsed_time_s - T))
    elapsed = tau.astype(float)
    rows = np.arange(n + 1)
    if pause > 0:
        at = int(rng.integers(np.searchsorted(tau, WARMUP_S), n)) if n > 1 else n
        rows = np.insert(rows, at + 1, at)  # the sample at the pause's end repeats the position
        elapsed = np.insert(elapsed, at + 1, elapsed[at])
        elapsed[at + 1 :] += pause
    speed = np.concatenate([[np.nan], dd / dt])
    out = pd.DataFrame(
        {
            "time": start + pd.to_timedelta(elapsed, unit="s"),
            "elapsed_s": elapsed,
            "distance_m": dist[rows],
            "speed_m_s": speed[rows],
            "heart_rate_bpm": hr[rows],
            "altitude_m": altitude[rows],
            "cadence_spm": 2.0 * legs[rows],
            "latitude_deg": lat[rows],
            "longitude_deg": lon[rows],
        }
    )
    if pause > 0:
        out.loc[at + 1, "speed_m_s"] = 0.0
    return out


def _ascent(alt: np.ndarray) -> float:
    gain, ref = 0.0, alt[0]
    for a in alt[1:]:
        if a - ref >= 2.0:
            gain, ref = gain + a - ref, a
        elif ref - a >= 2.0:
            ref = a
    return gain


def _scale_ascent(waves: np.ndarray, target: float) -> np.ndarray:
    """Scale a profile so that its ascent (2 m hysteresis) is close to ``target`` [m]."""
    if not np.isfinite(target) or target < 3.0:
        return 0.0 * waves
    scale = target / max(_ascent(waves * 10.0) / 10.0, 1e-9)
    for _ in range(3):
        got = _ascent(waves * scale)
        if got <= 0:
            break
        scale *= target / got
    return waves * scale
