"""A facility's electrical design: sizing, topology, availability and costs in one result.

Combines the site's grid (SAIDI/SAIFI) with the on-site chain and cooling plant, compares the
availability with the Uptime Institute tiers and prices the downtime; not the ramp buffer (ramp).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gridfirst.electrical.data import GridReliability, components, grid_reliability, parameters
from gridfirst.electrical.reliability import (
    HOURS_PER_YEAR,
    Block,
    KofN,
    MonteCarloResult,
    Parallel,
    Series,
    Unit,
    availability,
    failure_frequency_per_year,
    monte_carlo,
    unavailability,
)
from gridfirst.electrical.sizing import (
    GENERATION,
    Loads,
    capex_usd,
    check_inputs,
    design_counts,
    loads,
)
from gridfirst.electrical.topology import (
    CHAIN_STAGES,
    StageCount,
    Topology,
    chain_block,
    generation_block,
    parse_topology,
    stranded_share,
)
from gridfirst.errors import DataError

if TYPE_CHECKING:
    from gridfirst.scenario import Market

TIERS = ("tier_1", "tier_2", "tier_3", "tier_4")


@dataclass(frozen=True)
class ElectricalDesign:
    """The evaluated design of one facility.

    Attributes
    ----------
    availability : float
        Steady-state availability of the critical load (grid, chain and cooling).
    downtime_hours_per_year : float
        ``(1 - availability) * 8760`` [h/yr].
    outages_per_year : float
        Frequency of losing the critical load [1/yr].
    capex_usd_per_mw : float
        Installed electrical and cooling plant cost per MW of IT [USD 2024/MW].
    """

    topology: Topology
    it_mw: float
    rack_kw: float
    pue: float
    generation: str
    ups_minutes: float
    loads: Loads
    counts: dict[str, StageCount]
    capex_by_stage_usd: dict[str, float]
    availability: float
    unavailability: float
    outages_per_year: float
    grid_availability: float
    power_availability: float
    cooling_availability: float
    downtime_cost_usd_per_year: float
    stranded_ups_share: float
    tier_met: str
    market_id: str | None = None
    diagram: Block | None = field(default=None, repr=False)
    monte_carlo: MonteCarloResult | None = None

    @property
    def downtime_hours_per_year(self) -> float:
        return self.unavailability * HOURS_PER_YEAR

    @property
    def capex_usd(self) -> float:
        return sum(self.capex_by_stage_usd.values())

    @property
    def capex_usd_per_mw(self) -> float:
        return self.capex_usd / self.it_mw

    def equipment(self) -> list[dict[str, Any]]:
        """``{component, count, rating_mw, needed, load_mw}`` per stage, upstream first."""
        comp = components()
        return [
            {"component": name, "count": c.installed, "needed": c.needed,
             "rating_mw": comp[name].unit_rating_mw, "load_mw": c.load_mw}
            for name, c in self.counts.items()
        ]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready record (the CLI's ``--format json``)."""
        out: dict[str, Any] = {
            "market_id": self.market_id, "topology": self.topology.value, "it_mw": self.it_mw,
            "rack_kw": self.rack_kw, "pue": self.pue, "generation": self.generation,
            "ups_minutes": self.ups_minutes, "racks": self.loads.racks,
            "facility_mw": self.loads.facility_mw,
            "availability": self.availability, "unavailability": self.unavailability,
            "downtime_hours_per_year": self.downtime_hours_per_year,
            "power_downtime_hours_per_year": (1.0 - self.power_availability) * HOURS_PER_YEAR,
            "outages_per_year": self.outages_per_year,
            "grid_availability": self.grid_availability,
            "power_availability": self.power_availability,
            "cooling_availability": self.cooling_availability,
            "tier_met": self.tier_met,
            "capex_usd": self.capex_usd, "capex_usd_per_mw": self.capex_usd_per_mw,
            "capex_by_stage_usd": dict(self.capex_by_stage_usd),
            "stranded_ups_share": self.stranded_ups_share,
            "downtime_cost_usd_per_year": self.downtime_cost_usd_per_year,
            "currency_year": 2024,
            "equipment": self.equipment(),
        }
        if self.monte_carlo is not None:
            mc = self.monte_carlo
            out["monte_carlo"] = {
                "unavailability": mc.unavailability, "ci_low": mc.ci_low, "ci_high": mc.ci_high,
                "confidence": mc.confidence, "replications": mc.replications, "years": mc.years,
                "outages_per_year": mc.failures_per_year,
            }
        return out


def grid_unit(grid: GridReliability) -> Unit:
    """The public grid as one repairable unit: SAIFI failures a year, CAIDI hours each."""
    return Unit("grid", grid.saifi_per_year, grid.mttr_hours)


def tier_met(avail: float) -> str:
    """Highest Uptime tier whose representative availability the design reaches (or ``below tier_1``)."""
    p = parameters()
    met = [t for t in TIERS if avail >= p[f"{t}_availability"]]
    return met[-1] if met else "below tier_1"


def design_facility(
    it_mw: float,
    topology: Topology | str,
    rack_kw: float = 130.0,
    pue: float = 1.3,
    mean_temperature_c: float = 15.0,
    grid: GridReliability | None = None,
    generation: str = "diesel",
    ups_minutes: float = 5.0,
    downtime_cost_usd_per_mw_hour: float | None = None,
    market_id: str | None = None,
    monte_carlo_seed: int | None = None,
    monte_carlo_years: float = 50.0,
) -> ElectricalDesign:
    """Size and evaluate one facility's power chain and cooling plant.

    Parameters
    ----------
    it_mw : float
        Critical IT load [MW], > 0.
    topology : Topology or str
        Redundancy of the chain (``N``, ``N+1``, ``2N``, ``2(N+1)``, ``DR``, ``BR``).
    rack_kw : float
        Rack density [kW], > 0.
    pue : float
        Design PUE (1..3).
    mean_temperature_c : float
        Site's annual mean temperature [C].
    grid : GridReliability, optional
        The grid's SAIDI/SAIFI; without it a grid that is always up (the chain alone).
    generation : str
        ``diesel``, ``gas``, ``fuel_cell`` or ``none``.
    ups_minutes : float
        Battery ride-through at the installed UPS rating [min], > 0.
    downtime_cost_usd_per_mw_hour : float, optional
        Value of an hour of IT capacity; by default the bundled assumption.
    monte_carlo_seed : int, optional
        When given, also simulate the diagram (a seeded check of the closed form).
    monte_carlo_years : float
        Simulated years per replication.

    Raises
    ------
    DataError
        Negative or zero MW, rack density or ride-through, an unknown topology or generation.
    """
    topo = topology if isinstance(topology, Topology) else parse_topology(topology)
    check_inputs(it_mw, rack_kw, pue, ups_minutes)
    p = parameters()
    load = loads(it_mw, rack_kw, pue, mean_temperature_c)
    # the diagram is the one a rack sees: the site's HV intake and generation, its redundancy
    # group of the chain and CDUs, its hall's chillers and dry coolers
    counts, view = design_counts(it_mw, rack_kw, pue, mean_temperature_c, topo, generation)
    comp = components()
    units = {name: Unit(name, comp[name].failure_rate_per_year, comp[name].mttr_hours)
             for name in counts}

    hv = KofN(counts["hv_transformer"].needed, counts["hv_transformer"].installed, units["hv_transformer"])
    utility: Block = Series((grid_unit(grid), hv)) if grid is not None else hv
    gen_name = GENERATION.get(generation)
    supply: Block = (Parallel((utility, generation_block(topo, view[gen_name], units[gen_name])))
                     if gen_name is not None else utility)
    chain = chain_block(topo, {c: view[c] for c in CHAIN_STAGES}, units)
    cooling_parts = tuple(KofN(view[c].needed, view[c].installed, units[c])
                          for c in ("chiller", "dry_cooler", "cdu") if c in view)
    power = Series((supply, chain))
    system: Block = Series((power, *cooling_parts)) if cooling_parts else power

    unavail = unavailability(system)
    freq = failure_frequency_per_year(system)
    cost_rate = (p["downtime_cost_usd_per_mw_hour"] if downtime_cost_usd_per_mw_hour is None
                 else downtime_cost_usd_per_mw_hour)
    if cost_rate < 0:
        raise DataError(f"downtime cost: must be >= 0, got {cost_rate!r}")
    downtime_cost = it_mw * cost_rate * (unavail * HOURS_PER_YEAR + freq * p["restart_hours_per_outage"])
    # a half-hour grid resolves every repair in the table (the shortest, LV switchgear, is 7.7 h;
    # grid interruptions of under an hour are blurred, which the interval shows)
    mc = (monte_carlo(system, seed=monte_carlo_seed, years=monte_carlo_years, replications=10,
                      step_hours=0.5) if monte_carlo_seed is not None else None)
    return ElectricalDesign(
        topology=topo, it_mw=it_mw, rack_kw=rack_kw, pue=pue, generation=generation,
        ups_minutes=ups_minutes, loads=load, counts=counts,
        capex_by_stage_usd=capex_usd(counts, ups_minutes),
        availability=1.0 - unavail, unavailability=unavail, outages_per_year=freq,
        grid_availability=availability(grid_unit(grid)) if grid is not None else 1.0,
        power_availability=availability(power),
        cooling_availability=availability(Series(cooling_parts)) if cooling_parts else 1.0,
        downtime_cost_usd_per_year=downtime_cost,
        stranded_ups_share=stranded_share(counts["ups"], comp["ups"].unit_rating_mw),
        tier_met=tier_met(1.0 - unavail), market_id=market_id, diagram=system, monte_carlo=mc,
    )


def market_grid(market_id: str) -> GridReliability:
    """The bundled SAIDI/SAIFI of a market.

    Raises
    ------
    DataError
        A market without a grid-reliability row.
    """
    table = grid_reliability()
    if market_id not in table:
        raise DataError(f"grid_reliability.csv: no SAIDI/SAIFI row for market {market_id!r}")
    return table[market_id]


def design_for_market(market: Market, it_mw: float, topology: Topology | str, **kwargs: Any) -> ElectricalDesign:
    """:func:`design_facility` with the market's grid reliability, PUE and climate.

    ``pue`` in ``kwargs`` overrides the market's design PUE.
    """
    kwargs.setdefault("pue", market.design_pue)
    return design_facility(it_mw, topology, mean_temperature_c=market.mean_temperature_c,
                           grid=market_grid(market.id), market_id=market.id, **kwargs)


def compare_topologies(market: Market | None, it_mw: float, **kwargs: Any) -> list[ElectricalDesign]:
    """One design per topology (same site and inputs), in the order of :class:`Topology`."""
    if market is None:
        return [design_facility(it_mw, t, **kwargs) for t in Topology]
    return [design_for_market(market, it_mw, t, **kwargs) for t in Topology]
