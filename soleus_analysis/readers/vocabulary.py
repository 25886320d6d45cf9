"""The words exports use in their user's language: column names and activity types.

Two data files shipped with the package hold them, each word with its source:

- ``data/export_headers.csv`` (``app, field, language, header, source``): a column name as an
  app writes it in one language (``Aktivitätsdatum``) and the app's English name for it
  (``Activity Date``, the ``field``).
- ``data/activity_types.csv`` (``app, language, name, kind, source``): an activity type as an app
  writes it (``Course à pied``) and whether it is a run (``kind`` = ``run``) or another sport.

:func:`translate_header` turns a header into the app's English one (the language is the one that
names the most columns; a name it does not know stays as it is, so that an unknown column is kept
under its own name). The readers then work on English names only.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import pandas as pd

from soleus_analysis.textfile import TextTable, unique_names

__all__ = [
    "Translation",
    "activity_kinds",
    "fold",
    "header_vocabulary",
    "translate_header",
    "translate_table",
]


def fold(text: object) -> str:
    """The comparison key of a header cell or a word: NFKC, case-folded, spaces collapsed.

    Examples
    --------
    >>> fold("  Max.  Herzfrequenz "), fold("ＲＰＥ")
    ('max. herzfrequenz', 'rpe')
    """
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def _data(name: str) -> pd.DataFrame:
    path = resources.files("soleus_analysis") / "data" / name
    return pd.read_csv(str(path), dtype=str, keep_default_na=False)


@lru_cache(maxsize=1)
def header_vocabulary() -> pd.DataFrame:
    """The shipped column-name vocabulary (``data/export_headers.csv``) with a ``key`` column."""
    table = _data("export_headers.csv")
    table["key"] = table["header"].map(fold)
    clash = table.groupby(["app", "language", "key"])["field"].nunique()
    if (clash > 1).any():
        raise ValueError(f"export_headers.csv names two fields alike: {clash[clash > 1].index[0]}")
    return table


@cache
def _by_language(app: str) -> dict[str, dict[str, str]]:
    table = header_vocabulary()
    table = table[table["app"] == app]
    out: dict[str, dict[str, str]] = {}
    for language, rows in table.groupby("language", sort=True):
        out[str(language)] = dict(zip(rows["key"], rows["field"], strict=True))
    return out


@dataclass(frozen=True)
class Translation:
    """A header in the app's English names.

    Attributes
    ----------
    header : tuple of str
        The English name of each column where the vocabulary knows it, else the name as written.
    language : str or None
        The language that named the most columns (``None`` when none did).
    known : int
        How many columns the vocabulary named.
    """

    header: tuple[str, ...]
    language: str | None
    known: int


def translate_header(app: str, header: tuple[str, ...]) -> Translation:
    """The app's English column names for a header in any language the vocabulary knows.

    Examples
    --------
    >>> t = translate_header("strava", ("Aktivitäts-ID", "Aktivitätsdatum", "Distanz", "Foo"))
    >>> t.header, t.language
    (('Activity ID', 'Activity Date', 'Distance', 'Foo'), 'de')
    """
    languages = _by_language(app)
    keys = [fold(h) for h in header]
    best, best_count = None, 0
    for language, names in languages.items():
        count = sum(k in names for k in keys)
        if count > best_count or (count == best_count and language == "en" and count):
            best, best_count = language, count
    if best is None:
        return Translation(tuple(header), None, 0)
    first = languages[best]
    english = languages.get("en", {})
    out = []
    for h, k in zip(header, keys, strict=True):
        out.append(first.get(k) or english.get(k) or h)
    known = sum(k in first or k in english for k in keys)
    return Translation(tuple(out), best, known)


def translate_table(text: TextTable, header: tuple[str, ...], note: str | None) -> TextTable:
    """``text`` with its columns renamed to ``header`` (repeated names get ``.1``, ``.2``)."""
    if tuple(header) == tuple(text.header):
        return text
    width = len(text.frame.columns)
    names = list(header) + list(text.frame.columns[len(header) : width])
    frame = text.frame.copy()
    frame.columns = unique_names(names)
    notes = text.notes + ((note,) if note else ())
    return dataclasses.replace(text, frame=frame, header=tuple(header), notes=notes)


@cache
def activity_kinds(app: str) -> dict[str, str]:
    """Activity type (folded) -> ``run`` or ``other``, all languages of ``activity_types.csv``.

    Examples
    --------
    >>> kinds = activity_kinds("strava")
    >>> kinds[fold("Course à pied")], kinds[fold("Ride")]
    ('run', 'other')
    """
    table = _data("activity_types.csv")
    table = table[table["app"] == app]
    out: dict[str, str] = {}
    for name, kind in zip(table["name"], table["kind"], strict=True):
        key = fold(name)
        if out.get(key, kind) != kind:
            raise ValueError(f"activity_types.csv: {name!r} is both a run and another sport")
        out[key] = kind
    return out
