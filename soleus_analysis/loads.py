"""Training loads per athlete-day: session RPE, EWMA acute and chronic load, ACWR, monotony and
strain, and the performance-management chart (fitness, fatigue, form).

Formulas and sources are in ``docs/methods.md`` §4.1 and §4.5-4.7. Conventions made explicit here:

Session RPE and double counting
-------------------------------
The load of a session is its CR-10 RPE x duration [min] in arbitrary units (Foster et al. 2001,
J Strength Cond Res 15(1):109-115; valid for resistance training, Day et al. 2004, J Strength Cond
Res 18(2):353-358). Sessions come from three tables:

- ``sessions`` (e.g. PMSys ``srpe.csv``, Fitbit activities): ``rpe`` x ``duration_s`` / 60.
- ``runs`` with an ``rpe``: duration = moving time, else elapsed time (as GoldenCheetah does).
- strength sessions (the sets of one ``session_start``): duration = ``session_duration_s``;
  RPE = a ``session_rpe`` column if the table has one. The RPE of a *set* is not a session RPE and
  is not used.

The **sRPE record** of an athlete is made of the sources (the ``source`` column, else the table)
that rate at least one of the athlete's sessions, e.g. PMSys. Sources that never rate a session
(activity trackers, GPX files, strength apps without a session RPE) do not measure sRPE load.

One session logged twice is counted once (``counted`` = False and ``duplicate_of`` on the copy):

1. the same source writes it to two tables with the same start (Fitbit: a run in ``runs`` and in
   ``sessions``): a rated copy is kept first, then sessions > runs > strength;
2. two rated ``sessions`` rows of different sources whose intervals overlap and whose kinds
   (running, strength, from the activity name) do not differ are one session rated twice (a
   Strava run with perceived exertion and the PMSys sRPE report of it): the row of the athlete's
   main sRPE source (the one with most rated sessions) is kept;
   then a session whose time interval, widened by ``match_window`` (default 60 min) on both
   sides, overlaps a rated
   ``sessions`` row (for a rated run or strength session), or any rated session (for an unrated
   one);
3. an unrated session and a rated session of *another* source of the same kind (running or
   strength, from the activity name) on the same local day: sRPE apps record the report time,
   often hours after the session. Two sessions of one source on one day stay two sessions.

Rest days and unrecorded days
-----------------------------
Load is summed per local day (the row's zone, else the athlete's, else ``tz``). An athlete is
*recording* load from the first to the last day with a rated session. Inside that period a day
without a session of the sRPE record is a **rest day (0)**; a day with a session of the record
whose load is unknown (no RPE or no duration) is **missing (NaN)**, never 0; sessions of sources
outside the record that match no rated session are counted in ``unrated_sessions`` and leave the
load as the record has it (a forgotten sRPE report shows there, not as missing). A run of more
than ``max_gap_days`` (default 14) consecutive days without *any* record (no session, run, set or
wellness entry) is unrecorded (NaN): a long silence is more likely a logging gap than two weeks of
rest. Outside the period every day is unrecorded and absent from the daily table.

Rolling metrics and minimum coverage
------------------------------------
Every rolling metric is computed from recorded days only and is missing unless at least
``min_coverage`` (default 5/7) of the days of its window were recorded: 5 of 7, 20 of 28 and 15 of
21 days. Windows reaching before the athlete's first day count those days as unrecorded.

- Rolling averages: acute = mean of days t-6..t; chronic coupled = mean of days t-27..t; chronic
  uncoupled = mean of days t-27..t-7 (Windt & Gabbett 2019, Br J Sports Med 53:988-990).
- EWMA: E_t = lambda x L_t + (1 - lambda) x E_{t-1}. ``convention="williams"``:
  lambda = 2/(N+1) with N = 7 and 28 (lambda = 0.25 and about 0.069; Williams et al. 2017, Br J
  Sports Med 51(3):209-210). ``"exponential"``: lambda = 1 - exp(-1/tau) with tau = N
  (GoldenCheetah, intervals.icu). ``"simple"``: lambda = 1/tau. An unrecorded day leaves the
  average unchanged (the update is skipped; the coverage rule then decides whether the value is
  reported). The convention is stamped in the output (``ewma_convention`` column and ``attrs``).
- EWMA start (``ewma_init``, :data:`EWMA_INITS`): ``"mean"`` (default) starts each average at
  the mean of the athlete's recorded loads over the first N days (7 for the acute, 28 for the
  chronic average); ``"first"`` at the first recorded load; ``"zero"`` at 0 the day before the
  athlete's first day (this package's behaviour before version 0.2, and a common spreadsheet
  one). A zero start biases both averages low for weeks, the chronic one much more: 28 days at
  50 AU then 7 at 100 give an ACWR of 1.42 against 1.34 from a started-at-the-level average. A
  value is missing until N days of the athlete's history have passed (the first N - 1 days), so
  the ``"mean"`` start uses no later day than the one it is reported on. **Warm-up**
  (``ewma_warmup`` column, True on its rows): the first N days (chronic N) for ``"mean"``; for
  ``"zero"`` and ``"first"``, the days until the start value weighs less than 5%
  (``ceil(log 0.05 / log(1 - lambda))``: 42 days for the Williams chronic average, 84 for the
  exponential tau = 28). Values in the warm-up are shown but flagged; leave them out of
  analyses.
- ACWR = acute / chronic, coupled or uncoupled, from rolling averages and from the EWMAs; missing
  when the chronic load is 0. **Critiques** (read before using a ratio): coupling the acute
  window into the chronic one creates a spurious correlation of about r = 0.5 between them (Lolli
  et al. 2019, Br J Sports Med 53:921-922); ratios have scaling and conceptual problems
  (Impellizzeri et al. 2020, Int J Sports Physiol Perform 15(6):907-913; Impellizzeri et al. 2021,
  Sports Med 51:581-592); model acute and chronic load as separate terms instead (Wang et al.
  2020, Sports Med 50:1243-1254). The panel therefore carries acute and chronic load, not the
  ratio.
- Monotony = mean / SD of the daily loads of the 7 days t-6..t, rest days (0) included (Foster
  1998, Med Sci Sports Exerc 30(7):1164-1168). SD is the **population** SD (``ddof=0``: the 7 days
  are the whole week, not a sample; ``ddof=1`` gives values sqrt(7/6) = 1.08x higher). A zero SD
  with training gives the cap (default 10, as fellrnr); every value is capped there; a week
  without any load has no monotony (NaN). Strain = 7 x mean daily load x monotony (= weekly load x
  monotony when all 7 days are recorded).
- PMC: CTL (fitness, tau = 42) and ATL (fatigue, tau = 7) are EWMAs of the daily load
  (``convention="exponential"`` by default: lambda = 0.023528 and 0.133122); TSB (form) on day t
  = CTL_{t-1} - ATL_{t-1} ("form tomorrow" of GoldenCheetah's default). Started at 0;
  ``pmc_burn_in`` marks the first 3 x tau_CTL days, whose values are biased low. CTL and ATL are
  missing when fewer than ``min_coverage`` of the last tau days of the athlete's record were
  recorded.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from soleus_analysis.errors import InputError
from soleus_analysis.timeutils import day_number, local_dates, row_zones, week_start

__all__ = [
    "CONVENTIONS",
    "EWMA_INITS",
    "acute_chronic",
    "daily_load",
    "ewma",
    "ewma_lambda",
    "ewma_warmup_days",
    "monotony_strain",
    "pmc",
    "session_loads",
    "training_loads",
]

CONVENTIONS = ("williams", "exponential", "simple")
#: How an EWMA of the acute / chronic load starts (see the module docstring).
EWMA_INITS = ("mean", "first", "zero")
_US_PER_DAY = 86_400_000_000


# --------------------------------------------------------------------------------------------
# smoothing primitives
# --------------------------------------------------------------------------------------------
def ewma_lambda(span: float, convention: str = "williams") -> float:
    """Smoothing factor lambda of an exponentially weighted moving average.

    Parameters
    ----------
    span : float
        N (``williams``) or tau (``exponential``, ``simple``) in days; > 0.
    convention : {"williams", "exponential", "simple"}
        ``williams``: 2/(N+1) (Williams et al. 2017); ``exponential``: 1 - exp(-1/tau)
        (GoldenCheetah, intervals.icu); ``simple``: 1/tau.

    Returns
    -------
    float

    Examples
    --------
    >>> round(ewma_lambda(7), 6), round(ewma_lambda(28), 4)
    (0.25, 0.069)
    >>> round(ewma_lambda(42, "exponential"), 6), round(ewma_lambda(7, "exponential"), 6)
    (0.023528, 0.133122)
    """
    if convention not in CONVENTIONS:
        raise ValueError(
            f"unknown EWMA convention {convention!r}; choose one of {', '.join(CONVENTIONS)}"
        )
    if not span > 0:
        raise ValueError(f"the EWMA span must be a positive number of days, got {span!r}")
    if convention == "williams":
        return 2.0 / (span + 1.0)
    if convention == "exponential":
        return 1.0 - math.exp(-1.0 / span)
    return 1.0 / span


def ewma(values, *, span: float, convention: str = "williams", seed: float = 0.0) -> np.ndarray:
    """EWMA of one daily series: E_t = lambda x L_t + (1 - lambda) x E_{t-1}, E_{-1} = seed.

    Missing days (NaN) leave the average unchanged.

    Parameters
    ----------
    values : array-like of float
        Daily loads, one per calendar day, in order.
    span, convention
        See :func:`ewma_lambda`.
    seed : float, default 0
        Value before the first day.

    Returns
    -------
    ndarray of float
        The average after each day.

    Examples
    --------
    >>> ewma([100.0, 0.0, np.nan, 200.0], span=7).tolist()
    [25.0, 18.75, 18.75, 64.0625]
    """
    x = np.asarray(values, dtype=float)
    lam = ewma_lambda(span, convention)
    out = np.empty_like(x)
    ok = ~np.isnan(x)
    if not ok.any():
        out[:] = seed
        return out
    smoothed = lfilter([lam], [1.0, lam - 1.0], x[ok], zi=np.array([(1.0 - lam) * seed]))[0]
    filled = np.full(x.shape, np.nan)
    filled[ok] = smoothed
    filled = pd.Series(filled).ffill().fillna(seed).to_numpy()
    return filled


def _min_days(window: int, min_coverage: float) -> int:
    if not 0 < min_coverage <= 1:
        raise ValueError(f"min_coverage must be in (0, 1], got {min_coverage!r}")
    return max(1, math.ceil(min_coverage * window - 1e-9))


# --------------------------------------------------------------------------------------------
# sessions -> days
# --------------------------------------------------------------------------------------------
_SESSION_COLUMNS = [
    "athlete_id",
    "start",
    "end",
    "timezone",
    "table",
    "row",
    "source",
    "activity",
    "kind",
    "duration_min",
    "rpe",
    "load_au",
    "counted",
    "duplicate_of",
    "rated_source",
]


def _frame_or_none(df, name):
    if df is None:
        return None
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{name} must be a DataFrame or None, not {type(df).__name__}")
    return df


def _need(df: pd.DataFrame, table: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InputError(
            f"the {table} table lacks the column(s) {', '.join(missing)}",
            fix=f"pass a validated {table} table (sol.validate(df, '{table}').valid)",
        )


def _num(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return pd.to_numeric(df[name]).astype(float)
    return pd.Series(np.nan, index=df.index, dtype=float)


def _text(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return df[name].astype(object)
    return pd.Series(None, index=df.index, dtype=object)


def _utc_values(values: pd.Series) -> np.ndarray:
    """UTC instants as naive datetime64[us] (no per-row objects)."""
    series = pd.Series(values)
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC").to_numpy(dtype="datetime64[us]")
    return pd.to_datetime(series, utc=True).dt.tz_convert("UTC").to_numpy(dtype="datetime64[us]")


def _source(df: pd.DataFrame, table: str) -> np.ndarray:
    """The exporting source of each row (``source`` column), else the table's name."""
    if "source" in df.columns:
        values = df["source"].to_numpy(dtype=object, na_value=None)
        return np.where(pd.isna(values), table, values).astype(object)
    return np.full(len(df), table, dtype=object)


def _parts(sessions, runs, strength_sets) -> list[pd.DataFrame]:
    parts = []
    if sessions is not None and len(sessions):
        _need(sessions, "sessions", ["athlete_id", "start", "duration_s"])
        parts.append(
            pd.DataFrame(
                {
                    "athlete_id": sessions["athlete_id"].to_numpy(dtype=object),
                    "start": _utc_values(sessions["start"]),
                    "timezone": _text(sessions, "timezone").to_numpy(),
                    "table": "sessions",
                    "row": sessions.index.to_numpy(),
                    "activity": _text(sessions, "activity").to_numpy(),
                    "source": _source(sessions, "sessions"),
                    "duration_s": _num(sessions, "duration_s").to_numpy(),
                    "rpe": _num(sessions, "rpe").to_numpy(),
                }
            )
        )
    if runs is not None and len(runs):
        _need(runs, "runs", ["athlete_id", "start"])
        moving = _num(runs, "moving_time_s")
        duration = moving.where(moving.notna(), _num(runs, "elapsed_time_s"))
        parts.append(
            pd.DataFrame(
                {
                    "athlete_id": runs["athlete_id"].to_numpy(dtype=object),
                    "start": _utc_values(runs["start"]),
                    "timezone": _text(runs, "timezone").to_numpy(),
                    "table": "runs",
                    "row": runs.index.to_numpy(),
                    "activity": "running",
                    "source": _source(runs, "runs"),
                    "duration_s": duration.to_numpy(),
                    "rpe": _num(runs, "rpe").to_numpy(),
                }
            )
        )
    if strength_sets is not None and len(strength_sets):
        _need(strength_sets, "strength_sets", ["athlete_id", "session_start"])
        # One row per session: the first non-missing value of each column among its sets.
        codes, uniques = pd.factorize(strength_sets["athlete_id"], use_na_sentinel=False)
        if "timezone" in strength_sets.columns:
            zone_codes, zone_names = pd.factorize(strength_sets["timezone"], use_na_sentinel=True)
        else:
            zone_codes, zone_names = np.full(len(strength_sets), -1), []
        sets = pd.DataFrame(
            {
                "athlete": codes,
                "start": _utc_values(strength_sets["session_start"]),
                "timezone": zone_codes,
                "row": np.arange(len(strength_sets)),
                "duration_s": _num(strength_sets, "session_duration_s").to_numpy(),
                "rpe": _num(strength_sets, "session_rpe").to_numpy(),
                "source": pd.factorize(_source(strength_sets, "strength_sets"))[0],
            }
        )
        source_names = pd.factorize(_source(strength_sets, "strength_sets"))[1]
        first = (
            sets.groupby(["athlete", "start"], sort=False)
            .agg(
                timezone=("timezone", "max"),
                row=("row", "first"),
                duration_s=("duration_s", "first"),
                rpe=("rpe", "first"),
                source=("source", "first"),
            )
            .reset_index()
        )
        first["source"] = np.asarray(source_names, dtype=object)[first["source"].to_numpy()]
        first["athlete_id"] = np.asarray(uniques, dtype=object)[first.pop("athlete").to_numpy()]
        zone_lookup = np.append(np.asarray(zone_names, dtype=object), [None])
        first["timezone"] = zone_lookup[
            np.where(first["timezone"] >= 0, first["timezone"], len(zone_lookup) - 1)
        ]
        first["row"] = strength_sets.index.to_numpy()[first["row"].to_numpy()]
        first["table"] = "strength_sets"
        first["activity"] = "strength"
        parts.append(first)
    return parts


def session_loads(
    sessions: pd.DataFrame | None = None,
    runs: pd.DataFrame | None = None,
    strength_sets: pd.DataFrame | None = None,
    *,
    match_window: pd.Timedelta | str = "60min",
    athletes: pd.DataFrame | None = None,
    tz: str = "UTC",
) -> pd.DataFrame:
    """Session-RPE load of every session, with sessions logged twice marked.

    Parameters
    ----------
    sessions, runs, strength_sets : DataFrame, optional
        Validated canonical tables. See the module docstring for which columns give the duration
        and the RPE of each, and for the double-counting rule.
    match_window : Timedelta or str, default "60min"
        How far apart a run or strength session and a ``sessions`` row may be and still be the
        same session.
    athletes, tz
        Zones for the same-day rule (rows without a ``timezone``).

    Returns
    -------
    DataFrame
        One row per session, sorted by athlete and start: ``athlete_id``, ``start`` and ``end``
        (UTC), ``timezone``, ``table`` (``sessions``, ``runs`` or ``strength_sets``), ``row`` (its
        row in that table; for strength, the first set's row), ``source``, ``activity``,
        ``kind`` (``running``, ``strength`` or missing), ``duration_min`` [min], ``rpe`` (CR-10),
        ``load_au`` [AU] = rpe x duration_min (missing when either is missing), ``counted``
        (False for the copy of a session logged twice), ``duplicate_of`` (``"<table> row N"``,
        with ``" (same day)"`` for rule 3) and ``rated_source`` (the row's source belongs to the
        athlete's sRPE record).

    Examples
    --------
    >>> t = pd.Timestamp("2024-05-06 07:00", tz="UTC")
    >>> s = pd.DataFrame({"athlete_id": ["a"], "start": [t], "activity": ["running"],
    ...                   "duration_s": [3000.0], "rpe": [4.0]})
    >>> r = pd.DataFrame({"athlete_id": ["a", "a"],
    ...                   "start": [t + pd.Timedelta("5min"), t + pd.Timedelta("1D")],
    ...                   "moving_time_s": [2900.0, 1800.0], "rpe": [5.0, 6.0]})
    >>> session_loads(s, r)[["table", "load_au", "counted", "duplicate_of"]]
          table  load_au  counted    duplicate_of
    0  sessions    200.0     True             NaN
    1      runs    241.7    False  sessions row 0
    2      runs    180.0     True             NaN
    """
    parts = _parts(
        _frame_or_none(sessions, "sessions"),
        _frame_or_none(runs, "runs"),
        _frame_or_none(strength_sets, "strength_sets"),
    )
    if not parts:
        empty = {c: pd.Series(dtype=object) for c in _SESSION_COLUMNS}
        return pd.DataFrame(empty)
    frame = pd.concat(parts, ignore_index=True)
    frame["start"] = pd.to_datetime(frame["start"], utc=True).dt.as_unit("us")
    frame["duration_min"] = frame["duration_s"] / 60.0
    frame["end"] = frame["start"] + pd.to_timedelta(frame["duration_s"].fillna(0.0), unit="s")
    frame["load_au"] = (frame["rpe"] * frame["duration_min"]).round(1)
    frame["counted"] = True
    frame["duplicate_of"] = pd.Series(pd.NA, index=frame.index, dtype="str")
    frame["kind"] = np.where(
        frame["table"] == "runs",
        "running",
        np.where(frame["table"] == "strength_sets", "strength", _kind(frame["activity"])),
    ).astype(object)
    frame["label"] = frame["table"] + " row " + frame["row"].map(_row_label).astype("str")
    rated = frame["load_au"].notna().to_numpy()
    # 1. One session in two tables of the same source (an activity tracker writes a run to both
    #    runs and sessions): keep one, a rated one first, then sessions > runs > strength.
    priority = frame["table"].map({"sessions": 0, "runs": 1, "strength_sets": 2}).to_numpy()
    order = np.lexsort((priority, ~rated))
    ranked = frame.iloc[order]
    twin = ranked.duplicated(["athlete_id", "start", "source"], keep="first")
    kept = ranked.drop_duplicates(["athlete_id", "start", "source"], keep="first")
    keep_label = ranked[["athlete_id", "start", "source"]].merge(
        kept[["athlete_id", "start", "source", "label"]], how="left"
    )["label"]
    twins = ranked.index[twin.to_numpy()]
    frame.loc[twins, "counted"] = False
    frame.loc[twins, "duplicate_of"] = keep_label.to_numpy()[twin.to_numpy()]
    window = pd.Timedelta(match_window)
    in_sessions = (frame["table"] == "sessions").to_numpy()
    # 2a. Two rated sessions-table rows of different sources whose intervals overlap, of the
    #     same kind, are one session rated twice (Strava's perceived exertion and a PMSys sRPE
    #     report of the same run): the athlete's main sRPE source (most rated sessions) keeps it.
    _merge_rated_twins(frame, rated & in_sessions)
    # 2b. A session overlapping (within the window) a rated sessions-table row is that session;
    #     an unrated one also matches rated runs and strength sessions.
    counted = frame["counted"].to_numpy(dtype=bool)
    targets_all = frame[counted & rated]
    matched = pd.Series(pd.NA, index=frame.index, dtype="str")
    for candidates, targets in (
        (frame[counted & rated & ~in_sessions], frame[counted & rated & in_sessions]),
        (frame[counted & ~rated], targets_all),
    ):
        if len(candidates) and len(targets):
            _match_overlap(candidates, targets, window, matched)
    # 3. An unrated session and a rated one of another source, of the same kind on the same
    #    local day, are one session: sRPE apps record the report time, often hours later. Two
    #    sessions of one source on a day are two sessions.
    unknown = frame.index[counted & ~rated & matched.isna().to_numpy()]
    if len(unknown) and len(targets_all):
        day = day_number(local_dates(frame["start"], row_zones(frame, athletes, tz)))
        keys = pd.DataFrame(
            {
                "athlete_id": frame["athlete_id"],
                "day": day,
                "kind": frame["kind"],
                "source": frame["source"],
            }
        )
        first = keys.loc[targets_all.index].assign(target=targets_all["label"].to_numpy())
        first = first[first["kind"].notna()].rename(columns={"source": "target_source"})
        same = (
            keys.loc[unknown]
            .reset_index(names="idx")
            .merge(first, on=["athlete_id", "day", "kind"])
        )
        same = same[same["source"] != same["target_source"]].drop_duplicates("idx")
        matched.loc[same["idx"].to_numpy()] = (same["target"] + " (same day)").to_numpy()
    dup = matched.notna()
    frame.loc[dup[dup].index, "counted"] = False
    frame.loc[dup[dup].index, "duplicate_of"] = matched[dup]
    # 4. The athlete's sRPE instruments: the sources that rate at least one of their sessions.
    frame["rated_source"] = (
        pd.Series(rated, index=frame.index)
        .groupby([frame["athlete_id"], frame["source"]])
        .transform("any")
    ).to_numpy(dtype=bool)
    out = frame.sort_values(["athlete_id", "start", "table"], kind="stable", ignore_index=True)
    return out[_SESSION_COLUMNS]


_RUNNING = r"run|jog|løp|lauf|trail|treadmill"
_STRENGTH = r"strength|gym|weight|lift|resist|styrke|kraft|calf"


def _kind(activity: pd.Series) -> np.ndarray:
    """``running``, ``strength`` or None from a free-text activity name."""
    text = activity.astype("str").str.lower().fillna("")
    return np.where(
        text.str.contains(_RUNNING, regex=True),
        "running",
        np.where(text.str.contains(_STRENGTH, regex=True), "strength", None),
    ).astype(object)


def _merge_rated_twins(frame: pd.DataFrame, eligible: np.ndarray) -> None:
    """Rule 2a of :func:`session_loads`: mark the copies of a session rated by two sources.

    Sources are ranked per athlete by their number of eligible rows (ties by name); a row is a
    copy when its interval overlaps (no widening) that of a counted row of a better-ranked source
    whose kind is the same or unknown.
    """
    rows = frame[eligible & frame["counted"].to_numpy(dtype=bool)]
    if rows.empty or rows["source"].nunique() < 2:
        return
    sizes = rows.groupby(["athlete_id", "source"], sort=True).size().rename("n").reset_index()
    sizes = sizes.sort_values(["athlete_id", "n", "source"], ascending=[True, False, True])
    sizes["rank"] = sizes.groupby("athlete_id").cumcount()
    rank = rows[["athlete_id", "source"]].merge(sizes, how="left")["rank"].to_numpy()
    unknown = rows["kind"].isna().to_numpy()
    for level in range(1, int(rank.max()) + 1):
        counted = frame.loc[rows.index, "counted"].to_numpy(dtype=bool)
        matched = pd.Series(pd.NA, index=frame.index, dtype="str")
        # A candidate of a known kind matches that kind or an unknown one; an unknown, any.
        for kind in (*pd.unique(rows["kind"].dropna()), None):
            if kind is None:
                mine, theirs = unknown, np.ones(len(rows), dtype=bool)
            else:
                mine = (rows["kind"] == kind).to_numpy(dtype=bool)
                theirs = mine | unknown
            candidates = rows[(rank == level) & mine]
            targets = rows[(rank < level) & counted & theirs]
            if len(candidates) and len(targets):
                _match_overlap(candidates, targets, pd.Timedelta(0), matched)
        hit = matched.notna()
        frame.loc[hit[hit].index, "counted"] = False
        frame.loc[hit[hit].index, "duplicate_of"] = matched[hit]


def _match_overlap(candidates, targets, window, matched: pd.Series) -> None:
    """Mark each candidate whose interval (widened by ``window``) overlaps a target's."""
    left = (
        candidates[["athlete_id", "start", "end"]]
        .reset_index(names="idx")
        .sort_values("start", kind="stable")
    )
    right = (
        targets[["athlete_id", "start", "end", "label"]]
        .rename(columns={"start": "t_start", "end": "t_end", "label": "target"})
        .sort_values("t_start", kind="stable")
    )
    for direction in ("backward", "forward"):
        near = pd.merge_asof(
            left, right, left_on="start", right_on="t_start", by="athlete_id", direction=direction
        )
        overlap = (near["t_start"] - window <= near["end"]) & (
            near["start"] - window <= near["t_end"]
        )
        hit = near[overlap.fillna(False).astype(bool)]
        todo = matched.loc[hit["idx"]].isna().to_numpy()
        matched.loc[hit["idx"].to_numpy()[todo]] = hit["target"].astype("str").to_numpy()[todo]


def _row_label(value) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _unique_pairs(athlete: pd.Series, days: np.ndarray) -> pd.DataFrame:
    """Distinct (athlete_id, day) pairs without converting every id to a Python object."""
    codes, uniques = pd.factorize(athlete, use_na_sentinel=False)
    first = int(days.min()) if len(days) else 0
    span = int(days.max()) - first + 1 if len(days) else 1
    keys = pd.unique(codes.astype("int64") * span + (days - first))
    return pd.DataFrame(
        {"athlete_id": np.asarray(uniques, dtype=object)[keys // span], "day": keys % span + first}
    )


def _has_known_load(sessions, runs, strength_sets) -> bool:
    """Whether any table can give a session of known load (cheap test before the real work)."""

    def known(df, rpe, duration):
        if df is None or not len(df) or rpe not in df.columns:
            return False
        durations = [c for c in duration if c in df.columns]
        return (
            bool((df[rpe].notna() & df[durations].notna().any(axis=1)).any())
            if durations
            else False
        )

    return (
        known(sessions, "rpe", ["duration_s"])
        or known(runs, "rpe", ["moving_time_s", "elapsed_time_s"])
        or known(strength_sets, "session_rpe", ["session_duration_s"])
    )


def _activity_days(tables: list[tuple[pd.DataFrame | None, str]], athletes, tz) -> pd.DataFrame:
    """(athlete_id, day number) of every record of any kind."""
    parts = []
    for df, column in tables:
        if df is None or not len(df) or column not in df.columns:
            continue
        if column == "date":
            days = day_number(df["date"])
        else:
            days = day_number(local_dates(df[column], row_zones(df, athletes, tz)))
        parts.append(_unique_pairs(df["athlete_id"], days))
    if not parts:
        return pd.DataFrame(
            {"athlete_id": pd.Series(dtype=object), "day": pd.Series(dtype="int64")}
        )
    return pd.concat(parts, ignore_index=True).drop_duplicates()


def _grid(spans: pd.DataFrame) -> pd.DataFrame:
    """Complete day grid from per-athlete ``first``..``last`` day numbers."""
    lengths = (spans["last"] - spans["first"] + 1).to_numpy(dtype="int64")
    athlete = np.repeat(spans["athlete_id"].to_numpy(dtype=object), lengths)
    offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
    day = np.repeat(spans["first"].to_numpy(dtype="int64"), lengths) + (
        np.arange(lengths.sum()) - offsets
    )
    return pd.DataFrame({"athlete_id": athlete, "day": day})


def daily_load(
    sessions: pd.DataFrame | None = None,
    runs: pd.DataFrame | None = None,
    strength_sets: pd.DataFrame | None = None,
    wellness: pd.DataFrame | None = None,
    *,
    athletes: pd.DataFrame | None = None,
    tz: str = "UTC",
    match_window: pd.Timedelta | str = "60min",
    max_gap_days: int | None = 14,
) -> pd.DataFrame:
    """Session-RPE load per athlete and local day on a complete calendar.

    Parameters
    ----------
    sessions, runs, strength_sets, wellness : DataFrame, optional
        Validated canonical tables. Sessions, runs and strength sessions give the load (see
        :func:`session_loads`); every record, wellness entries included, shows the athlete was
        logging on that day (gap rule).
    athletes : DataFrame, optional
        For the ``timezone`` of rows that carry none.
    tz : str, default "UTC"
        Zone of rows whose own and athlete's zone are unknown.
    match_window : Timedelta or str
        See :func:`session_loads`.
    max_gap_days : int or None, default 14
        A run of more than this many days without any record is unrecorded (NaN) rather than rest;
        None turns the rule off.

    Returns
    -------
    DataFrame
        One row per athlete and day from the athlete's first to last day with a known load,
        sorted: ``athlete_id``, ``date`` (local), ``week_start``, ``load_au`` [AU] (0 = rest day,
        NaN = not recorded or unknown), ``n_sessions`` (sessions of the sRPE record that day),
        ``unrated_sessions`` (other sessions that match none of them), ``status`` (``training``,
        ``rest``, ``unknown_load`` or ``gap``).

    Examples
    --------
    >>> s = pd.DataFrame({"athlete_id": "a",
    ...                   "start": pd.to_datetime(["2024-05-06T07:00Z", "2024-05-09T07:00Z"]),
    ...                   "activity": "running", "duration_s": [3600.0, 1800.0], "rpe": [5.0, 6.0]})
    >>> daily_load(s)[["date", "load_au", "status"]]
            date  load_au    status
    0 2024-05-06    300.0  training
    1 2024-05-07      0.0      rest
    2 2024-05-08      0.0      rest
    3 2024-05-09    180.0  training
    """
    columns = [
        "athlete_id",
        "date",
        "week_start",
        "load_au",
        "n_sessions",
        "unrated_sessions",
        "status",
    ]
    if _has_known_load(sessions, runs, strength_sets):
        loads = session_loads(
            sessions, runs, strength_sets, match_window=match_window, athletes=athletes, tz=tz
        )
        loads = loads[loads["counted"].astype(bool)]
    else:  # nothing can give a load: no recording period, no days
        loads = pd.DataFrame()
    if loads.empty:
        return pd.DataFrame(
            {
                "athlete_id": pd.Series(dtype=object),
                "date": pd.Series(dtype="datetime64[us]"),
                "week_start": pd.Series(dtype="datetime64[us]"),
                "load_au": pd.Series(dtype=float),
                "n_sessions": pd.Series(dtype="int64"),
                "unrated_sessions": pd.Series(dtype="int64"),
                "status": pd.Series(dtype=object),
            }
        )
    rated_source = loads["rated_source"].to_numpy(dtype=bool)
    known_load = loads["load_au"].notna().to_numpy()
    loads = loads.assign(
        day=day_number(local_dates(loads["start"], row_zones(loads, athletes, tz))),
        # A session of an sRPE instrument without a load leaves the day's load unknown; a session
        # of a source that never rates sessions is only counted as unrated.
        unknown=rated_source & ~known_load,
        scored=rated_source,
        unrated=~rated_source,
    )
    per_day = loads.groupby(["athlete_id", "day"], sort=False).agg(
        load_au=("load_au", "sum"),
        n_sessions=("scored", "sum"),
        unrated_sessions=("unrated", "sum"),
        unknown=("unknown", "any"),
    )
    per_day = per_day.reset_index()
    known = per_day[~per_day["unknown"] & (per_day["n_sessions"] > 0)]
    spans = known.groupby("athlete_id", sort=True)["day"].agg(first="min", last="max").reset_index()
    grid = _grid(spans)
    out = grid.merge(per_day, on=["athlete_id", "day"], how="left", sort=False)
    out["n_sessions"] = out["n_sessions"].fillna(0).astype("int64")
    out["unrated_sessions"] = out["unrated_sessions"].fillna(0).astype("int64")
    has_session = (out["n_sessions"] > 0).to_numpy()
    unknown = out["unknown"].fillna(False).astype(bool).to_numpy()
    load = np.where(
        has_session, np.where(unknown, np.nan, out["load_au"].to_numpy(dtype=float)), 0.0
    )
    status = np.where(has_session, np.where(unknown, "unknown_load", "training"), "rest").astype(
        object
    )
    has_session = has_session | (out["unrated_sessions"] > 0).to_numpy()
    if max_gap_days is not None and len(out):
        active_days = _activity_days(
            [
                (sessions, "start"),
                (runs, "start"),
                (strength_sets, "session_start"),
                (wellness, "date"),
            ],
            athletes,
            tz,
        )
        active_days["active"] = True
        active = out[["athlete_id", "day"]].merge(
            active_days, on=["athlete_id", "day"], how="left"
        )["active"]
        active = active.fillna(False).astype(bool).to_numpy() | has_session
        first_of_athlete = np.r_[
            True, out["athlete_id"].to_numpy()[1:] != out["athlete_id"].to_numpy()[:-1]
        ]
        block = np.cumsum(active | first_of_athlete)
        idle = (~active).astype("int64")
        run_length = pd.Series(idle).groupby(block).transform("sum").to_numpy()
        gap = ~active & (run_length > max_gap_days)
        load = np.where(gap, np.nan, load)
        status = np.where(gap, "gap", status)
    dates = (out["day"].to_numpy(dtype="int64") * _US_PER_DAY).view("datetime64[us]")
    result = pd.DataFrame(
        {
            "athlete_id": out["athlete_id"].to_numpy(dtype=object),
            "date": dates,
            "load_au": load,
            "n_sessions": out["n_sessions"].to_numpy(),
            "unrated_sessions": out["unrated_sessions"].to_numpy(),
            "status": status,
        }
    )
    result.insert(2, "week_start", week_start(result["date"]))
    return result[columns]


# --------------------------------------------------------------------------------------------
# rolling metrics on the daily table
# --------------------------------------------------------------------------------------------
def _check_daily(daily: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    _need(daily, "daily load", ["athlete_id", "date", "load_au"])
    athlete = daily["athlete_id"].to_numpy(dtype=object)
    days = day_number(daily["date"])
    same = athlete[1:] == athlete[:-1]
    if len(daily) > 1 and not np.all(np.where(same, np.diff(days) == 1, True)):
        raise ValueError(
            "the daily table must hold one row per athlete and calendar day, consecutive and "
            "sorted "
            "by athlete_id and date; build it with sol.daily_load()"
        )
    if len(daily) > 1:
        starts = np.r_[True, ~same]
        if pd.Series(athlete[starts]).duplicated().any():
            raise ValueError(
                "each athlete's days must be contiguous in the daily table; "
                "sort by athlete_id, date"
            )
    codes = pd.factorize(athlete)[0]
    return codes, np.asarray(daily["load_au"], dtype=float)


def _rolling(
    codes: np.ndarray, values: np.ndarray, window: int, min_days: int, how: str, ddof: int = 0
):
    s = pd.Series(values)
    roll = s.groupby(codes, sort=False).rolling(window, min_periods=min_days)
    out = roll.std(ddof=ddof) if how == "std" else getattr(roll, how)()
    return out.droplevel(0).sort_index().to_numpy()


def _position(codes: np.ndarray) -> np.ndarray:
    return pd.Series(codes).groupby(codes, sort=False).cumcount().to_numpy()


def _start_value(values: np.ndarray, span: float, init: str) -> float:
    """The EWMA's value before the first day: 0, the first recorded load or the first-N mean."""
    recorded = values[~np.isnan(values)]
    if init == "zero" or not len(recorded):
        return 0.0
    if init == "first":
        return float(recorded[0])
    head = values[: max(1, int(round(span)))]
    head = head[~np.isnan(head)]
    return float(head.mean()) if len(head) else float(recorded[0])


def ewma_warmup_days(span: float, convention: str = "williams", init: str = "mean") -> int:
    """Days of an athlete's history inside the warm-up of an EWMA (module docstring).

    Examples
    --------
    >>> ewma_warmup_days(28), ewma_warmup_days(28, init="zero")
    (28, 42)
    >>> ewma_warmup_days(28, "exponential", init="zero")
    84
    """
    if init not in EWMA_INITS:
        raise ValueError(f"unknown EWMA start {init!r}; choose one of {', '.join(EWMA_INITS)}")
    if init == "mean":
        return max(1, int(round(span)))
    lam = ewma_lambda(span, convention)
    return max(int(round(span)), math.ceil(math.log(0.05) / math.log(1.0 - lam) - 1e-9))


def _grouped_ewma(
    codes: np.ndarray, values: np.ndarray, span: float, convention: str, init: str = "zero"
) -> np.ndarray:
    out = np.empty_like(values)
    bounds = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1], True])
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        seed = _start_value(values[lo:hi], span, init)
        out[lo:hi] = ewma(values[lo:hi], span=span, convention=convention, seed=seed)
    return out


def _shift(codes: np.ndarray, values: np.ndarray, lag: int) -> np.ndarray:
    return pd.Series(values).groupby(codes, sort=False).shift(lag).to_numpy()


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / den, np.nan)


def acute_chronic(
    daily: pd.DataFrame,
    *,
    acute_days: int = 7,
    chronic_days: int = 28,
    convention: str = "williams",
    min_coverage: float = 5 / 7,
    ewma_init: str = "mean",
) -> pd.DataFrame:
    """Acute and chronic load and the acute:chronic ratios (coupled and uncoupled).

    Parameters
    ----------
    daily : DataFrame
        :func:`daily_load` output (complete calendar per athlete, ``load_au`` NaN = unrecorded).
    acute_days, chronic_days : int
        Window N (rolling average) and EWMA span N / tau.
    convention : {"williams", "exponential", "simple"}
        EWMA convention (see :func:`ewma_lambda`).
    min_coverage : float, default 5/7
        Share of recorded days a window needs.
    ewma_init : {"mean", "first", "zero"}, default "mean"
        How the EWMAs start (module docstring). ``"zero"`` was the default before 0.2.

    Returns
    -------
    DataFrame
        Same index as ``daily``: ``acute_mean_au``, ``chronic_mean_au`` (coupled, days t-27..t),
        ``chronic_uncoupled_au`` (days t-27..t-7), ``acwr_coupled``, ``acwr_uncoupled``,
        ``acute_ewma_au``, ``chronic_ewma_au``, ``acwr_ewma`` [AU/day and ratios], and
        ``ewma_warmup`` (True on the rows inside the chronic EWMA's warm-up). The ratios are
        shown for completeness; see the critiques in the module docstring and model acute and
        chronic load as separate terms (:mod:`soleus_analysis.outcomes.acwr_diagnostics` has
        the coupling and random-denominator checks). ``attrs``: ``ewma_convention``,
        ``ewma_init``, ``ewma_warmup_days``.

    Examples
    --------
    >>> d = pd.DataFrame({"athlete_id": "a", "date": pd.date_range("2024-01-01", periods=35),
    ...                   "load_au": [50.0] * 28 + [100.0] * 7})
    >>> out = acute_chronic(d)
    >>> round(float(out["acwr_ewma"].iloc[-1]), 2)  # EWMAs started at the first-N mean
    1.34
    >>> round(float(acute_chronic(d, ewma_init="zero")["acwr_ewma"].iloc[-1]), 2)
    1.42
    >>> int(out["ewma_warmup"].sum())  # the first 28 days
    28
    """
    if ewma_init not in EWMA_INITS:
        raise ValueError(
            f"unknown EWMA start {ewma_init!r}; choose one of {', '.join(EWMA_INITS)}"
        )
    codes, load = _check_daily(daily)
    acute_min = _min_days(acute_days, min_coverage)
    chronic_min = _min_days(chronic_days, min_coverage)
    tail = chronic_days - acute_days
    tail_min = _min_days(tail, min_coverage)
    acute = _rolling(codes, load, acute_days, acute_min, "mean")
    chronic = _rolling(codes, load, chronic_days, chronic_min, "mean")
    uncoupled = _shift(codes, _rolling(codes, load, tail, tail_min, "mean"), acute_days)
    recorded = (~np.isnan(load)).astype(float)
    position = _position(codes)
    out = pd.DataFrame(index=daily.index)
    out["acute_mean_au"] = acute
    out["chronic_mean_au"] = chronic
    out["chronic_uncoupled_au"] = uncoupled
    out["acwr_coupled"] = _ratio(acute, chronic)
    out["acwr_uncoupled"] = _ratio(acute, uncoupled)
    for name, span, need in (
        ("acute_ewma_au", acute_days, acute_min),
        ("chronic_ewma_au", chronic_days, chronic_min),
    ):
        smooth = _grouped_ewma(codes, load, span, convention, ewma_init)
        covered = _rolling(codes, recorded, span, 1, "sum") >= need
        out[name] = np.where(covered & (position >= span - 1), smooth, np.nan)
    out["acwr_ewma"] = _ratio(out["acute_ewma_au"].to_numpy(), out["chronic_ewma_au"].to_numpy())
    warmup = ewma_warmup_days(chronic_days, convention, ewma_init)
    out["ewma_warmup"] = position < warmup
    out.attrs["ewma_convention"] = convention
    out.attrs["ewma_init"] = ewma_init
    out.attrs["ewma_warmup_days"] = warmup
    return out


def monotony_strain(
    daily: pd.DataFrame,
    *,
    days: int = 7,
    min_coverage: float = 5 / 7,
    ddof: int = 0,
    cap: float = 10.0,
) -> pd.DataFrame:
    """Foster's training monotony and strain over the last ``days`` days.

    Parameters
    ----------
    daily : DataFrame
        :func:`daily_load` output.
    days : int, default 7
        Window length.
    min_coverage : float, default 5/7
        Share of recorded days the window needs.
    ddof : int, default 0
        0 = population SD (default), 1 = sample SD.
    cap : float, default 10
        Upper limit of monotony (a zero SD with training gives the cap).

    Returns
    -------
    DataFrame
        Same index: ``monotony`` (mean / SD of daily load, rest days included; NaN when the window
        holds no load at all) and ``strain_au`` = days x mean daily load x monotony [AU].

    Examples
    --------
    >>> d = pd.DataFrame({"athlete_id": "a", "date": pd.date_range("2024-01-01", periods=7),
    ...                   "load_au": [300.0, 0, 400, 0, 500, 200, 0]})
    >>> monotony_strain(d).iloc[-1].round(4).tolist()  # mean 200, population SD 192.7248
    [1.0377, 1452.8487]
    """
    codes, load = _check_daily(daily)
    need = _min_days(days, min_coverage)
    mean = _rolling(codes, load, days, need, "mean")
    sd = _rolling(codes, load, days, need, "std", ddof=ddof)
    with np.errstate(divide="ignore", invalid="ignore"):
        mono = np.where(sd > 0, mean / sd, np.where(mean > 0, cap, np.nan))
    mono = np.where(np.isnan(mean), np.nan, np.minimum(mono, cap))
    strain = np.where(mean == 0, 0.0, days * mean * mono)
    out = pd.DataFrame({"monotony": mono, "strain_au": strain}, index=daily.index)
    return out


def pmc(
    daily: pd.DataFrame,
    *,
    ctl_days: float = 42,
    atl_days: float = 7,
    convention: str = "exponential",
    min_coverage: float = 5 / 7,
) -> pd.DataFrame:
    """Performance-management chart: fitness (CTL), fatigue (ATL) and form (TSB).

    Parameters
    ----------
    daily : DataFrame
        :func:`daily_load` output.
    ctl_days, atl_days : float, default 42 and 7
        Time constants (tau, or N for the Williams convention).
    convention : {"exponential", "williams", "simple"}, default "exponential"
        See :func:`ewma_lambda`.
    min_coverage : float, default 5/7
        CTL (ATL) is reported only when at least this share of the last ``ctl_days``
        (``atl_days``) days of the athlete's record was recorded. Unlike the ACWR windows, days
        before the athlete's first day do not count against it: the start is flagged by
        ``pmc_burn_in`` instead.

    Returns
    -------
    DataFrame
        Same index: ``ctl_au``, ``atl_au`` (EWMAs started at 0; an unrecorded day leaves them
        unchanged), ``tsb_au`` = CTL_{t-1} - ATL_{t-1} (0 on the first day) [AU/day], and
        ``pmc_burn_in`` (True during the first 3 x ``ctl_days`` days).

    Examples
    --------
    >>> d = pd.DataFrame({"athlete_id": "a", "date": pd.date_range("2024-01-01", periods=3),
    ...                   "load_au": [100.0, 0, 0]})
    >>> pmc(d)[["ctl_au", "atl_au", "tsb_au"]].round(4).values.tolist()[:2]
    [[2.3528, 13.3122, 0.0], [2.2975, 11.5401, -10.9594]]
    """
    codes, load = _check_daily(daily)
    _min_days(7, min_coverage)  # validates min_coverage
    position = _position(codes)
    recorded = (~np.isnan(load)).astype(float)

    def covered(span: float) -> np.ndarray:
        window = max(1, int(round(span)))
        seen = _rolling(codes, recorded, window, 1, "sum")
        return seen >= min_coverage * np.minimum(window, position + 1) - 1e-9

    ctl = np.where(covered(ctl_days), _grouped_ewma(codes, load, ctl_days, convention), np.nan)
    atl = np.where(covered(atl_days), _grouped_ewma(codes, load, atl_days, convention), np.nan)
    tsb = _shift(codes, ctl - atl, 1)
    tsb = np.where(position == 0, 0.0, tsb)
    out = pd.DataFrame({"ctl_au": ctl, "atl_au": atl, "tsb_au": tsb}, index=daily.index)
    out["pmc_burn_in"] = position < 3 * ctl_days
    out.attrs["pmc_convention"] = convention
    return out


def training_loads(
    daily: pd.DataFrame,
    *,
    convention: str = "williams",
    acute_days: int = 7,
    chronic_days: int = 28,
    min_coverage: float = 5 / 7,
    monotony_ddof: int = 0,
    monotony_cap: float = 10.0,
    pmc_convention: str = "exponential",
    ctl_days: float = 42,
    atl_days: float = 7,
    ewma_init: str = "mean",
) -> pd.DataFrame:
    """All daily load metrics in one table.

    Parameters
    ----------
    daily : DataFrame
        :func:`daily_load` output.
    convention : {"williams", "exponential", "simple"}, default "williams"
        EWMA convention of the acute and chronic load; stamped in ``ewma_convention`` and
        ``attrs``.
    acute_days, chronic_days, min_coverage
        See :func:`acute_chronic`.
    monotony_ddof, monotony_cap
        See :func:`monotony_strain`.
    pmc_convention, ctl_days, atl_days
        See :func:`pmc`.
    ewma_init : {"mean", "first", "zero"}, default "mean"
        Start of the acute and chronic EWMAs (see :func:`acute_chronic`); the PMC keeps its
        zero start and ``pmc_burn_in`` flag.

    Returns
    -------
    DataFrame
        ``daily`` with the columns of :func:`acute_chronic`, :func:`monotony_strain` and
        :func:`pmc` added, and ``ewma_convention``. ``attrs`` holds every parameter.
    """
    ac = acute_chronic(
        daily,
        acute_days=acute_days,
        chronic_days=chronic_days,
        convention=convention,
        min_coverage=min_coverage,
        ewma_init=ewma_init,
    )
    ms = monotony_strain(daily, min_coverage=min_coverage, ddof=monotony_ddof, cap=monotony_cap)
    pm = pmc(
        daily,
        ctl_days=ctl_days,
        atl_days=atl_days,
        convention=pmc_convention,
        min_coverage=min_coverage,
    )
    out = pd.concat([daily, ac, ms, pm], axis=1)
    out["ewma_convention"] = convention
    out.attrs = {
        "ewma_convention": convention,
        "ewma_init": ewma_init,
        "ewma_warmup_days": ac.attrs["ewma_warmup_days"],
        "acute_days": acute_days,
        "chronic_days": chronic_days,
        "min_coverage": min_coverage,
        "monotony_ddof": monotony_ddof,
        "monotony_cap": monotony_cap,
        "pmc_convention": pmc_convention,
        "ctl_days": ctl_days,
        "atl_days": atl_days,
    }
    return out
