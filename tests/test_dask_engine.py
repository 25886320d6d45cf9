"""The Dask engine builds exactly what the pandas engine builds, finding every bad row."""

import filecmp
import logging
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.build.parts import read_part, table_parts
from soleus_analysis.cli import main
from soleus_analysis.simulation import SOLEUS_SHARES
from tests import factories

pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

OUTPUTS = (
    "athletes",
    "strength_sets",
    "runs",
    "sessions",
    "wellness",
    "athlete_week",
    "dose_per_set",
    "provenance",
    "daily_loads",
)
REPORT_TABLES = ("tables", "rejected", "quarantine", "flags", "unmapped", "weeks")


def _later(frame, rows, **changes):
    """Copies of some rows with changed cells, to append at the end of a table (the last part)."""
    out = frame.iloc[rows].copy()
    for name, value in changes.items():
        out[name] = value(out[name]) if callable(value) else value
    return out


def cohort_with_defects():
    """A simulated cohort with defects planted across parts; returns tables and what was planted.

    Copies of early rows (exact duplicates, a session logged again two minutes later, a run that
    overlaps an earlier one, a second wellness entry for a day) are appended at the end of their
    table, so that with 3 parts the two copies sit in different parts. Bad cells are planted in
    the first, middle and last part.
    """
    tables = {k: v.copy() for k, v in sol.simulate_cohort(6, 8, rng=11).tables().items()}
    sets, runs = tables["strength_sets"], tables["runs"]
    sessions, wellness = tables["sessions"], tables["wellness"]
    first_session = sets.index[sets["session_start"] == sets["session_start"].iloc[0]]
    planted = {"strength_sets": {}, "runs": {}, "sessions": {}, "wellness": {}}

    n = len(sets)
    for row, column, value, check in [
        (10, "reps", -4.0, "greater_than_or_equal_to"),
        (n // 2, "load_kg", 900.0, "less_than_or_equal_to"),
        (n - 20, "set_type", "wroking", "isin"),
    ]:
        sets.loc[row, column] = value
        planted["strength_sets"][row] = check
    extra_sets = [
        (_later(sets, [40]), "duplicate_set"),
        (
            _later(sets, list(first_session), session_start=lambda s: s + pd.Timedelta("2min")),
            "near_duplicate_session",
        ),
    ]
    for frame, check in extra_sets:
        start = len(sets)
        sets = pd.concat([sets, frame], ignore_index=True)
        planted["strength_sets"].update(dict.fromkeys(range(start, len(sets)), check))
    for table, frame, extra in [
        ("runs", runs, [(_later(runs, [3]), "duplicate_run"),
                        (_later(runs, [7], start=lambda s: s + pd.Timedelta("5min")),
                         "overlapping_run")]),
        ("sessions", sessions, [(_later(sessions, [4]), "duplicate_session")]),
        ("wellness", wellness, [(_later(wellness, [2]), "duplicate_day")]),
    ]:
        for piece, check in extra:
            start = len(frame)
            frame = pd.concat([frame, piece], ignore_index=True)
            planted[table].update(dict.fromkeys(range(start, len(frame)), check))
        tables[table] = frame
    tables["strength_sets"] = sets
    # Two athletes without body mass: their body-weight volume is unknown (a note names them).
    # They are the first and the last athlete with calf sets (who those are depends on the draw).
    calf = sorted(sets.loc[sets["exercise"].map(SOLEUS_SHARES).gt(0), "athlete_id"].unique())
    no_mass = tables["athletes"]["athlete_id"].isin([calf[0], calf[-1]])
    tables["athletes"].loc[no_mass, "body_mass_kg"] = np.nan
    return tables, planted


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    base = tmp_path_factory.mktemp("dask")
    tables, planted = cohort_with_defects()
    raw = base / "raw"
    # Sets and athletes as Parquet, the other tables as CSV: both readers in one build.
    parquet = ("athletes", "strength_sets")
    sol.write_partitioned({k: v for k, v in tables.items() if k in parquet}, raw, partitions=3)
    sol.write_partitioned(
        {k: v for k, v in tables.items() if k not in parquet}, raw, partitions=3, format="csv"
    )
    pandas_report = sol.build(raw, base / "pandas")
    dask_report = sol.build(raw, base / "dask", engine="dask", partitions=3)
    return SimpleNamespace(
        raw=raw,
        tables=tables,
        planted=planted,
        pandas=pandas_report,
        dask=dask_report,
        pandas_out=base / "pandas",
        dask_out=base / "dask",
    )


def assert_same_build(pandas_out, dask_out, pandas_report, dask_report):
    for name in OUTPUTS:
        expected = pd.read_parquet(pandas_out / f"{name}.parquet")
        got = pd.read_parquet(dask_out / f"{name}.parquet")
        pd.testing.assert_frame_equal(got, expected, obj=name)
    for name in REPORT_TABLES:
        pd.testing.assert_frame_equal(
            getattr(dask_report, name), getattr(pandas_report, name), obj=name
        )
    assert dask_report.notes == pandas_report.notes
    expected = sorted(p.name for p in (pandas_out / "quarantine").iterdir())
    assert sorted(p.name for p in (dask_out / "quarantine").iterdir()) == expected
    for name in expected:
        assert filecmp.cmp(
            pandas_out / "quarantine" / name, dask_out / "quarantine" / name, shallow=False
        ), name


def test_dask_build_equals_pandas_build(builds):
    assert builds.dask.parameters["engine"] == "dask"
    assert builds.dask.parameters["partitions"] == 3
    assert_same_build(builds.pandas_out, builds.dask_out, builds.pandas, builds.dask)
    # The large tables are folders of parts, one per partition by athlete.
    parts = sorted((builds.dask_out / "athlete_week.parquet").glob("part.*.parquet"))
    assert len(parts) == 3
    athletes = [set(pd.read_parquet(p)["athlete_id"]) for p in parts]
    assert all(a.isdisjoint(b) for i, a in enumerate(athletes) for b in athletes[i + 1 :])


def test_body_mass_note_merges_partitions(builds):
    # Two athletes lack body mass and are in different partitions; one note names both.
    athletes = builds.tables["athletes"]
    first, last = sorted(athletes.loc[athletes["body_mass_kg"].isna(), "athlete_id"])
    parts = sorted((builds.dask_out / "dose_per_set.parquet").glob("part.*.parquet"))
    where = {a: i for i, p in enumerate(parts) for a in pd.read_parquet(p)["athlete_id"].unique()}
    assert where[first] != where[last]
    note = [n for n in builds.dask.notes if "body mass" in n]
    assert len(note) == 1 and f"{first}, {last}" in note[0]


def test_every_planted_row_is_quarantined_with_its_check(builds):
    report = builds.dask
    for table, planted in builds.planted.items():
        quarantined = pd.concat(
            [
                pd.read_csv(builds.dask_out / q.file)
                for q in report.quarantine.itertuples()
                if q.table == table
            ],
            ignore_index=True,
        ).set_index("row")
        assert sorted(quarantined.index) == sorted(planted), table
        for row, check in planted.items():
            assert f"[{check}]" in quarantined.loc[row, "reasons"], (table, row)
    # Rejected rows come from every partition by athlete, and all of them are in the quarantine.
    parts = sorted((builds.dask_out / "athlete_week.parquet").glob("part.*.parquet"))
    where = {a: i for i, p in enumerate(parts) for a in pd.read_parquet(p)["athlete_id"].unique()}
    sets = builds.tables["strength_sets"]
    assert {where[a] for a in sets.loc[list(builds.planted["strength_sets"]), "athlete_id"]} == {
        0, 1, 2
    }
    counts = report.tables.set_index("table")["rows_rejected"]
    assert counts.to_dict() == {
        "athletes": 0,
        **{table: len(rows) for table, rows in builds.planted.items()},
    }


def test_validating_parts_separately_misses_cross_part_duplicates(builds):
    # What pandera on Dask does: each part alone. The copies in the last part pass there.
    parts = table_parts(builds.raw)
    cross_part = {"duplicate_set", "near_duplicate_session", "duplicate_run", "overlapping_run",
                  "duplicate_session", "duplicate_day"}
    for table, planted in builds.planted.items():
        rejected = set()
        offset = 0
        for part in parts[table]:
            frame = read_part(part)
            report = sol.validate(frame, table)
            rejected |= {offset + int(r) for r in report.rejected.index}
            offset += len(frame)
        missed = {row for row, check in planted.items() if check in cross_part} - rejected
        assert missed, table


def test_cli_builds_on_an_existing_scheduler(builds, tmp_path, capsys):
    # A scheduler that listens on TCP, as `dask scheduler` does (its worker in this process).
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp",
        dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://")
        code = main(["build", str(builds.raw), "--out", str(tmp_path), "--engine", "dask",
                     "--scheduler", address, "--partitions", "2"])
        assert code == 0
        # The build ran there: the shuffle and the partitions' tasks went through the scheduler.
        assert cluster.scheduler.transition_counter > 100
    assert "strength_sets:" in capsys.readouterr().out
    report = sol.open_study(builds.raw, tmp_path, rebuild=False).report
    assert "distributed scheduler (1 worker(s))" in report["parameters"]["reader"]
    assert report["parameters"]["partitions"] == 2
    assert len(list((tmp_path / "athlete_week.parquet").glob("part.*.parquet"))) == 2
    # Two partitions instead of three: the same outputs all the same.
    for name in OUTPUTS:
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / f"{name}.parquet"),
            pd.read_parquet(builds.pandas_out / f"{name}.parquet"),
            obj=name,
        )


@pytest.mark.parametrize(
    "address, problem",
    [
        ("tcp://127.0.0.1:1", "nothing answers there"),
        ("localhost", "missing port number"),
        ("http://localhost:8786", "unknown protocol 'http'"),
    ],
)
def test_cli_bad_scheduler_address_is_one_line_and_exit_2(builds, tmp_path, capsys, address,
                                                          problem):
    code = main(["build", str(builds.raw), "--out", str(tmp_path), "--engine", "dask",
                 "--scheduler", address])
    err = capsys.readouterr().err
    assert code == 2
    assert f"cannot connect to the Dask scheduler at {address}: {problem}" in err
    assert "dask scheduler" in err  # the fix
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_scheduler_without_workers_is_an_input_error(builds, tmp_path):
    with distributed.LocalCluster(
        n_workers=0, processes=False, protocol="tcp", dashboard_address=":0",
        silence_logs=logging.ERROR,
    ) as cluster, pytest.raises(sol.InputError, match="has no workers"):
        sol.build(builds.raw, tmp_path, engine="dask", scheduler=cluster.scheduler_address)


def test_cli_missing_or_empty_folder_is_one_line_and_exit_2(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    for folder, message in [("missing", "raw data folder not found"),
                            ("empty", "no canonical table")]:
        code = main(["build", str(tmp_path / folder), "--out", str(tmp_path / "out"),
                     "--engine", "dask", "--scheduler", "threads"])
        err = capsys.readouterr().err
        assert code == 2, folder
        assert message in err and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1


def test_duplicate_set_split_across_two_parts_is_rejected(tmp_path):
    sets = factories.strength_sets(4)
    again = sets.iloc[[3]]
    sets = pd.concat([sets, again], ignore_index=True)  # the copy is the last row
    sol.write_partitioned({"strength_sets": sets}, tmp_path / "raw", partitions=2)
    parts = table_parts(tmp_path / "raw")
    halves = [read_part(p) for p in parts["strength_sets"]]
    assert len(halves[0]) > 3 and len(halves) == 2  # row 3 in part 0, its copy in part 1
    assert all(sol.validate(h, "strength_sets").ok for h in halves)  # each part alone: no error
    report = sol.build(tmp_path / "raw", tmp_path / "out", engine="dask", scheduler="threads",
                       partitions=2)
    counts = report.tables.set_index("table")["rows_rejected"]
    assert counts["strength_sets"] == 1
    quarantined = pd.read_csv(tmp_path / "out" / report.quarantine["file"].iloc[0])
    assert quarantined["row"].tolist() == [len(sets) - 1]  # the later copy, not the first
    assert "[duplicate_set]" in quarantined["reasons"].iloc[0]
    assert len(pd.read_parquet(tmp_path / "out" / "strength_sets.parquet")) == len(sets) - 1


def test_all_csv_parts_build_as_the_pandas_engine(tmp_path):
    tables, planted = cohort_with_defects()
    raw = tmp_path / "raw"
    sol.write_partitioned(tables, raw, partitions=4, format="csv")
    assert len(list((raw / "strength_sets").glob("part-*.csv"))) == 4
    pandas_report = sol.build(raw, tmp_path / "pandas")
    dask_report = sol.build(raw, tmp_path / "dask", engine="dask", scheduler="threads",
                            partitions=4)
    assert_same_build(tmp_path / "pandas", tmp_path / "dask", pandas_report, dask_report)
    assert dask_report.rows_rejected == sum(len(rows) for rows in planted.values())


def test_cli_builds_single_files_and_lists_app_exports(tmp_path, capsys):
    # Canonical tables as single files at any depth, next to a README and an app export.
    raw = tmp_path / "raw"
    (raw / "club").mkdir(parents=True)
    sets = factories.strength_sets(12)
    sets.loc[4, "reps"] = -3
    sets.loc[10, "set_type"] = "warm"
    sets.to_csv(raw / "strength_sets.csv", index=False)
    other = factories.strength_sets(3, seed=5).assign(athlete_id="a2")
    other.loc[0, "load_kg"] = 900
    other.to_csv(raw / "club" / "a2.strength_sets.csv", index=False)
    factories.runs(20).to_parquet(raw / "runs.parquet")
    factories.sessions(4).to_csv(raw / "sessions.csv", index=False)
    factories.wellness(10).to_csv(raw / "wellness.csv", index=False)
    factories.athletes(2).to_csv(raw / "athletes.csv", index=False)
    (raw / "README.md").write_text("about this folder\n")
    (raw / "watch.fit").write_bytes(b"\x0e\x10FIT")
    code = main(["build", str(raw), "--out", str(tmp_path / "dask"), "--engine", "dask",
                 "--scheduler", "threads", "--partitions", "2"])
    captured = capsys.readouterr()
    assert code == 1  # the app export is not read by the dask engine
    assert "could not be read and are not in the build: watch.fit" in captured.err
    assert "strength_sets: 135 rows read, 132 valid, 3 rejected" in captured.out
    dask_report = sol.open_study(raw, tmp_path / "dask", rebuild=False).report
    assert dask_report["parameters"]["partitions"] == 2
    assert "threaded scheduler" in dask_report["parameters"]["reader"]
    assert [q["source_file"] for q in dask_report["quarantine"]] == [
        "club/a2.strength_sets.csv", "strength_sets.csv"
    ]
    files = {f["path"]: f for f in dask_report["files"]}
    assert "not read by the dask engine" in files["watch.fit"]["error"]
    assert files["club/a2.strength_sets.csv"]["rows"] == 27


def test_pandas_build_replaces_an_earlier_dask_build(builds, tmp_path):
    out = tmp_path / "out"
    (out / "athlete_week.parquet").mkdir(parents=True)
    (out / "athlete_week.parquet" / "part.00000.parquet").write_bytes(b"stale")
    sol.build(builds.raw, out)
    assert (out / "athlete_week.parquet").is_file()


def test_engine_errors(tmp_path, capsys):
    (tmp_path / "raw").mkdir()
    (tmp_path / "raw" / "strong.csv").write_text("Date,Exercise Name\n")
    with pytest.raises(sol.InputError, match="no canonical table"):
        sol.build(tmp_path / "raw", tmp_path / "out", engine="dask")
    with pytest.raises(ValueError, match="unknown engine"):
        sol.build(tmp_path / "raw", tmp_path / "out", engine="spark")
    assert main(["build", str(tmp_path / "raw"), "--partitions", "3"]) == 2
    assert "--engine dask" in capsys.readouterr().err
    runs = pd.DataFrame({"athlete_id": ["a"], "distance_m": [5000.0]})  # no start column
    sol.write_partitioned({"runs": runs}, tmp_path / "bad")
    with pytest.raises(sol.InputError, match="lacks the required column"):
        sol.build(tmp_path / "bad", tmp_path / "out", engine="dask", scheduler="threads")
