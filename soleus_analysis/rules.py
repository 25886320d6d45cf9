"""Rules that look at several rows at once: duplicates, near-duplicates, overlaps, speed limits.

Each rule returns a boolean Series aligned with the frame. The schemas use them as dataframe
checks, so a rule rejects the offending rows (the later copy of a duplicate, the later of two
overlapping runs), never the whole table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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
#: Two sessions of one athlete with the same sets that start this close are one session logged twice.
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


def first_occurrence(df: pd.DataFrame, key: list[str]) -> pd.Series:
    """True for the first row of each key, False for later copies.

    Examples
    --------
    >>> first_occurrence(pd.DataFrame({"a": [1, 1, 2]}), ["a"]).tolist()
    [True, False, True]
    """
    return ~df.duplicated(subset=key, keep="first")


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
    # Sessions as (athlete code, start in microseconds): integer keys keep this cheap at scale.
    athlete = pd.factorize(sets["athlete_id"])[0]
    start = sets["session_start"].to_numpy(dtype="datetime64[us]").astype("int64")
    keys = pd.DataFrame({"athlete": athlete, "start": start}).drop_duplicates()
    keys = keys.sort_values(["athlete", "start"], kind="stable")
    gap = np.diff(keys["start"].to_numpy(), prepend=np.iinfo("int64").min)
    same_athlete = np.r_[False, keys["athlete"].to_numpy()[1:] == keys["athlete"].to_numpy()[:-1]]
    close = same_athlete & (gap > 0) & (gap <= window // pd.Timedelta(microseconds=1))
    if not close.any():
        return flagged
    later = keys[close]
    earlier = keys.shift()[close].astype("int64")
    row_keys = pd.MultiIndex.from_arrays([athlete, start])
    candidates = pd.MultiIndex.from_frame(pd.concat([later, earlier]).drop_duplicates())
    in_candidate = row_keys.isin(candidates)
    # Only the few candidate sessions get a content signature: an order-free sum of row hashes.
    content = sets.loc[in_candidate, ["exercise_raw", "set_index", "reps", "load_kg"]]
    row_hash = pd.util.hash_pandas_object(content, index=False).to_numpy()
    by_session = pd.DataFrame(
        {"athlete": athlete[in_candidate], "start": start[in_candidate], "hash": row_hash}
    ).groupby(["athlete", "start"])["hash"]
    signature = by_session.sum()
    count = by_session.size()
    later_keys = pd.MultiIndex.from_frame(later)
    earlier_keys = pd.MultiIndex.from_frame(earlier)
    same = (signature.reindex(later_keys).to_numpy() == signature.reindex(earlier_keys).to_numpy()) & (
        count.reindex(later_keys).to_numpy() == count.reindex(earlier_keys).to_numpy()
    )
    repeated = later_keys[same]
    if len(repeated) == 0:
        return flagged
    return pd.Series(row_keys.isin(repeated), index=sets.index)


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
    order = np.lexsort((begin.to_numpy(), df[group].to_numpy()))
    g = df[group].to_numpy()[order]
    b = begin.to_numpy()[order]
    f = finish.to_numpy()[order]
    flags = np.zeros(len(df), dtype=bool)
    # Fast screen: with a running maximum of all earlier ends, a row that clears it clears the
    # greedy rule too, so the exact loop runs only over the groups that have a candidate.
    new_group = np.r_[True, g[1:] != g[:-1]]
    prev_end = pd.Series(f).groupby(np.cumsum(new_group)).transform(
        lambda s: s.cummax().shift()
    )
    candidate = (~new_group) & (b < prev_end.to_numpy())
    if candidate.any():
        groups_to_check = set(g[candidate])
        last_end = None
        current = None
        for i in range(len(g)):
            if g[i] not in groups_to_check:
                continue
            if g[i] != current:
                current, last_end = g[i], f[i]
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
    >>> speed_is_humanly_possible(pd.Series([10000.0, 10000.0]), pd.Series([1200.0, 3000.0])).tolist()
    [False, True]
    """
    speed = distance_m / time_s
    limit = world_record_speed(distance_m.fillna(1000.0)) * _WR_SLACK
    return ~(speed > limit).fillna(False)
