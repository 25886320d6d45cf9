"""Fitness-fatigue model: recovery of known parameters, identification, AR(1) bootstrap coverage,
determinism.

The generators here are written in the test (not the package's simulator): daily running load
and soleus dose, performance from known Banister parameters plus independent or AR(1) noise,
tested on a share of the days.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soleus_analysis.models.banister import banister_predict, fit_banister

TRUTH = dict(p0=300.0, k_fitness=[0.08, 0.5], k_fatigue=[0.25, 1.2], tau_fitness=40.0,
             tau_fatigue=8.0)


def _series(seed: int, n: int = 365, noise: float = 1.5, tested: float = 0.35,
            phi: float = 0.0) -> pd.DataFrame:
    """Daily running load and soleus dose, performance from known Banister parameters, with
    noise of SD ``noise`` that is AR(1) with coefficient ``phi`` from day to day."""
    rng = np.random.default_rng(seed)
    run = np.where(rng.random(n) < 0.7, rng.gamma(4, 15, n), 0.0) * (
        1 + 0.5 * np.sin(np.arange(n) / 40))
    sol = np.where(rng.random(n) < 0.3, rng.integers(2, 12, n), 0).astype(float)
    e = np.empty(n)
    e[0] = rng.normal(0, noise)
    for t in range(1, n):
        e[t] = phi * e[t - 1] + rng.normal(0, noise * np.sqrt(1 - phi**2))
    perf = banister_predict(np.column_stack([run, sol]), **TRUTH) + e
    return pd.DataFrame({
        "date": pd.date_range("2024-01-01", periods=n),
        "run_load": run,
        "soleus_dose": sol,
        "perf": np.where(rng.random(n) < tested, perf, np.nan),
    })


TRUE_PARAMS = {
    "p0": 300.0, "k_fitness[run_load]": 0.08, "k_fatigue[run_load]": 0.25,
    "k_fitness[soleus_dose]": 0.5, "k_fatigue[soleus_dose]": 1.2,
    "tau_fitness": 40.0, "tau_fatigue": 8.0,
}


@pytest.fixture(scope="module")
def fitted():
    return fit_banister(_series(1), performance="perf", time="date", n_boot=100, rng=7)


def test_recovers_known_parameters_within_their_intervals():
    # 8 independent series; each 95% interval should cover its true value in most of them.
    # Bound: P(at most 5 of 8 covered | coverage 0.95) = 0.006 per parameter, so requiring
    # >= 6 of 8 fails a correct method rarely and a biased or overconfident one quickly.
    covered = pd.Series(0, index=list(TRUE_PARAMS))
    estimates = []
    for seed in range(8):
        t = fit_banister(_series(seed), performance="perf", time="date", ci="wald",
                         n_folds=0).table
        t = t.set_index("parameter")
        truth = pd.Series(TRUE_PARAMS)
        covered += ((t["ci_low"] < truth) & (truth < t["ci_high"])).astype(int)
        estimates.append(t["estimate"])
    assert (covered >= 6).all(), covered
    mean = pd.concat(estimates, axis=1).mean(axis=1)
    for name, value in TRUE_PARAMS.items():
        assert mean[name] == pytest.approx(value, rel=0.05), name


def test_bootstrap_intervals_agree_with_wald_intervals(fitted):
    wald = fit_banister(_series(1), performance="perf", time="date", ci="wald").table
    boot = fitted.table
    width_b = boot["ci_high"] - boot["ci_low"]
    width_w = wald["ci_high"] - wald["ci_low"]
    ratio = width_b / width_w
    assert ((ratio > 0.5) & (ratio < 2.0)).all(), ratio
    assert ((boot["ci_low"] <= boot["estimate"]) & (boot["estimate"] <= boot["ci_high"])).all()
    t = boot.set_index("parameter")
    assert t.loc["tau_fitness", "estimate"] > t.loc["tau_fatigue", "estimate"]


def test_reports_in_and_out_of_sample_error(fitted):
    fit = fitted.fit.iloc[0]
    assert fit["n_tests"] > 100 and fit["n_steps"] == 365
    assert 1.2 < fit["rmse_in"] < 1.8  # the noise SD is 1.5
    assert fit["rmse_in"] <= fit["rmse_out"] < 3.0
    assert fit["n_out"] > 30 and fit["converged"]
    assert "ill-conditioned" in fitted.caveat
    pred = fitted.predictions
    assert len(pred) == 365
    ok = pred["observed"].notna()
    assert np.sqrt(((pred["observed"] - pred["predicted"])[ok] ** 2).mean()) == pytest.approx(
        fit["rmse_in"], rel=1e-6)


def test_bootstrap_is_reproducible_with_rng_and_wald_is_available():
    d = _series(2, n=200, tested=0.5)
    a = fit_banister(d, performance="perf", time="date", n_boot=20, rng=3)
    b = fit_banister(d, performance="perf", time="date", n_boot=20, rng=3)
    pd.testing.assert_frame_equal(a.table, b.table)
    w = fit_banister(d, performance="perf", time="date", ci="wald")
    assert (w.table["ci_low"] < w.table["estimate"]).all()
    assert (w.table["estimate"] < w.table["ci_high"]).all()


def test_per_athlete_fits_lower_is_better_and_weekly_numeric_time():
    rng = np.random.default_rng(4)
    frames = []
    for a in ("A", "B"):
        n = 80
        load = rng.gamma(3, 10, n)
        pace = banister_predict(load[:, None], p0=330, k_fitness=[0.2], k_fatigue=[0.5],
                                tau_fitness=6.0, tau_fatigue=1.5, higher_is_better=False)
        frames.append(pd.DataFrame({"athlete_id": a, "week": np.arange(n), "km": load,
                                    "pace": pace + rng.normal(0, 0.5, n)}))
    d = pd.concat(frames, ignore_index=True)
    res = fit_banister(d, performance="pace", loads=["km"], time="week", group="athlete_id",
                       higher_is_better=False, ci=None)
    assert list(res.fit["athlete"]) == ["A", "B"]
    taus = res.table.loc[res.table["parameter"] == "tau_fitness", "estimate"]
    assert np.allclose(taus, 6.0, rtol=0.35)
    assert res.table["ci_low"].isna().all()


def test_input_errors_and_too_few_tests():
    d = _series(5, n=60)
    bad = d.assign(run_load=d["run_load"].where(d.index != 10))
    with pytest.raises(ValueError, match="missing load"):
        fit_banister(bad, performance="perf", time="date")
    with pytest.raises(ValueError, match="not in the data"):
        fit_banister(d, performance="perf", loads=["km"], time="date")
    few = d.assign(perf=d["perf"].where(d.index < 12))
    res = fit_banister(few, performance="perf", time="date", ci=None)
    assert res.fit.empty and "not fitted" in res.notes[0]


def test_out_of_sample_error_beats_the_naive_forecasts_when_the_model_holds(fitted):
    fit = fitted.fit.iloc[0]
    assert fit["rmse_out"] < 0.5 * fit["rmse_naive_mean"]
    assert fit["rmse_out"] < 0.5 * fit["rmse_naive_last"]


def test_naive_forecasts_are_the_last_value_and_the_training_mean():
    # no load effect: performance 10 in the first half, 16 in the second; one test block
    n = 40
    d = pd.DataFrame({"day": np.arange(n), "load": np.where(np.arange(n) % 3 == 0, 5.0, 0.0),
                      "perf": np.r_[np.full(n // 2, 10.0), np.full(n // 2, 16.0)]})
    d.loc[n // 2 - 1, "perf"] = 12.0  # last training value differs from the training mean
    res = fit_banister(d, performance="perf", loads=["load"], time="day", ci=None, n_folds=1)
    fit = res.fit.iloc[0]
    assert fit["n_out"] == n // 2
    assert fit["rmse_naive_last"] == pytest.approx(4.0)
    assert fit["rmse_naive_mean"] == pytest.approx(16 - (19 * 10 + 12) / 20)


def test_steady_state_effect_of_a_sustained_load(fitted):
    # the effect of +10 soleus doses a day kept up for good, from the true parameters
    steps = 3000
    sustained = np.column_stack([np.zeros(steps), np.full(steps, 10.0)])
    true_effect = banister_predict(sustained, **TRUTH)[-1] - TRUTH["p0"]
    ss = fitted.steady_state("soleus_dose", 10)
    row = ss.iloc[0]
    assert row["ci_low"] < true_effect < row["ci_high"]
    est = fitted.table.set_index("parameter")["estimate"]
    fitted_effect = banister_predict(
        sustained, p0=est["p0"], k_fitness=[est["k_fitness[run_load]"],
                                            est["k_fitness[soleus_dose]"]],
        k_fatigue=[est["k_fatigue[run_load]"], est["k_fatigue[soleus_dose]"]],
        tau_fitness=est["tau_fitness"], tau_fatigue=est["tau_fatigue"])[-1] - est["p0"]
    assert row["estimate"] == pytest.approx(fitted_effect, rel=1e-6)
    # the draws are stored, one row per bootstrap refit, and give the interval
    assert len(fitted.draws) == 100 and set(TRUE_PARAMS) <= set(fitted.draws.columns)
    with pytest.raises(ValueError, match="not fitted"):
        fitted.steady_state("km")


def test_time_constants_stay_within_their_bounds():
    d = _series(3, n=150, tested=0.5)
    res = fit_banister(d, performance="perf", time="date", tau_bounds=(2.0, 20.0), n_boot=30,
                       rng=1)
    taus = res.draws[["tau_fitness", "tau_fatigue"]]
    assert (taus >= 2.0 - 1e-9).all().all() and (taus <= 20.0 + 1e-9).all().all()
    assert (res.draws["tau_fitness"] >= 1.01 * res.draws["tau_fatigue"] - 1e-9).all()


STEADY_TRUE = float(banister_predict(np.column_stack([np.zeros(3000), np.full(3000, 10.0)]),
                                     **TRUTH)[-1] - TRUTH["p0"])


def coverage(seeds, n_boot: int, **kw) -> tuple[pd.Series, float]:
    """Share of series whose interval covers each true parameter and the steady-state effect."""
    hits = []
    phis = []
    for seed in seeds:
        res = fit_banister(_series(seed, tested=0.5, phi=0.7), performance="perf", time="date",
                           n_boot=n_boot, n_folds=0, rng=seed, **kw)
        assert res.fit["identified"].iloc[0]
        t = res.table.set_index("parameter")
        truth = pd.Series(TRUE_PARAMS)
        row = ((t["ci_low"] <= truth) & (truth <= t["ci_high"])).to_dict()
        ss = res.steady_state("soleus_dose", 10).iloc[0]
        row["steady_state"] = ss["ci_low"] <= STEADY_TRUE <= ss["ci_high"]
        hits.append(row)
        phis.append(res.fit["error_ar1"].iloc[0])
    return pd.DataFrame(hits).mean(), float(np.nanmean(phis))


def test_bootstrap_covers_under_ar1_noise():
    # 16 daily series (365 days, half tested), AR(1) noise phi 0.7. With 8 intervals per series
    # (128 in all, correlated within a series), pooled coverage below 0.85 would be far from
    # the 87-96% the slow studies measured; the iid residual bootstrap gave 0.72 there.
    cov, phi = coverage(range(100, 116), n_boot=60)
    assert cov.mean() >= 0.85, cov
    assert (cov >= 0.7).all(), cov
    assert 0.6 < phi < 0.8  # the fit-corrected AR(1) coefficient; residuals alone give ~0.5


@pytest.mark.slow
def test_bootstrap_coverage_study():
    # 200 series x 200 refits; MC SE of one coverage near 92% is 1.9 points. Measured: seeds
    # 0-149 (150 refits) 92.0-96.0%; seeds 1000-1199 (this test) 86.5-93.5% (p0 93.5, run-load
    # gains 86.5 and 90.0, soleus gains 93.5, tau_fitness 91.0, tau_fatigue 88.5, steady state
    # 90.5). So the default reaches about 91%, not 95%: better than blocks of residuals (82-89%)
    # and the iid residual bootstrap (67-77%), but still short. This is a regression guard at
    # the measured level, not a claim of nominal coverage (docs/models.md says so).
    cov, _ = coverage(range(1000, 1200), n_boot=200)
    assert (cov >= 0.83).all(), cov
    assert cov.mean() >= 0.88, cov
    iid, _ = coverage(range(1000, 1100), n_boot=200, resample="blocks", block_length=1)
    assert iid.mean() < 0.85, iid


def test_same_data_give_the_same_estimates_to_many_digits():
    d = _series(6, tested=0.5)
    base = fit_banister(d, performance="perf", time="date", ci=None, n_folds=0)
    assert base.fit["identified"].iloc[0]
    rng = np.random.default_rng(0)
    for _ in range(3):
        wiggled = d.assign(perf=d["perf"] * (1 + 1e-12 * rng.standard_normal(len(d))),
                           run_load=d["run_load"] * (1 + 1e-12 * rng.standard_normal(len(d))))
        res = fit_banister(wiggled, performance="perf", time="date", ci=None, n_folds=0)
        rel = np.abs(res.table["estimate"] / base.table["estimate"] - 1)
        assert rel.max() < 1e-6, rel


def test_fits_that_are_not_identified_are_reported_as_such():
    # (a) the fatigue time constant runs into its lower bound: true tau_fatigue 8 days, bound 20
    d = _series(7)
    res = fit_banister(d, performance="perf", time="date", tau_bounds=(20.0, 100.0), ci=None,
                       n_folds=0)
    fit = res.fit.iloc[0]
    assert not fit["identified"] and "bound" in fit["identification"]
    assert res.table["estimate"].isna().all() and not res.table["identified"].any()
    assert any("not identified" in n for n in res.notes)
    assert res.raw["estimates"][None]["tau_fatigue"] == pytest.approx(20.0, rel=1e-3)
    assert np.isnan(res.steady_state("soleus_dose", 10)["estimate"].iloc[0])
    # (b) loads without any effect, 8 weeks of noisy weekly tests: nothing to identify
    rng = np.random.default_rng(8)
    weekly = pd.DataFrame({"week": np.arange(30), "km": rng.gamma(3, 10, 30),
                           "perf": 300 + rng.normal(0, 5, 30)})
    res = fit_banister(weekly, performance="perf", loads=["km"], time="week",
                       tau_bounds=(0.5, 26.0), n_boot=20, rng=1)
    assert not res.fit["identified"].iloc[0]
    assert res.draws.empty  # no bootstrap for a fit that is not identified
    # (c) a well-determined daily series is identified
    ok = fit_banister(_series(1), performance="perf", time="date", ci=None, n_folds=0)
    assert ok.fit["identified"].iloc[0] and ok.fit["identification"].iloc[0] == "ok"


def test_result_protocol(fitted):
    t = fitted.table
    assert list(t.columns[:7]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                   "p_value", "per"]
    assert fitted.effect("tau_fitness")["estimate"] == t.loc[
        t["parameter"] == "tau_fitness", "estimate"].iloc[0]
    assert fitted.n_athletes == 1 and fitted.n_obs == fitted.fit["n_tests"].iloc[0]
    assert (t["std_error"] > 0).all()
    with pytest.raises(ValueError, match="resample"):
        fit_banister(_series(1, n=60), performance="perf", time="date", resample="iid")


def test_fixed_time_constants_recover_the_gains_and_report_the_taus_as_fixed():
    # With the true time constants fixed the model is linear: gains recovered, taus shown as
    # the fixed values with no interval, and the Wald intervals cover the true gains.
    covered = pd.Series(0, index=[k for k in TRUE_PARAMS if k.startswith(("p0", "k_"))])
    for seed in range(8):
        t = fit_banister(_series(seed), performance="perf", time="date", ci="wald", n_folds=0,
                         taus=(TRUE_PARAMS["tau_fitness"], TRUE_PARAMS["tau_fatigue"])).table
        t = t.set_index("parameter")
        assert t.loc["tau_fitness", "estimate"] == 40.0
        assert t.loc["tau_fatigue", "estimate"] == 8.0
        assert t.loc[["tau_fitness", "tau_fatigue"], ["ci_low", "ci_high"]].isna().all().all()
        truth = pd.Series(TRUE_PARAMS)[covered.index]
        covered += ((t.loc[covered.index, "ci_low"] < truth)
                    & (truth < t.loc[covered.index, "ci_high"])).astype(int)
    assert (covered >= 6).all(), covered


def test_fixed_time_constants_are_deterministic_and_flag_a_constant_load():
    data = _series(3)
    a = fit_banister(data, performance="perf", time="date", taus=(30, 5), n_boot=30, rng=1)
    b = fit_banister(data, performance="perf", time="date", taus=(30, 5), n_boot=30, rng=1)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.fit["identified"].all()
    assert "taus" in a.raw and a.raw["taus"] == (30.0, 5.0)
    flat = data.assign(soleus_dose=0.0)
    c = fit_banister(flat, performance="perf", time="date", taus=(30, 5), ci=None, n_folds=0)
    assert not c.fit["identified"].iloc[0]
    assert "soleus_dose does not vary" in c.fit["identification"].iloc[0]
    assert c.table["estimate"].isna().all()


@pytest.mark.parametrize("taus", [(5, 30), (5, 5), (0, -1)])
def test_fixed_time_constants_must_be_ordered_and_positive(taus):
    with pytest.raises(ValueError, match="tau_fitness > tau_fatigue > 0"):
        fit_banister(_series(1), performance="perf", time="date", taus=taus, ci=None)
