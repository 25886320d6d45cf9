"""GPX 1.0/1.1 tracks -> ``runs`` with their record streams (formats.md §3.4).

Parsed with ``gpxpy``; gzip-compressed files (Strava's ``activities/<id>.gpx.gz``) are read
like plain ones. Each track (``trk``) is one activity. GPX has no summary: every ``runs``
column comes from the stream (conventions in :mod:`soleus_analysis.readers.streams`).

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

import gpxpy
import gpxpy.gpx
import numpy as np
import pandas as pd

from soleus_analysis.readers import streams
from soleus_analysis.readers._common import ReadContext, ReadResult, finish_rows, read_bytes, result
from soleus_analysis.readers._runs import RUN_NOTE, haversine_m, run_row, session_row

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


def _parse(ctx: ReadContext) -> gpxpy.gpx.GPX:
    try:
        text = read_bytes(ctx.path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ctx.error("not a GPX file (not UTF-8 text)", fix="pass a .gpx file") from None
    if not text.strip():
        raise ctx.error("the file is empty", fix="export the activity again")
    try:
        return gpxpy.parse(text)
    except gpxpy.gpx.GPXException as exc:
        raise ctx.error(
            f"the GPX file cannot be parsed ({str(exc).splitlines()[0]}); it may be truncated",
            fix="export or copy the complete file again",
        ) from None


def _ext_value(point: gpxpy.gpx.GPXTrackPoint, name: str) -> float:
    for ext in point.extensions:
        for el in ext.iter():
            if el.tag.rsplit("}", 1)[-1] == name and el.text:
                try:
                    return float(el.text)
                except ValueError:
                    return np.nan
    return np.nan


def _track_stream(track: gpxpy.gpx.GPXTrack) -> pd.DataFrame:
    points = [p for seg in track.segments for p in seg.points]
    if not points:
        return streams.empty_stream()
    times = pd.to_datetime([p.time for p in points], utc=True).as_unit("us")
    lat = np.array([p.latitude for p in points], dtype="float64")
    lon = np.array([p.longitude for p in points], dtype="float64")
    ele = np.array(
        [np.nan if p.elevation is None else p.elevation for p in points], dtype="float64"
    )
    hr = np.array([_ext_value(p, "hr") for p in points])
    cad = np.array([_ext_value(p, "cad") for p in points])
    speed_ext = np.array([_ext_value(p, "speed") for p in points])
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
    return streams.concat([_track_stream(t) for t in _parse(ctx).tracks])


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
    gpx = _parse(ctx)
    if not gpx.tracks:
        raise ctx.error("the GPX file has no track", fix="export the activity as a GPX track")
    runs, sessions = [], []
    untyped = 0
    glitches = 0
    for k, track in enumerate(gpx.tracks):
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
