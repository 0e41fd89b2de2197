"""Benchmark: near-optimal alternatives of the example plan (target: 5 in under 60 s).

Resolves the bundled example (per-site procurement from the cache when warm), builds its
portfolio inputs once, solves the optimum and then searches the alternatives, timing the search
alone (what ``gridfirst plan --alternatives N`` adds to a plan), serially and, with
``--processes``, with the candidate solves on local worker processes.

Run: ``.venv/bin/python benchmarks/alternatives.py [-n 5] [--slack 0.02] [--processes 2]``.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="alternatives")
    parser.add_argument("--slack", type=float, default=0.02)
    parser.add_argument("--min-distance", type=float, default=20.0)
    parser.add_argument("--candidates", type=int, default=3)
    parser.add_argument("--processes", type=int, default=0, help="worker processes (0: serial)")
    args = parser.parse_args()

    from gridfirst.decide import decision_inputs
    from gridfirst.parallel import open_executor
    from gridfirst.planning.run import resolve_for_plan
    from gridfirst.portfolio import solve_portfolio
    from gridfirst.portfolio.alternatives import near_optimal

    started = time.perf_counter()
    resolved = resolve_for_plan(None)
    inputs = decision_inputs(resolved)
    opts = resolved.options.plan
    print(f"example resolved and inputs built in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    optimum = solve_portfolio(inputs, mip_gap=float(opts.mip_gap),
                              time_limit_s=float(opts.time_limit_s))
    print(f"optimum: {optimum.total_cost_usd / 1e9:,.3f} bn USD in "
          f"{time.perf_counter() - started:.1f} s")
    kind = "processes" if args.processes else "serial"
    with open_executor(kind, workers=args.processes or None) as pool:
        started = time.perf_counter()
        out = near_optimal(inputs, args.n, slack=args.slack, min_distance_mw=args.min_distance,
                           optimum=optimum, mip_gap=float(opts.mip_gap),
                           time_limit_s=float(opts.time_limit_s), candidates=args.candidates,
                           executor=pool if args.processes else None)
        seconds = time.perf_counter() - started
    for i, alt in enumerate(out.alternatives):
        print(f"alt{i + 1}: +{100 * (alt.cost_ratio - 1):.2f}% cost, {alt.distance_mw:,.0f} MW "
              f"from the optimum, {alt.nearest_mw:,.0f} MW from the nearest earlier plan "
              f"({alt.direction})")
    for note in out.notes:
        print(f"note: {note}")
    print(f"{len(out.alternatives)} alternatives ({args.candidates} directions each, {kind}"
          f"{f' x{args.processes}' if args.processes else ''}): {seconds:.1f} s (target < 60 s)")


if __name__ == "__main__":
    main()
