"""A planted injury hazard on a simulated cohort, with its true hazard ratios.

:func:`simulate_injuries` takes a cohort of :func:`soleus_analysis.simulate_cohort` and draws
injury onsets day by day from a hazard that depends on the athlete's training:

``h_i(day) = weekly_rate / 7 x Z_i x exp(b_s (S - mean S) / 10 + b_a (A - mean A) / 100
+ b_c (C - mean C) / 100)``

- ``S``: soleus sets of the previous Monday-Sunday week (the cohort's generated dose, ``truth``);
- ``A``, ``C``: acute (7-day) and chronic (28-day) EWMA of the daily session-RPE load on the
  Sunday before the week, as the athlete's logs measure it (:func:`soleus_analysis.daily_load`
  and :func:`soleus_analysis.training_loads`; the hazard is planted on the measured load, so
  the recovery checks the injury panel and the Cox fit, not how well logs measure load); where
  they are missing (the first four weeks) the hazard uses their means;
- ``Z_i``: a gamma frailty of mean 1 and SD ``frailty_sd`` per athlete (some athletes are
  injury-prone), so an athlete's injuries are correlated;
- ``b = log`` of the planted hazard ratios (per +10 sets, per +100 AU/day).

Covariates are constant within a week, as the injury panel defines them, so the planted hazard
ratios are exactly what :func:`soleus_analysis.fit_time_to_injury` on
:func:`soleus_analysis.injury_panel` estimates; the injury panel computes its covariates on its
own (the recovery test checks they agree). Athletes stay at risk after an injury (no time lost),
and follow-up does not depend on injuries, so with the frailty the Andersen-Gill hazard ratios
stay those planted (the rate model of Lin, Wei, Yang & Ying 2000) and robust errors by athlete
are needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from soleus_analysis.loads import daily_load, training_loads

__all__ = [
    "InjuryEffects",
    "InjuryHazard",
    "InjuryTruth",
    "draw_injuries",
    "injury_hazard",
    "planted_hazard",
    "simulate_injuries",
]


@dataclass(frozen=True)
class InjuryEffects:
    """Planted injury hazard.

    Attributes
    ----------
    hr_soleus : float, default 0.8
        Hazard ratio per +10 soleus sets in the previous week.
    hr_acute : float, default 1.3
        Hazard ratio per +100 AU/day of acute (7-day EWMA) load.
    hr_chronic : float, default 0.8
        Hazard ratio per +100 AU/day of chronic (28-day EWMA) load.
    weekly_rate : float, default 0.05
        Injuries per athlete-week at the cohort's mean covariates (and Z = 1).
    frailty_sd : float, default 0.5
        SD of the athlete frailty (gamma, mean 1); 0 for none.
    """

    hr_soleus: float = 0.8
    hr_acute: float = 1.3
    hr_chronic: float = 0.8
    weekly_rate: float = 0.05
    frailty_sd: float = 0.5

    def __post_init__(self):
        for name in ("hr_soleus", "hr_acute", "hr_chronic", "weekly_rate"):
            if not getattr(self, name) > 0:
                raise ValueError(f"InjuryEffects.{name} must be positive, got "
                                 f"{getattr(self, name)!r}")
        if self.frailty_sd < 0:
            raise ValueError(f"InjuryEffects.frailty_sd must be >= 0, got {self.frailty_sd!r}")


@dataclass(frozen=True)
class InjuryTruth:
    """Planted injuries and their truth.

    Attributes
    ----------
    injuries : pandas.DataFrame
        ``athlete_id``, ``date`` (local onset date), ``body_part`` (``"leg"``), ``area``
        (``"left_leg"`` / ``"right_leg"``): the injuries table that
        :func:`soleus_analysis.injury_panel` takes.
    truth : pandas.DataFrame
        ``term`` (the injury-panel column), ``hazard_ratio``, ``log_hr``, ``step`` and ``per``:
        the planted hazard ratios per step.
    weeks : pandas.DataFrame
        ``athlete_id``, ``week_start`` and the covariates as the simulator computed them
        (``soleus_sets_prev_week``, ``acute_load_au``, ``chronic_load_au``),
        ``linear_predictor``, ``frailty`` and ``daily_hazard`` [injuries/day].
    effects : InjuryEffects
    """

    injuries: pd.DataFrame
    truth: pd.DataFrame
    weeks: pd.DataFrame = field(repr=False)
    effects: InjuryEffects


@dataclass(frozen=True)
class InjuryHazard:
    """The planted hazard of a cohort before any draw (covariates and linear predictor).

    Attributes
    ----------
    weeks : pandas.DataFrame
        ``athlete_id``, ``week_start``, ``soleus_sets_prev_week``, ``acute_load_au``,
        ``chronic_load_au``, ``linear_predictor`` (log hazard ratio against the cohort's mean
        covariates).
    days : pandas.DataFrame
        ``athlete_id``, ``date``, ``week_start``: the follow-up days (the daily-load record).
    truth : pandas.DataFrame
        As :attr:`InjuryTruth.truth`.
    effects : InjuryEffects
    """

    weeks: pd.DataFrame = field(repr=False)
    days: pd.DataFrame = field(repr=False)
    truth: pd.DataFrame
    effects: InjuryEffects


def injury_hazard(cohort, *, effects: InjuryEffects | None = None) -> InjuryHazard:
    """The planted hazard of a cohort (no randomness): covariates per week and their effect.

    Draw injuries from it with :func:`draw_injuries` (many draws on one cohort are cheap).
    """
    eff = effects or InjuryEffects()
    tables = cohort.tables()
    daily = training_loads(daily_load(tables["sessions"], tables["runs"], tables["strength_sets"],
                                      tables["wellness"], athletes=tables["athletes"]))
    daily["date"] = pd.to_datetime(daily["date"]).to_numpy().astype("datetime64[D]")
    daily["week_start"] = pd.to_datetime(daily["week_start"]).to_numpy().astype("datetime64[D]")
    # covariates of a week: the Sunday before it, and the previous week's soleus sets
    sunday = daily[["athlete_id", "date", "acute_ewma_au", "chronic_ewma_au"]].copy()
    sunday["week_start"] = sunday["date"] + np.timedelta64(1, "D")
    weeks = daily[["athlete_id", "week_start"]].drop_duplicates().merge(
        sunday.drop(columns="date"), on=["athlete_id", "week_start"], how="left")
    sol_week = cohort.truth[["athlete_id", "week_start", "soleus_sets"]].copy()
    sol_week["week_start"] = pd.to_datetime(sol_week["week_start"]).to_numpy().astype(
        "datetime64[D]") + np.timedelta64(7, "D")
    weeks = weeks.merge(sol_week, on=["athlete_id", "week_start"], how="left")
    weeks = weeks.rename(columns={"soleus_sets": "soleus_sets_prev_week",
                                  "acute_ewma_au": "acute_load_au",
                                  "chronic_ewma_au": "chronic_load_au"})
    days = daily[["athlete_id", "date", "week_start"]].copy()
    return planted_hazard(weeks, days, effects=eff)


def planted_hazard(weeks: pd.DataFrame, days: pd.DataFrame, *,
                   effects: InjuryEffects | None = None) -> InjuryHazard:
    """The planted hazard on given weekly covariates (the second half of :func:`injury_hazard`).

    Parameters
    ----------
    weeks : pandas.DataFrame
        ``athlete_id``, ``week_start``, ``soleus_sets_prev_week``, ``acute_load_au``,
        ``chronic_load_au`` (e.g. the covariates an athlete's own logs give, as
        :func:`soleus_analysis.injury_panel` computes them); a missing value counts as the
        column's mean.
    days : pandas.DataFrame
        ``athlete_id``, ``date``, ``week_start``: the follow-up days, on which onsets are drawn.
    effects : InjuryEffects, optional

    Returns
    -------
    InjuryHazard
    """
    eff = effects or InjuryEffects()
    weeks = weeks.copy()
    beta = {"soleus_sets_prev_week": (np.log(eff.hr_soleus), 10.0),
            "acute_load_au": (np.log(eff.hr_acute), 100.0),
            "chronic_load_au": (np.log(eff.hr_chronic), 100.0)}
    lp = np.zeros(len(weeks))
    for col, (b, step) in beta.items():
        x = weeks[col].to_numpy(float)
        centred = np.where(np.isnan(x), 0.0, x - np.nanmean(x))
        lp += b * centred / step
    weeks["linear_predictor"] = lp
    truth = pd.DataFrame({
        "term": list(beta),
        "hazard_ratio": [eff.hr_soleus, eff.hr_acute, eff.hr_chronic],
        "log_hr": [b for b, _ in beta.values()],
        "step": [s for _, s in beta.values()],
        "per": ["+10 soleus sets in the previous week", "+100 AU/day acute EWMA load",
                "+100 AU/day chronic EWMA load"],
    })
    return InjuryHazard(weeks=weeks, days=days, truth=truth, effects=eff)


def draw_injuries(hazard: InjuryHazard, *, rng=None) -> InjuryTruth:
    """One draw of athlete frailties and daily injury onsets from a planted hazard."""
    eff = hazard.effects
    gen = np.random.default_rng(rng)
    weeks = hazard.weeks.copy()
    athletes = np.sort(weeks["athlete_id"].unique())
    if eff.frailty_sd > 0:
        shape = 1.0 / eff.frailty_sd**2
        frail = dict(zip(athletes, gen.gamma(shape, 1.0 / shape, len(athletes)), strict=True))
    else:
        frail = dict.fromkeys(athletes, 1.0)
    weeks["frailty"] = weeks["athlete_id"].map(frail).astype(float)
    weeks["daily_hazard"] = eff.weekly_rate / 7.0 * weeks["frailty"] * np.exp(
        weeks["linear_predictor"])
    days = hazard.days.merge(weeks[["athlete_id", "week_start", "daily_hazard"]],
                             on=["athlete_id", "week_start"], how="left")
    hit = gen.random(len(days)) < 1.0 - np.exp(-days["daily_hazard"].to_numpy())
    onsets = days.loc[hit, ["athlete_id", "date"]].reset_index(drop=True)
    side = gen.random(len(onsets)) < 0.5
    injuries = pd.DataFrame({
        "athlete_id": onsets["athlete_id"].to_numpy(),
        "date": pd.to_datetime(onsets["date"].to_numpy()).as_unit("us"),
        "body_part": "leg",
        "area": np.where(side, "left_leg", "right_leg"),
    })
    weeks["week_start"] = pd.to_datetime(weeks["week_start"]).dt.as_unit("us")
    return InjuryTruth(injuries=injuries, truth=hazard.truth, weeks=weeks, effects=eff)


def simulate_injuries(cohort, *, effects: InjuryEffects | None = None, rng=None) -> InjuryTruth:
    """Draw injury onsets on a simulated cohort from a planted hazard (see the module docstring).

    Parameters
    ----------
    cohort : Cohort
        From :func:`soleus_analysis.simulate_cohort` (its tables and the weekly ``truth``).
    effects : InjuryEffects, optional
    rng : None, int or Generator
        Seed of the frailties and injury draws (the cohort is not changed).

    Returns
    -------
    InjuryTruth

    Examples
    --------
    >>> import soleus_analysis as sol
    >>> cohort = sol.simulate_cohort(6, 10, rng=2)
    >>> planted = simulate_injuries(cohort, rng=3)
    >>> planted.truth[["term", "hazard_ratio"]].values.tolist()
    [['soleus_sets_prev_week', 0.8], ['acute_load_au', 1.3], ['chronic_load_au', 0.8]]
    """
    return draw_injuries(injury_hazard(cohort, effects=effects), rng=rng)
