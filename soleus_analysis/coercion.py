"""Convert one column to its canonical dtype and say which cells could not be converted.

pandera stops checking a column whose coercion failed, and its failure cases can lose the row
number. Coercing here first, cell by cell with vectorised parsers, keeps both: every cell that
cannot be converted becomes missing in the coerced column and is reported with its row, so the
checks still run on the rest of the column and the row gets all its reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["Coerced", "MISSING_TOKENS", "coerce_column", "is_missing", "missing_column"]

#: Cell texts that mean "not recorded" (compared after stripping, case-insensitively).
MISSING_TOKENS = frozenset({"", "na", "n/a", "nan", "nat", "none", "null", "-"})
_MISSING_ARROW = pa.array(sorted(MISSING_TOKENS), type=pa.large_string())

# An ISO 8601 time zone designator at the end of a timestamp string.
_ZONE_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}(?::?\d{2})?)$")


@dataclass
class Coerced:
    """A coerced column.

    Attributes
    ----------
    values : Series
        The column in its canonical dtype; missing where the input was missing or unconvertible.
    failed : ndarray of bool
        Cells that held something that could not be converted.
    messages : str or ndarray of str
        Why the failed cells failed: one message for all, or one per row (read where ``failed``).
    notes : list of str
        Conversions the user should know about (zone assumed, time of day dropped, ...).
    """

    values: pd.Series
    failed: np.ndarray
    messages: str | np.ndarray
    notes: list[str] = field(default_factory=list)

    def message_at(self, rows: np.ndarray) -> np.ndarray | str:
        """The messages of the given rows."""
        return self.messages if isinstance(self.messages, str) else self.messages[rows]


def is_missing(s: pd.Series) -> np.ndarray:
    """True where a cell is missing: NA, or text such as ``""``, ``"NA"``, ``"null"``.

    Examples
    --------
    >>> is_missing(pd.Series(["1", " ", "NA", None], dtype=object)).tolist()
    [False, True, True, True]
    """
    if isinstance(s.array, pd.arrays.ArrowStringArray):
        # Arrow text (what the readers hold): trim, lower-case and look up in Arrow compute.
        arr = pa.array(s.array)
        folded = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
        token = pc.is_in(folded, value_set=_MISSING_ARROW)
        hit = pc.or_kleene(pc.is_null(arr), pc.fill_null(token, False))
        return np.asarray(hit.to_numpy(zero_copy_only=False), dtype=bool)
    missing = np.array(s.isna().to_numpy(), dtype=bool)
    if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
        text = s.astype("str").str.strip().str.lower()
        missing |= text.isin(MISSING_TOKENS).to_numpy()
    return missing


def _result(values: pd.Series, failed: np.ndarray, message: str, notes=None) -> Coerced:
    return Coerced(values, failed, message, list(notes or []))


def _unchanged(values: pd.Series) -> Coerced:
    return Coerced(values, np.zeros(len(values), dtype=bool), "")


def _to_float(s: pd.Series) -> Coerced:
    if pd.api.types.is_bool_dtype(s.dtype):
        s = s.astype("float64")
    if pd.api.types.is_numeric_dtype(s.dtype):
        if s.dtype == "float64":
            values = s
        else:
            values = pd.Series(s.to_numpy(dtype="float64", na_value=np.nan), index=s.index)
        failed = np.isinf(values.to_numpy())
        if not failed.any():
            return _unchanged(values)
        return _result(values.mask(failed), failed, "infinite value")
    missing = is_missing(s)
    values = pd.to_numeric(s.where(~missing), errors="coerce").astype("float64")
    infinite = np.isinf(values.to_numpy())
    failed = (~missing & values.isna().to_numpy()) | infinite
    return _result(values.mask(infinite), failed, "not a number")


def _to_int(s: pd.Series) -> Coerced:
    if s.dtype == "Int64":
        return _unchanged(s)
    as_float = _to_float(s)
    v = as_float.values
    fractional = (v.notna() & (v != np.round(v))).to_numpy()
    failed = as_float.failed | fractional
    messages = np.where(fractional, "not a whole number", as_float.message_at(np.arange(len(v))))
    values = v.mask(fractional).astype("Int64")
    return Coerced(values, failed, messages, as_float.notes)


def _to_text(s: pd.Series) -> Coerced:
    if s.dtype == "str":
        # Already text: only empty cells need to become missing (a cheap vectorised pass).
        empty = s.eq("").to_numpy(dtype=bool, na_value=False)
        return _unchanged(s.mask(empty) if empty.any() else s)
    if pd.api.types.is_float_dtype(s.dtype):
        # Identifiers that went through a float column (00123 -> 123.0): write them as integers.
        whole = s.notna() & (s == np.round(s))
        text = s.astype("str").where(~whole, s.where(whole).astype("Int64").astype("str"))
    else:
        text = s.astype("str")
    text = text.str.strip()
    missing = is_missing(s) | text.isin(MISSING_TOKENS).to_numpy()
    values = text.where(~missing).astype("str")
    return _result(values, np.zeros(len(s), dtype=bool), "")


def _localize(naive: pd.Series, zones: pd.Series) -> pd.Series:
    """Attach each row's zone to naive wall times; DST gaps and overlaps become NaT."""
    out = pd.Series(pd.NaT, index=naive.index, dtype="datetime64[us, UTC]")
    for zone, idx in naive.groupby(zones, sort=False).groups.items():
        local = naive.loc[idx].dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
        out.loc[idx] = local.dt.tz_convert("UTC").dt.as_unit("us")
    return out


def _to_utc(s: pd.Series, zones: pd.Series) -> Coerced:
    """Timestamps to tz-aware UTC; naive ones take the row's zone (see ``validate``)."""
    n = len(s)
    notes: list[str] = []
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        if str(s.dtype) == "datetime64[us, UTC]":
            return _unchanged(s)
        return _unchanged(s.dt.tz_convert("UTC").dt.as_unit("us"))
    if pd.api.types.is_datetime64_dtype(s.dtype):
        values = _localize(s.dt.as_unit("us"), zones)
        lost = (s.notna() & values.isna()).to_numpy()
        notes.append(f"naive timestamps read as local time in {_zone_text(zones)}")
        return _result(
            values, lost, "local time that does not exist or is ambiguous (DST change)", notes
        )

    missing = is_missing(s)
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) != "string":
        # Timestamp objects (possibly a mix of naive and aware) become ISO text, one path for all.
        s = s.map(lambda v: v.isoformat() if hasattr(v, "isoformat") else v)
    texts = s.astype("str").str.strip()
    has_zone = texts.str.contains(_ZONE_SUFFIX).to_numpy(dtype=bool)
    zoned = has_zone & ~missing
    naive = ~has_zone & ~missing

    values = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us, UTC]")
    messages = np.full(
        n, "not a timestamp (use ISO 8601, e.g. 2024-05-01T07:30:00+02:00)", dtype=object
    )
    failed = np.zeros(n, dtype=bool)
    if zoned.any():
        parsed = pd.to_datetime(texts[zoned], utc=True, format="ISO8601", errors="coerce")
        values.loc[parsed.index] = parsed.dt.as_unit("us")
        failed[zoned] = parsed.isna().to_numpy()
    if naive.any():
        if zoned.any():
            # Only a cell that does read as a time lacks a zone; the others are not timestamps.
            readable = (
                pd.to_datetime(texts[naive], format="ISO8601", errors="coerce").notna().to_numpy()
            )
            failed |= naive
            lacks_zone = np.zeros(n, dtype=bool)
            lacks_zone[np.flatnonzero(naive)[readable]] = True
            messages[lacks_zone] = (
                "timestamp without time zone among timestamps with one; state its zone"
            )
        else:
            parsed = pd.to_datetime(texts[naive], format="ISO8601", errors="coerce")
            unparsed = parsed.isna().to_numpy()
            local = _localize(parsed.dt.as_unit("us"), zones[naive])
            values.loc[local.index] = local
            failed[naive] = unparsed | local.isna().to_numpy()
            dst = np.zeros(n, dtype=bool)
            dst[naive] = ~unparsed & local.isna().to_numpy()
            messages[dst] = "local time that does not exist or is ambiguous (DST change)"
            notes.append(f"timestamps without zone read as local time in {_zone_text(zones)}")
    return Coerced(values, failed, messages, notes)


def _zone_text(zones: pd.Series) -> str:
    distinct = zones.dropna().unique()
    return distinct[0] if len(distinct) == 1 else "each row's timezone"


def _to_date(s: pd.Series) -> Coerced:
    """Local calendar dates (naive, microseconds)."""
    n = len(s)
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        values = s.dt.tz_localize(None).dt.as_unit("us")
        return _result(values, np.zeros(n, dtype=bool), "", ["zoned dates taken as local dates"])
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return _unchanged(s if str(s.dtype) == "datetime64[us]" else s.dt.as_unit("us"))
    missing = is_missing(s)
    parsed = pd.to_datetime(s.where(~missing).astype("str"), format="ISO8601", errors="coerce")
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        parsed = parsed.dt.tz_localize(None)
    values = parsed.dt.as_unit("us")
    failed = ~missing & values.isna().to_numpy()
    return _result(values, failed, "not a date (use YYYY-MM-DD)")


def _canonical_dtype(dtype: object) -> str:
    label = str(dtype)
    if label in {"string", "string[python]", "string[pyarrow]"}:
        return "str"
    if label.startswith("datetime64") and "UTC" in label:
        return "datetime64[us, UTC]"
    if label.startswith("datetime64"):
        return "datetime64[us]"
    return label


#: Rows of the one Arrow null block that all-missing text columns repeat.
_NULL_BLOCK = 1 << 16


def _null_text(n: int) -> pa.ChunkedArray:
    """``n`` missing texts as one null block repeated (Arrow arrays are immutable, so chunks can be
    shared): a null array of ``n`` rows would hold ``8 * n`` bytes of offsets."""
    block = pa.nulls(min(n, _NULL_BLOCK), pa.large_string())
    whole, rest = divmod(n, _NULL_BLOCK)
    chunks = [block] * whole + ([block.slice(0, rest)] if rest else [])
    return pa.chunked_array(chunks or [block], type=pa.large_string())


def missing_column(dtype: object, index: pd.Index) -> pd.Series:
    """An all-missing column of a canonical dtype (for optional columns the input lacks).

    Examples
    --------
    >>> missing_column("float64", pd.RangeIndex(2)).tolist()
    [nan, nan]
    """
    label = _canonical_dtype(dtype)
    if label == "str":
        return pd.Series(pd.array(_null_text(len(index)), dtype="str"), index=index)
    n = len(index)
    if label == "float64":
        return pd.Series(np.full(n, np.nan), index=index, copy=False)
    if label == "Int64":
        array = pd.arrays.IntegerArray(np.zeros(n, dtype="int64"), np.ones(n, dtype=bool))
        return pd.Series(array, index=index, copy=False)
    return pd.Series(None, index=index, dtype=label)


def coerce_column(s: pd.Series, dtype: object, *, zones: pd.Series | None = None) -> Coerced:
    """Coerce a column to a canonical dtype, recording the cells that fail.

    Parameters
    ----------
    s : Series
        The column as given.
    dtype : pandera or pandas dtype
        Target dtype from the schema.
    zones : Series of str, optional
        IANA zone per row, used to read naive timestamps as local time; UTC where missing.

    Returns
    -------
    Coerced

    Examples
    --------
    >>> c = coerce_column(pd.Series(["1.5", "ten", ""]), "float64")
    >>> c.values.tolist()[:2], c.failed.tolist()
    ([1.5, nan], [False, True, False])
    """
    label = str(dtype)
    s = s.reset_index(drop=True)
    if label == "float64":
        return _to_float(s)
    if label == "Int64":
        return _to_int(s)
    if label in {"str", "string", "string[python]", "string[pyarrow]"}:
        return _to_text(s)
    if label.startswith("datetime64") and ("UTC" in label or "tz" in label):
        if zones is None:
            zones = pd.Series("UTC", index=s.index)
        return _to_utc(s, zones.reset_index(drop=True).fillna("UTC"))
    if label.startswith("datetime64"):
        return _to_date(s)
    raise TypeError(f"no coercion for dtype {label}")
