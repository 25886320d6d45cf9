from pathlib import Path

import pytest

import soleus_analysis as sol
from soleus_analysis.readers.detect import detect_source

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(
    ("path", "source"),
    [
        ("strong/strong_classic.csv", "strong"),
        ("strong/strong_newest_kg.csv", "strong"),
        ("strong/strong_semicolon_units.csv", "strong"),
        ("strong/strong_german.csv", "strong"),
        ("hevy/hevy_kg.csv", "hevy"),
        ("strava/activities.csv", "strava"),
        ("fit/garmin-fenix-5-run.fit", "fit"),
        ("gpx/26004849-dc57-4e48-bc16-11196ca043ad.gpx", "gpx"),
        ("tcx/sample.tcx", "tcx"),
        ("pmdata/p01/fitbit/exercise.json", "fitbit"),
        ("pmdata/p01/pmsys/srpe.csv", "pmsys"),
    ],
)
def test_sources_are_detected_from_content(path, source):
    assert detect_source(DATA / path).source == source


def test_extension_does_not_decide(tmp_path):
    p = tmp_path / "export.txt"
    p.write_bytes((DATA / "fit" / "garmin-fenix-5-run.fit").read_bytes())
    assert detect_source(p).source == "fit"


def test_gzipped_fit_is_read(tmp_path):
    import gzip

    p = tmp_path / "123.fit.gz"
    p.write_bytes(gzip.compress((DATA / "fit" / "garmin-fenix-5-run.fit").read_bytes()))
    df = sol.read(p)
    assert len(df) == 1 and df["athlete_id"].item() == "123"


def test_unknown_header_lists_every_source_tried(tmp_path):
    p = tmp_path / "mystery.csv"
    p.write_text("when,what,how much\n2024-01-01,squats,5\n")
    with pytest.raises(sol.UnknownSourceError) as err:
        sol.read(p)
    msg = str(err.value)
    for name in (
        "fit:",
        "gpx:",
        "tcx:",
        "fitbit:",
        "strong:",
        "hevy:",
        "strava:",
        "garmin_csv:",
        "pmsys:",
        "canonical:",
        "csv:",
    ):
        assert name in msg
    assert "'when', 'what', 'how much'" in msg and "Fix:" in msg
    assert "columns=" in msg and "\n" not in msg


def test_canonical_csv_is_detected(tmp_path):
    from tests import factories

    p = tmp_path / "runs.csv"
    factories.runs().to_csv(p, index=False)
    res = sol.read_all(p)
    assert res.source == "canonical" and res.main == "runs"
    assert sol.validate(res.tables["runs"], "runs").ok


def test_unknown_source_name_and_missing_file(tmp_path):
    with pytest.raises(sol.InputError, match="unknown source"):
        sol.read(DATA / "hevy" / "hevy_kg.csv", source="garmin")
    with pytest.raises(sol.InputError, match="file not found"):
        sol.read(tmp_path / "nope.csv")
    with pytest.raises(sol.InputError, match="unknown time zone"):
        sol.read(DATA / "hevy" / "hevy_kg.csv", tz="Mars/Olympus")
