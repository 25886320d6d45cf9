"""Injury rates per exposure: incidence and burden, and count models with an exposure offset.

Sports-injury epidemiology reports rates, not counts (Bahr & Holme 2003; the IOC consensus,
Bahr et al. 2020; the R package injurytools, whose conventions are followed here):

- **incidence** = injuries / exposure x 1000: injuries per 1000 h of training when exposure is
  in hours;
- **burden** = days lost / exposure x 1000: days of absence per 1000 h (Bahr, Clarsen & Ekstrand
  2018, Br J Sports Med 52:1018-1021).

:func:`injury_incidence` gives both per group. injurytools' Poisson method reports
``rate +- z sqrt(rate / exposure)`` (``ci="wald"`` here); the default here is the exact Poisson
(Garwood) interval of the incidence, which cannot go below 0 and keeps its level with few
injuries. The burden keeps the injurytools interval (days lost are not Poisson counts: read it
as rough).

:func:`fit_injury_rate` models counts (injuries, or days lost) with ``log(exposure)`` as an
offset, so each coefficient is a log **rate ratio**: ``exp(estimate)`` per the step in ``per``
(e.g. the injury rate ratio per +10 soleus sets a week). Families:

- ``"poisson"``: ``statsmodels`` GLM, Poisson, log link.
- ``"negative_binomial"`` (NB2, variance mu + alpha mu^2): alpha is found by maximising the
  profile likelihood, then the GLM is refitted at that alpha. The standard errors are those of
  the GLM at fixed alpha, as R ``MASS::glm.nb`` reports them (not those of the joint
  (beta, alpha) fit that statsmodels' discrete ``NegativeBinomial`` gives).

With ``group`` (the athlete), injuries of one athlete are not independent: the standard errors
are cluster-robust by athlete, ``G/(G-1) B M B`` with ``M`` the sum over athletes of the outer
products of their summed scores (R ``sandwich::vcovCL(fit, cluster = ~athlete)``, its default
HC0 type with the G/(G-1) cluster adjustment), and intervals and p-values use a t distribution on
G - 1 degrees of freedom (few-cluster correction; ``small_sample=False``: normal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import optimize, stats

from soleus_analysis.models.result import wald_columns
from soleus_analysis.outcomes.base import (
    OutcomeResult,
    design_matrix,
    require_columns,
    step_label,
    steps_for,
)

__all__ = ["FAMILIES", "InjuryRateResult", "fit_injury_rate", "injury_incidence"]

FAMILIES = ("poisson", "negative_binomial")


@dataclass(frozen=True)
class InjuryRateResult(OutcomeResult):
    """A fitted injury-rate model.

    Attributes
    ----------
    table : pandas.DataFrame
        ``term`` (``Intercept`` and one row per covariate or dummy level); ``estimate`` (log
        rate ratio per ``per``; for ``Intercept`` the log rate per ``rate_per`` exposure units
        at all covariates 0); ``std_error``, ``ci_low``, ``ci_high``, ``p_value`` (log scale);
        ``per``; ``df`` (``inf`` = normal); ``rate_ratio``, ``rr_low``, ``rr_high``
        (exponentiated; for ``Intercept``, the rate per ``rate_per`` exposure units and its
        interval); ``model_std_error`` (the model-based SE).
    family : str
    alpha : float
        NB2 dispersion (variance = mu + alpha mu^2); 0 for Poisson. R's theta = 1 / alpha.
    rate_per : float
        The exposure units the Intercept's rate is per (e.g. 1000 h).
    """

    family: str
    alpha: float
    rate_per: float


def _incidence_ci(cases: np.ndarray, exposure: np.ndarray, level: float, ci: str):
    z = stats.norm.ppf(0.5 + level / 2)
    rate = cases / exposure
    if ci == "wald":
        sd = np.sqrt(rate / exposure)
        return rate - z * sd, rate + z * sd
    a = 1 - level
    low = np.where(cases > 0, stats.chi2.ppf(a / 2, 2 * cases) / 2, 0.0) / exposure
    high = stats.chi2.ppf(1 - a / 2, 2 * (cases + 1)) / 2 / exposure
    return low, high


def injury_incidence(
    data: pd.DataFrame,
    cases: str,
    exposure: str,
    *,
    days_lost: str | None = None,
    by: str | None = None,
    group: str | None = None,
    per: float = 1000.0,
    level: float = 0.95,
    ci: str = "exact",
) -> OutcomeResult:
    """Injury incidence (and burden) per ``per`` units of exposure, overall or per group.

    Parameters
    ----------
    data : pandas.DataFrame
        Any rows with a count of new injuries and the exposure (e.g. the injury panel: one row
        per athlete-interval, or one row per athlete-season).
    cases, exposure : str
        Columns of new injuries and exposure (hours for "per 1000 h").
    days_lost : str, optional
        Column of days lost; adds the burden.
    by : str, optional
        Report per level of this column.
    group : str, optional
        Athlete column (to count athletes).
    per : float, default 1000
        Rates per this much exposure (1000 h, as injurytools does for hours).
    level : float, default 0.95
    ci : {"exact", "wald"}, default "exact"
        Incidence interval: exact Poisson (Garwood), or injurytools' ``rate +- z sd``.

    Returns
    -------
    OutcomeResult
        ``table``: one row per group and measure: ``term`` (``incidence`` or ``burden``,
        ``[by=level]`` appended per group), ``estimate`` (per ``per`` exposure units),
        ``std_error`` (injurytools' ``sqrt(rate / exposure)``, scaled), ``ci_low``, ``ci_high``,
        ``p_value`` (missing), ``per``, then ``cases`` (injuries or days lost), ``exposure``.

    Examples
    --------
    >>> d = pd.DataFrame({"injuries": [2, 0, 1], "hours": [400.0, 300.0, 300.0],
    ...                   "days": [30, 0, 5]})
    >>> t = injury_incidence(d, "injuries", "hours", days_lost="days").table
    >>> t[["term", "estimate"]].round(2).values.tolist()
    [['incidence', 3.0], ['burden', 35.0]]
    """
    require_columns(data, [cases, exposure, days_lost, by, group], "injury_incidence")
    if ci not in ("exact", "wald"):
        raise ValueError(f"ci must be 'exact' or 'wald', got {ci!r}")
    if not per > 0:
        raise ValueError(f"per must be a positive amount of exposure, got {per!r}")
    frame = data.loc[data[cases].notna() & data[exposure].notna()]
    if (frame[exposure] < 0).any() or (frame[cases] < 0).any():
        raise ValueError("injury_incidence: cases and exposure must not be negative")
    levels = [None] if by is None else sorted(pd.unique(frame[by].dropna()), key=str)
    rows = []
    for lev in levels:
        part = frame if lev is None else frame.loc[frame[by] == lev]
        total = float(part[exposure].sum())
        suffix = "" if lev is None else f"[{by}={lev}]"
        measures = [("incidence", float(part[cases].sum()))]
        if days_lost:
            measures.append(("burden", float(part[days_lost].fillna(0).sum())))
        for name, count in measures:
            if total <= 0:
                est = se = low = high = np.nan
            else:
                est = count / total
                se = np.sqrt(est / total)
                kind = ci if name == "incidence" else "wald"
                low, high = (float(v) for v in _incidence_ci(
                    np.array(count), np.array(total), level, kind))
            rows.append({"term": name + suffix, "estimate": est * per, "std_error": se * per,
                         "ci_low": low * per, "ci_high": high * per, "p_value": np.nan,
                         "per": f"{per:g} units of {exposure}", "cases": count,
                         "exposure": total})
    notes = [
        f"Incidence = injuries / exposure x {per:g}; burden = days lost / exposure x {per:g} "
        "(injurytools conventions; per 1000 h when exposure is in hours).",
        ("Incidence intervals: exact Poisson (Garwood)." if ci == "exact" else
         "Incidence intervals: rate +- z sqrt(rate / exposure), as injurytools' Poisson "
         "method."),
    ]
    if days_lost:
        notes.append("Burden intervals: rate +- z sqrt(rate / exposure) (injurytools); days "
                     "lost are over-dispersed, so these are too narrow.")
    return OutcomeResult(table=pd.DataFrame(rows), notes=tuple(notes), raw=None,
                         n_athletes=int(frame[group].nunique()) if group else 0,
                         n_obs=len(frame))


def _nb_alpha(y, X, offset) -> tuple[float, str | None]:
    """ML alpha of NB2 by the profile likelihood over log(alpha)."""

    def negll(log_alpha: float) -> float:
        fam = sm.families.NegativeBinomial(alpha=float(np.exp(log_alpha)))
        try:
            res = sm.GLM(y, X, family=fam, offset=offset).fit(tol=1e-12, maxiter=200)
        except (ValueError, np.linalg.LinAlgError):
            return np.inf
        return -float(res.llf)

    grid = np.linspace(-9.0, 4.0, 27)
    values = [negll(g) for g in grid]
    best = int(np.nanargmin(values))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    opt = optimize.minimize_scalar(negll, bounds=(lo, hi), method="bounded",
                                   options={"xatol": 1e-10})
    alpha = float(np.exp(opt.x))
    note = None
    if best == 0:
        note = ("The negative binomial dispersion went to its lower bound (no over-dispersion "
                "beyond Poisson): the Poisson model describes these counts.")
    return alpha, note


def _cluster_cov(X, y, mu, alpha, bread, codes) -> np.ndarray:
    """vcovCL (HC0 with the G/(G-1) adjustment) of a log-link Poisson / NB2 GLM."""
    score = X * ((y - mu) / (1.0 + alpha * mu))[:, None]
    n_groups = codes.max() + 1
    summed = np.zeros((n_groups, X.shape[1]))
    np.add.at(summed, codes, score)
    meat = summed.T @ summed
    return n_groups / (n_groups - 1) * bread @ meat @ bread


def fit_injury_rate(
    data: pd.DataFrame,
    outcome: str,
    exposure: str,
    *,
    covariates: Sequence[str] = (),
    family: str = "poisson",
    group: str | None = None,
    per: float = 1000.0,
    steps: Mapping[str, float] | None = None,
    level: float = 0.95,
    small_sample: bool = True,
) -> InjuryRateResult:
    """Rate ratios of injuries (or days lost) per exposure: a count GLM with a log-exposure offset.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per athlete and period (or athlete), with a count and its exposure.
    outcome : str
        Count column: new injuries, or days lost (the burden).
    exposure : str
        Exposure column (e.g. training hours); rows with exposure <= 0 are dropped (no time at
        risk).
    covariates : sequence of str
        Exposures and adjustments (text columns are dummy coded).
    family : {"poisson", "negative_binomial"}, default "poisson"
    group : str, optional
        Athlete column: cluster-robust standard errors by athlete (see the module docstring).
    per : float, default 1000
        The Intercept's rate is per this much exposure (per 1000 h for hours).
    steps : mapping of str to float, optional
        Report rate ratios per this change of a covariate, e.g. ``{"soleus_sets": 10}``.
    level : float, default 0.95
    small_sample : bool, default True
        With ``group``: t intervals on G - 1 df.

    Returns
    -------
    InjuryRateResult

    Examples
    --------
    >>> d = pd.DataFrame({"injuries": [0, 1, 0, 2, 1, 3, 0, 1], "hours": [40.0] * 8,
    ...                   "sets": [20, 15, 18, 2, 10, 0, 25, 5]})
    >>> r = fit_injury_rate(d, "injuries", "hours", covariates=["sets"], steps={"sets": 10})
    >>> round(float(r.effect("sets")["rate_ratio"]), 3)  # R: exp(10 * coef(glm(...)))
    0.251
    """
    covariates = list(covariates)
    require_columns(data, [outcome, exposure, group, *covariates], "fit_injury_rate")
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {FAMILIES}, got {family!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    if not per > 0:
        raise ValueError(f"per must be a positive amount of exposure, got {per!r}")
    step = steps_for(covariates, steps)
    notes: list[str] = []
    needed = [outcome, exposure, *covariates] + ([group] if group else [])
    complete = data[needed].notna().all(axis=1)
    frame = data.loc[complete]
    zero = frame[exposure] <= 0
    if (~complete).any():
        notes.append(f"{int((~complete).sum())} row(s) dropped for missing values.")
    if zero.any():
        notes.append(f"{int(zero.sum())} row(s) with no exposure dropped (no time at risk).")
        frame = frame.loc[~zero]
    if frame.empty:
        raise ValueError("fit_injury_rate: no row with a count, a positive exposure and "
                         "every covariate")
    y = pd.to_numeric(frame[outcome]).to_numpy(dtype=float)
    if np.any(y < 0) or not np.allclose(y, np.round(y)):
        raise ValueError(f"fit_injury_rate: {outcome!r} must hold counts (whole numbers >= 0)")
    Xc, names, origin = design_matrix(frame, covariates)
    X = np.column_stack([np.ones(len(frame)), Xc])
    offset = np.log(frame[exposure].to_numpy(dtype=float))
    alpha = 0.0
    if family == "poisson":
        fam = sm.families.Poisson()
    else:
        alpha, note = _nb_alpha(y, X, offset)
        if note:
            notes.append(note)
        fam = sm.families.NegativeBinomial(alpha=alpha)
    res = sm.GLM(y, X, family=fam, offset=offset).fit(tol=1e-12, maxiter=200)
    model_cov = np.asarray(res.cov_params())
    cov = model_cov
    df = None
    n_groups = int(frame[group].nunique()) if group else 0
    if group:
        codes = pd.factorize(frame[group])[0]
        if n_groups < 2:
            raise ValueError("fit_injury_rate: cluster-robust errors need at least 2 athletes")
        cov = _cluster_cov(X, y, np.asarray(res.mu), alpha, model_cov, codes)
        if small_sample:
            df = n_groups - 1
    coef = np.asarray(res.params)
    shift = np.r_[np.log(per), np.zeros(len(names))]
    scale = np.r_[1.0, [step[origin[n]] for n in names]]
    est = scale * coef + shift
    se = scale * np.sqrt(np.diag(cov))
    cols = wald_columns(est, se, level, df=np.inf if df is None else float(df))
    # the Intercept's test is of a rate of 1 per `per`: meaningless, so no p-value
    cols["p_value"][0] = np.nan
    per_text = [f"rate per {per:g} units of {exposure}"] + [
        step_label(n, step[n]) if n == origin[n] else f"{n} vs reference level" for n in names]
    table = pd.DataFrame({"term": ["Intercept", *names], **{k: cols[k] for k in (
        "estimate", "std_error", "ci_low", "ci_high", "p_value")}, "per": per_text,
        "df": cols["df"]})
    table["rate_ratio"] = np.exp(table["estimate"])
    table["rr_low"] = np.exp(table["ci_low"])
    table["rr_high"] = np.exp(table["ci_high"])
    table["model_std_error"] = scale * np.sqrt(np.diag(model_cov))
    what = "injury" if "day" not in outcome.lower() else "days-lost"
    notes.insert(0, (
        f"{family.replace('_', ' ').title()} model of {outcome} with log({exposure}) as offset: "
        f"estimate = log {what} rate ratio per the change in 'per' (rate_ratio = exp(estimate)); "
        f"Intercept: the rate per {per:g} {exposure} units with every covariate at 0."))
    if family == "negative_binomial":
        notes.append(f"NB2 dispersion alpha = {alpha:.4g} (R theta = {1 / alpha:.4g}); standard "
                     "errors of the GLM at that alpha, as R glm.nb.")
    if group:
        notes.append(
            f"Standard errors cluster-robust by {group} ({n_groups} athletes; R sandwich::vcovCL "
            "default for GLMs, HC0 x G/(G-1)), " + (
                f"intervals from t with {df} df." if df else "normal intervals."))
        if n_groups < 20:
            notes.append(f"Only {n_groups} athletes: cluster-robust errors are unstable with "
                         "fewer than about 20 clusters.")
    else:
        notes.append("Model-based standard errors (no group=): too small when an athlete's "
                     "injuries are correlated; pass group= for errors robust by athlete.")
    if family == "poisson":
        pearson = float(np.sum((y - res.mu) ** 2 / res.mu) / max(res.df_resid, 1))
        if pearson > 1.5:
            notes.append(f"Pearson dispersion {pearson:.2f} > 1.5: the counts are over-dispersed;"
                         " model-based errors are too small" + (
                             "." if group else ": use family='negative_binomial' or group=."))
    return InjuryRateResult(
        table=table, notes=tuple(notes), raw=res, n_athletes=n_groups, n_obs=len(frame),
        family=family, alpha=alpha, rate_per=float(per),
    )
