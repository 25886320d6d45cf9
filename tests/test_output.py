"""A build is all or nothing: killed at any moment, the previous output stays whole."""

import hashlib
import multiprocessing
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pandas as pd
import pytest

import soleus_analysis as sol
from soleus_analysis.build import output
from soleus_analysis.build.output import output_lock, staged_output

MANAGED = {"a.txt", "b.txt", "quarantine"}


def _context():
    """Subprocesses forked from a fresh, single-threaded server that has imported the package.

    Forking this (multi-threaded) test process could deadlock a child; a spawned interpreter
    would spend seconds importing before the build starts, so random delays would mostly land
    in the imports.
    """
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["soleus_analysis", "tests.test_output"])
    return ctx


def _hashes(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _beside(out):
    """Entries beside the output folder that a build made (lock file, temporary folders)."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _write(folder, text):
    (folder / "a.txt").write_text(f"a {text}")
    (folder / "b.txt").write_text(f"b {text}")


def test_a_build_replaces_its_own_entries_and_keeps_the_others(tmp_path):
    out = tmp_path / "out"
    (out / "quarantine").mkdir(parents=True)
    (out / "quarantine" / "stale.rejected.csv").write_text("old")
    (out / "a.txt").write_text("old a")
    (out / "README.md").write_text("mine")
    (out / "study" / "sub").mkdir(parents=True)
    (out / "study" / "sub" / "x.parquet").write_bytes(b"x" * 10)
    with staged_output(out, managed=MANAGED) as stage:
        assert stage.parent == out.parent and stage != out
        assert (out / "a.txt").read_text() == "old a"  # nothing changes until the swap
        _write(stage, "new")
    assert _hashes(out).keys() == {"a.txt", "b.txt", "README.md", "study/sub/x.parquet"}
    assert (out / "a.txt").read_text() == "a new"  # the stale quarantine file is gone
    assert (out / "README.md").read_text() == "mine"
    assert (out / "study" / "sub" / "x.parquet").read_bytes() == b"x" * 10
    assert _beside(out) == [".out.soleus-lock"]


def test_an_error_leaves_the_previous_output_and_no_leftovers(tmp_path):
    out = tmp_path / "out"
    with staged_output(out, managed=MANAGED) as stage:
        _write(stage, "first")
    before = _hashes(out)
    with pytest.raises(RuntimeError, match="boom"), staged_output(out, managed=MANAGED) as stage:
        _write(stage, "second")
        raise RuntimeError("boom")
    assert _hashes(out) == before
    assert _beside(out) == [".out.soleus-lock"]


def test_without_an_atomic_exchange_a_build_killed_between_the_renames_is_put_back(
    tmp_path, monkeypatch
):
    out = tmp_path / "out"
    with staged_output(out, managed=MANAGED) as stage:
        _write(stage, "first")
    before = _hashes(out)
    monkeypatch.setattr(output, "_exchange", lambda a, b: False)
    real_rename = os.rename
    calls = []

    def dies_after_the_first_rename(src, dst):
        real_rename(src, dst)
        calls.append(dst)
        if len(calls) == 1:
            raise KeyboardInterrupt  # as if killed between the two renames

    monkeypatch.setattr(os, "rename", dies_after_the_first_rename)
    with pytest.raises(KeyboardInterrupt), staged_output(out, managed=MANAGED) as stage:
        _write(stage, "second")
    monkeypatch.setattr(os, "rename", real_rename)
    assert not out.exists()  # the previous output is aside, whole
    with staged_output(out, managed=MANAGED) as stage:
        assert _hashes(out) == before  # put back before anything else
        _write(stage, "third")
    assert (out / "a.txt").read_text() == "a third"
    assert _beside(out) == [".out.soleus-lock"]


def test_two_builds_of_one_output_do_not_interleave(tmp_path):
    out = tmp_path / "out"
    events = []

    def first():
        with staged_output(out, managed=MANAGED) as stage:
            events.append("first in")
            time.sleep(0.5)
            _write(stage, "first")
            events.append("first out")

    thread = threading.Thread(target=first)
    thread.start()
    while not events:
        time.sleep(0.01)
    with staged_output(out, managed=MANAGED) as stage:
        events.append("second in")
        _write(stage, "second")
    thread.join()
    assert events == ["first in", "first out", "second in"]
    assert (out / "a.txt").read_text() == "a second"


def _hold_lock(out, ready):
    with output_lock(out):
        ready.set()
        time.sleep(60)


def test_the_lock_of_a_killed_build_is_taken_over(tmp_path):
    out = tmp_path / "out"
    ctx = _context()
    ready = ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(out, ready))
    holder.start()
    assert ready.wait(30)
    holder.kill()  # SIGKILL
    holder.join()
    start = time.perf_counter()
    with staged_output(out, managed=MANAGED) as stage:
        _write(stage, "after")
    assert time.perf_counter() - start < 5  # the OS released the dead process's lock
    assert (out / "a.txt").read_text() == "a after"


@pytest.mark.parametrize("parent_kind", ["file", "ancestor file"])
def test_an_output_under_a_file_is_one_clear_error(tmp_path, parent_kind):
    (tmp_path / "notes.txt").write_text("x")
    out = tmp_path / "notes.txt" / "out"
    if parent_kind == "ancestor file":
        out = out / "deeper"
    with pytest.raises(sol.InputError, match="is a file, not a folder") as err:
        with staged_output(out, managed=MANAGED):
            pass
    assert str(tmp_path / "notes.txt") in str(err.value) and "Fix:" in str(err.value)


# ---------------------------------------------------------------------------------------------
# builds killed at random moments
# ---------------------------------------------------------------------------------------------
SEED = 20240516
CLI = """
import sys
from soleus_analysis.cli import main
print("ready", flush=True)
sys.stdin.readline()
sys.exit(main(sys.argv[1:]))
"""


def _raw(folder, seed, *, bad=False):
    tables = sol.simulate_cohort(5, 6, rng=seed).tables()
    if bad:
        tables["strength_sets"].loc[3, "reps"] = -2.0  # a quarantine file too
    sol.write_partitioned(tables, folder, partitions=2)
    return folder


def _options(engine):
    return {"engine": engine, "scheduler": "threads", "partitions": 2} if engine == "dask" else {}


def _child(raw, out, engine, go):
    go.wait()
    sol.build(raw, out, **_options(engine))


@pytest.fixture(scope="module")
def raws(tmp_path_factory):
    base = tmp_path_factory.mktemp("kill")
    return _raw(base / "raw-a", 1), _raw(base / "raw-b", 2, bad=True)


class _Forked:
    """A build in a subprocess forked from the preloaded server (:func:`_context`)."""

    def __init__(self, raw, out, engine):
        ctx = _context()
        self.go = ctx.Event()
        self.process = ctx.Process(target=_child, args=(raw, out, engine, self.go))
        self.process.start()

    def start(self):
        self.go.set()

    def kill(self):
        self.process.kill()  # SIGKILL (the child may have finished already)
        self.process.join()

    def wait(self):
        self.process.join()
        return self.process.exitcode


class _Command:
    """``soleus build`` in a fresh interpreter, started once it has imported the package."""

    def __init__(self, raw, out, engine):
        args = ["build", str(raw), "--out", str(out), "--quiet"]
        if engine == "dask":
            args += ["--engine", "dask", "--scheduler", "threads", "--partitions", "2"]
        self.process = subprocess.Popen(
            [sys.executable, "-c", CLI, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout.readline().strip() == "ready"

    def start(self):
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def kill(self):
        self.process.kill()  # SIGKILL
        self.wait()

    def wait(self):
        code = self.process.wait()
        self.process.stdin.close()
        self.process.stdout.close()
        return code


def _kill_builds(tmp_path, raws, engine, kills, runner):
    """Kill ``kills`` builds at random moments; check the output after each, then build."""
    raw_a, raw_b = raws

    def whole_build(out):
        child = runner(raw_b, out, engine)
        start = time.perf_counter()
        child.start()
        assert child.wait() == 0
        return time.perf_counter() - start

    seconds = whole_build(tmp_path / "whole")
    new = _hashes(tmp_path / "whole")
    out = tmp_path / "out"
    sol.build(raw_a, out, **_options(engine))
    previous = _hashes(out)
    assert previous != new and len(previous) > 10
    fractions = np.random.default_rng(SEED).uniform(0.0, 1.2, kills)
    interrupted = 0
    for fraction in fractions:
        child = runner(raw_b, out, engine)
        child.start()
        time.sleep(fraction * seconds)
        child.kill()
        interrupted += any(name.startswith(".out.soleus-build-") for name in _beside(out))
        now = _hashes(out)
        # Either the previous build, every file with its bytes, or (killed after the swap) the
        # new one, whole; never a mixture.
        assert now in (previous, new), f"killed {fraction:.2f} of a {seconds:.2f} s build in"
        pd.read_parquet(out / "athlete_week.parquet")
        previous = now
    assert whole_build(out) > 0  # the next build succeeds and cleans up after the killed ones
    assert _hashes(out) == new
    assert _beside(out) == [".out.soleus-lock"]
    return interrupted


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_a_build_killed_at_random_moments_leaves_the_previous_output_whole(
    tmp_path, raws, engine
):
    if engine == "dask":
        pytest.importorskip("dask.dataframe")
    interrupted = _kill_builds(tmp_path, raws, engine, 4, _Forked)
    assert interrupted >= 1  # some kills did land while the new output was being written


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_soleus_build_killed_at_random_moments_leaves_the_previous_output_whole(
    tmp_path, raws, engine
):
    if engine == "dask":
        pytest.importorskip("dask.dataframe")
    interrupted = _kill_builds(tmp_path, raws, engine, 20, _Command)
    assert interrupted >= 5
