import numpy as np

import soleus_analysis as sol
from soleus_analysis import plausibility
from tests import factories


def test_loads_on_a_pound_grid_are_flagged_not_rejected():
    sets = factories.strength_sets(6)
    pounds = np.array([45, 50, 55, 60, 65, 70, 75, 80, 85, 90])
    sets["load_kg"] = np.resize(pounds, len(sets)) * plausibility.LB_IN_KG
    report = sol.validate(sets, "strength_sets")
    assert report.ok
    assert set(report.flags["check"]) == {"loads_on_pound_grid"}
    assert len(report.flags) == len(sets)
    assert "multiples of 2.5 lb" in report.to_text()


def test_kilogram_loads_are_not_flagged():
    report = sol.validate(factories.strength_sets(6), "strength_sets")
    assert report.flags.empty


def test_a_x2_2_jump_against_history_is_flagged():
    sets = factories.strength_sets(6)
    calf = sets["exercise_raw"].eq("Seated Calf Raise (Machine)")
    sets.loc[calf, "load_kg"] = 40.0
    last = sets["session_start"].eq(sets["session_start"].max()) & calf
    sets.loc[last, "load_kg"] = 40.0 * 2.2046
    flags = sol.validate(sets, "strength_sets").flags
    assert set(flags["check"]) == {"load_jump_x2.2"}
    assert sorted(flags["row"]) == sorted(sets.index[last])


def test_ordinary_progression_is_not_a_jump():
    sets = factories.strength_sets(6)
    calf = sets["exercise_raw"].eq("Seated Calf Raise (Machine)")
    order = sets.loc[calf, "session_start"].rank(method="dense")
    sets.loc[calf, "load_kg"] = 40.0 + 2.5 * order
    assert plausibility.unit_jumps(sets).empty


def test_loads_the_export_said_were_pounds_are_not_flagged():
    sets = factories.strength_sets(6)
    pounds = np.array([45, 50, 55, 60, 65, 70, 75, 80, 85, 90])
    sets["load_kg"] = np.resize(pounds, len(sets)) * plausibility.LB_IN_KG
    sets["load_unit"] = "lb"
    assert plausibility.pound_increments(sets).empty


def _one_set_changed(**values):
    sets = factories.strength_sets(3)
    for column, value in values.items():
        sets[column] = sets[column].astype("float64")
        sets.loc[4, column] = value
    return sets


def test_zero_reps_with_load_is_flagged_and_stays_valid():
    sets = _one_set_changed(reps=0.0, load_kg=40.0, duration_s=np.nan, distance_m=np.nan)
    report = sol.validate(sets, "strength_sets")
    assert report.ok and len(report.valid) == len(sets)  # rows conserved, none rejected
    flags = report.flags
    assert flags[["row", "check"]].values.tolist() == [[4, "zero_reps_with_load"]]
    assert "0 reps with 40.0 kg" in flags["message"].item()


def test_a_set_whose_every_measure_is_zero_is_flagged():
    sets = _one_set_changed(reps=0.0, load_kg=0.0, duration_s=0.0, distance_m=np.nan)
    flags = sol.validate(sets, "strength_sets").flags
    assert flags[["row", "check"]].values.tolist() == [[4, "set_measured_nothing"]]


def test_more_reps_than_seconds_allow_is_flagged():
    sets = _one_set_changed(reps=120.0, duration_s=10.0)
    flags = sol.validate(sets, "strength_sets").flags
    assert flags[["row", "check"]].values.tolist() == [[4, "reps_faster_than_possible"]]
    assert "120 reps in 10.0 s" in flags["message"].item()


def test_ordinary_sets_holds_and_walks_are_not_implausible():
    sets = factories.strength_sets(6)
    assert plausibility.implausible_sets(sets).empty
    hold = _one_set_changed(reps=np.nan, duration_s=45.0, load_kg=0.0)
    walk = _one_set_changed(reps=np.nan, distance_m=40.0, load_kg=24.0)
    fast_rope = _one_set_changed(reps=90.0, duration_s=60.0)  # 1.5 jumps/s
    for sets in (hold, walk, fast_rope):
        assert plausibility.implausible_sets(sets).empty


def test_a_set_that_measured_nothing_at_all_is_rejected_not_flagged():
    sets = _one_set_changed(reps=np.nan, duration_s=np.nan, distance_m=np.nan)
    report = sol.validate(sets, "strength_sets")
    assert report.rejected.index.tolist() == [4]
    assert "set_has_a_measure" in set(report.failures["check"])
    assert report.flags.empty
