"""Sentences about a study and its results, computed from the data, for the notebooks.

A notebook runs on any study folder, from one athlete up: the shipped simulated demo cohort or
a user's own exports. What its text says about the data (how many athletes, who they are,
whether the data are simulated, what an estimate shows, whether a fit converged, what a section
lacks) must therefore come from the data, not from a markdown cell written for one data set.
These helpers write those sentences, so that the notebooks stay thin:

- :func:`is_simulated`, :func:`describe_study`: what the study is (simulated only when the
  folder holds the simulator's ``truth.json``, the file :func:`soleus_analysis.read_truth` reads);
- :func:`shortfall`: ``None`` when a section's data requirement is met, else one sentence saying
  what is missing and what would be needed;
- :func:`attempt`: run a model fit, returning a sentence instead of a traceback when the data
  cannot support it;
- :func:`fit_status`, :func:`effect_sentence`: whether a fit converged, and what an estimate
  says (direction, size, interval), flagged when it comes from an unconverged fit;
- :func:`round_sig`, :func:`format_number`: significant-digit rounding of what is shown, so that
  printed numbers do not change with the CPU or BLAS threads;
- :func:`read_settings`: the time zone and units ``soleus build`` uses for one export.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from soleus_analysis.readers.folder import athlete_setting, read_athletes
from soleus_analysis.simulation.truth import read_truth

__all__ = [
    "attempt",
    "describe_study",
    "effect_sentence",
    "fit_status",
    "format_number",
    "is_simulated",
    "missing",
    "name_list",
    "read_settings",
    "round_sig",
    "shortfall",
    "try_fit",
]


def is_simulated(raw_dir: str | PathLike[str]) -> bool:
    """Whether a study folder is a simulated cohort with a known answer.

    A folder is simulated when it holds the simulator's ``truth.json`` (what
    :func:`soleus_analysis.read_truth` reads); a folder of real exports has none, so nothing in
    a notebook may call its data simulated.

    Parameters
    ----------
    raw_dir : path
        The study folder.

    Returns
    -------
    bool

    Examples
    --------
    >>> is_simulated("no/such/folder")
    False
    """
    return read_truth(raw_dir).known


def name_list(names: Iterable[Any], *, limit: int = 6) -> str:
    """Names as an English list: ``"a"``, ``"a and b"``, ``"a, b and c"``, ``"a, ... and 4 more"``.

    Parameters
    ----------
    names : iterable
        Items shown with ``str``, in the order given (duplicates kept).
    limit : int, default 6
        Most names shown; the rest are counted.

    Returns
    -------
    str
        ``"none"`` for no names.

    Examples
    --------
    >>> name_list(["p03", "p05", "ada"])
    'p03, p05 and ada'
    >>> name_list([f"A{i}" for i in range(10)], limit=3)
    'A0, A1, A2 and 7 more'
    """
    items = [str(n) for n in names]
    if not items:
        return "none"
    if len(items) > limit:
        return f"{', '.join(items[:limit])} and {len(items) - limit} more"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def missing(section: str, needs: str, has: str) -> str:
    """The one sentence a notebook prints when it skips a section: what it needs, what it has.

    Parameters
    ----------
    section : str
        What is skipped.
    needs : str
        What the section would need (a noun phrase).
    has : str
        What the study has instead.

    Returns
    -------
    str

    Examples
    --------
    >>> missing("the worked example", "an athlete with a soleus programme", "none")
    'Skipped the worked example: it needs an athlete with a soleus programme; this study has none.'
    """
    return f"Skipped {section}: it needs {needs}; this study has {has}."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def describe_study(
    panel: pd.DataFrame,
    raw_dir: str | PathLike[str],
    *,
    name: str | None = None,
    group: str = "athlete_id",
    time: str = "week_start",
) -> str:
    """One sentence on what a study holds: athletes, weeks, dates, and whether it is simulated.

    Parameters
    ----------
    panel : pandas.DataFrame
        The athlete-week panel (``study.panel``).
    raw_dir : path
        The study folder (checked for a simulator's truth file).
    name : str, optional
        The study's name (default: the folder's name).
    group, time : str
        Athlete and week columns of ``panel``.

    Returns
    -------
    str

    Examples
    --------
    >>> p = pd.DataFrame({"athlete_id": ["a", "a", "b"],
    ...                   "week_start": pd.to_datetime(["2024-01-01", "2024-01-08", "2020-03-02"])})
    >>> print(describe_study(p, "no/such/folder", name="mine"))  # doctest: +NORMALIZE_WHITESPACE
    mine: 2 athletes (a and b), 3 athlete-weeks from 2020-03-02 to 2024-01-08; real exports
    (no truth.json): there is no planted answer to compare with.
    """
    label = name or Path(raw_dir).resolve().name
    athletes = sorted(panel[group].dropna().astype(str).unique())
    weeks = pd.to_datetime(panel[time])
    span = (f" from {weeks.min():%Y-%m-%d} to {weeks.max():%Y-%m-%d}" if len(weeks) else "")
    counts = (f"{_plural(len(athletes), 'athlete')} ({name_list(athletes)}), "
              f"{_plural(len(panel), 'athlete-week')}{span}")
    truth = read_truth(raw_dir)
    if truth.known:
        return (f"{label}: {counts}; SIMULATED data (truth.json, seed {truth.seed}), not real "
                "athletes: the planted answer is known, and results are compared with it.")
    return (f"{label}: {counts}; real exports (no truth.json): there is no planted answer to "
            "compare with.")


def shortfall(
    panel: pd.DataFrame,
    *,
    columns: Sequence[str],
    section: str,
    min_athletes: int = 1,
    min_weeks: int = 1,
    vary: Sequence[str] = (),
    group: str = "athlete_id",
) -> str | None:
    """Whether a section's data requirement is met; if not, one sentence saying what is missing.

    An athlete *qualifies* when at least ``min_weeks`` of their rows have every column of
    ``columns`` present and, for each column of ``vary``, more than one distinct value over
    those rows (a within-athlete effect needs the exposure to change within an athlete). The
    requirement is met when at least ``min_athletes`` athletes qualify.

    Parameters
    ----------
    panel : pandas.DataFrame
        Long table, one row per athlete and period.
    columns : sequence of str
        Columns every counted row needs (a column the table lacks counts as missing in every row).
    section : str
        What is skipped, for the sentence (e.g. ``"the lagged model"``).
    min_athletes, min_weeks : int
        Athletes that must qualify, and rows each needs.
    vary : sequence of str
        Columns that must change within a qualifying athlete.
    group : str
        Athlete column.

    Returns
    -------
    str or None
        None when the requirement is met, else a sentence naming the section, what it needs and
        what the study has.

    Examples
    --------
    >>> p = pd.DataFrame({"athlete_id": ["a"] * 3 + ["b"] * 3,
    ...                   "pace": [300, 301, 299, None, 310, None],
    ...                   "sets": [0, 5, 10, 4, 4, 4]})
    >>> shortfall(p, columns=["pace", "sets"], section="the model", min_athletes=2,
    ...           min_weeks=2, vary=["sets"]) # doctest: +NORMALIZE_WHITESPACE
    'Skipped the model: it needs at least 2 athletes with pace and sets in at least 2 weeks each,
    sets changing from week to week; this study has 1 (a).'
    >>> shortfall(p, columns=["pace"], section="the model") is None
    True
    """
    qualifying = _qualifying(panel, columns, min_weeks, vary, group)
    if len(qualifying) >= min_athletes:
        return None
    needs = f"at least {_plural(min_athletes, 'athlete')}" if min_athletes > 1 else "an athlete"
    has = name_list(columns, limit=len(columns)) if columns else "data"
    weeks = f" in at least {min_weeks} weeks each" if min_weeks > 1 else ""
    changing = (f", {' and '.join(vary)} changing from week to week" if vary else "")
    found = f"{len(qualifying)} ({name_list(qualifying)})" if qualifying else "none"
    absent = [c for c in columns if c not in panel.columns]
    lacking = f" (it has no column {' or '.join(absent)})" if absent else ""
    return missing(section, f"{needs} with {has}{weeks}{changing}", f"{found}{lacking}")


def _qualifying(
    panel: pd.DataFrame, columns: Sequence[str], min_weeks: int, vary: Sequence[str], group: str
) -> list[str]:
    if any(c not in panel.columns for c in [*columns, *vary]) or panel.empty:
        return []
    rows = panel.loc[panel[list(columns)].notna().all(axis=1)] if columns else panel
    out = []
    for athlete, part in rows.groupby(group, sort=True):
        if len(part) < min_weeks:
            continue
        if any(part[c].nunique(dropna=True) < 2 for c in vary):
            continue
        out.append(str(athlete))
    return out


def attempt(
    fit: Callable[..., Any], *args: Any, section: str, **kwargs: Any
) -> tuple[Any, str | None]:
    """Run a model fit; when the data cannot support it, return a sentence instead of raising.

    The package's fits raise :class:`ValueError` with a sentence when the data cannot identify
    the model (one athlete, an exposure that never changes within an athlete, no rows left), and
    a numerical solver may raise :class:`numpy.linalg.LinAlgError` on a singular design. Both
    become ``(None, sentence)``; any other error is a bug and propagates.

    Parameters
    ----------
    fit : callable
        The model function, e.g. ``sol.fit_within_between``.
    *args, **kwargs
        Passed to ``fit``.
    section : str
        What was attempted, for the sentence.

    Returns
    -------
    (result, None) or (None, str)

    Examples
    --------
    >>> def needs_two(n):
    ...     if n < 2:
    ...         raise ValueError("needs two athletes. Fix: add athletes")
    ...     return n
    >>> attempt(needs_two, 3, section="the model")
    (3, None)
    >>> attempt(needs_two, 1, section="the model")[1]
    'Could not fit the model with these data: needs two athletes. Fix: add athletes'
    """
    try:
        return fit(*args, **kwargs), None
    except np.linalg.LinAlgError as exc:
        return None, (f"Could not fit {section} with these data: the design is singular ({exc}); "
                      "it needs more athletes or more weeks in which the exposure changes.")
    except ValueError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None, f"Could not fit {section} with these data: {first}"


def try_fit(
    fit: Callable[..., Any],
    data: pd.DataFrame,
    *,
    section: str,
    columns: Sequence[str] = (),
    min_athletes: int = 1,
    min_weeks: int = 1,
    vary: Sequence[str] = (),
    group: str = "athlete_id",
    **options: Any,
) -> tuple[Any, str | None]:
    """Fit a model when the data meet its requirement: :func:`shortfall`, then :func:`attempt`.

    Parameters
    ----------
    fit : callable
        The model function, called as ``fit(data, **options)``.
    data : pandas.DataFrame
        The panel.
    section : str
        The model's name, for the sentence.
    columns, min_athletes, min_weeks, vary, group
        The requirement, as in :func:`shortfall`.
    **options
        Passed to ``fit``.

    Returns
    -------
    (result, None) or (None, str)
        The sentence says what is missing, or why the fit failed.

    Examples
    --------
    >>> p = pd.DataFrame({"athlete_id": ["a", "a"], "sets": [1.0, 2.0]})
    >>> try_fit(lambda d: len(d), p, section="the model", columns=["sets"], min_athletes=2)[1]
    'Skipped the model: it needs at least 2 athletes with sets; this study has 1 (a).'
    >>> try_fit(lambda d: len(d), p, section="the model", columns=["sets"])
    (2, None)
    """
    why = shortfall(data, columns=columns, section=section, min_athletes=min_athletes,
                    min_weeks=min_weeks, vary=vary, group=group)
    if why:
        return None, why
    return attempt(fit, data, section=section, **options)


def fit_status(fit: Any, *, section: str = "the model") -> str:
    """One sentence on whether a fit converged, from its ``converged`` attribute.

    Parameters
    ----------
    fit : model result
        Any result with a ``converged`` attribute (results without one are taken as converged,
        as closed-form fits are), ``n_athletes`` and ``n_obs``.
    section : str
        The model's name, for the sentence.

    Returns
    -------
    str

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> print(fit_status(SimpleNamespace(converged=False, n_athletes=3, n_obs=40)))
    ... # doctest: +NORMALIZE_WHITESPACE
    the model (3 athletes, 40 rows) did NOT converge: its estimates are shown for reference only
    and should not be reported.
    """
    size = f" ({_plural(int(fit.n_athletes), 'athlete')}, {_plural(int(fit.n_obs), 'row')})"
    if getattr(fit, "converged", True):
        return f"{section}{size} converged."
    return (f"{section}{size} did NOT converge: its estimates are shown for reference only and "
            "should not be reported.")


def round_sig(values: Any, digits: int = 2) -> Any:
    """Round to ``digits`` significant digits: a number, a Series or a DataFrame's numeric columns.

    What a notebook shows is rounded to what the data can support, so that the last digits of a
    fit (which move with the CPU, the BLAS library and its threads) never reach a checked output.

    Parameters
    ----------
    values : float, pandas.Series or pandas.DataFrame
        Non-numeric columns and missing values are left as they are.
    digits : int, default 2

    Returns
    -------
    The same type, rounded.

    Examples
    --------
    >>> round_sig(-4.1234), round_sig(0.012345, 3), round_sig(1234.5)
    (-4.1, 0.0123, 1200.0)
    >>> round_sig(pd.DataFrame({"t": ["a"], "x": [3.14159]}))["x"].tolist()
    [3.1]
    """
    if isinstance(values, pd.DataFrame):
        out = values.copy()
        for col in out.columns:
            if pd.api.types.is_float_dtype(out[col]):
                out[col] = round_sig(out[col], digits)
        return out
    if isinstance(values, pd.Series):
        return values.map(lambda v: round_sig(v, digits)).astype(values.dtype)
    if values is None or pd.isna(values) or not math.isfinite(float(values)):
        return values
    return float(f"{float(values):.{digits}g}") + 0.0  # no negative zero


def format_number(value: float, digits: int = 2, *, sign: bool = True) -> str:
    """A number at ``digits`` significant digits as text (``+`` shown by default).

    Examples
    --------
    >>> format_number(-4.127), format_number(0.03), format_number(12.6, sign=False)
    ('-4.1', '+0.03', '13')
    """
    x = round_sig(float(value), digits)
    if pd.isna(x):
        return "n/a"
    text = np.format_float_positional(x, trim="-")
    return f"+{text}" if sign and x > 0 else text


def effect_sentence(
    row: pd.Series,
    *,
    change: str,
    outcome: str,
    unit: str,
    better: str | None = None,
    converged: bool = True,
    digits: int = 2,
) -> str:
    """What an estimate says, in words: direction, size and 95% interval, from the numbers.

    Parameters
    ----------
    row : pandas.Series
        ``estimate``, ``ci_low``, ``ci_high`` (one row of a result table).
    change : str
        The contrast, e.g. ``"+10 soleus sets a week"``.
    outcome : str
        The outcome's name, e.g. ``"easy pace"``.
    unit : str
        Its unit, e.g. ``"s/km"``.
    better : {"lower", "higher", None}
        Which direction is better, to name it ("faster", "fresher" are the caller's words; here
        "better"/"worse"); None says only up or down.
    converged : bool, default True
        False adds that the fit did not converge and the estimate is not to be reported.
    digits : int, default 2
        Significant digits shown.

    Returns
    -------
    str

    Examples
    --------
    >>> r = pd.Series({"estimate": -4.13, "ci_low": -6.2, "ci_high": -2.05})
    >>> print(effect_sentence(r, change="+10 soleus sets a week", outcome="easy pace",
    ...                       unit="s/km", better="lower"))  # doctest: +NORMALIZE_WHITESPACE
    +10 soleus sets a week goes with a lower easy pace (better): -4.1 s/km (95% CI -6.2 to -2),
    an interval that excludes 0.
    >>> r = pd.Series({"estimate": 0.03, "ci_low": -0.16, "ci_high": 0.23})
    >>> print(effect_sentence(r, change="+10 sets", outcome="soreness", unit="points"))
    ... # doctest: +NORMALIZE_WHITESPACE
    +10 sets goes with a higher soreness: +0.03 points (95% CI -0.16 to +0.23), but the interval
    includes 0: the direction is not clear from these data.
    """
    est, low, high = (float(row[k]) for k in ("estimate", "ci_low", "ci_high"))
    if not np.isfinite(est):
        return f"No estimate of {change} on {outcome} could be computed from these data."
    numbers = (f"{format_number(est, digits)} {unit} (95% CI {format_number(low, digits)} to "
               f"{format_number(high, digits)})")
    if est == 0:
        direction = f"no change in {outcome}"
    else:
        way = "lower" if est < 0 else "higher"
        verdict = ""
        if better in ("lower", "higher"):
            verdict = " (better)" if way == better else " (worse)"
        direction = f"a {way} {outcome}{verdict}"
    clear = np.isfinite(low) and np.isfinite(high) and (low > 0 or high < 0)
    tail = (", an interval that excludes 0." if clear
            else ", but the interval includes 0: the direction is not clear from these data.")
    text = f"{change} goes with {direction}: {numbers}{tail}"
    if not converged:
        text += " The fit did NOT converge: do not report this estimate."
    return text


def read_settings(raw_dir: str | PathLike[str], path: str | PathLike[str]) -> dict[str, Any]:
    """The options ``soleus build`` reads one export of a study folder with.

    The athlete is the export's first-level folder; the time zone, weight unit and distance unit
    come from the study's ``athletes.csv`` exactly as :func:`soleus_analysis.read_folder` takes
    them (missing settings are None: the reader's default, UTC for the zone).

    Parameters
    ----------
    raw_dir : path
        The study folder.
    path : path
        The export, relative to ``raw_dir`` or absolute inside it.

    Returns
    -------
    dict
        ``athlete_id``, ``tz``, ``weight_unit``, ``distance_unit``: keyword arguments for
        :func:`soleus_analysis.read`.

    Examples
    --------
    >>> read_settings("no/such/folder", "ada/strong.csv")
    {'athlete_id': 'ada', 'tz': 'UTC', 'weight_unit': None, 'distance_unit': None}
    """
    root = Path(raw_dir)
    rel = Path(path)
    if rel.is_absolute():
        rel = rel.resolve().relative_to(root.resolve())
    athlete = rel.parts[0] if len(rel.parts) > 1 else None
    table = read_athletes(root, None) if root.is_dir() else None
    setting = (lambda col: athlete_setting(table, athlete, col) if athlete else None)  # noqa: E731
    return {"athlete_id": athlete, "tz": setting("timezone") or "UTC",
            "weight_unit": setting("weight_unit"), "distance_unit": setting("distance_unit")}
