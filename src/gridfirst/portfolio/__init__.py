"""Portfolio: the multi-year build-out model that says how much, where and when.

Inputs from a scenario (:func:`portfolio_inputs`), a sparse MILP (:func:`build_model`), its solve
with shadow prices (:func:`solve_portfolio`) and shortfall explanations in planner's words.
"""

from __future__ import annotations

from gridfirst.portfolio.inputs import (
    PortfolioInputs,
    capital_recovery_factor,
    portfolio_inputs,
)
from gridfirst.portfolio.model import FAMILIES, PortfolioModel, build_model
from gridfirst.portfolio.result import PortfolioResult
from gridfirst.portfolio.solve import solve_portfolio

__all__ = [
    "FAMILIES",
    "PortfolioInputs",
    "PortfolioModel",
    "PortfolioResult",
    "build_model",
    "capital_recovery_factor",
    "portfolio_inputs",
    "solve_portfolio",
]
