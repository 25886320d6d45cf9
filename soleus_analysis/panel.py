"""The athlete-week panel: exposures, outcomes, covariates, within/between parts and lags.

Rules (also in :func:`build_panel`)
-----------------------------------
- **Weeks**: Monday-start local weeks. Each athlete gets a complete grid of weeks from the first to
  the last week with any record (sets, runs, sessions, wellness): a week without data is a row
  with missing values, so that lags never jump over a gap.
- **Zeros and missing values**: an exposure is 0 in a week without activity only while the athlete
  was logging that kind of activity: soleus dose and strength counts inside the athlete's first to
  last week with a logged set, running volume inside the first to last week with a run, wellness
  days inside the first to last week with an entry. Outside those periods they are missing: a
  runner without any strength log has an unknown soleus dose, not a dose of 0. Outcomes (paces,
  ratings) are missing in weeks without data.
- **Session-RPE load** of a week: sum of the daily loads (:func:`soleus_analysis.daily_load`) when
  at least ``min_coverage`` (5 of 7) of its days are recorded, else missing. Acute and chronic load,
  monotony and strain are the daily values (:func:`soleus_analysis.training_loads`) on the week's
  last day in the athlete's load record (Sunday, except in a final partial week).
- **Within/between** (docs/methods.md §4.10; Curran & Bauer 2011; Bell & Jones 2015): for an
  exposure ``x``, ``x_between`` is the athlete's mean of ``x`` over the analysis window (missing
  weeks skipped) and ``x_within = x - x_between``.
- **Lags**: ``x_lagk`` is ``x`` of the same athlete k weeks earlier on the complete weekly grid
  (missing when that week is missing or before the athlete's first week). Lagged columns are
  centred after lagging: ``x_lagk_within`` and ``x_lagk_between``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from soleus_analysis.catalog import ExerciseCatalog
from soleus_analysis.contracts import takes_table
from soleus_analysis.dose import DOSE_COLUMNS, DOSE_SETS_NEED, soleus_dose, weekly, weekly_dose
from soleus_analysis.errors import InputError
from soleus_analysis.loads import daily_load, ewma_lambda, training_loads
from soleus_analysis.loads.sessions import RUNS_NEED, SESSIONS_NEED
from soleus_analysis.running import weekly_runs
from soleus_analysis.timeutils import week_start as _week_start
from soleus_analysis.validation import has_failures, validate

__all__ = [
    "DOSE_EXPOSURES",
    "EXPOSURES",
    "LAGGED_EXPOSURES",
    "add_ewma",
    "add_lags",
    "PanelParts",
    "analysis_terms",
    "build_panel",
    "panel_parts",
    "within_between",
]

DOSE_EXPOSURES = (*DOSE_COLUMNS, "strength_sessions")
RUN_EXPOSURES = ("run_distance_km", "run_time_min", "n_runs")
LOAD_EXPOSURES = ("srpe_load_au", "acute_load_au", "chronic_load_au")
#: Exposures split into within- and between-athlete parts by default.
EXPOSURES = DOSE_EXPOSURES + RUN_EXPOSURES + LOAD_EXPOSURES
#: Exposures lagged by default.
LAGGED_EXPOSURES = (
    "soleus_sets",
    "soleus_reps",
    "soleus_volume_kg",
    "soleus_tut_s",
    "calf_sets",
    "run_distance_km",
    "srpe_load_au",
)
_OUTCOMES = (
    "easy_pace_s_per_km",
    "efficiency_factor_m_per_beat",
    "decoupling_pct",
    "pace_fade_pct",
    "run_rpe",
    "fatigue",
    "soreness",
    "readiness",
)
_WEEK = pd.Timedelta(days=7)
#: Measured columns of the panel, in order, before the derived ones.
_BASE_COLUMNS = (
    *DOSE_EXPOSURES[:6],
    "strength_sessions",
    "unmapped_sets",
    *RUN_EXPOSURES,
    "easy_runs",
    "long_runs",
    *LOAD_EXPOSURES,
    "monotony",
    "strain_au",
    *_OUTCOMES,
    "wellness_days",
)


def _window_mask(df: pd.DataFrame, window, time: str) -> np.ndarray:
    if window is None:
        return np.ones(len(df), dtype=bool)
    if isinstance(window, pd.Series | np.ndarray) and np.asarray(window).dtype == bool:
        mask = np.asarray(window, dtype=bool)
        if len(mask) != len(df):
            raise ValueError(f"the window mask has {len(mask)} values for {len(df)} rows")
        return mask
    try:
        start, end = window
    except (TypeError, ValueError):
        raise ValueError(
            "window must be None, a (start, end) pair of dates or a boolean mask of the rows"
        ) from None
    values = pd.to_datetime(df[time])
    mask = np.ones(len(df), dtype=bool)
    if start is not None:
        mask &= (values >= pd.Timestamp(start)).to_numpy()
    if end is not None:
        mask &= (values <= pd.Timestamp(end)).to_numpy()
    return mask


def within_between(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    group: str = "athlete_id",
    window=None,
    time: str = "week_start",
) -> pd.DataFrame:
    """Split columns into within-athlete and between-athlete parts (person-mean centring).

    Parameters
    ----------
    df : DataFrame
        A panel with one row per athlete and period.
    columns : sequence of str
        Columns to split.
    group : str, default "athlete_id"
        Column identifying the athlete.
    window : None, (start, end) or boolean mask
        Rows whose values enter the athlete means: all rows (None), rows with ``time`` between
        ``start`` and ``end`` inclusive (either may be None), or a boolean mask aligned with
        ``df``. The within part is computed for every row against that mean.
    time : str, default "week_start"
        Time column used by a (start, end) window.

    Returns
    -------
    DataFrame
        A copy of ``df`` with ``<x>_within`` (x minus the athlete mean) and ``<x>_between`` (the
        athlete mean over the window, missing values skipped) for every column ``x``.

    Examples
    --------
    >>> p = pd.DataFrame({"athlete_id": ["a", "a", "a", "b"], "x": [1.0, 3.0, np.nan, 10.0]})
    >>> within_between(p, ["x"])[["x_within", "x_between"]].values.tolist()
    [[-1.0, 2.0], [1.0, 2.0], [nan, 2.0], [0.0, 10.0]]
    """
    missing = [c for c in [group, *columns] if c not in df.columns]
    if missing:
        raise InputError(f"within_between(): the table lacks the column(s) {', '.join(missing)}")
    mask = _window_mask(df, window, time)
    codes, uniques = pd.factorize(df[group], use_na_sentinel=False)
    n = len(uniques)
    new = {}
    for name in columns:
        values = pd.to_numeric(df[name]).to_numpy(dtype=float)
        use = mask & ~np.isnan(values)
        sums = np.bincount(codes, weights=np.where(use, values, 0.0), minlength=n)
        counts = np.bincount(codes, weights=use, minlength=n)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(counts > 0, sums / np.where(counts > 0, counts, 1.0), np.nan)[codes]
        new[f"{name}_within"] = values - mean
        new[f"{name}_between"] = mean
    return pd.concat([df, pd.DataFrame(new, index=df.index)], axis=1)



def _check_long_table(df: pd.DataFrame, caller: str, group: str, time: str, columns) -> None:
    """Raise if ``df`` lacks a column or has more than one row per ``group`` and ``time``."""
    missing = [c for c in [group, time, *columns] if c not in df.columns]
    if missing:
        raise InputError(f"{caller}(): the table lacks the column(s) {', '.join(missing)}")
    dup = df.duplicated([group, time], keep=False)
    if dup.any():
        first = df.loc[dup, [group, time]].iloc[0]
        raise ValueError(
            f"{caller}() needs one row per {group} and {time}; the table has duplicates: more "
            f"than one row for {group}={first[group]!r} at {time}={first[time]!r} "
            f"({int(dup.sum())} rows share an athlete and time). Fix: aggregate to one row per "
            "athlete and period first."
        )

def _lag_step(values: pd.Series, step) -> object:
    """One lag step: ``step`` as given, else 7 days for dates and 1 for numbers."""
    is_date = pd.api.types.is_datetime64_any_dtype(values)
    if step is not None:
        return pd.Timedelta(step) if is_date else step
    if is_date:
        return _WEEK
    if pd.api.types.is_numeric_dtype(values):
        return 1
    raise TypeError(
        f"time column {values.name!r} must hold dates or numbers, not {values.dtype}. "
        "Fix: pass the Monday of the week (week_start) or a week number, e.g. "
        "pd.to_datetime(df[time])."
    )


def _grid_positions(groups: pd.Series, times: pd.Series, step) -> tuple | None:
    """Athlete codes and integer time positions, or None if a time is off the grid (or missing)."""
    if groups.isna().any() or times.isna().any() or len(times) == 0:
        return None
    codes = pd.factorize(groups)[0].astype(np.int64)
    raw = np.asarray((times - times.min()) / step, dtype=float)
    pos = np.round(raw)
    if not np.allclose(raw, pos, rtol=0, atol=1e-9):
        return None
    return codes, pos.astype(np.int64)


def add_lags(
    df: pd.DataFrame,
    columns: Sequence[str],
    lags: Sequence[int],
    *,
    group: str = "athlete_id",
    time: str = "week_start",
    step=None,
) -> pd.DataFrame:
    """Add lagged copies of columns, matched on time, never on row position.

    This is the package's one implementation of lags (the models call it too).

    Parameters
    ----------
    df : DataFrame
        One row per ``group`` and ``time``.
    columns : sequence of str
        Columns to lag.
    lags : sequence of int
        Lags in steps (1 = one week earlier); positive integers.
    group, time : str
        Athlete and time columns (``time``: dates or numbers).
    step : Timedelta or number, optional
        Length of one lag step: 7 days for dates and 1 for numbers by default.

    Returns
    -------
    DataFrame
        A copy of ``df`` with ``<x>_lag<k>`` = value of ``x`` for the same athlete at
        ``time - k x step``; missing when that row does not exist or holds a missing value, so a
        missing week is a gap, never a shifted neighbour.

    Raises
    ------
    ValueError
        On duplicate (group, time) rows or non-positive lags.

    Examples
    --------
    >>> weeks = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-22"])
    >>> p = pd.DataFrame({"athlete_id": "a", "week_start": weeks,
    ...                   "x": [1.0, 2.0, 4.0]})
    >>> add_lags(p, ["x"], [1, 2])[["x_lag1", "x_lag2"]].values.tolist()
    [[nan, nan], [1.0, nan], [nan, 2.0]]
    """
    bad = [k for k in lags if not (isinstance(k, int | np.integer) and k > 0)]
    if bad:
        raise ValueError(f"lags must be positive whole numbers of steps, got {bad}")
    _check_long_table(df, "add_lags", group, time, columns)
    out = df.copy()
    if not len(lags):
        return out
    step = _lag_step(df[time], step)
    values = {name: pd.to_numeric(df[name]).to_numpy(dtype=float) for name in columns}
    new: dict[str, np.ndarray] = {}
    positions = _grid_positions(df[group], df[time], step)
    if positions is not None:
        # Times on an exact grid: week t - k of the same athlete is found by an integer key.
        codes, pos = positions
        width = int(pos.max()) + 1
        index = pd.Index(codes * width + pos)
        for k in lags:
            where = np.where(pos >= k, index.get_indexer(codes * width + pos - k), -1)
            found = where >= 0
            for name in columns:
                lagged = np.full(len(df), np.nan)
                lagged[found] = values[name][where[found]]
                new[f"{name}_lag{k}"] = lagged
    else:
        keys = df[[group, time]].reset_index(drop=True)
        source = pd.DataFrame({group: df[group].to_numpy(), time: df[time].to_numpy(),
                               **values})
        for k in lags:
            shifted = source.assign(**{time: source[time] + k * step})
            merged = keys.merge(shifted, on=[group, time], how="left", validate="one_to_one")
            for name in columns:
                new[f"{name}_lag{k}"] = merged[name].to_numpy(dtype=float)
    ordered = {f"{name}_lag{k}": new[f"{name}_lag{k}"] for name in columns for k in lags}
    return pd.concat([out, pd.DataFrame(ordered, index=df.index)], axis=1)


def analysis_terms(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    lags: Sequence[int] = (),
    required: Sequence[str] = (),
    group: str = "athlete_id",
    time: str = "week_start",
    step=None,
) -> pd.DataFrame:
    """Lags, then within- and between-athlete parts centred over a model's analysis window.

    Lags are computed first (by date, :func:`add_lags`); the *analysis window* is the rows
    where every ``required`` column, every listed column and every lag is present; each
    athlete's mean is taken over that window only and the within part is the deviation from it
    ("centre after lagging", docs/methods.md section 4.10; :func:`within_between` with the window as
    its mask). Every model of the package builds its terms with this function.

    Parameters
    ----------
    df : DataFrame
        Long table, one row per ``group`` and ``time`` (when lags are asked for).
    columns : sequence of str
        Numeric columns to decompose (exposures, covariates).
    lags : sequence of int
        Lags (>= 1) to add for every column, in steps; 0 is ignored.
    required : sequence of str
        Further columns that must be present for a row to be in the window (the outcome).
    group, time : str
    step : Timedelta or number, optional
        Lag step (7 days for dates, 1 for numbers by default).

    Returns
    -------
    DataFrame
        A copy of ``df`` with, for each column ``x`` and lag ``l``: ``x_lag{l}``,
        ``x_within``/``x_lag{l}_within`` (deviation from the athlete's mean over the window) and
        ``x_between``/``x_lag{l}_between`` (that mean), all in ``x``'s units, and a boolean
        ``in_window``. Rows outside the window get the athlete's window mean too (missing if
        the athlete has no row in it). Columns of ``df`` with these names (a built panel's
        precomputed ``_lag``/``_within``/``_between`` columns, centred over all its weeks) are
        replaced, not duplicated.

    Examples
    --------
    >>> d = pd.DataFrame({"a": ["x"] * 4, "t": [0, 1, 2, 3], "s": [2.0, 4.0, 6.0, 8.0]})
    >>> out = analysis_terms(d, ["s"], group="a", time="t", lags=[1])
    >>> out[["s_lag1", "s_within", "s_between", "s_lag1_within"]].to_numpy().tolist()[1:]
    [[2.0, -2.0, 6.0, -2.0], [4.0, 0.0, 6.0, 0.0], [6.0, 2.0, 6.0, 2.0]]
    """
    columns = list(columns)
    lags = [int(k) for k in lags if int(k) != 0]
    missing = [c for c in [group, time, *columns, *required] if c not in df.columns]
    if missing:
        raise InputError(
            f"analysis_terms(): the table lacks the column(s) {', '.join(missing)}; its "
            f"columns are {list(df.columns)}"
        )
    for c in columns:
        if not pd.api.types.is_numeric_dtype(df[c]):
            raise TypeError(
                f"column {c!r} must be numeric to be centred, not {df[c].dtype}. "
                "Fix: convert it, or pass it as a categorical covariate."
            )
    parts = columns + [f"{c}_lag{k}" for k in lags for c in columns]
    derived = {"in_window", *(f"{c}_lag{k}" for k in lags for c in columns),
               *(f"{col}_{part}" for col in parts for part in ("within", "between"))}
    stale = [c for c in df.columns if c in derived and c not in columns]
    own = df.drop(columns=stale) if stale else df
    base = add_lags(own, columns, lags, group=group, time=time, step=step) if lags else own
    window = (base[[*parts, *required]].notna().all(axis=1) & base[group].notna()).to_numpy()
    out = within_between(base, parts, group=group, window=window)
    # A wide panel gets many columns one by one: consolidate it first, or pandas warns (with a
    # path) about a fragmented frame in the notebooks' outputs.
    out = out.copy()
    out["in_window"] = window
    return out


def add_ewma(
    df: pd.DataFrame,
    columns: Sequence[str],
    *,
    weeks: float,
    include_current: bool = False,
    start: float | str = "mean",
    suffix: str = "_ewma",
    group: str = "athlete_id",
    time: str = "week_start",
    step: pd.Timedelta = _WEEK,
) -> pd.DataFrame:
    """Add exponentially weighted moving averages of weekly columns (chronic load, total dose).

    For athlete ``i`` and calendar week ``t`` (counted from the athlete's first row) the average
    gives week ``k`` the weight ``rho^(t - k)``, ``rho = exp(-1 / weeks)`` (the "exponential"
    convention of docs/methods.md §4.5 with the time constant in weeks: 6 weeks = 42 days, the
    fitness time constant of the performance-management chart). Without gaps this is the
    recursion ``E_t = rho E_{t-1} + (1 - rho) x_t``, the simulator's chronic running load
    (``include_current=False``: ``C_t`` uses weeks before ``t``) and its soleus adaptation
    (``include_current=True``, ``start=0``; docs/simulation.md).

    Parameters
    ----------
    df : DataFrame
        One row per ``group`` and ``time``.
    columns : sequence of str
        Numeric columns to average.
    weeks : float
        Time constant in steps (> 0).
    include_current : bool, default False
        Count week ``t`` itself (an accumulated dose) or only the weeks before it (a chronic
        load used next to the acute load of the week, so the two terms do not share the week).
    start : "mean" or float, default "mean"
        What the weeks before the athlete's first row held. ``"mean"``: nothing is assumed;
        the weights are normalised over the weeks with a value, as if the unseen history looked
        like the recorded weeks (a chronic running load; no value before the first recorded
        week). A number: that level before the record (0 for a training programme started
        from nothing); it keeps its weight ``rho^(t+1) / (1 - rho)``.
    suffix : str, default "_ewma"
        The new column is ``<x><suffix>``.
    group, time : str
        Athlete and week columns.
    step : Timedelta, default 7 days

    Returns
    -------
    DataFrame
        A copy of ``df`` with ``<x><suffix>`` for every column, in ``x``'s units. A week with a
        missing ``x`` (or absent from the grid) gets no weight: the weights of the other weeks are
        renormalised, so a gap neither counts as 0 nor shifts an older week into its place.
        Missing until the athlete has a recorded week (so an athlete who never logged ``x``
        stays missing, whatever ``start``). Values never depend on later weeks.

    Raises
    ------
    ValueError
        On a non-positive ``weeks``, duplicate (group, time) rows or a bad ``start``.

    Examples
    --------
    >>> weeks = pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-15"])
    >>> p = pd.DataFrame({"athlete_id": "a", "week_start": weeks, "x": [10.0, 20.0, 30.0]})
    >>> out = add_ewma(p, ["x"], weeks=1 / np.log(2))  # rho = 0.5
    >>> out["x_ewma"].round(3).tolist()  # week t: weeks before t, weights 1, 1/2, ...
    [nan, 10.0, 16.667]
    >>> add_ewma(p, ["x"], weeks=1 / np.log(2), include_current=True, start=0)["x_ewma"].tolist()
    [5.0, 12.5, 21.25]
    """
    if not (isinstance(weeks, int | float | np.integer | np.floating) and weeks > 0):
        raise ValueError(f"weeks must be a positive time constant in steps, got {weeks!r}")
    if not (start == "mean" or isinstance(start, int | float | np.integer | np.floating)):
        raise ValueError(f"start must be 'mean' or a number (the level before the record), "
                         f"got {start!r}")
    _check_long_table(df, "add_ewma", group, time, columns)
    out = df.copy()
    if df.empty:
        for name in columns:
            out[f"{name}{suffix}"] = pd.Series(dtype=float)
        return out
    rho = math.exp(-1.0 / float(weeks))
    codes, _ = pd.factorize(df[group], use_na_sentinel=False)
    times = pd.to_datetime(df[time]).to_numpy(dtype="datetime64[us]")
    first = np.full(codes.max() + 1, np.datetime64("9999-01-01", "us"))
    np.minimum.at(first, codes, times)
    pos = ((times - first[codes]) // np.timedelta64(step)).astype(np.int64)
    n_steps = int(pos.max()) + 1
    lags = np.arange(n_steps)
    pre = rho ** (lags + 1) / (1.0 - rho)  # weight of the level before the record
    for name in columns:
        x = pd.to_numeric(df[name]).to_numpy(dtype=float)
        seen = np.isfinite(x)
        num = np.zeros((codes.max() + 1, n_steps))
        den = np.zeros_like(num)
        num[codes[seen], pos[seen]] = x[seen]
        den[codes[seen], pos[seen]] = 1.0
        num = lfilter([1.0], [1.0, -rho], num, axis=1)
        den = lfilter([1.0], [1.0, -rho], den, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            if start == "mean":
                value = num / np.where(den > 0, den, 1.0)
            else:
                value = (num + float(start) * pre) / (den + pre)
        value[den == 0] = np.nan  # no recorded week yet: unknown, whatever the start level
        if not include_current:
            value = np.column_stack([np.full(value.shape[0], np.nan), value[:, :-1]])
        out[f"{name}{suffix}"] = value[codes, pos]
    return out


def _is_regular_grid(df: pd.DataFrame, group: str, time: str, step: pd.Timedelta) -> bool:
    """Rows sorted by athlete, each athlete's times exactly one step apart, athletes contiguous."""
    if len(df) < 2:
        return True
    codes = pd.factorize(df[group], use_na_sentinel=False)[0]
    times = pd.to_datetime(df[time]).to_numpy(dtype="datetime64[us]")
    same = codes[1:] == codes[:-1]
    steps_ok = np.all(np.where(same, (times[1:] - times[:-1]) == np.timedelta64(step), True))
    # Contiguous athletes: the code changes exactly (number of athletes - 1) times.
    return bool(steps_ok and (~same).sum() == codes.max())


def _periods(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby("athlete_id", sort=True)["week_start"].agg(first="min", last="max")


def _week_grid(spans: pd.DataFrame) -> pd.DataFrame:
    first = spans["first"].to_numpy(dtype="datetime64[us]")
    last = spans["last"].to_numpy(dtype="datetime64[us]")
    lengths = ((last - first) // np.timedelta64(7, "D")).astype("int64") + 1
    athlete = np.repeat(spans.index.to_numpy(dtype=object), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    weeks = np.repeat(first, lengths) + offsets * np.timedelta64(7, "D")
    return pd.DataFrame({"athlete_id": athlete, "week_start": weeks.astype("datetime64[us]")})


def _inside(grid: pd.DataFrame, spans: pd.DataFrame) -> np.ndarray:
    if spans.empty:
        return np.zeros(len(grid), dtype=bool)
    first = grid["athlete_id"].map(spans["first"])
    last = grid["athlete_id"].map(spans["last"])
    return (
        ((grid["week_start"] >= first) & (grid["week_start"] <= last))
        .fillna(False)
        .to_numpy(dtype=bool)
    )


def _weekly_wellness(wellness: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "athlete_id": wellness["athlete_id"].to_numpy(dtype=object),
            "week_start": _week_start(pd.to_datetime(wellness["date"])).to_numpy(),
        }
    )
    for name in ("fatigue", "soreness", "readiness"):
        frame[name] = (
            pd.to_numeric(wellness[name]).astype(float).to_numpy()
            if name in wellness.columns
            else np.nan
        )
    grouped = frame.groupby(["athlete_id", "week_start"], sort=False, observed=True)
    out = grouped[["fatigue", "soreness", "readiness"]].mean()
    out["wellness_days"] = grouped.size().astype(float)
    return out.reset_index()


def _weekly_loads(loads: pd.DataFrame, min_coverage: float) -> pd.DataFrame:
    need = max(1, math.ceil(min_coverage * 7 - 1e-9))
    grouped = loads.groupby(["athlete_id", "week_start"], sort=False, observed=True)
    out = grouped["load_au"].agg(srpe_load_au="sum", recorded_days="count")
    out.loc[out["recorded_days"] < need, "srpe_load_au"] = np.nan
    last = grouped.tail(1).set_index(["athlete_id", "week_start"])
    out["acute_load_au"] = last["acute_ewma_au"]
    out["chronic_load_au"] = last["chronic_ewma_au"]
    out["monotony"] = last["monotony"]
    out["strain_au"] = last["strain_au"]
    return out.drop(columns="recorded_days").reset_index()


@takes_table("strength_sets", DOSE_SETS_NEED, optional=True)
@takes_table("runs", RUNS_NEED, optional=True)
@takes_table("wellness", ["athlete_id", "date"], optional=True)
@takes_table("sessions", SESSIONS_NEED, optional=True)
def build_panel(
    strength_sets: pd.DataFrame | None,
    runs: pd.DataFrame | None = None,
    wellness: pd.DataFrame | None = None,
    sessions: pd.DataFrame | None = None,
    athletes: pd.DataFrame | None = None,
    *,
    catalog: ExerciseCatalog | str | PathLike[str] | None = None,
    lags: Sequence[int] = (1, 2, 3, 4),
    window=None,
    ewma: str = "williams",
    tz: str = "UTC",
    min_coverage: float = 5 / 7,
    max_gap_days: int | None = 14,
    exposures: Sequence[str] | None = None,
    lag_columns: Sequence[str] | None = None,
    easy: str = "auto",
) -> pd.DataFrame:
    """Build the ``athlete_week`` analysis panel from validated canonical tables.

    Parameters
    ----------
    strength_sets, runs, wellness, sessions, athletes : DataFrame or None
        Validated canonical tables (``sol.validate(df, table).valid``); any may be None:
        ``strength_sets`` (:class:`~soleus_analysis.schemas.StrengthSetsSchema`; needs
        ``athlete_id``, ``session_start``, ``exercise_raw``, ``set_type``), ``runs``
        (:class:`~soleus_analysis.schemas.RunsSchema`; needs ``athlete_id``, ``start``),
        ``wellness`` (:class:`~soleus_analysis.schemas.WellnessSchema`; needs ``athlete_id``,
        ``date``), ``sessions`` (:class:`~soleus_analysis.schemas.SessionsSchema`; needs
        ``athlete_id``, ``start``, ``duration_s``) and ``athletes``
        (:class:`~soleus_analysis.schemas.AthletesSchema`; its optional ``body_mass_kg``,
        ``hr_max_bpm`` and ``timezone``).
    catalog : ExerciseCatalog, path or None
        Exercise catalog for the soleus dose; the shipped one by default.
    lags : sequence of int, default (1, 2, 3, 4)
        Weeks by which exposures are lagged.
    window : None, (start, end) or boolean mask
        Analysis window for the athlete means (see :func:`within_between`).
    ewma : {"williams", "exponential", "simple"}, default "williams"
        EWMA convention of ``acute_load_au`` and ``chronic_load_au`` (7 and 28 days); stamped in
        ``attrs["ewma_convention"]``.
    tz : str, default "UTC"
        Zone of rows whose own and athlete's zone are unknown.
    min_coverage : float, default 5/7
        Share of recorded days a weekly or rolling load metric needs.
    max_gap_days : int or None, default 14
        Gap rule of :func:`soleus_analysis.daily_load`.
    exposures : sequence of str, optional
        Columns split into within/between parts (default :data:`EXPOSURES`).
    lag_columns : sequence of str, optional
        Columns lagged (default :data:`LAGGED_EXPOSURES`).
    easy : {"auto", "hr", "pace"}
        Easy-run rule (:mod:`soleus_analysis.running`).

    Returns
    -------
    DataFrame
        The ``athlete_week`` table (see ``soleus schema athlete_week``), sorted by athlete and
        week, validated against its schema: exposures (soleus dose, strength sessions, running
        volume, session-RPE load, acute and chronic load, monotony, strain), outcomes (easy pace,
        efficiency factor, decoupling, pace fade, run RPE, wellness means), counts
        (``unmapped_sets``, ``easy_runs``, ``long_runs``, ``wellness_days``), then
        ``<x>_within``/``<x>_between`` for every exposure, ``<x>_lag<k>`` for the lagged ones and
        their ``_within``/``_between`` parts. ``attrs`` holds the parameters used.

    Raises
    ------
    RuntimeError
        If the panel fails its own schema (a bug, not a data problem).

    Examples
    --------
    >>> starts = pd.to_datetime(["2024-05-06T07:00Z", "2024-05-20T07:00Z"])
    >>> sets = pd.DataFrame({"athlete_id": "a", "session_start": starts,
    ...                      "exercise_raw": "Seated Calf Raise", "set_index": 0,
    ...                      "set_type": "working", "reps": 20.0, "load_kg": 40.0,
    ...                      "duration_s": np.nan, "distance_m": np.nan})
    >>> p = build_panel(sets, lags=(1,))
    >>> cols = ["week_start", "soleus_sets", "soleus_sets_lag1", "soleus_sets_within"]
    >>> p[cols].round({"soleus_sets_within": 3})
      week_start  soleus_sets  soleus_sets_lag1  soleus_sets_within
    0 2024-05-06         0.85               NaN               0.283
    1 2024-05-13         0.00              0.85              -0.567
    2 2024-05-20         0.85              0.00               0.283
    """
    return panel_parts(
        strength_sets,
        runs,
        wellness,
        sessions,
        athletes,
        catalog=catalog,
        lags=lags,
        window=window,
        ewma=ewma,
        tz=tz,
        min_coverage=min_coverage,
        max_gap_days=max_gap_days,
        exposures=exposures,
        lag_columns=lag_columns,
        easy=easy,
        keep_dose=False,
    ).panel


@dataclass(frozen=True)
class PanelParts:
    """The panel and the intermediate tables it was built from (for the build's outputs)."""

    panel: pd.DataFrame
    dose: pd.DataFrame | None
    loads: pd.DataFrame | None


@takes_table("strength_sets", DOSE_SETS_NEED, optional=True)
@takes_table("runs", RUNS_NEED, optional=True)
@takes_table("wellness", ["athlete_id", "date"], optional=True)
@takes_table("sessions", SESSIONS_NEED, optional=True)
def panel_parts(
    strength_sets,
    runs,
    wellness,
    sessions,
    athletes,
    *,
    catalog,
    lags,
    window,
    ewma,
    tz,
    min_coverage,
    max_gap_days,
    exposures,
    lag_columns,
    easy,
    keep_dose=True,
) -> PanelParts:
    """:func:`build_panel` with the intermediate tables a build writes (dose per set, loads).

    Parameters
    ----------
    strength_sets, runs, wellness, sessions, athletes : DataFrame or None
        Canonical tables, as in :func:`build_panel`: ``strength_sets``
        (:class:`~soleus_analysis.schemas.StrengthSetsSchema`; needs ``athlete_id``,
        ``session_start``, ``exercise_raw``, ``set_type``), ``runs``
        (:class:`~soleus_analysis.schemas.RunsSchema`; needs ``athlete_id``, ``start``),
        ``wellness`` (:class:`~soleus_analysis.schemas.WellnessSchema`; needs ``athlete_id``,
        ``date``), ``sessions`` (:class:`~soleus_analysis.schemas.SessionsSchema`; needs
        ``athlete_id``, ``start``, ``duration_s``) and ``athletes``.
    catalog, lags, window, ewma, tz, min_coverage, max_gap_days, exposures, lag_columns, easy
        As in :func:`build_panel` (all required here).
    keep_dose : bool, default True
        Keep the dose per set (else only its weekly sums are computed).

    Returns
    -------
    PanelParts
        The panel, the dose per set (None without ``keep_dose`` or strength sets) and the
        training loads (None without a session of known load).
    """
    exposures = list(EXPOSURES if exposures is None else exposures)
    lag_columns = list(LAGGED_EXPOSURES if lag_columns is None else lag_columns)
    unknown = [c for c in {*exposures, *lag_columns} if c not in _BASE_COLUMNS]
    if unknown:
        raise ValueError(
            f"unknown exposure column(s) {', '.join(sorted(unknown))}; "
            f"choose from {', '.join(_BASE_COLUMNS)}"
        )
    lags = tuple(int(k) for k in lags)
    ewma_lambda(7, ewma)  # an unknown convention fails before any work
    pieces: dict[str, pd.DataFrame] = {}
    dose = loads = None
    if strength_sets is not None and len(strength_sets):
        if keep_dose:
            dose = soleus_dose(strength_sets, athletes, catalog, tz=tz)
            dose_week = weekly(dose)
        else:
            dose_week = weekly_dose(strength_sets, athletes, catalog, tz=tz)
        pieces["strength"] = dose_week.drop(columns="sets_logged")
    if runs is not None and len(runs):
        pieces["runs"] = weekly_runs(runs, athletes, tz=tz, easy=easy)
    if wellness is not None and len(wellness):
        pieces["wellness"] = _weekly_wellness(wellness)
    daily = daily_load(
        sessions, runs, strength_sets, wellness, athletes=athletes, tz=tz, max_gap_days=max_gap_days
    )
    if len(daily):
        loads = training_loads(daily, convention=ewma, min_coverage=min_coverage)
        pieces["loads"] = _weekly_loads(loads, min_coverage)
    if not pieces:
        raise InputError("build_panel() got no rows: pass at least one non-empty table")

    spans = {source: _periods(piece) for source, piece in pieces.items()}
    all_spans = pd.concat([s.reset_index() for s in spans.values()], ignore_index=True)
    overall = all_spans.groupby("athlete_id", sort=True).agg(
        first=("first", "min"), last=("last", "max")
    )
    panel = _week_grid(overall)
    for source, piece in pieces.items():
        piece = piece.astype({"week_start": "datetime64[us]"}).assign(**{f"_has_{source}": True})
        panel = panel.merge(piece, on=["athlete_id", "week_start"], how="left", sort=False)

    # A week without a row of a source is 0 inside the athlete's record of that source (the athlete
    # was logging and did nothing), missing outside it. A week with a row keeps its values (a
    # missing volume stays missing).
    fill = {
        "strength": (*DOSE_EXPOSURES, "unmapped_sets"),
        "runs": ("run_distance_km", "run_time_min", "n_runs", "easy_runs", "long_runs"),
        "wellness": ("wellness_days",),
    }
    for source, names in fill.items():
        if source not in pieces:
            continue
        inside = _inside(panel, spans[source])
        has_row = panel[f"_has_{source}"].notna().to_numpy()
        for name in names:
            values = panel[name].astype(float).to_numpy()
            panel[name] = np.where(inside & ~has_row, 0.0, values)

    for name in _BASE_COLUMNS:
        if name not in panel.columns:
            panel[name] = np.nan
        panel[name] = panel[name].astype(float)
    panel = panel[["athlete_id", "week_start", *_BASE_COLUMNS]]
    panel = panel.sort_values(["athlete_id", "week_start"], kind="stable", ignore_index=True)

    panel = add_lags(panel, lag_columns, lags) if lags else panel
    lagged = [f"{name}_lag{k}" for name in lag_columns for k in lags]
    panel = within_between(panel, [*exposures, *lagged], window=window)

    if has_failures(panel, "athlete_week"):
        raise RuntimeError(
            "the athlete-week panel failed its schema (a bug, please report):\n"
            + validate(panel, "athlete_week").to_text()
        )
    panel.attrs = {
        "ewma_convention": ewma,
        "lags": list(lags),
        "tz": tz,
        "min_coverage": min_coverage,
        "max_gap_days": max_gap_days,
        "easy_rule": easy,
        "window": None
        if window is None or not isinstance(window, tuple)
        else [str(w) for w in window],
    }
    return PanelParts(panel=panel, dose=dose, loads=loads)
