"""GPX 1.0/1.1 tracks -> ``runs`` with their record streams (formats.md §3.4).

Parsed with the standard library's XML parser (``xml.etree.ElementTree``, whose C parser is
about six times faster than ``gpxpy`` on the demo cohort's 325 GPX files; elements are matched by
local name, so GPX 1.0 and 1.1 read alike); gzip-compressed files (Strava's
``activities/<id>.gpx.gz``) are read like plain ones. Each track (``trk``) is one activity. GPX has
no summary: every ``runs`` column comes from the stream (conventions in
:mod:`soleus_analysis.readers.streams`).

Stream: ``time`` (``trkpt/time``, UTC), ``distance_m`` (cumulative great-circle distance between
points; a point reached from the last good point faster than :data:`MAX_GPS_SPEED_M_S` over at
least one second is a GPS jump and adds no distance, and the notes count such points),
``speed_m_s`` (distance / time between points, or the TrackPointExtension v2 ``speed`` when
present), ``heart_rate_bpm`` (``gpxtpx:hr``), ``cadence_spm`` (``gpxtpx:cad`` is per leg, as
in FIT; doubled to steps per minute), ``altitude_m`` (``ele``), ``latitude_deg``,
``longitude_deg``.

A track whose ``type`` names another sport (Strava codes other than ``9``; words other than
run/running) is not a run: it gives a ``sessions`` row only. A track without ``type`` is taken as a
run and the notes say so.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

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
from soleus_analysis.readers.runs import RUN_NOTE, haversine_m, run_row, session_row

__all__ = ["read_gpx", "read_gpx_stream"]

SOURCE = "gpx"
#: A point reached faster than this from the previous good point is a GPS jump [m/s] (faster
#: than a sprinter's top speed, ~12.4 m/s, over at least one second).
MAX_GPS_SPEED_M_S = 12.5
_RUN_TYPES = {
    "9",
    "run",
    "running",
    "trail_running",
    "trail run",
    "virtualrun",
    "treadmill_running",
}


@dataclass
class _Track:
    """One ``trk``: its name, type and points (lat, lon, ele, time text, hr, cad, speed)."""

    name: str | None
    type: str | None
    points: list[tuple]


def _text(el: ET.Element | None) -> str | None:
    return el.text.strip() if el is not None and el.text is not None else None


def _number(text: str | None) -> float:
    if text is None:
        return np.nan
    try:
        return float(text)
    except ValueError:
        return np.nan


_EXTENSION_VALUES = ("hr", "cad", "speed")


def _extensions(ext: ET.Element | None, local: LocalNames) -> tuple[float, float, float]:
    """``hr``, ``cad`` and ``speed`` under a point's ``extensions`` (any namespace, any depth).

    For each, the first element of that name with text counts, as a number (NaN if none).
    """
    found: dict[str, float] = {}
    if ext is not None:
        for el in ext.iter():
            name = local[el.tag]
            if name in _EXTENSION_VALUES and name not in found and el.text:
                found[name] = _number(el.text.strip())
    return tuple(found.get(name, np.nan) for name in _EXTENSION_VALUES)


def _point(pt: ET.Element, ctx: ReadContext, k: int, local: LocalNames) -> tuple:
    try:
        lat, lon = float(pt.get("lat")), float(pt.get("lon"))
    except (TypeError, ValueError):
        raise ctx.error(
            f"track point {k + 1} has no valid lat/lon attributes",
            fix="export the activity again; the GPX file is damaged",
        ) from None
    ele = time = ext = None
    for child in pt:
        name = local[child.tag]
        if name == "ele":
            ele = child
        elif name == "time":
            time = child
        elif name == "extensions":
            ext = child
    return (lat, lon, _number(_text(ele)), _text(time), *_extensions(ext, local))


def _parse(ctx: ReadContext) -> list[_Track]:
    raw = read_bytes(ctx.path)
    if not raw.strip():
        raise ctx.error("the file is empty", fix="export the activity again")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise ctx.error(
            f"the GPX file cannot be parsed ({exc}); it may be truncated",
            fix="export or copy the complete file again",
        ) from None
    local = LocalNames()
    if local[root.tag] != "gpx":
        raise ctx.error(
            f"not a GPX file (root element {local[root.tag]!r})", fix="pass a .gpx file"
        )
    tracks = []
    for trk in root:
        if local[trk.tag] != "trk":
            continue
        name = kind = None
        points: list[tuple] = []
        for child in trk:
            tag = local[child.tag]
            if tag == "name":
                name = child.text
            elif tag == "type":
                kind = child.text
            elif tag == "trkseg":
                for pt in child:
                    if local[pt.tag] == "trkpt":
                        points.append(_point(pt, ctx, len(points), local))
        tracks.append(_Track(name, kind, points))
    return tracks


def _track_stream(track: _Track) -> pd.DataFrame:
    points = track.points
    if not points:
        return streams.empty_stream()
    lat, lon, ele, time_text, hr, cad, speed_ext = (list(c) for c in zip(*points, strict=True))
    times = pd.to_datetime(
        pd.Series(time_text, dtype=object), utc=True, format="ISO8601", errors="coerce"
    )
    times = pd.DatetimeIndex(times).as_unit("us")
    lat = np.array(lat, dtype="float64")
    lon = np.array(lon, dtype="float64")
    ele = np.array(ele, dtype="float64")
    hr = np.array(hr, dtype="float64")
    cad = np.array(cad, dtype="float64")
    speed_ext = np.array(speed_ext, dtype="float64")
    elapsed = np.asarray((times - times[0]).total_seconds(), dtype="float64")
    glitch = _gps_glitches(lat, lon, elapsed)
    step = np.zeros(len(points))
    kept = np.flatnonzero(~glitch)
    step[kept[1:]] = haversine_m(lat[kept], lon[kept])[1:]
    dist = np.cumsum(step)
    with np.errstate(divide="ignore", invalid="ignore"):
        dt = np.diff(elapsed, prepend=np.nan)
        speed = np.where(dt > 0, np.diff(dist, prepend=np.nan) / dt, np.nan)
    speed = np.where(np.isfinite(speed_ext), speed_ext, speed)
    out = pd.DataFrame(
        {
            "time": times,
            "elapsed_s": elapsed,
            "distance_m": dist,
            "speed_m_s": speed,
            "heart_rate_bpm": hr,
            "altitude_m": ele,
            "cadence_spm": 2.0 * cad,
            "latitude_deg": lat,
            "longitude_deg": lon,
        }
    )
    out.attrs["gps_glitches"] = int(glitch.sum())
    return out


def _gps_glitches(lat: np.ndarray, lon: np.ndarray, elapsed: np.ndarray) -> np.ndarray:
    """Points reached from the last good point faster than :data:`MAX_GPS_SPEED_M_S` (GPS jumps)."""
    bad = np.zeros(len(lat), dtype=bool)
    step = haversine_m(lat, lon)[1:]
    if not (step > MAX_GPS_SPEED_M_S * np.maximum(np.diff(elapsed), 1.0)).any():
        return bad
    last = 0
    for i in range(1, len(lat)):
        d = haversine_m(lat[[last, i]], lon[[last, i]])[1]
        dt = elapsed[i] - elapsed[last]
        if d > MAX_GPS_SPEED_M_S * max(dt, 1.0):
            bad[i] = True
        else:
            last = i
    return bad


def read_gpx_stream(ctx: ReadContext) -> pd.DataFrame:
    """The record stream of a GPX file (all tracks, in file order)."""
    return streams.concat([_track_stream(t) for t in _parse(ctx)])


def read_gpx(ctx: ReadContext) -> ReadResult:
    """Read a GPX file into ``runs`` (one row per running track) and ``sessions``.

    Returns
    -------
    ReadResult
        ``runs``: ``athlete_id``, ``start`` (UTC, first point), ``activity_name`` (track name),
        ``distance_m`` [m], ``moving_time_s`` [s], ``elapsed_time_s`` [s], ``avg_hr_bpm``,
        ``max_hr_bpm`` [beats/min], ``avg_cadence_spm`` [steps/min], ``elevation_gain_m`` [m]
        (2 m hysteresis), ``efficiency_factor_m_per_beat`` [m/beat], ``decoupling_pct`` [%],
        ``pace_fade_pct`` [%], ``avg_pace_s_per_km`` [s/km], ``n_records``, ``activity_type``
        (``trk/type`` as given), then provenance (``source_row`` = track number from 1).
        ``sessions``: one row per track (``start``, ``activity``, ``duration_s`` = moving time).
    """
    tracks = _parse(ctx)
    if not tracks:
        raise ctx.error("the GPX file has no track", fix="export the activity as a GPX track")
    runs, sessions = [], []
    untyped = 0
    glitches = 0
    for k, track in enumerate(tracks):
        stream = _track_stream(track)
        glitches += stream.attrs.get("gps_glitches", 0)
        kind = (track.type or "").strip()
        is_run = kind.lower() in _RUN_TYPES or not kind
        untyped += not kind
        start = stream["time"].iloc[0] if len(stream) else pd.NaT
        row = run_row(stream, start=start, name=track.name or None)
        row["activity_type"] = kind or None
        row["row"] = k + 1
        if is_run:
            runs.append(row)
        sessions.append(
            session_row(start, "running" if is_run else kind, row["moving_time_s"], k + 1)
        )
    if glitches:
        ctx.note(f"{glitches} GPS jump(s) (faster than {MAX_GPS_SPEED_M_S} m/s) added no distance")
    if untyped:
        ctx.note(f"{untyped} track(s) without a type were taken as runs")
    if runs:
        ctx.note(RUN_NOTE)
    tables = {}
    if runs:
        tables["runs"] = finish_rows(pd.DataFrame(runs), "runs", ctx, source=SOURCE)
    tables["sessions"] = finish_rows(pd.DataFrame(sessions), "sessions", ctx, source=SOURCE)
    return result(ctx, SOURCE, tables)
