"""Weight sensitivity of a ranking: Dirichlet weight samples, rank probabilities, top-k probability.

Scores every candidate under every sampled weight vector with matrix products, in chunks of
samples so memory stays bounded, and keeps only the top positions with a partial sort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.errors import ScenarioError
from gridfirst.scoring.methods import Scorer

if TYPE_CHECKING:
    from gridfirst.scoring.ranking import RankResult

DEFAULT_CONCENTRATION = 100.0


def sample_weights(
    weights: np.ndarray, samples: int, seed: int, concentration: float = DEFAULT_CONCENTRATION
) -> np.ndarray:
    """Weight vectors drawn from ``Dirichlet(concentration * w)`` around ``w`` (normalised).

    The mean of every draw is ``w``; each share has variance ``w_j (1 - w_j) / (concentration
    + 1)``, so with the default concentration 100 a weight of 0.10 has a standard deviation of
    0.03. Larger concentrations sample closer to ``w``.

    Parameters
    ----------
    weights : numpy.ndarray
        Positive weights (n,); normalised here.
    samples : int
        Number of draws.
    seed : int
        Seed of a :func:`numpy.random.default_rng` generator (no global state).
    concentration : float
        Dirichlet concentration (sum of the alpha parameters), > 0.

    Returns
    -------
    numpy.ndarray
        Shape (samples, n), rows sum to 1.
    """
    w = np.asarray(weights, dtype=float)
    if samples < 1:
        raise ScenarioError(f"samples: {samples} must be >= 1")
    if not concentration > 0:
        raise ScenarioError(f"concentration: {concentration} must be > 0")
    if np.any(w <= 0) or not np.isfinite(w).all():
        raise ScenarioError("weights: every sampled weight must be finite and > 0")
    rng = np.random.default_rng(seed)
    return rng.dirichlet(concentration * w / w.sum(), size=samples)


def _key_parts(scorer: Scorer, dtype: type) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-candidate arrays of the ranking key: ``B`` (wsum) or ``(Q-, Q+)`` (TOPSIS)."""
    b: np.ndarray = scorer.normalised.astype(dtype)
    if scorer.method == "wsum":
        return b, None
    q_plus, q_minus = Scorer(b, "topsis")._topsis_parts(dtype)
    return q_minus, q_plus


def _keys(w: np.ndarray, far: np.ndarray, near: np.ndarray | None) -> np.ndarray:
    """Ranking keys, shape (samples, candidates): ``w @ B.T`` for the weighted sum and, for
    TOPSIS, ``d-^2 / d+^2`` with ``d^2 = w^2 @ Q.T`` (``w`` given squared), which orders
    candidates like the closeness ``C = 1 / (1 + d+/d-)`` without square roots."""
    out = w @ far.T
    if near is None:
        return out
    den = w @ near.T
    np.maximum(den, np.finfo(den.dtype).tiny, out=den)
    return np.divide(out, den, out=out)


def _pair_keys(w: np.ndarray, far: np.ndarray, near: np.ndarray | None) -> np.ndarray:
    """Keys of matched (sample, candidate) pairs: rows of ``w`` with rows of ``far``/``near``."""
    out = np.einsum("ij,ij->i", w, far)
    if near is None:
        return out
    den = np.maximum(np.einsum("ij,ij->i", w, near), np.finfo(out.dtype).tiny)
    return out / den


def _merge_top(
    best_val: np.ndarray, best_idx: np.ndarray, rows: np.ndarray, idx: np.ndarray, val: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Merge new (row, candidate, key) entries into each row's running top k (unordered)."""
    c, k = best_val.shape
    all_rows = np.concatenate([np.repeat(np.arange(c), k), rows])
    all_idx = np.concatenate([best_idx.ravel(), idx])
    all_val = np.concatenate([best_val.ravel(), val])
    order = np.lexsort((-all_val, all_rows))
    starts = np.concatenate([[0], np.cumsum(k + np.bincount(rows, minlength=c))[:-1]])
    pick = order[(starts[:, None] + np.arange(k)).ravel()]
    return all_val[pick].reshape(c, k), all_idx[pick].reshape(c, k)


def _top_positions(
    w: np.ndarray,
    far: np.ndarray,
    near: np.ndarray | None,
    k: int,
    block: int,
) -> np.ndarray:
    """Indices of the k best candidates per sample (shape (samples, k), best first).

    The first block's top k comes from ``np.argpartition``. For each later block the test
    ``key > t_s`` (``t_s`` the sample's current k-th key) is one matrix product: for the
    weighted sum ``[w, -t] @ [B, 1].T > 0``, for TOPSIS ``[w^2, -t w^2] @ [Q-, Q+].T > 0``;
    only the rare entries that pass are merged, exactly.
    """
    m = far.shape[0]
    vals = _keys(w, far[:block], None if near is None else near[:block])
    best_idx = np.argpartition(-vals, k - 1, axis=1)[:, :k]
    best_val = np.take_along_axis(vals, best_idx, axis=1)
    if near is None:
        stacked = np.hstack([far, np.ones((m, 1), dtype=far.dtype)])
    else:
        stacked = np.hstack([far, near])
    for lo in range(block, m, block):
        hi = min(lo + block, m)
        thr = best_val.min(axis=1)
        if near is None:
            w_aug = np.hstack([w, -thr[:, None]])
        else:
            w_aug = np.hstack([w, -thr[:, None] * w])
        margin = w_aug @ stacked[lo:hi].T
        hit_rows = np.flatnonzero(margin.max(axis=1) > 0)
        if hit_rows.size == 0:
            continue
        sub_rows, cols = np.nonzero(margin[hit_rows] > 0)
        rows = hit_rows[sub_rows]
        idx = cols + lo
        new = _pair_keys(w[rows], far[idx], None if near is None else near[idx])
        keep = new > thr[rows]  # guards against rounding in the stacked product
        if keep.any():
            best_val, best_idx = _merge_top(best_val, best_idx, rows[keep], idx[keep], new[keep])
    order = np.argsort(-best_val, axis=1, kind="stable")
    return np.take_along_axis(best_idx, order, axis=1)


def rank_counts(
    scorer: Scorer,
    weight_samples: np.ndarray,
    max_rank: int,
    dtype: type = np.float64,
    sample_chunk: int = 2048,
    block_rows: int = 1024,
) -> np.ndarray:
    """How often each candidate lands at each of the first ``max_rank`` positions.

    When ``max_rank`` is below the number of candidates the work is tiled (``sample_chunk``
    weight samples x ``block_rows`` candidates): candidates are visited best-first by their
    score at the mean weights, so each sample's running k-th best key is high early and later
    blocks need one matrix product and one reduction to show that (almost) none of their
    candidates enters (see :func:`_top_positions`). Otherwise every sample is fully sorted.

    Parameters
    ----------
    scorer : Scorer
        Normalised matrix and method.
    weight_samples : numpy.ndarray
        Shape (samples, n).
    max_rank : int
        Positions counted (1..max_rank).
    dtype : numpy dtype
        float64 (default) or float32 (half the memory traffic; near-ties may order differently).
    sample_chunk, block_rows : int
        Tile shape.

    Returns
    -------
    numpy.ndarray
        Integer counts, shape (candidates, max_rank).
    """
    m = scorer.normalised.shape[0]
    k = int(min(max_rank, m))
    far, near = _key_parts(scorer, dtype)
    counts = np.zeros(m * k, dtype=np.int64)
    positions = np.arange(k)
    perm = np.arange(m)
    if k < m:
        centre = weight_samples.mean(axis=0)
        perm = np.argsort(-scorer.scores(centre / centre.sum()), kind="stable")
        far = np.ascontiguousarray(far[perm])
        near = None if near is None else np.ascontiguousarray(near[perm])
    for start in range(0, weight_samples.shape[0], sample_chunk):
        w: np.ndarray = weight_samples[start : start + sample_chunk].astype(dtype)
        if near is not None:
            w = w * w
        if k == m:
            ranked = np.argsort(-_keys(w, far, near), axis=1, kind="stable")
        else:
            ranked = perm[_top_positions(w, far, near, k, max(block_rows, k + 1))]
        counts += np.bincount((ranked * k + positions).ravel(), minlength=m * k)
    return counts.reshape(m, k)


@dataclass
class SensitivityResult:
    """Rank probabilities of each market under Dirichlet-sampled weights.

    Attributes
    ----------
    rank_probabilities : pandas.DataFrame
        Index market id (ranking order), columns ranks 1..max_rank, values in [0, 1].
    top_k_probability : pandas.Series
        Probability of ranking in the top ``top_k``.
    """

    rank_probabilities: pd.DataFrame
    top_k_probability: pd.Series
    top_k: int
    samples: int
    seed: int
    concentration: float
    weights: pd.Series

    def to_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "seed": self.seed,
            "concentration": self.concentration,
            "top_k": self.top_k,
            "top_k_probability": {k: float(v) for k, v in self.top_k_probability.items()},
            "rank_probabilities": {
                str(mid): [float(x) for x in row]
                for mid, row in zip(
                    self.rank_probabilities.index, self.rank_probabilities.to_numpy(), strict=True
                )
            },
        }


def sensitivity(
    result: RankResult,
    samples: int = 1000,
    seed: int = 0,
    top_k: int = 3,
    concentration: float = DEFAULT_CONCENTRATION,
    max_rank: int | None = None,
) -> SensitivityResult:
    """Probability of each rank and of the top ``top_k`` when the weights vary around the chosen.

    Weights are drawn from ``Dirichlet(concentration * w)`` (:func:`sample_weights`) with a
    seeded :class:`numpy.random.Generator`; the same result, samples and seed give the same output.

    Parameters
    ----------
    result : RankResult
        The ranking to perturb (its method, normalisation and weights are kept).
    samples : int
        Number of weight draws.
    seed : int
        Random seed.
    top_k : int
        The k of the top-k probability.
    concentration : float
        Dirichlet concentration; default 100 (a 0.10 weight varies with standard deviation 0.03).
    max_rank : int, optional
        Ranks reported in ``rank_probabilities``; all ranks by default (at most 1000).

    References
    ----------
    .. [1] Lahdelma, R., Hokkanen, J., Salminen, P. (1998). SMAA - Stochastic multiobjective
       acceptability analysis. European Journal of Operational Research 106(1), 137-143.
    """
    m = len(result.table)
    if m == 0:
        raise ScenarioError("sensitivity: no market passed the screens")
    if top_k < 1:
        raise ScenarioError(f"top_k: {top_k} must be >= 1")
    k_ranks = min(m, max_rank if max_rank is not None else 1000)
    k_count = max(k_ranks, min(top_k, m))
    draws = sample_weights(result.weights.to_numpy(), samples, seed, concentration)
    counts = rank_counts(result.scorer, draws, k_count)
    probs = counts / float(samples)
    index = result.table.index
    rank_probabilities = pd.DataFrame(
        probs[:, :k_ranks], index=index, columns=pd.Index(range(1, k_ranks + 1), name="rank")
    )
    top = pd.Series(probs[:, : min(top_k, m)].sum(axis=1), index=index, name=f"p_top_{top_k}")
    return SensitivityResult(
        rank_probabilities=rank_probabilities,
        top_k_probability=top,
        top_k=top_k,
        samples=samples,
        seed=seed,
        concentration=concentration,
        weights=result.weights.copy(),
    )


def rank_with_sensitivity(
    scenario: Any,
    profile: str = "training",
    method: str = "topsis",
    normalisation: str = "vector",
    samples: int = 1000,
    seed: int = 0,
    top_k: int = 3,
    concentration: float = DEFAULT_CONCENTRATION,
    weights: dict[str, float] | None = None,
    latency_ms: pd.DataFrame | None = None,
    use_network: bool = True,
) -> tuple[RankResult, SensitivityResult | None]:
    """:func:`~gridfirst.scoring.ranking.rank_markets` then :func:`sensitivity` (skipped when
    ``samples`` is 0 or no market passed the screens)."""
    from gridfirst.scoring.ranking import rank_markets

    result = rank_markets(
        scenario,
        profile=profile,
        method=method,
        normalisation=normalisation,
        weights=weights,
        latency_ms=latency_ms,
        use_network=use_network,
    )
    if samples <= 0 or result.table.empty:
        return result, None
    return result, sensitivity(
        result, samples=samples, seed=seed, top_k=top_k, concentration=concentration
    )
