"""Models that turn the athlete-week panel (or any long table) into estimates with CIs.

One module per family: :mod:`~soleus_analysis.models.mixed` (general mixed model),
:mod:`~soleus_analysis.models.within_between` (within- vs between-athlete effects),
:mod:`~soleus_analysis.models.sensitivity` (GEE, fixed effects),
:mod:`~soleus_analysis.models.lags` (distributed lags),
:mod:`~soleus_analysis.models.repeated_correlation` (rmcorr),
:mod:`~soleus_analysis.models.banister` (fitness-fatigue),
:mod:`~soleus_analysis.models.event_study` (staggered programme starts),
:mod:`~soleus_analysis.models.ordinal` (ordered ratings),
:mod:`~soleus_analysis.models.individual` (individual responses vs SWC) and
:mod:`~soleus_analysis.models.study_power` (simulation-based power). Every function takes any
DataFrame and the names of its columns. No function has the name of a module (``sol.models.power``
is the function, its module is ``study_power``).
"""

from soleus_analysis.models.assumptions import model_assumptions
from soleus_analysis.models.banister import BanisterResult, banister_predict, fit_banister
from soleus_analysis.models.event_study import EventStudyResult, fit_event_study
from soleus_analysis.models.individual import (
    IndividualResponses,
    classify_response,
    individual_responses,
)
from soleus_analysis.models.lags import DistributedLagResult, fit_distributed_lag, lag_basis
from soleus_analysis.models.mixed import MixedResult, fit_mixed
from soleus_analysis.models.ordinal import OrdinalResult, fit_ordinal
from soleus_analysis.models.study_power import PowerResult, power, power_curve, risk_study_size
from soleus_analysis.models.predict import partial_effect
from soleus_analysis.models.repeated_correlation import RmcorrResult, rmcorr
from soleus_analysis.models.sensitivity import (
    ModelFit,
    SensitivityResult,
    compare_estimates,
    fit_fixed_effects,
    fit_gee,
    fit_sensitivity,
)
from soleus_analysis.models.within_between import (
    WithinBetweenResult,
    combine_effects,
    fit_within_between,
    lagged,
    within_between_terms,
)

__all__ = [
    "BanisterResult",
    "DistributedLagResult",
    "EventStudyResult",
    "IndividualResponses",
    "MixedResult",
    "ModelFit",
    "OrdinalResult",
    "PowerResult",
    "RmcorrResult",
    "SensitivityResult",
    "WithinBetweenResult",
    "banister_predict",
    "classify_response",
    "combine_effects",
    "compare_estimates",
    "fit_banister",
    "fit_distributed_lag",
    "fit_event_study",
    "fit_fixed_effects",
    "fit_gee",
    "fit_mixed",
    "fit_ordinal",
    "fit_sensitivity",
    "fit_within_between",
    "individual_responses",
    "lag_basis",
    "lagged",
    "model_assumptions",
    "partial_effect",
    "power",
    "power_curve",
    "risk_study_size",
    "rmcorr",
    "within_between_terms",
]
