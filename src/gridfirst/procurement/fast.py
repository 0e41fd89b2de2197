"""The fast, structure-exploiting solver of the reference 24/7 CFE procurement LP (issue 5).

Holds :func:`solve_fast` / :func:`solve_fast_arrays` and :class:`FastSolution`; the LP layout is
in :mod:`fast_build`, the interior-point method in :mod:`fast_ipm`, repair and bound in
:mod:`fast_certify`. It solves exactly the reference LP; options beyond it are the HiGHS path's.

Method: a Mehrotra predictor-corrector interior-point method whose normal equations are banded
(hour by hour, bandwidth 9) plus a border of at most a few dozen unknowns (five capacities, the
cyclic state-of-charge wrap, the CFE row, rows lifted by the modified Schur complement), so each
iteration costs time linear in the number of hours. The returned plan is repaired to exact
feasibility and the optimality gap is certified by a Lagrangian bound built from the
interior-point prices, so ``optimality_gap`` does not rely on the solver's own stopping test.

References
----------
.. [1] Mehrotra, S. (1992). On the implementation of a primal-dual interior point method.
   SIAM Journal on Optimization 2(4), 575-601.
.. [2] Andersen, K. D. (1996). A modified Schur-complement method for handling dense columns in
   interior-point methods for linear programming. ACM TOMS 22(3), 348-356.
.. [3] Riepin, I., Brown, T. (2024). Means, costs and system-level impacts of 24/7 carbon-free
   electricity procurement. Energy Strategy Reviews 54, 101488.
"""

from __future__ import annotations

import hashlib
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg as sla

from gridfirst.errors import SolverError
from gridfirst.procurement.fast_build import (
    CAPACITIES,
    ProcurementData,
    build_standard_form,
    split_solution,
)
from gridfirst.procurement.fast_certify import lagrangian_bound, plan_cost_usd, repair_dispatch
from gridfirst.procurement.fast_ipm import BorderedBandedLP, IPMState, mehrotra, unscale, warm_point

_COST_KEYS = (
    "solar_usd_per_mw_year",
    "wind_usd_per_mw_year",
    "battery_power_usd_per_mw_year",
    "battery_energy_usd_per_mwh_year",
    "firm_usd_per_mw_year",
)
_PROFILE_KEYS = (
    "load_mw",
    "solar_cf",
    "wind_cf",
    "grid_price_usd_per_mwh",
    "grid_cfe_share",
)
_OPTION_FLAGS = ("volumetric", "annual_matching", "excess_sale", "flexible_load", "backup")


@dataclass
class FastWarmStart:
    """State carried from one solve of a target sweep to the next (same profiles and costs)."""

    fingerprint: str
    budget_mwh: float
    shape: tuple[int, int]
    ipm: IPMState
    solution: FastSolution
    lp: BorderedBandedLP | None = None


@dataclass
class FastSolution:
    """Result of :func:`solve_fast`: an exactly feasible plan with a certified optimality gap.

    Attributes
    ----------
    objective_usd : float
        Annualised cost of the returned plan [USD/yr].
    capacities : dict
        ``solar_mw, wind_mw, battery_mw, battery_mwh, firm_mw`` [MW or MWh].
    solar, wind, firm, grid, charge, discharge, soc : numpy.ndarray
        Hourly dispatch [MW] and state of charge [MWh], length T.
    cfe_dual_usd_per_mwh : float
        Shadow price of the CFE row [USD per MWh of non-CFE grid energy], >= 0.
    lower_bound_usd : float
        Certified lower bound on the LP optimum [USD/yr].
    optimality_gap : float
        ``(objective_usd - lower_bound_usd) / |objective_usd|``.
    iterations : int
        Interior-point iterations (0 when the warm start was already optimal).
    solve_seconds : float
        Wall time of the solve [s].
    status : str
        ``"optimal"`` if the certified gap is within ``tol``, else ``"gap_above_tol"``.
    warm_start : FastWarmStart or None
        Pass to the next solve of a sweep.
    """

    objective_usd: float
    capacities: dict[str, float]
    solar: np.ndarray
    wind: np.ndarray
    firm: np.ndarray
    grid: np.ndarray
    charge: np.ndarray
    discharge: np.ndarray
    soc: np.ndarray
    cfe_dual_usd_per_mwh: float
    lower_bound_usd: float
    optimality_gap: float
    iterations: int
    solve_seconds: float
    status: str = "optimal"
    warm_start: FastWarmStart | None = field(default=None, repr=False)


def _cost(costs: Any, key: str) -> float:
    if isinstance(costs, dict):
        return float(costs[key])
    return float(getattr(costs, key))


def data_from_arrays(
    load_mw: Any,
    solar_cf: Any,
    wind_cf: Any,
    grid_price_usd_per_mwh: Any,
    grid_cfe_share: Any,
    costs: Any,
    cfe_target: float,
) -> ProcurementData:
    """Pack plain arrays and a costs object (ProcurementCosts or dict) into ProcurementData."""
    load = np.asarray(load_mw, float)
    share = np.zeros_like(load) if grid_cfe_share is None else np.asarray(grid_cfe_share, float)
    if not 0.0 <= float(cfe_target) <= 1.0:
        raise ValueError(f"cfe_target must lie in [0, 1], got {cfe_target}")
    return ProcurementData(
        load_mw=load,
        solar_cf=np.asarray(solar_cf, float),
        wind_cf=np.asarray(wind_cf, float),
        grid_price_usd_per_mwh=np.asarray(grid_price_usd_per_mwh, float),
        grid_cfe_share=np.clip(share, 0.0, 1.0),
        capital_usd_per_unit_year=np.array([_cost(costs, k) for k in _COST_KEYS]),
        firm_marginal_usd_per_mwh=_cost(costs, "firm_marginal_usd_per_mwh"),
        eta_charge=_cost(costs, "battery_charge_efficiency"),
        eta_discharge=_cost(costs, "battery_discharge_efficiency"),
        grid_limit_mw=_cost(costs, "grid_limit_mw"),
        cfe_target=float(cfe_target),
    )


def _fingerprint(d: ProcurementData) -> str:
    hsh = hashlib.sha1()
    for arr in (d.load_mw, d.solar_cf, d.wind_cf, d.grid_price_usd_per_mwh, d.grid_cfe_share):
        hsh.update(np.ascontiguousarray(arr).tobytes())
    hsh.update(d.capital_usd_per_unit_year.tobytes())
    hsh.update(
        np.array(
            [d.firm_marginal_usd_per_mwh, d.eta_charge, d.eta_discharge, d.grid_limit_mw]
        ).tobytes()
    )
    return hsh.hexdigest()


def _gap(obj: float, lb: float) -> float:
    if not np.isfinite(lb):
        return float("inf")
    return max(obj - lb, 0.0) / max(abs(obj), 1e-9)


def _reuse(
    d: ProcurementData, ws: FastWarmStart, fp: str, tol: float, t0: float
) -> FastSolution | None:
    """A previous plan stays optimal for a new target if it still meets the CFE row and the
    bound moved by the CFE price times the budget change still certifies it."""
    if ws.fingerprint != fp:
        return None
    prev = ws.solution
    budget = d.cfe_budget_mwh
    used = float((1.0 - d.grid_cfe_share) @ prev.grid)
    if used > budget + 1e-9 * max(1.0, budget) or budget <= 0.0:
        return None
    lb = prev.lower_bound_usd + prev.cfe_dual_usd_per_mwh * (ws.budget_mwh - budget)
    gap = _gap(prev.objective_usd, lb)
    if gap > tol:
        return None
    sol = FastSolution(**{**prev.__dict__, "lower_bound_usd": lb, "optimality_gap": gap})
    sol.iterations = 0
    sol.solve_seconds = time.perf_counter() - t0
    sol.warm_start = FastWarmStart(fp, budget, ws.shape, ws.ipm, sol, ws.lp)
    return sol


def _certified_plan(d: ProcurementData, sf: Any, lp: BorderedBandedLP, res: Any) -> tuple:
    """Repaired plan, its cost, certified gap, bound and CFE price from an IPM result."""
    x, y = unscale(lp, res.state)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise SolverError("fast procurement solver: non-finite interior-point iterate")
    hourly, caps = split_solution(sf, x)
    hourly, caps = repair_dispatch(d, hourly, caps)
    obj = plan_cost_usd(d, hourly, caps)
    pi = y[sf.rows["bal"]]
    nu = -y[sf.rows["sto"]]
    dirty = 1.0 - d.grid_cfe_share
    if sf.cfe_row >= 0:
        mu = max(-float(y[sf.cfe_row]), 0.0)
    elif d.cfe_budget_mwh <= 0.0 and np.any(dirty > 0) and d.grid_limit_mw > 0:
        # budget zero: smallest CFE price that makes all dirty grid energy unattractive
        sel = dirty > 0
        mu = float(np.max(np.maximum(pi[sel] - d.grid_price_usd_per_mwh[sel], 0.0) / dirty[sel]))
    else:
        mu = 0.0
    lb = lagrangian_bound(d, pi, nu, mu, obj)
    if not np.isfinite(obj):
        raise SolverError("fast procurement solver: non-finite objective")
    return hourly, caps, obj, _gap(obj, lb), lb, mu


def _solve(d: ProcurementData, tol: float, warm_start: FastWarmStart | None) -> FastSolution:
    t0 = time.perf_counter()
    fp = _fingerprint(d)
    if warm_start is not None:
        reused = _reuse(d, warm_start, fp, tol, t0)
        if reused is not None:
            return reused
    sf = build_standard_form(d)
    if (
        warm_start is not None
        and warm_start.fingerprint == fp
        and warm_start.lp is not None
        and warm_start.shape == sf.a.shape
    ):
        # same profiles and costs: only the CFE budget moved, keep the prepared products
        lp = warm_start.lp
        lp.set_rhs(sf.b)
    else:
        lp = BorderedBandedLP(sf.a, sf.b, sf.c, sf.n_band, sf.dense_cols, sf.leaf_rows)
    # An interior-point iterate near one target's optimum is a poor start for another (it sits
    # on the wrong face), so a sweep re-uses solutions exactly where it can (see _reuse) and
    # otherwise starts cold; measured: warm IPM starts took up to twice the iterations.
    ipm_tol = min(1e-8, tol * 1e-2)
    res = mehrotra(lp, tol=ipm_tol)
    plan = _certified_plan(d, sf, lp, res)
    if plan[3] > tol and not res.converged:
        # stalled near a degenerate optimum: one recentred restart from the best iterate
        try:
            res2 = mehrotra(lp, start=warm_point(lp, res.state, 1e-3), tol=ipm_tol)
            plan2 = _certified_plan(d, sf, lp, res2)
            if plan2[3] < plan[3]:
                plan, res = plan2, res2
        except (SolverError, np.linalg.LinAlgError, ValueError):
            pass
    hourly, caps, obj, gap, lb, mu = plan
    sol = FastSolution(
        objective_usd=obj,
        capacities={k: float(v) for k, v in zip(CAPACITIES, caps, strict=True)},
        solar=hourly["solar"],
        wind=hourly["wind"],
        firm=hourly["firm"],
        grid=hourly["grid"],
        charge=hourly["charge"],
        discharge=hourly["discharge"],
        soc=hourly["soc"],
        cfe_dual_usd_per_mwh=mu,
        lower_bound_usd=lb,
        optimality_gap=gap,
        iterations=res.iterations,
        solve_seconds=0.0,
        status="optimal" if gap <= tol else "gap_above_tol",
    )
    sol.warm_start = FastWarmStart(fp, d.cfe_budget_mwh, sf.a.shape, res.state, sol, lp)
    sol.solve_seconds = time.perf_counter() - t0
    return sol


def _run(d: ProcurementData, tol: float, warm_start: FastWarmStart | None) -> FastSolution:
    # the linear algebra is many small BLAS calls: threads only add contention
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scipy's usual stacks
        return _solve(d, tol, warm_start)
    with threadpool_limits(limits=1, user_api="blas"), np.errstate(all="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            warnings.simplefilter("ignore", category=sla.LinAlgWarning)
            return _solve(d, tol, warm_start)


def solve_fast_arrays(
    load_mw: Any,
    solar_cf: Any,
    wind_cf: Any,
    grid_price_usd_per_mwh: Any,
    grid_cfe_share: Any,
    costs: Any,
    cfe_target: float,
    tol: float = 1e-6,
    warm_start: FastWarmStart | None = None,
) -> FastSolution:
    """Solve the reference procurement LP from plain hourly arrays.

    Parameters
    ----------
    load_mw, solar_cf, wind_cf, grid_price_usd_per_mwh : array-like
        Hourly load [MW], capacity factors [-] and grid price [USD/MWh], length T.
    grid_cfe_share : array-like or None
        Carbon-free share of grid supply [-]; None means 0.
    costs : ProcurementCosts or dict
        The issue's annualised cost keys (``solar_usd_per_mw_year`` ... ``grid_limit_mw``).
    cfe_target : float
        Hourly CFE target in [0, 1].
    tol : float
        Certified relative optimality gap to reach.
    warm_start : FastWarmStart, optional
        ``warm_start`` of a previous solution on the same profiles and costs.
    """
    d = data_from_arrays(
        load_mw, solar_cf, wind_cf, grid_price_usd_per_mwh, grid_cfe_share, costs, cfe_target
    )
    return _run(d, tol, warm_start)


def solve_fast(lp: Any, tol: float = 1e-6, warm_start: FastWarmStart | None = None) -> FastSolution:
    """Solve a :class:`~gridfirst.procurement.model.ProcurementLP` with the structured IPM.

    Reads the hourly arrays (``load_mw, solar_cf, wind_cf, grid_price_usd_per_mwh`` or
    ``price_usd_per_mwh``, ``grid_cfe_share``), the scalar costs (``solar_usd_per_mw_year`` ...
    ``eta_charge, eta_discharge, grid_limit_mw``, or a ``costs`` object) and ``cfe_target``.
    Raises NotImplementedError if ``lp`` enables an option beyond the reference formulation.
    """
    opts = getattr(lp, "options", None)
    if opts is not None and hasattr(opts, "is_reference") and not opts.is_reference:
        raise NotImplementedError("fast method: only the reference formulation; use method='highs'")
    if isinstance(opts, dict) and any(opts.get(k) for k in _OPTION_FLAGS):
        raise NotImplementedError("fast method: only the reference formulation; use method='highs'")
    for flag in _OPTION_FLAGS:
        if getattr(lp, flag, None):
            raise NotImplementedError(f"fast method: option {flag!r} is only in method='highs'")
    if hasattr(lp, "load_mw"):
        price = getattr(lp, "grid_price_usd_per_mwh", None)
        if price is None:
            price = lp.price_usd_per_mwh
        arrays = [lp.load_mw, lp.solar_cf, lp.wind_cf, price, getattr(lp, "grid_cfe_share", None)]
    else:
        prof = lp.profiles
        arrays = [prof[k].to_numpy() if k in prof else None for k in _PROFILE_KEYS]
    if hasattr(lp, "eta_charge"):
        costs: Any = {k: getattr(lp, k) for k in (*_COST_KEYS, "firm_marginal_usd_per_mwh")}
        costs["battery_charge_efficiency"] = lp.eta_charge
        costs["battery_discharge_efficiency"] = lp.eta_discharge
        costs["grid_limit_mw"] = lp.grid_limit_mw
    else:
        costs = lp.costs
    load, solar, wind, price, share = arrays
    return solve_fast_arrays(
        load, solar, wind, price, share, costs, lp.cfe_target, tol=tol, warm_start=warm_start
    )
