"""Distributed-lag model: lag bases, recovery of a planted lag curve, equivalence checks."""

from __future__ import annotations

import numpy as np
import pytest

from soleus_analysis.models.lags import fit_distributed_lag, lag_basis
from soleus_analysis.models.within_between import fit_within_between
from tests.panel_generator import make_panel

Y, X = "easy_pace_s_per_km", "soleus_sets"
WEIGHTS = (0.4, 0.3, 0.2, 0.1)


@pytest.fixture(scope="module")
def lag_panel():
    return make_panel(80, 40, within_effect=-4.0, slope_sd=0.5, lag_weights=WEIGHTS,
                      missing_weeks=0.03, rng=5)


def test_lag_bases_span_what_they_should():
    lags = np.arange(7.0)
    poly = lag_basis(6, basis="poly", df=3).to_numpy()
    vander = np.vander(lags, 3, increasing=True)
    # same column space as 1, l, l^2
    coef, *_ = np.linalg.lstsq(poly, vander, rcond=None)
    np.testing.assert_allclose(poly @ coef, vander, atol=1e-10)
    ns = lag_basis(6, basis="ns", df=4).to_numpy()
    coef, *_ = np.linalg.lstsq(ns, np.column_stack([np.ones(7), lags]), rcond=None)
    np.testing.assert_allclose(ns @ coef, np.column_stack([np.ones(7), lags]), atol=1e-10)
    assert np.linalg.matrix_rank(ns) == 4
    np.testing.assert_array_equal(lag_basis(3, basis="unconstrained").to_numpy(), np.eye(4))
    with pytest.raises(ValueError, match="df must be between"):
        lag_basis(2, df=5)
    with pytest.raises(ValueError, match="basis must be"):
        lag_basis(2, basis="bs")


@pytest.mark.parametrize("method", ["mixed", "gee"])
def test_recovers_the_planted_lag_curve_and_cumulative_effect(lag_panel, method):
    fit = fit_distributed_lag(lag_panel.panel, outcome=Y, exposure=X, max_lag=4, basis="poly",
                              df=2, method=method)
    assert fit.converged
    truth = np.r_[-4.0 * np.asarray(WEIGHTS), 0.0]
    rows = fit.table.set_index("term")
    for lag, beta in enumerate(truth):
        r = rows.loc[f"lag{lag}"]
        assert r["ci_low"] < beta < r["ci_high"], (lag, r)
    cum = fit.cumulative
    assert cum["ci_low"] < -4.0 < cum["ci_high"]
    assert cum["ci_high"] < -2.5
    assert fit.n_athletes == 80 and fit.n_obs < len(lag_panel.panel)
    assert list(fit.other["term"]) == ["between"]


def test_unconstrained_lags_equal_the_within_between_model_with_lags(lag_panel):
    dlm = fit_distributed_lag(lag_panel.panel, outcome=Y, exposure=X, max_lag=3,
                              basis="unconstrained", method="mixed")
    wb = fit_within_between(lag_panel.panel, outcome=Y, exposure=X, lags=[1, 2, 3],
                            random_slope=False)
    wb_rows = wb.table.set_index("term")
    names = ["within", "lag1_within", "lag2_within", "lag3_within"]
    np.testing.assert_allclose(dlm.table["estimate"][:4], wb_rows.loc[names, "estimate"],
                               rtol=1e-5)
    np.testing.assert_allclose(dlm.table["std_error"][:4], wb_rows.loc[names, "std_error"],
                               rtol=1e-4)
    # the cumulative SE uses the covariances: it is not the root-sum of the squared lag SEs
    cum_se = dlm.cumulative["std_error"]
    assert cum_se != pytest.approx(np.sqrt((dlm.table["std_error"][:4] ** 2).sum()), rel=0.05)
    assert dlm.cumulative["estimate"] == pytest.approx(wb_rows.loc[names, "estimate"].sum())


def test_bad_arguments(lag_panel):
    with pytest.raises(ValueError, match="method"):
        fit_distributed_lag(lag_panel.panel, outcome=Y, exposure=X, method="ols")
    with pytest.raises(ValueError, match="max_lag"):
        fit_distributed_lag(lag_panel.panel, outcome=Y, exposure=X, max_lag=-1)
