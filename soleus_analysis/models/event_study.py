"""Event study of a programme start with staggered starts (Callaway & Sant'Anna 2021).

Athletes start a soleus programme in different weeks, and their outcomes drift with the season.
A two-way fixed-effects regression (athlete and week effects, one "programme on" dummy) is then
biased whenever the effect differs by start cohort or grows with time since the start: it uses
athletes who started earlier as controls for those who start later, with negative weights
(Goodman-Bacon 2021; Sun & Abraham 2021). This module estimates the effect by weeks since the
start from clean comparisons only.

**Method: group-time average effects, unconditional comparison** (Callaway & Sant'Anna 2021,
the estimator of the R package ``did`` without covariates, ``base_period = "universal"``). For
the athletes who start in week ``g`` (cohort ``g``) and a week ``t``::

    ATT(g, t) = mean over cohort g of [Y(t) - Y(g-1)]
              - mean over comparison athletes of [Y(t) - Y(g-1)]

The comparison athletes are those who never start in the window (``control="never_treated"``) or,
by default, those who have not started by week ``max(t, g-1)`` (not-yet-started, never-started
included; ``control="not_yet_treated"``). Week ``g-1`` (the last week before the start) is the
reference of every cohort, so event time -1 is 0 by construction. Event-time effects average the
cohorts observed ``e`` weeks after their start, weighted by cohort size::

    theta(e) = sum_g n_g ATT(g, g+e) / sum_g n_g        (over cohorts with week g+e in the window)

and ``overall`` is the mean of ``theta(0) ... theta(lags)`` (the ``did`` package's dynamic
aggregate). Leads (``e <= -2``) are placebo effects: under parallel trends and no anticipation
they are 0, and ``pre_average`` (their mean) is the summary pre-trend check.

Why this estimator, and not Sun & Abraham's interaction-weighted regression: with never-started
controls and a balanced panel they give the same cohort effects; Callaway & Sant'Anna's also
admit not-yet-started comparison athletes (needed when nearly every runner starts a programme
sometime) and are computed cell by cell from differences of means, so an athlete-week without an
outcome removes only the cells that need it.

**Inference: leave-one-athlete-out jackknife** (the default, ``inference="jackknife"``; CR3-type,
MacKinnon, Nielsen & Webb 2023). Every estimate is recomputed without each athlete (cells, cohort
weights and comparison groups included), so the standard error is cluster-robust by athlete and
allows any serial correlation within an athlete. Intervals use a t distribution whose degrees of
freedom are a Welch-Satterthwaite combination of the athletes who start (``n_start - 1`` df) and
those who never start (``n_never - 1`` df); for one comparison of two groups of athletes this is
Welch's test. ``inference="influence"`` gives the ``did`` package's analytic influence-function
standard errors with normal intervals (``bstrap = FALSE``), and ``inference="multiplier"`` its
multiplier bootstrap (Rademacher weights by athlete, seeded by ``rng``, standard error from the
interquartile range); both ignore the small-sample correction and are too narrow with few athletes
or small cohorts (a cohort of one athlete contributes no variance of its own to them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from soleus_analysis.models.result import TABLE_COLUMNS, effect_row, wald_columns

__all__ = ["EventStudyResult", "fit_event_study"]

CONTROLS = ("not_yet_treated", "never_treated")
INFERENCE = ("jackknife", "influence", "multiplier")


@dataclass(frozen=True)
class EventStudyResult:
    """Effects of a programme start by weeks since the start.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per term: ``event-<k>`` (placebo weeks before the start; ``event-1`` is the
        reference, 0 by construction, with missing standard error), ``event+<k>`` (k weeks after
        the start week, ``event+0`` = the start week), ``pre_average`` (mean of the placebo
        effects ``event-leads`` ... ``event-2``) and ``overall`` (mean of ``event+0`` ...
        ``event+lags``). Columns ``term``; ``estimate``, ``std_error``, ``ci_low``, ``ci_high``
        (outcome units); ``p_value``; ``per`` (what the estimate compares); ``df`` (t degrees of
        freedom, ``inf`` for normal intervals); ``event_time`` (weeks since the start; NaN for
        the summaries); ``n_cohorts`` (start cohorts averaged); ``n_treated`` (athletes of those
        cohorts).
    group_time : pandas.DataFrame
        One row per cohort and week: ``cohort`` (start week), ``time`` (week), ``event_time``,
        ``att`` (outcome units), ``n_treated``, ``n_control`` (athletes in the two differences of
        means).
    notes : tuple of str
        The estimand in words, comparison group, inference, dropped athletes.
    raw : dict
        ``ids`` (athletes in the analysis), ``cohort`` (their start-week index, ``inf`` never),
        ``influence`` (athletes x terms influence functions), ``jackknife`` (athletes x terms
        leave-one-out estimates), ``weeks`` (the grid).
    n_athletes, n_obs : int
        Athletes and athlete-weeks with an outcome in the analysis.
    outcome, control, inference : str
    level : float
    """

    table: pd.DataFrame
    group_time: pd.DataFrame
    notes: tuple[str, ...]
    raw: dict = field(repr=False)
    n_athletes: int
    n_obs: int
    outcome: str
    control: str
    inference: str
    level: float

    def effect(self, term: str) -> pd.Series:
        """One row of :attr:`table` (e.g. ``"overall"`` or ``"event+4"``)."""
        return effect_row(self.table, term)


def _term(e: int) -> str:
    return f"event{e:+d}"


def fit_event_study(
    data: pd.DataFrame,
    *,
    outcome: str,
    start: pd.DataFrame | str,
    group: str = "athlete_id",
    time: str = "week_start",
    leads: int = 4,
    lags: int = 8,
    control: str = "not_yet_treated",
    inference: str = "jackknife",
    n_boot: int = 999,
    level: float = 0.95,
    rng: Any = None,
) -> EventStudyResult:
    """Effect of starting a programme, by weeks since the start, robust to staggered starts.

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel, one row per athlete and week (e.g. ``study.panel``).
    outcome : str
        Outcome column (e.g. ``"easy_pace_s_per_km"``); missing values are allowed.
    start : pandas.DataFrame or str
        Who starts and when: the table of :func:`soleus_analysis.programme_start` (columns
        ``group`` and ``programme_start``; missing = never starts), or the name of a column of
        ``data`` holding each athlete's start (the same in all the athlete's rows).
    group : str, default "athlete_id"
        Athlete column.
    time : str, default "week_start"
        Week column: dates on a weekly grid, or integers counting weeks. A start that falls
        between grid values counts from the grid week that contains it.
    leads, lags : int, default 4 and 8
        Placebo weeks before the start (``event-leads`` ... ``event-2``; ``event-1`` is the
        reference) and weeks after it (``event+0`` ... ``event+lags``).
    control : {"not_yet_treated", "never_treated"}
        Comparison athletes: those who have not started yet (never-starters included; default),
        or only those who never start in the panel.
    inference : {"jackknife", "influence", "multiplier"}
        Leave-one-athlete-out jackknife with Welch-Satterthwaite t df (default; valid with few
        athletes), the ``did`` package's analytic influence-function SEs (normal), or its
        multiplier bootstrap (normal); see the module docstring.
    n_boot : int, default 999
        Bootstrap draws for ``inference="multiplier"``.
    level : float, default 0.95
    rng : seed or numpy Generator, optional
        Randomness of the multiplier bootstrap (unused otherwise).

    Returns
    -------
    EventStudyResult
        ``table`` (rows ``event-<leads>`` ... ``event+<lags>``, ``pre_average``, ``overall``),
        ``group_time``, ``notes``, ``raw``, ``n_athletes``, ``n_obs``, ``effect(term)``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> weeks = np.arange(8)
    >>> start = {"a": 4, "b": 4, "c": 6, "d": None, "e": None}
    >>> rows = [(i, w, 0.5 * w + (2.0 if s is not None and w >= s else 0.0) + k)
    ...         for k, (i, s) in enumerate(start.items()) for w in weeks]
    >>> d = pd.DataFrame(rows, columns=["athlete_id", "week", "pace"])
    >>> d["start"] = d["athlete_id"].map(start)
    >>> res = fit_event_study(d, outcome="pace", start="start", time="week", leads=2, lags=1)
    >>> print(res.table[["term", "estimate"]].round(3).to_string(index=False))
           term  estimate
        event-2       0.0
        event-1       0.0
        event+0       2.0
        event+1       2.0
    pre_average       0.0
        overall       2.0
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, not {type(data).__name__}")
    missing = [c for c in (outcome, group, time) if c not in data.columns]
    if missing:
        raise ValueError(
            f"fit_event_study: column(s) {missing} not in the data; columns are "
            f"{list(data.columns)}. Fix: pass outcome=, group= and time= names of existing columns."
        )
    if control not in CONTROLS:
        raise ValueError(f"control must be one of {CONTROLS}, got {control!r}")
    if inference not in INFERENCE:
        raise ValueError(f"inference must be one of {INFERENCE}, got {inference!r}")
    leads, lags = int(leads), int(lags)
    if leads < 1 or lags < 0:
        raise ValueError(f"leads must be >= 1 and lags >= 0, got leads={leads}, lags={lags}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")

    ids, weeks, y, starts, notes = _wide(data, outcome=outcome, start=start, group=group,
                                         time=time)
    n_weeks = len(weeks)
    cohort = starts.copy()
    before = np.isfinite(cohort) & (cohort <= 0)
    after = np.isfinite(cohort) & (cohort >= n_weeks)
    if before.any():
        notes.append(
            f"{int(before.sum())} athlete(s) started in or before the panel's first week "
            f"({', '.join(map(str, ids[before][:5]))}{' ...' if before.sum() > 5 else ''}): "
            "no week before their start to compare with, so they are left out."
        )
    if after.any():
        notes.append(f"{int(after.sum())} athlete(s) start after the panel's last week: they "
                     "count as never-started here.")
        cohort[after] = np.inf
    keep = ~before & np.isfinite(y).any(axis=1)
    ids, y, cohort = ids[keep], y[keep], cohort[keep]
    n = len(ids)
    observed = np.isfinite(y)
    never = ~np.isfinite(cohort)
    n_start, n_never = int((~never).sum()), int(never.sum())
    if n_start == 0:
        raise ValueError(
            "fit_event_study: no athlete starts the programme inside the panel (after its first "
            "week); there is no start to study. Check start= (e.g. sol.programme_start(dose))."
        )
    if control == "never_treated" and n_never == 0:
        raise ValueError(
            "fit_event_study: control='never_treated' but every athlete starts the programme in "
            "the panel, so there is no never-started comparison athlete. Fix: use "
            "control='not_yet_treated' (athletes who have not started yet serve as comparisons)."
        )

    cells = _cells(y, observed, cohort, leads=leads, lags=lags, control=control)
    if not cells:
        raise ValueError(
            "fit_event_study: no cohort has both its week before the start and a comparison "
            "athlete observed in the same weeks; nothing can be estimated. With "
            f"control={control!r}: {n_start} athlete(s) start, {n_never} never start."
        )
    events = list(range(-leads, lags + 1))
    terms = [_term(e) for e in events] + ["pre_average", "overall"]
    cohort_size = {g: int((cohort == g).sum()) for g in np.unique(cohort[~never])}
    est, jack, infl, info = _aggregate(cells, cohort, cohort_size, events, n)

    gone = [e for e in events if e != -1 and not np.isfinite(est[events.index(e)])]
    if gone:
        notes.append(
            "No cohort has a comparison for event time(s) "
            f"{', '.join(f'{e:+d}' for e in gone)}: too few weeks before/after the starts, or no "
            "comparison athlete left (not-yet-started athletes run out late in the panel)."
        )
    if control == "not_yet_treated" and n_never == 0:
        notes.append(
            "No athlete never starts: comparisons use athletes who start later, so the last "
            "cohort to start has no comparison after its start, and the latest event times rest "
            "on few cohorts."
        )

    starter = ~never
    if inference == "jackknife":
        se, df = _jackknife_se(est, jack, starter)
        cols = wald_columns(est, se, level, df=df)
        method = (
            "Standard errors: leave-one-athlete-out jackknife (cluster-robust by athlete, any "
            "serial correlation within an athlete); t intervals with Welch-Satterthwaite df over "
            f"the {n_start} starting and {n_never} never-starting athletes."
        )
    else:
        if inference == "influence":
            se = np.sqrt(np.sum(infl**2, axis=0)) / n
            method = ("Standard errors: analytic influence functions (the did package's "
                      "bstrap = FALSE), normal intervals; too narrow with few athletes.")
        else:
            gen = np.random.default_rng(rng)
            v = gen.choice([-1.0, 1.0], size=(int(n_boot), n))
            draws = v @ np.nan_to_num(infl) / n
            q = np.quantile(draws, [0.25, 0.75], axis=0)
            se = (q[1] - q[0]) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25))
            method = (f"Standard errors: multiplier bootstrap ({int(n_boot)} Rademacher draws by "
                      "athlete, interquartile-range SE, as the did package); normal intervals; "
                      "too narrow with few athletes.")
        se = np.where(np.isfinite(est), se, np.nan)
        cols = wald_columns(est, se, level, df=np.full(len(est), np.inf))
    ref = events.index(-1)
    for k in ("std_error", "ci_low", "ci_high", "p_value", "df"):
        cols[k] = cols[k].copy()
        cols[k][ref] = np.nan
    cols["ci_low"][ref] = cols["ci_high"][ref] = 0.0

    per = [f"week {e:+d} vs week -1" for e in events] + [
        f"mean of weeks -{leads} to -2 vs week -1", f"mean of weeks 0 to +{lags} vs week -1"]
    table = pd.DataFrame({"term": terms, **cols, "per": per})
    table = table[[*TABLE_COLUMNS, "df"]].assign(
        event_time=[float(e) for e in events] + [np.nan, np.nan],
        n_cohorts=info["n_cohorts"], n_treated=info["n_treated"])
    group_time = pd.DataFrame(
        [(c["g"], c["t"], c["t"] - c["g"], c["att"], c["n_t"], c["n_c"]) for c in cells],
        columns=["cohort", "time", "event_time", "att", "n_treated", "n_control"])
    group_time[["cohort", "time"]] = group_time[["cohort", "time"]].map(lambda k: weeks[int(k)])
    comparison = ("athletes who never start in the panel" if control == "never_treated" else
                  "athletes who have not started yet (never-starters included)")
    notes = [
        f"Estimand: the average change in {outcome} in the k-th week after a programme start "
        "among athletes who start, relative to their last week before the start, beyond the "
        f"change over the same weeks in {comparison} (Callaway & Sant'Anna 2021 ATT by event "
        "time; cohorts weighted by size). 'overall' averages weeks 0 to "
        f"+{lags}. It assumes parallel trends (without the programme, starters' {outcome} would "
        "have changed like the comparison athletes') and no anticipation; the event-<k> placebo "
        "rows and pre_average check the first.",
        method,
        *notes,
    ]
    raw = {"ids": ids, "cohort": cohort, "influence": infl, "jackknife": jack, "weeks": weeks,
           "terms": terms}
    return EventStudyResult(
        table=table, group_time=group_time, notes=tuple(notes), raw=raw, n_athletes=int(n),
        n_obs=int(observed.sum()), outcome=outcome, control=control, inference=inference,
        level=level)


def _wide(data: pd.DataFrame, *, outcome: str, start: Any, group: str, time: str):
    """Outcome matrix (athletes x grid weeks), start-week index per athlete (inf = never)."""
    d = data[[group, time, outcome] + ([start] if isinstance(start, str) else [])].copy()
    notes: list[str] = []
    if d[group].isna().any():
        raise ValueError(f"fit_event_study: {int(d[group].isna().sum())} row(s) have no {group!r}")
    if d[time].isna().any():
        raise ValueError(f"fit_event_study: {int(d[time].isna().sum())} row(s) have no {time!r}")
    if d.duplicated([group, time]).any():
        row = d.loc[d.duplicated([group, time])].iloc[0]
        raise ValueError(
            f"fit_event_study: more than one row for {group}={row[group]!r} at "
            f"{time}={row[time]!r}; aggregate to one row per athlete and week first.")
    t = d[time]
    is_dt = pd.api.types.is_datetime64_any_dtype(t)
    origin = t.min()
    step = pd.Timedelta(days=7) if is_dt else 1

    def index_of(values: pd.Series) -> np.ndarray:
        # floor: a start on a Wednesday counts from the week that contains it
        return np.floor(np.asarray((values - origin) / step, dtype=float))

    pos = index_of(t)
    if not np.allclose(pos, np.round(pos)):
        raise ValueError(
            f"fit_event_study: {time!r} is not on a weekly grid (values must be "
            f"{'7 days' if is_dt else '1'} apart). Use week_start (Monday) or a week counter.")
    pos = pos.astype(int)
    weeks = (pd.Index(origin + np.arange(pos.max() + 1) * step) if is_dt
             else pd.Index(origin + np.arange(pos.max() + 1)))
    ids = np.asarray(sorted(d[group].unique()), dtype=object)
    row_of = {a: i for i, a in enumerate(ids)}
    rows = d[group].map(row_of).to_numpy()
    y = np.full((len(ids), len(weeks)), np.nan)
    y[rows, pos] = pd.to_numeric(d[outcome], errors="coerce").to_numpy(dtype=float)

    if isinstance(start, str):
        if start not in data.columns:
            raise ValueError(f"fit_event_study: start column {start!r} not in the data; pass "
                             "the table of sol.programme_start(dose) or a column name.")
        per_athlete = d.groupby(group, sort=True)[start]
        if (per_athlete.nunique(dropna=False) > 1).any():
            bad = per_athlete.nunique(dropna=False)
            raise ValueError(
                f"fit_event_study: start column {start!r} differs between the rows of athlete "
                f"{bad[bad > 1].index[0]!r}; it must hold one start per athlete.")
        s = per_athlete.first().reindex(ids)
    elif isinstance(start, pd.DataFrame):
        col = "programme_start"
        if group not in start.columns or col not in start.columns:
            raise ValueError(
                f"fit_event_study: the start table needs columns {group!r} and {col!r} (as "
                f"sol.programme_start returns); it has {list(start.columns)}.")
        if start[group].duplicated().any():
            raise ValueError(f"fit_event_study: the start table has more than one row for "
                             f"{start.loc[start[group].duplicated(), group].iloc[0]!r}.")
        s = start.set_index(group)[col].reindex(ids)
        unknown = sorted(set(start[group]) - set(ids))
        if unknown:
            notes.append(f"{len(unknown)} athlete(s) of the start table have no row in the data.")
    else:
        raise TypeError("start must be a DataFrame (sol.programme_start) or a column name, not "
                        f"{type(start).__name__}")
    if is_dt:
        s = pd.to_datetime(s)
        if getattr(s.dt, "tz", None) is not None and getattr(t.dt, "tz", None) is None:
            s = s.dt.tz_localize(None)
    else:
        s = pd.to_numeric(s)
    starts = np.where(s.isna().to_numpy(), np.inf, index_of(s.fillna(origin)))
    return ids, weeks, y, starts, notes


def _cells(y: np.ndarray, observed: np.ndarray, cohort: np.ndarray, *, leads: int, lags: int,
           control: str) -> list[dict]:
    """Every estimable ATT(g, t): per-athlete differences, treated and comparison masks."""
    n_weeks = y.shape[1]
    cells = []
    for g in np.unique(cohort[np.isfinite(cohort)]):
        g = int(g)
        base = g - 1
        for e in range(-leads, lags + 1):
            t = g + e
            if e == -1 or t < 0 or t >= n_weeks:
                continue
            both = observed[:, t] & observed[:, base]
            treated = both & (cohort == g)
            if control == "never_treated":
                comp = both & ~np.isfinite(cohort)
            else:
                comp = both & (cohort > max(t, base)) & (cohort != g)
            if not treated.any() or not comp.any():
                continue
            diff = np.where(both, y[:, t] - y[:, base], 0.0)
            att = diff[treated].mean() - diff[comp].mean()
            cells.append({"g": g, "t": t, "e": e, "diff": diff, "treated": treated, "comp": comp,
                          "att": float(att), "n_t": int(treated.sum()), "n_c": int(comp.sum())})
    return cells


def _aggregate(cells: list[dict], cohort: np.ndarray, cohort_size: dict, events: list[int],
               n: int):
    """Event-time and summary estimates, their leave-one-out values and influence functions."""
    n_terms = len(events) + 2
    est = np.full(n_terms, np.nan)
    jack = np.full((n, n_terms), np.nan)
    infl = np.zeros((n, n_terms))
    n_cohorts = np.zeros(n_terms, dtype=int)
    n_treated = np.zeros(n_terms, dtype=int)
    for k, e in enumerate(events):
        mine = [c for c in cells if c["e"] == e]
        if e == -1:
            est[k] = 0.0
            jack[:, k] = 0.0
            continue
        if not mine:
            continue
        # weights: cohort sizes (the did package's P(G = g)), leave-one-out sizes for the jackknife
        size = np.array([cohort_size[c["g"]] for c in mine], dtype=float)
        atts = np.array([c["att"] for c in mine])
        est[k] = size @ atts / size.sum()
        n_cohorts[k] = len(mine)
        n_treated[k] = int(size.sum())
        num = np.zeros(n)
        den = np.zeros(n)
        for c, s in zip(mine, size, strict=True):
            t_mask, c_mask, d = c["treated"], c["comp"], c["diff"]
            nt, nc = c["n_t"], c["n_c"]
            st, sc = d[t_mask].sum(), d[c_mask].sum()
            nt_i = nt - t_mask
            nc_i = nc - c_mask
            with np.errstate(divide="ignore", invalid="ignore"):
                att_i = (st - d * t_mask) / nt_i - (sc - d * c_mask) / nc_i
            s_i = s - (cohort == c["g"])
            ok = (nt_i > 0) & (nc_i > 0) & (s_i > 0)
            num += np.where(ok, s_i * np.nan_to_num(att_i), 0.0)
            den += np.where(ok, s_i, 0.0)
            # influence function of the cell (difference of two means), scaled as in did
            mu_t, mu_c = st / nt, sc / nc
            if_cell = n * (t_mask * (d - mu_t) / nt - c_mask * (d - mu_c) / nc)
            infl[:, k] += s / size.sum() * if_cell
        with np.errstate(divide="ignore", invalid="ignore"):
            jack[:, k] = np.where(den > 0, num / den, np.nan)
        # influence of the estimated cohort weights (did's "wif")
        p = size / n
        member = np.column_stack([(cohort == c["g"]).astype(float) for c in mine])
        wif = (member - p) / p.sum() - np.outer((member - p).sum(axis=1), p) / p.sum() ** 2
        infl[:, k] += wif @ atts
    pre = [events.index(e) for e in events if e <= -2 and np.isfinite(est[events.index(e)])]
    post = [events.index(e) for e in events if e >= 0 and np.isfinite(est[events.index(e)])]
    for k, idx in ((n_terms - 2, pre), (n_terms - 1, post)):
        if idx:
            est[k] = est[idx].mean()
            part = jack[:, idx]
            count = np.isfinite(part).sum(axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                jack[:, k] = np.where(count > 0, np.nansum(part, axis=1) / count, np.nan)
            infl[:, k] = infl[:, idx].mean(axis=1)
            n_cohorts[k] = int(n_cohorts[idx].max())
            n_treated[k] = int(n_treated[idx].max())
    return est, jack, infl, {"n_cohorts": n_cohorts, "n_treated": n_treated}


def _jackknife_se(est: np.ndarray, jack: np.ndarray, starter: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Leave-one-athlete-out SE; Welch-Satterthwaite df over starting / never-starting athletes.

    Only athletes whose removal changes the estimate carry information on it; the jackknife
    factor ``(G - 1) / G`` uses their number ``G``.
    """
    se = np.full(len(est), np.nan)
    df = np.full(len(est), np.nan)
    for k in range(len(est)):
        if not np.isfinite(est[k]):
            continue
        j = jack[:, k]
        used = np.isfinite(j) & ~np.isclose(j, est[k], rtol=0, atol=1e-12 * (1 + abs(est[k])))
        g = int(used.sum())
        if g < 2:
            continue
        dev2 = (j[used] - j[used].mean()) ** 2
        factor = (g - 1) / g
        se[k] = np.sqrt(factor * dev2.sum())
        parts = [(factor * dev2[starter[used]].sum(), int(starter[used].sum())),
                 (factor * dev2[~starter[used]].sum(), int((~starter[used]).sum()))]
        parts = [(v, m) for v, m in parts if m > 0]
        num = sum(v for v, _ in parts) ** 2
        den = sum(v**2 / max(m - 1, 1) for v, m in parts)
        df[k] = max(num / den, 1.0) if den > 0 else g - 1
    return se, df
