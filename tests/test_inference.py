"""Small-sample inference against R (lmerTest, clubSandwich), calendar time, degenerate data.

Reference numbers: ``tests/data/reference/inference_R.txt``, printed by
``tests/data/reference/r/inference.R`` (R 4.2.2, lme4 1.1-31, lmerTest 3.1-3, clubSandwich 0.5.8);
the tests never need R.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.models.robust import ClusterRobust
from tests.panel_generator import make_staggered_panel

REF = Path(__file__).parent / "data" / "reference"
Y, X = "easy_pace_s_per_km", "soleus_sets"


def _r_numbers() -> dict[tuple[str, str], tuple[float, float, float]]:
    out = {}
    for line in (REF / "inference_R.txt").read_text().splitlines():
        m = re.match(r"(\S+) (\S+) est (\S+) se (\S+) df (\S+)$", line)
        if m:
            out[(m[1], m[2])] = (float(m[3]), float(m[4]), float(m[5]))
    return out


R = _r_numbers()


@pytest.fixture(scope="module")
def sleep() -> pd.DataFrame:
    return pd.read_csv(REF / "sleepstudy.csv")


@pytest.fixture(scope="module")
def staggered() -> pd.DataFrame:
    return pd.read_csv(REF / "staggered_panel.csv")


def _close(row, ref, *, rel_se=1e-5, abs_df=1e-3, est_se=1e-4):
    # estimates within est_se standard errors (optimisers stop at slightly different points)
    est, se, df = ref
    assert abs(row["estimate"] - est) <= est_se * se
    assert row["std_error"] == pytest.approx(se, rel=rel_se)
    assert row["df"] == pytest.approx(df, abs=abs_df, rel=1e-4)


def test_lmertest_satterthwaite_on_sleepstudy(sleep):
    fit = sol.fit_mixed(sleep, "Reaction ~ Days", group="Subject", re_formula="~Days")
    t = fit.table.set_index("term")
    # lmerTest: df 16.99973 and 16.99998, t 36.838090 and 6.771481 (numDeriv's Hessian; ours
    # is a Richardson-extrapolated central difference, so the 4th significant digit of df)
    _close(t.loc["Intercept"], R[("sleep_lmer_satt", "(Intercept)")], abs_df=5e-4)
    _close(t.loc["Days"], R[("sleep_lmer_satt", "Days")], abs_df=5e-4)
    assert t.loc["Days", "estimate"] / t.loc["Days", "std_error"] == pytest.approx(6.771481,
                                                                                   abs=2e-5)
    # lme4's optimiser stops 0.0003 short of the REML optimum (tests/test_mixed.py), which moves
    # the intercept's SE in the 6th digit
    assert t.loc["Intercept", "estimate"] / t.loc["Intercept", "std_error"] == pytest.approx(
        36.838090, abs=5e-4)
    cr2 = sol.fit_mixed(sleep, "Reaction ~ Days", group="Subject", re_formula="~Days",
                        inference="cr2").table.set_index("term")
    _close(cr2.loc["Days"], R[("sleep_lmer_cr2", "Days")])
    kr = sol.fit_mixed(sleep, "Reaction ~ Days", group="Subject", re_formula="~Days",
                       inference="kenward-roger").table.set_index("term")
    for term, r_term in (("Intercept", "(Intercept)"), ("Days", "Days")):
        _close(kr.loc[term], R[("sleep_lmer_kr", r_term)], abs_df=1e-4)


def test_clubsandwich_cr2_fixed_effects(sleep, staggered):
    fe = sol.fit_fixed_effects(sleep, outcome="Reaction", exposure="Days", group="Subject",
                               time="Days", step=1, period=None)
    _close(fe.effect("within"), R[("sleep_fe_cr2", "Days")])
    fe = sol.fit_fixed_effects(staggered, outcome="pace_s_per_km", exposure="soleus_sets",
                               covariates=["run_km"], time="week", step=1)
    assert fe.period == "week"
    _close(fe.effect("within"), R[("stag_fe_cr2", "soleus_sets")])
    _close(fe.effect("run_km_within"), R[("stag_fe_cr2", "run_km")])


def test_mixed_model_satterthwaite_and_cr2_on_the_staggered_panel(staggered):
    d = staggered.assign(
        sets_b=lambda t: t.groupby("athlete_id")["soleus_sets"].transform("mean"),
        km_b=lambda t: t.groupby("athlete_id")["run_km"].transform("mean"),
    )
    d = d.assign(sets_w=d["soleus_sets"] - d["sets_b"], km_w=d["run_km"] - d["km_b"])
    formula = "pace_s_per_km ~ sets_w + sets_b + km_w + km_b + C(week_start)"
    for inference, tag in (("satterthwaite", "stag_ri_satt"), ("cr2", "stag_ri_cr2"),
                           ("kenward-roger", "stag_ri_kr")):
        t = sol.fit_mixed(d, formula, group="athlete_id", inference=inference).table
        t = t.set_index("term")
        for term in ("sets_w", "sets_b", "km_w", "km_b"):
            _close(t.loc[term], R[(tag, term)], rel_se=1e-4, abs_df=2e-3)
    # the package's default model (random slope, calendar weeks) = lmer (1 + sets_w | athlete)
    names = {"within": "sets_w", "between": "sets_b", "run_km_within": "km_w",
             "run_km_between": "km_b"}
    for inference, tag in (("satterthwaite", "stag_rs_satt"), ("auto", "stag_rs_cr2"),
                           ("kenward-roger", "stag_rs_kr")):
        fit = sol.fit_within_between(staggered, outcome="pace_s_per_km", exposure="soleus_sets",
                                     covariates=["run_km"], time="week", step=1,
                                     inference=inference)
        for term, r_term in names.items():
            _close(fit.effect(term), R[(tag, r_term)], rel_se=2e-4, abs_df=0.02, est_se=0.01)


def test_pmdata_mixed_model_standard_errors_equal_lme4():
    # Issue 17: the between effect's SE was 1.317 (soreness) where lme4 gives 0.681, because
    # statsmodels' cov_params inverts the joint Hessian of fixed effects and variance
    # parameters; lme4's vcov is sigma^2 (X'V^-1 X)^-1. lmerTest: soreness after a strength
    # day p = 0.0125 on 6.5 df (the z test said 0.00067).
    d = pd.read_csv(REF / "pmdata_next_morning.csv", parse_dates=["date"])
    for y in ("fatigue", "soreness"):
        fit = sol.fit_within_between(d, outcome=y, exposure="strength_yesterday", time="date",
                                     covariates=["run_km_yesterday"], step=1, period=None,
                                     inference="satterthwaite")
        for term, r_term in (("within", "sw"), ("between", "sb"),
                             ("run_km_yesterday_between", "kb")):
            _close(fit.effect(term), R[(f"pm_{y}_satt", r_term)], rel_se=2e-4, abs_df=0.02,
                   est_se=0.01)
    assert fit.effect("within")["p_value"] == pytest.approx(0.012490, abs=5e-5)
    assert any("serially correlated" in n or "little serial" in n for n in fit.notes)


def test_cr2_degrees_of_freedom_are_exact_for_a_balanced_cluster_mean():
    # y_ij = mu + e_ij, clusters of equal size: CR2 is the usual variance of the mean of G
    # cluster means, and its Satterthwaite df is G - 1.
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(7), 5)
    y = rng.normal(size=7)[g] + rng.normal(size=g.size)
    x = np.ones((g.size, 1))
    cr = ClusterRobust(x, y - y.mean(), g)
    means = pd.Series(y).groupby(g).mean()
    assert cr.se([1.0]) == pytest.approx(means.std(ddof=1) / np.sqrt(7), rel=1e-10)
    assert cr.df([1.0]) == pytest.approx(6.0, rel=1e-10)


def test_wild_cluster_bootstrap_is_seeded_and_agrees_with_cr2(staggered):
    kw = dict(outcome="pace_s_per_km", exposure="soleus_sets", covariates=["run_km"],
              time="week", step=1)
    a = sol.fit_fixed_effects(staggered, inference="wild", rng=3, n_boot=1999, **kw)
    b = sol.fit_fixed_effects(staggered, inference="wild", rng=3, n_boot=1999, **kw)
    cr2 = sol.fit_fixed_effects(staggered, **kw)
    pd.testing.assert_frame_equal(a.table, b.table)
    w, c = a.effect("within"), cr2.effect("within")
    assert w["estimate"] == c["estimate"] and np.isnan(w["df"])
    assert w["ci_low"] < 0 < w["ci_high"] and w["p_value"] > 0.5  # the true effect is 0
    # 12 athletes -> Webb weights; the interval is of the same size as CR2's
    assert 0.5 < (w["ci_high"] - w["ci_low"]) / (c["ci_high"] - c["ci_low"]) < 2
    assert any("wild cluster bootstrap" in n for n in a.notes)
    km = a.effect("run_km_within")
    assert km["p_value"] < 0.01 and km["ci_high"] < 0


def test_the_issue_example_now_covers_zero():
    # issue 17: null soleus effect, pace improving 0.4 s/km a week, staggered starts
    p = sol.simulate_panel(40, 26, effects=sol.Effects(pace_s_per_km_per_10_soleus_sets=0),
                           rng=1).panel
    p["easy_pace_s_per_km"] -= 0.4 * p["week"]
    fit = sol.fit_within_between(p, outcome=Y, exposure=X)
    row = fit.effect("within")
    assert row["ci_low"] < 0 < row["ci_high"], row
    assert fit.period == "week" and np.isfinite(row["df"]) and row["df"] < 60
    fe = sol.fit_fixed_effects(p, outcome=Y, exposure=X).effect("within")
    assert fe["ci_low"] < 0 < fe["ci_high"]
    # the old default (no calendar time, z tests) still "finds" the trend
    old = sol.fit_within_between(p, outcome=Y, exposure=X, period=None, inference="z")
    assert old.effect("within")["p_value"] < 0.01
    # a week covariate next to calendar-week effects: dropped with a note that names it
    with_week = sol.fit_within_between(p, outcome=Y, exposure=X, covariates=["week"])
    assert "week_within" not in set(with_week.table["term"])
    assert any("Covariate(s) ['week'] dropped" in n for n in with_week.notes)


def test_period_options_and_notes():
    g = make_staggered_panel(24, 16, within_effect=0.0, rng=5)
    smooth = sol.fit_fixed_effects(g.panel, outcome=Y, exposure=X, period="smooth")
    assert smooth.period == "smooth" and any("smooth season term" in n for n in smooth.notes)
    none = sol.fit_fixed_effects(g.panel, outcome=Y, exposure=X, period=None)
    assert none.period is None and any("includes any season trend" in n for n in none.notes)
    # the season trend read as a calf effect without period effects
    assert none.effect("within")["estimate"] < smooth.effect("within")["estimate"]
    with pytest.raises(ValueError, match="period must be one of"):
        sol.fit_fixed_effects(g.panel, outcome=Y, exposure=X, period="month")


def test_lockstep_exposure_is_not_adjusted_and_says_so():
    # every athlete's dose changes in the same weeks: calendar time and dose cannot be told
    # apart; "auto" leaves period effects out with a note, an explicit period is refused
    rng = np.random.default_rng(1)
    weeks = np.arange(12)
    d = pd.DataFrame({"athlete_id": np.repeat(np.arange(10), 12),
                      "week": np.tile(weeks, 10)})
    d[X] = np.repeat(rng.uniform(0, 10, 10), 12) + (d["week"] >= 6) * 5.0
    d[Y] = 330 - 0.4 * d["week"] + rng.normal(0, 3, len(d)) + np.repeat(rng.normal(0, 9, 10), 12)
    for fn in (sol.fit_within_between, sol.fit_fixed_effects, sol.fit_gee):
        fit = fn(d, outcome=Y, exposure=X, time="week")
        assert fit.period is None
        assert any("Calendar time is NOT adjusted for" in n for n in fit.notes)
        with pytest.raises(ValueError, match="cannot be separated from calendar time"):
            fn(d, outcome=Y, exposure=X, time="week", period="week")


FITS = [
    lambda d, **k: sol.fit_within_between(d, outcome=Y, exposure=X, time="week", **k),
    lambda d, **k: sol.fit_fixed_effects(d, outcome=Y, exposure=X, time="week", **k),
    lambda d, **k: sol.fit_gee(d, outcome=Y, exposure=X, time="week", **k),
    lambda d, **k: sol.fit_gee(d, outcome=Y, exposure=X, time="week", cov_struct="ar1", **k),
    lambda d, **k: sol.fit_distributed_lag(d, outcome=Y, exposure=X, time="week", max_lag=2,
                                           **k),
    lambda d, **k: sol.fit_sensitivity(d, outcome=Y, exposure=X, time="week", **k),
]


def _degenerate_cases() -> dict[str, tuple[pd.DataFrame, str]]:
    base = make_staggered_panel(8, 10, rng=2).panel
    one_athlete = base.loc[base["athlete_id"] == base["athlete_id"].iloc[0]]
    one_week = base.loc[base["week"] == 3]
    return {
        "constant exposure": (base.assign(**{X: 5.0}), "does not change within any athlete"),
        "one athlete": (one_athlete, "athlete"),
        "one week": (one_week, "does not change within any athlete|no row has"),
        "all-NaN outcome": (base.assign(**{Y: np.nan}), "no row has"),
        "duplicated rows": (pd.concat([base, base.iloc[:3]]), "duplicates"),
        "text time": (base.assign(week=base["week"].astype(str)), "must hold dates or numbers"),
        "missing column": (base.drop(columns=[X]), "not in the data"),
    }


@pytest.mark.parametrize("case", list(_degenerate_cases()))
@pytest.mark.parametrize("k", range(len(FITS)))
def test_degenerate_data_give_a_clear_error_not_a_traceback(case, k):
    data, message = _degenerate_cases()[case]
    if case == "duplicated rows" and k in (0, 1, 2, 3, 5):
        # without lags, duplicated rows are allowed (two measurements of a week)
        FITS[k](data)
        with pytest.raises(ValueError, match=message):
            FITS[k](data, lags=[1])
        return
    with pytest.raises((ValueError, TypeError), match=message):
        FITS[k](data)


def test_collinear_covariates_are_dropped_with_their_name():
    g = make_staggered_panel(20, 12, rng=3).panel
    g["sets_again"] = 2 * g[X]  # collinear with the exposure
    g["calendar"] = g["week"] * 7  # collinear with the calendar-week effects
    for fn in (sol.fit_within_between, sol.fit_fixed_effects, sol.fit_gee):
        fit = fn(g, outcome=Y, exposure=X, covariates=["sets_again", "calendar"])
        terms = set(fit.table["term"])
        assert "within" in terms and not terms & {"sets_again_within", "calendar_within"}
        assert any("'sets_again'" in n and "'calendar'" in n for n in fit.notes), fit.notes


def test_cumulative_effect_has_its_own_degrees_of_freedom():
    g = make_staggered_panel(20, 16, lag_weights=(0.5, 0.5), rng=4).panel
    fit = sol.fit_fixed_effects(g, outcome=Y, exposure=X, lags=[1])
    cum = sol.combine_effects(fit, ["within", "lag1_within"])
    dfs = fit.table.set_index("term").loc[["within", "lag1_within"], "df"]
    assert 1 < cum["df"] < 19 and cum["df"] not in set(dfs)
    assert cum["ci_low"] < cum["estimate"] < cum["ci_high"]


def test_null_rejection_and_coverage_in_a_staggered_design():
    # 40 cohorts of 20 athletes x 12 weeks, season trend, staggered starts, AR(1) 0.5: binomial
    # SD of a rate near 0.05 over 40 cohorts is 0.034, so a calibrated test rejects at most
    # 0.05 + 3 x 0.034 = 0.15; coverage of a planted effect at least 0.95 - 3 x 0.034 = 0.85.
    from tests.recovery_study import Scenario, run_recovery, summarise

    models = ("mixed random slope", "fixed effects, cluster-robust")
    scenarios = [Scenario("null", effect=0.0, n_athletes=20, n_weeks=12, slope_sd=1.0,
                          ar1=0.5, design="staggered", models=models),
                 Scenario("effect", effect=-3.0, n_athletes=20, n_weeks=12, slope_sd=1.0,
                          ar1=0.5, design="staggered", models=models)]
    summary = summarise(run_recovery(scenarios, 40, rng=8, n_jobs=1)).set_index(
        ["scenario", "model"])
    for model in models:
        null, eff = summary.loc[("null", model)], summary.loc[("effect", model)]
        assert null["reject_rate"] <= 0.15, null
        assert eff["coverage"] >= 0.85, eff
        assert abs(eff["bias"]) <= 3 * eff["bias_mc_se"], eff
        assert null["converged"] == 1.0


@pytest.mark.parametrize("fn", [sol.fit_within_between, sol.fit_gee])
def test_wild_bootstrap_of_mixed_and_gee_fits(staggered, fn):
    fit = fn(staggered, outcome="pace_s_per_km", exposure="soleus_sets", time="week", step=1,
             inference="wild", n_boot=999, rng=2)
    row = fit.effect("within")
    assert fit.inference == "wild" and np.isnan(row["df"])
    assert row["ci_low"] < row["estimate"] < row["ci_high"] and 0 <= row["p_value"] <= 1
    assert row["ci_low"] < 0 < row["ci_high"]  # no soleus effect in this panel
    assert np.isfinite(fit.effect("between")["df"])  # other terms keep CR2
