"""Partial-effect grids: predicted change across weekly doses, checked against planted effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from tests.panel_generator import make_panel

Y, X = "easy_pace_s_per_km", "soleus_sets"


@pytest.fixture(scope="module")
def lagged_panel():
    # effect -4 s/km per +10 sets, spread over this week and the two before
    return make_panel(60, 30, within_effect=-4.0, lag_weights=(0.5, 0.3, 0.2), slope_sd=0.5,
                      rng=5)


@pytest.fixture(scope="module")
def lag_fit(lagged_panel):
    return sol.fit_within_between(lagged_panel.panel, outcome=Y, exposure=X, lags=[1, 2])


def test_sustained_prediction_is_the_cumulative_effect_and_covers_the_truth(lag_fit):
    grid = sol.partial_effect(lag_fit, values=[0, 10, 20, 30])
    cum = sol.combine_effects(lag_fit, ["within", "lag1_within", "lag2_within"])
    row = grid.loc[grid["dose"] == 10].iloc[0]
    assert row["predicted"] == pytest.approx(cum["estimate"])
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((cum["ci_low"], cum["ci_high"]))
    assert row["ci_low"] < -4.0 < row["ci_high"]
    # linear in the dose, a fan that closes at the usual dose
    np.testing.assert_allclose(grid["predicted"], grid["dose"] / 10 * cum["estimate"])
    assert grid["std_error"].iloc[0] == 0 and grid["std_error"].is_monotonic_increasing


def test_same_week_prediction_uses_only_the_within_effect(lag_fit):
    grid = sol.partial_effect(lag_fit, values=[20], usual=10, sustained=False, baseline=300)
    within = lag_fit.effect("within")
    assert grid["difference"].iloc[0] == 10
    assert grid["predicted"].iloc[0] == pytest.approx(300 + within["estimate"])
    assert grid["ci_high"].iloc[0] == pytest.approx(300 + within["ci_high"])
    # the same-week effect is the first lag weight's share of the effect (-2), not -4
    assert within["ci_low"] < -2.0 < within["ci_high"]
    assert grid.attrs["sustained"] is False


def test_fixed_effects_use_t_and_distributed_lags_their_cumulative_row(lagged_panel):
    fe = sol.fit_fixed_effects(lagged_panel.panel, outcome=Y, exposure=X, lags=[1, 2])
    grid = sol.partial_effect(fe, values=[10])
    cum = sol.combine_effects(fe, ["within", "lag1_within", "lag2_within"])
    assert grid["ci_low"].iloc[0] == pytest.approx(cum["ci_low"])  # t on G - 1 df
    dlm = sol.fit_distributed_lag(lagged_panel.panel, outcome=Y, exposure=X, max_lag=2,
                                  basis="unconstrained")
    g = sol.partial_effect(dlm, values=[0, 5, 10])
    assert g["predicted"].iloc[2] == pytest.approx(dlm.cumulative["estimate"])
    assert g["std_error"].iloc[1] == pytest.approx(dlm.cumulative["std_error"] / 2)
    assert g["ci_low"].iloc[2] < -4.0 < g["ci_high"].iloc[2]


def test_bad_arguments_are_refused(lag_fit):
    with pytest.raises(TypeError, match="fitted model"):
        sol.partial_effect(pd.DataFrame({"a": [1]}))
    with pytest.raises(ValueError, match="finite"):
        sol.partial_effect(lag_fit, values=[np.nan])
    with pytest.raises(ValueError, match="level"):
        sol.partial_effect(lag_fit, level=95)
    default = sol.partial_effect(lag_fit)
    assert len(default) == 31 and default["dose"].max() == 30
