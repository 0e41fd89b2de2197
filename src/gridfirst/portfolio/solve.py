"""Solving the build-out model: the MIP, the fixed LP for shadow prices, and the result tables.

HiGHS is reached through :mod:`gridfirst.solver` only (:func:`_run_highs`); model building lives
in :mod:`gridfirst.portfolio.model` and the shortfall explanation in :mod:`.explain`.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from gridfirst.errors import InfeasibleError, SolverError
from gridfirst.portfolio.inputs import PortfolioInputs
from gridfirst.portfolio.model import PortfolioModel, build_model
from gridfirst.portfolio.result import PortfolioResult, binding_table, decode
from gridfirst.solver import HighsModel, Solution

__all__ = ["Solution", "solve_portfolio"]


def _run_highs(
    model: PortfolioModel,
    integer: bool = True,
    mip_gap: float = 0.01,
    time_limit_s: float = 60.0,
    col_lower: np.ndarray | None = None,
    col_upper: np.ndarray | None = None,
    threads: int | None = None,
    row_upper: np.ndarray | None = None,
) -> Solution:
    """Solve ``model`` through :mod:`gridfirst.solver` (the MIP, or its LP relaxation).

    Returns the solver's :class:`~gridfirst.solver.Solution` (readable by block name, e.g.
    ``sol.primal("cap")``, ``sol.dual("power")``) with ``gap`` 0 for an LP, ``row_dual`` zeros
    for a MIP, and a ``status`` that says when a MIP stopped early with a feasible plan.
    """
    has_integers = integer and bool(model.integrality.any())
    highs = HighsModel(
        model.cost, model.A, model.row_lower, model.row_upper if row_upper is None else row_upper,
        model.col_lower if col_lower is None else col_lower,
        model.col_upper if col_upper is None else col_upper,
        model.integrality if has_integers else None,
        layout=model.layout,
    )
    out = highs.solve(time_limit_s=time_limit_s, mip_rel_gap=mip_gap if has_integers else None,
                      threads=threads)
    gap = float(out.gap) if has_integers else 0.0
    return replace(
        out,
        row_dual=out.row_dual if out.row_dual.size else np.zeros(model.num_rows),
        status=out.status if out.status == "optimal" else f"{out.status} (feasible plan, gap {gap:.2%})",
        gap=gap,
    )


def solve_portfolio(
    inputs: PortfolioInputs,
    mip_gap: float = 0.01,
    time_limit_s: float = 60,
    allow_unmet: bool = True,
    explain: bool = True,
    threads: int | None = None,
) -> PortfolioResult:
    """Solve the multi-year build-out plan: how much, where and when.

    Parameters
    ----------
    inputs : PortfolioInputs
        From :func:`gridfirst.portfolio.portfolio_inputs`.
    mip_gap : float
        Relative optimality gap at which HiGHS stops [-].
    time_limit_s : float
        Wall-clock limit of the MIP solve [s]; the best plan found is returned with its gap.
    allow_unmet : bool
        When False, a plan that leaves demand unmet raises :class:`InfeasibleError` whose
        message names the region, year, MW and binding constraint.
    explain : bool
        Run the relaxation pass that names the binding constraint of each shortfall.
    threads : int, optional
        HiGHS threads (default: HiGHS's choice).

    Returns
    -------
    PortfolioResult

    Notes
    -----
    Shadow prices: the open/sign binaries are fixed at the plan's values, blocks are made
    continuous and the LP is re-solved; a power row's dual is then the value of 1 MW more power
    at that pool and year (discounted USD), a labour row's the value of 1 MW more construction.
    """
    started = time.perf_counter()
    model = build_model(inputs)
    mip = _run_highs(model, integer=True, mip_gap=mip_gap, time_limit_s=time_limit_s,
                     threads=threads)
    duals = _fixed_lp_duals(model, mip.x, threads)
    result = decode(model, mip.x, mip)
    result.binding = binding_table(model, duals)
    if explain and not result.shortfalls.empty:
        from gridfirst.portfolio.explain import explain_shortfalls

        result.shortfalls = explain_shortfalls(model, mip.x, result.shortfalls, threads=threads,
                                               row_dual=duals)
    from gridfirst.portfolio.unused import unused_candidates

    result.unused = unused_candidates(model, mip.x, duals)
    result.solve_seconds = time.perf_counter() - started
    if not allow_unmet and not result.shortfalls.empty:
        lines = [str(s) for s in result.shortfalls["explanation"]]
        raise InfeasibleError(
            "the plan cannot meet demand:\n" + "\n".join(lines), explanation=result.shortfalls
        )
    return result


def _fixed_lp_duals(model: PortfolioModel, x: np.ndarray, threads: int | None) -> np.ndarray:
    """Row duals of the LP with binaries fixed at ``x`` and blocks continuous."""
    lo, hi = model.col_lower.copy(), model.col_upper.copy()
    for name in ("open", "sign", "ppa_sign", "campus"):
        sl = model.cols[name]
        fixed = np.round(x[sl])
        lo[sl] = fixed
        hi[sl] = fixed
    # Blocks free of their power-derived bounds, so power rows (not bounds) hold the duals.
    hi[model.cols["n"]] = np.inf
    row_hi = model.row_upper.copy()
    if "open" in model.layout.rows:
        is_open = model.layout.row("open")
        row_hi[is_open][np.round(x[model.cols["open"]]) > 0.5] = np.inf
    try:
        lp = _run_highs(model, integer=False, col_lower=lo, col_upper=hi, threads=threads,
                        row_upper=row_hi)
    except (InfeasibleError, SolverError):
        return np.zeros(model.num_rows)
    return lp.row_dual
