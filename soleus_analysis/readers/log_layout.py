"""Recognise a hand-made running log from its header, so that a study needs no mapping for it.

Many runners keep a spreadsheet with one row per run: ``Date, Distance (km), Time, Avg HR, RPE``.
No app exports it, so no reader knows it; :mod:`soleus_analysis.readers.mapping` reads it once a
mapping names its columns. :func:`guess_running_log` proposes that mapping when the header leaves
no doubt, and only then:

- every column of the header is recognised (a column it cannot place means the file is something
  else, or a layout we should not guess);
- a start date or time, a distance whose unit the header states (``Distance (km)``, ``Miles``) and
  a duration whose unit the header states or whose cells are clock times (``0:36:29``) are there,
  with the average heart rate that the runs table requires;
- each canonical column is claimed once.

A file read this way says so in its notes, with the mapping, so that the user can confirm it or
write their own in ``mapping.toml``.
"""

from __future__ import annotations

import re

from soleus_analysis.readers.mapping import ColumnMapping

__all__ = ["guess_running_log"]

_START = {"date", "datetime", "date time", "date/time", "start", "start time", "activity date",
          "run date", "day"}
_DISTANCE = {"distance", "dist", "km", "kms", "kilometres", "kilometers", "miles", "mi"}
_DURATION = {"time", "duration", "moving time", "elapsed time", "run time", "total time"}
_HR = {"avg hr", "average hr", "avg heart rate", "average heart rate", "heart rate", "hr",
       "avg. hr", "mean hr"}
_RPE = {"rpe", "session rpe", "srpe", "effort", "perceived exertion"}
_NOTES = {"notes", "note", "comment", "comments", "route", "shoes", "weather"}
_UNIT_WORDS = {"km": "km", "kms": "km", "kilometres": "km", "kilometers": "km", "mi": "mi",
               "miles": "mi", "m": "m", "metres": "m", "meters": "m", "s": "s", "sec": "s",
               "seconds": "s", "min": "min", "mins": "min", "minutes": "min", "h": "h",
               "hours": "h", "bpm": "bpm"}
_CLOCK = re.compile(r"^\d{1,3}:\d{2}(:\d{2})?(\.\d+)?$")


def _split(field: str) -> tuple[str, str | None]:
    """A header field's name and the unit it states: ``"Distance (km)"`` -> ("distance", "km")."""
    text = " ".join(field.strip().lower().split())
    match = re.fullmatch(r"(.*?)\s*[\(\[]\s*([a-z]+)\s*[\)\]]", text)
    if match:
        return match.group(1), _UNIT_WORDS.get(match.group(2), match.group(2))
    return text, None


def guess_running_log(
    header: tuple[str, ...] | list[str], sample: list[list[str]]
) -> ColumnMapping | None:
    """The mapping of a running log's columns to the runs table, or None when in any doubt.

    Parameters
    ----------
    header : sequence of str
        The file's header fields.
    sample : list of list of str
        Some of its rows (cells as text), to tell clock-time durations.

    Returns
    -------
    ColumnMapping or None

    Examples
    --------
    >>> m = guess_running_log(["Date", "Distance (km)", "Time", "Avg HR", "RPE"],
    ...                       [["2024-03-04 07:44", "6.69", "0:36:29", "147", "3"]])
    >>> m.columns["Distance (km)"], m.units
    ('distance_m', {'distance_m': 'km', 'moving_time_s': 'clock'})
    >>> guess_running_log(["Date", "Distance", "Time", "Avg HR"], [["2024-03-04", "6.7", "36", "147"]])
    """
    columns: dict[str, str] = {}
    units: dict[str, str] = {}
    for i, field in enumerate(header):
        name, unit = _split(field)
        if name in _START and unit is None:
            target = "start"
        elif name in _DISTANCE:
            unit = unit or (_UNIT_WORDS.get(name) if name != "distance" else None)
            if unit not in ("km", "mi", "m"):
                return None  # a distance in an unknown unit is not to be guessed
            target, units["distance_m"] = "distance_m", unit
        elif name in _DURATION:
            cells = [row[i].strip() for row in sample if i < len(row) and row[i].strip()]
            if unit in ("s", "min", "h"):
                units["moving_time_s"] = unit
            elif cells and all(_CLOCK.match(c) for c in cells):
                units["moving_time_s"] = "clock"
            else:
                return None
            target = "moving_time_s"
        elif name in _HR and unit in (None, "bpm"):
            target = "avg_hr_bpm"
        elif name in _RPE and unit is None:
            target = "rpe"
        elif name in _NOTES:
            continue
        else:
            return None
        if target in columns.values():
            return None
        columns[field] = target
    if not {"start", "distance_m", "moving_time_s", "avg_hr_bpm"} <= set(columns.values()):
        return None
    return ColumnMapping(columns=columns, units=units, table="runs")
