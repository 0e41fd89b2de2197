"""Supply options of the Asia-Pacific markets: schema, provenance, law and physical ranges.

Checks the bundled tables data/supply/options_apac.csv and sources_supply_apac.csv only; the
procurement model that reads them is tested elsewhere.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import gridfirst

DATA = Path(gridfirst.__file__).parent / "data"
SUPPLY = DATA / "supply"

OPTION_COLUMNS = [
    "market_id", "option", "kind", "contract", "allowed", "legal_basis", "max_mw", "earliest_year",
    "capex_usd_per_kw", "fixed_om_usd_per_kw_year", "price_usd_per_mwh", "capacity_factor", "cost_basis",
    "profile", "source_id", "data_year", "note",
]
SOURCE_COLUMNS = ["source_id", "kind", "publisher", "title", "year", "url", "retrieved", "licence", "reasoning"]
KINDS = {
    "solar", "wind", "offshore_wind", "hydro", "geothermal", "nuclear_ppa", "new_nuclear", "licensed_import",
    "green_tariff", "gas_ccs", "battery", "long_duration_storage", "bioenergy",
}
CONTRACTS = {"on_site", "physical_ppa", "virtual_ppa", "cfd", "green_tariff", "certificates", "licensed_import"}
COST_BASES = {"capex", "ppa_price", "premium_over_grid"}
PROFILES = {"solar", "wind", "offshore_wind", "flat", "hydro_seasonal", "geothermal_flat"}
STORAGE = {"battery", "long_duration_storage"}
NUCLEAR = {"nuclear_ppa", "new_nuclear"}
# Upper bounds of an annual AC capacity factor that a plant of the kind can physically reach.
CF_MAX = {"solar": 0.35, "wind": 0.60, "offshore_wind": 0.65, "hydro": 0.9, "geothermal": 0.98,
          "nuclear_ppa": 0.95, "new_nuclear": 0.95, "bioenergy": 0.95, "gas_ccs": 0.95}
NUMERIC = ["max_mw", "earliest_year", "capex_usd_per_kw", "fixed_om_usd_per_kw_year", "price_usd_per_mwh",
           "capacity_factor", "data_year"]
SOURCE_REF = re.compile(r"sup-[a-z0-9]+(?:-[a-z0-9]+)*")


@pytest.fixture(scope="module")
def options() -> pd.DataFrame:
    frame = pd.read_csv(SUPPLY / "options_apac.csv", dtype=str, keep_default_na=False)
    for column in NUMERIC:
        frame[column + "_num"] = pd.to_numeric(frame[column].replace("", None), errors="coerce")
    return frame


@pytest.fixture(scope="module")
def supply_sources() -> pd.DataFrame:
    return pd.read_csv(SUPPLY / "sources_supply_apac.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def apac_markets() -> set[str]:
    markets = pd.read_csv(DATA / "markets.csv", dtype=str)
    return set(markets.loc[markets["region"] == "asia_pacific", "id"])


def test_columns_are_exactly_the_schema(options: pd.DataFrame, supply_sources: pd.DataFrame) -> None:
    header = pd.read_csv(SUPPLY / "options_apac.csv", nrows=0).columns.tolist()
    assert header == OPTION_COLUMNS
    assert supply_sources.columns.tolist() == SOURCE_COLUMNS


def test_numbers_parse_where_given(options: pd.DataFrame) -> None:
    for column in NUMERIC:
        given = options[column] != ""
        bad = options.loc[given & options[column + "_num"].isna(), ["market_id", "option", column]]
        assert bad.empty, f"non-numeric {column}:\n{bad}"


def test_every_asia_pacific_market_is_covered_and_no_other(options: pd.DataFrame, apac_markets: set[str]) -> None:
    assert set(options["market_id"]) == apac_markets
    assert len(apac_markets) == 23
    counts = options.groupby("market_id").size()
    assert (counts >= 3).all(), counts[counts < 3]


def test_option_keys_are_unique(options: pd.DataFrame) -> None:
    duplicated = options[options.duplicated(["market_id", "option"], keep=False)]
    assert duplicated.empty, duplicated[["market_id", "option"]]


def test_enumerations_are_valid(options: pd.DataFrame) -> None:
    assert set(options["kind"]) <= KINDS
    assert set(options["contract"]) <= CONTRACTS
    assert set(options["allowed"]) <= {"yes", "no"}
    allowed = options["allowed"] == "yes"
    assert set(options.loc[allowed, "cost_basis"]) <= COST_BASES
    assert set(options.loc[~allowed, "cost_basis"]) <= COST_BASES | {""}
    storage = options["kind"].isin(STORAGE)
    assert set(options.loc[allowed & ~storage, "profile"]) <= PROFILES
    assert set(options.loc[storage | ~allowed, "profile"]) <= PROFILES | {""}


def test_every_source_id_joins_and_sources_are_complete(options: pd.DataFrame, supply_sources: pd.DataFrame) -> None:
    ids = supply_sources["source_id"]
    assert ids.is_unique
    assert ids.str.startswith("sup-").all()
    assert set(options["source_id"]) <= set(ids)
    cited_in_text = set(SOURCE_REF.findall(" ".join(options["note"]) + " " + " ".join(supply_sources["reasoning"])))
    assert cited_in_text <= set(ids), cited_in_text - set(ids)
    assert set(supply_sources["kind"]) <= {"source", "assumption"}
    real = supply_sources[supply_sources["kind"] == "source"]
    assert (real["url"].str.startswith("http")).all()
    assert (real["publisher"] != "").all() and (real["title"] != "").all()
    assert supply_sources["year"].str.fullmatch(r"\d{4}").all()
    assert (supply_sources["reasoning"].str.len() > 40).all(), "every source and assumption explains itself"


def test_disallowed_options_cite_a_law_or_rule_with_its_year(options: pd.DataFrame) -> None:
    banned = options[options["allowed"] == "no"]
    assert not banned.empty
    assert (banned["legal_basis"].str.len() > 20).all()
    assert banned["legal_basis"].str.contains(r"(?:19|20)\d\d").all(), banned[["market_id", "option", "legal_basis"]]
    # A banned option offers nothing to contract.
    assert (banned["max_mw_num"].fillna(0) == 0).all()


def test_no_nuclear_is_allowed_anywhere_in_australia(options: pd.DataFrame) -> None:
    australia = options[options["market_id"].str.startswith("au-")]
    nuclear = australia[australia["kind"].isin(NUCLEAR)]
    assert set(nuclear["market_id"]) == set(australia["market_id"]), "each AU market carries explicit 'no' rows"
    assert (nuclear["allowed"] == "no").all()
    assert nuclear["legal_basis"].str.contains("s140A").all()
    assert nuclear["legal_basis"].str.contains("1998").all()


def test_singapore_has_no_onshore_wind_and_imports_only_from_licensed_years(options: pd.DataFrame) -> None:
    singapore = options[options["market_id"] == "sg-singapore"]
    wind = singapore[singapore["kind"] == "wind"]
    assert len(wind) == 1 and (wind["allowed"] == "no").all()
    imports = singapore[singapore["kind"] == "licensed_import"]
    assert not imports.empty
    # EMA's first conditional licences (Sep 2024) aim at commercial operation from 2028.
    assert imports["earliest_year_num"].min() >= 2028
    assert (imports["legal_basis"] != "").all()
    solar = singapore[(singapore["kind"] == "solar") & (singapore["allowed"] == "yes")]
    # Little solar: well under the 2 GWp national target in total.
    assert 0 < solar["max_mw_num"].sum() < 2000


def test_geothermal_is_offered_where_it_exists(options: pd.DataFrame) -> None:
    geothermal = options[(options["kind"] == "geothermal") & (options["allowed"] == "yes")]
    assert {"nz-auckland", "ph-manila", "id-jakarta", "jp-kyushu"} <= set(geothermal["market_id"])
    assert not options[(options["kind"] == "geothermal") & options["market_id"].isin(["sg-singapore", "hk-hong-kong"])
                       & (options["allowed"] == "yes")].shape[0]


def test_nuclear_through_a_buyer_contract_follows_market_rules(options: pd.DataFrame) -> None:
    nuclear = options[options["kind"] == "nuclear_ppa"].set_index("market_id")
    for closed in ["kr-seoul", "tw-taipei", "hk-hong-kong", "in-mumbai", "in-chennai"]:
        assert nuclear.loc[closed, "allowed"] == "no", closed
    japan = nuclear.loc[nuclear.index.str.startswith("jp-")]
    assert len(japan) == 4 and (japan["allowed"] == "yes").all()
    # Japan's restarts: Kashiwazaki-Kariwa 6 in 2026 (Tokyo), Tomari 3 in 2027 (Hokkaido).
    assert nuclear.loc["jp-tokyo-inzai", "earliest_year_num"] == 2026
    assert nuclear.loc["jp-hokkaido", "earliest_year_num"] == 2027


def test_costs_match_their_basis(options: pd.DataFrame) -> None:
    allowed = options[options["allowed"] == "yes"]
    capex = allowed[allowed["cost_basis"] == "capex"]
    assert (capex["capex_usd_per_kw_num"] > 0).all() and capex["price_usd_per_mwh_num"].isna().all()
    priced = allowed[allowed["cost_basis"] != "capex"]
    assert priced["price_usd_per_mwh_num"].notna().all() and priced["capex_usd_per_kw_num"].isna().all()
    assert (priced.loc[priced["cost_basis"] == "ppa_price", "price_usd_per_mwh_num"] > 0).all()
    assert (priced.loc[priced["cost_basis"] == "premium_over_grid", "price_usd_per_mwh_num"] >= 0).all()
    assert (options["fixed_om_usd_per_kw_year_num"].dropna() >= 0).all()
    # Fixed O&M is a few per cent of capital a year, never more than a fifth of it.
    with_fom = capex.dropna(subset=["fixed_om_usd_per_kw_year_num"])
    assert (with_fom["fixed_om_usd_per_kw_year_num"] < 0.2 * with_fom["capex_usd_per_kw_num"]).all()


def test_numbers_lie_in_physical_and_economic_ranges(options: pd.DataFrame) -> None:
    allowed = options[options["allowed"] == "yes"]
    generation = allowed[allowed["kind"].isin(CF_MAX) & (allowed["cost_basis"] != "premium_over_grid")]
    cf = generation["capacity_factor_num"]
    assert cf.notna().all(), generation.loc[cf.isna(), ["market_id", "option"]]
    assert ((cf > 0) & (cf <= 1)).all()
    assert (cf <= generation["kind"].map(CF_MAX)).all()
    assert (allowed["max_mw_num"] > 0).all()
    assert allowed["earliest_year_num"].between(2024, 2040).all()
    assert options["data_year_num"].between(2010, 2035).all()
    assert allowed["capex_usd_per_kw_num"].dropna().between(300, 12000).all()
    assert allowed["price_usd_per_mwh_num"].dropna().between(0, 300).all()
    # Solar beats geothermal and offshore wind on capital per kW wherever both are costed that way.
    by_kind = allowed.groupby("kind")["capex_usd_per_kw_num"].median()
    assert by_kind["solar"] < by_kind["offshore_wind"] < by_kind["geothermal"]


def test_premiums_are_small_against_the_grid_price(options: pd.DataFrame) -> None:
    facts = pd.read_csv(DATA / "facts_energy.csv", dtype=str)
    grid = facts[facts["field"] == "price_usd_per_mwh"].set_index("market_id")["value"].astype(float)
    premium = options[(options["allowed"] == "yes") & (options["cost_basis"] == "premium_over_grid")]
    ratio = premium["price_usd_per_mwh_num"].to_numpy() / grid.loc[premium["market_id"]].to_numpy()
    assert (ratio < 0.6).all(), premium.assign(ratio=ratio)[["market_id", "option", "ratio"]]


def test_storage_has_no_generation_profile_and_certificates_are_flat(options: pd.DataFrame) -> None:
    storage = options[options["kind"].isin(STORAGE)]
    assert (storage["profile"] == "").all() and storage["capacity_factor_num"].isna().all()
    certificates = options[options["contract"].isin(["certificates", "green_tariff"])]
    assert (certificates["profile"] == "flat").all()
