"""Sizing of the facility's power chain and cooling plant from IT MW, rack density, PUE and climate.

Holds the loads each stage carries and the unit counts and capital cost a topology implies; not
availability (see design) nor the grid-side ramp (see ramp).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gridfirst.electrical.data import components, parameters
from gridfirst.electrical.topology import (
    CHAIN_STAGES,
    StageCount,
    Topology,
    redundant_count,
    stage_count,
)
from gridfirst.errors import DataError

GENERATION = {"diesel": "diesel_genset", "gas": "gas_genset", "fuel_cell": "fuel_cell"}


@dataclass(frozen=True)
class Loads:
    """What each stage carries [MW; thermal MW for cooling].

    Attributes
    ----------
    it_mw, facility_mw : float
        IT load and IT x PUE.
    heat_mw, liquid_heat_mw, air_heat_mw : float
        Heat to reject and its split.
    chiller_mw, dry_cooler_mw, cdu_mw : float
        Thermal load on each cooling stage.
    racks : int
        Racks at the given density.
    """

    it_mw: float
    facility_mw: float
    heat_mw: float
    liquid_heat_mw: float
    air_heat_mw: float
    chiller_mw: float
    dry_cooler_mw: float
    cdu_mw: float
    racks: int


def check_inputs(it_mw: float, rack_kw: float, pue: float, ups_minutes: float) -> None:
    """Reject impossible design inputs with a message naming the option and value.

    Raises
    ------
    DataError
        Non-positive or non-finite IT MW, rack density or UPS minutes; PUE below 1.
    """
    for name, value in (("--it-mw", it_mw), ("--rack-kw", rack_kw), ("--ups-minutes", ups_minutes)):
        if not math.isfinite(value) or value <= 0:
            raise DataError(f"{name}: must be a finite number > 0, got {value!r}")
    if not math.isfinite(pue) or not 1.0 <= pue <= 3.0:
        raise DataError(f"--pue: must be between 1.0 and 3.0, got {pue!r}")


def loads(it_mw: float, rack_kw: float, pue: float, mean_temperature_c: float) -> Loads:
    """Loads of every stage for a facility.

    Parameters
    ----------
    it_mw : float
        Critical IT load [MW].
    rack_kw : float
        Rack density [kW/rack]; at or above the liquid threshold the racks are liquid cooled.
    pue : float
        Design power usage effectiveness.
    mean_temperature_c : float
        Annual mean air temperature of the site [C]: sets the chillers' share of the liquid heat.
    """
    check_inputs(it_mw, rack_kw, pue, 1.0)
    p = parameters()
    heat = it_mw * p["heat_per_it_mw"]
    liquid = heat * p["liquid_heat_share"] if rack_kw >= p["liquid_cooling_threshold_kw"] else 0.0
    air = heat - liquid
    trim = min(1.0, max(0.0, (mean_temperature_c - 10.0) / 20.0))
    return Loads(
        it_mw=it_mw, facility_mw=it_mw * pue, heat_mw=heat, liquid_heat_mw=liquid, air_heat_mw=air,
        chiller_mw=air + liquid * trim, dry_cooler_mw=liquid * (1.0 - trim), cdu_mw=liquid,
        racks=math.ceil(it_mw * 1000.0 / rack_kw - 1e-9),
    )


def equipment_counts(load: Loads, topology: Topology, generation: str = "diesel") -> dict[str, StageCount]:
    """Units of every stage (HV intake, chain, generation, cooling) under a topology.

    Raises
    ------
    DataError
        An unknown generation kind.
    """
    if generation not in GENERATION and generation != "none":
        raise DataError(f"--generation: unknown kind {generation!r}; known: "
                        f"{', '.join([*GENERATION, 'none'])}")
    comp = components()
    p = parameters()
    dr_blocks = int(p["distributed_redundant_blocks"])
    br_block_mw = p["block_redundant_block_mw"]
    br_active = int(p["block_redundant_active_blocks"])
    spare = topology is not Topology.N
    chain_load = {"mv_switchgear": load.facility_mw, "mv_lv_transformer": load.facility_mw,
                  "lv_switchgear": load.facility_mw, "ups": load.it_mw, "busway": load.it_mw}
    counts: dict[str, StageCount] = {
        "hv_transformer": redundant_count("hv_transformer", load.facility_mw,
                                          comp["hv_transformer"].unit_rating_mw, spare),
    }
    for name in CHAIN_STAGES:
        counts[name] = stage_count(topology, name, chain_load[name], comp[name].unit_rating_mw,
                                   dr_blocks, br_block_mw, load.it_mw, br_active)
    if generation != "none":
        gen = GENERATION[generation]
        counts[gen] = stage_count(topology, gen, load.facility_mw, comp[gen].unit_rating_mw,
                                  dr_blocks, br_block_mw, load.it_mw, br_active)
    for name, mw in (("chiller", load.chiller_mw), ("dry_cooler", load.dry_cooler_mw),
                     ("cdu", load.cdu_mw)):
        if mw > 0:
            counts[name] = redundant_count(name, mw, comp[name].unit_rating_mw, spare)
    return counts


def rack_view_it_mw(topology: Topology, it_mw: float) -> float:
    """IT MW of the part of the chain one rack depends on (a line-up, or a group of blocks)."""
    p = parameters()
    lineup = p["lineup_it_mw"]
    if topology is Topology.DR:
        scope = lineup * (p["distributed_redundant_blocks"] - 1)
    elif topology is Topology.BR:
        scope = p["block_redundant_block_mw"] * p["block_redundant_active_blocks"]
    else:
        scope = lineup
    return min(scope, it_mw)


def capex_usd(counts: dict[str, StageCount], ups_minutes: float) -> dict[str, float]:
    """Installed cost of each stage [USD 2024], with the UPS battery as its own line.

    The UPS battery holds ``ups_minutes`` at the installed UPS rating.
    """
    comp = components()
    p = parameters()
    out: dict[str, float] = {}
    for name, count in counts.items():
        c = comp[name]
        out[name] = count.installed * c.unit_rating_mw * 1000.0 * c.cost_usd_per_kw * p["installation_factor"]
    if "ups" in counts:
        ups_mw = counts["ups"].installed * comp["ups"].unit_rating_mw
        out["ups_battery"] = ups_mw * 1000.0 * ups_minutes / 60.0 * p["ups_battery_cost_usd_per_kwh"]
    return out
