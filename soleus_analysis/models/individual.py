"""Individual responses: each athlete's own within-athlete slope, compared with the SWC.

From a within-between fit with a random slope, athlete ``i``'s slope is the fixed within effect
plus the athlete's predicted random slope (BLUP): ``b_i = b_W + u_i``. Its interval uses
``Var(b_W) + Var(u_i | data)`` (the conditional variance, lme4's ``condVar``); the covariance
between the two estimates is ignored, which makes the intervals somewhat conservative, and the
uncertainty of the variance components is ignored, which makes them somewhat optimistic for small
cohorts. BLUPs are shrunk towards the average effect: athletes with few weeks or little variation
in their dose look more average than they are.

Each athlete's effect per exposure step is compared with the smallest worthwhile change (SWC,
Hopkins 2000/2004; docs/methods.md section 4.14): 0.2 x the between-athlete SD of the outcome by
default. The label says where the interval lies relative to -SWC and +SWC (no probabilities are
claimed; magnitude-based inference is not used, see Sainani 2018):

=========================  ===============================================================
``beneficial``             whole interval beyond +SWC in the beneficial direction
``beneficial_or_trivial``  interval excludes harm (beyond -SWC) but reaches below +SWC
``trivial``                whole interval between -SWC and +SWC
``harmful_or_trivial``     interval excludes benefit but reaches above -SWC
``harmful``                whole interval beyond -SWC in the harmful direction
``unclear``                interval spans both -SWC and +SWC: the data cannot tell
=========================  ===============================================================

When the outcome's **typical error** (TE, the SD of repeated measurements of the same athlete in
a reliability study; :func:`soleus_analysis.typical_error`) is known, pass it as
``typical_error``: each athlete's effect is then also compared with the smallest detectable
change ``MDC95 = 1.96 sqrt(2) TE`` (``beyond_mdc``: the effect of one exposure step exceeds the
change that two single measurements would show from noise alone, Hopkins 2000), the notes rate the
test against the SWC (TE < SWC good, up to 2 SWC OK, else marginal), and say when the model's
residual SD is smaller than the TE (then the TE does not describe this outcome's noise).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from soleus_analysis.models.result import TABLE_COLUMNS, effect_row
from soleus_analysis.models.within_between import WithinBetweenResult

__all__ = ["IndividualResponses", "classify_response", "individual_responses"]

LABELS = ("beneficial", "beneficial_or_trivial", "trivial", "harmful_or_trivial", "harmful",
          "unclear")


def classify_response(
    ci_low: np.ndarray | float,
    ci_high: np.ndarray | float,
    *,
    swc: float,
    higher_is_better: bool,
) -> np.ndarray:
    """Label intervals by their position relative to -SWC and +SWC.

    Parameters
    ----------
    ci_low, ci_high : array-like
        Interval bounds (outcome units).
    swc : float
        Smallest worthwhile change (> 0, outcome units).
    higher_is_better : bool
        Direction of benefit (False for pace in s/km or fatigue).

    Returns
    -------
    numpy.ndarray of str
        One label per interval (see the module docstring).

    Examples
    --------
    >>> classify_response([-5, -5, -1, -3, 1], [-3, 0.5, 0.5, 3, 4], swc=2,
    ...                   higher_is_better=False).tolist()
    ['beneficial', 'beneficial_or_trivial', 'trivial', 'unclear', 'harmful_or_trivial']
    """
    if not swc > 0:
        raise ValueError(f"swc must be a positive number in outcome units, got {swc!r}")
    lo = np.atleast_1d(np.asarray(ci_low, dtype=float))
    hi = np.atleast_1d(np.asarray(ci_high, dtype=float))
    if not higher_is_better:
        lo, hi = -hi, -lo  # positive = beneficial
    out = np.full(lo.shape, "unclear", dtype=object)
    out[(lo > -swc) & (hi > swc)] = "beneficial_or_trivial"
    out[(hi < swc) & (lo < -swc)] = "harmful_or_trivial"
    out[(lo >= -swc) & (hi <= swc)] = "trivial"
    out[lo > swc] = "beneficial"
    out[hi < -swc] = "harmful"
    out[(lo < -swc) & (hi > swc)] = "unclear"
    return out.astype(str)


@dataclass(frozen=True)
class IndividualResponses:
    """Per-athlete effects compared with the smallest worthwhile change.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per athlete: ``term`` (the athlete id as text); ``estimate`` (the athlete's
        within effect, outcome units per ``per``); ``std_error``; ``ci_low``, ``ci_high`` (at
        ``level``); ``p_value`` (of the athlete's effect = 0); ``per``; ``df`` (that of the
        fixed within effect, ``inf`` for z); ``athlete``; ``response`` (label, see
        :func:`classify_response`).
    summary : pandas.DataFrame
        ``response``, ``n_athletes``, ``share`` (0-1), one row per label.
    average : float
        The fixed (average) within effect, outcome units per ``per``.
    slope_sd : float
        Estimated SD of the true per-athlete effects, outcome units per ``per``.
    swc : float
        Smallest worthwhile change used, outcome units.
    per : str
    notes : tuple of str
    raw : WithinBetweenResult
        The fit the slopes come from.
    n_athletes, n_obs : int
    typical_error : float or None
        The typical error used (outcome units), when given.
    mdc95 : float or None
        ``1.96 sqrt(2) typical_error`` (outcome units), when a typical error was given.
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    average: float
    slope_sd: float
    swc: float
    per: str
    notes: tuple[str, ...]
    raw: Any = field(default=None, repr=False)
    n_obs: int = 0
    typical_error: float | None = None
    mdc95: float | None = None

    @property
    def n_athletes(self) -> int:
        """Athletes with an individual effect."""
        return int(len(self.table))

    def effect(self, term: str) -> pd.Series:
        """One athlete's row of :attr:`table` (``term`` is the athlete id as text)."""
        return effect_row(self.table, str(term))


def individual_responses(
    fit: WithinBetweenResult,
    *,
    higher_is_better: bool,
    swc: float | None = None,
    swc_factor: float = 0.2,
    level: float = 0.95,
    typical_error=None,
) -> IndividualResponses:
    """Each athlete's within-athlete effect with an interval, compared with the SWC.

    Parameters
    ----------
    fit : WithinBetweenResult
        A :func:`~soleus_analysis.models.within_between.fit_within_between` fit with a random
        slope.
    higher_is_better : bool
        Direction of benefit of the outcome (False for pace in s/km, fatigue, decoupling).
    swc : float, optional
        Smallest worthwhile change in outcome units. Default: ``swc_factor`` x the SD of the
        athletes' mean outcomes over the analysis window.
    swc_factor : float, default 0.2
    level : float, default 0.95
    typical_error : float or result of :func:`soleus_analysis.typical_error`, optional
        The outcome's typical error (outcome units), e.g. from a test-retest study. Adds the
        ``beyond_mdc`` column and the notes described in the module docstring.

    Returns
    -------
    IndividualResponses
        ``table`` (per athlete; with ``typical_error`` also ``beyond_mdc``: the absolute effect
        per step exceeds MDC95), ``summary`` (counts per label), ``average``, ``slope_sd``,
        ``swc``, ``notes``, ``typical_error``, ``mdc95``.
    """
    if not isinstance(fit, WithinBetweenResult):
        raise TypeError(
            "individual_responses needs the result of fit_within_between, not "
            f"{type(fit).__name__}"
        )
    step = fit.step
    per = f"+{step:g} {fit.exposure}"
    notes: list[str] = []
    frame = fit.data
    if swc is None:
        between_sd = float(frame.groupby("athlete")["y"].mean().std(ddof=1))
        swc = swc_factor * between_sd
        notes.append(
            f"SWC = {swc_factor:g} x between-athlete SD of {fit.outcome} "
            f"({between_sd:.3g}) = {swc:.3g}."
        )
    fixed = fit.effect("within")
    average = float(fixed["estimate"])
    var_fixed = float(fixed["std_error"]) ** 2
    effects = fit.mixed.group_effects()
    slope = effects.loc[effects["term"] == "x_w"]
    # the fixed effect's reference distribution (t with small-sample df when the fit has one)
    dof = float(fixed["df"]) if "df" in fixed.index and np.isfinite(fixed["df"]) else np.inf
    z = stats.t.ppf(0.5 + level / 2, dof)
    if slope.empty:
        notes.append(
            "The fit has no random slope, so every athlete gets the average effect; individual "
            "responses cannot be told apart from this model."
        )
        athletes = np.sort(frame["athlete"].unique())
        est = np.full(len(athletes), average)
        se = np.full(len(athletes), np.sqrt(var_fixed))
        slope_sd = 0.0
    else:
        athletes = slope["group"].to_numpy()
        est = average + step * slope["deviation"].to_numpy()
        se = np.sqrt(var_fixed + (step * slope["deviation_sd"].to_numpy()) ** 2)
        slope_sd = float(step * np.sqrt(fit.mixed.re_cov.loc["x_w", "x_w"]))
    lo, hi = est - z * se, est + z * se
    labels = classify_response(lo, hi, swc=swc, higher_is_better=higher_is_better)
    p_value = 2 * stats.t.sf(np.abs(est / se), dof)
    table = pd.DataFrame({"term": [str(a) for a in athletes], "estimate": est, "std_error": se,
                          "ci_low": lo, "ci_high": hi, "p_value": p_value, "per": per,
                          "df": dof, "athlete": athletes, "response": labels})
    table = table[[*TABLE_COLUMNS, "df", "athlete", "response"]]
    counts = table["response"].value_counts().reindex(list(LABELS), fill_value=0)
    summary = pd.DataFrame({"response": list(LABELS), "n_athletes": counts.to_numpy(),
                            "share": counts.to_numpy() / max(len(table), 1)})
    if slope_sd < swc and not slope.empty:
        notes.append(
            f"The estimated SD of true individual effects ({slope_sd:.3g}) is below the SWC "
            f"({swc:.3g}): athletes' responses hardly differ by a worthwhile amount."
        )
    te = _typical_error_value(typical_error)
    mdc = None
    if te is not None:
        mdc = 1.96 * np.sqrt(2.0) * te
        table["beyond_mdc"] = np.abs(table["estimate"].to_numpy()) > mdc
        rating = "good" if te < swc else ("OK" if te <= 2 * swc else "marginal")
        notes.append(
            f"Typical error {te:.3g} (MDC95 {mdc:.3g}) against SWC {swc:.3g}: TE/SWC = "
            f"{te / swc:.2f}, {rating} (Hopkins: < 1 good, up to 2 OK). "
            f"{int(table['beyond_mdc'].sum())} of {len(table)} athletes' effects per {per} "
            "exceed the MDC95."
        )
        residual_sd = float(getattr(fit.mixed, "residual_sd", np.nan))
        if np.isfinite(residual_sd) and residual_sd < te:
            notes.append(
                f"The model's residual SD ({residual_sd:.3g}) is below the typical error "
                f"({te:.3g}): the reliability study's noise does not describe this outcome "
                "(different protocol or aggregation?)."
            )
    return IndividualResponses(table=table, summary=summary, average=average,
                               slope_sd=slope_sd, swc=float(swc), per=per, notes=tuple(notes),
                               raw=fit, n_obs=int(fit.n_obs), typical_error=te, mdc95=mdc)


def _typical_error_value(value) -> float | None:
    """A typical error from a number or from a ``typical_error()`` result."""
    if value is None:
        return None
    table = getattr(value, "table", None)
    if isinstance(table, pd.DataFrame) and "term" in table.columns:
        hit = table.loc[table["term"] == "typical_error", "estimate"]
        if hit.empty:
            raise ValueError("typical_error: the result has no 'typical_error' row; pass the "
                             "result of sol.typical_error or a number")
        value = float(hit.iloc[0])
    try:
        te = float(value)
    except (TypeError, ValueError):
        raise TypeError(
            "typical_error must be a number (outcome units) or the result of sol.typical_error, "
            f"not {type(value).__name__}"
        ) from None
    if not te > 0:
        raise ValueError(f"typical_error must be a positive number in outcome units, got {te!r}")
    return te
