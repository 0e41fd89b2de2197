"""Curtailment-enabled grid headroom: new constant load a zone can take if it accepts curtailment.

The method (:mod:`gridfirst.headroom.curtailment`) and the shipped hourly system loads of US
balancing authorities with a reader for the user's own load file (:mod:`gridfirst.headroom.zones`).
"""

from gridfirst.headroom.curtailment import (
    SUMMER_MONTHS,
    Headroom,
    curtailment_headroom,
    headroom_table,
    planning_threshold_mw,
)
from gridfirst.headroom.zones import (
    load_for,
    market_zone,
    published_headroom,
    read_load_csv,
    shipped_zones,
    zone_load,
)

__all__ = [
    "SUMMER_MONTHS",
    "Headroom",
    "curtailment_headroom",
    "headroom_table",
    "load_for",
    "market_zone",
    "planning_threshold_mw",
    "published_headroom",
    "read_load_csv",
    "shipped_zones",
    "zone_load",
]
