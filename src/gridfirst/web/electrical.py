"""``gridfirst electrical`` over HTTP: a site's power chain, its redundancy, availability and
ramp buffer, computed by :mod:`gridfirst.electrical` from a request (quick endpoint and job)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from gridfirst.records import json_safe
from gridfirst.web.scenarios import EXAMPLE
from gridfirst.web.security import WebError, encoded


class ElectricalRequest(BaseModel):
    site: str | None = Field(None, max_length=100, description="Site or market id of `scenario`.")
    market: str | None = Field(None, max_length=100, description="Bundled market id (instead "
                               "of site). Neither: a grid that never fails.")
    scenario: str = EXAMPLE
    it_mw: float = Field(100.0, gt=0, le=10_000, description="Critical IT load [MW].")
    topology: Literal["N", "N+1", "2N", "2(N+1)", "DR", "BR"] = "2N"
    rack_kw: float = Field(130.0, gt=0, le=2_000, description="Rack density [kW].")
    pue: float | None = Field(None, ge=1, le=3, description="Design PUE (default: the market's).")
    generation: Literal["diesel", "gas", "fuel_cell", "none"] = "diesel"
    ups_minutes: float = Field(5.0, ge=0, le=240, description="UPS ride-through [min].")
    compare: bool = Field(False, description="Every topology: cost per MW against downtime.")
    monte_carlo_seed: int | None = Field(None, ge=0, le=2**32 - 1)
    ramp_limit_mw_per_min: float | None = Field(
        None, gt=0, le=1e6, description="Grid-side ramp limit: size the buffer for it.")
    profile_csv: str | None = Field(None, description="Load profile CSV text (time_s, power_mw); "
                                    "default a synthetic square wave.")
    step_mw: float | None = Field(None, ge=0, le=10_000, description="Synthetic swing [MW] "
                                  "(default half the IT MW).")
    period_s: float = Field(10.0, gt=0, le=3600, description="Synthetic iteration period [s].")
    svg: bool = Field(False, description="Also return the one-line diagram (SVG text).")


def electrical_design(data_dir: Path, load: Callable[[str], Any], body: ElectricalRequest
                      ) -> dict[str, Any]:
    """``gridfirst electrical``: the design (or every topology's) at a scenario site's market, a
    bundled market's or a grid that never fails, with the ramp buffer when a limit is given."""
    from gridfirst.electrical import compare_topologies, design_facility, design_for_market
    from gridfirst.electrical.ramp import read_profile, size_buffer, synthetic_training_profile

    if body.site is not None and body.market is not None:
        raise WebError(400, "give at most one of site or market")
    if body.profile_csv is not None and body.ramp_limit_mw_per_min is None:
        raise WebError(400, "profile_csv needs ramp_limit_mw_per_min")
    market: Any = None
    if body.market is not None:
        import difflib

        from gridfirst.data import bundled_markets

        known = {m.id: m for m in bundled_markets()}
        if body.market not in known:
            close = difflib.get_close_matches(body.market, list(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise WebError(404, f"market: {body.market[:80]!r} is not a bundled market{hint}")
        market = known[body.market]
    elif body.site is not None:
        from gridfirst.procurement.site import site_market

        market = site_market(load(body.scenario), body.site)
    kwargs: dict[str, Any] = {"rack_kw": body.rack_kw, "generation": body.generation,
                              "ups_minutes": body.ups_minutes}
    if body.pue is not None:
        kwargs["pue"] = body.pue
    if body.compare:
        designs = compare_topologies(market, body.it_mw, **kwargs)
    elif market is not None:
        designs = [design_for_market(market, body.it_mw, body.topology,
                                     monte_carlo_seed=body.monte_carlo_seed, **kwargs)]
    else:
        designs = [design_facility(body.it_mw, body.topology,
                                   monte_carlo_seed=body.monte_carlo_seed, **kwargs)]
    buffer: dict[str, Any] | None = None
    if body.ramp_limit_mw_per_min is not None:
        if body.profile_csv is not None:
            with tempfile.TemporaryDirectory(prefix=".profile-", dir=data_dir) as folder:
                file = Path(folder) / "profile.csv"
                file.write_bytes(encoded(body.profile_csv, "profile.csv"))
                load = read_profile(file)
            described: dict[str, Any] = {"profile": "profile.csv"}
        else:
            step = body.it_mw / 2 if body.step_mw is None else body.step_mw
            if step > body.it_mw:
                raise WebError(400, f"step_mw: {step:g} MW swing is more than it_mw {body.it_mw:g}")
            load = synthetic_training_profile(body.it_mw - step, step, body.period_s,
                                              max(20 * body.period_s, 120.0),
                                              dt_s=min(0.1, body.period_s / 20))
            described = {"profile": "synthetic square wave", "step_mw": step,
                         "period_s": body.period_s}
        buffer = {**described, **size_buffer(load, body.ramp_limit_mw_per_min).to_dict()}
    records = [d.to_dict() for d in designs]
    for rec in records:
        if buffer is not None:
            rec["ramp_buffer"] = buffer
    out: dict[str, Any] = {"designs": records}
    if body.svg:
        from gridfirst.electrical.diagram import one_line_svg

        out["svg"] = one_line_svg(designs[0])
    return json_safe(out)  # type: ignore[no-any-return]
