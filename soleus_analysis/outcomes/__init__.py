"""Outcomes the coaching article claims, beyond pace and fatigue.

One module per concern: :mod:`.injury_rate` (incidence, burden, count models with an exposure
offset), :mod:`.coxph` (the Cox engine for counting-process data) and :mod:`.time_to_event`
(time to injury), :mod:`.survival` (Kaplan-Meier curves), :mod:`.injury_panel` (the
counting-process table of a study), :mod:`.injury_power` (power of injury designs by
simulation), :mod:`.reliability` (ICC, typical error), :mod:`.critical_speed` (critical speed and
D' from run streams) and :mod:`.acwr_diagnostics` (coupling, random denominators, window
sensitivity); :mod:`.summaries` (a study's injury records and estimates in words) and
:mod:`.retest` (test-retest tables from a study's repeated measures) serve the notebooks. Every fit returns an :class:`~.base.OutcomeResult` (``table``, ``notes``, ``raw``,
``n_athletes``, ``n_obs``, ``effect``).
"""

from soleus_analysis.outcomes.acwr_diagnostics import (
    AcwrNullResult,
    acwr_coupling,
    acwr_random_denominator,
    acwr_window_sensitivity,
)
from soleus_analysis.outcomes.base import OutcomeResult
from soleus_analysis.outcomes.speed_duration import (
    CriticalSpeedResult,
    critical_speed,
    fit_critical_speed,
    mean_max_curve,
    mean_max_speed,
    stream_table,
)
from soleus_analysis.outcomes.injury_weeks import injury_panel
from soleus_analysis.outcomes.injury_study_power import InjuryPowerResult, injury_power
from soleus_analysis.outcomes.injury_rate import (
    InjuryRateResult,
    fit_injury_rate,
    injury_incidence,
)
from soleus_analysis.outcomes.reliability import icc, typical_error
from soleus_analysis.outcomes.retest import (
    critical_speed_blocks,
    reliability_table,
    repeated_trials,
    study_run_streams,
)
from soleus_analysis.outcomes.summaries import (
    StudyInjuries,
    daily_onsets,
    describe_injury_panel,
    injury_gaps,
    ratio_sentences,
    study_injuries,
    study_injury_panel,
    usable_covariates,
    versus_planted,
)
from soleus_analysis.outcomes.survival import SurvivalResult, plot_survival, survival_curve
from soleus_analysis.outcomes.time_to_event import CoxResult, fit_time_to_injury

__all__ = [
    "AcwrNullResult",
    "CoxResult",
    "CriticalSpeedResult",
    "InjuryPowerResult",
    "InjuryRateResult",
    "OutcomeResult",
    "StudyInjuries",
    "SurvivalResult",
    "acwr_coupling",
    "acwr_random_denominator",
    "acwr_window_sensitivity",
    "critical_speed",
    "critical_speed_blocks",
    "daily_onsets",
    "describe_injury_panel",
    "fit_critical_speed",
    "fit_injury_rate",
    "fit_time_to_injury",
    "icc",
    "injury_gaps",
    "injury_incidence",
    "injury_panel",
    "injury_power",
    "mean_max_curve",
    "mean_max_speed",
    "plot_survival",
    "ratio_sentences",
    "reliability_table",
    "repeated_trials",
    "stream_table",
    "study_injuries",
    "study_injury_panel",
    "study_run_streams",
    "survival_curve",
    "typical_error",
    "usable_covariates",
    "versus_planted",
]
