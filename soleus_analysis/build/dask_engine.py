"""``soleus build --engine dask``: the same build on tables too large for one pandas frame.

The input is a folder of canonical tables in parts (:mod:`soleus_analysis.build.parts`); the
outputs are those of :func:`soleus_analysis.build` with the same rows, values, column order, dtypes
and sort order, the large ones written as folders of Parquet parts that ``pd.read_parquet`` reads
back as one frame.

How it works
------------
Validating each input part on its own (what pandera does on Dask) misses a duplicate whose two
copies are in different parts, and ``dask.compute`` stops at the first failing part. Here:

1. **Scan** every part of the large tables (``strength_sets``, ``runs``, ``sessions``,
   ``wellness``): its rows and how many rows each athlete has, with ``athlete_id`` coerced as
   :func:`soleus_analysis.validate` coerces it. A Parquet part reads one column.
2. **Partition by athlete**: the sorted athlete ids are cut into ``partitions`` contiguous ranges
   of about equal rows (all tables together); every table uses the same ranges.
3. **Shuffle**: every row goes to its athlete's partition (``set_index`` on the partition number
   with known divisions; a disk-backed p2p shuffle on the distributed scheduler), carrying its
   position in the input (part number and row in the part: the order in which the pandas engine
   concatenates the parts).
4. **Validate** each partition with :func:`soleus_analysis.validate`, its rows in input order.
   Column checks are per cell and every rule across rows in :mod:`soleus_analysis.schemas`
   (duplicate set, near-duplicate session, duplicate and overlapping runs, duplicate session and
   day) compares rows of one athlete only, so with all of an athlete's rows in one partition in
   input order the result is exactly that of validating the whole table: the same rows rejected,
   "the first occurrence" the same row. Each partition writes its valid rows and returns its
   rejected rows with all their reasons; the client puts every partition's rejected rows in
   ``quarantine/`` (no partition's failures are lost) with the row numbers of the pandas engine.
5. **Panel**: the soleus dose, weekly sums, loads, within/between parts and lags are all per
   athlete, so each partition runs the pandas panel builder on its own valid tables (read back
   from the output) and writes its part of ``athlete_week``, ``dose_per_set``, ``provenance`` and
   ``daily_loads``. Partitions hold contiguous ranges of sorted athlete ids, so the parts in order
   are the pandas engine's tables in order; ``row`` of the dose and the provenance is the set's
   row in ``strength_sets.parquet`` read as one frame.

``athletes`` is small and validated on the client. Per-partition work needs memory for one
partition at a time per worker thread; the shuffle spills to disk.

Known differences from the pandas engine: timestamps given as text that mix cells with and
without a zone are judged per partition (the pandas engine rejects the zone-less cells when any
cell of the whole table has a zone), and the notes about zones assumed for naive times are written
per partition. Files that are not canonical tables (app exports) are not read (listed with the
reason); build them with the pandas engine.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import socket
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.build.pandas_engine import (
    INPUT_TABLES,
    _quarantine,
    _remove_output,
    _sorted,
    _write_parquet,
)
from soleus_analysis.build.parts import (
    LARGE_TABLES,
    Part,
    read_part,
    table_parts,
    with_provenance,
)
from soleus_analysis.build.report import (
    FILE_COLUMNS,
    BuildReport,
    build_parameters,
    write_build_report,
)
from soleus_analysis.catalog import ExerciseCatalog, resolve_catalog, unmapped
from soleus_analysis.coercion import coerce_column
from soleus_analysis.dose import dose_provenance
from soleus_analysis.errors import InputError
from soleus_analysis.loads import ewma_lambda
from soleus_analysis.panel import _build_panel
from soleus_analysis.schemas import get_schema
from soleus_analysis.validation import ValidationReport, validate

__all__ = ["ROWS_PER_PARTITION", "build_dask"]

#: Default rows per partition (all large tables together) when ``partitions`` is not given.
ROWS_PER_PARTITION = 500_000
#: How long to wait for a scheduler given with ``--scheduler``.
CONNECT_TIMEOUT = "20s"
#: Send buffer of the local cluster's p2p shuffle.
P2P_BUFFER = "128 MiB"
#: Local schedulers: a distributed ``LocalCluster`` of threads, or dask's threaded scheduler.
LOCAL_SCHEDULERS = ("local", "threads")

_SEQ = "_seq"
_PART = "_part"
_ROW_BITS = 32  # input position = part number << 32 | row in the part
_PANEL_OUTPUTS = ("athlete_week", "dose_per_set", "provenance", "daily_loads")
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


# ---------------------------------------------------------------------------------------------
# the scheduler
# ---------------------------------------------------------------------------------------------
@dataclass
class _Session:
    """Where the graph runs: ``compute`` and the shuffle method that suits the scheduler."""

    client: object | None
    shuffle_method: str
    label: str

    def compute(self, *objects):
        import dask

        try:
            if self.client is not None:
                return self.client.compute(list(objects), sync=True)
            return list(dask.compute(*objects, scheduler="threads"))
        except Exception as exc:
            if _out_of_memory(exc):
                raise InputError(
                    f"the build ran out of memory on the {self.label}",
                    fix="use more partitions (--partitions), fewer threads per worker, or more "
                    "memory; under an address-space limit (ulimit -v) start Python with "
                    "MALLOC_ARENA_MAX=2 and ARROW_DEFAULT_MEMORY_POOL=system (README, 'Running "
                    "on a cluster')",
                ) from exc
            raise


def _out_of_memory(exc: BaseException | None) -> bool:
    """Whether a failure was caused by a memory error (p2p wraps it in a RuntimeError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, MemoryError) or "MemoryError" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


_NO_SCHEDULER = (
    "give the address a scheduler prints (tcp://HOST:8786); start one with `dask scheduler` and "
    "workers with `dask worker tcp://HOST:8786`, or leave out --scheduler for a local cluster"
)


def _check_address(address: str) -> None:
    """Fail fast, with the fix, on a scheduler address that cannot work (before distributed
    retries for ``CONNECT_TIMEOUT``)."""
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import backends

    problem = None
    try:
        scheme, location = parse_address(address)
        if scheme not in backends:
            problem = f"unknown protocol {scheme!r} (use one of {', '.join(sorted(backends))})"
        elif scheme in ("tcp", "tls"):
            host, port = parse_host_port(location)
            socket.create_connection((host, port), timeout=5).close()
    except ValueError as exc:
        problem = str(exc)
    except OSError as exc:
        problem = f"nothing answers there: {exc.strerror or exc}"
    if problem is not None:
        raise InputError(
            f"cannot connect to the Dask scheduler at {address}: {problem}", fix=_NO_SCHEDULER
        )


@contextlib.contextmanager
def _recording() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning (also those raised while the cluster starts) instead of showing it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


@contextlib.contextmanager
def _session(scheduler: str | None, threads: int | None) -> Iterator[_Session]:
    """Start (and close) a local cluster, connect to a scheduler, or use dask's threads.

    Warnings raised while the graph runs (in this process: the local cluster's workers are
    threads) are recorded, not shown; the caller puts them in the build notes. Distributed's
    logs are limited to errors.
    """
    import dask

    config = {
        # Keep pandas' own string dtype: dask would turn text columns into string[pyarrow].
        "dataframe.convert-string": False,
        # The local cluster's p2p shuffle sends shards to itself: a small send buffer is enough
        # (the default, 1 GiB, is a quarter of a 4 GB budget). Read when its worker starts.
        "distributed.p2p.comm.buffer": P2P_BUFFER,
    }
    threads = threads or os.cpu_count() or 1
    with dask.config.set(config), contextlib.ExitStack() as stack:
        if scheduler == "threads":
            with dask.config.set(num_workers=threads):
                yield _Session(None, "disk", f"dask threaded scheduler ({threads} threads)")
            return
        from distributed import Client, LocalCluster

        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        stack.callback(quiet.setLevel, level)
        if scheduler in (None, "local"):
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=1,
                    threads_per_worker=threads,
                    processes=False,
                    # A random port: the default (8787) may be taken, and distributed warns then.
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster, set_as_default=False))
            label = f"local cluster (1 worker, {threads} threads)"
        else:
            _check_address(scheduler)
            try:
                client = stack.enter_context(
                    Client(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT)
                )
            except (OSError, ValueError) as exc:
                raise InputError(
                    f"cannot connect to the Dask scheduler at {scheduler} ({exc})",
                    fix=_NO_SCHEDULER,
                ) from None
            workers = len(client.scheduler_info().get("workers", {}))
            if not workers:
                raise InputError(
                    f"the Dask scheduler at {scheduler} has no workers",
                    fix="start workers with `dask worker ADDRESS` (each needs this package "
                    "installed) and build again",
                )
            label = f"distributed scheduler ({workers} worker(s))"
        yield _Session(client, "p2p", label)


# ---------------------------------------------------------------------------------------------
# tasks (module-level functions: workers import them)
# ---------------------------------------------------------------------------------------------
def _athlete_keys(ids: pd.Series | None, n: int) -> pd.Series:
    """``athlete_id`` as validation coerces it (the key rows are partitioned on)."""
    if ids is None:
        return pd.Series(np.nan, index=range(n), dtype=object)
    dtype = get_schema("strength_sets").columns["athlete_id"].dtype
    return coerce_column(ids, dtype).values


def _scan(part: Part) -> tuple[int, pd.Series, pd.DataFrame]:
    """Rows of a part, its rows per athlete, and its columns and dtypes (an empty frame)."""
    if part.format == "parquet":
        import pyarrow.parquet as pq

        schema = pq.ParquetFile(part.path).schema_arrow
        meta = with_provenance(schema.empty_table().to_pandas().reset_index(drop=True), part)
        ids = read_part(part, columns=["athlete_id"])
        rows = len(ids)
        ids = ids["athlete_id"] if "athlete_id" in ids.columns else None
    else:
        frame = read_part(part)
        meta, rows = frame.iloc[:0], len(frame)
        ids = frame["athlete_id"] if "athlete_id" in frame.columns else None
    counts = _athlete_keys(ids, rows).value_counts(dropna=True)
    counts.index = counts.index.astype(object)
    return rows, counts.astype("int64"), meta


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


def _partition_numbers(ids: pd.Series, starts: np.ndarray) -> np.ndarray:
    """The partition of each row: the range of sorted athlete ids its athlete falls in."""
    keys = _athlete_keys(ids, len(ids))
    codes, uniques = pd.factorize(keys)
    if len(uniques) == 0:
        return np.zeros(len(keys), dtype="int64")
    where = np.searchsorted(starts, np.asarray(uniques, dtype=object), side="right") - 1
    where = np.clip(where, 0, None)
    return np.where(codes >= 0, where[np.clip(codes, 0, None)], 0).astype("int64")


def _read_keyed(item: tuple[int, Part], meta: pd.DataFrame, starts: np.ndarray) -> pd.DataFrame:
    number, part = item
    frame = _conform(read_part(part), meta)
    frame[_SEQ] = (np.int64(number) << _ROW_BITS) + np.arange(len(frame), dtype="int64")
    ids = frame["athlete_id"] if "athlete_id" in frame.columns else None
    frame[_PART] = (
        _partition_numbers(ids, starts) if ids is not None else np.zeros(len(frame), "int64")
    )
    return frame


def _flag_counts(report: ValidationReport, table: str) -> list[dict]:
    if report.flags.empty:
        return []
    counts = (
        report.flags.groupby(["athlete_id", "check"], sort=True)
        .agg(rows=("row", "size"), message=("message", "first"))
        .reset_index()
    )
    return [{"table": table, **rec} for rec in counts.to_dict(orient="records")]


def _validate_partition(
    frame: pd.DataFrame, *, table: str, partition: int, tz: str, out: Path
) -> dict:
    """Validate one partition (all rows of its athletes, in input order); write its valid rows."""
    frame = frame.reset_index(drop=True).sort_values(_SEQ, kind="stable")
    seq = frame[_SEQ].to_numpy()
    raw = frame.drop(columns=[c for c in (_SEQ, _PART) if c in frame.columns])
    raw = raw.reset_index(drop=True)
    report = validate(raw, table, tz=tz)
    good = _sorted(report.valid.reset_index(drop=True), table)
    if len(good):
        path = _part_file(out, table, partition)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_parquet(good, path)
    rejected = report.rejected
    rejected.index = seq[rejected.index.to_numpy()]
    failures = report.failures.copy()
    failures["row"] = seq[failures["row"].to_numpy()]
    return {
        "table": table,
        "partition": partition,
        "rows": len(raw),
        "valid": len(good),
        "rejected": rejected,
        "failures": failures,
        "flags": _flag_counts(report, table),
        "notes": report.notes,
    }


@dataclass(frozen=True)
class _PanelOptions:
    catalog: ExerciseCatalog
    lags: tuple[int, ...]
    ewma: str
    tz: str
    min_coverage: float
    max_gap_days: int | None


def _panel_partition(
    partition: int,
    *,
    out: Path,
    tables: tuple[str, ...],
    offset: int,
    athletes: pd.DataFrame | None,
    options: _PanelOptions,
) -> dict:
    """The panel, dose, provenance and loads of one partition's athletes; written as parts."""
    valid = {}
    for table in tables:
        path = _part_file(out, table, partition)
        if path.exists():
            valid[table] = pd.read_parquet(path)
    result = {"partition": partition, "weeks": None, "unmapped": None, "notes": (), "written": ()}
    if not valid:
        return result
    sets = valid.get("strength_sets")
    if sets is not None:
        sets.index = pd.RangeIndex(offset, offset + len(sets))
        result["unmapped"] = unmapped(sets, options.catalog)
    parts = _build_panel(
        sets,
        valid.get("runs"),
        valid.get("wellness"),
        valid.get("sessions"),
        athletes,
        catalog=options.catalog,
        lags=options.lags,
        window=None,
        ewma=options.ewma,
        tz=options.tz,
        min_coverage=options.min_coverage,
        max_gap_days=options.max_gap_days,
        exposures=None,
        lag_columns=None,
        easy="auto",
    )
    frames = {"athlete_week": parts.panel}
    if parts.dose is not None:
        result["notes"] = tuple(parts.dose.attrs.get("notes", []))
        frames["dose_per_set"] = parts.dose.reset_index()
        frames["provenance"] = dose_provenance(parts.dose)
    if parts.loads is not None:
        frames["daily_loads"] = parts.loads
    for name, frame in frames.items():
        path = _part_file(out, name, partition)
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_parquet(frame, path)
    result["written"] = tuple(frames)
    result["weeks"] = (
        parts.panel.groupby("athlete_id", sort=True)["week_start"]
        .agg(first_week="min", last_week="max", weeks="size")
        .reset_index()
    )
    return result


# ---------------------------------------------------------------------------------------------
# the client's share
# ---------------------------------------------------------------------------------------------
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


def _files_listing(parts: dict[str, list[Part]], rows: dict[Part, int], other: list[str]):
    records: dict[str, dict] = {}
    for table, table_parts_ in parts.items():
        for part in table_parts_:
            rec = records.setdefault(
                part.rel,
                {
                    "path": part.rel,
                    "source": "canonical",
                    "tables": table,
                    "rows": 0,
                    "athlete_id": None,
                    "error": None,
                    "notes": None,
                },
            )
            rec["rows"] += int(rows.get(part, 0))
    for rel in other:
        records[rel] = {
            "path": rel,
            "source": None,
            "tables": None,
            "rows": 0,
            "athlete_id": None,
            "error": _NOT_CANONICAL,
            "notes": None,
        }
    listing = pd.DataFrame(list(records.values()), columns=FILE_COLUMNS)
    return listing.sort_values("path", kind="stable", ignore_index=True)


def build_dask(
    raw_dir: str | PathLike[str],
    out_dir: str | PathLike[str],
    *,
    tz: str = "UTC",
    lags: Sequence[int] = (1, 2, 3, 4),
    ewma: str = "williams",
    catalog: ExerciseCatalog | str | PathLike[str] | None = None,
    min_coverage: float = 5 / 7,
    max_gap_days: int | None = 14,
    scheduler: str | None = None,
    partitions: int | None = None,
    threads: int | None = None,
    max_part_rows: int = 1_000_000,
) -> BuildReport:
    """Build the processed data set on Dask (see the module docstring).

    Parameters are those of :func:`soleus_analysis.build`, plus:

    Parameters
    ----------
    scheduler : str, optional
        Address of a running distributed scheduler (``tcp://10.0.0.5:8786``); by default a local
        cluster of threads in this process, started and closed here. ``"threads"`` uses dask's
        threaded scheduler (no distributed; the shuffle spills to a local folder).
    partitions : int, optional
        Partitions by athlete; by default one per 500,000 input rows (at most one per athlete).
    threads : int, optional
        Worker threads of the local cluster (default: the CPU count).
    max_part_rows : int, default 1,000,000
        Largest input part cut from one Parquet file (whole row groups).

    Returns
    -------
    BuildReport
        As :func:`soleus_analysis.build`; ``parameters`` also holds ``engine``, ``partitions``
        and ``scheduler``.
    """
    import dask
    import dask.dataframe as dd

    root, out = Path(raw_dir), Path(out_dir)
    if not root.is_dir():
        raise InputError(
            "raw data folder not found", path=root, fix="give the folder that holds your tables"
        )
    if out.resolve() == root.resolve() or root.resolve() in out.resolve().parents:
        raise InputError(
            "the output folder is inside the raw data folder",
            path=out,
            fix="write processed data elsewhere (e.g. data/processed); data/raw is read-only",
        )
    if partitions is not None and (not isinstance(partitions, int) or partitions < 1):
        raise ValueError(f"partitions must be a positive whole number, got {partitions!r}")
    ewma_lambda(7, ewma)
    cat = resolve_catalog(catalog)
    parts, other = table_parts(root, max_rows=max_part_rows)
    if not parts:
        raise InputError(
            "no canonical table in the folder",
            path=root,
            fix="put canonical tables in it (<table>/part-*.parquet, <table>.parquet, "
            "<table>.csv; see sol.write_partitioned), or build app exports with the pandas "
            "engine",
        )
    large = [t for t in LARGE_TABLES if t in parts]

    out.mkdir(parents=True, exist_ok=True)
    qdir = out / "quarantine"
    if qdir.exists():
        for stale in qdir.glob("*.rejected.csv"):
            stale.unlink()
    managed = [f"{t}.parquet" for t in (*INPUT_TABLES, *_PANEL_OUTPUTS)]
    for name in [*managed, "build_report.md", "build_report.json"]:
        _remove_output(out / name)

    table_rows, rejected_rows, flag_rows, quarantine_rows, notes = [], [], [], [], []
    outputs: list[str] = []
    part_rows: dict[Part, int] = {}
    recorded: list[warnings.WarningMessage] = []

    def account(table: str, report: ValidationReport, n_valid: int) -> None:
        table_rows.append(
            {
                "table": table,
                "rows_read": report.n_rows,
                "rows_valid": n_valid,
                "rows_rejected": len(report.rejected),
            }
        )
        for rec in report.summary().to_dict(orient="records"):
            rejected_rows.append({"table": table, **rec})
        quarantine_rows.extend(_quarantine(report, table, qdir))
        notes.extend(f"{table}: {note}" for note in report.notes)
        outputs.append(f"{table}.parquet")

    athletes = None
    if "athletes" in parts:
        pieces = [read_part(p) for p in parts["athletes"]]
        part_rows.update((p, len(f)) for p, f in zip(parts["athletes"], pieces, strict=True))
        frame = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
        report = validate(frame, "athletes", tz=tz)
        athletes = _sorted(report.valid.reset_index(drop=True), "athletes")
        _write_parquet(athletes, out / "athletes.parquet")
        flag_rows += _flag_counts(report, "athletes")
        account("athletes", report, len(athletes))

    with _recording() as caught, _session(scheduler, threads) as session:
        # 1. scan
        scans = session.compute(
            *[dask.delayed(_scan, pure=True)(p) for t in large for p in parts[t]]
        )
        it = iter(scans)
        metas, counts = {}, []
        for table in large:
            empties = []
            for part in parts[table]:
                n, per_athlete, meta = next(it)
                part_rows[part] = n
                counts.append(per_athlete)
                empties.append(meta)
            metas[table] = pd.concat(empties, ignore_index=True) if len(empties) > 1 else empties[0]
            validate(metas[table], table, tz=tz)  # missing required columns: fail before the work
        all_counts = pd.concat(counts).groupby(level=0).sum() if counts else pd.Series(dtype=int)
        n_parts = 0
        if len(all_counts):
            starts = _starts(all_counts, partitions)
            n_parts = len(starts)
        else:
            starts = np.asarray([""], dtype=object)
            n_parts = 1

        # 2.-4. shuffle by athlete and validate each partition
        tasks = []
        for table in large:
            meta = metas[table].assign(
                **{_SEQ: pd.Series(dtype="int64"), _PART: pd.Series(dtype="int64")}
            )
            frame = dd.from_map(
                _read_keyed,
                list(enumerate(parts[table])),
                meta=meta,
                enforce_metadata=False,
                label=f"read-{table}",
                args=[metas[table], starts],
            )
            shuffled = frame.set_index(
                _PART, divisions=list(range(n_parts + 1)), shuffle_method=session.shuffle_method
            )
            for i, piece in enumerate(shuffled.to_delayed()):
                tasks.append(
                    dask.delayed(_validate_partition, pure=True)(
                        piece, table=table, partition=i, tz=tz, out=out
                    )
                )
        results = session.compute(*tasks) if tasks else []

        valid_counts: dict[str, np.ndarray] = {}
        for table in large:
            mine = [r for r in results if r["table"] == table]
            offsets = np.cumsum([0] + [part_rows[p] for p in parts[table]])[:-1]
            n_valid = np.zeros(n_parts, dtype="int64")
            rejected, failures, table_notes = [], [], []
            for r in mine:
                n_valid[r["partition"]] = r["valid"]
                if len(r["rejected"]):
                    rej = r["rejected"]
                    rej.index = _global_rows(rej.index.to_numpy(), offsets)
                    rejected.append(rej)
                    fail = r["failures"]
                    fail["row"] = _global_rows(fail["row"].to_numpy(), offsets)
                    failures.append(fail)
                flag_rows += r["flags"]
                table_notes += list(r["notes"])
            valid_counts[table] = n_valid
            meta = metas[table]
            rej = (
                pd.concat(rejected).sort_index(kind="stable")
                if rejected
                else validate(meta, table, tz=tz).rejected
            )
            rej.index.name = "row"
            fail = (
                pd.concat(failures, ignore_index=True).sort_values(
                    "row", kind="stable", ignore_index=True
                )
                if failures
                else validate(meta, table, tz=tz).failures
            )
            report = ValidationReport(
                table=table,
                valid=meta.iloc[:0],
                rejected=rej,
                failures=fail,
                notes=tuple(dict.fromkeys(table_notes)),
                n_rows=int(sum(part_rows[p] for p in parts[table])),
            )
            if not n_valid.sum():  # every row rejected: the table is still written, empty
                empty = _sorted(validate(meta, table, tz=tz).valid.reset_index(drop=True), table)
                path = _part_file(out, table, 0)
                path.parent.mkdir(parents=True, exist_ok=True)
                _write_parquet(empty, path)
            account(table, report, int(n_valid.sum()))

        # 5. the panel, per partition
        if not any(v.sum() for v in valid_counts.values()):
            # As the pandas engine: no valid row of a dated table, no panel.
            raise InputError("build_panel() got no rows: pass at least one non-empty table")
        sets_valid = valid_counts.get("strength_sets", np.zeros(n_parts, dtype="int64"))
        offsets = np.cumsum(np.r_[0, sets_valid])[:-1]
        options = _PanelOptions(
            catalog=cat,
            lags=tuple(int(k) for k in lags),
            ewma=ewma,
            tz=tz,
            min_coverage=min_coverage,
            max_gap_days=max_gap_days,
        )
        shared_athletes = dask.delayed(athletes, pure=True) if athletes is not None else None
        shared_options = dask.delayed(options, pure=True)
        panel_tasks = [
            dask.delayed(_panel_partition, pure=True)(
                i,
                out=out,
                tables=tuple(large),
                offset=int(offsets[i]),
                athletes=shared_athletes,
                options=shared_options,
            )
            for i in range(n_parts)
            if any(valid_counts[t][i] for t in large)
        ]
        panel_results = session.compute(*panel_tasks) if panel_tasks else []
        label = session.label
    recorded = list(caught)
    written = {name for r in panel_results for name in r["written"]}
    outputs += [f"{name}.parquet" for name in _PANEL_OUTPUTS if name in written]
    outputs += [q["file"] for q in quarantine_rows]
    notes += _merge_body_mass_notes([n for r in panel_results for n in r["notes"]])
    notes += [f"dask: {w.category.__name__}: {w.message}" for w in recorded]

    weeks = pd.concat(
        [r["weeks"] for r in panel_results if r["weeks"] is not None], ignore_index=True
    )
    weeks["first_week"] = weeks["first_week"].dt.strftime("%Y-%m-%d")
    weeks["last_week"] = weeks["last_week"].dt.strftime("%Y-%m-%d")
    names = _combine_unmapped(
        [r["unmapped"] for r in panel_results if r["unmapped"] is not None],
        has_sets="strength_sets" in parts,
        catalog=cat,
    )
    parameters = build_parameters(
        tz=tz, ewma=ewma, lags=lags, min_coverage=min_coverage, max_gap_days=max_gap_days,
        catalog=None if catalog is None else cat,
        reader=f"dask engine: canonical tables in parts, {n_parts} partition(s) by athlete; "
        f"{label}",
    ) | {"engine": "dask", "partitions": n_parts}
    return write_build_report(
        out, raw_dir=root, parameters=parameters, files=_files_listing(parts, part_rows, other),
        table_rows=table_rows, rejected_rows=rejected_rows, quarantine_rows=quarantine_rows,
        flag_rows=flag_rows, unmapped=names, weeks=weeks, outputs=outputs, notes=notes,
    )


def _combine_unmapped(frames: list[pd.DataFrame], *, has_sets: bool, catalog) -> pd.DataFrame:
    """Unknown exercise names over all partitions (athletes are disjoint, so counts add up)."""
    columns = ["name", "sets", "athletes", "looks_like_calf"]
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
