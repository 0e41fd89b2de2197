"""Properties of the portfolio MILP: tightening never helps, and brute force agrees on tiny cases.

The brute force enumerates every block schedule and allocates greedily, independently of the
model's matrices; only the inputs' tables (costs, PUE, latency) are shared.
"""

from __future__ import annotations

import copy
import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_portfolio import check_invariants, inputs_of, market, scenario

from gridfirst.portfolio import PortfolioInputs, solve_portfolio


def _small_inputs(seed: int) -> PortfolioInputs:
    rng = np.random.default_rng(seed)
    markets = [
        market("jp-a", "JP", "tokyo", grid_available_mw=float(rng.choice([40, 80, 120])),
               grid_energisation_year=int(rng.integers(2026, 2029)),
               price_usd_per_mwh=float(rng.uniform(60, 150)), labour_capacity_mw_per_year=60.0),
        market("jp-b", "JP", "osaka", grid_available_mw=float(rng.choice([40, 80])),
               construction_cost_usd_per_mw=float(rng.uniform(8e6, 1.2e7)),
               ai_training_legal_regime=str(rng.choice(["yes", "no"]))),
        market("au-a", "AU", "sydney", grid_available_mw=100.0,
               price_usd_per_mwh=float(rng.uniform(50, 120)), labour_capacity_mw_per_year=50.0),
    ]
    points = []
    for i, year in enumerate(range(2026, 2030)):
        points += [("tokyo", year, "inference", float(rng.uniform(5, 30)) * (i + 1) / 2),
                   ("sydney", year, "inference", float(rng.uniform(5, 20)) * (i + 1) / 2),
                   ("training", year, "training", float(rng.uniform(0, 30)) * i)]
    scn = scenario(markets, points, regions=("tokyo", "sydney"),
                   policy={"max_share_per_country": 0.8, "latency_sla_ms": {"inference": 40.0},
                           "unmet_penalty_usd_per_mw_year": 4.0e6})
    return inputs_of(scn)


def _tighten(inputs: PortfolioInputs, family: str, amount: float) -> PortfolioInputs:
    out = copy.deepcopy(inputs)
    sites = out.sites
    if family == "power":
        out.power_mw = out.power_mw * (1.0 - amount)
    elif family == "lead_time":
        sites["lead_years"] = sites["lead_years"] + 1
    elif family == "labour":
        out.labour_mw = out.labour_mw * (1.0 - amount)
    elif family == "latency":
        out.params["sla_ms_by_workload"]["inference"] *= 1.0 - amount
    elif family == "diversification":
        out.params["max_share_per_country"] *= 1.0 - 0.5 * amount
    elif family == "screens":
        sites.loc[sites.index[0], "training_eligible"] = False
    elif family == "site_size":
        sites["max_it_mw"] = 60.0 * (1.0 - amount)
    elif family == "min_build":
        out.params["min_build_mw"] += 10.0
    return out


@settings(max_examples=16, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    family=st.sampled_from(["power", "lead_time", "labour", "latency", "diversification",
                            "screens", "site_size", "min_build"]),
    amount=st.floats(0.1, 0.9),
)
def test_tightening_a_constraint_never_lowers_the_cost(seed: int, family: str, amount: float) -> None:
    base = _small_inputs(seed)
    loose = solve_portfolio(base, mip_gap=0.0, explain=False)
    tight = solve_portfolio(_tighten(base, family, amount), mip_gap=0.0, explain=False)
    assert tight.total_cost_usd >= loose.total_cost_usd * (1 - 1e-7) - 1e-3
    check_invariants(tight)


def _brute_force(inputs: PortfolioInputs) -> float:
    """Least net present cost by enumerating every block schedule (one demand key)."""
    p = inputs.params
    years = inputs.years
    T = len(years)
    sites = inputs.sites
    ids = list(sites.index)
    block, min_build = p["block_mw"], p["min_build_mw"]
    disc = [(1 + p["discount_rate"]) ** -t for t in range(T)]
    (region, workload), = inputs.demand[["region", "workload"]].drop_duplicates().itertuples(
        index=False)
    demand = inputs.demand.set_index("year")["mw"].reindex(years).fillna(0.0).to_numpy()
    serve_cost, cap_cost, lead, power, pue = [], [], [], [], []
    for s in ids:
        row = sites.loc[s]
        serve = (row["pue"] * 8760 * p["utilisation"] * row["energy_usd_per_mwh"]
                 + p["network_usd_per_mw_year_per_ms"] * inputs.latency_ms.at[s, region])
        serve_cost.append(serve)
        cap_cost.append(row["capex_usd_per_mw_year"])
        lead.append(int(row["lead_years"]))
        power.append(inputs.power_mw.loc[row["power_pool"]].to_numpy())
        pue.append(row["pue"])
    limit = inputs.params["sla_ms_by_workload"][workload]
    ok = [inputs.latency_ms.at[s, region] <= limit for s in ids]
    order = np.argsort(serve_cost)
    max_blocks = [int(max(pw) / pu // block) for pw, pu in zip(power, pue, strict=True)]
    choices = []
    for i in range(len(ids)):
        decisions = [t for t in range(T) if t + lead[i] <= T - 1]
        per_site = []
        for combo in itertools.product(range(max_blocks[i] + 1), repeat=len(decisions)):
            total = block * sum(combo)
            if total > max_blocks[i] * block or 0 < total < min_build:
                continue
            cap = np.zeros(T)
            under = np.zeros(T)
            for t, n in zip(decisions, combo, strict=True):
                cap[t + lead[i]:] += block * n
                under[t:t + max(lead[i], 1)] += block * n
            if np.any(cap * pue[i] > power[i] + 1e-9):
                continue
            per_site.append((cap, under))
        choices.append(per_site)
    best = np.inf
    country = sites["country"].to_numpy()
    for plan in itertools.product(*choices):
        caps = np.array([c for c, _ in plan])
        labour_ok = all(
            (sum(plan[i][1] for i in range(len(ids)) if country[i] == c)
             <= inputs.labour_mw[c] + 1e-9).all()
            for c in set(country)
        )
        if not labour_ok:
            continue
        total = caps.sum(axis=0)
        share = p["max_share_per_country"]
        if any((caps[country == c].sum(axis=0) > share * total + 1e-9).any() for c in set(country)):
            continue
        cost = 0.0
        for t in range(T):
            left = demand[t]
            year_cost = float(np.dot(cap_cost, caps[:, t]))
            for i in order:
                if not ok[i] or serve_cost[i] >= p["unmet_penalty_usd_per_mw_year"]:
                    continue
                take = min(left, caps[i, t])
                year_cost += take * serve_cost[i]
                left -= take
            year_cost += left * p["unmet_penalty_usd_per_mw_year"]
            cost += disc[t] * year_cost
        best = min(best, cost)
    return best


# Seeds chosen so the optimum builds one site, both sites under the country cap, and leaves
# part of the demand short (a plan that builds nothing would test little).
@pytest.mark.parametrize("seed", [1, 4, 9, 13])
def test_small_optimum_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    markets = [
        market("jp-a", "JP", "tokyo", grid_available_mw=float(rng.choice([30, 40, 50])),
               price_usd_per_mwh=float(rng.uniform(60, 160)),
               construction_cost_usd_per_mw=float(rng.uniform(8e6, 1.3e7)),
               labour_capacity_mw_per_year=float(rng.choice([20, 30, 60]))),
        market("kr-a", "KR", "osaka", grid_available_mw=float(rng.choice([20, 40])),
               grid_energisation_year=2027, price_usd_per_mwh=float(rng.uniform(60, 160)),
               construction_cost_usd_per_mw=float(rng.uniform(8e6, 1.3e7))),
    ]
    demand = [("tokyo", y, "inference", float(rng.uniform(5, 45))) for y in (2026, 2027, 2028)]
    scn = scenario(markets, demand, years=(2026, 2028), regions=("tokyo",),
                   policy={"max_share_per_country": float(rng.choice([0.7, 1.0])),
                           "latency_sla_ms": {"inference": 40.0},
                           "unmet_penalty_usd_per_mw_year": float(rng.uniform(2.5e6, 5e6))})
    inputs = inputs_of(scn)
    result = solve_portfolio(inputs, mip_gap=0.0, explain=False)
    assert result.total_cost_usd == pytest.approx(_brute_force(inputs), rel=1e-7)
    assert result.builds["online_mw"].sum() > 0
