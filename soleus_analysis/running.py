"""Running outcomes per run and per athlete-week: volume, easy-run pace, efficiency, endurance.

Definitions
-----------
- **Week**: Monday-start week of the run's local start date (:mod:`soleus_analysis.timeutils`).
- **Volume**: ``run_distance_km`` (sum of ``distance_m`` / 1000), ``run_time_min`` (sum of moving
  time, else elapsed time, / 60), ``n_runs``.
- **Easy run** (``easy="auto"``): for an athlete with a known ``hr_max_bpm`` (``athletes``
  table), a run whose average heart rate is at most ``easy_hr_share`` (default 0.80) of HRmax,
  about the first ventilatory threshold, the top of the "easy" zone of polarised-training
  studies (Seiler & Kjerland 2006, Scand J Med Sci Sports 16(1):49-56); runs without heart rate
  are then neither easy nor hard. For an athlete without HRmax, a run no faster than the athlete's
  own median pace over all runs given (the slower half). ``easy="hr"`` or ``"pace"`` forces one
  rule for everybody. The rule used is in the ``easy_rule`` column of :func:`run_metrics`.
- **Easy pace** ``easy_pace_s_per_km``: total time / total distance of the week's easy runs
  [s/km] (a distance-weighted mean pace; lower is faster).
- **Efficiency factor** ``efficiency_factor_m_per_beat``: mean over the week's runs of the run's
  stream-derived EF (steady running, warm-up excluded; readers compute it), else the summary EF
  = mean speed [m/min] / mean heart rate [beats/min]. ``ef_source`` says which.
- **Long run**: moving time of at least ``long_run_min`` (default 60) minutes, the length for which
  aerobic decoupling is read (Friel; docs/methods.md §4.9). ``decoupling_pct`` and
  ``pace_fade_pct`` are means over the week's long runs (stream metrics from the readers; lower
  is more enduring).
- ``run_rpe``: mean session RPE of the week's runs that have one.

A week without runs has no outcome (missing), never 0; volume exposures are 0 only inside the
athlete's running record (:func:`soleus_analysis.build_panel` decides).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from soleus_analysis.contracts import takes_table
from soleus_analysis.timeutils import local_dates, row_zones, week_start

__all__ = ["EASY_RULES", "run_metrics", "weekly_runs"]

EASY_RULES = ("auto", "hr", "pace")
_RUN_WEEK_COLUMNS = [
    "run_distance_km",
    "run_time_min",
    "n_runs",
    "easy_runs",
    "easy_pace_s_per_km",
    "efficiency_factor_m_per_beat",
    "long_runs",
    "decoupling_pct",
    "pace_fade_pct",
    "run_rpe",
]


def _num(df: pd.DataFrame, name: str) -> pd.Series:
    if name in df.columns:
        return pd.to_numeric(df[name]).astype(float)
    return pd.Series(np.nan, index=df.index, dtype=float)


def _athlete_value(runs: pd.DataFrame, athletes: pd.DataFrame | None, column: str) -> pd.Series:
    if athletes is None or column not in athletes.columns:
        return pd.Series(np.nan if column != "timezone" else None, index=runs.index)
    values = athletes.drop_duplicates("athlete_id").set_index("athlete_id")[column]
    return runs["athlete_id"].map(values)


@takes_table("runs", ["athlete_id", "start"])
def run_metrics(
    runs: pd.DataFrame,
    athletes: pd.DataFrame | None = None,
    *,
    tz: str = "UTC",
    easy: str = "auto",
    easy_hr_share: float = 0.80,
    long_run_min: float = 60.0,
) -> pd.DataFrame:
    """Per-run metrics used by the weekly outcomes.

    Parameters
    ----------
    runs : DataFrame
        A canonical ``runs`` table (:class:`~soleus_analysis.schemas.RunsSchema`), validated;
        needs ``athlete_id``, ``start``.
    athletes : DataFrame, optional
        ``hr_max_bpm`` (easy-run rule) and ``timezone`` (rows without one).
    tz : str, default "UTC"
        Zone of rows whose own and athlete's zone are unknown.
    easy : {"auto", "hr", "pace"}
        Easy-run rule (module docstring).
    easy_hr_share : float, default 0.80
        Share of HRmax up to which a run is easy (``hr`` rule).
    long_run_min : float, default 60
        Moving time from which a run is a long run [min].

    Returns
    -------
    DataFrame
        Same index as ``runs``: ``athlete_id``, ``start``, ``date``, ``week_start``,
        ``distance_km`` [km], ``time_min`` [min] (moving, else elapsed), ``pace_s_per_km``
        [s/km], ``avg_hr_bpm``, ``efficiency_factor_m_per_beat`` [m/beat], ``ef_source``
        (``stream``, ``summary`` or missing), ``easy`` (boolean; missing when it cannot be told),
        ``easy_rule`` (``hr`` or ``pace``), ``long_run`` (bool), ``decoupling_pct`` [%],
        ``pace_fade_pct`` [%], ``rpe``.

    Examples
    --------
    >>> starts = pd.to_datetime(["2024-05-06T06:00Z", "2024-05-08T06:00Z"])
    >>> runs = pd.DataFrame({"athlete_id": "a", "start": starts, "distance_m": [10000.0, 5000.0],
    ...                      "moving_time_s": [3300.0, 1350.0], "avg_hr_bpm": [140.0, 172.0]})
    >>> m = run_metrics(runs, pd.DataFrame({"athlete_id": ["a"], "hr_max_bpm": [190.0]}))
    >>> m[["pace_s_per_km", "easy", "long_run"]].values.tolist()
    [[330.0, True, False], [270.0, False, False]]
    """
    if easy not in EASY_RULES:
        raise ValueError(f"unknown easy-run rule {easy!r}; choose one of {', '.join(EASY_RULES)}")
    out = pd.DataFrame(index=runs.index)
    out["athlete_id"] = runs["athlete_id"]
    out["start"] = runs["start"]
    out["date"] = local_dates(runs["start"], row_zones(runs, athletes, tz))
    out["week_start"] = week_start(out["date"])
    distance = _num(runs, "distance_m")
    moving = _num(runs, "moving_time_s")
    time_s = moving.where(moving.notna(), _num(runs, "elapsed_time_s"))
    out["distance_km"] = distance / 1000.0
    out["time_min"] = time_s / 60.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pace_s_per_km"] = time_s / (distance / 1000.0)
    hr = _num(runs, "avg_hr_bpm")
    out["avg_hr_bpm"] = hr
    stream_ef = _num(runs, "efficiency_factor_m_per_beat")
    summary_ef = (distance / (time_s / 60.0)) / hr
    summary_ef = summary_ef.where(np.isfinite(summary_ef) & (summary_ef > 0))
    out["efficiency_factor_m_per_beat"] = stream_ef.where(stream_ef.notna(), summary_ef)
    out["ef_source"] = pd.Series(
        np.where(stream_ef.notna(), "stream", np.where(summary_ef.notna(), "summary", None)),
        index=runs.index,
        dtype="str",
    )

    hr_max = _athlete_value(runs, athletes, "hr_max_bpm").astype(float)
    if easy == "hr":
        use_hr = pd.Series(True, index=runs.index)
    elif easy == "pace":
        use_hr = pd.Series(False, index=runs.index)
    else:
        use_hr = hr_max.notna()
    by_hr = pd.array(
        np.where(hr.notna() & hr_max.notna(), hr <= easy_hr_share * hr_max, pd.NA), dtype="boolean"
    )
    median_pace = out["pace_s_per_km"].groupby(out["athlete_id"], sort=False).transform("median")
    pace = out["pace_s_per_km"]
    by_pace = pd.array(
        np.where(pace.notna() & median_pace.notna(), pace >= median_pace, pd.NA), dtype="boolean"
    )
    out["easy"] = pd.array(np.where(use_hr, by_hr, by_pace), dtype="boolean")
    out["easy_rule"] = pd.Series(np.where(use_hr, "hr", "pace"), index=runs.index, dtype="str")
    out["long_run"] = (moving.where(moving.notna(), time_s) >= long_run_min * 60.0).to_numpy()
    out["decoupling_pct"] = _num(runs, "decoupling_pct")
    out["pace_fade_pct"] = _num(runs, "pace_fade_pct")
    out["rpe"] = _num(runs, "rpe")
    return out


@takes_table("runs", ["athlete_id", "start"])
def weekly_runs(
    runs: pd.DataFrame,
    athletes: pd.DataFrame | None = None,
    *,
    tz: str = "UTC",
    easy: str = "auto",
    easy_hr_share: float = 0.80,
    long_run_min: float = 60.0,
) -> pd.DataFrame:
    """Running volume and outcomes per athlete and week.

    Parameters
    ----------
    runs : DataFrame
        A canonical ``runs`` table (:class:`~soleus_analysis.schemas.RunsSchema`), validated;
        needs ``athlete_id``, ``start``.
    athletes, tz, easy, easy_hr_share, long_run_min
        See :func:`run_metrics`.

    Returns
    -------
    DataFrame
        One row per athlete and week with at least one run, sorted: ``athlete_id``,
        ``week_start``, ``run_distance_km`` [km], ``run_time_min`` [min], ``n_runs``,
        ``easy_runs``, ``easy_pace_s_per_km`` [s/km], ``efficiency_factor_m_per_beat`` [m/beat],
        ``long_runs``, ``decoupling_pct`` [%], ``pace_fade_pct`` [%], ``run_rpe`` (CR-10).
        Outcomes are missing when the week has no qualifying run.

    Examples
    --------
    >>> starts = pd.to_datetime(["2024-05-06T06:00Z", "2024-05-08T06:00Z"])
    >>> runs = pd.DataFrame({"athlete_id": "a", "start": starts, "distance_m": [10000.0, 5000.0],
    ...                      "moving_time_s": [3300.0, 1350.0], "avg_hr_bpm": [140.0, 172.0]})
    >>> w = weekly_runs(runs, pd.DataFrame({"athlete_id": ["a"], "hr_max_bpm": [190.0]}))
    >>> w[["run_distance_km", "run_time_min", "n_runs", "easy_pace_s_per_km"]].values.tolist()
    [[15.0, 77.5, 2.0, 330.0]]
    """
    m = run_metrics(
        runs, athletes, tz=tz, easy=easy, easy_hr_share=easy_hr_share, long_run_min=long_run_min
    )
    easy_mask = m["easy"].to_numpy(dtype=bool, na_value=False)
    both = m["distance_km"].notna() & m["time_min"].notna()
    long_mask = m["long_run"].to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {
            "athlete_id": m["athlete_id"].to_numpy(dtype=object),
            "week_start": m["week_start"].to_numpy(),
            "run_distance_km": m["distance_km"].to_numpy(),
            "run_time_min": m["time_min"].to_numpy(),
            "n_runs": 1.0,
            "easy_runs": easy_mask.astype(float),
            "easy_km": np.where(easy_mask & both, m["distance_km"], np.nan),
            "easy_min": np.where(easy_mask & both, m["time_min"], np.nan),
            "efficiency_factor_m_per_beat": m["efficiency_factor_m_per_beat"].to_numpy(),
            "long_runs": long_mask.astype(float),
            "decoupling_pct": np.where(long_mask, m["decoupling_pct"], np.nan),
            "pace_fade_pct": np.where(long_mask, m["pace_fade_pct"], np.nan),
            "run_rpe": m["rpe"].to_numpy(),
        }
    )
    grouped = frame.groupby(["athlete_id", "week_start"], sort=False, observed=True)
    sums = grouped[["run_distance_km", "run_time_min", "n_runs", "easy_runs", "long_runs"]].sum(
        min_count=0
    )
    easy_sums = grouped[["easy_km", "easy_min"]].sum(min_count=1)
    means = grouped[
        ["efficiency_factor_m_per_beat", "decoupling_pct", "pace_fade_pct", "run_rpe"]
    ].mean()
    out = pd.concat([sums, means], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["easy_pace_s_per_km"] = (easy_sums["easy_min"] * 60.0) / easy_sums["easy_km"]
    out["easy_pace_s_per_km"] = out["easy_pace_s_per_km"].where(
        np.isfinite(out["easy_pace_s_per_km"])
    )
    out = out.reset_index().sort_values(
        ["athlete_id", "week_start"], kind="stable", ignore_index=True
    )
    return out[["athlete_id", "week_start", *_RUN_WEEK_COLUMNS]]
