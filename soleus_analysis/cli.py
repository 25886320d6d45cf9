"""The ``soleus`` command line: the shell face of the package (it uses only ``sol.`` names).

Exit status
-----------
- **0**: the command did what was asked with everything it was given. ``soleus build`` exits 0
  when every file was read, rejected rows included (they are quarantined and reported);
- **1**: it finished, but part of the input is not in the result: ``soleus validate`` rejected
  rows (in the quarantine folder with their reasons); ``soleus build`` could not read a file
  (each is listed once, grouped by reason, and the build of the others is written), or rejected
  rows with ``--strict``; a notebook of ``soleus report`` failed (its report shows it up to the
  failure), or a file of its study could not be read;
- **2**: the input could not be used at all, or an output cannot be written; nothing was made.
  One line on stderr says which file or folder and how to fix it; no traceback. ``soleus report``
  checks everything it needs (the notebooks, the packages and kernel that run them, the study
  folder, the column mapping, the output folder) before the build starts.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import soleus_analysis as sol

__all__ = ["main"]

DEFAULT_QUARANTINE = Path("data/processed/quarantine")


def _canonical(path: Path, table: str) -> tuple[dict, list[str], str]:
    frame = sol.read_canonical(path, table)
    notes = list(frame.attrs.get("notes", []))
    return {table: frame}, notes, "canonical"


def _read_tables(args: argparse.Namespace, path: Path) -> tuple[dict, list[str], str]:
    """The tables to validate: read through ``sol.read_all``, or as a canonical CSV/Parquet."""
    if path.suffix.lower() == ".parquet":
        if args.table is None:
            raise sol.InputError(
                "a Parquet file needs --table", path=path, fix="pass --table TABLE"
            )
        return _canonical(path, args.table)
    mapping = sol.mapping_from_options(args.columns, args.units, table=args.table)
    try:
        res = sol.read_all(
            path,
            source=args.source,
            columns=mapping.columns if mapping else None,
            units=mapping.units if mapping else None,
            athlete_id=args.athlete_id,
            tz=args.tz,
            weight_unit=args.weight_unit,
            distance_unit=args.distance_unit,
            table=args.table,
        )
    except sol.UnknownSourceError:
        if args.table is None:
            raise
        # Not an app export: a CSV meant to hold the canonical columns of --table. Validation
        # names the columns it lacks.
        return _canonical(path, args.table)
    tables = {name: df for name, df in res.tables.items()}
    if args.table is not None:
        if args.table not in tables:
            raise sol.InputError(
                f"this {res.source} file feeds {', '.join(tables)}, not {args.table}",
                path=path,
                fix=f"pass --table {' or '.join(tables)}, or leave --table out",
            )
        tables = {args.table: tables[args.table]}
    return tables, list(res.notes), res.source


def _cmd_validate(args: argparse.Namespace) -> int:
    path = Path(args.path)
    qdir = sol.check_output_folder(args.quarantine_dir, option="--quarantine-dir", beside=False)
    tables, notes, source = _read_tables(args, path)
    print(f"{path} (source: {source}):")
    several = len(tables) > 1
    ok = True
    for name, frame in tables.items():
        if several and frame.empty:
            print(f"{name}: no rows in this file.")
            continue
        report = sol.validate(frame, name, tz=args.tz)
        print(report.to_text())
        stem = f"{path.stem}.{name}" if several else path.stem
        written = sol.write_quarantine(report, qdir, stem)
        if written is not None:
            print(f"Rejected rows with their reasons: {written}")
        ok &= report.ok
    for note in notes:
        print(f"Note: {note}")
    return 0 if ok else 1


def _cmd_schema(args: argparse.Namespace) -> int:
    unknown = [t for t in args.tables if t not in sol.TABLES]
    if unknown:
        raise sol.InputError(
            f"unknown table(s) {', '.join(unknown)}", fix=f"choose from {', '.join(sol.TABLES)}"
        )
    print(sol.data_dictionary(args.tables or None))
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    report = sol.build(
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
        columns=args.columns,
        units=args.units,
    )
    print(report.summary())
    print(f"Report: {Path(args.out) / 'build_report.md'}")
    not_read = report.files_not_read["path"].tolist() if len(report.files) else []
    if not_read:
        # The summary above lists each file once under its reason; this line names them again
        # for a log that keeps stderr alone.
        more = f" and {len(not_read) - 5} more" if len(not_read) > 5 else ""
        print(
            f"soleus: {len(not_read)} file(s) could not be read and are not in the build: "
            f"{', '.join(not_read[:5])}{more} (reasons above and in build_report.md)",
            file=sys.stderr,
        )
        return 1
    if args.strict and report.rows_rejected:
        print(
            f"soleus: {report.rows_rejected:,} row(s) rejected (--strict); exit status 1",
            file=sys.stderr,
        )
        return 1
    return 0


def _print_runs(runs, out: Path) -> int:
    for run in runs:
        status = "ok" if run.ok else f"FAILED: {run.error}"
        print(f"  {run.notebook:<40} {run.seconds:6.1f} s  {status}")
    print(f"Reports: {out / 'index.html'}")
    return 0 if all(run.ok for run in runs) else 1


def _cmd_report(args: argparse.Namespace) -> int:
    out = Path(args.out)
    # Everything is checked before a build that may take minutes: the notebooks, what runs them,
    # the output folder, the study folder and the column mapping.
    sources = sol.check_reports(args.notebooks, out)
    notebooks = sources[0].parent
    parameters, not_read = {}, []
    if args.data:
        raw = sol.check_study_folder(args.data)
        processed = (out / "processed" / raw.name).resolve()
        study = sol.open_study(
            raw,
            processed,
            rebuild=True,
            progress=not args.quiet,
            columns=args.columns,
            units=args.units,
        )
        not_read = [f["path"] for f in study.report.get("files", []) if f.get("error")]
        print(f"Built {raw} into {processed}: {len(study.panel):,} athlete-weeks.")
        if not_read:
            more = f" and {len(not_read) - 5} more" if len(not_read) > 5 else ""
            print(
                f"soleus: {len(not_read)} file(s) could not be read and are not in the reports: "
                f"{', '.join(not_read[:5])}{more} (reasons in {processed / 'build_report.md'})",
                file=sys.stderr,
            )
        parameters = {"RAW_DIR": str(raw), "PROCESSED_DIR": str(processed)}
    elif args.columns or args.units:
        raise sol.InputError(
            "--columns and --units apply to your own study", fix="give it with --data STUDY"
        )
    runs = sol.run_reports(notebooks, out, parameters=parameters, progress=not args.quiet)
    return max(_print_runs(runs, out), 1 if not_read else 0)


def _cmd_init(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    written = sol.init_study(folder)
    print(f"Wrote an empty study folder {folder}: {', '.join(p.name for p in written)}.")
    print(
        f"Put one folder per athlete with their exports in it, list the athletes in "
        f"{folder / 'athletes.csv'} (see {folder / 'README.md'}), then run: "
        f"soleus report --data {folder} --out {folder}-reports"
    )
    return 0


def _cmd_analysis(args: argparse.Namespace) -> int:
    raw_root, processed_root, out = Path(args.raw), Path(args.processed), Path(args.reports)
    notebooks = sol.check_reports(args.notebooks, out)[0].parent
    studies = sol.study_folders(raw_root)
    print(f"1/2 Building {len(studies)} stud{'y' if len(studies) == 1 else 'ies'} from {raw_root}:")
    for folder in studies:
        start = time.perf_counter()
        study = sol.open_study(
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
    print(f"2/2 Running the analysis notebooks in {notebooks} into {out}:")
    runs = sol.run_reports(notebooks, out, progress=not args.quiet)
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

    try:
        cohort = sol.simulate_cohort(args.athletes, args.weeks, rng=args.seed, start=args.start)
    except ValueError as exc:
        raise sol.InputError(str(exc), fix="change --athletes, --weeks or --start") from exc
    out = Path(args.outdir)
    if args.format == "canonical":
        files = sol.write_canonical(cohort, out, seed=args.seed)
        print(
            f"Simulated {args.athletes} athletes x {args.weeks} weeks (seed {args.seed}): "
            f"{len(files)} files in {args.outdir}"
        )
        return 0
    # The writer's own stream: child 2 of the seed (the cohort uses children 0 and 1).
    writer_rng = np.random.default_rng(np.random.SeedSequence(args.seed).spawn(3)[2])
    written = sol.write_cohort(
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


def _mapping_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--columns",
        default=None,
        metavar="'FILE=CANONICAL,...'",
        help="column mapping of spreadsheets no reader recognises, e.g. 'Date=start,"
        "Distance (km)=distance_m,Time=moving_time_s,Avg HR=avg_hr_bpm,RPE=rpe' (see soleus "
        "schema); a study folder's mapping.toml says the same without options",
    )
    p.add_argument(
        "--units",
        default=None,
        metavar="'CANONICAL=UNIT,...'",
        help="units the mapped column names do not state, e.g. 'moving_time_s=clock,"
        "distance_m=km' (s, min, h or clock; m, km, mi; kg, lb)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="soleus", description="Validate and analyse athletes' training logs."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="validate one file and quarantine its bad rows")
    p.add_argument("path", help="an export (Strong, Hevy, Strava, FIT, GPX, TCX, Fitbit, PMSys) "
                   "or a canonical CSV/Parquet file")
    p.add_argument("--table", choices=list(sol.TABLES), default=None,
                   help="canonical table to validate (default: every table the file feeds)")
    p.add_argument("--source", choices=["auto", *sol.SOURCES], default="auto",
                   help="exporting app or format (default: detected from the file)")
    p.add_argument("--athlete-id", default=None, help="athlete id (default: the file name's stem)")
    p.add_argument("--tz", default="UTC",
                   help="athlete's IANA zone; times that state none are local in it (default UTC)")
    p.add_argument("--weight-unit", choices=["kg", "lb"], default=None,
                   help="unit of weights the file does not state (Strong classic 'Weight')")
    p.add_argument("--distance-unit", choices=["m", "km", "mi"], default=None,
                   help="unit of distances the file does not state")
    _mapping_options(p)
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
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.add_argument("--engine", choices=["pandas", "dask"], default="pandas",
                   help="pandas (default): any exports, in memory; dask: canonical tables in parts "
                   "(<table>/part-*.parquet), partitioned by athlete, larger than memory")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="dask engine: a running distributed scheduler (tcp://host:8786); default a "
                   "local cluster of worker processes; 'threads' for dask's threaded scheduler")
    p.add_argument("--partitions", type=_positive, default=None, metavar="N",
                   help="dask engine: partitions by athlete (default one per 500,000 rows)")
    _mapping_options(p)
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser(
        "report", help="execute the notebooks and write HTML reports and an index to reports/"
    )
    p.add_argument("--data", default=None, metavar="STUDY",
                   help="your own study folder: build it into OUT/processed/<its name> and point "
                   "the notebooks about a study at it (default: the shipped demo cohort)")
    p.add_argument("--out", default="reports", help="output folder (default reports)")
    p.add_argument("--notebooks", default=None,
                   help="folder of the notebooks (default: those installed with the package)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    _mapping_options(p)
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser(
        "init", help="write an empty study folder: athletes.csv, mapping.toml and a README"
    )
    p.add_argument("folder", metavar="FOLDER", help="a new or empty folder")
    p.set_defaults(func=_cmd_init)

    p = sub.add_parser(
        "analysis",
        help="the main job: build every study under data/raw, run the notebooks, write reports/",
    )
    p.add_argument("--raw", default="data/raw", help="folder of studies (default data/raw)")
    p.add_argument("--processed", default="data/processed",
                   help="where the builds go (default data/processed/<study>)")
    p.add_argument("--reports", default="reports", help="output folder (default reports)")
    p.add_argument("--notebooks", default=None,
                   help="folder of the notebooks (default: those installed with the package)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_analysis)

    p = sub.add_parser("schema", help="print the data dictionary of the canonical tables")
    p.add_argument("tables", nargs="*", metavar="TABLE",
                   help=f"tables to show: {', '.join(sol.TABLES)}")
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
    except sol.InputError as exc:
        print(f"soleus: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
