"""Garmin TCX (TrainingCenterDatabase v2) activities -> ``runs`` with streams (formats.md §3.3).

Parsed with the standard library's XML parser (``xml.etree.ElementTree``); namespaces are matched
by local name so that files with and without prefixes read alike. Gzip-compressed files (Strava's
``activities/<id>.tcx.gz``) are read like plain ones.

- One ``Activity`` is one activity; ``Sport="Running"`` gives a ``runs`` row, ``Biking`` and
  ``Other`` a ``sessions`` row only (TCX has no strength sets).
- Summary from the laps: distance = sum of ``Lap/DistanceMeters``, elapsed time = sum of
  ``Lap/TotalTimeSeconds``, average heart rate = lap averages weighted by lap time, maximum = the
  largest lap maximum. Moving time, pace, efficiency factor, decoupling and pace fade come from the
  track stream (:mod:`soleus_analysis.readers.streams`).
- Stream: ``Time`` (UTC), ``DistanceMeters``, ``TPX/Speed``, ``HeartRateBpm/Value``,
  ``AltitudeMeters``, cadence (``TPX/RunCadence`` or ``Cadence``, per leg, doubled to steps/min),
  ``Position``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd

from soleus_analysis.readers import streams
from soleus_analysis.readers.common import (
    LocalNames,
    ReadContext,
    ReadResult,
    finish_rows,
    read_bytes,
    result,
)
from soleus_analysis.readers.runs import RUN_NOTE, run_row, session_row

__all__ = ["read_tcx", "read_tcx_stream"]

SOURCE = "tcx"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element, *path: str, local: LocalNames | None = None) -> ET.Element | None:
    node = el
    local = LocalNames() if local is None else local
    for name in path:
        node = next((c for c in node if local[c.tag] == name), None)
        if node is None:
            return None
    return node


def _float(el: ET.Element | None) -> float:
    if el is None or el.text is None:
        return np.nan
    try:
        return float(el.text)
    except ValueError:
        return np.nan


def _find_local(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el.iter() if _local(c.tag) == name), None)


def _parse(ctx: ReadContext) -> ET.Element:
    raw = read_bytes(ctx.path)
    if not raw.strip():
        raise ctx.error("the file is empty", fix="export the activity again")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ctx.error(
            f"the TCX file cannot be parsed ({exc}); it may be truncated",
            fix="export or copy the complete file again",
        ) from None
    if _local(root.tag) != "TrainingCenterDatabase":
        raise ctx.error(
            f"not a TCX file (root element {_local(root.tag)!r})", fix="pass a .tcx file"
        )
    return root


def _activities(root: ET.Element) -> list[ET.Element]:
    acts = _child(root, "Activities")
    return [] if acts is None else [a for a in acts if _local(a.tag) == "Activity"]


def _trackpoint(tp: ET.Element, local: LocalNames) -> tuple | None:
    """One Trackpoint's values, reading its children once (None without a time)."""
    time = dist = alt = hr = lat = lon = cadence = None
    for child in tp:
        name = local[child.tag]
        if name == "Time":
            time = child
        elif name == "DistanceMeters":
            dist = child
        elif name == "AltitudeMeters":
            alt = child
        elif name == "HeartRateBpm":
            hr = _child(child, "Value", local=local)
        elif name == "Position":
            lat = _child(child, "LatitudeDegrees", local=local)
            lon = _child(child, "LongitudeDegrees", local=local)
        elif name == "Cadence":
            cadence = child
    if time is None or not time.text:
        return None
    # Extensions (TPX/Speed, TPX/RunCadence) may sit at any depth: the first one found counts.
    speed = run_cad = None
    for el in tp.iter():
        name = local[el.tag]
        if name == "Speed" and speed is None:
            speed = el
        elif name == "RunCadence" and run_cad is None:
            run_cad = el
    cad = _float(run_cad) if run_cad is not None else _float(cadence)
    return (
        time.text.strip(),
        _float(dist),
        _float(speed),
        _float(hr),
        _float(alt),
        2.0 * cad,
        _float(lat),
        _float(lon),
    )


def _stream(activity: ET.Element) -> pd.DataFrame:
    rows = []
    local = LocalNames()
    for tp in activity.iter():
        if local[tp.tag] != "Trackpoint":
            continue
        row = _trackpoint(tp, local)
        if row is not None:
            rows.append(row)
    if not rows:
        return streams.empty_stream()
    cols = [
        "time",
        "distance_m",
        "speed_m_s",
        "heart_rate_bpm",
        "altitude_m",
        "cadence_spm",
        "latitude_deg",
        "longitude_deg",
    ]
    out = pd.DataFrame(rows, columns=cols)
    out["time"] = pd.to_datetime(out["time"], utc=True, format="ISO8601").dt.as_unit("us")
    out = out.sort_values("time", kind="stable").reset_index(drop=True)
    out.insert(1, "elapsed_s", (out["time"] - out["time"].iloc[0]).dt.total_seconds())
    return out


def read_tcx_stream(ctx: ReadContext) -> pd.DataFrame:
    """The track stream of a TCX file (all activities, in file order)."""
    return streams.concat([_stream(a) for a in _activities(_parse(ctx))])


def read_tcx(ctx: ReadContext) -> ReadResult:
    """Read a TCX file into ``runs`` (one row per running activity) and ``sessions``.

    Returns
    -------
    ReadResult
        ``runs``: ``athlete_id``, ``start`` (UTC, ``Id``), ``activity_name`` (``Notes`` or the
        sport), ``distance_m`` [m], ``moving_time_s`` [s], ``elapsed_time_s`` [s], ``avg_hr_bpm``,
        ``max_hr_bpm`` [beats/min], ``avg_cadence_spm`` [steps/min], ``elevation_gain_m`` [m],
        ``efficiency_factor_m_per_beat`` [m/beat], ``decoupling_pct`` [%], ``pace_fade_pct`` [%],
        ``avg_pace_s_per_km`` [s/km], ``n_records``, ``n_laps``, then provenance (``source_row``
        = activity number from 1). ``sessions``: one row per activity.
    """
    acts = _activities(_parse(ctx))
    if not acts:
        raise ctx.error("the TCX file has no activity", fix="export an activity, not a course")
    runs, sessions = [], []
    for k, act in enumerate(acts):
        sport = act.get("Sport") or "Other"
        laps = [c for c in act if _local(c.tag) == "Lap"]
        lap_time = np.array([_float(_child(lap, "TotalTimeSeconds")) for lap in laps])
        lap_dist = np.array([_float(_child(lap, "DistanceMeters")) for lap in laps])
        lap_avg = np.array([_float(_child(lap, "AverageHeartRateBpm", "Value")) for lap in laps])
        lap_max = np.array([_float(_child(lap, "MaximumHeartRateBpm", "Value")) for lap in laps])
        ident = _child(act, "Id")
        start = (
            pd.to_datetime(ident.text.strip(), utc=True, format="ISO8601")
            if ident is not None and ident.text
            else pd.NaT
        )
        stream = _stream(act)
        if pd.isna(start) and len(stream):
            start = stream["time"].iloc[0]
        ok = np.isfinite(lap_avg) & np.isfinite(lap_time) & (lap_time > 0)
        avg_hr = (
            float((lap_avg[ok] * lap_time[ok]).sum() / lap_time[ok].sum()) if ok.any() else np.nan
        )
        notes = _child(act, "Notes")
        name = notes.text.strip() if notes is not None and notes.text else sport
        recorded = {
            "distance_m": float(np.nansum(lap_dist)) if np.isfinite(lap_dist).any() else np.nan,
            "elapsed_time_s": float(np.nansum(lap_time)) if np.isfinite(lap_time).any() else np.nan,
            "avg_hr_bpm": avg_hr,
            "max_hr_bpm": float(np.nanmax(lap_max)) if np.isfinite(lap_max).any() else np.nan,
        }
        row = run_row(stream, start=start, name=name, **recorded)
        row["n_laps"] = len(laps)
        row["row"] = k + 1
        if sport.lower() == "running":
            runs.append(row)
        sessions.append(session_row(start, sport.lower(), row["moving_time_s"], k + 1))
    tables = {}
    if runs:
        ctx.note(RUN_NOTE)
        tables["runs"] = finish_rows(pd.DataFrame(runs), "runs", ctx, source=SOURCE)
    frame = pd.DataFrame(sessions)
    frame["start"] = pd.to_datetime(frame["start"], utc=True).dt.as_unit("us")
    tables["sessions"] = finish_rows(frame, "sessions", ctx, source=SOURCE)
    return result(ctx, SOURCE, tables)
