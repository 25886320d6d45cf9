from pathlib import Path

import gpxpy
import numpy as np
import pytest

import soleus_analysis as sol

DATA = Path(__file__).parent / "data" / "gpx"
FILES = sorted(DATA.glob("*.gpx"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name[:8])
def test_real_gpx_runs_read_and_validate(path):
    df = sol.read(path, athlete_id="runpandas")
    assert len(df) == 1 and df.attrs["source"] == "gpx"
    assert sol.validate(df, "runs").ok


def test_distance_matches_gpxpy_and_hr_comes_from_the_extension():
    path = DATA / "00978fad-85f8-4f1c-be44-2b7146ccbf76.gpx"
    df = sol.read(path)
    length = gpxpy.parse(path.read_text()).length_2d()
    assert df["distance_m"].item() == pytest.approx(length, rel=0.005)
    assert 120 < df["avg_hr_bpm"].item() < 200
    assert np.isfinite(df["efficiency_factor_m_per_beat"].item())


def test_gpx_without_heart_rate_has_no_ef():
    df = sol.read(DATA / "3472f2dc-150a-4dfd-8a76-7bc8f40e766e.gpx")
    assert np.isnan(df["avg_hr_bpm"].item()) and np.isnan(df["efficiency_factor_m_per_beat"].item())
    assert df["distance_m"].item() > 0


def test_gpx_stream():
    path = DATA / "26004849-dc57-4e48-bc16-11196ca043ad.gpx"
    text = path.read_text()
    s = sol.read_stream(path)
    assert len(s) == text.count("<trkpt ")
    assert s["heart_rate_bpm"].notna().sum() == text.count("<gpxtpx:hr>")
    assert (s["distance_m"].diff().dropna() >= 0).all()


def test_truncated_gpx_is_a_clear_error(tmp_path):
    text = (DATA / "26004849-dc57-4e48-bc16-11196ca043ad.gpx").read_text()
    p = tmp_path / "cut.gpx"
    p.write_text(text[: len(text) // 2])
    with pytest.raises(sol.InputError, match="truncated"):
        sol.read(p, source="gpx")
