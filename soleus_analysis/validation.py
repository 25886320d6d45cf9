"""Validate a canonical table without losing a row.

:func:`validate` splits a frame into the rows that pass every rule of the table's pandera schema
(coerced to the canonical dtypes) and the rows that do not, each kept as given with all its
reasons. Every input row ends up in exactly one of the two, and both keep the input's row
position as their index (named ``row``).

The schema is the single source of truth: the column checks and the dataframe checks that run here
are the pandera ``Check`` objects of :mod:`soleus_analysis.schemas`, run through public names
only (:func:`~soleus_analysis.schemas.check_function`: pandera's built-in check functions with the
checks' ``statistics``, and the project's own checks as recorded by ``column_check`` and
``row_check``), on whole columns. The driver differs from
``schema.validate(lazy=True)`` in three ways that matter for quarantine: it coerces cell by cell so
that a cell that cannot be converted does not stop the checks on the rest of its column; it runs the
rules across rows (duplicates, overlaps) only on rows that passed the column checks, so that a
broken row never makes a good one look like its duplicate; and it never raises on bad rows.

Memory: the valid rows share the input's Arrow text where the rejected rows are few (zero-copy
slices between them; Arrow arrays are immutable), so the valid frame copies only the numbers and
timestamps of the kept rows; each rule across rows gets a copy of only the columns it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from soleus_analysis import plausibility
from soleus_analysis.coercion import coerce_column, missing_column
from soleus_analysis.errors import InputError
from soleus_analysis.schemas import (
    TABLES,
    canonical_columns,
    check_function,
    describe_check,
    get_schema,
    known_zones,
    rule_columns,
)

__all__ = ["ValidationReport", "validate", "validate_in_order"]

_FAILURE_COLUMNS = ["row", "column", "check", "value", "message"]
ROW_RULE = "(row)"


@dataclass(frozen=True)
class ValidationReport:
    """The outcome of validating one table.

    Attributes
    ----------
    table : str
        Name of the canonical table.
    valid : DataFrame
        Rows that passed every rule, coerced to the canonical dtypes, with every schema column
        (optional ones added as missing) followed by the extra columns of the input. Index: the
        row's position in the input (``row``).
    rejected : DataFrame
        Rows that failed at least one rule, exactly as given, plus ``reasons`` (every failed rule,
        separated by ``"; "``). Index: the row's position in the input (``row``).
    failures : DataFrame
        One line per failed rule and row: ``row``, ``column`` (``"(row)"`` for rules over several
        columns or rows), ``check``, ``value`` (the cell as given) and ``message``.
    extra_columns : tuple of str
        Input columns that the schema does not know; kept in ``valid`` and ``rejected``.
    notes : tuple of str
        Conversions applied that a user should know about (e.g. the zone assumed for naive times).
    n_rows : int
        Rows in the input.
    """

    table: str
    valid: pd.DataFrame
    rejected: pd.DataFrame
    failures: pd.DataFrame
    extra_columns: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    n_rows: int = 0

    @cached_property
    def flags(self) -> pd.DataFrame:
        """Plausibility warnings on valid rows; the rows stay valid.

        Computed on first access (per-athlete checks cost more than the split itself).

        Returns
        -------
        DataFrame
            ``row``, ``athlete_id``, ``check``, ``message``; see
            :mod:`soleus_analysis.plausibility`.
        """
        return plausibility.check(self.valid, self.table)

    @property
    def ok(self) -> bool:
        """True when no row was rejected."""
        return self.rejected.empty

    def summary(self) -> pd.DataFrame:
        """Count the rejected rows per column and check.

        Returns
        -------
        DataFrame
            Columns ``column``, ``check``, ``rows`` (rejected rows that fail it), ``example``
            (one offending value as given) and ``message``; most frequent first.
        """
        if self.failures.empty:
            return pd.DataFrame(columns=["column", "check", "rows", "example", "message"])
        grouped = self.failures.groupby(["column", "check"], sort=False)
        out = grouped.agg(
            rows=("row", "nunique"), example=("value", "first"), message=("message", "first")
        ).reset_index()
        return out.sort_values(["rows", "column"], ascending=[False, True], ignore_index=True)

    def to_text(self) -> str:
        """A plain-text account of the validation, as printed by ``soleus validate``."""
        n_bad = len(self.rejected)
        share = f" ({n_bad / self.n_rows:.1%})" if self.n_rows else ""
        lines = [
            f"{self.table}: {self.n_rows:,} rows read; {len(self.valid):,} valid, "
            f"{n_bad:,} rejected{share}."
        ]
        if n_bad:
            lines.append("Rejected rows by column and check:")
            summary = self.summary()
            for rec in summary.itertuples(index=False):
                example = "" if pd.isna(rec.example) else f" (e.g. {rec.example!r})"
                lines.append(
                    f"  {rec.rows:>7,}  {rec.column} / {rec.check}: {rec.message}{example}"
                )
        if not self.flags.empty:
            lines.append("Plausibility flags (the rows stay valid; check them):")
            counts = self.flags.groupby(["athlete_id", "check"], sort=True).agg(
                rows=("row", "size"), message=("message", "first")
            )
            for (athlete, check), rec in counts.iterrows():
                lines.append(f"  {rec['rows']:>7,}  {athlete} / {check}: {rec['message']}")
        if self.extra_columns:
            lines.append("Extra columns kept (not in the schema): " + ", ".join(self.extra_columns))
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _require_columns(frame: pd.DataFrame, schema, table: str) -> None:
    required = [name for name, col in schema.columns.items() if col.required]
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise InputError(
            f"the {table} table lacks the required column(s) {', '.join(missing)} "
            f"(it has: {', '.join(map(str, frame.columns)) or 'no columns'})",
            fix=f"rename your columns to the canonical names (see `soleus schema {table}`) or read "
            "the file with sol.read(path, source='csv', columns={...})",
        )


class _Failures:
    """Accumulate failures as arrays; build the long table once at the end."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, rows: np.ndarray, column: str, check: str, message, value=None) -> None:
        if len(rows) == 0:
            return
        self.parts.append(
            pd.DataFrame(
                {
                    "row": rows.astype("int64"),
                    "column": column,
                    "check": check,
                    "value": value if value is not None else None,
                    "message": message,
                }
            )
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(
                {
                    c: pd.Series(dtype="int64" if c == "row" else object)
                    for c in _FAILURE_COLUMNS
                }
            )
        out = pd.concat(self.parts, ignore_index=True)
        out["value"] = out["value"].astype(object)
        return out


def _cell_text(values: pd.Series, rows: np.ndarray) -> np.ndarray:
    """The cells at positions ``rows`` as text (None where missing)."""
    if len(rows) == 0:
        return np.array([], dtype=object)
    if len(rows) * 64 < len(values):
        # A boolean filter: taking positions from Arrow text read in chunks joins all chunks first.
        keep = np.zeros(len(values), dtype=bool)
        keep[rows] = True
        picked = values.array[keep]
    else:
        picked = values.iloc[rows]
    return np.array([None if pd.isna(v) else str(v) for v in picked], dtype=object)


def _row_zones(frame: pd.DataFrame, typed: dict[str, pd.Series], tz: str) -> pd.Series:
    if "timezone" not in typed:
        return pd.Series(tz, index=frame.index)
    zones = typed["timezone"]
    return zones.where(zones.isin(known_zones()), tz).fillna(tz)


@dataclass(frozen=True)
class _Checked:
    frame: pd.DataFrame
    typed: dict
    failures: pd.DataFrame
    notes: list
    schema: object


def _check(data: pd.DataFrame, table: str, tz: str = "UTC") -> _Checked:
    """Coerce the columns and run every check; the failures sorted by row (no frames built)."""
    schema = get_schema(table)
    _require_columns(data, schema, table)
    frame = data.reset_index(drop=True)
    n = len(frame)
    failures = _Failures()
    notes: list[str] = []
    typed: dict[str, pd.Series] = {}

    # The zone column first: naive timestamps are read in each row's zone.
    order = sorted(schema.columns, key=lambda name: name != "timezone")
    for name in order:
        col = schema.columns[name]
        if name not in frame.columns:
            continue
        zones = _row_zones(frame, typed, tz) if "datetime64" in str(col.dtype) else None
        coerced = coerce_column(frame[name], col.dtype, zones=zones)
        values = coerced.values
        typed[name] = values
        notes += [f"{name}: {note}" for note in coerced.notes]
        bad = np.flatnonzero(coerced.failed)
        failures.add(
            bad, name, "coerce_dtype", coerced.message_at(bad), _cell_text(frame[name], bad)
        )
        missing = values.isna().to_numpy()
        if not col.nullable:
            absent = np.flatnonzero(missing & ~coerced.failed)
            failures.add(absent, name, "not_nullable", "missing value")
        for check in col.checks:
            # Missing cells pass the value checks (ignore_na), as in pandera.
            passes = _passes(check_function(table, check, name), values)
            failing = np.flatnonzero(~passes & ~missing)
            failures.add(
                failing, name, check.name, describe_check(check), _cell_text(frame[name], failing)
            )

    column_failures = failures.frame()
    column_bad = np.zeros(n, dtype=bool)
    column_bad[column_failures["row"].to_numpy()] = True

    # Rules across rows see only the rows that passed the column checks: a broken row must not
    # make a good one look like its duplicate. Each rule gets a copy of only the columns it reads,
    # released before the next rule runs.
    passed = None if not column_bad.any() else _KeptRows(~column_bad)
    for check in schema.checks:
        reads = rule_columns(check) or tuple(typed)
        needed = [(c, typed[c]) for c in reads if c in typed]
        if passed is None:
            candidates = _frame(needed, frame.index, consolidate=False)
        else:
            candidates = _take_rows(needed, passed)
        passes = _passes(check_function(table, check), candidates)
        failing = candidates.index.to_numpy()[~passes]
        failures.add(failing, ROW_RULE, check.name, check.error or check.name)
        del candidates, passes

    all_failures = failures.frame().sort_values(["row"], kind="stable", ignore_index=True)
    return _Checked(frame, typed, all_failures, notes, schema)


def has_failures(data: pd.DataFrame, table: str) -> bool:
    """True when some row of ``data`` fails a rule of the table (cheaper than :func:`validate`)."""
    return not _check(data, table).failures.empty


def validate(data: pd.DataFrame, table: str, *, tz: str = "UTC") -> ValidationReport:
    """Validate a canonical table and split it into valid and rejected rows.

    Parameters
    ----------
    data : DataFrame
        The table, with the canonical column names (see ``soleus schema``). Columns may hold text
        (as read from a CSV file); they are coerced to the canonical dtypes.
    table : str
        ``athletes``, ``strength_sets``, ``runs``, ``sessions``, ``wellness`` or ``athlete_week``.
    tz : str, default "UTC"
        Zone for timestamps that carry none, where the row has no ``timezone``. The zone used is
        stated in ``notes``. Timestamps without a zone among timestamps with one are rejected.

    Returns
    -------
    ValidationReport

    Raises
    ------
    InputError
        When required columns are missing (nothing can be validated).
    TypeError
        When ``data`` is not a DataFrame.

    Notes
    -----
    Local times that do not exist or are ambiguous because of a daylight-saving change are
    rejected rather than guessed. Rules across rows (duplicates, overlapping runs) reject the later
    row and run only on rows that passed the column checks. The text columns of ``valid`` may share
    memory with ``data`` (Arrow arrays are immutable: changing either frame leaves the other as it
    was).

    Examples
    --------
    >>> sets = pd.DataFrame({
    ...     "athlete_id": ["a1", "a1"],
    ...     "session_start": ["2024-05-01T07:00:00Z", "2024-05-01T07:00:00Z"],
    ...     "exercise_raw": ["Seated Calf Raise", "Seated Calf Raise"],
    ...     "set_index": [0, 1], "set_type": ["working", "working"],
    ...     "reps": [15, -3], "load_kg": [40, 40], "duration_s": [None, None],
    ...     "distance_m": [None, None], "rpe": [8, 8]})
    >>> report = validate(sets, "strength_sets")
    >>> len(report.valid), len(report.rejected), report.rejected["reasons"].iloc[0]
    (1, 1, "reps='-3': must be >= 0 [greater_than_or_equal_to]")
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"validate() needs a pandas DataFrame, got {type(data).__name__}")
    return _split(_check(data, table, tz), table)


def validate_in_order(
    data: pd.DataFrame, table: str, *, tz: str = "UTC", order
) -> ValidationReport:
    """:func:`validate`, with the valid rows in the order ``order`` gives (one copy of them).

    ``order(columns)`` receives the columns of the table before the split (name to Series of
    every input row, coerced where the schema knows the column) and returns the positions of all
    rows in the wanted order (a stable order, so that dropping the rejected rows from it orders
    the valid ones), or None to keep the input order. The valid rows are taken once in that
    order, instead of being copied by the split and again by a sort. The index of ``valid``
    is still each row's position in the input.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"validate() needs a pandas DataFrame, got {type(data).__name__}")
    return _split(_check(data, table, tz), table, order=order)


def _split(checked: _Checked, table: str, *, order=None) -> ValidationReport:
    """The report of checked rows: valid rows (in ``order``, see validate_in_order), rejected."""
    frame, typed, schema = checked.frame, checked.typed, checked.schema
    all_failures = checked.failures
    notes = checked.notes
    n = len(frame)
    bad = np.zeros(n, dtype=bool)
    bad[all_failures["row"].to_numpy()] = True

    extra = tuple(str(c) for c in frame.columns if c not in schema.columns)
    # One copy of the kept rows (none when every row is valid and in order), column by column.
    keep = ~bad if bad.any() else None
    positions = None
    if order is not None:
        columns = dict(_columns(frame)) | typed
        ranked = order({c: columns[c] for c in dict.fromkeys([*typed, *frame.columns])})
        if ranked is not None:
            ranked = np.asarray(ranked)
            if keep is not None:
                ranked = ranked[keep[ranked]]
            in_order = np.arange(n) if keep is None else np.flatnonzero(keep)
            if not np.array_equal(ranked, in_order):
                positions = ranked  # not already in order: taken
    if positions is not None:
        index = pd.Index(positions, dtype="int64")
    elif keep is None:
        index = pd.RangeIndex(n)
    else:
        index = pd.Index(np.flatnonzero(keep), dtype="int64")

    rows = None if keep is None else _KeptRows(keep)

    def kept(s: pd.Series):
        if positions is not None:
            return s.array.take(positions)
        return s.array if rows is None else rows.of_array(s.array)

    ordered = [
        (
            name,
            kept(typed[name])
            if name in typed
            else missing_column(schema.columns[name].dtype, index),
        )
        for name in canonical_columns(table)
    ]
    ordered += [(name, kept(s)) for name, s in _columns(frame) if name not in schema.columns]
    valid = _frame(ordered, index)
    reasons = _reasons(all_failures).reindex(np.flatnonzero(bad))
    rejected = _take_rows(_columns(frame), _KeptRows(bad), [("reasons", reasons.array)])
    valid.index.name = rejected.index.name = "row"

    return ValidationReport(
        table=table,
        valid=valid,
        rejected=rejected,
        failures=all_failures,
        extra_columns=extra,
        notes=tuple(dict.fromkeys(notes)),
        n_rows=n,
    )


def _columns(frame: pd.DataFrame) -> list[tuple[str, pd.Series]]:
    """The columns of a frame by position (names may repeat)."""
    return [(name, frame.iloc[:, i]) for i, name in enumerate(frame.columns)]


#: Frames with more columns than this are consolidated (pandas warns about many blocks).
_WIDE = 50


def _frame(
    columns: list[tuple[str, object]], index: pd.Index, *, consolidate: bool = True
) -> pd.DataFrame:
    """A frame of the given arrays or Series, without copying them.

    Same-dtype columns stay separate blocks, except in a wide frame when ``consolidate`` (pandas
    warns when columns are added to a frame of many blocks).
    """
    out = pd.DataFrame(
        {i: getattr(s, "array", s) for i, (_, s) in enumerate(columns)}, index=index, copy=False
    )
    out.columns = pd.Index([name for name, _ in columns], dtype=object)
    return out.copy() if consolidate and out.shape[1] > _WIDE else out


#: Kept rows are shared with the input, as slices of its Arrow text, when the runs of kept rows
#: between dropped ones are this long on average (fewer, longer chunks keep Arrow's per-chunk
#: cost negligible in later work on the column).
_MIN_MEAN_RUN = 256


class _KeptRows:
    """Rows to keep: a boolean mask, and the runs of consecutive kept rows ``[start, stop)``
    where they are long enough to be shared as slices (see :data:`_MIN_MEAN_RUN`)."""

    def __init__(self, keep: np.ndarray) -> None:
        self.keep = keep
        # Run edges as booleans first: positions of every dropped row would cost 8 bytes a row.
        first = keep.copy()
        first[1:] &= ~keep[:-1]
        n_runs = int(np.count_nonzero(first))
        # The mean length of the kept runs: a few scattered rows (the rejected ones) are copied,
        # so that they do not keep the whole input's text alive.
        self.long_runs = n_runs * _MIN_MEAN_RUN <= np.count_nonzero(keep)
        if self.long_runs:
            last = keep.copy()
            last[:-1] &= ~keep[1:]
            self.starts = np.flatnonzero(first)
            self.stops = np.flatnonzero(last) + 1

    @property
    def positions(self) -> np.ndarray:
        return np.flatnonzero(self.keep)

    def of_array(self, array) -> object:
        """The kept values of a column's array: Arrow text as slices of the input (no copy)
        when the runs are long, else a boolean filter (a copy)."""
        if self.long_runs and isinstance(array, pd.arrays.ArrowStringArray):
            return _arrow_slices(array, self.starts, self.stops)
        return array[self.keep]


def _arrow_slices(array: pd.arrays.ArrowStringArray, starts, stops) -> pd.arrays.ArrowStringArray:
    """The rows ``[start, stop)`` of Arrow text, as one chunked array of zero-copy slices.

    Arrow arrays are immutable, so the slices can share the input's buffers safely; this saves
    the copy of the text (most of a table's bytes) that a boolean filter makes.
    """
    chunked = pa.array(array)
    if isinstance(chunked, pa.Array):  # text held in one chunk
        chunked = pa.chunked_array([chunked])
    pieces = [
        chunk
        for start, stop in zip(starts.tolist(), stops.tolist(), strict=True)
        for chunk in chunked.slice(start, stop - start).chunks
    ]
    return pd.array(pa.chunked_array(pieces, type=chunked.type), dtype=array.dtype)


def _take_rows(
    columns: list[tuple[str, pd.Series]], rows: _KeptRows, more=()
) -> pd.DataFrame:
    """The kept rows, indexed by their position; ``more``: (name, array) pairs already of the
    kept length, appended.

    Column by column (:meth:`_KeptRows.of_array`): ``DataFrame.loc[mask]`` costs several times
    more on Arrow-backed text columns read in chunks (it turns the mask into positions and takes).
    """
    index = pd.Index(rows.positions, dtype="int64")
    kept = [(name, rows.of_array(s.array)) for name, s in columns]
    return _frame(kept + list(more), index)


def _passes(function, obj: pd.Series | pd.DataFrame) -> np.ndarray:
    """Run a check's function (:func:`~soleus_analysis.schemas.check_function`) on a column or
    frame: a boolean array aligned with ``obj``, False where the check gives a missing value."""
    output = function(obj)
    if np.ndim(output) == 0:
        return np.full(len(obj), bool(output))
    if isinstance(output, pd.DataFrame):
        output = output.all(axis=1)
    return np.asarray(pd.Series(output).fillna(False), dtype=bool)


def _reasons(failures: pd.DataFrame) -> pd.Series:
    """Every failure of a row in one text, in the order of ``failures`` (sorted by row)."""
    if failures.empty:
        return pd.Series(dtype="str")
    value = ["" if v is None or v is np.nan else f"={v!r}" for v in failures["value"]]
    text = [
        f"{column}{val}: {message} [{check}]"
        for column, val, message, check in zip(
            failures["column"], value, failures["message"].astype("str"), failures["check"],
            strict=True,
        )
    ]
    rows = failures["row"].to_numpy()
    joined: dict[int, str] = {}
    for row, item in zip(rows.tolist(), text, strict=True):
        joined[row] = f"{joined[row]}; {item}" if row in joined else item
    index = pd.Index(list(joined), dtype="int64")
    return pd.Series(list(joined.values()), index=index, dtype="str")


def known_tables() -> tuple[str, ...]:
    """Names of the canonical tables that :func:`validate` accepts."""
    return tuple(TABLES)
