"""Tests of gridfirst.risk: uncertainty options, sampling and plan evaluation invariants."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from gridfirst.errors import DataError, ScenarioError
from gridfirst.risk import (
    cvar,
    evaluate_block,
    problem_from_plan,
    problem_from_tables,
    risk_options,
)
from gridfirst.risk.evaluate import delivered_mw, serve, served_upper_bound
from gridfirst.risk.sampling import block_generator, draw
from gridfirst.risk.uncertainty import (
    DEFAULTS_FILE,
    RiskOptions,
    default_table,
    disruption_rate_per_year,
)

YEARS = [2026, 2027, 2028, 2029]


def _markets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "interconnection_lead_time_months": [24.0, 36.0],
            "competing_pipeline_mw": [200.0, 1000.0],
            "labour_capacity_mw_per_year": [100.0, 100.0],
            "conflict_exposure_gpi": [1.5, 2.5],
            "seismic_hazard_pga_g": [0.4, 0.05],
            "cyclone_hazard_level": [3, 0],
            "cable_systems_count": [6, 1],
        },
        index=pd.Index(["m-a", "m-b"], name="id"),
    )


def _eligibility() -> pd.DataFrame:
    return pd.DataFrame(
        [("s1", "east", "inference"), ("s1", "training", "training"), ("s2", "west", "inference"),
         ("s2", "training", "training"), ("s3", "east", "inference"), ("s3", "west", "inference")],
        columns=["site", "region", "workload"],
    )


def tiny_problem(options: RiskOptions | None = None):
    """Three sites in two markets serving two inference regions and a training pool."""
    online = {"s1": [0, 40, 80, 80], "s2": [0, 0, 50, 100], "s3": [20, 20, 20, 0]}
    market = {"s1": "m-a", "s2": "m-b", "s3": "m-a"}
    builds = pd.DataFrame(
        [
            {"site": s, "market": market[s], "year": y, "online_mw": online[s][t],
             "power_available_mw": 1.3 * max(online[s]) + (10 if s == "s2" else 0), "pue": 1.25}
            for s in online for t, y in enumerate(YEARS)
        ]
    )
    demand = pd.DataFrame(
        [
            {"region": r, "workload": w, "year": y, "mw": m * (t + 1), "low_mw": 0.6 * m * (t + 1),
             "high_mw": 1.5 * m * (t + 1)}
            for r, w, m in [("east", "inference", 15.0), ("west", "inference", 10.0),
                            ("training", "training", 20.0)]
            for t, y in enumerate(YEARS)
        ]
    )
    elig = _eligibility()
    rows = []
    for t, y in enumerate(YEARS):
        cap = {s: online[s][t] for s in online}
        d = {(r, w): float(demand[(demand.region == r) & (demand.year == y)]["mw"].iloc[0])
             for r, w in [("east", "inference"), ("west", "inference"), ("training", "training")]}
        # A max-flow plan (no spare capacity left that could serve unmet demand), as an optimal
        # portfolio would choose.
        e, w, tr = d[("east", "inference")], d[("west", "inference")], d[("training", "training")]
        e3 = min(cap["s3"], e)
        w3 = min(cap["s3"] - e3, w)
        e1 = min(cap["s1"], e - e3)
        w2 = min(cap["s2"], w - w3)
        t1 = min(cap["s1"] - e1, tr)
        t2 = min(cap["s2"] - w2, tr - t1)
        for site, region, workload, mw in [("s3", "east", "inference", e3), ("s3", "west", "inference", w3),
                                           ("s1", "east", "inference", e1), ("s2", "west", "inference", w2),
                                           ("s1", "training", "training", t1),
                                           ("s2", "training", "training", t2)]:
            rows.append((site, region, workload, y, mw))
    alloc = pd.DataFrame(rows, columns=["site", "region", "workload", "year", "mw"])
    alloc = alloc[alloc["mw"] > 0]
    sites = pd.DataFrame({"energy_usd_per_mwh": [80.0, 60.0, 100.0], "build_lead_months": [24.0, 12.0, 0.0]},
                         index=["s1", "s2", "s3"])
    problem = problem_from_tables(builds, alloc, demand, _markets(), sites=sites, eligibility=elig,
                                  options=options, years=YEARS, fixed_cost_usd=1.0e9)
    return problem, builds, alloc, demand


# -- options -------------------------------------------------------------------------------


def test_every_default_has_a_source_and_every_field_a_default() -> None:
    from gridfirst.data import sources

    table = default_table()
    known = set(sources().index)
    for section, params in table.items():
        for name, entry in params.items():
            assert entry["source_id"] in known, f"{DEFAULTS_FILE}: {section}.{name}"
            assert entry["note"].strip()
    for section, model in RiskOptions.model_fields.items():
        fields = set(model.annotation.model_fields)  # type: ignore[union-attr]
        assert fields == set(table[section]), section


def test_overrides_apply_and_bad_values_name_the_path() -> None:
    opts = risk_options({"interconnection": {"sigma": 0.9}, "demand": {"enabled": False}})
    assert opts.interconnection.sigma == 0.9 and not opts.demand.enabled
    assert opts.construction == risk_options().construction
    with pytest.raises(ScenarioError, match=r"options\.risk\.interconnection\.sigma"):
        risk_options({"interconnection": {"sigma": -1}})
    with pytest.raises(ScenarioError, match=r"options\.risk\.cable\.repair_days: unknown option"):
        risk_options({"cable": {"repair_days": 3}})


def test_disruption_rate_rises_with_each_hazard_and_hits_the_475_year_anchor() -> None:
    o = risk_options().disruption
    # the conflict input is the threat share (0 = no flashpoint near, 1 = at one)
    base = disruption_rate_per_year(o, np.array([0.0]), np.array([0.0]), np.array([0]))
    for share, pga, cyc in [(0.5, 0.0, 0), (0.0, 0.3, 0), (0.0, 0.0, 2)]:
        assert disruption_rate_per_year(o, np.array([share]), np.array([pga]), np.array([cyc]))[0] > base[0]
    # At the damage PGA the seismic term is the return period's rate, 1/475 per year.
    at = disruption_rate_per_year(o, np.array([0.0]), np.array([o.seismic_damage_pga_g]), np.array([0]))
    assert at[0] - base[0] == pytest.approx(1 / 475.0)


def test_cvar_is_the_mean_of_the_worst_tail() -> None:
    values = np.arange(1, 101, dtype=float)
    assert cvar(values, 0.95) == pytest.approx(np.mean([96, 97, 98, 99, 100]))
    assert cvar(values, 0.0) == pytest.approx(values.mean())


# -- evaluation ----------------------------------------------------------------------------


def test_no_uncertainty_reproduces_the_plan_from_tables() -> None:
    problem, builds, alloc, demand = tiny_problem()
    det = problem.with_options(problem.options.deterministic())
    out = evaluate_block(det, seed=7, block=0, n=3)
    assert np.array_equal(out["delivered_sum_mw"] / 3, problem.online_mw)
    served = alloc.groupby(["region", "workload", "year"])["mw"].sum()
    d = demand.set_index(["region", "workload", "year"])["mw"]
    expected = (d - served.reindex(d.index).fillna(0.0)).clip(lower=0.0)
    for k, key in enumerate(problem.keys):
        for t, y in enumerate(YEARS):
            assert out["shortfall_mw"][:, k, t] == pytest.approx(expected[(key[0], key[1], y)], abs=1e-9)
    # Cost: the fixed part + energy at planned prices (PUE x 8760 h x 0.8 x price) + penalty.
    price = {"s1": 80.0, "s2": 60.0, "s3": 100.0}
    disc = 1.08 ** -(alloc["year"] - 2026)
    energy = (alloc["mw"] * 1.25 * 8760 * 0.8 * alloc["site"].map(price) * disc).sum()
    penalty = (expected.groupby(level="year").sum() * 5.0e6 * 1.08 ** -(np.array(YEARS) - 2026)).sum()
    assert out["cost_usd"] == pytest.approx(1.0e9 + energy + penalty, rel=1e-12)


def test_no_uncertainty_reproduces_a_solved_portfolio() -> None:
    from gridfirst.portfolio import portfolio_inputs, solve_portfolio
    from gridfirst.portfolio.synthetic import synthetic_scenario

    scenario = synthetic_scenario(8, n_years=5, seed=3, n_regions=3)
    plan = solve_portfolio(portfolio_inputs(scenario))
    problem = problem_from_plan(plan, scenario)
    out = evaluate_block(problem.with_options(problem.options.deterministic()), 1, 0, 2)
    assert out["cost_usd"][0] == pytest.approx(plan.total_cost_usd, rel=1e-9)
    short = plan.shortfalls.groupby(["region", "workload", "year"])["mw"].sum()
    for k, key in enumerate(problem.keys):
        for t, y in enumerate(problem.years):
            want = short.get((key[0], key[1], int(y)), 0.0)
            assert out["shortfall_mw"][0, k, t] == pytest.approx(want, abs=2e-3)


def test_bad_tables_name_the_column_and_site() -> None:
    problem, builds, alloc, demand = tiny_problem()
    with pytest.raises(DataError, match="builds: missing column"):
        problem_from_tables(builds.drop(columns=["pue"]), alloc, demand, _markets())
    bad = pd.concat([alloc, pd.DataFrame([{"site": "s2", "region": "east", "workload": "inference",
                                           "year": 2028, "mw": 5.0}])])
    elig = pd.concat([_eligibility(), pd.DataFrame([("s9", "east", "inference")],
                                                   columns=["site", "region", "workload"])])
    with pytest.raises(DataError, match=r"site 's2' serves \('east', 'inference'\) but is not eligible"):
        problem_from_tables(builds, bad, demand, _markets(), eligibility=elig)


def test_demand_paths_follow_the_band() -> None:
    problem, *_ = tiny_problem(risk_options().only("demand"))
    f = draw(problem, block_generator(5, 0), 4000)
    d = f.demand_mw
    # low/high are P10/P90: about 10% of paths above high, 10% below low, median at base.
    above = (d > problem.demand_high_mw[None] + 1e-9).mean()
    below = (d < problem.demand_low_mw[None] - 1e-9).mean()
    assert 0.08 < above < 0.12 and 0.08 < below < 0.12
    assert np.median(d[:, 0, 2]) == pytest.approx(problem.demand_mw[0, 2], rel=0.05)
    # A path: the same quantile in every year.
    rank = (d[:, 0, 1] > problem.demand_mw[0, 1]) == (d[:, 0, 3] > problem.demand_mw[0, 3])
    assert rank.all()


def test_switching_one_source_off_leaves_the_other_draws_alone() -> None:
    problem, *_ = tiny_problem()
    full = draw(problem, block_generator(3, 2), 50)
    part = draw(problem.with_options(problem.options.only("demand", "price")), block_generator(3, 2), 50)
    assert np.array_equal(full.demand_mw, part.demand_mw)
    assert np.array_equal(full.price_factor, part.price_factor)
    assert not part.interconnection_delay_months.any() and not part.outage_share.any()


def _max_flow(cap: np.ndarray, dem: np.ndarray, elig: np.ndarray) -> float:
    """Independent peer: the transportation LP solved by HiGHS through scipy."""
    s_i, k_i = np.nonzero(elig)
    if s_i.size == 0:
        return 0.0
    a_site = np.zeros((cap.size, s_i.size))
    a_site[s_i, np.arange(s_i.size)] = 1.0
    a_key = np.zeros((dem.size, s_i.size))
    a_key[k_i, np.arange(s_i.size)] = 1.0
    res = linprog(-np.ones(s_i.size), A_ub=np.vstack([a_site, a_key]),
                  b_ub=np.concatenate([cap, dem]), bounds=(0, None), method="highs")
    return -float(res.fun)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**31 - 1))
def test_greedy_is_feasible_and_the_cut_bound_is_the_max_flow(seed: int) -> None:
    rng = np.random.default_rng(seed)
    problem, *_ = tiny_problem()
    S, K, Y = problem.allocation_mw.shape
    problem.eligible = rng.random((S, K)) < 0.6
    problem.allocation_mw = problem.allocation_mw * problem.eligible[:, :, None]
    delivered = rng.uniform(0, 1, (6, S, Y)) * problem.online_mw[None]
    demand = rng.uniform(0, 80, (6, K, Y))
    served, used, _ = serve(problem, delivered, demand)
    bound = served_upper_bound(problem, delivered, demand)
    assert (used <= delivered + 1e-9).all() and (served <= demand + 1e-9).all()
    for n in range(6):
        for t in range(Y):
            flow = _max_flow(delivered[n, :, t], demand[n, :, t], problem.eligible)
            assert served[n, :, t].sum() <= flow + 1e-6
            assert bound[n, t] == pytest.approx(flow, abs=1e-6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 10_000),
    extra_share=st.floats(0.0, 2.0),
    on_time_cut=st.floats(0.0, 1.0),
)
def test_adding_delay_never_reduces_shortfall(seed: int, extra_share: float, on_time_cut: float
                                              ) -> None:
    problem, *_ = tiny_problem()
    base = problem.options
    more = base.model_copy(update={
        name: getattr(base, name).model_copy(update={
            "median_share_of_lead_time": getattr(base, name).median_share_of_lead_time * (1 + extra_share),
            "on_time_probability": getattr(base, name).on_time_probability * (1 - on_time_cut),
        })
        for name in ("interconnection", "construction")
    })
    a = evaluate_block(problem, seed, 0, 60)
    b = evaluate_block(problem.with_options(more), seed, 0, 60)
    assert (b["shortfall_mw"].sum(axis=1) >= a["shortfall_mw"].sum(axis=1) - 1e-9).all()
    assert (b["delivered_sum_mw"] <= a["delivered_sum_mw"] + 1e-9).all()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 60.0))
def test_delivered_capacity_never_rises_with_delay(seed: int, extra_months: float) -> None:
    problem, *_ = tiny_problem()
    rng = np.random.default_rng(seed)
    P, S = len(problem.pools), len(problem.sites)
    inter = rng.uniform(0, 30, (5, P))
    build = rng.uniform(0, 30, (5, S))
    zero = np.zeros((5, len(problem.markets), len(YEARS)))
    before = delivered_mw(problem, inter, build, zero, zero)
    bump = rng.random((5, P)) < 0.5
    after = delivered_mw(problem, inter + bump * extra_months, build + extra_months, zero, zero)
    assert (after <= before + 1e-9).all()
    # s3's schedule steps down (a hall that closes): a delay never brings capacity back.
    assert (after[:, 2, 3] == 0).all()


def test_as_planned_is_certain_without_uncertainty_and_never_below_all_met() -> None:
    from gridfirst.risk import run_risk

    problem, _, _, _ = tiny_problem()
    det = run_risk(problem.with_options(problem.options.deterministic()), samples=50, seed=3)
    # the tiny plan leaves demand unmet: never "all met", yet always as planned
    assert det.summary["deterministic_shortfall_mw_years"] > 0
    assert det.summary["probability_all_years_met"] == 0.0
    assert det.summary["probability_as_planned"] == 1.0
    sampled = run_risk(problem, samples=400, seed=3)
    s = sampled.summary
    assert s["probability_all_years_met"] <= s["probability_as_planned"] < 1.0
    assert (sampled.years["probability_met"] <= sampled.years["probability_as_planned"]).all()
