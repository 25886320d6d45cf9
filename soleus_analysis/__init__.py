"""soleus-analysis: test claims about soleus training on athletes' own training logs.

Import as ``import soleus_analysis as sol``.
"""

from soleus_analysis.athlete_pages import AthletePage, write_athlete_pages
from soleus_analysis.build import (
    BuildReport,
    Study,
    build,
    check_output_folder,
    open_study,
    read_canonical,
    replicate_tables,
    study_folders,
    write_partitioned,
    write_quarantine,
)
from soleus_analysis.catalog import (
    ExerciseCatalog,
    classify_exercises,
    load_catalog,
    normalize_name,
    unmapped,
)
from soleus_analysis.claims import article_claims, claim_coverage
from soleus_analysis.daily import daily_panel
from soleus_analysis.dose import (
    dose_provenance,
    programme_start,
    soleus_dose,
    weekly,
    weekly_dose,
)
from soleus_analysis.errors import InputError, MissingUnitError, UnknownSourceError
from soleus_analysis.injuries import injury_reports
from soleus_analysis.loads import (
    acute_chronic,
    daily_load,
    ewma,
    ewma_lambda,
    ewma_warmup_days,
    monotony_strain,
    pmc,
    session_loads,
    training_loads,
)
from soleus_analysis.models import (
    BanisterResult,
    DistributedLagResult,
    EventStudyResult,
    IndividualResponses,
    MixedResult,
    ModelFit,
    OrdinalResult,
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
    fit_event_study,
    fit_fixed_effects,
    fit_gee,
    fit_mixed,
    fit_ordinal,
    fit_sensitivity,
    fit_within_between,
    individual_responses,
    lag_basis,
    lagged,
    model_assumptions,
    partial_effect,
    power,
    power_curve,
    risk_study_size,
    rmcorr,
    within_between_terms,
)
from soleus_analysis.outcomes import (
    AcwrNullResult,
    CoxResult,
    CriticalSpeedResult,
    InjuryPowerResult,
    InjuryRateResult,
    OutcomeResult,
    StudyInjuries,
    SurvivalResult,
    acwr_coupling,
    acwr_random_denominator,
    acwr_window_sensitivity,
    critical_speed,
    critical_speed_blocks,
    daily_onsets,
    describe_injury_panel,
    fit_critical_speed,
    fit_injury_rate,
    fit_time_to_injury,
    icc,
    injury_gaps,
    injury_incidence,
    injury_panel,
    injury_power,
    mean_max_curve,
    mean_max_speed,
    plot_survival,
    ratio_sentences,
    reliability_table,
    repeated_trials,
    stream_table,
    study_injuries,
    study_injury_panel,
    study_run_streams,
    survival_curve,
    typical_error,
    usable_covariates,
    versus_planted,
)
from soleus_analysis.panel import add_ewma, add_lags, analysis_terms, build_panel, within_between
from soleus_analysis.readers import (
    SOURCES,
    FolderRead,
    ReadResult,
    read,
    read_all,
    read_folder,
    read_stream,
)
from soleus_analysis.readers.mapping import ColumnMapping, mapping_from_options, read_mapping_file
from soleus_analysis.report import (
    check_reports,
    check_study_folder,
    locate_datasets,
    locate_notebooks,
    run_reports,
)
from soleus_analysis.running import run_metrics, weekly_runs
from soleus_analysis.template import init_study
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
    Truth,
    WrittenCohort,
    check_planted,
    implied_effects,
    read_truth,
    simulate_cohort,
    simulate_panel,
    write_canonical,
    write_cohort,
)
from soleus_analysis.simulation.injury import (
    InjuryEffects,
    InjuryTruth,
    simulate_injuries,
)
from soleus_analysis import narrative
from soleus_analysis.timeutils import local_dates, week_start
from soleus_analysis.validation import ValidationReport, validate

__version__ = "0.1.0"


def __getattr__(name: str):
    # ``sol.plots`` loads matplotlib and seaborn (about 2 s) on first use, not with the package:
    # ``soleus build`` and ``soleus validate`` never draw.
    if name == "plots":
        import importlib

        return importlib.import_module("soleus_analysis.plots")
    raise AttributeError(f"module 'soleus_analysis' has no attribute {name!r}")


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
    "Truth",
    "implied_effects",
    "read_truth",
    "WrittenCohort",
    "write_canonical",
    "write_cohort",
    "check_planted",
    "InjuryEffects",
    "InjuryTruth",
    "simulate_injuries",
    # studies
    "Study",
    "open_study",
    "study_folders",
    # figures and the sentences of the notebooks
    "narrative",
    "plots",
    # validation
    "ValidationReport",
    "validate",
    # time
    "local_dates",
    "week_start",
    # exercise catalog and soleus dose
    "ExerciseCatalog",
    "classify_exercises",
    "dose_provenance",
    "load_catalog",
    "normalize_name",
    "programme_start",
    "soleus_dose",
    "unmapped",
    "weekly",
    "weekly_dose",
    # training loads
    "acute_chronic",
    "daily_load",
    "ewma",
    "ewma_lambda",
    "ewma_warmup_days",
    "monotony_strain",
    "pmc",
    "session_loads",
    "training_loads",
    # daily exposures and next-day wellness
    "daily_panel",
    # running outcomes
    "run_metrics",
    "weekly_runs",
    # panel and build
    "BuildReport",
    "add_ewma",
    "add_lags",
    "analysis_terms",
    "build",
    "build_panel",
    "within_between",
    # partitioned tables (the dask engine's input)
    "replicate_tables",
    "write_partitioned",
    # build inputs and outputs
    "check_output_folder",
    "read_canonical",
    "write_quarantine",
    # your own study: a template and the column mappings of its spreadsheets
    "init_study",
    "ColumnMapping",
    "mapping_from_options",
    "read_mapping_file",
    # reports (executed notebooks)
    "check_reports",
    "check_study_folder",
    "locate_datasets",
    "locate_notebooks",
    "run_reports",
    # one page per athlete (what a coach opens)
    "AthletePage",
    "write_athlete_pages",
    # models
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
    # the article's claims and injury reports
    "article_claims",
    "claim_coverage",
    "injury_reports",
    # outcomes: injury rates, time to injury, survival, reliability, critical speed, ACWR
    "OutcomeResult",
    "AcwrNullResult",
    "CoxResult",
    "CriticalSpeedResult",
    "InjuryPowerResult",
    "InjuryRateResult",
    "StudyInjuries",
    "SurvivalResult",
    "acwr_coupling",
    "acwr_random_denominator",
    "acwr_window_sensitivity",
    "critical_speed",
    "fit_critical_speed",
    "fit_injury_rate",
    "fit_time_to_injury",
    "icc",
    "injury_incidence",
    "injury_panel",
    "injury_power",
    "mean_max_curve",
    "mean_max_speed",
    "plot_survival",
    "stream_table",
    "survival_curve",
    "typical_error",
    # a study's injury records and repeated measures, for the injury and reliability notebooks
    "critical_speed_blocks",
    "daily_onsets",
    "describe_injury_panel",
    "injury_gaps",
    "ratio_sentences",
    "reliability_table",
    "repeated_trials",
    "study_injuries",
    "study_injury_panel",
    "study_run_streams",
    "usable_covariates",
    "versus_planted",
]
