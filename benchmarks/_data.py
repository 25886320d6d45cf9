"""Large canonical inputs for the benchmarks, made with the project's simulator.

App-scale logs (tens of thousands of athletes, millions of sets) are out of reach of
``sol.simulate_cohort`` in a benchmark's time budget, so :func:`simulated_sets` scales it up:

1. simulate a base cohort (``BASE_ATHLETES`` athletes x ``N_WEEKS`` weeks, about 13 sets per
   athlete-week: warm-up, working, failure and drop sets of about 45 exercise names in 7 time
   zones, as the generating model draws them);
2. replicate its ``strength_sets`` (and ``athletes``) with new athlete ids (``R0003-A017`` is
   athlete ``A017`` of replicate 3) and session starts shifted back by a whole number of weeks
   (``replicate % 26``), until the requested number of rows; the last athlete may be cut short.

Each replicate is therefore a copy of the base cohort's athletes under new names, a few months
earlier: the per-athlete structure (sessions, exercises, loads, zones) is the simulator's, the
between-athlete variety is that of the base cohort.

Bad rows (``bad_share``, 0.1% by default) are planted the way real exports go wrong (see
:mod:`soleus_analysis.simulation.writers.defects` for the rates measured on real files; exact
duplicates dominate): 40% exact copies of the set before (a double export), 15% negative reps,
15% a 900 kg load, 10% a session dated 1985 (a device clock reset), 10% a misspelt set type
(``"wroking"``), 10% a set without reps, duration or distance. Every planted row must end up
rejected; every other row valid.

The frames are cached as Parquet files in the system's temporary folder (keyed by the arguments),
so the several child processes of one benchmark read the same data in about a second instead of
simulating it again.

:func:`make_raw` makes a raw folder of whole replicated cohorts (every table, one Parquet part
per table and copy) for the builds of ``bench_build`` and ``bench_dask``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BASE_ATHLETES = 400
N_WEEKS = 52
BASE_START = "2024-01-01"
_KINDS = (
    ("duplicate", 0.40),
    ("negative_reps", 0.15),
    ("heavy_load", 0.15),
    ("dated_1985", 0.10),
    ("set_type_typo", 0.10),
    ("no_measure", 0.10),
)


def _base(rng: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    import soleus_analysis as sol

    cohort = sol.simulate_cohort(BASE_ATHLETES, N_WEEKS, rng=rng, start=BASE_START)
    return cohort.strength_sets, cohort.athletes


def _replicate(base: pd.DataFrame, column: str, n_rep: int) -> pd.Series:
    codes, uniques = pd.factorize(base[column])
    n_uniq = len(uniques)
    all_codes = (np.arange(n_rep)[:, None] * n_uniq + codes[None, :]).ravel()
    names = np.array(
        [f"R{r:04d}-{u}" for r in range(n_rep) for u in uniques], dtype=object
    )
    return pd.Series(pd.array(names, dtype="str").take(all_codes))


def _scale(sets: pd.DataFrame, athletes: pd.DataFrame, n_rows: int):
    n_base = len(sets)
    n_rep = -(-n_rows // n_base)
    reps = np.arange(n_rep)
    out = {}
    for name in sets.columns:
        if name == "athlete_id":
            continue
        col = sets[name]
        out[name] = pd.Series(col.array.take(np.tile(np.arange(n_base), n_rep)))
    ids = _replicate(sets, "athlete_id", n_rep)
    frame = pd.DataFrame({"athlete_id": ids, **out})
    weeks = np.repeat(reps % 26, n_base) * np.timedelta64(7, "D")
    frame["session_start"] = frame["session_start"] - pd.to_timedelta(weeks).as_unit("us")
    frame = frame[list(sets.columns)].iloc[:n_rows].reset_index(drop=True)
    ath = {}
    for name in athletes.columns:
        ath[name] = pd.Series(athletes[name].array.take(np.tile(np.arange(len(athletes)), n_rep)))
    ath["athlete_id"] = pd.Series(
        pd.array(
            [f"R{r:04d}-{a}" for r in range(n_rep) for a in athletes["athlete_id"]], dtype="str"
        )
    )
    ath = pd.DataFrame(ath)[list(athletes.columns)]
    ath = ath[ath["athlete_id"].isin(frame["athlete_id"].unique())].reset_index(drop=True)
    return frame, ath


def _plant(frame: pd.DataFrame, bad_share: float, rng: np.random.Generator) -> np.ndarray:
    """Plant bad rows in place; return the kind of each planted row (array of str, '' = clean)."""
    n = len(frame)
    kind = np.full(n, "", dtype=object)
    n_bad = int(round(n * bad_share))
    if n_bad == 0:
        return kind
    # Every other row at most, so that no planted row is the "row before" of another.
    pool = np.arange(1, n // 2) * 2
    rows = np.sort(rng.choice(pool, n_bad, replace=False))
    shares = np.array([s for _, s in _KINDS])
    which = rng.choice(len(_KINDS), n_bad, p=shares / shares.sum())
    for k, (name, _) in enumerate(_KINDS):
        r = rows[which == k]
        kind[r] = name
        if name == "duplicate":
            # An exact copy of the set before it (every column), as a double export gives.
            take = np.arange(n)
            take[r] = r - 1
            for col in frame.columns:
                frame[col] = frame[col].array.take(take)
        elif name == "negative_reps":
            frame.loc[r, "reps"] = -frame.loc[r, "reps"].fillna(10.0).clip(lower=1.0)
            frame.loc[r, "duration_s"] = np.nan
        elif name == "heavy_load":
            frame.loc[r, "load_kg"] = 900.0
        elif name == "dated_1985":
            shifted = frame.loc[r, "session_start"] - pd.Timedelta(days=39 * 365)
            frame.loc[r, "session_start"] = shifted
        elif name == "set_type_typo":
            frame.loc[r, "set_type"] = "wroking"
        elif name == "no_measure":
            frame.loc[r, ["reps", "duration_s", "distance_m"]] = np.nan
    return kind


def _cache_path(tag: str) -> Path:
    key = hashlib.sha1(tag.encode()).hexdigest()[:12]
    folder = Path(os.environ.get("SOLEUS_BENCH_CACHE", tempfile.gettempdir())) / "soleus-bench"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{key}"


def simulated_sets(
    n_rows: int, *, bad_share: float = 0.001, rng: int = 42
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """``strength_sets`` of ``n_rows`` rows, its ``athletes`` and the planted kind of each row.

    See the module docstring for how the simulator's cohort is scaled up and what is planted.
    The same arguments give the same frames (cached on disk after the first call).

    Returns
    -------
    sets : DataFrame
        Canonical ``strength_sets`` (16 columns as the simulator writes them).
    athletes : DataFrame
        Canonical ``athletes`` of the athletes in ``sets`` (body mass, zone).
    planted : ndarray of str
        The planted defect of each row of ``sets`` ("" for a clean row).
    """
    tag = f"v1-{n_rows}-{bad_share}-{rng}-{BASE_ATHLETES}-{N_WEEKS}-{BASE_START}"
    path = _cache_path(tag)
    files = [path.with_suffix(s) for s in (".sets.parquet", ".athletes.parquet", ".planted.npy")]
    if all(f.exists() for f in files):
        sets = pd.read_parquet(files[0])
        athletes = pd.read_parquet(files[1])
        planted = np.load(files[2], allow_pickle=True)
        return sets, athletes, planted
    base_sets, base_athletes = _base(rng)
    sets, athletes = _scale(base_sets, base_athletes, n_rows)
    planted = _plant(sets, bad_share, np.random.default_rng(rng))
    tmp = [f.with_name(f.name + f".{os.getpid()}.tmp") for f in files]
    sets.to_parquet(tmp[0], index=False)
    athletes.to_parquet(tmp[1], index=False)
    with open(tmp[2], "wb") as f:
        np.save(f, planted, allow_pickle=True)
    for t, f in zip(tmp, files, strict=True):
        os.replace(t, f)
    return sets, athletes, planted


#: The cohort :func:`make_raw` replicates (``sol.simulate_cohort`` arguments).
RAW_BASE = {"n_athletes": 400, "n_weeks": 52, "rng": 42, "start": "2024-01-01"}
RAW_BAD_SHARE = 0.0005  # per kind: negative reps, and duplicates of the copy before


def raw_cache() -> Path:
    """Where :func:`make_raw` keeps its data (in ``$SOLEUS_BENCH_CACHE`` or the temp folder)."""
    folder = Path(os.environ.get("SOLEUS_BENCH_CACHE", tempfile.gettempdir())) / "soleus-bench-dask"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def make_raw(copies: int) -> tuple[Path, dict]:
    """A raw folder of ``copies`` replicated cohorts (cached); returns it and what was planted.

    One copy at a time is made and written, so the generator's memory does not grow with size.
    """
    import soleus_analysis as sol

    root = raw_cache() / f"raw-{copies}-{RAW_BASE['rng']}"
    info_path = root.with_name(root.name + ".json")  # beside the raw folder: not an input
    if (root / "planted.json").exists():  # where an earlier version kept it
        (root / "planted.json").rename(info_path)
    if info_path.exists():
        return root, dict(json.loads(info_path.read_text()), cached=True)
    start = time.perf_counter()
    shutil.rmtree(root, ignore_errors=True)
    base = sol.simulate_cohort(
        RAW_BASE["n_athletes"], RAW_BASE["n_weeks"], rng=RAW_BASE["rng"], start=RAW_BASE["start"]
    ).tables()
    gen = np.random.default_rng(RAW_BASE["rng"])
    n_sets = len(base["strength_sets"])
    k = int(round(RAW_BAD_SHARE * n_sets))
    athletes, planted, rows = [], 0, {t: 0 for t in base if t != "athletes"}
    previous = None
    for r in range(copies):
        copy = sol.replicate_tables(base, r)
        athletes.append(copy.pop("athletes"))
        sets = copy["strength_sets"]
        if previous is not None:
            bad = gen.choice(n_sets, k, replace=False)
            sets.loc[bad, "reps"] = -sets.loc[bad, "reps"].fillna(10.0).abs().clip(lower=1.0)
            again = previous.iloc[np.sort(gen.choice(n_sets, k, replace=False))]
            copy["strength_sets"] = pd.concat([sets, again], ignore_index=True)
            planted += 2 * k
        previous = copy["strength_sets"].iloc[:n_sets]
        for name, frame in copy.items():
            (root / name).mkdir(parents=True, exist_ok=True)
            frame.to_parquet(root / name / f"part-{r:05d}.parquet", index=False)
            rows[name] += len(frame)
    pd.concat(athletes, ignore_index=True).to_parquet(root / "athletes.parquet", index=False)
    info = {"copies": copies, "planted": planted, "rows": rows,
            "seconds": time.perf_counter() - start}
    info_path.write_text(json.dumps(info))
    return root, dict(info, cached=False)
