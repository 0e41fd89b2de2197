"""Timings of gridfirst.network: graph build, latency_to_points, latency_matrix, connectivity.

``connectivity`` is timed twice: ``method="exhaustive"`` (the original algorithm: one route
search per hub, every candidate cut re-solved for every hub, networkx max-flow) and the default
``method="fast"``; the script checks both give the same table and prints the speed-up.

Run: .venv/bin/python benchmarks/network.py
"""

from __future__ import annotations

import time

from gridfirst.data import market_identities
from gridfirst.scenario import Market

_FIELDS = dict(
    grid_available_mw=1,
    grid_energisation_year=2027,
    interconnection_lead_time_months=1,
    price_usd_per_mwh=1,
    grid_intensity_tco2_per_mwh=0.1,
    grid_cfe_share=0.1,
    solar_cf=0.1,
    wind_cf=0.1,
    land_cost_usd_per_m2=1,
    construction_cost_usd_per_mw=1,
    political_stability_percentile=1,
    regulatory_quality_percentile=1,
    conflict_exposure_gpi=2,
    ai_training_legal_regime="yes",
    seismic_hazard_pga_g=0.1,
    cyclone_hazard_level=0,
    water_stress_score=1,
    labour_capacity_mw_per_year=1,
    existing_capacity_mw=1,
    competing_pipeline_mw=1,
    mean_temperature_c=20,
)


def main() -> None:
    ids = market_identities()
    markets = [
        Market(
            id=i,
            name=r["name"],
            country=r["country"],
            region=r["region"],
            latitude=r["latitude"],
            longitude=r["longitude"],
            **_FIELDS,
        )
        for i, r in ids.iterrows()
    ]
    from gridfirst.network import connectivity, latency_matrix, latency_to_points
    from gridfirst.network.data import default_parameters
    from gridfirst.network.graph import cached_graph

    t = time.perf_counter()
    g = cached_graph(default_parameters())
    print(f"graph build: {time.perf_counter() - t:.2f} s ({g.n} nodes, {len(g.edges)} links)")
    points = {f"p{i}": (-40.0 + 9 * i, -170.0 + 33 * i) for i in range(10)}
    t = time.perf_counter()
    latency_to_points(markets, points)
    print(f"latency_to_points {len(markets)} x {len(points)}: {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    m = latency_matrix(markets)
    print(f"latency_matrix {m.shape[0]} x {m.shape[1]}: {time.perf_counter() - t:.2f} s")
    from gridfirst.network.diversity import DEFAULT_HUBS
    from gridfirst.network.latency import _cached_attachments

    hubs = len(DEFAULT_HUBS)
    timings = {}
    tables = {}
    for method in ("exhaustive", "fast"):
        _cached_attachments.cache_clear()  # each method starts without the other's warm cache
        t = time.perf_counter()
        tables[method] = connectivity(markets, method=method)  # type: ignore[arg-type]
        timings[method] = time.perf_counter() - t
        print(
            f"connectivity {len(markets)} markets x {hubs} hubs, {method}: {timings[method]:.2f} s"
        )
    same = tables["fast"].equals(tables["exhaustive"])
    print(
        f"connectivity speed-up fast vs exhaustive: {timings['exhaustive'] / timings['fast']:.1f}x"
        f" (identical tables: {same})"
    )


if __name__ == "__main__":
    main()
