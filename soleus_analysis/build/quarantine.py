"""Quarantine files: the rejected rows of a validation, as given, with their reasons.

``soleus validate`` writes one file per input file and table (:func:`write_quarantine`); a build
writes one per source file and table into ``quarantine/`` (:func:`write_by_source`). Both are CSV
files that are safe to open in a spreadsheet (:mod:`soleus_analysis.build.safe`);
:func:`read_quarantine` reads them back with every cell as it was given.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.build.safe import restore_cells, write_csv
from soleus_analysis.errors import InputError
from soleus_analysis.validation import ValidationReport

__all__ = ["QUARANTINE", "read_quarantine", "write_by_source", "write_quarantine"]

#: The build's folder of quarantine files.
QUARANTINE = "quarantine"
_SUFFIX = ".rejected.csv"


def write_quarantine(
    report: ValidationReport, directory: str | PathLike[str], name: str
) -> Path | None:
    """Write the rejected rows of a validation with their reasons to ``<name>.rejected.csv``.

    Parameters
    ----------
    report : ValidationReport
    directory : path
        Created if missing.
    name : str
        The file's stem (``soleus validate`` uses the input file's stem, plus the table when the
        file feeds several).

    Returns
    -------
    Path or None
        The file written; None when nothing was rejected (a stale file of that name is removed).

    Raises
    ------
    InputError
        When the folder cannot be created or written.
    """
    target = Path(directory) / f"{name}{_SUFFIX}"
    if report.ok:
        try:
            target.unlink(missing_ok=True)
        except OSError:  # NotADirectoryError: nothing of that name to remove
            pass
        return None
    write_csv(report.rejected, target, index=True)
    return target


def _safe_name(source_file: object) -> str:
    if source_file is None or source_file is pd.NA or (
        isinstance(source_file, float) and np.isnan(source_file)
    ):
        return "unknown-file"
    text = str(source_file).replace("\\", "/").replace("/", "__")
    return re.sub(r"[^\w.\-]+", "_", text)


def write_by_source(report: ValidationReport, table: str, out: Path) -> list[dict]:
    """Write a table's rejected rows into ``out/quarantine/``, one file per source file.

    Returns
    -------
    list of dict
        One per file written: ``file`` (relative to ``out``), ``table``, ``source_file``,
        ``rows``.
    """
    if report.ok:
        return []
    rejected = report.rejected.reset_index()
    sources = (
        rejected["source_file"]
        if "source_file" in rejected.columns
        else pd.Series(None, index=rejected.index)
    )
    keys = sources.astype(object).where(sources.notna(), "unknown-file")
    written = []
    for source in sorted(keys.unique(), key=str):
        part = rejected[keys == source]
        name = f"{_safe_name(source)}.{table}{_SUFFIX}"
        write_csv(part, out / QUARANTINE / name)
        written.append(
            {
                "file": f"{QUARANTINE}/{name}",
                "table": table,
                "source_file": None if source == "unknown-file" else str(source),
                "rows": len(part),
            }
        )
    return written


def read_quarantine(path: str | PathLike[str]) -> pd.DataFrame:
    """A quarantine file read back: every cell as text, exactly as it was given.

    Raises
    ------
    InputError
        When the file cannot be read.
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read this quarantine file ({exc})", path=path) from None
    return restore_cells(frame)
