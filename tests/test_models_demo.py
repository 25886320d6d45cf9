"""Every model on the project's simulated demo cohort (``sol.simulate_panel``).

The simulator plants a season trend (runners get faster over the study while the calf dose rises
with calendar time), so every within-athlete fit here adjusts for calendar week (``PERIOD``, a
categorical covariate: calendar-week fixed effects) as a reviewer would demand.
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
PERIOD = "calendar_week"


def _with_period(sim):
    sim.panel[PERIOD] = sim.panel["week"].map("w{:02d}".format)
    return sim


@pytest.fixture(scope="module")
def demo():
    effects = simulation.Effects(pace_s_per_km_per_10_soleus_sets=EFFECT, adaptation_weeks=0)
    return _with_period(simulation.simulate_panel(60, 40, effects=effects, rng=1))


def _covers(row, value):
    return row["ci_low"] < value < row["ci_high"]


def test_within_between_and_sensitivity_recover_the_planted_effect(demo):
    # The defaults add calendar-week effects (they are identified: controls and not-yet-started
    # runners), so no period covariate is needed.
    kw = dict(outcome=Y, exposure=X, covariates=["run_distance_km"])
    fits = {"mixed": sol.fit_within_between(demo.panel, **kw),
            "gee": sol.fit_gee(demo.panel, cov_struct="exchangeable", **kw),
            "fe": sol.fit_fixed_effects(demo.panel, **kw)}
    for name, fit in fits.items():
        assert fit.converged or fit.notes, name
        assert _covers(fit.effect("within"), EFFECT), (name, fit.effect("within"))
        assert any("Calendar-week effects" in n for n in fit.notes), name
    # Without calendar time the season trend leaks into the within effect (the dose rises
    # with calendar time): the naive fixed-effects estimate is pulled below the planted one.
    naive = sol.fit_fixed_effects(demo.panel, period=None, **kw).effect("within")
    assert naive["estimate"] < fits["fe"].effect("within")["estimate"]


def test_distributed_lag_recovers_the_cumulative_adaptation():
    # default Effects: adaptation spread over weeks (time constant 4 weeks)
    sim = _with_period(simulation.simulate_panel(60, 40, rng=2))
    weights = np.asarray(sim.truth["lag_weights"])
    truth = sim.truth["effect_per_10_soleus_sets_s_per_km"] * weights[:9].sum()
    dlm = sol.fit_distributed_lag(sim.panel, outcome=Y, exposure=X, max_lag=8, basis="ns", df=4,
                                  covariates=["run_distance_km", "chronic_distance_km", PERIOD])
    assert dlm.converged or dlm.notes
    # One draw: within 3 standard errors (a 95% interval misses 1 seed in 20). A lag window
    # truncated at 8 weeks also takes up part of the longer lags (60 draws: mean -3.89, MC SE
    # 0.11, against the truncated sum -3.58 and the steady state -4).
    row = dlm.cumulative
    assert abs(row["estimate"] - truth) < 3 * row["std_error"], (row, truth)


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
