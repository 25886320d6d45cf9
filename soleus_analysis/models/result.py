"""The one result protocol every model returns, and the tidy-table helpers it is built from.

Every fitted model in the package (mixed, within-between, fixed effects, GEE, distributed lags,
event study, Banister, rmcorr, ordinal, injury and reliability models) returns an object with:

- ``table``: a tidy :class:`pandas.DataFrame` with at least the columns :data:`TABLE_COLUMNS`
  (``term``, ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``p_value``, ``per``); models
  with small-sample inference add ``df`` (the reference distribution's degrees of freedom, ``inf``
  for a z test) and may add others after these;
- ``notes``: a tuple of plain-language sentences (the estimand, fallbacks, dropped rows,
  warnings turned into words);
- ``raw``: the underlying statsmodels (or other library) result;
- ``n_athletes`` and ``n_obs``: athletes (clusters) and rows used;
- ``effect(term)``: one row of ``table`` as a :class:`pandas.Series`, ``KeyError`` naming the
  terms when absent.

:class:`ModelResult` states that protocol for type checkers and ``isinstance`` checks;
:func:`effect_row` and :func:`wald_columns` are the shared building blocks.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["TABLE_COLUMNS", "ModelResult", "effect_row", "wald_columns"]

TABLE_COLUMNS = ("term", "estimate", "std_error", "ci_low", "ci_high", "p_value", "per")


@runtime_checkable
class ModelResult(Protocol):
    """What every fitted model returns (see the module docstring)."""

    table: pd.DataFrame
    notes: tuple[str, ...]
    n_athletes: int
    n_obs: int

    @property
    def raw(self) -> Any: ...  # pragma: no cover

    def effect(self, term: str) -> pd.Series: ...  # pragma: no cover


def effect_row(table: pd.DataFrame, term: str) -> pd.Series:
    """The row of a tidy result table whose ``term`` is ``term``.

    Parameters
    ----------
    table : pandas.DataFrame
        A result table with a ``term`` column.
    term : str
        The term to look up.

    Returns
    -------
    pandas.Series
        That row (its index holds the table's columns).

    Raises
    ------
    KeyError
        If no row has that term; the message lists the terms there are.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"term": ["within", "between"], "estimate": [-2.0, 1.0]})
    >>> float(effect_row(t, "between")["estimate"])
    1.0
    """
    hit = table.loc[table["term"] == term]
    if hit.empty:
        raise KeyError(f"no term {term!r}; terms are {list(table['term'])}")
    return hit.iloc[0]


def wald_columns(
    est: np.ndarray, se: np.ndarray, level: float, *, df: Any = None
) -> dict[str, np.ndarray]:
    """Columns ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``p_value`` (and ``df``).

    Intervals ``est +- q * se`` at ``level`` and two-sided p-values of ``est / se``, against a
    standard normal (``df=None``) or a t distribution with ``df`` degrees of freedom (a number, or
    one per estimate; ``inf`` is the normal).

    Parameters
    ----------
    est, se : array_like
        Estimates and standard errors.
    level : float
        Confidence level, e.g. 0.95.
    df : float or array_like, optional
        Degrees of freedom of the reference t distribution. When given, a ``df`` column is
        returned too.

    Returns
    -------
    dict of str to numpy.ndarray

    Examples
    --------
    >>> out = wald_columns([1.0], [0.5], 0.95, df=[10])
    >>> round(float(out["ci_high"][0]), 4), round(float(out["p_value"][0]), 4)
    (2.1141, 0.0734)
    """
    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    if df is None:
        q = stats.norm.ppf(0.5 + level / 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            p = 2 * stats.norm.sf(np.abs(est / se))
        return {"estimate": est, "std_error": se, "ci_low": est - q * se,
                "ci_high": est + q * se, "p_value": p}
    dfs = np.broadcast_to(np.asarray(df, dtype=float), est.shape).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        q = stats.t.ppf(0.5 + level / 2, dfs)
        p = 2 * stats.t.sf(np.abs(est / se), dfs)
    return {"estimate": est, "std_error": se, "ci_low": est - q * se, "ci_high": est + q * se,
            "p_value": p, "df": dfs}
