"""The steps both engines share: the validated table as written, and the panel's outputs.

An engine (:mod:`~soleus_analysis.build.pandas_engine`, :mod:`~soleus_analysis.build.dask_engine`)
reads, validates and builds the panel in its own way (the Dask engine one partition of athletes
at a time), but what it writes comes from these functions, so that both write the same tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from soleus_analysis.build.options import BuildOptions
from soleus_analysis.catalog import unmapped
from soleus_analysis.dose import dose_provenance
from soleus_analysis.panel import panel_parts
from soleus_analysis.validation import ValidationReport, validate_in_order

__all__ = [
    "PANEL_OUTPUTS",
    "PanelOutputs",
    "panel_outputs",
    "sort_table",
    "validate_table",
    "weeks_of",
]

#: The panel's outputs, in the order a build writes them.
PANEL_OUTPUTS = ("athlete_week", "dose_per_set", "provenance", "daily_loads")
UNMAPPED_COLUMNS = ["name", "sets", "athletes", "looks_like_calf"]
_SORT_KEYS = {
    "athletes": ["athlete_id"],
    "strength_sets": ["athlete_id", "session_start", "exercise_raw", "set_index"],
    "runs": ["athlete_id", "start"],
    "sessions": ["athlete_id", "start", "activity"],
    "wellness": ["athlete_id", "date"],
}


def sort_table(df: pd.DataFrame, table: str) -> pd.DataFrame:
    """A validated table in the order a build writes it: by its key, then by file and line.

    Missing values sort last; ties keep their order (a stable sort, as
    ``DataFrame.sort_values(kind="stable")``). The order is found with Arrow's multi-key sort
    (several times faster than pandas' on text keys), and a table already in order is not copied.
    """
    keys = _sort_keys(df.columns, table)
    if len(df) < 2 or not keys:
        return df.reset_index(drop=True)
    order = _sort_order({k: df[k] for k in keys}, table)
    if order is None:  # a key Arrow cannot hold: pandas sorts
        return df.sort_values(keys, kind="stable", ignore_index=True)
    if (order == np.arange(len(df))).all():
        return df.reset_index(drop=True)
    return df.take(order).reset_index(drop=True)


def _sort_keys(columns, table: str) -> list[str]:
    keys = [k for k in _SORT_KEYS[table] if k in columns]
    return keys + [k for k in ("source_file", "source_row") if k in columns]


def _sort_order(columns: Mapping[str, pd.Series], table: str) -> np.ndarray | None:
    """Positions of the rows in :func:`sort_table`'s order (stable), or None when a key column
    cannot be sorted by Arrow."""
    keys = _sort_keys(columns, table)
    try:
        arrays = pa.table({k: pa.array(columns[k], from_pandas=True) for k in keys})
    except (pa.ArrowException, TypeError, ValueError):
        return None
    # Arrow puts missing values (NaN included, as null) last by default.
    return pc.sort_indices(arrays, sort_keys=[(k, "ascending") for k in keys]).to_numpy()


def validate_table(
    frame: pd.DataFrame, table: str, *, tz: str
) -> tuple[pd.DataFrame, ValidationReport]:
    """Validate a table: its valid rows in the order a build writes them, and the report.

    The valid rows are put in order as they are split from the rejected ones (one copy of them):
    the order of all rows, stable, is the order of the valid ones once the rejected are left out.
    """
    unsortable = []

    def order(columns: Mapping[str, pd.Series]) -> np.ndarray | None:
        # Schema columns the input lacks are all missing in ``valid``: no effect on the order.
        if not _sort_keys(columns, table):
            return None
        ranked = _sort_order(columns, table)
        unsortable.append(ranked is None)
        return ranked

    report = validate_in_order(frame, table, tz=tz, order=order)
    if any(unsortable):  # a key Arrow cannot hold: pandas sorts
        return sort_table(report.valid, table), report
    return report.valid.reset_index(drop=True), report


def weeks_of(panel: pd.DataFrame) -> pd.DataFrame:
    """Per athlete: ``athlete_id``, ``first_week``, ``last_week`` (Timestamps), ``weeks``."""
    return (
        panel.groupby("athlete_id", sort=True)["week_start"]
        .agg(first_week="min", last_week="max", weeks="size")
        .reset_index()
    )


@dataclass(frozen=True)
class PanelOutputs:
    """What the panel step of a build gives: tables to write and what the report says of them.

    Attributes
    ----------
    frames : dict of str to DataFrame
        By output name (:data:`PANEL_OUTPUTS`), those that have rows.
    weeks : DataFrame or None
        :func:`weeks_of` the panel.
    unmapped : DataFrame or None
        Exercise names the catalog does not know (None without strength sets).
    notes : tuple of str
    """

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    weeks: pd.DataFrame | None = None
    unmapped: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()


def panel_outputs(
    valid: Mapping[str, pd.DataFrame | None], options: BuildOptions, *, first_set_row: int = 0
) -> PanelOutputs:
    """The athlete-week panel, the dose per set, its provenance and the daily loads.

    Parameters
    ----------
    valid : mapping of str to DataFrame
        Validated tables as written (:func:`sort_table`), any of them missing.
    options : BuildOptions
    first_set_row : int, default 0
        Row of the first set in ``strength_sets.parquet`` (the Dask engine builds a partition of
        athletes at a time): ``row`` of the dose and the provenance points there.
    """
    sets = valid.get("strength_sets")
    names = None
    if sets is not None:
        sets = sets.set_axis(pd.RangeIndex(first_set_row, first_set_row + len(sets)), axis=0)
        names = unmapped(sets, options.catalog)
    parts = panel_parts(
        sets,
        valid.get("runs"),
        valid.get("wellness"),
        valid.get("sessions"),
        valid.get("athletes"),
        catalog=options.catalog,
        lags=options.lags,
        window=None,
        ewma=options.ewma,
        tz=options.tz,
        min_coverage=options.min_coverage,
        max_gap_days=options.max_gap_days,
        exposures=None,
        lag_columns=None,
        easy="auto",
    )
    frames = {"athlete_week": parts.panel}
    notes: tuple[str, ...] = ()
    if parts.dose is not None:
        notes = tuple(parts.dose.attrs.get("notes", []))
        frames["dose_per_set"] = parts.dose.reset_index()
        frames["provenance"] = dose_provenance(parts.dose)
    if parts.loads is not None:
        frames["daily_loads"] = parts.loads
    return PanelOutputs(frames=frames, weeks=weeks_of(parts.panel), unmapped=names, notes=notes)
