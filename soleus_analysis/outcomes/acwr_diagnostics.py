"""Diagnostics for the acute:chronic workload ratio (ACWR) before anyone reads it as injury risk.

The ACWR divides the last week's load by the last month's. Three problems are well documented
(docs/methods.md section 4.6):

1. **Coupling.** The coupled chronic window contains the acute week, so acute and chronic load
   correlate even when every day's load is independent: about ``sqrt(7 / 28) = 0.5`` for 7- and
   28-day windows (Lolli et al. 2019, Br J Sports Med 53:921-922). :func:`acwr_coupling` puts
   the coupled and uncoupled ratios side by side with that correlation and its value expected
   from coupling alone.
2. **The denominator.** An association of the ratio with injury can come from the numerator
   alone: Impellizzeri et al. (2020, Sports Med 51:581-592) divided the acute load by *random*
   chronic loads and found injury associations as strong as with the real ones.
   :func:`acwr_random_denominator` repeats that test on your data: it replaces the chronic
   loads by random ones (permuted within each athlete, or drawn uniformly over their range), refits
   the association each time and compares the real ratio's association with that null
   distribution. An association inside the random-denominator distribution says nothing about
   the chronic load; one beyond it is still no proof (a smooth real chronic load is a better
   denominator than a random one even when only the acute load matters).
3. **Arbitrary windows.** 7 and 28 days are conventions. :func:`acwr_window_sensitivity` refits the
   association for a grid of acute and chronic windows: an effect that appears for one pair of
   windows only is a forking path.

The association itself is by default a Poisson regression of the outcome (e.g. an injury onset
on the day, 0/1, or a count) on the load metric of the day before (``lag_days=1``: an injury
lowers that day's load), reported as the log rate ratio per +1 unit of the metric (per 0.1 of a
ratio with ``step=0.1``); pass ``estimator`` for another one. Model acute and chronic load as
separate terms instead of a ratio (Wang et al. 2020, Sports Med 50:1243-1254):
:func:`soleus_analysis.fit_time_to_injury` takes them as covariates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from soleus_analysis.loads import acute_chronic
from soleus_analysis.models.result import wald_columns
from soleus_analysis.outcomes.base import OutcomeResult, require_columns

__all__ = [
    "AcwrNullResult",
    "acwr_coupling",
    "acwr_random_denominator",
    "acwr_window_sensitivity",
    "poisson_slope",
]


def poisson_slope(y: np.ndarray, x: np.ndarray, offset: np.ndarray | None = None,
                  max_iter: int = 50) -> tuple[float, float]:
    """Slope and model SE of a Poisson regression ``log E[y] = a + b x (+ offset)`` (Newton).

    A small, fast fit for the thousands of refits of the null distribution. Returns NaNs when
    there is no event or no variation in ``x``.

    Examples
    --------
    >>> b, se = poisson_slope(np.array([0, 1, 0, 2, 3, 1]), np.array([0.0, 1, 0, 2, 2, 1]))
    >>> round(b, 4), round(se, 4)  # R: glm(y ~ x, family = poisson)
    (1.3863, 0.6908)
    """
    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    off = np.zeros_like(y) if offset is None else np.asarray(offset, dtype=float)
    if y.sum() <= 0 or np.ptp(x) == 0:
        return np.nan, np.nan
    xm = x.mean()
    xc = x - xm
    X = np.column_stack([np.ones_like(xc), xc])
    beta = np.array([np.log(y.mean()) - off.mean(), 0.0])
    for _ in range(max_iter):
        mu = np.exp(np.clip(X @ beta + off, -700, 700))
        grad = X.T @ (y - mu)
        info = (X * mu[:, None]).T @ X
        try:
            step = np.linalg.solve(info, grad)
        except np.linalg.LinAlgError:
            return np.nan, np.nan
        beta = beta + step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = np.exp(np.clip(X @ beta + off, -700, 700))
    info = (X * mu[:, None]).T @ X
    try:
        var = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return float(beta[1]), np.nan
    return float(beta[1]), float(np.sqrt(var[1, 1]))


def _estimate(estimator, frame: pd.DataFrame, column: str, outcome: str) -> tuple[float, float]:
    if estimator is not None:
        out = estimator(frame, column)
        if isinstance(out, tuple):
            return float(out[0]), float(out[1]) if len(out) > 1 else np.nan
        return float(out), np.nan
    ok = frame[column].notna() & frame[outcome].notna() & np.isfinite(frame[column])
    return poisson_slope(frame.loc[ok, outcome].to_numpy(), frame.loc[ok, column].to_numpy())


def _lagged(frame: pd.DataFrame, columns: Sequence[str], group: str, lag_days: int):
    out = frame.copy()
    if lag_days:
        for col in columns:
            out[col] = out.groupby(group, sort=False)[col].shift(lag_days)
    return out


def acwr_coupling(
    daily: pd.DataFrame,
    *,
    acute_days: int = 7,
    chronic_days: int = 28,
    convention: str = "williams",
    ewma_init: str = "mean",
    min_coverage: float = 5 / 7,
    group: str = "athlete_id",
) -> OutcomeResult:
    """Coupled and uncoupled ratios side by side, with the correlation coupling alone produces.

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`soleus_analysis.daily_load` output (``athlete_id``, ``date``, ``load_au``).
    acute_days, chronic_days, convention, ewma_init, min_coverage
        As :func:`soleus_analysis.acute_chronic`.
    group : str, default "athlete_id"

    Returns
    -------
    OutcomeResult
        ``table``: ``term`` = ``corr_coupled`` (within-athlete correlation of acute and coupled
        chronic load), ``corr_uncoupled`` (with the uncoupled chronic load), ``corr_expected``
        (``sqrt(acute_days / chronic_days)``: the coupled correlation of independent days),
        ``mean_acwr_coupled``, ``mean_acwr_uncoupled``, ``mean_acwr_ewma``,
        ``share_above_1.5_coupled`` / ``_uncoupled`` / ``_ewma`` (share of days with a ratio
        above 1.5; 0-1), ``max_acwr_coupled`` (the coupled ratio cannot exceed
        ``chronic_days / acute_days``); ``estimate`` holds the value, other columns missing.
        ``raw`` is the per-day table: ``athlete_id``, ``date``, ``load_au``, ``acute_mean_au``,
        ``chronic_mean_au``, ``chronic_uncoupled_au``, ``acwr_coupled``, ``acwr_uncoupled``,
        ``acwr_ewma``, ``ewma_warmup``.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> d = pd.DataFrame({"athlete_id": "a", "date": pd.date_range("2024-01-01", periods=2000),
    ...                   "load_au": rng.gamma(2.0, 100.0, 2000)})
    >>> t = acwr_coupling(d).table.set_index("term")["estimate"]
    >>> round(float(t["corr_expected"]), 2), bool(abs(t["corr_coupled"] - 0.5) < 0.1)
    (0.5, True)
    """
    require_columns(daily, [group, "date", "load_au"], "acwr_coupling")
    ac = acute_chronic(daily, acute_days=acute_days, chronic_days=chronic_days,
                       convention=convention, min_coverage=min_coverage, ewma_init=ewma_init)
    per_day = pd.concat([daily[[group, "date", "load_au"]], ac], axis=1)

    def within_corr(a: str, b: str) -> float:
        part = per_day[[group, a, b]].dropna()
        if len(part) < 3:
            return np.nan
        centred = part[[a, b]] - part.groupby(group)[[a, b]].transform("mean")
        return float(centred[a].corr(centred[b]))

    rows = [
        ("corr_coupled", within_corr("acute_mean_au", "chronic_mean_au")),
        ("corr_uncoupled", within_corr("acute_mean_au", "chronic_uncoupled_au")),
        ("corr_expected", float(np.sqrt(acute_days / chronic_days))),
    ]
    for kind in ("coupled", "uncoupled", "ewma"):
        ratio = per_day[f"acwr_{kind}"]
        if kind == "ewma":
            ratio = ratio.where(~per_day["ewma_warmup"])
        rows.append((f"mean_acwr_{kind}", float(ratio.mean())))
        rows.append((f"share_above_1.5_{kind}", float((ratio.dropna() > 1.5).mean())
                     if ratio.notna().any() else np.nan))
    rows.append(("max_acwr_coupled", float(per_day["acwr_coupled"].max())))
    table = pd.DataFrame({"term": [r[0] for r in rows], "estimate": [r[1] for r in rows]})
    for col in ("std_error", "ci_low", "ci_high", "p_value"):
        table[col] = np.nan
    table["per"] = ["correlation"] * 3 + ["ratio", "share of days"] * 3 + ["ratio"]
    notes = (
        f"Acute ({acute_days} d) and chronic ({chronic_days} d) rolling means: the coupled chronic "
        f"window contains the acute one, which alone makes them correlate by about "
        f"sqrt({acute_days}/{chronic_days}) = {np.sqrt(acute_days / chronic_days):.2f} when days "
        "are independent (Lolli et al. 2019); the uncoupled chronic window (Windt & Gabbett "
        "2019) does not. Correlations are within athletes.",
        f"The coupled ratio cannot exceed {chronic_days / acute_days:g}; ratio means leave out "
        "the EWMA warm-up.",
    )
    return OutcomeResult(table=table, notes=notes, raw=per_day,
                         n_athletes=int(daily[group].nunique()), n_obs=len(daily))


@dataclass(frozen=True)
class AcwrNullResult(OutcomeResult):
    """Observed ACWR association against random-denominator ratios.

    Attributes
    ----------
    null : pandas.DataFrame
        One row per random draw: ``draw``, ``estimate``.
    """

    null: pd.DataFrame


def acwr_random_denominator(
    data: pd.DataFrame,
    outcome: str,
    *,
    acute: str = "acute_mean_au",
    chronic: str = "chronic_mean_au",
    group: str = "athlete_id",
    method: str = "permute",
    n_draws: int = 500,
    lag_days: int = 1,
    step: float = 0.1,
    estimator: Callable[[pd.DataFrame, str], Any] | None = None,
    level: float = 0.95,
    rng=None,
) -> AcwrNullResult:
    """Test an ACWR-outcome association against ratios with random chronic loads.

    Parameters
    ----------
    data : pandas.DataFrame
        Daily rows in order within athlete (e.g. :func:`soleus_analysis.training_loads` with an
        outcome column joined: 1 on the day of an injury onset).
    outcome : str
        Count or 0/1 column.
    acute, chronic : str, default "acute_mean_au", "chronic_mean_au"
        Numerator and denominator of the ratio (coupled by default; pass
        ``"chronic_uncoupled_au"`` or the EWMA columns for the other ratios).
    group : str, default "athlete_id"
    method : {"permute", "uniform"}, default "permute"
        ``"permute"``: each draw shuffles the chronic loads among the rows of the same athlete
        (each athlete's own chronic loads, in a random order); ``"uniform"``: draws them
        uniformly between the observed minimum and maximum (Impellizzeri et al. 2020).
    n_draws : int, default 500
        Random draws (the p-value's resolution is ``1 / (n_draws + 1)``).
    lag_days : int, default 1
        The ratio of the day(s) before is related to the outcome (0: the same day).
    step : float, default 0.1
        Estimates per this change of the ratio.
    estimator : callable, optional
        ``estimator(frame, column) -> estimate`` or ``(estimate, std_error)``; default: the
        Poisson log rate ratio of ``outcome`` per +1 of ``column``.
    level : float, default 0.95
    rng : None, int or Generator

    Returns
    -------
    AcwrNullResult
        ``table``: ``observed`` (the association with the real ratio: estimate, model SE, Wald
        interval; ``p_value`` = two-sided share of random-denominator draws at least as far
        from their median as the observed estimate, ``(1 + count) / (1 + n_draws)``),
        ``random_denominator`` (median of the draws, interval = their central ``level``
        quantiles: the association coupling and the numerator alone produce), ``excess``
        (observed minus that median). ``null``: the draws.
    """
    require_columns(data, [outcome, acute, chronic, group], "acwr_random_denominator")
    if method not in ("permute", "uniform"):
        raise ValueError(f"method must be 'permute' or 'uniform', got {method!r}")
    if int(n_draws) < 19:
        raise ValueError(f"n_draws must be at least 19 for a 5% test, got {n_draws!r}")
    gen = np.random.default_rng(rng)
    frame = data[[group, outcome, acute, chronic]].copy()
    ok = frame[acute].notna() & frame[chronic].notna() & (frame[chronic] > 0)
    numer = frame[acute].to_numpy(dtype=float)
    denom = frame[chronic].to_numpy(dtype=float)
    codes = pd.factorize(frame[group])[0]

    def association(chronic_values: np.ndarray) -> tuple[float, float]:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(ok & (chronic_values > 0), numer / chronic_values, np.nan) / step
        work = frame.assign(_ratio=ratio)
        work = _lagged(work, ["_ratio"], group, lag_days)
        return _estimate(estimator, work, "_ratio", outcome)

    observed, observed_se = association(denom)
    valid = np.flatnonzero(ok.to_numpy())
    lo, hi = np.nanmin(denom[valid]), np.nanmax(denom[valid])
    draws = np.empty(int(n_draws))
    for i in range(int(n_draws)):
        fake = denom.copy()
        if method == "uniform":
            fake[valid] = gen.uniform(lo, hi, len(valid))
        else:
            for g in np.unique(codes[valid]):
                rows = valid[codes[valid] == g]
                fake[rows] = gen.permutation(denom[rows])
        draws[i] = association(fake)[0]
    finite = draws[np.isfinite(draws)]
    centre = float(np.median(finite))
    far = np.abs(finite - centre) >= abs(observed - centre) - 1e-12
    p = float((1 + far.sum()) / (1 + len(finite)))
    q = (1 - level) / 2
    obs = wald_columns(np.array([observed]), np.array([observed_se]), level)
    rows = [
        {"term": "observed", "estimate": observed, "std_error": observed_se,
         "ci_low": float(obs["ci_low"][0]), "ci_high": float(obs["ci_high"][0]),
         "p_value": p},
        {"term": "random_denominator", "estimate": centre, "std_error": float(np.std(finite)),
         "ci_low": float(np.quantile(finite, q)), "ci_high": float(np.quantile(finite, 1 - q)),
         "p_value": np.nan},
        {"term": "excess", "estimate": observed - centre, "std_error": np.nan,
         "ci_low": np.nan, "ci_high": np.nan, "p_value": p},
    ]
    table = pd.DataFrame(rows)
    table["per"] = f"+{step:g} in {acute}/{chronic}"
    notes = (
        f"Association of {outcome} with the ratio {acute}/{chronic} of {lag_days} day(s) before "
        "(default: Poisson log rate ratio per the step), against "
        f"{len(finite)} ratios whose chronic loads were {'permuted within athlete' if method == 'permute' else 'drawn uniformly over their range'} "  # noqa: E501
        "(random denominators; Lolli et al. 2019, Impellizzeri et al. 2020).",
        "random_denominator: the association that the numerator and the ratio's arithmetic "
        "give with chronic loads unrelated to the days they divide; an 'ACWR effect' inside "
        "that range says nothing about the chronic load.",
        "p_value: two-sided share of random-denominator associations at least as far from their "
        "median as the observed one. Exceeding the null is necessary, not sufficient, for a role "
        "of the chronic load: a real (smooth) chronic load is a better denominator than a "
        "random one even when only the acute load matters. Fit acute and chronic load as "
        "separate terms (fit_time_to_injury) to ask that question.",
    )
    return AcwrNullResult(
        table=table, notes=notes, raw={"observed": observed, "draws": draws},
        n_athletes=int(frame[group].nunique()), n_obs=int(ok.sum()),
        null=pd.DataFrame({"draw": np.arange(len(draws)), "estimate": draws}),
    )


def acwr_window_sensitivity(
    daily: pd.DataFrame,
    outcome: str,
    *,
    acute_windows: Sequence[int] = (3, 5, 7, 10, 14),
    chronic_windows: Sequence[int] = (21, 28, 35, 42),
    metrics: Sequence[str] = ("acwr_coupled", "acwr_uncoupled", "acwr_ewma"),
    group: str = "athlete_id",
    lag_days: int = 1,
    step: float = 0.1,
    convention: str = "williams",
    ewma_init: str = "mean",
    min_coverage: float = 5 / 7,
    estimator: Callable[[pd.DataFrame, str], Any] | None = None,
    level: float = 0.95,
) -> OutcomeResult:
    """The load-outcome association for every pair of acute and chronic windows.

    Parameters
    ----------
    daily : pandas.DataFrame
        :func:`soleus_analysis.daily_load` output with the ``outcome`` column on the same rows
        (e.g. 1 on an injury-onset day).
    outcome : str
    acute_windows, chronic_windows : sequence of int
        Window lengths [days]; pairs with acute >= chronic are skipped.
    metrics : sequence of str
        Columns of :func:`soleus_analysis.acute_chronic` to relate to the outcome (ratios, or
        ``acute_mean_au`` / ``chronic_mean_au`` on their own).
    group, lag_days, step, estimator, level
        As :func:`acwr_random_denominator` (``step`` applies to every metric).
    convention, ewma_init, min_coverage
        As :func:`soleus_analysis.acute_chronic`.

    Returns
    -------
    OutcomeResult
        ``table``: one row per window pair and metric: ``term`` (``metric[acute/chronic]``),
        ``estimate`` (log rate ratio per ``step``), ``std_error`` (model-based), ``ci_low``,
        ``ci_high``, ``p_value`` (Wald), ``per``, ``metric``, ``acute_days``,
        ``chronic_days``.
    """
    require_columns(daily, [group, "date", "load_au", outcome], "acwr_window_sensitivity")
    rows = []
    for a in acute_windows:
        for c in chronic_windows:
            if a >= c:
                continue
            ac = acute_chronic(daily, acute_days=int(a), chronic_days=int(c),
                               convention=convention, ewma_init=ewma_init,
                               min_coverage=min_coverage)
            frame = pd.concat([daily[[group, outcome]], ac], axis=1)
            if "acwr_ewma" in frame:
                frame["acwr_ewma"] = frame["acwr_ewma"].where(~frame["ewma_warmup"])
            for metric in metrics:
                if metric not in frame:
                    raise ValueError(f"unknown metric {metric!r}; use columns of acute_chronic")
                work = frame.assign(_x=frame[metric] / step)
                work = _lagged(work, ["_x"], group, lag_days)
                est, se = _estimate(estimator, work, "_x", outcome)
                rows.append({"term": f"{metric}[{a}/{c}]", "estimate": est, "std_error": se,
                             "metric": metric, "acute_days": int(a), "chronic_days": int(c)})
    out = pd.DataFrame(rows)
    cols = wald_columns(out["estimate"].to_numpy(), out["std_error"].to_numpy(), level)
    for k in ("ci_low", "ci_high", "p_value"):
        out[k] = cols[k]
    out["per"] = f"+{step:g} of the metric"
    out = out[["term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "per", "metric",
               "acute_days", "chronic_days"]]
    spread = out.groupby("metric")["estimate"].agg(["min", "max"])
    notes = [
        f"Association of {outcome} with each metric of {lag_days} day(s) before, for "
        f"{out[['acute_days', 'chronic_days']].drop_duplicates().shape[0]} window pairs "
        "(default: Poisson log rate ratio per the step, model-based errors; rows of one athlete "
        "are not independent, so read the p-values as optimistic).",
    ]
    for metric, r in spread.iterrows():
        notes.append(f"{metric}: estimates range from {r['min']:.3g} to {r['max']:.3g} over the "
                     "windows; an association that holds for one window pair only is not robust.")
    return OutcomeResult(table=out, notes=tuple(notes), raw=None,
                         n_athletes=int(daily[group].nunique()), n_obs=len(daily))
