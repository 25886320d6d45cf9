"""PMSys exports (as in PMData) -> ``sessions`` (``srpe.csv``) and ``wellness``.

Three files, recognised by their header:

- ``srpe.csv``: ``end_date_time,activity_names,perceived_exertion,duration_min`` -> ``sessions``.
  The start is ``end_date_time - duration_min``; ``activity`` lists the logged activity names
  without the ``individual``/``team`` qualifier, which goes to ``setting`` (``['individual',
  'strength', 'running']`` -> activity ``strength, running``, setting ``individual``). Rows logged
  without anything (``{}``) are kept with ``activity`` missing, so validation rejects them.
  ``perceived_exertion`` is session RPE on Borg's CR-10 scale (0-10).
- ``wellness.csv``: ``effective_time_frame,fatigue,mood,readiness,sleep_duration_h,
  sleep_quality,soreness,soreness_area,stress`` -> ``wellness``, one row per report.
- ``injury.csv``: ``effective_time_frame,injuries`` -> ``wellness`` rows with the ``injury``
  column only, as ``area:severity`` items separated by ``;`` (``{'left_leg': 'minor'}`` ->
  ``left_leg:minor``); a report of no injury (``{}``) is ``none``.

Wellness scales (kept as logged; PMData, Thambawita et al. 2020, and the PMSys questionnaire)
------------------------------------------------------------------------------------------
``fatigue``, ``mood``, ``sleep_quality``, ``soreness`` and ``stress`` are 1-5 ratings where **higher
is better**: 1 = very tired / very low mood / very poor sleep / very sore / very stressed,
5 = very fresh / very good mood / very good sleep / not sore / very relaxed. ``readiness`` is 0-10
(higher = more ready to train). ``sleep_duration_h`` is hours. The direction was checked on the
PMData files themselves: all five ratings correlate positively with readiness (r = 0.15 to 0.44
over 1,747 reports of 16 participants). A 0 in a 1-5 rating (5 PMData reports) is outside the
scale and is kept, so validation rejects the report. ``soreness_area`` holds the PMSys body-part
codes as logged (e.g. ``[12921003]``).

Times: ``effective_time_frame`` and ``end_date_time`` are UTC (``...Z``). The wellness ``date`` is
the local calendar date of the report in the athlete's zone ``tz`` (PMData: ``Europe/Oslo``).
"""

from __future__ import annotations

import ast

import numpy as np
import pandas as pd

from soleus_analysis.readers.common import (
    ReadContext,
    ReadResult,
    finish,
    local_dates,
    parse_utc_times,
    result,
)
from soleus_analysis.readers.sets import number, scale
from soleus_analysis.textfile import TextTable, read_text_table

__all__ = ["WELLNESS_SCALES", "kind_of", "read_pmsys"]

SOURCE = "pmsys"
_TIME_FORMATS = ("%Y-%m-%dT%H:%M:%S.%fZ", "%Y-%m-%dT%H:%M:%SZ")
_HEADERS = {
    "srpe": ("end_date_time", "activity_names", "perceived_exertion", "duration_min"),
    "wellness": (
        "effective_time_frame",
        "fatigue",
        "mood",
        "readiness",
        "sleep_duration_h",
        "sleep_quality",
        "soreness",
        "stress",
    ),
    "injury": ("effective_time_frame", "injuries"),
}
_QUALIFIERS = {"individual", "team"}
#: Scale of each PMSys wellness rating: (low, high, meaning of the low end, of the high end).
WELLNESS_SCALES = {
    "fatigue": (1, 5, "very tired", "very fresh"),
    "mood": (1, 5, "very low", "very good"),
    "sleep_quality": (1, 5, "very poor", "very good"),
    "soreness": (1, 5, "very sore", "not sore"),
    "stress": (1, 5, "very stressed", "very relaxed"),
    "readiness": (0, 10, "not ready", "fully ready"),
}


def kind_of(header: tuple[str, ...]) -> str | None:
    """``srpe``, ``wellness`` or ``injury`` for a PMSys header, else None."""
    for kind, needed in _HEADERS.items():
        if all(c in header for c in needed):
            return kind
    return None


def matches(header: tuple[str, ...]) -> tuple[bool, str]:
    """Whether a header is a PMSys export, and why not."""
    if kind_of(header) is None:
        return False, "not the srpe.csv, wellness.csv or injury.csv header of PMSys"
    return True, ""


def _literal(text: str) -> object:
    try:
        return ast.literal_eval(text.strip()) if text and text.strip() else None
    except (ValueError, SyntaxError, TypeError, RecursionError, MemoryError):
        # Not a literal (or one nested too deeply to read): kept as text, never executed.
        return text


def read_pmsys(ctx: ReadContext, text: TextTable | None = None) -> ReadResult:
    """Read a PMSys ``srpe.csv``, ``wellness.csv`` or ``injury.csv``.

    Returns
    -------
    ReadResult
        ``srpe.csv`` -> ``sessions``: ``athlete_id``, ``start`` (UTC), ``activity``,
        ``duration_s`` [s], ``rpe`` (CR-10), ``setting``, ``end`` (UTC), provenance.
        ``wellness.csv`` -> ``wellness``: ``athlete_id``, ``date`` (local), ``fatigue``, ``mood``,
        ``readiness``, ``sleep_duration_h`` [h], ``sleep_quality``, ``soreness``,
        ``soreness_area``, ``stress`` (scales in the module docstring), ``reported_at`` (UTC),
        ``timezone``, provenance. ``injury.csv`` -> ``wellness``: ``athlete_id``, ``date``,
        ``injury``, ``reported_at``, ``timezone``, provenance.
    """
    text = text or read_text_table(ctx.path, encoding=ctx.encoding)
    kind = kind_of(text.header)
    if kind is None:
        raise ctx.error(
            "not a PMSys export (header is not srpe, wellness or injury)",
            fix="pass the right source= for this file",
        )
    ctx.notes.extend(n for n in text.notes if n not in ctx.notes)
    raw = text.frame
    rows = raw.index.to_numpy()
    raw = raw.reset_index(drop=True)
    if kind == "srpe":
        return result(ctx, SOURCE, {"sessions": _srpe(raw, rows, ctx)})
    if kind == "wellness":
        return result(ctx, SOURCE, {"wellness": _wellness(raw, rows, ctx)})
    return result(ctx, SOURCE, {"wellness": _injury(raw, rows, ctx)})


def _srpe(raw: pd.DataFrame, rows: np.ndarray, ctx: ReadContext) -> pd.DataFrame:
    end = parse_utc_times(raw["end_date_time"], _TIME_FORMATS, ctx, column="end_date_time")
    minutes = pd.to_numeric(raw["duration_min"].str.strip(), errors="coerce")
    names = raw["activity_names"].map(_literal)
    activity, setting = [], []
    for item in names:
        if isinstance(item, list | tuple):
            acts = [str(a) for a in item if str(a) not in _QUALIFIERS]
            quals = [str(a) for a in item if str(a) in _QUALIFIERS]
            activity.append(", ".join(acts) if acts else None)
            setting.append(", ".join(quals) if quals else None)
        elif isinstance(item, str):
            activity.append(item)
            setting.append(None)
        else:
            activity.append(None)
            setting.append(None)
    empty = sum(a is None for a in activity)
    if empty:
        ctx.note(
            f"{empty} session report(s) name no activity; kept so that validation rejects them"
        )
    is_time = pd.api.types.is_datetime64_any_dtype(end)
    start = end - pd.to_timedelta(minutes, unit="min") if is_time else end
    ctx.note("session start = end_date_time - duration_min (UTC)")
    out = pd.DataFrame(
        {
            "start": start,
            "activity": activity,
            "duration_s": scale(number(raw["duration_min"], "."), 60.0),
            "rpe": number(raw["perceived_exertion"], "."),
            "setting": setting,
            "end": end,
        }
    )
    return finish(out, "sessions", ctx, source=SOURCE, source_row=rows)


def _report_dates(raw: pd.DataFrame, ctx: ReadContext) -> tuple[pd.Series, pd.Series]:
    at = parse_utc_times(
        raw["effective_time_frame"], _TIME_FORMATS, ctx, column="effective_time_frame"
    )
    if pd.api.types.is_datetime64_any_dtype(at):
        dates = local_dates(at, ctx.tz)
    else:
        ok = at.map(lambda v: isinstance(v, pd.Timestamp))
        dates = pd.Series(pd.NaT, index=at.index, dtype="datetime64[us]").astype(object)
        good = pd.to_datetime(at[ok], utc=True)
        dates[ok] = local_dates(good, ctx.tz)
        dates[~ok] = at[~ok]
    how = (
        "given"
        if ctx.tz_given
        else "default; PMData participants lived in Norway: tz='Europe/Oslo'"
    )
    ctx.note(f"date = local date of the report in {ctx.tz} ({how})")
    return at, dates


def _wellness(raw: pd.DataFrame, rows: np.ndarray, ctx: ReadContext) -> pd.DataFrame:
    at, dates = _report_dates(raw, ctx)
    out = pd.DataFrame({"date": dates})
    for name in (
        "fatigue",
        "mood",
        "readiness",
        "sleep_duration_h",
        "sleep_quality",
        "soreness",
        "stress",
    ):
        out[name] = number(raw[name], ".")
    if "soreness_area" in raw:
        out["soreness_area"] = raw["soreness_area"].replace({"": None, "[]": None})
    out["reported_at"] = at
    out["timezone"] = ctx.tz
    ctx.note(
        "ratings kept as logged: fatigue, mood, sleep_quality, soreness, stress 1-5 and "
        "readiness 0-10, higher = better (see the pmsys reader's docstring)"
    )
    return finish(out, "wellness", ctx, source=SOURCE, source_row=rows)


def _injury_text(item: object) -> str | None:
    if isinstance(item, dict):
        if not item:
            return "none"
        return ";".join(f"{area}:{severity}" for area, severity in sorted(item.items()))
    if item is None:
        return None
    return str(item)


def _injury(raw: pd.DataFrame, rows: np.ndarray, ctx: ReadContext) -> pd.DataFrame:
    at, dates = _report_dates(raw, ctx)
    injury = raw["injuries"].map(_literal).map(_injury_text)
    ctx.note(
        "injury reports as 'area:severity' items separated by ';'; 'none' = no injury reported"
    )
    out = pd.DataFrame({"date": dates, "injury": injury, "reported_at": at, "timezone": ctx.tz})
    return finish(out, "wellness", ctx, source=SOURCE, source_row=rows)
