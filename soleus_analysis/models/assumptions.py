"""What each model estimates and assumes, with its defaults: one table for docs and notebooks.

``docs/models.md`` shows :func:`model_assumptions` as its "Assumptions per model" table (a test
checks the two agree), and the notebooks print the rows of the models they fit, so that the
estimand, the adjustment for time, the interval method and the assumptions are stated where the
results are read.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

__all__ = ["ASSUMPTION_COLUMNS", "model_assumptions", "assumptions_markdown"]

ASSUMPTION_COLUMNS = ("model", "estimand", "time adjustment", "df / intervals", "assumes")

_WITHIN = (
    "independent athletes; a common average within effect (random slopes around it); no "
    "time-varying confounder other than shared calendar time and the covariates; exposure not "
    "caused by past outcomes"
)

#: One row per public model, in the order docs/models.md lists them.
_ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "fit_within_between",
        "average within-athlete change per +step above the athlete's own mean; between and "
        "contextual effects (confounded)",
        "calendar weeks when identified",
        "CR2 with the mixed model as working model, Satterthwaite df per term",
        _WITHIN,
    ),
    (
        "fit_fixed_effects",
        "the same within effect, every stable athlete difference removed (two-way FE)",
        "calendar weeks when identified",
        "CR2 (OLS working model), Satterthwaite df (= clubSandwich)",
        "as above; no assumption on athletes' intercepts; with staggered starts and effects that "
        "differ by start cohort the two-way estimate is a weighted average that can mislead "
        "(Goodman-Bacon 2021)",
    ),
    (
        "fit_gee",
        "population-averaged within (and between) effect",
        "calendar weeks when identified",
        "CR2 with the working correlation (exchangeable, AR(1) on within deviations), "
        "Satterthwaite df",
        "as above; working correlation may be wrong",
    ),
    (
        "fit_distributed_lag",
        "lag curve and cumulative effect of +step sustained for L+1 weeks",
        "calendar weeks when identified",
        "CR2 (GEE or mixed working model), Satterthwaite df per lag and for the cumulative sum",
        "lag effects follow the basis; effects of weeks older than L are not absorbed",
    ),
    (
        "fit_mixed",
        "any linear mixed model",
        "what the formula holds",
        "lmerTest Satterthwaite (default), Kenward-Roger, CR2, z",
        "the model, incl. independent residuals (for the model-based options)",
    ),
    (
        "fit_sensitivity",
        "the within effect by each of the above",
        "same for all",
        "each model's default",
        "see above; disagreement is listed in `.notes`",
    ),
    (
        "fit_event_study",
        "average effect by week since a programme start (Callaway-Sant'Anna), never- and "
        "not-yet-started athletes as controls",
        "comparisons within calendar weeks",
        "cluster jackknife by athlete",
        "parallel trends of treated and control athletes; no anticipation; starts not caused by "
        "the outcome",
    ),
    (
        "fit_banister",
        "per athlete: gains and time constants of fitness and fatigue responses to each load",
        "none (the model is the time course)",
        "AR(1) residual bootstrap percentile intervals (cover about 91% under strong serial "
        "correlation); not identified fits are not reported",
        "responses add up linearly and decay exponentially; constant parameters over the series",
    ),
    (
        "power",
        "probability that the default analysis detects an assumed true effect (simulated studies)",
        "the simulated season trend and staggered starts, as the analysis adjusts",
        "Wilson interval of the simulated rejection rate (Monte-Carlo SE stated)",
        "the simulated design (effect, noise, AR(1), confounding) resembles the study",
    ),
)


def model_assumptions(models: Sequence[str] | None = None) -> pd.DataFrame:
    """The estimand, time adjustment, interval method and assumptions of each model's defaults.

    Parameters
    ----------
    models : sequence of str, optional
        Function names (``"fit_within_between"``, ``"power"``, ...), with or without ``sol.``;
        default all, in the documentation's order.

    Returns
    -------
    DataFrame
        Columns :data:`ASSUMPTION_COLUMNS`, one row per model, in the order asked.

    Raises
    ------
    ValueError
        For a name that is not in the table.

    Examples
    --------
    >>> model_assumptions(["sol.fit_fixed_effects"])["df / intervals"].iloc[0]
    'CR2 (OLS working model), Satterthwaite df (= clubSandwich)'
    """
    table = pd.DataFrame(list(_ROWS), columns=list(ASSUMPTION_COLUMNS))
    if models is None:
        return table
    names = [m.removeprefix("sol.") for m in models]
    unknown = sorted(set(names) - set(table["model"]))
    if unknown:
        raise ValueError(
            f"no assumptions listed for {', '.join(unknown)}; known: {', '.join(table['model'])}"
        )
    return table.set_index("model").loc[names].reset_index()


def assumptions_markdown(models: Sequence[str] | None = None) -> str:
    """:func:`model_assumptions` as a Markdown table (model names in backticks)."""
    table = model_assumptions(models)
    lines = ["| " + " | ".join(ASSUMPTION_COLUMNS) + " |", "|" + "---|" * len(ASSUMPTION_COLUMNS)]
    for row in table.itertuples(index=False):
        cells = [f"`{row[0]}`", *[str(v).replace("|", "\\|") for v in row[1:]]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
