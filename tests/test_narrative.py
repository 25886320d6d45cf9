from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from soleus_analysis import narrative


@pytest.fixture
def panel():
    return pd.DataFrame({
        "athlete_id": ["a"] * 4 + ["b"] * 4 + ["c"] * 2,
        "week_start": pd.to_datetime(["2019-01-07", "2019-01-14", "2019-01-21", "2019-01-28"]
                                     + ["2024-05-06", "2024-05-13", "2024-05-20", "2024-05-27"]
                                     + ["2020-09-07", "2020-09-14"]),
        "pace": [300, 302, np.nan, 298, 310, 311, 309, 312, 280, 281],
        "sets": [0, 5, 5, 10, 4, 4, 4, 4, np.nan, 3],
    })


def test_is_simulated_only_with_a_truth_file(tmp_path):
    assert not narrative.is_simulated(tmp_path)
    (tmp_path / "truth.json").write_text('{"planted": {}, "params": {}, "seed": 1}')
    assert narrative.is_simulated(tmp_path)


def test_describe_study_counts_names_and_never_says_simulated_without_truth(panel, tmp_path):
    text = narrative.describe_study(panel, tmp_path, name="mine")
    assert text.startswith("mine: 3 athletes (a, b and c), 10 athlete-weeks")
    assert "from 2019-01-07 to 2024-05-27" in text
    assert "simulated" not in text.lower()
    (tmp_path / "truth.json").write_text('{"planted": {}, "params": {}, "seed": 7}')
    assert "SIMULATED data (truth.json, seed 7)" in narrative.describe_study(panel, tmp_path)
    one = narrative.describe_study(panel[panel["athlete_id"] == "c"].iloc[:1], "nowhere")
    assert "1 athlete (c), 1 athlete-week " in one


def test_shortfall_counts_athletes_weeks_and_within_variation(panel):
    # a: 3 weeks with both and changing sets; b: 4 weeks, sets constant; c: 1 week with both
    assert narrative.shortfall(panel, columns=["pace", "sets"], section="x", min_athletes=2,
                               min_weeks=2) is None
    text = narrative.shortfall(panel, columns=["pace", "sets"], section="the lagged model",
                               min_athletes=2, min_weeks=2, vary=["sets"])
    assert text == ("Skipped the lagged model: it needs at least 2 athletes with pace and sets in "
                    "at least 2 weeks each, sets changing from week to week; this study has 1 (a).")
    text = narrative.shortfall(panel, columns=["pace", "sets"], section="it", min_weeks=5)
    assert text.endswith("this study has none.")
    text = narrative.shortfall(panel, columns=["fatigue"], section="it")
    assert "it has no column fatigue" in text
    assert narrative.shortfall(panel.iloc[0:0], columns=["pace"], section="it").endswith(
        "this study has none.")


def test_attempt_turns_data_errors_into_a_sentence_and_lets_bugs_through():
    def singular():
        raise np.linalg.LinAlgError("Singular matrix")

    def no_rows():
        raise ValueError("the analysis window holds 1 athlete(s); a mixed model needs two\nmore")

    assert narrative.attempt(lambda k: k + 1, 1, section="m") == (2, None)
    result, text = narrative.attempt(singular, section="the model")
    assert result is None and "Singular matrix" in text and text.startswith("Could not fit the")
    assert narrative.attempt(no_rows, section="m")[1].endswith("a mixed model needs two")
    with pytest.raises(KeyError):
        narrative.attempt(lambda: {}["x"], section="m")


def test_fit_status_says_whether_the_fit_converged():
    ok = SimpleNamespace(converged=True, n_athletes=1, n_obs=12)
    expected = "the model (1 athlete, 12 rows) converged."
    assert narrative.fit_status(ok, section="the model") == expected
    bad = SimpleNamespace(converged=False, n_athletes=4, n_obs=30)
    assert "did NOT converge" in narrative.fit_status(bad)


def test_round_sig_and_format_number():
    assert narrative.round_sig(322.58) == 320.0
    assert narrative.round_sig(322.58, 4) == 322.6
    assert narrative.round_sig(-0.0004) == -0.0004
    assert narrative.round_sig(-0.00001, 1) == -0.00001
    assert np.isnan(narrative.round_sig(np.nan))
    frame = pd.DataFrame({"t": ["a", "b"], "x": [1.2345, np.nan], "n": [3, 4]})
    out = narrative.round_sig(frame, 3)
    assert out["x"].iloc[0] == 1.23 and np.isnan(out["x"].iloc[1]) and out["n"].tolist() == [3, 4]
    assert narrative.format_number(-0.0) == "0"
    assert narrative.format_number(2.0) == "+2"
    assert narrative.format_number(np.nan) == "n/a"


def test_effect_sentence_follows_the_numbers():
    row = pd.Series({"estimate": 2.04, "ci_low": 0.5, "ci_high": 3.6})
    text = narrative.effect_sentence(row, change="+10 sets", outcome="easy pace", unit="s/km",
                                     better="lower")
    assert "a higher easy pace (worse): +2 s/km (95% CI +0.5 to +3.6)" in text
    assert "excludes 0" in text
    row = pd.Series({"estimate": -0.2, "ci_low": -0.9, "ci_high": 0.4})
    text = narrative.effect_sentence(row, change="+10 sets", outcome="fatigue", unit="points",
                                     better="higher", converged=False)
    assert "lower fatigue (worse)" in text and "includes 0" in text and "NOT converge" in text
    nan = pd.Series({"estimate": np.nan, "ci_low": np.nan, "ci_high": np.nan})
    assert narrative.effect_sentence(nan, change="c", outcome="o", unit="u").startswith("No est")


def test_read_settings_take_the_athletes_csv_as_the_build_does(tmp_path):
    (tmp_path / "athletes.csv").write_text(
        "athlete_id,weight_unit,timezone\nada,lb,Europe/Oslo\nbo,,\n")
    (tmp_path / "ada").mkdir()
    got = narrative.read_settings(tmp_path, "ada/strong.csv")
    assert got == {"athlete_id": "ada", "tz": "Europe/Oslo", "weight_unit": "lb",
                   "distance_unit": None}
    assert narrative.read_settings(tmp_path, tmp_path / "ada" / "strong.csv") == got
    assert narrative.read_settings(tmp_path, "bo/x.csv")["tz"] == "UTC"
    assert narrative.read_settings(tmp_path, "loose.csv")["athlete_id"] is None


def test_read_settings_read_a_strong_export_in_pounds_of_the_own_study():
    import soleus_analysis as sol

    root = __import__("pathlib").Path(__file__).parent / "data" / "own-study"
    settings = narrative.read_settings(root, "p03/strong.csv")
    assert settings["weight_unit"] == "lb" and settings["tz"] == "Europe/Oslo"
    sets = sol.read(root / "p03" / "strong.csv", **settings)
    assert set(sets["load_unit"].dropna()) == {"lb"}
    assert sol.narrative is narrative


def test_try_fit_checks_the_requirement_before_fitting(panel):
    calls = []

    def fit(data, **options):
        calls.append(options)
        return "fitted"

    got = narrative.try_fit(fit, panel, section="the model", columns=["pace", "sets"],
                            min_athletes=2, min_weeks=2, vary=["sets"], step=10)
    assert got[0] is None and got[1].startswith("Skipped the model") and calls == []
    assert narrative.try_fit(fit, panel, section="m", columns=["pace"], step=10) == ("fitted", None)
    assert calls == [{"step": 10}]
    text = narrative.shortfall(panel, columns=["pace", "sets", "km"], section="s")
    assert "with pace, sets and km;" in text
