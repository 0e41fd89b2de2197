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
    br_block_mw = p["lineup_mw"]
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
                                   dr_blocks, br_block_mw, load.facility_mw, br_active)
    if generation != "none":
        gen = GENERATION[generation]
        counts[gen] = stage_count(topology, gen, load.facility_mw, comp[gen].unit_rating_mw,
                                  dr_blocks, br_block_mw, load.facility_mw, br_active)
    for name, mw in (("chiller", load.chiller_mw), ("dry_cooler", load.dry_cooler_mw),
                     ("cdu", load.cdu_mw)):
        if mw > 0:
            counts[name] = redundant_count(name, mw, comp[name].unit_rating_mw, spare)
    return counts


def group_it_mw(topology: Topology, it_mw: float, pue: float) -> float:
    """IT MW of one redundancy group: the part of the chain a rack depends on.

    A group is one line-up (N, 2N: one per side), ``n_plus_1_group_lineups`` line-ups sharing one
    spare unit per stage (N+1, 2(N+1)), the blocks of a distributed-redundant set, or the active
    blocks of a catcher.
    """
    p = parameters()
    lineups = {
        Topology.N: 1.0, Topology.TWO_N: 1.0,
        Topology.N1: p["n_plus_1_group_lineups"], Topology.TWO_N1: p["n_plus_1_group_lineups"],
        Topology.DR: p["distributed_redundant_blocks"] - 1,
        Topology.BR: p["block_redundant_active_blocks"],
    }[topology]
    return min(lineups * p["lineup_mw"] / pue, it_mw)


def _scaled(count: StageCount, times: int, load_mw: float) -> StageCount:
    return StageCount(count.component, load_mw, count.needed * times,
                      count.installed * times, count.groups * times, count.per_group,
                      count.needed_groups * times)


def design_counts(
    it_mw: float, rack_kw: float, pue: float, mean_temperature_c: float, topology: Topology,
    generation: str = "diesel",
) -> tuple[dict[str, StageCount], dict[str, StageCount]]:
    """Units of the whole facility, and of the part one rack depends on.

    The chain (MV/LV transformers to busways) is built of identical redundancy groups
    (:func:`group_it_mw`), the CDUs of line-ups (N+1 each whatever the electrical topology), the
    chillers and dry coolers of identical halls (``hall_it_mw``), the
    HV intake, MV switchgear and generation once for the site (a rack sees one MV line-up). The facility count is the group's times the
    number of groups; a rack's diagram uses one group, one hall and the site's HV and generation.

    Returns
    -------
    tuple of dict
        ``(facility, rack_view)`` stage counts.
    """
    p = parameters()
    site = equipment_counts(loads(it_mw, rack_kw, pue, mean_temperature_c), topology, generation)
    group_it = group_it_mw(topology, it_mw, pue)
    group = equipment_counts(loads(group_it, rack_kw, pue, mean_temperature_c), topology, generation)
    hall_it = min(p["hall_it_mw"], it_mw)
    hall = equipment_counts(loads(hall_it, rack_kw, pue, mean_temperature_c), topology, generation)
    lineup_it = min(p["lineup_mw"] / pue, it_mw)
    lineup = equipment_counts(loads(lineup_it, rack_kw, pue, mean_temperature_c), topology, generation)
    groups = math.ceil(it_mw / group_it - 1e-6)
    halls = math.ceil(it_mw / hall_it - 1e-6)
    lineups = math.ceil(it_mw / lineup_it - 1e-6)
    facility: dict[str, StageCount] = {"hv_transformer": site["hv_transformer"]}
    view: dict[str, StageCount] = {"hv_transformer": site["hv_transformer"]}
    for name in CHAIN_STAGES:
        facility[name], view[name] = _scaled(group[name], groups, site[name].load_mw), group[name]
    # an MV line-up feeds several LV line-ups: counted for the site, and a rack sees one of them
    comp = components()
    mv = comp["mv_switchgear"].unit_rating_mw
    facility["mv_switchgear"] = site["mv_switchgear"]
    view["mv_switchgear"] = stage_count(
        topology, "mv_switchgear", min(mv, site["mv_switchgear"].load_mw), mv,
        int(p["distributed_redundant_blocks"]), p["lineup_mw"], min(mv, site["mv_switchgear"].load_mw),
        int(p["block_redundant_active_blocks"]))
    gen = GENERATION.get(generation)
    if gen is not None:
        facility[gen] = view[gen] = site[gen]
    for name, source, times in (("chiller", hall, halls), ("dry_cooler", hall, halls),
                                ("cdu", lineup, lineups)):
        if name in source:
            facility[name], view[name] = _scaled(source[name], times, site[name].load_mw), source[name]
    return facility, view


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
