"""Solving the procurement LP: one target, a sweep of targets with warm starts, or a whole market.

Dispatches to HiGHS on the monolithic LP (``method="highs"``) through :mod:`gridfirst.solver`,
or to the structure-exploiting solver in :mod:`gridfirst.procurement.fast` (``method="fast"``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from gridfirst.errors import DataError
from gridfirst.procurement.costs import ProcurementCosts
from gridfirst.procurement.model import (
    Generator,
    ProcurementLP,
    ProcurementOptions,
    Storage,
    build_lp,
    cfe_row_bounds,
    column_layout,
    to_sparse,
)
from gridfirst.procurement.result import ProcurementResult, result_from_primal

if TYPE_CHECKING:
    import pandas as pd

    from gridfirst.procurement.contract import ContractShare
    from gridfirst.procurement.fast import FastSolution, FastWarmStart
    from gridfirst.scenario import Market

METHODS = ("fast", "highs")
#: Certified relative gap the fast method must reach; above it HiGHS answers (``method`` says so).
FAST_TOLERANCE = 1e-6
#: HiGHS settings of the fast method's fallback: its defaults. On the two full-year market
#: stacks that fall back (Auckland 0.5, Tokyo 0.9) HiGHS's interior point without crossover took
#: 33 and 8 s where PyPSA's whole run with HiGHS's defaults took 10 and 8 s (Frankfurt at 0.9,
#: no longer a fallback, went the other way: 52 s default against 21 s).
FALLBACK_HIGHS: dict[str, Any] = {}
DEFAULT_METHOD = "fast"
_OPTION_KEYS = {f for f in ProcurementOptions.__dataclass_fields__}
_SOLVER_KEYS = {"algorithm", "time_limit_s", "threads", "tolerance"}


def _split_kwargs(kwargs: dict[str, Any]) -> tuple[ProcurementOptions, dict[str, Any]]:
    unknown = set(kwargs) - _OPTION_KEYS - _SOLVER_KEYS
    if unknown:
        known = sorted(_OPTION_KEYS | _SOLVER_KEYS)
        raise DataError(f"unknown procurement option(s) {sorted(unknown)}; known: {known}")
    options = ProcurementOptions(**{k: v for k, v in kwargs.items() if k in _OPTION_KEYS})
    solver_kwargs = {k: v for k, v in kwargs.items() if k in _SOLVER_KEYS}
    return options, solver_kwargs


def _solve_highs(lp: ProcurementLP, label: str = "highs", **solver_kwargs: Any) -> ProcurementResult:
    model = to_sparse(lp)
    sol = model.solve(**solver_kwargs)
    return result_from_primal(
        lp, sol.x, model.layout, cfe_dual=float(sol.dual("cfe")[0]),
        optimality_gap=sol.gap, solve_seconds=sol.solve_seconds, method=label,
        iterations=sol.iterations,
    )


def _result_from_fast(lp: ProcurementLP, sol: FastSolution, method: str) -> ProcurementResult:
    """The fast method's plan laid into the HiGHS path's columns, read like a HiGHS result."""
    layout = column_layout(lp)
    x = np.zeros(layout.num_cols)
    for g in lp.generators:
        x[layout.col(f"cap:{g.name}")] = sol.capacities[f"{g.name}_mw"]
    for s in lp.storages:
        x[layout.col(f"power:{s.name}")] = sol.capacities[f"{s.name}_mw"]
        if s.duration_h is None:
            x[layout.col(f"energy:{s.name}")] = sol.capacities[f"{s.name}_mwh"]
    for name, values in sol.hourly.items():
        x[layout.col(name)] = values
    if lp.soft_target:
        x[layout.col("cfe_shortfall")] = sol.capacities.get("cfe_shortfall_mwh", 0.0)
    return result_from_primal(
        lp, x, layout, cfe_dual=float(sol.cfe_dual_usd_per_mwh),
        optimality_gap=float(sol.optimality_gap), solve_seconds=float(sol.solve_seconds),
        method=method, iterations=int(sol.iterations),
    )


def _choose(method: str, lp: ProcurementLP) -> tuple[str, str]:
    """(solver to run, label for the result)."""
    if method not in METHODS:
        raise DataError(f"method: {method!r} is not one of {list(METHODS)}")
    if method == "highs":
        return "highs", "highs"
    if not lp.options.is_reference:
        return "highs", "highs (the fast method has no exports, flexible load or backup)"
    return "fast", "fast"


def _fast_or_highs(lp: ProcurementLP, label: str, warm: FastWarmStart | None = None,
                   **solver_kwargs: Any) -> tuple[ProcurementResult, FastWarmStart | None]:
    """The fast method; HiGHS when its plan cannot be repaired within the options' caps or its
    certified gap is above :data:`FAST_TOLERANCE`."""
    from gridfirst.procurement.fast import solve_fast
    from gridfirst.procurement.fast_certify import RepairFailed

    try:
        sol = solve_fast(lp, tol=FAST_TOLERANCE, warm_start=warm)
    except RepairFailed as exc:
        return _solve_highs(lp, f"highs (fast plan not repairable: {exc})", **solver_kwargs), None
    if sol.optimality_gap > FAST_TOLERANCE:
        label = f"highs (fast method's certified gap {sol.optimality_gap:.1e} above {FAST_TOLERANCE:g})"
        return _solve_highs(lp, label, **{**FALLBACK_HIGHS, **solver_kwargs}), sol.warm_start
    return _result_from_fast(lp, sol, label), sol.warm_start


def optimise_procurement(
    profiles: pd.DataFrame,
    costs: ProcurementCosts | None = None,
    cfe_target: float = 0.9,
    method: str = DEFAULT_METHOD,
    supply: tuple[tuple[Generator, ...], tuple[Storage, ...]] | None = None,
    cfe_shortfall_usd_per_mwh: float | None = None,
    **options: Any,
) -> ProcurementResult:
    """Cheapest capacities and hourly dispatch serving the load to an hourly CFE target.

    Parameters
    ----------
    profiles : pandas.DataFrame
        Hourly ``load_mw``, ``solar_cf``, ``wind_cf``, ``grid_price_usd_per_mwh``,
        ``grid_intensity_tco2_per_mwh`` and optional ``grid_cfe_share`` (any number of hours;
        capital costs stay annual).
    costs : ProcurementCosts, optional
        Annualised costs; the sourced defaults when None.
    cfe_target : float
        Carbon-free share of load to meet, hour by hour (0..1).
    method : {"fast", "highs"}
        ``fast``: the structure-exploiting solver (without the exports, flexible-load and backup
        options; with them HiGHS is used and the result's ``method`` says so). Where it cannot
        repair its plan or certify a gap of :data:`FAST_TOLERANCE` (1e-6), HiGHS answers and
        ``method`` says why. ``highs``: HiGHS
        on the monolithic LP.
    supply : (generators, storages), optional
        The supply options (e.g. :attr:`~gridfirst.procurement.stack.SupplyStack.supply`);
        default the reference LP's solar, wind, clean firm and battery.
    cfe_shortfall_usd_per_mwh : float, optional
        Make the target soft (see :attr:`~gridfirst.procurement.model.ProcurementLP.soft_target`).
    **options
        :class:`~gridfirst.procurement.model.ProcurementOptions` fields (``matching``,
        ``sale_price_usd_per_mwh``, ``sale_cap_mw``, ``flex_hours``,
        ``flex_value_usd_per_mwh``, ``backup``) and HiGHS settings (``algorithm``,
        ``time_limit_s``, ``threads``, ``tolerance``).

    Returns
    -------
    ProcurementResult

    Raises
    ------
    DataError
        Bad profiles, costs, target or option.
    InfeasibleError, SolverError
        From the solver.

    References
    ----------
    .. [1] Riepin, I., Brown, T. (2024). On the means, costs, and system-level impacts of 24/7
       carbon-free energy procurement. Energy Strategy Reviews 54, 101488.
    """
    opts, solver_kwargs = _split_kwargs(options)
    lp = build_lp(profiles, costs, cfe_target, opts, supply=supply,
                  cfe_shortfall_usd_per_mwh=cfe_shortfall_usd_per_mwh)
    return solve_lp(lp, method=method, **solver_kwargs)


def solve_lp(lp: ProcurementLP, method: str = DEFAULT_METHOD, **solver_kwargs: Any) -> ProcurementResult:
    """Solve an already built :class:`ProcurementLP` with the chosen method."""
    run, label = _choose(method, lp)
    if run == "highs":
        return _solve_highs(lp, label, **solver_kwargs)
    return _fast_or_highs(lp, label, **solver_kwargs)[0]


def sweep_targets(
    profiles: pd.DataFrame,
    targets: Iterable[float],
    costs: ProcurementCosts | None = None,
    method: str = DEFAULT_METHOD,
    supply: tuple[tuple[Generator, ...], tuple[Storage, ...]] | None = None,
    cfe_shortfall_usd_per_mwh: float | None = None,
    **options: Any,
) -> list[ProcurementResult]:
    """Solve for each CFE target, re-using the previous solve as a warm start.

    HiGHS keeps one model and only moves the CFE row's bound, re-solving from the previous
    optimal basis with the dual simplex (the basis stays dual feasible when a bound moves). The
    fast method passes its own warm start along. Targets are solved in ascending order and
    returned in the order given.

    Returns
    -------
    list of ProcurementResult
        One per target, in the order of ``targets``.
    """
    targets = [float(t) for t in targets]
    if not targets:
        raise DataError("sweep: no targets given")
    opts, solver_kwargs = _split_kwargs(options)
    base = build_lp(profiles, costs, targets[0], opts, supply=supply,
                    cfe_shortfall_usd_per_mwh=cfe_shortfall_usd_per_mwh)
    order = sorted(range(len(targets)), key=lambda i: targets[i])
    results: dict[int, ProcurementResult] = {}
    run, label = _choose(method, base)
    if run == "fast":
        warm: FastWarmStart | None = None
        for i in order:
            lp = base.with_target(targets[i])
            results[i], warm = _fast_or_highs(lp, label + " (sweep, warm)", warm, **solver_kwargs)
        return [results[i] for i in range(len(targets))]

    sparse = to_sparse(base)
    model = sparse.highs()
    cfe_row = sparse.layout.row("cfe").start
    solver_kwargs.setdefault("algorithm", "dual")
    for k, i in enumerate(order):
        lp = base.with_target(targets[i])
        lo, hi = cfe_row_bounds(lp)
        model.change_row_bounds([cfe_row], lo, hi)
        sol = model.solve(**solver_kwargs)
        results[i] = result_from_primal(
            lp, sol.x, sparse.layout, cfe_dual=float(sol.dual("cfe")[0]),
            optimality_gap=sol.gap, solve_seconds=sol.solve_seconds,
            method=label + (" (sweep, warm)" if k else " (sweep)"), iterations=sol.iterations,
        )
    return [results[i] for i in range(len(targets))]


#: Most targets one sweep solves (each is a full-year LP).
MAX_SWEEP_TARGETS = 1000


def parse_sweep(spec: str) -> list[float]:
    """Targets from ``start:stop:step`` (stop included), e.g. ``0:1:0.05`` gives 21 targets."""
    try:
        start, stop, step = (float(p) for p in spec.split(":"))
    except ValueError:
        raise DataError(f"--sweep: {spec!r} is not start:stop:step, e.g. 0:1:0.05") from None
    if not all(np.isfinite([start, stop, step])):
        raise DataError(f"--sweep: {spec!r} needs finite numbers")
    if step <= 0 or stop < start:
        raise DataError(f"--sweep: {spec!r} needs step > 0 and stop >= start")
    if (stop - start) / step > MAX_SWEEP_TARGETS:
        raise DataError(f"--sweep: {spec!r} asks for more than {MAX_SWEEP_TARGETS} targets; "
                        "use a larger step")
    count = int(np.floor((stop - start) / step + 1e-9)) + 1
    values = np.round(start + step * np.arange(count), 10)
    if not (0 <= values.min() and values.max() <= 1):
        raise DataError(f"--sweep: {spec!r} leaves the range 0..1")
    return [float(v) for v in values]


#: How a site's supply options are chosen: the market's sourced options, or the reference LP's
#: generic solar, wind, clean firm and battery at US costs (issue 5; tests and benchmarks).
SUPPLY_MODES = ("market", "reference")
#: Price of a MWh of CFE shortfall when a market's options cannot reach the target [USD/MWh]:
#: high enough that the LP exhausts every clean option first (the marginal clean MWh of a capped
#: stack costs up to a few thousand USD), so the achieved CFE is the most the options allow.
#: A modelling device, never reported as cost.
CFE_SHORTFALL_USD_PER_MWH = 5000.0


def procure_market(
    market: Market,
    cfe_target: float,
    costs: ProcurementCosts | None = None,
    seed: int = 0,
    load_mw: float = 100.0,
    method: str = DEFAULT_METHOD,
    supply: str = "market",
    year: int | None = None,
    profiles: pd.DataFrame | None = None,
    contracts: Sequence[ContractShare] = (),
    **options: Any,
) -> ProcurementResult:
    """A market's (or site's) hourly profiles and supply stack, solved to a CFE target.

    Parameters
    ----------
    market : Market
        The market as the site sees it (:func:`gridfirst.procurement.site.site_market`).
    supply : {"market", "reference"}
        ``market``: the market's sourced supply options (:func:`~gridfirst.procurement.stack.
        market_stack`); ``reference``: the reference LP's generic options.
    year : int, optional
        With ``supply="market"``, leave out options not available by this year.
    profiles : pandas.DataFrame, optional
        Hourly profiles; default :func:`gridfirst.resources.market_profiles` of the market.
    contracts : sequence of ContractShare
        Signed PPAs serving this site: each adds its hourly output as a fixed, grid-settled
        option (:func:`gridfirst.procurement.contract.contract_generator`); their CfD
        settlement is not part of the objective (:func:`~gridfirst.procurement.contract.
        cfd_settlement_usd`). Only with ``supply="market"``.

    The result's ``stack`` attribute holds the :class:`~gridfirst.procurement.stack.SupplyStack`
    used (None for the reference options).
    """
    from gridfirst.resources import market_profiles

    if supply not in SUPPLY_MODES:
        raise DataError(f"supply: {supply!r} is not one of {list(SUPPLY_MODES)}")
    if profiles is None:
        profiles = market_profiles(market, seed=seed, load_mw=load_mw)
    if supply == "reference":
        if contracts:
            raise DataError("contracts: signed PPAs join the market supply stack only "
                            "(supply='market')")
        return optimise_procurement(profiles, costs, cfe_target, method=method, **options)
    from gridfirst.procurement.costs import default_costs
    from gridfirst.procurement.stack import market_stack

    costs = costs if costs is not None else default_costs()
    stack = market_stack(market, profiles, costs, year=year)
    gens, storages = stack.supply
    if contracts:
        from gridfirst.procurement.contract import contract_generator, contract_profile

        taken = {g.name for g in gens} | {s.name for s in storages}
        for share in contracts:
            if share.deal in taken:
                raise DataError(f"deals.{share.deal}: the id is also a supply option of market "
                                f"{market.id!r}; give the PPA another id")
            profile = contract_profile(share, seed=seed)
            if profile.shape[0] != len(profiles):
                raise DataError(f"deals.{share.deal}: its profile has {profile.shape[0]} hours, "
                                f"the site's {len(profiles)}")
            gens = (*gens, contract_generator(share, profile))
    opts, solver_kwargs = _split_kwargs(options)
    lp = build_lp(profiles, costs, cfe_target, opts, supply=(gens, storages),
                  cfe_shortfall_usd_per_mwh=CFE_SHORTFALL_USD_PER_MWH)
    result = solve_lp(lp, method=method, **solver_kwargs)
    result.stack = stack
    return result
