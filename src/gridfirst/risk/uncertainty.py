"""The uncertainty model: the distributions of delays, disruptions, cable cuts, prices and demand.

Every parameter lives in :class:`RiskOptions` (pydantic), read from ``scenario.options["risk"]``
over the sourced defaults in ``data/risk_defaults.yaml``. Nothing here samples or evaluates.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gridfirst.errors import DataError, ScenarioError

DEFAULTS_FILE = "risk_defaults.yaml"


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DelayOptions(_Options):
    """A delay that is zero with ``on_time_probability`` and otherwise lognormal.

    Late: delay_months = scale x median_share_of_lead_time x exp(sigma_m Z), Z ~ N(0, 1), with
    scale = max(lead_time_months, min_lead_months) and sigma_m = sigma + sigma_per_backlog_year x
    min(backlog_years, max_backlog_years), where a market's backlog is its competing pipeline
    over its yearly construction workforce [years].
    """

    enabled: bool
    on_time_probability: float = Field(ge=0, le=1)
    median_share_of_lead_time: float = Field(ge=0, le=10)
    sigma: float = Field(ge=0, le=5)
    sigma_per_backlog_year: float = Field(ge=0, le=5)
    max_backlog_years: float = Field(ge=0, le=50)
    min_lead_months: float = Field(ge=0, le=240)


class DisruptionOptions(_Options):
    """Site-down events per market (Poisson), each lasting an exponential time.

    rate = base + conflict x ((GPI - 1) / 4)^2 + seismic + cyclone [events/year], with seismic =
    (1 / return period) x (PGA_475 / damage PGA)^slope (a power-law hazard curve through the
    bundled 475-year PGA) and cyclone = -ln(1 - p10y) / 10 x outage-given-wind.
    """

    enabled: bool
    base_rate_per_year: float = Field(ge=0, le=10)
    conflict_rate_per_year_at_gpi_5: float = Field(ge=0, le=10)
    seismic_damage_pga_g: float = Field(gt=0, le=5)
    seismic_hazard_slope: float = Field(ge=0, le=10)
    seismic_return_period_years: float = Field(gt=0)
    cyclone_damaging_wind_probability_10y: tuple[float, float, float, float]
    cyclone_outage_given_wind: float = Field(ge=0, le=1)
    outage_mean_months: float = Field(ge=0, le=120)

    @field_validator("cyclone_damaging_wind_probability_10y")
    @classmethod
    def _probabilities(cls, values: tuple[float, ...]) -> tuple[float, ...]:
        for v in values:
            if not 0 <= v < 1:
                raise ValueError(f"{v!r} must be a probability in [0, 1)")
        return values


class CableOptions(_Options):
    """Submarine cable faults per market: Poisson over its cable systems, each stranding a share."""

    enabled: bool
    faults_per_system_year: float = Field(ge=0, le=50)
    unprotected_share: float = Field(ge=0, le=1)
    repair_mean_months: float = Field(ge=0, le=24)


class PriceOptions(_Options):
    """Energy price factor per market and year: lognormal AR(1) with crisis-year spikes."""

    enabled: bool
    common_sigma: float = Field(ge=0, le=3)
    market_sigma: float = Field(ge=0, le=3)
    year_correlation: float = Field(ge=-1, le=1)
    spike_probability_per_year: float = Field(ge=0, le=1)
    spike_multiplier: float = Field(ge=0, le=20)


class DemandOptions(_Options):
    """Demand paths through the outlook's low/base/high band (two-piece normal, one path a key)."""

    enabled: bool
    band_quantile: float = Field(gt=0.5, lt=1)
    key_correlation: float = Field(ge=0, le=1)


class RiskOptions(_Options):
    """Every distribution parameter of the Monte Carlo (``scenario.options['risk']``)."""

    interconnection: DelayOptions
    construction: DelayOptions
    disruption: DisruptionOptions
    cable: CableOptions
    price: PriceOptions
    demand: DemandOptions

    def deterministic(self) -> RiskOptions:
        """The same options with every source of uncertainty switched off."""
        update = {name: getattr(self, name).model_copy(update={"enabled": False})
                  for name in _SECTIONS}
        return self.model_copy(update=update)

    def only(self, *sections: str) -> RiskOptions:
        """The same options with only the named sections switched on."""
        unknown = set(sections) - set(_SECTIONS)
        if unknown:
            raise ScenarioError(f"options.risk: unknown section(s) {sorted(unknown)}; known {_SECTIONS}")
        update = {name: getattr(self, name).model_copy(update={"enabled": name in sections})
                  for name in _SECTIONS}
        return self.model_copy(update=update)


_SECTIONS = ("interconnection", "construction", "disruption", "cable", "price", "demand")


@lru_cache(maxsize=1)
def default_table() -> dict[str, dict[str, dict[str, Any]]]:
    """The bundled defaults file as {section: {parameter: {value, source_id, note}}}."""
    from gridfirst.data import data_dir

    path = data_dir() / DEFAULTS_FILE
    try:
        table = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(f"{path.name}: not valid YAML: {exc}") from None
    for section, params in table.items():
        for name, entry in params.items():
            if not isinstance(entry, dict) or {"value", "source_id", "note"} - set(entry):
                raise DataError(f"{path.name}: {section}.{name} needs value, source_id and note")
    return table


def _merge(base: dict[str, Any], override: dict[str, Any], path: str) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if key not in base:
            raise ScenarioError(f"{path}.{key}: unknown option; known: {sorted(base)}")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise ScenarioError(f"{path}.{key}: {value!r} must be a mapping")
            out[key] = _merge(base[key], value, f"{path}.{key}")
        else:
            out[key] = value
    return out


def risk_options(overrides: dict[str, Any] | None = None, source: str = "options.risk") -> RiskOptions:
    """The bundled defaults with ``overrides`` (``scenario.options['risk']``) applied.

    Raises
    ------
    ScenarioError
        Naming the option path, the bad value and what was expected.
    """
    from gridfirst.scenario import _format_error

    defaults = {sec: {k: v["value"] for k, v in params.items()} for sec, params in default_table().items()}
    merged = _merge(defaults, dict(overrides or {}), source)
    try:
        return RiskOptions.model_validate(merged)
    except ValidationError as exc:
        problems = [_format_error(err, prefix=source) for err in exc.errors()]
        raise ScenarioError("\n".join(problems), problems) from None


def options_from_scenario(scenario: Any) -> RiskOptions:
    """The risk options of a :class:`~gridfirst.scenario.Scenario` (defaults when unset)."""
    return risk_options(scenario.options.get("risk"))


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
    conflict_exposure_gpi: np.ndarray,
    seismic_hazard_pga_g: np.ndarray,
    cyclone_hazard_level: np.ndarray,
) -> np.ndarray:
    """Annual rate of site-down events of each market [events/year].

    Parameters
    ----------
    conflict_exposure_gpi : numpy.ndarray
        Global Peace Index score, 1 (peaceful) to 5.
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
    gpi = np.clip(np.asarray(conflict_exposure_gpi, dtype=float), 1.0, 5.0)
    conflict = options.conflict_rate_per_year_at_gpi_5 * ((gpi - 1.0) / 4.0) ** 2
    pga = np.maximum(np.asarray(seismic_hazard_pga_g, dtype=float), 0.0)
    seismic = (1.0 / options.seismic_return_period_years) * (
        pga / options.seismic_damage_pga_g
    ) ** options.seismic_hazard_slope
    seismic = np.minimum(seismic, 1.0)  # beyond one damaging quake a year the power law means nothing
    level = np.clip(np.asarray(cyclone_hazard_level, dtype=int), 0, 3)
    p10 = np.asarray(options.cyclone_damaging_wind_probability_10y)[level]
    cyclone = -np.log1p(-p10) / 10.0 * options.cyclone_outage_given_wind
    return options.base_rate_per_year + conflict + seismic + cyclone


def two_piece_quantile_scale(band_quantile: float) -> float:
    """z of the band quantile of a standard normal (1.2816 for 0.9)."""
    from statistics import NormalDist

    return float(NormalDist().inv_cdf(band_quantile))


def expected_outage_share(rate_per_year: float, mean_months: float) -> float:
    """Mean share of a year lost (before capping at a whole year) [-]."""
    return rate_per_year * mean_months / 12.0 if math.isfinite(rate_per_year) else 1.0
