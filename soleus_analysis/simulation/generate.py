"""The generating model of the simulated cohort: its equations and one vectorised draw.

One model, two granularities. :func:`draw` simulates every run, strength session and wellness day
of a cohort as numpy arrays indexed by athlete, week and day of week. :mod:`.panel` sums those
arrays into the athlete-week panel; :mod:`.cohort` turns the same arrays (plus cosmetic details
that no panel column depends on: times of day, names, reps and loads) into the canonical tables.
With the same seed, both therefore describe the same athletes and the same weeks.
The parameters are in :mod:`.parameters`, the exercises and their soleus shares in
:mod:`.exercises`, the adaptation recursion in :mod:`.adaptation` and the athletes' own
quantities in :mod:`.athletes`.

Generating model
----------------
Athlete ``i``, study week ``t = 0 .. T-1`` (Monday start, local time), day ``d`` of the week.

*Athletes.* Baseline easy pace ``alpha_i ~ N(345, 40^2)`` s/km (clipped to 260-480) and usual
running volume ``V_i = exp(log 32 + 0.45 z_i)`` km/week, with ``corr(alpha, log V) = -0.4``
(faster runners run more); fitness ``psi_i = -(alpha_i - 345) / 40`` (before clipping, in
population SDs); a personal response to soleus training (random slope)
``b_i ~ N(beta, sigma_b^2)`` [s/km per +10 soleus sets/week]; a personal season rate
``g_i ~ N(g, sigma_g^2)`` [s/km per week]; body mass, resting and maximal heart rate, time zone
and logging habits (app, kg or lb, how complete the logs are).

*Design.* A share of athletes (default half) takes up a soleus programme; who takes it up is
confounded with fitness: the ``k`` programme athletes are the ``k`` largest
``gamma_u psi_i + Gumbel_i`` (``k`` draws without replacement with odds ``exp(gamma_u psi_i)``;
``gamma_u = 0`` is randomisation). They start at a week drawn uniformly between
``first_start_week`` and ``last_start_week`` (staggered start); the others are controls.
The programme is 2 or 3 sessions a week of four exercises: the seated calf raise, a soleus walk
(plain, farmer's or suitcase carry), a bent-knee raise (horse-stance, bent-knee or single-leg
bent-knee) and either the slant-board single-leg squat or a common calf exercise; sets per
exercise progress from 2 by one set every 3 weeks up to the athlete's maximum (3 or 4). Each
planned session is done with probability ``a_i - 0.01 k`` (adherence ``a_i ~ Beta`` with mean
``expit(logit(0.8) + gamma_a psi_i)``, declining by 1 point per programme week ``k``; fitter
runners are also more often asked for 3 sessions: share ``expit(logit(0.3) + gamma_a psi_i)``);
each prescribed set is done with probability 0.92 and an exercise is skipped with probability
0.05. Both groups may do general
strength sessions (squats, deadlifts, ...); a fifth of athletes add 2-3 sets of standing calf
raises to some of them, so controls have a small non-zero calf dose.

*Dose.* ``x_it`` = hard (working and failure) sets of week ``t``, each weighted by the exercise's
soleus share (:data:`.exercises.SOLEUS_SHARES`), i.e. exactly the panel's ``soleus_sets``.

*Adaptation.* A lagged, cumulative adaptation with time constant ``tau`` weeks
(``Effects.adaptation_weeks``), normalised so that a dose sustained for long enough gives
``S = x``::

    S_it = rho * S_i,t-1 + (1 - rho) * x_it,   rho = exp(-1 / tau)  (rho = 0 when tau = 0),
    S_i,-1 = 0 (no soleus training before the study)
    => S_it = sum_l w_l x_i,t-l  with lag weights  w_l = (1 - rho) rho^l,  sum_l w_l = 1.

*Running load.* ``D_it`` = km run in week ``t`` (acute term); chronic term
``C_it = rho_c C_i,t-1 + (1 - rho_c) D_i,t-1`` with ``rho_c = exp(-1 / chronic_weeks)`` and
``C_i0 = V_i`` (the weeks before ``t``, uncoupled from the acute week). Running disruptions
(``off_week_probability``) are independent of the soleus programme.

*Easy pace* [s/km], true weekly level and per run::

    mu_it   = alpha_i + g_i h(t) + b_i S_it / 10 + beta_A (D_it - V_i) / 10
              + beta_C (C_it - V_i) / 10
    h(t)    = tau_s (1 - exp(-t / tau_s))     (t when tau_s = 0: a linear trend)
    u_it    = phi u_i,t-1 + e_it,  e ~ N(0, sigma_w^2 (1 - phi^2))   (stationary AR(1), SD sigma_w)
    pace_r  = mu_it + u_it + delta_type + kappa * climb_r + eps_r,   eps_r ~ N(0, sigma_r^2)

``g_i h(t)`` is the season trend (runners get faster over a season, at their own rate, the gain
saturating with time constant ``tau_s``). With ``delta_type`` = 0 for easy and long runs and
``-Delta_i`` (10-17% of ``alpha_i``) for the weekly workout, ``climb_r`` the run's ascent per km
[m/km]. The panel's ``easy_pace_s_per_km`` is the mean over the week's easy and long runs of
``moving_time_s / distance_m * 1000``.

*Fatigue* (PMSys scale: 1 = very tired ... 5 = very fresh, so higher is better)::

    F_it    = f_i + g_S S_it / 10 + g_A (D_it - V_i) / 10 + g_C (C_it - V_i) / 10 + v_it  (AR(1))
    F_day   = F_it - 0.25 [long run or workout the day before] + N(0, sigma_day^2)
    rating  = round(clip(F_day, 1, 5))   on the days the athlete logs wellness

*Soreness* (PMSys, 1 = very sore ... 5 = not sore) responds to unaccustomed calf work, the dose
above the adapted level (repeated-bout effect), and to acute running load::

    So_it = s_i + g_N max(x_it - S_it, 0) / 10 + g_SA (D_it - V_i) / 10 + v'_it   (AR(1))

Every weekly residual (``u``, ``v``, ``v'`` and the weekly terms of decoupling and pace fade) is a
stationary AR(1) series of its own with the SD and lag-1 autocorrelation of :class:`Effects`.

*Per run*: heart rate at the athlete's easy effort (60-72% of heart-rate reserve; +2% long runs,
+15% workouts) rising 0.25 beat/min per s/km run faster than the day's form; efficiency factor =
speed [m/min] / heart rate; aerobic decoupling and late-run pace fade grow with duration and fall
with soleus adaptation (``Effects.decoupling_pct_per_10_soleus_sets``,
``pace_fade_pct_per_10_soleus_sets``) and freshness, plus a weekly AR(1) term each; RPE = 3
(easy), 5 (long), 7 (workout) ``+ 0.6 (3 - F_day) + N(0, 0.7^2)``, rounded. Readiness (0-10)
``= r_i + 1.6 (F_day - f_i) + N(0, 0.9^2)``, rounded.

*Logging.* Wellness days are logged through a two-state Markov chain (gaps come in runs), at an
athlete-specific rate; session RPE is logged for about 90% of sessions; a few runs are manual
entries without heart rate or record stream; some watches miss heart rate.

Assumptions worth stating: the logged dose is the dose done (no unlogged training); the programme
does not change running volume; disruptions of running and of the programme are independent; the
season trend is shared in calendar time, and each athlete's own rate ``g_i`` is independent of
programme uptake, start week and dose. So the traps are removable: a within-athlete regression of
pace on dose is biased by the season trend (the dose rises with calendar time), but not once
calendar-week period effects are in the model; between-athlete comparisons are confounded by
fitness (real data also need adjustment for load and illness).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from soleus_analysis.simulation.adaptation import adaptation_state
from soleus_analysis.simulation.athletes import draw_athletes
from soleus_analysis.simulation.exercises import EXERCISE_IDS, N_SLOTS, SOLEUS_SHARES
from soleus_analysis.simulation.parameters import (
    DECOUPLING_PER_FRESHNESS,
    FADE_PER_FRESHNESS,
    READINESS_PER_FRESHNESS,
    RPE_PER_TIREDNESS,
    Design,
    Effects,
)
from soleus_analysis.simulation.trajectories import EASY, LONG, NO_RUN, WORKOUT, Trajectories

__all__ = ["draw"]


@dataclass(frozen=True)
class _Running:
    """The running of every athlete-week and athlete-day (stage 2)."""

    off: np.ndarray  # (A, W) disrupted weeks
    n_runs: np.ndarray  # (A, W)
    run: np.ndarray  # (A, W, 7) days with a run
    run_type: np.ndarray  # (A, W, 7) NO_RUN, EASY, LONG or WORKOUT
    distance_m: np.ndarray  # (A, W, 7)
    km: np.ndarray  # (A, W) acute load D
    chronic_dev: np.ndarray  # (A, W) chronic load C minus usual volume V


@dataclass(frozen=True)
class _Strength:
    """The soleus programme, the general strength sessions and the weekly dose (stage 3)."""

    programme_week: np.ndarray  # (A, W), -1 before the start
    done: np.ndarray  # (A, W, 7) programme sessions done
    sets: np.ndarray  # (A, W, 7, N_SLOTS) sets done per programme slot
    general: np.ndarray  # (A, W, 7) general strength sessions
    calf_extra: np.ndarray  # (A, W, 7) standing calf-raise sets added to them
    soleus_sets: np.ndarray  # (A, W) dose x
    calf_sets: np.ndarray  # (A, W)
    programme_minutes: np.ndarray
    general_minutes: np.ndarray
    programme_rpe: np.ndarray
    general_rpe: np.ndarray


@dataclass(frozen=True)
class _Latent:
    """The true weekly states of every athlete (stage 4)."""

    adaptation: np.ndarray  # S
    novelty: np.ndarray  # max(x - S, 0)
    season: np.ndarray  # g_i h(t)
    pace_true: np.ndarray  # mu
    pace_resid: np.ndarray  # u
    fatigue_true: np.ndarray  # F
    soreness_true: np.ndarray  # So
    decoupling_week: np.ndarray
    fade_week: np.ndarray


def draw(
    n_athletes: int,
    n_weeks: int,
    *,
    effects: Effects,
    design: Design,
    rng: np.random.Generator,
) -> Trajectories:
    """Draw one cohort from the generating model (see the module docstring for the equations).

    The stages run in a fixed order on one generator: athletes, running, strength, weekly latent
    states, the day's fatigue, runs, session-RPE logs, the wellness diary and its ratings. Their
    order is the order of the random draws, so reordering them changes every cohort.

    Parameters
    ----------
    n_athletes, n_weeks : int
        Cohort size and study length.
    effects : Effects
    design : Design
    rng : numpy.random.Generator

    Returns
    -------
    Trajectories
    """
    e, d = effects, design
    ath, programme = draw_athletes(n_athletes, n_weeks, e, d, rng)
    running = _draw_running(ath, n_weeks, e, d, rng)
    strength = _draw_strength(ath, programme, n_weeks, d, rng)
    latent = _draw_latent_weeks(ath, running, strength, n_weeks, e, rng)
    fatigue_day = _draw_fatigue_of_day(running.run_type, latent.fatigue_true, e, rng)
    runs = _draw_runs(ath, running, latent, fatigue_day, e, rng)
    run_logged, programme_logged, general_logged = _draw_session_logs(
        ath, running.run, strength.done, strength.general, rng
    )
    wellness_logged = _draw_wellness_days(ath, running.off, rng)
    ratings = _draw_wellness_ratings(ath, fatigue_day, latent.soreness_true, e, rng)

    weeks = {
        "off": running.off,
        "n_runs": running.n_runs,
        "km": running.km,
        "chronic_km": ath["usual_km"][:, None] + running.chronic_dev,
        "programme_week": strength.programme_week,
        "soleus_sets": strength.soleus_sets,
        "calf_sets": strength.calf_sets.astype(float),
        "adaptation": latent.adaptation,
        "novelty": latent.novelty,
        "pace_true": latent.pace_true,
        "pace_resid": latent.pace_resid,
        "season": latent.season,
        "fatigue_true": latent.fatigue_true,
        "soreness_true": latent.soreness_true,
    }
    days = {
        "run_type": running.run_type,
        "distance_m": running.distance_m,
        **runs,
        "run_logged": run_logged,
        "programme_done": strength.done,
        "programme_minutes": strength.programme_minutes,
        "programme_rpe": strength.programme_rpe,
        "programme_logged": programme_logged,
        "general": strength.general,
        "general_minutes": strength.general_minutes,
        "general_rpe": strength.general_rpe,
        "general_logged": general_logged,
        "calf_extra_sets": strength.calf_extra,
        "wellness_logged": wellness_logged,
        "fatigue_day": fatigue_day,
        **ratings,
    }
    return Trajectories(
        n_athletes=n_athletes,
        n_weeks=n_weeks,
        effects=e,
        design=d,
        athletes=ath,
        weeks=weeks,
        days=days,
        programme_sets=strength.sets,
        programme_exercise=programme,
    )


def _on_day(day_of_athlete: np.ndarray) -> np.ndarray:
    """``(A, 1, 7)`` mask of each athlete's own weekday (long-run day, workout day)."""
    return np.arange(7)[None, None, :] == day_of_athlete[:, None, None]


# --- Stage 2: running ---------------------------------------------------------------------------


def _draw_running(
    ath: dict, n_weeks: int, e: Effects, d: Design, rng: np.random.Generator
) -> _Running:
    """Weekly volume, runs per week, their days, types and distances, and the chronic load."""
    V = ath["usual_km"][:, None]
    # The chronic load needs the weeks before the study: a burn-in of 4 time constants of the
    # same running model, so that week 0 starts from the stationary state (no transient that a
    # within-athlete model would mistake for a trend).
    burn = int(np.ceil(4 * e.chronic_weeks))
    planned_all, off_all = _plan_weekly_volume(ath, burn, n_weeks, d, rng)
    planned_km, off = planned_all[:, burn:], off_all[:, burn:]
    n_runs, run, run_type = _place_runs(ath, planned_km, off, rng)
    distance_m = _run_distances(run, run_type, planned_km, rng)
    km = distance_m.sum(axis=-1) / 1000.0
    # Before the study only the planned volume exists; a week under 2 km has no runs.
    before = np.where(planned_all[:, :burn] < 2.0, 0.0, planned_all[:, :burn])
    rho_c = np.exp(-1.0 / e.chronic_weeks)
    history = np.concatenate([before, km], axis=1) - V
    chronic_dev = lfilter([0.0, 1.0 - rho_c], [1.0, -rho_c], history, axis=-1)[:, burn:]
    return _Running(
        off=off,
        n_runs=n_runs,
        run=run,
        run_type=run_type,
        distance_m=distance_m,
        km=km,
        chronic_dev=chronic_dev,
    )


def _plan_weekly_volume(
    ath: dict, burn: int, n_weeks: int, d: Design, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Planned km and disrupted weeks of the burn-in and study weeks, ``(A, burn + W)`` each."""
    shape = (len(ath["usual_km"]), burn + n_weeks)
    tt = np.arange(-burn, n_weeks)
    cycle = (tt[None, :] + ath["cycle_phase"][:, None]) % 4
    # Four-week cycles: three building weeks (+4% each), then a recovery week at 75%.
    periodisation = np.where(cycle == 3, 0.75, 1.0 + 0.04 * cycle)
    V = ath["usual_km"][:, None]
    planned = V * periodisation * np.exp(0.12 * rng.standard_normal(shape))
    off = rng.random(shape) < d.off_week_probability
    planned = np.where(off, planned * rng.uniform(0, 0.4, shape), planned)
    return planned, off


def _place_runs(
    ath: dict, planned_km: np.ndarray, off: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Runs per week and the days and types of the runs (long run and workout on their days)."""
    A, W = planned_km.shape
    run_length = ath["usual_km"][:, None] / ath["usual_runs"][:, None]
    n_runs = np.clip(np.round(planned_km / run_length + 0.4 * rng.standard_normal((A, W))), 1, 7)
    n_runs = np.where(planned_km < 2.0, 0, n_runs).astype(int)
    has_long = (n_runs >= 3)[..., None]
    has_workout = (ath["does_workouts"][:, None] & (n_runs >= 4) & ~off)[..., None]
    long_pos, workout_pos = _on_day(ath["long_day"]), _on_day(ath["workout_day"])
    # Random day keys; the long run and the workout are forced first onto their own days.
    keys = rng.random((A, W, 7))
    keys = np.where(long_pos & has_long, -2.0, keys)
    keys = np.where(workout_pos & has_workout, -1.0, keys)
    run = _ranks(keys) < n_runs[..., None]
    run_type = np.where(run, EASY, NO_RUN)
    run_type = np.where(run & long_pos & has_long, LONG, run_type)
    run_type = np.where(run & workout_pos & has_workout, WORKOUT, run_type)
    return n_runs, run, run_type


def _run_distances(
    run: np.ndarray, run_type: np.ndarray, planned_km: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Share the week's planned km among its runs (long run x2, workout x1.2), in metres."""
    weight = np.select([run_type == LONG, run_type == WORKOUT, run], [2.0, 1.2, 1.0], 0.0)
    weight = weight * np.exp(0.15 * rng.standard_normal(run.shape))
    share = weight / np.maximum(weight.sum(axis=-1, keepdims=True), 1e-12)
    return np.where(run, np.round(np.maximum(planned_km[..., None] * share, 2.0) * 1000.0), 0.0)


# --- Stage 3: strength --------------------------------------------------------------------------


def _draw_strength(
    ath: dict, programme: np.ndarray, n_weeks: int, d: Design, rng: np.random.Generator
) -> _Strength:
    """The soleus programme sessions and sets, general sessions, the dose, minutes and RPE."""
    prog_week, planned, done, sets = _draw_programme(ath, n_weeks, d, rng)
    general, calf_extra = _draw_general_sessions(ath, planned, rng)
    shares = np.array([SOLEUS_SHARES[x] for x in EXERCISE_IDS])
    prog_share = shares[programme]  # (A, N_SLOTS)
    sets_per_slot = sets.sum(axis=2)  # (A, W, N_SLOTS)
    extra = calf_extra.sum(axis=-1)
    soleus_sets = (sets_per_slot * prog_share[:, None, :]).sum(axis=-1) + extra * SOLEUS_SHARES[
        "standing_calf_raise"
    ]
    calf_sets = sets_per_slot.sum(axis=-1) + extra
    shape = done.shape
    prog_minutes = np.where(
        done,
        np.clip(np.round(8 + 2.5 * sets.sum(axis=-1) + 3 * rng.standard_normal(shape)), 10, None),
        0,
    )
    general_minutes = np.where(
        general,
        np.clip(np.round(50 + 2.5 * calf_extra + 10 * rng.standard_normal(shape)), 20, 100),
        0,
    )
    prog_rpe = np.clip(np.round(5.5 + rng.standard_normal(shape)), 2, 9)
    general_rpe = np.clip(np.round(6.5 + rng.standard_normal(shape)), 3, 10)
    return _Strength(
        programme_week=prog_week,
        done=done,
        sets=sets,
        general=general,
        calf_extra=calf_extra,
        soleus_sets=soleus_sets,
        calf_sets=calf_sets,
        programme_minutes=prog_minutes,
        general_minutes=general_minutes,
        programme_rpe=prog_rpe,
        general_rpe=general_rpe,
    )


def _draw_programme(
    ath: dict, n_weeks: int, d: Design, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Programme week, planned and done sessions and the sets done per slot of each session."""
    A, W = len(ath["start_week"]), n_weeks
    t = np.arange(W)
    weekday = np.arange(7) < 5
    started = t[None, :] >= ath["start_week"][:, None]
    prog_week = np.where(started, t[None, :] - ath["start_week"][:, None], -1)
    # Sessions go on weekdays first, and preferably not on the workout day.
    keys = (
        rng.random((A, W, 7))
        + np.where(weekday, 0.0, 5.0)
        + np.where(_on_day(ath["workout_day"]), 0.5, 0.0)
    )
    planned = (_ranks(keys) < ath["planned_sessions"][:, None, None]) & started[..., None]
    p_done = np.clip(ath["adherence"][:, None] - d.adherence_decay_per_week * prog_week, 0.05, 1.0)
    done = planned & (rng.random((A, W, 7)) < p_done[..., None])
    prescribed = np.minimum(
        d.base_sets + np.maximum(prog_week, 0) // d.weeks_per_extra_set, ath["max_sets"][:, None]
    )
    # Sets done per exercise of each session done: each prescribed set with probability 0.92,
    # each exercise skipped with probability 0.05 (drawn for the sessions done only).
    where_done = np.nonzero(done)
    n_done = len(where_done[0])
    sets = np.zeros((A, W, 7, N_SLOTS), dtype=np.int64)
    sets[where_done] = rng.binomial(
        np.repeat(prescribed[where_done[:2]][:, None], N_SLOTS, axis=1), 0.92
    ) * (rng.random((n_done, N_SLOTS)) >= 0.05)
    # A session logged as done has at least one set.
    empty = done & (sets.sum(axis=-1) == 0)
    sets[..., 0] = np.where(empty, 1, sets[..., 0])
    return prog_week, planned, done, sets


def _draw_general_sessions(
    ath: dict, planned: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """General strength sessions on free weekdays, and the calf sets some athletes add to them."""
    shape = planned.shape
    weekday = np.arange(7) < 5
    general = weekday & ~planned & (rng.random(shape) < ath["general_rate"][:, None, None] / 5.0)
    calf_extra = np.where(
        general & ath["calf_dabbler"][:, None, None] & (rng.random(shape) < 0.4),
        rng.integers(2, 4, shape),
        0,
    )
    return general, calf_extra


# --- Stage 4: latent weekly states --------------------------------------------------------------


def _draw_latent_weeks(
    ath: dict,
    running: _Running,
    strength: _Strength,
    n_weeks: int,
    e: Effects,
    rng: np.random.Generator,
) -> _Latent:
    """Adaptation, the true weekly pace, fatigue and soreness, and the weekly AR(1) residuals."""
    shape = strength.soleus_sets.shape
    adaptation = adaptation_state(strength.soleus_sets, e.adaptation_weeks)
    novelty = np.maximum(strength.soleus_sets - adaptation, 0.0)
    acute_dev = running.km - ath["usual_km"][:, None]
    chronic_dev = running.chronic_dev
    season = ath["season_rate_s_per_km_per_week"][:, None] * e.season_weeks(np.arange(n_weeks))
    pace_true = (
        ath["baseline_pace_s_per_km"][:, None]
        + season
        + ath["slope"][:, None] * adaptation / 10.0
        + e.pace_s_per_km_per_10_km_acute * acute_dev / 10.0
        + e.pace_s_per_km_per_10_km_chronic * chronic_dev / 10.0
    )
    pace_resid = _ar1(rng, shape, e.pace_week_sd_s_per_km, e.pace_ar1)
    fatigue_true = (
        ath["fatigue_base"][:, None]
        + e.fatigue_per_10_soleus_sets * adaptation / 10.0
        + e.fatigue_per_10_km_acute * acute_dev / 10.0
        + e.fatigue_per_10_km_chronic * chronic_dev / 10.0
        + _ar1(rng, shape, e.fatigue_week_sd, e.fatigue_ar1)
    )
    soreness_true = (
        ath["soreness_base"][:, None]
        + e.soreness_per_10_novel_soleus_sets * novelty / 10.0
        + e.soreness_per_10_km_acute * acute_dev / 10.0
        + _ar1(rng, shape, e.soreness_week_sd, e.soreness_ar1)
    )
    decoupling_week = _ar1(rng, shape, e.stream_week_sd_pct, e.stream_ar1)
    fade_week = _ar1(rng, shape, e.stream_week_sd_pct, e.stream_ar1)
    return _Latent(
        adaptation=adaptation,
        novelty=novelty,
        season=season,
        pace_true=pace_true,
        pace_resid=pace_resid,
        fatigue_true=fatigue_true,
        soreness_true=soreness_true,
        decoupling_week=decoupling_week,
        fade_week=fade_week,
    )


def _ar1(rng: np.random.Generator, shape: tuple[int, int], sd: float, phi: float) -> np.ndarray:
    """Stationary AR(1) series along the last axis with marginal SD ``sd``."""
    e = rng.standard_normal(shape)
    e[:, 1:] *= np.sqrt(1.0 - phi**2)
    return lfilter([1.0], [1.0, -phi], e * sd, axis=-1)


# --- Stages 5-6: the day's fatigue and the runs -------------------------------------------------


def _draw_fatigue_of_day(
    run_type: np.ndarray, fatigue_true: np.ndarray, e: Effects, rng: np.random.Generator
) -> np.ndarray:
    """Fatigue of each day (continuous): the week's level, lower after a long run or workout."""
    A = run_type.shape[0]
    hard = ((run_type == LONG) | (run_type == WORKOUT)).reshape(A, -1)
    yesterday = np.zeros_like(hard)
    yesterday[:, 1:] = hard[:, :-1]
    return (
        fatigue_true[..., None]
        - 0.25 * yesterday.reshape(run_type.shape)
        + e.fatigue_day_sd * rng.standard_normal(run_type.shape)
    )


def _draw_runs(
    ath: dict,
    running: _Running,
    latent: _Latent,
    fatigue_day: np.ndarray,
    e: Effects,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """Per run: time, ascent, heart rate, RPE, aerobic decoupling and late-run pace fade."""
    run, run_type, distance_m = running.run, running.run_type, running.distance_m
    shape = run.shape
    climb = ath["hilliness"][:, None, None] * np.exp(0.5 * rng.standard_normal(shape))
    elevation = np.where(run, np.round(climb * distance_m / 1000.0), 0.0)
    # The climb per km of the rounded ascent, as a build would compute it.
    climb = np.where(run, elevation / np.maximum(distance_m, 1.0) * 1000.0, 0.0)
    offset = np.where(run_type == WORKOUT, -ath["workout_speedup"][:, None, None], 0.0)
    noise = e.pace_run_sd_s_per_km * rng.standard_normal(shape)
    pace = (
        (latent.pace_true + latent.pace_resid)[..., None]
        + offset
        + e.pace_s_per_km_per_m_per_km_climb * climb
        + noise
    )
    moving = np.where(run, np.round(distance_m * pace / 1000.0), 0.0)
    manual, has_hr, hr = _draw_heart_rate(ath, run, run_type, noise, rng)
    rpe_base = np.select([run_type == LONG, run_type == WORKOUT], [5.0, 7.0], 3.0)
    run_rpe = np.clip(
        np.round(rpe_base + RPE_PER_TIREDNESS * (3.0 - fatigue_day)
                 + 0.7 * rng.standard_normal(shape)), 1, 10
    )
    decoupling, fade = _draw_stream_metrics(
        ath, latent, fatigue_day, moving / 3600.0, run & ~manual, has_hr, e, rng
    )
    return {
        "moving_time_s": moving,
        "elevation_gain_m": np.where(manual, np.nan, elevation),
        "manual": manual,
        "avg_hr_bpm": hr,
        "run_rpe": run_rpe,
        "decoupling_pct": decoupling,
        "pace_fade_pct": fade,
        "run_minutes": np.where(run, np.maximum(np.round(moving / 60.0), 1.0), 0.0),
    }


def _draw_heart_rate(
    ath: dict,
    run: np.ndarray,
    run_type: np.ndarray,
    pace_noise: np.ndarray,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Manual entries, which runs record heart rate, and the average heart rate of each run."""
    shape = run.shape
    manual = run & (rng.random(shape) < ath["manual_rate"][:, None, None])
    hr_rest, hr_max = ath["hr_rest_bpm"][:, None, None], ath["hr_max_bpm"][:, None, None]
    effort = ath["easy_effort"][:, None, None] + np.select(
        [run_type == LONG, run_type == WORKOUT], [0.02, 0.15], 0.0
    )
    # A run faster than the day's form (negative pace noise) costs heart rate.
    hr = np.round(
        np.clip(
            hr_rest
            + effort * (hr_max - hr_rest)
            - 0.25 * pace_noise
            + 2.5 * rng.standard_normal(shape),
            hr_rest + 15,
            hr_max - 2,
        )
    )
    has_hr = run & ~manual & (rng.random(shape) < ath["hr_rate"][:, None, None])
    return manual, has_hr, np.where(has_hr, hr, np.nan)


def _draw_stream_metrics(
    ath: dict,
    latent: _Latent,
    fatigue_day: np.ndarray,
    hours: np.ndarray,
    recorded: np.ndarray,
    has_hr: np.ndarray,
    e: Effects,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Aerobic decoupling and late-run pace fade of the recorded runs of 30 min or more."""
    shape = hours.shape
    freshness = fatigue_day - ath["fatigue_base"][:, None, None]
    streamed = recorded & (hours >= 0.5)
    decoupling = (
        ath["decoupling_base"][:, None, None]
        + 2.5 * (hours - 1.0)
        + e.decoupling_pct_per_10_soleus_sets * latent.adaptation[..., None] / 10.0
        - DECOUPLING_PER_FRESHNESS * freshness
        + latent.decoupling_week[..., None]
        + 1.5 * rng.standard_normal(shape)
    )
    decoupling = np.where(streamed & has_hr, np.round(np.clip(decoupling, -20, 40), 2), np.nan)
    fade = (
        ath["fade_base"][:, None, None]
        + 1.5 * (hours - 1.0)
        + e.pace_fade_pct_per_10_soleus_sets * latent.adaptation[..., None] / 10.0
        - FADE_PER_FRESHNESS * freshness
        + latent.fade_week[..., None]
        + 1.5 * rng.standard_normal(shape)
    )
    fade = np.where(streamed, np.round(np.clip(fade, -20, 40), 2), np.nan)
    return decoupling, fade


# --- Stages 7-9: logging and the wellness diary -------------------------------------------------


def _draw_session_logs(
    ath: dict, run: np.ndarray, done: np.ndarray, general: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Which runs, programme sessions and general sessions get a session-RPE log (PMSys srpe)."""
    srpe_rate = ath["srpe_rate"][:, None, None]
    run_logged = run & (rng.random(run.shape) < srpe_rate)
    prog_logged = done & (rng.random(run.shape) < srpe_rate)
    general_logged = general & (rng.random(run.shape) < srpe_rate)
    return run_logged, prog_logged, general_logged


def _draw_wellness_days(ath: dict, off: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Days with a wellness entry: a two-state Markov chain, so gaps come in runs.

    The chain keeps a gap going with probability 0.6 and is set so that its stationary logging
    rate is the athlete's ``wellness_rate``; disrupted weeks damp logging to 30%.
    """
    A, W = off.shape
    rate = ath["wellness_rate"]
    stay_missing = 0.6
    stay_logging = 1.0 - (1.0 - stay_missing) * (1.0 - rate) / rate
    stay_logging = np.clip(stay_logging, 0.0, 1.0)
    # Day-major arrays so that each step of the chain reads contiguous memory.
    damp = np.where(np.repeat(off, 7, axis=1), 0.3, 1.0).T
    if_logged = stay_logging[None, :] * damp
    if_missing = (1.0 - stay_missing) * damp
    u = rng.random((W * 7, A))
    logged = np.empty((W * 7, A), dtype=bool)
    state = rng.random(A) < rate
    for k in range(W * 7):
        state = u[k] < np.where(state, if_logged[k], if_missing[k])
        logged[k] = state
    return logged.T.reshape(A, W, 7)


def _draw_wellness_ratings(
    ath: dict,
    fatigue_day: np.ndarray,
    soreness_true: np.ndarray,
    e: Effects,
    rng: np.random.Generator,
) -> dict[str, np.ndarray]:
    """The daily wellness ratings (PMSys scales), drawn for every day; the diary keeps some."""
    shape = fatigue_day.shape
    freshness = fatigue_day - ath["fatigue_base"][:, None, None]
    noise_day = rng.standard_normal((4, *shape))
    fatigue_rating = np.clip(np.round(fatigue_day), 1, 5)
    soreness_rating = np.clip(
        np.round(soreness_true[..., None] + e.fatigue_day_sd * noise_day[0]), 1, 5
    )
    readiness = np.clip(
        np.round(ath["readiness_base"][:, None, None] + READINESS_PER_FRESHNESS * freshness
                 + 0.9 * noise_day[1]), 0, 10
    )
    mood = np.clip(
        np.round(ath["mood_base"][:, None, None] + 0.3 * freshness + 0.6 * noise_day[2]), 1, 5
    )
    sleep_quality = np.clip(
        np.round(ath["sleep_quality_base"][:, None, None] + 0.4 * freshness + 0.6 * noise_day[3]),
        1,
        5,
    )
    stress = np.clip(
        np.round(ath["stress_base"][:, None, None] + 0.7 * rng.standard_normal(shape)), 1, 5
    )
    sleep_h = np.clip(
        np.round(2 * (ath["sleep_h_base"][:, None, None] + 0.9 * rng.standard_normal(shape))) / 2,
        3,
        11,
    )
    return {
        "fatigue": fatigue_rating,
        "soreness": soreness_rating,
        "readiness": readiness,
        "mood": mood,
        "stress": stress,
        "sleep_quality": sleep_quality,
        "sleep_duration_h": sleep_h,
    }


def _ranks(keys: np.ndarray) -> np.ndarray:
    """Rank of each entry along the last axis (0 = smallest)."""
    return np.argsort(np.argsort(keys, axis=-1), axis=-1)
