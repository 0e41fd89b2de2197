"""The conversion chain is linear in each factor, matches a hand calculation, and every bundled
accelerator figure is sourced."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfirst.demand import (
    accelerators,
    conversion_chain,
    facility_mw,
    facility_mw_for_market,
    resolve_pue,
)
from gridfirst.demand.conversion import accelerator_sources
from gridfirst.errors import DataError, ScenarioError
from gridfirst.scenario import Market, pue_from_climate, scenario_from_dict

positive = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False)
fraction = st.floats(min_value=0.05, max_value=1.0)


def test_inference_hand_calculation():
    # 1e12 tokens/day at 2000 tokens/s per accelerator and 50% utilisation:
    # 1e12 / (86400 * 2000 * 0.5) = 11,574.07 accelerators; at 1500 W each -> 17.361 MW IT;
    # at PUE 1.2 -> 20.833 MW at the facility.
    chain = conversion_chain(
        "tokens_per_day",
        tokens_per_s_per_accelerator=2000,
        utilisation=0.5,
        it_power_per_accelerator_w=1500,
    )
    assert chain.accelerators(1e12) == pytest.approx(11574.074, rel=1e-6)
    assert chain.it_mw(1e12) == pytest.approx(17.361111, rel=1e-6)
    assert facility_mw(chain.it_mw(1e12), 1.2) == pytest.approx(20.833333, rel=1e-6)


def test_training_hand_calculation():
    # 1e26 FLOP/year at 1e15 FLOP/s peak and 40% MFU over 365.25 days:
    # 1e26 / (1e15 * 0.4 * 31,557,600 s) = 7,922.05 accelerators; at 1700 W -> 13.467 MW.
    chain = conversion_chain(
        "training_flop_per_year", peak_flop_per_s=1e15, mfu=0.4, it_power_per_accelerator_w=1700
    )
    assert chain.workload == "training"
    assert chain.accelerators(1e26) == pytest.approx(7922.05, rel=1e-5)
    assert chain.it_mw(1e26) == pytest.approx(13.4675, rel=1e-4)


def test_usage_quantities_convert_to_tokens():
    base = conversion_chain("tokens_per_day", tokens_per_s_per_accelerator=1000, utilisation=1)
    monthly = conversion_chain("tokens_per_month", tokens_per_s_per_accelerator=1000, utilisation=1)
    requests = conversion_chain(
        "requests_per_day", tokens_per_s_per_accelerator=1000, utilisation=1, tokens_per_request=800
    )
    users = conversion_chain(
        "weekly_active_users",
        tokens_per_s_per_accelerator=1000,
        utilisation=1,
        tokens_per_user_per_day=2000,
    )
    revenue = conversion_chain(
        "revenue_usd_per_year",
        tokens_per_s_per_accelerator=1000,
        utilisation=1,
        usd_per_million_tokens=5.0,
    )
    assert monthly.it_mw(365.25e9) == pytest.approx(base.it_mw(12e9))
    assert requests.it_mw(1e6) == pytest.approx(base.it_mw(8e8))
    assert users.it_mw(1e6) == pytest.approx(base.it_mw(2e9))
    # 365.25 M USD a year at 5 USD per million tokens = 2e8 tokens... per day: 1e6/5*1e6 = 2e11.
    assert revenue.it_mw(365.25e6) == pytest.approx(base.it_mw(2e11))


@settings(max_examples=60, deadline=None)
@given(x=positive, k=positive, tps=positive, util=fraction, power=positive, pue=st.floats(1.0, 2.5))
def test_chain_is_linear_in_each_factor(x, k, tps, util, power, pue):
    def mw(value=x, tps_=tps, util_=util, power_=power):
        chain = conversion_chain(
            "tokens_per_day",
            tokens_per_s_per_accelerator=tps_,
            utilisation=util_,
            it_power_per_accelerator_w=power_,
        )
        return float(chain.it_mw(value))

    ref = mw()
    assert mw(value=k * x) == pytest.approx(k * ref, rel=1e-9)  # linear in demand
    assert mw(power_=k * power) == pytest.approx(k * ref, rel=1e-9)  # linear in power
    assert mw(tps_=k * tps) == pytest.approx(ref / k, rel=1e-9)  # inverse in throughput
    if k * util <= 1.0:
        assert mw(util_=k * util) == pytest.approx(ref / k, rel=1e-9)  # inverse in utilisation
    assert float(facility_mw(ref, pue)) == pytest.approx(ref * pue, rel=1e-12)


@settings(max_examples=40, deadline=None)
@given(flop=positive, k=positive, mfu=fraction, share=fraction)
def test_training_chain_linear_and_additive(flop, k, mfu, share):
    chain = conversion_chain("training_flop_per_year", mfu=mfu, served_share=share)
    one = float(chain.it_mw(flop * 1e24))
    assert float(chain.it_mw(k * flop * 1e24)) == pytest.approx(k * one, rel=1e-9)
    assert float(chain.it_mw(flop * 1e24) + chain.it_mw(k * flop * 1e24)) == pytest.approx(
        float(chain.it_mw((1 + k) * flop * 1e24)), rel=1e-9
    )
    full = conversion_chain("training_flop_per_year", mfu=mfu)
    assert one == pytest.approx(share * float(full.it_mw(flop * 1e24)), rel=1e-9)


def _market(**over: object) -> Market:
    fields: dict[str, object] = dict(
        id="xx-test",
        name="Test",
        country="SG",
        region="asia_pacific",
        latitude=1.3,
        longitude=103.8,
        grid_available_mw=100,
        grid_energisation_year=2027,
        interconnection_lead_time_months=24,
        price_usd_per_mwh=100,
        grid_intensity_tco2_per_mwh=0.4,
        grid_cfe_share=0.1,
        solar_cf=0.15,
        wind_cf=0.1,
        land_cost_usd_per_m2=1000,
        construction_cost_usd_per_mw=1e7,
        political_stability_percentile=90,
        regulatory_quality_percentile=90,
        conflict_exposure_gpi=1.5,
        ai_training_legal_regime="yes",
        seismic_hazard_pga_g=0.05,
        cyclone_hazard_level=0,
        water_stress_score=2,
        mean_temperature_c=28.0,
        labour_capacity_mw_per_year=100,
        existing_capacity_mw=1000,
        competing_pipeline_mw=500,
    )
    fields.update(over)
    return Market.model_validate(fields)


def test_facility_mw_uses_the_market_design_pue():
    market = _market()
    assert float(facility_mw_for_market(100.0, market)) == pytest.approx(135.0)
    assert float(facility_mw_for_market(100.0, market.model_copy(update={"pue": 1.1}))) == (
        pytest.approx(110.0)
    )


def test_bad_factors_are_named():
    with pytest.raises(DataError, match="tokens_per_request: required"):
        conversion_chain("requests_per_day")
    with pytest.raises(DataError, match="utilisation: 1.5"):
        conversion_chain("tokens_per_day", utilisation=1.5)
    with pytest.raises(DataError, match="accelerator: 'tpu-v9'"):
        conversion_chain("tokens_per_day", "tpu-v9")
    with pytest.raises(DataError, match="served_share"):
        conversion_chain("tokens_per_day", served_share=0)
    with pytest.raises(DataError, match="pue"):
        facility_mw(1.0, 0.9)


def test_bundled_accelerators_are_sourced_and_physical():
    specs = accelerators()
    assert {"h100-sxm", "gb200-nvl72"} <= set(specs)
    sources = accelerator_sources()
    for spec in specs.values():
        for field, source_id in spec.sources.items():
            assert source_id in sources, f"{spec.id}.{field}: {source_id} has no source row"
            src = sources[source_id]
            if src["kind"] == "assumption":
                assert len(src["reasoning"]) > 80
            else:
                assert src["kind"] == "source"
                assert src["publisher"] and src["title"] and src["year"]
                assert str(src["url"]).startswith("https://")
        # All-in power between 1.2x and 3x the chip TDP; the newer generation serves more tokens
        # per watt.
        assert spec.tdp_w * 1.2 < spec.it_power_w < spec.tdp_w * 3
    h100, gb200 = specs["h100-sxm"], specs["gb200-nvl72"]
    assert (
        gb200.inference_tokens_per_s / gb200.it_power_w
        > h100.inference_tokens_per_s / h100.it_power_w
    )
    assert h100.it_power_w == pytest.approx(10_200 / 8 * 1.1, rel=0.01)
    assert gb200.it_power_w == pytest.approx(120_000 / 72 * 1.08, rel=0.01)
    assert math.isclose(h100.peak_flop_per_s, 989.4e12, rel_tol=1e-3)


def test_resolve_pue_user_value_or_none():
    assert resolve_pue() is None
    assert resolve_pue(pue=1.3) == (1.3, "user-set")
    with pytest.raises(DataError, match=r"^pue: 0.9 must lie in \[1, 3\]$"):
        resolve_pue(pue=0.9)
    with pytest.raises(ScenarioError, match="not both"):
        resolve_pue(market_id="xx-test", pue=1.2)


def test_resolve_pue_takes_the_scenario_market_with_its_overrides():
    climate = _market(id="xx-warm", mean_temperature_c=28.0)
    engineered = _market(id="xx-cool", pue=1.12)
    scenario = scenario_from_dict(
        {
            "name": "pue-test",
            "markets": {
                "include": [],
                "extra": [climate.model_dump(), engineered.model_dump()],
            },
        }
    )
    value, origin = resolve_pue(market_id="xx-warm", scenario=scenario)  # type: ignore[misc]
    assert value == pytest.approx(pue_from_climate(28.0))
    assert "xx-warm" in origin and "scenario pue-test" in origin
    assert resolve_pue(market_id="xx-cool", scenario=scenario)[0] == 1.12  # type: ignore[index]
    with pytest.raises(ScenarioError, match="xx-absent"):
        resolve_pue(market_id="xx-absent", scenario=scenario)


def test_resolve_pue_without_scenario_uses_the_bundled_markets(monkeypatch):
    import gridfirst.data

    # Bundled figures are still being researched; a fixture list stands in for them.
    monkeypatch.setattr(gridfirst.data, "bundled_markets", lambda: [_market(pue=1.27)])
    assert resolve_pue(market_id="xx-test") == (1.27, "design PUE of bundled market xx-test")
    with pytest.raises(
        ScenarioError, match=r"'xx-nowhere' is not a bundled market; known: xx-test"
    ):
        resolve_pue(market_id="xx-nowhere")
