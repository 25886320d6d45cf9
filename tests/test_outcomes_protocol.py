"""Every outcome fit follows the one result protocol (models/result.py)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.models.result import TABLE_COLUMNS, ModelResult

REF = Path(__file__).parent / "data" / "reference"


def _results():
    heart = pd.read_csv(REF / "stanford_heart.csv")
    counts = pd.read_csv(REF / "injury_counts.csv")
    sf = pd.read_csv(REF / "icc_shrout_fleiss.csv")
    rng = np.random.default_rng(0)
    daily = pd.DataFrame({"athlete_id": "a", "date": pd.date_range("2024-01-01", periods=120),
                          "load_au": rng.gamma(2.0, 100.0, 120)})
    daily["injury"] = (rng.random(120) < 0.05).astype(int)
    ac = pd.concat([daily, sol.acute_chronic(daily)], axis=1)
    e = pd.DataFrame({"run_id": list("abcd"), "duration_s": [180.0, 360, 600, 840],
                      "speed_m_s": [5.1, 4.6, 4.3, 4.2]})
    return {
        "fit_time_to_injury": sol.fit_time_to_injury(heart, "stop", "event", start="start",
                                                     covariates=["age"], group="id"),
        "fit_injury_rate": sol.fit_injury_rate(counts, "injuries", "exposure_h",
                                               covariates=["run_km"], group="athlete"),
        "injury_incidence": sol.injury_incidence(counts, "injuries", "exposure_h"),
        "survival_curve": sol.survival_curve(heart, "stop", "event", start="start"),
        "icc": sol.icc(sf, "target", "judge", "rating"),
        "typical_error": sol.typical_error(sf, "target", "judge", "rating"),
        "fit_critical_speed": sol.fit_critical_speed(e),
        "acwr_coupling": sol.acwr_coupling(daily),
        "acwr_random_denominator": sol.acwr_random_denominator(ac, "injury", n_draws=19, rng=1),
        "acwr_window_sensitivity": sol.acwr_window_sensitivity(
            daily, "injury", acute_windows=(7,), chronic_windows=(28,)),
        "injury_power": sol.injury_power(12, 8, 0.8, n_sims=3, rng=1),
    }


@pytest.mark.parametrize("name, result", list(_results().items()))
def test_result_protocol(name, result):
    assert isinstance(result, ModelResult), name
    assert list(result.table.columns[: len(TABLE_COLUMNS)]) == list(TABLE_COLUMNS), name
    assert isinstance(result.notes, tuple) and all(isinstance(n, str) for n in result.notes)
    assert result.notes, f"{name}: the estimand must be stated in the notes"
    assert isinstance(result.n_obs, int) and isinstance(result.n_athletes, int)
    first = result.table["term"].iloc[0]
    assert result.effect(first)["term"] == first
    with pytest.raises(KeyError, match="terms are"):
        result.effect("no such term")
