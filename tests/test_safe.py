"""Outputs that are safe to open: CSV cells that cannot run, Markdown that renders nothing."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from soleus_analysis.build.safe import markdown_text, neutralise_cells, restore_cells

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"


@given(st.lists(st.text(alphabet=st.sampled_from(list("=+-@\t\r'.0123456789eEa x(")),
                        max_size=8), min_size=1, max_size=20))
def test_no_text_cell_starts_a_formula_and_every_cell_comes_back(cells):
    frame = pd.DataFrame({"cell": cells, "n": range(len(cells))})
    safe = neutralise_cells(frame)
    for value in safe["cell"]:
        if value.startswith(TRIGGERS):
            assert pd.Series([value]).str.fullmatch(NUMBER).iloc[0], value  # a plain number
    back = restore_cells(safe.astype({"cell": str}))
    assert back["cell"].tolist() == cells
    assert safe["n"].tolist() == list(range(len(cells)))


def test_header_names_are_neutralised_too():
    frame = pd.DataFrame({"=cmd": ["x"], "ok": ["y"]})
    assert list(neutralise_cells(frame).columns) == ["'=cmd", "ok"]
    assert list(restore_cells(neutralise_cells(frame)).columns) == ["=cmd", "ok"]


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("<img src=x onerror=alert(1)>", "<img"),
        ("<a href='javascript:alert(1)'>x</a>", "<a href"),
        ("[click](http://evil.example)", 'href="http://evil.example"'),
        ("**bold** and _em_", "<strong>"),
        ("`code` | pipe", "<code>"),
        ("&lt;script&gt;", "<script"),
    ],
)
def test_markdown_text_renders_as_written(text, absent):
    mistune = pytest.importorskip("mistune")
    table = f"| name |\n|---|\n| {markdown_text(text)} |\n"
    html = mistune.html(table)
    assert absent not in html
    assert html.count("<td>") == 1  # the pipe did not split the cell


def test_markdown_text_keeps_words_readable():
    assert markdown_text("seated_calf_raise (plate)") == "seated_calf_raise (plate)"
    assert markdown_text("a\nb") == "a b"
