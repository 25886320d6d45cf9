"""The article's claims: every column and analysis they name exists; coverage counts."""

import re

import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.schemas import AthleteWeekSchema


def test_claims_name_real_panel_columns_and_functions():
    claims = sol.article_claims()
    assert claims["claim"].is_unique and claims["article"].str.len().gt(20).all()
    panel_columns = set(AthleteWeekSchema.to_schema().columns)
    for cols in claims["columns"]:
        for col in filter(None, cols.split(", ")):
            assert col in panel_columns, col
    for fns in claims["analysis"]:
        for fn in filter(None, fns.split(", ")):
            assert fn.startswith("sol.") and callable(getattr(sol, fn[4:])), fn


def test_claims_that_logs_cannot_test_have_no_columns():
    claims = sol.article_claims().set_index("claim")
    assert claims.loc["ankle stability", "columns"] == ""
    assert claims.loc["speed", "columns"].startswith("easy_pace_s_per_km")


def test_coverage_counts_outcome_with_and_without_dose():
    panel = pd.DataFrame({
        "athlete_id": ["a", "a", "b", "b", "c"],
        "soleus_sets": [0.0, 5.0, None, None, 3.0],
        "easy_pace_s_per_km": [300.0, 298.0, 330.0, None, None],
        "fatigue": [3.0, None, 4.0, 4.0, 2.0],
    })
    cov = sol.claim_coverage(panel).set_index(["claim", "column"])
    assert cov.loc[("speed", "easy_pace_s_per_km")].tolist() == [3, 2, 2, 1]
    assert cov.loc[("fatigue", "fatigue")].tolist() == [4, 3, 2, 2]
    # a column the panel lacks counts 0; a claim with no column gets one placeholder row
    assert cov.loc[("endurance", "decoupling_pct"), "weeks"] == 0
    assert cov.loc[("ankle stability", "(not in training logs)"), "weeks"] == 0


def test_coverage_without_exposure_column_has_no_dose():
    panel = pd.DataFrame({"athlete_id": ["a"], "fatigue": [3.0]})
    cov = sol.claim_coverage(panel).set_index(["claim", "column"])
    assert cov.loc[("fatigue", "fatigue"), "weeks"] == 1
    assert cov["weeks_with_dose"].eq(0).all()
    with pytest.raises(ValueError, match="athlete"):
        sol.claim_coverage(panel, group="athlete")


def test_every_claim_says_what_its_analyses_can_and_cannot_show():
    claims = sol.article_claims().set_index("claim")
    assert set(sol.claims.LIMITS) == set(claims.index)
    assert claims["can_show"].str.len().gt(20).all()
    assert claims["cannot_show"].str.len().gt(20).all()
    injury = claims.loc["shin splints and Achilles problems"]
    for fn in ("sol.fit_time_to_injury", "sol.fit_injury_rate", "sol.injury_panel",
               "sol.survival_curve", "sol.injury_power"):
        assert fn in injury["analysis"], fn
    # a function named in what a claim can show is among its analyses
    for claim, row in claims.iterrows():
        for fn in re.findall(r"sol\.\w+", row["can_show"]):
            assert fn in row["analysis"], (claim, fn)
    for claim in ("speed", "endurance", "fatigue"):
        assert "sol.typical_error" in claims.loc[claim, "analysis"]
