"""24/7 CFE procurement of several sites at once, with a share of the load that may move.

Each site keeps its own procurement LP (:class:`~gridfirst.procurement.model.ProcurementLP`: its
supply stack, grid and CFE row); the fleet model lays them side by side through
:class:`gridfirst.solver.ModelBuilder` and couples them by flexible load. It does not solve one
site alone (see :mod:`gridfirst.procurement.solve`).

Formulation
-----------
Each site ``i`` keeps ``(1 - f) L_it`` of its load fixed; the flexible work ``f L_it`` arriving in
hour ``t`` may be served at another site in the same hour (space: a flow ``z_kt`` on each pair
``k`` of sites, ``|z_kt| <= transfer_mw``) and, at the site it ends at, at another hour of the
same day (time). The flexible consumption ``y_it`` of a site is bounded by its headroom above
the flat load, ``0 <= y_it <= (f + h) L_it``, and enters its balance row::

    sum_g x_git + grid_it + discharge_it - charge_it - y_it = (1 - f) L_it
    y_it + sum_k A_ik z_kt + b_it - b_i,t-1 = f L_it,   b_it = 0 at the end of each day

with ``A_ik = +1`` when pair ``k`` moves work out of ``i`` and ``-1`` into it, and ``b_it`` the
work waiting (done ahead when negative) at site ``i``; without time shifting ``b = 0``. The 24/7 CFE
constraint is kept per site, on what the site consumes after shifting
(``non-CFE_i <= (1 - target_i) sum_t ((1 - f) L_it + y_it)``), or pooled over the fleet
(``sum_i non-CFE_i <= (1 - target) sum_it L_it``).

With nothing allowed to move the model is the sites' own LPs side by side, so its objective is
the sum of theirs; every shift only adds freedom, so it never costs more.

References
----------
.. [1] Riepin, I., Brown, T. (2025). On the means, costs, and system-level impacts of 24/7
   carbon-free energy procurement with spatial and temporal flexibility. Advances in Applied
   Energy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from gridfirst.errors import DataError
from gridfirst.procurement.model import ProcurementLP, cfe_row_bounds, to_sparse
from gridfirst.procurement.result import ProcurementResult, result_from_primal
from gridfirst.solver import LinearModel, ModelBuilder

SHIFTS = ("none", "time", "space", "both")
CFE_SCOPES = ("site", "fleet")


@dataclass(frozen=True)
class Flexibility:
    """How much of each site's load may move, and where.

    Parameters
    ----------
    share : float
        Flexible share of every site's hourly load, ``f`` in [0, 1].
    shift : {"none", "time", "space", "both"}
        Within the day at the same site (time), between sites in the same hour (space), both.
    headroom_share : float or None
        Most load above the flat load a site can take, as a share of its load: its consumption
        stays below ``(1 + h) L_it``. None takes ``share`` (a site can double its flexible part).
    transfer_mw : float
        Most flexible load moved between any two sites in an hour [MW] (``inf``: no limit).
    day_hours : int
        Hours of the window time shifting balances within (24: a day).
    """

    share: float = 0.0
    shift: str = "both"
    headroom_share: float | None = None
    transfer_mw: float = math.inf
    day_hours: int = 24

    def __post_init__(self) -> None:
        if not (math.isfinite(self.share) and 0.0 <= self.share <= 1.0):
            raise DataError(f"flexible_share: {self.share!r} must lie in [0, 1]")
        if self.shift not in SHIFTS:
            raise DataError(f"shift: {self.shift!r} is not one of {', '.join(SHIFTS)}")
        h = self.headroom_share
        if h is not None and not (math.isfinite(h) and h >= 0.0):
            raise DataError(f"headroom_share: {h!r} must be a finite number >= 0")
        if not (self.transfer_mw >= 0.0):
            problem = "is not a number" if math.isnan(self.transfer_mw) else "is below 0"
            raise DataError(
                f"transfer_mw: {self.transfer_mw!r} {problem}; the most flexible load moved "
                "between two sites in an hour must be >= 0 MW (inf: no limit)"
            )
        if not (isinstance(self.day_hours, int) and self.day_hours >= 1):
            raise DataError(f"day_hours: {self.day_hours!r} must be a whole number of hours >= 1")

    @property
    def headroom(self) -> float:
        return self.share if self.headroom_share is None else float(self.headroom_share)

    @property
    def in_time(self) -> bool:
        return self.share > 0 and self.shift in ("time", "both")

    @property
    def in_space(self) -> bool:
        return self.share > 0 and self.shift in ("space", "both")


@dataclass
class FleetModel:
    """The built fleet LP and where each site's columns sit in it."""

    model: LinearModel
    names: list[str]
    lps: list[ProcurementLP]
    site_layouts: list[Any]
    col_offsets: list[int]
    flexibility: Flexibility
    cfe: str
    cfe_target: float
    build_seconds: float


@dataclass
class FleetResult:
    """Several sites procured together.

    Attributes
    ----------
    sites : dict of str to ProcurementResult
        Each site's result on what it consumed after shifting (its ``dispatch.load_mw``).
    objective_usd : float
        Annual cost of the fleet [USD/yr] (the sites' costs; a soft target's shortfall penalty
        is a modelling device and not included).
    cost_usd_per_mwh : float
        ``objective_usd`` over the fleet's load [USD/MWh].
    cfe_score : float
        Carbon-free share of the fleet's consumption, hour by hour [0..1].
    flexible_mw : dict of str to numpy.ndarray
        Flexible consumption of each site by hour [MW].
    moved_in_space_mwh : float
        Flexible energy served at another site than where it arrived [MWh].
    cfe_target_met, cfe_shortfall_mwh : bool, float
        Whether the market options reach the target(s), and the non-CFE MWh above the budget
        when they do not: the pooled row's with ``cfe="fleet"`` (the sites' own records then
        say nothing of it), else the sum of the sites'.
    """

    sites: dict[str, ProcurementResult]
    objective_usd: float
    cost_usd_per_mwh: float
    cfe_score: float
    cfe_target: float
    cfe: str
    flexibility: Flexibility
    flexible_mw: dict[str, np.ndarray] = field(default_factory=dict)
    moved_in_space_mwh: float = 0.0
    lp_objective_usd: float = 0.0
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    method: str = "highs"
    iterations: int = 0
    optimality_gap: float = 0.0
    cfe_shortfall_mwh: float = 0.0
    cfe_target_met: bool = True

    def fleet_record(self) -> dict[str, Any]:
        """The fleet's JSON: objective, cost per MWh, CFE score and what moved."""
        return {
            "objective_usd": self.objective_usd,
            "cost_usd_per_mwh": self.cost_usd_per_mwh,
            "cfe_score": self.cfe_score,
            "cfe_target": self.cfe_target,
            "cfe_scope": self.cfe,
            "flexible_share": self.flexibility.share,
            "shift": self.flexibility.shift,
            "transfer_mw": self.flexibility.transfer_mw,
            "moved_in_space_mwh": self.moved_in_space_mwh,
            "cfe_target_met": self.cfe_target_met,
            "cfe_shortfall_mwh": self.cfe_shortfall_mwh,
            "solve_seconds": self.solve_seconds,
            "optimality_gap": self.optimality_gap,
            "method": self.method,
        }


def _pairs(n: int) -> list[tuple[int, int]]:
    return [(i, j) for i in range(n) for j in range(i + 1, n)]


def _check_sites(sites: Sequence[tuple[str, ProcurementLP]], flex: Flexibility) -> int:
    if not sites:
        raise DataError("fleet: give at least one site")
    names = [n for n, _ in sites]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise DataError(f"fleet: site name(s) {dup} given twice")
    hours = {lp.hours for _, lp in sites}
    if len(hours) != 1:
        raise DataError(f"fleet: the sites' LPs have different numbers of hours {sorted(hours)}")
    T = hours.pop()
    for name, lp in sites:
        if not lp.options.is_reference or lp.options.matching != "hourly":
            raise DataError(f"fleet: site {name!r} uses LP options (exports, flexible hours, "
                            "backup or annual matching) the fleet model does not take")
    if flex.in_time and T % flex.day_hours:
        raise DataError(f"fleet: {T} hours are not whole days of {flex.day_hours} h for time shifting")
    return T


def transfer_caps_mw(lps: Sequence[ProcurementLP], flex: Flexibility) -> np.ndarray:
    """Bound on each pair's hourly move [MW]: ``transfer_mw``, or when unlimited the fleet's
    flexible work of the window (no optimum moves more; it keeps the LP bounded)."""
    if math.isfinite(flex.transfer_mw):
        return np.full(lps[0].hours, float(flex.transfer_mw))
    window = flex.day_hours if flex.in_time else 1
    work = flex.share * sum(lp.load_mw for lp in lps)
    T = lps[0].hours
    return np.repeat(np.add.reduceat(work, np.arange(0, T, window)), window)[:T]


def build_fleet(
    sites: Sequence[tuple[str, ProcurementLP]],
    flexibility: Flexibility | None = None,
    cfe: str = "site",
    cfe_target: float | None = None,
) -> FleetModel:
    """Lay the sites' LPs side by side and couple them by flexible load (no solve).

    Parameters
    ----------
    sites : sequence of (name, ProcurementLP)
        Each site's LP (same hours; reference options, hourly matching).
    flexibility : Flexibility, optional
        What may move; None moves nothing.
    cfe : {"site", "fleet"}
        One CFE constraint per site (each at its LP's target, on what it consumes), or one for
        the fleet's total load.
    cfe_target : float, optional
        The fleet's target with ``cfe="fleet"``; default the load-weighted mean of the sites'.

    Returns
    -------
    FleetModel
        Column blocks ``<site>/<block>`` (the site LP's own blocks), ``flex:<site>`` (T) and
        ``move:<i>~<j>`` (T) per pair with space shifting, ``backlog:<site>`` (T) with time
        shifting (work waiting at the end of the hour, 0 at the end of each day),
        ``fleet_cfe_shortfall`` (1) with a soft fleet target. Row blocks ``<site>/<block>``,
        ``work:<site>`` (T) and ``fleet_cfe`` (1) with ``cfe="fleet"``. Hourly blocks carry
        the label ``hour`` (the structured solver reads it).
    """
    started = time.perf_counter()
    flex = flexibility or Flexibility()
    if cfe not in CFE_SCOPES:
        raise DataError(f"cfe_scope: {cfe!r} is not one of {', '.join(CFE_SCOPES)}")
    T = _check_sites(sites, flex)
    f, h = flex.share, flex.headroom
    names = [n for n, _ in sites]
    lps = [lp for _, lp in sites]
    total = [lp.total_load_mwh for lp in lps]
    if cfe_target is None:
        cfe_target = float(np.average([lp.cfe_target for lp in lps], weights=total)) if sum(total) > 0 \
            else float(lps[0].cfe_target)
    if not (0.0 <= cfe_target <= 1.0):
        raise DataError(f"cfe_target: {cfe_target!r} must be between 0 and 1")
    t = np.arange(T)
    hour = {"hour": t}
    b = ModelBuilder()
    layouts, offsets, flex_cols, fleet_terms = [], [], [], []
    soft_prices: list[float] = []
    balance_rows, cfe_rows = [], []
    for name, lp in sites:
        m = to_sparse(lp)
        lay = m.layout
        layouts.append(lay)
        col0 = b.num_cols
        offsets.append(col0)
        for block, (s, e) in lay.columns.items():
            b.variables(f"{name}/{block}", e - s, lower=m.col_lo[s:e], upper=m.col_hi[s:e],
                        cost=m.c[s:e], labels=lay.column_labels.get(block))
        row0 = b.num_rows
        cfe_lo, cfe_hi = cfe_row_bounds(lp)
        for block, (s, e) in lay.rows.items():
            lo, hi = m.row_lo[s:e], m.row_hi[s:e]
            if block == "balance":
                lo = hi = (1.0 - f) * lp.load_mw
                balance_rows.append(row0 + s)
            elif block == "cfe":
                cfe_rows.append(row0 + s)
                if cfe == "site":
                    lo, hi = np.array([cfe_lo]), np.array([(1.0 - f) * cfe_hi])
                else:
                    lo, hi = np.array([-np.inf]), np.array([np.inf])
            b.constraints(f"{name}/{block}", e - s, lower=lo, upper=hi,
                          labels=lay.row_labels.get(block))
        coo = m.A.tocoo()
        b.coefficients(coo.row + row0, coo.col + col0, coo.data)
        if cfe == "fleet":
            row = sp.csr_matrix(m.A)[lay.row("cfe")].tocoo()
            keep = np.ones(row.nnz, dtype=bool)
            if lp.soft_target:
                keep = row.col != lay.columns["cfe_shortfall"][0]
                soft_prices.append(float(lp.cfe_shortfall_usd_per_mwh or 0.0))
                # the site's own shortfall has no row left to relieve: fix it at 0
                b.set_bounds(f"{name}/cfe_shortfall", upper=0.0)
            fleet_terms.append((row.col[keep] + col0, row.data[keep]))
    for i, (name, lp) in enumerate(sites):
        moves = flex.share > 0 and flex.shift != "none"
        upper = (f + h) * lp.load_mw if moves else f * lp.load_mw
        lower = 0.0 if moves else f * lp.load_mw
        y = b.variables(f"flex:{name}", T, lower=lower, upper=upper, labels=hour).start
        flex_cols.append(y)
        b.coefficients(balance_rows[i] + t, y + t, -1.0)
        if cfe == "site" and lp.cfe_target < 1.0:
            b.coefficients(cfe_rows[i], y + t, -(1.0 - lp.cfe_target))
    pair_cols: dict[tuple[int, int], int] = {}
    window = flex.day_hours if flex.in_time else 1
    if flex.in_space and len(sites) > 1:
        cap = transfer_caps_mw(lps, flex)
        for i, j in _pairs(len(sites)):
            pair_cols[(i, j)] = b.variables(f"move:{names[i]}~{names[j]}", T, lower=-cap,
                                            upper=cap, labels=hour).start
    day_end = (t % window) == window - 1
    fleet_day = np.repeat(np.add.reduceat(f * sum(lp.load_mw for lp in lps), np.arange(0, T, window)),
                          window)
    for i, (name, lp) in enumerate(sites):
        # work served + moved out + backlog growth = work arriving, hour by hour; the backlog
        # (work waiting, or done ahead when negative) is empty at the end of every window
        r = b.constraints(f"work:{name}", T, lower=f * lp.load_mw, upper=f * lp.load_mw,
                          labels=hour).start
        b.coefficients(r + t, flex_cols[i] + t, 1.0)
        for (a, c), z in pair_cols.items():
            if i in (a, c):
                b.coefficients(r + t, z + t, 1.0 if i == a else -1.0)
        if flex.in_time:
            own_day = np.repeat(np.add.reduceat((f + h) * lp.load_mw, np.arange(0, T, window)),
                                window)
            backlog = b.variables(f"backlog:{name}", T, lower=np.where(day_end, 0.0, -own_day),
                                  upper=np.where(day_end, 0.0, fleet_day), labels=hour).start
            b.coefficients(r + t, backlog + t, 1.0)
            later = t[(t % window) != 0]
            b.coefficients(r + later, backlog + later - 1, -1.0)
    if cfe == "fleet":
        if soft_prices:
            b.variables("fleet_cfe_shortfall", 1, cost=max(soft_prices))
        r = b.constraints("fleet_cfe", 1, upper=(1.0 - cfe_target) * float(sum(total))).start
        for cols, vals in fleet_terms:
            b.coefficients(r, cols, vals)
        if soft_prices:
            b.coefficients(r, b.column_block("fleet_cfe_shortfall").start, -1.0)
    model = b.build("csc")
    return FleetModel(model=model, names=names, lps=lps, site_layouts=layouts,
                      col_offsets=offsets, flexibility=flex, cfe=cfe, cfe_target=cfe_target,
                      build_seconds=time.perf_counter() - started)


def solve_fleet(
    sites: Sequence[tuple[str, ProcurementLP]],
    flexibility: Flexibility | None = None,
    cfe: str = "site",
    cfe_target: float | None = None,
    method: str = "highs",
    **solver_kwargs: Any,
) -> FleetResult:
    """Build and solve the fleet LP (see :func:`build_fleet` for the arguments).

    ``method="highs"`` solves the monolithic LP with HiGHS (``solver_kwargs`` go to
    :meth:`gridfirst.solver.LinearModel.solve`); ``"structured"`` (alias ``"fast"``) uses the
    banded interior-point method of :mod:`gridfirst.procurement.fleet_fast`.
    """
    if method not in ("highs", "structured", "fast"):
        raise DataError(f"method: {method!r} is not one of highs, structured (fast)")
    fm = build_fleet(sites, flexibility, cfe, cfe_target)
    if method != "highs":
        from gridfirst.procurement.fleet_fast import solve_fleet_structured

        return solve_fleet_structured(fm)
    sol = fm.model.solve(**solver_kwargs)
    return read_fleet(fm, sol.x, lp_objective=float(sol.objective),
                      solve_seconds=float(sol.solve_seconds), gap=float(sol.gap),
                      cfe_duals=_cfe_duals(fm, sol), method="highs")


def _cfe_duals(fm: FleetModel, sol: Any) -> list[float]:
    if fm.cfe == "fleet":
        return [float(sol.dual("fleet_cfe")[0])] * len(fm.names)
    return [float(sol.dual(f"{n}/cfe")[0]) for n in fm.names]


def read_fleet(
    fm: FleetModel,
    x: np.ndarray,
    *,
    lp_objective: float,
    solve_seconds: float,
    gap: float = 0.0,
    cfe_duals: Sequence[float] | None = None,
    method: str = "highs",
) -> FleetResult:
    """The fleet's results from a primal vector in the fleet model's column order."""
    layout = fm.model.layout
    f = fm.flexibility.share
    results: dict[str, ProcurementResult] = {}
    flexible: dict[str, np.ndarray] = {}
    duals = list(cfe_duals) if cfe_duals is not None else [0.0] * len(fm.names)
    for k, (name, lp, lay, off) in enumerate(zip(fm.names, fm.lps, fm.site_layouts,
                                                 fm.col_offsets, strict=True)):
        y = np.maximum(x[layout.col(f"flex:{name}")], 0.0)
        flexible[name] = y
        consumed = replace(lp, load_mw=(1.0 - f) * lp.load_mw + y)
        results[name] = result_from_primal(
            consumed, x[off:off + lay.num_cols], lay, cfe_dual=duals[k], optimality_gap=gap,
            solve_seconds=solve_seconds, method=f"fleet-{method}",
        )
    objective = float(sum(r.objective_usd for r in results.values()))
    load = float(sum(lp.total_load_mwh for lp in fm.lps))
    consumed_mwh = {n: float(r.dispatch["load_mw"].sum()) for n, r in results.items()}
    served = sum(consumed_mwh.values())
    score = sum(results[n].cfe_score * consumed_mwh[n] for n in fm.names) / served if served else 1.0
    # net work received by each site each hour (cycles of moves cancel out)
    inflow = {n: np.zeros(fm.lps[0].hours) for n in fm.names}
    for block in layout.columns:
        if block.startswith("move:"):
            a, c = block[5:].split("~")
            inflow[a] -= x[layout.col(block)]
            inflow[c] += x[layout.col(block)]
    moved = float(sum(np.maximum(v, 0.0).sum() for v in inflow.values()))
    # non-CFE MWh above the targets' budget: the pooled row's slack, else the sites' own
    if "fleet_cfe_shortfall" in layout.columns:
        shortfall = float(max(0.0, x[layout.col("fleet_cfe_shortfall")][0]))
        met = shortfall <= 1e-6 * max(1.0, load)
    else:
        shortfall = float(sum(r.cfe_shortfall_mwh for r in results.values()))
        met = all(r.cfe_target_met for r in results.values())
    return FleetResult(
        sites=results, objective_usd=objective,
        cost_usd_per_mwh=objective / load if load > 0 else 0.0, cfe_score=float(score),
        cfe_target=fm.cfe_target, cfe=fm.cfe, flexibility=fm.flexibility, flexible_mw=flexible,
        moved_in_space_mwh=moved, lp_objective_usd=lp_objective,
        build_seconds=fm.build_seconds, solve_seconds=solve_seconds, method=method,
        optimality_gap=gap, cfe_shortfall_mwh=shortfall, cfe_target_met=met,
    )


def market_lp(
    market: Any,
    cfe_target: float,
    costs: Any = None,
    seed: int = 0,
    load_mw: float = 100.0,
    supply: str = "market",
    year: int | None = None,
    hours: int | None = None,
) -> ProcurementLP:
    """The LP :func:`~gridfirst.procurement.solve.procure_market` solves for one market or site.

    ``hours`` keeps only the first hours of the year (a short horizon for checks).
    """
    from gridfirst.procurement.costs import default_costs
    from gridfirst.procurement.model import build_lp
    from gridfirst.procurement.solve import CFE_SHORTFALL_USD_PER_MWH, SUPPLY_MODES
    from gridfirst.procurement.stack import market_stack
    from gridfirst.resources import market_profiles

    if supply not in SUPPLY_MODES:
        raise DataError(f"supply: {supply!r} is not one of {list(SUPPLY_MODES)}")
    costs = costs if costs is not None else default_costs()
    profiles = market_profiles(market, seed=seed, load_mw=load_mw)
    if hours is not None:
        profiles = profiles.iloc[:hours]
    if supply == "reference":
        return build_lp(profiles, costs, cfe_target)
    stack = market_stack(market, profiles, costs, year=year)
    return build_lp(profiles, costs, cfe_target, supply=stack.supply,
                    cfe_shortfall_usd_per_mwh=CFE_SHORTFALL_USD_PER_MWH)


def flexibility_sweep(
    sites: Sequence[tuple[str, ProcurementLP]],
    shares: Sequence[float],
    shifts: Sequence[str] = ("time", "space", "both"),
    cfe: str = "site",
    transfer_mw: float = math.inf,
    method: str = "structured",
) -> Any:
    """Cost of 24/7 CFE against the flexible share, temporal against spatial shifting.

    Returns
    -------
    pandas.DataFrame
        One row per (shift, share): ``cost_usd_per_mwh``, ``objective_usd``, ``cfe_score``,
        ``saving_share`` (against no flexible load) and ``moved_in_space_mwh``.
    """
    import pandas as pd

    rigid = solve_fleet(sites, Flexibility(0.0), cfe=cfe, method=method)
    rows = [{"shift": "none", "share": 0.0, "cost_usd_per_mwh": rigid.cost_usd_per_mwh,
             "objective_usd": rigid.objective_usd, "cfe_score": rigid.cfe_score,
             "saving_share": 0.0, "moved_in_space_mwh": 0.0}]
    for shift in shifts:
        for share in shares:
            r = solve_fleet(sites, Flexibility(share, shift=shift, transfer_mw=transfer_mw),
                            cfe=cfe, method=method)
            rows.append({"shift": shift, "share": share, "cost_usd_per_mwh": r.cost_usd_per_mwh,
                         "objective_usd": r.objective_usd, "cfe_score": r.cfe_score,
                         "saving_share": 1.0 - r.objective_usd / rigid.objective_usd,
                         "moved_in_space_mwh": r.moved_in_space_mwh})
    return pd.DataFrame(rows)
