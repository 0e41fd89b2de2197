"""Cost and performance inputs of the 24/7 carbon-free procurement LP, annualised.

Holds :class:`ProcurementCosts` (the issue's annualised keys), the sourced defaults and the loader
of a user's cost file (annualising with :func:`gridfirst.geo.capital_recovery_factor`); it knows
nothing of the LP itself.
"""

from __future__ import annotations

import math
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


def flatten_sourced(raw: dict[str, Any], source: str = "procurement_costs.yaml") -> dict[str, float]:
    """The sourced (nested) cost file's figures as flat cost keys.

    Each technology entry holds ``overnight_usd_per_<unit>``, ``lifetime_years``, optional
    ``fixed_om_usd_per_<unit>_year`` and ``marginal_usd_per_mwh`` / ``intensity_tco2_per_mwh``
    beside its ``source_id``, ``data_year`` and ``note``; scalar entries hold ``value``. Entries
    the file leaves out keep the defaults. This is the format the project ships, so a copy of
    ``data/procurement_costs.yaml`` edited by a user reads back as it is.
    """
    flat: dict[str, float] = {}
    meta = {"source_id", "data_year", "note"}
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            flat[key] = entry
            continue
        values = {k: v for k, v in entry.items() if k not in meta}
        if set(values) == {"value"}:
            flat[key] = values["value"]
            continue
        if key not in _CAPITAL_TECHS:
            raise DataError(f"{source}: {key}: unknown technology; known: {sorted(_CAPITAL_TECHS)}")
        unit = _CAPITAL_TECHS[key]
        for name, value in values.items():
            if name in (f"overnight_usd_per_{unit}", "lifetime_years",
                        f"fixed_om_usd_per_{unit}_year", "marginal_usd_per_mwh",
                        "intensity_tco2_per_mwh"):
                flat[f"{key}_{name}"] = value
            else:
                raise DataError(f"{source}: {key}.{name}: unknown figure")
    out: dict[str, float] = {}
    for key, value in flat.items():
        try:
            # YAML 1.1 reads 1.279e6 (no exponent sign) as text; it is still a number
            number = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            raise DataError(f"{source}: {key}: {value!r} is not a finite number")
        out[key] = number
    return out


@lru_cache(maxsize=1)
def _default_inputs() -> dict[str, float]:
    """The bundled defaults as flat overnight/lifetime keys (before annualisation)."""
    import yaml

    path = _defaults_path()
    flat = flatten_sourced(yaml.safe_load(path.read_text()), path.name)
    for tech, unit in _CAPITAL_TECHS.items():
        flat.setdefault(f"{tech}_fixed_om_usd_per_{unit}_year", 0.0)
    return flat


def default_discount_rate() -> float:
    """The bundled real discount rate of contracted projects (``discount_rate`` of the costs)."""
    return float(_default_inputs()["discount_rate"])


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
    from gridfirst.scenario import read_yaml

    path = Path(path)
    data = read_yaml(path, DataError, what="cost file")
    if not isinstance(data, dict):
        raise DataError(f"{path}: expected a mapping of cost keys, got {type(data).__name__}")
    if any(isinstance(v, dict) for v in data.values()):
        data = flatten_sourced(data, str(path))
    return costs_from_mapping(data, source=str(path))
