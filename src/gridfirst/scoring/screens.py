"""Hard screens applied before scoring: the buyer's policy rules that remove a market outright.

Each removed market carries every rule it failed, in words and with the policy field to change.
Scoring of the markets that pass is in :mod:`gridfirst.scoring.ranking`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from gridfirst.scenario import Market, Policy

SCREEN_COLUMNS = ["market_id", "rule", "policy_fields"]


def screen_reasons(market: Market, policy: Policy, profile: str) -> list[tuple[str, str]]:
    """The (policy field, reason in words) pairs that remove ``market``; empty when it passes.

    Parameters
    ----------
    market : Market
        The candidate.
    policy : Policy
        The scenario's policy (min_grid_mw by min_grid_year, excluded countries and markets,
        max_conflict_exposure_gpi and, for training, training_legal_regimes).
    profile : {"training", "inference"}
        The legal-regime screen applies to training only.
    """
    reasons: list[tuple[str, str]] = []
    if market.id in policy.excluded_markets:
        reasons.append(
            ("excluded_markets", f"market {market.id} is excluded by policy.excluded_markets")
        )
    if market.country in policy.excluded_countries:
        reasons.append(
            (
                "excluded_countries",
                f"country {market.country} is excluded by policy.excluded_countries",
            )
        )
    if policy.min_grid_mw > 0:
        year = policy.min_grid_year
        if market.grid_available_mw < policy.min_grid_mw:
            by = f" by {year}" if year is not None else ""
            reasons.append(
                (
                    "min_grid_mw",
                    f"grid power {market.grid_available_mw:g} MW is below the minimum "
                    f"{policy.min_grid_mw:g} MW{by} (policy.min_grid_mw)",
                )
            )
        elif year is not None and market.grid_energisation_year > year:
            reasons.append(
                (
                    "min_grid_year",
                    f"grid power is energised from {market.grid_energisation_year}, after the "
                    f"{year} by which {policy.min_grid_mw:g} MW are needed (policy.min_grid_year)",
                )
            )
    if market.conflict_exposure_gpi > policy.max_conflict_exposure_gpi:
        reasons.append(
            (
                "max_conflict_exposure_gpi",
                f"conflict exposure {market.conflict_exposure_gpi:g} (Global Peace Index) is above "
                f"the limit {policy.max_conflict_exposure_gpi:g} (policy.max_conflict_exposure_gpi)",
            )
        )
    if (
        profile == "training"
        and market.ai_training_legal_regime not in policy.training_legal_regimes
    ):
        allowed = ", ".join(policy.training_legal_regimes) or "none"
        reasons.append(
            (
                "training_legal_regimes",
                f"AI-training legal regime {market.ai_training_legal_regime!r} is not allowed for "
                f"training (policy.training_legal_regimes: {allowed})",
            )
        )
    return reasons


def screen_markets(
    markets: Sequence[Market], policy: Policy, profile: str = "training"
) -> tuple[list[Market], pd.DataFrame]:
    """Split markets into those that pass the hard screens and a table of those removed.

    Returns
    -------
    kept : list of Market
        Markets that pass every screen, in input order.
    screened_out : pandas.DataFrame
        Columns ``market_id``, ``rule`` (every failed rule in words, joined by "; ") and
        ``policy_fields`` (the policy fields that removed it, comma-separated).
    """
    kept: list[Market] = []
    rows = []
    for market in markets:
        reasons = screen_reasons(market, policy, profile)
        if reasons:
            rows.append(
                {
                    "market_id": market.id,
                    "rule": "; ".join(r for _, r in reasons),
                    "policy_fields": ",".join(f for f, _ in reasons),
                }
            )
        else:
            kept.append(market)
    return kept, pd.DataFrame(rows, columns=SCREEN_COLUMNS)
