"""The public entry points: :func:`read`, :func:`read_all` and :func:`read_stream`."""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from soleus_analysis.errors import InputError
from soleus_analysis.readers import (
    fit,
    fitbit,
    garmin_csv,
    generic,
    gpx,
    hevy,
    pmsys,
    strava,
    strong,
    tcx,
)
from soleus_analysis.readers.activity_files import STREAM_SOURCES, read_activity_stream
from soleus_analysis.readers.common import ReadResult, make_context
from soleus_analysis.readers.detect import SOURCES, detect_source
from soleus_analysis.schemas import TABLES

__all__ = ["read", "read_all", "read_stream"]


def read_all(
    path: str | PathLike[str],
    *,
    source: str = "auto",
    athlete_id: str | None = None,
    tz: str = "UTC",
    weight_unit: str | None = None,
    distance_unit: str | None = None,
    columns: dict | None = None,
    units: dict | None = None,
    table: str | None = None,
    encoding: str | None = None,
) -> ReadResult:
    """Read an export into every canonical table it feeds.

    Parameters are those of :func:`read`.

    Returns
    -------
    ReadResult
        ``path``, ``source``, ``tables`` (name -> DataFrame, main table first) and ``notes``.
        A Strava ``activities.csv`` feeds ``runs`` and ``sessions``; a PMSys ``srpe.csv``
        ``sessions``; a FIT strength activity ``strength_sets`` and ``sessions``; ...
    """
    p = Path(path)
    if source not in ("auto", *SOURCES):
        raise InputError(
            f"unknown source {source!r}",
            path=p,
            fix="use source='auto' or one of " + ", ".join(SOURCES),
        )
    if table is not None and table not in TABLES:
        raise InputError(
            f"unknown table {table!r}", path=p, fix=f"choose one of {', '.join(TABLES)}"
        )
    ctx = make_context(
        p,
        athlete_id=athlete_id,
        tz=tz,
        weight_unit=weight_unit,
        distance_unit=distance_unit,
        columns=columns,
        units=units,
        table=table,
        encoding=encoding,
    )
    text = None
    canonical_table = table
    if source == "auto":
        found = detect_source(p, encoding=encoding, table=table, columns=columns)
        source, text, canonical_table = found.source, found.text, found.table or table
        ctx.note(f"source detected: {source}")
    if source == "fit":
        return fit.read_fit(ctx)
    if source == "gpx":
        return gpx.read_gpx(ctx)
    if source == "tcx":
        return tcx.read_tcx(ctx)
    if source == "fitbit":
        return fitbit.read_fitbit(ctx)
    if source == "strong":
        return strong.read_strong(ctx, text)
    if source == "hevy":
        return hevy.read_hevy(ctx, text)
    if source == "strava":
        return strava.read_strava(ctx, text)
    if source == "garmin_csv":
        return garmin_csv.read_garmin_csv(ctx, text)
    if source == "pmsys":
        return pmsys.read_pmsys(ctx, text)
    if source == "csv":
        return generic.read_generic(ctx, text)
    # canonical
    if canonical_table is None:
        raise InputError(
            "source='canonical' needs table=",
            path=p,
            fix=f"pass table= (one of {', '.join(TABLES)})",
        )
    return generic.read_canonical(ctx, canonical_table, text)


def read(
    path: str | PathLike[str],
    *,
    source: str = "auto",
    athlete_id: str | None = None,
    tz: str = "UTC",
    weight_unit: str | None = None,
    distance_unit: str | None = None,
    columns: dict | None = None,
    units: dict | None = None,
    table: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read an export into its main canonical table (not yet validated).

    Parameters
    ----------
    path : str or PathLike
        The export: Strong/Hevy/Strava/PMSys CSV, generic CSV, FIT (``.fit``, ``.fit.gz``),
        GPX, TCX or Fitbit ``exercise.json``.
    source : str, default "auto"
        ``auto`` detects it from the file's header or structure; else one of ``strong``,
        ``hevy``, ``fit``, ``strava``, ``garmin_csv`` (Garmin Connect's ``Activities.csv``),
        ``gpx``, ``tcx``, ``fitbit``, ``pmsys``, ``csv``, ``canonical``.
    athlete_id : str, optional
        Default: the file's stem (stated in the notes).
    tz : str, default "UTC"
        IANA zone of the athlete: local wall times are read in it, and it is stored in
        ``timezone`` so that days and weeks are local.
    weight_unit : {"kg", "lb"}, optional
        Unit of weights in files that do not state it (Strong classic ``Weight``).
    distance_unit : {"m", "km", "mi"}, optional
        Unit of distances in files that do not state it.
    columns, units : dict, optional
        Column mapping and units of a generic CSV (see :mod:`soleus_analysis.readers.generic`).
        With an app's source (``source="strong"``...), ``columns`` maps the file's column names
        to the app's English names, for an export in a language the readers do not know:
        ``columns={"Fecha": "Date", "Ejercicio": "Exercise Name", ...}``.
    table : str, optional
        Which table to return when the file feeds several; the table of a generic or canonical
        CSV.
    encoding : str, optional
        Encoding of a text export (default: UTF-8 with or without BOM, then Windows-1252).

    Returns
    -------
    DataFrame
        The canonical columns (units in their names: kg, m, s), ``athlete_id``, extra columns of
        the source, ``timezone``, ``source``, ``source_file``, ``source_row``. ``df.attrs`` holds
        ``table``, ``source`` and ``notes`` (what was assumed or converted).

    Raises
    ------
    MissingUnitError
        A measure whose unit the file does not state and that was not given.
    UnknownSourceError
        The source cannot be detected; the message lists each source tried and why.
    InputError
        A missing, empty, truncated or damaged file.

    Examples
    --------
    >>> import soleus_analysis as sol
    >>> df = sol.read("tests/data/strong/strong_newest_kg.csv", tz="Europe/Oslo")  # doctest: +SKIP
    >>> df.attrs["table"]  # doctest: +SKIP
    'strength_sets'
    """
    res = read_all(
        path,
        source=source,
        athlete_id=athlete_id,
        tz=tz,
        weight_unit=weight_unit,
        distance_unit=distance_unit,
        columns=columns,
        units=units,
        table=table,
        encoding=encoding,
    )
    if table is not None and table in res.tables:
        return res.tables[table]
    if table is not None:
        raise InputError(
            f"this {res.source} file feeds {', '.join(res.tables)}, not {table}",
            path=path,
            fix=f"pass table= one of {', '.join(res.tables)}, or leave it out",
        )
    return res.tables[res.main]


def read_stream(
    path: str | PathLike[str], *, source: str = "auto", tz: str = "UTC"
) -> pd.DataFrame:
    """The record stream of a FIT, GPX or TCX run.

    Returns
    -------
    DataFrame
        One row per sample: ``time`` (UTC), ``elapsed_s`` [s], ``distance_m`` [m, cumulative],
        ``speed_m_s`` [m/s], ``heart_rate_bpm``, ``altitude_m`` [m], ``cadence_spm``
        [steps/min], then source-specific extras (``latitude_deg``, ``longitude_deg``,
        ``power_w``). Missing measures are NaN. ``attrs["notes"]`` says what was assumed.
    """
    if source not in ("auto", *STREAM_SOURCES):
        raise InputError(
            f"a {source} file has no record stream",
            path=path,
            fix="read_stream takes FIT, GPX and TCX activity files",
        )
    if source == "auto":
        found = detect_source(Path(path))
        if found.source not in STREAM_SOURCES:
            raise InputError(
                f"a {found.source} file has no record stream",
                path=path,
                fix="read_stream takes FIT, GPX and TCX activity files",
            )
        source = found.source
    return read_activity_stream(path, source=source, tz=tz)
