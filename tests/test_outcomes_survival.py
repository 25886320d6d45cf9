"""Kaplan-Meier curves and medians against R survfit.

R numbers: tests/data/reference/r/injury_reference.out.
"""

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.outcomes.survival import kaplan_meier

matplotlib.use("Agg")
REF = Path(__file__).parent / "data" / "reference"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_aml_medians_and_curves_match_r_log_transform():
    aml = pd.read_csv(REF / "aml.csv")
    r = sol.survival_curve(aml, "time", "status", by="x")
    med = r.median.set_index("group")
    assert med.loc["x=Maintained", ["median", "ci_low"]].tolist() == [31.0, 18.0]
    assert np.isnan(med.loc["x=Maintained", "ci_high"])
    assert med.loc["x=Nonmaintained", ["median", "ci_low"]].tolist() == [23.0, 8.0]
    assert np.isnan(med.loc["x=Nonmaintained", "ci_high"])
    assert med["n_events"].tolist() == [7, 11]
    c = r.curve.loc[r.curve["group"] == "x=Maintained"].iloc[1:]
    np.testing.assert_allclose(c["survival"], [0.90909090909, 0.81818181818, 0.71590909091,
                                               0.61363636364, 0.49090909091, 0.36818181818,
                                               0.18409090909], rtol=1e-9)
    np.testing.assert_allclose(c["std_error"], [0.0866784172, 0.11629129983, 0.13966497056,
                                                0.15263233103, 0.16419326722, 0.16266888583,
                                                0.15349274579], rtol=1e-8)
    np.testing.assert_allclose(c["ci_low"], [0.75413384508, 0.6192489874, 0.48842628742,
                                             0.3768670595, 0.2548599512, 0.1548771179,
                                             0.03591789849], rtol=1e-8)
    np.testing.assert_allclose(c["ci_high"], [1.0, 1.0, 1.0, 0.9991576002, 0.9455849552,
                                              0.8752606781, 0.9435257695], rtol=1e-8)
    last = r.curve.iloc[-1]  # S = 0 at the last death: no band, as R
    assert last["survival"] == 0 and np.isnan(last["ci_low"]) and np.isnan(last["std_error"])
    assert r.effect("median[x=Maintained]")["estimate"] == 31.0


def test_log_log_band_matches_r():
    aml = pd.read_csv(REF / "aml.csv")
    r = sol.survival_curve(aml, "time", "status", by="x", conf_type="log-log")
    med = r.median.set_index("group")
    assert med.loc["x=Nonmaintained", ["median", "ci_low", "ci_high"]].tolist() == [23, 5, 33]
    assert med.loc["x=Maintained", "ci_low"] == 13
    c = r.curve.loc[r.curve["group"] == "x=Nonmaintained"].iloc[1:-1]
    np.testing.assert_allclose(c["ci_low"], [0.481714942195, 0.337018932541, 0.270138924085,
                                             0.191876619619, 0.126272012195, 0.072401608908,
                                             0.031198642931, 0.005746305696], rtol=1e-8)
    np.testing.assert_allclose(c["ci_high"], [0.9555093657, 0.8597117991, 0.8009401923,
                                              0.7296715698, 0.6498174083, 0.5608860527,
                                              0.4614294762, 0.3489038611], rtol=1e-8)


def _at(curve, t):
    return curve.loc[curve["time"] <= t].iloc[-1]


def test_delayed_entry_matches_r_on_stanford_heart():
    heart = pd.read_csv(REF / "stanford_heart.csv")
    r = sol.survival_curve(heart, "stop", "event", start="start", by="surgery", group="id")
    med = r.median.set_index("group")
    assert med.loc["surgery=0", ["median", "ci_low", "ci_high"]].tolist() == [80, 66, 188]
    assert med.loc["surgery=1", ["median", "ci_low"]].tolist() == [980, 186]
    assert r.n_athletes == 103
    c0 = r.curve.loc[r.curve["group"] == "surgery=0"]
    expected = {10: (0.8735632184, 0.03563069222, 0.8064468135, 0.9462653752),
                100: (0.4376915709, 0.05381462085, 0.3439632892, 0.5569603421),
                1000: (0.1928979196, 0.05170615701, 0.1140679261, 0.3262056976)}
    for t, values in expected.items():
        row = _at(c0, t)
        np.testing.assert_allclose(row[["survival", "std_error", "ci_low", "ci_high"]].to_numpy(
            float), values, rtol=1e-8)


def test_recurrent_rows_as_one_curve_match_r():
    rec = pd.read_csv(REF / "recurrent_injuries.csv")
    r = sol.survival_curve(rec, "stop", "event", start="start")
    assert r.median[["median", "ci_low", "ci_high"]].iloc[0].tolist() == [94, 70, 136]
    row = _at(r.curve, 100)
    np.testing.assert_allclose(row[["survival", "std_error", "ci_low", "ci_high"]].to_numpy(
        float), [0.4640755224, 0.07654092399, 0.3358909113, 0.6411786779], rtol=1e-8)


def test_independent_generator_median_and_flat_half():
    """Exponential times: KM median near log(2)/rate; a curve flat at 0.5 gives the midpoint."""
    rng = np.random.default_rng(3)
    t = rng.exponential(10.0, 4000)
    km = kaplan_meier(t, np.ones_like(t))
    r = sol.survival_curve(pd.DataFrame({"t": t, "e": 1}), "t", "e")
    assert r.effect("median")["estimate"] == pytest.approx(10 * np.log(2), rel=0.05)
    assert km["survival"].is_monotonic_decreasing
    flat = pd.DataFrame({"t": [1.0, 2.0, 3.0, 4.0], "e": [1, 1, 1, 1]})
    assert sol.survival_curve(flat, "t", "e").effect("median")["estimate"] == 2.5  # R: 2.5


def test_plot_survival_returns_axes_and_checks_columns():
    aml = pd.read_csv(REF / "aml.csv")
    r = sol.survival_curve(aml, "time", "status", by="x")
    ax = sol.plot_survival(r.curve)
    assert len(ax.get_lines()) == 2 and ax.get_ylim()[0] == 0
    with pytest.raises(ValueError, match="no column"):
        sol.plot_survival(r.curve.drop(columns="ci_low"))


def test_survival_input_errors():
    d = pd.DataFrame({"start": [0.0, 5.0], "stop": [3.0, 4.0], "e": [1, 0]})
    with pytest.raises(ValueError, match="start >= stop"):
        sol.survival_curve(d, "stop", "e", start="start")
    with pytest.raises(ValueError, match="conf_type"):
        sol.survival_curve(d, "stop", "e", conf_type="arcsin")
