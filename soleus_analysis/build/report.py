"""The build report: what a build read, rejected, found and wrote (build_report.md, .json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["FILE_COLUMNS", "BuildReport", "build_parameters", "write_build_report"]

#: Columns of :attr:`BuildReport.files`.
FILE_COLUMNS = ["path", "source", "tables", "rows", "athlete_id", "error", "notes"]
_MD_ROWS = 50


@dataclass(frozen=True)
class BuildReport:
    """What a build read, rejected, found and wrote.

    Attributes
    ----------
    raw_dir, out_dir : str
        The folders used.
    parameters : dict
        tz, EWMA convention, lags, minimum coverage, gap rule, catalog.
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
        """The report as Markdown (``build_report.md``)."""
        p = self.parameters
        n_files = len(self.files)
        n_bad_files = int(self.files["error"].notna().sum()) if n_files else 0
        lines = [
            "# Build report",
            "",
            f"Input folder: `{self.raw_dir}`: {n_files} file(s), {n_files - n_bad_files} read, "
            f"{n_bad_files} not read.",
            f"Reader: {p['reader']}.",
            "",
            "Parameters: "
            f"time zone for rows without one `{p['tz']}`; EWMA convention `{p['ewma_convention']}` "
            f"(acute {p['acute_days']} d, chronic {p['chronic_days']} d); "
            f"lags {', '.join(map(str, p['lags'])) or 'none'} week(s); "
            f"minimum coverage {p['min_coverage']:.3f} of the days of a window; "
            "unrecorded gap after "
            f"{p['max_gap_days']} days without records; exercise catalog `{p['catalog']}`.",
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
        lines += [f"- `{name}`" for name in self.outputs]
        if self.notes:
            lines += ["", "## Notes", ""] + [f"- {note}" for note in self.notes]
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        """A few lines for the terminal."""
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
        bad_files = self.files[self.files["error"].notna()] if len(self.files) else self.files
        for rec in bad_files.itertuples(index=False):
            lines.append(f"  not read: {rec.path}: {rec.error}")
        if not self.unmapped.empty:
            calf = int(self.unmapped["looks_like_calf"].sum())
            lines.append(
                f"Unmapped exercise names: {len(self.unmapped)} ({calf} look like calf work); "
                "see build_report.md."
            )
        lines.append(f"Panel: {len(self.weeks)} athlete(s), {total_weeks} athlete-weeks.")
        return "\n".join(lines)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat()
    return value


def _md_cell(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float | np.floating):
        return f"{value:g}"
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    return str(value).replace("|", "\\|").replace("\n", " ")


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


def build_parameters(
    *, tz, ewma, lags, min_coverage, max_gap_days, catalog, reader: str
) -> dict:
    """The parameters a build report records (shared by the pandas and Dask engines)."""
    return {
        "tz": tz,
        "ewma_convention": ewma,
        "acute_days": 7,
        "chronic_days": 28,
        "lags": [int(k) for k in lags],
        "min_coverage": float(min_coverage),
        "max_gap_days": max_gap_days,
        "catalog": "shipped" if catalog is None else Path(catalog.path).name,
        "reader": reader,
    }


def write_build_report(
    out: Path,
    *,
    raw_dir: Path,
    parameters: dict,
    files: pd.DataFrame,
    table_rows: list,
    rejected_rows: list,
    quarantine_rows: list,
    flag_rows: list,
    unmapped: pd.DataFrame,
    weeks: pd.DataFrame,
    outputs: list[str],
    notes: list[str],
) -> BuildReport:
    """Assemble a :class:`BuildReport` from a build's tallies and write its Markdown and JSON.

    Shared by the pandas and Dask engines so that both write the same report.
    """
    report = BuildReport(
        raw_dir=raw_dir.as_posix(),
        out_dir=out.as_posix(),
        parameters=parameters,
        files=files,
        tables=pd.DataFrame(
            table_rows, columns=["table", "rows_read", "rows_valid", "rows_rejected"]
        ),
        rejected=pd.DataFrame(
            rejected_rows, columns=["table", "column", "check", "rows", "example", "message"]
        ),
        quarantine=pd.DataFrame(quarantine_rows, columns=["file", "table", "source_file", "rows"]),
        flags=pd.DataFrame(flag_rows, columns=["table", "athlete_id", "check", "rows", "message"]),
        unmapped=unmapped.reset_index(drop=True),
        weeks=weeks,
        outputs=tuple(outputs + ["build_report.md", "build_report.json"]),
        notes=tuple(dict.fromkeys(notes)),
    )
    (out / "build_report.md").write_text(report.to_markdown(), encoding="utf-8")
    (out / "build_report.json").write_text(
        json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return report
