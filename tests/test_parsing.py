import numpy as np
import pandas as pd
import pytest

from soleus_analysis.errors import MissingUnitError
from soleus_analysis.parsing import keep_unparsed, parse_duration, parse_number, parse_pace


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("1h 4m", 3840), ("47m", 2820), ("55s", 55), ("21min", 1260), ("00:47:12", 2832),
        ("47:12", 2832), ("1:04:00", 3840), ("3600", 3600), ("1h", 3600), ("2 h 5 min", 7500),
        ("PT1H4M", 3840), ("PT30S", 30), ("1,5h", 5400), ("90.5", 90.5),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(pd.Series([text])).iloc[0] == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "soon", "1x", "12:75:00h", None, "5 parsecs"])
def test_parse_duration_rejects_to_nan(text):
    assert np.isnan(parse_duration(pd.Series([text], dtype=object)).iloc[0])


@pytest.mark.parametrize(
    ("text", "s_per_km"),
    [("5:30/km", 330), ("8:51/mi", 531 / 1.609344), ("5:30 min/km", 330), ("4:05 /km", 245),
     ("10:00/mile", 600 / 1.609344)],
)
def test_parse_pace(text, s_per_km):
    assert parse_pace(pd.Series([text])).iloc[0] == pytest.approx(s_per_km)


def test_pace_without_unit_is_never_guessed():
    with pytest.raises(MissingUnitError, match="per km or per mile"):
        parse_pace(pd.Series(["5:30"]))
    assert parse_pace(pd.Series(["5:30"]), unit="mi").iloc[0] == pytest.approx(330 / 1.609344)


def test_parse_number_decimal_comma_and_tokens():
    got = parse_number(pd.Series(["62,5", "1.005,0", "", "NA", "abc"]), decimal=",")
    assert got.iloc[:2].tolist() == [62.5, 1005.0]
    assert got.iloc[2:].isna().all()
    assert parse_number(pd.Series(["1e3", "inf"])).iloc[0] == 1000.0
    assert np.isnan(parse_number(pd.Series(["inf"])).iloc[0])


def test_keep_unparsed_puts_the_text_back():
    original = pd.Series(["100", "heavy", ""])
    converted = parse_number(original) * 0.45359237
    out = keep_unparsed(converted, original)
    assert out.iloc[0] == pytest.approx(45.359237)
    assert out.iloc[1] == "heavy"
    assert pd.isna(out.iloc[2])
