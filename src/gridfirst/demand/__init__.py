"""Demand outlook: from observed usage growth to IT megawatts by region, year and workload.

Steps, one module each: :mod:`.series` (read and check), :mod:`.growth` (fit, forecast, bands),
:mod:`.conversion` (tokens or FLOP -> accelerators -> MW), :mod:`.split` (regions),
:mod:`.outlook` (the :class:`~gridfirst.scenario.DemandOutlook`), :mod:`.plot` (figure).
"""

from __future__ import annotations

from gridfirst.demand.conversion import (
    QUANTITIES,
    AcceleratorSpec,
    ConversionChain,
    accelerator,
    accelerators,
    accelerators_for_tokens,
    accelerators_for_training,
    conversion_chain,
    facility_mw,
    facility_mw_for_market,
    it_mw,
    resolve_pue,
    tokens_per_day,
)
from gridfirst.demand.growth import MODELS, Forecast, GrowthFit, ModelFit, fit_growth, forecast
from gridfirst.demand.outlook import (
    DemandResult,
    demand_outlook,
    scenario_shares,
    to_outlook,
    write_outlook,
)
from gridfirst.demand.series import read_series, validate_series
from gridfirst.demand.split import check_shares, population_shares, split_by_shares

__all__ = [
    "MODELS",
    "QUANTITIES",
    "AcceleratorSpec",
    "ConversionChain",
    "DemandResult",
    "Forecast",
    "GrowthFit",
    "ModelFit",
    "accelerator",
    "accelerators",
    "accelerators_for_tokens",
    "accelerators_for_training",
    "check_shares",
    "conversion_chain",
    "demand_outlook",
    "facility_mw",
    "facility_mw_for_market",
    "fit_growth",
    "forecast",
    "it_mw",
    "population_shares",
    "read_series",
    "resolve_pue",
    "scenario_shares",
    "split_by_shares",
    "to_outlook",
    "tokens_per_day",
    "validate_series",
    "write_outlook",
]
