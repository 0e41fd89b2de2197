"""Connectivity: the subsea cable graph, user round-trip latency and route diversity.

Public API: :func:`latency_ms`, :func:`route`, :func:`latency_to_points`, :func:`latency_matrix`,
:func:`population_within_ms`, :func:`connectivity`, :func:`cable_disjoint_paths`,
:class:`CableFlowNetwork`, :func:`calibration_report`, :func:`demand_centres`.
"""

from __future__ import annotations

from gridfirst.network.calibration import calibration_report, fit_parameters
from gridfirst.network.data import (
    LatencyParameters,
    cables,
    calibration_pairs,
    default_in_service_year,
    default_parameters,
    demand_centres,
    landings,
    segments,
)
from gridfirst.network.diversity import CableFlowNetwork, cable_disjoint_paths, connectivity
from gridfirst.network.latency import (
    LatencyModel,
    Route,
    latency_matrix,
    latency_ms,
    latency_to_points,
    population_within_ms,
    route,
    rule_of_thumb_rtt_ms,
    speed_of_light_rtt_ms,
)

__all__ = [
    "CableFlowNetwork",
    "LatencyModel",
    "LatencyParameters",
    "Route",
    "cable_disjoint_paths",
    "cables",
    "calibration_pairs",
    "calibration_report",
    "connectivity",
    "default_in_service_year",
    "default_parameters",
    "demand_centres",
    "fit_parameters",
    "landings",
    "latency_matrix",
    "latency_ms",
    "latency_to_points",
    "population_within_ms",
    "route",
    "rule_of_thumb_rtt_ms",
    "segments",
    "speed_of_light_rtt_ms",
]
