"""Candidates: every site, every space deal and one generic site per market, with their power.

One rule lays a site over its market (:func:`candidate_market`); power comes in pools (a site's
own schedule, a deal's contracted MW, or the market's shared grid). Nothing here screens or
optimises.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.scenario import candidate_market

if TYPE_CHECKING:
    from gridfirst.scenario import Deal, Market, Scenario

SPACE_DEALS = ("lease", "powered_shell", "build_to_suit", "colocation")

#: Whether a space deal's rent includes its energy, by kind, unless the deal says
#: (``deals[].energy``; assumption ``deal-energy-assume``): colocation is quoted all-in, the
#: others pass the metered energy through at the market's grid price.
DEAL_ENERGY = {"colocation": "included", "lease": "pass_through",
               "powered_shell": "pass_through", "build_to_suit": "pass_through"}

#: Columns of the candidates table (index ``candidate``).
CANDIDATE_COLUMNS = [
    "kind", "name", "market", "country", "latitude", "longitude", "pue", "lead_years",
    "max_it_mw", "capex_usd_per_mw", "price_usd_per_mwh", "own_price", "power_pool",
    "energisation", "energised_year", "deal_mw", "deal_start_year", "deal_end_year",
    "deal_usd_per_mw_year", "take_or_pay_share", "deal_stage", "deal_site", "deal_energy",
]


@dataclass
class CandidateTables:
    """Candidates (index id), facility power by pool and year, PPAs and risk clusters."""

    candidates: pd.DataFrame
    power_mw: pd.DataFrame
    ppas: pd.DataFrame
    clusters: pd.DataFrame
    markets: dict[str, Market]


def energisation_year(market: Market, start_year: int) -> float:
    """Decimal year the market's grid reaches a new load: its energisation year, or the first
    plan year plus the interconnection lead time, whichever is later."""
    return max(float(market.grid_energisation_year),
               start_year + market.interconnection_lead_time_months / 12)


def _label(decimal_year: float) -> str:
    year = math.floor(decimal_year + 1e-9)
    month = min(12, int(round((decimal_year - year) * 12)) + 1)
    return f"{year}-{month:02d}"


def build_candidates(scenario: Scenario, markets: list[Market], crf: float) -> CandidateTables:
    """The candidates of a scenario with their power pools (see :data:`CANDIDATE_COLUMNS`).

    Parameters
    ----------
    scenario : Scenario
        Sites, deals, horizon and options.
    markets : list of Market
        The scenario's markets after overrides.
    crf : float
        Capital recovery factor of the policy (a deal without rent pays annualised build cost).
    """
    years = scenario.horizon.years
    start = years[0]
    year_arr = np.asarray(years)
    lead_months = scenario.options.portfolio.build_lead_time_months
    lead_default = math.ceil(lead_months / 12 - 1e-9)
    by_id = {m.id: m for m in markets}
    rows: list[dict[str, Any]] = []
    pools: dict[str, np.ndarray] = {}

    def base_row(cid: str, kind: str, m: Market, name: str) -> dict[str, Any]:
        return {
            "candidate": cid, "kind": kind, "name": name or cid, "market": m.id,
            "country": m.country, "latitude": m.latitude, "longitude": m.longitude,
            "pue": m.design_pue, "lead_years": lead_default, "max_it_mw": math.inf,
            "capex_usd_per_mw": m.construction_cost_usd_per_mw,
            "price_usd_per_mwh": m.price_usd_per_mwh, "own_price": False,
            "deal_mw": 0.0, "deal_start_year": 0, "deal_end_year": 0,
            "deal_usd_per_mw_year": 0.0, "take_or_pay_share": 0.0, "deal_stage": "",
            "deal_site": "", "deal_energy": "",
        }

    def market_pool(m: Market) -> tuple[str, str, int]:
        pool = f"market:{m.id}"
        when = energisation_year(m, start)
        if pool not in pools:
            pools[pool] = np.where(year_arr >= math.floor(when + 1e-9), m.grid_available_mw, 0.0)
        return pool, _label(when), math.floor(when + 1e-9)

    for mid, m in by_id.items():
        row = base_row(mid, "market", m, m.name)
        row["power_pool"], row["energisation"], row["energised_year"] = market_pool(m)
        rows.append(row)

    site_by_id = {s.id: s for s in scenario.sites}
    for s in scenario.sites:
        m = candidate_market(by_id[s.market], s)
        row = base_row(s.id, "site", m, s.name)
        row["own_price"] = s.price_usd_per_mwh is not None
        if s.power_schedule:
            pool = f"site:{s.id}"
            power = np.zeros(len(years))
            for step in s.power_schedule:
                power[year_arr >= step.year] = step.available_mw
            pools[pool] = power
            first = next((p.year for p in s.power_schedule if p.available_mw > 0), None)
            row["power_pool"] = pool
            row["energisation"] = "" if first is None else str(first)
            row["energised_year"] = 9999 if first is None else first
        else:
            row["power_pool"], row["energisation"], row["energised_year"] = market_pool(by_id[s.market])
        if s.build_lead_time_months is not None:
            row["lead_years"] = math.ceil(s.build_lead_time_months / 12 - 1e-9)
        if s.max_it_mw is not None:
            row["max_it_mw"] = s.max_it_mw
        if s.construction_cost_usd_per_mw is not None:
            row["capex_usd_per_mw"] = s.construction_cost_usd_per_mw
        rows.append(row)

    ppa_rows: list[dict[str, Any]] = []
    for d in scenario.deals:
        m = by_id[d.market]
        end = d.start_year + d.term_years - 1
        if d.kind == "ppa":
            cf, capture = _ppa_output(m, str(d.technology))
            ppa_rows.append({
                "deal": d.id, "market": m.id, "mw": d.capacity_mw, "start_year": d.start_year,
                "end_year": end, "price_usd_per_mwh": d.price_usd_per_mwh,
                "technology": d.technology, "capacity_factor": cf,
                "capture_price_usd_per_mwh": capture,
                "market_price_usd_per_mwh": m.price_usd_per_mwh,
                "take_or_pay_share": d.take_or_pay_share, "stage": d.stage,
            })
            continue
        site = site_by_id.get(d.site) if d.site is not None else None
        row = base_row(d.id, "deal", candidate_market(m, site), d.counterparty)
        rows.append(_deal_row(d, row, crf))
        active = (year_arr >= d.start_year) & (year_arr <= end)
        pools[f"deal:{d.id}"] = np.where(active, d.capacity_mw * float(row["pue"]), 0.0)

    candidates = pd.DataFrame(rows).set_index("candidate")[CANDIDATE_COLUMNS]
    candidates.index.name = "site"
    power_mw = pd.DataFrame(pools, index=years).T
    power_mw.columns.name = "year"
    ppas = pd.DataFrame(
        ppa_rows,
        columns=["deal", "market", "mw", "start_year", "end_year", "price_usd_per_mwh",
                 "technology", "capacity_factor", "capture_price_usd_per_mwh",
                 "market_price_usd_per_mwh", "take_or_pay_share", "stage"],
    ).set_index("deal")
    clusters = _clusters(scenario, candidates, by_id)
    return CandidateTables(candidates=candidates, power_mw=power_mw, ppas=ppas,
                           clusters=clusters, markets=by_id)


def _ppa_output(market: Market, technology: str) -> tuple[float, float]:
    """A PPA's capacity factor and capture price: its technology's hourly output in the market
    (:func:`gridfirst.procurement.stack.ppa_profile`) weighting the market's hourly grid price
    [-, USD/MWh]; a CfD settles each hour against that price, so the capture price is what the
    contract's energy is worth to the buyer."""
    from gridfirst.procurement.stack import ppa_profile
    from gridfirst.resources import market_profiles

    profiles = market_profiles(market)
    shape = ppa_profile(market, technology, profiles)
    energy = float(shape.sum())
    price = profiles["grid_price_usd_per_mwh"].to_numpy(float)
    capture = float(price @ shape) / energy if energy > 0 else float(price.mean())
    return float(shape.mean()), capture


def _deal_row(d: Deal, row: dict[str, Any], crf: float) -> dict[str, Any]:
    """A space deal as a candidate: its own MW and dates, rent, take-or-pay."""
    if d.price_usd_per_kw_month is not None:
        rent = d.price_usd_per_kw_month * 1000.0 * 12.0
    else:
        # No rent given: the market's annualised build cost is the stated stand-in.
        rent = row["capex_usd_per_mw"] * crf
    row.update({
        "power_pool": f"deal:{d.id}", "energisation": str(d.start_year),
        "energised_year": d.start_year, "lead_years": 0, "max_it_mw": d.capacity_mw,
        "deal_mw": d.capacity_mw, "deal_start_year": d.start_year,
        "deal_end_year": d.start_year + d.term_years - 1, "deal_usd_per_mw_year": rent,
        "take_or_pay_share": d.take_or_pay_share, "deal_stage": d.stage,
        "deal_site": d.site or "", "deal_energy": d.energy or DEAL_ENERGY[d.kind],
    })
    return row


def _clusters(scenario: Scenario, candidates: pd.DataFrame, markets: dict[str, Market]
              ) -> pd.DataFrame:
    """Shared-risk clusters: the site's own labels, its country, and a single cable corridor."""
    own = {s.id: s.risk_clusters for s in scenario.sites}
    deal_site = {d.id: d.site for d in scenario.deals}
    pairs: list[tuple[str, str]] = []
    for cid in candidates.index:
        labels = list(own.get(cid, []))
        if deal_site.get(cid) is not None:
            labels += own.get(str(deal_site[cid]), [])
        m = markets[str(candidates.at[cid, "market"])]
        labels.append(f"country:{m.country}")
        if len(m.cable_systems) == 1:
            labels.append(f"cable:{m.cable_systems[0]}")
        pairs += [(cid, label) for label in dict.fromkeys(labels)]
    return pd.DataFrame(pairs, columns=["site", "cluster"])
