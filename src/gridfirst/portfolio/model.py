"""The build-out MILP as sparse matrices: variables, constraints and costs from PortfolioInputs.

Building only; no solver is called here (see :mod:`gridfirst.portfolio.solve`). Every block of
rows carries a family name (power, labour, ...) so results and explanations speak in its terms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gridfirst.portfolio.inputs import PortfolioInputs, sla_ms

#: Constraint families that the explanation pass relaxes one at a time.
FAMILIES = (
    "power",
    "lead_time",
    "latency",
    "labour",
    "diversification",
    "screens",
    "site_size",
)
COST_PARTS = ("capital", "energy", "network", "risk", "deals", "ppa", "unmet")
HOURS_PER_YEAR = 8760.0


@dataclass
class PortfolioModel:
    """A built model: ``min cost @ x`` s.t. ``row_lower <= A x <= row_upper``, bounds, integers.

    Column blocks (``cols[name]`` is a slice) and their index arrays decode the solution:
    ``n`` blocks built (site, decision year), ``open`` (site), ``sign`` (space deal), ``cap``
    IT MW online (site x year, row-major), ``x`` MW served (site, demand key, year), ``unmet``
    (demand key x year), ``paid`` deal MW paid, ``ppa_sign``, ``ppa_use``, ``ppa_paid``.
    Rows carry ``row_family``, ``row_entity`` and ``row_year`` (-1 when not by year).
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
    cost_parts: dict[str, np.ndarray] = field(default_factory=dict)
    col_year: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    discount: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def num_cols(self) -> int:
        return int(self.cost.size)

    @property
    def num_rows(self) -> int:
        return int(self.row_lower.size)


class _Rows:
    """Collects constraint triplets block by block (vectorised), with labels per row."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.hi: list[np.ndarray] = []
        self.family: list[np.ndarray] = []
        self.entity: list[np.ndarray] = []
        self.year: list[np.ndarray] = []
        self.count = 0

    def block(self, count: int, family: str, entity: np.ndarray | str, year: np.ndarray | int,
              lo: np.ndarray | float, hi: np.ndarray | float) -> int:
        """Open ``count`` new rows; returns the first row's index."""
        first = self.count
        self.count += count
        self.lo.append(np.broadcast_to(np.asarray(lo, float), (count,)).copy())
        self.hi.append(np.broadcast_to(np.asarray(hi, float), (count,)).copy())
        self.family.append(np.full(count, family, dtype=object))
        self.entity.append(np.broadcast_to(np.asarray(entity, dtype=object), (count,)).copy())
        self.year.append(np.broadcast_to(np.asarray(year, dtype=int), (count,)).copy())
        return first

    def add(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        self.r.append(rows.ravel())
        self.c.append(np.broadcast_to(np.asarray(cols, dtype=np.int64), rows.shape).ravel())
        self.v.append(np.broadcast_to(np.asarray(vals, float), rows.shape).ravel().copy())

    def matrix(self, num_cols: int) -> sp.csr_matrix:
        r = np.concatenate(self.r) if self.r else np.zeros(0, np.int64)
        c = np.concatenate(self.c) if self.c else np.zeros(0, np.int64)
        v = np.concatenate(self.v) if self.v else np.zeros(0)
        return sp.csr_matrix((v, (r, c)), shape=(self.count, num_cols))


def _ragged(starts: np.ndarray, stops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For ranges [start_i, stop_i): (owner i, value) of every element, vectorised."""
    lengths = np.maximum(stops - starts, 0)
    owner = np.repeat(np.arange(starts.size), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, starts[owner] + offsets


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
    against the market price it displaces, and the unmet-demand penalty per MW-year.
    """
    relax = frozenset(relax)
    unknown = relax - set(FAMILIES)
    if unknown:
        raise ValueError(f"relax: unknown constraint families {sorted(unknown)}; known {FAMILIES}")
    p = inputs.params
    years = np.asarray(inputs.years)
    T = years.size
    y0 = int(years[0])
    block = float(p["block_mw"])
    table = inputs.sites
    keep = table["allowed"].to_numpy(bool) | ("screens" in relax)
    is_deal = (table["kind"] == "deal").to_numpy()
    deal_end = table["deal_end_year"].to_numpy(int)
    keep &= ~is_deal | (deal_end >= y0)
    sites = list(table.index[keep])
    S = len(sites)
    st = table.loc[sites]
    kind_deal = (st["kind"] == "deal").to_numpy()
    built = np.flatnonzero(~kind_deal)
    deals = np.flatnonzero(kind_deal)
    pue = st["pue"].to_numpy(float)
    lead = np.zeros(S, int) if "lead_time" in relax else st["lead_years"].to_numpy(int)
    discount = (1.0 + float(p["discount_rate"])) ** -(years - y0).astype(float)

    # Demand keys (region, workload) and the demand matrix [key x year].
    dem = inputs.demand
    keys = dem[["region", "workload"]].drop_duplicates().reset_index(drop=True)
    K = len(keys)
    key_index = {(r, w): i for i, (r, w) in enumerate(zip(keys["region"], keys["workload"], strict=True))}
    demand_mw = np.zeros((K, T))
    if K:
        ki = np.array([key_index[(r, w)] for r, w in zip(dem["region"], dem["workload"], strict=True)])
        ti = dem["year"].to_numpy(int) - y0
        ok = (ti >= 0) & (ti < T)
        np.add.at(demand_mw, (ki[ok], ti[ok]), dem["mw"].to_numpy(float)[ok])
    total_peak = float(demand_mw.sum(axis=0).max()) if K else 0.0

    # Eligibility of site s for key k: screens (training) and latency.
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

    # Largest build per site [IT MW].
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

    # ----- columns -----
    start_idx = np.arange(T)
    nb_owner, nb_t = _ragged(np.zeros(built.size, int), T - lead[built])
    n_site = built[nb_owner]
    n_year = start_idx[nb_t] if nb_t.size else nb_t
    x_s, x_k = np.nonzero(eligible)
    x_site = np.repeat(x_s, T)
    x_key = np.repeat(x_k, T)
    x_year = np.tile(np.arange(T), x_s.size)
    ppa = inputs.ppas
    ppa_keep = ppa["allowed"].to_numpy(bool) | ("screens" in relax) if len(ppa) else np.zeros(0, bool)
    ppa_ids = list(ppa.index[ppa_keep]) if len(ppa) else []
    P = len(ppa_ids)
    sizes = {"n": n_site.size, "open": built.size, "sign": deals.size, "cap": S * T,
             "x": x_site.size, "unmet": K * T, "paid": deals.size * T,
             "ppa_sign": P, "ppa_use": P * T, "ppa_paid": P * T}
    cols: dict[str, slice] = {}
    offset = 0
    for name, size in sizes.items():
        cols[name] = slice(offset, offset + size)
        offset += size
    N = offset
    lo = np.zeros(N)
    hi = np.full(N, np.inf)
    integrality = np.zeros(N, np.int8)
    col_year = np.full(N, -1, int)
    parts = {name: np.zeros(N) for name in COST_PARTS}

    def idx(name: str) -> np.ndarray:
        return np.arange(cols[name].start, cols[name].stop)

    n_cols, open_cols, sign_cols = idx("n"), idx("open"), idx("sign")
    cap_cols = idx("cap").reshape(S, T)
    x_cols, unmet_cols = idx("x"), idx("unmet").reshape(K, T)
    paid_cols = idx("paid").reshape(deals.size, T)
    hi[n_cols] = np.floor(cap_site[n_site] / block + 1e-9)
    integrality[n_cols] = 1
    hi[open_cols] = 1.0
    integrality[open_cols] = 1
    hi[sign_cols] = 1.0
    integrality[sign_cols] = 1
    # Power limits reach capacity through the power rows (so their duals carry the value of
    # power); only land (max IT MW) and a deal's own MW bound the column.
    hi[cap_cols] = np.where(np.isinf(max_it), math.inf, max_it)[:, None]
    col_year[cap_cols] = np.arange(T)[None, :]
    col_year[x_cols] = x_year
    col_year[unmet_cols] = np.arange(T)[None, :]
    col_year[paid_cols] = np.arange(T)[None, :]

    # Costs per unit and year, undiscounted.
    annuity = st["capex_usd_per_mw_year"].to_numpy(float)
    parts["capital"][cap_cols[built]] = annuity[built][:, None]
    parts["risk"][cap_cols] = st["risk_penalty_usd_per_mw_year"].to_numpy(float)[:, None]
    energy = pue * HOURS_PER_YEAR * float(p["utilisation"]) * st["energy_usd_per_mwh"].to_numpy(float)
    energy[deals] = 0.0  # deal rent is all-in
    parts["energy"][x_cols] = energy[x_site]
    net = np.nan_to_num(rtt_ms[x_site, x_key], nan=0.0, posinf=0.0)
    parts["network"][x_cols] = float(p["network_usd_per_mw_year_per_ms"]) * net
    parts["unmet"][unmet_cols] = float(p["unmet_penalty_usd_per_mw_year"])
    parts["deals"][paid_cols] = st["deal_usd_per_mw_year"].to_numpy(float)[deals][:, None]

    rows = _Rows()
    site_names = np.asarray(sites, dtype=object)
    yr = np.broadcast_to(years, (max(S, 1), T))

    # Capacity online: cap[s, t] = block x blocks decided at t' <= t - L (built sites).
    if built.size:
        first = rows.block(built.size * T, "capacity", np.repeat(site_names[built], T),
                           np.tile(years, built.size), 0.0, 0.0)
        row_of = first + (np.searchsorted(built, np.arange(S)) * T)
        rows.add(row_of[built][:, None] + np.arange(T)[None, :], cap_cols[built], 1.0)
        owner, t_on = _ragged(n_year + lead[n_site], np.full(n_site.size, T))
        rows.add(row_of[n_site[owner]] + t_on, n_cols[owner], -block)

    # Deals: cap = MW x signed in active years (from the first year if lead times are relaxed).
    if deals.size:
        start = st["deal_start_year"].to_numpy(int)[deals]
        if "lead_time" in relax:
            start = np.minimum(start, y0)
        active = (years[None, :] >= start[:, None]) & (years[None, :] <= deal_end[keep][deals][:, None])
        deal_mw = st["deal_mw"].to_numpy(float)[deals]
        first = rows.block(deals.size * T, "deal_capacity", np.repeat(site_names[deals], T),
                           np.tile(years, deals.size), 0.0, 0.0)
        rr = first + np.arange(deals.size * T).reshape(deals.size, T)
        rows.add(rr, cap_cols[deals], 1.0)
        d_i, t_i = np.nonzero(active)
        rows.add(rr[d_i, t_i], sign_cols[d_i], -deal_mw[d_i])
        hi[paid_cols[~active]] = 0.0
        # Take-or-pay: paid >= used and paid >= share x MW x signed.
        first = rows.block(deals.size * T, "deal_use", np.repeat(site_names[deals], T),
                           np.tile(years, deals.size), 0.0, np.inf)
        rr = first + np.arange(deals.size * T).reshape(deals.size, T)
        rows.add(rr, paid_cols, 1.0)
        pos = np.searchsorted(deals, np.arange(S))
        on_deal = np.isin(x_site, deals)
        rows.add(rr[pos[x_site[on_deal]], x_year[on_deal]], x_cols[on_deal], -1.0)
        first = rows.block(deals.size * T, "take_or_pay", np.repeat(site_names[deals], T),
                           np.tile(years, deals.size), 0.0, np.inf)
        rr = first + np.arange(deals.size * T).reshape(deals.size, T)
        rows.add(rr, paid_cols, 1.0)
        top = st["take_or_pay_share"].to_numpy(float)[deals]
        rows.add(rr[d_i, t_i], sign_cols[d_i], -top[d_i] * deal_mw[d_i])

    # Open binary and minimum build: min_build x open <= total built <= cap x open.
    if built.size:
        min_build = float(p["min_build_mw"])
        first = rows.block(built.size, "min_build", site_names[built], -1, 0.0, np.inf)
        pos = np.searchsorted(built, n_site)
        rows.add(first + pos, n_cols, block)
        rows.add(first + np.arange(built.size), open_cols, -min_build)
        first = rows.block(built.size, "open", site_names[built], -1, -np.inf, 0.0)
        rows.add(first + pos, n_cols, block)
        rows.add(first + np.arange(built.size), open_cols, -np.maximum(cap_site[built], block))

    # Power first: sum over a pool of PUE x cap <= power available.
    if "power" not in relax and built.size:
        bpools = pools[built]
        pool_ids = list(dict.fromkeys(bpools))
        pidx = np.array([pool_ids.index(x) for x in bpools])
        bound = pool_power.loc[pool_ids].to_numpy(float)
        first = rows.block(len(pool_ids) * T, "power", np.repeat(np.asarray(pool_ids, object), T),
                           np.tile(years, len(pool_ids)), -np.inf, bound.ravel())
        rows.add(first + pidx[:, None] * T + np.arange(T)[None, :], cap_cols[built],
                 pue[built][:, None] * np.ones((1, T)))

    # Labour: MW under construction per country and year.
    if "labour" not in relax and n_site.size:
        country = st["country"].to_numpy(object)
        c_ids = sorted(set(country[built]))
        cap_c = inputs.labour_mw.reindex(c_ids).fillna(0.0).to_numpy(float)
        first = rows.block(len(c_ids) * T, "labour", np.repeat(np.asarray(c_ids, object), T),
                           np.tile(years, len(c_ids)), -np.inf, np.repeat(cap_c, T))
        cpos = np.array([c_ids.index(c) for c in country[n_site]])
        owner, t_b = _ragged(n_year, np.minimum(n_year + np.maximum(lead[n_site], 1), T))
        rows.add(first + cpos[owner] * T + t_b, n_cols[owner], block)

    # Site capacity serves its allocations.
    first = rows.block(S * T, "allocation", np.repeat(site_names, T), yr[:S].ravel(), -np.inf, 0.0)
    rows.add(first + np.arange(S * T), cap_cols.ravel(), -1.0)
    rows.add(first + x_site * T + x_year, x_cols, 1.0)

    # Demand: served + unmet = demand.
    first = rows.block(K * T, "demand",
                       np.repeat((keys["region"] + ":" + keys["workload"]).to_numpy(object), T),
                       np.tile(years, K), demand_mw.ravel(), demand_mw.ravel())
    rows.add(first + x_key * T + x_year, x_cols, 1.0)
    rows.add(first + np.arange(K * T), unmet_cols.ravel(), 1.0)

    # Diversification: members' cap - share x total cap <= 0, per group and year.
    if "diversification" not in relax and S:
        groups: list[tuple[str, float, np.ndarray]] = []
        country = st["country"].to_numpy(object)
        share_c = float(p["max_share_per_country"])
        if share_c < 1.0:
            for c in sorted(set(country)):
                groups.append((f"country:{c}", share_c, country == c))
        share_k = float(p["max_share_per_cluster"])
        if share_k < 1.0:
            member = inputs.clusters[inputs.clusters["site"].isin(sites)]
            for label, frame in member.groupby("cluster"):
                groups.append((str(label), share_k, np.isin(site_names, frame["site"].to_numpy())))
        if groups:
            G = len(groups)
            coef = np.array([np.where(m, 1.0 - s, -s) for _, s, m in groups])  # G x S
            first = rows.block(G * T, "diversification",
                               np.repeat(np.asarray([g[0] for g in groups], object), T),
                               np.tile(years, G), -np.inf, 0.0)
            g3, s3, t3 = (a.ravel() for a in np.meshgrid(np.arange(G), np.arange(S), np.arange(T),
                                                         indexing="ij"))
            rows.add(first + g3 * T + t3, cap_cols[s3, t3], coef[g3, s3])

    # PPAs: use <= MW x signed (active years), use <= energy drawn by built sites in the market,
    # paid >= use, paid >= share x MW x signed.
    if P:
        pp = ppa.loc[ppa_ids]
        ps, pu, pd_ = idx("ppa_sign"), idx("ppa_use").reshape(P, T), idx("ppa_paid").reshape(P, T)
        hi[ps] = 1.0
        integrality[ps] = 1
        col_year[pu] = np.arange(T)[None, :]
        col_year[pd_] = np.arange(T)[None, :]
        start = pp["start_year"].to_numpy(int)
        if "lead_time" in relax:
            start = np.minimum(start, y0)
        active = (years[None, :] >= start[:, None]) & (years[None, :] <= pp["end_year"].to_numpy(int)[:, None])
        mw = pp["mw"].to_numpy(float)
        parts["ppa"][pu] = -HOURS_PER_YEAR * pp["market_price_usd_per_mwh"].to_numpy(float)[:, None]
        parts["ppa"][pd_] = HOURS_PER_YEAR * pp["price_usd_per_mwh"].to_numpy(float)[:, None]
        hi[pu[~active]] = 0.0
        hi[pd_[~active]] = 0.0
        a_i, t_i = np.nonzero(active)
        first = rows.block(P * T, "ppa_volume", np.repeat(np.asarray(ppa_ids, object), T),
                           np.tile(years, P), -np.inf, 0.0)
        rows.add(first + np.arange(P * T), pu.ravel(), 1.0)
        rows.add(first + a_i * T + t_i, ps[a_i], -mw[a_i])
        first = rows.block(P * T, "ppa_load", np.repeat(np.asarray(ppa_ids, object), T),
                           np.tile(years, P), -np.inf, 0.0)
        rows.add(first + np.arange(P * T), pu.ravel(), 1.0)
        site_market = st["market"].to_numpy(object)
        util = float(p["utilisation"])
        for j, market in enumerate(pp["market"].to_numpy(object)):
            sel = (site_market[x_site] == market) & ~np.isin(x_site, deals)
            rows.add(first + j * T + x_year[sel], x_cols[sel], -pue[x_site[sel]] * util)
        first = rows.block(P * T, "ppa_paid", np.repeat(np.asarray(ppa_ids, object), T),
                           np.tile(years, P), 0.0, np.inf)
        rows.add(first + np.arange(P * T), pd_.ravel(), 1.0)
        rows.add(first + np.arange(P * T), pu.ravel(), -1.0)
        first = rows.block(P * T, "ppa_take_or_pay", np.repeat(np.asarray(ppa_ids, object), T),
                           np.tile(years, P), 0.0, np.inf)
        rows.add(first + np.arange(P * T), pd_.ravel(), 1.0)
        top = pp["take_or_pay_share"].to_numpy(float)
        rows.add(first + a_i * T + t_i, ps[a_i], -top[a_i] * mw[a_i])

    disc = np.where(col_year >= 0, discount[np.clip(col_year, 0, T - 1)], 0.0)
    cost = disc * sum(parts.values())
    return PortfolioModel(
        inputs=inputs, relax=relax, cost=cost, A=rows.matrix(N),
        row_lower=np.concatenate(rows.lo) if rows.lo else np.zeros(0),
        row_upper=np.concatenate(rows.hi) if rows.hi else np.zeros(0),
        col_lower=lo, col_upper=hi, integrality=integrality, cols=cols, sites=sites, keys=keys,
        demand_mw=demand_mw, eligible=eligible, n_site=n_site, n_year=n_year,
        built_sites=built, deal_sites=deals, x_site=x_site, x_key=x_key, x_year=x_year,
        ppa_ids=ppa_ids,
        row_family=np.concatenate(rows.family) if rows.family else np.zeros(0, object),
        row_entity=np.concatenate(rows.entity) if rows.entity else np.zeros(0, object),
        row_year=np.concatenate(rows.year) if rows.year else np.zeros(0, int),
        cost_parts=parts, col_year=col_year, discount=discount,
    )
