"""Simulation-based power: reproducible whatever n_jobs, calibrated at zero effect, monotone."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

from soleus_analysis.models.power import power, power_curve
from tests.panel_generator import simulate_for_power

SIM = dict(simulate=simulate_for_power, effects={"slope_sd": 1.0})


def test_results_do_not_depend_on_n_jobs():
    a = power(20, 12, -2.0, n_sims=12, rng=5, n_jobs=1, **SIM)
    b = power(20, 12, -2.0, n_sims=12, rng=5, n_jobs=2, **SIM)
    pd.testing.assert_frame_equal(a.estimates, b.estimates)
    assert a.power == b.power and a.n_converged == 12


def test_zero_effect_rejects_at_about_alpha_and_covers():
    # 200 null studies: the rejection rate has binomial SD 0.015 at alpha 0.05, so a calibrated
    # test stays below 0.05 + 3 SD = 0.096; coverage of the 95% CIs above 0.95 - 3 SD = 0.90.
    res = power(20, 12, 0.0, n_sims=200, rng=11, **SIM)
    assert res.n_converged == 200
    assert res.power <= 0.096
    assert res.coverage >= 0.90
    assert abs(res.mean_estimate) < 4 * res.estimates["estimate"].std() / np.sqrt(200)
    assert res.mc_se == pytest.approx(np.sqrt(res.power * (1 - res.power) / 200))


def test_power_grows_with_athletes_and_curve_matches_power():
    curve = power_curve([10, 20, 40], 12, -2.0, n_sims=60, rng=3, **SIM)
    assert list(curve["n_athletes"]) == [10, 20, 40]
    assert curve["power"].is_monotonic_increasing
    assert curve["power"].iloc[-1] > 0.8
    assert (curve["ci_low"] <= curve["power"]).all() and (curve["power"] <= curve["ci_high"]).all()
    single = power(20, 12, -2.0, n_sims=60, rng=3, **SIM)
    assert single.power == curve.loc[1, "power"]  # same study seeds at every design point


def test_lagged_kernel_is_tested_on_the_cumulative_effect():
    eff = {"slope_sd": 0.5, "lag_weights": (0.5, 0.3, 0.2)}
    res = power(30, 20, -3.0, n_sims=40, rng=2, simulate=simulate_for_power, effects=eff,
                lags=(1, 2))
    assert res.target == "cumulative"
    assert res.mean_estimate == pytest.approx(-3.0, abs=0.5)
    naive = power(30, 20, -3.0, n_sims=40, rng=2, simulate=simulate_for_power, effects=eff)
    # the same-week effect is only the first lag weight of the steady-state effect
    assert naive.mean_estimate == pytest.approx(-1.5, abs=0.5)


def test_default_simulator_or_a_clear_error():
    if importlib.util.find_spec("soleus_analysis.simulation") is None:
        with pytest.raises(ImportError, match="pass simulate="):
            power(10, 8, -2.0, n_sims=2, n_jobs=1, rng=1)
    else:  # the simulator is merged: it must work through the default path
        res = power(10, 8, -2.0, n_sims=2, n_jobs=1, rng=1)
        assert res.n_sims == 2


def test_bad_arguments():
    with pytest.raises(ValueError, match="estimator"):
        power(10, 8, -2.0, n_sims=2, estimator="ols", **SIM)
    with pytest.raises(ValueError, match="alpha"):
        power(10, 8, -2.0, n_sims=2, alpha=1.5, **SIM)
    with pytest.raises(ValueError, match="n_sims"):
        power(10, 8, -2.0, n_sims=0, **SIM)
    # further keywords go to the simulator (here: make_panel refuses a start that is no Monday)
    with pytest.raises(ValueError, match="Monday"):
        power(10, 8, -2.0, n_sims=2, n_jobs=1, start="2024-01-02", **SIM)
    res = power(10, 8, -2.0, n_sims=2, n_jobs=1, rng=1, missing_outcome=0.5, **SIM)
    assert res.n_converged == 2


def test_recovery_summarises_bias_coverage_and_rejections():
    res = power(20, 12, -2.0, n_sims=40, rng=8, n_jobs=1, **SIM)
    rec = res.recovery.iloc[0]
    est = res.estimates["estimate"]
    assert rec["bias"] == pytest.approx(est.mean() + 2.0)
    assert rec["bias_mc_se"] == pytest.approx(est.std() / np.sqrt(40))
    assert rec["rejection_rate"] == res.power and rec["coverage"] == res.coverage
    assert rec["coverage_mc_se"] == pytest.approx(np.sqrt(res.coverage * (1 - res.coverage) / 40))
    # calibrated standard errors: the mean reported SE is close to the spread of the estimates
    assert 0.7 < rec["mean_std_error"] / rec["empirical_sd"] < 1.4
    assert abs(rec["bias"]) < 3 * rec["bias_mc_se"]
