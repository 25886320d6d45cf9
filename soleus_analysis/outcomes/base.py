"""The result type of the outcome models and the helpers they share.

Every fit in :mod:`soleus_analysis.outcomes` returns an :class:`OutcomeResult` (or a subclass
with a few more fields): the project's one result protocol
(:class:`soleus_analysis.models.result.ModelResult`): ``table``, ``notes``, ``raw``,
``n_athletes``, ``n_obs`` and ``effect(term)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from soleus_analysis.models.result import effect_row

__all__ = ["OutcomeResult", "design_matrix", "require_columns", "step_label", "steps_for"]


@dataclass(frozen=True)
class OutcomeResult:
    """A fitted outcome model.

    Attributes
    ----------
    table : pandas.DataFrame
        Tidy table: ``term``, ``estimate``, ``std_error``, ``ci_low``, ``ci_high``, ``p_value``,
        ``per`` (and ``df`` where a t reference is used), then model-specific columns.
    notes : tuple of str
        Plain sentences: the estimand in words, fallbacks, dropped rows, warnings.
    raw : Any
        The underlying fit (statsmodels result, or the package's own fit object).
    n_athletes, n_obs : int
        Athletes (clusters; 0 when the data have no athlete column) and rows used.
    """

    table: pd.DataFrame
    notes: tuple[str, ...]
    raw: Any = field(repr=False)
    n_athletes: int
    n_obs: int

    def effect(self, term: str) -> pd.Series:
        """One row of :attr:`table` (``KeyError`` naming the terms when absent)."""
        return effect_row(self.table, term)


def require_columns(data: pd.DataFrame, columns: Sequence[str | None], caller: str) -> None:
    """Raise a ``ValueError`` naming the columns of ``columns`` that ``data`` lacks."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{caller}: data must be a pandas DataFrame, not {type(data).__name__}")
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        raise ValueError(
            f"{caller}: the table has no column(s) {missing}; it has {list(data.columns)}. "
            "Pass the names of your columns as keywords."
        )


def steps_for(covariates: Sequence[str], steps: Mapping[str, float] | None) -> dict[str, float]:
    """The reporting step of each covariate (1 unless ``steps`` says otherwise)."""
    steps = dict(steps or {})
    unknown = [k for k in steps if k not in covariates]
    if unknown:
        raise ValueError(
            f"steps names column(s) {unknown} that are not among the covariates {list(covariates)}"
        )
    for name, value in steps.items():
        if not np.isfinite(value) or value == 0:
            raise ValueError(f"the step of {name!r} must be a non-zero number, got {value!r}")
    return {c: float(steps.get(c, 1.0)) for c in covariates}


def step_label(column: str, step: float) -> str:
    """``"+10 soleus_sets"``: the change that one row of a result table is per."""
    return f"+{step:g} {column}"


def design_matrix(
    data: pd.DataFrame, covariates: Sequence[str]
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """Numeric design matrix of ``covariates`` (no intercept), with dummy coding of categories.

    A numeric or boolean column enters as it is. A text or categorical column is coded as
    indicators of every level but the first (sorted, or the categorical's order), named
    ``column[T.level]`` as in patsy and R.

    Returns
    -------
    tuple
        The matrix (rows of ``data``, float), the column names, and a map from each column name
        to the covariate it came from.
    """
    parts: list[np.ndarray] = []
    names: list[str] = []
    origin: dict[str, str] = {}
    for col in covariates:
        values = data[col]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            parts.append(pd.to_numeric(values).to_numpy(dtype=float))
            names.append(col)
            origin[col] = col
            continue
        cat = values.astype("category")
        levels = list(cat.cat.categories)
        if not isinstance(values.dtype, pd.CategoricalDtype):
            levels = sorted(levels, key=str)
        for level in levels[1:]:
            name = f"{col}[T.{level}]"
            col_values = np.where(values.isna(), np.nan, (values == level).astype(float))
            parts.append(col_values)
            names.append(name)
            origin[name] = col
    matrix = np.column_stack(parts) if parts else np.empty((len(data), 0))
    return matrix, names, origin
