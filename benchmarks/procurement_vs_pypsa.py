"""Benchmark: the 24/7 CFE procurement LP in gridfirst vs the same LP built and solved in PyPSA.

Both solve identical inputs in one run; prints both times, the ratio, both objectives, their
relative difference and our certified optimality gap. Optionally times a 21-point target sweep.

    .venv/bin/python benchmarks/procurement_vs_pypsa.py                 # full year, method fast
    .venv/bin/python benchmarks/procurement_vs_pypsa.py --hours 168 --method highs
    .venv/bin/python benchmarks/procurement_vs_pypsa.py --sweep
"""

from __future__ import annotations

import argparse
import time

import pandas as pd


def _profiles(hours: int, seed: int) -> pd.DataFrame:
    """Synthetic year for a Tokyo-like site (fixed figures, independent of bundled data)."""
    from gridfirst.resources import grid_profiles, solar_profile, wind_profile

    lat, lon = 35.7, 139.7
    frame = pd.concat(
        [
            solar_profile(lat, lon, 0.16, seed=seed),
            wind_profile(lat, lon, 0.30, seed=seed),
            grid_profiles(110.0, 0.45, 0.30, lon),
        ],
        axis=1,
    ).assign(load_mw=100.0)
    return frame.iloc[:hours]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=8760, help="first N hours (costs stay annual)")
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--method", default="fast", choices=["fast", "highs"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sweep", action="store_true", help="also time a 21-point sweep 0..1")
    args = parser.parse_args()

    import pypsa  # noqa: F401  (import outside the timed region, like ours)

    from gridfirst.procurement import build_lp, optimise_procurement, sweep_targets
    from gridfirst.procurement.pypsa_peer import solve_pypsa

    profiles = _profiles(args.hours, args.seed)
    lp = build_lp(profiles, cfe_target=args.target)
    print(f"instance: {args.hours} hours, CFE target {args.target:.2f}, "
          f"{5 + 7 * args.hours} columns x {8 * args.hours + 1} rows")

    start = time.perf_counter()
    ours = optimise_procurement(profiles, cfe_target=args.target, method=args.method)
    ours_total = time.perf_counter() - start
    print(f"gridfirst [{ours.method}]: {ours_total:8.2f} s wall (solver {ours.solve_seconds:.2f} s), "
          f"objective {ours.objective_usd:,.2f} USD, certified gap {ours.optimality_gap:.2e}")

    peer = solve_pypsa(lp)
    print(f"PyPSA {pypsa.__version__} + HiGHS: {peer['total_seconds']:8.2f} s wall "
          f"(build {peer['build_seconds']:.2f} s), objective {peer['objective_usd']:,.2f} USD")

    diff = abs(ours.objective_usd - peer["objective_usd"]) / abs(peer["objective_usd"])
    print(f"speed-up (PyPSA wall / gridfirst wall): {peer['total_seconds'] / ours_total:.2f}x")
    print(f"objective relative difference: {diff:.2e}")
    print(f"capacities ours  S {ours.solar_mw:.2f} W {ours.wind_mw:.2f} P {ours.battery_mw:.2f} "
          f"E {ours.battery_mwh:.2f} F {ours.firm_mw:.2f}")
    print(f"capacities PyPSA S {peer['solar_mw']:.2f} W {peer['wind_mw']:.2f} "
          f"P {peer['battery_mw']:.2f} E {peer['battery_mwh']:.2f} F {peer['firm_mw']:.2f}")
    if args.sweep:
        targets = [round(0.05 * k, 2) for k in range(21)]
        start = time.perf_counter()
        results = sweep_targets(profiles, targets, method=args.method)
        seconds = time.perf_counter() - start
        print(f"21-point sweep [{results[-1].method}]: {seconds:.2f} s "
              f"({seconds / peer['total_seconds']:.2f} x one PyPSA solve); "
              f"max gap {max(r.optimality_gap for r in results):.2e}")


if __name__ == "__main__":
    main()
