"""Critical speed and D' from run streams: the physiological measure of endurance performance.

Easy-run pace depends on how easy the athlete meant to run; the best speeds an athlete can hold
for 2 to 15 minutes do not. The **mean-maximal speed** at a duration ``d`` is the fastest
average speed over any ``d`` seconds of a run (elapsed time: a stop inside the window counts).
Across an athlete's runs, the best of these form the mean-maximal curve (GoldenCheetah,
intervals.icu). Above the **critical speed** CS the athlete can cover only a fixed extra distance
**D'** before exhaustion (Hill 1993, Sports Med 16(4):237-254; Jones et al. 2010, Med Sci Sports
Exerc 42(10):1876-1890; Poole et al. 2016, Med Sci Sports Exerc 48(11):2320-2334):

- **linear distance-time model** (default): ``distance = D' + CS x duration``, ordinary least
  squares of distance on duration;
- **2-parameter hyperbolic model**: ``duration = D' / (speed - CS)``, nonlinear least squares of
  duration on speed (the form of Hill 1993).

Intervals are t intervals on ``n - 2`` degrees of freedom from the fit's residual scatter.

Which points are fitted
-----------------------
Durations from 2 to 15 minutes (``min_duration_s=120``, ``max_duration_s=900``): the two-parameter
model describes exhausting efforts of about 2-15 min; shorter ones are limited by other processes
(speed reserve, the kinetics of oxygen uptake) and longer ones fall below the hyperbola (fuel,
heat, motivation), so including them biases CS and D' (Hill 1993; Jones et al. 2010). Training
runs are rarely maximal: the curve is the best the runs *show*, a lower bound of what the athlete
*can* do (Smyth & Muniz-Pumares 2020, Med Sci Sports Exerc 52(12):2637-2645, found CS from
training data within a few percent of marathon-derived values).

Points of the mean-maximal curve at neighbouring durations usually come from the same stretch of
the same run, so they are not independent. Each run therefore contributes at most one point (an
**effort**): the duration ``d`` at which the run covered the most distance beyond critical
speed, ``argmax_d (best distance in d) - CS x d`` (its largest use of D'), kept only if that
excess distance is at least ``min_dprime_share`` (default a quarter) of D': a maximal effort
uses all of D', a tempo run a little of it, an easy run none. For a time trial of duration ``T``
(easier running before and after) the point is exactly ``T``, whatever CS between the easy and
the trial speed. CS and D' come from the fit, so points and fit are iterated until they agree,
starting from CS = the best speed over the longest duration (between the easy running around an
effort and every effort's speed, where the rule is exact), and from each run's longest duration
on the envelope of the runs' curves; the valid result with the most efforts is kept. A single
time trial gives one effort; five trials of different lengths give five. With fewer than 3
efforts there is no interval (``notes`` say so), with fewer than 2 no fit; a fit with D' or
CS <= 0 is reported as missing.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

from soleus_analysis.outcomes.base import OutcomeResult, require_columns

__all__ = [
    "CS_MODELS",
    "DEFAULT_DURATIONS_S",
    "CriticalSpeedResult",
    "critical_speed",
    "efforts",
    "fit_critical_speed",
    "mean_max_curve",
    "mean_max_speed",
    "stream_table",
]

CS_MODELS = ("linear", "hyperbolic")
#: Durations of the mean-maximal curve [s]: 2 to 15 minutes in 5-s steps.
DEFAULT_DURATIONS_S = tuple(range(120, 901, 5))


def _distance_grid(stream: pd.DataFrame) -> np.ndarray:
    """Cumulative distance [m] on a 1-s grid of elapsed time (linear interpolation)."""
    if "elapsed_s" in stream and stream["elapsed_s"].notna().all():
        t = stream["elapsed_s"].to_numpy(dtype=float)
    else:
        t = (stream["time"] - stream["time"].iloc[0]).dt.total_seconds().to_numpy(dtype=float)
    dist = pd.to_numeric(stream.get("distance_m"), errors="coerce")
    if dist is None or dist.notna().sum() < 2:
        speed = pd.to_numeric(stream.get("speed_m_s"), errors="coerce")
        if speed is None or speed.notna().sum() < 2:
            return np.array([])
        dt = np.diff(t, prepend=t[0])
        dist = pd.Series(np.cumsum(np.nan_to_num(speed.to_numpy(dtype=float)) * dt))
    d = dist.to_numpy(dtype=float)
    ok = np.isfinite(t) & np.isfinite(d)
    t, d = t[ok], d[ok]
    if len(t) < 2:
        return np.array([])
    order = np.argsort(t, kind="stable")
    t, d = t[order], np.maximum.accumulate(d[order])
    grid = np.arange(np.ceil(t[0]), np.floor(t[-1]) + 1.0)
    return np.interp(grid, t, d)


def mean_max_speed(
    stream: pd.DataFrame, *, durations: Sequence[float] = DEFAULT_DURATIONS_S
) -> pd.DataFrame:
    """Mean-maximal speed of one run at each duration.

    Parameters
    ----------
    stream : pandas.DataFrame
        A record stream (:func:`soleus_analysis.read_stream`): ``elapsed_s`` (or ``time``) and
        ``distance_m`` (cumulative; else ``speed_m_s`` is integrated).
    durations : sequence of float, default 2-15 min in 5-s steps
        Window lengths [s] (whole seconds).

    Returns
    -------
    pandas.DataFrame
        One row per duration: ``duration_s``, ``speed_m_s`` (the fastest mean speed over any
        window of that length of elapsed time; missing when the run is shorter),
        ``distance_m`` (covered in that window), ``window_start_s`` (its start, elapsed [s]).

    Examples
    --------
    >>> t = np.arange(0.0, 601.0)
    >>> d = np.where(t < 300, 3 * t, 900 + 4 * (t - 300))  # 3 m/s, then 4 m/s
    >>> s = pd.DataFrame({"elapsed_s": t, "distance_m": d})
    >>> mean_max_speed(s, durations=[60, 300, 600])["speed_m_s"].tolist()
    [4.0, 4.0, 3.5]
    """
    dist = _distance_grid(stream)
    rows = []
    for d in durations:
        d = int(round(d))
        if d < 1 or len(dist) <= d:
            rows.append((float(d), np.nan, np.nan, np.nan))
            continue
        gain = dist[d:] - dist[:-d]
        i = int(np.argmax(gain))
        rows.append((float(d), gain[i] / d, float(gain[i]), float(i)))
    return pd.DataFrame(rows, columns=["duration_s", "speed_m_s", "distance_m", "window_start_s"])


def stream_table(
    paths: Iterable[str | PathLike[str]], *, athlete_id: str = "athlete", tz: str = "UTC"
) -> pd.DataFrame:
    """Read run files (FIT, GPX, TCX) into one long table of samples with a run id.

    Parameters
    ----------
    paths : iterable of path
        Activity files of one athlete.
    athlete_id : str
        Stored in the ``athlete_id`` column.
    tz : str
        Passed to :func:`soleus_analysis.read_stream`.

    Returns
    -------
    pandas.DataFrame
        ``athlete_id``, ``run_id`` (the file name without suffix), then the stream columns.
    """
    from soleus_analysis.readers import read_stream

    parts = []
    for p in paths:
        s = read_stream(p, tz=tz)
        if len(s):
            s.insert(0, "run_id", Path(p).stem)
            s.insert(0, "athlete_id", athlete_id)
            parts.append(s)
    if not parts:
        raise ValueError("stream_table: none of the files had samples")
    return pd.concat(parts, ignore_index=True)


def mean_max_curve(
    streams: pd.DataFrame,
    *,
    group: str = "athlete_id",
    run: str = "run_id",
    durations: Sequence[float] = DEFAULT_DURATIONS_S,
) -> pd.DataFrame:
    """Mean-maximal speed of every run at every duration.

    Parameters
    ----------
    streams : pandas.DataFrame
        Samples of many runs (:func:`stream_table`): ``group``, ``run``, ``time`` (UTC) and
        ``elapsed_s`` / ``distance_m`` (or ``speed_m_s``).
    group, run : str
    durations : sequence of float

    Returns
    -------
    pandas.DataFrame
        One row per run and duration: ``group``, ``run``, ``run_start`` (first sample, UTC),
        ``duration_s``, ``speed_m_s``, ``distance_m``.
    """
    require_columns(streams, [group, run], "mean_max_curve")
    parts = []
    for (g, r), s in streams.groupby([group, run], sort=True):
        curve = mean_max_speed(s, durations=durations)
        start = s["time"].min() if "time" in s else pd.NaT
        parts.append(curve.assign(**{group: g, run: r, "run_start": start}))
    out = pd.concat(parts, ignore_index=True)
    return out[[group, run, "run_start", "duration_s", "speed_m_s", "distance_m"]]


def efforts(
    curve: pd.DataFrame,
    *,
    run: str = "run_id",
    critical_speed: float | None = None,
    d_prime: float | None = None,
    min_dprime_share: float = 0.5,
    min_duration_s: float = 120.0,
    max_duration_s: float = 900.0,
) -> pd.DataFrame:
    """One point per run (see the module docstring).

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`mean_max_curve` rows of one athlete and period.
    run : str
    critical_speed, d_prime : float, optional
        CS [m/s] and D' [m] of the D'-excess rule. None: each run's longest duration on the
        envelope (the starting points of :func:`fit_critical_speed`).
    min_dprime_share : float, default 0.5
        A run's point is kept when its distance beyond CS is at least this share of D' (of 0
        when D' is not positive).
    min_duration_s, max_duration_s : float
        Durations considered.

    Returns
    -------
    pandas.DataFrame
        ``run``, ``duration_s``, ``speed_m_s``, ``distance_m`` (speed x duration), sorted by
        duration.
    """
    part = curve.loc[curve["duration_s"].between(min_duration_s, max_duration_s)
                     & curve["speed_m_s"].notna()]
    if part.empty:
        return pd.DataFrame(columns=[run, "duration_s", "speed_m_s", "distance_m"])
    envelope = part.groupby("duration_s")["speed_m_s"].transform("max")
    if critical_speed is None:
        best = part.loc[part["speed_m_s"] >= envelope]
        points = best.sort_values("duration_s").groupby(run, sort=False).tail(1)
    else:
        excess = part["speed_m_s"] * part["duration_s"] - critical_speed * part["duration_s"]
        pick = excess.groupby(part[run]).idxmax()
        points = part.loc[pick.to_numpy()]
        floor = min_dprime_share * d_prime if d_prime is not None and d_prime > 0 else 0.0
        points = points.loc[excess.loc[points.index] > max(floor, 0.0)]
    points = points.sort_values("duration_s")
    out = points[[run, "duration_s", "speed_m_s"]].reset_index(drop=True)
    out["distance_m"] = out["speed_m_s"] * out["duration_s"]
    return out


def _fit(points: pd.DataFrame, model: str, level: float):
    """(CS, D', cov, df) of one set of efforts."""
    t = points["duration_s"].to_numpy(dtype=float)
    v = points["speed_m_s"].to_numpy(dtype=float)
    d = v * t
    n = len(t)
    if n < 2 or np.ptp(t) == 0:
        return np.nan, np.nan, np.full((2, 2), np.nan), n - 2
    X = np.column_stack([np.ones(n), t])
    coef, *_ = np.linalg.lstsq(X, d, rcond=None)
    d_prime, cs = float(coef[0]), float(coef[1])
    df = n - 2
    cov = np.full((2, 2), np.nan)
    if model == "linear":
        if df > 0:
            resid = d - X @ coef
            s2 = float(resid @ resid / df)
            inv = np.linalg.inv(X.T @ X)
            cov = s2 * np.array([[inv[1, 1], inv[1, 0]], [inv[0, 1], inv[0, 0]]])
        return cs, d_prime, cov, df
    # hyperbolic: duration = D' / (speed - CS)
    cs0 = min(cs, float(v.min()) - 1e-3)
    dp0 = max(d_prime, 1.0)

    def f(speed, c, dp):
        return dp / (speed - c)

    try:
        with warnings.catch_warnings():
            # with 2 efforts the covariance is undefined; reported as a note, not a warning
            warnings.simplefilter("ignore", optimize.OptimizeWarning)
            (cs, d_prime), pcov = optimize.curve_fit(
                f, v, t, p0=(cs0, dp0),
                bounds=([-np.inf, 0.0], [float(v.min()) - 1e-6, np.inf]), maxfev=20000)
    except (RuntimeError, ValueError):
        return np.nan, np.nan, cov, df
    if df > 0 and np.all(np.isfinite(pcov)):
        cov = pcov
    return float(cs), float(d_prime), cov, df


def _valid(points: pd.DataFrame) -> bool:
    """At least two distinct durations and a fit with CS > 0 and D' > 0."""
    if len(points) < 2 or points["duration_s"].nunique() < 2:
        return False
    cs, dp = _fit(points, "linear", 0.95)[:2]
    return bool(np.isfinite(cs) and cs > 0 and dp > 0)


def _iterate(curve, points, run, share, min_duration_s, max_duration_s) -> pd.DataFrame:
    """Efforts at the current CS and D', refitted until points and fit agree."""
    for _ in range(20):
        if len(points) < 2 or points["duration_s"].nunique() < 2:
            break
        cs_now, dp_now = _fit(points, "linear", 0.95)[:2]
        if not (np.isfinite(cs_now) and cs_now > 0):
            break
        new = efforts(curve, run=run, critical_speed=cs_now, d_prime=dp_now,
                      min_dprime_share=share, min_duration_s=min_duration_s,
                      max_duration_s=max_duration_s)
        usable = len(new) >= 2 and new["duration_s"].nunique() >= 2
        if not usable or new[[run, "duration_s"]].equals(points[[run, "duration_s"]]):
            return new if usable else points
        points = new
    return points


@dataclass(frozen=True)
class CriticalSpeedResult(OutcomeResult):
    """Critical speed and D' of one athlete and period.

    Attributes
    ----------
    table : pandas.DataFrame
        Rows ``critical_speed`` [m/s] and ``d_prime`` [m]: ``estimate``, ``std_error``,
        ``ci_low``, ``ci_high``, ``p_value`` (missing), ``per`` (units), ``df``.
    points : pandas.DataFrame
        The efforts fitted (:func:`efforts`).
    model : str
    """

    points: pd.DataFrame
    model: str


def fit_critical_speed(
    curve: pd.DataFrame,
    *,
    model: str = "linear",
    run: str = "run_id",
    min_duration_s: float = 120.0,
    max_duration_s: float = 900.0,
    min_dprime_share: float = 0.25,
    level: float = 0.95,
) -> CriticalSpeedResult:
    """Critical speed and D' from the mean-maximal curve of one athlete and period.

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`mean_max_curve` rows of the runs to use (``run``, ``duration_s``,
        ``speed_m_s``), or efforts directly (one row per run).
    model : {"linear", "hyperbolic"}, default "linear"
        See the module docstring.
    run : str
    min_duration_s, max_duration_s : float, default 120 and 900
        Durations fitted (2-15 min; see the module docstring for why).
    min_dprime_share : float, default 0.25
        A run counts as an effort when it covered at least this share of D' beyond CS.
    level : float, default 0.95

    Returns
    -------
    CriticalSpeedResult

    Examples
    --------
    >>> e = pd.DataFrame({"run_id": ["a", "b", "c", "d"], "duration_s": [180.0, 360, 600, 840],
    ...                   "speed_m_s": [4.0 + 200 / 180, 4.0 + 200 / 360, 4.0 + 200 / 600,
    ...                                 4.0 + 200 / 840]})
    >>> r = fit_critical_speed(e)
    >>> round(float(r.effect("critical_speed")["estimate"]), 3), round(float(
    ...     r.effect("d_prime")["estimate"]), 1)
    (4.0, 200.0)
    """
    if model not in CS_MODELS:
        raise ValueError(f"model must be one of {CS_MODELS}, got {model!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    require_columns(curve, [run, "duration_s", "speed_m_s"], "fit_critical_speed")
    # two starts: each run's longest duration on the envelope, and CS = the best speed over the
    # longest duration (between the easy running around an effort and every effort's own speed,
    # where the D'-excess rule is exact)
    inside = curve.loc[curve["duration_s"].between(min_duration_s, max_duration_s)
                       & curve["speed_m_s"].notna()]
    starts = [efforts(curve, run=run, min_duration_s=min_duration_s,
                      max_duration_s=max_duration_s)]
    if len(inside):
        longest = inside.loc[inside["duration_s"] == inside["duration_s"].max(), "speed_m_s"]
        starts.append(efforts(curve, run=run, critical_speed=float(longest.max()),
                              min_duration_s=min_duration_s, max_duration_s=max_duration_s))
    ends = [_iterate(curve, p, run, min_dprime_share, min_duration_s, max_duration_s)
            for p in starts]
    # candidates: (is a converged end, points); a valid one with the most efforts wins, then a
    # converged one, then the widest spread of durations
    pool = [(True, p) for p in ends] + [(False, p) for p in starts]
    pool = [c for c in pool if _valid(c[1])] or pool
    points = max(pool, key=lambda c: (len(c[1]), c[0], float(np.ptp(c[1]["duration_s"]))
                                      if len(c[1]) else 0.0))[1]
    notes = [
        f"Critical speed (CS) and D' from the {model} model on {len(points)} effort(s) of "
        f"{min_duration_s / 60:g}-{max_duration_s / 60:g} min (one per run: where it covered the "
        f"most distance beyond CS, if at least {min_dprime_share:g} x D'); t intervals on "
        "n - 2 df from the fit's scatter.",
        "Training runs are rarely maximal: CS and D' are what the runs show, a lower bound.",
    ]
    nan_row = {"estimate": np.nan, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan}
    if len(points) < 2 or points["duration_s"].nunique() < 2:
        notes.append(f"Too few efforts ({len(points)}): at least 2 runs with a best effort of "
                     f"{min_duration_s / 60:g}-{max_duration_s / 60:g} min are needed for a fit, "
                     "3 for an interval.")
        cs = dp = nan_row
        df = np.nan
    else:
        cs_est, dp_est, cov, df = _fit(points, model, level)
        se = np.sqrt(np.diag(cov)) if np.all(np.isfinite(cov)) else np.array([np.nan, np.nan])
        q = stats.t.ppf(0.5 + level / 2, df) if df > 0 else np.nan
        cs = {"estimate": cs_est, "std_error": se[0], "ci_low": cs_est - q * se[0],
              "ci_high": cs_est + q * se[0]}
        dp = {"estimate": dp_est, "std_error": se[1], "ci_low": dp_est - q * se[1],
              "ci_high": dp_est + q * se[1]}
        if df <= 0:
            notes.append("Only 2 efforts: the line passes through both; no interval.")
        elif df < 3:
            notes.append(f"Only {len(points)} efforts: the interval rests on {df} df and is wide.")
        spread = points["duration_s"].max() - points["duration_s"].min()
        if spread < 240:
            notes.append("The efforts span less than 4 minutes of duration: CS and D' are "
                         "poorly separated.")
        if not (np.isfinite(dp["estimate"]) and dp["estimate"] > 0 and cs["estimate"] > 0):
            notes.append("No valid fit (D' or CS not positive): these runs hold no set of "
                         "maximal efforts of different lengths; CS and D' are left missing.")
            cs = dp = nan_row
            df = np.nan
    table = pd.DataFrame([
        {"term": "critical_speed", **cs, "p_value": np.nan, "per": "m/s", "df": float(df)},
        {"term": "d_prime", **dp, "p_value": np.nan, "per": "m", "df": float(df)},
    ])
    return CriticalSpeedResult(table=table, notes=tuple(notes), raw=points, n_athletes=1,
                               n_obs=len(points), points=points, model=model)


def critical_speed(
    streams: pd.DataFrame,
    *,
    group: str = "athlete_id",
    run: str = "run_id",
    weeks: int = 6,
    model: str = "linear",
    tz: str = "UTC",
    min_duration_s: float = 120.0,
    max_duration_s: float = 900.0,
    durations: Sequence[float] = DEFAULT_DURATIONS_S,
    level: float = 0.95,
) -> OutcomeResult:
    """Critical speed and D' per athlete and week, from the efforts of the last ``weeks`` weeks.

    A weekly outcome table keyed like the athlete-week panel (``athlete_id``, ``week_start``):
    the value of week ``w`` uses the runs of weeks ``w - weeks + 1`` to ``w`` (rolling windows,
    so neighbouring weeks share runs and their values are correlated). Only weeks with a run get
    a row.

    Parameters
    ----------
    streams : pandas.DataFrame
        Samples of many runs (:func:`stream_table`), or a :func:`mean_max_curve` table (with
        ``run_start``).
    group, run : str
    weeks : int, default 6
        Window length [weeks].
    model : {"linear", "hyperbolic"}
    tz : str, default "UTC"
        Zone of the local dates that define the weeks.
    min_duration_s, max_duration_s, durations, level
        See :func:`fit_critical_speed` and :func:`mean_max_curve`.

    Returns
    -------
    OutcomeResult
        ``table``: rows ``critical_speed`` and ``d_prime`` per athlete-week (the columns of
        :func:`fit_critical_speed` plus ``athlete_id`` / ``group`` and ``week_start``).
        ``raw``: the panel-ready wide table: ``group``, ``week_start``,
        ``critical_speed_m_s``, ``cs_low``, ``cs_high``, ``d_prime_m``, ``d_prime_low``,
        ``d_prime_high``, ``n_efforts``, ``n_runs``.
    """
    from soleus_analysis.timeutils import local_dates, week_start

    if int(weeks) < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks!r}")
    if "duration_s" in streams.columns and "run_start" in streams.columns:
        curve = streams
    else:
        curve = mean_max_curve(streams, group=group, run=run, durations=durations)
    starts = pd.to_datetime(curve["run_start"], utc=True)
    curve = curve.assign(week_start=week_start(local_dates(starts, tz)).to_numpy())
    long_rows, wide_rows, notes = [], [], []
    few = 0
    for g, part in curve.groupby(group, sort=True):
        run_weeks = np.sort(part["week_start"].dropna().unique())
        for w in run_weeks:
            lo = w - np.timedelta64(7 * (int(weeks) - 1), "D")
            window = part.loc[(part["week_start"] >= lo) & (part["week_start"] <= w)]
            fit = fit_critical_speed(window, model=model, run=run,
                                     min_duration_s=min_duration_s,
                                     max_duration_s=max_duration_s, level=level)
            t = fit.table.set_index("term")
            few += int(len(fit.points) < 3)
            long_rows.append(fit.table.assign(**{group: g, "week_start": w}))
            wide_rows.append({
                group: g, "week_start": w,
                "critical_speed_m_s": t.loc["critical_speed", "estimate"],
                "cs_low": t.loc["critical_speed", "ci_low"],
                "cs_high": t.loc["critical_speed", "ci_high"],
                "d_prime_m": t.loc["d_prime", "estimate"],
                "d_prime_low": t.loc["d_prime", "ci_low"],
                "d_prime_high": t.loc["d_prime", "ci_high"],
                "n_efforts": len(fit.points), "n_runs": int(window[run].nunique()),
            })
    if not long_rows:
        raise ValueError("critical_speed: no run has a start time")
    table = pd.concat(long_rows, ignore_index=True)
    notes.append(
        f"Critical speed per {group} and week from the efforts of a rolling {weeks}-week window "
        f"({model} model, {min_duration_s / 60:g}-{max_duration_s / 60:g} min; see "
        "fit_critical_speed). Neighbouring weeks share runs.")
    if few:
        notes.append(f"{few} athlete-week(s) had fewer than 3 efforts: no interval there "
                     "(too few runs with a hard stretch of 2-15 min).")
    wide = pd.DataFrame(wide_rows)
    return OutcomeResult(table=table, notes=tuple(notes), raw=wide,
                         n_athletes=int(curve[group].nunique()), n_obs=len(wide))
