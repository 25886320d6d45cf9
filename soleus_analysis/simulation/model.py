"""The generating model of the simulated cohort: its parameters and one vectorised draw.

One model, two granularities. :func:`draw` simulates every run, strength session and wellness day
of a cohort as numpy arrays indexed by athlete, week and day of week. :mod:`.panel` sums those
arrays into the athlete-week panel; :mod:`.cohort` turns the same arrays (plus cosmetic details
that no panel column depends on: times of day, names, reps and loads) into the canonical tables.
With the same seed, both therefore describe the same athletes and the same weeks.

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
soleus share (:data:`SOLEUS_SHARES`), i.e. exactly the panel's ``soleus_sets``.

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

from dataclasses import asdict, dataclass, fields
from numbers import Real
from types import MappingProxyType

import numpy as np
from scipy.signal import lfilter

__all__ = [
    "DECOUPLING_PER_FRESHNESS",
    "EXERCISE_IDS",
    "FADE_PER_FRESHNESS",
    "READINESS_PER_FRESHNESS",
    "RPE_PER_TIREDNESS",
    "SOLEUS_SHARES",
    "Design",
    "Effects",
    "Trajectories",
    "adaptation_kernel",
    "adaptation_state",
    "describe_traps",
    "draw",
]

#: General strength exercises (no plantar-flexor share) drawn for the athletes' gym sessions.
GENERAL_EXERCISES: tuple[str, ...] = (
    "squat",
    "deadlift",
    "romanian_deadlift",
    "lunge",
    "bulgarian_split_squat",
    "hip_thrust",
    "leg_press",
    "plank",
    "pull_up",
    "bench_press",
)

#: Canonical exercise ids the simulator uses, in a fixed order (array index -> id).
_SIMULATED_EXERCISES: tuple[str, ...] = (
    # The article's four exercises (bent knee: soleus-biased).
    "seated_calf_raise",
    "soleus_walk",
    "soleus_walk_farmers_carry",
    "soleus_walk_suitcase_carry",
    "horse_stance_calf_raise",
    "slant_board_single_leg_squat",
    # Common calf exercises.
    "bent_knee_calf_raise",
    "single_leg_bent_knee_calf_raise",
    "standing_calf_raise",
    "single_leg_standing_calf_raise",
    "calf_press_leg_press",
    "donkey_calf_raise",
    "jump_rope",
    "pogo_hops",
    # Not training.
    "calf_stretch",
    "calf_massage",
    "calf_foam_roll",
    # General strength work (no plantar-flexor share).
    *GENERAL_EXERCISES,
)


#: How the day's fatigue rating F_day (PMSys 1-5, higher = fresher) moves the other measures:
#: run RPE ``+ RPE_PER_TIREDNESS (3 - F_day)``; with freshness ``F_day - f_i``, aerobic
#: decoupling ``- DECOUPLING_PER_FRESHNESS freshness`` and late-run pace fade
#: ``- FADE_PER_FRESHNESS freshness`` [percentage points], readiness (0-10)
#: ``+ READINESS_PER_FRESHNESS freshness``. :func:`soleus_analysis.simulation.implied_effects`
#: turns them into the effects of soleus dose and running load on these measures.
RPE_PER_TIREDNESS = 0.6
DECOUPLING_PER_FRESHNESS = 0.6
FADE_PER_FRESHNESS = 0.5
READINESS_PER_FRESHNESS = 1.6


def _catalog_shares() -> MappingProxyType[str, float]:
    """The shipped exercise catalog's soleus share of every simulated exercise.

    One source of truth: the simulated dose uses the very shares that the panel build applies, so
    a build of a simulated cohort recovers the generated ``soleus_sets``.
    """
    from soleus_analysis.catalog import load_catalog

    table = load_catalog().exercises.set_index("exercise")["soleus_share"].fillna(0.0)
    missing = [x for x in _SIMULATED_EXERCISES if x not in table.index]
    if missing:  # pragma: no cover - guarded by a test; a catalog edit must keep these ids
        raise RuntimeError(f"the exercise catalog lacks the simulated exercises {missing}")
    return MappingProxyType({x: float(table[x]) for x in _SIMULATED_EXERCISES})


#: Assumed soleus share of each simulated exercise's plantar-flexor work (0 = not soleus
#: training), read from the shipped exercise catalog (``sol.load_catalog()``).
SOLEUS_SHARES: MappingProxyType[str, float] = _catalog_shares()
#: Canonical exercise ids in a fixed order (array index -> id).
EXERCISE_IDS: tuple[str, ...] = _SIMULATED_EXERCISES
_EX = {name: k for k, name in enumerate(EXERCISE_IDS)}
#: Plantar-flexor exercises: counted in ``calf_sets``.
CALF_EXERCISES: frozenset[str] = frozenset(
    name for name, share in SOLEUS_SHARES.items() if share > 0
)

# Programme slots: each athlete draws one exercise per slot (slot 0 is always the seated raise).
_SLOTS: tuple[tuple[tuple[str, ...], tuple[float, ...]], ...] = (
    (("seated_calf_raise",), (1.0,)),
    (("soleus_walk", "soleus_walk_farmers_carry", "soleus_walk_suitcase_carry"), (0.4, 0.35, 0.25)),
    (
        ("horse_stance_calf_raise", "bent_knee_calf_raise", "single_leg_bent_knee_calf_raise"),
        (0.6, 0.2, 0.2),
    ),
    (
        (
            "slant_board_single_leg_squat",
            "standing_calf_raise",
            "single_leg_standing_calf_raise",
            "calf_press_leg_press",
            "donkey_calf_raise",
            "pogo_hops",
            "jump_rope",
        ),
        (0.5, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05),
    ),
)
N_SLOTS = len(_SLOTS)

#: Run types in the ``run_type`` array.
NO_RUN, EASY, LONG, WORKOUT = 0, 1, 2, 3
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


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True)
class Effects:
    """The planted effects and the noise of the generating model, in coach units.

    The soleus dose unit is the panel's ``soleus_sets``: hard sets per week weighted by each
    exercise's soleus share. "Per 10 sets" means a dose of +10 soleus-weighted sets a week,
    sustained long enough for the adaptation to reach it (steady state). Fatigue and soreness are on
    the PMSys 1-5 scales, where higher is better (5 = very fresh, not sore).

    Attributes
    ----------
    pace_s_per_km_per_10_soleus_sets : float
        Mean within-athlete effect on easy pace [s/km] (negative = faster). Default -4 s/km
        (about 1% at 5:45 /km): a modest effect that a 40-athlete study can just about see.
    slope_sd_s_per_km : float
        Between-athlete SD of that effect (random slope) [s/km per 10 sets].
    adaptation_weeks : float
        Time constant ``tau`` [weeks] of the exponentially weighted cumulative adaptation
        (0 = the dose acts in the same week only).
    fatigue_per_10_soleus_sets : float
        Effect on the weekly fatigue rating [PMSys points; positive = fresher].
    soreness_per_10_novel_soleus_sets : float
        Effect of unaccustomed soleus dose, ``max(x - S, 0)``, on soreness [PMSys points;
        negative = more sore].
    decoupling_pct_per_10_soleus_sets, pace_fade_pct_per_10_soleus_sets : float
        Effects on aerobic decoupling and late-run pace fade of runs of 30 min or more
        [percentage points; negative = more enduring].
    pace_s_per_km_per_10_km_acute, pace_s_per_km_per_10_km_chronic : float
        Effects on easy pace of +10 km run this week (acute; positive = slower, tired legs) and of
        +10 km/week in the chronic load of the previous weeks (negative = fitter), both against the
        athlete's usual volume.
    fatigue_per_10_km_acute, fatigue_per_10_km_chronic, soreness_per_10_km_acute : float
        The same for fatigue and soreness [PMSys points].
    chronic_weeks : float
        Time constant of the chronic running load [weeks].
    pace_week_sd_s_per_km, pace_ar1 : float
        Week-to-week form: stationary AR(1) residual of the weekly pace level, its SD [s/km] and
        lag-1 autocorrelation.
    pace_run_sd_s_per_km : float
        Run-to-run pace noise at a given weekly level [s/km].
    pace_s_per_km_per_m_per_km_climb : float
        Pace cost of ascent [s/km per metre climbed per km].
    fatigue_week_sd, fatigue_ar1 : float
        Weekly AR(1) residual of the fatigue level: SD [PMSys points] and lag-1 autocorrelation.
    fatigue_day_sd : float
        Day-to-day noise of the daily fatigue and soreness ratings before rounding [PMSys points].
    soreness_week_sd, soreness_ar1 : float
        Weekly AR(1) residual of the soreness level (a series of its own).
    stream_week_sd_pct, stream_ar1 : float
        Weekly AR(1) residual of aerobic decoupling and of late-run pace fade (two independent
        series) [percentage points]: weeks of heat, hills or poor form shared by the week's
        long runs.
    season_pace_s_per_km_per_week : float
        Season trend: mean rate at which easy pace improves at the start of the study
        [s/km per week; negative = faster]. Default -0.4.
    season_pace_sd_s_per_km_per_week : float
        Between-athlete SD of that rate (each athlete's own season), default 0.2.
    season_saturation_weeks : float
        Time constant ``tau_s`` of the saturation of the season trend [weeks]: the improvement
        after ``t`` weeks is ``g_i tau_s (1 - exp(-t / tau_s))`` (0 = linear, ``g_i t``).
        Default 26: after 26 weeks a runner has improved 63% of ``26 g_i``, i.e. 16.4 weeks'
        worth of the initial rate (-6.6 s/km at the default rate; -0.25 s/km a week on
        average over the first 26 weeks).
    """

    pace_s_per_km_per_10_soleus_sets: float = -4.0
    slope_sd_s_per_km: float = 2.0
    adaptation_weeks: float = 4.0
    fatigue_per_10_soleus_sets: float = 0.15
    soreness_per_10_novel_soleus_sets: float = -0.3
    decoupling_pct_per_10_soleus_sets: float = -0.5
    pace_fade_pct_per_10_soleus_sets: float = -0.3
    pace_s_per_km_per_10_km_acute: float = 1.5
    pace_s_per_km_per_10_km_chronic: float = -4.0
    fatigue_per_10_km_acute: float = -0.15
    fatigue_per_10_km_chronic: float = 0.05
    soreness_per_10_km_acute: float = -0.1
    chronic_weeks: float = 6.0
    pace_week_sd_s_per_km: float = 6.0
    pace_ar1: float = 0.5
    pace_run_sd_s_per_km: float = 8.0
    pace_s_per_km_per_m_per_km_climb: float = 0.5
    fatigue_week_sd: float = 0.3
    fatigue_ar1: float = 0.5
    fatigue_day_sd: float = 0.5
    soreness_week_sd: float = 0.3
    soreness_ar1: float = 0.5
    stream_week_sd_pct: float = 0.8
    stream_ar1: float = 0.5
    season_pace_s_per_km_per_week: float = -0.4
    season_pace_sd_s_per_km_per_week: float = 0.2
    season_saturation_weeks: float = 26.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            _check(
                isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value),
                f"Effects.{f.name} must be a finite number, got {value!r}",
            )
        for name in (
            "slope_sd_s_per_km",
            "adaptation_weeks",
            "pace_week_sd_s_per_km",
            "pace_run_sd_s_per_km",
            "fatigue_week_sd",
            "fatigue_day_sd",
            "soreness_week_sd",
            "stream_week_sd_pct",
            "season_pace_sd_s_per_km_per_week",
            "season_saturation_weeks",
        ):
            _check(
                getattr(self, name) >= 0, f"Effects.{name} must be >= 0, got {getattr(self, name)}"
            )
        _check(
            self.chronic_weeks > 0, f"Effects.chronic_weeks must be > 0, got {self.chronic_weeks}"
        )
        for name in ("pace_ar1", "fatigue_ar1", "soreness_ar1", "stream_ar1"):
            _check(
                0 <= getattr(self, name) < 1,
                f"Effects.{name} must be in [0, 1), got {getattr(self, name)}",
            )

    @property
    def rho(self) -> float:
        """Weekly carry-over of the adaptation, ``exp(-1 / adaptation_weeks)`` (0 when tau = 0)."""
        return float(np.exp(-1.0 / self.adaptation_weeks)) if self.adaptation_weeks > 0 else 0.0

    def to_dict(self) -> dict[str, float]:
        """The effects as a plain dict (JSON-serialisable)."""
        return {k: float(v) for k, v in asdict(self).items()}

    def season_weeks(self, weeks: np.ndarray) -> np.ndarray:
        """The season curve ``h(t)`` [weeks]: improvement after ``t`` weeks per unit rate.

        ``h(t) = tau_s (1 - exp(-t / tau_s))``, or ``t`` when ``season_saturation_weeks`` is 0;
        athlete ``i``'s season term on easy pace is ``g_i h(t)`` s/km.

        Examples
        --------
        >>> Effects(season_saturation_weeks=0).season_weeks(np.array([0, 10])).tolist()
        [0.0, 10.0]
        >>> round(float(Effects().season_weeks(np.array([26]))[0]), 1)
        16.4
        """
        t = np.asarray(weeks, dtype=float)
        tau = self.season_saturation_weeks
        return t if tau == 0 else tau * -np.expm1(-t / tau)


@dataclass(frozen=True)
class Design:
    """The study design and the population it recruits.

    Attributes
    ----------
    soleus_fraction : float
        Share of athletes who take up the soleus programme (rounded to whole athletes); who they
        are depends on ``uptake_log_odds_per_sd_fitness`` (0 = randomised).
    first_start_week, last_start_week : int, optional
        Range of the staggered programme start weeks (inclusive). Defaults: ``n_weeks // 6``
        (at least 1 baseline week) and ``n_weeks // 2``.
    three_sessions_share : float
        Share of programme athletes asked for 3 sessions a week (the others: 2), at average
        fitness (see ``adherence_log_odds_per_sd_fitness``).
    adherence_mean, adherence_concentration : float
        Beta distribution of the per-athlete probability of doing a planned session (its mean at
        average fitness).
    adherence_decay_per_week : float
        Drop of that probability per programme week.
    base_sets, weeks_per_extra_set : int
        Progression: sets per exercise start at ``base_sets`` and rise by one every
        ``weeks_per_extra_set`` weeks up to the athlete's maximum (3 or 4).
    off_week_probability : float
        Probability that a week's running is disrupted (illness, travel): volume x U(0, 0.4).
    easy_pace_mean_s_per_km, easy_pace_sd_s_per_km : float
        Population distribution of baseline easy pace.
    weekly_km_median, weekly_km_log_sd : float
        Population distribution (log-normal) of usual weekly volume.
    pace_volume_correlation : float
        Correlation of baseline pace with log volume.
    wellness_log_rate_mean : float
        Mean share of days with a wellness entry.
    uptake_log_odds_per_sd_fitness : float
        Between-athlete confounding, uptake: the programme athletes are drawn without replacement
        with odds ``exp(gamma_u psi_i)``, ``psi_i`` = fitness in population SDs (faster baseline
        easy pace: ``psi_i = -(alpha_i - mean) / sd`` before clipping). Default 0.6: a runner one
        SD fitter has 1.8 times the odds, and at 40 athletes the programme group is on average
        0.73 SD (29 s/km) faster at baseline than the controls. 0 = randomised.
    adherence_log_odds_per_sd_fitness : float
        Between-athlete confounding, dose: fitter runners adhere better and are more often asked
        for 3 sessions a week; the mean adherence and the 3-session share are shifted by
        ``gamma_a psi_i`` on the log-odds scale. Default 0.4.
    """

    soleus_fraction: float = 0.5
    first_start_week: int | None = None
    last_start_week: int | None = None
    three_sessions_share: float = 0.3
    adherence_mean: float = 0.8
    adherence_concentration: float = 10.0
    adherence_decay_per_week: float = 0.01
    base_sets: int = 2
    weeks_per_extra_set: int = 3
    off_week_probability: float = 0.03
    easy_pace_mean_s_per_km: float = 345.0
    easy_pace_sd_s_per_km: float = 40.0
    weekly_km_median: float = 32.0
    weekly_km_log_sd: float = 0.45
    pace_volume_correlation: float = -0.4
    wellness_log_rate_mean: float = 0.75
    uptake_log_odds_per_sd_fitness: float = 0.6
    adherence_log_odds_per_sd_fitness: float = 0.4

    def __post_init__(self) -> None:
        for name in (
            "soleus_fraction",
            "three_sessions_share",
            "adherence_decay_per_week",
            "off_week_probability",
        ):
            value = getattr(self, name)
            _check(0 <= value <= 1, f"Design.{name} must be in [0, 1], got {value}")
        for name in ("adherence_mean", "wellness_log_rate_mean"):
            value = getattr(self, name)
            _check(0 < value < 1, f"Design.{name} must be in (0, 1), got {value}")
        _check(
            -1 < self.pace_volume_correlation < 1,
            "Design.pace_volume_correlation must be in (-1, 1)",
        )
        _check(self.adherence_concentration > 0, "Design.adherence_concentration must be > 0")
        _check(self.base_sets >= 1, "Design.base_sets must be >= 1")
        _check(self.weeks_per_extra_set >= 1, "Design.weeks_per_extra_set must be >= 1")
        for name in ("easy_pace_mean_s_per_km", "weekly_km_median"):
            _check(getattr(self, name) > 0, f"Design.{name} must be > 0")
        for name in ("uptake_log_odds_per_sd_fitness", "adherence_log_odds_per_sd_fitness"):
            value = getattr(self, name)
            _check(
                isinstance(value, Real) and not isinstance(value, bool) and np.isfinite(value),
                f"Design.{name} must be a finite number, got {value!r}",
            )

    def start_weeks(self, n_weeks: int) -> tuple[int, int]:
        """The inclusive range of programme start weeks for a study of ``n_weeks`` weeks."""
        first = max(1, n_weeks // 6) if self.first_start_week is None else self.first_start_week
        last = max(first, n_weeks // 2) if self.last_start_week is None else self.last_start_week
        if not 0 <= first <= last < n_weeks:
            raise ValueError(
                f"programme start weeks {first}..{last} do not fit a study of {n_weeks} weeks: "
                "choose 0 <= first_start_week <= last_start_week < n_weeks"
            )
        return first, last

    def to_dict(self) -> dict[str, float | int | None]:
        """The design as a plain dict (JSON-serialisable)."""
        return asdict(self)


def describe_traps(
    effects: Effects | None = None, design: Design | None = None, n_weeks: int = 26
) -> tuple[str, ...]:
    """The traps of real data that a simulated study carries, in plain sentences.

    Parameters
    ----------
    effects : Effects, optional
    design : Design, optional
        The simulator's parameters (defaults ``Effects()`` and ``Design()``).
    n_weeks : int
        Study length [weeks] (it sets the start-week range and the season's extent).

    Returns
    -------
    tuple of str
        One sentence each on the season trend, the weekly AR(1) residuals, the staggered starts
        and the between-athlete confounding (saying "none" or "randomised" when switched off).

    Examples
    --------
    >>> describe_traps(Effects(season_pace_s_per_km_per_week=0,
    ...                        season_pace_sd_s_per_km_per_week=0))[0]
    'No season trend.'
    """
    e = Effects() if effects is None else effects
    d = Design() if design is None else design
    first, last = d.start_weeks(n_weeks)
    g, sd, tau = (e.season_pace_s_per_km_per_week, e.season_pace_sd_s_per_km_per_week,
                  e.season_saturation_weeks)
    if g == 0 and sd == 0:
        season = "No season trend."
    else:
        shape = f"saturating with a {tau:g}-week time constant" if tau else "linear"
        gain = g * float(e.season_weeks(np.array([n_weeks - 1]))[0])
        season = (f"Season trend: easy pace changes by {g:+g} s/km a week at the start "
                  f"(between-athlete SD {sd:g}), {shape}: {gain:+.1f} s/km on average by week "
                  f"{n_weeks - 1}.")
    noise = (f"Weekly AR(1) residuals: easy pace SD {e.pace_week_sd_s_per_km:g} s/km, "
             f"lag-1 correlation {e.pace_ar1:g}; fatigue {e.fatigue_week_sd:g} points, "
             f"{e.fatigue_ar1:g}; soreness {e.soreness_week_sd:g}, {e.soreness_ar1:g}; "
             f"decoupling and pace fade {e.stream_week_sd_pct:g} points, {e.stream_ar1:g}.")
    starts = (f"Staggered programme starts at weeks {first}-{last} for "
              f"{d.soleus_fraction:.0%} of athletes (the dose rises with calendar time).")
    gu, ga = d.uptake_log_odds_per_sd_fitness, d.adherence_log_odds_per_sd_fitness
    if gu == 0 and ga == 0:
        confounding = "Programme randomised; adherence unrelated to fitness."
    else:
        confounding = (f"Between-athlete confounding: uptake log-odds {gu:+g} and adherence "
                       f"log-odds {ga:+g} per SD of fitness (fitter runners take up and do more "
                       "of the programme).")
    return (season, noise, starts, confounding)


def adaptation_kernel(adaptation_weeks: float, n_lags: int) -> np.ndarray:
    """Lag weights ``w_0 .. w_{n_lags}`` of the exponentially weighted adaptation.

    ``S_t = sum_l w_l x_{t-l}`` with ``w_l = (1 - rho) rho^l`` and ``rho = exp(-1/tau)``; the
    weights sum to 1 over all lags, so a distributed-lag model truncated at lag ``L`` recovers the
    share ``sum(w[:L + 1]) = 1 - rho^(L+1)`` of the steady-state effect.

    Examples
    --------
    >>> adaptation_kernel(0, 3).tolist()
    [1.0, 0.0, 0.0, 0.0]
    >>> w = adaptation_kernel(4, 200)
    >>> round(float(w[0]), 3), round(float(w.sum()), 6)
    (0.221, 1.0)
    """
    _check(adaptation_weeks >= 0, f"adaptation_weeks must be >= 0, got {adaptation_weeks}")
    _check(n_lags >= 0, f"n_lags must be >= 0, got {n_lags}")
    rho = float(np.exp(-1.0 / adaptation_weeks)) if adaptation_weeks > 0 else 0.0
    return (1.0 - rho) * rho ** np.arange(n_lags + 1, dtype=float)


def adaptation_state(dose: np.ndarray, adaptation_weeks: float) -> np.ndarray:
    """Adaptation state ``S`` of weekly doses (last axis = weeks), starting from 0.

    Examples
    --------
    >>> adaptation_state(np.array([10.0, 10.0, 0.0]), 0).tolist()
    [10.0, 10.0, 0.0]
    >>> np.round(adaptation_state(np.full(60, 10.0), 4)[-1], 3)
    np.float64(10.0)
    """
    rho = float(np.exp(-1.0 / adaptation_weeks)) if adaptation_weeks > 0 else 0.0
    return lfilter([1.0 - rho], [1.0, -rho], np.asarray(dose, dtype=float), axis=-1)


def _ar1(rng: np.random.Generator, shape: tuple[int, int], sd: float, phi: float) -> np.ndarray:
    """Stationary AR(1) series along the last axis with marginal SD ``sd``."""
    e = rng.standard_normal(shape)
    e[:, 1:] *= np.sqrt(1.0 - phi**2)
    return lfilter([1.0], [1.0, -phi], e * sd, axis=-1)


@dataclass(frozen=True, eq=False)
class Trajectories:
    """One draw of the generating model as arrays (internal; see the module docstring).

    Athlete arrays have shape ``(A,)``, week arrays ``(A, W)``, day arrays ``(A, W, 7)`` (day 0 =
    Monday), programme-set arrays ``(A, W, 7, 4)`` (one column per programme slot).
    """

    n_athletes: int
    n_weeks: int
    effects: Effects
    design: Design
    athletes: dict[str, np.ndarray]
    weeks: dict[str, np.ndarray]
    days: dict[str, np.ndarray]
    programme_sets: np.ndarray
    programme_exercise: np.ndarray


def _athletes(n: int, n_weeks: int, e: Effects, d: Design, rng: np.random.Generator) -> dict:
    width = max(3, len(str(n)))
    ids = np.array([f"A{i + 1:0{width}d}" for i in range(n)], dtype=object)
    z = rng.standard_normal((2, n))
    r = d.pace_volume_correlation
    z_vol = r * z[0] + np.sqrt(1 - r**2) * z[1]
    alpha = np.clip(d.easy_pace_mean_s_per_km + d.easy_pace_sd_s_per_km * z[0], 260, 480)
    volume = np.clip(np.exp(np.log(d.weekly_km_median) + d.weekly_km_log_sd * z_vol), 10, 110)
    fitness = -z[0]
    # Self-selected uptake (Gumbel top-k): the k athletes with the largest
    # gamma_u * fitness + Gumbel noise, i.e. k draws without replacement with odds
    # exp(gamma_u * fitness); gamma_u = 0 is a random k-subset (randomisation).
    soleus = np.zeros(n, dtype=bool)
    keys = d.uptake_log_odds_per_sd_fitness * fitness + rng.gumbel(size=n)
    soleus[np.argsort(-keys, kind="stable")[: int(round(d.soleus_fraction * n))]] = True
    first, last = d.start_weeks(n_weeks)
    start = np.where(soleus, rng.integers(first, last + 1, n), n_weeks)
    sex = rng.choice(np.array(["F", "M", "X"], dtype=object), n, p=[0.45, 0.5, 0.05])
    mass_mean = np.select([sex == "F", sex == "M"], [62.0, 75.0], 68.0)
    mass = np.round(np.clip(mass_mean + 7.5 * rng.standard_normal(n), 45, 115), 1)
    hr_max = np.round(np.clip(188 + 8 * rng.standard_normal(n), 165, 210))
    hr_rest = np.round(np.clip(52 + 6 * rng.standard_normal(n), 38, 72))
    slope = e.pace_s_per_km_per_10_soleus_sets + e.slope_sd_s_per_km * rng.standard_normal(n)
    season_rate = (
        e.season_pace_s_per_km_per_week
        + e.season_pace_sd_s_per_km_per_week * rng.standard_normal(n)
    )
    shift = d.adherence_log_odds_per_sd_fitness * fitness
    programme = np.column_stack(
        [
            np.array([_EX[x] for x in rng.choice(np.array(names, dtype=object), n, p=np.array(p))])
            for names, p in _SLOTS
        ]
    )
    m, c = _shift_probability(d.adherence_mean, shift), d.adherence_concentration
    zones = np.array([z_ for z_, _ in TIMEZONES], dtype=object)
    tz = rng.choice(zones, n, p=np.array([w for _, w in TIMEZONES]))
    american = np.array([str(x).startswith("America/") for x in tz])
    pounds = rng.random(n) < np.where(american, 0.85, 0.1)
    return {
        "athlete_id": ids,
        "soleus": soleus,
        "start_week": start,
        "sex": sex,
        "body_mass_kg": mass,
        "hr_max_bpm": hr_max,
        "hr_rest_bpm": hr_rest,
        "baseline_pace_s_per_km": alpha,
        "usual_km": volume,
        "fitness_sd": fitness,
        "slope": slope,
        "season_rate_s_per_km_per_week": season_rate,
        "usual_runs": np.clip(np.round(volume / 8.0), 2, 6),
        "long_day": rng.choice(np.array([5, 6]), n, p=[0.35, 0.65]),
        "workout_day": rng.integers(1, 4, n),
        "does_workouts": rng.random(n) < 0.75,
        "workout_speedup": rng.uniform(0.10, 0.17, n) * alpha,
        "easy_effort": rng.uniform(0.60, 0.72, n),
        "hilliness": np.exp(np.log(7.0) + 0.5 * rng.standard_normal(n)),
        "cycle_phase": rng.integers(0, 4, n),
        "adherence": rng.beta(m * c, (1 - m) * c, n),
        "planned_sessions": np.where(
            rng.random(n) < _shift_probability(d.three_sessions_share, shift), 3, 2
        ),
        "max_sets": np.where(rng.random(n) < 0.5, 4, 3),
        "general_rate": rng.choice(
            np.array([0.0, 0.5, 1.0, 1.5, 2.0]), n, p=[0.3, 0.2, 0.25, 0.15, 0.1]
        ),
        "calf_dabbler": rng.random(n) < 0.2,
        "fatigue_base": np.clip(2.9 + 0.35 * rng.standard_normal(n), 1.8, 4.2),
        "soreness_base": np.clip(3.0 + 0.3 * rng.standard_normal(n), 2.0, 4.2),
        "readiness_base": np.clip(5.5 + 1.0 * rng.standard_normal(n), 2.5, 8.5),
        "mood_base": np.clip(3.3 + 0.4 * rng.standard_normal(n), 2.0, 4.5),
        "stress_base": np.clip(3.0 + 0.4 * rng.standard_normal(n), 2.0, 4.5),
        "sleep_quality_base": np.clip(3.2 + 0.4 * rng.standard_normal(n), 2.0, 4.5),
        "sleep_h_base": np.clip(7.1 + 0.5 * rng.standard_normal(n), 5.5, 9.0),
        "decoupling_base": 3.0 + 1.0 * rng.standard_normal(n),
        "fade_base": 1.5 + 0.8 * rng.standard_normal(n),
        "wellness_rate": rng.beta(
            8 * d.wellness_log_rate_mean, 8 * (1 - d.wellness_log_rate_mean), n
        ),
        "srpe_rate": rng.beta(18, 2, n),
        "run_rpe_logged": rng.random(n) < 0.5,
        "hr_rate": rng.beta(30, 1.5, n),
        "manual_rate": rng.beta(1, 40, n),
        "timezone": tz,
        "weight_unit": np.where(pounds, "lb", "kg").astype(object),
        "strength_app": np.where(rng.random(n) < 0.55, "strong", "hevy").astype(object),
        "run_app": np.where(rng.random(n) < 0.6, "fit", "strava").astype(object),
        "_programme": programme,
    }


def _shift_probability(p: float, shift: np.ndarray) -> np.ndarray:
    """``expit(logit(p) + shift)``; a probability of exactly 0 or 1 stays put."""
    if p <= 0 or p >= 1:
        return np.full(np.shape(shift), float(p))
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1.0 - p)) + shift)))


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
    ath = _athletes(A, W, e, d, rng)
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
