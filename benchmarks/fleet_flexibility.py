"""Cost of 24/7 CFE for three US sites against the share of flexible load, time against space.

Run: ``PYTHONPATH=src python benchmarks/fleet_flexibility.py [--hours 8760] [--target 0.9]``.
Each site on its market's supply stack (``market_lp``), 100 MW flat, a per-site CFE target.
"""

from __future__ import annotations

import argparse
import time

from gridfirst.data import bundled_markets
from gridfirst.procurement.fleet import flexibility_sweep, market_lp

SITES = ("us-northern-virginia", "us-texas", "us-oregon")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=int, default=8760)
    parser.add_argument("--target", type=float, default=0.9)
    parser.add_argument("--shares", default="0.1,0.2,0.3")
    parser.add_argument("--cfe", default="site")
    args = parser.parse_args()
    markets = {m.id: m for m in bundled_markets()}
    sites = [(s, market_lp(markets[s], args.target, hours=args.hours)) for s in SITES]
    t0 = time.perf_counter()
    table = flexibility_sweep(sites, [float(x) for x in args.shares.split(",")], cfe=args.cfe)
    print(table.to_string(index=False, float_format=lambda v: f"{v:,.4g}"))
    print(f"{len(table)} fleet solves in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
