"""Sentences about estimates, generated from the numbers (never written by hand in a notebook).

A notebook that runs on any study cannot carry prose about one data set's results: the size and
direction of an estimate, whether its interval includes 0, whether its fit converged and what a
study lacks all change with the data. The functions here turn an estimate, its confidence
interval and its fit's status into one plain sentence, and a claim's estimates into a verdict.

Rules (the same everywhere):

- An interval that includes 0 is **no evidence** of a difference in either direction, however
  far the point estimate is from 0.
- An interval from a fit that did not converge is shown only with that warning and never counts
  as evidence.
- Estimates on a simulated study (one with a truth file) validate a method, never a claim.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import pandas as pd

__all__ = ["claim_verdicts", "describe_effect", "direction", "format_interval", "needs"]


def _missing(*values: float) -> bool:
    return any(v is None or (isinstance(v, float) and math.isnan(v))
               or pd.isna(v) for v in values)


def direction(estimate: float, ci_low: float, ci_high: float) -> str:
    """Which way an interval points.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        Point estimate and confidence limits (same units).

    Returns
    -------
    str
        ``"higher"`` (the whole interval above 0), ``"lower"`` (below 0), ``"unclear"`` (it
        includes 0) or ``"not estimated"`` (a value is missing).

    Examples
    --------
    >>> direction(0.03, -0.16, 0.23)
    'unclear'
    >>> direction(-0.29, -0.46, -0.12)
    'lower'
    """
    if _missing(estimate, ci_low, ci_high):
        return "not estimated"
    if ci_low > 0:
        return "higher"
    if ci_high < 0:
        return "lower"
    return "unclear"


def format_interval(estimate: float, ci_low: float, ci_high: float, *, unit: str = "",
                    level: float = 0.95, digits: int = 2) -> str:
    """``+0.03 points (95% CI -0.16 to +0.23)``: an estimate with its interval, signs shown.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
    unit : str, optional
        Appended to the estimate after a space (e.g. ``"s/km"``).
    level : float, default 0.95
    digits : int, default 2
        Decimals shown: round to what the interval can defend.

    Returns
    -------
    str

    Examples
    --------
    >>> format_interval(0.031, -0.164, 0.226, unit="points")
    '+0.03 points (95% CI -0.16 to +0.23)'
    """
    u = f" {unit}" if unit else ""
    if _missing(ci_low, ci_high):
        return f"{estimate:+.{digits}f}{u} (no interval)"
    return (f"{estimate:+.{digits}f}{u} ({level:.0%} CI {ci_low:+.{digits}f} to "
            f"{ci_high:+.{digits}f})")


def describe_effect(what: str, estimate: float, ci_low: float, ci_high: float, *,
                    unit: str = "", converged: bool = True, level: float = 0.95,
                    digits: int = 2, higher: str = "higher", lower: str = "lower") -> str:
    """One sentence on an estimate: its direction only when its interval excludes 0.

    Parameters
    ----------
    what : str
        What was estimated, e.g. ``"soreness after a strength day"``.
    estimate, ci_low, ci_high : float
    unit : str, optional
    converged : bool, default True
        Whether the fit converged. An unconverged fit's interval is shown with a warning and
        is not read as evidence.
    level : float, default 0.95
    digits : int, default 2
    higher, lower : str
        Words for a positive and a negative difference (e.g. ``"better"``, ``"worse"`` for a
        rating where higher is better).

    Returns
    -------
    str
        One sentence ending with a full stop.

    Examples
    --------
    >>> describe_effect("soreness after a strength day", 0.03, -0.16, 0.23, unit="points")
    'soreness after a strength day: +0.03 points (95% CI -0.16 to +0.23), no evidence of a difference.'
    >>> describe_effect("pace", -3.2, -5.4, -1.0, unit="s/km", lower="faster", digits=1)
    'pace: -3.2 s/km (95% CI -5.4 to -1.0), faster.'
    >>> describe_effect("fatigue", 0.2, 0.1, 0.3, converged=False)
    'fatigue: +0.20 (95% CI +0.10 to +0.30), from a fit that did not converge: not evidence.'
    """
    if _missing(estimate):
        return f"{what}: not estimated."
    text = format_interval(estimate, ci_low, ci_high, unit=unit, level=level, digits=digits)
    if not converged:
        return f"{what}: {text}, from a fit that did not converge: not evidence."
    verdict = {"higher": higher, "lower": lower}.get(direction(estimate, ci_low, ci_high),
                                                     "no evidence of a difference")
    return f"{what}: {text}, {verdict}."


def needs(what: str, missing: str, needed: str, *, plural: bool | None = None) -> str:
    """One sentence for a section the study cannot support: what is missing, what is needed.

    Parameters
    ----------
    what : str
        The section or analysis, e.g. ``"The fitness-fatigue fits"``.
    missing : str
        What this study lacks, e.g. ``"no athlete has 7 weeks with a pace and both loads"``.
    needed : str
        What would make it possible, e.g. ``"at least 7 such weeks for one athlete"``.
    plural : bool, optional
        Whether ``what`` is plural ("are skipped"); default: guessed from its last word
        (ending in "s" but not "ss").

    Returns
    -------
    str

    Examples
    --------
    >>> needs("The power curves", "the study has no easy-run pace", "weekly easy runs")
    'The power curves are skipped: the study has no easy-run pace; they need weekly easy runs.'
    """
    if plural is None:
        last = what.rstrip(" .)").split(" ")[-1]
        plural = last.endswith("s") and not last.endswith("ss")
    verb, pron = ("are", "they need") if plural else ("is", "it needs")
    return f"{what} {verb} skipped: {missing}; {pron} {needed}."


def claim_verdicts(estimates: pd.DataFrame, claims: Iterable[str], *, simulated: bool,
                   study: str = "this study") -> pd.DataFrame:
    """A verdict per claim, from the estimates of its outcomes on one study.

    Parameters
    ----------
    estimates : pandas.DataFrame
        One row per outcome modelled: ``claim``, ``outcome``, ``estimate``, ``ci_low``,
        ``ci_high``, ``converged`` (bool), and for a simulated study ``planted`` (NaN when
        nothing was planted).
    claims : iterable of str
        Every claim to give a verdict for (claims without estimates are "untested").
    simulated : bool
        The study has a truth file: its estimates validate methods, not claims.
    study : str
        The study's name, for the sentence.

    Returns
    -------
    pandas.DataFrame
        ``claim``, ``outcomes`` (modelled, comma-separated), ``verdict`` (a sentence).

    Examples
    --------
    >>> est = pd.DataFrame({"claim": ["fatigue"], "outcome": ["fatigue"], "estimate": [0.03],
    ...                     "ci_low": [-0.16], "ci_high": [0.23], "converged": [True]})
    >>> claim_verdicts(est, ["fatigue", "speed"], simulated=False)["verdict"].tolist()[0]
    'Real data (this study): no outcome differs detectably with the soleus dose (1 modelled). Untested as a cause: observational data.'
    """
    rows = []
    for claim in claims:
        mine = estimates.loc[estimates["claim"] == claim] if len(estimates) else estimates
        outcomes = ", ".join(mine["outcome"]) if len(mine) else ""
        if not len(mine):
            rows.append((claim, outcomes, f"No outcome of this claim could be modelled in "
                                          f"{study}. Untested here."))
            continue
        ok = mine.loc[mine["converged"].astype(bool)]
        dirs = [direction(e, a, b) for e, a, b in
                zip(ok["estimate"], ok["ci_low"], ok["ci_high"], strict=True)]
        unconverged = len(mine) - len(ok)
        tail = (f" {unconverged} fit(s) did not converge and are not counted."
                if unconverged else "")
        if simulated:
            planted = mine["planted"] if "planted" in mine else pd.Series(dtype=float)
            known = ok.loc[ok.get("planted", pd.Series(index=ok.index, dtype=float)).notna()]
            covered = int(((known["ci_low"] <= known["planted"])
                           & (known["planted"] <= known["ci_high"])).sum())
            text = (f"Simulated ({study}): {covered} of {len(known)} intervals contain the "
                    f"planted value; this validates the method, not the claim. Untested on "
                    "real athletes.")
            if planted.isna().all():
                text = (f"Simulated ({study}): nothing planted to compare with; this says "
                        "nothing about real athletes.")
        else:
            moved = [f"{o} {d}" for o, d in zip(ok["outcome"], dirs, strict=True)
                     if d in ("higher", "lower")]
            if moved:
                text = (f"Real data ({study}): {'; '.join(moved)} with more soleus work "
                        f"({len(moved)} of {len(ok)} outcomes modelled). An association, not "
                        "an effect: observational data.")
            else:
                text = (f"Real data ({study}): no outcome differs detectably with the soleus "
                        f"dose ({len(ok)} modelled). Untested as a cause: observational data.")
        rows.append((claim, outcomes, text + tail))
    return pd.DataFrame(rows, columns=["claim", "outcomes", "verdict"])
