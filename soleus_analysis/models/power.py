"""Simulation-based power for the within-athlete effect of soleus training.

For a design of ``n_athletes`` followed for ``n_weeks``, :func:`power` simulates ``n_sims``
cohorts with a planted effect (by default with :func:`soleus_analysis.simulate_panel`), fits each
one and counts how often the test rejects "no within-athlete effect" at ``alpha`` (Green &
MacLeod 2016; Arend & Schafer 2019; methods.md section 4.15). The Monte-Carlo standard error
``sqrt(p (1 - p) / n_sims)`` says how precisely the power itself is known.

Which test the power refers to (``estimator``):

- ``"fixed_effects"`` (default): OLS on within-athlete deviations with athlete-clustered
  standard errors and a t test on ``G - 1`` degrees of freedom
  (:func:`~soleus_analysis.models.sensitivity.fit_fixed_effects`). It tests the *average*
  within-athlete effect, stays valid when athletes respond differently (random slopes) and when
  weeks are serially correlated, and is about 100 times faster than a random-slope mixed model,
  so power curves can be drawn in a notebook.
- ``"random_slope"``: the Wald test of the within effect in
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

import itertools
import os
import time as _time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["PowerResult", "power", "power_curve", "risk_study_size"]

_ESTIMATORS = ("fixed_effects", "random_slope", "random_intercept")


@dataclass(frozen=True)
class PowerResult:
    """Simulated power of one design.

    Attributes
    ----------
    power : float
        Share of simulated studies whose test rejected at ``alpha`` (0-1), among the converged.
    mc_se : float
        Monte-Carlo standard error of ``power``.
    n_sims, n_converged : int
        Studies simulated, and studies whose fit converged and gave a p-value.
    n_athletes, n_weeks : int
    effect : float
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
        ``p_value``, ``converged``.
    """

    power: float
    mc_se: float
    n_sims: int
    n_converged: int
    n_athletes: int
    n_weeks: int
    effect: float
    alpha: float
    estimator: str
    target: str
    mean_estimate: float
    coverage: float
    elapsed_s: float
    estimates: pd.DataFrame = field(repr=False)

    @property
    def table(self) -> pd.DataFrame:
        """One-row summary (the scalar attributes)."""
        return pd.DataFrame([{
            "n_athletes": self.n_athletes, "n_weeks": self.n_weeks, "effect": self.effect,
            "power": self.power, "mc_se": self.mc_se, "n_sims": self.n_sims,
            "n_converged": self.n_converged, "mean_estimate": self.mean_estimate,
            "coverage": self.coverage, "estimator": self.estimator, "target": self.target,
            "elapsed_s": self.elapsed_s,
        }])

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
            "effect": self.effect, "mean_estimate": self.mean_estimate,
            "bias": self.mean_estimate - self.effect, "bias_mc_se": sd / np.sqrt(n),
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


def _run_one(job: _Job) -> tuple[float, float, float, float, float, bool]:
    from soleus_analysis.models.sensitivity import fit_fixed_effects
    from soleus_analysis.models.within_between import fit_within_between

    sim = job.simulate(job.n_athletes, job.n_weeks, effects=job.effects,
                       rng=np.random.default_rng(job.seed), **job.sim_kwargs)
    panel = sim.panel if hasattr(sim, "panel") else sim
    opts = dict(job.opts)
    lags = tuple(opts.pop("lags", ()))
    level = 1 - job.alpha
    try:
        if job.estimator == "fixed_effects":
            fit = fit_fixed_effects(panel, lags=lags, level=level, **opts)
            converged = True
        else:
            fit = fit_within_between(panel, lags=lags, level=level,
                                     random_slope=job.estimator == "random_slope", **opts)
            converged = fit.converged
    except (ValueError, np.linalg.LinAlgError):
        return (np.nan, np.nan, np.nan, np.nan, np.nan, False)
    table = fit.table.set_index("term")
    if not lags:
        r = table.loc["within"]
        return (float(r["estimate"]), float(r["std_error"]), float(r["ci_low"]),
                float(r["ci_high"]), float(r["p_value"]), bool(converged))
    return _cumulative(fit, lags, job.alpha, bool(converged))


def _cumulative(fit: Any, lags: tuple, alpha: float, converged: bool):
    """Sum of the within and lagged within effects, with its CI and p-value."""
    from soleus_analysis.models.within_between import combine_effects

    terms = ["within"] + [f"lag{lag}_within" for lag in sorted(set(lags)) if lag != 0]
    r = combine_effects(fit, terms, level=1 - alpha)
    return (float(r["estimate"]), float(r["std_error"]), float(r["ci_low"]),
            float(r["ci_high"]), float(r["p_value"]), converged)


def _make_jobs(simulate, n_athletes, n_weeks, effects, seeds, estimator, opts, alpha,
               sim_kwargs):
    return [_Job(simulate, int(n_athletes), int(n_weeks), effects, s, estimator, opts, alpha,
                 dict(sim_kwargs)) for s in seeds]


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
    arr = pd.DataFrame(results, columns=["estimate", "std_error", "ci_low", "ci_high",
                                         "p_value", "converged"])
    arr.insert(0, "sim", np.arange(len(arr)))
    ok = arr["converged"] & arr["p_value"].notna()
    n_ok = int(ok.sum())
    rejected = (arr.loc[ok, "p_value"] < alpha)
    pw = float(rejected.mean()) if n_ok else float("nan")
    covered = (arr.loc[ok, "ci_low"] <= effect) & (effect <= arr.loc[ok, "ci_high"])
    return {
        "power": pw,
        "mc_se": float(np.sqrt(pw * (1 - pw) / n_ok)) if n_ok else float("nan"),
        "n_converged": n_ok,
        "mean_estimate": float(arr.loc[ok, "estimate"].mean()) if n_ok else float("nan"),
        "coverage": float(covered.mean()) if n_ok else float("nan"),
        "estimates": arr,
    }


def _check(n_sims: int, alpha: float, estimator: str) -> None:
    if int(n_sims) < 1:
        raise ValueError(f"n_sims must be at least 1, got {n_sims!r}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be between 0 and 1, got {alpha!r}")
    if estimator not in _ESTIMATORS:
        raise ValueError(f"estimator must be one of {_ESTIMATORS}, got {estimator!r}")


def power(
    n_athletes: int,
    n_weeks: int,
    effect: float,
    *,
    n_sims: int = 200,
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
        soleus sets a week).
    n_sims : int, default 200
        Simulated studies (MC error of power <= 0.035 at 200, <= 0.022 at 500).
    alpha : float, default 0.05
        Two-sided significance level; CIs for ``coverage`` are at ``1 - alpha``.
    rng : int, SeedSequence, Generator or None
        Seed of the study seeds.
    n_jobs : int, default 2
        Worker processes (results do not depend on it).
    simulate : callable, optional
        ``simulate(n_athletes, n_weeks, *, effects, rng)`` returning an object with a
        ``panel`` DataFrame (or the DataFrame itself); must be picklable (a module-level
        function) when ``n_jobs > 1``. Default: :func:`soleus_analysis.simulate_panel`, with
        ``effects`` turned into its ``Effects``. A custom ``simulate`` receives ``effects`` as a
        plain dict ``{effect_field: effect, **effects}``.
    estimator : {"fixed_effects", "random_slope", "random_intercept"}
        The test whose power is computed (see the module docstring).
    outcome, exposure, group, time : str
        Panel columns.
    step : float, default 10
        Exposure step of ``effect``.
    covariates, lags : sequence
        Passed to the fit; with ``lags`` the test is on the cumulative effect.
    effect_field : str
        Name of the planted-effect field of the simulator's ``Effects``.
    effects : dict, optional
        Other ``Effects`` fields (e.g. ``{"slope_sd": 1.0}``).
    **sim_kwargs
        Passed to ``simulate`` (e.g. ``design=`` or ``start=`` of :func:`sol.simulate_panel`).

    Returns
    -------
    PowerResult
        ``power``, ``mc_se``, ``n_sims``, ``n_converged``, ``mean_estimate``, ``coverage``,
        ``elapsed_s``, ``estimates``; ``.table`` as one row.
    """
    _check(n_sims, alpha, estimator)
    started = _time.perf_counter()
    eff = {effect_field: float(effect), **(effects or {})}
    sim = simulate or _default_simulate
    opts = {"outcome": outcome, "exposure": exposure, "group": group, "time": time,
            "step": float(step), "covariates": tuple(covariates), "lags": tuple(lags)}
    jobs = _make_jobs(sim, n_athletes, n_weeks, eff, _seeds(rng, n_sims), estimator, opts, alpha,
                      sim_kwargs)
    summary = _summarise(_execute(jobs, n_jobs), effect=float(effect), alpha=alpha)
    return PowerResult(
        n_sims=int(n_sims), n_athletes=int(n_athletes), n_weeks=int(n_weeks),
        effect=float(effect), alpha=alpha, estimator=estimator,
        target="cumulative" if lags else "within",
        elapsed_s=_time.perf_counter() - started, **summary,
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
        As :func:`power` (``n_sims``, ``alpha``, ``rng``, ``n_jobs``, ``simulate``,
        ``estimator``, ...; the rest goes to ``simulate``). Every design point uses the same
        study seeds.

    Returns
    -------
    pandas.DataFrame
        One row per combination: ``n_athletes``, ``n_weeks``, ``effect``, ``power``,
        ``mc_se``, ``ci_low``, ``ci_high`` (power +- 1.96 MC SE, clipped to 0-1), ``n_sims``,
        ``n_converged``, ``mean_estimate``, ``coverage``.
    """
    def seq(v: Any) -> list:
        return list(np.atleast_1d(v))

    n_sims = int(kwargs.pop("n_sims", 200))
    alpha = float(kwargs.pop("alpha", 0.05))
    rng = kwargs.pop("rng", None)
    n_jobs = int(kwargs.pop("n_jobs", 2))
    estimator = kwargs.pop("estimator", "fixed_effects")
    simulate = kwargs.pop("simulate", None) or _default_simulate
    effect_field = kwargs.pop("effect_field", "pace_s_per_km_per_10_soleus_sets")
    base_effects = kwargs.pop("effects", None) or {}
    opts = {"outcome": kwargs.pop("outcome", "easy_pace_s_per_km"),
            "exposure": kwargs.pop("exposure", "soleus_sets"),
            "group": kwargs.pop("group", "athlete_id"),
            "time": kwargs.pop("time", "week_start"),
            "step": float(kwargs.pop("step", 10.0)),
            "covariates": tuple(kwargs.pop("covariates", ())),
            "lags": tuple(kwargs.pop("lags", ()))}
    _check(n_sims, alpha, estimator)
    seeds = _seeds(rng, n_sims)
    combos = list(itertools.product(seq(n_athletes), seq(n_weeks), seq(effect)))
    jobs: list[_Job] = []
    for a, w, e in combos:
        eff = {effect_field: float(e), **base_effects}
        jobs += _make_jobs(simulate, a, w, eff, seeds, estimator, opts, alpha, kwargs)
    results = _execute(jobs, n_jobs)
    rows = []
    for k, (a, w, e) in enumerate(combos):
        s = _summarise(results[k * n_sims:(k + 1) * n_sims], effect=float(e), alpha=alpha)
        rows.append({
            "n_athletes": int(a), "n_weeks": int(w), "effect": float(e), "power": s["power"],
            "mc_se": s["mc_se"],
            "ci_low": max(0.0, s["power"] - 1.96 * s["mc_se"]),
            "ci_high": min(1.0, s["power"] + 1.96 * s["mc_se"]),
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
