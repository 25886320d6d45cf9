"""Simulation-based power: reproducible whatever n_jobs, calibrated at zero effect, monotone,
reported in the result protocol with its Monte-Carlo error, and honest on the traps of real data."""

from __future__ import annotations

import importlib.util

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.models.study_power import power, power_curve, wilson_interval
from soleus_analysis.models.result import TABLE_COLUMNS, ModelResult
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
    # clearly more power from 40 athletes than from 10: their Wilson intervals do not overlap
    assert curve["ci_high"].iloc[0] < curve["ci_low"].iloc[-1]
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
    from soleus_analysis.models.study_power import risk_study_size

    row = risk_study_size(p0, rr).iloc[0]
    rng = np.random.default_rng(7)
    # MC SD of a power near 0.8 with 20,000 trials is 0.003; the arcsine approximation is close
    assert abs(_z_test_power(int(row["per_group"]), p0, p0 * rr, 0.05, rng) - 0.8) < 0.03
    # and a study a third smaller is clearly underpowered
    assert _z_test_power(int(row["per_group"] * 2 / 3), p0, p0 * rr, 0.05, rng) < 0.7
    assert row["total"] == 2 * row["per_group"]
    assert row["injured_expected"] == pytest.approx(row["per_group"] * p0 * (1 + rr))


def test_risk_study_size_grid_and_errors():
    from soleus_analysis.models.study_power import risk_study_size

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


# --- Result protocol, sentence, fit options -----------------------------------------------------


def test_power_result_follows_the_result_protocol():
    res = power(20, 12, -2.0, n_sims=40, rng=8, n_jobs=1, **SIM)
    assert isinstance(res, ModelResult)
    assert tuple(res.table.columns) == TABLE_COLUMNS
    row = res.effect("power")
    assert row["estimate"] == res.power and row["std_error"] == res.mc_se
    assert row["ci_low"] <= res.power <= row["ci_high"]
    assert (row["ci_low"], row["ci_high"]) == wilson_interval(res.power * 40, 40)
    cov = res.effect("coverage")
    assert cov["estimate"] == res.coverage
    assert cov["std_error"] == pytest.approx(np.sqrt(res.coverage * (1 - res.coverage) / 40))
    mean = res.effect("mean_estimate")
    assert mean["std_error"] == pytest.approx(res.estimates["estimate"].std() / np.sqrt(40))
    assert res.n_obs == res.n_converged == 40 and res.raw is res.estimates
    assert res.summary.loc[0, "power"] == res.power
    with pytest.raises(KeyError, match="power"):
        res.effect("within")
    notes = " ".join(res.notes)
    assert "20 athletes followed for 12 weeks" in notes
    assert "simulate_for_power" in notes  # a custom simulator is named, not described
    assert "too few to state a power" in notes  # 40 < 500 studies
    assert "cluster-robust" in notes.lower()  # the model's own notes on its inference


def test_wilson_interval_is_the_score_interval():
    # Wilson (1927): p = 0 still has a non-degenerate upper bound, unlike +- 1.96 SE
    low, high = wilson_interval(0, 100)
    z = 1.959963984540054
    assert low == 0 and high == pytest.approx(z**2 / (100 + z**2))
    low, high = wilson_interval(50, 100)
    assert (low + high) / 2 == pytest.approx(0.5) and high - low < 2 * 1.96 * 0.05
    assert np.isnan(wilson_interval(0, 0)[0])


def test_sentence_carries_the_monte_carlo_error():
    res = power(20, 12, -2.0, n_sims=40, rng=8, n_jobs=1, **SIM)
    text = res.sentence()
    assert text.startswith(f"{100 * res.power:.1f}% power (MC SE {100 * res.mc_se:.1f}%, "
                           "40 simulated studies)")
    assert "-2 easy_pace_s_per_km per +10 soleus_sets" in text and "20 athletes x 12" in text
    assert "too few to state a power" in text
    null = power(20, 12, 0.0, n_sims=20, rng=8, n_jobs=1, **SIM)
    assert null.sentence().startswith("False-positive rate")
    assert "false-positive rate" in null.notes[0]
    sure = power(20, 12, -20.0, n_sims=20, rng=8, n_jobs=1, **SIM)
    assert sure.power == 1 and "100.0% power (95% CI 83.9% to 100.0%, 20 simulated" in (
        sure.sentence())
    # 500 studies (the default) make a statement; a failed fit is left out and said so
    est = pd.DataFrame({"estimate": [-2.0] * 500, "std_error": 1.0, "ci_low": -4.0,
                        "ci_high": 0.0, "p_value": [0.01] * 400 + [0.5] * 99 + [np.nan],
                        "converged": [True] * 499 + [False]})
    enough = sol.PowerResult(power=400 / 499, mc_se=0.0179, n_sims=500, n_converged=499,
                             n_athletes=40, n_weeks=26, planted_effect=-2.0, alpha=0.05,
                             estimator="fixed_effects", target="within", mean_estimate=-2.0,
                             coverage=0.95, elapsed_s=1.0, estimates=est)
    text = enough.sentence()
    assert text.startswith("80.2% power (MC SE 1.8%, 499 simulated studies)")
    assert "too few" not in text and "1 of 500 fits failed" in text


def test_fit_options_pass_through_to_the_model():
    base = dict(n_sims=8, rng=4, n_jobs=1, **SIM)
    exch = power(20, 12, -2.0, estimator="gee", **base)
    ar1 = power(20, 12, -2.0, estimator="gee", fit_options={"cov_struct": "ar1"}, **base)
    assert exch.n_converged == ar1.n_converged == 8
    assert not np.allclose(exch.estimates["estimate"], ar1.estimates["estimate"])
    assert ar1.fit_options == {"cov_struct": "ar1"} and "AR(1)" in " ".join(ar1.notes)
    # an option the model does not take, or one power sets itself, fails before simulating
    with pytest.raises(ValueError, match="not options of fit_fixed_effects"):
        power(20, 12, -2.0, fit_options={"no_such_option": True}, **base)
    with pytest.raises(ValueError, match="may not set"):
        power(20, 12, -2.0, fit_options={"level": 0.9}, **base)
    with pytest.raises(TypeError, match="dict"):
        power(20, 12, -2.0, fit_options=["cov_struct"], **base)
    with pytest.raises(ValueError, match="not options"):
        power_curve(20, 12, -2.0, fit_options={"no_such_option": 1}, **base)
    curve = power_curve(20, 12, -2.0, estimator="gee", fit_options={"cov_struct": "ar1"}, **base)
    assert curve.loc[0, "power"] == ar1.power


def test_default_power_simulates_the_traps_and_says_so():
    res = power(12, 10, -4.0, n_sims=4, rng=3, n_jobs=1)
    notes = " ".join(res.notes)
    assert "Season trend" in notes and "Weekly AR(1)" in notes
    assert "Between-athlete confounding" in notes and "Staggered programme starts" in notes
    off = power(12, 10, -4.0, n_sims=4, rng=3, n_jobs=1,
                effects={"season_pace_s_per_km_per_week": 0,
                         "season_pace_sd_s_per_km_per_week": 0},
                design=sol.Design(uptake_log_odds_per_sd_fitness=0,
                                  adherence_log_odds_per_sd_fitness=0))
    off_notes = " ".join(off.notes)
    assert "No season trend" in off_notes and "randomised" in off_notes
    assert not res.estimates["estimate"].equals(off.estimates["estimate"])
    two = power(12, 10, -4.0, n_sims=4, rng=3, n_jobs=2)  # the worker pool gives the same studies
    pd.testing.assert_frame_equal(two.estimates, res.estimates)


@pytest.mark.slow
@pytest.mark.parametrize("lags", [(), (1, 2, 3, 4)], ids=["same-week", "cumulative-0-4"])
def test_a_null_effect_is_rejected_at_about_alpha_on_the_default_simulator(lags):
    # 500 simulated studies of 20 athletes x 12 weeks with the simulator's traps (season trend,
    # staggered starts, AR(1) weeks, fitness-confounded uptake) and the model's default
    # inference. A calibrated test rejects in alpha +- 3 MC SE = 5% +- 2.9 points.
    res = sol.power(20, 12, 0.0, n_sims=500, rng=2025, n_jobs=2, lags=lags)
    assert res.n_converged >= 490
    mc_se = np.sqrt(0.05 * 0.95 / res.n_converged)
    assert abs(res.power - 0.05) <= 3 * mc_se, res.sentence()
