"""Exact feasibility repair and a certified dual bound for the procurement LP.

Holds :func:`repair_dispatch` (turns a nearly feasible interior-point primal into an exactly
feasible plan) and :func:`lagrangian_bound` (a valid lower bound from any balance, storage, CFE
and energy-limit multipliers); both work on the named variables of
:class:`~gridfirst.procurement.model.ProcurementLP` (``gen:<g>``, ``grid``, ``charge:<s>``,
``discharge:<s>``, ``soc:<s>`` and the capacities of ``capacity_names``), not on the solver's
standard form.
"""

from __future__ import annotations

import numpy as np

from gridfirst.procurement.fast_build import (
    SHORTFALL,
    capacity_caps,
    capacity_costs,
    generator_open,
    grid_closed,
)
from gridfirst.procurement.model import ProcurementLP

#: Relative slack allowed when a repair meets a cap (solver rounding).
_CAP_SLACK = 1e-9


class RepairFailed(Exception):
    """The plan could not be made feasible within the options' caps (use the exact solver)."""


def plan_cost_usd(d: ProcurementLP, hourly: dict[str, np.ndarray], caps: dict[str, float]) -> float:
    """Objective of a plan: annualised capacities plus grid energy plus generators' energy [USD]."""
    costs = capacity_costs(d)
    total = sum(costs[k] * caps[k] for k in costs) + float(d.price_usd_per_mwh @ hourly["grid"])
    total += float(d.cfe_shortfall_usd_per_mwh or 0.0) * caps.get(SHORTFALL, 0.0)
    for g in d.generators:
        if g.marginal_usd_per_mwh or g.grid_settled:
            total += float(d.energy_price_usd_per_mwh(g) @ hourly[f"gen:{g.name}"])
    return float(total)


def _take(need: np.ndarray, room: np.ndarray) -> np.ndarray:
    """Amount taken from ``room`` (elementwise) towards ``need``; both non-negative."""
    return np.minimum(need, np.maximum(room, 0.0))


def dirty_energy_mwh(d: ProcurementLP, h: dict[str, np.ndarray]) -> float:
    """Non-carbon-free energy of a plan: dirty grid share plus generators' dirty share [MWh]."""
    used = float((1.0 - d.grid_cfe_share) @ h["grid"])
    for g in d.generators:
        if g.cfe_share < 1.0:
            used += (1.0 - g.cfe_share) * float(h[f"gen:{g.name}"].sum())
    return used


def _raise_to(cap: dict[str, float], name: str, value: float, caps_max: dict[str, float]) -> None:
    if value > cap[name]:
        if value > caps_max[name] * (1 + _CAP_SLACK) + 1e-9:
            raise RepairFailed(f"{name} would need {value:.6g}, above its cap {caps_max[name]:.6g}")
        cap[name] = value


def repair_dispatch(
    d: ProcurementLP, hourly: dict[str, np.ndarray], caps: dict[str, float]
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Make a nearly feasible plan exactly feasible, changing it as little as cheaply possible.

    Clips to bounds and caps, closes each cyclic storage chain by scaling charge or discharge,
    closes every hourly balance with the grid (cutting generators and discharge where the grid
    would go negative), covers grid above its limit and restores the CFE budget with spare clean
    generator output, raising the capacity of the firmest clean generator last, and rebuilds each
    state of charge. Capacities only grow, so the repaired cost is an upper bound and enters the
    certified gap.

    Raises
    ------
    RepairFailed
        Feasibility would need a capacity above its cap, or there is no option to raise.
    """
    h = {k: np.maximum(np.asarray(v, float).copy(), 0.0) for k, v in hourly.items()}
    caps_max = capacity_caps(d)
    cap = {k: min(max(float(v), 0.0), caps_max[k]) for k, v in caps.items() if k != SHORTFALL}
    load = d.load_mw
    gens = list(d.generators)
    gkey = [f"gen:{g.name}" for g in gens]
    open_ = [generator_open(d, i) for i in range(len(gens))]

    def avail(i: int) -> np.ndarray:
        return np.where(open_[i], gens[i].profile * cap[f"{gens[i].name}_mw"], 0.0)

    def energy_room(i: int) -> float:
        """MWh generator i may still produce under its energy limit (inf without one)."""
        g = gens[i]
        if g.energy_mwh_per_mw is None:
            return np.inf
        return max(g.energy_mwh_per_mw * cap[f"{g.name}_mw"] - float(h[gkey[i]].sum()), 0.0)

    def within_energy(i: int, add: np.ndarray) -> np.ndarray:
        room = energy_room(i)
        total = float(add.sum())
        return add * (room / total) if total > room else add

    for i, key in enumerate(gkey):
        h[key] = np.minimum(h[key], avail(i))
        g = gens[i]
        if g.energy_mwh_per_mw is not None:
            limit = g.energy_mwh_per_mw * cap[f"{g.name}_mw"]
            total = float(h[key].sum())
            if total > limit:
                h[key] *= limit / total if total > 0 else 0.0
    for s in d.storages:
        p = cap[f"{s.name}_mw"]
        for kind in ("charge", "discharge"):
            h[f"{kind}:{s.name}"] = np.minimum(h[f"{kind}:{s.name}"], p)
    grid_cap = d.grid_limit_mw
    g_max = np.where(grid_closed(d), 0.0, grid_cap)

    def net_need() -> np.ndarray:
        supply = sum((h[k] for k in gkey), np.zeros_like(load))
        for s in d.storages:
            supply = supply + h[f"discharge:{s.name}"] - h[f"charge:{s.name}"]
        return load - supply

    # cyclic storage: stored energy in equals energy out over the horizon
    for s in d.storages:
        c, dis = h[f"charge:{s.name}"], h[f"discharge:{s.name}"]
        into, out = s.eta_charge * c.sum(), dis.sum() / s.eta_discharge
        if into > out:
            c *= out / into if into > 0 else 0.0
        elif out > into:
            dis *= into / out if out > 0 else 0.0
        # a storage at its cap: the iterate may need a hair more power or energy than the cap
        # allows; scaling its charge and discharge keeps the chain closed and fits it
        p_max = caps_max[f"{s.name}_mw"]
        e_max = caps_max[f"{s.name}_mwh"] if s.duration_h is None else p_max * s.duration_h
        cum = np.cumsum(s.eta_charge * c - dis / s.eta_discharge)
        span = float(cum.max(initial=0.0) - min(cum.min(initial=0.0), 0.0))
        peak = float(max(c.max(initial=0.0), dis.max(initial=0.0)))
        fit = min(1.0, p_max / peak if peak > 0 else 1.0, e_max / span if span > 0 else 1.0)
        if fit < 1.0:
            c *= fit * (1.0 - 1e-9)
            dis *= fit * (1.0 - 1e-9)
    # balance with the grid; where the grid would go negative, cut generators then discharge
    surplus = np.maximum(-net_need(), 0.0)
    mean_price = [float(d.energy_price_usd_per_mwh(g).mean()) for g in gens]
    order = sorted(range(len(gens)), key=lambda i: -mean_price[i])
    for key in [gkey[i] for i in order] + [f"discharge:{s.name}" for s in d.storages]:
        if not surplus.any():
            break
        cut = _take(surplus, h[key])
        h[key] -= cut
        surplus -= cut
    if d.storages:
        # a cut discharge may have opened the chain: close it again by trimming charge
        for s in d.storages:
            c, dis = h[f"charge:{s.name}"], h[f"discharge:{s.name}"]
            into, out = s.eta_charge * c.sum(), dis.sum() / s.eta_discharge
            if into > out:
                c *= out / into if into > 0 else 0.0
    h["grid"] = np.maximum(net_need(), 0.0)

    clean = sorted((i for i, g in enumerate(gens) if g.cfe_share >= 1.0),
                   key=lambda i: mean_price[i])

    def add_spare(rem: np.ndarray, mask: np.ndarray) -> np.ndarray:
        for i in clean:
            add = within_energy(i, _take(rem, avail(i) - h[gkey[i]]) * mask)
            h[gkey[i]] += add
            rem = rem - add
        return rem

    def firmest() -> int | None:
        best = None
        for i in clean:
            g = gens[i]
            if g.energy_mwh_per_mw is not None or not open_[i].all():
                continue
            if best is None or g.profile.min() > gens[best].profile.min():
                best = i
        return best

    def raise_firm(rem: np.ndarray) -> None:
        if not rem.any():
            return
        i = firmest()
        if i is None:
            raise RepairFailed("no firm clean option to raise")
        g = gens[i]
        need = float(np.max((h[gkey[i]] + rem) / g.profile))
        _raise_to(cap, f"{g.name}_mw", need, caps_max)
        h[gkey[i]] += rem

    # grid above its limit: spare clean output, then firm capacity
    excess = np.maximum(h["grid"] - g_max, 0.0)
    if excess.any():
        rem = add_spare(excess.copy(), np.ones(load.size))
        raise_firm(rem)
        h["grid"] = np.minimum(np.maximum(h["grid"] - excess, 0.0), g_max)
    # CFE budget (a soft target takes what spare clean output leaves as shortfall)
    budget = d.cfe_budget_mwh
    over = dirty_energy_mwh(d, h) - budget
    if d.soft_target:
        cap[SHORTFALL] = 0.0
    if over > 0:
        dirty = 1.0 - d.grid_cfe_share
        for i in clean:
            room = within_energy(
                i, np.minimum(np.maximum(avail(i) - h[gkey[i]], 0.0), h["grid"]) * (dirty > 0))
            gain = float(dirty @ room)
            if gain <= 0:
                continue
            frac = min(1.0, over / gain)
            h[gkey[i]] += frac * room
            h["grid"] -= frac * room
            over -= frac * gain
            if over <= 0:
                break
        if over > 0 and d.soft_target:
            cap[SHORTFALL] = over
            over = 0.0
        if over > 0:  # raise firm capacity uniformly on the hours that still draw dirty grid
            lo, hi = 0.0, float(h["grid"].max(initial=0.0))
            for _ in range(100):
                mid = 0.5 * (lo + hi)
                if float(dirty @ np.minimum(h["grid"], mid)) >= over:
                    hi = mid
                else:
                    lo = mid
            add = np.minimum(h["grid"], hi) * (dirty > 0)
            raise_firm(add)
            h["grid"] -= add
        if dirty_energy_mwh(d, h) - cap.get(SHORTFALL, 0.0) > budget * (1 + 1e-9) + 1e-9:
            raise RepairFailed("CFE budget cannot be restored")
    # storage power, then the state of charge from the closed chain, placed inside [0, E]
    for s in d.storages:
        c, dis = h[f"charge:{s.name}"], h[f"discharge:{s.name}"]
        _raise_to(cap, f"{s.name}_mw", float(max(c.max(initial=0.0), dis.max(initial=0.0))),
                  caps_max)
        net = s.eta_charge * c - dis / s.eta_discharge
        cum = np.cumsum(net)
        cum -= cum[-1] * np.arange(1, cum.size + 1) / cum.size  # removes rounding drift only
        e_cap = cap[f"{s.name}_mwh"] if s.duration_h is None else cap[f"{s.name}_mw"] * s.duration_h
        target = float(np.median(h[f"soc:{s.name}"] - cum))
        lo, hi = -float(cum.min()), e_cap - float(cum.max())
        offset = min(max(target, lo), hi) if hi >= lo else lo
        soc = cum + offset
        h[f"soc:{s.name}"] = soc
        peak = float(soc.max(initial=0.0))
        if s.duration_h is None:
            _raise_to(cap, f"{s.name}_mwh", peak, caps_max)
        else:
            _raise_to(cap, f"{s.name}_mw", peak / s.duration_h, caps_max)
    check_plan(d, h, cap)
    return h, cap


def check_plan(d: ProcurementLP, h: dict[str, np.ndarray], cap: dict[str, float],
               rtol: float = 1e-7) -> None:
    """Every constraint of the LP holds for the plan (to ``rtol`` of its scale), else
    :class:`RepairFailed`: the fast method then hands the LP to HiGHS rather than report a plan
    that is not feasible."""
    load = d.load_mw
    scale = max(1.0, float(load.max(initial=0.0)))
    tol = rtol * scale
    supply = h["grid"].copy()
    caps_max = capacity_caps(d)
    for name, value in cap.items():
        if name in caps_max and value > caps_max[name] * (1 + rtol) + tol:
            raise RepairFailed(f"{name} {value:.6g} above its cap {caps_max[name]:.6g}")
    for g in d.generators:
        x = h[f"gen:{g.name}"]
        k = cap[f"{g.name}_mw"]
        if np.any(x > g.profile * k + tol) or np.any(x < -tol):
            raise RepairFailed(f"{g.name}: output above its availability")
        if g.energy_mwh_per_mw is not None and x.sum() > g.energy_mwh_per_mw * k * (1 + rtol) + tol:
            raise RepairFailed(f"{g.name}: energy above its limit")
        supply += x
    for s in d.storages:
        c, dis, e = (h[f"{k}:{s.name}"] for k in ("charge", "discharge", "soc"))
        p = cap[f"{s.name}_mw"]
        e_cap = cap[f"{s.name}_mwh"] if s.duration_h is None else p * s.duration_h
        if np.any(c > p + tol) or np.any(dis > p + tol) or np.any(e > e_cap + tol) or np.any(e < -tol):
            raise RepairFailed(f"{s.name}: dispatch outside its power or energy")
        chain = e - np.roll(e, 1) - s.eta_charge * c + dis / s.eta_discharge
        if np.any(np.abs(chain) > tol * 10):
            raise RepairFailed(f"{s.name}: state of charge does not close")
        supply += dis - c
    if np.any(np.abs(supply - load) > tol * 10):
        raise RepairFailed("hourly balance does not close")
    if np.any(h["grid"] > d.grid_limit_mw + tol) or np.any(h["grid"] < -tol):
        raise RepairFailed("grid outside its limit")
    over = dirty_energy_mwh(d, h) - cap.get(SHORTFALL, 0.0) - d.cfe_budget_mwh
    if over > rtol * max(1.0, d.total_load_mwh):
        raise RepairFailed("CFE budget exceeded")


def lagrangian_bound(
    d: ProcurementLP,
    pi: np.ndarray,
    nu: dict[str, np.ndarray],
    mu: float,
    lam: dict[str, float],
    upper_usd: float,
) -> float:
    """Certified lower bound on the LP optimum from balance, storage, CFE and energy prices.

    The remaining multipliers (availability and capacity links, grid limit, caps) are completed
    optimally for the given prices, so every hourly reduced cost is non-negative; a capacity
    whose reduced cost stays negative is charged at its cap, or at an upper bound valid for every
    optimal plan (from ``upper_usd``, the cost of a feasible plan). Any finite input gives a
    valid bound (weak duality).

    Parameters
    ----------
    pi : numpy.ndarray
        Price of the hourly balance row [USD/MWh].
    nu : dict
        Per storage, price of its row ``e_t - e_{t-1} - eta_c c_t + d_t / eta_d = 0``.
    mu : float
        Price of the CFE row [USD/MWh], clipped at zero.
    lam : dict
        Per energy-limited generator, price of its energy row, clipped at zero.
    upper_usd : float
        Cost of a feasible plan [USD].
    """
    mu = max(float(mu), 0.0)
    if d.soft_target:  # the shortfall's reduced cost stays >= 0 with mu <= its price
        mu = min(mu, float(d.cfe_shortfall_usd_per_mwh or 0.0))
    dirty = 1.0 - d.grid_cfe_share
    costs = capacity_costs(d)
    caps_max = capacity_caps(d)
    coef = dict(costs)
    for i, g in enumerate(d.generators):
        open_ = generator_open(d, i)
        lam_i = max(float(lam.get(g.name, 0.0)), 0.0)
        rc = d.energy_price_usd_per_mwh(g) - pi + mu * (1.0 - g.cfe_share) + lam_i
        coef[f"{g.name}_mw"] += float((g.profile * np.minimum(rc, 0.0)) @ open_)
        if g.energy_mwh_per_mw is not None:
            coef[f"{g.name}_mw"] -= lam_i * g.energy_mwh_per_mw
    for s in d.storages:
        if s.max_mw <= 0:
            continue
        n = nu[s.name]
        rc_c = pi + s.eta_charge * n
        rc_d = -pi - n / s.eta_discharge
        rc_e = np.roll(n, -1) - n
        coef[f"{s.name}_mw"] += float(np.minimum(rc_c, 0.0).sum() + np.minimum(rc_d, 0.0).sum())
        e_term = float(np.minimum(rc_e, 0.0).sum())
        if s.duration_h is None:
            coef[f"{s.name}_mwh"] += e_term
        else:
            coef[f"{s.name}_mw"] += s.duration_h * e_term
    rc_g = d.price_usd_per_mwh - pi + mu * dirty
    g_open = ~grid_closed(d)
    # capacity bounds valid for every optimal plan: c_K K <= upper - (lowest other cost)
    neg_grid = np.minimum(d.price_usd_per_mwh, 0.0)
    grid_ub = d.grid_limit_mw if np.isfinite(d.grid_limit_mw) else np.inf
    floor = float(neg_grid @ np.where(g_open, grid_ub, 0.0)) if neg_grid.any() else 0.0
    k_max = {}
    for name, cost in costs.items():
        by_cost = (upper_usd - floor) / cost if cost > 0 else np.inf
        k_max[name] = min(caps_max[name], by_cost)
    bound = float(pi @ d.load_mw) - mu * d.cfe_budget_mwh
    if np.isfinite(d.grid_limit_mw):
        kappa = np.maximum(-rc_g, 0.0) * g_open
        bound -= d.grid_limit_mw * float(kappa.sum())
    else:
        # no grid limit: g_t <= load_t + sum of charge power holds for every feasible plan
        p_max = sum((k_max[f"{s.name}_mw"] for s in d.storages), 0.0)
        neg = np.minimum(rc_g, 0.0) * g_open
        if neg.any():
            bound += float(neg @ (d.load_mw + p_max))
    for name, value in coef.items():
        if value < 0:
            bound += value * k_max[name]
    return bound if np.isfinite(bound) else -np.inf
