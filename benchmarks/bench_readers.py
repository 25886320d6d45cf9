"""Reading the demo cohort's exports: our readers against a floor (reading the same bytes).

Issue 16, step 7 (reader part): reading ``data/raw/demo-cohort`` (154 app exports: Strong, Hevy,
Strava ``activities.csv``, PMSys; and the 740 activity files the Strava exports name: GPX, FIT and
TCX, all gzip-compressed) with ``sol.read_folder``. Goal: at most 5 s on 2 cores.

The machine is shared, so besides wall time the script reports CPU seconds (user + system, the
children of a process pool included) and ratios against a floor measured in the same run: reading
every file's bytes and gunzipping them (what any reader must do at least). It also times the
decoders the readers could use on the same files: fitdecode (used; with and without its data
processor) against the Garmin FIT SDK and fitparse, and the standard library's ElementTree (used)
against gpxpy and lxml for GPX; alternatives that are not installed are skipped.

Each measurement runs in a fresh child process, ``--repeats`` times interleaved; the minimum is
reported (and the median). ``--before DIR`` also reads with the package found in ``DIR`` (an
earlier version, e.g. ``git archive <commit> soleus_analysis | tar -x -C DIR``), interleaved with
the others, for before/after figures from the same run.

Usage: python -m benchmarks.bench_readers [--repeats 3] [--root data/raw/demo-cohort] [--before DIR]
"""

from __future__ import annotations

import argparse
import gzip
import io
import resource
import statistics
import sys
import time
from pathlib import Path

from benchmarks._common import emit, goal, in_child, load_average

ROOT = Path("data/raw/demo-cohort")


def _cpu_all() -> float:
    """CPU seconds of this process and its finished children (a process pool's workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".csv", ".gz"))


def _floor(root: Path) -> dict:
    start, cpu = time.perf_counter(), _cpu_all()
    size = 0
    for path in _files(root):
        raw = path.read_bytes()
        size += len(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    return {"seconds": time.perf_counter() - start, "cpu": _cpu_all() - cpu, "bytes": size}


def _read_folder(root: Path, workers: int, package_dir: str | None = None) -> dict:
    if package_dir is not None:  # a fresh child: the package is not imported yet
        sys.path.insert(0, package_dir)
    import soleus_analysis as sol

    sol.read("tests/data/strong/strong_classic.csv", weight_unit="kg")  # imports and caches
    start, cpu = time.perf_counter(), _cpu_all()
    result = sol.read_folder(root, workers=workers)
    rows = sum(len(df) for df in result.tables.values())
    return {
        "seconds": time.perf_counter() - start,
        "cpu": _cpu_all() - cpu,
        "rows": rows,
        "package": str(Path(sol.__file__).parent),
    }


def _decoders(root: Path) -> list[tuple[str, float]]:
    """Seconds per file of each decoder on the cohort's FIT and GPX files (CPU time)."""
    fit = [gzip.decompress(p.read_bytes()) for p in sorted(root.rglob("*.fit.gz"))]
    gpx = [gzip.decompress(p.read_bytes()) for p in sorted(root.rglob("*.gpx.gz"))]
    out: list[tuple[str, float]] = []

    def timed(name: str, fn, data) -> None:
        start = time.process_time()
        for item in data:
            fn(item)
        out.append((name, (time.process_time() - start) / len(data)))

    import fitdecode

    def fitdecode_run(data: bytes, processor: bool) -> None:
        kwargs = {} if processor else {"processor": None}
        with fitdecode.FitReader(
            io.BytesIO(data), check_crc=fitdecode.CrcCheck.ENABLED, **kwargs
        ) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage):
                    {f.name: f.value for f in frame.fields}

    timed("FIT: fitdecode, default processor", lambda d: fitdecode_run(d, True), fit)
    timed("FIT: fitdecode, no processor", lambda d: fitdecode_run(d, False), fit)

    def fitdecode_unchecked(data: bytes) -> None:
        with fitdecode.FitReader(
            io.BytesIO(data), check_crc=fitdecode.CrcCheck.DISABLED, processor=None
        ) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage):
                    {f.name: f.value for f in frame.fields}

    timed(
        "FIT: fitdecode, no processor, no CRC check (used once the reader's numpy CRC matched)",
        fitdecode_unchecked,
        fit,
    )
    try:
        from garmin_fit_sdk import Decoder, Stream

        def garmin(data: bytes) -> None:
            Decoder(Stream.from_byte_array(bytearray(data))).read(enable_crc_check=True)

        timed("FIT: garmin-fit-sdk", garmin, fit)
    except ImportError:
        pass
    try:
        import fitparse

        timed(
            "FIT: fitparse",
            lambda d: [m.get_values() for m in fitparse.FitFile(io.BytesIO(d)).get_messages()],
            fit,
        )
    except ImportError:
        pass
    import xml.etree.ElementTree as ET

    timed("GPX: ElementTree (used)", lambda d: list(ET.fromstring(d).iter()), gpx)
    try:
        import gpxpy

        timed("GPX: gpxpy", lambda d: gpxpy.parse(d.decode("utf-8-sig")), gpx)
    except ImportError:
        pass
    try:
        from lxml import etree

        timed("GPX: lxml", lambda d: list(etree.fromstring(d).iter()), gpx)
    except ImportError:
        pass
    return out


def _best(runs: list[dict], key: str) -> tuple[float, float]:
    values = sorted(r[key] for r in runs)
    return values[0], statistics.median(values)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--root", default=str(ROOT))
    parser.add_argument("--before", default=None, help="folder holding an earlier soleus_analysis")
    args = parser.parse_args(argv)
    root = Path(args.root)
    floors, serial, pooled, serial_before, pooled_before = [], [], [], [], []
    for _ in range(args.repeats):
        floors.append(in_child(lambda: root, _floor)["out"])
        serial.append(in_child(lambda: root, lambda r: _read_folder(r, 1))["out"])
        pooled.append(in_child(lambda: root, lambda r: _read_folder(r, 2))["out"])
        if args.before:
            before = args.before
            serial_before.append(
                in_child(lambda: root, lambda r: _read_folder(r, 1, before))["out"]
            )
            pooled_before.append(
                in_child(lambda: root, lambda r: _read_folder(r, 2, before))["out"]
            )
    decoders = in_child(lambda: root, _decoders)["out"]

    floor_s, _ = _best(floors, "seconds")
    floor_cpu, _ = _best(floors, "cpu")
    rows = []
    measured = (
        ("floor: read + gunzip the bytes", floors),
        ("read_folder, 1 process", serial),
        ("read_folder, 2 processes", pooled),
    )
    if args.before:
        measured += (
            ("before: read_folder, 1 process", serial_before),
            ("before: read_folder, 2 processes", pooled_before),
        )
    for name, runs in measured:
        wall, wall_med = _best(runs, "seconds")
        cpu, _ = _best(runs, "cpu")
        rows.append(
            {
                "what": name,
                "wall_s": round(wall, 2),
                "wall_median_s": round(wall_med, 2),
                "cpu_s": round(cpu, 2),
                "x floor (wall)": round(wall / floor_s, 1),
                "x floor (cpu)": round(cpu / max(floor_cpu, 1e-9), 1),
            }
        )
    n_files = len(_files(root))
    pooled_wall, _ = _best(pooled, "seconds")
    pooled_cpu, _ = _best(pooled, "cpu")
    notes = [
        f"{n_files} files, {floors[0]['bytes'] / 1e6:.1f} MB after gunzip; the same "
        f"{serial[0]['rows']} rows read by 1 and 2 processes",
        f"load average {load_average()} (a shared machine: wall times include waiting for a "
        "core; CPU seconds do not)",
        "with 2 free cores the 2-process read takes about its CPU seconds / 2",
    ]
    if args.before:
        before_cpu, _ = _best(pooled_before, "cpu")
        serial_cpu, _ = _best(serial, "cpu")
        serial_before_cpu, _ = _best(serial_before, "cpu")
        notes.append(
            f"before ({args.before}): {before_cpu / 2:.1f} s on 2 cores ({before_cpu:.1f} CPU s); "
            f"now / before, CPU seconds: {pooled_cpu / before_cpu:.2f} (2 processes), "
            f"{serial_cpu / serial_before_cpu:.2f} (1 process); the same rows: "
            f"{serial_before[0]['rows'] == serial[0]['rows']} (packages "
            f"{serial_before[0]['package']}, {serial[0]['package']})"
        )
    notes += [
        f"decoder {name}: {1000 * per_file:.2f} CPU ms per file" for name, per_file in decoders
    ]
    goals = [
        goal(
            "16.7",
            "read the demo cohort",
            f"{pooled_cpu / 2:.1f} s (2 processes: {pooled_cpu:.1f} CPU s / 2 cores; "
            f"{pooled_wall:.1f} s wall on the shared machine)",
            "5 s",
            pooled_cpu / 2 / 5.0,
            "<= 1",
            pooled_cpu / 2 <= 5.0,
        )
    ]
    emit("readers", rows, notes, goals)


if __name__ == "__main__":
    main()
