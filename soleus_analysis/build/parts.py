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

Which files are tables is decided by :mod:`soleus_analysis.build.inputs`, for both engines. The
parts of a table are read in the order in which the pandas engine concatenates them (the table
files in sorted path order), so that "the first occurrence" of a duplicate and the ``row`` numbers
of the quarantine are the same in both engines. A large Parquet file is split into parts of whole
row groups (about ``max_rows`` rows); a CSV file is one part (split large CSV files, or better
convert them to Parquet).

App exports (Strong, Hevy, Strava, FIT, GPX, PMSys, ...) are small per athlete: build them with the
pandas engine (``soleus build`` without ``--engine``), or convert them first:
``sol.write_partitioned(sol.read_folder(raw).tables, outdir)``.

Functions
---------
:func:`write_partitioned` writes canonical tables in this layout; :func:`replicate_tables` copies a
cohort under new athlete ids (to make large test data from the simulator); :func:`table_parts`
lists the parts of a folder's table files and :func:`read_part` reads one, exactly as the pandas
engine reads that file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.build.inputs import (
    TABLES,
    Inputs,
    find_inputs,
    read_canonical,
    with_provenance,
)

__all__ = ["Part", "read_part", "replicate_tables", "table_parts", "write_partitioned"]

_TIME_COLUMNS = {
    "strength_sets": "session_start",
    "runs": "start",
    "sessions": "start",
    "wellness": "date",
}


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
    inputs: Inputs | str | PathLike[str], *, max_rows: int = 1_000_000
) -> dict[str, list[Part]]:
    """The parts of a raw folder's table files, per table, in read order.

    Parameters
    ----------
    inputs : Inputs or path
        The raw folder, or its :func:`~soleus_analysis.build.inputs.find_inputs`.
    max_rows : int, default 1,000,000
        Largest part cut from a Parquet file (whole row groups; a row group larger than this is
        one part).

    Returns
    -------
    dict of str to list of Part
        Per table (in build order), its parts in the order the pandas engine concatenates them.
        Exports (files that are not tables) have none.
    """
    if not isinstance(inputs, Inputs):
        inputs = find_inputs(inputs)
    parts: dict[str, list[Part]] = {}
    for f in inputs.of_kind("table"):
        if f.format == "parquet":
            parts.setdefault(f.table, []).extend(_parquet_parts(f.table, f.path, f.rel, max_rows))
        else:
            parts.setdefault(f.table, []).append(Part(f.table, f.path, f.rel, "csv"))
    return {t: parts[t] for t in TABLES if t in parts}


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
        file has none: ``"canonical"``) and ``source_row`` (the spreadsheet row of a CSV line,
        header = 1; for Parquet, 2 + the row's position in the file). ``attrs["notes"]`` says how
        a CSV file was read.
    """
    if part.format == "csv":
        frame = read_canonical(part.path, part.table)
        notes = frame.attrs.get("notes", [])
        frame.attrs = {}
        frame = with_provenance(frame, part.rel)
        frame.attrs = {"notes": notes}
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
    if columns is not None:
        return frame
    return with_provenance(frame, part.rel, first_row=part.first_row)


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
    unknown = [name for name in tables if name not in TABLES]
    if unknown:
        raise ValueError(
            f"unknown table(s) {', '.join(unknown)}; choose from {', '.join(TABLES)}"
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
