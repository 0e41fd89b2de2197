"""Benchmark: 10,000 futures of the example plan, serially, on 2 local processes and on Dask.

Solves the bundled example's portfolio once, then evaluates its plan under the same seed on each
executor, checks the numbers are identical, and prints throughput (futures per second) and the
scaling efficiency (serial time / (workers x parallel time)). Pools and clusters are started and
warmed before timing; their start-up is printed separately.

Run: ``.venv/bin/python benchmarks/risk.py [--samples 10000] [--workers 2]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from gridfirst.parallel import open_executor
from gridfirst.portfolio import portfolio_inputs, solve_portfolio
from gridfirst.risk.problem import problem_from_plan
from gridfirst.risk.run import run
from gridfirst.scenario import load_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    n, w = args.samples, args.workers

    scenario = load_scenario()
    t0 = time.perf_counter()
    plan = solve_portfolio(portfolio_inputs(scenario))
    problem = problem_from_plan(plan, scenario)
    print(f"example plan: {len(problem.sites)} sites, {len(problem.keys)} demand keys, "
          f"{problem.years.size} years; portfolio solved in {time.perf_counter() - t0:.2f} s")

    rows = []
    t = time.perf_counter()
    ref = run(problem, samples=n, seed=args.seed)
    serial_s = time.perf_counter() - t
    rows.append(("serial", 1, serial_s, 0.0, True))

    for kind, label in (("processes", f"{w} local processes"), ("dask", f"Dask LocalCluster, {w} workers")):
        t = time.perf_counter()
        with open_executor(kind, workers=w) as pool:
            pool.map(abs, range(pool.workers))  # start the workers
            run(problem, samples=2 * w * 250, seed=0, executor=pool)  # warm imports
            startup = time.perf_counter() - t
            t = time.perf_counter()
            res = run(problem, samples=n, seed=args.seed, executor=pool)
            rows.append((label, w, time.perf_counter() - t, startup, _same(ref, res)))

    print(f"\n{n} futures, seed {args.seed}")
    print(f"{'executor':<32}{'seconds':>9}{'futures/s':>11}{'speed-up':>10}{'efficiency':>12}"
          f"{'start-up s':>12}  identical")
    for name, workers, secs, start, same in rows:
        speed = serial_s / secs
        print(f"{name:<32}{secs:>9.2f}{n / secs:>11.0f}{speed:>10.2f}{speed / workers:>12.0%}"
              f"{start:>12.2f}  {same}")
    s = ref.summary
    print(f"\nexpected cost {s['cost_mean_usd'] / 1e9:.2f} bn USD (P90 {s['cost_p90_usd'] / 1e9:.2f}, "
          f"CVaR95 {s['cost_cvar95_usd'] / 1e9:.2f}; as planned {s['deterministic_cost_usd'] / 1e9:.2f}); "
          f"shortfall {s['shortfall_mean_mw_years']:.0f} MW-years (as planned "
          f"{s['deterministic_shortfall_mw_years']:.0f}; min-cut lower bound "
          f"{s['shortfall_bound_mean_mw_years']:.0f})")
    target = rows[1][2]
    print(f"target: {n} futures < 30 s on {w} cores -> {'met' if target < 30 else 'NOT met'} "
          f"({target:.1f} s on local processes)")


def _same(a, b) -> bool:
    return bool(np.array_equal(a.samples.to_numpy(), b.samples.to_numpy())
                and a.summary == b.summary)


if __name__ == "__main__":
    main()
