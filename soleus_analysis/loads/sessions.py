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

import numpy as np
import pandas as pd

from soleus_analysis.loads.columns import (
    frame_or_none,
    need_columns,
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
    need_columns(sessions, "sessions", ["athlete_id", "start", "duration_s"])
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
    need_columns(runs, "runs", ["athlete_id", "start"])
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
    need_columns(strength_sets, "strength_sets", ["athlete_id", "session_start"])
    codes, uniques = pd.factorize(strength_sets["athlete_id"], use_na_sentinel=False)
    if "timezone" in strength_sets.columns:
        zone_codes, zone_names = pd.factorize(strength_sets["timezone"], use_na_sentinel=True)
    else:
        zone_codes, zone_names = np.full(len(strength_sets), -1), []
    sets = pd.DataFrame(
        {
            "athlete": codes,
            "start": utc_values(strength_sets["session_start"]),
            "timezone": zone_codes,
            "row": np.arange(len(strength_sets)),
            "duration_s": numeric_column(strength_sets, "session_duration_s").to_numpy(),
            "rpe": numeric_column(strength_sets, "session_rpe").to_numpy(),
            "source": pd.factorize(row_sources(strength_sets, "strength_sets"))[0],
        }
    )
    source_names = pd.factorize(row_sources(strength_sets, "strength_sets"))[1]
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
        Validated canonical tables. See the module docstring for which columns give the duration
        and the RPE of each, and for the double-counting rule.
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
    parts = _parts(
        frame_or_none(sessions, "sessions"),
        frame_or_none(runs, "runs"),
        frame_or_none(strength_sets, "strength_sets"),
    )
    if not parts:
        empty = {c: pd.Series(dtype=object) for c in _SESSION_COLUMNS}
        return pd.DataFrame(empty)
    frame = _session_frame(parts)
    rated = frame["load_au"].notna().to_numpy()
    in_sessions = (frame["table"] == "sessions").to_numpy()
    # The double-counting rules of the module docstring, in order; rule 3 sees only the rows
    # that rule 2b left unmatched.
    _drop_same_source_twins(frame, rated)
    _merge_rated_twins(frame, rated & in_sessions)
    counted = frame["counted"].to_numpy(dtype=bool)
    matched = _match_nearby(frame, rated, counted, in_sessions, pd.Timedelta(match_window))
    _match_same_day(frame, rated, counted, matched, athletes=athletes, tz=tz)
    dup = matched.notna()
    frame.loc[dup[dup].index, "counted"] = False
    frame.loc[dup[dup].index, "duplicate_of"] = matched[dup]
    frame["rated_source"] = _rated_sources(frame, rated)
    out = frame.sort_values(["athlete_id", "start", "table"], kind="stable", ignore_index=True)
    return out[_SESSION_COLUMNS]


def _session_frame(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """All sessions in one frame with their end, load, kind and label; every one counted."""
    frame = pd.concat(parts, ignore_index=True)
    frame["start"] = pd.to_datetime(frame["start"], utc=True).dt.as_unit("us")
    frame["duration_min"] = frame["duration_s"] / 60.0
    frame["end"] = frame["start"] + pd.to_timedelta(frame["duration_s"].fillna(0.0), unit="s")
    frame["load_au"] = (frame["rpe"] * frame["duration_min"]).round(1)
    frame["counted"] = True
    frame["duplicate_of"] = pd.Series(pd.NA, index=frame.index, dtype="str")
    frame["kind"] = np.where(
        frame["table"] == "runs",
        "running",
        np.where(frame["table"] == "strength_sets", "strength", _kind(frame["activity"])),
    ).astype(object)
    frame["label"] = frame["table"] + " row " + frame["row"].map(_row_label).astype("str")
    return frame


def _drop_same_source_twins(frame: pd.DataFrame, rated: np.ndarray) -> None:
    """Rule 1: one session in two tables of the same source with the same start.

    An activity tracker writes a run to both runs and sessions: one copy is kept, a rated one
    first, then sessions > runs > strength; the others are marked in ``frame``.
    """
    priority = frame["table"].map({"sessions": 0, "runs": 1, "strength_sets": 2}).to_numpy()
    order = np.lexsort((priority, ~rated))
    ranked = frame.iloc[order]
    twin = ranked.duplicated(["athlete_id", "start", "source"], keep="first")
    kept = ranked.drop_duplicates(["athlete_id", "start", "source"], keep="first")
    keep_label = ranked[["athlete_id", "start", "source"]].merge(
        kept[["athlete_id", "start", "source", "label"]], how="left"
    )["label"]
    twins = ranked.index[twin.to_numpy()]
    frame.loc[twins, "counted"] = False
    frame.loc[twins, "duplicate_of"] = keep_label.to_numpy()[twin.to_numpy()]


def _match_nearby(
    frame: pd.DataFrame,
    rated: np.ndarray,
    counted: np.ndarray,
    in_sessions: np.ndarray,
    window: pd.Timedelta,
) -> pd.Series:
    """Rule 2b: the label of the session each counted row is a copy of, by time overlap.

    A rated run or strength session overlapping (within ``window``) a rated sessions-table row is
    that session; an unrated session also matches rated runs and strength sessions. Rows that
    match nothing are missing.
    """
    matched = pd.Series(pd.NA, index=frame.index, dtype="str")
    for candidates, targets in (
        (frame[counted & rated & ~in_sessions], frame[counted & rated & in_sessions]),
        (frame[counted & ~rated], frame[counted & rated]),
    ):
        if len(candidates) and len(targets):
            _match_overlap(candidates, targets, window, matched)
    return matched


def _match_same_day(
    frame: pd.DataFrame,
    rated: np.ndarray,
    counted: np.ndarray,
    matched: pd.Series,
    *,
    athletes: pd.DataFrame | None,
    tz: str,
) -> None:
    """Rule 3: an unrated session still unmatched and a rated one of another source, of the same
    kind on the same local day, are one session (written into ``matched``).

    sRPE apps record the report time, often hours later. Two sessions of one source on a day are
    two sessions.
    """
    targets = frame[counted & rated]
    unknown = frame.index[counted & ~rated & matched.isna().to_numpy()]
    if not (len(unknown) and len(targets)):
        return
    day = day_number(local_dates(frame["start"], row_zones(frame, athletes, tz)))
    keys = pd.DataFrame(
        {
            "athlete_id": frame["athlete_id"],
            "day": day,
            "kind": frame["kind"],
            "source": frame["source"],
        }
    )
    first = keys.loc[targets.index].assign(target=targets["label"].to_numpy())
    first = first[first["kind"].notna()].rename(columns={"source": "target_source"})
    same = keys.loc[unknown].reset_index(names="idx").merge(first, on=["athlete_id", "day", "kind"])
    same = same[same["source"] != same["target_source"]].drop_duplicates("idx")
    matched.loc[same["idx"].to_numpy()] = (same["target"] + " (same day)").to_numpy()


def _rated_sources(frame: pd.DataFrame, rated: np.ndarray) -> np.ndarray:
    """Whether each row's source rates at least one of the athlete's sessions (sRPE record)."""
    return (
        pd.Series(rated, index=frame.index)
        .groupby([frame["athlete_id"], frame["source"]])
        .transform("any")
    ).to_numpy(dtype=bool)


def _kind(activity: pd.Series) -> np.ndarray:
    """``running``, ``strength`` or None from a free-text activity name."""
    text = activity.astype("str").str.lower().fillna("")
    return np.where(
        text.str.contains(RUNNING_PATTERN, regex=True),
        "running",
        np.where(text.str.contains(STRENGTH_PATTERN, regex=True), "strength", None),
    ).astype(object)


def _merge_rated_twins(frame: pd.DataFrame, eligible: np.ndarray) -> None:
    """Rule 2a of :func:`session_loads`: mark the copies of a session rated by two sources.

    Sources are ranked per athlete by their number of eligible rows (ties by name); a row is a
    copy when its interval overlaps (no widening) that of a counted row of a better-ranked source
    whose kind is the same or unknown.
    """
    rows = frame[eligible & frame["counted"].to_numpy(dtype=bool)]
    if rows.empty or rows["source"].nunique() < 2:
        return
    sizes = rows.groupby(["athlete_id", "source"], sort=True).size().rename("n").reset_index()
    sizes = sizes.sort_values(["athlete_id", "n", "source"], ascending=[True, False, True])
    sizes["rank"] = sizes.groupby("athlete_id").cumcount()
    rank = rows[["athlete_id", "source"]].merge(sizes, how="left")["rank"].to_numpy()
    unknown = rows["kind"].isna().to_numpy()
    for level in range(1, int(rank.max()) + 1):
        counted = frame.loc[rows.index, "counted"].to_numpy(dtype=bool)
        matched = pd.Series(pd.NA, index=frame.index, dtype="str")
        # A candidate of a known kind matches that kind or an unknown one; an unknown, any.
        for kind in (*pd.unique(rows["kind"].dropna()), None):
            if kind is None:
                mine, theirs = unknown, np.ones(len(rows), dtype=bool)
            else:
                mine = (rows["kind"] == kind).to_numpy(dtype=bool)
                theirs = mine | unknown
            candidates = rows[(rank == level) & mine]
            targets = rows[(rank < level) & counted & theirs]
            if len(candidates) and len(targets):
                _match_overlap(candidates, targets, pd.Timedelta(0), matched)
        hit = matched.notna()
        frame.loc[hit[hit].index, "counted"] = False
        frame.loc[hit[hit].index, "duplicate_of"] = matched[hit]


def _match_overlap(candidates, targets, window, matched: pd.Series) -> None:
    """Mark each candidate whose interval (widened by ``window``) overlaps a target's."""
    left = (
        candidates[["athlete_id", "start", "end"]]
        .reset_index(names="idx")
        .sort_values("start", kind="stable")
    )
    right = (
        targets[["athlete_id", "start", "end", "label"]]
        .rename(columns={"start": "t_start", "end": "t_end", "label": "target"})
        .sort_values("t_start", kind="stable")
    )
    for direction in ("backward", "forward"):
        near = pd.merge_asof(
            left, right, left_on="start", right_on="t_start", by="athlete_id", direction=direction
        )
        overlap = (near["t_start"] - window <= near["end"]) & (
            near["start"] - window <= near["t_end"]
        )
        hit = near[overlap.fillna(False).astype(bool)]
        todo = matched.loc[hit["idx"]].isna().to_numpy()
        matched.loc[hit["idx"].to_numpy()[todo]] = hit["target"].astype("str").to_numpy()[todo]


def _row_label(value) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)
