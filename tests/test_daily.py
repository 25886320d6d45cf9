"""Daily exposures joined to the next morning's wellness (soleus_analysis.daily)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.daily import daily_panel

T0 = pd.Timestamp("2024-05-06 17:00", tz="UTC")  # a Monday


def _session(day: int, activity: str, rpe=5.0, minutes=60.0, source="pmsys", hour=0.0):
    return {
        "athlete_id": "a",
        "start": T0 + pd.Timedelta(days=day, hours=hour),
        "activity": activity,
        "duration_s": minutes * 60.0,
        "rpe": rpe,
        "source": source,
    }


def _wellness(days, **values):
    out = pd.DataFrame(
        {"athlete_id": "a", "date": pd.Timestamp("2024-05-06") + pd.to_timedelta(days, "D")}
    )
    for name, column in values.items():
        out[name] = column
    return out


def test_yesterdays_strength_and_running_sit_next_to_todays_wellness():
    sessions = pd.DataFrame(
        [
            _session(0, "strength"),
            _session(2, "running", rpe=4.0, minutes=50.0),
            _session(3, "strength, running", rpe=6.0, minutes=30.0),
            _session(5, "endurance"),
        ]
    )
    runs = pd.DataFrame(
        {
            "athlete_id": "a",
            "start": [T0 + pd.Timedelta(days=2, minutes=2)],  # the watch's copy of day 2's run
            "distance_m": [8000.0],
            "moving_time_s": [2900.0],
            "source": "fitbit",
        }
    )
    wellness = _wellness(range(7), soreness=[3.0, 2.0, 4.0, 4.0, 2.0, 3.0, 4.0])
    d = daily_panel(sessions, runs, wellness=wellness, outcomes=["soreness"]).set_index("date")
    assert list(d.index) == list(pd.date_range("2024-05-06", "2024-05-11"))  # 1st..last session
    assert d["strength_session"].tolist() == [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    # the run is counted once, by its sRPE report (4 x 50 min); the combined session counts in both
    assert d["running_load_au"].tolist() == [0.0, 0.0, 200.0, 180.0, 0.0, 0.0]
    assert d["run_km"].tolist() == [0.0, 0.0, 8.0, 0.0, 0.0, 0.0]
    assert d["load_au"].tolist() == [300.0, 0.0, 200.0, 180.0, 0.0, 300.0]
    assert np.isnan(d["strength_yesterday"].iloc[0])  # the day before the record is unknown
    assert d["strength_yesterday"].tolist()[1:] == [1.0, 0.0, 0.0, 1.0, 0.0]
    assert d["running_load_yesterday_au"].tolist()[1:] == [0.0, 0.0, 200.0, 180.0, 0.0]
    assert d["run_km_yesterday"].tolist()[1:] == [0.0, 0.0, 8.0, 0.0, 0.0]
    assert d["soreness"].tolist() == [3.0, 2.0, 4.0, 4.0, 2.0, 3.0]
    assert d["wellness_reported"].all()
    assert d["status"].tolist() == ["training", "rest", "training", "training", "rest", "training"]


def test_gap_days_are_missing_not_zero_and_unknown_running_load_is_missing():
    # 20 silent days between two sessions are a gap (> 14 days without any record).
    sessions = pd.DataFrame(
        [_session(0, "strength"), _session(1, "running", rpe=np.nan), _session(22, "running")]
    )
    wellness = _wellness([0, 1, 2], fatigue=[3.0, 3.0, 3.0])
    d = daily_panel(sessions, wellness=wellness, outcomes=["fatigue"]).set_index("date")
    assert np.isnan(d.loc["2024-05-07", "running_load_au"])  # rated source, RPE missing
    assert d.loc["2024-05-07", "strength_session"] == 0.0
    gap = d["status"] == "gap"
    assert gap.sum() == 19  # days 3..21
    assert (
        d.loc[gap, ["strength_session", "running_load_au", "run_km", "load_au"]].isna().all().all()
    )
    assert np.isnan(d.loc["2024-05-28", "strength_yesterday"])  # day 22: yesterday was a gap
    assert not d.loc["2024-05-20", "wellness_reported"]


def test_days_are_local_days():
    # 23:30 UTC is 01:30 the next day in Oslo (summer time).
    late = _session(0, "strength", hour=6.5) | {"timezone": "Europe/Oslo"}
    sessions = pd.DataFrame([_session(-1, "running") | {"timezone": "Europe/Oslo"}, late])
    d = daily_panel(sessions, wellness=_wellness([0, 1], fatigue=[3.0, 3.0]), outcomes=["fatigue"])
    d = d.set_index("date")
    assert d.loc["2024-05-07", "strength_session"] == 1.0
    assert d.loc["2024-05-06", "strength_session"] == 0.0


def test_recovers_a_planted_next_day_effect_within_athletes():
    # 12 athletes x 80 days; strength on random days; next-morning soreness 0.5 points worse
    # (lower = more sore) after a strength day, 0.03 points per km run the day before.
    rng = np.random.default_rng(7)
    rows, well = [], []
    for k in range(12):
        athlete = f"x{k:02d}"
        base = rng.normal(3.5, 0.4)
        p_strength = rng.uniform(0.15, 0.45)
        strength_prev, km_prev = 0.0, 0.0
        for day in range(80):
            start = T0 + pd.Timedelta(days=day)
            lift = rng.random() < p_strength
            km = float(rng.choice([0.0, 5.0, 10.0, 15.0]))
            if lift:
                rows.append(
                    {
                        "athlete_id": athlete,
                        "start": start,
                        "activity": "strength",
                        "duration_s": 3600.0,
                        "rpe": 6.0,
                    }
                )
            if km:
                rows.append(
                    {
                        "athlete_id": athlete,
                        "start": start + pd.Timedelta("3h"),
                        "activity": "running",
                        "duration_s": km * 330.0,
                        "rpe": 4.0,
                    }
                )
            if day > 0 and rng.random() < 0.85:
                well.append(
                    {
                        "athlete_id": athlete,
                        "date": start.tz_convert(None).normalize(),
                        "soreness": base
                        - 0.5 * strength_prev
                        - 0.03 * km_prev
                        + rng.normal(0, 0.5),
                    }
                )
            strength_prev, km_prev = float(lift), km
    sessions = pd.DataFrame(rows)
    runs = sessions[sessions["activity"] == "running"].assign(
        distance_m=lambda s: s["duration_s"] / 330.0 * 1000.0, source="watch", rpe=np.nan
    )[["athlete_id", "start", "distance_m", "source"]]
    d = daily_panel(sessions, runs, wellness=pd.DataFrame(well), outcomes=["soreness"])
    fit = sol.fit_within_between(
        d,
        outcome="soreness",
        exposure="strength_yesterday",
        time="date",
        covariates=["run_km_yesterday"],
        step=1,
    )
    within = fit.effect("within")
    assert within["ci_low"] < -0.5 < within["ci_high"] and within["ci_high"] < 0
    km = fit.effect("run_km_yesterday_within")
    assert km["ci_low"] < -0.03 < km["ci_high"] and km["ci_high"] < 0
    r = sol.rmcorr(d, x="strength_yesterday", y="soreness", subject="athlete_id")
    assert r.r < -0.2 and r.n_athletes == 12


def test_missing_inputs_are_input_errors():
    sessions = pd.DataFrame([_session(0, "strength")])
    with pytest.raises(sol.InputError, match="lacks the column"):
        daily_panel(sessions, wellness=_wellness([0], fatigue=[3.0]), outcomes=["readiness"])
    with pytest.raises(sol.InputError, match="needs a wellness table"):
        daily_panel(sessions)
    unrated = pd.DataFrame([_session(0, "strength", rpe=np.nan)])
    with pytest.raises(sol.InputError, match="no session with an RPE"):
        daily_panel(unrated, wellness=_wellness([0], fatigue=[3.0]), outcomes=["fatigue"])
    assert len(daily_panel(sessions, outcomes=())) == 1
