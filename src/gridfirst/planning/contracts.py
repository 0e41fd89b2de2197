"""The plan's PPAs hour by hour: each signed PPA's output in the hourly CFE of the sites it serves.

Per-site procurement runs before the portfolio picks sites, so it cannot know which PPA serves
which site. Once the plan is chosen, each PPA the plan takes serves the built sites of its
declared site, else of its market (space deals run on their grid's mix and take none). In every
year of its term its output, MW x its technology's hourly profile, is split across those sites
pro rata to their facility energy (online IT MW x PUE), so every served site gets the same share
of its load and each MWh is credited once. Each served site's procurement is solved again with
its share as a fixed, grid-settled option (:mod:`gridfirst.procurement.contract`): the site takes
the contract's hours where its load can use them, and the rest of its stack is re-optimised
around them. The contract for difference settles strike against the hourly price on all of the
PPA's output.

The portfolio's choice of sites and its cost are not revisited (the PPA's settlement is already
in the portfolio's objective at its capture price); the site-years here feed the plan's carbon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from gridfirst.portfolio.result import PortfolioResult
    from gridfirst.resolve import Resolved, ResultCache
    from gridfirst.resolve.energy import ProcurementTask, RunMap

HOURS_PER_YEAR = 8760
#: Relative rounding of a share's MW in the site's LP: years whose shares differ by less than
#: this are solved once (the credited MWh always use the exact share).
SHARE_ROUNDING = 3

DEAL_COLUMNS = ["deal", "technology", "market", "mw", "capacity_factor", "mwh_per_year",
                "strike_usd_per_mwh", "capture_price_usd_per_mwh", "settlement_usd_per_year",
                "served_by", "sites"]
SHARE_COLUMNS = ["deal", "site", "market", "year", "load_share", "credited_mwh", "matched_mwh",
                 "matched_share", "cfe_score_without", "cfe_score", "cost_usd_per_mwh_without",
                 "cost_usd_per_mwh", "settlement_usd", "procured_as"]


@dataclass
class PlanContracts:
    """The plan's PPAs in its sites' hourly procurement.

    Attributes
    ----------
    deals : pandas.DataFrame
        One row per PPA the plan takes (:data:`DEAL_COLUMNS`): its annual output [MWh], capture
        price and CfD settlement a year [USD/yr, positive = the buyer pays], and which sites it
        serves (``served_by`` says whether by its declared site or its market).
    shares : pandas.DataFrame
        One row per PPA, served site and year (:data:`SHARE_COLUMNS`): its share of the site
        load [-], the PPA MWh credited to the site, how many of them the site's load matches
        hour by hour, the site's CFE score and procured energy cost [USD/MWh] without and with
        the PPA, and the site's part of the CfD settlement [USD].
    procurement : pandas.DataFrame
        Procurement records of the re-solved sites (:data:`gridfirst.resolve.energy.
        RECORD_COLUMNS`), index ``procured_as`` (``<site>+<deal>@<year>``).
    site_years : pandas.DataFrame
        ``site, year, procured_as``: which record a site-year's carbon uses.
    """

    deals: pd.DataFrame
    shares: pd.DataFrame
    procurement: pd.DataFrame
    site_years: pd.DataFrame

    def record(self, site: str, year: int) -> pd.Series | None:
        """The procurement record of a site in a year when PPAs serve it, else None."""
        sel = self.site_years[(self.site_years["site"] == site) & (self.site_years["year"] == year)]
        if sel.empty:
            return None
        return self.procurement.loc[str(sel["procured_as"].iloc[0])]


def empty_contracts() -> PlanContracts:
    return PlanContracts(pd.DataFrame(columns=DEAL_COLUMNS), pd.DataFrame(columns=SHARE_COLUMNS),
                         pd.DataFrame(), pd.DataFrame(columns=["site", "year", "procured_as"]))


def _round(value: float) -> float:
    return float(f"{value:.{SHARE_ROUNDING}g}") if value > 0 else 0.0


def _served(resolved: Resolved, portfolio: PortfolioResult) -> dict[str, tuple[str, list[str]]]:
    """Per PPA the plan takes: how its sites are chosen and the built sites it serves."""
    scenario = resolved.scenario
    taken = set(portfolio.signed_deals)
    if not portfolio.recommended_deals.empty:
        taken |= set(portfolio.recommended_deals["deal"].astype(str))
    space = {d.id for d in scenario.deals if d.kind != "ppa"}
    builds = portfolio.builds
    built = builds[builds["online_mw"] > 1e-6] if not builds.empty else builds
    out: dict[str, tuple[str, list[str]]] = {}
    for deal in scenario.deals:
        if deal.kind != "ppa" or deal.id not in taken:
            continue
        sites = sorted({str(s) for s in built["site"]} - space) if not built.empty else []
        if deal.site is not None and deal.site in sites:
            out[deal.id] = ("site", [deal.site])
            continue
        in_market = sorted({str(s) for s, m in zip(built["site"], built["market"], strict=True)
                            if str(m) == deal.market} - space) if not built.empty else []
        out[deal.id] = ("market", in_market)
    return out


def plan_contracts(
    resolved: Resolved,
    portfolio: PortfolioResult,
    run_map: RunMap,
    cache: ResultCache,
) -> PlanContracts:
    """Put the plan's PPAs into the hourly procurement of the sites they serve.

    Parameters
    ----------
    resolved : Resolved
        The resolved scenario with its procurement (``energy=True``).
    portfolio : PortfolioResult
        The chosen plan: which PPAs it takes, which sites it builds and when.
    run_map, cache
        As :func:`gridfirst.resolve.energy.procure_sites` (the plan's executor and cache).
    """
    from gridfirst.procurement.contract import (
        ContractShare,
        cfd_settlement_usd,
        contract_profile,
    )
    from gridfirst.resolve import procurement_tasks
    from gridfirst.resolve.energy import procure_sites
    from gridfirst.resources import market_profiles

    served = _served(resolved, portfolio)
    if not served or resolved.procurement is None:
        return empty_contracts()
    scenario = resolved.scenario
    deals = {d.id: d for d in scenario.deals}
    base = {t.site: t for t in procurement_tasks(resolved)}
    builds = portfolio.builds
    facility = builds.assign(facility_mw=builds["online_mw"] * builds["pue"])
    facility = facility[facility["online_mw"] > 1e-6]

    deal_rows: list[dict[str, Any]] = []
    # (site, year) -> list of (deal, exact MW share of the deal, MW in the site's LP)
    per_site_year: dict[tuple[str, int], list[tuple[str, float, float]]] = {}
    profiles: dict[str, np.ndarray] = {}
    for deal_id, (how, sites) in served.items():
        d = deals[deal_id]
        market = scenario.market(d.market)
        probe = ContractShare(deal_id, str(d.technology), market, float(d.capacity_mw),
                              float(d.price_usd_per_mwh or 0.0))
        profile = contract_profile(probe, seed=resolved.seed)
        profiles[deal_id] = profile
        price = market_profiles(market, seed=resolved.seed)["grid_price_usd_per_mwh"].to_numpy(float)
        mwh = float(profile.sum()) * float(d.capacity_mw)
        capture = float(price @ profile) / float(profile.sum()) if profile.sum() > 0 else math.nan
        deal_rows.append({
            "deal": deal_id, "technology": d.technology, "market": d.market,
            "mw": float(d.capacity_mw), "capacity_factor": float(profile.mean()),
            "mwh_per_year": mwh, "strike_usd_per_mwh": probe.strike_usd_per_mwh,
            "capture_price_usd_per_mwh": capture,
            "settlement_usd_per_year": cfd_settlement_usd(probe, profile, price),
            "served_by": how, "sites": ";".join(s for s in sites if s in base),
        })
        end = d.start_year + d.term_years - 1
        mine = facility[facility["site"].isin([s for s in sites if s in base])
                        & facility["year"].between(d.start_year, end)]
        for year, frame in mine.groupby("year"):
            total = float(frame["facility_mw"].sum())
            if total <= 0:
                continue
            for row in frame.itertuples(index=False):
                share = float(row.facility_mw) / total
                lp_mw = float(d.capacity_mw) * base[str(row.site)].load_mw / total
                per_site_year.setdefault((str(row.site), int(year)), []).append(
                    (deal_id, share, _round(lp_mw)))

    tasks: dict[str, ProcurementTask] = {}
    site_years: list[dict[str, Any]] = []
    procured_as: dict[tuple[str, int], str] = {}
    for (site, year), items in sorted(per_site_year.items()):
        task = base[site]
        shares = tuple(
            ContractShare(deal_id, str(deals[deal_id].technology),
                          scenario.market(deals[deal_id].market), lp_mw,
                          float(deals[deal_id].price_usd_per_mwh or 0.0))
            for deal_id, _, lp_mw in sorted(items))
        name = f"{site}+" + "+".join(f"{c.deal}:{c.mw:g}MW" for c in shares)
        tasks.setdefault(name, replace(task, site=name, contracts=shares))
        site_years.append({"site": site, "year": year, "procured_as": name})
        procured_as[(site, year)] = name
    procurement = procure_sites(list(tasks.values()), run_map, cache) if tasks else pd.DataFrame()

    share_rows = []
    without = resolved.procurement
    for (site, year), items in sorted(per_site_year.items()):
        name = procured_as[(site, year)]
        rec = procurement.loc[name]
        plain = without.loc[site] if site in without.index else None
        supply = {str(s["option"]): s for s in rec["supply"]}
        for deal_id, share, lp_mw in items:
            d = deals[deal_id]
            profile = profiles[deal_id]
            credited = share * float(d.capacity_mw) * float(profile.sum())
            available = lp_mw * float(profile.sum())
            used = float(supply.get(deal_id, {}).get("mwh", 0.0))
            matched_share = min(1.0, used / available) if available > 0 else 0.0
            deal_row = next(r for r in deal_rows if r["deal"] == deal_id)
            share_rows.append({
                "deal": deal_id, "site": site, "market": str(rec["market"]), "year": year,
                "load_share": share, "credited_mwh": credited,
                "matched_mwh": credited * matched_share, "matched_share": matched_share,
                "cfe_score_without": float(plain["cfe_score"]) if plain is not None else math.nan,
                "cfe_score": float(rec["cfe_score"]),
                "cost_usd_per_mwh_without": (float(plain["cost_usd_per_mwh"])
                                             if plain is not None else math.nan),
                "cost_usd_per_mwh": float(rec["cost_usd_per_mwh"]),
                "settlement_usd": share * float(deal_row["settlement_usd_per_year"]),
                "procured_as": name,
            })
    return PlanContracts(
        deals=pd.DataFrame(deal_rows, columns=DEAL_COLUMNS),
        shares=pd.DataFrame(share_rows, columns=SHARE_COLUMNS),
        procurement=procurement,
        site_years=pd.DataFrame(site_years, columns=["site", "year", "procured_as"]),
    )
