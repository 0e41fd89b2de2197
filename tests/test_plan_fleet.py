"""The plan's training sites as one flexible fleet: its own runs when nothing moves, never dearer
when training may move, all the work served, reported in plan.json and the report."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_fixtures import plan_to, small_scenario_dict, write_yaml

from gridfirst.planning import PlanResult
from gridfirst.planning.fleet import plan_fleet, training_loads_mw
from gridfirst.procurement.fleet import market_lp
from gridfirst.procurement.solve import solve_lp
from gridfirst.resolve import ResultCache
from gridfirst.resolve.resolved import supply_year
from gridfirst.scenario import load_scenario

SHARE = 0.2
#: Two training sites with different loads (the small plan trains at one site only).
LOADS = {"au-sydney": 60.0, "jp-tokyo-inzai": 110.0}


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[PlanResult, Path]:
    folder = tmp_path_factory.mktemp("fleet-plan")
    data = small_scenario_dict(name="fleet-plan")
    data["options"]["plan"]["flexible_training_share"] = SHARE
    data["options"]["plan"]["sensitivity_samples"] = 0
    scenario = write_yaml(data, folder / "scenario.yaml")
    out = folder / "out"
    cache = ResultCache(tmp_path_factory.mktemp("fleet-cache"))
    return plan_to(out, scenario, cache=cache), out


def _two_sites(result: PlanResult) -> object:
    """The plan's portfolio with its training split over two sites (as a larger plan would)."""
    rows = [{"site": s, "region": "training", "workload": "training", "year": 2030, "mw": mw}
            for s, mw in LOADS.items()]
    return replace(result.portfolio, allocation=pd.DataFrame(rows))


def test_plan_json_and_report_hold_the_fleet(planned: tuple[PlanResult, Path]) -> None:
    result, out = planned
    loads = training_loads_mw(result.portfolio)
    assert result.fleet is not None and loads
    fleet = json.loads((out / "plan.json").read_text())["fleet"]
    assert fleet["sites"] == list(loads)
    assert fleet["share"] == SHARE
    assert fleet["savings_usd"] == pytest.approx(
        fleet["independent_objective_usd"] - fleet["objective_usd"])
    assert fleet["lp_objective_usd"] <= fleet["independent_lp_objective_usd"] * (1 + 1e-4)
    assert 0.0 <= fleet["cfe_score"] <= 1.0
    hours = 8760
    total = sum(loads.values()) * hours
    assert fleet["cost_usd_per_mwh"] == pytest.approx(fleet["objective_usd"] / total, rel=1e-9)
    html = next(out.glob("*.html")).read_text()
    assert "sec-fleet" in html and "Flexible training" in html


def test_no_share_runs_no_fleet(planned: tuple[PlanResult, Path]) -> None:
    result, _ = planned
    assert result.scenario.options.plan.flexible_training_share == SHARE
    data = small_scenario_dict()
    assert "flexible_training_share" not in data["options"]["plan"]
    from gridfirst.planning.run import _run_fleet

    seconds: dict[str, float] = {}
    assert result.resolved is not None
    off = replace(result.resolved, scenario=result.resolved.scenario.model_copy(update={
        "options": result.scenario.options.model_copy(update={
            "plan": result.scenario.options.plan.model_copy(
                update={"flexible_training_share": 0.0})})}))
    assert _run_fleet(off, result.portfolio, seconds) is None and "fleet" not in seconds


def test_share_zero_is_the_sites_own_runs(planned: tuple[PlanResult, Path]) -> None:
    result, _ = planned
    resolved = result.resolved
    assert resolved is not None
    fleet = plan_fleet(resolved, _two_sites(result), 0.0, hours=48, method="highs")  # type: ignore[arg-type]
    assert fleet is not None
    opts = resolved.options.plan
    own = [solve_lp(market_lp(resolved.candidate_markets[s], resolved.policy.cfe_target,
                              costs=resolved.costs, seed=resolved.seed, load_mw=mw,
                              supply=opts.procurement_supply, year=supply_year(resolved),
                              hours=48), method="highs")
           for s, mw in LOADS.items()]
    assert fleet.objective_usd == pytest.approx(sum(r.objective_usd for r in own), rel=1e-6)
    assert fleet.savings_usd == pytest.approx(0.0, abs=1e-6 * fleet.objective_usd)
    assert fleet.lp_objective_usd == pytest.approx(fleet.independent_lp_objective_usd, rel=1e-6)
    assert fleet.cfe_score == pytest.approx(fleet.independent_cfe_score, abs=1e-6)
    assert list(fleet.sites["site"]) == sorted(LOADS, key=LOADS.__getitem__, reverse=True)
    by_site = fleet.sites.set_index("site")
    for site, single in zip(LOADS, own, strict=True):
        assert by_site.at[site, "fleet_cost_usd_per_mwh"] == pytest.approx(
            single.cost_usd_per_mwh, rel=1e-6)
        assert by_site.at[site, "own_cost_usd_per_mwh"] == pytest.approx(
            single.cost_usd_per_mwh, rel=1e-6)


@settings(max_examples=4, deadline=None)
@given(share=st.floats(0.05, 0.5))
def test_flexible_training_never_costs_more_and_serves_all_work(
    planned: tuple[PlanResult, Path], share: float
) -> None:
    result, _ = planned
    assert result.resolved is not None
    portfolio = _two_sites(result)
    hours = 48
    fleet = plan_fleet(result.resolved, portfolio, share, hours=hours, method="highs")  # type: ignore[arg-type]
    less = plan_fleet(result.resolved, portfolio, share / 2, hours=hours, method="highs")  # type: ignore[arg-type]
    assert fleet is not None and less is not None
    # more freedom never costs more (what the LPs minimise, with a soft target's penalty): the
    # sites on their own, then half the share, then the share
    assert less.lp_objective_usd <= less.independent_lp_objective_usd * (1 + 1e-7)
    assert fleet.lp_objective_usd <= less.lp_objective_usd * (1 + 1e-7)
    assert fleet.independent_lp_objective_usd == pytest.approx(less.independent_lp_objective_usd)
    # the training work is all served: what the sites consume is what arrived
    consumed = fleet.sites["fleet_load_mwh"].sum()
    assert consumed == pytest.approx(sum(LOADS.values()) * hours, rel=1e-6)
    # no site takes more than its load plus its flexible part again
    for row in fleet.sites.itertuples():
        assert row.fleet_load_mwh <= (1 + share) * row.load_mw * hours * (1 + 1e-6)


def test_bad_options_get_named_errors(tmp_path: Path) -> None:
    from gridfirst.errors import GridfirstError

    for key, value, words in (("flexible_training_share", 1.5, "is above 1"),
                              ("flexible_transfer_mw", -3.0, "is below 0"),
                              ("flexible_training_sites", 0, "is below 1")):
        data = small_scenario_dict()
        data["options"]["plan"][key] = value
        path = write_yaml(data, tmp_path / f"{key}.yaml")
        with pytest.raises(GridfirstError, match=f"options.plan.{key}: .*{words}"):
            load_scenario(path)
