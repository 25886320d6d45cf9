"""The whole build at the speed of its parts: ``soleus build`` of canonical Parquet.

Goal (issue 16, step 7): ``soleus build`` of canonical Parquet at >= 1M input rows/s on the pandas
engine (2 cores), and the Dask engine no slower than pandas on one machine from 5M rows up. Each
figure stands beside its floor and a peer measured in the same run:

- ``pandas`` / ``dask``: ``sol.build(raw, out, engine=...)`` in a fresh interpreter; the import
  of the package is timed apart (``soleus build`` pays both);
- ``floor``: reading the same Parquet files into pandas frames (what no build can avoid);
- ``polars``: the peer, polars reading the same files, sorting each table on the build's keys and
  writing it back (a build without validation, quarantine or panel: less work than ours).

Each run is a child process; its CPU time counts every process it started (Dask's workers) and
its peak memory is the largest sum of the resident sizes of the process and its children,
sampled every 0.1 s. Methods are interleaved ``--repeats`` times; the table shows the fastest
run and the median. The pandas build is also timed step by step (read, validate, panel, write and
report) to show where the time goes.

Data: ``benchmarks._data.make_raw``, as for ``benchmarks/bench_dask.py`` (the simulator's cohort of
400 athletes x 52 weeks replicated under new athlete ids, one Parquet part per table and copy,
0.1% bad rows), cached.

Usage: python -m benchmarks.bench_build [--copies 3 9 17] [--repeats 2] [--engines pandas dask]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import emit, goal, load_average, run_child
from benchmarks._data import make_raw


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, nargs="*", default=[3, 9, 17])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--engines", nargs="*", default=["pandas", "dask"])
    args = parser.parse_args()

    methods = [*args.engines, "floor", "polars"]
    rows, notes, goals = [], [], []
    work = Path(tempfile.mkdtemp(prefix="soleus-bench-build-"))
    for copies in args.copies:
        raw, info = make_raw(copies)
        n_rows = sum(info["rows"].values())
        runs: dict[str, list[dict]] = {m: [] for m in methods}
        for _ in range(args.repeats):
            for method in methods:
                runs[method].append(run_child(method, raw, work / method))
        best = {}
        for method, results in runs.items():
            ok = [r for r in results if r["ok"]]
            if not ok:
                rows.append({"rows": f"{n_rows:,}", "method": method, "seconds": "",
                             "result": results[-1]["error"]})
                continue
            fastest = min(ok, key=lambda r: r["build"])
            best[method] = fastest
            median = sorted(r["build"] for r in ok)[len(ok) // 2]
            steps = fastest.get("steps") or {}
            rows.append({
                "rows": f"{n_rows:,}",
                "method": method,
                "seconds": f"{fastest['build']:.1f}",
                "median s": f"{median:.1f}",
                "import s": f"{fastest['import']:.1f}",
                "rows/s": f"{fastest['rows'] / fastest['build']:,.0f}",
                "CPU s (all processes)": f"{fastest['cpu']:.1f}",
                "peak MB (all processes)": f"{fastest['peak_mb']:,.0f}",
                "steps s": ", ".join(f"{k} {v:.1f}" for k, v in steps.items()),
            })
        if "pandas" in best and "floor" in best:
            p = best["pandas"]
            rate = p["rows"] / (p["build"] + p["import"])
            goals.append(goal(
                "16.7a", f"soleus build, pandas engine, {n_rows:,} rows (import included)",
                f"{rate:,.0f} rows/s", f"floor {best['floor']['build']:.1f} s, polars "
                f"{best.get('polars', {}).get('build', float('nan')):.1f} s",
                rate / 1e6, ">= 1.0 (M rows/s)", rate >= 1e6))
        if "pandas" in best and "dask" in best:
            ratio = best["dask"]["build"] / best["pandas"]["build"]
            goals.append(goal(
                "16.7b", f"dask vs pandas engine, one machine, {n_rows:,} rows",
                f"{best['dask']['build']:.1f} s", f"pandas {best['pandas']['build']:.1f} s",
                ratio, "<= 1.0 from 5M rows", ratio <= 1.0 if n_rows >= 5e6 else None))
        notes.append(f"{n_rows:,} rows ({copies} copies): input made in {info['seconds']:.0f} s"
                     f"{' (cached)' if info.get('cached') else ''}; load average "
                     f"{load_average()} after the runs")
    shutil.rmtree(work, ignore_errors=True)
    notes.append("seconds: the build alone (fresh interpreter, package imported before the "
                 "clock starts); 'import s' is what `soleus build` adds")
    emit("Whole build of canonical Parquet", rows, notes, goals)


if __name__ == "__main__":
    main()
