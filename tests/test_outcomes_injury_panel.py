"""The injury panel (counting-process rows) and the recovery of a planted injury hazard."""

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.outcomes.injury_weeks import counting_process, weekly_covariates
from soleus_analysis.simulation.injury import draw_injuries, injury_hazard

COVARIATES = ["soleus_sets_prev_week", "acute_load_au", "chronic_load_au"]
STEPS = {"soleus_sets_prev_week": 10, "acute_load_au": 100, "chronic_load_au": 100}


@pytest.fixture(scope="module")
def cohort():
    return sol.simulate_cohort(40, 26, rng=5)


def _hand_tables():
    """Two athletes, sessions every day at known hours; one athlete starts a week later."""
    rows = []
    for athlete, first in (("a", "2024-01-01"), ("b", "2024-01-08")):
        for k, day in enumerate(pd.date_range(first, "2024-02-04")):
            rows.append((athlete, day + pd.Timedelta("7h"), "running", 3600.0 * (1 + k % 2), 5.0))
    sessions = pd.DataFrame(rows, columns=["athlete_id", "start", "activity", "duration_s", "rpe"])
    sessions["start"] = sessions["start"].dt.tz_localize("UTC")
    return {"sessions": sessions}


def test_intervals_are_cut_at_injuries_and_days_lost_are_not_at_risk():
    onsets = pd.DataFrame({"athlete_id": ["a", "b"],
                           "date": pd.to_datetime(["2024-01-10", "2024-01-17"]),
                           "days_lost": [np.nan, 3]})
    p = sol.injury_panel(_hand_tables(), injuries=onsets)
    a = p.loc[p["athlete_id"] == "a"]
    assert a[["start", "stop", "event"]].values.tolist()[:4] == [
        [0, 7, 0], [7, 10, 1], [10, 14, 0], [14, 21, 0]]  # onset on day 9 -> event at 10
    assert a["injury_number"].tolist()[:4] == [0, 0, 1, 1]
    b = p.loc[p["athlete_id"] == "b"]
    assert b["start"].iloc[0] == 7  # calendar time: b enters a week late (delayed entry)
    # b: onset day 16 (event at 17), days 17-19 lost, at risk again from 20
    assert b[["start", "stop", "event"]].values.tolist()[:3] == [[7, 14, 0], [14, 17, 1],
                                                                  [20, 21, 0]]
    # exposure: 1 h on even days, 2 h on odd days of each athlete's record
    assert a["exposure_h"].iloc[0] == pytest.approx(1 + 2 + 1 + 2 + 1 + 2 + 1)
    assert (p["days_at_risk"] == p["stop"] - p["start"]).all()
    athlete_time = sol.injury_panel(_hand_tables(), injuries=onsets, time_scale="athlete")
    assert athlete_time.loc[athlete_time["athlete_id"] == "b", "start"].iloc[0] == 0
    assert np.isnan(a["soleus_sets_prev_week"]).all()  # no strength table: unknown
    # acute EWMA on the Sunday before week 1 (day 6): Williams lambda 0.25, started at the
    # mean of the first 7 days' loads (5 x 60 or 5 x 120 AU)
    loads = [300.0, 600.0] * 3 + [300.0]
    ewma = np.mean(loads)
    for x in loads:
        ewma = 0.25 * x + 0.75 * ewma
    assert a["acute_load_au"].iloc[1] == pytest.approx(ewma)


def test_panel_on_a_cohort_with_planted_injuries(cohort):
    planted = sol.simulate_injuries(cohort, rng=1)
    p = sol.injury_panel(cohort.tables(), injuries=planted.injuries)
    assert p["event"].sum() == planted.injuries.groupby(["athlete_id", "date"]).ngroups
    assert (p["stop"] > p["start"]).all()
    # the panel computes its covariates on its own: they agree with the simulator's
    m = p.merge(planted.weeks, on=["athlete_id", "week_start"], suffixes=("", "_sim"))
    for col in COVARIATES:
        both = m[col].notna() & m[f"{col}_sim"].notna()
        np.testing.assert_allclose(m.loc[both, col], m.loc[both, f"{col}_sim"], rtol=1e-9,
                                   atol=1e-5)  # the dose table is float32
    # soleus sets of the previous week equal the cohort's generated dose
    truth = cohort.truth.assign(week_start=cohort.truth["week_start"] + pd.Timedelta(weeks=1))
    j = p.merge(truth[["athlete_id", "week_start", "soleus_sets"]], on=["athlete_id",
                                                                         "week_start"])
    np.testing.assert_allclose(j["soleus_sets_prev_week"], j["soleus_sets"], atol=1e-6)


def test_pmsys_injuries_from_the_real_pmdata_exports():
    from pathlib import Path

    root = Path(__file__).parent / "data" / "pmdata"
    read = sol.read_folder(root)
    tables = {name: sol.validate(read.tables[name], name).valid
              for name in ("sessions", "runs", "wellness") if name in read.tables}
    p = sol.injury_panel(tables)
    reports = sol.injury_reports(tables["wellness"])
    new = reports.loc[reports["new_episode"] & (reports["questionnaire"] > 0)]
    assert p["event"].sum() <= new.groupby(["athlete_id", "date"]).ngroups
    assert set(p["athlete_id"]) <= {"p01", "p16"}
    assert any("PMSys" in n for n in p.attrs["notes"])


def _recovery(cohort_seeds, draws):
    rows = []
    for seed in cohort_seeds:
        c = sol.simulate_cohort(40, 26, rng=seed)
        hazard = injury_hazard(c)
        days, weeks = weekly_covariates(c.tables())
        for k in range(draws):
            planted = draw_injuries(hazard, rng=[seed, k])
            onsets = planted.injuries[["athlete_id", "date"]].assign(days_lost=np.nan)
            panel = counting_process(days, weeks, onsets)
            fit = sol.fit_time_to_injury(panel, "stop", "event", start="start",
                                         covariates=COVARIATES, group="athlete_id", steps=STEPS)
            t = fit.table.set_index("term")
            for term, truth in zip(planted.truth["term"], planted.truth["log_hr"], strict=True):
                rows.append((term, t.loc[term, "estimate"] - truth,
                             t.loc[term, "ci_low"] <= truth <= t.loc[term, "ci_high"]))
    return pd.DataFrame(rows, columns=["term", "error", "covered"])


def test_planted_hazard_ratios_are_recovered_small():
    """1 cohort (40 x 26 weeks, frailty SD 0.5) x 30 injury draws: 90 intervals, MC SE 0.023."""
    r = _recovery([5], 30)
    assert 0.85 <= r["covered"].mean() <= 1.0
    for _, part in r.groupby("term"):
        assert abs(part["error"].mean()) < 3 * part["error"].std(ddof=1) / np.sqrt(len(part))


@pytest.mark.slow
def test_planted_hazard_ratios_are_recovered_full():
    """10 cohorts x 60 draws = 600 fits per hazard ratio (MC SE of a coverage 0.009).

    The soleus hazard ratio (the article's claim) is covered 93-97% of the time. The acute and
    chronic load ratios, strongly correlated and with a few high-leverage weeks, were covered
    91-93% by the sandwich intervals (measured: 0.915 and 0.928), so they get a looser floor;
    ``robust="jackknife"`` is the cautious alternative (tests/test_outcomes_cox.py).
    """
    r = _recovery(range(300, 310), 60)
    summary = r.groupby("term")["covered"].agg(["mean", "size"])
    print(summary.assign(mc_se=np.sqrt(summary["mean"] * (1 - summary["mean"]) /
                                       summary["size"])))
    assert 0.93 <= summary.loc["soleus_sets_prev_week", "mean"] <= 0.97
    assert summary["mean"].between(0.90, 0.97).all()
