"""GEE and fixed-effects sensitivity fits recover the planted within effect; side-by-side table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from soleus_analysis.models.sensitivity import (
    compare_estimates,
    fit_fixed_effects,
    fit_gee,
    fit_sensitivity,
)
from tests.panel_generator import make_panel

Y, X = "easy_pace_s_per_km", "soleus_sets"


@pytest.fixture(scope="module")
def serial():
    return make_panel(60, 30, within_effect=-3.0, slope_sd=1.0, ar1=0.6, rng=21)


@pytest.fixture(scope="module")
def sens(serial):
    return fit_sensitivity(serial.panel, outcome=Y, exposure=X, terms=("within", "between"))


def test_every_model_recovers_the_within_effect(serial, sens):
    within = sens.table.loc[sens.table["term"] == "within"]
    assert len(within) == 4
    assert within["converged"].all()
    truth = serial.truth["within_effect"]
    assert ((within["ci_low"] < truth) & (truth < within["ci_high"])).all(), within
    assert (within["ci_high"] < 0).all()
    # FE and AR(1)-GEE report no between term; the mixed model and exchangeable GEE do
    between = sens.table.loc[sens.table["term"] == "between", "model"].tolist()
    assert between == ["Mixed model, random intercept and slope",
                       "GEE, exchangeable working correlation"]


def test_ar1_working_correlation_detects_serial_correlation(sens):
    ar = sens.fits["GEE, AR(1) working correlation"]
    rho = float(ar.raw.model.cov_struct.dep_params)
    # true AR(1) is 0.6; centring on the athlete mean biases it down a little
    assert 0.4 < rho < 0.7
    exch = sens.fits["GEE, exchangeable working correlation"]
    assert any("correlation between two observations" in n for n in exch.notes)


def test_fixed_effects_equals_dummy_regression_with_cr1_errors(serial):
    fe = fit_fixed_effects(serial.panel, outcome=Y, exposure=X, step=1, period=None,
                           inference="cr1")
    d = serial.panel
    dummies = smf.ols(f"{Y} ~ {X} + C(athlete_id)", d).fit()
    assert fe.effect("within")["estimate"] == pytest.approx(dummies.params[X], rel=1e-8)
    # CR1 by hand: sandwich with G/(G-1) (N-1)/(N-K), K = 1 within regressor
    xd = d[X] - d.groupby("athlete_id")[X].transform("mean")
    yd = d[Y] - d.groupby("athlete_id")[Y].transform("mean")
    b = (xd * yd).sum() / (xd**2).sum()
    e = yd - b * xd
    meat = ((xd * e).groupby(d["athlete_id"]).sum() ** 2).sum()
    n, g = len(d), d["athlete_id"].nunique()
    k = 1
    se = np.sqrt(meat / (xd**2).sum() ** 2 * g / (g - 1) * (n - 1) / (n - k))
    assert fe.effect("within")["std_error"] == pytest.approx(se, rel=1e-8)
    # t with G - 1 df
    row = fe.effect("within")
    from scipy import stats

    half = stats.t.ppf(0.975, g - 1) * row["std_error"]
    assert row["ci_high"] - row["estimate"] == pytest.approx(half)


def test_categorical_covariate_in_gee_and_fe():
    g = make_panel(30, 20, rng=4)
    p = g.panel.assign(season=np.where(g.panel["week"] < 10, "base", "build"))
    fe = fit_fixed_effects(p, outcome=Y, exposure=X, covariates=["season"], period=None)
    assert "season[build]" in set(fe.table["term"])
    ex = fit_gee(p, outcome=Y, exposure=X, covariates=["season"], period=None)
    assert "season[build]" in set(ex.table["term"])
    # with calendar-week effects (the default) the season dummy is collinear: dropped, named
    for fit in (fit_fixed_effects(p, outcome=Y, exposure=X, covariates=["season"]),
                fit_gee(p, outcome=Y, exposure=X, covariates=["season"])):
        assert "season[build]" not in set(fit.table["term"]) and fit.period == "week"
        assert any("Covariate(s) ['season'] dropped" in n for n in fit.notes)
    with pytest.raises(ValueError, match="categorical"):
        fit_gee(p, outcome=Y, exposure=X, covariates=["season"], cov_struct="ar1")
    with pytest.raises(ValueError, match="cov_struct"):
        fit_gee(p, outcome=Y, exposure=X, cov_struct="ar2")


def test_compare_estimates_skips_terms_a_fit_lacks(sens):
    fits = list(sens.fits.values())
    table = compare_estimates(*fits, terms=("between", "contextual"))
    assert set(table["model"]) == {"Mixed model, random intercept and slope",
                                   "GEE, exchangeable working correlation"}
    assert list(table.columns) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                   "p_value", "per", "df", "model", "converged", "n_obs"]
    empty = compare_estimates(*fits, terms=("nothing",))
    assert empty.empty and isinstance(empty, pd.DataFrame)


def test_sums_of_terms_are_added_per_model_with_their_covariance():
    g = make_panel(40, 24, within_effect=-4.0, lag_weights=(0.6, 0.4), slope_sd=0.5, rng=9)
    terms = ["within", "lag1_within"]
    res = fit_sensitivity(g.panel, outcome=Y, exposure=X, lags=[1], terms=("within",),
                          sums={"cumulative": terms, "missing": ["within", "lag7_within"]})
    cum = res.table.loc[res.table["term"] == "cumulative"].set_index("model")
    assert len(cum) == 4 and "missing" not in set(res.table["term"])
    for model, fit in res.fits.items():
        table = fit.table.set_index("term")
        assert cum.loc[model, "estimate"] == pytest.approx(table.loc[terms, "estimate"].sum())
        # the SE uses the covariance of the two terms, not the sum of their variances
        independent = np.sqrt((table.loc[terms, "std_error"] ** 2).sum())
        assert cum.loc[model, "std_error"] != pytest.approx(independent, rel=1e-3)
        assert cum.loc[model, "ci_low"] < -4.0 < cum.loc[model, "ci_high"]
