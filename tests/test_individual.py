"""Individual responses: BLUP slopes track the planted per-athlete slopes; SWC labels."""

from __future__ import annotations

import numpy as np
import pytest

from soleus_analysis.models.individual import classify_response, individual_responses
from soleus_analysis.models.within_between import fit_within_between
from tests.panel_generator import make_panel

Y, X = "easy_pace_s_per_km", "soleus_sets"


@pytest.fixture(scope="module")
def varied():
    g = make_panel(60, 40, within_effect=-3.0, slope_sd=3.0, exposure_within_sd=6.0, rng=2)
    return g, fit_within_between(g.panel, outcome=Y, exposure=X)


def test_individual_slopes_track_the_planted_slopes(varied):
    g, fit = varied
    ir = individual_responses(fit, higher_is_better=False)
    t = ir.table.set_index("athlete").join(g.truth["slopes"])
    assert len(t) == 60
    assert np.corrcoef(t["estimate"], t["within_effect"])[0, 1] > 0.6
    covered = ((t["ci_low"] < t["within_effect"]) & (t["within_effect"] < t["ci_high"])).mean()
    # 60 athletes at nominal 95%: binomial SD 2.8 points; shrinkage makes intervals a bit
    # off for extreme athletes, so accept 0.80-1.00
    assert 0.80 <= covered <= 1.0
    assert ir.slope_sd == pytest.approx(3.0, rel=0.4)
    assert ir.average == pytest.approx(fit.effect("within")["estimate"])
    assert ir.summary["n_athletes"].sum() == 60
    # the result protocol
    assert list(ir.table.columns[:7]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                          "p_value", "per"]
    first = ir.table.iloc[0]
    assert ir.effect(first["athlete"])["estimate"] == first["estimate"]
    assert ir.n_athletes == 60 and ir.n_obs == fit.n_obs and ir.raw is fit


def test_default_swc_is_a_fifth_of_the_between_athlete_sd(varied):
    _, fit = varied
    ir = individual_responses(fit, higher_is_better=False)
    sd = fit.data.groupby("athlete")["y"].mean().std(ddof=1)
    assert ir.swc == pytest.approx(0.2 * sd)
    small = individual_responses(fit, higher_is_better=False, swc=1.0)
    # with a small SWC the athletes with clearly negative (faster) slopes are "beneficial"
    ben = small.table.loc[small.table["response"] == "beneficial"]
    assert len(ben) > 5 and (ben["ci_high"] < -1.0).all()
    flipped = individual_responses(fit, higher_is_better=True, swc=1.0)
    assert (flipped.table["response"] == "harmful").sum() == len(ben)


def test_classification_rules():
    low = [1.5, -4.0, -0.5, -3.0, -1.5, 0.5]
    high = [3.0, -2.5, 0.5, 3.0, 0.5, 2.0]
    labels = classify_response(low, high, swc=1, higher_is_better=True)
    assert labels.tolist() == ["beneficial", "harmful", "trivial", "unclear",
                               "harmful_or_trivial", "beneficial_or_trivial"]
    # lower is better: the same intervals mirror
    mirrored = classify_response(low, high, swc=1, higher_is_better=False)
    assert mirrored.tolist() == ["harmful", "beneficial", "trivial", "unclear",
                                 "beneficial_or_trivial", "harmful_or_trivial"]
    with pytest.raises(ValueError, match="swc"):
        classify_response(0, 1, swc=0, higher_is_better=True)


def test_without_random_slope_everyone_gets_the_average(varied):
    g, _ = varied
    fit = fit_within_between(g.panel, outcome=Y, exposure=X, random_slope=False)
    ir = individual_responses(fit, higher_is_better=False)
    assert ir.table["estimate"].nunique() == 1
    assert any("no random slope" in n for n in ir.notes)
    with pytest.raises(TypeError, match="fit_within_between"):
        individual_responses(fit.mixed, higher_is_better=False)
