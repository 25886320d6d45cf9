"""Time simulation-based power: ``python benchmarks/bench_power.py`` from the repository root.

Target (issue 6, kept by issue 17): 500 simulated studies of 40 athletes x 26 weeks well under a
minute on 2 cores, with the project's simulator and its traps (season trend, staggered starts,
AR(1) weeks, fitness-confounded uptake) and the default test (the within-athlete effect by
:func:`sol.fit_fixed_effects` with its default inference). Also times the cumulative lag test,
the random-slope mixed model per study, and prints the false-positive rate of ``sol.power`` at
20 x 12 with a null effect (issue 17: it must come out near alpha once the models' defaults
handle calendar time and small samples).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import soleus_analysis as sol
from benchmarks._common import emit, goal, load_average


def simulate_with_calendar_week(n_athletes, n_weeks, *, effects, rng, **kwargs):
    """The default simulator plus a categorical ``calendar_week`` column (period effects by hand)."""
    sim = sol.simulate_panel(n_athletes, n_weeks, effects=sol.Effects(**effects), rng=rng,
                             **kwargs)
    sim.panel["calendar_week"] = sim.panel["week"].map("w{:02d}".format)
    return sim


def null_rates() -> None:
    """False-positive rate of sol.power at 20 x 12, with the models' defaults and with weeks."""
    for lags in [(), (1, 2, 3, 4)]:
        started = time.perf_counter()
        null = sol.power(20, 12, 0.0, n_sims=500, rng=2025, n_jobs=2, lags=lags)
        print(f"null effect at 20 x 12, lags {list(lags)} ({time.perf_counter() - started:.1f} s):"
              f" {null.sentence()}")
        weeks = sol.power(20, 12, 0.0, n_sims=500, rng=2025, n_jobs=2, lags=lags,
                          simulate=simulate_with_calendar_week, covariates=["calendar_week"])
        print(f"  the same with calendar-week effects added by hand: {weeks.sentence()}")


def main() -> None:
    started = time.perf_counter()
    res = sol.power(40, 26, -4.0, n_sims=500, rng=1, n_jobs=2, effects={"adaptation_weeks": 0})
    seconds = time.perf_counter() - started
    print(f"power(40, 26, -4 s/km, n_sims=500, fixed effects, 2 processes): {seconds:.1f} s")
    print(f"  {res.sentence()} Coverage {res.coverage:.3f}, mean estimate "
          f"{res.mean_estimate:.2f}.")
    started = time.perf_counter()
    lag = sol.power(40, 26, -4.0, n_sims=500, rng=1, n_jobs=2, lags=tuple(range(1, 9)))
    print(f"same with the default 4-week adaptation, cumulative over lags 0-8: "
          f"{time.perf_counter() - started:.1f} s")
    print(f"  {lag.sentence()} Mean estimate {lag.mean_estimate:.2f}.")
    null_rates()
    started = time.perf_counter()
    slope = sol.power(40, 26, -4.0, n_sims=40, rng=1, n_jobs=2, estimator="random_slope",
                      effects={"adaptation_weeks": 0})
    per = (time.perf_counter() - started) / 40
    print(f"random-slope mixed model: {per:.2f} s per study on 2 processes "
          f"(500 studies ~ {500 * per:.0f} s); power {slope.power:.2f} from 40 studies")
    emit(
        "Simulation-based power (goal 4)",
        [],
        [f"load average when done: {load_average()} (2 cores)"],
        [goal("4", "power: 500 simulated studies of 40 athletes x 26 weeks, 2 processes",
              f"{seconds:.1f} s", "60 s (the goal)", seconds / 60, "<= 1 (60 s)",
              seconds <= 60)],
    )


if __name__ == "__main__":
    main()
