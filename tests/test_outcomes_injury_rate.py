"""Injury incidence, burden and rate models against R (glm, MASS::glm.nb, sandwich::vcovCL).

R numbers: tests/data/reference/r/injury_reference.out (script r/injury_reference.R).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol

REF = Path(__file__).parent / "data" / "reference"
TERMS = ["Intercept", "soleus_sets", "run_km"]


@pytest.fixture(scope="module")
def counts():
    return pd.read_csv(REF / "injury_counts.csv")


def _col(r, column):
    return r.table.set_index("term")[column][TERMS].to_numpy(float)


def test_poisson_with_offset_matches_r_glm(counts):
    r = sol.fit_injury_rate(counts, "injuries", "exposure_h", covariates=["soleus_sets", "run_km"],
                            per=1.0)
    np.testing.assert_allclose(_col(r, "estimate"),
                               [-4.594248098356, 0.002630084664, 0.018484710361], rtol=1e-7)
    # R's glm SEs come from the last IRLS step (pitfalls.md): agree to ~6 significant digits
    np.testing.assert_allclose(_col(r, "std_error"),
                               [0.254849471141, 0.010184913944, 0.004242883857], rtol=1e-5)
    assert r.alpha == 0 and r.family == "poisson"
    assert any("over-dispersed" in n for n in r.notes)  # Pearson dispersion 1.9


def test_clustered_poisson_matches_sandwich_vcovcl(counts):
    r = sol.fit_injury_rate(counts, "injuries", "exposure_h", covariates=["soleus_sets", "run_km"],
                            group="athlete", per=1.0, small_sample=False)
    np.testing.assert_allclose(_col(r, "std_error"),
                               [0.405114998098, 0.013014591851, 0.007761363397], rtol=1e-6)
    t = sol.fit_injury_rate(counts, "injuries", "exposure_h",
                            covariates=["soleus_sets", "run_km"], group="athlete", per=1.0)
    assert (t.table["df"] == 35).all() and r.n_athletes == 36
    assert t.effect("run_km")["p_value"] > r.effect("run_km")["p_value"]


def test_negative_binomial_matches_glm_nb_fixed_theta_errors(counts):
    r = sol.fit_injury_rate(counts, "injuries", "exposure_h", covariates=["soleus_sets", "run_km"],
                            family="negative_binomial", per=1.0)
    assert 1 / r.alpha == pytest.approx(0.8980501723, rel=1e-6)
    np.testing.assert_allclose(_col(r, "estimate"),
                               [-4.57018865545, 0.001793136578, 0.017899998936], rtol=1e-6)
    np.testing.assert_allclose(_col(r, "std_error"),
                               [0.34096925684, 0.01396209661, 0.00581013286], rtol=1e-5)
    days = sol.fit_injury_rate(counts, "days_lost", "exposure_h",
                               covariates=["soleus_sets", "run_km"], family="negative_binomial",
                               per=1.0)
    assert 1 / days.alpha == pytest.approx(0.1468963889, rel=1e-5)
    np.testing.assert_allclose(_col(days, "estimate"),
                               [-2.29542870867, -0.01034468189, 0.01801446231], rtol=1e-5)
    np.testing.assert_allclose(_col(days, "std_error"),
                               [0.539378154857, 0.022822193128, 0.009423642618], rtol=1e-5)


def test_rate_ratio_per_coach_unit_and_rate_per_1000_h(counts):
    r = sol.fit_injury_rate(counts, "injuries", "exposure_h", covariates=["soleus_sets", "run_km"],
                            steps={"soleus_sets": 10})
    row = r.effect("soleus_sets")
    assert row["rate_ratio"] == pytest.approx(np.exp(10 * 0.002630084664), rel=1e-6)
    assert row["per"] == "+10 soleus_sets"
    icpt = r.effect("Intercept")
    assert icpt["rate_ratio"] == pytest.approx(1000 * np.exp(-4.594248098356), rel=1e-6)
    assert np.isnan(icpt["p_value"])


def test_incidence_and_burden_follow_injurytools(counts):
    wald = sol.injury_incidence(counts, "injuries", "exposure_h", days_lost="days_lost",
                                ci="wald").table.set_index("term")
    n, hours, lost = counts["injuries"].sum(), counts["exposure_h"].sum(), counts["days_lost"].sum()
    inc = n / hours
    assert wald.loc["incidence", "estimate"] == pytest.approx(1000 * inc)
    sd = np.sqrt(inc / hours)  # injurytools: sqrt(incidence / totalexpo), then x 1000
    assert wald.loc["incidence", "ci_low"] == pytest.approx(1000 * (inc - 1.959964 * sd), rel=1e-6)
    assert wald.loc["burden", "estimate"] == pytest.approx(1000 * lost / hours)
    exact = sol.injury_incidence(counts, "injuries", "exposure_h").table.set_index("term")
    from scipy import stats

    assert exact.loc["incidence", "ci_high"] == pytest.approx(
        1000 * stats.chi2.ppf(0.975, 2 * (n + 1)) / 2 / hours)
    small = pd.DataFrame({"inj": [0, 1], "h": [200.0, 100.0], "team": ["a", "b"]})
    by = sol.injury_incidence(small, "inj", "h", by="team").table.set_index("term")
    assert by.loc["incidence[team=a]", "ci_low"] == 0.0  # exact: never negative
    assert by.loc["incidence[team=b]", "estimate"] == pytest.approx(10.0)


def test_rate_ratio_coverage_with_an_independent_generator():
    """Athlete frailty (clustered counts): robust t intervals cover the planted rate ratio."""
    rng = np.random.default_rng(2024)
    hits, n_rep = 0, 150
    for _ in range(n_rep):
        athletes = np.repeat(np.arange(30), 8)
        frail = rng.gamma(3.0, 1 / 3.0, 30)[athletes]
        sets = rng.uniform(0, 20, len(athletes)) + rng.normal(0, 5, 30)[athletes]
        hours = rng.uniform(20, 40, len(athletes))
        y = rng.poisson(hours * 0.004 * frail * np.exp(-0.03 * sets))
        d = pd.DataFrame({"y": y, "h": hours, "sets": sets, "a": athletes})
        r = sol.fit_injury_rate(d, "y", "h", covariates=["sets"], group="a").effect("sets")
        hits += r["ci_low"] <= -0.03 <= r["ci_high"]
    cover = hits / n_rep
    # 150 replicates: MC SE 0.018 at 0.95
    assert 0.88 <= cover <= 0.995


def test_dummy_coding_and_errors(counts):
    d = counts.assign(team=np.where(counts["month"] % 2 == 0, "even", "odd"))
    r = sol.fit_injury_rate(d, "injuries", "exposure_h", covariates=["team"])
    assert "team[T.odd]" in r.table["term"].tolist()
    zero = counts.assign(exposure_h=np.where(counts.index < 3, 0.0, counts["exposure_h"]))
    z = sol.fit_injury_rate(zero, "injuries", "exposure_h")
    assert z.n_obs == len(counts) - 3 and any("no exposure" in n for n in z.notes)
    with pytest.raises(ValueError, match="family"):
        sol.fit_injury_rate(counts, "injuries", "exposure_h", family="zip")
    with pytest.raises(ValueError, match="counts"):
        sol.fit_injury_rate(counts.assign(injuries=0.5), "injuries", "exposure_h")
