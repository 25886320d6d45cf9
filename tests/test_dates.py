"""Dates and times in the languages exports are written in (soleus_analysis.readers.dates)."""

import numpy as np
import pandas as pd
import pytest

from soleus_analysis.readers.dates import month_names, parse_datetimes

WALL = pd.Timestamp("2020-10-07 14:43:11")


@pytest.mark.parametrize(
    "text",
    [
        "Oct 7, 2020, 2:43:11 PM",  # Strava, English (US)
        "7 Oct 2020, 14:43:11",  # English (UK)
        "07.10.2020, 14:43:11",  # German
        "7. Okt. 2020, 14:43:11",
        "7 oct. 2020, 14:43:11",  # French
        "7 oct 2020, 14:43:11",  # Spanish
        "7 ott 2020, 14:43:11",  # Italian
        "7 de out. de 2020 14:43:11",  # Portuguese
        "7 okt 2020, 14:43:11",  # Dutch
        "7 окт. 2020 г., 14:43:11",  # Russian
        "7 paź 2020, 14:43:11",  # Polish
        "7 okt. 2020 14:43:11",  # Swedish, Norwegian, Danish
        "7 říj 2020 14:43:11",  # Czech
        "7 Eki 2020 14:43:11",  # Turkish
        "7 жовт. 2020 р., 14:43:11",  # Ukrainian
        "7 lokak. 2020 klo 14:43:11",  # Finnish
        "2020/10/07 14:43:11",  # Japanese
        "2020年10月7日 下午2:43:11",  # Chinese
        "2020年10月7日 14:43:11",
        "2020. 10. 7. 오후 2:43:11",  # Korean
        "2020-10-07 14:43:11",  # ISO
        "2020-10-07T14:43:11",
    ],
)
def test_one_moment_in_every_language(text):
    parsed = parse_datetimes(pd.Series([text]))
    assert parsed.wall.iloc[0] == WALL, parsed.how
    assert not parsed.unparsed[0]


def test_issue_example_and_hevy_forms():
    texts = pd.Series(["8 jul 2017, 15:25:34", "30 Nov 2024, 18:51", "2024-12-12 13:18"])
    # Seconds may come and go, but a date written in another form than the rest of its column
    # (here ISO among day-month-name-year) is not read: one form per column.
    parsed = parse_datetimes(texts)
    assert parsed.unparsed.tolist() == [False, False, True]
    assert parsed.wall.iloc[0] == pd.Timestamp("2017-07-08 15:25:34")
    assert parsed.wall.iloc[1] == pd.Timestamp("2024-11-30 18:51")
    assert "another form" in parsed.how


def test_twelve_hour_clock_edges():
    texts = pd.Series(
        ["Oct 7, 2020, 12:05:00 AM", "Oct 7, 2020, 12:05:00 PM", "Oct 7, 2020, 1:00:00 AM"]
    )
    wall = parse_datetimes(texts).wall
    assert wall.dt.hour.tolist() == [0, 12, 1]


@pytest.mark.parametrize(
    ("texts", "hint", "expected", "read"),
    [
        # A day above 12 decides the whole column.
        (["13/04/2024 10:00", "03/04/2024 10:00"], None, "2024-04-03", True),
        # A second number above 12 decides month-first.
        (["04/13/2024 10:00", "03/04/2024 10:00"], None, "2024-03-04", True),
        # Dots are day-month in every language that writes them.
        (["03.04.2024 10:00"], None, "2024-04-03", True),
        # Undecidable without the export's language: not guessed.
        (["03/04/2024 10:00"], None, None, False),
        (["03/04/2024 10:00"], "mdy", "2024-03-04", True),
        (["03/04/2024 10:00"], "dmy", "2024-04-03", True),
    ],
)
def test_day_month_order_is_decided_per_column(texts, hint, expected, read):
    parsed = parse_datetimes(pd.Series(texts), order_hint=hint)
    last = parsed.wall.iloc[-1]
    if read:
        assert last == pd.Timestamp(f"{expected} 10:00")
    else:
        assert parsed.unparsed.all() and "undecidable" in parsed.how


def test_a_column_that_contradicts_itself_is_not_read():
    parsed = parse_datetimes(pd.Series(["13/04/2024 10:00", "04/13/2024 10:00"]))
    assert parsed.unparsed.all() and "contradicts" in parsed.how


def test_stated_offsets_are_returned():
    parsed = parse_datetimes(pd.Series(["2024-01-16T16:46:08Z", "2024-01-16T16:46:08+02:00"]))
    assert parsed.offset_min.tolist() == [0.0, 120.0]
    plain = parse_datetimes(pd.Series(["2024-01-16 16:46:08"]))
    assert np.isnan(plain.offset_min[0])


@pytest.mark.parametrize(
    "text",
    ["yesterday", "31 feb 2020 10:00", "2020-13-01 10:00", "7 oct 2020 25:00", "1 2 3 4", "12:00"],
)
def test_impossible_or_foreign_text_is_unparsed(text):
    parsed = parse_datetimes(pd.Series([text]))
    assert parsed.unparsed[0] and pd.isna(parsed.wall.iloc[0])


def test_missing_cells_are_missing_not_unparsed():
    parsed = parse_datetimes(pd.Series(["", None, "NaN", "7 oct 2020, 14:43:11"], dtype=object))
    assert parsed.unparsed.tolist() == [False, False, False, False]
    assert parsed.wall.isna().tolist() == [True, True, True, False]


def test_month_names_have_twelve_months_per_language_and_one_meaning():
    table = pd.read_csv("soleus_analysis/data/month_names.csv", dtype=str)
    assert (table.groupby("language")["month"].nunique() == 12).all()
    assert table["language"].nunique() >= 17
    names = month_names()  # raises when one name means two months
    assert names["märz"] == 3 and names["mrt"] == 3 and names["дек"] == 12
