"""What each deal is worth to the plan: the plan's cost without the deal minus its cost with it.

The value is a re-solve, not an LP dual: a deal is a binary sign decision in the portfolio MILP,
whose duals are not prices. Only deals the plan signs are re-solved; an unsigned deal is worth 0
(taking an unused option away leaves the optimum where it is).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from gridfirst.portfolio.result import PortfolioResult
    from gridfirst.resolve import Resolved


@dataclass
class DealValues:
    """Deal values of one plan (money in USD of the scenario's currency year, net present).

    Attributes
    ----------
    table : pandas.DataFrame
        Index deal id; ``kind``, ``stage``, ``signed`` (the plan takes it: signed already, or
        recommended to sign), ``value_usd`` (plan
        cost without it minus with it; 0 for unsigned deals), ``plan_cost_without_usd``.
    plan : PortfolioResult
        The plan with every deal available.
    mip_gap : float
        Relative gap the solves stopped at; values smaller than ``mip_gap x plan cost`` are noise.
    """

    table: pd.DataFrame
    plan: PortfolioResult
    mip_gap: float

    @property
    def noise_usd(self) -> float:
        return float(self.mip_gap * abs(self.plan.total_cost_usd))


def deal_values(resolved: Resolved, mip_gap: float | None = None,
                time_limit_s: float | None = None) -> DealValues:
    """Plan ``resolved`` and value each of its deals by a re-solve without it.

    Parameters
    ----------
    resolved : Resolved
        The scenario resolved as for a plan (:func:`gridfirst.planning.resolve_for_plan`).
    mip_gap, time_limit_s : float, optional
        Solver settings (default ``options.plan``'s).
    """
    from gridfirst.decide import decision_inputs, rank_profiles
    from gridfirst.portfolio import solve_portfolio

    opts = resolved.options.plan
    gap = float(opts.mip_gap if mip_gap is None else mip_gap)
    limit = float(opts.time_limit_s if time_limit_s is None else time_limit_s)
    inputs = decision_inputs(resolved, rank_profiles(resolved))
    base = solve_portfolio(inputs, mip_gap=gap, time_limit_s=limit, explain=False)
    signed = set(base.taken_deals)
    rows = []
    for deal in resolved.scenario.deals:
        without: float | None = None
        if deal.id in signed:
            trimmed = copy.copy(inputs)
            if deal.kind == "ppa":
                trimmed.ppas = inputs.ppas.copy()
                trimmed.ppas.loc[deal.id, "allowed"] = False
            else:
                trimmed.sites = inputs.sites.copy()
                trimmed.sites.loc[deal.id, "allowed"] = False
            without = solve_portfolio(trimmed, mip_gap=gap, time_limit_s=limit,
                                      explain=False).total_cost_usd
        rows.append({
            "deal": deal.id, "kind": deal.kind, "stage": deal.stage, "signed": deal.id in signed,
            "value_usd": 0.0 if without is None else float(without - base.total_cost_usd),
            "plan_cost_without_usd": base.total_cost_usd if without is None else float(without),
        })
    table = pd.DataFrame(rows, columns=["deal", "kind", "stage", "signed", "value_usd",
                                        "plan_cost_without_usd"]).set_index("deal")
    return DealValues(table=table, plan=base, mip_gap=gap)
