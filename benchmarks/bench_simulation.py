"""Time the simulators: ``python benchmarks/bench_simulation.py`` from the repository root.

Prints the median time of ``simulate_panel(40, 26)`` (the call a power analysis repeats hundreds
of times), of a 400 x 26 panel and of ``simulate_cohort(40, 26)``.
"""

from __future__ import annotations

import statistics
import time

from soleus_analysis.simulation import simulate_cohort, simulate_panel


def _median_ms(fn, repeats: int) -> float:
    times = []
    for seed in range(repeats):
        t0 = time.perf_counter()
        fn(seed)
        times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> None:
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


if __name__ == "__main__":
    main()
