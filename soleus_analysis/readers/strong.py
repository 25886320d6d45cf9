"""Strong app CSV exports -> ``strength_sets`` (and one ``sessions`` row per workout).

Variants read (formats.md §3.5 and §3.9), recognised by their header:

- **classic** (comma): ``Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,
  Seconds,Notes,Workout Notes,RPE`` (older files lack ``Notes,Workout Notes``). ``Weight`` and
  ``Distance`` are in the user's units, which the file does not state: pass ``weight_unit=`` and,
  when the file has distances, ``distance_unit=`` (or give the athlete a ``weight_unit`` in
  ``athletes.csv``). Without them the read fails with :class:`~soleus_analysis.MissingUnitError`.
- **old semicolon with units**: ``Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit;
  Reps;RPE;Distance;Distance Unit;Seconds;Notes;Workout Notes``: the unit is on every row.
- **newest** (semicolon, every field quoted): ``"Workout #";"Date";"Workout Name";
  "Duration (sec)";"Exercise Name";"Set Order";"Weight (kg)"|"Weight (lbs)";"Reps";"RPE";
  "Distance (meters)";"Seconds";"Notes";"Workout Notes"``.
- **localised** (German): ``Datum,Workout-Name,Dauer,Name der Übung,Reihenfolge festlegen,Gewicht,
  Wiederh.,Entfernung,Sekunden,Notizen,Workout-Notizen,RPE``: read like the classic variant.

Conventions
-----------
- ``Date`` is the workout's start as local wall time (``YYYY-MM-DD HH:MM:SS``; ``DD.MM.YYYY
  HH:MM:SS`` is also accepted, one format for the whole file); it is read in the athlete's zone
  ``tz`` and stored in UTC.
- ``Set Order``: a number is a working set; ``W``/``WARM_UP`` warm-up, ``D``/``DROP``/``DROP_SET``
  drop set, ``F``/``FAILURE`` failure set. Any other marker is kept as given in ``set_type`` so that
  validation rejects the row with its value. ``set_index`` counts the sets of an exercise in a
  workout from 0 in file order (warm-ups included).
- ``Rest Timer`` rows are not sets: their ``Seconds`` become ``rest_after_s`` of the set above
  (same workout); the notes count them.
- Strong writes 0 for measures that were not recorded: ``Seconds`` 0 and ``Distance`` 0 become
  missing, and ``Reps`` 0 becomes missing on a timed or distance set. ``Weight`` 0 stays 0 (body
  weight only).
- Decimal commas (``62,5``, in a weight, distance or RPE) and a UTF-8 byte-order mark are
  handled; both are stated in the notes.
- A row that repeats a numbered set cell for cell (the same set exported twice) keeps that set's
  ``set_index``, so that validation rejects it as a duplicate set.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pandas as pd

from soleus_analysis.parsing import keep_unparsed, parse_duration, parse_number
from soleus_analysis.readers._common import (
    ReadContext,
    ReadResult,
    distance_unit_of,
    finish,
    missing_distance_unit,
    missing_weight_unit,
    parse_local_times,
    result,
    text_column,
    weight_unit_of,
)
from soleus_analysis.readers._sets import (
    convert_distance,
    convert_weight,
    exact_copies,
    number,
    sessions_from_sets,
    set_indices,
)
from soleus_analysis.textfile import TextTable, read_text_table

__all__ = ["HEADER_NAMES", "matches", "read_strong"]

SOURCE = "strong"

#: Header names of every variant -> the reader's internal names.
HEADER_NAMES = {
    "Workout #": "workout_no",
    "Date": "date",
    "Datum": "date",
    "Workout Name": "workout_name",
    "Workout-Name": "workout_name",
    "Duration": "duration",
    "Dauer": "duration",
    "Duration (sec)": "duration_sec",
    "Exercise Name": "exercise",
    "Name der Übung": "exercise",
    "Set Order": "set_order",
    "Reihenfolge festlegen": "set_order",
    "Weight": "weight",
    "Gewicht": "weight",
    "Weight (kg)": "weight_kg",
    "Weight (lbs)": "weight_lb",
    "Weight Unit": "weight_unit",
    "Reps": "reps",
    "Wiederh.": "reps",
    "RPE": "rpe",
    "Distance": "distance",
    "Entfernung": "distance",
    "Distance (meters)": "distance_m",
    "Distance Unit": "distance_unit",
    "Seconds": "seconds",
    "Sekunden": "seconds",
    "Notes": "notes",
    "Notizen": "notes",
    "Workout Notes": "workout_notes",
    "Workout-Notizen": "workout_notes",
}
_REQUIRED = ("date", "exercise", "set_order", "reps")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S")
_SET_TYPES = {
    "w": "warmup",
    "warm_up": "warmup",
    "warmup": "warmup",
    "warm-up": "warmup",
    "d": "drop",
    "drop": "drop",
    "drop_set": "drop",
    "dropset": "drop",
    "f": "failure",
    "failure": "failure",
}
_REST = {"rest timer", "rest_timer"}


def matches(header: tuple[str, ...]) -> tuple[bool, str]:
    """Whether a header is a Strong export, and why not."""
    names = {HEADER_NAMES.get(h) for h in header}
    missing = [n for n in _REQUIRED if n not in names]
    if missing:
        return False, "no Strong column(s) " + ", ".join(missing)
    if not names & {"weight", "weight_kg", "weight_lb"}:
        return False, "no Strong weight column"
    return True, ""


def variant(header: tuple[str, ...]) -> str:
    """``newest``, ``semicolon_units``, ``german`` or ``classic``."""
    if "Workout #" in header or "Duration (sec)" in header:
        return "newest"
    if "Weight Unit" in header:
        return "semicolon_units"
    if "Datum" in header:
        return "german"
    return "classic"


def read_strong(ctx: ReadContext, text: TextTable | None = None) -> ReadResult:
    """Read a Strong CSV export (any variant) into ``strength_sets`` and ``sessions``.

    Parameters
    ----------
    ctx : ReadContext
        Path, athlete id, zone and units (see :func:`soleus_analysis.read`).
    text : TextTable, optional
        The file already read as text.

    Returns
    -------
    ReadResult
        ``strength_sets``: ``athlete_id``, ``session_start`` (UTC), ``workout_name``,
        ``exercise_raw``, ``set_index`` (from 0), ``set_type``, ``reps``, ``load_kg`` [kg],
        ``load_unit`` (kg/lb as logged), ``duration_s`` [s], ``distance_m`` [m], ``rpe``,
        ``rest_after_s`` [s], ``session_duration_s`` [s], ``notes``, ``workout_notes``, then
        ``timezone``, ``source``, ``source_file``, ``source_row`` (line in the file, header = 1).
        ``sessions``: one row per workout whose duration the file states (``start``,
        ``activity`` = ``strength``, ``duration_s`` [s], ``rpe`` missing).

    Raises
    ------
    MissingUnitError
        Weights or distances whose unit the file does not state and that were not given.
    InputError
        A file that is not a Strong export.
    """
    text = text or read_text_table(ctx.path, encoding=ctx.encoding)
    ok, why = matches(text.header)
    if not ok:
        raise ctx.error(f"not a Strong export ({why})", fix="pass the right source= for this file")
    kind = variant(text.header)
    ctx.note(f"Strong export, {kind} variant")
    ctx.notes.extend(n for n in text.notes if n not in ctx.notes)
    raw = text.frame.rename(
        columns={h: HEADER_NAMES[h] for h in text.frame.columns if h in HEADER_NAMES}
    )
    raw = raw.loc[:, ~raw.columns.duplicated()]
    dec = text.decimal
    if dec == "." and text.delimiter == ",":
        # A quoted "42,5" in a comma-separated export is a decimal comma (localised exports).
        measures = raw[
            [c for c in ("weight", "weight_kg", "weight_lb", "distance", "rpe") if c in raw]
        ]
        if measures.apply(lambda c: c.str.fullmatch(r"\d+,\d+")).to_numpy().any():
            dec = ","
            ctx.note("numbers use a decimal comma (42,5 = 42.5)")
    rows = raw.index.to_numpy()
    raw = raw.reset_index(drop=True)

    col = partial(text_column, raw)

    order = col("set_order").str.strip()
    is_rest = order.str.lower().isin(_REST).to_numpy()
    session_cols = [c for c in ("workout_no", "date", "workout_name") if c in raw]
    session_key = raw[session_cols].astype("str").agg("\x1f".join, axis=1)

    # Rest Timer rows: their Seconds are the rest after the set above in the same workout.
    seconds_all = parse_number(col("seconds"), decimal=dec)
    rest_after = pd.Series(np.nan, index=raw.index)
    orphans = 0
    for i in np.flatnonzero(is_rest):
        j = i - 1
        while j >= 0 and is_rest[j]:
            j -= 1
        if j >= 0 and session_key.iloc[j] == session_key.iloc[i]:
            rest_after.iloc[j] = seconds_all.iloc[i]
        else:
            orphans += 1
    if is_rest.any():
        ctx.note(
            f"{int(is_rest.sum())} 'Rest Timer' row(s) became rest_after_s of the set above"
            + (
                f"; {orphans} had no set above in the same workout and were dropped"
                if orphans
                else ""
            )
        )

    sets = raw.loc[~is_rest].copy()
    rows = rows[~is_rest]
    out = pd.DataFrame(index=sets.index)
    out["session_start"] = parse_local_times(
        col("date")[sets.index], _DATE_FORMATS, ctx, column="session_start"
    )
    out["workout_name"] = col("workout_name")[sets.index].replace("", None)
    out["exercise_raw"] = col("exercise")[sets.index].str.strip()
    set_order = order[sets.index]
    numeric = set_order.str.fullmatch(r"\d+")
    mapped = set_order.str.lower().map(_SET_TYPES)
    out["set_type"] = np.where(numeric, "working", mapped.fillna(set_order).to_numpy())
    unknown = ~numeric & mapped.isna()
    if unknown.any():
        ctx.note(
            f"{int(unknown.sum())} set(s) have an unknown Set Order marker "
            f"(e.g. {set_order[unknown].iloc[0]!r}); kept as given so that validation rejects them"
        )
    # A row that repeats a numbered set cell for cell is the same set exported twice: it shares
    # that set's index, so validation rejects it as a duplicate. (Two warm-ups, drop or failure
    # sets can be identical on purpose: they carry a marker, not a number.)
    copies = exact_copies(raw.loc[sets.index].reset_index(drop=True), numeric.to_numpy())
    if (copies >= 0).any():
        ctx.note(
            f"{int((copies >= 0).sum())} row(s) repeat a numbered set exactly; they keep that "
            "set's index so that validation rejects them as duplicates"
        )
    out["set_index"] = set_indices(
        pd.DataFrame({"k": session_key[sets.index], "e": out["exercise_raw"]}),
        ["k"],
        "e",
        copies=copies,
    )
    _weights(out, sets, col, ctx, dec)
    _distances(out, sets, col, ctx, dec)
    idx = sets.index
    secs = parse_number(col("seconds")[idx], decimal=dec)
    out["duration_s"] = number(col("seconds")[idx], dec).mask(secs.eq(0))
    reps_num = parse_number(col("reps")[idx], decimal=dec)
    timed = secs.gt(0) | pd.to_numeric(out["distance_m"], errors="coerce").gt(0)
    out["reps"] = number(col("reps")[idx], dec).mask(reps_num.eq(0) & timed)
    out["rpe"] = number(col("rpe")[idx], dec)
    out["rest_after_s"] = rest_after[idx]
    if "duration_sec" in raw:
        out["session_duration_s"] = number(col("duration_sec")[idx], dec)
    elif "duration" in raw:
        out["session_duration_s"] = keep_unparsed(
            parse_duration(col("duration")[idx]), col("duration")[idx]
        )
    out["notes"] = col("notes")[sets.index].replace("", None)
    out["workout_notes"] = col("workout_notes")[sets.index].replace("", None)
    if "workout_no" in raw:
        out["workout_no"] = col("workout_no")[sets.index]
    sets_table = finish(out, "strength_sets", ctx, source=SOURCE, source_row=rows)
    return result(
        ctx, SOURCE, {"strength_sets": sets_table, "sessions": _sessions(sets_table, ctx)}
    )


def _weights(out: pd.DataFrame, sets: pd.DataFrame, col, ctx: ReadContext, dec: str) -> None:
    idx = sets.index
    if "weight_kg" in sets or "weight_lb" in sets:
        name, unit = ("weight_kg", "kg") if "weight_kg" in sets else ("weight_lb", "lb")
        units = pd.Series(unit, index=idx)
        out["load_kg"] = convert_weight(col(name)[idx], units, dec)
        out["load_unit"] = units.where(parse_number(col(name)[idx], decimal=dec).notna())
        if unit == "lb":
            ctx.note("weights in lb (column 'Weight (lbs)') converted to kg")
        return
    values = col("weight")[idx]
    num = parse_number(values, decimal=dec)
    if "weight_unit" in sets:
        units = col("weight_unit")[idx].map(weight_unit_of)
        if ctx.weight_unit is not None:
            units = units.fillna(ctx.weight_unit)
        unknown = units.isna() & num.gt(0)
        if unknown.any():
            ctx.note(
                f"{int(unknown.sum())} weight(s) without a known 'Weight Unit' kept as given "
                "(validation rejects them; pass weight_unit= to fill blank units)"
            )
        if units.eq("lb").any():
            ctx.note("weights in lb ('Weight Unit') converted to kg")
    else:
        if ctx.weight_unit is None:
            if num.gt(0).any():
                raise missing_weight_unit(ctx, "Weight", "Strong export")
            units = pd.Series("kg", index=idx)  # only zeros or blanks: no unit needed
        else:
            units = pd.Series(ctx.weight_unit, index=idx)
            ctx.note(f"'Weight' read as {ctx.weight_unit} (given)")
    out["load_kg"] = convert_weight(values, units, dec)
    out["load_unit"] = units.where(num.gt(0))


def _distances(out: pd.DataFrame, sets: pd.DataFrame, col, ctx: ReadContext, dec: str) -> None:
    idx = sets.index
    if "distance_m" in sets:
        values, units = col("distance_m")[idx], pd.Series("m", index=idx)
    elif "distance" in sets:
        values = col("distance")[idx]
        num = parse_number(values, decimal=dec)
        if "distance_unit" in sets:
            units = col("distance_unit")[idx].map(distance_unit_of)
            if ctx.distance_unit is not None:
                units = units.fillna(ctx.distance_unit)
        elif ctx.distance_unit is not None:
            units = pd.Series(ctx.distance_unit, index=idx)
            ctx.note(f"'Distance' read as {ctx.distance_unit} (given)")
        elif num.gt(0).any():
            raise missing_distance_unit(ctx, "Distance", "Strong export")
        else:
            units = pd.Series("m", index=idx)
    else:
        out["distance_m"] = np.nan
        return
    num = parse_number(values, decimal=dec)
    converted = convert_distance(values, units, dec)
    out["distance_m"] = converted.mask(num.eq(0))


def _sessions(sets: pd.DataFrame, ctx: ReadContext) -> pd.DataFrame:
    if "session_duration_s" not in sets:
        ctx.note("this Strong variant has no workout duration: no sessions rows")
        frame = sessions_from_sets(sets.iloc[:0], ctx)
        return finish(frame, "sessions", ctx, source=SOURCE, source_row=np.array([], dtype="int64"))
    frame = sessions_from_sets(sets, ctx)
    rows = frame.attrs.pop("source_row", np.arange(1, len(frame) + 1))
    return finish(frame, "sessions", ctx, source=SOURCE, source_row=rows)
