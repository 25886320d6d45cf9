"""Cox models of time to injury against R survival (stored output) and independent generators.

R numbers: tests/data/reference/r/injury_reference.out (script r/injury_reference.R).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.outcomes.coxph import cox_fit, ph_test, robust_variance, score_residuals

REF = Path(__file__).parent / "data" / "reference"
HEART_TERMS = ["age", "year", "surgery", "transplant"]


@pytest.fixture(scope="module")
def heart():
    return pd.read_csv(REF / "stanford_heart.csv")


@pytest.fixture(scope="module")
def recurrent():
    return pd.read_csv(REF / "recurrent_injuries.csv")


def _col(result, column):
    return result.table.set_index("term")[column]


# ---------------------------------------------------------------- Stanford heart (done-when)
def test_stanford_heart_matches_lifelines_and_r_to_4_decimals(heart):
    r = sol.fit_time_to_injury(heart, "stop", "event", start="start", covariates=HEART_TERMS)
    # lifelines CoxTimeVaryingFitter and R coxph (Efron), reference/README.md
    np.testing.assert_allclose(_col(r, "estimate")[HEART_TERMS],
                               [0.027167, -0.146346, -0.637210, -0.010251], atol=5e-7)
    np.testing.assert_allclose(_col(r, "std_error")[HEART_TERMS],
                               [0.013714, 0.070468, 0.367226, 0.313755], atol=5e-7)
    # full R precision and the log partial likelihoods
    np.testing.assert_allclose(_col(r, "estimate")[HEART_TERMS],
                               [0.02716664096, -0.14634634567, -0.63720988997, -0.01025077241],
                               rtol=1e-6)
    np.testing.assert_allclose(r.loglik, (-298.1213557, -290.5656162), atol=1e-6)
    assert r.n_events == 75 and r.n_obs == 172
    assert (r.table["df"] == np.inf).all()  # no group: normal reference
    hr = r.effect("surgery")
    assert hr["hazard_ratio"] == pytest.approx(0.5287656822, rel=1e-6)


def test_stanford_heart_breslow_and_strata_match_r(heart):
    b = sol.fit_time_to_injury(heart, "stop", "event", start="start", covariates=HEART_TERMS,
                               ties="breslow")
    np.testing.assert_allclose(_col(b, "estimate")[HEART_TERMS],
                               [0.02715208076, -0.14611575, -0.6358434756, -0.01189585096],
                               rtol=1e-6)
    np.testing.assert_allclose(_col(b, "std_error")[HEART_TERMS],
                               [0.01372113124, 0.07046570605, 0.36721069574, 0.31364437674],
                               rtol=1e-6)
    s = sol.fit_time_to_injury(heart, "stop", "event", start="start",
                               covariates=["age", "year", "transplant"], strata="surgery")
    np.testing.assert_allclose(_col(s, "estimate")[["age", "year", "transplant"]],
                               [0.026813521, -0.1492432328, -0.02178025127], rtol=1e-6)
    np.testing.assert_allclose(_col(s, "std_error")[["age", "year", "transplant"]],
                               [0.01366615646, 0.07009932752, 0.31587730884], rtol=1e-6)


def test_stanford_heart_robust_by_patient_matches_r(heart):
    r = sol.fit_time_to_injury(heart, "stop", "event", start="start", covariates=HEART_TERMS,
                               group="id", small_sample=False)
    np.testing.assert_allclose(_col(r, "std_error")[HEART_TERMS],
                               [0.01389189292, 0.07307985924, 0.35821020238, 0.31688234906],
                               rtol=1e-6)
    np.testing.assert_allclose(_col(r, "p_value")[HEART_TERMS],
                               [0.05051521949, 0.04522520908, 0.07526084533, 0.97419387094],
                               rtol=1e-5)
    np.testing.assert_allclose(_col(r, "model_std_error")[HEART_TERMS],
                               [0.01371411521, 0.07046797952, 0.36722599618, 0.31375479834],
                               rtol=1e-6)
    t = sol.fit_time_to_injury(heart, "stop", "event", start="start", covariates=HEART_TERMS,
                               group="id")
    assert (t.table["df"] == 102).all()  # 103 patients: t on G - 1 df by default
    assert (t.table["p_value"] > r.table["p_value"]).all()  # t is more cautious than z
    np.testing.assert_allclose(t.table["std_error"], r.table["std_error"])


def test_statsmodels_phreg_entry_pitfall_is_real(heart):
    """Why the package has its own engine: PHReg(entry=start) keeps a row at risk at entry."""
    from statsmodels.duration.hazard_regression import PHReg

    ph = PHReg(heart["stop"], heart[HEART_TERMS], status=heart["event"],
               entry=heart["start"], ties="efron").fit()
    assert ph.params[3] == pytest.approx(-0.0554, abs=1e-3)
    ours = cox_fit(heart["stop"], heart["event"], heart[HEART_TERMS], start=heart["start"])
    assert ours.coef[3] == pytest.approx(-0.010251, abs=1e-6)


def test_cox_zph_matches_r(heart, recurrent):
    r = sol.fit_time_to_injury(heart, "stop", "event", start="start", covariates=HEART_TERMS)
    np.testing.assert_allclose(r.ph_test["chisq"],
                               [0.86687471092, 1.71641442921, 0.09739505912, 0.20293438815,
                                3.47310229885], rtol=1e-6)
    fit = r.raw
    identity = ph_test(fit, HEART_TERMS, transform="identity")
    np.testing.assert_allclose(identity["chisq"],
                               [1.7572909301, 1.5122004756, 1.3761105612, 0.1220293016,
                                4.687948411], rtol=1e-6)
    cov = ["soleus_sets", "acute_load", "chronic_load", "sex"]
    a = sol.fit_time_to_injury(recurrent, "stop", "event", start="start", covariates=cov,
                               group="athlete")
    np.testing.assert_allclose(a.ph_test["chisq"].iloc[[0, 2, 3, 4]],
                               [5.039071979, 0.6312791529, 0.4342083914, 6.652564946],
                               rtol=1e-6)
    assert a.ph_test["chisq"].iloc[1] == pytest.approx(1.578304979e-07, abs=1e-9)
    assert any("soleus_sets" in n and "Proportional-hazards" in n for n in a.notes)


# ---------------------------------------------------------------- recurrent events, robust SE
def test_andersen_gill_robust_errors_match_r_on_cgd():
    g = pd.read_csv(REF / "cgd.csv")
    cov = ["treat", "sex", "age", "inherit", "steroids", "propylac"]
    r = sol.fit_time_to_injury(g, "tstop", "status", start="tstart", covariates=cov, group="id",
                               small_sample=False)
    np.testing.assert_allclose(_col(r, "estimate")[cov],
                               [-1.05140470689, -0.72831845866, -0.04243809577, 0.67899875237,
                                1.39060532767, -0.54799349405], rtol=1e-6)
    np.testing.assert_allclose(_col(r, "std_error")[cov],
                               [0.31030646247, 0.4367593106, 0.01483937523, 0.38885197042,
                                0.63292198032, 0.35327038647], rtol=1e-6)
    np.testing.assert_allclose(_col(r, "model_std_error")[cov],
                               [0.26500295066, 0.39043743505, 0.01395502831, 0.274141531,
                                0.56285902124, 0.30373386961], rtol=1e-6)
    np.testing.assert_allclose(r.ph_test["chisq"].iloc[-1], 1.2510317501523, rtol=1e-6)
    assert any("recurrent events" in n for n in r.notes)


def test_andersen_gill_on_recurrent_injuries_matches_r(recurrent):
    cov = ["soleus_sets", "acute_load", "chronic_load", "sex"]
    r = sol.fit_time_to_injury(recurrent, "stop", "event", start="start", covariates=cov,
                               group="athlete", small_sample=False)
    np.testing.assert_allclose(_col(r, "estimate")[cov],
                               [-0.08712957493, 1.68676950549, -0.29361776016, 0.36837994955],
                               rtol=1e-6)
    np.testing.assert_allclose(_col(r, "std_error")[cov],
                               [0.0337143258, 0.2708214584, 0.4106890649, 0.3314166001],
                               rtol=1e-6)
    np.testing.assert_allclose(r.loglik, (-160.8479859, -145.4093074), atol=1e-6)
    b = sol.fit_time_to_injury(recurrent, "stop", "event", start="start", covariates=cov,
                               group="athlete", small_sample=False, ties="breslow")
    np.testing.assert_allclose(_col(b, "std_error")[cov],
                               [0.03343747247, 0.27077246714, 0.40720797524, 0.32788500066],
                               rtol=1e-6)
    steps = sol.fit_time_to_injury(recurrent, "stop", "event", start="start", covariates=cov,
                                   group="athlete", steps={"soleus_sets": 10})
    row = steps.effect("soleus_sets")
    assert row["estimate"] == pytest.approx(10 * -0.08712957493, rel=1e-6)
    assert row["per"] == "+10 soleus_sets" and row["df"] == 39


def test_score_residuals_sum_to_zero_and_sandwich_identity(recurrent):
    """At the estimate the score residuals sum to the score, 0; one cluster per row = HC0."""
    cov = ["soleus_sets", "acute_load", "chronic_load", "sex"]
    fit = cox_fit(recurrent["stop"], recurrent["event"], recurrent[cov], start=recurrent["start"])
    resid = score_residuals(fit)
    np.testing.assert_allclose(resid.sum(axis=0), 0.0, atol=1e-8)
    d = resid @ fit.var
    np.testing.assert_allclose(robust_variance(fit, np.arange(len(recurrent))), d.T @ d)


# ---------------------------------------------------------------- independent generators
def _exponential_cohort(rng, n, beta, *, entry_max=0.0, weeks=12):
    """Weekly intervals with a time-varying covariate; constant hazard within a week."""
    rows = []
    for i in range(n):
        entry = int(rng.integers(0, entry_max + 1)) if entry_max else 0
        z = rng.normal()
        for w in range(entry, weeks):
            x = rng.normal() + 0.5 * z
            rate = 0.08 * np.exp(beta * x)
            t = rng.exponential(1 / rate)
            if t < 1:
                rows.append((i, w, w + t, 1, x))
                break
            rows.append((i, w, w + 1.0, 0, x))
    return pd.DataFrame(rows, columns=["id", "start", "stop", "event", "x"])


def test_recovers_a_time_varying_effect_with_delayed_entry():
    """40 replicates of 300 people, staggered entry: mean estimate near truth, z-coverage sane."""
    rng = np.random.default_rng(11)
    est, cover = [], []
    for _ in range(40):
        d = _exponential_cohort(rng, 300, 0.5, entry_max=6)
        r = sol.fit_time_to_injury(d, "stop", "event", start="start", covariates=["x"]).effect("x")
        est.append(r["estimate"])
        cover.append(r["ci_low"] <= 0.5 <= r["ci_high"])
    est = np.array(est)
    # MC SE of the mean about 0.1 / sqrt(40) = 0.016
    assert abs(est.mean() - 0.5) < 0.05
    assert np.mean(cover) >= 0.85  # 40 replicates: binomial SE 0.034 around 0.95


def test_distributed_lag_recovers_a_lag_one_effect():
    """Hazard driven by last week's dose only: the lag curve peaks at lag 1, cumulative ~ truth."""
    rng = np.random.default_rng(5)
    rows = []
    for i in range(400):
        x = rng.gamma(2.0, 2.0, 20)
        for w in range(20):
            prev = x[w - 1] if w else 0.0
            t = rng.exponential(1 / (0.02 * np.exp(0.15 * prev)))
            rows.append((f"a{i}", w, w, w + min(t, 1.0), int(t < 1), x[w]))
            if t < 1:
                break
    d = pd.DataFrame(rows, columns=["athlete", "week", "start", "stop", "event", "dose"])
    r = sol.fit_time_to_injury(d, "stop", "event", start="start", covariates=["dose"],
                               group="athlete", lags={"dose": 3},
                               lag_basis_kind="unconstrained")
    t = r.table.set_index("term")
    assert t.loc["dose_lag1", "estimate"] == pytest.approx(0.15, abs=0.05)
    for lag in (0, 2, 3):
        assert abs(t.loc[f"dose_lag{lag}", "estimate"]) < 0.06
    assert t.loc["dose_cumulative", "ci_low"] <= 0.15 <= t.loc["dose_cumulative", "ci_high"]
    assert "dose" not in t.index and r.basis["dose"].shape == (4, 4)


def test_bad_input_messages():
    d = pd.DataFrame({"stop": [1.0, 2.0], "event": [1, 0], "x": [0.0, 1.0]})
    with pytest.raises(ValueError, match="no column"):
        sol.fit_time_to_injury(d, "stop", "event", covariates=["y"])
    with pytest.raises(ValueError, match="group="):
        sol.fit_time_to_injury(d, "stop", "event", covariates=["x"], lags={"x": 2})
    with pytest.raises(ValueError, match="not in covariates"):
        sol.fit_time_to_injury(d, "stop", "event", covariates=["x"], lags={"z": 2}, group="x")
    with pytest.raises(ValueError, match="start < stop"):
        cox_fit([1.0, 2.0], [1, 0], [[0.0], [1.0]], start=[1.0, 0.0])
    with pytest.raises(ValueError, match="no events"):
        cox_fit([1.0, 2.0], [0, 0], [[0.0], [1.0]])


def test_grouped_jackknife_equals_leave_one_out_refits(heart):
    r = sol.fit_time_to_injury(heart, "stop", "event", start="start", covariates=["age", "year"],
                               group="id", robust="jackknife")
    ids = heart["id"].unique()
    loo = []
    for g in ids:
        part = heart.loc[heart["id"] != g]
        loo.append(cox_fit(part["stop"], part["event"], part[["age", "year"]],
                           start=part["start"]).coef)
    loo = np.array(loo)
    se = np.sqrt((len(ids) - 1) / len(ids) * ((loo - loo.mean(axis=0)) ** 2).sum(axis=0))
    np.testing.assert_allclose(r.table["std_error"].iloc[:2], se, rtol=1e-10)
    sandwich = sol.fit_time_to_injury(heart, "stop", "event", start="start",
                                      covariates=["age", "year"], group="id")
    # the jackknife is the more cautious of the two here too
    assert (r.table["std_error"] >= sandwich.table["std_error"]).all()
    assert any("jackknife" in n for n in r.notes)
    with pytest.raises(ValueError, match="robust"):
        sol.fit_time_to_injury(heart, "stop", "event", covariates=["age"], group="id",
                               robust="bootstrap")
