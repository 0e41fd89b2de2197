"""Cost and performance inputs of the 24/7 carbon-free procurement LP, annualised.

Holds :class:`ProcurementCosts` (the issue's annualised keys), the sourced defaults and the loader
of a user's cost file (annualising with :func:`gridfirst.geo.capital_recovery_factor`); it knows
nothing of the LP itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from gridfirst.errors import DataError
from gridfirst.geo import capital_recovery_factor

# Technologies whose annualised cost may be given as overnight cost + lifetime (+ fixed O&M).
# key prefix -> unit suffix of the capacity ("mw" or "mwh")
_CAPITAL_TECHS = {
    "solar": "mw",
    "wind": "mw",
    "battery_power": "mw",
    "battery_energy": "mwh",
    "firm": "mw",
    "backup": "mw",
}


class ProcurementCosts(BaseModel):
    """Annualised costs and performance of the procurement options of one site.

    Either give the annualised keys directly, or for any technology ``<tech>`` give
    ``<tech>_overnight_usd_per_mw`` (``battery_energy_overnight_usd_per_mwh``),
    ``<tech>_lifetime_years``, optionally ``<tech>_fixed_om_usd_per_mw_year`` and a shared
    ``discount_rate``; the annualised value is then overnight x CRF + fixed O&M.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    solar_usd_per_mw_year: float = Field(ge=0, description="Annualised solar capacity cost.")
    wind_usd_per_mw_year: float = Field(ge=0, description="Annualised wind capacity cost.")
    battery_power_usd_per_mw_year: float = Field(ge=0, description="Per MW of inverter.")
    battery_energy_usd_per_mwh_year: float = Field(ge=0, description="Per MWh of storage.")
    firm_usd_per_mw_year: float = Field(ge=0, description="Annualised clean firm capacity cost.")
    firm_marginal_usd_per_mwh: float = Field(ge=0, description="Clean firm energy cost.")
    battery_charge_efficiency: float = Field(gt=0, le=1)
    battery_discharge_efficiency: float = Field(gt=0, le=1)
    grid_limit_mw: float = Field(ge=0, description="Grid import limit of the site [MW].")
    # Only used with the on-site backup option.
    backup_usd_per_mw_year: float = Field(default=0.0, ge=0)
    backup_marginal_usd_per_mwh: float = Field(default=0.0, ge=0)
    backup_intensity_tco2_per_mwh: float = Field(default=0.0, ge=0)

    @model_validator(mode="before")
    @classmethod
    def _annualise(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        rate = data.pop("discount_rate", None)
        for tech, unit in _CAPITAL_TECHS.items():
            overnight_key = f"{tech}_overnight_usd_per_{unit}"
            life_key = f"{tech}_lifetime_years"
            om_key = f"{tech}_fixed_om_usd_per_{unit}_year"
            annual_key = f"{tech}_usd_per_{unit}_year"
            if overnight_key not in data and life_key not in data and om_key not in data:
                continue
            if annual_key in data:
                raise ValueError(
                    f"give either {annual_key} or {overnight_key} + {life_key}, not both"
                )
            if overnight_key not in data or life_key not in data:
                raise ValueError(f"{overnight_key} and {life_key} must be given together")
            if rate is None:
                raise ValueError(f"discount_rate is needed to annualise {overnight_key}")
            overnight = float(data.pop(overnight_key))
            crf = capital_recovery_factor(float(rate), float(data.pop(life_key)))
            data[annual_key] = overnight * crf + float(data.pop(om_key, 0.0))
        return data

    @property
    def round_trip_efficiency(self) -> float:
        return self.battery_charge_efficiency * self.battery_discharge_efficiency


def _defaults_path() -> Path:
    from gridfirst.data import data_dir

    return data_dir() / "procurement_costs.yaml"


@lru_cache(maxsize=1)
def _default_inputs() -> dict[str, float]:
    """The bundled defaults as flat overnight/lifetime keys (before annualisation)."""
    import yaml

    path = _defaults_path()
    raw = yaml.safe_load(path.read_text())
    flat: dict[str, float] = {"discount_rate": float(raw["discount_rate"]["value"])}
    for tech, unit in _CAPITAL_TECHS.items():
        entry = raw[tech]
        flat[f"{tech}_overnight_usd_per_{unit}"] = float(entry[f"overnight_usd_per_{unit}"])
        flat[f"{tech}_lifetime_years"] = float(entry["lifetime_years"])
        flat[f"{tech}_fixed_om_usd_per_{unit}_year"] = float(
            entry.get(f"fixed_om_usd_per_{unit}_year", 0.0)
        )
    flat["firm_marginal_usd_per_mwh"] = float(raw["firm"]["marginal_usd_per_mwh"])
    flat["backup_marginal_usd_per_mwh"] = float(raw["backup"]["marginal_usd_per_mwh"])
    flat["backup_intensity_tco2_per_mwh"] = float(raw["backup"]["intensity_tco2_per_mwh"])
    for key in ("battery_charge_efficiency", "battery_discharge_efficiency", "grid_limit_mw"):
        flat[key] = float(raw[key]["value"])
    return flat


def default_costs() -> ProcurementCosts:
    """The bundled, sourced defaults (``data/procurement_costs.yaml``), annualised.

    Returns
    -------
    ProcurementCosts
        Annualised costs at the bundled discount rate.
    """
    return ProcurementCosts.model_validate(dict(_default_inputs()))


def costs_from_mapping(data: dict[str, Any], source: str = "<dict>") -> ProcurementCosts:
    """Build costs from a user's mapping laid over the defaults.

    Keys the user gives replace the defaults of the same technology (an annualised key replaces
    the default overnight/lifetime pair, and the other way round).

    Raises
    ------
    DataError
        Unknown key, wrong type or out-of-range value, naming ``source`` and the key.
    """
    if not isinstance(data, dict):
        raise DataError(f"{source}: expected a mapping of cost keys, got {type(data).__name__}")
    merged: dict[str, Any] = dict(_default_inputs())
    for tech, unit in _CAPITAL_TECHS.items():
        annual_key = f"{tech}_usd_per_{unit}_year"
        group = (
            f"{tech}_overnight_usd_per_{unit}",
            f"{tech}_lifetime_years",
            f"{tech}_fixed_om_usd_per_{unit}_year",
        )
        if annual_key in data or any(k in data for k in group):
            # the user's figures for a technology replace all of its default figures
            for key in (annual_key, *group):
                merged.pop(key, None)
    merged.update(data)
    try:
        return ProcurementCosts.model_validate(merged)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(costs)"
            value = err.get("input")
            shown = "" if isinstance(value, dict) else f" = {value!r}"
            problems.append(f"{loc}{shown}: {err['msg']}")
        raise DataError(f"{source}: " + "; ".join(problems)) from None


def load_costs(path: str | Path) -> ProcurementCosts:
    """Read a YAML (or JSON) cost file laid over the sourced defaults.

    Parameters
    ----------
    path : str or Path
        File with flat keys, e.g. ``solar_usd_per_mw_year: 95000``.

    Raises
    ------
    DataError
        The file is missing, unreadable, or a key or value is invalid.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: cost file not found")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise DataError(f"{path}: not valid YAML: {exc}") from None
    return costs_from_mapping(data or {}, source=str(path))
