"""Test-retest tables from the repeated measures a study already holds.

:func:`soleus_analysis.icc` and :func:`soleus_analysis.typical_error` take one row per athlete and
trial. Training logs have no planned retest, but they repeat measures: the weekly easy pace and
morning ratings week after week, the daily ratings day after day, critical speed period after
period. This module turns those into trials:

- :func:`repeated_trials`: each athlete's first ``n_trials`` *consecutive* measurements (one
  ``spacing`` apart) as trials 1..n. Consecutive periods are as close to a retest as logs get:
  the athlete has changed least in between, so the typical error is mostly day-to-day or
  week-to-week noise (biological and measurement together), not training effects.
- :func:`critical_speed_blocks`: critical speed per athlete and non-overlapping block of weeks
  (no run is shared by two blocks, unlike the rolling windows of
  :func:`soleus_analysis.critical_speed`), from :func:`soleus_analysis.fit_critical_speed`.
- :func:`study_run_streams`: the record streams of a study's runs (GPX, FIT, TCX files inside
  its raw folder) as one table of samples.
- :func:`reliability_table`: ICC(2,1), ICC(3,1) and the typical error, CV, MDC95 and SWC of
  several measures side by side, and a sentence for each measure with too few athletes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.errors import InputError
from soleus_analysis.outcomes.speed_duration import fit_critical_speed, stream_table
from soleus_analysis.outcomes.reliability import icc, typical_error

__all__ = [
    "critical_speed_blocks",
    "reliability_table",
    "repeated_trials",
    "study_run_streams",
]

#: Suffixes of activity files with a record stream.
_STREAM_SUFFIXES = (".gpx", ".fit", ".tcx", ".gpx.gz", ".fit.gz", ".tcx.gz")


def repeated_trials(
    data: pd.DataFrame,
    subject: str,
    time: str,
    value: str,
    *,
    n_trials: int = 2,
    spacing=pd.Timedelta(days=7),
) -> pd.DataFrame:
    """Each subject's first ``n_trials`` consecutive measurements, as trials 1..n.

    Parameters
    ----------
    data : pandas.DataFrame
        Long table with one or more rows per subject and time (several values at one time are
        averaged, e.g. two ratings on one day).
    subject, time, value : str
        Columns. ``time`` holds dates (then ``spacing`` is a Timedelta) or numbers.
    n_trials : int, default 2
    spacing : Timedelta or number, default 7 days
        Consecutive means exactly this far apart (7 days for weeks, 1 day for days, 1 for
        numbered periods).

    Returns
    -------
    pandas.DataFrame
        ``subject``, ``trial`` (1..n), ``time``, ``value``: ``n_trials`` rows per subject that
        has such a run of measurements (others are left out).

    Examples
    --------
    >>> d = pd.DataFrame({"a": ["x"] * 4 + ["y"] * 2, "week": [0, 2, 3, 4, 0, 2],
    ...                   "pace": [300.0, 301, 299, 298, 310, 312]})
    >>> repeated_trials(d, "a", "week", "pace", spacing=1).values.tolist()
    [['x', 1, 2, 301.0], ['x', 2, 3, 299.0]]
    """
    if int(n_trials) < 2:
        raise ValueError(f"n_trials must be at least 2, got {n_trials!r}")
    n = int(n_trials)
    frame = data.loc[data[value].notna(), [subject, time, value]]
    frame = (frame.groupby([subject, time], sort=True, as_index=False)[value].mean())
    rows = []
    for key, part in frame.groupby(subject, sort=True):
        times = part[time].to_numpy()
        values = part[value].to_numpy(dtype=float)
        for i in range(len(part) - n + 1):
            gaps = times[i + 1:i + n] - times[i:i + n - 1]
            if all(g == spacing for g in gaps):
                rows += [(key, j + 1, times[i + j], values[i + j]) for j in range(n)]
                break
    out = pd.DataFrame(rows, columns=[subject, "trial", time, value])
    if len(out) == 0:
        out[time] = out[time].astype(frame[time].dtype)
    return out


def critical_speed_blocks(
    curve: pd.DataFrame,
    *,
    weeks: int = 6,
    group: str = "athlete_id",
    run: str = "run_id",
    model: str = "linear",
) -> pd.DataFrame:
    """Critical speed per athlete and non-overlapping block of ``weeks`` weeks.

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`soleus_analysis.mean_max_curve` rows (with ``run_start``).
    weeks : int, default 6
        Block length; block 0 starts on the Monday of the athlete's first run (UTC).
    group, run, model
        As :func:`soleus_analysis.fit_critical_speed`.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``block`` (0, 1, ...), ``block_start``, ``critical_speed_m_s`` (missing when
        the block's efforts give no valid fit), ``n_efforts``, ``n_runs``; one row per block
        with a run.

    Examples
    --------
    >>> t = np.arange(0.0, 1801.0)
    >>> runs = []
    >>> for k, (day, v) in enumerate([(0, 4.0), (2, 4.2), (4, 3.9), (60, 4.4)]):
    ...     runs.append(pd.DataFrame({"athlete_id": "a", "run_id": f"r{k}",
    ...         "time": pd.Timestamp("2025-01-06", tz="UTC") + pd.Timedelta(days=day)
    ...                 + pd.to_timedelta(t, unit="s"),
    ...         "elapsed_s": t, "distance_m": v * t}))
    >>> import soleus_analysis as sol
    >>> c = sol.mean_max_curve(pd.concat(runs), durations=[120, 300, 600, 900])
    >>> critical_speed_blocks(c)[["block", "n_runs"]].values.tolist()
    [[0, 3], [1, 1]]
    """
    if int(weeks) < 1:
        raise ValueError(f"weeks must be at least 1, got {weeks!r}")
    starts = pd.to_datetime(curve["run_start"], utc=True).dt.tz_localize(None)
    monday = (starts.dt.normalize() - pd.to_timedelta(starts.dt.day_of_week, unit="D"))
    first = monday.groupby(curve[group]).transform("min")
    block = ((monday - first).dt.days // (7 * int(weeks))).astype("int64")
    work = curve.assign(_block=block.to_numpy(), _first=first.to_numpy())
    rows = []
    for (g, b), part in work.groupby([group, "_block"], sort=True):
        fit = fit_critical_speed(part, model=model, run=run)
        cs = fit.table.set_index("term").loc["critical_speed", "estimate"]
        rows.append({group: g, "block": int(b),
                     "block_start": part["_first"].iloc[0] + pd.Timedelta(weeks=int(weeks) * b),
                     "critical_speed_m_s": float(cs), "n_efforts": int(len(fit.points)),
                     "n_runs": int(part[run].nunique())})
    return pd.DataFrame(rows, columns=[group, "block", "block_start", "critical_speed_m_s",
                                       "n_efforts", "n_runs"])


def _stream_paths(runs: pd.DataFrame, raw_dir: Path) -> list[tuple[str, Path]]:
    """(athlete, file) of every run with an activity file inside ``raw_dir``."""
    from soleus_analysis.readers.strava import safe_member

    out = []
    names = runs["filename"] if "filename" in runs.columns else pd.Series(None, index=runs.index)
    for athlete, source, name in zip(runs["athlete_id"], runs.get("source_file", names), names,
                                     strict=True):
        path = None
        if isinstance(name, str) and name.strip() and isinstance(source, str):
            # a Strava export names its files relative to activities.csv
            folder = safe_member(raw_dir, str(Path(source).parent)) if str(
                Path(source).parent) != "." else raw_dir
            path = safe_member(folder, name) if folder is not None else None
        elif isinstance(source, str) and source.lower().endswith(_STREAM_SUFFIXES):
            path = safe_member(raw_dir, source)
        if path is not None and path.is_file():
            out.append((str(athlete), path))
    return out


def study_run_streams(study) -> tuple[pd.DataFrame, str]:
    """The record streams of a study's runs, as one table of samples.

    Only files inside the study's raw folder are read (GPX, FIT, TCX, gzipped or not): those a
    run was read from, or those a Strava ``activities.csv`` names. A file that cannot be read is
    counted, not fatal.

    Parameters
    ----------
    study : Study
        ``sol.open_study(...)`` (its ``raw_dir`` and ``runs`` table).

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        The samples (:func:`soleus_analysis.stream_table` columns: ``athlete_id``, ``run_id``,
        ``time``, ``elapsed_s``, ``distance_m``, ...; empty when there are none) and a sentence
        saying how many files of how many athletes were read.
    """
    runs = study.tables.get("runs")
    if runs is None or runs.empty:
        return pd.DataFrame(), "The study has no runs, so no record streams."
    raw = Path(study.raw_dir).resolve()
    paths = _stream_paths(runs, raw)
    parts, failed = [], 0
    for athlete, path in paths:
        try:
            parts.append(stream_table([path], athlete_id=athlete))
        except (InputError, ValueError):
            failed += 1
    if not parts:
        return pd.DataFrame(), (f"None of the study's {len(runs)} runs has a readable record "
                                "stream (GPX, FIT or TCX file).")
    samples = pd.concat(parts, ignore_index=True)
    text = (f"{len(parts)} record streams of {samples['athlete_id'].nunique()} athlete(s) read "
            f"({len(runs)} runs in the study)")
    return samples, text + (f"; {failed} file(s) could not be read." if failed else ".")


def reliability_table(
    trials: Mapping[str, pd.DataFrame],
    *,
    subject: str = "athlete_id",
    trial: str = "trial",
    value: str = "value",
    min_subjects: int = 5,
    level: float = 0.95,
) -> tuple[pd.DataFrame, list[str]]:
    """ICC and typical error of several measures, one row each.

    Parameters
    ----------
    trials : mapping of str to DataFrame
        Measure name -> long table (:func:`repeated_trials`); the measured column is ``value``
        or, when absent, the table's last column.
    subject, trial, value : str
    min_subjects : int, default 5
        Fewer subjects with every trial: the measure is skipped with a sentence.
    level : float, default 0.95

    Returns
    -------
    tuple of (pandas.DataFrame, str)
        One row per measure: ``measure``, ``athletes``, ``trials``, ``icc_a1`` (ICC(2,1) =
        ICC(A,1), absolute agreement: the test-retest form), ``icc_a1_low``, ``icc_a1_high``,
        ``icc_c1`` (ICC(3,1) = ICC(C,1), consistency: ignores a shift between trials),
        ``typical_error``, ``te_low``, ``te_high``, ``cv_percent`` (missing for values <= 0),
        ``mdc95``, ``swc``, ``te_per_swc``, ``rating`` (Hopkins: TE < SWC good, up to 2 SWC OK,
        else marginal); and one sentence naming the measures left out (``""`` when none).

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> true = rng.normal(300, 20, 8)
    >>> d = pd.DataFrame({"athlete_id": np.repeat(np.arange(8), 2), "trial": [1, 2] * 8,
    ...                   "value": np.repeat(true, 2) + rng.normal(0, 5, 16)})
    >>> table, note = reliability_table({"pace": d, "none": d.iloc[:4]})
    >>> table["measure"].tolist(), note.split(": ")[-1]
    (['pace'], 'none (2).')
    """
    rows, skipped = [], []
    for name, data in trials.items():
        col = value if value is not None and value in data.columns else data.columns[-1]
        complete = data.dropna(subset=[col]).groupby(subject)[trial].nunique()
        k = int(data[trial].nunique()) if len(data) else 0
        n = int((complete == k).sum()) if k else 0
        if n < min_subjects or k < 2:
            skipped.append(f"{name} ({n})")
            continue
        ic = icc(data, subject, trial, col, level=level).table.set_index("term")
        te = typical_error(data, subject, trial, col, level=level).table.set_index("term")
        swc = float(te.loc["swc", "estimate"])
        t = float(te.loc["typical_error", "estimate"])
        ratio = t / swc if swc > 0 else np.nan
        rows.append({
            "measure": name, "athletes": n, "trials": k,
            "icc_a1": ic.loc["ICC(2,1)", "estimate"], "icc_a1_low": ic.loc["ICC(2,1)", "ci_low"],
            "icc_a1_high": ic.loc["ICC(2,1)", "ci_high"], "icc_c1": ic.loc["ICC(3,1)", "estimate"],
            "typical_error": t, "te_low": te.loc["typical_error", "ci_low"],
            "te_high": te.loc["typical_error", "ci_high"],
            "cv_percent": te["estimate"].get("cv_percent", np.nan),
            "mdc95": te.loc["mdc95", "estimate"], "swc": swc, "te_per_swc": ratio,
            "rating": ("good" if ratio < 1 else "OK" if ratio <= 2 else "marginal")
            if np.isfinite(ratio) else "no SWC",
        })
    columns = ["measure", "athletes", "trials", "icc_a1", "icc_a1_low", "icc_a1_high", "icc_c1",
               "typical_error", "te_low", "te_high", "cv_percent", "mdc95", "swc", "te_per_swc",
               "rating"]
    note = ""
    if skipped:
        note = (f"Not assessed, for want of at least {min_subjects} athletes with every repeated "
                f"measurement (athletes with them in brackets): {', '.join(skipped)}.")
    return pd.DataFrame(rows, columns=columns), note
