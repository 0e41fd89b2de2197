"""The uncertainty model: the distributions of delays, disruptions, cable cuts, prices and demand.

Every parameter lives in :class:`RiskOptions` (pydantic), read from ``scenario.options["risk"]``
over the sourced defaults in ``data/risk_defaults.yaml``. Nothing here samples or evaluates.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from pydantic import ValidationError

from gridfirst.errors import ScenarioError
from gridfirst.options import (
    RISK_DEFAULTS_FILE,
    RISK_SECTIONS,
    CableOptions,
    DelayOptions,
    DemandPathOptions,
    DisruptionOptions,
    PriceOptions,
    RiskOptions,
    risk_default_table,
)

DEFAULTS_FILE = RISK_DEFAULTS_FILE
__all__ = ["CableOptions", "DelayOptions", "DemandOptions", "DisruptionOptions", "PriceOptions",
           "RiskOptions", "risk_options", "options_from_scenario", "default_table"]


# The option models and their sourced defaults live in gridfirst.options (one place for every
# options section); they are re-exported here under the names the risk engine has always used.
DemandOptions = DemandPathOptions
_SECTIONS = RISK_SECTIONS


def default_table() -> dict[str, dict[str, dict[str, Any]]]:
    """The bundled defaults file as {section: {parameter: {value, source_id, note}}}."""
    return risk_default_table()


def risk_options(overrides: dict[str, Any] | None = None, source: str = "options.risk") -> RiskOptions:
    """The bundled defaults with ``overrides`` (a partial ``options.risk`` mapping) applied.

    Raises
    ------
    ScenarioError
        Naming the option path, the bad value and what was expected.
    """
    from gridfirst.scenario import _format_error

    if overrides is not None and not isinstance(overrides, dict):
        raise ScenarioError(f"{source}: expected a mapping, got {type(overrides).__name__}")
    try:
        return RiskOptions.model_validate(dict(overrides or {}))
    except ValidationError as exc:
        problems = [_format_error(err, prefix=source) for err in exc.errors()]
        raise ScenarioError("\n".join(problems), problems) from None


def options_from_scenario(scenario: Any) -> RiskOptions:
    """The risk options of a :class:`~gridfirst.scenario.Scenario` (defaults when unset)."""
    return scenario.options.risk  # type: ignore[no-any-return]


# -- per-market parameters derived from the market facts -------------------------------------


def backlog_years(competing_pipeline_mw: np.ndarray, labour_mw_per_year: np.ndarray) -> np.ndarray:
    """Years of construction backlog: competing pipeline over yearly construction capacity.

    A market with no workforce figure (0) counts as a long backlog (50 years, later capped).
    """
    pipeline = np.asarray(competing_pipeline_mw, dtype=float)
    labour = np.asarray(labour_mw_per_year, dtype=float)
    return np.where(labour > 0, pipeline / np.where(labour > 0, labour, 1.0), 50.0)


def delay_sigma(options: DelayOptions, backlog: np.ndarray) -> np.ndarray:
    """Lognormal shape of a late delay, wider where the backlog is long [-]."""
    return options.sigma + options.sigma_per_backlog_year * np.minimum(backlog, options.max_backlog_years)


def disruption_rate_per_year(
    options: DisruptionOptions,
    threat_share: np.ndarray,
    seismic_hazard_pga_g: np.ndarray,
    cyclone_hazard_level: np.ndarray,
) -> np.ndarray:
    """Annual rate of site-down events of each market [events/year].

    Parameters
    ----------
    threat_share : numpy.ndarray
        Share of the full conflict rate that applies to each market, 0..1 (see
        :func:`threat_share`).
    seismic_hazard_pga_g : numpy.ndarray
        Peak ground acceleration with 10% exceedance in 50 years [g].
    cyclone_hazard_level : numpy.ndarray
        ThinkHazard! cyclone level 0..3.

    References
    ----------
    .. [1] Cornell, C. A. et al. (2002). Probabilistic basis for 2000 SAC FEMA steel moment frame
       guidelines. J. Struct. Eng. 128(4), 526-533 (power-law hazard curve).
    .. [2] GFDRR ThinkHazard! cyclone hazard levels.
    """
    conflict = options.conflict_rate_per_year_at_full_threat * np.clip(
        np.asarray(threat_share, dtype=float), 0.0, 1.0)
    pga = np.maximum(np.asarray(seismic_hazard_pga_g, dtype=float), 0.0)
    seismic = (1.0 / options.seismic_return_period_years) * (
        pga / options.seismic_damage_pga_g
    ) ** options.seismic_hazard_slope
    seismic = np.minimum(seismic, 1.0)  # beyond one damaging quake a year the power law means nothing
    level = np.clip(np.asarray(cyclone_hazard_level, dtype=int), 0, 3)
    p10 = np.asarray(options.cyclone_damaging_wind_probability_10y)[level]
    cyclone = -np.log1p(-p10) / 10.0 * options.cyclone_outage_given_wind
    return options.base_rate_per_year + conflict + seismic + cyclone


def threat_share(market_facts: Any) -> np.ndarray:
    """Share of the full conflict rate per market: 1 - exp(-threat exposure) [0, 1).

    Threat exposure sums named flashpoints' severities, decaying with distance from the site
    (:func:`gridfirst.compliance.threat_exposure`). Hand-made tables without a
    ``threat_exposure`` column fall back to the Global Peace Index, ((GPI - 1) / 4)^2, and
    should add the column: GPI measures a country, not the hazard at a site.
    """
    if "threat_exposure" in market_facts:
        exposure = np.asarray(market_facts["threat_exposure"], dtype=float)
        return np.asarray(1.0 - np.exp(-np.maximum(exposure, 0.0)))
    gpi = np.clip(np.asarray(market_facts["conflict_exposure_gpi"], dtype=float), 1.0, 5.0)
    return np.asarray(((gpi - 1.0) / 4.0) ** 2)


def two_piece_quantile_scale(band_quantile: float) -> float:
    """z of the band quantile of a standard normal (1.2816 for 0.9)."""
    from statistics import NormalDist

    return float(NormalDist().inv_cdf(band_quantile))


def expected_outage_share(rate_per_year: float, mean_months: float) -> float:
    """Mean share of a year lost (before capping at a whole year) [-]."""
    return rate_per_year * mean_months / 12.0 if math.isfinite(rate_per_year) else 1.0
