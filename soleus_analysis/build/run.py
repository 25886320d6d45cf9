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
                                      (safe to open in a spreadsheet)
``build_report.md`` / ``.json``       rows read per file, rejected rows by table/column/check,
                                      plausibility flags, unmapped exercise names, athletes and
                                      weeks covered, and the parameters used
``input_fingerprint.json``            hash of the raw files and the parameters the build was made
                                      from (:func:`soleus_analysis.open_study` compares it)
====================================  =============================================================

Which files are read, and how, is :mod:`soleus_analysis.build.inputs`. Every build runs the same
steps, whatever its engine (``engine="pandas"``, :mod:`~soleus_analysis.build.pandas_engine`, or
``"dask"``, :mod:`~soleus_analysis.build.dask_engine`): **read** the inputs, **validate** each
table (its valid rows written, the rest quarantined, each accounted for in the report), build the
**panel**, write the **report**.

The build is all or nothing (:mod:`soleus_analysis.build.output`): it writes a new folder beside
the output and swaps it in at the end, holding a lock on the output meanwhile; a build killed at
any moment leaves the previous output whole. It is deterministic: files are read in sorted order,
every table is sorted on stable keys, paths in outputs are relative to the raw folder and no build
time is written, so two builds of the same input give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from os import PathLike
from pathlib import Path

from soleus_analysis.build.dask_engine import DaskEngine
from soleus_analysis.build.inputs import TABLES, find_inputs, fingerprint
from soleus_analysis.build.options import BuildOptions
from soleus_analysis.build.output import check_output_folder, staged_output
from soleus_analysis.build.pandas_engine import PandasEngine
from soleus_analysis.build.quarantine import QUARANTINE
from soleus_analysis.build.report import REPORT_FILES, BuildReport, BuildTally, file_listing
from soleus_analysis.build.report import write_report as write_report_files
from soleus_analysis.build.steps import PANEL_OUTPUTS
from soleus_analysis.catalog import ExerciseCatalog
from soleus_analysis.errors import InputError
from soleus_analysis.readers.mapping import MAPPING_FILE, mapping_from_options, read_mapping_file

__all__ = ["ENGINES", "FINGERPRINT", "BuildPlan", "build", "plan_build", "stored_fingerprint"]

@cache
def code_digest() -> str:
    """SHA-256 of the package's own modules and data files (what turns inputs into a build).

    Part of a build's fingerprint, so that processed data made by another version of the code,
    an upgrade or a fix in between, is not taken for up to date.
    """
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted([*package.rglob("*.py"), *(package / "data").glob("*.csv")]):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


#: The engines a build can run on.
ENGINES = ("pandas", "dask")
#: The file in which a build records what it was made from.
FINGERPRINT = "input_fingerprint.json"
#: Entries of an output folder that a build writes (an earlier build's are replaced).
MANAGED = frozenset(
    [f"{name}.parquet" for name in (*TABLES, *PANEL_OUTPUTS)]
    + [QUARANTINE, *REPORT_FILES, FINGERPRINT]
)


def _engine(
    name: str, *, scheduler: str | None, partitions: int | None, progress: bool
) -> PandasEngine | DaskEngine:
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose 'pandas' or 'dask'")
    if name == "dask":
        return DaskEngine(scheduler=scheduler, partitions=partitions)
    if scheduler is not None or partitions is not None:
        raise InputError(
            "a scheduler and partitions apply to the dask engine only",
            fix="choose the dask engine (--engine dask, engine='dask'), or leave them out",
        )
    return PandasEngine(progress=progress)


@dataclass(frozen=True)
class BuildPlan:
    """A checked build, ready to run: folders, options and engine.

    Attributes
    ----------
    root, out : Path
        The raw folder and the output folder.
    options : BuildOptions
    engine : PandasEngine or DaskEngine
    """

    root: Path
    out: Path
    options: BuildOptions
    engine: PandasEngine | DaskEngine

    @cached_property
    def fingerprint(self) -> str:
        """What the build is made from: the raw files' bytes, the options, the engine and the
        package's code (a build made by another version of the package is rebuilt)."""
        identity = self.options.identity() | self.engine.identity()
        return fingerprint(self.root, identity | {"code": code_digest()})

    def run(self) -> BuildReport:
        """Run the build's steps into a new folder and swap it in (see the module docstring)."""
        stamp = self.fingerprint
        inputs = find_inputs(self.root)
        with staged_output(self.out, managed=MANAGED) as stage:
            with self.engine.session() as engine:
                read = engine.read(inputs, self.options, stage)
                tally = BuildTally(stage, file_listing(inputs, read.records))
                valid = engine.validate(read, self.options, stage, tally)
                panel = engine.panel(valid, self.options, stage)
            report = tally.finish(
                raw_dir=self.root,
                out_dir=self.out,
                parameters=self.options.parameters()
                | {"reader": read.reader}
                | self.engine.parameters(),
                panel=panel,
                notes=engine.notes,
            )
            write_report_files(report, stage)
            (stage / FINGERPRINT).write_text(
                json.dumps({"fingerprint": stamp}, indent=1) + "\n", encoding="utf-8"
            )
        return report


def plan_build(
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
    columns: str | None = None,
    units: str | None = None,
) -> BuildPlan:
    """Check a build's folders and options before anything is read or written.

    Parameters are those of :func:`build`.

    Returns
    -------
    BuildPlan

    Raises
    ------
    InputError
        When ``raw_dir`` does not exist, the output folder is inside it or cannot be written, or
        an option is unusable (unknown time zone, unreadable catalog, a scheduler without the
        dask engine, a column mapping or ``mapping.toml`` that is incomplete or names an unknown
        column).
    ValueError
        An unknown engine or EWMA convention, or lags or partitions that are not positive whole
        numbers.
    """
    root = Path(raw_dir)
    if not root.is_dir():
        raise InputError(
            "raw data folder not found", path=root, fix="give the folder that holds your exports"
        )
    given = mapping_from_options(columns, units)
    mappings = ((given,) if given is not None else ()) + read_mapping_file(root / MAPPING_FILE)
    out = Path(out_dir)
    if out.resolve() == root.resolve() or root.resolve() in out.resolve().parents:
        raise InputError(
            "the output folder is inside the raw data folder",
            path=out,
            fix="write processed data elsewhere (e.g. data/processed); data/raw is read-only",
        )
    chosen = _engine(engine, scheduler=scheduler, partitions=partitions, progress=progress)
    options = BuildOptions.make(
        tz=tz,
        lags=lags,
        ewma=ewma,
        catalog=catalog,
        min_coverage=min_coverage,
        max_gap_days=max_gap_days,
        mappings=mappings,
    )
    check_output_folder(out)
    return BuildPlan(root=root, out=out, options=options, engine=chosen)


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
    columns: str | None = None,
    units: str | None = None,
) -> BuildReport:
    """Build the processed data set from a folder of raw exports.

    Parameters
    ----------
    raw_dir : path, default "data/raw"
        Folder read recursively (never modified); see :mod:`soleus_analysis.build.inputs` for
        which files are read.
    out_dir : path, default "data/processed"
        Folder written, all or nothing (created if needed); see the module docstring for its
        files. Other entries in it are kept.
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
        Dask engine: address of a running distributed scheduler (default: a local cluster;
        ``"threads"``: dask's threaded scheduler).
    partitions : int, optional
        Dask engine: partitions by athlete (default: one per 500,000 rows).
    columns, units : str, optional
        A column mapping for spreadsheets no reader recognises, as ``--columns`` and ``--units``
        write it (``'Date=start,Distance (km)=distance_m'``, ``'moving_time_s=clock'``); it comes
        before the mappings of the raw folder's ``mapping.toml``
        (:mod:`soleus_analysis.readers.mapping`).

    Returns
    -------
    BuildReport
        Also written as ``build_report.md`` and ``build_report.json``; its ``files`` lists each
        file that could not be read with the reason.

    Raises
    ------
    InputError
        When ``raw_dir`` does not exist or holds no readable table, or the output folder cannot
        be written (see :func:`plan_build`).
    """
    return plan_build(
        raw_dir,
        out_dir,
        tz=tz,
        lags=lags,
        ewma=ewma,
        catalog=catalog,
        min_coverage=min_coverage,
        max_gap_days=max_gap_days,
        progress=progress,
        engine=engine,
        scheduler=scheduler,
        partitions=partitions,
        columns=columns,
        units=units,
    ).run()


def stored_fingerprint(out_dir: str | PathLike[str]) -> str | None:
    """The fingerprint a build recorded in its output folder, or None when there is none."""
    path = Path(out_dir) / FINGERPRINT
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        return None
