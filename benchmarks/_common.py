"""Shared helpers for the benchmarks: machine description, timing, peak memory of a child process.

:func:`run_child` runs one build of a raw folder in a fresh interpreter (``bench_build``,
``bench_dask``).

Benchmarks print figures and ratios against a baseline measured in the same run; the machines are
shared and noisy, so ratios are what the goals are stated in.
"""

from __future__ import annotations

import gc
import json
import multiprocessing as mp
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def machine() -> str:
    """One line describing the machine and the library versions."""
    import numpy as np
    import pandas as pd
    import pandera
    import statsmodels

    cpus = os.cpu_count()
    try:
        with open("/proc/meminfo") as f:
            mem_kb = int(f.readline().split()[1])
        mem = f"{mem_kb / 2**20:.0f} GiB"
    except OSError:
        mem = "? GiB"
    return (
        f"{platform.machine()}, {cpus} cores, {mem}, Python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}, pandera {pandera.__version__}, "
        f"statsmodels {statsmodels.__version__}"
    )


def rss_mb() -> float:
    """Peak resident set size of this process so far [MB] (since the last :func:`reset_peak`)."""
    hwm = _status_mb("VmHWM")
    if hwm is not None:
        return hwm
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    """Resident set size of this process now [MB]."""
    now = _status_mb("VmRSS")
    return now if now is not None else rss_mb()


def _status_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS counter of this process (Linux); True when it worked.

    Without it the peak would include whatever making the input cost before the timed work.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _cpu_seconds() -> float:
    """User plus system CPU time of this process (all its threads) so far [s]."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> str:
    """The 1-minute load average, to judge how busy the shared machine was."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def _child(queue: mp.Queue, setup: Callable[[], Any], work: Callable[[Any], Any]) -> None:
    try:
        data = setup()
        gc.collect()
        exact = reset_peak()
        before = current_rss_mb()
        cpu = _cpu_seconds()
        start = time.perf_counter()
        out = work(data)
        seconds = time.perf_counter() - start
        queue.put({"seconds": seconds, "cpu_seconds": _cpu_seconds() - cpu,
                   "rss_before_mb": before, "rss_peak_mb": rss_mb(), "peak_is_exact": exact,
                   "out": out})
    except BaseException as exc:  # report, so that the parent does not wait forever
        queue.put({"error": f"{type(exc).__name__}: {exc}"})
        raise


def in_child(setup: Callable[[], Any], work: Callable[[Any], Any]) -> dict:
    """Run ``work(setup())`` in a fresh process; return its time and peak memory.

    The setup (making the input) happens in the child too; the peak-RSS counter is reset after it
    (on Linux), so ``rss_peak_mb`` is the input plus every byte the work allocated on top of it,
    and ``rss_before_mb`` the resident size when the work started.
    """
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, setup, work))
    proc.start()
    result = queue.get()
    proc.join()
    if "error" in result or proc.exitcode != 0:
        raise RuntimeError(f"benchmark child failed: {result.get('error', proc.exitcode)}")
    return result


def repeat_in_child(
    repeats: int, setup: Callable[[], Any], work: Callable[[Any], Any]
) -> dict:
    """:func:`in_child` ``repeats`` times; seconds as min and median, the largest peak RSS."""
    runs = [in_child(setup, work) for _ in range(repeats)]
    times = sorted(r["seconds"] for r in runs)
    out = dict(runs[-1])
    out["seconds"] = times[0]
    out["seconds_median"] = statistics.median(times)
    out["seconds_all"] = times
    out["rss_peak_mb"] = max(r["rss_peak_mb"] for r in runs)
    out["rss_before_mb"] = min(r["rss_before_mb"] for r in runs)
    return out


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Minimum wall time of ``repeats`` calls and the last result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def goal(
    goal_id: str,
    stage: str,
    figure: str,
    baseline: str,
    ratio: float | None,
    target: str,
    met: bool | None,
) -> dict:
    """One line of the goals table that ``run_all.py`` writes to ``benchmarks/README.md``.

    ``figure`` is what we measured, ``baseline`` what it is compared with in the same run,
    ``ratio`` the ratio the goal is stated in, ``target`` the goal (e.g. ``"<= 1.3"``).
    """
    return {
        "goal": goal_id,
        "stage": stage,
        "figure": figure,
        "baseline": baseline,
        "ratio": None if ratio is None else round(float(ratio), 2),
        "target": target,
        "met": None if met is None else bool(met),
    }


def emit(
    name: str, rows: list[dict], notes: list[str], goals: list[dict] | None = None
) -> None:
    """Print a Markdown table of results and write them as JSON for run_all.py."""
    print(f"\n## {name}\n")
    print(machine())
    if rows:
        cols = list(rows[0])
        print("\n| " + " | ".join(cols) + " |")
        print("|" + "---|" * len(cols))
        for r in rows:
            print("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    for n in notes:
        print(f"- {n}")
    for g in goals or []:
        verdict = {True: "met", False: "NOT met", None: "n/a"}[g["met"]]
        print(f"- goal {g['goal']} ({g['stage']}): {g['figure']} vs {g['baseline']}; "
              f"ratio {g['ratio']} (goal {g['target']}): {verdict}")
    out = os.environ.get("BENCH_JSON")
    if out:
        with open(out, "a") as f:
            record = {"name": name, "rows": rows, "notes": notes, "goals": goals or []}
            f.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


ROOT = Path(__file__).resolve().parents[1]
#: Environment of every build run by :func:`run_child`.
BUILD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
#: Sort keys of each table (the polars peer sorts on them).
_KEYS = {
    "athletes": ["athlete_id"],
    "strength_sets": ["athlete_id", "session_start", "exercise_raw", "set_index"],
    "runs": ["athlete_id", "start"],
    "sessions": ["athlete_id", "start", "activity"],
    "wellness": ["athlete_id", "date"],
}

_CHILD = r"""
import json, sys, time
method, raw, out = sys.argv[1:4]
start = time.perf_counter()
if method in ("pandas", "dask"):
    import soleus_analysis as sol
    from soleus_analysis.build import dask_engine, pandas_engine
    imported = time.perf_counter()
    steps = {}
    engine = pandas_engine.PandasEngine if method == "pandas" else dask_engine.DaskEngine
    for name in ("read", "validate", "panel"):
        original = getattr(engine, name)
        def timed(self, *a, _f=original, _n=name, **k):
            t = time.perf_counter(); r = _f(self, *a, **k)
            steps[_n] = time.perf_counter() - t
            return r
        setattr(engine, name, timed)
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
    """One build method (``pandas``, ``dask``, ``floor``, ``polars``) in a fresh interpreter.

    Returns its result, CPU time and peak memory (process tree).

    ``limit_gb`` sets an address-space limit (``RLIMIT_AS``) on the child, which the processes
    it starts inherit (each of them).
    """
    shutil.rmtree(out, ignore_errors=True)
    env = {**os.environ, **BUILD_ENV, **(env or {})}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])

    def limited() -> None:
        if limit_gb:
            limit = int(limit_gb * 2**30)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-c", _CHILD, method, str(raw), str(out), json.dumps(_KEYS)],
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
