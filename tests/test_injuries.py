"""injury_reports: one row per reported area, episodes of consecutive questionnaires."""

from pathlib import Path

import pandas as pd
import pytest

import soleus_analysis as sol

DATA = Path(__file__).parent / "data" / "pmdata"


def _wellness(dates, answers, athlete="a"):
    return pd.DataFrame({"athlete_id": athlete, "date": pd.to_datetime(dates), "injury": answers})


def test_splits_items_and_keeps_side_body_part_and_severity():
    w = _wellness(["2020-01-01", "2020-01-02"], ["left_leg:minor;right_knee:major", "none"])
    r = sol.injury_reports(w)
    assert r["area"].tolist() == ["left_leg", "right_knee"]
    assert r["side"].tolist() == ["left", "right"]
    assert r["body_part"].tolist() == ["leg", "knee"]
    assert r["severity"].tolist() == ["minor", "major"]
    assert r.attrs["questionnaires"].to_dict() == {"a": 2}


def test_an_area_without_side_and_unanswered_days():
    w = _wellness(["2020-01-01", "2020-01-05", "2020-01-08"], ["stomach_back:major", None, "none"])
    r = sol.injury_reports(w)
    assert len(r) == 1 and pd.isna(r["side"].iloc[0]) and r["body_part"].iloc[0] == "stomach_back"
    # the missing answer is not a questionnaire
    assert r.attrs["questionnaires"].to_dict() == {"a": 2}


def test_episodes_end_at_a_questionnaire_without_the_area_or_a_long_gap():
    dates = ["2020-01-01", "2020-01-08", "2020-01-15", "2020-01-22", "2020-02-20", "2020-02-27"]
    answers = ["left_foot:minor", "left_foot:minor", "right_knee:minor", "left_foot:minor",
               "left_foot:minor", "left_foot:minor"]
    r = sol.injury_reports(_wellness(dates, answers))
    foot = r[r["area"] == "left_foot"]
    # 1-8 Jan one episode; 15 Jan does not name the foot (ends it); 22 Jan new; 29 days later new
    assert foot["episode"].tolist() == [1, 1, 2, 3, 3]
    assert foot["new_episode"].tolist() == [True, False, True, True, False]
    assert sol.injury_reports(_wellness(dates, answers), max_gap_days=30)[
        lambda d: d["area"] == "left_foot"]["episode"].tolist() == [1, 1, 2, 2, 2]


def test_athletes_are_kept_apart():
    w = pd.concat([_wellness(["2020-01-01"], ["left_leg:minor"], "a"),
                   _wellness(["2020-01-08"], ["left_leg:minor"], "b")])
    r = sol.injury_reports(w)
    assert r["athlete_id"].tolist() == ["a", "b"] and r["new_episode"].all()


def test_on_pmsys_injury_exports(tmp_path):
    df = sol.read(DATA / "p01" / "pmsys" / "injury.csv", athlete_id="p01", tz="Europe/Oslo")
    r = sol.injury_reports(df)
    assert r[["area", "side", "body_part", "severity"]].values.tolist() == [
        ["right_hand", "right", "hand", "minor"]]
    assert r.attrs["questionnaires"]["p01"] == df["injury"].notna().sum() == 24
    # an export whose every answer is "no injury" gives an empty table with the same columns
    none = sol.injury_reports(
        sol.read(DATA / "p16" / "pmsys" / "injury.csv", athlete_id="p16", tz="Europe/Oslo"))
    assert none.empty and none.columns.tolist() == r.columns.tolist()


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="injury"):
        sol.injury_reports(pd.DataFrame({"athlete_id": ["a"], "date": [pd.Timestamp(0)]}))
