"""A study's injury records for the notebooks: sources, daily onsets, gaps, estimates in words."""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol


@dataclass
class FakeStudy:
    """The parts of a Study the helpers read."""

    tables: dict
    daily_loads: pd.DataFrame | None = None
    dose: pd.DataFrame | None = None
    raw_dir: str = "."


@dataclass
class FakeTruth:
    known: bool
    seed: int | None = 7
    params: dict = field(default_factory=dict)


@pytest.fixture(scope="module")
def cohort_tables():
    return sol.simulate_cohort(10, 14, rng=3).tables()


def _with_pmsys(tables):
    wellness = tables["wellness"].copy()
    wellness["injury"] = None
    first = wellness.groupby("athlete_id").head(6).index
    wellness.loc[first, "injury"] = "none"
    a001 = wellness.index[(wellness["athlete_id"] == "A001")][:6]
    wellness.loc[a001[3], "injury"] = "left_leg:minor"  # a new episode after 3 questionnaires
    wellness.loc[a001[4], "injury"] = "left_leg:minor"  # the same episode: not a new onset
    return {**tables, "wellness": wellness}, wellness.loc[a001[3], "date"]


def test_pmsys_answers_are_the_source_and_daily_onsets_follow_the_panel(cohort_tables):
    tables, onset_day = _with_pmsys(cohort_tables)
    study = FakeStudy(tables)
    src = sol.study_injuries(study, FakeTruth(known=True))
    assert src.source == "pmsys" and src.available and src.injuries is None
    assert src.planted is None and "simulated" not in src.description.lower()
    panel = sol.injury_panel(study)
    assert int(panel["event"].sum()) == 1
    daily = sol.training_loads(sol.daily_load(tables["sessions"], tables["runs"],
                                              tables["strength_sets"], tables["wellness"],
                                              athletes=tables["athletes"]))
    on = sol.daily_onsets(daily, wellness=tables["wellness"])
    assert on["injury"].sum() == 1
    hit = on.loc[on["injury"] == 1].iloc[0]
    assert hit["athlete_id"] == "A001" and pd.Timestamp(hit["date"]) == pd.Timestamp(onset_day)
    # only days between an athlete's first and last questionnaire are followed up
    span = tables["wellness"].dropna(subset=["injury"]).groupby("athlete_id")["date"].agg(
        ["min", "max"])
    lim = span.reindex(on["athlete_id"])
    assert (pd.to_datetime(on["date"]).to_numpy() >= lim["min"].to_numpy()).all()
    assert (pd.to_datetime(on["date"]).to_numpy() <= lim["max"].to_numpy()).all()


def test_no_records_and_no_truth_gives_no_injuries(cohort_tables):
    src = sol.study_injuries(FakeStudy(cohort_tables), None)
    assert src.source == "none" and not src.available and "no injury records" in src.description
    assert sol.study_injuries(FakeStudy(cohort_tables), FakeTruth(known=False)).source == "none"


def test_a_generated_study_gets_onsets_from_the_planted_hazard(cohort_tables):
    study = FakeStudy(cohort_tables)
    a = sol.study_injuries(study, FakeTruth(known=True), rng=5)
    b = sol.study_injuries(study, FakeTruth(known=True), rng=5)
    assert a.source == "simulated" and a.description.startswith("SIMULATED")
    pd.testing.assert_frame_equal(a.injuries, b.injuries)
    assert a.planted["hazard_ratio"].tolist() == [0.8, 1.3, 0.8]
    assert set(a.injuries["athlete_id"]) <= set(cohort_tables["athletes"]["athlete_id"])
    # every planted onset lies in follow-up: the panel counts them all
    panel = sol.injury_panel(cohort_tables, injuries=a.injuries)
    assert int(panel["n_injuries"].sum()) == len(a.injuries) > 0
    # a stronger planted hazard gives more onsets on the same draws
    more = sol.study_injuries(study, FakeTruth(known=True), rng=5,
                              effects=sol.InjuryEffects(weekly_rate=0.3))
    assert len(more.injuries) > len(a.injuries)


def test_daily_onsets_from_an_injury_table_and_without_any():
    d = pd.DataFrame({"athlete_id": ["a"] * 4 + ["b"] * 2, "load_au": 1.0,
                      "date": list(pd.date_range("2025-01-06", periods=4))
                      + list(pd.date_range("2025-01-06", periods=2))})
    onsets = pd.DataFrame({"athlete_id": ["b", "a"],
                           "date": pd.to_datetime(["2025-01-07 15:00", "2025-01-08 00:00"])})
    out = sol.daily_onsets(d, injuries=onsets)
    assert out["injury"].tolist() == [0, 0, 1, 0, 0, 1]
    none = sol.daily_onsets(d)
    assert none.empty and "injury" in none.columns


def test_injury_gaps_name_what_is_missing():
    p = pd.DataFrame({"athlete_id": list("aabbcc"), "event": [1, 0, 1, 0, 0, 1],
                      "x": [1.0, 2.0, 3.0, 1.0, 2.0, 2.0], "flat": 1.0, "gone": np.nan})
    assert sol.injury_gaps(None, what="the model").endswith("no injury records.")
    assert "needs gone, which this study does not record" in sol.injury_gaps(
        p, what="the model", covariates=["gone"])
    assert "needs flat to vary" in sol.injury_gaps(p, what="the model", covariates=["flat"])
    assert sol.injury_gaps(p, what="m", covariates=["x"], min_athletes=3) == ""
    short = sol.injury_gaps(p, what="m", covariates=["x"], injuries_per_term=5)
    assert "at least 5 injuries (5 per term)" in short and "has 3 injuries in 3 athletes" in short
    assert "at least 4 athletes" in sol.injury_gaps(p, what="m", min_athletes=4)
    # rows with a missing covariate do not count
    q = p.assign(x=[1.0, 2.0, np.nan, 1.0, 2.0, np.nan])
    assert "has 1 injury in 3 athletes" in sol.injury_gaps(q, what="m", covariates=["x"],
                                                          min_injuries=2)


def test_ratio_sentences_round_and_say_the_direction():
    class Fit:
        table = pd.DataFrame({
            "term": ["Intercept", "a", "b", "c"], "per": ["rate", "+1 a", "+10 b", "+100 c"],
            "hazard_ratio": [9.0, 1.004, 0.7749, 2.5], "hr_low": [1, 0.9, 0.61, 1.5],
            "hr_high": [2, 1.1, 0.98, 4.0], "p_value": [np.nan, 0.93, 0.0312, 0.0002]})

    lines = sol.ratio_sentences(Fit())
    assert lines == [
        "per +1 a: hazard ratio 1.00 (95% CI 0.90 to 1.10), no different; p = 0.93.",
        "per +10 b: hazard ratio 0.77 (95% CI 0.61 to 0.98), 23% lower; p = 0.03.",
        "per +100 c: hazard ratio 2.50 (95% CI 1.50 to 4.00), 150% higher; p < 0.001.",
    ]


def test_versus_planted_rescales_to_the_reported_step():
    class Fit:
        table = pd.DataFrame({"term": ["s", "other"], "per": ["+20 s", "+1"],
                              "hazard_ratio": [0.65, 1.0], "hr_low": [0.6, 0.9],
                              "hr_high": [0.7, 1.1]})

    planted = pd.DataFrame({"term": ["s"], "hazard_ratio": [0.8], "step": [10.0]})
    out = sol.versus_planted(Fit(), planted, {"s": 20})
    assert out["term"].tolist() == ["s"]
    assert out["planted"].iloc[0] == pytest.approx(0.64)
    assert out["covered"].iloc[0]
    unscaled = sol.versus_planted(Fit(), planted)
    assert unscaled["planted"].iloc[0] == pytest.approx(0.8) and not unscaled["covered"].iloc[0]


def test_the_planted_hazard_ratios_are_recovered_on_a_cohorts_own_covariates():
    """Planted on the covariates the panel computes, the Cox fit targets the planted ratios."""
    tables = sol.simulate_cohort(30, 26, rng=11).tables()
    src = sol.study_injuries(FakeStudy(tables), FakeTruth(known=True), rng=2,
                             effects=sol.InjuryEffects(hr_soleus=0.5, weekly_rate=0.15))
    panel = sol.injury_panel(tables, injuries=src.injuries)
    steps = {"soleus_sets_prev_week": 10, "acute_load_au": 100, "chronic_load_au": 100}
    cox = sol.fit_time_to_injury(panel, "stop", "event", start="start", covariates=list(steps),
                                 group="athlete_id", steps=steps)
    check = sol.versus_planted(cox, src.planted, steps).set_index("term")
    assert check.loc["soleus_sets_prev_week", "planted"] == pytest.approx(0.5)
    assert check.loc["soleus_sets_prev_week", "hr_high"] < 1  # a strong effect is found
    assert check["covered"].sum() >= 2


def test_usable_covariates_leave_out_what_a_study_lacks(cohort_tables):
    # a study without a strength log: no soleus dose, but load still relates to injuries
    no_sets = {k: v for k, v in cohort_tables.items() if k != "strength_sets"}
    onsets = pd.DataFrame({"athlete_id": ["A001", "A002"],
                           "date": pd.to_datetime(["2025-03-05", "2025-03-12"])})
    panel = sol.injury_panel(no_sets, injuries=onsets)
    kept, note = sol.usable_covariates(
        panel, ["soleus_sets_prev_week", "acute_load_au", "chronic_load_au"])
    assert kept == ["acute_load_au", "chronic_load_au"]
    assert note == "Left out of the models: soleus_sets_prev_week (not recorded in this study)."
    assert sol.usable_covariates(None, ["acute_load_au"]) == ([], "")
    assert sol.usable_covariates(panel, ["acute_load_au"]) == (["acute_load_au"], "")
    assert "no covariate" in sol.injury_gaps(panel, what="the Cox model", covariates=[])


def test_describe_counts_injuries_and_injury_days():
    p = pd.DataFrame({"athlete_id": ["a", "a", "b"], "week_start": [1, 2, 1],
                      "event": [1, 0, 1], "n_injuries": [2, 0, 1],
                      "exposure_h": [4.0, 5.0, 3.0], "days_at_risk": [3.0, 7.0, 2.0]})
    text = sol.describe_injury_panel(p)
    assert text == ("2 athletes followed for 12 days (3 athlete-weeks, 12 h of training); "
                    "3 injuries on 2 days in 2 athletes (1 with more than one).")


def test_study_injury_panel_says_why_there_is_none(cohort_tables):
    tables, _ = _with_pmsys(cohort_tables)
    study = FakeStudy(tables)
    src = sol.study_injuries(study)
    panel, why = sol.study_injury_panel(study, src)
    assert why == "" and int(panel["event"].sum()) == 1
    athlete, _ = sol.study_injury_panel(study, src, time_scale="athlete")
    assert (athlete.groupby("athlete_id")["start"].min() == 0).all()
    # no session with duration and RPE: no load record, so no follow-up
    unrated = {**tables, "sessions": tables["sessions"].iloc[0:0],
               "runs": tables["runs"].iloc[0:0], "strength_sets": tables["strength_sets"].iloc[0:0]}
    none, why = sol.study_injury_panel(FakeStudy(unrated), src)
    assert none is None and why.startswith("No injury panel (no daily training loads")
    none, why = sol.study_injury_panel(study, sol.study_injuries(FakeStudy(cohort_tables)))
    assert none is None and "no injury records" in why
