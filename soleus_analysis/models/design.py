"""The design every within-athlete model shares: terms, calendar time, collinearity, reporting.

:func:`prepare` turns a long table into the numeric design of the within-between family of
models (``fit_within_between``, ``fit_fixed_effects``, ``fit_gee``, ``fit_distributed_lag``):

1. **Terms.** Lags and within/between parts come from
   :func:`soleus_analysis.panel.analysis_terms` (centred over the analysis window, after
   lagging). Categorical covariates become treatment-coded dummies.
2. **Calendar time** (``period``). A season trend and programme starts at different weeks make
   an athlete's dose rise with calendar time, so without period effects the within effect
   absorbs the trend. ``"week"``: one fixed effect per calendar week (Monday-start weeks for
   dates; one per time step for numbers); ``"smooth"``: a natural cubic spline of calendar time
   with ``period_df`` degrees of freedom; ``"auto"`` (default): calendar weeks when the data
   identify them (some athletes' exposure does not change in the same weeks as others': controls,
   not-yet-started runners, different doses), else none, with a note that says what the estimate
   then means (a spline is not tried: where weeks are not identified it would be identified only
   by its shape); ``None``: no period effects.
3. **Collinearity.** Columns are screened in the order exposure (within and lags), between terms,
   period terms, covariates; a column that is (numerically) a linear combination of those
   before it is dropped with a note naming it, except the exposure's own terms, which raise a
   ``ValueError`` saying why they cannot be estimated.

:class:`Effects` then turns a fit's coefficients, covariance and a degrees-of-freedom function
into the reported table (per ``step`` of the exposure, with the contextual effect) and sums of
terms (:meth:`Effects.combine`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from soleus_analysis.models.result import wald_columns
from soleus_analysis.panel import analysis_terms

__all__ = [
    "PERIODS",
    "Design",
    "Effects",
    "caught_messages",
    "demean_within",
    "natural_spline",
    "prepare",
    "serial_note",
]

#: Values of the ``period`` argument.
PERIODS = ("auto", "week", "smooth", None)

_COLLINEAR = 1e-9  # share of a column's variance left after projection below which it is collinear
# share of the exposure's within variation left by the period terms below which it is "weakly"
# identified
_WEAK = 0.05


def caught_messages(caught: list) -> tuple[str, ...]:
    """Caught warnings as unique ``"Category: message"`` strings, in the order first seen."""
    return tuple(dict.fromkeys(f"{w.category.__name__}: {w.message}" for w in caught))


def natural_spline(x: np.ndarray, df: int, *, intercept: bool = True) -> np.ndarray:
    """Natural cubic spline basis (Hastie et al., ESL eq. 5.4-5.5), knots evenly spaced.

    ``df`` columns with ``intercept`` (1, x and ``df - 2`` truncated-power terms), ``df - 1``
    without. Linear beyond the boundary knots.
    """
    x = np.asarray(x, dtype=float)
    if df <= 2:
        mat = np.polynomial.polynomial.polyvander(x, df - 1)
    else:
        knots = np.linspace(x.min(), x.max(), df)

        def d(k: int) -> np.ndarray:
            return (np.clip(x - knots[k], 0, None) ** 3 - np.clip(x - knots[-1], 0, None) ** 3
                    ) / (knots[-1] - knots[k])

        mat = np.column_stack([np.ones_like(x), x] + [d(k) - d(df - 2) for k in range(df - 2)])
    return mat if intercept else mat[:, 1:]


def _time_step(values: pd.Series, time_step: Any) -> Any:
    is_date = pd.api.types.is_datetime64_any_dtype(values)
    if time_step is not None:
        return pd.Timedelta(time_step) if is_date else time_step
    if is_date:
        return pd.Timedelta(weeks=1)
    if pd.api.types.is_numeric_dtype(values):
        return 1
    raise TypeError(
        f"time column {values.name!r} must hold dates or numbers, not {values.dtype}. "
        f"Fix: pass the Monday of the week (week_start) or a week number, e.g. "
        f"data[{values.name!r}] = pd.to_datetime(data[{values.name!r}])."
    )


def serial_note(resid: np.ndarray, athlete: np.ndarray, time_index: np.ndarray,
                robust: bool) -> str | None:
    """Lag-1 autocorrelation of residuals within athletes and the effective sample size.

    ``n (1 - r) / (1 + r)`` is the number of independent rows that carry the information of
    ``n`` rows of an AR(1) series with coefficient ``r`` about a mean.
    """
    frame = pd.DataFrame({"a": athlete, "t": time_index, "e": resid}).sort_values(["a", "t"])
    e = frame["e"].to_numpy()
    same = (frame["a"].to_numpy()[1:] == frame["a"].to_numpy()[:-1]) & (
        np.diff(frame["t"].to_numpy()) == 1)
    if same.sum() < 10:
        return None
    centred = e - frame.groupby("a")["e"].transform("mean").to_numpy()
    num = float(np.sum(centred[1:][same] * centred[:-1][same]))
    den = float(np.sum(centred**2)) * same.sum() / max(len(e) - 1, 1)
    if den <= 0:
        return None
    r = num / den
    n = len(e)
    if r <= 0.05:
        return (f"Residuals show little serial correlation within athletes (lag-1 "
                f"autocorrelation {r:.2f} between consecutive periods).")
    n_eff = n * (1 - r) / (1 + r)
    how = ("the cluster-robust (CR2) intervals allow for it" if robust else
           "these model-based intervals do NOT allow for it: use inference='cr2'")
    return (f"Residuals are serially correlated within athletes (lag-1 autocorrelation {r:.2f} "
            f"between consecutive periods): the {n} rows carry about as much information as "
            f"{n_eff:.0f} independent ones would (n(1-r)/(1+r)); {how}.")


@dataclass
class Design:
    """The numeric design of a within-athlete model (see :func:`prepare`).

    Attributes
    ----------
    frame : pandas.DataFrame
        ``y``, ``athlete`` and one column per kept term (safe internal names), window rows only.
    terms : list of str
        Kept regressors (no intercept), in screening order.
    labels, per, scale : dict
        Internal name -> reported term, ``per`` text and multiplier to the reported step.
    period_terms : list of str
        Kept period columns (not reported).
    period : str or None
        Period adjustment used (``"week"``, ``"smooth"`` or None).
    time_index : numpy.ndarray
        Integer time (in steps) of each row, for AR(1) structures and serial-correlation notes.
    notes : list of str
    exposure_terms : list of str
        Internal names of the exposure's within terms (``x_w`` and lags).
    """

    frame: pd.DataFrame
    terms: list[str]
    labels: dict[str, str]
    per: dict[str, str]
    scale: dict[str, float]
    period_terms: list[str]
    period: str | None
    time_index: np.ndarray
    notes: list[str]
    exposure_terms: list[str] = field(default_factory=list)

    @property
    def reported(self) -> list[str]:
        return [t for t in self.terms if t in self.labels]

    def matrix(self, intercept: bool) -> np.ndarray:
        cols = [self.frame[t].to_numpy(dtype=float) for t in self.terms]
        if intercept:
            cols.insert(0, np.ones(len(self.frame)))
        return np.column_stack(cols) if cols else np.zeros((len(self.frame), 0))


def demean_within(a: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Subtract each group's mean (groups given by integer ``codes``) from ``a`` (1-D or 2-D)."""
    a = np.asarray(a, dtype=float)
    codes = np.asarray(codes)
    counts = np.bincount(codes)
    if a.ndim == 1:
        return a - (np.bincount(codes, weights=a, minlength=counts.size) / counts)[codes]
    if a.flags.f_contiguous and a.shape[1] > 1:
        # column by column: a column-major table (e.g. period dummies from a DataFrame) minus a
        # row-major table of means would be read across memory order
        out = np.empty_like(a, order="F")
        for j in range(a.shape[1]):
            out[:, j] = demean_within(a[:, j], codes)
        return out
    means = np.column_stack(
        [np.bincount(codes, weights=a[:, j], minlength=counts.size) for j in range(a.shape[1])]
    ) if a.shape[1] else np.zeros((counts.size, 0))
    return a - (means / counts[:, None])[codes]


def _left_after(target: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Share of each target column's sum of squares left after projection on ``basis``.

    From the cross-products of the unit-norm columns (p^3, not n p^2 as a least-squares solve),
    with a pseudo-inverse that drops directions of ``basis`` below 1e-10 of its largest.
    """
    total = (target**2).sum(axis=0)
    if basis.shape[1] == 0:
        return np.where(total > 0, 1.0, 0.0)
    norms = np.sqrt((basis**2).sum(axis=0))
    unit = basis / np.where(norms > 0, norms, 1.0)
    tnorm = np.sqrt(np.where(total > 0, total, 1.0))
    t_unit = target / tnorm
    vals, vecs = np.linalg.eigh(unit.T @ unit)
    keep = vals > 1e-10 * max(float(vals.max(initial=0.0)), 1e-300)
    proj = vecs[:, keep].T @ (unit.T @ t_unit)
    explained = (proj**2 / vals[keep, None]).sum(axis=0)
    return np.where(total > 0, np.clip(1.0 - explained, 0.0, 1.0), 0.0)


def _screen(mat: np.ndarray) -> np.ndarray:
    """For each column in order: share of its variance not explained by the kept earlier ones.

    Columns are standardised; the sequential projection uses the Gram matrix (cost p^3, not
    n p^2). Returns the shares (0 for a column judged collinear and therefore not kept).
    """
    n, p = mat.shape
    if p == 0:
        return np.zeros(0)
    norms = np.sqrt((mat**2).sum(axis=0))
    scaled = mat / np.where(norms > 0, norms, 1.0)
    gram = scaled.T @ scaled
    kept: list[int] = []
    left = np.zeros(p)
    for k in range(p):
        if norms[k] <= 1e-12 * np.sqrt(n):
            continue
        if kept:
            sub = gram[np.ix_(kept, kept)]
            v = gram[kept, k]
            try:
                sol = np.linalg.solve(sub, v)
            except np.linalg.LinAlgError:
                sol = np.linalg.lstsq(sub, v, rcond=None)[0]
            share = float(gram[k, k] - v @ sol)
        else:
            share = float(gram[k, k])
        if share > _COLLINEAR:
            kept.append(k)
            left[k] = share
    return left


def _period_columns(times: pd.Series, kind: str, step: Any, period_df: int | None
                    ) -> tuple[pd.DataFrame, str]:
    """Period regressors (week dummies or spline of calendar time) and a description."""
    if pd.api.types.is_datetime64_any_dtype(times):
        t = pd.to_datetime(times)
        week = (t - pd.to_timedelta(t.dt.day_of_week, unit="D")).dt.normalize()
        label = week
        position = np.asarray((week - week.min()) / pd.Timedelta(weeks=1), dtype=float)
        unit = "calendar week"
    else:
        position = np.round(np.asarray((times - times.min()) / step, dtype=float))
        label = pd.Series(position, index=times.index)
        unit = f"{times.name} value"
    if kind == "week":
        levels = np.sort(pd.unique(label))
        codes = pd.Categorical(label, categories=levels).codes
        # one column-major block of dummies (the first period is the reference)
        dummies = np.zeros((len(codes), max(len(levels) - 1, 0)), order="F")
        rows = np.flatnonzero(codes >= 1)
        dummies[rows, codes[rows] - 1] = 1.0
        names = [f"p{j}" for j in range(1, len(levels))]
        frame = pd.DataFrame(dummies, index=times.index, columns=names) if names else \
            pd.DataFrame(index=times.index)
        return frame, f"{len(levels)} {unit}s"
    n_periods = int(np.unique(position).size)
    df = period_df if period_df is not None else int(np.clip(round(n_periods / 6), 2, 6))
    df = int(min(df, max(n_periods - 1, 1)))
    span = position.max() - position.min()
    u = (position - position.min()) / span if span > 0 else position * 0
    mat = natural_spline(u, df + 1, intercept=False) if df >= 1 else np.zeros((len(u), 0))
    cols = {f"s{j}": mat[:, j] for j in range(mat.shape[1])}
    return pd.DataFrame(cols, index=times.index), f"a natural spline of calendar time ({df} df)"


_ESTIMAND = {
    "week": ("Calendar-week effects ({what}) are in the model, so the within effect compares an "
             "athlete's periods with more and with less exposure than usual, relative to what the "
             "other athletes did in the same calendar weeks: a season trend, or a week in which "
             "everyone ran worse, is not counted as an effect."),
    "smooth": ("A smooth season term ({what}) is in the model, so the within effect compares an "
               "athlete's periods with more and with less exposure than usual after removing a "
               "common smooth trend over the season (not week-to-week shocks shared by all)."),
}


def prepare(
    data: pd.DataFrame,
    *,
    outcome: str,
    exposure: str,
    group: str,
    time: str,
    covariates: Sequence[str],
    lags: Sequence[int],
    step: float,
    decompose_covariates: bool,
    time_step: Any,
    include_between: bool = True,
    period: str | None = "auto",
    period_df: int | None = None,
    absorb: bool = False,
) -> Design:
    """Build and screen the design of a within-athlete model (see the module docstring).

    ``absorb=True`` (fixed effects): collinearity is judged after removing athlete means, and no
    between terms are built.

    Raises
    ------
    ValueError
        On missing columns, a bad ``period``, no rows with every needed value, an exposure
        without within-athlete variation, or period effects asked for explicitly that the data
        cannot separate from the exposure.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    covariates = list(covariates)
    needed = [outcome, exposure, group, time, *covariates]
    missing = [c for c in needed if c not in data.columns]
    if missing:
        raise ValueError(
            f"model: column(s) {missing} not in the data; columns are {list(data.columns)}. "
            "Fix: pass the names of existing columns."
        )
    for name in (outcome, exposure):
        if not pd.api.types.is_numeric_dtype(data[name]) or pd.api.types.is_bool_dtype(
                data[name]):
            if not pd.api.types.is_bool_dtype(data[name]):
                raise TypeError(f"{name!r} must be numeric, not {data[name].dtype}")
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive number of exposure units, got {step!r}")
    tstep = _time_step(data[time], time_step)
    lags = sorted({int(lag) for lag in lags if int(lag) != 0})
    if any(lag < 0 for lag in lags):
        raise ValueError(f"lags must be >= 0, got {lags}")
    numeric_cov = [c for c in covariates if pd.api.types.is_numeric_dtype(data[c])
                   and not pd.api.types.is_bool_dtype(data[c])]
    categorical = [c for c in covariates if c not in numeric_cov]
    to_centre = [exposure] + (numeric_cov if decompose_covariates else [])
    source = data.assign(**{c: data[c].astype(float) for c in (outcome, exposure)
                            if pd.api.types.is_bool_dtype(data[c])})
    if data[time].isna().any():
        source = source.loc[source[time].notna()]
    terms = analysis_terms(source, to_centre, lags=lags, required=[outcome, *covariates],
                           group=group, time=time, step=tstep)
    win = terms.loc[terms["in_window"]]
    notes: list[str] = []
    if win.empty:
        raise ValueError(
            f"no row has {outcome!r}, {exposure!r}"
            + (f", its lags {lags}" if lags else "")
            + (f" and the covariates {covariates}" if covariates else "")
            + " all present. Fix: check those columns for missing values"
            + (" or use shorter lags." if lags else ".")
        )
    n_out = len(data) - len(win)
    if n_out:
        notes.append(
            f"{n_out} of {len(data)} rows are outside the analysis window (missing outcome, "
            "exposure, covariate, lagged exposure or time)."
        )
    athlete = win[group].to_numpy()
    codes = pd.factorize(athlete)[0]
    n_athletes = int(codes.max()) + 1
    cols: dict[str, np.ndarray] = {"y": win[outcome].to_numpy(dtype=float), "athlete": athlete}
    labels: dict[str, str] = {}
    per: dict[str, str] = {}
    scale: dict[str, float] = {}
    step_text = f"+{step:g} {exposure}"
    groups_of_terms: dict[str, list[str]] = {"E": [], "B": [], "C": []}
    cov_of: dict[str, str] = {}

    def add(kind: str, name: str, values: Any, label: str, per_text: str, mult: float) -> None:
        cols[name] = np.asarray(values, dtype=float)
        labels[name] = label
        per[name] = per_text
        scale[name] = mult
        groups_of_terms[kind].append(name)

    add("E", "x_w", win[f"{exposure}_within"], "within", step_text, step)
    for lag in lags:
        add("E", f"x_l{lag}_w", win[f"{exposure}_lag{lag}_within"], f"lag{lag}_within",
            step_text, step)
    if include_between and not absorb:
        add("B", "x_b", win[f"{exposure}_between"], "between", step_text, step)
    for k, c in enumerate(numeric_cov):
        if decompose_covariates or absorb:
            add("C", f"c{k}_w", win[f"{c}_within"] if decompose_covariates else
                win[c] - win.groupby(group)[c].transform("mean"), f"{c}_within", f"+1 {c}", 1.0)
            cov_of[f"c{k}_w"] = c
            if include_between and not absorb and decompose_covariates:
                add("B", f"c{k}_b", win[f"{c}_between"], f"{c}_between", f"+1 {c}", 1.0)
                cov_of[f"c{k}_b"] = c
        else:
            add("C", f"c{k}", win[c], c, f"+1 {c}", 1.0)
            cov_of[f"c{k}"] = c
    for k, c in enumerate(categorical):
        values = win[c].astype(str)
        levels = sorted(values.unique())
        for j, level in enumerate(levels[1:], start=1):
            add("C", f"g{k}_{j}", (values == level).to_numpy(dtype=float), f"{c}[{level}]",
                "vs reference level", 1.0)
            cov_of[f"g{k}_{j}"] = c
    time_index = np.round(np.asarray((win[time] - source[time].min()) / tstep,
                                     dtype=float)).astype(int)

    # ---- calendar time -----------------------------------------------------------------
    e_names = groups_of_terms["E"]
    e_mat = demean_within(np.column_stack([cols[n] for n in e_names]), codes)
    if np.any((e_mat**2).sum(axis=0) <= 1e-20 * max(1.0, float(np.abs(e_mat).max(initial=0)))):
        flat = [labels[n] for n, s in zip(e_names, (e_mat**2).sum(axis=0), strict=True)
                if s <= 1e-20]
        raise ValueError(
            f"the exposure {exposure!r} does not change within any athlete over the analysis "
            f"window (terms {flat} are constant), so no within-athlete effect can be estimated. "
            "Fix: check the exposure column (is it the athlete's mean?) and the window."
        )
    chosen: str | None = None
    period_frame = pd.DataFrame(index=win.index)
    what = ""
    # "auto" never falls back to the spline: when calendar weeks are not identified (doses move
    # in lockstep), a spline would be "identified" only by its functional form.
    candidates = ["week"] if period == "auto" else ([period] if period else [])
    tried: dict[str, float] = {}
    for kind in candidates:
        if n_athletes < 2:
            break
        pf, desc = _period_columns(win[time], kind, tstep, period_df)
        if pf.shape[1] == 0:
            tried[kind] = 0.0
            continue
        left = _left_after(e_mat, demean_within(pf.to_numpy(), codes))
        tried[kind] = float(left.min())
        if left.min() > 1e-6:
            chosen, period_frame, what = kind, pf, desc
            break
    if period in ("week", "smooth") and chosen is None:
        raise ValueError(
            f"period={period!r}: the exposure's within-athlete changes cannot be separated from "
            "calendar time (every athlete's exposure moves in the same weeks"
            + (", or there is one athlete" if n_athletes < 2 else "")
            + "). Fix: use period=None, and read the within effect as including any season "
            "trend; or add athletes whose exposure changes in other weeks (controls)."
        )
    if period == "auto" and chosen is None:
        why = ("there is one athlete" if n_athletes < 2 else
               "every athlete's exposure changes in the same periods, so calendar time and the "
               "exposure cannot be told apart" if tried else "there is one period")
        notes.append(
            "Calendar time is NOT adjusted for: " + why + ". The within effect then compares an "
            "athlete's periods with more and with less exposure than usual and includes any "
            "season trend or shared shock in those periods: read it as an association over "
            "time, not as an effect of the exposure."
        )
    elif period is None:
        notes.append(
            "No period effects (period=None): the within effect compares an athlete's periods "
            "with more and with less exposure than usual and includes any season trend; if "
            "the exposure rises over the season (programme starts), a trend is read as an "
            "effect."
        )
    if chosen is not None:
        notes.append(_ESTIMAND[chosen].format(what=what))
        left = tried[chosen]  # share of the exposure's variation calendar time leaves
        if left < _WEAK:
            notes.append(
                f"Calendar time explains {100 * (1 - left):.0f}% of the exposure's "
                "within-athlete variation: the estimate rests on the remaining part, and its "
                "interval is wide accordingly."
            )
        for c in period_frame.columns:
            cols[c] = period_frame[c].to_numpy(dtype=float)

    # ---- collinearity screening ------------------------------------------------------------
    order = e_names + groups_of_terms["B"] + list(period_frame.columns) + groups_of_terms["C"]
    mat = np.column_stack([cols[n] for n in order])
    mat = demean_within(mat, codes) if absorb else mat - mat.mean(axis=0)
    left = _screen(mat)
    kept = [n for n, s in zip(order, left, strict=True) if s > 0]
    dropped = [n for n, s in zip(order, left, strict=True) if s <= 0]
    bad_exposure = [labels[n] for n in dropped if n in e_names]
    if bad_exposure:
        raise ValueError(
            f"the exposure terms {bad_exposure} are collinear with the other exposure terms "
            "(e.g. lags of an exposure that hardly changes), so they cannot be estimated "
            "separately. Fix: use fewer lags, or fit_distributed_lag with a smooth lag basis."
        )
    between_dropped = [labels[n] for n in dropped if n in groups_of_terms["B"]]
    if between_dropped:
        notes.append(
            f"Between-athlete terms {between_dropped} cannot be estimated (the athletes' means "
            "do not differ, or are collinear with other terms) and were left out."
        )
    period_dropped = [n for n in dropped if n in period_frame.columns]
    if period_dropped:
        notes.append(f"{len(period_dropped)} period columns were collinear with other terms "
                     "and left out.")
    cov_dropped = [n for n in dropped if n in groups_of_terms["C"]]
    if cov_dropped:
        names = list(dict.fromkeys(cov_of[n] for n in cov_dropped))
        parts = [labels[n] for n in cov_dropped]
        with_what = ("the calendar-time effects or other terms" if chosen else "other terms")
        notes.append(
            f"Covariate(s) {names} dropped: their terms {parts} are collinear with {with_what} "
            "(e.g. a week number next to calendar-week effects), so they add nothing the model "
            "does not already hold."
        )
    frame = pd.DataFrame({"y": cols["y"], "athlete": cols["athlete"],
                          **{n: cols[n] for n in kept}}, index=win.index)
    return Design(
        frame=frame,
        terms=kept,
        labels={n: labels[n] for n in kept if n in labels},
        per={n: per[n] for n in kept if n in per},
        scale={n: scale[n] for n in kept if n in scale},
        period_terms=[n for n in kept if n in period_frame.columns],
        period=chosen,
        time_index=time_index,
        notes=notes,
        exposure_terms=[n for n in e_names if n in kept],
    )


@dataclass(frozen=True)
class Effects:
    """Reported effects of a fitted within-athlete model, and sums of them.

    Parameters
    ----------
    names : list of str
        Internal coefficient names (``"Intercept"`` and period terms are not reported).
    est : numpy.ndarray
        Coefficients (per 1 unit of each internal column).
    cov : numpy.ndarray
        Their covariance.
    design : Design
    df_fn : callable
        Degrees of freedom of a contrast vector over ``names`` (``inf`` for z tests).
    """

    names: list[str]
    est: np.ndarray
    cov: np.ndarray
    design: Design
    df_fn: Callable[[np.ndarray], float]

    def weights(self, terms: Mapping[str, float]) -> np.ndarray:
        """Contrast over the internal coefficients for weights on reported terms."""
        by_label = {self.design.labels[n]: n for n in self.names if n in self.design.labels}
        c = np.zeros(len(self.names))
        for term, w in terms.items():
            if term == "contextual":
                c += self.weights({"between": w, "within": -w})
                continue
            if term not in by_label:
                raise KeyError(f"no term {term!r}; terms are {list(by_label)}")
            name = by_label[term]
            c[self.names.index(name)] += w * self.design.scale[name]
        return c

    def row(self, c: np.ndarray, level: float) -> dict[str, float]:
        est = float(c @ self.est)
        se = float(np.sqrt(max(float(c @ self.cov @ c), 0.0)))
        df = float(self.df_fn(c)) if se > 0 else float("nan")
        cols = wald_columns([est], [se], level, df=[df])
        return {k: float(v[0]) for k, v in cols.items()}

    def table(self, level: float) -> pd.DataFrame:
        """One row per reported term (and ``contextual`` after ``between``)."""
        rows = []
        for n in self.names:
            if n not in self.design.labels:
                continue
            label = self.design.labels[n]
            rows.append({"term": label, **self.row(self.weights({label: 1.0}), level),
                         "per": self.design.per[n]})
            if n == "x_b" and "x_w" in self.names:
                rows.append({"term": "contextual",
                             **self.row(self.weights({"contextual": 1.0}), level),
                             "per": self.design.per[n]})
        cols = ["term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "per", "df"]
        return pd.DataFrame(rows, columns=cols)

    def reported_cov(self) -> pd.DataFrame:
        keep = [n for n in self.names if n in self.design.labels]
        labels = [self.design.labels[n] for n in keep]
        mat = np.column_stack([self.weights({lab: 1.0}) for lab in labels]) if keep else \
            np.zeros((len(self.names), 0))
        return pd.DataFrame(mat.T @ self.cov @ mat, index=labels, columns=labels)

    def combine(self, terms: Sequence[str] | Mapping[str, float], level: float) -> pd.Series:
        """Estimate, SE, interval, p-value and df of a weighted sum of reported terms."""
        weights = dict(terms) if isinstance(terms, Mapping) else {t: 1.0 for t in terms}
        return pd.Series(self.row(self.weights(weights), level))
