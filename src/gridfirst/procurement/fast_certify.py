"""Exact feasibility repair and a certified dual bound for the reference procurement LP.

Holds :func:`repair_dispatch` (turns a nearly feasible interior-point primal into an exactly
feasible plan) and :func:`lagrangian_bound` (a valid lower bound from any balance, storage and CFE
multipliers); both work on the issue's named variables, not on the solver's standard form.
"""

from __future__ import annotations

import numpy as np

from gridfirst.procurement.model import ProcurementLP


def plan_cost_usd(d: ProcurementLP, hourly: dict[str, np.ndarray], caps: np.ndarray) -> float:
    """Objective of a plan: annualised capital plus grid energy plus firm energy [USD]."""
    return float(
        d.capacity_costs @ caps
        + d.grid_price_usd_per_mwh @ hourly["grid"]
        + d.firm_marginal_usd_per_mwh * hourly["firm"].sum()
    )


def _take(need: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Amount taken from ``room`` (elementwise) towards ``need``; both non-negative."""
    return np.minimum(need, np.maximum(room, 0.0))


def repair_dispatch(
    d: ProcurementLP, hourly: dict[str, np.ndarray], caps: np.ndarray
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Make a nearly feasible plan exactly feasible, changing it as little as cheaply possible.

    Clips to bounds, closes the cyclic storage chain by scaling charge or discharge, rebuilds the
    state of charge, closes every hourly balance with the grid (curtailing or adding solar, wind
    and firm where the grid would leave its bounds) and restores the CFE budget by replacing
    non-CFE grid energy with spare renewable or firm output (raising firm capacity last).
    Capacities only ever grow, so the repaired cost is an upper bound and enters the certified gap.
    """
    h = {k: np.maximum(np.asarray(v, float).copy(), 0.0) for k, v in hourly.items()}
    cap = np.maximum(np.asarray(caps, float).copy(), 0.0)
    load = d.load_mw
    avail_s = d.solar_cf * cap[0]
    avail_w = d.wind_cf * cap[1]
    h["solar"] = np.minimum(h["solar"], avail_s)
    h["wind"] = np.minimum(h["wind"], avail_w)
    h["firm"] = np.minimum(h["firm"], cap[4])
    h["charge"] = np.minimum(h["charge"], cap[2])
    h["discharge"] = np.minimum(h["discharge"], cap[2])
    grid_cap = d.grid_limit_mw
    dirty = 1.0 - d.grid_cfe_share
    g_zero = np.zeros(load.size, bool)
    if grid_cap <= 0.0:
        g_zero[:] = True
    if d.cfe_budget_mwh <= 0.0:
        g_zero |= dirty > 0.0
    g_max = np.where(g_zero, 0.0, grid_cap)
    ec, ed = d.eta_charge, d.eta_discharge
    for _ in range(3):
        # cyclic storage: stored energy in equals energy out over the year
        into = ec * h["charge"].sum()
        out = h["discharge"].sum() / ed
        if into > out:
            h["charge"] *= out / into if into > 0 else 0.0
        elif out > into:
            h["discharge"] *= into / out if out > 0 else 0.0
        # balance with the grid; where the grid would go negative, curtail then cut discharge
        g = load - h["solar"] - h["wind"] - h["firm"] - h["discharge"] + h["charge"]
        surplus = np.maximum(-g, 0.0)
        for name in ("solar", "wind", "firm", "discharge"):
            cut = _take(surplus, h[name])
            h[name] -= cut
            surplus -= cut
        h["charge"] += surplus  # last resort: soak the rest into storage (re-closed next pass)
        g = load - h["solar"] - h["wind"] - h["firm"] - h["discharge"] + h["charge"]
        h["grid"] = np.maximum(g, 0.0)
        if not (np.any(h["charge"] > cap[2] * (1 + 1e-12)) or surplus.any()):
            break
    cap[2] = max(
        cap[2], float(h["charge"].max(initial=0.0)), float(h["discharge"].max(initial=0.0))
    )
    # grid above its limit: add spare solar, wind, then firm (firm capacity last)
    excess = np.maximum(h["grid"] - g_max, 0.0)
    if excess.any():
        rem = excess.copy()
        for name, room in (("solar", avail_s - h["solar"]), ("wind", avail_w - h["wind"])):
            add = _take(rem, room)
            h[name] += add
            rem -= add
        h["firm"] += rem
        h["grid"] = np.minimum(np.maximum(h["grid"] - excess, 0.0), g_max)
        cap[4] = max(cap[4], float(h["firm"].max(initial=0.0)))
    # CFE budget
    budget = d.cfe_budget_mwh
    used = float(dirty @ h["grid"])
    if used > budget:
        over = used - budget
        swap = np.zeros(load.size)
        for room in (avail_s - h["solar"], avail_w - h["wind"], cap[4] - h["firm"]):
            r = np.minimum(np.maximum(room, 0.0), h["grid"] - swap) * (dirty > 0)
            gain = float(dirty @ r)
            frac = min(1.0, over / gain) if gain > 0 else 0.0
            swap_k = frac * r
            swap += swap_k
            over -= frac * gain
            if over <= 0:
                break
        # allocate the swaps to the cheapest source with room (solar, wind, firm)
        rem = swap.copy()
        for name, room in (
            ("solar", avail_s - h["solar"]),
            ("wind", avail_w - h["wind"]),
            ("firm", cap[4] - h["firm"]),
        ):
            add = _take(rem, room)
            h[name] += add
            rem -= add
        h["grid"] -= swap - rem
        if over > 0:  # raise firm capacity uniformly on the hours that still draw dirty grid
            lo, hi = 0.0, float(h["grid"].max(initial=0.0))
            for _ in range(100):
                mid = 0.5 * (lo + hi)
                if float(dirty @ np.minimum(h["grid"], mid)) >= over:
                    hi = mid
                else:
                    lo = mid
            add = np.minimum(h["grid"], hi) * (dirty > 0)
            h["firm"] += add
            h["grid"] -= add
            cap[4] = max(cap[4], float(h["firm"].max(initial=0.0)))
    # state of charge from the closed chain, placed inside [0, E]
    net = ec * h["charge"] - h["discharge"] / ed
    cum = np.cumsum(net)
    cum -= cum[-1] * np.arange(1, cum.size + 1) / cum.size  # removes rounding drift only
    target = float(np.median(h["soc"] - cum))
    lo, hi = -float(cum.min()), cap[3] - float(cum.max())
    offset = min(max(target, lo), hi) if hi >= lo else lo
    h["soc"] = cum + offset
    cap[3] = max(cap[3], float(h["soc"].max(initial=0.0)))
    return h, cap


def lagrangian_bound(
    d: ProcurementLP,
    pi: np.ndarray,
    nu: np.ndarray,
    mu: float,
    upper_usd: float,
) -> float:
    """Certified lower bound on the LP optimum from balance (pi), storage (nu) and CFE (mu) prices.

    The remaining multipliers (capacity links, grid limit) are completed optimally for the given
    prices, so every hourly reduced cost is non-negative; a capacity whose reduced cost stays
    negative is charged at an upper bound valid for every optimal plan (from ``upper_usd``, the
    cost of a feasible plan). Any finite input gives a valid bound (weak duality).

    Parameters
    ----------
    pi : numpy.ndarray
        Price of the hourly balance row [USD/MWh].
    nu : numpy.ndarray
        Price of the storage row ``e_t - e_{t-1} - eta_c c_t + d_t / eta_d = 0`` [USD/MWh].
    mu : float
        Price of the CFE row [USD/MWh], clipped at zero.
    upper_usd : float
        Cost of a feasible plan [USD].
    """
    mu = max(float(mu), 0.0)
    ec, ed = d.eta_charge, d.eta_discharge
    m = d.firm_marginal_usd_per_mwh
    dirty = 1.0 - d.grid_cfe_share
    alpha = np.maximum(pi, 0.0)  # solar and wind links
    phi = np.maximum(pi - m, 0.0)
    gamma = np.maximum(ec * nu - pi, 0.0)
    delta = np.maximum(pi - nu / ed, 0.0)
    eps = np.maximum(np.roll(nu, -1) - nu, 0.0)
    rc_g = d.grid_price_usd_per_mwh - pi + mu * dirty
    g_open = np.ones(pi.size, bool)
    if d.grid_limit_mw <= 0.0:
        g_open[:] = False
    if d.cfe_budget_mwh <= 0.0:
        g_open &= dirty <= 0.0
    caps_cost = d.capacity_costs
    rc_cap = caps_cost - np.array(
        [
            d.solar_cf @ alpha,
            d.wind_cf @ alpha,
            float((gamma + delta).sum()),
            float(eps.sum()),
            float(phi.sum()),
        ]
    )
    # capacity bounds valid for every optimal plan: c_K K <= upper - (lowest other cost)
    neg_grid = np.minimum(d.grid_price_usd_per_mwh, 0.0)
    grid_ub = d.grid_limit_mw if np.isfinite(d.grid_limit_mw) else np.inf
    floor = float(neg_grid @ np.where(g_open, grid_ub, 0.0)) if neg_grid.any() else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        k_max = np.where(caps_cost > 0, (upper_usd - floor) / caps_cost, np.inf)
    bound = float(pi @ d.load_mw) - mu * d.cfe_budget_mwh
    if np.isfinite(d.grid_limit_mw):
        kappa = np.maximum(-rc_g, 0.0) * g_open
        bound -= d.grid_limit_mw * float(kappa.sum())
    else:
        # no grid limit: g_t <= load_t + charge_t <= load_t + P_max holds for every feasible plan
        g_ub = d.load_mw + k_max[2]
        neg = np.minimum(rc_g, 0.0) * g_open
        if neg.any():
            bound += float(neg @ g_ub)
    short = np.minimum(rc_cap, 0.0)
    if np.any(short < 0):
        bound += float(short @ np.where(short < 0, k_max, 0.0))
    return bound if np.isfinite(bound) else -np.inf
