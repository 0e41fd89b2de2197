"""Fleet procurement: three US sites x 8,760 h with 10 % flexible load, structured method vs PyPSA.

Run: ``PYTHONPATH=src python benchmarks/procurement_fleet.py [HOURS]`` (default 8760). Prints the
structured (banded interior-point) time, HiGHS on the monolithic fleet LP and the PyPSA
multi-bus build with HiGHS, in the same run, and their objectives; ``--no-peers`` runs the
structured method only, ``--repeat N`` runs it N times and prints the median and the worst, and
the machine's load average before and after. The structured method's compiled kernels (Numba)
are compiled once per installation and cached on disk; the script first solves the same fleet
over 48 hours, which compiles or loads them, and prints that time on its own line.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from dataclasses import replace

from gridfirst.data import bundled_markets
from gridfirst.procurement.fleet import Flexibility, build_fleet, market_lp, solve_fleet
from gridfirst.procurement.fleet_fast import solve_fleet_structured

SITES = ("us-northern-virginia", "us-texas", "us-oregon")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("hours", nargs="?", type=int, default=8760)
    parser.add_argument("--no-peers", action="store_true", help="structured method only")
    parser.add_argument("--share", type=float, default=0.1)
    parser.add_argument("--target", type=float, default=0.8)
    parser.add_argument("--repeat", type=int, default=1, help="structured runs (median, worst)")
    args = parser.parse_args()
    markets = {m.id: m for m in bundled_markets()}

    def fleet_sites(hours: int) -> list:
        # hard targets on the reference options, so that the PyPSA peer builds the same LP
        return [(s, replace(market_lp(markets[s], args.target, hours=hours, supply="reference"),
                            cfe_shortfall_usd_per_mwh=None)) for s in SITES]

    sites = fleet_sites(args.hours)
    flex = Flexibility(args.share, shift="both", transfer_mw=10.0)
    print(f"{len(SITES)} sites x {args.hours} h, flexible share {args.share}, shift both; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    t0 = time.perf_counter()
    solve_fleet_structured(build_fleet(fleet_sites(48), flex))
    print(f"warm-up (48 h; compiles or loads the kernels): {time.perf_counter() - t0:.2f} s")
    times = []
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        fm = build_fleet(sites, flex)
        ours = solve_fleet_structured(fm)
        times.append(time.perf_counter() - t0)
        print(f"structured: {times[-1]:7.2f} s  objective {ours.lp_objective_usd:,.0f} USD "
              f"(ipm gap {ours.sites[SITES[0]].optimality_gap:.1e}, {ours.iterations} iterations)")
    t_ours = statistics.median(times)
    if len(times) > 1:
        print(f"structured: median {t_ours:.2f} s, worst {max(times):.2f} s over {len(times)} runs")
    if args.no_peers:
        return
    t0 = time.perf_counter()
    highs = solve_fleet(sites, flex)
    t_highs = time.perf_counter() - t0
    print(f"monolithic: {t_highs:7.2f} s  objective {highs.lp_objective_usd:,.0f} USD  "
          f"ratio {t_highs / t_ours:.1f}x")
    from gridfirst.procurement.fleet_pypsa import solve_fleet_pypsa

    peer = solve_fleet_pypsa(sites, flex)
    print(f"PyPSA:      {peer['total_seconds']:7.2f} s  objective {peer['objective_usd']:,.0f} USD  "
          f"ratio {peer['total_seconds'] / t_ours:.1f}x  "
          f"rel. diff {abs(peer['objective_usd'] - ours.lp_objective_usd) / peer['objective_usd']:.1e}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
