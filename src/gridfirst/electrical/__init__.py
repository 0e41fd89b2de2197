"""Facility electrical design: the power chain from grid to rack, its redundancy and availability.

Sizes the chain and cooling plant from IT MW, evaluates redundancy topologies by reliability block
diagrams, and sizes the buffer that keeps a training load's grid-side ramp within a limit.
"""

from gridfirst.electrical.design import (
    ElectricalDesign,
    compare_topologies,
    design_facility,
    design_for_market,
)
from gridfirst.electrical.ramp import RampBuffer, size_buffer, synthetic_training_profile
from gridfirst.electrical.topology import Topology, parse_topology

__all__ = [
    "ElectricalDesign", "RampBuffer", "Topology", "compare_topologies", "design_facility",
    "design_for_market", "parse_topology", "size_buffer", "synthetic_training_profile",
]
