"""Distributed-lag model: the effect of this week's and earlier weeks' soleus dose.

Training adaptations take weeks, so the dose of week ``t - l`` may matter for the outcome of week
``t``. A distributed-lag model (Almon 1965; Gasparrini et al. 2010; methods.md section 4.13)
estimates one coefficient per lag, ``beta_l`` for ``l = 0..L``, constrained to a smooth curve
``beta_l = sum_j theta_j B_j(l)`` (polynomial or natural-spline lag basis). It is fitted on the
transformed regressors ``W_j = sum_l B_j(l) x_{t-l}``; then ``beta = B theta`` with
``Var(beta) = B Var(theta) B'``, and the cumulative effect (the change in outcome after sustaining
``+step`` units a week for ``L + 1`` weeks) is ``sum_l beta_l``. Lags are looked up by date on the
weekly grid, and person-mean centred after lagging, so the lag curve is a within-athlete effect.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
import statsmodels.formula.api as smf

from soleus_analysis.models.mixed import DEFAULT_METHODS, _messages, _wald_columns, fit_mixed
from soleus_analysis.models.within_between import _prepare, effects_table

__all__ = ["DistributedLagResult", "fit_distributed_lag", "lag_basis"]


def lag_basis(max_lag: int, *, basis: str = "poly", df: int = 3) -> pd.DataFrame:
    """Basis matrix ``B`` of a distributed-lag model (rows = lags 0..max_lag).

    Parameters
    ----------
    max_lag : int
        Longest lag L (weeks).
    basis : {"poly", "ns", "unconstrained"}
        ``"poly"``: polynomial of degree ``df - 1`` in the lag (Almon; Legendre polynomials on
        the scaled lag for conditioning); ``"ns"``: natural cubic spline with ``df`` columns
        (knots evenly spaced over 0..L, linear beyond the boundary knots); ``"unconstrained"``:
        one free coefficient per lag (``df`` ignored).
    df : int, default 3
        Number of basis columns (1 <= df <= L + 1).

    Returns
    -------
    pandas.DataFrame
        Index ``lag`` (0..L), one column per basis function (``b0``, ``b1``, ...), unitless.

    Examples
    --------
    >>> lag_basis(3, basis="poly", df=2).round(3).to_numpy().tolist()
    [[1.0, -1.0], [1.0, -0.333], [1.0, 0.333], [1.0, 1.0]]
    """
    if max_lag < 0 or int(max_lag) != max_lag:
        raise ValueError(f"max_lag must be a non-negative integer, got {max_lag!r}")
    lags = np.arange(max_lag + 1, dtype=float)
    if basis == "unconstrained":
        mat = np.eye(max_lag + 1)
    else:
        if not 1 <= df <= max_lag + 1:
            raise ValueError(f"df must be between 1 and max_lag + 1 = {max_lag + 1}, got {df}")
        if basis == "poly":
            u = 2 * lags / max_lag - 1 if max_lag > 0 else lags
            mat = np.polynomial.legendre.legvander(u, df - 1)
        elif basis == "ns":
            mat = _natural_spline(lags, df)
        else:
            raise ValueError(f"basis must be 'poly', 'ns' or 'unconstrained', got {basis!r}")
    cols = [f"b{j}" for j in range(mat.shape[1])]
    return pd.DataFrame(mat, index=pd.Index(np.arange(max_lag + 1), name="lag"), columns=cols)


def _natural_spline(x: np.ndarray, df: int) -> np.ndarray:
    """Natural cubic spline basis with an intercept (Hastie et al., ESL eq. 5.4-5.5)."""
    if df <= 2:
        return np.polynomial.polynomial.polyvander(x, df - 1)
    knots = np.linspace(x.min(), x.max(), df)

    def d(k: int) -> np.ndarray:
        return (np.clip(x - knots[k], 0, None) ** 3 - np.clip(x - knots[-1], 0, None) ** 3) / (
            knots[-1] - knots[k]
        )

    cols = [np.ones_like(x), x] + [d(k) - d(df - 2) for k in range(df - 2)]
    return np.column_stack(cols)


@dataclass(frozen=True)
class DistributedLagResult:
    """A fitted distributed-lag model.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per lag and one for the cumulative effect: ``term`` (``lag0`` ... ``lagL``,
        ``cumulative``), ``lag`` (weeks; missing for the cumulative row), ``estimate`` (outcome
        units per ``per``), ``std_error``, ``ci_low``, ``ci_high``, ``p_value`` (Wald z),
        ``per``.
    other : pandas.DataFrame
        The model's other terms (between-athlete dose, covariates) in the same columns.
    basis : pandas.DataFrame
        The lag basis ``B`` used.
    model : str
    converged : bool
    n_athletes, n_weeks, n_obs : int
    notes, warnings : tuple of str
    raw : Any
        The statsmodels result (MixedLM on the standardised scale, or GEE).
    """

    table: pd.DataFrame
    other: pd.DataFrame
    basis: pd.DataFrame
    model: str
    converged: bool
    n_athletes: int
    n_weeks: int
    n_obs: int
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    raw: Any = field(repr=False)

    @property
    def cumulative(self) -> pd.Series:
        """The cumulative-effect row of ``table``."""
        return self.table.set_index("term").drop(columns="lag").loc["cumulative"]


def fit_distributed_lag(
    data: pd.DataFrame,
    *,
    outcome: str,
    exposure: str,
    group: str = "athlete_id",
    time: str = "week_start",
    max_lag: int = 4,
    basis: str = "poly",
    df: int = 3,
    covariates: Sequence[str] = (),
    method: str = "gee",
    step: float = 10.0,
    time_step: Any = None,
    level: float = 0.95,
    methods: Sequence[str] = DEFAULT_METHODS,
) -> DistributedLagResult:
    """Fit a distributed-lag model of the within-athlete effect of an exposure.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table, one row per athlete and week.
    outcome, exposure, group, time : str
        Columns, as in :func:`~soleus_analysis.models.within_between.fit_within_between`.
    max_lag : int, default 4
        Longest lag L in weeks: the first L weeks of each athlete have no full history and are
        left out.
    basis : {"poly", "ns", "unconstrained"}, default "poly"
        Lag basis (see :func:`lag_basis`).
    df : int, default 3
        Basis columns (quadratic polynomial by default).
    covariates : sequence of str
        Adjustment columns (numeric ones split into within and between parts).
    method : {"gee", "mixed"}, default "gee"
        GEE with exchangeable working correlation and robust (sandwich) standard errors, or a
        random-intercept linear mixed model (:func:`fit_mixed`). GEE is the default because its
        standard errors stay valid when athletes' responses differ and weeks are serially
        correlated: on the project's simulated cohort (random slopes, AR(1) pace residuals;
        60 athletes x 40 weeks, 12 cohorts) the random-intercept model's SE of the cumulative
        effect was 0.52 s/km against an empirical SD of 0.76, GEE's 0.59-1.11.
    step : float, default 10
        Effects per ``+step`` units of the exposure.
    time_step : timedelta-like or number, optional
    level : float, default 0.95
    methods : sequence of str
        Optimisers for the mixed model.

    Returns
    -------
    DistributedLagResult
        ``table`` (per-lag and cumulative effects with CIs), ``other``, ``basis``,
        ``converged``, counts, ``notes``.

    Notes
    -----
    The between-athlete part of the exposure (the athlete's mean dose over the analysis window)
    is included, so the lag curve uses within-athlete variation only. A too-flexible basis on
    strongly autocorrelated doses gives wide per-lag intervals; the cumulative effect is much
    better determined than its split over lags.
    """
    if method not in ("mixed", "gee"):
        raise ValueError(f"method must be 'mixed' or 'gee', got {method!r}")
    b = lag_basis(max_lag, basis=basis, df=df)
    lags = list(range(1, max_lag + 1))
    design = _prepare(
        data, outcome=outcome, exposure=exposure, group=group, time=time,
        covariates=covariates, lags=lags, step=float(step), decompose_covariates=True,
        time_step=time_step,
    )
    frame = design.frame.copy()
    lag_cols = ["x_w"] + [f"x_l{lag}_w" for lag in lags]
    xlag = frame[lag_cols].to_numpy(dtype=float)
    w = xlag @ b.to_numpy()
    w_names = [f"w{j}" for j in range(w.shape[1])]
    frame = pd.concat(
        [frame.drop(columns=lag_cols), pd.DataFrame(w, columns=w_names, index=frame.index)],
        axis=1,
    )
    rhs = w_names + [t for t in design.rhs if t not in lag_cols]
    formula = "y ~ " + " + ".join(rhs)
    if frame["athlete"].nunique() < 2:
        raise ValueError(
            "fewer than two athletes have weeks with a complete lag history; Fix: use a "
            "shorter max_lag or check the exposure for missing weeks."
        )
    notes = list(design.notes)
    if method == "mixed":
        fit = fit_mixed(frame, formula, group="athlete", level=level, methods=tuple(methods))
        names = list(fit.table["term"])
        est = fit.table["estimate"].to_numpy()
        cov = fit.cov_params.to_numpy()
        converged, raw, msgs = fit.converged, fit.raw, fit.warnings
        notes += list(fit.notes)
        label = "Distributed lag, random-intercept mixed model"
    else:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            res = smf.gee(formula, groups="athlete", data=frame,
                          cov_struct=sm.cov_struct.Exchangeable(),
                          family=sm.families.Gaussian()).fit(maxiter=200)
            names = list(res.params.index)
            est = np.asarray(res.params, dtype=float)
            cov = np.asarray(res.cov_params(), dtype=float)
        msgs = _messages(caught)
        converged = not any("Convergence" in m or "IterationLimit" in m for m in msgs)
        raw = res
        label = "Distributed lag, GEE (exchangeable)"

    idx = [names.index(n) for n in w_names]
    theta = est[idx]
    v_theta = cov[np.ix_(idx, idx)]
    bm = b.to_numpy()
    beta = step * (bm @ theta)
    v_beta = step**2 * (bm @ v_theta @ bm.T)
    ones = np.ones(len(beta))
    cum = float(ones @ beta)
    cum_var = float(ones @ v_beta @ ones)
    est_all = np.r_[beta, cum]
    se_all = np.sqrt(np.clip(np.r_[np.diag(v_beta), cum_var], 0, None))
    per = f"+{step:g} {exposure}"
    table = pd.DataFrame(
        {
            "term": [f"lag{lag}" for lag in range(max_lag + 1)] + ["cumulative"],
            "lag": pd.array(list(range(max_lag + 1)) + [pd.NA], dtype="Int64"),
            **_wald_columns(est_all, se_all, level),
            "per": per,
        }
    )
    keep = [i for i, n in enumerate(names) if n not in w_names]
    other = effects_table(
        [names[i] for i in keep], est[keep], cov[np.ix_(keep, keep)], design, level
    )
    analysis = data.loc[frame.index]
    return DistributedLagResult(
        table=table,
        other=other,
        basis=b,
        model=label,
        converged=bool(converged),
        n_athletes=int(frame["athlete"].nunique()),
        n_weeks=int(analysis[time].nunique()),
        n_obs=len(frame),
        notes=tuple(notes),
        warnings=tuple(msgs),
        raw=raw,
    )
