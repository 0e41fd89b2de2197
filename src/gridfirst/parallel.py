"""Where independent pieces of work run: in this process, on local worker processes or on Dask.

One open executor per run, shared by every stage that fans work out (per-site procurement, risk
sample blocks). It owns progress (``progress(done, total)``), cancellation (Ctrl-C terminates and
joins the run's workers and raises :class:`~gridfirst.errors.RunCancelled`) and the rule that
workers never outlive the process that started them. What the pieces of work are is not its concern.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gridfirst.errors import GridfirstError, RunCancelled, ScenarioError

#: Executor kinds: this process, a pool of local spawned processes, a Dask cluster.
EXECUTORS = ("serial", "processes", "dask")
#: Local processes or LocalCluster workers when the caller names no count.
DEFAULT_WORKERS = 2
#: ``"auto"`` starts processes from this many procurement solves on. A solve takes about 2 s and
#: a spawned worker several seconds of imports, so fewer solves finish sooner in this process.
AUTO_MIN_SOLVES = 4
#: ... or from this many risk samples (about 5,000 samples a second serially on the example plan).
AUTO_MIN_RISK_SAMPLES = 50_000
#: How long cancelled workers get to exit after SIGTERM before they are killed [s].
STOP_TIMEOUT_SECONDS = 5.0
#: Linux ``prctl`` option that sends a signal to a process when its parent dies
#: (``<linux/prctl.h>``; see prctl(2)).
PR_SET_PDEATHSIG = 1

#: ``progress(done, total)`` after each finished item, in the units of the map's weights.
Progress = Callable[[int, int], None]

_NOTHING = object()


def choose_executor(pending_solves: int, risk_samples: int = 0) -> str:
    """The executor ``"auto"`` means: local processes when this machine has more than one core and
    there is enough work to pay for starting them, otherwise this process.

    Parameters
    ----------
    pending_solves : int
        Procurement solves not answered by the cache.
    risk_samples : int
        Monte Carlo samples the run will draw.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    enough = pending_solves >= AUTO_MIN_SOLVES or risk_samples >= AUTO_MIN_RISK_SAMPLES
    return "processes" if cores > 1 and enough else "serial"


def die_with_parent(parent_pid: int) -> None:
    """Make this process receive SIGKILL when its parent dies (Linux; elsewhere nothing).

    Without it, a ``kill -9`` of the parent leaves pool workers blocked forever on their task
    queue (each holds the queue's write end, so it never sees end-of-file). The death signal
    follows the parent *thread* that spawned the worker, so a pool must be used from a thread
    that outlives it (as :func:`open_executor`'s ``with`` block ensures for its caller).

    Parameters
    ----------
    parent_pid : int
        The process id the worker was started by; if the parent is already gone when this runs,
        the worker exits at once.

    References
    ----------
    .. [1] prctl(2), ``PR_SET_PDEATHSIG``, Linux man-pages project.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (AttributeError, OSError):  # pragma: no cover - a libc without prctl
        return
    prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)


def worker_initializer(parent_pid: int) -> None:
    """Initializer of every local worker: leave Ctrl-C to the parent (which cancels the run and
    stops the workers) and die with the parent (:func:`die_with_parent`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent(parent_pid)


def stop_workers(pool: ProcessPoolExecutor, timeout_seconds: float = STOP_TIMEOUT_SECONDS) -> None:
    """Cancel a pool's queued work and terminate and join its worker processes now.

    ``shutdown(cancel_futures=True)`` alone lets every running task (and the one queued per
    worker) finish, and the interpreter waits for them at exit. Only for pools whose workers
    belong to this run.
    """
    # The pool forgets its processes and manager thread on shutdown: take them first.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
    deadline = time.monotonic() + timeout_seconds
    for proc in processes:
        proc.join(timeout=max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=1.0)
    if manager is not None:
        manager.join(timeout=max(0.0, deadline - time.monotonic()))


@dataclass
class ParallelExecutor:
    """An open executor (from :func:`open_executor`).

    Attributes
    ----------
    kind : {"serial", "processes", "dask"}
    target : object
        ``"serial"``, the ``concurrent.futures.Executor`` or the ``distributed.Client``.
    workers : int
        How many items run at once (1 serially; Dask: the cluster's threads).
    """

    kind: str
    target: Any
    workers: int

    def map(self, function: Callable[..., Any], items: Sequence[Any], progress: Progress | None = None,
            *, weights: Sequence[int] | None = None, shared: Any = _NOTHING, unit: str = "items"
            ) -> list[Any]:
        """``[function(item) for item in items]`` on the executor, results in item order.

        Parameters
        ----------
        function : callable
            A module-level function (pickled to processes and Dask workers).
        items : sequence
        progress : callable, optional
            ``progress(done, total)`` after each finished item, in the units of ``weights``.
        weights : sequence of int, optional
            How much each item counts towards ``done`` (default 1 each), e.g. its samples.
        shared : object, optional
            When given, ``function(shared, item)`` is called instead; Dask sends ``shared`` to
            every worker once rather than with each item.
        unit : str
            What ``weights`` count, for the cancellation message (``"sites"``, ``"samples"``).

        Raises
        ------
        gridfirst.errors.RunCancelled
            On Ctrl-C (or a KeyboardInterrupt from ``progress``), after cancelling the work not
            yet finished. Leaving :func:`open_executor`'s block with it stops the workers. Any
            other failure (an item's own exception) also cancels the rest, then propagates.
        """
        items = list(items)
        counts = [1] * len(items) if weights is None else [int(w) for w in weights]
        if len(counts) != len(items):
            raise GridfirstError(f"weights: {len(counts)} given for {len(items)} items")
        call = (lambda item: function(shared, item)) if shared is not _NOTHING else function
        total = sum(counts)
        results: list[Any] = [None] * len(items)
        done = 0
        if self.kind == "serial":
            try:
                for i, item in enumerate(items):
                    results[i] = call(item)
                    done += counts[i]
                    if progress:
                        progress(done, total)
            except KeyboardInterrupt:
                raise RunCancelled(f"cancelled after {done} of {total} {unit}") from None
            return results
        if self.kind == "processes":
            from concurrent.futures import as_completed

            args = () if shared is _NOTHING else (shared,)
            futures: dict[Any, int] = {}
            try:
                for i, item in enumerate(items):
                    futures[self.target.submit(function, *args, item)] = i
                for fut in as_completed(futures):
                    i = futures[fut]
                    results[i] = fut.result()
                    done += counts[i]
                    if progress:
                        progress(done, total)
            except BaseException as exc:
                for fut in futures:
                    fut.cancel()
                if isinstance(exc, KeyboardInterrupt):
                    raise RunCancelled(f"cancelled after {done} of {total} {unit}") from None
                raise
            return results
        from distributed import as_completed as dask_completed

        client = self.target
        dask_futures: list[Any] = []
        try:
            if shared is _NOTHING:
                dask_futures = client.map(function, items, pure=False)
            else:
                everywhere = client.scatter(shared, broadcast=True)
                dask_futures = [client.submit(function, everywhere, item, pure=False) for item in items]
            index = {f.key: i for i, f in enumerate(dask_futures)}
            for fut in dask_completed(dask_futures):
                i = index[fut.key]
                results[i] = fut.result()
                done += counts[i]
                if progress:
                    progress(done, total)
        except BaseException as exc:
            client.cancel(dask_futures)
            if isinstance(exc, KeyboardInterrupt):
                raise RunCancelled(f"cancelled after {done} of {total} {unit}") from None
            raise
        return results


@contextmanager
def open_executor(kind: str | ParallelExecutor | Executor | Any = "serial", address: str | None = None,
                  workers: int | None = None) -> Iterator[ParallelExecutor]:
    """Open an executor for one run and close it afterwards.

    Workers started here are closed normally (waiting for their work) when the block ends; on
    Ctrl-C or any failure they are terminated and joined before the exception propagates, so
    nothing keeps computing after a cancelled run. Local workers ignore SIGINT and die with this
    process (:func:`worker_initializer`).

    Parameters
    ----------
    kind : {"serial", "processes", "dask"} or ParallelExecutor or Executor or distributed.Client
        This process, a pool of local (spawned) processes, or Dask; or an executor the caller
        already has open, which is used as it is and left open (the caller stops its workers).
    address : str, optional
        Dask scheduler address, e.g. ``tcp://scheduler:8786``; a LocalCluster when None.
    workers : int, optional
        Local processes or LocalCluster workers (default :data:`DEFAULT_WORKERS`).

    Raises
    ------
    ScenarioError
        Unknown kind, an address without ``"dask"``, fewer than one worker.
    GridfirstError
        Dask is not installed or the scheduler cannot be reached.
    """
    if isinstance(kind, ParallelExecutor):
        yield kind
        return
    if isinstance(kind, Executor):
        pool_workers: int = workers or getattr(kind, "_max_workers", None) or DEFAULT_WORKERS
        yield ParallelExecutor("processes", kind, int(pool_workers))
        return
    if not isinstance(kind, str):
        yield ParallelExecutor("dask", kind, _dask_slots(kind, workers))
        return
    if kind not in EXECUTORS:
        raise ScenarioError(f"executor: {kind!r} is not one of {list(EXECUTORS)}")
    if address is not None and kind != "dask":
        raise ScenarioError(f"--dask {address}: a scheduler address needs the 'dask' executor, got {kind!r}")
    count = DEFAULT_WORKERS if workers is None else int(workers)
    if count < 1:
        raise ScenarioError(f"workers: {count} must be at least 1")
    if kind == "serial":
        yield ParallelExecutor("serial", "serial", 1)
        return
    if kind == "processes":
        with _local_pool(count) as pool:
            yield ParallelExecutor("processes", pool, count)
        return
    with _dask_client(address, count) as client:
        yield ParallelExecutor("dask", client, _dask_slots(client, count))


@contextmanager
def _local_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    import multiprocessing as mp

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               initializer=worker_initializer, initargs=(os.getpid(),))
    try:
        yield pool
    except BaseException:
        stop_workers(pool)
        raise
    pool.shutdown(wait=True)


@contextmanager
def _dask_client(address: str | None, workers: int) -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the install
        raise GridfirstError("executor 'dask' needs dask[distributed]: pip install 'gridfirst[dask]'") from None
    import logging

    cluster = None
    if address is not None:
        from distributed.comm import get_address_host_port

        try:
            # Checked first: a Client that fails to parse its address hangs at interpreter exit.
            get_address_host_port(address)
        except ValueError as exc:
            raise ScenarioError(
                f"--dask {address}: not a scheduler address ({exc}); expected e.g. tcp://scheduler:8786"
            ) from None
        try:
            client = Client(address, timeout="10s")
        except (OSError, ValueError, TypeError) as exc:
            raise GridfirstError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
    else:
        # Dask's own worker processes exit when this process dies (distributed.process watches a
        # pipe from the parent), so they need no death signal.
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _dask_slots(client: Any, fallback: int | None) -> int:
    """Tasks a Dask cluster runs at once: the threads of all its workers."""
    threads = sum(client.nthreads().values())
    return max(1, threads or int(fallback or DEFAULT_WORKERS))
