import hashlib
import json

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.cli import main
from tests import factories


def _hashes(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def raw(tmp_path):
    root = tmp_path / "raw"
    (root / "club").mkdir(parents=True)
    sets = factories.strength_sets(12)
    sets.loc[4, "reps"] = -3  # rejected: reps must be >= 0
    sets.loc[10, "set_type"] = "warm"  # rejected: unknown set type
    sets.loc[20, "exercise_raw"] = "Calf Crusher 3000"  # unmapped, kept
    sets.to_csv(root / "strength_sets.csv", index=False)
    other = factories.strength_sets(3, seed=5).assign(athlete_id="a2")
    other.loc[0, "load_kg"] = 900  # rejected: load above 500 kg
    other.to_csv(root / "club" / "a2.strength_sets.csv", index=False)
    factories.runs(20).to_parquet(root / "runs.parquet")
    factories.sessions(4).to_csv(root / "sessions.csv", index=False)
    factories.wellness(10).to_csv(root / "wellness.csv", index=False)
    factories.athletes(2).to_csv(root / "athletes.csv", index=False)
    (root / "README.md").write_text("about this folder\n")
    (root / "watch.fit").write_bytes(b"\x0e\x10FIT")
    return root


def test_build_writes_tables_panel_quarantine_and_report(raw, tmp_path):
    before = _hashes(raw)
    out = tmp_path / "processed"
    report = sol.build(raw, out)
    assert _hashes(raw) == before  # data/raw is read-only
    for name in [
        "strength_sets",
        "runs",
        "sessions",
        "wellness",
        "athletes",
        "athlete_week",
        "dose_per_set",
        "provenance",
        "daily_loads",
    ]:
        assert (out / f"{name}.parquet").exists(), name
    tables = report.tables.set_index("table")
    assert tables.loc["strength_sets"].tolist() == [108 + 27, 108 + 27 - 3, 3]
    rejected = report.rejected.set_index(["table", "column", "check"])["rows"]
    assert rejected[("strength_sets", "reps", "greater_than_or_equal_to")] == 1
    assert rejected[("strength_sets", "set_type", "isin")] == 1
    assert rejected[("strength_sets", "load_kg", "less_than_or_equal_to")] == 1
    q = pd.read_csv(out / "quarantine" / "strength_sets.csv.strength_sets.rejected.csv")
    assert sorted(q["source_row"]) == [6, 12] and q["reasons"].str.contains("must be").all()
    q2 = pd.read_csv(out / "quarantine" / "club__a2.strength_sets.csv.strength_sets.rejected.csv")
    assert q2["source_row"].tolist() == [2] and "load_kg" in q2["reasons"].iloc[0]
    assert report.unmapped["name"].tolist() == ["Calf Crusher 3000"]
    files = report.files.set_index("path")
    assert "README.md" not in files.index
    assert len(files.loc["watch.fit", "error"]) > 10  # not readable, and the report says why
    assert files.loc["club/a2.strength_sets.csv", "rows"] == 27

    panel = pd.read_parquet(out / "athlete_week.parquet")
    assert sol.validate(panel, "athlete_week").ok
    assert panel.attrs["ewma_convention"] == "williams"
    assert sorted(panel["athlete_id"].unique()) == ["a1", "a2"]
    md = (out / "build_report.md").read_text()
    for text in [
        "## Rejected rows (3)",
        "must be >= 0",
        "Calf Crusher 3000",
        "EWMA convention `williams`",
        "watch.fit",
        "2 athlete(s)",
    ]:
        assert text in md, text
    js = json.loads((out / "build_report.json").read_text())
    assert js["rows_rejected"] == 3 and js["parameters"]["lags"] == [1, 2, 3, 4]
    assert js["unmapped_exercises"][0] == {
        "name": "Calf Crusher 3000",
        "sets": 1,
        "athletes": 1,
        "looks_like_calf": True,
    }


def test_provenance_points_at_the_sets_and_their_export_lines(raw, tmp_path):
    out = tmp_path / "processed"
    sol.build(raw, out)
    sets = pd.read_parquet(out / "strength_sets.parquet")
    prov = pd.read_parquet(out / "provenance.parquet")
    panel = pd.read_parquet(out / "athlete_week.parquet").set_index(["athlete_id", "week_start"])
    assert len(prov) == len(sets)
    # Every provenance row names a row of strength_sets.parquet with the same file and line.
    joined = prov.merge(
        sets[["source_file", "source_row", "exercise_raw"]],
        left_on="row",
        right_index=True,
        suffixes=("", "_set"),
    )
    assert (joined["source_file"] == joined["source_file_set"]).all()
    assert (joined["source_row"] == joined["source_row_set"]).all()
    sums = prov.groupby(["athlete_id", "week_start"])[
        ["soleus_sets", "soleus_reps", "calf_sets"]
    ].sum()
    np.testing.assert_allclose(
        sums.to_numpy(), panel.loc[sums.index, ["soleus_sets", "soleus_reps", "calf_sets"]]
    )


def test_two_builds_give_identical_files(raw, tmp_path):
    sol.build(raw, tmp_path / "one", ewma="exponential")
    sol.build(raw, tmp_path / "two", ewma="exponential")
    one, two = _hashes(tmp_path / "one"), _hashes(tmp_path / "two")
    assert one == two and len(one) >= 12
    sol.build(raw, tmp_path / "one", ewma="exponential")  # rebuilding in place changes nothing
    assert _hashes(tmp_path / "one") == one


def test_fixing_a_row_removes_its_stale_quarantine_file(raw, tmp_path):
    out = tmp_path / "processed"
    sol.build(raw, out)
    assert (out / "quarantine" / "club__a2.strength_sets.csv.strength_sets.rejected.csv").exists()
    fixed = pd.read_csv(raw / "club" / "a2.strength_sets.csv")
    fixed.loc[0, "load_kg"] = 90
    fixed.to_csv(raw / "club" / "a2.strength_sets.csv", index=False)
    report = sol.build(raw, out)
    assert not (
        out / "quarantine" / "club__a2.strength_sets.csv.strength_sets.rejected.csv"
    ).exists()
    assert report.rows_rejected == 2


def test_unusable_folders(tmp_path):
    with pytest.raises(sol.InputError, match="raw data folder not found"):
        sol.build(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "empty").mkdir()
    with pytest.raises(sol.InputError, match="no table could be read"):
        sol.build(tmp_path / "empty", tmp_path / "out")
    with pytest.raises(sol.InputError, match="inside the raw data folder"):
        sol.build(tmp_path / "empty", tmp_path / "empty" / "processed")
    with pytest.raises(ValueError, match="EWMA convention"):
        sol.build(tmp_path / "empty", tmp_path / "out", ewma="fast")


def test_cli_build(raw, tmp_path, capsys):
    out = tmp_path / "processed"
    args = ["build", str(raw), "--out", str(out), "--lags", "1", "2", "--ewma", "exponential"]
    # watch.fit cannot be read: the build of the rest is written, and the exit status says so.
    assert main(args) == 1
    captured = capsys.readouterr()
    text = captured.out
    assert "reading" not in captured.err  # stderr is not a terminal: no progress bars
    assert "1 file(s) could not be read and are not in the build: watch.fit" in captured.err
    assert "strength_sets: 135 rows read, 132 valid, 3 rejected" in text
    assert "reps / greater_than_or_equal_to" in text and "Unmapped exercise names: 1" in text
    assert text.count("watch.fit") == 1  # listed once, its reason once
    panel = pd.read_parquet(out / "athlete_week.parquet")
    assert "soleus_sets_lag2" in panel.columns and "soleus_sets_lag3" not in panel.columns
    assert panel.attrs["ewma_convention"] == "exponential"
    (raw / "watch.fit").unlink()
    assert main(args) == 0  # every file read; rejected rows are quarantined
    assert main(["build", str(raw), "--out", str(out), "--strict", "--quiet"]) == 1
    assert capsys.readouterr().err == "soleus: 3 row(s) rejected (--strict); exit status 1\n"
    assert main(["build", str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert "raw data folder not found" in capsys.readouterr().err


def test_files_that_cannot_be_read_are_listed_once_grouped_by_reason(tmp_path, capsys):
    # A hand-made running log is no export the readers know, and with a distance whose unit it
    # does not state its layout is not guessed: two athletes' copies of it.
    raw = tmp_path / "raw"
    for athlete in ("ada", "bob"):
        (raw / athlete).mkdir(parents=True)
        (raw / athlete / "runlog.csv").write_text(
            "Date,Distance,Time,Avg HR,RPE\n2024-05-06,10.2,52:10,150,6\n"
        )
    factories.strength_sets(3).assign(athlete_id="ada").to_csv(
        raw / "ada" / "sets.strength_sets.csv", index=False
    )
    code = main(["build", str(raw), "--out", str(tmp_path / "out"), "--quiet"])
    captured = capsys.readouterr()
    assert code == 1
    assert "2 file(s) could not be read" in captured.err
    assert "ada/runlog.csv, bob/runlog.csv" in captured.err
    # One line for the two files and their shared reason; no file's path inside its reason.
    lines = [ln for ln in captured.out.splitlines() if "runlog.csv" in ln]
    assert len(lines) == 1 and lines[0].count("cannot tell which app exported") == 1
    assert str(raw) not in lines[0]
    report = sol.open_study(raw, tmp_path / "out", rebuild=False).report
    errors = {f["path"]: f["error"] for f in report["files"]}
    assert errors["ada/runlog.csv"].startswith("cannot tell which app exported this file")
    assert errors["ada/sets.strength_sets.csv"] is None


def _cohort(rng, n_athletes=4, n_weeks=10):
    """Canonical strength sets of a small cohort: several zones, set types, names and timed sets."""
    names = [
        "Seated Calf Raise (Machine)",
        "Standing Calf Raise (Smith Machine)",
        "calf_raise/seated_calf_raise",
        "Soleus Walk with Farmers Carry",
        "Horse Stance Alternating Calf Raises",
        "Squat (Barbell)",
        "Calf Wall",
        "Single Leg Bent Knee Calf Raise",
        "Jump Rope",
        "Mystery Calf Gizmo",
    ]
    zones = ["Europe/Oslo", "America/Los_Angeles", "Australia/Sydney", "UTC"]
    rows = []
    for a in range(n_athletes):
        for w in range(n_weeks):
            for day in rng.choice(7, size=rng.integers(0, 4), replace=False):
                start = (
                    pd.Timestamp("2024-01-01", tz="UTC")
                    + pd.Timedelta(days=7 * w + int(day))
                    + pd.Timedelta(minutes=int(rng.integers(0, 24 * 60)))
                )
                for name in rng.choice(names, size=3, replace=False):
                    timed = name in ("Soleus Walk with Farmers Carry", "Jump Rope", "Calf Wall")
                    for k in range(int(rng.integers(2, 5))):
                        rows.append(
                            {
                                "athlete_id": f"ath{a}",
                                "session_start": start.isoformat(),
                                "exercise_raw": name,
                                "set_index": k,
                                "set_type": rng.choice(
                                    ["warmup", "working", "working", "drop", "failure"]
                                ),
                                "reps": np.nan if timed else float(rng.integers(6, 25)),
                                "load_kg": 2.5 * float(rng.integers(0, 30)),
                                "duration_s": float(rng.integers(20, 90)) if timed else np.nan,
                                "distance_m": 20.0 if name.startswith("Soleus") else np.nan,
                                "rpe": np.nan,
                                "timezone": zones[a],
                            }
                        )
    sets = pd.DataFrame(rows)
    athletes = pd.DataFrame(
        {
            "athlete_id": [f"ath{a}" for a in range(n_athletes)],
            "body_mass_kg": [58.5, 71.0, 80.5, 66.0][:n_athletes],
            "timezone": zones[:n_athletes],
        }
    )
    return sets, athletes


def test_build_reproduces_the_true_weekly_dose_up_to_rejected_rows(tmp_path):
    rng = np.random.default_rng(2024)
    sets, athletes = _cohort(rng)
    broken = np.sort(rng.choice(len(sets), 6, replace=False))
    messy = sets.copy().astype({"reps": object, "set_type": object})
    for k, i in enumerate(broken):
        column, value = [("reps", -5.0), ("set_type", "warm-up"), ("load_kg", 999.0)][k % 3]
        messy.at[i, column] = value
    dup = messy.iloc[[7]]  # the same set logged twice: the copy is rejected as a duplicate
    messy = pd.concat([messy.iloc[:8], dup, messy.iloc[8:]], ignore_index=True)
    raw = tmp_path / "raw"
    raw.mkdir()
    messy.to_csv(raw / "strength_sets.csv", index=False)
    athletes.to_csv(raw / "athletes.csv", index=False)
    report = sol.build(raw, tmp_path / "out")
    assert report.tables.set_index("table").loc["strength_sets", "rows_rejected"] == len(broken) + 1

    clean = sets.drop(index=broken).assign(
        session_start=lambda d: pd.to_datetime(d["session_start"], utc=True)
    )
    clean["session_start"] = clean["session_start"].dt.as_unit("us")
    truth = sol.weekly(sol.soleus_dose(clean, athletes)).set_index(["athlete_id", "week_start"])
    panel = pd.read_parquet(tmp_path / "out" / "athlete_week.parquet").set_index(
        ["athlete_id", "week_start"]
    )
    cols = [
        "soleus_sets",
        "soleus_reps",
        "soleus_volume_kg",
        "soleus_tut_s",
        "soleus_distance_m",
        "calf_sets",
        "strength_sessions",
        "unmapped_sets",
    ]
    np.testing.assert_array_equal(
        panel.loc[truth.index, cols].to_numpy(), truth[cols].to_numpy(dtype=float)
    )
    others = panel.index.difference(truth.index)
    assert (panel.loc[others, "soleus_sets"].fillna(0) == 0).all()
    assert report.unmapped["name"].tolist() == ["Mystery Calf Gizmo"]


def test_app_exports_and_table_files_are_each_read_once(tmp_path):
    # An app export and a canonical table file side by side: each file is listed once, and its
    # rows are in the tables once (the exports first, then the table files).
    import shutil
    from pathlib import Path

    data = Path(__file__).parent / "data"
    raw = tmp_path / "raw"
    (raw / "ada").mkdir(parents=True)
    shutil.copy(data / "strong" / "strong_newest_kg.csv", raw / "ada" / "strong.csv")
    sets = factories.strength_sets(2).assign(athlete_id="bob")
    sets.to_csv(raw / "bob.strength_sets.csv", index=False)
    factories.runs(3).to_parquet(raw / "runs.parquet")
    report = sol.build(raw, tmp_path / "out")
    files = report.files.set_index("path")
    assert sorted(files.index) == ["ada/strong.csv", "bob.strength_sets.csv", "runs.parquet"]
    assert files.loc["ada/strong.csv", "source"] == "strong"
    assert files.loc["bob.strength_sets.csv", "source"] == "canonical"
    assert files["error"].isna().all()
    written = pd.read_parquet(tmp_path / "out" / "strength_sets.parquet")
    read = files.loc[["ada/strong.csv", "bob.strength_sets.csv"], "rows"]
    strong_sets = sol.read(raw / "ada" / "strong.csv", table="strength_sets")
    assert read["bob.strength_sets.csv"] == len(sets)
    assert report.tables.set_index("table").loc["strength_sets", "rows_read"] == len(
        strong_sets
    ) + len(sets)
    assert written["source_file"].value_counts().to_dict() == {
        "ada/strong.csv": len(strong_sets),
        "bob.strength_sets.csv": len(sets),
    }


def test_build_of_a_simulated_cohort_matches_its_truth(tmp_path):
    from soleus_analysis.simulation import simulate_cohort, write_canonical

    cohort = simulate_cohort(8, 10, rng=3)
    raw = tmp_path / "raw"
    write_canonical(cohort, raw, seed=3)
    report = sol.build(raw, tmp_path / "out")
    assert "truth.csv" in set(report.files["path"])  # listed, but not read as data
    assert report.tables["rows_read"].sum() == sum(len(t) for t in cohort.tables().values())
    panel = pd.read_parquet(tmp_path / "out" / "athlete_week.parquet")
    panel = panel.set_index(["athlete_id", "week_start"])
    tables = cohort.tables()
    # The dose the panel reports is the dose of the generated sets, to the last bit ...
    expected = sol.weekly(sol.soleus_dose(tables["strength_sets"], tables["athletes"]))
    expected = expected.set_index(["athlete_id", "week_start"])
    cols = ["soleus_sets", "soleus_reps", "soleus_volume_kg", "soleus_tut_s", "calf_sets"]
    np.testing.assert_array_equal(
        panel.loc[expected.index, cols].to_numpy(), expected[cols].to_numpy()
    )
    # ... and the hard calf sets equal the simulator's truth in every week the athlete logged.
    truth = cohort.truth.set_index(["athlete_id", "week_start"])
    logged = panel["calf_sets"].notna()
    common = panel.index[logged].intersection(truth.index)
    assert len(common) > 40
    np.testing.assert_array_equal(panel.loc[common, "calf_sets"], truth.loc[common, "calf_sets"])


def test_the_panel_recovers_the_simulated_soleus_sets(tmp_path):
    from soleus_analysis.simulation import simulate_cohort, write_canonical

    cohort = simulate_cohort(6, 8, rng=9)
    write_canonical(cohort, tmp_path / "raw", seed=9)
    sol.build(tmp_path / "raw", tmp_path / "out")
    panel = pd.read_parquet(tmp_path / "out" / "athlete_week.parquet")
    panel = panel.set_index(["athlete_id", "week_start"])
    truth = cohort.truth.set_index(["athlete_id", "week_start"])
    common = panel.index[panel["soleus_sets"].notna()].intersection(truth.index)
    assert len(common) > 20 and truth.loc[common, "soleus_sets"].gt(0).sum() > 5
    # Per-set doses are kept on a 2**-24 grid so that weekly sums do not depend on row order.
    np.testing.assert_allclose(
        panel.loc[common, "soleus_sets"], truth.loc[common, "soleus_sets"], atol=1e-5
    )


def test_a_documented_data_set_folder_is_read_with_its_athlete_folders(tmp_path):
    # Real PMData files of two participants (CC BY 4.0; see data/raw/pmdata/README.md).
    import shutil
    from pathlib import Path

    source = Path(__file__).resolve().parents[1] / "data" / "raw" / "pmdata"
    raw = tmp_path / "raw" / "pmdata"
    raw.mkdir(parents=True)
    shutil.copy(source / "README.md", raw / "README.md")
    for athlete in ("p01", "p02"):
        shutil.copytree(source / athlete, raw / athlete)
    report = sol.build(tmp_path / "raw", tmp_path / "out")
    assert report.weeks["athlete_id"].tolist() == ["p01", "p02"]
    assert "dataset folders read one by one" in report.parameters["reader"]
    panel = pd.read_parquet(tmp_path / "out" / "athlete_week.parquet")
    # PMSys session RPE is the load record; the Fitbit activities (no RPE) do not blank it.
    assert panel["srpe_load_au"].notna().mean() > 0.5
    assert (panel["fatigue"].dropna().between(1, 5)).all()
    daily = pd.read_parquet(tmp_path / "out" / "daily_loads.parquet")
    assert daily["unrated_sessions"].sum() > 0 and (daily["status"] == "training").sum() > 20


def test_user_text_is_neither_a_formula_in_quarantine_nor_markup_in_the_report(tmp_path):
    mistune = pytest.importorskip("mistune")
    raw = tmp_path / "raw"
    raw.mkdir()
    sets = factories.strength_sets(2).astype({"reps": object})
    names = ['<img src=x onerror="alert(1)">', "**Calf** [raise](http://evil.example) | x",
             "<script>alert(2)</script> Soleus"]
    sets.loc[:2, "exercise_raw"] = names  # unmapped names go into the report
    sets.loc[3, "reps"] = "=HYPERLINK(\"http://evil\",\"x\")"  # rejected, quarantined
    sets.loc[4, "athlete_id"] = "@evil"
    sets.loc[4, "reps"] = "-1"  # rejected
    sets.to_csv(raw / "strength_sets.csv", index=False)
    report = sol.build(raw, tmp_path / "out")
    assert set(names) <= set(report.unmapped["name"])
    html = mistune.html((tmp_path / "out" / "build_report.md").read_text())
    assert "<img" not in html and "<script" not in html and "<strong>" not in html
    assert 'href="http://evil.example"' not in html
    assert "&lt;img" in html and "**Calf**" in html  # shown as written
    quarantined = (tmp_path / "out" / report.quarantine["file"].iloc[0]).read_text()
    assert "'=HYPERLINK" in quarantined and "'@evil" in quarantined
    assert ",=" not in quarantined and ",@" not in quarantined
    # Read back by the study, the cells are as given.
    study = sol.open_study(raw, tmp_path / "out", rebuild=False)
    q = study.quarantine()
    assert set(q["athlete_id"]) == {"@evil", "a1"}
    original = pd.read_csv(tmp_path / "out" / report.quarantine["file"].iloc[0], dtype=str)
    assert original["reps"].tolist() == ["'=HYPERLINK(\"http://evil\",\"x\")", "-1"]


def test_tables_are_sorted_as_pandas_sorts_them():
    # The build sorts with Arrow; the order must be pandas' stable sort, missing values last.
    from soleus_analysis.build.steps import sort_table

    rng = np.random.default_rng(5)
    n = 400
    sets = pd.DataFrame(
        {
            "athlete_id": pd.array(rng.choice(["b", "a", "ä", "A", None], n), dtype="str"),
            "session_start": pd.to_datetime("2024-01-01", utc=True)
            + pd.to_timedelta(rng.integers(0, 5, n), unit="D"),
            "exercise_raw": pd.array(rng.choice(["Calf", "calf", "", None], n), dtype="str"),
            "set_index": pd.array(rng.choice([0, 1, None], n), dtype="Int64"),
            "source_file": "x.csv",
            "source_row": pd.array(rng.permutation(n) + 2, dtype="Int64"),
            "reps": rng.normal(size=n),
        }
    )
    sets.loc[::7, "session_start"] = pd.NaT
    expected = sets.sort_values(
        ["athlete_id", "session_start", "exercise_raw", "set_index", "source_file", "source_row"],
        kind="stable",
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(sort_table(sets, "strength_sets"), expected)
    pd.testing.assert_frame_equal(sort_table(expected, "strength_sets"), expected)
    runs = pd.DataFrame({"athlete_id": ["b", "a", "a"], "start": [3.0, np.nan, 1.0]})
    np.testing.assert_array_equal(sort_table(runs, "runs")["start"], [1.0, np.nan, 3.0])
