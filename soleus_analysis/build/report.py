"""The build report: what a build read, rejected, found and wrote (build_report.md, .json).

:class:`BuildTally` collects it while an engine works: the files listing, then one
:meth:`BuildTally.account` per validated table (rows, rejected rows by reason, plausibility flags,
quarantine files, notes), then the panel's summary; :meth:`BuildTally.finish` makes the
:class:`BuildReport`, which :func:`write_report` writes as Markdown (user text escaped) and JSON.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.build.inputs import Inputs
from soleus_analysis.build.quarantine import write_by_source
from soleus_analysis.build.safe import markdown_text
from soleus_analysis.build.steps import UNMAPPED_COLUMNS, PanelOutputs
from soleus_analysis.validation import ValidationReport

__all__ = [
    "FILE_COLUMNS",
    "REPORT_FILES",
    "BuildReport",
    "BuildTally",
    "file_listing",
    "file_record",
    "write_report",
]

#: Columns of :attr:`BuildReport.files`.
FILE_COLUMNS = ["path", "source", "tables", "rows", "athlete_id", "error", "notes"]
#: The report's own files.
REPORT_FILES = ("build_report.md", "build_report.json")
_TABLE_COLUMNS = ["table", "rows_read", "rows_valid", "rows_rejected"]
_REJECTED_COLUMNS = ["table", "column", "check", "rows", "example", "message"]
_QUARANTINE_COLUMNS = ["file", "table", "source_file", "rows"]
_FLAG_COLUMNS = ["table", "athlete_id", "check", "rows", "message"]
_TRUTH_NOTE = "skipped: the simulation's ground truth, not training data"
_MD_ROWS = 50
_SHOWN_FILES = 10


@dataclass(frozen=True)
class BuildReport:
    """What a build read, rejected, found and wrote.

    Attributes
    ----------
    raw_dir, out_dir : str
        The folders used.
    parameters : dict
        tz, EWMA convention, lags, minimum coverage, gap rule, catalog, reader (and the engine).
    files : DataFrame
        One row per input file: ``path`` (relative to ``raw_dir``), ``source``, ``tables``,
        ``rows``, ``athlete_id``, ``error`` (why it could not be read), ``notes``.
    tables : DataFrame
        One row per canonical table: ``table``, ``rows_read``, ``rows_valid``, ``rows_rejected``.
    rejected : DataFrame
        Rejected rows per ``table``, ``column`` and ``check``: ``rows``, ``example``, ``message``.
    quarantine : DataFrame
        ``file`` (quarantine CSV, relative to ``out_dir``), ``table``, ``source_file``, ``rows``.
    flags : DataFrame
        Plausibility flags (rows stay valid): ``table``, ``athlete_id``, ``check``, ``rows``,
        ``message``.
    unmapped : DataFrame
        Exercise names the catalog does not know: ``name``, ``sets``, ``athletes``,
        ``looks_like_calf``.
    weeks : DataFrame
        Per athlete: ``athlete_id``, ``first_week``, ``last_week``, ``weeks`` (rows in the panel).
    outputs : tuple of str
        Files written, relative to ``out_dir``.
    notes : tuple of str
        Conversions and assumptions the user should know about.
    """

    raw_dir: str
    out_dir: str
    parameters: dict
    files: pd.DataFrame
    tables: pd.DataFrame
    rejected: pd.DataFrame
    quarantine: pd.DataFrame
    flags: pd.DataFrame
    unmapped: pd.DataFrame
    weeks: pd.DataFrame
    outputs: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rows_rejected(self) -> int:
        """Rows rejected over all tables."""
        return int(self.tables["rows_rejected"].sum()) if len(self.tables) else 0

    @property
    def files_not_read(self) -> pd.DataFrame:
        """The rows of :attr:`files` that could not be read (``error`` is set)."""
        if not len(self.files):
            return self.files
        return self.files[self.files["error"].notna()].reset_index(drop=True)

    def to_dict(self) -> dict:
        """The report as plain JSON-serialisable data."""

        def records(df: pd.DataFrame) -> list[dict]:
            clean = df.astype(object).where(df.notna(), None)
            return [
                {k: _plain(v) for k, v in row.items()} for row in clean.to_dict(orient="records")
            ]

        return {
            "raw_dir": self.raw_dir,
            "parameters": self.parameters,
            "athletes": int(len(self.weeks)),
            "athlete_weeks": int(self.weeks["weeks"].sum()) if len(self.weeks) else 0,
            "rows_rejected": self.rows_rejected,
            "files": records(self.files),
            "tables": records(self.tables),
            "rejected": records(self.rejected),
            "quarantine": records(self.quarantine),
            "flags": records(self.flags),
            "unmapped_exercises": records(self.unmapped),
            "weeks": records(self.weeks),
            "outputs": list(self.outputs),
            "notes": list(self.notes),
        }

    def to_markdown(self) -> str:
        """The report as Markdown (``build_report.md``); text from the user's files is escaped."""
        p = self.parameters
        n_files = len(self.files)
        n_bad_files = len(self.files_not_read)
        lines = [
            "# Build report",
            "",
            f"Input folder: {markdown_text(self.raw_dir)}: {n_files} file(s), "
            f"{n_files - n_bad_files} read, {n_bad_files} not read.",
            f"Reader: {markdown_text(p['reader'])}.",
            "",
            "Parameters: "
            f"time zone for rows without one {markdown_text(p['tz'])}; "
            f"EWMA convention `{p['ewma_convention']}` "
            f"(acute {p['acute_days']} d, chronic {p['chronic_days']} d); "
            f"lags {', '.join(map(str, p['lags'])) or 'none'} week(s); "
            f"minimum coverage {p['min_coverage']:.3f} of the days of a window; "
            "unrecorded gap after "
            f"{p['max_gap_days']} days without records; "
            f"exercise catalog {markdown_text(p['catalog'])}.",
            "",
            "## Rows per table",
            "",
            _md_table(self.tables),
            "",
            f"## Rejected rows ({self.rows_rejected:,})",
            "",
        ]
        if self.rejected.empty:
            lines.append("No row was rejected.")
        else:
            lines += [
                "Each rejected row is in `quarantine/` with all its reasons; "
                "a row can break several rules.",
                "",
                _md_table(self.rejected),
                "",
                "Quarantine files:",
                "",
                _md_table(self.quarantine),
            ]
        lines += ["", "## Plausibility flags (rows kept)", ""]
        lines.append("None." if self.flags.empty else _md_table(self.flags))
        lines += ["", f"## Unmapped exercise names ({len(self.unmapped)})", ""]
        if self.unmapped.empty:
            lines.append("Every exercise name was found in the catalog.")
        else:
            lines += [
                "Their sets are not in the soleus dose (they are counted in `unmapped_sets`). "
                "Add the "
                "names to your own catalog (`sol.load_catalog(path)`), calf-like names first.",
                "",
                _md_table(self.unmapped),
            ]
        total_weeks = int(self.weeks["weeks"].sum()) if len(self.weeks) else 0
        lines += ["", "## Athletes and weeks", ""]
        if self.weeks.empty:
            lines.append("No athlete-week could be built.")
        else:
            lines += [
                f"{len(self.weeks)} athlete(s), {total_weeks} athlete-weeks, from "
                f"{self.weeks['first_week'].min()} to {self.weeks['last_week'].max()}.",
                "",
                _md_table(self.weeks),
            ]
        lines += ["", "## Files read", "", _md_table(self.files), "", "## Outputs", ""]
        # Output names are the build's own: quarantine files are named with [\w.-] only.
        lines += [f"- `{name}`" for name in self.outputs]
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {markdown_text(note)}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        """A few lines for the terminal; files that could not be read are grouped by reason."""
        total_weeks = int(self.weeks["weeks"].sum()) if len(self.weeks) else 0
        lines = [
            f"Read {len(self.files)} file(s) from {self.raw_dir}; "
            f"wrote {len(self.outputs)} file(s) to {self.out_dir}.",
        ]
        for rec in self.tables.itertuples(index=False):
            lines.append(
                f"  {rec.table}: {rec.rows_read:,} rows read, {rec.rows_valid:,} valid, "
                f"{rec.rows_rejected:,} rejected"
            )
        if not self.rejected.empty:
            lines.append("Rejected rows by reason (rows in quarantine/):")
            for rec in self.rejected.itertuples(index=False):
                lines.append(
                    f"  {rec.rows:>7,}  {rec.table}.{rec.column} / {rec.check}: {rec.message}"
                )
        bad = self.files_not_read
        if len(bad):
            lines.append(f"Files not read ({len(bad)}), by reason (see build_report.md):")
            for reason, group in bad.groupby("error", sort=False):
                paths = group["path"].tolist()
                shown = ", ".join(paths[:_SHOWN_FILES])
                if len(paths) > _SHOWN_FILES:
                    shown += f" and {len(paths) - _SHOWN_FILES} more"
                lines.append(f"  {shown}: {reason}")
        if not self.unmapped.empty:
            calf = int(self.unmapped["looks_like_calf"].sum())
            lines.append(
                f"Unmapped exercise names: {len(self.unmapped)} ({calf} look like calf work); "
                "see build_report.md."
            )
        lines.append(f"Panel: {len(self.weeks)} athlete(s), {total_weeks} athlete-weeks.")
        return "\n".join(_printable(line) for line in lines)


def _printable(text: str) -> str:
    # Control characters from a user's file (terminal escape sequences) are shown, not obeyed.
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    return value


def _md_cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return markdown_text(value)


def _md_table(df: pd.DataFrame, limit: int = _MD_ROWS) -> str:
    if df.empty:
        return "(none)"
    shown = df.head(limit)
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    for row in shown.itertuples(index=False):
        lines.append("| " + " | ".join(_md_cell(v) for v in row) + " |")
    if len(df) > limit:
        lines.append(f"\n... and {len(df) - limit} more rows in build_report.json.")
    return "\n".join(lines)


def file_record(rel: str, **fields) -> dict:
    """One row of :attr:`BuildReport.files` (missing fields empty, ``rows`` 0)."""
    return {c: None for c in FILE_COLUMNS} | {"rows": 0} | fields | {"path": rel}


def file_listing(inputs: Inputs, records: Mapping[str, dict]) -> pd.DataFrame:
    """:attr:`BuildReport.files`: every input file once, in path order.

    ``records`` holds what the engine found for the files it considered; a simulation's truth
    files are listed as such, and a file without a record as not read.
    """
    rows = []
    for f in inputs.files:
        if f.kind == "truth":
            rows.append(file_record(f.rel, source="simulation truth", notes=_TRUTH_NOTE))
        else:
            rows.append(records.get(f.rel) or file_record(f.rel, error="not read"))
    return pd.DataFrame(rows, columns=FILE_COLUMNS)


class BuildTally:
    """The build report in the making (see the module docstring).

    Parameters
    ----------
    out : Path
        The folder being written (quarantine files go to ``out/quarantine``).
    files : DataFrame
        :func:`file_listing` of the build's inputs.
    """

    def __init__(self, out: Path, files: pd.DataFrame) -> None:
        self.out = out
        self.files = files
        self.tables: list[dict] = []
        self.rejected: list[dict] = []
        self.flags: list[dict] = []
        self.quarantine: list[dict] = []
        self.notes: list[str] = []
        self.outputs: list[str] = []

    def account(
        self,
        table: str,
        report: ValidationReport,
        *,
        rows_valid: int | None = None,
        flags: pd.DataFrame | None = None,
    ) -> None:
        """Record the validation of one table and write its quarantine files.

        Parameters
        ----------
        table : str
        report : ValidationReport
            Of the whole table (the Dask engine puts its partitions' rejected rows together).
        rows_valid : int, optional
            Valid rows, when ``report.valid`` does not hold them (Dask).
        flags : DataFrame, optional
            Flag counts (``athlete_id``, ``check``, ``rows``, ``message``) when ``report.valid``
            does not hold the rows (Dask: counted per partition); else counted from
            ``report.flags``.
        """
        self.tables.append(
            {
                "table": table,
                "rows_read": report.n_rows,
                "rows_valid": len(report.valid) if rows_valid is None else int(rows_valid),
                "rows_rejected": len(report.rejected),
            }
        )
        self.rejected += [{"table": table, **rec} for rec in report.summary().to_dict("records")]
        counts = flag_counts(report.flags) if flags is None else flags
        self.flags += [{"table": table, **rec} for rec in counts.to_dict("records")]
        self.quarantine += write_by_source(report, table, self.out)
        self.notes += [f"{table}: {note}" for note in report.notes]
        self.outputs.append(f"{table}.parquet")

    def finish(
        self,
        *,
        raw_dir: Path,
        out_dir: Path,
        parameters: dict,
        panel: PanelOutputs,
        notes: Sequence[str] = (),
    ) -> BuildReport:
        """The report, once every table is accounted for and the panel is written."""
        weeks = panel.weeks
        if weeks is None:
            weeks = pd.DataFrame(columns=["athlete_id", "first_week", "last_week", "weeks"])
        else:
            weeks = weeks.assign(
                first_week=weeks["first_week"].dt.strftime("%Y-%m-%d"),
                last_week=weeks["last_week"].dt.strftime("%Y-%m-%d"),
            )
        names = panel.unmapped if panel.unmapped is not None else pd.DataFrame(
            columns=UNMAPPED_COLUMNS
        )
        outputs = [
            *self.outputs,
            *(f"{name}.parquet" for name in panel.frames),
            *(q["file"] for q in self.quarantine),
            *REPORT_FILES,
        ]
        return BuildReport(
            raw_dir=raw_dir.as_posix(),
            out_dir=out_dir.as_posix(),
            parameters=parameters,
            files=self.files,
            tables=pd.DataFrame(self.tables, columns=_TABLE_COLUMNS),
            rejected=pd.DataFrame(self.rejected, columns=_REJECTED_COLUMNS),
            quarantine=pd.DataFrame(self.quarantine, columns=_QUARANTINE_COLUMNS),
            flags=pd.DataFrame(self.flags, columns=_FLAG_COLUMNS),
            unmapped=names.reset_index(drop=True),
            weeks=weeks,
            outputs=tuple(outputs),
            notes=tuple(dict.fromkeys([*self.notes, *panel.notes, *notes])),
        )


def flag_counts(flags: pd.DataFrame) -> pd.DataFrame:
    """Plausibility flags counted per athlete and check: ``athlete_id``, ``check``, ``rows``,
    ``message``."""
    if flags.empty:
        return pd.DataFrame(columns=["athlete_id", "check", "rows", "message"])
    return (
        flags.groupby(["athlete_id", "check"], sort=True)
        .agg(rows=("row", "size"), message=("message", "first"))
        .reset_index()
    )


def write_report(report: BuildReport, folder: Path) -> None:
    """Write ``build_report.md`` and ``build_report.json`` into a folder."""
    (folder / "build_report.md").write_text(report.to_markdown(), encoding="utf-8")
    (folder / "build_report.json").write_text(
        json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
