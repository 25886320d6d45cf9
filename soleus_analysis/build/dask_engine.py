"""``soleus build --engine dask``: the same build on tables too large for one pandas frame.

The input is a folder of canonical tables in parts (:mod:`soleus_analysis.build.parts`); the
outputs are those of :func:`soleus_analysis.build` with the same rows, values, column order, dtypes
and sort order, the large ones written as folders of Parquet parts that ``pd.read_parquet`` reads
back as one frame.

How it works
------------
Validating each input part on its own (what pandera does on Dask) misses a duplicate whose two
copies are in different parts, and ``dask.compute`` stops at the first failing part. Here:

The engine's three steps are those of the pandas engine (read, validate, panel):

1. **Read** every part of the large tables (``strength_sets``, ``runs``, ``sessions``,
   ``wellness``) once, in a task per part: count the rows of each athlete (``athlete_id`` coerced
   as :func:`soleus_analysis.validate` coerces it) and spill the part, its rows ordered by
   athlete, to an Arrow file (LZ4) in a temporary folder of the new output. A row keeps its
   position in the input (part number and row in the part: the order in which the pandas engine
   concatenates the parts).
2. **Partition by athlete**: the sorted athlete ids are cut into ``partitions`` contiguous ranges
   of about equal rows (all tables together); every table uses the same ranges. An athlete's
   rows are then one slice of each spilled part.
3. **Validate** each partition with :func:`soleus_analysis.validate`: its task reads its slice of
   every spilled part (the shuffle goes through files, so tasks exchange only file names and
   small tables) and validates the rows in input order. Column checks are per cell and every
   rule across rows in :mod:`soleus_analysis.schemas` (duplicate set, near-duplicate session,
   duplicate and overlapping runs, duplicate session and day) compares rows of one athlete only,
   so with all of an athlete's rows in one partition in input order the result is exactly that
   of validating the whole table: the same rows rejected, "the first occurrence" the same row.
   Each partition writes its valid rows and returns its rejected rows with all their reasons;
   the client puts every partition's rejected rows in ``quarantine/`` (no partition's failures
   are lost) with the row numbers of the pandas engine.
4. **Panel**: the soleus dose, weekly sums, loads, within/between parts and lags are all per
   athlete, so each partition runs the pandas panel builder on its own valid tables (read back
   from the output) and writes its part of ``athlete_week``, ``dose_per_set``, ``provenance`` and
   ``daily_loads``. Partitions hold contiguous ranges of sorted athlete ids, so the parts in order
   are the pandas engine's tables in order; ``row`` of the dose and the provenance is the set's
   row in ``strength_sets.parquet`` read as one frame.

``athletes`` is small and validated on the client. Per-partition work needs memory for one
partition at a time per worker. The spilled parts (LZ4-compressed Arrow) stay on disk until
the validation is done. On a distributed scheduler the output folder (and
so the spill folder) must be on a file system that every worker reaches.

Known differences from the pandas engine: timestamps given as text that mix cells with and
without a zone are judged per partition (the pandas engine rejects the zone-less cells when any
cell of the whole table has a zone), and the notes about zones assumed for naive times are written
per partition. Files that are not canonical tables (app exports) are not read (listed with the
reason); build them with the pandas engine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.build.dask_session import DaskSession, dask_session, recording
from soleus_analysis.build.inputs import LARGE_TABLES, Inputs, athlete_zones, local_times
from soleus_analysis.build.options import BuildOptions
from soleus_analysis.build.output import write_parquet
from soleus_analysis.build.parts import Part, read_part, table_parts
from soleus_analysis.build.report import BuildTally, file_record, flag_counts
from soleus_analysis.build.steps import (
    PANEL_OUTPUTS,
    UNMAPPED_COLUMNS,
    PanelOutputs,
    panel_outputs,
    sort_table,
    validate_table,
)
from soleus_analysis.catalog import unmapped
from soleus_analysis.coercion import coerce_column
from soleus_analysis.errors import InputError
from soleus_analysis.schemas import get_schema
from soleus_analysis.validation import ValidationReport, validate

__all__ = ["ROWS_PER_PARTITION", "DaskEngine"]

#: Default rows per partition (all large tables together) when ``partitions`` is not given.
ROWS_PER_PARTITION = 500_000

_SEQ = "_seq"
_ROW = "_row"
_ROW_BITS = 32  # input position = part number << 32 | row in the part
_SPILL = ".spill"  # temporary folder of the new output: the spilled parts
_SPILL_BATCH = 4_096  # rows per record batch of a spilled part (a slice reads whole batches)
_NOT_CANONICAL = (
    "not read by the dask engine: it reads canonical tables only (<table>/ folders of parts, "
    "<table>.parquet, <table>.csv); build app exports with the pandas engine (soleus build "
    "without --engine)"
)
_BODY_MASS_NOTE = re.compile(
    r"^(\d+) body-weight set\(s\) of (\d+) athlete\(s\) \((.*?)(?: and \d+ more)?\) (have no .*)$",
    re.DOTALL,
)


def _part_file(out: Path, name: str, partition: int) -> Path:
    return out / f"{name}.parquet" / f"part.{partition:05d}.parquet"


@dataclass
class Spilled:
    """A part read once and spilled, its rows ordered by athlete (see the module docstring).

    Attributes
    ----------
    path : str
        The Arrow file.
    rows : int
    keys : ndarray
        The part's athletes (coerced ids), sorted.
    firsts : ndarray
        Row of each athlete's first row in the file; rows without an athlete come before all.
    """

    path: str
    rows: int
    keys: np.ndarray
    firsts: np.ndarray

    def bounds(self, starts: np.ndarray) -> np.ndarray:
        """Rows of the partitions that begin at ``starts``: ``bounds[i]:bounds[i + 1]``.

        Rows without an athlete belong to the first partition.
        """
        where = np.searchsorted(self.keys, starts[1:], side="left")
        return np.r_[0, np.r_[self.firsts, self.rows][where], self.rows].astype("int64")


@dataclass
class DaskRead:
    """What the read found: the parts, their columns, rows per part, the partitions' ranges."""

    parts: dict[str, list[Part]]
    records: dict[str, dict]
    reader: str
    athletes: pd.DataFrame | None
    metas: dict[str, pd.DataFrame]
    part_rows: dict[Part, int]
    starts: np.ndarray
    spilled: dict[Part, Spilled] = field(default_factory=dict)

    @property
    def n_parts(self) -> int:
        return len(self.starts)

    @property
    def large(self) -> list[str]:
        return [t for t in LARGE_TABLES if t in self.parts]


@dataclass
class DaskValid:
    """Valid rows per table and partition (written as parts), and the athletes."""

    counts: dict[str, np.ndarray]
    athletes: pd.DataFrame | None
    tables: tuple[str, ...]
    n_parts: int


@dataclass
class DaskEngine:
    """The Dask engine (see the module docstring).

    Parameters
    ----------
    scheduler : str, optional
        Address of a running distributed scheduler (``tcp://10.0.0.5:8786``); by default a local
        cluster of worker processes, started and closed here. ``"threads"`` uses dask's threaded
        scheduler in this process (no distributed).
    partitions : int, optional
        Partitions by athlete; by default one per 500,000 input rows (at most one per athlete).
    workers : int, optional
        Worker processes of the local cluster, or threads of ``scheduler="threads"`` (default:
        the CPU count).
    max_part_rows : int, default 1,000,000
        Largest input part cut from one Parquet file (whole row groups).
    """

    scheduler: str | None = None
    partitions: int | None = None
    workers: int | None = None
    max_part_rows: int = 1_000_000
    name: str = field(default="dask", init=False)
    #: Warnings recorded while the graph ran, for the report's notes (after :meth:`session`).
    notes: list[str] = field(default_factory=list, init=False)
    _session: DaskSession | None = field(default=None, init=False, repr=False)
    _n_parts: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.partitions is not None and (
            isinstance(self.partitions, bool)
            or not isinstance(self.partitions, int | np.integer)
            or self.partitions < 1
        ):
            raise ValueError(
                f"partitions must be a positive whole number, got {self.partitions!r}"
            )

    def identity(self) -> dict:
        """What the engine adds to a build's fingerprint (the layout of its outputs)."""
        return {"engine": self.name, "partitions": self.partitions}

    def parameters(self) -> dict:
        """What the engine adds to the report's parameters."""
        return {"engine": self.name, "partitions": self._n_parts}

    @contextlib.contextmanager
    def session(self) -> Iterator[DaskEngine]:
        """Start the scheduler (or connect to it) for the steps; record its warnings as notes."""
        with recording() as caught:
            with dask_session(self.scheduler, self.workers) as session:
                self._session = session
                try:
                    yield self
                finally:
                    self._session = None
        self.notes = [f"dask: {w.category.__name__}: {w.message}" for w in caught]

    # -----------------------------------------------------------------------------------------
    def read(self, inputs: Inputs, options: BuildOptions, out: Path) -> DaskRead:
        """Read every part once, spill it by athlete, cut the athletes into partitions (step 1)."""
        import dask

        parts = table_parts(inputs, max_rows=self.max_part_rows)
        if not parts:
            raise InputError(
                "no canonical table in the folder",
                path=inputs.root,
                fix="put canonical tables in it (<table>/part-*.parquet, <table>.parquet, "
                "<table>.csv; see sol.write_partitioned), or build app exports with the pandas "
                "engine",
            )
        records = {
            f.rel: file_record(f.rel, error=_NOT_CANONICAL) for f in inputs.of_kind("export")
        }
        part_rows: dict[Part, int] = {}
        notes: dict[str, list[str]] = {}
        athletes = None
        if "athletes" in parts:
            pieces = [read_part(p) for p in parts["athletes"]]
            for part, piece in zip(parts["athletes"], pieces, strict=True):
                part_rows[part] = len(piece)
                notes.setdefault(part.rel, []).extend(piece.attrs.get("notes", []))
                piece.attrs = {}
            athletes = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
        # Naive times are local time of the athlete (athletes.csv), as in the pandas engine.
        zones = athlete_zones([athletes] if athletes is not None else [])
        large = [t for t in LARGE_TABLES if t in parts]
        spill = out / _SPILL
        spill.mkdir(exist_ok=True)
        # One node of the graph for the zones: dask walks and hashes every argument of every call,
        # which for a dict of 70,000 athletes and 670 parts kept the client busy for minutes.
        shared_zones = dask.delayed(zones, pure=True, traverse=False)
        tasks = [
            dask.delayed(_spill, pure=True)(
                part, str(spill / f"{table}-{i:05d}.arrow"), shared_zones, options.tz
            )
            for table in large
            for i, part in enumerate(parts[table])
        ]
        results = iter(self._session.compute(*tasks) if tasks else [])
        metas, counts, spilled = {}, [], {}
        for table in large:
            empties = []
            for part in parts[table]:
                done, per_athlete, meta, part_notes = next(results)
                part_rows[part] = done.rows
                spilled[part] = done
                counts.append(per_athlete)
                empties.append(meta)
                notes.setdefault(part.rel, []).extend(part_notes)
            metas[table] = pd.concat(empties, ignore_index=True) if len(empties) > 1 else empties[0]
            validate(metas[table], table, tz=options.tz)  # missing columns: fail before the work
        all_counts = pd.concat(counts).groupby(level=0).sum() if counts else pd.Series(dtype=int)
        if len(all_counts):
            starts = _starts(all_counts, self.partitions)
        else:
            starts = np.asarray([""], dtype=object)
        for table, table_parts_ in parts.items():
            for part in table_parts_:
                rec = records.setdefault(
                    part.rel, file_record(part.rel, source="canonical", tables=table)
                )
                rec["rows"] += int(part_rows.get(part, 0))
                rec["notes"] = "; ".join(dict.fromkeys(notes.get(part.rel, []))) or None
        self._n_parts = len(starts)
        reader = (
            f"dask engine: canonical tables in parts, {len(starts)} partition(s) by athlete; "
            f"{self._session.label}"
        )
        return DaskRead(parts, records, reader, athletes, metas, part_rows, starts, spilled)

    def validate(
        self, read: DaskRead, options: BuildOptions, out: Path, tally: BuildTally
    ) -> DaskValid:
        """Validate each partition from its slices of the spilled parts (step 2)."""
        import dask

        athletes = None
        if read.athletes is not None:
            athletes, report = validate_table(read.athletes, "athletes", tz=options.tz)
            write_parquet(athletes, out / "athletes.parquet")
            tally.account("athletes", report)
        n_parts = read.n_parts
        tasks = []
        for table in read.large:
            bounds = [read.spilled[p].bounds(read.starts) for p in read.parts[table]]
            meta = dask.delayed(read.metas[table], pure=True)
            for i in range(n_parts):
                slices = tuple(
                    (number, read.spilled[p].path, int(b[i]), int(b[i + 1]))
                    for number, (p, b) in enumerate(zip(read.parts[table], bounds, strict=True))
                    if b[i + 1] > b[i]
                )
                tasks.append(
                    dask.delayed(_validate_partition, pure=True)(
                        slices, meta=meta, table=table, partition=i, tz=options.tz, out=out
                    )
                )
        try:
            results = self._session.compute(*tasks) if tasks else []
        finally:
            shutil.rmtree(out / _SPILL, ignore_errors=True)
        counts = {}
        for table in read.large:
            mine = [r for r in results if r["table"] == table]
            report, n_valid, flags = _table_report(table, mine, read, options.tz)
            if not n_valid.sum():  # every row rejected: the table is still written, empty
                empty = sort_table(validate(read.metas[table], table, tz=options.tz).valid, table)
                write_parquet(empty, _part_file(out, table, 0))
            tally.account(table, report, rows_valid=int(n_valid.sum()), flags=flags)
            counts[table] = n_valid
        return DaskValid(counts, athletes, tuple(read.large), n_parts)

    def panel(self, valid: DaskValid, options: BuildOptions, out: Path) -> PanelOutputs:
        """Build each partition's panel, dose, provenance and loads (step 3).

        Returns the panel's summary; its ``frames`` name the tables written (as parts), with
        None for the table.
        """
        import dask

        if not any(v.sum() for v in valid.counts.values()):
            # As the pandas engine: no valid row of a dated table, no panel.
            raise InputError("build_panel() got no rows: pass at least one non-empty table")
        sets_valid = valid.counts.get("strength_sets", np.zeros(valid.n_parts, dtype="int64"))
        offsets = np.cumsum(np.r_[0, sets_valid])[:-1]
        shared_athletes = (
            dask.delayed(valid.athletes, pure=True) if valid.athletes is not None else None
        )
        shared_options = dask.delayed(options, pure=True)
        tasks = [
            dask.delayed(_panel_partition, pure=True)(
                i,
                out=out,
                tables=valid.tables,
                first_set_row=int(offsets[i]),
                athletes=shared_athletes,
                options=shared_options,
            )
            for i in range(valid.n_parts)
            if any(valid.counts[t][i] for t in valid.tables)
        ]
        results = [r for r in (self._session.compute(*tasks) if tasks else []) if r is not None]
        written = {name for r in results for name in r.frames}
        weeks = [r.weeks for r in results if r.weeks is not None]
        return PanelOutputs(
            frames={name: None for name in PANEL_OUTPUTS if name in written},
            weeks=pd.concat(weeks, ignore_index=True) if weeks else None,
            unmapped=_combine_unmapped(
                [r.unmapped for r in results if r.unmapped is not None],
                has_sets="strength_sets" in valid.tables,
                catalog=options.catalog,
            ),
            notes=tuple(_merge_body_mass_notes([n for r in results for n in r.notes])),
        )


# ---------------------------------------------------------------------------------------------
# tasks (module-level functions: workers import them)
# ---------------------------------------------------------------------------------------------
def _spill(
    part: Part, path: str, zones: dict[str, str], tz: str
) -> tuple[Spilled, pd.Series, pd.DataFrame, list[str]]:
    """Read a part once; spill its rows ordered by athlete (each keeps its row in the part).

    Returns the spilled part, its rows per athlete, its columns and dtypes (an empty frame) and
    the notes of reading it.
    """
    import pyarrow as pa

    frame = read_part(part)
    notes = list(frame.attrs.get("notes", []))
    frame.attrs = {}
    frame = local_times(frame, part.table, zones, tz)
    ids = frame["athlete_id"] if "athlete_id" in frame.columns else None
    codes, keys = pd.factorize(_athlete_keys(ids, len(frame)), sort=True)
    order = np.argsort(codes, kind="stable")  # rows without an athlete (-1) first
    counts = np.bincount(codes[codes >= 0], minlength=len(keys))
    missing = int((codes < 0).sum())
    firsts = missing + np.r_[0, np.cumsum(counts)[:-1]].astype("int64")
    in_order = bool((order == np.arange(len(order))).all())  # often: logs kept per athlete
    spilled = frame.reset_index(drop=True) if in_order else frame.take(order).reset_index(drop=True)
    spilled[_ROW] = order.astype("int64")
    table = pa.Table.from_pandas(spilled, preserve_index=False)
    options = pa.ipc.IpcWriteOptions(compression="lz4")
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema, options=options) as w:
        w.write_table(table, max_chunksize=_SPILL_BATCH)
    per_athlete = pd.Series(counts.astype("int64"), index=pd.Index(keys, dtype=object))
    done = Spilled(path, len(frame), np.asarray(keys, dtype=object), firsts)
    # Made from the dtypes: an empty slice (even copied: Arrow buffers are shared) would keep
    # the whole part alive in the worker until the end of the step.
    meta = pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in frame.dtypes.items()})
    return done, per_athlete, meta, notes


def _read_slice(path: str, lo: int, hi: int) -> pd.DataFrame:
    """Rows ``lo:hi`` of a spilled part (only the record batches that hold them are read)."""
    import pyarrow as pa

    with pa.memory_map(path) as source:
        reader = pa.ipc.open_file(source)
        first, last = lo // _SPILL_BATCH, (hi - 1) // _SPILL_BATCH
        batches = [reader.get_batch(i) for i in range(first, last + 1)]
        table = pa.Table.from_batches(batches).slice(lo - first * _SPILL_BATCH, hi - lo)
        return table.to_pandas()


def _athlete_keys(ids: pd.Series | None, n: int) -> pd.Series:
    """``athlete_id`` as validation coerces it (the key rows are partitioned on)."""
    if ids is None:
        return pd.Series(np.nan, index=range(n), dtype=object)
    dtype = get_schema("strength_sets").columns["athlete_id"].dtype
    return coerce_column(ids, dtype).values


def _conform(frame: pd.DataFrame, meta: pd.DataFrame) -> pd.DataFrame:
    """The part with the table's columns (union over parts, in order) and dtypes."""
    if list(frame.columns) != list(meta.columns):
        frame = frame.reindex(columns=meta.columns)
    for name, dtype in meta.dtypes.items():
        if frame[name].dtype != dtype:
            try:
                frame[name] = frame[name].astype(dtype)
            except (TypeError, ValueError):
                frame[name] = frame[name].astype(object)
    return frame


def _validate_partition(
    slices: tuple[tuple[int, str, int, int], ...],
    *,
    meta: pd.DataFrame,
    table: str,
    partition: int,
    tz: str,
    out: Path,
) -> dict:
    """Validate one partition (all rows of its athletes, in input order); write its valid rows.

    ``slices`` are ``(part number, spilled file, first row, end row)``.
    """
    pieces = []
    for number, path, lo, hi in slices:
        piece = _conform(_read_slice(path, lo, hi), meta.assign(**{_ROW: pd.Series(dtype="int64")}))
        piece[_SEQ] = (np.int64(number) << _ROW_BITS) + piece.pop(_ROW).to_numpy(dtype="int64")
        pieces.append(piece)
    frame = (
        pd.concat(pieces, ignore_index=True)
        if len(pieces) > 1
        else (pieces[0] if pieces else meta.assign(**{_SEQ: pd.Series(dtype="int64")}))
    )
    frame = frame.sort_values(_SEQ, kind="stable", ignore_index=True)
    seq = frame.pop(_SEQ).to_numpy()
    good, report = validate_table(frame, table, tz=tz)
    if len(good):
        write_parquet(good, _part_file(out, table, partition))
    rejected = report.rejected
    rejected.index = seq[rejected.index.to_numpy()]
    failures = report.failures.copy()
    failures["row"] = seq[failures["row"].to_numpy()]
    return {
        "table": table,
        "partition": partition,
        "valid": len(good),
        "rejected": rejected,
        "failures": failures,
        "flags": flag_counts(report.flags),
        "notes": report.notes,
    }


def _panel_partition(
    partition: int,
    *,
    out: Path,
    tables: tuple[str, ...],
    first_set_row: int,
    athletes: pd.DataFrame | None,
    options: BuildOptions,
) -> PanelOutputs | None:
    """The panel, dose, provenance and loads of one partition's athletes; written as parts."""
    valid = {"athletes": athletes}
    for table in tables:
        path = _part_file(out, table, partition)
        if path.exists():
            valid[table] = pd.read_parquet(path)
    if len(valid) == 1:
        return None
    result = panel_outputs(valid, options, first_set_row=first_set_row)
    for name, frame in result.frames.items():
        write_parquet(frame, _part_file(out, name, partition))
    # Only what the report needs goes back to the client: the tables stay in their files.
    return dataclasses.replace(result, frames=dict.fromkeys(result.frames))


def _table_report(
    table: str, results: list[dict], read: DaskRead, tz: str
) -> tuple[ValidationReport, np.ndarray, pd.DataFrame]:
    """One table's validation report from its partitions' results, with global row numbers."""
    parts = read.parts[table]
    offsets = np.cumsum([0] + [read.part_rows[p] for p in parts])[:-1]
    n_valid = np.zeros(read.n_parts, dtype="int64")
    rejected, failures, flags, notes = [], [], [], []
    for r in results:
        n_valid[r["partition"]] = r["valid"]
        if len(r["rejected"]):
            rej = r["rejected"]
            rej.index = _global_rows(rej.index.to_numpy(), offsets)
            rejected.append(rej)
            fail = r["failures"]
            fail["row"] = _global_rows(fail["row"].to_numpy(), offsets)
            failures.append(fail)
        flags.append(r["flags"])
        notes += list(r["notes"])
    empty = validate(read.metas[table], table, tz=tz)
    rej = pd.concat(rejected).sort_index(kind="stable") if rejected else empty.rejected
    rej.index.name = "row"
    fail = (
        pd.concat(failures, ignore_index=True).sort_values("row", kind="stable", ignore_index=True)
        if failures
        else empty.failures
    )
    report = ValidationReport(
        table=table,
        valid=read.metas[table].iloc[:0],
        rejected=rej,
        failures=fail,
        notes=tuple(dict.fromkeys(notes)),
        n_rows=int(sum(read.part_rows[p] for p in parts)),
    )
    flags = [f for f in flags if len(f)]
    counts = pd.concat(flags, ignore_index=True) if flags else flag_counts(empty.flags)
    return report, n_valid, counts


def _starts(counts: pd.Series, partitions: int | None) -> np.ndarray:
    """First athlete id of each partition: contiguous ranges of sorted ids, rows about equal."""
    ids = sorted(counts.index)
    rows = counts.reindex(ids).to_numpy(dtype="float64")
    total = rows.sum()
    if partitions is None:
        partitions = max(1, math.ceil(total / ROWS_PER_PARTITION))
    partitions = max(1, min(int(partitions), len(ids)))
    cum = np.cumsum(rows) - rows  # rows before each athlete
    cuts = np.searchsorted(cum, total * np.arange(1, partitions) / partitions, side="left")
    first = np.unique(np.r_[0, cuts])
    return np.asarray([ids[i] for i in first if i < len(ids)], dtype=object)


def _global_rows(seq: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    part = (seq >> _ROW_BITS).astype("int64")
    return offsets[part] + (seq & ((1 << _ROW_BITS) - 1))


def _merge_body_mass_notes(notes: list[str]) -> list[str]:
    """One note for the athletes without body mass, as the pandas engine words it for all."""
    found = [(n, _BODY_MASS_NOTE.match(n)) for n in notes]
    matched = [m for _, m in found if m is not None]
    if len(matched) <= 1:
        return notes
    sets = sum(int(m.group(1)) for m in matched)
    athletes = sum(int(m.group(2)) for m in matched)
    names = [name for m in matched for name in m.group(3).split(", ")][:10]
    more = f" and {athletes - 10} more" if athletes > 10 else ""
    merged = (
        f"{sets} body-weight set(s) of {athletes} athlete(s) ({', '.join(names)}{more}) "
        + matched[0].group(4)
    )
    out = [n for n, m in found if m is None]
    first = next(i for i, (_, m) in enumerate(found) if m is not None)
    out.insert(first, merged)
    return out


def _combine_unmapped(frames: list[pd.DataFrame], *, has_sets: bool, catalog) -> pd.DataFrame:
    """Unknown exercise names over all partitions (athletes are disjoint, so counts add up)."""
    columns = UNMAPPED_COLUMNS
    if not has_sets:
        return pd.DataFrame(columns=columns)
    frames = [f for f in frames if len(f)]
    if not frames:
        return unmapped(pd.DataFrame({"exercise_raw": pd.Series(dtype="str"),
                                      "athlete_id": pd.Series(dtype="str")}), catalog)
    both = pd.concat(frames, ignore_index=True)
    out = both.groupby("name", sort=False).agg(
        sets=("sets", "sum"),
        athletes=("athletes", "sum"),
        looks_like_calf=("looks_like_calf", "first"),
    )
    out = out.reset_index().sort_values(
        ["sets", "name"], ascending=[False, True], kind="stable", ignore_index=True
    )
    return out[columns]
