"""Tests of gridfirst.electrical: block-diagram algebra, Monte Carlo check, sizing, costs, ramp buffer."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfirst.electrical import reliability as rel
from gridfirst.electrical.data import components, grid_reliability, parameters
from gridfirst.electrical.design import design_facility
from gridfirst.electrical.ramp import (
    dispatch,
    max_ramp_mw_per_min,
    size_buffer,
    synthetic_training_profile,
)
from gridfirst.electrical.topology import Topology, parse_topology
from gridfirst.errors import DataError

rates = st.floats(min_value=1e-3, max_value=20.0)
repairs = st.floats(min_value=0.1, max_value=500.0)
units = st.builds(lambda lam, r: rel.Unit("u", lam, r), rates, repairs)


@settings(deadline=None)
@given(st.lists(units, min_size=1, max_size=6))
def test_series_and_parallel_match_closed_forms(parts: list[rel.Unit]) -> None:
    a = [u.mtbf_hours / (u.mtbf_hours + u.mttr_hours) for u in parts]
    assert rel.availability(rel.Series(tuple(parts))) == pytest.approx(math.prod(a), rel=1e-9)
    down = math.prod(u.mttr_hours / (u.mtbf_hours + u.mttr_hours) for u in parts)
    assert rel.unavailability(rel.Parallel(tuple(parts))) == pytest.approx(down, rel=1e-9, abs=1e-300)


@settings(deadline=None)
@given(units, st.integers(min_value=1, max_value=12), st.data())
def test_k_of_n_is_the_binomial_tail(unit: rel.Unit, n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=0, max_value=n))
    a = rel.unit_availability(unit)
    expected = sum(math.comb(n, i) * a**i * (1 - a) ** (n - i) for i in range(k, n + 1))
    assert rel.availability(rel.KofN(k, n, unit)) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(deadline=None)
@given(units, st.integers(min_value=1, max_value=10), st.data())
def test_more_redundancy_never_lowers_availability(unit: rel.Unit, n: int, data: st.DataObject) -> None:
    k = data.draw(st.integers(min_value=1, max_value=n))
    base = rel.KofN(k, n, unit)
    # a spare, a parallel path, or a lower k each can only help
    assert rel.availability(rel.KofN(k, n + 1, unit)) >= rel.availability(base) - 1e-15
    assert rel.availability(rel.Parallel((base, unit))) >= rel.availability(base) - 1e-15
    assert rel.availability(rel.KofN(k - 1, n, unit)) >= rel.availability(base) - 1e-15


@settings(max_examples=15, deadline=None)
@given(it_mw=st.floats(min_value=1.0, max_value=400.0), rack_kw=st.floats(min_value=5.0, max_value=250.0),
       market=st.sampled_from(sorted(grid_reliability())))
def test_topologies_are_ordered_by_redundancy(it_mw: float, rack_kw: float, market: str) -> None:
    grid = grid_reliability()[market]
    a = {t: design_facility(it_mw, t, rack_kw=rack_kw, grid=grid).power_availability for t in Topology}
    eps = 1e-12
    assert a[Topology.N] <= a[Topology.N1] + eps
    assert a[Topology.N] <= a[Topology.TWO_N] + eps
    assert a[Topology.N1] <= a[Topology.TWO_N1] + eps
    assert a[Topology.TWO_N] <= a[Topology.TWO_N1] + eps


def test_monte_carlo_interval_holds_the_closed_form() -> None:
    # rates inflated so that a short seeded run sees many failures
    grid = rel.Unit("grid", 4.0, 6.0)
    ups = rel.Unit("ups", 3.0, 150.0)
    gen = rel.Unit("gen", 8.0, 80.0)
    system = rel.Series((rel.Parallel((grid, rel.KofN(1, 2, gen))), rel.KofN(2, 3, ups)))
    mc = rel.monte_carlo(system, seed=7, years=20.0, replications=12, step_hours=0.5)
    exact = rel.unavailability(system)
    assert mc.ci_low <= exact <= mc.ci_high
    assert mc.ci_high - mc.ci_low < exact  # the interval is informative, not vacuous
    freq = rel.failure_frequency_per_year(system)
    assert mc.failures_per_year == pytest.approx(freq, rel=0.25)


def test_design_monte_carlo_agrees_with_the_analytic_availability() -> None:
    grid = grid_reliability()["in-mumbai"]
    d = design_facility(6.0, "N", rack_kw=40.0, grid=grid, monte_carlo_seed=3, monte_carlo_years=8.0)
    assert d.monte_carlo is not None
    assert d.monte_carlo.ci_low <= d.unavailability <= d.monte_carlo.ci_high


def test_failure_frequency_of_one_unit_and_of_a_pair() -> None:
    u = rel.Unit("u", 2.0, 100.0)
    a = rel.unit_availability(u)
    assert rel.failure_frequency_per_year(u) == pytest.approx(a * 2.0)
    # parallel pair fails when one is down and the other fails: 2 * (1 - a) * a * lambda
    pair = rel.failure_frequency_per_year(rel.Parallel((u, u)))
    assert pair == pytest.approx(2 * (1 - a) * a * 2.0)
    assert rel.failure_frequency_per_year(rel.KofN(1, 2, u)) == pytest.approx(pair)


def test_equipment_counts_follow_the_topology() -> None:
    from gridfirst.electrical.sizing import design_counts

    views = {t: design_counts(100.0, 130.0, 1.3, 15.0, t)[1]["ups"] for t in Topology}
    assert views[Topology.N].installed == views[Topology.N].needed
    assert views[Topology.N1].installed == views[Topology.N1].needed + 1
    assert views[Topology.TWO_N].installed == 2 * views[Topology.TWO_N].needed
    assert views[Topology.TWO_N1].installed == 2 * (views[Topology.TWO_N1].needed + 1)
    blocks = int(parameters()["distributed_redundant_blocks"])
    assert views[Topology.DR].installed * (blocks - 1) == views[Topology.DR].needed * blocks
    active = int(parameters()["block_redundant_active_blocks"])
    assert views[Topology.BR].installed * active == views[Topology.BR].needed * (active + 1)
    d = {t: design_facility(100.0, t) for t in Topology}
    rating = components()["ups"].unit_rating_mw
    for design in d.values():  # the needed units carry the IT load
        assert design.counts["ups"].needed * rating >= 100.0
    assert d[Topology.TWO_N].stranded_ups_share >= 0.5
    assert d[Topology.DR].stranded_ups_share > d[Topology.N1].stranded_ups_share
    # more redundant equipment costs more
    assert d[Topology.N].capex_usd_per_mw < d[Topology.N1].capex_usd_per_mw < d[Topology.TWO_N].capex_usd_per_mw
    assert d[Topology.TWO_N].capex_usd_per_mw < d[Topology.TWO_N1].capex_usd_per_mw
    assert d[Topology.DR].capex_usd_per_mw < d[Topology.TWO_N].capex_usd_per_mw


def test_reference_design_cost_is_near_the_published_anchor() -> None:
    # Cushman & Wakefield 2025: critical capacity is 53 % of 11.7 M USD/MW
    anchor = 0.53 * 11.7e6
    d = design_facility(100.0, "2N", rack_kw=130.0, pue=1.3)
    assert 0.75 * anchor <= d.capex_usd_per_mw <= 1.25 * anchor


def test_liquid_racks_and_warm_climates_shift_the_cooling_plant() -> None:
    cool = design_facility(50.0, "N+1", rack_kw=130.0, mean_temperature_c=5.0)
    warm = design_facility(50.0, "N+1", rack_kw=130.0, mean_temperature_c=28.0)
    air = design_facility(50.0, "N+1", rack_kw=15.0, mean_temperature_c=5.0)
    assert warm.loads.chiller_mw > cool.loads.chiller_mw
    assert cool.loads.cdu_mw > 0 and air.loads.cdu_mw == 0
    assert air.loads.racks == math.ceil(50_000 / 15)
    # heat is conserved across the split
    for d in (cool, warm, air):
        assert d.loads.liquid_heat_mw + d.loads.air_heat_mw == pytest.approx(d.loads.heat_mw)


def test_uptime_tiers_and_downtime() -> None:
    p = parameters()
    assert p["tier_1_availability"] < p["tier_2_availability"] < p["tier_3_availability"] < p["tier_4_availability"]
    d = design_facility(20.0, "2(N+1)", grid=grid_reliability()["sg-singapore"])
    assert d.downtime_hours_per_year == pytest.approx((1 - d.availability) * 8760)
    assert d.downtime_cost_usd_per_year > 0


def test_on_site_generation_backs_up_the_grid() -> None:
    grid = grid_reliability()["in-mumbai"]
    with_gen = design_facility(30.0, "N+1", grid=grid)
    without = design_facility(30.0, "N+1", grid=grid, generation="none")
    assert without.power_availability < with_gen.power_availability
    assert "diesel_genset" not in without.counts
    # without generation the power chain can do no better than the grid
    assert without.power_availability <= without.grid_availability


def test_every_market_has_a_grid_reliability_row() -> None:
    from gridfirst.data import market_identities

    assert set(market_identities().index) == set(grid_reliability())


@pytest.mark.parametrize(
    ("call", "needle"),
    [
        (lambda: design_facility(-5.0, "2N"), "--it-mw"),
        (lambda: design_facility(10.0, "3N"), "unknown topology"),
        (lambda: design_facility(10.0, "2N", rack_kw=0.0), "--rack-kw"),
        (lambda: design_facility(10.0, "2N", generation="coal"), "--generation"),
        (lambda: design_facility(10.0, "2N", ups_minutes=float("nan")), "--ups-minutes"),
    ],
)
def test_bad_input_gets_a_named_error(call, needle: str) -> None:
    with pytest.raises(DataError, match=needle.replace("(", r"\(").replace("+", r"\+")):
        call()


def test_topology_names_are_parsed() -> None:
    assert parse_topology("2n") is Topology.TWO_N
    assert parse_topology("4N/3") is Topology.DR
    assert parse_topology("2(N+1)") is Topology.TWO_N1


def test_ramp_buffer_holds_the_limit_and_a_smaller_one_does_not() -> None:
    profile = synthetic_training_profile(base_mw=60.0, step_mw=40.0, period_s=20.0, duration_s=200.0,
                                         dt_s=0.1)
    limit = 120.0  # MW/min
    buf = size_buffer(profile, limit)
    assert buf.max_load_ramp_mw_per_min > limit
    dt = 0.1
    held = dispatch(profile, limit, buf.power_mw, buf.energy_mwh, buf.initial_soc_mwh)
    assert max_ramp_mw_per_min(held, dt) <= limit * (1 + 1e-6)
    short_energy = dispatch(profile, limit, buf.power_mw, 0.8 * buf.energy_mwh,
                            0.8 * buf.initial_soc_mwh)
    assert max_ramp_mw_per_min(short_energy, dt) > 1.5 * limit
    short_power = dispatch(profile, limit, 0.8 * buf.power_mw, buf.energy_mwh, buf.initial_soc_mwh)
    assert max_ramp_mw_per_min(short_power, dt) > 1.5 * limit
    # the grid still delivers the load's energy over the run, less what the buffer holds at the end
    assert buf.cost_usd == min(buf.costs_usd.values())


def test_a_square_wave_needs_the_triangle_energy() -> None:
    # grid ramps S over S / r seconds; the buffer covers a triangle of S^2 / (2 r) each half period
    step, rate_mw_per_s = 30.0, 1.0
    profile = synthetic_training_profile(10.0, step, period_s=200.0, duration_s=400.0, dt_s=0.01)
    buf = size_buffer(profile, rate_mw_per_s * 60.0)
    triangle_mwh = step**2 / (2 * rate_mw_per_s) / 3600.0
    assert buf.energy_mwh == pytest.approx(triangle_mwh, rel=0.01)
    assert buf.power_mw == pytest.approx(step, rel=0.01)
