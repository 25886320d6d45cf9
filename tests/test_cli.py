import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from soleus_analysis.cli import main
from tests import factories


def _write_sets_with_broken_rows(path, n_rows=1000, n_broken=17, seed=7):
    """A canonical strength_sets CSV of n_rows rows of which exactly n_broken break one rule."""
    rng = np.random.default_rng(seed)
    sessions = -(-n_rows // 9)
    df = factories.strength_sets(sessions, seed=seed).iloc[:n_rows].astype(object)
    df["session_start"] = df["session_start"].map(lambda t: t.isoformat())
    broken = np.sort(rng.choice(n_rows, n_broken, replace=False))
    breakers = [
        ("reps", -4), ("reps", "twelve"), ("load_kg", 900), ("set_type", "warm"),
        ("athlete_id", ""), ("session_start", "1970-01-01T00:00:00+00:00"), ("rpe", 14),
    ]
    for k, i in enumerate(broken):
        column, value = breakers[k % len(breakers)]
        df.iat[i, df.columns.get_loc(column)] = value
    df.to_csv(path, index=False)
    return broken + 2  # spreadsheet rows: header is row 1


def test_validate_quarantines_exactly_the_broken_rows(tmp_path, capsys):
    path = tmp_path / "sets.csv"
    broken_rows = _write_sets_with_broken_rows(path)
    qdir = tmp_path / "quarantine"
    code = main(["validate", str(path), "--table", "strength_sets", "--quarantine-dir", str(qdir)])
    assert code == 1
    out = capsys.readouterr().out
    assert "1,000 rows read; 983 valid, 17 rejected" in out
    rejected = pd.read_csv(qdir / "sets.rejected.csv")
    assert sorted(rejected["source_row"]) == sorted(broken_rows.tolist())
    assert rejected["reasons"].notna().all()


def test_validate_exits_0_on_clean_file_and_removes_stale_quarantine(tmp_path, capsys):
    path = tmp_path / "runs.csv"
    factories.runs().to_csv(path, index=False)
    qdir = tmp_path / "q"
    qdir.mkdir()
    (qdir / "runs.rejected.csv").write_text("stale")
    assert main(["validate", str(path), "--table", "runs", "--quarantine-dir", str(qdir)]) == 0
    assert not (qdir / "runs.rejected.csv").exists()
    assert "5 valid, 0 rejected" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"\n\n  \n", "the file is empty"),
        (b"\x00\x01\x02FIT\x00", "not a text file"),
        (b"foo,bar\n1,2\n", "required column(s) athlete_id, start"),
    ],
)
def test_unusable_input_exits_2_with_one_line(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert main(["validate", str(path), "--table", "runs"]) == 2
    err = capsys.readouterr().err.strip()
    assert expected in err
    assert str(path) in err or "lacks" in err
    assert "Fix:" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.csv"), "--table", "runs"]) == 2
    assert "file not found" in capsys.readouterr().err


def test_semicolon_decimal_comma_latin1_file(tmp_path, capsys):
    df = factories.athletes()
    df["body_mass_kg"] = ["61,5", "74,0", "1.068,0"]  # the last one is 1068 kg: rejected
    df["athlete_id"] = ["Åse", "Björn", "Zoë"]
    path = tmp_path / "athletes.csv"
    path.write_bytes(df.to_csv(sep=";", index=False).encode("latin-1"))
    qdir = tmp_path / "q"
    code = main(["validate", str(path), "--table", "athletes", "--quarantine-dir", str(qdir)])
    out = capsys.readouterr().out
    assert code == 1
    assert "decoded as cp1252" in out and "decimal comma" in out
    rejected = pd.read_csv(qdir / "athletes.rejected.csv")
    assert rejected["athlete_id"].tolist() == ["Zoë"]


def test_bom_header_is_read_clean(tmp_path, capsys):
    path = tmp_path / "wellness.csv"
    path.write_bytes(b"\xef\xbb\xbf" + factories.wellness().to_csv(index=False).encode())
    assert main(["validate", str(path), "--table", "wellness"]) == 0


def test_extra_columns_are_reported(tmp_path, capsys):
    path = tmp_path / "runs.csv"
    factories.runs().assign(shoe="Pegasus").to_csv(path, index=False)
    assert main(["validate", str(path), "--table", "runs"]) == 0
    assert "Extra columns kept (not in the schema): shoe" in capsys.readouterr().out


def test_schema_prints_markdown(capsys):
    assert main(["schema", "runs"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# Data dictionary")
    assert "| `distance_m` | number |" in out and "## `strength_sets`" not in out


def test_schema_unknown_table_exits_2(capsys):
    assert main(["schema", "rides"]) == 2
    assert "unknown table" in capsys.readouterr().err


DATA = __import__("pathlib").Path(__file__).parent / "data"


def test_validate_app_export_infers_tables_and_quarantines_per_table(tmp_path, capsys):
    qdir = tmp_path / "q"
    code = main(["validate", str(DATA / "strava" / "activities.csv"), "--tz", "Europe/Oslo",
                 "--quarantine-dir", str(qdir)])
    out = capsys.readouterr().out
    assert code == 0
    assert "(source: strava)" in out
    assert "runs: 2 rows read; 2 valid" in out and "sessions: 4 rows read; 4 valid" in out


def test_validate_missing_weight_unit_exits_2_with_the_fix(capsys):
    code = main(["validate", str(DATA / "strong" / "strong_classic.csv")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "weight_unit" in err and "--weight-unit" in err and "Traceback" not in err


def test_validate_with_weight_unit_and_athlete_id(tmp_path, capsys):
    code = main(["validate", str(DATA / "strong" / "strong_classic.csv"), "--weight-unit", "kg",
                 "--athlete-id", "ada", "--table", "strength_sets",
                 "--quarantine-dir", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "strength_sets: 12 rows read; 12 valid, 0 rejected" in out
    assert "sessions" not in out.split("Note:")[0]


def test_validate_multi_table_quarantine_names(tmp_path, capsys):
    src = (DATA / "pmdata" / "p01" / "fitbit" / "exercise.json").read_text()
    bad = src.replace('"averageHeartRate": 144', '"averageHeartRate": 0', 1)
    p = tmp_path / "exercise.json"
    p.write_text(bad)
    qdir = tmp_path / "q"
    code = main(["validate", str(p), "--tz", "Europe/Oslo", "--quarantine-dir", str(qdir)])
    capsys.readouterr()
    assert code == 1
    assert (qdir / "exercise.runs.rejected.csv").exists()


def test_validate_wrong_table_for_source(capsys):
    code = main(["validate", str(DATA / "hevy" / "hevy_kg.csv"), "--table", "runs"])
    assert code == 2 and "feeds strength_sets, sessions, not runs" in capsys.readouterr().err


def test_validate_fit_directly(capsys):
    assert main(["validate", str(DATA / "fit" / "garmin-fenix-5-run.fit"), "--table", "runs"]) == 0
    assert "runs: 1 rows read; 1 valid" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# impossible output paths: one line, exit 2, before any work
# ---------------------------------------------------------------------------------------------
def _unwritable(tmp_path):
    """A folder this process cannot write into (root may write anywhere but /proc/1)."""
    if os.geteuid() == 0:
        if not os.path.isdir("/proc/1"):
            pytest.skip("no folder is unwritable for root here")
        return Path("/proc/1")
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return folder


def _one_line_error(err, path):
    line = err.strip()
    assert "Traceback" not in err and len(line.splitlines()) == 1
    assert str(path) in line and "Fix:" in line
    return line


@pytest.fixture
def sets_csv(tmp_path):
    path = tmp_path / "sets.csv"
    _write_sets_with_broken_rows(path, n_rows=40, n_broken=3)
    return path


@pytest.mark.parametrize("where", ["file", "under a file", "unwritable"])
def test_build_to_an_impossible_output_folder_is_one_line_and_exit_2(
    tmp_path, sets_csv, capsys, where
):
    raw = tmp_path / "raw"
    raw.mkdir()
    sets_csv.rename(raw / "strength_sets.csv")
    (tmp_path / "notes.txt").write_text("x")
    out, named = {
        "file": (tmp_path / "notes.txt", tmp_path / "notes.txt"),
        "under a file": (tmp_path / "notes.txt" / "out", tmp_path / "notes.txt"),
        "unwritable": (_unwritable(tmp_path) / "out", _unwritable(tmp_path)),
    }[where]
    assert main(["build", str(raw), "--out", str(out), "--quiet"]) == 2
    line = _one_line_error(capsys.readouterr().err, named)
    assert "--out" in line
    assert (tmp_path / "notes.txt").read_text() == "x"


@pytest.mark.parametrize("where", ["under a file", "unwritable"])
def test_validate_to_an_impossible_quarantine_folder_is_one_line_and_exit_2(
    tmp_path, sets_csv, capsys, where
):
    (tmp_path / "notes.txt").write_text("x")
    qdir, named = {
        "under a file": (tmp_path / "notes.txt" / "q", tmp_path / "notes.txt"),
        "unwritable": (_unwritable(tmp_path) / "q", _unwritable(tmp_path)),
    }[where]
    code = main(["validate", str(sets_csv), "--table", "strength_sets",
                 "--quarantine-dir", str(qdir)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""  # checked before the file is read
    assert "--quarantine-dir" in _one_line_error(captured.err, named)


def test_report_checks_the_notebooks_and_the_output_before_building(tmp_path, capsys):
    raw = tmp_path / "study"
    raw.mkdir()
    factories.strength_sets(2).to_csv(raw / "strength_sets.csv", index=False)
    (tmp_path / "no-notebooks").mkdir()
    out = tmp_path / "reports"
    code = main(["report", "--data", str(raw), "--out", str(out),
                 "--notebooks", str(tmp_path / "no-notebooks"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "no notebooks named NN-topic.ipynb" in err
    assert not (out / "processed").exists()  # nothing was built
    (tmp_path / "notes.txt").write_text("x")
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    (notebooks / "01-x.ipynb").write_text("{}")
    code = main(["report", "--data", str(raw), "--out", str(tmp_path / "notes.txt"),
                 "--notebooks", str(notebooks), "--quiet"])
    assert code == 2
    _one_line_error(capsys.readouterr().err, tmp_path / "notes.txt")


# ---------------------------------------------------------------------------------------------
# outputs that are safe to open
# ---------------------------------------------------------------------------------------------
FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
            "\t=1", "=1"]


def test_quarantine_csv_cells_cannot_run_as_formulas(tmp_path, capsys):
    sets = factories.strength_sets(2).astype({"reps": object})
    sets.loc[: len(FORMULAS) - 1, "exercise_raw"] = FORMULAS
    sets.loc[: len(FORMULAS) - 1, "reps"] = "-3.5"  # rejected (reps >= 0), a number: kept
    path = tmp_path / "sets.csv"
    sets.to_csv(path, index=False)
    qdir = tmp_path / "q"
    assert main(["validate", str(path), "--table", "strength_sets",
                 "--quarantine-dir", str(qdir)]) == 1
    capsys.readouterr()
    import csv

    with (qdir / "sets.rejected.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(FORMULAS)
    for row, formula in zip(rows, FORMULAS, strict=True):
        assert row["exercise_raw"] == "'" + formula  # shown as text, still readable
        assert row["reps"] == "-3.5"
    every_cell = [cell for row in rows for cell in row.values()]
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in every_cell)
    assert not any(cell.startswith("-") and cell != "-3.5" for cell in every_cell)
