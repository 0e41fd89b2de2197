"""Tests of the robust plan (sample-average portfolio over sampled futures) and the new futures:
grid refusal, deal failure by stage and export-licence denial."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_risk import tiny_problem
from typer.testing import CliRunner

from gridfirst.errors import ScenarioError
from gridfirst.risk.evaluate import evaluate_block
from gridfirst.risk.sampling import block_generator, draw


@pytest.fixture(scope="module")
def small():
    """A synthetic portfolio solved to optimality, its risk problem and model."""
    from gridfirst.portfolio import build_model, portfolio_inputs, solve_portfolio
    from gridfirst.portfolio.solve import _run_highs
    from gridfirst.portfolio.synthetic import synthetic_scenario
    from gridfirst.risk.problem import problem_from_plan

    # shortfall dear enough (20 M USD per MW-year) that hedging pays; at the default 5 M this
    # world's robust plan builds less, not more (delays and refusals make capacity worth less)
    scenario = synthetic_scenario(8, n_years=5, seed=3, n_regions=3,
                                  policy={"unmet_penalty_usd_per_mw_year": 2.0e7})
    inputs = portfolio_inputs(scenario)
    det = solve_portfolio(inputs, mip_gap=0.0, explain=False)
    model = build_model(inputs)
    det_x = _run_highs(model, integer=True, mip_gap=0.0).x
    return scenario, det, problem_from_plan(det, scenario), model, det_x


def test_one_future_without_variance_is_the_deterministic_plan(small) -> None:
    from gridfirst.risk.saa import robust_plan

    scenario, det, problem, *_ = small
    flat = problem.with_options(problem.options.deterministic())
    out = robust_plan(det, scenario, futures=1, seed=4, out_of_sample=0, problem=flat, mip_gap=0.0)
    s = out.summary
    assert s["objective_usd"] == pytest.approx(det.total_cost_usd, rel=1e-7)
    assert s["price_of_robustness_usd"] == pytest.approx(0.0, abs=1e-7 * det.total_cost_usd)
    assert s["robust"]["planned_cost_usd"] == pytest.approx(det.total_cost_usd, rel=1e-7)


def test_robust_plan_is_cheapest_over_its_own_futures(small) -> None:
    """The sample-average optimum costs no more over its futures than the deterministic plan's
    decisions do (in-sample optimality), and no less than the deterministic plan as planned."""
    from gridfirst.risk.saa import extensive_form, in_sample_cost, robust_plan, sample_futures

    scenario, det, problem, model, det_x = small
    out = robust_plan(det, scenario, futures=8, seed=2, out_of_sample=0, problem=problem,
                      mip_gap=1e-6)
    ef = extensive_form(model, problem, sample_futures(problem, 8, 2))
    det_in_sample = in_sample_cost(ef, model, det_x)
    assert out.summary["objective_usd"] <= det_in_sample * (1 + 1e-6)
    assert out.summary["price_of_robustness_usd"] >= -1e-6 * det.total_cost_usd
    # the deterministic plan's decisions cost at least as much over sampled futures as planned
    # only when futures are worse on average; here they include delays, refusals and outages
    assert det_in_sample > det.total_cost_usd


def test_robust_plan_lowers_out_of_sample_shortfall(small) -> None:
    from gridfirst.risk.saa import robust_plan

    scenario, det, problem, *_ = small
    out = robust_plan(det, scenario, futures=20, seed=1, out_of_sample=1000, problem=problem)
    d, r = out.summary["deterministic"], out.summary["robust"]
    assert r["shortfall_mean_mw_years"] < d["shortfall_mean_mw_years"]
    assert r["cost_mean_usd"] < d["cost_mean_usd"]
    assert out.summary["price_of_robustness_usd"] > 0
    assert out.summary["out_of_sample_seed"] == 2
    # the robust plan holds at least as much capacity in the last year
    last = out.builds["year"].max()
    online = out.builds[out.builds["year"] == last][["deterministic_mw", "robust_mw"]].sum()
    assert online["robust_mw"] >= online["deterministic_mw"] - 1e-6


def test_a_larger_unmet_penalty_does_not_raise_in_sample_shortfall(small) -> None:
    """Over the same futures, a dearer shortfall never buys a plan with more expected unmet
    demand (the sample-average optimum trades cost for shortfall monotonically)."""
    from gridfirst.portfolio import build_model
    from gridfirst.risk.saa import extensive_form, sample_futures
    from gridfirst.solver import HighsModel

    scenario, det, problem, *_ = small
    fut = sample_futures(problem, 6, 3)
    unmet = []
    for penalty in (2.0e6, 2.0e7):
        inputs = replace(det.inputs, params={**det.inputs.params,
                                             "unmet_penalty_usd_per_mw_year": penalty})
        model = build_model(inputs)
        ef = extensive_form(model, replace(problem, unmet_penalty_usd_per_mw_year=penalty), fut)
        sol = HighsModel(ef.c, ef.A, ef.row_lo, ef.row_hi, ef.col_lo, ef.col_hi,
                         ef.integrality).solve(mip_rel_gap=1e-6)
        nx = model.cols["x"].stop - model.cols["x"].start
        nu = model.cols["unmet"].stop - model.cols["unmet"].start
        disc = np.tile(model.discount, nu // model.discount.size)
        total = 0.0
        for k in range(fut.count):
            base = ef.offset + k * ef.future_cols
            total += float(sol.x[base + nx:base + nx + nu] @ disc)
        unmet.append(total / fut.count)
    assert unmet[1] <= unmet[0] + 1e-6


def test_same_seed_same_plan_on_every_executor(small) -> None:
    from distributed import Client, LocalCluster

    from gridfirst.risk.saa import robust_plan

    scenario, det, problem, *_ = small

    def go(executor):
        out = robust_plan(det, scenario, futures=5, seed=7, out_of_sample=300, problem=problem,
                          executor=executor, workers=2)
        return out.summary, out.builds

    ref, ref_builds = go("serial")
    for executor in ("processes",):
        got, builds = go(executor)
        assert got == ref
        assert builds.equals(ref_builds)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        got, builds = go(client)
    assert got == ref
    assert builds.equals(ref_builds)


def test_cvar_and_chance_measures(small) -> None:
    from gridfirst.risk.saa import robust_plan
    from gridfirst.scenario import RiskAppetite

    scenario, det, problem, *_ = small
    base = robust_plan(det, scenario, futures=6, seed=5, out_of_sample=0, problem=problem,
                       mip_gap=1e-6)
    cvar = robust_plan(det, scenario, futures=6, seed=5, out_of_sample=0, problem=problem,
                       mip_gap=1e-6, appetite=RiskAppetite(measure="cvar", cvar_weight=1.0))
    # adding a non-negative tail term to the objective can only raise the optimum
    assert cvar.summary["objective_usd"] >= base.summary["objective_usd"] * (1 - 1e-6)
    assert cvar.summary["measure"] == "cvar"
    with pytest.raises(ScenarioError, match=r"^policy.risk_appetite.chance_level: 1.0 cannot be met"):
        robust_plan(det, scenario, futures=6, seed=5, out_of_sample=0, problem=problem,
                    appetite=RiskAppetite(measure="chance", chance_level=1.0,
                                          chance_shortfall_share=0.0))


def test_bad_inputs_are_named_one_line_errors(small, tmp_path) -> None:
    from gridfirst.cli import app
    from gridfirst.risk.saa import robust_plan
    from gridfirst.scenario import load_scenario

    scenario, det, problem, *_ = small
    for bad, text in ((0, "robust futures: 0 must be within 1..1000"),
                      (1001, "robust futures: 1001 must be within"),
                      ("50", "robust futures: '50' must be a whole number"),
                      (2.5, "robust futures: 2.5 must be a whole number")):
        with pytest.raises(ScenarioError, match=f"^{text}"):
            robust_plan(det, scenario, futures=bad, problem=problem)
    with pytest.raises(ScenarioError, match="robust out_of_sample: -1"):
        robust_plan(det, scenario, futures=2, out_of_sample=-1, problem=problem)
    path = tmp_path / "s.yaml"
    path.write_text("name: bad\npolicy:\n  risk_appetite: {measure: worst}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert "risk_appetite.measure" in str(err.value) and "\n" not in str(err.value)
    runner = CliRunner()
    for args, text in ((["--robust", "0"], "robust futures: 0 must be within 1..1000"),
                       ([str(path), "--robust", "5"], "risk_appetite.measure")):
        res = runner.invoke(app, ["plan", *args, "-o", str(tmp_path / "out")])
        assert res.exit_code != 0
        assert text in res.output
        assert "Traceback" not in res.output
        assert res.exception is None or isinstance(res.exception, SystemExit)


def test_risk_appetite_keeps_the_plain_level() -> None:
    from gridfirst.scenario import Policy

    p = Policy.model_validate({"risk_appetite": "high"})
    assert p.risk_appetite.level == "high" and p.risk_appetite.measure == "expected"
    assert p.model_dump()["risk_appetite"] == "high"
    q = Policy.model_validate({"risk_appetite": {"level": "low", "measure": "cvar",
                                                 "cvar_level": 0.9}})
    assert q.model_dump()["risk_appetite"]["cvar_level"] == 0.9
    with pytest.raises(ValueError, match="cvar_level"):
        Policy.model_validate({"risk_appetite": {"measure": "cvar", "cvar_level": 1.0}})


# -- the new futures ---------------------------------------------------------------------------


def _with_new_risks(refuse: float, fail: float, deny: float):
    problem, *_ = tiny_problem()
    P, S = len(problem.pools), len(problem.sites)
    facts = problem.market_facts.assign(denial_probability=[deny] + [0.0] * (len(problem.markets) - 1))
    return replace(problem, pool_refusal_probability=np.full(P, refuse),
                   pool_accepted_factor=np.full(P, 1.0 / (1.0 - refuse)) if refuse < 1 else np.ones(P),
                   site_failure_probability=np.array([fail] + [0.0] * (S - 1)),
                   market_facts=facts)


@settings(max_examples=15, deadline=None)
@given(refuse=st.floats(0.05, 0.6), fail=st.floats(0.05, 0.9), deny=st.floats(0.05, 0.9))
def test_new_futures_happen_at_their_probabilities(refuse: float, fail: float, deny: float) -> None:
    problem = _with_new_risks(refuse, fail, deny)
    f = draw(problem, block_generator(9, 0), 6000)
    tol = 4 * np.sqrt(0.25 / 6000)
    assert abs((f.grid_factor == 0).mean() - refuse) < tol
    assert abs(f.deal_failed[:, 0].mean() - fail) < tol and not f.deal_failed[:, 1:].any()
    assert abs(f.export_denied[:, 0].mean() - deny) < tol
    # accepted pools get their accepted share, so the mean power is the planned one
    assert abs(f.grid_factor.mean() - 1.0) < 4 * tol / (1 - refuse)
    assert (f.outage_share[f.export_denied[:, 0], 0] == 1.0).all()


def test_new_futures_leave_the_other_draws_alone_and_switch_off() -> None:
    plain, *_ = tiny_problem()
    risky = _with_new_risks(0.3, 0.5, 0.0)
    a, b = draw(plain, block_generator(3, 1), 500), draw(risky, block_generator(3, 1), 500)
    for name in ("interconnection_delay_months", "construction_delay_months", "outage_share",
                 "cable_share", "price_factor", "demand_mw"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    off = risky.with_options(risky.options.model_copy(update={
        "grid_refusal": risky.options.grid_refusal.model_copy(update={"enabled": False}),
        "deal_failure": risky.options.deal_failure.model_copy(update={"enabled": False})}))
    c = draw(off, block_generator(3, 1), 500)
    assert (c.grid_factor == 1.0).all() and not c.deal_failed.any()
    assert not draw(risky.with_options(risky.options.deterministic()), block_generator(3, 1),
                    50).deal_failed.any()


def test_evaluator_honours_refusals_and_failures() -> None:
    """A refused pool and a failed deal deliver nothing, so shortfall can only grow."""
    plain, *_ = tiny_problem()
    sure = _with_new_risks(0.999999, 0.999999, 0.999999)
    a = evaluate_block(plain, 5, 0, 300)
    b = evaluate_block(sure, 5, 0, 300)
    assert (b["delivered_sum_mw"] <= a["delivered_sum_mw"] + 1e-9).all()
    assert b["delivered_sum_mw"][0].sum() == 0.0  # s1: its deal failed (and its pool refused)
    assert b["shortfall_mw"].sum() > a["shortfall_mw"].sum()


def test_problem_from_plan_reads_headroom_and_deal_stages() -> None:
    import pandas as pd

    from gridfirst.risk.problem import _deal_failure, _grid_answers

    answers = _grid_answers({"m1": {"share": 0.3, "share_high": 0.4, "acceptance_rate": 0.75,
                                    "share_basis": "assumed acceptance"},
                             "m2": {"share": 0.5, "share_high": 0.5, "acceptance_rate": 1.0,
                                    "share_basis": "override"}},
                            ["market:m1", "market:m2", "site:own"])
    np.testing.assert_allclose(answers["pool_refusal_probability"], [0.25, 0.0, 0.0])
    np.testing.assert_allclose(answers["pool_accepted_factor"], [0.4 / 0.3, 1.0, 1.0])
    st_ = pd.DataFrame({"kind": ["deal", "deal", "market"], "deal_stage": ["loi", "signed", ""]})
    np.testing.assert_allclose(_deal_failure(st_), [0.6, 0.0, 0.0])


# -- the pipeline, the report and Ctrl-C --------------------------------------------------------


def test_plan_writes_the_robust_plan_and_its_report(tmp_path) -> None:
    import json

    from plan_fixtures import plan_to, small_scenario_dict

    from gridfirst.planning import ResultCache
    from gridfirst.scenario import scenario_from_dict

    stages: set[str] = set()
    result = plan_to(tmp_path, scenario_from_dict(small_scenario_dict()),
                     cache=ResultCache(tmp_path / "cache"), robust_futures=4,
                     robust_out_of_sample=200, seed=2,
                     progress=lambda stage, done, total: stages.add(stage) if total else None)
    summary = json.loads((tmp_path / "plan.json").read_text())
    rob = summary["robust"]
    assert rob["futures"] == 4 and rob["seed"] == 2 and rob["out_of_sample_seed"] == 3
    assert rob["deterministic"]["planned_cost_usd"] == pytest.approx(summary["total_cost_usd"])
    assert rob["price_of_robustness_usd"] == pytest.approx(
        rob["robust"]["planned_cost_usd"] - rob["deterministic"]["planned_cost_usd"])
    assert {"shortfall_mean_mw_years", "cost_mean_usd"} <= set(rob["robust"])
    online = {(b["site"], b["year"]): b["online_mw"] for b in summary["builds"]}
    for b in rob["builds"]:
        assert b["deterministic_mw"] == pytest.approx(online.get((b["site"], b["year"]), 0.0))
    assert "robust" in stages and result.robust is not None
    html = (tmp_path / "report.html").read_text()
    assert 'id="sec-robust"' in html and "Price of robustness" in html


def test_ctrl_c_stops_the_robust_plan(small) -> None:
    from gridfirst.errors import RunCancelled
    from gridfirst.risk.saa import extensive_form, robust_plan, sample_futures
    from gridfirst.solver import HighsModel

    scenario, det, problem, model, _ = small

    def interrupt(stage: str, done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt

    with pytest.raises(RunCancelled, match="cancelled after"):
        robust_plan(det, scenario, futures=600, problem=problem, progress=interrupt)
    # the solve itself: HiGHS runs in its own thread and stops when Ctrl-C arrives
    ef = extensive_form(model, problem, sample_futures(problem, 3, 1))
    hm = HighsModel(ef.c, ef.A, ef.row_lo, ef.row_hi, ef.col_lo, ef.col_hi, ef.integrality)
    real_wait = hm._highs.wait
    calls = []

    def wait(timeout: float):
        calls.append(timeout)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return real_wait(timeout)

    hm._highs.wait = wait
    with pytest.raises(RunCancelled, match="solve cancelled"):
        hm.solve(interruptible=True)


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(st.lists(st.floats(0, 50), min_size=6, max_size=6), min_size=1, max_size=4),
       delays=st.lists(st.floats(0, 100), min_size=4, max_size=4))
def test_slipped_capacity_is_the_evaluators(steps, delays) -> None:
    """The extensive form's linear slip of a growing schedule is the Monte Carlo's delivered MW."""
    from gridfirst.risk.evaluate import _delayed, _window_min
    from gridfirst.risk.saa import _shift_terms

    cap = np.cumsum(np.asarray(steps), axis=1)  # non-decreasing, as built capacity is
    S, T = cap.shape
    months = np.asarray(delays[:S])
    want = _delayed(_window_min(cap, np.zeros(S)), months[None, :])[0]
    rows, src, w = _shift_terms(months / 12.0, T)
    got = np.zeros(S * T)
    np.add.at(got, rows, w * cap.ravel()[src])
    np.testing.assert_allclose(got.reshape(S, T), want, rtol=1e-9, atol=1e-9)
