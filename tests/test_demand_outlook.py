"""Regional split, the DemandOutlook, writing it into a scenario, and the demand command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gridfirst.cli import app
from gridfirst.demand import (
    conversion_chain,
    demand_outlook,
    population_shares,
    split_by_shares,
    to_outlook,
    write_outlook,
)
from gridfirst.demand.split import population_near
from gridfirst.demand.yaml_splice import splice_keys
from gridfirst.errors import ScenarioError
from gridfirst.scenario import TRAINING_POOL, DemandRegion, load_scenario, scenario_from_dict

TOKYO = DemandRegion(id="tokyo", name="Tokyo", city="Tokyo", latitude=35.69, longitude=139.69)
PERTH = DemandRegion(id="perth", name="Perth", city="Perth", latitude=-31.95, longitude=115.86)
SEA = DemandRegion(id="sea", name="Mid-Pacific", city="none", latitude=0.0, longitude=-160.0)

TOTAL = pd.DataFrame(
    {"mw": [10.0, 20.0, 40.0], "low_mw": [8.0, 14.0, 25.0], "high_mw": [12.0, 27.0, 60.0]},
    index=pd.Index([2026, 2027, 2028], name="year"),
)


def _series(n: int = 12) -> pd.Series:
    dates = pd.date_range("2024-01-01", periods=n, freq="MS")
    rng = np.random.default_rng(0)
    return pd.Series(1e11 * np.exp(0.08 * np.arange(n) + rng.normal(0, 0.02, n)), index=dates)


def test_population_weights_follow_city_sizes():
    shares = population_shares([TOKYO, PERTH])
    assert sum(shares.values()) == pytest.approx(1.0)
    # Greater Tokyo holds well over ten times Perth's population.
    assert shares["tokyo"] > 10 * shares["perth"]
    assert population_near(35.69, 139.69, 50) > 2.0e7
    with pytest.raises(ScenarioError, match="demand.regions.sea: no city"):
        population_shares([TOKYO, SEA])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0.01, 10.0), min_size=1, max_size=5))
def test_split_conserves_the_total_and_band(weights):
    shares = {f"r{i}": w / sum(weights) for i, w in enumerate(weights)}
    parts = split_by_shares(TOTAL, shares)
    summed = parts.groupby("year")[["mw", "low_mw", "high_mw"]].sum()
    np.testing.assert_allclose(summed.to_numpy(), TOTAL.to_numpy(), rtol=1e-9)
    assert (parts["low_mw"] <= parts["mw"]).all() and (parts["mw"] <= parts["high_mw"]).all()


def test_bad_shares_are_named():
    with pytest.raises(ScenarioError, match="sum to 0.9"):
        to_outlook(TOTAL, regions=[TOKYO, PERTH], shares={"tokyo": 0.5, "perth": 0.4})
    with pytest.raises(ScenarioError, match="shares.osaka"):
        to_outlook(TOTAL, regions=[TOKYO, PERTH], shares={"osaka": 1.0})
    with pytest.raises(ScenarioError, match="needs at least one region"):
        to_outlook(TOTAL)


def test_outlook_points_for_inference_and_training():
    outlook = to_outlook(
        TOTAL, TOTAL * 2, regions=[TOKYO, PERTH], shares={"tokyo": 0.75, "perth": 0.25}
    )
    table = outlook.table()
    assert set(table["workload"]) == {"inference", "training"}
    tokyo_2028 = table[(table.region == "tokyo") & (table.year == 2028)].iloc[0]
    assert (tokyo_2028.mw, tokyo_2028.low_mw, tokyo_2028.high_mw) == (30.0, 18.75, 45.0)
    training = table[table.region == TRAINING_POOL]
    assert list(training["mw"]) == [20.0, 40.0, 80.0]


def test_demand_outlook_end_to_end_matches_chain():
    chain = conversion_chain(
        "tokens_per_day",
        tokens_per_s_per_accelerator=2000,
        utilisation=0.5,
        it_power_per_accelerator_w=1500,
    )
    result = demand_outlook(
        _series(),
        "tokens_per_day",
        years=range(2025, 2029),
        chain=chain,
        regions=[TOKYO, PERTH],
        shares={"tokyo": 0.6, "perth": 0.4},
        n_boot=30,
        seed=3,
        pue=1.25,
    )
    totals = result.totals
    np.testing.assert_allclose(totals["mw"], totals["value"] * chain.it_mw_per_unit, rtol=1e-12)
    np.testing.assert_allclose(totals["facility_mw"], totals["mw"] * 1.25, rtol=1e-12)
    assert result.outlook is not None
    by_year = result.outlook.table().groupby("year")["mw"].sum()
    np.testing.assert_allclose(by_year.to_numpy(), totals["mw"].round(3).to_numpy(), atol=2e-3)
    payload = json.loads(json.dumps(result.to_dict(), default=str))
    assert payload["model"] in {"exponential", "logistic", "gompertz"}


def test_write_outlook_replaces_only_its_workload(tmp_path):
    src = tmp_path / "in.yaml"
    data = {
        "name": "t",
        "markets": {"include": []},
        "demand": {
            "regions": [TOKYO.model_dump(), PERTH.model_dump()],
            "points": [
                {"region": "tokyo", "year": 2026, "workload": "inference", "mw": 1.0},
                {"region": TRAINING_POOL, "year": 2026, "workload": "training", "mw": 5.0},
            ],
        },
    }
    src.write_text(yaml.safe_dump(data), encoding="utf-8")
    outlook = to_outlook(TOTAL, regions=[TOKYO, PERTH], shares={"tokyo": 0.5, "perth": 0.5})
    out = tmp_path / "out.yaml"
    scenario = write_outlook(src, outlook, out)
    points = scenario.demand.points
    assert [p for p in points if p.workload == "training"][0].mw == 5.0
    assert len([p for p in points if p.workload == "inference"]) == 6
    assert scenario_from_dict(yaml.safe_load(out.read_text())).demand.points == points
    with pytest.raises(ScenarioError, match="is the input scenario"):
        write_outlook(src, outlook, src)


def test_cli_json_contract_and_scenario(tmp_path):
    csv = tmp_path / "tokens.csv"
    _series(10).rename("value").to_frame().rename_axis("date").to_csv(csv)
    runner = CliRunner()
    result = runner.invoke(
        app,
        [
            "demand",
            str(csv),
            "--quantity",
            "tokens_per_day",
            "--samples",
            "20",
            "--end-year",
            "2030",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert {"model", "parameters", "aic", "forecast"} <= set(payload)
    assert payload["model"] in payload["aic"]
    if payload["model"] != "exponential":
        assert "ceiling" in payload["parameters"]
    assert [row["year"] for row in payload["forecast"]][-1] == 2030
    assert payload["extrapolation"]["max_years_beyond_data"] > 4

    out = tmp_path / "new.yaml"
    plot = tmp_path / "fit.html"
    scenario_path = tmp_path / "apac.yaml"
    scenario_path.write_text(
        yaml.safe_dump(
            {
                "name": "s",
                "markets": {"include": []},
                "horizon": {"start_year": 2026, "end_year": 2028},
                "demand": {"regions": [TOKYO.model_dump(), PERTH.model_dump()]},
                "options": {"demand": {"shares": {"tokyo": 0.7, "perth": 0.3}}},
            }
        ),
        encoding="utf-8",
    )
    result = runner.invoke(
        app,
        [
            "demand",
            str(csv),
            "-q",
            "tokens_per_day",
            "--samples",
            "20",
            "--format",
            "csv",
            "--write-scenario",
            str(scenario_path),
            "--out",
            str(out),
            "--plot",
            str(plot),
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("date,year,value,low,high")
    new = load_scenario(out)
    years = sorted({p.year for p in new.demand.points})
    assert years == [2026, 2027, 2028]
    tokyo = sum(p.mw for p in new.demand.points if p.region == "tokyo")
    perth = sum(p.mw for p in new.demand.points if p.region == "perth")
    assert tokyo / perth == pytest.approx(0.7 / 0.3, rel=1e-3)
    html = plot.read_text(encoding="utf-8")
    assert '<script src="http' not in html and "Plotly.newPlot" in html


def test_cli_bad_series_exits_with_message(tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("date,value\n2024-01-01,5\n2024-02-01,0\n2024-03-01,7\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["demand", str(csv), "-q", "tokens_per_day"])
    assert result.exit_code == 2
    assert "bad.csv line 3" in result.output and "not positive" in result.output


def _csv(tmp_path, n: int = 10):
    path = tmp_path / "tokens.csv"
    _series(n).rename("value").to_frame().rename_axis("date").to_csv(path)
    return path


def test_cli_shares_without_scenario_name_the_regions(tmp_path):
    csv = _csv(tmp_path)
    args = ["demand", str(csv), "-q", "tokens_per_day", "--samples", "20", "--end-year", "2027"]
    args += ["--models", "exponential"]  # the fit is not under test; keep the run short
    result = CliRunner().invoke(app, [*args, "--shares", "tokyo=0.75,sydney=0.25", "-f", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["shares"] == {"tokyo": 0.75, "sydney": 0.25}
    assert payload["share_method"] == "user shares"
    rows = pd.DataFrame(payload["outlook"])
    assert set(rows["region"]) == {"tokyo", "sydney"}
    by_region = rows.groupby("region")["mw"].sum()
    assert by_region["tokyo"] / by_region["sydney"] == pytest.approx(3.0, rel=1e-3)
    totals = {row["year"]: row["mw"] for row in payload["forecast"]}
    for year, group in rows.groupby("year"):
        assert group["mw"].sum() == pytest.approx(totals[year], abs=2e-3)

    table = CliRunner().invoke(app, [*args, "--shares", "tokyo=0.75,sydney=0.25"])
    assert table.exit_code == 0, table.output
    assert "IT MW by region and year" in table.stdout and "sydney" in table.stdout

    bad = CliRunner().invoke(app, [*args, "--shares", "tokyo=0.6,sydney=0.6"])
    assert bad.exit_code == 2
    assert "shares: they sum to 1.2; they must sum to 1" in " ".join(bad.output.split())


@pytest.mark.parametrize("samples", ["1", "19"])
def test_cli_refuses_too_few_bootstrap_samples(tmp_path, samples):
    result = CliRunner().invoke(
        app, ["demand", str(_csv(tmp_path)), "-q", "tokens_per_day", "--samples", samples]
    )
    assert result.exit_code == 2
    message = " ".join(result.output.split())  # rich wraps long lines
    assert f"--samples: {samples} bootstrap resamples are too few" in message
    assert "give at least 20 (or 0 for no band)" in message


def test_cli_zero_samples_warns_that_there_is_no_band(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "demand",
            str(_csv(tmp_path)),
            "-q",
            "tokens_per_day",
            "--samples",
            "0",
            "--models",
            "exponential",
            "-f",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert any("no band" in w for w in payload["warnings"])
    assert all(row["low"] == row["value"] == row["high"] for row in payload["forecast"])
    assert "no band" in result.stderr


def test_cli_header_and_models_table_format_parameters_alike(tmp_path):
    # A logistic series: the header line and the models table must print the same midpoint.
    dates = pd.date_range("2022-01-01", periods=30, freq="MS")
    t = (dates - dates[0]).days.to_numpy() / 365.25
    y = 1e3 / (1 + np.exp(-2.0 * (t - 1.37))) * np.exp(np.random.default_rng(1).normal(0, 0.01, 30))
    csv = tmp_path / "s.csv"
    pd.Series(y, index=dates, name="value").rename_axis("date").to_csv(csv)
    result = CliRunner().invoke(
        app,
        ["demand", str(csv), "-q", "tokens_per_day", "--samples", "20", "--models", "logistic"],
        env={"COLUMNS": "400"},
    )
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    midpoint = header.split("midpoint_year = ")[1].split(",")[0].strip()
    assert len(midpoint.split(".")[1]) == 2, header  # two decimals, not rounded to a year
    rate = header.split("rate_per_year = ")[1].split(",")[0].strip()
    table_rows = [line for line in result.stdout.splitlines() if "logistic" in line][1:]
    assert any(midpoint in row and rate in row for row in table_rows), result.stdout


def test_cli_pue_from_pue_or_market_not_both(tmp_path):
    csv = _csv(tmp_path)
    args = ["demand", str(csv), "-q", "tokens_per_day", "--samples", "20", "--end-year", "2027"]
    args += ["--models", "exponential"]  # the fit is not under test; keep the run short
    result = CliRunner().invoke(app, [*args, "--pue", "1.25", "-f", "json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["conversion"]["pue"] == 1.25
    assert payload["conversion"]["pue_source"] == "user-set"
    for row in payload["forecast"]:
        assert row["facility_mw"] == pytest.approx(1.25 * row["mw"], rel=1e-12)
    both = CliRunner().invoke(app, [*args, "--pue", "1.25", "--market", "sg-singapore"])
    assert both.exit_code == 2 and "not both" in " ".join(both.output.split())


SCENARIO_WITH_COMMENTS = """\
# top comment: why this scenario exists
name: commented   # trailing comment on name
markets:
  include: []
policy:
  # the carbon target was agreed with the board
  cfe_target: 0.8

# demand is rewritten by gridfirst demand
demand:
  # regions: where our users sit
  regions:
    - {id: tokyo, name: Tokyo, city: Tokyo, latitude: 35.69, longitude: 139.69}
    - {id: perth, name: Perth, city: Perth, latitude: -31.95, longitude: 115.86}
  points:
    - region: tokyo
      year: 2026
      workload: inference
      mw: 1.0   # old inference point
    - {region: training, year: 2026, workload: training, mw: 5.0}

# options come last
options:
  plan: {seed: 7}  # trailing
"""


def _outlook():
    return to_outlook(TOTAL, regions=[TOKYO, PERTH], shares={"tokyo": 0.5, "perth": 0.5})


def test_write_outlook_keeps_the_comments_outside_the_points(tmp_path):
    src = tmp_path / "in.yaml"
    src.write_text(SCENARIO_WITH_COMMENTS, encoding="utf-8")
    out = tmp_path / "out.yaml"
    scenario = write_outlook(src, _outlook(), out)
    text = out.read_text(encoding="utf-8")
    for comment in [
        "# top comment: why this scenario exists",
        "# trailing comment on name",
        "# the carbon target was agreed with the board",
        "# demand is rewritten by gridfirst demand",
        "# regions: where our users sit",
        "# options come last",
        "plan: {seed: 7}  # trailing",
    ]:
        assert comment in text, text
    assert "# old inference point" not in text  # it belonged to a replaced point
    # Everything before the points block is byte-identical.
    head = SCENARIO_WITH_COMMENTS.split("  points:")[0]
    assert text.startswith(head)
    loaded = yaml.safe_load(text)
    assert loaded["options"] == {"plan": {"seed": 7}}
    assert loaded["policy"] == {"cfe_target": 0.8}
    assert load_scenario(out).demand.points == scenario.demand.points
    workloads = [p.workload for p in scenario.demand.points]
    assert workloads.count("training") == 1 and workloads.count("inference") == 6


@pytest.mark.parametrize(
    "demand_text",
    [
        "",  # no demand section at all
        "demand: {}\n",  # flow style
        "demand:\n  # nothing yet\n  regions: []\n",  # no points key
    ],
)
def test_write_outlook_adds_missing_demand_blocks(tmp_path, demand_text):
    src = tmp_path / "in.yaml"
    src.write_text(
        "# keep\nname: t\nmarkets: {include: []}\n" + demand_text + "# tail comment\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.yaml"
    scenario = write_outlook(src, _outlook(), out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# keep\n") and "# tail comment" in text
    new = load_scenario(out)
    assert new.demand.points == scenario.demand.points
    assert [r.id for r in new.demand.regions] == ["tokyo", "perth"]


def test_write_outlook_falls_back_to_a_full_dump_for_a_flow_root(tmp_path):
    src = tmp_path / "in.yaml"
    src.write_text("{name: t, markets: {include: []}}  # flow root\n", encoding="utf-8")
    out = tmp_path / "out.yaml"
    scenario = write_outlook(src, _outlook(), out)
    assert load_scenario(out).demand.points == scenario.demand.points


def test_splice_keys_handles_an_omitted_value_and_keeps_the_next_key():
    text = "a: 1\nblock:\n  keep: x  # c\n  old:\nz: 2  # last\n"
    data = {"a": 1, "block": {"keep": "x", "old": [1, 2]}, "z": 2}
    new = splice_keys(text, data, ("block",), ["old"])
    assert new is not None
    assert yaml.safe_load(new) == data
    assert "keep: x  # c" in new and "z: 2  # last" in new
    assert splice_keys("[1, 2]\n", {}, ("block",), ["old"]) is None
