import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.timeutils import day_number


def _utc(*stamps):
    return pd.Series(pd.to_datetime(list(stamps), utc=True)).dt.as_unit("us")


def test_local_date_follows_each_rows_zone():
    # 2024-03-31 is a Sunday. 22:30 UTC is already Monday in Oslo (UTC+2 after the DST change),
    # still Sunday in New York, and Monday 09:30 in Sydney.
    t = _utc("2024-03-31T22:30:00Z", "2024-03-31T22:30:00Z", "2024-03-31T22:30:00Z")
    zones = pd.Series(["Europe/Oslo", "America/New_York", "Australia/Sydney"])
    dates = sol.local_dates(t, zones)
    assert dates.dt.strftime("%Y-%m-%d").tolist() == ["2024-04-01", "2024-03-31", "2024-04-01"]
    weeks = sol.week_start(dates)
    assert weeks.dt.strftime("%Y-%m-%d").tolist() == ["2024-04-01", "2024-03-25", "2024-04-01"]
    assert str(dates.dtype) == "datetime64[us]" and str(weeks.dtype) == "datetime64[us]"


def test_sunday_evening_in_los_angeles_stays_in_its_week():
    # Sunday 2024-06-09 20:00 in Los Angeles is Monday 03:00 UTC: a UTC week would move it.
    t = _utc("2024-06-10T03:00:00Z")
    assert sol.week_start(sol.local_dates(t, "America/Los_Angeles")).iloc[0] == pd.Timestamp(
        "2024-06-03"
    )
    assert sol.week_start(sol.local_dates(t, "UTC")).iloc[0] == pd.Timestamp("2024-06-10")


def test_dst_changes_map_every_instant_to_its_wall_date():
    # Berlin, autumn 2024: 00:30 and 01:30 UTC on 27 Oct are both 02:30 wall time (the repeated
    # hour); 22:59 UTC on 26 Oct is 00:59 on the 27th (CEST); 23:30 UTC on 27 Oct is 00:30 on 28th.
    t = _utc(
        "2024-10-26T21:59:00Z",
        "2024-10-26T22:01:00Z",
        "2024-10-27T00:30:00Z",
        "2024-10-27T01:30:00Z",
        "2024-10-27T22:59:00Z",
        "2024-10-27T23:01:00Z",
    )
    dates = sol.local_dates(t, "Europe/Berlin").dt.strftime("%m-%d").tolist()
    assert dates == ["10-26", "10-27", "10-27", "10-27", "10-27", "10-28"]
    # Spring 2024: the instant after 00:59:59 UTC on 31 March is 03:00 CEST on the same date.
    t = _utc("2024-03-30T22:59:00Z", "2024-03-30T23:00:00Z", "2024-03-31T01:00:00Z")
    assert sol.local_dates(t, "Europe/Berlin").dt.strftime("%m-%d").tolist() == [
        "03-30",
        "03-31",
        "03-31",
    ]


def test_missing_zone_means_utc_and_missing_instant_stays_missing():
    t = pd.Series([pd.Timestamp("2024-01-01T23:30Z"), pd.NaT], dtype="datetime64[us, UTC]")
    dates = sol.local_dates(t, pd.Series([None, "Asia/Tokyo"]))
    assert dates.iloc[0] == pd.Timestamp("2024-01-01")
    assert pd.isna(dates.iloc[1])
    assert pd.isna(sol.week_start(dates).iloc[1])


def test_week_start_is_the_monday_for_every_day_of_many_years():
    days = pd.Series(pd.date_range("1999-12-20", "2031-01-10", freq="D"))
    expected = days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    got = sol.week_start(days)
    assert (got == expected).all()
    assert (got.dt.day_of_week == 0).all()


def test_week_start_ignores_time_of_day():
    got = sol.week_start(pd.Series(pd.to_datetime(["2024-05-12 23:59:59", "2024-05-13 00:00:01"])))
    assert got.dt.strftime("%Y-%m-%d").tolist() == ["2024-05-06", "2024-05-13"]


def test_naive_or_aware_inputs_in_the_wrong_place_raise():
    with pytest.raises(TypeError, match="tz-aware UTC"):
        sol.local_dates(pd.Series(pd.to_datetime(["2024-01-01"])), "UTC")
    with pytest.raises(TypeError, match="naive local dates"):
        sol.week_start(_utc("2024-01-01T00:00Z"))


def test_local_dates_keeps_the_index_and_aligns_zones_by_position():
    t = _utc("2024-01-01T23:30Z", "2024-01-01T23:30Z")
    t.index = [10, 20]
    zones = pd.Series(["Asia/Tokyo", "UTC"], index=[0, 1])
    dates = sol.local_dates(t, zones)
    assert dates.index.tolist() == [10, 20]
    assert dates.dt.day.tolist() == [2, 1]


def test_day_number():
    assert day_number(
        pd.Series(pd.to_datetime(["1970-01-01", "1969-12-31", "2024-01-01"]))
    ).tolist() == [0, -1, 19723]
    assert np.issubdtype(day_number(pd.Series(pd.to_datetime(["2024-01-01"]))).dtype, np.integer)
