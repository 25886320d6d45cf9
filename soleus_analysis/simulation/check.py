"""Check a build of a simulated cohort against the bad input planted in its files.

:func:`soleus_analysis.write_cohort` (``soleus simulate``) plants duplicates, near-duplicate
sessions, impossible values, typos and kg/lb mix-ups in the exports it writes, and lists every
planted row with the outcome validation must give it in ``truth_injected.csv``.
:func:`check_planted` puts that list next to what a build actually did with each row, in both
directions: every planted row with its observed outcome, and every row the build rejected,
flagged or could not map that no planted defect explains (a false alarm).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from soleus_analysis.errors import InputError

__all__ = ["OUTCOMES", "check_planted"]

#: Observed outcomes, from the strongest: a rejected row is not also reported as unmapped.
OUTCOMES = ("rejected", "unmapped", "flagged", "valid")
_KEY = ["table", "source_file", "source_row"]
_COLUMNS = [*_KEY, "athlete_id", "kind", "detail", "expected", "observed", "agrees"]


def _keys(frame: pd.DataFrame, table: str | None = None) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "table": frame["table"].to_numpy(dtype=object) if table is None else table,
            "source_file": frame["source_file"].astype("str").to_numpy(dtype=object),
            "source_row": pd.to_numeric(frame["source_row"]).astype("Int64").to_numpy(),
            "athlete_id": frame["athlete_id"].astype("str").to_numpy(dtype=object),
        }
    )
    return out


def check_planted(study, injected: pd.DataFrame | None = None) -> pd.DataFrame:
    """What a build did with every planted bad row of a simulated cohort, and any false alarm.

    Parameters
    ----------
    study : Study
        A study built from a folder written by :func:`soleus_analysis.write_cohort`
        (:func:`soleus_analysis.open_study`).
    injected : DataFrame, optional
        The planted defects (``truth_injected.csv``: ``path``, ``source_row``, ``table``,
        ``kind``, ``expected``, ``athlete_id``, ``detail``). Default: read from the study's raw
        folder.

    Returns
    -------
    DataFrame
        One row per table and export line (``table``, ``source_file``, ``source_row``,
        ``athlete_id``) that was planted or that the build did not keep as a plain valid row:

        - ``kind``, ``detail``: the planted defect; ``"(not planted)"`` for a false alarm;
        - ``expected``: ``rejected``, ``unmapped``, ``flagged`` or ``undetected`` (what
          validation can and cannot see, as the simulator states it); ``valid`` for rows nobody
          planted anything in;
        - ``observed``: ``rejected`` (in the quarantine), ``unmapped`` (a valid set whose exercise
          name the catalog does not know), ``flagged`` (a plausibility flag, the row stays valid)
          or ``valid``;
        - ``agrees``: observed equals expected, ``undetected`` agreeing with ``valid``.

        A defect planted in a whole file (no ``source_row``: the athlete whose kg-labelled file
        holds pound loads) is matched by the flagged rows of that file, each reported with the
        defect; when none is flagged it appears once, observed ``valid``. Sorted by table, file,
        line.

    Raises
    ------
    InputError
        When there is no ``truth_injected.csv`` (the study is not a simulated cohort).
    """
    if injected is None:
        path = Path(study.raw_dir) / "truth_injected.csv"
        if not path.exists():
            raise InputError(
                "no truth_injected.csv: this study is not a simulated cohort with planted defects",
                path=path,
                fix="use it on a folder written by `soleus simulate` / sol.write_cohort",
            )
        injected = pd.read_csv(path)
    planted = injected.rename(columns={"path": "source_file"})
    planted = pd.concat(
        [
            _keys(planted.assign(athlete_id=planted["athlete_id"])),
            planted[["kind", "detail", "expected"]].reset_index(drop=True),
        ],
        axis=1,
    )

    observed = []
    quarantine = study.quarantine()
    if len(quarantine):
        observed.append(_keys(quarantine).assign(observed="rejected"))
    dose = getattr(study, "dose", None)
    if dose is not None and len(dose) and "mapped" in dose.columns:
        bad = dose[~dose["mapped"].astype(bool)]
        if len(bad):
            observed.append(_keys(bad, "strength_sets").assign(observed="unmapped"))
    flags = study.flags()
    if len(flags):
        observed.append(_keys(flags).assign(observed="flagged"))
    if observed:
        seen = pd.concat(observed, ignore_index=True)
        rank = seen["observed"].map({name: k for k, name in enumerate(OUTCOMES)})
        seen = seen.iloc[np.argsort(rank.to_numpy(), kind="stable")]
        seen = seen.drop_duplicates(_KEY, keep="first")
    else:
        seen = pd.DataFrame(columns=[*_KEY, "athlete_id", "observed"])

    whole_file = planted["source_row"].isna()
    by_row = planted[~whole_file]
    out = by_row.merge(seen.drop(columns="athlete_id"), on=_KEY, how="left")
    # Whole-file defects take the flagged rows of their file.
    rest = seen.merge(by_row[_KEY], on=_KEY, how="left", indicator=True)
    rest = rest[rest["_merge"] == "left_only"].drop(columns="_merge")
    parts = [out]
    for _, defect in planted[whole_file].iterrows():
        mine = (
            (rest["table"] == defect["table"])
            & (rest["source_file"] == defect["source_file"])
            & (rest["observed"] == "flagged")
        )
        if mine.any():
            parts.append(
                rest[mine].assign(
                    kind=defect["kind"], detail=defect["detail"], expected=defect["expected"]
                )
            )
            rest = rest[~mine]
        else:
            parts.append(defect.to_frame().T.assign(observed="valid"))
    parts.append(rest.assign(kind="(not planted)", detail="", expected="valid"))
    result = pd.concat([p for p in parts if len(p)], ignore_index=True)
    result["observed"] = result["observed"].fillna("valid")
    expected = result["expected"].replace({"undetected": "valid"})
    result["agrees"] = (expected == result["observed"]).to_numpy(dtype=bool)
    result["source_row"] = pd.to_numeric(result["source_row"]).astype("Int64")
    result = result.sort_values(_KEY, kind="stable", ignore_index=True)
    return result[_COLUMNS]
