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
