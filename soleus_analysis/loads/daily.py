"""Session-RPE load per athlete and local day on a complete calendar.

Formulas and sources are in ``docs/methods.md`` §4.1; the loads of the sessions come from
:func:`soleus_analysis.loads.sessions.session_loads`.

Rest days and unrecorded days
-----------------------------
Load is summed per local day (the row's zone, else the athlete's, else ``tz``). An athlete is
*recording* load from the first to the last day with a rated session. Inside that period a day
without a session of the sRPE record is a **rest day (0)**; a day with a session of the record
whose load is unknown (no RPE or no duration) is **missing (NaN)**, never 0; sessions of sources
outside the record that match no rated session are counted in ``unrated_sessions`` and leave the
load as the record has it (a forgotten sRPE report shows there, not as missing). A run of more
than ``max_gap_days`` (default 14) consecutive days without *any* record (no session, run, set or
wellness entry) is unrecorded (NaN): a long silence is more likely a logging gap than two weeks of
rest. Outside the period every day is unrecorded and absent from the daily table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soleus_analysis.contracts import takes_table
from soleus_analysis.loads.sessions import (
    RUNS_NEED,
    SESSIONS_NEED,
    STRENGTH_SETS_NEED,
    session_loads,
)
from soleus_analysis.timeutils import day_number, local_dates, row_zones, week_start

__all__ = ["daily_load"]

_US_PER_DAY = 86_400_000_000
_DAILY_COLUMNS = [
    "athlete_id",
    "date",
    "week_start",
    "load_au",
    "n_sessions",
    "unrated_sessions",
    "status",
]


def _unique_pairs(athlete: pd.Series, days: np.ndarray) -> pd.DataFrame:
    """Distinct (athlete_id, day) pairs without converting every id to a Python object."""
    codes, uniques = pd.factorize(athlete, use_na_sentinel=False)
    first = int(days.min()) if len(days) else 0
    span = int(days.max()) - first + 1 if len(days) else 1
    keys = pd.unique(codes.astype("int64") * span + (days - first))
    return pd.DataFrame(
        {"athlete_id": np.asarray(uniques, dtype=object)[keys // span], "day": keys % span + first}
    )


def _has_known_load(sessions, runs, strength_sets) -> bool:
    """Whether any table can give a session of known load (cheap test before the real work)."""

    def known(df, rpe, duration):
        if df is None or not len(df) or rpe not in df.columns:
            return False
        durations = [c for c in duration if c in df.columns]
        return (
            bool((df[rpe].notna() & df[durations].notna().any(axis=1)).any())
            if durations
            else False
        )

    return (
        known(sessions, "rpe", ["duration_s"])
        or known(runs, "rpe", ["moving_time_s", "elapsed_time_s"])
        or known(strength_sets, "session_rpe", ["session_duration_s"])
    )


def _activity_days(tables: list[tuple[pd.DataFrame | None, str]], athletes, tz) -> pd.DataFrame:
    """(athlete_id, day number) of every record of any kind."""
    parts = []
    for df, column in tables:
        if df is None or not len(df) or column not in df.columns:
            continue
        if column == "date":
            days = day_number(df["date"])
        else:
            days = day_number(local_dates(df[column], row_zones(df, athletes, tz)))
        parts.append(_unique_pairs(df["athlete_id"], days))
    if not parts:
        return pd.DataFrame(
            {"athlete_id": pd.Series(dtype=object), "day": pd.Series(dtype="int64")}
        )
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def _grid(spans: pd.DataFrame) -> pd.DataFrame:
    """Complete day grid from per-athlete ``first``..``last`` day numbers."""
    lengths = (spans["last"] - spans["first"] + 1).to_numpy(dtype="int64")
    athlete = np.repeat(spans["athlete_id"].to_numpy(dtype=object), lengths)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    day = np.repeat(spans["first"].to_numpy(dtype="int64"), lengths) + (
        np.arange(lengths.sum()) - offsets
    )
    return pd.DataFrame({"athlete_id": athlete, "day": day})


@takes_table("sessions", SESSIONS_NEED)
@takes_table("runs", RUNS_NEED)
@takes_table("strength_sets", STRENGTH_SETS_NEED)
@takes_table("wellness", ["athlete_id", "date"])
def daily_load(
    sessions: pd.DataFrame | None = None,
    runs: pd.DataFrame | None = None,
    strength_sets: pd.DataFrame | None = None,
    wellness: pd.DataFrame | None = None,
    *,
    athletes: pd.DataFrame | None = None,
    tz: str = "UTC",
    match_window: pd.Timedelta | str = "60min",
    max_gap_days: int | None = 14,
) -> pd.DataFrame:
    """Session-RPE load per athlete and local day on a complete calendar.

    Parameters
    ----------
    sessions, runs, strength_sets, wellness : DataFrame, optional
        Validated canonical tables: ``sessions``
        (:class:`~soleus_analysis.schemas.SessionsSchema`; needs ``athlete_id``, ``start``,
        ``duration_s``), ``runs`` (:class:`~soleus_analysis.schemas.RunsSchema`; needs
        ``athlete_id``, ``start``), ``strength_sets``
        (:class:`~soleus_analysis.schemas.StrengthSetsSchema`; needs ``athlete_id``,
        ``session_start``) and ``wellness`` (:class:`~soleus_analysis.schemas.WellnessSchema`;
        needs ``athlete_id``, ``date``). Sessions, runs and strength sessions give the load (see
        :func:`session_loads`); every record, wellness entries included, shows the athlete was
        logging on that day (gap rule).
    athletes : DataFrame, optional
        For the ``timezone`` of rows that carry none.
    tz : str, default "UTC"
        Zone of rows whose own and athlete's zone are unknown.
    match_window : Timedelta or str
        See :func:`session_loads`.
    max_gap_days : int or None, default 14
        A run of more than this many days without any record is unrecorded (NaN) rather than rest;
        None turns the rule off.

    Returns
    -------
    DataFrame
        One row per athlete and day from the athlete's first to last day with a known load,
        sorted: ``athlete_id``, ``date`` (local), ``week_start``, ``load_au`` [AU] (0 = rest day,
        NaN = not recorded or unknown), ``n_sessions`` (sessions of the sRPE record that day),
        ``unrated_sessions`` (other sessions that match none of them), ``status`` (``training``,
        ``rest``, ``unknown_load`` or ``gap``).

    Examples
    --------
    >>> s = pd.DataFrame({"athlete_id": "a",
    ...                   "start": pd.to_datetime(["2024-05-06T07:00Z", "2024-05-09T07:00Z"]),
    ...                   "activity": "running", "duration_s": [3600.0, 1800.0], "rpe": [5.0, 6.0]})
    >>> daily_load(s)[["date", "load_au", "status"]]
            date  load_au    status
    0 2024-05-06    300.0  training
    1 2024-05-07      0.0      rest
    2 2024-05-08      0.0      rest
    3 2024-05-09    180.0  training
    """
    loads = _counted_sessions(
        sessions, runs, strength_sets, match_window=match_window, athletes=athletes, tz=tz
    )
    if loads.empty:
        return _empty_daily()
    out = _calendar(_per_day(loads, athletes, tz))
    load, status = _day_loads(out)
    if max_gap_days is not None and len(out):
        active_days = _activity_days(
            [
                (sessions, "start"),
                (runs, "start"),
                (strength_sets, "session_start"),
                (wellness, "date"),
            ],
            athletes,
            tz,
        )
        gap = _gaps(out, active_days, max_gap_days)
        load = np.where(gap, np.nan, load)
        status = np.where(gap, "gap", status)
    return _daily_table(out, load, status)


def _counted_sessions(sessions, runs, strength_sets, *, match_window, athletes, tz) -> pd.DataFrame:
    """The counted sessions of :func:`session_loads`; empty when no table can give a load."""
    if not _has_known_load(sessions, runs, strength_sets):
        return pd.DataFrame()  # nothing can give a load: no recording period, no days
    loads = session_loads(
        sessions, runs, strength_sets, match_window=match_window, athletes=athletes, tz=tz
    )
    return loads[loads["counted"].astype(bool)]


def _empty_daily() -> pd.DataFrame:
    """The daily table without rows, with its columns and dtypes."""
    return pd.DataFrame(
        {
            "athlete_id": pd.Series(dtype=object),
            "date": pd.Series(dtype="datetime64[us]"),
            "week_start": pd.Series(dtype="datetime64[us]"),
            "load_au": pd.Series(dtype=float),
            "n_sessions": pd.Series(dtype="int64"),
            "unrated_sessions": pd.Series(dtype="int64"),
            "status": pd.Series(dtype=object),
        }
    )


def _per_day(loads: pd.DataFrame, athletes, tz) -> pd.DataFrame:
    """Load, sessions of the sRPE record, other sessions and unknown load per athlete-day."""
    rated_source = loads["rated_source"].to_numpy(dtype=bool)
    known_load = loads["load_au"].notna().to_numpy()
    loads = loads.assign(
        day=day_number(local_dates(loads["start"], row_zones(loads, athletes, tz))),
        # A session of an sRPE instrument without a load leaves the day's load unknown; a session
        # of a source that never rates sessions is only counted as unrated.
        unknown=rated_source & ~known_load,
        scored=rated_source,
        unrated=~rated_source,
    )
    per_day = loads.groupby(["athlete_id", "day"], sort=False).agg(
        load_au=("load_au", "sum"),
        n_sessions=("scored", "sum"),
        unrated_sessions=("unrated", "sum"),
        unknown=("unknown", "any"),
    )
    return per_day.reset_index()


def _calendar(per_day: pd.DataFrame) -> pd.DataFrame:
    """``per_day`` on every day of each athlete's recording period (first to last known load)."""
    known = per_day[~per_day["unknown"] & (per_day["n_sessions"] > 0)]
    spans = known.groupby("athlete_id", sort=True)["day"].agg(first="min", last="max").reset_index()
    grid = _grid(spans)
    out = grid.merge(per_day, on=["athlete_id", "day"], how="left", sort=False)
    out["n_sessions"] = out["n_sessions"].fillna(0).astype("int64")
    out["unrated_sessions"] = out["unrated_sessions"].fillna(0).astype("int64")
    return out


def _day_loads(out: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each calendar day's load and status before the gap rule: training, unknown_load or rest."""
    has_session = (out["n_sessions"] > 0).to_numpy()
    unknown = out["unknown"].fillna(False).astype(bool).to_numpy()
    load = np.where(
        has_session, np.where(unknown, np.nan, out["load_au"].to_numpy(dtype=float)), 0.0
    )
    status = np.where(has_session, np.where(unknown, "unknown_load", "training"), "rest").astype(
        object
    )
    return load, status


def _gaps(out: pd.DataFrame, active_days: pd.DataFrame, max_gap_days: int) -> np.ndarray:
    """Calendar days inside a run of more than ``max_gap_days`` days without any record.

    A day with a session of any source, or a record in ``active_days``, breaks the run.
    """
    any_session = (out["n_sessions"] > 0).to_numpy() | (out["unrated_sessions"] > 0).to_numpy()
    active = out[["athlete_id", "day"]].merge(
        active_days.assign(active=True), on=["athlete_id", "day"], how="left"
    )["active"]
    active = active.fillna(False).astype(bool).to_numpy() | any_session
    first_of_athlete = np.r_[
        True, out["athlete_id"].to_numpy()[1:] != out["athlete_id"].to_numpy()[:-1]
    ]
    block = np.cumsum(active | first_of_athlete)
    idle = (~active).astype("int64")
    run_length = pd.Series(idle).groupby(block).transform("sum").to_numpy()
    return ~active & (run_length > max_gap_days)


def _daily_table(out: pd.DataFrame, load: np.ndarray, status: np.ndarray) -> pd.DataFrame:
    """The daily table's columns, in order, from the calendar and each day's load and status."""
    dates = (out["day"].to_numpy(dtype="int64") * _US_PER_DAY).view("datetime64[us]")
    result = pd.DataFrame(
        {
            "athlete_id": out["athlete_id"].to_numpy(dtype=object),
            "date": dates,
            "load_au": load,
            "n_sessions": out["n_sessions"].to_numpy(),
            "unrated_sessions": out["unrated_sessions"].to_numpy(),
            "status": status,
        }
    )
    result.insert(2, "week_start", week_start(result["date"]))
    return result[_DAILY_COLUMNS]
