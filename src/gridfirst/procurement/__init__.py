"""24/7 carbon-free power procurement of one site: the LP, its solvers and its results.

Public names are imported lazily so that importing the package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_API = {
    "ProcurementCosts": "gridfirst.procurement.costs",
    "default_costs": "gridfirst.procurement.costs",
    "load_costs": "gridfirst.procurement.costs",
    "costs_from_mapping": "gridfirst.procurement.costs",
    "ProcurementLP": "gridfirst.procurement.model",
    "ProcurementOptions": "gridfirst.procurement.model",
    "build_lp": "gridfirst.procurement.model",
    "to_sparse": "gridfirst.procurement.model",
    "ProcurementResult": "gridfirst.procurement.result",
    "optimise_procurement": "gridfirst.procurement.solve",
    "sweep_targets": "gridfirst.procurement.solve",
    "procure_market": "gridfirst.procurement.solve",
    "site_market": "gridfirst.procurement.site",
    "scenario_costs": "gridfirst.procurement.site",
}

__all__ = list(_API)


def __getattr__(name: str) -> Any:
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'gridfirst.procurement' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
