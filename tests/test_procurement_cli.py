"""Tests of the ``gridfirst procure`` command: JSON-only stdout, CSV, plot, clear errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from gridfirst.cli import app


@pytest.fixture(scope="module")
def cheap_grid_file(tmp_path_factory) -> str:
    """A year where the grid is cheap and the CFE share is 0.95: mostly grid, an easy LP."""
    hours = 8760
    t = np.arange(hours)
    frame = pd.DataFrame(
        {
            "time": pd.date_range("2024-01-01", periods=hours, freq="h", tz="UTC"),
            "load_mw": 50.0,
            "solar_cf": np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, 1) * 0.8,
            "wind_cf": np.full(hours, 0.3),
            "grid_price_usd_per_mwh": 5.0,
            "grid_intensity_tco2_per_mwh": 0.4,
            "grid_cfe_share": 0.95,
        }
    )
    path = tmp_path_factory.mktemp("procure") / "hourly.csv"
    frame.to_csv(path, index=False)
    return str(path)


def test_json_stdout_holds_only_the_json(cheap_grid_file, tmp_path) -> None:
    plot = tmp_path / "dispatch.html"
    result = CliRunner().invoke(
        app, ["procure", "--hourly", cheap_grid_file, "--cfe-target", "0.9", "--method", "highs",
              "--format", "json", "--plot", str(plot)],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    for key in ("objective_usd", "solar_mw", "wind_mw", "battery_mw", "battery_mwh", "firm_mw",
                "cfe_score", "optimality_gap", "solve_seconds"):
        assert key in payload
    # the grid's 95 % clean share meets 90 %: the cost is the grid bill
    assert payload["objective_usd"] == pytest.approx(50.0 * 8760 * 5.0, rel=1e-9)
    assert payload["cfe_score"] == pytest.approx(0.95)
    html = plot.read_text()
    assert "summer week" in html and "winter week" in html
    assert len(html) > 1_000_000 and "<script src=\"http" not in html  # plotly.js inline


def test_csv_and_bad_inputs(cheap_grid_file, tmp_path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["procure", "--hourly", cheap_grid_file, "--cfe-target", "0",
                                 "--method", "highs", "--format", "csv"])
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    assert header.startswith("cfe_target,objective_usd")
    bad = tmp_path / "short.csv"
    pd.read_csv(cheap_grid_file).iloc[:10].to_csv(bad, index=False)
    result = runner.invoke(app, ["procure", "--hourly", str(bad), "--format", "json"])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "expected 8760" in " ".join(result.stderr.split())
    result = runner.invoke(app, ["procure", "--format", "json"])
    assert result.exit_code == 2 and "exactly one of" in result.stderr


# A market whose procurement-relevant figures are all set here (none of the bundled values used).
_MARKET = "jp-tokyo-inzai"
_FIGURES = {"price_usd_per_mwh": 80.0, "grid_cfe_share": 0.0, "grid_intensity_tco2_per_mwh": 0.5,
            "solar_cf": 0.15, "wind_cf": 0.25}
_PRICEY = {f"{k}_usd_per_{u}_year": 1e9 for k, u in
           [("solar", "mw"), ("wind", "mw"), ("battery_power", "mw"), ("battery_energy", "mwh"),
            ("firm", "mw")]}
_LOAD_MW = 10.0
_HOURS = 8760


def _scenario_file(tmp_path, name: str, costs: dict, cfe_target: float) -> str:
    import yaml

    data = {
        "name": name,
        "markets": {"include": [_MARKET], "overrides": {_MARKET: dict(_FIGURES)}},
        "sites": [{"id": "cheap-site", "market": _MARKET, "price_usd_per_mwh": 40.0},
                  {"id": "plain-site", "market": _MARKET}],
        "costs": costs,
        "policy": {"cfe_target": cfe_target},
    }
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _procure_json(*args: str) -> dict:
    result = CliRunner().invoke(app, ["procure", "--load-mw", str(_LOAD_MW), "--format", "json",
                                      *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_site_uses_its_own_price_over_its_market(tmp_path) -> None:
    # Every asset costs 1e9 USD/MW-yr and the target is 0: the optimum is the grid bill, which the
    # synthetic daily price shape keeps at the annual mean price x load x hours.
    path = _scenario_file(tmp_path, "grid-only", _PRICEY, 0.0)
    site = _procure_json("--site", "cheap-site", "--scenario", path, "--supply", "reference")
    market = _procure_json("--site", _MARKET, "--scenario", path, "--supply", "reference")
    assert site["objective_usd"] == pytest.approx(_LOAD_MW * _HOURS * 40.0, rel=1e-4)
    assert market["objective_usd"] == pytest.approx(_LOAD_MW * _HOURS * 80.0, rel=1e-4)
    assert site["cost_usd_per_mwh"] == pytest.approx(40.0, rel=1e-4)
    assert site["cfe_target"] == market["cfe_target"] == 0.0  # the scenario's policy


def test_scenario_cfe_target_and_costs_apply_unless_given(tmp_path) -> None:
    # Clean firm at 0 capital and 1 USD/MWh undercuts the 80 USD/MWh grid: all load is firm.
    path = _scenario_file(tmp_path, "cheap-firm", {"firm_usd_per_mw_year": 0.0,
                                                   "firm_marginal_usd_per_mwh": 1.0}, 0.55)
    got = _procure_json("--site", _MARKET, "--scenario", path, "--supply", "reference")
    assert got["cfe_target"] == 0.55
    assert got["objective_usd"] == pytest.approx(_LOAD_MW * _HOURS * 1.0, rel=1e-4)
    assert got["cfe_score"] == pytest.approx(1.0, abs=1e-4)
    costs = tmp_path / "costs.yaml"
    costs.write_text("firm_usd_per_mw_year: 0\nfirm_marginal_usd_per_mwh: 2.0\n")
    got = _procure_json("--site", _MARKET, "--scenario", path, "--cfe-target", "0.2",
                        "--costs", str(costs), "--supply", "reference")
    assert got["cfe_target"] == 0.2
    assert got["objective_usd"] == pytest.approx(_LOAD_MW * _HOURS * 2.0, rel=1e-4)


def test_site_of_the_default_scenario_and_unknown_ids(tmp_path) -> None:
    runner = CliRunner()
    # no --scenario: the bundled example, which holds the site inzai-campus-a
    result = runner.invoke(app, ["procure", "--site", "inzai-campus-a", "--cfe-target", "0",
                                 "--load-mw", "10", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cfe_target"] == 0.0
    result = runner.invoke(app, ["procure", "--site", "inzai-campus", "--format", "json"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "did you mean inzai-campus-a" in " ".join(result.stderr.split())
    # an explicit scenario bounds the ids: a bundled market outside it is an error
    path = _scenario_file(tmp_path, "bounded", {}, 0.9)
    result = runner.invoke(app, ["procure", "--site", "au-sydney", "--scenario", path])
    assert result.exit_code == 2 and "not a site or market of scenario" in result.stderr


def test_tables_read_at_80_columns(cheap_grid_file) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["procure", "--hourly", cheap_grid_file, "--method", "highs"],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip()
            for line in lines if line.count("│") == 3}
    assert rows["objective_usd"] == f"{50.0 * 8760 * 5.0:,.0f}"  # field/value, readable money
    assert rows["cfe_target"] == "0.9" and rows["battery_mw"] == "0"
    assert "cost_split_usd.grid_energy" in rows
    # targets the 95 %-clean grid meets: easy solves, the table is what is tested
    result = runner.invoke(app, ["procure", "--hourly", cheap_grid_file, "--sweep", "0:0.9:0.45"],
                           env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "USD/MWh" in result.stdout and sum(line.count("│") == 9 for line in lines) == 3
