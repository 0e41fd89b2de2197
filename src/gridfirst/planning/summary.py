"""A plan as tables and one JSON-ready summary (what ``plan.json`` and the CSV files hold).

One function makes the tables and the summary from the same DataFrames, so the JSON and the CSV
files cannot disagree. Nothing here writes a file (see :mod:`gridfirst.outputs`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridfirst.records import json_safe as _clean

if TYPE_CHECKING:
    from gridfirst.planning.run import PlanResult

#: CSV files of the output folder (file stem -> what it holds).
TABLE_FILES = {
    "build_schedule": "capacity by site and year: added, online and power available [MW]",
    "allocation": "IT MW served by site, demand region, workload and year",
    "procurement": "per candidate site at the policy's CFE target: mix, cost per MWh, CFE score",
    "shortfalls": "unmet demand by region, workload and year with the binding constraint",
    "ranking": "market scores and ranks per workload profile, with screened-out markets",
    "costs": "plan cost by year and part [USD], discounted",
    "carbon": "by site and year: facility MWh, hourly CFE, Scope 2 location- and market-based [tCO2]",
    "ppa": "by PPA, served site and year: MWh credited, matched hour by hour, CFE and cost with it",
}


def _ranking_table(result: PlanResult) -> pd.DataFrame:
    frames = []
    for profile, ranking in result.rankings.items():
        table = ranking.table[["score", "rank"]].copy()
        table.index.name = "market_id"
        table = table.reset_index()
        table.insert(0, "profile", profile)
        table["screened_out_rule"] = ""
        frames.append(table)
        out = ranking.screened_out
        if not out.empty:
            rows = pd.DataFrame({"profile": profile, "market_id": out["market_id"],
                                 "score": math.nan, "rank": pd.NA,
                                 "screened_out_rule": out["rule"]})
            frames.append(rows)
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if result.sensitivity is not None and not table.empty:
        top = result.sensitivity.top_k_probability
        name = f"p_top_{result.sensitivity.top_k}"
        table[name] = [top.get(m, math.nan) if p == "training" else math.nan
                       for p, m in zip(table["profile"], table["market_id"], strict=True)]
    return table


def plan_tables(result: PlanResult) -> dict[str, pd.DataFrame]:
    """The output tables by file stem (see :data:`TABLE_FILES`)."""
    p = result.portfolio
    return {
        "build_schedule": p.builds.reset_index(drop=True),
        "allocation": p.allocation.reset_index(drop=True),
        "procurement": result.procurement.reset_index(),
        "shortfalls": p.shortfalls.reset_index(drop=True),
        "ranking": _ranking_table(result),
        "costs": p.costs.reset_index(drop=True),
        "carbon": _carbon_table(result),
        "ppa": _ppa_table(result),
    }


def _ppa_table(result: PlanResult) -> pd.DataFrame:
    from gridfirst.planning.contracts import SHARE_COLUMNS

    contracts = result.contracts
    if contracts is None:
        return pd.DataFrame(columns=SHARE_COLUMNS)
    return contracts.shares.reset_index(drop=True)


def _carbon_table(result: PlanResult) -> pd.DataFrame:
    from gridfirst.planning.carbon import plan_carbon

    return plan_carbon(result)[0]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of a table as JSON-safe dicts (the same values the CSV file holds)."""
    return [_clean(row) for row in frame.to_dict(orient="records")]


def _risk_summary(result: PlanResult) -> dict[str, Any] | None:
    risk = result.risk
    if risk is None:
        return None
    return {
        "summary": _clean(dict(risk.summary)),
        "years": records(risk.years.reset_index()),
        **{k: float(v) for k, v in risk.timings.items()},
    }


def _headroom(result: PlanResult) -> list[dict[str, Any]]:
    """The buyer's share of each market's grid headroom (empty when not resolved)."""
    resolved = result.resolved
    if resolved is None or resolved.headroom.empty:
        return []
    return records(resolved.headroom.reset_index())


def plan_summary(result: PlanResult) -> dict[str, Any]:
    """The content of ``plan.json``: headline figures and every decision as lists of records."""
    p = result.portfolio
    tables = plan_tables(result)
    scenario = result.scenario
    shortfalls = p.shortfalls
    end_year = scenario.horizon.end_year
    online = p.builds[p.builds["year"] == end_year]["online_mw"].sum() if not p.builds.empty else 0.0
    structural = (float(shortfalls["structural_mw"].sum())
                  if "structural_mw" in shortfalls and not shortfalls.empty else 0.0)
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "description": scenario.description,
        "currency_year": scenario.currency_year,
        "horizon": {"start_year": scenario.horizon.start_year, "end_year": end_year},
        "cfe_target": scenario.policy.cfe_target,
        "status": p.status,
        "mip_gap": p.mip_gap,
        "cash_cost_usd": float(p.cash_cost_usd),
        "penalty_cost_usd": float(p.penalty_cost_usd),
        "total_cost_usd": float(p.total_cost_usd),
        "cost_breakdown_usd": p.cost_breakdown_usd,
        "online_mw_end": float(online),
        "shortfall_mw_years": float(shortfalls["mw"].sum()) if not shortfalls.empty else 0.0,
        "structural_shortfall_mw_years": structural,
        "plan_shortfall_mw_years": (float(shortfalls["mw"].sum()) - structural
                                    if not shortfalls.empty else 0.0),
        "chosen_sites": result.chosen_sites,
        "signed_deals": list(p.signed_deals),
        "recommended_deals": records(p.recommended_deals),
        "unused_candidates": records(p.unused),
        "headroom": _headroom(result),
        "latency_source": result.latency_source,
        "executor": result.executor,
        "cache": {"hits": result.cache_hits, "misses": result.cache_misses},
        "seconds": dict(result.seconds),
        "notes": list(result.notes),
        "flexible_connections": records(result.resolved.flexible.reset_index())
        if result.resolved is not None and not result.resolved.flexible.empty else [],
        "builds": records(tables["build_schedule"]),
        "shortfalls": records(tables["shortfalls"]),
        "allocation": records(tables["allocation"]),
        "procurement": records(tables["procurement"]),
        "ranking": records(tables["ranking"]),
        "costs": records(tables["costs"]),
        "binding": records(p.binding),
        "latency_ms": {
            str(site): {str(r): _clean(v) for r, v in row.items()}
            for site, row in result.latency_ms.loc[
                [s for s in result.chosen_sites if s in result.latency_ms.index]
            ].iterrows()
        },
        "risk": _risk_summary(result),
        "robust": result.robust.to_dict() if result.robust is not None else None,
        "carbon": _carbon(result),
        **_alternatives(result),
        "ppas": _ppas(result),
        "fleet": result.fleet.to_dict() if result.fleet is not None else None,
    }
    return _clean(summary)


def _alternatives(result: PlanResult) -> dict[str, Any]:
    """Near-optimal alternatives (``plan --alternatives``): the plans and what they share."""
    if result.alternatives is None:
        return {"alternatives": [], "near_optimal": None}
    from gridfirst.planning.alternatives import alternatives_json

    return alternatives_json(result.alternatives)


def _ppas(result: PlanResult) -> list[dict[str, Any]]:
    """Each PPA the plan takes: its output, CfD settlement, the sites it serves and, per year,
    the MWh credited and matched hour by hour across them."""
    contracts = result.contracts
    if contracts is None or contracts.deals.empty:
        return []
    out = []
    shares = contracts.shares
    for deal in records(contracts.deals):
        mine = shares[shares["deal"] == deal["deal"]]
        years = mine.groupby("year", as_index=False)[["credited_mwh", "matched_mwh"]].sum()
        years["matched_share"] = years["matched_mwh"] / years["credited_mwh"]
        out.append({**deal, "by_year": records(years)})
    return out


def _carbon(result: PlanResult) -> dict[str, Any]:
    """Plan-level carbon for ``plan.json``: totals by year and each site in the last year."""
    from gridfirst.planning.carbon import BASIS, plan_carbon

    by_site, by_year = plan_carbon(result)
    last = int(by_year["year"].max()) if not by_year.empty else None
    return {
        "basis": BASIS,
        "by_year": records(by_year),
        "by_site": records(by_site[by_site["year"] == last]) if last is not None else [],
    }
