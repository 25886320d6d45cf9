"""The inputs of a build: which files of a raw folder it reads, and how.

One place decides this for both engines (and the partitioned layout of the Dask engine):

- Files that hold no training data are left out by the one rule set that
  :func:`soleus_analysis.read_folder` uses too (:func:`soleus_analysis.readers.folder.not_data`):
  hidden files and folders and documentation are not listed; ``truth*`` files (the known answer
  that ``soleus simulate`` writes next to a simulated cohort) are listed but never read.
- A file named after a canonical table is a **table file**, read as that table by
  :func:`read_canonical`: ``<table>.csv`` / ``<table>.parquet`` at any depth,
  ``<anything>.<table>.csv`` (``club/a2.strength_sets.csv``), and every CSV or Parquet file in a
  first-level ``<table>/`` folder (``strength_sets/part-00001.parquet``). A text file must also
  have the table's required columns in its header (PMSys exports its wellness log as
  ``wellness.csv``, which is an export), except ``athletes.csv``, which is always the athletes
  table.
- Every other file is an **export**, read by :func:`soleus_analysis.read_folder` (the pandas
  engine) with the athlete named by its first-level folder. A first-level folder that documents
  itself with a README or SOURCE file is a data set (``data/raw/pmdata``): its exports are read
  with it as the root, so that its sub-folders name the athletes.

Naive times of a table file are local time of the athlete, as in an export: the ``timezone`` of
its row, else the athlete's in ``athletes.csv``, else the build's ``tz``
(:func:`local_times`).

Tables are put together in sorted path order: the exports (data sets first, then the rest), then
the table files. Nothing is read twice.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from soleus_analysis.coercion import coerce_column, is_missing
from soleus_analysis.errors import InputError
from soleus_analysis.readers import read_all
from soleus_analysis.schemas import get_schema
from soleus_analysis.readers.folder import not_data
from soleus_analysis.textfile import sniff_delimiter

__all__ = [
    "LARGE_TABLES",
    "TABLES",
    "InputFile",
    "Inputs",
    "athlete_zones",
    "find_inputs",
    "fingerprint",
    "local_times",
    "read_canonical",
    "relative",
    "table_of",
    "with_provenance",
]

#: Canonical tables a raw folder can hold, in build order.
TABLES = ("athletes", "strength_sets", "runs", "sessions", "wellness")
#: Tables that can be large (``athletes`` is one small file).
LARGE_TABLES = TABLES[1:]
_CANONICAL_FILE = re.compile(
    r"^(?:.+\.)?(athletes|strength_sets|runs|sessions|wellness)\.(csv|parquet)$", re.IGNORECASE
)
_TABLE_SUFFIXES = (".csv", ".parquet")


def table_of(rel: str | PathLike[str]) -> str | None:
    """The canonical table a file of a raw folder holds, or None when it is not a table file.

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
    if len(path.parts) > 1 and path.suffix.lower() in _TABLE_SUFFIXES:
        folder = path.parts[0].lower()
        if folder in TABLES:
            return folder
    return None


@dataclass(frozen=True)
class InputFile:
    """One file of a raw folder that a build lists.

    Attributes
    ----------
    path : Path
    rel : str
        Its path relative to the raw folder (``source_file`` of its rows).
    kind : {"table", "export", "truth"}
        A canonical table file, an app export, or a simulation's known answer (listed, not read).
    table : str or None
        The canonical table of a table file.
    dataset : str or None
        The data-set folder (relative path) an export belongs to, if any.
    """

    path: Path
    rel: str
    kind: str
    table: str | None = None
    dataset: str | None = None

    @property
    def format(self) -> str:
        """``"parquet"`` or ``"csv"`` for a table file (by its extension)."""
        return "parquet" if self.path.suffix.lower() == ".parquet" else "csv"


@dataclass(frozen=True)
class Inputs:
    """Every file a build lists, in sorted path order (see the module docstring).

    Attributes
    ----------
    root : Path
    files : tuple of InputFile
    datasets : tuple of str
        First-level folders that document themselves (README*/SOURCE*): one data set each.
    """

    root: Path
    files: tuple[InputFile, ...]
    datasets: tuple[str, ...] = ()

    def of_kind(self, kind: str) -> list[InputFile]:
        """The files of one kind, in sorted path order."""
        return [f for f in self.files if f.kind == kind]


def _dataset_folders(root: Path) -> tuple[str, ...]:
    out = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        names = [p.name.lower() for p in folder.iterdir() if p.is_file()]
        if any(n.startswith(("readme", "source")) for n in names):
            out.append(folder.name)
    return tuple(out)


def find_inputs(root: str | PathLike[str]) -> Inputs:
    """List the files of a raw folder that a build reads (see the module docstring).

    Parameters
    ----------
    root : path
        The raw folder.

    Returns
    -------
    Inputs

    Raises
    ------
    InputError
        When ``root`` is not a folder.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for name in ["README.md", "athletes.csv", "ada/strong.csv", "runs/part-0.parquet",
    ...                  "truth.json", ".cache/x"]:
    ...         (Path(d) / name).parent.mkdir(parents=True, exist_ok=True)
    ...         _ = (Path(d) / name).write_text("x")
    ...     [(f.rel, f.kind, f.table) for f in find_inputs(d).files]
    [('ada/strong.csv', 'export', None), ('athletes.csv', 'table', 'athletes'), \
('runs/part-0.parquet', 'table', 'runs'), ('truth.json', 'truth', None)]
    """
    base = Path(root)
    if not base.is_dir():
        raise InputError(
            "raw data folder not found", path=base, fix="give the folder that holds your exports"
        )
    datasets = _dataset_folders(base)
    files = []
    for path in sorted(base.rglob("*")):
        if not path.is_file():
            continue
        rel_path = path.relative_to(base)
        rel = rel_path.as_posix()
        why = not_data(rel_path)
        if why == "simulation truth":
            files.append(InputFile(path, rel, "truth"))
            continue
        if why is not None:
            continue
        table = table_of(rel)
        if table is not None and (
            path.suffix.lower() == ".parquet"
            or path.name.lower() == "athletes.csv"  # never an export (read_folder skips it)
            or _has_columns(path, table)
        ):
            files.append(InputFile(path, rel, "table", table))
            continue
        dataset = rel_path.parts[0] if rel_path.parts[0] in datasets else None
        files.append(InputFile(path, rel, "export", dataset=dataset))
    return Inputs(base, tuple(files), datasets)


def _has_columns(path: Path, table: str) -> bool:
    """Whether a text file's header holds the required columns of a canonical table."""
    try:
        with path.open("rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return True  # reading it as the table will say what is wrong
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        return True
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    header = {h.strip() for h in next(csv.reader([line], delimiter=sniff_delimiter(line)), [])}
    required = [c for c, col in get_schema(table).columns.items() if col.required]
    return all(c in header for c in required)


def read_canonical(path: str | PathLike[str], table: str) -> pd.DataFrame:
    """Read a file whose columns already carry the canonical names of a table (not validated).

    Parameters
    ----------
    path : path
        A Parquet file, or a delimited text file (CSV; decimal commas in numeric columns are
        turned into points, every other cell stays text for validation).
    table : str
        The canonical table it holds.

    Returns
    -------
    DataFrame
        The file's columns as stored; a text file's rows also get ``source_row`` (its line, header
        = 1), ``source_file`` and ``source``. ``attrs["notes"]`` says how a text file was read.

    Raises
    ------
    InputError
        A missing, empty or unreadable file, or one without the table's required columns.
    """
    p = Path(path)
    if p.suffix.lower() != ".parquet":
        res = read_all(p, source="canonical", table=table)
        frame = res.tables[table]
        frame.attrs = {"table": table, "notes": list(res.notes)}
        _require_columns(frame, table, p)
        return frame
    if not p.is_file():
        raise InputError("file not found", path=p, fix="check the path and the file name")
    try:
        frame = pd.read_parquet(p)
    except (OSError, ValueError) as exc:
        raise InputError(
            f"not a readable Parquet file ({exc})",
            path=p,
            fix="write it again with pandas or pyarrow, or give the table as CSV",
        ) from None
    frame.attrs = {"table": table, "notes": []}
    _require_columns(frame, table, p)
    return frame


def _require_columns(frame: pd.DataFrame, table: str, path: Path) -> None:
    # Checked per file, so that the error names the file and the build goes on without it
    # (validation of the concatenated table could only name the table).
    schema = get_schema(table)
    missing = [n for n, col in schema.columns.items() if col.required and n not in frame.columns]
    if missing:
        shown = [str(c) for c in frame.columns if c not in ("source_row", "source_file", "source")][:12]
        raise InputError(
            f"lacks the {table} table's required column(s) {', '.join(missing)} "
            f"(its header: {', '.join(shown) or 'none'})",
            path=path,
            fix=f"rename the columns to the canonical names (see `soleus schema {table}`)",
        )


def _zone_ok(zone: str) -> bool:
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _missing_by_value(values: pd.Series) -> np.ndarray:
    """:func:`is_missing` of a column with few distinct values (a zone per athlete), per value."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    if len(distinct) == 0:
        return np.ones(len(values), dtype=bool)
    per_value = np.append(is_missing(pd.Series(distinct, dtype=object)), True)  # code -1: NA
    return per_value[codes]


def athlete_zones(athletes: list[pd.DataFrame]) -> dict[str, str]:
    """Athlete -> IANA zone, from the ``timezone`` column of the athletes table(s) read.

    Unknown zones are left out (validation rejects them in the athletes table).

    Examples
    --------
    >>> athlete_zones([pd.DataFrame({"athlete_id": ["a", "b"], "timezone": ["Europe/Oslo", "x"]})])
    {'a': 'Europe/Oslo'}
    """
    zones: dict[str, str] = {}
    for frame in athletes:
        if "athlete_id" not in frame.columns or "timezone" not in frame.columns:
            continue
        for athlete, zone in zip(frame["athlete_id"], frame["timezone"], strict=True):
            if pd.isna(athlete) or pd.isna(zone):
                continue
            athlete, zone = str(athlete).strip(), str(zone).strip()
            if athlete and zone and athlete not in zones and _zone_ok(zone):
                zones[athlete] = zone
    return zones


def local_times(
    frame: pd.DataFrame, table: str, zones: Mapping[str, str], tz: str
) -> pd.DataFrame:
    """A table file's naive timestamps read as local time of their athlete.

    The zone of a row is its ``timezone`` cell, else its athlete's in ``zones``, else ``tz``;
    it is written into ``timezone`` so that days and weeks are local. Timestamps that state a
    zone are kept as they are; cells that are not timestamps stay text for validation to reject
    with the reason. Reading the file's times here, not after its rows joined those of other
    files, keeps a naive time from being taken for a slip among zoned ones.

    A table whose timestamps are instants already (Parquet) and whose every row has a zone is
    returned as it is, without a copy.

    Examples
    --------
    >>> runs = pd.DataFrame({"athlete_id": ["ny"], "start": ["2024-03-04 07:44"]})
    >>> out = local_times(runs, "runs", {"ny": "America/New_York"}, "UTC")
    >>> str(out.loc[0, "start"]), out.loc[0, "timezone"]
    ('2024-03-04 12:44:00+00:00', 'America/New_York')
    """
    schema = get_schema(table).columns
    stamps = [
        c
        for c, col in schema.items()
        if c in frame.columns and "datetime64" in str(col.dtype) and "UTC" in str(col.dtype)
    ]
    if not stamps or "timezone" not in schema or frame.empty:
        return frame
    naive = [c for c in stamps if not isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
    given = frame["timezone"] if "timezone" in frame.columns else None
    lacking = np.ones(len(frame), dtype=bool) if given is None else _missing_by_value(given)
    if not naive and not lacking.any():
        return frame
    zone = pd.Series(tz, index=frame.index, dtype=object)
    if "athlete_id" in frame.columns and zones:
        # Per distinct athlete, not per row: a part can hold millions of rows.
        codes, ids = pd.factorize(frame["athlete_id"].astype("string").str.strip())
        looked_up = np.array([zones.get(a, tz) for a in ids] + [tz], dtype=object)
        zone[:] = looked_up[codes]  # code -1 (no athlete) takes the last entry: tz
    frame = frame.copy()
    if given is not None:
        zone = given.where(~lacking, zone)
    frame["timezone"] = zone
    if not naive:
        return frame
    # A zone that is not a zone is kept for validation to reject; those rows' times stay as given.
    distinct = pd.unique(zone.astype(str))
    valid = {z for z in distinct if _zone_ok(z)}
    bad = ~zone.astype(str).isin(valid).to_numpy()
    row_zones = pd.Series(np.where(bad, "UTC", zone.astype(str)), index=frame.index)
    for column in naive:
        values = frame[column]
        coerced = coerce_column(values, schema[column].dtype, zones=row_zones)
        keep = coerced.failed | bad | coerced.values.isna().to_numpy()
        if not keep.any():
            frame[column] = coerced.values.set_axis(frame.index)
            continue
        read = coerced.values.set_axis(frame.index).astype(object)
        frame[column] = read.where(~keep, values)
    return frame


def with_provenance(frame: pd.DataFrame, rel: str, *, first_row: int = 0) -> pd.DataFrame:
    """Add ``source_file`` (``rel``), and ``source`` and ``source_row`` where the file has none.

    ``source`` is ``"canonical"``; ``source_row`` numbers the rows as a spreadsheet would
    (2 for the first row after the header), counting from ``first_row`` rows into the file.
    """
    frame["source_file"] = rel
    if "source" not in frame.columns:
        frame["source"] = "canonical"
    if "source_row" not in frame.columns:
        start = 2 + first_row
        frame["source_row"] = np.arange(start, start + len(frame))
    return frame


def relative(path: object, root: Path) -> object:
    """A path as the build lists it: relative to the raw folder when inside it."""
    if path is None or (isinstance(path, float) and np.isnan(path)):
        return path
    p = Path(str(path))
    try:
        return p.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return p.as_posix()


def fingerprint(raw_dir: str | PathLike[str], parameters: Mapping | None = None) -> str:
    """SHA-256 of a raw folder's files (relative paths and bytes) and the build parameters.

    Hidden files and folders are left out.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     _ = (Path(d) / "a.csv").write_text("x")
    ...     fingerprint(d) == fingerprint(d), fingerprint(d) == fingerprint(d, {"lags": [1]})
    (True, False)
    """
    root = Path(raw_dir)
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        if not_data(rel) == "hidden":
            continue
        digest.update(rel.as_posix().encode())
        digest.update(b"\0")
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        digest.update(b"\0")
    digest.update(json.dumps(dict(parameters or {}), sort_keys=True, default=str).encode())
    return digest.hexdigest()
