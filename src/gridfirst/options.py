"""Typed run options of a scenario (``options.plan``, ``.portfolio``, ``.risk``, ``.demand``).

Each section is a pydantic model with its defaults here (the risk defaults come from the sourced
``data/risk_defaults.yaml``), so ``gridfirst validate`` locates a typo anywhere in them. Nothing
here runs a model; the engines read these objects from the resolved scenario.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from gridfirst.errors import DataError

RISK_DEFAULTS_FILE = "risk_defaults.yaml"


def reject_bool(value: Any) -> Any:
    """A yes/no where a number belongs is refused (pydantic would read ``true`` as 1.0: a
    flexible share of 100 %), not taken as 0 or 1."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is a yes/no; give a number (e.g. 0.2)")
    return value


class _Section(BaseModel):
    """Base of every options section: unknown keys and non-finite numbers are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class ElectricalPlanOptions(_Section):
    """Each candidate's facility electrical design in the plan (``options.plan.electrical``).

    When set, the resolve step designs every site's and market's power chain and cooling plant
    (:func:`gridfirst.electrical.design_for_market`): its cost per MW of IT replaces the critical
    power and cooling share of the construction cost, and its availability joins the risk
    model's site outages.
    """

    topology: Literal["N", "N+1", "2N", "2(N+1)", "DR", "BR"] = Field(
        default="2N", description="Redundancy of the critical power chain.")
    rack_kw: float = Field(default=130.0, gt=0, le=2000, description="Rack density [kW].")
    generation: Literal["diesel", "gas", "fuel_cell", "none"] = Field(
        default="diesel", description="On-site generation behind the grid.")
    ups_minutes: float = Field(default=5.0, gt=0, le=240,
                               description="UPS battery ride-through [min].")
    it_mw: float | None = Field(
        default=None, gt=0, le=1e5,
        description=("IT MW each design is sized for; default the site's max_it_mw, else "
                     "procurement_load_mw (a representative block)."),
    )


class AlternativesOptions(_Section):
    """Near-optimal alternatives of the plan (``options.plan.alternatives``; the CLI's
    ``--alternatives``, ``--slack`` and ``--min-distance`` override them)."""

    count: int = Field(default=0, ge=0, le=50,
                       description="Alternatives to find after the plan (0: none).")
    slack: float = Field(
        default=0.02, ge=0, le=1,
        description="Each alternative's total cost (cash + penalties, NPV) at most (1 + slack) x "
                    "the plan's.")
    min_distance_mw: float = Field(
        default=20.0, ge=0, le=1e6,
        description=("Minimum distance between kept plans [MW]: mean over years of the summed "
                     "|IT MW online by country| differences (one 10 MW block moved between "
                     "countries for the whole horizon is 20 MW)."))


class PlanOptions(_Section):
    """Settings of ``gridfirst plan`` (``options.plan``)."""

    sensitivity_samples: int = Field(
        default=2000, ge=0, le=1_000_000, description="Weight draws of the rank-robustness view."
    )
    procurement_method: Literal["fast", "highs"] = Field(
        default="fast", description="Solver of the per-site hourly procurement."
    )
    procurement_load_mw: float = Field(
        default=100.0, gt=0, le=1e5,
        description="Flat load each site's procurement prices [MW] (cost per MWh is per MWh).",
    )
    procurement_supply: Literal["market", "reference"] = Field(
        default="market",
        description=("Supply options of each site's procurement: the market's sourced options "
                     "(data/supply) or the reference LP's generic solar, wind, clean firm and "
                     "battery at US costs."),
    )
    supply_year: int | None = Field(
        default=None, ge=2000, le=2100,
        description=("Options available by this year enter each site's supply stack; default "
                     "the horizon's start plus 4 years (a typical build lead, so the year the "
                     "first new capacity runs)."),
    )
    mip_gap: float = Field(
        default=0.001, ge=0, le=1,
        description="Relative MIP gap of the portfolio (a 1% gap leaves block-sized shortfalls).",
    )
    time_limit_s: float = Field(default=30.0, gt=0, le=86_400, description="Portfolio solve limit [s].")
    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="Seed of profiles, weights, risk.")
    flexible_training_share: float | None = Field(
        default=None, ge=0, le=1,
        description=("Share of the training load that may move within the day and between the "
                     "plan's training sites: after the portfolio, their procurement runs as one "
                     "fleet (gridfirst.planning.fleet) and plan.json reports it under 'fleet'; "
                     "unset or 0 runs no fleet."),
    )
    flexible_training_sites: int = Field(
        default=3, ge=1, le=10,
        description=("The fleet takes the plan's largest training sites, at most this many (its "
                     "LP's time grows faster than its number of sites)."),
    )
    flexible_transfer_mw: float | None = Field(
        default=None, ge=0, le=1e6,
        description=("Most training load moved between two training sites in an hour [MW] in "
                     "the fleet; unset: no limit (each site can still take at most twice its "
                     "flexible part)."),
    )
    electrical: ElectricalPlanOptions | None = Field(
        default=None,
        description=("Design each candidate's power chain (topology, rack density) and use its "
                     "cost per MW and availability in the plan; unset keeps the market's flat "
                     "construction cost and no per-site electrical outages."),
    )
    alternatives: AlternativesOptions = Field(
        default_factory=AlternativesOptions,
        description="Near-optimal alternatives of the plan and what they share.")

    _no_bool_flexible = field_validator(
        "flexible_training_share", "flexible_transfer_mw", mode="before")(reject_bool)


class PortfolioOptions(_Section):
    """Assumptions of the build-out model (``options.portfolio``); each default is an assumption."""

    build_lead_time_months: float = Field(
        default=24.0, ge=0, le=240,
        description=(
            "Shell, power train and cooling of a large AI hall, from notice to proceed to ready "
            "for service: 18 to 30 months in recent hyperscale builds; 24 is the middle."
        ),
    )
    utilisation: float = Field(
        default=0.8, gt=0, le=1,
        description=(
            "Average IT load over installed IT capacity of an AI fleet (training near full load, "
            "inference follows the diurnal curve); 0.8 is a round middle value."
        ),
    )
    network_usd_per_mw_year_per_ms: float = Field(
        default=1000.0, ge=0, le=1e9,
        description=(
            "Wide-area transport per MW of inference and per ms of round trip [USD/MW-year/ms]: "
            "a small tie-breaker that prefers nearer sites, not a sourced price."
        ),
    )
    site_fixed_cost_usd: float = Field(
        default=50.0e6, ge=0, le=1e11,
        description=(
            "Fixed cost of opening a site [USD]: land, the high-voltage substation and its "
            "connection, fibre and roads, whatever the MW built (assumption portfolio-site-fixed; "
            "annualised like capital from the first year the site can be online)."
        ),
    )
    grid_acceptance_rate: float = Field(
        default=0.75, ge=0, le=1,
        description=(
            "Share of large-load grid applications a utility accepts where no rate is sourced "
            "(assumption grid-acceptance-assume; sourced rates in data/grid_acceptance.csv)."
        ),
    )
    headroom_share: dict[str, float] = Field(
        default_factory=dict,
        description=(
            "The buyer's share of a market's grid headroom, by market id, overriding the share "
            "derived from competing pipeline and acceptance (gridfirst.resolve.headroom)."
        ),
    )
    include_accelerators: bool = Field(
        default=False,
        description=("Charge accelerator capital per MW of IT online, so the cost and an unmet "
                     "penalty priced as rental revenue are on one footing."),
    )
    accelerator_capex_usd_per_mw: float = Field(
        default=25.0e6, ge=0, le=1e9,
        description=("Accelerator systems per MW of IT [USD/MW]: a GB200 NVL72 rack of ~120 kW "
                     "at USD 2-3 million (source accel-gb200-price)."),
    )
    accelerator_life_years: int = Field(
        default=5, ge=1, le=20,
        description="Years over which accelerator capital is annualised (assumption accel-life).",
    )

    @field_validator("headroom_share")
    @classmethod
    def _shares_in_unit(cls, shares: dict[str, float]) -> dict[str, float]:
        for market, value in shares.items():
            if not math.isfinite(value) or not 0.0 <= value <= 1.0:
                raise ValueError(f"headroom_share.{market}: {value!r} must be a share within 0..1")
        return shares


class DemandOptions(_Section):
    """Settings of the demand outlook (``options.demand``)."""

    shares: dict[str, float] | None = Field(
        default=None, description="Split of inference demand over the demand regions (sums to 1)."
    )

    @field_validator("shares")
    @classmethod
    def _shares(cls, shares: dict[str, float] | None) -> dict[str, float] | None:
        if shares is None:
            return None
        for rid, value in shares.items():
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"shares.{rid}: {value!r} must be a finite number >= 0")
        return shares


# -- risk: every distribution parameter of the Monte Carlo ---------------------------------------


class DelayOptions(_Section):
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


class DisruptionOptions(_Section):
    """Site-down events per market (Poisson), each lasting an exponential time.

    rate = base + conflict x threat share + seismic + cyclone [events/year], where the threat
    share is 1 - exp(-threat exposure) from named flashpoints near the site
    (:func:`gridfirst.compliance.threat_exposure`), and seismic =
    (1 / return period) x (PGA_475 / damage PGA)^slope (a power-law hazard curve through the
    bundled 475-year PGA) and cyclone = -ln(1 - p10y) / 10 x outage-given-wind.
    """

    enabled: bool
    base_rate_per_year: float = Field(ge=0, le=10)
    conflict_rate_per_year_at_full_threat: float = Field(ge=0, le=10)
    seismic_damage_pga_g: float = Field(gt=0, le=5)
    seismic_hazard_slope: float = Field(ge=0, le=10)
    seismic_return_period_years: float = Field(gt=0, le=1e6)
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


class CableOptions(_Section):
    """Submarine cable faults per market: Poisson over its cable systems, each stranding a share."""

    enabled: bool
    faults_per_system_year: float = Field(ge=0, le=50)
    unprotected_share: float = Field(ge=0, le=1)
    repair_mean_months: float = Field(ge=0, le=24)


class PriceOptions(_Section):
    """Energy price factor per market and year: lognormal AR(1) with crisis-year spikes."""

    enabled: bool
    common_sigma: float = Field(ge=0, le=3)
    market_sigma: float = Field(ge=0, le=3)
    year_correlation: float = Field(ge=-1, le=1)
    spike_probability_per_year: float = Field(ge=0, le=1)
    spike_multiplier: float = Field(ge=0, le=20)


class DemandPathOptions(_Section):
    """Demand paths through the outlook's low/base/high band (two-piece normal, one path a key)."""

    enabled: bool
    band_quantile: float = Field(gt=0.5, lt=1)
    key_correlation: float = Field(ge=0, le=1)


class SwitchOptions(_Section):
    """A source of uncertainty whose parameters are data, not options (only a switch here).

    ``grid_refusal``: a market's generic grid pool is refused with probability 1 - its acceptance
    rate (``resolve.headroom``: the buyer's share is then ``share_low``, else ``share_high``);
    ``deal_failure``: a space deal not yet signed fails to deliver with probability 1 - the close
    probability of its stage (``deals.stages``); ``export_denial``: an export licence still needed
    is refused with the compliance table's ``denial_probability`` and the market delivers nothing.
    """

    enabled: bool


class BridgeOptions(_Section):
    """Bridge colocation: MW rented at short notice in a future that falls short (the robust
    plan's recourse, :mod:`gridfirst.risk.saa`; the Monte Carlo evaluator does not rent it).

    Up to ``max_share_of_demand`` of each demand key's MW in a year, at ``usd_per_mw_year``
    (rent and energy of 1 IT MW for a year).
    """

    enabled: bool
    usd_per_mw_year: float = Field(ge=0, le=1e9)
    max_share_of_demand: float = Field(ge=0, le=1)


RISK_SECTIONS = ("interconnection", "construction", "disruption", "cable", "price", "demand",
                 "grid_refusal", "deal_failure", "export_denial", "bridge")


@lru_cache(maxsize=1)
def risk_default_table() -> dict[str, dict[str, dict[str, Any]]]:
    """The bundled risk defaults as {section: {parameter: {value, source_id, note}}}."""
    import yaml

    from gridfirst.data import data_dir

    path = data_dir() / RISK_DEFAULTS_FILE
    try:
        table = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DataError(f"{path.name}: not valid YAML: {exc}") from None
    for section, params in table.items():
        for name, entry in params.items():
            if not isinstance(entry, dict) or {"value", "source_id", "note"} - set(entry):
                raise DataError(f"{path.name}: {section}.{name} needs value, source_id and note")
    return table


def _risk_defaults() -> dict[str, dict[str, Any]]:
    return {sec: {k: v["value"] for k, v in params.items()} for sec, params in risk_default_table().items()}


def _deep_merge(base: dict[str, Any], override: Any) -> Any:
    """``override`` laid over ``base``; unknown keys are kept so validation names them."""
    if not isinstance(override, dict):
        return override
    out = dict(base)
    for key, value in override.items():
        if isinstance(base.get(key), dict) and isinstance(value, dict):
            out[key] = _deep_merge(base[key], value)
        else:
            out[key] = value
    return out


class RiskOptions(_Section):
    """Every distribution parameter of the Monte Carlo (``options.risk``), over the sourced
    defaults in ``data/risk_defaults.yaml``; a scenario overrides single values by name."""

    interconnection: DelayOptions
    construction: DelayOptions
    disruption: DisruptionOptions
    cable: CableOptions
    price: PriceOptions
    demand: DemandPathOptions
    grid_refusal: SwitchOptions
    deal_failure: SwitchOptions
    export_denial: SwitchOptions
    bridge: BridgeOptions

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        if data is None:
            return _risk_defaults()
        if isinstance(data, dict):
            return _deep_merge(_risk_defaults(), data)
        return data

    def deterministic(self) -> RiskOptions:
        """The same options with every source of uncertainty switched off."""
        update = {name: getattr(self, name).model_copy(update={"enabled": False})
                  for name in RISK_SECTIONS}
        return self.model_copy(update=update)

    def only(self, *sections: str) -> RiskOptions:
        """The same options with only the named sections switched on."""
        from gridfirst.errors import ScenarioError

        unknown = set(sections) - set(RISK_SECTIONS)
        if unknown:
            raise ScenarioError(
                f"options.risk: unknown section(s) {sorted(unknown)}; known {RISK_SECTIONS}"
            )
        update = {name: getattr(self, name).model_copy(update={"enabled": name in sections})
                  for name in RISK_SECTIONS}
        return self.model_copy(update=update)


def default_risk_options() -> RiskOptions:
    """The bundled, sourced risk defaults."""
    return RiskOptions.model_validate({})


class Options(_Section):
    """The scenario's ``options``: one typed section per capability, defaults when absent."""

    plan: PlanOptions = Field(default_factory=PlanOptions)
    portfolio: PortfolioOptions = Field(default_factory=PortfolioOptions)
    risk: RiskOptions = Field(default_factory=default_risk_options)
    demand: DemandOptions = Field(default_factory=DemandOptions)


# -- procurement cost overrides (``costs``) -----------------------------------------------------

_CAPITAL_KEYS = {"solar": "mw", "wind": "mw", "battery_power": "mw", "battery_energy": "mwh",
                 "firm": "mw", "backup": "mw"}


def _cost_fields() -> dict[str, Any]:
    fields: dict[str, Any] = {"discount_rate": (float | None, Field(default=None, ge=0, le=0.5))}
    for tech, unit in _CAPITAL_KEYS.items():
        for key in (f"{tech}_usd_per_{unit}_year", f"{tech}_overnight_usd_per_{unit}",
                    f"{tech}_fixed_om_usd_per_{unit}_year"):
            fields[key] = (float | None, Field(default=None, ge=0, le=1e12))
        fields[f"{tech}_lifetime_years"] = (float | None, Field(default=None, gt=0, le=200))
    for key in ("firm_marginal_usd_per_mwh", "backup_marginal_usd_per_mwh",
                "backup_intensity_tco2_per_mwh", "grid_limit_mw"):
        fields[key] = (float | None, Field(default=None, ge=0, le=1e12))
    for key in ("battery_charge_efficiency", "battery_discharge_efficiency"):
        fields[key] = (float | None, Field(default=None, gt=0, le=1))
    return fields


def _make_costs_model() -> type[BaseModel]:
    from pydantic import create_model

    model: type[BaseModel] = create_model(  # type: ignore[call-overload]
        "CostOverrides", __base__=_Section, **_cost_fields()
    )
    model.__doc__ = (
        "Procurement cost overrides (``costs``): any key of the cost inputs of "
        ":mod:`gridfirst.procurement.costs`, laid over the sourced defaults."
    )
    return model


#: The scenario's ``costs`` section: every key optional, unknown keys and non-finite values errors.
CostOverrides = _make_costs_model()


def given_costs(costs: BaseModel) -> dict[str, float]:
    """The cost keys a scenario actually sets (unset keys keep the sourced defaults)."""
    return {k: float(v) for k, v in costs.model_dump(exclude_none=True).items()}
