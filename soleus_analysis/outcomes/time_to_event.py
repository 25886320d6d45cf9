"""Time to injury: Cox proportional hazards with covariates that change over time.

:func:`fit_time_to_injury` fits the Cox model of :mod:`soleus_analysis.outcomes.coxph` to a
counting-process table: one row per athlete and interval ``(start, stop]`` (a week of the injury
panel, cut at injury days) with that interval's soleus dose, acute and chronic load. The hazard
ratio compares athletes at risk *at the same time*: a hazard ratio of 0.8 per +10 soleus sets a
week says that in any week an athlete doing 10 more sets had 20% lower injury hazard, other terms
held fixed.

- **Recurrent injuries** (an athlete injured again after returning) are the Andersen-Gill model:
  every interval after an injury is at risk again. Injuries of one athlete are not independent,
  so with ``group`` the standard errors are the Lin-Wei robust sandwich by athlete (R
  ``coxph(..., cluster = id)``), and intervals and p-values use a t distribution with G - 1
  degrees of freedom (G athletes) as a small-sample guard (``small_sample=False``: normal, as
  R). The standard errors equal R's "robust se" either way.
- **Proportional hazards** is checked by the score test of R ``cox.zph`` (transform "km").
- **Distributed lag** (``lags``): the hazard may depend on the dose of earlier weeks too. Each
  lagged column enters as ``W_j = sum_l B_j(l) x_{t-l}`` with a smooth lag basis ``B``
  (:func:`soleus_analysis.lag_basis`); the table reports ``beta_l = B theta`` per lag and the
  cumulative effect ``sum_l beta_l`` (the log hazard ratio after sustaining +step for L+1
  weeks). Bache-Mathiesen et al. 2022 (BMJ Open Sport Exerc Med 8:e001342) found that only such
  a distributed-lag term inside the time-to-event model recovered simulated cumulative load
  effects.
- **Acute and chronic load as separate terms**, not their ratio (Wang et al. 2020; see
  :mod:`soleus_analysis.outcomes.acwr_diagnostics`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from soleus_analysis.models.lags import lag_basis
from soleus_analysis.models.result import wald_columns
from soleus_analysis.outcomes.base import (
    OutcomeResult,
    design_matrix,
    require_columns,
    step_label,
    steps_for,
)
from soleus_analysis.outcomes.coxph import cox_fit, ph_test, robust_variance

__all__ = ["CoxResult", "fit_time_to_injury", "lagged_by_period"]


@dataclass(frozen=True)
class CoxResult(OutcomeResult):
    """A fitted Cox model of time to injury.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per term: ``term``; ``estimate`` (log hazard ratio per ``per``); ``std_error``
        (robust by athlete when ``group`` was given, else model-based); ``ci_low``, ``ci_high``
        (log scale); ``p_value``; ``per``; ``df`` (t reference; ``inf`` = normal);
        ``hazard_ratio``, ``hr_low``, ``hr_high`` (the exponentiated estimate and interval);
        ``model_std_error`` (the model-based SE, for comparison). With ``lags``, the lagged
        column's rows are ``<column>_lag0`` ... ``<column>_lagL`` and ``<column>_cumulative``.
    ph_test : pandas.DataFrame
        ``term``, ``chisq``, ``df``, ``p_value`` of the proportional-hazards score test (the
        basis columns of a lagged term, then ``GLOBAL``).
    n_events : int
    loglik : tuple of float
        Log partial likelihood at beta = 0 and at the estimate.
    converged : bool
    basis : dict of str to pandas.DataFrame, or None
        The lag basis of each lagged column (``lags``).
    """

    ph_test: pd.DataFrame
    n_events: int
    loglik: tuple[float, float]
    converged: bool
    basis: dict[str, pd.DataFrame] | None = None


def lagged_by_period(
    data: pd.DataFrame, column: str, max_lag: int, *, group: str, period: str
) -> pd.DataFrame:
    """The values of ``column`` 0..``max_lag`` periods earlier, for each row of the same athlete.

    Rows of one athlete and period share their value (the first row of the period is used);
    a missing period gives a missing lag.

    Returns
    -------
    pandas.DataFrame
        Same index as ``data``; columns ``lag0`` ... ``lag<max_lag>``.

    Examples
    --------
    >>> d = pd.DataFrame({"id": ["a"] * 3, "week": [0, 1, 2], "x": [1.0, 2.0, 3.0]})
    >>> lagged_by_period(d, "x", 1, group="id", period="week").values.tolist()
    [[1.0, nan], [2.0, 1.0], [3.0, 2.0]]
    """
    key = _period_number(data[period])
    table = (pd.DataFrame({"g": data[group].to_numpy(), "p": key, "v": data[column].to_numpy()})
             .drop_duplicates(["g", "p"]).set_index(["g", "p"])["v"])
    out = {}
    for lag in range(max_lag + 1):
        idx = pd.MultiIndex.from_arrays([data[group].to_numpy(), key - lag])
        out[f"lag{lag}"] = table.reindex(idx).to_numpy(dtype=float)
    return pd.DataFrame(out, index=data.index)


def _period_number(values: pd.Series) -> np.ndarray:
    """Integer period numbers from integers or from weekly dates (weeks since 1970-01-05)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        days = (values.dt.tz_localize(None) if getattr(values.dt, "tz", None) else values)
        return ((days - pd.Timestamp("1970-01-05")).dt.days // 7).to_numpy(dtype="int64")
    numeric = pd.to_numeric(values)
    if not np.allclose(numeric, np.round(numeric)):
        raise ValueError("the period column must hold whole numbers (e.g. week 0, 1, 2) or dates")
    return numeric.to_numpy(dtype="int64")


def fit_time_to_injury(
    data: pd.DataFrame,
    stop: str,
    event: str,
    *,
    start: str | None = None,
    covariates: Sequence[str] = (),
    strata: str | Sequence[str] | None = None,
    group: str | None = None,
    lags: Mapping[str, int] | None = None,
    period: str = "week",
    lag_basis_kind: str = "poly",
    lag_df: int = 3,
    steps: Mapping[str, float] | None = None,
    ties: str = "efron",
    level: float = 0.95,
    small_sample: bool = True,
    robust: str = "sandwich",
    ph_transform: str = "km",
) -> CoxResult:
    """Cox model of the injury hazard on counting-process rows, robust by athlete.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per athlete and interval (``sol.injury_panel`` makes it), or one row per
        athlete.
    stop, event : str
        Interval end (e.g. days since the athlete's study start) and event flag (1 = an injury
        on ``stop``).
    start : str, optional
        Interval start; None = every row is at risk from time 0 (one row per athlete).
    covariates : sequence of str
        Columns that may change from row to row (``soleus_sets``, ``acute_load_au``, ...).
        Text columns are dummy coded (``col[T.level]``).
    strata : str or sequence of str, optional
        Columns whose levels get their own baseline hazard (e.g. sex, team).
    group : str, optional
        Athlete column: robust (Lin-Wei) standard errors by athlete, needed when athletes can
        have several injuries (recurrent events) or several rows per injury-free spell.
    lags : mapping of str to int, optional
        ``{column: L}``: the column enters as a distributed lag over periods 0..L (the column
        must also be listed in ``covariates``; it is replaced by the lag terms). Needs ``group``
        and ``period``.
    period : str, default "week"
        Column numbering the periods (integers, or weekly dates) for ``lags``.
    lag_basis_kind : {"poly", "ns", "unconstrained"}, default "poly"
    lag_df : int, default 3
        Lag basis, as :func:`soleus_analysis.lag_basis`.
    steps : mapping of str to float, optional
        Report per this change of a covariate, e.g. ``{"soleus_sets": 10}``; default 1.
    ties : {"efron", "breslow"}, default "efron"
    level : float, default 0.95
    small_sample : bool, default True
        With ``group``: intervals and p-values from a t distribution on G - 1 df.
    robust : {"sandwich", "jackknife"}, default "sandwich"
        With ``group``: the Lin-Wei sandwich (R's robust se), or the grouped jackknife
        (leave one athlete out and refit, ``(G-1)/G sum (b_-g - mean)^2``; G refits, slower).
        Measured on the planted-hazard cohort (40 athletes, ~45 injuries, correlated acute and
        chronic load): the sandwich's 95% intervals covered 91-94% of the load hazard ratios
        (96% of the soleus one); the jackknife's covered 97-100% (conservative).
    ph_transform : {"km", "identity", "rank", "log"}, default "km"
        Time scale of the proportional-hazards test.

    Returns
    -------
    CoxResult
        ``table`` (log hazard ratios and hazard ratios), ``ph_test``, ``n_events``, ``notes``,
        ``raw`` (the :class:`~soleus_analysis.outcomes.coxph.CoxFit`).

    Examples
    --------
    >>> d = pd.DataFrame({"days": [5, 8, 12, 20, 30, 30, 40, 41, 45, 50],
    ...                   "injured": [1, 1, 0, 1, 0, 1, 1, 0, 1, 0],
    ...                   "sets": [0, 12, 8, 4, 12, 3, 6, 10, 2, 15]})
    >>> r = fit_time_to_injury(d, "days", "injured", covariates=["sets"], steps={"sets": 10})
    >>> round(float(r.effect("sets")["hazard_ratio"]), 3)  # R: exp(10 * coef(coxph(...)))
    0.185
    """
    covariates = list(covariates)
    strata_cols = [strata] if isinstance(strata, str) else list(strata or [])
    lags = dict(lags or {})
    require_columns(data, [stop, event, start, group, *covariates, *strata_cols],
                    "fit_time_to_injury")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    for col, max_lag in lags.items():
        if col not in covariates:
            raise ValueError(f"lags names {col!r}, which is not in covariates {covariates}")
        if int(max_lag) != max_lag or max_lag < 1:
            raise ValueError(f"the maximum lag of {col!r} must be a whole number >= 1")
    if lags:
        if group is None:
            raise ValueError("lags need group= (the athlete column) to look up earlier periods")
        require_columns(data, [period], "fit_time_to_injury (period for lags)")
    if robust not in ("sandwich", "jackknife"):
        raise ValueError(f"robust must be 'sandwich' or 'jackknife', got {robust!r}")
    step = steps_for(covariates, steps)
    notes: list[str] = []
    frame = data.copy()
    lag_names: dict[str, list[str]] = {}
    bases: dict[str, pd.DataFrame] = {}
    if lags:
        for col, max_lag in lags.items():
            basis = lag_basis(int(max_lag), basis=lag_basis_kind, df=min(lag_df, int(max_lag) + 1))
            bases[col] = basis
            lagged = lagged_by_period(frame, col, int(max_lag), group=group, period=period)
            names = []
            for b in basis.columns:
                name = f"{col}_{b}"
                frame[name] = lagged.to_numpy() @ basis[b].to_numpy()
                names.append(name)
            lag_names[col] = names
    model_cols = []
    for col in covariates:
        model_cols += lag_names.get(col, [col])
    needed = [stop, event, *model_cols, *strata_cols]
    needed += [start] if start else []
    needed += [group] if group else []
    complete = frame[needed].notna().all(axis=1)
    if (~complete).any():
        why = " (lags reach before an athlete's first period)" if lags else ""
        notes.append(f"{int((~complete).sum())} of {len(frame)} rows dropped for missing "
                     f"values{why}.")
    frame = frame.loc[complete]
    if frame.empty:
        raise ValueError("fit_time_to_injury: no complete rows to fit")
    X, names, origin = design_matrix(frame, model_cols)
    strata_codes = None
    if strata_cols:
        strata_codes = pd.factorize(pd.MultiIndex.from_frame(frame[strata_cols].astype(str)))[0]
    ev = frame[event].astype(bool).to_numpy()
    fit = cox_fit(frame[stop], ev, X, start=None if start is None else frame[start],
                  strata=strata_codes, ties=ties)
    if not fit.converged:
        notes.append("The Newton-Raphson iterations did not converge: treat the estimates as "
                     "unreliable (too few events for the number of terms?).")
    cov = fit.var
    df = None
    n_groups = int(frame[group].nunique()) if group else 0
    if group:
        if robust == "jackknife":
            cov = _jackknife(frame, group, stop, ev, X, start, strata_codes, ties, fit.coef)
        else:
            cov = robust_variance(fit, frame[group])
        if small_sample:
            df = max(n_groups - 1, 1)
    coef_rows = _coef_rows(names, origin, fit.coef, cov, fit.var, step, lag_names, bases)
    table = _table(coef_rows, level, df)
    ph = ph_test(fit, names, transform=ph_transform)
    per_athlete = frame.loc[ev].groupby(group).size() if group else pd.Series(dtype=int)
    notes.insert(0, (
        "Cox proportional hazards: estimate = log hazard ratio of injury per the change in "
        "'per', comparing athletes at risk at the same time with the other terms fixed; "
        f"hazard_ratio = exp(estimate). Ties: {ties}."))
    if start is not None:
        notes.append("Counting-process rows: at risk on (start, stop], strictly after start.")
    if group:
        recurrent = int((per_athlete > 1).sum())
        kind = ("Lin-Wei robust sandwich" if robust == "sandwich" else
                "grouped jackknife (leave one athlete out)")
        notes.append(
            f"Standard errors: {kind} by {group} ({n_groups} athletes"
            + ("; as R coxph with cluster), " if robust == "sandwich" else "), ")
            + (f"intervals from t with {df} df." if df else "normal intervals."))
        if recurrent:
            notes.append(f"{recurrent} athlete(s) had more than one event: recurrent events "
                         "(Andersen-Gill), each interval after an injury at risk again.")
        if n_groups < 20:
            notes.append(f"Only {n_groups} athletes: robust standard errors are unstable with "
                         "fewer than about 20 clusters; read the intervals as rough.")
        elif n_groups < 50:
            notes.append(
                f"{n_groups} athletes: with fewer than about 50, robust standard errors run "
                "5-10% small (measured with 40 athletes and ~50 injuries: false-positive rate "
                "6-8% at a nominal 5%, intervals covering 91-93%); read p-values near 0.05 "
                "as weaker than they look.")
    else:
        notes.append("Model-based standard errors (no group=): wrong if athletes contribute "
                     "several injuries; pass group= for robust errors by athlete.")
    epv = fit.n_events / max(len(names), 1)
    if epv < 10:
        notes.append(f"{fit.n_events} events for {len(names)} terms ({epv:.1f} per term): "
                     "fewer than about 10 events per term gives biased, unstable hazard ratios.")
    bad_ph = ph.loc[(ph["term"] != "GLOBAL") & (ph["p_value"] < 0.05), "term"].tolist()
    if bad_ph:
        notes.append(f"Proportional-hazards test (cox.zph, {ph_transform}) p < 0.05 for "
                     f"{', '.join(bad_ph)}: the hazard ratio may change over time.")
    if lags:
        notes.append(
            "Distributed lag: " + ", ".join(f"{c} over periods 0-{lags[c]}" for c in lags)
            + f" with a {lag_basis_kind} basis (up to {lag_df} df); "
            "the cumulative row is the log hazard ratio after sustaining the step for all lags.")
    return CoxResult(
        table=table, notes=tuple(notes), raw=fit, n_athletes=n_groups, n_obs=len(frame),
        ph_test=ph, n_events=fit.n_events, loglik=fit.loglik, converged=fit.converged,
        basis=bases or None,
    )


def _jackknife(frame, group, stop, ev, X, start, strata_codes, ties, coef) -> np.ndarray:
    """Grouped jackknife variance: refit without each athlete in turn."""
    ids = frame[group].to_numpy()
    levels = pd.unique(ids)
    loo = np.empty((len(levels), len(coef)))
    for i, g in enumerate(levels):
        keep = ids != g
        loo[i] = cox_fit(frame[stop].to_numpy()[keep], ev[keep], X[keep],
                         start=None if start is None else frame[start].to_numpy()[keep],
                         strata=None if strata_codes is None else strata_codes[keep],
                         ties=ties).coef
    centred = loo - loo.mean(axis=0)
    n = len(levels)
    return (n - 1) / n * centred.T @ centred


def _coef_rows(names, origin, coef, cov, model_cov, step, lag_names, bases):
    """(term, estimate, se, model se, per) rows, with lag basis coefficients turned into lags."""
    rows = []
    index = {n: i for i, n in enumerate(names)}
    done = set()
    basis_of = {n: col for col, ns in lag_names.items() for n in ns}
    for name in names:
        col = basis_of.get(name, origin[name])
        if col in lag_names:
            if col in done:
                continue
            done.add(col)
            idx = [index[n] for n in lag_names[col]]
            b = bases[col].to_numpy()
            s = step[col]
            theta = coef[idx]
            v = cov[np.ix_(idx, idx)]
            vm = model_cov[np.ix_(idx, idx)]
            for lag in range(b.shape[0]):
                est = s * b[lag] @ theta
                rows.append((f"{col}_lag{lag}", est, s * np.sqrt(b[lag] @ v @ b[lag]),
                             s * np.sqrt(b[lag] @ vm @ b[lag]), step_label(col, s)))
            total = b.sum(axis=0)
            rows.append((f"{col}_cumulative", s * total @ theta,
                         s * np.sqrt(total @ v @ total), s * np.sqrt(total @ vm @ total),
                         step_label(col, s) + " in every lag"))
            continue
        i = index[name]
        s = step.get(col, 1.0)
        rows.append((name, s * coef[i], s * np.sqrt(cov[i, i]), s * np.sqrt(model_cov[i, i]),
                     step_label(col, s) if name == col else f"{name} vs reference level"))
    return rows


def _table(rows, level, df) -> pd.DataFrame:
    terms, est, se, model_se, per = (list(x) for x in zip(*rows, strict=True)) if rows else (
        [], [], [], [], [])
    cols = wald_columns(np.asarray(est, float), np.asarray(se, float), level,
                        df=np.inf if df is None else float(df))
    table = pd.DataFrame({"term": terms, **{k: cols[k] for k in (
        "estimate", "std_error", "ci_low", "ci_high", "p_value")}, "per": per, "df": cols["df"]})
    table["hazard_ratio"] = np.exp(table["estimate"])
    table["hr_low"] = np.exp(table["ci_low"])
    table["hr_high"] = np.exp(table["ci_high"])
    table["model_std_error"] = np.asarray(model_se, float)
    return table
