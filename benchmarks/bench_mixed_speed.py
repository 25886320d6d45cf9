"""Speed and agreement of the within-between random-slope model on a large cohort.

Usage (from the repository root)::

    python benchmarks/bench_mixed_speed.py [n_athletes] [n_weeks] [--no-raw]   # default 5000 52

Times :func:`sol.fit_within_between` (random intercept and slope; standardised predictors, start
values from the vectorised profiled REML, then statsmodels) and compares its estimates with a
reference: statsmodels ``MixedLM`` fitted on the same standardised design from statsmodels'
default start values with BFGS at a tight tolerance (converged), back-transformed by hand. Target
(issue 8): at most 10 s at 5,000 x 52 with the same estimates to 4 significant digits. It also
fits statsmodels on the raw scale, to show why the package standardises.
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from statsmodels.regression.mixed_linear_model import MixedLM

import soleus_analysis as sol
from benchmarks._common import emit, goal, load_average
from tests.panel_generator import make_panel


def _sig(a: float, b: float, digits: int = 4) -> bool:
    """Same to `digits` significant digits (relative difference below half a unit)."""
    return abs(a - b) <= 0.5 * 10 ** (np.floor(np.log10(max(abs(b), 1e-300))) - digits + 1)


def main(n_athletes: int = 5000, n_weeks: int = 52, raw: bool = True) -> None:
    panel = make_panel(n_athletes, n_weeks, within_effect=-3.0, slope_sd=1.0, rng=1).panel
    t0 = time.perf_counter()
    fit = sol.fit_within_between(panel, outcome="easy_pace_s_per_km", exposure="soleus_sets")
    t_fit = time.perf_counter() - t0
    print(f"{n_athletes} athletes x {n_weeks} weeks: fit_within_between {t_fit:.1f} s, "
          f"converged={fit.converged}, structure={fit.re_structure}, optimiser="
          f"{fit.mixed.optimizer}")

    d = fit.data
    x = np.column_stack([np.ones(len(d)), d["x_w"], d["x_b"]])
    y = d["y"].to_numpy()
    mx, sx = x[:, 1:].mean(0), x[:, 1:].std(0)
    xs = np.column_stack([np.ones(len(d)), (x[:, 1:] - mx) / sx])
    my, sy = y.mean(), y.std()
    ys = (y - my) / sy
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = MixedLM(ys, xs, d["athlete"].to_numpy(), exog_re=xs[:, :2]).fit(
            method=["bfgs"], gtol=1e-8, maxiter=5000)
    t_ref = time.perf_counter() - t0
    beta = np.asarray(ref.fe_params)
    ref_w = sy * beta[1] / sx[0] * fit.step
    ref_b = sy * beta[2] / sx[1] * fit.step
    ref_slope_sd = sy * np.sqrt(np.asarray(ref.cov_re)[1, 1]) / sx[0] * fit.step
    ref_resid = sy * np.sqrt(ref.scale)
    ours = fit.table.set_index("term")["estimate"]
    var = fit.variance.set_index("component")["estimate"]
    pairs = [
        ("within", ours["within"], ref_w),
        ("between", ours["between"], ref_b),
        ("slope SD", var.iloc[1], ref_slope_sd),
        ("residual SD", var.iloc[-1], ref_resid),
    ]
    print(f"reference statsmodels (standardised, default start, BFGS): {t_ref:.1f} s, "
          f"converged={ref.converged}")
    for name, a, b in pairs:
        print(f"  {name:12s} ours {a: .6g}  reference {b: .6g}  same to 4 significant digits: "
              f"{_sig(a, b)}")
    same = all(_sig(a, b) for _, a, b in pairs)
    met = bool(fit.converged and ref.converged and same and t_fit <= 10)
    emit(
        "Random-slope model (goal 3)",
        [],
        [f"load average when done: {load_average()} (2 cores)"],
        [goal("3", f"within-between random-slope model, {n_athletes:,} athletes x {n_weeks} weeks",
              f"{t_fit:.1f} s, converged={fit.converged}",
              f"{t_ref:.1f} s (statsmodels, standardised, converged={ref.converged})",
              t_fit / t_ref, "<= 10 s; same 4 significant digits", met)],
    )
    if raw:
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            rawfit = MixedLM(y, x, d["athlete"].to_numpy(), exog_re=x[:, :2]).fit()
        print(f"statsmodels on the raw scale (default settings): {time.perf_counter() - t0:.1f} s, "
              f"converged={rawfit.converged}, llf={rawfit.llf:.1f}, "
              f"within SE={np.asarray(rawfit.bse_fe)[1] * fit.step:.4f} "
              f"(ours {fit.effect('within')['std_error']:.4f}, llf {fit.mixed.llf:.1f})")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:] if a != "--no-raw"][:2]
    main(*args, raw="--no-raw" not in sys.argv[1:])
