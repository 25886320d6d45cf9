"""Where the Dask engine runs: a local cluster of worker processes, dask's threaded scheduler,
or a distributed scheduler given by its address (checked before distributed retries for long).

The engine's tasks exchange only file names and small tables (its shuffle goes through files,
:mod:`soleus_analysis.build.dask_engine`), so worker processes cost no serialisation of the data,
and they use every core: pandas' validation and panel code holds Python's lock, and two threads
of one process ran it slower than one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from soleus_analysis.errors import InputError

__all__ = ["CONNECT_TIMEOUT", "DaskSession", "dask_session", "recording"]

#: How long to wait for a scheduler given with ``--scheduler``.
CONNECT_TIMEOUT = "20s"


@dataclass
class DaskSession:
    """Where the graph runs: ``compute``, and a label for the report."""

    client: object | None
    label: str

    def compute(self, *objects):
        import dask

        try:
            if self.client is not None:
                return self.client.compute(list(objects), sync=True)
            return list(dask.compute(*objects, scheduler="threads"))
        except Exception as exc:
            if _out_of_memory(exc):
                raise InputError(
                    f"the build ran out of memory on the {self.label}",
                    fix="use more partitions (--partitions), fewer workers, or more "
                    "memory; under an address-space limit (ulimit -v) start Python with "
                    "MALLOC_ARENA_MAX=2 and ARROW_DEFAULT_MEMORY_POOL=system (README, 'Running "
                    "on a cluster')",
                ) from exc
            raise


def _out_of_memory(exc: BaseException | None) -> bool:
    """Whether a failure was caused by a memory error (p2p wraps it in a RuntimeError)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, MemoryError) or "MemoryError" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


_NO_SCHEDULER = (
    "give the address a scheduler prints (tcp://HOST:8786); start one with `dask scheduler` and "
    "workers with `dask worker tcp://HOST:8786`, or leave out --scheduler for a local cluster"
)


def _check_address(address: str) -> None:
    """Fail fast, with the fix, on a scheduler address that cannot work (before distributed
    retries for ``CONNECT_TIMEOUT``)."""
    from distributed.comm import parse_address, parse_host_port
    from distributed.comm.registry import backends

    problem = None
    try:
        scheme, location = parse_address(address)
        if scheme not in backends:
            problem = f"unknown protocol {scheme!r} (use one of {', '.join(sorted(backends))})"
        elif scheme in ("tcp", "tls"):
            host, port = parse_host_port(location)
            socket.create_connection((host, port), timeout=5).close()
    except ValueError as exc:
        problem = str(exc)
    except OSError as exc:
        problem = f"nothing answers there: {exc.strerror or exc}"
    if problem is not None:
        raise InputError(
            f"cannot connect to the Dask scheduler at {address}: {problem}", fix=_NO_SCHEDULER
        )


@contextlib.contextmanager
def recording() -> Iterator[list[warnings.WarningMessage]]:
    """Record every warning (also those raised while the cluster starts) instead of showing it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught


@contextlib.contextmanager
def dask_session(scheduler: str | None, workers: int | None) -> Iterator[DaskSession]:
    """Start (and close) a local cluster, connect to a scheduler, or use dask's threads.

    Parameters
    ----------
    scheduler : str or None
        None or ``"local"``: a local cluster of ``workers`` processes with one thread each;
        ``"threads"``: dask's threaded scheduler in this process; else a scheduler's address.
    workers : int or None
        Processes (or threads) of a local scheduler; default the CPU count.

    Warnings raised in this process while the graph runs are recorded by the caller
    (:func:`recording`); distributed's logs are limited to errors.
    """
    import dask

    workers = workers or os.cpu_count() or 1
    config = {
        # Workers that return freed memory to the OS at once (distributed's default, 64 KiB)
        # spent as much time in page faults as in pandas; glibc's own threshold is used instead.
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": 128 * 1024 * 1024,
        # Setting the trim threshold freezes glibc's mmap threshold at 128 KiB, so every array
        # of a partition was a fresh mapping whose pages the kernel zeroes again: 6M page faults
        # and a quarter of the CPU time in the kernel at 5M rows. 32 MiB is glibc's largest.
        "distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_": 32 * 1024 * 1024,
        # The statistical profiler samples every worker thread each 10 ms: not needed here.
        "distributed.worker.profile.enabled": False,
    }
    with dask.config.set(config), contextlib.ExitStack() as stack:
        if scheduler == "threads":
            with dask.config.set(num_workers=workers):
                yield DaskSession(None, f"dask threaded scheduler ({workers} threads)")
            return
        from distributed import Client, LocalCluster

        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        stack.callback(quiet.setLevel, level)
        if scheduler in (None, "local"):
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers,
                    threads_per_worker=1,
                    processes=True,
                    # A random port: the default (8787) may be taken, and distributed warns then.
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster, set_as_default=False))
            label = f"local cluster ({workers} worker process(es))"
        else:
            _check_address(scheduler)
            try:
                client = stack.enter_context(
                    Client(scheduler, set_as_default=False, timeout=CONNECT_TIMEOUT)
                )
            except (OSError, ValueError) as exc:
                raise InputError(
                    f"cannot connect to the Dask scheduler at {scheduler} ({exc})",
                    fix=_NO_SCHEDULER,
                ) from None
            n = len(client.scheduler_info().get("workers", {}))
            if not n:
                raise InputError(
                    f"the Dask scheduler at {scheduler} has no workers",
                    fix="start workers with `dask worker ADDRESS` (each needs this package "
                    "installed) and build again",
                )
            label = f"distributed scheduler ({n} worker(s))"
        yield DaskSession(client, label)
