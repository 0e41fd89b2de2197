"""What a scenario says about one site's procurement: the market it sees and the costs it pays.

A site falls back to its market for every field it leaves unset; the scenario's ``costs`` lie over
the sourced defaults. Shared by ``gridfirst procure`` and the plan so there is one rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridfirst.errors import ScenarioError

if TYPE_CHECKING:
    from gridfirst.procurement.costs import ProcurementCosts
    from gridfirst.scenario import Market, Scenario


def site_market(scenario: Scenario, site_id: str, market_id: str | None = None) -> Market:
    """The market a site's procurement sees: its market, with the site's own values where set.

    The site's coordinates (when both are set) and ``price_usd_per_mwh`` replace the market's;
    everything else (solar and wind CF, grid carbon intensity, ...) is the market's. The
    returned market keeps the market's id.

    Parameters
    ----------
    scenario : Scenario
        Scenario holding the site and its (resolved, possibly overridden) market.
    site_id : str
        Id of a site of the scenario, or of one of its markets (then the market itself).
    market_id : str, optional
        Market to fall back to; by default the site's own market (or ``site_id`` itself when it
        names a market rather than a site).

    Returns
    -------
    Market
        A copy of the market with the site's values laid over it.

    Raises
    ------
    ScenarioError
        ``site_id`` is neither a site nor a market of the scenario (with close matches).
    """
    site = next((s for s in scenario.sites if s.id == site_id), None)
    if site is None:
        if market_id is not None:
            return scenario.market(market_id)
        market_ids = [m.id for m in scenario.resolved_markets()]
        if site_id in market_ids:
            return scenario.market(site_id)
        import difflib

        known = [s.id for s in scenario.sites] + market_ids
        close = difflib.get_close_matches(site_id, known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ScenarioError(
            f"site: {site_id!r} is not a site or market of scenario {scenario.name!r}{hint}"
        )
    from gridfirst.scenario import candidate_market

    return candidate_market(scenario.market(market_id if market_id is not None else site.market), site)


def scenario_costs(scenario: Scenario) -> ProcurementCosts:
    """The scenario's procurement costs: its ``costs`` overrides laid over the sourced defaults.

    Raises
    ------
    DataError
        An unknown cost key or a bad value, naming ``scenario costs`` and the key.
    """
    from gridfirst.options import given_costs
    from gridfirst.procurement.costs import costs_from_mapping, default_costs

    given = given_costs(scenario.costs)
    if given:
        return costs_from_mapping(given, source="scenario costs")
    return default_costs()
