"""The known answer of simulated cohorts: reading it back and the effects it implies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.simulation import Effects, implied_effects, read_truth


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    cohort = sol.simulate_cohort(6, 10, rng=4)
    out = tmp_path_factory.mktemp("canonical")
    sol.simulation.write_canonical(cohort, out, seed=4)
    return cohort, out


def test_read_truth_gives_back_what_was_planted(written):
    cohort, out = written
    truth = read_truth(out)
    assert truth.known and truth.seed == 4
    assert truth.value("effect_per_10_soleus_sets_s_per_km") == pytest.approx(
        cohort.planted["effect_per_10_soleus_sets_s_per_km"])
    slopes = truth.slopes
    assert slopes.to_dict() == pytest.approx(cohort.planted["athlete_slopes_s_per_km_per_10_sets"])
    assert len(truth.weeks) == len(cohort.truth) == 60
    assert truth.weeks["week_start"].dtype.kind == "M"
    assert set(truth.athletes["athlete_id"]) == set(slopes.index)
    assert "SIMULATED" in truth.describe()


def test_lag_effects_are_the_planted_kernel_times_the_effect(written):
    cohort, out = written
    truth = read_truth(out)
    w = np.asarray(cohort.planted["lag_weights"])
    effect = cohort.planted["effect_per_10_soleus_sets_s_per_km"]
    lags = truth.lag_effects(3, step=20)
    np.testing.assert_allclose(lags["planted"].iloc[:4], 2 * effect * w[:4])
    assert lags["planted"].iloc[-1] == pytest.approx(2 * effect * w[:4].sum())
    beyond = truth.lag_effects(len(w) + 2)  # past the stored kernel: no effect left
    assert (beyond["planted"].iloc[len(w):-1] == 0).all()
    assert beyond["planted"].iloc[-1] == pytest.approx(effect * w.sum())


def test_real_data_folder_has_an_unknown_truth(tmp_path):
    (tmp_path / "A1").mkdir()
    truth = read_truth(tmp_path)
    assert not truth.known
    assert np.isnan(truth.value("effect_per_10_soleus_sets_s_per_km"))
    assert truth.slopes.empty and truth.implied().empty and truth.weeks.empty
    assert truth.lag_effects(2)["planted"].isna().all()
    assert "real data" in truth.describe()


def test_implied_effects_route_fatigue_into_rpe_readiness_decoupling_and_fade():
    e = Effects(fatigue_per_10_soleus_sets=0.5, decoupling_pct_per_10_soleus_sets=-1.0)
    t = implied_effects(e).set_index(["outcome", "exposure"])
    assert t.loc[("readiness", "soleus"), "total"] == pytest.approx(1.6 * 0.5)
    assert t.loc[("run_rpe", "soleus"), "total"] == pytest.approx(-0.6 * 0.5)
    assert t.loc[("decoupling_pct", "soleus"), "total"] == pytest.approx(-1.0 - 0.6 * 0.5)
    assert t.loc[("fatigue", "acute_km"), "total"] == e.fatigue_per_10_km_acute
    as_dict = implied_effects(e.__dict__)
    pd.testing.assert_frame_equal(as_dict, implied_effects(e))


@pytest.mark.parametrize("outcome", ["readiness", "run_rpe", "decoupling_pct", "pace_fade_pct"])
def test_implied_effects_are_what_the_simulator_produces(outcome):
    # same-week effect (no adaptation lag) and a strong fatigue effect, large cohort
    e = Effects(adaptation_weeks=0, fatigue_per_10_soleus_sets=0.6,
                fatigue_per_10_km_acute=0.0, fatigue_per_10_km_chronic=0.0)
    panel = sol.simulate_panel(200, 30, effects=e, rng=11).panel
    fit = sol.fit_fixed_effects(panel, outcome=outcome, exposure="soleus_sets")
    row = fit.effect("within")
    expected = implied_effects(e).set_index(["outcome", "exposure"]).loc[
        (outcome, "soleus"), "total"]
    assert abs(row["estimate"] - expected) < 3 * row["std_error"], (row, expected)
    assert abs(expected) > 4 * row["std_error"]  # the test can tell the effect from 0
