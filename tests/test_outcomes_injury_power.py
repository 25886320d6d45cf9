"""Power of injury designs by simulation: the false-positive rate, power, coverage, MC SE."""

import numpy as np
import pytest

import soleus_analysis as sol
from soleus_analysis.outcomes.injury_study_power import simulate_injury_study


def test_null_rejection_rate_and_power_ordering():
    r = sol.injury_power(40, 20, [1.0, 0.5], n_sims=60, rng=3)
    t = r.table.set_index("hazard_ratio")
    # 60 studies: MC SE of a 5% rate is 0.028
    assert t.loc[1.0, "estimate"] <= 0.15
    assert t.loc[0.5, "estimate"] > t.loc[1.0, "estimate"] + 0.2
    p = t.loc[0.5, "estimate"]
    assert t.loc[0.5, "std_error"] == pytest.approx(np.sqrt(p * (1 - p) / 60))
    assert t.loc[0.5, "coverage"] >= 0.85
    assert len(r.estimates) == 120 and r.estimates["converged"].all()


def test_generated_study_is_a_counting_process_with_the_planted_dose():
    d = simulate_injury_study(30, 16, 0.8, programme_share=1.0, rng=9)
    assert (d["stop"] > d["start"]).all() and set(d["event"]) <= {0, 1}
    per_week = d.groupby(["athlete_id", "week"])["soleus_sets_prev_week"].nunique()
    assert (per_week == 1).all()  # constant within a week
    assert d["week"].min() == 1  # week 0 has no previous week
    none = simulate_injury_study(30, 16, 0.8, programme_share=0.0, rng=9)
    assert (none["soleus_sets_prev_week"] == 0).all()
    with pytest.raises(ValueError, match="hazard_ratio"):
        sol.injury_power(10, 10, 0.0, n_sims=2)
