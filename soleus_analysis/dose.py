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
- Unmapped sets (names the catalog does not know) get missing dose values and are counted in
  ``unmapped_sets`` of their week; :func:`soleus_analysis.unmapped` lists their names. Sets of
  stretches and massage ("Calf Wall", "Calf Rubs") are recognised and count 0.

Days and weeks are local (the row's ``timezone``, else the athlete's, else ``tz``); the week
starts on Monday (:mod:`soleus_analysis.timeutils`). The functions are pure and deterministic: the
simulated cohort's "true" weekly dose is computed with them from the generated sets.
"""

from __future__ import annotations

from os import PathLike

import numpy as np
import pandas as pd

from soleus_analysis.catalog import ExerciseCatalog, classify_exercises, resolve_catalog
from soleus_analysis.errors import InputError
from soleus_analysis.timeutils import local_dates, week_start

__all__ = [
    "DOSE_COLUMNS",
    "WEEKLY_DOSE_COLUMNS",
    "dose_provenance",
    "soleus_dose",
    "weekly",
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


def _column(frame: pd.DataFrame, name: str, dtype=float) -> pd.Series:
    if name in frame.columns:
        return pd.to_numeric(frame[name], errors="raise").astype(dtype) if dtype is float else frame[name]
    return pd.Series(np.nan, index=frame.index, dtype=dtype)


def _zones(sets: pd.DataFrame, athletes: pd.DataFrame | None, tz: str) -> pd.Series:
    zones = pd.Series(pd.NA, index=sets.index, dtype=object)
    if "timezone" in sets.columns:
        zones = sets["timezone"].astype(object)
    if athletes is not None and "timezone" in athletes.columns:
        by_athlete = athletes.drop_duplicates("athlete_id").set_index("athlete_id")["timezone"]
        zones = zones.where(zones.notna(), sets["athlete_id"].map(by_athlete))
    return zones.where(zones.notna(), tz)


def _body_mass(sets: pd.DataFrame, athletes: pd.DataFrame | None) -> pd.Series:
    if athletes is None or "body_mass_kg" not in athletes.columns:
        return pd.Series(np.nan, index=sets.index, dtype=float)
    mass = athletes.drop_duplicates("athlete_id").set_index("athlete_id")["body_mass_kg"].astype(float)
    return sets["athlete_id"].map(mass).astype(float)


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
        A validated ``strength_sets`` table (``sol.validate(df, "strength_sets").valid``). A
        non-missing ``exercise`` that is a catalog id is used as is; otherwise ``exercise_raw`` is
        classified with the catalog.
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

    Raises
    ------
    InputError
        When a required column is missing.

    Examples
    --------
    >>> sets = pd.DataFrame({
    ...     "athlete_id": "a1", "session_start": pd.Timestamp("2024-05-05 22:30", tz="UTC"),
    ...     "exercise_raw": ["Seated Calf Raise (Machine)", "Single Leg Standing Calf Raise", "Calf Wall"],
    ...     "set_index": 0, "set_type": ["working", "working", "working"], "reps": [15.0, 12.0, None],
    ...     "load_kg": [40.0, 0.0, None], "duration_s": [None, None, 30.0], "distance_m": None,
    ...     "timezone": "Europe/Oslo"})
    >>> dose = soleus_dose(sets, pd.DataFrame({"athlete_id": ["a1"], "body_mass_kg": [70.0]}))
    >>> dose[["week_start", "soleus_sets", "soleus_reps", "soleus_volume_kg", "soleus_tut_s"]].reset_index(drop=True)
      week_start  soleus_sets  soleus_reps  soleus_volume_kg  soleus_tut_s
    0 2024-05-06         0.85        12.75             510.0           0.0
    1 2024-05-06         0.65         7.80             546.0           0.0
    2 2024-05-06         0.00         0.00               0.0           0.0
    """
    if not isinstance(strength_sets, pd.DataFrame):
        raise TypeError(f"soleus_dose() needs a DataFrame, got {type(strength_sets).__name__}")
    required = ["athlete_id", "session_start", "exercise_raw", "set_type"]
    missing = [c for c in required if c not in strength_sets.columns]
    if missing:
        raise InputError(
            f"the strength_sets table lacks the column(s) {', '.join(missing)}",
            fix="pass a validated strength_sets table (sol.validate(df, 'strength_sets').valid)",
        )
    cat = resolve_catalog(catalog)
    sets = strength_sets
    names = sets["exercise_raw"].astype(object)
    if "exercise" in sets.columns:
        given = sets["exercise"].astype(object)
        known = given.isin(set(cat.exercises["exercise"]))
        names = given.where(known, names)
    classes = classify_exercises(names, cat)

    out = pd.DataFrame(index=sets.index)
    out["athlete_id"] = sets["athlete_id"]
    out["session_start"] = sets["session_start"]
    zones = _zones(sets, athletes, tz)
    out["date"] = local_dates(sets["session_start"], zones)
    out["week_start"] = week_start(out["date"])
    out["exercise_raw"] = sets["exercise_raw"]
    out["exercise"] = classes["exercise"]
    for name in ("mapped", "is_training", "plantar_flexor", "knee_position", "soleus_share", "body_mass_share"):
        out[name] = classes[name]
    set_type = sets["set_type"].astype(object)
    out["set_type"] = sets["set_type"]
    reps = _column(sets, "reps")
    load = _column(sets, "load_kg")
    duration = _column(sets, "duration_s")
    distance = _column(sets, "distance_m")
    out["reps"], out["load_kg"], out["duration_s"], out["distance_m"] = reps, load, duration, distance
    body = _body_mass(sets, athletes)
    out["body_mass_kg"] = body

    mapped = classes["mapped"].to_numpy(dtype=bool)
    share = classes["soleus_share"].to_numpy(dtype=float)
    body_share = classes["body_mass_share"].to_numpy(dtype=float)
    training = classes["is_training"].to_numpy(dtype=bool, na_value=False)
    plantar = classes["plantar_flexor"].to_numpy(dtype=bool, na_value=False)
    hard = set_type.isin(HARD_SET_TYPES).to_numpy()
    work = set_type.isin(WORK_SET_TYPES).to_numpy()
    out["hard_set"] = hard
    out["work_set"] = work

    r = reps.to_numpy(dtype=float)
    w = load.to_numpy(dtype=float)
    bw = body.to_numpy(dtype=float)
    has_reps = ~np.isnan(r)
    # External load: missing means none for exercises that move the body, unknown otherwise.
    external = np.where(np.isnan(w) & (body_share > 0), 0.0, w)
    moved = external + np.where(body_share > 0, body_share * bw, 0.0)
    with np.errstate(invalid="ignore"):
        volume = np.where(work & has_reps, np.nan_to_num(r) * moved * share, 0.0)
    volume = np.where(share == 0, 0.0, volume)
    dose = {
        "soleus_sets": np.where(hard, share, 0.0),
        "soleus_reps": np.where(work & has_reps, np.nan_to_num(r) * share, 0.0),
        "soleus_volume_kg": volume,
        "soleus_tut_s": np.where(work, np.nan_to_num(duration.to_numpy(dtype=float)) * share, 0.0),
        "soleus_distance_m": np.where(work, np.nan_to_num(distance.to_numpy(dtype=float)) * share, 0.0),
        "calf_sets": (hard & plantar & training).astype(float),
    }
    for name, values in dose.items():
        out[name] = np.where(mapped, values, np.nan)
    for name in ("source", "source_file", "source_row"):
        if name in sets.columns:
            out[name] = sets[name]
    out.index.name = "row"
    return out


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
    ...     "athlete_id": "a1", "session_start": pd.to_datetime(["2024-05-06T07:00Z", "2024-05-08T07:00Z"]),
    ...     "exercise_raw": ["Seated Calf Raise", "Mystery Machine"], "set_type": "working",
    ...     "reps": [20.0, 10.0], "load_kg": [30.0, 50.0]})
    >>> weekly(soleus_dose(sets))[["week_start", "soleus_sets", "soleus_volume_kg", "strength_sessions", "unmapped_sets"]]
      week_start  soleus_sets  soleus_volume_kg  strength_sessions  unmapped_sets
    0 2024-05-06         0.85             510.0                  2              1
    """
    _check_dose(dose)
    mapped = dose["mapped"].to_numpy(dtype=bool)
    frame = pd.DataFrame({"athlete_id": dose["athlete_id"].to_numpy(), "week_start": dose["week_start"].to_numpy()})
    for name in DOSE_COLUMNS:
        frame[name] = dose[name].to_numpy(dtype=float)
    frame["volume_missing"] = mapped & np.isnan(frame["soleus_volume_kg"].to_numpy())
    frame["sets_logged"] = 1
    frame["unmapped_sets"] = (~mapped).astype("int64")
    grouped = frame.groupby(_KEYS, sort=False, observed=True)
    sums = grouped[[*DOSE_COLUMNS, "volume_missing", "sets_logged", "unmapped_sets"]].sum(min_count=0)
    sums.loc[sums["volume_missing"] > 0, "soleus_volume_kg"] = np.nan
    sessions = (
        pd.DataFrame({"athlete_id": frame["athlete_id"], "week_start": frame["week_start"],
                      "session_start": dose["session_start"].to_numpy()})
        .drop_duplicates()
        .groupby(_KEYS, sort=False, observed=True)
        .size()
    )
    sums["strength_sessions"] = sessions.reindex(sums.index).astype("int64")
    out = sums.reset_index().sort_values(_KEYS, kind="stable", ignore_index=True)
    out["sets_logged"] = out["sets_logged"].astype("int64")
    out["unmapped_sets"] = out["unmapped_sets"].astype("int64")
    return out[[*_KEYS, *WEEKLY_DOSE_COLUMNS]]


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
            out[name] = pd.Series(pd.NA, index=out.index, dtype="str" if name == "source_file" else "Int64")
    columns = [
        "athlete_id", "week_start", "row", "source_file", "source_row", "session_start",
        "exercise_raw", "exercise", "set_type", "mapped", *DOSE_COLUMNS,
    ]
    out = out[columns].sort_values(["athlete_id", "week_start", "session_start", "row"], kind="stable")
    return out.reset_index(drop=True)
