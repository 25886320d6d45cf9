"""Every model on the project's simulated demo cohort (needs the simulator, branch `simulator`).

Skipped until ``soleus_analysis.simulation`` is merged. It uses only the agreed interface:
``simulate_panel(n_athletes, n_weeks, *, effects, rng) -> SimulatedPanel(panel, truth, params)``
and ``Effects(pace_s_per_km_per_10_soleus_sets=..., adaptation_weeks=...)``.
"""

from __future__ import annotations

import numpy as np
import pytest

import soleus_analysis as sol

simulation = pytest.importorskip(
    "soleus_analysis.simulation", reason="needs the cohort simulator (branch simulator)"
)

Y, X = "easy_pace_s_per_km", "soleus_sets"
EFFECT = -3.0


@pytest.fixture(scope="module")
def demo():
    effects = simulation.Effects(pace_s_per_km_per_10_soleus_sets=EFFECT, adaptation_weeks=0)
    return simulation.simulate_panel(60, 40, effects=effects, rng=1)


def _covers(row, value):
    return row["ci_low"] < value < row["ci_high"]


def test_within_between_and_sensitivity_recover_the_planted_effect(demo):
    sens = sol.fit_sensitivity(demo.panel, outcome=Y, exposure=X,
                               covariates=["run_distance_km"])
    within = sens.table.loc[sens.table["term"] == "within"]
    for _, row in within.iterrows():
        assert row["converged"] or sens.fits[row["model"]].notes, row["model"]
        assert _covers(row, EFFECT), row


def test_distributed_lag_recovers_the_cumulative_adaptation():
    # default Effects: adaptation spread over weeks (time constant 4 weeks)
    sim = simulation.simulate_panel(60, 40, rng=2)
    weights = np.asarray(sim.truth["lag_weights"])
    truth = sim.truth["effect_per_10_soleus_sets_s_per_km"] * weights[:9].sum()
    dlm = sol.fit_distributed_lag(sim.panel, outcome=Y, exposure=X, max_lag=8, basis="ns", df=4,
                                  covariates=["run_distance_km", "chronic_distance_km"])
    assert dlm.converged or dlm.notes
    assert _covers(dlm.cumulative, truth), (dlm.cumulative, truth)


def test_rmcorr_individual_and_banister_run(demo):
    rm = sol.rmcorr(demo.panel, x=X, y=Y, subject="athlete_id")
    assert rm.r < 0 and rm.df > 0
    fit = sol.fit_within_between(demo.panel, outcome=Y, exposure=X,
                                 covariates=["run_distance_km"])
    ir = sol.individual_responses(fit, higher_is_better=False)
    assert len(ir.table) == 60
    slopes = demo.truth["athlete_slopes_s_per_km_per_10_sets"]
    t = ir.table.assign(true=ir.table["athlete"].map(slopes))
    if fit.re_structure == "full":
        assert np.corrcoef(t["estimate"], t["true"])[0, 1] > 0.3
    one = demo.panel.loc[demo.panel["athlete_id"] == demo.panel["athlete_id"].iloc[0]]
    ban = sol.fit_banister(one, performance=Y, loads=["run_distance_km", X], time="week_start",
                           higher_is_better=False, ci=None)
    assert len(ban.fit) == 1 and np.isfinite(ban.fit["rmse_in"].iloc[0])


def test_power_with_the_default_simulator():
    res = sol.power(20, 12, EFFECT, n_sims=6, rng=1, n_jobs=1,
                    effects={"adaptation_weeks": 0})
    assert res.n_sims == 6 and res.n_converged >= 5
