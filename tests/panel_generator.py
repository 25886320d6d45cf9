"""A small, documented generator of athlete-week panels with planted effects, for model tests.

This is deliberately *not* the project's simulator (``sol.simulate_panel``): it is the simplest
data-generating process under which the model code has a known right answer, so the model tests
and the recovery study do not depend on another module. The process, for athlete ``i`` and week
``t``::

    mu_i      ~ N(exposure_mean, exposure_between_sd), truncated at 0    (athlete's usual dose)
    x_it      = max(0, mu_i + d_it),  d_it AR(1) over weeks with SD exposure_within_sd, rho 0.5
    z_it      = covariate_mean + covariate_on_exposure * (x_it - mu_i) + N(0, covariate_sd)
    slope_i   = within_effect + N(0, slope_sd)                  (per +step units of x, per athlete)
    y_it      = intercept + u_i + between_effect * (mu_i - exposure_mean) / step
                + slope_i / step * sum_l lag_weights[l] * (x_i,t-l - mu_i)
                + covariate_effect * (z_it - covariate_mean) + e_it
    u_i       ~ N(0, intercept_sd);   e_it AR(1) over weeks with SD residual_sd, coefficient ar1

``lag_weights`` sum to 1, so ``within_effect`` is the steady-state (cumulative) within-athlete
effect of +step units a week sustained; with ``lag_weights=(1,)`` it is an immediate effect.
``between_effect`` is the difference in outcome between athletes whose usual dose differs by
``step`` (so the contextual effect, between minus within, is ``between_effect - within_effect``).
Weeks before the first week use the athlete's mean dose ``mu_i`` as history. Because athletes'
observed means differ from ``mu_i`` only by sampling noise, the contextual effect is recovered only
approximately (the within effect exactly in expectation).
The default ``between_effect=0`` means a contextual effect of ``-within_effect``.

Missingness: ``missing_outcome`` is the share of outcome values set to NaN at random (the week
still has its exposure); ``missing_weeks`` is the share of whole athlete-weeks removed (no row),
to test that lags are looked up by date, not by position.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class GeneratedPanel:
    panel: pd.DataFrame
    truth: dict


def make_panel(
    n_athletes: int = 40,
    n_weeks: int = 26,
    *,
    within_effect: float = -3.0,
    between_effect: float = 0.0,
    slope_sd: float = 1.0,
    intercept_sd: float = 25.0,
    residual_sd: float = 6.0,
    ar1: float = 0.0,
    lag_weights: tuple[float, ...] = (1.0,),
    step: float = 10.0,
    intercept: float = 330.0,
    exposure_mean: float = 12.0,
    exposure_between_sd: float = 5.0,
    exposure_within_sd: float = 5.0,
    covariate_effect: float = 0.0,
    covariate_on_exposure: float = 0.0,
    covariate_mean: float = 30.0,
    covariate_sd: float = 6.0,
    missing_outcome: float = 0.0,
    missing_weeks: float = 0.0,
    start: str = "2024-01-01",
    rng=None,
) -> GeneratedPanel:
    """Generate a panel with columns ``athlete_id``, ``week_start`` (Mondays), ``week``,
    ``soleus_sets`` (x), ``run_distance_km`` (z) and ``easy_pace_s_per_km`` (y)."""
    rng = np.random.default_rng(rng)
    w = np.asarray(lag_weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or not np.isclose(w.sum(), 1.0):
        raise ValueError("lag_weights must be a non-empty sequence summing to 1")
    n_lag = w.size - 1

    mu = np.clip(rng.normal(exposure_mean, exposure_between_sd, n_athletes), 0.5, None)
    total = n_weeks + n_lag
    rho = 0.5
    d = np.empty((n_athletes, total))
    d[:, 0] = rng.normal(0, exposure_within_sd, n_athletes)
    for t in range(1, total):
        d[:, t] = rho * d[:, t - 1] + np.sqrt(1 - rho**2) * rng.normal(
            0, exposure_within_sd, n_athletes
        )
    x_full = np.maximum(0.0, mu[:, None] + d)
    x_full[:, :n_lag] = mu[:, None]  # history before the first week: the usual dose
    x = x_full[:, n_lag:]
    # distributed-lag exposure, deviations from the athlete's usual dose
    dev = x_full - mu[:, None]
    lagged = np.zeros((n_athletes, n_weeks))
    for lag, weight in enumerate(w):
        lagged += weight * dev[:, n_lag - lag : n_lag - lag + n_weeks]

    slopes = within_effect + rng.normal(0, slope_sd, n_athletes)
    u = rng.normal(0, intercept_sd, n_athletes)
    z = (
        covariate_mean
        + covariate_on_exposure * (x - mu[:, None])
        + rng.normal(0, covariate_sd, (n_athletes, n_weeks))
    )
    e = np.empty((n_athletes, n_weeks))
    e[:, 0] = rng.normal(0, residual_sd, n_athletes)
    for t in range(1, n_weeks):
        e[:, t] = ar1 * e[:, t - 1] + np.sqrt(1 - ar1**2) * rng.normal(0, residual_sd, n_athletes)
    y = (
        intercept
        + u[:, None]
        + between_effect * (mu[:, None] - exposure_mean) / step
        + slopes[:, None] / step * lagged
        + covariate_effect * (z - covariate_mean)
        + e
    )

    ids = np.array([f"A{i + 1:03d}" for i in range(n_athletes)])
    weeks = pd.date_range(start, periods=n_weeks, freq="7D")
    if weeks[0].day_of_week != 0:
        raise ValueError("start must be a Monday")
    panel = pd.DataFrame(
        {
            "athlete_id": np.repeat(ids, n_weeks),
            "week_start": np.tile(weeks.values, n_athletes).astype("datetime64[us]"),
            "week": np.tile(np.arange(n_weeks), n_athletes),
            "soleus_sets": x.ravel(),
            "run_distance_km": z.ravel(),
            "easy_pace_s_per_km": y.ravel(),
        }
    )
    if missing_outcome > 0:
        panel.loc[rng.random(len(panel)) < missing_outcome, "easy_pace_s_per_km"] = np.nan
    if missing_weeks > 0:
        panel = panel.loc[rng.random(len(panel)) >= missing_weeks].reset_index(drop=True)
    truth = {
        "within_effect": within_effect,
        "between_effect": between_effect,
        "contextual": between_effect - within_effect,
        "step": step,
        "lag_weights": w,
        "slope_sd": slope_sd,
        "intercept_sd": intercept_sd,
        "residual_sd": residual_sd,
        "ar1": ar1,
        "covariate_effect": covariate_effect,
        "slopes": pd.Series(slopes, index=ids, name="within_effect"),
        "athlete_mean_dose": pd.Series(mu, index=ids),
    }
    return GeneratedPanel(panel, truth)


def simulate_for_power(
    n_athletes: int, n_weeks: int, *, effects: dict, rng=None, **kwargs
) -> GeneratedPanel:
    """``sol.power``'s ``simulate=`` interface on top of :func:`make_panel`.

    ``effects`` maps ``pace_s_per_km_per_10_soleus_sets`` to the planted within effect; its
    other keys and any keyword argument go to :func:`make_panel` (``slope_sd``, ``ar1``, ...).
    """
    kw = dict(effects)
    effect = kw.pop("pace_s_per_km_per_10_soleus_sets")
    return make_panel(n_athletes, n_weeks, within_effect=effect, rng=rng, **kw, **kwargs)


def make_staggered_panel(
    n_athletes: int = 30,
    n_weeks: int = 20,
    *,
    within_effect: float = -3.0,
    lag_weights: tuple[float, ...] = (1.0,),
    slope_sd: float = 1.0,
    season_trend: float = -0.4,
    trend_sd: float = 0.1,
    ar1: float = 0.5,
    residual_sd: float = 5.0,
    never_share: float = 1 / 3,
    confounding: float = 3.0,
    fitness_effect: float = -12.0,
    dose_rise: float = 0.5,
    missing_weeks: float = 0.0,
    step: float = 10.0,
    start: str = "2025-01-06",
    rng=None,
) -> GeneratedPanel:
    """A panel with the traps of real training studies (independent of ``sol.simulate_*``).

    For athlete ``i`` (fitness ``f_i ~ N(0, 1)``) and week ``t``::

        habit_i   = max(0, 6 + confounding * f_i + N(0, 1))      fitter runners do more calf work
        start_i   = never for a share ``never_share`` of athletes (every third, deterministic
                    order), else uniform on weeks 1 .. n_weeks - 3  (staggered programme starts)
        x_it      = max(0, 0.3 habit_i + N(0, 1))                      before the start
                  = max(0, habit_i + dose_rise (t - start_i) + N(0, 2))  from the start (dose rises)
        y_it      = 330 + fitness_effect * f_i + trend_i * t
                    + slope_i / step * sum_l lag_weights[l] * x_i,t-l + e_it
        trend_i   = season_trend + N(0, trend_sd)      runners get faster over the season
        slope_i   = within_effect + N(0, slope_sd)
        e_it      AR(1) over weeks, coefficient ar1, marginal SD residual_sd

    Weeks before week 0 have the pre-start dose. ``lag_weights`` sum to 1, so ``within_effect``
    is the cumulative effect of +step units sustained (with ``(1,)``, the same-week effect).
    Because dose rises with calendar time inside starters, a model without period effects reads
    the season trend as a dose effect; because fitter athletes do more, the between effect is
    confounded (``fitness_effect`` / ``confounding`` s/km per unit of usual dose).
    """
    rng = np.random.default_rng(rng)
    w = np.asarray(lag_weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or not np.isclose(w.sum(), 1.0):
        raise ValueError("lag_weights must be a non-empty sequence summing to 1")
    n_lag = w.size - 1
    fitness = rng.normal(0, 1, n_athletes)
    habit = np.maximum(0.0, 6 + confounding * fitness + rng.normal(0, 1, n_athletes))
    never = (np.arange(n_athletes) % round(1 / never_share) == 0) if never_share > 0 else \
        np.zeros(n_athletes, dtype=bool)
    starts = np.where(never, 10**6, rng.integers(1, max(2, n_weeks - 3), n_athletes))
    total = n_weeks + n_lag
    t_full = np.arange(total) - n_lag  # weeks -n_lag .. n_weeks - 1
    after = t_full[None, :] >= starts[:, None]
    pre = np.maximum(0.0, 0.3 * habit[:, None] + rng.normal(0, 1, (n_athletes, total)))
    post = np.maximum(0.0, habit[:, None] + dose_rise * (t_full[None, :] - starts[:, None])
                      + rng.normal(0, 2, (n_athletes, total)))
    x_full = np.where(after, post, pre)
    lagged = np.zeros((n_athletes, n_weeks))
    for lag, weight in enumerate(w):
        lagged += weight * x_full[:, n_lag - lag: n_lag - lag + n_weeks]
    x = x_full[:, n_lag:]
    slopes = within_effect + rng.normal(0, slope_sd, n_athletes)
    trend = season_trend + rng.normal(0, trend_sd, n_athletes)
    e = np.empty((n_athletes, n_weeks))
    e[:, 0] = rng.normal(0, residual_sd, n_athletes)
    for t in range(1, n_weeks):
        e[:, t] = ar1 * e[:, t - 1] + np.sqrt(1 - ar1**2) * rng.normal(0, residual_sd,
                                                                        n_athletes)
    weeks_idx = np.arange(n_weeks)
    y = (330 + fitness_effect * fitness[:, None] + trend[:, None] * weeks_idx[None, :]
         + slopes[:, None] / step * lagged + e)
    ids = np.array([f"R{i + 1:03d}" for i in range(n_athletes)])
    dates = pd.date_range(start, periods=n_weeks, freq="7D")
    panel = pd.DataFrame({
        "athlete_id": np.repeat(ids, n_weeks),
        "week_start": np.tile(dates.values, n_athletes).astype("datetime64[us]"),
        "week": np.tile(weeks_idx, n_athletes),
        "soleus_sets": x.ravel(),
        "easy_pace_s_per_km": y.ravel(),
    })
    if missing_weeks > 0:
        panel = panel.loc[rng.random(len(panel)) >= missing_weeks].reset_index(drop=True)
    truth = {"within_effect": within_effect, "step": step, "lag_weights": w,
             "starts": pd.Series(np.where(never, -1, starts), index=ids),
             "fitness": pd.Series(fitness, index=ids), "season_trend": season_trend,
             "ar1": ar1}
    return GeneratedPanel(panel, truth)
