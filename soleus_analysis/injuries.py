"""Injury reports from the ``wellness`` table, one row per reported body area, grouped in episodes.

PMSys asks athletes (about weekly) which body areas are injured and how badly; the reader stores
each answer in the ``injury`` column of ``wellness`` as ``area:severity`` items separated by ``;``
(``left_leg:minor;right_knee:minor``), ``none`` for "no injury", missing when the athlete was
not asked or did not answer. :func:`injury_reports` splits the answers into one row per area.

The same problem is reported again at every questionnaire until it is gone, so reports are not
injuries. An **episode** of an area is a run of consecutive questionnaires of the athlete that name
it; it ends at a questionnaire that does not name it, or when more than ``max_gap_days`` pass
between two questionnaires (unknown in between). This is a rule of this package, not a clinical
case definition: PMSys areas (``leg``, ``foot``, ``knee``, ...) do not say *what* the problem is
(a shin splint, an Achilles tendinopathy, a blister), and "minor" / "major" are the athlete's own
words.
"""

from __future__ import annotations

import pandas as pd

from soleus_analysis.contracts import takes_table

__all__ = ["injury_reports"]

_COLUMNS = ["athlete_id", "date", "area", "side", "body_part", "severity", "episode",
            "new_episode", "questionnaire"]


@takes_table("wellness", ["date", "injury"], named_by=["group"])
def injury_reports(
    wellness: pd.DataFrame,
    *,
    group: str = "athlete_id",
    max_gap_days: int = 14,
) -> pd.DataFrame:
    """Split the ``injury`` answers of a wellness table into one row per athlete, date and area.

    Parameters
    ----------
    wellness : DataFrame
        A canonical ``wellness`` table (:class:`~soleus_analysis.schemas.WellnessSchema`); needs
        ``date``, ``injury`` and the ``group`` column. ``date`` is the local date, ``injury``
        holds PMSys ``area:severity`` items separated by ``;`` (``none``; missing when not asked;
        a PMSys injury.csv read with ``sol.read`` has it).
    group : str, default "athlete_id"
    max_gap_days : int, default 14
        Two questionnaires further apart than this do not continue an episode.

    Returns
    -------
    pandas.DataFrame
        One row per reported area (answers of ``none`` give no row), sorted by athlete, date and
        area: ``athlete_id`` (the ``group`` column), ``date``, ``area`` (as logged, e.g.
        ``left_leg``), ``side`` (``left``, ``right`` or missing), ``body_part`` (the area without
        its side, e.g. ``leg``), ``severity`` (as logged, e.g. ``minor``; missing if not given),
        ``episode`` (1, 2, ... per athlete and area), ``new_episode`` (True on an episode's first
        report), ``questionnaire`` (0-based index of the athlete's injury questionnaires, ``none``
        answers included). ``attrs["questionnaires"]`` holds the number of answered
        questionnaires per athlete (a Series), the denominator of any rate.

    Raises
    ------
    InputError
        When ``wellness`` has no ``injury``, ``date`` or ``group`` column (a ``ValueError``).

    Examples
    --------
    >>> w = pd.DataFrame({"athlete_id": ["a"] * 4,
    ...                   "date": pd.to_datetime(["2020-01-01", "2020-01-08", "2020-01-15",
    ...                                           "2020-01-22"]),
    ...                   "injury": ["left_leg:minor", "left_leg:minor;right_knee:major", "none",
    ...                              "left_leg:minor"]})
    >>> r = injury_reports(w)
    >>> r[["date", "area", "body_part", "episode", "new_episode"]]
            date        area body_part  episode  new_episode
    0 2020-01-01    left_leg       leg        1         True
    1 2020-01-08    left_leg       leg        1        False
    2 2020-01-08  right_knee      knee        1         True
    3 2020-01-22    left_leg       leg        2         True
    """
    asked = wellness.loc[wellness["injury"].notna(), [group, "date", "injury"]]
    asked = asked.sort_values([group, "date"], kind="stable").reset_index(drop=True)
    asked["questionnaire"] = asked.groupby(group).cumcount()
    counts = asked.groupby(group).size().rename("questionnaires")
    items = asked.assign(item=asked["injury"].astype(str).str.split(";")).explode("item")
    items["item"] = items["item"].str.strip()
    items = items.loc[items["item"].ne("none") & items["item"].ne("")]
    parts = items["item"].astype(str).str.extract(r"^([^:]*)(?::(.*))?$")
    out = pd.DataFrame({
        group: items[group].to_numpy(),
        "date": items["date"].to_numpy(),
        "area": parts[0].str.strip().to_numpy(),
        "severity": parts[1].str.strip().to_numpy(),
        "questionnaire": items["questionnaire"].to_numpy(),
    })
    out["side"] = out["area"].str.extract(r"^(left|right)_", expand=False)
    out["body_part"] = out["area"].str.replace(r"^(left|right)_", "", regex=True)
    out = out.sort_values([group, "date", "area"], kind="stable").reset_index(drop=True)
    by_area = out.groupby([group, "area"], sort=False)
    gap_q = out["questionnaire"] - by_area["questionnaire"].shift()
    gap_days = (out["date"] - by_area["date"].shift()).dt.days
    out["new_episode"] = (gap_q.isna() | gap_q.gt(1) | gap_days.gt(max_gap_days)).astype(bool)
    out["episode"] = out.groupby([group, "area"], sort=False)["new_episode"].cumsum().astype(
        "int64")
    out = out[[group, *_COLUMNS[1:]]]
    out.attrs["questionnaires"] = counts
    return out
