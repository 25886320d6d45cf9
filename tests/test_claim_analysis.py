"""The analyses of notebook 08 (soleus_analysis.claim_analysis), checked against the models and
counts they are made of, on panels made here and on real PMData files."""

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis import claim_analysis

CLAIMS = pd.DataFrame({"claim": ["speed", "fatigue", "injury"],
                       "columns": ["easy_pace_s_per_km", "fatigue, soreness", ""]})


def _panel(n_athletes=12, n_weeks=20, rng=0):
    """Athlete-weeks with a season trend, staggered calf programmes and pace that improves with
    the weekly soleus sets (a generator of this test, not the package's simulator)."""
    rng = np.random.default_rng(rng)
    rows = []
    for i in range(n_athletes):
        start = rng.integers(2, 10)
        level = rng.normal(330, 20)
        for w in range(n_weeks):
            sets = 0.0 if w < start else float(rng.integers(6, 20))
            km = rng.uniform(20, 50)
            rows.append({
                "athlete_id": f"A{i:02d}",
                "week_start": pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=w),
                "soleus_sets": sets, "run_distance_km": km,
                "easy_pace_s_per_km": level - 0.4 * w - 0.3 * sets + rng.normal(0, 4),
                "fatigue": np.nan if i % 2 else rng.integers(1, 6),
                "soreness": np.nan,
            })
    return pd.DataFrame(rows)


def test_claim_effects_are_the_within_between_fits_of_the_documented_exposures():
    panel = _panel()
    got = claim_analysis.claim_effects(panel, CLAIMS, step=10, min_athletes=5)
    # Pace: 12 athletes with a dose; fatigue: 6; soreness: none (not modelled).
    assert got.table["outcome"].tolist() == ["easy_pace_s_per_km", "fatigue"]
    assert got.athletes_with.to_dict() == {"easy_pace_s_per_km": 12, "fatigue": 6, "soreness": 0}
    features = sol.add_ewma(panel, ["run_distance_km"], weeks=6, suffix="_chronic")
    features = sol.add_ewma(features, ["soleus_sets"], weeks=4, include_current=True, start=0,
                            suffix="_accumulated")
    features = features.assign(acute_10km=features["run_distance_km"] / 10,
                               chronic_10km=features["run_distance_km_chronic"] / 10)
    direct = sol.fit_within_between(features, outcome="easy_pace_s_per_km",
                                    exposure="soleus_sets_accumulated",
                                    covariates=["acute_10km", "chronic_10km"], step=10)
    row = got.table.set_index("outcome").loc["easy_pace_s_per_km"]
    expected = direct.effect("within")
    for column in ("estimate", "ci_low", "ci_high"):
        assert row[column] == pytest.approx(expected[column], rel=1e-10)
    assert row["estimate"] < 0  # more soleus work, faster pace, as planted
    assert not got.simulated and got.table["covered"].isna().all()
    text = got.sentences()
    assert len(text) == 2 and text[0].startswith("speed, easy_pace_s_per_km per +10 accumulated")


def test_claim_effects_say_why_when_too_few_athletes_have_an_outcome_and_a_dose():
    got = claim_analysis.claim_effects(_panel(n_athletes=4), CLAIMS, min_athletes=5)
    assert got.table.empty and got.fits == {}
    (sentence,) = got.sentences()
    assert "skipped" in sentence and "at least 5 athletes" in sentence and "(most: 4)" in sentence


class _Truth:
    known = True

    @staticmethod
    def implied():
        return pd.DataFrame({"outcome": ["easy_pace_s_per_km"], "exposure": ["soleus"],
                             "total": [-3.0]})


def test_planted_values_are_put_beside_the_estimates_and_counted():
    got = claim_analysis.claim_effects(_panel(), CLAIMS, truth=_Truth(), min_athletes=5)
    table = got.table.set_index("outcome")
    assert table.loc["easy_pace_s_per_km", "planted"] == -3.0
    assert np.isnan(table.loc["fatigue", "planted"])
    covered = table.loc["easy_pace_s_per_km", ["ci_low", "ci_high"]]
    assert table.loc["easy_pace_s_per_km", "covered"] == (covered["ci_low"] <= -3 <= covered["ci_high"])
    text = got.sentences()
    assert " Planted -3.000." in text[0] and "Nothing planted." in text[1]
    assert text[-1].endswith("of 1 intervals contain the planted value.")


@pytest.fixture(scope="module")
def pmdata(tmp_path_factory):
    out = tmp_path_factory.mktemp("pmdata")
    return sol.open_study("tests/data/pmdata", out)


def test_real_pmdata_files_without_strength_days_give_the_reason(pmdata):
    got = claim_analysis.strength_day_effects(pmdata.tables)
    assert got.people == 0 and got.table.empty
    assert got.sentences("PMData")[-1] == (
        "The strength-day models are skipped: 0 people have at least 5 strength days; they "
        "need at least 3.")


def _strength_study(n_people=5, n_days=70, effect=-0.6, rng=1):
    """Daily sessions (a strength day about one day in three) and morning fatigue that is
    ``effect`` points lower after a strength day (a generator of this test)."""
    rng = np.random.default_rng(rng)
    sessions, wellness = [], []
    for i in range(n_people):
        strength = rng.random(n_days) < 0.35
        for d in range(n_days):
            day = pd.Timestamp("2024-03-04") + pd.Timedelta(days=d)
            sessions.append({"athlete_id": f"P{i}", "start": day + pd.Timedelta(hours=17),
                             "activity": "strength" if strength[d] else "running",
                             "duration_s": 3600.0, "rpe": 5.0})
            after = d > 0 and strength[d - 1]
            wellness.append({"athlete_id": f"P{i}", "date": day,
                             "fatigue": 3 + i * 0.2 + effect * after + rng.normal(0, 0.3)})
    return {"sessions": pd.DataFrame(sessions).assign(
                start=lambda f: f["start"].dt.tz_localize("UTC")),
            "wellness": pd.DataFrame(wellness)}


def test_strength_day_effects_are_the_within_between_fits_of_the_next_morning():
    tables = _strength_study()
    got = claim_analysis.strength_day_effects(tables, ["fatigue"])
    assert got.people == 5 and got.after_strength > 50
    daily = sol.daily_panel(tables["sessions"], wellness=tables["wellness"], outcomes=["fatigue"])
    complete = daily.dropna(subset=["strength_yesterday", "run_km_yesterday", "fatigue"])
    assert got.mornings == len(complete)
    direct = sol.fit_within_between(complete, outcome="fatigue", exposure="strength_yesterday",
                                    time="date", covariates=["run_km_yesterday"], step=1)
    row = got.table.iloc[0]
    assert row["estimate"] == pytest.approx(direct.effect("within")["estimate"], rel=1e-10)
    assert row["ci_low"] <= -0.6 <= row["ci_high"]
    assert "fatigue after a strength day" in got.sentences("S")[1]


def test_injury_summary_counts_by_hand():
    wellness = pd.DataFrame({
        "athlete_id": ["a"] * 4 + ["b"] * 3,
        "date": pd.to_datetime(["2020-01-01", "2020-01-08", "2020-01-15", "2020-01-22",
                                "2020-01-01", "2020-01-08", "2020-01-15"]),
        "injury": ["left_leg:minor", "left_leg:minor;right_knee:major", "none", "left_leg:minor",
                   "none", "right_foot:major", None],
    })
    got = claim_analysis.injury_summary(wellness)
    assert (got.athletes, got.questionnaires) == (2, 6)
    assert got.athlete_weeks == pytest.approx((22 + 8) / 7)  # a: Jan 1-22, b: Jan 1-8
    assert (got.injured_answers, got.injured_athletes) == (4, 2)
    # leg: a's two episodes (the 'none' answer ends the first); foot: b's one, major.
    assert (got.lower_leg_episodes, got.lower_leg_athletes, got.lower_leg_major) == (3, 2, 1)
    assert got.by_body_part.loc["leg", "reports"] == 3
    assert got.by_body_part.index[0] == "leg"
    assert got.sentences("S")[0].startswith("S: 2 athletes answered 6 injury questionnaires")
