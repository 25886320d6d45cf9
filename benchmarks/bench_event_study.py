"""Event study of staggered starts: interval coverage and TWFE bias, ``python
benchmarks/bench_event_study.py [n_cohorts]`` from the repository root.

Uses the independent generator of ``tests/test_event_study.py`` (season trend, AR(1) 0.7 weekly
noise, starts in weeks 5-14, effects growing with time since the start and larger for later
cohorts). For 16 runners (5 never start) and 30 runners (10 never start) it prints the coverage
of the 95% intervals of ``overall``, ``event+2`` and the placebo ``event-3`` for the default
jackknife and for the did package's influence-function SE, with Monte-Carlo SEs, the mean time
per fit, and the static two-way fixed-effects estimate against the true mean effect.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

from soleus_analysis.models.event_study import fit_event_study
from tests.test_event_study import staggered, true_event_effects, twfe_static


def study(n_cohorts: int, n: int, n_never: int, inference: str) -> tuple[dict, float]:
    hits = {"overall": 0, "event+2": 0, "event-3": 0}
    seconds = 0.0
    for seed in range(n_cohorts):
        d = staggered(1000 + seed, n=n, n_never=n_never)
        started = time.perf_counter()
        t = fit_event_study(d, outcome="pace", start="start", time="week", leads=4, lags=5,
                            inference=inference).table.set_index("term")
        seconds += time.perf_counter() - started
        tr = true_event_effects(d, 5)
        target = {"overall": np.mean([tr[e] for e in range(6)]), "event+2": tr[2], "event-3": 0.0}
        for k, v in target.items():
            hits[k] += bool(t.loc[k, "ci_low"] <= v <= t.loc[k, "ci_high"])
    return {k: v / n_cohorts for k, v in hits.items()}, seconds / n_cohorts


def main() -> None:
    n_cohorts = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    for n, n_never in ((16, 5), (30, 10)):
        for inference in ("jackknife", "influence"):
            cov, sec = study(n_cohorts, n, n_never, inference)
            text = ", ".join(f"{k} {v:.3f} (MC SE {np.sqrt(v * (1 - v) / n_cohorts):.3f})"
                             for k, v in cov.items())
            print(f"{n} runners ({n_never} never start), {inference}, {n_cohorts} cohorts: "
                  f"coverage {text}; {1000 * sec:.0f} ms per fit")
    twfe, truth = [], []
    for seed in range(min(n_cohorts, 100)):
        d = staggered(seed, n_never=2)
        twfe.append(twfe_static(d))
        on = d["start"].notna() & (d["week"] >= d["start"].fillna(np.inf))
        truth.append(d.loc[on, "true_effect"].mean())
    print(f"static TWFE, 30 runners (2 never start): mean {np.mean(twfe):.2f} s/km against a "
          f"true mean effect over treated weeks of {np.mean(truth):.2f}")


if __name__ == "__main__":
    main()
