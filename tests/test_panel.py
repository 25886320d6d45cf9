import math

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol

NAN = np.nan
W1, W2, W3, W4 = (pd.Timestamp(d) for d in ("2024-05-06", "2024-05-13", "2024-05-20", "2024-05-27"))


# ---------------------------------------------------------------- within/between and lags
def test_within_between_hand_computed_with_window():
    p = pd.DataFrame(
        {
            "athlete_id": ["a", "a", "a", "b", "b"],
            "week_start": [W1, W2, W3, W1, W2],
            "x": [1.0, 3.0, 8.0, 10.0, NAN],
        }
    )
    out = sol.within_between(p, ["x"])
    np.testing.assert_allclose(out["x_between"], [4.0, 4.0, 4.0, 10.0, 10.0])
    np.testing.assert_allclose(out["x_within"], [-3.0, -1.0, 4.0, 0.0, NAN])
    windowed = sol.within_between(p, ["x"], window=(W1, W2))
    np.testing.assert_allclose(windowed["x_between"], [2.0, 2.0, 2.0, 10.0, 10.0])
    np.testing.assert_allclose(windowed["x_within"], [-1.0, 1.0, 6.0, 0.0, NAN])
    masked = sol.within_between(p, ["x"], window=p["week_start"].ge(W2).to_numpy())
    np.testing.assert_allclose(masked["x_between"], [5.5, 5.5, 5.5, NAN, NAN])
    assert list(p.columns) == ["athlete_id", "week_start", "x"]  # input untouched
    with pytest.raises(ValueError, match="window"):
        sol.within_between(p, ["x"], window=5)


def test_lags_follow_the_calendar_not_the_rows():
    p = pd.DataFrame(
        {
            "athlete_id": ["a", "a", "a", "b", "b"],
            "week_start": [W1, W2, W4, W1, W2],
            "x": [1.0, 2.0, 4.0, 10.0, 20.0],
        }
    )
    out = sol.add_lags(p, ["x"], [1, 2])
    np.testing.assert_array_equal(out["x_lag1"], [NAN, 1.0, NAN, NAN, 10.0])  # W3 is missing
    np.testing.assert_array_equal(out["x_lag2"], [NAN, NAN, 2.0, NAN, NAN])
    shuffled = sol.add_lags(p.iloc[[4, 2, 0, 3, 1]], ["x"], [1, 2]).sort_index()
    pd.testing.assert_frame_equal(shuffled, out)
    with pytest.raises(ValueError, match="positive"):
        sol.add_lags(p, ["x"], [0])
    with pytest.raises(ValueError, match="duplicates"):
        sol.add_lags(pd.concat([p, p.iloc[[0]]]), ["x"], [1])


# ---------------------------------------------------------------- build_panel
def _sets(athlete, when, name="Seated Calf Raise", reps=20.0, load=40.0, n=3):
    return pd.DataFrame(
        {
            "athlete_id": athlete,
            "session_start": pd.Timestamp(when, tz="UTC"),
            "exercise_raw": name,
            "set_index": range(n),
            "set_type": "working",
            "reps": reps,
            "load_kg": load,
            "duration_s": NAN,
            "distance_m": NAN,
            "rpe": NAN,
        }
    )


def _runs(athlete, whens, km=10.0):
    return pd.DataFrame(
        {
            "athlete_id": athlete,
            "start": pd.to_datetime(whens, utc=True),
            "distance_m": km * 1000,
            "moving_time_s": km * 330.0,
            "avg_hr_bpm": 140.0,
        }
    )


@pytest.fixture
def tables():
    sets = pd.concat(
        [
            _sets("a", "2024-05-15 07:00"),  # a: strength in W2 only
            _sets("b", "2024-05-07 07:00"),
            _sets(
                "b", "2024-05-21 07:00", name="Single Leg Standing Calf Raise", load=0.0, n=2
            ),  # b: W1 and W3
        ],
        ignore_index=True,
    )
    sets["session_start"] = sets["session_start"].dt.as_unit("us")
    runs = pd.concat(
        [
            _runs("a", ["2024-05-07 06:00", "2024-05-22 06:00", "2024-05-29 06:00"]),
            _runs("b", ["2024-05-08 06:00"]),
        ],
        ignore_index=True,
    )
    runs["start"] = runs["start"].dt.as_unit("us")
    wellness = pd.DataFrame(
        {
            "athlete_id": "a",
            "date": pd.date_range("2024-05-13", periods=4).as_unit("us"),
            "fatigue": [2.0, 3.0, 4.0, 3.0],
            "soreness": 2.0,
        }
    )
    athletes = pd.DataFrame(
        {"athlete_id": ["a", "b"], "body_mass_kg": [70.0, NAN], "hr_max_bpm": [190.0, 185.0]}
    )
    return sets, runs, wellness, athletes


def test_panel_grid_zeros_and_missing_values(tables):
    sets, runs, wellness, athletes = tables
    p = sol.build_panel(sets, runs, wellness, athletes=athletes, lags=(1, 2))
    a = p[p["athlete_id"] == "a"].set_index("week_start")
    b = p[p["athlete_id"] == "b"].set_index("week_start")
    assert a.index.tolist() == [W1, W2, W3, W4]  # first to last week with any record
    assert b.index.tolist() == [W1, W2, W3]
    # a logged strength only in W2: its dose elsewhere is unknown, not 0.
    assert a["soleus_sets"].isna().tolist() == [True, False, True, True]
    assert a.loc[W2, "soleus_sets"] == pytest.approx(3 * 0.85)
    # b logged strength in W1 and W3: the W2 without sets is a 0.
    assert b["soleus_sets"].tolist() == pytest.approx([2.55, 0.0, 1.3])
    # Running: a ran in W1, W3 and W4, so W2 is a week without runs (0) inside its running record.
    assert a["n_runs"].tolist() == [1.0, 0.0, 1.0, 1.0]
    assert b["n_runs"].isna().tolist() == [False, True, True]
    # Outcomes are missing in weeks without data.
    assert math.isnan(a.loc[W2, "easy_pace_s_per_km"]) and a.loc[
        W1, "easy_pace_s_per_km"
    ] == pytest.approx(330)
    assert a.loc[W2, "fatigue"] == pytest.approx(3.0) and a.loc[W2, "wellness_days"] == 4
    assert a["wellness_days"].isna().tolist() == [True, False, True, True]
    # b has no body mass: the single-leg raise week has an unknown volume, the seated week a
    # known one.
    assert b.loc[W1, "soleus_volume_kg"] == pytest.approx(3 * 20 * 40 * 0.85)
    assert math.isnan(b.loc[W3, "soleus_volume_kg"])
    assert b.loc[W2, "soleus_volume_kg"] == 0.0
    assert p.attrs["ewma_convention"] == "williams" and p.attrs["lags"] == [1, 2]
    assert sol.validate(p, "athlete_week").ok


def test_lagged_exposures_are_centred_after_lagging(tables):
    sets, runs, wellness, athletes = tables
    p = sol.build_panel(sets, runs, wellness, athletes=athletes, lags=(1,))
    b = p[p["athlete_id"] == "b"].reset_index(drop=True)
    np.testing.assert_allclose(b["soleus_sets_lag1"], [NAN, 2.55, 0.0])
    # The between part of the lag is the mean of the lagged column (1.275), not of the column
    # (1.283).
    np.testing.assert_allclose(b["soleus_sets_lag1_between"], [1.275] * 3)
    np.testing.assert_allclose(b["soleus_sets_lag1_within"], [NAN, 1.275, -1.275])
    np.testing.assert_allclose(b["soleus_sets_between"], [(2.55 + 1.3) / 3] * 3)
    for col in ["soleus_sets_lag2", "n_runs_lag1"]:
        assert col not in p.columns


def test_panel_dose_equals_weekly_dose_of_the_sets(tables):
    sets, runs, wellness, athletes = tables
    p = sol.build_panel(sets, runs, wellness, athletes=athletes).set_index(
        ["athlete_id", "week_start"]
    )
    truth = sol.weekly(sol.soleus_dose(sets, athletes)).set_index(["athlete_id", "week_start"])
    for col in [
        "soleus_sets",
        "soleus_reps",
        "soleus_volume_kg",
        "soleus_tut_s",
        "calf_sets",
        "strength_sessions",
    ]:
        pd.testing.assert_series_equal(
            p.loc[truth.index, col], truth[col].astype(float), check_names=False
        )


def test_weekly_srpe_load_needs_five_recorded_days():
    days = pd.date_range("2024-05-06 07:00", periods=14, freq="D", tz="UTC").as_unit("us")
    sessions = pd.DataFrame(
        {"athlete_id": "a", "start": days, "activity": "running", "duration_s": 3600.0, "rpe": 5.0}
    )
    sessions.loc[[9, 10, 11], "rpe"] = np.nan  # reported without a rating
    sessions = sessions.iloc[[0, 2, 4, 5, 6, 7, 9, 10, 11, 13]]  # week 1: rest on 7 and 9 May
    runs = pd.DataFrame({"athlete_id": "a", "start": days[[12]], "moving_time_s": 1800.0})
    p = sol.build_panel(None, runs, None, sessions, lags=())
    # Week 1: 7 recorded days, 5 with 300 AU and 2 rest days. Week 2: sessions without RPE on
    # 15-17 May make those days unknown; 13, 14, 18 (a run outside the sRPE record: rest) and 19
    # May are known: 4 of 7 days, so the week's load is missing.
    assert p["srpe_load_au"].iloc[0] == pytest.approx(1500.0)
    assert math.isnan(p["srpe_load_au"].iloc[1])
    assert math.isnan(p["n_runs"].iloc[0]) and p["n_runs"].iloc[1] == 1.0  # runs logged from week 2
    assert p.attrs["ewma_convention"] == "williams"


def test_panel_parameters_and_errors(tables):
    sets, runs, wellness, athletes = tables
    p = sol.build_panel(
        sets,
        runs,
        wellness,
        athletes=athletes,
        lags=(1,),
        ewma="exponential",
        exposures=["soleus_sets"],
        lag_columns=["calf_sets"],
    )
    assert p.attrs["ewma_convention"] == "exponential"
    assert "calf_sets_lag1_within" in p.columns and "soleus_sets_lag1" not in p.columns
    assert "run_distance_km_within" not in p.columns
    with pytest.raises(ValueError, match="unknown exposure"):
        sol.build_panel(sets, exposures=["pace"])
    with pytest.raises(sol.InputError, match="no rows"):
        sol.build_panel(None)


def test_window_restricts_the_person_mean(tables):
    sets, runs, wellness, athletes = tables
    p = sol.build_panel(sets, athletes=athletes, lags=(), window=(W1, W2))
    b = p[p["athlete_id"] == "b"]
    np.testing.assert_allclose(b["soleus_sets_between"], [1.275] * 3)
    np.testing.assert_allclose(b["soleus_sets_within"], [1.275, -1.275, 1.3 - 1.275], atol=1e-6)


def test_fast_lags_on_a_complete_grid_equal_the_calendar_match():
    rng = np.random.default_rng(8)
    parts = []
    for athlete, n in (("a", 6), ("b", 1), ("c", 9)):
        parts.append(
            pd.DataFrame(
                {
                    "athlete_id": athlete,
                    "week_start": pd.date_range("2024-01-01", periods=n, freq="7D"),
                    "x": rng.normal(size=n),
                }
            )
        )
    grid = pd.concat(parts, ignore_index=True)
    grid.loc[3, "x"] = np.nan
    fast = sol.add_lags(grid, ["x"], [1, 2, 5])  # sorted complete grid
    slow = sol.add_lags(grid.iloc[::-1], ["x"], [1, 2, 5]).sort_index()  # reversed: calendar match
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    wb = sol.within_between(grid, ["x"])
    expected = grid.groupby("athlete_id")["x"].transform("mean")
    np.testing.assert_allclose(wb["x_between"], expected)


# ---------------------------------------------------------------- exponentially weighted averages
def test_ewma_reproduces_the_simulators_adaptation_and_chronic_load():
    sim = sol.simulate_panel(30, 30, rng=7)
    p = sim.panel
    # soleus adaptation: S_t = rho S_{t-1} + (1 - rho) x_t from S_{-1} = 0, tau = 4 weeks
    s = sol.add_ewma(p, ["soleus_sets"], weeks=4, include_current=True, start=0)
    np.testing.assert_allclose(s["soleus_sets_ewma"], p["true_adaptation_sets"], atol=1e-9)
    # chronic running load: previous weeks only, tau = 6; the simulator starts it stationary at
    # the athlete's usual volume, which the record does not show: close once weeks have passed
    c = sol.add_ewma(p, ["run_distance_km"], weeks=6, suffix="_chronic")
    assert c["run_distance_km_chronic"][p["week"] == 0].isna().all()
    late = p["week"] >= 12
    diff = (c["run_distance_km_chronic"] - p["chronic_distance_km"])[late]
    assert diff.abs().mean() < 0.03 * p["chronic_distance_km"][late].std()  # tau = 2: 0.1
    corr = np.corrcoef(c["run_distance_km_chronic"][late], p["chronic_distance_km"][late])
    assert corr[0, 1] > 0.999


def test_ewma_gaps_get_no_weight_and_the_future_is_never_used():
    p = pd.DataFrame({"athlete_id": ["a", "a", "a", "b", "b"],
                      "week_start": [W1, W2, W4, W1, W2],
                      "x": [10.0, NAN, 30.0, 4.0, 8.0]})
    rho = math.exp(-1 / 2)
    out = sol.add_ewma(p, ["x"], weeks=2, include_current=True)
    # a: W2 missing, W3 absent: W4 = (30 + rho^3 10) / (1 + rho^3)
    assert out["x_ewma"].tolist()[:2] == [10.0, 10.0]
    assert out["x_ewma"].iloc[2] == pytest.approx((30 + rho**3 * 10) / (1 + rho**3))
    assert out["x_ewma"].iloc[4] == pytest.approx((8 + rho * 4) / (1 + rho))
    before = sol.add_ewma(p, ["x"], weeks=2)["x_ewma"]
    assert np.isnan(before.iloc[0]) and before.iloc[2] == pytest.approx(10.0)
    changed = sol.add_ewma(p.assign(x=[10.0, NAN, 999.0, 4.0, 8.0]), ["x"], weeks=2)["x_ewma"]
    pd.testing.assert_series_equal(changed, before)
    # an athlete who never logged x stays unknown, even with a start level
    never = pd.concat([p, pd.DataFrame({"athlete_id": "c", "week_start": [W1, W2], "x": NAN})])
    out = sol.add_ewma(never, ["x"], weeks=2, include_current=True, start=0)
    assert out.loc[out["athlete_id"] == "c", "x_ewma"].isna().all()
    assert out.loc[out["athlete_id"] == "a", "x_ewma"].iloc[0] == pytest.approx(
        (1 - rho) * 10.0)


def test_ewma_refuses_bad_arguments():
    p = pd.DataFrame({"athlete_id": ["a", "a"], "week_start": [W1, W1], "x": [1.0, 2.0]})
    with pytest.raises(ValueError, match="duplicates"):
        sol.add_ewma(p, ["x"], weeks=2)
    with pytest.raises(ValueError, match="positive"):
        sol.add_ewma(p.iloc[:1], ["x"], weeks=0)
    with pytest.raises(ValueError, match="start"):
        sol.add_ewma(p.iloc[:1], ["x"], weeks=2, start="zero")
    with pytest.raises(sol.InputError, match="lacks"):
        sol.add_ewma(p.iloc[:1], ["y"], weeks=2)
