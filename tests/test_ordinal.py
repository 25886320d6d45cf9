"""Ordinal (cumulative-logit) models: R ordinal's wine results, recovery, proportional odds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.models.ordinal import fit_ordinal

REF = Path(__file__).parent / "data" / "reference"

# R 4.2, ordinal::clmm / clm on wine.csv (tests/data/reference/ordinal_wine.R and .out)
LAPLACE = {"tempwarm": (3.062996626, 0.5953761831), "contactyes": (1.834884922, 0.5125293320),
           "threshold 1|2": (-1.623666924, 0.6824410320),
           "threshold 2|3": (1.513365183, 0.6037533304),
           "threshold 3|4": (4.228526688, 0.8089660503),
           "threshold 4|5": (6.088772558, 0.9724536542), "athlete_sd": (1.131132578, None)}
AGQ10 = {"tempwarm": (3.061890993, 0.5950763341), "contactyes": (1.833433365, 0.5121712435),
         "threshold 1|2": (-1.623487452, 0.6833862582),
         "threshold 4|5": (6.086152280, 0.9719398347), "athlete_sd": (1.134783298, None)}
CLM = {"tempwarm": 2.503102008, "contactyes": 1.527797658, "threshold 1|2": -1.344383411,
       "threshold 4|5": 5.006404204}


@pytest.fixture(scope="module")
def wine() -> pd.DataFrame:
    return pd.read_csv(REF / "wine.csv")


def check(res, ref, atol_est, atol_se):
    t = res.table.set_index("term")
    for term, (est, se) in ref.items():
        assert t.loc[term, "estimate"] == pytest.approx(est, abs=atol_est), term
        if se is not None:
            assert t.loc[term, "std_error"] == pytest.approx(se, abs=atol_se), term


def test_reproduces_r_clmm_on_the_wine_data(wine):
    agq = fit_ordinal(wine, outcome="rating", covariates=["temp", "contact"], group="judge")
    check(agq, AGQ10, 2e-5, 2e-5)
    assert agq.loglik == pytest.approx(-81.5324607117, abs=1e-6)
    # Laplace: R's optimum and ours differ in the 5th decimal (our Laplace log-likelihood at
    # R's estimates is 1.5e-9 below ours; R reports a log-likelihood 3.5e-6 higher than the
    # same formula gives)
    laplace = fit_ordinal(wine, outcome="rating", covariates=["temp", "contact"],
                          group="judge", n_quad=1)
    check(laplace, LAPLACE, 5e-5, 5e-5)
    assert (agq.n_athletes, agq.n_obs, agq.levels) == (9, 72, (1, 2, 3, 4, 5))
    row = agq.effect("tempwarm")
    assert row["odds_ratio"] == pytest.approx(np.exp(row["estimate"]))
    assert row["or_ci_low"] < row["odds_ratio"] < row["or_ci_high"]
    assert isinstance(agq, sol.models.result.ModelResult)


def test_marginal_model_reproduces_r_clm_with_cluster_robust_errors(wine):
    res = fit_ordinal(wine, outcome="rating", covariates=["temp", "contact"], group="judge",
                      random_intercept=False)
    t = res.table.set_index("term")
    for term, est in CLM.items():
        assert t.loc[term, "estimate"] == pytest.approx(est, abs=1e-4), term
    assert "athlete_sd" not in t.index
    assert res.loglik == pytest.approx(-86.4919233656, abs=1e-5)
    # cluster-robust by judge: differs from the model-based SE (0.5287 for temp)
    assert abs(t.loc["tempwarm", "std_error"] - 0.5286801008) > 0.05


def latent_ratings(seed: int, n_athletes: int = 25, n_days: int = 40, within: float = 0.8,
                   between: float = 0.0, sd: float = 1.0, cuts=(-2.0, -0.7, 0.7, 2.0),
                   separate_top: float | None = None) -> pd.DataFrame:
    """Ratings 1-5 from a latent logistic scale: athlete intercepts, an exposure that varies
    within and between athletes (confounded: athletes who train more rate themselves lower),
    and optionally a different exposure effect at the top cut (non-proportional odds)."""
    rng = np.random.default_rng(seed)
    mu = rng.normal(3, 1, n_athletes)
    u = rng.normal(0, sd, n_athletes) - 0.8 * (mu - 3)
    a = np.repeat(np.arange(n_athletes), n_days)
    x = mu[a] + rng.normal(0, 1, len(a))
    latent = within * (x - mu[a]) + between * (mu[a] - 3) + u[a] + rng.logistic(size=len(a))
    rating = np.digitize(latent, cuts) + 1
    if separate_top is not None:  # the top cut depends on x much more than the others
        top = latent + separate_top * (x - mu[a]) > cuts[-1]
        rating = np.where(top, 5, np.minimum(rating, 4))
    return pd.DataFrame({"athlete_id": [f"P{i:02d}" for i in a], "x": x, "rating": rating})


def test_recovers_the_within_effect_despite_between_athlete_confounding():
    # 8 cohorts of 20 x 30; within effect 0.8 logits (SE about 0.08 per cohort, so the mean
    # of 8 has SE 0.03), between-athlete confounding -0.8
    est, cover = [], 0
    for seed in range(8):
        res = fit_ordinal(latent_ratings(seed, n_athletes=20, n_days=30), outcome="rating",
                          exposure="x", n_quad=3)
        row = res.effect("within")
        est.append(row["estimate"])
        cover += row["ci_low"] < 0.8 < row["ci_high"]
    assert np.mean(est) == pytest.approx(0.8, abs=0.09)
    assert cover >= 6  # P(<= 5 of 8 | 95%) = 0.006
    assert res.effect("between")["estimate"] < 0  # the confounding shows up between athletes


def test_probability_change_for_coaches():
    d = latent_ratings(3)
    res = fit_ordinal(d, outcome="rating", exposure="x", n_quad=5)
    p = res.probability.set_index("term").loc["within"]
    assert p["outcome"] == "rating >= 4"
    assert 0 < p["ci_low"] < p["change"] < p["ci_high"] < 1
    # by hand from the estimates: average over rows of the change in P(Y >= 4) at u = 0
    t = res.table.set_index("term")["estimate"]
    eta = t["within"] * res.raw["x"][:, 0] + t["between"] * res.raw["x"][:, 1]
    cut = t["threshold 3|4"]

    def expit(v):
        return 1 / (1 + np.exp(-v))

    by_hand = np.mean(expit(eta + t["within"] - cut) - expit(eta - cut))
    assert p["change"] == pytest.approx(by_hand, rel=1e-9)
    top = fit_ordinal(d, outcome="rating", exposure="x", n_quad=5, high=5)
    assert top.probability["outcome"].iloc[0] == "rating >= 5"


def test_proportional_odds_check_flags_a_different_effect_at_one_cut():
    ok = fit_ordinal(latent_ratings(4, n_athletes=30), outcome="rating", exposure="x", n_quad=3)
    po = ok.proportional_odds.set_index("term")
    assert po.loc["within", "p_value"] > 0.01
    bad = fit_ordinal(latent_ratings(4, n_athletes=30, separate_top=2.0), outcome="rating",
                      exposure="x", n_quad=3)
    po = bad.proportional_odds.set_index("term")
    assert po.loc["within", "p_value"] < 0.001
    assert po.loc["within", "cut_4"] > po.loc["within", "cut_1"] + 0.5
    assert any("doubtful" in n and "within" in n for n in bad.notes)


def test_errors_and_levels(wine):
    with pytest.raises(ValueError, match="not in the data"):
        fit_ordinal(wine, outcome="score", covariates=["temp"], group="judge")
    with pytest.raises(ValueError, match="at least 3"):
        fit_ordinal(wine.assign(r=wine["rating"] > 2), outcome="r", covariates=["temp"],
                    group="judge")
    with pytest.raises(ValueError, match="collinear"):
        fit_ordinal(wine.assign(t2=wine["temp"]), outcome="rating", covariates=["temp", "t2"],
                    group="judge")
    with pytest.raises(ValueError, match="not in levels"):
        fit_ordinal(wine, outcome="rating", covariates=["temp"], group="judge",
                    levels=[1, 2, 3, 4])
    labels = wine.assign(r=wine["rating"].map({1: "awful", 2: "poor", 3: "fair", 4: "good",
                                               5: "great"}))
    res = fit_ordinal(labels, outcome="r", covariates=["temp", "contact"], group="judge",
                      levels=["awful", "poor", "fair", "good", "great"], n_quad=1)
    check(res, {"tempwarm": LAPLACE["tempwarm"]}, 5e-5, 5e-5)
    assert "threshold awful|poor" in set(res.table["term"])
