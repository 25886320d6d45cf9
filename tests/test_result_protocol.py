"""Every result this package's within-athlete models return follows models/result.py."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.models.result import TABLE_COLUMNS, ModelResult
from tests.panel_generator import make_staggered_panel

Y, X = "easy_pace_s_per_km", "soleus_sets"


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_staggered_panel(16, 12, lag_weights=(0.6, 0.4), rng=6).panel


@pytest.fixture(scope="module")
def results(panel):
    kw = dict(outcome=Y, exposure=X)
    return {
        "mixed": sol.fit_mixed(panel, f"{Y} ~ {X}", group="athlete_id"),
        "within_between": sol.fit_within_between(panel, **kw, lags=[1]),
        "fixed_effects": sol.fit_fixed_effects(panel, **kw, lags=[1]),
        "gee": sol.fit_gee(panel, **kw),
        "distributed_lag": sol.fit_distributed_lag(panel, **kw, max_lag=2, df=2),
        "sensitivity": sol.fit_sensitivity(panel, **kw),
    }


@pytest.mark.parametrize("name", ["mixed", "within_between", "fixed_effects", "gee",
                                  "distributed_lag", "sensitivity"])
def test_every_result_follows_the_protocol(results, name):
    res = results[name]
    assert isinstance(res, ModelResult)
    assert list(res.table.columns[:8]) == [*TABLE_COLUMNS, "df"]
    assert res.n_athletes == 16 and res.n_obs > 100
    assert res.notes and all(isinstance(n, str) for n in res.notes)
    assert res.raw is not None
    term = res.table["term"].iloc[-1]
    assert res.effect(term)["estimate"] == res.table["estimate"].iloc[-1] or name == "sensitivity"
    with pytest.raises(KeyError, match="no term"):
        res.effect("nothing")


def test_deprecated_aliases_warn(results):
    mixed, wb = results["mixed"], results["within_between"]
    with pytest.warns(DeprecationWarning, match="n_athletes"):
        assert mixed.n_groups == 16
    with pytest.warns(DeprecationWarning, match="effect"):
        assert mixed.estimate(X) == mixed.effect(X)["estimate"]
    with pytest.warns(DeprecationWarning, match="effect"):
        assert wb.estimate("within") == wb.effect("within")["estimate"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert results["fixed_effects"].n_athletes == 16
