"""The simulated cohort written as app exports: reproducible bytes, a lossless round trip through
the readers, and planted bad input that validation catches exactly.

One small cohort (8 athletes x 6 weeks, seed 4383) is written with every format variant forced:
Strong classic (lb, unit only in athletes.csv), German, old semicolon (lb), newest (kg and lbs),
Hevy (kg and lbs); long runs as GPX, FIT and TCX; A008 loads pound plates but has a kg-labelled
newest Strong file (the pound-grid mix-up).

Tolerances of the round trip, from what each format stores:

- loads: kg files write 2 decimals; pound files write pounds to 2 decimals -> |error| <= 0.005 kg;
- set distances: km to 3 decimals (exact for whole metres), miles to 5 decimals -> <= 0.01 m;
- Hevy stores times to the minute: session starts read back 0-59 s early;
- PMSys session reports carry the milliseconds of the report: starts read back 0-1 s late;
- stream metrics (:mod:`soleus_analysis.simulation.writers.streams`): heart rates in whole beats
  rounded by error diffusion (each half's mean within 0.5/n beats, n >= 20) and positions to 1e-7
  degree: efficiency factor within 0.03% (relative), decoupling within 0.05 and pace fade within
  0.01 percentage points.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.simulation import EXERCISE_NAMES, SOLEUS_SHARES
from soleus_analysis.simulation.writers import STRENGTH_FORMATS
from soleus_analysis.simulation.writers.defects import KINDS

# The formats below need these drawn weight units (lb users load pound plates) and strength sets
# from every athlete; 4383 is the first seed whose 8 athletes have both (at least 2 sessions
# each). The fixture checks, so that a change of the simulator fails clearly here.
SEED = 4383
UNITS = {"A001": "lb", "A002": "lb", "A004": "kg", "A005": "lb", "A006": "lb", "A007": "kg",
         "A008": "lb"}
FORMATS = {
    "A001": {"strength": "strong_classic", "device": "gpx"},
    "A002": {"strength": "strong_newest", "device": "fit"},
    "A003": {"strength": "strong_german", "device": "tcx"},
    "A004": {"strength": "strong_newest", "device": "gpx"},
    "A005": {"strength": "strong_semicolon", "device": "tcx"},
    "A006": {"strength": "hevy", "device": "gpx"},
    "A007": {"strength": "hevy", "device": "gpx"},
    "A008": {"strength": "strong_newest", "strength_unit": "kg", "device": "fit"},
}
KNOWN = {name for names in EXERCISE_NAMES.values() for name in names}


@pytest.fixture(scope="module")
def cohort():
    cohort = sol.simulate_cohort(8, 6, rng=SEED)
    drawn = cohort.params.athletes.set_index("athlete_id")["weight_unit"]
    assert drawn[list(UNITS)].to_dict() == UNITS, "choose a seed with the units the formats need"
    assert set(cohort.strength_sets["athlete_id"]) == set(FORMATS), "every athlete needs sets"
    return cohort


@pytest.fixture(scope="module")
def written(cohort, tmp_path_factory):
    root = tmp_path_factory.mktemp("cohort")
    return sol.write_cohort(cohort, root, rng=SEED, formats=FORMATS, seed=SEED)


@pytest.fixture(scope="module")
def folder(written):
    return sol.read_folder(written.root)


@pytest.fixture(scope="module")
def reports(folder):
    return {name: sol.validate(df, name) for name, df in folder.tables.items()}


def _hashes(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _rel(root: Path, paths: pd.Series) -> pd.Series:
    return paths.map(lambda p: Path(p).relative_to(root).as_posix())


def test_the_forced_formats_cover_every_variant(written):
    fmt = written.formats.set_index("athlete_id")
    assert set(fmt["strength"]) == set(STRENGTH_FORMATS)
    assert set(written.files["format"]) >= {
        "gpx.gz",
        "fit.gz",
        "tcx.gz",
        "strava_activities",
        "pmsys_wellness",
        "pmsys_srpe",
        *STRENGTH_FORMATS,
    }
    root = written.root
    # The planned units: pounds in Strong classic (no unit), semicolon, newest and Hevy files.
    assert (fmt.loc[["A001", "A002", "A005", "A006"], "strength_unit"] == "lb").all()
    head = {a: (root / a / ("hevy_workouts.csv" if f["strength"] == "hevy" else "strong.csv"))
            .read_bytes()[:200] for a, f in FORMATS.items()}  # fmt: skip
    assert head["A001"].startswith(b"Date,Workout Name,Duration,Exercise Name,Set Order,Weight,")
    assert (
        head["A002"].startswith(b'\xef\xbb\xbf"Workout #";"Date"')
        and b'"Weight (lbs)"' in head["A002"]
    )
    assert head["A004"].startswith(b'\xef\xbb\xbf"Workout #"') and b'"Weight (kg)"' in head["A004"]
    assert head["A003"].startswith("Datum,Workout-Name,Dauer,Name der Übung".encode())
    assert head["A005"].startswith(b"Date;Workout Name;Exercise Name;Set Order;Weight;Weight Unit")
    assert b'"weight_lbs"' in head["A006"] and b'"weight_kg"' in head["A007"]
    strava = (root / "A001" / "strava" / "activities.csv").read_text().splitlines()[0].split(",")
    assert strava.count("Distance") == 2 and strava.count("Elapsed Time") == 2
    gz = [p for p in root.rglob("*.gz")]
    assert gz and all(p.read_bytes()[:2] == b"\x1f\x8b" for p in gz)
    assert all(p.parent.name == "activities" for p in gz)


def test_same_seed_same_bytes_different_seed_different(cohort, written, tmp_path):
    again = sol.write_cohort(cohort, tmp_path / "again", rng=SEED, formats=FORMATS, seed=SEED)
    first, second = _hashes(written.root), _hashes(again.root)
    assert first == second
    other = sol.write_cohort(
        sol.simulate_cohort(8, 6, rng=SEED + 1), tmp_path / "other", rng=SEED + 1,
        activity_files=False,
    )  # fmt: skip
    third = _hashes(other.root)
    shared = [p for p in first if p in third and p.endswith(".csv")]
    assert len(shared) >= 20
    assert all(first[p] != third[p] for p in shared)


def test_every_file_is_read_without_error(folder, written):
    files = folder.files
    assert (files["error"] == "").all(), files.loc[files["error"] != "", ["path", "error"]]
    data = written.files[written.files["athlete_id"] != ""]
    read = set(_rel(written.root, files["path"]))
    assert set(data["path"]) == read
    # Activity files are read through their Strava CSV.
    members = files[files["path"].str.endswith(".gz")]
    assert len(members) and members["notes"].str.startswith("read through").all()


def test_rejected_rows_are_exactly_the_injected_ones(reports, written):
    inj = written.injected
    for table in ("strength_sets", "runs", "sessions", "wellness", "athletes"):
        rej = reports[table].rejected
        rows = rej["source_row"].astype(int)
        got = set(zip(_rel(written.root, rej["source_file"]), rows, strict=True))
        want = inj[(inj["table"] == table) & (inj["expected"] == "rejected")]
        expected = set(zip(want["path"], want["source_row"].astype(int), strict=True))
        assert got == expected, (table, got ^ expected)
    # Every kind of rejected defect is there.
    kinds = set(inj.loc[inj["expected"] == "rejected", "kind"])
    assert kinds == {"duplicate", "near-duplicate", "impossible value"}
    details = " ".join(inj["detail"])
    for what in ("negative reps", "900 kg", "1985", "heart rate 300", "2:00/km", "fatigue 0"):
        assert what in details


def test_flags_are_exactly_the_unit_mixups(reports, written):
    flags = reports["strength_sets"].flags
    inj = written.injected
    mixups = inj[inj["kind"] == "unit mix-up"]
    assert set(flags["athlete_id"]) == set(mixups["athlete_id"]) == {"A008", *mixups["athlete_id"]}
    assert len(set(mixups["athlete_id"])) == 2
    assert set(flags.loc[flags["athlete_id"] == "A008", "check"]) == {"loads_on_pound_grid"}
    # The x2.2 session: the flagged rows are the injected rows (matched by file and row).
    valid = reports["strength_sets"].valid
    jumps = flags[flags["check"] == "load_jump_x2.2"]
    rows = valid.loc[jumps["row"]]
    lines = rows["source_row"].astype(int)
    got = set(zip(_rel(written.root, rows["source_file"]), lines, strict=True))
    want = mixups.dropna(subset=["source_row"])
    assert got == set(zip(want["path"], want["source_row"].astype(int), strict=True))
    # Flagged rows stay valid.
    assert flags["row"].isin(valid.index).all()


def test_typos_are_the_only_unknown_names(reports, written):
    valid = reports["strength_sets"].valid
    unknown = set(valid["exercise_raw"]) - KNOWN
    typos = written.injected[written.injected["kind"] == "typo"]
    assert len(typos)
    assert unknown == {d.split(" logged as ")[1].strip("'") for d in typos["detail"]}


def _clean(report, written, table):
    """Valid rows that are not planted defects."""
    valid = report.valid.copy()
    valid["path"] = _rel(written.root, valid["source_file"])
    inj = written.injected.dropna(subset=["source_row"])
    inj = inj[inj["table"] == table]
    bad = set(zip(inj["path"], inj["source_row"].astype(int), strict=True))
    keep = [(p, int(r)) not in bad for p, r in zip(valid["path"], valid["source_row"], strict=True)]
    return valid[keep]


def _in_place(written, table):
    inj = written.injected
    inj = inj[(inj["table"] == table) & ~inj["added"] & inj["source_row"].notna()]
    return len(inj)


def test_round_trip_recovers_the_strength_sets(cohort, reports, written):
    read = _clean(reports["strength_sets"], written, "strength_sets")
    canon = cohort.strength_sets.copy()
    hevy = [a for a, f in FORMATS.items() if f["strength"] == "hevy"]
    for frame in (read, canon):
        frame["key_start"] = (
            frame["session_start"]
            .dt.floor("min")
            .where(frame["athlete_id"].isin(hevy), frame["session_start"])
        )
    key = ["athlete_id", "key_start", "exercise_raw", "set_index"]
    both = read.merge(canon, on=key, suffixes=("", "_c"), validate="1:1")
    assert len(both) == len(read)
    assert len(canon) - len(both) == _in_place(written, "strength_sets")
    # The old semicolon variant states no workout duration.
    semicolon = both["athlete_id"].eq("A005").to_numpy()
    assert both.loc[semicolon, "session_duration_s"].isna().all()
    for col, tol in (("reps", 0), ("load_kg", 0.005), ("duration_s", 0), ("distance_m", 0.01),
                     ("rpe", 0), ("session_duration_s", 0)):  # fmt: skip
        a, b = both[col].to_numpy(float), both[f"{col}_c"].to_numpy(float)
        if col == "session_duration_s":
            a, b = a[~semicolon], b[~semicolon]
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        assert np.nanmax(np.abs(a - b), initial=0.0) <= tol + 1e-9, col
    assert (both["set_type"] == both["set_type_c"]).all()
    assert (both["workout_name"] == both["workout_name_c"]).all()
    shift = (both["session_start_c"] - both["session_start"]).dt.total_seconds()
    is_hevy = both["source"] == "hevy"
    assert (shift[~is_hevy] == 0).all() and shift[is_hevy].between(0, 59).all()
    loaded = both["load_kg"] > 0
    assert (both.loc[loaded, "load_unit"] == both.loc[loaded, "load_unit_c"]).mean() > 0.8


def test_round_trip_recovers_the_runs_and_their_stream_metrics(cohort, reports, written):
    read = _clean(reports["runs"], written, "runs")
    both = read.merge(cohort.runs, on=["athlete_id", "start"], suffixes=("", "_c"),
                      validate="1:1")  # fmt: skip
    assert len(both) == len(read)
    assert len(cohort.runs) - len(both) == _in_place(written, "runs")
    for col in ("distance_m", "moving_time_s", "elapsed_time_s", "avg_hr_bpm", "max_hr_bpm",
                "avg_cadence_spm", "elevation_gain_m", "rpe"):  # fmt: skip
        a, b = both[col].to_numpy(float), both[f"{col}_c"].to_numpy(float)
        assert np.array_equal(np.isnan(a), np.isnan(b)), col
        assert np.nanmax(np.abs(a - b), initial=0.0) < 1e-6, col
    streamed = both["filename"].notna()
    assert streamed.sum() >= 20
    s = both[streamed]
    ef = s["efficiency_factor_m_per_beat"] / s["efficiency_factor_m_per_beat_c"] - 1
    assert np.nanmax(np.abs(ef)) < 3e-4
    assert np.nanmax(np.abs(s["decoupling_pct"] - s["decoupling_pct_c"])) < 0.05
    assert np.nanmax(np.abs(s["pace_fade_pct"] - s["pace_fade_pct_c"])) < 0.01
    # Heart rate missing in the file -> no efficiency factor or decoupling, as in the cohort.
    assert (s["efficiency_factor_m_per_beat"].isna() == s["avg_hr_bpm"].isna()).all()
    assert both.loc[~streamed, "pace_fade_pct"].isna().all()


def test_round_trip_recovers_sessions_and_wellness(cohort, reports, written):
    sessions = _clean(reports["sessions"], written, "sessions")
    pm = sessions[sessions["source"] == "pmsys"].copy()
    pm["second"] = pm["start"].dt.floor("s")
    both = pm.merge(cohort.sessions, left_on=["athlete_id", "activity", "second"],
                    right_on=["athlete_id", "activity", "start"], suffixes=("", "_c"),
                    validate="1:1")  # fmt: skip
    assert len(both) == len(pm) == len(cohort.sessions)
    assert (both["duration_s"] == both["duration_s_c"]).all()
    assert (both["rpe"] == both["rpe_c"]).all()
    well = _clean(reports["wellness"], written, "wellness")
    both = well.merge(cohort.wellness, on=["athlete_id", "date"], suffixes=("", "_c"),
                      validate="1:1")  # fmt: skip
    assert len(both) == len(well) == len(cohort.wellness) - _in_place(written, "wellness")
    for col in ("fatigue", "soreness", "readiness", "mood", "stress", "sleep_quality",
                "sleep_duration_h"):  # fmt: skip
        assert (both[col] == both[f"{col}_c"]).all(), col


def test_no_bad_input_reads_back_clean(cohort, tmp_path):
    out = sol.write_cohort(cohort, tmp_path, rng=1, bad_input=False, activity_files=False)
    assert out.injected.empty
    tables = sol.read_folder(tmp_path).tables
    for name, df in tables.items():
        report = sol.validate(df, name)
        assert report.rejected.empty, name
        if name == "strength_sets":
            assert report.flags.empty
            assert set(report.valid["exercise_raw"]) <= KNOWN
    assert len(tables["strength_sets"]) == len(cohort.strength_sets)
    assert len(tables["runs"]) == len(cohort.runs)


def test_share_of_bad_rows_is_realistic(written, folder):
    inj = written.injected
    rows = sum(len(folder.tables[t]) for t in ("strength_sets", "runs", "wellness"))
    bad = inj[inj["table"].isin(["strength_sets", "runs", "wellness"]) & inj["source_row"].notna()]
    assert 0.005 <= len(bad) / rows <= 0.05  # small cohorts get at least one defect of each kind


def test_planted_effect_is_recoverable_from_the_files(tmp_path):
    """A strong planted effect, read back from the files, is found by a within-athlete slope."""
    effects = sol.Effects(pace_s_per_km_per_10_soleus_sets=-30.0, slope_sd_s_per_km=0.0,
                          adaptation_weeks=0.0)  # fmt: skip
    cohort = sol.simulate_cohort(30, 12, effects=effects, rng=3)
    sol.write_cohort(cohort, tmp_path, rng=3, activity_files=False)
    tables = sol.read_folder(tmp_path).tables
    sets = sol.validate(tables["strength_sets"], "strength_sets").valid
    runs = sol.validate(tables["runs"], "runs").valid
    name_to_id = {n: ex for ex, names in EXERCISE_NAMES.items() for n in names}
    share = sets["exercise_raw"].map(name_to_id).map(SOLEUS_SHARES).fillna(0.0)
    hard = sets["set_type"].isin(["working", "failure"])

    def week(frame, col):
        """Monday of the local week."""
        day = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
        for zone, rows in frame.groupby("timezone").groups.items():
            day[rows] = frame.loc[rows, col].dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()
        return day - pd.to_timedelta(day.dt.day_of_week, unit="D")

    sets = sets.assign(week=week(sets, "session_start"), dose=share * hard)
    dose = sets.groupby(["athlete_id", "week"])["dose"].sum()
    easy = runs[~runs["activity_name"].isin(["Tempo Run", "Intervals"])]
    easy = easy.assign(
        week=week(easy, "start"), pace=easy["moving_time_s"] / easy["distance_m"] * 1000
    )
    pace = easy.groupby(["athlete_id", "week"])["pace"].mean()
    panel = pd.concat([pace, dose], axis=1).fillna({"dose": 0.0}).dropna()
    demeaned = panel - panel.groupby(level="athlete_id").transform("mean")
    x, y = demeaned["dose"].to_numpy(), demeaned["pace"].to_numpy()
    slope = (x * y).sum() / (x * x).sum()
    resid = y - slope * x
    se = np.sqrt((resid**2).sum() / (len(x) - panel.index.get_level_values(0).nunique() - 1)
                 / (x * x).sum())  # fmt: skip
    planted = effects.pace_s_per_km_per_10_soleus_sets / 10.0
    assert abs(slope - planted) < 3 * se
    assert slope + 3 * se < 0


def test_cli_simulate_writes_the_app_exports(tmp_path, capsys):
    from soleus_analysis import cli

    argv = ["--athletes", "4", "--weeks", "4", "--seed", "3", "--no-activity-files"]
    assert cli.main(["simulate", str(tmp_path / "a"), *argv]) == 0
    assert "SIMULATED" in capsys.readouterr().out
    assert cli.main(["simulate", str(tmp_path / "b"), *argv]) == 0
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    assert "simulated" in (tmp_path / "a" / "README.md").read_text().lower()
    injected = pd.read_csv(tmp_path / "a" / "truth_injected.csv")
    assert len(injected) and set(injected["kind"]) <= set(KINDS)
    assert cli.main(["simulate", str(tmp_path / "c"), *argv, "--no-bad-input"]) == 0
    assert pd.read_csv(tmp_path / "c" / "truth_injected.csv").empty
    tables = sol.read_folder(tmp_path / "c").tables
    assert all(sol.validate(df, name).rejected.empty for name, df in tables.items())


DEMO = Path(__file__).resolve().parents[1] / "data" / "raw" / "demo-cohort"


def test_the_shipped_demo_cohort_says_it_is_simulated():
    import json

    readme = (DEMO / "README.md").read_text()
    assert readme.startswith("# Simulated cohort: NOT real athletes")
    assert "docs/simulation.md" in readme and "--seed 2025" in readme
    meta = json.loads((DEMO / "truth.json").read_text())
    assert meta["simulated"] is True and meta["seed"] == 2025
    assert meta["params"]["n_athletes"] == 40 and meta["params"]["n_weeks"] == 26
    athletes = pd.read_csv(DEMO / "athletes.csv")
    assert len(athletes) == 40 and {"timezone", "weight_unit", "distance_unit"} <= set(athletes)
    assert sorted(p.name for p in DEMO.iterdir() if p.is_dir()) == sorted(athletes["athlete_id"])
    size = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    assert size < 7.0e6


@pytest.mark.slow
def test_the_shipped_demo_cohort_is_reproducible_and_round_trips(tmp_path):
    from soleus_analysis import cli

    argv = ["simulate", str(tmp_path), "--athletes", "40", "--weeks", "26", "--seed", "2025"]
    assert cli.main(argv) == 0
    assert _hashes(tmp_path) == _hashes(DEMO)
    folder = sol.read_folder(DEMO)
    inj = pd.read_csv(DEMO / "truth_injected.csv")
    for table, df in folder.tables.items():
        rej = sol.validate(df, table).rejected
        got = set(zip(_rel(DEMO, rej["source_file"]), rej["source_row"].astype(int), strict=True))
        want = inj[(inj["table"] == table) & (inj["expected"] == "rejected")]
        assert got == set(zip(want["path"], want["source_row"].astype(int), strict=True)), table
