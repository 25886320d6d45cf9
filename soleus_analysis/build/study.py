"""Open a built study: the processed tables, the athlete-week panel and the build report.

:func:`open_study` is what the notebooks call first. It reads ``data/processed/<study>/`` when that
build is current for the raw files, and builds it (``sol.build``) when it is missing or stale, so a
notebook runs on a fresh clone as well as after ``make analysis``. "Current" means that the raw
folder's content (every file's relative path and bytes), the build parameters and the exercise
catalog's content are those the build was made from: every build records that fingerprint in its
output (``input_fingerprint.json``), in the same all-or-nothing swap as its other files. The
tables are read under the output's lock (shared), so a build of the same study elsewhere never
shows half of one build and half of another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis import plausibility
from soleus_analysis.build.inputs import TABLES
from soleus_analysis.build.output import output_lock
from soleus_analysis.build.quarantine import QUARANTINE, read_quarantine
from soleus_analysis.build.run import plan_build, stored_fingerprint
from soleus_analysis.errors import InputError

__all__ = ["Study", "open_study", "study_folders"]

_ACTIVITY_TYPES = ("gpx", "fit", "tcx")
_EXTRAS = {
    "dose": "dose_per_set.parquet",
    "provenance": "provenance.parquet",
    "daily_loads": "daily_loads.parquet",
}


@dataclass(frozen=True)
class Study:
    """A built study, ready for analysis.

    Attributes
    ----------
    name : str
        The raw folder's name (e.g. ``demo-cohort``).
    raw_dir, processed_dir : Path
    panel : DataFrame
        The ``athlete_week`` panel (see ``soleus schema athlete_week``).
    tables : dict of str to DataFrame
        The validated canonical tables that the raw folder held.
    dose : DataFrame or None
        Soleus dose per set (``sol.soleus_dose``), with provenance columns.
    provenance : DataFrame or None
        Which sets every athlete-week's dose came from (``sol.dose_provenance``).
    daily_loads : DataFrame or None
        Daily training loads per athlete (``sol.training_loads``).
    report : dict
        The build report (``build_report.json``): rows read, rejected by reason, flags, unmapped
        exercise names, athletes, weeks, parameters.
    """

    name: str
    raw_dir: Path
    processed_dir: Path
    panel: pd.DataFrame
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    dose: pd.DataFrame | None = None
    provenance: pd.DataFrame | None = None
    daily_loads: pd.DataFrame | None = None
    report: dict = field(default_factory=dict)

    def quarantine(self) -> pd.DataFrame:
        """Every rejected row of the build with its table, file, spreadsheet row and reasons.

        Returns
        -------
        DataFrame
            ``table``, ``source_file``, ``source_row``, ``athlete_id``, ``reasons``, sorted.
        """
        parts = []
        for path in sorted((self.processed_dir / QUARANTINE).glob("*.rejected.csv")):
            table = path.name.removesuffix(".rejected.csv").rsplit(".", 1)[-1]
            frame = read_quarantine(path)
            frame.insert(0, "table", table)
            parts.append(frame)
        columns = ["table", "source_file", "source_row", "athlete_id", "reasons"]
        if not parts:
            return pd.DataFrame(columns=columns)
        out = pd.concat(parts, ignore_index=True)
        for col in columns:
            if col not in out:
                out[col] = ""
        out["source_row"] = pd.to_numeric(out["source_row"], errors="coerce").astype("Int64")
        return out[columns].sort_values(["table", "source_file", "source_row"], ignore_index=True)

    def rejections(self) -> pd.DataFrame:
        """Rejected rows counted by table, column and check (from the build report).

        Returns
        -------
        DataFrame
            ``table``, ``column``, ``check``, ``rows``, ``message``; most frequent first.
        """
        rows = pd.DataFrame(self.report.get("rejected", []))
        if rows.empty:
            return pd.DataFrame(columns=["table", "column", "check", "rows", "message"])
        keep = [c for c in ["table", "column", "check", "rows", "message"] if c in rows]
        return rows[keep].sort_values(["rows", "table"], ascending=[False, True], ignore_index=True)

    def flags(self) -> pd.DataFrame:
        """Every plausibility flag of the build, one row per flagged row (the rows stay valid).

        The build report counts flags per athlete and check; this lists the rows, computed again
        from the validated tables with the same checks
        (:func:`soleus_analysis.plausibility.check`, e.g. loads on a pound grid in a kilogram
        column, a x2.2 jump against the athlete's earlier sessions).

        Returns
        -------
        DataFrame
            ``table``, ``source_file``, ``source_row`` (line in the export, header = 1),
            ``athlete_id``, ``check``, ``message``; sorted by table, file and line.
        """
        columns = ["table", "source_file", "source_row", "athlete_id", "check", "message"]
        parts = []
        for table, frame in self.tables.items():
            found = plausibility.check(frame, table)
            if found.empty:
                continue
            rows = frame.loc[found["row"].to_numpy()]
            parts.append(
                pd.DataFrame(
                    {
                        "table": table,
                        "source_file": _column(rows, "source_file"),
                        "source_row": _column(rows, "source_row"),
                        "athlete_id": found["athlete_id"].to_numpy(dtype=object),
                        "check": found["check"].to_numpy(dtype=object),
                        "message": found["message"].to_numpy(dtype=object),
                    }
                )
            )
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
        out = pd.concat(parts, ignore_index=True)
        out["source_row"] = pd.to_numeric(out["source_row"]).astype("Int64")
        return out.sort_values(columns[:3] + ["check"], ignore_index=True)

    def sources(self) -> pd.DataFrame:
        """What the build read, per source and format: files and rows.

        Returns
        -------
        DataFrame
            One row per ``source`` (``strong``, ``hevy``, ``strava``, ``pmsys``, ``fitbit``,
            ``canonical``...; ``activity file`` for GPX/FIT/TCX files read through a Strava
            ``activities.csv``, whose record streams give run metrics rather than rows) and
            ``format`` (the export variant, e.g. Strong ``classic``, ``classic (de)``, ``newest``; else
            the file type, e.g. ``srpe.csv``, ``gpx.gz``): ``files``, ``rows`` (canonical rows
            the files gave), ``tables`` (the tables they fed), ``not_read`` (files with an
            error). The simulation's truth files are left out.
        """
        files = pd.DataFrame(self.report.get("files", []))
        columns = ["source", "format", "files", "rows", "tables", "not_read"]
        if files.empty:
            return pd.DataFrame(columns=columns)
        files = files[files["source"].fillna("") != "simulation truth"].copy()
        notes = files["notes"].fillna("").astype(str)
        path = files["path"].astype(str)
        through = notes.str.startswith("read through")
        found = notes.str.extract(r"export, (\w+) variant(?:, (\w+) column names)?")
        # A layout with column names in another language is "classic (de)", "newest (fr)", ...
        variant = found[0].where(found[1].isna(), found[0] + " (" + found[1] + ")")
        suffix = path.str.extract(r"\.([A-Za-z0-9]+(?:\.gz)?)$", expand=False)
        name = path.str.rsplit("/", n=1).str[-1]
        # An activity file is one of many of its kind: its type, not its name, is the format.
        activity = suffix.fillna("").str.lower().str.removesuffix(".gz").isin(_ACTIVITY_TYPES)
        files["format"] = variant.where(variant.notna(), suffix.where(through | activity, name))
        source = files["source"].where(files["source"].fillna("") != "", None)
        files["source"] = source.where(~through, "activity file").fillna("(unknown)")
        files["not_read"] = files["error"].notna()
        files["rows"] = pd.to_numeric(files["rows"]).fillna(0).astype("int64")
        out = (
            files.groupby(["source", "format"], sort=True)
            .agg(
                files=("path", "size"),
                rows=("rows", "sum"),
                tables=(
                    "tables",
                    lambda t: ",".join(sorted({x for v in t.dropna() for x in str(v).split(",")})),
                ),
                not_read=("not_read", "sum"),
            )
            .reset_index()
        )
        out["not_read"] = out["not_read"].astype("int64")
        return out[columns]


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name in frame.columns:
        return frame[name].to_numpy(dtype=object)
    return np.full(len(frame), None, dtype=object)


def _read_optional(path: Path) -> pd.DataFrame | None:
    return pd.read_parquet(path) if path.exists() else None


def open_study(
    raw_dir: str | PathLike[str],
    processed_dir: str | PathLike[str] | None = None,
    *,
    rebuild: bool | str = "auto",
    progress: bool = False,
    **build_options,
) -> Study:
    """Open a study, building its processed data first when needed.

    Parameters
    ----------
    raw_dir : path
        The study's raw exports (e.g. ``data/raw/demo-cohort``); never modified.
    processed_dir : path, optional
        Where the build lives; default ``data/processed/<name of raw_dir>`` next to ``data/raw``
        when ``raw_dir`` is inside a ``data/raw`` folder, else ``<raw_dir>-processed``.
    rebuild : {"auto", True, False}
        ``"auto"`` builds when the processed data is missing or was built from other raw files or
        parameters; ``True`` always builds; ``False`` never builds (error if missing).
    progress : bool, default False
        Show a progress bar of the files read when building (on stderr; off by default so that
        notebook outputs stay clean). Not part of the fingerprint.
    **build_options
        Passed to :func:`soleus_analysis.build` (``tz``, ``lags``, ``ewma``, ``catalog``, ...);
        part of the fingerprint.

    Returns
    -------
    Study

    Raises
    ------
    InputError
        When ``raw_dir`` does not exist, or ``rebuild=False`` and there is no build.
    """
    raw = Path(raw_dir)
    if not raw.is_dir():
        raise InputError(
            "study folder not found", path=raw, fix="give the folder of the raw exports"
        )
    processed = Path(processed_dir) if processed_dir is not None else _default_processed(raw)
    if rebuild is not False:
        plan = plan_build(raw, processed, progress=progress, **build_options)
        current = (processed / "athlete_week.parquet").exists() and (
            stored_fingerprint(processed) == plan.fingerprint
        )
        if rebuild is True or not current:
            plan.run()
    elif not (processed / "athlete_week.parquet").exists():
        raise InputError(
            "no build of this study",
            path=processed,
            fix="run `soleus build` or pass rebuild='auto'",
        )
    with output_lock(processed, shared=True):
        tables = {
            t: pd.read_parquet(processed / f"{t}.parquet")
            for t in TABLES
            if (processed / f"{t}.parquet").exists()
        }
        extras = {key: _read_optional(processed / name) for key, name in _EXTRAS.items()}
        report = json.loads((processed / "build_report.json").read_text(encoding="utf-8"))
        panel = pd.read_parquet(processed / "athlete_week.parquet")
    return Study(
        name=raw.resolve().name,
        raw_dir=raw,
        processed_dir=processed,
        panel=panel,
        tables=tables,
        report=report,
        **extras,
    )


def _default_processed(raw: Path) -> Path:
    resolved = raw.resolve()
    if resolved.parent.name == "raw" and resolved.parent.parent.name == "data":
        return resolved.parent.parent / "processed" / resolved.name
    return resolved.with_name(resolved.name + "-processed")


def study_folders(raw_root: str | PathLike[str] = "data/raw") -> list[Path]:
    """The studies under a raw data folder: its first-level folders that hold files.

    Examples
    --------
    >>> [p.name for p in study_folders("data/raw")]  # doctest: +SKIP
    ['demo-cohort', 'pmdata']
    """
    root = Path(raw_root)
    if not root.is_dir():
        raise InputError(
            "raw data folder not found", path=root, fix="give the folder of the studies"
        )
    return sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and not p.name.startswith(".") and any(f.is_file() for f in p.rglob("*"))
    )
