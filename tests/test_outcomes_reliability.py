"""ICC against Shrout & Fleiss (1979) / R psych, typical error against Hopkins' formulas."""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import soleus_analysis as sol

REF = Path(__file__).parent / "data" / "reference"


@pytest.fixture(scope="module")
def sf():
    return pd.read_csv(REF / "icc_shrout_fleiss.csv")


def test_icc_reproduces_shrout_fleiss_and_psych(sf):
    t = sol.icc(sf, "target", "judge", "rating").table.set_index("type")
    # published (Shrout & Fleiss 1979, Table 2, 2 dp)
    np.testing.assert_allclose(t["estimate"], [0.17, 0.29, 0.71, 0.44, 0.62, 0.91], atol=0.005)
    # R psych::ICC(lmer = FALSE): mean squares from the ANOVA, as here (r/injury_reference.out)
    np.testing.assert_allclose(t["estimate"], [0.1657417684, 0.2897637795, 0.7148407148,
                                               0.4427971337, 0.6200505476, 0.9093155424],
                               rtol=1e-8)
    np.testing.assert_allclose(t["ci_low"], [-0.13293232487, 0.01878651337, 0.34246476503,
                                             -0.88444215524, 0.0711368153, 0.67567471382],
                               rtol=1e-8)
    np.testing.assert_allclose(t["ci_high"], [0.7225600623, 0.7610843696, 0.94585826,
                                              0.9124154203, 0.9272320402, 0.9858916782],
                               rtol=1e-8)
    assert t.loc["ICC1", "F"] == pytest.approx(1.794678492, rel=1e-8)
    assert t.loc["ICC2", "F"] == pytest.approx(11.027247956, rel=1e-8)
    # psych's default (lmer = TRUE) takes the mean squares from REML variance components, which
    # moves the 6th significant digit: ICC1 0.1657423, F 1.794681 on 5, 18, CI -0.13293 to
    # 0.72256; ... ICC3k 0.9093159 (0.67568 to 0.98589)
    np.testing.assert_allclose(t["estimate"], [0.1657422862, 0.2897641937, 0.7148415115,
                                               0.4427980576, 0.6200510217, 0.9093158647],
                               rtol=1e-5)
    np.testing.assert_allclose(t["ci_low"], [-0.13293, 0.01879, 0.34247, -0.88444, 0.07114,
                                             0.67568], atol=6e-6)
    np.testing.assert_allclose(t["ci_high"], [0.72256, 0.76108, 0.94586, 0.91242, 0.92723,
                                              0.98589], atol=6e-6)
    assert t.loc[["ICC1", "ICC2"], ["df1", "df2"]].values.tolist() == [[5, 18], [5, 15]]
    np.testing.assert_allclose(t["p_value"], [0.1647688083446, 0.0001345665165, 0.0001345665165,
                                              0.1647688083446, 0.0001345665165, 0.0001345665165],
                               rtol=1e-8)
    assert t["mcgraw_wong"].tolist() == ["ICC(1)", "ICC(A,1)", "ICC(C,1)", "ICC(k)", "ICC(A,k)",
                                         "ICC(C,k)"]


def test_icc_agrees_with_pingouin(sf):
    import pingouin as pg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pingouin 0.7 uses a pandas keyword pandas 3 deprecates
        ref = pg.intraclass_corr(sf, targets="target", raters="judge", ratings="rating")
    ours = sol.icc(sf, "target", "judge", "rating").table
    np.testing.assert_allclose(ours["estimate"], ref["ICC"], rtol=1e-10)
    np.testing.assert_allclose(ours["F"], ref["F"], rtol=1e-10)


def test_icc_drops_incomplete_targets_and_rejects_duplicates(sf):
    partial = sf.drop(index=sf.index[(sf["target"] == 1) & (sf["judge"] == "J2")])
    r = sol.icc(partial, "target", "judge", "rating")
    assert r.n_athletes == 5 and any("dropped" in n for n in r.notes)
    with pytest.raises(ValueError, match="more than one"):
        sol.icc(pd.concat([sf, sf.iloc[:1]]), "target", "judge", "rating")


def test_typical_error_hand_computed_two_trials():
    d = pd.DataFrame({"athlete": np.repeat(["a", "b", "c", "d", "e"], 2), "trial": [1, 2] * 5,
                      "cs": [4.0, 4.2, 3.5, 3.4, 4.4, 4.7, 3.9, 3.9, 4.1, 4.4]})
    t = sol.typical_error(d, "athlete", "trial", "cs").table.set_index("term")
    diff = np.array([0.2, -0.1, 0.3, 0.0, 0.3])
    te = diff.std(ddof=1) / np.sqrt(2)
    assert t.loc["typical_error", "estimate"] == pytest.approx(te)
    assert t.loc["typical_error", "ci_high"] == pytest.approx(te * np.sqrt(4 / stats.chi2.ppf(
        0.025, 4)))
    assert t.loc["mdc95", "estimate"] == pytest.approx(1.96 * np.sqrt(2) * te)
    logdiff = 100 * np.log(d["cs"].to_numpy()[1::2] / d["cs"].to_numpy()[::2])
    cv = 100 * (np.exp(logdiff.std(ddof=1) / np.sqrt(2) / 100) - 1)
    assert t.loc["cv_percent", "estimate"] == pytest.approx(cv)
    assert t.loc["trial_shift", "estimate"] == pytest.approx(diff.mean())
    single_sd = np.sqrt((d.groupby("trial")["cs"].var(ddof=1).mean() * 4 + 0) / 4)
    assert t.loc["between_sd", "estimate"] > 0 and single_sd > 0
    assert t.loc["swc", "estimate"] == pytest.approx(0.2 * t.loc["between_sd", "estimate"])


def test_typical_error_interval_coverage_independent_generator():
    """400 test-retest studies (12 athletes x 3 trials, TE 0.1): chi-square CI coverage ~ 95%."""
    rng = np.random.default_rng(7)
    hits = hits_b = 0
    n_rep = 400
    for _ in range(n_rep):
        true = rng.normal(4.0, 0.3, 12)
        rows = [(i, k, true[i] + 0.05 * k + rng.normal(0, 0.1)) for i in range(12)
                for k in range(3)]
        d = pd.DataFrame(rows, columns=["a", "k", "v"])
        t = sol.typical_error(d, "a", "k", "v").table.set_index("term")
        hits += t.loc["typical_error", "ci_low"] <= 0.1 <= t.loc["typical_error", "ci_high"]
        sd_single = np.sqrt(0.3**2 + 0.1**2)
        hits_b += t.loc["between_sd", "ci_low"] <= sd_single <= t.loc["between_sd", "ci_high"]
    # MC SE sqrt(.95 x .05 / 400) = 0.011
    assert 0.92 <= hits / n_rep <= 0.98
    assert 0.90 <= hits_b / n_rep <= 0.99


def test_individual_responses_use_the_typical_error():
    rng = np.random.default_rng(3)
    rows = []
    for a in range(12):
        slope = rng.normal(-2.0, 1.0)
        for w in range(16):
            sets = rng.uniform(0, 20)
            rows.append((f"a{a}", pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=w), sets,
                         300 + 5 * a + slope * sets / 10 + rng.normal(0, 2)))
    panel = pd.DataFrame(rows, columns=["athlete_id", "week_start", "soleus_sets", "pace"])
    fit = sol.fit_within_between(panel, outcome="pace", exposure="soleus_sets")
    plain = sol.individual_responses(fit, higher_is_better=False)
    assert plain.typical_error is None and "beyond_mdc" not in plain.table
    d = pd.DataFrame({"a": np.repeat(range(8), 2), "k": [0, 1] * 8,
                      "pace": 300 + np.repeat(rng.normal(0, 10, 8), 2) + rng.normal(0, 1.5, 16)})
    te = sol.typical_error(d, "a", "k", "pace")
    with_te = sol.individual_responses(fit, higher_is_better=False, typical_error=te)
    te_value = te.table.set_index("term").loc["typical_error", "estimate"]
    assert with_te.typical_error == pytest.approx(te_value)
    assert with_te.mdc95 == pytest.approx(1.96 * np.sqrt(2) * te_value)
    assert (with_te.table["beyond_mdc"] == (with_te.table["estimate"].abs() > with_te.mdc95)).all()
    assert any("TE/SWC" in n for n in with_te.notes)
    with pytest.raises(ValueError, match="positive"):
        sol.individual_responses(fit, higher_is_better=False, typical_error=-1.0)
