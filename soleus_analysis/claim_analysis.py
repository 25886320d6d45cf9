"""The article's claims tested on a study: the analyses behind notebook 08.

Three analyses, each a function that returns its numbers and the sentences the notebook prints:

- :func:`claim_effects`: for every outcome of :func:`~soleus_analysis.article_claims` that enough
  athletes record beside a known soleus dose, the within-athlete effect of the *accumulated*
  soleus dose (an EWMA over ``adaptation_weeks`` including the current week; for soreness, the
  *unaccustomed* part: this week's sets above the accumulated level), adjusted for this week's
  and the chronic running distance, from :func:`~soleus_analysis.fit_within_between` (its safe
  defaults: calendar-week effects, CR2 errors with Satterthwaite df). With a truth file the
  planted values are put beside the estimates.
- :func:`strength_day_effects`: morning wellness the day after a strength day against other
  mornings, adjusted for the previous day's running (a second, real study: about strength days,
  not about the soleus).
- :func:`injury_summary`: injury reports counted by body part.

Assumptions are those of the models (``sol.model_assumptions(["fit_within_between"])``): the
estimates are associations within athletes over time; observational data cannot show a cause.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from soleus_analysis.daily import daily_panel
from soleus_analysis.evidence import describe_effect, needs
from soleus_analysis.injuries import injury_reports
from soleus_analysis.models import fit_within_between
from soleus_analysis.panel import add_ewma

__all__ = [
    "OUTCOME_UNITS",
    "ClaimEffects",
    "InjurySummary",
    "StrengthDayEffects",
    "claim_effects",
    "injury_summary",
    "strength_day_effects",
]

#: Units of the outcomes of the article's claims, for sentences.
OUTCOME_UNITS = {
    "easy_pace_s_per_km": "s/km",
    "efficiency_factor_m_per_beat": "m/beat",
    "decoupling_pct": "% points",
    "pace_fade_pct": "% points",
    "run_rpe": "CR-10 points",
    "fatigue": "points (1-5, 5 = fresh)",
    "readiness": "points (0-10)",
    "soreness": "points (1-5, 5 = not sore)",
}
_EFFECT_COLUMNS = ["claim", "outcome", "estimate", "ci_low", "ci_high", "planted", "n_obs",
                   "converged"]


# ---------------------------------------------------------------------------------------------
# the soleus dose and each claim's outcomes
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimEffects:
    """The soleus-dose effects of :func:`claim_effects`.

    Attributes
    ----------
    table : DataFrame
        One row per outcome fitted: ``claim``, ``outcome``, ``estimate``, ``ci_low``,
        ``ci_high`` (per ``step`` sets a week), ``planted`` (NaN when unknown or nothing was
        planted), ``n_obs``, ``converged``, ``covered`` (the interval holds the planted value;
        missing without one).
    fits : dict of str to result
        The fitted models by outcome.
    failed : dict of str to str
        Outcomes that could not be fitted, with the reason.
    athletes_with : Series
        Per outcome, the athletes with the outcome and a known soleus dose in some week.
    min_athletes, step : int
        As given.
    simulated : bool
        A truth file was given (the estimates validate the method, not the claims).
    """

    table: pd.DataFrame
    fits: dict = field(repr=False)
    failed: dict[str, str]
    athletes_with: pd.Series
    min_athletes: int
    step: float
    simulated: bool

    def sentences(self) -> list[str]:
        """What the notebook says: one sentence per outcome, then what was not fitted and why."""
        lines = [f"{o}: not fitted ({why})." for o, why in self.failed.items()]
        if not len(self.table) and not self.failed:
            most = int(self.athletes_with.max()) if len(self.athletes_with) else 0
            lines.append(needs(
                "The soleus-dose models", f"no outcome has at least {self.min_athletes} athletes "
                f"with the outcome and a known soleus dose (most: {most})",
                f"{self.min_athletes} or more athletes who log both their calf work and the "
                "outcome"))
        for r in self.table.itertuples():
            per = "unaccustomed" if r.outcome == "soreness" else "accumulated"
            line = describe_effect(
                f"{r.claim}, {r.outcome} per +{self.step:g} {per} sets/week", r.estimate,
                r.ci_low, r.ci_high, unit=OUTCOME_UNITS.get(r.outcome, ""),
                converged=r.converged, digits=3)
            if self.simulated:
                line += f" Planted {r.planted:+.3f}." if pd.notna(r.planted) else " Nothing planted."
            lines.append(line)
        known = self.table["covered"].dropna().astype(bool)
        if self.simulated and len(known):
            lines.append(f"{known.sum()} of {len(known)} intervals contain the planted value.")
        return lines


def claim_outcomes(claims: pd.DataFrame) -> pd.Series:
    """The panel columns of each claim (:func:`~soleus_analysis.article_claims`): a Series of
    outcome columns indexed by claim."""
    outcomes = claims.set_index("claim")["columns"].str.split(", ").explode()
    return outcomes[outcomes.ne("") & outcomes.notna()]


def claim_effects(
    panel: pd.DataFrame,
    claims: pd.DataFrame,
    *,
    truth=None,
    step: float = 10,
    adaptation_weeks: float = 4,
    chronic_weeks: float = 6,
    min_athletes: int = 5,
) -> ClaimEffects:
    """The within-athlete effect of the soleus dose on every outcome of the article's claims.

    Parameters
    ----------
    panel : DataFrame
        The athlete-week panel (``Study.panel``).
    claims : DataFrame
        :func:`~soleus_analysis.article_claims`.
    truth : Truth, optional
        :func:`~soleus_analysis.read_truth` of a simulated study: its planted effects are put
        beside the estimates.
    step : float, default 10
        Effects per ``step`` soleus sets a week.
    adaptation_weeks : float, default 4
        Time constant of the accumulated soleus dose (an EWMA that includes the current week,
        started at 0).
    chronic_weeks : float, default 6
        Time constant of the chronic running distance (covariate with this week's distance).
    min_athletes : int, default 5
        An outcome is modelled when at least this many athletes have it and a known dose.

    Returns
    -------
    ClaimEffects
    """
    panel = add_ewma(panel, ["run_distance_km"], weeks=chronic_weeks, suffix="_chronic")
    panel = add_ewma(panel, ["soleus_sets"], weeks=adaptation_weeks, include_current=True,
                     start=0, suffix="_accumulated")
    panel = panel.assign(
        novel_sets=(panel["soleus_sets"] - panel["soleus_sets_accumulated"]).clip(lower=0),
        acute_10km=panel["run_distance_km"] / 10,
        chronic_10km=panel["run_distance_km_chronic"] / 10,
    )
    outcomes = claim_outcomes(claims)
    outcomes = outcomes[outcomes.isin(panel.columns)]
    with_dose = panel.loc[panel["soleus_sets"].notna()]
    athletes_with = with_dose.groupby("athlete_id")[outcomes.tolist()].count().gt(0).sum()
    modelled = outcomes[outcomes.map(athletes_with).ge(min_athletes)]
    fits, failed = {}, {}
    for outcome in modelled:
        try:
            fits[outcome] = fit_within_between(
                panel, outcome=outcome,
                exposure="novel_sets" if outcome == "soreness" else "soleus_sets_accumulated",
                covariates=["acute_10km", "chronic_10km"], step=step)
        except (ValueError, np.linalg.LinAlgError) as err:  # too little variation to fit
            failed[outcome] = str(err).splitlines()[0]
    simulated = bool(truth is not None and truth.known)
    planted = (truth.implied().set_index(["outcome", "exposure"])["total"] if simulated
               else pd.Series(dtype=float))
    table = pd.DataFrame([
        {"claim": claim, "outcome": o,
         **fits[o].effect("within")[["estimate", "ci_low", "ci_high"]],
         "planted": planted.get((o, "novel_soleus" if o == "soreness" else "soleus"), np.nan),
         "n_obs": fits[o].n_obs, "converged": fits[o].converged}
        for claim, o in modelled.items() if o in fits], columns=_EFFECT_COLUMNS)
    table["covered"] = (
        table["ci_low"].le(table["planted"]) & table["planted"].le(table["ci_high"])
    ).where(table["planted"].notna())
    return ClaimEffects(table=table, fits=fits, failed=failed, athletes_with=athletes_with,
                        min_athletes=min_athletes, step=step, simulated=simulated)


# ---------------------------------------------------------------------------------------------
# strength days and the next morning
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StrengthDayEffects:
    """Morning ratings after a strength day (:func:`strength_day_effects`).

    Attributes
    ----------
    table : DataFrame
        ``outcome``, ``estimate``, ``ci_low``, ``ci_high`` (rating points after a strength day
        against other mornings), ``converged``; empty when too few people qualify.
    people : int
        People with at least ``min_strength_days`` strength days.
    mornings, after_strength : int
        Complete mornings of those people, and how many of them follow a strength day.
    min_strength_days, min_people : int
        As given.
    """

    table: pd.DataFrame
    people: int
    mornings: int
    after_strength: int
    min_strength_days: int
    min_people: int

    def sentences(self, study: str) -> list[str]:
        """What the notebook says about ``study``."""
        lines = [f"{study}: {self.people} people with at least {self.min_strength_days} strength "
                 f"days, {self.mornings} mornings, {self.after_strength} after a strength day"]
        if self.people < self.min_people:
            return lines + [needs("The strength-day models", f"{self.people} people have at "
                                  f"least {self.min_strength_days} strength days",
                                  f"at least {self.min_people}")]
        for r in self.table.itertuples():
            lines.append("  " + describe_effect(
                f"{r.outcome} after a strength day", r.estimate, r.ci_low, r.ci_high,
                unit=OUTCOME_UNITS.get(r.outcome, ""), converged=r.converged, higher="better",
                lower="worse"))
        return lines


def strength_day_effects(
    tables: Mapping[str, pd.DataFrame],
    outcomes: Iterable[str] = ("fatigue", "soreness", "readiness"),
    *,
    min_strength_days: int = 5,
    min_people: int = 3,
) -> StrengthDayEffects:
    """Within-person effect of a strength day on the next morning's wellness ratings.

    Each rating is modelled with :func:`~soleus_analysis.fit_within_between` on the daily panel
    (:func:`~soleus_analysis.daily_panel`): exposure ``strength_yesterday`` (0/1), covariate
    ``run_km_yesterday``, time = date, among people with at least ``min_strength_days``
    strength days and only on mornings with every rating and both exposures known.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        A study's validated tables (``Study.tables``): ``sessions``, ``runs``, ``strength_sets``,
        ``wellness``, ``athletes``, any of them missing.
    outcomes : iterable of str
        Wellness columns.
    min_strength_days, min_people : int, default 5 and 3
        Who enters, and how many people the models need.

    Returns
    -------
    StrengthDayEffects
    """
    outcomes = list(outcomes)
    daily = daily_panel(tables.get("sessions"), tables.get("runs"), tables.get("strength_sets"),
                        tables.get("wellness"), athletes=tables.get("athletes"),
                        outcomes=outcomes)
    strength_days = daily.groupby("athlete_id")["strength_session"].sum()
    people = strength_days.index[strength_days >= min_strength_days]
    complete = daily[daily["athlete_id"].isin(people)].dropna(
        subset=["strength_yesterday", "run_km_yesterday", *outcomes])
    table = pd.DataFrame(columns=["outcome", "estimate", "ci_low", "ci_high", "converged"])
    if len(people) >= min_people:
        fits = {y: fit_within_between(complete, outcome=y, exposure="strength_yesterday",
                                      time="date", covariates=["run_km_yesterday"], step=1)
                for y in outcomes}
        table = pd.DataFrame([
            {"outcome": y, **f.effect("within")[["estimate", "ci_low", "ci_high"]],
             "converged": f.converged} for y, f in fits.items()])
    return StrengthDayEffects(
        table=table, people=len(people), mornings=len(complete),
        after_strength=int(complete["strength_yesterday"].sum()),
        min_strength_days=min_strength_days, min_people=min_people)


# ---------------------------------------------------------------------------------------------
# injury reports
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class InjurySummary:
    """Injury questionnaires counted (:func:`injury_summary`).

    Attributes
    ----------
    athletes, questionnaires : int
        Athletes who answered, and their answers.
    athlete_weeks : float
        Weeks from each athlete's first to last answer, summed.
    injured_answers, injured_athletes : int
        Answers (athlete-days) that name an injury, and their athletes.
    lower_leg_episodes, lower_leg_athletes, lower_leg_major : int
        New episodes at ``leg`` or ``foot``, their athletes, and reports marked major.
    by_body_part : DataFrame
        Per body part: ``reports``, ``episodes``, ``athletes``, ``major``, most reported first.
    """

    athletes: int
    questionnaires: int
    athlete_weeks: float
    injured_answers: int
    injured_athletes: int
    lower_leg_episodes: int
    lower_leg_athletes: int
    lower_leg_major: int
    by_body_part: pd.DataFrame

    def sentences(self, study: str) -> list[str]:
        """What the notebook says about ``study``."""
        return [
            f"{study}: {self.athletes} athletes answered {self.questionnaires} injury "
            f"questionnaires over {self.athlete_weeks:.0f} athlete-weeks; {self.injured_answers} "
            f"answers (athlete-days) named an injury, from {self.injured_athletes} athletes",
            f"'leg' or 'foot' (the areas nearest to shin and Achilles): "
            f"{self.lower_leg_episodes} episodes in {self.lower_leg_athletes} athletes, "
            f"{self.lower_leg_major} reports marked major",
        ]


def injury_summary(wellness: pd.DataFrame) -> InjurySummary:
    """Count the injury reports of a wellness table (:func:`~soleus_analysis.injury_reports`).

    Parameters
    ----------
    wellness : DataFrame
        Validated wellness rows with an ``injury`` column (PMSys ``injury.csv``).

    Returns
    -------
    InjurySummary
    """
    injuries = injury_reports(wellness)
    asked = injuries.attrs["questionnaires"]
    period = wellness.loc[wellness["injury"].notna()].groupby("athlete_id")["date"].agg(
        ["min", "max"])
    weeks = ((period["max"] - period["min"]).dt.days + 1).sum() / 7
    days_injured = injuries[["athlete_id", "date"]].drop_duplicates()
    lower = injuries[injuries["body_part"].isin(["leg", "foot"])]
    by_part = injuries.assign(major=injuries["severity"].eq("major")).groupby("body_part").agg(
        reports=("date", "size"), episodes=("new_episode", "sum"),
        athletes=("athlete_id", "nunique"), major=("major", "sum"),
    ).sort_values(["reports", "episodes"], ascending=False)
    return InjurySummary(
        athletes=len(asked), questionnaires=int(asked.sum()), athlete_weeks=float(weeks),
        injured_answers=len(days_injured),
        injured_athletes=int(days_injured["athlete_id"].nunique()),
        lower_leg_episodes=int(lower["new_episode"].sum()),
        lower_leg_athletes=int(lower["athlete_id"].nunique()),
        lower_leg_major=int(lower["severity"].eq("major").sum()),
        by_body_part=by_part,
    )
