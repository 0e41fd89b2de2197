"""One solar resource basis: every bundled solar_cf is an AC single-axis-tracking factor."""

from __future__ import annotations

import math

import pytest

from gridfirst.data import bundled_markets, market_facts, market_identities, sources
from gridfirst.data.prepare_solar_basis import (
    BASES,
    DC_AC_RATIO,
    HOURS_PER_YEAR,
    convert,
    convert_row,
    read_basis,
)
from gridfirst.errors import DataError

MARKETS = {m.id: m for m in bundled_markets()}
BASIS = read_basis().set_index("market_id")


def test_every_market_has_one_basis_row_with_a_known_basis_and_source() -> None:
    assert BASIS.index.is_unique
    assert set(BASIS.index) == set(market_identities().index)
    assert set(BASIS.source_basis) <= set(BASES)
    known = set(sources().index)
    assert set(BASIS.source_id) <= known
    for mid, row in BASIS.iterrows():
        assert set(row.method_source_ids.split(";")) <= known, mid
        if row.source_basis != "dc_fixed_pvout_kwh_per_kwp":
            assert float(row.source_dc_ac_ratio) >= 1.0, mid
        if row.source_basis == "ac_cf_fleet":
            assert 0.0 <= float(row.source_tracking_share) <= 1.0, mid
        assert float(row.dc_ac_ratio) == DC_AC_RATIO
        assert 2000 <= int(row.data_year) <= 2030


def test_market_facts_carry_the_converted_figure_and_its_source() -> None:
    facts = market_facts()
    solar = facts[facts.field == "solar_cf"].set_index("market_id")
    for mid, row in BASIS.iterrows():
        assert float(solar.at[mid, "value"]) == pytest.approx(float(row.solar_cf), abs=6e-4), mid
        assert solar.at[mid, "source_id"] == row.source_id
        assert solar.at[mid, "data_year"] == row.data_year
        assert "AC single-axis tracking" in solar.at[mid, "note"]
        assert row.source_basis in solar.at[mid, "note"]


@pytest.mark.parametrize("mid", sorted(BASIS.index))
def test_stored_conversion_is_what_the_script_computes(mid: str) -> None:
    market = MARKETS[mid]
    table = read_basis()
    raw = table[table.market_id == mid].iloc[0]
    conv = convert_row(raw, market.latitude, market.longitude, market.mean_temperature_c)
    row = BASIS.loc[mid]
    assert conv.solar_cf == pytest.approx(float(row.solar_cf), abs=1e-3)
    assert conv.tracking_gain == pytest.approx(float(row.tracking_gain), abs=2e-3)
    assert conv.implied_pvout_kwh_per_kwp == pytest.approx(
        float(row.implied_pvout_kwh_per_kwp), rel=2e-3
    )
    assert MARKETS[mid].solar_cf == pytest.approx(conv.solar_cf, abs=1e-3)


def test_conversion_identity_and_physical_ranges() -> None:
    for mid, row in BASIS.iterrows():
        pvout = float(row.implied_pvout_kwh_per_kwp)
        gain, clip, cf = float(row.tracking_gain), float(row.clipping_loss), float(row.solar_cf)
        assert cf == pytest.approx(pvout / HOURS_PER_YEAR * gain * DC_AC_RATIO * (1 - clip), abs=2e-4)
        # a tracker sees at least what a fixed plane sees, and at most ~35 % more (clear desert)
        assert gain >= 1.0 and gain <= 1.35, mid
        assert 0.0 <= clip <= 0.10, mid
        if row.source_basis == "dc_fixed_pvout_kwh_per_kwp":
            assert pvout == pytest.approx(float(row.source_value), rel=5e-3), mid


def test_every_bundled_solar_cf_is_an_ac_tracking_factor_in_physical_range() -> None:
    for market in MARKETS.values():
        assert 0.10 <= market.solar_cf <= 0.35, (market.id, market.solar_cf)


def test_riyadh_is_not_worse_than_arizona_by_more_than_resource_allows() -> None:
    # Riyadh's resource (PVOUT ~1,880 kWh/kWp, country) matches Phoenix's; mixed bases once made
    # Arizona look 35 % better.
    assert MARKETS["sa-riyadh"].solar_cf >= 0.85 * MARKETS["us-arizona"].solar_cf


def test_singapore_and_japan_are_ordered_as_their_pvout() -> None:
    sg = BASIS.loc["sg-singapore"]
    for mid in ("jp-tokyo-inzai", "jp-osaka", "jp-hokkaido", "jp-kyushu"):
        jp = BASIS.loc[mid]
        pvout_says = float(sg.country_pvout_kwh_per_kwp_per_day) > float(
            jp.country_pvout_kwh_per_kwp_per_day
        )
        assert (MARKETS["sg-singapore"].solar_cf > MARKETS[mid].solar_cf) == pvout_says, mid


def test_implied_pvout_is_close_to_the_country_pvout_where_the_source_is_not_pvout() -> None:
    # the fleet and AC figures, once on a fixed-tilt DC basis, land near the World Bank country
    # figure (+-30 %: cities and fleets differ from country means, never by a factor)
    for mid, row in BASIS.iterrows():
        if not row.country_pvout_kwh_per_kwp_per_day:
            continue
        country = float(row.country_pvout_kwh_per_kwp_per_day) * 365
        assert 0.7 <= float(row.implied_pvout_kwh_per_kwp) / country <= 1.3, mid


def test_a_figure_on_the_models_own_basis_converts_to_itself() -> None:
    conv = convert(33.45, -112.07, 24.0, 0.27, "ac_cf_tracking", source_dc_ac_ratio=DC_AC_RATIO)
    assert conv.solar_cf == pytest.approx(0.27, abs=1e-4)


def test_more_resource_gives_a_higher_factor_and_trackers_gain_more_in_the_desert() -> None:
    low = convert(24.71, 46.68, 26.0, 1500.0, "dc_fixed_pvout_kwh_per_kwp")
    high = convert(24.71, 46.68, 26.0, 1800.0, "dc_fixed_pvout_kwh_per_kwp")
    assert high.solar_cf > low.solar_cf
    # a clearer sky is less diffuse, and a tracker gains more from beam than from diffuse light
    assert high.tracking_gain > low.tracking_gain
    north = convert(52.37, 4.90, 10.0, 1000.0, "dc_fixed_pvout_kwh_per_kwp")
    assert high.tracking_gain > north.tracking_gain
    # an AC figure at a higher DC/AC ratio means less resource per kWp
    a = convert(35.0, 139.0, 15.0, 0.18, "ac_cf_fixed", source_dc_ac_ratio=1.2)
    b = convert(35.0, 139.0, 15.0, 0.18, "ac_cf_fixed", source_dc_ac_ratio=1.5)
    assert b.implied_pvout_kwh_per_kwp < a.implied_pvout_kwh_per_kwp
    assert math.isfinite(b.solar_cf)


def test_bad_basis_and_missing_ratio_are_named() -> None:
    with pytest.raises(DataError, match="source_basis 'dc_tracking'"):
        convert(0.0, 0.0, 20.0, 1500.0, "dc_tracking")
    with pytest.raises(DataError, match="source_dc_ac_ratio"):
        convert(0.0, 0.0, 20.0, 0.2, "ac_cf_fixed")
    with pytest.raises(DataError, match="out of reach"):
        convert(52.0, 0.0, 10.0, 4000.0, "dc_fixed_pvout_kwh_per_kwp")


@pytest.mark.parametrize("mid", ["sa-riyadh", "ae-abu-dhabi", "us-arizona"])
def test_the_profile_model_reaches_the_converted_factor(mid: str) -> None:
    from gridfirst.resources import solar_profile

    m = MARKETS[mid]
    profile = solar_profile(m.latitude, m.longitude, m.solar_cf, mean_temperature_c=m.mean_temperature_c)
    assert profile.mean() == pytest.approx(m.solar_cf, rel=1e-6)
    assert profile.max() <= 1.0
