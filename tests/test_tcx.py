from pathlib import Path

import pandas as pd
import pytest

import soleus_analysis as sol

DATA = Path(__file__).parent / "data" / "tcx"


def test_tcx_runs_read_with_lap_summary_and_stream_metrics():
    df = sol.read(DATA / "11km.tcx", athlete_id="runpandas")
    row = df.iloc[0]
    assert row["start"] == pd.Timestamp("2021-03-21 09:11:19", tz="UTC")
    assert row["distance_m"] == pytest.approx(11047.3, abs=1)
    assert 150 < row["avg_cadence_spm"] < 200  # RunCadence doubled
    assert pd.notna(row["decoupling_pct"]) and pd.notna(row["pace_fade_pct"])
    assert sol.validate(df, "runs").ok
    sample = sol.read(DATA / "sample.tcx")
    assert sample["max_hr_bpm"].item() == 189.0 and sol.validate(sample, "runs").ok


def test_tcx_stream_has_heart_rate():
    s = sol.read_stream(DATA / "sample.tcx")
    assert len(s) == (DATA / "sample.tcx").read_text().count("<Trackpoint>")
    assert s["heart_rate_bpm"].notna().all()


def test_truncated_tcx_is_a_clear_error(tmp_path):
    text = (DATA / "sample.tcx").read_text()
    p = tmp_path / "cut.tcx"
    p.write_text(text[: len(text) // 3])
    with pytest.raises(sol.InputError, match="truncated"):
        sol.read(p, source="tcx")


def test_tcx_that_is_not_tcx(tmp_path):
    p = tmp_path / "x.tcx"
    p.write_text("<?xml version='1.0'?><kml></kml>")
    with pytest.raises(sol.InputError, match="not a TCX file"):
        sol.read(p, source="tcx")
