"""The fleet procurement LP rebuilt as a PyPSA multi-bus network, an independent peer for tests.

Needs the optional ``pypsa`` extra; nothing else imports it. Each site is the one-bus network of
:mod:`gridfirst.procurement.pypsa_peer` with its components prefixed by the site's name.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from gridfirst.procurement.fleet import Flexibility, _check_sites, _pairs, transfer_caps_mw
from gridfirst.procurement.model import ProcurementLP


def build_fleet_network(
    sites: Sequence[tuple[str, ProcurementLP]], flexibility: Flexibility
) -> Any:
    """A PyPSA network whose LP equals :func:`gridfirst.procurement.fleet.build_fleet`'s.

    Per site: bus ``<site>`` with its inflexible load ``(1 - f) L`` (a Load), its generators, the
    grid and its storages as in the one-site peer; a work bus ``<site>:work`` with the flexible
    work ``f L`` as a Load, served from the site's bus by a Link ``<site>:serve`` of hourly
    capacity ``(f + h) L`` (its flow is the flexible consumption). Time shifting is a lossless
    Store on the work bus whose level must be 0 at the end of every day (a backlog or a
    head start that never crosses midnight); space shifting is a lossless two-way Link of
    ``transfer_mw`` between each pair of work buses.
    """
    import pandas as pd
    import pypsa

    T = _check_sites(sites, flexibility)
    f, h = flexibility.share, flexibility.headroom
    moves = f > 0 and flexibility.shift != "none"
    snapshots = pd.RangeIndex(T, name="snapshot")
    n = pypsa.Network()
    n.set_snapshots(snapshots)

    def series(values: np.ndarray) -> pd.Series:
        return pd.Series(values, index=snapshots)

    for name, lp in sites:
        bus, work = name, f"{name}:work"
        n.add("Bus", bus)
        n.add("Bus", work)
        n.add("Load", f"{name}:load", bus=bus, p_set=series((1.0 - f) * lp.load_mw))
        n.add("Load", f"{name}:flexible", bus=work, p_set=series(f * lp.load_mw))
        peak = float(lp.load_mw.max()) or 1.0
        serve_max = (f + h) * lp.load_mw if moves else f * lp.load_mw
        serve_min = 0.0 if moves else f * lp.load_mw
        n.add("Link", f"{name}:serve", bus0=bus, bus1=work, p_nom=peak,
              p_max_pu=series(serve_max / peak),
              p_min_pu=series(np.broadcast_to(serve_min, (T,)) / peak))
        for g in lp.generators:
            n.add("Generator", f"{name}:gen:{g.name}", bus=bus, p_nom_extendable=True,
                  p_nom_max=g.max_mw, capital_cost=g.usd_per_mw_year,
                  marginal_cost=g.marginal_usd_per_mwh, p_max_pu=series(g.profile))
        n.add("Generator", f"{name}:grid", bus=bus, p_nom=lp.grid_limit_mw,
              marginal_cost=series(lp.price_usd_per_mwh))
        for s in lp.storages:
            sbus = f"{name}:store:{s.name}"
            n.add("Bus", sbus)
            n.add("Store", sbus, bus=sbus, e_nom_extendable=True, e_cyclic=True,
                  capital_cost=s.energy_usd_per_mwh_year if s.duration_h is None else 0.0)
            n.add("Link", f"{name}:charger:{s.name}", bus0=bus, bus1=sbus, efficiency=s.eta_charge,
                  p_nom_extendable=True, p_nom_max=s.max_mw,
                  capital_cost=s.power_cost_usd_per_mw_year)
            n.add("Link", f"{name}:discharger:{s.name}", bus0=sbus, bus1=bus,
                  efficiency=s.eta_discharge, p_nom_extendable=True, capital_cost=0.0)
        if flexibility.in_time:
            day_end = (np.arange(T) % flexibility.day_hours) == flexibility.day_hours - 1
            big = float(f * lp.load_mw.sum()) or 1.0
            n.add("Store", f"{name}:backlog", bus=work, e_nom=big, e_initial=0.0,
                  e_min_pu=series(np.where(day_end, 0.0, -1.0)),
                  e_max_pu=series(np.where(day_end, 0.0, 1.0)))
    if flexibility.in_space and len(sites) > 1:
        cap = transfer_caps_mw([lp for _, lp in sites], flexibility)
        top = float(cap.max()) or 1.0
        for i, j in _pairs(len(sites)):
            a, b = sites[i][0], sites[j][0]
            n.add("Link", f"move:{a}~{b}", bus0=f"{a}:work", bus1=f"{b}:work", p_nom=top,
                  p_max_pu=series(cap / top), p_min_pu=series(-cap / top))
    return n


def _extra(sites: Sequence[tuple[str, ProcurementLP]], flexibility: Flexibility, cfe: str,
           cfe_target: float) -> Any:
    import xarray as xr

    f = flexibility.share

    def add(n: Any, snapshots: Any) -> None:
        m = n.model
        p_nom = m["Link-p_nom"]
        dim = list(p_nom.dims)[0]
        gen_p = m["Generator-p"]
        gdim = [d for d in gen_p.dims if d != "snapshot"][0]
        link_p = m["Link-p"]
        ldim = [d for d in link_p.dims if d != "snapshot"][0]
        fleet_expr: Any = None
        for name, lp in sites:
            for s in lp.storages:
                charger = p_nom.sel({dim: f"{name}:charger:{s.name}"}, drop=True)
                m.add_constraints(
                    charger - s.eta_discharge
                    * p_nom.sel({dim: f"{name}:discharger:{s.name}"}, drop=True) == 0,
                    name=f"power_tie:{name}:{s.name}")
                if s.duration_h is not None:
                    e_nom = m["Store-e_nom"]
                    edim = list(e_nom.dims)[0]
                    m.add_constraints(e_nom.sel({edim: f"{name}:store:{s.name}"}, drop=True)
                                      - s.duration_h * charger == 0,
                                      name=f"duration:{name}:{s.name}")
            gen_nom = m["Generator-p_nom"]
            ndim = list(gen_nom.dims)[0]
            for g in lp.generators:
                if g.energy_mwh_per_mw is not None:
                    out = gen_p.sel({gdim: f"{name}:gen:{g.name}"}, drop=True).sum()
                    cap = gen_nom.sel({ndim: f"{name}:gen:{g.name}"}, drop=True)
                    m.add_constraints(out - g.energy_mwh_per_mw * cap <= 0,
                                      name=f"energy_limit:{name}:{g.name}")
            grid = gen_p.sel({gdim: f"{name}:grid"}, drop=True)
            weight = xr.DataArray(1.0 - lp.grid_cfe_share,
                                  coords={"snapshot": grid.coords["snapshot"]})
            expr = (grid * weight).sum()
            for g in lp.generators:
                if g.cfe_share < 1.0:
                    expr = expr + (1.0 - g.cfe_share) * gen_p.sel(
                        {gdim: f"{name}:gen:{g.name}"}, drop=True).sum()
            if cfe == "site":
                served = link_p.sel({ldim: f"{name}:serve"}, drop=True).sum()
                budget = (1.0 - lp.cfe_target) * (1.0 - f) * lp.total_load_mwh
                m.add_constraints(expr - (1.0 - lp.cfe_target) * served <= budget,
                                  name=f"cfe_247:{name}")
            else:
                fleet_expr = expr if fleet_expr is None else fleet_expr + expr
        if cfe == "fleet":
            total = sum(lp.total_load_mwh for _, lp in sites)
            m.add_constraints(fleet_expr <= (1.0 - cfe_target) * total, name="cfe_247_fleet")

    return add


def solve_fleet_pypsa(
    sites: Sequence[tuple[str, ProcurementLP]],
    flexibility: Flexibility | None = None,
    cfe: str = "site",
    cfe_target: float | None = None,
) -> dict[str, Any]:
    """Build and solve the peer with HiGHS: objective [USD] and timings [s].

    Hard CFE targets only (a soft target's shortfall is a device of the gridfirst LP).
    """
    import pypsa  # noqa: F401  (imported before the clock starts)

    flex = flexibility or Flexibility()
    if any(lp.soft_target for _, lp in sites):
        raise ValueError("the PyPSA fleet peer takes hard CFE targets only")
    if cfe_target is None:
        total = [lp.total_load_mwh for _, lp in sites]
        cfe_target = float(np.average([lp.cfe_target for _, lp in sites], weights=total))
    for name in ("pypsa", "linopy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        n = build_fleet_network(sites, flex)
        built = time.perf_counter()
        status, condition = n.optimize(
            solver_name="highs", extra_functionality=_extra(sites, flex, cfe, cfe_target),
            include_objective_constant=False, progress=False, output_flag=False,
            log_to_console=False,
        )
        done = time.perf_counter()
    if status != "ok":
        raise RuntimeError(f"PyPSA/HiGHS: {status} ({condition})")
    return {"objective_usd": float(n.objective), "build_seconds": built - start,
            "total_seconds": done - start, "network": n}
