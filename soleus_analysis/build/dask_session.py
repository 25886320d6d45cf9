"""Where the Dask engine runs: a local cluster of threads, dask's threaded scheduler, or a
distributed scheduler given by its address (checked before distributed retries for long)."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

from soleus_analysis.errors import InputError

__all__ = ["CONNECT_TIMEOUT", "P2P_BUFFER", "DaskSession", "dask_session", "recording"]

#: How long to wait for a scheduler given with ``--scheduler``.
CONNECT_TIMEOUT = "20s"
#: Send buffer of the local cluster's p2p shuffle.
P2P_BUFFER = "128 MiB"


@dataclass
class DaskSession:
    """Where the graph runs: ``compute`` and the shuffle method that suits the scheduler."""

    client: object | None
    shuffle_method: str
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
                    fix="use more partitions (--partitions), fewer threads per worker, or more "
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
def dask_session(scheduler: str | None, threads: int | None) -> Iterator[DaskSession]:
    """Start (and close) a local cluster, connect to a scheduler, or use dask's threads.

    Warnings raised while the graph runs (in this process: the local cluster's workers are
    threads) are recorded, not shown; the caller puts them in the build notes. Distributed's
    logs are limited to errors.
    """
    import dask

    config = {
        # Keep pandas' own string dtype: dask would turn text columns into string[pyarrow].
        "dataframe.convert-string": False,
        # The local cluster's p2p shuffle sends shards to itself: a small send buffer is enough
        # (the default, 1 GiB, is a quarter of a 4 GB budget). Read when its worker starts.
        "distributed.p2p.comm.buffer": P2P_BUFFER,
    }
    threads = threads or os.cpu_count() or 1
    with dask.config.set(config), contextlib.ExitStack() as stack:
        if scheduler == "threads":
            with dask.config.set(num_workers=threads):
                yield DaskSession(None, "disk", f"dask threaded scheduler ({threads} threads)")
            return
        from distributed import Client, LocalCluster

        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.ERROR)
        stack.callback(quiet.setLevel, level)
        if scheduler in (None, "local"):
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=1,
                    threads_per_worker=threads,
                    processes=False,
                    # A random port: the default (8787) may be taken, and distributed warns then.
                    dashboard_address=":0",
                    silence_logs=logging.ERROR,
                )
            )
            client = stack.enter_context(Client(cluster, set_as_default=False))
            label = f"local cluster (1 worker, {threads} threads)"
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
            workers = len(client.scheduler_info().get("workers", {}))
            if not workers:
                raise InputError(
                    f"the Dask scheduler at {scheduler} has no workers",
                    fix="start workers with `dask worker ADDRESS` (each needs this package "
                    "installed) and build again",
                )
            label = f"distributed scheduler ({workers} worker(s))"
        yield DaskSession(client, "p2p", label)
