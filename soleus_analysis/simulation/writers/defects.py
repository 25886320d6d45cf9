"""Bad input planted in a simulated cohort's files, each defect listed with the outcome it must get.

The canonical tables are first turned into the rows *as the athletes logged them* (one frame per
kind of file, in file order); :func:`plant` then changes or adds rows the way real exports go
wrong. Every changed or added row carries the defect's id, and each defect says what validation
must make of it:

========================  ============================================  ======================
kind                      what is planted                               expected outcome
========================  ============================================  ======================
``duplicate``             an exact copy of a set, run, wellness report  ``rejected`` (the copy)
                          or session-RPE report, right after it
``near-duplicate``        a strength session logged twice, 40 s later   ``rejected`` (the sets of
                          (Strong) or a minute later (Hevy, which       the later copy); its
                          stores minutes)                               ``sessions`` row:
                                                                        ``undetected``
``typo``                  one exercise of one session renamed with a    ``unmapped`` (valid rows
                          typo (``Seated Calf Riase``)                  whose name the catalog
                                                                        does not know)
``impossible value``      negative reps; a 900 kg calf raise; a         ``rejected``; the Strava
                          session dated 1985; a run with heart rate     ``sessions`` row of the
                          300; a 10 km run in 20 min (2:00/km); a       2:00/km run:
                          wellness report with fatigue 0                ``undetected``
``unit mix-up``           one athlete who loads pound plates has a      ``flagged`` (rows stay
                          kg-labelled file (loads converted, on a       valid; the
                          pound grid); one kg athlete logged one        plausibility checks
                          session's loads in pounds (x2.2)              flag the athlete)
========================  ============================================  ======================

Rates: about 0.4% of the sets, runs, wellness and session-RPE reports are exact duplicates; the
other defects are placed once per cohort (typos: one per five strength athletes), so that a
40-athlete cohort has about 0.6% bad rows. Missing wellness days are not defects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from soleus_analysis.simulation.cohort import EXERCISE_NAMES
from soleus_analysis.simulation.writers.text import LB_IN_KG

__all__ = ["DUPLICATE_RATE", "KINDS", "Planted", "mark_rows", "plant"]

#: Share of rows of each file that are exact duplicates.
DUPLICATE_RATE = 0.004
KINDS = ("duplicate", "near-duplicate", "typo", "impossible value", "unit mix-up")
_CALF_RAISES = {
    "seated_calf_raise",
    "standing_calf_raise",
    "single_leg_bent_knee_calf_raise",
    "single_leg_standing_calf_raise",
    "calf_press_leg_press",
}
_KNOWN_NAMES = {name for names in EXERCISE_NAMES.values() for name in names}


@dataclass
class Planted:
    """The rows as logged, with the defects planted, and the list of defects.

    Each frame has ``_defect`` (the defect's id, -1 for a clean row), ``_expect`` (the outcome
    the row must get in its main table; "" for a clean row) and ``_added`` (True for a row that is
    not in the canonical tables: a copy; False for a clean row or a row changed in place). ``runs``
    also has
    ``_expect_sessions`` (the outcome of the ``sessions`` row that a Strava line gives).
    ``sets`` has ``_copy_of_previous``. ``defects`` has one row per defect: ``defect``, ``kind``,
    ``athlete_id``, ``table``, ``detail``. ``pound_grid_athlete`` is the athlete whose
    kg-labelled file holds pound loads (None when the cohort has no such candidate).
    """

    sets: pd.DataFrame
    runs: pd.DataFrame
    wellness: pd.DataFrame
    srpe: pd.DataFrame
    defects: list[dict] = field(default_factory=list)
    pound_grid_athlete: str | None = None

    def add(self, kind: str, athlete: str, table: str, detail: str) -> int:
        self.defects.append(
            {
                "defect": len(self.defects),
                "kind": kind,
                "athlete_id": athlete,
                "table": table,
                "detail": detail,
            }
        )
        return len(self.defects) - 1


def mark_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` renumbered, with the bookkeeping columns of rows that carry no defect yet."""
    frame = frame.reset_index(drop=True)
    frame["_defect"] = -1
    frame["_expect"] = ""
    frame["_added"] = False
    return frame


def _insert_after(frame: pd.DataFrame, positions: np.ndarray, copies: pd.DataFrame) -> pd.DataFrame:
    """Insert ``copies`` (one row per position, or blocks) right after the given rows."""
    order = np.concatenate([np.arange(len(frame), dtype=float), positions + 0.5])
    out = pd.concat([frame, copies], ignore_index=True)
    return out.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def _typo(name: str, rng: np.random.Generator) -> str:
    """A plausible typing error that is not another known name (swap, drop or double a letter)."""
    letters = [k for k, c in enumerate(name) if c.isalpha()]
    for _ in range(50):
        k = int(rng.choice(letters[1:-1]))
        how = int(rng.integers(3))
        if how == 0 and name[k + 1].isalpha():
            out = name[:k] + name[k + 1] + name[k] + name[k + 2 :]
        elif how == 1:
            out = name[:k] + name[k + 1 :]
        else:
            out = name[:k] + name[k] + name[k:]
        if out != name and out not in _KNOWN_NAMES:
            return out
    return name[:-1]


def _sessions(sets: pd.DataFrame) -> pd.DataFrame:
    """One row per (athlete, session_start) with the app and row range."""
    g = sets.groupby(["athlete_id", "session_start"], sort=False)
    out = g.agg(
        first=("_pos", "min"), last=("_pos", "max"), n=("_pos", "size"), source=("source", "first")
    ).reset_index()
    return out


def plant(
    sets: pd.DataFrame,
    runs: pd.DataFrame,
    wellness: pd.DataFrame,
    srpe: pd.DataFrame,
    *,
    formats: pd.DataFrame,
    rng: np.random.Generator,
) -> Planted:
    """Plant the bad input (see the module docstring) in the rows as logged.

    Parameters
    ----------
    sets, runs, wellness, srpe : DataFrame
        The rows as logged, in file order per athlete (``sets`` with ``source`` = the app);
        ``runs`` with ``filename`` ("" for runs without an activity file).
    formats : DataFrame
        Per athlete (index ``athlete_id``): ``strength``, ``strength_unit``, ``weight_unit``.
        The pound-grid athlete's ``strength`` and ``strength_unit`` are changed in place.
    rng : numpy.random.Generator

    Returns
    -------
    Planted
    """
    p = Planted(mark_rows(sets), mark_rows(runs), mark_rows(wellness), mark_rows(srpe))
    p.sets["_copy_of_previous"] = False
    p.runs["_expect_sessions"] = ""
    if len(p.sets):
        _plant_strength(p, formats, rng)
    if len(p.runs):
        _plant_runs(p, rng)
    if len(p.wellness):
        _plant_wellness(p, rng)
    if len(p.srpe):
        n = max(1, int(round(DUPLICATE_RATE * len(p.srpe))))
        rows = np.sort(rng.choice(len(p.srpe), min(n, len(p.srpe)), replace=False))
        copies = p.srpe.iloc[rows].copy()
        for k, r in enumerate(rows):
            d = p.add(
                "duplicate",
                p.srpe.at[r, "athlete_id"],
                "sessions",
                "session-RPE report repeated (exported twice)",
            )
            copies.iloc[k, copies.columns.get_loc("_defect")] = d
        copies["_expect"], copies["_added"] = "rejected", True
        p.srpe = _insert_after(p.srpe, rows, copies)
    return p


def _plant_strength(p: Planted, formats: pd.DataFrame, rng: np.random.Generator) -> None:
    sets = p.sets
    sets["_pos"] = np.arange(len(sets))
    sessions = _sessions(sets)
    used: set[tuple] = set()
    load = sets["load_kg"].to_numpy(dtype=float)

    def free(athlete, start) -> bool:
        return (athlete, start) not in used

    def pick_session(mask: np.ndarray) -> pd.Series | None:
        cand = [
            k
            for k in np.flatnonzero(mask)
            if free(sessions.at[k, "athlete_id"], sessions.at[k, "session_start"])
        ]
        if not cand:
            return None
        row = sessions.loc[int(rng.choice(cand))]
        used.add((row["athlete_id"], row["session_start"]))
        return row

    # Unit mix-up 1: an athlete who loads pound plates, with a kg-labelled file.
    loaded = sets[load > 0].groupby("athlete_id").size()
    lb_athletes = [
        a for a in formats.index[formats["weight_unit"] == "lb"] if loaded.get(a, 0) >= 15
    ]
    # An lb athlete already given a kg-labelled file (formats override) is the one; else draw.
    chosen = [a for a in lb_athletes if formats.at[a, "strength_unit"] == "kg"]
    if lb_athletes:
        athlete = (
            chosen[0] if chosen else str(rng.choice(np.array(sorted(lb_athletes), dtype=object)))
        )
        if formats.at[athlete, "strength"] not in ("strong_newest", "hevy"):
            formats.at[athlete, "strength"] = "strong_newest"
        formats.at[athlete, "strength_unit"] = "kg"
        p.pound_grid_athlete = athlete
        p.add(
            "unit mix-up",
            athlete,
            "strength_sets",
            "loads on a 5 lb plate grid written in a kg-labelled file (converted to kg with 2 "
            "decimals, e.g. 45.36 = 100 lb): the athlete's loads are flagged as a pound grid",
        )

    # Unit mix-up 2: one session of a kg athlete logged in pounds (x2.2).
    kg_athletes = set(formats.index[formats["strength_unit"] == "kg"]) - {p.pound_grid_athlete}
    jump = _pick_pound_session(sets, sessions, kg_athletes, rng)
    if jump is not None:
        athlete, start = jump
        # Keep the athlete's other sessions clean so that the jump stays the only signal.
        mine = sessions[sessions["athlete_id"] == athlete]
        used.update(zip(mine["athlete_id"], mine["session_start"], strict=True))
        rows = np.flatnonzero(
            (sets["athlete_id"] == athlete).to_numpy()
            & (sets["session_start"] == start).to_numpy()
            & (load > 0)
        )
        d = p.add(
            "unit mix-up",
            athlete,
            "strength_sets",
            "one session's loads typed in pounds into a kg log (x2.2 against the "
            "athlete's previous sessions)",
        )
        sets.loc[rows, "load_kg"] = np.round(load[rows] / LB_IN_KG)
        sets.loc[rows, "_defect"] = d
        sets.loc[rows, "_expect"] = "flagged"

    # Impossible values: a session dated 1985, negative reps, a 900 kg calf raise.
    row = pick_session(sessions["n"].to_numpy() >= 2)
    if row is not None:
        rows = np.arange(row["first"], row["last"] + 1)
        d = p.add(
            "impossible value",
            row["athlete_id"],
            "strength_sets",
            "session dated 1985 (year typed wrong)",
        )
        zone = formats.at[row["athlete_id"], "timezone"]
        local = row["session_start"].tz_convert(zone).tz_localize(None)
        moved = local.replace(year=1985).tz_localize(zone).tz_convert("UTC")
        sets.loc[rows, "session_start"] = moved
        sets.loc[rows, "_defect"] = d
        sets.loc[rows, "_expect"] = "rejected"
    reps_ok = (sets["reps"] > 0).to_numpy() & (sets["set_type"] == "working").to_numpy()
    calf = sets["exercise"].isin(_CALF_RAISES).to_numpy() & (load > 0) & reps_ok
    n_neg = max(1, int(round(0.0005 * len(sets))))
    for what, mask, count in (("reps", reps_ok, n_neg), ("load", calf, 1)):
        for _ in range(count):
            free_rows = [
                k
                for k in np.flatnonzero(mask)
                if free(sets.at[k, "athlete_id"], sets.at[k, "session_start"])
            ]
            if not free_rows:
                break
            k = int(rng.choice(free_rows))
            used.add((sets.at[k, "athlete_id"], sets.at[k, "session_start"]))
            if what == "reps":
                detail = "negative reps (minus sign typed by mistake)"
                sets.at[k, "reps"] = -sets.at[k, "reps"]
            else:
                detail = "a 900 kg calf raise"
                sets.at[k, "load_kg"] = 900.0
            d = p.add("impossible value", sets.at[k, "athlete_id"], "strength_sets", detail)
            sets.at[k, "_defect"] = d
            sets.at[k, "_expect"] = "rejected"

    # Typos: one exercise of one session, about one per five strength athletes.
    n_typos = max(1, int(round(sets["athlete_id"].nunique() / 5)))
    for _ in range(n_typos):
        row = pick_session(np.ones(len(sessions), dtype=bool))
        if row is None:
            break
        block = sets.iloc[row["first"] : row["last"] + 1]
        names = [n for n in pd.unique(block["exercise_raw"]) if n in _KNOWN_NAMES]
        if not names:
            continue
        name = str(rng.choice(np.array(names, dtype=object)))
        wrong = _typo(name, rng)
        rows = block.index[block["exercise_raw"] == name]
        d = p.add("typo", row["athlete_id"], "strength_sets", f"{name!r} logged as {wrong!r}")
        sets.loc[rows, "exercise_raw"] = wrong
        sets.loc[rows, "_defect"] = d
        sets.loc[rows, "_expect"] = "unmapped"

    # Near-duplicate sessions: one per app, logged again 40 s (Strong) or 60 s (Hevy) later.
    blocks, after = [], []
    for app, seconds in (("strong", 40), ("hevy", 60)):
        row = pick_session((sessions["source"] == app).to_numpy() & (sessions["n"] >= 3).to_numpy())
        if row is None:
            continue
        block = sets.iloc[row["first"] : row["last"] + 1].copy()
        d = p.add(
            "near-duplicate",
            row["athlete_id"],
            "strength_sets",
            f"session logged twice, the copy {seconds} s later",
        )
        block["session_start"] = block["session_start"] + pd.Timedelta(seconds=seconds)
        block["_defect"], block["_expect"], block["_added"] = d, "rejected", True
        blocks.append(block)
        after.append(np.full(len(block), row["last"], dtype=float))

    # Exact duplicate rows (Strong: numbered working sets only; Hevy rows carry set_index).
    n_dup = max(1, int(round(DUPLICATE_RATE * len(sets))))
    own = ((sets["set_type"] == "working") | (sets["source"] == "hevy")).to_numpy()
    eligible = [
        k
        for k in np.flatnonzero(own & (sets["_defect"] < 0).to_numpy())
        if free(sets.at[k, "athlete_id"], sets.at[k, "session_start"])
    ]
    rows = np.sort(rng.choice(eligible, min(n_dup, len(eligible)), replace=False))
    copies = sets.iloc[rows].copy()
    for k, r in enumerate(rows):
        copies.iloc[k, copies.columns.get_loc("_defect")] = p.add(
            "duplicate", sets.at[r, "athlete_id"], "strength_sets", "set repeated (exported twice)"
        )
    copies["_expect"], copies["_added"] = "rejected", True
    copies["_copy_of_previous"] = True
    blocks.append(copies)
    after.append(rows.astype(float))
    positions = np.concatenate(after) if after else np.zeros(0)
    extra = pd.concat(blocks, ignore_index=True) if blocks else sets.iloc[:0]
    p.sets = _insert_after(sets, positions, extra).drop(columns="_pos")


def _pick_pound_session(sets, sessions, athletes, rng) -> tuple | None:
    """A session of a kg athlete whose loads, typed in pounds, jump x2.05-2.35 on every exercise."""
    loaded = sets[(sets["load_kg"] > 0) & sets["athlete_id"].isin(athletes)]
    if loaded.empty:
        return None
    top = loaded.groupby(["athlete_id", "exercise_raw", "session_start"])["load_kg"].max()
    candidates = []
    for (athlete, start), block in loaded.groupby(["athlete_id", "session_start"], sort=True):
        ok = True
        for name in pd.unique(block["exercise_raw"]):
            series = top.loc[(athlete, name)]
            before = series[series.index < start].tail(5)
            now = np.round(series.loc[start] / LB_IN_KG)
            if len(before) < 3 or now > 480:
                ok = False
                break
            ratio = now / before.median()
            ok = 2.05 <= ratio <= 2.35
            if not ok:
                break
        if ok:
            candidates.append((athlete, start))
    if not candidates:
        return None
    return candidates[int(rng.integers(len(candidates)))]


def _plant_runs(p: Planted, rng: np.random.Generator) -> None:
    runs = p.runs
    used: set[int] = set()
    no_file = (runs["filename"] == "").to_numpy()
    with_hr = runs["avg_hr_bpm"].notna().to_numpy() & no_file
    for what, mask in (("hr", with_hr), ("speed", no_file)):
        cand = [k for k in np.flatnonzero(mask) if k not in used]
        if not cand:
            continue
        k = int(rng.choice(cand))
        used.add(k)
        if what == "hr":
            runs.at[k, "avg_hr_bpm"], runs.at[k, "max_hr_bpm"] = 300.0, 300.0
            detail, sessions = "heart rate 300 beats/min (strap glitch)", ""
        else:
            stop = runs.at[k, "elapsed_time_s"] - runs.at[k, "moving_time_s"]
            runs.at[k, "distance_m"], runs.at[k, "moving_time_s"] = 10000.0, 1200.0
            runs.at[k, "elapsed_time_s"] = 1200.0 + stop
            detail, sessions = (
                "10 km in 20:00 (2:00/km, faster than the world record)",
                "undetected",
            )
        d = p.add("impossible value", runs.at[k, "athlete_id"], "runs", detail)
        runs.at[k, "_defect"], runs.at[k, "_expect"] = d, "rejected"
        runs.at[k, "_expect_sessions"] = sessions
    n = max(1, int(round(DUPLICATE_RATE * len(runs))))
    cand = np.array([k for k in range(len(runs)) if k not in used])
    rows = np.sort(rng.choice(cand, min(n, len(cand)), replace=False))
    copies = runs.iloc[rows].copy()
    for k, r in enumerate(rows):
        copies.iloc[k, copies.columns.get_loc("_defect")] = p.add(
            "duplicate", runs.at[r, "athlete_id"], "runs", "activity repeated (exported twice)"
        )
    copies["_expect"], copies["_expect_sessions"], copies["_added"] = "rejected", "rejected", True
    p.runs = _insert_after(runs, rows, copies)


def _plant_wellness(p: Planted, rng: np.random.Generator) -> None:
    well = p.wellness
    k = int(rng.integers(len(well)))
    well.at[k, "fatigue"] = 0.0
    d = p.add(
        "impossible value", well.at[k, "athlete_id"], "wellness", "fatigue 0 on the 1-5 scale"
    )
    well.at[k, "_defect"], well.at[k, "_expect"] = d, "rejected"
    n = max(1, int(round(DUPLICATE_RATE * len(well))))
    cand = np.array([r for r in range(len(well)) if r != k])
    rows = np.sort(rng.choice(cand, min(n, len(cand)), replace=False))
    copies = well.iloc[rows].copy()
    for j, r in enumerate(rows):
        copies.iloc[j, copies.columns.get_loc("_defect")] = p.add(
            "duplicate", well.at[r, "athlete_id"], "wellness", "report repeated (exported twice)"
        )
    copies["_expect"], copies["_added"] = "rejected", True
    p.wellness = _insert_after(well, rows, copies)
