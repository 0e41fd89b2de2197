"""The markets and validate commands: formats, errors, and a light start-up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml
from typer.testing import CliRunner

from gridfirst.cli import app
from gridfirst.scenario import example_path

runner = CliRunner()


def test_markets_json_is_a_list_with_model_field_names() -> None:
    result = runner.invoke(app, ["markets", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert isinstance(data, list) and len(data) >= 35
    keys = {"id", "name", "country", "latitude", "longitude", "grid_intensity_tco2_per_mwh",
            "price_usd_per_mwh", "political_stability_percentile"}
    assert all(keys <= set(row) for row in data)
    assert all(len(row["country"]) == 2 and row["country"].isupper() for row in data)


def test_markets_region_filter_and_csv() -> None:
    result = runner.invoke(app, ["markets", "--region", "europe", "--format", "csv"])
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("id,name,country,region")
    assert all(",europe," in line for line in lines[1:])
    bad = runner.invoke(app, ["markets", "--region", "mars"])
    assert bad.exit_code == 2 and "mars" in bad.output


def test_markets_show_gives_a_source_for_every_field() -> None:
    result = runner.invoke(app, ["markets", "show", "sg-singapore", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    fields = {r["field"] for r in rows}
    assert {"price_usd_per_mwh", "grid_available_mw", "cable_systems"} <= fields
    assert all(r["source"] and r["kind"] in {"source", "assumption", "derived"} for r in rows)
    missing = runner.invoke(app, ["markets", "show", "sg-singapur"])
    assert missing.exit_code == 2 and "did you mean sg-singapore" in missing.output


def test_validate_good_and_bad(tmp_path: Path) -> None:
    good = runner.invoke(app, ["validate", str(example_path()), "--format", "json"])
    assert good.exit_code == 0 and json.loads(good.stdout)["valid"] is True
    data = yaml.safe_load(example_path().read_text())
    data["policy"]["cfe_target"] = 2
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text(yaml.safe_dump(data))
    bad = runner.invoke(app, ["validate", str(bad_file), "--format", "json"])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["problems"] == ["bad.yaml: policy.cfe_target: 2 is above 1"]


def test_cli_imports_no_heavy_library_and_runs_from_any_folder(tmp_path: Path) -> None:
    code = (
        "import sys, gridfirst.cli; heavy = {'pandas', 'numpy', 'scipy', 'highspy', 'pvlib', "
        "'plotly', 'networkx'} & set(sys.modules); print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    env = dict(os.environ)
    result = subprocess.run(
        [sys.executable, "-m", "gridfirst", "validate", str(example_path()), "--format", "json"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=True,
    )
    assert json.loads(result.stdout)["name"] == "apac-expansion"


def test_markets_show_is_case_insensitive_and_years_are_numbers() -> None:
    result = runner.invoke(app, ["markets", "show", "JP-Osaka", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert all(isinstance(r["data_year"], int) for r in rows if r["kind"] != "derived")
