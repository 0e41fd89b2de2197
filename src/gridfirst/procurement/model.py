"""The 24/7 carbon-free procurement LP of one site: its data and its named model blocks.

:func:`build_lp` turns hourly profiles and costs into a :class:`ProcurementLP` (plain numpy
arrays, no solver), the one data class both solving methods take. :func:`to_sparse` lays it out
through :class:`gridfirst.solver.ModelBuilder` as named blocks of columns and rows for HiGHS
(``method="highs"``). The fast method (:mod:`gridfirst.procurement.fast`) reads the same
:class:`ProcurementLP` and keeps its own internal standard form with a banded row order
(:mod:`gridfirst.procurement.fast_build`), which only its interior-point method uses.
Solving lives in :mod:`gridfirst.procurement.solve`.

Reference formulation (issue 5; /work/notes/procurement_contract.md has the exact layout)::

    capacities >= 0: S (solar MW), W (wind MW), P (battery MW), E (battery MWh), F (firm MW)
    hourly >= 0:     s, w, f, g, c, d, e   (solar, wind, firm, grid, charge, discharge, SoC)

    min  cS S + cW W + cP P + cE E + cF F + sum_t price_t g_t + mF sum_t f_t
    s.t. s_t + w_t + f_t + g_t + d_t - c_t = load_t                 (balance)
         s_t <= solar_cf_t S,  w_t <= wind_cf_t W                   (curtailment allowed)
         f_t <= F,  c_t <= P,  d_t <= P,  e_t <= E,  g_t <= grid_limit
         e_t = e_{t-1} + eta_c c_t - d_t / eta_d      (cyclic: e_{-1} = e_{T-1})
         sum_t (1 - grid_cfe_share_t) g_t <= (1 - target) sum_t load_t   (24/7 CFE)

Options (off by default) append columns and rows after the reference ones, so the reference
layout is a prefix of every extended layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from gridfirst.errors import DataError
from gridfirst.procurement.costs import ProcurementCosts, default_costs
from gridfirst.solver import Layout, LinearModel, ModelBuilder

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CAPACITY_NAMES", "HOURLY_BLOCKS", "ROW_BLOCKS", "Layout", "ProcurementLP",
    "ProcurementOptions", "build_lp", "cfe_row_bounds", "column_layout", "to_sparse",
]

CAPACITY_NAMES = ("solar_mw", "wind_mw", "battery_mw", "battery_mwh", "firm_mw")
HOURLY_BLOCKS = ("solar", "wind", "firm", "grid", "charge", "discharge", "soc")
ROW_BLOCKS = ("balance", "solar_avail", "wind_avail", "firm_cap", "charge_cap",
              "discharge_cap", "soc_cap", "storage", "cfe")


@dataclass(frozen=True)
class ProcurementOptions:
    """Extensions of the reference LP; the defaults give exactly the reference LP.

    Parameters
    ----------
    matching : {"hourly", "annual"}
        ``hourly`` (24/7 CFE, the reference) or ``annual`` volumetric matching: clean generation
        over the year (exported surplus included) plus the grid's clean share must reach the
        target share of annual load; surplus may then be exported at the sale price (0 if off).
    sale_price_usd_per_mwh : float or None
        Price received for surplus sold to the grid [USD/MWh]; None disables sales.
    sale_cap_mw : float or None
        Most MW exported in any hour; None means the grid limit.
    flex_hours : float
        Flexible load: up to ``flex_hours`` x peak load MWh a year may be curtailed (the LP
        relaxation of "curtail up to N full hours"). 0 disables it.
    flex_value_usd_per_mwh : float
        Value of load not served, paid per curtailed MWh [USD/MWh].
    backup : bool
        Allow on-site backup generation (fossil; counts as non-CFE supply) at the cost's
        ``backup_*`` figures.
    """

    matching: str = "hourly"
    sale_price_usd_per_mwh: float | None = None
    sale_cap_mw: float | None = None
    flex_hours: float = 0.0
    flex_value_usd_per_mwh: float = 1000.0
    backup: bool = False

    def __post_init__(self) -> None:
        if self.matching not in ("hourly", "annual"):
            raise DataError(f"matching: {self.matching!r} is not 'hourly' or 'annual'")
        if self.sale_cap_mw is not None and self.sale_cap_mw < 0:
            raise DataError(f"sale_cap_mw: {self.sale_cap_mw} must be >= 0")
        if self.flex_hours < 0:
            raise DataError(f"flex_hours: {self.flex_hours} must be >= 0")
        if self.flex_value_usd_per_mwh < 0:
            raise DataError(f"flex_value_usd_per_mwh: {self.flex_value_usd_per_mwh} must be >= 0")

    @property
    def is_reference(self) -> bool:
        """True when no option is on, i.e. the LP is exactly the issue's reference LP."""
        return self == ProcurementOptions()

    @property
    def exports(self) -> bool:
        return self.sale_price_usd_per_mwh is not None or self.matching == "annual"


@dataclass(frozen=True)
class ProcurementLP:
    """The data of one site's procurement LP as plain numpy arrays (length T = hours).

    Costs are annualised and are NOT scaled by T / 8760: a 168-hour instance keeps the annual
    capital costs (the issue's reduced PyPSA check).
    """

    load_mw: np.ndarray
    solar_cf: np.ndarray
    wind_cf: np.ndarray
    price_usd_per_mwh: np.ndarray
    grid_cfe_share: np.ndarray
    grid_intensity_tco2_per_mwh: np.ndarray
    solar_usd_per_mw_year: float
    wind_usd_per_mw_year: float
    battery_power_usd_per_mw_year: float
    battery_energy_usd_per_mwh_year: float
    firm_usd_per_mw_year: float
    firm_marginal_usd_per_mwh: float
    eta_charge: float
    eta_discharge: float
    grid_limit_mw: float
    cfe_target: float
    options: ProcurementOptions = field(default_factory=ProcurementOptions)
    costs: ProcurementCosts | None = None
    index: pd.DatetimeIndex | None = None

    @property
    def hours(self) -> int:
        return int(self.load_mw.shape[0])

    @property
    def grid_price_usd_per_mwh(self) -> np.ndarray:
        """Alias of ``price_usd_per_mwh`` under the profile column's name."""
        return self.price_usd_per_mwh

    @property
    def total_load_mwh(self) -> float:
        return float(self.load_mw.sum())

    @property
    def cfe_budget_mwh(self) -> float:
        """Right-hand side of the CFE row: (1 - target) x annual load [MWh]."""
        return (1.0 - self.cfe_target) * self.total_load_mwh

    @property
    def capacity_costs(self) -> np.ndarray:
        """Annualised costs of (S, W, P, E, F) in column order [USD/MW-yr or USD/MWh-yr]."""
        return np.array(
            [
                self.solar_usd_per_mw_year,
                self.wind_usd_per_mw_year,
                self.battery_power_usd_per_mw_year,
                self.battery_energy_usd_per_mwh_year,
                self.firm_usd_per_mw_year,
            ]
        )

    def with_target(self, cfe_target: float) -> ProcurementLP:
        """The same LP with another CFE target (only the CFE row's bound changes)."""
        from dataclasses import replace

        _check_target(cfe_target)
        return replace(self, cfe_target=float(cfe_target))


def _check_target(cfe_target: float) -> None:
    if not np.isfinite(cfe_target) or not 0.0 <= cfe_target <= 1.0:
        raise DataError(f"cfe_target: {cfe_target!r} must be between 0 and 1")


def build_lp(
    profiles: pd.DataFrame,
    costs: ProcurementCosts | None = None,
    cfe_target: float = 0.9,
    options: ProcurementOptions | None = None,
) -> ProcurementLP:
    """Collect the LP's data from hourly profiles and costs (no matrices, no solver).

    Parameters
    ----------
    profiles : pandas.DataFrame
        Hourly rows with ``load_mw``, ``solar_cf``, ``wind_cf``, ``grid_price_usd_per_mwh``,
        ``grid_intensity_tco2_per_mwh`` and optional ``grid_cfe_share`` (default 0). Any number
        of hours >= 1 (8760 for a year).
    costs : ProcurementCosts, optional
        Annualised costs; the sourced defaults when None.
    cfe_target : float
        Hourly (or annual, with ``matching="annual"``) carbon-free share of load [0..1].
    options : ProcurementOptions, optional
        Extensions; None gives the reference LP.

    Raises
    ------
    DataError
        A column is missing, NaN, negative or a capacity factor is above 1; the target is out
        of [0, 1].
    """
    from gridfirst.resources import validate_profiles

    _check_target(cfe_target)
    frame = validate_profiles(profiles, source="profiles", expected_hours=None)
    costs = costs if costs is not None else default_costs()

    def col(name: str) -> np.ndarray:
        return np.ascontiguousarray(frame[name].to_numpy(dtype=np.float64))

    index = frame.index if _is_datetime_index(frame.index) else None
    return ProcurementLP(
        load_mw=col("load_mw"),
        solar_cf=col("solar_cf"),
        wind_cf=col("wind_cf"),
        price_usd_per_mwh=col("grid_price_usd_per_mwh"),
        grid_cfe_share=col("grid_cfe_share"),
        grid_intensity_tco2_per_mwh=col("grid_intensity_tco2_per_mwh"),
        solar_usd_per_mw_year=costs.solar_usd_per_mw_year,
        wind_usd_per_mw_year=costs.wind_usd_per_mw_year,
        battery_power_usd_per_mw_year=costs.battery_power_usd_per_mw_year,
        battery_energy_usd_per_mwh_year=costs.battery_energy_usd_per_mwh_year,
        firm_usd_per_mw_year=costs.firm_usd_per_mw_year,
        firm_marginal_usd_per_mwh=costs.firm_marginal_usd_per_mwh,
        eta_charge=costs.battery_charge_efficiency,
        eta_discharge=costs.battery_discharge_efficiency,
        grid_limit_mw=costs.grid_limit_mw,
        cfe_target=float(cfe_target),
        options=options or ProcurementOptions(),
        costs=costs,
        index=index,
    )


def _is_datetime_index(index: object) -> bool:
    import pandas as pd

    return isinstance(index, pd.DatetimeIndex)


def _columns(b: ModelBuilder, lp: ProcurementLP) -> dict[str, int]:
    """Add the LP's variable blocks with bounds and costs; returns each block's first column.

    Order: the 5 capacities (S, W, P, E, F), the hourly blocks solar, wind, firm, grid, charge,
    discharge, soc (T each); options append export, curtail, backup (T each) and backup_mw.
    """
    T = lp.hours
    opts = lp.options
    hour = {"hour": np.arange(T)}
    first = {name: b.variables(name, 1, cost=cost).start
             for name, cost in zip(CAPACITY_NAMES, lp.capacity_costs, strict=True)}
    hourly_cost = {"firm": lp.firm_marginal_usd_per_mwh, "grid": lp.price_usd_per_mwh}
    for name in HOURLY_BLOCKS:
        first[name] = b.variables(
            name, T, upper=lp.grid_limit_mw if name == "grid" else np.inf,
            cost=hourly_cost.get(name, 0.0), labels=hour).start
    if opts.exports:
        sale_cap = opts.sale_cap_mw if opts.sale_cap_mw is not None else lp.grid_limit_mw
        first["export"] = b.variables("export", T, upper=sale_cap,
                                      cost=-(opts.sale_price_usd_per_mwh or 0.0), labels=hour).start
    if opts.flex_hours > 0:
        first["curtail"] = b.variables("curtail", T, upper=lp.load_mw,
                                       cost=opts.flex_value_usd_per_mwh, labels=hour).start
    if opts.backup:
        costs = lp.costs or default_costs()
        first["backup"] = b.variables("backup", T, cost=costs.backup_marginal_usd_per_mwh,
                                      labels=hour).start
        first["backup_mw"] = b.variables("backup_mw", 1, cost=costs.backup_usd_per_mw_year).start
    return first


def column_layout(lp: ProcurementLP) -> Layout:
    """The column blocks of ``to_sparse(lp)`` without building its matrix (no rows)."""
    b = ModelBuilder()
    _columns(b, lp)
    return b.build("csc").layout


def cfe_row_bounds(lp: ProcurementLP) -> tuple[float, float]:
    """Bounds of the CFE row: hourly, non-CFE energy <= (1 - target) x load [MWh]; annual,
    clean energy >= target x load [MWh]."""
    if lp.options.matching == "hourly":
        return -np.inf, lp.cfe_budget_mwh
    return lp.cfe_target * lp.total_load_mwh, np.inf


def to_sparse(lp: ProcurementLP) -> LinearModel:
    """Lay the LP out as named blocks through :class:`~gridfirst.solver.ModelBuilder`
    (vectorised; about 0.05 s for 8760 hours).

    Columns as :func:`column_layout`. Row blocks: balance, solar_avail, wind_avail, firm_cap,
    charge_cap, discharge_cap, soc_cap, storage (T each, labelled by hour), cfe (1); options
    append backup_cap (T) and flex_budget (1).

    Returns
    -------
    gridfirst.solver.LinearModel
        ``c, A`` (CSC), ``row_lo, row_hi, col_lo, col_hi`` and ``layout``; solve it with
        ``.solve()`` and read e.g. ``solution.dual("cfe")``.
    """
    T = lp.hours
    opts = lp.options
    t = np.arange(T)
    hour = {"hour": t}
    b = ModelBuilder()
    col = _columns(b, lp)
    S, W, P, E, F = (col[name] for name in CAPACITY_NAMES)
    s, w, f, g, c, d, e = (col[name] for name in HOURLY_BLOCKS)

    r_bal = b.constraints("balance", T, lower=lp.load_mw, upper=lp.load_mw, labels=hour).start
    r_sol, r_wind, r_firm, r_chg, r_dis, r_soc = (
        b.constraints(name, T, upper=0.0, labels=hour).start for name in ROW_BLOCKS[1:7])
    r_sto = b.constraints("storage", T, lower=0.0, upper=0.0, labels=hour).start
    cfe_lo, cfe_hi = cfe_row_bounds(lp)
    r_cfe = b.constraints("cfe", 1, lower=cfe_lo, upper=cfe_hi).start
    if opts.backup:
        r_bcap = b.constraints("backup_cap", T, upper=0.0, labels=hour).start
    if opts.flex_hours > 0:
        r_flex = b.constraints("flex_budget", 1,
                               upper=opts.flex_hours * float(lp.load_mw.max())).start
    put = b.coefficients

    # balance: s + w + f + g + d - c (- x - ... + u + b) = load
    for block in (s, w, f, g, d):
        put(r_bal + t, block + t, 1.0)
    put(r_bal + t, c + t, -1.0)
    # availability: s - cf S <= 0 (zero factors left out of the matrix)
    put(r_sol + t, s + t, 1.0)
    nz = np.flatnonzero(lp.solar_cf)
    put(r_sol + nz, S, -lp.solar_cf[nz])
    put(r_wind + t, w + t, 1.0)
    nz = np.flatnonzero(lp.wind_cf)
    put(r_wind + nz, W, -lp.wind_cf[nz])
    # capacity rows: hourly - capacity <= 0
    for row0, block, cap in ((r_firm, f, F), (r_chg, c, P), (r_dis, d, P), (r_soc, e, E)):
        put(row0 + t, block + t, 1.0)
        put(row0 + t, cap, -1.0)
    # storage: e_t - e_{t-1} - eta_c c_t + d_t / eta_d = 0, cyclic
    put(r_sto + t, e + t, 1.0)
    put(r_sto + t, e + (t - 1) % T, -1.0)
    put(r_sto + t, c + t, -lp.eta_charge)
    put(r_sto + t, d + t, 1.0 / lp.eta_discharge)

    target = lp.cfe_target
    if opts.matching == "hourly":
        # sum (1 - share) g (+ b + (1 - target) u) <= (1 - target) L
        non_cfe = 1.0 - lp.grid_cfe_share
        nz = np.flatnonzero(non_cfe)
        put(r_cfe, g + nz, non_cfe[nz])
        if opts.backup:
            put(r_cfe, col["backup"] + t, 1.0)
        if opts.flex_hours > 0 and target < 1.0:
            put(r_cfe, col["curtail"] + t, 1.0 - target)
    else:
        # sum (s + w + f + share g) (+ target u) >= target L
        for block in (s, w, f):
            put(r_cfe, block + t, 1.0)
        nz = np.flatnonzero(lp.grid_cfe_share)
        put(r_cfe, g + nz, lp.grid_cfe_share[nz])
        if opts.flex_hours > 0 and target > 0.0:
            put(r_cfe, col["curtail"] + t, target)

    if opts.exports:
        put(r_bal + t, col["export"] + t, -1.0)
    if opts.flex_hours > 0:
        put(r_bal + t, col["curtail"] + t, 1.0)
        put(r_flex, col["curtail"] + t, 1.0)
    if opts.backup:
        put(r_bal + t, col["backup"] + t, 1.0)
        put(r_bcap + t, col["backup"] + t, 1.0)
        put(r_bcap + t, col["backup_mw"], -1.0)
    return b.build("csc")
