"""A market's supply stack: its sourced supply options turned into the LP's generators and storages.

:func:`market_stack` reads a market's rows of ``data/supply/options_*.csv`` (through
:func:`gridfirst.data.supply.market_supply`) and decides, option by option, how it enters the
hourly LP:

- not allowed (with its legal basis), not available before the stack's year, or capped at 0 MW:
  left out and listed in ``excluded`` with the reason;
- certificates and green tariffs priced as a premium over the grid (LGCs, T-RECs, Japan's
  non-fossil certificates, Malaysia's green tariff): annual instruments with no hourly CFE
  credit, listed in ``annual_only`` (they change market-based Scope 2, not 24/7 CFE);
- batteries and long-duration storage: a :class:`~gridfirst.procurement.model.Storage` of fixed
  duration (4 h unless the option says otherwise) whose capital cost covers the whole system;
- everything else: a :class:`~gridfirst.procurement.model.Generator` with the option's hourly
  shape (the market's solar or wind profile rescaled to the option's capacity factor, or a flat
  availability), its cap in MW and its cost:

  * ``capex``: overnight cost x capital recovery factor (discount rate of the costs, lifetime by
    kind) + fixed O&M, with the country cost factor of ``cost_factors.csv`` applied where the
    row carries the US ATB figure;
  * ``ppa_price``: a take-or-pay contract: price x its energy per MW-year (8760 x mean profile);
  * ``premium_over_grid`` on a physical contract (a licensed import, a direct PPA at the grid
    tariff plus a premium): the market's mean grid price plus the premium, per MWh taken for a
    dispatchable import and per MWh produced for a solar or wind contract.

A market without supply data gets the generic options (solar, wind and a battery at the
scenario's costs; no clean firm), and the stack says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gridfirst.errors import DataError
from gridfirst.geo import capital_recovery_factor
from gridfirst.procurement.model import Generator, Storage

if TYPE_CHECKING:
    import pandas as pd

    from gridfirst.procurement.costs import ProcurementCosts
    from gridfirst.scenario import Market

#: Economic lifetime by supply kind [years] for capex-priced options; solar, wind and battery
#: follow procurement_costs.yaml (Danish Energy Agency and ATB), the rest are ATB's cost-recovery
#: periods (assumption: 30 years for plants ATB gives no lifetime for).
LIFETIME_YEARS = {
    "solar": 40, "wind": 30, "offshore_wind": 30, "battery": 15, "long_duration_storage": 20,
    "new_nuclear": 40, "geothermal": 30, "hydro": 50, "gas_ccs": 30, "bioenergy": 25,
}
#: Capital costs that are NREL ATB 2024 US figures in the bundled rows [USD2024/kW]; a row
#: carrying one of them gets its country's cost factor (rows with local costs keep theirs).
US_ATB_CAPEX_USD_PER_KW = {"solar": 1279.0, "battery": 1556.0, "new_nuclear": 8164.0}
#: Residual emissions of gas with 95 % capture [tCO2/MWh]: 0.37 x (1 - 0.95), an NGCC's
#: intensity (ATB 2024 NGCC heat rate 6.4 MMBtu/MWh x 53.06 kgCO2/MMBtu = 0.34, rounded up for
#: part-load) with ATB's 95 % capture rate; assumption with that reasoning.
GAS_CCS_INTENSITY_TCO2_PER_MWH = 0.0185
STORAGE_KINDS = frozenset({"battery", "long_duration_storage"})
ANNUAL_CONTRACTS = frozenset({"certificates", "green_tariff"})


@dataclass(frozen=True)
class SupplyStack:
    """The supply options of one market as the LP sees them.

    Attributes
    ----------
    market_id : str
    year : int or None
        Options available from this year on (None: every allowed option).
    generators, storages : tuple
        What enters the hourly LP.
    annual_only : tuple of dict
        Certificates and green tariffs (``option``, ``kind``, ``contract``, ``max_mw``,
        ``premium_usd_per_mwh``): no hourly CFE credit.
    excluded : tuple of dict
        ``option``, ``kind`` and ``reason`` of every option left out.
    basis : str
        Where the options come from, in words.
    sources : dict
        ``option -> source_id``.
    """

    market_id: str
    year: int | None
    generators: tuple[Generator, ...]
    storages: tuple[Storage, ...]
    annual_only: tuple[dict[str, Any], ...] = ()
    excluded: tuple[dict[str, Any], ...] = ()
    basis: str = ""
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def supply(self) -> tuple[tuple[Generator, ...], tuple[Storage, ...]]:
        return self.generators, self.storages

    def to_dict(self) -> dict[str, Any]:
        return {
            "market": self.market_id,
            "year": self.year,
            "basis": self.basis,
            "hourly": [_describe(g) for g in self.generators]
            + [_describe_storage(s) for s in self.storages],
            "annual_only": [dict(r) for r in self.annual_only],
            "excluded": [dict(r) for r in self.excluded],
        }


def _describe(g: Generator) -> dict[str, Any]:
    return {"option": g.name, "kind": g.kind, "contract": g.contract,
            "max_mw": None if math.isinf(g.max_mw) else g.max_mw,
            "capacity_factor": float(g.profile.mean()),
            "usd_per_mw_year": g.usd_per_mw_year, "marginal_usd_per_mwh": g.marginal_usd_per_mwh}


def _describe_storage(s: Storage) -> dict[str, Any]:
    return {"option": s.name, "kind": s.kind, "contract": s.contract,
            "max_mw": None if math.isinf(s.max_mw) else s.max_mw, "duration_h": s.duration_h,
            "usd_per_mw_year": s.power_cost_usd_per_mw_year}


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def cost_factor(country: str, kind: str) -> float:
    """Country capital-cost factor against US ATB for a kind (1 where none is given)."""
    from gridfirst.data.supply import cost_factors

    table = cost_factors()
    tech = {"long_duration_storage": "battery"}.get(kind, kind)
    value = table.get((country, tech))
    return 1.0 if value is None else float(value)


def _shape(profile_name: str, capacity_factor: float | None, profiles: pd.DataFrame,
           option: str) -> np.ndarray:
    hours = len(profiles)
    if profile_name in ("solar", "wind", "offshore_wind"):
        column = "solar_cf" if profile_name == "solar" else "wind_cf"
        base = profiles[column].to_numpy(dtype=float)
        mean = float(base.mean())
        if capacity_factor is None or mean <= 0:
            return base.copy()
        # rescale to the option's capacity factor, clipping at 1 and re-spreading the clipped
        # energy over the remaining hours so the mean stays the option's
        shape = base * (capacity_factor / mean)
        for _ in range(20):
            over = shape > 1.0
            if not over.any():
                break
            excess = float((shape[over] - 1.0).sum())
            shape[over] = 1.0
            room = (shape < 1.0) & (base > 0)
            if not room.any():
                break
            shape[room] += excess * shape[room] / float(shape[room].sum())
        return np.clip(shape, 0.0, 1.0)
    if profile_name in ("flat", "geothermal_flat", "hydro_seasonal", ""):
        cf = 1.0 if capacity_factor is None else capacity_factor
        if profile_name == "hydro_seasonal":
            return np.ones(hours)
        return np.full(hours, min(max(cf, 0.0), 1.0))
    raise DataError(f"supply option {option!r}: profile {profile_name!r} is not one of solar, "
                    "wind, offshore_wind, flat, geothermal_flat, hydro_seasonal")


def market_stack(
    market: Market,
    profiles: pd.DataFrame,
    costs: ProcurementCosts,
    year: int | None = None,
    discount_rate: float | None = None,
) -> SupplyStack:
    """The market's supply options as the LP's generators and storages.

    Parameters
    ----------
    market : Market
        Its ``id`` selects the options, its ``country`` the cost factors.
    profiles : pandas.DataFrame
        The site's hourly profiles (``solar_cf``, ``wind_cf``, ``grid_price_usd_per_mwh``);
        their length is the LP's horizon.
    costs : ProcurementCosts
        Battery efficiencies and, for a market without supply data, the generic options' costs.
    year : int, optional
        Leave out options whose earliest year is later.
    discount_rate : float, optional
        For capex-priced options; default the bundled costs' rate (7 % real).
    """
    from gridfirst.data.supply import has_supply, market_supply
    from gridfirst.procurement.costs import default_discount_rate

    hours = len(profiles)
    if not has_supply(market.id):
        gens = (
            Generator("solar", profiles["solar_cf"].to_numpy(float), costs.solar_usd_per_mw_year,
                      kind="solar"),
            Generator("wind", profiles["wind_cf"].to_numpy(float), costs.wind_usd_per_mw_year,
                      kind="wind"),
        )
        stores = (Storage("battery", costs.battery_power_usd_per_mw_year,
                          costs.battery_energy_usd_per_mwh_year, costs.battery_charge_efficiency,
                          costs.battery_discharge_efficiency),)
        return SupplyStack(market.id, year, gens, stores,
                           basis=f"generic solar, wind and battery at the scenario's costs; no "
                                 f"supply data for {market.id} (no clean firm option assumed)")
    rate = default_discount_rate() if discount_rate is None else discount_rate
    mean_price = float(profiles["grid_price_usd_per_mwh"].to_numpy(float).mean())
    rows = market_supply(market.id)
    gens_l: list[Generator] = []
    stores_l: list[Storage] = []
    annual: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    sources: dict[str, str] = {}
    for row in rows.to_dict(orient="records"):
        name, kind, contract = str(row["option"]), str(row["kind"]), str(row["contract"])
        sources[name] = str(row["source_id"])
        max_mw = _num(row["max_mw"])
        earliest = row["earliest_year"]
        if not row["allowed"]:
            excluded.append({"option": name, "kind": kind,
                             "reason": f"not allowed: {row['legal_basis']}"})
            continue
        if year is not None and earliest is not None and int(earliest) > year:
            excluded.append({"option": name, "kind": kind,
                             "reason": f"not available before {int(earliest)}"})
            continue
        if max_mw is not None and max_mw <= 0:
            excluded.append({"option": name, "kind": kind, "reason": "0 MW available"})
            continue
        cap = math.inf if max_mw is None else max_mw
        basis = str(row["cost_basis"])
        capex, fom = _num(row["capex_usd_per_kw"]), _num(row["fixed_om_usd_per_kw_year"]) or 0.0
        price, cf = _num(row["price_usd_per_mwh"]), _num(row["capacity_factor"])
        if basis == "premium_over_grid" and (contract in ANNUAL_CONTRACTS or kind == "green_tariff"):
            annual.append({"option": name, "kind": kind, "contract": contract,
                           "max_mw": max_mw, "premium_usd_per_mwh": price})
            continue
        if capex is not None and basis == "capex":
            factor = 1.0
            atb = US_ATB_CAPEX_USD_PER_KW.get("battery" if kind in STORAGE_KINDS else kind)
            if atb is not None and abs(capex - atb) <= 1.0 and market.country != "US":
                factor = cost_factor(market.country, kind)
            life = LIFETIME_YEARS.get(kind, 30)
            annual_usd_per_mw = (capex * factor * 1000.0 * capital_recovery_factor(rate, life)
                                 + fom * factor * 1000.0)
        else:
            annual_usd_per_mw = None
        if kind in STORAGE_KINDS:
            if annual_usd_per_mw is None:
                raise DataError(f"supply option {name!r} of {market.id}: a storage needs capex")
            duration = 4.0 if kind == "battery" else 8.0
            stores_l.append(Storage(name, annual_usd_per_mw, 0.0,
                                    costs.battery_charge_efficiency,
                                    costs.battery_discharge_efficiency, duration_h=duration,
                                    max_mw=cap, kind=kind, contract=contract))
            continue
        profile_name = str(row["profile"] or "flat")
        shape = _shape(profile_name, cf, profiles, name)
        energy_limit = cf * hours if profile_name == "hydro_seasonal" and cf is not None else None
        cfe_share = 1.0
        intensity = 0.0
        if kind == "gas_ccs":
            intensity = GAS_CCS_INTENSITY_TCO2_PER_MWH
            cfe_share = 0.0  # not carbon-free under 24/7 CFE accounting
        usd_per_mw_year = 0.0
        marginal = 0.0
        if annual_usd_per_mw is not None:
            usd_per_mw_year = annual_usd_per_mw
        elif basis == "ppa_price" and price is not None:
            usd_per_mw_year = price * float(shape.mean()) * 8760.0
        elif basis == "premium_over_grid" and price is not None:
            energy_price = mean_price + price
            if profile_name in ("solar", "wind", "offshore_wind"):
                usd_per_mw_year = energy_price * float(shape.mean()) * 8760.0
            else:
                marginal = energy_price
        else:
            raise DataError(f"supply option {name!r} of {market.id}: cost_basis {basis!r} "
                            "without the figure it needs")
        gens_l.append(Generator(name, shape, usd_per_mw_year, marginal, cap, cfe_share,
                                energy_limit, intensity, kind=kind, contract=contract))
    return SupplyStack(
        market.id, year, tuple(gens_l), tuple(stores_l), tuple(annual), tuple(excluded),
        basis=f"{len(gens_l) + len(stores_l)} hourly options of {market.id} "
              "(data/supply/options_*.csv)", sources=sources,
    )


#: Availability of a baseload PPA by technology where the market's supply data give none:
#: nuclear 0.93 (NREL ATB 2024 nuclear capacity factor, as in the supply rows), geothermal 0.90
#: (ATB 2024 hydro-flash geothermal), hydro 1.0 (Nordic hydro PPAs are sold as baseload blocks,
#: as the bundled se/no rows); assumptions where no row of the market says otherwise.
BASELOAD_AVAILABILITY = {"nuclear": 0.93, "geothermal": 0.90, "hydro": 1.0}
_PPA_KINDS = {"nuclear": ("nuclear_ppa", "new_nuclear"), "geothermal": ("geothermal",),
              "hydro": ("hydro",), "offshore_wind": ("offshore_wind",)}


def ppa_profile(market: Market, technology: str, profiles: pd.DataFrame) -> np.ndarray:
    """Hourly output per MW of a PPA of ``technology`` in ``market`` [0..1].

    Solar and wind follow the market's hourly profiles; offshore wind the wind profile at the
    market's offshore option's capacity factor (the onshore one where it has none); hydro,
    geothermal and nuclear a flat availability (the market's option row, else
    :data:`BASELOAD_AVAILABILITY`).
    """
    from gridfirst.data.supply import has_supply, market_supply

    cf: float | None = None
    if technology in _PPA_KINDS and has_supply(market.id):
        rows = market_supply(market.id)
        rows = rows[rows["kind"].isin(_PPA_KINDS[technology])]
        values = [v for v in (_num(x) for x in rows["capacity_factor"]) if v is not None]
        cf = values[0] if values else None
    if technology == "solar":
        return _shape("solar", None, profiles, "ppa")
    if technology in ("wind", "offshore_wind"):
        return _shape("wind", cf, profiles, "ppa")
    if technology in BASELOAD_AVAILABILITY:
        return np.full(len(profiles), BASELOAD_AVAILABILITY[technology] if cf is None else cf)
    raise DataError(f"PPA technology {technology!r} is not one of solar, wind, offshore_wind, "
                    "hydro, geothermal, nuclear")
