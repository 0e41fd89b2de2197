"""Benchmark: the 24/7 CFE procurement LP in gridfirst vs the same LP built and solved in PyPSA.

Both solve identical inputs in one run; prints both times, the ratio, both objectives, their
relative difference and our certified optimality gap. Optionally times a 21-point target sweep.

    .venv/bin/python benchmarks/procurement_vs_pypsa.py                 # full year, method fast
    .venv/bin/python benchmarks/procurement_vs_pypsa.py --hours 168 --method highs
    .venv/bin/python benchmarks/procurement_vs_pypsa.py --sweep
    .venv/bin/python benchmarks/procurement_vs_pypsa.py --family   # worst and median ratios
    .venv/bin/python benchmarks/procurement_vs_pypsa.py --markets  # multi-option supply stacks

``--family`` times whole processes, as a user runs them: ``gridfirst procure --hourly FILE``
against a process that reads the same file and solves the same LP with PyPSA + HiGHS, over
seeded profiles with and without binding storage (default costs, and clean firm supply ten
times dearer so the battery carries the night) and targets 0.5 to 0.99, and prints the worst
and the median ratio (never the best).

``--markets`` builds each listed bundled market's supply stack (its sourced options: PPAs with
caps, imports, hydro, geothermal, nuclear PPAs, batteries; the soft target's shortfall) on a full
year, solves it with the fast method and with PyPSA + HiGHS in the same process (model build
included on both sides, profiles and stack built once outside the clock) and prints each ratio,
the LP objectives' relative difference and the worst and median ratio.
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


def _peer_process(path: str, target: float, costs: str | None) -> None:
    """The peer as a user would run it: read the profile file, build the LP, solve with PyPSA."""
    import json

    from gridfirst.procurement import build_lp, default_costs, load_costs
    from gridfirst.procurement.pypsa_peer import solve_pypsa
    from gridfirst.resources import read_profiles

    cost_model = load_costs(costs) if costs else default_costs()
    lp = build_lp(read_profiles(path), cost_model, cfe_target=target)
    out = solve_pypsa(lp)
    print(json.dumps({"objective_usd": out["objective_usd"], "battery_mwh": out["battery_mwh"]}))


def _family(seeds: list[int], targets: list[float]) -> None:
    import json
    import statistics
    import subprocess
    import sys
    import tempfile
    from pathlib import Path

    import yaml

    from gridfirst.data import data_dir

    rows = []
    with tempfile.TemporaryDirectory(prefix="gridfirst-family-") as tmp:
        dear = Path(tmp) / "dear_firm.yaml"
        raw = yaml.safe_load((data_dir() / "procurement_costs.yaml").read_text())
        raw["firm"]["overnight_usd_per_mw"] = 10 * float(raw["firm"]["overnight_usd_per_mw"])
        dear.write_text(yaml.safe_dump(raw))
        for seed in seeds:
            path = Path(tmp) / f"profiles_{seed}.csv"
            _profiles(8760, seed).rename_axis("timestamp").reset_index().to_csv(path, index=False)
            for costs in (None, str(dear)):
                for target in targets:
                    cost_args = ["--costs", costs] if costs else []
                    start = time.perf_counter()
                    ours = subprocess.run(
                        [sys.executable, "-m", "gridfirst", "procure", "--hourly", str(path),
                         "--cfe-target", str(target), "--format", "json", *cost_args],
                        capture_output=True, text=True, check=True)
                    ours_s = time.perf_counter() - start
                    mine = json.loads(ours.stdout)
                    start = time.perf_counter()
                    peer = subprocess.run(
                        [sys.executable, __file__, "--peer", str(path), "--target", str(target),
                         *(["--costs", costs] if costs else [])],
                        capture_output=True, text=True, check=True)
                    peer_s = time.perf_counter() - start
                    theirs = json.loads(peer.stdout.strip().splitlines()[-1])
                    diff = abs(mine["objective_usd"] - theirs["objective_usd"]) / abs(
                        theirs["objective_usd"])
                    rows.append((seed, "dear firm" if costs else "default", target, ours_s,
                                 peer_s, peer_s / ours_s, mine["battery_mwh"], diff))
                    print(f"seed {seed} {rows[-1][1]:9s} target {target:.2f}: gridfirst "
                          f"{ours_s:6.2f} s, PyPSA {peer_s:6.2f} s, ratio {peer_s / ours_s:5.1f}x,"
                          f" battery {mine['battery_mwh']:7.1f} MWh, objective diff {diff:.1e}",
                          flush=True)
    ratios = [r[5] for r in rows]
    storage = [r[5] for r in rows if r[6] > 1.0]
    print(f"{len(rows)} instances: worst ratio {min(ratios):.1f}x, median {statistics.median(ratios):.1f}x")
    if storage:
        print(f"{len(storage)} with the battery used: worst {min(storage):.1f}x, median "
              f"{statistics.median(storage):.1f}x")


DEFAULT_MARKETS = ("sg-singapore,se-stockholm,fi-helsinki,au-sydney,us-texas,nz-auckland,"
                   "de-frankfurt,ph-manila,jp-tokyo-inzai,my-johor")


def _markets(market_ids: list[str], targets: list[float]) -> None:
    import statistics

    import pypsa  # noqa: F401  (imported outside the timed region, like ours)

    from gridfirst.data import bundled_markets
    from gridfirst.procurement import build_lp, default_costs
    from gridfirst.procurement.pypsa_peer import solve_pypsa
    from gridfirst.procurement.solve import CFE_SHORTFALL_USD_PER_MWH, solve_lp
    from gridfirst.procurement.stack import market_stack
    from gridfirst.resources import market_profiles

    markets = {m.id: m for m in bundled_markets()}
    costs = default_costs()
    ratios = []
    print(f"{'market':16s} {'target':>6s} {'options':>7s} {'ours s':>7s} {'PyPSA s':>8s} "
          f"{'ratio':>6s} {'obj diff':>9s} {'gap':>8s}  method")
    for mid in market_ids:
        profiles = market_profiles(markets[mid])
        stack = market_stack(markets[mid], profiles, costs)
        for target in targets:
            lp = build_lp(profiles, costs, target, supply=stack.supply,
                          cfe_shortfall_usd_per_mwh=CFE_SHORTFALL_USD_PER_MWH)
            start = time.perf_counter()
            ours = solve_lp(lp, method="fast")
            ours_s = time.perf_counter() - start
            peer = solve_pypsa(lp)
            ours_obj = ours.objective_usd + CFE_SHORTFALL_USD_PER_MWH * ours.cfe_shortfall_mwh
            diff = abs(ours_obj - peer["objective_usd"]) / abs(peer["objective_usd"])
            ratio = peer["total_seconds"] / ours_s
            ratios.append(ratio)
            n_opt = len(stack.generators) + len(stack.storages)
            print(f"{mid:16s} {target:6.2f} {n_opt:7d} {ours_s:7.2f} {peer['total_seconds']:8.2f} "
                  f"{ratio:6.2f} {diff:9.1e} {ours.optimality_gap:8.1e}  {ours.method}", flush=True)
    print(f"worst ratio {min(ratios):.2f}x, median {statistics.median(ratios):.2f}x over "
          f"{len(ratios)} instances (PyPSA wall / gridfirst wall, same process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", action="store_true", help="whole-process ratios over a family")
    parser.add_argument("--seeds", default="0,1", help="--family: profile seeds")
    parser.add_argument("--targets", default="0.5,0.8,0.9,0.99", help="--family: CFE targets")
    parser.add_argument("--peer", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--costs", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--hours", type=int, default=8760, help="first N hours (costs stay annual)")
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--method", default="fast", choices=["fast", "highs"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sweep", action="store_true", help="also time a 21-point sweep 0..1")
    parser.add_argument("--markets", nargs="?", const=DEFAULT_MARKETS, default=None,
                        help="bundled markets' supply stacks (comma-separated ids)")
    args = parser.parse_args()
    if args.markets:
        _markets(args.markets.split(","), [float(t) for t in args.targets.split(",")]
                 if args.targets != "0.5,0.8,0.9,0.99" else [0.5, 0.9])
        return
    if args.peer:
        _peer_process(args.peer, args.target, args.costs)
        return
    if args.family:
        _family([int(s) for s in args.seeds.split(",")],
                [float(t) for t in args.targets.split(",")])
        return

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
