"""Helpers shared by the set-per-row readers (Strong, Hevy, FIT strength, generic CSV)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from soleus_analysis.coercion import is_missing
from soleus_analysis.parsing import decimal_mark, keep_unparsed, parse_number
from soleus_analysis.readers.common import KG_PER_LB, M_PER_UNIT, ReadContext

__all__ = [
    "column_number",
    "convert_distance",
    "exact_copies",
    "convert_weight",
    "number",
    "scale",
    "set_indices",
    "sessions_from_sets",
]


def number(values: pd.Series, decimal: str = ".") -> pd.Series:
    """Numbers parsed from text; unparseable cells kept as their text (validation rejects them)."""
    parsed = parse_number(values, decimal=decimal)
    return keep_unparsed(parsed, values)


def column_number(values: pd.Series, default: str = ".") -> pd.Series:
    """:func:`number` with the column's own decimal mark (``default`` when it does not say)."""
    return number(values, decimal_mark(values, default=default))


def scale(values: pd.Series, factor: float) -> pd.Series:
    """Multiply the numbers of a column, leaving kept text (unparsed cells) as it is."""
    if pd.api.types.is_numeric_dtype(values.dtype):
        return values * factor
    return values.map(lambda v: v * factor if isinstance(v, float | int) else v)


def _scaled(values: pd.Series, decimal: str, factors: np.ndarray) -> pd.Series:
    parsed = parse_number(values, decimal=decimal)
    out = parsed * factors
    # A value whose unit is unknown (factor NaN) is kept as its text: validation rejects it.
    lost = parsed.notna().to_numpy() & ~np.isfinite(factors)
    kept = keep_unparsed(out, values.where(~is_missing(values)))
    if lost.any():
        kept = kept.astype(object)
        kept[lost] = values[lost].astype(object)
    return kept


def convert_weight(values: pd.Series, units: pd.Series, decimal: str = ".") -> pd.Series:
    """Weights in ``units`` (``kg``/``lb`` per row, None where unknown) -> kg."""
    factors = units.map({"kg": 1.0, "lb": KG_PER_LB}).to_numpy(dtype="float64", na_value=np.nan)
    return _scaled(values, decimal, factors)


def convert_distance(values: pd.Series, units: pd.Series, decimal: str = ".") -> pd.Series:
    """Distances in ``units`` (``m``/``km``/``mi`` per row) -> m."""
    factors = units.map(M_PER_UNIT).to_numpy(dtype="float64", na_value=np.nan)
    return _scaled(values, decimal, factors)


def set_indices(
    frame: pd.DataFrame,
    session_key: list[str],
    exercise: str,
    *,
    copies: pd.Series | np.ndarray | None = None,
) -> pd.Series:
    """0-based order of each set within its exercise and session, in file order.

    ``copies`` (optional) gives, for each row, the position of an earlier row it repeats exactly
    (-1 for a row of its own). A copy takes the set index of the row it repeats and does not
    count as a set, so that validation rejects it as a duplicate set instead of taking it for one
    more set.
    """
    keys = [frame[c].astype("str") for c in [*session_key, exercise]]
    if copies is None:
        return frame.groupby(keys, sort=False).cumcount().astype("Int64")
    copy_of = np.asarray(copies, dtype="int64")
    own = copy_of < 0
    index = np.zeros(len(frame), dtype="int64")
    index[own] = frame[own].groupby([k[own] for k in keys], sort=False).cumcount().to_numpy()
    index[~own] = index[copy_of[~own]]
    return pd.Series(index, index=frame.index).astype("Int64")


def exact_copies(raw: pd.DataFrame, eligible: pd.Series | np.ndarray) -> np.ndarray:
    """Position of the first earlier row that ``raw`` row repeats cell for cell, else -1.

    Only ``eligible`` rows are taken for copies (rows that identify one set on their own, such as
    a numbered Strong set or a Hevy row with its ``set_index``).
    """
    if raw.empty:
        return np.zeros(0, dtype="int64")
    key = pd.util.hash_pandas_object(raw, index=False).to_numpy()
    position = np.arange(len(raw))
    first = pd.Series(position).groupby(key, sort=False).transform("first").to_numpy()
    return np.where((first != position) & np.asarray(eligible, dtype=bool), first, -1)


def sessions_from_sets(
    sets: pd.DataFrame, ctx: ReadContext, *, activity: str = "strength"
) -> pd.DataFrame:
    """One ``sessions`` row per workout of a strength table (start, duration, no session RPE).

    The duration is the workout's ``session_duration_s`` where the export gives it; the session
    RPE is missing (the set RPEs are per set, not a session rating).
    """
    if sets.empty:
        return pd.DataFrame(columns=["start", "activity", "duration_s", "rpe", "workout_name"])
    start = sets["session_start"]
    key = start.astype("str")
    grouped = sets.groupby(key, sort=False)
    first = grouped.head(1)
    out = pd.DataFrame(
        {
            "start": first["session_start"].to_numpy(),
            "activity": activity,
            "duration_s": first["session_duration_s"].to_numpy()
            if "session_duration_s" in first
            else np.nan,
            "rpe": np.nan,
            "workout_name": first["workout_name"].to_numpy() if "workout_name" in first else None,
            "n_sets": grouped.size().to_numpy(),
        }
    )
    out.attrs["source_row"] = first["source_row"].to_numpy()
    return out
