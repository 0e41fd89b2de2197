"""Plans side by side: folders and scenarios compared, their figures the plans' own, bad folders named."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_fixtures import plan_to, small_scenario_dict, write_yaml
from typer.testing import CliRunner

from gridfirst.cli import app
from gridfirst.errors import DataError
from gridfirst.planning import PlanResult, ResultCache
from gridfirst.planning.compare import SAME_MW, compare_summaries
from gridfirst.scenario import scenario_from_dict


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("compare-cache")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("compare") / "small"
    plan_to(out, scenario_from_dict(small_scenario_dict()), cache=ResultCache(cache_dir))
    return out


@pytest.fixture(scope="module")
def half(cache_dir: Path) -> PlanResult:
    """Half the demand: same sites, so the procurement comes from the cache."""
    return plan_to(None, scenario_from_dict(small_scenario_dict(0.5, name="half")),
                   cache=ResultCache(cache_dir))


def _cli(args: list[str], cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("GRIDFIRST_CACHE_DIR", str(cache_dir))
    return CliRunner().invoke(app, ["compare", *args])


def test_folder_and_scenario_side_by_side(folder: Path, half: PlanResult, cache_dir: Path,
                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    yaml_path = write_yaml(small_scenario_dict(0.5, name="half"), tmp_path / "half.yaml")
    res = _cli([str(folder), str(yaml_path), "--format", "json"], cache_dir, monkeypatch)
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    full = json.loads((folder / "plan.json").read_text())
    assert list(out["scenarios"]) == ["small-plan", "half"]
    a, b = out["scenarios"]["small-plan"], out["scenarios"]["half"]
    # The folder's figures are its plan.json's; the scenario's are the plan path's own.
    assert a["total_cost_usd"] == pytest.approx(full["total_cost_usd"])
    assert a["cash_cost_usd"] == pytest.approx(full["cash_cost_usd"])
    assert b["total_cost_usd"] == pytest.approx(half.total_cost_usd, rel=1e-9)
    assert b["cash_cost_usd"] == pytest.approx(half.portfolio.cash_cost_usd, rel=1e-9)
    # MW by country and year add up to the builds; half the demand never needs more MW.
    builds = half.builds
    for country, by_year in b["online_mw_by_country"].items():
        for year, mw in by_year.items():
            rows = builds[(builds["country"] == country) & (builds["year"] == int(year))]
            assert mw == pytest.approx(rows["online_mw"].sum())
    assert sum(b["shortfalls"][i]["mw"] for i in range(len(b["shortfalls"]))) <= \
        full["shortfall_mw_years"] + 1e-6
    end = str(full["horizon"]["end_year"])
    cfe = {str(r["year"]): r["cfe_score"] for r in full["carbon"]["by_year"]}
    assert a["cfe_score_by_year"][end] == pytest.approx(cfe[end])
    assert 0.0 <= a["cfe_score_end"] <= 1.0
    # Every change in builds is listed with the right sign, and nothing else.
    for row in out["build_changes"]:
        assert row["change_mw"] == pytest.approx(row["half_mw"] - row["small-plan_mw"])
        assert abs(row["change_mw"]) > SAME_MW


def test_table_and_csv_formats(folder: Path, cache_dir: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    other = tmp_path / "copy"
    shutil.copytree(folder, other)
    res = _cli([str(folder), str(other), "--format", "csv"], cache_dir, monkeypatch)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0] == "metric,small-plan,small-plan#2"
    cost = next(line for line in lines if line.startswith("total_cost_usd,"))
    assert cost.split(",")[1] == cost.split(",")[2]
    res = _cli([str(folder), str(other)], cache_dir, monkeypatch)
    assert res.exit_code == 0 and "same MW at every site" in res.stdout


def _edit_manifest(folder: Path, **changes: Any) -> None:
    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest.update(changes)
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize(("damage", "message"), [
    (lambda f: (f / "manifest.json").unlink(), "no manifest.json"),
    (lambda f: _edit_manifest(f, gridfirst_version="0.0.1"), "written by gridfirst 0.0.1"),
    (lambda f: _edit_manifest(f, kind="something-else"), "not a plan folder"),
    (lambda f: (f / "plan.json").write_text("{}"), "plan.json changed after"),
    (lambda f: shutil.rmtree(f), "no such plan folder or scenario file"),
])
def test_bad_folders_are_named_errors(folder: Path, cache_dir: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch, damage: Any,
                                      message: str) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(folder, bad)
    damage(bad)
    res = _cli([str(folder), str(bad)], cache_dir, monkeypatch)
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def _summary(name: str, online: dict[tuple[str, int], float]) -> dict[str, Any]:
    builds = [{"site": s, "market": f"m-{s}", "country": s[:2].upper(), "year": y,
               "online_mw": mw} for (s, y), mw in online.items()]
    return {"scenario": name, "horizon": {"end_year": 2030}, "total_cost_usd": 1.0,
            "cash_cost_usd": 1.0, "penalty_cost_usd": 0.0, "online_mw_end": 0.0,
            "shortfall_mw_years": 0.0, "builds": builds, "shortfalls": [],
            "carbon": {"by_year": [{"year": 2030, "cfe_score": 0.5}]}}


MW = st.sampled_from([0.0, 10.0, 20.0, 50.0])
ONLINE = st.dictionaries(st.tuples(st.sampled_from(["au-a", "jp-b", "sg-c"]),
                                   st.integers(2028, 2030)), MW, max_size=9)


@settings(max_examples=40, deadline=None)
@given(ONLINE, ONLINE)
def test_build_changes_are_exactly_the_differences(a: dict, b: dict) -> None:
    cmp = compare_summaries([_summary("a", a), _summary("b", b)])
    listed = {(r["site"], r["year"]): r["change_mw"]
              for r in cmp.build_changes.to_dict(orient="records")}
    for key in set(a) | set(b):
        diff = b.get(key, 0.0) - a.get(key, 0.0)
        if abs(diff) > SAME_MW:
            assert listed[key] == pytest.approx(diff)
        else:
            assert key not in listed
    # MW by country add up to the sites' MW, plan by plan.
    for name, online in (("a", a), ("b", b)):
        assert cmp.online_mw[name].sum() == pytest.approx(sum(online.values()))


def test_one_plan_or_a_missing_field_is_a_named_error() -> None:
    with pytest.raises(DataError, match="at least two plans"):
        compare_summaries([_summary("a", {})])
    broken = _summary("b", {})
    del broken["carbon"]
    with pytest.raises(DataError, match="b.json: plan.json has no 'carbon'"):
        compare_summaries([_summary("a", {}), broken], sources=["a.json", "b.json"])
