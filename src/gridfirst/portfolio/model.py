"""The build-out MILP: variables, constraints and costs from PortfolioInputs, one family at a time.

Building only, through :class:`gridfirst.solver.ModelBuilder`; no solver is called here (see
:mod:`gridfirst.portfolio.solve`). Every block of rows is named after its family (power, labour,
...) and labelled by entity and year, so results and explanations speak in its terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gridfirst.errors import ScenarioError
from gridfirst.portfolio.inputs import (
    HOURS_PER_YEAR,
    PortfolioInputs,
    energy_usd_per_mw_year,
    sla_ms,
)
from gridfirst.solver import Block, Layout, LinearModel, ModelBuilder

#: Constraint families that the explanation pass relaxes one at a time.
FAMILIES = (
    "power",
    "lead_time",
    "latency",
    "labour",
    "diversification",
    "screens",
    "site_size",
    "residency",
    "campus",
)
COST_PARTS = ("capital", "site", "accelerators", "energy", "network", "deals", "ppa", "risk",
              "unmet")
#: Cost parts that are penalties, not cash (the rest of :data:`COST_PARTS` is cash).
PENALTY_PARTS = ("risk", "unmet")
#: Deal stages that bind the buyer: the plan takes these deals whatever they cost.
SIGNED_STAGES = ("signed", "energised")


@dataclass
class PortfolioModel:
    """A built model: ``min cost @ x`` s.t. ``row_lower <= A x <= row_upper``, bounds, integers.

    Column blocks (``cols[name]`` is a slice) and their index arrays decode the solution:
    ``n`` blocks built (site, decision year), ``open`` (site), ``sign`` (space deal), ``cap``
    IT MW online (site x year, row-major), ``x`` MW served (site, demand key, year), ``unmet``
    (demand key x year), ``paid`` deal MW paid, ``ppa_sign``, ``ppa_use``, ``ppa_paid``,
    ``campus`` (site x year: the site serves training that year, so it holds at least
    ``training_campus_min_mw``; ``campus_sites`` are the sites that may).
    Rows carry ``row_family`` (the constraint block's name), ``row_entity`` and ``row_year``
    (-1 when not by year); ``layout`` is the builder's :class:`~gridfirst.solver.Layout` of the
    same blocks, so a :class:`~gridfirst.solver.Solution` can be read by block name.
    """

    inputs: PortfolioInputs
    relax: frozenset[str]
    cost: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    cols: dict[str, slice]
    sites: list[str]
    keys: pd.DataFrame
    demand_mw: np.ndarray
    eligible: np.ndarray
    n_site: np.ndarray
    n_year: np.ndarray
    built_sites: np.ndarray
    deal_sites: np.ndarray
    x_site: np.ndarray
    x_key: np.ndarray
    x_year: np.ndarray
    ppa_ids: list[str]
    row_family: np.ndarray
    row_entity: np.ndarray
    row_year: np.ndarray
    layout: Layout
    cost_parts: dict[str, np.ndarray] = field(default_factory=dict)
    campus_sites: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    site_cost_by_year: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    col_year: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    discount: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def num_cols(self) -> int:
        return int(self.cost.size)

    @property
    def num_rows(self) -> int:
        return int(self.row_lower.size)


def _ragged(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [start_i, stop_i): (owner i, value) of every element, vectorised."""
    lengths = np.maximum(stops - starts, 0)
    owner = np.repeat(np.arange(starts.size), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, starts[owner] + offsets



@dataclass
class _Frame:
    """What the blocks of the model are built from: sites, demand keys, eligibility, caps."""

    inputs: PortfolioInputs
    relax: frozenset[str]
    years: np.ndarray
    discount: np.ndarray
    block_mw: float
    sites: list[str]
    st: pd.DataFrame
    built: np.ndarray
    deals: np.ndarray
    pue: np.ndarray
    lead: np.ndarray
    keys: pd.DataFrame
    demand_mw: np.ndarray
    eligible: np.ndarray
    rtt_ms: np.ndarray
    max_it: np.ndarray
    pools: np.ndarray
    pool_power: pd.DataFrame
    cap_site: np.ndarray
    deal_active: np.ndarray
    ppa_ids: list[str]
    ppa_active: np.ndarray
    n_site: np.ndarray
    n_year: np.ndarray
    x_site: np.ndarray
    x_key: np.ndarray
    x_year: np.ndarray
    campus_sites: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    campus_min_mw: float = 0.0

    @property
    def T(self) -> int:
        return int(self.years.size)

    @property
    def S(self) -> int:
        return len(self.sites)

    @property
    def site_names(self) -> np.ndarray:
        return np.asarray(self.sites, dtype=object)

    @property
    def key_names(self) -> np.ndarray:
        return (self.keys["region"] + ":" + self.keys["workload"]).to_numpy(object)


def _kept_sites(inputs: PortfolioInputs, relax: frozenset[str], y0: int) -> list[str]:
    """Candidates in the model: passing the screens (unless relaxed), deals not yet ended."""
    table = inputs.sites
    keep = table["allowed"].to_numpy(bool) | ("screens" in relax)
    is_deal = (table["kind"] == "deal").to_numpy()
    keep &= ~is_deal | (table["deal_end_year"].to_numpy(int) >= y0)
    return list(table.index[keep])


def _demand(inputs: PortfolioInputs, years: np.ndarray) -> tuple[pd.DataFrame, np.ndarray]:
    """Demand keys (region, workload) and the demand matrix [key x year, IT MW]."""
    dem = inputs.demand
    keys = dem[["region", "workload"]].drop_duplicates().reset_index(drop=True)
    K, T, y0 = len(keys), years.size, int(years[0])
    key_index = {(r, w): i for i, (r, w) in enumerate(zip(keys["region"], keys["workload"], strict=True))}
    demand_mw = np.zeros((K, T))
    if K:
        ki = np.array([key_index[(r, w)] for r, w in zip(dem["region"], dem["workload"], strict=True)])
        ti = dem["year"].to_numpy(int) - y0
        ok = (ti >= 0) & (ti < T)
        np.add.at(demand_mw, (ki[ok], ti[ok]), dem["mw"].to_numpy(float)[ok])
    return keys, demand_mw


def _eligibility(inputs: PortfolioInputs, relax: frozenset[str], sites: list[str],
                 st: pd.DataFrame, keys: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Whether site s may serve key k (training screens, latency SLA), and the RTT [ms]."""
    S, K = len(sites), len(keys)
    eligible = np.ones((S, K), bool)
    train_ok = st["training_eligible"].to_numpy(bool) | ("screens" in relax)
    rtt_ms = np.full((S, K), math.inf)
    for k, (region, workload) in enumerate(zip(keys["region"], keys["workload"], strict=True)):
        if region in inputs.latency_ms.columns:
            rtt_ms[:, k] = inputs.latency_ms.loc[sites, region].to_numpy(float)
        if workload == "training":
            eligible[:, k] &= train_ok
        if "latency" not in relax:
            limit = sla_ms(inputs, region, workload)
            if math.isfinite(limit):
                eligible[:, k] &= np.nan_to_num(rtt_ms[:, k], nan=math.inf) <= limit
        if "residency" not in relax:
            eligible[:, k] &= residency_ok(inputs, region, st)
    return eligible, rtt_ms


def residency_ok(inputs: PortfolioInputs, region: str, st: pd.DataFrame) -> np.ndarray:
    """Sites whose country or market a region's data residency allows (all when unrestricted)."""
    if "serve_from" not in inputs.regions.columns or region not in inputs.regions.index:
        return np.ones(len(st), bool)
    allowed = inputs.regions.at[region, "serve_from"]
    if not isinstance(allowed, list | tuple) or not allowed:
        return np.ones(len(st), bool)
    where = set(allowed)
    return (st["country"].isin(where) | st["market"].isin(where)).to_numpy(bool)


def _active(years: np.ndarray, start: np.ndarray, end: np.ndarray, relax: frozenset[str]
            ) -> np.ndarray:
    """Years a contract runs [contract x year]; from the first year if lead times are relaxed."""
    if "lead_time" in relax:
        start = np.minimum(start, int(years[0]))
    return (years[None, :] >= start[:, None]) & (years[None, :] <= end[:, None])


def _frame(inputs: PortfolioInputs, relax: frozenset[str]) -> _Frame:
    """Sites, demand keys, eligibility, capacity caps and contract years of the model."""
    p = inputs.params
    years = np.asarray(inputs.years)
    T = years.size
    y0 = int(years[0])
    block = float(p["block_mw"])
    sites = _kept_sites(inputs, relax, y0)
    S = len(sites)
    st = inputs.sites.loc[sites]
    kind_deal = (st["kind"] == "deal").to_numpy()
    built = np.flatnonzero(~kind_deal)
    deals = np.flatnonzero(kind_deal)
    pue = st["pue"].to_numpy(float)
    lead = np.zeros(S, int) if "lead_time" in relax else st["lead_years"].to_numpy(int)
    discount = (1.0 + float(p["discount_rate"])) ** -(years - y0).astype(float)
    keys, demand_mw = _demand(inputs, years)
    total_peak = float(demand_mw.sum(axis=0).max()) if len(keys) else 0.0
    eligible, rtt_ms = _eligibility(inputs, relax, sites, st, keys)

    # Largest build per site [IT MW]: land, and the pool's peak power unless power is relaxed.
    max_it = np.where(np.isinf(st["max_it_mw"].to_numpy(float)) | ("site_size" in relax),
                      math.inf, st["max_it_mw"].to_numpy(float))
    pools = st["power_pool"].to_numpy(object)
    pool_power = inputs.power_mw.reindex(index=list(dict.fromkeys(pools)), columns=list(years)
                                         ).fillna(0.0)
    if "power" not in relax:
        peak_power = pool_power.max(axis=1).reindex(pools).to_numpy(float) / pue
        cap_site = np.minimum(max_it, peak_power)
    else:
        cap_site = max_it
    cap_site = np.where(np.isinf(cap_site), max(total_peak, block), cap_site)

    deal_active = _active(years, st["deal_start_year"].to_numpy(int)[deals],
                          st["deal_end_year"].to_numpy(int)[deals], relax)
    ppa = inputs.ppas
    ppa_keep = ppa["allowed"].to_numpy(bool) | ("screens" in relax) if len(ppa) else np.zeros(0, bool)
    ppa_ids = list(ppa.index[ppa_keep]) if len(ppa) else []
    if ppa_ids:
        pp = ppa.loc[ppa_ids]
        ppa_active = _active(years, pp["start_year"].to_numpy(int), pp["end_year"].to_numpy(int),
                             relax)
    else:
        ppa_active = np.zeros((0, T), bool)

    # Block decisions: built site s decides in year index t while t + L_s is in the horizon.
    nb_owner, nb_t = _ragged(np.zeros(built.size, int), T - lead[built])
    n_site = built[nb_owner]
    n_year = np.arange(T)[nb_t] if nb_t.size else nb_t
    # Training campuses: training only at a site that holds at least the campus size in that
    # year; sites that can never hold it serve no training.
    campus_min = float(p.get("training_campus_min_mw", 0.0))
    if not math.isfinite(campus_min) or campus_min < 0:
        raise ScenarioError(f"policy.training_campus_min_mw: {campus_min!r} must be a number of "
                            "IT MW >= 0")
    training = (keys["workload"] == "training").to_numpy() if len(keys) else np.zeros(0, bool)
    campus_sites = np.zeros(0, int)
    if campus_min > 0 and "campus" not in relax and training.any():
        too_small = cap_site < campus_min - 1e-9
        eligible[np.ix_(too_small, training)] = False
        campus_sites = np.flatnonzero(eligible[:, training].any(axis=1))
    # Allocations: one column per eligible (site, key) and year.
    x_s, x_k = np.nonzero(eligible)
    return _Frame(
        inputs=inputs, relax=relax, years=years, discount=discount, block_mw=block, sites=sites,
        st=st, built=built, deals=deals, pue=pue, lead=lead, keys=keys, demand_mw=demand_mw,
        eligible=eligible, rtt_ms=rtt_ms, max_it=max_it, pools=pools, pool_power=pool_power,
        cap_site=cap_site, deal_active=deal_active, ppa_ids=ppa_ids, ppa_active=ppa_active,
        n_site=n_site, n_year=n_year, x_site=np.repeat(x_s, T), x_key=np.repeat(x_k, T),
        x_year=np.tile(np.arange(T), x_s.size), campus_sites=campus_sites,
        campus_min_mw=campus_min,
    )


@dataclass
class _Vars:
    """The model's variable blocks (see :class:`PortfolioModel` for their meaning)."""

    n: Block
    open: Block
    sign: Block
    cap: Block
    x: Block
    unmet: Block
    paid: Block
    ppa_sign: Block
    ppa_use: Block
    ppa_paid: Block
    campus: Block

    def blocks(self) -> list[Block]:
        return [self.n, self.open, self.sign, self.cap, self.x, self.unmet, self.paid,
                self.ppa_sign, self.ppa_use, self.ppa_paid, self.campus]


def _variables(b: ModelBuilder, f: _Frame) -> _Vars:
    """Add every variable block with its bounds, integrality and labels (costs come later)."""
    T, S, years = f.T, f.S, f.years
    names = f.site_names
    D, P = f.deals.size, len(f.ppa_ids)

    def yearly(entity: np.ndarray, label: str) -> dict[str, np.ndarray]:
        return {label: np.repeat(entity, T), "year": np.tile(years, entity.size)}

    n = b.variables("n", f.n_site.size, upper=np.floor(f.cap_site[f.n_site] / f.block_mw + 1e-9),
                    integer=True, labels={"site": names[f.n_site], "decided": years[f.n_year]})
    open_ = b.variables("open", f.built.size, upper=1.0, integer=True,
                        labels={"site": names[f.built]})
    stage = (f.st["deal_stage"].to_numpy(object)[f.deals] if "deal_stage" in f.st
             else np.full(D, "", object))
    sign = b.variables("sign", D, lower=np.isin(stage, SIGNED_STAGES).astype(float), upper=1.0,
                       integer=True, labels={"deal": names[f.deals]})
    # Power limits reach capacity through the power rows (so their duals carry the value of
    # power); only land (max IT MW) and a deal's own MW bound the column.
    cap = b.variables("cap", S * T, upper=np.repeat(f.max_it, T), labels=yearly(names, "site"))
    x = b.variables("x", f.x_site.size, labels={
        "site": names[f.x_site], "demand": f.key_names[f.x_key], "year": years[f.x_year]})
    unmet = b.variables("unmet", len(f.keys) * T, labels=yearly(f.key_names, "demand"))
    paid = b.variables("paid", D * T, upper=np.where(f.deal_active, np.inf, 0.0),
                       labels=yearly(names[f.deals], "deal"))
    ppa_names = np.asarray(f.ppa_ids, dtype=object)
    ppa_sign = b.variables("ppa_sign", P, upper=1.0, integer=True, labels={"ppa": ppa_names})
    ppa_upper = np.where(f.ppa_active, np.inf, 0.0)
    ppa_use = b.variables("ppa_use", P * T, upper=ppa_upper, labels=yearly(ppa_names, "ppa"))
    ppa_paid = b.variables("ppa_paid", P * T, upper=ppa_upper, labels=yearly(ppa_names, "ppa"))
    campus = b.variables("campus", f.campus_sites.size * T, upper=_online_possible(f)[
        f.campus_sites].ravel().astype(float), integer=True,
        labels=yearly(names[f.campus_sites], "site"))
    return _Vars(n, open_, sign, cap, x, unmet, paid, ppa_sign, ppa_use, ppa_paid, campus)


def _online_possible(f: _Frame) -> np.ndarray:
    """Whether a site can hold capacity in a year [site x year]: a built site from its lead
    time on, a deal in its active years."""
    ok = np.zeros((f.S, f.T), bool)
    ok[f.built] = np.arange(f.T)[None, :] >= f.lead[f.built][:, None]
    ok[f.deals] = f.deal_active
    return ok


def _costs(b: ModelBuilder, f: _Frame, v: _Vars) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Cost parts per column and year (undiscounted), the year of each column, and the
    discounted objective set on the builder."""
    p = f.inputs.params
    T, S, N = f.T, f.S, b.num_cols
    st = f.st
    col_year = np.full(N, -1, int)
    parts = {name: np.zeros(N) for name in COST_PARTS}
    cap_cols = v.cap.index.reshape(S, T)
    x_cols = v.x.index
    unmet_cols = v.unmet.index.reshape(len(f.keys), T)
    paid_cols = v.paid.index.reshape(f.deals.size, T)
    for cols in (cap_cols, unmet_cols, paid_cols):
        col_year[cols] = np.arange(T)[None, :]
    col_year[x_cols] = f.x_year
    annuity = st["capex_usd_per_mw_year"].to_numpy(float)
    parts["capital"][cap_cols[f.built]] = annuity[f.built][:, None]
    parts["accelerators"][cap_cols] = float(p.get("accelerator_usd_per_mw_year", 0.0))
    parts["risk"][cap_cols] = st["risk_penalty_usd_per_mw_year"].to_numpy(float)[:, None]
    energy = energy_usd_per_mw_year(f.pue, float(p["utilisation"]), st["energy_usd_per_mwh"])
    paid = (st["energy_paid"].to_numpy(bool) if "energy_paid" in st
            else ~np.isin(np.arange(S), f.deals))
    energy[~paid] = 0.0  # a space deal whose rent includes its energy
    parts["energy"][x_cols] = energy[f.x_site]
    net = np.nan_to_num(f.rtt_ms[f.x_site, f.x_key], nan=0.0, posinf=0.0)
    parts["network"][x_cols] = float(p["network_usd_per_mw_year_per_ms"]) * net
    parts["unmet"][unmet_cols] = float(p["unmet_penalty_usd_per_mw_year"])
    parts["deals"][paid_cols] = st["deal_usd_per_mw_year"].to_numpy(float)[f.deals][:, None]
    if f.ppa_ids:
        P = len(f.ppa_ids)
        pp = f.inputs.ppas.loc[f.ppa_ids]
        pu, pd_ = v.ppa_use.index.reshape(P, T), v.ppa_paid.index.reshape(P, T)
        col_year[pu] = np.arange(T)[None, :]
        col_year[pd_] = np.arange(T)[None, :]
        # a CfD settles hour by hour: the energy used is worth the grid price its hours fetch
        parts["ppa"][pu] = -HOURS_PER_YEAR * _ppa_capture_price(pp)[:, None]
        parts["ppa"][pd_] = HOURS_PER_YEAR * pp["price_usd_per_mwh"].to_numpy(float)[:, None]
    disc = np.where(col_year >= 0, f.discount[np.clip(col_year, 0, T - 1)], 0.0)
    cost = disc * sum(parts.values())
    # An open site's fixed cost, annualised, from the first year it can be online (the open
    # binary has no year of its own; decode spreads it over the same years).
    site_by_year = _site_cost_by_year(f)
    cost[v.open.slice] = site_by_year @ f.discount
    for block in v.blocks():
        b.set_cost(block, cost[block.slice])
    return parts, col_year


def _site_cost_by_year(f: _Frame) -> np.ndarray:
    """Undiscounted fixed cost of each built site if open [built site x year, USD]."""
    fixed = float(f.inputs.params.get("site_fixed_cost_usd_per_year", 0.0))
    if not math.isfinite(fixed) or fixed < 0:
        raise ScenarioError(f"options.portfolio.site_fixed_cost_usd: {fixed!r} must be >= 0")
    return fixed * _online_possible(f)[f.built].astype(float)


def _yearly_rows(b: ModelBuilder, name: str, entities: np.ndarray, years: np.ndarray,
                 lower: float | np.ndarray, upper: float | np.ndarray) -> int:
    """Add one row per entity and year (entity-major); returns the first row."""
    block = b.constraints(name, entities.size * years.size, lower=lower, upper=upper,
                          labels={"entity": np.repeat(entities, years.size),
                                  "year": np.tile(years, entities.size)})
    return block.start


def _capacity_rows(b: ModelBuilder, f: _Frame, v: _Vars) -> None:
    """Capacity online: cap[s, t] = block x blocks decided at t' <= t - L (built sites)."""
    if not f.built.size:
        return
    T = f.T
    first = _yearly_rows(b, "capacity", f.site_names[f.built], f.years, 0.0, 0.0)
    row_of = first + (np.searchsorted(f.built, np.arange(f.S)) * T)
    cap_cols = v.cap.index.reshape(f.S, T)
    b.coefficients(row_of[f.built][:, None] + np.arange(T)[None, :], cap_cols[f.built], 1.0)
    owner, t_on = _ragged(f.n_year + f.lead[f.n_site], np.full(f.n_site.size, T))
    b.coefficients(row_of[f.n_site[owner]] + t_on, v.n.index[owner], -f.block_mw)


def _deal_rows(b: ModelBuilder, f: _Frame, v: _Vars) -> None:
    """Space deals: cap = MW x signed in active years; take-or-pay: paid >= used and
    paid >= share x MW x signed."""
    deals, T = f.deals, f.T
    if not deals.size:
        return
    D = deals.size
    st = f.st
    cap_cols = v.cap.index.reshape(f.S, T)
    paid_cols = v.paid.index.reshape(D, T)
    sign_cols = v.sign.index
    deal_mw = st["deal_mw"].to_numpy(float)[deals]
    names = f.site_names[deals]
    d_i, t_i = np.nonzero(f.deal_active)
    rr = _yearly_rows(b, "deal_capacity", names, f.years, 0.0, 0.0) + np.arange(D * T).reshape(D, T)
    b.coefficients(rr, cap_cols[deals], 1.0)
    b.coefficients(rr[d_i, t_i], sign_cols[d_i], -deal_mw[d_i])
    rr = _yearly_rows(b, "deal_use", names, f.years, 0.0, np.inf) + np.arange(D * T).reshape(D, T)
    b.coefficients(rr, paid_cols, 1.0)
    pos = np.searchsorted(deals, np.arange(f.S))
    on_deal = np.isin(f.x_site, deals)
    b.coefficients(rr[pos[f.x_site[on_deal]], f.x_year[on_deal]], v.x.index[on_deal], -1.0)
    rr = _yearly_rows(b, "take_or_pay", names, f.years, 0.0, np.inf) + np.arange(D * T).reshape(D, T)
    b.coefficients(rr, paid_cols, 1.0)
    top = st["take_or_pay_share"].to_numpy(float)[deals]
    b.coefficients(rr[d_i, t_i], sign_cols[d_i], -top[d_i] * deal_mw[d_i])


def _build_rows(b: ModelBuilder, f: _Frame, v: _Vars) -> None:
    """Open binary and minimum build: min_build x open <= total built <= cap x open."""
    built = f.built
    if not built.size:
        return
    min_build = float(f.inputs.params["min_build_mw"])
    labels = {"entity": f.site_names[built], "year": -1}
    pos = np.searchsorted(built, f.n_site)
    first = b.constraints("min_build", built.size, lower=0.0, upper=np.inf, labels=labels).start
    b.coefficients(first + pos, v.n.index, f.block_mw)
    b.coefficients(first + np.arange(built.size), v.open.index, -min_build)
    first = b.constraints("open", built.size, lower=-np.inf, upper=0.0, labels=labels).start
    b.coefficients(first + pos, v.n.index, f.block_mw)
    b.coefficients(first + np.arange(built.size), v.open.index,
                   -np.maximum(f.cap_site[built], f.block_mw))


def _power_rows(b: ModelBuilder, f: _Frame, v: _Vars) -> None:
    """Power first: sum over a power pool of PUE x IT MW online <= power available [MW]."""
    built, T = f.built, f.T
    if "power" in f.relax or not built.size:
        return
    bpools = f.pools[built]
    pool_ids = list(dict.fromkeys(bpools))
    pidx = np.array([pool_ids.index(x) for x in bpools])
    bound = f.pool_power.loc[pool_ids].to_numpy(float)
    first = _yearly_rows(b, "power", np.asarray(pool_ids, object), f.years, -np.inf, bound.ravel())
    b.coefficients(first + pidx[:, None] * T + np.arange(T)[None, :],
                   v.cap.index.reshape(f.S, T)[built], f.pue[built][:, None] * np.ones((1, T)))


def _labour_rows(b: ModelBuilder, f: _Frame, v: _Vars) -> None:
    """Labour: MW under construction per country and year <= the country's cap."""
    if "labour" in f.relax or not f.n_site.size:
        return
    T = f.T
    country = f.st["country"].to_numpy(object)
    c_ids = sorted(set(country[f.built]))
    cap_c = f.inputs.labour_mw.reindex(c_ids).fillna(0.0).to_numpy(float)
    first = _yearly_rows(b, "labour", np.asarray(c_ids, object), f.years, -np.inf,
                         np.repeat(cap_c, T))
    cpos = np.array([c_ids.index(c) for c in country[f.n_site]])
    owner, t_b = _ragged(f.n_year, np.minimum(f.n_year + np.maximum(f.lead[f.n_site], 1), T))
    b.coefficients(first + cpos[owner] * T + t_b, v.n.index[owner], f.block_mw)


def _allocation_rows(b: ModelBuilder, f: _Frame, v: _Vars) -> None:
    """A site's capacity online serves its allocations: sum_k x[s, k, t] <= cap[s, t]."""
    first = _yearly_rows(b, "allocation", f.site_names, f.years, -np.inf, 0.0)
    b.coefficients(first + np.arange(f.S * f.T), v.cap.index, -1.0)
    b.coefficients(first + f.x_site * f.T + f.x_year, v.x.index, 1.0)


def _demand_rows(b: ModelBuilder, f: _Frame, v: _Vars) -> None:
    """Demand balance: served + unmet = demand, per key and year."""
    K, T = len(f.keys), f.T
    first = _yearly_rows(b, "demand", f.key_names, f.years, f.demand_mw.ravel(),
                         f.demand_mw.ravel())
    b.coefficients(first + f.x_key * T + f.x_year, v.x.index, 1.0)
    b.coefficients(first + np.arange(K * T), v.unmet.index, 1.0)


def _diversification_rows(b: ModelBuilder, f: _Frame, v: _Vars) -> None:
    """Diversification: members' cap - share x total cap <= 0, per country or cluster and year."""
    S, T = f.S, f.T
    if "diversification" in f.relax or not S:
        return
    p = f.inputs.params
    groups: list[tuple[str, float, np.ndarray]] = []
    country = f.st["country"].to_numpy(object)
    share_c = float(p["max_share_per_country"])
    if share_c < 1.0:
        for c in sorted(set(country)):
            groups.append((f"country:{c}", share_c, country == c))
    share_k = float(p["max_share_per_cluster"])
    if share_k < 1.0:
        member = f.inputs.clusters[f.inputs.clusters["site"].isin(f.sites)]
        for label, frame in member.groupby("cluster"):
            groups.append((str(label), share_k, np.isin(f.site_names, frame["site"].to_numpy())))
    if not groups:
        return
    G = len(groups)
    coef = np.array([np.where(m, 1.0 - s, -s) for _, s, m in groups])  # G x S
    first = _yearly_rows(b, "diversification", np.asarray([g[0] for g in groups], object),
                         f.years, -np.inf, 0.0)
    g3, s3, t3 = (a.ravel() for a in np.meshgrid(np.arange(G), np.arange(S), np.arange(T),
                                                 indexing="ij"))
    b.coefficients(first + g3 * T + t3, v.cap.index.reshape(S, T)[s3, t3], coef[g3, s3])


def _ppa_capture_price(pp: pd.DataFrame) -> np.ndarray:
    """Each PPA's energy value [USD/MWh]: its capture price, else the market's average price."""
    flat = pp["market_price_usd_per_mwh"].to_numpy(float)
    if "capture_price_usd_per_mwh" not in pp:
        return flat
    capture = pp["capture_price_usd_per_mwh"].to_numpy(float)
    return np.where(np.isfinite(capture), capture, flat)


def _ppa_energy_mw(pp: pd.DataFrame) -> np.ndarray:
    """Each PPA's average output [MW]: MW x its technology's capacity factor (MW where absent)."""
    mw = pp["mw"].to_numpy(float)
    if "capacity_factor" not in pp:
        return mw
    cf = pp["capacity_factor"].to_numpy(float)
    return mw * np.where(np.isfinite(cf), cf, 1.0)


def _ppa_rows(b: ModelBuilder, f: _Frame, v: _Vars) -> None:
    """PPAs: use <= average output x signed (active years; output = MW x the capacity factor of
    its technology's hourly profile), use <= energy drawn by built sites in the market,
    paid >= use, paid >= share x output x signed."""
    P, T = len(f.ppa_ids), f.T
    if not P:
        return
    pp = f.inputs.ppas.loc[f.ppa_ids]
    names = np.asarray(f.ppa_ids, object)
    ps, pu, pd_ = v.ppa_sign.index, v.ppa_use.index, v.ppa_paid.index
    mw = _ppa_energy_mw(pp)
    a_i, t_i = np.nonzero(f.ppa_active)
    first = _yearly_rows(b, "ppa_volume", names, f.years, -np.inf, 0.0)
    b.coefficients(first + np.arange(P * T), pu, 1.0)
    b.coefficients(first + a_i * T + t_i, ps[a_i], -mw[a_i])
    first = _yearly_rows(b, "ppa_load", names, f.years, -np.inf, 0.0)
    b.coefficients(first + np.arange(P * T), pu, 1.0)
    site_market = f.st["market"].to_numpy(object)
    util = float(f.inputs.params["utilisation"])
    for j, market in enumerate(pp["market"].to_numpy(object)):
        sel = (site_market[f.x_site] == market) & ~np.isin(f.x_site, f.deals)
        b.coefficients(first + j * T + f.x_year[sel], v.x.index[sel], -f.pue[f.x_site[sel]] * util)
    first = _yearly_rows(b, "ppa_paid", names, f.years, 0.0, np.inf)
    b.coefficients(first + np.arange(P * T), pd_, 1.0)
    b.coefficients(first + np.arange(P * T), pu, -1.0)
    first = _yearly_rows(b, "ppa_take_or_pay", names, f.years, 0.0, np.inf)
    b.coefficients(first + np.arange(P * T), pd_, 1.0)
    top = pp["take_or_pay_share"].to_numpy(float)
    b.coefficients(first + a_i * T + t_i, ps[a_i], -top[a_i] * mw[a_i])


def _campus_rows(b: ModelBuilder, f: _Frame, v: _Vars) -> None:
    """Training campuses: training served at s in t <= largest build x campus[s, t], and
    capacity online >= training_campus_min_mw x campus[s, t]."""
    C, T = f.campus_sites.size, f.T
    if not C:
        return
    pos = np.full(f.S, -1)
    pos[f.campus_sites] = np.arange(C)
    names = f.site_names[f.campus_sites]
    z = v.campus.index.reshape(C, T)
    training = (f.keys["workload"] == "training").to_numpy()
    sel = training[f.x_key] & (pos[f.x_site] >= 0)
    first = _yearly_rows(b, "campus_use", names, f.years, -np.inf, 0.0)
    b.coefficients(first + pos[f.x_site[sel]] * T + f.x_year[sel], v.x.index[sel], 1.0)
    b.coefficients(first + np.arange(C * T), z.ravel(),
                   -np.repeat(f.cap_site[f.campus_sites], T))
    first = _yearly_rows(b, "campus_size", names, f.years, -np.inf, 0.0)
    b.coefficients(first + np.arange(C * T), z.ravel(), f.campus_min_mw)
    b.coefficients(first + np.arange(C * T),
                   v.cap.index.reshape(f.S, T)[f.campus_sites].ravel(), -1.0)


#: Constraint families in row order; each adds its blocks of rows to the builder.
_ROW_FAMILIES = (_capacity_rows, _deal_rows, _build_rows, _power_rows, _labour_rows,
                 _allocation_rows, _demand_rows, _diversification_rows, _ppa_rows, _campus_rows)


def build_model(inputs: PortfolioInputs, relax: frozenset[str] | set[str] = frozenset()
                ) -> PortfolioModel:
    """Build the sparse MILP of the build-out plan.

    Parameters
    ----------
    inputs : PortfolioInputs
        Tables from :func:`gridfirst.portfolio.portfolio_inputs` (or made by hand).
    relax : set of str
        Constraint families (:data:`FAMILIES`) to leave out, for the explanation pass.

    Returns
    -------
    PortfolioModel
        Matrices, bounds, integrality and index arrays; no solver is called.

    Notes
    -----
    Capacity decided in year d at a site with lead time L years is online from d + L; nothing is
    decided before the first plan year. Blocks of ``block_mw``; a site that opens holds at least
    ``min_build_mw``. Power: sum over a power pool of PUE x online IT MW <= power [MW]. Labour:
    MW under construction (decided in d, building over years d .. d + max(L, 1) - 1) per country
    and year <= the country's cap. Diversification: online MW per country (and per risk cluster)
    <= share x total online MW, each year. Costs are discounted to the first plan year at the
    end of each year: capital as an annuity (capital recovery factor) per online MW-year, energy
    per MW served (PUE x 8760 h x utilisation x USD/MWh), network per MW-year per ms, a risk
    penalty per online MW-year, deal rent on max(MW used, take-or-pay share x MW), PPA energy
    against the market price it displaces, and the unmet-demand penalty per MW-year. An open
    site pays its fixed cost (annualised) in every year from the first it can be online;
    accelerator capital, when included, is charged per online MW-year. Training is served only
    at a site that holds at least ``training_campus_min_mw`` IT MW in that year (family
    ``campus``). Signed deals (:data:`SIGNED_STAGES`) are taken.
    """
    relax = frozenset(relax)
    unknown = relax - set(FAMILIES)
    if unknown:
        raise ValueError(f"relax: unknown constraint families {sorted(unknown)}; known {FAMILIES}")
    f = _frame(inputs, relax)
    b = ModelBuilder()
    v = _variables(b, f)
    parts, col_year = _costs(b, f, v)
    for add_rows in _ROW_FAMILIES:
        add_rows(b, f, v)
    lp: LinearModel = b.build("csr")
    layout = lp.layout
    return PortfolioModel(
        inputs=inputs, relax=relax, cost=lp.c, A=lp.A, row_lower=lp.row_lo, row_upper=lp.row_hi,
        col_lower=lp.col_lo, col_upper=lp.col_hi, integrality=lp.integrality,
        cols={blk.name: blk.slice for blk in v.blocks()}, sites=f.sites, keys=f.keys,
        demand_mw=f.demand_mw, eligible=f.eligible, n_site=f.n_site, n_year=f.n_year,
        built_sites=f.built, deal_sites=f.deals, x_site=f.x_site, x_key=f.x_key,
        x_year=f.x_year, ppa_ids=f.ppa_ids, row_family=layout.row_blocks(),
        row_entity=layout.row_label("entity"), row_year=layout.row_label("year", -1).astype(int),
        layout=layout, cost_parts=parts, col_year=col_year, discount=f.discount,
        campus_sites=f.campus_sites, site_cost_by_year=_site_cost_by_year(f),
    )
