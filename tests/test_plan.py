"""The main job end to end on a small scenario: outputs, agreement of JSON and CSV, wiring, cache."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plan_fixtures import plan_to, small_scenario_dict, write_yaml

from gridfirst.errors import ScenarioError
from gridfirst.parallel import open_executor
from gridfirst.planning import PlanResult, ResultCache
from gridfirst.resolve.cache import content_key
from gridfirst.scenario import scenario_from_dict


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gridfirst-cache")


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> PlanResult:
    out = tmp_path_factory.mktemp("plan-small")
    scenario = scenario_from_dict(small_scenario_dict())
    return plan_to(out, scenario, cache=ResultCache(cache_dir))


@pytest.fixture(scope="module")
def impossible(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path, first: PlanResult
               ) -> PlanResult:
    out = tmp_path_factory.mktemp("plan-impossible")
    scenario = scenario_from_dict(small_scenario_dict(scale=1000.0, name="impossible"))
    return plan_to(out, scenario, cache=ResultCache(cache_dir))


def test_output_folder_holds_every_file(first: PlanResult) -> None:
    assert first.output_dir is not None
    names = {p.name for p in first.output_dir.iterdir()}
    expected = {"plan.json", "report.html", "build_schedule.csv", "allocation.csv",
                "procurement.csv", "shortfalls.csv", "ranking.csv", "costs.csv", "carbon.csv", "ppa.csv",
                "manifest.json"}
    assert expected <= names
    summary = json.loads((first.output_dir / "plan.json").read_text())
    assert set(summary["files"]) == expected
    for row in summary["builds"]:
        assert {"site", "year", "added_mw", "online_mw", "power_available_mw"} <= set(row)
    for row in summary["shortfalls"]:
        assert {"region", "year", "workload", "mw", "binding"} <= set(row)
    assert summary["total_cost_usd"] == pytest.approx(first.portfolio.total_cost_usd, rel=1e-12)


def _compare(records: list[dict], csv: Path) -> None:
    frame = pd.read_csv(csv, keep_default_na=False, na_values=[""])
    assert len(frame) == len(records), csv.name
    if not records:
        return
    from_json = pd.DataFrame(records)
    assert list(from_json.columns) == list(frame.columns), csv.name
    for col in frame.columns:
        left, right = from_json[col], frame[col]
        if pd.api.types.is_numeric_dtype(right) and not pd.api.types.is_bool_dtype(right):
            a = pd.to_numeric(left, errors="coerce").to_numpy(float)
            b = right.to_numpy(float)
            assert np.allclose(a, b, rtol=1e-12, atol=0, equal_nan=True), (csv.name, col)
        else:
            a = ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in left]
            b = ["" if isinstance(v, float) and math.isnan(v) else str(v) for v in right]
            assert a == b, (csv.name, col)


@pytest.mark.parametrize("result_name", ["first", "impossible"])
def test_plan_json_agrees_with_csvs(result_name: str, request: pytest.FixtureRequest) -> None:
    result: PlanResult = request.getfixturevalue(result_name)
    assert result.output_dir is not None
    summary = json.loads((result.output_dir / "plan.json").read_text())
    for key, stem in [("builds", "build_schedule"), ("shortfalls", "shortfalls"),
                      ("allocation", "allocation"), ("procurement", "procurement"),
                      ("ranking", "ranking"), ("costs", "costs")]:
        _compare(summary[key], result.output_dir / f"{stem}.csv")
    short = pd.read_csv(result.output_dir / "shortfalls.csv")
    assert summary["shortfall_mw_years"] == pytest.approx(float(short["mw"].sum()) if len(short) else 0.0)


@pytest.mark.parametrize("result_name", ["first", "impossible"])
def test_demand_is_served_or_reported_short(result_name: str, request: pytest.FixtureRequest) -> None:
    result: PlanResult = request.getfixturevalue(result_name)
    demand = result.scenario.demand.table().groupby(["region", "workload", "year"])["mw"].sum()
    served = result.portfolio.allocation.groupby(["region", "workload", "year"])["mw"].sum()
    short = result.portfolio.shortfalls.groupby(["region", "workload", "year"])["mw"].sum()
    total = served.reindex(demand.index, fill_value=0.0) + short.reindex(demand.index, fill_value=0.0)
    assert np.allclose(total.to_numpy(), demand.to_numpy(), atol=1e-3 + 1e-6 * demand.max())


@pytest.mark.parametrize("result_name", ["first", "impossible"])
def test_builds_fit_the_power_available(result_name: str, request: pytest.FixtureRequest) -> None:
    builds = request.getfixturevalue(result_name).portfolio.builds
    assert (builds["online_mw"] >= -1e-6).all()
    facility = (builds["online_mw"] * builds["pue"]).groupby([builds["power_pool"], builds["year"]]).sum()
    power = builds.groupby(["power_pool", "year"])["power_available_mw"].first()
    assert (facility <= power + 1e-4).all()


def test_stages_are_wired_to_the_real_models(first: PlanResult) -> None:
    import gridfirst.network  # noqa: F401  (the real latency model must be importable)

    inputs = first.portfolio.inputs
    assert first.latency_source == "gridfirst.network"
    # Latency, energy cost and scores reach the portfolio unchanged.
    sites = [s for s in inputs.sites.index if s in first.latency_ms.index]
    assert sites
    assert np.allclose(inputs.latency_ms.loc[sites].to_numpy(float),
                       first.latency_ms.loc[sites, inputs.latency_ms.columns].to_numpy(float))
    proc = first.procurement
    assert set(proc["method"]) <= {"fast", "highs"} or all("fast" in m or "highs" in m for m in proc["method"])
    for sid in proc.index:
        assert inputs.sites.at[sid, "energy_usd_per_mwh"] == pytest.approx(proc.at[sid, "cost_usd_per_mwh"])
    # a site meets the target, or its market's options cannot reach it and it says so
    met = proc["cfe_target_met"].astype(bool)
    target = first.scenario.policy.cfe_target
    assert (proc.loc[met, "cfe_score"] >= target - 1e-3).all()
    assert (proc.loc[~met, "cfe_score"] < target).all()
    assert ((proc["cfe_score"] >= 0) & (proc["cfe_score"] <= 1)).all()
    training = first.rankings["training"].table["score"]
    for mid in training.index:
        if mid in inputs.sites.index:
            assert inputs.sites.at[mid, "score"] == pytest.approx(training[mid])
    # A site that only inherits its market's figures is procured like its market (one solve).
    assert proc.loc["tokyo-campus", "cost_usd_per_mwh"] == proc.loc["jp-tokyo-inzai", "cost_usd_per_mwh"]
    assert first.sensitivity is not None
    probs = first.sensitivity.rank_probabilities
    assert np.allclose(probs.sum(axis=1), 1.0)


def test_second_run_reuses_cached_procurement(first: PlanResult, cache_dir: Path,
                                              tmp_path: Path) -> None:
    again = plan_to(None, first.scenario, cache=ResultCache(cache_dir))
    assert again.cache_misses == 0 and again.cache_hits >= 1
    assert again.procurement["cached"].all()
    cols = ["cost_usd_per_mwh", "cfe_score", "solar_mw", "wind_mw", "firm_mw"]
    assert np.allclose(again.procurement[cols].to_numpy(float), first.procurement[cols].to_numpy(float))
    assert again.total_cost_usd == pytest.approx(first.total_cost_usd, rel=1e-6)


def test_cache_key_follows_every_input(tmp_path: Path) -> None:
    base = {"market": {"id": "x", "price_usd_per_mwh": 80.0}, "cfe_target": 0.9, "seed": 0}
    key = content_key("procurement", base)
    assert key == content_key("procurement", dict(reversed(list(base.items()))))
    assert key != content_key("procurement", {**base, "cfe_target": 0.91})
    assert key != content_key("procurement", {**base, "market": {"id": "x", "price_usd_per_mwh": 81.0}})
    store = ResultCache(tmp_path)
    assert store.get(key) is None
    store.put(key, {"cost_usd_per_mwh": 1.5})
    assert store.get(key) == {"cost_usd_per_mwh": 1.5}
    off = ResultCache(tmp_path, enabled=False)
    assert off.get(key) is None


def test_impossible_demand_is_a_shortfall_with_its_reason(impossible: PlanResult) -> None:
    short = impossible.portfolio.shortfalls
    demand = impossible.scenario.demand.table()["mw"].sum()
    assert short["mw"].sum() > 0.5 * demand
    assert (short["binding"].astype(str).str.len() > 0).all()
    assert (short["explanation"].astype(str).str.len() > 0).all()
    assert impossible.output_dir is not None
    page = (impossible.output_dir / "report.html").read_text()
    assert "Shortfalls and why" in page
    import html

    assert html.escape(str(short.iloc[0]["explanation"])) in page


def test_risk_runs_on_the_chosen_plan(first: PlanResult, cache_dir: Path, tmp_path: Path) -> None:
    result = plan_to(tmp_path, first.scenario, cache=ResultCache(cache_dir),
                  risk_samples=300, seed=3)
    summary = json.loads((tmp_path / "plan.json").read_text())
    risk = summary["risk"]
    assert risk["summary"]["samples"] == 300
    assert 0.0 <= risk["summary"]["probability_all_years_met"] <= 1.0
    assert risk["summary"]["cost_p90_usd"] >= risk["summary"]["cost_p50_usd"]
    assert result.risk is not None
    assert 'data-figure="risk"' in (tmp_path / "report.html").read_text()


def _negate(x: int) -> int:
    return -x


@pytest.mark.parametrize("name", ["serial", "processes", "dask"])
def test_executors_keep_item_order(name: str) -> None:
    done: list[int] = []
    with open_executor(name, workers=2) as pool:
        out = pool.map(abs, [-3, 1, -2, 5], progress=lambda d, t: done.append(d))
    assert out == [3, 1, 2, 5]
    assert done[-1] == 4


def test_bad_executor_is_a_clear_error() -> None:
    with pytest.raises(ScenarioError, match="executor"):
        with open_executor("threads"):
            pass
    with pytest.raises(ScenarioError, match="dask"):
        with open_executor("serial", address="tcp://127.0.0.1:1"):
            pass


def test_cli_json_prints_plan_json_only(first: PlanResult, cache_dir: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from gridfirst.cli import app

    monkeypatch.setenv("GRIDFIRST_CACHE_DIR", str(cache_dir))
    scenario = write_yaml(small_scenario_dict(), tmp_path / "small.yaml")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(scenario), "-o", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    printed = json.loads(res.stdout)
    assert printed == json.loads((out / "plan.json").read_text())
    assert printed["cache"]["misses"] == 0
    assert printed["scenario"] == "small-plan"


def test_cli_bad_scenario_names_the_file(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gridfirst.cli import app

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\npolicy: {cfe_target: 2}\n")
    res = CliRunner().invoke(app, ["plan", str(bad), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "bad.yaml" in res.stderr and "cfe_target" in res.stderr
    assert not (tmp_path / "o").exists()


def _slow_identity(x: int) -> int:
    import time

    time.sleep(0.2 * x)
    return x


@pytest.mark.parametrize("name", ["serial", "processes"])
def test_ctrl_c_cancels_the_outstanding_work(name: str) -> None:
    from gridfirst.risk import RunCancelled

    def interrupt(done: int, total: int) -> None:
        raise KeyboardInterrupt

    import multiprocessing

    with pytest.raises(RunCancelled, match="cancelled after 1 of 6 sites"):
        with open_executor(name, workers=2) as pool:
            pool.map(_slow_identity, [1, 1, 20, 20, 20, 20], progress=interrupt, unit="sites")
    # Workers were stopped, not left to finish their 4 s sleeps.
    assert multiprocessing.active_children() == []


def test_cli_ctrl_c_exits_130_without_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    import gridfirst.planning
    from gridfirst.cli import app

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(gridfirst.planning, "plan", interrupted)
    scenario = write_yaml(small_scenario_dict(), tmp_path / "small.yaml")
    res = CliRunner().invoke(app, ["plan", str(scenario), "-o", str(tmp_path / "o"), "--format", "json"])
    assert res.exit_code == 130
    assert res.stdout == ""
    assert "interrupted" in res.stderr


def test_plan_portfolio_and_risk_agree_on_a_second_scenario(first: PlanResult, cache_dir: Path
                                                            ) -> None:
    """`plan`, `portfolio` and the cost-optimal candidate of `risk` make one plan."""
    from gridfirst.planning import decide, resolve_for_plan
    from gridfirst.risk.robust import compare_plans

    resolved = resolve_for_plan(first.scenario, cache=ResultCache(cache_dir))
    _, again = decide(resolved)
    assert again.total_cost_usd == first.total_cost_usd
    cols = ["site", "year", "online_mw"]
    pd.testing.assert_frame_equal(again.builds[cols].reset_index(drop=True),
                                  first.builds[cols].reset_index(drop=True))
    robust = compare_plans(resolved, samples=50, seed=1, candidates=("cost_optimal",))
    chosen = robust.candidates["cost_optimal"].plan
    assert chosen.total_cost_usd == first.total_cost_usd
    pd.testing.assert_frame_equal(chosen.builds[cols].reset_index(drop=True),
                                  first.builds[cols].reset_index(drop=True))
    # and without being handed the plan, risk solves the same one from the same inputs
    solved = compare_plans(resolved, samples=50, seed=1, candidates=("cost_optimal",),
                           inputs=again.inputs).candidates["cost_optimal"].plan
    assert solved.total_cost_usd == pytest.approx(first.total_cost_usd, rel=1e-9)


def test_plan_carbon_adds_up_and_is_honest(first: PlanResult) -> None:
    """Plan-level carbon: facility energy from the builds, location-based Scope 2 never below
    market-based, CFE an energy-weighted share in [0, 1], and totals that are the sites' sums."""
    from gridfirst.planning.carbon import HOURS_PER_YEAR, plan_carbon
    from gridfirst.planning.summary import plan_summary

    by_site, by_year = plan_carbon(first)
    assert not by_year.empty
    builds = first.portfolio.builds
    online = builds[builds["online_mw"] > 1e-6]
    expected = (online["online_mw"] * online["pue"] * HOURS_PER_YEAR).groupby(online["year"]).sum()
    got = by_year.set_index("year")["facility_mwh"]
    assert np.allclose(got.reindex(expected.index).to_numpy(), expected.to_numpy(), rtol=1e-9)
    assert (by_site["scope2_location_tco2"] >= by_site["scope2_market_tco2"] - 1e-6).all()
    assert ((by_year["cfe_score"] >= 0) & (by_year["cfe_score"] <= 1)).all()
    sums = by_site.groupby("year")[["scope2_location_tco2", "scope2_market_tco2"]].sum()
    assert np.allclose(sums.to_numpy(), by_year.set_index("year")[sums.columns].to_numpy())
    carbon = plan_summary(first)["carbon"]
    assert carbon["by_year"] and "residual mix" in carbon["basis"]
