"""Kaplan-Meier survival curves with delayed entry, median times with R-style intervals, a plot.

Time to a first injury is a *survival* question: what share of athletes is still uninjured after
``t`` days. Data come in counting-process form, one row per interval ``(start, stop]`` of an
athlete (a row per week of the injury panel), so athletes who join the study late (delayed
entry, left truncation) are at risk only from their entry on.

Conventions (the same as R's ``survfit``, against which the tests check every number):

- At an event time ``t`` the risk set is every row with ``start < t <= stop``; ``n_risk`` counts
  them and ``n_event`` the rows with an event at ``t``. ``S(t) = prod (1 - n_event / n_risk)``.
- Greenwood: ``se(log S) = sqrt(sum n_event / (n_risk (n_risk - n_event)))``; ``std_error``
  is the standard error of ``S`` itself, ``S x se(log S)`` (R ``summary(survfit)$std.err``).
- Confidence band ``conf_type="log"`` (R's default): ``exp(log S +- z se(log S))``, capped at 1.
  ``"log-log"`` (lifelines' default, R ``conf.type = "log-log"``):
  ``S ** exp(+- z se(log S) / log S)``; ``"plain"``: ``S +- z std_error`` clipped to [0, 1].
- Median: the first time ``S(t) <= 0.5``; where ``S`` equals 0.5 exactly over an interval, the
  midpoint of that interval (R ``quantile.survfit``). Its interval: the first times the lower and
  the upper band reach 0.5 (missing when a band never does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from soleus_analysis.outcomes.base import OutcomeResult, require_columns

__all__ = ["CONF_TYPES", "SurvivalResult", "kaplan_meier", "plot_survival", "survival_curve"]

CONF_TYPES = ("log", "log-log", "plain")


def kaplan_meier(
    stop,
    event,
    start=None,
    *,
    level: float = 0.95,
    conf_type: str = "log",
) -> pd.DataFrame:
    """Kaplan-Meier estimate on counting-process intervals ``(start, stop]``.

    Parameters
    ----------
    stop : array-like of float
        End of each interval (the event or censoring time).
    event : array-like of bool or 0/1
        Whether the interval ends with the event.
    start : array-like of float, optional
        Start of each interval (entry time); default: every row is at risk from the first
        time on.
    level : float, default 0.95
    conf_type : {"log", "log-log", "plain"}, default "log"
        Transform of the confidence band (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per distinct event time: ``time``, ``n_risk``, ``n_event``, ``survival``,
        ``std_error`` (of the survival), ``ci_low``, ``ci_high``, ``cum_hazard`` (Nelson-Aalen,
        sum of n_event / n_risk).

    Examples
    --------
    >>> km = kaplan_meier([1, 2, 2, 3, 4], [1, 1, 0, 1, 0])
    >>> km[["time", "n_risk", "n_event", "survival"]].round(4).values.tolist()
    [[1.0, 5.0, 1.0, 0.8], [2.0, 4.0, 1.0, 0.6], [3.0, 2.0, 1.0, 0.3]]
    """
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type must be one of {CONF_TYPES}, got {conf_type!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    stop = np.asarray(stop, dtype=float)
    event = np.asarray(event).astype(bool)
    start = np.full(stop.shape, -np.inf) if start is None else np.asarray(start, dtype=float)
    times = np.unique(stop[event])
    # rows at risk at times[k]: lo <= k < hi
    lo = np.searchsorted(times, start, side="right")
    hi = np.searchsorted(times, stop, side="right")
    k = len(times)
    n_risk = np.cumsum(np.bincount(lo, minlength=k + 1) - np.bincount(hi, minlength=k + 1))[:k]
    n_event = np.bincount(np.searchsorted(times, stop[event]), minlength=k)[:k].astype(float)
    n_risk = n_risk.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - n_event / n_risk)
        green = np.cumsum(n_event / (n_risk * (n_risk - n_event)))
        se_log = np.sqrt(green)
        z = stats.norm.ppf(0.5 + level / 2)
        if conf_type == "log":
            low = np.exp(np.log(surv) - z * se_log)
            high = np.minimum(np.exp(np.log(surv) + z * se_log), 1.0)
        elif conf_type == "log-log":
            loglog_se = se_log / np.abs(np.log(surv))
            low = surv ** np.exp(z * loglog_se)
            high = surv ** np.exp(-z * loglog_se)
        else:
            low = np.clip(surv - z * surv * se_log, 0.0, 1.0)
            high = np.clip(surv + z * surv * se_log, 0.0, 1.0)
    dead = surv <= 0
    with np.errstate(invalid="ignore"):
        std_error = np.where(dead, np.nan, surv * se_log)
    low = np.where(dead | ~np.isfinite(low), np.nan, low)
    high = np.where(dead | ~np.isfinite(high), np.nan, high)
    return pd.DataFrame({
        "time": times,
        "n_risk": n_risk,
        "n_event": n_event,
        "survival": surv,
        "std_error": std_error,
        "ci_low": low,
        "ci_high": high,
        "cum_hazard": np.cumsum(n_event / n_risk),
    })


def _first_crossing(times: np.ndarray, curve: np.ndarray, p: float = 0.5) -> float:
    """First time a step curve reaches ``p`` (midpoint of a flat stretch exactly at ``p``)."""
    eps = 1e-10
    below = np.flatnonzero(curve <= p + eps)
    if not len(below):
        return np.nan
    first = below[0]
    if abs(curve[first] - p) < eps:
        strictly = np.flatnonzero(curve < p - eps)
        if len(strictly):
            return float((times[first] + times[strictly[0]]) / 2)
    return float(times[first])


def median_time(curve: pd.DataFrame) -> tuple[float, float, float]:
    """Median survival time and its interval from a :func:`kaplan_meier` table (R rules)."""
    t = curve["time"].to_numpy()
    med = _first_crossing(t, curve["survival"].to_numpy())
    low = _first_crossing(t, curve["ci_low"].to_numpy())
    high = _first_crossing(t, curve["ci_high"].to_numpy())
    return med, low, high


@dataclass(frozen=True)
class SurvivalResult(OutcomeResult):
    """Kaplan-Meier curves per group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group: ``term`` (``median`` or ``median[by=level]``), ``estimate`` (median
        time, in the unit of ``stop``), ``std_error`` (missing: the median's interval comes from
        the band), ``ci_low``, ``ci_high``, ``p_value`` (missing), ``per``.
    curve : pandas.DataFrame
        ``group`` and the columns of :func:`kaplan_meier`, one row per group and event time,
        each group's curve starting with a row at time 0 where the survival is 1.
    median : pandas.DataFrame
        ``group``, ``n_rows``, ``n_events``, ``median``, ``ci_low``, ``ci_high``.
    conf_type : str
    """

    curve: pd.DataFrame
    median: pd.DataFrame
    conf_type: str


def survival_curve(
    data: pd.DataFrame,
    stop: str,
    event: str,
    *,
    start: str | None = None,
    by: str | None = None,
    group: str | None = None,
    level: float = 0.95,
    conf_type: str = "log",
) -> SurvivalResult:
    """Kaplan-Meier curves of time to an event, with delayed entry, per group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per athlete, or counting-process rows ``(start, stop]`` (the injury panel).
    stop, event : str
        Columns of the interval end and of the event flag (bool or 0/1). For time to a *first*
        injury, keep each athlete's rows up to the first event (the injury panel's
        ``injury_number == 0`` rows); later rows would count recurrences.
    start : str, optional
        Column of the interval start (entry time); None: everybody enters at time 0.
    by : str, optional
        A column whose levels get separate curves (e.g. a soleus-programme group).
    group : str, optional
        Athlete column, only to count athletes (``n_athletes``).
    level : float, default 0.95
    conf_type : {"log", "log-log", "plain"}, default "log"
        ``"log"`` as R ``survfit``; lifelines uses ``"log-log"``.

    Returns
    -------
    SurvivalResult
        ``table`` (median per group), ``curve``, ``median``, ``notes``.

    Examples
    --------
    >>> d = pd.DataFrame({"days": [5, 8, 12, 20, 30, 30], "injured": [1, 1, 0, 1, 0, 0]})
    >>> r = survival_curve(d, "days", "injured")
    >>> r.median[["median", "ci_low", "ci_high"]].values.tolist()
    [[20.0, 8.0, nan]]
    """
    require_columns(data, [stop, event, start, by, group], "survival_curve")
    frame = data.loc[data[stop].notna() & data[event].notna()]
    if start is not None:
        frame = frame.loc[frame[start].notna()]
    if frame.empty:
        raise ValueError("survival_curve: no row has a stop time and an event flag")
    bad = frame.index[(frame[start] >= frame[stop])] if start is not None else []
    if len(bad):
        raise ValueError(
            f"survival_curve: {len(bad)} row(s) have start >= stop (first: row {bad[0]}); "
            "intervals must be (start, stop] with start < stop"
        )
    levels = [None] if by is None else list(pd.unique(frame[by].dropna()))
    if by is not None and not pd.api.types.is_numeric_dtype(frame[by]):
        levels = sorted(levels, key=str)
    elif by is not None:
        levels = sorted(levels)
    curves, medians, rows = [], [], []
    for lev in levels:
        part = frame if lev is None else frame.loc[frame[by] == lev]
        km = kaplan_meier(part[stop], part[event].astype(bool),
                          None if start is None else part[start], level=level,
                          conf_type=conf_type)
        med, low, high = median_time(km)
        label = "all" if lev is None else f"{by}={lev}"
        origin = pd.DataFrame({"time": [0.0], "n_risk": [np.nan], "n_event": [0.0],
                               "survival": [1.0], "std_error": [0.0], "ci_low": [1.0],
                               "ci_high": [1.0], "cum_hazard": [0.0]})
        curves.append(pd.concat([origin, km], ignore_index=True).assign(group=label))
        medians.append({"group": label, "n_rows": len(part),
                        "n_events": int(part[event].astype(bool).sum()), "median": med,
                        "ci_low": low, "ci_high": high})
        rows.append({"term": "median" if lev is None else f"median[{label}]", "estimate": med,
                     "std_error": np.nan, "ci_low": low, "ci_high": high, "p_value": np.nan,
                     "per": f"time in units of {stop}"})
    curve = pd.concat(curves, ignore_index=True)
    curve = curve[["group", *[c for c in curve.columns if c != "group"]]]
    notes = [
        "Kaplan-Meier estimate of the share still free of the event at each time; median = "
        f"first time the curve reaches 0.5; {level:.0%} intervals with the {conf_type} "
        "transform of S(t)" + (" (as R survfit)." if conf_type == "log" else "."),
    ]
    if start is not None:
        notes.append("Delayed entry: a row is at risk only on (start, stop].")
    missing = [m["group"] for m in medians if np.isnan(m["median"])]
    if missing:
        notes.append(f"No median for {', '.join(missing)}: the curve never reaches 0.5.")
    return SurvivalResult(
        table=pd.DataFrame(rows), notes=tuple(notes), raw=curve,
        n_athletes=int(frame[group].nunique()) if group else 0, n_obs=len(frame),
        curve=curve, median=pd.DataFrame(medians), conf_type=conf_type,
    )


def plot_survival(
    data: pd.DataFrame,
    *,
    x: str = "time",
    y: str = "survival",
    hue: str | None = "group",
    band: bool = True,
    low: str = "ci_low",
    high: str = "ci_high",
    xlabel: str | None = None,
    ax=None,
):
    """Step plot of Kaplan-Meier curves with their confidence bands.

    Parameters
    ----------
    data : pandas.DataFrame
        A :attr:`SurvivalResult.curve` table (or any table with these columns).
    x, y, hue, low, high : str
        Columns of time, survival, group and the band.
    band : bool, default True
        Shade the confidence band.
    xlabel : str, optional
    ax : matplotlib Axes, optional
        Drawn on a new figure when None.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    require_columns(data, [x, y, hue] + ([low, high] if band else []), "plot_survival")
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    levels = list(dict.fromkeys(data[hue])) if hue else [None]
    for lev in levels:
        part = data if lev is None else data.loc[data[hue] == lev]
        part = part.sort_values(x, kind="stable")
        (line,) = ax.step(part[x], part[y], where="post", label=None if lev is None else lev)
        if band:
            ax.fill_between(part[x], part[low].fillna(0.0), part[high].fillna(0.0), step="post",
                            alpha=0.2, color=line.get_color(), linewidth=0)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel or x)
    ax.set_ylabel("share without the event")
    if hue and len(levels) > 1:
        ax.legend(loc="best", fontsize="small", frameon=False)
    return ax
