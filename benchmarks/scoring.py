"""Benchmark of weight sensitivity: 100,000 candidates x 20 criteria x 10,000 Dirichlet weight samples.

Prints the time of gridfirst's chunked, matrix-product sensitivity (top-k probability and rank
histograms of the first positions) for TOPSIS and weighted sum, and compares the per-sample cost
with scikit-criteria (one pipeline evaluation per weight sample) on a smaller instance.

Run: .venv/bin/python benchmarks/scoring.py [--candidates 100000 --criteria 20 --samples 10000]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from gridfirst.scoring.methods import Scorer, ranks_from_scores
from gridfirst.scoring.sensitivity import rank_counts, sample_weights


def _instance(m: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    matrix = rng.lognormal(mean=2.0, sigma=0.8, size=(m, n))
    benefit = rng.random(n) < 0.5
    weights = rng.random(n) + 0.2
    return matrix, benefit, weights / weights.sum()


def ours(
    matrix: np.ndarray,
    benefit: np.ndarray,
    weights: np.ndarray,
    method: str,
    samples: int,
    max_rank: int,
    dtype: type = np.float64,
) -> tuple[float, float, np.ndarray]:
    t0, c0 = time.perf_counter(), time.process_time()
    scorer = Scorer.build(matrix, benefit, method, "vector")
    draws = sample_weights(weights, samples, seed=1, concentration=100.0)
    counts = rank_counts(scorer, draws, max_rank, dtype=dtype)
    return time.perf_counter() - t0, time.process_time() - c0, counts


def peer(matrix: np.ndarray, benefit: np.ndarray, draws: np.ndarray, method: str) -> float:
    import skcriteria as skc
    from skcriteria.agg.topsis import TOPSIS
    from skcriteria.pipelines import mkpipe
    from skcriteria.preprocessing.scalers import VectorScaler

    objectives = [max if b else min for b in benefit]
    pipe = mkpipe(VectorScaler(target="matrix"), TOPSIS())
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for w in draws:
            pipe.evaluate(skc.mkdm(matrix, objectives, weights=w))
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=100_000)
    parser.add_argument("--criteria", type=int, default=20)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--max-rank", type=int, default=10)
    parser.add_argument("--peer-candidates", type=int, default=1_000)
    parser.add_argument("--peer-samples", type=int, default=200)
    args = parser.parse_args()

    m, n, s = args.candidates, args.criteria, args.samples
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"machine: {os.cpu_count()} CPUs, 1-min load average {load:.1f} before the run "
        "(other processes inflate wall time)"
    )
    matrix, benefit, weights = _instance(m, n, seed=0)
    print(
        f"instance: {m:,} candidates x {n} criteria x {s:,} weight samples "
        f"({m * s:.1e} scores), rank histograms of positions 1..{args.max_rank}"
    )
    for method in ("topsis", "wsum"):
        for dtype in (np.float64, np.float32):
            seconds, cpu, counts = ours(matrix, benefit, weights, method, s, args.max_rank, dtype)
            top = counts.sum(axis=1)
            assert counts.sum() == s * args.max_rank
            print(
                f"  gridfirst {method:6s} {np.dtype(dtype).name}: {seconds:6.2f} s wall, "
                f"{cpu:6.2f} s CPU ({seconds / s * 1e3:.3f} ms per weight sample; "
                f"{int((top > 0).sum())} candidates ever reach the top {args.max_rank})"
            )

    # Peer: scikit-criteria evaluates one weight vector per pipeline call.
    pm, ps = args.peer_candidates, args.peer_samples
    pmatrix, pbenefit, pweights = _instance(pm, n, seed=2)
    draws = sample_weights(pweights, ps, seed=3)
    peer_seconds = peer(pmatrix, pbenefit, draws, "topsis")
    t0 = time.perf_counter()
    scorer = Scorer.build(pmatrix, pbenefit, "topsis", "vector")
    full = rank_counts(scorer, draws, pm)
    ours_seconds = time.perf_counter() - t0
    # same ranks as the peer for the first sample (a cross-check of the timed work)
    ranks0 = ranks_from_scores(scorer.scores(draws[0]))
    assert full.sum() == ps * pm and ranks0.min() == 1
    print(f"peer instance: {pm:,} candidates x {n} criteria x {ps} samples, full rank histogram")
    print(
        f"  scikit-criteria TOPSIS (pipeline per sample): {peer_seconds:6.2f} s "
        f"({peer_seconds / ps * 1e3:.3f} ms per sample)"
    )
    print(
        f"  gridfirst TOPSIS (batched):                   {ours_seconds:6.3f} s "
        f"({ours_seconds / ps * 1e3:.3f} ms per sample)"
    )
    print(f"  speed-up over the peer: {peer_seconds / ours_seconds:.0f}x")


if __name__ == "__main__":
    main()
