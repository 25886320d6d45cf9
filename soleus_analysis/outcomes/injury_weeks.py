"""The injury panel: counting-process rows (start, stop] per athlete and week, cut at injuries.

:func:`injury_panel` turns a study (``sol.open_study``) or its canonical tables into the table that
:func:`~soleus_analysis.outcomes.time_to_event.fit_time_to_injury`,
:func:`~soleus_analysis.outcomes.injury_rate.fit_injury_rate` and
:func:`~soleus_analysis.outcomes.survival.survival_curve` take: one row per athlete and week of
follow-up, cut after each injury day, with the week's exposure hours and the covariates **as they
were before the week began** (an injury changes the training of its own week, so this week's load
would partly be a consequence of the injury).

Definitions
-----------
- **Injury onsets**: the ``injuries`` table (``athlete_id``, ``date`` of onset, optional
  ``body_part`` / ``area`` and ``days_lost``), or, without it, the first report of each PMSys
  episode (:func:`soleus_analysis.injury_reports`, ``new_episode``). A PMSys onset is the date of
  the questionnaire that first named the area: the injury happened on or before it. Episodes
  already named at an athlete's first questionnaire began before follow-up and are left out.
- **Follow-up** of an athlete: the days of the daily-load record (first to last day with a
  rated session, :func:`soleus_analysis.daily_load`); with PMSys injuries also only from the
  first to the last injury questionnaire (no questionnaire, no ascertainment).
- **Time**: ``time_scale="calendar"`` (default): days since the study's first follow-up day, so
  athletes are compared on the same dates (season effects cancel in the Cox model) and late
  starters enter late (delayed entry); ``"athlete"``: days since the athlete's own first day.
  A day ``d`` is the interval ``(d, d + 1]``; an injury on day ``d`` is an event at ``d + 1``.
- **Recurrent injuries**: after an injury the athlete is at risk again (Andersen-Gill) from the
  next day, or after ``days_lost`` days when the injury file gives them (time lost is not time
  at risk). ``injury_number`` counts earlier onsets (0 = before the first injury: keep those rows
  for time to a first injury).
- **Exposure**: hours of the sessions, runs and strength sessions that day (each session once,
  :func:`soleus_analysis.session_loads`), summed over the interval's days.
- **Covariates** (before the week): ``soleus_sets_prev_week`` (soleus sets of the previous
  Monday-Sunday week, :func:`soleus_analysis.weekly`; 0 for a week without soleus sets when the
  study has a strength-training table, missing when it has none and in an athlete's first week
  of follow-up), ``run_km_prev_week``,
  ``load_prev_week_au`` (sRPE load of the previous 7 days; missing with fewer than 5 recorded),
  and from :func:`soleus_analysis.training_loads` on the day before the week:
  ``acute_load_au`` and ``chronic_load_au`` (EWMAs), ``acwr_ewma``, ``acwr_uncoupled`` and
  ``ewma_warmup`` (True inside the chronic EWMA's warm-up).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from soleus_analysis.dose import soleus_dose, weekly
from soleus_analysis.injuries import injury_reports
from soleus_analysis.loads import daily_load, session_loads, training_loads
from soleus_analysis.timeutils import local_dates, row_zones, week_start

__all__ = ["INJURY_PANEL_COLUMNS", "counting_process", "injury_panel", "weekly_covariates"]

INJURY_PANEL_COLUMNS = (
    "athlete_id", "week_start", "week", "start", "stop", "event", "n_injuries", "injury_number",
    "days_at_risk", "exposure_h", "soleus_sets_prev_week", "run_km_prev_week",
    "load_prev_week_au", "acute_load_au", "chronic_load_au", "acwr_ewma", "acwr_uncoupled",
    "ewma_warmup",
)
_DAY = np.timedelta64(1, "D")


def _tables(study_or_tables) -> tuple[dict[str, pd.DataFrame], pd.DataFrame | None,
                                      pd.DataFrame | None]:
    """Canonical tables, daily loads and per-set dose from a Study or a mapping of tables."""
    if isinstance(study_or_tables, Mapping):
        return dict(study_or_tables), None, None
    tables = getattr(study_or_tables, "tables", None)
    if not isinstance(tables, Mapping):
        raise TypeError(
            "injury_panel needs a study (sol.open_study) or a dict of canonical tables "
            f"(athletes, strength_sets, runs, sessions, wellness), not "
            f"{type(study_or_tables).__name__}")
    return (dict(tables), getattr(study_or_tables, "daily_loads", None),
            getattr(study_or_tables, "dose", None))


def _onsets(injuries, wellness, body_parts) -> tuple[pd.DataFrame, pd.DataFrame | None, str]:
    """Onset rows (athlete_id, date, days_lost) and the questionnaire span (PMSys only)."""
    span = None
    if injuries is None:
        if wellness is None or "injury" not in wellness.columns:
            raise ValueError(
                "injury_panel: no injuries table and no wellness 'injury' column (PMSys "
                "injury.csv); pass injuries= a table with athlete_id and date of onset")
        reports = injury_reports(wellness)
        asked = wellness.loc[wellness["injury"].notna(), ["athlete_id", "date"]]
        span = asked.groupby("athlete_id")["date"].agg(first="min", last="max")
        onsets = reports.loc[reports["new_episode"]].copy()
        # an episode named at the athlete's first questionnaire began before follow-up:
        # prevalent, not a new injury
        prevalent = int((onsets["questionnaire"] == 0).sum())
        onsets = onsets.loc[onsets["questionnaire"] > 0]
        onsets["days_lost"] = np.nan
        source = "PMSys injury reports (first report of each episode)"
        if prevalent:
            source += (f"; {prevalent} episode(s) already reported at an athlete's first "
                       "questionnaire left out as prevalent, not new")
    else:
        missing = [c for c in ("athlete_id", "date") if c not in injuries.columns]
        if missing:
            raise ValueError(f"injury_panel: the injuries table lacks {missing}; it needs "
                             "athlete_id and date (the onset), optionally body_part and "
                             "days_lost")
        onsets = injuries.copy()
        if "days_lost" not in onsets:
            onsets["days_lost"] = np.nan
        source = "the injuries table"
    onsets["date"] = pd.to_datetime(onsets["date"]).dt.normalize()
    if getattr(onsets["date"].dt, "tz", None) is not None:
        onsets["date"] = onsets["date"].dt.tz_localize(None)
    if body_parts is not None:
        part = onsets["body_part"] if "body_part" in onsets else onsets.get("area")
        if part is None:
            raise ValueError("body_parts= needs a body_part or area column in the injuries")
        onsets = onsets.loc[part.isin(list(body_parts))]
    return onsets[["athlete_id", "date", "days_lost"]], span, source


def weekly_covariates(
    tables: Mapping[str, pd.DataFrame],
    *,
    daily: pd.DataFrame | None = None,
    dose: pd.DataFrame | None = None,
    tz: str = "UTC",
    ewma: str = "williams",
    ewma_init: str = "mean",
    max_gap_days: int | None = 14,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per athlete-day exposure and per athlete-week covariates (the first stage of the panel).

    Returns
    -------
    tuple of pandas.DataFrame
        ``days``: ``athlete_id``, ``date`` (local), ``week_start``, ``exposure_h`` (hours of
        sessions that day), one row per day of the daily-load record. ``weeks``: ``athlete_id``,
        ``week_start`` and the covariate columns of the module docstring.
    """
    athletes = tables.get("athletes")
    sets = tables.get("strength_sets")
    runs = tables.get("runs")
    sessions = tables.get("sessions")
    wellness = tables.get("wellness")
    if daily is None or "ewma_warmup" not in daily.columns or "acute_ewma_au" not in daily:
        base = daily_load(sessions, runs, sets, wellness, athletes=athletes, tz=tz,
                          max_gap_days=max_gap_days)
        daily = training_loads(base, convention=ewma, ewma_init=ewma_init)
    if daily.empty:
        raise ValueError("injury_panel: no daily training loads (no rated sessions), so no "
                         "follow-up period")
    daily = daily.sort_values(["athlete_id", "date"], kind="stable").reset_index(drop=True)
    days = daily[["athlete_id", "date", "week_start"]].copy()
    days["date"] = pd.to_datetime(days["date"]).dt.as_unit("us")
    days["week_start"] = pd.to_datetime(days["week_start"]).dt.as_unit("us")
    # exposure hours per local day
    counted = session_loads(sessions, runs, sets, athletes=athletes, tz=tz)
    if len(counted):
        counted = counted.loc[counted["counted"].astype(bool)]
        local = local_dates(counted["start"], row_zones(counted, athletes, tz))
        hours = (pd.DataFrame({"athlete_id": counted["athlete_id"].to_numpy(),
                               "date": local.to_numpy(),
                               "exposure_h": counted["duration_min"].to_numpy(float) / 60.0})
                 .groupby(["athlete_id", "date"], as_index=False)["exposure_h"].sum())
        hours["date"] = pd.to_datetime(hours["date"]).dt.as_unit("us")
        days = days.merge(hours, on=["athlete_id", "date"], how="left")
    else:
        days["exposure_h"] = np.nan
    days["exposure_h"] = days["exposure_h"].fillna(0.0)
    # loads on the day before each week (Sunday)
    cols = ["acute_ewma_au", "chronic_ewma_au", "acwr_ewma", "acwr_uncoupled", "ewma_warmup"]
    sunday = daily[["athlete_id", "date", *cols]].copy()
    sunday["week_start"] = (pd.to_datetime(sunday["date"]) + _DAY).dt.as_unit("us")
    sunday = sunday.loc[sunday["week_start"].dt.day_of_week == 0].drop(columns="date")
    prev7 = daily.groupby("athlete_id", sort=False)["load_au"].rolling(7, min_periods=5).sum()
    sunday_load = daily[["athlete_id", "date"]].assign(
        load_prev_week_au=prev7.droplevel(0).sort_index().to_numpy())
    sunday_load["week_start"] = (pd.to_datetime(sunday_load["date"]) + _DAY).dt.as_unit("us")
    weeks = days[["athlete_id", "week_start"]].drop_duplicates().reset_index(drop=True)
    weeks = weeks.merge(sunday.rename(columns={"acute_ewma_au": "acute_load_au",
                                               "chronic_ewma_au": "chronic_load_au"}),
                        on=["athlete_id", "week_start"], how="left")
    weeks = weeks.merge(sunday_load.drop(columns="date"), on=["athlete_id", "week_start"],
                        how="left")
    weeks["ewma_warmup"] = weeks["ewma_warmup"].fillna(True).astype(bool)
    # soleus sets of the previous week
    if sets is not None:
        dose_week = weekly(dose if dose is not None else soleus_dose(sets, athletes, tz=tz))
        prev = dose_week[["athlete_id", "week_start", "soleus_sets"]].copy()
        prev["week_start"] = (pd.to_datetime(prev["week_start"]) + 7 * _DAY).dt.as_unit("us")
        weeks = weeks.merge(prev.rename(columns={"soleus_sets": "soleus_sets_prev_week"}),
                            on=["athlete_id", "week_start"], how="left")
        weeks["soleus_sets_prev_week"] = weeks["soleus_sets_prev_week"].fillna(0.0)
    else:
        weeks["soleus_sets_prev_week"] = np.nan
    if runs is not None and len(runs):
        local = local_dates(runs["start"], row_zones(runs, athletes, tz))
        km = pd.DataFrame({"athlete_id": runs["athlete_id"].to_numpy(),
                           "week_start": (week_start(local) + 7 * _DAY).to_numpy(),
                           "run_km_prev_week": pd.to_numeric(runs["distance_m"]).to_numpy(float)
                           / 1000.0})
        km = km.groupby(["athlete_id", "week_start"], as_index=False)["run_km_prev_week"].sum()
        km["week_start"] = pd.to_datetime(km["week_start"]).dt.as_unit("us")
        weeks = weeks.merge(km, on=["athlete_id", "week_start"], how="left")
        weeks["run_km_prev_week"] = weeks["run_km_prev_week"].fillna(0.0)
    else:
        weeks["run_km_prev_week"] = np.nan
    # the week before an athlete's first week is outside the record: unknown, not 0
    first = weeks.groupby("athlete_id")["week_start"].transform("min")
    weeks.loc[weeks["week_start"] == first, ["soleus_sets_prev_week", "run_km_prev_week"]] = np.nan
    return days, weeks


def counting_process(
    days: pd.DataFrame,
    weeks: pd.DataFrame,
    onsets: pd.DataFrame,
    *,
    time_scale: str = "calendar",
    span: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Cut the follow-up days into (start, stop] rows per athlete-week, ending at injury days.

    Parameters
    ----------
    days, weeks : pandas.DataFrame
        From :func:`weekly_covariates`.
    onsets : pandas.DataFrame
        ``athlete_id``, ``date`` (local onset date), ``days_lost`` (may be missing).
    time_scale : {"calendar", "athlete"}
    span : pandas.DataFrame, optional
        Index ``athlete_id``, columns ``first`` and ``last``: follow-up limits (questionnaires).

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`INJURY_PANEL_COLUMNS`.
    """
    if time_scale not in ("calendar", "athlete"):
        raise ValueError(f"time_scale must be 'calendar' or 'athlete', got {time_scale!r}")
    d = days.sort_values(["athlete_id", "date"], kind="stable").reset_index(drop=True)
    if span is not None:
        lim = span.reindex(d["athlete_id"].to_numpy())
        inside = ((d["date"].to_numpy() >= lim["first"].to_numpy())
                  & (d["date"].to_numpy() <= lim["last"].to_numpy()))
        d = d.loc[inside].reset_index(drop=True)
    if d.empty:
        raise ValueError("injury_panel: no follow-up day (the load record and the injury "
                         "questionnaires do not overlap)")
    per_day = (onsets.groupby(["athlete_id", "date"])
               .agg(n_injuries=("date", "size"), days_lost=("days_lost", "max")).reset_index())
    per_day["date"] = pd.to_datetime(per_day["date"]).dt.as_unit("us")
    d = d.merge(per_day, on=["athlete_id", "date"], how="left")
    d["n_injuries"] = d["n_injuries"].fillna(0).astype("int64")
    onset = d["n_injuries"].to_numpy() > 0
    # days lost after an onset are not at risk
    at_risk = np.ones(len(d), dtype=bool)
    lost = d["days_lost"].fillna(0).to_numpy(dtype=float)
    athlete = d["athlete_id"].to_numpy(dtype=object)
    for i in np.flatnonzero(onset & (lost > 0)):
        j = i + 1
        end = d["date"].iloc[i] + np.timedelta64(int(lost[i]), "D")
        while j < len(d) and athlete[j] == athlete[i] and d["date"].iloc[j] <= end:
            at_risk[j] = False
            j += 1
    d = d.loc[at_risk].reset_index(drop=True)
    onset = d["n_injuries"].to_numpy() > 0
    day = (d["date"].to_numpy(dtype="datetime64[us]").astype("datetime64[D]")).astype("int64")
    athlete = d["athlete_id"].to_numpy(dtype=object)
    first_day = pd.Series(day).groupby(athlete).transform("min").to_numpy()
    origin = first_day if time_scale == "athlete" else np.full(len(d), day.min())
    t = day - origin
    same_athlete = np.r_[False, athlete[1:] == athlete[:-1]]
    same_week = np.r_[False, d["week_start"].to_numpy()[1:] == d["week_start"].to_numpy()[:-1]]
    contiguous = np.r_[False, np.diff(day) == 1]
    after_onset = np.r_[False, onset[:-1]]
    new = ~(same_athlete & same_week & contiguous & ~after_onset)
    seg = np.cumsum(new)
    d["seg"] = seg
    d["t"] = t
    agg = d.groupby("seg", sort=True).agg(
        athlete_id=("athlete_id", "first"), week_start=("week_start", "first"),
        start=("t", "min"), stop=("t", "max"), n_injuries=("n_injuries", "last"),
        exposure_h=("exposure_h", "sum"))
    agg["stop"] = agg["stop"] + 1
    agg["start"] = agg["start"].astype(float)
    agg["stop"] = agg["stop"].astype(float)
    agg["event"] = (agg["n_injuries"] > 0).astype("int64")
    agg["days_at_risk"] = agg["stop"] - agg["start"]
    agg["injury_number"] = (agg.groupby("athlete_id")["event"].cumsum() - agg["event"]).astype(
        "int64")
    first_week = pd.to_datetime(agg["week_start"]).min()
    agg["week"] = ((pd.to_datetime(agg["week_start"]) - first_week).dt.days // 7).astype("int64")
    out = agg.reset_index(drop=True).merge(weeks, on=["athlete_id", "week_start"], how="left")
    return out[list(INJURY_PANEL_COLUMNS)]


def injury_panel(
    study_or_tables,
    *,
    injuries: pd.DataFrame | None = None,
    body_parts: Sequence[str] | None = None,
    time_scale: str = "calendar",
    tz: str = "UTC",
    ewma: str = "williams",
    ewma_init: str = "mean",
    max_gap_days: int | None = 14,
) -> pd.DataFrame:
    """Counting-process injury table of a study, one row per athlete-week cut at injury days.

    Parameters
    ----------
    study_or_tables : Study or mapping of str to DataFrame
        ``sol.open_study(...)``, or the canonical tables by name (``athletes``,
        ``strength_sets``, ``runs``, ``sessions``, ``wellness``; e.g. ``cohort.tables()``).
    injuries : pandas.DataFrame, optional
        Injury onsets: ``athlete_id``, ``date`` (local date of onset), optional ``body_part``
        or ``area``, ``days_lost``. Default: the PMSys reports in ``wellness``.
    body_parts : sequence of str, optional
        Count only these body parts (e.g. ``["leg", "foot", "ankle"]`` for the lower leg).
    time_scale : {"calendar", "athlete"}, default "calendar"
    tz, max_gap_days
        As :func:`soleus_analysis.daily_load`.
    ewma, ewma_init
        As :func:`soleus_analysis.training_loads`.

    Returns
    -------
    pandas.DataFrame
        One row per interval: ``athlete_id``, ``week_start`` (Monday, local), ``week`` (weeks
        since the panel's first week; the ``period`` of lagged Cox terms), ``start``, ``stop``
        (days, the interval ``(start, stop]``), ``event`` (1 = an injury onset on day
        ``stop``), ``n_injuries`` (onsets that day), ``injury_number`` (earlier onsets),
        ``days_at_risk``, ``exposure_h`` [h], and the covariates of the module docstring
        (``soleus_sets_prev_week``, ``run_km_prev_week`` [km], ``load_prev_week_au``,
        ``acute_load_au``, ``chronic_load_au`` [AU/day], ``acwr_ewma``, ``acwr_uncoupled``,
        ``ewma_warmup``). ``attrs["notes"]`` says where the injuries came from and what was
        dropped.

    Examples
    --------
    >>> import soleus_analysis as sol
    >>> cohort = sol.simulate_cohort(4, 8, rng=1)
    >>> onsets = pd.DataFrame({"athlete_id": ["A001"], "date": [pd.Timestamp("2025-02-05")]})
    >>> p = injury_panel(cohort.tables(), injuries=onsets)
    >>> int(p["event"].sum()), bool((p["stop"] > p["start"]).all())
    (1, True)
    """
    tables, daily, dose = _tables(study_or_tables)
    onsets, span, source = _onsets(injuries, tables.get("wellness"), body_parts)
    days, weeks = weekly_covariates(tables, daily=daily, dose=dose, tz=tz, ewma=ewma,
                                    ewma_init=ewma_init, max_gap_days=max_gap_days)
    panel = counting_process(days, weeks, onsets, time_scale=time_scale, span=span)
    notes = [f"Injury onsets from {source}; {int(panel['event'].sum())} onset day(s) in "
             f"follow-up ({panel['athlete_id'].nunique()} athletes)."]
    known = set(zip(days["athlete_id"], days["date"], strict=False))
    outside = sum((a, pd.Timestamp(t)) not in known for a, t in zip(
        onsets["athlete_id"], onsets["date"], strict=False))
    if outside:
        notes.append(f"{outside} onset(s) fell outside an athlete's follow-up (no load record "
                     "that day) and were not counted.")
    if tables.get("strength_sets") is None:
        notes.append("No strength_sets table: soleus_sets_prev_week is missing.")
    panel.attrs["notes"] = notes
    panel.attrs["time_scale"] = time_scale
    return panel
