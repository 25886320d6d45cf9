"""Daily exposures joined to the wellness reported the next morning: one row per athlete-day.

Wellness apps such as PMSys ask in the morning how the athlete feels (fatigue, soreness,
readiness); what the athlete did the day before is what can have changed it. :func:`daily_panel`
puts on one row the wellness reported on a day and the training of that day and of the day
before, so that "next-day wellness ~ yesterday's strength session + yesterday's running" is a
plain regression on its columns (e.g. :func:`soleus_analysis.fit_within_between` with
``time="date"``).

Conventions (docs/methods.md: the local day is the unit; rest days are 0, unrecorded days missing)
------------------------------------------------------------------------------------------------
- **Days** are local days (the row's ``timezone``, else the athlete's, else ``tz``). The days of
  an athlete and their status are those of :func:`soleus_analysis.daily_load`: from the first to
  the last day with a rated session (the athlete's sRPE record); inside that period a day without
  a session is a rest day; a run of more than ``max_gap_days`` days without any record (no
  session, run, set or wellness report) is a gap. On gap days every exposure is missing, never 0.
- **Strength session** (0/1): a session whose activity names strength work (``strength``,
  ``gym``, ``weights``, ``lift``, ``resistance``, ``styrke``, ``kraft``, ``calf``), or any logged
  strength set. A session that names both strength and running (PMSys "strength, running") counts
  as a strength session *and* as running.
- **Running load** [AU]: session-RPE load (RPE x minutes) of the day's sessions that name running
  (``run``, ``jog``, ``treadmill``...) and belong to the athlete's sRPE record; 0 on rest days;
  missing when such a session has no RPE or duration. A session logged twice (a tracker's copy of
  a rated session) is counted once (:func:`soleus_analysis.session_loads`).
- **Run distance** [km]: the distance of the day's rows of the ``runs`` table (e.g. a watch),
  0 when there is none. A tracker misses the runs made without it, so this is a lower bound.
- **Yesterday**: the value on the previous calendar day, looked up by date (missing when that day
  is outside the athlete's period).
- **Wellness** is the report of that day as logged (PMSys: fatigue, soreness, mood, stress, sleep
  quality 1-5 with 5 the best state; readiness 0-10); missing when the athlete did not report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from soleus_analysis.contracts import takes_table
from soleus_analysis.errors import InputError
from soleus_analysis.loads import daily_load, session_loads
from soleus_analysis.loads.sessions import (
    RUNNING_PATTERN,
    RUNS_NEED,
    SESSIONS_NEED,
    STRENGTH_PATTERN,
    STRENGTH_SETS_NEED,
)
from soleus_analysis.timeutils import day_number, local_dates, row_zones

__all__ = ["DAILY_EXPOSURES", "YESTERDAY", "daily_panel"]

#: Exposure columns of :func:`daily_panel`; each also comes for the previous day (``YESTERDAY``).
DAILY_EXPOSURES = ("strength_session", "running_load_au", "run_km", "load_au")
_US_PER_DAY = 86_400_000_000


#: The previous day's column of each exposure.
YESTERDAY = {
    "strength_session": "strength_yesterday",
    "running_load_au": "running_load_yesterday_au",
    "run_km": "run_km_yesterday",
    "load_au": "load_yesterday_au",
}


def _per_day(keys: pd.DataFrame, values: dict[str, np.ndarray], how: dict) -> pd.DataFrame:
    frame = keys.assign(**values)
    return frame.groupby(["athlete_id", "day"], sort=False).agg(how).reset_index()


@takes_table("sessions", SESSIONS_NEED)
@takes_table("runs", RUNS_NEED)
@takes_table("strength_sets", STRENGTH_SETS_NEED)
@takes_table("wellness", ["athlete_id", "date"], named_by=["outcomes"])
def daily_panel(
    sessions: pd.DataFrame | None = None,
    runs: pd.DataFrame | None = None,
    strength_sets: pd.DataFrame | None = None,
    wellness: pd.DataFrame | None = None,
    *,
    athletes: pd.DataFrame | None = None,
    outcomes: Sequence[str] = ("fatigue", "soreness", "readiness"),
    tz: str = "UTC",
    match_window: pd.Timedelta | str = "60min",
    max_gap_days: int | None = 14,
) -> pd.DataFrame:
    """Each athlete-day's wellness with that day's and the previous day's training.

    Parameters
    ----------
    sessions, runs, strength_sets, wellness : DataFrame, optional
        Validated canonical tables (``study.tables[...]``): ``sessions``
        (:class:`~soleus_analysis.schemas.SessionsSchema`; needs ``athlete_id``, ``start``,
        ``duration_s``), ``runs`` (:class:`~soleus_analysis.schemas.RunsSchema`; needs
        ``athlete_id``, ``start``), ``strength_sets``
        (:class:`~soleus_analysis.schemas.StrengthSetsSchema`; needs ``athlete_id``,
        ``session_start``) and ``wellness`` (:class:`~soleus_analysis.schemas.WellnessSchema`;
        needs ``athlete_id``, ``date`` and the ``outcomes`` columns). At least one of
        ``sessions``, ``runs``, ``strength_sets`` must give sessions with an RPE and a duration
        (the sRPE record that defines the recorded days).
    athletes : DataFrame, optional
        For the ``timezone`` of rows that carry none.
    outcomes : sequence of str, default ("fatigue", "soreness", "readiness")
        Wellness columns to join (others of the table are ignored).
    tz : str, default "UTC"
        Zone of rows whose own and athlete's zone are unknown.
    match_window, max_gap_days
        As in :func:`soleus_analysis.daily_load`.

    Returns
    -------
    DataFrame
        One row per athlete and local day of the athlete's recording period, sorted:

        - ``athlete_id``, ``date`` (local, naive), ``status`` (``training``, ``rest``,
          ``unknown_load`` or ``gap``);
        - ``strength_session`` (1.0 if a strength session took place that day, else 0.0),
          ``running_load_au`` [AU], ``run_km`` [km], ``load_au`` (all sessions' sRPE load) [AU]:
          missing on gap days (see the module docstring);
        - ``strength_yesterday``, ``running_load_yesterday_au``, ``run_km_yesterday``,
          ``load_yesterday_au``: the same on the previous day;
        - one column per outcome (the day's report, in the scale's points), and
          ``wellness_reported`` (bool).

    Raises
    ------
    InputError
        When no table gives a session with a known sRPE load, or an outcome column is missing
        from ``wellness``.

    Examples
    --------
    >>> t = pd.Timestamp("2024-05-06 17:00", tz="UTC")
    >>> s = pd.DataFrame({"athlete_id": "a", "start": [t, t + pd.Timedelta("2D")],
    ...                   "activity": ["strength", "running"], "duration_s": 3600.0,
    ...                   "rpe": [6.0, 4.0]})
    >>> w = pd.DataFrame({"athlete_id": "a", "date": pd.date_range("2024-05-06", periods=4),
    ...                   "fatigue": [4.0, 2.0, 4.0, 3.0]})
    >>> d = daily_panel(s, wellness=w, outcomes=["fatigue"])
    >>> d[["date", "strength_yesterday", "running_load_yesterday_au", "fatigue"]]
            date  strength_yesterday  running_load_yesterday_au  fatigue
    0 2024-05-06                 NaN                        NaN      4.0
    1 2024-05-07                 1.0                        0.0      2.0
    2 2024-05-08                 0.0                        0.0      4.0
    """
    outcomes = list(outcomes)
    if outcomes and wellness is None:
        raise InputError(
            f"daily_panel() needs a wellness table for the outcomes {', '.join(outcomes)}",
            fix="pass wellness=study.tables['wellness'], or outcomes=() for exposures only",
        )
    days = daily_load(
        sessions,
        runs,
        strength_sets,
        wellness,
        athletes=athletes,
        tz=tz,
        match_window=match_window,
        max_gap_days=max_gap_days,
    )
    if days.empty:
        raise InputError(
            "no session with an RPE and a duration: the recorded days (rest = 0, unrecorded = "
            "missing) cannot be told apart",
            fix="pass the sessions table of an sRPE app (e.g. PMSys srpe.csv)",
        )
    grid = days[["athlete_id", "date", "status", "load_au"]].copy()
    grid["day"] = day_number(grid["date"])

    loads = session_loads(
        sessions, runs, strength_sets, match_window=match_window, athletes=athletes, tz=tz
    )
    loads = loads[loads["counted"].astype(bool)]
    text = loads["activity"].astype("str").str.lower().fillna("")
    strength = (loads["table"] == "strength_sets") | text.str.contains(STRENGTH_PATTERN, regex=True)
    running = (loads["table"] == "runs") | text.str.contains(RUNNING_PATTERN, regex=True)
    record = loads["rated_source"].to_numpy(dtype=bool)
    run_load = np.where(running & record, loads["load_au"].to_numpy(dtype=float), 0.0)
    run_unknown = np.isnan(run_load)
    keys = pd.DataFrame(
        {
            "athlete_id": loads["athlete_id"].to_numpy(dtype=object),
            "day": day_number(local_dates(loads["start"], row_zones(loads, athletes, tz))),
        }
    )
    per_day = _per_day(
        keys,
        {
            "strength_session": strength.to_numpy(dtype=float),
            "running_load_au": np.nan_to_num(run_load),
            "run_unknown": run_unknown.astype(float),
        },
        {"strength_session": "max", "running_load_au": "sum", "run_unknown": "max"},
    )
    out = grid.merge(per_day, on=["athlete_id", "day"], how="left", sort=False)
    for name in ("strength_session", "running_load_au"):
        out[name] = out[name].fillna(0.0)
    # A running session of the sRPE record without a load leaves the day's running load unknown.
    out.loc[out.pop("run_unknown").to_numpy() == 1, "running_load_au"] = np.nan

    if runs is not None and len(runs) and "distance_m" in runs.columns:
        run_keys = pd.DataFrame(
            {
                "athlete_id": runs["athlete_id"].to_numpy(dtype=object),
                "day": day_number(local_dates(runs["start"], row_zones(runs, athletes, tz))),
            }
        )
        km = pd.to_numeric(runs["distance_m"]).to_numpy(dtype=float) / 1000.0
        out = out.merge(
            _per_day(run_keys, {"run_km": km}, {"run_km": "sum"}),
            on=["athlete_id", "day"],
            how="left",
        )
        out["run_km"] = out["run_km"].fillna(0.0)
    else:
        out["run_km"] = 0.0
    gap = (out["status"] == "gap").to_numpy()
    for name in DAILY_EXPOSURES:
        out.loc[gap, name] = np.nan

    previous = out[["athlete_id", "day", *DAILY_EXPOSURES]].copy()
    previous["day"] += 1
    previous = previous.rename(columns=YESTERDAY)
    out = out.merge(previous, on=["athlete_id", "day"], how="left", validate="one_to_one")

    if wellness is not None:
        report = wellness[["athlete_id", "date", *outcomes]].copy()
        report["day"] = day_number(report["date"])
        report = report.drop(columns="date").drop_duplicates(["athlete_id", "day"])
        out = out.merge(
            report, on=["athlete_id", "day"], how="left", validate="one_to_one", indicator=True
        )
        out["wellness_reported"] = (out.pop("_merge") == "both").to_numpy()
    columns = [
        "athlete_id",
        "date",
        "status",
        *DAILY_EXPOSURES,
        *(YESTERDAY[c] for c in DAILY_EXPOSURES),
        *outcomes,
        *(["wellness_reported"] if wellness is not None else []),
    ]
    out = out.sort_values(["athlete_id", "date"], kind="stable", ignore_index=True)
    return out[columns]
