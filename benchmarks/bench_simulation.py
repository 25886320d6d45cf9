"""Time the simulators and measure what their traps do to naive models.

``python benchmarks/bench_simulation.py`` from the repository root prints the median time of
``simulate_panel(40, 26)`` (the call a power analysis repeats hundreds of times), of a 400 x 26
panel and of ``simulate_cohort(40, 26)``.

``python benchmarks/bench_simulation.py --traps [N]`` runs the trap study of docs/simulation.md:
N cohorts (default 200) of 40 athletes x 26 weeks from the default simulator with a *null* soleus
effect (``Effects(pace_s_per_km_per_10_soleus_sets=0)``, everything else default: season trend,
staggered starts, AR(1) weeks, fitness-confounded uptake), each fitted with and without
calendar-week period effects (a categorical ``calendar_week`` covariate added by hand), and the
same without the traps. It prints a Markdown table: mean estimate [s/km per +10 sets/week], its
Monte-Carlo SE, the rejection rate at 5% (the false-positive rate) with its MC SE, and the
coverage of the 95% CIs of 0.
"""

from __future__ import annotations

import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import soleus_analysis as sol  # noqa: E402
from soleus_analysis.simulation import simulate_cohort, simulate_panel  # noqa: E402

Y, X = "easy_pace_s_per_km", "soleus_sets"
LAGS = (1, 2, 3, 4)
NULL = {"pace_s_per_km_per_10_soleus_sets": 0.0}
NO_TRAPS = {"season_pace_s_per_km_per_week": 0.0, "season_pace_sd_s_per_km_per_week": 0.0}
RANDOMISED = {"uptake_log_odds_per_sd_fitness": 0.0, "adherence_log_odds_per_sd_fitness": 0.0}


def _median_ms(fn, repeats: int) -> float:
    times = []
    for seed in range(repeats):
        t0 = time.perf_counter()
        fn(seed)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def timings() -> None:
    simulate_panel(40, 26, rng=0)  # warm-up (imports, caches)
    ms = _median_ms(lambda s: simulate_panel(40, 26, rng=s), 200)
    print(f"simulate_panel(40, 26):   {ms:7.1f} ms")
    ms = _median_ms(lambda s: simulate_panel(400, 26, rng=s), 20)
    print(f"simulate_panel(400, 26):  {ms:7.1f} ms")
    ms = _median_ms(lambda s: simulate_cohort(40, 26, rng=s), 5)
    print(f"simulate_cohort(40, 26):  {ms:7.1f} ms")
    t0 = time.perf_counter()
    for seed in range(500):
        simulate_panel(40, 26, rng=seed)
    print(f"500 x simulate_panel(40, 26): {time.perf_counter() - t0:.1f} s")


def _fits(seed: int, traps: bool) -> list[tuple[str, float, float, float, float]]:
    """One null cohort, every model with and without period effects: (model, est, se, lo, hi)."""
    effects = sol.Effects(**NULL, **({} if traps else NO_TRAPS))
    design = sol.Design() if traps else sol.Design(**RANDOMISED)
    panel = simulate_panel(40, 26, effects=effects, design=design, rng=seed).panel
    panel["calendar_week"] = panel["week"].map("w{:02d}".format)
    out = []
    for periods in (False, True):
        cov = ["calendar_week"] if periods else []
        tag = "+ calendar week" if periods else "naive"
        fits = {
            "fixed effects, same week": sol.fit_fixed_effects(
                panel, outcome=Y, exposure=X, covariates=cov),
            "fixed effects, lags 0-4 cumulative": sol.fit_fixed_effects(
                panel, outcome=Y, exposure=X, covariates=cov, lags=LAGS),
            "mixed, random slope": sol.fit_within_between(
                panel, outcome=Y, exposure=X, covariates=cov),
            "GEE exchangeable": sol.fit_gee(panel, outcome=Y, exposure=X, covariates=cov),
        }
        for name, fit in fits.items():
            if "lags" in name:
                terms = ["within"] + [f"lag{lag}_within" for lag in LAGS]
                r = sol.combine_effects(fit, terms)
            else:
                r = fit.effect("within")
            out.append((f"{name} ({tag})", float(r["estimate"]), float(r["std_error"]),
                        float(r["ci_low"]), float(r["ci_high"]), float(r["p_value"])))
        if not periods:  # the between-athlete term of the mixed model (confounded by fitness)
            r = fits["mixed, random slope"].effect("between")
            out.append(("mixed, between-athlete term", float(r["estimate"]),
                        float(r["std_error"]), float(r["ci_low"]), float(r["ci_high"]),
                        float(r["p_value"])))
    return out


def _run(args: tuple[int, bool]) -> list:
    return _fits(*args)


def trap_study(n_cohorts: int = 200, n_jobs: int = 2) -> None:
    for traps in (True, False):
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            results = list(pool.map(_run, [(s, traps) for s in range(n_cohorts)], chunksize=4))
        rows: dict[str, list] = {}
        for cohort in results:
            for name, *values in cohort:
                rows.setdefault(name, []).append(values)
        label = "default simulator (traps on)" if traps else "season trend off, randomised uptake"
        print(f"\n{label}: {n_cohorts} null cohorts of 40 x 26 "
              f"({time.perf_counter() - started:.0f} s)\n")
        print("| model | mean estimate (MC SE) | rejected at 5% (MC SE) | 95% CI covers 0 |")
        print("|---|---|---|---|")
        for name, values in rows.items():
            v = np.array(values, dtype=float)
            est, lo, hi, p = v[:, 0], v[:, 2], v[:, 3], v[:, 4]
            n = len(est)
            rej = float(np.mean(p < 0.05))
            cover = float(np.mean((lo <= 0) & (0 <= hi)))
            print(f"| {name} | {est.mean():+.2f} ({est.std(ddof=1) / np.sqrt(n):.2f}) | "
                  f"{100 * rej:.1f}% ({100 * np.sqrt(rej * (1 - rej) / n):.1f}) | "
                  f"{100 * cover:.1f}% |")


if __name__ == "__main__":
    if "--traps" in sys.argv:
        rest = [a for a in sys.argv[1:] if a != "--traps"]
        trap_study(int(rest[0]) if rest else 200)
    else:
        timings()
