"""A plan's near-optimal alternatives with their CFE and risk, side by side (``plan --alternatives``).

The search is :func:`gridfirst.portfolio.alternatives.near_optimal`; this module runs it on a
plan's own portfolio inputs and optimum, measures each alternative as the plan is measured
(hourly CFE of its sites' procured energy, :mod:`gridfirst.planning.carbon`; the Monte Carlo
risk when the plan has a risk run) and turns the lot into ``plan.json``'s ``alternatives`` and
the side-by-side table of the report and the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.portfolio.alternatives import (
    DEFAULT_MIN_DISTANCE_MW,
    DEFAULT_SLACK,
    METRIC,
    NearOptimal,
    near_optimal,
)

if TYPE_CHECKING:
    from gridfirst.parallel import ParallelExecutor
    from gridfirst.planning.run import PlanResult
    from gridfirst.portfolio.result import PortfolioResult

__all__ = ["PlanAlternatives", "alternatives_json", "plan_alternatives", "side_by_side"]

#: Risk figures shown per plan when the plan has a risk run (keys of ``RiskResult.summary``).
RISK_KEYS = ("cost_cvar95_usd", "shortfall_mean_mw_years", "probability_all_years_met",
             "probability_as_planned")
_RISK_LABELS = {
    "cost_cvar95_usd": ("risk: cost CVaR 95% (NPV, USD bn)", 1e-9),
    "shortfall_mean_mw_years": ("risk: mean unmet demand (MW-years)", 1.0),
    "probability_all_years_met": ("risk: chance every year is met (%)", 100.0),
    "probability_as_planned": ("risk: chance no year falls short of plan (%)", 100.0),
}


@dataclass
class PlanAlternatives:
    """Near-optimal alternatives of a plan, with the plan's own measures of each.

    Attributes
    ----------
    search : NearOptimal
        The plans, their distances and what they share.
    cfe_score : dict of str to float
        Hourly CFE of each plan (``optimum``, ``alt1``, ...), energy weighted over its sites and
        the horizon's years [-].
    risk : dict of str to dict
        :data:`RISK_KEYS` of each plan's Monte Carlo run (empty without a risk run).
    """

    search: NearOptimal
    cfe_score: dict[str, float] = field(default_factory=dict)
    risk: dict[str, dict[str, float]] = field(default_factory=dict)


def plan_cfe(result: PlanResult, portfolio: PortfolioResult) -> float:
    """Hourly CFE of ``portfolio`` built with ``result``'s procurement, energy weighted [-]."""
    from gridfirst.planning.carbon import plan_carbon

    _, by_year = plan_carbon(replace(result, portfolio=portfolio))
    if by_year.empty or float(by_year["facility_mwh"].sum()) <= 0:
        return float("nan")
    weights = by_year["facility_mwh"].to_numpy(float)
    return float(np.nansum(by_year["cfe_score"].to_numpy(float) * weights) / weights.sum())


def plan_alternatives(
    result: PlanResult,
    n: int,
    slack: float = DEFAULT_SLACK,
    min_distance_mw: float = DEFAULT_MIN_DISTANCE_MW,
    risk_samples: int = 0,
    seed: int = 0,
    pool: ParallelExecutor | None = None,
) -> PlanAlternatives:
    """Up to ``n`` alternatives to ``result``'s plan within ``slack`` of its cost.

    Parameters
    ----------
    result : PlanResult
        A plan from :func:`gridfirst.planning.plan` (its portfolio is the optimum).
    n, slack, min_distance_mw
        As :func:`gridfirst.portfolio.alternatives.near_optimal`.
    risk_samples : int
        Monte Carlo futures of each plan's risk run (0: none; the optimum's is the plan's own
        when it has one with as many samples).
    seed : int
        Seed of the random directions and of the risk runs.
    pool : ParallelExecutor, optional
        Where candidate solves and risk runs go (default: this process).
    """
    opts = result.scenario.options.plan
    optimum = result.portfolio
    search = near_optimal(optimum.inputs, n, slack=slack, min_distance_mw=min_distance_mw,
                          optimum=optimum, mip_gap=float(opts.mip_gap),
                          time_limit_s=float(opts.time_limit_s), seed=seed, executor=pool)
    out = PlanAlternatives(search=search)
    for name, plan in search.plans.items():
        out.cfe_score[name] = plan_cfe(result, plan)
    if risk_samples > 0 and result.resolved is not None:
        from gridfirst.risk import problem_from_plan, run_risk

        for name, plan in search.plans.items():
            own = result.risk
            if name == "optimum" and own is not None and own.summary.get("samples") == risk_samples:
                summary = own.summary
            else:
                problem = problem_from_plan(plan, result.resolved)
                summary = run_risk(problem, samples=risk_samples, seed=seed,
                                   executor=pool if pool is not None else "serial").summary
            out.risk[name] = {k: float(summary[k]) for k in RISK_KEYS if k in summary}
    return out


def _online_end(plan: PortfolioResult, by: str) -> pd.Series:
    b = plan.builds
    if b.empty:
        return pd.Series(dtype=float)
    end = int(b["year"].max())
    return b[b["year"] == end].groupby(by)["online_mw"].sum()


def side_by_side(alts: PlanAlternatives, end_year: int | None = None) -> pd.DataFrame:
    """The plans as columns: costs, CFE, risk, distances, then MW online by country in the end
    year, and the MW every plan holds (``common``)."""
    search = alts.search
    plans = search.plans
    rows: dict[str, dict[str, Any]] = {}
    for name, plan in plans.items():
        alt = search.alternatives[int(name[3:]) - 1] if name != "optimum" else None
        col: dict[str, Any] = {
            "total cost (NPV, USD bn)": plan.total_cost_usd / 1e9,
            "cash cost (NPV, USD bn)": plan.cash_cost_usd / 1e9,
            "cost over optimum (%)": 100.0 * (plan.total_cost_usd / search.optimum_cost_usd - 1.0)
            if search.optimum_cost_usd else 0.0,
            "hourly CFE (%)": 100.0 * alts.cfe_score.get(name, float("nan")),
            "unmet demand (MW-years)": float(plan.shortfalls["mw"].sum())
            if not plan.shortfalls.empty else 0.0,
            "distance to optimum (MW)": alt.distance_mw if alt is not None else 0.0,
            "distance to nearest earlier plan (MW)": alt.nearest_mw if alt is not None else 0.0,
        }
        for key, value in alts.risk.get(name, {}).items():
            label, factor = _RISK_LABELS[key]
            col[label] = factor * value
        b = plan.builds
        year = end_year if end_year is not None else (int(b["year"].max()) if not b.empty else 0)
        online = b[b["year"] == year].groupby("country")["online_mw"].sum() if not b.empty \
            else pd.Series(dtype=float)
        for country, mw in online.items():
            col[f"MW online {year}: {country}"] = float(mw)
        rows[name] = col
    table = pd.DataFrame(rows)
    common = search.common_countries
    if not common.empty:
        year = end_year if end_year is not None else int(common["year"].max())
        at = common[common["year"] == year].set_index("country")["min_online_mw"]
        table["common"] = [float(at.get(str(i).rsplit(": ", 1)[-1], 0.0))
                           if str(i).startswith("MW online") else np.nan for i in table.index]
    mw_rows = [i for i in table.index if str(i).startswith("MW online")]
    table.loc[mw_rows] = table.loc[mw_rows].fillna(0.0)
    head = [i for i in table.index if not str(i).startswith("MW online")]
    return table.loc[head + sorted(mw_rows)]


def alternatives_json(alts: PlanAlternatives) -> dict[str, Any]:
    """``plan.json``'s near-optimal part: the plans (``alternatives``) and what they share."""
    from gridfirst.planning.summary import records

    search = alts.search
    plans = []
    for i, alt in enumerate(search.alternatives):
        name = f"alt{i + 1}"
        r = alt.result
        plans.append({
            "name": name,
            "direction": alt.direction,
            "total_cost_usd": float(r.total_cost_usd),
            "cash_cost_usd": float(r.cash_cost_usd),
            "cost_ratio": float(alt.cost_ratio),
            "distance_mw": float(alt.distance_mw),
            "nearest_mw": float(alt.nearest_mw),
            "site_distance_mw": float(alt.site_distance_mw),
            "cfe_score": alts.cfe_score.get(name),
            "risk": alts.risk.get(name),
            "shortfall_mw_years": float(r.shortfalls["mw"].sum()) if not r.shortfalls.empty else 0.0,
            "taken_deals": list(r.taken_deals),
            "builds": records(r.builds.reset_index(drop=True)),
        })
    info = {
        "slack": search.slack,
        "optimum_cost_usd": search.optimum_cost_usd,
        "bound_usd": search.bound_usd,
        "cost_basis": "total cost (cash + penalties, NPV), the plan's objective",
        "distance_metric": METRIC,
        "min_distance_mw": search.min_distance_mw,
        "optimum_cfe_score": alts.cfe_score.get("optimum"),
        "optimum_risk": alts.risk.get("optimum"),
        "distances_mw": {str(k): {str(j): float(v) for j, v in row.items()}
                         for k, row in search.distances_mw.iterrows()},
        "shared": search.shared(),
        "common_countries": records(search.common_countries),
        "common_sites": records(search.common_sites),
        "common_deals": list(search.common_deals),
        "decide_now": records(search.decide_now),
        "notes": list(search.notes),
        "seconds": float(search.seconds),
    }
    return {"alternatives": plans, "near_optimal": info}
