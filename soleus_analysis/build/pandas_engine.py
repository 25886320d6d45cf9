"""``soleus build``: raw exports -> validated tables, quarantine, athlete-week panel, build report.

:func:`build` reads every file under a raw-data folder, validates each canonical table (rows that
break a rule go to ``quarantine/`` with their reasons, nothing is dropped silently), computes the
soleus dose, the training loads and the athlete-week panel, and writes to the output folder:

====================================  =============================================================
file                                  content
====================================  =============================================================
``<table>.parquet``                   each validated canonical table (athletes, strength_sets, runs,
                                      sessions, wellness) that had rows
``athlete_week.parquet``              the analysis panel (:func:`soleus_analysis.build_panel`)
``dose_per_set.parquet``              the soleus dose of every valid set (:func:`soleus_dose`)
``provenance.parquet``                which sets make up each athlete-week's dose; ``row`` is the
                                      set's row in ``strength_sets.parquet``, ``source_file`` and
                                      ``source_row`` its file and line in ``data/raw``
``daily_loads.parquet``               per athlete-day loads (:func:`training_loads`)
``quarantine/<file>.<table>.rejected.csv``  rejected rows of one input file, with ``reasons``
``build_report.md`` / ``.json``       rows read per file, rejected rows by table/column/check,
                                      plausibility flags, unmapped exercise names, athletes and
                                      weeks covered, and the parameters used
====================================  =============================================================

The build is deterministic and idempotent: files are read in sorted order, every table is sorted
on stable keys, paths in outputs are relative to the raw folder, no build time is written, and
outputs of an earlier build that the current one does not produce (stale quarantine files) are
removed. Two builds of the same input give byte-identical files.

Reading: every file goes through :func:`soleus_analysis.read_folder` (the readers of app exports
and canonical tables). A first-level folder that documents itself with a README or SOURCE file is
a data set (``data/raw/pmdata``) and is read on its own, so that its sub-folders name the athletes.
A file named after a canonical table (``<table>.csv``, ``<table>.parquet``,
``<anything>.<table>.csv``) that the readers did not read is read as a canonical table; no file is
read twice. ``truth.csv``/``truth.json`` (the ground truth that ``soleus simulate`` writes next to a
simulated cohort) are listed but never read as data.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.build.parts import table_of
from soleus_analysis.build.report import (
    FILE_COLUMNS,
    BuildReport,
    build_parameters,
    write_build_report,
)
from soleus_analysis.catalog import ExerciseCatalog, resolve_catalog, unmapped
from soleus_analysis.dose import dose_provenance
from soleus_analysis.errors import InputError
from soleus_analysis.loads import ewma_lambda
from soleus_analysis.panel import _build_panel
from soleus_analysis.validation import ValidationReport, validate

__all__ = ["BuildReport", "build"]

INPUT_TABLES = ("athletes", "strength_sets", "runs", "sessions", "wellness")
_SKIP_SUFFIXES = {".md", ".txt", ".rst", ".pdf", ".json"}
#: Ground truth that ``soleus simulate`` writes next to a simulated cohort's exports: not data.
_TRUTH_NOTE = "skipped: the simulation's ground truth, not training data"
_SORT_KEYS = {
    "athletes": ["athlete_id"],
    "strength_sets": ["athlete_id", "session_start", "exercise_raw", "set_index"],
    "runs": ["athlete_id", "start"],
    "sessions": ["athlete_id", "start", "activity"],
    "wellness": ["athlete_id", "date"],
}


# ---------------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Read:
    tables: dict[str, pd.DataFrame]
    files: pd.DataFrame
    reader: str


def _input_files(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in _SKIP_SUFFIXES or path.name.upper().startswith(
            ("README", "LICENSE")
        ):
            continue
        out.append(path)
    return out


def _read_canonical_file(path: Path, table: str, rel: str) -> tuple[pd.DataFrame, list[str]]:
    from soleus_analysis.cli import (
        _load_canonical,
    )  # the CLI's loader; imported late (cli imports us)

    frame, notes = _load_canonical(path, table)
    frame = frame.copy()
    frame["source_file"] = rel
    if "source" not in frame.columns:
        frame["source"] = "canonical"
    if "source_row" not in frame.columns:
        frame["source_row"] = np.arange(2, 2 + len(frame))
    return frame, notes


def _dataset_folders(root: Path) -> list[Path]:
    """First-level folders that document themselves (README*/SOURCE*): one data set each."""
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        names = [p.name.lower() for p in folder.iterdir() if p.is_file()]
        if any(n.startswith(("readme", "source")) for n in names):
            out.append(folder)
    return out


def _has_other_inputs(root: Path, files: list[Path], datasets: list[Path]) -> bool:
    return any(not any(d in f.parents for d in datasets) for f in files)


def _inside(path, folders: tuple[str, ...]) -> bool:
    return isinstance(path, str) and any(path.startswith(f + "/") for f in folders)


def _is_truth(path) -> bool:
    # The simulator's known answer (truth.json, truth_weeks.csv, truth_injected.csv): never data.
    return isinstance(path, str) and Path(path).name.lower().startswith("truth")


def _no_error(value) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return not isinstance(value, str) and bool(pd.isna(value))


def _app_reader():
    """``soleus_analysis.read_folder`` when the readers are installed, else None."""
    try:
        from soleus_analysis import readers as _readers
    except ImportError:
        return None
    return getattr(_readers, "read_folder", None)


def _read_folder(root: Path, tz: str, read_folder=None, *, progress: bool = False) -> _Read:
    """Read a raw folder.

    With the app readers (``read_folder``), every file goes through them first; a file named after a
    canonical table that they did not read is then read as a canonical table (never both, so no
    row is read twice). A first-level folder with its own README or SOURCE file is a data set
    (``data/raw/pmdata/p01/...``): it is read on its own, so that its sub-folders name the athletes.
    Without the app readers, canonical-table files are read and every other file is listed as not
    read.
    """
    files = _input_files(root)
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in INPUT_TABLES}
    rows: dict[str, dict] = {}
    read_by_apps: set[str] = set()
    if read_folder is not None:
        reader = "sol.read_folder (app exports), canonical tables for files it did not read"
        datasets = _dataset_folders(root)
        calls = [(folder, ()) for folder in datasets]
        if not datasets or _has_other_inputs(root, files, datasets):
            calls.append((root, tuple(d.relative_to(root).as_posix() for d in datasets)))
        if datasets:
            names = ", ".join(d.name for d in datasets)
            reader += f"; dataset folders read one by one (athlete = their sub-folder): {names}"
        for folder_root, exclude in calls:
            options = {"progress": True} if progress else {}
            folder = read_folder(folder_root, tz=tz, **options)
            listing = getattr(folder, "files", None)
            if listing is not None and len(listing):
                for rec in listing.to_dict(orient="records"):
                    rel = _relative(rec.get("path"), root)
                    if _inside(rel, exclude):
                        continue
                    row = {c: rec.get(c) for c in FILE_COLUMNS} | {"path": rel}
                    if _no_error(row.get("error")):
                        row["error"] = None
                    if _is_truth(rel):
                        row |= {
                            "source": "simulation truth",
                            "tables": None,
                            "rows": 0,
                            "notes": _TRUTH_NOTE,
                        }
                    rows[rel] = row
                    if _no_error(row.get("error")):
                        read_by_apps.add(rel)
            for table, frame in getattr(folder, "tables", {}).items():
                if table in parts and frame is not None and len(frame):
                    frame = frame.copy()
                    if "source_file" in frame.columns:
                        # Each distinct file once: resolving paths row by row cost seconds.
                        names = frame["source_file"].dropna().unique()
                        relative = {f: _relative(f, root) for f in names}
                        frame["source_file"] = frame["source_file"].map(relative)
                        skip = {r for r in relative.values() if _is_truth(r) or _inside(r, exclude)}
                        drop = frame["source_file"].isin(skip)
                        frame = frame[~drop.to_numpy(dtype=bool)]
                        # A file whose rows are in a table was read (e.g. athletes.csv, not listed).
                        read_by_apps.update(str(f) for f in frame["source_file"].dropna().unique())
                    parts[table].append(frame)
    else:
        reader = "canonical tables only (sol.read_folder not available)"
    for path in files:
        rel = path.relative_to(root).as_posix()
        # <table>.csv / <table>.parquet, or a part of a partitioned table (<table>/part-0.parquet)
        table = table_of(rel)
        if rel in read_by_apps:
            continue
        if _is_truth(rel):
            rows[rel] = {
                "path": rel,
                "source": "simulation truth",
                "tables": None,
                "rows": 0,
                "athlete_id": None,
                "error": None,
                "notes": _TRUTH_NOTE,
            }
            continue
        if table is None:
            rows.setdefault(
                rel,
                {
                    "path": rel,
                    "source": None,
                    "tables": None,
                    "rows": 0,
                    "athlete_id": None,
                    "notes": None,
                    "error": "no reader recognises this file: it is neither an app export "
                    "nor a canonical table (<table>.csv or <table>.parquet)",
                },
            )
            continue
        try:
            frame, notes = _read_canonical_file(path, table, rel)
        except InputError as exc:
            rows[rel] = {
                "path": rel,
                "source": "canonical",
                "tables": table,
                "rows": 0,
                "athlete_id": None,
                "error": str(exc),
                "notes": None,
            }
            continue
        parts[table].append(frame)
        rows[rel] = {
            "path": rel,
            "source": "canonical",
            "tables": table,
            "rows": len(frame),
            "athlete_id": None,
            "error": None,
            "notes": "; ".join(notes) or None,
        }
    tables = {t: pd.concat(p, ignore_index=True) for t, p in parts.items() if p}
    listing = pd.DataFrame(list(rows.values()), columns=FILE_COLUMNS)
    listing = listing.sort_values("path", kind="stable", ignore_index=True)
    return _Read(tables=tables, files=listing, reader=reader)


def _relative(path, root: Path) -> str:
    if path is None or (isinstance(path, float) and np.isnan(path)):
        return path
    p = Path(str(path))
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return p.as_posix()


# ---------------------------------------------------------------------------------------------
# building
# ---------------------------------------------------------------------------------------------
def _safe_name(source_file) -> str:
    if (
        source_file is None
        or (isinstance(source_file, float) and np.isnan(source_file))
        or source_file is pd.NA
    ):
        return "unknown-file"
    text = str(source_file).replace("\\", "/").replace("/", "__")
    return re.sub(r"[^\w.\-]+", "_", text)


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    frame = df.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    frame.to_parquet(path, index=False, engine="pyarrow", compression="snappy")


def _sorted(df: pd.DataFrame, table: str) -> pd.DataFrame:
    keys = [k for k in _SORT_KEYS[table] if k in df.columns]
    extra = [k for k in ("source_file", "source_row") if k in df.columns]
    return df.sort_values(keys + extra, kind="stable", ignore_index=True)


def _quarantine(report: ValidationReport, table: str, qdir: Path) -> list[dict]:
    if report.ok:
        return []
    rejected = report.rejected.reset_index()
    sources = (
        rejected["source_file"]
        if "source_file" in rejected.columns
        else pd.Series(None, index=rejected.index)
    )
    written = []
    keys = sources.astype(object).where(sources.notna(), "unknown-file")
    for source in sorted(keys.unique(), key=str):
        part = rejected[keys == source]
        name = f"{_safe_name(source)}.{table}.rejected.csv"
        qdir.mkdir(parents=True, exist_ok=True)
        part.to_csv(qdir / name, index=False, lineterminator="\n")
        written.append(
            {
                "file": f"quarantine/{name}",
                "table": table,
                "source_file": None if source == "unknown-file" else str(source),
                "rows": len(part),
            }
        )
    return written


def _remove_output(path: Path) -> None:
    """Remove an earlier output: a file, or a folder of parts written by the dask engine."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def build(
    raw_dir: str | PathLike[str] = "data/raw",
    out_dir: str | PathLike[str] = "data/processed",
    *,
    tz: str = "UTC",
    lags: Sequence[int] = (1, 2, 3, 4),
    ewma: str = "williams",
    catalog: ExerciseCatalog | str | PathLike[str] | None = None,
    min_coverage: float = 5 / 7,
    max_gap_days: int | None = 14,
    progress: bool = False,
    engine: str = "pandas",
    scheduler: str | None = None,
    partitions: int | None = None,
) -> BuildReport:
    """Build the processed data set from a folder of raw exports.

    Parameters
    ----------
    raw_dir : path, default "data/raw"
        Folder read recursively (never modified).
    out_dir : path, default "data/processed"
        Folder written (created if needed); see the module docstring for its files.
    tz : str, default "UTC"
        Zone of timestamps and rows that state none.
    lags : sequence of int, default (1, 2, 3, 4)
        Weeks by which the panel's exposures are lagged.
    ewma : {"williams", "exponential", "simple"}, default "williams"
        EWMA convention of acute and chronic load.
    catalog : ExerciseCatalog, path or None
        Exercise catalog; the shipped one by default.
    min_coverage, max_gap_days
        Load coverage rules (:func:`soleus_analysis.daily_load`, :func:`build_panel`).
    progress : bool, default False
        Show a progress bar of the files read on stderr (``soleus build`` turns it on).
    engine : {"pandas", "dask"}, default "pandas"
        ``"dask"`` runs the same build on Dask over a folder of canonical tables in parts
        (:mod:`soleus_analysis.build.dask_engine`, :mod:`soleus_analysis.build.parts`): same
        outputs, the large tables written as folders of Parquet parts.
    scheduler : str, optional
        Dask engine: address of a running distributed scheduler (default: a local cluster).
    partitions : int, optional
        Dask engine: partitions by athlete (default: one per 500,000 rows).

    Returns
    -------
    BuildReport
        Also written as ``build_report.md`` and ``build_report.json``.

    Raises
    ------
    InputError
        When ``raw_dir`` does not exist or holds no readable table.
    """
    if engine == "dask":
        from soleus_analysis.build.dask_engine import build_dask

        return build_dask(
            raw_dir,
            out_dir,
            tz=tz,
            lags=lags,
            ewma=ewma,
            catalog=catalog,
            min_coverage=min_coverage,
            max_gap_days=max_gap_days,
            scheduler=scheduler,
            partitions=partitions,
        )
    if engine != "pandas":
        raise ValueError(f"unknown engine {engine!r}; choose 'pandas' or 'dask'")
    if scheduler is not None or partitions is not None:
        raise ValueError("scheduler and partitions apply to engine='dask' only")
    root = Path(raw_dir)
    if not root.is_dir():
        raise InputError(
            "raw data folder not found", path=root, fix="give the folder that holds your exports"
        )
    out = Path(out_dir)
    if out.resolve() == root.resolve() or root.resolve() in out.resolve().parents:
        raise InputError(
            "the output folder is inside the raw data folder",
            path=out,
            fix="write processed data elsewhere (e.g. data/processed); data/raw is read-only",
        )
    ewma_lambda(7, ewma)  # an unknown convention fails before anything is read or written
    cat = resolve_catalog(catalog)
    read = _read_folder(root, tz, _app_reader(), progress=progress)
    if not read.tables:
        raise InputError(
            "no table could be read from the folder",
            path=root,
            fix="put exports or canonical tables (<table>.csv / <table>.parquet) in it",
        )
    out.mkdir(parents=True, exist_ok=True)
    qdir = out / "quarantine"
    if qdir.exists():
        for stale in qdir.glob("*.rejected.csv"):
            stale.unlink()
    managed = [f"{t}.parquet" for t in INPUT_TABLES] + [
        "athlete_week.parquet",
        "dose_per_set.parquet",
        "provenance.parquet",
        "daily_loads.parquet",
        "build_report.md",
        "build_report.json",
    ]
    for name in managed:
        _remove_output(out / name)

    valid: dict[str, pd.DataFrame] = {}
    table_rows, rejected_rows, flag_rows, quarantine_rows, notes = [], [], [], [], []
    outputs: list[str] = []
    for table in INPUT_TABLES:
        frame = read.tables.get(table)
        if frame is None:
            continue
        report = validate(frame, table, tz=tz)
        good = _sorted(report.valid.reset_index(drop=True), table)
        valid[table] = good
        table_rows.append(
            {
                "table": table,
                "rows_read": report.n_rows,
                "rows_valid": len(report.valid),
                "rows_rejected": len(report.rejected),
            }
        )
        summary = report.summary()
        for rec in summary.to_dict(orient="records"):
            rejected_rows.append({"table": table, **rec})
        if not report.flags.empty:
            counts = (
                report.flags.groupby(["athlete_id", "check"], sort=True)
                .agg(rows=("row", "size"), message=("message", "first"))
                .reset_index()
            )
            for rec in counts.to_dict(orient="records"):
                flag_rows.append({"table": table, **rec})
        quarantine_rows += _quarantine(report, table, qdir)
        notes += [f"{table}: {note}" for note in report.notes]
        _write_parquet(good, out / f"{table}.parquet")
        outputs.append(f"{table}.parquet")

    parts = _build_panel(
        valid.get("strength_sets"),
        valid.get("runs"),
        valid.get("wellness"),
        valid.get("sessions"),
        valid.get("athletes"),
        catalog=cat,
        lags=tuple(lags),
        window=None,
        ewma=ewma,
        tz=tz,
        min_coverage=min_coverage,
        max_gap_days=max_gap_days,
        exposures=None,
        lag_columns=None,
        easy="auto",
    )
    panel = parts.panel
    _write_parquet(panel, out / "athlete_week.parquet")
    outputs.append("athlete_week.parquet")
    if parts.dose is not None:
        notes += parts.dose.attrs.get("notes", [])
        _write_parquet(parts.dose.reset_index(), out / "dose_per_set.parquet")
        _write_parquet(dose_provenance(parts.dose), out / "provenance.parquet")
        outputs += ["dose_per_set.parquet", "provenance.parquet"]
    if parts.loads is not None:
        _write_parquet(parts.loads, out / "daily_loads.parquet")
        outputs.append("daily_loads.parquet")
    outputs += [q["file"] for q in quarantine_rows]

    names = (
        unmapped(valid["strength_sets"], cat)
        if "strength_sets" in valid
        else pd.DataFrame(columns=["name", "sets", "athletes", "looks_like_calf"])
    )
    weeks = (
        panel.groupby("athlete_id", sort=True)["week_start"]
        .agg(first_week="min", last_week="max", weeks="size")
        .reset_index()
    )
    weeks["first_week"] = weeks["first_week"].dt.strftime("%Y-%m-%d")
    weeks["last_week"] = weeks["last_week"].dt.strftime("%Y-%m-%d")
    parameters = build_parameters(
        tz=tz, ewma=ewma, lags=lags, min_coverage=min_coverage, max_gap_days=max_gap_days,
        catalog=None if catalog is None else cat, reader=read.reader,
    )
    return write_build_report(
        out, raw_dir=root, parameters=parameters, files=read.files, table_rows=table_rows,
        rejected_rows=rejected_rows, quarantine_rows=quarantine_rows, flag_rows=flag_rows,
        unmapped=names, weeks=weeks, outputs=outputs, notes=notes,
    )
