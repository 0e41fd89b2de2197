"""Tests of gridfirst.network: latency invariants, calibration, cuts and diversity."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfirst.errors import DataError, ScenarioError
from gridfirst.network import (
    LatencyModel,
    cable_disjoint_paths,
    cables,
    calibration_report,
    connectivity,
    default_parameters,
    landings,
    latency_matrix,
    latency_ms,
    latency_to_points,
    population_within_ms,
    route,
    segments,
    speed_of_light_rtt_ms,
)
from gridfirst.network.latency import endpoint, match_cables
from gridfirst.scenario import Market

CITIES = [
    "Tokyo",
    "Singapore",
    "Sydney",
    "London",
    "Los Angeles",
    "Mumbai",
    "Dubai",
    "Seoul",
    "Jakarta",
    "Hong Kong",
    "Frankfurt am Main",
    "Auckland",
    "Kuala Lumpur",
    "Perth",
]

_FIELDS = dict(
    grid_available_mw=100,
    grid_energisation_year=2027,
    interconnection_lead_time_months=24,
    price_usd_per_mwh=80,
    grid_intensity_tco2_per_mwh=0.4,
    grid_cfe_share=0.3,
    solar_cf=0.18,
    wind_cf=0.25,
    land_cost_usd_per_m2=500,
    construction_cost_usd_per_mw=1.0e7,
    political_stability_percentile=70,
    regulatory_quality_percentile=70,
    conflict_exposure_gpi=1.8,
    ai_training_legal_regime="yes",
    seismic_hazard_pga_g=0.2,
    cyclone_hazard_level=1,
    water_stress_score=2,
    labour_capacity_mw_per_year=100,
    existing_capacity_mw=500,
    competing_pipeline_mw=200,
    mean_temperature_c=20,
)


def market(
    mid: str, country: str, lat: float, lon: float, cables_: list[str] | None = None
) -> Market:
    return Market(
        id=mid,
        name=mid,
        country=country,
        region="asia_pacific",
        latitude=lat,
        longitude=lon,
        cable_systems=cables_ or [],
        **_FIELDS,
    )


@pytest.fixture(scope="module")
def markets() -> list[Market]:
    return [
        market("x-tokyo", "JP", 35.83, 140.15),
        market("x-singapore", "SG", 1.35, 103.82, ["SJC2", "APG"]),
        market("x-sydney", "AU", -33.87, 151.21),
    ]


def test_bundled_data_integrity() -> None:
    cab, land, seg = cables(), landings(), segments()
    assert land.groupby("cable_id").size().min() >= 2
    assert set(seg["cable_id"]) <= set(cab.index)
    assert land["latitude"].between(-90, 90).all() and land["longitude"].between(-180, 180).all()
    names = " ".join(cab["name"]).lower()
    for system in [
        "indigo-west",
        "australia-singapore",
        "southern cross",
        "hawaiki",
        "jga",
        "apg",
        "sjc2",
        "adc",
        "apcn-2",
        "eac-c2c",
        "seamewe-3",
        "seamewe-4",
        "seamewe-5",
        "seamewe-6",
        "aae-1",
        "peace",
        "2africa",
        "marea",
        "faster",
        "jupiter",
        "falcon",
        "iax",
    ]:
        assert system in names, system
    assert {"red_sea", "luzon_strait", "malacca_strait"} <= {
        c for s in cab["corridors"] for c in s.split(";") if c
    }


def test_market_cable_names_match() -> None:
    assert "southeast-asia-japan-cable-2-sjc2" in match_cables(["SJC2"])
    assert {"indigo-west", "indigo-central"} <= set(match_cables(["INDIGO"]))
    assert "seamewe-5" in match_cables(["SEA-ME-WE 5"])


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(CITIES), st.sampled_from(CITIES))
def test_rtt_symmetric(a: str, b: str) -> None:
    assert latency_ms(a, b) == pytest.approx(latency_ms(b, a), rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(st.sampled_from(CITIES), st.sampled_from(CITIES), st.sampled_from(CITIES))
def test_triangle_inequality_up_to_overhead(a: str, b: str, c: str) -> None:
    slack = default_parameters().fixed_overhead_ms + 4 * default_parameters().hop_overhead_ms
    assert latency_ms(a, c) <= latency_ms(a, b) + latency_ms(b, c) + slack


@settings(max_examples=30, deadline=None)
@given(st.floats(-45, 60), st.floats(-179, 179), st.floats(-45, 60), st.floats(-179, 179))
def test_never_faster_than_light(lat1: float, lon1: float, lat2: float, lon2: float) -> None:
    rtt = latency_ms((lat1, lon1), (lat2, lon2))
    assert rtt >= speed_of_light_rtt_ms(lat1, lon1, lat2, lon2)


def test_calibration_within_15_percent_and_beats_rule_of_thumb() -> None:
    report = calibration_report()
    assert len(report) >= 20
    worst = report["model_error"].abs().idxmax()
    assert report["model_error"].abs().max() <= 0.15, worst
    assert report["model_error"].abs().mean() < report["rule_of_thumb_error"].abs().mean()
    assert (report["model_rtt_ms"] >= report["light_bound_rtt_ms"]).all()


@pytest.mark.parametrize(
    "a,b", [("Tokyo", "Singapore"), ("London", "Mumbai"), ("Sydney", "Los Angeles")]
)
def test_removing_a_cable_never_lowers_latency(a: str, b: str) -> None:
    base = LatencyModel()
    ea, eb = endpoint(a), endpoint(b)
    rtt0 = base.rtt_to(ea, [eb])[0]
    used = base.route(ea, eb).extra["cable_ids"]
    assert used, "an overseas route uses at least one cable"
    for cable in [*used, "marea", "apcn-2"]:
        cut = LatencyModel(cut_cables=frozenset({cable})).rtt_to(ea, [eb])[0]
        assert cut >= rtt0 - 1e-9
    # cutting the cable the route used makes it strictly slower or reroutes at equal cost
    assert LatencyModel(cut_cables=frozenset(used)).rtt_to(ea, [eb])[0] >= rtt0


def test_red_sea_cut_slows_europe_asia() -> None:
    ea, eb = endpoint("London"), endpoint("Singapore")
    base = LatencyModel().rtt_to(ea, [eb])[0]
    cut = LatencyModel(cut_corridors=frozenset({"red_sea"})).rtt_to(ea, [eb])[0]
    assert cut > base + 5


def test_disjoint_paths_hand_built_graph() -> None:
    # Areas A, B, C, D. Cables: x: A-B, y: A-B-C, z: B-D, w: A-D, v: C-D.
    members = {
        "x": {"A", "B"},
        "y": {"A", "B", "C"},
        "z": {"B", "D"},
        "w": {"A", "D"},
        "v": {"C", "D"},
    }
    # A->D: w direct; y to C then v; x to B then z  -> 3 cable-disjoint routes
    assert cable_disjoint_paths(members, {"A"}, {"D"}) == 3
    # A->B: x, y, and w+z (D) -> 3; cutting x and y leaves the w-z route
    assert cable_disjoint_paths(members, {"A"}, {"B"}) == 3
    assert cable_disjoint_paths({"y": {"A", "C"}}, {"A"}, {"C"}) == 1
    assert cable_disjoint_paths({"y": {"A", "C"}}, {"A"}, {"D"}) == 0
    assert math.isinf(cable_disjoint_paths(members, {"A", "B"}, {"B"}))


def test_latency_tables(markets: list[Market]) -> None:
    points = {"tokyo": (35.68, 139.69), "lagos": (6.45, 3.39)}
    table = latency_to_points(markets, points)
    assert list(table.index) == [m.id for m in markets] and list(table.columns) == list(points)
    assert table.at["x-tokyo", "tokyo"] < 15 < table.at["x-singapore", "tokyo"]
    matrix = latency_matrix(markets)
    assert matrix.shape[0] == 3 and matrix.shape[1] > 500
    assert (matrix.to_numpy() > 0).all()
    near = population_within_ms(markets, 30)
    far = population_within_ms(markets, 120)
    assert (far >= near).all() and (near > 0).all()


def test_connectivity(markets: list[Market]) -> None:
    table = connectivity(markets[:2], hubs=("London", "Sydney"))
    assert table["connectivity_score"].between(0, 1).all()
    assert (table["worst_cable_cut_rtt_ms"] >= table["rtt_to_hubs_ms"]).all()
    assert (table["worst_corridor_cut_rtt_ms"] >= table["rtt_to_hubs_ms"]).all()
    assert (table["cable_disjoint_paths"] >= 2).all()
    assert not table["single_cable_risk"].any()


def test_route_reports_cables() -> None:
    r = route("Tokyo", "Los Angeles")
    assert r.cables and r.rtt_ms > 80 and r.fibre_km >= r.great_circle_km


def test_bad_input_errors(tmp_path, monkeypatch) -> None:
    with pytest.raises(ScenarioError, match="nowhere-at-all"):
        latency_ms("nowhere-at-all", "Tokyo")
    with pytest.raises(ScenarioError, match="out of range"):
        latency_ms((95.0, 0.0), "Tokyo")
    import gridfirst.network.data as data

    (tmp_path / "cables.csv").write_text(
        "cable_id,name,rfs_year,length_km,corridors,source_id\nx,X,soon,1,,s\n"
    )
    monkeypatch.setattr(data, "network_data_dir", lambda: tmp_path)
    data.cables.cache_clear()
    try:
        with pytest.raises(DataError, match="rfs_year"):
            data.cables()
    finally:
        data.cables.cache_clear()


def test_cli_json() -> None:
    from typer.testing import CliRunner

    from gridfirst.cli import app

    result = CliRunner().invoke(app, ["latency", "tokyo", "SINGAPORE", "-f", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert 50 < payload["rtt_ms"] < 100 and payload["cables"]
