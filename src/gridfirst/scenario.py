"""The scenario model: markets, sites, deals, demand and the buyer's policy, validated with pydantic.

Every later capability reads a :class:`Scenario`. This module knows nothing of how a scenario is
optimised or shown; it only defines, validates and (de)serialises it, with units in every name.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from gridfirst.errors import ScenarioError
from gridfirst.options import CostOverrides, Options, reject_bool

Region = Literal["asia_pacific", "north_america", "europe", "middle_east", "africa", "latin_america"]
LegalRegime = Literal["yes", "limited", "no"]
Workload = Literal["training", "inference"]
DealKind = Literal["lease", "powered_shell", "build_to_suit", "colocation", "ppa"]
DealStage = Literal["prospect", "qualified", "nda", "loi", "term_sheet", "negotiation", "signed",
                    "energised", "lost"]

# ISO 3166-1 alpha-2 codes are checked for shape here; the bundled data are checked for membership
# in tests. A full code list would be a data file, not a regex.
_ISO2_PATTERN = r"^[A-Z]{2}$"
_ID_PATTERN = r"^[a-z0-9][a-z0-9_\-]*$"


@lru_cache(maxsize=1)
def iso_country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes (the GeoNames country list, :mod:`gridfirst.data.gazetteer`)."""
    from gridfirst.data.gazetteer import country_codes

    return country_codes()


def _check_country(code: str) -> str:
    if code not in iso_country_codes():
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return code


class _Model(BaseModel):
    """Base for every scenario object: unknown fields are errors, assignments are validated."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False
    )


class Market(_Model):
    """A candidate market (a metro area or region) with the criteria users weigh.

    Values come from the bundled, sourced dataset (:mod:`gridfirst.data`) and may be overridden
    field by field in a scenario.
    """

    id: str = Field(pattern=_ID_PATTERN, description="Stable id, e.g. 'jp-tokyo-inzai'.")
    name: str = Field(min_length=1)
    country: str = Field(pattern=_ISO2_PATTERN, description="ISO 3166-1 alpha-2 code.")
    region: Region
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)

    # Power first.
    grid_available_mw: float = Field(ge=0, description="Grid power available to new large loads.")
    grid_energisation_year: int = Field(ge=2000, le=2100)
    interconnection_lead_time_months: float = Field(ge=0, le=240)
    # Energy.
    price_usd_per_mwh: float = Field(ge=0, description="Industrial electricity price, all-in.")
    grid_intensity_tco2_per_mwh: float = Field(ge=0, le=2)
    grid_cfe_share: float = Field(ge=0, le=1, description="Carbon-free share of grid supply.")
    solar_cf: float = Field(ge=0, le=1, description="Annual capacity factor of utility PV.")
    wind_cf: float = Field(ge=0, le=1, description="Annual capacity factor of onshore wind.")
    # Land and build.
    land_cost_usd_per_m2: float = Field(ge=0)
    construction_cost_usd_per_mw: float = Field(ge=0, description="Per MW of IT load.")
    # Governance, security, law.
    political_stability_percentile: float = Field(ge=0, le=100)
    regulatory_quality_percentile: float = Field(ge=0, le=100)
    conflict_exposure_gpi: float = Field(ge=1, le=5, description="Global Peace Index score.")
    ai_training_legal_regime: LegalRegime
    # Hazards and climate.
    seismic_hazard_pga_g: float = Field(ge=0, le=3)
    cyclone_hazard_level: int = Field(ge=0, le=3)
    water_stress_score: float = Field(ge=0, le=5)
    mean_temperature_c: float = Field(ge=-30, le=45)
    # Market and workforce.
    labour_capacity_mw_per_year: float = Field(ge=0)
    existing_capacity_mw: float = Field(ge=0)
    competing_pipeline_mw: float = Field(ge=0)
    cable_systems: list[str] = Field(default_factory=list)
    incentives: str = ""
    # Optional engineering override; otherwise derived from the climate (see :func:`pue`).
    pue: float | None = Field(default=None, ge=1.0, le=3.0)

    @field_validator("country")
    @classmethod
    def _known_country(cls, code: str) -> str:
        return _check_country(code)

    @property
    def cable_systems_count(self) -> int:
        return len(self.cable_systems)

    @property
    def design_pue(self) -> float:
        """The market's PUE: the override when given, otherwise :func:`pue_from_climate`."""
        return self.pue if self.pue is not None else pue_from_climate(self.mean_temperature_c)


def pue_from_climate(mean_temperature_c: float) -> float:
    """Design PUE of a new large AI data centre from the site's annual mean temperature.

    A linear fit through two anchors: a free-cooled Nordic site (mean ~5 degC) runs at about 1.15
    and a tropical site (mean ~28 degC, e.g. Singapore) at about 1.35. Clipped to [1.08, 1.6].

    Parameters
    ----------
    mean_temperature_c : float
        Annual mean air temperature [degC].

    Returns
    -------
    float
        Power usage effectiveness [-].

    References
    ----------
    .. [1] Uptime Institute (2024). Global Data Center Survey 2024 (average PUE 1.56, new
       hyperscale builds well below).
    .. [2] IMDA Singapore (2024). Green Data Centre Roadmap (target PUE <= 1.3 in the tropics).
    """
    slope = (1.35 - 1.15) / (28.0 - 5.0)
    value = 1.15 + slope * (mean_temperature_c - 5.0)
    return float(min(1.6, max(1.08, value)))


class PowerStep(_Model):
    """From ``year`` on, the site has ``available_mw`` of grid plus on-site power."""

    year: int = Field(ge=2000, le=2100)
    available_mw: float = Field(ge=0)


class FlexibleConnection(_Model):
    """A non-firm grid connection: the site accepts curtailment in the hours its zone peaks.

    The site gets the zone's curtailment-enabled headroom (:mod:`gridfirst.headroom`) up to its
    size, from the flexible lead time on, and pays for the curtailed energy at its value.
    """

    curtailment_budget: float = Field(
        ge=0, lt=1, description="Share of the site's annual energy that may be curtailed [-]."
    )
    value_usd_per_mwh: float | None = Field(
        default=None, ge=0,
        description="Value of the curtailed energy [USD/MWh] (default: bundled assumption).",
    )
    lead_time_months: float | None = Field(
        default=None, ge=0, le=240,
        description="Months from the plan start to a flexible connection (default: bundled "
        "assumption); the firm connection keeps the market's energisation date.",
    )


    _no_bool = field_validator(
        "curtailment_budget", "value_usd_per_mwh", "lead_time_months", mode="before")(reject_bool)

class Site(_Model):
    """A concrete location or offer inside a market, with its own power schedule and terms.

    Any field left unset falls back to the market's value.
    """

    id: str = Field(pattern=_ID_PATTERN)
    market: str = Field(description="Id of the market the site is in.")
    name: str = ""
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    power_schedule: list[PowerStep] = Field(
        default_factory=list, description="Power available by year (steps, ascending years)."
    )
    max_it_mw: float | None = Field(default=None, ge=0, description="Largest IT load the land holds.")
    pue: float | None = Field(default=None, ge=1.0, le=3.0)
    build_lead_time_months: float | None = Field(default=None, ge=0, le=240)
    price_usd_per_mwh: float | None = Field(default=None, ge=0)
    construction_cost_usd_per_mw: float | None = Field(default=None, ge=0)
    risk_clusters: list[str] = Field(
        default_factory=list, description="Shared grid, cable corridor or seismic zone labels."
    )
    flexible_connection: FlexibleConnection | None = Field(
        default=None,
        description="Connect non-firm with a curtailment budget (earlier or larger connection).",
    )
    weather_file: str | None = Field(
        default=None,
        description="TMY3, EPW, PVGIS or CSV weather year for the site's solar and wind profiles "
        "(gridfirst.weather); a relative path is read from the scenario file's folder.",
    )

    @field_validator("weather_file")
    @classmethod
    def _weather_file(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        path = Path(value).expanduser()
        base = (info.context or {}).get("base_dir")
        if not path.is_absolute() and base is not None:
            path = Path(base) / path
        if not path.is_file():
            raise ValueError(f"{value!r}: weather file not found (looked for {path})")
        return str(path)

    @field_validator("power_schedule")
    @classmethod
    def _ascending(cls, steps: list[PowerStep]) -> list[PowerStep]:
        years = [s.year for s in steps]
        if years != sorted(set(years)):
            raise ValueError(f"years {years} must be strictly ascending")
        return steps


def candidate_market(market: Market, site: Site | None = None, candidate_id: str | None = None
                     ) -> Market:
    """The market a candidate sees: its market, with the site's own values where set.

    The site's coordinates (when both are set) and ``price_usd_per_mwh`` replace the market's;
    everything else (solar and wind CF, grid intensity, ...) is the market's. The copy keeps the
    market's id unless ``candidate_id`` is given.
    """
    update: dict[str, Any] = {}
    if site is not None:
        if site.latitude is not None and site.longitude is not None:
            update.update(latitude=site.latitude, longitude=site.longitude)
        if site.price_usd_per_mwh is not None:
            update["price_usd_per_mwh"] = site.price_usd_per_mwh
        if site.pue is not None:
            update["pue"] = site.pue
    if candidate_id is not None:
        update["id"] = candidate_id
    return market.model_copy(update=update) if update else market.model_copy()



#: Technologies a PPA may deliver (their hourly shape comes from the market's profiles).
PPA_TECHNOLOGIES = ("solar", "wind", "offshore_wind", "hydro", "geothermal", "nuclear")
PpaTechnology = Literal["solar", "wind", "offshore_wind", "hydro", "geothermal", "nuclear"]


class Deal(_Model):
    """A commercial offer: lease, powered shell, build-to-suit, colocation or an energy PPA."""

    id: str = Field(pattern=_ID_PATTERN)
    kind: DealKind
    counterparty: str = Field(min_length=1)
    market: str
    site: str | None = None
    capacity_mw: float = Field(gt=0, description="IT MW for space deals, MW for a PPA.")
    start_year: int = Field(ge=2000, le=2100)
    term_years: int = Field(ge=1, le=50)
    price_usd_per_kw_month: float | None = Field(
        default=None, ge=0, description="Space deals: all-in rent per kW of IT per month."
    )
    price_usd_per_mwh: float | None = Field(default=None, ge=0, description="PPA energy price.")
    take_or_pay_share: float = Field(default=0.0, ge=0, le=1)
    stage: DealStage = "prospect"
    energy: Literal["included", "pass_through"] | None = Field(
        default=None,
        description=("Space deals: whether the rent includes the energy ('included') or the "
                     "tenant pays the metered energy at the market's grid price ('pass_through'); "
                     "default by kind (see gridfirst.resolve.candidates.DEAL_ENERGY)."),
    )
    technology: PpaTechnology | None = Field(
        default=None,
        description=("PPAs: the technology whose hourly output the contract delivers (its "
                     "market's hourly profile of that technology times capacity_mw)."),
    )
    notes: str = ""

    @model_validator(mode="after")
    def _ppa_technology(self) -> Deal:
        if self.kind == "ppa" and self.technology is None:
            raise ValueError(f"technology: PPA {self.id!r} needs the technology it delivers, one "
                             f"of {', '.join(PPA_TECHNOLOGIES)}")
        return self


class DemandRegion(_Model):
    """Where a group of users sits: a city or a metro area, placed by coordinates."""

    id: str = Field(pattern=_ID_PATTERN)
    name: str
    city: str = Field(description="City name as in the demand-centre data, e.g. 'Tokyo'.")
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    serve_from: list[str] = Field(
        default_factory=list,
        description=(
            "Data residency: countries (ISO 3166-1 alpha-2) or market ids whose sites may serve "
            "this region's inference; empty means anywhere the latency allows."
        ),
    )
    residency_basis: str = Field(
        default="", description="The law or contract behind serve_from, e.g. 'Korea PIPA art. 28-8'."
    )


class Buyer(_Model):
    """Who deploys the accelerators: the buyer's home jurisdiction, its chips and its licences.

    Export-control rules (:mod:`gridfirst.compliance`) are evaluated for this buyer.
    """

    jurisdiction: str = Field(pattern=_ISO2_PATTERN, description="Home country, ISO 3166-1 alpha-2.")
    accelerators: list[str] = Field(
        min_length=1, description="Accelerator ids of data/accelerators.yaml, e.g. 'gb200-nvl72'."
    )
    licences: list[str] = Field(
        default_factory=list,
        description="Export licences or authorisations held: a rule id or a destination country.",
    )
    as_of: date | None = Field(
        default=None,
        description="Date the rules are read as of (default: 1 January of the horizon's start).",
    )

    @field_validator("jurisdiction")
    @classmethod
    def _known_country(cls, code: str) -> str:
        return _check_country(code)

    @field_validator("accelerators")
    @classmethod
    def _known_accelerators(cls, ids: list[str]) -> list[str]:
        known = accelerator_ids()
        for acc in ids:
            if acc not in known:
                import difflib

                close = difflib.get_close_matches(acc, sorted(known), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ValueError(f"{acc!r} is not a known accelerator id{hint} (known: {sorted(known)})")
        return ids


@lru_cache(maxsize=1)
def accelerator_ids() -> frozenset[str]:
    """Accelerator ids of the bundled ``data/accelerators.yaml``."""
    from gridfirst.data import data_dir

    raw = yaml.safe_load((data_dir() / "accelerators.yaml").read_text(encoding="utf-8"))
    return frozenset(raw.get("accelerators", {}))


class DemandPoint(_Model):
    """IT MW needed by a region (or by the training pool) in a year, with a low/high band."""

    region: str
    year: int = Field(ge=2000, le=2100)
    workload: Workload
    mw: float = Field(ge=0)
    low_mw: float | None = Field(default=None, ge=0)
    high_mw: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _band_order(self) -> DemandPoint:
        low = self.low_mw if self.low_mw is not None else self.mw
        high = self.high_mw if self.high_mw is not None else self.mw
        if not low <= self.mw <= high:
            raise ValueError(f"need low_mw <= mw <= high_mw, got {low} <= {self.mw} <= {high}")
        return self


class DemandOutlook(_Model):
    """IT MW by demand region and year, split training / inference, with low/base/high bands.

    Training demand is not tied to users; it uses the region id ``training`` by convention
    (:data:`TRAINING_POOL`), but any region id is accepted.
    """

    regions: list[DemandRegion] = Field(default_factory=list)
    points: list[DemandPoint] = Field(default_factory=list)

    def table(self) -> Any:
        """Return the points as a pandas DataFrame (region, year, workload, mw, low_mw, high_mw)."""
        import pandas as pd

        rows = [p.model_dump() for p in self.points]
        frame = pd.DataFrame(rows, columns=["region", "year", "workload", "mw", "low_mw", "high_mw"])
        frame["low_mw"] = frame["low_mw"].fillna(frame["mw"])
        frame["high_mw"] = frame["high_mw"].fillna(frame["mw"])
        return frame


TRAINING_POOL = "training"


def _default_regimes() -> list[LegalRegime]:
    return ["yes", "limited"]


class RiskAppetite(_Model):
    """How much risk the buyer takes: the weight of market risk scores and how a robust plan
    weighs its sampled futures (``gridfirst plan --robust K``).

    A plain ``low | medium | high`` is ``{level: ...}`` with the other fields at their defaults.

    Attributes
    ----------
    level : {"low", "medium", "high"}
        Weight of the market risk scores in the portfolio's cost (as before).
    measure : {"expected", "cvar", "chance"}
        The robust plan minimises first-stage cost plus the expected recourse cost (``expected``),
        plus ``cvar_weight`` x the CVaR at ``cvar_level`` of the recourse cost (``cvar``), or the
        expected cost subject to meeting demand in at least ``chance_level`` of the futures
        (``chance``; a future counts as met when its unmet MW-years are within the deterministic
        plan's structural shortfall plus ``chance_shortfall_share`` of the future's demand
        MW-years).
    cvar_level : float
        Tail probability level of the CVaR, in (0, 1) (0.95: the mean of the worst 5%).
    cvar_weight : float
        Weight of the CVaR term against the expectation, >= 0.
    chance_level : float
        Share of futures in which demand must be met, in (0, 1].
    chance_shortfall_share : float
        Unmet share of a future's demand MW-years that still counts as met (delays make some
        early shortfall unavoidable in most futures), in [0, 1).
    """

    level: Literal["low", "medium", "high"] = "medium"
    measure: Literal["expected", "cvar", "chance"] = "expected"
    cvar_level: float = Field(default=0.95, gt=0, lt=1)
    cvar_weight: float = Field(default=1.0, ge=0, le=100)
    chance_level: float = Field(default=0.9, gt=0, le=1)
    chance_shortfall_share: float = Field(default=0.05, ge=0, lt=1)

    @model_validator(mode="before")
    @classmethod
    def _from_level(cls, data: Any) -> Any:
        return {"level": data} if isinstance(data, str) else data

    @model_serializer(mode="wrap")
    def _as_level(self, handler: Any) -> Any:
        out = handler(self)
        if all(getattr(self, k) == f.default for k, f in type(self).model_fields.items()
               if k != "level"):
            return self.level  # a plain appetite stays the plain string it was written as
        return out


class Policy(_Model):
    """The buyer's rules: carbon target, money, diversification, latency, exclusions, risk."""

    cfe_target: float = Field(default=0.9, ge=0, le=1, description="Hourly 24/7 CFE target.")
    discount_rate: float = Field(default=0.08, ge=0, le=0.5, description="Real, per year.")
    asset_life_years: int = Field(default=20, ge=1, le=60)
    max_share_per_country: float = Field(default=0.5, gt=0, le=1)
    max_share_per_cluster: float = Field(default=1.0, gt=0, le=1)
    latency_sla_ms: dict[str, float] = Field(
        default_factory=lambda: {"inference": 50.0},
        description="Round-trip latency service level by workload or by demand-region id [ms].",
    )
    excluded_markets: list[str] = Field(default_factory=list)
    excluded_countries: list[str] = Field(default_factory=list)

    @field_validator("latency_sla_ms")
    @classmethod
    def _sla_positive(cls, sla: dict[str, float]) -> dict[str, float]:
        for key, value in sla.items():
            if not value > 0:
                raise ValueError(f"latency_sla_ms.{key}: {value!r} must be a round trip > 0 ms")
        return sla

    max_conflict_exposure_gpi: float = Field(default=3.0, ge=1, le=5)
    training_legal_regimes: list[LegalRegime] = Field(default_factory=_default_regimes)
    min_grid_mw: float = Field(default=0.0, ge=0, description="Screen: grid MW by min_grid_year.")
    min_grid_year: int | None = Field(default=None, ge=2000, le=2100)
    risk_appetite: RiskAppetite = Field(
        default_factory=RiskAppetite,
        description="low | medium | high, or {level, measure: expected|cvar|chance, cvar_level, "
        "cvar_weight, chance_level, chance_shortfall_share} (see RiskAppetite).")
    unmet_penalty_usd_per_mw_year: float = Field(default=5.0e6, ge=0)
    block_mw: float = Field(default=10.0, gt=0, description="Capacity is added in blocks of this.")
    min_build_mw: float = Field(default=20.0, ge=0, description="Smallest first build at a site.")
    training_campus_min_mw: float = Field(
        default=100.0, ge=0,
        description=("Training runs only on a campus holding at least this many IT MW at one "
                     "site in that year (0: anywhere). Default: a frontier training cluster of "
                     "~100,000 GPUs draws 100-150 MW at one site (source demand-frontier-campus)."),
    )
    phase_mw: float | None = Field(
        default=None, gt=0,
        description="The IT MW a campus grows by (one construction phase); default block_mw.",
    )

    @field_validator("excluded_countries")
    @classmethod
    def _iso2(cls, codes: list[str]) -> list[str]:
        for code in codes:
            _check_country(code)
        return codes


class Horizon(_Model):
    start_year: int = Field(default=2026, ge=2000, le=2100)
    end_year: int = Field(default=2035, ge=2000, le=2100)

    @model_validator(mode="after")
    def _order(self) -> Horizon:
        if self.end_year < self.start_year:
            raise ValueError(f"end_year {self.end_year} is before start_year {self.start_year}")
        return self

    @property
    def years(self) -> list[int]:
        return list(range(self.start_year, self.end_year + 1))


class MarketSelection(_Model):
    """Which bundled markets a scenario uses, field-by-field overrides, and the user's own markets."""

    include: list[str] | None = Field(
        default=None, description="Bundled market ids to use; all bundled markets when unset."
    )
    overrides: dict[str, dict[str, Any]] = Field(default_factory=dict)
    extra: list[Market] = Field(default_factory=list)


class Scenario(_Model):
    """Everything one planning run reads."""

    name: str = Field(pattern=_ID_PATTERN)
    description: str = ""
    currency_year: int = Field(default=2024, ge=2000, le=2100, description="USD of this year.")
    horizon: Horizon = Field(default_factory=Horizon)
    markets: MarketSelection = Field(default_factory=MarketSelection)
    sites: list[Site] = Field(default_factory=list)
    deals: list[Deal] = Field(default_factory=list)
    deals_db: str | None = Field(
        default=None,
        description="Deals store (SQLAlchemy URL or SQLite file) whose live deals join `deals`.",
    )
    demand: DemandOutlook = Field(default_factory=DemandOutlook)
    policy: Policy = Field(default_factory=Policy)
    buyer: Buyer | None = Field(
        default=None,
        description="Who deploys the chips; export controls are evaluated only when it is given.",
    )
    weights: dict[str, float] = Field(
        default_factory=dict, description="Scoring weight overrides by criterion name."
    )
    costs: CostOverrides = Field(  # type: ignore[valid-type]
        default_factory=CostOverrides,
        description="Procurement cost overrides (see gridfirst.procurement.costs).",
    )
    options: Options = Field(
        default_factory=Options, description="Run options, one typed section per capability."
    )

    _resolved: list[Market] = PrivateAttr(default_factory=list)

    @field_validator("weights")
    @classmethod
    def _weights(cls, weights: dict[str, float]) -> dict[str, float]:
        for name, value in weights.items():
            if value < 0:
                raise ValueError(f"weights.{name}: {value!r} must be >= 0")
        return weights

    @model_validator(mode="after")
    def _resolve(self) -> Scenario:
        # Collect every cross-reference problem, one line each, so a user fixes them in one pass.
        problems: list[str] = []
        self._resolved = _resolve_markets(self.markets, problems)
        ids = {m.id for m in self._resolved}
        _check_unique([s.id for s in self.sites], "sites", problems)
        _check_unique([d.id for d in self.deals], "deals", problems)
        _check_unique([r.id for r in self.demand.regions], "demand.regions", problems)
        site_ids = {s.id for s in self.sites}
        for i, site in enumerate(self.sites):
            if site.market not in ids:
                problems.append(_missing(f"sites[{i}].market", site.market, ids))
        for i, deal in enumerate(self.deals):
            if deal.market not in ids:
                problems.append(_missing(f"deals[{i}].market", deal.market, ids))
            if deal.site is not None and deal.site not in site_ids:
                problems.append(_missing(f"deals[{i}].site", deal.site, site_ids))
        region_ids = {r.id for r in self.demand.regions} | {TRAINING_POOL}
        years = set(self.horizon.years)
        seen_points: dict[tuple[str, int, str], int] = {}
        for i, point in enumerate(self.demand.points):
            if point.region not in region_ids:
                problems.append(_missing(f"demand.points[{i}].region", point.region, region_ids))
            if point.year not in years:
                problems.append(
                    f"demand.points[{i}].year: {point.year} is outside the horizon "
                    f"{self.horizon.start_year}..{self.horizon.end_year}"
                )
            point_key = (point.region, point.year, point.workload)
            if point_key in seen_points:
                problems.append(
                    f"demand.points[{i}]: {point.region} {point.workload} {point.year} is given "
                    f"twice (also demand.points[{seen_points[point_key]}]); give each point once"
                )
            seen_points.setdefault(point_key, i)
        countries = iso_country_codes()
        for i, region in enumerate(self.demand.regions):
            for j, where in enumerate(region.serve_from):
                if where not in ids and where not in countries:
                    problems.append(_missing(f"demand.regions[{i}].serve_from[{j}]", where, ids)
                                    .replace("is not a known id", "is not a market id or a country code"))
        sla_keys = {"inference", "training"} | {r.id for r in self.demand.regions}
        for key in self.policy.latency_sla_ms:
            if key not in sla_keys:
                problems.append(_missing(f"policy.latency_sla_ms.{key}", key, sla_keys))
        shares = self.options.demand.shares
        for rid in shares or {}:
            if rid not in {r.id for r in self.demand.regions}:
                problems.append(
                    _missing(f"options.demand.shares.{rid}", rid, {r.id for r in self.demand.regions})
                )
        for i, mid in enumerate(self.policy.excluded_markets):
            if mid not in ids:
                problems.append(_missing(f"policy.excluded_markets[{i}]", mid, ids))
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def resolved_markets(self) -> list[Market]:
        """The scenario's markets: bundled (selected, overridden) plus the user's own."""
        return [m.model_copy() for m in self._resolved]

    def market(self, market_id: str) -> Market:
        for m in self._resolved:
            if m.id == market_id:
                return m.model_copy()
        raise ScenarioError(_missing("market", market_id, {m.id for m in self._resolved}))

    def markets_table(self) -> Any:
        """The resolved markets as a DataFrame indexed by id (lists kept as Python lists)."""
        import pandas as pd

        frame = pd.DataFrame([m.model_dump() for m in self._resolved]).set_index("id")
        frame["cable_systems_count"] = frame["cable_systems"].map(len)
        frame["design_pue"] = [m.design_pue for m in self._resolved]
        return frame

    def to_yaml(self) -> str:
        return dump_yaml(self)


def _check_unique(ids: list[str], where: str, problems: list[str]) -> None:
    seen: set[str] = set()
    for i, value in enumerate(ids):
        if value in seen:
            problems.append(f"{where}[{i}].id: {value!r} is a duplicate id")
        seen.add(value)


def _missing(path: str, value: str, known: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(value, sorted(known), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"{path}: {value!r} is not a known id{hint}"


def _resolve_markets(selection: MarketSelection, problems: list[str]) -> list[Market]:
    """Bundled markets chosen and overridden, plus the user's own; problems are appended."""
    from gridfirst.data import bundled_markets

    bundled = {m.id: m for m in bundled_markets()}
    if selection.include is None:
        chosen = list(bundled)
    else:
        chosen = []
        for i, mid in enumerate(selection.include):
            if mid not in bundled:
                problems.append(_missing(f"markets.include[{i}]", mid, set(bundled)))
            elif mid in chosen:
                problems.append(f"markets.include[{i}]: {mid!r} is a duplicate id")
            else:
                chosen.append(mid)
    markets: list[Market] = []
    for mid in chosen:
        base = bundled[mid].model_dump()
        base.update(selection.overrides.get(mid, {}))
        try:
            markets.append(Market.model_validate(base))
        except ValidationError as exc:
            problems.extend(
                _format_error(err, prefix=f"markets.overrides.{mid}") for err in exc.errors()
            )
            # keep the market so references to it do not report a second, derived problem
            markets.append(bundled[mid])
    for mid in selection.overrides:
        if mid not in chosen:
            problems.append(_missing(f"markets.overrides.{mid}", mid, set(chosen)))
    taken = set(bundled) | {m.id for m in markets}
    for i, extra in enumerate(selection.extra):
        if extra.id in taken:
            problems.append(f"markets.extra[{i}].id: {extra.id!r} is a duplicate id")
        else:
            markets.append(extra)
            taken.add(extra.id)
    return markets


def _format_loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _format_error(err: Any, prefix: str = "") -> str:
    """One pydantic error as 'path: value problem', e.g. 'markets[3].price_usd_per_mwh: -20 is below 0'."""
    loc = _format_loc(tuple(err.get("loc", ())))
    path = ".".join(p for p in (prefix, loc) if p)
    kind = err.get("type", "")
    value = _Shown(err.get("input"))
    ctx = {k: _num(v) for k, v in (err.get("ctx") or {}).items()}
    if kind == "value_error" and not loc:
        # raised by a whole-scenario check whose message already starts with the field path
        message = str(ctx.get("error", err.get("msg")))
        if not prefix:
            return message
        return "\n".join(f"{prefix}.{line}" for line in message.split("\n"))
    path = path or "(top level)"
    if kind == "greater_than_equal":
        problem = f"{value!r} is below {ctx.get('ge')}"
    elif kind == "greater_than":
        problem = f"{value!r} must be greater than {ctx.get('gt')}"
    elif kind == "less_than_equal":
        problem = f"{value!r} is above {ctx.get('le')}"
    elif kind == "less_than":
        problem = f"{value!r} must be less than {ctx.get('lt')}"
    elif kind == "extra_forbidden":
        noun = "option" if path.startswith("options.") else "field"
        problem = f"unknown {noun} {loc.split('.')[-1]!r} (value {value!r}); check the spelling"
    elif kind == "missing":
        problem = "required field is missing"
    elif kind == "value_error":
        problem = str(ctx.get("error", err.get("msg")))
    else:
        problem = f"{value!r}: {err.get('msg')}"
    return f"{path}: {problem}"


class _Shown:
    """A value as it appears in a message: its repr, cut to one short line."""

    MAX_CHARS = 60

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        text = repr(_num(self.value)).replace("\n", " ")
        if len(text) > self.MAX_CHARS:
            text = text[: self.MAX_CHARS - 3] + "..."
        return text

    __str__ = __repr__


def _num(value: Any) -> Any:
    """Show 0.0 as 0 and 90.0 as 90 in messages; other values unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _parse(data: Any, source: str, base_dir: Path | None = None) -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(f"{source}: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return Scenario.model_validate(data, context={"base_dir": base_dir})
    except ValidationError as exc:
        problems = [
            f"{source}: {line}" for err in exc.errors() for line in _format_error(err).split("\n")
        ]
        raise ScenarioError("\n".join(problems), problems) from None


def load_scenario(path: str | Path | None = None) -> Scenario:
    """Load and validate a scenario YAML file (the bundled ``apac.yaml`` when ``path`` is None).

    Raises
    ------
    ScenarioError
        With one line per problem naming the file, the field path, the bad value and what was
        expected.
    """
    file = Path(path) if path is not None else example_path()
    return _parse(read_yaml(file, ScenarioError, what="scenario file"), file.name,
                  base_dir=file.parent)


#: Largest YAML input read [bytes] and largest document after aliases are expanded [nodes].
MAX_YAML_BYTES = 64 * 1024 * 1024
MAX_YAML_NODES = 2_000_000


def read_yaml(file: Path, error: type[Exception], what: str = "file") -> Any:
    """Parse a YAML file safely: size-limited, alias bombs refused, every failure one line.

    libyaml's C parser is used when PyYAML has it (a 10 MB file in about a second). Aliases are
    shared, not copied, while parsing; a document whose expansion would exceed
    :data:`MAX_YAML_NODES` nodes is refused before anything walks it.

    Raises
    ------
    error
        Naming the file: missing, a folder, empty, too large, not UTF-8, not YAML, or too many
        nodes after aliases.
    """
    if not file.exists():
        raise error(f"{file}: no such {what}")
    if file.is_dir():
        raise error(f"{file}: is a folder, not a {what}")
    try:
        size = file.stat().st_size
        if size > MAX_YAML_BYTES:
            raise error(f"{file.name}: {size:,} bytes is larger than the {MAX_YAML_BYTES:,} read")
        raw = file.read_bytes()
    except OSError as exc:
        raise error(f"{file}: cannot be read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{file.name}: byte {exc.start} is not UTF-8 text; save the {what} as UTF-8"
        ) from None
    if not text.strip():
        raise error(f"{file.name}: the {what} is empty")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        raise error(f"{file.name}: not valid YAML{where}: {problem}") from None
    if _expanded_nodes(data) > MAX_YAML_NODES:
        raise error(
            f"{file.name}: expands to more than {MAX_YAML_NODES:,} values through YAML aliases "
            "(an alias bomb?); write the values out"
        )
    return data


def _expanded_nodes(data: Any) -> int:
    """Values in ``data`` counting each reference to a shared object again (memoised by id)."""
    memo: dict[int, int] = {}
    stack: list[tuple[Any, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, dict | list) or (id(node) in memo and not done):
            continue
        children = list(node.values()) + list(node.keys()) if isinstance(node, dict) else node
        if done:
            total = 1
            for child in children:
                total += memo.get(id(child), 1) if isinstance(child, dict | list) else 1
                if total > MAX_YAML_NODES:
                    break
            memo[id(node)] = total
            continue
        memo[id(node)] = 0  # visiting: a self-reference counts once
        stack.append((node, True))
        stack.extend((child, False) for child in children if isinstance(child, dict | list))
    return memo.get(id(data), 1)


def scenario_from_dict(data: dict[str, Any], source: str = "<dict>") -> Scenario:
    """Validate a scenario given as a plain mapping (same rules and errors as a file)."""
    return _parse(data, source)


def dump_yaml(scenario: Scenario) -> str:
    """Serialise a scenario to YAML such that :func:`scenario_from_dict` gives it back equal."""
    data = scenario.model_dump(mode="json", exclude_defaults=True)
    data.setdefault("name", scenario.name)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def example_path(name: str = "apac.yaml") -> Path:
    """Path of a bundled example scenario; works from any folder, installed or in a checkout."""
    from importlib import resources

    return Path(str(resources.files("gridfirst") / "examples" / name))
