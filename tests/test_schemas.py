from pathlib import Path

import pytest

import soleus_analysis as sol

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("table", list(sol.TABLES))
def test_every_column_is_described_and_measures_carry_units(table):
    schema = sol.get_schema(table)
    for name, col in schema.columns.items():
        assert col.description, f"{table}.{name} has no description"
        if str(col.dtype) == "float64" and name.endswith(("_m", "_s", "_kg", "_km", "_min", "_h")):
            assert "[" in col.description, f"{table}.{name}: say the unit in the description"


def test_committed_data_dictionary_is_current():
    committed = (ROOT / "docs" / "data-dictionary.md").read_text(encoding="utf-8")
    assert committed == sol.data_dictionary() + "\n", "run: soleus schema > docs/data-dictionary.md"


def test_canonical_columns_put_provenance_last():
    cols = sol.canonical_columns("strength_sets")
    assert cols[0] == "athlete_id"
    assert cols[-4:] == ["timezone", "source", "source_file", "source_row"]
