"""Distributed-lag model: the effect of this week's and earlier weeks' soleus dose.

Training adaptations take weeks, so the dose of week ``t - l`` may matter for the outcome of week
``t``. A distributed-lag model (Almon 1965; Gasparrini et al. 2010; docs/methods.md section 4.13)
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

from soleus_analysis.models.design import (
    Effects,
    caught_messages,
    natural_spline,
    prepare,
    serial_note,
)
from soleus_analysis.models.mixed import DEFAULT_METHODS, fit_mixed
from soleus_analysis.models.result import effect_row, wald_columns
from soleus_analysis.models.robust import ClusterRobust
from soleus_analysis.models.within_between import (
    fitting_notes,
    inference_note,
    resolve_inference,
)

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
            mat = natural_spline(lags, df)
        else:
            raise ValueError(f"basis must be 'poly', 'ns' or 'unconstrained', got {basis!r}")
    cols = [f"b{j}" for j in range(mat.shape[1])]
    return pd.DataFrame(mat, index=pd.Index(np.arange(max_lag + 1), name="lag"), columns=cols)


@dataclass(frozen=True)
class DistributedLagResult:
    """A fitted distributed-lag model.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per lag and one for the cumulative effect: ``term`` (``lag0`` ... ``lagL``,
        ``cumulative``), ``estimate`` (outcome units per ``per``), ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value``, ``per``, ``df`` (t degrees of freedom per row), ``lag``
        (weeks; missing for the cumulative row).
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
    period : str or None
    inference : str
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
    period: str | None = None
    inference: str = "cr2"

    @property
    def cumulative(self) -> pd.Series:
        """The cumulative-effect row of ``table``."""
        return self.table.set_index("term").drop(columns="lag").loc["cumulative"]

    def effect(self, term: str = "cumulative") -> pd.Series:
        """One row of ``table`` (``KeyError`` naming the terms if absent)."""
        return effect_row(self.table, term)


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
    period: str | None = "auto",
    period_df: int | None = None,
    inference: str = "auto",
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
        GEE with exchangeable working correlation, or a random-intercept linear mixed model
        (:func:`fit_mixed`); both with CR2 cluster-robust errors by default.
    step : float, default 10
        Effects per ``+step`` units of the exposure.
    time_step : timedelta-like or number, optional
    level : float, default 0.95
    methods : sequence of str
        Optimisers for the mixed model.
    period, period_df : see :func:`~soleus_analysis.models.within_between.fit_within_between`
    inference : {"auto", "cr2", "z"}, default "auto"
        ``"auto"`` = ``"cr2"``: CR2 errors by athlete with the fitted working covariance and
        Satterthwaite df for every lag and for the cumulative effect; ``"z"``: the model's own
        large-sample errors (statsmodels' GEE sandwich, or the mixed model's covariance) with
        z tests.

    Returns
    -------
    DistributedLagResult
        ``table`` (per-lag and cumulative effects with CIs and df), ``other``, ``basis``,
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
    how = resolve_inference(inference, ("auto", "cr2", "z"))
    b = lag_basis(max_lag, basis=basis, df=df)
    lags = list(range(1, max_lag + 1))
    design = prepare(
        data, outcome=outcome, exposure=exposure, group=group, time=time,
        covariates=covariates, lags=lags, step=float(step), decompose_covariates=True,
        time_step=time_step, period=period, period_df=period_df,
    )
    frame = design.frame
    lag_cols = ["x_w"] + [f"x_l{lag}_w" for lag in lags]
    xlag = frame[lag_cols].to_numpy(dtype=float)
    w = xlag @ b.to_numpy()
    w_names = [f"w{j}" for j in range(w.shape[1])]
    others = [t for t in design.terms if t not in lag_cols]
    codes = pd.factorize(frame["athlete"], sort=True)[0]
    n_athletes = int(codes.max()) + 1
    if n_athletes < 2:
        raise ValueError(
            "fewer than two athletes have weeks with a complete lag history; Fix: use a "
            "shorter max_lag or check the exposure for missing weeks."
        )
    y = frame["y"].to_numpy(dtype=float)
    x = np.column_stack([np.ones(len(frame)), w, frame[others].to_numpy(dtype=float)])
    names = ["Intercept", *w_names, *others]
    notes = [
        "Estimand: the lag curve is the change in the outcome l weeks after a week in which an "
        f"athlete's {exposure} is {step:g} above the athlete's own mean; the cumulative effect "
        f"is their sum, the effect of +{step:g} sustained for {max_lag + 1} weeks.",
        *design.notes,
    ]
    if method == "mixed":
        cols = pd.DataFrame(x[:, 1:], columns=names[1:], index=frame.index)
        cols["y"], cols["athlete"] = y, frame["athlete"].to_numpy()
        fit = fit_mixed(cols, "y ~ " + " + ".join(names[1:]), group="athlete", level=level,
                        methods=tuple(methods), inference="cr2" if how == "cr2" else "z",
                        df_terms=())
        est = fit.table.set_index("term").loc[names, "estimate"].to_numpy()
        cov = fit.cov_params.loc[names, names].to_numpy()
        df_fn = fit.contrast_df
        converged, raw, msgs = fit.converged, fit.raw, fit.warnings
        notes += fitting_notes(fit)
        label = "Distributed lag, random-intercept mixed model"
        resid = y - x @ est
        t_o, codes_o = design.time_index, codes
    else:
        order = np.lexsort((design.time_index, codes))
        y, x, codes_o, t_o = y[order], x[order], codes[order], design.time_index[order]
        structure = sm.cov_struct.Exchangeable()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = sm.GEE(y, x, groups=codes_o, time=t_o, cov_struct=structure,
                           family=sm.families.Gaussian())
            res = model.fit(maxiter=200)
        est = np.asarray(res.params, dtype=float)
        msgs = caught_messages(caught)
        converged = not any("Convergence" in m or "IterationLimit" in m for m in msgs)
        raw = res
        label = "Distributed lag, GEE (exchangeable)"
        resid = y - x @ est
        if how == "cr2":
            phi = []
            for j, lab in enumerate(model.group_labels):
                n_j = len(model.group_indices[lab])
                mat, _ = structure.covariance_matrix(np.ones(n_j), j)
                phi.append(float(res.scale) * np.asarray(mat, dtype=float))
            cr = ClusterRobust(x, resid, codes_o, phi=phi)
            cov, df_fn = cr.vcov, cr.df
        else:
            cov = np.asarray(res.cov_params(), dtype=float)

            def df_fn(c: np.ndarray) -> float:
                return float("inf")
        notes.append(f"Working correlation: {structure.summary()}")

    idx = [names.index(n) for n in w_names]
    bm = b.to_numpy()
    contrasts = []
    for row in list(bm) + [bm.sum(axis=0)]:
        c = np.zeros(len(names))
        c[idx] = step * row
        contrasts.append(c)
    est_all = np.array([c @ est for c in contrasts])
    se_all = np.sqrt(np.clip([c @ cov @ c for c in contrasts], 0, None))
    dfs = np.array([df_fn(c) for c in contrasts])
    per = f"+{step:g} {exposure}"
    table = pd.DataFrame(
        {
            "term": [f"lag{lag}" for lag in range(max_lag + 1)] + ["cumulative"],
            **wald_columns(est_all, se_all, level, df=dfs),
            "per": per,
        }
    )
    table = table[["term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "per", "df"]]
    table["lag"] = pd.array(list(range(max_lag + 1)) + [pd.NA], dtype="Int64")
    other = Effects(names=names, est=est, cov=cov, design=design, df_fn=df_fn).table(level)
    notes.append(inference_note(how, n_athletes, model=label.split(", ")[1]))
    serial = serial_note(resid, codes_o, t_o, robust=how == "cr2")
    if serial:
        notes.append(serial)
    analysis = data.loc[frame.index]
    return DistributedLagResult(
        table=table,
        other=other,
        basis=b,
        model=label,
        converged=bool(converged),
        n_athletes=n_athletes,
        n_weeks=int(analysis[time].nunique()),
        n_obs=len(frame),
        notes=tuple(notes),
        warnings=tuple(msgs),
        raw=raw,
        period=design.period,
        inference=how,
    )
