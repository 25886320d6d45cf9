"""Canonical tables as pandera schemas: the package's data dictionary.

Every reader returns one of these tables; every feature and model consumes them. Units are in the
column names (``_kg``, ``_m``, ``_s``, ``_bpm``). Timestamps are tz-aware UTC (for ordering) and
each row carries the athlete's IANA ``timezone`` so that days and training weeks are computed in
local time.

A measure that was not recorded is missing (NaN), never 0. Checks are named so that a rejected row
says which rule it broke (see :func:`soleus_analysis.validate`).

Tables
------
athletes        one row per athlete
strength_sets   one row per set of a strength exercise
runs            one row per run
sessions        one row per training session of any kind with its perceived exertion (session RPE)
wellness        one row per athlete and local calendar day
athlete_week    the analysis panel: one row per athlete and training week (Monday start, local time)
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from typing import Annotated
from zoneinfo import available_timezones

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine
from pandera.typing import Series

from soleus_analysis import rules

__all__ = [
    "TABLES",
    "AthleteWeekSchema",
    "AthletesSchema",
    "RunsSchema",
    "SessionsSchema",
    "StrengthSetsSchema",
    "WellnessSchema",
    "canonical_columns",
    "check_function",
    "column_check",
    "data_dictionary",
    "describe_check",
    "get_schema",
    "known_zones",
    "row_check",
    "rule_columns",
]

#: tz-aware UTC timestamp at microsecond resolution (pandas 3 parses at ``us``).
UtcTimestamp = Annotated[pd.DatetimeTZDtype, "us", "UTC"]
#: naive local calendar date (midnight), microsecond resolution.
LocalDate = Annotated[pandas_engine.DateTime, {}, "us", None, False, {}]

EARLIEST = pd.Timestamp("1990-01-01", tz="UTC")
SET_TYPES = ("working", "warmup", "drop", "failure")
SEXES = ("F", "M", "X")
LOAD_UNITS = ("kg", "lb")


@cache
def known_zones() -> frozenset[str]:
    """The IANA time zone names this system knows, and ``"UTC"``."""
    return frozenset(available_timezones()) | {"UTC"}


#: The function of each custom check of the schemas below, by (column, check name); the rules
#: across columns and rows under column None. :func:`check_function` hands them to
#: :func:`soleus_analysis.validate`, which runs them on whole columns: a pandera ``Check`` called
#: on a column first copies it without its missing cells and then collects failure cases.
_CHECK_FUNCTIONS: dict[tuple[str | None, str], Callable] = {}


#: The columns each rule across columns and rows reads, by rule name (see :func:`row_check`).
_RULE_COLUMNS: dict[str, tuple[str, ...]] = {}


def _record(column: str | None, name: str, fn: Callable) -> None:
    known = _CHECK_FUNCTIONS.setdefault((column, name), fn)
    if known is not fn:
        where = f"column {column}" if column else "the rows"
        raise ValueError(f"two different checks named {name!r} on {where}")


def column_check(column: str, *, name: str, error: str) -> Callable:
    """``pa.check`` of one column, with the function recorded for :func:`check_function`.

    Parameters
    ----------
    column : str
        The column the check reads.
    name, error : str
        The check's name (what a rejected row's reason cites) and its message.

    Returns
    -------
    callable
        A decorator for a method ``(cls, series) -> booleans`` of a ``DataFrameModel``.
    """

    def decorate(fn: Callable) -> classmethod:
        _record(column, name, fn)
        return pa.check(column, name=name, error=error)(fn)

    return decorate


def row_check(*, name: str, error: str, reads: tuple[str, ...]) -> Callable:
    """``pa.dataframe_check`` (a rule across columns or rows), recorded for
    :func:`check_function` and :func:`rule_columns`.

    Parameters
    ----------
    name, error : str
        The rule's name (what a rejected row's reason cites) and its message.
    reads : tuple of str
        Every column the rule reads (it may lack the optional ones).
        :func:`soleus_analysis.validate` gives the rule only these columns of the rows that passed
        the column checks.

    Returns
    -------
    callable
        A decorator for a method ``(cls, frame) -> booleans`` of a ``DataFrameModel``.
    """

    def decorate(fn: Callable) -> classmethod:
        _record(None, name, fn)
        _RULE_COLUMNS[name] = tuple(reads)
        return pa.dataframe_check(name=name, error=error)(fn)

    return decorate


def _builtin_check(name: str, statistics: dict) -> Callable:
    """pandera's function of a built-in check; its arguments are the check's ``statistics``."""
    function = pa.Check.get_builtin_check_fn(name)

    def run(data):
        pa.Check.get_backend(data)  # registers pandera's built-in checks for this data type
        return function(data, **statistics)

    return run


def check_function(table: str, check: pa.Check, column: str | None = None) -> Callable:
    """The vectorised function of a check of a table's schema, through public names only.

    Parameters
    ----------
    table : str
        One of ``TABLES``.
    check : pandera.Check
        A check of that schema: of ``column``, or a rule across columns and rows (``None``).
    column : str, optional
        The column the check belongs to.

    Returns
    -------
    callable
        ``data -> booleans`` (a Series aligned with the data, or a single bool): what pandera's
        backend runs for the check, without dropping missing cells first.

    Raises
    ------
    ValueError
        For a custom check not made with :func:`column_check` or :func:`row_check`.

    Examples
    --------
    >>> ge = get_schema("strength_sets").columns["reps"].checks[0]
    >>> check_function("strength_sets", ge, "reps")(pd.Series([1.0, -1.0])).tolist()
    [True, False]
    """
    if pa.Check.is_builtin_check(check.name):
        return _builtin_check(check.name, dict(check.statistics or {}))
    try:
        fn = _CHECK_FUNCTIONS[(column, check.name)]
    except KeyError:
        where = f"column {column}" if column else "the rows"
        raise ValueError(
            f"check {check.name!r} on {where} of {table} was not made with "
            "schemas.column_check or schemas.row_check"
        ) from None
    # pandera calls it as a class method of the table's model.
    return partial(fn, TABLES[table])


def rule_columns(check: pa.Check) -> tuple[str, ...] | None:
    """The columns a rule across columns and rows reads (``reads`` of :func:`row_check`).

    Returns
    -------
    tuple of str or None
        None for a rule not made with :func:`row_check` (it may read any column).

    Examples
    --------
    >>> rule_columns(get_schema("wellness").checks[0])
    ('athlete_id', 'date')
    """
    return _RULE_COLUMNS.get(check.name)


def _now_utc() -> pd.Timestamp:
    # One day of slack: a session logged "today" in a zone ahead of UTC is not in the future.
    return pd.Timestamp.now(tz="UTC") + pd.Timedelta(days=1)


class _Provenance(pa.DataFrameModel):
    """Where each row came from; optional so that users can validate their own frames."""

    source: Series[str] = pa.Field(
        nullable=True,
        required=False,
        description="Exporting app or format (strong, hevy, fit, ...).",
    )
    source_file: Series[str] = pa.Field(
        nullable=True, required=False, description="File the row was read from."
    )
    source_row: Series[pd.Int64Dtype] = pa.Field(
        nullable=True,
        required=False,
        ge=1,
        description="Row in the source file as a spreadsheet numbers it (header = 1), or the "
        "record number in a binary file.",
    )

    class Config:
        strict = False


class _Athlete(pa.DataFrameModel):
    athlete_id: Series[str] = pa.Field(
        str_length={"max_value": 200},
        description="Athlete identifier; defaults to the export's file stem or its folder name.",
    )


class _Zoned(pa.DataFrameModel):
    timezone: Series[str] = pa.Field(
        nullable=True,
        required=False,
        description="IANA time zone of the athlete at the time (e.g. Europe/Oslo); missing means "
        "UTC.",
    )

    @column_check(
        "timezone",
        name="valid_timezone",
        error="must be an IANA time zone name such as Europe/Oslo",
    )
    def valid_timezone(cls, s: pd.Series) -> pd.Series:
        return s.isin(known_zones())


@cache  # one mixin per column: its checks are recorded once (check_function)
def _timestamp_checks(column: str) -> type[pa.DataFrameModel]:
    """A mixin with the plausible-date checks of one timestamp column."""

    class _TimestampChecks(pa.DataFrameModel):
        @column_check(column, name="not_before_1990", error="must not be before 1990-01-01")
        def not_before_1990(cls, s: pd.Series) -> pd.Series:
            return s >= EARLIEST

        @column_check(column, name="not_in_future", error="must not be in the future")
        def not_in_future(cls, s: pd.Series) -> pd.Series:
            return s <= _now_utc()

    return _TimestampChecks


def _integer_valued(s: pd.Series) -> pd.Series:
    return pd.Series(np.isclose(s, np.round(s)), index=s.index)


class AthletesSchema(_Provenance, _Zoned, _Athlete):
    """One row per athlete: the per-athlete settings and covariates."""

    sex: Series[str] = pa.Field(
        nullable=True, required=False, isin=SEXES, description="F, M or X (other / not stated)."
    )
    body_mass_kg: Series[float] = pa.Field(
        nullable=True, required=False, ge=25, le=250, description="Body mass [kg]."
    )
    hr_rest_bpm: Series[float] = pa.Field(
        nullable=True, required=False, ge=25, le=120, description="Resting heart rate [beats/min]."
    )
    hr_max_bpm: Series[float] = pa.Field(
        nullable=True, required=False, ge=100, le=240, description="Maximal heart rate [beats/min]."
    )
    weight_unit: Series[str] = pa.Field(
        nullable=True,
        required=False,
        isin=LOAD_UNITS,
        description="Unit the athlete's app uses for exports that do not state one (Strong classic "
        "'Weight'): kg or lb.",
    )

    @row_check(
        name="duplicate_athlete",
        error="athlete_id already given on an earlier row",
        reads=("athlete_id",),
    )
    def duplicate_athlete(cls, df: pd.DataFrame) -> pd.Series:
        return rules.first_occurrence(df, ["athlete_id"])

    class Config:
        name = "athletes"
        strict = False


class StrengthSetsSchema(_timestamp_checks("session_start"), _Provenance, _Zoned, _Athlete):
    """One row per set of a strength exercise (warm-up, working, drop and failure sets)."""

    session_start: Series[UtcTimestamp] = pa.Field(
        description="Start of the workout the set belongs to, UTC."
    )
    workout_name: Series[str] = pa.Field(
        nullable=True, required=False, description="Workout name as logged."
    )
    exercise_raw: Series[str] = pa.Field(description="Exercise name exactly as logged.")
    exercise: Series[str] = pa.Field(
        nullable=True,
        required=False,
        description="Canonical exercise from the exercise catalog; missing until classified.",
    )
    set_index: Series[pd.Int64Dtype] = pa.Field(
        ge=0, le=500, description="Order of the set within the exercise of the workout, from 0."
    )
    set_type: Series[str] = pa.Field(
        isin=SET_TYPES, description="working, warmup, drop or failure."
    )
    reps: Series[float] = pa.Field(
        nullable=True, ge=0, le=1000, description="Repetitions (whole number)."
    )
    load_kg: Series[float] = pa.Field(
        nullable=True,
        ge=0,
        le=500,
        description="External load [kg] (bar, dumbbells, machine stack); 0 for body weight only.",
    )
    load_unit: Series[str] = pa.Field(
        nullable=True,
        required=False,
        isin=LOAD_UNITS,
        description="Unit the load was logged in before conversion to kg.",
    )
    duration_s: Series[float] = pa.Field(
        nullable=True, ge=0, le=3 * 3600, description="Duration of a timed set (hold, walk) [s]."
    )
    distance_m: Series[float] = pa.Field(
        nullable=True, ge=0, le=10_000, description="Distance of a walk or carry set [m]."
    )
    rpe: Series[float] = pa.Field(
        nullable=True, ge=0, le=10, description="Rating of perceived exertion of the set (0-10)."
    )
    rest_after_s: Series[float] = pa.Field(
        nullable=True,
        required=False,
        ge=0,
        le=3600,
        description="Rest timer after the set [s] (Strong 'Rest Timer' rows).",
    )
    session_duration_s: Series[float] = pa.Field(
        nullable=True,
        required=False,
        gt=0,
        le=8 * 3600,
        description="Duration of the whole workout [s].",
    )
    notes: Series[str] = pa.Field(nullable=True, required=False, description="Set notes as logged.")

    @column_check("reps", name="whole_reps", error="must be a whole number")
    def whole_reps(cls, s: pd.Series) -> pd.Series:
        return _integer_valued(s)

    @row_check(
        name="set_has_a_measure",
        error="no reps, duration or distance: the set measured nothing",
        reads=("reps", "duration_s", "distance_m"),
    )
    def set_has_a_measure(cls, df: pd.DataFrame) -> pd.Series:
        return df[["reps", "duration_s", "distance_m"]].notna().any(axis=1)

    @row_check(
        name="duplicate_set",
        error="same athlete, session start, exercise and set number as an earlier row",
        reads=rules.SET_KEY,
    )
    def duplicate_set(cls, df: pd.DataFrame) -> pd.Series:
        return rules.first_occurrence(df, list(rules.SET_KEY))

    @row_check(
        name="near_duplicate_session",
        error="the same sets were logged by this athlete in a session that started minutes earlier",
        reads=(*rules.SET_KEY, "reps", "load_kg"),
    )
    def near_duplicate_session(cls, df: pd.DataFrame) -> pd.Series:
        return ~rules.near_duplicate_sessions(df)

    class Config:
        name = "strength_sets"
        strict = False


class RunsSchema(_timestamp_checks("start"), _Provenance, _Zoned, _Athlete):
    """One row per run, with stream-derived metrics where a record stream exists."""

    start: Series[UtcTimestamp] = pa.Field(description="Start of the run, UTC.")
    activity_name: Series[str] = pa.Field(
        nullable=True, required=False, description="Activity name or type as logged."
    )
    distance_m: Series[float] = pa.Field(
        nullable=True, gt=0, le=250_000, description="Distance [m]."
    )
    moving_time_s: Series[float] = pa.Field(
        nullable=True, gt=0, le=48 * 3600, description="Moving time [s] (stops excluded)."
    )
    elapsed_time_s: Series[float] = pa.Field(
        nullable=True,
        required=False,
        gt=0,
        le=72 * 3600,
        description="Elapsed time from start to finish [s].",
    )
    avg_hr_bpm: Series[float] = pa.Field(
        nullable=True, ge=30, le=230, description="Average heart rate [beats/min]."
    )
    max_hr_bpm: Series[float] = pa.Field(
        nullable=True, required=False, ge=30, le=250, description="Maximum heart rate [beats/min]."
    )
    avg_cadence_spm: Series[float] = pa.Field(
        nullable=True,
        required=False,
        ge=60,
        le=260,
        description="Average cadence [steps/min] (both feet).",
    )
    elevation_gain_m: Series[float] = pa.Field(
        nullable=True, required=False, ge=0, le=10_000, description="Total ascent [m]."
    )
    rpe: Series[float] = pa.Field(
        nullable=True, required=False, ge=0, le=10, description="Session RPE (CR-10)."
    )
    efficiency_factor_m_per_beat: Series[float] = pa.Field(
        nullable=True,
        required=False,
        gt=0,
        le=5,
        description="Efficiency factor: mean speed [m/min] / mean heart rate [beats/min] of steady "
        "running, i.e. metres per heartbeat (from the record stream).",
    )
    decoupling_pct: Series[float] = pa.Field(
        nullable=True,
        required=False,
        ge=-100,
        le=100,
        description="Aerobic decoupling Pa:HR [%]: 100*(EF first half - EF second half)/EF first "
        "half, warm-up excluded (from the record stream).",
    )
    pace_fade_pct: Series[float] = pa.Field(
        nullable=True,
        required=False,
        ge=-100,
        le=100,
        description="Late-run pace fade [%]: slowdown of the last quarter against the middle half "
        "(positive = slower at the end; from the record stream).",
    )

    @row_check(
        name="faster_than_world_record",
        error="average speed beats the world record for that distance",
        reads=("distance_m", "moving_time_s"),
    )
    def faster_than_world_record(cls, df: pd.DataFrame) -> pd.Series:
        return rules.speed_is_humanly_possible(df["distance_m"], df["moving_time_s"])

    @row_check(
        name="moving_exceeds_elapsed",
        error="moving time longer than elapsed time",
        reads=("moving_time_s", "elapsed_time_s"),
    )
    def moving_exceeds_elapsed(cls, df: pd.DataFrame) -> pd.Series:
        if "elapsed_time_s" not in df:
            return pd.Series(True, index=df.index)
        return ~(df["moving_time_s"] > df["elapsed_time_s"] + 1)

    @row_check(
        name="max_hr_below_average",
        error="maximum heart rate below the average",
        reads=("max_hr_bpm", "avg_hr_bpm"),
    )
    def max_hr_below_average(cls, df: pd.DataFrame) -> pd.Series:
        if "max_hr_bpm" not in df:
            return pd.Series(True, index=df.index)
        return ~(df["max_hr_bpm"] < df["avg_hr_bpm"])

    @row_check(
        name="duplicate_run",
        error="same athlete and start time as an earlier run",
        reads=("athlete_id", "start"),
    )
    def duplicate_run(cls, df: pd.DataFrame) -> pd.Series:
        return rules.first_occurrence(df, ["athlete_id", "start"])

    @row_check(
        name="overlapping_run",
        error="starts before an earlier run of the same athlete has finished",
        reads=("athlete_id", "start", "moving_time_s", "elapsed_time_s"),
    )
    def overlapping_run(cls, df: pd.DataFrame) -> pd.Series:
        # An exact copy is reported once, as a duplicate; the rule judges distinct runs.
        distinct = rules.first_occurrence(df, ["athlete_id", "start"])
        overlap = rules.overlapping_intervals(df[distinct], start="start", group="athlete_id")
        return ~overlap.reindex(df.index, fill_value=False)

    class Config:
        name = "runs"
        strict = False


class SessionsSchema(_timestamp_checks("start"), _Provenance, _Zoned, _Athlete):
    """One row per training session of any kind with its session RPE (PMSys ``srpe.csv``).

    The session-RPE load (Foster) of a session is ``rpe * duration_s / 60`` arbitrary units.
    """

    start: Series[UtcTimestamp] = pa.Field(description="Start of the session, UTC.")
    activity: Series[str] = pa.Field(
        description="Kind of session as logged (running, strength, soccer, ...)."
    )
    duration_s: Series[float] = pa.Field(gt=0, le=12 * 3600, description="Session duration [s].")
    rpe: Series[float] = pa.Field(
        nullable=True, ge=0, le=10, description="Session RPE on Borg's CR-10 scale."
    )

    @row_check(
        name="duplicate_session",
        error="same athlete, start and activity as an earlier row",
        reads=("athlete_id", "start", "activity"),
    )
    def duplicate_session(cls, df: pd.DataFrame) -> pd.Series:
        return rules.first_occurrence(df, ["athlete_id", "start", "activity"])

    class Config:
        name = "sessions"
        strict = False


class WellnessSchema(_Provenance, _Athlete):
    """One row per athlete and local calendar day: subjective ratings and morning physiology.

    Ratings keep the scale of the app that logged them; the column descriptions give the scale.
    """

    date: Series[LocalDate] = pa.Field(description="Local calendar date (midnight, no time zone).")
    fatigue: Series[float] = pa.Field(
        nullable=True,
        required=False,
        ge=1,
        le=5,
        description="Fatigue rating, 1-5 as logged; PMSys: 1 = very tired, 5 = very fresh "
        "(higher is better).",
    )
    soreness: Series[float] = pa.Field(
        nullable=True,
        required=False,
        ge=1,
        le=5,
        description="Muscle soreness rating, 1-5; PMSys: 1 = very sore, 5 = not sore "
        "(higher is better).",
    )
    readiness: Series[float] = pa.Field(
        nullable=True,
        required=False,
        ge=0,
        le=10,
        description="Readiness to train, 0-10 (higher = more ready).",
    )
    mood: Series[float] = pa.Field(
        nullable=True,
        required=False,
        ge=1,
        le=5,
        description="Mood rating, 1-5; PMSys: 1 = very low, 5 = very good.",
    )
    stress: Series[float] = pa.Field(
        nullable=True,
        required=False,
        ge=1,
        le=5,
        description="Stress rating, 1-5; PMSys: 1 = very stressed, 5 = very relaxed "
        "(higher is better).",
    )
    sleep_quality: Series[float] = pa.Field(
        nullable=True,
        required=False,
        ge=1,
        le=5,
        description="Sleep quality rating, 1-5; PMSys: 1 = very poor, 5 = very good.",
    )
    sleep_duration_h: Series[float] = pa.Field(
        nullable=True, required=False, ge=0, le=24, description="Sleep duration [h]."
    )
    resting_hr_bpm: Series[float] = pa.Field(
        nullable=True, required=False, ge=25, le=120, description="Resting heart rate [beats/min]."
    )
    hrv_rmssd_ms: Series[float] = pa.Field(
        nullable=True,
        required=False,
        gt=0,
        le=400,
        description="Heart-rate variability, RMSSD [ms].",
    )
    soreness_area: Series[str] = pa.Field(
        nullable=True, required=False, description="Body areas reported sore, as logged."
    )
    injury: Series[str] = pa.Field(
        nullable=True,
        required=False,
        description="Injuries reported that day as 'area:severity' items separated by ';'.",
    )

    @column_check("date", name="not_before_1990", error="must not be before 1990-01-01")
    def not_before_1990(cls, s: pd.Series) -> pd.Series:
        return s >= EARLIEST.tz_localize(None)

    @column_check("date", name="not_in_future", error="must not be in the future")
    def not_in_future(cls, s: pd.Series) -> pd.Series:
        return s <= _now_utc().tz_localize(None)

    @column_check("date", name="date_without_time", error="must be a date without time of day")
    def date_without_time(cls, s: pd.Series) -> pd.Series:
        return s == s.dt.normalize()

    @row_check(
        name="duplicate_day",
        error="same athlete and date as an earlier row",
        reads=("athlete_id", "date"),
    )
    def duplicate_day(cls, df: pd.DataFrame) -> pd.Series:
        return rules.first_occurrence(df, ["athlete_id", "date"])

    class Config:
        name = "wellness"
        strict = False


def _week_measure(description: str, **checks) -> object:
    return pa.Field(nullable=True, required=False, description=description, **checks)


class AthleteWeekSchema(_Athlete):
    """The analysis panel: one row per athlete and training week.

    Weeks start on Monday in the athlete's local time. Exposures are sums over the week (a week
    with no session logged has 0); outcomes are means over the week's runs or days and are missing
    when nothing was recorded. :func:`soleus_analysis.build_panel` adds, for each exposure ``x``,
    its within-athlete part ``x_within`` (deviation from the athlete's own mean over the analysis
    window), its between-athlete part ``x_between`` (that mean) and lagged copies ``x_lag1``,
    ``x_lag2``, ... (each lag centred after lagging: ``x_lag1_within``, ``x_lag1_between``); those
    derived columns are not listed one by one.
    """

    week_start: Series[LocalDate] = pa.Field(description="Monday of the training week, local date.")
    # Exposures: soleus training dose.
    soleus_sets: Series[float] = _week_measure(
        "Hard (working and failure) sets of plantar-flexor exercises, each weighted by the "
        "exercise's assumed soleus share [soleus-weighted sets].",
        ge=0,
    )
    soleus_reps: Series[float] = _week_measure(
        "Repetitions of hard sets, soleus-weighted [reps].", ge=0
    )
    soleus_volume_kg: Series[float] = _week_measure(
        "Volume load of hard sets, soleus-weighted: reps x (external load + moved share of body "
        "mass) [kg].",
        ge=0,
    )
    soleus_tut_s: Series[float] = _week_measure(
        "Time under tension of timed soleus sets (holds, walks), soleus-weighted [s].", ge=0
    )
    soleus_distance_m: Series[float] = _week_measure(
        "Distance of soleus walks and carries logged by distance, soleus-weighted [m] (not "
        "converted to time under tension).",
        ge=0,
    )
    calf_sets: Series[float] = _week_measure(
        "Hard sets of any plantar-flexor exercise, unweighted [sets].", ge=0
    )
    strength_sessions: Series[float] = _week_measure("Strength sessions logged [sessions].", ge=0)
    unmapped_sets: Series[float] = _week_measure(
        "Sets whose exercise name the exercise catalog does not know; not in the dose above "
        "[sets].",
        ge=0,
    )
    # Exposures and covariates: running.
    run_distance_km: Series[float] = _week_measure("Distance run [km]; 0 = no run logged.", ge=0)
    run_time_min: Series[float] = _week_measure("Moving time running [min].", ge=0)
    n_runs: Series[float] = _week_measure("Runs logged [runs].", ge=0)
    easy_runs: Series[float] = _week_measure("Runs classed as easy [runs].", ge=0)
    long_runs: Series[float] = _week_measure("Runs of at least 60 min moving time [runs].", ge=0)
    srpe_load_au: Series[float] = _week_measure(
        "Session-RPE load of all sessions, RPE x minutes [AU].", ge=0
    )
    acute_load_au: Series[float] = _week_measure(
        "Acute (7-day) daily load at the end of the week, EWMA convention stamped in the build "
        "report [AU/day].",
        ge=0,
    )
    chronic_load_au: Series[float] = _week_measure(
        "Chronic (28-day) daily load at the end of the week [AU/day].", ge=0
    )
    monotony: Series[float] = _week_measure(
        "Training monotony of the week (Foster): mean / population SD of the daily loads, rest "
        "days included, capped at 10.",
        ge=0,
    )
    strain_au: Series[float] = _week_measure(
        "Training strain of the week: weekly load x monotony [AU].", ge=0
    )
    # Outcomes: running.
    easy_pace_s_per_km: Series[float] = _week_measure(
        "Mean pace of the week's easy runs [s/km] (lower is faster).", gt=0
    )
    efficiency_factor_m_per_beat: Series[float] = _week_measure(
        "Mean efficiency factor of the week's runs [m/beat] (higher is fitter).", gt=0
    )
    decoupling_pct: Series[float] = _week_measure(
        "Mean aerobic decoupling of the week's long runs [%] (lower is more enduring)."
    )
    pace_fade_pct: Series[float] = _week_measure(
        "Mean late-run pace fade of the week's long runs [%] (lower is less fatigue)."
    )
    run_rpe: Series[float] = _week_measure("Mean RPE of the week's runs (CR-10).", ge=0, le=10)
    # Outcomes: wellness.
    fatigue: Series[float] = _week_measure("Mean daily fatigue rating of the week, as logged.")
    soreness: Series[float] = _week_measure("Mean daily soreness rating of the week, as logged.")
    readiness: Series[float] = _week_measure("Mean daily readiness rating of the week, as logged.")
    wellness_days: Series[float] = _week_measure(
        "Days of the week with a wellness entry [days].", ge=0, le=7
    )

    @column_check(
        "week_start", name="week_starts_monday", error="must be a Monday without time of day"
    )
    def week_starts_monday(cls, s: pd.Series) -> pd.Series:
        return (s.dt.day_of_week == 0) & (s == s.dt.normalize())

    @row_check(
        name="duplicate_week",
        error="same athlete and week as an earlier row",
        reads=("athlete_id", "week_start"),
    )
    def duplicate_week(cls, df: pd.DataFrame) -> pd.Series:
        return rules.first_occurrence(df, ["athlete_id", "week_start"])

    class Config:
        name = "athlete_week"
        strict = False


TABLES: dict[str, type[pa.DataFrameModel]] = {
    "athletes": AthletesSchema,
    "strength_sets": StrengthSetsSchema,
    "runs": RunsSchema,
    "sessions": SessionsSchema,
    "wellness": WellnessSchema,
    "athlete_week": AthleteWeekSchema,
}


def get_schema(table: str) -> pa.DataFrameSchema:
    """Return the pandera schema of a canonical table.

    Parameters
    ----------
    table : str
        One of ``TABLES``.

    Returns
    -------
    pandera.DataFrameSchema

    Examples
    --------
    >>> get_schema("runs").columns["distance_m"].description
    'Distance [m].'
    """
    try:
        return TABLES[table].to_schema()
    except KeyError:
        raise ValueError(
            f"unknown table {table!r}; choose one of {', '.join(TABLES)}"
        ) from None


_TRAILING = ("timezone", "source", "source_file", "source_row")


def canonical_columns(table: str) -> list[str]:
    """Column order of a canonical table: identity, measures, then zone and provenance.

    Examples
    --------
    >>> canonical_columns("sessions")[:3]
    ['athlete_id', 'start', 'activity']
    """
    names = list(get_schema(table).columns)
    return [c for c in names if c not in _TRAILING] + [c for c in _TRAILING if c in names]


def _dtype_label(dtype: object) -> str:
    text = str(dtype)
    if text.startswith("string") or text == "str":
        return "text"
    if text.startswith("datetime64") and "UTC" in text:
        return "timestamp (UTC)"
    if text.startswith("datetime64"):
        return "date"
    return {"float64": "number", "Int64": "integer"}.get(text, text)


_TEMPLATES = {
    "greater_than_or_equal_to": "must be >= {min_value}",
    "greater_than": "must be > {min_value}",
    "less_than_or_equal_to": "must be <= {max_value}",
    "less_than": "must be < {max_value}",
    "in_range": "must be between {min_value} and {max_value}",
    "isin": "must be one of {allowed_values}",
    "str_length": "text length must be between {min_value} and {max_value}",
}


def describe_check(check: pa.Check) -> str:
    """A readable sentence for a check: the template of a built-in check, else its error text.

    Examples
    --------
    >>> describe_check(pa.Check.le(500))
    'must be <= 500'
    """
    template = _TEMPLATES.get(check.name)
    if template is None:
        return check.error or check.name
    stats = dict(check.statistics or {})
    if "allowed_values" in stats:
        stats["allowed_values"] = ", ".join(map(str, stats["allowed_values"]))
    if check.name == "str_length" and stats.get("min_value") is None:
        return f"text must be at most {stats.get('max_value')} characters"
    try:
        return template.format(**stats)
    except KeyError:
        return check.error or check.name


def data_dictionary(tables: list[str] | None = None) -> str:
    """Render the canonical tables as a Markdown data dictionary.

    Parameters
    ----------
    tables : list of str, optional
        Tables to include; all by default.

    Returns
    -------
    str
        Markdown with one section per table: its purpose, then one line per column with type,
        whether it is required and may be missing, its checks and its description, then the rules
        that involve several columns or rows.
    """
    out = [
        "# Data dictionary",
        "",
        "Generated by `soleus schema` from `soleus_analysis/schemas.py`.",
        "",
    ]
    for name in tables or list(TABLES):
        model = TABLES[name]
        schema = model.to_schema()
        doc = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        out += [f"## `{name}`", "", doc, ""]
        out += ["| column | type | required | may be missing | checks | description |"]
        out += ["|---|---|---|---|---|---|"]
        for col_name in canonical_columns(name):
            col = schema.columns[col_name]
            checks = "; ".join(describe_check(c) for c in col.checks)
            out.append(
                f"| `{col_name}` | {_dtype_label(col.dtype)} | {'yes' if col.required else 'no'} | "
                f"{'yes' if col.nullable else 'no'} | {checks} | {col.description or ''} |"
            )
        if schema.checks:
            out += [
                "",
                "Rules across columns and rows (the offending rows are rejected, not the table):",
                "",
            ]
            out += [f"- `{c.name}`: {c.error}" for c in schema.checks]
        out.append("")
    return "\n".join(out)
