from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from tests.fitwriter import strength_file

DATA = Path(__file__).parent / "data" / "fit"
FILES = sorted(DATA.glob("*.fit"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_real_fit_run_reads_and_validates(path):
    df = sol.read(path, athlete_id="fitparse")
    assert df.attrs["table"] == "runs" and len(df) == 1
    assert sol.validate(df, "runs").ok


def test_five_fit_files():
    assert len(FILES) == 5


def test_summary_values_and_stream_metrics():
    df = sol.read(DATA / "activity-small-fenix2-run.fit")
    row = df.iloc[0]
    assert row["start"] == pd.Timestamp("2015-08-15 14:45:08", tz="UTC")
    assert row["distance_m"] == pytest.approx(9008.22)
    assert row["elapsed_time_s"] == 2832.0
    assert row["avg_cadence_spm"] == 162.0  # 2 x 81 strides/min
    assert row["moving_time_s"] <= row["elapsed_time_s"]
    assert 0.5 < row["efficiency_factor_m_per_beat"] < 2.0
    assert np.isfinite(row["decoupling_pct"]) and np.isfinite(row["pace_fade_pct"])
    assert any("UTC+2.0 h" in n for n in df.attrs["notes"])  # device clock vs the default zone


def test_relative_timestamps_are_anchored_on_local_time_in_the_zone():
    oslo = sol.read(DATA / "compressed-speed-distance.fit", tz="Europe/Oslo")
    utc = sol.read(DATA / "compressed-speed-distance.fit")
    assert utc["start"].iloc[0] - oslo["start"].iloc[0] == pd.Timedelta(hours=1)
    assert any("device-relative" in n for n in oslo.attrs["notes"])


def test_read_stream_columns_and_cadence_in_steps():
    s = sol.read_stream(DATA / "developer-types-sample.fit")
    for col in (
        "time",
        "elapsed_s",
        "distance_m",
        "speed_m_s",
        "heart_rate_bpm",
        "altitude_m",
        "cadence_spm",
    ):
        assert col in s
    assert len(s) == 3424 and str(s["time"].dt.tz) == "UTC"
    assert s["cadence_spm"].median() > 120  # steps per minute, not strides
    assert s["elapsed_s"].iloc[-1] == pytest.approx(3423.0, abs=2)


def test_strength_fit_sets_rest_and_session(tmp_path):
    sets = [
        dict(category=1, subtype=9, reps=12, weight_kg=20.0, duration_s=40),
        dict(rest=True, duration_s=90),
        dict(category=1, subtype=9, reps=10, weight_kg=22.5, duration_s=40, pounds=True),
        dict(category=1, subtype=6, reps=15, weight_kg=40.0, duration_s=45),
        dict(category=3, subtype=0, reps=None, weight_kg=24.0, duration_s=60),
    ]
    p = tmp_path / "strength.fit"
    p.write_bytes(strength_file(1710140400, sets))
    res = sol.read_all(p)
    df = res.tables["strength_sets"]
    assert res.main == "strength_sets" and len(df) == 4
    assert df["exercise_raw"].tolist()[:3] == [
        "single_leg_bent_knee_calf_raise",
        "single_leg_bent_knee_calf_raise",
        "seated_calf_raise",
    ]
    assert df["set_index"].tolist()[:3] == [0, 1, 0]
    assert df["rest_after_s"].iloc[0] == 90.0
    assert df["load_kg"].tolist()[:2] == [20.0, 22.5] and df["load_unit"].tolist()[:2] == [
        "kg",
        "lb",
    ]
    assert np.isnan(df["duration_s"].iloc[0]) and df["duration_s"].iloc[3] == 60.0
    assert (df["set_type"] == "working").all()
    assert sol.validate(df, "strength_sets").ok
    sessions = res.tables["sessions"]
    assert len(sessions) == 1 and sessions["duration_s"].item() == 40 + 90 + 40 + 45 + 60


def test_truncated_fit_is_a_clear_error(tmp_path):
    raw = (DATA / "2013-02-06-12-11-14.fit").read_bytes()
    p = tmp_path / "cut.fit"
    p.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(sol.InputError, match="truncated|damaged"):
        sol.read(p)


def test_damaged_fit_checksum(tmp_path):
    raw = bytearray((DATA / "garmin-fenix-5-run.fit").read_bytes())
    raw[-1] ^= 0xFF
    p = tmp_path / "bad.fit"
    p.write_bytes(bytes(raw))
    with pytest.raises(sol.InputError, match="damaged|checksum"):
        sol.read(p)


def test_csv_read_as_fit_says_not_a_fit_file(tmp_path):
    p = tmp_path / "run.fit"
    p.write_text("a,b\n1,2\n")
    with pytest.raises(sol.InputError, match="not a FIT file"):
        sol.read(p, source="fit")
