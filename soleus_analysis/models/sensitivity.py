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
import statsmodels.formula.api as smf
from scipy import stats

from soleus_analysis.models.mixed import _messages
from soleus_analysis.models.within_between import (
    WithinBetweenResult,
    _prepare,
    combine_effects,
    effects_table,
    fit_within_between,
    reported_cov,
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


@dataclass(frozen=True)
class ModelFit:
    """A sensitivity fit, reported like :class:`WithinBetweenResult`.

    Attributes
    ----------
    model : str
        Label, e.g. ``"GEE, AR(1) working correlation"``.
    table : pandas.DataFrame
        ``term``, ``estimate`` (outcome units per ``per``), ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value``, ``per``; as in :func:`fit_within_between`.
    converged : bool
    n_athletes, n_obs : int
    notes, warnings : tuple of str
    cov : pandas.DataFrame
        Covariance matrix of the reported effects (``contextual`` excluded).
    df_resid : float or None
        Degrees of freedom of the t reference distribution (None: normal).
    raw : statsmodels results object
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

    def effect(self, term: str = "within") -> pd.Series:
        """One row of ``table`` (``KeyError`` naming the terms if absent)."""
        hit = self.table.loc[self.table["term"] == term]
        if hit.empty:
            raise KeyError(f"no term {term!r}; terms are {list(self.table['term'])}")
        return hit.iloc[0]


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
) -> ModelFit:
    """Within-between model fitted by GEE with robust standard errors.

    Parameters
    ----------
    data, outcome, exposure, group, time, covariates, lags, step, decompose_covariates,
    time_step, level
        As in :func:`~soleus_analysis.models.within_between.fit_within_between`.
    cov_struct : {"exchangeable", "ar1", "independence"}
        Working correlation within an athlete. With ``"ar1"`` the model is fitted to the
        within-athlete deviations (outcome and regressors centred on the athlete's mean, so only
        within terms are reported): on the raw outcome, the large between-athlete differences
        make every pair of weeks look equally correlated and the AR(1) parameter runs to 1.
        statsmodels' AR(1) working matrix counts weeks by position, so a gap counts as one week
        (the robust standard errors stay valid; only efficiency is affected).

    Returns
    -------
    ModelFit
        ``table`` with ``term``, ``estimate`` (outcome units per ``per``), ``std_error``
        (robust), ``ci_low``, ``ci_high``, ``p_value`` (Wald z), ``per``; ``notes`` holds the
        estimated working correlation.
    """
    if cov_struct not in _COV_STRUCTS:
        raise ValueError(f"cov_struct must be one of {sorted(_COV_STRUCTS)}, got {cov_struct!r}")
    within_only = cov_struct == "ar1"
    design = _prepare(
        data, outcome=outcome, exposure=exposure, group=group, time=time,
        covariates=covariates, lags=lags, step=float(step),
        decompose_covariates=decompose_covariates or within_only, time_step=time_step,
        include_between=not within_only,
    )
    frame = design.frame.copy()
    frame["t"] = design.time_index
    if within_only:
        frame["y"] = frame["y"] - frame.groupby("athlete")["y"].transform("mean")
        if any(term.startswith("C(") for term in design.rhs):
            raise ValueError(
                "the AR(1) GEE works on within-athlete deviations and cannot take categorical "
                "covariates; Fix: leave them out or use cov_struct='exchangeable'."
            )
    frame = frame.sort_values(["athlete", "t"], kind="stable")
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
    formula = "y ~ " + " + ".join(design.rhs) + (" - 1" if within_only else "")
    notes = list(design.notes)
    if within_only:
        notes.append("Fitted to within-athlete deviations (athlete means removed).")
    res = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = smf.gee(
            formula, groups="athlete", data=frame, time=frame["t"].to_numpy(),
            cov_struct=structure, family=sm.families.Gaussian(),
        )
        try:
            res = model.fit(maxiter=200)
            names = list(res.params.index)
            params = np.asarray(res.params, dtype=float)
            cov = np.asarray(res.cov_params(), dtype=float)
            summary = structure.summary()
        except (ValueError, np.linalg.LinAlgError) as exc:
            names = list(model.exog_names)
            params = np.full(len(names), np.nan)
            cov = np.full((len(names), len(names)), np.nan)
            summary = "not estimated"
            notes.append(f"GEE failed: {exc}")
    msgs = _messages(caught)
    converged = res is not None and not any(
        "ConvergenceWarning" in m or "IterationLimit" in m for m in msgs
    )
    table = effects_table(names, params, cov, design, level)
    notes.append(f"Working correlation: {summary}")
    if res is not None and not converged:
        notes.append("GEE did not converge within 200 iterations; see warnings.")
    return ModelFit(
        model=label,
        table=table,
        converged=converged,
        n_athletes=int(frame["athlete"].nunique()),
        n_obs=len(frame),
        notes=tuple(notes),
        warnings=msgs,
        cov=reported_cov(names, cov, design),
        df_resid=None,
        raw=res,
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
) -> ModelFit:
    """Within-athlete effect by OLS with athlete fixed effects and cluster-robust errors.

    Outcome and regressors are centred on each athlete's mean over the analysis window (the
    within transformation, identical to including a dummy per athlete); standard errors are
    clustered by athlete (CR1: ``G/(G-1) (N-1)/(N-K)``) and tests and intervals use a t
    distribution with ``G - 1`` degrees of freedom (G athletes). Between-athlete terms are
    absorbed by the fixed effects and not reported.

    Parameters
    ----------
    data, outcome, exposure, group, time, covariates, lags, step, time_step, level
        As in :func:`~soleus_analysis.models.within_between.fit_within_between`; numeric
        covariates enter with their within parts, categorical ones as dummies.

    Returns
    -------
    ModelFit
        ``table`` with ``term`` (``within``, ``lag{l}_within``, covariates), ``estimate``
        (outcome units per ``per``), ``std_error`` (cluster-robust), ``ci_low``, ``ci_high``,
        ``p_value`` (t with G - 1 df), ``per``.
    """
    design = _prepare(
        data, outcome=outcome, exposure=exposure, group=group, time=time,
        covariates=covariates, lags=lags, step=float(step), decompose_covariates=True,
        time_step=time_step, include_between=False,
    )
    frame = design.frame
    names: list[str] = []
    cols: list[np.ndarray] = []
    for term in design.rhs:
        if term.startswith("C("):
            var = term[2:-1]
            dummies = pd.get_dummies(frame[var], prefix=term, prefix_sep="[T.", dtype=float)
            for c in list(dummies.columns)[1:]:
                names.append(c + "]")
                cols.append(dummies[c].to_numpy())
        else:
            names.append(term)
            cols.append(frame[term].to_numpy(dtype=float))
    x = np.column_stack(cols)
    codes = pd.factorize(frame["athlete"])[0]
    counts = np.bincount(codes)

    def demean(a: np.ndarray) -> np.ndarray:
        sums = np.zeros((counts.size,) + a.shape[1:])
        np.add.at(sums, codes, a)
        return a - (sums / counts.reshape((-1,) + (1,) * (a.ndim - 1)))[codes]

    y_dm = demean(frame["y"].to_numpy(dtype=float))
    x_dm = demean(x)
    keep = x_dm.std(axis=0) > 1e-12
    notes = list(design.notes)
    if not keep.all():
        dropped = [n for n, k in zip(names, keep, strict=True) if not k]
        notes.append(
            f"Terms constant within every athlete, absorbed by the fixed effects: {dropped}"
        )
        x_dm = x_dm[:, keep]
        names = [n for n, k in zip(names, keep, strict=True) if k]
    n_groups = int(counts.size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = sm.OLS(y_dm, x_dm).fit(
            cov_type="cluster", cov_kwds={"groups": codes, "use_correction": True}, use_t=True
        )
        params = np.asarray(res.params, dtype=float)
        cov = np.asarray(res.cov_params(), dtype=float)
    table = effects_table(names, params, cov, design, level, dist=stats.t(df=n_groups - 1))
    notes.append(
        f"Cluster-robust standard errors with {n_groups} athletes; t with {n_groups - 1} df."
    )
    return ModelFit(
        model="OLS, athlete fixed effects, cluster-robust SE",
        table=table,
        converged=True,
        n_athletes=n_groups,
        n_obs=len(frame),
        notes=tuple(notes),
        warnings=_messages(caught),
        cov=reported_cov(names, cov, design),
        df_resid=float(n_groups - 1),
        raw=res,
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
        Results of :func:`fit_within_between`, :func:`fit_gee`, :func:`fit_fixed_effects` or
        :func:`~soleus_analysis.models.lags.fit_distributed_lag`-like objects with ``table``.
    terms : sequence of str, default ("within",)
        Terms to show (those a fit lacks are skipped for that fit).
    sums : mapping of str to sequence of str, optional
        Sums of terms to add as rows, e.g. ``{"cumulative": ["within", "lag1_within"]}``
        (:func:`~soleus_analysis.models.within_between.combine_effects`: estimate and CI of the
        sum, with the covariances); skipped for a fit that lacks one of the terms.
    level : float, default 0.95
        Level of the intervals of ``sums`` (``terms`` keep the fits' own level).

    Returns
    -------
    pandas.DataFrame
        One row per fit and term: ``model``, ``term``, ``estimate`` (outcome units per ``per``),
        ``std_error``, ``ci_low``, ``ci_high``, ``p_value``, ``per``, ``converged``, ``n_obs``.
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
            cov = getattr(fit, "cov", None)
            if cov is None or any(p not in cov.index for p in parts):
                continue
            r = combine_effects(fit, list(parts), level=level)
            rows.append(_estimate_row(fit, label, name, r,
                                      per=table.loc[parts[0]].get("per", "")))
    return pd.DataFrame(rows, columns=["model", "term", *_ESTIMATE_COLUMNS, "per", "converged",
                                       "n_obs"])


_ESTIMATE_COLUMNS = ("estimate", "std_error", "ci_low", "ci_high", "p_value")


def _estimate_row(fit: Any, label: str, term: str, values: pd.Series, *, per: str) -> dict:
    """One row of :func:`compare_estimates`: a term's estimate and CI with the fit's status."""
    return {"model": label, "term": term, **{c: values[c] for c in _ESTIMATE_COLUMNS},
            "per": per, "converged": bool(fit.converged), "n_obs": int(fit.n_obs)}


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
        :func:`compare_estimates` of every fit.
    fits : dict
        Label -> fit result.
    """

    table: pd.DataFrame
    fits: dict[str, Any] = field(repr=False)


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
) -> SensitivityResult:
    """Fit the mixed model and every sensitivity model on the same data; compare the estimates.

    Fits :func:`fit_within_between` (random intercept and slope), :func:`fit_gee` with
    exchangeable and AR(1) working correlations, and :func:`fit_fixed_effects`. ``terms`` and
    ``sums`` (e.g. ``{"cumulative": ["within", "lag1_within", ...]}``) choose the rows of the
    table, see :func:`compare_estimates`.

    Returns
    -------
    SensitivityResult
        ``table`` (see :func:`compare_estimates`) and ``fits``.
    """
    kw = dict(outcome=outcome, exposure=exposure, group=group, time=time,
              covariates=covariates, lags=lags, step=step, time_step=time_step, level=level)
    fits: dict[str, Any] = {}
    mixed = fit_within_between(data, **kw)
    fits[_mixed_label(mixed)] = mixed
    for struct in ("exchangeable", "ar1"):
        g = fit_gee(data, cov_struct=struct, **kw)
        fits[g.model] = g
    fe = fit_fixed_effects(data, **kw)
    fits[fe.model] = fe
    table = compare_estimates(*fits.values(), terms=terms, sums=sums, level=level)
    return SensitivityResult(table=table, fits=fits)
