import numpy as np
import pandas as pd
import pytest

from soleus_analysis import rules
from tests import factories


def test_world_record_speed_is_monotone_and_anchored():
    d = np.array([100, 400, 1500, 5000, 10000, 42195, 100000])
    v = rules.world_record_speed(d)
    assert np.all(np.diff(v) < 0)
    assert v[-3] == pytest.approx(10000 / 1571.0)


@pytest.mark.parametrize(
    ("distance", "time", "ok"),
    [(10000, 1200, False), (10000, 1650, True), (42195, 6500, False), (42195, 10800, True),
     (400, 40, False), (np.nan, 100, True)],
)
def test_speed_is_humanly_possible(distance, time, ok):
    flagged = rules.speed_is_humanly_possible(pd.Series([distance]), pd.Series([float(time)]))
    assert flagged.iloc[0] == ok


def test_near_duplicate_needs_same_content_and_a_short_gap():
    sets = factories.strength_sets(2)
    first = sets[sets["session_start"] == sets["session_start"].min()]
    copy_40s = first.assign(session_start=first["session_start"] + pd.Timedelta(seconds=40))
    changed = copy_40s.assign(
        session_start=first["session_start"] + pd.Timedelta(minutes=2), reps=99.0
    )
    late = first.assign(session_start=first["session_start"] + pd.Timedelta(hours=3))
    for extra, expected in [(copy_40s, True), (changed, False), (late, False)]:
        df = pd.concat([sets, extra], ignore_index=True)
        flagged = rules.near_duplicate_sessions(df)
        assert flagged.iloc[len(sets):].all() == expected
        assert not flagged.iloc[: len(sets)].any()


def test_overlapping_intervals_with_explicit_end():
    df = pd.DataFrame(
        {
            "g": ["a", "a", "a", "b"],
            "s": pd.to_datetime(
                ["2024-01-01 10:00", "2024-01-01 10:30", "2024-01-01 11:10", "2024-01-01 10:10"]
            ),
            "e": pd.to_datetime(
                ["2024-01-01 11:00", "2024-01-01 11:20", "2024-01-01 12:00", "2024-01-01 10:20"]
            ),
        }
    )
    assert rules.overlapping_intervals(df, start="s", end="e", group="g").tolist() == [
        False, True, False, False
    ]
