import numpy as np
import pandas as pd
import pytest

from soleus_analysis.readers import streams


def _stream(speed, hr, *, dt=1.0):
    """Samples at 0, dt, 2dt, ...; interval k (ending at sample k) has speed[k-1] and hr[k-1]."""
    speed = np.asarray(speed, dtype=float)
    n = len(speed)
    dist = np.concatenate([[0.0], np.cumsum(speed * dt)])
    hr_all = np.concatenate([[np.asarray(hr, dtype=float)[0]], np.asarray(hr, dtype=float)])
    t = np.arange(n + 1) * dt
    return pd.DataFrame(
        {
            "time": pd.Timestamp("2024-05-01 07:00", tz="UTC") + pd.to_timedelta(t, unit="s"),
            "elapsed_s": t,
            "distance_m": dist,
            "speed_m_s": np.concatenate([[0.0], speed]),
            "heart_rate_bpm": hr_all,
            "altitude_m": np.nan,
            "cadence_spm": np.nan,
        }
    )


def test_constant_run_has_ef_speed_over_hr_and_no_drift():
    s = _stream(np.full(2400, 3.0), np.full(2400, 150.0))
    m = streams.run_metrics(s)
    assert m["moving_time_s"] == 2400.0
    assert m["efficiency_factor_m_per_beat"] == pytest.approx(180.0 / 150.0)
    assert m["decoupling_pct"] == pytest.approx(0.0)
    assert m["pace_fade_pct"] == pytest.approx(0.0)
    assert m["avg_pace_s_per_km"] == pytest.approx(1000 / 3.0)


def test_decoupling_excludes_warmup_and_splits_steady_running_in_halves():
    # 600 s warm-up at 2 m/s / 120 bpm (excluded), then 1200 s at 3 m/s / 150 bpm,
    # 1200 s at 160 bpm.
    speed = np.r_[np.full(600, 2.0), np.full(2400, 3.0)]
    hr = np.r_[np.full(600, 120.0), np.full(1200, 150.0), np.full(1200, 160.0)]
    s = _stream(speed, hr)
    ef1, ef2 = 180.0 / 150.0, 180.0 / 160.0
    assert streams.decoupling_pct(s) == pytest.approx(100 * (ef1 - ef2) / ef1)  # 6.25 %
    assert streams.efficiency_factor(s) == pytest.approx(180.0 / 155.0)


def test_pace_fade_compares_last_quarter_with_middle_half():
    speed = np.r_[np.full(1800, 3.0), np.full(600, 2.5)]
    s = _stream(speed, np.full(2400, 150.0))
    assert streams.pace_fade_pct(s) == pytest.approx(100 * (3.0 / 2.5 - 1))  # 20 %


def test_stops_are_not_moving_time():
    speed = np.r_[np.full(600, 3.0), np.zeros(120), np.full(600, 3.0)]
    s = _stream(speed, np.full(1320, 150.0))
    assert streams.moving_time_s(s) == 1200.0
    assert streams.run_metrics(s)["elapsed_time_s"] == 1320.0


def test_auto_pause_gap_without_distance_is_a_stop():
    s = pd.DataFrame({"elapsed_s": [0.0, 10, 20, 320, 330], "distance_m": [0.0, 30, 60, 61, 91]})
    assert streams.moving_time_s(s) == 30.0


def test_short_run_or_no_heart_rate_gives_nan_not_a_guess():
    short = _stream(np.full(900, 3.0), np.full(900, 150.0))
    assert np.isnan(streams.decoupling_pct(short))
    no_hr = _stream(np.full(2400, 3.0), np.full(2400, np.nan))
    assert np.isnan(streams.efficiency_factor(no_hr))
    assert streams.pace_fade_pct(no_hr) == pytest.approx(0.0)


def test_elevation_gain_ignores_noise_below_hysteresis():
    assert streams.elevation_gain_m(np.array([100.0, 101.0, 100.0, 101.5, 100.5])) == 0.0
    assert streams.elevation_gain_m(np.array([100.0, 103.0, 101.0, 106.0])) == 8.0
