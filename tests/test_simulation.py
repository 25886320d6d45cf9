"""Tests of the simulated cohort: canonical, reproducible, and with a recoverable planted effect."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2

import soleus_analysis as sol
from soleus_analysis import cli
from soleus_analysis.schemas import get_schema
from soleus_analysis.simulation import (
    SOLEUS_SHARES,
    Design,
    Effects,
    adaptation_kernel,
    adaptation_state,
    simulate_cohort,
    simulate_panel,
    write_canonical,
)
from soleus_analysis.simulation.cohort import EXERCISE_NAMES
from soleus_analysis.simulation.exercises import CALF_EXERCISES, EXERCISE_IDS

TABLE_NAMES = ["athletes", "strength_sets", "runs", "sessions", "wellness"]
HARD = ["working", "failure"]
ARTICLE = {
    "slant_board_single_leg_squat",
    "seated_calf_raise",
    "soleus_walk",
    "soleus_walk_farmers_carry",
    "soleus_walk_suitcase_carry",
    "horse_stance_calf_raise",
}


@pytest.fixture(scope="module")
def cohort():
    return simulate_cohort(16, 20, rng=7)


@pytest.fixture(scope="module")
def reports(cohort):
    return {name: sol.validate(frame, name) for name, frame in cohort.tables().items()}


def _local_week(stamps: pd.Series, zones: pd.Series) -> pd.Series:
    """Monday of the local week of each UTC timestamp in its row's zone."""
    local = pd.Series(
        [t.tz_convert(z).tz_localize(None) for t, z in zip(stamps, zones, strict=True)],
        index=stamps.index,
        dtype="datetime64[us]",
    )
    day = local.dt.normalize()
    return (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).astype("datetime64[us]")


def _within_ols(panel: pd.DataFrame, y: str, xs: list[str], *, periods: bool = True):
    """Within-athlete (fixed-effects) OLS; standard errors clustered by athlete when several.

    With ``periods`` (several athletes), calendar-week fixed effects are partialled out too
    (Frisch-Waugh-Lovell: two-way fixed effects), which the simulator's season trend requires.
    """
    data = panel.dropna(subset=[y, *xs])
    demeaned = data[[y, *xs]] - data.groupby("athlete_id")[[y, *xs]].transform("mean")
    groups = pd.factorize(data["athlete_id"])[0]
    if periods and groups.max() > 0:
        weeks = pd.get_dummies(data["week"], prefix="week", drop_first=True, dtype=float)
        weeks = weeks - weeks.groupby(data["athlete_id"]).transform("mean")
        coef = np.linalg.lstsq(weeks.to_numpy(), demeaned.to_numpy(), rcond=None)[0]
        demeaned = demeaned - weeks.to_numpy() @ coef
    model = sm.OLS(demeaned[y], demeaned[xs])
    if groups.max() == 0:
        return model.fit()
    return model.fit(cov_type="cluster", cov_kwds={"groups": groups})


# --- Canonical tables ---------------------------------------------------------------------------


def test_cohort_tables_pass_validation_without_rejections(cohort, reports):
    for name in TABLE_NAMES:
        report = reports[name]
        assert report.ok, f"{name}: {report.summary()}"
        assert len(report.valid) == len(cohort.tables()[name]) > 0


def test_cohort_tables_have_canonical_columns_and_dtypes(cohort, reports):
    for name, frame in cohort.tables().items():
        schema = get_schema(name)
        required = [c for c, col in schema.columns.items() if col.required]
        assert set(required) <= set(frame.columns), name
        assert set(frame.columns) <= set(schema.columns), f"{name} has non-canonical columns"
        valid = reports[name].valid
        for col in frame.columns:
            assert frame[col].dtype == valid[col].dtype, f"{name}.{col}: {frame[col].dtype}"


def test_only_flags_are_pound_grids_of_pound_users(cohort, reports):
    """The clean cohort has no unit mix-up; pound users' loads sit on a pound grid by design."""
    flags = reports["strength_sets"].flags
    assert "load_jump_x2.2" not in set(flags["check"])
    pound_users = set(cohort.athletes.loc[cohort.athletes["weight_unit"] == "lb", "athlete_id"])
    assert set(flags["athlete_id"]) <= pound_users


def test_panel_validates_as_athlete_week_table():
    sim = simulate_panel(12, 10, rng=2)
    panel = sim.panel
    assert len(panel) == 12 * 10
    assert panel["week_start"].dtype == "datetime64[us]"
    assert (panel["week_start"].dt.day_of_week == 0).all()
    assert panel["week"].tolist() == list(range(10)) * 12
    assert set(panel["group"]) == {"soleus", "control"}
    report = sol.validate(panel, "athlete_week")
    assert report.ok, report.summary()


def test_exercises_are_canonical_ids_with_app_names(cohort):
    sets = cohort.strength_sets
    assert set(sets["exercise"]) <= set(EXERCISE_IDS)
    assert ARTICLE & set(sets["exercise"]), "no exercise of the article was simulated"
    for ex, raw in sets[["exercise", "exercise_raw"]].drop_duplicates().itertuples(index=False):
        assert raw in EXERCISE_NAMES[ex]
    # An athlete logs an exercise under one name only, as an app does.
    assert (sets.groupby(["athlete_id", "exercise"])["exercise_raw"].nunique() == 1).all()


def test_pound_users_log_loads_on_a_five_pound_grid(cohort):
    sets = cohort.strength_sets
    loaded = sets[sets["load_kg"] > 0]
    lb = loaded[loaded["load_unit"] == "lb"]["load_kg"] / 0.45359237
    kg = loaded[loaded["load_unit"] == "kg"]["load_kg"]
    assert len(lb) > 0 and len(kg) > 0
    assert np.allclose(lb, np.round(lb / 5) * 5)
    assert np.allclose(kg, np.round(kg / 2.5) * 2.5)


def test_runs_happen_in_local_daytime_of_each_zone(cohort):
    runs = cohort.runs
    hours = pd.Series(
        [t.tz_convert(z).hour for t, z in zip(runs["start"], runs["timezone"], strict=True)]
    )
    assert hours.between(5, 21).all()
    assert runs["timezone"].nunique() >= 3
    assert (runs["elapsed_time_s"] >= runs["moving_time_s"]).all()


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_athletes=st.integers(1, 5),
    n_weeks=st.integers(2, 10),
    adaptation_weeks=st.sampled_from([0.0, 1.0, 4.0]),
)
def test_any_small_cohort_is_valid_and_sums_to_its_truth(
    seed, n_athletes, n_weeks, adaptation_weeks
):
    cohort = simulate_cohort(
        n_athletes, n_weeks, effects=Effects(adaptation_weeks=adaptation_weeks), rng=seed
    )
    for name, frame in cohort.tables().items():
        report = sol.validate(frame, name)
        assert report.ok, f"{name}: {report.summary()}"
    assert len(cohort.truth) == n_athletes * n_weeks
    sets = cohort.strength_sets
    week = _local_week(sets["session_start"], sets["timezone"])
    hard = sets["set_type"].isin(HARD)
    dose = (
        (hard * sets["exercise"].map(SOLEUS_SHARES).astype(float))
        .groupby([sets["athlete_id"], week])
        .sum()
    )
    truth = cohort.truth.set_index(["athlete_id", "week_start"])["soleus_sets"]
    np.testing.assert_allclose(dose.reindex(truth.index, fill_value=0.0), truth, atol=1e-9)


# --- One model, two granularities ---------------------------------------------------------------


def test_cohort_truth_is_the_panel_of_the_same_seed(cohort):
    panel = simulate_panel(16, 20, rng=7).panel
    pd.testing.assert_frame_equal(cohort.truth, panel)


def test_weekly_sums_of_the_cohort_reproduce_the_truth(cohort):
    truth = cohort.truth.set_index(["athlete_id", "week_start"])
    key = truth.index

    sets = cohort.strength_sets
    week = _local_week(sets["session_start"], sets["timezone"])
    hard = sets["set_type"].isin(HARD)
    dose = (
        (hard * sets["exercise"].map(SOLEUS_SHARES).astype(float))
        .groupby([sets["athlete_id"], week])
        .sum()
    )
    np.testing.assert_allclose(dose.reindex(key, fill_value=0.0), truth["soleus_sets"], atol=1e-9)
    calf = (hard & sets["exercise"].isin(CALF_EXERCISES)).groupby([sets["athlete_id"], week]).sum()
    np.testing.assert_allclose(calf.reindex(key, fill_value=0), truth["calf_sets"])

    runs = cohort.runs
    week = _local_week(runs["start"], runs["timezone"])
    by = [runs["athlete_id"], week]
    np.testing.assert_allclose(runs.groupby(by).size().reindex(key, fill_value=0), truth["n_runs"])
    km = (runs["distance_m"] / 1000).groupby(by).sum().reindex(key, fill_value=0.0)
    np.testing.assert_allclose(km, truth["run_distance_km"])
    easy = ~runs["activity_name"].isin(["Tempo Run", "Intervals"])
    pace = (runs["moving_time_s"] / runs["distance_m"] * 1000)[easy]
    weekly_pace = pace.groupby([runs["athlete_id"][easy], week[easy]]).mean().reindex(key)
    np.testing.assert_allclose(weekly_pace, truth["easy_pace_s_per_km"])

    well = cohort.wellness
    week = well["date"] - pd.to_timedelta(well["date"].dt.day_of_week, unit="D")
    by = [well["athlete_id"], week]
    np.testing.assert_allclose(well.groupby(by)["fatigue"].mean().reindex(key), truth["fatigue"])
    np.testing.assert_allclose(
        well.groupby(by).size().reindex(key, fill_value=0), truth["wellness_days"]
    )

    ses = cohort.sessions
    week = _local_week(ses["start"], ses["timezone"])
    load = (ses["rpe"] * ses["duration_s"] / 60).groupby([ses["athlete_id"], week]).sum()
    np.testing.assert_allclose(load.reindex(key, fill_value=0.0), truth["srpe_load_au"])


# --- Reproducibility ----------------------------------------------------------------------------


def test_same_seed_gives_identical_frames():
    a, b = simulate_cohort(6, 8, rng=11), simulate_cohort(6, 8, rng=11)
    for name in [*TABLE_NAMES, "truth"]:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert a.planted == b.planted
    pd.testing.assert_frame_equal(a.params.athletes, b.params.athletes)
    pd.testing.assert_frame_equal(
        simulate_panel(6, 8, rng=5).panel, simulate_panel(6, 8, rng=5).panel
    )


def test_different_seeds_give_different_cohorts():
    a, b = simulate_cohort(6, 8, rng=11), simulate_cohort(6, 8, rng=12)
    for name in ["strength_sets", "runs", "wellness", "truth"]:
        assert not getattr(a, name).equals(getattr(b, name)), name
    assert (
        a.planted["athlete_slopes_s_per_km_per_10_sets"]
        != b.planted["athlete_slopes_s_per_km_per_10_sets"]
    )


def test_generator_argument_is_used_not_global_state():
    np.random.seed(0)  # noqa: NPY002 (the legacy global state must not matter)
    first = simulate_panel(4, 6, rng=np.random.default_rng(3)).panel
    np.random.seed(1)  # noqa: NPY002
    second = simulate_panel(4, 6, rng=np.random.default_rng(3)).panel
    pd.testing.assert_frame_equal(first, second)


def test_write_canonical_is_byte_identical_for_the_same_seed(tmp_path):
    for folder in ("a", "b"):
        write_canonical(simulate_cohort(5, 6, rng=4), tmp_path / folder, seed=4)
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted([f"{t}.csv" for t in [*TABLE_NAMES, "truth"]] + ["truth.json"])
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    meta = json.loads((tmp_path / "a" / "truth.json").read_text())
    assert meta["simulated"] is True and meta["seed"] == 4
    assert (
        meta["planted"]["effect_per_10_soleus_sets_s_per_km"]
        == Effects().pace_s_per_km_per_10_soleus_sets
    )


def test_cli_simulate_writes_files_that_validate(tmp_path):
    out = tmp_path / "cohort"
    argv = ["simulate", str(out), "--athletes", "5", "--weeks", "6", "--seed", "2"]
    assert cli.main([*argv, "--format", "canonical"]) == 0
    for name in TABLE_NAMES:
        code = cli.main(
            [
                "validate",
                str(out / f"{name}.csv"),
                "--table",
                name,
                "--quarantine-dir",
                str(tmp_path / "q"),
            ]
        )
        assert code == 0, name


def test_cli_simulate_rejects_a_bad_size_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "soleus_analysis.cli", "simulate", str(tmp_path), "--athletes", "0"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "n_athletes" in result.stderr and "Traceback" not in result.stderr


# --- Design -------------------------------------------------------------------------------------


def test_soleus_programme_starts_at_staggered_weeks():
    sim = simulate_panel(40, 26, rng=21)
    panel, athletes = sim.panel, sim.params.athletes
    first, last = Design().start_weeks(26)
    soleus = athletes[athletes["group"] == "soleus"]
    assert len(soleus) == 20
    assert soleus["start_week"].between(first, last).all()
    assert soleus["start_week"].nunique() >= 4
    started = panel.merge(athletes[["athlete_id", "start_week"]], on="athlete_id")
    started = started[started["group"] == "soleus"]
    before = started[started["week"] < started["start_week"]]
    after = started[started["week"] >= started["start_week"]]
    # Before the start only the occasional standing calf raise of a general session counts.
    assert before["soleus_sets"].mean() < 0.5
    assert after["soleus_sets"].mean() > 8
    first_dose = after[after["soleus_sets"] >= 2].groupby("athlete_id")["week"].min()
    assert (
        first_dose >= soleus.set_index("athlete_id")["start_week"].reindex(first_dose.index)
    ).all()
    # Progression: later programme weeks carry more sets than the first ones.
    early = after[after["programme_week"] < 3]["calf_sets"].mean()
    late = after[after["programme_week"] >= 6]["calf_sets"].mean()
    assert late > 1.3 * early


def test_controls_have_almost_no_soleus_dose(cohort):
    panel = simulate_panel(40, 26, rng=21).panel
    controls = panel[panel["group"] == "control"]
    assert controls["soleus_sets"].mean() < 0.5
    # Their only calf work is the occasional standing raise (2-3 sets on a gym day).
    np.testing.assert_allclose(
        controls["soleus_sets"], controls["calf_sets"] * SOLEUS_SHARES["standing_calf_raise"]
    )
    assert (controls["calf_sets"] <= 3 * controls["strength_sessions"]).all()
    assert controls["calf_sets"].max() > 0
    sets = cohort.strength_sets
    control_ids = cohort.params.athletes.query("group == 'control'")["athlete_id"]
    calf = sets[sets["athlete_id"].isin(control_ids) & sets["exercise"].map(SOLEUS_SHARES).gt(0)]
    assert set(calf["exercise"]) <= {"standing_calf_raise"}


def test_adherence_is_imperfect_and_rest_days_exist():
    sim = simulate_panel(40, 26, rng=22)
    athletes = sim.params.athletes
    soleus = athletes[athletes["group"] == "soleus"]
    assert 0.6 < soleus["adherence"].mean() < 0.95
    panel = sim.panel
    assert panel["n_runs"].max() <= 7 and 2.5 < panel["n_runs"].mean() < 5.5
    assert 15 < panel["run_distance_km"].median() < 50
    assert 0.55 < panel["wellness_days"].mean() / 7 < 0.9
    assert panel["fatigue"].isna().any() and panel["fatigue"].notna().mean() > 0.8
    assert (
        panel["easy_pace_s_per_km"].between(240, 520).all()
        or panel["easy_pace_s_per_km"].isna().any()
    )


# --- The known answer ---------------------------------------------------------------------------


@pytest.mark.parametrize("effect", [-4.0, 0.0])
def test_within_athlete_ols_recovers_the_planted_pace_effect(effect):
    effects = Effects(
        adaptation_weeks=0,
        pace_s_per_km_per_10_soleus_sets=effect,
        slope_sd_s_per_km=2.0 if effect else 0.0,
    )
    sim = simulate_panel(400, 26, effects=effects, rng=101)
    fit = _within_ols(sim.panel, "easy_pace_s_per_km", ["soleus_sets"])
    estimate, se = 10 * fit.params.iloc[0], 10 * fit.bse.iloc[0]
    assert sim.truth["effect_per_10_soleus_sets_s_per_km"] == effect
    assert abs(estimate - effect) < 3 * se
    if effect:
        assert estimate / se < -3  # the effect is detected, not only "consistent"


def test_within_athlete_ols_recovers_the_planted_fatigue_effect():
    sim = simulate_panel(400, 26, effects=Effects(adaptation_weeks=0), rng=102)
    fit = _within_ols(sim.panel, "fatigue", ["soleus_sets"])
    estimate, se = 10 * fit.params.iloc[0], 10 * fit.bse.iloc[0]
    assert abs(estimate - sim.truth["fatigue_per_10_soleus_sets"]) < 3 * se
    assert estimate / se > 3


def test_distributed_lags_recover_the_cumulative_effect():
    effects = Effects(adaptation_weeks=2.0)
    sim = simulate_panel(400, 26, effects=effects, rng=103)
    n_lags = 8
    panel = sim.panel.copy()
    lags = [f"x_lag{k}" for k in range(n_lags + 1)]
    for k, name in enumerate(lags):
        panel[name] = panel.groupby("athlete_id")["soleus_sets"].shift(k)
    fit = _within_ols(panel, "easy_pace_s_per_km", lags)
    cumulative = 10 * fit.params.sum()
    se = 10 * np.sqrt(fit.cov_params().to_numpy().sum())
    weights = np.array(sim.truth["lag_weights"][: n_lags + 1])
    expected = sim.truth["effect_per_10_soleus_sets_s_per_km"] * weights.sum()
    assert abs(cumulative - expected) < 3 * se
    # The lag profile follows the kernel: the same-week coefficient is only the first weight.
    first, first_se = 10 * fit.params.iloc[0], 10 * fit.bse.iloc[0]
    effect = sim.truth["effect_per_10_soleus_sets_s_per_km"]
    assert abs(first - effect * weights[0]) < 3 * first_se
    assert abs(first - effect) > 3 * first_se


def test_athlete_slopes_are_recoverable_individual_responses():
    effects = Effects(adaptation_weeks=0, slope_sd_s_per_km=6.0)
    design = Design(soleus_fraction=1.0, first_start_week=8, last_start_week=20)
    sim = simulate_panel(60, 40, effects=effects, design=design, rng=104)
    slopes = pd.Series(sim.truth["athlete_slopes_s_per_km_per_10_sets"])
    # The drawn slopes have the planted SD: their variance ratio is chi-square(n - 1).
    ratio = (len(slopes) - 1) * slopes.var() / effects.slope_sd_s_per_km**2
    assert chi2.ppf(0.0005, len(slopes) - 1) < ratio < chi2.ppf(0.9995, len(slopes) - 1)
    assert abs(slopes.mean() - effects.pace_s_per_km_per_10_soleus_sets) < 3.3 * 6.0 / np.sqrt(60)
    estimates = {
        athlete: 10 * _within_ols(rows, "easy_pace_s_per_km", ["soleus_sets"],
                                  periods=False).params.iloc[0]
        for athlete, rows in sim.panel.groupby("athlete_id")
    }
    r = np.corrcoef(pd.Series(estimates).reindex(slopes.index), slopes)[0, 1]
    assert r > 0.6


# --- Building blocks and arguments --------------------------------------------------------------


def test_adaptation_state_is_the_kernel_convolution():
    rng = np.random.default_rng(0)
    dose = rng.uniform(0, 15, 40)
    for tau in (0.0, 1.5, 4.0):
        kernel = adaptation_kernel(tau, 39)
        expected = np.convolve(dose, kernel)[:40]
        np.testing.assert_allclose(adaptation_state(dose, tau), expected)
    assert adaptation_kernel(4.0, 500).sum() == pytest.approx(1.0)


def test_truth_lag_weights_match_the_effects():
    sim = simulate_panel(3, 12, effects=Effects(adaptation_weeks=3.0), rng=0)
    w = np.array(sim.truth["lag_weights"])
    assert len(w) == 12 and sim.truth["max_lag"] == 11
    np.testing.assert_allclose(w[1:] / w[:-1], np.exp(-1 / 3.0))
    assert sim.truth["cumulative_effect_per_10_sets_to_max_lag_s_per_km"] == pytest.approx(
        -4.0 * w.sum()
    )
    assert set(sim.truth["athlete_slopes_s_per_km_per_10_sets"]) == set(sim.panel["athlete_id"])
    json.dumps(sim.truth, allow_nan=False)  # JSON-serialisable as written to truth.json


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"n_athletes": 0}, "n_athletes"),
        ({"n_weeks": 1}, "n_weeks"),
        ({"start": "2025-01-07"}, "Monday"),
        ({"effects": Effects(), "design": Design(first_start_week=30)}, "start weeks"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, match):
    args = {"n_athletes": 4, "n_weeks": 10, **kwargs}
    with pytest.raises(ValueError, match=match):
        simulate_panel(args.pop("n_athletes"), args.pop("n_weeks"), **args)


def test_effects_and_design_check_their_values():
    with pytest.raises(ValueError, match="slope_sd_s_per_km"):
        Effects(slope_sd_s_per_km=-1)
    with pytest.raises(ValueError, match="pace_ar1"):
        Effects(pace_ar1=1.0)
    with pytest.raises(ValueError, match="finite number"):
        Effects(adaptation_weeks=float("nan"))
    assert Effects(adaptation_weeks=np.int64(2)).rho == pytest.approx(np.exp(-0.5))
    with pytest.raises(ValueError, match="adherence_mean"):
        Design(adherence_mean=1.5)
    with pytest.raises(TypeError, match="Effects"):
        simulate_panel(3, 5, effects={"pace_s_per_km_per_10_soleus_sets": -4})


def test_cohort_in_the_future_is_refused():
    with pytest.raises(ValueError, match="earlier start"):
        simulate_cohort(
            2,
            10,
            rng=0,
            start=(pd.Timestamp.now() - pd.Timedelta(weeks=4)).normalize()
            - pd.Timedelta(days=pd.Timestamp.now().day_of_week),
        )


# --- The traps of real data ---------------------------------------------------------------------


def _lag1_within(frame: pd.DataFrame, column: str) -> float:
    """Pooled within-athlete lag-1 autocorrelation of a column (athlete means removed)."""
    dev = frame[column] - frame.groupby("athlete_id")[column].transform("mean")
    lagged = dev.groupby(frame["athlete_id"]).shift(1)
    ok = lagged.notna()
    return float((dev[ok] * lagged[ok]).sum() / (dev**2).sum())


def test_season_trend_is_each_athletes_rate_on_the_saturating_curve():
    effects = Effects(season_pace_s_per_km_per_week=-0.4, season_pace_sd_s_per_km_per_week=0.2)
    sim = simulate_panel(300, 20, effects=effects, rng=31)
    rates = pd.Series(sim.truth["athlete_season_rates_s_per_km_per_week"])
    h = 26.0 * (1 - np.exp(-np.arange(20) / 26.0))
    expected = np.repeat(rates.reindex(sim.params.athletes["athlete_id"]).to_numpy(), 20) * np.tile(
        h, 300
    )
    np.testing.assert_allclose(sim.panel["true_season_pace_s_per_km"], expected, atol=1e-9)
    # the drawn rates have the planted mean and SD (n = 300: mean within 3.3 SE, var chi-square)
    assert abs(rates.mean() + 0.4) < 3.3 * 0.2 / np.sqrt(300)
    ratio = 299 * rates.var() / 0.2**2
    assert chi2.ppf(0.0005, 299) < ratio < chi2.ppf(0.9995, 299)
    trend = sim.truth["traps"]["season_trend"]
    np.testing.assert_allclose(trend["curve_s_per_km"], -0.4 * h)
    # the true weekly level carries the trend: its week means fall by the curve
    level = sim.panel.groupby("week")["true_easy_pace_s_per_km"].mean()
    assert level.iloc[-3:].mean() < level.iloc[:3].mean() - 0.5 * 0.4 * (h[-2] - h[1])
    linear = Effects(season_saturation_weeks=0).season_weeks(np.arange(5))
    np.testing.assert_allclose(linear, np.arange(5.0))


def test_season_trend_biases_a_within_model_without_period_effects():
    # A null soleus effect: staggered starts make the dose rise with calendar time inside an
    # athlete, so the season trend looks like a soleus benefit unless calendar weeks are modelled.
    null = dict(adaptation_weeks=0, pace_s_per_km_per_10_soleus_sets=0.0, slope_sd_s_per_km=0.0)
    sim = simulate_panel(300, 26, effects=Effects(**null), rng=32)
    assert sim.truth["traps"]["within_corr_dose_week"] > 0.3
    naive = _within_ols(sim.panel, "easy_pace_s_per_km", ["soleus_sets"], periods=False)
    adjusted = _within_ols(sim.panel, "easy_pace_s_per_km", ["soleus_sets"])
    assert naive.params.iloc[0] / naive.bse.iloc[0] < -4  # a spurious "benefit"
    assert abs(adjusted.params.iloc[0]) < 3 * adjusted.bse.iloc[0]
    flat = Effects(**null, season_pace_s_per_km_per_week=0.0, season_pace_sd_s_per_km_per_week=0)
    no_trend = simulate_panel(300, 26, effects=flat, rng=32)
    fit = _within_ols(no_trend.panel, "easy_pace_s_per_km", ["soleus_sets"], periods=False)
    assert abs(fit.params.iloc[0]) < 3 * fit.bse.iloc[0]


def test_weekly_residuals_are_ar1_with_the_planted_autocorrelation():
    # No soleus or load effect on fatigue and soreness: their weekly latent level is the athlete
    # base plus the AR(1) residual. 400 x 30 weeks: pooled lag-1 estimates have SD about 0.01,
    # and removing each athlete's mean biases them by about -(1 + 3 phi) / T = -0.08.
    effects = Effects(
        fatigue_ar1=0.6, soreness_ar1=0.2, pace_ar1=0.4,
        fatigue_per_10_soleus_sets=0, fatigue_per_10_km_acute=0, fatigue_per_10_km_chronic=0,
        soreness_per_10_novel_soleus_sets=0, soreness_per_10_km_acute=0,
    )
    sim = simulate_panel(400, 30, effects=effects, rng=33)
    p = sim.panel
    for column, phi in [("true_pace_residual_s_per_km", 0.4), ("true_fatigue", 0.6),
                        ("true_soreness", 0.2)]:
        assert abs(_lag1_within(p, column) - (phi - (1 + 3 * phi) / 30)) < 0.05, column
    ar1 = sim.truth["traps"]["weekly_ar1"]
    assert ar1["fatigue"] == {"sd": 0.3, "ar1": 0.6} and ar1["soreness"]["ar1"] == 0.2
    # the weekly stream term makes decoupling and fade persist from week to week (observed
    # weekly means of about one long run: the run-to-run noise dilutes it)
    white = simulate_panel(400, 30, effects=Effects(stream_week_sd_pct=0.0), rng=34).panel
    strong = simulate_panel(400, 30, effects=Effects(stream_week_sd_pct=2.0, stream_ar1=0.8),
                            rng=34).panel
    for column in ("decoupling_pct", "pace_fade_pct"):
        assert _lag1_within(strong, column) > _lag1_within(white, column) + 0.15, column


def test_fitter_runners_take_up_the_programme_and_do_more_of_it():
    sim = simulate_panel(600, 12, rng=35)
    a = sim.params.athletes
    soleus = a["group"] == "soleus"
    assert soleus.sum() == 300
    gap = a.loc[soleus, "fitness_sd"].mean() - a.loc[~soleus, "fitness_sd"].mean()
    assert gap > 0.5  # default: about 0.73 SD at 40 athletes (Gumbel top-k, odds 1.8 per SD)
    conf = sim.truth["traps"]["confounding"]
    assert conf["fitness_gap_sd"] == pytest.approx(gap)
    assert conf["baseline_pace_gap_s_per_km"] < -15
    fit = np.polyfit(a.loc[soleus, "fitness_sd"], a.loc[soleus, "adherence"], 1)
    assert fit[0] > 0.02  # fitter programme runners adhere better
    # Between athletes, mean dose and pace are associated far beyond the within effect (-4)
    means = sim.panel.groupby("athlete_id")[["soleus_sets", "easy_pace_s_per_km"]].mean()
    between = 10 * np.polyfit(means["soleus_sets"], means["easy_pace_s_per_km"], 1)[0]
    assert between < -12
    randomised = simulate_panel(
        600, 12, design=Design(uptake_log_odds_per_sd_fitness=0,
                               adherence_log_odds_per_sd_fitness=0), rng=35
    ).params.athletes
    r_soleus = randomised["group"] == "soleus"
    # 300 per group: SD of a randomised gap is sqrt(2 / 300) = 0.08
    assert abs(randomised.loc[r_soleus, "fitness_sd"].mean()
               - randomised.loc[~r_soleus, "fitness_sd"].mean()) < 0.3


def test_truth_records_the_traps_and_the_estimand():
    sim = simulate_panel(6, 10, rng=36)
    traps = sim.truth["traps"]
    assert set(traps) == {"season_trend", "weekly_ar1", "confounding", "within_corr_dose_week"}
    season = traps["season_trend"]
    assert season["rate_s_per_km_per_week"] == Effects().season_pace_s_per_km_per_week
    assert len(season["curve_s_per_km"]) == 10
    assert "net of the season trend" in sim.truth["estimand"]
    json.dumps(sim.truth, allow_nan=False)
    one = simulate_panel(1, 4, rng=0).truth  # one athlete: no comparison group
    assert one["traps"]["confounding"]["fitness_gap_sd"] is None
    json.dumps(one, allow_nan=False)
