"""Soleus training dose: per set, then per athlete-week, traceable to the sets it came from.

Definitions (every weekly number is a plain sum of the per-set numbers below)
-------------------------------------------------------------------------------
Let *share* be the exercise's assumed soleus share of the plantar-flexor work and *f* its
body-mass share (both from the exercise catalog, :mod:`soleus_analysis.catalog`), *BW* the
athlete's body mass (``athletes.body_mass_kg``).

- **Hard set**: a ``working`` or ``failure`` set. Warm-up sets count for nothing. A ``drop`` set
  continues the set before it at a lower load: its repetitions, volume, time and distance count
  (it is real work), but it is not a new set, so it adds nothing to the set counts.
- ``soleus_sets`` = hard set x share (soleus-weighted sets).
- ``calf_sets`` = 1 for a hard set of a plantar-flexor training exercise (unweighted).
- ``soleus_reps`` = reps x share (hard and drop sets; 0 for a set without reps, e.g. a hold).
- ``soleus_volume_kg`` = reps x (load_kg + f x BW) x share (hard and drop sets with reps).
  A missing ``load_kg`` is taken as no external load for exercises that move the body (f > 0)
  and makes the volume missing otherwise. A missing body mass makes the volume missing (NaN) for
  exercises that move the body, never 0. Exercises with share 0 have volume 0.
- ``soleus_tut_s`` = duration_s x share for sets with a duration (holds, timed walks, jump rope).
  A repetition set's own duration is not in ``duration_s`` (readers keep it elsewhere), so reps and
  time are not double counted.
- ``soleus_distance_m`` = distance_m x share for walks and carries logged by distance. A walk
  logged only by distance has no time under tension: distance is **not** converted to time (that
  would need an assumed walking speed); it is reported in its own column.
- Per-set values are rounded to multiples of 2**-24 (6e-8, far below any meaningful precision)
  so that weekly sums are exact: the same sets in any order give bit-identical weekly totals.
- Unmapped sets (names the catalog does not know) get missing dose values and are counted in
  ``unmapped_sets`` of their week; :func:`soleus_analysis.unmapped` lists their names. Sets of
  stretches and massage ("Calf Wall", "Calf Rubs") are recognised and count 0.

Days and weeks are local (the row's ``timezone``, else the athlete's, else ``tz``); the week
starts on Monday (:mod:`soleus_analysis.timeutils`). The functions are pure and deterministic: the
simulated cohort's "true" weekly dose is computed with them from the generated sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd

from soleus_analysis import runlength
from soleus_analysis.catalog import (
    ExerciseCatalog,
    catalog_index,
    resolve_catalog,
    take_text,
    take_values,
)
from soleus_analysis.contracts import takes_table
from soleus_analysis.errors import InputError
from soleus_analysis.timeutils import local_dates, row_zones

__all__ = [
    "DOSE_COLUMNS",
    "WEEKLY_DOSE_COLUMNS",
    "dose_provenance",
    "programme_start",
    "soleus_dose",
    "weekly",
    "weekly_dose",
]

#: Per-set dose columns, summed per week by :func:`weekly`.
DOSE_COLUMNS = (
    "soleus_sets",
    "soleus_reps",
    "soleus_volume_kg",
    "soleus_tut_s",
    "soleus_distance_m",
    "calf_sets",
)
#: Columns of :func:`weekly` after the keys.
WEEKLY_DOSE_COLUMNS = DOSE_COLUMNS + ("strength_sessions", "sets_logged", "unmapped_sets")

HARD_SET_TYPES = ("working", "failure")
WORK_SET_TYPES = ("working", "failure", "drop")
_KEYS = ["athlete_id", "week_start"]
#: The strength_sets columns the dose cannot do without (the measures may be missing).
DOSE_SETS_NEED = ("athlete_id", "session_start", "exercise_raw", "set_type")
_US_PER_DAY = 86_400_000_000
#: Per-set dose values are multiples of 1/_GRID: any sum of them below 2**29 is exact in float64,
#: so a weekly total does not depend on the order of the sets (a simulation's truth and a build of
#: its exports agree to the last bit).
_GRID = 2.0**24


def _column(frame: pd.DataFrame, name: str, dtype=float) -> pd.Series:
    if name in frame.columns:
        column = frame[name]
        if dtype is float and column.dtype != np.float64:
            column = pd.to_numeric(column, errors="raise").astype(float)
        return column
    return pd.Series(np.nan, index=frame.index, dtype=dtype)


def _per_athlete(athletes: pd.DataFrame | None, column: str, uniques, missing):
    """Value of an ``athletes`` column for each distinct athlete id (plus a trailing missing)."""
    values = np.full(len(uniques) + 1, missing, dtype=object)
    if athletes is not None and column in athletes.columns and "athlete_id" in athletes.columns:
        table = athletes.drop_duplicates("athlete_id").set_index("athlete_id")[column]
        found = table.reindex(pd.Index(uniques, dtype=object)).to_numpy(dtype=object)
        values[:-1] = np.where(pd.isna(found), missing, found)
    return values


@takes_table("strength_sets", DOSE_SETS_NEED)
def soleus_dose(
    strength_sets: pd.DataFrame,
    athletes: pd.DataFrame | None = None,
    catalog: ExerciseCatalog | str | PathLike[str] | None = None,
    *,
    tz: str = "UTC",
) -> pd.DataFrame:
    """The soleus dose of every set.

    Parameters
    ----------
    strength_sets : DataFrame
        A canonical ``strength_sets`` table (:class:`~soleus_analysis.schemas.StrengthSetsSchema`),
        validated (``sol.validate(df, "strength_sets").valid``); needs ``athlete_id``,
        ``session_start``, ``exercise_raw``, ``set_type``. A non-missing ``exercise`` that is a
        catalog id is used as is; otherwise ``exercise_raw`` is classified with the catalog.
    athletes : DataFrame, optional
        The ``athletes`` table: ``body_mass_kg`` (for the volume load of body-weight exercises)
        and ``timezone`` (for rows without one).
    catalog : ExerciseCatalog, path or None
        Exercise catalog; the shipped one by default.
    tz : str, default "UTC"
        Zone for rows whose own and athlete's zone are unknown.

    Returns
    -------
    DataFrame
        One row per input set, in input order; the index is the input's (named ``row``):

        - ``athlete_id``, ``session_start`` (UTC), ``date`` (local date), ``week_start`` (Monday
          of the local week), ``exercise_raw``, ``set_type``, ``reps``, ``load_kg`` [kg],
          ``duration_s`` [s], ``distance_m`` [m] as given;
        - ``exercise`` (canonical; missing when unmapped), ``mapped``, ``is_training``,
          ``plantar_flexor``, ``knee_position``, ``soleus_share`` [0-1], ``body_mass_share``
          [0-1] from the catalog; ``body_mass_kg`` [kg] from ``athletes``;
        - ``hard_set`` (working or failure), ``work_set`` (hard or drop);
        - ``soleus_sets`` [soleus-weighted sets], ``soleus_reps`` [reps], ``soleus_volume_kg``
          [kg], ``soleus_tut_s`` [s], ``soleus_distance_m`` [m], ``calf_sets`` [sets]: see the
          module docstring; all missing for unmapped sets;
        - ``source``, ``source_file``, ``source_row`` when the input has them.

        ``attrs["notes"]`` says which athletes lack the body mass their volume load needs.

    Raises
    ------
    InputError
        When a required column is missing.

    Examples
    --------
    >>> sets = pd.DataFrame({
    ...     "athlete_id": "a1", "session_start": pd.Timestamp("2024-05-05 22:30", tz="UTC"),
    ...     "exercise_raw": ["Seated Calf Raise (Machine)", "Single Leg Standing Calf Raise",
    ...                      "Calf Wall"],
    ...     "set_index": 0, "set_type": "working", "reps": [15.0, 12.0, None],
    ...     "load_kg": [40.0, 0.0, None], "duration_s": [None, None, 30.0], "distance_m": None,
    ...     "timezone": "Europe/Oslo"})
    >>> dose = soleus_dose(sets, pd.DataFrame({"athlete_id": ["a1"], "body_mass_kg": [70.0]}))
    >>> cols = ["week_start", "soleus_sets", "soleus_reps", "soleus_volume_kg", "soleus_tut_s"]
    >>> dose[cols].reset_index(drop=True)
      week_start  soleus_sets  soleus_reps  soleus_volume_kg  soleus_tut_s
    0 2024-05-06         0.85        12.75             510.0           0.0
    1 2024-05-06         0.65         7.80             546.0           0.0
    2 2024-05-06         0.00         0.00               0.0           0.0
    """
    parts = _set_dose(strength_sets, athletes, catalog, tz)
    sets = strength_sets
    table = parts.catalog.exercises
    index, mapped = parts.index, parts.mapped
    columns = {
        "athlete_id": sets["athlete_id"],
        "session_start": sets["session_start"],
        "date": parts.date,
        "week_start": (parts.week * _US_PER_DAY).view("datetime64[us]"),
        "exercise_raw": sets["exercise_raw"],
        "exercise": take_text(table["exercise"], index),
        "mapped": mapped,
        "is_training": pd.arrays.BooleanArray(
            take_values(table["is_training"].astype(float), index, 0.0) > 0, ~mapped
        ),
        "plantar_flexor": pd.arrays.BooleanArray(
            take_values(table["plantar_flexor"].astype(float), index, 0.0) > 0, ~mapped
        ),
        "knee_position": take_text(table["knee_position"], index),
        "soleus_share": parts.share,
        "body_mass_share": parts.body_share,
        "set_type": sets["set_type"],
        "reps": parts.reps,
        "load_kg": parts.load,
        "duration_s": parts.duration,
        "distance_m": parts.distance,
        "body_mass_kg": parts.body_mass,
        "hard_set": parts.hard,
        "work_set": parts.work,
        **parts.dose,
    }
    for name in ("source", "source_file", "source_row"):
        if name in sets.columns:
            columns[name] = sets[name]
    out = pd.DataFrame(columns, index=sets.index, copy=False)
    out.index.name = "row"
    out.attrs["notes"] = list(parts.notes)
    return out


def _on_grid(values: np.ndarray) -> np.ndarray:
    """Round to a multiple of 2**-24 (6e-8) so that sums are exact and independent of row order.

    Works in place (the arrays are ours and large); returns ``values``.
    """
    np.multiply(values, _GRID, out=values)
    np.rint(values, out=values)
    np.divide(values, _GRID, out=values)
    return values


@dataclass(frozen=True)
class _SetDose:
    """Per-set arrays shared by :func:`soleus_dose` and the weekly aggregation."""

    catalog: ExerciseCatalog
    index: np.ndarray
    mapped: np.ndarray
    athlete_codes: np.ndarray
    athlete_ids: pd.Index
    date: np.ndarray
    week: np.ndarray
    session: np.ndarray
    share: np.ndarray
    body_share: np.ndarray
    hard: np.ndarray
    work: np.ndarray
    reps: np.ndarray
    load: np.ndarray
    duration: np.ndarray
    distance: np.ndarray
    body_mass: np.ndarray
    dose: dict
    notes: tuple[str, ...] = ()


def _set_dose(strength_sets, athletes, catalog, tz) -> _SetDose:
    cat = resolve_catalog(catalog)
    sets = strength_sets
    if "exercise" in sets.columns:
        # A canonical id already in the table (from a reader or the simulator) wins; the catalog
        # classifies the other rows' names.
        ids = pd.Index(cat.exercises["exercise"])
        codes, uniques = runlength.factorize(sets["exercise"], use_na_sentinel=True)
        known = np.append(ids.get_indexer(pd.Index(uniques, dtype=object)), -1)
        index = known[codes]  # code -1 (missing) picks the trailing -1
        rest = index < 0
        if rest.all():
            index = catalog_index(sets["exercise_raw"], cat)
        elif rest.any():
            index[rest] = catalog_index(sets["exercise_raw"][rest], cat)
    else:
        index = catalog_index(sets["exercise_raw"], cat)
    table = cat.exercises
    athlete_codes, athlete_ids = runlength.factorize(sets["athlete_id"], use_na_sentinel=False)
    mass_by_athlete = _per_athlete(athletes, "body_mass_kg", athlete_ids, np.nan).astype(float)
    date = local_dates(sets["session_start"], row_zones(sets, athletes, tz)).to_numpy()
    days = date.view("int64") // _US_PER_DAY
    week = days - (days + 3) % 7  # Monday (1970-01-01 was a Thursday); see timeutils.week_start

    mapped = index >= 0
    row = np.where(mapped, index, len(table))  # the trailing entry of each lookup: unmapped
    share = _lookup(table["soleus_share"], np.nan)[row]
    body_share = _lookup(table["body_mass_share"], np.nan)[row]
    calf_exercise = (table["plantar_flexor"].astype(float) > 0) & (
        table["is_training"].astype(float) > 0
    )
    set_type = sets["set_type"]
    hard = set_type.isin(HARD_SET_TYPES).to_numpy(dtype=bool)
    work = set_type.isin(WORK_SET_TYPES).to_numpy(dtype=bool)
    reps = _column(sets, "reps").to_numpy(dtype=float)
    load = _column(sets, "load_kg").to_numpy(dtype=float)
    duration = _column(sets, "duration_s").to_numpy(dtype=float)
    distance = _column(sets, "distance_m").to_numpy(dtype=float)
    body_mass = mass_by_athlete[athlete_codes]

    counted = work & mapped  # unmapped sets get NaN below
    rep_work = counted & ~np.isnan(reps)
    moves_body = body_share > 0
    n = len(sets)
    unmapped = ~mapped
    any_unmapped = bool(unmapped.any())

    def masked(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
        values[~keep] = 0.0
        if any_unmapped:
            values[unmapped] = np.nan
        return _on_grid(values)

    with np.errstate(invalid="ignore"):
        # External load: missing means none for exercises that move the body, unknown otherwise.
        volume = load.copy()
        volume[np.isnan(load) & moves_body] = 0.0
        carried = np.multiply(body_share, body_mass)
        carried[~moves_body] = 0.0
        volume += carried
        del carried
        volume *= reps
        volume *= share
        calf = _lookup(calf_exercise.astype(float), 0.0)[row]
        calf[~hard] = 0.0
        dose = {
            "soleus_sets": masked(share.copy(), hard),
            "soleus_reps": masked(np.multiply(reps, share), rep_work),
            "soleus_volume_kg": masked(volume, rep_work & (share > 0)),
            "soleus_tut_s": masked(np.multiply(duration, share), counted & ~np.isnan(duration)),
            "soleus_distance_m": masked(
                np.multiply(distance, share), counted & ~np.isnan(distance)
            ),
            "calf_sets": masked(calf, np.ones(n, dtype=bool)),
        }
    unknown_mass = rep_work & (share > 0) & moves_body & np.isnan(body_mass)
    notes = ()
    if unknown_mass.any():
        who = np.unique(athlete_codes[unknown_mass])
        names = ", ".join(str(a) for a in np.asarray(athlete_ids, dtype=object)[who][:10])
        more = f" and {len(who) - 10} more" if len(who) > 10 else ""
        notes = (
            f"{int(unknown_mass.sum())} body-weight set(s) of {len(who)} athlete(s) "
            f"({names}{more}) "
            "have no body mass in the athletes table: their volume load (soleus_volume_kg) and the "
            "weekly volume of their weeks are missing, not 0",
        )
    return _SetDose(
        catalog=cat,
        index=index,
        mapped=mapped,
        athlete_codes=athlete_codes,
        athlete_ids=pd.Index(athlete_ids),
        date=date,
        week=week,
        session=_instants(sets["session_start"]),
        share=share,
        body_share=body_share,
        hard=hard,
        work=work,
        reps=reps,
        load=load,
        duration=duration,
        distance=distance,
        body_mass=body_mass,
        dose=dose,
        notes=notes,
    )


def _lookup(column: pd.Series, missing: float) -> np.ndarray:
    """A catalog column as floats with ``missing`` appended (the entry of unmapped rows)."""
    return np.append(column.to_numpy(dtype=float), [missing])


def _instants(values: pd.Series) -> np.ndarray:
    """Microseconds since the epoch of UTC timestamps, without a copy when they are in us."""
    array = values.array
    if isinstance(values.dtype, pd.DatetimeTZDtype) and values.dtype.unit == "us":
        return np.asarray(array.asi8)
    return values.to_numpy(dtype="datetime64[us]").view("int64")


def _weekly_from_arrays(athlete_codes, athlete_ids, week, session, mapped, dose) -> pd.DataFrame:
    """Sum per athlete and week with integer keys and bincount (no per-row Python).

    Rows of one athlete-week are mostly adjacent, so values are first summed over runs of rows of
    the same athlete and week (``np.add.reduceat``), then the runs per athlete-week. The per-set
    values lie on a grid that makes every sum exact, so the order of summation does not matter.
    """
    n_rows = len(week)
    starts = np.ones(n_rows, dtype=bool)
    if n_rows > 1:
        np.not_equal(athlete_codes[1:], athlete_codes[:-1], out=starts[1:])
        starts[1:] |= week[1:] != week[:-1]
    run_start = np.flatnonzero(starts)
    run_week = week[run_start]
    run_athlete = athlete_codes[run_start].astype("int64")
    first = int(run_week.min()) if n_rows else 0
    span = (int(run_week.max()) - first) // 7 + 1 if n_rows else 1
    key = run_athlete * span + (run_week - first) // 7
    n_keys = (int(run_athlete.max()) + 1) * span if n_rows else 0
    if n_keys <= max(4 * len(key), 1 << 20):
        # Dense key space: bincount on the key itself, then keep the keys that occur.
        group_of_key = np.full(n_keys, -1, dtype="int64")
        present = np.flatnonzero(np.bincount(key, minlength=n_keys))
        group_of_key[present] = np.arange(len(present))
        group, keys = group_of_key[key], present
    else:
        group, keys = pd.factorize(key, sort=True)
    n = len(keys)

    def per_run(values: np.ndarray, dtype=None) -> np.ndarray:
        if n_rows == 0:
            return np.zeros(0, dtype=dtype or float)
        return np.add.reduceat(values, run_start, dtype=dtype)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=per_run(values), minlength=n)

    all_mapped = bool(mapped.all())
    sums = {}
    for name in DOSE_COLUMNS:
        values = dose[name]
        sums[name] = total(values if all_mapped else np.where(mapped, values, 0.0))
    volume_missing = np.isnan(dose["soleus_volume_kg"])
    if not all_mapped:
        volume_missing &= mapped
    if volume_missing.any():
        missing = np.bincount(group, weights=per_run(volume_missing.view(np.uint8), "int64"),
                              minlength=n)
        sums["soleus_volume_kg"] = np.where(missing > 0, np.nan, sums["soleus_volume_kg"])
    # Distinct session starts per group: sets of a session are mostly adjacent, so only the rows
    # that start a run of equal (group, start) enter the distinct count.
    session_start = starts.copy()
    if n_rows > 1:
        session_start[1:] |= session[1:] != session[:-1]
    rows = np.flatnonzero(session_start)
    run_of_row = np.searchsorted(run_start, rows, side="right") - 1
    distinct = pd.DataFrame({"g": group[run_of_row], "s": session[rows]}).drop_duplicates()
    sums["strength_sessions"] = np.bincount(distinct["g"].to_numpy(), minlength=n).astype("int64")
    lengths = np.diff(run_start, append=n_rows)
    sums["sets_logged"] = np.bincount(group, weights=lengths, minlength=n).astype("int64")
    if all_mapped:
        sums["unmapped_sets"] = np.zeros(n, dtype="int64")
    else:
        unmapped = per_run((~mapped).view(np.uint8), "int64")
        sums["unmapped_sets"] = np.bincount(group, weights=unmapped, minlength=n).astype("int64")
    out = pd.DataFrame(
        {
            "athlete_id": athlete_ids.take(keys // span),
            "week_start": ((keys % span * 7 + first) * _US_PER_DAY).view("datetime64[us]"),
            **{name: sums[name] for name in WEEKLY_DOSE_COLUMNS},
        }
    )
    return out.sort_values(_KEYS, kind="stable", ignore_index=True)


def _check_dose(dose: pd.DataFrame) -> None:
    needed = ["athlete_id", "week_start", "session_start", "mapped", *DOSE_COLUMNS]
    missing = [c for c in needed if c not in dose.columns]
    if missing:
        raise InputError(
            f"weekly() needs the per-set table of sol.soleus_dose(); it lacks {', '.join(missing)}",
            fix="call sol.weekly(sol.soleus_dose(strength_sets, athletes))",
        )


def weekly(dose: pd.DataFrame) -> pd.DataFrame:
    """Sum the per-set soleus dose per athlete and week.

    Parameters
    ----------
    dose : DataFrame
        The output of :func:`soleus_dose`.

    Returns
    -------
    DataFrame
        One row per athlete and week with at least one logged set, sorted by ``athlete_id`` and
        ``week_start`` (Monday, local date):

        - ``soleus_sets`` [soleus-weighted sets], ``soleus_reps`` [reps], ``soleus_tut_s`` [s],
          ``soleus_distance_m`` [m], ``calf_sets`` [sets]: sums over the week's mapped sets;
        - ``soleus_volume_kg`` [kg]: sum over mapped sets; missing when any of them has a missing
          volume (body mass unknown), never a partial sum;
        - ``strength_sessions``: distinct session starts [sessions];
        - ``sets_logged``: all set rows of the week, mapped or not, warm-ups included [sets];
        - ``unmapped_sets``: set rows whose exercise name the catalog does not know [sets].

        Weeks without any logged set are absent here; :func:`soleus_analysis.build_panel` decides
        whether such a week is a 0 (the athlete was logging) or missing.

    Examples
    --------
    >>> sets = pd.DataFrame({
    ...     "athlete_id": "a1",
    ...     "session_start": pd.to_datetime(["2024-05-06T07:00Z", "2024-05-08T07:00Z"]),
    ...     "exercise_raw": ["Seated Calf Raise", "Mystery Machine"], "set_type": "working",
    ...     "reps": [20.0, 10.0], "load_kg": [30.0, 50.0]})
    >>> cols = ["week_start", "soleus_sets", "soleus_volume_kg", "strength_sessions",
    ...         "unmapped_sets"]
    >>> weekly(soleus_dose(sets))[cols]
      week_start  soleus_sets  soleus_volume_kg  strength_sessions  unmapped_sets
    0 2024-05-06         0.85             510.0                  2              1
    """
    _check_dose(dose)
    athlete_codes, athlete_ids = pd.factorize(dose["athlete_id"], use_na_sentinel=False)
    return _weekly_from_arrays(
        athlete_codes,
        pd.Index(athlete_ids),
        dose["week_start"].to_numpy(dtype="datetime64[us]").view("int64") // _US_PER_DAY,
        _instants(dose["session_start"]),
        dose["mapped"].to_numpy(dtype=bool),
        {name: dose[name].to_numpy(dtype=float) for name in DOSE_COLUMNS},
    )


@takes_table("strength_sets", DOSE_SETS_NEED)
def weekly_dose(
    strength_sets: pd.DataFrame,
    athletes: pd.DataFrame | None = None,
    catalog: ExerciseCatalog | str | PathLike[str] | None = None,
    *,
    tz: str = "UTC",
) -> pd.DataFrame:
    """``weekly(soleus_dose(...))`` without building the per-set table (faster on large logs).

    Parameters
    ----------
    strength_sets : DataFrame
        A canonical ``strength_sets`` table (:class:`~soleus_analysis.schemas.StrengthSetsSchema`);
        needs ``athlete_id``, ``session_start``, ``exercise_raw``, ``set_type``.
    athletes, catalog, tz
        See :func:`soleus_dose`.

    Returns
    -------
    DataFrame
        The table of :func:`weekly`.
    """
    p = _set_dose(strength_sets, athletes, catalog, tz)
    return _weekly_from_arrays(p.athlete_codes, p.athlete_ids, p.week, p.session, p.mapped, p.dose)


def dose_provenance(dose: pd.DataFrame) -> pd.DataFrame:
    """Which sets make up each weekly dose: one row per set, keyed by athlete and week.

    Summing any dose column of this table per ``athlete_id`` and ``week_start`` gives the
    corresponding column of :func:`weekly` (for the volume, when none of the week's mapped sets has
    a missing volume).

    Parameters
    ----------
    dose : DataFrame
        The output of :func:`soleus_dose`.

    Returns
    -------
    DataFrame
        ``athlete_id``, ``week_start``, ``row`` (the set's row in the ``strength_sets`` table
        given to :func:`soleus_dose`), ``source_file`` and ``source_row`` (the export file and its
        line, header = 1; missing when unknown), ``session_start``, ``exercise_raw``,
        ``exercise``, ``set_type``, ``mapped`` and the dose columns; sorted by athlete, week,
        session start and row.

    Examples
    --------
    >>> sets = pd.DataFrame({
    ...     "athlete_id": "a1", "session_start": pd.to_datetime(["2024-05-06T07:00Z"] * 2),
    ...     "exercise_raw": "Seated Calf Raise", "set_type": ["warmup", "working"], "reps": 20.0,
    ...     "load_kg": 30.0, "source_file": "strong.csv", "source_row": [2, 3]})
    >>> dose_provenance(soleus_dose(sets))[["row", "source_file", "source_row", "soleus_sets"]]
       row source_file  source_row  soleus_sets
    0    0  strong.csv           2         0.00
    1    1  strong.csv           3         0.85
    """
    _check_dose(dose)
    out = dose.reset_index(names="row")
    for name in ("source_file", "source_row"):
        if name not in out.columns:
            out[name] = pd.Series(
                pd.NA, index=out.index, dtype="str" if name == "source_file" else "Int64"
            )
    columns = [
        "athlete_id",
        "week_start",
        "row",
        "source_file",
        "source_row",
        "session_start",
        "exercise_raw",
        "exercise",
        "set_type",
        "mapped",
        *DOSE_COLUMNS,
    ]
    out = out[columns].sort_values(
        ["athlete_id", "week_start", "session_start", "row"], kind="stable"
    )
    return out.reset_index(drop=True)


def programme_start(
    dose: pd.DataFrame,
    *,
    athletes=None,
    knee_positions: tuple[str, ...] = ("bent", "mixed"),
    min_weeks: int = 3,
) -> pd.DataFrame:
    """Who started a soleus programme, and when, from the sets they logged.

    A log does not say whether an athlete follows a soleus programme; the sets do. An athlete is
    taken to follow one when hard sets of soleus-biased calf exercises (knee bent or moving
    through flexion: seated, bent-knee and horse-stance raises, soleus walks, the slant-board
    single-leg squat) appear in at least ``min_weeks`` different weeks; the programme starts in
    the first of those weeks. Straight-knee raises alone (common in general strength work) do not
    make a programme. This is a description of the logs, not an assignment: in a trial, use the
    group the athletes were randomised to.

    Parameters
    ----------
    dose : DataFrame
        The per-set table of :func:`soleus_dose` (``study.dose``).
    athletes : sequence of str, optional
        Athletes to report (e.g. ``study.panel["athlete_id"]``), those who logged no set
        included; default: the athletes of ``dose``.
    knee_positions : tuple of str, default ("bent", "mixed")
        Knee positions (catalog ``knee_position``) that count as soleus-biased.
    min_weeks : int, default 3
        Weeks with such sets needed to call it a programme.

    Returns
    -------
    DataFrame
        One row per athlete (of ``athletes``, else of ``dose``), sorted: ``athlete_id``,
        ``group`` (``"soleus programme"`` or ``"no programme"``), ``programme_start`` (Monday
        of the first week with soleus-biased hard sets, missing without a programme),
        ``soleus_biased_weeks`` (weeks with such sets).

    Examples
    --------
    >>> sets = pd.DataFrame({
    ...     "athlete_id": ["a"] * 3 + ["b"] * 3,
    ...     "session_start": pd.to_datetime(["2024-05-06T07:00Z", "2024-05-14T07:00Z",
    ...                                      "2024-05-21T07:00Z"] * 2),
    ...     "exercise_raw": ["Seated Calf Raise"] * 3 + ["Standing Calf Raise"] * 3,
    ...     "set_type": "working", "reps": 15.0, "load_kg": 20.0})
    >>> programme_start(soleus_dose(sets))
      athlete_id             group programme_start  soleus_biased_weeks
    0          a  soleus programme      2024-05-06                    3
    1          b      no programme             NaT                    0
    """
    needed = ["athlete_id", "week_start", "knee_position", "hard_set"]
    missing = [c for c in needed if c not in dose.columns]
    if missing:
        raise InputError(
            f"programme_start() needs the per-set table of sol.soleus_dose(); it lacks "
            f"{', '.join(missing)}",
            fix="call sol.programme_start(sol.soleus_dose(strength_sets, athletes))",
        )
    if int(min_weeks) < 1:
        raise ValueError(f"min_weeks must be at least 1, got {min_weeks!r}")
    biased = dose["knee_position"].isin(knee_positions).to_numpy(dtype=bool) & dose[
        "hard_set"
    ].to_numpy(dtype=bool)
    if "is_training" in dose.columns:
        biased &= dose["is_training"].fillna(False).to_numpy(dtype=bool)
    weeks = (
        dose.loc[biased, ["athlete_id", "week_start"]]
        .drop_duplicates()
        .groupby("athlete_id", sort=True)["week_start"]
        .agg(["min", "size"])
    )
    ids = dose["athlete_id"] if athletes is None else pd.Series(list(athletes), dtype=object)
    athletes = pd.Index(sorted(ids.dropna().unique()), name="athlete_id")
    weeks = weeks.reindex(athletes)
    n = weeks["size"].fillna(0).astype("int64")
    started = n >= int(min_weeks)
    out = pd.DataFrame(
        {
            "athlete_id": athletes.to_numpy(dtype=object),
            "group": np.where(started, "soleus programme", "no programme").astype(object),
            "programme_start": weeks["min"].where(started).to_numpy(dtype="datetime64[us]"),
            "soleus_biased_weeks": n.to_numpy(),
        }
    )
    return out
