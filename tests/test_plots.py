import numpy as np
import pandas as pd
import pytest

from soleus_analysis import plots


@pytest.fixture
def estimates():
    return pd.DataFrame(
        {
            "term": ["within", "between", "within", "between"],
            "model": ["LMM", "LMM", "GEE", "GEE"],
            "estimate": [-4.0, -1.0, -3.5, -0.5],
            "ci_low": [-6.0, -5.0, -6.5, -4.0],
            "ci_high": [-2.0, 3.0, -0.5, 3.0],
        }
    )


def test_forest_draws_one_bar_per_estimate_in_the_data_coordinates(estimates):
    ax = plots.plot_forest(estimates, hue="model", band=(-1, 1))
    lines = [c for c in ax.containers]
    assert len(lines) == 2  # one errorbar container per model
    xs = np.concatenate([c.lines[0].get_xdata() for c in lines])
    assert sorted(xs) == sorted(estimates["estimate"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["within", "between"]


def test_forest_names_missing_columns(estimates):
    with pytest.raises(ValueError, match="lacks column"):
        plots.plot_forest(estimates.drop(columns="ci_low"))


def test_dose_over_time_draws_each_athlete_and_a_median():
    weeks = pd.date_range("2025-01-06", periods=4, freq="7D")
    data = pd.DataFrame(
        {"athlete_id": np.repeat(["a", "b", "c"], 4), "week_start": np.tile(weeks, 3),
         "soleus_sets": [0, 2, 4, 6, 0, 0, 1, 1, 3, 3, 3, 3.0]}
    )
    ax = plots.plot_dose_over_time(data)
    assert len(ax.lines) == 4
    assert ax.lines[-1].get_ydata().tolist() == [0, 2, 3, 3]
    ax = plots.plot_dose_over_time(data, highlight=["b"])
    followed = [line for line in ax.lines if line.get_label() == "b"]
    assert len(followed) == 1 and followed[0].get_ydata().tolist() == [0, 0, 1, 1]
    assert followed[0].get_linestyle() == "--"
    assert "b" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_individual_responses_are_sorted():
    data = pd.DataFrame({"athlete_id": ["a", "b", "c"], "slope": [1.0, -2.0, 0.5],
                         "ci_low": [0.0, -3.0, -1.0], "ci_high": [2.0, -1.0, 2.0]})
    ax = plots.plot_individual_responses(data, swc=0.8)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "c", "a"]
    truth = data.assign(true=[0.7, -2.5, 0.1])
    ax = plots.plot_individual_responses(truth, reference="true", reference_label="planted")
    # the crosses follow the sorted rows: b (-2.5) first, then c (0.1), then a (0.7)
    assert ax.collections[-1].get_offsets()[:, 0].tolist() == [-2.5, 0.1, 0.7]
    assert "planted" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_power_curve_and_series_fit_return_axes():
    curve = pd.DataFrame(
        {"n_athletes": [10, 20, 40], "power": [0.2, 0.5, 0.85], "mc_se": [0.02, 0.03, 0.02]}
    )
    ax = plots.plot_power_curve(curve)
    assert ax.get_ylim() == (0, 1.02)
    near_one = pd.DataFrame({"n_athletes": [10, 20], "power": [0.95, 1.0], "mc_se": [0.03, 0.0]})
    ax = plots.plot_power_curve(near_one)
    segments = ax.containers[0].lines[2][0].get_segments()
    assert max(seg[:, 1].max() for seg in segments) <= 1.0  # bars never pass a power of 1
    series = pd.DataFrame({"day": range(5), "obs": [1, 2, 3, 2, 1.0], "fit": [1, 2, 2.5, 2, 1.5]})
    ax = plots.plot_series_fit(series, x="day", observed="obs", fitted="fit", split=3)
    assert ax.lines[0].get_ydata().tolist() == [1, 2, 2.5, 2, 1.5]


def test_partial_effect_band():
    grid = pd.DataFrame({"x": [0, 10, 20], "predicted": [300, 296, 292.0],
                         "ci_low": [298, 293, 287.0], "ci_high": [302, 299, 297.0]})
    ax = plots.plot_partial_effect(grid, x="x")
    assert ax.lines[0].get_ydata().tolist() == [300, 296, 292.0]


def test_daily_loads_draw_the_series_of_one_athlete():
    days = pd.date_range("2025-01-01", periods=60)
    load = np.where(np.arange(60) % 3 == 0, 0.0, 300.0)
    load[10] = np.nan  # unrecorded day: a gap, not a rest day
    d = pd.DataFrame({"athlete_id": "a", "date": days, "load_au": load, "acute_ewma_au": 1.0,
                      "chronic_ewma_au": 2.0, "ctl_au": 3.0, "atl_au": 4.0, "tsb_au": -1.0,
                      "monotony": 1.5, "strain_au": 900.0, "pmc_burn_in": np.arange(60) < 20,
                      "ewma_convention": "williams"})
    axes = plots.plot_daily_loads(d, title="a")
    assert len(axes) == 3
    heights = [p.get_height() for p in axes[0].patches]
    assert len(heights) == 60 and np.isnan(heights[10]) and heights[0] == 0
    assert "williams" in axes[0].get_legend().get_texts()[1].get_text()
    assert axes[1].lines[0].get_ydata()[0] == 3.0
    two = pd.concat([d, d.assign(athlete_id="b")])
    with pytest.raises(ValueError, match="several athletes"):
        plots.plot_daily_loads(two)


def test_event_study_plot_draws_placebo_and_post_weeks_and_skips_summaries():
    table = pd.DataFrame({
        "term": ["event-2", "event-1", "event+0", "event+1", "overall"],
        "estimate": [0.2, 0.0, -1.0, -2.0, -1.5], "ci_low": [-0.5, 0.0, -2.0, -3.0, -2.5],
        "ci_high": [0.9, 0.0, 0.0, -1.0, -0.5], "event_time": [-2, -1, 0, 1, np.nan]})
    ax = plots.plot_event_study(table)
    ys = np.concatenate([c.lines[0].get_ydata() for c in ax.containers])
    assert sorted(ys) == sorted([0.2, 0.0, -1.0, -2.0])  # "overall" has no event time
    assert ax.get_xlabel() == "weeks since the programme start"
    with pytest.raises(ValueError, match="lacks column"):
        plots.plot_event_study(table.drop(columns="ci_low"))


def test_align_weeks_puts_athletes_years_apart_on_one_axis():
    data = pd.DataFrame({
        "athlete_id": ["a", "a", "a", "b", "b"],
        "week_start": pd.to_datetime(["2019-01-07", "2019-01-14", "2019-01-28",
                                      "2024-05-06", "2024-05-13"]),
        "programme_start": pd.to_datetime(["2019-01-14"] * 3 + [None] * 2),
    })
    assert plots.align_weeks(data).tolist() == [1, 2, 4, 1, 2]
    assert plots.align_weeks(data, align="programme").tolist()[:3] == [0, 1, 3]
    assert plots.align_weeks(data, align="programme").isna().tolist()[3:] == [True, True]
    assert plots.align_weeks(data, align="calendar").equals(data["week_start"])
    with pytest.raises(ValueError, match="align must be one of"):
        plots.align_weeks(data, align="season")


def test_dose_over_time_aligns_by_athlete_week_by_default():
    data = pd.DataFrame({
        "athlete_id": ["a", "a", "b", "b"],
        "week_start": pd.to_datetime(["2019-01-07", "2019-01-14", "2024-05-06", "2024-05-13"]),
        "soleus_sets": [2.0, 4.0, 6.0, 8.0],
        "programme_start": pd.to_datetime(["2019-01-07", "2019-01-07", None, None]),
    })
    ax = plots.plot_dose_over_time(data)
    assert ax.lines[-1].get_xdata().tolist() == [1, 2]  # median over both athletes, not 5 years
    assert ax.lines[-1].get_ydata().tolist() == [4.0, 6.0]
    assert ax.get_xlabel().startswith("athlete week")
    ax = plots.plot_dose_over_time(data, align="programme")
    assert ax.lines[-1].get_ydata().tolist() == [2.0, 4.0]  # b has no programme: left out
    assert "1 athlete(s) without a programme start not shown" in ax.get_xlabel()
    ax = plots.plot_dose_over_time(data, align="calendar")
    assert len(ax.lines[-1].get_xdata()) == 4
