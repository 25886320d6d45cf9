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
        (b"foo,bar\n1,2\n", "lacks the required column(s) athlete_id, start"),
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
