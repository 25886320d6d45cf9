"""The options of a build, checked once before anything is read or written."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from soleus_analysis.catalog import ExerciseCatalog, resolve_catalog
from soleus_analysis.errors import InputError
from soleus_analysis.loads import ewma_lambda
from soleus_analysis.readers.mapping import ColumnMapping

__all__ = ["BuildOptions"]

#: Acute and chronic load windows [days] of the panel's EWMA columns.
ACUTE_DAYS, CHRONIC_DAYS = 7, 28


@dataclass(frozen=True)
class BuildOptions:
    """What a build computes (the same for every engine).

    Attributes
    ----------
    tz : str
        Zone of timestamps and rows that state none.
    lags : tuple of int
        Weeks by which the panel's exposures are lagged.
    ewma : str
        EWMA convention of acute and chronic load.
    catalog : ExerciseCatalog
    catalog_given : bool
        False for the shipped catalog.
    min_coverage : float
    max_gap_days : int or None
    mappings : tuple of ColumnMapping
        Column mappings of spreadsheets no reader recognises (``--columns`` first, then the
        study folder's ``mapping.toml``).
    """

    tz: str
    lags: tuple[int, ...]
    ewma: str
    catalog: ExerciseCatalog
    catalog_given: bool
    min_coverage: float
    max_gap_days: int | None
    mappings: tuple[ColumnMapping, ...] = ()

    @classmethod
    def make(
        cls,
        *,
        tz: str = "UTC",
        lags: Sequence[int] = (1, 2, 3, 4),
        ewma: str = "williams",
        catalog: ExerciseCatalog | str | PathLike[str] | None = None,
        min_coverage: float = 5 / 7,
        max_gap_days: int | None = 14,
        mappings: Sequence[ColumnMapping] = (),
    ) -> BuildOptions:
        """Check the options and load the catalog.

        Raises
        ------
        ValueError
            An unknown EWMA convention or a lag that is not a positive whole number.
        InputError
            An unknown time zone, or a catalog that cannot be read.
        """
        ewma_lambda(ACUTE_DAYS, ewma)  # an unknown convention fails here
        try:
            ZoneInfo(str(tz))
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(
                f"unknown time zone {tz!r}",
                fix="give an IANA zone such as 'Europe/Oslo' or 'UTC' (--tz)",
            ) from None
        checked = []
        for k in lags:
            if isinstance(k, bool) or not float(k).is_integer() or int(k) < 1:
                raise ValueError(f"lags must be positive whole numbers of weeks, got {k!r}")
            checked.append(int(k))
        return cls(
            tz=str(tz),
            lags=tuple(checked),
            ewma=ewma,
            catalog=resolve_catalog(catalog),
            catalog_given=catalog is not None,
            min_coverage=float(min_coverage),
            max_gap_days=max_gap_days,
            mappings=tuple(mappings),
        )

    def parameters(self) -> dict:
        """The parameters a build report records."""
        return {
            "tz": self.tz,
            "ewma_convention": self.ewma,
            "acute_days": ACUTE_DAYS,
            "chronic_days": CHRONIC_DAYS,
            "lags": list(self.lags),
            "min_coverage": self.min_coverage,
            "max_gap_days": self.max_gap_days,
            "catalog": Path(self.catalog.path).name if self.catalog_given else "shipped",
        } | ({"column_mappings": [m.identity() for m in self.mappings]} if self.mappings else {}) | (
            {"catalog_changes": list(self.catalog.changes)} if self.catalog.changes else {}
        )

    def identity(self) -> dict:
        """What a build's result depends on besides its input files (for its fingerprint).

        The catalog counts by its content, so that an edited catalog, or a new shipped one,
        makes a study's build out of date.
        """
        digest = hashlib.sha256()
        for frame in (self.catalog.exercises, self.catalog.aliases):
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
            digest.update(",".join(map(str, frame.columns)).encode())
        return self.parameters() | {"catalog": digest.hexdigest()}
