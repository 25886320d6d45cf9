import io
import shutil
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import soleus_analysis as sol

DATA = Path(__file__).parent / "data"


def _raw(tmp_path):
    root = tmp_path / "raw"
    (root / "ada").mkdir(parents=True)
    (root / "bo" / "pmsys").mkdir(parents=True)
    (root / "cy").mkdir()
    shutil.copy(DATA / "strong" / "strong_classic.csv", root / "ada" / "strong.csv")
    shutil.copy(DATA / "gpx" / "26004849-dc57-4e48-bc16-11196ca043ad.gpx", root / "ada" / "run.gpx")
    for name in ("srpe.csv", "wellness.csv", "injury.csv"):
        shutil.copy(DATA / "pmdata" / "p16" / "pmsys" / name, root / "bo" / "pmsys" / name)
    shutil.copytree(DATA / "strava", root / "cy" / "export")
    (root / "cy" / "broken.fit").write_bytes(b"\x0e\x10" + b"\x00" * 30)
    (root / "README.md").write_text("about")
    (root / "bo" / "truth.json").write_text("{}")
    pd.DataFrame(
        {
            "athlete_id": ["ada", "bo"],
            "timezone": ["Europe/Oslo", "Europe/Oslo"],
            "weight_unit": ["lb", None],
        }
    ).to_csv(root / "athletes.csv", index=False)
    return root


def test_folder_names_athletes_uses_settings_and_survives_a_bad_file(tmp_path):
    root = _raw(tmp_path)
    fr = sol.read_folder(root)
    files = fr.files.set_index(fr.files["path"].map(lambda p: str(Path(p).relative_to(root))))
    assert "README.md" not in files.index and "bo/truth.json" not in files.index
    assert "fit: no '.FIT' signature" in files.loc["cy/broken.fit", "error"]
    assert files.loc["ada/strong.csv", "error"] == ""  # weight_unit from athletes.csv
    assert (
        files.loc["cy/export/activities/4400000001.gpx", "notes"] == "read through activities.csv"
    )
    sets = fr.tables["strength_sets"]
    assert set(sets["athlete_id"]) == {"ada"} and (sets["load_unit"].dropna() == "lb").all()
    assert (sets["timezone"] == "Europe/Oslo").all()
    runs = fr.tables["runs"]
    assert sorted(set(runs["athlete_id"])) == ["ada", "cy"]
    assert len(runs) == 1 + 2  # ada's GPX, cy's two Strava runs (the GPX only once)
    assert set(fr.tables) >= {"athletes", "strength_sets", "runs", "sessions", "wellness"}
    well = fr.tables["wellness"]
    assert set(well["athlete_id"]) == {"bo"} and "injury" in well
    assert sol.validate(well, "wellness").n_rows == len(well)


def test_folder_read_is_deterministic(tmp_path):
    root = _raw(tmp_path)
    a, b = sol.read_folder(root), sol.read_folder(root)
    assert a.files.equals(b.files)
    pd.testing.assert_frame_equal(a.tables["runs"], b.tables["runs"])


def test_folder_of_gpx_runs_is_fast(tmp_path):
    root = tmp_path / "raw" / "runner"
    root.mkdir(parents=True)
    for p in sorted((DATA / "gpx").glob("*.gpx")):
        for k in range(4):
            shutil.copy(p, root / f"{k}-{p.name}")
    t = time.perf_counter()
    fr = sol.read_folder(tmp_path / "raw")
    assert len(fr.tables["runs"]) == 12
    assert time.perf_counter() - t < 20


def test_folder_uses_the_athletes_distance_unit_and_skips_truth_files(tmp_path):
    root = tmp_path / "raw"
    (root / "di").mkdir(parents=True)
    (root / "di" / "strong.csv").write_text(
        "Date,Workout Name,Duration,Exercise Name,Set Order,Weight,Reps,Distance,Seconds,RPE\n"
        "2024-01-02 10:00:00,A,30m,Soleus Walk,1,0,0,0.025,0,\n"
    )
    pd.DataFrame({"athlete_id": ["di"], "weight_unit": ["kg"], "distance_unit": ["mi"]}).to_csv(
        root / "athletes.csv", index=False
    )
    (root / "truth_weeks.csv").write_text("athlete_id,week_start,soleus_sets\nA001,2025-01-06,1\n")
    (root / "truth_injected.csv").write_text("defect,path\n0,x\n")
    fr = sol.read_folder(root)
    assert set(fr.files["path"].map(lambda p: Path(p).name)) == {"strong.csv"}
    assert fr.tables["strength_sets"]["distance_m"].item() == 0.025 * 1609.344
    assert "athlete_week" not in fr.tables


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_folder_read_by_a_process_pool_equals_the_serial_read(tmp_path, capsys, monkeypatch):
    root = _raw(tmp_path)
    serial = sol.read_folder(root, workers=1)
    sol.read_folder(root, workers=1, progress=True)
    assert capsys.readouterr().err == ""  # stderr is not a terminal: no bar
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    pooled = sol.read_folder(root, workers=2, progress=True)
    monkeypatch.undo()
    assert len(pooled.files) > 5 and (pooled.files["error"] != "").sum() == 1  # broken.fit
    pd.testing.assert_frame_equal(serial.files, pooled.files)
    assert set(serial.tables) == set(pooled.tables)
    for name in serial.tables:
        pd.testing.assert_frame_equal(serial.tables[name], pooled.tables[name])
    assert "reading raw" in terminal.getvalue()  # the progress bar
    sol.read_folder(root, workers=1)
    assert capsys.readouterr().err == ""  # none by default


def test_folder_rejects_zero_workers(tmp_path):
    root = _raw(tmp_path)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        sol.read_folder(root, workers=0)
