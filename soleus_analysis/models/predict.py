"""Predicted change in an outcome across weekly doses, with its confidence band.

A coach's question is "what happens to my easy pace if I do ``x`` soleus sets a week instead of
my usual ``u``?". Within-athlete models answer it for a change within an athlete: the predicted
change is ``b (x - u) / step``, where ``b`` is the within effect per ``step`` (or, for a dose
*sustained* over the model's lags, the sum of the within and lagged within effects: the
cumulative effect). Its standard error is ``se(b) |x - u| / step``, so the band is a fan that
closes at the usual dose. Adding a known baseline (the athlete's usual easy pace) turns the change
into a predicted level without involving the between-athlete effect, which is confounded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from soleus_analysis.models.within_between import combine_effects

__all__ = ["partial_effect"]


def _effect_per_step(fit: Any, sustained: bool, level: float) -> tuple[float, float, Any, str]:
    """Estimate and SE per step, the reference distribution and the exposure name."""
    table = getattr(fit, "table", None)
    if not isinstance(table, pd.DataFrame) or "term" not in table:
        raise TypeError(
            "partial_effect needs a fitted model (fit_within_between, fit_gee, "
            f"fit_fixed_effects or fit_distributed_lag), not {type(fit).__name__}"
        )
    terms = list(table["term"])
    if "cumulative" in terms and "within" not in terms:  # distributed-lag model
        row = table.set_index("term").loc["cumulative" if sustained else "lag0"]
        df = float(row["df"]) if "df" in row.index else np.inf
        return float(row["estimate"]), float(row["std_error"]), stats.t(df=df), str(row["per"])
    if "within" not in terms:
        raise ValueError(f"the fit has no within effect; its terms are {terms}")
    chosen = ["within"]
    if sustained:
        chosen += sorted((t for t in terms if t.startswith("lag") and t.endswith("_within")),
                         key=lambda t: int(t[3:-7]))
    combined = combine_effects(fit, chosen, level=level)
    df = float(combined.get("df", np.inf))
    per = str(table.set_index("term").loc["within", "per"])
    return float(combined["estimate"]), float(combined["std_error"]), stats.t(df=df), per


def partial_effect(
    fit: Any,
    *,
    values: Sequence[float] | None = None,
    usual: float = 0.0,
    baseline: float | None = None,
    sustained: bool = True,
    level: float = 0.95,
) -> pd.DataFrame:
    """Predicted outcome (or its change) across weekly doses, for a change within an athlete.

    Parameters
    ----------
    fit : WithinBetweenResult, ModelFit or DistributedLagResult
        A within-athlete model (:func:`~soleus_analysis.fit_within_between`,
        :func:`~soleus_analysis.fit_gee`, :func:`~soleus_analysis.fit_fixed_effects`,
        :func:`~soleus_analysis.fit_distributed_lag`).
    values : sequence of float, optional
        Weekly doses to predict at, in exposure units (e.g. soleus sets a week). Default: 0 to
        3 x the step in 31 points.
    usual : float, default 0
        The athlete's usual weekly dose (0: an athlete who starts a programme).
    baseline : float, optional
        The athlete's outcome at the usual dose (e.g. usual easy pace, s/km), taken as known.
        If given, ``predicted`` is ``baseline + change``; otherwise the change.
    sustained : bool, default True
        The dose is kept for as long as the model's lags reach (the within and lagged within
        effects are added: the cumulative effect); False: the same-week effect only.
    level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per value: ``dose`` (exposure units per week), ``difference`` (dose - usual),
        ``predicted`` (outcome units: change from the usual week, or ``baseline`` + change),
        ``std_error``, ``ci_low``, ``ci_high`` (outcome units, at ``level``; t with the
        degrees of freedom the fit gives the effect, e.g. CR2-Satterthwaite; normal for z
        fits). ``attrs`` holds ``per`` (the
        effect's step), ``effect_per_step`` and ``sustained``.

    Notes
    -----
    The prediction is linear in the dose (the models are), so it says nothing about doses
    outside the range the athletes did. It is a within-athlete prediction: it assumes that what
    changes with the dose inside an athlete is the dose (adjusted covariates aside).

    Examples
    --------
    >>> import numpy as np, pandas as pd, soleus_analysis as sol
    >>> rng = np.random.default_rng(0)
    >>> a = np.repeat(np.arange(30), 12)
    >>> sets = rng.uniform(0, 20, a.size)
    >>> pace = 330 + 20 * rng.normal(size=30)[a] - 0.3 * sets + rng.normal(0, 4, a.size)
    >>> d = pd.DataFrame({"athlete_id": a, "week": np.tile(np.arange(12), 30),
    ...                   "soleus_sets": sets, "easy_pace_s_per_km": pace})
    >>> fit = sol.fit_fixed_effects(d, outcome="easy_pace_s_per_km", exposure="soleus_sets",
    ...                             time="week")
    >>> grid = partial_effect(fit, values=[0, 10, 20], baseline=330)
    >>> grid[["dose", "predicted"]].round(1).to_numpy().tolist()
    [[0.0, 330.0], [10.0, 327.1], [20.0, 324.2]]
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    est, se, dist, per = _effect_per_step(fit, sustained, level)
    step = getattr(fit, "step", None)
    if step is None:  # sensitivity and lag fits state their step in ``per`` ("+10 soleus_sets")
        try:
            step = float(per.split()[0].lstrip("+"))
        except (ValueError, IndexError):
            step = 1.0
    step = float(step)
    x = (np.linspace(0.0, 3 * step, 31) if values is None
         else np.asarray(values, dtype=float).ravel())
    if x.size == 0 or not np.all(np.isfinite(x)):
        raise ValueError("values must be a non-empty sequence of finite doses")
    if not np.isfinite(usual):
        raise ValueError(f"usual must be a finite dose, got {usual!r}")
    diff = x - float(usual)
    change = est * diff / step
    change_se = se * np.abs(diff) / step
    q = dist.ppf(0.5 + level / 2)
    shift = 0.0 if baseline is None else float(baseline)
    out = pd.DataFrame({
        "dose": x,
        "difference": diff,
        "predicted": shift + change,
        "std_error": change_se,
        "ci_low": shift + change - q * change_se,
        "ci_high": shift + change + q * change_se,
    })
    out.attrs.update({"per": per, "effect_per_step": est, "sustained": bool(sustained)})
    return out
