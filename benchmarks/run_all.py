"""Run every benchmark and print (and write) a Markdown table of the goals of issue 8.

Usage (from the repository root; ``make bench`` runs the default)::

    python benchmarks/run_all.py [--quick] [--out benchmarks/latest.md] [--only validation,dose]

The data benchmarks run at the goals' 10M set rows (the whole run took about 6 minutes on 2 busy
cores, plus about a minute to simulate and cache the data the first time; peak memory about 8 GB, in
pandera's ``drop_invalid_rows``); ``--quick`` runs them at 2M rows (2 minutes). Each
script runs in its own process with ``BENCH_JSON`` set, so that its goal lines (ratios measured in
its own run) are collected here; the table lists stage, size, our figure, the baseline of the same
run, the ratio, the goal and whether it was met, followed by the machine and each script's output.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import load_average, machine  # noqa: E402


def _benches(quick: bool) -> list[tuple[str, list[str]]]:
    rows = "2000000" if quick else "10000000"
    return [
        ("validation", ["-m", "benchmarks.bench_validation", "--rows", rows, "--repeats", "2"]),
        ("dose", ["-m", "benchmarks.bench_dose", "--rows", rows, "--repeats", "2"]),
        ("mixed_speed", ["benchmarks/bench_mixed_speed.py", "5000", "52", "--no-raw"]),
        ("power", ["benchmarks/bench_power.py"]),
        ("simulation", ["benchmarks/bench_simulation.py"]),
        ("readers", ["-m", "benchmarks.bench_readers", "--repeats", "2"]),
        ("model_recovery", ["benchmarks/bench_model_recovery.py", "100"]),
        # The 50M-set build under 4 GB takes about 20 minutes: run it on its own (see README).
        ("dask", ["-m", "benchmarks.bench_dask", "--quick"]),
    ]


def _table(goals: list[dict]) -> str:
    lines = [
        "| goal | stage | ours | baseline (same run) | ratio | target | met? |",
        "|---|---|---|---|---|---|---|",
    ]
    for g in goals:
        met = {True: "yes", False: "**no**", None: "n/a"}[g["met"]]
        ratio = "" if g["ratio"] is None else f"{g['ratio']:.2f}"
        lines.append(
            f"| {g['goal']} | {g['stage']} | {g['figure']} | {g['baseline']} | {ratio} | "
            f"{g['target']} | {met} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="data benchmarks at 2M set rows")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "latest.md"),
                        help="Markdown file written (default benchmarks/latest.md)")
    parser.add_argument("--only", default="", help="comma-separated subset, e.g. validation,dose")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds per script")
    args = parser.parse_args(argv)
    only = {name for name in args.only.split(",") if name}
    benches = [(n, a) for n, a in _benches(args.quick) if not only or n in only]

    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    goals: list[dict] = []
    sections: list[str] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        for name, cmd in benches:
            record = Path(tmp) / f"{name}.jsonl"
            env["BENCH_JSON"] = str(record)
            print(f"[{time.perf_counter() - started:6.0f} s] {name}: {' '.join(cmd)}", flush=True)
            t0 = time.perf_counter()
            try:
                proc = subprocess.run(
                    [sys.executable, *cmd], cwd=ROOT, env=env, capture_output=True, text=True,
                    timeout=args.timeout,
                )
                output, status = proc.stdout, proc.returncode
                if status != 0:
                    output += "\n" + proc.stderr[-3000:]
            except subprocess.TimeoutExpired as exc:
                partial = exc.stdout if isinstance(exc.stdout, str) else ""
                output, status = partial, "timeout"
            seconds = time.perf_counter() - t0
            print(output, flush=True)
            if record.exists():
                for line in record.read_text().splitlines():
                    goals += json.loads(line).get("goals", [])
            verdict = "ok" if status == 0 else f"FAILED ({status})"
            sections.append(
                f"### {name} ({seconds:.0f} s, {verdict})\n\n`python {' '.join(cmd)}`\n\n"
                f"```text\n{output.strip()}\n```\n"
            )
    total = time.perf_counter() - started
    size = "2M" if args.quick else "10M"
    report = "\n".join([
        "# Benchmark results",
        "",
        f"{machine()}; load average at the end {load_average()}; whole run {total / 60:.1f} min; "
        f"validation and panel build at {size} set rows.",
        "",
        _table(goals),
        "",
        "## Output of each benchmark",
        "",
        *sections,
    ])
    Path(args.out).write_text(report + "\n", encoding="utf-8")
    print(_table(goals))
    print(f"\nWhole run {total / 60:.1f} min; written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
