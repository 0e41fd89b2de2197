"""Running a plan's Monte Carlo: sample blocks grouped into chunks on any executor.

Work is cut into whole blocks of samples (:data:`~gridfirst.risk.sampling.BLOCK_SIZE`), each
with its own seed stream, and results are combined in block order: the same seed gives the same
numbers whatever the executor and the number of workers. Where the chunks run, progress and
Ctrl-C belong to :mod:`gridfirst.parallel`, not here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import numpy as np

from gridfirst.errors import GridfirstError, RunCancelled
from gridfirst.parallel import EXECUTORS, ParallelExecutor, open_executor
from gridfirst.risk.evaluate import RiskResult, evaluate_block, summarise
from gridfirst.risk.problem import RiskProblem
from gridfirst.risk.sampling import BLOCK_SIZE, block_sizes

__all__ = ["MAX_CHUNK_BLOCKS", "RunCancelled", "evaluate_chunk", "run"]

Progress = Callable[[int, int], None]
# Most blocks one task takes (20 x 250 = 5,000 samples, well under a second on the example plan):
# progress moves often and little work is in flight. Seeds stay per block, so this only changes
# how blocks are grouped, never the numbers.
MAX_CHUNK_BLOCKS = 20


def evaluate_chunk(problem: RiskProblem, seed: int, blocks: Sequence[int], sizes: Sequence[int]
                   ) -> list[dict[str, np.ndarray]]:
    """Evaluate a list of blocks (the unit of work sent to a worker)."""
    return [evaluate_block(problem, seed, b, n) for b, n in zip(blocks, sizes, strict=True)]


def _evaluate_task(problem: RiskProblem, task: tuple[int, list[int], list[int]]
                   ) -> list[dict[str, np.ndarray]]:
    """:func:`evaluate_chunk` of one ``(seed, blocks, sizes)`` task, the problem shared."""
    seed, blocks, sizes = task
    return evaluate_chunk(problem, seed, blocks, sizes)


def _chunks(n_blocks: int, workers: int, max_blocks: int = MAX_CHUNK_BLOCKS) -> list[list[int]]:
    """Consecutive blocks grouped into at least four chunks per worker (load balance) of at most
    ``max_blocks`` blocks each (progress and cancellation)."""
    count = max(4 * workers, -(-n_blocks // max(1, max_blocks)))
    count = max(1, min(n_blocks, count))
    return [list(map(int, c)) for c in np.array_split(np.arange(n_blocks), count) if c.size]


def run(
    problem: RiskProblem,
    samples: int = 10_000,
    seed: int = 1,
    executor: str | ParallelExecutor | Executor | Any = "serial",
    workers: int | None = None,
    address: str | None = None,
    progress: Progress | None = None,
    block_size: int = BLOCK_SIZE,
    cvar_level: float = 0.95,
) -> RiskResult:
    """Evaluate ``problem`` under ``samples`` futures drawn from ``seed``.

    Parameters
    ----------
    executor : {'serial', 'processes', 'dask'} or ParallelExecutor or Executor or Dask client
        Where chunks run: this process, a pool of local processes, a Dask cluster (the scheduler
        at ``address`` or a local cluster of ``workers`` processes), or an executor the caller has
        open (:func:`gridfirst.parallel.open_executor`'s, a ``concurrent.futures.Executor`` or a
        Dask client), which is used and left open.
    workers : int, optional
        Local processes or local Dask workers (default 2).
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
        On Ctrl-C, after cancelling outstanding work (and stopping the workers this run started).
    """
    if samples < 1:
        raise GridfirstError(f"samples: {samples!r} must be at least 1")
    if block_size < 1:
        raise GridfirstError(f"block_size: {block_size!r} must be at least 1")
    if address is not None and executor == "serial":
        executor = "dask"
    if isinstance(executor, str) and executor not in EXECUTORS:
        raise GridfirstError(f"executor: {executor!r} is not one of {list(EXECUTORS)}")
    sizes = block_sizes(samples, block_size)
    start = time.perf_counter()
    with open_executor(executor, address=address, workers=workers) as pool:
        if pool.kind == "serial":
            # One block a step: progress and cancellation as fine as the blocks.
            chunks = [[b] for b in range(len(sizes))]
        else:
            chunks = _chunks(len(sizes), pool.workers)
        tasks = [(seed, c, [sizes[b] for b in c]) for c in chunks]
        done = pool.map(_evaluate_task, tasks, progress, weights=[sum(t[2]) for t in tasks],
                        shared=problem, unit="samples")
    blocks = [blk for chunk in done for blk in chunk]
    result = summarise(problem, blocks, seed, cvar_level)
    result.timings["evaluate_seconds"] = time.perf_counter() - start
    return result
