"""Session-RPE load of every session, with sessions logged twice counted once.

Formulas and sources are in ``docs/methods.md`` §4.1.

Session RPE
-----------
The load of a session is its CR-10 RPE x duration [min] in arbitrary units (Foster et al. 2001,
J Strength Cond Res 15(1):109-115; valid for resistance training, Day et al. 2004, J Strength Cond
Res 18(2):353-358). Sessions come from three tables:

- ``sessions`` (e.g. PMSys ``srpe.csv``, Fitbit activities): ``rpe`` x ``duration_s`` / 60.
- ``runs`` with an ``rpe``: duration = moving time, else elapsed time (as GoldenCheetah does).
- strength sessions (the sets of one ``session_start``): duration = ``session_duration_s``;
  RPE = a ``session_rpe`` column if the table has one. The RPE of a *set* is not a session RPE and
  is not used.

The **sRPE record** of an athlete is made of the sources (the ``source`` column, else the table)
that rate at least one of the athlete's sessions, e.g. PMSys. Sources that never rate a session
(activity trackers, GPX files, strength apps without a session RPE) do not measure sRPE load.

Double counting
---------------
One session logged twice is counted once (``counted`` = False and ``duplicate_of`` on the copy):

1. the same source writes it to two tables with the same start (Fitbit: a run in ``runs`` and in
   ``sessions``): a rated copy is kept first, then sessions > runs > strength;
2. two rated ``sessions`` rows of different sources whose intervals overlap and whose kinds
   (running, strength, from the activity name) do not differ are one session rated twice (a
   Strava run with perceived exertion and the PMSys sRPE report of it): the row of the athlete's
   main sRPE source (the one with most rated sessions) is kept;
   then a session whose time interval, widened by ``match_window`` (default 60 min) on both
   sides, overlaps a rated
   ``sessions`` row (for a rated run or strength session), or any rated session (for an unrated
   one);
3. an unrated session and a rated session of *another* source of the same kind (running or
   strength, from the activity name) on the same local day: sRPE apps record the report time,
   often hours after the session. Two sessions of one source on one day stay two sessions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from soleus_analysis.contracts import takes_table
from soleus_analysis.loads.columns import (
    numeric_column,
    row_sources,
    text_column,
    utc_values,
)
from soleus_analysis.timeutils import day_number, local_dates, row_zones

__all__ = ["RUNNING_PATTERN", "STRENGTH_PATTERN", "session_loads"]

#: Activity names of running and of strength sessions (case-insensitive regular expressions).
RUNNING_PATTERN = r"run|jog|løp|lauf|trail|treadmill"
STRENGTH_PATTERN = r"strength|gym|weight|lift|resist|styrke|kraft|calf"
# The columns of each input table that the sessions are made of; the functions that pass the
# tables on to session_loads declare the same.
SESSIONS_NEED = ("athlete_id", "start", "duration_s")
RUNS_NEED = ("athlete_id", "start")
STRENGTH_SETS_NEED = ("athlete_id", "session_start")
_SESSION_COLUMNS = [
    "athlete_id",
    "start",
    "end",
    "timezone",
    "table",
    "row",
    "source",
    "activity",
    "kind",
    "duration_min",
    "rpe",
    "load_au",
    "counted",
    "duplicate_of",
    "rated_source",
]


def _parts(sessions, runs, strength_sets) -> list[pd.DataFrame]:
    """One frame of sessions per non-empty input table, all with the same columns."""
    parts = []
    if sessions is not None and len(sessions):
        parts.append(_session_rows(sessions))
    if runs is not None and len(runs):
        parts.append(_run_rows(runs))
    if strength_sets is not None and len(strength_sets):
        parts.append(_strength_rows(strength_sets))
    return parts


def _session_rows(sessions: pd.DataFrame) -> pd.DataFrame:
    """The sessions table's rows: duration = ``duration_s``."""
    return pd.DataFrame(
        {
            "athlete_id": sessions["athlete_id"].to_numpy(dtype=object),
            "start": utc_values(sessions["start"]),
            "timezone": text_column(sessions, "timezone").to_numpy(),
            "table": "sessions",
            "row": sessions.index.to_numpy(),
            "activity": text_column(sessions, "activity").to_numpy(),
            "source": row_sources(sessions, "sessions"),
            "duration_s": numeric_column(sessions, "duration_s").to_numpy(),
            "rpe": numeric_column(sessions, "rpe").to_numpy(),
        }
    )


def _run_rows(runs: pd.DataFrame) -> pd.DataFrame:
    """The runs' rows: duration = moving time, else elapsed time."""
    moving = numeric_column(runs, "moving_time_s")
    duration = moving.where(moving.notna(), numeric_column(runs, "elapsed_time_s"))
    return pd.DataFrame(
        {
            "athlete_id": runs["athlete_id"].to_numpy(dtype=object),
            "start": utc_values(runs["start"]),
            "timezone": text_column(runs, "timezone").to_numpy(),
            "table": "runs",
            "row": runs.index.to_numpy(),
            "activity": "running",
            "source": row_sources(runs, "runs"),
            "duration_s": duration.to_numpy(),
            "rpe": numeric_column(runs, "rpe").to_numpy(),
        }
    )


def _strength_rows(strength_sets: pd.DataFrame) -> pd.DataFrame:
    """One row per strength session (the sets of one ``session_start``).

    Each column holds the first non-missing value among the session's sets; ``row`` is the first
    set's row.
    """
    codes, uniques = pd.factorize(strength_sets["athlete_id"], use_na_sentinel=False)
    if "timezone" in strength_sets.columns:
        zone_codes, zone_names = pd.factorize(strength_sets["timezone"], use_na_sentinel=True)
    else:
        zone_codes, zone_names = np.full(len(strength_sets), -1), []
    source_codes, source_names = pd.factorize(row_sources(strength_sets, "strength_sets"))
    sets = pd.DataFrame(
        {
            "athlete": codes,
            "start": utc_values(strength_sets["session_start"]),
            "timezone": zone_codes,
            "row": np.arange(len(strength_sets)),
            "duration_s": numeric_column(strength_sets, "session_duration_s").to_numpy(),
            "rpe": numeric_column(strength_sets, "session_rpe").to_numpy(),
            "source": source_codes,
        }
    )
    first = (
        sets.groupby(["athlete", "start"], sort=False)
        .agg(
            timezone=("timezone", "max"),
            row=("row", "first"),
            duration_s=("duration_s", "first"),
            rpe=("rpe", "first"),
            source=("source", "first"),
        )
        .reset_index()
    )
    first["source"] = np.asarray(source_names, dtype=object)[first["source"].to_numpy()]
    first["athlete_id"] = np.asarray(uniques, dtype=object)[first.pop("athlete").to_numpy()]
    zone_lookup = np.append(np.asarray(zone_names, dtype=object), [None])
    first["timezone"] = zone_lookup[
        np.where(first["timezone"] >= 0, first["timezone"], len(zone_lookup) - 1)
    ]
    first["row"] = strength_sets.index.to_numpy()[first["row"].to_numpy()]
    first["table"] = "strength_sets"
    first["activity"] = "strength"
    return first


@takes_table("sessions", SESSIONS_NEED)
@takes_table("runs", RUNS_NEED)
@takes_table("strength_sets", STRENGTH_SETS_NEED)
def session_loads(
    sessions: pd.DataFrame | None = None,
    runs: pd.DataFrame | None = None,
    strength_sets: pd.DataFrame | None = None,
    *,
    match_window: pd.Timedelta | str = "60min",
    athletes: pd.DataFrame | None = None,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Session-RPE load of every session, with sessions logged twice marked.

    Parameters
    ----------
    sessions, runs, strength_sets : DataFrame, optional
        Validated canonical tables: ``sessions``
        (:class:`~soleus_analysis.schemas.SessionsSchema`; needs ``athlete_id``, ``start``,
        ``duration_s``), ``runs`` (:class:`~soleus_analysis.schemas.RunsSchema`; needs
        ``athlete_id``, ``start``) and ``strength_sets``
        (:class:`~soleus_analysis.schemas.StrengthSetsSchema`; needs ``athlete_id``,
        ``session_start``). See the module docstring for which columns give the duration and the
        RPE of each, and for the double-counting rule.
    match_window : Timedelta or str, default "60min"
        How far apart a run or strength session and a ``sessions`` row may be and still be the
        same session.
    athletes, tz
        Zones for the same-day rule (rows without a ``timezone``).

    Returns
    -------
    DataFrame
        One row per session, sorted by athlete and start: ``athlete_id``, ``start`` and ``end``
        (UTC), ``timezone``, ``table`` (``sessions``, ``runs`` or ``strength_sets``), ``row`` (its
        row in that table; for strength, the first set's row), ``source``, ``activity``,
        ``kind`` (``running``, ``strength`` or missing), ``duration_min`` [min], ``rpe`` (CR-10),
        ``load_au`` [AU] = rpe x duration_min (missing when either is missing), ``counted``
        (False for the copy of a session logged twice), ``duplicate_of`` (``"<table> row N"``,
        with ``" (same day)"`` for rule 3) and ``rated_source`` (the row's source belongs to the
        athlete's sRPE record).

    Examples
    --------
    >>> t = pd.Timestamp("2024-05-06 07:00", tz="UTC")
    >>> s = pd.DataFrame({"athlete_id": ["a"], "start": [t], "activity": ["running"],
    ...                   "duration_s": [3000.0], "rpe": [4.0]})
    >>> r = pd.DataFrame({"athlete_id": ["a", "a"],
    ...                   "start": [t + pd.Timedelta("5min"), t + pd.Timedelta("1D")],
    ...                   "moving_time_s": [2900.0, 1800.0], "rpe": [5.0, 6.0]})
    >>> session_loads(s, r)[["table", "load_au", "counted", "duplicate_of"]]
          table  load_au  counted    duplicate_of
    0  sessions    200.0     True             NaN
    1      runs    241.7    False  sessions row 0
    2      runs    180.0     True             NaN
    """
    parts = _parts(sessions, runs, strength_sets)
    if not parts:
        empty = {c: pd.Series(dtype=object) for c in _SESSION_COLUMNS}
        return pd.DataFrame(empty)
    frame = _session_frame(parts)
    keys = _Keys.of(frame)
    rated = frame["load_au"].notna().to_numpy()
    in_sessions = keys.table == 0
    marks = _Marks.none(len(frame))
    # The double-counting rules of the module docstring, in order; rule 3 sees only the rows
    # that rule 2b left unmatched.
    _drop_same_source_twins(keys, rated, marks)
    _merge_rated_twins(frame, keys, rated & in_sessions, marks)
    counted = marks.counted.copy()
    matched = _match_nearby(keys, rated, counted, in_sessions, pd.Timedelta(match_window))
    same_day = _match_same_day(frame, keys, rated, counted, matched, athletes=athletes, tz=tz)
    nearby = np.flatnonzero(matched >= 0)
    marks.mark(nearby, matched[nearby], same_day=same_day[nearby])
    frame["counted"] = marks.counted
    frame["duplicate_of"] = _labels(frame, marks)
    frame["rated_source"] = _rated_sources(keys, rated)
    out = frame.sort_values(["athlete_id", "start", "table"], kind="stable", ignore_index=True)
    return out[_SESSION_COLUMNS]


_TABLE_CODES = {"sessions": 0, "runs": 1, "strength_sets": 2}


@dataclass(frozen=True)
class _Keys:
    """What the double-counting rules compare, one array entry per row of the session frame.

    ``athlete`` and ``source`` are codes (equal codes = equal values), ``table`` is 0 for
    sessions, 1 for runs and 2 for strength sessions, ``kind`` is 0 for running, 1 for strength
    and -1 when unknown, and ``start`` and ``end`` are naive UTC instants.
    """

    athlete: np.ndarray
    source: np.ndarray
    table: np.ndarray
    kind: np.ndarray
    start: np.ndarray
    end: np.ndarray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> _Keys:
        table = frame["table"].to_numpy(dtype=object)
        kind = frame["kind"].to_numpy(dtype=object)
        return cls(
            athlete=pd.factorize(frame["athlete_id"], use_na_sentinel=False)[0],
            source=pd.factorize(frame["source"], use_na_sentinel=False)[0],
            table=np.where(table == "sessions", 0, np.where(table == "runs", 1, 2)),
            kind=np.where(kind == "running", 0, np.where(kind == "strength", 1, -1)),
            start=frame["start"].dt.tz_localize(None).to_numpy(),
            end=frame["end"].dt.tz_localize(None).to_numpy(),
        )


@dataclass(frozen=True)
class _Marks:
    """Which row each row is a copy of (``target``, a row position; -1 for none), whether the
    copy was found by the same-day rule, and which rows are still counted."""

    counted: np.ndarray
    target: np.ndarray
    same_day: np.ndarray

    @classmethod
    def none(cls, n: int) -> _Marks:
        return cls(np.ones(n, dtype=bool), np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=bool))

    def mark(self, rows: np.ndarray, targets: np.ndarray, *, same_day=False) -> None:
        """Rows ``rows`` are copies of the rows ``targets``: no longer counted."""
        self.counted[rows] = False
        self.target[rows] = targets
        self.same_day[rows] = same_day


def _session_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All sessions in one frame with their end, load and kind; every one counted."""
    frame = pd.concat(parts, ignore_index=True)
    frame["start"] = pd.to_datetime(frame["start"], utc=True).dt.as_unit("us")
    frame["duration_min"] = frame["duration_s"] / 60.0
    frame["end"] = frame["start"] + pd.to_timedelta(frame["duration_s"].fillna(0.0), unit="s")
    frame["load_au"] = (frame["rpe"] * frame["duration_min"]).round(1)
    frame["counted"] = True
    table = frame["table"].to_numpy(dtype=object)
    in_sessions = table == "sessions"
    kind = np.where(table == "runs", "running", "strength").astype(object)
    if in_sessions.any():
        # The kind of a sessions row from its activity name, worked out once per name.
        codes, names = pd.factorize(frame["activity"][in_sessions], use_na_sentinel=True)
        by_name = np.append(_kind(pd.Series(names, dtype=object)), [None])
        kind[in_sessions] = by_name[codes]
    frame["kind"] = kind
    return frame


def _labels(frame: pd.DataFrame, marks: _Marks) -> pd.Series:
    """``duplicate_of``: ``"<table> row N"`` of each copy's target (`` (same day)`` for rule 3)."""
    labels = pd.Series(pd.NA, index=frame.index, dtype="str")
    copies = np.flatnonzero(marks.target >= 0)
    if not len(copies):
        return labels
    targets = marks.target[copies]
    rows = frame["row"].to_numpy()[targets]
    if rows.dtype.kind in "iu":
        numbers = rows.astype(str).astype(object)
    else:
        numbers = np.array([_row_label(value) for value in rows], dtype=object)
    text = frame["table"].to_numpy(dtype=object)[targets] + " row " + numbers
    text = np.where(marks.same_day[copies], text + " (same day)", text)
    labels.iloc[copies] = text
    return labels


def _drop_same_source_twins(keys: _Keys, rated: np.ndarray, marks: _Marks) -> None:
    """Rule 1: one session in two tables of the same source with the same start.

    An activity tracker writes a run to both runs and sessions: one copy is kept, a rated one
    first, then sessions > runs > strength; the others are marked.
    """
    order = np.lexsort((keys.table, ~rated))
    group = (
        pd.DataFrame(
            {"a": keys.athlete[order], "s": keys.start[order], "src": keys.source[order]}
        )
        .groupby(["a", "s", "src"], sort=False, dropna=False)
        .ngroup()
        .to_numpy()
    )
    ranked = np.arange(len(order))
    first = np.empty(group.max() + 1, dtype=np.int64)
    groups, where = np.unique(group, return_index=True)
    first[groups] = where  # the first row of each group in ranked order
    twin = first[group] != ranked
    marks.mark(order[twin], order[first[group[twin]]])


def _match_nearby(
    keys: _Keys,
    rated: np.ndarray,
    counted: np.ndarray,
    in_sessions: np.ndarray,
    window: pd.Timedelta,
) -> np.ndarray:
    """Rule 2b: the row each counted row is a copy of (-1 for none), by time overlap.

    A rated run or strength session overlapping (within ``window``) a rated sessions-table row is
    that session; an unrated session also matches rated runs and strength sessions.
    """
    matched = np.full(len(rated), -1, dtype=np.int64)
    for candidates, targets in (
        (counted & rated & ~in_sessions, counted & rated & in_sessions),
        (counted & ~rated, counted & rated),
    ):
        if candidates.any() and targets.any():
            _match_overlap(
                keys, np.flatnonzero(candidates), np.flatnonzero(targets), window, matched
            )
    return matched


def _match_same_day(
    frame: pd.DataFrame,
    keys: _Keys,
    rated: np.ndarray,
    counted: np.ndarray,
    matched: np.ndarray,
    *,
    athletes: pd.DataFrame | None,
    tz: str,
) -> np.ndarray:
    """Rule 3: an unrated session still unmatched and a rated one of another source, of the same
    kind on the same local day, are one session (written into ``matched``; the rows so matched
    are returned as a mask).

    sRPE apps record the report time, often hours later. Two sessions of one source on a day are
    two sessions.
    """
    same_day = np.zeros(len(rated), dtype=bool)
    targets = np.flatnonzero(counted & rated)
    unknown = np.flatnonzero(counted & ~rated & (matched < 0))
    if not (len(unknown) and len(targets)):
        return same_day
    targets = targets[keys.kind[targets] >= 0]
    rows = np.union1d(unknown, targets)
    day = np.zeros(len(rated), dtype=np.int64)
    if len(rows):
        zone_columns = [c for c in ("athlete_id", "timezone", "start") if c in frame.columns]
        some = frame[zone_columns].iloc[rows].reset_index(drop=True)
        day[rows] = day_number(local_dates(some["start"], row_zones(some, athletes, tz)))
    left = pd.DataFrame(
        {
            "athlete": keys.athlete[unknown],
            "day": day[unknown],
            "kind": keys.kind[unknown],
            "source": keys.source[unknown],
            "idx": unknown,
        }
    )
    right = pd.DataFrame(
        {
            "athlete": keys.athlete[targets],
            "day": day[targets],
            "kind": keys.kind[targets],
            "target_source": keys.source[targets],
            "target": targets,
        }
    )
    same = left.merge(right, on=["athlete", "day", "kind"])
    same = same[same["source"] != same["target_source"]].drop_duplicates("idx")
    idx = same["idx"].to_numpy()
    matched[idx] = same["target"].to_numpy()
    same_day[idx] = True
    return same_day


def _rated_sources(keys: _Keys, rated: np.ndarray) -> np.ndarray:
    """Whether each row's source rates at least one of the athlete's sessions (sRPE record)."""
    width = int(keys.source.max()) + 1
    pair = pd.factorize(keys.athlete.astype(np.int64) * width + keys.source)[0]
    return np.bincount(pair, weights=rated.astype(float))[pair] > 0


def _kind(activity: pd.Series) -> np.ndarray:
    """``running``, ``strength`` or None from a free-text activity name."""
    text = activity.astype("str").str.lower().fillna("")
    return np.where(
        text.str.contains(RUNNING_PATTERN, regex=True),
        "running",
        np.where(text.str.contains(STRENGTH_PATTERN, regex=True), "strength", None),
    ).astype(object)


def _merge_rated_twins(
    frame: pd.DataFrame, keys: _Keys, eligible: np.ndarray, marks: _Marks
) -> None:
    """Rule 2a of :func:`session_loads`: mark the copies of a session rated by two sources.

    Sources are ranked per athlete by their number of eligible rows (ties by name); a row is a
    copy when its interval overlaps (no widening) that of a counted row of a better-ranked source
    whose kind is the same or unknown.
    """
    positions = np.flatnonzero(eligible & marks.counted)
    if not len(positions) or len(np.unique(keys.source[positions])) < 2:
        return
    rows = frame.iloc[positions]
    sizes = rows.groupby(["athlete_id", "source"], sort=True).size().rename("n").reset_index()
    sizes = sizes.sort_values(["athlete_id", "n", "source"], ascending=[True, False, True])
    sizes["rank"] = sizes.groupby("athlete_id").cumcount()
    rank = rows[["athlete_id", "source"]].merge(sizes, how="left")["rank"].to_numpy()
    kind = keys.kind[positions]
    unknown = kind < 0
    for level in range(1, int(rank.max()) + 1):
        counted = marks.counted[positions]
        matched = np.full(len(frame), -1, dtype=np.int64)
        # A candidate of a known kind matches that kind or an unknown one; an unknown, any.
        for code in (*pd.unique(kind[~unknown]), None):
            if code is None:
                mine, theirs = unknown, np.ones(len(positions), dtype=bool)
            else:
                mine = kind == code
                theirs = mine | unknown
            candidates = positions[(rank == level) & mine]
            targets = positions[(rank < level) & counted & theirs]
            if len(candidates) and len(targets):
                _match_overlap(keys, candidates, targets, pd.Timedelta(0), matched)
        hit = np.flatnonzero(matched >= 0)
        marks.mark(hit, matched[hit])


def _match_overlap(
    keys: _Keys,
    candidates: np.ndarray,
    targets: np.ndarray,
    window: pd.Timedelta,
    matched: np.ndarray,
) -> None:
    """Mark each candidate whose interval (widened by ``window``) overlaps a target's.

    ``candidates`` and ``targets`` are row positions; a candidate still unmatched in ``matched``
    gets the position of the nearest target starting before it, else after it.
    """
    widen = window.to_timedelta64()
    left = pd.DataFrame(
        {"athlete": keys.athlete[candidates], "start": keys.start[candidates], "idx": candidates}
    ).sort_values("start", kind="stable")
    right = pd.DataFrame(
        {"athlete": keys.athlete[targets], "t_start": keys.start[targets], "target": targets}
    ).sort_values("t_start", kind="stable")
    for direction in ("backward", "forward"):
        left = left[matched[left["idx"].to_numpy()] < 0]  # matched already: nothing to do
        if left.empty:
            return
        near = pd.merge_asof(
            left, right, left_on="start", right_on="t_start", by="athlete", direction=direction
        )
        found = near["target"].notna().to_numpy()
        idx = near["idx"].to_numpy()[found]
        target = near["target"].to_numpy()[found].astype(np.int64)
        overlap = (keys.start[target] - widen <= keys.end[idx]) & (
            keys.start[idx] - widen <= keys.end[target]
        )
        matched[idx[overlap]] = target[overlap]


def _row_label(value) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)
