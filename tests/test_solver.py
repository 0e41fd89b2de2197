"""Tests of gridfirst's one solver layer: the named-block model builder, duals by name, errors.

The small LPs here have optima and duals that follow by hand from LP duality (Vanderbei 2020,
ch. 5), so each assertion checks the economics, not a recorded number.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfirst import solver
from gridfirst.errors import InfeasibleError, SolverError
from gridfirst.solver import ModelBuilder


def _two_sites() -> ModelBuilder:
    """Serve 3 MW of demand from a cheap site (1 USD/MW, at most 2 MW of power) and a dear one
    (2 USD/MW): optimum 2 + 1 MW at 4 USD; one more MW of demand costs 2 USD (the dear site's
    price), one more MW of power at the cheap site saves 1 USD."""
    b = ModelBuilder()
    build = b.variables("build", 2, upper=10.0, cost=[1.0, 2.0],
                        labels={"site": ["cheap", "dear"], "year": 2030})
    demand = b.constraints("demand", 1, lower=3.0, upper=3.0, labels={"region": ["tokyo"]})
    power = b.constraints("power", 1, upper=2.0, labels={"pool": ["cheap-pool"], "year": 2030})
    b.coefficients(demand.start, build.index, 1.0)
    b.coefficients(power.start, build.start, 1.0)
    return b


def test_lp_values_and_duals_by_block_name() -> None:
    model = _two_sites().build()
    sol = model.solve()
    assert sol.status == "optimal"
    assert sol.objective == pytest.approx(4.0)
    assert sol.primal("build") == pytest.approx([2.0, 1.0])
    # d cost / d demand = price of the marginal (dear) site; d cost / d power = -(2 - 1)
    assert sol.dual("demand") == pytest.approx([2.0])
    assert sol.dual("power") == pytest.approx([-1.0])
    # strong duality: the objective equals the bounds priced at the duals
    assert sol.dual("demand")[0] * 3.0 + sol.dual("power")[0] * 2.0 == pytest.approx(4.0)
    assert sol.reduced_cost("build") == pytest.approx([0.0, 0.0], abs=1e-9)
    assert sol.gap < 1e-9


def test_layout_labels_name_rows_and_columns() -> None:
    model = _two_sites().build()
    layout = model.layout
    assert layout.columns == {"build": (0, 2)}
    assert layout.rows == {"demand": (0, 1), "power": (1, 2)}
    assert layout.col_name(1) == "build[site=dear, year=2030]"
    assert layout.row_name(0) == "demand[region=tokyo]"
    assert layout.row_name(1) == "power[pool=cheap-pool, year=2030]"
    assert list(layout.row_blocks()) == ["demand", "power"]
    assert list(layout.row_label("year", -1)) == [-1, 2030]
    assert layout.row_block(1) == "power"
    with pytest.raises(SolverError, match="no constraint block named 'labour'"):
        layout.row("labour")


def test_builder_sums_duplicates_and_matches_the_matrix_form() -> None:
    b = ModelBuilder()
    x = b.variables("x", 3, cost=[1.0, 1.0, 1.0])
    rows = b.constraints("need", 2, lower=[1.0, 2.0])
    b.coefficients(rows.start, x.index, 0.5)
    b.coefficients(rows.start, x.index, 0.5)  # duplicates add up to 1
    b.coefficients(rows.start + 1, x.index[1:], [1.0, 2.0])
    model = b.build("csc")
    expected = np.array([[1.0, 1.0, 1.0], [0.0, 1.0, 2.0]])
    assert model.A.format == "csc"
    assert np.array_equal(model.A.toarray(), expected)
    assert np.array_equal(b.build("csr").A.toarray(), expected)
    direct = solver.solve(model.c, sp.csr_matrix(expected), model.row_lo, model.row_hi,
                          model.col_lo, model.col_hi)
    assert model.solve().objective == pytest.approx(direct.objective)


def test_mip_by_block_name() -> None:
    """Cover 25 MW with 10 MW blocks (cost 3 each) or 1 MW spot capacity (cost 0.5 each):
    two blocks and 5 spot MW (8.5) beat three blocks (9) and 25 spot MW (12.5)."""
    b = ModelBuilder()
    blocks = b.variables("blocks", 1, upper=5.0, cost=3.0, integer=True)
    spot = b.variables("spot", 1, cost=0.5)
    need = b.constraints("need", 1, lower=25.0)
    b.coefficients(need.start, [blocks.start, spot.start], [10.0, 1.0])
    model = b.build()
    assert model.is_mip
    sol = model.solve(mip_rel_gap=1e-9, time_limit_s=10)
    assert sol.objective == pytest.approx(8.5)
    assert sol.primal("blocks") == pytest.approx([2.0])
    assert sol.primal("spot") == pytest.approx([5.0])
    with pytest.raises(SolverError, match="MIP"):
        sol.dual("need")
    relaxed = model.solve(relax_integrality=True)
    assert relaxed.objective == pytest.approx(7.5)  # 2.5 blocks
    assert relaxed.dual("need") == pytest.approx([0.3])


def test_infeasible_lp_names_the_constraint_block() -> None:
    b = ModelBuilder()
    build = b.variables("build", 2, upper=1.0, labels={"site": ["a", "b"]})
    demand = b.constraints("demand", 1, lower=5.0, labels={"region": ["tokyo"]})
    b.coefficients(demand.start, build.index, 1.0)
    with pytest.raises(InfeasibleError, match=r"demand\[region=tokyo\]") as err:
        b.build().solve()
    assert "constraint blocks: demand" in str(err.value)


def test_infeasible_rows_alone_name_their_blocks() -> None:
    """Two row blocks that contradict each other (x >= 5 and x <= 2) with free bounds."""
    b = ModelBuilder()
    x = b.variables("x", 1, lower=-np.inf)
    low = b.constraints("floor", 1, lower=5.0)
    high = b.constraints("ceiling", 1, upper=2.0)
    b.coefficients([low.start, high.start], x.start, 1.0)
    with pytest.raises(InfeasibleError) as err:
        b.build().solve()
    assert "floor" in str(err.value) and "ceiling" in str(err.value)


def test_builder_rejects_bad_blocks() -> None:
    b = ModelBuilder()
    b.variables("x", 2)
    with pytest.raises(SolverError, match="added twice"):
        b.variables("x", 1)
    with pytest.raises(SolverError, match="upper has 3 values, expected 2"):
        b.variables("y", 2, upper=[1.0, 2.0, 3.0])
    with pytest.raises(SolverError, match="label 'site'"):
        b.constraints("c", 2, labels={"site": ["a"]})
    b.constraints("r", 1)
    b.coefficients(0, 5, 1.0)
    with pytest.raises(SolverError, match="outside"):
        b.build()


def test_set_bounds_and_cost_change_one_block() -> None:
    b = _two_sites()
    b.set_cost("build", 0.5, at=1)  # the dear site becomes the cheapest
    b.set_bounds("build", upper=2.5, at=1)
    sol = b.build().solve()
    assert sol.primal("build") == pytest.approx([0.5, 2.5])
    assert sol.objective == pytest.approx(0.5 * 1.0 + 2.5 * 0.5)


def test_matrix_solutions_have_no_names() -> None:
    sol = solver.solve(np.array([1.0]), sp.csr_matrix(np.array([[1.0]])), np.array([1.0]),
                       np.array([np.inf]), np.zeros(1), np.full(1, 5.0))
    assert sol.x == pytest.approx([1.0])
    assert sol.seconds == sol.solve_seconds
    with pytest.raises(SolverError, match="no named blocks"):
        sol.primal("x")


@settings(max_examples=25, deadline=None)
@given(
    prices=st.lists(st.floats(0.1, 100.0), min_size=2, max_size=6),
    caps=st.lists(st.floats(0.5, 20.0), min_size=6, max_size=6),
    demand=st.floats(1.0, 30.0),
)
def test_merit_order_dual_is_the_marginal_price(prices, caps, demand) -> None:
    """Economic dispatch: the demand row's dual is the price of the marginal unit."""
    n = len(prices)
    caps = np.asarray(caps[:n])
    b = ModelBuilder()
    gen = b.variables("gen", n, upper=caps, cost=prices)
    shed = b.variables("shed", 1, cost=1000.0)  # keeps the LP feasible
    bal = b.constraints("balance", 1, lower=demand, upper=demand)
    b.coefficients(bal.start, np.append(gen.index, shed.start), 1.0)
    sol = b.build().solve()
    order = np.argsort(prices, kind="stable")
    before = np.concatenate([[0.0], np.cumsum(caps[order])])
    marginal = int(np.searchsorted(before, demand, side="left")) - 1
    expected = 1000.0 if marginal >= n else float(np.asarray(prices)[order][marginal])
    if np.isclose(before, demand, rtol=1e-9, atol=1e-9).any():
        return  # demand exactly at a step: any dual between two prices is optimal
    assert sol.dual("balance")[0] == pytest.approx(expected, rel=1e-7)
    assert sol.primal("gen").sum() + sol.primal("shed")[0] == pytest.approx(demand)
