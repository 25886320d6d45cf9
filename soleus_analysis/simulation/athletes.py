"""The simulated athletes: who they are, how they train, and who takes up the programme.

:func:`draw_athletes` draws every per-athlete quantity of the generating model (equations in
:mod:`soleus_analysis.simulation.generate`) as arrays of shape ``(A,)``.
"""

from __future__ import annotations

import numpy as np

from soleus_analysis.simulation.exercises import EXERCISE_INDEX, PROGRAMME_SLOTS
from soleus_analysis.simulation.parameters import Design, Effects

__all__ = ["TIMEZONES", "draw_athletes"]

#: Time zones of the simulated athletes and their weights.
TIMEZONES = (
    ("Europe/Oslo", 0.3),
    ("Europe/Berlin", 0.2),
    ("Europe/London", 0.1),
    ("America/Los_Angeles", 0.15),
    ("America/New_York", 0.1),
    ("Australia/Sydney", 0.1),
    ("UTC", 0.05),
)


def draw_athletes(
    n: int, n_weeks: int, e: Effects, d: Design, rng: np.random.Generator
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Draw ``n`` athletes.

    The steps run in a fixed order on one generator (the order of the random draws); the keys of
    ``athletes`` are in the column order of the simulated athletes table.

    Returns
    -------
    athletes : dict of str to numpy.ndarray
        Every per-athlete quantity, arrays of shape ``(n,)``.
    programme : numpy.ndarray
        ``(n, N_SLOTS)`` index into :data:`.exercises.EXERCISE_IDS` of each athlete's exercise
        in each programme slot (drawn for every athlete; used by the programme athletes only).
    """
    width = max(3, len(str(n)))
    ids = np.array([f"A{i + 1:0{width}d}" for i in range(n)], dtype=object)
    pace = _draw_pace_and_volume(n, d, rng)
    soleus, start = _draw_uptake(pace["fitness_sd"], n_weeks, d, rng)
    body = _draw_body(n, rng)
    responses = _draw_responses(n, e, rng)
    programme = _draw_programme_exercises(n, rng)
    locale = _draw_locale(n, rng)
    running = _draw_running_habits(pace["baseline_pace_s_per_km"], pace["usual_km"], rng)
    training = _draw_training_habits(pace["fitness_sd"], d, rng)
    baselines = _draw_baselines(n, rng)
    logging = _draw_logging_habits(n, d, locale, rng)
    athletes = {
        "athlete_id": ids,
        "soleus": soleus,
        "start_week": start,
        **body,
        **pace,
        **responses,
        **running,
        **training,
        **baselines,
        **logging,
    }
    return athletes, programme


def _draw_pace_and_volume(n: int, d: Design, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Baseline easy pace and usual weekly km, correlated; fitness in population SDs."""
    z = rng.standard_normal((2, n))
    r = d.pace_volume_correlation
    z_vol = r * z[0] + np.sqrt(1 - r**2) * z[1]
    alpha = np.clip(d.easy_pace_mean_s_per_km + d.easy_pace_sd_s_per_km * z[0], 260, 480)
    volume = np.clip(np.exp(np.log(d.weekly_km_median) + d.weekly_km_log_sd * z_vol), 10, 110)
    return {"baseline_pace_s_per_km": alpha, "usual_km": volume, "fitness_sd": -z[0]}


def _draw_uptake(
    fitness: np.ndarray, n_weeks: int, d: Design, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Who takes up the programme and in which week they start (``n_weeks`` for controls)."""
    n = len(fitness)
    # Self-selected uptake (Gumbel top-k): the k athletes with the largest
    # gamma_u * fitness + Gumbel noise, i.e. k draws without replacement with odds
    # exp(gamma_u * fitness); gamma_u = 0 is a random k-subset (randomisation).
    soleus = np.zeros(n, dtype=bool)
    keys = d.uptake_log_odds_per_sd_fitness * fitness + rng.gumbel(size=n)
    soleus[np.argsort(-keys, kind="stable")[: int(round(d.soleus_fraction * n))]] = True
    first, last = d.start_weeks(n_weeks)
    start = np.where(soleus, rng.integers(first, last + 1, n), n_weeks)
    return soleus, start


def _draw_body(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Sex, body mass and resting and maximal heart rate."""
    sex = rng.choice(np.array(["F", "M", "X"], dtype=object), n, p=[0.45, 0.5, 0.05])
    mass_mean = np.select([sex == "F", sex == "M"], [62.0, 75.0], 68.0)
    mass = np.round(np.clip(mass_mean + 7.5 * rng.standard_normal(n), 45, 115), 1)
    hr_max = np.round(np.clip(188 + 8 * rng.standard_normal(n), 165, 210))
    hr_rest = np.round(np.clip(52 + 6 * rng.standard_normal(n), 38, 72))
    return {"sex": sex, "body_mass_kg": mass, "hr_max_bpm": hr_max, "hr_rest_bpm": hr_rest}


def _draw_responses(n: int, e: Effects, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each athlete's own response to soleus training (random slope) and season rate."""
    slope = e.pace_s_per_km_per_10_soleus_sets + e.slope_sd_s_per_km * rng.standard_normal(n)
    season_rate = (
        e.season_pace_s_per_km_per_week
        + e.season_pace_sd_s_per_km_per_week * rng.standard_normal(n)
    )
    return {"slope": slope, "season_rate_s_per_km_per_week": season_rate}


def _draw_programme_exercises(n: int, rng: np.random.Generator) -> np.ndarray:
    """One exercise per programme slot for every athlete, ``(n, N_SLOTS)`` exercise indices."""
    return np.column_stack(
        [
            [EXERCISE_INDEX[x] for x in rng.choice(np.array(names, dtype=object), n, p=np.array(p))]
            for names, p in PROGRAMME_SLOTS
        ]
    )


def _draw_locale(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Time zone, and the weight unit the athlete logs in (mostly pounds in the Americas)."""
    zones = np.array([z_ for z_, _ in TIMEZONES], dtype=object)
    tz = rng.choice(zones, n, p=np.array([w for _, w in TIMEZONES]))
    american = np.array([str(x).startswith("America/") for x in tz])
    pounds = rng.random(n) < np.where(american, 0.85, 0.1)
    return {"timezone": tz, "weight_unit": np.where(pounds, "lb", "kg").astype(object)}


def _draw_running_habits(
    alpha: np.ndarray, volume: np.ndarray, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Runs per week, long-run and workout days, workout pace, easy effort, hills, cycle phase."""
    n = len(alpha)
    return {
        "usual_runs": np.clip(np.round(volume / 8.0), 2, 6),
        "long_day": rng.choice(np.array([5, 6]), n, p=[0.35, 0.65]),
        "workout_day": rng.integers(1, 4, n),
        "does_workouts": rng.random(n) < 0.75,
        "workout_speedup": rng.uniform(0.10, 0.17, n) * alpha,
        "easy_effort": rng.uniform(0.60, 0.72, n),
        "hilliness": np.exp(np.log(7.0) + 0.5 * rng.standard_normal(n)),
        "cycle_phase": rng.integers(0, 4, n),
    }


def _draw_training_habits(
    fitness: np.ndarray, d: Design, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """Programme adherence, sessions and maximal sets (fitter runners do more); gym habits."""
    n = len(fitness)
    shift = d.adherence_log_odds_per_sd_fitness * fitness
    m, c = _shift_probability(d.adherence_mean, shift), d.adherence_concentration
    return {
        "adherence": rng.beta(m * c, (1 - m) * c, n),
        "planned_sessions": np.where(
            rng.random(n) < _shift_probability(d.three_sessions_share, shift), 3, 2
        ),
        "max_sets": np.where(rng.random(n) < 0.5, 4, 3),
        "general_rate": rng.choice(
            np.array([0.0, 0.5, 1.0, 1.5, 2.0]), n, p=[0.3, 0.2, 0.25, 0.15, 0.1]
        ),
        "calf_dabbler": rng.random(n) < 0.2,
    }


def _draw_baselines(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Personal levels of the wellness ratings, aerobic decoupling and late-run pace fade."""
    return {
        "fatigue_base": np.clip(2.9 + 0.35 * rng.standard_normal(n), 1.8, 4.2),
        "soreness_base": np.clip(3.0 + 0.3 * rng.standard_normal(n), 2.0, 4.2),
        "readiness_base": np.clip(5.5 + 1.0 * rng.standard_normal(n), 2.5, 8.5),
        "mood_base": np.clip(3.3 + 0.4 * rng.standard_normal(n), 2.0, 4.5),
        "stress_base": np.clip(3.0 + 0.4 * rng.standard_normal(n), 2.0, 4.5),
        "sleep_quality_base": np.clip(3.2 + 0.4 * rng.standard_normal(n), 2.0, 4.5),
        "sleep_h_base": np.clip(7.1 + 0.5 * rng.standard_normal(n), 5.5, 9.0),
        "decoupling_base": 3.0 + 1.0 * rng.standard_normal(n),
        "fade_base": 1.5 + 0.8 * rng.standard_normal(n),
    }


def _draw_logging_habits(
    n: int, d: Design, locale: dict[str, np.ndarray], rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """How completely the athlete logs, and in which apps, units and time zone.

    ``locale`` (drawn earlier) is listed here, in the column order of the athletes table.
    """
    return {
        "wellness_rate": rng.beta(
            8 * d.wellness_log_rate_mean, 8 * (1 - d.wellness_log_rate_mean), n
        ),
        "srpe_rate": rng.beta(18, 2, n),
        "run_rpe_logged": rng.random(n) < 0.5,
        "hr_rate": rng.beta(30, 1.5, n),
        "manual_rate": rng.beta(1, 40, n),
        **locale,
        "strength_app": np.where(rng.random(n) < 0.55, "strong", "hevy").astype(object),
        "run_app": np.where(rng.random(n) < 0.6, "fit", "strava").astype(object),
    }


def _shift_probability(p: float, shift: np.ndarray) -> np.ndarray:
    """``expit(logit(p) + shift)``; a probability of exactly 0 or 1 stays put."""
    if p <= 0 or p >= 1:
        return np.full(np.shape(shift), float(p))
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1.0 - p)) + shift)))
