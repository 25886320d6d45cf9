"""Within-athlete change versus between-athlete difference (person-mean centring).

An athlete who does more soleus work than *usual* in a week (within) is a different question from
athletes who do more soleus work than *other athletes* (between): the second is confounded by
everything that makes athletes differ. The within-between ("hybrid") model estimates both at
once (Curran & Bauer 2011; Enders & Tofighi 2007; Bell & Jones 2015)::

    y_it = b0 + bW (x_it - xbar_i) + bB xbar_i + covariates + period_t + u0_i + u1_i (x_it - xbar_i)
           + e_it

``bW`` is the within-athlete effect (what a coach changing one athlete's programme can expect),
``bB`` the between-athlete effect and ``bB - bW`` the contextual effect. ``period_t`` are
calendar-week effects (or a smooth season term) whenever the data identify them
(:mod:`soleus_analysis.models.design`), and tests use CR2 cluster-robust standard errors with
Satterthwaite degrees of freedom by default (:mod:`soleus_analysis.models.robust`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from soleus_analysis.models.design import Design, Effects, prepare, serial_note
from soleus_analysis.models.mixed import DEFAULT_METHODS, MixedResult, fit_mixed
from soleus_analysis.models.result import effect_row
from soleus_analysis.panel import add_lags, analysis_terms

__all__ = [
    "INFERENCE",
    "WithinBetweenResult",
    "combine_effects",
    "fit_within_between",
    "lagged",
    "within_between_terms",
]

#: ``inference`` values of the within-athlete models.
INFERENCE = ("auto", "cr2", "satterthwaite", "kenward-roger", "z", "wild")


def lagged(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    lags: Sequence[int],
    group: str = "athlete_id",
    time: str = "week_start",
    time_step: Any = None,
) -> pd.DataFrame:
    """Deprecated: use :func:`soleus_analysis.add_lags` (one implementation of lags).

    Returns the lag columns only (``{column}_lag{l}``; ``lag0`` is the column itself), with the
    index of ``data``.
    """
    warnings.warn("lagged() is deprecated; use soleus_analysis.add_lags(df, columns, lags, "
                  "group=, time=, step=)", DeprecationWarning, stacklevel=2)
    lags = [int(lag) for lag in lags]
    if any(lag < 0 for lag in lags):
        raise ValueError(f"lags must be >= 0, got {lags}")
    positive = sorted({lag for lag in lags if lag > 0})
    out = add_lags(data, list(columns), positive, group=group, time=time, step=time_step)
    cols = {}
    for lag in lags:
        for c in columns:
            name = f"{c}_lag{lag}"
            cols[name] = data[c].to_numpy() if lag == 0 else out[name].to_numpy()
    return pd.DataFrame(cols, index=data.index)


def within_between_terms(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    group: str = "athlete_id",
    time: str = "week_start",
    lags: Sequence[int] = (),
    required: Sequence[str] = (),
    time_step: Any = None,
) -> pd.DataFrame:
    """Deprecated: use :func:`soleus_analysis.analysis_terms` (same result)."""
    warnings.warn("within_between_terms() is deprecated; use soleus_analysis.analysis_terms("
                  "df, columns, lags=, required=, group=, time=, step=)", DeprecationWarning,
                  stacklevel=2)
    return analysis_terms(data, list(columns), lags=lags, required=required, group=group,
                          time=time, step=time_step)


@dataclass(frozen=True)
class WithinBetweenResult:
    """A fitted within-between model, in the outcome's units per exposure step.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per effect: ``term`` (``within``, ``between``, ``contextual``,
        ``lag{l}_within``, ``{covariate}_within``/``{covariate}_between`` or a category);
        ``estimate`` (outcome units per ``per``); ``std_error``; ``ci_low``, ``ci_high``
        (interval at ``level``); ``p_value`` (two-sided); ``per`` (the exposure step, e.g.
        ``"+10 soleus_sets"``, or ``"+1 run_distance_km"`` for a covariate); ``df`` (degrees
        of freedom of the t reference distribution, ``inf`` for z). Period effects are in the
        model but not in the table.
    variance : pandas.DataFrame
        ``component`` (``athlete intercept SD``, ``within slope SD``, ``intercept-slope
        correlation``, ``residual SD``), ``estimate`` (outcome units; the slope SD per ``step``).
    converged : bool
    re_structure : str
        ``"full"``, ``"uncorrelated"`` or ``"intercept"`` (see ``notes`` when simplified).
    n_athletes, n_weeks, n_obs : int
        Athletes, distinct time points and athlete-weeks in the analysis window.
    outcome, exposure : str
    step : float
    notes, warnings : tuple of str
        ``notes`` state the estimand, the time adjustment, the inference method, the serial
        correlation of the residuals and any fallback.
    period : str or None
        Period adjustment used: ``"week"``, ``"smooth"`` or None.
    inference : str
        ``"cr2"``, ``"satterthwaite"``, ``"z"`` or ``"wild"``.
    cov : pandas.DataFrame
        Covariance matrix of the reported effects (``contextual`` excluded), for sums of terms
        (:func:`combine_effects`).
    mixed : MixedResult
        The underlying :func:`fit_mixed` result (coefficients per 1 unit, internal names).
    data : pandas.DataFrame
        The analysis rows with their within/between columns (for plots and diagnostics).
    """

    table: pd.DataFrame
    variance: pd.DataFrame
    converged: bool
    re_structure: str
    n_athletes: int
    n_weeks: int
    n_obs: int
    outcome: str
    exposure: str
    step: float
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    cov: pd.DataFrame = field(repr=False)
    mixed: MixedResult = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    df_resid: float | None = None
    period: str | None = None
    inference: str = "cr2"
    _effects: Any = field(repr=False, default=None)

    @property
    def raw(self) -> Any:
        """The statsmodels result (on the internal standardised scale)."""
        return self.mixed.raw

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
        """A (weighted) sum of reported terms, e.g. ``["within", "lag1_within"]`` (cumulative),
        with its own degrees of freedom; see :func:`combine_effects`."""
        return self._effects.combine(terms, level)


def combine_effects(fit: Any, terms: Sequence[str], *, level: float = 0.95) -> pd.Series:
    """Sum of several reported effects (e.g. within + lags = cumulative) with its CI.

    Parameters
    ----------
    fit : WithinBetweenResult or ModelFit
        A fit of :func:`fit_within_between`, :func:`~soleus_analysis.fit_gee` or
        :func:`~soleus_analysis.fit_fixed_effects`.
    terms : sequence of str
        Terms of ``fit.table`` to add up.
    level : float, default 0.95

    Returns
    -------
    pandas.Series
        ``estimate`` (outcome units per the terms' step), ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value``, ``df``: the variance uses the covariances of the terms, and
        the degrees of freedom are the fit's for this sum (Satterthwaite for CR2 and
        mixed-model fits; ``inf`` for z).
    """
    known = list(fit.table["term"])
    missing = [t for t in terms if t not in known]
    if missing:
        raise KeyError(f"terms {missing} not in the fit; terms are {known}")
    return fit.combine(list(terms), level=level)


def fitting_notes(fit: MixedResult) -> list[str]:
    """The notes of a :func:`fit_mixed` fit about the fitting (not its generic estimand and
    inference sentences, which the calling model states in its own words)."""
    return [n for n in fit.notes
            if not n.startswith(("Estimand:", "Intervals and p-values:"))]


def resolve_inference(inference: str, allowed: Sequence[str]) -> str:
    """The inference method actually used (``"auto"`` is CR2 with Satterthwaite df)."""
    if inference not in allowed:
        raise ValueError(f"inference must be one of {tuple(allowed)}, got {inference!r}")
    return "cr2" if inference == "auto" else inference


def inference_note(method: str, n_athletes: int, *, model: str) -> str:
    """One sentence on how intervals and p-values were made."""
    if method == "cr2":
        return (f"Intervals and p-values: CR2 cluster-robust standard errors by athlete "
                f"({n_athletes} athletes; {model} as working model) with Satterthwaite degrees "
                "of freedom per term (Bell & McCaffrey 2002; Pustejovsky & Tipton 2018). They "
                "stay valid when residuals are serially correlated or the working model's "
                "correlation is wrong; they need independent athletes and enough of them whose "
                "exposure changes (a small df says there are few).")
    if method in ("satterthwaite", "kenward-roger"):
        how = ("Satterthwaite degrees of freedom on the mixed model's covariance (as lmerTest)"
               if method == "satterthwaite" else "the Kenward-Roger adjusted covariance and "
               "degrees of freedom (as pbkrtest)")
        return (f"Intervals and p-values: t tests with {how}; they assume the model, including "
                "independent residuals within an athlete, is right.")
    if method == "wild":
        return (f"Intervals and p-values of the reported exposure terms: restricted wild "
                f"cluster bootstrap by athlete ({n_athletes} athletes; Cameron, Gelbach & Miller "
                "2008), intervals by test inversion; other terms: CR2 with Satterthwaite df.")
    if method == "cr1":
        return (f"Intervals and p-values: CR1 cluster-robust standard errors, t with "
                f"{n_athletes - 1} df (too narrow with few athletes: prefer the default CR2).")
    return ("Intervals and p-values: Wald z tests (large-sample; too narrow with few athletes "
            "or serially correlated residuals).")


def apply_wild(table: pd.DataFrame, effects: Effects, wild_fn: Any, terms: Sequence[str],
               *, level: float) -> pd.DataFrame:
    """Replace the interval and p-value of ``terms`` by the wild bootstrap's."""
    table = table.copy()
    for term in terms:
        hit = table["term"] == term
        if not hit.any():
            continue
        out = wild_fn(effects.weights({term: 1.0}))
        table.loc[hit, ["ci_low", "ci_high", "p_value"]] = [out.ci_low, out.ci_high,
                                                             out.p_value]
        table.loc[hit, "df"] = np.nan
    return table


def fit_within_between(
    data: pd.DataFrame,
    *,
    outcome: str,
    exposure: str,
    group: str = "athlete_id",
    time: str = "week_start",
    covariates: Sequence[str] = (),
    lags: Sequence[int] = (),
    random_slope: bool = True,
    step: float = 10.0,
    decompose_covariates: bool = True,
    time_step: Any = None,
    level: float = 0.95,
    reml: bool = True,
    methods: Sequence[str] = DEFAULT_METHODS,
    period: str | None = "auto",
    period_df: int | None = None,
    inference: str = "auto",
    n_boot: int = 9999,
    rng: Any = None,
) -> WithinBetweenResult:
    """Within- and between-athlete effects of an exposure, with random intercept and slope.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table, one row per athlete and week (e.g. the athlete-week panel).
    outcome : str
        Outcome column, e.g. ``"easy_pace_s_per_km"``.
    exposure : str
        Exposure column, e.g. ``"soleus_sets"``.
    group, time : str
        Athlete and time columns (``time``: dates, or numbers such as a week index).
    covariates : sequence of str
        Adjustment columns. Numeric ones are split into within and between parts too
        (``decompose_covariates``); others enter as categories. A covariate collinear with the
        other terms (e.g. ``"week"`` next to calendar-week effects) is dropped with a note.
    lags : sequence of int
        Lagged exposures to add (weeks), each centred after lagging; e.g. ``(1, 2)``.
    random_slope : bool, default True
        A random within-athlete slope per athlete.
    step : float, default 10
        Effects are reported per ``+step`` units of the exposure (10 soleus sets a week).
    decompose_covariates : bool, default True
    time_step : timedelta-like or number, optional
        Spacing of the time grid for lags (default one week for dates, 1 for numbers).
    level : float, default 0.95
    reml : bool, default True
    methods : sequence of str
        Optimisers, see :func:`~soleus_analysis.fit_mixed`.
    period : {"auto", "week", "smooth", None}, default "auto"
        Calendar-time adjustment: calendar-week fixed effects (``"week"``), a natural spline of
        calendar time (``"smooth"``), none, or (``"auto"``) calendar weeks whenever the data
        identify them, else none with a note
        (:mod:`soleus_analysis.models.design`).
    period_df : int, optional
        Degrees of freedom of the smooth season term (default: about one per 6 weeks, 2-6).
    inference : {"auto", "cr2", "satterthwaite", "kenward-roger", "z", "wild"}, default "auto"
        ``"auto"`` = ``"cr2"``: CR2 cluster-robust errors with the fitted mixed model as working
        model and Satterthwaite degrees of freedom, whatever the number of athletes (valid
        under serially correlated residuals); ``"satterthwaite"``: model-based, as lmerTest;
        ``"kenward-roger"``: model-based, as pbkrtest;
        ``"z"``: model-based Wald z; ``"wild"``: restricted wild cluster bootstrap of the
        exposure terms (variance parameters held at their estimates; ``n_boot``, ``rng``).
    n_boot : int, default 9999
    rng : seed or numpy.random.Generator, optional
        Seed of the wild bootstrap.

    Returns
    -------
    WithinBetweenResult
        ``table`` with columns ``term``, ``estimate`` (outcome units per ``per``), ``std_error``,
        ``ci_low``, ``ci_high``, ``p_value``, ``per``, ``df``; ``variance``; ``converged``;
        ``n_athletes``, ``n_weeks``, ``n_obs``; ``notes`` (estimand, time adjustment,
        inference, serial correlation, fallbacks and dropped rows); ``period``; ``inference``.

    Notes
    -----
    Person means are taken over the analysis window (rows with the outcome, the exposure, its
    lags and the covariates present), after lagging. The between part uses the current
    exposure's mean only. The within effect is causal only under the assumption that nothing
    that changes within an athlete from period to period, other than calendar time shared by
    all athletes, drives both the dose and the outcome (adjust for running load with
    ``covariates``). With staggered programme starts and effects that differ between start
    cohorts, two-way fixed-effects-type estimates are weighted averages that can mislead
    (Goodman-Bacon 2021): the model assumes one common within effect.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> a = np.repeat(np.arange(30), 12)
    >>> sets = rng.uniform(0, 20, a.size) + 5 * rng.normal(size=30)[a]
    >>> pace = 330 + 20 * rng.normal(size=30)[a] - 0.3 * sets + rng.normal(0, 4, a.size)
    >>> d = pd.DataFrame({"athlete_id": a, "week": np.tile(np.arange(12), 30),
    ...                   "soleus_sets": sets, "easy_pace_s_per_km": pace})
    >>> fit = fit_within_between(d, outcome="easy_pace_s_per_km", exposure="soleus_sets",
    ...                          time="week")
    >>> row = fit.effect("within")
    >>> float(round(row["estimate"], 1)), fit.n_athletes, fit.n_weeks, fit.period
    (-2.9, 30, 12, 'week')
    """
    method = resolve_inference(inference, INFERENCE)
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    design = prepare(
        data, outcome=outcome, exposure=exposure, group=group, time=time,
        covariates=covariates, lags=lags, step=float(step),
        decompose_covariates=decompose_covariates, time_step=time_step, period=period,
        period_df=period_df,
    )
    frame = design.frame
    n_athletes = int(frame["athlete"].nunique())
    if n_athletes < 2:
        raise ValueError(
            f"the analysis window holds {n_athletes} athlete(s); a mixed model needs at least "
            "two (and cluster-robust inference several). Fix: check the outcome and exposure "
            "columns for missing values; for one athlete use fit_banister or a time-series "
            "model."
        )
    formula = "y ~ " + (" + ".join(design.terms) if design.terms else "1")
    mixed_inference = {"cr2": "cr2", "wild": "cr2", "satterthwaite": "satterthwaite",
                       "kenward-roger": "kenward-roger", "z": "z"}[method]
    fit = fit_mixed(
        frame,
        formula,
        group="athlete",
        re_formula="~x_w" if random_slope else None,
        reml=reml,
        level=level,
        methods=tuple(methods),
        inference=mixed_inference,
        df_terms=(),  # the reported terms get their df from Effects (contrast_df)
    )
    names = list(fit.table["term"])
    effects = Effects(names=names, est=fit.table["estimate"].to_numpy(dtype=float),
                      cov=fit.cov_params.to_numpy(), design=design, df_fn=fit.contrast_df)
    table = effects.table(level)
    if method == "wild":
        reported = [design.labels[n] for n in design.exposure_terms]
        table = apply_wild(table, effects, lambda c: fit.wild(c, level=level, n_boot=n_boot,
                                                              rng=rng), reported, level=level)
    re = fit.re_cov
    var_rows = [("athlete intercept SD", float(np.sqrt(re.iloc[0, 0])))]
    if "x_w" in re.index:
        sd_slope = float(np.sqrt(re.loc["x_w", "x_w"]))
        var_rows.append((f"within slope SD (per +{step:g} {exposure})", sd_slope * step))
        sd_int = float(np.sqrt(re.iloc[0, 0]))
        corr = float(re.iloc[0, 1] / (sd_int * sd_slope)) if sd_int > 0 and sd_slope > 0 else np.nan
        var_rows.append(("intercept-slope correlation", corr))
    var_rows.append(("residual SD", fit.residual_sd))
    variance = pd.DataFrame(var_rows, columns=["component", "estimate"])
    notes = [
        f"Estimand: the within effect is the average change in {outcome} in a period in which "
        f"an athlete's {exposure} is {step:g} above the athlete's own mean over the analysis "
        "window"
        + (", at equal covariates" if covariates else "")
        + "; the between effect compares athletes whose means differ by as much (confounded by "
        "whatever makes athletes differ).",
        *design.notes, *fitting_notes(fit),
    ]
    if fit.re_structure == "intercept" and random_slope:
        notes.append(
            "The random slope was dropped (its variance is estimated at zero, or the fit did not "
            "converge; see above). The CR2 intervals do not rely on it; model-based ones "
            "(inference='satterthwaite' or 'z') may then be too narrow."
        )
    elif fit.re_structure == "uncorrelated" and random_slope:
        notes.append(
            "The random slope is kept, but its correlation with the random intercept is fixed "
            "at 0 (the full structure was singular or did not converge; see above)."
        )
    notes.append(inference_note(method, n_athletes, model="the mixed model"))
    resid = frame["y"].to_numpy() - design.matrix(True) @ _coef_vector(fit, design)
    serial = serial_note(resid, frame["athlete"].to_numpy(), design.time_index,
                         robust=method in ("cr2", "wild"))
    if serial:
        notes.append(serial)
    return WithinBetweenResult(
        table=table,
        variance=variance,
        converged=fit.converged,
        re_structure=fit.re_structure,
        n_athletes=n_athletes,
        n_weeks=int(data.loc[frame.index, time].nunique()),
        n_obs=int(len(frame)),
        outcome=outcome,
        exposure=exposure,
        step=float(step),
        notes=tuple(notes),
        warnings=fit.warnings,
        cov=effects.reported_cov(),
        mixed=fit,
        data=frame,
        period=design.period,
        inference=method,
        _effects=effects,
    )


def _coef_vector(fit: MixedResult, design: Design) -> np.ndarray:
    """Intercept and coefficients in the order of ``design.matrix(True)``."""
    est = fit.table.set_index("term")["estimate"]
    return np.r_[est["Intercept"], [est[t] for t in design.terms]]
