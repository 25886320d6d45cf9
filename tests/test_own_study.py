"""A user's own study from the command line: init, column mappings, time zones, report, progress.

Runs on a copy of tests/data/own-study (four real and hand-made athletes; see its README).
"""

import io
import shutil
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.cli import main

OWN_STUDY = Path(__file__).parent / "data" / "own-study"
LOG = "runner-log/running_log.csv"
COLUMNS = "Date=start,Distance (km)=distance_m,Time=moving_time_s,Avg HR=avg_hr_bpm,RPE=rpe"
MAPPING = """\
files = "running_log*.csv"
table = "runs"

[columns]
"Date" = "start"
"Distance (km)" = "distance_m"
"Time" = "moving_time_s"
"Avg HR" = "avg_hr_bpm"
"RPE" = "rpe"

[units]
moving_time_s = "clock"
"""


@pytest.fixture
def study(tmp_path):
    folder = tmp_path / "own-study"
    shutil.copytree(OWN_STUDY, folder)
    return folder


def _log_rows(study):
    return len(pd.read_csv(study / LOG))


def _one_line(err):
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err.strip()


# ---------------------------------------------------------------------------------------------
# a spreadsheet: read with a mapping, else listed as not read (exit 1)
# ---------------------------------------------------------------------------------------------
def test_a_plain_running_log_is_read_from_its_header_and_says_so(study, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["build", str(study), "--out", str(out), "--quiet"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    logged = runs[runs["athlete_id"] == "runner-log"]
    assert len(logged) == _log_rows(study)
    # 2024-03-04 07:44 in New York (EST, UTC-5), 6.69 km, 0:36:29
    first = logged.sort_values("start").iloc[0]
    assert str(first["start"]) == "2024-03-04 12:44:00+00:00"
    assert first["distance_m"] == pytest.approx(6690.0)
    assert first["moving_time_s"] == pytest.approx(2189.0)
    report = (out / "build_report.md").read_text()
    assert "read as a running log from its header" in report and "mapping.toml" in report


def test_build_with_an_unrecognised_spreadsheet_lists_it_once_and_exits_1(study, tmp_path, capsys):
    log = study / LOG
    log.write_text(log.read_text().replace("Avg HR", "Pulse (avg)", 1))
    assert main(["build", str(study), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    captured = capsys.readouterr()
    assert captured.out.count(LOG) == 1  # once, under its reason
    assert "mapping.toml" in captured.out and "--columns" in captured.out
    assert "Tried fit" not in captured.out  # the readers' full list is for soleus validate
    assert "could not be read and are not in the build: " + LOG in _one_line(captured.err)


def test_files_with_the_same_reason_are_listed_under_it_once(tmp_path, capsys):
    raw = tmp_path / "raw"
    for name in ("a", "b", "c"):
        (raw / name).mkdir(parents=True)
        (raw / name / "notes.csv").write_text("what,when\nx,1\n")
    shutil.copy(OWN_STUDY / "runner-gpx" / "strong.csv", raw / "a" / "strong.csv")
    (raw / "athletes.csv").write_text("athlete_id,weight_unit\na,kg\n")
    assert main(["build", str(raw), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    out = capsys.readouterr().out
    listing = out.split("Files not read (3), by reason")[1].splitlines()[1:]
    grouped = [line for line in listing if "notes.csv" in line]
    assert len(grouped) == 1  # one line for the three files that share a reason
    for name in ("a", "b", "c"):
        assert out.count(f"{name}/notes.csv") == 1


def test_a_mapping_file_in_the_study_reads_the_running_log_with_no_options(study, tmp_path):
    (study / "mapping.toml").write_text(MAPPING)
    out = tmp_path / "out"
    assert main(["build", str(study), "--out", str(out), "--quiet"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    log = runs[runs["athlete_id"] == "runner-log"]
    assert len(log) == _log_rows(study)  # every row, none rejected
    assert set(log["source_file"]) == {LOG}
    first = log.sort_values("start").iloc[0]
    # 2024-03-04 07:44 in New York (EST, UTC-5): athletes.csv's zone, not the build's UTC
    assert first["start"] == pd.Timestamp("2024-03-04 12:44", tz="UTC")
    assert first["timezone"] == "America/New_York"
    assert first["distance_m"] == pytest.approx(6690.0)
    assert first["moving_time_s"] == 36 * 60 + 29 and first["avg_hr_bpm"] == 147
    report = sol.open_study(study, out, rebuild=False).report
    assert report["parameters"]["column_mappings"][0]["table"] == "runs"


def test_columns_and_units_options_do_the_same(study, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["build", str(study), "--out", str(out), "--quiet", "--columns", COLUMNS]
    assert main([*args, "--units", "moving_time_s=clock"]) == 0
    runs = pd.read_parquet(out / "runs.parquet")
    assert (runs["athlete_id"] == "runner-log").sum() == _log_rows(study)
    # without the unit of "Time", the file is listed as not read with the fix
    assert main(args) == 1
    assert "does not say its unit" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("columns", "units", "message"),
    [
        ("Date", None, "is not NAME=VALUE"),
        ("Date=begin", None, "'begin' in --columns is not a column of any canonical table"),
        (None, "moving_time_s=clock", "--units needs --columns"),
    ],
)
def test_a_bad_column_mapping_is_one_line_before_anything_is_built(
    study, tmp_path, capsys, columns, units, message
):
    args = ["build", str(study), "--out", str(tmp_path / "out"), "--quiet"]
    args += ["--columns", columns] if columns else []
    args += ["--units", units] if units else []
    assert main(args) == 2
    assert message in _one_line(capsys.readouterr().err)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[columns\n", "not a readable TOML file"),
        ('[columns]\n"Date" = "begin"\n', "'begin' in mapping.toml is not a column"),
        ('table = "rides"\n[columns]\n"Date" = "start"\n', "unknown table 'rides'"),
        ('shoe = "x"\n[columns]\n"Date" = "start"\n', "unknown key(s) shoe"),
        ('files = "x.csv"\n', "a mapping needs its columns"),
    ],
)
def test_a_bad_mapping_file_is_one_line_naming_it(study, tmp_path, capsys, text, message):
    (study / "mapping.toml").write_text(text)
    assert main(["build", str(study), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    line = _one_line(capsys.readouterr().err)
    assert message in line and "mapping.toml" in line


def test_several_mappings_and_one_that_fits_by_its_header(tmp_path):
    raw = tmp_path / "raw"
    (raw / "ada").mkdir(parents=True)
    (raw / "ada" / "log.csv").write_text("Day,Km,Minutes,HR\n2024-05-01 07:00,10,50,150\n")
    (raw / "ada" / "lab.csv").write_text(
        "When,Exercise,Reps,Kg\n2024-05-02 18:00,Seated calf raise,15,40\n"
    )
    (raw / "athletes.csv").write_text("athlete_id,timezone\nada,Europe/Oslo\n")
    (raw / "mapping.toml").write_text(
        '[[mapping]]\n[mapping.columns]\nDay = "start"\nKm = "distance_m"\n'
        'Minutes = "moving_time_s"\nHR = "avg_hr_bpm"\n[mapping.units]\nmoving_time_s = "min"\n'
        'distance_m = "km"\n'
        '[[mapping]]\nfiles = "lab.csv"\ntable = "strength_sets"\n[mapping.columns]\n'
        'When = "session_start"\nExercise = "exercise_raw"\nReps = "reps"\nKg = "load_kg"\n'
        '[mapping.units]\nload_kg = "kg"\n'
    )
    fr = sol.read_folder(raw)
    assert (fr.files["error"] == "").all(), fr.files["error"].tolist()
    run = fr.tables["runs"].iloc[0]
    assert run["start"] == pd.Timestamp("2024-05-01 05:00", tz="UTC")  # Oslo summer time
    assert run["distance_m"] == 10000 and run["moving_time_s"] == 3000
    sets = fr.tables["strength_sets"]
    assert sets["exercise_raw"].tolist() == ["Seated calf raise"] and sets["load_kg"].item() == 40


def test_validate_takes_the_same_mapping(study, tmp_path, capsys):
    args = ["validate", str(study / LOG), "--tz", "America/New_York", "--columns", COLUMNS,
            "--units", "moving_time_s=clock", "--quarantine-dir", str(tmp_path / "q")]
    assert main(args) == 0
    rows = _log_rows(study)
    assert f"runs: {rows} rows read; {rows} valid, 0 rejected" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# athletes.csv timezone reaches every source
# ---------------------------------------------------------------------------------------------
def test_naive_times_of_a_canonical_table_are_local_to_the_athlete(study, tmp_path):
    # The running log as a canonical runs.csv (naive times) next to GPX runs (times in UTC):
    # one runs table mixing both, none rejected, each read in its athlete's zone.
    log = pd.read_csv(study / LOG)
    (study / LOG).unlink()
    canonical = pd.DataFrame({
        "athlete_id": "runner-log",
        "start": log["Date"],
        "distance_m": log["Distance (km)"] * 1000,
        "moving_time_s": pd.to_timedelta(log["Time"]).dt.total_seconds(),
        "avg_hr_bpm": log["Avg HR"],
    })
    canonical.to_csv(study / "runner-log" / "runs.csv", index=False)
    out = tmp_path / "out"
    report = sol.build(study, out)
    tables = report.tables.set_index("table")
    assert tables.loc["runs", "rows_rejected"] == 0
    runs = pd.read_parquet(out / "runs.parquet")
    mine = runs[runs["athlete_id"] == "runner-log"].sort_values("start")
    assert len(mine) == len(log) and set(mine["timezone"]) == {"America/New_York"}
    assert mine["start"].iloc[0] == pd.Timestamp("2024-03-04 12:44", tz="UTC")
    gpx = runs[runs["athlete_id"] == "runner-gpx"]
    assert len(gpx) == 12 and set(gpx["timezone"]) == {"Europe/Oslo"}
    # the same study on the dask engine (canonical tables only) reads the same times
    only = tmp_path / "canonical"
    (only / "runner-log").mkdir(parents=True)
    shutil.copy(study / "athletes.csv", only / "athletes.csv")
    shutil.copy(study / "runner-log" / "runs.csv", only / "runner-log" / "runs.csv")
    sol.build(only, tmp_path / "dask", engine="dask", scheduler="threads")
    dask_runs = pd.read_parquet(tmp_path / "dask" / "runs.parquet")
    assert dask_runs["start"].min() == pd.Timestamp("2024-03-04 12:44", tz="UTC")
    assert set(dask_runs["timezone"]) == {"America/New_York"}


def test_a_data_set_folder_without_its_own_athletes_csv_takes_the_studys(tmp_path):
    raw = tmp_path / "raw"
    (raw / "club" / "ada").mkdir(parents=True)
    (raw / "club" / "README.md").write_text("a data set: its sub-folders are the athletes\n")
    (raw / "club" / "ada" / "log.csv").write_text("Day,Km,Minutes,HR\n2024-01-10 07:00,8,40,140\n")
    (raw / "athletes.csv").write_text("athlete_id,timezone\nada,Asia/Tokyo\n")
    (raw / "mapping.toml").write_text(
        '[columns]\nDay = "start"\nKm = "distance_m"\nMinutes = "moving_time_s"\n'
        'HR = "avg_hr_bpm"\n[units]\nmoving_time_s = "min"\ndistance_m = "km"\n'
    )
    sol.build(raw, tmp_path / "out")
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert runs["start"].item() == pd.Timestamp("2024-01-09 22:00", tz="UTC")
    assert runs["timezone"].item() == "Asia/Tokyo"


# ---------------------------------------------------------------------------------------------
# soleus init
# ---------------------------------------------------------------------------------------------
def test_init_writes_a_study_template_that_builds(tmp_path, capsys):
    folder = tmp_path / "my-study"
    assert main(["init", str(folder)]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "athletes.csv",
                                                         "mapping.toml"]
    athletes = pd.read_csv(folder / "athletes.csv")
    expected = {"athlete_id", "sex", "body_mass_kg", "weight_unit", "distance_unit", "timezone"}
    assert expected <= set(athletes.columns) and len(athletes) == 1
    assert sol.validate(athletes, "athletes").ok  # the example row is a valid athletes row
    readme = (folder / "README.md").read_text()
    for word in ("athletes.csv", "mapping.toml", "timezone", "weight_unit", "strong.csv",
                 "soleus report --data my-study", "my-study-reports/processed/my-study"):
        assert word in readme, word
    for column in athletes.columns:
        assert f"`{column}`" in readme, column
    assert sol.read_mapping_file(folder / "mapping.toml") == ()  # all comments
    # fill it as the README says: an athlete folder with a running log, the mapping uncommented
    (folder / "A01").mkdir()
    shutil.copy(OWN_STUDY / LOG, folder / "A01" / "running_log.csv")
    text = (folder / "mapping.toml").read_text()
    mapping = "\n".join(line.removeprefix("# ") for line in text.splitlines()[3:])
    (folder / "mapping.toml").write_text(mapping + "\n")
    capsys.readouterr()
    assert main(["build", str(folder), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert set(runs["timezone"]) == {"Europe/Oslo"}  # the example row's zone


def test_init_refuses_a_folder_that_is_not_empty(tmp_path, capsys):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "mine.csv").write_text("keep me")
    assert main(["init", str(tmp_path / "full")]) == 2
    assert "not empty" in _one_line(capsys.readouterr().err)
    assert [p.name for p in (tmp_path / "full").iterdir()] == ["mine.csv"]
    (tmp_path / "file").write_text("x")
    assert main(["init", str(tmp_path / "file")]) == 2
    assert "is a file" in _one_line(capsys.readouterr().err)
    (tmp_path / "empty").mkdir()
    assert main(["init", str(tmp_path / "empty")]) == 0


# ---------------------------------------------------------------------------------------------
# soleus report --data: checked first, from any working folder
# ---------------------------------------------------------------------------------------------
def _notebooks(folder, *, fail=False):
    folder.mkdir()
    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('RAW_DIR = "none"\nPROCESSED_DIR = "none"')
    params.metadata["tags"] = ["parameters"]
    body = ("import soleus_analysis as sol\n"
            "study = sol.open_study(RAW_DIR, PROCESSED_DIR, rebuild=False)\n"
            "print('athletes:', study.panel['athlete_id'].nunique())")
    nb.cells = [nbformat.v4.new_markdown_cell("# Athletes"), params,
                nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, str(folder / "01-athletes.ipynb"))
    if fail:
        nb.cells[0] = nbformat.v4.new_markdown_cell("# Fails")
        nb.cells.append(nbformat.v4.new_code_cell("1 / 0"))
        nbformat.write(nb, str(folder / "02-fails.ipynb"))
    return folder


def test_report_builds_the_study_and_runs_the_notebooks_from_another_folder(
    study, tmp_path, monkeypatch, capsys
):
    (study / "mapping.toml").write_text(MAPPING)
    notebooks = _notebooks(tmp_path / "nb")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    code = main(["report", "--data", str(study), "--out", "out", "--notebooks", str(notebooks),
                 "--quiet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = elsewhere / "out"
    assert (out / "processed" / "own-study" / "athlete_week.parquet").exists()
    assert "athletes: 4" in (out / "01-athletes.html").read_text()
    assert f"Reports: {Path('out') / 'index.html'}" in captured.out


def test_report_exits_1_when_a_notebook_fails_and_links_its_page(study, tmp_path, capsys):
    (study / "mapping.toml").write_text(MAPPING)
    notebooks = _notebooks(tmp_path / "nb", fail=True)
    code = main(["report", "--data", str(study), "--out", str(tmp_path / "out"),
                 "--notebooks", str(notebooks), "--quiet"])
    assert code == 1
    assert "FAILED: ZeroDivisionError: division by zero" in capsys.readouterr().out
    index = (tmp_path / "out" / "index.html").read_text()
    assert '<a href="02-fails.html">Fails</a>' in index
    assert "division by zero" in (tmp_path / "out" / "02-fails.html").read_text()


def test_report_exits_1_when_a_file_of_the_study_could_not_be_read(study, tmp_path, capsys):
    notebooks = _notebooks(tmp_path / "nb")
    (study / "runner-gpx" / "notes.csv").write_text("what,when\nx,1\n")
    code = main(["report", "--data", str(study), "--out", str(tmp_path / "out"),
                 "--notebooks", str(notebooks), "--quiet"])
    assert code == 1
    assert "runner-gpx/notes.csv" in _one_line(capsys.readouterr().err)


@pytest.mark.parametrize("problem", ["no study", "study is a file", "empty study", "bad mapping",
                                     "output under a file", "no notebooks"])
def test_report_checks_everything_before_building(study, tmp_path, capsys, problem):
    notebooks = _notebooks(tmp_path / "nb")
    out = tmp_path / "out"
    data = study
    if problem == "no study":
        data = tmp_path / "missing"
    elif problem == "study is a file":
        data = tmp_path / "file.csv"
        data.write_text("x")
    elif problem == "empty study":
        data = tmp_path / "empty"
        data.mkdir()
    elif problem == "bad mapping":
        (study / "mapping.toml").write_text('[columns]\n"Date" = "when"\n')
    elif problem == "output under a file":
        (tmp_path / "notes.txt").write_text("x")
        out = tmp_path / "notes.txt" / "out"
    elif problem == "no notebooks":
        notebooks = tmp_path / "nothing"
        notebooks.mkdir()
    code = main(["report", "--data", str(data), "--out", str(out), "--notebooks", str(notebooks),
                 "--quiet"])
    captured = capsys.readouterr()
    assert code == 2
    _one_line(captured.err)
    assert captured.out == ""  # nothing was built or run
    assert not (tmp_path / "out").exists()


def test_report_needs_the_notebook_packages(study, tmp_path, capsys, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "papermill" else real(name, *a))
    code = main(["report", "--data", str(study), "--out", str(tmp_path / "out"), "--quiet"])
    assert code == 2
    line = _one_line(capsys.readouterr().err)
    assert "papermill" in line and "soleus-analysis[notebooks]" in line


# ---------------------------------------------------------------------------------------------
# progress bars: reading, validating and the panel, on a terminal only
# ---------------------------------------------------------------------------------------------
class _Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("quiet", [False, True])
def test_build_progress_bars_cover_validation_and_panel_on_a_terminal(
    study, tmp_path, monkeypatch, quiet
):
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    args = ["build", str(study), "--out", str(tmp_path / "out")] + (["--quiet"] if quiet else [])
    main(args)
    shown = terminal.getvalue()
    if quiet:
        assert "reading" not in shown and "validating" not in shown and "panel" not in shown
    else:
        assert "reading own-study" in shown and "validating" in shown and "panel" in shown
        assert "wellness" in shown  # the table being validated


def test_no_progress_bar_when_stderr_is_not_a_terminal(study, tmp_path, capsys):
    (study / "mapping.toml").write_text(MAPPING)
    assert main(["build", str(study), "--out", str(tmp_path / "out")]) == 0
    assert capsys.readouterr().err == ""


def test_report_columns_without_a_study_is_one_line(tmp_path, capsys):
    notebooks = _notebooks(tmp_path / "nb")
    code = main(["report", "--out", str(tmp_path / "out"), "--notebooks", str(notebooks),
                 "--columns", COLUMNS, "--quiet"])
    assert code == 2 and "--data" in _one_line(capsys.readouterr().err)


def test_a_file_that_is_no_table_keeps_the_readers_reasons(tmp_path):
    raw = tmp_path / "raw"
    (raw / "ada").mkdir(parents=True)
    (raw / "ada" / "broken.fit").write_bytes(b"\x0e\x10" + b"\x00" * 30)
    (raw / "ada" / "log.csv").write_text("Day,Km\n2024-01-10,8\n")
    files = sol.read_folder(raw).files.set_index("path")["error"]
    broken, log = files[str(raw / "ada" / "broken.fit")], files[str(raw / "ada" / "log.csv")]
    assert "fit: no '.FIT' signature" in broken and "mapping.toml" not in broken
    assert "(header: 'Day', 'Km')" in log and "mapping.toml" in log and "Tried" not in log
