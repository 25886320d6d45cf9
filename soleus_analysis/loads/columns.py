"""Columns of the canonical input tables as the load modules read them.

A missing optional column reads as all-missing, so one code path serves every source.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = [
    "numeric_column",
    "row_sources",
    "text_column",
    "utc_values",
]


def numeric_column(df: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as float, all NaN when the table has no such column."""
    if name in df.columns:
        return pd.to_numeric(df[name]).astype(float)
    return pd.Series(np.nan, index=df.index, dtype=float)


def text_column(df: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as objects, all None when the table has no such column."""
    if name in df.columns:
        return df[name].astype(object)
    return pd.Series(None, index=df.index, dtype=object)


def utc_values(values: pd.Series) -> np.ndarray:
    """UTC instants as naive datetime64[us] (no per-row objects)."""
    series = pd.Series(values)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").to_numpy(dtype="datetime64[us]")
    return pd.to_datetime(series, utc=True).dt.tz_convert("UTC").to_numpy(dtype="datetime64[us]")


def row_sources(df: pd.DataFrame, table: str) -> np.ndarray:
    """The exporting source of each row (``source`` column), else the table's name."""
    if "source" in df.columns:
        values = df["source"].to_numpy(dtype=object, na_value=None)
        return np.where(pd.isna(values), table, values).astype(object)
    return np.full(len(df), table, dtype=object)
