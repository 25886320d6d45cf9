"""No traceback from the command line on any input: property-based tests of ``soleus``.

Whatever a user's file holds, ``soleus validate`` and ``soleus build`` end with an exit status
(0, 1 or 2, see :mod:`soleus_analysis.cli`) and, when they refuse something, one line on stderr
naming the file; never a Python traceback. The readers' own properties are in
``test_reader_fuzz.py``; these go through argument parsing, the build's input finder, the
quarantine writer and the build report.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soleus_analysis.cli import main

DATA = Path(__file__).parent / "data"
#: Valid exports under the file names the build recognises, the seeds mutations start from.
SEEDS = {
    "strong.csv": DATA / "strong" / "strong_newest_kg.csv",
    "hevy.csv": DATA / "hevy" / "hevy_kg.csv",
    "activities.csv": DATA / "strava" / "activities.csv",
    "srpe.csv": DATA / "pmdata" / "p01" / "pmsys" / "srpe.csv",
    "wellness.csv": DATA / "pmdata" / "p01" / "pmsys" / "wellness.csv",
    "exercise.json": DATA / "pmdata" / "p01" / "fitbit" / "exercise.json",
    "run.fit": DATA / "fit" / "activity-small-fenix2-run.fit",
    "run.gpx": DATA / "gpx" / "3472f2dc-150a-4dfd-8a76-7bc8f40e766e.gpx",
    "run.tcx": DATA / "tcx" / "sample.tcx",
}
ATHLETES_CSV = "athlete_id,sex,weight_unit,timezone\nA1,F,kg,Europe/Oslo\n"
FAST = settings(
    max_examples=6,
    deadline=None,
    # capsys is read (and so emptied) once per example.
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
    derandomize=True,
)


def _mutate(data, raw: bytes) -> bytes:
    """Cut, splice random bytes into, or blow up one cell of a valid export."""
    how = data.draw(st.sampled_from(["cut", "splice", "huge", "random"]), label="how")
    if how == "random":
        return data.draw(st.binary(max_size=2000), label="bytes")
    at = data.draw(st.integers(0, len(raw)), label="at")
    if how == "cut":
        return raw[:at]
    if how == "huge":
        return raw[:at] + b"9" * 200_000 + raw[at:]
    junk = data.draw(st.binary(min_size=1, max_size=64), label="junk")
    return raw[:at] + junk + raw[at:]


def _assert_clean_exit(code: int, err: str, name: str) -> None:
    assert code in (0, 1, 2), code
    assert "Traceback" not in err, err
    if code == 2:
        lines = [line for line in err.splitlines() if line.startswith("soleus: error:")]
        assert len(lines) == 1, err
        assert name in lines[0], lines[0]


@FAST
@given(data=st.data())
def test_validate_never_gives_a_traceback(data, capsys):
    name = data.draw(st.sampled_from(sorted(SEEDS)), label="file")
    content = _mutate(data, SEEDS[name].read_bytes())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        code = main(["validate", str(path), "--weight-unit", "kg", "--distance-unit", "km",
                     "--quarantine-dir", str(Path(folder) / "quarantine")])
    _assert_clean_exit(code, capsys.readouterr().err, name)


@FAST
@given(data=st.data())
def test_build_never_gives_a_traceback(data, capsys):
    name = data.draw(st.sampled_from(sorted(SEEDS)), label="file")
    content = _mutate(data, SEEDS[name].read_bytes())
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "study"
        (raw / "A1").mkdir(parents=True)
        (raw / "athletes.csv").write_text(ATHLETES_CSV, encoding="utf-8")
        # A valid file beside the broken one: the build of the rest must still be written.
        shutil.copy(SEEDS["run.gpx"], raw / "A1" / "good.gpx")
        (raw / "A1" / name).write_bytes(content)
        code = main(["build", str(raw), "--out", str(Path(folder) / "out"), "--quiet"])
        err = capsys.readouterr().err
        _assert_clean_exit(code, err, name)
        if code in (0, 1):
            assert (Path(folder) / "out" / "build_report.md").is_file()
        if code == 1 and "could not be read" in err:
            assert name in err


@FAST
@given(text=st.text(max_size=300))
def test_a_broken_athletes_csv_never_gives_a_traceback(text, capsys):
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "study"
        (raw / "A1").mkdir(parents=True)
        shutil.copy(SEEDS["run.gpx"], raw / "A1" / "run.gpx")
        (raw / "athletes.csv").write_text(text, encoding="utf-8", errors="surrogatepass")
        code = main(["build", str(raw), "--out", str(Path(folder) / "out"), "--quiet"])
    _assert_clean_exit(code, capsys.readouterr().err, "athletes.csv")


@pytest.mark.parametrize(
    "argv",
    [
        ["build", "--lags", "0"],
        ["build", "--partitions", "-3"],
        ["simulate", "{out}", "--athletes", "0"],
        ["simulate", "{out}", "--weeks", "-1"],
        ["simulate", "{out}", "--start", "not a date"],
        ["validate", "{out}"],  # a folder, not a file
        ["validate", "{missing}"],
        ["build", "{missing}", "--out", "{out}/o", "--quiet"],
        ["schema", "nope"],
    ],
)
def test_bad_arguments_exit_2_without_a_traceback(argv, tmp_path, capsys):
    argv = [a.format(out=tmp_path, missing=tmp_path / "missing") for a in argv]
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage error: exit status 2, one usage line
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err, err
