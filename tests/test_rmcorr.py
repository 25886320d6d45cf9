"""rmcorr reproduces Bakdash & Marusich's published pH-PaCO2 result and agrees with pingouin."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin
import pytest

from soleus_analysis.models.rmcorr import rmcorr
from tests.panel_generator import make_panel

REF = Path(__file__).parent / "data" / "reference"


@pytest.fixture(scope="module")
def bland_altman() -> pd.DataFrame:
    return pd.read_csv(REF / "bland_altman_1995_ph_paco2.csv")


def test_reproduces_the_published_bland_altman_result(bland_altman):
    # Bakdash & Marusich 2017: r = -0.507, df = 38, p = 0.0008, 95% CI [-0.707, -0.232]
    res = rmcorr(bland_altman, x="PacO2", y="pH", subject="Subject")
    assert round(res.r, 3) == -0.507
    assert res.df == 38
    assert round(res.p_value, 4) == 0.0008
    assert (round(res.ci_low, 3), round(res.ci_high, 3)) == (-0.707, -0.232)
    assert (res.n_obs, res.n_subjects) == (47, 8)
    # symmetric in x and y (the slope is not)
    swapped = rmcorr(bland_altman, x="pH", y="PacO2", subject="Subject")
    assert swapped.r == pytest.approx(res.r)


def test_agrees_with_pingouin_on_simulated_panels():
    for seed in range(3):
        p = make_panel(15, 12, within_effect=-4.0, slope_sd=0.0, rng=seed).panel
        ours = rmcorr(p, x="soleus_sets", y="easy_pace_s_per_km", subject="athlete_id")
        with warnings.catch_warnings():
            # pingouin 0.5/0.7 calls DataFrame.rename(inplace=True), deprecated in pandas 3.1
            warnings.simplefilter("ignore", pd.errors.Pandas4Warning)
            theirs = pingouin.rm_corr(p, x="soleus_sets", y="easy_pace_s_per_km",
                                      subject="athlete_id")
        assert ours.r == pytest.approx(theirs["r"].iloc[0], rel=1e-9)
        assert ours.df == theirs["dof"].iloc[0]
        assert ours.p_value == pytest.approx(theirs["pval"].iloc[0], rel=1e-6)
        np.testing.assert_allclose([ours.ci_low, ours.ci_high], theirs["CI95"].iloc[0],
                                   atol=0.005)  # pingouin rounds its CI to 2 decimals


def test_slope_is_the_common_within_slope_and_missing_rows_are_dropped(bland_altman):
    d = bland_altman.copy()
    d.loc[0, "pH"] = np.nan
    res = rmcorr(d, x="PacO2", y="pH", subject="Subject")
    assert res.n_obs == 46 and res.df == 37
    full = rmcorr(bland_altman, x="PacO2", y="pH", subject="Subject")
    assert full.slope < 0 and res.r == pytest.approx(full.r, abs=0.05)
    assert list(full.table.columns) == ["r", "df", "p_value", "ci_low", "ci_high", "slope",
                                        "n_obs", "n_subjects"]


def test_errors():
    d = pd.DataFrame({"s": [1, 1, 2, 2], "x": [1.0, 2, 3, 4], "y": [1.0, 2, 1, 3]})
    with pytest.raises(ValueError, match="degrees of freedom"):
        rmcorr(d, x="x", y="y", subject="s")
    with pytest.raises(ValueError, match="not in the data"):
        rmcorr(d, x="x", y="z", subject="s")
