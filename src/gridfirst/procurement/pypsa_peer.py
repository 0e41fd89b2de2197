"""The reference procurement LP rebuilt in PyPSA, as an independent peer for tests and benchmarks.

Needs the optional ``pypsa`` extra (``pip install gridfirst[bench]``); nothing else imports it.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from gridfirst.procurement.model import ProcurementLP


def build_network(lp: ProcurementLP) -> Any:
    """A one-bus PyPSA network whose LP equals the reference LP of ``lp``.

    Solar, wind, clean firm and the grid are generators (the grid with the hourly price as
    marginal cost and ``grid_limit_mw`` as fixed capacity). The battery is a cyclic Store on its
    own bus with a charger and a discharger Link; their capacities are tied in
    :func:`extra_functionality` so that both equal one battery power P (the discharger's p_nom is
    on its input side, P / eta_d). The hourly CFE budget is a custom linopy constraint because
    ``grid_cfe_share`` varies by hour.

    References
    ----------
    .. [1] Brown, T., Hoersch, J., Schlachtberger, D. (2018). PyPSA: Python for Power System
       Analysis. Journal of Open Research Software 6(1), 4.
    """
    import pandas as pd
    import pypsa

    if not lp.options.is_reference:
        raise ValueError("the PyPSA peer covers the reference LP only (no options)")
    T = lp.hours
    snapshots = pd.RangeIndex(T, name="snapshot")
    n = pypsa.Network()
    n.set_snapshots(snapshots)
    n.add("Bus", "elec")
    n.add("Bus", "battery")
    n.add("Load", "load", bus="elec", p_set=pd.Series(lp.load_mw, index=snapshots))
    n.add("Generator", "solar", bus="elec", p_nom_extendable=True,
          capital_cost=lp.solar_usd_per_mw_year, p_max_pu=pd.Series(lp.solar_cf, index=snapshots))
    n.add("Generator", "wind", bus="elec", p_nom_extendable=True,
          capital_cost=lp.wind_usd_per_mw_year, p_max_pu=pd.Series(lp.wind_cf, index=snapshots))
    n.add("Generator", "firm", bus="elec", p_nom_extendable=True,
          capital_cost=lp.firm_usd_per_mw_year, marginal_cost=lp.firm_marginal_usd_per_mwh)
    n.add("Generator", "grid", bus="elec", p_nom=lp.grid_limit_mw,
          marginal_cost=pd.Series(lp.price_usd_per_mwh, index=snapshots))
    n.add("Store", "battery", bus="battery", e_nom_extendable=True, e_cyclic=True,
          capital_cost=lp.battery_energy_usd_per_mwh_year)
    n.add("Link", "charger", bus0="elec", bus1="battery", efficiency=lp.eta_charge,
          p_nom_extendable=True, capital_cost=lp.battery_power_usd_per_mw_year)
    n.add("Link", "discharger", bus0="battery", bus1="elec", efficiency=lp.eta_discharge,
          p_nom_extendable=True, capital_cost=0.0)
    return n


def extra_functionality(lp: ProcurementLP) -> Any:
    """The two constraints PyPSA's components do not express: tied battery power and 24/7 CFE."""
    import xarray as xr

    def add(n: Any, snapshots: Any) -> None:
        m = n.model
        p_nom = m["Link-p_nom"]
        dim = [d for d in p_nom.dims][0]
        m.add_constraints(
            p_nom.sel({dim: "charger"}, drop=True)
            - lp.eta_discharge * p_nom.sel({dim: "discharger"}, drop=True)
            == 0,
            name="battery_power_tie",
        )
        gen_p = m["Generator-p"]
        gdim = [d for d in gen_p.dims if d != "snapshot"][0]
        grid = gen_p.sel({gdim: "grid"}, drop=True)
        weight = xr.DataArray(1.0 - lp.grid_cfe_share, coords={"snapshot": grid.coords["snapshot"]})
        m.add_constraints((grid * weight).sum() <= lp.cfe_budget_mwh, name="cfe_247")

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
    return {
        "objective_usd": objective,
        "solar_mw": float(gens["solar"]),
        "wind_mw": float(gens["wind"]),
        "firm_mw": float(gens["firm"]),
        "battery_mw": float(n.links.p_nom_opt["charger"]),
        "battery_mwh": float(n.stores.e_nom_opt["battery"]),
        "grid_mwh": float(np.sum(n.generators_t.p["grid"].to_numpy())),
        "build_seconds": built - start,
        "total_seconds": done - start,
    }
