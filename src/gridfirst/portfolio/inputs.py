"""Portfolio inputs: the plain tables the build-out model reads, made from a Scenario.

Candidate sites, power schedules, costs, latency, labour caps, risk clusters and screens as
DataFrames. Nothing here builds or solves a model (see :mod:`gridfirst.portfolio.model`).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.errors import ScenarioError

if TYPE_CHECKING:
    from gridfirst.scenario import Deal, Market, Scenario, Site

#: Speed of light in vacuum [km/ms].
C_KM_PER_MS = 299.792458
#: Fallback latency: fibre route length over great-circle distance (a stated assumption: long-haul
#: routes follow coasts and cable landings, typically 1.3 to 2 times the great circle).
ROUTE_FACTOR = 1.5
#: Group index of standard single-mode fibre (ITU-T G.652, about 1.467 at 1550 nm).
FIBRE_GROUP_INDEX = 1.47
#: Fallback latency: fixed allowance for switching, routing and last mile [ms] (assumption).
FIXED_RTT_MS = 5.0

#: Defaults of ``scenario.options['portfolio']``; each is an assumption with its reasoning:
DEFAULT_OPTIONS: dict[str, float] = {
    # Shell, power train and cooling of a large AI hall, from notice to proceed to ready for
    # service: 18 to 30 months in recent hyperscale builds; 24 months is the middle.
    "build_lead_time_months": 24.0,
    # Average IT load over installed IT capacity of an AI fleet (training runs near full load,
    # inference follows the diurnal curve); 0.8 is a round middle value.
    "utilisation": 0.8,
    # Cost of wide-area transport per MW of inference served and per ms of round-trip distance
    # [USD/MW-year/ms]. A small tie-breaker that prefers nearer sites, not a sourced price.
    "network_usd_per_mw_year_per_ms": 1000.0,
}

#: Risk penalty per unit of missing score (1 - score), as a share of the site's annualised
#: capital, by the policy's risk appetite (assumption: a site scoring 0 costs as if its capital
#: were this share dearer).
RISK_WEIGHT_BY_APPETITE = {"low": 0.3, "medium": 0.15, "high": 0.05}

SPACE_DEALS = ("lease", "powered_shell", "build_to_suit", "colocation")


@dataclass
class PortfolioInputs:
    """Everything the portfolio model reads, as plain tables (money in USD of ``currency_year``).

    Attributes
    ----------
    sites : pandas.DataFrame
        One row per candidate site, indexed by site id: ``kind`` (site | deal | market),
        ``name``, ``market``, ``country``, ``latitude``, ``longitude``, ``pue``, ``lead_years``,
        ``max_it_mw``, ``capex_usd_per_mw``, ``capex_usd_per_mw_year`` (annualised),
        ``energy_usd_per_mwh``, ``power_pool``, ``energisation`` (e.g. '2028-04'),
        ``allowed`` (passes the screens), ``screen_reason``, ``training_eligible``,
        ``training_reason``, ``risk_penalty_usd_per_mw_year``, and for deals ``deal_mw``,
        ``deal_start_year``, ``deal_end_year``, ``deal_usd_per_mw_year``, ``take_or_pay_share``.
    power_mw : pandas.DataFrame
        Facility power available [MW] by power pool (index) and year (columns). Sites without a
        schedule of their own share their market's pool.
    demand : pandas.DataFrame
        Columns ``region, workload, year, mw`` (IT MW).
    regions : pandas.DataFrame
        Index region id; ``name``, ``latitude``, ``longitude``, ``sla_ms`` (the region's own
        service level [ms], NaN when the workload's applies).
    latency_ms : pandas.DataFrame
        Round-trip time [ms], sites (index) x regions with coordinates (columns).
    labour_mw : pandas.Series
        Cap on MW under construction per country and year [MW].
    clusters : pandas.DataFrame
        Columns ``site, cluster``: membership of shared-risk clusters.
    ppas : pandas.DataFrame
        Energy deals, index deal id: ``market, mw, start_year, end_year, price_usd_per_mwh,
        market_price_usd_per_mwh, take_or_pay_share, allowed``.
    params : dict
        ``start_year``, ``block_mw``, ``min_build_mw``, ``discount_rate``, ``asset_life_years``,
        ``max_share_per_country``, ``max_share_per_cluster``, ``unmet_penalty_usd_per_mw_year``,
        ``utilisation``, ``network_usd_per_mw_year_per_ms``, ``sla_ms_by_workload``,
        ``build_lead_years`` (the scenario's build lead time, whole years; may be absent in
        hand-made inputs).
    latency_source : str
        Where the latency came from (given, gridfirst.network, or the great-circle fallback).
    """

    years: list[int]
    sites: pd.DataFrame
    power_mw: pd.DataFrame
    demand: pd.DataFrame
    regions: pd.DataFrame
    latency_ms: pd.DataFrame
    labour_mw: pd.Series
    clusters: pd.DataFrame
    ppas: pd.DataFrame
    params: dict[str, Any]
    latency_source: str = "given"
    name: str = "portfolio"
    notes: list[str] = field(default_factory=list)


def capital_recovery_factor(discount_rate: float, life_years: int) -> float:
    """Annuity per unit of capital: r (1+r)^n / ((1+r)^n - 1), and 1/n when r = 0.

    Parameters
    ----------
    discount_rate : float
        Real discount rate per year [-].
    life_years : int
        Asset life [years].

    References
    ----------
    .. [1] Short, W., Packey, D. J., Holt, T. (1995). A Manual for the Economic Evaluation of
       Energy Efficiency and Renewable Energy Technologies. NREL/TP-462-5173, eq. 4-3.
    """
    if discount_rate == 0:
        return 1.0 / life_years
    growth = (1.0 + discount_rate) ** life_years
    return discount_rate * growth / (growth - 1.0)


def great_circle_rtt_ms(
    lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray
) -> np.ndarray:
    """Fallback round trip: 2 x great-circle km x route factor 1.5 x 1.47 / c + 5 ms.

    Arguments broadcast; degrees in, milliseconds out. Haversine distance on a 6371 km sphere.
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi = p2 - p1
    dlmb = np.radians(lon2) - np.radians(lon1)
    h = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    km = 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))
    return 2 * km * ROUTE_FACTOR * FIBRE_GROUP_INDEX / C_KM_PER_MS + FIXED_RTT_MS


def _energisation(market: Market, start_year: int) -> float:
    """Decimal year the market's grid power reaches a new load: the energisation year, or the
    first plan year plus the interconnection lead time, whichever is later."""
    return max(float(market.grid_energisation_year), start_year + market.interconnection_lead_time_months / 12)


def _label(decimal_year: float) -> str:
    year = math.floor(decimal_year + 1e-9)
    month = min(12, int(round((decimal_year - year) * 12)) + 1)
    return f"{year}-{month:02d}"


def _lookup(values: Any, keys: list[str], what: str) -> float | None:
    """A per-site figure from a float, or a mapping / Series keyed by site or market id."""
    if values is None:
        return None
    if isinstance(values, int | float):
        return float(values)
    for key in keys:
        if key in values:
            value = float(values[key])
            if not math.isfinite(value) or value < 0:
                raise ScenarioError(f"{what}[{key!r}]: {value!r} must be a finite number >= 0")
            return value
    return None


def portfolio_inputs(
    scenario: Scenario,
    latency_ms: pd.DataFrame | None = None,
    energy_cost_usd_per_mwh: Any = None,
    scores: Any = None,
) -> PortfolioInputs:
    """Build the portfolio model's tables from a scenario.

    Parameters
    ----------
    scenario : gridfirst.scenario.Scenario
        Markets, sites, deals, demand and policy.
    latency_ms : pandas.DataFrame, optional
        Round-trip time [ms], index site or market ids, columns demand-region ids. When None,
        :func:`gridfirst.network.latency_to_points` if that module is importable, else the
        great-circle fallback (:func:`great_circle_rtt_ms`), stated in ``latency_source``.
    energy_cost_usd_per_mwh : float or mapping or pandas.Series, optional
        Energy cost [USD/MWh] by site or market id (e.g. procurement's cost at the CFE target).
        A site's own ``price_usd_per_mwh`` wins; otherwise the market's price.
    scores : pandas.Series or DataFrame, optional
        Scores in 0..1 (higher is better) by site or market id, or a frame with a ``score``
        column (``RankResult.table``). Each MW-year is charged
        ``(1 - score) x weight x annualised capex`` with the weight from the risk appetite.

    Returns
    -------
    PortfolioInputs
    """
    policy = scenario.policy
    years = scenario.horizon.years
    start = years[0]
    options = {**DEFAULT_OPTIONS, **dict(scenario.options.get("portfolio", {}))}
    for key, value in options.items():
        if key not in DEFAULT_OPTIONS:
            raise ScenarioError(
                f"options.portfolio.{key}: unknown option; known: {sorted(DEFAULT_OPTIONS)}"
            )
        if not isinstance(value, int | float) or value < 0:
            raise ScenarioError(f"options.portfolio.{key}: {value!r} must be a number >= 0")
    if isinstance(scores, pd.DataFrame):
        scores = scores["score"]
    crf = capital_recovery_factor(policy.discount_rate, policy.asset_life_years)
    risk_weight = RISK_WEIGHT_BY_APPETITE[policy.risk_appetite] if scores is not None else 0.0
    lead_default = float(options["build_lead_time_months"])
    markets = {m.id: m for m in scenario.resolved_markets()}

    rows: list[dict[str, Any]] = []
    pools: dict[str, np.ndarray] = {}
    year_arr = np.asarray(years)

    def screen(m: Market) -> str:
        if m.id in policy.excluded_markets:
            return f"market {m.id} is excluded by the policy"
        if m.country in policy.excluded_countries:
            return f"country {m.country} is excluded by the policy"
        if m.conflict_exposure_gpi > policy.max_conflict_exposure_gpi:
            return (
                f"conflict exposure GPI {m.conflict_exposure_gpi:g} is above the policy's "
                f"{policy.max_conflict_exposure_gpi:g}"
            )
        return ""

    def base_row(sid: str, kind: str, m: Market, name: str) -> dict[str, Any]:
        reason = screen(m)
        legal = m.ai_training_legal_regime in policy.training_legal_regimes
        return {
            "site": sid,
            "kind": kind,
            "name": name or sid,
            "market": m.id,
            "country": m.country,
            "latitude": m.latitude,
            "longitude": m.longitude,
            "pue": m.design_pue,
            "lead_years": math.ceil(lead_default / 12 - 1e-9),
            "max_it_mw": math.inf,
            "capex_usd_per_mw": m.construction_cost_usd_per_mw,
            "energy_usd_per_mwh": m.price_usd_per_mwh,
            "allowed": reason == "",
            "screen_reason": reason,
            "training_eligible": legal and reason == "",
            "training_reason": ""
            if legal
            else f"AI-training legal regime '{m.ai_training_legal_regime}' is not in the "
            f"policy's {list(policy.training_legal_regimes)}",
            "deal_mw": 0.0,
            "deal_start_year": 0,
            "deal_end_year": 0,
            "deal_usd_per_mw_year": 0.0,
            "take_or_pay_share": 0.0,
        }

    def market_pool(m: Market) -> tuple[str, str]:
        pool = f"market:{m.id}"
        if pool not in pools:
            when = _energisation(m, start)
            pools[pool] = np.where(year_arr >= math.floor(when + 1e-9), m.grid_available_mw, 0.0)
        return pool, _label(_energisation(m, start))

    for mid, m in markets.items():
        row = base_row(mid, "market", m, m.name)
        row["power_pool"], row["energisation"] = market_pool(m)
        rows.append(row)

    site_by_id: dict[str, Site] = {s.id: s for s in scenario.sites}
    for s in scenario.sites:
        m = markets[s.market]
        row = base_row(s.id, "site", m, s.name)
        if s.latitude is not None and s.longitude is not None:
            row["latitude"], row["longitude"] = s.latitude, s.longitude
        if s.power_schedule:
            pool = f"site:{s.id}"
            power = np.zeros(len(years))
            for step in s.power_schedule:
                power[year_arr >= step.year] = step.available_mw
            pools[pool] = power
            first = next((p.year for p in s.power_schedule if p.available_mw > 0), None)
            row["power_pool"], row["energisation"] = pool, "" if first is None else str(first)
        else:
            row["power_pool"], row["energisation"] = market_pool(m)
        if s.pue is not None:
            row["pue"] = s.pue
        if s.build_lead_time_months is not None:
            row["lead_years"] = math.ceil(s.build_lead_time_months / 12 - 1e-9)
        if s.max_it_mw is not None:
            row["max_it_mw"] = s.max_it_mw
        if s.construction_cost_usd_per_mw is not None:
            row["capex_usd_per_mw"] = s.construction_cost_usd_per_mw
        rows.append(row)

    ppa_rows: list[dict[str, Any]] = []
    for i, d in enumerate(scenario.deals):
        m = markets[d.market]
        end = d.start_year + d.term_years - 1
        if d.kind == "ppa":
            if d.price_usd_per_mwh is None:
                raise ScenarioError(f"deals[{i}].price_usd_per_mwh: a PPA needs its energy price")
            ppa_rows.append(
                {
                    "deal": d.id,
                    "market": m.id,
                    "mw": d.capacity_mw,
                    "start_year": d.start_year,
                    "end_year": end,
                    "price_usd_per_mwh": d.price_usd_per_mwh,
                    "market_price_usd_per_mwh": m.price_usd_per_mwh,
                    "take_or_pay_share": d.take_or_pay_share,
                    "allowed": d.stage != "lost" and screen(m) == "",
                }
            )
            continue
        rows.append(_deal_row(d, i, base_row(d.id, "deal", m, d.counterparty), site_by_id, crf))

    sites = pd.DataFrame(rows).set_index("site")
    sites.index.name = "site"
    # Energy cost: the site's own price, else the given figure, else the market price.
    for sid in sites.index:
        own = site_by_id[sid].price_usd_per_mwh if sid in site_by_id else None
        given = _lookup(energy_cost_usd_per_mwh, [sid, str(sites.at[sid, "market"])],
                        "energy_cost_usd_per_mwh")
        if own is not None:
            sites.at[sid, "energy_usd_per_mwh"] = own
        elif given is not None:
            sites.at[sid, "energy_usd_per_mwh"] = given
    sites["capex_usd_per_mw_year"] = sites["capex_usd_per_mw"] * crf
    score = np.array(
        [
            _lookup(scores, [sid, str(sites.at[sid, "market"])], "scores") or 0.0
            if scores is not None
            else 1.0
            for sid in sites.index
        ]
    )
    if scores is not None and ((score < 0) | (score > 1)).any():
        raise ScenarioError("scores: every score must be within 0..1")
    sites["score"] = score
    annual = np.where(
        sites["kind"] == "deal", sites["deal_usd_per_mw_year"], sites["capex_usd_per_mw_year"]
    )
    sites["risk_penalty_usd_per_mw_year"] = risk_weight * (1.0 - score) * annual
    if policy.min_grid_year is not None and policy.min_grid_mw > 0:
        for sid in sites.index[sites["kind"] != "deal"]:
            power = pools[sites.at[sid, "power_pool"]]
            at = min(max(policy.min_grid_year, start), years[-1]) - start
            if power[at] < policy.min_grid_mw and sites.at[sid, "allowed"]:
                sites.at[sid, "allowed"] = False
                sites.at[sid, "training_eligible"] = False
                sites.at[sid, "screen_reason"] = (
                    f"{power[at]:g} MW of power by {policy.min_grid_year} is below the policy's "
                    f"{policy.min_grid_mw:g} MW screen"
                )
    for sid in sites.index[sites["kind"] == "deal"]:
        deal_mw = float(sites.at[sid, "deal_mw"])
        active = (year_arr >= sites.at[sid, "deal_start_year"]) & (
            year_arr <= sites.at[sid, "deal_end_year"]
        )
        pools[f"deal:{sid}"] = np.where(active, deal_mw * float(sites.at[sid, "pue"]), 0.0)
    power_mw = pd.DataFrame(pools, index=years).T
    power_mw.columns.name = "year"

    regions, demand = _demand_tables(scenario)
    latency, source = _latency(scenario, sites, regions, latency_ms)
    labour = (
        pd.Series({mid: m.labour_capacity_mw_per_year for mid, m in markets.items()})
        .groupby(pd.Series({mid: m.country for mid, m in markets.items()}))
        .sum()
    )
    labour.index.name = "country"
    clusters = _clusters(scenario, sites, markets)
    ppas = pd.DataFrame(
        ppa_rows,
        columns=["deal", "market", "mw", "start_year", "end_year", "price_usd_per_mwh",
                 "market_price_usd_per_mwh", "take_or_pay_share", "allowed"],
    ).set_index("deal")
    params = {
        "start_year": start,
        "block_mw": policy.block_mw,
        "min_build_mw": policy.min_build_mw,
        "discount_rate": policy.discount_rate,
        "asset_life_years": policy.asset_life_years,
        "max_share_per_country": policy.max_share_per_country,
        "max_share_per_cluster": policy.max_share_per_cluster,
        "unmet_penalty_usd_per_mw_year": policy.unmet_penalty_usd_per_mw_year,
        "utilisation": float(options["utilisation"]),
        "build_lead_years": math.ceil(lead_default / 12 - 1e-9),
        "network_usd_per_mw_year_per_ms": float(options["network_usd_per_mw_year_per_ms"]),
        "training_legal_regimes": list(policy.training_legal_regimes),
        "sla_ms_by_workload": {
            w: float(policy.latency_sla_ms.get(w, math.inf)) for w in ("inference", "training")
        },
    }
    return PortfolioInputs(
        years=years, sites=sites, power_mw=power_mw, demand=demand, regions=regions,
        latency_ms=latency, labour_mw=labour, clusters=clusters, ppas=ppas, params=params,
        latency_source=source, name=scenario.name,
    )


def _deal_row(d: Deal, i: int, row: dict[str, Any], site_by_id: dict[str, Site], crf: float
              ) -> dict[str, Any]:
    """A space deal as a candidate site: its own MW and dates, rent, take-or-pay."""
    if d.site is not None:
        s = site_by_id[d.site]
        if s.latitude is not None and s.longitude is not None:
            row["latitude"], row["longitude"] = s.latitude, s.longitude
        if s.pue is not None:
            row["pue"] = s.pue
    if d.price_usd_per_kw_month is not None:
        rent = d.price_usd_per_kw_month * 1000.0 * 12.0
    else:
        # No rent given: the market's annualised build cost plus energy is the stated stand-in.
        rent = row["capex_usd_per_mw"] * crf
    lost = d.stage == "lost"
    row.update(
        {
            "power_pool": f"deal:{d.id}",
            "energisation": str(d.start_year),
            "lead_years": 0,
            "max_it_mw": d.capacity_mw,
            "deal_mw": d.capacity_mw,
            "deal_start_year": d.start_year,
            "deal_end_year": d.start_year + d.term_years - 1,
            "deal_usd_per_mw_year": rent,
            "take_or_pay_share": d.take_or_pay_share,
            "allowed": row["allowed"] and not lost,
            "screen_reason": row["screen_reason"] or (f"deal {d.id} is lost" if lost else ""),
        }
    )
    row["training_eligible"] = row["training_eligible"] and not lost
    return row


def sla_ms(inputs: PortfolioInputs, region: str, workload: str) -> float:
    """Round-trip service level [ms] of a region's workload: the region's own, else the
    workload's, else none (inf)."""
    own = inputs.regions.at[region, "sla_ms"] if region in inputs.regions.index else math.nan
    if math.isfinite(own):
        return float(own)
    return float(inputs.params["sla_ms_by_workload"].get(workload, math.inf))


def _demand_tables(scenario: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    policy = scenario.policy
    regions = pd.DataFrame(
        [
            {"region": r.id, "name": r.city or r.name, "latitude": r.latitude,
             "longitude": r.longitude}
            for r in scenario.demand.regions
        ],
        columns=["region", "name", "latitude", "longitude"],
    ).set_index("region")
    table = scenario.demand.table()
    years = set(scenario.horizon.years)
    table = table[table["year"].isin(years)]
    demand = (
        table.groupby(["region", "workload", "year"], as_index=False)["mw"].sum()
        .sort_values(["region", "workload", "year"])
        .reset_index(drop=True)
    )
    for rid in sorted(set(demand["region"]) - set(regions.index)):
        regions.loc[rid] = {"name": rid, "latitude": np.nan, "longitude": np.nan}
    sla = policy.latency_sla_ms
    # A region's own service level wins over its workload's (see :func:`sla_ms`).
    regions["sla_ms"] = [float(sla.get(rid, math.nan)) for rid in regions.index]
    return regions, demand


def _latency(
    scenario: Scenario, sites: pd.DataFrame, regions: pd.DataFrame, given: pd.DataFrame | None
) -> tuple[pd.DataFrame, str]:
    located = regions.dropna(subset=["latitude", "longitude"])
    cols = list(located.index)
    if given is not None:
        out = pd.DataFrame(np.nan, index=sites.index, columns=cols)
        for sid in sites.index:
            key = sid if sid in given.index else sites.at[sid, "market"]
            if key not in given.index:
                raise ScenarioError(f"latency_ms: no row for site {sid!r} or market {key!r}")
            missing = [c for c in cols if c not in given.columns]
            if missing:
                raise ScenarioError(f"latency_ms: no column for demand region(s) {missing}")
            out.loc[sid] = given.loc[key, cols].to_numpy(dtype=float)
        return out, "given"
    # Looked up at call time: the network capability may land after this module.
    try:
        latency_to_points = getattr(importlib.import_module("gridfirst.network"),
                                    "latency_to_points", None)
    except ImportError:
        latency_to_points = None
    if latency_to_points is not None and cols:
        markets = []
        for sid in sites.index:
            m = scenario.market(str(sites.at[sid, "market"]))
            markets.append(
                m.model_copy(update={"id": sid, "latitude": float(sites.at[sid, "latitude"]),
                                     "longitude": float(sites.at[sid, "longitude"])})
            )
        points = {rid: (float(r.latitude), float(r.longitude)) for rid, r in located.iterrows()}
        table = latency_to_points(markets, points)
        return table.reindex(index=sites.index, columns=cols).astype(float), "gridfirst.network"
    rtt = great_circle_rtt_ms(
        sites["latitude"].to_numpy(float)[:, None], sites["longitude"].to_numpy(float)[:, None],
        located["latitude"].to_numpy(float)[None, :], located["longitude"].to_numpy(float)[None, :],
    )
    source = (
        "great-circle fallback: RTT = 2 x great-circle km x route factor 1.5 x fibre index 1.47 "
        "/ c + 5 ms (gridfirst.network not available)"
    )
    return pd.DataFrame(rtt, index=sites.index, columns=cols), source


def _clusters(scenario: Scenario, sites: pd.DataFrame, markets: dict[str, Market]) -> pd.DataFrame:
    """Shared-risk clusters: the site's own labels, its country, and a single cable corridor."""
    own = {s.id: s.risk_clusters for s in scenario.sites}
    deal_site = {d.id: d.site for d in scenario.deals}
    pairs: list[tuple[str, str]] = []
    for sid in sites.index:
        labels = list(own.get(sid, []))
        if sid in deal_site and deal_site[sid] is not None:
            labels += own.get(str(deal_site[sid]), [])
        m = markets[str(sites.at[sid, "market"])]
        labels.append(f"country:{m.country}")
        if len(m.cable_systems) == 1:
            labels.append(f"cable:{m.cable_systems[0]}")
        pairs += [(sid, label) for label in dict.fromkeys(labels)]
    return pd.DataFrame(pairs, columns=["site", "cluster"])
