"""Aggregation methods of multi-criteria scoring: normalisation, weighted sum and TOPSIS on arrays.

Works on plain numpy arrays (candidates x criteria) so that the same code ranks 20 markets or
scores 100,000 candidates under 10,000 weight vectors; it knows nothing of markets or scenarios.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import rankdata

from gridfirst.errors import ScenarioError

Method = Literal["topsis", "wsum"]
Normalisation = Literal["vector", "minmax"]
METHODS = ("topsis", "wsum")
NORMALISATIONS = ("vector", "minmax")


def check_method(method: str, normalisation: str) -> None:
    """Raise a ScenarioError for an unknown method or normalisation."""
    if method not in METHODS:
        raise ScenarioError(f"method: {method!r} is not one of {list(METHODS)}")
    if normalisation not in NORMALISATIONS:
        raise ScenarioError(
            f"normalisation: {normalisation!r} is not one of {list(NORMALISATIONS)}"
        )


def normalise(matrix: np.ndarray, benefit: np.ndarray, normalisation: str = "vector") -> np.ndarray:
    """Normalise a decision matrix column by column and orient every column as a benefit.

    Vector: ``r = x / ||x||_2`` (column norm). Min-max: ``r = (x - min) / (max - min)``.
    A cost column is then complemented, ``1 - r``, so that larger is better in every column and
    values stay in [0, 1] for non-negative inputs. Under min-max this equals scikit-criteria's
    ``MinMaxInverter``; the complement leaves TOPSIS distances unchanged (it is a reflection).
    A column that cannot be scaled (zero norm, or zero range under min-max) becomes 0: a criterion
    on which every candidate is equal separates nobody.

    Parameters
    ----------
    matrix : numpy.ndarray
        Criterion values, shape (candidates, criteria), finite.
    benefit : numpy.ndarray
        Boolean mask, True where more is better.
    normalisation : {"vector", "minmax"}

    Returns
    -------
    numpy.ndarray
        Benefit-oriented normalised matrix, same shape.

    References
    ----------
    .. [1] Hwang, C.-L., Yoon, K. (1981). Multiple Attribute Decision Making: Methods and
       Applications. Springer (vector normalisation, TOPSIS).
    """
    x = np.asarray(matrix, dtype=float)
    ben = np.asarray(benefit, dtype=bool)
    if normalisation == "vector":
        scale = np.linalg.norm(x, axis=0)
        offset = np.zeros(x.shape[1])
    elif normalisation == "minmax":
        offset = x.min(axis=0)
        scale = x.max(axis=0) - offset
    else:
        raise ScenarioError(
            f"normalisation: {normalisation!r} is not one of {list(NORMALISATIONS)}"
        )
    degenerate = scale == 0
    safe = np.where(degenerate, 1.0, scale)
    r = (x - offset) / safe
    r = np.where(ben, r, 1.0 - r)
    r[:, degenerate] = 0.0
    return r


@dataclass(frozen=True)
class Scorer:
    """A normalised, benefit-oriented matrix ready to be scored under one or many weight vectors.

    For TOPSIS the weighted ideal of a column is ``w_j * max_i B_ij`` for any non-negative
    ``w``, so the squared distances are linear in the squared weights:
    ``d+^2 = (B - B+)^2 @ w^2``. Scoring S weight vectors is therefore two matrix products,
    for weighted sum one.
    """

    normalised: np.ndarray
    method: str

    @classmethod
    def build(
        cls, matrix: np.ndarray, benefit: np.ndarray, method: str, normalisation: str
    ) -> Scorer:
        check_method(method, normalisation)
        return cls(normalise(matrix, benefit, normalisation), method)

    @property
    def baseline(self) -> float:
        """Score that the contributions are measured from (0 for wsum, 0.5 for TOPSIS)."""
        return 0.5 if self.method == "topsis" else 0.0

    def _topsis_parts(self, dtype: type = np.float64) -> tuple[np.ndarray, np.ndarray]:
        b: np.ndarray = self.normalised.astype(dtype, copy=False)
        q_plus = (b - b.max(axis=0)) ** 2
        q_minus = (b - b.min(axis=0)) ** 2
        return q_plus, q_minus

    def scores(self, weights: np.ndarray) -> np.ndarray:
        """Scores for one weight vector (shape (n,) -> (m,)) or many (shape (s, n) -> (s, m))."""
        w = np.asarray(weights, dtype=float)
        single = w.ndim == 1
        w2 = np.atleast_2d(w)
        out = self.batch_scores(w2, self._topsis_parts() if self.method == "topsis" else None)
        return out[0] if single else out

    def batch_scores(
        self,
        weights: np.ndarray,
        parts: tuple[np.ndarray, np.ndarray] | None = None,
        normalised: np.ndarray | None = None,
    ) -> np.ndarray:
        """Scores of many weight vectors, shape (s, m); ``parts`` caches the TOPSIS squares."""
        w = np.asarray(weights)
        if self.method == "wsum":
            b = self.normalised if normalised is None else normalised
            # weights sum to 1 per row; dividing keeps scores in [0, 1] for any positive scale
            return (w @ b.T) / w.sum(axis=1, keepdims=True)
        q_plus, q_minus = parts if parts is not None else self._topsis_parts()
        w_sq = w * w
        d_plus = np.sqrt(w_sq @ q_plus.T)
        d_minus = np.sqrt(w_sq @ q_minus.T)
        total = d_plus + d_minus
        with np.errstate(invalid="ignore", divide="ignore"):
            closeness = np.where(total > 0, d_minus / total, 0.5)
        return closeness

    def contributions(self, weights: np.ndarray) -> np.ndarray:
        """Per-criterion contributions (m, n) that add up to ``score - baseline``.

        Weighted sum: ``w_j B_ij`` (weights normalised to sum 1). TOPSIS: with per-criterion
        squared distances ``p_ij = w_j^2 (B_ij - B+_j)^2`` and ``q_ij = w_j^2 (B_ij - B-_j)^2``,
        closeness ``C = d- / (d+ + d-)`` satisfies exactly
        ``C - 1/2 = sum_j (q_ij - p_ij) / (2 (d+ + d-)^2)``, so criterion j contributes
        ``(q_ij - p_ij) / (2 (d+ + d-)^2)``: positive when the market is nearer the ideal than
        the anti-ideal on that criterion.
        """
        w = np.asarray(weights, dtype=float)
        w = w / w.sum()
        if self.method == "wsum":
            return self.normalised * w
        q_plus, q_minus = self._topsis_parts()
        p = q_plus * w**2
        q = q_minus * w**2
        total = np.sqrt(p.sum(axis=1)) + np.sqrt(q.sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            scale = np.where(total > 0, 1.0 / (2.0 * total**2), 0.0)
        return (q - p) * scale[:, None]


def ranks_from_scores(scores: np.ndarray) -> np.ndarray:
    """Competition ranks (1 = best); scores equal to 12 decimals share the better rank."""
    return rankdata(-np.round(np.asarray(scores, dtype=float), 12), method="min").astype(int)


def score_matrix(
    matrix: np.ndarray,
    benefit: np.ndarray,
    weights: np.ndarray,
    method: str = "topsis",
    normalisation: str = "vector",
) -> np.ndarray:
    """Scores in [0, 1] (higher is better) of each row of a decision matrix.

    Parameters
    ----------
    matrix : numpy.ndarray
        Criterion values, shape (candidates, criteria).
    benefit : numpy.ndarray
        Boolean mask, True where more is better.
    weights : numpy.ndarray
        Non-negative weights, shape (criteria,); only their ratios matter.
    method : {"topsis", "wsum"}
    normalisation : {"vector", "minmax"}
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.shape[0] != np.shape(matrix)[1]:
        raise ScenarioError(f"weights: expected {np.shape(matrix)[1]} values, got shape {w.shape}")
    if np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        raise ScenarioError("weights: must be finite, >= 0 and not all zero")
    return Scorer.build(matrix, benefit, method, normalisation).scores(w / w.sum())
