"""Tests of the risk run on every executor and its CLI: same seed, same numbers on every executor."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_risk import tiny_problem
from typer.testing import CliRunner

from gridfirst.errors import GridfirstError
from gridfirst.risk.run import run


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.samples, b.samples, check_exact=True)
    pd.testing.assert_frame_equal(a.years, b.years, check_exact=True)
    pd.testing.assert_frame_equal(a.sites, b.sites, check_exact=True)
    assert a.summary == b.summary


@pytest.fixture(scope="module")
def serial():
    problem, *_ = tiny_problem()
    return problem, run(problem, samples=700, seed=11, block_size=100)


def test_block_grouping_and_worker_count_do_not_change_the_numbers(serial) -> None:
    problem, ref = serial
    seen: list[int] = []
    again = run(problem, samples=700, seed=11, block_size=100, progress=lambda d, t: seen.append(d))
    _same(ref, again)
    assert seen[-1] == 700 and seen == sorted(seen)
    other = run(problem, samples=700, seed=12, block_size=100)
    assert not np.array_equal(ref.samples["cost_usd"], other.samples["cost_usd"])


def test_local_processes_match_serial(serial) -> None:
    problem, ref = serial
    _same(ref, run(problem, samples=700, seed=11, block_size=100, executor="processes", workers=2))


def test_dask_local_cluster_matches_serial(serial) -> None:
    from distributed import Client, LocalCluster

    problem, ref = serial
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        _same(ref, run(problem, samples=700, seed=11, block_size=100, executor=client))
    # The executor's own LocalCluster of worker processes.
    _same(ref, run(problem, samples=700, seed=11, block_size=100, executor="dask", workers=2))


@settings(max_examples=60, deadline=None)
@given(n_blocks=st.integers(1, 2_000), workers=st.integers(1, 16), max_blocks=st.integers(1, 50))
def test_chunks_cover_every_block_once_in_order_and_stay_small(n_blocks: int, workers: int,
                                                               max_blocks: int) -> None:
    from gridfirst.risk.run import _chunks

    chunks = _chunks(n_blocks, workers, max_blocks)
    assert [b for c in chunks for b in c] == list(range(n_blocks))
    assert max(len(c) for c in chunks) <= max_blocks
    assert len(chunks) == min(n_blocks, max(4 * workers, -(-n_blocks // max_blocks)))


def test_small_chunks_on_processes_match_one_serial_pass() -> None:
    from gridfirst.risk.run import MAX_CHUNK_BLOCKS

    problem, *_ = tiny_problem()
    # 200 blocks: more than 4 chunks per worker once each is capped at MAX_CHUNK_BLOCKS blocks.
    n_blocks = 200
    assert n_blocks > 4 * 2 * MAX_CHUNK_BLOCKS
    ref = run(problem, samples=10 * n_blocks - 3, seed=5, block_size=10)
    seen: list[int] = []
    got = run(problem, samples=10 * n_blocks - 3, seed=5, block_size=10, executor="processes",
              workers=2, progress=lambda d, t: seen.append(d))
    _same(ref, got)
    assert len(seen) == -(-n_blocks // MAX_CHUNK_BLOCKS) and seen[-1] == 10 * n_blocks - 3


def test_bad_arguments_are_clear_errors(serial) -> None:
    problem, _ = serial
    with pytest.raises(GridfirstError, match="executor: 'gpu'"):
        run(problem, samples=10, executor="gpu")
    with pytest.raises(GridfirstError, match="samples: 0"):
        run(problem, samples=0)


def test_interrupt_cancels_cleanly(serial) -> None:
    from gridfirst.errors import RunCancelled

    problem, _ = serial

    def stop(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(RunCancelled, match="cancelled after 100 of 700"):
        run(problem, samples=700, seed=1, block_size=100, progress=stop)
    with pytest.raises(RunCancelled):
        run(problem, samples=700, seed=1, block_size=100, executor="processes", progress=stop)


def _children_after(seconds: float) -> list:
    import multiprocessing
    import time

    deadline = time.monotonic() + seconds
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return multiprocessing.active_children()


def test_cancelled_process_run_stops_its_running_workers(serial) -> None:
    """Ctrl-C terminates the pool's workers instead of letting their running chunk finish."""
    import time

    from gridfirst.errors import RunCancelled

    problem, _ = serial
    seen: list[int] = []

    def stop(done: int, total: int) -> None:
        seen.append(done)
        raise KeyboardInterrupt

    # Two blocks, one chunk each: the 1-sample block finishes at once and triggers the interrupt
    # while the other worker is seconds into its 200,000-sample block.
    with pytest.raises(RunCancelled, match="cancelled after 1 of 200001"):
        run(problem, samples=200_001, seed=1, block_size=200_000, executor="processes",
            workers=2, progress=stop)
    cancelled = time.monotonic()
    assert _children_after(2.0) == []
    assert time.monotonic() - cancelled < 2.0
    assert seen == [1]


def test_cli_json_is_identical_across_executors(tmp_path) -> None:
    from gridfirst.cli import app
    from gridfirst.portfolio.synthetic import synthetic_scenario

    path = tmp_path / "s.yaml"
    path.write_text(synthetic_scenario(6, n_years=4, seed=2, n_regions=2).to_yaml())
    runner = CliRunner()
    outs = []
    for executor in ("serial", "processes"):
        res = runner.invoke(app, ["risk", str(path), "--samples", "300", "--seed", "4",
                                  "--executor", executor, "--candidates", "cost_optimal",
                                  "--format", "json"])
        assert res.exit_code == 0, res.output
        outs.append(json.loads(res.stdout))

    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if "seconds" not in k}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    assert strip(outs[0]) == strip(outs[1])
    assert [c["candidate"] for c in outs[0]["candidates"]] == ["cost_optimal"]
    assert outs[0]["summary"]["samples"] == 300


def test_candidates_trade_cost_for_shortfall() -> None:
    from gridfirst.portfolio.synthetic import synthetic_scenario
    from gridfirst.risk.robust import compare_plans

    scenario = synthetic_scenario(6, n_years=4, seed=2, n_regions=2)
    out = compare_plans(scenario, samples=300, seed=3, candidates=("cost_optimal", "buffered"),
                        buffer_share=0.3)
    table = out.table.set_index("candidate")
    # Buying a buffer never costs less as planned and never leaves more capacity unbuilt.
    assert table.at["buffered", "planned_cost_usd"] >= table.at["cost_optimal", "planned_cost_usd"] - 1.0
    assert table.at["buffered", "online_final_year_mw"] >= table.at["cost_optimal", "online_final_year_mw"]
    assert table["pareto"].any()
    # Both plans are judged against the same outlook under the same futures.
    a, b = (out.candidates[c].risk for c in ("cost_optimal", "buffered"))
    assert np.array_equal(a.years["demand_mean_mw"], b.years["demand_mean_mw"])
