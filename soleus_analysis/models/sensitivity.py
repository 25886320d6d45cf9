"""Sensitivity fits of the within-athlete effect: GEE and fixed effects with clustered errors.

The mixed model assumes normal random effects and independent residuals within an athlete. These
fits relax that, on the same analysis rows and with the same within/between terms:

- GEE (Liang & Zeger 1986) with an exchangeable or an AR(1) working correlation and robust
  (sandwich) standard errors: population-averaged effects that stay valid if the working
  correlation is wrong; AR(1) handles week-to-week serial correlation that MixedLM cannot model.
- OLS with athlete fixed effects (the within estimator) and cluster-robust standard errors by
  athlete: uses only within-athlete variation, makes no assumption about athletes' intercepts,
  and its clustered errors also absorb heterogeneous slopes and serial correlation.

If the within effect agrees across these fits, it does not hinge on the mixed model's assumptions.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm

from soleus_analysis.models.design import (
    Effects,
    caught_messages,
    demean_within,
    prepare,
    serial_note,
)
from soleus_analysis.models.result import effect_row
from soleus_analysis.models.robust import ClusterRobust
from soleus_analysis.models.within_between import (
    WithinBetweenResult,
    apply_wild,
    combine_effects,
    fit_within_between,
    inference_note,
    resolve_inference,
)

__all__ = [
    "ModelFit",
    "SensitivityResult",
    "compare_estimates",
    "fit_fixed_effects",
    "fit_gee",
    "fit_sensitivity",
]

_COV_STRUCTS = {"exchangeable", "ar1", "independence"}
_FE_INFERENCE = ("auto", "cr2", "cr1", "wild")
_GEE_INFERENCE = ("auto", "cr2", "robust", "wild")


@dataclass(frozen=True)
class ModelFit:
    """A sensitivity fit, reported like :class:`WithinBetweenResult`.

    Attributes
    ----------
    model : str
        Label, e.g. ``"GEE, AR(1) working correlation"``.
    table : pandas.DataFrame
        ``term``, ``estimate`` (outcome units per ``per``), ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value``, ``per``, ``df`` (t degrees of freedom, ``inf`` for z); as in
        :func:`fit_within_between`.
    converged : bool
    n_athletes, n_obs : int
    notes, warnings : tuple of str
    cov : pandas.DataFrame
        Covariance matrix of the reported effects (``contextual`` excluded).
    df_resid : float or None
        A single t df for every term (CR1: ``G - 1``), else None (per-term ``df`` in ``table``).
    raw : statsmodels results object (or the :class:`~soleus_analysis.models.robust.ClusterRobust`
        of a fixed-effects fit)
    period : str or None
        Period adjustment used.
    inference : str
    """

    model: str
    table: pd.DataFrame
    converged: bool
    n_athletes: int
    n_obs: int
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    cov: pd.DataFrame = field(repr=False)
    df_resid: float | None
    raw: Any = field(repr=False)
    period: str | None = None
    inference: str = "cr2"
    _effects: Any = field(repr=False, default=None)

    def effect(self, term: str = "within") -> pd.Series:
        """One row of ``table`` (``KeyError`` naming the terms if absent)."""
        return effect_row(self.table, term)

    def estimate(self, term: str = "within") -> float:
        """Deprecated: use ``effect(term)["estimate"]``."""
        warnings.warn("estimate(term) is deprecated; use effect(term)['estimate']",
                      DeprecationWarning, stacklevel=2)
        return float(self.effect(term)["estimate"])

    @property
    def n_groups(self) -> int:
        """Deprecated alias of ``n_athletes``."""
        warnings.warn("n_groups is deprecated; use n_athletes", DeprecationWarning,
                      stacklevel=2)
        return self.n_athletes

    def combine(self, terms: Sequence[str] | Mapping[str, float], *, level: float = 0.95
                ) -> pd.Series:
        """A (weighted) sum of reported terms with its own df (see ``combine_effects``)."""
        return self._effects.combine(terms, level)


def fit_gee(
    data: pd.DataFrame,
    *,
    outcome: str,
    exposure: str,
    group: str = "athlete_id",
    time: str = "week_start",
    covariates: Sequence[str] = (),
    lags: Sequence[int] = (),
    cov_struct: str = "exchangeable",
    step: float = 10.0,
    decompose_covariates: bool = True,
    time_step: Any = None,
    level: float = 0.95,
    period: str | None = "auto",
    period_df: int | None = None,
    inference: str = "auto",
    n_boot: int = 9999,
    rng: Any = None,
) -> ModelFit:
    """Within-between model fitted by GEE with cluster-robust standard errors.

    Parameters
    ----------
    data, outcome, exposure, group, time, covariates, lags, step, decompose_covariates,
    time_step, level, period, period_df, n_boot, rng
        As in :func:`~soleus_analysis.models.within_between.fit_within_between`.
    cov_struct : {"exchangeable", "ar1", "independence"}
        Working correlation within an athlete. With ``"ar1"`` the model is fitted to the
        within-athlete deviations (outcome and regressors centred on the athlete's mean, so only
        within terms are reported): on the raw outcome, the large between-athlete differences
        make every pair of weeks look equally correlated and the AR(1) parameter runs to 1.
    inference : {"auto", "cr2", "robust", "wild"}, default "auto"
        ``"auto"`` = ``"cr2"``: CR2 errors with the fitted working covariance as working model
        and Satterthwaite df; ``"robust"``: statsmodels' sandwich with z tests (large samples);
        ``"wild"``: restricted wild cluster bootstrap of the exposure terms (working
        correlation held at its estimate).

    Returns
    -------
    ModelFit
        ``table`` with ``term``, ``estimate`` (outcome units per ``per``), ``std_error``,
        ``ci_low``, ``ci_high``, ``p_value``, ``per``, ``df``; ``notes`` holds the estimated
        working correlation.
    """
    if cov_struct not in _COV_STRUCTS:
        raise ValueError(f"cov_struct must be one of {sorted(_COV_STRUCTS)}, got {cov_struct!r}")
    method = resolve_inference(inference, _GEE_INFERENCE)
    within_only = cov_struct == "ar1"
    if within_only and any(not pd.api.types.is_numeric_dtype(data[c]) for c in covariates
                           if c in data.columns):
        raise ValueError(
            "the AR(1) GEE works on within-athlete deviations and cannot take categorical "
            "covariates; Fix: leave them out or use cov_struct='exchangeable'."
        )
    design = prepare(
        data, outcome=outcome, exposure=exposure, group=group, time=time,
        covariates=covariates, lags=lags, step=float(step),
        decompose_covariates=decompose_covariates or within_only, time_step=time_step,
        include_between=not within_only, period=period, period_df=period_df,
        absorb=within_only,
    )
    frame = design.frame
    codes = pd.factorize(frame["athlete"], sort=True)[0]
    n_athletes = int(codes.max()) + 1
    if n_athletes < 2:
        raise ValueError(
            f"the analysis window holds {n_athletes} athlete(s); GEE with cluster-robust errors "
            "needs several. Fix: check the outcome and exposure columns for missing values."
        )
    y = frame["y"].to_numpy(dtype=float)
    x = design.matrix(intercept=not within_only)
    names = (["Intercept"] if not within_only else []) + list(design.terms)
    if within_only:
        y = demean_within(y, codes)
        x = demean_within(x, codes)
    order = np.lexsort((design.time_index, codes))
    y, x, codes_o, t_o = y[order], x[order], codes[order], design.time_index[order]
    structure = {
        "exchangeable": sm.cov_struct.Exchangeable,
        "ar1": lambda: sm.cov_struct.Autoregressive(grid=False),
        "independence": sm.cov_struct.Independence,
    }[cov_struct]()
    label = {
        "exchangeable": "GEE, exchangeable working correlation",
        "ar1": "GEE, AR(1) working correlation",
        "independence": "GEE, independence working correlation",
    }[cov_struct]
    notes = [
        "Estimand: the population-averaged change in the outcome in a period in which an "
        f"athlete's {exposure} is {step:g} above the athlete's own mean (within)"
        + ("" if within_only else "; the between effect compares athletes' means")
        + ".",
        *design.notes,
    ]
    if within_only:
        notes.append("Fitted to within-athlete deviations (athlete means removed).")
    res = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = sm.GEE(y, x, groups=codes_o, time=t_o, cov_struct=structure,
                       family=sm.families.Gaussian())
        try:
            res = model.fit(maxiter=200)
            params = np.asarray(res.params, dtype=float)
            summary = structure.summary()
        except (ValueError, np.linalg.LinAlgError) as exc:
            params = np.full(len(names), np.nan)
            summary = "not estimated"
            notes.append(f"GEE failed: {exc}")
    msgs = caught_messages(caught)
    converged = res is not None and not any(
        "ConvergenceWarning" in m or "IterationLimit" in m for m in msgs
    )
    cr = None
    if res is None:
        cov = np.full((len(names), len(names)), np.nan)

        def df_fn(c: np.ndarray) -> float:
            return float("nan")
    elif method == "robust":
        cov = np.asarray(res.cov_params(), dtype=float)

        def df_fn(c: np.ndarray) -> float:
            return float("inf")
    else:
        phi = []
        scale = float(res.scale)
        for j, lab in enumerate(model.group_labels):
            rows = model.group_indices[lab]
            mat, _ = structure.covariance_matrix(np.ones(len(rows)), j)
            phi.append(scale * np.asarray(mat, dtype=float))
        cr = ClusterRobust(x, y - x @ params, codes_o, phi=phi)
        cov = cr.vcov
        df_fn = cr.df
    effects = Effects(names=names, est=params, cov=cov, design=design, df_fn=df_fn)
    table = effects.table(level)
    if method == "wild" and cr is not None:
        reported = [design.labels[n] for n in design.exposure_terms]
        table = apply_wild(table, effects, lambda c: cr.wild(
            c, estimate=float(c @ params), level=level, n_boot=n_boot, rng=rng), reported,
            level=level)
    notes.append(f"Working correlation: {summary}")
    if res is not None and not converged:
        notes.append("GEE did not converge within 200 iterations; see warnings.")
    notes.append(inference_note(method, n_athletes, model="the GEE working covariance")
                 if method != "robust" else
                 "Intervals and p-values: statsmodels' robust sandwich with z tests "
                 "(large-sample; too narrow with few athletes).")
    if res is not None:
        serial = serial_note(y - x @ params, codes_o, t_o, robust=method != "robust")
        if serial:
            notes.append(serial)
    return ModelFit(
        model=label,
        table=table,
        converged=converged,
        n_athletes=n_athletes,
        n_obs=len(frame),
        notes=tuple(notes),
        warnings=msgs,
        cov=effects.reported_cov(),
        df_resid=None,
        raw=res,
        period=design.period,
        inference=method,
        _effects=effects,
    )


def fit_fixed_effects(
    data: pd.DataFrame,
    *,
    outcome: str,
    exposure: str,
    group: str = "athlete_id",
    time: str = "week_start",
    covariates: Sequence[str] = (),
    lags: Sequence[int] = (),
    step: float = 10.0,
    time_step: Any = None,
    level: float = 0.95,
    period: str | None = "auto",
    period_df: int | None = None,
    inference: str = "auto",
    n_boot: int = 9999,
    rng: Any = None,
) -> ModelFit:
    """Within-athlete effect by OLS with athlete (and period) fixed effects, cluster-robust errors.

    Outcome and regressors are centred on each athlete's mean over the analysis window (the
    within transformation, identical to a dummy per athlete); with calendar-week effects this
    is the two-way fixed-effects estimator. Between-athlete terms are absorbed and not reported.

    Parameters
    ----------
    data, outcome, exposure, group, time, covariates, lags, step, time_step, level, period,
    period_df, n_boot, rng
        As in :func:`~soleus_analysis.models.within_between.fit_within_between`; numeric
        covariates enter with their within parts, categorical ones as dummies.
    inference : {"auto", "cr2", "cr1", "wild"}, default "auto"
        ``"auto"`` = ``"cr2"``: CR2 (Bell-McCaffrey) errors by athlete with Satterthwaite
        degrees of freedom per term (reproduces R's clubSandwich for
        ``lm(y ~ x + factor(athlete) + factor(week))``); ``"cr1"``: CR1
        (``G/(G-1) (N-1)/(N-K)``) with t on ``G - 1`` df (the earlier default; too liberal with
        few athletes); ``"wild"``: restricted wild cluster bootstrap of the exposure terms
        (Webb weights below 12 athletes, Rademacher otherwise; ``n_boot``, ``rng``).

    Returns
    -------
    ModelFit
        ``table`` with ``term`` (``within``, ``lag{l}_within``, covariates), ``estimate``
        (outcome units per ``per``), ``std_error`` (cluster-robust), ``ci_low``, ``ci_high``,
        ``p_value``, ``per``, ``df``.
    """
    method = resolve_inference(inference, _FE_INFERENCE)
    design = prepare(
        data, outcome=outcome, exposure=exposure, group=group, time=time,
        covariates=covariates, lags=lags, step=float(step), decompose_covariates=True,
        time_step=time_step, include_between=False, period=period, period_df=period_df,
        absorb=True,
    )
    frame = design.frame
    codes = pd.factorize(frame["athlete"], sort=True)[0]
    n_groups = int(codes.max()) + 1
    if n_groups < 2:
        raise ValueError(
            f"the analysis window holds {n_groups} athlete(s); fixed effects with "
            "cluster-robust errors need several. Fix: check the outcome and exposure columns "
            "for missing values."
        )
    names = list(design.terms)
    x_dm = demean_within(design.matrix(intercept=False), codes)
    y_dm = demean_within(frame["y"].to_numpy(dtype=float), codes)
    params = np.linalg.lstsq(x_dm, y_dm, rcond=None)[0]
    resid = y_dm - x_dm @ params
    cr = ClusterRobust(x_dm, resid, codes, absorbed=True)
    df_resid = None
    if method == "cr1":
        n, k = x_dm.shape
        u = np.zeros((n_groups, k))
        np.add.at(u, codes, x_dm * resid[:, None])
        bread = cr.bread
        cov = bread @ (u.T @ u) @ bread * n_groups / (n_groups - 1) * (n - 1) / (n - k)
        df_resid = float(n_groups - 1)

        def df_fn(c: np.ndarray) -> float:
            return float(n_groups - 1)
    else:
        cov = cr.vcov
        df_fn = cr.df
    effects = Effects(names=names, est=params, cov=cov, design=design, df_fn=df_fn)
    table = effects.table(level)
    if method == "wild":
        reported = [design.labels[n] for n in design.exposure_terms]
        table = apply_wild(table, effects, lambda c: cr.wild(
            c, estimate=float(c @ params), level=level, n_boot=n_boot, rng=rng), reported,
            level=level)
    notes = [
        "Estimand: the average change in the outcome in a period in which an athlete's "
        f"{exposure} is {step:g} above the athlete's own mean (athlete fixed effects: every "
        "stable difference between athletes is removed).",
        *design.notes,
        inference_note(method, n_groups, model="OLS"),
    ]
    serial = serial_note(resid, codes, design.time_index, robust=True)
    if serial:
        notes.append(serial)
    return ModelFit(
        model="OLS, athlete fixed effects, cluster-robust SE",
        table=table,
        converged=True,
        n_athletes=n_groups,
        n_obs=len(frame),
        notes=tuple(notes),
        warnings=(),
        cov=effects.reported_cov(),
        df_resid=df_resid,
        raw=cr,
        period=design.period,
        inference=method,
        _effects=effects,
    )


def compare_estimates(
    *fits: WithinBetweenResult | ModelFit,
    terms: Sequence[str] = ("within",),
    sums: Mapping[str, Sequence[str]] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Put the same terms of several fits side by side.

    Parameters
    ----------
    *fits : WithinBetweenResult or ModelFit
        Results of :func:`fit_within_between`, :func:`fit_gee` or :func:`fit_fixed_effects`.
    terms : sequence of str, default ("within",)
        Terms to show (those a fit lacks are skipped for that fit).
    sums : mapping of str to sequence of str, optional
        Sums of terms to add as rows, e.g. ``{"cumulative": ["within", "lag1_within"]}``
        (:func:`~soleus_analysis.models.within_between.combine_effects`: estimate and CI of the
        sum, with the covariances and its own df); skipped for a fit that lacks a term.
    level : float, default 0.95
        Level of the intervals of ``sums`` (``terms`` keep the fits' own level).

    Returns
    -------
    pandas.DataFrame
        One row per fit and term: ``term``, ``estimate`` (outcome units per ``per``),
        ``std_error``, ``ci_low``, ``ci_high``, ``p_value``, ``per``, ``df``, ``model``,
        ``converged``, ``n_obs``.
    """
    rows = []
    for fit in fits:
        label = getattr(fit, "model", None) or _mixed_label(fit)
        table = fit.table.set_index("term")
        for term in terms:
            if term not in table.index:
                continue
            r = table.loc[term]
            rows.append(_estimate_row(fit, label, term, r, per=r.get("per", "")))
        for name, parts in (sums or {}).items():
            if any(p not in table.index for p in parts):
                continue
            r = combine_effects(fit, list(parts), level=level)
            rows.append(_estimate_row(fit, label, name, r,
                                      per=table.loc[parts[0]].get("per", "")))
    return pd.DataFrame(rows, columns=["term", *_ESTIMATE_COLUMNS, "per", "df", "model",
                                       "converged", "n_obs"])


_ESTIMATE_COLUMNS = ("estimate", "std_error", "ci_low", "ci_high", "p_value")


def _estimate_row(fit: Any, label: str, term: str, values: pd.Series, *, per: str) -> dict:
    """One row of :func:`compare_estimates`: a term's estimate and CI with the fit's status."""
    return {"term": term, **{c: values[c] for c in _ESTIMATE_COLUMNS}, "per": per,
            "df": float(values.get("df", np.inf)), "model": label,
            "converged": bool(fit.converged), "n_obs": int(fit.n_obs)}


def _mixed_label(fit: Any) -> str:
    structure = getattr(fit, "re_structure", "")
    has_slope = "x_w" in getattr(getattr(fit, "mixed", None), "re_cov", pd.DataFrame()).index
    if structure == "full" and has_slope:
        return "Mixed model, random intercept and slope"
    if structure == "uncorrelated":
        return "Mixed model, uncorrelated random intercept and slope"
    return "Mixed model, random intercept"


@dataclass(frozen=True)
class SensitivityResult:
    """All fits of :func:`fit_sensitivity` and their side-by-side table.

    Attributes
    ----------
    table : pandas.DataFrame
        :func:`compare_estimates` of every fit (``term``, ``estimate``, ..., ``per``, ``df``,
        ``model``, ``converged``, ``n_obs``).
    fits : dict
        Label -> fit result (the first is the mixed model, the main analysis).
    notes : tuple of str
        The main analysis's notes, then one line per other fit that disagrees.
    n_athletes, n_obs : int
        Of the main analysis.
    """

    table: pd.DataFrame
    fits: dict[str, Any] = field(repr=False)
    notes: tuple[str, ...] = ()
    n_athletes: int = 0
    n_obs: int = 0

    @property
    def raw(self) -> dict[str, Any]:
        """The fits (label -> result)."""
        return self.fits

    def effect(self, term: str = "within", model: str | None = None) -> pd.Series:
        """One row of ``table``: the term in ``model`` (default: the first fit, the mixed
        model)."""
        model = model or next(iter(self.fits))
        hit = self.table.loc[(self.table["term"] == term) & (self.table["model"] == model)]
        if hit.empty:
            raise KeyError(f"no term {term!r} for model {model!r}; terms are "
                           f"{sorted(set(self.table['term']))}, models {list(self.fits)}")
        return hit.iloc[0]


def fit_sensitivity(
    data: pd.DataFrame,
    *,
    outcome: str,
    exposure: str,
    group: str = "athlete_id",
    time: str = "week_start",
    covariates: Sequence[str] = (),
    lags: Sequence[int] = (),
    step: float = 10.0,
    terms: Sequence[str] = ("within",),
    sums: Mapping[str, Sequence[str]] | None = None,
    time_step: Any = None,
    level: float = 0.95,
    period: str | None = "auto",
    period_df: int | None = None,
) -> SensitivityResult:
    """Fit the mixed model and every sensitivity model on the same data; compare the estimates.

    Fits :func:`fit_within_between` (random intercept and slope), :func:`fit_gee` with
    exchangeable and AR(1) working correlations, and :func:`fit_fixed_effects`, all with the
    same period adjustment and their default (CR2, Satterthwaite df) inference. ``terms`` and
    ``sums`` (e.g. ``{"cumulative": ["within", "lag1_within", ...]}``) choose the rows of the
    table, see :func:`compare_estimates`.

    Returns
    -------
    SensitivityResult
        ``table`` (see :func:`compare_estimates`), ``fits``, ``notes``, ``n_athletes``,
        ``n_obs``, ``effect(term, model=None)``.
    """
    kw = dict(outcome=outcome, exposure=exposure, group=group, time=time,
              covariates=covariates, lags=lags, step=step, time_step=time_step, level=level,
              period=period, period_df=period_df)
    fits: dict[str, Any] = {}
    mixed = fit_within_between(data, **kw)
    fits[_mixed_label(mixed)] = mixed
    for struct in ("exchangeable", "ar1"):
        g = fit_gee(data, cov_struct=struct, **kw)
        fits[g.model] = g
    fe = fit_fixed_effects(data, **kw)
    fits[fe.model] = fe
    table = compare_estimates(*fits.values(), terms=terms, sums=sums, level=level)
    notes = list(mixed.notes)
    main = mixed.effect("within")
    for label, fit in list(fits.items())[1:]:
        r = fit.effect("within")
        if not (r["ci_low"] <= main["estimate"] <= r["ci_high"]):
            notes.append(f"{label}: within effect {r['estimate']:.3g} "
                         f"[{r['ci_low']:.3g}, {r['ci_high']:.3g}] does not contain the mixed "
                         f"model's estimate {main['estimate']:.3g}.")
    return SensitivityResult(table=table, fits=fits, notes=tuple(notes),
                             n_athletes=mixed.n_athletes, n_obs=mixed.n_obs)
