from pathlib import Path

import pandas as pd
import pytest

import soleus_analysis as sol

DATA = Path(__file__).parent / "data" / "hevy"


def test_hevy_kg_sets_types_and_session_duration():
    res = sol.read_all(DATA / "hevy_kg.csv", tz="Europe/Oslo")
    df = res.tables["strength_sets"]
    assert res.source == "hevy" and len(df) == 8
    assert df["set_type"].tolist()[:3] == ["warmup", "working", "drop"]
    assert df.loc[
        df["exercise_raw"] == "Standing Calf Raise (Smith Machine)", "set_type"
    ].tolist() == ["working", "failure"]
    assert df["set_index"].tolist()[:3] == [0, 1, 2]
    # 30 Nov 2024, 18:51 in Oslo (UTC+1)
    assert df["session_start"].iloc[0] == pd.Timestamp("2024-11-30 17:51", tz="UTC")
    assert df["session_duration_s"].iloc[0] == 49 * 60
    walk = df[df["exercise_raw"] == "Farmers Walk"].iloc[0]
    assert walk["distance_m"] == pytest.approx(40.0) and walk["duration_s"] == 45.0
    assert sol.validate(df, "strength_sets").ok
    assert len(res.tables["sessions"]) == 2 and sol.validate(res.tables["sessions"], "sessions").ok


def test_hevy_pounds_and_miles_converted():
    df = sol.read(DATA / "hevy_lbs_miles.csv")
    assert df["load_kg"].tolist() == pytest.approx(
        [90 * 0.45359237, 100 * 0.45359237, 70 * 0.45359237]
    )
    assert df["distance_m"].iloc[2] == pytest.approx(0.05 * 1609.344)
    assert (df["load_unit"] == "lb").all()


def test_hevy_bad_date_row_is_rejected_not_lost(tmp_path):
    text = (
        (DATA / "hevy_lbs_miles.csv")
        .read_text()
        .replace('"3 Jan 2025, 07:05"', '"2025-01-03 07:05"', 1)
    )
    p = tmp_path / "h.csv"
    p.write_text(text)
    df = sol.read(p)
    report = sol.validate(df, "strength_sets")
    assert len(df) == 3 and len(report.rejected) == 1
    assert any("date format" in n for n in df.attrs["notes"])


def test_hevy_source_on_a_strong_file_says_why():
    with pytest.raises(sol.InputError, match="not a Hevy export"):
        sol.read(DATA.parent / "strong" / "strong_newest_lbs.csv", source="hevy")
