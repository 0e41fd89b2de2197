"""Benchmark: the robust plan with K futures on the bundled example, on 2 local processes.

Resolves the example and solves its deterministic portfolio (as ``gridfirst plan`` does), then
solves the sample-average model over K futures (default 50) and evaluates both plans out of
sample, and prints the time of each step, the price of robustness and both plans' out-of-sample
cost and shortfall. Target: the robust plan (draw, build, solve, re-solve; not the resolve nor
the deterministic plan) in under 2 minutes on 2 cores. Printed, not asserted.

Run: ``.venv/bin/python benchmarks/robust.py [--futures 50] [--workers 2] [--executor processes]``
"""

from __future__ import annotations

import argparse
import time

from gridfirst.decide import decide
from gridfirst.resolve import resolve
from gridfirst.risk.saa import robust_plan
from gridfirst.scenario import RiskAppetite, load_scenario

TARGET_SECONDS = 120.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--futures", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executor", default="processes")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out-of-sample", type=int, default=5_000)
    parser.add_argument("--measure", default="expected", choices=["expected", "cvar", "chance"])
    args = parser.parse_args()

    t0 = time.perf_counter()
    scenario = load_scenario()
    resolved = resolve(scenario, energy=True)
    _, det = decide(resolved)
    print(f"example resolved and deterministic plan solved in {time.perf_counter() - t0:.1f} s "
          f"(total cost {det.total_cost_usd / 1e9:.2f} bn USD)")
    appetite = RiskAppetite(level=scenario.policy.risk_appetite.level, measure=args.measure)
    t0 = time.perf_counter()
    out = robust_plan(det, resolved, futures=args.futures, seed=args.seed, appetite=appetite,
                      out_of_sample=args.out_of_sample, executor=args.executor,
                      workers=args.workers, mip_gap=float(scenario.options.plan.mip_gap))
    total = time.perf_counter() - t0
    t = out.timings
    plan_s = t["futures_seconds"] + t["build_and_solve_seconds"] + t["fix_seconds"]
    s = out.summary
    where = args.executor if args.executor == "serial" else f"{args.executor} x {args.workers}"
    print(f"\nrobust plan, K = {args.futures} futures ({s['measure']}), {where}: {s['status']}, "
          f"gap {s['mip_gap']:.2%}")
    print(f"  draw futures {t['futures_seconds']:.2f} s, build + solve {t['build_and_solve_seconds']:.2f} s,"
          f" fix and re-solve {t['fix_seconds']:.2f} s -> robust plan in {plan_s:.1f} s")
    print(f"  out of sample ({s['out_of_sample_futures']} futures each): deterministic "
          f"{t.get('deterministic_out_of_sample_seconds', 0):.1f} s, robust "
          f"{t.get('robust_out_of_sample_seconds', 0):.1f} s; all steps {total:.1f} s")
    print(f"\nprice of robustness {s['price_of_robustness_usd'] / 1e9:+.2f} bn USD "
          f"({s['price_of_robustness_share']:+.1%} of the deterministic plan's cost as planned)")
    print(f"{'out of sample':<34}{'deterministic':>16}{'robust':>16}")
    d, r = s["deterministic"], s["robust"]
    for key, label, scale in (("cost_mean_usd", "expected cost [bn USD]", 1e-9),
                              ("cost_cvar95_usd", "CVaR95 cost [bn USD]", 1e-9),
                              ("shortfall_mean_mw_years", "expected shortfall [MW-years]", 1.0),
                              ("shortfall_p90_mw_years", "P90 shortfall [MW-years]", 1.0)):
        if key in d:
            print(f"{label:<34}{d[key] * scale:>16,.2f}{r[key] * scale:>16,.2f}")
    print(f"\ntarget: robust plan with K = {args.futures} < {TARGET_SECONDS:.0f} s on "
          f"{args.workers} cores -> {'met' if plan_s < TARGET_SECONDS else 'NOT met'} ({plan_s:.1f} s)")


if __name__ == "__main__":
    main()
