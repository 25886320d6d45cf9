"""Planted-effect recovery of the within-athlete effect (issue 6 acceptance).

The slow test is the full study (300 cohorts per scenario; ``pytest -m slow``; also
``benchmarks/model_recovery.py``). The fast test runs 40 cohorts per scenario with bounds derived
from the binomial / normal Monte-Carlo error of 40 cohorts (not tuned to pass):

- coverage of 95% CIs: SD of a proportion over 40 cohorts is sqrt(0.95 x 0.05 / 40) = 0.034, so
  a calibrated method stays above 0.95 - 3 x 0.034 = 0.85;
- false-positive rate at alpha 0.05: SD 0.034, so at most 0.05 + 3 x 0.034 = 0.15;
- bias: the mean of 40 estimates is within 3 Monte-Carlo SEs (SD of estimates / sqrt(40)) of
  the planted effect.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.recovery_study import Scenario, run_recovery, summarise

MODELS = ["mixed random slope", "fixed effects, cluster-robust"]


def _check(summary, *, coverage_min, coverage_max, fpr_max, bias_pct_max=None):
    for model in MODELS:
        eff = summary.loc[(summary["model"] == model) & (summary["effect"] != 0)].iloc[0]
        null = summary.loc[(summary["model"] == model) & (summary["effect"] == 0)].iloc[0]
        assert abs(eff["bias"]) <= 3 * eff["bias_mc_se"], (model, eff)
        if bias_pct_max is not None:
            assert abs(eff["bias_pct"]) <= bias_pct_max, (model, eff)
        assert coverage_min <= eff["coverage"] <= coverage_max, (model, eff)
        assert null["reject_rate"] <= fpr_max, (model, null)
        assert eff["converged"] == 1.0 and null["converged"] == 1.0


def test_recovery_fast():
    scenarios = [Scenario("effect", effect=-3.0, n_athletes=24, n_weeks=16),
                 Scenario("null", effect=0.0, n_athletes=24, n_weeks=16)]
    summary = summarise(run_recovery(scenarios, 40, rng=7))
    _check(summary, coverage_min=0.85, coverage_max=1.0, fpr_max=0.15)
    assert summary["reject_rate"].iloc[0] > 0.9  # -3 s/km is detectable at 24 x 16


@pytest.mark.slow
def test_recovery_full_study():
    # 300 cohorts per scenario: coverage MC SD 0.013, so 0.92-0.98 is +-2.4 SD around 0.95;
    # bias MC SE ~0.9% of the effect, so the 5% criterion has room for a real bias to show.
    scenarios = [Scenario("effect", effect=-3.0), Scenario("null", effect=0.0)]
    summary = summarise(run_recovery(scenarios, 300, rng=2024))
    _check(summary, coverage_min=0.92, coverage_max=0.98, fpr_max=0.07, bias_pct_max=5.0)
    assert np.all(summary["n_cohorts"] == 300)


@pytest.mark.slow
def test_recovery_in_staggered_designs_full_study():
    # Issue 17 acceptance, at full size (also benchmarks/bench_model_recovery.py): 300 cohorts
    # per scenario with a season trend, staggered starts, AR(1) 0.5 and confounding. MC SD of
    # a rejection rate near 0.05 over 300 cohorts is 0.013 and of coverage near 0.95 also
    # 0.013, so the bands 3-6.5% and 93-97% are about +-1.5 MC SD: they test calibration, and
    # a correct method can miss them by chance in 1 of ~10 scenario-model pairs.
    from benchmarks.bench_model_recovery import scenarios

    chosen = [s for s in scenarios() if (s.n_athletes, s.n_weeks) in ((20, 12), (30, 20),
                                                                      (40, 26))]
    summary = summarise(run_recovery(chosen, 300, rng=17))
    null = summary.loc[summary["effect"] == 0]
    eff = summary.loc[summary["effect"] != 0]
    assert null["reject_rate"].between(0.02, 0.08).all(), null
    assert eff["coverage"].between(0.92, 0.98).all(), eff
    # |bias| <= 5% of the effect, up to 2 Monte-Carlo SEs of the mean estimate (at 20 x 12 the
    # MC SE alone is about 4% of the effect, so the 5% bound cannot be checked more tightly)
    assert (eff["bias"].abs() <= 0.05 * eff["effect"].abs() + 2 * eff["bias_mc_se"]).all(), eff
