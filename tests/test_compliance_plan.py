"""Compliance in the plan: export controls screen, license waits and denial risk, threat, residency."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from typing import Any

import numpy as np
import pytest
import yaml

from gridfirst.errors import ScenarioError
from gridfirst.portfolio import portfolio_inputs, solve_portfolio
from gridfirst.resolve import resolve
from gridfirst.risk.uncertainty import disruption_rate_per_year, risk_options, threat_share
from gridfirst.scenario import example_path, scenario_from_dict
from gridfirst.scoring import rank_markets

EXAMPLE = yaml.safe_load(example_path().read_text())


def _example(**changes: Any) -> Any:
    data = copy.deepcopy(EXAMPLE)
    data.update(changes)
    return scenario_from_dict(data)


def test_training_ranking_of_every_bundled_market_screens_denied_ones_with_the_rule() -> None:
    data = copy.deepcopy(EXAMPLE)
    data["markets"] = {}  # every bundled market
    result = rank_markets(scenario_from_dict(data), profile="training", use_network=False)
    out = result.screened_out.set_index("market_id")
    assert "hk-hong-kong" in out.index
    assert "export_controls" in out.loc["hk-hong-kong", "policy_fields"]
    assert "US-BIS-2022-CN" in out.loc["hk-hong-kong", "rule"]
    assert "hk-hong-kong" not in result.table.index
    assert any("vn-ho-chi-minh" in n and "licence" in n for n in result.notes)


def test_the_example_plan_builds_nothing_where_chips_are_denied() -> None:
    resolved = resolve(_example(), use_network=False)
    blocked = resolved.compliance.index[
        resolved.compliance["status"].isin(["presumption_of_denial", "prohibited"])]
    assert "hk-hong-kong" in blocked
    plan = solve_portfolio(portfolio_inputs(resolved), mip_gap=0.01, time_limit_s=60)
    built = plan.builds[plan.builds["online_mw"] > 1e-6]
    markets = set(resolved.candidates.loc[built["site"], "market"])
    assert not markets & set(blocked)


def test_a_licence_required_market_waits_and_carries_denial_risk_unless_licensed() -> None:
    without = resolve(_example(), use_network=False)
    vn = without.candidates.loc["vn-ho-chi-minh"]
    assert vn["export_status"] == "licence_required"
    assert vn["denial_probability"] > 0 and vn["licence_lead_time_months"] > 0
    inputs = portfolio_inputs(without)
    assert inputs.sites.at["vn-ho-chi-minh", "risk_penalty_usd_per_mw_year"] == pytest.approx(
        vn["denial_probability"] * inputs.sites.at["vn-ho-chi-minh", "capex_usd_per_mw_year"])
    rule = str(without.compliance.at["vn-ho-chi-minh", "rule"])
    buyer = {**EXAMPLE["buyer"], "licences": [f"{rule}@VN"]}
    held = resolve(_example(buyer=buyer), use_network=False)
    assert held.candidates.at["vn-ho-chi-minh", "export_status"] == "allowed"
    assert held.candidates.at["vn-ho-chi-minh", "denial_probability"] == 0
    assert portfolio_inputs(held).sites.at["vn-ho-chi-minh", "risk_penalty_usd_per_mw_year"] == 0
    # a licence wait longer than the build pushes the lead time out
    assert without.candidates.at["vn-ho-chi-minh", "lead_years"] >= held.candidates.at[
        "vn-ho-chi-minh", "lead_years"]


def test_taipei_is_at_least_as_threatened_as_ohio_and_risk_follows() -> None:
    data = copy.deepcopy(EXAMPLE)
    data["markets"] = {"include": ["tw-taipei", "us-ohio"]}
    data["sites"], data["deals"] = [], []
    resolved = resolve(scenario_from_dict(data), use_network=False)
    mt = resolved.markets_table
    assert mt.at["tw-taipei", "threat_exposure"] >= mt.at["us-ohio", "threat_exposure"]
    share = threat_share(mt)
    rate = disruption_rate_per_year(risk_options().disruption, share, np.zeros(2),
                                    np.zeros(2, dtype=int))
    order = list(mt.index)
    assert rate[order.index("tw-taipei")] > rate[order.index("us-ohio")]


def test_an_as_of_date_before_a_rule_does_not_apply_it() -> None:
    early = resolve(_example(buyer={**EXAMPLE["buyer"], "as_of": "2022-01-01"}), use_network=False)
    assert early.compliance.at["hk-hong-kong", "status"] == "allowed"
    run = subprocess.run([sys.executable, "-m", "gridfirst", "compliance", "--as-of",
                          "2022-01-01", "--format", "json"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    rows = {r["market_id"]: r for r in json.loads(run.stdout)}
    assert rows["hk-hong-kong"]["status"] == "allowed"
    now = subprocess.run([sys.executable, "-m", "gridfirst", "compliance", "--format", "json"],
                         capture_output=True, text=True, timeout=120)
    rows = {r["market_id"]: r for r in json.loads(now.stdout)}
    assert rows["hk-hong-kong"]["status"] == "presumption_of_denial"
    assert {"market_id", "country", "status", "rule", "source_id", "effective"} <= set(
        rows["hk-hong-kong"])


@pytest.mark.parametrize(("buyer", "expected"), [
    ({"jurisdiction": "US", "accelerators": ["b300-super"]}, "buyer.accelerators: 'b300-super'"),
    ({"jurisdiction": "XX", "accelerators": ["gb200-nvl72"]}, "buyer.jurisdiction"),
    ({"jurisdiction": "US", "accelerators": []}, "buyer.accelerators"),
    ({"jurisdiction": "US", "accelerators": ["gb200-nvl72"], "as_of": "someday"}, "buyer.as_of"),
])
def test_a_bad_buyer_is_a_named_error(buyer: dict[str, Any], expected: str) -> None:
    with pytest.raises(ScenarioError, match=expected.replace(".", r"\.")):
        _example(buyer=buyer)


def test_data_residency_keeps_a_region_in_country_and_explains_its_shortfall() -> None:
    data = copy.deepcopy(EXAMPLE)
    for region in data["demand"]["regions"]:
        if region["id"] == "seoul":
            region["serve_from"] = ["KR"]
            region["residency_basis"] = "example: a public-sector workload kept in Korea"
    resolved = resolve(scenario_from_dict(data), use_network=False)
    plan = solve_portfolio(portfolio_inputs(resolved), mip_gap=0.01, time_limit_s=60)
    served = plan.allocation[(plan.allocation["region"] == "seoul") & (plan.allocation["mw"] > 1e-6)]
    assert set(resolved.candidates.loc[served["site"], "country"]) <= {"KR"}
    short = plan.shortfalls[plan.shortfalls["region"] == "seoul"]
    if not short.empty:
        assert short["binding"].str.contains("data residency|power|lead time").all()
    with pytest.raises(ScenarioError, match=r"serve_from\[0\]"):
        bad = copy.deepcopy(data)
        bad["demand"]["regions"][0]["serve_from"] = ["Narnia"]
        scenario_from_dict(bad)
