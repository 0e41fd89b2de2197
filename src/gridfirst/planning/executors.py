"""Where the plan's per-site work runs: serially, on local processes or on a Dask cluster.

Opens one executor per plan run and shares it between the per-site procurement (through
:meth:`PlanExecutor.map`) and the risk evaluation (:func:`gridfirst.risk.run_risk` accepts the same
pool or Dask client), so a plan starts its workers once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from gridfirst.errors import GridfirstError, ScenarioError

EXECUTORS = ("serial", "processes", "dask")
DEFAULT_WORKERS = 2
# Below this many procurement solves (about 2 s each), starting worker processes (several seconds
# of imports each) costs more than it saves.
AUTO_MIN_SOLVES = 4
AUTO_MIN_RISK_SAMPLES = 50_000


def choose_executor(pending_solves: int, risk_samples: int = 0) -> str:
    """The executor ``"auto"`` means: local processes when this machine has more than one core and
    there is enough work to pay for starting them, otherwise this process."""
    import os

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    enough = pending_solves >= AUTO_MIN_SOLVES or risk_samples >= AUTO_MIN_RISK_SAMPLES
    return "processes" if cores > 1 and enough else "serial"


@dataclass
class PlanExecutor:
    """An open executor: ``name``, the object to hand to :func:`gridfirst.risk.run_risk`
    (``"serial"``, a ``ProcessPoolExecutor`` or a ``distributed.Client``) and its worker count."""

    name: str
    target: Any
    workers: int

    def map(self, function: Callable[[Any], Any], items: Sequence[Any],
            progress: Callable[[int, int], None] | None = None) -> list[Any]:
        """``[function(item) for item in items]`` on the executor, in item order.

        Raises
        ------
        gridfirst.risk.RunCancelled
            On Ctrl-C, after cancelling the work not yet started.
        """
        from gridfirst.risk import RunCancelled

        items = list(items)
        total = len(items)
        results: list[Any] = [None] * total
        done = 0
        if self.name == "serial":
            try:
                for i, item in enumerate(items):
                    results[i] = function(item)
                    done += 1
                    if progress:
                        progress(done, total)
            except KeyboardInterrupt:
                raise RunCancelled(f"cancelled after {done} of {total} sites") from None
            return results
        if self.name == "processes":
            from concurrent.futures import as_completed

            futures = {self.target.submit(function, item): i for i, item in enumerate(items)}
            try:
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    done += 1
                    if progress:
                        progress(done, total)
            except KeyboardInterrupt:
                for fut in futures:
                    fut.cancel()
                raise RunCancelled(f"cancelled after {done} of {total} sites") from None
            return results
        from distributed import as_completed as dask_completed

        client = self.target
        dask_futures = client.map(function, items, pure=False)
        index = {f.key: i for i, f in enumerate(dask_futures)}
        try:
            for fut in dask_completed(dask_futures):
                results[index[fut.key]] = fut.result()
                done += 1
                if progress:
                    progress(done, total)
        except KeyboardInterrupt:
            client.cancel(dask_futures)
            raise RunCancelled(f"cancelled after {done} of {total} sites") from None
        return results


@contextmanager
def plan_executor(
    name: str = "serial", address: str | None = None, workers: int | None = None
) -> Iterator[PlanExecutor]:
    """Open an executor for one plan run and close it afterwards (also on Ctrl-C).

    Parameters
    ----------
    name : {"serial", "processes", "dask"}
        This process, a pool of local (spawned) processes, or Dask.
    address : str, optional
        Dask scheduler address, e.g. ``tcp://scheduler:8786``; a LocalCluster when None.
    workers : int, optional
        Local processes or LocalCluster workers (default 2).
    """
    if name not in EXECUTORS:
        raise ScenarioError(f"executor: {name!r} is not one of {list(EXECUTORS)}")
    if address is not None and name != "dask":
        raise ScenarioError(f"--dask {address}: a scheduler address needs the 'dask' executor, got {name!r}")
    count = int(workers or DEFAULT_WORKERS)
    if count < 1:
        raise ScenarioError(f"workers: {count} must be at least 1")
    if name == "serial":
        yield PlanExecutor("serial", "serial", 1)
        return
    if name == "processes":
        # The risk run's pool: workers ignore Ctrl-C and are terminated and joined on cancel or
        # failure rather than left to finish their current solve.
        from gridfirst.risk.executors import local_process_pool

        with local_process_pool(count) as pool:
            yield PlanExecutor("processes", pool, count)
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - depends on the install
        raise GridfirstError("executor 'dask' needs dask[distributed]: pip install 'gridfirst[dask]'") from None
    import logging

    cluster = None
    if address is not None:
        try:
            client = Client(address, timeout="10s")
        except OSError as exc:
            raise GridfirstError(f"--dask {address}: cannot reach the scheduler ({exc})") from None
    else:
        cluster = LocalCluster(n_workers=count, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.ERROR)
        client = Client(cluster)
    try:
        n = max(1, len(client.scheduler_info().get("workers", {})) or count)
        yield PlanExecutor("dask", client, n)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
