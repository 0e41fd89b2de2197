"""Robust planning: candidate plans compared on expected cost against shortfall risk.

Each candidate re-solves the portfolio once with a changed input (more demand to buy a buffer, a
lower country share to diversify), then every plan is evaluated under the same sampled futures
(common random numbers) against the real demand outlook. The portfolio is never solved per sample.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.errors import ScenarioError
from gridfirst.risk.evaluate import RiskResult
from gridfirst.risk.problem import problem_from_plan
from gridfirst.risk.run import run
from gridfirst.risk.uncertainty import RiskOptions, options_from_scenario

if TYPE_CHECKING:
    from gridfirst.portfolio import PortfolioInputs, PortfolioResult
    from gridfirst.resolve import Resolved
    from gridfirst.scenario import Scenario

CANDIDATES = ("cost_optimal", "buffered", "diversified")
#: Extra demand the buffered plan is solved for (a stated default: 15% of the base outlook).
DEFAULT_BUFFER_SHARE = 0.15
#: The diversified plan's country share cap as a multiple of the policy's (stated default).
DEFAULT_DIVERSIFY_FACTOR = 0.7


@dataclass
class Candidate:
    """One candidate plan: how it was made, the plan, and its risk evaluation."""

    name: str
    description: str
    plan: PortfolioResult
    risk: RiskResult


@dataclass
class RobustResult:
    """Candidates side by side (``table``) with each plan's full evaluation.

    ``table`` columns: ``candidate, description, planned_cost_usd, cost_mean_usd, cost_p90_usd,
    cost_cvar95_usd, shortfall_mean_mw_years, shortfall_p90_mw_years, probability_all_years_met,
    pareto`` (not beaten on both expected cost and expected shortfall), ``solve_seconds``,
    ``evaluate_seconds``.
    """

    table: pd.DataFrame
    candidates: dict[str, Candidate] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "candidates": self.table.to_dict(orient="records"),
            "plans": {name: c.risk.to_dict() for name, c in self.candidates.items()},
        }


def buffered_inputs(inputs: PortfolioInputs, buffer_share: float) -> PortfolioInputs:
    """The same inputs with every demand point raised by ``buffer_share``."""
    if not 0 <= buffer_share <= 5:
        raise ScenarioError(f"buffer_share: {buffer_share!r} must be within 0..5")
    demand = inputs.demand.copy()
    demand["mw"] = demand["mw"] * (1.0 + buffer_share)
    return replace(inputs, demand=demand)


def diversified_inputs(inputs: PortfolioInputs, max_share_per_country: float) -> PortfolioInputs:
    """The same inputs with a lower cap on any one country's share of capacity."""
    if not 0 < max_share_per_country <= 1:
        raise ScenarioError(f"max_share_per_country: {max_share_per_country!r} must be in (0, 1]")
    params = dict(inputs.params)
    params["max_share_per_country"] = max_share_per_country
    params["max_share_per_cluster"] = min(float(params["max_share_per_cluster"]), max_share_per_country)
    return replace(inputs, params=params)


def _pareto(cost: np.ndarray, risk: np.ndarray) -> np.ndarray:
    keep = np.ones(cost.size, bool)
    for i in range(cost.size):
        worse = (cost <= cost[i]) & (risk <= risk[i]) & ((cost < cost[i]) | (risk < risk[i]))
        keep[i] = not worse.any()
    return keep


def compare_plans(
    scenario: Scenario | Resolved,
    samples: int = 10_000,
    seed: int = 1,
    candidates: tuple[str, ...] = CANDIDATES,
    buffer_share: float = DEFAULT_BUFFER_SHARE,
    max_share_per_country: float | None = None,
    inputs: PortfolioInputs | None = None,
    options: RiskOptions | None = None,
    executor: str | Any = "serial",
    workers: int | None = None,
    address: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
    mip_gap: float | None = None,
    time_limit_s: float | None = None,
    cost_optimal: PortfolioResult | None = None,
) -> RobustResult:
    """Solve each candidate plan once and evaluate all under the same futures.

    Parameters
    ----------
    candidates : tuple of str
        Any of ``cost_optimal`` (the portfolio as posed), ``buffered`` (solved for demand x
        (1 + ``buffer_share``)) and ``diversified`` (country share cap ``max_share_per_country``,
        default 0.7 x the policy's).
    inputs : PortfolioInputs, optional
        The portfolio inputs; by default ``cost_optimal.inputs`` when that is given, else the
        ones the plan uses (:func:`gridfirst.decide.decision_inputs`: procured energy costs and
        score penalties, resolving the scenario when it is not resolved yet).
    mip_gap, time_limit_s : float, optional
        Solver settings of the candidates (default ``options.plan``'s, as the plan uses).
    cost_optimal : PortfolioResult, optional
        The plan already solved as posed (e.g. by :func:`gridfirst.planning.decide`); it is the
        ``cost_optimal`` candidate as it stands, so ``gridfirst risk`` evaluates the very plan
        that ``gridfirst plan`` makes.
    progress : callable, optional
        ``progress(candidate, samples_done, samples_total)``.

    Returns
    -------
    RobustResult
    """
    from gridfirst.portfolio import solve_portfolio

    unknown = [c for c in candidates if c not in CANDIDATES]
    if unknown or not candidates:
        raise ScenarioError(f"candidates: {unknown or '(none)'} not among {list(CANDIDATES)}")
    if inputs is None and cost_optimal is not None:
        inputs = cost_optimal.inputs
    if inputs is None:
        from gridfirst.decide import decision_inputs
        from gridfirst.resolve import Resolved, resolve

        tables = scenario if isinstance(scenario, Resolved) else resolve(scenario, energy=True)
        inputs = decision_inputs(tables)
    base = inputs
    options = options or options_from_scenario(scenario)
    plan_options = scenario.options.plan
    mip_gap = float(plan_options.mip_gap if mip_gap is None else mip_gap)
    time_limit_s = float(plan_options.time_limit_s if time_limit_s is None else time_limit_s)
    share = max_share_per_country
    if share is None:
        share = round(DEFAULT_DIVERSIFY_FACTOR * float(base.params["max_share_per_country"]), 3)
    made = {
        "cost_optimal": (base, "the portfolio's cost-optimal plan, as posed"),
        "buffered": (buffered_inputs(base, buffer_share),
                     f"solved for {buffer_share:.0%} more demand than the outlook"),
        "diversified": (diversified_inputs(base, share),
                        f"at most {share:.0%} of capacity in any one country"),
    }
    out: dict[str, Candidate] = {}
    rows = []
    for name in candidates:
        cand_inputs, description = made[name]
        t0 = time.perf_counter()
        if name == "cost_optimal" and cost_optimal is not None:
            plan = cost_optimal
        else:
            plan = solve_portfolio(cand_inputs, mip_gap=mip_gap, time_limit_s=time_limit_s)
        solve_s = time.perf_counter() - t0
        problem = problem_from_plan(plan, scenario, options, demand_from=base)

        def tick(done: int, total: int, _name: str = name) -> None:
            if progress:
                progress(_name, done, total)

        risk = run(problem, samples=samples, seed=seed, executor=executor, workers=workers,
                   address=address, progress=tick)
        out[name] = Candidate(name, description, plan, risk)
        s = risk.summary
        rows.append({
            "candidate": name,
            "description": description,
            "planned_cost_usd": s["deterministic_cost_usd"],
            "cost_mean_usd": s["cost_mean_usd"],
            "cost_p90_usd": s["cost_p90_usd"],
            "cost_cvar95_usd": s["cost_cvar95_usd"],
            "shortfall_mean_mw_years": s["shortfall_mean_mw_years"],
            "shortfall_p90_mw_years": s["shortfall_p90_mw_years"],
            "probability_all_years_met": s["probability_all_years_met"],
            "probability_as_planned": s["probability_as_planned"],
            "online_final_year_mw": _online(plan, int(base.years[-1])),
            "solve_seconds": solve_s,
            "evaluate_seconds": risk.timings.get("evaluate_seconds", math.nan),
        })
    table = pd.DataFrame(rows)
    table.insert(len(table.columns) - 2, "pareto", _pareto(
        table["cost_mean_usd"].to_numpy(float), table["shortfall_mean_mw_years"].to_numpy(float)))
    return RobustResult(table=table, candidates=out)


def _online(plan: PortfolioResult, year: int) -> float:
    b = plan.builds
    return float(b.loc[b["year"] == year, "online_mw"].sum()) if len(b) else 0.0
