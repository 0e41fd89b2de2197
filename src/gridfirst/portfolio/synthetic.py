"""Synthetic, seeded portfolio scenarios for scaling runs and property tests.

Made-up markets shaped like real ones (power steps, prices, lead times, labour, legal regimes);
no figure here is a fact about any place and none may be reported as one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridfirst.scenario import Scenario, iso_country_codes, scenario_from_dict

# Demand centres of the synthetic world: (id, latitude, longitude).
_CENTRES = [
    ("tokyo", 35.69, 139.69), ("singapore", 1.29, 103.85), ("sydney", -33.87, 151.21),
    ("mumbai", 19.08, 72.88), ("seoul", 37.57, 126.98), ("frankfurt", 50.11, 8.68),
    ("virginia", 38.95, -77.45), ("sao-paulo", -23.55, -46.63), ("jakarta", -6.2, 106.85),
    ("london", 51.51, -0.13), ("dallas", 32.78, -96.8), ("johannesburg", -26.2, 28.05),
]


def synthetic_market(i: int, rng: np.random.Generator, country: str, near: tuple[float, float]
                     ) -> dict[str, Any]:
    """One made-up market near a demand centre (a dict for ``markets.extra``)."""
    lat = float(np.clip(near[0] + rng.normal(0, 4), -80, 80))
    lon = float((near[1] + rng.normal(0, 6) + 180) % 360 - 180)
    return {
        "id": f"m{i:04d}", "name": f"Market {i}", "country": country, "region": "asia_pacific",
        "latitude": round(lat, 3), "longitude": round(lon, 3),
        "grid_available_mw": float(rng.choice([50, 100, 150, 200, 300, 500])),
        "grid_energisation_year": int(rng.integers(2026, 2033)),
        "interconnection_lead_time_months": float(rng.choice([12, 24, 36, 48])),
        "price_usd_per_mwh": float(np.round(rng.uniform(45, 190), 1)),
        "grid_intensity_tco2_per_mwh": float(np.round(rng.uniform(0.05, 0.8), 3)),
        "grid_cfe_share": float(np.round(rng.uniform(0.1, 0.9), 2)),
        "solar_cf": 0.18, "wind_cf": 0.3, "land_cost_usd_per_m2": 500.0,
        "construction_cost_usd_per_mw": float(np.round(rng.uniform(8e6, 1.4e7), -4)),
        "political_stability_percentile": 60.0, "regulatory_quality_percentile": 60.0,
        "conflict_exposure_gpi": float(np.round(rng.uniform(1.2, 2.7), 2)),
        "ai_training_legal_regime": str(rng.choice(["yes", "yes", "limited", "no"])),
        "seismic_hazard_pga_g": 0.1, "cyclone_hazard_level": 0, "water_stress_score": 2.0,
        "mean_temperature_c": float(np.round(rng.uniform(2, 29), 1)),
        "labour_capacity_mw_per_year": float(rng.choice([40, 60, 100, 150, 250])),
        "existing_capacity_mw": 0.0, "competing_pipeline_mw": 0.0,
        "cable_systems": [f"cable-{int(c)}" for c in rng.choice(30, rng.integers(1, 4), False)],
    }


def synthetic_scenario(
    n_sites: int,
    n_years: int = 10,
    seed: int = 0,
    n_regions: int = 8,
    mw_per_site: float = 15.0,
    policy: dict[str, Any] | None = None,
) -> Scenario:
    """A seeded synthetic scenario with ``n_sites`` candidate markets.

    Parameters
    ----------
    n_sites : int
        Candidate markets (each becomes one generic site).
    n_years : int
        Plan years from 2026.
    seed : int
        Seed of the generator (same seed, same scenario).
    n_regions : int
        Demand regions (up to 12), each with an inference S-curve; plus a training pool.
    mw_per_site : float
        End-of-horizon demand per candidate site [IT MW], half inference, half training.
    policy : dict, optional
        Policy overrides.
    """
    rng = np.random.default_rng(seed)
    centres = _CENTRES[: max(1, min(n_regions, len(_CENTRES)))]
    n_countries = max(2, n_sites // 8)
    # real ISO 3166 codes (the scenario checks them), in a fixed order
    codes = sorted(iso_country_codes())
    countries = [codes[c % len(codes)] for c in range(n_countries)]
    country_centre = rng.integers(0, len(centres), n_countries)
    markets = []
    for i in range(n_sites):
        c = int(rng.integers(0, n_countries))
        centre = centres[int(country_centre[c])]
        markets.append(synthetic_market(i, rng, countries[c], (centre[1], centre[2])))
    years = list(range(2026, 2026 + n_years))
    total = mw_per_site * n_sites
    share = rng.dirichlet(np.full(len(centres), 2.0))
    points = []
    for t, year in enumerate(years):
        ramp = 1.0 / (1.0 + np.exp(-(t - n_years / 2.5)))
        for (rid, _, _), s in zip(centres, share, strict=True):
            points.append({"region": rid, "year": year, "workload": "inference",
                           "mw": round(0.5 * total * s * ramp, 1)})
        points.append({"region": "training", "year": year, "workload": "training",
                       "mw": round(0.5 * total * ramp, 1)})
    data = {
        "name": f"synthetic-{n_sites}-{seed}",
        "horizon": {"start_year": years[0], "end_year": years[-1]},
        "markets": {"include": [], "extra": markets},
        "demand": {
            "regions": [{"id": rid, "name": rid.title(), "city": rid.title(), "latitude": lat,
                         "longitude": lon} for rid, lat, lon in centres],
            "points": points,
        },
        "policy": {"max_share_per_country": 0.5, "latency_sla_ms": {"inference": 60.0},
                   "max_conflict_exposure_gpi": 2.6, **(policy or {})},
    }
    return scenario_from_dict(data, source=f"synthetic({n_sites}, seed={seed})")
