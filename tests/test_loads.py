import math

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol

NAN = np.nan


def _daily(loads, athlete="a", start="2024-01-01"):
    return pd.DataFrame(
        {
            "athlete_id": athlete,
            "date": pd.date_range(start, periods=len(loads), freq="D").as_unit("us"),
            "load_au": np.asarray(loads, dtype=float),
        }
    )


# ------------------------------------------------------------- EWMA conventions (docs/methods.md)
def test_lambdas_match_the_worked_numbers_in_methods():
    assert sol.ewma_lambda(7, "williams") == 0.25
    assert round(sol.ewma_lambda(28, "williams"), 3) == 0.069
    assert round(sol.ewma_lambda(42, "exponential"), 6) == 0.023528
    assert round(sol.ewma_lambda(7, "exponential"), 6) == 0.133122
    assert sol.ewma_lambda(42, "simple") == pytest.approx(1 / 42)
    with pytest.raises(ValueError, match="unknown EWMA convention"):
        sol.ewma_lambda(7, "banister")
    with pytest.raises(ValueError, match="positive"):
        sol.ewma_lambda(0)


def test_ewma_hand_computed():
    # lambda 0.25: 0.25*100 = 25; 0.75*25 = 18.75; missing day: unchanged;
    # 0.25*200 + 0.75*18.75 = 64.0625
    assert sol.ewma([100, 0, NAN, 200], span=7).tolist() == [25.0, 18.75, 18.75, 64.0625]
    assert sol.ewma([NAN, NAN], span=7, seed=5.0).tolist() == [5.0, 5.0]
    # Exponential, tau 42: after one day of 100 from 0: 100 * 0.023528
    assert sol.ewma([100.0], span=42, convention="exponential")[0] == pytest.approx(
        2.3528, abs=1e-4
    )
    assert sol.ewma([10.0], span=7, seed=100.0)[0] == pytest.approx(0.25 * 10 + 0.75 * 100)


@pytest.mark.parametrize("convention", ["williams", "exponential", "simple"])
def test_ewma_agrees_with_the_textbook_loop(convention):
    rng = np.random.default_rng(4)
    x = rng.gamma(2.0, 150.0, 400)
    x[rng.random(400) < 0.2] = NAN
    lam = sol.ewma_lambda(28, convention)
    e, ref = 0.0, []
    for v in x:
        if not math.isnan(v):
            e = lam * v + (1 - lam) * e
        ref.append(e)
    np.testing.assert_allclose(sol.ewma(x, span=28, convention=convention), ref, rtol=1e-12)


# ---------------------------------------------------------------- session RPE and double counting
T = pd.Timestamp("2024-05-06 07:00", tz="UTC")


def test_session_rpe_sources_and_double_counting_rule():
    sessions = pd.DataFrame(
        {
            "athlete_id": ["a", "b"],
            "start": [T, T],
            "activity": ["running", "soccer"],
            "duration_s": [3000.0, 5400.0],
            "rpe": [4.0, 6.0],
        }
    )
    runs = pd.DataFrame(
        {
            "athlete_id": ["a", "a", "c"],
            "start": [T + pd.Timedelta("20min"), T + pd.Timedelta("3h"), T],
            "moving_time_s": [NAN, 1800.0, 1200.0],
            "elapsed_time_s": [2900.0, 1900.0, 1300.0],
            "rpe": [5.0, 6.0, NAN],
        }
    )
    sets = pd.DataFrame(
        {
            "athlete_id": ["a", "a", "c"],
            "session_start": [T + pd.Timedelta("1D")] * 2 + [T + pd.Timedelta("2D")],
            "exercise_raw": "Seated Calf Raise",
            "rpe": [9.0, 9.0, 9.0],
            "session_duration_s": [2400.0, 2400.0, 1800.0],
            "session_rpe": [7.0, 7.0, NAN],
        }
    )
    out = sol.session_loads(sessions, runs, sets).set_index(["athlete_id", "table", "row"])
    assert out.loc[("a", "sessions", 0), "load_au"] == 200.0  # 4 x 50 min
    assert out.loc[("b", "sessions", 1), "load_au"] == 540.0  # 6 x 90 min
    dup = out.loc[("a", "runs", 0)]
    assert not dup["counted"] and dup["duplicate_of"] == "sessions row 0"
    assert dup["duration_min"] == pytest.approx(2900 / 60)  # elapsed when no moving time
    later = out.loc[("a", "runs", 1)]
    assert later["counted"] and later["load_au"] == 180.0  # 3 h later: another session
    assert out.loc[("c", "runs", 2), "counted"]  # other athlete: never matched
    assert math.isnan(out.loc[("c", "runs", 2), "load_au"])  # no RPE: unknown load
    assert out.loc[("a", "strength_sets", 0), "load_au"] == 280.0  # session RPE 7 x 40 min
    assert math.isnan(
        out.loc[("c", "strength_sets", 2), "load_au"]
    )  # a set's RPE is not a session RPE


def test_no_input_gives_an_empty_table():
    assert sol.session_loads().empty
    assert sol.daily_load().empty


# ---------------------------------------------------------------- rest days vs unrecorded days
def _sessions(days, loads=None, athlete="a", hour=7, zone=None):
    start = (
        pd.Timestamp("2024-05-06", tz="UTC")
        + pd.to_timedelta(days, unit="D")
        + pd.Timedelta(hours=hour)
    )
    rpe = [5.0] * len(days) if loads is None else [load / 60 for load in loads]
    df = pd.DataFrame(
        {
            "athlete_id": athlete,
            "start": start,
            "activity": "running",
            "duration_s": 3600.0,
            "rpe": rpe,
        }
    )
    if zone:
        df["timezone"] = zone
    return df


def test_rest_days_are_zero_and_unknown_loads_missing():
    s = _sessions([0, 3])
    unrated = _sessions([1]).assign(rpe=NAN)  # the sRPE app's session without its rating
    tracker = pd.DataFrame(
        {
            "athlete_id": ["a", "a"],
            "start": pd.to_datetime(["2024-05-08 18:00", "2024-05-09 07:10"], utc=True),
            "moving_time_s": [1800.0, 1700.0],
            "source": "gpx",
        }
    )  # runs from a source that never rates sessions
    d = sol.daily_load(pd.concat([s, unrated], ignore_index=True), tracker)
    assert d["date"].dt.strftime("%d").tolist() == ["06", "07", "08", "09"]
    # 7 May: the instrument's own session has no RPE, so the day's load is unknown. 8 May: only a
    # run the sRPE record does not know; counted as unrated, the load stays the record's (0).
    assert d["status"].tolist() == ["training", "unknown_load", "rest", "training"]
    np.testing.assert_array_equal(d["load_au"].to_numpy(), [300.0, NAN, 0.0, 300.0])
    assert d["unrated_sessions"].tolist() == [0, 0, 1, 0]  # the 9 May run is the rated session
    assert d["week_start"].eq(pd.Timestamp("2024-05-06")).all()
    loads = sol.session_loads(pd.concat([s, unrated], ignore_index=True), tracker)
    assert loads.set_index(["table", "row"]).loc[("runs", 1), "duplicate_of"] == "sessions row 1"
    assert not loads.loc[loads["source"] == "gpx", "rated_source"].any()


def test_long_silence_is_a_gap_unless_other_records_show_logging():
    s = _sessions([0, 20])
    d = sol.daily_load(s)
    assert len(d) == 21
    assert (d["status"].iloc[1:20] == "gap").all() and d["load_au"].iloc[1:20].isna().all()
    wellness = pd.DataFrame(
        {"athlete_id": "a", "date": pd.to_datetime(["2024-05-13", "2024-05-20"]).as_unit("us")}
    )
    d = sol.daily_load(s, wellness=wellness)
    assert (d["status"].iloc[1:20] == "rest").all() and (d["load_au"].iloc[1:20] == 0).all()
    assert sol.daily_load(s, max_gap_days=None)["load_au"].iloc[1:20].eq(0).all()


def test_daily_load_uses_local_days():
    s = _sessions([0], hour=23, zone="Australia/Sydney")  # 23:00 UTC on the 6th = 09:00 on the 7th
    assert sol.daily_load(s)["date"].iloc[0] == pd.Timestamp("2024-05-07")
    athletes = pd.DataFrame({"athlete_id": ["a"], "timezone": ["Australia/Sydney"]})
    s2 = _sessions([0], hour=23)
    assert sol.daily_load(s2, athletes=athletes)["date"].iloc[0] == pd.Timestamp("2024-05-07")
    assert sol.daily_load(s2, tz="America/New_York")["date"].iloc[0] == pd.Timestamp("2024-05-06")


# ---------------------------------------------------------------- ACWR and coverage
def test_rolling_acute_chronic_hand_computed():
    d = _daily([100.0] * 21 + [200.0] * 14)  # 35 days
    out = sol.acute_chronic(d).iloc[-1]
    assert out["acute_mean_au"] == pytest.approx(200.0)  # days 28..34
    assert out["chronic_mean_au"] == pytest.approx(150.0)  # days 7..34
    assert out["chronic_uncoupled_au"] == pytest.approx(2800 / 21)  # days 7..27
    assert out["acwr_coupled"] == pytest.approx(4 / 3)
    assert out["acwr_uncoupled"] == pytest.approx(1.5)


def test_coverage_rule_needs_five_of_seven_days():
    d = _daily([100, NAN, 300, NAN, 100, 200, 100])
    assert sol.acute_chronic(d)["acute_mean_au"].iloc[-1] == pytest.approx(160.0)  # 5 days recorded
    d.loc[4, "load_au"] = NAN
    assert math.isnan(sol.acute_chronic(d)["acute_mean_au"].iloc[-1])  # only 4
    assert sol.acute_chronic(d, min_coverage=4 / 7)["acute_mean_au"].iloc[-1] == pytest.approx(
        175.0
    )
    with pytest.raises(ValueError, match="min_coverage"):
        sol.acute_chronic(d, min_coverage=0)


def test_ewma_acute_chronic_burn_in_and_zero_chronic():
    d = _daily([100.0] * 30)
    out = sol.acute_chronic(d, ewma_init="zero")
    assert out["acute_ewma_au"].iloc[:6].isna().all()
    assert out["acute_ewma_au"].iloc[6] == pytest.approx(100 * (1 - 0.75**7))
    assert out["chronic_ewma_au"].iloc[:27].isna().all()
    assert out["chronic_ewma_au"].iloc[27] == pytest.approx(100 * (1 - (1 - 2 / 29) ** 28))
    zero = sol.acute_chronic(_daily([0.0] * 30))
    assert zero["acwr_coupled"].isna().all() and zero["acwr_ewma"].isna().all()
    expo = sol.acute_chronic(d, convention="exponential", ewma_init="zero")
    assert expo["acute_ewma_au"].iloc[6] == pytest.approx(100 * (1 - math.exp(-1 / 7) ** 7))
    assert expo.attrs["ewma_convention"] == "exponential"
    # the default start (mean of the first N days) has no zero-start bias on a constant load
    level = sol.acute_chronic(d)
    assert level["acute_ewma_au"].iloc[6] == 100.0 and level["chronic_ewma_au"].iloc[27] == 100.0
    assert level["acute_ewma_au"].iloc[:6].isna().all()  # still missing before N days


def test_ewma_start_the_pitfall_numbers():
    """28 days at 50 then 7 at 100 (pitfalls.md): 1.42 with a zero start, 1.34 started at 50."""
    d = _daily([50.0] * 28 + [100.0] * 7)
    lam_a, lam_c = 0.25, 2 / 29
    a = c = 0.0
    for x in [50.0] * 28 + [100.0] * 7:  # the textbook zero-start loop
        a, c = lam_a * x + (1 - lam_a) * a, lam_c * x + (1 - lam_c) * c
    zero = sol.acute_chronic(d, ewma_init="zero")["acwr_ewma"].iloc[-1]
    assert zero == pytest.approx(a / c) and round(zero, 2) == 1.42
    for init in ("mean", "first"):
        assert round(sol.acute_chronic(d, ewma_init=init)["acwr_ewma"].iloc[-1], 2) == 1.34
    with pytest.raises(ValueError, match="EWMA start"):
        sol.acute_chronic(d, ewma_init="one")


def test_ewma_mean_start_uses_no_later_day():
    rng = np.random.default_rng(8)
    loads = rng.gamma(2.0, 60.0, 80)
    full = sol.acute_chronic(_daily(loads))
    for day in (27, 40, 79):  # the value on a day equals the value computed without later days
        cut = sol.acute_chronic(_daily(loads[: day + 1]))
        assert full["chronic_ewma_au"].iloc[day] == pytest.approx(cut["chronic_ewma_au"].iloc[-1])
        assert full["acwr_ewma"].iloc[day] == pytest.approx(cut["acwr_ewma"].iloc[-1])


def test_ewma_warmup_rows_are_marked():
    d = _daily([100.0] * 100)
    mean = sol.acute_chronic(d)
    assert mean["ewma_warmup"].sum() == 28 and mean.attrs["ewma_warmup_days"] == 28
    zero = sol.acute_chronic(d, ewma_init="zero")
    # 5% rule: (1 - 2/29)^42 < 0.05 <= (1 - 2/29)^41
    assert (1 - 2 / 29) ** 42 < 0.05 <= (1 - 2 / 29) ** 41
    assert zero["ewma_warmup"].sum() == 42
    assert sol.acute_chronic(d, ewma_init="zero", convention="exponential")[
        "ewma_warmup"].sum() == 84
    two = pd.concat([_daily([1.0] * 40, "a"), _daily([1.0] * 30, "b")], ignore_index=True)
    marked = sol.training_loads(two)
    assert marked.groupby("athlete_id")["ewma_warmup"].sum().tolist() == [28, 28]
    assert marked.attrs["ewma_init"] == "mean"


def test_athletes_do_not_leak_into_each_other():
    rng = np.random.default_rng(2)
    a = _daily(rng.gamma(2, 100, 60), "a")
    b = _daily(np.where(rng.random(45) < 0.2, NAN, rng.gamma(2, 100, 45)), "b", start="2024-02-10")
    both = pd.concat([a, b], ignore_index=True)
    joint = sol.training_loads(both)
    alone = pd.concat([sol.training_loads(a), sol.training_loads(b)], ignore_index=True)
    cols = [
        "acute_mean_au",
        "chronic_uncoupled_au",
        "acute_ewma_au",
        "chronic_ewma_au",
        "monotony",
        "ctl_au",
        "tsb_au",
    ]
    pd.testing.assert_frame_equal(joint[cols], alone[cols])


def test_daily_table_must_be_a_complete_sorted_calendar():
    d = _daily([1.0, 2.0, 3.0]).drop(index=1)
    with pytest.raises(ValueError, match="consecutive"):
        sol.acute_chronic(d)
    mixed = pd.concat(
        [_daily([1.0, 2.0], "a"), _daily([1.0], "b"), _daily([3.0], "a", start="2024-01-03")]
    )
    with pytest.raises(ValueError, match="contiguous"):
        sol.monotony_strain(mixed)


# ---------------------------------------------------------------- monotony and strain (Foster 1998)
def test_monotony_and_strain_hand_computed():
    week = [300.0, 0, 400, 0, 500, 200, 0]
    # mean 200; squared deviations 10000+40000+40000+40000+90000+0+40000 = 260000
    sd_pop = math.sqrt(260000 / 7)
    out = sol.monotony_strain(_daily(week)).iloc[-1]
    assert out["monotony"] == pytest.approx(200 / sd_pop)
    assert out["strain_au"] == pytest.approx(1400 * 200 / sd_pop)
    sample = sol.monotony_strain(_daily(week), ddof=1).iloc[-1]
    assert sample["monotony"] == pytest.approx(200 / math.sqrt(260000 / 6))


def test_monotony_guards():
    flat = sol.monotony_strain(_daily([100.0] * 7)).iloc[-1]
    assert flat["monotony"] == 10.0 and flat["strain_au"] == pytest.approx(7000.0)
    rest = sol.monotony_strain(_daily([0.0] * 7)).iloc[-1]
    assert math.isnan(rest["monotony"]) and rest["strain_au"] == 0.0
    nearly_flat = sol.monotony_strain(_daily([100, 100, 100, 100, 100, 100, 101.0]), cap=10).iloc[
        -1
    ]
    assert nearly_flat["monotony"] == 10.0
    short = sol.monotony_strain(_daily([100, NAN, NAN, NAN, 100, 50, 0])).iloc[-1]
    assert math.isnan(short["monotony"])


# ---------------------------------------------------------------- PMC
def test_pmc_hand_computed():
    out = sol.pmc(_daily([100.0, 0.0, 0.0]))
    l42, l7 = 1 - math.exp(-1 / 42), 1 - math.exp(-1 / 7)
    ctl1, atl1 = 100 * l42, 100 * l7
    ctl2, atl2 = ctl1 * (1 - l42), atl1 * (1 - l7)
    np.testing.assert_allclose(out["ctl_au"].iloc[:2], [ctl1, ctl2])
    np.testing.assert_allclose(out["atl_au"].iloc[:2], [atl1, atl2])
    # TSB on day t is yesterday's CTL - ATL ("form tomorrow").
    np.testing.assert_allclose(out["tsb_au"], [0.0, ctl1 - atl1, ctl2 - atl2])
    assert round(ctl1, 4) == 2.3528 and round(atl1, 4) == 13.3122
    assert sol.pmc(_daily([1.0] * 130))["pmc_burn_in"].sum() == 126


def test_pmc_coverage_masks_long_silences_but_not_the_start():
    loads = [100.0] * 50 + [NAN] * 20 + [100.0] * 10
    out = sol.pmc(_daily(loads))
    assert out["ctl_au"].iloc[:50].notna().all()  # the start is flagged, not masked
    # Day 69: 20 unrecorded of the last 42 days -> 22/42 < 5/7: CTL missing; ATL missing too.
    assert math.isnan(out["ctl_au"].iloc[69]) and math.isnan(out["atl_au"].iloc[69])
    assert not math.isnan(out["atl_au"].iloc[79])  # 7 of the last 7 days again: reported
    assert math.isnan(out["ctl_au"].iloc[79])  # 22 of the last 42 days: still missing
    assert math.isnan(out["tsb_au"].iloc[70])


def test_training_loads_stamps_the_convention():
    d = _daily([100.0] * 30)
    out = sol.training_loads(d, convention="exponential")
    assert (out["ewma_convention"] == "exponential").all()
    assert (
        out.attrs["ewma_convention"] == "exponential"
        and out.attrs["pmc_convention"] == "exponential"
    )
    assert set(out.columns) >= {
        "acute_ewma_au",
        "chronic_ewma_au",
        "acwr_coupled",
        "acwr_uncoupled",
        "monotony",
        "strain_au",
        "ctl_au",
        "atl_au",
        "tsb_au",
    }


def test_same_day_rule_for_sessions_without_their_own_rpe():
    day = pd.Timestamp("2024-05-06 07:00", tz="UTC")
    sessions = pd.DataFrame(
        {
            "athlete_id": "a",
            "start": [day + pd.Timedelta(h) for h in ("12h", "1D 12h", "2D")],
            "activity": ["Strength training", "soccer", "soccer"],
            "duration_s": 3600.0,
            "rpe": 6.0,
        }
    )
    sets = pd.DataFrame(
        {"athlete_id": "a", "session_start": [day, day], "exercise_raw": "Seated Calf Raise"}
    )
    runs = pd.DataFrame(
        {
            "athlete_id": "a",
            "start": [day + pd.Timedelta("1D"), day + pd.Timedelta("1D 2h")],
            "moving_time_s": 1800.0,
            "rpe": [NAN, 5.0],
        }
    )
    out = sol.session_loads(sessions, runs, sets)
    strength = out[out["table"] == "strength_sets"].iloc[0]
    assert not strength["counted"] and strength["duplicate_of"] == "sessions row 0 (same day)"
    # The run without RPE on the soccer day is another kind of session: counted, load unknown.
    run = out[(out["table"] == "runs") & out["rpe"].isna()].iloc[0]
    assert run["counted"] and math.isnan(run["load_au"])
    # So that day's load is unknown; the strength day's load is the sessions row's 360 AU.
    d = sol.daily_load(sessions, runs, sets)
    assert (
        d["load_au"].iloc[0] == 360.0
        and math.isnan(d["load_au"].iloc[1])
        and d["load_au"].iloc[2] == 360.0
    )
    assert d["status"].tolist() == ["training", "unknown_load", "training"]


def test_a_tracker_writing_one_run_to_two_tables_counts_it_once():
    t = pd.Timestamp("2024-05-06 18:00", tz="UTC")
    pmsys = pd.DataFrame(
        {
            "athlete_id": "a",
            "start": [t + pd.Timedelta("3h")],
            "activity": "running",
            "duration_s": 1800.0,
            "rpe": 5.0,
            "source": "pmsys",
        }
    )
    fitbit = pd.DataFrame(
        {
            "athlete_id": "a",
            "start": [t, t + pd.Timedelta("1D")],
            "activity": ["run", "walk"],
            "duration_s": [1700.0, 900.0],
            "source": "fitbit",
        }
    )
    fitbit_runs = pd.DataFrame(
        {"athlete_id": "a", "start": [t], "moving_time_s": [1700.0], "source": "fitbit"}
    )
    out = sol.session_loads(pd.concat([pmsys, fitbit], ignore_index=True), fitbit_runs)
    by = out.set_index(["table", "row"])
    assert by.loc[("runs", 0), "duplicate_of"] == "sessions row 1"  # same source, same start
    assert (
        by.loc[("sessions", 1), "duplicate_of"] == "sessions row 0 (same day)"
    )  # the PMSys report
    assert by.loc[("sessions", 2), "counted"] and not by.loc[("sessions", 2), "rated_source"]
    d = sol.daily_load(pd.concat([pmsys, fitbit], ignore_index=True), fitbit_runs)
    assert d["load_au"].tolist() == [150.0] and d["unrated_sessions"].tolist() == [0]


def test_one_session_rated_by_two_sources_is_counted_once():
    # The demo cohort's pattern: a Strava run with perceived exertion, and the PMSys sRPE report
    # of the same run 0.4 s later; both land in the sessions table.
    t = pd.Timestamp("2025-01-06 11:07:32", tz="UTC")
    day = pd.Timedelta("1D")
    sessions = pd.DataFrame({
        "athlete_id": ["a"] * 7,
        "start": [t, t + pd.Timedelta("0.4s"), t + day, t + day + pd.Timedelta("0.4s"),
                  t + 2 * day, t + 2 * day + pd.Timedelta("10min"), t + 3 * day],
        "activity": ["run", "running", "run", "running", "running", "strength", "running"],
        "duration_s": [2289.0, 2280.0, 2000.0, 2010.0, 1800.0, 1200.0, 1500.0],
        "rpe": [3.0, 3.0, 5.0, 6.0, 4.0, 6.0, 4.0],
        "source": ["strava", "pmsys", "strava", "pmsys", "pmsys", "pmsys", "pmsys"],
    })
    out = sol.session_loads(sessions)
    counted = out[out["counted"]]
    # PMSys rates 5 sessions and Strava 2: PMSys is the main source and keeps both twins.
    assert counted["source"].tolist() == ["pmsys"] * 5
    copies = out[~out["counted"]]
    assert copies["source"].tolist() == ["strava", "strava"]
    assert copies["duplicate_of"].str.startswith("sessions row").all()
    # A run and a strength session of one source that overlap are two sessions.
    assert counted["activity"].tolist().count("strength") == 1
    # Every copy's load is that of a kept session, not added to the day.
    daily = sol.daily_load(sessions)
    assert daily["load_au"].sum() == pytest.approx(counted["load_au"].sum())


def test_sessions_come_out_sorted_by_athlete_start_and_table_with_ties_kept():
    # Many ties (same athlete, same minute, several tables) in a scrambled order: the output
    # is in the documented order, which sorting it again (stable) does not change.
    rng = np.random.default_rng(11)
    n = 400
    athletes = rng.choice(["b", "a", "c10", "c2"], n)
    starts = pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(
        rng.integers(0, 6, n) * 1440 + rng.choice([0, 90], n), unit="min"
    )
    half = n // 2
    sessions = pd.DataFrame({"athlete_id": athletes[:half], "start": starts[:half],
                             "activity": rng.choice(["running", "strength", "cycling"], half),
                             "duration_s": 1800.0, "rpe": rng.choice([3.0, np.nan], half)})
    runs = pd.DataFrame({"athlete_id": athletes[half:], "start": starts[half:],
                         "moving_time_s": 1500.0, "rpe": 4.0})
    out = sol.session_loads(sessions, runs)
    assert len(out) == n
    again = out.sort_values(["athlete_id", "start", "table"], kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(out, again)
    assert list(out["athlete_id"].unique()) == ["a", "b", "c10", "c2"]
