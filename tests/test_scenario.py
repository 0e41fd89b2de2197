"""The scenario model: validation errors name file, field and value; YAML round trips."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfirst.errors import ScenarioError
from gridfirst.scenario import (
    dump_yaml,
    example_path,
    load_scenario,
    pue_from_climate,
    scenario_from_dict,
)


@pytest.fixture()
def example_dict() -> dict:
    return yaml.safe_load(example_path().read_text())


def write(tmp_path: Path, data: dict, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_example_loads_and_has_the_stated_shape() -> None:
    scenario = load_scenario()
    assert scenario.name == "apac-expansion"
    assert scenario.policy.cfe_target == 0.9
    regions = {r.city for r in scenario.demand.regions}
    assert regions == {"Tokyo", "Sydney", "Singapore", "Seoul", "Mumbai"}
    table = scenario.demand.table()
    total_2030 = table[table.year == 2030].mw.sum()
    assert 900 <= total_2030 <= 1100  # "about 1 GW by 2030"
    assert set(table.workload) == {"training", "inference"}
    assert scenario.market("my-johor").pue == 1.3  # the override applied


def test_example_is_the_checkout_example() -> None:
    checkout = Path(__file__).parents[1] / "examples" / "apac.yaml"
    assert checkout.read_text() == example_path().read_text()


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["markets"]["overrides"].update({"au-sydney": {"price_usd_per_mwh": -20}}),
            "s.yaml: markets.overrides.au-sydney.price_usd_per_mwh: -20 is below 0",
        ),
        (
            lambda d: d["sites"][0]["power_schedule"][0].update({"available_mw": -5}),
            "s.yaml: sites[0].power_schedule[0].available_mw: -5 is below 0",
        ),
        (
            lambda d: d["sites"][0].update({"max_it_mw": "lots"}),
            "s.yaml: sites[0].max_it_mw: 'lots'",
        ),
        (
            lambda d: d["policy"].update({"cfe_taget": 0.8}),
            "s.yaml: policy.cfe_taget: unknown field 'cfe_taget'",
        ),
        (
            lambda d: d["sites"][0].update({"market": "jp-tokio"}),
            "sites[0].market: 'jp-tokio' is not a known id; did you mean",
        ),
        (
            lambda d: d["markets"]["include"].append("xx-nowhere"),
            "markets.include[23]: 'xx-nowhere' is not a known id",
        ),
        (
            lambda d: d["demand"]["regions"][0].update({"latitude": 95}),
            "s.yaml: demand.regions[0].latitude: 95 is above 90",
        ),
        (
            lambda d: d["sites"].append(copy.deepcopy(d["sites"][0])),
            "sites[2].id: 'inzai-campus-a' is a duplicate id",
        ),
        (
            lambda d: d["demand"]["points"].append(
                {"region": "osaka", "year": 2030, "workload": "inference", "mw": 5}
            ),
            "demand.points[54].region: 'osaka' is not a known id",
        ),
        (
            lambda d: d["demand"]["points"][0].update({"low_mw": 1000}),
            "demand.points[0]: need low_mw <= mw <= high_mw",
        ),
    ],
)
def test_bad_input_names_file_field_and_value(tmp_path, example_dict, mutate, expected) -> None:
    mutate(example_dict)
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, example_dict))
    assert expected in str(info.value)


def test_extra_market_latitude_out_of_range(tmp_path, example_dict) -> None:
    market = load_scenario().market("au-sydney").model_dump(mode="json")
    market.update({"id": "my-own", "latitude": -120})
    example_dict["markets"]["extra"] = [market]
    with pytest.raises(ScenarioError, match=r"markets\.extra\[0\]\.latitude: -120 is below -90"):
        load_scenario(write(tmp_path, example_dict))


def test_every_problem_is_reported_not_only_the_first(tmp_path, example_dict) -> None:
    example_dict["policy"]["cfe_target"] = 1.5
    example_dict["policy"]["discount_rate"] = -0.1
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, example_dict))
    assert len(info.value.problems) == 2


def test_missing_file_and_bad_yaml(tmp_path) -> None:
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load_scenario(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match="bad.yaml: not valid YAML"):
        load_scenario(bad)


def test_yaml_round_trip_is_lossless() -> None:
    scenario = load_scenario()
    again = scenario_from_dict(yaml.safe_load(dump_yaml(scenario)))
    assert again == scenario
    assert again.resolved_markets() == scenario.resolved_markets()


@settings(max_examples=30, deadline=None)
@given(
    cfe=st.floats(0, 1),
    share=st.floats(0.01, 1),
    price=st.floats(0, 1000),
    sla=st.floats(1, 300),
)
def test_round_trip_holds_for_any_valid_policy(cfe, share, price, sla) -> None:
    data = {
        "name": "t",
        "markets": {"include": ["sg-singapore"], "overrides": {"sg-singapore": {"price_usd_per_mwh": price}}},
        "policy": {"cfe_target": cfe, "max_share_per_country": share, "latency_sla_ms": {"inference": sla}},
    }
    scenario = scenario_from_dict(data)
    assert scenario_from_dict(yaml.safe_load(dump_yaml(scenario))) == scenario
    assert scenario.market("sg-singapore").price_usd_per_mwh == price


def test_override_changes_one_field_only() -> None:
    base = scenario_from_dict({"name": "a", "markets": {"include": ["kr-seoul"]}}).market("kr-seoul")
    over = scenario_from_dict(
        {"name": "b", "markets": {"include": ["kr-seoul"], "overrides": {"kr-seoul": {"wind_cf": 0.5}}}}
    ).market("kr-seoul")
    assert over.wind_cf == 0.5
    assert over.model_dump(exclude={"wind_cf"}) == base.model_dump(exclude={"wind_cf"})


def test_pue_rises_with_temperature_and_stays_physical() -> None:
    values = [pue_from_climate(t) for t in range(-10, 40)]
    assert all(b >= a for a, b in zip(values, values[1:], strict=False))
    assert min(values) > 1.0 and max(values) < 2.0


def test_every_cross_reference_problem_is_reported_at_once(tmp_path, example_dict) -> None:
    example_dict["markets"]["include"].append("xx-nowhere")
    example_dict["markets"]["overrides"]["au-sydney"] = {"price_usd_per_mwh": -1, "solar_cf": 2}
    example_dict["sites"][0]["market"] = "jp-tokio"
    example_dict["sites"].append(copy.deepcopy(example_dict["sites"][1]))
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, example_dict))
    problems = info.value.problems
    assert len(problems) == 5, problems
    assert all(p.startswith("s.yaml: ") for p in problems)
    joined = "\n".join(problems)
    for fragment in ("markets.include[23]", "price_usd_per_mwh: -1 is below 0",
                     "solar_cf: 2 is above 1", "sites[0].market", "sites[2].id"):
        assert fragment in joined


def test_country_must_be_a_real_iso_code(tmp_path, example_dict) -> None:
    market = load_scenario().market("au-sydney").model_dump(mode="json")
    market.update({"id": "my-own", "country": "XX"})
    example_dict["markets"]["extra"] = [market]
    example_dict["policy"]["excluded_countries"] = ["ZZ"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, example_dict))
    text = str(info.value)
    assert "markets.extra[0].country: 'XX' is not an ISO 3166-1 alpha-2 country code" in text
    assert "policy.excluded_countries: 'ZZ' is not an ISO 3166-1 alpha-2 country code" in text


def test_yaml_to_model_to_yaml_is_lossless(tmp_path) -> None:
    """YAML -> model -> YAML -> model: the second YAML says exactly what the first did."""
    first = dump_yaml(load_scenario())
    second = dump_yaml(scenario_from_dict(yaml.safe_load(first)))
    assert yaml.safe_load(second) == yaml.safe_load(first)
    assert second == first
