"""The one resolution step: a validated scenario plus bundled data as the typed tables every engine reads.

:func:`resolve` derives markets after overrides, candidates (site over market, one rule),
screens, power by pool and year, demand, latency and, when asked, each candidate's procured
energy cost, once. Ranking, portfolio, risk, the plan and the report read :class:`Resolved`;
none of them goes back to the raw scenario for these.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.compliance import (
    alliance_score,
    compliance_table,
    fdi_lead_time_months,
    threat_exposures,
)
from gridfirst.errors import ScenarioError
from gridfirst.geo import FALLBACK_RTT_SOURCE, capital_recovery_factor, fallback_rtt_ms
from gridfirst.resolve.cache import ResultCache
from gridfirst.resolve.candidates import build_candidates, candidate_market
from gridfirst.resolve.flexible import apply_flexible_connections
from gridfirst.resolve.headroom import headroom_table, share_pools
from gridfirst.resolve.screens import failed, screen_candidates

if TYPE_CHECKING:
    from gridfirst.electrical import ElectricalDesign
    from gridfirst.options import Options
    from gridfirst.procurement.costs import ProcurementCosts
    from gridfirst.resolve.energy import ProcurementTask
    from gridfirst.scenario import Buyer, Market, Policy, Scenario

#: ``run_map(function, items, progress) -> results`` in item order (an executor's map).
RunMap = Callable[[Callable[[Any], Any], Sequence[Any], Callable[[int, int], None] | None], list[Any]]


def serial_map(function: Callable[[Any], Any], items: Sequence[Any],
               progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """Map in this process, reporting progress after each item."""
    out = []
    for i, item in enumerate(items):
        out.append(function(item))
        if progress is not None:
            progress(i + 1, len(items))
    return out


@dataclass
class Resolved:
    """A scenario resolved into tables (money in USD of ``currency_year``).

    Attributes
    ----------
    scenario : Scenario
        What was resolved (its name, description and currency year label the outputs).
    markets : list of Market
        The scenario's markets after overrides, plus its own.
    markets_table : pandas.DataFrame
        The same, indexed by market id, with ``cable_systems_count`` and ``design_pue``.
    candidates : pandas.DataFrame
        Index candidate id (a site, a space deal, or a market id for the market's generic site);
        columns :data:`gridfirst.resolve.candidates.CANDIDATE_COLUMNS` plus ``allowed``,
        ``screen_reason``, ``training_eligible`` and ``training_reason`` from the screens.
    candidate_markets : dict of str to Market
        The market each candidate sees (site over market), keyed by candidate id.
    screens : pandas.DataFrame
        One row per candidate, profile and rule: ``candidate, profile, rule, passed, reason``.
    power_mw : pandas.DataFrame
        Facility power [MW] by pool (index) and year (columns) the buyer can contract: a market's
        grid pool is its share of the market's headroom (:mod:`gridfirst.resolve.headroom`); own
        schedules and deals are whole.
    grid_power_mw : pandas.DataFrame
        The same pools before the share: a market's headroom for every applicant.
    headroom : pandas.DataFrame
        Per market, the buyer's share of the grid headroom and how it was derived
        (:data:`gridfirst.resolve.headroom.HEADROOM_COLUMNS`).
    ppas, clusters : pandas.DataFrame
        Energy deals (index deal id) and shared-risk cluster membership (``site, cluster``).
    regions, demand : pandas.DataFrame
        Demand regions (index id: ``name, latitude, longitude, sla_ms``) and IT MW by
        ``region, workload, year`` with ``low_mw`` and ``high_mw``.
    latency_ms : pandas.DataFrame
        Round trip [ms], candidates x located demand regions.
    latency_source : str
        Where the latency came from.
    compliance : pandas.DataFrame or None
        Export-control decision per market for the scenario's buyer (index market id; columns of
        :func:`gridfirst.compliance.compliance_table`), None when the scenario names no buyer.
        Candidates carry ``export_status``, ``licence_lead_time_months``,
        ``denial_probability`` and ``fdi_lead_time_months`` from it, and their ``lead_years``
        include the licence and foreign-investment review waits.
    procurement : pandas.DataFrame or None
        Per procured candidate at the policy's CFE target (see
        :data:`gridfirst.resolve.energy.RECORD_COLUMNS`); None when energy was not resolved.
    energy_usd_per_mwh : pandas.Series
        Energy cost per candidate [USD/MWh]: the site's own price, else its procured cost (a deal
        takes its market's), else the market's grid price.
    flexible : pandas.DataFrame
        Sites with a flexible (non-firm) connection, index site id
        (:data:`gridfirst.resolve.flexible.COLUMNS`): the MW and months gained over the firm
        connection; their pools in ``power_mw`` and their energy cost include it.
    costs : ProcurementCosts
        Procurement costs (the scenario's over the sourced defaults).
    crf : float
        Capital recovery factor of the policy's discount rate and asset life.
    electrical : dict of str to ElectricalDesign
        Each site's and market's facility electrical design by candidate id when
        ``options.plan.electrical`` is set (empty otherwise); candidates then carry
        :data:`gridfirst.resolve.electrical.ELECTRICAL_COLUMNS` and a ``capex_usd_per_mw`` whose
        critical-capacity share is the design's cost (:mod:`gridfirst.resolve.electrical`).
    """

    scenario: Scenario
    markets: list[Market]
    markets_table: pd.DataFrame
    candidates: pd.DataFrame
    candidate_markets: dict[str, Market]
    screens: pd.DataFrame
    power_mw: pd.DataFrame
    ppas: pd.DataFrame
    clusters: pd.DataFrame
    regions: pd.DataFrame
    demand: pd.DataFrame
    labour_mw: pd.Series
    latency_ms: pd.DataFrame
    latency_source: str
    costs: ProcurementCosts
    crf: float
    seed: int
    compliance: pd.DataFrame | None = None
    procurement: pd.DataFrame | None = None
    energy_usd_per_mwh: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    grid_power_mw: pd.DataFrame = field(default_factory=pd.DataFrame)
    headroom: pd.DataFrame = field(default_factory=pd.DataFrame)
    electrical: dict[str, ElectricalDesign] = field(default_factory=dict)
    flexible: pd.DataFrame = field(default_factory=pd.DataFrame)
    cache_hits: int = 0
    cache_misses: int = 0

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def years(self) -> list[int]:
        return self.scenario.horizon.years

    @property
    def policy(self) -> Policy:
        return self.scenario.policy

    @property
    def options(self) -> Options:
        return self.scenario.options

    def market(self, market_id: str) -> Market:
        """One market after overrides (a copy)."""
        for m in self.markets:
            if m.id == market_id:
                return m.model_copy()
        raise ScenarioError(f"market: {market_id!r} is not a market of scenario {self.name!r}")

    def screened_out(self, profile: str, kind: str | None = "market") -> pd.DataFrame:
        """Candidates of ``kind`` (all when None) that fail a screen of ``profile``: index
        candidate, columns ``rule`` and ``policy_fields``."""
        out = failed(self.screens, profile)
        if kind is not None:
            ids = set(self.candidates.index[self.candidates["kind"] == kind])
            out = out[out.index.isin(ids)]
        return out

    def market_latency(self) -> pd.DataFrame:
        """Round trip [ms] from each market's generic site to each located demand region."""
        return self.latency_ms.reindex([m.id for m in self.markets])


def _demand_tables(scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    regions = pd.DataFrame(
        [{"region": r.id, "name": r.city or r.name, "latitude": r.latitude,
          "longitude": r.longitude, "serve_from": list(r.serve_from),
          "residency_basis": r.residency_basis} for r in scenario.demand.regions],
        columns=["region", "name", "latitude", "longitude", "serve_from", "residency_basis"],
    ).set_index("region")
    table = scenario.demand.table()
    demand = (
        table.groupby(["region", "workload", "year"], as_index=False)[["mw", "low_mw", "high_mw"]]
        .sum().sort_values(["region", "workload", "year"]).reset_index(drop=True)
    )
    for rid in sorted(set(demand["region"]) - set(regions.index)):
        regions.loc[rid] = {"name": rid, "latitude": np.nan, "longitude": np.nan,
                            "serve_from": [], "residency_basis": ""}
    sla = scenario.policy.latency_sla_ms
    # A region's own service level wins over its workload's.
    regions["sla_ms"] = [float(sla.get(rid, math.nan)) for rid in regions.index]
    return regions, demand


def _latency(candidates: pd.DataFrame, candidate_markets: dict[str, Market],
             regions: pd.DataFrame, given: pd.DataFrame | None, use_network: bool
             ) -> tuple[pd.DataFrame, str]:
    located = regions.dropna(subset=["latitude", "longitude"])
    cols = list(located.index)
    if given is not None:
        out = pd.DataFrame(np.nan, index=candidates.index, columns=cols)
        missing = [c for c in cols if c not in given.columns]
        if missing:
            raise ScenarioError(f"latency_ms: no column for demand region(s) {missing}")
        for cid in candidates.index:
            key = cid if cid in given.index else candidates.at[cid, "market"]
            if key not in given.index:
                raise ScenarioError(f"latency_ms: no row for site {cid!r} or market {key!r}")
            out.loc[cid] = given.loc[key, cols].to_numpy(dtype=float)
        return out, "given"
    if not cols:
        return pd.DataFrame(index=candidates.index, dtype=float), "no located demand regions"
    if use_network:
        from gridfirst.network import latency_to_points

        markets = [candidate_markets[cid].model_copy(update={"id": cid}) for cid in candidates.index]
        points = {rid: (float(r.latitude), float(r.longitude)) for rid, r in located.iterrows()}
        table = latency_to_points(markets, points)
        return table.reindex(index=candidates.index, columns=cols).astype(float), "gridfirst.network"
    rtt = fallback_rtt_ms(
        candidates["latitude"].to_numpy(float)[:, None], candidates["longitude"].to_numpy(float)[:, None],
        located["latitude"].to_numpy(float)[None, :], located["longitude"].to_numpy(float)[None, :],
    )
    return pd.DataFrame(rtt, index=candidates.index, columns=cols), FALLBACK_RTT_SOURCE


def supply_year(resolved: Resolved) -> int:
    """The year whose available supply options each site's procurement may contract."""
    given = resolved.options.plan.supply_year
    if given is not None:
        return int(given)
    horizon = resolved.scenario.horizon
    return min(horizon.start_year + 4, horizon.end_year)


def procurement_tasks(resolved: Resolved, method: str | None = None) -> list[ProcurementTask]:
    """One procurement per candidate that passes the screens (deals buy like their market)."""
    from gridfirst.resolve.energy import ProcurementTask

    opts = resolved.options.plan
    c = resolved.candidates
    year = supply_year(resolved)
    return [
        ProcurementTask(
            site=str(cid), market=resolved.candidate_markets[str(cid)],
            cfe_target=resolved.policy.cfe_target, costs=resolved.costs, seed=resolved.seed,
            load_mw=float(opts.procurement_load_mw),
            method=str(method or opts.procurement_method),
            supply=str(opts.procurement_supply), year=year,
        )
        for cid, row in c.iterrows()
        if row["allowed"] and row["kind"] != "deal"
    ]


def _energy(resolved: Resolved) -> pd.Series:
    """Energy cost per candidate: own price, else procured cost (deals: their market's), else
    the grid price."""
    c = resolved.candidates
    cost = c["price_usd_per_mwh"].astype(float).copy()
    if resolved.procurement is not None:
        procured = resolved.procurement["cost_usd_per_mwh"]
        for cid in c.index:
            if bool(c.at[cid, "own_price"]):
                continue
            key = cid if cid in procured.index else str(c.at[cid, "market"])
            if key in procured.index:
                cost[cid] = float(procured[key])
    cost.name = "energy_usd_per_mwh"
    return cost


def resolve(
    scenario: Scenario,
    *,
    latency_ms: pd.DataFrame | None = None,
    use_network: bool = True,
    energy: bool = False,
    run_map: RunMap | None = None,
    cache: bool | ResultCache = True,
    seed: int | None = None,
    progress: Callable[[str, float, float], None] | None = None,
) -> Resolved:
    """Resolve a validated scenario into the tables every engine reads.

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    latency_ms : pandas.DataFrame, optional
        Given round trips [ms] (index candidate or market id, columns region id); otherwise
        :func:`gridfirst.network.latency_to_points`, or the great-circle fallback
        (:func:`gridfirst.geo.fallback_rtt_ms`) when ``use_network`` is False.
    energy : bool
        Also solve every screened-in candidate's hourly procurement at the policy's CFE target
        (cached by inputs) and use its cost per MWh as the candidate's energy cost.
    run_map : callable, optional
        Executor map for the procurement solves (default: this process).
    cache : bool or ResultCache
        Reuse procurement results with identical inputs.
    seed : int, optional
        Seed of the resource profiles (default ``options.plan.seed``).
    progress : callable, optional
        ``progress(stage, done, total)`` with stages ``latency`` and ``procurement``.
    """
    from gridfirst.procurement.site import scenario_costs

    policy = scenario.policy
    report = progress or (lambda stage, done, total: None)
    markets = scenario.resolved_markets()
    crf = capital_recovery_factor(policy.discount_rate, policy.asset_life_years)
    tables = build_candidates(scenario, markets, crf)
    flexible = apply_flexible_connections(scenario, tables)
    cands = tables.candidates
    candidate_markets = {
        str(cid): candidate_market(tables.markets[str(row["market"])],
                                   _site(scenario, str(cid), str(row["kind"])))
        for cid, row in cands.iterrows()
    }
    designs: dict[str, ElectricalDesign] = {}
    plan_options = scenario.options.plan
    if plan_options.electrical is not None:
        from gridfirst.resolve.electrical import apply_electrical

        designs = apply_electrical(cands, candidate_markets, plan_options.electrical,
                                   float(plan_options.procurement_load_mw))
    compliance = _compliance(scenario, markets)
    _apply_compliance(scenario, cands, compliance)
    screens = screen_candidates(cands, tables.markets, policy, tables.power_mw, compliance)
    for profile, ok_col, why_col in (("inference", "allowed", "screen_reason"),
                                     ("training", "training_eligible", "training_reason")):
        bad = failed(screens, profile)
        cands[ok_col] = ~cands.index.isin(bad.index)
        cands[why_col] = bad["rule"].reindex(cands.index).fillna("")
    regions, demand = _demand_tables(scenario)
    report("latency", 0, 1)
    latency, source = _latency(cands, candidate_markets, regions, latency_ms, use_network)
    report("latency", 1, 1)
    labour = (
        pd.Series({m.id: m.labour_capacity_mw_per_year for m in markets})
        .groupby(pd.Series({m.id: m.country for m in markets})).sum()
    )
    labour.index.name = "country"
    mt = scenario.markets_table()
    mt["threat_exposure"] = threat_exposures(mt["latitude"].to_numpy(float),
                                             mt["longitude"].to_numpy(float))
    if scenario.buyer is not None and compliance is not None:
        mt["alliance_score"] = [alliance_score(c, scenario.buyer.jurisdiction)
                                for c in mt["country"]]
        status = compliance["status"].reindex(mt.index)
        deny = compliance["denial_probability"].reindex(mt.index).astype(float)
        mt["export_status"] = status
        mt["export_access"] = np.where(
            status.isin(["presumption_of_denial", "prohibited"]), 0.0,
            np.where(status == "licence_required", 1.0 - deny, 1.0))
    headroom = headroom_table(markets, scenario.options.portfolio)
    resolved = Resolved(
        scenario=scenario, markets=markets, markets_table=mt, candidates=cands,
        candidate_markets=candidate_markets, screens=screens,
        power_mw=share_pools(tables.power_mw, headroom), grid_power_mw=tables.power_mw,
        headroom=headroom,
        ppas=tables.ppas, clusters=tables.clusters, regions=regions, demand=demand,
        labour_mw=labour, latency_ms=latency, latency_source=source,
        costs=scenario_costs(scenario), crf=crf, compliance=compliance, electrical=designs,
        seed=int(scenario.options.plan.seed if seed is None else seed), flexible=flexible,
    )
    if energy:
        from gridfirst.resolve.energy import procure_sites

        store = cache if isinstance(cache, ResultCache) else ResultCache(enabled=bool(cache))
        hits, misses = store.hits, store.misses
        resolved.procurement = procure_sites(
            procurement_tasks(resolved), run_map or serial_map, store,
            progress=lambda done, total: report("procurement", done, total),
        )
        resolved.cache_hits, resolved.cache_misses = store.hits - hits, store.misses - misses
    resolved.energy_usd_per_mwh = _energy(resolved)
    # a flexible site pays for its curtailed energy at its value (budget x value per MWh drawn)
    for sid, surcharge in flexible["curtailment_usd_per_mwh"].items():
        resolved.energy_usd_per_mwh[sid] += float(surcharge)
    return resolved


def as_of(scenario: Scenario) -> dt.date:
    """The date export rules are read as of: the buyer's, else 1 January of the horizon start."""
    if scenario.buyer is not None and scenario.buyer.as_of is not None:
        return scenario.buyer.as_of
    return dt.date(scenario.horizon.start_year, 1, 1)


def _compliance(scenario: Scenario, markets: list[Market]) -> pd.DataFrame | None:
    if scenario.buyer is None:
        return None
    return compliance_of(markets, scenario.buyer, as_of(scenario))


def compliance_of(markets: list[Market], buyer: Buyer, when: dt.date) -> pd.DataFrame:
    """Export-control decision and foreign-investment review wait per market (index market id)."""
    frame = pd.DataFrame({"market_id": [m.id for m in markets],
                          "country": [m.country for m in markets]})
    table = compliance_table(frame, buyer.jurisdiction, buyer.accelerators, when, buyer.licences)
    table["fdi_lead_time_months"] = [fdi_lead_time_months(c, buyer.jurisdiction)
                                     for c in table["country"]]
    return table.set_index("market_id")


def _apply_compliance(scenario: Scenario, cands: pd.DataFrame,
                      compliance: pd.DataFrame | None) -> None:
    """Export status and waits per candidate; lead times grow by the licence and review waits.

    Chips ship once the licence is granted, in parallel with construction, so the build waits
    for the longer of the two; a foreign-investment review comes before either starts.
    """
    if compliance is None:
        cands["export_status"] = "not evaluated"
        for col in ("licence_lead_time_months", "denial_probability", "fdi_lead_time_months"):
            cands[col] = 0.0
        return
    rows = compliance.loc[cands["market"]]
    cands["export_status"] = rows["status"].to_numpy()
    cands["licence_lead_time_months"] = rows["licence_lead_time_months"].to_numpy(float)
    cands["denial_probability"] = rows["denial_probability"].to_numpy(float)
    cands["fdi_lead_time_months"] = rows["fdi_lead_time_months"].to_numpy(float)
    build_months = cands["lead_years"].to_numpy(float) * 12.0
    wait = np.maximum(build_months, cands["licence_lead_time_months"].to_numpy(float))
    wait = wait + np.where(cands["kind"] == "deal", 0.0, cands["fdi_lead_time_months"])
    cands["lead_years"] = np.ceil(wait / 12.0 - 1e-9).astype(int)


def _site(scenario: Scenario, cid: str, kind: str) -> Any:
    """The scenario site a candidate stands on (a site, or a deal's site), if any."""
    if kind == "site":
        return next(s for s in scenario.sites if s.id == cid)
    if kind == "deal":
        deal = next(d for d in scenario.deals if d.id == cid)
        if deal.site is not None:
            return next(s for s in scenario.sites if s.id == deal.site)
    return None
