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
# Scores held at once (samples x candidates); 8e6 float64 = 64 MB.
CHUNK_ELEMENTS = 8_000_000


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


def rank_counts(
    scorer: Scorer,
    weight_samples: np.ndarray,
    max_rank: int,
    chunk_elements: int = CHUNK_ELEMENTS,
    dtype: type = np.float64,
) -> np.ndarray:
    """How often each candidate lands at each of the first ``max_rank`` positions.

    Parameters
    ----------
    scorer : Scorer
        Normalised matrix and method.
    weight_samples : numpy.ndarray
        Shape (samples, n).
    max_rank : int
        Positions counted (1..max_rank); ``np.argpartition`` finds them without a full sort
        unless ``max_rank`` is the number of candidates.
    chunk_elements : int
        Upper bound on scores held at once.
    dtype : numpy dtype
        float64 (default) or float32 (half the memory traffic; ties become more likely).

    Returns
    -------
    numpy.ndarray
        Integer counts, shape (candidates, max_rank).
    """
    b: np.ndarray = scorer.normalised.astype(dtype, copy=False)
    m = b.shape[0]
    k = int(min(max_rank, m))
    parts = None
    if scorer.method == "topsis":
        q_plus, q_minus = Scorer(b, "topsis")._topsis_parts(dtype)
        parts = (q_plus, q_minus)
    counts = np.zeros(m * k, dtype=np.int64)
    step = max(1, chunk_elements // max(m, 1))
    positions = np.arange(k)
    for start in range(0, weight_samples.shape[0], step):
        w: np.ndarray = weight_samples[start : start + step].astype(dtype, copy=False)
        scores = scorer.batch_scores(w, parts, normalised=b)  # (chunk, m)
        if k < m:
            top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
            top_scores = np.take_along_axis(scores, top, axis=1)
            order = np.argsort(-top_scores, axis=1, kind="stable")
            ranked = np.take_along_axis(top, order, axis=1)
        else:
            ranked = np.argsort(-scores, axis=1, kind="stable")
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
    )
    if samples <= 0 or result.table.empty:
        return result, None
    return result, sensitivity(
        result, samples=samples, seed=seed, top_k=top_k, concentration=concentration
    )
