"""Bundled network data: subsea cables, landing stations, segments, model parameters, calibration pairs.

Also the demand centres (every city of one million people or more, from the GeoNames gazetteer,
:mod:`gridfirst.data.gazetteer`). This module only reads and validates tables; it builds no graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from gridfirst.data import SOURCE_COLUMNS as MARKET_SOURCE_COLUMNS
from gridfirst.errors import DataError, ScenarioError

if TYPE_CHECKING:
    import pandas as pd

CABLE_COLUMNS = ["cable_id", "name", "rfs_year", "length_km", "corridors", "source_id"]
LANDING_COLUMNS = [
    "cable_id",
    "order",
    "landing_id",
    "landing_name",
    "country",
    "latitude",
    "longitude",
    "source_id",
]
SEGMENT_COLUMNS = [
    "cable_id",
    "from_landing",
    "to_landing",
    "length_km",
    "method",
    "corridors",
    "source_id",
]
CALIBRATION_COLUMNS = [
    "pair_id",
    "city_a",
    "latitude_a",
    "longitude_a",
    "city_b",
    "latitude_b",
    "longitude_b",
    "measured_rtt_ms",
    "statistic",
    "data_year",
    "source_id",
]
PARAMETER_COLUMNS = ["parameter", "value", "unit", "source_id", "note"]
# the same sources layout as the market data (one table format for every bundled source)
SOURCE_COLUMNS = MARKET_SOURCE_COLUMNS

# Demand centres: every city with at least this many people [-].
DEMAND_CENTRE_MIN_POPULATION = 1_000_000

# TeleGeography country names that GeoNames spells differently.
_COUNTRY_ALIASES = {
    "Netherlands": "NL",
    "Côte d'Ivoire": "CI",
    "Congo, Dem. Rep.": "CD",
    "Congo, Rep.": "CG",
    "Cocos (Keeling) Islands": "CC",
}


def network_data_dir() -> Path:
    """Folder of the bundled network tables (inside the installed package)."""
    from importlib import resources

    return Path(str(resources.files("gridfirst") / "data" / "network"))


def _read(name: str, columns: list[str], numeric: tuple[str, ...] = ()) -> pd.DataFrame:
    import pandas as pd

    path = network_data_dir() / name
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError(f"{path}: bundled network file is missing") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{name}: missing column(s) {missing}; expected {columns}")
    for col in numeric:
        values = pd.to_numeric(frame[col].replace("", "nan"), errors="coerce")
        bad = frame.index[values.isna() & (frame[col] != "")]
        if len(bad):
            row = int(bad[0])
            raise DataError(
                f"{name}: row {row + 2}, column {col}: {frame.at[row, col]!r} is not a number"
            )
        frame[col] = values
    return frame


@lru_cache(maxsize=1)
def network_sources() -> pd.DataFrame:
    """Sources of the network tables, indexed by ``source_id``."""
    return _read("sources_network.csv", SOURCE_COLUMNS).set_index("source_id")


def _check_sources(frame: pd.DataFrame, name: str) -> None:
    known = set(network_sources().index)
    unknown = sorted(set(frame["source_id"]) - known)
    if unknown:
        raise DataError(f"{name}: source_id {unknown[0]!r} is not in sources_network.csv")


@lru_cache(maxsize=1)
def cables() -> pd.DataFrame:
    """Cable systems: id, name, ready-for-service year, published length [km], corridors."""
    frame = _read("cables.csv", CABLE_COLUMNS, numeric=("rfs_year", "length_km"))
    _check_sources(frame, "cables.csv")
    if frame["cable_id"].duplicated().any():
        dup = frame.loc[frame["cable_id"].duplicated(), "cable_id"].iloc[0]
        raise DataError(f"cables.csv: cable_id {dup!r} is given more than once")
    return frame.set_index("cable_id")


@lru_cache(maxsize=1)
def landings() -> pd.DataFrame:
    """Landing stations of every cable, in route order, with coordinates and ISO country code."""
    frame = _read("landings.csv", LANDING_COLUMNS, numeric=("order", "latitude", "longitude"))
    _check_sources(frame, "landings.csv")
    for col, limit in (("latitude", 90.0), ("longitude", 180.0)):
        bad = frame[(frame[col].abs() > limit)]
        if not bad.empty:
            raise DataError(f"landings.csv: {col} {bad[col].iloc[0]} is out of range")
    unknown = sorted(set(frame["cable_id"]) - set(cables().index))
    if unknown:
        raise DataError(f"landings.csv: cable_id {unknown[0]!r} is not in cables.csv")
    frame["country_code"] = frame["country"].map(_country_code)
    return frame


@lru_cache(maxsize=1)
def segments() -> pd.DataFrame:
    """Landing-to-landing subsea segments with route length [km] and corridors crossed."""
    frame = _read("segments.csv", SEGMENT_COLUMNS, numeric=("length_km",))
    _check_sources(frame, "segments.csv")
    known = set(landings()["landing_id"])
    for col in ("from_landing", "to_landing"):
        bad = sorted(set(frame[col]) - known)
        if bad:
            raise DataError(f"segments.csv: {col} {bad[0]!r} is not a landing in landings.csv")
    if (frame["length_km"] <= 0).any():
        raise DataError("segments.csv: length_km must be positive")
    return frame


@lru_cache(maxsize=1)
def calibration_pairs() -> pd.DataFrame:
    """Published, measured round-trip times between city pairs, with their source."""
    frame = _read(
        "calibration_rtt.csv",
        CALIBRATION_COLUMNS,
        numeric=("latitude_a", "longitude_a", "latitude_b", "longitude_b", "measured_rtt_ms"),
    )
    _check_sources(frame, "calibration_rtt.csv")
    return frame.set_index("pair_id")


@dataclass(frozen=True)
class LatencyParameters:
    """Parameters of the round-trip-time model (see ``parameters_network.csv`` for sources).

    Attributes
    ----------
    group_index : float
        Group refractive index of single-mode fibre [-].
    subsea_route_factor : float
        Fibre length over the drawn cable route length [-].
    terrestrial_route_factor : float
        Terrestrial fibre length over great-circle distance, on the land legs of a route with
        a subsea segment [-].
    hop_overhead_ms : float
        Round-trip delay added per link of a route with a subsea segment [ms].
    fixed_overhead_ms : float
        Round-trip delay added once per route with a subsea segment (hosts, metro access) [ms].
    land_route_factor : float
        Fibre length over great-circle distance on a land route (no subsea segment) [-].
    land_fixed_overhead_ms : float
        Round-trip delay added once per land route (hosts, metro access) [ms].
    p95_excess_ms : float
        Round trip by which a monthly 95th percentile exceeds a 30-day mean [ms]. The model
        gives the P95; calibration compares a source that publishes means with RTT - this.
    terrestrial_max_km : float
        Longest single terrestrial link the graph builds [km].
    terrestrial_neighbours : int
        Terrestrial links built from each node to its nearest allowed nodes [-].
    rule_of_thumb_factor : float
        Line-of-sight multiplier of the measurement-study rule of thumb [-].
    """

    group_index: float
    subsea_route_factor: float
    terrestrial_route_factor: float
    hop_overhead_ms: float
    fixed_overhead_ms: float
    land_route_factor: float
    land_fixed_overhead_ms: float
    p95_excess_ms: float
    terrestrial_max_km: float
    terrestrial_neighbours: int
    rule_of_thumb_factor: float


@lru_cache(maxsize=1)
def parameter_table() -> pd.DataFrame:
    """Model parameters with unit, source and note."""
    frame = _read("parameters_network.csv", PARAMETER_COLUMNS, numeric=("value",))
    _check_sources(frame, "parameters_network.csv")
    return frame.set_index("parameter")


def default_parameters() -> LatencyParameters:
    """The bundled (calibrated) latency-model parameters."""
    table = parameter_table()
    values: dict[str, float] = {}
    for field in LatencyParameters.__dataclass_fields__:
        if field not in table.index:
            raise DataError(f"parameters_network.csv: parameter {field!r} is missing")
        values[field] = float(table.at[field, "value"])
    values["terrestrial_neighbours"] = int(values["terrestrial_neighbours"])
    return LatencyParameters(**values)  # type: ignore[arg-type]


def default_in_service_year() -> int:
    """The default ready-for-service cut-off [year] (``in_service_year``, parameters_network.csv).

    Cables with ``rfs_year`` at or before this year are in the graph unless a caller passes
    another ``in_service_by``. It is the year of the calibration measurements (2026), so the
    calibrated model describes the network those round trips crossed.
    """
    table = parameter_table()
    if "in_service_year" not in table.index:
        raise DataError("parameters_network.csv: parameter 'in_service_year' is missing")
    value = float(table.at["in_service_year", "value"])
    if not value.is_integer() or not 1850 <= value <= 2200:
        raise DataError(f"parameters_network.csv: in_service_year {value!r} is not a year")
    return int(value)


def in_service_year(in_service_by: int | None) -> int:
    """``in_service_by`` checked as a year, or :func:`default_in_service_year` when None."""
    if in_service_by is None:
        return default_in_service_year()
    try:
        value = float(in_service_by)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(in_service_by, bool) or not value.is_integer() or not 1850 <= value <= 2200:
        raise ScenarioError(f"in_service_by: {in_service_by!r} is not a year (e.g. 2030)")
    return int(value)


def _country_code(name: str) -> str:
    if name in _COUNTRY_ALIASES:
        return _COUNTRY_ALIASES[name]
    from gridfirst.data.gazetteer import country_code_by_name

    codes = country_code_by_name()
    if name not in codes:
        raise DataError(f"landings.csv: country {name!r} is not a GeoNames country name")
    return codes[name]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@lru_cache(maxsize=1)
def demand_centres() -> pd.DataFrame:
    """Every city of at least one million people (from :func:`gridfirst.data.gazetteer.cities`).

    Returns
    -------
    pandas.DataFrame
        Indexed by centre id (``<name>-<iso2>``), columns ``name, country, latitude,
        longitude, population``.

    References
    ----------
    .. [1] GeoNames (2024). cities15000 gazetteer, CC BY 4.0, https://www.geonames.org/
    """
    import pandas as pd

    from gridfirst.data.gazetteer import cities

    table = cities()
    big = table[table["population"] >= DEMAND_CENTRE_MIN_POPULATION]
    frame = big.reset_index()[
        ["name", "country", "latitude", "longitude", "population", "geonameid"]
    ].sort_values(["population", "geonameid"], ascending=[False, True])
    ids = [f"{_slug(n)}-{c.lower()}" for n, c in zip(frame["name"], frame["country"], strict=True)]
    seen: dict[str, int] = {}
    unique = []
    for cid, gid in zip(ids, frame["geonameid"], strict=True):
        unique.append(cid if cid not in seen else f"{cid}-{gid}")
        seen[cid] = 1
    frame.index = pd.Index(unique, name="centre_id")
    return frame


def find_city(name: str) -> tuple[str, float, float, str] | None:
    """Look a city up by name, case- and accent-insensitively (GeoNames name, asciiname, then
    alternatenames; the most populous wins, see :func:`gridfirst.network.places.find_cities`).

    Returns ``(name, latitude, longitude, iso2)`` or None.
    """
    from gridfirst.network.places import find_cities

    cities, _ = find_cities(name)
    if not cities:
        return None
    best = cities[0]
    return best["name"], float(best["latitude"]), float(best["longitude"]), best["country"]
