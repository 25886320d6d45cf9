"""Errors raised on user input.

Every error the package raises about a user's data says *what* was wrong, *where* (file, row,
column) and *how to fix it*. The command line prints such errors as one line and exits with status
2; the Python API raises them as ordinary ``ValueError`` subclasses so that callers can catch them.
"""

from __future__ import annotations

from os import PathLike

__all__ = ["InputError", "MissingUnitError", "UnknownSourceError"]


class InputError(ValueError):
    """Input that cannot be used at all (missing file, empty file, missing columns, bad encoding).

    Parameters
    ----------
    problem : str
        What is wrong, in one sentence.
    path : str or PathLike, optional
        The file concerned.
    row : int, optional
        The 1-based line of the file (the header is line 1).
    column : str, optional
        The column concerned.
    fix : str, optional
        What the user should do about it.

    Examples
    --------
    >>> err = InputError("no 'Reps' column", path="log.csv", fix="export again with sets")
    >>> str(err)
    "log.csv: no 'Reps' column. Fix: export again with sets."
    """

    def __init__(
        self,
        problem: str,
        *,
        path: str | PathLike[str] | None = None,
        row: int | None = None,
        column: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = None if path is None else str(path)
        self.row = row
        self.column = column
        self.fix = fix
        super().__init__(self._message())

    def _message(self) -> str:
        where = []
        if self.path is not None:
            where.append(self.path)
        if self.row is not None:
            where.append(f"line {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        text = (", ".join(where) + ": " if where else "") + self.problem.rstrip(".") + "."
        if self.fix:
            text += " Fix: " + self.fix.rstrip(".") + "."
        return text


class MissingUnitError(InputError):
    """A file holds a measure (weight, distance) whose unit it does not state."""


class UnknownSourceError(InputError):
    """``sol.read`` could not tell which app exported a file."""
