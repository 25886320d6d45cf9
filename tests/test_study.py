import json
import shutil

import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.simulation import simulate_cohort, write_canonical


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    root = tmp_path_factory.mktemp("study") / "data" / "raw" / "mini"
    write_canonical(simulate_cohort(4, 5, rng=3), root, seed=3)
    return root


def test_open_study_builds_once_then_reuses_the_build(raw):
    study = sol.open_study(raw)
    assert study.processed_dir == raw.parents[1] / "processed" / "mini"
    assert study.name == "mini"
    assert set(study.panel["athlete_id"]) == {"A001", "A002", "A003", "A004"}
    assert {"strength_sets", "runs", "wellness"} <= set(study.tables)
    stamp = (study.processed_dir / "input_fingerprint.json").stat().st_mtime_ns
    again = sol.open_study(raw)
    assert (study.processed_dir / "input_fingerprint.json").stat().st_mtime_ns == stamp
    pd.testing.assert_frame_equal(again.panel, study.panel)


def test_a_changed_raw_file_or_parameter_triggers_a_rebuild(raw, tmp_path):
    copy = tmp_path / "data" / "raw" / "mini"
    shutil.copytree(raw, copy)
    first = sol.open_study(copy)
    before = json.loads((first.processed_dir / "input_fingerprint.json").read_text())
    sol.open_study(copy, lags=(1, 2))
    after = json.loads((first.processed_dir / "input_fingerprint.json").read_text())
    assert before != after
    lagged = sol.open_study(copy, lags=(1, 2)).panel
    assert "soleus_sets_lag2" in lagged and "soleus_sets_lag3" not in lagged


def test_a_build_made_by_other_code_is_rebuilt(raw, tmp_path, monkeypatch):
    from soleus_analysis.build import run

    copy = tmp_path / "data" / "raw" / "mini"
    shutil.copytree(raw, copy)
    first = sol.open_study(copy)
    stamp = (first.processed_dir / "input_fingerprint.json").read_text()
    monkeypatch.setattr(run, "code_digest", lambda: "another version of the package")
    sol.open_study(copy)
    assert (first.processed_dir / "input_fingerprint.json").read_text() != stamp


def test_quarantine_and_rejections_list_what_the_build_rejected(tmp_path):
    root = tmp_path / "raw" / "bad"
    cohort = simulate_cohort(3, 4, rng=5)
    sets = cohort.strength_sets.copy()
    sets.loc[sets.index[0], "reps"] = -5.0
    write_canonical(cohort, root, seed=5)
    sets.to_csv(root / "strength_sets.csv", index=False)
    study = sol.open_study(root, tmp_path / "processed")
    q = study.quarantine()
    assert q["table"].tolist() == ["strength_sets"]
    assert "reps" in q["reasons"].iloc[0]
    assert study.rejections()["check"].tolist() == ["greater_than_or_equal_to"]


def test_missing_folder_and_no_build_are_input_errors(tmp_path):
    with pytest.raises(sol.InputError, match="study folder not found"):
        sol.open_study(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "x.txt").write_text("x")
    with pytest.raises(sol.InputError, match="no build"):
        sol.open_study(tmp_path / "empty", tmp_path / "out", rebuild=False)


def test_study_folders_lists_the_studies(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f.csv").write_text("x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "README.md").write_text("x")
    assert [p.name for p in sol.study_folders(tmp_path)] == ["a"]


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("exports")
    cohort = sol.simulate_cohort(8, 6, rng=11)
    written = sol.write_cohort(cohort, root / "raw", rng=11, activity_files=False)
    return written, sol.open_study(root / "raw", root / "processed")


def test_flags_list_each_flagged_row_with_its_file_and_line(exports):
    written, study = exports
    flags = study.flags()
    counts = flags.groupby(["athlete_id", "check"]).size()
    reported = pd.DataFrame(study.report["flags"]).set_index(["athlete_id", "check"])["rows"]
    pd.testing.assert_series_equal(counts, reported, check_names=False)
    # the planted x2.2 session is flagged line by line
    jump = written.injected[written.injected["detail"].str.contains("x2.2")]
    got = flags[flags["check"] == "load_jump_x2.2"]
    assert set(zip(got["source_file"], got["source_row"], strict=True)) == set(
        zip(jump["path"], jump["source_row"].astype(int), strict=True)
    )


def test_sources_count_files_and_rows_per_export_format(exports):
    written, study = exports
    sources = study.sources()
    files = pd.DataFrame(study.report["files"])
    data_files = files[files["source"] != "simulation truth"]
    assert sources["files"].sum() == len(data_files)
    assert sources["rows"].sum() == data_files["rows"].sum()
    # each Strong file is counted under the variant the writer used for its athlete
    variant = {"strong_semicolon": "semicolon_units", "strong_german": "classic (de)"}
    fmt = written.formats.set_index("athlete_id")["strength"]
    strong_files = data_files[data_files["source"] == "strong"]
    expected = (
        fmt.loc[strong_files["athlete_id"]]
        .map(lambda v: variant.get(v, v.removeprefix("strong_")))
        .value_counts()
    )
    got = sources[sources["source"] == "strong"].set_index("format")["files"]
    assert len(got) >= 2 and got.to_dict() == expected.to_dict()
    assert sources.loc[sources["source"] == "pmsys", "format"].tolist() == [
        "srpe.csv",
        "wellness.csv",
    ]
    assert (sources["not_read"] == 0).all()


def test_sources_count_activity_files_read_alone_under_their_type(tmp_path):
    from pathlib import Path

    own = Path(__file__).parent / "data" / "own-study"
    raw = tmp_path / "one"
    shutil.copytree(own / "runner-gpx", raw / "runner-gpx")
    (raw / "athletes.csv").write_text((own / "athletes.csv").read_text().splitlines()[0] + "\n"
                                      + (own / "athletes.csv").read_text().splitlines()[1] + "\n")
    sources = sol.open_study(raw, tmp_path / "processed").sources().set_index(["source", "format"])
    assert sources.loc[("gpx", "gpx.gz"), "files"] == 12  # one row, not one per file name
