import math

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol

NAN = np.nan


@pytest.fixture
def runs():
    return pd.DataFrame(
        {
            "athlete_id": ["a"] * 5,
            # Mon, Wed, Fri, Sun 23:30 local Oslo (= Sun 21:30 UTC), and the Monday after.
            "start": pd.to_datetime(
                [
                    "2024-05-06T06:00Z",
                    "2024-05-08T06:00Z",
                    "2024-05-10T06:00Z",
                    "2024-05-12T21:30Z",
                    "2024-05-13T06:00Z",
                ]
            ).as_unit("us"),
            "distance_m": [10000.0, 5000.0, 21000.0, 5000.0, 8000.0],
            "moving_time_s": [3300.0, 1800.0, 6300.0, 1350.0, NAN],
            "elapsed_time_s": [3400.0, 1900.0, 6500.0, 1400.0, 2800.0],
            "avg_hr_bpm": [140.0, 135.0, 150.0, 175.0, NAN],
            "efficiency_factor_m_per_beat": [NAN, 1.5, 1.4, NAN, NAN],
            "decoupling_pct": [NAN, 1.0, 4.0, NAN, NAN],
            "pace_fade_pct": [NAN, 0.5, 3.0, NAN, NAN],
            "rpe": [3.0, NAN, 6.0, 8.0, NAN],
            "timezone": "Europe/Oslo",
        }
    )


HRMAX = pd.DataFrame({"athlete_id": ["a"], "hr_max_bpm": [190.0]})


def test_run_metrics_hand_computed(runs):
    m = sol.run_metrics(runs, HRMAX)
    np.testing.assert_allclose(m["pace_s_per_km"], [330.0, 360.0, 300.0, 270.0, 350.0])
    # 0.80 x 190 = 152 bpm: the 175-bpm run is not easy; the run without HR cannot be told.
    assert m["easy"].tolist()[:4] == [True, True, True, False] and m["easy"].isna().tolist()[4]
    assert set(m["easy_rule"]) == {"hr"}
    # Summary EF of run 0: (10000 m / 55 min) / 140 bpm; runs 1 and 2 keep their stream EF.
    assert m["efficiency_factor_m_per_beat"].iloc[0] == pytest.approx(10000 / 55 / 140)
    assert m["ef_source"].tolist()[:4] == ["summary", "stream", "stream", "summary"]
    assert m["long_run"].tolist() == [False, False, True, False, False]
    assert m["time_min"].iloc[4] == pytest.approx(2800 / 60)  # elapsed when no moving time


def test_weekly_runs_hand_computed(runs):
    w = sol.weekly_runs(runs, HRMAX)
    assert w["week_start"].dt.strftime("%m-%d").tolist() == ["05-06", "05-13"]
    first = w.iloc[0]
    assert first["n_runs"] == 4 and first["run_distance_km"] == pytest.approx(41.0)
    assert first["run_time_min"] == pytest.approx((3300 + 1800 + 6300 + 1350) / 60)
    # Easy pace is total time / total distance of the easy runs, not the mean of their paces.
    assert first["easy_pace_s_per_km"] == pytest.approx((3300 + 1800 + 6300) / 36.0)
    assert first["easy_runs"] == 3 and first["long_runs"] == 1
    assert first["efficiency_factor_m_per_beat"] == pytest.approx(
        np.mean([10000 / 55 / 140, 1.5, 1.4, 5000 / 22.5 / 175])
    )
    assert first["decoupling_pct"] == pytest.approx(4.0)  # long runs only
    assert first["pace_fade_pct"] == pytest.approx(3.0)
    assert first["run_rpe"] == pytest.approx((3 + 6 + 8) / 3)
    second = w.iloc[1]
    assert math.isnan(second["easy_pace_s_per_km"]) and second["easy_runs"] == 0
    assert math.isnan(second["run_rpe"]) and math.isnan(second["decoupling_pct"])


def test_pace_rule_without_hr_max(runs):
    m = sol.run_metrics(runs)  # no athletes table: pace rule, median pace 330 s/km
    assert m["easy"].tolist() == [True, True, False, False, True]
    assert set(m["easy_rule"]) == {"pace"}
    forced = sol.run_metrics(runs, HRMAX, easy="pace")
    assert forced["easy"].tolist() == m["easy"].tolist()
    hr_only = sol.run_metrics(runs, easy="hr")  # no HRmax: nothing can be called easy
    assert hr_only["easy"].isna().all()
    with pytest.raises(ValueError, match="easy-run rule"):
        sol.run_metrics(runs, easy="slow")


def test_lower_share_makes_fewer_runs_easy(runs):
    strict = sol.run_metrics(runs, HRMAX, easy_hr_share=0.72)  # 136.8 bpm
    assert strict["easy"].tolist()[:4] == [False, True, False, False]
