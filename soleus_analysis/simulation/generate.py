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


def _ar1(rng: np.random.Generator, shape: tuple[int, int], sd: float, phi: float) -> np.ndarray:
    """Stationary AR(1) series along the last axis with marginal SD ``sd``."""
    e = rng.standard_normal(shape)
    e[:, 1:] *= np.sqrt(1.0 - phi**2)
    return lfilter([1.0], [1.0, -phi], e * sd, axis=-1)


def _ranks(keys: np.ndarray) -> np.ndarray:
    """Rank of each entry along the last axis (0 = smallest)."""
    return np.argsort(np.argsort(keys, axis=-1), axis=-1)


def draw(
    n_athletes: int,
    n_weeks: int,
    *,
    effects: Effects,
    design: Design,
    rng: np.random.Generator,
) -> Trajectories:
    """Draw one cohort from the generating model (see the module docstring for the equations).

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
    A, W = n_athletes, n_weeks
    ath = draw_athletes(A, W, e, d, rng)
    t = np.arange(W)
    V = ath["usual_km"][:, None]

    # --- Running: weekly volume, runs per week, days, types and distances. -------------------
    # The chronic load needs the weeks before the study: a burn-in of 4 time constants of the
    # same running model, so that week 0 starts from the stationary state (no transient that a
    # within-athlete model would mistake for a trend).
    burn = int(np.ceil(4 * e.chronic_weeks))
    tt = np.arange(-burn, W)
    cycle = (tt[None, :] + ath["cycle_phase"][:, None]) % 4
    periodisation = np.where(cycle == 3, 0.75, 1.0 + 0.04 * cycle)
    planned_all = V * periodisation * np.exp(0.12 * rng.standard_normal((A, burn + W)))
    off_all = rng.random((A, burn + W)) < d.off_week_probability
    planned_all = np.where(off_all, planned_all * rng.uniform(0, 0.4, (A, burn + W)), planned_all)
    planned_km, off = planned_all[:, burn:], off_all[:, burn:]
    run_length = V / ath["usual_runs"][:, None]
    n_runs = np.clip(np.round(planned_km / run_length + 0.4 * rng.standard_normal((A, W))), 1, 7)
    n_runs = np.where(planned_km < 2.0, 0, n_runs).astype(int)
    has_long = n_runs >= 3
    has_workout = ath["does_workouts"][:, None] & (n_runs >= 4) & ~off
    dow = np.arange(7)
    long_pos = dow[None, None, :] == ath["long_day"][:, None, None]
    workout_pos = dow[None, None, :] == ath["workout_day"][:, None, None]
    keys = rng.random((A, W, 7))
    keys = np.where(long_pos & has_long[..., None], -2.0, keys)
    keys = np.where(workout_pos & has_workout[..., None], -1.0, keys)
    run = _ranks(keys) < n_runs[..., None]
    run_type = np.where(run, EASY, NO_RUN)
    run_type = np.where(run & long_pos & has_long[..., None], LONG, run_type)
    run_type = np.where(run & workout_pos & has_workout[..., None], WORKOUT, run_type)
    weight = np.select([run_type == LONG, run_type == WORKOUT, run], [2.0, 1.2, 1.0], 0.0)
    weight = weight * np.exp(0.15 * rng.standard_normal((A, W, 7)))
    share = weight / np.maximum(weight.sum(axis=-1, keepdims=True), 1e-12)
    distance_m = np.where(
        run, np.round(np.maximum(planned_km[..., None] * share, 2.0) * 1000.0), 0.0
    )
    km = distance_m.sum(axis=-1) / 1000.0
    rho_c = np.exp(-1.0 / e.chronic_weeks)
    history = np.concatenate(
        [np.where(planned_all[:, :burn] < 2.0, 0.0, planned_all[:, :burn]), km], axis=1
    )
    chronic_dev = lfilter([0.0, 1.0 - rho_c], [1.0, -rho_c], history - V, axis=-1)[:, burn:]

    # --- Strength: the soleus programme and general sessions. --------------------------------
    weekday = dow < 5
    started = t[None, :] >= ath["start_week"][:, None]
    prog_week = np.where(started, t[None, :] - ath["start_week"][:, None], -1)
    keys = rng.random((A, W, 7)) + np.where(weekday, 0.0, 5.0) + np.where(workout_pos, 0.5, 0.0)
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
    empty = done & (sets.sum(axis=-1) == 0)
    sets[..., 0] = np.where(empty, 1, sets[..., 0])
    general = (
        weekday & ~planned & (rng.random((A, W, 7)) < ath["general_rate"][:, None, None] / 5.0)
    )
    calf_extra = np.where(
        general & ath["calf_dabbler"][:, None, None] & (rng.random((A, W, 7)) < 0.4),
        rng.integers(2, 4, (A, W, 7)),
        0,
    )
    shares = np.array([SOLEUS_SHARES[x] for x in EXERCISE_IDS])
    prog_share = shares[ath["_programme"]]  # (A, 4)
    sets_per_slot = sets.sum(axis=2)  # (A, W, slots)
    soleus_sets = (sets_per_slot * prog_share[:, None, :]).sum(axis=-1) + calf_extra.sum(
        axis=-1
    ) * SOLEUS_SHARES["standing_calf_raise"]
    calf_sets = sets_per_slot.sum(axis=-1) + calf_extra.sum(axis=-1)
    prog_minutes = np.where(
        done,
        np.clip(
            np.round(8 + 2.5 * sets.sum(axis=-1) + 3 * rng.standard_normal((A, W, 7))), 10, None
        ),
        0,
    )
    general_minutes = np.where(
        general,
        np.clip(np.round(50 + 2.5 * calf_extra + 10 * rng.standard_normal((A, W, 7))), 20, 100),
        0,
    )
    prog_rpe = np.clip(np.round(5.5 + rng.standard_normal((A, W, 7))), 2, 9)
    general_rpe = np.clip(np.round(6.5 + rng.standard_normal((A, W, 7))), 3, 10)

    # --- Latent states. ------------------------------------------------------------------------
    adaptation = adaptation_state(soleus_sets, e.adaptation_weeks)
    novelty = np.maximum(soleus_sets - adaptation, 0.0)
    acute_dev = km - V
    season = ath["season_rate_s_per_km_per_week"][:, None] * e.season_weeks(t)[None, :]
    pace_true = (
        ath["baseline_pace_s_per_km"][:, None]
        + season
        + ath["slope"][:, None] * adaptation / 10.0
        + e.pace_s_per_km_per_10_km_acute * acute_dev / 10.0
        + e.pace_s_per_km_per_10_km_chronic * chronic_dev / 10.0
    )
    pace_resid = _ar1(rng, (A, W), e.pace_week_sd_s_per_km, e.pace_ar1)
    fatigue_true = (
        ath["fatigue_base"][:, None]
        + e.fatigue_per_10_soleus_sets * adaptation / 10.0
        + e.fatigue_per_10_km_acute * acute_dev / 10.0
        + e.fatigue_per_10_km_chronic * chronic_dev / 10.0
        + _ar1(rng, (A, W), e.fatigue_week_sd, e.fatigue_ar1)
    )
    soreness_true = (
        ath["soreness_base"][:, None]
        + e.soreness_per_10_novel_soleus_sets * novelty / 10.0
        + e.soreness_per_10_km_acute * acute_dev / 10.0
        + _ar1(rng, (A, W), e.soreness_week_sd, e.soreness_ar1)
    )
    decoupling_week = _ar1(rng, (A, W), e.stream_week_sd_pct, e.stream_ar1)
    fade_week = _ar1(rng, (A, W), e.stream_week_sd_pct, e.stream_ar1)

    # --- Days: fatigue of the day (continuous), used by run RPE and the wellness ratings. -----
    hard = (run_type == LONG) | (run_type == WORKOUT)
    hard_flat = hard.reshape(A, W * 7)
    yesterday = np.zeros_like(hard_flat)
    yesterday[:, 1:] = hard_flat[:, :-1]
    fatigue_day = (
        fatigue_true[..., None]
        - 0.25 * yesterday.reshape(A, W, 7)
        + e.fatigue_day_sd * rng.standard_normal((A, W, 7))
    )

    # --- Runs. ---------------------------------------------------------------------------------
    climb = ath["hilliness"][:, None, None] * np.exp(0.5 * rng.standard_normal((A, W, 7)))
    elevation = np.where(run, np.round(climb * distance_m / 1000.0), 0.0)
    climb = np.where(run, elevation / np.maximum(distance_m, 1.0) * 1000.0, 0.0)
    offset = np.where(run_type == WORKOUT, -ath["workout_speedup"][:, None, None], 0.0)
    noise = e.pace_run_sd_s_per_km * rng.standard_normal((A, W, 7))
    pace = (
        (pace_true + pace_resid)[..., None]
        + offset
        + e.pace_s_per_km_per_m_per_km_climb * climb
        + noise
    )
    moving = np.where(run, np.round(distance_m * pace / 1000.0), 0.0)
    manual = run & (rng.random((A, W, 7)) < ath["manual_rate"][:, None, None])
    hr_rest, hr_max = ath["hr_rest_bpm"][:, None, None], ath["hr_max_bpm"][:, None, None]
    effort = ath["easy_effort"][:, None, None] + np.select(
        [run_type == LONG, run_type == WORKOUT], [0.02, 0.15], 0.0
    )
    hr = np.round(
        np.clip(
            hr_rest
            + effort * (hr_max - hr_rest)
            - 0.25 * noise
            + 2.5 * rng.standard_normal((A, W, 7)),
            hr_rest + 15,
            hr_max - 2,
        )
    )
    has_hr = run & ~manual & (rng.random((A, W, 7)) < ath["hr_rate"][:, None, None])
    hr = np.where(has_hr, hr, np.nan)
    hours = moving / 3600.0
    rpe_base = np.select([run_type == LONG, run_type == WORKOUT], [5.0, 7.0], 3.0)
    run_rpe = np.clip(
        np.round(rpe_base + RPE_PER_TIREDNESS * (3.0 - fatigue_day)
                 + 0.7 * rng.standard_normal((A, W, 7))), 1, 10
    )
    freshness = fatigue_day - ath["fatigue_base"][:, None, None]
    streamed = run & ~manual & (hours >= 0.5)
    decoupling = (
        ath["decoupling_base"][:, None, None]
        + 2.5 * (hours - 1.0)
        + e.decoupling_pct_per_10_soleus_sets * adaptation[..., None] / 10.0
        - DECOUPLING_PER_FRESHNESS * freshness
        + decoupling_week[..., None]
        + 1.5 * rng.standard_normal((A, W, 7))
    )
    decoupling = np.where(streamed & has_hr, np.round(np.clip(decoupling, -20, 40), 2), np.nan)
    fade = (
        ath["fade_base"][:, None, None]
        + 1.5 * (hours - 1.0)
        + e.pace_fade_pct_per_10_soleus_sets * adaptation[..., None] / 10.0
        - FADE_PER_FRESHNESS * freshness
        + fade_week[..., None]
        + 1.5 * rng.standard_normal((A, W, 7))
    )
    fade = np.where(streamed, np.round(np.clip(fade, -20, 40), 2), np.nan)
    run_minutes = np.where(run, np.maximum(np.round(moving / 60.0), 1.0), 0.0)

    # --- Session RPE logs (PMSys srpe) and the wellness diary. ---------------------------------
    srpe_rate = ath["srpe_rate"][:, None, None]
    run_logged = run & (rng.random((A, W, 7)) < srpe_rate)
    prog_logged = done & (rng.random((A, W, 7)) < srpe_rate)
    general_logged = general & (rng.random((A, W, 7)) < srpe_rate)
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
    logged = logged.T.reshape(A, W, 7)
    noise_day = rng.standard_normal((4, A, W, 7))
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
        np.round(ath["stress_base"][:, None, None] + 0.7 * rng.standard_normal((A, W, 7))), 1, 5
    )
    sleep_h = np.clip(
        np.round(2 * (ath["sleep_h_base"][:, None, None] + 0.9 * rng.standard_normal((A, W, 7))))
        / 2,
        3,
        11,
    )

    weeks = {
        "off": off,
        "n_runs": n_runs,
        "km": km,
        "chronic_km": V + chronic_dev,
        "programme_week": prog_week,
        "soleus_sets": soleus_sets,
        "calf_sets": calf_sets.astype(float),
        "adaptation": adaptation,
        "novelty": novelty,
        "pace_true": pace_true,
        "pace_resid": pace_resid,
        "season": season,
        "fatigue_true": fatigue_true,
        "soreness_true": soreness_true,
    }
    days = {
        "run_type": run_type,
        "distance_m": distance_m,
        "moving_time_s": moving,
        "elevation_gain_m": np.where(manual, np.nan, elevation),
        "manual": manual,
        "avg_hr_bpm": hr,
        "run_rpe": run_rpe,
        "decoupling_pct": decoupling,
        "pace_fade_pct": fade,
        "run_minutes": run_minutes,
        "run_logged": run_logged,
        "programme_done": done,
        "programme_minutes": prog_minutes,
        "programme_rpe": prog_rpe,
        "programme_logged": prog_logged,
        "general": general,
        "general_minutes": general_minutes,
        "general_rpe": general_rpe,
        "general_logged": general_logged,
        "calf_extra_sets": calf_extra,
        "wellness_logged": logged,
        "fatigue_day": fatigue_day,
        "fatigue": fatigue_rating,
        "soreness": soreness_rating,
        "readiness": readiness,
        "mood": mood,
        "stress": stress,
        "sleep_quality": sleep_quality,
        "sleep_duration_h": sleep_h,
    }
    programme = ath.pop("_programme")
    return Trajectories(
        n_athletes=A,
        n_weeks=W,
        effects=e,
        design=d,
        athletes=ath,
        weeks=weeks,
        days=days,
        programme_sets=sets,
        programme_exercise=programme,
    )
