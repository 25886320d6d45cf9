"""PMSys-style ``wellness.csv`` and ``srpe.csv`` (the layout of the PMData data set).

- ``wellness.csv``: ``effective_time_frame,fatigue,mood,readiness,sleep_duration_h,sleep_quality,
  soreness,soreness_area,stress``; one report per logged day, time stamped in UTC with
  milliseconds (``2025-01-07T06:48:12.311Z``) at a morning hour of the athlete's local day. The
  ratings keep the PMSys scales: fatigue, mood, sleep quality, soreness and stress 1-5 with 5 the
  best state (very fresh, very good mood, very good sleep, not sore, very relaxed), readiness
  0-10. ``soreness_area`` lists PMSys body-part codes on sore days (soreness 1-2), else ``[]``.
- ``srpe.csv``: ``end_date_time,activity_names,perceived_exertion,duration_min``; one report per
  session whose RPE was logged, ``activity_names`` as ``['individual', 'running']`` or
  ``['individual', 'strength']``. ``end_date_time`` is the session's end (start plus duration) with
  the report's milliseconds, so that the reader's start (end minus duration) is the session's start
  to within a second.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soleus_analysis.simulation.writers.text import csv_bytes, num

__all__ = ["srpe_bytes", "wellness_bytes"]

_CALF_AREAS = ("[12921003]", "[12921003, 12921004]", "[12921004]")


def _iso_ms(stamps: pd.Series, millis: np.ndarray) -> list[str]:
    return [
        f"{t.strftime('%Y-%m-%dT%H:%M:%S')}.{int(ms):03d}Z"
        for t, ms in zip(stamps, millis, strict=True)
    ]


def wellness_bytes(wellness: pd.DataFrame) -> bytes:
    """One athlete's wellness reports (in order) as PMSys ``wellness.csv``.

    ``wellness`` holds ``reported_at`` (UTC, whole seconds), ``millis`` (0-999), the ratings and
    ``sleep_duration_h``, and ``soreness_area_pick`` (an index into the calf codes, used on sore
    days).
    """
    times = _iso_ms(wellness["reported_at"], wellness["millis"].to_numpy())
    rows = []
    for k, r in enumerate(wellness.itertuples(index=False)):
        area = _CALF_AREAS[int(r.soreness_area_pick)] if r.soreness <= 2 else "[]"
        rows.append(
            (
                times[k],
                num(r.fatigue, 0),
                num(r.mood, 0),
                num(r.readiness, 0),
                num(r.sleep_duration_h, 1),
                num(r.sleep_quality, 0),
                num(r.soreness, 0),
                area,
                num(r.stress, 0),
            )
        )
    header = (
        "effective_time_frame",
        "fatigue",
        "mood",
        "readiness",
        "sleep_duration_h",
        "sleep_quality",
        "soreness",
        "soreness_area",
        "stress",
    )
    return csv_bytes(header, rows)


def srpe_bytes(sessions: pd.DataFrame) -> bytes:
    """One athlete's session-RPE reports (in order) as PMSys ``srpe.csv``.

    ``sessions`` holds ``start`` (UTC), ``activity``, ``duration_s`` (whole minutes), ``rpe``
    and ``millis`` (1-999).
    """
    end = sessions["start"] + pd.to_timedelta(sessions["duration_s"], unit="s")
    times = _iso_ms(end.dt.tz_convert("UTC"), sessions["millis"].to_numpy())
    rows = [
        (times[k], f"['individual', '{act}']", num(rpe, 0), num(dur / 60.0, 0))
        for k, (act, rpe, dur) in enumerate(
            zip(sessions["activity"], sessions["rpe"], sessions["duration_s"], strict=True)
        )
    ]
    header = ("end_date_time", "activity_names", "perceived_exertion", "duration_min")
    return csv_bytes(header, rows)
