"""Evaluation of one fixed plan under sampled futures, without re-solving the portfolio.

Per future: the IT MW each site delivers after delays, power slips, outages and cable cuts; the
demand it serves (plan-following dispatch plus a greedy re-allocation of spare capacity within
latency eligibility); shortfall and cost. Sampling is in :mod:`gridfirst.risk.sampling`, running
many blocks in :mod:`gridfirst.risk.run`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from gridfirst.risk.problem import RiskProblem
from gridfirst.risk.sampling import block_generator, draw

#: Exact min-cut bound on served demand when a year has at most this many demand keys.
MAX_EXACT_KEYS = 10
#: A year counts as met when its shortfall is below this [MW] (solver noise in the plan).
MET_TOL_MW = 1e-3


def _window_min(values: np.ndarray, pad: np.ndarray) -> np.ndarray:
    """``out[r, k, y] = min(values[r, y - j] for j in 0..k)``, with ``pad`` before the first year.

    A delay of k years makes capacity of year y available only if it was planned in every year of
    [y - k, y]; the running minimum keeps delivered capacity non-increasing in the delay even for
    schedules that step down (a deal that ends).
    """
    R, Y = values.shape
    ext = np.concatenate([np.repeat(pad[:, None], Y + 1, axis=1), values], axis=1)
    out = np.empty((R, Y + 2, Y))
    out[:, 0] = values
    for k in range(1, Y + 2):
        out[:, k] = np.minimum(out[:, k - 1], ext[:, Y + 1 - k: 2 * Y + 1 - k])
    return out


def _delayed(window: np.ndarray, delay_months: np.ndarray) -> np.ndarray:
    """Average over each year of a schedule slipped by ``delay_months`` (n, R) -> (n, R, Y)."""
    Y = window.shape[2]
    t = np.minimum(delay_months / 12.0, float(Y))
    k = np.floor(t).astype(int)
    f = (t - k)[:, :, None]
    rows = np.arange(window.shape[0])[None, :]
    return (1.0 - f) * window[rows, k] + f * window[rows, np.minimum(k + 1, Y + 1)]


def delivered_mw(problem: RiskProblem, inter_delay: np.ndarray, build_delay: np.ndarray,
                 outage: np.ndarray, cable: np.ndarray, grid_factor: np.ndarray | None = None,
                 deal_failed: np.ndarray | None = None) -> np.ndarray:
    """IT MW each site delivers per year in each future (n, S, Y).

    A site's hall is online after its construction slip; its power is its planned share of its
    pool's power after the interconnection slip (power already energised at the start cannot
    slip); then it loses the share of the year its market is down or cut off and, with site
    disruptions on and an electrical design in the plan, the expected share of the year its own
    power chain and cooling are down (``problem.site_unavailability``: expected lost MW-years
    are MW x (1 - availability) per year, independent of the market's events).
    """
    online = problem.online_mw
    on = _delayed(_window_min(online, np.zeros(len(problem.sites))), build_delay)
    power = problem.pool_power_mw
    pw = _delayed(_window_min(power, power[:, 0]), inter_delay)
    if grid_factor is not None:
        pw = pw * grid_factor[:, :, None]
    load = np.zeros_like(power)
    np.add.at(load, problem.site_pool, problem.pue[:, None] * online)
    ratio = np.minimum(np.where(load > 0, pw / np.where(load > 0, load, 1.0), 1.0), 1.0)
    cap = online[None] * ratio[:, problem.site_pool]
    keep = (1.0 - outage[:, problem.site_market]) * (1.0 - cable[:, problem.site_market])
    u = problem.site_unavailability
    if u is not None and problem.options.disruption.enabled:
        # the site's own chain and cooling: down hours a year are many short repairs (hours
        # each), so the share of each year down is close to its expectation 1 - availability
        keep = keep * (1.0 - u)[None, :, None]
    if deal_failed is not None:
        keep = keep * (~deal_failed)[:, :, None]
    return np.minimum(on, cap) * keep


def _serve_order(problem: RiskProblem) -> list[tuple[int, np.ndarray]]:
    """Fixed greedy order: scarce keys first; within a key, the most specialised sites first."""
    elig = problem.eligible
    reach = elig.sum(axis=1)
    order = []
    for k in np.argsort(elig.sum(axis=0), kind="stable"):
        sites = np.flatnonzero(elig[:, k])
        order.append((int(k), sites[np.argsort(reach[sites], kind="stable")]))
    return order


def serve(problem: RiskProblem, delivered: np.ndarray, demand: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Demand served per key and MW used per site, per future.

    Stage 1 follows the plan: each site serves its planned allocation scaled by the share of its
    planned capacity it delivers, capped at each key's realised demand. Stage 2 re-allocates spare
    capacity greedily in a fixed order (:func:`_serve_order`), sequentially filling each key from
    its eligible sites. The result is a feasible flow, so served MW is a LOWER bound on the best
    possible re-dispatch (shortfall an upper bound); with the fixed order it is non-decreasing in
    every site's delivered capacity, so more delay never lowers shortfall.

    Returns
    -------
    served : (n, K, Y) MW served; used : (n, S, Y) MW used per site; network_usd : (n,) PV.
    """
    A = problem.allocation_mw
    denom = np.maximum(problem.online_mw, A.sum(axis=1))
    phi = np.where(denom > 0, delivered / np.where(denom > 0, denom, 1.0), 0.0)
    x = A[None] * phi[:, :, None, :]
    total = x.sum(axis=1)
    kappa = np.where(total > demand, demand / np.where(total > 0, total, 1.0), 1.0)
    x *= kappa[:, None]
    served = x.sum(axis=1)
    used = x.sum(axis=2)
    net = problem.network_usd_per_mw_year
    network = np.einsum("nsky,sk,y->n", x, net, problem.discount)
    rem = np.maximum(delivered - used, 0.0)
    need = np.maximum(demand - served, 0.0)
    for k, sites in _serve_order(problem):
        if sites.size == 0:
            continue
        c = rem[:, sites]
        before = np.cumsum(c, axis=1) - c
        take = np.clip(need[:, k][:, None] - before, 0.0, c)
        rem[:, sites] -= take
        got = take.sum(axis=1)
        served[:, k] += got
        used[:, sites] += take
        network += np.einsum("nsy,s,y->n", take, net[sites, k], problem.discount)
    return served, used, network


def served_upper_bound(problem: RiskProblem, delivered: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """An upper bound on the demand any re-dispatch could serve, per future and year (n, Y).

    Max-flow equals the minimum over sets T of keys of demand outside T plus the capacity of the
    sites eligible for T (Hall / min-cut). With at most :data:`MAX_EXACT_KEYS` keys every set is
    tried and the bound is exact; otherwise the per-key and per-site cuts only (a looser bound).
    """
    E = problem.eligible.astype(float)
    K = E.shape[1]
    if K == 0:
        return np.zeros((delivered.shape[0], delivered.shape[2]))
    if K <= MAX_EXACT_KEYS:
        T = ((np.arange(2**K)[:, None] >> np.arange(K)[None, :]) & 1).astype(float)
        N = (T @ E.T > 0).astype(float)
        cut = np.einsum("nky,qk->nqy", demand, 1.0 - T) + np.einsum("nsy,qs->nqy", delivered, N)
        return cut.min(axis=1)
    per_key = np.minimum(demand, np.einsum("nsy,sk->nky", delivered, E)).sum(axis=1)
    per_site = np.minimum(delivered, np.einsum("nky,sk->nsy", demand, E)).sum(axis=1)
    return np.minimum(per_key, per_site)


def evaluate_block(problem: RiskProblem, seed: int, block: int, n: int) -> dict[str, np.ndarray]:
    """Evaluate block ``block`` (``n`` futures) of a run seeded ``seed``.

    Returns per-future arrays (``shortfall_mw`` (n, K, Y), ``shortfall_bound_mw`` (n, Y),
    ``demand_total_mw`` (n, Y), ``energy_usd``, ``network_usd``, ``penalty_usd``, ``cost_usd`` (n,))
    and block sums (``delivered_sum_mw`` (S, Y), ``demand_sum_mw`` (K, Y)).
    """
    f = draw(problem, block_generator(seed, block), n)
    delivered = delivered_mw(problem, f.interconnection_delay_months, f.construction_delay_months,
                             f.outage_share, f.cable_share, f.grid_factor, f.deal_failed)
    served, used, network = serve(problem, delivered, f.demand_mw)
    shortfall = np.maximum(f.demand_mw - served, 0.0)
    total = f.demand_mw.sum(axis=1)
    bound = np.maximum(total - served_upper_bound(problem, delivered, f.demand_mw), 0.0)
    price = f.price_factor[:, problem.site_market]
    energy = np.einsum("nsy,s,nsy,y->n", used, problem.energy_usd_per_mw_year, price, problem.discount)
    penalty = shortfall.sum(axis=1) @ problem.discount * problem.unmet_penalty_usd_per_mw_year
    return {
        "shortfall_mw": shortfall,
        "shortfall_bound_mw": bound,
        "demand_total_mw": total,
        "energy_usd": energy,
        "network_usd": network,
        "penalty_usd": penalty,
        "cost_usd": problem.fixed_cost_usd + energy + network + penalty,
        "delivered_sum_mw": delivered.sum(axis=0),
        "demand_sum_mw": f.demand_mw.sum(axis=0),
    }


def cvar(values: np.ndarray, level: float = 0.95) -> float:
    """Conditional value at risk: mean of the worst ``ceil((1 - level) n)`` values (upper tail).

    References
    ----------
    .. [1] Rockafellar, R. T., Uryasev, S. (2002). Conditional value-at-risk for general loss
       distributions. Journal of Banking & Finance 26(7), 1443-1471.
    """
    v = np.sort(np.asarray(values, float))
    m = max(1, int(np.ceil((1.0 - level) * v.size - 1e-9)))
    return float(v[-m:].mean())


@dataclass
class RiskResult:
    """A plan's distribution of outcomes over sampled futures (money: present value, USD).

    Attributes
    ----------
    summary : dict
        ``samples, seed, cost_mean_usd, cost_p50_usd, cost_p90_usd, cost_cvar95_usd,
        deterministic_cost_usd, shortfall_mean_mw_years, shortfall_p90_mw_years,
        shortfall_cvar95_mw_years, shortfall_bound_mean_mw_years, probability_all_years_met``,
        ``probability_as_planned`` (every year's shortfall within the plan's own, deterministic one).
    years : pandas.DataFrame
        Per year: ``demand_mean_mw, delivered_mean_mw, planned_online_mw, shortfall_mean_mw,
        shortfall_p90_mw, probability_met, probability_as_planned, shortfall_bound_mean_mw``.
    regions : pandas.DataFrame
        ``region, workload, year, demand_mean_mw, shortfall_mean_mw, probability_met``.
    sites : pandas.DataFrame
        ``site, year, planned_online_mw, delivered_mean_mw``.
    samples : pandas.DataFrame
        Per future: ``cost_usd, energy_usd, network_usd, penalty_usd, shortfall_mw_years``.
    """

    summary: dict[str, Any]
    years: pd.DataFrame
    regions: pd.DataFrame
    sites: pd.DataFrame
    samples: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self, include_samples: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "summary": dict(self.summary),
            "years": self.years.reset_index().to_dict(orient="records"),
            "regions": self.regions.to_dict(orient="records"),
            "sites": self.sites.to_dict(orient="records"),
        }
        if include_samples:
            out["samples"] = self.samples.to_dict(orient="list")
        out.update({k: v for k, v in self.timings.items()})
        return out


def summarise(problem: RiskProblem, blocks: list[dict[str, np.ndarray]], seed: int,
              cvar_level: float = 0.95) -> RiskResult:
    """Combine block results, in block order, into a :class:`RiskResult`."""
    cat = {k: np.concatenate([b[k] for b in blocks]) for k in
           ("shortfall_mw", "shortfall_bound_mw", "demand_total_mw", "energy_usd", "network_usd",
            "penalty_usd", "cost_usd")}
    n = cat["cost_usd"].size
    delivered_mean = sum((b["delivered_sum_mw"] for b in blocks), np.zeros_like(problem.online_mw)) / n
    demand_mean = sum((b["demand_sum_mw"] for b in blocks), np.zeros_like(problem.demand_mw)) / n
    short = cat["shortfall_mw"]
    per_year = short.sum(axis=1)
    mw_years = per_year.sum(axis=1)
    met = per_year <= MET_TOL_MW
    det = evaluate_block(problem.with_options(problem.options.deterministic()), 0, 0, 1)
    # a plan that leaves demand unmet by design is never "all met": say also how often the
    # future is no worse than the plan itself (each year's shortfall within the planned one)
    planned_short = det["shortfall_mw"].sum(axis=1)[0]
    as_planned = per_year <= planned_short + MET_TOL_MW
    years = pd.DataFrame(
        {
            "demand_mean_mw": cat["demand_total_mw"].mean(axis=0),
            "delivered_mean_mw": delivered_mean.sum(axis=0),
            "planned_online_mw": problem.online_mw.sum(axis=0),
            "shortfall_mean_mw": per_year.mean(axis=0),
            "shortfall_p90_mw": np.percentile(per_year, 90, axis=0),
            "probability_met": met.mean(axis=0),
            "probability_as_planned": as_planned.mean(axis=0),
            "shortfall_bound_mean_mw": cat["shortfall_bound_mw"].mean(axis=0),
        },
        index=pd.Index(problem.years.astype(int), name="year"),
    )
    K, Y = problem.demand_mw.shape
    k_i, t_i = np.meshgrid(np.arange(K), np.arange(Y), indexing="ij")
    regions = pd.DataFrame(
        {
            "region": [problem.keys[k][0] for k in k_i.ravel()],
            "workload": [problem.keys[k][1] for k in k_i.ravel()],
            "year": problem.years.astype(int)[t_i.ravel()],
            "demand_mean_mw": demand_mean.ravel(),
            "shortfall_mean_mw": short.mean(axis=0).ravel(),
            "probability_met": (short <= MET_TOL_MW).mean(axis=0).ravel(),
        }
    )
    S = len(problem.sites)
    s_i, t_i = np.meshgrid(np.arange(S), np.arange(Y), indexing="ij")
    sites = pd.DataFrame(
        {
            "site": np.asarray(problem.sites, object)[s_i.ravel()],
            "year": problem.years.astype(int)[t_i.ravel()],
            "planned_online_mw": problem.online_mw.ravel(),
            "delivered_mean_mw": delivered_mean.ravel(),
        }
    )
    sites = sites[sites["planned_online_mw"] > 0].reset_index(drop=True)
    cost = cat["cost_usd"]
    summary = {
        "plan": problem.name,
        "samples": int(n),
        "seed": int(seed),
        "cost_mean_usd": float(cost.mean()),
        "cost_p50_usd": float(np.percentile(cost, 50)),
        "cost_p90_usd": float(np.percentile(cost, 90)),
        "cost_cvar95_usd": cvar(cost, cvar_level),
        "deterministic_cost_usd": float(det["cost_usd"][0]),
        "shortfall_mean_mw_years": float(mw_years.mean()),
        "shortfall_p90_mw_years": float(np.percentile(mw_years, 90)),
        "shortfall_cvar95_mw_years": cvar(mw_years, cvar_level),
        "shortfall_bound_mean_mw_years": float(cat["shortfall_bound_mw"].sum(axis=1).mean()),
        "probability_all_years_met": float(met.all(axis=1).mean()),
        "probability_as_planned": float(as_planned.all(axis=1).mean()),
        "deterministic_shortfall_mw_years": float(det["shortfall_mw"].sum()),
    }
    samples = pd.DataFrame(
        {"cost_usd": cost, "energy_usd": cat["energy_usd"], "network_usd": cat["network_usd"],
         "penalty_usd": cat["penalty_usd"], "shortfall_mw_years": mw_years}
    )
    return RiskResult(summary=summary, years=years, regions=regions, sites=sites, samples=samples)
