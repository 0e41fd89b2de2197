"""Running a plan's Monte Carlo serially, on local processes or on a Dask cluster.

Work is cut into whole blocks of samples (:data:`~gridfirst.risk.sampling.BLOCK_SIZE`), each
with its own seed stream, and results are combined in block order: the same seed gives the same
numbers whatever the executor and the number of workers. Progress goes to a callback; Ctrl-C
cancels outstanding work, stops the run's own worker processes at once (see
:func:`local_process_pool`) and raises :class:`RunCancelled`.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np

from gridfirst.errors import GridfirstError
from gridfirst.risk.evaluate import RiskResult, evaluate_block, summarise
from gridfirst.risk.problem import RiskProblem
from gridfirst.risk.sampling import BLOCK_SIZE, block_sizes

EXECUTORS = ("serial", "processes", "dask")
Progress = Callable[[int, int], None]
# Most blocks one task takes (20 x 250 = 5,000 samples, well under a second on the example plan):
# progress moves often and little work is in flight. Seeds stay per block, so this only changes
# how blocks are grouped, never the numbers.
MAX_CHUNK_BLOCKS = 20
# How long a cancelled pool's workers get to exit after SIGTERM before they are killed.
STOP_TIMEOUT_SECONDS = 5.0


class RunCancelled(GridfirstError):
    """The run was interrupted (Ctrl-C); outstanding work was cancelled."""


def evaluate_chunk(problem: RiskProblem, seed: int, blocks: Sequence[int], sizes: Sequence[int]
                   ) -> list[dict[str, np.ndarray]]:
    """Evaluate a list of blocks (the unit of work sent to a worker)."""
    return [evaluate_block(problem, seed, b, n) for b, n in zip(blocks, sizes, strict=True)]


def _chunks(n_blocks: int, workers: int, max_blocks: int = MAX_CHUNK_BLOCKS) -> list[list[int]]:
    """Consecutive blocks grouped into at least four chunks per worker (load balance) of at most
    ``max_blocks`` blocks each (progress and cancellation)."""
    count = max(4 * workers, -(-n_blocks // max(1, max_blocks)))
    count = max(1, min(n_blocks, count))
    return [list(map(int, c)) for c in np.array_split(np.arange(n_blocks), count) if c.size]


def ignore_sigint() -> None:
    """Worker initializer: leave Ctrl-C to the parent, which cancels the run and stops workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


_ignore_sigint = ignore_sigint  # earlier name, used by benchmarks/risk.py


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


@contextmanager
def local_process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` spawned local processes that ignore SIGINT, for one run.

    Closed normally (waiting for its work) when the block ends; on Ctrl-C or any failure its
    workers are terminated and joined before the exception propagates (:func:`stop_workers`), so
    nothing keeps computing after a cancelled run.
    """
    import multiprocessing as mp

    pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                               initializer=ignore_sigint)
    try:
        yield pool
    except BaseException:
        stop_workers(pool)
        raise
    pool.shutdown(wait=True)


def run(
    problem: RiskProblem,
    samples: int = 10_000,
    seed: int = 1,
    executor: str | Executor | Any = "serial",
    workers: int | None = None,
    address: str | None = None,
    progress: Progress | None = None,
    block_size: int = BLOCK_SIZE,
    cvar_level: float = 0.95,
) -> RiskResult:
    """Evaluate ``problem`` under ``samples`` futures drawn from ``seed``.

    Parameters
    ----------
    executor : {'serial', 'processes', 'dask'} or Executor or distributed.Client
        Where blocks run: this process, a pool of local processes, a Dask cluster (a running
        ``Client``, the scheduler at ``address``, or a LocalCluster of ``workers`` processes), or an
        existing ``concurrent.futures.Executor`` / ``distributed.Client`` that the caller owns.
    workers : int, optional
        Local processes or LocalCluster workers (default 2).
    address : str, optional
        Dask scheduler address, e.g. ``tcp://scheduler:8786`` (implies ``executor='dask'``).
    progress : callable, optional
        Called as ``progress(samples_done, samples_total)`` after each chunk.

    Returns
    -------
    RiskResult
        With ``timings['evaluate_seconds']``.

    Raises
    ------
    RunCancelled
        On Ctrl-C, after cancelling outstanding work.
    """
    if samples < 1:
        raise GridfirstError(f"samples: {samples!r} must be at least 1")
    if block_size < 1:
        raise GridfirstError(f"block_size: {block_size!r} must be at least 1")
    if address is not None and executor == "serial":
        executor = "dask"
    if isinstance(executor, str) and executor not in EXECUTORS:
        raise GridfirstError(f"executor: {executor!r} is not one of {list(EXECUTORS)}")
    workers = int(workers or 2)
    if workers < 1:
        raise GridfirstError(f"workers: {workers!r} must be at least 1")
    sizes = block_sizes(samples, block_size)
    start = time.perf_counter()
    if executor == "serial":
        blocks = _run_serial(problem, seed, sizes, progress, samples)
    elif executor == "processes" or isinstance(executor, Executor):
        blocks = _run_pool(problem, seed, sizes, executor, workers, progress, samples)
    else:
        blocks = _run_dask(problem, seed, sizes, executor, workers, address, progress, samples)
    result = summarise(problem, blocks, seed, cvar_level)
    result.timings["evaluate_seconds"] = time.perf_counter() - start
    return result


def _run_serial(problem: RiskProblem, seed: int, sizes: list[int], progress: Progress | None,
                total: int) -> list[dict[str, np.ndarray]]:
    out = []
    done = 0
    try:
        for b, n in enumerate(sizes):
            out.append(evaluate_block(problem, seed, b, n))
            done += n
            if progress:
                progress(done, total)
    except KeyboardInterrupt:
        raise RunCancelled(f"cancelled after {done} of {total} samples") from None
    return out


def _run_pool(problem: RiskProblem, seed: int, sizes: list[int], executor: str | Executor,
              workers: int, progress: Progress | None, total: int) -> list[dict[str, np.ndarray]]:
    if isinstance(executor, Executor):
        # The caller owns the pool (and stops its workers if it is cancelled).
        return _submit_chunks(problem, seed, sizes, executor, workers, progress, total)
    with local_process_pool(workers) as pool:
        return _submit_chunks(problem, seed, sizes, pool, workers, progress, total)


def _submit_chunks(problem: RiskProblem, seed: int, sizes: list[int], pool: Executor, workers: int,
                   progress: Progress | None, total: int) -> list[dict[str, np.ndarray]]:
    from concurrent.futures import as_completed

    chunks = _chunks(len(sizes), workers)
    results: dict[int, list[dict[str, np.ndarray]]] = {}
    futures = {}
    done = 0
    try:
        for i, c in enumerate(chunks):
            futures[pool.submit(evaluate_chunk, problem, seed, c, [sizes[b] for b in c])] = i
        for fut in as_completed(futures):
            i = futures[fut]
            results[i] = fut.result()
            done += sum(sizes[b] for b in chunks[i])
            if progress:
                progress(done, total)
    except KeyboardInterrupt:
        for fut in futures:
            fut.cancel()
        raise RunCancelled(f"cancelled after {done} of {total} samples") from None
    return [blk for i in range(len(chunks)) for blk in results[i]]


def _run_dask(problem: RiskProblem, seed: int, sizes: list[int], executor: Any, workers: int,
              address: str | None, progress: Progress | None, total: int
              ) -> list[dict[str, np.ndarray]]:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - depends on the install
        raise GridfirstError(
            "executor 'dask' needs dask[distributed]: pip install 'gridfirst[dask]'"
        ) from None
    import logging

    cluster = None
    if isinstance(executor, Client):
        client, own = executor, False
    elif address is not None:
        try:
            client, own = Client(address, timeout="10s"), True
        except OSError as exc:
            raise GridfirstError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
    else:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client, own = Client(cluster), True
    n_workers = max(1, len(client.scheduler_info().get("workers", {})) or workers)
    chunks = _chunks(len(sizes), n_workers)
    results: dict[int, list[dict[str, np.ndarray]]] = {}
    futures: list[Any] = []
    done = 0
    try:
        shared = client.scatter(problem, broadcast=True)
        for i, c in enumerate(chunks):
            futures.append(client.submit(evaluate_chunk, shared, seed, c, [sizes[b] for b in c],
                                         key=f"gridfirst-risk-{seed}-{i}-{id(shared)}", pure=False))
        index = {f.key: i for i, f in enumerate(futures)}
        for fut in as_completed(futures):
            i = index[fut.key]
            results[i] = fut.result()
            done += sum(sizes[b] for b in chunks[i])
            if progress:
                progress(done, total)
    except KeyboardInterrupt:
        client.cancel(futures)
        raise RunCancelled(f"cancelled after {done} of {total} samples") from None
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()
    return [blk for i in range(len(chunks)) for blk in results[i]]
