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
    supply : list of dict
        One entry per supply option: ``option``, ``kind``, ``contract``, ``mw`` (capacity; for
        a storage its power), ``mwh`` (energy delivered over the horizon; a storage's energy
        capacity is ``storage_mwh``) and ``cost_usd`` (its capacity and energy cost).
        ``solar_mw``, ``wind_mw`` and ``firm_mw`` are the sums over the solar, wind and other
        generators; ``battery_mw`` and ``battery_mwh`` over the storages.
    cfe_target_met, cfe_shortfall_mwh : bool, float
        With a soft target (market supply stacks): whether the options reach the target, and
        the non-CFE MWh above its budget when they do not (``cfe_score`` is then the most the
        options allow). The shortfall's penalty is not part of ``objective_usd``.
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
    supply: list[dict[str, Any]] = field(default_factory=list)
    stack: Any = None
    cfe_shortfall_mwh: float = 0.0
    cfe_target_met: bool = True

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
            "cfe_target_met": self.cfe_target_met,
            "cfe_shortfall_mwh": self.cfe_shortfall_mwh,
            "cost_split_usd": dict(self.cost_split_usd),
            "supply": [dict(row) for row in self.supply],
        }
        if self.stack is not None:
            out["supply_stack"] = self.stack.to_dict()
        if self.options:
            out["options"] = dict(self.options)
            out["flex_freed_grid_mw"] = self.flex_freed_grid_mw
            out["curtailed_load_mwh"] = self.curtailed_load_mwh
        if dispatch:
            frame = self.dispatch.reset_index()
            frame.columns = ["time", *frame.columns[1:]]
            out["dispatch"] = frame.astype({"time": str}).to_dict(orient="records")
        return out


def _grid_onto_contracts(lp: ProcurementLP, x: np.ndarray, layout: Layout) -> np.ndarray:
    """Move grid draw onto grid-settled carbon-free contracts where they have energy to spare.

    Such a contract's energy costs the hour's grid price, so the LP is indifferent between it and
    grid energy when the CFE row has slack; the shift leaves the objective unchanged and credits
    every contracted hour that the load can use (its hourly matched energy).
    """
    settled = [g for g in lp.generators if g.grid_settled and g.cfe_share >= 1.0
               and f"gen:{g.name}" in layout.columns and np.isfinite(g.max_mw)]
    if not settled or "grid" not in layout.columns:
        return x
    x = x.copy()
    grid = layout.col("grid")
    for g in settled:
        gen = layout.col(f"gen:{g.name}")
        cap = layout.columns[f"cap:{g.name}"][0]
        x[cap] = g.max_mw  # it costs nothing per MW: the signed MW is all there
        add = np.minimum(x[grid], np.maximum(g.profile * g.max_mw - x[gen], 0.0))
        x[gen] += add
        x[grid] -= add
    return x


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
    x = _grid_onto_contracts(lp, x, layout)

    def block(name: str) -> np.ndarray:
        if name not in layout.columns:
            return np.zeros(T)
        return x[layout.col(name)]

    def one(name: str) -> float:
        return float(x[layout.columns[name][0]]) if name in layout.columns else 0.0

    zeros = np.zeros(T)
    group_mw = {"solar": 0.0, "wind": 0.0, "firm": 0.0}
    group_out = {"solar": zeros.copy(), "wind": zeros.copy(), "firm": zeros.copy()}
    group_curtailed = {"solar": zeros.copy(), "wind": zeros.copy(), "firm": zeros.copy()}
    split: dict[str, float] = {}
    supply: list[dict[str, Any]] = []
    per_option: dict[str, np.ndarray] = {}
    non_cfe_gen = zeros.copy()
    gen_emissions = zeros.copy()
    for g in lp.generators:
        k, out = one(f"cap:{g.name}"), block(f"gen:{g.name}")
        if g.grid_settled:
            k = float(g.max_mw) if np.isfinite(g.max_mw) else k  # a signed contract's MW
        elif g.usd_per_mw_year == 0.0 and g.profile.max(initial=0.0) > 0:
            # a capacity that costs nothing (an import paid per MWh) is only as large as used
            k = min(k, float(out.max(initial=0.0)) / float(g.profile.max()))
        group_mw[g.group] += k
        group_out[g.group] = group_out[g.group] + out
        group_curtailed[g.group] += np.maximum(k * g.profile - out, 0.0)
        per_option[f"{g.name}_mw"] = out
        cap_cost = k * g.usd_per_mw_year
        energy_cost = float(out @ lp.energy_price_usd_per_mwh(g))
        split[f"{g.name}_capacity"] = cap_cost
        if g.marginal_usd_per_mwh or g.grid_settled:
            split[f"{g.name}_energy"] = energy_cost
        non_cfe_gen += (1.0 - g.cfe_share) * out
        gen_emissions += g.intensity_tco2_per_mwh * out
        supply.append({"option": g.name, "kind": g.kind, "contract": g.contract, "mw": k,
                       "mwh": float(out.sum()), "cost_usd": cap_cost + energy_cost})
    charge, discharge, soc = zeros.copy(), zeros.copy(), zeros.copy()
    storage_mw = storage_mwh = 0.0
    for st in lp.storages:
        p = one(f"power:{st.name}")
        e = one(f"energy:{st.name}") if st.duration_h is None else p * st.duration_h
        storage_mw += p
        storage_mwh += e
        charge = charge + block(f"charge:{st.name}")
        discharge = discharge + block(f"discharge:{st.name}")
        soc = soc + block(f"soc:{st.name}")
        cost_p = p * st.power_cost_usd_per_mw_year
        split[f"{st.name}_power"] = cost_p
        cost_e = 0.0
        if st.duration_h is None:
            cost_e = e * st.energy_usd_per_mwh_year
            split[f"{st.name}_energy"] = cost_e
        supply.append({"option": st.name, "kind": st.kind, "contract": st.contract, "mw": p,
                       "storage_mwh": e, "mwh": float(block(f"discharge:{st.name}").sum()),
                       "cost_usd": cost_p + cost_e})
    caps = {"solar_mw": group_mw["solar"], "wind_mw": group_mw["wind"],
            "battery_mw": storage_mw, "battery_mwh": storage_mwh, "firm_mw": group_mw["firm"]}
    backup_mw = one("backup_mw")
    grid = block("grid")
    export, curtail, backup = block("export"), block("curtail"), block("backup")

    index = lp.index if lp.index is not None else pd.RangeIndex(T, name="hour")
    grid_clean = grid * lp.grid_cfe_share
    costs = lp.costs
    backup_intensity = costs.backup_intensity_tco2_per_mwh if costs is not None else 0.0
    emissions = grid * lp.grid_intensity_tco2_per_mwh + backup * backup_intensity + gen_emissions
    columns = {
        "load_mw": lp.load_mw,
        "solar_mw": group_out["solar"],
        "wind_mw": group_out["wind"],
        "firm_mw": group_out["firm"],
        "grid_mw": grid,
        "grid_cfe_mw": grid_clean,
        "discharge_mw": discharge,
        "charge_mw": charge,
        "soc_mwh": soc,
        "solar_curtailed_mw": group_curtailed["solar"],
        "wind_curtailed_mw": group_curtailed["wind"],
        "export_mw": export,
        "curtailed_load_mw": curtail,
        "backup_mw": backup,
        "emissions_tco2": emissions,
    }
    if {g.name for g in lp.generators} != {"solar", "wind", "firm"}:
        columns.update({f"option:{k}": v for k, v in per_option.items()})
    dispatch = pd.DataFrame(columns, index=index)

    opts = lp.options
    split["grid_energy"] = float(grid @ lp.price_usd_per_mwh)
    if opts.exports:
        split["export_revenue"] = -float(export.sum()) * (opts.sale_price_usd_per_mwh or 0.0)
    if opts.flex_hours > 0:
        split["curtailed_load"] = float(curtail.sum()) * opts.flex_value_usd_per_mwh
    if opts.backup and costs is not None:
        split["backup_capacity"] = backup_mw * costs.backup_usd_per_mw_year
        split["backup_energy"] = float(backup.sum()) * costs.backup_marginal_usd_per_mwh
    objective = float(sum(split.values()))
    shortfall = one("cfe_shortfall")

    served = float((lp.load_mw - curtail).sum())
    non_cfe = float((grid - grid_clean).sum() + backup.sum() + non_cfe_gen.sum())
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
        supply=supply,
        cfe_shortfall_mwh=shortfall,
        cfe_target_met=shortfall <= 1e-6 * max(1.0, lp.total_load_mwh),
    )
