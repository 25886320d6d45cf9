"""soleus-analysis: test claims about soleus training on athletes' own training logs.

Import as ``import soleus_analysis as sol``.
"""

from soleus_analysis.errors import InputError, MissingUnitError, UnknownSourceError
from soleus_analysis.models import (
    BanisterResult,
    DistributedLagResult,
    IndividualResponses,
    MixedResult,
    ModelFit,
    PowerResult,
    RmcorrResult,
    SensitivityResult,
    WithinBetweenResult,
    banister_predict,
    classify_response,
    combine_effects,
    compare_estimates,
    fit_banister,
    fit_distributed_lag,
    fit_fixed_effects,
    fit_gee,
    fit_mixed,
    fit_sensitivity,
    fit_within_between,
    individual_responses,
    lag_basis,
    lagged,
    power,
    power_curve,
    rmcorr,
    within_between_terms,
)
from soleus_analysis.readers import (
    SOURCES,
    FolderRead,
    ReadResult,
    read,
    read_all,
    read_folder,
    read_stream,
)
from soleus_analysis.schemas import (
    TABLES,
    AthletesSchema,
    AthleteWeekSchema,
    RunsSchema,
    SessionsSchema,
    StrengthSetsSchema,
    WellnessSchema,
    canonical_columns,
    data_dictionary,
    get_schema,
)
from soleus_analysis.simulation import (
    Cohort,
    Design,
    Effects,
    SimulatedPanel,
    simulate_cohort,
    simulate_panel,
)
from soleus_analysis.validation import ValidationReport, validate

__version__ = "0.1.0"

__all__ = [
    # errors
    "InputError",
    "MissingUnitError",
    "UnknownSourceError",
    # schemas
    "TABLES",
    "AthleteWeekSchema",
    "AthletesSchema",
    "RunsSchema",
    "SessionsSchema",
    "StrengthSetsSchema",
    "WellnessSchema",
    "canonical_columns",
    "data_dictionary",
    "get_schema",
    # readers
    "SOURCES",
    "FolderRead",
    "ReadResult",
    "read",
    "read_all",
    "read_folder",
    "read_stream",
    # simulation
    "Cohort",
    "Design",
    "Effects",
    "SimulatedPanel",
    "simulate_cohort",
    "simulate_panel",
    # validation
    "ValidationReport",
    "validate",
    # models
    "BanisterResult",
    "DistributedLagResult",
    "IndividualResponses",
    "MixedResult",
    "ModelFit",
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
    "fit_fixed_effects",
    "fit_gee",
    "fit_mixed",
    "fit_sensitivity",
    "fit_within_between",
    "individual_responses",
    "lag_basis",
    "lagged",
    "power",
    "power_curve",
    "rmcorr",
    "within_between_terms",
]
