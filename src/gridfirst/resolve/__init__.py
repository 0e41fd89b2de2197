"""One resolution step: a validated scenario plus bundled data as the tables every engine reads.

:func:`resolve` returns a :class:`Resolved`; ranking, portfolio, risk, the plan and the report
read it and never re-derive candidates, screens, power, latency or energy costs themselves.
"""

from __future__ import annotations

from gridfirst.resolve.cache import ResultCache, default_cache_dir
from gridfirst.resolve.candidates import CANDIDATE_COLUMNS, SPACE_DEALS, candidate_market
from gridfirst.resolve.resolved import Resolved, procurement_tasks, resolve, serial_map
from gridfirst.resolve.screens import SCREEN_COLUMNS

__all__ = [
    "CANDIDATE_COLUMNS",
    "SCREEN_COLUMNS",
    "SPACE_DEALS",
    "Resolved",
    "ResultCache",
    "candidate_market",
    "default_cache_dir",
    "procurement_tasks",
    "resolve",
    "serial_map",
]
