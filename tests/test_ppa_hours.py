"""A scenario PPA hour by hour: its output in the hourly CFE of the sites it serves, once, as a CfD."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plan_fixtures import plan_to, small_scenario_dict, write_yaml

from gridfirst.data import bundled_markets
from gridfirst.planning.carbon import plan_carbon
from gridfirst.planning.run import PlanResult
from gridfirst.procurement.contract import (
    ContractShare,
    cfd_settlement_usd,
    contract_generator,
    contract_profile,
)
from gridfirst.procurement.costs import default_costs
from gridfirst.procurement.model import Generator, Storage, build_lp
from gridfirst.procurement.solve import solve_lp
from gridfirst.resources import market_profiles

MARKETS = {m.id: m for m in bundled_markets()}
PPA_MW = 60.0


# ------------------------------------------------------------------ the LP with a contract

def _lp(hours: int, seed: int, contract_mw: float, target: float, flat_price: bool = False):
    rng = np.random.default_rng(seed)
    t = np.arange(hours)
    sun = np.clip(np.sin((t % 24 - 6) / 12 * np.pi), 0, None) * rng.uniform(0.4, 1.0, hours)
    wind = rng.uniform(0.0, 0.9, hours)
    price = np.full(hours, 80.0) if flat_price else rng.uniform(30, 160, hours)
    profiles = pd.DataFrame({
        "load_mw": rng.uniform(50, 100, hours), "solar_cf": sun, "wind_cf": wind,
        "grid_price_usd_per_mwh": price,
        "grid_intensity_tco2_per_mwh": rng.uniform(0.2, 0.8, hours),
        "grid_cfe_share": rng.uniform(0.0, 0.4, hours),
    })
    gens = [Generator("solar", sun, 6e4, kind="solar"),
            Generator("firm", np.full(hours, 0.9), 6e5, 20.0, max_mw=40.0, kind="nuclear_ppa")]
    stores = [Storage("battery", 3e4, 1.5e4, 0.92, 0.92, duration_h=4.0)]
    share = ContractShare("wind-cfd", "wind", MARKETS["au-sydney"], contract_mw, 55.0)
    with_ppa = (*gens, contract_generator(share, wind))
    base = build_lp(profiles, default_costs(), target, supply=(tuple(gens), tuple(stores)),
                    cfe_shortfall_usd_per_mwh=5000.0)
    return base, build_lp(profiles, default_costs(), target, supply=(with_ppa, tuple(stores)),
                          cfe_shortfall_usd_per_mwh=5000.0), share, wind, price


SETTINGS = settings(max_examples=20, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(hours=st.sampled_from([24, 48, 96]), seed=st.integers(0, 2**31 - 1),
       mw=st.sampled_from([5.0, 40.0, 150.0]), target=st.sampled_from([0.0, 0.5, 0.8, 0.97]))
def test_a_contract_never_lowers_cfe_and_never_raises_cost(hours, seed, mw, target) -> None:
    base, with_ppa, share, wind, _ = _lp(hours, seed, mw, target)
    before = solve_lp(base, method="highs")
    after = solve_lp(with_ppa, method="highs")
    penalty = 5000.0
    assert after.cfe_score >= before.cfe_score - 1e-7
    # the contract's energy costs the grid price: the LP may use it or leave it
    assert (after.objective_usd + penalty * after.cfe_shortfall_mwh
            <= before.objective_usd + penalty * before.cfe_shortfall_mwh + 1e-6 * before.objective_usd)
    row = next(r for r in after.supply if r["option"] == "wind-cfd")
    assert row["contract"] == "cfd" and row["mw"] == pytest.approx(mw)
    used = after.dispatch["option:wind-cfd_mw"].to_numpy()
    assert np.all(used <= wind * mw + 1e-6)  # never more than its hourly output
    # and only what the load can use, or store for a later hour
    assert np.all(used <= with_ppa.load_mw + after.dispatch["charge_mw"].to_numpy() + 1e-6)


@SETTINGS
@given(hours=st.sampled_from([24, 72]), seed=st.integers(0, 2**31 - 1),
       mw=st.sampled_from([10.0, 80.0]), target=st.sampled_from([0.5, 0.9]))
def test_fast_matches_highs_with_a_contract(hours, seed, mw, target) -> None:
    _, lp, *_ = _lp(hours, seed, mw, target)
    highs, fast = solve_lp(lp, method="highs"), solve_lp(lp, method="fast")
    obj = [r.objective_usd + 5000.0 * r.cfe_shortfall_mwh for r in (highs, fast)]
    assert obj[1] == pytest.approx(obj[0], rel=1e-6, abs=1e-3)


def test_contract_energy_costs_the_hourly_grid_price() -> None:
    _, lp, _, _, price = _lp(48, 3, 60.0, 0.9)
    r = solve_lp(lp, method="highs")
    used = r.dispatch["option:wind-cfd_mw"].to_numpy()
    assert r.cost_split_usd["wind-cfd_energy"] == pytest.approx(float(used @ price), rel=1e-9)
    assert r.cost_split_usd["wind-cfd_capacity"] == 0.0
    assert sum(r.cost_split_usd.values()) == pytest.approx(r.objective_usd, rel=1e-12)


def test_cfd_settlement_is_strike_minus_capture_on_all_output() -> None:
    _, _, share, wind, price = _lp(168, 5, 60.0, 0.9)
    out = wind * share.mw
    capture = float(price @ out) / float(out.sum())
    settle = cfd_settlement_usd(share, wind, price)
    assert settle == pytest.approx((share.strike_usd_per_mwh - capture) * out.sum(), rel=1e-12)
    # at a flat price equal to the strike nothing changes hands
    flat = replace_strike(share, 80.0)
    assert cfd_settlement_usd(flat, wind, np.full(wind.size, 80.0)) == pytest.approx(0.0, abs=1e-6)


def replace_strike(share: ContractShare, strike: float) -> ContractShare:
    from dataclasses import replace

    return replace(share, strike_usd_per_mwh=strike)


# ------------------------------------------------------------------------------ in the plan

@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> tuple[PlanResult, Path]:
    """The small plan in Sydney alone, two 20 MW sites and the market's own candidate, with a
    signed wind PPA there (the weight sensitivity off, for time)."""
    data = small_scenario_dict(name="ppa-plan")
    data["markets"]["include"] = ["au-sydney"]
    data["sites"] = [{"id": f"syd-{k}", "market": "au-sydney", "max_it_mw": 20,
                      "power_schedule": [{"year": 2027, "available_mw": 30}]} for k in "ab"]
    data["options"]["plan"]["sensitivity_samples"] = 0
    data["deals"] = [{"id": "syd-wind", "kind": "ppa", "technology": "wind",
                      "counterparty": "Example Wind", "market": "au-sydney",
                      "capacity_mw": PPA_MW, "start_year": 2027, "term_years": 10,
                      "price_usd_per_mwh": 60.0, "stage": "signed"}]
    folder = tmp_path_factory.mktemp("ppa-plan")
    path = write_yaml(data, folder / "scenario.yaml")
    cache = tmp_path_factory.mktemp("ppa-cache")
    return plan_to(folder / "out", path, cache=_cache(cache)), folder / "out"


def _cache(folder: Path):
    from gridfirst.resolve import ResultCache

    return ResultCache(directory=folder)


def test_ppa_mwh_is_credited_once_across_the_sites_it_serves(planned) -> None:
    result, _ = planned
    c = result.contracts
    assert c is not None and list(c.deals["deal"]) == ["syd-wind"]
    shares = c.shares
    assert not shares.empty and set(shares["market"]) == {"au-sydney"}
    profile = market_profiles(MARKETS["au-sydney"], seed=result.resolved.seed)
    deal = result.scenario.deals[0]
    from gridfirst.procurement.stack import ppa_profile

    cf = float(ppa_profile(MARKETS["au-sydney"], "wind", profile).mean())
    per_year = shares.groupby("year")["credited_mwh"].sum()
    for year, mwh in per_year.items():
        assert deal.start_year <= year <= deal.start_year + deal.term_years - 1
        assert mwh == pytest.approx(PPA_MW * cf * 8760, rel=1e-9), year
    # shares of the site load add up to one each year and follow each site's facility energy
    assert np.allclose(shares.groupby("year")["load_share"].sum(), 1.0)
    assert shares["site"].nunique() >= 2
    builds = result.portfolio.builds
    for row in shares.itertuples(index=False):
        year = builds[(builds["year"] == row.year) & builds["site"].isin(
            shares.loc[shares["year"] == row.year, "site"])]
        energy = year["online_mw"] * year["pue"]
        own = energy[year["site"] == row.site].sum()
        assert row.load_share == pytest.approx(own / energy.sum(), rel=1e-9)
    # matched never exceeds credited
    assert np.all(shares["matched_mwh"] <= shares["credited_mwh"] * (1 + 1e-12))
    assert np.all(shares["matched_mwh"] > 0)


def test_a_site_served_by_a_ppa_never_loses_cfe(planned) -> None:
    shares = planned[0].contracts.shares
    assert np.all(shares["cfe_score"] >= shares["cfe_score_without"] - 1e-7)


def test_plan_carbon_uses_the_sites_hours_with_the_ppa(planned) -> None:
    result, folder = planned
    by_site, _ = plan_carbon(result)
    c = result.contracts
    for row in c.site_years.itertuples(index=False):
        hit = by_site[(by_site["site"] == row.site) & (by_site["year"] == row.year)]
        assert len(hit) == 1
        assert hit["power"].iloc[0] == f"procured as {row.procured_as}"
        assert hit["cfe_score"].iloc[0] == pytest.approx(
            float(c.procurement.loc[row.procured_as, "cfe_score"]))
    # the output folder shows it: ppa.csv and plan.json's ppas agree
    table = pd.read_csv(folder / "ppa.csv")
    assert table["credited_mwh"].sum() == pytest.approx(c.shares["credited_mwh"].sum())
    summary = json.loads((folder / "plan.json").read_text())
    ppa = summary["ppas"][0]
    assert ppa["deal"] == "syd-wind" and ppa["sites"]
    settle = (ppa["strike_usd_per_mwh"] - ppa["capture_price_usd_per_mwh"]) * ppa["mwh_per_year"]
    assert ppa["settlement_usd_per_year"] == pytest.approx(settle, rel=1e-9)
    assert all(0 < y["matched_share"] <= 1 for y in ppa["by_year"])
    assert not math.isnan(ppa["capacity_factor"])


def test_contract_profile_is_the_markets_technology_output() -> None:
    share = ContractShare("x", "solar", MARKETS["au-sydney"], 10.0, 50.0)
    p = contract_profile(share)
    assert p.shape == (8760,) and 0.0 <= p.min() and p.max() <= 1.0 and p.mean() > 0.1
