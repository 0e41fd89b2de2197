"""Benchmark: ``gridfirst compare`` of two finished plan folders (target: under 2 s).

Times the command itself in a fresh interpreter (start-up, manifest checks of every file,
reading both ``plan.json`` and the side-by-side tables), the way a user runs it.

Run: ``.venv/bin/python benchmarks/compare.py PLAN_A PLAN_B [--repeat 3]`` with two folders
written by ``gridfirst plan -o``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="finished plan folders")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    command = [sys.executable, "-m", "gridfirst", "compare", *args.folders, "--format", "json"]
    times = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    print(f"compare of {len(args.folders)} plan folders: best {min(times):.2f} s, "
          f"worst {max(times):.2f} s over {args.repeat} runs (target < 2 s)")


if __name__ == "__main__":
    main()
