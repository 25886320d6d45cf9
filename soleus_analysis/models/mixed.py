"""Linear mixed models with internal standardisation and honest convergence handling.

:func:`fit_mixed` builds the fixed-effects design ``X`` and the random-effects design ``Z`` from
the formulas (directly when they are sums of numeric columns, otherwise with statsmodels' formula
engine), standardises their columns and the outcome, fits on that scale, and transforms every
reported quantity back to the original units exactly (see *Notes* of :func:`fit_mixed`). The
fit is the vectorised profiled (RE)ML optimum of :mod:`soleus_analysis.models.reml` once Newton's
method has located it; statsmodels' :class:`~statsmodels.regression.mixed_linear_model.MixedLM`
optimisers are the fallback when it has not, and ``raw`` is statsmodels' result at the reported
optimum. Standardising is not cosmetic: on raw-scale predictors statsmodels' random-slope fit of
500 athletes x 52 weeks stopped unconverged with a wrong standard error, while the same model on
standardised predictors converged.
"""

from __future__ import annotations

import functools
import keyword
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.regression.mixed_linear_model import MixedLM, MixedLMParams, MixedLMResults

from soleus_analysis.models.reml import (
    GroupSums,
    kenward_roger,
    profiled_fit,
    satterthwaite_df,
    theta_of,
)
from soleus_analysis.models.result import effect_row, wald_columns
from soleus_analysis.models.robust import ClusterRobust, RandomEffectsPhi

__all__ = ["DEFAULT_METHODS", "INFERENCE_METHODS", "MixedResult", "fit_mixed"]

#: Inference methods of :func:`fit_mixed` (see its *Notes*).
INFERENCE_METHODS = ("satterthwaite", "kenward-roger", "cr2", "z")

#: Optimisers tried in turn until one converges (statsmodels / scipy names).
DEFAULT_METHODS: tuple[str, ...] = ("lbfgs", "bfgs", "powell", "nm")

_BOUNDARY_REL = 1e-3  # a random-effect SD below this share of the residual SD is "at zero"
_SINGULAR_CORR = 0.999  # |correlation| above this: the random-effects matrix is singular
_HESSIAN_MSG = "not positive definite"

#: ``MixedResult.optimizer`` when the vectorised profiled optimum is the reported fit.
PROFILED_OPTIMIZER = "profiled (BFGS + Newton)"


@dataclass(frozen=True)
class _Standardiser:
    """Affine map between a design matrix and its standardised version.

    ``scaled = (M - centre) / scale`` column by column. If ``M`` has a constant column (an
    intercept) the other columns are centred and scaled; otherwise they are only scaled (centring
    without an intercept would change the model). ``transform`` maps coefficients on the scaled
    columns to coefficients on the original columns: ``coef = transform @ coef_scaled``.
    """

    centre: np.ndarray
    scale: np.ndarray
    const_index: int | None
    transform: np.ndarray

    @classmethod
    def of(cls, mat: np.ndarray) -> _Standardiser:
        mat = np.asarray(mat, dtype=float)
        k = mat.shape[1]
        mean = mat.mean(axis=0)
        sd = mat.std(axis=0)
        constant = sd <= 1e-12 * np.maximum(1.0, np.abs(mean))
        const_index = int(np.flatnonzero(constant)[0]) if constant.any() else None
        centre = np.zeros(k)
        scale = np.ones(k)
        for j in range(k):
            if constant[j]:
                continue
            if const_index is not None:
                centre[j] = mean[j]
                scale[j] = sd[j]
            else:
                rms = float(np.sqrt(np.mean(mat[:, j] ** 2)))
                scale[j] = rms if rms > 0 else 1.0
        # X = X' S + 1 m^T and 1 = X c with c = e_k / value of the constant column, so
        # X beta = X' beta' with beta = (I - c m^T) S^{-1} beta'.
        c = np.zeros(k)
        if const_index is not None:
            c[const_index] = 1.0 / mat[0, const_index]
        transform = (np.eye(k) - np.outer(c, centre)) / scale[np.newaxis, :]
        return cls(centre=centre, scale=scale, const_index=const_index, transform=transform)

    def apply(self, mat: np.ndarray) -> np.ndarray:
        out = np.asarray(mat, dtype=float) - self.centre
        out /= self.scale  # in place: one n x p temporary fewer
        return out

    def identity(self) -> _Standardiser:
        """The same design left as it is (no centring, no scaling)."""
        k = len(self.centre)
        return _Standardiser(np.zeros(k), np.ones(k), self.const_index, np.eye(k))

    @property
    def ones_coef(self) -> np.ndarray:
        """Coefficients ``c`` with ``M @ c == 1`` (zeros if there is no constant column)."""
        c = np.zeros(len(self.centre))
        if self.const_index is not None:
            c[self.const_index] = 1.0  # the constant column is 1 after formula processing
        return c


@dataclass(frozen=True)
class MixedResult:
    """A fitted linear mixed model, reported on the original scale of the data.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per fixed effect: ``term``; ``estimate`` (outcome units per unit of the term);
        ``std_error``; ``ci_low``, ``ci_high`` (interval at ``level``); ``p_value``
        (two-sided t test); ``per`` (``"+1 <term>"``); ``df`` (denominator degrees of freedom of
        the t reference distribution; ``inf`` for a z test). See ``inference``.
    random_effects : pandas.DataFrame
        Variance components: ``kind`` (``"sd"`` or ``"corr"``), ``term`` (random-effect term, or
        ``"Residual"``), ``term2`` (the second term of a correlation, else empty), ``estimate``
        (SD in outcome units per unit of the term, or a correlation).
    re_cov : pandas.DataFrame
        Random-effects covariance matrix on the original scale.
    cov_params : pandas.DataFrame
        Covariance matrix of the fixed-effect estimates on the original scale: lme4's
        ``sigma^2 (X'V^-1X)^-1`` (``inference`` ``"satterthwaite"`` or ``"z"``) or the CR2
        cluster-robust covariance (``"cr2"``).
    residual_sd : float
        Residual standard deviation, outcome units.
    converged : bool
        True if Newton's method located the profiled optimum (positive definite Hessian), or
        statsmodels reported convergence with a positive definite Hessian.
    n_obs, n_athletes : int
        Observations and groups used (after dropping rows with missing values); ``n_groups`` is
        a deprecated alias of ``n_athletes``.
    llf : float
        (Restricted) log-likelihood on the original scale, comparable with lme4's
        ``-REMLcrit/2``.
    method : str
        ``"REML"`` or ``"ML"``.
    optimizer : str
        The optimiser whose fit is reported: ``PROFILED_OPTIMIZER`` (the vectorised profiled
        optimum, located by Newton's method) or statsmodels' method name(s).
    re_structure : str
        ``"full"`` (as requested), ``"uncorrelated"`` or ``"intercept"`` (simplified because the
        requested structure did not converge; see ``notes``).
    formula, re_formula, group : str
        What was fitted (``re_formula`` as actually used).
    inference : str
        ``"satterthwaite"``, ``"cr2"`` or ``"z"`` (see :func:`fit_mixed`).
    notes : tuple of str
        What happened during fitting, in plain words (fallbacks, dropped rows, boundary fits).
    warnings : tuple of str
        Every warning statsmodels raised during the reported fit and the failed attempts, verbatim.
    scaling : pandas.DataFrame
        The internal standardisation: ``design`` (``"fixed"``, ``"random"``, ``"outcome"``),
        ``column``, ``centre``, ``scale``.
    raw : statsmodels MixedLMResults
        The statsmodels result **on the standardised scale** (see ``scaling``); when the
        profiled optimum is reported, statsmodels is fitted from it the first time ``raw`` is
        read.
    """

    table: pd.DataFrame
    random_effects: pd.DataFrame
    re_cov: pd.DataFrame
    cov_params: pd.DataFrame
    residual_sd: float
    converged: bool
    n_obs: int
    n_athletes: int
    llf: float
    method: str
    optimizer: str
    re_structure: str
    formula: str
    re_formula: str | None
    group: str
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    scaling: pd.DataFrame
    _raw: Any = field(repr=False)
    inference: str = "satterthwaite"
    _df_fn: Any = field(repr=False, default=None)
    _robust: Any = field(repr=False, default=None)
    _re_transform: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))
    _y_scale: float = field(repr=False, default=1.0)
    _re_names: tuple[str, ...] = field(repr=False, default=())
    _blups: Any = field(repr=False, default=None)

    @functools.cached_property
    def raw(self) -> MixedLMResults:
        """statsmodels' fit on the standardised scale (fitted from the reported optimum the
        first time it is read, when that optimum is the profiled one)."""
        return self._raw() if callable(self._raw) else self._raw

    @property
    def n_groups(self) -> int:
        """Deprecated alias of ``n_athletes``."""
        warnings.warn("MixedResult.n_groups is deprecated; use n_athletes", DeprecationWarning,
                      stacklevel=2)
        return self.n_athletes

    def estimate(self, term: str) -> float:
        """Deprecated: use ``effect(term)["estimate"]``."""
        warnings.warn("MixedResult.estimate(term) is deprecated; use effect(term)['estimate']",
                      DeprecationWarning, stacklevel=2)
        return float(self.effect(term)["estimate"])

    def effect(self, term: str) -> pd.Series:
        """One row of ``table`` (``KeyError`` naming the terms if absent)."""
        return effect_row(self.table, term)

    def wild(self, weights: Any, *, level: float = 0.95, n_boot: int = 9999,
             boot_weights: str = "auto", rng: Any = None) -> Any:
        """Wild cluster bootstrap (restricted, variance parameters held at their estimates) of
        the contrast ``weights' b`` of the fixed effects (no intercept weight); see
        :meth:`soleus_analysis.models.robust.ClusterRobust.wild`. Needs ``inference="cr2"``."""
        if self._robust is None:
            raise ValueError("the wild bootstrap needs a fit with inference='cr2'")
        cr, t_fe, beta_s, y_scale = self._robust
        c_s = t_fe.T @ np.asarray(weights, dtype=float)
        out = cr.wild(c_s, estimate=float(c_s @ beta_s), level=level, n_boot=n_boot,
                      weights=boot_weights, rng=rng)
        return type(out)(p_value=out.p_value, ci_low=out.ci_low * y_scale,
                         ci_high=out.ci_high * y_scale, n_boot=out.n_boot, weights=out.weights)

    def contrast_df(self, weights: Any) -> float:
        """Degrees of freedom of the contrast ``weights' b`` of the fixed effects (by
        ``inference``: Satterthwaite, CR2-Satterthwaite, or ``inf`` for z)."""
        w = np.asarray(weights, dtype=float)
        if self._df_fn is None:
            return float("inf")
        return float(self._df_fn(w))

    def group_effects(self) -> pd.DataFrame:
        """Predicted random effects (BLUPs) of every group, on the original scale.

        Returns
        -------
        pandas.DataFrame
            One row per group and random-effect term: ``group``; ``term``; ``deviation`` (the
            group's predicted deviation from the fixed effect, outcome units per unit of the
            term); ``deviation_sd`` (square root of its conditional variance given the data and
            the estimated parameters, as lme4's ``condVar``; it ignores the uncertainty of the
            fixed effects and of the variance parameters).
        """
        q = len(self._re_names)
        if q == 0:
            return pd.DataFrame(columns=["group", "term", "deviation", "deviation_sd"])
        labels, means, covs = self._blups
        tz = self._re_transform * self._y_scale
        b = means @ tz.T
        sd = np.sqrt(np.clip(np.einsum("ij,gjk,ik->gi", tz, covs, tz), 0, None))
        rows = [(grp, name, b[g, j], sd[g, j]) for g, grp in enumerate(labels)
                for j, name in enumerate(self._re_names)]
        return pd.DataFrame(rows, columns=["group", "term", "deviation", "deviation_sd"])


@dataclass
class _Attempt:
    """One fit of one random-effects structure: statsmodels' or the profiled optimum."""

    result: Any
    method: str
    structure: str
    converged: bool
    messages: list[str]
    error: str | None = None

    @property
    def llf(self) -> float:
        if self.result is None:
            return -np.inf
        llf = float(self.result.llf)
        return llf if np.isfinite(llf) else -np.inf


@dataclass(frozen=True)
class _ProfiledFit:
    """The profiled (RE)ML optimum in the shape of a statsmodels result (what is reported)."""

    fe_params: np.ndarray
    cov_re: np.ndarray  # sigma^2 Psi
    scale: float
    llf: float
    converged: bool = True


@dataclass(frozen=True)
class _Design:
    """Model arrays on the fitting scale, with what is needed to transform back."""

    y: np.ndarray
    x: np.ndarray
    z: np.ndarray
    groups: np.ndarray
    fe_names: list[str]
    re_names: list[str]
    outcome: str
    labels: np.ndarray  # the distinct groups, sorted once (athlete names sort slowly)
    codes: np.ndarray  # each row's position in ``labels``, for the per-group algebra
    sx: _Standardiser
    sz: _Standardiser
    y_centre: float
    y_scale: float
    messages: list[str]


def _fit_attempt(
    model: MixedLM,
    *,
    reml: bool,
    method: str,
    structure: str,
    start: Any,
    free: Any,
) -> _Attempt:
    kwargs: dict[str, Any] = {"maxiter": 2000}
    if method == "bfgs":
        kwargs["gtol"] = 1e-8
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = model.fit(
                reml=reml, method=[method], start_params=start, free=free, **kwargs
            )
        except (np.linalg.LinAlgError, ValueError, ZeroDivisionError, OverflowError) as exc:
            msgs = [f"{w.category.__name__}: {w.message}" for w in caught]
            error = f"{type(exc).__name__}: {exc}"
            return _Attempt(None, method, structure, False, msgs, error=error)
        k_fe = model.exog.shape[1]
        var_fe = np.diag(np.asarray(res.cov_params(), dtype=float))[:k_fe]
        llf = float(res.llf)
    msgs = [f"{w.category.__name__}: {w.message}" for w in caught]
    hessian_ok = not any(_HESSIAN_MSG in m for m in msgs)
    finite = bool(np.all(np.isfinite(var_fe)) and np.all(var_fe > 0))
    ok = bool(res.converged) and hessian_ok and finite and np.isfinite(llf)
    return _Attempt(res, method, structure, ok, msgs)


def _polish(model: MixedLM, attempt: _Attempt, *, reml: bool, free: Any) -> _Attempt:
    """Refine a converged fit with BFGS at a tight gradient tolerance (a few iterations)."""
    start = attempt.result.params_object
    polished = _fit_attempt(
        model, reml=reml, method="bfgs", structure=attempt.structure, start=start, free=free
    )
    if polished.converged and (not attempt.converged or polished.llf >= attempt.llf - 1e-9):
        polished.method = f"{attempt.method}+bfgs"
        polished.messages = attempt.messages + polished.messages
        return polished
    return attempt


def fit_mixed(
    data: pd.DataFrame,
    formula: str,
    *,
    group: str,
    re_formula: str | None = None,
    reml: bool = True,
    level: float = 0.95,
    methods: tuple[str, ...] | list[str] = DEFAULT_METHODS,
    simplify: bool = True,
    standardise: bool = True,
    inference: str = "satterthwaite",
    df_terms: Any = None,
) -> MixedResult:
    """Fit a linear mixed model and report it on the original scale.

    Parameters
    ----------
    data : pandas.DataFrame
        Any table; rows with a missing value in a column the formulas use are dropped (counted
        in ``notes``).
    formula : str
        Fixed-effects formula, e.g. ``"Reaction ~ Days"`` (statsmodels formula syntax).
    group : str
        Column holding the grouping factor (e.g. ``"athlete_id"``).
    re_formula : str, optional
        Random-effects formula, e.g. ``"~Days"`` for a random intercept and slope; default is a
        random intercept only. The random effects have an unstructured covariance matrix.
    reml : bool, default True
        Restricted maximum likelihood (as lme4's default); False for maximum likelihood.
    level : float, default 0.95
        Confidence level of the Wald intervals.
    methods : sequence of str
        statsmodels optimisers tried in turn (``"lbfgs"``, ``"bfgs"``, ``"powell"``, ``"nm"``,
        ``"cg"``) when the vectorised profiled optimum is not accepted (Newton's method did not
        locate it, or ``standardise=False``). They start from that optimum; a fit is accepted
        only if statsmodels reports convergence, the Hessian is positive definite and the
        log-likelihood is not below the profiled one.
    simplify : bool, default True
        If no optimiser converges, fit uncorrelated random effects, then a random intercept only,
        and say so in ``re_structure`` and ``notes``.
    standardise : bool, default True
        Fit on standardised columns (recommended). False fits the raw scale, for comparison.
    inference : {"satterthwaite", "kenward-roger", "cr2", "z"}, default "satterthwaite"
        How ``table`` tests and intervals are made (see *Notes*): t tests with lmerTest's
        Satterthwaite degrees of freedom on lme4's covariance (``"satterthwaite"``); the
        Kenward-Roger adjusted covariance and df of pbkrtest, as lmerTest reports them
        (``"kenward-roger"``; it costs a few per-group p x p products per variance parameter
        pair, so it is slower on large data); the CR2
        cluster-robust covariance with the mixed model as working model and its Satterthwaite
        degrees of freedom, as R's clubSandwich computes for ``lmer`` fits (``"cr2"``: valid also
        when the residuals are serially correlated or the random-effects model is wrong);
        Wald z tests on lme4's covariance (``"z"``, large samples only).
    df_terms : sequence of str, optional
        Fixed effects whose degrees of freedom are computed (default: all); the others get
        ``nan`` in ``table["df"]`` (nuisance terms such as period effects; saves time on large
        data). ``contrast_df`` works for any contrast either way.

    Returns
    -------
    MixedResult
        ``table`` (fixed effects with CIs and p-values), ``random_effects`` (SDs and
        correlations), ``residual_sd``, ``converged``, ``n_obs``, ``n_groups``, ``notes``,
        ``warnings``, ``raw``; see :class:`MixedResult`.

    Raises
    ------
    ValueError
        If ``group`` is not a column, the formula cannot be built from the data, or fewer than
        two groups remain.

    Notes
    -----
    *Standardisation.* Let ``X`` be the fixed-effects design (with an intercept column) and
    ``X' = (X - 1 m') S^{-1}`` its standardised version, ``y' = (y - m_y)/s_y``. Then
    ``X b = X' b'`` exactly with ``b = s_y (I - e_0 m') S^{-1} b' + m_y e_0 = T b'`` (an exact
    reparametrisation), so estimates transform with ``T`` and their covariance with ``T V T'``.
    The random-effects design ``Z`` is standardised in the same way with its own ``T_z``; since
    the random effects have an unstructured covariance ``G'``, ``Z b = Z' b'`` with
    ``b = s_y T_z b'`` and ``G = s_y^2 T_z G' T_z'`` (an SD of a random slope scales by
    ``s_y / s_x``; the intercept variance and the intercept-slope covariance change with the
    centring, as the formula says). The residual variance scales by ``s_y^2``, and the REML
    log-likelihood by ``- (n - p) log s_y + log|det T|``. Without an intercept the columns are
    scaled but not centred. Tested against lme4 on ``sleepstudy``.

    *Inference.* The fixed effects' covariance is lme4's ``sigma^2 (X'V^-1X)^-1`` at the
    estimated variance parameters (statsmodels' ``cov_params`` inverts the joint observed
    Hessian of fixed effects and variance parameters instead; with few groups its standard
    errors of between-group terms differed from lme4's by a factor of 2 on PMData). With
    ``"satterthwaite"`` each test is a t test on lmerTest's Satterthwaite df (reproduced on
    sleepstudy: df 16.99973 and 16.99998); ``"cr2"`` uses the bias-reduced cluster-robust
    covariance and its Satterthwaite df (Pustejovsky & Tipton 2018;
    :mod:`soleus_analysis.models.robust`), reproducing clubSandwich.

    *Convergence.* statsmodels' warnings are caught here and returned in ``warnings`` (never
    printed); statsmodels' own "MLE may be on the boundary" warning uses an absolute threshold
    that depends on the scale, so it is replaced by the check reported in ``notes`` (an SD below
    0.1% of the residual SD, or a correlation of +-1). If the profiled optimum is singular
    (lme4's rule: a diagonal element of the relative Cholesky factor below 1e-4), statsmodels'
    fixed effects there are unreliable (it inverts the random-effects covariance), so with
    ``simplify=True`` the fit moves to uncorrelated random effects, then to a random intercept,
    and ``re_structure``/``notes`` say so.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> g = np.repeat(np.arange(20), 8)
    >>> x = np.tile(np.arange(8.0), 20)
    >>> y = 5 + rng.normal(0, 2, 20)[g] + 0.5 * x + rng.normal(0, 1, g.size)
    >>> fit = fit_mixed(pd.DataFrame({"y": y, "x": x, "g": g}), "y ~ x", group="g")
    >>> row = fit.effect("x")
    >>> fit.converged, fit.n_athletes, round(float(row["estimate"]), 2), round(float(row["df"]), 1)
    (True, 20, 0.48, 139.0)
    """
    _check_arguments(data, group, level, inference, methods)
    notes: list[str] = []
    design = _design(data, formula, group, re_formula, standardise, notes)
    structures = _structures(design, simplify)
    chosen, chosen_cols, attempts, sums = _fit_structures(
        design, structures, reml=reml, methods=tuple(methods), standardise=standardise,
        notes=notes, formula=formula,
    )
    if chosen.structure != "full" and chosen.converged:
        notes.append(
            f"Reported: {chosen.structure} random effects (the requested structure was "
            "singular or did not converge)."
        )
    res = chosen.result
    diagonal = chosen.structure == "uncorrelated"
    xs, zs = design.x, design.z[:, chosen_cols]
    beta_s = np.asarray(res.fe_params, dtype=float)
    scale_s = float(res.scale)
    psi_s = np.asarray(res.cov_re, dtype=float) / scale_s
    if sums is None:
        sums = GroupSums(design.y, xs, zs, design.codes)
    t_fe = design.sx.transform
    cov_fe_s, dfs, df_fn, robust = _inference(
        design, zs, sums, beta_s, psi_s, scale_s, reml=reml, diagonal=diagonal,
        inference=inference, df_terms=df_terms,
    )
    beta = design.y_scale * (t_fe @ beta_s) + design.y_centre * design.sx.ones_coef
    cov_fe = design.y_scale**2 * t_fe @ cov_fe_s @ t_fe.T
    se = np.sqrt(np.clip(np.diag(cov_fe), 0, None))
    fe_names = design.fe_names
    per = ["" if j == design.sx.const_index else f"+1 {n}" for j, n in enumerate(fe_names)]
    table = pd.DataFrame({"term": fe_names, **wald_columns(beta, se, level, df=dfs),
                          "per": per})
    table = table[["term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "per",
                   "df"]]

    t_re = design.sz.transform[np.ix_(chosen_cols, chosen_cols)]
    # Columns dropped from Z: the transform of the kept block is exact only if the kept block
    # contains the constant column (it does: "intercept" keeps only it).
    g_s = np.asarray(res.cov_re, dtype=float)
    g = design.y_scale**2 * t_re @ g_s @ t_re.T
    used_re_names = [design.re_names[j] for j in chosen_cols]
    residual_sd = float(design.y_scale * np.sqrt(scale_s))
    random_effects = _variance_table(g, used_re_names, residual_sd)
    notes.extend(_boundary_notes(g_s, scale_s, used_re_names))
    llf = _original_llf(float(res.llf), design, reml=reml)

    scaling = pd.DataFrame(
        [("fixed", n, c, s) for n, c, s in zip(fe_names, design.sx.centre, design.sx.scale,
                                               strict=True)]
        + [("random", n, c, s) for n, c, s in zip(design.re_names, design.sz.centre,
                                                  design.sz.scale, strict=True)]
        + [("outcome", design.outcome, design.y_centre, design.y_scale)],
        columns=["design", "column", "centre", "scale"],
    )
    # statsmodels' boundary warning compares variances on the standardised scale with an absolute
    # 0.01; the boundary check above replaces it.
    all_messages = [
        m
        for m in design.messages + [m for a in attempts for m in a.messages]
        if "may be on the boundary" not in m
    ]
    notes.insert(0, (
        f"Estimand: each fixed effect is the average change in {design.outcome} per +1 of "
        "its term with the other terms held fixed (in a linear mixed model the same for a "
        f"typical {group} and for the population of {group}s)."))
    notes.append(_INFERENCE_NOTES[inference])
    means, covs = sums.blups(theta_of(psi_s, diagonal), beta_s, scale_s, diagonal)
    return MixedResult(
        table=table,
        random_effects=random_effects,
        re_cov=pd.DataFrame(g, index=used_re_names, columns=used_re_names),
        cov_params=pd.DataFrame(cov_fe, index=fe_names, columns=fe_names),
        residual_sd=residual_sd,
        converged=bool(chosen.converged),
        n_obs=int(design.y.size),
        n_athletes=int(design.labels.size),
        llf=llf,
        method="REML" if reml else "ML",
        optimizer=chosen.method,
        re_structure=chosen.structure,
        formula=formula,
        re_formula=_re_formula_used(re_formula, used_re_names, chosen.structure),
        group=group,
        notes=tuple(notes),
        warnings=tuple(dict.fromkeys(all_messages)),
        scaling=scaling,
        _raw=res if isinstance(res, MixedLMResults) else _statsmodels_at(
            design, chosen_cols, res, reml=reml, diagonal=diagonal),
        inference=inference,
        _df_fn=df_fn,
        _robust=(robust, t_fe, beta_s, design.y_scale) if robust is not None else None,
        _re_transform=t_re,
        _y_scale=design.y_scale,
        _re_names=tuple(used_re_names),
        _blups=(design.labels, means, covs),
    )


_INFERENCE_NOTES = {
    "satterthwaite": "Intervals and p-values: t tests with lmerTest's Satterthwaite degrees "
                     "of freedom on lme4's covariance sigma^2 (X'V^-1 X)^-1; they assume "
                     "the model is right, including independent residuals within a group.",
    "cr2": "Intervals and p-values: CR2 cluster-robust covariance by group with the mixed "
           "model as working model and Satterthwaite degrees of freedom (as R's "
           "clubSandwich); valid also under serially correlated residuals.",
    "z": "Intervals and p-values: Wald z tests on lme4's covariance (large samples only).",
    "kenward-roger": "Intervals and p-values: t tests on the Kenward-Roger adjusted "
                     "covariance with Kenward-Roger degrees of freedom (as pbkrtest and "
                     "lmerTest); they assume the model is right, including independent "
                     "residuals within a group.",
}


def _check_arguments(data, group: str, level: float, inference: str, methods) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if group not in data.columns:
        raise ValueError(
            f"group column {group!r} is not in the data; columns are {list(data.columns)}. "
            "Fix: pass group= the name of the column that identifies the athlete."
        )
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    if inference not in INFERENCE_METHODS:
        raise ValueError(f"inference must be one of {INFERENCE_METHODS}, got {inference!r}")
    if not tuple(methods):
        raise ValueError("methods must name at least one optimiser, e.g. ('lbfgs', 'bfgs')")


def _design(
    data: pd.DataFrame, formula: str, group: str, re_formula: str | None, standardise: bool,
    notes: list[str],
) -> _Design:
    """Build X, Z, y from the formulas (dropping incomplete rows, with notes) and standardise."""
    frame = data.loc[data[group].notna()]
    if len(frame) < len(data):
        notes.append(f"{len(data) - len(frame)} rows with a missing {group!r} were dropped.")
    template = _numeric_template(frame, formula, group, re_formula)
    messages: list[str] = []
    if template is None:
        template, messages = _formula_template(frame, formula, group, re_formula, data.columns)
    n_obs = int(template.nobs)
    if n_obs < len(frame):
        notes.append(
            f"{len(frame) - n_obs} rows with missing values in the model's columns were dropped."
        )
    n_groups = int(template.n_groups)
    if n_groups < 2:
        raise ValueError(
            f"a mixed model needs at least two groups in {group!r}; the complete rows hold "
            f"{n_groups}. Fix: check the group column and the missing values."
        )
    y = np.asarray(template.endog, dtype=float)
    x = np.asarray(template.exog, dtype=float)
    z = np.asarray(template.exog_re, dtype=float)
    sx, sz = _Standardiser.of(x), _Standardiser.of(z)
    re_names = [
        "Intercept" if j == sz.const_index else name
        for j, name in enumerate(template.exog_re_names)
    ]
    if standardise:
        y_centre = float(y.mean()) if sx.const_index is not None else 0.0
        y_sd = float(y.std())
        y_scale = y_sd if y_sd > 0 else 1.0
    else:
        sx, sz = sx.identity(), sz.identity()
        y_centre, y_scale = 0.0, 1.0
    groups = np.asarray(template.groups)
    labels, codes = np.unique(groups, return_inverse=True)
    return _Design(
        y=(y - y_centre) / y_scale, x=sx.apply(x), z=sz.apply(z),
        groups=groups, fe_names=list(template.exog_names),
        re_names=re_names, outcome=str(template.endog_names), labels=labels,
        codes=codes.ravel(), sx=sx, sz=sz, y_centre=y_centre, y_scale=y_scale,
        messages=messages,
    )


@dataclass(frozen=True)
class _Template:
    """The model arrays of the formulas, before standardisation."""

    endog: np.ndarray
    exog: np.ndarray
    exog_re: np.ndarray
    groups: np.ndarray
    exog_names: list[str]
    endog_names: str
    exog_re_names: list[str]

    @property
    def nobs(self) -> int:
        return len(self.endog)

    @property
    def n_groups(self) -> int:
        return int(pd.unique(self.groups).size)


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _formula_names(side: str) -> list[str] | None:
    """The names of ``a + b + c`` (None if the side holds anything but plain names)."""
    names = [t.strip() for t in side.split("+")]
    if not all(_NAME.match(n) and not keyword.iskeyword(n) for n in names):
        return None
    return names if len(set(names)) == len(names) else None


def _numeric_template(frame: pd.DataFrame, formula: str, group: str, re_formula: str | None
                      ) -> _Template | None:
    """The model arrays of ``y ~ a + b`` (random effects ``~c`` or None) when every name is a
    numeric column, built directly: the formula engine would give the same arrays (an
    intercept, the columns as floats, rows with a missing value dropped) in a fraction of the
    time on large panels. None for any other formula (the formula engine builds it)."""
    outcome, _, rhs = (part.strip() for part in formula.partition("~"))
    fe = _formula_names(rhs)
    re_terms: list[str] | None = []
    if re_formula is not None:
        before, _, re_rhs = (part.strip() for part in re_formula.partition("~"))
        re_terms = _formula_names(re_rhs) if before == "" else None
    if fe is None or re_terms is None or not _NAME.match(outcome):
        return None
    used = list(dict.fromkeys([outcome, *fe, *re_terms]))
    if not all(c in frame.columns and isinstance(frame[c].dtype, np.dtype)
               and frame[c].dtype.kind in "fiu" for c in used) or frame.columns.duplicated().any():
        return None
    values = {c: frame[c].to_numpy(dtype=float) for c in used}
    keep = np.ones(len(frame), dtype=bool)
    for v in values.values():
        keep &= ~np.isnan(v)
    rows = slice(None) if keep.all() else keep

    def columns(names: list[str]) -> np.ndarray:
        # column-major with a leading intercept, as the formula engine returns it
        out = np.empty((int(keep.sum()), len(names) + 1), order="F")
        out[:, 0] = 1.0
        for j, name in enumerate(names, start=1):
            out[:, j] = values[name][rows]
        return out

    return _Template(
        endog=values[outcome][rows], exog=columns(fe), exog_re=columns(re_terms),
        groups=frame[group].to_numpy()[rows], exog_names=["Intercept", *fe],
        endog_names=outcome, exog_re_names=[group, *re_terms],
    )


def _formula_template(frame: pd.DataFrame, formula: str, group: str, re_formula: str | None,
                      columns: Any) -> tuple[_Template, list[str]]:
    """The model arrays built by statsmodels' formula engine, and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            template = MixedLM.from_formula(
                formula, frame, groups=group, re_formula=re_formula, missing="drop"
            )
        except Exception as exc:  # formula engines raise many types
            raise ValueError(
                f"cannot build the model {formula!r}"
                + (f" with random effects {re_formula!r}" if re_formula else "")
                + f" from the data: {exc}. Fix: every name in the formulas must be a column of "
                f"the data (columns: {list(columns)})."
            ) from None
    arrays = _Template(
        endog=np.asarray(template.endog), exog=np.asarray(template.exog),
        exog_re=np.asarray(template.exog_re), groups=np.asarray(template.groups),
        exog_names=list(template.exog_names), endog_names=str(template.endog_names),
        exog_re_names=list(template.data.exog_re_names),
    )
    return arrays, [f"{w.category.__name__}: {w.message}" for w in caught]


def _structures(design: _Design, simplify: bool) -> list[tuple[str, list[int], bool]]:
    """Random-effects structures to try: (name, columns of Z, uncorrelated)."""
    q = design.z.shape[1]
    structures = [("full", list(range(q)), False)]
    if simplify and q > 1:
        structures.append(("uncorrelated", list(range(q)), True))
        if design.sz.const_index is not None:
            structures.append(("intercept", [design.sz.const_index], False))
    return structures


def _fit_structures(
    design: _Design,
    structures: list[tuple[str, list[int], bool]],
    *,
    reml: bool,
    methods: tuple[str, ...],
    standardise: bool,
    notes: list[str],
    formula: str,
) -> tuple[_Attempt, list[int], list[_Attempt], GroupSums | None]:
    """Fit the structures in turn; the first accepted fit is reported.

    The profiled optimum is reported when Newton's method located it (see
    :func:`soleus_analysis.models.reml.profiled_fit`); otherwise statsmodels' optimisers start
    from it and a fit is accepted if it converged with a positive definite Hessian and a
    log-likelihood not below the profiled one.
    """
    xs, ys, groups = design.x, design.y, design.groups
    attempts: list[_Attempt] = []
    for position, (structure, cols, independent) in enumerate(structures):
        zs = design.z[:, cols]
        prof = None
        if standardise:
            prof = profiled_fit(ys, xs, zs, design.codes, reml=reml, diagonal=independent)
        if prof is not None and prof.singular and position + 1 < len(structures):
            # At a singular optimum statsmodels' fixed effects and standard errors are
            # unreliable (it inverts the random-effects covariance): simplify (as Matuschek
            # et al. 2017 advise) and say so.
            notes.append(
                f"{structure} random effects: the optimum is singular (a random-effect "
                "variance or correlation at its boundary); trying a simpler structure."
            )
            continue
        if prof is not None and prof.converged:
            fit = _ProfiledFit(fe_params=prof.beta, cov_re=prof.scale * prof.lower @ prof.lower.T,
                               scale=prof.scale, llf=prof.llf)
            attempt = _Attempt(fit, PROFILED_OPTIMIZER, structure, True, [])
            attempts.append(attempt)
            return attempt, cols, attempts, prof.sums
        model = MixedLM(ys, xs, groups, exog_re=zs)
        free = start = None
        if independent:
            free = MixedLMParams.from_components(fe_params=np.ones(xs.shape[1]),
                                                 cov_re=np.eye(len(cols)))
            start = MixedLMParams.from_components(fe_params=np.zeros(xs.shape[1]),
                                                  cov_re=np.eye(len(cols)))
        if prof is not None:
            start = prof.params
        for method in ("lbfgs", "bfgs") if independent else methods:
            attempt = _fit_attempt(
                model, reml=reml, method=method, structure=structure, start=start, free=free
            )
            attempts.append(attempt)
            if attempt.result is not None and bool(attempt.result.converged) and (
                (method in ("lbfgs", "cg") and prof is None) or not attempt.converged
            ):
                attempt = _polish(model, attempt, reml=reml, free=free)
                attempts[-1] = attempt
            if attempt.converged and prof is not None and attempt.llf < prof.llf - 1e-3:
                attempt.converged = False
                attempt.error = (
                    f"stopped at log-likelihood {attempt.llf:.4f}, below the profiled "
                    f"optimum {prof.llf:.4f}"
                )
            if attempt.converged:
                return attempt, cols, attempts, prof.sums if prof is not None else None
            notes.append(f"{structure} random effects, optimiser {method}: {_why(attempt)}.")

    candidates = [a for a in attempts if a.result is not None]
    if not candidates:
        raise ValueError(
            f"the mixed model {formula!r} could not be fitted with any optimiser: "
            f"{attempts[-1].error}. Fix: check for constant or collinear predictors."
        )
    chosen = max(candidates, key=lambda a: a.llf)
    notes.append(
        "No optimiser converged; the reported fit is the attempt with the highest "
        f"log-likelihood ({chosen.structure} random effects, {chosen.method}). Do not "
        "trust its standard errors."
    )
    return chosen, next(c for s, c, _ in structures if s == chosen.structure), attempts, None


def _inference(
    design: _Design,
    zs: np.ndarray,
    sums: GroupSums,
    beta_s: np.ndarray,
    psi_s: np.ndarray,
    scale_s: float,
    *,
    reml: bool,
    diagonal: bool,
    inference: str,
    df_terms: Any,
) -> tuple[np.ndarray, np.ndarray, Any, ClusterRobust | None]:
    """Covariance of the fixed effects (fitting scale), their df, a contrast-df function and
    the CR2 object (``inference="cr2"`` only)."""
    xs, groups, t_fe = design.x, design.codes, design.sx.transform
    k_fe = xs.shape[1]
    wanted = [j for j, n in enumerate(design.fe_names) if df_terms is None or n in set(df_terms)]
    dfs = np.full(k_fe, np.nan)
    robust = None
    if inference == "cr2":
        robust = _mixed_cr2(xs, zs, design.y - xs @ beta_s, groups, psi_s, scale_s)
        cov_fe_s = robust.vcov

        def df_fn(c: np.ndarray) -> float:
            return robust.df(t_fe.T @ c)

        dfs[wanted] = [df_fn(np.eye(k_fe)[j]) for j in wanted]
    elif inference == "kenward-roger":
        psi_kr = psi_s if not diagonal else np.diag(np.diag(psi_s))
        cov_fe_s, _ = kenward_roger(xs, zs, groups, psi_kr, scale_s, np.eye(k_fe)[:1])

        def df_fn(c: np.ndarray) -> float:
            return float(kenward_roger(xs, zs, groups, psi_kr, scale_s,
                                       (t_fe.T @ c)[None, :])[1][0])

        dfs[wanted] = kenward_roger(xs, zs, groups, psi_kr, scale_s, t_fe[wanted])[1]
    else:
        varpar = np.r_[theta_of(psi_s, diagonal), np.sqrt(scale_s)]
        cov_fe_s = sums.vcov(varpar, diagonal)

        def df_fn(c: np.ndarray) -> float:
            if inference == "z":
                return float("inf")
            return float(satterthwaite_df(sums, varpar, (t_fe.T @ c)[None, :], reml=reml,
                                          diagonal=diagonal)[0])

        if inference == "z":
            dfs[:] = np.inf
        else:
            dfs[wanted] = satterthwaite_df(sums, varpar, t_fe[wanted], reml=reml,
                                           diagonal=diagonal)
    return cov_fe_s, dfs, df_fn, robust


def _variance_table(g: np.ndarray, names: list[str], residual_sd: float) -> pd.DataFrame:
    """SDs and correlations of the random effects, then the residual SD."""
    rows = []
    sds = np.sqrt(np.clip(np.diag(g), 0, None))
    for j, name in enumerate(names):
        rows.append(("sd", name, "", float(sds[j])))
    for j in range(len(names)):
        for k in range(j + 1, len(names)):
            corr = g[j, k] / (sds[j] * sds[k]) if sds[j] > 0 and sds[k] > 0 else np.nan
            rows.append(("corr", names[j], names[k], float(corr)))
    rows.append(("sd", "Residual", "", residual_sd))
    return pd.DataFrame(rows, columns=["kind", "term", "term2", "estimate"])


def _boundary_notes(g_s: np.ndarray, scale_s: float, names: list[str]) -> list[str]:
    """Boundary diagnostics on the standardised scale (columns of Z' have unit SD)."""
    notes = []
    sd_s = np.sqrt(np.clip(np.diag(g_s), 0, None))
    for j, name in enumerate(names):
        if sd_s[j] < _BOUNDARY_REL * np.sqrt(scale_s):
            notes.append(
                f"The random-effect SD of {name!r} is estimated at (nearly) zero: the fit is on "
                "the boundary; a simpler random-effects structure gives the same fixed effects."
            )
    corr_s = g_s / np.outer(np.maximum(sd_s, 1e-300), np.maximum(sd_s, 1e-300))
    for j in range(len(names)):
        for k in range(j + 1, len(names)):
            if abs(corr_s[j, k]) > _SINGULAR_CORR:
                notes.append(
                    f"The random effects {names[j]!r} and {names[k]!r} are "
                    "perfectly correlated (singular fit)."
                )
    return notes


def _original_llf(llf_s: float, design: _Design, *, reml: bool) -> float:
    """(Restricted) log-likelihood on the original scale (see *Notes* of fit_mixed)."""
    n_obs, n_fe = design.x.shape
    if reml:
        log_det_t = float(np.linalg.slogdet(design.sx.transform)[1])
        return llf_s - (n_obs - n_fe) * np.log(design.y_scale) + log_det_t
    return llf_s - n_obs * np.log(design.y_scale)


def _statsmodels_at(design: _Design, cols: list[int], fit: _ProfiledFit, *, reml: bool,
                    diagonal: bool):
    """A function that fits statsmodels from the reported optimum (built when ``raw`` is read)."""

    def make() -> MixedLMResults:
        zs = design.z[:, cols]
        model = MixedLM(design.y, design.x, design.groups, exog_re=zs)
        psi = np.asarray(fit.cov_re) / fit.scale
        start = MixedLMParams.from_components(fe_params=np.asarray(fit.fe_params), cov_re=psi)
        free = None
        if diagonal:
            free = MixedLMParams.from_components(fe_params=np.ones(design.x.shape[1]),
                                                 cov_re=np.eye(len(cols)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return model.fit(reml=reml, method=["bfgs"], start_params=start, free=free,
                             gtol=1e-8, maxiter=2000)

    return make


def _mixed_cr2(
    x: np.ndarray, z: np.ndarray, resid: np.ndarray, groups: np.ndarray, psi: np.ndarray,
    scale: float,
) -> ClusterRobust:
    """CR2 of a mixed model: working covariance ``V_j = sigma^2 (I + Z_j Psi Z_j')``."""
    codes = pd.factorize(pd.Series(groups), sort=True)[0]
    return ClusterRobust(x, resid, codes, phi=RandomEffectsPhi(z, psi, scale))


def _why(attempt: _Attempt) -> str:
    """Plain-words reason why an attempt was not accepted."""
    if attempt.error:
        return f"not accepted ({attempt.error})"
    res = attempt.result
    if not bool(res.converged):
        return "the optimiser did not converge"
    if any(_HESSIAN_MSG in m for m in attempt.messages):
        return "converged to a point where the Hessian is not positive definite"
    return "non-finite log-likelihood or standard errors"


def _re_formula_used(re_formula: str | None, names: list[str], structure: str) -> str | None:
    if structure == "intercept":
        return "~1"
    if structure == "uncorrelated":
        return f"{re_formula or '~1'} (uncorrelated)"
    return re_formula
