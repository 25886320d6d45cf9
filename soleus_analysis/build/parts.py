"""Canonical tables as folders of part files: the layout that ``soleus build --engine dask`` reads.

Layout
------
A raw folder for the Dask engine holds canonical tables only (the columns of ``soleus schema``):

====================================  =============================================================
path                                  content
====================================  =============================================================
``<table>/<any name>.parquet``        one part of a large table (``strength_sets``, ``runs``,
``<table>/<any name>.csv``            ``sessions``, ``wellness``); sub-folders are allowed
                                      (``strength_sets/year=2024/part-0.parquet``)
``<table>.parquet``, ``<table>.csv``  a whole table in one file (``athletes.csv``), at any depth;
``<anything>.<table>.csv``            also ``club/a2.strength_sets.csv``
====================================  =============================================================

The parts of a table are read in the order in which the pandas engine concatenates them, so that
"the first occurrence" of a duplicate and the ``row`` numbers of the quarantine are the same in both
engines: a root ``athletes.csv`` first, then the CSV files in sorted path order (the pandas engine
reads them through :func:`soleus_analysis.read_folder`), then the Parquet files in sorted path
order. A large Parquet file is split into parts of whole row groups (about ``max_rows`` rows);
a CSV file is one part (split large CSV files, or better convert them to Parquet).

App exports (Strong, Hevy, Strava, FIT, GPX, PMSys, ...) are small per athlete: build them with the
pandas engine (``soleus build`` without ``--engine``), or convert them first:
``sol.write_partitioned(sol.read_folder(raw).tables, outdir)``.

Functions
---------
:func:`write_partitioned` writes canonical tables in this layout; :func:`replicate_tables` copies a
cohort under new athlete ids (to make large test data from the simulator); :func:`table_parts`
lists the parts of a folder and :func:`read_part` reads one, exactly as the pandas engine reads
that file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.errors import InputError

__all__ = [
    "LARGE_TABLES",
    "Part",
    "read_part",
    "replicate_tables",
    "table_of",
    "table_parts",
    "with_provenance",
    "write_partitioned",
]

#: Canonical tables a raw folder can hold, in build order.
INPUT_TABLES = ("athletes", "strength_sets", "runs", "sessions", "wellness")
#: Tables that are partitioned by :func:`write_partitioned` (``athletes`` is one file).
LARGE_TABLES = ("strength_sets", "runs", "sessions", "wellness")
_CANONICAL_FILE = re.compile(
    r"^(?:.+\.)?(athletes|strength_sets|runs|sessions|wellness)\.(csv|parquet)$", re.IGNORECASE
)
_FORMATS = {".csv": "csv", ".parquet": "parquet"}
_TIME_COLUMNS = {
    "strength_sets": "session_start",
    "runs": "start",
    "sessions": "start",
    "wellness": "date",
}


def table_of(rel: str | PathLike[str]) -> str | None:
    """The canonical table a file of a raw folder holds, or None.

    Parameters
    ----------
    rel : str or path
        The file's path relative to the raw folder.

    Examples
    --------
    >>> table_of("strength_sets/part-00001.parquet"), table_of("club/a2.runs.csv")
    ('strength_sets', 'runs')
    >>> table_of("ada/strong.csv") is None
    True
    """
    path = Path(rel)
    match = _CANONICAL_FILE.match(path.name)
    if match is not None:
        return match.group(1).lower()
    if len(path.parts) > 1 and path.suffix.lower() in _FORMATS:
        folder = path.parts[0].lower()
        if folder in INPUT_TABLES:
            return folder
    return None


@dataclass(frozen=True)
class Part:
    """One part of a canonical table: a file, or some row groups of a Parquet file.

    Attributes
    ----------
    table : str
    path : Path
        The file.
    rel : str
        Its path relative to the raw folder (``source_file`` of its rows).
    format : {"parquet", "csv"}
    row_groups : tuple of int or None
        Row groups of a Parquet file in this part; None for the whole file.
    first_row : int
        Position of the part's first row in its file (0-based).
    rows : int or None
        Rows in the part when known without reading it (Parquet); None for CSV.
    """

    table: str
    path: Path
    rel: str
    format: str
    row_groups: tuple[int, ...] | None = None
    first_row: int = 0
    rows: int | None = None


def _skipped_by_pipeline(rel: Path) -> bool:
    from soleus_analysis.build.pandas_engine import _SKIP_SUFFIXES

    name = rel.name.upper()
    return rel.suffix.lower() in _SKIP_SUFFIXES or name.startswith(("README", "LICENSE"))


def _read_by_folder_reader(rel: Path) -> bool:
    """Whether :func:`soleus_analysis.read_folder` reads this canonical CSV (it comes first)."""
    from soleus_analysis.readers.folder import _skipped

    return rel.suffix.lower() == ".csv" and not _skipped(rel)


def _parquet_parts(table: str, path: Path, rel: str, max_rows: int) -> list[Part]:
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    sizes = [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]
    if sum(sizes) <= max_rows or len(sizes) <= 1:
        return [Part(table, path, rel, "parquet", None, 0, int(meta.num_rows))]
    parts, group, rows, first = [], [], 0, 0
    for i, n in enumerate(sizes):
        if group and rows + n > max_rows:
            parts.append(Part(table, path, rel, "parquet", tuple(group), first, rows))
            first += rows
            group, rows = [], 0
        group.append(i)
        rows += n
    parts.append(Part(table, path, rel, "parquet", tuple(group), first, rows))
    return parts


def table_parts(
    root: str | PathLike[str], *, max_rows: int = 1_000_000
) -> tuple[dict[str, list[Part]], list[str]]:
    """The parts of every canonical table under a raw folder, in read order.

    Parameters
    ----------
    root : path
        The raw folder (see the module docstring for its layout).
    max_rows : int, default 1,000,000
        Largest part cut from a Parquet file (whole row groups; a row group larger than this is
        one part).

    Returns
    -------
    parts : dict of str to list of Part
        Per table, its parts in the order the pandas engine concatenates them.
    other : list of str
        Files (relative paths) that hold no canonical table: app exports, which this layout does
        not read. ``truth*`` files of a simulated cohort, README/LICENSE and documentation files
        are left out of both.
    """
    from soleus_analysis.build.pandas_engine import _input_files, _is_truth, _relative

    base = Path(root)
    if not base.is_dir():
        raise InputError("raw data folder not found", path=base, fix="give the folder of tables")
    first: dict[str, list[Part]] = {t: [] for t in INPUT_TABLES}
    later: dict[str, list[Part]] = {t: [] for t in INPUT_TABLES}
    other: list[str] = []
    for path in _input_files(base):
        rel_path = path.relative_to(base)
        rel = rel_path.as_posix()
        if _is_truth(rel) or _skipped_by_pipeline(rel_path):
            continue
        table = table_of(rel)
        if table is None:
            other.append(rel)
            continue
        if rel_path.suffix.lower() == ".parquet":
            later[table] += _parquet_parts(table, path, rel, max_rows)
        elif rel == "athletes.csv":
            first[table].insert(0, Part(table, path, rel, "csv"))
        elif _read_by_folder_reader(rel_path):
            first[table].append(Part(table, path, _relative(str(path), base), "csv"))
        else:
            later[table].append(Part(table, path, rel, "csv"))
    parts = {t: first[t] + later[t] for t in INPUT_TABLES if first[t] or later[t]}
    return parts, other


def read_part(part: Part, *, columns: list[str] | None = None) -> pd.DataFrame:
    """Read one part as the pandas engine reads its file: cells as given, with provenance.

    Parameters
    ----------
    part : Part
    columns : list of str, optional
        Read only these columns of a Parquet part (no provenance columns are added).

    Returns
    -------
    DataFrame
        The columns of the file, then ``source_file`` (the part's ``rel``), ``source`` (when the
        file has none: ``"canonical"``, or ``"athletes"`` for a root ``athletes.csv``) and
        ``source_row`` (the spreadsheet row of a CSV line, header = 1; for Parquet, 2 + the row's
        position in the file).
    """
    if part.format == "csv":
        if part.rel == "athletes.csv":
            from soleus_analysis.textfile import read_text_table

            frame = read_text_table(part.path).frame.reset_index()
            frame["source_file"] = part.rel
            frame["source"] = "athletes"
        else:
            from soleus_analysis.readers import read_all

            frame = read_all(part.path, source="canonical", table=part.table).tables[part.table]
            frame = frame.copy()
            frame["source_file"] = part.rel
        return frame if columns is None else frame[[c for c in columns if c in frame.columns]]
    if part.row_groups is None and columns is None:
        frame = pd.read_parquet(part.path)
    else:
        import pyarrow.parquet as pq

        file = pq.ParquetFile(part.path)
        if columns is not None:
            columns = [c for c in columns if c in file.schema_arrow.names]
        groups = range(file.num_row_groups) if part.row_groups is None else part.row_groups
        frame = file.read_row_groups(list(groups), columns=columns).to_pandas()
    frame = frame.reset_index(drop=True)
    return frame if columns is not None else with_provenance(frame, part)


def with_provenance(frame: pd.DataFrame, part: Part) -> pd.DataFrame:
    """Add ``source_file``, ``source`` and ``source_row`` to the rows of a Parquet part.

    As the pandas engine does for a canonical Parquet file: ``source`` and ``source_row`` only
    when the file has none.
    """
    frame["source_file"] = part.rel
    if "source" not in frame.columns:
        frame["source"] = "canonical"
    if "source_row" not in frame.columns:
        start = 2 + part.first_row
        frame["source_row"] = np.arange(start, start + len(frame))
    return frame


def write_partitioned(
    tables: Mapping[str, pd.DataFrame],
    outdir: str | PathLike[str],
    *,
    partitions: int = 4,
    format: str = "parquet",
    row_group_size: int | None = None,
) -> list[Path]:
    """Write canonical tables as a raw folder for ``soleus build --engine dask``.

    ``athletes`` is written as one file (``athletes.parquet`` or ``athletes.csv``); every other
    table as ``<table>/part-00000.<format>``, ... of consecutive rows (an athlete's rows may span
    two parts, as in logs appended over time).

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Canonical tables by name (e.g. ``sol.simulate_cohort(...).tables()``); empty ones are
        skipped.
    outdir : path
        Created if missing; parts of the same names are overwritten.
    partitions : int, default 4
        Parts per table (fewer when a table has fewer rows).
    format : {"parquet", "csv"}
    row_group_size : int, optional
        Rows per Parquet row group (pyarrow's default otherwise).

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> sets = pd.DataFrame({"athlete_id": ["a", "a", "b"], "reps": [1.0, 2.0, 3.0]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     [p.relative_to(d).as_posix() for p in write_partitioned({"strength_sets": sets}, d,
    ...                                                           partitions=2)]
    ['strength_sets/part-00000.parquet', 'strength_sets/part-00001.parquet']
    """
    if format not in ("parquet", "csv"):
        raise ValueError(f"format must be 'parquet' or 'csv', got {format!r}")
    if not isinstance(partitions, int | np.integer) or partitions < 1:
        raise ValueError(f"partitions must be a positive whole number, got {partitions!r}")
    unknown = [name for name in tables if name not in INPUT_TABLES]
    if unknown:
        raise ValueError(
            f"unknown table(s) {', '.join(unknown)}; choose from {', '.join(INPUT_TABLES)}"
        )
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in tables.items():
        if frame is None or not len(frame):
            continue
        frame = frame.reset_index(drop=True)
        if name == "athletes":
            targets = [(out / f"athletes.{format}", frame)]
        else:
            folder = out / name
            folder.mkdir(exist_ok=True)
            k = min(int(partitions), len(frame))
            bounds = np.arange(k + 1) * len(frame) // k
            targets = [
                (folder / f"part-{i:05d}.{format}", frame.iloc[lo:hi])
                for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=True))
            ]
        for path, piece in targets:
            _write_one(piece, path, format, row_group_size)
            written.append(path)
    return written


def _write_one(frame: pd.DataFrame, path: Path, format: str, row_group_size: int | None) -> None:
    if format == "csv":
        frame.to_csv(path, index=False, lineterminator="\n")
    else:
        frame.to_parquet(path, index=False, row_group_size=row_group_size)


def replicate_tables(
    tables: Mapping[str, pd.DataFrame], copy: int, *, shift_weeks: int | None = None
) -> dict[str, pd.DataFrame]:
    """One copy of canonical tables under new athlete ids, dated some weeks earlier.

    Makes large inputs from a simulated cohort: copy ``r`` renames athlete ``A017`` to
    ``R0003-A017`` (for ``r = 3``) and moves every timestamp and date ``r % 26`` weeks earlier
    (whole weeks keep weekdays, local times and training weeks intact, up to daylight-saving
    shifts of an hour), so that copies are distinct athletes with the simulator's structure.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Canonical tables (e.g. ``sol.simulate_cohort(...).tables()``).
    copy : int
        Copy number (0, 1, ...).
    shift_weeks : int, optional
        Weeks to move the copy back; ``copy % 26`` by default.

    Returns
    -------
    dict of str to DataFrame

    Examples
    --------
    >>> sets = pd.DataFrame({"athlete_id": ["A001"],
    ...                      "session_start": [pd.Timestamp("2024-05-06 07:00", tz="UTC")]})
    >>> replicate_tables({"strength_sets": sets}, 3)["strength_sets"].iloc[0].tolist()
    ['R0003-A001', Timestamp('2024-04-15 07:00:00+0000', tz='UTC')]
    """
    if not isinstance(copy, int | np.integer) or copy < 0:
        raise ValueError(f"copy must be a whole number >= 0, got {copy!r}")
    weeks = copy % 26 if shift_weeks is None else int(shift_weeks)
    shift = pd.Timedelta(weeks=weeks)
    prefix = f"R{int(copy):04d}-"
    out = {}
    for name, frame in tables.items():
        frame = frame.copy()
        if "athlete_id" in frame.columns:
            ids = frame["athlete_id"]
            frame["athlete_id"] = (prefix + ids.astype("str")).where(ids.notna())
        column = _TIME_COLUMNS.get(name)
        if weeks and column in frame.columns:
            frame[column] = frame[column] - shift
        out[name] = frame
    return out
