"""Risk: Monte Carlo over delays, demand, prices and disruptions, on one machine or a Dask cluster.

The uncertainty model (:mod:`~gridfirst.risk.uncertainty`), seeded sampling
(:mod:`~gridfirst.risk.sampling`), plan evaluation without re-solving
(:mod:`~gridfirst.risk.evaluate`), the run over sample blocks (:mod:`~gridfirst.risk.run`) and the comparison
of candidate plans (:mod:`~gridfirst.risk.robust`).
"""

from __future__ import annotations

from gridfirst.errors import RunCancelled
from gridfirst.risk.evaluate import RiskResult, cvar, evaluate_block, summarise
from gridfirst.risk.problem import RiskProblem, problem_from_plan, problem_from_tables
from gridfirst.risk.run import run as run_risk
from gridfirst.risk.uncertainty import RiskOptions, options_from_scenario, risk_options

__all__ = [
    "RiskOptions",
    "RiskProblem",
    "RiskResult",
    "cvar",
    "evaluate_block",
    "options_from_scenario",
    "problem_from_plan",
    "problem_from_tables",
    "risk_options",
    "run_risk",
    "RunCancelled",
    "summarise",
]
