import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import soleus_analysis as sol
from soleus_analysis.schemas import check_function, rule_columns
from soleus_analysis.validation import ROW_RULE
from tests import factories

FUTURE = (pd.Timestamp.now(tz="UTC").normalize() + pd.Timedelta(days=400)).isoformat()

# One broken cell per case: (table, row, column, bad value, the check that must name it).
CELL_CASES = [
    ("strength_sets", 1, "reps", -3, "greater_than_or_equal_to"),
    ("strength_sets", 1, "reps", 1200, "less_than_or_equal_to"),
    ("strength_sets", 1, "reps", "ten", "coerce_dtype"),
    ("strength_sets", 1, "reps", 10.5, "whole_reps"),
    ("strength_sets", 1, "load_kg", 900, "less_than_or_equal_to"),
    ("strength_sets", 1, "load_kg", -5, "greater_than_or_equal_to"),
    ("strength_sets", 1, "athlete_id", None, "not_nullable"),
    ("strength_sets", 1, "athlete_id", "", "not_nullable"),
    ("strength_sets", 1, "athlete_id", "y" * 300, "str_length"),
    ("runs", 2, "athlete_id", "y" * 300, "str_length"),
    ("runs", 2, "timezone", "Oslo", "valid_timezone"),
    ("sessions", 1, "timezone", "CEST", "valid_timezone"),
    ("sessions", 1, "athlete_id", "y" * 300, "str_length"),
    ("wellness", 1, "athlete_id", "y" * 300, "str_length"),
    ("athlete_week", 1, "athlete_id", "y" * 300, "str_length"),
    ("strength_sets", 1, "session_start", "1985-06-01T10:00:00Z", "not_before_1990"),
    ("strength_sets", 1, "session_start", FUTURE, "not_in_future"),
    ("strength_sets", 1, "session_start", "yesterday", "coerce_dtype"),
    ("strength_sets", 1, "set_type", "warm", "isin"),
    ("strength_sets", 1, "set_index", -1, "greater_than_or_equal_to"),
    ("strength_sets", 1, "set_index", 501, "less_than_or_equal_to"),
    ("strength_sets", 1, "set_index", 1.5, "coerce_dtype"),
    ("strength_sets", 1, "rpe", 11, "less_than_or_equal_to"),
    ("strength_sets", 1, "rpe", -1, "greater_than_or_equal_to"),
    ("strength_sets", 1, "duration_s", -1, "greater_than_or_equal_to"),
    ("strength_sets", 1, "duration_s", 4 * 3600, "less_than_or_equal_to"),
    ("strength_sets", 1, "distance_m", -1, "greater_than_or_equal_to"),
    ("strength_sets", 1, "distance_m", 20_000, "less_than_or_equal_to"),
    ("strength_sets", 1, "timezone", "Mars/Olympus", "valid_timezone"),
    ("strength_sets", 1, "exercise_raw", None, "not_nullable"),
    ("strength_sets", 1, "load_unit", "stone", "isin"),
    ("strength_sets", 1, "rest_after_s", -10, "greater_than_or_equal_to"),
    ("strength_sets", 1, "rest_after_s", 7200, "less_than_or_equal_to"),
    ("strength_sets", 1, "session_duration_s", 0, "greater_than"),
    ("strength_sets", 1, "session_duration_s", 9 * 3600, "less_than_or_equal_to"),
    ("strength_sets", 1, "source_row", 0, "greater_than_or_equal_to"),
    ("runs", 2, "avg_hr_bpm", 300, "less_than_or_equal_to"),
    ("runs", 2, "avg_hr_bpm", 20, "greater_than_or_equal_to"),
    ("runs", 2, "max_hr_bpm", 260, "less_than_or_equal_to"),
    ("runs", 2, "max_hr_bpm", 20, "greater_than_or_equal_to"),
    ("runs", 2, "distance_m", 0, "greater_than"),
    ("runs", 2, "distance_m", 300_000, "less_than_or_equal_to"),
    ("runs", 2, "moving_time_s", -5, "greater_than"),
    ("runs", 2, "moving_time_s", 50 * 3600, "less_than_or_equal_to"),
    ("runs", 2, "elapsed_time_s", 0, "greater_than"),
    ("runs", 2, "elapsed_time_s", 80 * 3600, "less_than_or_equal_to"),
    ("runs", 2, "start", "1970-01-01T00:00:00Z", "not_before_1990"),
    ("runs", 2, "start", FUTURE, "not_in_future"),
    ("runs", 2, "avg_cadence_spm", 20, "greater_than_or_equal_to"),
    ("runs", 2, "avg_cadence_spm", 300, "less_than_or_equal_to"),
    ("runs", 2, "elevation_gain_m", -1, "greater_than_or_equal_to"),
    ("runs", 2, "elevation_gain_m", 20_000, "less_than_or_equal_to"),
    ("runs", 2, "rpe", 12, "less_than_or_equal_to"),
    ("runs", 2, "rpe", -2, "greater_than_or_equal_to"),
    ("runs", 2, "efficiency_factor_m_per_beat", 0, "greater_than"),
    ("runs", 2, "efficiency_factor_m_per_beat", 9, "less_than_or_equal_to"),
    ("runs", 2, "decoupling_pct", 150, "less_than_or_equal_to"),
    ("runs", 2, "decoupling_pct", -150, "greater_than_or_equal_to"),
    ("runs", 2, "pace_fade_pct", 150, "less_than_or_equal_to"),
    ("runs", 2, "pace_fade_pct", -150, "greater_than_or_equal_to"),
    ("sessions", 1, "duration_s", 0, "greater_than"),
    ("sessions", 1, "duration_s", 13 * 3600, "less_than_or_equal_to"),
    ("sessions", 1, "rpe", 11, "less_than_or_equal_to"),
    ("sessions", 1, "rpe", -1, "greater_than_or_equal_to"),
    ("sessions", 1, "activity", "", "not_nullable"),
    ("sessions", 1, "start", "1989-12-31T23:00:00Z", "not_before_1990"),
    ("sessions", 1, "start", FUTURE, "not_in_future"),
    ("wellness", 1, "fatigue", 6, "less_than_or_equal_to"),
    ("wellness", 1, "fatigue", 0, "greater_than_or_equal_to"),
    ("wellness", 1, "soreness", 9, "less_than_or_equal_to"),
    ("wellness", 1, "soreness", 0, "greater_than_or_equal_to"),
    ("wellness", 1, "readiness", 11, "less_than_or_equal_to"),
    ("wellness", 1, "readiness", -1, "greater_than_or_equal_to"),
    ("wellness", 1, "mood", 7, "less_than_or_equal_to"),
    ("wellness", 1, "mood", 0, "greater_than_or_equal_to"),
    ("wellness", 1, "stress", 7, "less_than_or_equal_to"),
    ("wellness", 1, "stress", 0, "greater_than_or_equal_to"),
    ("wellness", 1, "sleep_quality", 7, "less_than_or_equal_to"),
    ("wellness", 1, "sleep_quality", 0, "greater_than_or_equal_to"),
    ("wellness", 1, "sleep_duration_h", 25, "less_than_or_equal_to"),
    ("wellness", 1, "sleep_duration_h", -1, "greater_than_or_equal_to"),
    ("wellness", 1, "resting_hr_bpm", 10, "greater_than_or_equal_to"),
    ("wellness", 1, "resting_hr_bpm", 150, "less_than_or_equal_to"),
    ("wellness", 1, "hrv_rmssd_ms", 0, "greater_than"),
    ("wellness", 1, "hrv_rmssd_ms", 500, "less_than_or_equal_to"),
    ("wellness", 1, "date", "1980-02-02", "not_before_1990"),
    ("wellness", 1, "date", FUTURE[:10], "not_in_future"),
    ("wellness", 1, "date", "2024-03-05 10:30", "date_without_time"),
    ("wellness", 1, "date", "05/03/2024", "coerce_dtype"),
    ("athletes", 1, "sex", "male", "isin"),
    ("athletes", 1, "body_mass_kg", 400, "less_than_or_equal_to"),
    ("athletes", 1, "body_mass_kg", 10, "greater_than_or_equal_to"),
    ("athletes", 1, "hr_rest_bpm", 10, "greater_than_or_equal_to"),
    ("athletes", 1, "hr_rest_bpm", 130, "less_than_or_equal_to"),
    ("athletes", 1, "hr_max_bpm", 90, "greater_than_or_equal_to"),
    ("athletes", 1, "hr_max_bpm", 260, "less_than_or_equal_to"),
    ("athletes", 1, "weight_unit", "st", "isin"),
    ("athletes", 1, "timezone", "Europe/Atlantis", "valid_timezone"),
    ("athletes", 1, "athlete_id", "x" * 201, "str_length"),
    ("athlete_week", 1, "week_start", "2024-03-12", "week_starts_monday"),
    ("athlete_week", 1, "soleus_sets", -1, "greater_than_or_equal_to"),
    ("athlete_week", 1, "run_distance_km", -1, "greater_than_or_equal_to"),
    ("athlete_week", 1, "run_rpe", 11, "less_than_or_equal_to"),
    ("athlete_week", 1, "wellness_days", 8, "less_than_or_equal_to"),
    ("athlete_week", 1, "easy_pace_s_per_km", 0, "greater_than"),
]


def _rows_rules(table):
    """Cases for the rules over rows and columns: (table, mutate(frame) -> bad row, check)."""

    def duplicate_last(df):
        df.loc[len(df)] = df.iloc[0]
        return len(df) - 1

    def overlap(df):
        df.loc[1, "start"] = df.loc[0, "start"] + pd.Timedelta(minutes=10)
        return 1

    def near_dup(df):
        first = df[df["session_start"] == df["session_start"].iloc[0]].copy()
        first["session_start"] += pd.Timedelta(seconds=40)
        df[:] = df  # keep dtypes
        start = len(df)
        for i, rec in enumerate(first.to_dict("records")):
            df.loc[start + i] = rec
        return list(range(start, start + len(first)))

    def no_measure(df):
        df.loc[2, "reps"] = np.nan
        return 2

    def too_fast(df):
        df.loc[3, "distance_m"] = 10_000.0
        df.loc[3, "moving_time_s"] = 1200.0
        df.loc[3, "elapsed_time_s"] = 1200.0
        return 3

    def moving_over_elapsed(df):
        df.loc[3, "elapsed_time_s"] = df.loc[3, "moving_time_s"] - 60
        return 3

    def max_below_avg(df):
        df.loc[3, "max_hr_bpm"] = 120.0
        return 3

    return {
        "strength_sets": [
            (duplicate_last, "duplicate_set"),
            (near_dup, "near_duplicate_session"),
            (no_measure, "set_has_a_measure"),
        ],
        "runs": [
            (duplicate_last, "duplicate_run"),
            (overlap, "overlapping_run"),
            (too_fast, "faster_than_world_record"),
            (moving_over_elapsed, "moving_exceeds_elapsed"),
            (max_below_avg, "max_hr_below_average"),
        ],
        "sessions": [(duplicate_last, "duplicate_session")],
        "wellness": [(duplicate_last, "duplicate_day")],
        "athletes": [(duplicate_last, "duplicate_athlete")],
        "athlete_week": [(duplicate_last, "duplicate_week")],
    }[table]


ROW_CASES = [
    (table, mutate, check)
    for table in factories.TABLE_FACTORIES
    for mutate, check in _rows_rules(table)
]


def _breaking(table, row, column, value):
    df = factories.TABLE_FACTORIES[table]().astype(object)
    if column not in df:
        df[column] = None
    df.loc[row, column] = value
    return df


@pytest.mark.parametrize("table", list(factories.TABLE_FACTORIES))
def test_valid_tables_pass_whole_and_coerced(table):
    df = factories.TABLE_FACTORIES[table]()
    report = sol.validate(df, table)
    assert report.ok, report.to_text()
    assert len(report.valid) == len(df)
    sol.get_schema(table).validate(report.valid)


@pytest.mark.parametrize(("table", "row", "column", "value", "check"), CELL_CASES)
def test_one_broken_cell_rejects_its_row_and_names_the_check(table, row, column, value, check):
    report = sol.validate(_breaking(table, row, column, value), table)
    assert report.rejected.index.tolist() == [row]
    failure = report.failures
    assert failure[["row", "column", "check"]].values.tolist() == [[row, column, check]]
    assert column in report.rejected.loc[row, "reasons"]


@pytest.mark.parametrize(("table", "mutate", "check"), ROW_CASES, ids=[c for _, _, c in ROW_CASES])
def test_rules_over_rows_reject_only_the_offending_rows(table, mutate, check):
    df = factories.TABLE_FACTORIES[table]()
    bad = mutate(df)
    bad = [bad] if np.isscalar(bad) else bad
    report = sol.validate(df, table)
    assert report.rejected.index.tolist() == bad
    assert set(report.failures["check"]) == {check}
    assert set(report.failures["column"]) == {ROW_RULE}


@pytest.mark.parametrize(("table", "mutate", "check"), ROW_CASES, ids=[c for _, _, c in ROW_CASES])
def test_rules_read_only_the_columns_they_declare(table, mutate, check):
    # validate gives each rule only the columns of its ``reads``: the verdicts must not change.
    df = factories.TABLE_FACTORIES[table]()
    mutate(df)
    typed = sol.validate(df.iloc[:0], table).valid  # the canonical dtypes
    df = df.astype({c: typed[c].dtype for c in df.columns if c in typed})
    for rule in sol.get_schema(table).checks:
        reads = rule_columns(rule)
        assert reads is not None, f"{table}: {rule.name} was not made with row_check"
        function = check_function(table, rule)
        alone = df[[c for c in reads if c in df.columns]]
        assert np.array_equal(np.asarray(function(alone)), np.asarray(function(df))), rule.name


def test_every_rule_of_every_schema_has_a_case():
    covered = {(t, c) for t, _, _, _, c in CELL_CASES} | {(t, c) for t, _, c in ROW_CASES}
    for table in sol.TABLES:
        schema = sol.get_schema(table)
        checks = {c.name for col in schema.columns.values() for c in col.checks}
        checks |= {c.name for c in schema.checks}
        missing = {c for c in checks if (table, c) not in covered}
        assert not missing, f"{table}: no test breaks {sorted(missing)}"


def test_all_reasons_of_a_row_are_kept():
    df = _breaking("strength_sets", 2, "reps", "ten")
    df.loc[2, "load_kg"] = 900
    df.loc[2, "set_type"] = "warm"
    report = sol.validate(df, "strength_sets")
    assert sorted(report.failures["check"]) == ["coerce_dtype", "isin", "less_than_or_equal_to"]
    reasons = report.rejected.loc[2, "reasons"]
    assert "reps='ten'" in reasons and "load_kg='900'" in reasons and "set_type='warm'" in reasons


def test_rejected_rows_are_kept_exactly_as_given():
    df = _breaking("strength_sets", 4, "reps", "ten")
    report = sol.validate(df, "strength_sets")
    kept = report.rejected.drop(columns="reasons").loc[4]
    assert kept.equals(df.loc[4])


def _text_bytes(frame: pd.DataFrame) -> int:
    """Bytes of the Arrow buffers that the text columns of ``frame`` keep alive."""
    return sum(
        frame[name].array._pa_array.get_total_buffer_size()
        for name in frame.columns
        if isinstance(frame[name].array, pd.arrays.ArrowStringArray)
    )


def test_scattered_rejected_rows_do_not_keep_the_input_text_alive():
    # The valid rows share the input's Arrow text as slices (long runs of kept rows); a few
    # scattered rejected rows must be copies: a worker of the Dask engine holds every
    # partition's rejected rows until the end of the step, and slices of single rows kept each
    # partition's whole text alive (50M sets ran out of memory under 4 GB).
    sets = factories.strength_sets(300, sets_per_exercise=20)  # 18,000 sets, text in Arrow
    assert isinstance(sets["exercise_raw"].array, pd.arrays.ArrowStringArray)
    bad = np.arange(50, len(sets), len(sets) // 20)[:20]
    sets.loc[bad, "reps"] = -1
    report = sol.validate(sets, "strength_sets")
    assert sorted(report.rejected.index) == sorted(bad.tolist())
    given = _text_bytes(sets)
    assert given > 100_000
    assert _text_bytes(report.rejected.drop(columns="reasons")) < given / 100
    # The valid rows still share the input's text: no more than its size, not a second copy.
    assert _text_bytes(report.valid) <= given * 1.01


def test_a_broken_row_does_not_make_a_good_copy_a_duplicate():
    df = factories.strength_sets()
    df.loc[len(df)] = df.iloc[5]
    df = df.astype(object)
    df.loc[5, "reps"] = -1  # the first copy is broken, so the second one is the valid one
    report = sol.validate(df, "strength_sets")
    assert report.rejected.index.tolist() == [5]
    assert len(report.valid) == len(df) - 1


def test_overlap_rule_is_greedy():
    df = factories.runs(3)
    df.loc[1, "start"] = df.loc[0, "start"] + pd.Timedelta(minutes=30)  # overlaps run 0
    df.loc[2, "start"] = df.loc[1, "start"] + pd.Timedelta(minutes=30)  # overlaps run 1 only
    df.loc[0, "moving_time_s"] = df.loc[0, "elapsed_time_s"] = 2400.0  # run 0 ends at 40 min
    df.loc[1, "moving_time_s"] = df.loc[1, "elapsed_time_s"] = 3600.0
    report = sol.validate(df, "runs")
    assert report.rejected.index.tolist() == [1]


def test_duplicate_rows_reject_the_later_copies_only():
    df = factories.strength_sets()
    df = pd.concat([df, df.iloc[:3], df.iloc[:3]], ignore_index=True)
    report = sol.validate(df, "strength_sets")
    assert report.rejected.index.tolist() == list(range(len(df) - 6, len(df)))


def test_naive_timestamps_take_the_row_zone_and_say_so():
    df = factories.strength_sets(1).astype({"session_start": object})
    df["session_start"] = "2024-03-04 07:00:00"
    report = sol.validate(df, "strength_sets")
    assert report.ok
    assert report.valid["session_start"].iloc[0] == pd.Timestamp("2024-03-04 06:00", tz="UTC")
    assert any("Europe/Oslo" in note for note in report.notes)


def test_naive_timestamps_without_zone_column_use_tz_argument():
    df = factories.strength_sets(1).drop(columns="timezone")
    df["session_start"] = df["session_start"].dt.tz_localize(None)
    report = sol.validate(df, "strength_sets", tz="America/Los_Angeles")
    assert report.valid["session_start"].iloc[0] == pd.Timestamp("2024-03-04 15:00", tz="UTC")
    assert any("America/Los_Angeles" in note for note in report.notes)


def test_naive_among_aware_timestamps_are_rejected():
    df = factories.strength_sets(2).astype({"session_start": object})
    df.loc[0, "session_start"] = pd.Timestamp("2024-03-04 07:00")
    report = sol.validate(df, "strength_sets")
    assert report.rejected.index.tolist() == [0]
    assert "without time zone" in report.rejected.loc[0, "reasons"]


def test_dst_gap_is_rejected_not_guessed():
    df = factories.strength_sets(1).astype({"session_start": object})
    df["session_start"] = "2024-03-31 02:30:00"  # does not exist in Oslo
    report = sol.validate(df, "strength_sets")
    assert not report.valid.shape[0]
    assert report.summary()["message"].str.contains("DST").all()


def test_missing_required_column_is_an_input_error_naming_it():
    df = factories.runs().drop(columns=["start"])
    with pytest.raises(sol.InputError, match="start"):
        sol.validate(df, "runs")


def test_unknown_table_and_wrong_type():
    with pytest.raises(ValueError, match="unknown table"):
        sol.validate(factories.runs(), "rides")
    with pytest.raises(TypeError):
        sol.validate([1, 2], "runs")


def test_extra_columns_are_kept_and_reported():
    df = factories.runs().assign(weather="sunny")
    report = sol.validate(df, "runs")
    assert report.extra_columns == ("weather",)
    assert report.valid["weather"].eq("sunny").all()
    assert "weather" in report.to_text()


def test_empty_frame_with_columns_is_valid_and_empty():
    df = factories.runs().iloc[:0]
    report = sol.validate(df, "runs")
    assert report.ok and report.valid.empty and report.n_rows == 0


def test_summary_counts_rows_per_column_and_check():
    df = factories.strength_sets().astype(object)
    df.loc[[1, 2, 3], "reps"] = -1
    df.loc[4, "load_kg"] = 999
    summary = sol.validate(df, "strength_sets").summary()
    assert summary[["column", "check", "rows"]].values.tolist() == [
        ["reps", "greater_than_or_equal_to", 3],
        ["load_kg", "less_than_or_equal_to", 1],
    ]


def test_ids_that_went_through_a_float_column_stay_whole():
    df = factories.athletes().assign(athlete_id=[123.0, 124.0, 125.0])
    report = sol.validate(df, "athletes")
    assert report.valid["athlete_id"].tolist() == ["123", "124", "125"]


def _messy_sets(seed: int, n_sessions: int, defect_rate: float) -> pd.DataFrame:
    """Valid sets with random defects of every kind, chosen by the seed."""
    rng = np.random.default_rng(seed)
    df = factories.strength_sets(n_sessions, seed=seed).astype(object)
    defects = [
        ("reps", lambda: rng.choice([-1, "x", 10.5, 2000, None])),
        ("load_kg", lambda: rng.choice([-2.5, 900, "heavy", None])),
        ("set_type", lambda: rng.choice(["warm", None, "working"])),
        ("athlete_id", lambda: rng.choice([None, "", "a2"])),
        ("session_start",
         lambda: rng.choice(["1980-01-01T00:00:00Z", "garbage", "2024-03-04 07:00:00"])),
        ("timezone", lambda: rng.choice(["Nowhere/City", None])),
        ("set_index", lambda: rng.choice([-1, 0, 1.5])),
    ]
    for i in range(len(df)):
        if rng.random() < defect_rate:
            column, draw = defects[rng.integers(len(defects))]
            df.iat[i, df.columns.get_loc(column)] = draw()
    n_dupes = int(rng.integers(0, 5))
    if n_dupes:
        df = pd.concat([df, df.sample(n_dupes, random_state=seed)], ignore_index=True)
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    n_sessions=st.integers(1, 6),
    defect_rate=st.floats(0.0, 0.6),
)
def test_every_row_lands_in_exactly_one_of_valid_and_rejected(seed, n_sessions, defect_rate):
    df = _messy_sets(seed, n_sessions, defect_rate)
    report = sol.validate(df, "strength_sets")
    valid_rows, rejected_rows = set(report.valid.index), set(report.rejected.index)
    assert valid_rows.isdisjoint(rejected_rows)
    assert valid_rows | rejected_rows == set(range(len(df)))
    assert report.rejected["reasons"].str.len().gt(0).all()
    assert set(report.failures["row"]) == rejected_rows
    # What we call valid, pandera agrees is valid.
    sol.get_schema("strength_sets").validate(report.valid, lazy=True)


def test_unreadable_timestamp_among_zoned_ones_is_called_not_a_timestamp():
    df = factories.strength_sets(2).astype({"session_start": object})
    df["session_start"] = df["session_start"].map(lambda t: t.isoformat())
    df.loc[0, "session_start"] = "31.02.2024 7:00"
    df.loc[1, "session_start"] = "2024-03-04 07:00:00"
    report = sol.validate(df, "strength_sets")
    reasons = report.rejected["reasons"]
    assert "not a timestamp" in reasons.loc[0]
    assert "without time zone" in reasons.loc[1]
