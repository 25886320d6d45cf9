"""Fast panel-level simulation: the athlete-week panel of one draw of the generating model.

:func:`simulate_panel` draws a cohort with :func:`.generate.draw` and sums it into weeks without
building any event table, so that a power analysis can call it hundreds of times. The generating
model and its equations are in :mod:`soleus_analysis.simulation.generate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from soleus_analysis.simulation.adaptation import adaptation_kernel
from soleus_analysis.simulation.exercises import EXERCISE_IDS, SOLEUS_SHARES
from soleus_analysis.simulation.generate import draw
from soleus_analysis.simulation.parameters import Design, Effects
from soleus_analysis.simulation.trajectories import LONG, WORKOUT, Trajectories

__all__ = [
    "ESTIMAND",
    "SimulatedPanel",
    "SimulationParams",
    "draw_study",
    "simulate_panel",
    "traps",
]

#: EWMA spans of the session-RPE acute and chronic loads (Williams et al. 2017: lambda = 2/(N+1)).
ACUTE_DAYS, CHRONIC_DAYS = 7, 28
DEFAULT_START = "2025-01-06"


@dataclass(frozen=True)
class SimulationParams:
    """The parameters a simulated cohort was generated with.

    Attributes
    ----------
    n_athletes, n_weeks : int
    start : Timestamp
        Monday of study week 0 (local date, naive).
    effects : Effects
    design : Design
    athletes : DataFrame
        One row per athlete with the drawn parameters: ``athlete_id``, ``group``, ``start_week``
        (programme start; ``n_weeks`` for controls), ``baseline_pace_s_per_km``, ``usual_km``
        [km/week], ``slope_s_per_km_per_10_sets`` (own response), ``adherence`` (probability of
        doing a planned session at programme start), ``planned_sessions`` [per week],
        ``max_sets`` [per exercise], ``programme_1`` .. ``programme_4`` (canonical exercise ids),
        ``timezone``, ``weight_unit``, ``strength_app``, ``run_app``, ``wellness_rate``,
        ``srpe_rate`` (shares of days and sessions logged), and the other per-athlete draws.
    """

    n_athletes: int
    n_weeks: int
    start: pd.Timestamp
    effects: Effects
    design: Design
    athletes: pd.DataFrame

    def to_dict(self) -> dict:
        """JSON-serialisable form (the athletes as a list of records)."""
        records = self.athletes.astype(object).where(self.athletes.notna(), None)
        return {
            "n_athletes": self.n_athletes,
            "n_weeks": self.n_weeks,
            "start": self.start.date().isoformat(),
            "effects": self.effects.to_dict(),
            "design": self.design.to_dict(),
            "athletes": [
                {k: (v.item() if isinstance(v, np.generic) else v) for k, v in rec.items()}
                for rec in records.to_dict(orient="records")
            ],
        }


@dataclass(frozen=True)
class SimulatedPanel:
    """A simulated athlete-week panel with its known answer.

    Attributes
    ----------
    panel : DataFrame
        One row per athlete and week; see :func:`simulate_panel` for the columns.
    truth : dict
        The planted quantities; see :func:`planted_truth`.
    params : SimulationParams
    """

    panel: pd.DataFrame
    truth: dict
    params: SimulationParams


def _start(start) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(start)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"start={start!r} is not a date; give a Monday such as '2025-01-06'"
        ) from exc
    if ts.tzinfo is not None or ts != ts.normalize() or ts.day_of_week != 0:
        raise ValueError(
            f"start={start!r} must be a Monday without time of day or zone (local date of the "
            "first study week), e.g. '2025-01-06'"
        )
    return ts.as_unit("us")


def _check_size(n_athletes: int, n_weeks: int) -> None:
    for name, value, low in (("n_athletes", n_athletes, 1), ("n_weeks", n_weeks, 2)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")


def _mean(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    out = np.full(total.shape, np.nan)
    np.divide(total, count, out=out, where=count > 0)
    return out


def _masked_mean(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Mean over the last axis of ``values`` where ``mask`` (NaN where nothing is selected)."""
    keep = mask & ~np.isnan(values)
    return _mean(np.where(keep, values, 0.0).sum(axis=-1), keep.sum(axis=-1))


def _ewma_end_of_week(daily: np.ndarray, span_days: int) -> np.ndarray:
    lam = 2.0 / (span_days + 1.0)
    smoothed = lfilter([lam], [1.0, -(1.0 - lam)], daily, axis=-1)
    return smoothed[:, 6::7]


def athletes_table(traj: Trajectories) -> pd.DataFrame:
    """The drawn per-athlete parameters as a table (``SimulationParams.athletes``)."""
    a = traj.athletes
    columns = {
        "athlete_id": pd.array(a["athlete_id"], dtype="str"),
        "group": np.where(a["soleus"], "soleus", "control"),
        "start_week": a["start_week"].astype("int64"),
        "slope_s_per_km_per_10_sets": a["slope"],
    }
    names = np.array(EXERCISE_IDS, dtype=object)
    for k in range(traj.programme_exercise.shape[1]):
        columns[f"programme_{k + 1}"] = np.where(
            a["soleus"], names[traj.programme_exercise[:, k]], None
        )
    skip = {"athlete_id", "soleus", "start_week", "slope"}
    columns.update({key: value for key, value in a.items() if key not in skip})
    out = pd.DataFrame(columns)
    return out


def weekly_panel(traj: Trajectories, start: pd.Timestamp) -> pd.DataFrame:
    """Sum one draw into the athlete-week panel (see :func:`simulate_panel` for the columns)."""
    A, W = traj.n_athletes, traj.n_weeks
    a, wk, dy = traj.athletes, traj.weeks, traj.days
    run_type = dy["run_type"]
    run = run_type > 0
    easy = run & (run_type != WORKOUT)
    long_run = run_type == LONG
    distance = dy["distance_m"]
    moving = dy["moving_time_s"]
    pace = np.where(run, moving / np.maximum(distance, 1.0) * 1000.0, np.nan)
    speed = np.where(run, distance / np.maximum(moving, 1.0) * 60.0, np.nan)
    ef = speed / dy["avg_hr_bpm"]
    run_rpe_logged = run & a["run_rpe_logged"][:, None, None]

    daily_load = (
        np.where(dy["run_logged"], dy["run_rpe"] * dy["run_minutes"], 0.0)
        + np.where(dy["programme_logged"], dy["programme_rpe"] * dy["programme_minutes"], 0.0)
        + np.where(dy["general_logged"], dy["general_rpe"] * dy["general_minutes"], 0.0)
    )
    flat_load = daily_load.reshape(A, W * 7)
    logged = dy["wellness_logged"]

    week_start = start.to_datetime64() + np.arange(W) * np.timedelta64(7, "D")
    slope = a["slope"][:, None]
    data = {
        "athlete_id": pd.array(np.repeat(a["athlete_id"], W), dtype="str"),
        "week_start": np.tile(week_start.astype("datetime64[us]"), A),
        "week": np.tile(np.arange(W, dtype="int64"), A),
        "group": np.repeat(np.where(a["soleus"], "soleus", "control"), W),
        "soleus_sets": wk["soleus_sets"],
        "calf_sets": wk["calf_sets"],
        "strength_sessions": (dy["programme_done"].sum(-1) + dy["general"].sum(-1)).astype(float),
        "run_distance_km": distance.sum(-1) / 1000.0,
        "run_time_min": moving.sum(-1) / 60.0,
        "n_runs": run.sum(-1).astype(float),
        "srpe_load_au": daily_load.sum(-1),
        "acute_load_au": _ewma_end_of_week(flat_load, ACUTE_DAYS),
        "chronic_load_au": _ewma_end_of_week(flat_load, CHRONIC_DAYS),
        "chronic_distance_km": wk["chronic_km"],
        "easy_pace_s_per_km": _masked_mean(pace, easy),
        "efficiency_factor_m_per_beat": _masked_mean(ef, run),
        "decoupling_pct": _masked_mean(dy["decoupling_pct"], long_run),
        "pace_fade_pct": _masked_mean(dy["pace_fade_pct"], long_run),
        "run_rpe": _masked_mean(dy["run_rpe"], run_rpe_logged),
        "fatigue": _masked_mean(dy["fatigue"], logged),
        "soreness": _masked_mean(dy["soreness"], logged),
        "readiness": _masked_mean(dy["readiness"], logged),
        "wellness_days": logged.sum(-1).astype(float),
        "programme_week": np.where(wk["programme_week"] >= 0, wk["programme_week"], -1),
        "true_adaptation_sets": wk["adaptation"],
        "true_easy_pace_s_per_km": wk["pace_true"],
        "true_pace_residual_s_per_km": wk["pace_resid"],
        "true_season_pace_s_per_km": wk["season"],
        "true_soleus_pace_effect_s_per_km": slope * wk["adaptation"] / 10.0 + 0.0,
        "true_fatigue": wk["fatigue_true"],
        "true_soreness": wk["soreness_true"],
    }
    return pd.DataFrame(
        {k: (v.reshape(-1) if isinstance(v, np.ndarray) else v) for k, v in data.items()}
    )


def planted_truth(traj: Trajectories, *, max_lag: int | None = None) -> dict:
    """The planted quantities of one draw, JSON-serialisable.

    Keys
    ----
    effect_per_10_soleus_sets_s_per_km : float
        Mean within-athlete steady-state effect of +10 soleus sets/week on easy pace [s/km].
    effect_per_soleus_set_s_per_km : float
        The same per set: the coefficient a contemporaneous (``adaptation_weeks = 0``) or
        cumulative distributed-lag model of ``easy_pace_s_per_km`` on ``soleus_sets`` estimates.
    adaptation_weeks, adaptation_rho : float
        Time constant and weekly carry-over of the adaptation.
    lag_weights : list of float
        ``w_0 .. w_L`` of the adaptation kernel; the lag-``l`` coefficient of a distributed-lag
        model is ``effect_per_soleus_set_s_per_km * w_l``.
    max_lag : int
        ``L`` (default: the study length minus one, at most 26 weeks).
    cumulative_effect_per_10_sets_to_max_lag_s_per_km : float
        ``effect_per_10 * sum(lag_weights)``: what a distributed-lag model truncated at ``L``
        recovers.
    slope_sd_s_per_km : float
        Between-athlete SD of the effect (random slope).
    athlete_slopes_s_per_km_per_10_sets : dict
        Each athlete's own steady-state effect.
    fatigue_per_10_soleus_sets, soreness_per_10_novel_soleus_sets : float
    decoupling_pct_per_10_soleus_sets, pace_fade_pct_per_10_soleus_sets : float
        Other planted soleus effects (PMSys points; percentage points).
    pace_s_per_km_per_10_km_acute, pace_s_per_km_per_10_km_chronic, chronic_weeks : float
        Running-load effects, defined on ``run_distance_km`` (acute) and ``chronic_distance_km``
        (chronic) against each athlete's usual volume.
    pace_week_sd_s_per_km, pace_ar1, pace_run_sd_s_per_km : float
        Residual SD of the weekly pace level (AR(1) with lag-1 correlation ``pace_ar1``) and the
        run-to-run SD around it.
    soleus_shares : dict
        Exercise id -> soleus share used to compute ``soleus_sets``.
    effects : dict
        Every field of :class:`Effects`.
    """
    e = traj.effects
    L = min(traj.n_weeks - 1, 26) if max_lag is None else int(max_lag)
    w = adaptation_kernel(e.adaptation_weeks, L)
    effect = e.pace_s_per_km_per_10_soleus_sets
    ids = [str(i) for i in traj.athletes["athlete_id"]]
    return {
        "estimand": ESTIMAND,
        "effect_per_10_soleus_sets_s_per_km": effect,
        "effect_per_soleus_set_s_per_km": effect / 10.0,
        "adaptation_weeks": e.adaptation_weeks,
        "adaptation_rho": e.rho,
        "lag_weights": [float(x) for x in w],
        "max_lag": L,
        "cumulative_effect_per_10_sets_to_max_lag_s_per_km": float(effect * w.sum()),
        "slope_sd_s_per_km": e.slope_sd_s_per_km,
        "athlete_slopes_s_per_km_per_10_sets": {
            i: float(s) for i, s in zip(ids, traj.athletes["slope"], strict=True)
        },
        "fatigue_per_10_soleus_sets": e.fatigue_per_10_soleus_sets,
        "soreness_per_10_novel_soleus_sets": e.soreness_per_10_novel_soleus_sets,
        "decoupling_pct_per_10_soleus_sets": e.decoupling_pct_per_10_soleus_sets,
        "pace_fade_pct_per_10_soleus_sets": e.pace_fade_pct_per_10_soleus_sets,
        "pace_s_per_km_per_10_km_acute": e.pace_s_per_km_per_10_km_acute,
        "pace_s_per_km_per_10_km_chronic": e.pace_s_per_km_per_10_km_chronic,
        "chronic_weeks": e.chronic_weeks,
        "pace_week_sd_s_per_km": e.pace_week_sd_s_per_km,
        "pace_ar1": e.pace_ar1,
        "pace_run_sd_s_per_km": e.pace_run_sd_s_per_km,
        "soleus_shares": dict(SOLEUS_SHARES),
        "traps": traps(traj),
        "athlete_season_rates_s_per_km_per_week": {
            i: float(g)
            for i, g in zip(ids, traj.athletes["season_rate_s_per_km_per_week"], strict=True)
        },
        "effects": e.to_dict(),
    }


#: What the planted soleus effect on easy pace means (``truth["estimand"]``).
ESTIMAND = (
    "effect_per_10_soleus_sets_s_per_km is the mean over athletes of each athlete's steady-state "
    "change in weekly easy pace [s/km] when the weekly soleus dose is 10 soleus-weighted hard sets "
    "higher for long enough that the adaptation has caught up, at the same calendar week (net of "
    "the season trend), the same running load and the same weekly form."
)


def _within_corr(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pooled within-athlete correlation of two (athletes, weeks) arrays (None if undefined)."""
    xd = x - x.mean(axis=1, keepdims=True)
    yd = y - y.mean(axis=1, keepdims=True)
    den = np.sqrt((xd**2).sum() * (yd**2).sum())
    return float((xd * yd).sum() / den) if den > 0 else None


def traps(traj: Trajectories) -> dict:
    """The traps of real data planted in one draw, with what they amount to in it.

    Returns
    -------
    dict
        ``season_trend``: ``rate_s_per_km_per_week`` (mean initial rate ``g``), ``rate_sd``,
        ``saturation_weeks``, ``curve_s_per_km`` (the population season curve ``g h(t)`` for
        ``t = 0 .. T-1``, what calendar-week period effects absorb), ``improvement_s_per_km``
        (``g h(T-1)``); ``weekly_ar1``: SD and lag-1 autocorrelation of the weekly residual of
        each outcome; ``confounding``: the two design parameters, and in this draw the mean
        fitness [population SDs] and baseline easy pace [s/km] of programme athletes minus
        controls (None when a group is empty); ``within_corr_dose_week``: pooled within-athlete
        correlation of ``soleus_sets`` with the study week (staggered starts and progression make
        the dose rise with calendar time; None without dose variation).
    """
    e, d, a = traj.effects, traj.design, traj.athletes
    t = np.arange(traj.n_weeks)
    curve = e.season_pace_s_per_km_per_week * e.season_weeks(t)
    soleus = a["soleus"]

    def gap(values: np.ndarray) -> float | None:
        if soleus.all() or not soleus.any():
            return None
        return float(values[soleus].mean() - values[~soleus].mean())

    week = np.broadcast_to(t.astype(float), traj.weeks["soleus_sets"].shape)
    return {
        "season_trend": {
            "rate_s_per_km_per_week": e.season_pace_s_per_km_per_week,
            "rate_sd_s_per_km_per_week": e.season_pace_sd_s_per_km_per_week,
            "saturation_weeks": e.season_saturation_weeks,
            "curve_s_per_km": [float(x) for x in curve],
            "improvement_s_per_km": float(curve[-1]),
        },
        "weekly_ar1": {
            "easy_pace_s_per_km": {"sd": e.pace_week_sd_s_per_km, "ar1": e.pace_ar1},
            "fatigue": {"sd": e.fatigue_week_sd, "ar1": e.fatigue_ar1},
            "soreness": {"sd": e.soreness_week_sd, "ar1": e.soreness_ar1},
            "decoupling_pct": {"sd": e.stream_week_sd_pct, "ar1": e.stream_ar1},
            "pace_fade_pct": {"sd": e.stream_week_sd_pct, "ar1": e.stream_ar1},
        },
        "confounding": {
            "uptake_log_odds_per_sd_fitness": d.uptake_log_odds_per_sd_fitness,
            "adherence_log_odds_per_sd_fitness": d.adherence_log_odds_per_sd_fitness,
            "fitness_gap_sd": gap(a["fitness_sd"]),
            "baseline_pace_gap_s_per_km": gap(a["baseline_pace_s_per_km"]),
        },
        "within_corr_dose_week": _within_corr(traj.weeks["soleus_sets"], week),
    }


def draw_study(n_athletes, n_weeks, effects, design, rng, start):
    """Check the arguments, seed the two random streams and draw one cohort.

    The shared front end of :func:`simulate_panel` and :func:`.cohort.simulate_cohort`.

    Returns
    -------
    tuple
        The draw (:class:`.trajectories.Trajectories`), its :class:`SimulationParams` and the
        independent generator for the cosmetic details of the event tables.
    """
    _check_size(n_athletes, n_weeks)
    start = _start(start)
    effects = Effects() if effects is None else effects
    design = Design() if design is None else design
    if not isinstance(effects, Effects):
        raise TypeError(f"effects must be a soleus_analysis.Effects, got {type(effects).__name__}")
    if not isinstance(design, Design):
        raise TypeError(f"design must be a soleus_analysis.Design, got {type(design).__name__}")
    # Two independent streams: the model draw (everything a panel column depends on) and the
    # cosmetic details of the event tables, so that the panel and the cohort of one seed agree.
    model_rng, detail_rng = np.random.default_rng(rng).spawn(2)
    traj = draw(n_athletes, n_weeks, effects=effects, design=design, rng=model_rng)
    params = SimulationParams(
        n_athletes=n_athletes,
        n_weeks=n_weeks,
        start=start,
        effects=effects,
        design=design,
        athletes=athletes_table(traj),
    )
    return traj, params, detail_rng


def simulate_panel(
    n_athletes: int = 40,
    n_weeks: int = 26,
    *,
    effects: Effects | None = None,
    design: Design | None = None,
    rng=None,
    start="2025-01-06",
) -> SimulatedPanel:
    """Simulate the athlete-week panel of a soleus-training study with a known answer.

    The generating model (equations in :mod:`soleus_analysis.simulation.generate`) simulates every
    run, strength session and wellness day; this function sums them into weeks as the panel build
    would, without building the event tables (a few milliseconds for 40 athletes x 26 weeks).
    :func:`simulate_cohort` with the same ``rng`` returns the event tables of the same cohort,
    and its ``truth`` equals this panel.

    Parameters
    ----------
    n_athletes : int
        Athletes in the study.
    n_weeks : int
        Study length [weeks].
    effects : Effects, optional
        Planted effects and noise (default ``Effects()``).
    design : Design, optional
        Study design and population (default ``Design()``).
    rng : None, int, SeedSequence or Generator
        Seed for ``numpy.random.default_rng``; the same seed gives the same panel.
    start : str or Timestamp
        Monday of study week 0.

    Returns
    -------
    SimulatedPanel
        ``panel`` has one row per athlete and week, ordered by athlete then week:

        - ``athlete_id`` (str), ``week_start`` (Monday, naive ``datetime64[us]``), ``week``
          (0 ..), ``group`` (``soleus`` or ``control``), ``programme_week`` (weeks since the
          programme started, -1 before and for controls);
        - exposures: ``soleus_sets`` [soleus-weighted hard sets], ``calf_sets`` [hard sets],
          ``strength_sessions``, ``run_distance_km`` [km] (the acute running-load term),
          ``chronic_distance_km`` [km/week] (the chronic term: EWMA of the previous weeks),
          ``run_time_min`` [min], ``n_runs``, ``srpe_load_au`` [AU], ``acute_load_au`` and
          ``chronic_load_au`` [AU/day] (EWMA of the daily session-RPE load of logged sessions,
          lambda = 2/(N+1), N = 7 and 28 days, from 0 on day 0, value on Sunday);
        - outcomes as the panel build computes them (NaN when nothing was recorded):
          ``easy_pace_s_per_km`` (mean over the week's easy and long runs of moving time /
          distance), ``efficiency_factor_m_per_beat`` (mean over runs with heart rate),
          ``decoupling_pct`` and ``pace_fade_pct`` (mean over long runs), ``run_rpe`` (mean RPE
          logged in the run app), ``fatigue``, ``soreness`` (PMSys 1-5, higher = better),
          ``readiness`` (0-10) means over logged days, ``wellness_days``;
        - latent truth (not observable in real data): ``true_adaptation_sets`` (adaptation state
          ``S`` [sets/week]), ``true_easy_pace_s_per_km`` (systematic weekly level ``mu``),
          ``true_pace_residual_s_per_km`` (AR(1) form ``u``), ``true_soleus_pace_effect_s_per_km``
          (``b_i S / 10``), ``true_fatigue``, ``true_soreness`` (weekly latent levels).

        ``truth`` holds the planted quantities (:func:`planted_truth`), ``params`` the parameters.

    Examples
    --------
    >>> sim = simulate_panel(4, 8, rng=1)
    >>> sim.panel.shape[0], sim.truth["effect_per_10_soleus_sets_s_per_km"]
    (32, -4.0)
    >>> bool(sim.panel.equals(simulate_panel(4, 8, rng=1).panel))
    True
    """
    traj, params, _ = draw_study(n_athletes, n_weeks, effects, design, rng, start)
    return SimulatedPanel(
        panel=weekly_panel(traj, params.start), truth=planted_truth(traj), params=params
    )
