"""Column mappings: how a study's own spreadsheets (a hand-made running log, a lab sheet) are read.

A spreadsheet that no reader recognises is read as a generic CSV
(:mod:`soleus_analysis.readers.generic`) when a mapping names its columns' canonical names and the
units of its measures. Mappings come from the command line (``--columns``, ``--units``) and from
a file ``mapping.toml`` at the top of the study folder, so that ``soleus build STUDY`` reads the
folder with no options::

    # mapping.toml: the columns of our running logs
    files = "running_log*.csv"   # optional: which files (name or path in the study folder)
    table = "runs"               # optional: the canonical table (default: the one that fits)

    [columns]                    # column in the file = canonical column (`soleus schema runs`)
    "Date" = "start"
    "Distance (km)" = "distance_m"
    "Time" = "moving_time_s"
    "Avg HR" = "avg_hr_bpm"
    "RPE" = "rpe"

    [units]                      # units the column names do not say
    moving_time_s = "clock"      # 0:36:29; else s, min or h

Several mappings go in ``[[mapping]]`` tables, each with the keys above. A mapping without
``files`` applies to every file that no reader recognises and whose header has all of its
columns; one with ``files`` applies to the files it names, which are then read with it whatever
their header looks like. Times without a zone are local time in the athlete's ``timezone``
(``athletes.csv``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path, PurePosixPath

from soleus_analysis.errors import InputError
from soleus_analysis.schemas import TABLES, get_schema

__all__ = ["MAPPING_FILE", "ColumnMapping", "mapping_from_options", "read_mapping_file"]

#: The mapping file of a study folder (at its top).
MAPPING_FILE = "mapping.toml"
_KEYS = {"files", "table", "columns", "units"}


@dataclass(frozen=True)
class ColumnMapping:
    """How to read one kind of spreadsheet.

    Attributes
    ----------
    columns : dict of str to str
        File column -> canonical column.
    units : dict of str to str
        Canonical column -> unit (or a ``strftime`` format of a timestamp column).
    table : str or None
        The canonical table; None: the one whose required columns are mapped.
    files : str or None
        A glob of the files it is for, matched against the end of their path in the study
        folder (``running_log*.csv``, ``*/log.csv``); None: any file it fits.
    origin : str
        Where it was given (``--columns``, ``mapping.toml``), for messages.
    """

    columns: dict[str, str]
    units: dict[str, str] = field(default_factory=dict)
    table: str | None = None
    files: str | None = None
    origin: str = ""

    def names(self, rel: str | PathLike[str]) -> bool:
        """Whether ``files`` names this file (a path relative to the study folder)."""
        return self.files is not None and PurePosixPath(Path(rel).as_posix()).match(self.files)

    def fits(self, header: tuple[str, ...] | list[str]) -> bool:
        """Whether a file's header has every column the mapping maps."""
        return all(name in header for name in self.columns)

    def identity(self) -> dict:
        """The mapping as plain data (build reports and fingerprints)."""
        return {
            "columns": dict(self.columns),
            "units": dict(self.units),
            "table": self.table,
            "files": self.files,
        }


def _pairs(text: str, option: str, example: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        name, sep, value = item.rpartition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(
                f"{option} {item.strip()!r} is not NAME=VALUE",
                fix=f"write {option} '{example}' (commas between pairs)",
            )
        out[name.strip()] = value.strip()
    return out


def _known_columns(table: str | None) -> set[str]:
    tables = [table] if table else [t for t in TABLES if t != "athlete_week"]
    return {c for t in tables for c in get_schema(t).columns}


def _checked(
    columns: object, units: object, table: object, files: object, origin: str, path=None
) -> ColumnMapping:
    fix = "see `soleus schema` for the canonical columns and the README for the mapping file"
    if not isinstance(columns, dict) or not columns:
        raise InputError("a mapping needs its columns (file column = canonical column)",
                         path=path, fix=fix)
    if units is None:
        units = {}
    if not isinstance(units, dict):
        raise InputError("units must be a table of canonical column = unit", path=path, fix=fix)
    if table is not None and (not isinstance(table, str) or table not in TABLES):
        raise InputError(f"unknown table {table!r} in {origin}", path=path,
                         fix=f"choose one of {', '.join(t for t in TABLES if t != 'athlete_week')}")
    if files is not None and (not isinstance(files, str) or not files.strip()):
        raise InputError(f"files must be a file name or glob in {origin}", path=path,
                         fix="e.g. files = \"running_log*.csv\"")
    cols = {str(k): str(v) for k, v in columns.items()}
    known = _known_columns(table)
    unknown = sorted({v for v in cols.values() if v not in known})
    if unknown:
        where = f"the {table} table" if table else "any canonical table"
        raise InputError(
            f"{', '.join(map(repr, unknown))} in {origin} is not a column of {where}",
            path=path,
            fix="map each file column to a canonical name (`soleus schema` lists them)",
        )
    return ColumnMapping(
        columns=cols,
        units={str(k): str(v) for k, v in units.items()},
        table=table,
        files=files.strip() if isinstance(files, str) else None,
        origin=origin,
    )


def mapping_from_options(
    columns: str | None, units: str | None = None, *, table: str | None = None,
    files: str | None = None,
) -> ColumnMapping | None:
    """The mapping of ``--columns`` and ``--units`` (None when no columns are given).

    Parameters
    ----------
    columns : str
        ``'File column=canonical,...'``, e.g. ``'Date=start,Distance (km)=distance_m'``.
    units : str, optional
        ``'canonical=unit,...'``, e.g. ``'moving_time_s=clock'``.

    Examples
    --------
    >>> m = mapping_from_options("Date=start, Distance (km)=distance_m", "distance_m=km")
    >>> m.columns, m.units
    ({'Date': 'start', 'Distance (km)': 'distance_m'}, {'distance_m': 'km'})
    """
    if units and not columns:
        raise InputError("--units needs --columns", fix="give the column mapping with --columns")
    if not columns:
        return None
    cols = _pairs(columns, "--columns", "Date=start,Distance (km)=distance_m")
    unit_pairs = _pairs(units or "", "--units", "moving_time_s=clock,distance_m=km")
    return _checked(cols, unit_pairs, table, files, "--columns")


def read_mapping_file(path: str | PathLike[str]) -> tuple[ColumnMapping, ...]:
    """The mappings of a ``mapping.toml`` file (see the module docstring); () when it is absent.

    Raises
    ------
    InputError
        When the file is not valid TOML, or a mapping is incomplete or names an unknown column.
    """
    p = Path(path)
    if not p.is_file():
        return ()
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(
            f"not a readable TOML file ({exc})",
            path=p,
            fix='write it as in the README: [columns] then "File column" = "canonical" lines',
        ) from None
    tables = list(data.get("mapping", []))
    if not isinstance(data.get("mapping", []), list):
        raise InputError("[[mapping]] must be an array of tables", path=p,
                         fix="write each mapping under its own [[mapping]] line")
    top = {k: v for k, v in data.items() if k != "mapping"}
    if top:
        tables.insert(0, top)
    out = []
    for i, entry in enumerate(tables, 1):
        extra = sorted(set(entry) - _KEYS) if isinstance(entry, dict) else []
        if not isinstance(entry, dict) or extra:
            raise InputError(
                f"mapping {i} has unknown key(s) {', '.join(extra)}", path=p,
                fix="a mapping has files, table, [columns] and [units] only",
            )
        out.append(
            _checked(entry.get("columns"), entry.get("units"), entry.get("table"),
                     entry.get("files"), p.name, path=p)
        )
    return tuple(out)
