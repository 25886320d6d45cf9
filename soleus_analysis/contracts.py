"""Which canonical table a function takes, and which of its columns it needs.

A function that takes a canonical table (see :mod:`soleus_analysis.schemas`) declares it with
:func:`takes_table`: the argument, the table, and the columns it cannot do without. Each call
then checks that the argument is a DataFrame with those columns (presence only, not a
validation: the cost does not grow with the rows) and raises one error,
:class:`~soleus_analysis.errors.InputError`, naming the function, the table, the missing columns,
what the frame has and the fix. The declarations are kept in a registry
(:func:`table_contracts`) so that the tests can hold every declared column to the table's schema
and every declaring function's docstring to its declaration.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from soleus_analysis.errors import InputError
from soleus_analysis.schemas import TABLES

__all__ = ["TableContract", "require_table", "table_contracts", "takes_table"]

#: How many of a frame's columns an error message lists (a panel has hundreds).
_SHOWN = 20


@dataclass(frozen=True)
class TableContract:
    """One argument of one function that takes a canonical table.

    Attributes
    ----------
    function : str
        The function's full name (``soleus_analysis.dose.soleus_dose``).
    argument : str
        The parameter that takes the table.
    table : str
        One of :data:`soleus_analysis.schemas.TABLES`.
    columns : tuple of str
        The table's columns the function needs.
    named_by : tuple of str
        Parameters whose values name further needed columns (``group=``, ``outcomes=``): the
        caller chooses them, so they are checked at call time but not held to the schema.
    optional : bool
        Whether the argument may be None.
    """

    function: str
    argument: str
    table: str
    columns: tuple[str, ...]
    named_by: tuple[str, ...] = ()
    optional: bool = False


_REGISTRY: list[TableContract] = []


def table_contracts() -> tuple[TableContract, ...]:
    """Every declaration made with :func:`takes_table` so far (by the modules imported).

    Examples
    --------
    >>> import soleus_analysis
    >>> [c.columns for c in table_contracts() if c.function.endswith("run_metrics")]
    [('athlete_id', 'start')]
    """
    return tuple(_REGISTRY)


def _listed(names: Sequence[object]) -> str:
    shown = ", ".join(map(str, list(names)[:_SHOWN]))
    more = len(names) - _SHOWN
    return shown + (f" and {more} more" if more > 0 else "") if shown else "no columns"


def require_table(
    frame: object,
    table: str,
    columns: Sequence[str],
    *,
    caller: str,
    argument: str | None = None,
    named_by: Sequence[str] = (),
) -> pd.DataFrame:
    """Check that ``frame`` is a DataFrame with ``columns``; return it.

    Parameters
    ----------
    frame : object
        What the caller was given.
    table : str
        The canonical table it should be.
    columns : sequence of str
        The columns the caller needs.
    caller : str
        The function's name, for the message.
    argument : str, optional
        The parameter that took ``frame``, when its name differs from ``table``.
    named_by : sequence of str
        Parameters that named some of ``columns``; the fix then mentions them.

    Returns
    -------
    DataFrame
        ``frame``.

    Raises
    ------
    TypeError
        When ``frame`` is not a DataFrame.
    InputError
        When ``frame`` lacks a column of ``columns``.

    Examples
    --------
    >>> import textwrap
    >>> try:
    ...     require_table(pd.DataFrame({"athlete_id": ["a"]}), "runs", ["athlete_id", "start"],
    ...                   caller="run_metrics")
    ... except InputError as err:
    ...     print(textwrap.fill(str(err), 90))
    run_metrics(): the runs table lacks the column(s) start (it has: athlete_id). Fix: pass a
    validated runs table (sol.validate(df, 'runs').valid); `soleus schema runs` lists its
    canonical column names.
    """
    passed = "" if argument in (None, table) else f" passed as {argument}"
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            f"{caller}(): {argument or table} must be a pandas DataFrame (a canonical {table} "
            f"table), not {type(frame).__name__}"
        )
    have = frame.columns
    missing = [c for c in columns if c not in have]
    if missing:
        fix = (
            f"pass a validated {table} table (sol.validate(df, '{table}').valid); "
            f"`soleus schema {table}` lists its canonical column names"
        )
        if named_by:
            fix += f"; or name columns it has with {'= or '.join(named_by)}="
        raise InputError(
            f"{caller}(): the {table} table{passed} lacks the column(s) {', '.join(missing)} "
            f"(it has: {_listed(have)})",
            fix=fix,
        )
    return frame


def _names(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _getter(signature: inspect.Signature, name: str) -> Callable[[tuple, dict], object]:
    """A function reading parameter ``name`` from a call's positional and keyword arguments."""
    try:
        parameter = signature.parameters[name]
    except KeyError:
        raise ValueError(f"the function has no parameter {name!r}") from None
    default = None if parameter.default is inspect.Parameter.empty else parameter.default
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    position = list(signature.parameters).index(name) if parameter.kind in positional else None

    def get(args: tuple, kwargs: dict) -> object:
        if name in kwargs:
            return kwargs[name]
        if position is not None and position < len(args):
            return args[position]
        return default

    return get


def takes_table(
    table: str,
    columns: Sequence[str],
    *,
    argument: str | None = None,
    named_by: Sequence[str] = (),
    optional: bool | None = None,
) -> Callable[[Callable], Callable]:
    """Declare that a function takes a canonical table and needs some of its columns.

    Every call checks the argument with :func:`require_table` before the function runs.
    Decorators stacked on one function add to one check (the topmost is checked first).

    Parameters
    ----------
    table : str
        One of :data:`soleus_analysis.schemas.TABLES`.
    columns : sequence of str
        Columns of that table's schema the function needs (the tests hold them to the schema).
    argument : str, optional
        The parameter that takes the table; default: the table's name.
    named_by : sequence of str
        Parameters whose values (a column name or a sequence of them) name further needed
        columns.
    optional : bool, optional
        Whether None is accepted; default: when the parameter's default is None.

    Returns
    -------
    callable
        A decorator; the decorated function keeps its name, signature and docstring.

    Examples
    --------
    :func:`soleus_analysis.run_metrics` is declared with
    ``@takes_table("runs", ["athlete_id", "start"])``:

    >>> import textwrap
    >>> from soleus_analysis import InputError, run_metrics
    >>> try:
    ...     run_metrics(pd.DataFrame({"start": [pd.Timestamp("2024-05-06", tz="UTC")]}))
    ... except InputError as err:
    ...     print(textwrap.fill(str(err), 90))
    run_metrics(): the runs table lacks the column(s) athlete_id (it has: start). Fix: pass a
    validated runs table (sol.validate(df, 'runs').valid); `soleus schema runs` lists its
    canonical column names.
    """
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; choose one of {', '.join(TABLES)}")
    argument = argument or table

    def decorate(fn: Callable) -> Callable:
        inner = getattr(fn, "__table_checks__", None)
        target = inspect.unwrap(fn) if inner is not None else fn
        signature = inspect.signature(target)
        get = _getter(signature, argument)
        named = [_getter(signature, name) for name in named_by]
        allow_none = (
            signature.parameters[argument].default is None if optional is None else optional
        )
        contract = TableContract(
            function=f"{target.__module__}.{target.__qualname__}",
            argument=argument,
            table=table,
            columns=tuple(columns),
            named_by=tuple(named_by),
            optional=allow_none,
        )
        _REGISTRY.append(contract)
        caller = target.__name__

        def check(args: tuple, kwargs: dict) -> None:
            frame = get(args, kwargs)
            if frame is None and allow_none:
                return
            needed = contract.columns
            for name in named:
                needed = needed + _names(name(args, kwargs))
            require_table(frame, table, needed, caller=caller, argument=argument,
                          named_by=contract.named_by)

        if inner is not None:  # one wrapper per function: the topmost declaration checks first
            inner.insert(0, check)
            return fn
        checks = [check]

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            for one in checks:
                one(args, kwargs)
            return fn(*args, **kwargs)

        wrapper.__table_checks__ = checks
        return wrapper

    return decorate
