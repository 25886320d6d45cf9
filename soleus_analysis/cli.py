"""The ``soleus`` command line.

Exit status of ``soleus validate``: 0 when everything was valid, 1 when rows were rejected (they
are written to the quarantine folder with their reasons). ``soleus build`` exits 0 when the build
completed, rejected rows included (they are quarantined and reported; ``--strict`` makes it exit 1
then). Any command exits 2 when the input could not be used at all (one line on stderr says which
file and how to fix it; no traceback).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from soleus_analysis.errors import InputError, UnknownSourceError
from soleus_analysis.readers import SOURCES, read_all
from soleus_analysis.schemas import TABLES, data_dictionary
from soleus_analysis.textfile import read_text_table
from soleus_analysis.validation import ValidationReport, validate

__all__ = ["main", "write_quarantine"]

DEFAULT_QUARANTINE = Path("data/processed/quarantine")


def write_quarantine(report: ValidationReport, directory: Path, name: str) -> Path | None:
    """Write the rejected rows of a report, with their reasons, to
    ``directory/<name>.rejected.csv``.

    Returns the path written, or None when nothing was rejected (a stale file is removed).
    """
    target = directory / f"{name}.rejected.csv"
    if report.ok:
        target.unlink(missing_ok=True)
        return None
    directory.mkdir(parents=True, exist_ok=True)
    report.rejected.to_csv(target, index=True)
    return target


def _load_canonical(path: Path, table: str) -> tuple[pd.DataFrame, list[str]]:
    """A CSV or Parquet file whose columns already carry the canonical names."""
    if path.suffix.lower() == ".parquet":
        if not path.exists():
            raise InputError("file not found", path=path, fix="check the path and the file name")
        return pd.read_parquet(path), []
    text = read_text_table(path)
    frame = text.frame.reset_index()
    frame["source_file"] = str(path)
    if text.decimal == ",":
        numeric = [
            name
            for name, col in TABLES[table].to_schema().columns.items()
            if str(col.dtype) in {"float64", "Int64"} and name in frame and name != "source_row"
        ]
        for name in numeric:
            frame[name] = (
                frame[name].str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
            )
    return frame, list(text.notes)


def _read_tables(
    args: argparse.Namespace, path: Path
) -> tuple[dict[str, pd.DataFrame], list[str], str]:
    """The tables to validate: read through ``sol.read_all``, or as a canonical CSV/Parquet."""
    if path.suffix.lower() == ".parquet":
        if args.table is None:
            raise InputError("a Parquet file needs --table", path=path, fix="pass --table TABLE")
        frame, notes = _load_canonical(path, args.table)
        return {args.table: frame}, notes, "canonical"
    try:
        res = read_all(
            path,
            source=args.source,
            athlete_id=args.athlete_id,
            tz=args.tz,
            weight_unit=args.weight_unit,
            distance_unit=args.distance_unit,
            table=args.table,
        )
    except UnknownSourceError:
        if args.table is None:
            raise
        # Not an app export: a CSV meant to hold the canonical columns of --table. Validation
        # names the columns it lacks.
        frame, notes = _load_canonical(path, args.table)
        return {args.table: frame}, notes, "canonical"
    tables = {name: df for name, df in res.tables.items()}
    if args.table is not None:
        if args.table not in tables:
            raise InputError(
                f"this {res.source} file feeds {', '.join(tables)}, not {args.table}",
                path=path,
                fix=f"pass --table {' or '.join(tables)}, or leave --table out",
            )
        tables = {args.table: tables[args.table]}
    return tables, list(res.notes), res.source


def _cmd_validate(args: argparse.Namespace) -> int:
    path = Path(args.path)
    tables, notes, source = _read_tables(args, path)
    print(f"{path} (source: {source}):")
    several = len(tables) > 1
    ok = True
    for name, frame in tables.items():
        if several and frame.empty:
            print(f"{name}: no rows in this file.")
            continue
        report = validate(frame, name, tz=args.tz)
        print(report.to_text())
        stem = f"{path.stem}.{name}" if several else path.stem
        written = write_quarantine(report, Path(args.quarantine_dir), stem)
        if written is not None:
            print(f"Rejected rows with their reasons: {written}")
        ok &= report.ok
    for note in notes:
        print(f"Note: {note}")
    return 0 if ok else 1


def _cmd_schema(args: argparse.Namespace) -> int:
    unknown = [t for t in args.tables if t not in TABLES]
    if unknown:
        raise InputError(
            f"unknown table(s) {', '.join(unknown)}", fix=f"choose from {', '.join(TABLES)}"
        )
    print(data_dictionary(args.tables or None))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from soleus_analysis.build.pandas_engine import build

    if args.engine != "dask" and (args.scheduler is not None or args.partitions is not None):
        raise InputError(
            "--scheduler and --partitions apply to the dask engine only",
            fix="add --engine dask, or leave them out",
        )
    report = build(
        args.raw_dir,
        args.out,
        tz=args.tz,
        lags=tuple(args.lags),
        ewma=args.ewma,
        catalog=args.catalog,
        progress=not args.quiet,
        engine=args.engine,
        scheduler=args.scheduler,
        partitions=args.partitions,
    )
    print(report.summary())
    print(f"Report: {Path(args.out) / 'build_report.md'}")
    return 1 if args.strict and report.rows_rejected else 0


def _print_runs(runs, out: Path) -> int:
    for run in runs:
        status = "ok" if run.ok else f"FAILED: {run.error}"
        print(f"  {run.notebook:<40} {run.seconds:6.1f} s  {status}")
    print(f"Reports: {out / 'index.html'}")
    return 0 if all(run.ok for run in runs) else 1


def _cmd_report(args: argparse.Namespace) -> int:
    from soleus_analysis.build.study import open_study
    from soleus_analysis.report import run_reports

    out = Path(args.out)
    parameters = {}
    if args.data:
        raw = Path(args.data).resolve()
        processed = (out / "processed" / raw.name).resolve()
        study = open_study(raw, processed, rebuild=True, progress=not args.quiet)
        print(f"Built {raw} into {processed}: {len(study.panel):,} athlete-weeks.")
        parameters = {"RAW_DIR": str(raw), "PROCESSED_DIR": str(processed)}
    runs = run_reports(args.notebooks, out, parameters=parameters, progress=not args.quiet)
    return _print_runs(runs, out)


def _cmd_analysis(args: argparse.Namespace) -> int:
    import time

    from soleus_analysis.build.study import open_study, study_folders
    from soleus_analysis.report import run_reports

    raw_root, processed_root, out = Path(args.raw), Path(args.processed), Path(args.reports)
    studies = study_folders(raw_root)
    print(f"1/2 Building {len(studies)} stud{'y' if len(studies) == 1 else 'ies'} from {raw_root}:")
    for folder in studies:
        start = time.perf_counter()
        study = open_study(
            folder, processed_root / folder.name, rebuild=True, progress=not args.quiet
        )
        tables = study.report.get("tables", [])
        read = sum(t.get("rows_read", 0) for t in tables)
        rejected = sum(t.get("rows_rejected", 0) for t in tables)
        print(
            f"  {folder.name}: {read:,} rows read, {rejected:,} rejected (quarantined), "
            f"{study.panel['athlete_id'].nunique()} athletes, {len(study.panel):,} athlete-weeks "
            f"-> {processed_root / folder.name} ({time.perf_counter() - start:.1f} s)"
        )
    print(f"2/2 Running the analysis notebooks in {args.notebooks} into {out}:")
    runs = run_reports(args.notebooks, out, progress=not args.quiet)
    return _print_runs(runs, out)


def _lag(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of weeks")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def _cmd_simulate(args: argparse.Namespace) -> int:
    import numpy as np

    from soleus_analysis.simulation import simulate_cohort, write_canonical, write_cohort

    try:
        cohort = simulate_cohort(args.athletes, args.weeks, rng=args.seed, start=args.start)
    except ValueError as exc:
        raise InputError(str(exc), fix="change --athletes, --weeks or --start") from exc
    out = Path(args.outdir)
    if args.format == "canonical":
        files = write_canonical(cohort, out, seed=args.seed)
        print(
            f"Simulated {args.athletes} athletes x {args.weeks} weeks (seed {args.seed}): "
            f"{len(files)} files in {args.outdir}"
        )
        return 0
    # The writer's own stream: child 2 of the seed (the cohort uses children 0 and 1).
    writer_rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(3)[2])
    written = write_cohort(
        cohort,
        out,
        rng=writer_rng,
        bad_input=not args.no_bad_input,
        activity_files=not args.no_activity_files,
        seed=args.seed,
    )
    data = written.files[written.files["athlete_id"] != ""]
    bad = written.injected.dropna(subset=["source_row"]).drop_duplicates(["path", "source_row"])
    counts = data["format"].value_counts().sort_index().items()
    print(
        f"Simulated {args.athletes} athletes x {args.weeks} weeks (seed {args.seed}): "
        f"{len(data)} export files in {args.outdir} "
        f"({', '.join(f'{n} {f}' for f, n in counts)}); "
        f"{len(bad)} planted bad rows listed in truth_injected.csv; SIMULATED data, see README.md"
    )
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="soleus", description="Validate and analyse athletes' training logs."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="validate one file and quarantine its bad rows")
    p.add_argument("path", help="an export (Strong, Hevy, Strava, FIT, GPX, TCX, Fitbit, PMSys) "
                   "or a canonical CSV/Parquet file")
    p.add_argument("--table", choices=list(TABLES), default=None,
                   help="canonical table to validate (default: every table the file feeds)")
    p.add_argument("--source", choices=["auto", *SOURCES], default="auto",
                   help="exporting app or format (default: detected from the file)")
    p.add_argument("--athlete-id", default=None, help="athlete id (default: the file name's stem)")
    p.add_argument("--tz", default="UTC",
                   help="athlete's IANA zone; times that state none are local in it (default UTC)")
    p.add_argument("--weight-unit", choices=["kg", "lb"], default=None,
                   help="unit of weights the file does not state (Strong classic 'Weight')")
    p.add_argument("--distance-unit", choices=["m", "km", "mi"], default=None,
                   help="unit of distances the file does not state")
    p.add_argument(
        "--quarantine-dir",
        default=str(DEFAULT_QUARANTINE),
        help=f"where rejected rows go (default {DEFAULT_QUARANTINE})",
    )
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser(
        "build",
        help="read data/raw, validate, quarantine, and write the athlete-week panel and a build "
        "report",
    )
    p.add_argument("raw_dir", nargs="?", default="data/raw", metavar="RAW_DIR",
                   help="folder of exports (default data/raw)")
    p.add_argument("--out", default="data/processed", help="output folder (default data/processed)")
    p.add_argument("--tz", default="UTC", help="zone of timestamps that state none (default UTC)")
    p.add_argument("--lags", type=_lag, nargs="*", default=[1, 2, 3, 4], metavar="WEEKS",
                   help="lags of the exposures in weeks (default 1 2 3 4)")
    p.add_argument("--ewma", choices=["williams", "exponential", "simple"], default="williams",
                   help="EWMA convention of acute and chronic load (default williams)")
    p.add_argument("--catalog", default=None,
                   help="your own exercise catalog CSV (default: shipped)")
    p.add_argument("--strict", action="store_true", help="exit 1 when rows were rejected")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--engine", choices=["pandas", "dask"], default="pandas",
                   help="pandas (default): any exports, in memory; dask: canonical tables in parts "
                   "(<table>/part-*.parquet), partitioned by athlete, larger than memory")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="dask engine: a running distributed scheduler (tcp://host:8786); default a "
                   "local cluster of threads; 'threads' for dask's threaded scheduler")
    p.add_argument("--partitions", type=_positive, default=None, metavar="N",
                   help="dask engine: partitions by athlete (default one per 500,000 rows)")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser(
        "report", help="execute the notebooks and write HTML reports and an index to reports/"
    )
    p.add_argument("--data", default=None, metavar="RAW_DIR",
                   help="your own exports: build them and point every notebook at them "
                   "(default: each notebook's shipped data)")
    p.add_argument("--out", default="reports", help="output folder (default reports)")
    p.add_argument("--notebooks", default="notebooks", help="folder of the notebooks")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "analysis",
        help="the main job: build every study under data/raw, run the notebooks, write reports/",
    )
    p.add_argument("--raw", default="data/raw", help="folder of studies (default data/raw)")
    p.add_argument("--processed", default="data/processed",
                   help="where the builds go (default data/processed/<study>)")
    p.add_argument("--reports", default="reports", help="output folder (default reports)")
    p.add_argument("--notebooks", default="notebooks", help="folder of the notebooks")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_analysis)

    p = sub.add_parser("schema", help="print the data dictionary of the canonical tables")
    p.add_argument("tables", nargs="*", metavar="TABLE",
                   help=f"tables to show: {', '.join(TABLES)}")
    p.set_defaults(func=_cmd_schema)

    p = sub.add_parser(
        "simulate", help="write a simulated cohort with a known answer (app exports + truth)"
    )
    p.add_argument("outdir", help="folder to write into (created if missing)")
    p.add_argument("--athletes", type=int, default=40, help="number of athletes (default 40)")
    p.add_argument("--weeks", type=int, default=26, help="study length in weeks (default 26)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--start", default="2025-01-06", help="Monday of week 0 (default 2025-01-06)")
    p.add_argument(
        "--format",
        choices=["files", "canonical"],
        default="files",
        help="files (default): one folder per athlete with Strong/Hevy, Strava (+ GPX/FIT/TCX) and "
        "PMSys exports, athletes.csv, truth.json, truth_weeks.csv, truth_injected.csv and a "
        "README; canonical: the canonical tables as CSV plus truth.csv and truth.json",
    )
    p.add_argument("--no-bad-input", action="store_true",
                   help="do not plant duplicates, typos, impossible values and unit mix-ups")
    p.add_argument("--no-activity-files", action="store_true",
                   help="skip the long runs' GPX/FIT/TCX files (faster; no stream metrics)")
    p.set_defaults(func=_cmd_simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"soleus: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
