"""Within-athlete change versus between-athlete difference (person-mean centring).

An athlete who does more soleus work than *usual* in a week (within) is a different question from
athletes who do more soleus work than *other athletes* (between): the second is confounded by
everything that makes athletes differ. The within-between ("hybrid") model estimates both at
once (methods.md section 4.10; Curran & Bauer 2011; Bell & Jones 2015)::

    y_it = b0 + bW (x_it - xbar_i) + bB xbar_i + covariates + u0_i + u1_i (x_it - xbar_i) + e_it

``bW`` is the within-athlete effect (what a coach changing one athlete's programme can expect),
``bB`` the between-athlete effect and ``bB - bW`` the contextual effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from soleus_analysis.models.mixed import DEFAULT_METHODS, MixedResult, _wald_columns, fit_mixed

__all__ = [
    "WithinBetweenResult",
    "combine_effects",
    "fit_within_between",
    "lagged",
    "within_between_terms",
]


def _time_step(values: pd.Series, time_step: Any) -> Any:
    if time_step is not None:
        is_date = pd.api.types.is_datetime64_any_dtype(values)
        return pd.Timedelta(time_step) if is_date else time_step
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.Timedelta(weeks=1)
    if pd.api.types.is_numeric_dtype(values):
        return 1
    raise TypeError(
        f"time column {values.name!r} must hold dates or numbers, not {values.dtype}. "
        "Fix: pass the Monday of the week (week_start) or a week number."
    )


def _check_columns(data: pd.DataFrame, names: Sequence[str], what: str) -> None:
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise ValueError(
            f"{what}: column(s) {missing} not in the data; columns are {list(data.columns)}. "
            "Fix: pass the names of existing columns."
        )


def _grid_positions(groups: pd.Series, times: pd.Series, step: Any
                    ) -> tuple[np.ndarray, np.ndarray] | None:
    """Athlete codes and integer time positions, or None if a time is off the grid (or missing)."""
    if groups.isna().any() or times.isna().any() or len(times) == 0:
        return None
    codes = pd.factorize(groups)[0].astype(np.int64)
    raw = np.asarray((times - times.min()) / step, dtype=float)
    pos = np.round(raw)
    if not np.allclose(raw, pos, rtol=0, atol=1e-9):
        return None
    return codes, pos.astype(np.int64)


def lagged(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    lags: Sequence[int],
    group: str = "athlete_id",
    time: str = "week_start",
    time_step: Any = None,
) -> pd.DataFrame:
    """Lagged copies of columns, looked up by date on a complete weekly grid.

    The value of ``x`` lagged by ``l`` in week ``t`` is the athlete's ``x`` in week
    ``t - l * time_step`` (found by date, not by row position), so a week without a row gives a
    missing lag instead of shifting an older week into its place.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table, one row per ``group`` and ``time``.
    columns : sequence of str
        Columns to lag.
    lags : sequence of int
        Lags, in time steps (0 is the column itself).
    group, time : str
        Athlete and time columns.
    time_step : timedelta-like or number, optional
        Spacing of the grid: one week for dates, 1 for numbers by default.

    Returns
    -------
    pandas.DataFrame
        Same index as ``data``, a column ``{column}_lag{l}`` per column and lag (``lag0`` is the
        column itself), in the column's units.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": ["x"] * 3, "t": [0, 1, 3], "s": [1.0, 2.0, 4.0]})
    >>> lagged(d, columns=["s"], lags=[1], group="a", time="t")["s_lag1"].tolist()
    [nan, 1.0, nan]
    """
    _check_columns(data, [group, time, *columns], "lagged")
    step = _time_step(data[time], time_step)
    if data.duplicated([group, time]).any():
        first = data.loc[data.duplicated([group, time], keep=False), [group, time]].iloc[0]
        raise ValueError(
            f"more than one row for {group}={first[group]!r} at {time}={first[time]!r}; lags are "
            "ambiguous. Fix: aggregate to one row per athlete and week first."
        )
    cols: dict[str, np.ndarray] = {}
    positions = _grid_positions(data[group], data[time], step)
    if positions is not None:
        # Times on an exact grid: week t - l of the same athlete is found by an integer key.
        codes, pos = positions
        width = int(pos.max()) + 1
        index = pd.Index(codes * width + pos)
        values = {c: data[c].to_numpy() for c in columns}
        for lag in lags:
            lag = int(lag)
            if lag < 0:
                raise ValueError(f"lags must be >= 0, got {lag}")
            where = np.where(pos >= lag, index.get_indexer(codes * width + pos - lag), -1)
            found = where >= 0
            for c in columns:
                if lag == 0:
                    cols[f"{c}_lag0"] = values[c]
                    continue
                out = np.full(len(data), np.nan)
                out[found] = values[c][where[found]]
                cols[f"{c}_lag{lag}"] = out
        return pd.DataFrame(cols, index=data.index)
    keys = data[[group, time]].reset_index(drop=True)
    source = data[[group, time, *columns]].reset_index(drop=True)
    for lag in lags:
        lag = int(lag)
        if lag < 0:
            raise ValueError(f"lags must be >= 0, got {lag}")
        if lag == 0:
            for c in columns:
                cols[f"{c}_lag0"] = data[c].to_numpy()
            continue
        shifted = source.copy()
        shifted[time] = shifted[time] + lag * step
        merged = keys.merge(shifted, on=[group, time], how="left", validate="one_to_one")
        for c in columns:
            cols[f"{c}_lag{lag}"] = merged[c].to_numpy()
    return pd.DataFrame(cols, index=data.index)


def within_between_terms(
    data: pd.DataFrame,
    *,
    columns: Sequence[str],
    group: str = "athlete_id",
    time: str = "week_start",
    lags: Sequence[int] = (),
    required: Sequence[str] = (),
    time_step: Any = None,
) -> pd.DataFrame:
    """Add lagged, within-athlete and between-athlete parts of columns (person-mean centring).

    Lags are computed first (by date, see :func:`lagged`); the *analysis window* is then the rows
    where every ``required`` column, every listed column and every lag is present; each
    athlete's mean is taken over that window only, and the within part is the deviation from it
    ("centre after lagging", methods.md section 4.10).

    Parameters
    ----------
    data : pandas.DataFrame
        Long table, one row per ``group`` and ``time``.
    columns : sequence of str
        Numeric columns to decompose (exposures, covariates).
    group, time : str
        Athlete and time columns.
    lags : sequence of int
        Lags (>= 1) to add for every column, in time steps.
    required : sequence of str
        Further columns that must be present for a row to be in the window (the outcome).
    time_step : timedelta-like or number, optional
        Grid spacing (default one week for dates, 1 for numbers).

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with, for each column ``x`` and each lag ``l``: ``x_lag{l}`` (the lagged
        value), ``x_within``/``x_lag{l}_within`` (deviation from the athlete's mean over the
        window) and ``x_between``/``x_lag{l}_between`` (that mean), all in ``x``'s units, and a
        boolean column ``in_window``. Rows outside the window get the athlete's window mean too
        (missing if the athlete has no row in the window); models use only window rows.
        Columns of ``data`` with these names (the precomputed ``_lag``/``_within``/``_between``
        columns of a built panel, centred over all its weeks) are replaced, not duplicated.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": ["x"] * 4, "t": [0, 1, 2, 3], "s": [2.0, 4.0, 6.0, 8.0]})
    >>> out = within_between_terms(d, columns=["s"], group="a", time="t", lags=[1])
    >>> out[["s_lag1", "s_within", "s_between", "s_lag1_within"]].to_numpy().tolist()[1:]
    [[2.0, -2.0, 6.0, -2.0], [4.0, 0.0, 6.0, 0.0], [6.0, 2.0, 6.0, 2.0]]
    """
    columns = list(columns)
    lags = [int(lag) for lag in lags if int(lag) != 0]
    _check_columns(data, [group, time, *columns, *required], "within_between_terms")
    for c in columns:
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise TypeError(
                f"column {c!r} must be numeric to be centred, not {data[c].dtype}. "
                "Fix: convert it, or pass it as a categorical covariate."
            )
    parts = columns + [f"{c}_lag{lag}" for lag in lags for c in columns]
    # Columns this function derives are recomputed, never duplicated: a built panel already
    # carries ``x_lag1``, ``x_within``, ``x_between`` (centred over all its weeks, not over
    # this model's window).
    derived_names = {"in_window", *(f"{c}_lag{lag}" for lag in lags for c in columns),
                     *(f"{col}_{part}" for col in parts for part in ("within", "between"))}
    stale = [c for c in data.columns if c in derived_names and c not in columns]
    own = data.drop(columns=stale) if stale else data
    pieces = [own]
    if lags:
        pieces.append(lagged(own, columns=columns, lags=lags, group=group, time=time,
                             time_step=time_step))
    base = pd.concat(pieces, axis=1) if len(pieces) > 1 else own
    window = base[[*parts, *required]].notna().all(axis=1) & base[group].notna()
    means = base[parts].where(window).groupby(base[group]).transform("mean")
    derived: dict[str, pd.Series] = {"in_window": window}
    for col in parts:
        derived[f"{col}_between"] = means[col]
        derived[f"{col}_within"] = base[col] - means[col]
    return pd.concat([base, pd.DataFrame(derived, index=base.index)], axis=1)


@dataclass(frozen=True)
class WithinBetweenResult:
    """A fitted within-between model, in the outcome's units per exposure step.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per effect: ``term`` (``within``, ``between``, ``contextual``,
        ``lag{l}_within``, ``{covariate}_within``/``{covariate}_between`` or a category);
        ``estimate`` (outcome units per ``per``); ``std_error``; ``ci_low``, ``ci_high`` (Wald
        interval at ``level``); ``p_value`` (two-sided); ``per`` (the exposure step, e.g.
        ``"+10 soleus_sets"``, or ``"+1 run_distance_km"`` for a covariate).
    variance : pandas.DataFrame
        ``component`` (``athlete intercept SD``, ``within slope SD``, ``intercept-slope
        correlation``, ``residual SD``), ``estimate`` (outcome units; the slope SD per ``step``).
    converged : bool
    re_structure : str
        ``"full"``, ``"uncorrelated"`` or ``"intercept"`` (see ``notes`` when simplified).
    n_athletes, n_weeks, n_obs : int
        Athletes, distinct time points and athlete-weeks in the analysis window.
    outcome, exposure : str
    step : float
    notes, warnings : tuple of str
    cov : pandas.DataFrame
        Covariance matrix of the reported effects (``contextual`` excluded), for sums of terms
        (:func:`combine_effects`).
    mixed : MixedResult
        The underlying :func:`fit_mixed` result (coefficients per 1 unit, internal names).
    data : pandas.DataFrame
        The analysis rows with their within/between columns (for plots and diagnostics).
    """

    table: pd.DataFrame
    variance: pd.DataFrame
    converged: bool
    re_structure: str
    n_athletes: int
    n_weeks: int
    n_obs: int
    outcome: str
    exposure: str
    step: float
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    cov: pd.DataFrame = field(repr=False)
    mixed: MixedResult = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    df_resid: float | None = None

    @property
    def raw(self) -> Any:
        """The statsmodels result (on the internal standardised scale)."""
        return self.mixed.raw

    def effect(self, term: str = "within") -> pd.Series:
        """One row of ``table`` (``KeyError`` naming the terms if absent)."""
        hit = self.table.loc[self.table["term"] == term]
        if hit.empty:
            raise KeyError(f"no term {term!r}; terms are {list(self.table['term'])}")
        return hit.iloc[0]


@dataclass(frozen=True)
class _Design:
    """The analysis frame with safe column names and how they map to reported terms."""

    frame: pd.DataFrame
    rhs: list[str]  # formula terms
    labels: dict[str, str]  # internal name -> reported term
    per: dict[str, str]  # internal name -> "per" text
    scale: dict[str, float]  # internal name -> multiplier to the reported step
    time_index: np.ndarray  # integer time (in steps) for AR structures
    notes: list[str]


def _prepare(
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
) -> _Design:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    covariates = list(covariates)
    _check_columns(data, [outcome, exposure, group, time, *covariates], "model")
    if not pd.api.types.is_numeric_dtype(data[outcome]):
        raise TypeError(f"outcome {outcome!r} must be numeric, not {data[outcome].dtype}")
    if not (np.isfinite(step) and step > 0):
        raise ValueError(f"step must be a positive number of exposure units, got {step!r}")
    lags = sorted({int(lag) for lag in lags if int(lag) != 0})
    numeric_cov = [c for c in covariates if pd.api.types.is_numeric_dtype(data[c])]
    categorical = [c for c in covariates if c not in numeric_cov]
    to_centre = [exposure] + (numeric_cov if decompose_covariates else [])
    terms = within_between_terms(
        data,
        columns=to_centre,
        group=group,
        time=time,
        lags=lags,
        required=[outcome, *covariates],
        time_step=time_step,
    )
    win = terms.loc[terms["in_window"]]
    notes: list[str] = []
    n_out = len(data) - len(win)
    if n_out:
        notes.append(
            f"{n_out} of {len(data)} rows are outside the analysis window (missing outcome, "
            "exposure, covariate or lagged exposure)."
        )
    cols: dict[str, np.ndarray] = {
        "y": win[outcome].to_numpy(dtype=float),
        "athlete": win[group].to_numpy(),
    }
    rhs: list[str] = []
    labels: dict[str, str] = {}
    per: dict[str, str] = {}
    scale: dict[str, float] = {}
    step_text = f"+{step:g} {exposure}"

    def add(name: str, values: pd.Series, label: str, per_text: str, mult: float) -> None:
        cols[name] = values.to_numpy(dtype=float)
        rhs.append(name)
        labels[name] = label
        per[name] = per_text
        scale[name] = mult

    add("x_w", win[f"{exposure}_within"], "within", step_text, step)
    if include_between:
        add("x_b", win[f"{exposure}_between"], "between", step_text, step)
    for lag in lags:
        add(f"x_l{lag}_w", win[f"{exposure}_lag{lag}_within"], f"lag{lag}_within", step_text, step)
    for k, c in enumerate(numeric_cov):
        if decompose_covariates:
            add(f"c{k}_w", win[f"{c}_within"], f"{c}_within", f"+1 {c}", 1.0)
            if include_between:
                add(f"c{k}_b", win[f"{c}_between"], f"{c}_between", f"+1 {c}", 1.0)
        else:
            add(f"c{k}", win[c], c, f"+1 {c}", 1.0)
    for k, c in enumerate(categorical):
        cols[f"g{k}"] = win[c].astype(str).to_numpy()
        rhs.append(f"C(g{k})")
        labels[f"C(g{k})"] = c
        per[f"C(g{k})"] = "vs reference level"
        scale[f"C(g{k})"] = 1.0
    frame = pd.DataFrame(cols, index=win.index)
    tvals = win[time]
    tstep = _time_step(data[time], time_step)
    origin = data[time].min()
    time_index = np.round(np.asarray((tvals - origin) / tstep, dtype=float)).astype(int)
    return _Design(frame, rhs, labels, per, scale, time_index, notes)


def _label(name: str, design: _Design) -> tuple[str, str, float]:
    """Reported term, per-text and multiplier for a statsmodels coefficient name."""
    if name in design.labels:
        return design.labels[name], design.per[name], design.scale[name]
    for key, label in design.labels.items():
        if key.startswith("C(") and name.startswith(key):
            level = name[len(key):].strip("[]").removeprefix("T.")
            return f"{label}[{level}]", design.per[key], 1.0
    return name, "", 1.0


def effects_table(
    names: Sequence[str], est: np.ndarray, cov: np.ndarray, design: _Design, level: float,
    *, dist: Any = None,
) -> pd.DataFrame:
    """Tidy table of effects per reported step, with the contextual effect added.

    ``dist`` is the reference distribution of the test statistics (default standard normal).
    """
    names = list(names)
    est = np.asarray(est, dtype=float)
    cov = np.asarray(cov, dtype=float)
    mult = np.array([_label(n, design)[2] for n in names])
    keep = [i for i, n in enumerate(names) if n != "Intercept"]
    rows_est = list(est[keep] * mult[keep])
    rows_cov = cov[np.ix_(keep, keep)] * np.outer(mult[keep], mult[keep])
    labels = [_label(names[i], design)[0] for i in keep]
    per = [_label(names[i], design)[1] for i in keep]
    if "x_w" in names and "x_b" in names:
        iw, ib = labels.index("within"), labels.index("between")
        contrast = np.zeros(len(labels))
        contrast[ib], contrast[iw] = 1.0, -1.0
        ctx = float(contrast @ np.asarray(rows_est))
        ctx_var = float(contrast @ rows_cov @ contrast)
        pos = ib + 1
        rows_est.insert(pos, ctx)
        labels.insert(pos, "contextual")
        per.insert(pos, per[ib])
        new_cov = np.zeros((len(labels), len(labels)))
        idx = [i for i in range(len(labels)) if i != pos]
        new_cov[np.ix_(idx, idx)] = rows_cov
        new_cov[pos, pos] = ctx_var
        rows_cov = new_cov
    e = np.asarray(rows_est)
    se = np.sqrt(np.clip(np.diag(rows_cov), 0, None))
    return pd.DataFrame({"term": labels, **_wald_columns(e, se, level, dist=dist), "per": per})


def reported_cov(
    names: Sequence[str], cov: np.ndarray, design: _Design
) -> pd.DataFrame:
    """Covariance matrix of the reported effects (per reported step, intercept left out)."""
    names = list(names)
    keep = [i for i, n in enumerate(names) if n != "Intercept"]
    mult = np.array([_label(names[i], design)[2] for i in keep])
    labels = [_label(names[i], design)[0] for i in keep]
    sub = np.asarray(cov, dtype=float)[np.ix_(keep, keep)] * np.outer(mult, mult)
    return pd.DataFrame(sub, index=labels, columns=labels)


def combine_effects(fit: Any, terms: Sequence[str], *, level: float = 0.95) -> pd.Series:
    """Sum of several reported effects (e.g. within + lags = cumulative) with its CI.

    Parameters
    ----------
    fit : WithinBetweenResult or sensitivity ModelFit
        A fit whose ``cov`` holds the covariance of its reported effects.
    terms : sequence of str
        Terms of ``fit.table`` to add up.
    level : float, default 0.95

    Returns
    -------
    pandas.Series
        ``estimate`` (outcome units per the terms' step), ``std_error``, ``ci_low``,
        ``ci_high``, ``p_value`` (normal, or t with the fit's ``df_resid``).
    """
    cov = fit.cov
    missing = [t for t in terms if t not in cov.index]
    if missing:
        raise KeyError(f"terms {missing} not in the fit; terms are {list(cov.index)}")
    est = fit.table.set_index("term").loc[list(terms), "estimate"].to_numpy(dtype=float)
    sub = cov.loc[list(terms), list(terms)].to_numpy()
    e = float(est.sum())
    se = float(np.sqrt(sub.sum()))
    df = getattr(fit, "df_resid", None)
    dist = stats.norm if df is None else stats.t(df=df)
    q = dist.ppf(0.5 + level / 2)
    p = float(2 * dist.sf(abs(e / se))) if se > 0 else float("nan")
    return pd.Series({"estimate": e, "std_error": se, "ci_low": e - q * se,
                      "ci_high": e + q * se, "p_value": p})


def fit_within_between(
    data: pd.DataFrame,
    *,
    outcome: str,
    exposure: str,
    group: str = "athlete_id",
    time: str = "week_start",
    covariates: Sequence[str] = (),
    lags: Sequence[int] = (),
    random_slope: bool = True,
    step: float = 10.0,
    decompose_covariates: bool = True,
    time_step: Any = None,
    level: float = 0.95,
    reml: bool = True,
    methods: Sequence[str] = DEFAULT_METHODS,
) -> WithinBetweenResult:
    """Within- and between-athlete effects of an exposure, with random intercept and slope.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table, one row per athlete and week (e.g. the athlete-week panel).
    outcome : str
        Outcome column, e.g. ``"easy_pace_s_per_km"``.
    exposure : str
        Exposure column, e.g. ``"soleus_sets"``.
    group, time : str
        Athlete and week columns.
    covariates : sequence of str
        Adjustment columns. Numeric ones are split into within and between parts too
        (``decompose_covariates``); others enter as categories.
    lags : sequence of int
        Lagged exposures to add (weeks), each centred after lagging; e.g. ``(1, 2)``.
    random_slope : bool, default True
        A random within-athlete slope per athlete (recommended: without it the within effect's
        standard error is too small when athletes respond differently).
    step : float, default 10
        Effects are reported per ``+step`` units of the exposure (10 soleus sets a week).
    decompose_covariates : bool, default True
    time_step : timedelta-like or number, optional
        Week spacing for lags (default one week for dates, 1 for numbers).
    level : float, default 0.95
    reml : bool, default True
    methods : sequence of str
        Optimisers, see :func:`fit_mixed`.

    Returns
    -------
    WithinBetweenResult
        ``table`` with columns ``term``, ``estimate`` (outcome units per ``per``), ``std_error``,
        ``ci_low``, ``ci_high``, ``p_value``, ``per``; ``variance``; ``converged``;
        ``n_athletes``, ``n_weeks``, ``n_obs``; ``notes`` (fallbacks and dropped rows).

    Notes
    -----
    Person means are taken over the analysis window (rows with the outcome, the exposure, its
    lags and the covariates present), after lagging. The between part uses the current
    exposure's mean only: the means of the lags are nearly identical to it. Wald CIs and z
    tests. If the model does not converge, other optimisers and then simpler random effects are
    tried, and ``re_structure``/``notes`` say so. The within effect is causal only under the
    assumption that nothing that changes week to week within an athlete drives both the dose
    and the outcome (adjust for running load with ``covariates``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> a = np.repeat(np.arange(30), 12)
    >>> sets = rng.uniform(0, 20, a.size) + 5 * rng.normal(size=30)[a]
    >>> pace = 330 + 20 * rng.normal(size=30)[a] - 0.3 * sets + rng.normal(0, 4, a.size)
    >>> d = pd.DataFrame({"athlete_id": a, "week": np.tile(np.arange(12), 30),
    ...                   "soleus_sets": sets, "easy_pace_s_per_km": pace})
    >>> fit = fit_within_between(d, outcome="easy_pace_s_per_km", exposure="soleus_sets",
    ...                          time="week")
    >>> float(round(fit.effect("within")["estimate"], 1)), fit.n_athletes, fit.n_weeks
    (-2.9, 30, 12)
    """
    design = _prepare(
        data,
        outcome=outcome,
        exposure=exposure,
        group=group,
        time=time,
        covariates=covariates,
        lags=lags,
        step=float(step),
        decompose_covariates=decompose_covariates,
        time_step=time_step,
    )
    frame = design.frame
    if frame["athlete"].nunique() < 2:
        raise ValueError(
            f"the analysis window holds {frame['athlete'].nunique()} athlete(s); the model needs "
            "at least two. Fix: check the outcome and exposure columns for missing values."
        )
    formula = "y ~ " + " + ".join(design.rhs)
    fit = fit_mixed(
        frame,
        formula,
        group="athlete",
        re_formula="~x_w" if random_slope else None,
        reml=reml,
        level=level,
        methods=tuple(methods),
    )
    table = effects_table(
        list(fit.table["term"]), fit.table["estimate"].to_numpy(), fit.cov_params.to_numpy(),
        design, level,
    )
    re = fit.re_cov
    var_rows = [("athlete intercept SD", float(np.sqrt(re.iloc[0, 0])))]
    if "x_w" in re.index:
        sd_slope = float(np.sqrt(re.loc["x_w", "x_w"]))
        var_rows.append((f"within slope SD (per +{step:g} {exposure})", sd_slope * step))
        sd_int = float(np.sqrt(re.iloc[0, 0]))
        corr = float(re.iloc[0, 1] / (sd_int * sd_slope)) if sd_int > 0 and sd_slope > 0 else np.nan
        var_rows.append(("intercept-slope correlation", corr))
    var_rows.append(("residual SD", fit.residual_sd))
    variance = pd.DataFrame(var_rows, columns=["component", "estimate"])
    notes = list(design.notes) + list(fit.notes)
    if fit.re_structure == "intercept" and random_slope:
        notes.append(
            "The random slope was dropped (its variance is estimated at zero, or the fit did not "
            "converge; see above). If athletes do respond differently, the within effect's CI "
            "may be too narrow: compare with the cluster-robust fixed-effects fit."
        )
    elif fit.re_structure == "uncorrelated" and random_slope:
        notes.append(
            "The random slope is kept, but its correlation with the random intercept is fixed "
            "at 0 (the full structure was singular or did not converge; see above)."
        )
    analysis = data.loc[frame.index]
    return WithinBetweenResult(
        table=table,
        variance=variance,
        converged=fit.converged,
        re_structure=fit.re_structure,
        n_athletes=int(frame["athlete"].nunique()),
        n_weeks=int(analysis[time].nunique()),
        n_obs=int(len(frame)),
        outcome=outcome,
        exposure=exposure,
        step=float(step),
        notes=tuple(notes),
        warnings=fit.warnings,
        cov=reported_cov(list(fit.table["term"]), fit.cov_params.to_numpy(), design),
        mixed=fit,
        data=frame,
    )
