"""The main job, end to end: rank, procure per site, plan the portfolio, evaluate risk, report.

:func:`plan` returns a :class:`PlanResult`; :func:`write_outputs` writes its output folder.
"""

from __future__ import annotations

from gridfirst.planning.cache import ResultCache, default_cache_dir
from gridfirst.planning.outputs import plan_summary, plan_tables, write_outputs
from gridfirst.planning.run import STAGES, PlanResult, plan

__all__ = [
    "STAGES",
    "PlanResult",
    "ResultCache",
    "default_cache_dir",
    "plan",
    "plan_summary",
    "plan_tables",
    "write_outputs",
]
