"""Person-mean centring after lagging, and the within-between mixed model on planted effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from soleus_analysis.models.mixed import fit_mixed
from soleus_analysis.models.within_between import fit_within_between
from soleus_analysis.panel import add_lags, analysis_terms
from tests.panel_generator import make_panel

Y, X = "easy_pace_s_per_km", "soleus_sets"


def test_lags_are_looked_up_by_date_not_position():
    weeks = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-22", "2024-01-29"])
    d = pd.DataFrame({"athlete_id": "a", "week_start": weeks, "x": [1.0, 2.0, 3.0, 4.0]})
    out = add_lags(d, ["x"], [1, 2])
    # week 3 (Jan 22) has no row for Jan 15: lag1 missing, lag2 = Jan 8
    assert np.isnan(out["x_lag1"].iloc[2])
    np.testing.assert_array_equal(out["x_lag2"], [np.nan, np.nan, 2.0, np.nan])
    assert out["x_lag1"].tolist()[3] == 3.0


def test_centring_after_lagging_over_the_analysis_window():
    d = pd.DataFrame(
        {
            "athlete_id": ["a"] * 5 + ["b"] * 3,
            "week": [0, 1, 2, 3, 4, 0, 1, 2],
            "x": [10.0, 0.0, 20.0, 30.0, 40.0, 5.0, 5.0, 8.0],
            "y": [1.0, 2.0, np.nan, 4.0, 5.0, 1.0, 1.0, 1.0],
        }
    )
    out = analysis_terms(d, ["x"], group="athlete_id", time="week", lags=[1], required=["y"])
    # window for a: weeks 1, 3, 4 (week 0 has no lag, week 2 no outcome)
    assert out["in_window"].tolist() == [False, True, False, True, True, False, True, True]
    a = out.loc[out["athlete_id"] == "a"]
    assert a["x_between"].iloc[0] == pytest.approx((0 + 30 + 40) / 3)
    assert a["x_lag1_between"].iloc[0] == pytest.approx((10 + 20 + 30) / 3)
    assert a["x_within"].iloc[3] == pytest.approx(30 - 70 / 3)
    b = out.loc[out["athlete_id"] == "b"]
    assert b["x_between"].iloc[0] == pytest.approx(6.5)


def test_duplicate_weeks_are_refused_with_a_clear_message():
    d = pd.DataFrame({"athlete_id": ["a", "a"], "week": [1, 1], "x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="more than one row for athlete_id='a'"):
        add_lags(d, ["x"], [1], time="week")


@pytest.fixture(scope="module")
def planted():
    return make_panel(80, 30, within_effect=-3.0, between_effect=4.0, slope_sd=1.5, rng=11)


@pytest.fixture(scope="module")
def planted_fit(planted):
    return fit_within_between(planted.panel, outcome=Y, exposure=X)


def test_recovers_the_planted_within_effect(planted, planted_fit):
    row = planted_fit.effect("within")
    assert row["ci_low"] < planted.truth["within_effect"] < row["ci_high"]
    assert abs(row["estimate"] - planted.truth["within_effect"]) < 3 * row["std_error"]
    assert row["ci_high"] < 0  # detected at 80 x 30
    assert row["per"] == "+10 soleus_sets"
    assert planted_fit.converged and planted_fit.re_structure == "full"
    assert (planted_fit.n_athletes, planted_fit.n_weeks, planted_fit.n_obs) == (80, 30, 2400)
    slope_sd = planted_fit.variance.set_index("component")["estimate"].filter(like="slope SD")
    assert slope_sd.iloc[0] == pytest.approx(1.5, rel=0.6)


def test_contextual_effect_equals_the_mundlak_coefficient(planted, planted_fit):
    # y ~ x + xbar (Mundlak) has coefficient bB - bW on xbar: the same model reparametrised.
    d = planted_fit.data.copy()
    d["x_raw"] = d["x_w"] + d["x_b"]
    period = [c for c in d.columns if c.startswith("p")]  # calendar-week effects
    assert planted_fit.period == "week" and len(period) == 29
    mundlak = fit_mixed(d, "y ~ x_raw + x_b + " + " + ".join(period), group="athlete",
                        re_formula="~x_w", inference="cr2")
    ctx = planted_fit.effect("contextual")
    assert ctx["estimate"] == pytest.approx(10 * mundlak.effect("x_b")["estimate"], rel=1e-3)
    se = mundlak.table.set_index("term").loc["x_b", "std_error"] * 10
    assert ctx["std_error"] == pytest.approx(se, rel=1e-2)
    between = planted_fit.effect("between")["estimate"]
    within = planted_fit.effect("within")["estimate"]
    assert ctx["estimate"] == pytest.approx(between - within)


def test_step_rescales_estimates_and_intervals(planted, planted_fit):
    per_set = fit_within_between(planted.panel, outcome=Y, exposure=X, step=1)
    a, b = per_set.effect("within"), planted_fit.effect("within")
    assert b["estimate"] == pytest.approx(10 * a["estimate"], rel=1e-6)
    assert b["ci_low"] == pytest.approx(10 * a["ci_low"], rel=1e-6)
    assert b["p_value"] == pytest.approx(a["p_value"], rel=1e-6, abs=1e-12)


def test_adjusting_for_a_within_confounder_removes_its_bias():
    g = make_panel(60, 26, within_effect=-2.0, covariate_effect=0.8, covariate_on_exposure=1.0,
                   slope_sd=0.5, rng=2)
    adjusted = fit_within_between(g.panel, outcome=Y, exposure=X, covariates=["run_distance_km"])
    crude = fit_within_between(g.panel, outcome=Y, exposure=X)
    truth = g.truth["within_effect"]
    bias_crude = 0.8 * 1.0 * 10  # covariate rises 1 km per extra set, 0.8 s/km per km
    assert crude.effect("within")["estimate"] == pytest.approx(truth + bias_crude, abs=1.5)
    adj = adjusted.effect("within")
    assert adj["ci_low"] < truth < adj["ci_high"]
    cov = adjusted.effect("run_distance_km_within")
    assert cov["ci_low"] < 0.8 < cov["ci_high"] and cov["per"] == "+1 run_distance_km"


def test_lagged_effects_and_missing_weeks():
    g = make_panel(80, 30, within_effect=-4.0, lag_weights=(0.5, 0.5), slope_sd=0.5,
                   missing_weeks=0.05, missing_outcome=0.05, rng=8)
    fit = fit_within_between(g.panel, outcome=Y, exposure=X, lags=[1])
    for term, truth in [("within", -2.0), ("lag1_within", -2.0)]:
        row = fit.effect(term)
        assert row["ci_low"] < truth < row["ci_high"], term
    assert fit.n_obs < len(g.panel)
    assert any("outside the analysis window" in n for n in fit.notes)


def test_random_intercept_only_and_bad_columns(planted):
    fit = fit_within_between(planted.panel, outcome=Y, exposure=X, random_slope=False)
    assert fit.re_structure == "full" and len(fit.variance) == 2
    with pytest.raises(ValueError, match="not in the data"):
        fit_within_between(planted.panel, outcome="pace", exposure=X)
    with pytest.raises(ValueError, match="step"):
        fit_within_between(planted.panel, outcome=Y, exposure=X, step=0)


def test_an_uncorrelated_fallback_keeps_the_slope_and_says_so():
    # Intercepts and slopes drawn perfectly correlated: the full random-effects matrix is
    # singular, the fit falls back to uncorrelated random effects, which keep the random slope.
    rng = np.random.default_rng(0)
    a = np.repeat(np.arange(20), 30)
    u = rng.normal(size=20)
    x = rng.normal(size=a.size)
    y = 2 * u[a] + (1 + 0.8 * u[a]) * x + rng.normal(size=a.size)
    d = pd.DataFrame({"athlete_id": a, "week": np.tile(np.arange(30), 20), "x": x, "y": y})
    fit = fit_within_between(d, outcome="y", exposure="x", time="week", step=1)
    assert fit.re_structure == "uncorrelated"
    slope_sd = fit.variance.set_index("component").iloc[1]["estimate"]
    assert slope_sd > 0.3  # the planted slope SD is 0.8
    assert not any("slope was dropped" in n for n in fit.notes)
    assert any("correlation with the random intercept is fixed at 0" in n for n in fit.notes)

def test_precomputed_panel_columns_are_recomputed_not_duplicated(planted):
    # a built panel already carries x_lag1, x_within and x_between centred over all its weeks
    base = planted.panel
    stale = base.assign(
        soleus_sets_lag1=999.0, soleus_sets_within=-999.0, soleus_sets_between=999.0,
        soleus_sets_lag1_within=1.0, in_window=False,
    )
    out = analysis_terms(stale, [X], lags=[1], required=[Y])
    fresh = analysis_terms(base, [X], lags=[1], required=[Y])
    assert not out.columns.duplicated().any()
    pd.testing.assert_frame_equal(out[fresh.columns], fresh)
    a = fit_within_between(stale, outcome=Y, exposure=X, lags=[1], random_slope=False)
    b = fit_within_between(base, outcome=Y, exposure=X, lags=[1], random_slope=False)
    pd.testing.assert_frame_equal(a.table, b.table)


@pytest.mark.parametrize("shift_days", [0, 1])
def test_lags_match_a_lookup_by_date_on_and_off_the_weekly_grid(shift_days):
    d = make_panel(12, 15, missing_weeks=0.25, rng=8).panel.sample(frac=1, random_state=2)
    # shift_days=1: one athlete's weeks start on Tuesdays (off the common grid)
    off = d["athlete_id"] == d["athlete_id"].iloc[0]
    d.loc[off, "week_start"] += pd.Timedelta(days=shift_days)
    out = add_lags(d, [X], [1, 3])
    lookup = dict(zip(zip(d["athlete_id"], d["week_start"], strict=True), d[X], strict=True))
    for lag in (1, 3):
        expected = [lookup.get((a, t - pd.Timedelta(weeks=lag)), np.nan)
                    for a, t in zip(d["athlete_id"], d["week_start"], strict=True)]
        np.testing.assert_array_equal(out[f"{X}_lag{lag}"].to_numpy(), np.asarray(expected))
    assert out[f"{X}_lag1"].notna().sum() > 50 and out[f"{X}_lag1"].isna().sum() > 12


def test_the_old_names_are_deprecated_aliases_of_the_panel_functions():
    import soleus_analysis as sol

    d = make_panel(5, 8, missing_weeks=0.2, rng=3).panel
    with pytest.warns(DeprecationWarning, match="add_lags"):
        old = sol.lagged(d, columns=[X], lags=[0, 2])
    np.testing.assert_array_equal(old[f"{X}_lag0"], d[X])
    np.testing.assert_array_equal(old[f"{X}_lag2"], add_lags(d, [X], [2])[f"{X}_lag2"])
    with pytest.warns(DeprecationWarning, match="analysis_terms"):
        old = sol.within_between_terms(d, columns=[X], lags=[1], required=[Y])
    pd.testing.assert_frame_equal(old, analysis_terms(d, [X], lags=[1], required=[Y]))
