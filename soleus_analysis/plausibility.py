"""Plausibility checks: values that pass every range check but look wrong in context.

The rows these checks flag stay valid: a flag is a question for the user, not a verdict. Two kinds:

- per athlete, a pound/kilogram mix-up, which a range check cannot see: one real Strong export's
  ``Weight (kg)`` column had 0% of its loads on a 2.5 kg grid and 85% on a 2.5 lb grid once
  converted back to pounds (:func:`pound_increments`, :func:`unit_jumps`);
- per set, a set that cannot be a training set although each value is in range
  (:func:`implausible_sets`): 0 reps with 40 kg and no duration or distance, a set whose every
  measure is 0, more repetitions than seconds allow. Such a row is flagged rather than rejected
  because it can be a real log entry (a failed attempt, a set left in a template); the flag says
  what to check. Sets that measured nothing at all (every measure missing) are rejected by the
  schema's ``set_has_a_measure`` rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "FLAG_COLUMNS",
    "MAX_REPS_PER_S",
    "check",
    "implausible_sets",
    "pound_increments",
    "unit_jumps",
]

FLAG_COLUMNS = ["row", "athlete_id", "check", "message"]
LB_IN_KG = 0.45359237

_MIN_LOADED_SETS = 10
#: More repetitions per second of set duration than this cannot be performed (fast jump-rope
#: double-unders reach about 3 per second).
MAX_REPS_PER_S = 5.0


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "row" else "str") for c in FLAG_COLUMNS}
    )


def _on_grid(values: np.ndarray, step: float, tol: float) -> np.ndarray:
    ratio = values / step
    return np.abs(ratio - np.round(ratio)) * step <= tol


def pound_increments(sets: pd.DataFrame) -> pd.DataFrame:
    """Flag athletes whose kilogram loads sit on a pound grid rather than a kilogram grid.

    Loads are on the kilogram grid when they are multiples of 1.25 kg (within 0.02 kg), and on
    the pound grid when, converted back to pounds, they are multiples of 2.5 lb (within 0.06 lb)
    without being on the kilogram grid. An athlete with at least 10 loaded sets of whom at least
    60% are on the pound grid and under 25% on the kilogram grid is flagged (every loaded set).

    Rows whose ``load_unit`` is ``"lb"`` are left out: the export said they were pounds.

    Parameters
    ----------
    sets : DataFrame
        Valid strength sets (``athlete_id``, ``load_kg``, optional ``load_unit``), indexed by
        input row.

    Returns
    -------
    DataFrame
        Columns ``row``, ``athlete_id``, ``check`` (``loads_on_pound_grid``), ``message``.
    """
    loaded_mask = sets["load_kg"] > 0
    if "load_unit" in sets:
        # Loads the export itself said were pounds sit on a pound grid by design.
        loaded_mask &= sets["load_unit"].ne("lb").fillna(True)
    loaded = sets.loc[loaded_mask, ["athlete_id", "load_kg"]]
    if loaded.empty:
        return _empty()
    kg = loaded["load_kg"].to_numpy(dtype=float)
    on_kg = _on_grid(kg, 1.25, 0.02)
    on_lb = _on_grid(kg / LB_IN_KG, 2.5, 0.06) & ~on_kg
    shares = (
        pd.DataFrame({"athlete_id": loaded["athlete_id"], "kg": on_kg, "lb": on_lb})
        .groupby("athlete_id")
        .agg(n=("kg", "size"), kg=("kg", "mean"), lb=("lb", "mean"))
    )
    suspect = shares[
        (shares["n"] >= _MIN_LOADED_SETS) & (shares["lb"] >= 0.6) & (shares["kg"] < 0.25)
    ]
    if suspect.empty:
        return _empty()
    rows = loaded[loaded["athlete_id"].isin(suspect.index)]
    messages = {
        athlete: (
            f"{rec.lb:.0%} of {rec.n} loads are multiples of 2.5 lb once converted back to "
            f"pounds and {rec.kg:.0%} are multiples of 1.25 kg: check that the export's unit "
            "matches the plates used (re-read with weight_unit='lb' or 'kg')"
        )
        for athlete, rec in suspect.iterrows()
    }
    return pd.DataFrame(
        {
            "row": rows.index.to_numpy(dtype="int64"),
            "athlete_id": rows["athlete_id"].to_numpy(),
            "check": "loads_on_pound_grid",
            "message": rows["athlete_id"].map(messages).to_numpy(),
        }
    )


def unit_jumps(sets: pd.DataFrame, *, low: float = 2.0, high: float = 2.4) -> pd.DataFrame:
    """Flag sessions whose top load jumps by about x2.2 (or /2.2) against the athlete's history.

    For each athlete and exercise, the heaviest load of a session is compared with the median of
    the heaviest loads of the up to five previous sessions (at least two needed). A ratio in
    ``[low, high]`` or ``[1/high, 1/low]`` is the signature of a kg/lb mix-up (1 kg = 2.2046 lb),
    not of training; every loaded set of that exercise in the session is flagged.

    Parameters
    ----------
    sets : DataFrame
        Valid strength sets (``athlete_id``, ``exercise_raw``, ``session_start``, ``load_kg``).
    low, high : float
        Bounds of the suspicious ratio.

    Returns
    -------
    DataFrame
        Columns ``row``, ``athlete_id``, ``check`` (``load_jump_x2.2``), ``message``.
    """
    is_loaded = (sets["load_kg"] > 0).to_numpy()
    if not is_loaded.any():
        return _empty()
    # Integer keys: grouping on codes is several times faster than on text columns.
    athlete = pd.factorize(sets["athlete_id"])[0][is_loaded]
    exercise = pd.factorize(sets["exercise_raw"])[0][is_loaded]
    series_key = athlete.astype("int64") * (exercise.max() + 1) + exercise
    when = sets["session_start"].to_numpy(dtype="datetime64[us]")[is_loaded]
    load = sets["load_kg"].to_numpy()[is_loaded]
    keyed = pd.DataFrame({"series": series_key, "when": when, "load": load})
    session = keyed.groupby(["series", "when"], sort=True)
    top = session["load"].max()
    reference = _median_of_previous(
        top.to_numpy(dtype="float64"), top.index.get_level_values("series").to_numpy(), 5, 2
    )
    ratio = top.to_numpy(dtype="float64") / reference
    jump = ((ratio >= low) & (ratio <= high)) | ((ratio >= 1 / high) & (ratio <= 1 / low))
    if not jump.any():
        return _empty()
    session_id = session.ngroup().to_numpy()
    hit = jump[session_id]
    rows = sets.index.to_numpy()[is_loaded][hit]
    flagged = sets.loc[rows]
    message = (
        flagged["exercise_raw"].astype("str")
        + ": top load x"
        + pd.Series(ratio[session_id][hit], index=flagged.index).round(2).astype("str")
        + " against the previous sessions (1 kg = 2.2046 lb): probably logged in the other unit"
    )
    return pd.DataFrame(
        {
            "row": rows.astype("int64"),
            "athlete_id": flagged["athlete_id"].to_numpy(),
            "check": "load_jump_x2.2",
            "message": message.to_numpy(),
        }
    )


def _median_of_previous(
    values: np.ndarray, series: np.ndarray, window: int, min_count: int
) -> np.ndarray:
    """Per position, the median of the up to ``window`` previous values of the same series.

    ``values`` (no missing ones) are in order within each series and ``series`` is sorted. NaN
    where fewer than ``min_count`` previous values exist. The same numbers as a grouped
    ``shift().rolling(window, min_periods=min_count).median()``, without a loop over series:
    the previous values are the columns of an (n, window) matrix, sorted per row.
    """
    n = len(values)
    starts = np.r_[True, series[1:] != series[:-1]] if n else np.zeros(0, dtype=bool)
    first = np.maximum.accumulate(np.where(starts, np.arange(n), 0))
    count = np.minimum(np.arange(n) - first, window)  # previous values in the same series
    previous = np.full((n, window), np.inf)
    for k in range(1, window + 1):
        has = count >= k
        previous[has, k - 1] = values[np.flatnonzero(has) - k]
    previous.sort(axis=1)  # the missing (inf) last
    out = np.full(n, np.nan)
    enough = count >= min_count
    c = count[enough]
    rows = previous[enough]
    low = np.take_along_axis(rows, ((c - 1) // 2)[:, None], axis=1)[:, 0]
    high = np.take_along_axis(rows, (c // 2)[:, None], axis=1)[:, 0]
    # As pandas' rolling median: the middle value, or the mean of the two middle values.
    out[enough] = np.where(c % 2 == 1, high, (low + high) / 2)
    return out


def _column(sets: pd.DataFrame, name: str) -> pd.Series:
    if name not in sets:
        return pd.Series(np.nan, index=sets.index)
    return pd.to_numeric(sets[name], errors="coerce").astype("float64")


def implausible_sets(sets: pd.DataFrame) -> pd.DataFrame:
    """Flag sets whose values are each in range but together cannot be a training set.

    - ``zero_reps_with_load``: 0 reps with a load above 0 and no duration or distance (e.g. 0 reps
      with 40 kg): a failed attempt or a set that was not done, logged as a set.
    - ``set_measured_nothing``: reps, duration and distance are each 0 or missing (at least one
      written as 0), and no load.
    - ``reps_faster_than_possible``: more than :data:`MAX_REPS_PER_S` repetitions per second of
      the set's own duration (``duration_s``, or ``set_duration_s`` where a reader keeps it).

    Parameters
    ----------
    sets : DataFrame
        Valid strength sets (``athlete_id``, ``reps``, ``load_kg``, ``duration_s``,
        ``distance_m``; optional ``set_duration_s``), indexed by input row.

    Returns
    -------
    DataFrame
        Columns ``row``, ``athlete_id``, ``check``, ``message``; one row per flagged set.
    """
    if sets.empty:
        return _empty()
    reps, load = _column(sets, "reps"), _column(sets, "load_kg")
    duration, distance = _column(sets, "duration_s"), _column(sets, "distance_m")
    nothing_timed = duration.fillna(0).eq(0) & distance.fillna(0).eq(0)
    zero_reps = reps.eq(0)
    written_zero = zero_reps | duration.eq(0) | distance.eq(0)
    with_load = zero_reps & nothing_timed & load.gt(0)
    nothing = reps.fillna(0).eq(0) & nothing_timed & ~load.gt(0) & written_zero
    own_time = duration.where(duration.gt(0), _column(sets, "set_duration_s"))
    too_fast = reps.gt(0) & own_time.gt(0) & (reps / own_time).gt(MAX_REPS_PER_S)
    # Each message is written for the flagged rows only: formatting every row's numbers as text
    # cost more than all the checks together.
    messages = (
        (
            with_load,
            "zero_reps_with_load",
            lambda hit: (
                "0 reps with " + load[hit].round(2).astype("str") + " kg and no duration or "
                "distance: not a completed set (a failed attempt, or a set not done?)"
            ),
        ),
        (
            nothing,
            "set_measured_nothing",
            lambda hit: "reps, duration and distance are all 0: the set measured nothing",
        ),
        (
            too_fast,
            "reps_faster_than_possible",
            lambda hit: (
                reps[hit].round(0).astype("Int64").astype("str")
                + " reps in "
                + own_time[hit].round(1).astype("str")
                + f" s: more than {MAX_REPS_PER_S:g} per second (reps or duration mistyped?)"
            ),
        ),
    )
    parts = []
    for mask, name, text in messages:
        hit = mask.to_numpy(dtype=bool)
        if hit.any():
            message = text(hit)
            if isinstance(message, pd.Series):
                message = message.to_numpy()
            parts.append(
                pd.DataFrame(
                    {
                        "row": sets.index.to_numpy()[hit].astype("int64"),
                        "athlete_id": sets["athlete_id"].to_numpy()[hit],
                        "check": name,
                        "message": message,
                    }
                )
            )
    if not parts:
        return _empty()
    return pd.concat(parts, ignore_index=True)


def check(valid: pd.DataFrame, table: str) -> pd.DataFrame:
    """Run the plausibility checks that apply to ``table`` on its valid rows.

    Returns
    -------
    DataFrame
        Columns ``row``, ``athlete_id``, ``check``, ``message``; empty when nothing looks wrong.
    """
    if table != "strength_sets" or valid.empty:
        return _empty()
    checks = (pound_increments(valid), unit_jumps(valid), implausible_sets(valid))
    parts = [p for p in checks if not p.empty]
    if not parts:
        return _empty()
    return pd.concat(parts, ignore_index=True).sort_values(["row", "check"], ignore_index=True)
