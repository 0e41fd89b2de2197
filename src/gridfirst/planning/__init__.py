"""The main job, end to end: resolve, rank, plan the portfolio, evaluate risk.

:func:`plan` returns a :class:`PlanResult` and writes nothing (see :mod:`gridfirst.outputs`);
:func:`decide` is the one path from a resolved scenario to its cost-optimal plan.
"""

from __future__ import annotations

from gridfirst.planning.deal_values import DealValues, deal_values
from gridfirst.planning.run import (
    STAGES,
    PlanResult,
    decide,
    plan,
    rank_profiles,
    resolve_for_plan,
)
from gridfirst.planning.summary import plan_summary, plan_tables
from gridfirst.resolve import ResultCache, default_cache_dir

__all__ = [
    "STAGES",
    "DealValues",
    "PlanResult",
    "ResultCache",
    "deal_values",
    "decide",
    "default_cache_dir",
    "plan",
    "plan_summary",
    "plan_tables",
    "rank_profiles",
    "resolve_for_plan",
]
