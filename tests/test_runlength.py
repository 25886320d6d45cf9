import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soleus_analysis import runlength
from soleus_analysis.timeutils import local_dates

# Values drawn from a small alphabet with missing cells, repeated in runs (as sets of a session).
_runs = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", None]), st.integers(min_value=1, max_value=6)),
    max_size=30,
)


def _expand(runs):
    return [value for value, length in runs for _ in range(length)]


@pytest.mark.parametrize("dtype", ["str", object])
@given(runs=_runs, sentinel=st.booleans())
@settings(max_examples=60, deadline=None)
def test_factorize_equals_pandas(runs, sentinel, dtype):
    values = pd.Series(_expand(runs), dtype=dtype)
    codes, uniques = runlength.factorize(values, use_na_sentinel=sentinel)
    expected_codes, expected_uniques = pd.factorize(values, use_na_sentinel=sentinel)
    assert codes.tolist() == expected_codes.tolist()
    assert [None if pd.isna(u) else u for u in uniques] == [
        None if pd.isna(u) else u for u in expected_uniques
    ]


@given(runs=_runs)
@settings(max_examples=60, deadline=None)
def test_changes_marks_every_boundary(runs):
    items = _expand(runs)
    values = pd.Series(items, dtype="str")
    expected = [
        (a is None) != (b is None) or (a is not None and b is not None and a != b)
        for a, b in zip(items[1:], items[:-1], strict=True)
    ]
    assert runlength.changes(values).tolist() == expected


def test_changes_on_integers():
    assert runlength.changes(np.array([1, 1, 2, 2, 1])).tolist() == [False, True, False, True]


def test_local_dates_in_runs_equal_row_by_row_conversion():
    # Long runs of one instant and zone take the compressed path; the result must not change.
    rng = np.random.default_rng(3)
    minutes = rng.integers(0, 3 * 24 * 60, 40)
    starts = np.datetime64("2024-03-30T20:00:00", "us") + minutes * np.timedelta64(60, "s")
    zones = rng.choice(["Europe/Oslo", "America/Los_Angeles", "Australia/Sydney"], 40)
    lengths = rng.integers(3, 8, 40)
    utc = pd.Series(np.repeat(starts, lengths)).dt.tz_localize("UTC").dt.as_unit("us")
    tz = pd.Series(np.repeat(zones, lengths), dtype="str")
    dates = local_dates(utc, tz)
    expected = [t.tz_convert(zone).date() for t, zone in zip(utc, tz, strict=True)]
    assert len(set(expected)) > 1
    assert dates.dt.date.tolist() == expected
