"""The article's claims about soleus training, each mapped to an outcome that can be measured.

The project started from a coaching article (Garage Strength, "Top 4 Soleus Exercises to Improve
Running Endurance and Speed"). :func:`article_claims` lists its claims with the article's own
words, the measurable outcome that would test each one, the athlete-week panel columns that hold
that outcome (none when training logs cannot record it) and the analyses of this package that
test it. :func:`claim_coverage` counts, in a panel, the athlete-weeks that could test each claim.

The mapping is a judgement, stated here so that it can be argued with:

- *speed* is read as a faster pace at the same effort: weekly easy-run pace (runs at a
  comfortable, heart-rate-capped effort) and the efficiency factor (speed / heart rate);
- *endurance* as holding pace and heart rate together late in long runs: aerobic decoupling and
  late-run pace fade (docs/methods.md section 4.9);
- *fatigue* as how hard runs feel and how the athlete feels the next morning: run session RPE,
  wellness fatigue and readiness, and soreness as the cost of unaccustomed calf work;
- *ankle stability* needs a balance or hop test, which no training log records;
- *shin splints and Achilles problems* need injury surveillance (dated reports with a body area
  and a case definition) over many athlete-years: they are rare events.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["CLAIMS", "article_claims", "claim_coverage"]

#: claim, the article's words (verbatim), measurable outcome, panel columns, analyses in ``sol``.
CLAIMS: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "speed",
        "Training the calf muscles, particularly the soleus, can significantly improve running "
        "efficiency, speed, and endurance.",
        "easy-run pace at a comfortable effort [s/km]; efficiency factor [m per heartbeat]",
        ("easy_pace_s_per_km", "efficiency_factor_m_per_beat"),
        ("sol.fit_within_between", "sol.combine_effects", "sol.fit_distributed_lag",
         "sol.fit_sensitivity", "sol.individual_responses", "sol.fit_banister", "sol.power"),
    ),
    (
        "endurance",
        "A stronger Soleus muscle will contribute to delaying the on-set of fatigue when hiking, "
        "running trails, or completing a marathon.",
        "aerobic decoupling and late-run pace fade of long runs [% points]",
        ("decoupling_pct", "pace_fade_pct"),
        ("sol.fit_within_between", "sol.add_ewma", "sol.fit_sensitivity", "sol.power"),
    ),
    (
        "fatigue",
        "run longer distances without fatigue",
        "run session RPE [CR-10]; next-morning fatigue [1-5] and readiness [0-10]; soreness "
        "[1-5] as a cost",
        ("run_rpe", "fatigue", "readiness", "soreness"),
        ("sol.fit_within_between", "sol.daily_panel", "sol.rmcorr", "sol.fit_fixed_effects",
         "sol.power"),
    ),
    (
        "ankle stability",
        "One thing training the Soleus muscle does is improve ankle and lower leg stability, in "
        "particular during weight bearing movements.",
        "balance and hop tests (e.g. single-leg stance time, hop-and-hold) repeated over time",
        (),
        (),
    ),
    (
        "shin splints and Achilles problems",
        "a well-trained Soleus muscle helps to mitigate injuries like shin splints, Achilles "
        "tendinitis, and other overuse injuries",
        "new lower-leg overuse injuries per athlete and season, by a stated case definition",
        (),
        ("sol.injury_reports", "sol.risk_study_size"),
    ),
)


def article_claims() -> pd.DataFrame:
    """The article's claims, each with the outcome, panel columns and analyses that test it.

    Returns
    -------
    pandas.DataFrame
        One row per claim: ``claim`` (short name), ``article`` (the article's words, verbatim),
        ``outcome`` (what would be measured, with units), ``columns`` (athlete-week panel columns
        holding that outcome, comma-separated; empty when training logs do not record it),
        ``analysis`` (functions of this package that test it, comma-separated; empty when none).

    Examples
    --------
    >>> claims = article_claims()
    >>> claims["claim"].tolist()
    ['speed', 'endurance', 'fatigue', 'ankle stability', 'shin splints and Achilles problems']
    >>> claims.set_index("claim").loc["endurance", "columns"]
    'decoupling_pct, pace_fade_pct'
    """
    return pd.DataFrame(
        [
            {"claim": c, "article": a, "outcome": o, "columns": ", ".join(cols),
             "analysis": ", ".join(fns)}
            for c, a, o, cols, fns in CLAIMS
        ]
    )


def claim_coverage(
    panel: pd.DataFrame,
    *,
    exposure: str = "soleus_sets",
    group: str = "athlete_id",
) -> pd.DataFrame:
    """How much of a panel could test each claim: athletes and weeks with the outcome and a dose.

    An outcome without a known exposure cannot test a claim about that exposure, so the count
    that matters is ``weeks_with_dose``: athlete-weeks where both the outcome and ``exposure``
    are recorded (a missing exposure, e.g. no strength log at all, is unknown, not 0).

    Parameters
    ----------
    panel : DataFrame
        An athlete-week panel (``study.panel``).
    exposure : str, default "soleus_sets"
        The exposure column the claims are about; a panel without it has no dose.
    group : str, default "athlete_id"

    Returns
    -------
    pandas.DataFrame
        One row per claim and outcome column (claims whose outcome no log records get one row
        with ``column`` = ``"(not in training logs)"``): ``claim``, ``column``, ``weeks`` (rows
        with the outcome), ``athletes`` (athletes with at least one), ``weeks_with_dose`` (rows
        with the outcome and the exposure), ``athletes_with_dose``. A column absent from the
        panel counts 0.

    Raises
    ------
    ValueError
        When ``group`` is not a column of ``panel``.

    Examples
    --------
    >>> p = pd.DataFrame({"athlete_id": ["a", "a", "b"], "soleus_sets": [2.0, None, 0.0],
    ...                   "fatigue": [3.0, 4.0, None]})
    >>> c = claim_coverage(p)
    >>> c.loc[c["column"] == "fatigue", ["weeks", "athletes", "weeks_with_dose"]].values.tolist()
    [[2, 1, 1]]
    """
    if group not in panel.columns:
        raise ValueError(f"claim_coverage: the panel has no column {group!r}; pass group=")
    dose = panel[exposure].notna() if exposure in panel.columns else pd.Series(False, panel.index)
    rows = []
    for claim, _, _, columns, _ in CLAIMS:
        for col in columns or ("(not in training logs)",):
            has = panel[col].notna() if col in panel.columns else pd.Series(False, panel.index)
            both = has & dose
            rows.append({
                "claim": claim, "column": col,
                "weeks": int(has.sum()), "athletes": int(panel.loc[has, group].nunique()),
                "weeks_with_dose": int(both.sum()),
                "athletes_with_dose": int(panel.loc[both, group].nunique()),
            })
    return pd.DataFrame(rows)
