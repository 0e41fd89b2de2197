"""Tests of the fast structured interior-point procurement solver against HiGHS.

The reference here is an independent build of the issue's LP (original inequality form, HiGHS dual
simplex), so a shared modelling mistake in the fast path's standard form would show up.
"""

from __future__ import annotations

from dataclasses import replace

import highspy
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gridfirst.procurement.fast import lp_from_arrays, solve_fast, solve_fast_arrays
from gridfirst.procurement.model import ProcurementOptions

COSTS = {
    "solar_usd_per_mw_year": 60_000.0,
    "wind_usd_per_mw_year": 120_000.0,
    "battery_power_usd_per_mw_year": 30_000.0,
    "battery_energy_usd_per_mwh_year": 15_000.0,
    "firm_usd_per_mw_year": 500_000.0,
    "firm_marginal_usd_per_mwh": 30.0,
    "battery_charge_efficiency": 0.95,
    "battery_discharge_efficiency": 0.92,
    "grid_limit_mw": 150.0,
}


def _profiles(t_n: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    h = np.arange(t_n)
    solar = np.clip(np.sin((h % 24 - 6) / 12 * np.pi), 0, None) * rng.uniform(0.2, 1.0, t_n)
    wind = np.clip(0.35 + 0.2 * np.sin(h / 50.0) + 0.15 * rng.standard_normal(t_n), 0, 1)
    price = np.maximum(40 + 20 * np.sin(h % 24 / 24 * 2 * np.pi) + 8 * rng.standard_normal(t_n), 1)
    return {
        "load_mw": 100.0 + 10 * rng.random(t_n),
        "solar_cf": solar,
        "wind_cf": wind,
        "grid_price_usd_per_mwh": price,
        "grid_cfe_share": rng.uniform(0.0, 0.6, t_n),
    }


def _scaled_costs(t_n: int, **over: float) -> dict[str, float]:
    costs = dict(COSTS)
    for k in list(costs)[:5]:
        costs[k] *= t_n / 8760.0  # a short horizon pays the matching share of a year
    costs.update(over)
    return costs


def highs_reference(p: dict[str, np.ndarray], costs: dict[str, float], target: float) -> float:
    """Objective of the issue's LP built directly in inequality form and solved by HiGHS."""
    t_n = p["load_mw"].size
    n = 7 * t_n + 5
    s, w, f, g, c, d, e = (np.arange(t_n) + k * t_n for k in range(7))
    cap = 7 * t_n + np.arange(5)
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0

    def row(cs: list[np.ndarray], vs: list, lower: np.ndarray, upper: np.ndarray) -> None:
        nonlocal r
        k = lower.size
        for cc, vv in zip(cs, vs, strict=True):
            rows.append(r + np.arange(k))
            cols.append(np.broadcast_to(cc, (k,)))
            vals.append(np.broadcast_to(np.asarray(vv, float), (k,)))
        lo.append(lower)
        hi.append(upper)
        r += k

    z, inf = np.zeros(t_n), np.full(t_n, np.inf)
    row([s, w, f, g, d, c], [1, 1, 1, 1, 1, -1], p["load_mw"], p["load_mw"])
    row([s, np.full(t_n, cap[0])], [1, -p["solar_cf"]], -inf, z)
    row([w, np.full(t_n, cap[1])], [1, -p["wind_cf"]], -inf, z)
    row([f, np.full(t_n, cap[4])], [1, -1], -inf, z)
    row([c, np.full(t_n, cap[2])], [1, -1], -inf, z)
    row([d, np.full(t_n, cap[2])], [1, -1], -inf, z)
    row([e, np.full(t_n, cap[3])], [1, -1], -inf, z)
    ec, ed = costs["battery_charge_efficiency"], costs["battery_discharge_efficiency"]
    row([e, np.roll(e, 1), c, d], [1, -1, -ec, 1 / ed], z, z)
    budget = (1 - target) * p["load_mw"].sum()
    budget = (1 - target) * p["load_mw"].sum()
    rows.append(np.full(t_n, r))  # the single CFE row
    cols.append(g)
    vals.append(1 - p["grid_cfe_share"])
    lo.append(np.array([-np.inf]))
    hi.append(np.array([budget]))
    r += 1
    a = sp.csc_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, n)
    )
    cost = np.zeros(n)
    cost[g] = p["grid_price_usd_per_mwh"]
    cost[f] = costs["firm_marginal_usd_per_mwh"]
    cost[cap] = [
        costs["solar_usd_per_mw_year"],
        costs["wind_usd_per_mw_year"],
        costs["battery_power_usd_per_mw_year"],
        costs["battery_energy_usd_per_mwh_year"],
        costs["firm_usd_per_mw_year"],
    ]
    upper = np.full(n, np.inf)
    upper[g] = costs["grid_limit_mw"]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, r
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = cost, np.zeros(n), upper
    lp.row_lower_, lp.row_upper_ = np.concatenate(lo), np.concatenate(hi)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    h.passModel(lp)
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return float(h.getInfo().objective_function_value)


def assert_feasible(sol, p: dict[str, np.ndarray], costs: dict[str, float], target: float) -> None:
    """The returned plan meets every row of the issue's LP (1e-6 MW / MWh)."""
    cap = sol.capacities
    tol = 1e-6
    bal = sol.solar + sol.wind + sol.firm + sol.grid + sol.discharge - sol.charge - p["load_mw"]
    assert np.abs(bal).max() < tol
    for arr in (sol.solar, sol.wind, sol.firm, sol.grid, sol.charge, sol.discharge, sol.soc):
        assert arr.min() >= -tol
    assert min(cap.values()) >= 0
    assert np.all(sol.solar <= cap["solar_mw"] * p["solar_cf"] + tol)
    assert np.all(sol.wind <= cap["wind_mw"] * p["wind_cf"] + tol)
    assert np.all(sol.firm <= cap["firm_mw"] + tol)
    assert np.all(sol.charge <= cap["battery_mw"] + tol)
    assert np.all(sol.discharge <= cap["battery_mw"] + tol)
    assert np.all(sol.soc <= cap["battery_mwh"] + tol)
    assert np.all(sol.grid <= costs["grid_limit_mw"] + tol)
    ec, ed = costs["battery_charge_efficiency"], costs["battery_discharge_efficiency"]
    chain = sol.soc - np.roll(sol.soc, 1) - ec * sol.charge + sol.discharge / ed
    assert np.abs(chain).max() < tol
    budget = (1 - target) * p["load_mw"].sum()
    assert (1 - p["grid_cfe_share"]) @ sol.grid <= budget + tol
    objective = (
        cap["solar_mw"] * costs["solar_usd_per_mw_year"]
        + cap["wind_mw"] * costs["wind_usd_per_mw_year"]
        + cap["battery_mw"] * costs["battery_power_usd_per_mw_year"]
        + cap["battery_mwh"] * costs["battery_energy_usd_per_mwh_year"]
        + cap["firm_mw"] * costs["firm_usd_per_mw_year"]
        + p["grid_price_usd_per_mwh"] @ sol.grid
        + costs["firm_marginal_usd_per_mwh"] * sol.firm.sum()
    )
    assert objective == pytest.approx(sol.objective_usd, rel=1e-9)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    t_n=st.integers(24, 96),
    seed=st.integers(0, 10_000),
    target=st.floats(0.0, 0.99),
    grid_limit=st.sampled_from([60.0, 150.0, 1e4]),
    eta=st.floats(0.7, 1.0),
)
def test_matches_highs_and_is_feasible(t_n, seed, target, grid_limit, eta):
    p = _profiles(t_n, seed)
    costs = _scaled_costs(t_n, grid_limit_mw=grid_limit, battery_charge_efficiency=eta)
    sol = solve_fast_arrays(**p, costs=costs, cfe_target=target)
    ref = highs_reference(p, costs, target)
    assert sol.objective_usd == pytest.approx(ref, rel=1e-6)
    assert_feasible(sol, p, costs, target)
    # the certificate is honest: the bound is below the true optimum and the gap is small
    # (targets near 0.99 are a degenerate corner where the IPM may stop at a few 1e-6)
    assert sol.lower_bound_usd <= ref * (1 + 1e-9)
    assert sol.optimality_gap < 1e-5
    assert (sol.status == "optimal") == (sol.optimality_gap <= 1e-6)
    assert sol.cfe_dual_usd_per_mwh >= 0


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    target=st.floats(0.99, 1.0),
    grid_limit=st.sampled_from([60.0, 150.0]),
)
def test_near_full_cfe_certificate_is_honest(seed, target, grid_limit):
    """Targets just below 100 % are degenerate; the solver may stop short, but its gap is true."""
    t_n = 70
    p = _profiles(t_n, seed)
    costs = _scaled_costs(t_n, grid_limit_mw=grid_limit)
    sol = solve_fast_arrays(**p, costs=costs, cfe_target=target)
    ref = highs_reference(p, costs, target)
    assert_feasible(sol, p, costs, target)
    assert sol.lower_bound_usd <= ref * (1 + 1e-9)
    assert sol.objective_usd >= ref * (1 - 1e-9)
    assert sol.objective_usd - ref <= sol.optimality_gap * sol.objective_usd + 1e-6 * ref
    assert sol.optimality_gap < 1e-4
    assert (sol.status == "optimal") == (sol.optimality_gap <= 1e-6)


@pytest.mark.parametrize("t_n", [168, 720])
def test_realistic_horizons_match_highs(t_n):
    p = _profiles(t_n, seed=3)
    costs = _scaled_costs(t_n)
    sol = solve_fast_arrays(**p, costs=costs, cfe_target=0.9)
    ref = highs_reference(p, costs, 0.9)
    assert sol.objective_usd == pytest.approx(ref, rel=1e-6)
    assert_feasible(sol, p, costs, 0.9)
    assert sol.optimality_gap < 1e-6


def test_shadow_price_is_the_cost_slope():
    t_n = 96
    p = _profiles(t_n, seed=11)
    costs = _scaled_costs(t_n)
    sol = solve_fast_arrays(**p, costs=costs, cfe_target=0.8)
    step = 1e-4
    budget_step = step * p["load_mw"].sum()  # MWh of non-CFE grid energy the step removes
    slope = (highs_reference(p, costs, 0.8 + step) - highs_reference(p, costs, 0.8)) / budget_step
    assert sol.cfe_dual_usd_per_mwh == pytest.approx(slope, rel=1e-3, abs=1e-3)


def test_sweep_with_warm_start_is_monotone_and_exact():
    t_n = 72
    p = _profiles(t_n, seed=5)
    costs = _scaled_costs(t_n)
    ws, objs = None, []
    for target in np.linspace(0, 1, 11):
        sol = solve_fast_arrays(**p, costs=costs, cfe_target=float(target), warm_start=ws)
        ws = sol.warm_start
        assert sol.objective_usd == pytest.approx(highs_reference(p, costs, target), rel=1e-6)
        assert_feasible(sol, p, costs, float(target))
        objs.append(sol.objective_usd)
    assert np.all(np.diff(objs) >= -1e-6 * objs[-1])


def test_full_cfe_grid_is_free_target_and_grid_only_at_zero():
    t_n = 48
    p = _profiles(t_n, seed=8)
    costs = _scaled_costs(t_n, grid_limit_mw=1e4)
    # grid fully carbon free: any target costs what target 0 costs
    clean = {**p, "grid_cfe_share": np.ones(t_n)}
    a = solve_fast_arrays(**clean, costs=costs, cfe_target=0.0)
    b = solve_fast_arrays(**clean, costs=costs, cfe_target=1.0)
    assert b.objective_usd == pytest.approx(a.objective_usd, rel=1e-7)
    # cheap grid at target 0: grid-only cost, nothing built
    cheap = {**p, "grid_price_usd_per_mwh": np.full(t_n, 5.0)}
    sol = solve_fast_arrays(**cheap, costs=costs, cfe_target=0.0)
    assert sol.objective_usd == pytest.approx(5.0 * p["load_mw"].sum(), rel=1e-7)
    assert max(sol.capacities.values()) < 1e-6


def test_solve_fast_reads_an_lp_object():
    t_n = 48
    p = _profiles(t_n, seed=2)
    costs = _scaled_costs(t_n)
    lp = lp_from_arrays(**p, costs=costs, cfe_target=0.7)

    sol = solve_fast(lp)
    assert sol.objective_usd == pytest.approx(highs_reference(p, costs, 0.7), rel=1e-6)
    lp = replace(lp, options=ProcurementOptions(flex_hours=2.0))
    with pytest.raises(NotImplementedError):
        solve_fast(lp)


def test_solve_fast_on_the_procurement_model_lp():
    """The fast path agrees with HiGHS on the shared model's own LP object (annual costs)."""
    import pandas as pd

    from gridfirst.procurement.costs import ProcurementCosts
    from gridfirst.procurement.model import build_lp

    t_n = 72
    p = _profiles(t_n, seed=21)
    frame = pd.DataFrame({**p, "grid_intensity_tco2_per_mwh": np.full(t_n, 0.4)})
    costs = _scaled_costs(t_n)
    lp = build_lp(frame, ProcurementCosts(**costs), cfe_target=0.85)
    sol = solve_fast(lp)
    assert sol.objective_usd == pytest.approx(highs_reference(p, costs, 0.85), rel=1e-6)
    assert sol.optimality_gap < 1e-6
