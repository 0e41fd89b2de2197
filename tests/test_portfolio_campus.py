"""Plans a compute lead can act on: the buyer's share of grid headroom, training campuses, a site's
fixed cost, space-deal energy by terms, cash cost apart from penalties, structural shortfalls and
why a candidate is unused.

Hand-made scenarios (no bundled market values) and, at the end, the bundled example.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_portfolio import inputs_of, market, scenario

from gridfirst.errors import ScenarioError
from gridfirst.portfolio import solve_portfolio
from gridfirst.resolve.headroom import buyer_share

TRAIN = "training"


def _solve(scn: Any, **kwargs: Any) -> Any:
    return solve_portfolio(inputs_of(scn), mip_gap=1e-6, **kwargs)


def _training_scenario(campus: float = 60.0, fixed: float = 0.0, share: float | None = None,
                       demand: float = 50.0, policy: dict[str, Any] | None = None,
                       **more_options: Any) -> Any:
    """Two training markets with power for 120 and 80 MW of IT and 50 MW of training demand."""
    markets = [market("a", "JP", "tokyo", grid_available_mw=150.0, pue=1.25),
               market("b", "AU", "sydney", grid_available_mw=100.0, pue=1.25,
                      construction_cost_usd_per_mw=0.8e7)]
    options: dict[str, Any] = {"site_fixed_cost_usd": fixed, **more_options}
    if share is not None:
        options["headroom_share"] = {"a": share, "b": share}
    return scenario(markets, [(TRAIN, y, TRAIN, demand) for y in (2028, 2029)],
                    policy={"training_campus_min_mw": campus, "min_build_mw": 0.0,
                            **(policy or {})},
                    options=options, years=(2026, 2029))


# -- the buyer's share of grid headroom ---------------------------------------------------------


def test_buyer_share_is_pro_rata_among_accepted_applicants() -> None:
    # Johor as bundled: 570 MW for every applicant, 3,000 MW of competing pipeline, 10 of 14
    # applications accepted -> an accepted buyer gets 570 / (570 + 0.714 x 3000) of it.
    share, low, high = buyer_share(570.0, 3000.0, 0.714)
    assert high == pytest.approx(570.0 / (570.0 + 0.714 * 3000.0))
    assert share == pytest.approx(0.714 * high) and low == 0.0
    assert 0.14 < share < 0.16
    # No competition and every application accepted: the whole headroom.
    assert buyer_share(570.0, 0.0, 1.0) == (1.0, 0.0, 1.0)


@given(h=st.floats(1.0, 5000.0), c=st.floats(0.0, 10000.0), a=st.floats(0.0, 1.0),
       more=st.floats(0.0, 5000.0))
def test_more_competition_never_raises_the_share(h: float, c: float, a: float, more: float
                                                 ) -> None:
    share = buyer_share(h, c, a)[0]
    assert 0.0 <= share <= 1.0
    assert buyer_share(h, c + more, a)[0] <= share + 1e-12


def test_generic_site_takes_at_most_its_share_and_an_offer_letter_is_whole() -> None:
    markets = [market("a", "JP", "tokyo", grid_available_mw=200.0, competing_pipeline_mw=600.0,
                      pue=1.25)]
    sites = [{"id": "own", "market": "a", "power_schedule": [{"year": 2026, "available_mw": 50}],
              "max_it_mw": 40}]
    scn = scenario(markets, [("tokyo", y, "inference", 300.0) for y in (2027, 2028)],
                   sites=sites, options={"grid_acceptance_rate": 0.5})
    inputs = inputs_of(scn)
    expected = 0.5 * 200.0 / (200.0 + 0.5 * 600.0)
    assert inputs.power_mw.loc["market:a"].max() == pytest.approx(expected * 200.0)
    assert inputs.power_mw.loc["site:own"].max() == pytest.approx(50.0)
    result = solve_portfolio(inputs)
    b = result.builds.set_index(["site", "year"])
    generic = b.loc["a"]
    assert (generic["online_mw"] * 1.25 <= expected * 200.0 + 1e-6).all()
    assert b.loc[("own", 2028), "online_mw"] == pytest.approx(40.0)
    # The explanation says the share binds, not the market's total.
    text = " ".join(result.shortfalls["explanation"])
    assert "buyer's share of the grid headroom binds" in text
    assert "MW of facility power" in text and "MW of IT" in text


def test_a_share_above_one_is_a_named_error() -> None:
    with pytest.raises(ScenarioError, match=r"headroom_share\.a: 1\.5 must be a share"):
        _training_scenario(share=1.5)


def test_a_negative_campus_is_a_named_error() -> None:
    with pytest.raises(ScenarioError, match=r"policy\.training_campus_min_mw: -5 is below 0"):
        _training_scenario(campus=-5.0)


# -- campuses, phases, fixed cost --------------------------------------------------------------


def _train_site_years(result: Any) -> list[tuple[str, int]]:
    a = result.allocation
    return sorted(set(zip(a.loc[a["workload"] == TRAIN, "site"], a.loc[a["workload"] == TRAIN,
                                                                        "year"], strict=True)))


@pytest.mark.parametrize("campus", [0.0, 60.0, 100.0])
def test_training_site_years_hold_the_campus_size(campus: float) -> None:
    result = _solve(_training_scenario(campus=campus))
    online = result.builds.set_index(["site", "year"])["online_mw"]
    for site, year in _train_site_years(result):
        assert online[(site, year)] >= campus - 1e-6, (site, year)
    if campus == 100.0:
        # Only market a has power for a 100 MW campus (150 MW / PUE 1.25 = 120 MW of IT).
        assert {s for s, _ in _train_site_years(result)} == {"a"}


def test_phase_mw_is_the_step_of_every_build() -> None:
    result = _solve(_training_scenario(campus=0.0, policy={"phase_mw": 30.0}))
    decided = result.builds["decided_mw"]
    assert ((decided / 30.0) - np.round(decided / 30.0) < 1e-9).all()
    assert (result.builds["online_mw"] >= 50.0 - 1e-6).any()


def test_fixed_cost_consolidates_sites() -> None:
    spread = _solve(_training_scenario(campus=0.0, demand=150.0))
    fixed = _solve(_training_scenario(campus=0.0, demand=150.0, fixed=5e8))
    opened = lambda r: set(r.builds.loc[r.builds["online_mw"] > 0, "site"])  # noqa: E731
    assert len(opened(fixed)) <= len(opened(spread))
    site_npv = fixed.cost_breakdown_usd["site"]
    assert site_npv > 0 and spread.cost_breakdown_usd["site"] == 0.0


def _cost(campus: float, fixed: float, share: float) -> float:
    return _solve(_training_scenario(campus=campus, fixed=fixed, share=share),
                  explain=False).total_cost_usd


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campus=st.sampled_from([0.0, 40.0, 80.0]), fixed=st.sampled_from([0.0, 1e8]),
       share=st.sampled_from([1.0, 0.8, 0.5]), which=st.sampled_from(["campus", "fixed", "share"]))
def test_tightening_a_new_constraint_never_lowers_cost(campus: float, fixed: float, share: float,
                                                       which: str) -> None:
    base = _cost(campus, fixed, share)
    tighter = {"campus": (campus + 30.0, fixed, share), "fixed": (campus, fixed + 2e8, share),
               "share": (campus, fixed, share * 0.6)}[which]
    assert _cost(*tighter) >= base * (1 - 1e-6) - 1.0


# -- cash and penalties, deals by their terms ----------------------------------------------------


def test_cash_plus_penalties_is_the_objective() -> None:
    result = _solve(_training_scenario(campus=100.0, fixed=5e7, demand=200.0))
    breakdown = result.cost_breakdown_usd
    penalties = sum(breakdown["penalties"].values())
    cash = sum(v for k, v in breakdown.items() if k != "penalties")
    assert breakdown["penalties"]["unmet"] > 0  # 200 MW of training cannot all be served
    assert cash == pytest.approx(result.cash_cost_usd)
    assert result.cash_cost_usd + penalties == pytest.approx(result.total_cost_usd, rel=1e-9)
    payload = result.to_dict()
    assert payload["cash_cost_usd"] + sum(payload["cost_breakdown_usd"]["penalties"].values()) \
        == pytest.approx(payload["total_cost_usd"], rel=1e-9)


def test_accelerators_put_cost_and_penalty_on_one_footing() -> None:
    rich = {"unmet_penalty_usd_per_mw_year": 2.0e7}
    off = _solve(_training_scenario(campus=0.0, policy=rich))
    on = _solve(_training_scenario(campus=0.0, include_accelerators=True, policy=rich))
    # A penalty (rental revenue) below the accelerators' annual cost: serving does not pay.
    poor = _solve(_training_scenario(campus=0.0, include_accelerators=True,
                                     policy={"unmet_penalty_usd_per_mw_year": 5.0e6}))
    assert poor.builds["online_mw"].sum() == 0.0 and poor.cost_breakdown_usd["accelerators"] == 0
    mw_years = float(on.builds["online_mw"].sum())
    assert on.cost_breakdown_usd["accelerators"] > 0 and off.cost_breakdown_usd["accelerators"] == 0
    crf = 0.08 / (1 - 1.08 ** -5)
    per_year = on.costs["accelerators_usd"].sum()
    assert per_year == pytest.approx(25e6 * crf * mw_years, rel=1e-9)


def _deal_scenario(kind: str, stage: str = "prospect", energy: str | None = None) -> Any:
    markets = [market("sg-a", "SG", "singapore", grid_available_mw=0.0, price_usd_per_mwh=120.0)]
    deal = {"id": "d1", "kind": kind, "counterparty": "Landlord", "market": "sg-a",
            "capacity_mw": 20, "start_year": 2027, "term_years": 3,
            "price_usd_per_kw_month": 100, "take_or_pay_share": 0.0, "stage": stage}
    if energy is not None:
        deal["energy"] = energy
    return scenario(markets, [("singapore", y, "inference", 10.0) for y in (2027, 2028, 2029)],
                    deals=[deal], years=(2026, 2029))


@pytest.mark.parametrize(("kind", "energy", "pays"), [
    ("colocation", None, False), ("powered_shell", None, True), ("lease", None, True),
    ("colocation", "pass_through", True), ("powered_shell", "included", False)])
def test_space_deal_energy_follows_its_terms(kind: str, energy: str | None, pays: bool) -> None:
    result = _solve(_deal_scenario(kind, energy=energy))
    energy_usd = result.costs["energy_usd"].sum()
    # 10 MW x PUE 1.25 x 8760 h x 0.8 utilisation x 120 USD/MWh for three years.
    expected = 3 * 10 * 1.25 * 8760 * 0.8 * 120.0
    assert energy_usd == pytest.approx(expected if pays else 0.0, rel=1e-9, abs=1e-6)


def test_deals_keep_their_stage() -> None:
    prospect = _solve(_deal_scenario("colocation", stage="prospect"))
    assert prospect.signed_deals == []
    assert prospect.recommended_deals[["deal", "stage", "sign_by_year"]].values.tolist() == [
        ["d1", "prospect", 2026]]
    signed = _solve(_deal_scenario("colocation", stage="signed"))
    assert signed.signed_deals == ["d1"] and signed.recommended_deals.empty


# -- structural shortfalls and unused candidates -------------------------------------------------


def test_first_year_shortfall_is_structural_with_its_bridge_price() -> None:
    markets = [market("a", "JP", "tokyo", grid_available_mw=500.0)]
    scn = scenario(markets, [("tokyo", y, "inference", 40.0) for y in (2026, 2027, 2028)],
                   options={"build_lead_time_months": 12}, years=(2026, 2028),
                   policy={"unmet_penalty_usd_per_mw_year": 6.0e6})
    result = _solve(scn)
    short = result.shortfalls.set_index("year")
    assert list(short.index) == [2026]
    row = short.loc[2026]
    assert bool(row["structural"]) and row["structural_mw"] == pytest.approx(40.0)
    # The bridge is worth the penalty it avoids: 6e6 USD/MW-year = 500 USD/kW-month.
    assert row["bridge_usd_per_kw_month"] == pytest.approx(500.0, rel=1e-6)
    assert "structural" in row["explanation"].lower() and "500 USD per kW-month" in row["explanation"]
    assert {"region", "year", "workload", "mw", "binding", "structural"} <= set(
        result.to_dict()["shortfalls"][0])


def test_a_shortfall_the_plan_could_serve_is_not_structural() -> None:
    markets = [market("a", "JP", "tokyo", grid_available_mw=30.0)]
    scn = scenario(markets, [("tokyo", 2028, "inference", 60.0)], years=(2026, 2028),
                   policy={"min_build_mw": 0.0})
    short = _solve(scn).shortfalls
    assert len(short) == 1 and not bool(short["structural"].iloc[0])
    assert short["structural_mw"].iloc[0] == 0.0


def test_every_unused_candidate_has_a_reason() -> None:
    markets = [market("a", "JP", "tokyo"),
               market("dear", "JP", "osaka", construction_cost_usd_per_mw=9.0e7),
               market("far", "AU", "sydney", ai_training_legal_regime="no"),
               market("war", "SG", "singapore", conflict_exposure_gpi=4.5)]
    scn = scenario(markets, [("tokyo", y, "inference", 20.0) for y in (2027, 2028)],
                   regions=("tokyo",), policy={"max_conflict_exposure_gpi": 3.0})
    result = _solve(scn)
    unused = result.unused.set_index("site")
    assert "a" not in unused.index
    assert set(unused.index) == {"dear", "far", "war"}
    assert unused.at["war", "constraint"] == "screens"
    assert unused.at["far", "constraint"] == "latency"
    assert unused.at["dear", "constraint"] == "cost"
    assert unused.at["dear", "extra_cost_usd_per_mw_year"] > 0
    assert all(isinstance(r, str) and r for r in unused["reason"])


# -- the bundled example -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> Any:
    from gridfirst.decide import decide
    from gridfirst.resolve import resolve
    from gridfirst.scenario import load_scenario

    resolved = resolve(load_scenario(), use_network=False)
    return resolved, decide(resolved)[1]


def test_example_training_runs_on_campuses_within_the_buyer_share(example: Any) -> None:
    resolved, result = example
    campus = resolved.policy.training_campus_min_mw
    assert campus >= 100.0
    online = result.builds.set_index(["site", "year"])["online_mw"]
    sites = _train_site_years(result)
    assert sites
    for key in sites:
        assert online[key] >= campus - 1e-6, key
    b = result.builds[result.builds["kind"] == "market"]
    for (site, year), frame in b.groupby(["site", "year"]):
        share = float(resolved.headroom.at[site, "share"])
        grid = float(resolved.grid_power_mw.at[f"market:{site}", year])
        assert float((frame["online_mw"] * frame["pue"]).sum()) <= share * grid + 1e-6
    # Johor's share is the sourced acceptance rate over the shared 570 MW.
    johor = resolved.headroom.loc["my-johor"]
    assert johor["share_basis"] == "sourced acceptance" and johor["share"] < 0.2


def test_example_cash_plus_penalties_and_2027_structural(example: Any) -> None:
    _, result = example
    b = result.cost_breakdown_usd
    assert result.cash_cost_usd + sum(b["penalties"].values()) == pytest.approx(
        result.total_cost_usd, rel=1e-9)
    short = result.shortfalls
    first = short[short["year"] == 2027]
    assert len(first) and first["structural"].all()
    assert (first["structural_mw"] == first["mw"]).all()
    assert np.isfinite(first["bridge_usd_per_kw_month"]).all()
    later = short[short["year"] > 2028]
    assert not later["structural"].any()
    unused = set(result.unused["site"])
    used = set(result.builds["site"])
    assert unused | used == set(result.inputs.sites.index) and not unused & used
