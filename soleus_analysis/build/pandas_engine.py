"""The pandas engine: a build in memory, of any exports and canonical tables.

Its three steps:

1. **read**: the exports with :func:`soleus_analysis.read_folder` (once per data-set folder, then
   once for the rest of the raw folder), the table files with
   :func:`~soleus_analysis.build.inputs.read_canonical`; each table is the rows of its files in
   the order :mod:`~soleus_analysis.build.inputs` gives.
2. **validate** each table (:func:`soleus_analysis.validate`); its valid rows are written, the
   rejected ones quarantined.
3. **panel**: the athlete-week panel and the tables it is made from
   (:func:`~soleus_analysis.build.steps.panel_outputs`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from soleus_analysis.build.inputs import (
    TABLES,
    InputFile,
    Inputs,
    athlete_zones,
    local_times,
    read_canonical,
    relative,
)
from soleus_analysis.build.inputs import with_provenance as add_provenance
from soleus_analysis.build.options import BuildOptions
from soleus_analysis.build.output import write_parquet
from soleus_analysis.build.report import BuildTally, file_record
from soleus_analysis.build.steps import PanelOutputs, panel_outputs, validate_table
from soleus_analysis.errors import InputError
from soleus_analysis.readers import read_folder
from soleus_analysis.readers.folder import progress_bar

__all__ = ["PandasEngine"]

_READER = "sol.read_folder (app exports) and canonical tables (<table>.csv, <table>.parquet)"


@dataclass
class PandasRead:
    """The tables of a raw folder, not yet validated, and what was read from each file."""

    tables: dict[str, pd.DataFrame]
    records: dict[str, dict]
    reader: str


@dataclass
class PandasEngine:
    """The pandas engine (see the module docstring).

    Parameters
    ----------
    progress : bool
        Show progress bars on stderr (the exports read, the tables validated, the panel's steps)
        when stderr is a terminal.
    """

    progress: bool = False
    name: str = field(default="pandas", init=False)
    #: Notes of the run for the report (none).
    notes: list[str] = field(default_factory=list, init=False)
    _writes: list[Future] = field(default_factory=list, init=False, repr=False)
    _pool: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)

    def identity(self) -> dict:
        """What the engine adds to a build's fingerprint."""
        return {"engine": self.name}

    def parameters(self) -> dict:
        """What the engine adds to the report's parameters (nothing: it is the default)."""
        return {}

    @contextlib.contextmanager
    def session(self) -> Iterator[PandasEngine]:
        """The engine, ready to run the steps; every file is written when the block ends.

        Tables are written by a background thread while the next step computes (Arrow writes
        without Python's lock, so the two use both cores).
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="soleus-write") as pool:
            self._pool, self._writes = pool, []
            try:
                yield self
            finally:
                self._pool = None
                writes, self._writes = self._writes, []
                for done in writes:
                    done.result()  # a write that failed fails the build

    def _write(self, frame: pd.DataFrame, path: Path) -> None:
        if self._pool is None:
            write_parquet(frame, path)
        else:
            self._writes.append(self._pool.submit(write_parquet, frame, path))

    # -----------------------------------------------------------------------------------------
    def read(self, inputs: Inputs, options: BuildOptions, out: Path) -> PandasRead:
        """Read every export and table file (step 1)."""
        parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
        records: dict[str, dict] = {}
        reader = _READER
        exports = inputs.of_kind("export")
        if exports:
            if inputs.datasets:
                reader += (
                    "; dataset folders read one by one (athlete = their sub-folder): "
                    + ", ".join(inputs.datasets)
                )
            for folder, files in _export_groups(inputs.root, exports):
                self._read_exports(inputs.root, folder, files, options, parts, records)
        table_parts: list[tuple[str, pd.DataFrame]] = []
        for f in inputs.of_kind("table"):
            try:
                frame = read_canonical(f.path, f.table)
            except InputError as exc:
                records[f.rel] = file_record(
                    f.rel, source="canonical", tables=f.table, error=_reason(exc, f)
                )
                continue
            notes = "; ".join(frame.attrs.get("notes", [])) or None
            frame.attrs = {}
            table_parts.append((f.table, add_provenance(frame, f.rel)))
            records[f.rel] = file_record(
                f.rel, source="canonical", tables=f.table, rows=len(frame), notes=notes
            )
        # Naive times of a table file are local time of the athlete (athletes.csv), as in exports.
        zones = athlete_zones([frame for table, frame in table_parts if table == "athletes"])
        for table, frame in table_parts:
            parts[table].append(local_times(frame, table, zones, options.tz))
        tables = {
            t: pd.concat(p, ignore_index=True) if len(p) > 1 else p[0].reset_index(drop=True)
            for t, p in parts.items()
            if p
        }
        if not tables:
            raise InputError(
                "no table could be read from the folder",
                path=inputs.root,
                fix="put exports or canonical tables (<table>.csv / <table>.parquet) in it",
            )
        return PandasRead(tables=tables, records=records, reader=reader)

    def _read_exports(
        self,
        root: Path,
        folder: Path,
        files: set[str],
        options: BuildOptions,
        parts: dict[str, list[pd.DataFrame]],
        records: dict[str, dict],
    ) -> None:
        prefix = "" if folder == root else folder.relative_to(root).as_posix() + "/"
        # A data set without its own athletes.csv takes the study's (time zones, weight units).
        own = folder / "athletes.csv"
        study = root / "athletes.csv"
        read = read_folder(
            folder,
            tz=options.tz,
            athletes=None if own.exists() or not study.exists() else study,
            progress=self.progress,
            skip=lambda rel: prefix + rel.as_posix() not in files,
            mappings=options.mappings,
        )
        for rec in read.files.to_dict(orient="records"):
            rel = relative(rec["path"], root)
            error = rec.get("error") or None
            if error:
                error = _strip_path(error, rec["path"], rel)
            records[rel] = file_record(
                rel,
                source=rec.get("source") or None,
                tables=rec.get("tables") or None,
                rows=int(rec.get("rows") or 0),
                athlete_id=rec.get("athlete_id") or None,
                error=error,
                notes=rec.get("notes") or None,
            )
        for table, frame in read.tables.items():
            # The athletes table comes from the table files (athletes.csv), read like any other.
            if table == "athletes" or table not in parts or not len(frame):
                continue
            if "source_file" in frame.columns:
                # Each distinct file once: resolving paths row by row cost seconds.
                names = frame["source_file"].dropna().unique()
                frame = frame.assign(
                    source_file=frame["source_file"].map({f: relative(f, root) for f in names})
                )
            parts[table].append(frame)

    def validate(
        self, read: PandasRead, options: BuildOptions, out: Path, tally: BuildTally
    ) -> dict[str, pd.DataFrame]:
        """Validate each table, write its valid rows, quarantine the rest (step 2)."""
        valid = {}
        names = [t for t in TABLES if t in read.tables]
        with progress_bar(self.progress, total=len(names), desc="validating", unit="table") as bar:
            for table in names:
                bar.set_postfix_str(table)
                good, report = validate_table(read.tables[table], table, tz=options.tz)
                self._write(good, out / f"{table}.parquet")
                tally.account(table, report)
                valid[table] = good
                bar.update()
        return valid

    def panel(
        self, valid: dict[str, pd.DataFrame], options: BuildOptions, out: Path
    ) -> PanelOutputs:
        """Build and write the panel and the tables it is made from (step 3)."""
        with progress_bar(self.progress, total=2, desc="panel", unit="step") as bar:
            bar.set_postfix_str("dose, loads and athlete-weeks")
            result = panel_outputs(valid, options)
            bar.update()
            bar.set_postfix_str("writing")
            for name, frame in result.frames.items():
                self._write(frame, out / f"{name}.parquet")
            bar.update()
        return result


def _export_groups(root: Path, exports: list[InputFile]) -> list[tuple[Path, set[str]]]:
    """The folders to read with ``read_folder``: each data set, then the rest of the root."""
    groups: dict[str | None, set[str]] = {}
    for f in exports:
        groups.setdefault(f.dataset, set()).add(f.rel)
    out = [(root / name, groups[name]) for name in sorted(k for k in groups if k is not None)]
    if None in groups:
        out.append((root, groups[None]))
    return out


def _strip_path(error: str, path: object, rel: str) -> str:
    """The reason alone: the listing names the file already."""
    for prefix in (f"{path}: ", f"{rel}: "):
        if error.startswith(prefix):
            return error[len(prefix) :]
    return error


def _reason(exc: InputError, f: InputFile) -> str:
    return _strip_path(str(exc), f.path, f.rel)
