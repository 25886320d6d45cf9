"""Time simulation-based power: ``python benchmarks/bench_power.py`` from the repository root.

Target (issue 6): 500 simulated studies of 40 athletes x 26 weeks in at most 60 s on 2 cores,
with the project's simulator (``sol.simulate_panel``) and the default test (cluster-robust
fixed effects on the within-athlete effect). Also times the random-slope mixed model per study.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import soleus_analysis as sol
from benchmarks._common import emit, goal, load_average


def main() -> None:
    started = time.perf_counter()
    res = sol.power(40, 26, -4.0, n_sims=500, rng=1, n_jobs=2, effects={"adaptation_weeks": 0})
    seconds = time.perf_counter() - started
    print(f"power(40, 26, -4 s/km, n_sims=500, fixed effects, 2 processes): "
          f"{seconds:.1f} s; power {res.power:.3f} "
          f"(MC SE {res.mc_se:.3f}), coverage {res.coverage:.3f}, "
          f"mean estimate {res.mean_estimate:.2f}")
    started = time.perf_counter()
    lag = sol.power(40, 26, -4.0, n_sims=500, rng=1, n_jobs=2, lags=tuple(range(1, 9)))
    print(f"same with the default 4-week adaptation, cumulative over lags 0-8: "
          f"{time.perf_counter() - started:.1f} s; power {lag.power:.3f} "
          f"(MC SE {lag.mc_se:.3f}), mean estimate {lag.mean_estimate:.2f}")
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
