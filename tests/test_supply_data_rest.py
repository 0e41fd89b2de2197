"""Supply options outside Asia-Pacific and country cost factors: schema, law and provenance.

Checks the sourced tables in ``gridfirst/data/supply`` (options_rest.csv, cost_factors.csv,
sources_supply_rest.csv) that the supply stack reads; it does not test the procurement model.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from gridfirst.data import SOURCE_COLUMNS, data_dir, market_identities

SUPPLY = Path(data_dir()) / "supply"

OPTION_COLUMNS = [
    "market_id", "option", "kind", "contract", "allowed", "legal_basis", "max_mw",
    "earliest_year", "capex_usd_per_kw", "fixed_om_usd_per_kw_year", "price_usd_per_mwh",
    "capacity_factor", "cost_basis", "profile", "source_id", "data_year", "note",
]
FACTOR_COLUMNS = ["country", "technology", "factor_vs_us", "source_id", "data_year", "note"]
KINDS = {
    "solar", "wind", "offshore_wind", "hydro", "geothermal", "nuclear_ppa", "new_nuclear",
    "licensed_import", "green_tariff", "gas_ccs", "battery", "long_duration_storage",
    "bioenergy",
}
CONTRACTS = {
    "on_site", "physical_ppa", "virtual_ppa", "cfd", "green_tariff", "certificates",
    "licensed_import",
}
COST_BASES = {"capex", "ppa_price", "premium_over_grid"}
PROFILES = {"solar", "wind", "offshore_wind", "flat", "hydro_seasonal", "geothermal_flat"}
STORAGE = {"battery", "long_duration_storage"}
NUCLEAR = {"nuclear_ppa", "new_nuclear"}
TECHNOLOGIES = {"solar", "wind", "offshore_wind", "battery"}
REST_MARKETS = {
    "us-northern-virginia", "us-texas", "us-ohio", "us-arizona", "us-oregon", "ie-dublin",
    "de-frankfurt", "nl-amsterdam", "gb-london", "se-stockholm", "no-oslo", "fi-helsinki",
    "ae-abu-dhabi", "ae-dubai", "sa-riyadh",
}
# capacity factor bounds on the AC basis by kind (physics: solar cannot exceed ~0.35 AC even
# with tracking in the Gulf; a flat contracted block is 1.0)
CF_BOUNDS = {
    "solar": (0.08, 0.35), "wind": (0.15, 0.55), "offshore_wind": (0.25, 0.60),
    "nuclear_ppa": (0.7, 0.95), "new_nuclear": (0.7, 0.95), "hydro": (0.3, 1.0),
    "gas_ccs": (0.5, 0.95),
}


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(SUPPLY / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def options() -> pd.DataFrame:
    return _read("options_rest.csv")


@pytest.fixture(scope="module")
def factors() -> pd.DataFrame:
    return _read("cost_factors.csv")


@pytest.fixture(scope="module")
def sources() -> pd.DataFrame:
    return _read("sources_supply_rest.csv").set_index("source_id")


def _num(series: pd.Series) -> pd.Series:
    return pd.to_numeric(series.replace("", None), errors="raise")


def test_columns_are_exact(options, factors) -> None:
    assert list(options.columns) == OPTION_COLUMNS
    assert list(factors.columns) == FACTOR_COLUMNS
    assert list(_read("sources_supply_rest.csv").columns) == SOURCE_COLUMNS


def test_enums_are_valid(options, factors) -> None:
    assert set(options.kind) <= KINDS
    assert set(options.contract) <= CONTRACTS
    assert set(options.allowed) <= {"yes", "no"}
    assert set(options.cost_basis) <= COST_BASES | {""}
    assert set(factors.technology) <= TECHNOLOGIES
    for row in options.itertuples():
        if row.kind in STORAGE:
            assert row.profile == "", f"{row.market_id}/{row.option}: storage has no profile"
        else:
            assert row.profile in PROFILES, f"{row.market_id}/{row.option}: {row.profile!r}"


def test_every_market_outside_asia_pacific_has_four_options_and_keys_are_unique(options) -> None:
    assert set(options.market_id) == REST_MARKETS
    assert set(options.market_id) <= set(market_identities().index)
    assert not options.duplicated(["market_id", "option"]).any()
    assert options.groupby("market_id").size().min() >= 4


def test_every_source_id_joins_and_is_marked(options, factors, sources) -> None:
    assert sources.index.is_unique
    assert all(s.startswith("supr-") for s in sources.index)
    assert set(sources.kind) <= {"source", "assumption"}
    used = set(options.source_id) | set(factors.source_id)
    assert used <= set(sources.index), sorted(used - set(sources.index))
    # ids cited in notes and reasoning must resolve too
    text = " ".join(list(options.note) + list(factors.note) + list(sources.reasoning))
    cited = set(re.findall(r"supr-[a-z0-9-]*[a-z0-9]", text))
    assert cited <= set(sources.index), sorted(cited - set(sources.index))
    assert (used | cited) == set(sources.index), "unused sources"
    real = sources[sources.kind == "source"]
    assert (real.url.str.startswith("http")).all()
    assert (real.publisher != "").all() and (sources.reasoning.str.len() > 40).all()
    assert assumption_ids_say_so(sources)


def assumption_ids_say_so(sources: pd.DataFrame) -> bool:
    """An assumption row carries ``assump`` in its id, so a reader sees it at the use site."""
    return all(("assump" in i) == (k == "assumption") for i, k in sources.kind.items())


def test_rows_that_are_not_allowed_carry_a_legal_basis_and_no_capacity(options) -> None:
    banned = options[options.allowed == "no"]
    assert len(banned) >= 8
    for row in banned.itertuples():
        assert len(row.legal_basis) > 30, f"{row.market_id}/{row.option} lacks a legal basis"
        assert re.search(r"(19|20)\d\d", row.legal_basis), f"{row.option}: no year in the law"
        assert float(row.max_mw) == 0.0
        assert row.earliest_year == ""


def test_allowed_rows_have_a_cost_a_size_and_a_start(options) -> None:
    ok = options[options.allowed == "yes"]
    capex = _num(ok.capex_usd_per_kw)
    price = _num(ok.price_usd_per_mwh)
    assert (_num(ok.max_mw) > 0).all()
    years = _num(ok.earliest_year)
    assert years.between(2025, 2045).all()
    for row, cx, pr in zip(ok.itertuples(), capex, price, strict=True):
        where = f"{row.market_id}/{row.option}"
        if row.cost_basis == "capex":
            assert 200 < cx < 15_000 and pd.isna(pr), where
        elif row.cost_basis == "ppa_price":
            assert 5 < pr < 300 and pd.isna(cx), where
        else:
            assert row.cost_basis == "premium_over_grid" and 0 <= pr < 50, where


def test_capacity_factors_are_physical_and_on_an_ac_basis(options) -> None:
    for row in options.itertuples():
        if row.kind in STORAGE:
            assert row.capacity_factor == ""
            continue
        cf = float(row.capacity_factor)
        low, high = CF_BOUNDS.get(row.kind, (0.05, 1.0))
        if row.profile == "flat" and row.kind in {"solar", "hydro", "green_tariff"}:
            low, high = 0.8, 1.0  # a contracted 24/7 block
        assert low <= cf <= high, f"{row.market_id}/{row.option}: cf {cf}"


def test_data_years_are_plausible(options, factors, sources) -> None:
    for frame in (options, factors):
        assert _num(frame.data_year).between(1980, 2026).all()
    assert _num(sources.year).between(1980, 2026).all()


def test_no_nuclear_is_allowed_in_germany(options) -> None:
    de = options[options.market_id == "de-frankfurt"]
    assert set(de.kind) & NUCLEAR, "Germany must state its nuclear ban, not omit it"
    assert (de[de.kind.isin(NUCLEAR)].allowed == "no").all()
    assert de[de.kind.isin(NUCLEAR)].legal_basis.str.contains("Atomgesetz").all()


@pytest.mark.parametrize(
    ("market", "law"),
    [("ie-dublin", "Electricity Regulation Act 1999"), ("us-oregon", "ORS 469")],
)
def test_statutory_nuclear_bans_are_recorded(options, market, law) -> None:
    rows = options[(options.market_id == market) & options.kind.isin(NUCLEAR)]
    assert len(rows) >= 1 and (rows.allowed == "no").all()
    assert rows.legal_basis.str.contains(law, regex=False).all()


def test_existing_us_nuclear_can_be_contracted_where_a_market_exists(options) -> None:
    """PJM and ERCOT buyers have a nuclear PPA route; Arizona's utility-owned plant does not."""
    nuc = options[options.kind == "nuclear_ppa"]
    for market in ("us-northern-virginia", "us-ohio", "us-texas"):
        rows = nuc[(nuc.market_id == market) & (nuc.allowed == "yes")]
        assert len(rows) >= 1, market
        assert (_num(rows.max_mw) >= 800).all() and (_num(rows.earliest_year) >= 2026).all()
    assert (nuc[nuc.market_id == "us-arizona"].allowed == "no").all()


def test_gulf_single_buyers_block_bilateral_ppas_but_allow_certificates(options) -> None:
    gulf = options[options.market_id.str.match(r"^(ae|sa)-")]
    ppa = gulf[gulf.contract.isin({"physical_ppa", "virtual_ppa"})]
    assert len(ppa) >= 3 and (ppa.allowed == "no").all()
    ad = gulf[(gulf.market_id == "ae-abu-dhabi") & (gulf.kind == "nuclear_ppa")]
    dxb = gulf[(gulf.market_id == "ae-dubai") & (gulf.kind == "nuclear_ppa")]
    assert (ad.contract == "certificates").all() and (ad.allowed == "yes").all()
    assert (dxb.allowed == "no").all(), "Abu Dhabi CECs are for consumption in Abu Dhabi only"


def test_contracted_prices_order_as_the_markets_do(options) -> None:
    """Gulf tenders clear below Nordic wind, which clears below Irish and British auctions."""
    price = options.assign(p=_num(options.price_usd_per_mwh))
    ppa = price[price.cost_basis == "ppa_price"]

    def cheapest(market: str, kind: str) -> float:
        return float(ppa[(ppa.market_id == market) & (ppa.kind == kind)].p.min())

    assert cheapest("ae-abu-dhabi", "solar") < cheapest("se-stockholm", "wind")
    assert cheapest("sa-riyadh", "solar") < cheapest("ae-dubai", "solar")
    assert cheapest("se-stockholm", "wind") < cheapest("ie-dublin", "wind")
    assert cheapest("fi-helsinki", "wind") < cheapest("gb-london", "wind")


def test_every_country_of_the_markets_has_a_solar_and_a_wind_factor(factors) -> None:
    assert not factors.duplicated(["country", "technology"]).any()
    for country in set(market_identities().country):
        have = set(factors.loc[factors.country == country, "technology"])
        assert {"solar", "wind"} <= have, f"{country} lacks {sorted({'solar', 'wind'} - have)}"


def test_factors_are_bounded_and_the_us_is_the_reference(factors) -> None:
    f = _num(factors.factor_vs_us)
    assert ((f > 0.2) & (f < 5)).all()
    us = factors.assign(f=f)[factors.country == "US"]
    assert (us.f == 1.0).all() and {"solar", "wind"} <= set(us.technology)


def test_published_cost_ranking_survives(factors) -> None:
    """IRENA/IEA country data: Japan builds dearer than the US, India cheaper, in solar and wind."""
    f = factors.assign(f=_num(factors.factor_vs_us)).set_index(["country", "technology"]).f
    for tech in ("solar", "wind"):
        assert f[("JP", tech)] > 1.0 > f[("IN", tech)]
    assert f[("JP", "offshore_wind")] > f[("US", "offshore_wind")]
