"""Event-level simulated cohort: the canonical tables of one draw of the generating model.

:func:`simulate_cohort` draws a cohort with :func:`.generate.draw` (the same draw as
:func:`.panel.simulate_panel` with the same seed) and writes it out as the canonical tables
``athletes``, ``strength_sets``, ``runs``, ``sessions`` and ``wellness``. Everything a panel
column depends on comes from the model draw; a second, independent random stream adds what the
panel never looks at: times of day, exercise names as the apps log them, reps and loads, warm-up
and drop sets, stretches, elapsed time, maximal heart rate, cadence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from soleus_analysis.simulation.exercises import EXERCISE_IDS, GENERAL_EXERCISES
from soleus_analysis.simulation.panel import (
    SimulationParams,
    draw_study,
    planted_truth,
    weekly_panel,
)
from soleus_analysis.simulation.parameters import Design, Effects
from soleus_analysis.simulation.trajectories import LONG, WORKOUT

__all__ = ["EXERCISE_NAMES", "Cohort", "simulate_cohort", "write_canonical"]

LB_IN_KG = 0.45359237

#: Exercise names as athletes' apps log them (Strong and Hevy built-ins and typical custom
#: names); each simulated athlete logs one of them per exercise, always the same one.
EXERCISE_NAMES: dict[str, tuple[str, ...]] = {
    "seated_calf_raise": (
        "Seated Calf Raise (Machine)",
        "Seated Calf Raise (Plate Loaded)",
        "Seated Calf Raise",
    ),
    "soleus_walk": ("Soleus Walk", "Soleus Walks"),
    "soleus_walk_farmers_carry": ("Soleus Walk (Farmers Carry)", "Soleus Walk + Farmer's Carry"),
    "soleus_walk_suitcase_carry": ("Soleus Walk (Suitcase Carry)", "Soleus Walk + Suitcase Carry"),
    "horse_stance_calf_raise": (
        "Horse Stance Calf Raise",
        "Horse Stance Alternating Calf Raise",
    ),
    "slant_board_single_leg_squat": (
        "Slant Board Single Leg Squat",
        "Heel Elevated Single Leg Squat",
    ),
    "bent_knee_calf_raise": ("Bent Knee Calf Raise", "Bent-Knee Calf Raise"),
    "single_leg_bent_knee_calf_raise": (
        "Single Leg Bent Knee Calf Raise",
        "Single Leg Bent-Knee Calf Raise (Dumbbell)",
    ),
    "standing_calf_raise": (
        "Standing Calf Raise (Machine)",
        "Standing Calf Raise (Smith Machine)",
        "Calf Raise (Machine)",
    ),
    "single_leg_standing_calf_raise": (
        "Single Leg Standing Calf Raise",
        "Single Leg Calf Raise (Dumbbell)",
    ),
    "calf_press_leg_press": ("Calf Press on Leg Press", "Calf Press (Machine)"),
    "donkey_calf_raise": ("Donkey Calf Raise",),
    "jump_rope": ("Jump Rope",),
    "pogo_hops": ("Pogo Hops", "Pogo Jumps"),
    "calf_stretch": ("Calf Wall", "Calf Stretch"),
    "calf_massage": ("Calf Rubs",),
    "calf_foam_roll": ("Foam Roll Calves",),
    "squat": ("Squat (Barbell)", "Back Squat"),
    "deadlift": ("Deadlift (Barbell)",),
    "romanian_deadlift": ("Romanian Deadlift (Dumbbell)", "Romanian Deadlift (Barbell)"),
    "lunge": ("Lunge (Dumbbell)", "Walking Lunge (Dumbbell)"),
    "bulgarian_split_squat": ("Bulgarian Split Squat", "Bulgarian Split Squat (Dumbbell)"),
    "hip_thrust": ("Hip Thrust (Barbell)",),
    "leg_press": ("Leg Press", "Leg Press (Machine)"),
    "plank": ("Plank",),
    "pull_up": ("Pull Up",),
    "bench_press": ("Bench Press (Barbell)",),
}

# How each exercise is measured: kind, reps range (or metres / seconds), load as a share of
# body mass (0 = body weight; None = no load recorded).
_KIND: dict[str, tuple[str, tuple[float, float], tuple[float, float] | None]] = {
    "seated_calf_raise": ("reps", (12, 20), (0.35, 0.6)),
    "soleus_walk": ("distance", (20, 40), (0.0, 0.0)),
    "soleus_walk_farmers_carry": ("distance", (20, 40), (0.3, 0.5)),
    "soleus_walk_suitcase_carry": ("distance", (20, 40), (0.15, 0.3)),
    "horse_stance_calf_raise": ("reps", (16, 30), (0.0, 0.0)),
    "slant_board_single_leg_squat": ("reps", (6, 12), (0.0, 0.0)),
    "bent_knee_calf_raise": ("reps", (15, 25), (0.0, 0.0)),
    "single_leg_bent_knee_calf_raise": ("reps", (10, 15), (0.15, 0.25)),
    "standing_calf_raise": ("reps", (10, 15), (0.6, 1.0)),
    "single_leg_standing_calf_raise": ("reps", (10, 15), (0.15, 0.25)),
    "calf_press_leg_press": ("reps", (12, 20), (1.0, 1.8)),
    "donkey_calf_raise": ("reps", (15, 20), (0.0, 0.0)),
    "jump_rope": ("duration", (60, 120), (0.0, 0.0)),
    "pogo_hops": ("reps", (20, 40), (0.0, 0.0)),
    "calf_stretch": ("duration", (30, 45), None),
    "calf_massage": ("duration", (45, 90), None),
    "calf_foam_roll": ("duration", (45, 90), None),
    "squat": ("reps", (5, 10), (0.8, 1.2)),
    "deadlift": ("reps", (4, 8), (1.0, 1.5)),
    "romanian_deadlift": ("reps", (8, 12), (0.5, 0.8)),
    "lunge": ("reps", (8, 12), (0.2, 0.4)),
    "bulgarian_split_squat": ("reps", (8, 12), (0.2, 0.4)),
    "hip_thrust": ("reps", (8, 12), (0.8, 1.4)),
    "leg_press": ("reps", (10, 15), (1.2, 2.0)),
    "plank": ("duration", (45, 90), (0.0, 0.0)),
    "pull_up": ("reps", (4, 10), (0.0, 0.0)),
    "bench_press": ("reps", (5, 10), (0.5, 0.9)),
}
_BARBELL = {"squat", "deadlift", "bench_press", "hip_thrust"}
_MACHINE = {"seated_calf_raise", "standing_calf_raise", "calf_press_leg_press"}
_PROGRAMME_NAMES = ("Soleus", "Calves & Soleus", "Soleus programme", "Lower leg")
_GENERAL_NAMES = ("Lower Body", "Full Body", "Gym", "Strength")
_RUN_HOURS = np.array([6.0, 6.5, 7.0, 12.0, 17.0, 17.5, 18.5])


@dataclass(frozen=True)
class Cohort:
    """A simulated cohort in the canonical tables, with its known answer.

    Attributes
    ----------
    athletes, strength_sets, runs, sessions, wellness : DataFrame
        Canonical tables (see ``soleus schema``); they pass :func:`soleus_analysis.validate`
        without a rejected row.
    truth : DataFrame
        The athlete-week truth: the panel that the cohort's weeks sum to, with the latent
        adaptation, the true easy pace and the soleus dose as generated; identical to
        ``simulate_panel(...).panel`` with the same arguments (columns documented there).
    planted : dict
        The planted quantities (see :func:`soleus_analysis.simulation.panel.planted_truth`).
    params : SimulationParams
    """

    athletes: pd.DataFrame
    strength_sets: pd.DataFrame
    runs: pd.DataFrame
    sessions: pd.DataFrame
    wellness: pd.DataFrame
    truth: pd.DataFrame
    planted: dict
    params: SimulationParams

    def tables(self) -> dict[str, pd.DataFrame]:
        """The canonical tables by name."""
        return {
            "athletes": self.athletes,
            "strength_sets": self.strength_sets,
            "runs": self.runs,
            "sessions": self.sessions,
            "wellness": self.wellness,
        }


def _to_utc(local: np.ndarray, zones: np.ndarray) -> pd.Series:
    """Naive local datetimes in each row's zone -> tz-aware UTC (``datetime64[us, UTC]``)."""
    out = np.empty(len(local), dtype="datetime64[us]")
    for zone in pd.unique(zones):
        rows = np.flatnonzero(zones == zone)
        stamps = pd.DatetimeIndex(local[rows]).tz_localize(
            zone, ambiguous="raise", nonexistent="raise"
        )
        out[rows] = stamps.tz_convert("UTC").tz_localize(None).as_unit("us").to_numpy()
    out = pd.Series(out).dt.tz_localize("UTC")
    return out


def _grid(load_kg: np.ndarray | float, unit: str) -> np.ndarray:
    """Round a load to the plates of the athlete's unit: 2.5 kg, or 5 lb converted to kg."""
    load = np.asarray(load_kg, dtype=float)
    if unit == "lb":
        return np.round(load / LB_IN_KG / 5.0) * 5.0 * LB_IN_KG
    return np.round(load / 2.5) * 2.5


class _Habits:
    """Per-athlete cosmetic habits drawn from the detail stream."""

    def __init__(self, params: SimulationParams, rng: np.random.Generator) -> None:
        ath = params.athletes
        n = len(ath)
        self.run_hour = rng.choice(_RUN_HOURS, n)
        self.long_hour = rng.uniform(7.5, 9.5, n)
        morning = self.run_hour < 11
        lunch = (self.run_hour >= 11) & (self.run_hour < 14)
        self.strength_hour = np.where(
            morning,
            rng.choice(np.array([17.5, 18.0, 18.5, 19.0]), n),
            np.where(
                lunch,
                rng.choice(np.array([6.5, 7.0, 18.0]), n),
                rng.choice(np.array([6.5, 7.0, 12.0]), n),
            ),
        )
        self.cadence = rng.normal(172, 6, n)
        self.stop_share = rng.uniform(0.005, 0.04, n)
        self.names = [
            {
                ex: str(rng.choice(np.array(names, dtype=object)))
                for ex, names in EXERCISE_NAMES.items()
            }
            for _ in range(n)
        ]
        self.base_load = rng.uniform(0, 1, (n, len(EXERCISE_IDS)))
        self.reps_pos = rng.uniform(0, 1, (n, len(EXERCISE_IDS)))
        apps = ath["strength_app"].to_numpy()
        self.logs_rpe = rng.random(n) < np.where(apps == "hevy", 0.4, 0.15)
        self.warms_up = rng.random(n) < 0.5
        self.failure_rate = rng.choice(np.array([0.0, 0.1, 0.3]), n)
        self.stretches = rng.random(n) < 0.3
        self.massages = rng.random(n) < 0.1
        self.foam_rolls = rng.random(n) < 0.1
        self.workout_name = rng.choice(np.array(_PROGRAMME_NAMES, dtype=object), n)
        self.general_name = rng.choice(np.array(_GENERAL_NAMES, dtype=object), n)
        general = np.array(GENERAL_EXERCISES, dtype=object)
        self.general_pool = [rng.choice(general, 4, replace=False) for _ in range(n)]


def _runs(traj, params, hab, rng, dates) -> tuple[pd.DataFrame, pd.DataFrame]:
    a, dy = traj.athletes, traj.days
    i, w, d = np.nonzero(dy["run_type"])
    typ = dy["run_type"][i, w, d]
    n = len(i)
    hour = np.where(
        (typ == LONG) & (d >= 5), hab.long_hour[i], hab.run_hour[i]
    ) + 0.3 * rng.standard_normal(n)
    seconds = np.round(np.clip(hour, 5.0, 21.0) * 3600.0).astype("int64")
    local = dates[w, d] + seconds.astype("timedelta64[s]")
    zones = a["timezone"][i]
    start = _to_utc(local, zones)
    moving = dy["moving_time_s"][i, w, d]
    distance = dy["distance_m"][i, w, d]
    manual = dy["manual"][i, w, d]
    stops = np.where(manual, 0.0, np.round(moving * rng.exponential(hab.stop_share[i])))
    hr = dy["avg_hr_bpm"][i, w, d]
    hr_max = a["hr_max_bpm"][i]
    max_hr = np.minimum(
        hr + 8 + np.where(typ == WORKOUT, 12, 0) + np.round(np.abs(3 * rng.standard_normal(n))),
        hr_max,
    )
    pace = moving / distance * 1000.0
    cadence = np.where(
        manual,
        np.nan,
        np.round(hab.cadence[i] + 0.12 * (345.0 - pace) + 2 * rng.standard_normal(n)),
    )
    local_hour = seconds / 3600.0
    easy_name = np.select(
        [local_hour < 11, local_hour < 14, local_hour < 17],
        ["Morning Run", "Lunch Run", "Afternoon Run"],
        "Evening Run",
    )
    workout_name = np.where(rng.random(n) < 0.5, "Tempo Run", "Intervals")
    name = np.select([typ == LONG, typ == WORKOUT], ["Long Run", workout_name], easy_name)
    rpe = np.where(a["run_rpe_logged"][i], dy["run_rpe"][i, w, d], np.nan)
    ef = distance / (moving / 60.0) / hr
    runs = pd.DataFrame(
        {
            "athlete_id": pd.array(a["athlete_id"][i], dtype="str"),
            "start": start,
            "activity_name": pd.array(name, dtype="str"),
            "distance_m": distance,
            "moving_time_s": moving,
            "elapsed_time_s": moving + stops,
            "avg_hr_bpm": hr,
            "max_hr_bpm": max_hr,
            "avg_cadence_spm": cadence,
            "elevation_gain_m": dy["elevation_gain_m"][i, w, d],
            "rpe": rpe,
            "efficiency_factor_m_per_beat": np.round(ef, 4),
            "decoupling_pct": dy["decoupling_pct"][i, w, d],
            "pace_fade_pct": dy["pace_fade_pct"][i, w, d],
            "timezone": pd.array(zones, dtype="str"),
            "source": pd.array(a["run_app"][i], dtype="str"),
        }
    )
    logged = dy["run_logged"][i, w, d]
    sessions = pd.DataFrame(
        {
            "athlete_id": runs["athlete_id"][logged].to_numpy(),
            "start": start[logged].to_numpy(),
            "activity": "running",
            "duration_s": dy["run_minutes"][i, w, d][logged] * 60.0,
            "rpe": dy["run_rpe"][i, w, d][logged],
            "timezone": runs["timezone"][logged].to_numpy(),
        }
    )
    return runs, sessions


def _set_rows(ex, n_hard, athlete, k_week, unit, body_mass, hab, rng, *, warmup, failure, drop):
    """Rows of one exercise in a session: (set_type, reps, load_kg, duration_s, distance_m, rpe)."""
    kind, (lo, hi), load_share = _KIND[ex]
    e = EXERCISE_IDS.index(ex)
    target = lo + hab.reps_pos[athlete, e] * (hi - lo)
    if load_share is None:
        load = np.nan
    else:
        share = load_share[0] + hab.base_load[athlete, e] * (load_share[1] - load_share[0])
        load = 0.0 if share == 0 else max(10.0, share * body_mass) * (1.0 + 0.025 * k_week)
        if load > 0:
            load = float(_grid(load, unit))
    rows = []
    if warmup and load and load > 0:
        rows.append(
            ("warmup", float(round(target)), float(_grid(0.5 * load, unit)), np.nan, np.nan, np.nan)
        )
    for j in range(n_hard):
        last = j == n_hard - 1
        set_type = "failure" if last and failure else "working"
        rpe = np.nan
        if hab.logs_rpe[athlete]:
            rpe = (
                10.0
                if set_type == "failure"
                else float(np.clip(7 + 0.5 * rng.integers(0, 5), 6, 9.5))
            )
        reps = duration = distance = np.nan
        if kind == "reps":
            reps = float(
                max(
                    1, round(target + 0.06 * target * min(k_week, 12) / 4 - j + rng.integers(-2, 2))
                )
            )
        elif kind == "distance":
            distance = float(5 * round((target + 0.5 * min(k_week, 20)) / 5))
        else:
            duration = float(15 * round(target / 15))
        rows.append((set_type, reps, load, duration, distance, rpe))
    if drop and load and load > 0 and kind == "reps":
        rows.append(
            (
                "drop",
                float(round(0.7 * target)),
                float(_grid(0.6 * load, unit)),
                np.nan,
                np.nan,
                np.nan,
            )
        )
    return rows


def _strength(traj, params, hab, rng, dates) -> tuple[pd.DataFrame, pd.DataFrame]:
    a, dy = traj.athletes, traj.days
    ids = a["athlete_id"]
    records: list[tuple] = []
    sessions: list[tuple] = []
    prog = dy["programme_done"]
    gen = dy["general"]
    i_all, w_all, d_all = np.nonzero(prog | gen)
    hours = hab.strength_hour[i_all] + 0.25 * rng.standard_normal(len(i_all))
    seconds = np.round(hours * 3600.0).astype("int64")
    local = dates[w_all, d_all] + seconds.astype("timedelta64[s]")
    starts = _to_utc(local, a["timezone"][i_all])
    for s, (i, w, d) in enumerate(zip(i_all, w_all, d_all, strict=True)):
        unit = a["weight_unit"][i]
        mass = a["body_mass_kg"][i]
        start = starts.iloc[s]
        is_prog = bool(prog[i, w, d])
        if is_prog:
            k_week = int(traj.weeks["programme_week"][i, w])
            plan = [
                (EXERCISE_IDS[traj.programme_exercise[i, k]], int(traj.programme_sets[i, w, d, k]))
                for k in range(traj.programme_exercise.shape[1])
            ]
            plan = [(ex, n) for ex, n in plan if n > 0]
            if hab.stretches[i]:
                plan.insert(0, ("calf_stretch", 2))
            if hab.foam_rolls[i] and rng.random() < 0.5:
                plan.insert(0, ("calf_foam_roll", 1))
            if hab.massages[i] and rng.random() < 0.5:
                plan.append(("calf_massage", 1))
            minutes, rpe, logged = (
                dy["programme_minutes"][i, w, d],
                dy["programme_rpe"][i, w, d],
                dy["programme_logged"][i, w, d],
            )
            name = hab.workout_name[i]
        else:
            k_week = w // 4
            pool = hab.general_pool[i]
            n_ex = 3 + int(rng.random() < 0.5)
            plan = [(str(ex), 3) for ex in pool[:n_ex]]
            extra = int(dy["calf_extra_sets"][i, w, d])
            if extra:
                plan.append(("standing_calf_raise", extra))
            minutes, rpe, logged = (
                dy["general_minutes"][i, w, d],
                dy["general_rpe"][i, w, d],
                dy["general_logged"][i, w, d],
            )
            name = hab.general_name[i]
        for position, (ex, n_hard) in enumerate(plan):
            warmup = hab.warms_up[i] and (position == 0 or ex in _BARBELL)
            failure = ex not in {"calf_stretch", "calf_massage", "calf_foam_roll"} and (
                rng.random() < hab.failure_rate[i]
            )
            drop = ex in _MACHINE and rng.random() < 0.05
            rows = _set_rows(
                ex,
                n_hard,
                i,
                k_week,
                unit,
                mass,
                hab,
                rng,
                warmup=warmup,
                failure=failure,
                drop=drop,
            )
            raw = hab.names[i][ex]
            for set_index, (set_type, reps, load, duration, distance, set_rpe) in enumerate(rows):
                records.append(
                    (
                        ids[i],
                        start,
                        name,
                        raw,
                        ex,
                        set_index,
                        set_type,
                        reps,
                        load,
                        duration,
                        distance,
                        set_rpe,
                        minutes * 60.0,
                        unit,
                        a["timezone"][i],
                        a["strength_app"][i],
                    )
                )
        if logged:
            sessions.append((ids[i], start, "strength", minutes * 60.0, rpe, a["timezone"][i]))
    columns = [
        "athlete_id", "session_start", "workout_name", "exercise_raw", "exercise", "set_index",
        "set_type", "reps", "load_kg", "duration_s", "distance_m", "rpe", "session_duration_s",
        "load_unit", "timezone", "source",
    ]  # fmt: skip
    sets = pd.DataFrame.from_records(records, columns=columns)
    sets["session_start"] = sets["session_start"].astype("datetime64[us, UTC]")
    sets["set_index"] = sets["set_index"].astype("Int64")
    for col in (
        "athlete_id",
        "workout_name",
        "exercise_raw",
        "exercise",
        "set_type",
        "load_unit",
        "timezone",
        "source",
    ):
        sets[col] = sets[col].astype("str")
    for col in ("reps", "load_kg", "duration_s", "distance_m", "rpe", "session_duration_s"):
        sets[col] = sets[col].astype(float)
    strength_sessions = pd.DataFrame.from_records(
        sessions, columns=["athlete_id", "start", "activity", "duration_s", "rpe", "timezone"]
    )
    return sets, strength_sessions


def _wellness(traj, dates) -> pd.DataFrame:
    a, dy = traj.athletes, traj.days
    i, w, d = np.nonzero(dy["wellness_logged"])
    data = {
        "athlete_id": pd.array(a["athlete_id"][i], dtype="str"),
        "date": dates[w, d].astype("datetime64[us]"),
    }
    for col in (
        "fatigue",
        "soreness",
        "readiness",
        "mood",
        "stress",
        "sleep_quality",
        "sleep_duration_h",
    ):
        data[col] = dy[col][i, w, d].astype(float)
    data["source"] = "pmsys"
    return pd.DataFrame(data)


def _athletes(params: SimulationParams) -> pd.DataFrame:
    ath = params.athletes
    return pd.DataFrame(
        {
            "athlete_id": ath["athlete_id"].astype("str"),
            "sex": ath["sex"].astype("str"),
            "body_mass_kg": ath["body_mass_kg"].astype(float),
            "hr_rest_bpm": ath["hr_rest_bpm"].astype(float),
            "hr_max_bpm": ath["hr_max_bpm"].astype(float),
            "weight_unit": ath["weight_unit"].astype("str"),
            "timezone": ath["timezone"].astype("str"),
        }
    )


def _sort(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return frame.sort_values(by, kind="stable", ignore_index=True)


def simulate_cohort(
    n_athletes: int = 40,
    n_weeks: int = 26,
    *,
    effects: Effects | None = None,
    design: Design | None = None,
    rng=None,
    start="2025-01-06",
) -> Cohort:
    """Simulate a soleus-training study as the canonical tables, with a known answer.

    The generating model (equations in :mod:`soleus_analysis.simulation.generate`) draws each
    athlete's runs, strength sessions and wellness days; this function writes them as the
    canonical tables, in each athlete's local time zone (stored as UTC). The same arguments give
    the same frames; :func:`simulate_panel` with the same arguments gives the same athlete-week
    panel as ``truth``.

    Parameters
    ----------
    n_athletes : int
        Athletes in the study.
    n_weeks : int
        Study length [weeks]. The study must end before today (timestamps in the future are
        invalid): move ``start`` back for long studies.
    effects : Effects, optional
        Planted effects and noise (default ``Effects()``).
    design : Design, optional
        Study design and population (default ``Design()``).
    rng : None, int, SeedSequence or Generator
        Seed for ``numpy.random.default_rng``.
    start : str or Timestamp
        Monday of study week 0 (local date).

    Returns
    -------
    Cohort
        ``athletes`` (``athlete_id``, ``sex``, ``body_mass_kg``, ``hr_rest_bpm``, ``hr_max_bpm``,
        ``weight_unit``, ``timezone``); ``strength_sets`` (one row per set, warm-up and drop
        sets included; ``exercise_raw`` as the app logs it, ``exercise`` the canonical id,
        ``load_kg`` converted from pounds for ``load_unit == "lb"``); ``runs`` (one row per run
        with distance, moving and elapsed time, heart rate, cadence, ascent, RPE where the app
        logs it, and the stream-derived efficiency factor, decoupling and pace fade); ``sessions``
        (session RPE of the logged runs and strength sessions); ``wellness`` (one row per logged
        day: PMSys 1-5 ``fatigue``, ``soreness``, ``mood``, ``stress``, ``sleep_quality``, where
        higher is better; ``readiness`` 0-10; ``sleep_duration_h``); ``truth`` (athlete-week
        panel with the latent truth, as :func:`simulate_panel`); ``planted``; ``params``.

    Examples
    --------
    >>> cohort = simulate_cohort(4, 6, rng=3)
    >>> sorted(cohort.tables())
    ['athletes', 'runs', 'sessions', 'strength_sets', 'wellness']
    >>> len(cohort.truth) == 4 * 6
    True
    """
    traj, params, detail_rng = draw_study(n_athletes, n_weeks, effects, design, rng, start)
    end = params.start + pd.Timedelta(weeks=n_weeks)
    if end > pd.Timestamp.now().normalize():
        raise ValueError(
            f"a {n_weeks}-week study starting {params.start.date()} ends on {end.date()}, after "
            "today: its timestamps would be rejected as in the future; choose an earlier start"
        )
    days = params.start.to_datetime64() + np.arange(n_weeks * 7) * np.timedelta64(1, "D")
    dates = days.astype("datetime64[s]").reshape(n_weeks, 7)
    hab = _Habits(params, detail_rng)
    runs, run_sessions = _runs(traj, params, hab, detail_rng, dates)
    sets, strength_sessions = _strength(traj, params, hab, detail_rng, dates)
    sessions = pd.concat([run_sessions, strength_sessions], ignore_index=True)
    sessions["source"] = "pmsys"
    for col in ("athlete_id", "activity", "timezone", "source"):
        sessions[col] = sessions[col].astype("str")
    sessions["start"] = sessions["start"].astype("datetime64[us, UTC]")
    sessions["duration_s"] = sessions["duration_s"].astype(float)
    sessions["rpe"] = sessions["rpe"].astype(float)
    return Cohort(
        athletes=_athletes(params),
        strength_sets=_sort(sets, ["athlete_id", "session_start"]),
        runs=_sort(runs, ["athlete_id", "start"]),
        sessions=_sort(sessions, ["athlete_id", "start"]),
        wellness=_sort(_wellness(traj, dates), ["athlete_id", "date"]),
        truth=weekly_panel(traj, params.start),
        planted=planted_truth(traj),
        params=params,
    )


def write_canonical(cohort: Cohort, directory, *, seed=None) -> list:
    """Write a cohort's canonical tables as CSV files, with its truth, into ``directory``.

    Files: ``athletes.csv``, ``strength_sets.csv``, ``runs.csv``, ``sessions.csv``,
    ``wellness.csv`` (canonical columns; timestamps in ISO 8601 UTC), ``truth.csv`` (the
    athlete-week truth) and ``truth.json`` (the planted quantities and every generating parameter).
    The same cohort always gives the same bytes.

    Parameters
    ----------
    cohort : Cohort
    directory : str or Path
        Created if missing; files of the same names are overwritten.
    seed : int, optional
        Recorded in ``truth.json``.

    Returns
    -------
    list of Path
        The files written.
    """
    import json
    from pathlib import Path

    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in {**cohort.tables(), "truth": cohort.truth}.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False, lineterminator="\n")
        written.append(path)
    meta = {
        "simulated": True,
        "description": "Simulated cohort from soleus_analysis.simulate_cohort: not real athletes.",
        "seed": seed,
        "planted": cohort.planted,
        "params": cohort.params.to_dict(),
    }
    path = out / "truth.json"
    path.write_text(
        json.dumps(meta, indent=1, sort_keys=True, allow_nan=False) + "\n", encoding="utf-8"
    )
    written.append(path)
    return written
