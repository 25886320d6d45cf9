"""The assumptions table: one source for docs/models.md and the notebooks."""

from pathlib import Path

import pytest

import soleus_analysis as sol
from soleus_analysis.models.assumptions import ASSUMPTION_COLUMNS, assumptions_markdown

DOCS = Path(__file__).parents[1] / "docs" / "models.md"


def test_docs_show_the_generated_table():
    assert assumptions_markdown() in DOCS.read_text(encoding="utf-8")


def test_every_listed_model_is_a_public_function():
    for name in sol.model_assumptions()["model"]:
        assert callable(getattr(sol, name)), name


def test_rows_in_the_order_asked_with_or_without_prefix():
    table = sol.model_assumptions(["sol.power", "fit_gee"])
    assert table["model"].tolist() == ["power", "fit_gee"]
    assert tuple(table.columns) == ASSUMPTION_COLUMNS
    assert table.notna().all().all()


def test_unknown_model_is_named():
    with pytest.raises(ValueError, match="fit_magic"):
        sol.model_assumptions(["fit_magic"])
