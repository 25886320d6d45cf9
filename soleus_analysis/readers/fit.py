"""Garmin FIT activity files -> ``runs`` (with stream metrics), ``strength_sets`` and ``sessions``.

Decoded with ``fitdecode`` (a maintained FIT decoder; formats.md §3.2). Plain and gzip-compressed
files (Strava's ``.fit.gz``) are read.

- **Runs**: every ``session`` message whose sport is ``running`` gives one ``runs`` row. Its
  summary (``start_time``, ``total_distance``, ``total_elapsed_time``, ``avg_/max_heart_rate``,
  ``avg_running_cadence`` + ``avg_fractional_cadence``, ``total_ascent``) is taken as recorded;
  the moving time, the average pace, the efficiency factor, the aerobic decoupling and the pace
  fade are computed from the ``record`` stream of that session (conventions in
  :mod:`soleus_analysis.readers.streams`). Without a stream, ``total_timer_time`` is the moving
  time.
- **Strength**: ``set`` messages (sport ``training``, sub-sport ``strength_training``). An
  ``active`` set is one ``strength_sets`` row: the exercise is the FIT exercise name (e.g.
  ``single_leg_bent_knee_calf_raise``, from ``category`` and ``category_subtype``), ``reps`` =
  ``repetitions``, ``load_kg`` = ``weight`` (FIT stores kg; ``load_unit`` is the display unit), and
  ``duration_s`` = the set's ``duration`` only for sets without repetitions (holds, carries); the
  duration of a rep set is kept in ``set_duration_s``. A ``rest`` set becomes ``rest_after_s`` of
  the set before it. FIT sets carry no warm-up/drop/failure marker: every active set is
  ``working``.
- **Sessions**: every FIT session (any sport) gives a ``sessions`` row: ``activity`` = sport
  (and sub-sport), ``duration_s`` = ``total_timer_time``, ``rpe`` missing.

Record stream (:func:`read_fit_stream`): ``time`` (UTC), ``elapsed_s``, ``distance_m``,
``speed_m_s`` (``enhanced_speed`` when present), ``heart_rate_bpm``, ``altitude_m``
(``enhanced_altitude`` when present), ``cadence_spm`` (running: 2 x (``cadence`` +
``fractional_cadence``), GoldenCheetah #2060), ``latitude_deg``, ``longitude_deg`` (semicircles x
180 / 2^31), ``power_w``.

Times: FIT timestamps are UTC. Old devices write only device-relative times (seconds since power
on, below 0x10000000); they are anchored on the ``activity`` message's ``local_timestamp`` read in
the zone ``tz``, and the notes say so.
"""

from __future__ import annotations

import datetime as dt
import io
import struct

import fitdecode
import numpy as np
import pandas as pd

from soleus_analysis.readers import streams
from soleus_analysis.readers.common import (
    ReadContext,
    ReadResult,
    empty_table,
    finish_rows,
    read_bytes,
    result,
)
from soleus_analysis.readers.runs import RUN_NOTE, run_row, session_row

__all__ = ["is_fit", "read_fit", "read_fit_stream"]

SOURCE = "fit"
_SEMICIRCLE_DEG = 180.0 / 2**31
_RELATIVE_LIMIT = 0x10000000
_KEEP = {"session", "lap", "record", "set", "activity", "file_id", "sport"}
_FIT_EPOCH = dt.datetime(1989, 12, 31, tzinfo=dt.UTC)
#: Unix seconds of the FIT epoch (1989-12-31T00:00:00Z).
_FIT_EPOCH_UNIX = 631065600
#: Date-time fields of the summary messages, converted to UTC datetimes as fitdecode's default
#: processor does (records keep their integers: their times are converted in one vectorised pass).
_DATE_FIELDS = ("timestamp", "start_time", "local_timestamp", "time_created")


def is_fit(head: bytes) -> bool:
    """True when the bytes start with a FIT file header (``.FIT`` at offset 8)."""
    return len(head) >= 12 and head[8:12] == b".FIT"


def _crc_byte_table() -> np.ndarray:
    """CRC of each single byte from a zero state (FIT's CRC-16: reflected polynomial 0xA001)."""
    table = np.arange(256, dtype=np.uint16)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ 0xA001, table >> 1).astype(np.uint16)
    return table


_CRC_TABLE = _crc_byte_table()


def _crc16(data: bytes) -> int:
    """FIT's CRC-16 of ``data`` (start value 0), the same number as fitdecode's, with numpy.

    The CRC is linear: that of two blocks is the left block's CRC carried through as many zero
    bytes as the right block has, XOR the right block's CRC. So every byte's own CRC is combined
    pairwise, level by level, carrying through 1, 2, 4, ... zero bytes (a 16-bit linear map, kept
    as two 256-entry tables and squared at each level); leading zero bytes, which pad the data
    to a power of two, leave a CRC that starts at 0 unchanged. fitdecode works byte by byte in
    Python: a third of its decoding time.
    """
    n = len(data)
    if n == 0:
        return 0
    size = 1 << (n - 1).bit_length()
    values = np.zeros(size, dtype=np.uint16)
    values[size - n :] = _CRC_TABLE[np.frombuffer(data, dtype=np.uint8)]
    # Carrying a CRC s through m zero bytes is low[s & 0xFF] ^ high[s >> 8]; here m = 1.
    low, high = _CRC_TABLE.copy(), np.arange(256, dtype=np.uint16)
    while len(values) > 1:
        left, right = values[0::2], values[1::2]
        values = low[left & 0xFF] ^ high[left >> 8] ^ right
        low, high = low[low & 0xFF] ^ high[low >> 8], low[high & 0xFF] ^ high[high >> 8]
    return int(values[0])


def _checksums_match(data: bytes) -> bool:
    """Whether every FIT file in ``data`` (files may be chained) has a matching header and file CRC.

    False as well for anything unusual (a header of another size, a truncated file, bytes after
    the last file): fitdecode then checks the CRCs itself and says what is wrong.
    """
    offset = 0
    while offset < len(data):
        if len(data) - offset < 14:
            return False
        header_size, body_size = data[offset], struct.unpack_from("<I", data, offset + 4)[0]
        if header_size not in (12, 14) or data[offset + 8 : offset + 12] != b".FIT":
            return False
        if header_size == 14:
            stated = struct.unpack_from("<H", data, offset + 12)[0]
            if stated and stated != _crc16(data[offset : offset + 12]):
                return False
        end = offset + header_size + body_size
        if end + 2 > len(data):
            return False
        if _crc16(data[offset:end]) != struct.unpack_from("<H", data, end)[0]:
            return False
        offset = end + 2
    return True


def _decode(ctx: ReadContext) -> dict[str, list[dict]]:
    data = read_bytes(ctx.path)
    if not data:
        raise ctx.error("the file is empty", fix="export the activity again")
    if not is_fit(data[:12]):
        raise ctx.error(
            "not a FIT file (no '.FIT' signature in its header)",
            fix="pass a Garmin .fit (or .fit.gz) activity file, or the right source=",
        )
    messages: dict[str, list[dict]] = {name: [] for name in _KEEP}
    try:
        # Without fitdecode's data processor (a fifth of the decoding time): the only values it
        # would change are date-times, converted below exactly as it would. Checksums that
        # match already need no second check by fitdecode (which would take a third of the time).
        checked = _checksums_match(data)
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.DISABLED if checked else fitdecode.CrcCheck.ENABLED,
            keep_raw_chunks=False,
            processor=None,
        ) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage) and frame.name in _KEEP:
                    messages[frame.name].append({f.name: f.value for f in frame.fields})
    except fitdecode.FitCRCError as exc:
        raise ctx.error(
            f"the FIT file is damaged (checksum mismatch: {exc})",
            fix="copy or export the file again",
        ) from None
    except fitdecode.FitEOFError:
        raise ctx.error(
            "the FIT file is truncated (it ends in the middle of a message)",
            fix="copy or export the complete file again",
        ) from None
    except fitdecode.FitError as exc:
        raise ctx.error(
            f"the FIT file cannot be decoded ({exc})", fix="export the file again"
        ) from None
    for name in _KEEP - {"record"}:
        for msg in messages[name]:
            for key in _DATE_FIELDS:
                value = msg.get(key)
                if isinstance(value, int) and value >= _RELATIVE_LIMIT:
                    msg[key] = _FIT_EPOCH + dt.timedelta(seconds=value)
    return messages


def _time_anchor(msgs: dict[str, list[dict]], ctx: ReadContext) -> float | None:
    """Seconds to add to device-relative times to get Unix seconds (None if times are absolute)."""
    stamps = [m.get("timestamp") for m in msgs["record"] + msgs["session"]]
    if not any(isinstance(t, int | np.integer) and t < _RELATIVE_LIMIT for t in stamps):
        _check_zone(msgs, ctx)
        return None
    for act in msgs["activity"]:
        rel, local = act.get("timestamp"), act.get("local_timestamp")
        if isinstance(rel, int | np.integer) and isinstance(local, dt.datetime):
            wall = pd.Timestamp(local.replace(tzinfo=None))
            utc = wall.tz_localize(ctx.tz, ambiguous="NaT", nonexistent="NaT")
            if pd.isna(utc):
                break
            ctx.note(
                "the FIT file has only device-relative timestamps; they were anchored on the "
                f"activity's local time {wall} read in {ctx.tz}"
                + ("" if ctx.tz_given else " (default; pass tz= for the athlete's zone)")
            )
            return utc.timestamp() - float(rel)
    ctx.note(
        "the FIT file has only device-relative timestamps and no local time to anchor them: the "
        "start is missing, so validation rejects the run"
    )
    return float("nan")


def _check_zone(msgs: dict[str, list[dict]], ctx: ReadContext) -> None:
    """Note when the device's UTC offset differs from the athlete's zone."""
    for act in msgs["activity"]:
        utc, local = act.get("timestamp"), act.get("local_timestamp")
        if isinstance(utc, dt.datetime) and isinstance(local, dt.datetime):
            offset = (local.replace(tzinfo=None) - utc.replace(tzinfo=None)).total_seconds()
            zone_offset = pd.Timestamp(utc).tz_convert(ctx.tz).utcoffset().total_seconds()
            if abs(offset - zone_offset) >= 900:
                ctx.note(
                    f"the device's clock was UTC{offset / 3600:+.1f} h but the zone used is "
                    f"{ctx.tz} (UTC{zone_offset / 3600:+.1f} h); pass tz= with the athlete's zone"
                )
            return


def _to_utc(value, anchor: float | None) -> pd.Timestamp:
    if value is None:
        return pd.NaT
    if isinstance(value, dt.datetime):
        return pd.Timestamp(value).tz_convert("UTC")
    if isinstance(value, int | np.integer | float):
        if value >= _RELATIVE_LIMIT:
            return pd.Timestamp(_FIT_EPOCH + dt.timedelta(seconds=float(value)))
        if anchor is None or not np.isfinite(anchor):
            return pd.NaT
        return pd.Timestamp(anchor + float(value), unit="s", tz="UTC")
    return pd.NaT


def _first(msg: dict, *names: str):
    for name in names:
        value = msg.get(name)
        if value is not None:
            return value
    return None


def _record_times(records: list[dict], anchor: float | None) -> pd.DatetimeIndex:
    """The records' UTC times: FIT-epoch integers in one vectorised pass, the rest one by one."""
    raw = [r.get("timestamp") for r in records]
    absolute = np.array(
        [isinstance(v, int | np.integer) and v >= _RELATIVE_LIMIT for v in raw], dtype=bool
    )
    seconds = np.array([v if a else 0 for v, a in zip(raw, absolute, strict=True)], dtype="int64")
    unix = (seconds + _FIT_EPOCH_UNIX).astype("datetime64[s]").astype("datetime64[us]")
    times = pd.DatetimeIndex(unix).tz_localize("UTC")
    if absolute.all():
        return times
    out = pd.Series(times)
    for k in np.flatnonzero(~absolute):
        out.iloc[k] = _to_utc(raw[k], anchor)
    return pd.DatetimeIndex(out).as_unit("us")


#: Record fields of the stream's measures; where several are named, the first present counts.
_RECORD_FIELDS = (
    ("distance",),
    ("enhanced_speed", "speed"),
    ("heart_rate",),
    ("enhanced_altitude", "altitude"),
    ("cadence",),
    ("fractional_cadence",),
    ("position_lat",),
    ("position_long",),
    ("power",),
)


def _record_numbers(records: list[dict]) -> list[np.ndarray]:
    """One array per entry of :data:`_RECORD_FIELDS` (NaN where absent or not a number).

    One pass over the records, with the loops inline: there are a dozen values per record and
    thousands of records per file.
    """
    rows = []
    nan = np.nan
    for r in records:
        row = []
        for names in _RECORD_FIELDS:
            v = None
            for name in names:
                v = r.get(name)
                if v is not None:
                    break
            row.append(nan if v is None or isinstance(v, tuple | str) else float(v))
        rows.append(row)
    table = np.array(rows, dtype="float64").reshape(len(records), len(_RECORD_FIELDS))
    return [np.ascontiguousarray(table[:, k]) for k in range(len(_RECORD_FIELDS))]


def _stream(records: list[dict], anchor: float | None, *, running: bool) -> pd.DataFrame:
    if not records:
        return streams.empty_stream()
    times = _record_times(records, anchor)
    distance, speed, hr, altitude, cadence, frac, lat, lon, power = _record_numbers(records)
    frac = np.nan_to_num(frac)
    out = pd.DataFrame(
        {
            "time": times,
            "elapsed_s": np.asarray((times - times[0]).total_seconds(), dtype="float64")
            if len(times) and not pd.isna(times[0])
            else np.nan,
            "distance_m": distance,
            "speed_m_s": speed,
            "heart_rate_bpm": hr,
            "altitude_m": altitude,
            "cadence_spm": 2.0 * (cadence + frac) if running else np.nan,
            "latitude_deg": lat * _SEMICIRCLE_DEG,
            "longitude_deg": lon * _SEMICIRCLE_DEG,
            "power_w": power,
        }
    )
    if not running:
        out["cadence_rpm"] = cadence
    # Records without a timestamp (compressed timestamps are resolved by fitdecode) are dropped
    # from the stream only, never from a table.
    return out[out["time"].notna()].sort_values("time", kind="stable").reset_index(drop=True)


def _activity_name(sess: dict) -> str:
    sport, sub = sess.get("sport"), sess.get("sub_sport")
    sport = str(sport) if sport is not None else "unknown"
    if sub is not None and str(sub) not in {"generic", "None"}:
        return f"{sport} ({sub})"
    return sport


def _session_records(
    sess: dict, records: list[dict], stream: pd.DataFrame, n_sessions: int, anchor: float | None
) -> pd.DataFrame:
    if n_sessions == 1 or stream.empty:
        return stream
    start = _to_utc(sess.get("start_time"), anchor)
    elapsed = sess.get("total_elapsed_time")
    if pd.isna(start) or elapsed is None:
        return stream
    end = start + pd.Timedelta(seconds=float(elapsed))
    return stream[(stream["time"] >= start) & (stream["time"] <= end)].reset_index(drop=True)


def _num(value) -> float:
    return float(value) if isinstance(value, int | float | np.integer | np.floating) else np.nan


def read_fit_stream(ctx: ReadContext) -> pd.DataFrame:
    """The record stream of a FIT file (all sessions), columns as in the module docstring."""
    msgs = _decode(ctx)
    anchor = _time_anchor(msgs, ctx)
    running = any(str(s.get("sport")) == "running" for s in msgs["session"]) or not msgs["session"]
    return _stream(msgs["record"], anchor, running=running)


def read_fit(ctx: ReadContext) -> ReadResult:
    """Read a FIT activity file into ``runs``, ``strength_sets`` and ``sessions``.

    Returns
    -------
    ReadResult
        Tables present in the file, main first (``runs`` for a run, ``strength_sets`` for a
        strength activity, else ``sessions``):

        - ``runs``: ``athlete_id``, ``start`` (UTC), ``activity_name``, ``distance_m`` [m],
          ``moving_time_s`` [s], ``elapsed_time_s`` [s], ``avg_hr_bpm``, ``max_hr_bpm``
          [beats/min], ``avg_cadence_spm`` [steps/min], ``elevation_gain_m`` [m],
          ``efficiency_factor_m_per_beat`` [m/beat], ``decoupling_pct`` [%], ``pace_fade_pct``
          [%], ``avg_pace_s_per_km`` [s/km], ``n_records``, then provenance (``source_row`` = the
          session's number in the file, from 1).
        - ``strength_sets``: see the module docstring; ``exercise_category`` and
          ``set_duration_s`` [s] are extra columns.
        - ``sessions``: ``start``, ``activity``, ``duration_s`` [s], ``rpe`` (missing).
    """
    msgs = _decode(ctx)
    anchor = _time_anchor(msgs, ctx)
    sessions = msgs["session"]
    if not sessions:
        sessions = [_session_from_records(msgs)]
        ctx.note("the FIT file has no session message; the run summary comes from its records")
    running = [str(s.get("sport")) == "running" for s in sessions]
    full = _stream(msgs["record"], anchor, running=any(running))
    run_rows, session_rows = [], []
    for k, sess in enumerate(sessions):
        start = _to_utc(_first(sess, "start_time", "timestamp"), anchor)
        if pd.isna(start) and not full.empty:
            start = full["time"].iloc[0]
        timer = _num(sess.get("total_timer_time"))
        elapsed = _num(sess.get("total_elapsed_time"))
        session_rows.append(
            session_row(
                start, _activity_name(sess), timer if np.isfinite(timer) else elapsed, k + 1
            )
        )
        if not running[k]:
            continue
        stream = _session_records(sess, msgs["record"], full, len(sessions), anchor)
        cad = _num(sess.get("avg_running_cadence"))
        if np.isfinite(cad):
            cad = 2.0 * (cad + np.nan_to_num(_num(sess.get("avg_fractional_cadence"))))
        distance = _num(sess.get("total_distance"))
        row = run_row(
            stream,
            start=start,
            name=_activity_name(sess),
            fallback_moving_time_s=timer,
            distance_m=distance if distance > 0 else np.nan,
            elapsed_time_s=elapsed,
            avg_hr_bpm=_num(sess.get("avg_heart_rate")),
            max_hr_bpm=_num(sess.get("max_heart_rate")),
            avg_cadence_spm=cad if cad > 0 else np.nan,
            elevation_gain_m=_num(sess.get("total_ascent")),
        )
        row["row"] = k + 1
        run_rows.append(row)
    if run_rows:
        ctx.note(RUN_NOTE)
    tables: dict[str, pd.DataFrame] = {}
    if run_rows:
        tables["runs"] = finish_rows(pd.DataFrame(run_rows), "runs", ctx, source=SOURCE)
    sets = _strength_sets(msgs, sessions, anchor, ctx)
    if sets is not None:
        tables["strength_sets"] = sets
    frame = pd.DataFrame(session_rows)
    frame["start"] = pd.to_datetime(frame["start"], utc=True).dt.as_unit("us")
    tables["sessions"] = finish_rows(frame, "sessions", ctx, source=SOURCE)
    return result(ctx, SOURCE, tables)


def _session_from_records(msgs: dict[str, list[dict]]) -> dict:
    recs = [r for r in msgs["record"] if r.get("timestamp") is not None]
    sport = None
    for s in msgs["sport"]:
        sport = s.get("sport")
    if any(m for m in msgs["set"]):
        sport = sport or "training"
    return {"start_time": recs[0]["timestamp"] if recs else None, "sport": sport or "running"}


def _exercise_name(category, subtype) -> tuple[str, str]:
    if isinstance(category, tuple | list):
        category = next((c for c in category if c is not None), None)
    if isinstance(subtype, tuple | list):
        subtype = next((c for c in subtype if c is not None), None)
    if category is None:
        return "unknown", "unknown"
    cat = str(category)
    if isinstance(category, int | np.integer):
        return f"category {category}", f"category {category}"
    names = fitdecode.profile.FIELD_TYPES.get(f"{cat}_exercise_name")
    if subtype is None:
        return cat, cat
    if names is not None and names.enum and int(subtype) in names.enum:
        return str(names.enum[int(subtype)]), cat
    return f"{cat} (exercise {int(subtype)})", cat


def _strength_sets(
    msgs: dict[str, list[dict]], sessions: list[dict], anchor: float | None, ctx: ReadContext
) -> pd.DataFrame | None:
    raw_sets = msgs["set"]
    if not raw_sets:
        return None
    first = sessions[0] if sessions else {}
    start = _to_utc(_first(first, "start_time", "timestamp"), anchor)
    if pd.isna(start):
        times = [_to_utc(_first(s, "start_time", "timestamp"), anchor) for s in raw_sets]
        start = min((t for t in times if not pd.isna(t)), default=pd.NaT)
    duration = _num(first.get("total_elapsed_time"))
    rows: list[dict] = []
    rests = orphans = 0
    for k, s in enumerate(raw_sets):
        kind = str(s.get("set_type"))
        set_time = _num(s.get("duration"))
        if kind == "rest":
            rests += 1
            if rows:
                rows[-1]["rest_after_s"] = set_time
            else:
                orphans += 1
            continue
        name, category = _exercise_name(s.get("category"), s.get("category_subtype"))
        reps = _num(s.get("repetitions"))
        unit = {"pound": "lb", "kilogram": "kg"}.get(str(s.get("weight_display_unit")))
        weight = _num(s.get("weight"))
        timed = not (np.isfinite(reps) and reps > 0)
        rows.append(
            {
                "session_start": start,
                "workout_name": _activity_name(first) if first else None,
                "exercise_raw": name,
                "set_type": "working" if kind == "active" else kind,
                "reps": reps,
                "load_kg": weight,
                "load_unit": unit if np.isfinite(weight) else None,
                "duration_s": set_time if timed else np.nan,
                "distance_m": np.nan,
                "rpe": np.nan,
                "rest_after_s": np.nan,
                "session_duration_s": duration,
                "exercise_category": category,
                "set_duration_s": set_time,
                "set_started": _to_utc(s.get("start_time"), anchor),
                "row": k + 1,
            }
        )
    ctx.note(
        f"{len(rows)} active set(s) read from FIT set messages"
        + (f"; {rests} rest set(s) became rest_after_s of the set before" if rests else "")
        + (f" ({orphans} rest set(s) before any active set dropped)" if orphans else "")
    )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return empty_table("strength_sets", ctx, source=SOURCE)
    frame["session_start"] = pd.to_datetime(frame["session_start"], utc=True).dt.as_unit("us")
    frame["set_index"] = frame.groupby("exercise_raw", sort=False).cumcount().astype("Int64")
    return finish_rows(frame, "strength_sets", ctx, source=SOURCE)
