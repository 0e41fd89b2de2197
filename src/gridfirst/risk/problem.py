"""A plan under evaluation as plain arrays: capacity, power, allocation, demand bands, costs.

Built from a :class:`~gridfirst.portfolio.PortfolioResult` or from plain tables with the same
columns; holds no randomness and evaluates nothing (see :mod:`gridfirst.risk.evaluate`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.errors import DataError
from gridfirst.portfolio.inputs import energy_usd_per_mw_year
from gridfirst.risk.uncertainty import RiskOptions, backlog_years, risk_options

if TYPE_CHECKING:
    from gridfirst.portfolio import PortfolioInputs, PortfolioResult
    from gridfirst.resolve import Resolved
    from gridfirst.scenario import Scenario

#: Build lead time used when a sites table gives none [months] (as the portfolio's default).
DEFAULT_BUILD_LEAD_MONTHS = 24.0
MARKET_COLUMNS = ["interconnection_lead_time_months", "competing_pipeline_mw",
                  "labour_capacity_mw_per_year", "conflict_exposure_gpi", "seismic_hazard_pga_g",
                  "cyclone_hazard_level", "cable_systems_count"]


@dataclass
class RiskProblem:
    """Everything the Monte Carlo reads, as numpy arrays (S sites, P power pools, M markets,
    K demand keys (region, workload), Y years). Picklable and small: it is what workers get.

    Attributes
    ----------
    online_mw : (S, Y) planned IT MW online.
    pue : (S,) power usage effectiveness [-].
    site_pool, pool_power_mw : (S,) pool index; (P, Y) facility MW of each pool.
    site_market, pool_market : market index of each site and pool.
    site_lead_months, pool_lead_months : build and interconnection lead times [months].
    allocation_mw : (S, K, Y) planned MW served; eligible : (S, K) may site serve key.
    demand_mw, demand_low_mw, demand_high_mw : (K, Y) base and band [IT MW].
    energy_usd_per_mw_year : (S,) energy cost of 1 MW served for a year at the planned price.
    network_usd_per_mw_year : (S, K) network cost of 1 MW served for a year.
    fixed_cost_usd : present value of the plan's cost parts that do not depend on the future.
    discount : (Y,) discount factor per year; unmet_penalty_usd_per_mw_year : float.
    site_unavailability : (S,) or None
        Share of the time each site's own power chain and cooling plant are down, 1 - availability
        of its facility electrical design (``options.plan.electrical``); None: no per-site term.
        With site disruptions on, a site delivers ``1 - u`` of its MW in every future, so its
        expected lost MW-years are MW x (1 - availability) x years (see
        :func:`gridfirst.risk.evaluate.delivered_mw`).
    pool_refusal_probability, pool_accepted_factor : (P,) or None
        Probability that a pool's grid application is refused (its power is then 0) and the
        multiple of its planned power when accepted (the buyer's accepted share of the market's
        headroom over its expected share, :mod:`gridfirst.resolve.headroom`); None: never refused.
    site_failure_probability : (S,) or None
        Probability that a site (a space deal not yet signed) delivers nothing, 1 - the close
        probability of its stage (:mod:`gridfirst.deals.stages`); None: no site fails.
    """

    years: np.ndarray
    sites: list[str]
    pools: list[str]
    markets: list[str]
    keys: list[tuple[str, str]]
    online_mw: np.ndarray
    pue: np.ndarray
    site_pool: np.ndarray
    pool_power_mw: np.ndarray
    site_market: np.ndarray
    pool_market: np.ndarray
    site_lead_months: np.ndarray
    pool_lead_months: np.ndarray
    allocation_mw: np.ndarray
    eligible: np.ndarray
    demand_mw: np.ndarray
    demand_low_mw: np.ndarray
    demand_high_mw: np.ndarray
    market_facts: pd.DataFrame
    energy_usd_per_mw_year: np.ndarray
    network_usd_per_mw_year: np.ndarray
    fixed_cost_usd: float
    discount: np.ndarray
    unmet_penalty_usd_per_mw_year: float
    options: RiskOptions = field(default_factory=risk_options)
    name: str = "plan"
    site_unavailability: np.ndarray | None = None
    pool_refusal_probability: np.ndarray | None = None
    pool_accepted_factor: np.ndarray | None = None
    site_failure_probability: np.ndarray | None = None

    def __post_init__(self) -> None:
        S, Y = self.online_mw.shape
        K = len(self.keys)
        checks = {
            "pue": (self.pue.shape, (S,)),
            "allocation_mw": (self.allocation_mw.shape, (S, K, Y)),
            "eligible": (self.eligible.shape, (S, K)),
            "demand_mw": (self.demand_mw.shape, (K, Y)),
            "pool_power_mw": (self.pool_power_mw.shape, (len(self.pools), Y)),
        }
        if self.site_unavailability is not None:
            checks["site_unavailability"] = (self.site_unavailability.shape, (S,))
            u = self.site_unavailability
            if not ((u >= 0) & (u <= 1)).all():
                raise DataError("risk problem: site_unavailability must be within 0..1 for every site")
        for what, n in (("pool_refusal_probability", len(self.pools)),
                        ("pool_accepted_factor", len(self.pools)),
                        ("site_failure_probability", S)):
            value = getattr(self, what)
            if value is not None:
                checks[what] = (value.shape, (n,))
                if not (np.isfinite(value) & (value >= 0)).all() or (
                        what.endswith("probability") and (value > 1).any()):
                    raise DataError(f"risk problem: {what} must be finite and >= 0 (probabilities"
                                    " within 0..1)")
        for what, (got, want) in checks.items():
            if got != want:
                raise DataError(f"risk problem: {what} has shape {got}, expected {want}")
        if not (self.demand_low_mw <= self.demand_mw + 1e-9).all() or not (
            self.demand_mw <= self.demand_high_mw + 1e-9
        ).all():
            raise DataError("risk problem: demand needs low_mw <= mw <= high_mw for every key and year")
        stray = np.asarray((self.allocation_mw > 1e-6).any(axis=2)) & ~np.asarray(self.eligible, bool)
        if stray.any():
            s, k = np.argwhere(stray)[0]
            raise DataError(f"allocation: site {self.sites[s]!r} serves {self.keys[k]} but is not eligible")

    def with_options(self, options: RiskOptions) -> RiskProblem:
        """The same plan under other uncertainty options."""
        from dataclasses import replace

        return replace(self, options=options)

    @property
    def deterministic_cost_usd(self) -> float:
        """Present cost of the plan as planned: every uncertainty off, base demand [USD]."""
        from gridfirst.risk.evaluate import evaluate_block

        return float(evaluate_block(self.with_options(self.options.deterministic()), 0, 0, 1)["cost_usd"][0])


def _grid(frame: pd.DataFrame, index: list[Any], years: np.ndarray, value: str,
          keys: list[str]) -> np.ndarray:
    """A long table summed onto an (index, year) array."""
    out = np.zeros((len(index), years.size))
    if frame.empty:
        return out
    pos = {k: i for i, k in enumerate(index)}
    ident = list(zip(*(frame[k] for k in keys), strict=True)) if len(keys) > 1 else list(frame[keys[0]])
    rows = np.array([pos.get(i, -1) for i in ident])
    cols = frame["year"].to_numpy(int) - int(years[0])
    ok = (rows >= 0) & (cols >= 0) & (cols < years.size)
    np.add.at(out, (rows[ok], cols[ok]), frame[value].to_numpy(float)[ok])
    return out


def _require(frame: pd.DataFrame, columns: list[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{what}: missing column(s) {missing}; has {list(frame.columns)}")


def problem_from_tables(
    builds: pd.DataFrame,
    allocation: pd.DataFrame,
    demand: pd.DataFrame,
    markets: pd.DataFrame,
    sites: pd.DataFrame | None = None,
    eligibility: pd.DataFrame | None = None,
    options: RiskOptions | None = None,
    years: list[int] | None = None,
    discount_rate: float = 0.08,
    unmet_penalty_usd_per_mw_year: float = 5.0e6,
    utilisation: float = 0.8,
    fixed_cost_usd: float = 0.0,
    name: str = "plan",
) -> RiskProblem:
    """A plan from plain tables (the portfolio contract's columns).

    Parameters
    ----------
    builds : pandas.DataFrame
        ``site, market, year, online_mw, power_available_mw, pue`` (optional ``power_pool``:
        sites sharing a pool share its power; otherwise each site is its own pool).
    allocation : pandas.DataFrame
        ``site, region, workload, year, mw``.
    demand : pandas.DataFrame
        ``region, year, workload, mw`` and optional ``low_mw, high_mw`` [IT MW].
    markets : pandas.DataFrame
        Indexed by market id with :data:`MARKET_COLUMNS` (``Scenario.markets_table()`` has them).
    sites : pandas.DataFrame, optional
        Indexed by site: optional ``build_lead_months``, ``energy_usd_per_mwh``.
    eligibility : pandas.DataFrame, optional
        ``site, region, workload`` pairs allowed to serve (latency and screens). When None, only
        the pairs the allocation uses: a conservative stand-in (fewer arcs, more shortfall).
    """
    _require(builds, ["site", "market", "year", "online_mw", "power_available_mw", "pue"], "builds")
    _require(allocation, ["site", "region", "workload", "year", "mw"], "allocation")
    _require(demand, ["region", "year", "workload", "mw"], "demand")
    _require(markets, MARKET_COLUMNS, "markets")
    options = options or risk_options()
    yrs = np.asarray(years if years is not None else sorted(set(demand["year"]) | set(builds["year"])))
    site_ids = list(dict.fromkeys(list(builds["site"]) + list(allocation["site"])))
    first = builds.drop_duplicates("site").set_index("site")
    unknown = sorted(set(allocation["site"]) - set(first.index))
    if unknown:
        raise DataError(f"allocation: site(s) {unknown} have no row in builds")
    market_of = first["market"].reindex(site_ids)
    missing = sorted(set(market_of) - set(markets.index))
    if missing:
        raise DataError(f"builds.market: {missing} not in the markets table")
    market_ids = list(dict.fromkeys(market_of))
    pool_col = first["power_pool"] if "power_pool" in first.columns else pd.Series(first.index, first.index)
    pool_of = pool_col.reindex(site_ids).astype(str)
    pool_ids = list(dict.fromkeys(pool_of))
    power_rows = builds.assign(pool=builds["site"].map(pool_of))
    power = (power_rows.groupby(["pool", "year"], as_index=False)["power_available_mw"].max()
             .rename(columns={"pool": "site"}))
    pool_power = _grid(power, pool_ids, yrs, "power_available_mw", ["site"])
    online = _grid(builds, site_ids, yrs, "online_mw", ["site"])
    band = demand.copy()
    for col in ("low_mw", "high_mw"):
        band[col] = band[col].fillna(band["mw"]) if col in band.columns else band["mw"]
    keys = list(dict.fromkeys(zip(band["region"], band["workload"], strict=True)))
    key_tables = {c: _grid(band, keys, yrs, c, ["region", "workload"]) for c in ("mw", "low_mw", "high_mw")}
    alloc = np.zeros((len(site_ids), len(keys), yrs.size))
    kpos = {k: i for i, k in enumerate(keys)}
    spos = {s: i for i, s in enumerate(site_ids)}
    if not allocation.empty:
        si = allocation["site"].map(spos).to_numpy(int)
        ki = np.array([kpos.get(k, -1) for k in zip(allocation["region"], allocation["workload"], strict=True)])
        if (ki < 0).any():
            bad = allocation.iloc[int(np.argmax(ki < 0))]
            raise DataError(f"allocation: ({bad['region']}, {bad['workload']}) has no demand row")
        ti = allocation["year"].to_numpy(int) - int(yrs[0])
        ok = (ti >= 0) & (ti < yrs.size)
        np.add.at(alloc, (si[ok], ki[ok], ti[ok]), allocation["mw"].to_numpy(float)[ok])
    if eligibility is None:
        eligible = np.asarray((alloc > 0).any(axis=2), dtype=bool)
    else:
        _require(eligibility, ["site", "region", "workload"], "eligibility")
        eligible = np.zeros((len(site_ids), len(keys)), bool)
        for s, r, w in zip(eligibility["site"], eligibility["region"], eligibility["workload"], strict=True):
            if s in spos and (r, w) in kpos:
                eligible[spos[s], kpos[(r, w)]] = True
    extra = sites if sites is not None else pd.DataFrame(index=site_ids)
    lead = extra.get("build_lead_months", pd.Series(dtype=float)).reindex(site_ids).fillna(
        DEFAULT_BUILD_LEAD_MONTHS).to_numpy(float)
    pue = first["pue"].reindex(site_ids).to_numpy(float)
    price = extra.get("energy_usd_per_mwh", pd.Series(dtype=float)).reindex(site_ids).fillna(0.0)
    mkt = markets.loc[market_ids, MARKET_COLUMNS].astype(float)
    m_index = {m: i for i, m in enumerate(market_ids)}
    pool_market = np.array([m_index[market_of[site_ids[pool_of.tolist().index(p)]]] for p in pool_ids])
    return RiskProblem(
        years=yrs, sites=site_ids, pools=pool_ids, markets=market_ids, keys=keys,
        online_mw=online, pue=pue, site_pool=np.array([pool_ids.index(p) for p in pool_of]),
        pool_power_mw=pool_power, site_market=np.array([m_index[m] for m in market_of]),
        pool_market=pool_market, site_lead_months=lead,
        pool_lead_months=mkt["interconnection_lead_time_months"].to_numpy()[pool_market],
        allocation_mw=alloc, eligible=eligible, demand_mw=key_tables["mw"],
        demand_low_mw=key_tables["low_mw"], demand_high_mw=key_tables["high_mw"],
        market_facts=mkt.assign(backlog_years=backlog_years(
            mkt["competing_pipeline_mw"].to_numpy(), mkt["labour_capacity_mw_per_year"].to_numpy())),
        energy_usd_per_mw_year=energy_usd_per_mw_year(pue, utilisation, price.to_numpy(float)),
        network_usd_per_mw_year=np.zeros((len(site_ids), len(keys))),
        fixed_cost_usd=float(fixed_cost_usd),
        discount=(1.0 + discount_rate) ** -(yrs - yrs[0]).astype(float),
        unmet_penalty_usd_per_mw_year=float(unmet_penalty_usd_per_mw_year),
        options=options, name=name,
    )


def problem_from_plan(
    result: PortfolioResult,
    scenario: Scenario | Resolved | None = None,
    options: RiskOptions | None = None,
    demand_from: PortfolioInputs | None = None,
) -> RiskProblem:
    """The plan a :func:`~gridfirst.portfolio.solve_portfolio` run chose, ready to evaluate.

    Eligibility, energy and network costs come from the portfolio model itself (built, not
    solved) so that, with every uncertainty off, the evaluation reproduces the plan's served MW,
    shortfall and total cost. Demand bands come from the scenario's outlook (the portfolio keeps
    only the base). Capital, risk, deal and PPA costs are the plan's and do not vary by future.
    """
    from gridfirst.portfolio import build_model

    inputs = result.inputs
    model = build_model(inputs)
    if demand_from is not None:
        base = build_model(demand_from)
        if list(base.keys.itertuples(index=False)) != list(model.keys.itertuples(index=False)):
            raise DataError("demand_from: its demand keys differ from the plan's")
        model.demand_mw = base.demand_mw
    yrs = np.asarray(inputs.years)
    if options is None:
        options = scenario.options.risk if scenario is not None else risk_options()
    from gridfirst.resolve import Resolved

    resolved = scenario if isinstance(scenario, Resolved) else None
    st = inputs.sites.loc[model.sites]
    site_ids = list(model.sites)
    keys = list(zip(model.keys["region"], model.keys["workload"], strict=True))
    builds = result.builds.set_index(["site", "year"])["online_mw"]
    online = np.zeros((len(site_ids), yrs.size))
    if len(builds):
        frame = builds.unstack("year").reindex(index=site_ids, columns=list(yrs)).fillna(0.0)
        online = frame.to_numpy(float)
    pools = list(dict.fromkeys(st["power_pool"]))
    pool_power = inputs.power_mw.reindex(index=pools, columns=list(yrs)).fillna(0.0).to_numpy(float)
    alloc_df = result.allocation.rename(columns={"mw": "mw"})
    alloc = np.zeros((len(site_ids), len(keys), yrs.size))
    if len(alloc_df):
        spos = {s: i for i, s in enumerate(site_ids)}
        kpos = {k: i for i, k in enumerate(keys)}
        si = alloc_df["site"].map(spos).to_numpy(int)
        ki = np.array([kpos[k] for k in zip(alloc_df["region"], alloc_df["workload"], strict=True)])
        np.add.at(alloc, (si, ki, alloc_df["year"].to_numpy(int) - int(yrs[0])), alloc_df["mw"].to_numpy(float))
    # Bands: the scenario's low/high around the portfolio's base (base wins if they differ).
    low = model.demand_mw.copy()
    high = model.demand_mw.copy()
    if scenario is not None:
        table = resolved.demand if resolved is not None else scenario.demand.table()
        table = table[table["year"].isin(set(int(y) for y in yrs))]
        sums = table.groupby(["region", "workload", "year"])[["mw", "low_mw", "high_mw"]].sum()
        for k, (r, w) in enumerate(keys):
            for t, y in enumerate(yrs):
                if (r, w, int(y)) in sums.index:
                    row = sums.loc[(r, w, int(y))]
                    low[k, t] = min(float(row["low_mw"]), model.demand_mw[k, t])
                    high[k, t] = max(float(row["high_mw"]), model.demand_mw[k, t])
    if resolved is not None:
        mt = resolved.markets_table
    elif scenario is not None:
        mt = scenario.markets_table()
    else:
        from gridfirst.data import bundled_markets

        mt = pd.DataFrame([m.model_dump() for m in bundled_markets()]).set_index("id")
        mt["cable_systems_count"] = mt["cable_systems"].map(len)
    markets = list(dict.fromkeys(st["market"]))
    extra = [c for c in ("threat_exposure",) if c in mt.columns]
    mkt = mt.loc[markets, MARKET_COLUMNS + extra].astype(float)
    if resolved is not None and resolved.compliance is not None:
        # an export licence still needed may be refused (licence_required markets)
        mkt["denial_probability"] = resolved.compliance["denial_probability"].reindex(
            markets).fillna(0.0).to_numpy(float)
    m_index = {m: i for i, m in enumerate(markets)}
    site_market = st["market"].map(m_index).to_numpy(int)
    pool_first = {p: i for i, p in reversed(list(enumerate(st["power_pool"])))}
    pool_market = np.array([site_market[pool_first[p]] for p in pools])
    p = inputs.params
    is_deal = (st["kind"] == "deal").to_numpy()
    energy = energy_usd_per_mw_year(st["pue"], float(p["utilisation"]), st["energy_usd_per_mwh"])
    # a space deal whose rent includes its energy pays none, as in the portfolio model
    paid = st["energy_paid"].to_numpy(bool) if "energy_paid" in st else ~is_deal
    energy[~paid] = 0.0
    rtt = np.zeros((len(site_ids), len(keys)))
    for k, (region, _) in enumerate(keys):
        if region in inputs.latency_ms.columns:
            rtt[:, k] = np.nan_to_num(inputs.latency_ms.loc[site_ids, region].to_numpy(float),
                                      nan=0.0, posinf=0.0)
    costs = result.costs
    fixed_parts = [c for c in ("capital_usd", "site_usd", "accelerators_usd", "risk_usd", "deals_usd",
                                 "ppa_usd") if c in costs.columns]
    fixed = float((costs[fixed_parts].sum(axis=1) * costs["discount_factor"]).sum())
    lead = st["lead_years"].to_numpy(float) * 12.0
    return RiskProblem(
        years=yrs, sites=site_ids, pools=[str(x) for x in pools], markets=markets, keys=keys,
        online_mw=online, pue=st["pue"].to_numpy(float),
        site_pool=np.array([pools.index(x) for x in st["power_pool"]]), pool_power_mw=pool_power,
        site_market=site_market, pool_market=pool_market, site_lead_months=lead,
        pool_lead_months=mkt["interconnection_lead_time_months"].to_numpy()[pool_market],
        allocation_mw=alloc, eligible=model.eligible.copy(), demand_mw=model.demand_mw.copy(),
        demand_low_mw=low, demand_high_mw=high,
        market_facts=mkt.assign(backlog_years=backlog_years(
            mkt["competing_pipeline_mw"].to_numpy(), mkt["labour_capacity_mw_per_year"].to_numpy())),
        energy_usd_per_mw_year=energy,
        network_usd_per_mw_year=float(p["network_usd_per_mw_year_per_ms"]) * rtt,
        fixed_cost_usd=fixed, discount=np.asarray(model.discount, float),
        unmet_penalty_usd_per_mw_year=float(p["unmet_penalty_usd_per_mw_year"]),
        options=options, name=inputs.name,
        site_unavailability=_site_unavailability(resolved, site_ids),
        **_grid_answers(inputs.params.get("headroom") or {}, [str(x) for x in pools]),
        site_failure_probability=_deal_failure(st),
    )


def _grid_answers(headroom: dict[str, dict[str, Any]], pools: list[str]) -> dict[str, np.ndarray]:
    """Refusal probability and accepted-power multiple of each pool: a market's generic grid pool
    (``market:<id>``) with a shared headroom is refused with 1 - its acceptance rate."""
    refuse = np.zeros(len(pools))
    accepted = np.ones(len(pools))
    for i, pool in enumerate(pools):
        row = headroom.get(pool[7:]) if pool.startswith("market:") else None
        if not row or row.get("share_basis") == "override":
            continue
        share, high = float(row.get("share", 0.0)), float(row.get("share_high", 0.0))
        rate = float(row.get("acceptance_rate", 1.0))
        if share > 0 and 0 <= rate <= 1 and np.isfinite(high):
            refuse[i] = 1.0 - rate
            accepted[i] = high / share
    return {"pool_refusal_probability": refuse, "pool_accepted_factor": accepted}


def _deal_failure(st: pd.DataFrame) -> np.ndarray:
    """1 - the close probability of each space deal's stage (0 for signed deals and built sites)."""
    from gridfirst.deals.stages import close_probabilities

    out = np.zeros(len(st))
    if "deal_stage" not in st:
        return out
    close = close_probabilities()
    for i, (kind, stage) in enumerate(zip(st["kind"], st["deal_stage"], strict=True)):
        if kind == "deal" and str(stage) in close:
            out[i] = 1.0 - close[str(stage)]
    return out


def _site_unavailability(resolved: Resolved | None, site_ids: list[str]) -> np.ndarray | None:
    """1 - availability of each site's electrical design, when the resolve step designed them
    (``options.plan.electrical``); sites without a design (space deals) get 0."""
    if resolved is None or "availability" not in resolved.candidates.columns:
        return None
    avail = resolved.candidates["availability"].reindex(site_ids).astype(float)
    return (1.0 - avail.fillna(1.0)).to_numpy(float)
