"""Tests of gridfirst.portfolio: invariants of solved plans, inputs, explanations and the CLI.

Scenarios are small hand-made fixtures (no bundled market values).
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from gridfirst.errors import InfeasibleError
from gridfirst.geo import fallback_rtt_ms as great_circle_rtt_ms
from gridfirst.portfolio import (
    PortfolioInputs,
    PortfolioResult,
    capital_recovery_factor,
    portfolio_inputs,
    solve_portfolio,
)
from gridfirst.portfolio.inputs import sla_ms
from gridfirst.scenario import Scenario, scenario_from_dict

CITIES = {
    "tokyo": (35.69, 139.69),
    "sydney": (-33.87, 151.21),
    "singapore": (1.29, 103.85),
    "osaka": (34.69, 135.50),
}


def market(mid: str, country: str, city: str, **fields: Any) -> dict[str, Any]:
    lat, lon = CITIES[city]
    base = {
        "id": mid, "name": mid.title(), "country": country, "region": "asia_pacific",
        "latitude": lat, "longitude": lon, "grid_available_mw": 200.0,
        "grid_energisation_year": 2026, "interconnection_lead_time_months": 0.0,
        "price_usd_per_mwh": 100.0, "grid_intensity_tco2_per_mwh": 0.4, "grid_cfe_share": 0.3,
        "solar_cf": 0.18, "wind_cf": 0.3, "land_cost_usd_per_m2": 500.0,
        "construction_cost_usd_per_mw": 1.0e7, "political_stability_percentile": 70.0,
        "regulatory_quality_percentile": 70.0, "conflict_exposure_gpi": 1.5,
        "ai_training_legal_regime": "yes", "seismic_hazard_pga_g": 0.2, "cyclone_hazard_level": 0,
        "water_stress_score": 2.0, "mean_temperature_c": 15.0,
        "labour_capacity_mw_per_year": 500.0, "existing_capacity_mw": 0.0,
        "competing_pipeline_mw": 0.0, "cable_systems": ["c1", "c2"], "pue": 1.25,
    }
    base.update(fields)
    return base


def scenario(
    markets: list[dict[str, Any]],
    points: list[tuple[str, int, str, float]],
    policy: dict[str, Any] | None = None,
    years: tuple[int, int] = (2026, 2029),
    sites: list[dict[str, Any]] | None = None,
    deals: list[dict[str, Any]] | None = None,
    options: dict[str, Any] | None = None,
    regions: tuple[str, ...] = ("tokyo", "sydney", "singapore"),
) -> Scenario:
    data = {
        "name": "test-portfolio",
        "horizon": {"start_year": years[0], "end_year": years[1]},
        "markets": {"include": [], "extra": markets},
        "sites": sites or [],
        "deals": deals or [],
        "demand": {
            "regions": [{"id": r, "name": r.title(), "city": r.title(), "latitude": CITIES[r][0],
                         "longitude": CITIES[r][1]} for r in regions],
            "points": [{"region": r, "year": y, "workload": w, "mw": mw} for r, y, w, mw in points],
        },
        # Campus size, site fixed cost and the shared headroom are off here (their own tests
        # in test_portfolio_campus.py); these tests check the other constraints alone.
        "policy": {"max_share_per_country": 1.0, "max_share_per_cluster": 1.0,
                   "latency_sla_ms": {"inference": 30.0}, "training_campus_min_mw": 0.0,
                   **(policy or {})},
        "options": {"portfolio": {"build_lead_time_months": 12, "site_fixed_cost_usd": 0.0,
                                  "grid_acceptance_rate": 1.0, **(options or {})}},
    }
    return scenario_from_dict(data)


# ----------------------------------------------------------------------------------------------
# Helpers shared with test_portfolio_properties.py
# ----------------------------------------------------------------------------------------------


def gc_latency(scn: Scenario) -> Any:
    """Great-circle round trips, markets x regions: keeps these tests independent of the
    network module's cable data (and fast)."""
    import pandas as pd

    markets = scn.resolved_markets()
    regions = scn.demand.regions
    rtt = great_circle_rtt_ms(
        np.array([m.latitude for m in markets])[:, None],
        np.array([m.longitude for m in markets])[:, None],
        np.array([r.latitude for r in regions])[None, :],
        np.array([r.longitude for r in regions])[None, :],
    )
    return pd.DataFrame(rtt, index=[m.id for m in markets], columns=[r.id for r in regions])


def inputs_of(scn: Scenario) -> PortfolioInputs:
    return portfolio_inputs(scn, latency_ms=gc_latency(scn))


def solve(scn: Scenario, **kwargs: Any) -> PortfolioResult:
    kwargs.setdefault("mip_gap", 0.0)
    kwargs.setdefault("time_limit_s", 30)
    return solve_portfolio(inputs_of(scn), **kwargs)


def check_invariants(result: PortfolioResult) -> None:
    """Power first, lead times, latency and demand balance on any solved plan."""
    inputs = result.inputs
    sites = inputs.sites
    b = result.builds
    tol = 1e-5
    # Power first: PUE x IT MW online, summed over a power pool, within the pool's power.
    if not b.empty:
        load = (b["online_mw"] * b["pue"]).groupby([b["power_pool"], b["year"]]).sum()
        for (pool, year), mw in load.items():
            assert mw <= inputs.power_mw.at[pool, year] + tol, (pool, year, mw)
            # and each row carries its pool's power
        assert (b["online_mw"] * b["pue"] <= b["power_available_mw"] + tol).all()
    # Lead times: online MW in y never exceeds MW decided up to y - lead; deals only in term.
    for site, rows in b.groupby("site"):
        rows = rows.sort_values("year")
        if sites.at[site, "kind"] == "deal":
            outside = (rows["year"] < sites.at[site, "deal_start_year"]) | (
                rows["year"] > sites.at[site, "deal_end_year"])
            assert (rows.loc[outside, "online_mw"] <= tol).all()
            continue
        lead = int(sites.at[site, "lead_years"])
        decided = rows.set_index("year")["decided_mw"]
        for year, online in zip(rows["year"], rows["online_mw"], strict=True):
            ready = decided[decided.index <= year - lead].sum()
            assert online <= ready + tol, (site, year, online, ready)
            if year < inputs.years[0] + lead:
                assert online <= tol
    # Latency: inference only from sites within the region's service level.
    a = result.allocation
    for row in a.itertuples():
        limit = sla_ms(inputs, row.region, row.workload)
        if np.isfinite(limit):
            assert inputs.latency_ms.at[row.site, row.region] <= limit + 1e-9
        if row.workload == "training":
            assert bool(sites.at[row.site, "training_eligible"])
    # Every MW of demand is served or reported short.
    served = a.groupby(["region", "workload", "year"])["mw"].sum()
    short = result.shortfalls.set_index(["region", "workload", "year"])["mw"]
    for row in inputs.demand.itertuples():
        key = (row.region, row.workload, row.year)
        got = served.get(key, 0.0) + short.get(key, 0.0)
        assert abs(got - row.mw) <= 1e-3, (key, got, row.mw)
    # Site allocations within capacity online.
    use = a.groupby(["site", "year"])["mw"].sum()
    cap = b.set_index(["site", "year"])["online_mw"]
    for key, mw in use.items():
        assert mw <= cap.get(key, 0.0) + tol


# ----------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------


def test_capital_recovery_factor_matches_annuity_formula() -> None:
    # 8 % over 20 years: the textbook annuity factor 0.10185.
    assert capital_recovery_factor(0.08, 20) == pytest.approx(0.101852, rel=1e-5)
    assert capital_recovery_factor(0.0, 20) == pytest.approx(0.05)
    # Present value of the annuity recovers the capital.
    r, n = 0.07, 15
    pv = sum(capital_recovery_factor(r, n) / (1 + r) ** t for t in range(1, n + 1))
    assert pv == pytest.approx(1.0)


def test_great_circle_fallback_is_the_stated_formula() -> None:
    tokyo, sydney = (35.69, 139.69), (-33.87, 151.21)
    rtt = float(great_circle_rtt_ms(np.array(tokyo[0]), np.array(tokyo[1]),
                                    np.array(sydney[0]), np.array(sydney[1])))
    km = 7_820.0  # Tokyo-Sydney great circle, about 7,820 km
    assert rtt == pytest.approx(2 * km * 1.5 * 1.47 / 299.792458 + 5.0, rel=0.01)
    same = great_circle_rtt_ms(np.array(1.0), np.array(2.0), np.array(1.0), np.array(2.0))
    assert float(same) == pytest.approx(5.0)


def test_inputs_power_schedule_screens_labour_and_clusters() -> None:
    markets = [
        market("a", "JP", "tokyo", grid_energisation_year=2026, interconnection_lead_time_months=30,
               grid_available_mw=120.0, cable_systems=["only-cable"]),
        market("b", "JP", "osaka", grid_energisation_year=2028, ai_training_legal_regime="no",
               labour_capacity_mw_per_year=70.0, pue=None, mean_temperature_c=16.0),
        market("c", "AU", "sydney", conflict_exposure_gpi=3.5, labour_capacity_mw_per_year=40.0),
    ]
    sites = [{"id": "campus", "market": "a", "power_schedule": [{"year": 2027, "available_mw": 30},
                                                                 {"year": 2029, "available_mw": 90}],
              "pue": 1.1, "max_it_mw": 50, "risk_clusters": ["grid-x"], "price_usd_per_mwh": 77}]
    scn = scenario(markets, [("tokyo", 2027, "inference", 10.0)], sites=sites,
                   policy={"max_conflict_exposure_gpi": 3.0})
    inp = portfolio_inputs(scn, energy_cost_usd_per_mwh={"b": 55.0})
    power = inp.power_mw
    # Market a: energised 2026 but 30 months of interconnection from 2026 -> mid-2028.
    assert power.loc["market:a"].tolist() == [0.0, 0.0, 120.0, 120.0]
    assert inp.sites.at["a", "energisation"] == "2028-07"
    assert power.loc["market:b"].tolist() == [0.0, 0.0, 200.0, 200.0]
    assert power.loc["site:campus"].tolist() == [0.0, 30.0, 30.0, 90.0]
    assert inp.sites.at["campus", "pue"] == 1.1
    assert inp.sites.at["b", "pue"] == pytest.approx(1.15 + 0.2 / 23 * 11)
    # Energy: the site's own price, the given figure, else the market's.
    assert inp.sites.at["campus", "energy_usd_per_mwh"] == 77
    assert inp.sites.at["b", "energy_usd_per_mwh"] == 55
    assert inp.sites.at["a", "energy_usd_per_mwh"] == 100
    crf = capital_recovery_factor(0.08, 20)
    assert inp.sites.at["a", "capex_usd_per_mw_year"] == pytest.approx(1e7 * crf)
    # Screens and training eligibility.
    assert not inp.sites.at["c", "allowed"] and "conflict" in inp.sites.at["c", "screen_reason"]
    assert not inp.sites.at["b", "training_eligible"] and inp.sites.at["a", "training_eligible"]
    # Labour per country is the sum of its markets; clusters: own, country, single cable.
    assert inp.labour_mw["JP"] == pytest.approx(570.0) and inp.labour_mw["AU"] == 40.0
    clusters = set(map(tuple, inp.clusters.to_numpy()))
    assert {("campus", "grid-x"), ("campus", "country:JP"), ("a", "cable:only-cable")} <= clusters
    assert ("b", "cable:c1") not in clusters
    assert inp.latency_source.startswith("great-circle") or inp.latency_source == "gridfirst.network"


def test_given_latency_is_used_by_market_row() -> None:
    markets = [market("a", "JP", "tokyo"), market("b", "AU", "sydney")]
    scn = scenario(markets, [("tokyo", 2027, "inference", 10.0)])
    given = __import__("pandas").DataFrame(
        {"tokyo": [3.0, 99.0], "sydney": [99.0, 3.0], "singapore": [60.0, 60.0]},
        index=["a", "b"])
    inp = portfolio_inputs(scn, latency_ms=given)
    assert inp.latency_source == "given"
    assert inp.latency_ms.at["b", "tokyo"] == 99.0


# ----------------------------------------------------------------------------------------------
# Solved plans: invariants
# ----------------------------------------------------------------------------------------------


def _mixed_scenario() -> Scenario:
    markets = [
        market("jp-a", "JP", "tokyo", grid_available_mw=80.0, grid_energisation_year=2027),
        market("jp-b", "JP", "osaka", grid_available_mw=150.0, price_usd_per_mwh=80.0,
               labour_capacity_mw_per_year=60.0),
        market("au-a", "AU", "sydney", grid_available_mw=300.0, price_usd_per_mwh=60.0),
        market("sg-a", "SG", "singapore", grid_available_mw=50.0, ai_training_legal_regime="no",
               pue=1.35),
    ]
    sites = [
        # No schedule of its own: shares the Tokyo market's grid with the generic site.
        {"id": "tokyo-shell", "market": "jp-a", "max_it_mw": 60, "construction_cost_usd_per_mw": 9e6},
        {"id": "sydney-campus", "market": "au-a", "power_schedule": [{"year": 2028, "available_mw": 100}],
         "build_lead_time_months": 24},
    ]
    deals = [{"id": "sg-colo", "kind": "colocation", "counterparty": "Colo", "market": "sg-a",
              "capacity_mw": 20, "start_year": 2027, "term_years": 5, "price_usd_per_kw_month": 150,
              "take_or_pay_share": 0.5}]
    points = []
    for i, year in enumerate(range(2026, 2030)):
        points += [("tokyo", year, "inference", 20.0 + 25 * i), ("sydney", year, "inference", 15.0 + 20 * i),
                   ("singapore", year, "inference", 5.0 + 5 * i), ("training", year, "training", 30.0 + 40 * i)]
    return scenario(markets, points, sites=sites, deals=deals,
                    policy={"max_share_per_country": 0.6, "latency_sla_ms": {"inference": 40.0}})


def test_plan_respects_power_lead_time_latency_and_balance() -> None:
    result = solve(_mixed_scenario())
    check_invariants(result)
    assert result.status == "optimal"
    # Nothing built is online in 2026 (12-month lead, nothing decided before 2026).
    first = result.builds[result.builds["year"] == 2026]
    assert (first.loc[first["kind"] != "deal", "online_mw"] == 0).all()
    # Shared Tokyo grid: generic site + shell together within 80 MW of power.
    jp = result.builds[result.builds["power_pool"] == "market:jp-a"]
    assert ((jp["online_mw"] * jp["pue"]).groupby(jp["year"]).sum() <= 80 + 1e-6).all()
    # Blocks of 10 MW; an opened site holds at least 20 MW.
    built = result.builds[result.builds["kind"] != "deal"]
    assert np.allclose(built["decided_mw"] % 10.0, 0.0)
    assert (built.groupby("site")["decided_mw"].sum() >= 20 - 1e-6).all()
    # Costs add up to the objective; per-year NPV uses (1 + r)^-(y - 2026).
    assert result.costs["npv_usd"].sum() == pytest.approx(result.total_cost_usd, rel=1e-9)
    assert result.costs["discount_factor"].iloc[2] == pytest.approx(1.08 ** -2)
    payload = result.to_dict()
    json.dumps(payload)
    assert {"builds", "shortfalls", "total_cost_usd"} <= set(payload)
    assert {"site", "year", "added_mw", "online_mw", "power_available_mw"} <= set(payload["builds"][0])


def test_diversification_caps_country_share_every_year() -> None:
    result = solve(_mixed_scenario())
    b = result.builds
    total = b.groupby("year")["online_mw"].sum()
    by_country = b.groupby(["country", "year"])["online_mw"].sum()
    for (country, year), mw in by_country.items():
        assert mw <= 0.6 * total[year] + 1e-6, (country, year)


def test_take_or_pay_deal_is_paid_even_when_unused() -> None:
    markets = [market("sg-a", "SG", "singapore", grid_available_mw=0.0)]
    deals = [{"id": "colo", "kind": "colocation", "counterparty": "Colo", "market": "sg-a",
              "capacity_mw": 20, "start_year": 2026, "term_years": 3, "price_usd_per_kw_month": 100,
              "take_or_pay_share": 0.8}]
    scn = scenario(markets, [("singapore", y, "inference", 5.0) for y in range(2026, 2030)],
                   deals=deals, years=(2026, 2029))
    result = solve(scn)
    rent = 100 * 1000 * 12  # USD per MW-year
    # A prospect the plan takes is recommended (sign by its start year), not reported signed.
    assert result.signed_deals == []
    assert result.recommended_deals[["deal", "sign_by_year"]].values.tolist() == [["colo", 2026]]
    deals_usd = result.costs.set_index("year")["deals_usd"]
    # 5 MW used, 16 MW (80 % of 20) paid, during the three-year term only.
    assert deals_usd.loc[2026:2028].tolist() == pytest.approx([16 * rent] * 3)
    assert deals_usd.loc[2029] == 0.0
    short = result.shortfalls.set_index("year")["mw"]
    assert short.get(2029, 0.0) == pytest.approx(5.0) and 2026 not in short.index


# ----------------------------------------------------------------------------------------------
# Explanations
# ----------------------------------------------------------------------------------------------


def _power_short_scenario() -> Scenario:
    markets = [
        market("jp-near", "JP", "tokyo", grid_energisation_year=2028, interconnection_lead_time_months=3),
        market("au-far", "AU", "sydney", grid_energisation_year=2026),
    ]
    return scenario(markets, [("tokyo", 2027, "inference", 80.0), ("tokyo", 2029, "inference", 50.0)],
                    policy={"latency_sla_ms": {"tokyo": 20.0}}, options={"build_lead_time_months": 0})


def test_short_plan_names_region_year_mw_and_binding_constraint() -> None:
    result = solve(_power_short_scenario())
    short = result.shortfalls
    assert len(short) == 1
    row = short.iloc[0]
    assert (row["region"], int(row["year"]), row["workload"]) == ("tokyo", 2027, "inference")
    assert row["mw"] == pytest.approx(80.0)
    assert "power" in row["binding"] and "latency" in row["binding"]
    text = row["explanation"]
    assert text.startswith("Tokyo inference 2027 is 80 MW short")
    assert "no site within 20 ms has power before 2028 (Jp-Near energises 2028-01)" in text
    with pytest.raises(InfeasibleError) as err:
        solve(_power_short_scenario(), allow_unmet=False)
    assert "Tokyo inference 2027 is 80 MW short" in str(err.value)


@pytest.mark.parametrize(
    ("family", "policy", "options", "words"),
    [
        ("labour", {}, {"build_lead_time_months": 12}, "construction labour"),
        ("lead time", {}, {"build_lead_time_months": 36}, "build lead time 3 years"),
        ("diversification", {"max_share_per_country": 0.5}, {}, "any country at 50%"),
    ],
)
def test_each_binding_family_is_named(family: str, policy: dict, options: dict, words: str) -> None:
    markets = [market("jp-a", "JP", "tokyo", labour_capacity_mw_per_year=30.0),
               market("au-a", "AU", "sydney")]
    scn = scenario(markets, [("tokyo", 2027, "inference", 60.0)], policy=policy, options=options)
    result = solve(scn)
    row = result.shortfalls.set_index(["region", "year"]).loc[("tokyo", 2027)]
    assert family in row["binding"], row["explanation"]
    assert words in row["explanation"]


def test_training_screen_is_named() -> None:
    markets = [market("jp-a", "JP", "tokyo", ai_training_legal_regime="no")]
    scn = scenario(markets, [("training", 2028, "training", 40.0)])
    row = solve(scn).shortfalls.iloc[0]
    assert row["binding"] == "screens"
    assert row["explanation"].startswith("Training pool 2028 is 40 MW short")
    assert "legal regime" in row["explanation"]


def test_shadow_price_of_power_is_reported() -> None:
    # One site, power-bound: 1 MW more facility power serves 1/PUE MW more and saves the penalty.
    markets = [market("jp-a", "JP", "tokyo", grid_available_mw=50.0, pue=1.25)]
    scn = scenario(markets, [("tokyo", 2028, "inference", 80.0)], years=(2026, 2028))
    result = solve(scn)
    power = result.binding[result.binding["constraint"] == "power"].set_index("year")
    assert 2028 in power.index
    assert power.at[2028, "shadow_price"] > 0
    assert power.at[2028, "shadow_price"] < 5.0e6 / 1.25 * 1.08 ** -2 + 1e-3


def test_cli_portfolio_json(tmp_path: Any) -> None:
    from typer.testing import CliRunner

    from gridfirst.cli import app

    path = tmp_path / "s.yaml"
    path.write_text(_power_short_scenario().to_yaml(), encoding="utf-8")
    out = CliRunner().invoke(app, ["portfolio", str(path), "--format", "json"])
    assert out.exit_code == 0, out.output
    payload = json.loads(out.stdout)
    assert payload["shortfalls"][0]["region"] == "tokyo"
    assert math.isfinite(payload["total_cost_usd"])
    csv_out = CliRunner().invoke(app, ["portfolio", str(path), "--format", "csv"])
    assert csv_out.exit_code == 0 and csv_out.stdout.startswith("site,")


def _competing_scenario(deal_trains: bool) -> Scenario:
    """One 30 MW deal in Tokyo online in 2027, wanted by 30 MW of Tokyo inference and a 30 MW
    training pool; new builds (Osaka, power from 2026) take two years, so only the deal serves
    2027. When ``deal_trains`` is False the deal's market forbids training (screened)."""
    markets = [
        market("jp-a", "JP", "tokyo", ai_training_legal_regime="yes" if deal_trains else "no",
               grid_available_mw=0.0),
        market("jp-b", "JP", "osaka", latitude=34.69, longitude=135.50),
    ]
    deals = [{"id": "kk", "kind": "colocation", "counterparty": "Colo KK", "market": "jp-a",
              "capacity_mw": 30, "start_year": 2027, "term_years": 5,
              "price_usd_per_kw_month": 100, "take_or_pay_share": 0.5}]
    points = [("tokyo", 2027, "inference", 30.0), ("training", 2027, "training", 30.0)]
    return scenario(markets, points, deals=deals, years=(2026, 2028),
                    policy={"latency_sla_ms": {"inference": 20.0}},
                    options={"build_lead_time_months": 24})


def test_a_screen_that_only_moves_the_shortfall_is_not_named() -> None:
    # The deal serves Tokyo inference; relaxing the training screen would only hand it to the
    # training pool and leave Tokyo short instead (total unmet unchanged), so the training
    # shortfall is put down to lead time, not screens.
    result = solve(_competing_scenario(deal_trains=False))
    short = result.shortfalls.set_index(["region", "year"])
    assert list(short.index) == [("training", 2027)]
    row = short.loc[("training", 2027)]
    assert row["mw"] == pytest.approx(30.0)
    assert row["binding"] == "lead time", row["explanation"]
    assert "screens" not in row["binding"] and "legal regime" not in row["explanation"]
    assert "build lead time 2 years" in row["explanation"]
    assert "Relaxing lead time alone would serve all 30 MW" in row["explanation"]


def test_capacity_held_by_other_demand_is_named() -> None:
    result = solve(_competing_scenario(deal_trains=True))
    short = result.shortfalls
    assert len(short) == 1 and short.iloc[0]["mw"] == pytest.approx(30.0)
    row = short.iloc[0]
    other = "Tokyo inference" if row["region"] == "training" else "the training pool"
    assert row["binding"] == "lead time", row["explanation"]
    assert f"the 30 MW Colo KK deal serves {other}" in row["explanation"]


def test_lead_time_without_candidates_uses_the_scenario_lead_time() -> None:
    # No site within 3 ms of Singapore: the lead-time reason falls back to the scenario's lead
    # time (24 months = 2 years), not a minimum over no sites (0 years).
    markets = [market("jp-a", "JP", "tokyo")]
    scn = scenario(markets, [("singapore", 2027, "inference", 20.0)], years=(2026, 2028),
                   policy={"latency_sla_ms": {"inference": 3.0}},
                   options={"build_lead_time_months": 24})
    row = solve(scn).shortfalls.iloc[0]
    text = row["explanation"]
    assert "build lead time 0 years" not in text and "online from 2026" not in text
    assert row["binding"] == "lead time + latency", text
    assert "no candidate site is within 3 ms of Singapore" in text
    assert "build lead time 2 years" in text
    assert "Relaxing lead time + latency together would serve all 20 MW" in text
    assert ", and, together," not in text


def test_binding_is_families_in_a_fixed_order() -> None:
    from gridfirst.portfolio.explain import ORDER, SEPARATOR, WORDS

    result = solve(_mixed_scenario())
    words = [WORDS[f] for f in ORDER]
    assert not result.shortfalls.empty
    for binding, text in zip(result.shortfalls["binding"], result.shortfalls["explanation"],
                             strict=True):
        parts = str(binding).split(SEPARATOR)
        assert all(p in words for p in parts), binding
        assert [words.index(p) for p in parts] == sorted(words.index(p) for p in parts), binding
        assert len(set(parts)) == len(parts)
        assert " and " not in str(binding) and ", and, together," not in text
        assert text.endswith(".") and ".." not in text
