"""The result of one procurement solve: capacities, hourly dispatch, costs, CFE score and shadow price.

:func:`result_from_primal` turns a primal vector in :func:`~gridfirst.procurement.model.to_sparse`
column order into a :class:`ProcurementResult`, whichever solver produced it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from gridfirst.procurement.model import Layout, ProcurementLP

#: Capacities smaller than this [MW or MWh] are solver noise; summaries report them as 0.
CAPACITY_NOISE = 1e-6


@dataclass
class ProcurementResult:
    """Cheapest way to serve one site's load to a CFE target.

    Attributes
    ----------
    objective_usd : float
        Annualised cost of the optimal plan [USD/yr] (the LP objective).
    solar_mw, wind_mw, battery_mw, battery_mwh, firm_mw, backup_mw : float
        Capacities built [MW, MWh].
    dispatch : pandas.DataFrame
        Hourly flows [MW] and state of charge [MWh].
    cost_split_usd : dict
        Objective by component [USD/yr]; sums to ``objective_usd``.
    cost_usd_per_mwh : float
        ``objective_usd`` per MWh of load [USD/MWh].
    cfe_score : float
        Achieved hourly carbon-free share of the load served [0..1].
    emissions_tco2 : float
        Grid imports x grid intensity + backup output x its intensity [tCO2/yr].
    cfe_shadow_price_usd_per_mwh : float
        Marginal cost of one more MWh of carbon-free supply (|dual| of the CFE row) [USD/MWh].
    cfe_marginal_usd_per_point : float
        Marginal cost of the target per percentage point [USD/yr per %].
    optimality_gap : float
        Certified relative gap between the objective and a dual bound.
    solve_seconds : float
        Solver wall time [s] (matrix building excluded).
    method : str
        Which solver produced this; a fallback says why.
    flex_freed_grid_mw : float
        With flexible load: peak grid draw the load would have had in the hours it was
        curtailed minus the actual peak grid draw [MW] (0 without the option).
    """

    objective_usd: float
    solar_mw: float
    wind_mw: float
    battery_mw: float
    battery_mwh: float
    firm_mw: float
    dispatch: pd.DataFrame
    cost_split_usd: dict[str, float]
    cost_usd_per_mwh: float
    cfe_score: float
    emissions_tco2: float
    cfe_shadow_price_usd_per_mwh: float
    optimality_gap: float
    solve_seconds: float
    method: str
    cfe_target: float = 0.0
    cfe_marginal_usd_per_point: float = 0.0
    backup_mw: float = 0.0
    flex_freed_grid_mw: float = 0.0
    curtailed_load_mwh: float = 0.0
    iterations: int = 0
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def capacities(self) -> dict[str, float]:
        return {
            "solar_mw": self.solar_mw,
            "wind_mw": self.wind_mw,
            "battery_mw": self.battery_mw,
            "battery_mwh": self.battery_mwh,
            "firm_mw": self.firm_mw,
        }

    def to_dict(self, dispatch: bool = False) -> dict[str, Any]:
        """Flat JSON-ready summary (the hourly dispatch only when ``dispatch`` is True).

        Capacities below :data:`CAPACITY_NOISE` in magnitude (solver noise such as a battery of
        5.7e-08 MW) are reported as 0; every other figure, ``objective_usd`` included, is exact.
        """
        capacities = {**self.capacities, "backup_mw": self.backup_mw}
        out: dict[str, Any] = {
            "cfe_target": self.cfe_target,
            "objective_usd": self.objective_usd,
            **{k: 0.0 if abs(v) < CAPACITY_NOISE else v for k, v in capacities.items()},
            "cost_usd_per_mwh": self.cost_usd_per_mwh,
            "cfe_score": self.cfe_score,
            "emissions_tco2": self.emissions_tco2,
            "cfe_shadow_price_usd_per_mwh": self.cfe_shadow_price_usd_per_mwh,
            "cfe_marginal_usd_per_point": self.cfe_marginal_usd_per_point,
            "optimality_gap": self.optimality_gap,
            "solve_seconds": self.solve_seconds,
            "method": self.method,
            "iterations": self.iterations,
            "cost_split_usd": dict(self.cost_split_usd),
        }
        if self.options:
            out["options"] = dict(self.options)
            out["flex_freed_grid_mw"] = self.flex_freed_grid_mw
            out["curtailed_load_mwh"] = self.curtailed_load_mwh
        if dispatch:
            frame = self.dispatch.reset_index()
            frame.columns = ["time", *frame.columns[1:]]
            out["dispatch"] = frame.astype({"time": str}).to_dict(orient="records")
        return out


def result_from_primal(
    lp: ProcurementLP,
    x: np.ndarray,
    layout: Layout,
    *,
    cfe_dual: float,
    optimality_gap: float,
    solve_seconds: float,
    method: str,
    iterations: int = 0,
) -> ProcurementResult:
    """Build a :class:`ProcurementResult` from a primal vector in ``to_sparse`` column order.

    Parameters
    ----------
    lp : ProcurementLP
        The LP that was solved.
    x : numpy.ndarray
        Primal values (length of the layout's columns).
    layout : Layout
        Column blocks of :func:`~gridfirst.procurement.model.to_sparse`.
    cfe_dual : float
        Row dual of the CFE row (any sign convention; its magnitude is reported).
    """
    from dataclasses import asdict

    import pandas as pd

    T = lp.hours
    x = np.maximum(np.asarray(x, dtype=np.float64), 0.0)  # clip solver noise below bounds

    def block(name: str) -> np.ndarray:
        if name not in layout.columns:
            return np.zeros(T)
        return x[layout.col(name)]

    caps = {name: float(x[layout.columns[name][0]]) for name in
            ("solar_mw", "wind_mw", "battery_mw", "battery_mwh", "firm_mw")}
    backup_mw = float(x[layout.columns["backup_mw"][0]]) if "backup_mw" in layout.columns else 0.0
    solar, wind, firm, grid = block("solar"), block("wind"), block("firm"), block("grid")
    charge, discharge, soc = block("charge"), block("discharge"), block("soc")
    export, curtail, backup = block("export"), block("curtail"), block("backup")

    index = lp.index if lp.index is not None else pd.RangeIndex(T, name="hour")
    grid_clean = grid * lp.grid_cfe_share
    costs = lp.costs
    backup_intensity = costs.backup_intensity_tco2_per_mwh if costs is not None else 0.0
    emissions = grid * lp.grid_intensity_tco2_per_mwh + backup * backup_intensity
    dispatch = pd.DataFrame(
        {
            "load_mw": lp.load_mw,
            "solar_mw": solar,
            "wind_mw": wind,
            "firm_mw": firm,
            "grid_mw": grid,
            "grid_cfe_mw": grid_clean,
            "discharge_mw": discharge,
            "charge_mw": charge,
            "soc_mwh": soc,
            "solar_curtailed_mw": np.maximum(caps["solar_mw"] * lp.solar_cf - solar, 0.0),
            "wind_curtailed_mw": np.maximum(caps["wind_mw"] * lp.wind_cf - wind, 0.0),
            "export_mw": export,
            "curtailed_load_mw": curtail,
            "backup_mw": backup,
            "emissions_tco2": emissions,
        },
        index=index,
    )

    opts = lp.options
    split = {
        "solar_capacity": caps["solar_mw"] * lp.solar_usd_per_mw_year,
        "wind_capacity": caps["wind_mw"] * lp.wind_usd_per_mw_year,
        "battery_power": caps["battery_mw"] * lp.battery_power_usd_per_mw_year,
        "battery_energy": caps["battery_mwh"] * lp.battery_energy_usd_per_mwh_year,
        "firm_capacity": caps["firm_mw"] * lp.firm_usd_per_mw_year,
        "firm_energy": float(firm.sum()) * lp.firm_marginal_usd_per_mwh,
        "grid_energy": float(grid @ lp.price_usd_per_mwh),
    }
    if opts.exports:
        split["export_revenue"] = -float(export.sum()) * (opts.sale_price_usd_per_mwh or 0.0)
    if opts.flex_hours > 0:
        split["curtailed_load"] = float(curtail.sum()) * opts.flex_value_usd_per_mwh
    if opts.backup and costs is not None:
        split["backup_capacity"] = backup_mw * costs.backup_usd_per_mw_year
        split["backup_energy"] = float(backup.sum()) * costs.backup_marginal_usd_per_mwh
    objective = float(sum(split.values()))

    served = float((lp.load_mw - curtail).sum())
    non_cfe = float((grid - grid_clean).sum() + backup.sum())
    cfe_score = 1.0 - non_cfe / served if served > 0 else 1.0
    freed = float((grid + curtail).max() - grid.max()) if opts.flex_hours > 0 else 0.0
    shadow = abs(float(cfe_dual))
    return ProcurementResult(
        objective_usd=objective,
        **caps,
        dispatch=dispatch,
        cost_split_usd=split,
        cost_usd_per_mwh=objective / lp.total_load_mwh if lp.total_load_mwh > 0 else 0.0,
        cfe_score=float(min(1.0, max(0.0, cfe_score))),
        emissions_tco2=float(emissions.sum()),
        cfe_shadow_price_usd_per_mwh=shadow,
        cfe_marginal_usd_per_point=shadow * lp.total_load_mwh / 100.0,
        optimality_gap=float(optimality_gap),
        solve_seconds=float(solve_seconds),
        method=method,
        cfe_target=lp.cfe_target,
        backup_mw=backup_mw,
        flex_freed_grid_mw=max(0.0, freed),
        curtailed_load_mwh=float(curtail.sum()),
        iterations=int(iterations),
        options={} if opts.is_reference else asdict(opts),
    )
