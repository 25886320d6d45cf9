"""No traceback on any reader input: property-based tests over every reader and entry point.

Every input either reads (and then validates without losing a row) or fails with an
:class:`~soleus_analysis.InputError` whose message is one line naming the file. The default suite
draws a bounded number of examples per property; ``-m slow`` runs many more.
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import soleus_analysis as sol
from soleus_analysis.readers import SOURCES

DATA = Path(__file__).parent / "data"
#: Valid files of every source, the seeds that truncation and re-encoding start from.
SEEDS = {
    "strong": DATA / "strong" / "strong_newest_kg.csv",
    "strong_classic": DATA / "strong" / "strong_classic.csv",
    "strong_fr": DATA / "locales" / "strong" / "strong_fr.csv",
    "hevy": DATA / "hevy" / "hevy_kg.csv",
    "strava": DATA / "strava" / "activities.csv",
    "strava_de": DATA / "locales" / "strava" / "activities_de.csv",
    "garmin_csv": DATA / "locales" / "garmin" / "Activities_de.csv",
    "pmsys": DATA / "pmdata" / "p01" / "pmsys" / "srpe.csv",
    "pmsys_wellness": DATA / "pmdata" / "p01" / "pmsys" / "wellness.csv",
    "fitbit": DATA / "pmdata" / "p01" / "fitbit" / "exercise.json",
    "fit": DATA / "fit" / "activity-small-fenix2-run.fit",
    "gpx": DATA / "gpx" / "3472f2dc-150a-4dfd-8a76-7bc8f40e766e.gpx",
    "tcx": DATA / "tcx" / "sample.tcx",
}
OPTIONS = {"weight_unit": "kg", "distance_unit": "km"}
FAST = settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,
)
SLOW = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _seed_bytes(name: str) -> bytes:
    return SEEDS[name].read_bytes()


def _check_outcome(path: Path, call) -> None:
    """``call()`` reads or raises a one-line InputError naming ``path``; whatever it reads
    validates with every row kept (read = valid + rejected)."""
    try:
        out = call()
    except sol.InputError as exc:
        message = str(exc)
        assert "\n" not in message, message
        assert str(path) in message or path.name in message, message
        return
    tables = out.tables if isinstance(out, sol.ReadResult) else {out.attrs.get("table"): out}
    for name, df in tables.items():
        if name is None:  # a record stream
            assert isinstance(df, pd.DataFrame)
            continue
        report = sol.validate(df, name)
        assert len(report.valid) + len(report.rejected) == len(df)


def _entry_points(path: Path, source: str):
    yield lambda: sol.read_all(path, source=source, **OPTIONS)
    yield lambda: sol.read(path, source=source, **OPTIONS)
    if source in ("auto", "fit", "gpx", "tcx"):
        yield lambda: sol.read_stream(path, source=source)


def _run_all(data: bytes, suffix: str, sources=("auto",)) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"export{suffix}"
        path.write_bytes(data)
        for source in sources:
            for call in _entry_points(path, source):
                _check_outcome(path, call)


APP_SOURCES = tuple(s for s in SOURCES if s not in ("csv", "canonical"))


def _truncations(draw_data, names):
    name = draw_data.draw(st.sampled_from(names), label="seed")
    raw = _seed_bytes(name)
    cut = draw_data.draw(st.integers(0, len(raw)), label="cut")
    return name, raw[:cut]


# ---- the properties -----------------------------------------------------------------------------


def _random_bytes(data: bytes) -> None:
    _run_all(data, ".csv", sources=("auto", "strong", "strava", "fitbit", "fit", "gpx"))


@FAST
@given(st.binary(max_size=2000))
def test_random_bytes_never_give_a_traceback(data):
    _random_bytes(data)


@pytest.mark.slow
@SLOW
@given(st.binary(max_size=20000))
def test_random_bytes_never_give_a_traceback_many(data):
    _random_bytes(data)


def _truncated(draw_data) -> None:
    name, raw = _truncations(draw_data, list(SEEDS))
    suffix = SEEDS[name].suffix
    source = draw_data.draw(st.sampled_from(["auto", name.split("_")[0]]), label="source")
    if source not in SOURCES and source != "auto":
        source = "auto"
    _run_all(raw, suffix, sources=(source,))


@FAST
@given(st.data())
def test_valid_files_truncated_anywhere_read_or_fail_cleanly(data):
    _truncated(data)


@pytest.mark.slow
@SLOW
@given(st.data())
def test_valid_files_truncated_anywhere_read_or_fail_cleanly_many(data):
    _truncated(data)


def _mutated(draw_data) -> None:
    """A valid text export with a few bytes replaced, inserted or deleted."""
    name = draw_data.draw(
        st.sampled_from([n for n in SEEDS if SEEDS[n].suffix in (".csv", ".json")])
    )
    raw = bytearray(_seed_bytes(name))
    for _ in range(draw_data.draw(st.integers(1, 6))):
        pos = draw_data.draw(st.integers(0, max(len(raw) - 1, 0)))
        kind = draw_data.draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = draw_data.draw(st.sampled_from([b",", b";", b'"', b"\n", b"\r", b"\x00", b"x"]))
        if kind == "replace" and raw:
            raw[pos : pos + 1] = byte
        elif kind == "insert":
            raw[pos:pos] = byte
        elif raw:
            del raw[pos]
    _run_all(bytes(raw), SEEDS[name].suffix, sources=("auto",))


@FAST
@given(st.data())
def test_mutated_exports_read_or_fail_cleanly(data):
    _mutated(data)


@pytest.mark.slow
@SLOW
@given(st.data())
def test_mutated_exports_read_or_fail_cleanly_many(data):
    _mutated(data)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["activityName", "startTime", "duration", "distance", "distanceUnit", "logId", "x"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


def _json_shapes(value) -> None:
    data = json.dumps(value).encode()
    _run_all(data, ".json", sources=("auto", "fitbit"))


@FAST
@given(JSON)
def test_wrong_json_shapes_read_or_fail_cleanly(value):
    _json_shapes(value)


@pytest.mark.slow
@SLOW
@given(JSON)
def test_wrong_json_shapes_read_or_fail_cleanly_many(value):
    _json_shapes(value)


def _encoded(draw_data) -> None:
    name = draw_data.draw(st.sampled_from([n for n in SEEDS if SEEDS[n].suffix == ".csv"]))
    text = SEEDS[name].read_text(encoding="utf-8-sig")
    endings = draw_data.draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    lines = text.splitlines()
    if endings == "mixed":
        rng = random.Random(draw_data.draw(st.integers(0, 1000)))
        text = "".join(line + rng.choice(["\n", "\r\n", "\r"]) for line in lines)
    else:
        text = endings.join(lines) + endings
    encoding = draw_data.draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    try:
        raw = text.encode(encoding)
    except UnicodeEncodeError:
        raw = text.encode(encoding, errors="replace")
    _run_all(raw, ".csv", sources=("auto",))


@FAST
@given(st.data())
def test_odd_encodings_and_line_endings_read_or_fail_cleanly(data):
    _encoded(data)


def test_utf16_and_mixed_line_endings_read_the_same_rows():
    text = SEEDS["strong_classic"].read_text(encoding="utf-8")
    lines = text.splitlines()
    mixed = "".join(line + ["\n", "\r\n", "\r"][k % 3] for k, line in enumerate(lines))
    with tempfile.TemporaryDirectory() as folder:
        base = sol.read(SEEDS["strong_classic"], weight_unit="kg")
        for k, raw in enumerate([text.encode("utf-16"), mixed.encode("utf-8")]):
            path = Path(folder) / f"s{k}.csv"
            path.write_bytes(raw)
            df = sol.read(path, weight_unit="kg")
            pd.testing.assert_series_equal(df["load_kg"], base["load_kg"])
            assert df["source_row"].tolist() == base["source_row"].tolist()


def _huge_cell(draw_data) -> None:
    name = draw_data.draw(st.sampled_from([n for n in SEEDS if SEEDS[n].suffix == ".csv"]))
    lines = SEEDS[name].read_text(encoding="utf-8-sig").splitlines()
    row = draw_data.draw(st.integers(1, len(lines) - 1))
    size = draw_data.draw(st.sampled_from([140_000, 300_000]))
    quoted = draw_data.draw(st.booleans())
    cell = '"' + "x" * size + '"' if quoted else "x" * size
    lines[row] = lines[row] + "," + cell if "," in lines[0] else lines[row] + ";" + cell
    _run_all("\n".join(lines).encode(), ".csv", sources=("auto",))


@FAST
@given(st.data())
def test_huge_cells_read_or_fail_cleanly(data):
    _huge_cell(data)


@pytest.mark.parametrize("source", ["auto", *SOURCES])
def test_empty_and_whitespace_files_fail_cleanly_for_every_source(source):
    for raw in (b"", b"   \n\n", b"\xef\xbb\xbf"):
        _run_all(raw, ".csv", sources=(source,))


@pytest.mark.parametrize("source", APP_SOURCES)
def test_every_source_on_every_other_sources_file(source):
    for name in SEEDS:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / SEEDS[name].name
            path.write_bytes(_seed_bytes(name))
            for call in _entry_points(path, source):
                _check_outcome(path, call)
