"""The deal pipeline: a store of counterparties, sites and deals with their stage history.

A SQLite file by default, PostgreSQL by URL (:class:`DealStore`); the planner reads the live
deals through :func:`scenario_with_store_deals`. Nothing here optimises.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from gridfirst.deals.importer import read_csv, read_scenario_deals, to_csv, to_scenario_fragment
from gridfirst.deals.record import DealRecord
from gridfirst.deals.stages import STAGES, close_probabilities, stage_table
from gridfirst.deals.store import DealStore, database_url, default_url
from gridfirst.scenario import Scenario

__all__ = ["STAGES", "DealRecord", "DealStore", "close_probabilities", "database_url",
           "default_url", "read_csv", "read_scenario_deals", "scenario_with_store_deals",
           "stage_table", "to_csv", "to_scenario_fragment"]


def scenario_with_store_deals(scenario: Scenario, db: str | Path | None = None,
                              as_of: date | None = None) -> Scenario:
    """``scenario`` with the live deals of the store ``db`` (default ``scenario.deals_db``).

    A store deal replaces the scenario's deal of the same id and the others are added after the
    scenario's own, in id order; a store site that the scenario lacks becomes a scenario site
    (id, market, name, coordinates). When neither ``db`` nor ``scenario.deals_db`` is set the
    scenario is returned as it is.

    Raises
    ------
    StoreError
        The store cannot be opened.
    ScenarioError
        A store deal names a market the scenario does not have.
    """
    from gridfirst.scenario import scenario_from_dict

    source = db if db is not None else scenario.deals_db
    if source is None:
        return scenario
    with DealStore(source) as store:
        live = store.live_deals(as_of)
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    data["name"] = scenario.name
    data.pop("deals_db", None)
    ids = {r.id for r in live}
    deals = [d for d in data.get("deals", []) if d["id"] not in ids]
    deals += [r.scenario_deal().model_dump(mode="json", exclude_defaults=True) for r in live]
    data["deals"] = deals
    site_ids = {s.id for s in scenario.sites}
    sites = list(data.get("sites", []))
    for r in live:
        if r.site is not None and r.site not in site_ids:
            site: dict[str, object] = {"id": r.site, "market": r.market, "name": r.site_name}
            if r.site_latitude is not None and r.site_longitude is not None:
                site.update(latitude=r.site_latitude, longitude=r.site_longitude)
            sites.append(site)
            site_ids.add(r.site)
    data["sites"] = sites
    return scenario_from_dict(data, source=f"scenario {scenario.name} with deals of {store.url}")
