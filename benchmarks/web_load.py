"""Load test of ``gridfirst serve`` on loopback: throughput and p50/p99 latency of cached rank and
latency queries with 2 server workers.

Starts ``gridfirst serve --server-workers 2`` on a free port with a temporary data folder, warms
each worker's answer cache, then keeps ``--concurrency`` requests in flight for ``--requests``
requests per query from one client process (which shares the machine's cores with the server).
Goal of issue 17: 100 requests/s with p99 under 250 ms for a cached rank on a 2-core machine.

Run: .venv/bin/python benchmarks/web_load.py [--requests 2000 --concurrency 8 --workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time

import httpx
import numpy as np

QUERIES = {
    "rank (cached)": ("POST", "/api/rank", {"scenario": "example", "samples": 1000}),
    "latency (cached)": ("GET", "/api/latency?origin=sg-singapore&destination=Tokyo", None),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _run(base: str, method: str, path: str, body: object, requests: int,
               concurrency: int) -> tuple[float, np.ndarray, int]:
    latencies: list[float] = []
    failures = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal failures
            while not queue.empty():
                queue.get_nowait()
                start = time.perf_counter()
                r = await client.request(method, path, json=body)
                latencies.append(time.perf_counter() - start)
                failures += r.status_code != 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - started
    return wall, np.array(latencies) * 1000.0, failures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per query")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    args = parser.parse_args()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GRIDFIRST_TOKEN": "load-test"}
    with tempfile.TemporaryDirectory(prefix="gridfirst-load-") as folder:
        server = subprocess.Popen(
            [sys.executable, "-m", "gridfirst", "serve", "--port", str(port), "--data-dir", folder,
             "--server-workers", str(args.workers)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(base + "/api/health", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            print(f"gridfirst serve, {args.workers} workers, {os.cpu_count()} cores; "
                  f"{args.requests} requests per query, {args.concurrency} in flight")
            print(f"{'query':<18} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
            for name, (method, path, body) in QUERIES.items():
                # every worker computes the answer once, then serves it from its cache
                asyncio.run(_run(base, method, path, body, 8 * args.workers, args.workers * 2))
                wall, ms, failures = asyncio.run(
                    _run(base, method, path, body, args.requests, args.concurrency))
                print(f"{name:<18} {args.requests / wall:>8.0f} {np.percentile(ms, 50):>8.1f} "
                      f"{np.percentile(ms, 99):>8.1f} {failures:>7}")
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
