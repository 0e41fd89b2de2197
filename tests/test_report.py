"""The HTML report: self-contained, every figure drawn in headless Chromium with the network off."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import report_browser
from plan_fixtures import plan_to, small_scenario_dict

from gridfirst.planning import PlanResult, ResultCache
from gridfirst.report import figures
from gridfirst.scenario import scenario_from_dict


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> PlanResult:
    # Demand large enough that some of it is short: the report must show shortfalls too.
    out = tmp_path_factory.mktemp("report")
    cache = ResultCache(tmp_path_factory.mktemp("report-cache"))
    scenario = scenario_from_dict(small_scenario_dict(scale=3.0, name="report-test"))
    return plan_to(out, scenario, cache=cache, risk_samples=200)


def _page(result: PlanResult) -> str:
    assert result.output_dir is not None
    return (result.output_dir / "report.html").read_text(encoding="utf-8")


def test_report_references_nothing_outside_itself(result: PlanResult) -> None:
    page = _page(result)
    assert not re.search(r"<script[^>]+src\s*=", page, re.I)
    assert not re.search(r"<link[^>]+href\s*=", page, re.I)
    assert not re.search(r"<(img|iframe|source|video|audio)[^>]+src\s*=", page, re.I)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page, re.I)
    # plotly.js inlined exactly once, after the world outline it would otherwise fetch.
    assert page.count("* plotly.js v") == 1
    assert page.index("window.PlotlyGeoAssets = ") < page.index("* plotly.js v")
    assert '"world_110m":{"type":"Topology"' in page


def test_report_sections_show_the_plan(result: PlanResult) -> None:
    page = _page(result)
    for key in ("map", "schedule", "demand", "power", "latency", "robustness", "risk"):
        assert f'data-figure="{key}"' in page
    for heading in ("Shortfalls and why", "Assumptions and sources", "Binding constraints"):
        assert heading in page
    from gridfirst.data import sources

    used = sources()
    # Every procurement cost source is cited with its publisher and title.
    import html

    import yaml

    from gridfirst.data import data_dir

    costs = yaml.safe_load((data_dir() / "procurement_costs.yaml").read_text())
    cited = {str(e["source_id"]) for e in costs.values() if isinstance(e, dict) and "source_id" in e}
    assert cited
    for sid in cited:
        assert html.escape(str(used.loc[sid, "title"])) in page, sid


def test_figures_carry_the_plan_numbers(result: PlanResult) -> None:
    fig = figures.demand_capacity_figure(result)
    short = sum(float(np.nansum(t.y)) for t in fig.data if t.name == "shortfall")
    assert short == pytest.approx(float(result.portfolio.shortfalls["mw"].sum()), rel=1e-9, abs=1e-6)
    served = sum(float(np.nansum(t.y)) for t in fig.data if t.name == "served")
    assert served == pytest.approx(float(result.portfolio.allocation["mw"].sum()), rel=1e-9)
    fmap = figures.map_figure(result)
    chosen = [t for t in fmap.data if t.name and t.name.startswith("Chosen site")]
    assert len(chosen) == 1 and len(chosen[0].lat) == len(result.chosen_sites)
    assert fmap.layout.geo.scope == "world" and fmap.layout.geo.resolution == 110
    sched = figures.build_schedule_figure(result)
    online = [t for t in sched.data if t.name == "online (all sites)"][0]
    end = result.portfolio.builds.query("year == @result.scenario.horizon.end_year")["online_mw"].sum()
    assert float(online.y[-1]) == pytest.approx(float(end))
    power = figures.power_mix_figure(result)
    shares = np.vstack([np.asarray(t.x, float) for t in power.data if t.orientation == "h"
                        and t.name in {label for label, _ in figures.MIX_COLOURS.values()}])
    assert np.allclose(shares.sum(axis=0), 1.0)


def test_route_follows_cable_landings() -> None:
    lats, lons, cables = figures.route_points((1.29, 103.85), (35.69, 139.69))
    assert (lats[0], lons[0]) == (1.29, 103.85) and (lats[-1], lons[-1]) == (35.69, 139.69)
    assert len(lats) >= 3 and cables


def test_report_renders_offline_in_chromium(result: PlanResult, tmp_path: Path) -> None:
    assert result.output_dir is not None
    assert report_browser.available(), "install Debian chromium + chromium-driver (make install-test)"
    page = report_browser.open_offline(result.output_dir / "report.html")
    assert page.title == "gridfirst plan: report-test"
    assert set(page.figures) == {"map", "schedule", "demand", "power", "latency", "robustness", "risk"}
    for key, found in page.figures.items():
        assert found["plotly"], key
        assert found["main_svg"] >= 1, key
        assert found["traces"] >= 1, key
        assert found["marks"] >= 1, key
    # The world outline drew from the inlined TopoJSON (no fetch was possible).
    assert page.figures["map"]["geo_paths"] >= 5
    assert page.figures["map"]["land_paths"] >= 1
    errors = [e for e in page.console if e.get("level") in ("SEVERE", "ERROR")]
    assert errors == []
    assert page.requests == []
