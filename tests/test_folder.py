import shutil
import time
from pathlib import Path

import pandas as pd

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
