"""Activity files of a run's record stream: GPX, TCX and FIT, gzip-compressed as Strava stores them.

- **GPX 1.1** as Strava exports it (``creator="StravaGPX"``, ``trk/type`` = ``9`` for a run), with
  the Garmin ``TrackPointExtension`` v1 heart rate (``gpxtpx:hr``) and cadence (``gpxtpx:cad``,
  per leg).
- **TCX** (TrainingCenterDatabase v2): one ``Activity Sport="Running"``, one lap with the run's
  summary, trackpoints with ``DistanceMeters``, ``HeartRateBpm``, ``AltitudeMeters``, position and
  ``TPX/RunCadence`` (per leg).
- **FIT**, encoded with ``fit-tool`` (BSD-3-Clause): ``file_id``, timer ``event`` messages around
  the run and its pause, one ``record`` per sample (``distance`` in cm, positions in semicircles,
  ``heart_rate``, ``cadence`` per leg, ``altitude``), one ``lap``, one ``session`` (sport
  running; total distance, timer and elapsed time, average and maximum heart rate, ascent, average
  cadence as recorded) and the ``activity`` message.

Every writer returns the file's bytes; :func:`gzipped` compresses them without a time stamp so
that the same stream always gives the same bytes.
"""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd

__all__ = ["fit_bytes", "gpx_bytes", "gzipped", "tcx_bytes"]

_FIT_EPOCH_S = 631_065_600  # 1989-12-31T00:00:00Z in Unix seconds

_GPX_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gpx creator="StravaGPX" version="1.1" xmlns="http://www.topografix.com/GPX/1/1" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.topografix.com/GPX/1/1 '
    'http://www.topografix.com/GPX/1/1/gpx.xsd" '
    'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
)


def gzipped(data: bytes) -> bytes:
    """Gzip ``data`` reproducibly (no file name, modification time 0)."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def _iso(times: pd.Series) -> list[str]:
    return times.dt.strftime("%Y-%m-%dT%H:%M:%SZ").tolist()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def gpx_bytes(stream: pd.DataFrame, *, name: str) -> bytes:
    """A Strava-style GPX file of one run."""
    times = _iso(stream["time"])
    parts = [
        _GPX_HEAD,
        f" <metadata>\n  <time>{times[0]}</time>\n </metadata>\n",
        f" <trk>\n  <name>{_escape(name)}</name>\n  <type>9</type>\n  <trkseg>\n",
    ]
    hr = stream["heart_rate_bpm"].to_numpy()
    cad = stream["cadence_spm"].to_numpy() / 2.0
    for k, (lat, lon, ele) in enumerate(
        zip(stream["latitude_deg"], stream["longitude_deg"], stream["altitude_m"], strict=True)
    ):
        ext = ""
        if np.isfinite(hr[k]) or np.isfinite(cad[k]):
            ext = "    <extensions>\n     <gpxtpx:TrackPointExtension>\n"
            if np.isfinite(hr[k]):
                ext += f"      <gpxtpx:hr>{int(hr[k])}</gpxtpx:hr>\n"
            if np.isfinite(cad[k]):
                ext += f"      <gpxtpx:cad>{int(cad[k])}</gpxtpx:cad>\n"
            ext += "     </gpxtpx:TrackPointExtension>\n    </extensions>\n"
        parts.append(
            f'   <trkpt lat="{lat:.7f}" lon="{lon:.7f}">\n    <ele>{ele:.1f}</ele>\n'
            f"    <time>{times[k]}</time>\n{ext}   </trkpt>\n"
        )
    parts.append("  </trkseg>\n </trk>\n</gpx>\n")
    return "".join(parts).encode("utf-8")


def tcx_bytes(stream: pd.DataFrame, *, summary: dict) -> bytes:
    """A Garmin TCX file of one run; ``summary`` holds ``moving_time_s``, ``distance_m``,
    ``avg_hr_bpm`` and ``max_hr_bpm`` (NaN when not recorded)."""
    times = _iso(stream["time"])
    hr = stream["heart_rate_bpm"].to_numpy()
    cad = stream["cadence_spm"].to_numpy() / 2.0
    lap_hr = ""
    if np.isfinite(summary["avg_hr_bpm"]):
        lap_hr = (
            f"    <AverageHeartRateBpm><Value>{int(round(summary['avg_hr_bpm']))}</Value>"
            "</AverageHeartRateBpm>\n"
            f"    <MaximumHeartRateBpm><Value>{int(round(summary['max_hr_bpm']))}</Value>"
            "</MaximumHeartRateBpm>\n"
        )
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<TrainingCenterDatabase "
        'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">\n'
        ' <Activities>\n  <Activity Sport="Running">\n'
        f"   <Id>{times[0]}</Id>\n"
        f'   <Lap StartTime="{times[0]}">\n'
        f"    <TotalTimeSeconds>{summary['elapsed_time_s']:.1f}</TotalTimeSeconds>\n"
        f"    <DistanceMeters>{summary['distance_m']:.1f}</DistanceMeters>\n"
        "    <Calories>0</Calories>\n"
        f"{lap_hr}"
        "    <Intensity>Active</Intensity>\n    <TriggerMethod>Manual</TriggerMethod>\n"
        "    <Track>\n"
    ]
    for k, (lat, lon, ele, dist) in enumerate(
        zip(
            stream["latitude_deg"],
            stream["longitude_deg"],
            stream["altitude_m"],
            stream["distance_m"],
            strict=True,
        )
    ):
        hr_text = (
            f"      <HeartRateBpm><Value>{int(hr[k])}</Value></HeartRateBpm>\n"
            if np.isfinite(hr[k])
            else ""
        )
        cad_text = (
            "      <Extensions><ns3:TPX><ns3:RunCadence>"
            f"{int(cad[k])}</ns3:RunCadence></ns3:TPX></Extensions>\n"
            if np.isfinite(cad[k])
            else ""
        )
        parts.append(
            f"     <Trackpoint>\n      <Time>{times[k]}</Time>\n"
            f"      <Position><LatitudeDegrees>{lat:.7f}</LatitudeDegrees>"
            f"<LongitudeDegrees>{lon:.7f}</LongitudeDegrees></Position>\n"
            f"      <AltitudeMeters>{ele:.1f}</AltitudeMeters>\n"
            f"      <DistanceMeters>{dist:.2f}</DistanceMeters>\n"
            f"{hr_text}{cad_text}     </Trackpoint>\n"
        )
    parts.append(
        "    </Track>\n   </Lap>\n  </Activity>\n </Activities>\n</TrainingCenterDatabase>\n"
    )
    return "".join(parts).encode("utf-8")


def fit_bytes(stream: pd.DataFrame, *, summary: dict, serial: int, utc_offset_s: int) -> bytes:
    """A Garmin FIT activity file of one run, encoded with ``fit-tool``.

    Parameters
    ----------
    stream : DataFrame
        The record stream (see :func:`.streams.synthesise`).
    summary : dict
        ``distance_m``, ``moving_time_s``, ``elapsed_time_s``, ``avg_hr_bpm``, ``max_hr_bpm``,
        ``avg_cadence_spm``, ``elevation_gain_m`` of the run as the watch recorded them.
    serial : int
        The device's serial number (``file_id``).
    utc_offset_s : int
        The device's offset from UTC at the start [s], for ``activity.local_timestamp``.
    """
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.activity_message import ActivityMessage
    from fit_tool.profile.messages.event_message import EventMessage
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.lap_message import LapMessage
    from fit_tool.profile.messages.record_message import RecordMessage
    from fit_tool.profile.messages.session_message import SessionMessage
    from fit_tool.profile.profile_type import (
        Event,
        EventType,
        FileType,
        Manufacturer,
        Sport,
        SubSport,
    )

    ms = (stream["time"].astype("int64") // 1000).to_numpy()  # us -> ms since the Unix epoch
    start_ms, end_ms = int(ms[0]), int(ms[-1])
    builder = FitFileBuilder(auto_define=True, min_string_size=0)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.GARMIN.value
    file_id.product = 3113
    file_id.serial_number = int(serial)
    file_id.time_created = start_ms
    builder.add(file_id)

    def timer(when: int, kind) -> None:
        event = EventMessage()
        event.event = Event.TIMER
        event.event_type = kind
        event.timestamp = when
        builder.add(event)

    timer(start_ms, EventType.START)
    dist = stream["distance_m"].to_numpy()
    hr = stream["heart_rate_bpm"].to_numpy()
    cad = stream["cadence_spm"].to_numpy() / 2.0
    alt = stream["altitude_m"].to_numpy()
    lat, lon = stream["latitude_deg"].to_numpy(), stream["longitude_deg"].to_numpy()
    for k in range(len(stream)):
        if k and dist[k] == dist[k - 1]:
            # The pause: the watch stops the timer and records nothing until it restarts.
            timer(int(ms[k - 1]), EventType.STOP_ALL)
            timer(int(ms[k]), EventType.START)
        record = RecordMessage()
        record.timestamp = int(ms[k])
        record.position_lat = float(lat[k])
        record.position_long = float(lon[k])
        record.distance = float(dist[k])
        record.altitude = float(alt[k])
        if np.isfinite(hr[k]):
            record.heart_rate = int(hr[k])
        if np.isfinite(cad[k]):
            record.cadence = int(cad[k])
        builder.add(record)
    timer(end_ms, EventType.STOP_ALL)
    totals = {
        "total_elapsed_time": float(summary["elapsed_time_s"]),
        "total_timer_time": float(summary["moving_time_s"]),
        "total_distance": float(summary["distance_m"]),
    }
    lap = LapMessage()
    lap.timestamp = end_ms
    lap.start_time = start_ms
    for key, value in totals.items():
        setattr(lap, key, value)
    builder.add(lap)
    session = SessionMessage()
    session.timestamp = end_ms
    session.start_time = start_ms
    session.sport = Sport.RUNNING
    session.sub_sport = SubSport.GENERIC
    for key, value in totals.items():
        setattr(session, key, value)
    if np.isfinite(summary["avg_hr_bpm"]):
        session.avg_heart_rate = int(round(summary["avg_hr_bpm"]))
        session.max_heart_rate = int(round(summary["max_hr_bpm"]))
    if np.isfinite(summary["elevation_gain_m"]):
        session.total_ascent = int(round(summary["elevation_gain_m"]))
    if np.isfinite(summary["avg_cadence_spm"]):
        session.avg_running_cadence = int(summary["avg_cadence_spm"] // 2)
    builder.add(session)
    activity = ActivityMessage()
    activity.timestamp = end_ms
    activity.num_sessions = 1
    activity.total_timer_time = float(summary["moving_time_s"])
    activity.local_timestamp = end_ms // 1000 - _FIT_EPOCH_S + int(utc_offset_s)
    builder.add(activity)
    return builder.build().to_bytes()
