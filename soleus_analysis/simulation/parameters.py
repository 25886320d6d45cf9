"""Parameters of the generating model: the planted effects, the study design and its traps.

:class:`Effects` holds the planted effects and the noise in coach units, :class:`Design` the study
design and the population it recruits; :func:`describe_traps` says in plain sentences which traps
of real data a simulated study carries. The equations they enter are in
:mod:`soleus_analysis.simulation.generate`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from numbers import Real

import numpy as np

__all__ = [
    "DECOUPLING_PER_FRESHNESS",
    "FADE_PER_FRESHNESS",
    "READINESS_PER_FRESHNESS",
    "RPE_PER_TIREDNESS",
    "Design",
    "Effects",
    "describe_traps",
]

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
