"""Sentences about estimates: direction only when the interval excludes 0, unconverged fits
flagged, verdicts per claim that follow the numbers."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from soleus_analysis.evidence import (claim_verdicts, describe_effect, direction,
                                      format_interval, needs)


@pytest.mark.parametrize(("est", "lo", "hi", "expected"), [
    (0.03, -0.16, 0.23, "unclear"),
    (-0.29, -0.46, -0.12, "lower"),
    (0.4, 0.1, 0.7, "higher"),
    (0.5, 0.0, 1.0, "unclear"),  # an interval touching 0 includes it
    (math.nan, -1.0, 1.0, "not estimated"),
    (0.1, math.nan, math.nan, "not estimated"),
])
def test_direction(est, lo, hi, expected):
    assert direction(est, lo, hi) == expected


def test_an_interval_including_zero_is_no_evidence_whatever_the_estimate():
    text = describe_effect("soreness", 0.03, -0.16, 0.23, unit="points")
    assert "no evidence of a difference" in text
    assert "+0.03 points (95% CI -0.16 to +0.23)" in text
    assert "lower" not in text and "higher" not in text


def test_direction_words_and_digits():
    text = describe_effect("pace", -3.177, -5.384, -0.97, unit="s/km", lower="faster",
                           digits=1, level=0.9)
    assert text == "pace: -3.2 s/km (90% CI -5.4 to -1.0), faster."


def test_an_unconverged_fit_is_never_evidence():
    text = describe_effect("fatigue", -0.4, -0.6, -0.2, converged=False)
    assert "did not converge" in text and "not evidence" in text
    assert "lower" not in text


def test_missing_estimate_and_missing_interval():
    assert describe_effect("x", math.nan, 0, 1) == "x: not estimated."
    assert format_interval(1.234, math.nan, math.nan) == "+1.23 (no interval)"


def test_needs_is_one_sentence_with_what_is_missing_and_needed():
    text = needs("The fitness-fatigue fits", "no athlete has 7 tests", "7 weekly paces")
    assert text == ("The fitness-fatigue fits are skipped: no athlete has 7 tests; they need "
                    "7 weekly paces.")
    assert needs("Section 3", "a", "b").startswith("Section 3 is skipped")
    assert needs("Sections 3 and 4 (real data)", "a", "b", plural=True).startswith(
        "Sections 3 and 4 (real data) are skipped: a; they need b")


def _estimates(**kw):
    base = {"claim": ["speed", "fatigue", "fatigue"],
            "outcome": ["easy_pace_s_per_km", "fatigue", "soreness"],
            "estimate": [-3.0, 0.03, -0.3], "ci_low": [-5.0, -0.16, -0.45],
            "ci_high": [-1.0, 0.23, -0.15], "converged": [True, True, True],
            "planted": [-4.0, 0.15, math.nan]}
    base.update(kw)
    return pd.DataFrame(base)


def test_real_verdicts_follow_the_estimates():
    v = claim_verdicts(_estimates(), ["speed", "fatigue", "ankle stability"], simulated=False,
                       study="mine").set_index("claim")["verdict"]
    assert "easy_pace_s_per_km lower" in v["speed"]
    assert "soreness lower" in v["fatigue"] and "1 of 2" in v["fatigue"]
    assert "fatigue higher" not in v["fatigue"]
    assert "Untested here" in v["ankle stability"]
    assert all("Simulated" not in t for t in v)


def test_real_verdict_without_any_detectable_outcome_says_so():
    est = _estimates(ci_high=[1.0, 0.23, 0.1])
    v = claim_verdicts(est, ["speed"], simulated=False)["verdict"].iloc[0]
    assert "no outcome differs detectably" in v


def test_unconverged_fits_are_not_counted():
    est = _estimates(converged=[False, True, True])
    v = claim_verdicts(est, ["speed"], simulated=False)["verdict"].iloc[0]
    assert "did not converge" in v and "lower" not in v


def test_simulated_verdict_counts_coverage_and_never_supports_the_claim():
    est = _estimates(planted=[-4.0, 0.5, math.nan])  # 0.5 lies outside -0.16..0.23
    v = claim_verdicts(est, ["speed", "fatigue"], simulated=True,
                       study="demo").set_index("claim")["verdict"]
    assert "1 of 1 intervals contain the planted value" in v["speed"]
    assert "0 of 1" in v["fatigue"]
    assert "validates the method, not the claim" in v["speed"]
