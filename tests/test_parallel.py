"""Tests of gridfirst.parallel: order, progress, cancellation and workers that die with their parent."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import gridfirst
from gridfirst.errors import GridfirstError, RunCancelled, ScenarioError
from gridfirst.parallel import open_executor

KINDS = ["serial", "processes", "dask"]
#: prctl option that reads the death signal back (``<linux/prctl.h>``).
PR_GET_PDEATHSIG = 2


def _affine(shared: tuple[int, int], x: int) -> int:
    scale, offset = shared
    return scale * x + offset


def _slow(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def _reciprocal(x: int) -> float:
    return 1 / x


def _worker_state(_: object) -> tuple[bool, int]:
    """Whether this process ignores SIGINT, and its death signal (prctl PR_GET_PDEATHSIG)."""
    import ctypes

    got = ctypes.c_int(0)
    ctypes.CDLL(None).prctl(PR_GET_PDEATHSIG, ctypes.byref(got), 0, 0, 0)
    return signal.getsignal(signal.SIGINT) == signal.SIG_IGN, got.value


def _children_after(seconds: float) -> list:
    deadline = time.monotonic() + seconds
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return multiprocessing.active_children()


@pytest.mark.parametrize("kind", KINDS)
def test_map_keeps_order_and_results_and_progress_reaches_total(kind: str) -> None:
    items = list(range(-7, 30, 3))
    seen: list[tuple[int, int]] = []
    weights = [i + 1 for i in range(len(items))]
    with open_executor(kind, workers=2) as pool:
        assert pool.kind == kind and pool.workers == (1 if kind == "serial" else 2)
        assert pool.map(abs, items) == [abs(x) for x in items]
        got = pool.map(_affine, items, lambda d, t: seen.append((d, t)), weights=weights,
                       shared=(3, -1))
    assert got == [3 * x - 1 for x in items]
    total = sum(weights)
    assert [t for _, t in seen] == [total] * len(items)
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == total
    assert _children_after(5.0) == []


@pytest.mark.parametrize("kind", ["processes", "dask"])
def test_cancel_mid_run_leaves_no_live_worker(kind: str) -> None:
    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(RunCancelled, match=r"cancelled after 1 of 6 sites"):
        with open_executor(kind, workers=2) as pool:
            # The first short item finishes; the other worker is 30 s into a long one.
            pool.map(_slow, [0.01, 30, 30, 30, 30, 30], progress=interrupt, unit="sites")
    assert _children_after(5.0) == []


@pytest.mark.parametrize("kind", ["serial", "processes"])
def test_an_item_that_fails_propagates_its_own_error(kind: str) -> None:
    with pytest.raises(ZeroDivisionError):
        with open_executor(kind, workers=2) as pool:
            pool.map(_reciprocal, [1, 2, 0, 4])
    assert _children_after(5.0) == []


def test_serial_cancel_names_what_was_done() -> None:
    def interrupt(done: int, total: int) -> None:
        if done == 5:  # after the second item
            raise KeyboardInterrupt

    with pytest.raises(RunCancelled, match=r"cancelled after 5 of 9 samples"):
        with open_executor("serial") as pool:
            pool.map(abs, [1, 2, 3], interrupt, weights=[2, 3, 4], unit="samples")


def test_local_workers_ignore_ctrl_c_and_die_with_their_parent() -> None:
    with open_executor("processes", workers=2) as pool:
        states = pool.map(_worker_state, [0, 1, 2, 3])
    assert states == [(True, int(signal.SIGKILL))] * 4


def test_an_executor_the_caller_owns_is_used_and_left_open() -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=3) as threads:
        with open_executor(threads) as pool:
            assert (pool.kind, pool.workers) == ("processes", 3)
            assert pool.map(abs, [-1, -2]) == [1, 2]
        with open_executor(pool) as again:
            assert again is pool
        assert threads.submit(abs, -4).result() == 4


def test_bad_settings_are_one_line_errors() -> None:
    with pytest.raises(ScenarioError, match=r"executor: 'threads' is not one of"):
        with open_executor("threads"):
            pass
    with pytest.raises(ScenarioError, match=r"needs the 'dask' executor"):
        with open_executor("processes", address="tcp://127.0.0.1:8786"):
            pass
    with pytest.raises(ScenarioError, match=r"workers: 0 must be at least 1"):
        with open_executor("processes", workers=0):
            pass
    with pytest.raises(ScenarioError, match=r"--dask tcp://host:port: not a scheduler address"):
        with open_executor("dask", address="tcp://host:port"):
            pass
    with pytest.raises(GridfirstError, match=r"weights: 1 given for 2 items"):
        with open_executor("serial") as pool:
            pool.map(abs, [1, 2], weights=[1])


def test_run_cancelled_is_one_class_everywhere() -> None:
    import gridfirst.errors
    import gridfirst.risk

    assert gridfirst.risk.RunCancelled is gridfirst.errors.RunCancelled
    assert issubclass(RunCancelled, GridfirstError)


_PARENT = """
import multiprocessing, sys, time
from gridfirst.parallel import open_executor

if __name__ == "__main__":
    with open_executor(sys.argv[1], workers=2) as pool:
        pool.map(time.sleep, [0.5, 0.5])  # both workers started and busy once
        pids = sorted(p.pid for p in multiprocessing.active_children())
        print(" ".join(map(str, pids)), flush=True)
        time.sleep(120)
"""


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.parametrize("kind", ["processes", "dask"])
def test_kill_9_of_the_parent_takes_its_workers_with_it(kind: str, tmp_path: Path) -> None:
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(_PARENT))
    src = str(Path(gridfirst.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, str(script), kind], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, env=env, text=True)
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        pids = [int(p) for p in line.split()]
        assert len(pids) >= 2, line
        assert all(_alive(p) for p in pids)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5.0
        while any(_alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        orphans = [p for p in pids if _alive(p)]
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
    for pid in orphans:  # do not leave them running if the assertion fails
        os.kill(pid, signal.SIGKILL)
    assert orphans == []
