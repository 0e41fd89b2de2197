"""Time `gridfirst plan` on the bundled example: a first run (empty cache) and a cached second run.

Run: .venv/bin/python benchmarks/plan_example.py [--executor serial|processes] [--workers N]
Prints wall times per run and per stage, the cache hits and the speed-up of the second run.
The issue's target: the first run under 60 s on the 2-core CI machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--executor", default="serial", choices=["serial", "processes", "dask"])
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    from gridfirst.outputs import write_plan
    from gridfirst.planning import ResultCache, plan
    from gridfirst.scenario import load_scenario

    scenario = load_scenario()
    with tempfile.TemporaryDirectory(prefix="gridfirst-bench-") as tmp:
        cache = Path(tmp) / "cache"
        walls = []
        for label in ("first (empty cache)", "second (cached)"):
            started = time.perf_counter()
            result = plan(scenario, executor=args.executor, workers=args.workers,
                          cache=ResultCache(cache))
            write_plan(result, Path(tmp) / "out")
            wall = time.perf_counter() - started
            walls.append(wall)
            stages = ", ".join(f"{k} {v:.2f} s" for k, v in result.seconds.items())
            print(f"{label:<20} wall {wall:7.2f} s  hits {result.cache_hits:3d}  "
                  f"misses {result.cache_misses:3d}  [{stages}]")
        print(f"target first run < 60 s: {'met' if walls[0] < 60 else 'NOT met'}; "
              f"second run {walls[0] / walls[1]:.1f}x faster")


if __name__ == "__main__":
    main()
