"""Cox proportional-hazards engine for counting-process data (start, stop], written out in numpy.

Why not statsmodels or lifelines (measured on this stack; pitfalls.md, "Survival and count
models"): statsmodels ``PHReg(entry=start)`` keeps a row at risk when its entry equals an event
time, which double-counts athletes whose covariates change at that time (Stanford heart:
transplant -0.0554 instead of -0.0103); ``PHReg.fit(groups=)`` gave NaN robust standard errors on
counting-process data; lifelines ``CoxTimeVaryingFitter(robust=True)`` is not implemented and
``CoxPHFitter(entry_col=, cluster_col=)`` gave robust standard errors up to 2.7 times R's.

What is computed (Therneau & Grambsch 2000, *Modeling Survival Data*; R ``survival``):

- Risk set at an event time ``t`` of a stratum: rows with ``start < t <= stop`` (strict at the
  start, as R ``coxph``).
- Partial likelihood with Efron's (default, as R) or Breslow's handling of tied event times,
  maximised by Newton-Raphson with step halving from beta = 0; covariates are centred first
  (the estimates do not depend on it; it keeps ``exp(x b)`` finite).
- Model-based variance: the inverse information at the estimate.
- Score residuals (R ``residuals(fit, type = "score")``, Efron-weighted as R's ``agscore3``),
  and the robust sandwich collapsed by cluster (Lin & Wei 1989; R ``coxph(..., cluster = id)``):
  ``V = D' D`` with ``D`` the per-cluster sums of ``U I^-1``. For recurrent events in the
  Andersen-Gill model this is the variance to report.
- Proportional-hazards test: the score test of adding ``x g(t)`` for each covariate at the fitted
  beta, with ``g`` the transformed time centred over the events (``"km"``: 1 - left-continuous
  Kaplan-Meier; ``"identity"``; ``"rank"``; ``"log"``), as R ``cox.zph`` (survival >= 3.0).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from soleus_analysis.outcomes.survival import kaplan_meier

__all__ = ["CoxFit", "cox_fit", "ph_test", "robust_variance", "score_residuals"]

TIES = ("efron", "breslow")
ZPH_TRANSFORMS = ("km", "identity", "rank", "log")


@dataclass(frozen=True)
class CoxFit:
    """A fitted Cox model (arrays in the order of the input rows).

    Attributes
    ----------
    coef : numpy.ndarray
        Log hazard ratios per unit of each column of ``X``.
    var : numpy.ndarray
        Model-based variance (inverse information).
    information : numpy.ndarray
    loglik : tuple of float
        Log partial likelihood at beta = 0 and at the estimate.
    iterations : int
    converged : bool
    n_events : int
    ties : str
    """

    coef: np.ndarray
    var: np.ndarray
    information: np.ndarray
    loglik: tuple[float, float]
    iterations: int
    converged: bool
    n_events: int
    ties: str
    start: np.ndarray = field(repr=False)
    stop: np.ndarray = field(repr=False)
    event: np.ndarray = field(repr=False)
    X: np.ndarray = field(repr=False)
    strata: np.ndarray = field(repr=False)


@dataclass
class _Stratum:
    """Index structures of one stratum: event times, each row's risk window, deaths."""

    rows: np.ndarray  # row numbers of the stratum
    times: np.ndarray  # distinct event times
    lo: np.ndarray  # row at risk at times[k] for lo <= k < hi
    hi: np.ndarray
    death_rows: np.ndarray  # positions (within rows) of rows with an event
    death_k: np.ndarray  # their event-time index
    n_deaths: np.ndarray  # deaths per event time


def _strata(start, stop, event, strata) -> list[_Stratum]:
    out = []
    for s in np.unique(strata):
        rows = np.flatnonzero(strata == s)
        st, sp, ev = start[rows], stop[rows], event[rows]
        times = np.unique(sp[ev])
        if not len(times):
            continue
        lo = np.searchsorted(times, st, side="right")
        hi = np.searchsorted(times, sp, side="right")
        death_rows = np.flatnonzero(ev)
        death_k = np.searchsorted(times, sp[death_rows])
        n_deaths = np.bincount(death_k, minlength=len(times)).astype(float)
        out.append(_Stratum(rows, times, lo, hi, death_rows, death_k, n_deaths))
    return out


def _window_sums(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, k: int) -> np.ndarray:
    """``out[t] = sum of values[i] over rows i with lo_i <= t < hi_i`` (any trailing shape)."""
    flat = values.reshape(len(values), -1)
    acc = np.zeros((k + 1, flat.shape[1]))
    np.add.at(acc, lo, flat)
    np.add.at(acc, hi, -flat)
    return np.cumsum(acc, axis=0)[:k].reshape((k, *values.shape[1:]))


def _terms(st: _Stratum, x: np.ndarray, r: np.ndarray, ties: str):
    """Risk-set sums of one stratum at the current beta, and the loglik/score/information parts."""
    k = len(st.times)
    p = x.shape[1]
    s0 = _window_sums(r, st.lo, st.hi, k)
    s1 = _window_sums(r[:, None] * x, st.lo, st.hi, k)
    s2 = _window_sums(r[:, None, None] * x[:, :, None] * x[:, None, :], st.lo, st.hi, k)
    dr = st.death_rows
    a0 = np.bincount(st.death_k, r[dr], minlength=k)
    a1 = np.zeros((k, p))
    np.add.at(a1, st.death_k, r[dr, None] * x[dr])
    a2 = np.zeros((k, p, p))
    np.add.at(a2, st.death_k, r[dr, None, None] * x[dr, :, None] * x[dr, None, :])
    d = st.n_deaths
    n_steps = int(d.max()) if ties == "efron" else 1
    den = np.full((n_steps, k), np.nan)
    xbar = np.full((n_steps, k, p), np.nan)
    var = np.zeros((k, p, p))
    loglik = 0.0
    for j in range(n_steps):
        active = d > j
        frac = np.where(active, j / d, 0.0) if ties == "efron" else np.zeros(k)
        mult = np.ones(k) if ties == "efron" else d
        dj = s0 - frac * a0
        m1 = (s1 - frac[:, None] * a1) / np.where(active, dj, 1.0)[:, None]
        m2 = (s2 - frac[:, None, None] * a2) / np.where(active, dj, 1.0)[:, None, None]
        cov = m2 - m1[:, :, None] * m1[:, None, :]
        w = np.where(active, mult, 0.0)
        loglik -= float(np.sum(w * np.log(np.where(active, dj, 1.0))))
        var += w[:, None, None] * cov
        den[j] = np.where(active, dj, np.nan)
        xbar[j] = np.where(active[:, None], m1, np.nan)
    return den, xbar, var, loglik


def _evaluate(strata: list[_Stratum], x: np.ndarray, beta: np.ndarray, ties: str):
    """Log partial likelihood, score and information at beta."""
    p = x.shape[1]
    eta = x @ beta
    loglik, score, info = 0.0, np.zeros(p), np.zeros((p, p))
    for st in strata:
        xs = x[st.rows]
        r = np.exp(eta[st.rows])
        den, xbar, var, ll = _terms(st, xs, r, ties)
        deaths_x = xs[st.death_rows].sum(axis=0)
        loglik += ll + float(eta[st.rows][st.death_rows].sum())
        if ties == "efron":
            score += deaths_x - np.nansum(xbar, axis=(0, 1))
        else:
            score += deaths_x - np.sum(st.n_deaths[:, None] * xbar[0], axis=0)
        info += var.sum(axis=0)
    return loglik, score, info


def _prepare(start, stop, event, X, strata):
    stop = np.asarray(stop, dtype=float)
    n = len(stop)
    start = np.full(n, -np.inf) if start is None else np.asarray(start, dtype=float)
    event = np.asarray(event).astype(bool)
    X = np.asarray(X, dtype=float).reshape(n, -1)
    strata = np.zeros(n, dtype=np.int64) if strata is None else pd.factorize(
        np.asarray(strata))[0]
    if np.any(start >= stop):
        raise ValueError("every interval needs start < stop")
    return start, stop, event, X, strata


def cox_fit(
    stop,
    event,
    X,
    *,
    start=None,
    strata=None,
    ties: str = "efron",
    max_iter: int = 50,
    tol: float = 1e-10,
) -> CoxFit:
    """Fit a Cox model by Newton-Raphson (see the module docstring).

    Parameters
    ----------
    stop, event : array-like
        Interval ends and event flags.
    X : array-like, shape (n, p)
        Covariates (numeric, no intercept).
    start : array-like, optional
        Interval starts (entry times); None = at risk from the beginning.
    strata : array-like, optional
        Stratum of each row (separate baseline hazards).
    ties : {"efron", "breslow"}
    max_iter : int, default 50
    tol : float, default 1e-10
        Convergence when the log likelihood changes by less than ``tol`` (relative) and no
        coefficient moves by more than ``sqrt(tol)``.

    Returns
    -------
    CoxFit

    Examples
    --------
    >>> f = cox_fit([1, 2, 3, 4, 5, 6], [1, 1, 1, 0, 1, 1], [[0], [1], [0], [1], [1], [0]])
    >>> round(float(f.coef[0]), 4)  # R: coxph(Surv(time, status) ~ x)
    -0.1008
    """
    if ties not in TIES:
        raise ValueError(f"ties must be 'efron' or 'breslow', got {ties!r}")
    start, stop, event, X, strata = _prepare(start, stop, event, X, strata)
    p = X.shape[1]
    xc = X - X.mean(axis=0) if len(X) else X
    groups = _strata(start, stop, event, strata)
    n_events = int(event.sum())
    if n_events == 0:
        raise ValueError("no events: a Cox model needs at least one event")
    beta = np.zeros(p)
    ll0, score, info = _evaluate(groups, xc, beta, ties)
    loglik = ll0
    converged = p == 0
    iterations = 0
    for iterations in range(1, max_iter + 1):
        if p == 0:
            break
        try:
            step = np.linalg.solve(info, score)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, score, rcond=None)[0]
        new_beta = beta + step
        new_ll, new_score, new_info = _evaluate(groups, xc, new_beta, ties)
        halvings = 0
        while (not np.isfinite(new_ll) or new_ll < loglik - 1e-12) and halvings < 30:
            step = step / 2
            new_beta = beta + step
            new_ll, new_score, new_info = _evaluate(groups, xc, new_beta, ties)
            halvings += 1
        done = abs(new_ll - loglik) <= tol * max(1.0, abs(new_ll)) and np.max(
            np.abs(new_beta - beta)) < np.sqrt(tol)
        beta, loglik, score, info = new_beta, new_ll, new_score, new_info
        if done:
            converged = True
            break
    try:
        var = np.linalg.inv(info) if p else np.zeros((0, 0))
    except np.linalg.LinAlgError:
        var = np.linalg.pinv(info)
    return CoxFit(coef=beta, var=var, information=info, loglik=(ll0, loglik),
                  iterations=iterations, converged=bool(converged), n_events=n_events, ties=ties,
                  start=start, stop=stop, event=event, X=X, strata=strata)


def score_residuals(fit: CoxFit) -> np.ndarray:
    """Score residuals, one row per input row (R ``residuals(fit, type = "score")``).

    Each is the integral of ``x_i - xbar(t)`` against the row's martingale residual process;
    with Efron ties a tied death gets ``1/d`` of each pseudo-step's ``xbar`` and is only partly
    in the later pseudo-risk sets (R's ``agscore3``).
    """
    x = fit.X - fit.X.mean(axis=0)
    n, p = x.shape
    eta = x @ fit.coef
    resid = np.zeros((n, p))
    for st in _strata(fit.start, fit.stop, fit.event, fit.strata):
        xs = x[st.rows]
        r = np.exp(eta[st.rows])
        den, xbar, _, _ = _terms(st, xs, r, fit.ties)
        k = len(st.times)
        d = st.n_deaths
        if fit.ties == "efron":
            h = 1.0 / den  # (J, K), NaN where j >= d
            dw = np.arange(den.shape[0])[:, None] / d[None, :]
            haz = np.nansum(h, axis=0)
            xhaz = np.nansum(h[:, :, None] * xbar, axis=0)
            mh1 = np.nansum(h * dw, axis=0)
            mh2 = np.nansum((h * dw)[:, :, None] * xbar, axis=0)
            mh3 = np.nansum(xbar, axis=0) / d[:, None]
        else:
            haz = d / den[0]
            xhaz = haz[:, None] * xbar[0]
            mh1 = np.zeros(k)
            mh2 = np.zeros((k, p))
            mh3 = xbar[0]
        cum_h = np.r_[0.0, np.cumsum(haz)]
        cum_xh = np.vstack([np.zeros((1, p)), np.cumsum(xhaz, axis=0)])
        part = -r[:, None] * (
            (cum_h[st.hi] - cum_h[st.lo])[:, None] * xs - (cum_xh[st.hi] - cum_xh[st.lo]))
        dr, dk = st.death_rows, st.death_k
        part[dr] += (xs[dr] - mh3[dk]) + r[dr, None] * (xs[dr] * mh1[dk][:, None] - mh2[dk])
        resid[st.rows] = part
    return resid


def robust_variance(fit: CoxFit, cluster) -> np.ndarray:
    """Grouped score-residual sandwich ``D' D`` (R ``coxph(..., cluster = id)``, "robust se").

    ``cluster`` labels the rows (athlete id); ``D`` holds the per-cluster sums of the dfbeta
    residuals ``U I^-1``. No small-sample factor (R applies none either).
    """
    dfbeta = score_residuals(fit) @ fit.var
    codes = pd.factorize(np.asarray(cluster))[0]
    if np.any(codes < 0):
        raise ValueError("the cluster column has missing values")
    collapsed = np.zeros((codes.max() + 1, dfbeta.shape[1]))
    np.add.at(collapsed, codes, dfbeta)
    return collapsed.T @ collapsed


def _time_transform(fit: CoxFit, transform: str) -> np.ndarray:
    times = fit.stop
    if transform == "identity":
        return times.copy()
    if transform == "rank":
        return stats.rankdata(times)
    if transform == "log":
        return np.log(times)
    km = kaplan_meier(fit.stop, fit.event, None if np.all(np.isinf(fit.start)) else fit.start)
    # left-continuous: the survival just before each time
    idx = np.searchsorted(km["time"].to_numpy(), times, side="left")
    surv = np.r_[1.0, km["survival"].to_numpy()]
    return 1.0 - surv[idx]


def ph_test(fit: CoxFit, names: list[str], *, transform: str = "km") -> pd.DataFrame:
    """Score test of proportional hazards per covariate and globally (R ``cox.zph``).

    Parameters
    ----------
    fit : CoxFit
    names : list of str
        Covariate names (one per column of ``X``).
    transform : {"km", "identity", "rank", "log"}, default "km"
        Time scale on which the log hazard ratio may drift linearly.

    Returns
    -------
    pandas.DataFrame
        ``term`` (the covariates, then ``GLOBAL``), ``chisq``, ``df``, ``p_value``. A small p
        says the hazard ratio changes over time (non-proportional hazards).
    """
    if transform not in ZPH_TRANSFORMS:
        raise ValueError(f"transform must be one of {ZPH_TRANSFORMS}, got {transform!r}")
    x = fit.X - fit.X.mean(axis=0)
    p = x.shape[1]
    ttimes = _time_transform(fit, transform)
    gtime = ttimes - ttimes[fit.event].mean()
    eta = x @ fit.coef
    u2 = np.zeros(p)
    i11 = np.zeros((p, p))
    i12 = np.zeros((p, p))
    i22 = np.zeros((p, p))
    for st in _strata(fit.start, fit.stop, fit.event, fit.strata):
        xs = x[st.rows]
        r = np.exp(eta[st.rows])
        den, xbar, var, _ = _terms(st, xs, r, fit.ties)
        # g is the same for every tied death at a time: take it from the first death row
        g = np.zeros(len(st.times))
        g[st.death_k] = gtime[st.rows][st.death_rows]
        deaths_x = np.zeros((len(st.times), p))
        np.add.at(deaths_x, st.death_k, xs[st.death_rows])
        if fit.ties == "efron":
            expected = np.nansum(xbar, axis=0)
        else:
            expected = st.n_deaths[:, None] * xbar[0]
        u2 += (g[:, None] * (deaths_x - expected)).sum(axis=0)
        i11 += var.sum(axis=0)
        i12 += (g[:, None, None] * var).sum(axis=0)
        i22 += (g[:, None, None] ** 2 * var).sum(axis=0)
    full = np.block([[i11, i12], [i12.T, i22]])
    rows = []
    for j in range(p):
        keep = list(range(p)) + [p + j]
        u = np.r_[np.zeros(p), u2[j]]
        chisq = float(u @ np.linalg.solve(full[np.ix_(keep, keep)], u))
        rows.append({"term": names[j], "chisq": chisq, "df": 1,
                     "p_value": float(stats.chi2.sf(chisq, 1))})
    u = np.r_[np.zeros(p), u2]
    chisq = float(u @ np.linalg.solve(full, u))
    rows.append({"term": "GLOBAL", "chisq": chisq, "df": p,
                 "p_value": float(stats.chi2.sf(chisq, p))})
    return pd.DataFrame(rows)
