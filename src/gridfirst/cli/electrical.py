"""``gridfirst electrical``: a site's power chain, its redundancy, availability and ramp buffer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from gridfirst.cli.output import (
    FORMAT_OPTION,
    Format,
    check_output_file,
    fail,
    print_json,
    print_records,
)

_COMPARE_COLUMNS = ["topology", "availability", "downtime_hours_per_year",
                    "power_downtime_hours_per_year", "outages_per_year", "capex_usd_per_mw",
                    "stranded_ups_share", "downtime_cost_usd_per_year", "tier_met"]
# Table of a comparison: short headers so that it reads at 80 columns. key -> (header, format)
_COMPARE_TABLE = {
    "topology": ("topology", "{}"),
    "downtime_hours_per_year": ("down h/yr", "{:.2f}"),
    "power_downtime_hours_per_year": ("power h", "{:.2f}"),
    "outages_per_year": ("out/yr", "{:.2f}"),
    "capex_usd_per_mw": ("M$/MW", "{:.2f}"),
    "stranded_ups_share": ("strand", "{:.0%}"),
    "downtime_cost_usd_per_year": ("M$/yr", "{:.2f}"),
    "tier_met": ("tier", "{}"),
}
_TIER_SHORT = {"tier_1": "I", "tier_2": "II", "tier_3": "III", "tier_4": "IV"}
_MILLIONS = {"capex_usd_per_mw", "downtime_cost_usd_per_year"}


def electrical(
    site: str | None = typer.Option(None, "--site", help="Site or market id of the scenario."),
    market: str | None = typer.Option(None, "--market", help="Bundled market id (instead of --site)."),
    scenario: Path | None = typer.Option(
        None, "--scenario", "-s", help="Scenario holding --site.",
        show_default="the bundled example, examples/apac.yaml"),
    it_mw: float = typer.Option(100.0, "--it-mw", help="Critical IT load [MW]."),
    topology: str = typer.Option("2N", "--topology", help="N | N+1 | 2N | 2(N+1) | DR | BR."),
    rack_kw: float = typer.Option(130.0, "--rack-kw", help="Rack density [kW]."),
    pue: float | None = typer.Option(None, "--pue", help="Design PUE.",
                                     show_default="the market's, from its climate"),
    generation: str = typer.Option("diesel", "--generation", help="diesel | gas | fuel_cell | none."),
    ups_minutes: float = typer.Option(5.0, "--ups-minutes", help="UPS battery ride-through [min]."),
    compare: bool = typer.Option(False, "--compare", help="Every topology: cost per MW against downtime."),
    monte_carlo_seed: int | None = typer.Option(
        None, "--monte-carlo-seed", min=0, help="Also check the availability by a seeded Monte Carlo."),
    ramp_limit: float | None = typer.Option(
        None, "--ramp-limit", help="Grid-side ramp limit [MW/min]: size the buffer for it."),
    profile: Path | None = typer.Option(None, "--profile", help="Load profile CSV (time_s, power_mw)."),
    step_mw: float | None = typer.Option(None, "--step-mw", help="Synthetic swing [MW].",
                                         show_default="half the IT MW"),
    period_s: float = typer.Option(10.0, "--period-s", help="Synthetic iteration period [s]."),
    svg: Path | None = typer.Option(None, "--svg", help="Write the one-line diagram (SVG)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Size the chain from grid to racks, its availability and cost, and a ramp buffer."""
    from gridfirst.errors import GridfirstError

    if site is not None and market is not None:
        raise fail("give at most one of --site ID or --market ID")
    check_output_file(svg, "--svg")
    try:
        from gridfirst.electrical import compare_topologies, design_facility, design_for_market

        mkt = _market(site, market, scenario)
        kwargs: dict[str, Any] = {"rack_kw": rack_kw, "generation": generation,
                                  "ups_minutes": ups_minutes}
        if pue is not None:
            kwargs["pue"] = pue
        if compare:
            designs = compare_topologies(mkt, it_mw, **kwargs)
        elif mkt is not None:
            designs = [design_for_market(mkt, it_mw, topology, monte_carlo_seed=monte_carlo_seed,
                                         **kwargs)]
        else:
            designs = [design_facility(it_mw, topology, monte_carlo_seed=monte_carlo_seed, **kwargs)]
        buffer = _buffer(ramp_limit, profile, step_mw, period_s, it_mw)
        if svg is not None:
            from gridfirst.electrical.diagram import one_line_svg

            svg.write_text(one_line_svg(designs[0]), encoding="utf-8")
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    records = [d.to_dict() for d in designs]
    if buffer is not None:
        for rec in records:
            rec["ramp_buffer"] = buffer
    if compare:
        if fmt == Format.json:
            print_json(records)
        elif fmt == Format.csv:
            print_records(records, fmt, columns=_COMPARE_COLUMNS)
        else:
            _print_compare(records)
        return
    rec = records[0]
    if fmt == Format.json:
        print_json(rec)
    elif fmt == Format.csv:
        print_records(rec["equipment"], fmt, columns=["component", "count", "needed", "rating_mw",
                                                      "load_mw"])
    else:
        rows = [{"field": k, "value": _shown(v)} for k, v in rec.items()
                if not isinstance(v, (list, dict))]
        if buffer is not None:
            rows += [{"field": f"ramp_buffer.{k}", "value": _shown(v)} for k, v in buffer.items()
                     if not isinstance(v, dict)]
        if "monte_carlo" in rec:
            rows += [{"field": f"monte_carlo.{k}", "value": _shown(v)}
                     for k, v in rec["monte_carlo"].items()]
        print_records(rows, fmt, title="Electrical design", columns=["field", "value"])
        print_records(rec["equipment"], fmt, title="Equipment",
                      columns=["component", "count", "needed", "rating_mw", "load_mw"])


def _print_compare(records: list[dict[str, Any]]) -> None:
    """Every topology on one row: cost per MW against downtime (CSV/JSON carry every figure)."""
    from rich.console import Console
    from rich.table import Table

    where = records[0]["market_id"] or "a grid that never fails"
    table = Table(title=f"Topologies for {records[0]['it_mw']:g} MW IT at {where} (USD 2024)")
    for header, _ in _COMPARE_TABLE.values():
        table.add_column(header, justify="right")
    for rec in records:
        shown = {**rec, "tier_met": _TIER_SHORT.get(rec["tier_met"], "-")}
        table.add_row(*[form.format(shown[key] / 1e6 if key in _MILLIONS else shown[key])
                        for key, (_, form) in _COMPARE_TABLE.items()])
    Console().print(table)
    Console(stderr=True).print("down: the rack's hours without power or cooling; power: the power "
                               "chain's share; M$/yr: expected cost of downtime; tier: highest "
                               "Uptime tier availability reached", highlight=False)


def _shown(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.6g}"
    return value


def _market(site: str | None, market: str | None, scenario: Path | None) -> Any:
    """The market the design sees: a scenario site's, or a bundled market's (or none)."""
    from gridfirst.errors import DataError, ScenarioError

    if site is None and market is None:
        return None
    if market is not None:
        from gridfirst.data import bundled_markets

        markets = {m.id: m for m in bundled_markets()}
        if market not in markets:
            import difflib

            close = difflib.get_close_matches(market, list(markets), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise DataError(f"--market: {market!r} is not a bundled market{hint}")
        return markets[market]
    from gridfirst.procurement.site import site_market
    from gridfirst.scenario import example_path, load_scenario

    scen = load_scenario(scenario if scenario is not None else example_path())
    assert site is not None
    try:
        return site_market(scen, site)
    except ScenarioError:
        if scenario is not None:
            raise
        return _market(None, site, None)


def _buffer(ramp_limit: float | None, profile: Path | None, step_mw: float | None,
            period_s: float, it_mw: float) -> dict[str, Any] | None:
    if ramp_limit is None:
        if profile is not None:
            from gridfirst.errors import DataError

            raise DataError("--profile needs --ramp-limit MW/min")
        return None
    from gridfirst.electrical.ramp import read_profile, size_buffer, synthetic_training_profile

    if profile is not None:
        load = read_profile(profile)
        described: dict[str, Any] = {"profile": str(profile)}
    else:
        step = it_mw / 2 if step_mw is None else step_mw
        load = synthetic_training_profile(it_mw - step, step, period_s, max(20 * period_s, 120.0),
                                          dt_s=min(0.1, period_s / 20))
        described = {"profile": "synthetic square wave", "step_mw": step, "period_s": period_s}
    return {**described, **size_buffer(load, ramp_limit).to_dict()}


def register(app: typer.Typer) -> None:
    app.command("electrical")(electrical)
