"""A build of a simulated cohort against the bad input planted in its files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    root = tmp_path_factory.mktemp("planted")
    cohort = sol.simulate_cohort(8, 6, rng=11)
    sol.write_cohort(cohort, root / "raw", rng=11, activity_files=False)
    return sol.open_study(root / "raw", root / "processed")


def test_every_planted_row_gets_its_expected_outcome_and_nothing_else_is_caught(study):
    check = sol.check_planted(study)
    injected = pd.read_csv(study.raw_dir / "truth_injected.csv")
    assert check["agrees"].all()
    assert "(not planted)" not in set(check["kind"])
    assert set(check["kind"]) == set(injected["kind"])
    # every planted line is there, with the outcome the simulator expects
    by_row = injected.dropna(subset=["source_row"])
    keys = set(zip(by_row["table"], by_row["path"], by_row["source_row"].astype(int), strict=True))
    found = set(
        zip(check["table"], check["source_file"], check["source_row"].astype(int), strict=True)
    )
    assert keys <= found
    rejected = check[check["observed"] == "rejected"]
    assert len(rejected) == len(study.quarantine()) > 0
    flagged = check[check["observed"] == "flagged"]
    assert len(flagged) == len(study.flags()) > 0
    assert set(flagged["kind"]) == {"unit mix-up"}


def test_a_missed_defect_and_a_false_alarm_do_not_agree(study):
    injected = pd.read_csv(study.raw_dir / "truth_injected.csv")
    rejected = injected[(injected["expected"] == "rejected")]
    dropped = rejected.iloc[0]  # the build rejects it, but we pretend nobody planted it
    clean = study.tables["wellness"].iloc[0]  # a valid row we pretend was planted
    fake = {
        "path": clean["source_file"],
        "source_row": clean["source_row"],
        "table": "wellness",
        "kind": "impossible value",
        "expected": "rejected",
        "athlete_id": clean["athlete_id"],
        "detail": "pretend",
    }
    truth = pd.concat([injected.drop(index=dropped.name), pd.DataFrame([fake])])
    check = sol.check_planted(study, truth).set_index(["table", "source_file", "source_row"])
    alarm = check.loc[(dropped["table"], dropped["path"], int(dropped["source_row"]))]
    assert alarm["kind"] == "(not planted)" and alarm["observed"] == "rejected"
    assert not alarm["agrees"]
    missed = check.loc[("wellness", clean["source_file"], int(clean["source_row"]))]
    assert missed["observed"] == "valid" and not missed["agrees"]
    assert (~check["agrees"]).sum() == 2


def test_a_study_without_planted_defects_is_an_input_error(tmp_path):
    cohort = sol.simulate_cohort(2, 3, rng=1)
    sol.simulation.write_canonical(cohort, tmp_path / "raw", seed=1)
    study = sol.open_study(tmp_path / "raw", tmp_path / "processed")
    with pytest.raises(sol.InputError, match="truth_injected.csv"):
        sol.check_planted(study)


def test_the_shipped_demo_cohort_panel_has_the_true_soleus_dose_except_where_rows_were_dropped(
    tmp_path,
):
    # data/raw/demo-cohort is simulated: truth_weeks.csv holds the dose the athletes really did.
    raw = Path(__file__).parents[1] / "data" / "raw" / "demo-cohort"
    study = sol.open_study(raw, tmp_path / "processed")
    truth = pd.read_csv(raw / "truth_weeks.csv", parse_dates=["week_start"])
    merged = study.panel.merge(truth, on=["athlete_id", "week_start"], suffixes=("", "_truth"))
    assert len(merged) == len(truth) == len(study.panel)
    both = merged.dropna(subset=["soleus_sets", "soleus_sets_truth"])
    # every week with a strength session has a built dose; only weeks without one may be missing
    assert merged.loc[merged["soleus_sets"].isna(), "strength_sessions_truth"].eq(0).all()
    assert len(both) >= (truth["strength_sessions"] > 0).sum() > 500
    gap = both["soleus_sets_truth"] - both["soleus_sets"]
    # Sets planted as rejected (impossible values) or unmapped (typos) leave the dose, nothing else
    injected = pd.read_csv(raw / "truth_injected.csv")
    dropped = injected[
        (injected["table"] == "strength_sets")
        & ~injected["added"]
        & injected["expected"].isin(["rejected", "unmapped"])
    ]
    touched = set(dropped["athlete_id"])
    clean = ~both["athlete_id"].isin(touched)
    # every athlete who did strength work and had no set dropped is compared (16 of 40 in the
    # shipped draw: 14 had a set dropped, 10 controls did no strength work at all)
    lifters = set(truth.loc[truth["strength_sessions"] > 0, "athlete_id"])
    assert set(both.loc[clean, "athlete_id"]) == lifters - touched
    assert len(lifters - touched) >= 10
    np.testing.assert_allclose(gap[clean], 0, atol=1e-5)
    assert (gap[~clean] > -1e-5).all()  # a dropped set can only lower a week's dose
    assert 0 < (gap > 1e-5).sum() <= len(dropped)
