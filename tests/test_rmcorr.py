"""rmcorr reproduces Bakdash & Marusich's published pH-PaCO2 result and agrees with pingouin."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pingouin
import pytest

from soleus_analysis.models.repeated_correlation import rmcorr
from tests.panel_generator import make_panel

REF = Path(__file__).parent / "data" / "reference"


@pytest.fixture(scope="module")
def bland_altman() -> pd.DataFrame:
    return pd.read_csv(REF / "bland_altman_1995_ph_paco2.csv")


def test_reproduces_the_published_bland_altman_result(bland_altman):
    # Bakdash & Marusich 2017: r = -0.507, df = 38, p = 0.0008, 95% CI [-0.707, -0.232]
    res = rmcorr(bland_altman, x="PacO2", y="pH", subject="Subject", adjust=False)
    assert round(res.r, 3) == -0.507
    assert res.df == 38
    assert round(res.p_value, 4) == 0.0008
    assert (round(res.ci_low, 3), round(res.ci_high, 3)) == (-0.707, -0.232)
    assert (res.n_obs, res.n_athletes) == (47, 8)
    # the default keeps it too: the autocorrelation adjustment is not material here
    auto = rmcorr(bland_altman, x="PacO2", y="pH", subject="Subject")
    assert not auto.adjusted and auto.p_value == res.p_value and auto.df_eff < 38
    # symmetric in x and y (the slope is not)
    swapped = rmcorr(bland_altman, x="pH", y="PacO2", subject="Subject")
    assert swapped.r == pytest.approx(res.r)


def test_agrees_with_pingouin_on_simulated_panels():
    for seed in range(3):
        p = make_panel(15, 12, within_effect=-4.0, slope_sd=0.0, rng=seed).panel
        ours = rmcorr(p, x="soleus_sets", y="easy_pace_s_per_km", subject="athlete_id",
                      adjust=False)
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
    res = rmcorr(d, x="PacO2", y="pH", subject="Subject", adjust=False)
    assert res.n_obs == 46 and res.df == 37
    full = rmcorr(bland_altman, x="PacO2", y="pH", subject="Subject", adjust=False)
    assert full.slope < 0 and res.r == pytest.approx(full.r, abs=0.05)
    t = full.table
    assert list(t.columns[:8]) == ["term", "estimate", "std_error", "ci_low", "ci_high",
                                   "p_value", "per", "df"]
    assert full.effect("r")["estimate"] == full.r
    # the slope's t test is the correlation's t test (one ANCOVA)
    slope = full.effect("slope")
    t_slope = slope["estimate"] / slope["std_error"]
    t_r = full.r * np.sqrt(full.df / (1 - full.r**2))
    assert t_slope == pytest.approx(t_r)
    assert slope["ci_low"] < slope["estimate"] < slope["ci_high"] < 0
    with pytest.warns(DeprecationWarning, match="n_athletes"):
        assert full.n_subjects == 8


def test_errors():
    d = pd.DataFrame({"s": [1, 1, 2, 2], "x": [1.0, 2, 3, 4], "y": [1.0, 2, 1, 3]})
    with pytest.raises(ValueError, match="degrees of freedom"):
        rmcorr(d, x="x", y="y", subject="s")
    with pytest.raises(ValueError, match="not in the data"):
        rmcorr(d, x="x", y="z", subject="s")


def ar1(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    e = np.empty(n)
    e[0] = rng.normal()
    for t in range(1, n):
        e[t] = phi * e[t - 1] + rng.normal(0, np.sqrt(1 - phi**2))
    return e


def daily_null(seed: int, n_athletes: int = 8, n_days: int = 100, phi: float = 0.7):
    """Independent AR(1) exposure and AR(1) rating per athlete: no association at all."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_athletes):
        x = 2 + ar1(rng, n_days, phi)
        y = 3 + rng.normal(0, 0.5) + 0.8 * ar1(rng, n_days, phi)
        rows += [(f"P{i}", d, a, b) for d, a, b in zip(range(n_days), x, y, strict=True)]
    return pd.DataFrame(rows, columns=["athlete_id", "day", "x", "y"])


def test_effective_sample_size_keeps_the_false_positive_rate_under_autocorrelation():
    # 8 people x 100 days (df 791 naive), exposure and rating both AR(1) 0.7, no association.
    # Bartlett: var(r) is (1 + 0.49) / (1 - 0.49) = 2.9 times the iid value, so the naive test
    # rejects about 25% of the time. 200 cohorts: MC SE of a 5% rate is 1.5 points.
    naive = adjusted = 0
    reps = 200
    for seed in range(reps):
        res = rmcorr(daily_null(seed), x="x", y="y", subject="athlete_id", time="day")
        assert res.adjusted  # material: n_eff is about a third of n
        naive += res.p_value_naive < 0.05
        adjusted += res.p_value < 0.05
    assert naive / reps > 0.15
    assert adjusted / reps < 0.09
    one = rmcorr(daily_null(0), x="x", y="y", subject="athlete_id", time="day")
    assert 0.55 < one.rho_x < 0.8 and 0.55 < one.rho_resid < 0.8
    assert one.df_naive == 791 and 200 < one.df_eff < 400 and one.df == one.df_eff
    acf = one.raw["acf_x"] @ one.raw["acf_resid"]
    assert one.n_eff == pytest.approx(800 / (1 + 2 * acf))
    # for AR(1) series the lag sum is close to the closed form N (1 - ab) / (1 + ab)
    ab = one.rho_x * one.rho_resid
    assert one.n_eff == pytest.approx(800 * (1 - ab) / (1 + ab), rel=0.2)
    assert any("effective sample size" in n for n in one.notes)
    forced = rmcorr(daily_null(0), x="x", y="y", subject="athlete_id", time="day", adjust=False)
    assert forced.df == 791 and forced.p_value == one.p_value_naive


def test_time_orders_the_rows_for_the_autocorrelation():
    d = daily_null(1)
    shuffled = d.sample(frac=1.0, random_state=2)
    a = rmcorr(d, x="x", y="y", subject="athlete_id", time="day")
    b = rmcorr(shuffled, x="x", y="y", subject="athlete_id", time="day")
    assert a.rho_resid == pytest.approx(b.rho_resid) and a.r == pytest.approx(b.r)
    c = rmcorr(shuffled, x="x", y="y", subject="athlete_id")  # row order: no autocorrelation
    assert abs(c.rho_resid) < 0.15 and not c.adjusted
    with pytest.raises(ValueError, match="adjust"):
        rmcorr(d, x="x", y="y", subject="athlete_id", adjust="yes")


def test_weekly_rhythm_beyond_lag_one_counts():
    # strength every 7th day and a rating with a 7-day rhythm: lag 1 is nearly uncorrelated,
    # lag 7 is not; the lag sum sees it, an AR(1) plug-in would not
    rng = np.random.default_rng(3)
    rows = []
    for i in range(6):
        days = np.arange(140)
        x = (days % 7 == i % 7).astype(float) + 0.3 * rng.normal(size=140)
        y = np.sin(2 * np.pi * (days + i) / 7) + 0.5 * rng.normal(size=140)
        rows.append(pd.DataFrame({"athlete_id": f"P{i}", "day": days, "x": x, "y": y}))
    d = pd.concat(rows, ignore_index=True)
    res = rmcorr(d, x="x", y="y", subject="athlete_id", time="day")
    assert abs(res.rho_x) < 0.3
    assert res.n_eff < 0.8 * res.n_obs and res.adjusted
