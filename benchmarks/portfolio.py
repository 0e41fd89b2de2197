"""Scaling run of the portfolio MILP: 50, 100, 200 and 400 synthetic sites over 10 years.

Prints build and solve time, model size and MIP gap per size and how solve time grows with the
number of sites. Target: 200 sites x 10 years to a 1% gap in under 60 s on 2 cores.

    .venv/bin/python benchmarks/portfolio.py [--sizes 50 100 200 400] [--seed 0] [--threads 2]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    from gridfirst.portfolio import build_model, portfolio_inputs
    from gridfirst.portfolio.solve import _run_highs
    from gridfirst.portfolio.synthetic import synthetic_scenario

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 400])
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--gap", type=float, default=0.01)
    parser.add_argument("--time-limit", type=float, default=300.0)
    args = parser.parse_args()

    header = (f"{'sites':>6} {'years':>5} {'cols':>7} {'int':>6} {'rows':>7} {'nnz':>8} "
              f"{'inputs_s':>8} {'build_s':>8} {'solve_s':>8} {'gap':>7} {'short_mw':>9} "
              f"{'x_prev':>7}  status")
    print(header)
    previous = None
    for n in args.sizes:
        scenario = synthetic_scenario(n, n_years=args.years, seed=args.seed)
        t0 = time.perf_counter()
        inputs = portfolio_inputs(scenario)
        inputs_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        model = build_model(inputs)
        build_s = time.perf_counter() - t0
        sol = _run_highs(model, integer=True, mip_gap=args.gap, time_limit_s=args.time_limit,
                         threads=args.threads)
        short = float(sol.x[model.cols["unmet"]].sum())
        ratio = f"{sol.seconds / previous:7.2f}" if previous else f"{'':>7}"
        print(f"{n:>6} {args.years:>5} {model.num_cols:>7} {int(model.integrality.sum()):>6} "
              f"{model.num_rows:>7} {model.A.nnz:>8} {inputs_s:>8.2f} {build_s:>8.2f} {sol.seconds:>8.2f} "
              f"{sol.mip_gap:>7.2%} {short:>9.0f} {ratio}  {sol.status}", flush=True)
        previous = sol.seconds
    print(f"latency: {inputs.latency_source}")


if __name__ == "__main__":
    main()
