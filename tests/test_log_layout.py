"""A hand-made running log is recognised from its header only when nothing is in doubt."""

import pytest

from soleus_analysis.readers.log_layout import guess_running_log

ROW = ["2024-03-04 07:44", "6.69", "0:36:29", "147", "3"]


def test_the_common_layout_maps_to_runs_with_units():
    m = guess_running_log(["Date", "Distance (km)", "Time", "Avg HR", "RPE"], [ROW])
    assert m.table == "runs"
    assert m.columns == {"Date": "start", "Distance (km)": "distance_m", "Time": "moving_time_s",
                         "Avg HR": "avg_hr_bpm", "RPE": "rpe"}
    assert m.units == {"distance_m": "km", "moving_time_s": "clock"}


@pytest.mark.parametrize(
    ("header", "units"),
    [
        (["date", "Miles", "Duration (min)", "Average heart rate", "Notes"],
         {"distance_m": "mi", "moving_time_s": "min"}),
        (["Start time", "Distance [m]", "Moving time (s)", "HR (bpm)"],
         {"distance_m": "m", "moving_time_s": "s"}),
    ],
)
def test_stated_units_are_taken_from_the_header(header, units):
    row = ["2024-03-04", "4.2", "36", "147", "easy"][: len(header)]
    assert guess_running_log(header, [row]).units == units


@pytest.mark.parametrize(
    ("header", "row"),
    [
        # a distance whose unit is not stated
        (["Date", "Distance", "Time", "Avg HR"], ["2024-03-04", "6.7", "0:36:29", "147"]),
        # a duration that is neither in a stated unit nor a clock time
        (["Date", "Distance (km)", "Time", "Avg HR"], ["2024-03-04", "6.7", "36", "147"]),
        # a column it cannot place (a multi-sport log's type): not a running log to guess
        (["Date", "Type", "Distance (km)", "Time", "Avg HR"],
         ["2024-03-04", "Bike", "26", "0:56:00", "130"]),
        # no heart rate, which the runs table requires
        (["Date", "Distance (km)", "Time", "RPE"], ["2024-03-04", "6.7", "0:36:29", "3"]),
        # one canonical column claimed twice
        (["Date", "Day", "Distance (km)", "Time", "Avg HR"],
         ["2024-03-04", "Mon", "6.7", "0:36:29", "147"]),
        # a distance in an unknown unit
        (["Date", "Distance (furlongs)", "Time", "Avg HR"], ["2024-03-04", "6", "0:36:29", "147"]),
    ],
)
def test_any_doubt_gives_no_guess(header, row):
    assert guess_running_log(header, [row]) is None
