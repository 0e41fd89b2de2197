"""Sub-national grids: markets in one country carry their own grid's intensity and clean share."""

from __future__ import annotations

import pytest

from gridfirst.data import bundled_markets, market_facts

MARKETS = {m.id: m for m in bundled_markets()}
GRID_FIELDS = ("grid_intensity_tco2_per_mwh", "grid_cfe_share")

AU = ("au-sydney", "au-melbourne", "au-brisbane", "au-adelaide", "au-perth")
JP = ("jp-tokyo-inzai", "jp-osaka", "jp-hokkaido", "jp-kyushu")


@pytest.mark.parametrize("ids", [AU, JP])
def test_each_city_has_its_own_grid(ids: tuple[str, ...]) -> None:
    pairs = {(MARKETS[i].grid_intensity_tco2_per_mwh, MARKETS[i].grid_cfe_share) for i in ids}
    assert len(pairs) == len(ids)
    facts = market_facts()
    for mid in ids:
        for field in GRID_FIELDS:
            note = facts[(facts.market_id == mid) & (facts.field == field)].note.iloc[0]
            assert "country-level" not in note, (mid, field)


def test_south_australia_is_cleaner_than_victoria_and_the_northern_nem() -> None:
    sa = MARKETS["au-adelaide"]
    for mid in ("au-melbourne", "au-sydney", "au-brisbane"):
        assert sa.grid_intensity_tco2_per_mwh < MARKETS[mid].grid_intensity_tco2_per_mwh
        assert sa.grid_cfe_share > MARKETS[mid].grid_cfe_share


def test_japanese_areas_with_restarted_nuclear_are_cleaner_than_tokyo() -> None:
    tokyo = MARKETS["jp-tokyo-inzai"]
    for mid in ("jp-osaka", "jp-kyushu"):
        assert MARKETS[mid].grid_cfe_share > tokyo.grid_cfe_share + 0.2
        assert MARKETS[mid].grid_intensity_tco2_per_mwh < tokyo.grid_intensity_tco2_per_mwh


def test_hong_kong_counts_its_imported_nuclear() -> None:
    assert MARKETS["hk-hong-kong"].grid_cfe_share >= 0.25


def test_intensity_and_clean_share_agree_on_the_fossil_part() -> None:
    # the fossil part of a grid emits between a gas CCGT (~0.4 t/MWh) and brown coal (~1.3 t/MWh);
    # grids that are almost all clean are dominated by the life-cycle emissions of the clean part
    for market in MARKETS.values():
        fossil = 1.0 - market.grid_cfe_share
        if fossil < 0.1:
            continue
        per_fossil_mwh = market.grid_intensity_tco2_per_mwh / fossil
        assert 0.4 <= per_fossil_mwh <= 1.35, (market.id, round(per_fossil_mwh, 2))


def test_regional_prices_follow_the_wholesale_ordering() -> None:
    # Victoria had the lowest and New South Wales the highest NEM spot prices in H2 2024
    prices = {mid: MARKETS[mid].price_usd_per_mwh for mid in AU}
    assert prices["au-melbourne"] < prices["au-adelaide"] < prices["au-brisbane"] < prices["au-sydney"]
