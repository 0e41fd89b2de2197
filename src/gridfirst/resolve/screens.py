"""The buyer's hard screens: one row per candidate, profile and rule, passed or not, in words.

The only implementation of the policy's screens; ranking reads the rows of the generic market
candidates, the portfolio the rows of every candidate. Nothing here scores or optimises.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from gridfirst.scenario import Market, Policy

PROFILES = ("training", "inference")
#: Columns of the screens table.
SCREEN_COLUMNS = ["candidate", "profile", "rule", "passed", "reason"]


def _grid_rule(policy: Policy, power: pd.Series, energised_year: int, kind: str
               ) -> tuple[bool, str]:
    """min_grid_mw by min_grid_year, on the power the candidate really has (its pool)."""
    if policy.min_grid_mw <= 0 or kind == "deal":
        return True, ""
    year = policy.min_grid_year
    years = [int(y) for y in power.index]
    if year is None:
        available = float(power.max()) if len(power) else 0.0
    else:
        at = min(max(year, years[0]), years[-1])
        available = float(power.max()) if year > years[-1] else float(power.loc[at])
    by = f" by {year}" if year is not None else ""
    if float(power.max() if len(power) else 0.0) < policy.min_grid_mw:
        return False, (
            f"grid power {float(power.max() if len(power) else 0.0):g} MW is below the minimum "
            f"{policy.min_grid_mw:g} MW{by} (policy.min_grid_mw)"
        )
    if available < policy.min_grid_mw and year is not None:
        return False, (
            f"grid power is energised from {energised_year}, after the {year} by which "
            f"{policy.min_grid_mw:g} MW are needed (policy.min_grid_year)"
        )
    return True, ""


#: Export-control statuses under which the buyer's accelerators cannot be placed.
BLOCKING_EXPORT_STATUSES = ("presumption_of_denial", "prohibited")


def export_reason(decision: dict) -> str:
    """An export-control decision in words (rule, citation, effective date)."""
    status = str(decision["status"]).replace("_", " ")
    return (
        f"export controls: {status} for the buyer's accelerators in {decision['country']} under "
        f"{decision['rule']} ({decision['citation']}, effective {decision['effective']}); "
        "a licence held under that rule goes in buyer.licences"
    )


def candidate_rules(market: Market, policy: Policy, profile: str, kind: str,
                    power: pd.Series, energised_year: int, deal_stage: str = "",
                    export: dict | None = None) -> list[tuple[str, bool, str]]:
    """Every screen rule for one candidate and profile: (policy field, passed, reason in words)."""
    rules: list[tuple[str, bool, str]] = []
    rules.append((
        "excluded_markets", market.id not in policy.excluded_markets,
        f"market {market.id} is excluded by policy.excluded_markets",
    ))
    rules.append((
        "excluded_countries", market.country not in policy.excluded_countries,
        f"country {market.country} is excluded by policy.excluded_countries",
    ))
    grid_ok, grid_reason = _grid_rule(policy, power, energised_year, kind)
    field = "min_grid_year" if "energised from" in grid_reason else "min_grid_mw"
    rules.append((field, grid_ok, grid_reason))
    rules.append((
        "max_conflict_exposure_gpi",
        market.conflict_exposure_gpi <= policy.max_conflict_exposure_gpi,
        f"conflict exposure {market.conflict_exposure_gpi:g} (Global Peace Index) is above the "
        f"limit {policy.max_conflict_exposure_gpi:g} (policy.max_conflict_exposure_gpi)",
    ))
    if profile == "training":
        allowed = ", ".join(policy.training_legal_regimes) or "none"
        rules.append((
            "training_legal_regimes",
            market.ai_training_legal_regime in policy.training_legal_regimes,
            f"AI-training legal regime {market.ai_training_legal_regime!r} is not allowed for "
            f"training (policy.training_legal_regimes: {allowed})",
        ))
    if export is not None:
        rules.append(("export_controls", export["status"] not in BLOCKING_EXPORT_STATUSES,
                      export_reason(export)))
    if kind == "deal":
        rules.append(("deal_stage", deal_stage != "lost", "the deal is lost (deals[].stage)"))
    return [(f, ok, "" if ok else reason) for f, ok, reason in rules]


def screen_candidates(candidates: pd.DataFrame, markets: dict[str, Market], policy: Policy,
                      power_mw: pd.DataFrame, compliance: pd.DataFrame | None = None
                      ) -> pd.DataFrame:
    """The screens table: every rule for every candidate and profile (:data:`SCREEN_COLUMNS`).

    ``compliance`` (index market id; :func:`gridfirst.compliance.compliance_table`'s columns)
    adds the export-control rule when the scenario names a buyer.
    """
    exports = (compliance.to_dict(orient="index") if compliance is not None else {})
    rows = []
    for cid, row in candidates.iterrows():
        market = markets[str(row["market"])]
        power = power_mw.loc[str(row["power_pool"])]
        energised = int(row["energised_year"]) if math.isfinite(row["energised_year"]) else 9999
        for profile in PROFILES:
            for field, ok, reason in candidate_rules(
                market, policy, profile, str(row["kind"]), power, energised,
                str(row["deal_stage"]), exports.get(str(row["market"])) if exports else None,
            ):
                rows.append((cid, profile, field, ok, reason))
    return pd.DataFrame(rows, columns=SCREEN_COLUMNS)


def failed(screens: pd.DataFrame, profile: str) -> pd.DataFrame:
    """Per candidate that fails any rule of ``profile``: ``rule`` (reasons joined by '; ') and
    ``policy_fields`` (comma-separated), indexed by candidate."""
    bad = screens[(screens["profile"] == profile) & ~screens["passed"]]
    if bad.empty:
        return pd.DataFrame(columns=["rule", "policy_fields"], index=pd.Index([], name="candidate"))
    grouped = bad.groupby("candidate", sort=False)
    return pd.DataFrame({
        "rule": grouped["reason"].agg("; ".join),
        "policy_fields": grouped["rule"].agg(",".join),
    })
