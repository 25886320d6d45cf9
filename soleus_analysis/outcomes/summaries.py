"""Injury records of a study, and the sentences the injury notebook prints about them.

The injury functions (:func:`~soleus_analysis.outcomes.injury_weeks.injury_panel`,
:func:`~soleus_analysis.outcomes.time_to_event.fit_time_to_injury`, ...) take tables; a notebook
that must run on any study also needs to know *where* a study's injuries come from, whether there
are enough of them for a model, and how to say an estimate in words. That is this module:

- :func:`study_injuries`: the study's PMSys injury questionnaires when it has any; otherwise, for
  a simulated cohort (a ``truth.json`` that :func:`soleus_analysis.read_truth` knows), onsets
  drawn from the simulator's planted hazard (:func:`soleus_analysis.simulate_injuries`' model)
  on the study's own weekly covariates, with the planted hazard ratios; otherwise none.
- :func:`study_injury_panel`: the injury panel, or one sentence saying why there is none.
- :func:`daily_onsets`: daily loads with a 0/1 onset column (the input of the ACWR
  diagnostics), on the days injuries were ascertained.
- :func:`usable_covariates` and :func:`injury_gaps`: the covariates a study records (a study
  without a strength log still relates injuries to load), and one sentence saying what a model
  lacks (athletes, injuries, a covariate), or ``""`` when it can be fitted.
- :func:`describe_injury_panel`, :func:`ratio_sentences`, :func:`versus_planted`: the numbers
  in words and next to their planted values, rounded to what the data support.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from soleus_analysis.injuries import injury_reports
from soleus_analysis.outcomes.injury_weeks import injury_panel, weekly_covariates
from soleus_analysis.simulation.injury import draw_injuries, planted_hazard

__all__ = [
    "StudyInjuries",
    "daily_onsets",
    "describe_injury_panel",
    "injury_gaps",
    "ratio_sentences",
    "study_injuries",
    "study_injury_panel",
    "usable_covariates",
    "versus_planted",
]


@dataclass(frozen=True)
class StudyInjuries:
    """Where a study's injury onsets come from.

    Attributes
    ----------
    source : {"pmsys", "simulated", "none"}
        PMSys injury questionnaires in the study's wellness table; onsets drawn from a planted
        hazard (simulated cohorts only); or no injury record at all.
    injuries : pandas.DataFrame or None
        The ``injuries=`` table for :func:`soleus_analysis.injury_panel` (``athlete_id``,
        ``date``, ``body_part``, ``area``); None for PMSys (the panel reads the wellness
        table) and for none.
    planted : pandas.DataFrame or None
        The planted hazard ratios (``term``, ``hazard_ratio``, ``log_hr``, ``step``, ``per``)
        when simulated, else None.
    description : str
        One sentence for the reader.
    """

    source: str
    injuries: pd.DataFrame | None
    planted: pd.DataFrame | None
    description: str

    @property
    def available(self) -> bool:
        """True when the study has injury onsets to analyse."""
        return self.source != "none"


def _pmsys_answers(wellness: pd.DataFrame | None) -> pd.DataFrame:
    if wellness is None or "injury" not in wellness.columns:
        return pd.DataFrame(columns=["athlete_id", "date", "injury"])
    return wellness.loc[wellness["injury"].notna(), ["athlete_id", "date", "injury"]]


def study_injuries(study, truth=None, *, rng=None, effects=None) -> StudyInjuries:
    """The injury onsets a study can be analysed with, and where they come from.

    Parameters
    ----------
    study : Study
        ``sol.open_study(...)`` (its ``tables``).
    truth : Truth, optional
        ``sol.read_truth(raw_dir)``. When known (a simulated cohort) and the study has no injury
        questionnaires, onsets are drawn from the simulator's planted hazard
        (:func:`soleus_analysis.simulate_injuries`' model) on the weekly covariates the study's
        own logs give (those :func:`soleus_analysis.injury_panel` computes), so the planted
        hazard ratios are exactly what the Cox model on the panel estimates.
    rng : None, int or Generator
        Seed of the planted injury draw.
    effects : InjuryEffects, optional
        Planted hazard (default :class:`soleus_analysis.InjuryEffects`).

    Returns
    -------
    StudyInjuries

    Examples
    --------
    >>> import soleus_analysis as sol
    >>> cohort = sol.simulate_cohort(3, 6, rng=1)
    >>> class Study:
    ...     tables = cohort.tables()
    >>> study_injuries(Study()).source
    'none'
    """
    wellness = study.tables.get("wellness")
    answers = _pmsys_answers(wellness)
    if len(answers):
        return StudyInjuries(
            "pmsys", None, None,
            f"Injuries from the study's PMSys injury questionnaires: {len(answers)} answers "
            f"from {answers['athlete_id'].nunique()} athlete(s); an injury is the first report "
            "of an episode (self-reported, by body area).")
    missing = ("The study has no injury records (no PMSys injury questionnaires); the injury "
               "sections need dated injury onsets per athlete, e.g. PMSys injury.csv files.")
    if truth is None or not getattr(truth, "known", False):
        return StudyInjuries("none", None, None, missing)
    days, weeks = weekly_covariates(study.tables, daily=getattr(study, "daily_loads", None),
                                    dose=getattr(study, "dose", None))
    days = days.assign(date=pd.to_datetime(days["date"]).dt.as_unit("us"),
                       week_start=pd.to_datetime(days["week_start"]).dt.as_unit("us"))
    weeks = weeks.assign(week_start=pd.to_datetime(weeks["week_start"]).dt.as_unit("us"))
    drawn = draw_injuries(planted_hazard(weeks, days, effects=effects), rng=rng)
    injuries = drawn.injuries
    planted = drawn.truth.copy()
    hrs = ", ".join(f"{r.hazard_ratio:g} per {r.per}" for r in planted.itertuples())
    return StudyInjuries(
        "simulated", injuries, planted,
        f"SIMULATED injuries: this simulated cohort (seed {truth.seed}) has no injury records, "
        f"so {len(injuries)} onsets in {injuries['athlete_id'].nunique()} athletes were drawn "
        f"(draw {rng}) from the simulator's injury hazard, planted on the soleus dose and "
        f"loads its logs give (athlete frailty SD {drawn.effects.frailty_sd:g}, recurrent "
        f"injuries). Planted hazard ratios: {hrs}.")


def study_injury_panel(study, source: StudyInjuries, *,
                       time_scale: str = "calendar") -> tuple[pd.DataFrame | None, str]:
    """The injury panel of a study, or None and one sentence saying why there is none.

    Parameters
    ----------
    study : Study
    source : StudyInjuries
        From :func:`study_injuries`.
    time_scale : {"calendar", "athlete"}
        As :func:`soleus_analysis.injury_panel`.

    Returns
    -------
    tuple of (pandas.DataFrame or None, str)
        The panel and ``""``; or None and the reason (no injury records, or no follow-up: the
        panel follows athletes over the days of their session-RPE load record).

    Examples
    --------
    >>> none = StudyInjuries("none", None, None, "no records")
    >>> study_injury_panel(object(), none)
    (None, 'no records')
    """
    if not source.available:
        return None, source.description
    try:
        panel = injury_panel(study, injuries=source.injuries, time_scale=time_scale)
    except ValueError as exc:
        # no daily loads or no overlap with the questionnaires: no follow-up to analyse
        return None, (f"No injury panel ({str(exc).removeprefix('injury_panel: ')}): follow-up "
                      "runs over the days of the session-RPE load record, so the injury "
                      "sections need sessions with a duration and an RPE.")
    return panel, ""


def _onsets(injuries: pd.DataFrame | None, wellness: pd.DataFrame | None):
    """Onset days (athlete_id, date) and the questionnaire span (PMSys) of a study."""
    if injuries is not None:
        onsets = injuries[["athlete_id", "date"]].copy()
        span = None
    else:
        answers = _pmsys_answers(wellness)
        if answers.empty:
            return pd.DataFrame(columns=["athlete_id", "date"]), None
        reports = injury_reports(wellness)
        # as sol.injury_panel: the first report of an episode, not at the first questionnaire
        onsets = reports.loc[reports["new_episode"] & (reports["questionnaire"] > 0),
                             ["athlete_id", "date"]].copy()
        span = answers.groupby("athlete_id")["date"].agg(first="min", last="max")
    onsets["date"] = pd.to_datetime(onsets["date"])
    if getattr(onsets["date"].dt, "tz", None) is not None:
        onsets["date"] = onsets["date"].dt.tz_localize(None)
    onsets["date"] = onsets["date"].dt.normalize()
    if span is not None:
        for col in span.columns:
            s = pd.to_datetime(span[col])
            span[col] = (s.dt.tz_localize(None) if getattr(s.dt, "tz", None) else s).dt.normalize()
    return onsets, span


def daily_onsets(
    daily: pd.DataFrame,
    *,
    injuries: pd.DataFrame | None = None,
    wellness: pd.DataFrame | None = None,
    column: str = "injury",
) -> pd.DataFrame:
    """Daily loads with a 0/1 column: an injury onset on that day.

    Parameters
    ----------
    daily : pandas.DataFrame
        ``study.daily_loads`` (``athlete_id``, ``date``, loads).
    injuries : pandas.DataFrame, optional
        Onsets (``athlete_id``, ``date``), e.g. ``StudyInjuries.injuries``.
    wellness : pandas.DataFrame, optional
        Without ``injuries``: the wellness table whose PMSys ``injury`` answers give the onsets
        (the first report of each episode, as :func:`soleus_analysis.injury_panel`); only the
        days between an athlete's first and last questionnaire are kept (no questionnaire, no
        ascertainment).

    Returns
    -------
    pandas.DataFrame
        The rows of ``daily`` that were followed up, in athlete and date order, with
        ``column`` (0/1). Empty when there is no onset source.

    Examples
    --------
    >>> d = pd.DataFrame({"athlete_id": ["a"] * 3, "load_au": [100.0, 0.0, 50.0],
    ...                   "date": pd.date_range("2025-01-06", periods=3)})
    >>> onsets = pd.DataFrame({"athlete_id": ["a"], "date": [pd.Timestamp("2025-01-07")]})
    >>> daily_onsets(d, injuries=onsets)["injury"].tolist()
    [0, 1, 0]
    """
    onsets, span = _onsets(injuries, wellness)
    out = daily.sort_values(["athlete_id", "date"], kind="stable").reset_index(drop=True)
    day = pd.to_datetime(out["date"])
    day = (day.dt.tz_localize(None) if getattr(day.dt, "tz", None) else day).dt.normalize()
    if injuries is None and span is None:
        return out.iloc[0:0].assign(**{column: pd.Series(dtype="int64")})
    if span is not None:
        lim = span.reindex(out["athlete_id"].to_numpy())
        inside = (day.to_numpy() >= lim["first"].to_numpy()) & (
            day.to_numpy() <= lim["last"].to_numpy())
        out, day = out.loc[inside].reset_index(drop=True), day.loc[inside].reset_index(drop=True)
    hit = pd.MultiIndex.from_arrays([out["athlete_id"].to_numpy(), day.to_numpy()]).isin(
        pd.MultiIndex.from_frame(onsets[["athlete_id", "date"]]))
    out[column] = hit.astype("int64")
    return out


def describe_injury_panel(panel: pd.DataFrame) -> str:
    """One sentence: athletes, weeks, hours of exposure, injuries and the athletes they hit.

    Injuries are counted as in the rates (``n_injuries``); when some fall on the same day, the
    number of injury days (the events of the Cox model and the curves) is added.

    Examples
    --------
    >>> p = pd.DataFrame({"athlete_id": ["a", "a", "b"], "week_start": [1, 2, 1],
    ...                   "event": [1, 0, 0], "n_injuries": [1, 0, 0],
    ...                   "exposure_h": [4.0, 5.0, 3.0], "days_at_risk": [3.0, 7.0, 7.0]})
    >>> print(describe_injury_panel(p).replace("; ", ";\\n"))
    2 athletes followed for 17 days (3 athlete-weeks, 12 h of training);
    1 injury in 1 athlete (0 with more than one).
    """
    n_inj = int(panel["n_injuries"].sum())
    n_days = int(panel["event"].sum())
    per = panel.groupby("athlete_id")["n_injuries"].sum()
    weeks = int(panel[["athlete_id", "week_start"]].drop_duplicates().shape[0])
    # several body areas reported on one day are several injuries but one event of the models
    days = f" on {n_days} days" if n_days != n_inj else ""
    return (f"{panel['athlete_id'].nunique()} athletes followed for "
            f"{panel['days_at_risk'].sum():.0f} days ({weeks} athlete-weeks, "
            f"{panel['exposure_h'].sum():.0f} h of training); {n_inj} "
            f"{'injury' if n_inj == 1 else 'injuries'}{days} in {int((per > 0).sum())} "
            f"athlete{'' if int((per > 0).sum()) == 1 else 's'} "
            f"({int((per > 1).sum())} with more than one).")


def usable_covariates(panel: pd.DataFrame | None,
                      covariates: Sequence[str]) -> tuple[list[str], str]:
    """The covariates a study records and that vary, and a sentence naming those left out.

    A model can still relate injuries to load when the study has no strength log (no soleus
    dose): the dose is left out and the sentence says so.

    Parameters
    ----------
    panel : pandas.DataFrame or None
        The injury panel.
    covariates : sequence of str

    Returns
    -------
    tuple of (list of str, str)
        The usable covariates, in order, and ``""`` or one sentence.

    Examples
    --------
    >>> p = pd.DataFrame({"dose": [np.nan, np.nan], "acute": [1.0, 2.0], "flat": [3.0, 3.0]})
    >>> kept, note = usable_covariates(p, ["dose", "acute", "flat"])
    >>> kept
    ['acute']
    >>> print(note.replace(": ", ":\\n"))
    Left out of the models:
    dose (not recorded in this study), flat (the same in every interval).
    """
    if panel is None:
        return [], ""
    kept, dropped = [], []
    for col in covariates:
        if col not in panel.columns or panel[col].notna().sum() == 0:
            dropped.append(f"{col} (not recorded in this study)")
        elif panel[col].nunique() < 2:
            dropped.append(f"{col} (the same in every interval)")
        else:
            kept.append(col)
    return kept, (f"Left out of the models: {', '.join(dropped)}." if dropped else "")


def injury_gaps(
    panel: pd.DataFrame | None,
    *,
    what: str,
    covariates: Sequence[str] | None = None,
    min_athletes: int = 2,
    min_injuries: int = 1,
    injuries_per_term: int = 0,
    event: str = "event",
    group: str = "athlete_id",
) -> str:
    """What an injury analysis lacks, in one sentence, or ``""`` when it can be run.

    Counts only the rows where every covariate is known; a covariate that is missing everywhere
    or never varies is named.

    Parameters
    ----------
    panel : pandas.DataFrame or None
        The injury panel (None: the study has no injury records).
    what : str
        The analysis, for the sentence (e.g. ``"the Cox model"``).
    covariates : sequence of str, optional
        The model's terms; an empty list means a model with no term left (said so).
    min_athletes, min_injuries : int
        Needed athletes (with follow-up) and injuries.
    injuries_per_term : int
        Needed injuries per covariate (the larger of the two minimums is used).
    event, group : str

    Returns
    -------
    str

    Examples
    --------
    >>> p = pd.DataFrame({"athlete_id": ["a", "b"], "event": [1, 0], "x": [1.0, 2.0]})
    >>> print(injury_gaps(p, what="the rate model", covariates=["x"],
    ...                   injuries_per_term=5).replace(" in at", "\\nin at"))
    Not fitted: the rate model needs at least 5 injuries (5 per term)
    in at least 2 athletes with x known; this study has 1 injury in 2 athletes.
    >>> injury_gaps(p, what="the curve")
    ''
    """
    if panel is None:
        return (f"Not fitted: {what} needs dated injury onsets per athlete, and this study has "
                "no injury records.")
    if covariates is not None and len(covariates) == 0:
        return f"Not fitted: {what} has no covariate that this study records and that varies."
    covariates = list(covariates or [])
    rows = panel.loc[panel[covariates].notna().all(axis=1)] if covariates else panel
    for col in covariates:
        if panel[col].notna().sum() == 0:
            return (f"Not fitted: {what} needs {col}, which this study does not record "
                    "(e.g. no strength log for the soleus dose, or too few weeks of load for "
                    "the chronic load).")
        if rows[col].nunique() < 2:
            return f"Not fitted: {what} needs {col} to vary, and it does not in this study."
    need = max(min_injuries, injuries_per_term * len(covariates))
    n_events = int(rows[event].sum())
    n_athletes = int(rows[group].nunique())
    if n_events >= need and n_athletes >= min_athletes:
        return ""
    per_term = f" ({injuries_per_term} per term)" if injuries_per_term and covariates else ""
    known = f" with {', '.join(covariates)} known" if covariates else ""
    return (f"Not fitted: {what} needs at least {need} "
            f"{'injury' if need == 1 else 'injuries'}{per_term} in at least {min_athletes} "
            f"athlete{'' if min_athletes == 1 else 's'}{known}; this study has {n_events} "
            f"{'injury' if n_events == 1 else 'injuries'} in {n_athletes} "
            f"athlete{'' if n_athletes == 1 else 's'}.")


def ratio_sentences(result, *, ratio: str = "hazard_ratio", name: str = "hazard ratio",
                    digits: int = 2) -> list[str]:
    """Each term's ratio in words, rounded: direction, size, interval and p-value.

    Parameters
    ----------
    result : CoxResult or InjuryRateResult
        A :func:`soleus_analysis.fit_time_to_injury` or :func:`soleus_analysis.fit_injury_rate`
        fit (the Intercept is left out).
    ratio : {"hazard_ratio", "rate_ratio"}
    name : str
        How to call the ratio.
    digits : int, default 2

    Returns
    -------
    list of str

    Examples
    --------
    >>> class Fit:
    ...     table = pd.DataFrame({"term": ["sets"], "per": ["+10 sets"], "rate_ratio": [0.8],
    ...                           "rr_low": [0.6], "rr_high": [1.07], "p_value": [0.13]})
    >>> ratio_sentences(Fit(), ratio="rate_ratio", name="rate ratio")
    ['per +10 sets: rate ratio 0.80 (95% CI 0.60 to 1.07), 20% lower; p = 0.13.']
    """
    low, high = ("hr_low", "hr_high") if ratio == "hazard_ratio" else ("rr_low", "rr_high")
    out = []
    for r in result.table.loc[result.table["term"] != "Intercept"].itertuples():
        value = float(getattr(r, ratio))
        shown = round(value, digits)
        change = round(100 * (shown - 1))
        words = ("no different" if change == 0 else
                 f"{abs(change)}% {'higher' if change > 0 else 'lower'}")
        p = float(r.p_value)
        p_text = "p < 0.001" if p < 0.001 else f"p = {p:.{2 if p >= 0.01 else 3}f}"
        out.append(f"per {r.per}: {name} {shown:.{digits}f} (95% CI "
                   f"{getattr(r, low):.{digits}f} to {getattr(r, high):.{digits}f}), {words}; "
                   f"{p_text}.")
    return out


def versus_planted(result, planted: pd.DataFrame,
                   steps: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Estimated hazard ratios next to the planted ones, with whether the interval covers them.

    Parameters
    ----------
    result : CoxResult
    planted : pandas.DataFrame
        ``StudyInjuries.planted`` (``term``, ``hazard_ratio``, ``step``).
    steps : mapping of str to float, optional
        The ``steps`` the fit was reported per; the planted ratio is rescaled to them
        (``hazard_ratio ** (step / planted step)``). Default: the planted steps.

    Returns
    -------
    pandas.DataFrame
        ``term``, ``per``, ``hazard_ratio``, ``hr_low``, ``hr_high``, ``planted``,
        ``covered`` (the interval holds the planted ratio), for the planted terms in the fit.

    Examples
    --------
    >>> class Fit:
    ...     table = pd.DataFrame({"term": ["x"], "per": ["+10"], "hazard_ratio": [0.85],
    ...                           "hr_low": [0.6], "hr_high": [1.2]})
    >>> truth = pd.DataFrame({"term": ["x"], "hazard_ratio": [0.8], "step": [10.0]})
    >>> versus_planted(Fit(), truth)[["planted", "covered"]].values.tolist()
    [[0.8, True]]
    """
    table = result.table[["term", "per", "hazard_ratio", "hr_low", "hr_high"]]
    truth = planted[["term", "hazard_ratio", "step"]].copy()
    scale = truth["term"].map(dict(steps or {})).fillna(truth["step"]) / truth["step"]
    truth["planted"] = truth["hazard_ratio"] ** scale
    out = table.merge(truth[["term", "planted"]], on="term", how="inner")
    out["covered"] = out["hr_low"].le(out["planted"]) & out["planted"].le(out["hr_high"])
    return out.reset_index(drop=True)
