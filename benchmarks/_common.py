"""Shared helpers for the benchmarks: machine description, timing, peak memory of a child process.

Benchmarks print figures and ratios against a baseline measured in the same run; the machines are
shared and noisy, so ratios are what the goals are stated in.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import platform
import resource
import sys
import time
from collections.abc import Callable
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
    """Peak resident set size of this process so far [MB]."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(queue: mp.Queue, setup: Callable[[], Any], work: Callable[[Any], Any]) -> None:
    data = setup()
    before = rss_mb()
    start = time.perf_counter()
    out = work(data)
    seconds = time.perf_counter() - start
    queue.put({"seconds": seconds, "rss_before_mb": before, "rss_peak_mb": rss_mb(), "out": out})


def in_child(setup: Callable[[], Any], work: Callable[[Any], Any]) -> dict:
    """Run ``work(setup())`` in a fresh process; return its time and peak memory.

    The setup (making the input) happens in the child too, so the peak RSS counts the input once
    and every byte the work allocated on top of it.
    """
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(queue, setup, work))
    proc.start()
    result = queue.get()
    proc.join()
    if proc.exitcode != 0:
        raise RuntimeError(f"benchmark child failed with exit code {proc.exitcode}")
    return result


def best_of(repeats: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """Minimum wall time of ``repeats`` calls and the last result."""
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def emit(name: str, rows: list[dict], notes: list[str]) -> None:
    """Print a Markdown table of results and write them as JSON for run_all.py."""
    print(f"\n## {name}\n")
    print(machine())
    if rows:
        cols = list(rows[0])
        print("\n| " + " | ".join(cols) + " |")
        print("|" + "---|" * len(cols))
        for r in rows:
            print("| " + " | ".join(str(r[c]) for c in cols) + " |")
    for n in notes:
        print(f"- {n}")
    out = os.environ.get("BENCH_JSON")
    if out:
        with open(out, "a") as f:
            f.write(json.dumps({"name": name, "rows": rows, "notes": notes}) + "\n")
    sys.stdout.flush()
