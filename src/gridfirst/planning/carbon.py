"""The plan's carbon: hourly CFE across its sites and Scope 2 emissions, location- and market-based.

Each chosen site's energy is its facility load (online IT MW x PUE, run flat all year) supplied as
its 24/7 procurement found per MWh: the hourly CFE score and the emissions of the grid energy it
still draws hour by hour. A space deal runs on its grid's mix.

Scope 2 follows the GHG Protocol Scope 2 Guidance (WRI/WBCSD, 2015):

- **location-based**: electricity taken from the grid at the grid's intensity. Energy bought
  through a virtual PPA or a contract for difference is physically taken from the grid too, so
  it counts at the grid's average intensity; physical PPAs, licensed imports and on-site supply
  do not;
- **market-based**: contractual instruments (every PPA, import and on-site option of the supply
  stack) at zero, the remaining grid draw at the grid's hourly intensity. The Guidance asks for
  a residual mix there; none is bundled, so the grid's own intensity stands in for it (it
  understates market-based emissions where others' certificates have been taken out of the mix).

A PPA the plan takes counts in the hours of the sites it serves, once
(:mod:`gridfirst.planning.contracts`): those site-years use the sites' procurement re-solved with
the PPA's share of output; the PPA is a contract for difference, so location-based it counts at
the grid's intensity like any financial contract.

Certificates and green tariffs (annual instruments of the supply stack) are not bought by the
plan, so they lower neither figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from gridfirst.planning.run import PlanResult

HOURS_PER_YEAR = 8760
#: Contracts whose energy is physically drawn from the grid (settled financially).
FINANCIAL_CONTRACTS = frozenset({"virtual_ppa", "cfd"})
BASIS = ("facility load = online IT MW x PUE, flat all year; per-MWh CFE and emissions from each "
         "site's hourly procurement; Scope 2 per GHG Protocol Scope 2 Guidance (2015), market-"
         "based with the grid intensity standing in for the residual mix")
SITE_COLUMNS = ["site", "market", "year", "facility_mwh", "cfe_score", "scope2_location_tco2",
                "scope2_market_tco2", "power"]


def _per_mwh(result: PlanResult, site: str, market_id: str, year: int | None = None
             ) -> dict[str, Any] | None:
    """CFE score and Scope 2 factors [tCO2/MWh] of one site's energy (in ``year``, where the
    plan's PPAs serve it: :mod:`gridfirst.planning.contracts`)."""
    markets = {m.id: m for m in result.scenario.resolved_markets()}
    market = markets.get(market_id)
    intensity = float(market.grid_intensity_tco2_per_mwh) if market is not None else float("nan")
    if site in {d.id for d in result.scenario.deals}:
        share = float(market.grid_cfe_share) if market is not None else float("nan")
        return {"cfe_score": share, "location": intensity, "market": intensity,
                "power": "grid mix (space deal)"}
    proc = result.procurement
    key = site if site in proc.index else market_id
    contracts = getattr(result, "contracts", None)
    with_ppa = contracts.record(site, year) if contracts is not None and year is not None else None
    if with_ppa is not None:
        rec, key = with_ppa, str(with_ppa.name)
    elif key in proc.index:
        rec = proc.loc[key]
    else:
        return None
    load = float(rec["load_mwh"])
    if load <= 0:
        return None
    grid_tco2 = float(rec["emissions_tco2"])
    supply = rec["supply"] if "supply" in rec.index and isinstance(rec["supply"], list) else []
    virtual = sum(float(s.get("mwh", 0.0)) for s in supply
                  if s.get("contract") in FINANCIAL_CONTRACTS)
    return {"cfe_score": float(rec["cfe_score"]),
            "location": (grid_tco2 + virtual * intensity) / load,
            "market": grid_tco2 / load, "power": f"procured as {key}"}


def plan_carbon(result: PlanResult) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Carbon of the plan by site and year, and totals by year.

    Returns
    -------
    (by_site, by_year) : pandas.DataFrame
        ``by_site``: :data:`SITE_COLUMNS`; ``by_year``: ``year, facility_mwh, cfe_score`` (energy
        weighted hourly CFE across the sites), ``scope2_location_tco2``, ``scope2_market_tco2``.
    """
    builds = result.portfolio.builds
    rows = []
    if not builds.empty:
        online = builds[builds["online_mw"] > 1e-6]
        factors: dict[tuple[str, int | None], dict[str, Any] | None] = {}
        contracts = getattr(result, "contracts", None)
        served = (set(zip(contracts.site_years["site"], contracts.site_years["year"], strict=True))
                  if contracts is not None else set())
        for row in online.itertuples(index=False):
            site, market_id = str(row.site), str(row.market)
            at = (site, int(row.year) if (site, int(row.year)) in served else None)
            if at not in factors:
                factors[at] = _per_mwh(result, site, market_id, at[1])
            f = factors[at]
            if f is None:
                continue
            mwh = float(row.online_mw) * float(row.pue) * HOURS_PER_YEAR
            rows.append({"site": site, "market": market_id, "year": int(row.year),
                         "facility_mwh": mwh, "cfe_score": f["cfe_score"],
                         "scope2_location_tco2": mwh * f["location"],
                         "scope2_market_tco2": mwh * f["market"], "power": f["power"]})
    by_site = pd.DataFrame(rows, columns=SITE_COLUMNS)
    if by_site.empty:
        return by_site, pd.DataFrame(columns=["year", "facility_mwh", "cfe_score",
                                              "scope2_location_tco2", "scope2_market_tco2"])
    weighted = by_site.assign(cfe_mwh=by_site["cfe_score"] * by_site["facility_mwh"])
    by_year = weighted.groupby("year", as_index=False)[
        ["facility_mwh", "cfe_mwh", "scope2_location_tco2", "scope2_market_tco2"]].sum()
    by_year["cfe_score"] = np.where(by_year["facility_mwh"] > 0,
                                    by_year["cfe_mwh"] / by_year["facility_mwh"], np.nan)
    by_year = by_year[["year", "facility_mwh", "cfe_score", "scope2_location_tco2",
                       "scope2_market_tco2"]]
    return by_site, by_year
