"""The Dask engine: a full build (validation, quarantine, panel) under an address-space limit.

Goal (issue 8): ``soleus build --engine dask`` builds a 50M-set data set under a 4 GB address-space
limit; the pandas engine is the baseline in the same run (at a size it can handle, and failing
under the same limit at a larger one).

Data: the simulator's cohort (400 athletes x 52 weeks, seed 42, the base of
``benchmarks/_data.py``) replicated with new athlete ids (``sol.replicate_tables``: ``R0003-A017``,
dated ``copy % 26`` weeks earlier) until the requested number of sets; every table of a copy is
one Parquet part (``strength_sets/part-00003.parquet``, ...; about 300,000 sets, 80,000 runs,
95,000 sessions and 105,000 wellness days per copy). Bad rows: in every copy after the first,
0.05% of its sets get negative reps, and as many sets of the copy before are logged again in this
copy's part (exact duplicates whose first occurrence is in another part). Every planted row must
be rejected, and no other row.

Each build runs in a fresh interpreter (the settings below are read at start-up) under
``RLIMIT_AS``, with ``MALLOC_ARENA_MAX=2``, ``ARROW_DEFAULT_MEMORY_POOL=system`` and
``OPENBLAS_NUM_THREADS=1``: glibc reserves 64 MB of address space per thread arena and pyarrow's
mimalloc 1 GiB at import, which an address-space limit counts although little of it is used.
The Dask engine's worker processes inherit the limit (each of them); peak RSS is the largest sum
of the resident sizes of the build's processes (``benchmarks._common.run_child``).

Input data is made once per size and kept in ``$SOLEUS_BENCH_CACHE`` (the temporary folder by
default; about 3 s and 25 MB per copy of 300,000 sets); the time it took is printed.

Usage: python -m benchmarks.bench_dask [--sets 1200000 10000000 50000000] [--pandas-sets ...]
[--limit-gb 4] | --quick (900,000 sets, both engines: about a minute)
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import emit, run_child
from benchmarks._data import RAW_BASE, make_raw, raw_cache

ENV = {"MALLOC_ARENA_MAX": "2", "ARROW_DEFAULT_MEMORY_POOL": "system", "OPENBLAS_NUM_THREADS": "1",
       "OMP_NUM_THREADS": "1"}


def run_build(engine: str, raw: Path, limit_gb: float) -> dict:
    """One build in a fresh interpreter under the address-space limit (see the docstring)."""
    out = raw_cache() / f"out-{engine}-{raw.name}"
    result = run_child(engine, raw, out, limit_gb=limit_gb, env=ENV)
    if result["ok"]:
        result["seconds"] = result["import"] + result["build"]
    else:
        result["seconds"] = result["wall"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sets", type=float, nargs="*", default=[1.2e6, 1e7, 5e7])
    parser.add_argument("--pandas-sets", type=float, nargs="*", default=[1.2e6, 1e7],
                        help="sizes of the pandas baseline (same limit)")
    parser.add_argument("--limit-gb", type=float, default=4.0)
    parser.add_argument("--quick", action="store_true",
                        help="about 900,000 sets (3 copies), both engines, about a minute")
    args = parser.parse_args()
    if args.quick:
        args.sets, args.pandas_sets = [6e5], [6e5]

    import soleus_analysis as sol

    per_copy = len(
        sol.simulate_cohort(
            RAW_BASE["n_athletes"], RAW_BASE["n_weeks"], rng=RAW_BASE["rng"],
            start=RAW_BASE["start"],
        ).strength_sets
    )
    runs = sorted({("dask", s) for s in args.sets} | {("pandas", s) for s in args.pandas_sets},
                  key=lambda x: (x[1], x[0] != "pandas"))
    rows, notes = [], []
    for engine, sets in runs:
        copies = max(1, math.ceil(sets / per_copy))
        raw, info = make_raw(copies)
        r = run_build(engine, raw, args.limit_gb)
        n_sets = info["rows"]["strength_sets"]
        all_rows = sum(info["rows"].values())
        status = "ok" if r["ok"] else f"FAILED: {r['error']}"
        if r["ok"] and r["rejected"] != info["planted"]:
            status = f"WRONG: {r['rejected']} rejected, {info['planted']} planted"
        rows.append({
            "engine": engine,
            "sets": f"{n_sets:,}",
            "rows (all tables)": f"{all_rows:,}",
            "partitions": r.get("partitions") or "",
            "seconds": f"{r['seconds']:.0f}",
            "rows/s": f"{all_rows / r['seconds']:,.0f}" if r["ok"] else "",
            "CPU s (all processes)": f"{r.get('cpu', float('nan')):,.0f}",
            "peak RSS MB (all processes)": f"{r.get('peak_mb', float('nan')):,.0f}",
            "limit GB (each process)": args.limit_gb,
            "steps s": ", ".join(f"{k} {v:.0f}" for k, v in (r.get("steps") or {}).items()),
            "result": status,
        })
        made = "reused, made earlier in" if info["cached"] else "made in"
        notes.append(f"{engine} {n_sets:,} sets: input ({copies} Parquet parts per table) "
                     f"{made} {info['seconds']:.0f} s; {info['planted']:,} bad rows planted, "
                     "half of them duplicates across parts")
    notes += [
        "dask: default scheduler (a distributed LocalCluster of one worker process per core; "
        "each part read once and spilled by athlete), default partitions (one per 500,000 "
        "input rows)",
        "env of every build: " + ", ".join(f"{k}={v}" for k, v in ENV.items()),
    ]
    emit("Dask build under an address-space limit", rows, notes)


if __name__ == "__main__":
    main()
