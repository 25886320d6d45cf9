"""Planted-effect recovery study of the within-athlete effect (shared by tests and benchmarks).

Each cohort is drawn with an independent generator (:mod:`tests.panel_generator`, not the
package's simulator): ``design="simple"`` (random intercept and slope, optional AR(1) residuals)
or ``design="staggered"`` (season trend, staggered programme starts with a third never starting
and doses rising after the start, AR(1) residuals, fitter runners doing more calf work). Every
cohort is fitted with the package's defaults: ``target="within"`` (same-week effect):
:func:`sol.fit_within_between`, :func:`sol.fit_fixed_effects`, :func:`sol.fit_gee`;
``target="cumulative"`` (lag 0-4 kernel, the sum of the lag effects): the same models with
``lags=[1, 2, 3, 4]`` and :func:`sol.combine_effects`, and :func:`sol.fit_distributed_lag`.
The summary gives, per model and scenario, the mean bias (and as a share of the planted effect),
the coverage of the 95% CIs and the rejection rate at 5% (power, or the false-positive rate when
the planted effect is 0), each with its Monte-Carlo standard error.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from soleus_analysis.models.lags import fit_distributed_lag
from soleus_analysis.models.sensitivity import fit_fixed_effects, fit_gee
from soleus_analysis.models.within_between import combine_effects, fit_within_between
from tests.panel_generator import make_panel, make_staggered_panel

Y, X = "easy_pace_s_per_km", "soleus_sets"
KERNEL = (0.4, 0.3, 0.2, 0.1)
LAG_TERMS = ["within", "lag1_within", "lag2_within", "lag3_within", "lag4_within"]


@dataclass(frozen=True)
class Scenario:
    name: str
    effect: float
    n_athletes: int = 40
    n_weeks: int = 26
    slope_sd: float = 1.5
    ar1: float = 0.0
    design: str = "simple"
    target: str = "within"
    models: tuple[str, ...] = ("mixed random slope", "fixed effects, cluster-robust")


def _cohort(s: Scenario, rng: np.random.Generator) -> pd.DataFrame:
    weights = KERNEL if s.target == "cumulative" else (1.0,)
    if s.design == "staggered":
        return make_staggered_panel(s.n_athletes, s.n_weeks, within_effect=s.effect,
                                    lag_weights=weights, slope_sd=s.slope_sd, ar1=s.ar1,
                                    rng=rng).panel
    return make_panel(s.n_athletes, s.n_weeks, within_effect=s.effect, slope_sd=s.slope_sd,
                      ar1=s.ar1, between_effect=2.0, lag_weights=weights, rng=rng).panel


def _fit(model: str, panel: pd.DataFrame, target: str) -> tuple[pd.Series, bool, str]:
    lags = [1, 2, 3, 4] if target == "cumulative" else []
    if model == "mixed random slope":
        fit = fit_within_between(panel, outcome=Y, exposure=X, lags=lags)
        converged, structure = fit.converged, fit.re_structure
    elif model == "fixed effects, cluster-robust":
        fit = fit_fixed_effects(panel, outcome=Y, exposure=X, lags=lags)
        converged, structure = True, "none"
    elif model == "GEE exchangeable":
        fit = fit_gee(panel, outcome=Y, exposure=X, lags=lags)
        converged, structure = fit.converged, "none"
    elif model == "distributed lag (GEE)":
        fit = fit_distributed_lag(panel, outcome=Y, exposure=X, max_lag=4)
        return fit.cumulative, bool(fit.converged), "none"
    else:
        raise ValueError(model)
    row = combine_effects(fit, LAG_TERMS) if target == "cumulative" else fit.effect("within")
    return row, bool(converged), structure


def _one(args: tuple[Scenario, np.random.SeedSequence, int]) -> list[dict]:
    scenario, seed, cohort = args
    panel = _cohort(scenario, np.random.default_rng(seed))
    rows = []
    for model in scenario.models:
        r, converged, structure = _fit(model, panel, scenario.target)
        rows.append({
            "scenario": scenario.name, "cohort": cohort, "model": model,
            "n_athletes": scenario.n_athletes, "n_weeks": scenario.n_weeks,
            "target": scenario.target, "effect": scenario.effect,
            "estimate": r["estimate"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
            "p_value": r["p_value"], "df": r.get("df", np.inf), "converged": converged,
            "re_structure": structure,
        })
    return rows


def run_recovery(scenarios: list[Scenario], n_cohorts: int, *, rng=2024,
                 n_jobs: int = 2) -> pd.DataFrame:
    """Fit every scenario on ``n_cohorts`` cohorts; one row per cohort, scenario and model."""
    # independent cohorts for every scenario (common seeds would make the null scenario a
    # shifted copy of the effect scenario for a linear model)
    per_scenario = np.random.SeedSequence(rng).spawn(len(scenarios))
    jobs = [(s, seq, c) for s, root in zip(scenarios, per_scenario, strict=True)
            for c, seq in enumerate(root.spawn(n_cohorts))]
    n_jobs = max(1, min(n_jobs, os.cpu_count() or 1))
    if n_jobs == 1:
        results = [_one(j) for j in jobs]
    else:
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            results = list(pool.map(_one, jobs, chunksize=max(1, len(jobs) // (8 * n_jobs))))
    return pd.DataFrame([row for rows in results for row in rows])


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Bias, coverage and rejection rate with Monte-Carlo standard errors."""
    out = []
    for (scenario, model), d in results.groupby(["scenario", "model"], sort=False):
        n = len(d)
        effect = float(d["effect"].iloc[0])
        bias = float(d["estimate"].mean() - effect)
        bias_se = float(d["estimate"].std(ddof=1) / np.sqrt(n))
        covered = ((d["ci_low"] <= effect) & (effect <= d["ci_high"])).mean()
        rejected = (d["p_value"] < 0.05).mean()
        out.append({
            "scenario": scenario, "model": model, "n_cohorts": n, "effect": effect,
            "mean_estimate": float(d["estimate"].mean()),
            "bias": bias, "bias_mc_se": bias_se,
            "bias_pct": 100 * bias / effect if effect else np.nan,
            "coverage": float(covered),
            "coverage_mc_se": float(np.sqrt(covered * (1 - covered) / n)),
            "reject_rate": float(rejected),
            "reject_mc_se": float(np.sqrt(rejected * (1 - rejected) / n)),
            "median_df": float(np.median(d["df"])),
            "converged": float(d["converged"].mean()),
            "kept_random_slope": float((d["re_structure"] == "full").mean()),
        })
    return pd.DataFrame(out)
