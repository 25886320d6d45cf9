"""Local calendar days and training weeks from UTC timestamps.

Every canonical timestamp is stored in UTC (for ordering) next to the athlete's IANA ``timezone``.
Days and weeks are the athlete's *local* days and weeks: a run at 23:30 in Sydney on a Sunday
belongs to that Sunday, not to the Monday that UTC says. Computing weeks in UTC moves 1-6 % of
sessions into another week (pitfalls.md).

Conventions
-----------
- The local date of an instant is the calendar date of its wall-clock time in the row's zone.
  Converting a UTC instant to local time is always unambiguous, also on daylight-saving changes:
  the autumn hour that occurs twice maps each UTC instant to its own wall time, and the spring hour
  that does not exist is never produced. (Ambiguous or non-existent *naive local* times are a
  problem only when reading exports; :func:`soleus_analysis.validate` rejects them rather than
  guessing.) A week therefore starts at Monday 00:00 local wall time, whatever the UTC offset.
- The training week starts on Monday. ``week_start`` is computed explicitly from the day number
  (1970-01-01 was a Thursday), never with pandas' ``"W"`` frequency (which is ``W-SUN``) or
  ``pd.Grouper(freq="W-MON")`` (5-6x slower than a plain group-by on a computed key).
- Dates are naive ``datetime64[us]`` at midnight.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soleus_analysis import runlength

__all__ = ["day_number", "local_dates", "row_zones", "week_start"]

_US_PER_DAY = 86_400_000_000
#: 1970-01-01 (day 0) was a Thursday: day_of_week = (day + 3) % 7 with Monday = 0.
_EPOCH_WEEKDAY = 3


def _as_utc(values: pd.Series) -> pd.Series:
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        if pd.api.types.is_datetime64_dtype(values.dtype):
            raise TypeError(
                "local_dates() needs tz-aware UTC timestamps; got naive ones. Localise them first "
                "(s.dt.tz_localize('UTC')) or pass them through sol.validate()"
            )
        raise TypeError(f"local_dates() needs tz-aware timestamps, got dtype {values.dtype}")
    return values.dt.tz_convert("UTC").dt.as_unit("us")


def row_zones(frame: pd.DataFrame, athletes: pd.DataFrame | None = None, tz: str = "UTC"):
    """The zone of each row: its own ``timezone``, else its athlete's (``athletes``), else ``tz``.

    Returns the frame's own ``timezone`` column untouched when no row lacks one (no per-row
    work), otherwise an object array; either can be passed to :func:`local_dates`.

    Examples
    --------
    >>> rows = pd.DataFrame({"athlete_id": ["a", "b", "c"], "timezone": ["Asia/Tokyo", None, None]})
    >>> athletes = pd.DataFrame({"athlete_id": ["b"], "timezone": ["Europe/Oslo"]})
    >>> list(row_zones(rows, athletes, "UTC"))
    ['Asia/Tokyo', 'Europe/Oslo', 'UTC']
    """
    own = frame["timezone"] if "timezone" in frame.columns else None
    if own is not None:
        missing = own.isna().to_numpy()
        if not missing.any():
            return own
    else:
        missing = np.ones(len(frame), dtype=bool)
    zones = np.full(len(frame), None, dtype=object)
    if own is not None:
        zones[:] = own.to_numpy(dtype=object, na_value=None)
    need = frame.loc[missing, "athlete_id"] if "athlete_id" in frame.columns else None
    if need is not None and athletes is not None and "timezone" in athletes.columns:
        by_athlete = athletes.drop_duplicates("athlete_id").set_index("athlete_id")["timezone"]
        codes, uniques = pd.factorize(need, use_na_sentinel=False)
        found = by_athlete.reindex(pd.Index(uniques, dtype=object)).to_numpy(dtype=object)
        zones[missing] = found[codes]
    zones[pd.isna(zones)] = tz
    return zones


def _wall_time(utc_values: np.ndarray, zone: str) -> np.ndarray:
    index = pd.DatetimeIndex(utc_values).tz_localize("UTC").tz_convert(zone).tz_localize(None)
    return index.to_numpy(dtype="datetime64[us]")


def local_dates(utc: pd.Series, timezones: pd.Series | str | None = None) -> pd.Series:
    """The local calendar date of each UTC instant.

    Parameters
    ----------
    utc : Series of tz-aware datetimes
        Instants (any zone; UTC in the canonical tables).
    timezones : Series of str, str or None
        IANA zone of each row (aligned with ``utc``), or one zone for all rows. Missing zones and
        ``None`` mean UTC.

    Returns
    -------
    Series of datetime64[us]
        Midnight of the local date, naive; same index as ``utc``. Missing instants stay missing.

    Raises
    ------
    TypeError
        When ``utc`` holds naive timestamps (their zone would be a guess).

    Examples
    --------
    >>> t = pd.Series(pd.to_datetime(["2024-03-31T22:30:00Z", "2024-03-31T22:30:00Z"]))
    >>> dates = local_dates(t, pd.Series(["Europe/Oslo", "America/New_York"]))
    >>> dates.dt.strftime("%a %Y-%m-%d").tolist()
    ['Mon 2024-04-01', 'Sun 2024-03-31']
    """
    instants = _as_utc(pd.Series(utc))
    if timezones is None or isinstance(timezones, str):
        codes = np.zeros(len(instants), dtype="int64")
        names = [timezones or "UTC"]
    else:
        values = (
            timezones.array
            if isinstance(timezones, pd.Series)
            else np.asarray(timezones, dtype=object)
        )
        if len(values) != len(instants):
            raise ValueError(f"{len(values)} time zones for {len(instants)} timestamps")
        codes, uniques = runlength.factorize(values, use_na_sentinel=True)
        names = [str(z) for z in uniques]
        if (codes < 0).any():
            codes = np.where(codes < 0, len(names), codes)
            names.append("UTC")
    utc_values = instants.to_numpy(dtype="datetime64[us]")
    # Rows come in runs of one instant in one zone (the sets of a session): convert each run once.
    n = len(utc_values)
    starts = np.ones(n, dtype=bool)
    if n > 1:
        instant = utc_values.view("int64")
        np.not_equal(instant[1:], instant[:-1], out=starts[1:])
        starts[1:] |= codes[1:] != codes[:-1]
    first = np.flatnonzero(starts)
    compress = len(first) < n // 2
    if compress:
        utc_values, codes = utc_values[first], codes[first]
    if len(names) == 1:
        wall = _wall_time(utc_values, names[0])
    else:
        wall = np.empty(len(utc_values), dtype="datetime64[us]")
        for k, name in enumerate(names):
            mask = codes == k
            wall[mask] = _wall_time(utc_values[mask], name)
    if compress:
        wall = np.repeat(wall, np.diff(first, append=n))
    ints = wall.view("int64")
    missing = np.isnat(wall)
    days = np.floor_divide(ints, _US_PER_DAY)
    out = (days * _US_PER_DAY).view("datetime64[us]")
    out[missing] = np.datetime64("NaT")
    return pd.Series(out, index=instants.index, name="date")


def day_number(dates: pd.Series | np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of naive dates (int64; missing dates give the minimum int64).

    Examples
    --------
    >>> day_number(pd.Series(pd.to_datetime(["1970-01-02"]))).tolist()
    [1]
    """
    values = np.asarray(dates, dtype="datetime64[us]")
    ints = values.view("int64")
    return np.where(np.isnat(values), np.iinfo("int64").min, np.floor_divide(ints, _US_PER_DAY))


def week_start(dates: pd.Series) -> pd.Series:
    """Monday of the week of each local date.

    Parameters
    ----------
    dates : Series of datetime64
        Local dates (naive), e.g. from :func:`local_dates`. A time of day is ignored.

    Returns
    -------
    Series of datetime64[us]
        The Monday at midnight on or before each date; same index. Missing stays missing.

    Raises
    ------
    TypeError
        When ``dates`` are tz-aware (convert them with :func:`local_dates` first: a UTC week is
        not the athlete's week).

    Examples
    --------
    >>> d = pd.Series(pd.to_datetime(["2024-03-31", "2024-04-01", "2024-04-07"]))
    >>> week_start(d).dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-25', '2024-04-01', '2024-04-01']
    """
    series = pd.Series(dates)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        raise TypeError(
            "week_start() needs naive local dates; convert tz-aware timestamps with "
            "sol.local_dates(timestamps, timezones) first"
        )
    values = series.to_numpy(dtype="datetime64[us]")
    missing = np.isnat(values)
    days = np.floor_divide(values.view("int64"), _US_PER_DAY)
    monday = days - (days + _EPOCH_WEEKDAY) % 7
    out = (monday * _US_PER_DAY).view("datetime64[us]")
    out[missing] = np.datetime64("NaT")
    return pd.Series(out, index=series.index, name="week_start")
