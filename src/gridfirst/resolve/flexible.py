"""Flexible (non-firm) grid connections: sites that accept curtailment connect earlier or larger.

Resolve-time only: turns a site's ``flexible_connection`` into its own power pool and an energy
surcharge for the curtailed energy; the portfolio model reads them like any other pool and price.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridfirst.errors import ScenarioError

if TYPE_CHECKING:
    from gridfirst.resolve.candidates import CandidateTables
    from gridfirst.scenario import Scenario

COLUMNS = [
    "site", "market", "zone", "curtailment_budget", "zone_headroom_mw", "flexible_mw",
    "flexible_from", "firm_from", "months_gained", "mw_gained", "value_usd_per_mwh",
    "curtailment_usd_per_mwh",
]


@dataclass(frozen=True)
class FlexDefaults:
    """Bundled defaults of a flexible connection (assumption rows with reasoning)."""

    value_usd_per_mwh: float
    lead_time_months: float


def flex_defaults() -> FlexDefaults:
    """The bundled value of curtailed energy [USD/MWh] and flexible lead time [months]."""
    from gridfirst.headroom.zones import headroom_dir

    table = pd.read_csv(headroom_dir() / "flexible_connection.csv").set_index("parameter")
    return FlexDefaults(float(table.at["value_usd_per_mwh", "value"]),
                        float(table.at["lead_time_months", "value"]))


def _label(decimal_year: float) -> str:
    year = math.floor(decimal_year + 1e-9)
    return f"{year}-{min(12, int(round((decimal_year - year) * 12)) + 1):02d}"


def apply_flexible_connections(scenario: Scenario, tables: CandidateTables) -> pd.DataFrame:
    """Give each site with a ``flexible_connection`` its own pool; return what it gained.

    A flexible site draws on a pool of its own: its firm schedule (if it has one; a site on its
    market's shared pool leaves it) plus, from ``start + lead time``, the zone's
    curtailment-enabled headroom at the site's budget, capped by the site's size (``max_it_mw``
    x PUE, else the market's ``grid_available_mw``). ``tables`` is changed in place.

    Returns
    -------
    pandas.DataFrame
        One row per flexible site (:data:`COLUMNS`): the MW and months gained over its firm
        connection and the surcharge on its energy for the curtailed energy
        (budget x value [USD/MWh]).
    """
    from gridfirst.headroom import curtailment_headroom, market_zone, shipped_zones, zone_load
    from gridfirst.resolve.candidates import energisation_year

    flexible = [s for s in scenario.sites if s.flexible_connection is not None]
    if not flexible:
        return pd.DataFrame(columns=COLUMNS)
    defaults = flex_defaults()
    years = np.asarray(scenario.horizon.years)
    start = int(years[0])
    cands, power = tables.candidates, tables.power_mw
    rows = []
    for site in flexible:
        fc = site.flexible_connection
        assert fc is not None
        market = tables.markets[site.market]
        zone = market_zone(site.market)
        if zone is None:
            raise ScenarioError(
                f"sites.{site.id}.flexible_connection: market {site.market!r} has no shipped "
                f"hourly load (zones {', '.join(shipped_zones()['zone'])} cover "
                f"{', '.join(sorted({m for ms in shipped_zones()['markets'] for m in ms.split(';')}))})"
            )
        headroom_mw = curtailment_headroom(zone_load(zone), fc.curtailment_budget).headroom_mw
        pue = float(cands.at[site.id, "pue"])
        size = site.max_it_mw * pue if site.max_it_mw is not None else market.grid_available_mw
        flex_mw = min(headroom_mw, float(size))
        lead = defaults.lead_time_months if fc.lead_time_months is None else fc.lead_time_months
        flex_when = start + lead / 12
        old_pool = str(cands.at[site.id, "power_pool"])
        firm = power.loc[old_pool].to_numpy(float)
        if site.power_schedule:
            own_firm = firm
            firm_when = float(cands.at[site.id, "energised_year"])
        else:  # leaves the market's shared pool: its only power is the flexible connection
            own_firm = np.zeros(len(years))
            firm_when = energisation_year(market, start)
        pool = f"flex:{site.id}"
        power.loc[pool] = own_firm + np.where(years >= math.floor(flex_when + 1e-9), flex_mw, 0.0)
        first_power = np.flatnonzero(power.loc[pool].to_numpy(float) > 0)
        cands.at[site.id, "power_pool"] = pool
        if first_power.size:
            cands.at[site.id, "energised_year"] = int(years[first_power[0]])
            cands.at[site.id, "energisation"] = _label(min(flex_when, firm_when))
        value = defaults.value_usd_per_mwh if fc.value_usd_per_mwh is None else fc.value_usd_per_mwh
        firm_at_flex = float(np.interp(math.floor(flex_when + 1e-9), years, firm)) if len(years) else 0.0
        rows.append({
            "site": site.id, "market": site.market, "zone": zone,
            "curtailment_budget": fc.curtailment_budget, "zone_headroom_mw": headroom_mw,
            "flexible_mw": flex_mw, "flexible_from": _label(flex_when),
            "firm_from": _label(firm_when),
            # no MW, no months: a connection that brings nothing is not earlier
            "months_gained": max(0.0, round((firm_when - flex_when) * 12, 1)) if flex_mw > 0 else 0.0,
            "mw_gained": flex_mw if site.power_schedule else flex_mw - firm_at_flex,
            "value_usd_per_mwh": value,
            "curtailment_usd_per_mwh": fc.curtailment_budget * value,
        })
    return pd.DataFrame(rows, columns=COLUMNS).set_index("site")


def flexible_notes(flexible: pd.DataFrame) -> list[str]:
    """One line per flexible site: MW and months gained, and what its curtailment costs."""
    notes = []
    for sid, r in flexible.iterrows():
        head = (f"site {sid}: flexible connection at {r.curtailment_budget:.2%} curtailment in "
                f"{r.zone} (zone headroom {r.zone_headroom_mw:,.0f} MW)")
        if r.flexible_mw <= 0:
            # say so: the site left its market's shared pool for a connection worth nothing
            notes.append(f"{head}: gives the site no power (no headroom at this budget, or a "
                         "site of size 0); it has only its own firm schedule, if any")
            continue
        notes.append(
            f"{head}: {r.flexible_mw:,.0f} MW from {r.flexible_from} against firm power from "
            f"{r.firm_from}, +{r.mw_gained:,.0f} MW, {r.months_gained:g} months earlier; "
            f"curtailed energy charged {r.curtailment_usd_per_mwh:,.2f} USD/MWh"
        )
    return notes
