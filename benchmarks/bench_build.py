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

Data: as ``benchmarks/bench_dask.py`` (the simulator's cohort of 400 athletes x 52 weeks
replicated under new athlete ids, one Parquet part per table and copy, 0.1% bad rows), cached.

Usage: python -m benchmarks.bench_build [--copies 3 9 17] [--repeats 2] [--engines pandas dask]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import emit, goal, load_average

ROOT = Path(__file__).resolve().parents[1]
ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
KEYS = {
    "athletes": ["athlete_id"],
    "strength_sets": ["athlete_id", "session_start", "exercise_raw", "set_index"],
    "runs": ["athlete_id", "start"],
    "sessions": ["athlete_id", "start", "activity"],
    "wellness": ["athlete_id", "date"],
}

CHILD = r"""
import json, sys, time
method, raw, out = sys.argv[1:4]
start = time.perf_counter()
if method in ("pandas", "dask"):
    import soleus_analysis as sol
    from soleus_analysis.build import pandas_engine
    imported = time.perf_counter()
    steps = {}
    if method == "pandas":
        for name in ("read", "validate", "panel"):
            original = getattr(pandas_engine.PandasEngine, name)
            def timed(self, *a, _f=original, _n=name, **k):
                t = time.perf_counter(); r = _f(self, *a, **k)
                steps[_n] = time.perf_counter() - t
                return r
            setattr(pandas_engine.PandasEngine, name, timed)
    if __name__ == "__main__":
        report = sol.build(raw, out, engine=method)
        done = time.perf_counter()
        if steps:
            steps["write and report"] = (done - imported) - sum(steps.values())
        print("RESULT " + json.dumps({
            "import": imported - start, "build": done - imported, "steps": steps,
            "rows": int(report.tables["rows_read"].sum()),
            "partitions": report.parameters.get("partitions"),
            "rejected": report.rows_rejected}), flush=True)
elif method == "floor":
    import pandas as pd
    from pathlib import Path
    imported = time.perf_counter()
    rows = sum(len(pd.read_parquet(p)) for p in sorted(Path(raw).rglob("*.parquet")))
    print("RESULT " + json.dumps({"import": imported - start,
                                  "build": time.perf_counter() - imported, "rows": rows}))
elif method == "polars":
    import polars as pl
    from pathlib import Path
    keys = json.loads(sys.argv[4])
    imported = time.perf_counter()
    rows = 0
    Path(out).mkdir(parents=True, exist_ok=True)
    for table, by in keys.items():
        files = sorted(Path(raw).glob(f"{table}/*.parquet"))
        files = files or sorted(Path(raw).glob(f"{table}.parquet"))
        if not files:
            continue
        frame = pl.concat([pl.read_parquet(f) for f in files], how="diagonal_relaxed")
        rows += frame.height
        frame.sort(by, maintain_order=True, nulls_last=True).write_parquet(f"{out}/{table}.parquet")
    print("RESULT " + json.dumps({"import": imported - start,
                                  "build": time.perf_counter() - imported, "rows": rows}))
"""


def _tree_rss(pid: int) -> float:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def run_child(
    method: str,
    raw: Path,
    out: Path,
    *,
    limit_gb: float | None = None,
    env: dict | None = None,
) -> dict:
    """One method in a fresh interpreter: its result, CPU time and peak memory (process tree).

    ``limit_gb`` sets an address-space limit (``RLIMIT_AS``) on the child, which the processes
    it starts inherit (each of them).
    """
    import resource

    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, **ENV, **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])

    def limited() -> None:
        if limit_gb:
            limit = int(limit_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, method, str(raw), str(out), json.dumps(KEYS)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=limited,
    )
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            stop.wait(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    stop.set()
    sampler.join()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        tail = (stderr.strip().splitlines() or ["no output"])[-1]
        return {"ok": False, "error": f"exit {proc.returncode}: {tail[:200]}", "wall": wall}
    result = json.loads(lines[-1][7:])
    result.update(
        ok=True,
        wall=wall,
        cpu=(after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        peak_mb=peak[0],
    )
    shutil.rmtree(out, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--copies", type=int, nargs="*", default=[3, 9, 17])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--engines", nargs="*", default=["pandas", "dask"])
    args = parser.parse_args()

    from benchmarks.bench_dask import make_raw

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
