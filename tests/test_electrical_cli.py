"""Tests of ``gridfirst electrical``: JSON fields, comparison, diagram, ramp buffer and named errors."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from gridfirst.cli import app


def _run(*args: str):
    return CliRunner().invoke(app, ["electrical", *args])


def test_json_has_the_promised_fields(tmp_path) -> None:
    svg = tmp_path / "chain.svg"
    result = _run("--market", "us-northern-virginia", "--it-mw", "100", "--topology", "2N",
                  "--rack-kw", "130", "--format", "json", "--svg", str(svg))
    assert result.exit_code == 0, result.output
    rec = json.loads(result.stdout)
    for key in ("availability", "downtime_hours_per_year", "capex_usd_per_mw", "equipment"):
        assert key in rec
    assert 0 < rec["availability"] < 1
    assert rec["downtime_hours_per_year"] == pytest.approx((1 - rec["availability"]) * 8760)
    ups = next(e for e in rec["equipment"] if e["component"] == "ups")
    assert set(ups) >= {"component", "count", "rating_mw"}
    assert ups["count"] * ups["rating_mw"] >= 2 * 100  # 2N: each side carries the whole IT load
    root = ET.parse(svg).getroot()
    assert root.tag.endswith("svg")
    assert "UPS" in svg.read_text()


def test_site_of_the_example_scenario_reads_its_market() -> None:
    result = _run("--site", "sg-singapore", "--it-mw", "20", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["market_id"] == "sg-singapore"


def test_a_scenario_site_uses_its_market_grid() -> None:
    result = _run("--site", "inzai-campus-a", "--it-mw", "60", "--topology", "N+1", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["market_id"] == "jp-tokyo-inzai"


def test_compare_lists_every_topology() -> None:
    result = _run("--market", "de-frankfurt", "--it-mw", "50", "--compare", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["topology"] for r in rows] == ["N", "N+1", "2N", "2(N+1)", "DR", "BR"]
    by = {r["topology"]: r for r in rows}
    assert by["2(N+1)"]["downtime_hours_per_year"] <= by["N"]["downtime_hours_per_year"]
    assert by["2(N+1)"]["capex_usd_per_mw"] > by["N"]["capex_usd_per_mw"]
    table = _run("--market", "de-frankfurt", "--it-mw", "50", "--compare")
    assert table.exit_code == 0 and "2(N+1)" in table.stdout


def test_ramp_buffer_from_a_user_profile(tmp_path) -> None:
    profile = tmp_path / "load.csv"
    rows = ["time_s,power_mw"] + [f"{i * 0.5},{80 if (i // 20) % 2 else 40}" for i in range(400)]
    profile.write_text("\n".join(rows) + "\n")
    result = _run("--market", "us-texas", "--it-mw", "80", "--ramp-limit", "100",
                  "--profile", str(profile), "--format", "json")
    assert result.exit_code == 0, result.output
    buf = json.loads(result.stdout)["ramp_buffer"]
    assert buf["buffer_power_mw"] > 0 and buf["buffer_energy_mwh"] > 0
    assert buf["cost_usd"] == min(buf["costs_usd"].values())


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--it-mw", "-100"], "--it-mw"),
        (["--topology", "3N"], "unknown topology"),
        (["--rack-kw", "0"], "--rack-kw"),
        (["--market", "xx-nowhere"], "not a bundled market"),
    ],
)
def test_bad_input_is_one_named_line(args: list[str], needle: str) -> None:
    result = _run(*args)
    assert result.exit_code == 2
    assert needle in result.output
    assert "Traceback" not in result.output


def test_a_row_naming_an_unknown_source_is_rejected(tmp_path, monkeypatch) -> None:
    from gridfirst.electrical import data
    from gridfirst.errors import DataError

    folder = tmp_path / "electrical"
    shutil.copytree(data.electrical_data_dir(), folder)
    path = folder / "components.csv"
    path.write_text(path.read_text().replace("el-ieee493-neqsim", "el-nowhere", 1))
    monkeypatch.setattr(data, "electrical_data_dir", lambda: folder)
    data.components.cache_clear()
    data.electrical_sources.cache_clear()
    try:
        with pytest.raises(DataError, match="el-nowhere"):
            data.components()
    finally:
        data.components.cache_clear()
        data.electrical_sources.cache_clear()
