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
- **localised**: the same layouts with the column names in the app's language, e.g. German
  ``Datum,Workout-Name,Dauer,Name der Übung,Reihenfolge festlegen,Gewicht,Wiederh.,Entfernung,
  Sekunden,Notizen,Workout-Notizen,RPE``. Names in ``data/export_headers.csv`` are translated; a
  header in another language is read by Strong's column order when the contents of every column
  fit it (:mod:`soleus_analysis.readers.layout`), and the notes say so. A weight column whose
  name states ``(kg)`` or ``(lbs)`` in any language gives the unit.

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
  (same workout); the notes count them. Localised exports write the marker in their language
  (German ``Ruhezeit``); a marker the reader does not know is taken for the rest timer only when
  every row that carries it has no weight, no reps and a positive ``Seconds``, and the notes say
  so.
- ``Duration`` is text such as ``1h 4m`` or ``2h 23min`` (units in several languages); a duration
  that cannot be read leaves ``session_duration_s`` missing (a note names it) rather than
  rejecting the workout's sets.
- Strong writes 0 for measures that were not recorded: ``Seconds`` 0 and ``Distance`` 0 become
  missing, and ``Reps`` 0 becomes missing on a timed or distance set. ``Weight`` 0 stays 0 (body
  weight only).
- Decimal commas (``62,5``) are recognised per column, and thousands separators (``1.005,0``,
  ``1,005.0``) removed; a UTF-8 byte-order mark is handled; the notes state both.
- A row that repeats a numbered set cell for cell (the same set exported twice) keeps that set's
  ``set_index``, so that validation rejects it as a duplicate set.
"""

from __future__ import annotations

import re
from functools import partial

import numpy as np
import pandas as pd

from soleus_analysis.coercion import is_missing
from soleus_analysis.parsing import decimal_mark, parse_duration, parse_number
from soleus_analysis.readers.common import (
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
from soleus_analysis.readers.layout import (
    FIT_SHARE,
    Recognised,
    dates_fit,
    first_rows,
    numbers_fit,
    recognise,
    share,
    shown_header,
)
from soleus_analysis.readers.sets import (
    convert_distance,
    convert_weight,
    exact_copies,
    number,
    sessions_from_sets,
    set_indices,
)
from soleus_analysis.textfile import TextTable, read_text_table

__all__ = ["HEADER_NAMES", "LAYOUTS", "layout", "matches", "read_strong", "recognise_strong"]

SOURCE = "strong"

#: Strong's English column names -> the reader's internal names (other languages are translated
#: to these first, see :mod:`soleus_analysis.readers.vocabulary`).
HEADER_NAMES = {
    "Workout #": "workout_no",
    "Date": "date",
    "Workout Name": "workout_name",
    "Duration": "duration",
    "Duration (sec)": "duration_sec",
    "Exercise Name": "exercise",
    "Set Order": "set_order",
    "Weight": "weight",
    "Weight (kg)": "weight_kg",
    "Weight (lbs)": "weight_lb",
    "Weight Unit": "weight_unit",
    "Reps": "reps",
    "RPE": "rpe",
    "Distance": "distance",
    "Distance (meters)": "distance_m",
    "Distance Unit": "distance_unit",
    "Seconds": "seconds",
    "Notes": "notes",
    "Workout Notes": "workout_notes",
}
#: Strong's layouts: the English name of each column, in file order.
LAYOUTS = {
    "classic": (
        "Date", "Workout Name", "Duration", "Exercise Name", "Set Order", "Weight", "Reps",
        "Distance", "Seconds", "Notes", "Workout Notes", "RPE",
    ),
    "classic_old": (
        "Date", "Workout Name", "Duration", "Exercise Name", "Set Order", "Weight", "Reps",
        "Distance", "Seconds", "RPE",
    ),
    "semicolon_units": (
        "Date", "Workout Name", "Exercise Name", "Set Order", "Weight", "Weight Unit", "Reps",
        "RPE", "Distance", "Distance Unit", "Seconds", "Notes", "Workout Notes",
    ),
    "newest": (
        "Workout #", "Date", "Workout Name", "Duration (sec)", "Exercise Name", "Set Order",
        "Weight", "Reps", "RPE", "Distance", "Seconds", "Notes", "Workout Notes",
    ),
}  # fmt: skip
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
#: The rest-timer marker of ``Set Order`` in the languages seen (German ``Ruhezeit``, in
#: third-party fixtures of real German exports).
_REST = {"rest timer", "rest_timer", "ruhezeit"}
_WEIGHT_UNIT_IN_NAME = re.compile(r"\(\s*(kg|kgs|кг|lb|lbs|фунт\w*)\s*\)", re.IGNORECASE)
_DISTANCE_UNIT_IN_NAME = re.compile(
    r"\(\s*(m|meters|metres|meter|metros|mètres|metri|м|метр\w*|km|mi|miles)\s*\)", re.IGNORECASE
)


def matches(header: tuple[str, ...]) -> tuple[bool, str]:
    """Whether a header (in Strong's English names) is a Strong export, and why not."""
    names = {HEADER_NAMES.get(h) for h in header}
    missing = [n for n in _REQUIRED if n not in names]
    if missing:
        return False, "no Strong column(s) " + ", ".join(missing)
    if not names & {"weight", "weight_kg", "weight_lb"}:
        return False, "no Strong weight column"
    return True, ""


def _set_orders_fit(values: pd.Series) -> bool:
    """Set Order cells: mostly set numbers, else short markers (W, D, F, a rest-timer word)."""
    text = values.astype("str").str.strip()
    text = text[text.ne("")]
    if text.empty:
        return False
    numbered = text.str.fullmatch(r"\d+")
    short = text.str.len().le(24) & ~text.str.contains(r"\d", regex=True)
    return share(numbered) >= 0.3 and share(numbered | short) >= FIT_SHARE


def layout(text: TextTable) -> tuple[tuple[str, ...] | None, str]:
    """Strong's English header for a file whose column names are in an unknown language.

    The file must have the width of one of :data:`LAYOUTS` and every column's contents must fit
    (dates, set numbers or markers, numbers; exercise names that are text). A weight or distance
    column whose name states its unit (``(kg)``, ``(lbs)``, ``(meters)``) keeps it.
    """
    width = len(text.header)
    rows = first_rows(text)
    if rows.empty:
        return None, ""
    for name, names in LAYOUTS.items():
        if len(names) != width:
            continue
        cols = {n: rows.iloc[:, k] for k, n in enumerate(names)}
        rest = cols["Set Order"].astype("str").str.strip().str.casefold().isin(_REST)
        sets = {n: c[~rest.to_numpy()] for n, c in cols.items()}
        checks = [
            dates_fit(sets["Date"]),
            _set_orders_fit(cols["Set Order"]),
            all(numbers_fit(sets[n]) for n in ("Weight", "Reps", "Seconds", "RPE")),
            numbers_fit(sets["Distance"]),
            share(~is_missing(sets["Exercise Name"])) >= FIT_SHARE,
            not numbers_fit(sets["Exercise Name"], allow_empty=False),
        ]
        if "Workout #" in cols:
            checks.append(numbers_fit(cols["Workout #"], allow_empty=False))
            checks.append(numbers_fit(cols["Duration (sec)"]))
        if all(checks):
            header = list(names)
            weight, distance = names.index("Weight"), names.index("Distance")
            if m := _WEIGHT_UNIT_IN_NAME.search(text.header[weight]):
                kg = m.group(1).lower() in ("kg", "kgs", "кг")
                header[weight] = "Weight (kg)" if kg else "Weight (lbs)"
            if name == "newest" and _DISTANCE_UNIT_IN_NAME.search(text.header[distance]):
                unit = _DISTANCE_UNIT_IN_NAME.search(text.header[distance]).group(1).lower()
                if unit not in ("km", "mi", "miles"):
                    header[distance] = "Distance (meters)"
            return tuple(header), ""
    return None, f"its {width} columns do not fit Strong's layouts"


def variant(header: tuple[str, ...]) -> str:
    """``newest``, ``semicolon_units`` or ``classic`` (of a header in Strong's English names)."""
    if "Workout #" in header or "Duration (sec)" in header:
        return "newest"
    if "Weight Unit" in header:
        return "semicolon_units"
    return "classic"


def recognise_strong(
    text: TextTable, *, columns: dict | None = None, path=None, use_layout: bool = True
) -> tuple[Recognised | None, str]:
    """``text`` as a Strong export with English column names, or None and why not."""
    return recognise(
        text,
        app="strong",
        matches=matches,
        layout=layout,
        columns=columns,
        fields=tuple(HEADER_NAMES),
        path=path,
        use_layout=use_layout,
    )


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
    found, why = recognise_strong(text, columns=ctx.columns, path=ctx.path)
    if found is None:
        raise ctx.error(
            f"not a Strong export ({why}; header: {shown_header(text.header)})",
            fix="pass the right source= for this file, or map its columns to Strong's English "
            "names with columns={...} (soleus: --columns)",
        )
    text = found.text
    kind = variant(text.header)
    language = f", {found.language} column names" if found.language not in (None, "en") else ""
    ctx.note(f"Strong export, {kind} variant{language}")
    ctx.notes.extend(n for n in text.notes if n not in ctx.notes)
    raw = text.frame.rename(
        columns={h: HEADER_NAMES[h] for h in text.frame.columns if h in HEADER_NAMES}
    )
    raw = raw.loc[:, ~raw.columns.duplicated()]
    rows = raw.index.to_numpy()
    raw = raw.reset_index(drop=True)
    measures = ("weight", "weight_kg", "weight_lb", "distance", "distance_m", "rpe", "reps")
    marks = {c: decimal_mark(raw[c], default=text.decimal) for c in measures if c in raw}
    if "," in marks.values() and text.decimal != ",":
        ctx.note("numbers use a decimal comma (42,5 = 42.5)")
    dec = "," if "," in marks.values() else text.decimal

    col = partial(text_column, raw)

    order = col("set_order").str.strip()
    is_rest = order.str.casefold().isin(_REST).to_numpy() | _local_rest_marker(raw, order, ctx, dec)
    session_cols = [c for c in ("workout_no", "date", "workout_name") if c in raw]
    session_key = pd.Series("", index=raw.index, dtype="str")
    for name in session_cols:  # vectorised join; also right for a file without rows
        session_key = session_key + "\x1f" + raw[name].astype("str")

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
        text_duration = col("duration")[idx]
        seconds = parse_duration(text_duration)
        unread = seconds.isna().to_numpy() & ~is_missing(text_duration)
        if unread.any():
            ctx.note(
                f"{int(unread.sum())} workout duration(s) could not be read (e.g. "
                f"{text_duration[unread].iloc[0]!r}); session_duration_s left missing for them"
            )
        out["session_duration_s"] = seconds
    out["notes"] = col("notes")[sets.index].replace("", None)
    out["workout_notes"] = col("workout_notes")[sets.index].replace("", None)
    if "workout_no" in raw:
        out["workout_no"] = col("workout_no")[sets.index]
    sets_table = finish(out, "strength_sets", ctx, source=SOURCE, source_row=rows)
    return result(
        ctx, SOURCE, {"strength_sets": sets_table, "sessions": _sessions(sets_table, ctx)}
    )


def _local_rest_marker(
    raw: pd.DataFrame, order: pd.Series, ctx: ReadContext, dec: str
) -> np.ndarray:
    """Rows whose Set Order is an unknown word that can only be the rest timer, in any language.

    A marker is taken for the rest timer when it is not a set number or a set-type marker and
    every row that carries it has no weight, no reps and a positive ``Seconds``: that is what a
    rest-timer row is, and no set looks like it.
    """
    folded = order.str.casefold()
    candidates = folded[
        ~folded.str.fullmatch(r"\d+") & ~folded.isin(_SET_TYPES) & ~folded.isin(_REST)
    ]
    candidates = candidates[candidates.ne("")]
    out = np.zeros(len(order), dtype=bool)
    if candidates.empty:
        return out
    weight_col = next((c for c in ("weight", "weight_kg", "weight_lb") if c in raw), None)
    weight = parse_number(raw[weight_col], decimal=dec) if weight_col else pd.Series(np.nan)
    reps = parse_number(raw["reps"], decimal=dec) if "reps" in raw else pd.Series(np.nan)
    secs = parse_number(raw["seconds"], decimal=dec) if "seconds" in raw else pd.Series(np.nan)
    empty_set = weight.fillna(0).eq(0) & reps.fillna(0).eq(0) & secs.gt(0)
    for marker in candidates.unique():
        rows = folded.eq(marker).to_numpy()
        if empty_set[rows].all():
            out |= rows
            ctx.note(
                f"Set Order marker {order[rows].iloc[0]!r} taken for this export's rest timer "
                f"(its {int(rows.sum())} row(s) have no weight, no reps and a rest in Seconds)"
            )
    return out


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
