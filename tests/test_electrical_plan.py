"""Facility electrical design in the plan (options.plan.electrical): cost per MW, availability,
the risk model's per-site outages and the report's one-line diagrams."""

from __future__ import annotations

import copy
import re
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from plan_fixtures import plan_to, small_scenario_dict

from gridfirst.errors import ScenarioError
from gridfirst.planning import PlanResult, ResultCache
from gridfirst.portfolio import portfolio_inputs
from gridfirst.resolve import resolve
from gridfirst.resolve.electrical import ELECTRICAL_COLUMNS, critical_share
from gridfirst.risk.evaluate import evaluate_block
from gridfirst.risk.problem import problem_from_plan
from gridfirst.scenario import scenario_from_dict


def _with_electrical(data: dict[str, Any], **electrical: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    out["options"]["plan"]["electrical"] = electrical
    return out


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return small_scenario_dict(scale=3.0, name="electrical-plan")


@pytest.fixture(scope="module")
def plain(base: dict[str, Any]) -> Any:
    return resolve(scenario_from_dict(base), use_network=False)


@pytest.fixture(scope="module")
def designed(base: dict[str, Any]) -> Any:
    return resolve(scenario_from_dict(_with_electrical(base, topology="2N", rack_kw=130)),
                   use_network=False)


def test_unset_keeps_the_flat_construction_cost_and_the_portfolio_inputs(
        base: dict[str, Any], plain: Any, designed: Any) -> None:
    c = plain.candidates
    assert plain.electrical == {}
    assert not set(ELECTRICAL_COLUMNS) & set(c.columns)
    markets = {m.id: m for m in plain.markets}
    for cid, row in c[c["kind"] == "market"].iterrows():
        assert row["capex_usd_per_mw"] == markets[str(cid)].construction_cost_usd_per_mw
    # the same scenario with the option explicitly null resolves to identical inputs
    nulled = copy.deepcopy(base)
    nulled["options"]["plan"]["electrical"] = None
    a = portfolio_inputs(plain)
    b = portfolio_inputs(resolve(scenario_from_dict(nulled), use_network=False))
    pd.testing.assert_frame_equal(a.sites, b.sites)
    pd.testing.assert_frame_equal(a.power_mw, b.power_mw)
    # with the option on, only the capital columns of the portfolio's sites move
    d = portfolio_inputs(designed)
    capital = ["capex_usd_per_mw", "capex_usd_per_mw_year", "risk_penalty_usd_per_mw_year"]
    pd.testing.assert_frame_equal(a.sites.drop(columns=capital), d.sites.drop(columns=capital))
    assert not np.allclose(a.sites["capex_usd_per_mw"], d.sites["capex_usd_per_mw"])


def test_design_replaces_the_critical_share_of_the_construction_cost(plain: Any, designed: Any) -> None:
    share = critical_share()
    assert 0.4 < share < 0.7  # the source's 53 %
    before = plain.candidates["capex_usd_per_mw"]
    c = designed.candidates
    designed_rows = c[c["kind"] != "deal"]
    assert len(designed_rows) == len(designed.electrical) > 0
    for cid, row in designed_rows.iterrows():
        elec = float(row["electrical_capex_usd_per_mw"])
        design = designed.electrical[str(cid)]
        assert elec == pytest.approx(design.capex_usd_per_mw)
        # the change is exactly the design's cost less the share it replaces
        change = float(row["capex_usd_per_mw"]) - float(before[cid])
        assert change == pytest.approx(elec - share * float(before[cid]), rel=1e-12)
        assert 0.0 < float(row["availability"]) <= 1.0
        assert float(row["downtime_hours_per_year"]) == pytest.approx(
            (1.0 - float(row["availability"])) * 8760.0, rel=1e-9)
        assert row["electrical_topology"] == "2N"
    # a site with max_it_mw is designed at its cap; a market at the representative load
    assert c.at["tokyo-campus", "electrical_it_mw"] == 30.0
    assert c.at["au-sydney", "electrical_it_mw"] == designed.options.plan.procurement_load_mw


def test_2n_is_at_least_as_available_as_n_plus_1(base: dict[str, Any], designed: Any) -> None:
    n1 = resolve(scenario_from_dict(_with_electrical(base, topology="N+1", rack_kw=130)),
                 use_network=False)
    a2n = designed.candidates["availability"].dropna()
    an1 = n1.candidates["availability"].reindex(a2n.index)
    assert (a2n >= an1 - 1e-12).all()
    assert (a2n > an1).any()
    # more redundancy costs more per MW
    assert (designed.candidates["electrical_capex_usd_per_mw"].dropna()
            > n1.candidates["electrical_capex_usd_per_mw"].reindex(a2n.index)).all()


def test_bad_electrical_options_are_named(base: dict[str, Any]) -> None:
    for bad, where in (({"topology": "3N"}, "topology: '3N'"), ({"rack_kw": 0}, "rack_kw: 0"),
                       ({"rack_kwh": 130}, "rack_kwh: unknown option")):
        with pytest.raises(ScenarioError, match=re.escape(f"options.plan.electrical.{where}")):
            scenario_from_dict(_with_electrical(base, **bad))


def test_example_inputs_are_unchanged_unless_asked() -> None:
    from gridfirst.options import ElectricalPlanOptions
    from gridfirst.scenario import example_path, load_scenario

    example = load_scenario(example_path())
    assert example.options.plan.electrical is None
    plain = resolve(example, use_network=False)
    c = plain.candidates
    markets = {m.id: m for m in plain.markets}
    own = {s.id: s.construction_cost_usd_per_mw for s in example.sites}
    for cid, row in c[c["kind"] != "deal"].iterrows():
        flat = own.get(str(cid)) or markets[str(row["market"])].construction_cost_usd_per_mw
        assert row["capex_usd_per_mw"] == flat
    plan_opts = example.options.plan.model_copy(update={"electrical": ElectricalPlanOptions()})
    on = resolve(example.model_copy(update={"options": example.options.model_copy(
        update={"plan": plan_opts})}), use_network=False)
    avail = on.candidates.loc[on.candidates["kind"] != "deal", "availability"]
    assert ((avail > 0) & (avail <= 1)).all()
    # a space deal keeps its rent and the market's cost
    deals = c["kind"] == "deal"
    pd.testing.assert_series_equal(c.loc[deals, "capex_usd_per_mw"],
                                   on.candidates.loc[deals, "capex_usd_per_mw"])


# -- the plan: risk and report ----------------------------------------------------------------


@pytest.fixture(scope="module")
def result(base: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    out = tmp_path_factory.mktemp("electrical-plan")
    cache = ResultCache(tmp_path_factory.mktemp("electrical-cache"))
    scenario = scenario_from_dict(_with_electrical(base, topology="2N", rack_kw=130))
    return plan_to(out, scenario, cache=cache, risk_samples=50)


def test_site_unavailability_takes_its_share_of_delivered_mw(result: PlanResult) -> None:
    assert result.resolved is not None
    problem = problem_from_plan(result.portfolio, result.resolved)
    u = problem.site_unavailability
    assert u is not None
    avail = result.resolved.candidates["availability"].reindex(problem.sites).fillna(1.0)
    np.testing.assert_allclose(u, 1.0 - avail.to_numpy(float))
    assert (u > 0).any()
    on = problem.with_options(problem.options.only("disruption"))
    without = replace(on, site_unavailability=None)
    got = evaluate_block(on, 3, 0, 64)["delivered_sum_mw"]
    ref = evaluate_block(without, 3, 0, 64)["delivered_sum_mw"]
    # same futures; each site loses exactly its expected unavailable share
    np.testing.assert_allclose(got, ref * (1.0 - u)[:, None], rtol=1e-12)
    lost = (ref - got).sum() / 64
    assert lost == pytest.approx(float((ref.sum(axis=1) / 64 * u).sum()))
    # with every uncertainty off (the plan as planned) the term is off too
    det = problem.with_options(problem.options.deterministic())
    np.testing.assert_allclose(evaluate_block(det, 3, 0, 8)["delivered_sum_mw"],
                               evaluate_block(replace(det, site_unavailability=None), 3, 0, 8)
                               ["delivered_sum_mw"])


def test_report_draws_each_chosen_site_chain(result: PlanResult) -> None:
    assert result.output_dir is not None and result.resolved is not None
    page = (result.output_dir / "report.html").read_text(encoding="utf-8")
    chosen = [s for s in result.chosen_sites if s in result.resolved.electrical]
    assert chosen
    section = page[page.index('id="sec-electrical"'):]
    section = section[:section.index("</section>")]
    for sid in chosen:
        block = re.search(rf'data-site="{re.escape(sid)}">(.*?)</div>', section, re.S)
        assert block is not None and block.group(1).lstrip().startswith("<svg")
        design = result.resolved.electrical[sid]
        assert f"{design.availability:.6f}" in section
    assert section.count("<svg") == len(chosen)


def test_report_has_no_electrical_section_when_unset(plain: Any) -> None:
    from types import SimpleNamespace

    from gridfirst.report.electrical import electrical_section

    assert electrical_section(SimpleNamespace(resolved=plain, chosen_sites=["au-sydney"])) == ""  # type: ignore[arg-type]
