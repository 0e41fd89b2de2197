"""gridfirst: power-first planning of AI compute capacity.

The public API is imported lazily so that ``import gridfirst`` (and the CLI's ``--help``) stays
fast; each name below loads its module on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# public name -> module that defines it
_API = {
    "Scenario": "gridfirst.scenario",
    "Market": "gridfirst.scenario",
    "Site": "gridfirst.scenario",
    "Deal": "gridfirst.scenario",
    "DemandOutlook": "gridfirst.scenario",
    "Policy": "gridfirst.scenario",
    "load_scenario": "gridfirst.scenario",
    "scenario_from_dict": "gridfirst.scenario",
    "example_path": "gridfirst.scenario",
    "bundled_markets": "gridfirst.data",
    "GridfirstError": "gridfirst.errors",
    "ScenarioError": "gridfirst.errors",
    "DataError": "gridfirst.errors",
    "InfeasibleError": "gridfirst.errors",
    "plan": "gridfirst.planning",
    "PlanResult": "gridfirst.planning",
    "write_report": "gridfirst.report",
    "rank_markets": "gridfirst.scoring",
    "RankResult": "gridfirst.scoring",
    "sensitivity": "gridfirst.scoring",
    "SensitivityResult": "gridfirst.scoring",
    "criteria_table": "gridfirst.scoring",
    "portfolio_inputs": "gridfirst.portfolio",
    "solve_portfolio": "gridfirst.portfolio",
    "PortfolioInputs": "gridfirst.portfolio",
    "PortfolioResult": "gridfirst.portfolio",
    "fit_growth": "gridfirst.demand",
    "demand_outlook": "gridfirst.demand",
    "conversion_chain": "gridfirst.demand",
    "latency_ms": "gridfirst.network",
    "route": "gridfirst.network",
    "latency_to_points": "gridfirst.network",
    "latency_matrix": "gridfirst.network",
    "connectivity": "gridfirst.network",
    "population_within_ms": "gridfirst.network",
    "compare_plans": "gridfirst.risk.robust",
    "problem_from_plan": "gridfirst.risk",
    "run_risk": "gridfirst.risk",
    "RiskResult": "gridfirst.risk",
    "market_profiles": "gridfirst.resources",
    "read_profiles": "gridfirst.resources",
    "optimise_procurement": "gridfirst.procurement",
    "procure_market": "gridfirst.procurement",
    "sweep_targets": "gridfirst.procurement",
    "ProcurementCosts": "gridfirst.procurement",
    "ProcurementResult": "gridfirst.procurement",
    "SolverError": "gridfirst.errors",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'gridfirst' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
