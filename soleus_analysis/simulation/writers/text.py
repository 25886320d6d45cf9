"""Shared helpers of the text writers: number and time formatting, reproducible CSV bytes."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

__all__ = ["LB_IN_KG", "M_PER_MILE", "csv_bytes", "local_times", "num"]

LB_IN_KG = 0.45359237
M_PER_MILE = 1609.344
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def num(value: float, decimals: int = 2, *, decimal: str = ".", zero: str | None = None) -> str:
    """A number as an app writes it: at most ``decimals`` decimals, no trailing zeros.

    NaN is the empty string, or ``zero`` when given (Strong writes ``0`` for unrecorded measures).

    Examples
    --------
    >>> num(42.5), num(40.0), num(float("nan")), num(62.5, decimal=","), num(float("nan"), zero="0")
    ('42.5', '40', '', '62,5', '0')
    """
    if value is None or not np.isfinite(value):
        return "" if zero is None else zero
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    return text.replace(".", decimal) if decimal != "." else text


def local_times(utc: pd.Series, zone: str) -> pd.Series:
    """UTC timestamps as naive local wall times in ``zone``."""
    return utc.dt.tz_convert(zone).dt.tz_localize(None)


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    delimiter: str = ",",
    quote_all: bool = False,
    bom: bool = False,
    newline: str = "\n",
) -> bytes:
    """A delimited text file as bytes (UTF-8), the same rows always giving the same bytes."""
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        delimiter=delimiter,
        quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
        lineterminator=newline,
    )
    writer.writerow(header)
    writer.writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode("utf-8")
