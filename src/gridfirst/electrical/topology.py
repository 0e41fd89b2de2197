"""Redundancy topologies of the power chain: how many units each stage gets and how they combine.

Holds the topologies (N, N+1, 2N, 2(N+1), distributed redundant 4N/3, block redundant with a
catcher), the unit counts they imply and the reliability block diagram they form; not the loads
(see sizing) nor costs.

Modelling choices, stated once:

* The grid and the HV intake are shared by every path; on-site generation is in parallel with them
  (gensets connect at the MV switchgear). HV transformers are N+1 except in topology N.
* In 2N and 2(N+1) each path holds its own MV switchgear, transformers, LV switchgear, UPS and
  busways, and the racks are dual corded: the load is up while either path is. Generation is
  split in two sets likewise.
* Distributed redundant (``DR``, 4N/3 by default) has ``b`` identical blocks each rated for the
  load over ``b - 1``: any ``b - 1`` carry it. Block redundant (``BR``) has ``m`` active blocks of
  a fixed size and one catcher block that takes over any one of them.
* The cooling plant is N+1 for every topology but N.
* Availability is the one a rack sees: the facility is built of identical redundancy groups (one
  line-up, four line-ups sharing a spare, a 4N/3 set of blocks, four blocks and a catcher; see
  :func:`gridfirst.electrical.sizing.design_counts`), and a rack is down when its group has fewer
  units up than it needs (conservative: no credit for which units a rack actually hangs on).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from gridfirst.electrical.reliability import Block, KofN, Parallel, Series, Unit
from gridfirst.errors import DataError


class Topology(str, Enum):
    """Redundancy topology of the critical power chain."""

    N = "N"
    N1 = "N+1"
    TWO_N = "2N"
    TWO_N1 = "2(N+1)"
    DR = "DR"
    BR = "BR"


_ALIASES = {
    "n": Topology.N, "n+1": Topology.N1, "2n": Topology.TWO_N, "2(n+1)": Topology.TWO_N1,
    "2n+2": Topology.TWO_N1, "dr": Topology.DR, "4n/3": Topology.DR, "distributed": Topology.DR,
    "br": Topology.BR, "catcher": Topology.BR, "block": Topology.BR,
}

#: Stages of the critical chain the topology governs (upstream to downstream).
CHAIN_STAGES = ("mv_switchgear", "mv_lv_transformer", "lv_switchgear", "ups", "busway")


def parse_topology(text: str) -> Topology:
    """The topology a user names (case and a few aliases tolerated).

    Raises
    ------
    DataError
        An unknown name, listing the known ones.
    """
    key = text.strip().lower().replace(" ", "")
    if key in _ALIASES:
        return _ALIASES[key]
    known = ", ".join(t.value for t in Topology)
    raise DataError(f"--topology: unknown topology {text!r}; known: {known} (DR = distributed "
                    "redundant 4N/3, BR = block redundant with a catcher)")


@dataclass(frozen=True)
class StageCount:
    """Units of one stage: ``needed`` carry the load, ``installed`` are built.

    Attributes
    ----------
    component : str
    load_mw : float
        Load the stage carries [MW].
    needed : int
        Units that must be up (over the whole stage).
    installed : int
        Units built.
    groups : int
        Independent groups (paths or blocks) the units are split into.
    per_group : int
        Units in one group.
    needed_groups : int
        Groups that must be up.
    """

    component: str
    load_mw: float
    needed: int
    installed: int
    groups: int
    per_group: int
    needed_groups: int


def _units(load_mw: float, rating_mw: float) -> int:
    return max(1, math.ceil(load_mw / rating_mw - 1e-6))


def stage_count(
    topology: Topology,
    component: str,
    load_mw: float,
    rating_mw: float,
    dr_blocks: int = 4,
    br_block_mw: float = 3.0,
    it_mw: float | None = None,
    br_active_blocks: int = 4,
) -> StageCount:
    """Units of a chain stage under a topology.

    Parameters
    ----------
    topology : Topology
    component : str
    load_mw : float
        Load of the stage [MW].
    rating_mw : float
        Rating of one unit [MW].
    dr_blocks : int
        Blocks of the distributed-redundant topology (>= 2).
    br_block_mw : float
        IT MW of one block of the block-redundant topology.
    it_mw : float, optional
        IT load, to count block-redundant blocks (defaults to ``load_mw``).
    br_active_blocks : int
        Active blocks one catcher block backs up.
    """
    n = _units(load_mw, rating_mw)
    if topology is Topology.N:
        return StageCount(component, load_mw, n, n, 1, n, 1)
    if topology is Topology.N1:
        return StageCount(component, load_mw, n, n + 1, 1, n + 1, 1)
    if topology is Topology.TWO_N:
        return StageCount(component, load_mw, n, 2 * n, 2, n, 1)
    if topology is Topology.TWO_N1:
        return StageCount(component, load_mw, n, 2 * (n + 1), 2, n + 1, 1)
    if topology is Topology.DR:
        if dr_blocks < 2:
            raise DataError(f"distributed redundant: blocks must be >= 2, got {dr_blocks}")
        per = _units(load_mw / (dr_blocks - 1), rating_mw)
        return StageCount(component, load_mw, per * (dr_blocks - 1), per * dr_blocks, dr_blocks, per,
                          dr_blocks - 1)
    active = _units(it_mw if it_mw is not None else load_mw, br_block_mw)
    catchers = math.ceil(active / max(1, br_active_blocks))
    per = _units(load_mw / active, rating_mw)
    return StageCount(component, load_mw, per * active, per * (active + catchers), active + catchers,
                      per, active)


def redundant_count(component: str, load_mw: float, rating_mw: float, spare: bool) -> StageCount:
    """Units of a stage outside the topology's reach (HV intake, cooling): N, or N+1 with ``spare``."""
    n = _units(load_mw, rating_mw)
    extra = 1 if spare else 0
    return StageCount(component, load_mw, n, n + extra, 1, n + extra, 1)


def group_block(count: StageCount, unit: Unit) -> Block:
    """One group's diagram for a stage whose groups are in parallel paths (2N, 2(N+1)).

    In a path every one of its ``needed`` units must be up, the rest are spares.
    """
    needed_in_group = count.needed if count.groups == 2 else count.per_group
    return KofN(needed_in_group, count.per_group, unit)


def stage_block(count: StageCount, unit: Unit) -> Block:
    """A stage on its own: k-out-of-n over its units (used where groups are not paths)."""
    return KofN(count.needed, count.installed, unit)


def chain_block(
    topology: Topology,
    counts: dict[str, StageCount],
    units: dict[str, Unit],
) -> Block:
    """The critical chain (MV switchgear to busway) as a block diagram.

    Parameters
    ----------
    topology : Topology
    counts : dict
        Stage counts of :data:`CHAIN_STAGES`.
    units : dict
        The unit (rates) of each stage's component.
    """
    stages = [c for c in CHAIN_STAGES if c in counts]
    if topology in (Topology.N, Topology.N1):
        return Series(tuple(stage_block(counts[c], units[c]) for c in stages))
    if topology in (Topology.TWO_N, Topology.TWO_N1):
        path = Series(tuple(group_block(counts[c], units[c]) for c in stages))
        return Parallel((path, path))
    # DR and BR: identical blocks, each a series of its stages' units (all needed in a block)
    block = Series(tuple(KofN(counts[c].per_group, counts[c].per_group, units[c]) for c in stages))
    # the UPS stage defines the blocks (an MV line-up is counted at its own scope)
    blocks = counts["ups"] if "ups" in counts else counts[stages[-1]]
    return KofN(blocks.needed_groups, blocks.groups, block)


def generation_block(topology: Topology, count: StageCount, unit: Unit) -> Block:
    """The on-site generation plant under the topology (paths, blocks or one k-out-of-n set)."""
    if topology in (Topology.TWO_N, Topology.TWO_N1):
        path = group_block(count, unit)
        return Parallel((path, path))
    if topology in (Topology.DR, Topology.BR):
        return KofN(count.needed_groups, count.groups, KofN(count.per_group, count.per_group, unit))
    return stage_block(count, unit)


def stranded_share(count: StageCount, rating_mw: float) -> float:
    """Share of the stage's installed capacity that cannot carry load under the redundancy rule."""
    installed_mw = count.installed * rating_mw
    return max(0.0, 1.0 - count.load_mw / installed_mw)
