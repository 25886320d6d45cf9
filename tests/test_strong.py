from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol

DATA = Path(__file__).parent / "data" / "strong"
KG_PER_LB = 0.45359237


def test_classic_without_weight_unit_fails_with_the_fix():
    with pytest.raises(sol.MissingUnitError) as err:
        sol.read(DATA / "strong_classic.csv")
    msg = str(err.value)
    assert "'Weight'" in msg and "weight_unit='kg'" in msg and "athletes.csv" in msg


def test_classic_sets_rest_timers_markers_and_times():
    df = sol.read(DATA / "strong_classic.csv", weight_unit="kg", tz="Europe/Oslo", athlete_id="a1")
    assert df.attrs["table"] == "strength_sets" and df.attrs["source"] == "strong"
    assert len(df) == 12  # 14 lines, 2 of them Rest Timer rows
    assert any("2 'Rest Timer' row(s)" in n for n in df.attrs["notes"])
    seated = df[df["exercise_raw"] == "Seated Calf Raise (Machine)"]
    assert seated["set_type"].tolist() == ["warmup", "working", "working", "drop"]
    assert seated["set_index"].tolist() == [0, 1, 2, 3]
    assert seated["rest_after_s"].tolist()[:2] == [pytest.approx(np.nan, nan_ok=True), 90.0]
    assert seated["source_row"].tolist() == [2, 3, 5, 6]  # line 4 is the Rest Timer
    assert df.loc[
        df["exercise_raw"] == "Standing Calf Raise (Smith Machine)", "set_type"
    ].tolist() == ["working", "failure"]
    # 07:02:11 in Oslo (CET, UTC+1) is 06:02:11 UTC
    assert df["session_start"].iloc[0] == pd.Timestamp("2024-03-04 06:02:11", tz="UTC")
    assert (df["timezone"] == "Europe/Oslo").all()
    assert (
        df["session_duration_s"].iloc[0] == 3840.0 and df["session_duration_s"].iloc[-1] == 2820.0
    )
    stretch = df[df["exercise_raw"].isin(["Calf Wall", "Calf Rubs"])]
    assert stretch["duration_s"].tolist() == [45.0, 60.0] and stretch["reps"].isna().all()
    report = sol.validate(df, "strength_sets")
    assert report.ok and len(report.valid) == 12


def test_classic_in_pounds_is_converted_and_unit_recorded():
    df = sol.read(DATA / "strong_classic.csv", weight_unit="lb")
    assert df["load_kg"].iloc[1] == pytest.approx(40 * KG_PER_LB)
    assert set(df["load_unit"].dropna()) == {"lb"}


def test_older_classic_without_notes_columns():
    df = sol.read(DATA / "strong_classic_old.csv", weight_unit="kg")
    assert len(df) == 3 and df["reps"].tolist() == [12.0, 11.0, 15.0]
    assert sol.validate(df, "strength_sets").ok


def test_newest_kg_with_bom_and_decimal_comma():
    res = sol.read_all(DATA / "strong_newest_kg.csv")
    df = res.tables["strength_sets"]
    assert any("decimal comma" in n for n in res.notes)
    assert df["load_kg"].tolist()[1:4] == [62.5, 62.5, 62.5]
    assert df["rpe"].iloc[1] == 8.5
    assert df["set_type"].tolist()[:4] == ["warmup", "working", "working", "failure"]
    walk = df[df["exercise_raw"] == "Farmer's Walk"].iloc[0]
    assert walk["distance_m"] == 40.0 and np.isnan(walk["reps"])
    assert res.tables["sessions"]["duration_s"].tolist() == [3840.0, 2820.0]
    assert sol.validate(df, "strength_sets").ok


def test_newest_lbs_converted():
    df = sol.read(DATA / "strong_newest_lbs.csv")
    assert df["load_kg"].tolist() == pytest.approx(
        [90 * KG_PER_LB, 100 * KG_PER_LB, 135 * KG_PER_LB]
    )
    assert (df["load_unit"] == "lb").all()


def test_old_semicolon_with_unit_columns():
    df = sol.read(DATA / "strong_semicolon_units.csv")
    assert df["load_kg"].tolist()[:3] == pytest.approx(
        [45 * KG_PER_LB, 90 * KG_PER_LB, 92.5 * KG_PER_LB]
    )
    assert df.loc[df["exercise_raw"] == "Standing Calf Raise (Dumbbell)", "load_kg"].item() == 22.5
    assert df.loc[df["exercise_raw"] == "Farmer's Walk", "distance_m"].item() == pytest.approx(50.0)
    assert df["rest_after_s"].iloc[1] == 60.0
    assert sol.validate(df, "strength_sets").ok


def test_german_headers_and_quoted_decimal_comma():
    df = sol.read(DATA / "strong_german.csv", weight_unit="kg")
    assert df["load_kg"].tolist() == [20.0, 42.5, 42.5, 80.0]
    assert df["set_type"].tolist() == ["warmup", "working", "working", "working"]
    assert df.attrs["notes"].count("Strong export, classic variant, de column names") == 1


def test_truncated_file_reads_and_validation_rejects_the_cut_row(tmp_path):
    text = (DATA / "strong_newest_lbs.csv").read_text()
    cut = tmp_path / "cut.csv"
    cut.write_text(text[: text.rindex('"Standing') + 20])  # ends inside the last row
    df = sol.read(cut)
    report = sol.validate(df, "strength_sets")
    assert len(df) == 3 and len(report.rejected) == 1
    assert report.rejected["source_row"].item() == 4


def test_unknown_set_marker_and_bad_date_are_kept_for_validation(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,RPE\n"
        "2024-01-02 10:00:00,A,30m,Seated Calf Raise,X,10,10,0,0,\n"
        "yesterday,A,30m,Seated Calf Raise,1,10,10,0,0,\n"
    )
    df = sol.read(p, weight_unit="kg")
    report = sol.validate(df, "strength_sets")
    assert len(report.rejected) == 2
    reasons = " ".join(report.rejected["reasons"])
    assert "set_type='X'" in reasons and "yesterday" in reasons


def test_dst_gap_time_is_left_missing_with_a_note(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,RPE\n"
        "2024-03-31 02:30:00,A,30m,Seated Calf Raise,1,10,10,0,0,\n"
    )
    df = sol.read(p, weight_unit="kg", tz="Europe/Oslo")
    assert df["session_start"].isna().all()
    assert any("daylight-saving" in n for n in df.attrs["notes"])
    assert not sol.validate(df, "strength_sets").ok


def test_classic_distance_needs_a_unit(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,RPE\n"
        "2024-01-02 10:00:00,A,30m,Farmer's Walk,1,24,0,0.04,0,\n"
    )
    with pytest.raises(sol.MissingUnitError, match="distance_unit"):
        sol.read(p, weight_unit="kg")
    df = sol.read(p, weight_unit="kg", distance_unit="km")
    assert df["distance_m"].item() == pytest.approx(40.0)


def test_wrong_file_type_for_strong_source():
    with pytest.raises(sol.InputError, match="not a text file"):
        sol.read(DATA.parent / "fit" / "garmin-fenix-5-run.fit", source="strong")


def test_a_numbered_set_repeated_exactly_is_rejected_as_a_duplicate(tmp_path):
    p = tmp_path / "s.csv"
    header = "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,RPE\n"
    p.write_text(
        header
        + "2024-01-02 10:00:00,A,30m,Seated Calf Raise,W,20,10,0,0,\n"
        + "2024-01-02 10:00:00,A,30m,Seated Calf Raise,W,20,10,0,0,\n"  # two equal warm-ups
        + "2024-01-02 10:00:00,A,30m,Seated Calf Raise,1,40,12,0,0,\n"
        + "2024-01-02 10:00:00,A,30m,Seated Calf Raise,1,40,12,0,0,\n"  # exported twice
        + "2024-01-02 10:00:00,A,30m,Seated Calf Raise,2,40,11,0,0,\n"
    )
    df = sol.read(p, weight_unit="kg")
    assert df["set_index"].tolist() == [0, 1, 2, 2, 3]
    assert any("repeat a numbered set" in n for n in df.attrs["notes"])
    report = sol.validate(df, "strength_sets")
    assert report.rejected["source_row"].tolist() == [5]
    assert "duplicate_set" in report.rejected["reasons"].item()


def test_german_decimal_comma_in_distance_only(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text(
        "Datum,Workout-Name,Dauer,Name der Übung,Reihenfolge festlegen,Gewicht,Wiederh.,"
        "Entfernung,Sekunden,Notizen,Workout-Notizen,RPE\n"
        '02.01.2024 10:00:00,A,30m,Soleus Walk,1,0,0,"0,035",0,,,\n'
        '02.01.2024 10:00:00,A,30m,Seated Calf Raise,1,40,12,0,0,,,"8,5"\n',
        encoding="utf-8",
    )
    df = sol.read(p, weight_unit="kg", distance_unit="km")
    assert df["distance_m"].tolist()[0] == pytest.approx(35.0)
    assert df["rpe"].tolist()[1] == 8.5
    assert sol.validate(df, "strength_sets").ok
