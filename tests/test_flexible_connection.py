"""A site that accepts curtailment connects earlier: its pool, its surcharge, the plan's words."""

from __future__ import annotations

import pytest

from gridfirst.errors import ScenarioError
from gridfirst.headroom import curtailment_headroom, zone_load
from gridfirst.portfolio import portfolio_inputs, solve_portfolio
from gridfirst.resolve import resolve
from gridfirst.resolve.flexible import flex_defaults, flexible_notes
from gridfirst.scenario import Scenario, scenario_from_dict


def _scenario(flexible: dict | None, max_it_mw: float = 100.0) -> Scenario:
    site = {"id": "ashburn", "market": "us-northern-virginia", "max_it_mw": max_it_mw}
    if flexible is not None:
        site["flexible_connection"] = flexible
    points = [{"region": "east", "year": y, "workload": "training", "mw": 80.0}
              for y in range(2026, 2036)]
    return scenario_from_dict({
        "name": "flex",
        "horizon": {"start_year": 2026, "end_year": 2035},
        "markets": {"include": ["us-northern-virginia"]},
        "sites": [site],
        "policy": {"training_legal_regimes": ["yes", "limited", "no"], "max_share_per_country": 1.0},
        "demand": {"regions": [{"id": "east", "name": "East", "city": "Washington", "latitude": 39.0, "longitude": -77.5}],
                   "points": points},
    })


def test_a_flexible_site_gets_the_zone_headroom_earlier_and_pays_for_curtailment() -> None:
    firm = resolve(_scenario(None))
    flex = resolve(_scenario({"curtailment_budget": 0.005}))
    row = flex.flexible.loc["ashburn"]
    pue = float(flex.candidates.at["ashburn", "pue"])
    # PJM's headroom at 0.5 % is ~18 GW, so the site's own size caps the connection
    assert row["zone"] == "PJM"
    assert row["zone_headroom_mw"] == pytest.approx(curtailment_headroom(zone_load("PJM"), 0.005).headroom_mw)
    assert row["flexible_mw"] == pytest.approx(100.0 * pue)
    pool = flex.power_mw.loc[flex.candidates.at["ashburn", "power_pool"]]
    lead = flex_defaults().lead_time_months
    assert pool[2026 + int(lead // 12)] == pytest.approx(100.0 * pue) and pool[2026] == 0.0
    firm_year = int(firm.candidates.at["ashburn", "energised_year"])
    assert row["months_gained"] == pytest.approx(
        (float(firm_year) + (int(firm.candidates.at["ashburn", "energisation"][-2:]) - 1) / 12
         - 2026 - lead / 12) * 12, abs=0.6)
    assert row["months_gained"] > 0
    # the curtailed energy is paid at its value: budget x value on every MWh drawn
    surcharge = flex.energy_usd_per_mwh["ashburn"] - firm.energy_usd_per_mwh["ashburn"]
    assert surcharge == pytest.approx(0.005 * flex_defaults().value_usd_per_mwh)
    assert "months earlier" in flexible_notes(flex.flexible)[0]


def test_the_portfolio_builds_sooner_on_a_flexible_connection() -> None:
    def first_online(scenario: Scenario) -> int:
        result = solve_portfolio(portfolio_inputs(resolve(scenario)))
        b = result.builds
        on = b[(b["site"] == "ashburn") & (b["online_mw"] > 1e-6)]
        return int(on["year"].min()) if not on.empty else 9999

    assert first_online(_scenario({"curtailment_budget": 0.005})) < first_online(_scenario(None))


def test_a_flexible_site_in_a_zone_without_load_data_is_named() -> None:
    data = _scenario({"curtailment_budget": 0.01}).model_dump()
    data["markets"] = {"include": ["us-northern-virginia", "au-sydney"]}
    data["sites"][0]["market"] = "au-sydney"
    with pytest.raises(ScenarioError, match="sites.ashburn.flexible_connection: market 'au-sydney'"):
        resolve(scenario_from_dict(data))


def test_a_budget_of_one_or_more_is_refused_by_the_scenario() -> None:
    with pytest.raises(ScenarioError):
        _scenario({"curtailment_budget": 1.0})
