"""Simulation-based power for the within-athlete effect of soleus training.

For a design of ``n_athletes`` followed for ``n_weeks``, :func:`power` simulates ``n_sims``
cohorts with a planted effect (by default with :func:`soleus_analysis.simulate_panel`), fits each
one and counts how often the test rejects "no within-athlete effect" at ``alpha`` (Green &
MacLeod 2016; Arend & Schafer 2019; Kumle et al. 2021). The Monte-Carlo standard error
``sqrt(p (1 - p) / n)`` says how precisely the power itself is known: 500 studies (the default)
give at most 2.2 percentage points, enough for a sentence such as "80% power (MC SE 1.8%)";
40 studies give up to 7.9 points, too few to state a power.

The default simulator carries the traps of real training data (docs/simulation.md): a season
trend that makes runners faster while the calf dose rises with calendar time, weekly AR(1)
residuals, and fitter runners taking up and adhering to the programme. A power computed on it
is the power of the test a lab would run on such data, and a null effect (``effect=0``) gives
that test's false-positive rate.

Which test the power refers to (``estimator``), each with the model's own defaults (period
effects, small-sample and serial-correlation inference as the model function chooses them;
``fit_options`` passes any of its other keyword options):

- ``"fixed_effects"`` (default): :func:`~soleus_analysis.models.sensitivity.fit_fixed_effects`,
  within-athlete OLS with athlete-clustered standard errors. It tests the *average*
  within-athlete effect, stays valid when athletes respond differently (random slopes) and when
  weeks are serially correlated, and is about 100 times faster than a random-slope mixed model,
  so power curves can be drawn in a notebook.
- ``"gee"``: :func:`~soleus_analysis.models.sensitivity.fit_gee` (robust standard errors).
- ``"random_slope"``: the test of the within effect in
  :func:`~soleus_analysis.models.within_between.fit_within_between` (slow).
- ``"random_intercept"``: the same without the random slope (fast, but its type I error is
  inflated when athletes' slopes truly differ).

With ``lags``, the test is on the cumulative effect (within plus the lagged within terms), which
is what a planted multi-week adaptation kernel produces in steady state.

Seeds: ``numpy.random.SeedSequence(rng).spawn(n_sims)``, one child per simulated study, so results
are identical whatever ``n_jobs``; :func:`power_curve` reuses the same children for every design
point (common random numbers), which makes curves smooth.
"""

from __future__ import annotations

import inspect
import itertools
import os
import time as _time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from soleus_analysis.models.result import TABLE_COLUMNS, effect_row

__all__ = ["PowerResult", "power", "power_curve", "risk_study_size"]

_ESTIMATORS = ("fixed_effects", "gee", "random_slope", "random_intercept")
#: Studies per design point below which a power is not worth a sentence.
MIN_SIMS_FOR_A_STATEMENT = 500
#: Keyword arguments that power sets itself (``fit_options`` may not override them).
_RESERVED = frozenset({"data", "outcome", "exposure", "group", "time", "covariates", "lags",
                       "step", "level", "random_slope"})
_LABELS = {
    "fixed_effects": "within-athlete OLS with athlete fixed effects (sol.fit_fixed_effects)",
    "gee": "GEE with robust standard errors (sol.fit_gee)",
    "random_slope": "mixed model with random intercept and slope (sol.fit_within_between)",
    "random_intercept": "mixed model with a random intercept (sol.fit_within_between, "
                        "random_slope=False)",
}


def wilson_interval(successes: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a binomial share (good near 0 and 1, unlike +- 1.96 SE).

    Examples
    --------
    >>> [round(x, 3) for x in wilson_interval(25, 500)]
    [0.034, 0.073]
    """
    if n <= 0:
        return (float("nan"), float("nan"))
    z = float(stats.norm.ppf(0.5 + level / 2))
    p = successes / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    low = 0.0 if successes <= 0 else max(0.0, centre - half)
    high = 1.0 if successes >= n else min(1.0, centre + half)
    return (float(low), float(high))


def _percent(x: float) -> str:
    return f"{100 * x:.1f}%" if np.isfinite(x) else "n/a"


@dataclass(frozen=True)
class PowerResult:
    """Simulated power of one design, in the package's result protocol.

    Attributes
    ----------
    power : float
        Share of simulated studies whose test rejected at ``alpha`` (0-1), among the converged.
        With ``effect = 0`` it is the test's false-positive rate.
    mc_se : float
        Monte-Carlo standard error of ``power``, ``sqrt(power (1 - power) / n_converged)``.
    n_sims, n_converged : int
        Studies simulated, and studies whose fit converged and gave a p-value.
    n_athletes, n_weeks : int
        The design: athletes per simulated study and weeks followed.
    planted_effect : float
        Planted effect (outcome units per exposure step).
    alpha : float
    estimator : str
    target : str
        ``"within"`` or ``"cumulative"``.
    mean_estimate : float
        Mean estimated effect (outcome units per step).
    coverage : float
        Share of CIs (level ``1 - alpha``) containing the planted effect.
    elapsed_s : float
        Wall-clock seconds.
    estimates : pandas.DataFrame
        One row per study: ``sim``, ``estimate``, ``std_error``, ``ci_low``, ``ci_high``,
        ``p_value``, ``converged`` (also ``raw``).
    notes : tuple of str
        The design, the traps simulated, the estimator and its inference (the model's own notes
        from the first simulated study), and a warning when ``n_sims`` is too small for a
        statement.
    outcome, exposure : str
        Panel columns of the test.
    step : float
        Exposure step of ``effect``.
    fit_options : dict
        Extra keyword options given to the model function.
    """

    power: float
    mc_se: float
    n_sims: int
    n_converged: int
    n_athletes: int
    n_weeks: int
    planted_effect: float
    alpha: float
    estimator: str
    target: str
    mean_estimate: float
    coverage: float
    elapsed_s: float
    estimates: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = field(default=(), repr=False)
    outcome: str = "easy_pace_s_per_km"
    exposure: str = "soleus_sets"
    step: float = 10.0
    fit_options: dict = field(default_factory=dict, repr=False)

    @property
    def n_obs(self) -> int:
        """Simulated studies the power is computed from (those that converged)."""
        return self.n_converged

    @property
    def raw(self) -> pd.DataFrame:
        """The per-study estimates (``estimates``)."""
        return self.estimates

    @property
    def table(self) -> pd.DataFrame:
        """The result protocol's tidy table, with Monte-Carlo errors.

        Returns
        -------
        pandas.DataFrame
            Rows ``power`` (share of studies rejecting at ``alpha``; the false-positive rate when
            ``effect`` is 0), ``coverage`` (share of ``1 - alpha`` CIs containing the planted
            effect) and ``mean_estimate`` (outcome units per step). Columns: ``term``,
            ``estimate``, ``std_error`` (Monte-Carlo SE), ``ci_low``, ``ci_high`` (95% Wilson
            score interval for the shares, +- 1.96 MC SE for the mean), ``p_value`` (NaN: no
            test), ``per``.
        """
        ok = self.estimates["converged"] & self.estimates["p_value"].notna()
        est = self.estimates.loc[ok, "estimate"]
        n = self.n_converged
        cov_se = float(np.sqrt(self.coverage * (1 - self.coverage) / n)) if n else np.nan
        mean_se = float(est.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
        rows = [
            ("power", self.power, self.mc_se, *wilson_interval(self.power * n, n),
             f"share of {n} simulated studies rejecting at alpha = {self.alpha:g}"),
            ("coverage", self.coverage, cov_se, *wilson_interval(self.coverage * n, n),
             f"share of {1 - self.alpha:.0%} CIs containing the planted effect"),
            ("mean_estimate", self.mean_estimate, mean_se, self.mean_estimate - 1.96 * mean_se,
             self.mean_estimate + 1.96 * mean_se, f"+{self.step:g} {self.exposure}"),
        ]
        out = pd.DataFrame(
            [(t, e, se, lo, hi, np.nan, per) for t, e, se, lo, hi, per in rows],
            columns=list(TABLE_COLUMNS),
        )
        return out

    def effect(self, term: str = "power") -> pd.Series:
        """One row of ``table`` (``KeyError`` naming the terms if absent)."""
        return effect_row(self.table, term)

    @property
    def summary(self) -> pd.DataFrame:
        """One-row summary of the scalar attributes (``n_athletes`` ... ``elapsed_s``)."""
        return pd.DataFrame([{
            "n_athletes": self.n_athletes, "n_weeks": self.n_weeks,
            "effect": self.planted_effect,
            "power": self.power, "mc_se": self.mc_se, "n_sims": self.n_sims,
            "n_converged": self.n_converged, "mean_estimate": self.mean_estimate,
            "coverage": self.coverage, "estimator": self.estimator, "target": self.target,
            "elapsed_s": self.elapsed_s,
        }])

    def sentence(self) -> str:
        """The result as a sentence that carries its Monte-Carlo error.

        Examples
        --------
        >>> est = pd.DataFrame({"estimate": [-4.0], "std_error": [1.0], "ci_low": [-6.0],
        ...                     "ci_high": [-2.0], "p_value": [0.01], "converged": [True]})
        >>> r = PowerResult(power=0.8, mc_se=0.0179, n_sims=500, n_converged=500, n_athletes=40,
        ...                 n_weeks=26, planted_effect=-4.0, alpha=0.05, estimator="fixed_effects",
        ...                 target="within", mean_estimate=-4.0, coverage=0.95, elapsed_s=1.0,
        ...                 estimates=est)
        >>> r.sentence()  # doctest: +NORMALIZE_WHITESPACE
        '80.0% power (MC SE 1.8%, 500 simulated studies) to detect -4 easy_pace_s_per_km per
        +10 soleus_sets (within effect) with 40 athletes x 26 weeks, two-sided alpha = 0.05.'
        """
        n = self.n_converged
        what = (f"{self.planted_effect:+g} {self.outcome} per +{self.step:g} {self.exposure} "
                f"({self.target} effect)")
        where = (f"with {self.n_athletes} athletes x {self.n_weeks} weeks, two-sided "
                 f"alpha = {self.alpha:g}")
        if 0 < self.power < 1:
            error = f"MC SE {_percent(self.mc_se)}"
        else:  # a share of 0 or 1 has a Monte-Carlo SE of 0: give the score interval instead
            low, high = wilson_interval(self.power * n, n)
            error = f"95% CI {_percent(low)} to {_percent(high)}"
        if self.planted_effect == 0:
            text = (f"False-positive rate {_percent(self.power)} ({error}, {n} simulated "
                    f"studies) of the test of no {self.target} effect of {self.exposure} on "
                    f"{self.outcome} {where}.")
        else:
            text = (f"{_percent(self.power)} power ({error}, {n} simulated studies) to detect "
                    f"{what} {where}.")
        if self.n_sims < MIN_SIMS_FOR_A_STATEMENT:
            text += (f" Only {self.n_sims} simulated studies: too few to state a power "
                     f"(use n_sims >= {MIN_SIMS_FOR_A_STATEMENT}).")
        if n < self.n_sims:
            text += f" {self.n_sims - n} of {self.n_sims} fits failed and are left out."
        return text

    @property
    def recovery(self) -> pd.DataFrame:
        """How well the simulated studies recover the planted effect, with Monte-Carlo errors.

        Returns
        -------
        pandas.DataFrame
            One row: ``effect`` (planted), ``mean_estimate``, ``bias`` (mean estimate - effect)
            and ``bias_mc_se`` (empirical SD / sqrt(n)), all in outcome units per step;
            ``empirical_sd`` (SD of the estimates) and ``mean_std_error`` (mean reported SE: close
            to ``empirical_sd`` when the SEs are right); ``coverage`` of the CIs at
            ``1 - alpha`` and ``coverage_mc_se``; ``rejection_rate`` at ``alpha`` (the
            false-positive rate when ``effect`` is 0, else the power) and ``rejection_mc_se``;
            ``n_converged``. With a lagged target the planted ``effect`` is the steady-state
            effect, which a truncated lag window need not recover exactly.
        """
        ok = self.estimates["converged"] & self.estimates["p_value"].notna()
        est = self.estimates.loc[ok]
        n = max(len(est), 1)
        sd = float(est["estimate"].std(ddof=1)) if len(est) > 1 else float("nan")
        cov = self.coverage
        return pd.DataFrame([{
            "effect": self.planted_effect, "mean_estimate": self.mean_estimate,
            "bias": self.mean_estimate - self.planted_effect, "bias_mc_se": sd / np.sqrt(n),
            "empirical_sd": sd, "mean_std_error": float(est["std_error"].mean()),
            "coverage": cov, "coverage_mc_se": float(np.sqrt(cov * (1 - cov) / n)),
            "rejection_rate": self.power, "rejection_mc_se": self.mc_se,
            "n_converged": self.n_converged,
        }])


def _default_simulate(
    n_athletes: int, n_weeks: int, *, effects: dict, rng: Any, **sim_kwargs: Any
) -> Any:
    """The project's simulator, imported on first use (it lives in another module)."""
    try:
        from soleus_analysis.simulation import Effects, simulate_panel
    except ImportError as exc:
        raise ImportError(
            "the cohort simulator soleus_analysis.simulation is not available in this "
            f"installation ({exc}); pass simulate= a function "
            "simulate(n_athletes, n_weeks, *, effects, rng) returning an object with .panel"
        ) from exc
    return simulate_panel(n_athletes, n_weeks, effects=Effects(**effects), rng=rng, **sim_kwargs)


def _fit_function(estimator: str) -> Callable[..., Any]:
    from soleus_analysis.models.sensitivity import fit_fixed_effects, fit_gee
    from soleus_analysis.models.within_between import fit_within_between

    return {"fixed_effects": fit_fixed_effects, "gee": fit_gee, "random_slope": fit_within_between,
            "random_intercept": fit_within_between}[estimator]


def _check_fit_options(estimator: str, fit_options: Mapping[str, Any] | None) -> dict:
    """``fit_options`` as a dict, refusing names power sets or the model does not take."""
    if fit_options is None:
        return {}
    if not isinstance(fit_options, Mapping):
        raise TypeError(f"fit_options must be a dict of keyword options of the model function, "
                        f"got {type(fit_options).__name__}")
    options = dict(fit_options)
    clash = sorted(set(options) & _RESERVED)
    if clash:
        raise ValueError(f"fit_options may not set {clash}: power sets them (use its own "
                         "arguments outcome=, exposure=, covariates=, lags=, step=, alpha=, "
                         "estimator=)")
    fn = _fit_function(estimator)
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    unknown = sorted(k for k in options if k not in params)
    if unknown and not takes_any:
        accepted = sorted(k for k, p in params.items()
                          if p.kind is inspect.Parameter.KEYWORD_ONLY and k not in _RESERVED)
        raise ValueError(f"fit_options {unknown} are not options of {fn.__name__} (estimator "
                         f"{estimator!r}); it takes {accepted}")
    return options


@dataclass(frozen=True)
class _Job:
    simulate: Callable[..., Any]
    n_athletes: int
    n_weeks: int
    effects: dict
    seed: np.random.SeedSequence
    estimator: str
    opts: dict
    alpha: float
    sim_kwargs: dict
    fit_options: dict
    keep_notes: bool = False


def _run_one(job: _Job) -> tuple:
    sim = job.simulate(job.n_athletes, job.n_weeks, effects=job.effects,
                       rng=np.random.default_rng(job.seed), **job.sim_kwargs)
    panel = sim.panel if hasattr(sim, "panel") else sim
    opts = dict(job.opts)
    lags = tuple(opts.pop("lags", ()))
    level = 1 - job.alpha
    fn = _fit_function(job.estimator)
    kw = dict(opts, lags=lags, level=level, **job.fit_options)
    if job.estimator in ("random_slope", "random_intercept"):
        kw["random_slope"] = job.estimator == "random_slope"
    failed = (np.nan, np.nan, np.nan, np.nan, np.nan, False, ())
    try:
        fit = fn(panel, **kw)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return failed[:-1] + (((f"the fit failed: {exc}",) if job.keep_notes else ()),)
    converged = bool(getattr(fit, "converged", True))
    notes: tuple[str, ...] = ()
    if job.keep_notes:
        label = getattr(fit, "model", None)
        notes = ((f"Model: {label}.",) if label else ()) + tuple(getattr(fit, "notes", ()))
    if not lags:
        r = fit.table.set_index("term").loc["within"]
        return (float(r["estimate"]), float(r["std_error"]), float(r["ci_low"]),
                float(r["ci_high"]), float(r["p_value"]), converged, notes)
    return _cumulative(fit, lags, job.alpha, converged) + (notes,)


def _cumulative(fit: Any, lags: tuple, alpha: float, converged: bool):
    """Sum of the within and lagged within effects, with its CI and p-value."""
    from soleus_analysis.models.within_between import combine_effects

    terms = ["within"] + [f"lag{lag}_within" for lag in sorted(set(lags)) if lag != 0]
    r = combine_effects(fit, terms, level=1 - alpha)
    return (float(r["estimate"]), float(r["std_error"]), float(r["ci_low"]),
            float(r["ci_high"]), float(r["p_value"]), converged)


#: Simulated studies whose model notes are kept (the first that has notes is reported).
_NOTED = 3


def _make_jobs(simulate, n_athletes, n_weeks, effects, seeds, estimator, opts, alpha,
               sim_kwargs, fit_options):
    return [_Job(simulate, int(n_athletes), int(n_weeks), effects, s, estimator, opts, alpha,
                 dict(sim_kwargs), dict(fit_options), keep_notes=k < _NOTED)
            for k, s in enumerate(seeds)]


def _execute(jobs: list[_Job], n_jobs: int) -> list[tuple]:
    n_jobs = max(1, min(int(n_jobs), os.cpu_count() or 1, len(jobs)))
    if n_jobs == 1:
        return [_run_one(j) for j in jobs]
    chunk = max(1, len(jobs) // (n_jobs * 8))
    with ProcessPoolExecutor(max_workers=n_jobs) as pool:
        return list(pool.map(_run_one, jobs, chunksize=chunk))


def _seeds(rng: Any, n_sims: int) -> list[np.random.SeedSequence]:
    if isinstance(rng, np.random.Generator):
        root = np.random.SeedSequence(int(rng.integers(2**63)))
    elif isinstance(rng, np.random.SeedSequence):
        root = rng
    else:
        root = np.random.SeedSequence(rng)
    return root.spawn(int(n_sims))


def _summarise(results: list[tuple], *, effect: float, alpha: float) -> dict:
    arr = pd.DataFrame([r[:6] for r in results],
                       columns=["estimate", "std_error", "ci_low", "ci_high", "p_value",
                                "converged"])
    arr.insert(0, "sim", np.arange(len(arr)))
    ok = arr["converged"] & arr["p_value"].notna()
    n_ok = int(ok.sum())
    rejected = (arr.loc[ok, "p_value"] < alpha)
    pw = float(rejected.mean()) if n_ok else float("nan")
    covered = (arr.loc[ok, "ci_low"] <= effect) & (effect <= arr.loc[ok, "ci_high"])
    model_notes = next((r[6] for r in results if r[6]), ())
    return {
        "power": pw,
        "mc_se": float(np.sqrt(pw * (1 - pw) / n_ok)) if n_ok else float("nan"),
        "n_converged": n_ok,
        "mean_estimate": float(arr.loc[ok, "estimate"].mean()) if n_ok else float("nan"),
        "coverage": float(covered.mean()) if n_ok else float("nan"),
        "estimates": arr,
        "model_notes": tuple(model_notes),
    }


def _check(n_sims: int, alpha: float, estimator: str) -> None:
    if int(n_sims) < 1:
        raise ValueError(f"n_sims must be at least 1, got {n_sims!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    if estimator not in _ESTIMATORS:
        raise ValueError(f"estimator must be one of {_ESTIMATORS}, got {estimator!r}")


def _simulator_notes(simulate: Callable[..., Any] | None, effects: dict, sim_kwargs: dict,
                     n_weeks: int) -> tuple[str, ...]:
    """What the simulator plants: the traps of the default simulator, or who simulated."""
    if simulate is not None and simulate is not _default_simulate:
        name = getattr(simulate, "__qualname__", type(simulate).__name__)
        module = getattr(simulate, "__module__", "")
        return (f"Studies simulated by {module}.{name} (its own generating model and traps).",)
    try:
        from soleus_analysis.simulation import Design, Effects, describe_traps
    except ImportError:  # pragma: no cover - the simulator ships with the package
        return ()
    design = sim_kwargs.get("design") or Design()
    return describe_traps(Effects(**effects), design, n_weeks)


def _notes(*, n_athletes, n_weeks, effect, alpha, estimator, target, lags, outcome, exposure,
           step, covariates, fit_options, n_sims, simulator_notes, model_notes) -> tuple:
    test = ("the cumulative effect of this week and lags "
            f"{', '.join(str(lag) for lag in sorted(set(lags)))}" if lags
            else "the same-week within-athlete effect")
    notes = [
        f"Design: {n_athletes} athletes followed for {n_weeks} weeks; "
        + (f"planted effect {effect:+g} {outcome} per +{step:g} {exposure}." if effect else
           f"no planted effect of {exposure} on {outcome}: the power is the test's "
           "false-positive rate."),
        *simulator_notes,
        f"Test: {test} ({target}), two-sided at alpha = {alpha:g}, estimated by "
        f"{_LABELS[estimator]} with the model's default inference"
        + (f" and options {fit_options}" if fit_options else "")
        + (f", covariates {list(covariates)}" if covariates else "") + ".",
    ]
    if model_notes:
        notes.append("The model's notes on the first simulated study: "
                     + " ".join(str(x) for x in model_notes))
    notes.append("Power is the share of simulated studies whose test rejected; its Monte-Carlo "
                 "standard error is sqrt(p (1 - p) / n).")
    if n_sims < MIN_SIMS_FOR_A_STATEMENT:
        notes.append(f"Only {n_sims} simulated studies: too few to state a power in a report "
                     f"(use n_sims >= {MIN_SIMS_FOR_A_STATEMENT}).")
    return tuple(notes)


def power(
    n_athletes: int,
    n_weeks: int,
    effect: float,
    *,
    n_sims: int = MIN_SIMS_FOR_A_STATEMENT,
    alpha: float = 0.05,
    rng: Any = None,
    n_jobs: int = 2,
    simulate: Callable[..., Any] | None = None,
    estimator: str = "fixed_effects",
    outcome: str = "easy_pace_s_per_km",
    exposure: str = "soleus_sets",
    group: str = "athlete_id",
    time: str = "week_start",
    step: float = 10.0,
    covariates: Sequence[str] = (),
    lags: Sequence[int] = (),
    fit_options: Mapping[str, Any] | None = None,
    effect_field: str = "pace_s_per_km_per_10_soleus_sets",
    effects: dict | None = None,
    **sim_kwargs: Any,
) -> PowerResult:
    """Power to detect a within-athlete effect, by simulation.

    Parameters
    ----------
    n_athletes, n_weeks : int
        Design: athletes, and weeks followed per athlete.
    effect : float
        Planted within-athlete effect in outcome units per ``step`` (e.g. -3 s/km per +10
        soleus sets a week). 0 gives the test's false-positive rate.
    n_sims : int, default 500
        Simulated studies. The Monte-Carlo SE of a power is at most 0.022 at 500 (0.018 at a
        power of 0.8), 0.035 at 200 and 0.079 at 40: use at least 500 per design point for any
        power a report states (:meth:`PowerResult.sentence` says so below 500).
    alpha : float, default 0.05
        Two-sided significance level; CIs for ``coverage`` are at ``1 - alpha``.
    rng : int, SeedSequence, Generator or None
        Seed of the study seeds.
    n_jobs : int, default 2
        Worker processes (results do not depend on it).
    simulate : callable, optional
        ``simulate(n_athletes, n_weeks, *, effects, rng)`` returning an object with a
        ``panel`` DataFrame (or the DataFrame itself); must be picklable (a module-level
        function) when ``n_jobs > 1``. Default: :func:`soleus_analysis.simulate_panel` with its
        defaults, i.e. with the traps of real data (season trend, weekly AR(1) residuals,
        fitness-confounded uptake; docs/simulation.md), ``effects`` turned into its
        ``Effects``. A custom ``simulate`` receives ``effects`` as a plain dict
        ``{effect_field: effect, **effects}``.
    estimator : {"fixed_effects", "gee", "random_slope", "random_intercept"}
        The test whose power is computed (see the module docstring).
    outcome, exposure, group, time : str
        Panel columns.
    step : float, default 10
        Exposure step of ``effect``.
    covariates, lags : sequence
        Passed to the fit; with ``lags`` the test is on the cumulative effect.
    fit_options : dict, optional
        Further keyword options of the model function (:func:`sol.fit_fixed_effects`,
        :func:`sol.fit_gee` or :func:`sol.fit_within_between`), passed through unchanged, e.g.
        its period-effects switch or its inference method; names the model does not take, or that
        power sets itself (``outcome``, ``lags``, ``level``, ...), are refused before any study
        is simulated.
    effect_field : str
        Name of the planted-effect field of the simulator's ``Effects``.
    effects : dict, optional
        Other ``Effects`` fields (e.g. ``{"season_pace_s_per_km_per_week": 0}`` to switch the
        season trend off).
    **sim_kwargs
        Passed to ``simulate`` (e.g. ``design=`` or ``start=`` of :func:`sol.simulate_panel`).

    Returns
    -------
    PowerResult
        ``power``, ``mc_se``, ``n_sims``, ``n_converged``, ``mean_estimate``, ``coverage``,
        ``elapsed_s``, ``estimates``, ``notes``; ``.table`` (power, coverage and mean estimate
        with their Monte-Carlo SEs and CIs), ``.sentence()``, ``.recovery``, ``.summary``.
    """
    _check(n_sims, alpha, estimator)
    options = _check_fit_options(estimator, fit_options)
    started = _time.perf_counter()
    eff = {effect_field: float(effect), **(effects or {})}
    sim = simulate or _default_simulate
    opts = {"outcome": outcome, "exposure": exposure, "group": group, "time": time,
            "step": float(step), "covariates": tuple(covariates), "lags": tuple(lags)}
    jobs = _make_jobs(sim, n_athletes, n_weeks, eff, _seeds(rng, n_sims), estimator, opts, alpha,
                      sim_kwargs, options)
    summary = _summarise(_execute(jobs, n_jobs), effect=float(effect), alpha=alpha)
    notes = _notes(n_athletes=int(n_athletes), n_weeks=int(n_weeks), effect=float(effect),
                   alpha=alpha, estimator=estimator, target="cumulative" if lags else "within",
                   lags=tuple(lags), outcome=outcome, exposure=exposure, step=float(step),
                   covariates=tuple(covariates), fit_options=options, n_sims=int(n_sims),
                   simulator_notes=_simulator_notes(simulate, eff, sim_kwargs, int(n_weeks)),
                   model_notes=summary.pop("model_notes"))
    return PowerResult(
        n_sims=int(n_sims), n_athletes=int(n_athletes), n_weeks=int(n_weeks),
        planted_effect=float(effect), alpha=alpha, estimator=estimator,
        target="cumulative" if lags else "within",
        elapsed_s=_time.perf_counter() - started, notes=notes, outcome=outcome,
        exposure=exposure, step=float(step), fit_options=options, **summary,
    )


def power_curve(
    n_athletes: int | Sequence[int],
    n_weeks: int | Sequence[int],
    effect: float | Sequence[float],
    **kwargs: Any,
) -> pd.DataFrame:
    """Power over a grid of designs and effects (one process pool for all of them).

    Parameters
    ----------
    n_athletes, n_weeks, effect : scalar or sequence
        Every combination is simulated.
    **kwargs
        As :func:`power` (``n_sims`` (default 500), ``alpha``, ``rng``, ``n_jobs``,
        ``simulate``, ``estimator``, ``fit_options``, ...; the rest goes to ``simulate``). Every
        design point uses the same study seeds.

    Returns
    -------
    pandas.DataFrame
        One row per combination: ``n_athletes``, ``n_weeks``, ``effect``, ``power``,
        ``mc_se``, ``ci_low``, ``ci_high`` (95% Wilson score interval of the power), ``n_sims``,
        ``n_converged``, ``mean_estimate``, ``coverage``.
    """
    def seq(v: Any) -> list:
        return list(np.atleast_1d(v))

    n_sims = int(kwargs.pop("n_sims", MIN_SIMS_FOR_A_STATEMENT))
    alpha = float(kwargs.pop("alpha", 0.05))
    rng = kwargs.pop("rng", None)
    n_jobs = int(kwargs.pop("n_jobs", 2))
    estimator = kwargs.pop("estimator", "fixed_effects")
    simulate = kwargs.pop("simulate", None) or _default_simulate
    effect_field = kwargs.pop("effect_field", "pace_s_per_km_per_10_soleus_sets")
    base_effects = kwargs.pop("effects", None) or {}
    fit_options = kwargs.pop("fit_options", None)
    opts = {"outcome": kwargs.pop("outcome", "easy_pace_s_per_km"),
            "exposure": kwargs.pop("exposure", "soleus_sets"),
            "group": kwargs.pop("group", "athlete_id"),
            "time": kwargs.pop("time", "week_start"),
            "step": float(kwargs.pop("step", 10.0)),
            "covariates": tuple(kwargs.pop("covariates", ())),
            "lags": tuple(kwargs.pop("lags", ()))}
    _check(n_sims, alpha, estimator)
    options = _check_fit_options(estimator, fit_options)
    seeds = _seeds(rng, n_sims)
    combos = list(itertools.product(seq(n_athletes), seq(n_weeks), seq(effect)))
    jobs: list[_Job] = []
    for a, w, e in combos:
        eff = {effect_field: float(e), **base_effects}
        jobs += _make_jobs(simulate, a, w, eff, seeds, estimator, opts, alpha, kwargs, options)
    results = _execute(jobs, n_jobs)
    rows = []
    for k, (a, w, e) in enumerate(combos):
        s = _summarise(results[k * n_sims:(k + 1) * n_sims], effect=float(e), alpha=alpha)
        low, high = wilson_interval(s["power"] * s["n_converged"], s["n_converged"])
        rows.append({
            "n_athletes": int(a), "n_weeks": int(w), "effect": float(e), "power": s["power"],
            "mc_se": s["mc_se"], "ci_low": low, "ci_high": high,
            "n_sims": n_sims, "n_converged": s["n_converged"],
            "mean_estimate": s["mean_estimate"], "coverage": s["coverage"],
        })
    return pd.DataFrame(rows)


def risk_study_size(
    risk_control: float | Sequence[float],
    risk_ratio: float | Sequence[float],
    *,
    power: float = 0.8,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Athletes per group to detect a lower injury risk in a two-group study (closed form).

    For an outcome that an athlete either has or has not during the study (e.g. a new lower-leg
    overuse injury in a season), a trial compares the share of athletes injured in a soleus
    group with a control group. The size comes from the two-sided two-proportion z test on the
    arcsine scale (Cohen's h, ``statsmodels.stats.power.NormalIndPower``), rounded up; it
    assumes independent athletes, equal groups, complete follow-up and one outcome per athlete.
    Dropout, clustering (teams), a vaguer case definition or a smaller effect all raise it.

    Parameters
    ----------
    risk_control : float or sequence of float
        Share of control athletes injured during the study (0-1). An assumption to state.
    risk_ratio : float or sequence of float
        Risk in the soleus group / risk in the control group (e.g. 0.67: a third fewer
        injured). Every combination with ``risk_control`` is computed.
    power : float, default 0.8
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    pandas.DataFrame
        One row per combination: ``risk_control``, ``risk_treated`` (= risk_control x
        risk_ratio), ``risk_ratio``, ``per_group`` (athletes per group, rounded up),
        ``total`` (both groups), ``injured_expected`` (expected injured athletes in both groups
        at that size), ``power``, ``alpha``.

    Raises
    ------
    ValueError
        When a risk is not in (0, 1), a risk ratio is not positive and different from 1, or the
        treated risk reaches 1.

    Examples
    --------
    >>> t = risk_study_size(0.2, 0.5)
    >>> int(t["per_group"].iloc[0]), round(float(t["risk_treated"].iloc[0]), 2)
    (195, 0.1)
    """
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    if not 0 < power < 1:
        raise ValueError(f"power must be between 0 and 1, got {power!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    rows = []
    for p0, rr in itertools.product(np.atleast_1d(risk_control), np.atleast_1d(risk_ratio)):
        p0, rr = float(p0), float(rr)
        p1 = p0 * rr
        if not 0 < p0 < 1:
            raise ValueError(f"risk_control must be between 0 and 1 (a share), got {p0!r}")
        if rr <= 0 or rr == 1:
            raise ValueError(f"risk_ratio must be positive and not 1, got {rr!r}")
        if not p1 < 1:
            raise ValueError(
                f"risk_control x risk_ratio = {p1:.3g} is not a risk below 1; lower one of them"
            )
        h = abs(float(proportion_effectsize(p1, p0)))
        n = int(np.ceil(NormalIndPower().solve_power(effect_size=h, alpha=alpha, power=power,
                                                     ratio=1.0, alternative="two-sided")))
        rows.append({"risk_control": p0, "risk_treated": p1, "risk_ratio": rr,
                     "per_group": n, "total": 2 * n, "injured_expected": n * (p0 + p1),
                     "power": power, "alpha": alpha})
    return pd.DataFrame(rows)
