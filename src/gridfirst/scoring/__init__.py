"""Site screening and ranking: criteria as data, hard screens, weighted sum and TOPSIS, explanations.

Public entry points are :func:`rank_markets` (screen, score, rank a scenario's markets) and
:func:`sensitivity` (rank probabilities under Dirichlet-sampled weights).
"""

from __future__ import annotations

from gridfirst.scoring.criteria import (
    PROFILES,
    Criterion,
    criteria_table,
    decision_matrix,
    default_criteria,
    resolve_weights,
)
from gridfirst.scoring.explain import Explanation, explain, swap_changes
from gridfirst.scoring.methods import Scorer, normalise, ranks_from_scores, score_matrix
from gridfirst.scoring.ranking import RankResult, rank_markets, rank_matrix
from gridfirst.scoring.sensitivity import (
    SensitivityResult,
    rank_counts,
    rank_with_sensitivity,
    sample_weights,
    sensitivity,
)

__all__ = [
    "PROFILES",
    "Criterion",
    "Explanation",
    "RankResult",
    "Scorer",
    "SensitivityResult",
    "criteria_table",
    "decision_matrix",
    "default_criteria",
    "explain",
    "normalise",
    "rank_counts",
    "rank_markets",
    "rank_matrix",
    "rank_with_sensitivity",
    "ranks_from_scores",
    "resolve_weights",
    "sample_weights",
    "score_matrix",
    "sensitivity",
    "swap_changes",
]
