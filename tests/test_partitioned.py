"""The partitioned layout: writing it, listing its parts in the pandas engine's order, reading
them."""

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.build.inputs import table_of
from soleus_analysis.build.parts import read_part, table_parts
from tests import factories

PROVENANCE = ["source_file", "source", "source_row"]


def test_write_partitioned_round_trip(tmp_path):
    sets = factories.strength_sets(6)
    athletes = factories.athletes(2)
    written = sol.write_partitioned(
        {"strength_sets": sets, "athletes": athletes, "runs": sets.iloc[:0]}, tmp_path,
        partitions=4,
    )
    names = [p.relative_to(tmp_path).as_posix() for p in written]
    assert names == [f"strength_sets/part-{i:05d}.parquet" for i in range(4)] + [
        "athletes.parquet"
    ]  # the empty runs table is not written
    parts = table_parts(tmp_path)
    assert list(parts) == ["athletes", "strength_sets"]
    frames = [read_part(p) for p in parts["strength_sets"]]
    assert [len(f) for f in frames] == [13, 14, 13, 14]
    back = pd.concat(frames, ignore_index=True)
    pd.testing.assert_frame_equal(back.drop(columns=["source_file", "source_row"]), sets)
    assert back["source_row"].tolist() == [r + 2 for f in frames for r in range(len(f))]
    assert back["source_file"].iloc[-1] == "strength_sets/part-00003.parquet"


def test_large_parquet_file_is_split_into_row_groups(tmp_path):
    sets = factories.strength_sets(10)
    sets.to_parquet(tmp_path / "strength_sets.parquet", index=False, row_group_size=20)
    parts = table_parts(tmp_path, max_rows=50)
    pieces = parts["strength_sets"]
    assert [p.rows for p in pieces] == [40, 50]  # whole row groups of 20 rows
    assert [p.first_row for p in pieces] == [0, 40]
    whole = pd.read_parquet(tmp_path / "strength_sets.parquet")
    whole = whole.assign(source_file="strength_sets.parquet", source_row=np.arange(2, 92))
    pd.testing.assert_frame_equal(
        pd.concat([read_part(p) for p in pieces], ignore_index=True), whole
    )


def test_parts_come_in_the_pandas_engine_order(tmp_path):
    # Table files in sorted path order, whatever their format; exports, documentation and a
    # simulation's truth are no table files.
    sets = factories.strength_sets(2)
    (tmp_path / "strength_sets").mkdir()
    sets.to_parquet(tmp_path / "strength_sets" / "a.parquet", index=False)
    sets.to_csv(tmp_path / "strength_sets" / "b.csv", index=False)
    sets.to_csv(tmp_path / "x.strength_sets.csv", index=False)
    factories.athletes(1).to_csv(tmp_path / "athletes.csv", index=False)
    (tmp_path / "README.md").write_text("notes\n")
    (tmp_path / "truth.csv").write_text("x\n1\n")
    (tmp_path / "strong.csv").write_text("Date,Exercise Name\n")
    parts = table_parts(tmp_path)
    assert [p.rel for p in parts["strength_sets"]] == [
        "strength_sets/a.parquet",
        "strength_sets/b.csv",
        "x.strength_sets.csv",
    ]
    athletes = read_part(parts["athletes"][0])
    assert athletes["source"].tolist() == ["canonical"]
    assert athletes["source_file"].tolist() == ["athletes.csv"]
    report = sol.build(tmp_path, tmp_path.parent / "out")
    assert report.tables.set_index("table").loc["strength_sets", "rows_read"] == 3 * len(sets)
    # The pandas engine put them together in the same order: the three files hold the same
    # sets, so the first file's are kept and the later copies rejected as duplicates.
    written = pd.read_parquet(tmp_path.parent / "out" / "strength_sets.parquet")
    assert set(written["source_file"]) == {"strength_sets/a.parquet"}
    assert report.quarantine["source_file"].tolist() == [
        "strength_sets/b.csv", "x.strength_sets.csv"
    ]
    files = report.files.set_index("path")
    assert files.loc["strong.csv", "error"] and files.loc["truth.csv", "source"] == (
        "simulation truth"
    )
    assert "README.md" not in files.index


def test_table_of():
    assert table_of("wellness/year=2024/part-0.csv") == "wellness"
    assert table_of("club/a2.sessions.parquet") == "sessions"
    assert table_of("runs/notes.json") is None
    assert table_of("Runs/part.csv") == "runs"


def test_replicate_tables_renames_athletes_and_moves_whole_weeks():
    tables = {
        "strength_sets": factories.strength_sets(1),
        "wellness": factories.wellness(2),
        "athletes": factories.athletes(1),
    }
    copy = sol.replicate_tables(tables, 27)
    assert set(copy["strength_sets"]["athlete_id"]) == {"R0027-a1"}
    assert copy["athletes"]["athlete_id"].iloc[0] == "R0027-a1"
    shift = tables["strength_sets"]["session_start"] - copy["strength_sets"]["session_start"]
    assert set(shift) == {pd.Timedelta(weeks=1)}  # 27 % 26
    assert (tables["wellness"]["date"] - copy["wellness"]["date"]).eq(pd.Timedelta(weeks=1)).all()
    assert tables["strength_sets"]["athlete_id"].iloc[0] == "a1"  # the input is not changed
    with pytest.raises(ValueError, match="copy"):
        sol.replicate_tables(tables, -1)


def test_write_partitioned_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="unknown table"):
        sol.write_partitioned({"sets": factories.strength_sets(1)}, tmp_path)
    with pytest.raises(ValueError, match="format"):
        sol.write_partitioned({"runs": factories.runs(2)}, tmp_path, format="xlsx")
    with pytest.raises(ValueError, match="partitions"):
        sol.write_partitioned({"runs": factories.runs(2)}, tmp_path, partitions=0)
