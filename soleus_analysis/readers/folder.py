"""Read a folder of exports (``data/raw``) into the canonical tables, one athlete per sub-folder.

Rules
-----
- A first-level sub-folder of the root names the athlete: ``data/raw/<athlete>/...``. A file
  directly in the root is the athlete named by its stem.
- An optional ``athletes.csv`` at the root is the canonical ``athletes`` table; its ``timezone``,
  ``weight_unit`` and (an extra column) ``distance_unit`` (``km``, ``mi`` or ``m``) are used for
  that athlete's files that do not state their units (the ``tz`` argument is the zone of athletes
  without one).
- A spreadsheet that no reader recognises is read with a column mapping
  (:mod:`soleus_analysis.readers.mapping`): ``mappings=``, or the root's ``mapping.toml``.
- A file that cannot be read is listed in ``files`` with its error and the others are still read.
- Files that hold no training data are skipped (:func:`not_data`, the one rule set of the package:
  ``soleus build`` and its Dask engine use it too): hidden files and folders, documentation
  (``README*``, ``SOURCE*``, ``LICENSE*``, ``*.md``, ``*.txt``, ``*.rst``, ``*.pdf``),
  ``truth*`` (a simulated cohort's known answer) and the root's ``mapping.toml`` (settings).
  ``athletes.csv`` is read as the athletes table, not as an export. Activity files that a Strava
  ``activities.csv`` names in ``Filename`` are read through it (its runs get their stream
  metrics) and not a second time on their own.
- Files are read in sorted path order, so the result is deterministic. Many files (at least
  ``PARALLEL_MIN_FILES``) are read by a pool of processes, one file per task; the results are
  still put together in sorted path order, so the tables do not depend on the pool.
"""

from __future__ import annotations

import csv
import gc
import multiprocessing
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from os import PathLike
from pathlib import Path

import pandas as pd

from soleus_analysis.errors import InputError, UnknownSourceError
from soleus_analysis.readers.api import read_all
from soleus_analysis.readers.log_layout import guess_running_log
from soleus_analysis.readers.mapping import MAPPING_FILE, ColumnMapping, read_mapping_file
from soleus_analysis.textfile import read_text_table

__all__ = [
    "PARALLEL_MIN_FILES",
    "FolderRead",
    "athlete_setting",
    "not_data",
    "progress_bar",
    "read_athletes",
    "read_folder",
]

#: Fewest files to read for ``read_folder`` to use a process pool (forked workers; results are
#: pickled back). On the demo cohort (154 exports naming 740 activity files) two processes spend
#: 6.2 CPU s in all (about 3.1 s of wall time on 2 free cores) where one process spends 5.9 s
#: (benchmarks/bench_readers.py).
PARALLEL_MIN_FILES = 64

_DOC_PREFIXES = ("readme", "source", "license", "licence")
_DOC_SUFFIXES = (".md", ".txt", ".rst", ".pdf")


@dataclass(frozen=True)
class FolderRead:
    """The canonical tables of a folder of exports.

    Attributes
    ----------
    tables : dict of str to DataFrame
        Per canonical table, the rows of every file that feeds it, concatenated in file order
        (not yet validated). ``athletes`` is there when the root has ``athletes.csv``.
    files : DataFrame
        One row per file considered: ``path``, ``source``, ``tables`` (comma-separated),
        ``rows`` (rows read, all tables), ``athlete_id``, ``error`` (the message, or ``""``),
        ``notes`` (separated by ``" | "``).
    """

    tables: dict[str, pd.DataFrame]
    files: pd.DataFrame


def not_data(rel: str | PathLike[str]) -> str | None:
    """Why a file of a raw folder holds no training data, or None when it may.

    The one rule set that :func:`read_folder`, ``soleus build`` and its Dask engine share.

    Parameters
    ----------
    rel : str or path
        The file's path relative to the raw folder.

    Returns
    -------
    str or None
        ``"hidden"`` (the file or a folder on its path starts with a dot), ``"documentation"``
        (``README*``, ``SOURCE*``, ``LICENSE*``/``LICENCE*``, ``*.md``, ``*.txt``, ``*.rst``,
        ``*.pdf``), ``"simulation truth"`` (``truth*``: the known answer that ``soleus simulate``
        writes next to a simulated cohort), ``"settings"`` (the root's ``mapping.toml``), or
        None.

    Examples
    --------
    >>> [not_data(p) for p in ["ada/strong.csv", "README.md", ".git/x", "truth_weeks.csv"]]
    [None, 'documentation', 'hidden', 'simulation truth']
    >>> not_data("mapping.toml"), not_data("ada/mapping.toml")
    ('settings', None)
    """
    parts = Path(rel).parts
    name = parts[-1].lower() if parts else ""
    if any(part.startswith(".") for part in parts):
        return "hidden"
    if name.startswith(_DOC_PREFIXES) or name.endswith(_DOC_SUFFIXES):
        return "documentation"
    if name.startswith("truth"):
        return "simulation truth"
    if len(parts) == 1 and name == MAPPING_FILE:
        return "settings"
    return None


def read_athletes(
    root: Path, athletes: pd.DataFrame | str | PathLike[str] | None
) -> pd.DataFrame | None:
    """The athletes table: ``athletes`` (a frame or a file), else ``root/athletes.csv`` or None."""
    if athletes is None:
        path = root / "athletes.csv"
        if not path.exists():
            return None
        athletes = path
    if isinstance(athletes, pd.DataFrame):
        return athletes.copy()
    text = read_text_table(athletes)
    frame = text.frame.reset_index()
    frame["source_file"] = str(athletes)
    frame["source"] = "athletes"
    return frame


def athlete_setting(athletes: pd.DataFrame | None, athlete: str, column: str) -> str | None:
    """``column`` of ``athlete``'s row in the athletes table, stripped; None if absent or blank."""
    if athletes is None or column not in athletes or "athlete_id" not in athletes:
        return None
    match = athletes.loc[athletes["athlete_id"].astype("str") == athlete, column]
    if match.empty:
        return None
    value = match.iloc[0]
    return None if pd.isna(value) or not str(value).strip() else str(value).strip()


def _strava_members(files: list[Path]) -> dict[Path, Path]:
    """Activity files named by a Strava activities.csv -> that CSV."""
    members: dict[Path, Path] = {}
    for path in files:
        if path.name.lower() != "activities.csv":
            continue
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                reader = csv.DictReader(fh)
                if not reader.fieldnames or "Filename" not in reader.fieldnames:
                    continue
                for row in reader:
                    name = (row.get("Filename") or "").strip()
                    if name:
                        members[(path.parent / name).resolve()] = path
        except (OSError, UnicodeDecodeError, csv.Error):
            continue
    return members


def _merge_injury(frames: list[pd.DataFrame]) -> list[pd.DataFrame]:
    """Put injury reports (PMSys injury.csv) on the wellness row of the same athlete and day.

    The last injury report of a day is the day's injury; an injury day without a wellness row
    stays a row of its own. Both files still count their rows in ``files``.
    """
    injury = [f for f in frames if "injury" in f and "fatigue" not in f]
    other = [f for f in frames if not ("injury" in f and "fatigue" not in f)]
    if not injury or not other:
        return frames
    inj = pd.concat(injury, ignore_index=True, sort=False)
    inj = inj[inj["date"].map(lambda v: isinstance(v, pd.Timestamp))]
    inj = inj.drop_duplicates(["athlete_id", "date"], keep="last")
    rest = pd.concat(injury, ignore_index=True, sort=False)
    rest = rest[~rest["date"].map(lambda v: isinstance(v, pd.Timestamp))]
    well = pd.concat(other, ignore_index=True, sort=False)
    key = ["athlete_id", "date"]
    if "injury" in well:
        well = well.drop(columns="injury")
    dated = well["date"].map(lambda v: isinstance(v, pd.Timestamp))
    merged = well[dated].merge(inj[[*key, "injury"]], on=key, how="left")
    left = inj.merge(well.loc[dated, key].drop_duplicates(), on=key, how="left", indicator=True)
    alone = inj[(left["_merge"] == "left_only").to_numpy()]
    return [merged, well[~dated], alone, rest]


def _mapped(path: Path, rel: str, mappings, exc: UnknownSourceError | None, **options):
    """Read a file with the mapping that names it, or that fits a file no reader recognised."""
    named = [m for m in mappings if m.names(rel)]
    if named:
        m = named[0]
        return read_all(path, source="csv", columns=m.columns, units=m.units, table=m.table,
                        **options)
    if exc is None:
        return None
    # Only a text table has a header to map (detect names it in its message); for anything else
    # (a damaged FIT file, XML that is not GPX) the readers' reasons are the useful ones.
    if "(header: " not in exc.problem:
        raise exc
    table = read_text_table(path)
    for m in mappings:
        if m.files is None and m.fits(table.header):
            return read_all(path, source="csv", columns=m.columns, units=m.units, table=m.table,
                            **options)
    guessed = guess_running_log(table.header, table.frame.head(50).to_numpy().tolist())
    if guessed is not None:
        res = read_all(path, source="csv", columns=guessed.columns, units=guessed.units,
                       table=guessed.table, **options)
        shown = ", ".join(f"{k} -> {v}" for k, v in guessed.columns.items())
        unit_text = ", ".join(f"{k} in {v}" for k, v in guessed.units.items())
        note = (f"read as a running log from its header ({shown}; {unit_text}); to confirm or "
                f"change this, map its columns in the study folder's {MAPPING_FILE}")
        return replace(res, notes=(*res.notes, note))
    # The readers' message lists every format tried: the folder's listing needs less.
    problem = exc.problem.split(". Tried ")[0]
    raise UnknownSourceError(
        problem,
        path=path,
        fix="if it is a spreadsheet, map its columns to canonical ones in the study folder's "
        f"{MAPPING_FILE} or with --columns (`soleus schema` lists them; `soleus validate FILE` "
        "shows every format tried)",
    ) from None


def _read_file(
    path: Path, athlete: str | None, zone: str, unit, distance, rel: str = "", mappings=()
) -> tuple[dict, dict]:
    """Read one file: (the record's fields from the read, its non-empty tables)."""
    options = {"athlete_id": athlete, "tz": zone, "weight_unit": unit, "distance_unit": distance}
    try:
        res = _mapped(path, rel, mappings, None, **options) if mappings else None
        if res is None:
            try:
                res = read_all(path, **options)
            except UnknownSourceError as unknown:
                res = _mapped(path, rel, mappings, unknown, **options)
    except InputError as exc:
        return {"error": str(exc)}, {}
    except Exception as exc:
        return {
            "error": f"unexpected {type(exc).__name__} while reading ({exc}); please report it"
        }, {}
    fields = {
        "source": res.source,
        "tables": ",".join(res.tables),
        "rows": sum(len(df) for df in res.tables.values()),
        "notes": " | ".join(res.notes),
    }
    if not athlete:
        first = next((df for df in res.tables.values() if "athlete_id" in df and len(df)), None)
        fields["athlete_id"] = str(first["athlete_id"].iloc[0]) if first is not None else ""
    return fields, {name: df for name, df in res.tables.items() if len(df)}


def _read_file_task(task: tuple) -> tuple[dict, dict]:
    return _read_file(*task)


def _workers(workers: int | None, n_tasks: int) -> int:
    if workers is not None:
        if int(workers) < 1:
            raise ValueError(f"workers must be at least 1 (or None for automatic), got {workers!r}")
        return min(int(workers), max(n_tasks, 1))
    if n_tasks < PARALLEL_MIN_FILES:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8, n_tasks // (PARALLEL_MIN_FILES // 2)))


def progress_bar(progress: bool, **kwargs):
    """A text progress bar on stderr, shown only when asked for and stderr is a terminal.

    A log file or a pipe gets no bar (tqdm's ``disable=None``); the bar is removed when done.
    """
    from tqdm import tqdm  # text bar on stderr; tqdm.auto warns in a kernel without ipywidgets

    return tqdm(disable=None if progress else True, leave=False, **kwargs)


def _results(tasks: list[tuple], workers: int, progress: bool, desc: str):
    """``_read_file`` of every task, in task order, with an optional progress bar on stderr."""
    bar = progress_bar(progress, total=len(tasks), desc=desc, unit="file")
    try:
        if workers == 1:
            for task in tasks:
                yield _read_file(*task)
                bar.update()
            return
        # Workers are forked: a fresh interpreter would spend seconds importing pandas and the
        # readers. The parent's idle helper threads (BLAS, Arrow) re-initialise after a fork;
        # Python >= 3.12 warns about forking with threads, which is not for the user to act on.
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        chunk = max(1, len(tasks) // (workers * 16))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                for result in pool.map(_read_file_task, tasks, chunksize=chunk):
                    yield result
                    bar.update()
    finally:
        bar.close()


@contextmanager
def _existing_objects_frozen():
    """Leave the objects that exist before a read out of the garbage collector's full scans.

    Reading makes many short-lived objects, and each full collection would walk every object of
    the imported libraries again (about a tenth of the CPU time of reading the demo cohort).
    Objects made during the read are collected as usual. A caller that froze objects itself
    (``gc.freeze``) is left alone.
    """
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def read_folder(
    root: str | PathLike[str],
    *,
    tz: str = "UTC",
    athletes: pd.DataFrame | str | PathLike[str] | None = None,
    progress: bool = False,
    workers: int | None = None,
    skip: Callable[[Path], bool] | None = None,
    mappings: tuple[ColumnMapping, ...] | None = None,
) -> FolderRead:
    """Read every export under ``root`` (see the module docstring for the rules).

    Parameters
    ----------
    root : str or PathLike
        Folder such as ``data/raw``.
    tz : str, default "UTC"
        Zone of athletes whose zone ``athletes.csv`` does not give.
    athletes : DataFrame or path, optional
        The athletes table; default ``root/athletes.csv`` when it exists.
    progress : bool, default False
        Show a progress bar of the files read on stderr when it is a terminal (off by default,
        so that notebooks and logs stay clean; ``soleus build`` turns it on).
    workers : int, optional
        Processes reading files at the same time. Default: one when there are fewer than
        ``PARALLEL_MIN_FILES`` files, else up to the cores available (at most 8). The result is
        the same whatever the number.
    skip : callable, optional
        Files (paths relative to ``root``) for which ``skip(rel)`` is true are neither read nor
        listed, besides those of :func:`not_data` (``soleus build`` reads canonical tables
        itself).
    mappings : tuple of ColumnMapping, optional
        Column mappings of spreadsheets no reader recognises
        (:mod:`soleus_analysis.readers.mapping`); default those of ``root/mapping.toml``.

    Returns
    -------
    FolderRead
    """
    base = Path(root)
    if not base.is_dir():
        raise InputError("not a folder", path=base, fix="pass the folder that holds the exports")
    table = read_athletes(base, athletes)
    if mappings is None:
        mappings = read_mapping_file(base / MAPPING_FILE)
    paths = []
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        rel = path.relative_to(base)
        if not_data(rel) or rel.name.lower() == "athletes.csv" or (skip and skip(rel)):
            continue
        paths.append(path)
    members = _strava_members(paths)
    parts: dict[str, list[pd.DataFrame]] = {}
    if table is not None:
        parts["athletes"] = [table]
    records, tasks, slots = [], [], []
    for path in paths:
        rel = path.relative_to(base)
        athlete = rel.parts[0] if len(rel.parts) > 1 else None
        record = {
            "path": str(path),
            "source": "",
            "tables": "",
            "rows": 0,
            "athlete_id": athlete or "",
            "error": "",
            "notes": "",
        }
        records.append(record)
        if path.resolve() in members:
            record["notes"] = f"read through {members[path.resolve()].name}"
            continue
        zone = (athlete_setting(table, athlete, "timezone") if athlete else None) or tz
        unit = athlete_setting(table, athlete, "weight_unit") if athlete else None
        distance = athlete_setting(table, athlete, "distance_unit") if athlete else None
        tasks.append((path, athlete, zone, unit, distance, rel.as_posix(), tuple(mappings)))
        slots.append(record)
    n_workers = _workers(workers, len(tasks))
    desc = f"reading {base.name or base}"
    with _existing_objects_frozen():
        for record, (fields, read) in zip(
            slots, _results(tasks, n_workers, progress, desc), strict=True
        ):
            record.update(fields)
            for name, df in read.items():
                parts.setdefault(name, []).append(df)
    if "wellness" in parts:
        parts["wellness"] = _merge_injury(parts["wellness"])
    tables = {}
    for name, frames in parts.items():
        out = (
            pd.concat(frames, ignore_index=True, sort=False)
            if len(frames) > 1
            else frames[0].reset_index(drop=True)
        )
        out.attrs = {"table": name}
        tables[name] = out
    files = pd.DataFrame.from_records(
        records, columns=["path", "source", "tables", "rows", "athlete_id", "error", "notes"]
    )
    return FolderRead(tables=tables, files=files)
