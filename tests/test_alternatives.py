"""Near-optimal alternatives (gridfirst.portfolio.alternatives, ``plan --alternatives``).

Small hand-made portfolios (test_portfolio's fixtures); costs and distances are checked against
the plans' own tables, not against the search's bookkeeping.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_fixtures import small_scenario_dict, write_yaml
from test_portfolio import check_invariants, inputs_of, market, scenario

from gridfirst.errors import ScenarioError
from gridfirst.portfolio import PortfolioInputs, PortfolioResult, solve_portfolio
from gridfirst.portfolio.alternatives import NearOptimal, check_settings, near_optimal


def _inputs(seed: int) -> PortfolioInputs:
    """Four countries' sites at seeded prices: inference near its users, training anywhere."""
    rng = np.random.default_rng(seed)

    def price() -> float:
        return float(rng.uniform(70, 110))

    markets = [
        market("jp-a", "JP", "tokyo", price_usd_per_mwh=price(), grid_available_mw=120.0),
        market("au-a", "AU", "sydney", price_usd_per_mwh=price(), grid_available_mw=120.0),
        market("sg-a", "SG", "singapore", price_usd_per_mwh=price(), grid_available_mw=80.0),
        market("nz-a", "NZ", "sydney", price_usd_per_mwh=price(), grid_available_mw=80.0,
               construction_cost_usd_per_mw=float(rng.uniform(0.9e7, 1.1e7))),
    ]
    points = []
    for i, year in enumerate(range(2026, 2029)):
        points += [("tokyo", year, "inference", 10.0 * (i + 1)),
                   ("sydney", year, "inference", 8.0 * (i + 1)),
                   ("singapore", year, "inference", 5.0 * (i + 1)),
                   ("training", year, "training", 20.0 * (i + 1))]
    return inputs_of(scenario(markets, points, years=(2026, 2028)))


def _country_mw(plan: PortfolioResult, countries: list[str], years: list[int]) -> np.ndarray:
    """IT MW online [country x year], straight from the plan's build table."""
    b = plan.builds
    table = b.groupby(["country", "year"])["online_mw"].sum().unstack(fill_value=0.0)
    return table.reindex(index=countries, columns=years).fillna(0.0).to_numpy(float)


def _distances(out: NearOptimal, inputs: PortfolioInputs) -> np.ndarray:
    """Pairwise L1 of MW by country, averaged over years, recomputed from the build tables."""
    countries = sorted(set(inputs.sites["country"]))
    years = list(inputs.years)
    tables = [_country_mw(p, countries, years) for p in out.plans.values()]
    n = len(tables)
    return np.array([[np.abs(tables[i] - tables[j]).sum(axis=0).mean() for j in range(n)]
                     for i in range(n)])


@pytest.fixture(scope="module")
def found() -> tuple[PortfolioInputs, NearOptimal]:
    inputs = _inputs(1)
    return inputs, near_optimal(inputs, 3, slack=0.05, min_distance_mw=10.0, mip_gap=0.0)


def test_every_alternative_costs_at_most_the_slack_over_the_optimum(found: Any) -> None:
    inputs, out = found
    assert len(out.alternatives) >= 2, out.notes
    best = out.optimum.total_cost_usd
    for alt in out.alternatives:
        # the cost from the plan's cost table (every part, discounted), not the solver's objective
        npv = float(alt.result.costs["npv_usd"].sum())
        assert npv == pytest.approx(alt.total_cost_usd, rel=1e-9)
        assert npv <= 1.05 * best * (1 + 1e-7)
        assert alt.cost_ratio == pytest.approx(npv / best, rel=1e-9)
        assert alt.cash_cost_usd <= alt.total_cost_usd + 1e-6


def test_alternatives_differ_by_the_minimum_distance(found: Any) -> None:
    inputs, out = found
    d = _distances(out, inputs)
    off = d[~np.eye(len(d), dtype=bool)]
    assert off.min() >= out.min_distance_mw - 1e-6
    # and the search's own table says the same
    np.testing.assert_allclose(out.distances_mw.to_numpy(), d, atol=1e-6)
    for i, alt in enumerate(out.alternatives):
        assert alt.distance_mw == pytest.approx(d[0, i + 1], abs=1e-6)
        assert alt.nearest_mw == pytest.approx(d[i + 1, : i + 1].min(), abs=1e-6)


def test_alternatives_are_feasible_plans(found: Any) -> None:
    _, out = found
    for alt in out.alternatives:
        check_invariants(alt.result)


def test_what_they_share_is_in_every_plan(found: Any) -> None:
    inputs, out = found
    countries = sorted(set(inputs.sites["country"]))
    years = list(inputs.years)
    tables = np.stack([_country_mw(p, countries, years) for p in out.plans.values()])
    common = out.common_countries
    assert not common.empty
    for row in common.itertuples():
        c, t = countries.index(row.country), years.index(row.year)
        assert tables[:, c, t].min() == pytest.approx(row.min_online_mw, abs=1e-6)
        assert tables[:, c, t].max() == pytest.approx(row.max_online_mw, abs=1e-6)
        assert tables[0, c, t] == pytest.approx(row.optimum_online_mw, abs=1e-6)
    # country-years absent from the table hold nothing in any plan
    listed = set(zip(common["country"], common["year"], strict=True))
    for c, country in enumerate(countries):
        for t, year in enumerate(years):
            if (country, year) not in listed:
                assert tables[:, c, t].max() <= 1e-6
    # by site: each plan holds at least the common MW
    for row in out.common_sites.itertuples():
        for plan in out.plans.values():
            b = plan.builds
            held = b[(b["site"] == row.site) & (b["year"] == row.year)]["online_mw"].sum()
            assert held >= row.min_online_mw - 1e-6
    # decided in the first year: each plan decides at least the common MW there
    y0 = years[0]
    for row in out.decide_now.itertuples():
        assert row.year == y0 and row.min_decided_mw > 0
        for plan in out.plans.values():
            b = plan.builds
            assert b[(b["site"] == row.site) & (b["year"] == y0)]["decided_mw"].sum() >= (
                row.min_decided_mw - 1e-6)
    for line in out.shared():
        assert "at least" in line or "taken by every plan" in line


def test_twin_sites_in_two_countries_are_alternatives_at_no_extra_cost() -> None:
    """Two identical training sites in two countries: at zero slack the training MW can sit in
    either, so an alternative moves it all, at exactly the optimal cost."""
    markets = [
        market("au-t", "AU", "sydney", ai_training_legal_regime="yes"),
        market("nz-t", "NZ", "sydney", ai_training_legal_regime="yes"),
    ]
    points = [("training", y, "training", 40.0) for y in range(2026, 2030)]
    inputs = inputs_of(scenario(markets, points, regions=("sydney",)))
    out = near_optimal(inputs, 1, slack=0.0, min_distance_mw=1.0, mip_gap=0.0)
    assert len(out.alternatives) == 1, out.notes
    alt = out.alternatives[0]
    assert alt.total_cost_usd == pytest.approx(out.optimum.total_cost_usd, rel=1e-9)
    opt = out.optimum.builds.groupby("country")["online_mw"].max()
    new = alt.result.builds.groupby("country")["online_mw"].max()
    assert set(opt.index) != set(new.index) or not np.allclose(
        opt.reindex(["AU", "NZ"]).fillna(0), new.reindex(["AU", "NZ"]).fillna(0))
    # 40 MW moved between the countries in each year it is online (from 2027, a one-year lead
    # time): 80 MW apart in 3 of the 4 years
    lead = int(inputs.sites["lead_years"].max())
    assert lead == 1
    assert alt.distance_mw == pytest.approx(80.0 * 3 / 4, abs=1e-6)
    assert out.common_countries["min_online_mw"].max() == pytest.approx(0.0, abs=1e-6)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), slack=st.sampled_from([0.0, 0.01, 0.1]))
def test_bound_and_distance_hold_for_any_portfolio(seed: int, slack: float) -> None:
    inputs = _inputs(seed)
    out = near_optimal(inputs, 2, slack=slack, min_distance_mw=5.0, mip_gap=0.0, seed=seed)
    best = out.optimum.total_cost_usd
    for alt in out.alternatives:
        assert alt.total_cost_usd <= (1 + slack) * best * (1 + 1e-7)
        if slack == 0.0:  # a proven optimum: nothing cheaper exists, so the cost is the optimum's
            assert alt.total_cost_usd == pytest.approx(best, rel=1e-6)
    d = _distances(out, inputs)
    if len(d) > 1:
        assert d[~np.eye(len(d), dtype=bool)].min() >= 5.0 - 1e-6
    assert len(out.alternatives) <= 2
    assert (len(out.alternatives) == 2) or any("alternatives found" in n for n in out.notes)


def test_same_seed_same_alternatives() -> None:
    inputs = _inputs(4)
    a = near_optimal(inputs, 2, slack=0.05, min_distance_mw=5.0, seed=7)
    b = near_optimal(inputs, 2, slack=0.05, min_distance_mw=5.0, seed=7)
    assert [x.direction for x in a.alternatives] == [x.direction for x in b.alternatives]
    for x, y in zip(a.alternatives, b.alternatives, strict=True):
        pd.testing.assert_frame_equal(x.result.builds, y.result.builds)


def test_zero_alternatives_is_the_optimum_alone() -> None:
    inputs = _inputs(2)
    optimum = solve_portfolio(inputs, mip_gap=0.0)
    out = near_optimal(inputs, 0, optimum=optimum)
    assert out.alternatives == [] and list(out.plans) == ["optimum"]
    assert out.bound_usd == pytest.approx(1.02 * optimum.total_cost_usd)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"n": -1}, "alternatives: -1"),
    ({"n": 2.5}, "alternatives: 2.5"),
    ({"n": True}, "alternatives: True"),
    ({"n": 51}, "alternatives: 51"),
    ({"slack": -0.01}, "slack: -0.01"),
    ({"slack": math.nan}, "slack: nan"),
    ({"slack": 1.5}, "slack: 1.5"),
    ({"min_distance_mw": -1.0}, "min_distance_mw: -1.0"),
    ({"min_distance_mw": math.inf}, "min_distance_mw: inf"),
    ({"candidates": 0}, "candidates: 0"),
])
def test_bad_settings_are_one_line_named_errors(kwargs: dict[str, Any], field: str) -> None:
    args = {"n": 2, "slack": 0.02, "min_distance_mw": 20.0, "candidates": 3, **kwargs}
    with pytest.raises(ScenarioError, match=field) as info:
        check_settings(**args)
    assert "\n" not in str(info.value)
    with pytest.raises(ScenarioError, match=field):
        near_optimal(_inputs(0), args.pop("n"), **args)


@pytest.mark.parametrize(("value", "field"), [
    ({"count": -1}, "options.plan.alternatives.count"),
    ({"slack": -0.5}, "options.plan.alternatives.slack"),
    ({"min_distance_mw": -2}, "options.plan.alternatives.min_distance_mw"),
    ({"count": 2, "slack": 0.02, "spread": 3}, "options.plan.alternatives.spread"),
])
def test_bad_scenario_alternatives_options_name_the_field(value: dict[str, Any], field: str
                                                          ) -> None:
    from gridfirst.scenario import scenario_from_dict

    data = small_scenario_dict()
    data["options"]["plan"]["alternatives"] = value
    with pytest.raises(ScenarioError, match=field.replace(".", r"\.")):
        scenario_from_dict(data)


@pytest.mark.parametrize("flags", [["--alternatives", "-1"], ["--alternatives", "2", "--slack",
                                                                "-0.5"],
                                   ["--alternatives", "2", "--min-distance", "-3"]])
def test_cli_bad_alternatives_is_a_named_error(flags: list[str], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gridfirst.cli import app

    res = CliRunner().invoke(app, ["plan", "-o", str(tmp_path / "o"), *flags])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: alternatives"), res.stderr
    assert not (tmp_path / "o").exists()


def test_plan_json_and_report_carry_the_alternatives(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from gridfirst.cli import app

    monkeypatch.setenv("GRIDFIRST_CACHE_DIR", str(tmp_path / "cache"))
    data = small_scenario_dict()
    # the count and distance from the scenario, the slack from the command line
    data["options"]["plan"]["alternatives"] = {"count": 2, "min_distance_mw": 5.0, "slack": 0.5}
    path = write_yaml(data, tmp_path / "small.yaml")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["plan", str(path), "-o", str(out), "--format", "json",
                                   "--executor", "serial", "--slack", "0.05", "--risk", "300"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary == json.loads((out / "plan.json").read_text())
    alts = summary["alternatives"]
    info = summary["near_optimal"]
    # the small world has room for both (same seed, same plans): fewer would be a regression
    assert len(alts) == 2, info["notes"]
    assert info["bound_usd"] == pytest.approx(1.05 * summary["total_cost_usd"], rel=1e-12)
    columns = set(summary["builds"][0])
    for alt in alts:
        assert alt["total_cost_usd"] <= info["bound_usd"] * (1 + 1e-9)
        assert alt["cash_cost_usd"] <= alt["total_cost_usd"] + 1e-6
        assert alt["nearest_mw"] >= 5.0 - 1e-6
        assert 0.0 <= alt["cfe_score"] <= 1.0
        assert all(set(b) == columns for b in alt["builds"])
        assert 0.0 <= alt["risk"]["probability_all_years_met"] <= 1.0
        assert alt["risk"]["cost_cvar95_usd"] > 0
    # the optimum's risk is the plan's own run
    assert info["optimum_risk"]["cost_cvar95_usd"] == pytest.approx(
        summary["risk"]["summary"]["cost_cvar95_usd"], rel=1e-12)
    report = (out / "report.html").read_text()
    assert 'id="sec-alternatives"' in report and "alt1" in report


def test_a_direction_without_a_plan_is_a_note_not_a_failure(monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    import gridfirst.portfolio.alternatives as mod
    from gridfirst.errors import SolverError

    calls: list[int] = []
    real = mod.HighsModel

    class FirstFails(real):  # type: ignore[misc, valid-type]
        def solve(self, **kwargs: Any) -> Any:
            calls.append(1)
            if len(calls) == 1:
                raise SolverError("HiGHS stopped without an optimal solution: Time limit reached")
            return super().solve(**kwargs)

    monkeypatch.setattr(mod, "HighsModel", FirstFails)
    out = near_optimal(_inputs(1), 1, slack=0.05, min_distance_mw=5.0)
    assert len(calls) >= 2
    assert len(out.alternatives) == 1
    assert any("no plan (HiGHS stopped without an optimal solution" in n for n in out.notes)
