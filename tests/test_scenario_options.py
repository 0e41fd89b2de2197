"""Typed options and costs: every section validated with located errors; no silent answers."""

from __future__ import annotations

import copy
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from gridfirst.errors import ScenarioError
from gridfirst.options import PlanOptions, PortfolioOptions, default_risk_options
from gridfirst.scenario import example_path, load_scenario, scenario_from_dict


@pytest.fixture()
def example() -> dict[str, Any]:
    return yaml.safe_load(example_path().read_text())


def _problem(data: dict[str, Any]) -> str:
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict(data, source="s.yaml")
    return str(info.value)


def _with(example: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(example)
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("options.portfolio.utilisaton", 0.7, "options.portfolio.utilisaton: unknown option"),
        ("options.plan.procurement_load_mw", 0, "options.plan.procurement_load_mw: 0 must be greater than 0"),
        ("options.plan.procurement_method", "simplex", "options.plan.procurement_method"),
        ("options.plan.seed", -1, "options.plan.seed: -1 is below 0"),
        ("options.risk.interconnection.sigmaa", 1.0, "options.risk.interconnection.sigmaa: unknown option"),
        ("options.risk.price.common_sigma", -1, "options.risk.price.common_sigma: -1 is below 0"),
        ("options.demand.sharez", {"tokyo": 1.0}, "options.demand.sharez: unknown option"),
        ("options.demand.shares", {"tokio": 1.0}, "options.demand.shares.tokio: 'tokio' is not a known id"),
        ("options.report", {}, "options.report: unknown option"),
        ("costs.solar_capex", 1.0, "costs.solar_capex: unknown field"),
        ("costs.solar_usd_per_mw_year", math.nan, "costs.solar_usd_per_mw_year"),
        ("policy.latency_sla_ms", {"inferense": 20}, "policy.latency_sla_ms.inferense: 'inferense' is not a known id; did you mean inference?"),
        ("policy.latency_sla_ms", {"inference": math.nan}, "policy.latency_sla_ms.inference"),
        ("policy.latency_sla_ms", {"inference": 0}, "must be a round trip > 0 ms"),
        ("policy.unmet_penalty_usd_per_mw_year", math.inf, "policy.unmet_penalty_usd_per_mw_year"),
        ("weights.grid_power", -0.1, "weights.grid_power: -0.1 must be >= 0"),
    ],
)
def test_a_bad_option_is_a_located_error(example: dict[str, Any], path: str, value: Any,
                                         expected: str) -> None:
    assert expected in _problem(_with(example, path, value))


def test_demand_points_twice_outside_the_horizon_or_infinite_are_errors(example: dict[str, Any]
                                                                         ) -> None:
    data = copy.deepcopy(example)
    data["demand"]["points"].append(dict(data["demand"]["points"][0]))
    assert "is given twice" in _problem(data)
    data = copy.deepcopy(example)
    data["demand"]["points"][0]["year"] = 2050
    assert "demand.points[0].year: 2050 is outside the horizon 2026..2035" in _problem(data)
    data = copy.deepcopy(example)
    data["demand"]["points"][0].update(mw=math.inf, high_mw=math.inf)
    assert "demand.points[0].mw" in _problem(data)


def test_defaults_live_in_one_place(example: dict[str, Any]) -> None:
    scenario = scenario_from_dict(example)
    assert scenario.options.plan == PlanOptions()
    assert scenario.options.portfolio == PortfolioOptions()
    assert scenario.options.risk == default_risk_options()
    partial = scenario_from_dict(_with(example, "options.risk.interconnection.sigma", 0.9))
    assert partial.options.risk.interconnection.sigma == 0.9
    assert partial.options.risk.construction == default_risk_options().construction


def test_unreadable_files_are_one_line_errors(tmp_path: Path) -> None:
    cases = {
        "folder": tmp_path / "adir",
        "empty": tmp_path / "empty.yaml",
        "bytes": tmp_path / "bytes.yaml",
        "yaml": tmp_path / "bad.yaml",
    }
    cases["folder"].mkdir()
    cases["empty"].write_text("  \n")
    cases["bytes"].write_bytes(b"name: x\n\xff\xfe\x00garbage")
    cases["yaml"].write_text("name: [unclosed\n")
    expected = {"folder": "is a folder", "empty": "is empty", "bytes": "is not UTF-8",
                "yaml": "not valid YAML at line"}
    for key, path in cases.items():
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        assert expected[key] in str(info.value)
        assert "\n" not in str(info.value)


def test_an_alias_bomb_is_refused_quickly_and_its_value_never_printed(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    lines.append("name: bomb")
    lines.append("description: *a8")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert time.perf_counter() - started < 10
    assert "alias" in str(info.value) and len(str(info.value)) < 300


def test_a_long_bad_value_is_cut_to_one_line(example: dict[str, Any]) -> None:
    message = _problem(_with(example, "policy.risk_appetite", "x" * 5000))
    assert len(message) < 400 and "..." in message


def test_validate_cli_locates_an_options_typo(tmp_path: Path, example: dict[str, Any]) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(_with(example, "options.portfolio.utilisaton", 0.7)))
    run = subprocess.run([sys.executable, "-m", "gridfirst", "validate", str(path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "typo.yaml: options.portfolio.utilisaton: unknown option" in run.stderr + run.stdout
    assert "Traceback" not in run.stderr
