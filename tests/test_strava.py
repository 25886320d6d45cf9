import csv
from pathlib import Path

import pandas as pd
import pytest

import soleus_analysis as sol

DATA = Path(__file__).parent / "data" / "strava"


def test_activities_csv_runs_and_sessions():
    res = sol.read_all(DATA / "activities.csv", athlete_id="s1", tz="Europe/Oslo")
    runs, sessions = res.tables["runs"], res.tables["sessions"]
    assert res.main == "runs" and len(runs) == 2 and len(sessions) == 4
    first = runs.iloc[0]
    assert first["start"] == pd.Timestamp("2020-10-07 14:43:11", tz="UTC")  # UTC, not shifted
    assert first["timezone"] == "Europe/Oslo"
    assert first["distance_m"] == 2034.5  # the second Distance column, metres
    assert first["elapsed_time_s"] == 750.0 and first["moving_time_s"] == 707.0
    assert first["avg_cadence_spm"] == 169.0 and first["rpe"] == 4.0
    assert runs["source_row"].tolist() == [2, 4]
    assert sessions["activity"].tolist() == ["run", "weight training", "run", "ride"]
    assert sessions["rpe"].iloc[1] == 7.0
    assert any("stream metrics from 1 activity file" in n for n in res.notes)
    assert sol.validate(runs, "runs").ok and sol.validate(sessions, "sessions").ok


def test_single_distance_column_needs_distance_unit(tmp_path):
    p = tmp_path / "activities.csv"
    with p.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(
            [
                "Activity ID",
                "Activity Date",
                "Activity Name",
                "Activity Type",
                "Elapsed Time",
                "Distance",
                "Moving Time",
            ]
        )
        w.writerow(["1", "20 Aug 2014, 17:38:32", "Run", "Run", "1800", "5.2", "1750"])
    with pytest.raises(sol.MissingUnitError, match="distance_unit"):
        sol.read(p)
    df = sol.read(p, distance_unit="mi")
    assert df["distance_m"].item() == pytest.approx(5.2 * 1609.344)
    assert df["start"].item() == pd.Timestamp("2014-08-20 17:38:32", tz="UTC")


def test_strava_header_fragment_is_not_strava(tmp_path):
    p = tmp_path / "a.csv"
    p.write_text("Activity ID,Activity Name\n1,x\n")
    with pytest.raises(sol.InputError, match="not a Strava"):
        sol.read(p, source="strava")
