"""Write the two simulated injury data sets that tests/data/reference/r/injury_reference.R fits.

Run from tests/data/reference: ``python r/make_injury_reference.py``. Plain numpy, fixed seed; the
files are committed, so the tests never run this script. The generators are deliberately simple
and independent of the package's simulator.

- ``injury_counts.csv``: 36 athletes x 10 months (athlete-month rows): ``athlete``, ``month``,
  ``exposure_h`` (training hours), ``soleus_sets`` (mean sets a week), ``run_km`` (mean km a
  week), ``injuries`` (new injuries that month), ``days_lost``. Injuries are negative binomial:
  Poisson with a gamma(shape 1.5) multiplier per athlete-month and an athlete frailty, rate
  2.5 per 1000 h x exp(-0.03 sets + 0.012 km).
- ``recurrent_injuries.csv``: 40 athletes followed in weekly intervals (day units) with staggered
  entry and drop-out; ``athlete``, ``start``, ``stop`` (days, (start, stop]), ``event`` (an injury
  on day ``stop``), ``soleus_sets``, ``acute_load`` (this week's load, arbitrary units / 10), ``chronic_load``
  (mean of the 4 previous weeks, same units), ``sex`` (0/1). Intervals are cut at injury days;
  athletes continue after an injury (recurrent events, Andersen-Gill). The hazard has an athlete
  gamma frailty, so the robust (by-athlete) standard errors differ from the model-based ones.
"""

import numpy as np
import pandas as pd

def main() -> None:
    rng = np.random.default_rng(20240514)

    # ---- counts -----------------------------------------------------------------------------------
    rows = []
    for a in range(36):
        frail = rng.gamma(4.0, 1 / 4.0)
        base_sets = rng.uniform(0, 20)
        base_km = rng.uniform(20, 70)
        for m in range(10):
            hours = rng.uniform(15, 45)
            sets = max(0.0, base_sets + rng.normal(0, 4))
            km = max(5.0, base_km + rng.normal(0, 8))
            rate = 2.5 / 1000 * np.exp(-0.03 * sets + 0.012 * km) * frail * rng.gamma(1.5, 1 / 1.5)
            n = rng.poisson(rate * hours * 8)  # x8: enough events for a stable test
            lost = int(sum(rng.geometric(1 / 9.0) for _ in range(n)))
            rows.append((f"A{a:02d}", m + 1, round(hours, 2), round(sets, 2), round(km, 2), n, lost))
    counts = pd.DataFrame(rows, columns=["athlete", "month", "exposure_h", "soleus_sets", "run_km",
                                         "injuries", "days_lost"])
    counts.to_csv("injury_counts.csv", index=False)

    # ---- recurrent events ------------------------------------------------------------------------
    rows = []
    for a in range(40):
        frail = rng.gamma(2.0, 1 / 2.0)
        sex = int(rng.integers(0, 2))
        first_week = int(rng.integers(0, 8))
        n_weeks = int(rng.integers(12, 30))
        base_load = rng.uniform(8, 20)
        sets_level = rng.uniform(0, 15)
        loads = base_load + rng.normal(0, 3, size=n_weeks + 4)
        for w in range(n_weeks):
            week = first_week + w
            acute = max(0.0, loads[w + 4])
            chronic = float(np.mean(loads[w:w + 4]))
            sets = max(0.0, sets_level + rng.normal(0, 3))
            lp = -0.04 * sets + 0.10 * acute - 0.05 * chronic + 0.3 * sex
            daily = 0.004 * np.exp(lp) * frail
            start = 7 * week
            for day in range(1, 8):
                if rng.random() < 1 - np.exp(-daily):
                    rows.append((f"R{a:02d}", start, 7 * week + day, 1, round(sets, 2),
                                 round(acute / 10, 3), round(chronic / 10, 3), sex))
                    start = 7 * week + day
            if start < 7 * week + 7:
                rows.append((f"R{a:02d}", start, 7 * week + 7, 0, round(sets, 2),
                             round(acute / 10, 3), round(chronic / 10, 3), sex))
    rec = pd.DataFrame(rows, columns=["athlete", "start", "stop", "event", "soleus_sets",
                                      "acute_load", "chronic_load", "sex"])
    rec.to_csv("recurrent_injuries.csv", index=False)
    print(len(counts), counts["injuries"].sum(), len(rec), rec["event"].sum(),
          rec.groupby("athlete")["event"].sum().max())


if __name__ == "__main__":
    main()
