"""The cost-optimal plan of a resolved scenario: rankings price the risk penalty, then the MILP.

The one path from resolved tables to a build-out, shared by ``gridfirst plan``, ``gridfirst
portfolio`` and the cost-optimal candidate of ``gridfirst risk``. It writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from gridfirst.portfolio import PortfolioInputs, PortfolioResult
    from gridfirst.resolve import Resolved
    from gridfirst.scoring import RankResult


def portfolio_scores(rankings: dict[str, RankResult]) -> pd.Series:
    """One score per market: the training ranking's, else the inference ranking's."""
    training = rankings["training"].table["score"]
    inference = rankings["inference"].table["score"]
    return training.combine_first(inference).astype(float)


def rank_profiles(resolved: Resolved) -> dict[str, RankResult]:
    """The training and inference rankings of the resolved markets (with the resolved latency)."""
    from gridfirst.scoring import rank_markets

    return {profile: rank_markets(resolved, profile=profile)
            for profile in ("training", "inference")}


def decide(
    resolved: Resolved,
    rankings: dict[str, RankResult] | None = None,
    mip_gap: float | None = None,
    time_limit_s: float | None = None,
) -> tuple[dict[str, RankResult], PortfolioResult]:
    """The cost-optimal build-out of a resolved scenario: the one path every command plans by.

    Energy costs are the resolved ones (procured per site when the scenario was resolved with
    ``energy=True``), the scores of the rankings price the risk penalty, and the solver
    settings are ``options.plan``'s unless given.
    """
    from gridfirst.portfolio import solve_portfolio

    opts = resolved.options.plan
    rankings = rankings if rankings is not None else rank_profiles(resolved)
    inputs = decision_inputs(resolved, rankings)
    portfolio = solve_portfolio(
        inputs,
        mip_gap=float(opts.mip_gap if mip_gap is None else mip_gap),
        time_limit_s=float(opts.time_limit_s if time_limit_s is None else time_limit_s),
    )
    return rankings, portfolio


def decision_inputs(resolved: Resolved, rankings: dict[str, RankResult] | None = None
                    ) -> PortfolioInputs:
    """The portfolio inputs every command plans with: resolved tables and the rankings' scores."""
    from gridfirst.portfolio import portfolio_inputs

    rankings = rankings if rankings is not None else rank_profiles(resolved)
    return portfolio_inputs(resolved, scores=portfolio_scores(rankings))
