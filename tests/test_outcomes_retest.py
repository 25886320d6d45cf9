"""Test-retest tables from a study's repeated measures: trials, CS blocks, streams, summary."""

import gzip
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol

DATA = Path(__file__).resolve().parent / "data"


def test_repeated_trials_take_the_first_consecutive_run():
    d = pd.DataFrame({
        "athlete_id": ["a"] * 6 + ["b"] * 3,
        "week_start": pd.to_datetime(["2025-01-06", "2025-01-20", "2025-01-27", "2025-01-27",
                                      "2025-02-03", "2025-02-10", "2025-01-06", "2025-01-13",
                                      "2025-01-27"]),
        "pace": [300.0, 301, 299, 303, 298, 297, 310, np.nan, 312],
    })
    out = sol.repeated_trials(d, "athlete_id", "week_start", "pace", n_trials=3)
    # a: weeks 20/1, 27/1 (two values, averaged), 3/2; b has no three consecutive weeks
    assert out["athlete_id"].tolist() == ["a"] * 3
    assert out["trial"].tolist() == [1, 2, 3]
    assert out["pace"].tolist() == [301.0, 301.0, 298.0]
    days = sol.repeated_trials(d, "athlete_id", "week_start", "pace",
                               spacing=pd.Timedelta(days=1))
    assert days.empty and list(days.columns) == ["athlete_id", "trial", "week_start", "pace"]
    with pytest.raises(ValueError, match="at least 2"):
        sol.repeated_trials(d, "athlete_id", "week_start", "pace", n_trials=1)


def _time_trials(cs, d_prime, start, athlete="a", durations=(180, 300, 480, 600, 840)):
    """Time trials (easy 10 min, the trial, easy 10 min) that define CS and D' exactly."""
    runs = []
    for k, T in enumerate(durations):
        v = cs + d_prime / T
        speed = np.r_[np.full(600, 2.8), np.full(T, v), np.full(600, 2.8)]
        t = np.arange(speed.size + 1, dtype=float)
        runs.append(pd.DataFrame({
            "athlete_id": athlete, "run_id": f"{athlete}-{start.date()}-{k}",
            "time": start + pd.Timedelta(days=2 * k) + pd.to_timedelta(t, unit="s"),
            "elapsed_s": t, "distance_m": np.r_[0.0, np.cumsum(speed)]}))
    return pd.concat(runs, ignore_index=True)


def test_critical_speed_blocks_do_not_share_runs():
    start = pd.Timestamp("2025-01-06", tz="UTC")
    streams = pd.concat([_time_trials(4.0, 200.0, start),
                         _time_trials(4.3, 180.0, start + pd.Timedelta(weeks=6))])
    blocks = sol.critical_speed_blocks(sol.mean_max_curve(streams), weeks=6)
    assert blocks["block"].tolist() == [0, 1]
    assert blocks["n_runs"].tolist() == [5, 5]
    assert blocks["critical_speed_m_s"].to_numpy() == pytest.approx([4.0, 4.3], abs=0.02)
    assert blocks["block_start"].iloc[1] - blocks["block_start"].iloc[0] == pd.Timedelta(weeks=6)
    # one block of 12 weeks mixes both: its CS lies between
    one = sol.critical_speed_blocks(sol.mean_max_curve(streams), weeks=12)
    assert len(one) == 1 and 4.0 < one["critical_speed_m_s"].iloc[0] < 4.35


@dataclass
class FakeStudy:
    raw_dir: Path
    tables: dict


def test_study_run_streams_read_only_files_inside_the_study(tmp_path):
    raw = tmp_path / "study"
    (raw / "r1" / "gpx").mkdir(parents=True)
    (raw / "r2" / "strava" / "activities").mkdir(parents=True)
    gpx = sorted((DATA / "gpx").glob("*.gpx"))[:2]
    shutil.copy(gpx[0], raw / "r1" / "gpx" / gpx[0].name)
    with open(gpx[1], "rb") as src, gzip.open(raw / "r2" / "strava" / "activities" / "x.gpx.gz",
                                              "wb") as dst:
        dst.write(src.read())
    (tmp_path / "outside.gpx").write_bytes(gpx[1].read_bytes())
    runs = pd.DataFrame({
        "athlete_id": ["r1", "r2", "r2", "r2", "r2"],
        "source_file": [f"r1/gpx/{gpx[0].name}", "r2/strava/activities.csv",
                        "r2/strava/activities.csv", "r2/strava/activities.csv", "r1/log.csv"],
        "filename": [None, "activities/x.gpx.gz", "../../../outside.gpx", "activities/gone.fit",
                     None],
    })
    samples, text = sol.study_run_streams(FakeStudy(raw, {"runs": runs}))
    assert sorted(samples.groupby("athlete_id")["run_id"].nunique().items()) == [
        ("r1", 1), ("r2", 1)]
    assert text.startswith("2 record streams of 2 athlete(s) read (5 runs in the study)")
    assert {"elapsed_s", "distance_m", "time"} <= set(samples.columns)
    none, text = sol.study_run_streams(FakeStudy(raw, {"runs": runs.iloc[[4]]}))
    assert none.empty and "readable record stream" in text
    assert sol.study_run_streams(FakeStudy(raw, {}))[0].empty


def test_reliability_table_matches_icc_and_typical_error():
    rng = np.random.default_rng(4)
    true = rng.normal(4.0, 0.3, 12)
    d = pd.DataFrame({"athlete_id": np.repeat(np.arange(12), 3), "trial": [1, 2, 3] * 12,
                      "value": np.repeat(true, 3) + rng.normal(0, 0.1, 36)})
    table, note = sol.reliability_table({"cs": d, "few": d.loc[d["athlete_id"] < 3]},
                                        min_subjects=5)
    assert note.endswith("few (3).") and "at least 5 athletes" in note
    row = table.set_index("measure").loc["cs"]
    ic = sol.icc(d, "athlete_id", "trial", "value").table.set_index("term")
    te = sol.typical_error(d, "athlete_id", "trial", "value").table.set_index("term")
    assert row["athletes"] == 12 and row["trials"] == 3
    assert row["icc_a1"] == pytest.approx(ic.loc["ICC(2,1)", "estimate"])
    assert row["icc_c1"] == pytest.approx(ic.loc["ICC(3,1)", "estimate"])
    assert row["typical_error"] == pytest.approx(te.loc["typical_error", "estimate"])
    assert row["mdc95"] == pytest.approx(1.96 * np.sqrt(2) * row["typical_error"])
    assert row["te_per_swc"] == pytest.approx(row["typical_error"] / row["swc"])
    assert row["rating"] == ("good" if row["te_per_swc"] < 1 else
                             "OK" if row["te_per_swc"] <= 2 else "marginal")
    assert 0.0 < row["typical_error"] < 0.2 and row["cv_percent"] > 0
    empty, note = sol.reliability_table({})
    assert empty.empty and note == ""
