"""Each candidate's facility electrical design, when a scenario asks for it (``options.plan.electrical``).

Designs the power chain and cooling plant of every site and market candidate
(:func:`gridfirst.electrical.design_for_market` on the candidate's market after the site's
overrides), replaces the critical-capacity share of its construction cost per MW with the
design's cost per MW, and records the design's availability. Space deals are rented, so their
cost and availability are the provider's and are left alone. Nothing here runs when the option
is unset.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from gridfirst.electrical import ElectricalDesign, design_for_market
from gridfirst.electrical.data import parameters
from gridfirst.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

    from gridfirst.options import ElectricalPlanOptions
    from gridfirst.scenario import Market

#: Columns :func:`apply_electrical` adds to the candidates table (NaN / "" for space deals).
ELECTRICAL_COLUMNS = ["electrical_topology", "electrical_it_mw", "electrical_capex_usd_per_mw",
                      "availability", "downtime_hours_per_year", "electrical_tier"]


def critical_share() -> float:
    """Share of a facility's construction cost per MW that is its critical capacity, the power
    and cooling plant (source el-cushman-2025: 53 %)."""
    return parameters()["critical_capacity_cost_share"]


def design_it_mw(max_it_mw: float, given_it_mw: float | None, load_mw: float) -> float:
    """IT MW a candidate's design is sized for: the option's, else the site's cap, else the
    procurement's representative load."""
    if given_it_mw is not None:
        return float(given_it_mw)
    if math.isfinite(max_it_mw) and max_it_mw > 0:
        return float(max_it_mw)
    return float(load_mw)


def blended_capex_usd_per_mw(construction_usd_per_mw: float, electrical_usd_per_mw: float,
                             share: float) -> float:
    """Construction cost per MW with its critical-capacity share replaced by a designed chain's
    cost: ``(1 - share) x construction + electrical`` [USD/MW]."""
    return (1.0 - share) * construction_usd_per_mw + electrical_usd_per_mw


def apply_electrical(candidates: pd.DataFrame, candidate_markets: dict[str, Market],
                     options: ElectricalPlanOptions, load_mw: float) -> dict[str, ElectricalDesign]:
    """Design every site and market candidate; update ``capex_usd_per_mw`` and add
    :data:`ELECTRICAL_COLUMNS` in place.

    The design's cost is in USD 2024 (the electrical tables' year) and is laid over the
    scenario's construction cost without conversion (the scenario's default currency year is
    2024 as well).

    Returns
    -------
    dict of str to ElectricalDesign
        The design of each designed candidate, by candidate id.

    Raises
    ------
    DataError
        A candidate whose market has no grid-reliability row (names the candidate).
    """
    share = critical_share()
    designs: dict[str, ElectricalDesign] = {}
    n = len(candidates)
    cols: dict[str, np.ndarray] = {
        "electrical_topology": np.full(n, "", dtype=object),
        "electrical_it_mw": np.full(n, np.nan),
        "electrical_capex_usd_per_mw": np.full(n, np.nan),
        "availability": np.full(n, np.nan),
        "downtime_hours_per_year": np.full(n, np.nan),
        "electrical_tier": np.full(n, "", dtype=object),
    }
    capex = candidates["capex_usd_per_mw"].to_numpy(float).copy()
    for i, (cid, row) in enumerate(candidates.iterrows()):
        if row["kind"] == "deal":
            continue
        it_mw = design_it_mw(float(row["max_it_mw"]), options.it_mw, load_mw)
        try:
            design = design_for_market(
                candidate_markets[str(cid)], it_mw, options.topology, rack_kw=options.rack_kw,
                generation=options.generation, ups_minutes=options.ups_minutes)
        except DataError as exc:
            raise DataError(f"options.plan.electrical: candidate {cid!r}: {exc}") from None
        designs[str(cid)] = design
        capex[i] = blended_capex_usd_per_mw(capex[i], design.capex_usd_per_mw, share)
        cols["electrical_topology"][i] = design.topology.value
        cols["electrical_it_mw"][i] = it_mw
        cols["electrical_capex_usd_per_mw"][i] = design.capex_usd_per_mw
        cols["availability"][i] = design.availability
        cols["downtime_hours_per_year"][i] = design.downtime_hours_per_year
        cols["electrical_tier"][i] = design.tier_met
    candidates["capex_usd_per_mw"] = capex
    for name, values in cols.items():
        candidates[name] = values
    return designs
