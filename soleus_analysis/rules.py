"""Rules that look at several rows at once: duplicates, near-duplicates, overlaps, speed limits.

Each rule returns a boolean Series aligned with the frame. The schemas use them as dataframe
checks, so a rule rejects the offending rows (the later copy of a duplicate, the later of two
overlapping runs), never the whole table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soleus_analysis import runlength

__all__ = [
    "NEAR_DUPLICATE_WINDOW",
    "SET_KEY",
    "first_occurrence",
    "near_duplicate_sessions",
    "overlapping_intervals",
    "speed_is_humanly_possible",
    "world_record_speed",
]

#: Columns that identify one set.
SET_KEY = ("athlete_id", "session_start", "exercise_raw", "set_index")
#: Two sessions of one athlete with the same sets that start this close are one session logged
#: twice.
NEAR_DUPLICATE_WINDOW = pd.Timedelta(minutes=10)

# Men's outdoor world records (World Athletics, 2024): distance [m] -> time [s]. Used as an upper
# bound on average speed; 5% slack absorbs GPS distance error on short runs.
_WORLD_RECORDS = {
    100: 9.58,
    200: 19.19,
    400: 43.03,
    800: 100.91,
    1500: 206.00,
    5000: 755.36,
    10000: 1571.00,
    21097.5: 3451.0,
    42195: 7235.0,
    100000: 21935.0,
    250000: 65000.0,
}
_WR_SLACK = 1.05


#: Below this many rows :func:`first_occurrence` uses ``DataFrame.duplicated`` directly.
_SMALL = 50_000


def _int_codes(values: pd.Series) -> np.ndarray:
    """Integers equal exactly where the cells are equal (missing cells equal each other)."""
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(dtype):
        return np.asarray(values.array.asi8)  # NaT is one integer, so missing equals missing
    if pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        data = values.to_numpy(dtype="int64", na_value=0)
        missing = values.isna().to_numpy()
        if missing.any():
            present = data[~missing]
            data[missing] = (present.min() - 1) if len(present) else 0
        return data
    return pd.factorize(values.array, use_na_sentinel=True)[0].astype("int64", copy=False)


class _Column:
    """A key column as run-friendly pieces: where it changes from row to row, codes of some rows.

    Arrow text is compared in place and only the rows that start a run are hashed; other dtypes
    become integers once.
    """

    def __init__(self, values: pd.Series) -> None:
        self._values = values
        self._text = runlength.arrow_text(values) is not None
        self._codes = None if self._text else _int_codes(values)

    def changes(self) -> np.ndarray:
        """``out[i]`` is True when row ``i + 1`` differs from row ``i``."""
        if self._codes is not None:
            return self._codes[1:] != self._codes[:-1]
        return runlength.changes(self._values)

    def codes_at(self, rows: np.ndarray) -> np.ndarray:
        """Integer codes of the rows where ``rows`` (a boolean mask) is True."""
        if self._codes is not None:
            return self._codes[rows]
        return pd.factorize(self._values.array[rows], use_na_sentinel=True)[0]


def _refine(group: np.ndarray, column: _Column) -> np.ndarray | None:
    """Dense ids of the pairs (group, column).

    Only the first row of each run of equal pairs is hashed.

    Rows of a real log come in runs (the sets of a session are adjacent), so the hash tables hold
    far fewer entries than there are rows. None when the rows hardly form runs.
    """
    n = len(group)
    starts = np.empty(n, dtype=bool)
    starts[:1] = True
    np.not_equal(group[1:], group[:-1], out=starts[1:])
    starts[1:] |= column.changes()
    first = np.flatnonzero(starts)
    if len(first) > n // 2:
        return None  # no runs to speak of: the caller hashes the rows directly
    run_group = group[first]
    run_codes, uniques = pd.factorize(column.codes_at(starts))
    width = max(len(uniques), 1)
    if (int(run_group.max()) + 1) * width < 2**62:
        run_ids = pd.factorize(run_group * width + run_codes)[0]
    else:
        run_ids = pd.MultiIndex.from_arrays([run_group, run_codes]).factorize()[0]
    return np.repeat(run_ids.astype("int64", copy=False), np.diff(first, append=n))


def _later_copies(group: np.ndarray, last: np.ndarray) -> np.ndarray:
    """True for rows whose (group, last) pair occurred on an earlier row.

    Groups that form one run of rows with ``last`` strictly increasing (a session's sets numbered
    0, 1, 2...) cannot hold a repeated pair; only the other groups' rows are checked exactly.
    """
    n = len(group)
    new_group = np.empty(n, dtype=bool)
    new_group[:1] = True
    np.not_equal(group[1:], group[:-1], out=new_group[1:])
    n_groups = int(group.max()) + 1
    runs_per_group = np.bincount(group[new_group], minlength=n_groups)
    suspect = runs_per_group > 1
    not_increasing = ~new_group[1:] & (last[1:] <= last[:-1])
    suspect[group[1:][not_increasing]] = True
    out = np.zeros(n, dtype=bool)
    rows = suspect[group]
    if rows.any():
        sub = pd.DataFrame({"g": group[rows], "v": last[rows]})
        out[rows] = sub.duplicated(keep="first").to_numpy()
    return out


def first_occurrence(df: pd.DataFrame, key: list[str]) -> pd.Series:
    """True for the first row of each key, False for later copies.

    Exactly ``~df.duplicated(subset=key, keep="first")`` (missing values equal each other). Large
    tables take a faster path that uses the order real logs come in: rows are grouped key column
    by key column over runs of equal consecutive values, and only groups whose rows are not one
    run in increasing order of the last key column are checked pair by pair.

    Examples
    --------
    >>> first_occurrence(pd.DataFrame({"a": [1, 1, 2]}), ["a"]).tolist()
    [True, False, True]
    """
    if len(df) < _SMALL or not key:
        return ~df.duplicated(subset=key, keep="first")
    group = np.zeros(len(df), dtype="int64")
    for name in key[:-1]:
        group = _refine(group, _Column(df[name]))
        if group is None:  # rows in no useful order
            return ~df.duplicated(subset=key, keep="first")
    return pd.Series(~_later_copies(group, _int_codes(df[key[-1]])), index=df.index)


def _sessions(athlete: pd.Series, start: pd.Series) -> np.ndarray:
    """Dense ids of the (athlete, start) pairs of the rows."""
    group = _refine(np.zeros(len(athlete), dtype="int64"), _Column(athlete))
    if group is not None:
        group = _refine(group, _Column(start))
    if group is None:
        frame = pd.DataFrame({"a": athlete.array, "s": start.array})
        group = frame.groupby(["a", "s"], sort=False, dropna=False).ngroup().to_numpy()
    return group.astype("int64", copy=False)


def near_duplicate_sessions(
    sets: pd.DataFrame, *, window: pd.Timedelta = NEAR_DUPLICATE_WINDOW
) -> pd.Series:
    """Flag the sets of a session that repeats the previous session of the same athlete.

    A real export held the same workout twice, 40 s apart: an exact-key uniqueness rule passes it.
    Two consecutive sessions of one athlete are the same workout logged twice when they start less
    than ``window`` apart and hold the same multiset of (exercise, set number, reps, load).

    Parameters
    ----------
    sets : DataFrame
        Strength sets with ``athlete_id``, ``session_start``, ``exercise_raw``, ``set_index``,
        ``reps`` and ``load_kg``.
    window : Timedelta
        Largest gap between the two starts.

    Returns
    -------
    Series of bool
        True for every set of the later session of such a pair.
    """
    flagged = pd.Series(False, index=sets.index)
    if sets.empty:
        return flagged
    # Sessions as dense ids of (athlete code, start in microseconds), built over runs of rows.
    session = _sessions(sets["athlete_id"], sets["session_start"])
    n_sessions = int(session.max()) + 1
    # Each session's athlete (as a code) and start, from the first row of each run of rows.
    first = np.ones(len(session), dtype=bool)
    first[1:] = session[1:] != session[:-1]
    athlete = pd.factorize(sets["athlete_id"].array[first], use_na_sentinel=True)[0]
    start = sets["session_start"].array[first].to_numpy(dtype="datetime64[us]").view("int64")
    s_athlete = np.empty(n_sessions, dtype="int64")
    s_start = np.empty(n_sessions, dtype="int64")
    s_athlete[session[first]] = athlete
    s_start[session[first]] = start
    order = np.lexsort((s_start, s_athlete))
    a, t = s_athlete[order], s_start[order]
    gap = np.diff(t, prepend=np.iinfo("int64").min)
    same_athlete = np.r_[False, a[1:] == a[:-1]]
    close = same_athlete & (gap > 0) & (gap <= window // pd.Timedelta(microseconds=1))
    if not close.any():
        return flagged
    later = order[close]
    earlier = order[np.flatnonzero(close) - 1]
    candidate = np.zeros(n_sessions, dtype=bool)
    candidate[later] = candidate[earlier] = True
    in_candidate = candidate[session]
    # Only the few candidate sessions get a content signature: an order-free sum of row hashes.
    content = pd.DataFrame(
        {
            name: sets[name].array[in_candidate]
            for name in ("exercise_raw", "set_index", "reps", "load_kg")
        }
    )
    row_hash = pd.util.hash_pandas_object(content, index=False).to_numpy()
    by_session = pd.DataFrame({"session": session[in_candidate], "hash": row_hash}).groupby(
        "session"
    )["hash"]
    signature = by_session.sum()
    count = by_session.size()
    same = (signature.reindex(later).to_numpy() == signature.reindex(earlier).to_numpy()) & (
        count.reindex(later).to_numpy() == count.reindex(earlier).to_numpy()
    )
    repeated = np.zeros(n_sessions, dtype=bool)
    repeated[later[same]] = True
    if not repeated.any():
        return flagged
    return pd.Series(repeated[session], index=sets.index)


def _instants(values: pd.Series) -> np.ndarray:
    """Timestamps as UTC nanoseconds (float, NaN where missing), tz-aware or not."""
    as_ns = pd.to_datetime(values, utc=True).dt.tz_convert(None).astype("datetime64[ns]")
    out = as_ns.to_numpy().view("int64").astype("float64")
    out[as_ns.isna().to_numpy()] = np.nan
    return out


def overlapping_intervals(
    df: pd.DataFrame, *, start: str, group: str, end: str | None = None
) -> pd.Series:
    """Flag rows whose interval starts before the previous kept interval of the group has ended.

    Intervals are visited in time order within each group; a row that overlaps the last interval
    that was kept is flagged and does not itself block later rows (greedy), so removing the flagged
    rows leaves non-overlapping intervals and no row is flagged only because of a flagged one.

    Parameters
    ----------
    df : DataFrame
    start : str
        Column of start timestamps.
    group : str
        Column that separates independent timelines (the athlete).
    end : str, optional
        Column of end timestamps. By default ``start`` plus ``elapsed_time_s`` (or
        ``moving_time_s`` where elapsed time is missing); an interval without either has no length.

    Returns
    -------
    Series of bool
    """
    if df.empty:
        return pd.Series(False, index=df.index)
    begin = df[start]
    if end is not None:
        finish = df[end]
    else:
        seconds = pd.Series(0.0, index=df.index)
        for col in ("moving_time_s", "elapsed_time_s"):
            if col in df:
                seconds = df[col].where(df[col].notna(), seconds)
        finish = begin + pd.to_timedelta(seconds.fillna(0.0), unit="s")
    # Integer instants (UTC): comparing and sorting tz-aware values as objects cost seconds.
    b_all = _instants(begin)
    f_all = _instants(finish)
    order = np.lexsort((b_all, df[group].to_numpy()))
    g = df[group].to_numpy()[order]
    b = b_all[order]
    f = f_all[order]
    flags = np.zeros(len(df), dtype=bool)
    # Fast screen: with a running maximum of all earlier ends, a row that clears it clears the
    # greedy rule too, so the exact loop runs only over the groups that have a candidate.
    new_group = np.r_[True, g[1:] != g[:-1]]
    group_id = np.cumsum(new_group)
    running = pd.Series(f).groupby(group_id).cummax()
    prev_end = running.groupby(group_id).shift().to_numpy(dtype="float64")
    candidate = (~new_group) & (b < prev_end)
    if candidate.any():
        rows = np.flatnonzero(np.isin(group_id, np.unique(group_id[candidate])))
        last_end = None
        current = None
        for i in rows:
            if group_id[i] != current:
                current, last_end = group_id[i], f[i]
                continue
            if b[i] < last_end:
                flags[i] = True
            else:
                last_end = f[i]
    out = np.empty(len(df), dtype=bool)
    out[order] = flags
    return pd.Series(out, index=df.index)


def world_record_speed(distance_m: np.ndarray | pd.Series) -> np.ndarray:
    """Average speed [m/s] of the men's world record at each distance (log-linear interpolation).

    Examples
    --------
    >>> round(float(world_record_speed([10000])[0]), 2)
    6.37
    """
    d = np.asarray(list(_WORLD_RECORDS), dtype=float)
    v = d / np.asarray(list(_WORLD_RECORDS.values()))
    x = np.clip(np.asarray(distance_m, dtype=float), d[0], d[-1])
    return np.interp(np.log(x), np.log(d), v)


def speed_is_humanly_possible(distance_m: pd.Series, time_s: pd.Series) -> pd.Series:
    """False where the average speed beats the world record for the distance by more than 5%.

    Rows without distance or time pass: the rule judges only what was recorded.

    Examples
    --------
    >>> distance, seconds = pd.Series([10000.0, 10000.0]), pd.Series([1200.0, 3000.0])
    >>> speed_is_humanly_possible(distance, seconds).tolist()
    [False, True]
    """
    speed = distance_m / time_s
    limit = world_record_speed(distance_m.fillna(1000.0)) * _WR_SLACK
    return ~(speed > limit).fillna(False)
