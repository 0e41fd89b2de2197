"""Tests of gridfirst.procurement.site: what a scenario's site and costs feed into procurement."""

from __future__ import annotations

import pytest

from gridfirst.errors import ScenarioError
from gridfirst.procurement import default_costs
from gridfirst.procurement.site import scenario_costs, site_market
from gridfirst.scenario import scenario_from_dict

_MARKET = "jp-tokyo-inzai"


def _scenario(**extra):  # type: ignore[no-untyped-def]
    data = {
        "name": "site-rules",
        "markets": {"include": [_MARKET, "au-sydney"],
                    "overrides": {_MARKET: {"price_usd_per_mwh": 80.0, "latitude": 35.8,
                                            "longitude": 140.1}}},
        "sites": [
            {"id": "own-price", "market": _MARKET, "price_usd_per_mwh": 40.0},
            {"id": "own-place", "market": _MARKET, "latitude": 36.5, "longitude": 139.5},
            {"id": "half-place", "market": _MARKET, "latitude": 36.5},
            {"id": "inherits", "market": _MARKET, "max_it_mw": 50},
        ],
        **extra,
    }
    return scenario_from_dict(data)


def test_site_values_lie_over_its_market() -> None:
    scen = _scenario()
    market = scen.market(_MARKET)
    priced = site_market(scen, "own-price")
    assert priced.price_usd_per_mwh == 40.0 and priced.id == _MARKET
    assert priced.model_dump(exclude={"price_usd_per_mwh"}) == market.model_dump(
        exclude={"price_usd_per_mwh"})
    placed = site_market(scen, "own-place")
    assert (placed.latitude, placed.longitude) == (36.5, 139.5)
    assert placed.price_usd_per_mwh == 80.0
    # a single coordinate cannot place a site: the market's pair is kept
    assert (site_market(scen, "half-place").latitude, site_market(scen, "half-place").longitude) == (
        35.8, 140.1)
    assert site_market(scen, "inherits") == market
    assert site_market(scen, _MARKET) == market  # a market id is the market itself
    # the plan's call: an explicit market for an id that is not a site
    assert site_market(scen, "deal-x", "au-sydney") == scen.market("au-sydney")


def test_unknown_site_names_close_matches() -> None:
    with pytest.raises(ScenarioError, match="'own-prise' is not a site or market.*own-price"):
        site_market(_scenario(), "own-prise")


def test_scenario_costs_lie_over_the_defaults() -> None:
    assert scenario_costs(_scenario()) == default_costs()
    costs = scenario_costs(_scenario(costs={"firm_marginal_usd_per_mwh": 3.0, "grid_limit_mw": 50}))
    assert costs.firm_marginal_usd_per_mwh == 3.0 and costs.grid_limit_mw == 50
    assert costs.solar_usd_per_mw_year == default_costs().solar_usd_per_mw_year
    # a bad cost is now refused when the scenario is validated, with its path
    with pytest.raises(ScenarioError, match=r"costs\.battery_charge_efficiency: 1\.5 is above 1"):
        scenario_costs(_scenario(costs={"battery_charge_efficiency": 1.5}))
