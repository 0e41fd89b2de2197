"""Tornado: each assumption moves the plan's cost the way economics says, from one resolve."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from plan_fixtures import small_scenario_dict, write_yaml
from typer.testing import CliRunner

from gridfirst.cli import app
from gridfirst.decide import decision_inputs
from gridfirst.errors import ScenarioError
from gridfirst.planning import ResultCache, resolve_for_plan
from gridfirst.planning.sensitivity import (
    SWINGS,
    TornadoResult,
    _shift_years,
    parse_swing,
    perturb,
    tornado,
)
from gridfirst.portfolio import solve_portfolio
from gridfirst.resolve import Resolved
from gridfirst.scenario import scenario_from_dict

GAP = 1e-6  # tight, so cost comparisons are the optimum's and not the solver's tolerance


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sensitivity-cache")


@pytest.fixture(scope="module")
def resolved(cache_dir: Path) -> Resolved:
    return resolve_for_plan(scenario_from_dict(small_scenario_dict()), cache=ResultCache(cache_dir))


@pytest.fixture(scope="module")
def result(resolved: Resolved) -> TornadoResult:
    return tornado(resolved, mip_gap=GAP)


def test_costs_move_the_way_economics_says(result: TornadoResult) -> None:
    base = result.base_cost_usd
    row = result.table.set_index("assumption")
    tol = 1e-6 * base
    # Dearer inputs or later / scarcer power can never make the optimum cheaper, and cheaper
    # inputs never dearer (the base plan stays feasible in the other direction).
    for name in ("capex", "energy_price", "unmet_penalty"):
        assert row.at[name, "cost_low_usd"] <= base + tol <= row.at[name, "cost_high_usd"] + 2 * tol
    assert row.at["grid_mw", "cost_low_usd"] >= base - tol >= row.at["grid_mw", "cost_high_usd"] - 2 * tol
    assert row.at["energisation_years", "cost_low_usd"] <= base + tol
    assert row.at["energisation_years", "cost_high_usd"] >= base - tol
    assert row.at["lead_years", "cost_high_usd"] >= base - tol
    # Largest swing first, every default assumption present once.
    assert list(result.table["swing_usd"]) == sorted(result.table["swing_usd"], reverse=True)
    assert sorted(result.table["assumption"]) == sorted(s.assumption for s in SWINGS)


def test_mw_by_country_are_the_plans(result: TornadoResult, resolved: Resolved) -> None:
    inputs = decision_inputs(resolved)
    scarce = solve_portfolio(perturb(inputs, "grid_mw", 0.8), mip_gap=GAP, explain=False)
    end = scarce.builds[scarce.builds["year"] == result.year]
    by_country = end.groupby("country")["online_mw"].sum()
    records = {r["assumption"]: r for r in result.records()}
    for country, mw in records["grid_mw"]["mw_low_by_country"].items():
        assert mw == pytest.approx(float(by_country.get(country, 0.0)), abs=1e-6)
    # Less power never lets the plan hold more MW in a pool than the pool has.
    power = perturb(inputs, "grid_mw", 0.8).power_mw
    pools = scarce.builds[scarce.builds["year"] == result.year]
    for pool, part in pools.groupby("power_pool"):
        facility = (part["online_mw"] * part["pue"]).sum()
        assert facility <= float(power.at[pool, result.year]) + 1e-6
    assert set(records["capex"]) >= {"assumption", "low", "high", "cost_low_usd", "cost_high_usd"}


def test_neutral_swing_is_the_base_plan(resolved: Resolved, result: TornadoResult) -> None:
    inputs = decision_inputs(resolved)
    for name, neutral in (("capex", 1.0), ("energy_price", 1.0), ("lead_years", 0),
                          ("energisation_years", 0), ("grid_mw", 1.0)):
        same = solve_portfolio(perturb(inputs, name, neutral), mip_gap=GAP, explain=False)
        assert same.total_cost_usd == pytest.approx(result.base_cost_usd, rel=1e-6)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 100), min_size=2, max_size=6), st.integers(0, 4))
def test_late_power_is_never_more_power(steps: list[float], years: int) -> None:
    power = pd.DataFrame([np.cumsum(steps)], index=["pool"], columns=range(2026, 2026 + len(steps)))
    late = _shift_years(power, years)
    early = _shift_years(power, -years)
    assert (late.to_numpy() <= power.to_numpy() + 1e-9).all()
    assert (early.to_numpy() >= power.to_numpy() - 1e-9).all()
    assert late.iloc[0, 0] == power.iloc[0, 0]  # already energised stays energised


def test_bad_swings_are_named_errors() -> None:
    assert parse_swing("capex=0.7:1.5").high == 1.5
    for text, message in (("nope=1:2", "is not one of"), ("capex=1", "name=low:high"),
                          ("capex=-1:2", ">= 0")):
        with pytest.raises(ScenarioError, match=message):
            parse_swing(text)


def test_cli_json_and_figure(cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDFIRST_CACHE_DIR", str(cache_dir))
    scenario = write_yaml(small_scenario_dict(), tmp_path / "small.yaml")
    figure = tmp_path / "tornado.html"
    res = CliRunner().invoke(app, ["sensitivity", str(scenario), "--only", "capex,unmet_penalty",
                                   "--swing", "capex=0.5:2", "--figure", str(figure),
                                   "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["assumption"] for r in rows] == sorted(
        [r["assumption"] for r in rows], key=lambda a: -next(r["swing_usd"] for r in rows
                                                              if r["assumption"] == a))
    capex = next(r for r in rows if r["assumption"] == "capex")
    assert (capex["low"], capex["high"]) == (0.5, 2.0)
    assert capex["cost_low_usd"] < capex["cost_high_usd"]
    assert figure.stat().st_size > 10_000 and "capex (0.5x" in figure.read_text()
    bad = CliRunner().invoke(app, ["sensitivity", str(scenario), "--only", "weather"])
    assert bad.exit_code == 2 and "--only" in bad.output


def test_tornado_figure_bars_are_the_swings(result: TornadoResult) -> None:
    from gridfirst.report.tornado import tornado_figure

    fig = tornado_figure(result)
    low = next(t for t in fig.data if t.name == "low value")
    top = result.table.iloc[0]
    # The largest swing is drawn on top (plotly's last row), as its change from the base.
    assert low.y[-1].startswith(str(top["assumption"]))
    assert low.x[-1] == pytest.approx((top["cost_low_usd"] - result.base_cost_usd) / 1e9)


def test_report_shows_the_tornado_only_when_asked(result: TornadoResult, cache_dir: Path) -> None:
    from gridfirst.planning import plan
    from gridfirst.report.html import report_html

    planned = plan(scenario_from_dict(small_scenario_dict()), cache=ResultCache(cache_dir))
    assert 'id="sec-tornado"' not in report_html(planned)
    planned.tornado = result
    page = report_html(planned)
    assert 'id="sec-tornado"' in page and "fig-tornado" in page
