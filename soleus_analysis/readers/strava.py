"""Strava bulk export ``activities.csv`` -> ``runs`` and ``sessions`` (formats.md §3.1).

Columns are matched by name, never by position (Strava adds columns over time). Five names appear
twice with different units; the reader looks at the raw header and takes:

- distance: the **second** ``Distance`` (metres). With only one ``Distance`` column (older
  exports), it is in the user's display unit (km or miles), which the file does not state: pass
  ``distance_unit=``, else :class:`~soleus_analysis.MissingUnitError`.
- elapsed time: the second ``Elapsed Time`` (float seconds), else the first (integer seconds).
- maximum heart rate: the second ``Max Heart Rate``, else the first.
- ``Moving Time`` [s], ``Average Heart Rate``, ``Elevation Gain`` [m], ``Average Cadence`` (per leg
  for runs, doubled to steps/min), ``Perceived Exertion`` (Strava's 1-10 scale, taken as CR-10).

``Activity Date`` is UTC in Strava's exports (``Oct 7, 2020, 2:43:11 PM``, or ``20 Aug 2014,
17:38:32`` in some locales; one format for the whole file). The zone ``tz`` is stored in
``timezone`` for local days and weeks but does not shift the times.

Every activity gives a ``sessions`` row (``activity`` = ``Activity Type``, ``duration_s`` = moving
time, else elapsed time; ``rpe`` = ``Perceived Exertion``). Runs (``Run``, ``Trail Run``,
``Virtual Run``, ``Treadmill``, and their names in other languages from
``data/activity_types.csv``) also give a ``runs`` row; an activity type the vocabulary does not
know is not taken for a run, and the notes list it. When ``Filename`` points to an activity file
next to the CSV (``activities/<id>.gpx|.fit.gz|.tcx.gz``), the run's efficiency factor,
decoupling and pace fade are computed from that file's stream. A ``Filename`` that leads outside
the export's folder (``../``, an absolute path, a link to elsewhere) is refused: the row is kept
and the notes count the refused names; nothing named in the file is ever executed.

Languages
---------
Strava writes the header, the dates and the activity types in the user's language, and numbers
with the language's decimal mark (the first ``Distance`` in km with a decimal comma beside the
second in metres with a point, in the same file). Column names in ``data/export_headers.csv`` are
translated; any other language is read by Strava's column order when the file has Strava's pattern
of repeated column names and its contents fit (ids, dates, file names), see
:mod:`soleus_analysis.readers.layout`. Dates in any language of ``data/month_names.csv`` are read
(:mod:`soleus_analysis.readers.dates`); the decimal mark is decided per column.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.errors import InputError
from soleus_analysis.parsing import decimal_mark, parse_number
from soleus_analysis.readers import streams
from soleus_analysis.readers.activity_files import read_activity_stream
from soleus_analysis.readers.common import (
    M_PER_UNIT,
    ReadContext,
    ReadResult,
    finish,
    missing_distance_unit,
    parse_utc_times,
    result,
    text_column,
)
from soleus_analysis.readers.layout import (
    FIT_SHARE,
    Recognised,
    dates_fit,
    first_rows,
    numbers_fit,
    recognise,
    share,
    shown_header,
)
from soleus_analysis.readers.sets import column_number
from soleus_analysis.readers.vocabulary import activity_kinds, fold, translate_table
from soleus_analysis.textfile import TextTable, read_text_table

__all__ = [
    "LAYOUTS",
    "RUN_TYPES",
    "layout",
    "layout_width_fits",
    "matches",
    "read_strava",
    "recognise_strava",
    "safe_member",
]

SOURCE = "strava"
RUN_TYPES = {"run", "trail run", "virtual run", "virtualrun", "treadmill", "trailrun"}
_DATE_FORMATS = ("%b %d, %Y, %I:%M:%S %p", "%d %b %Y, %H:%M:%S")
_REQUIRED = ("Activity ID", "Activity Date", "Activity Type")
#: Strava's layouts (English names in file order). ``bulk`` is the header of the bulk export since
#: 2020 (formats.md 3.1); later exports add columns after ``Media``'s predecessors but keep these
#: first 51 in place. ``2019`` is the short header of older exports.
LAYOUTS = {
    "bulk": (
        "Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
        "Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute",
        "Activity Private Note", "Activity Gear", "Filename", "Athlete Weight", "Bike Weight",
        "Elapsed Time", "Moving Time", "Distance", "Max Speed", "Average Speed", "Elevation Gain",
        "Elevation Loss", "Elevation Low", "Elevation High", "Max Grade", "Average Grade",
        "Average Positive Grade", "Average Negative Grade", "Max Cadence", "Average Cadence",
        "Max Heart Rate", "Average Heart Rate", "Max Watts", "Average Watts", "Calories",
        "Max Temperature", "Average Temperature", "Relative Effort", "Total Work",
        "Number of Runs", "Uphill Time", "Downhill Time", "Other Time", "Perceived Exertion",
        "Type", "Start Time", "Weighted Average Power", "Power Count",
        "Prefer Perceived Exertion", "Perceived Relative Effort", "Commute",
    ),
    "2019": (
        "Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
        "Elapsed Time", "Distance", "Commute", "Activity Gear", "Filename",
    ),
}  # fmt: skip
_FIELDS = tuple(dict.fromkeys(name for names in LAYOUTS.values() for name in names))
_FILENAME = re.compile(r"^activities/[\w.-]+$")


def _repeats(header: tuple[str, ...]) -> set[tuple[int, int]]:
    """Pairs of positions that hold the same name (first occurrence, later occurrence)."""
    first: dict[str, int] = {}
    pairs = set()
    for k, name in enumerate(header):
        if name in first:
            pairs.add((first[name], k))
        else:
            first[name] = k
    return pairs


def layout_width_fits(header: tuple[str, ...]) -> bool:
    """Whether a header has the repeated names of Strava's bulk layout (whatever its language)."""
    names = LAYOUTS["bulk"]
    return len(header) >= len(names) and _repeats(header[: len(names)]) == _repeats(names)


def layout(text: TextTable) -> tuple[tuple[str, ...] | None, str]:
    """Strava's English header for an ``activities.csv`` whose column names are unknown.

    The ``bulk`` layout is recognised by its repeated names (``Elapsed Time``, ``Distance``, ``Max
    Heart Rate``, ``Relative Effort``, ``Commute`` each twice, at fixed places: the same in every
    language), the ``2019`` layout by its width; then the contents must fit: ids of digits,
    dates, numbers for times and distances, file names under ``activities/``.
    """
    header = text.header
    rows = first_rows(text)
    if rows.empty:
        return None, ""
    for name, names in LAYOUTS.items():
        n = len(names)
        if name == "bulk":
            if len(header) < n or _repeats(header[:n]) != _repeats(names):
                continue
        elif len(header) != n:
            continue
        cols = {k: rows.iloc[:, i] for i, k in enumerate(names) if k not in ("Distance",)}
        ids = cols["Activity ID"].astype("str").str.strip()
        files = cols["Filename"].astype("str").str.strip()
        checks = [
            share(ids.str.fullmatch(r"\d+")) >= FIT_SHARE,
            dates_fit(cols["Activity Date"]),
            numbers_fit(rows.iloc[:, names.index("Distance")]),
            numbers_fit(rows.iloc[:, names.index("Elapsed Time")]),
            share(files.eq("") | files.str.match(_FILENAME)) >= FIT_SHARE,
        ]
        if all(checks):
            return tuple(names) + tuple(header[n:]), ""
    return None, "its columns do not fit Strava's layouts"


def recognise_strava(
    text: TextTable, *, columns: dict | None = None, path=None, use_layout: bool = True
) -> tuple[Recognised | None, str]:
    """``text`` as a Strava ``activities.csv`` with English column names, or None and why not.

    Names from the vocabulary win; columns it does not name take their name from the layout when
    the layout fits and agrees with every name the vocabulary gave.
    """
    found, why = recognise(
        text,
        app="strava",
        matches=matches,
        layout=layout,
        columns=columns,
        fields=_FIELDS,
        path=path,
        use_layout=use_layout,
    )
    if found is None or found.how != "header" or found.language == "en" or not use_layout:
        return found, why
    by_layout, _ = layout(text)
    if by_layout is None:
        return found, why
    named = found.text.header
    known = set(_FIELDS)
    if any(a in known and a != b for a, b in zip(named, by_layout, strict=False)):
        return found, why  # the words and the positions disagree: trust the words only
    merged = tuple(a if a in known else b for a, b in zip(named, by_layout, strict=False))
    merged += named[len(by_layout) :]
    text = translate_table(
        found.text,
        merged,
        "columns the vocabulary does not name were named by Strava's column order",
    )
    return Recognised(text, found.language, found.how), why


def matches(header: tuple[str, ...]) -> tuple[bool, str]:
    """Whether a header is a Strava ``activities.csv``, and why not."""
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        return False, "no Strava column(s) " + ", ".join(missing)
    return True, ""


def _second(frame: pd.DataFrame, name: str) -> pd.Series | None:
    """The second copy of a repeated column (``name.1``), else the only one."""
    if f"{name}.1" in frame:
        return frame[f"{name}.1"]
    return frame[name] if name in frame else None


def read_strava(
    ctx: ReadContext, text: TextTable | None = None, *, streams_from_files: bool = True
) -> ReadResult:
    """Read a Strava ``activities.csv`` into ``runs`` and ``sessions``.

    Parameters
    ----------
    ctx : ReadContext
    text : TextTable, optional
    streams_from_files : bool, default True
        Compute stream metrics from the activity files that ``Filename`` points to.

    Returns
    -------
    ReadResult
        ``runs``: ``athlete_id``, ``start`` (UTC), ``activity_name``, ``distance_m`` [m],
        ``moving_time_s`` [s], ``elapsed_time_s`` [s], ``avg_hr_bpm``, ``max_hr_bpm``
        [beats/min], ``avg_cadence_spm`` [steps/min], ``elevation_gain_m`` [m], ``rpe``,
        ``efficiency_factor_m_per_beat``, ``decoupling_pct``, ``pace_fade_pct`` (from the activity
        file, where there is one), ``activity_id``, ``activity_type``, ``filename``, then
        provenance. ``sessions``: ``start``, ``activity``, ``duration_s`` [s], ``rpe``,
        ``activity_id``.
    """
    text = text or read_text_table(ctx.path, encoding=ctx.encoding)
    found, why = recognise_strava(text, columns=ctx.columns, path=ctx.path)
    if found is None:
        raise ctx.error(
            f"not a Strava activities.csv ({why}; header: {shown_header(text.header)})",
            fix="pass the right source= for this file, or map its columns to Strava's English "
            "names with columns={...} (soleus: --columns)",
        )
    text = found.text
    if found.language not in (None, "en"):
        ctx.note(f"Strava export with {found.language} column names")
    ctx.notes.extend(n for n in text.notes if n not in ctx.notes)
    raw = text.frame
    rows = raw.index.to_numpy()
    raw = raw.reset_index(drop=True)
    dec = text.decimal

    col = partial(text_column, raw)

    start = parse_utc_times(col("Activity Date"), _DATE_FORMATS, ctx, column="start")
    ctx.note(f"Strava's Activity Date is UTC; {ctx.tz} is stored as the athlete's zone")
    kind = col("Activity Type").str.strip()
    distance = _second(raw, "Distance")
    if "Distance.1" in raw:
        distance_m = column_number(distance, dec)
        ctx.note("distance from the second 'Distance' column (metres)")
    elif distance is not None:
        num = parse_number(distance, decimal=decimal_mark(distance, default=dec))
        if ctx.distance_unit is None and num.gt(0).any():
            raise missing_distance_unit(
                ctx, "Distance", "Strava export (one Distance column, in display units)"
            )
        unit = ctx.distance_unit or "km"
        distance_m = num * M_PER_UNIT[unit]
        ctx.note(f"'Distance' read as {unit} (given)")
    else:
        distance_m = pd.Series(np.nan, index=raw.index)
    elapsed = _second(raw, "Elapsed Time")
    moving = column_number(col("Moving Time"), dec)
    out = pd.DataFrame(
        {
            "start": start,
            "activity_name": col("Activity Name").replace("", None),
            "distance_m": distance_m,
            "moving_time_s": moving,
            "elapsed_time_s": column_number(elapsed, dec) if elapsed is not None else np.nan,
            "avg_hr_bpm": column_number(col("Average Heart Rate"), dec),
            "max_hr_bpm": column_number(_second(raw, "Max Heart Rate"), dec)
            if "Max Heart Rate" in raw
            else np.nan,
            "avg_cadence_spm": parse_number(
                col("Average Cadence"), decimal=decimal_mark(col("Average Cadence"), default=dec)
            )
            * 2.0,
            "elevation_gain_m": column_number(col("Elevation Gain"), dec),
            "rpe": column_number(col("Perceived Exertion"), dec),
            "activity_id": col("Activity ID").str.strip(),
            "activity_type": kind,
            "filename": col("Filename").replace("", None),
        }
    )
    for key in ("efficiency_factor_m_per_beat", "decoupling_pct", "pace_fade_pct"):
        out[key] = np.nan
    is_run = _runs(kind, ctx)
    if streams_from_files and "Filename" in raw:
        _stream_metrics(out, is_run, ctx)
    runs = finish(out.loc[is_run], "runs", ctx, source=SOURCE, source_row=rows[is_run])
    duration = pd.to_numeric(out["moving_time_s"], errors="coerce")
    duration = duration.where(duration > 0, pd.to_numeric(out["elapsed_time_s"], errors="coerce"))
    sessions = pd.DataFrame(
        {
            "start": start,
            "activity": kind.str.lower().replace("", None),
            "duration_s": duration,
            "rpe": out["rpe"],
            "activity_id": out["activity_id"],
        }
    )
    ctx.note(
        f"{int(is_run.sum())} run(s) of {len(out)} activities; every activity is also a session"
    )
    sessions = finish(sessions, "sessions", ctx, source=SOURCE, source_row=rows)
    return result(ctx, SOURCE, {"runs": runs, "sessions": sessions})


def _runs(kind: pd.Series, ctx: ReadContext) -> np.ndarray:
    """Which activity types are runs, in any language the vocabulary knows; note unknown ones."""
    kinds = activity_kinds(SOURCE)
    folded = kind.map(fold)
    known = folded.map(kinds)
    is_run = (known.eq("run") | kind.str.lower().isin(RUN_TYPES)).to_numpy()
    unknown = folded.ne("") & known.isna() & ~kind.str.lower().isin(RUN_TYPES)
    if unknown.any():
        counts = kind[unknown].value_counts()
        listed = ", ".join(f"{k!r} ({v})" for k, v in counts.head(5).items())
        ctx.note(
            f"{int(unknown.sum())} activit(ies) of a type the reader does not know ({listed}) "
            "were not taken for runs; they are sessions only"
        )
    return is_run


def safe_member(folder: Path, name: str) -> Path | None:
    """The file ``name`` (as written in an export) inside ``folder``, or None if it leads outside.

    Absolute paths, drive letters, ``..`` that climbs out and links whose target is outside the
    folder are refused.

    Examples
    --------
    >>> safe_member(Path("/data/export"), "activities/1.gpx").as_posix()
    '/data/export/activities/1.gpx'
    >>> safe_member(Path("/data/export"), "../../etc/passwd") is None
    True
    >>> safe_member(Path("/data/export"), "/etc/passwd") is None
    True
    """
    written = name.strip().replace("\\", "/")
    if not written or written.startswith("/") or re.match(r"^[A-Za-z]:", written):
        return None
    root = folder.resolve()
    target = (root / written).resolve()
    if not target.is_relative_to(root):
        return None
    return root / written


def _stream_metrics(out: pd.DataFrame, is_run: np.ndarray, ctx: ReadContext) -> None:
    folder = ctx.path.parent
    done = missing = failed = refused = 0
    for i in np.flatnonzero(is_run):
        name = out.at[i, "filename"]
        if not isinstance(name, str) or not name.strip():
            continue
        path = safe_member(folder, name)
        if path is None:
            refused += 1
            if refused == 1:
                ctx.note(
                    f"Filename {name!r} (line {i + 2}) leads outside the export's folder: refused, "
                    "the activity file is not read (the row is kept)"
                )
            continue
        if not path.is_file():
            missing += 1
            continue
        try:
            stream = read_activity_stream(path, tz=ctx.tz)
        except InputError:
            failed += 1
            continue
        m = streams.run_metrics(stream)
        for key in ("efficiency_factor_m_per_beat", "decoupling_pct", "pace_fade_pct"):
            out.at[i, key] = m[key]
        done += 1
    if done or missing or failed or refused:
        ctx.note(
            f"stream metrics from {done} activity file(s)"
            + (f"; {missing} file(s) named in Filename not found" if missing else "")
            + (f"; {failed} file(s) could not be read" if failed else "")
            + (f"; {refused} Filename(s) outside the export's folder refused" if refused else "")
        )
