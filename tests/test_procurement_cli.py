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
