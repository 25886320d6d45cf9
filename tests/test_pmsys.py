from pathlib import Path

import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.readers.pmsys import WELLNESS_SCALES

DATA = Path(__file__).parent / "data" / "pmdata"


def test_srpe_sessions():
    path = DATA / "p01" / "pmsys" / "srpe.csv"
    df = sol.read(path, athlete_id="p01", tz="Europe/Oslo")
    raw = pd.read_csv(path)
    assert df.attrs["table"] == "sessions" and len(df) == len(raw)
    first = df.iloc[0]
    assert first["activity"] == "running" and first["setting"] == "individual"
    assert first["duration_s"] == 30 * 60 and first["rpe"] == 7
    assert first["start"] == pd.Timestamp("2019-11-05 22:21:54.710", tz="UTC")
    report = sol.validate(df, "sessions")
    assert len(report.valid) + len(report.rejected) == len(raw)


def test_wellness_local_dates_and_scales():
    path = DATA / "p01" / "pmsys" / "wellness.csv"
    df = sol.read(path, athlete_id="p01", tz="Europe/Oslo")
    raw = pd.read_csv(path)
    assert len(df) == len(raw)
    assert df["date"].iloc[0] == pd.Timestamp("2019-11-01")
    assert df["fatigue"].tolist() == raw["fatigue"].astype(float).tolist()  # kept as logged
    assert WELLNESS_SCALES["fatigue"][:2] == (1, 5) and WELLNESS_SCALES["readiness"][:2] == (0, 10)
    assert sol.validate(df, "wellness").n_rows == len(raw)


def test_late_evening_report_belongs_to_the_local_day(tmp_path):
    p = tmp_path / "wellness.csv"
    p.write_text(
        "effective_time_frame,fatigue,mood,readiness,sleep_duration_h,sleep_quality,soreness,"
        "soreness_area,stress\n2019-11-01T23:30:00.000Z,3,3,5,7,3,3,[],3\n"
    )
    assert sol.read(p, tz="Europe/Oslo")["date"].item() == pd.Timestamp("2019-11-02")
    assert sol.read(p, tz="UTC")["date"].item() == pd.Timestamp("2019-11-01")


def test_injury_reports():
    df = sol.read(DATA / "p16" / "pmsys" / "injury.csv", tz="Europe/Oslo")
    assert df.attrs["table"] == "wellness" and "injury" in df
    assert set(df["injury"]) <= {"none"} | {v for v in df["injury"] if ":" in v}


def test_zero_rating_is_kept_and_rejected(tmp_path):
    p = tmp_path / "wellness.csv"
    p.write_text(
        "effective_time_frame,fatigue,mood,readiness,sleep_duration_h,sleep_quality,soreness,"
        "soreness_area,stress\n2019-12-12T10:50:32.079Z,0,0,0,0,0,0,[],0\n"
    )
    report = sol.validate(sol.read(p), "wellness")
    assert len(report.rejected) == 1 and "fatigue='0.0'" in report.rejected["reasons"].item()


def test_truncated_srpe_row_is_rejected_not_dropped(tmp_path):
    lines = (DATA / "p16" / "pmsys" / "srpe.csv").read_text().strip().splitlines()
    last = lines[-1]
    p = tmp_path / "srpe.csv"
    p.write_text("\n".join(lines[:-1]) + "\n" + last[: last.index(",") + 3])
    df = sol.read(p)
    report = sol.validate(df, "sessions")
    assert len(df) == len(lines) - 1
    assert len(lines) in report.rejected["source_row"].tolist()


@pytest.mark.parametrize("name", ["srpe.csv", "wellness.csv", "injury.csv"])
def test_pmsys_files_are_detected(name):
    assert sol.read_all(DATA / "p01" / "pmsys" / name).source == "pmsys"
