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


def _z_test_power(n, p0, p1, alpha, rng, n_trials=20_000):
    """Power of the pooled two-proportion z test, by simulating trials of n athletes per group."""
    from scipy.stats import norm

    x0, x1 = rng.binomial(n, p0, n_trials), rng.binomial(n, p1, n_trials)
    pooled = (x0 + x1) / (2 * n)
    se = np.sqrt(pooled * (1 - pooled) * 2 / n)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.abs(x0 / n - x1 / n) / se
    return float(np.mean(np.nan_to_num(z) > norm.ppf(1 - alpha / 2)))


@pytest.mark.parametrize("p0, rr", [(0.2, 0.5), (0.1, 0.67), (0.4, 0.75)])
def test_risk_study_size_gives_its_power_in_simulated_trials(p0, rr):
    from soleus_analysis.models.power import risk_study_size

    row = risk_study_size(p0, rr).iloc[0]
    rng = np.random.default_rng(7)
    # MC SD of a power near 0.8 with 20,000 trials is 0.003; the arcsine approximation is close
    assert abs(_z_test_power(int(row["per_group"]), p0, p0 * rr, 0.05, rng) - 0.8) < 0.03
    # and a study a third smaller is clearly underpowered
    assert _z_test_power(int(row["per_group"] * 2 / 3), p0, p0 * rr, 0.05, rng) < 0.7
    assert row["total"] == 2 * row["per_group"]
    assert row["injured_expected"] == pytest.approx(row["per_group"] * p0 * (1 + rr))


def test_risk_study_size_grid_and_errors():
    from soleus_analysis.models.power import risk_study_size

    t = risk_study_size([0.1, 0.3], [0.5, 0.8])
    assert len(t) == 4
    # a smaller reduction or a rarer injury needs more athletes
    assert t.set_index(["risk_control", "risk_ratio"]).loc[(0.1, 0.8), "per_group"] > t.set_index(
        ["risk_control", "risk_ratio"]).loc[(0.1, 0.5), "per_group"]
    assert t.set_index(["risk_control", "risk_ratio"]).loc[(0.1, 0.5), "per_group"] > t.set_index(
        ["risk_control", "risk_ratio"]).loc[(0.3, 0.5), "per_group"]
    for bad in [dict(risk_control=0.0, risk_ratio=0.5), dict(risk_control=0.2, risk_ratio=1.0),
                dict(risk_control=0.6, risk_ratio=2.0)]:
        with pytest.raises(ValueError):
            risk_study_size(**bad)
