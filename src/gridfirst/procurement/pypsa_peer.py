"""The procurement LP (any supply options) rebuilt in PyPSA, as an independent peer for tests and benchmarks.

Needs the optional ``pypsa`` extra (``pip install gridfirst[bench]``); nothing else imports it.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from gridfirst.procurement.model import ProcurementLP


def build_network(lp: ProcurementLP) -> Any:
    """A one-bus PyPSA network whose LP equals ``lp`` (any supply options, no extensions).

    Every generator is a PyPSA Generator (``p_max_pu`` its profile, ``p_nom_max`` its cap,
    marginal cost its energy price) and the grid a Generator with the hourly price as marginal
    cost and ``grid_limit_mw`` as fixed capacity. Each storage is a cyclic Store on its own bus
    with a charger and a discharger Link; their capacities are tied in
    :func:`extra_functionality` so that both equal one storage power P (the discharger's p_nom is
    on its input side, P / eta_d), as is a fixed duration (E = duration x P). Energy limits and
    the hourly CFE budget are custom linopy constraints because ``grid_cfe_share`` varies by
    hour.

    References
    ----------
    .. [1] Brown, T., Hoersch, J., Schlachtberger, D. (2018). PyPSA: Python for Power System
       Analysis. Journal of Open Research Software 6(1), 4.
    """
    import pandas as pd
    import pypsa

    if not lp.options.is_reference:
        raise ValueError("the PyPSA peer covers the LP without exports, flexible load or backup")
    T = lp.hours
    snapshots = pd.RangeIndex(T, name="snapshot")
    n = pypsa.Network()
    n.set_snapshots(snapshots)
    n.add("Bus", "elec")
    n.add("Load", "load", bus="elec", p_set=pd.Series(lp.load_mw, index=snapshots))
    for g in lp.generators:
        n.add("Generator", f"gen:{g.name}", bus="elec", p_nom_extendable=True,
              p_nom_max=g.max_mw, capital_cost=g.usd_per_mw_year,
              marginal_cost=pd.Series(lp.energy_price_usd_per_mwh(g), index=snapshots),
              p_max_pu=pd.Series(g.profile, index=snapshots))
    n.add("Generator", "grid", bus="elec", p_nom=lp.grid_limit_mw,
          marginal_cost=pd.Series(lp.price_usd_per_mwh, index=snapshots))
    for s in lp.storages:
        bus = f"store:{s.name}"
        n.add("Bus", bus)
        n.add("Store", bus, bus=bus, e_nom_extendable=True, e_cyclic=True,
              capital_cost=s.energy_usd_per_mwh_year if s.duration_h is None else 0.0)
        n.add("Link", f"charger:{s.name}", bus0="elec", bus1=bus, efficiency=s.eta_charge,
              p_nom_extendable=True, p_nom_max=s.max_mw,
              capital_cost=s.power_cost_usd_per_mw_year)
        n.add("Link", f"discharger:{s.name}", bus0=bus, bus1="elec", efficiency=s.eta_discharge,
              p_nom_extendable=True, capital_cost=0.0)
    return n


def extra_functionality(lp: ProcurementLP) -> Any:
    """The constraints PyPSA's components do not express: tied storage power, fixed durations,
    energy limits and 24/7 CFE."""
    import xarray as xr

    def add(n: Any, snapshots: Any) -> None:
        m = n.model
        p_nom = m["Link-p_nom"]
        dim = [d for d in p_nom.dims][0]
        for s in lp.storages:
            charger = p_nom.sel({dim: f"charger:{s.name}"}, drop=True)
            m.add_constraints(
                charger - s.eta_discharge * p_nom.sel({dim: f"discharger:{s.name}"}, drop=True)
                == 0, name=f"power_tie:{s.name}")
            if s.duration_h is not None:
                e_nom = m["Store-e_nom"]
                edim = [d for d in e_nom.dims][0]
                m.add_constraints(e_nom.sel({edim: f"store:{s.name}"}, drop=True)
                                  - s.duration_h * charger == 0, name=f"duration:{s.name}")
        gen_p = m["Generator-p"]
        gdim = [d for d in gen_p.dims if d != "snapshot"][0]
        gen_nom = m["Generator-p_nom"]
        ndim = [d for d in gen_nom.dims][0]
        for g in lp.generators:
            if g.energy_mwh_per_mw is not None:
                out = gen_p.sel({gdim: f"gen:{g.name}"}, drop=True).sum()
                cap = gen_nom.sel({ndim: f"gen:{g.name}"}, drop=True)
                m.add_constraints(out - g.energy_mwh_per_mw * cap <= 0,
                                  name=f"energy_limit:{g.name}")
        grid = gen_p.sel({gdim: "grid"}, drop=True)
        weight = xr.DataArray(1.0 - lp.grid_cfe_share, coords={"snapshot": grid.coords["snapshot"]})
        expr = (grid * weight).sum()
        for g in lp.generators:
            if g.cfe_share < 1.0:
                expr = expr + (1.0 - g.cfe_share) * gen_p.sel({gdim: f"gen:{g.name}"}, drop=True).sum()
        if lp.soft_target:
            # the soft target: a shortfall u >= 0 priced in the objective
            u = m.add_variables(lower=0.0, name="cfe_shortfall")
            m.add_constraints(expr - u <= lp.cfe_budget_mwh, name="cfe_247")
            m.objective = m.objective + float(lp.cfe_shortfall_usd_per_mwh or 0.0) * u
        else:
            m.add_constraints(expr <= lp.cfe_budget_mwh, name="cfe_247")

    return add


def solve_pypsa(lp: ProcurementLP, threads: int | None = None) -> dict[str, Any]:
    """Build and solve the peer with HiGHS; return objective, capacities and timings [s]."""
    import logging
    import warnings

    import pypsa  # noqa: F401  (imported before the clock starts)

    for name in ("pypsa", "linopy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    options: dict[str, Any] = {"output_flag": False, "log_to_console": False}
    if threads is not None:
        options["threads"] = threads
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        n = build_network(lp)
        built = time.perf_counter()
        status, condition = n.optimize(
            solver_name="highs", extra_functionality=extra_functionality(lp),
            include_objective_constant=False, progress=False, **options,
        )
        done = time.perf_counter()
    if status != "ok":
        raise RuntimeError(f"PyPSA/HiGHS: {status} ({condition})")
    objective = float(n.objective) + float(getattr(n, "objective_constant", 0.0) or 0.0)
    gens = n.generators.p_nom_opt
    capacities = {f"{g.name}_mw": float(gens[f"gen:{g.name}"]) for g in lp.generators}
    for s in lp.storages:
        capacities[f"{s.name}_mw"] = float(n.links.p_nom_opt[f"charger:{s.name}"])
        capacities[f"{s.name}_mwh"] = float(n.stores.e_nom_opt[f"store:{s.name}"])
    return {
        "objective_usd": objective,
        **capacities,
        "capacities": capacities,
        "grid_mwh": float(np.sum(n.generators_t.p["grid"].to_numpy())),
        "build_seconds": built - start,
        "total_seconds": done - start,
    }
