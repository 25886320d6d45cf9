import json
from pathlib import Path

import pandas as pd
import pytest

import soleus_analysis as sol

DATA = Path(__file__).parent / "data" / "pmdata"


@pytest.mark.parametrize("participant", ["p01", "p16"])
def test_exercise_json_runs_and_sessions(participant):
    path = DATA / participant / "fitbit" / "exercise.json"
    items = json.loads(path.read_text())
    res = sol.read_all(path, athlete_id=participant, tz="Europe/Oslo")
    n_runs = sum(i["activityName"] in ("Run", "Treadmill") for i in items)
    assert len(res.tables["runs"]) == n_runs and len(res.tables["sessions"]) == len(items)
    report = sol.validate(res.tables["runs"], "runs")
    assert len(report.valid) >= n_runs - 2


def test_fitbit_units_and_local_time():
    path = DATA / "p01" / "fitbit" / "exercise.json"
    runs = sol.read(path, tz="Europe/Oslo")
    item = next(i for i in json.loads(path.read_text()) if i["logId"] == 26517400839)
    row = runs[runs["log_id"] == "26517400839"].iloc[0]
    assert row["distance_m"] == pytest.approx(item["distance"] * 1000)
    assert row["moving_time_s"] == item["activeDuration"] / 1000
    # 2019-11-05 22:40:41 in Oslo (UTC+1)
    assert row["start"] == pd.Timestamp("2019-11-05 21:40:41", tz="UTC")


def test_truncated_json_is_a_clear_error(tmp_path):
    text = (DATA / "p16" / "fitbit" / "exercise.json").read_text()
    p = tmp_path / "exercise.json"
    p.write_text(text[: len(text) // 2])
    with pytest.raises(sol.InputError, match="truncated"):
        sol.read(p)


def test_distance_without_unit(tmp_path):
    p = tmp_path / "exercise.json"
    p.write_text(
        json.dumps(
            [
                {
                    "logId": 1,
                    "activityName": "Run",
                    "startTime": "2019-11-05 22:40:41",
                    "duration": 1000000,
                    "activeDuration": 1000000,
                    "distance": 3.2,
                }
            ]
        )
    )
    with pytest.raises(sol.MissingUnitError):
        sol.read(p)
    assert sol.read(p, distance_unit="km")["distance_m"].item() == pytest.approx(3200)
