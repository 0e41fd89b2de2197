"""``gridfirst procure``: cheapest 24/7 carbon-free power for one site, or a sweep of targets."""

from __future__ import annotations

from pathlib import Path

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_json, print_records

_COLUMNS = [
    "cfe_target", "objective_usd", "cost_usd_per_mwh", "solar_mw", "wind_mw", "battery_mw",
    "battery_mwh", "firm_mw", "cfe_score", "emissions_tco2", "cfe_shadow_price_usd_per_mwh",
    "optimality_gap", "solve_seconds", "method",
]


def procure(
    site: str | None = typer.Option(None, "--site", help="Market id (or a site id with --scenario)."),
    hourly: Path | None = typer.Option(None, "--hourly", help="Hourly profiles CSV/Parquet (8760 rows)."),
    scenario: Path | None = typer.Option(None, "--scenario", "-s", help="Scenario to find --site in."),
    costs: Path | None = typer.Option(None, "--costs", help="Cost YAML laid over the sourced defaults."),
    cfe_target: float = typer.Option(0.9, "--cfe-target", help="Hourly carbon-free share, 0..1."),
    sweep: str | None = typer.Option(None, "--sweep", help="Targets start:stop:step, e.g. 0:1:0.05."),
    method: str = typer.Option("fast", "--method", help="fast | highs."),
    load_mw: float = typer.Option(100.0, "--load-mw", help="Flat load for --site [MW]."),
    seed: int = typer.Option(0, "--seed", help="Seed of the synthetic profiles for --site."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a dispatch plot (HTML)."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Size solar, wind, battery and clean firm supply to meet a 24/7 CFE target at least cost."""
    from gridfirst.errors import GridfirstError

    if (site is None) == (hourly is None):
        raise fail("give exactly one of --site ID or --hourly FILE")
    try:
        from gridfirst.procurement import load_costs, optimise_procurement, sweep_targets
        from gridfirst.procurement.solve import parse_sweep

        cost_model = load_costs(costs) if costs is not None else None
        profiles = _profiles(site, hourly, scenario, load_mw, seed)
        if sweep is not None:
            results = sweep_targets(profiles, parse_sweep(sweep), cost_model, method=method)
        else:
            results = [optimise_procurement(profiles, cost_model, cfe_target, method=method)]
        if plot is not None:
            from gridfirst.procurement.plot import write_dispatch_html

            write_dispatch_html(results[-1], plot)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    records = [r.to_dict() for r in results]
    if fmt == Format.json:
        print_json(records[0] if sweep is None else records)
        return
    flat = [{k: rec[k] for k in _COLUMNS} for rec in records]
    print_records(flat, fmt, title="24/7 CFE procurement", columns=_COLUMNS)
    if plot is not None and fmt == Format.table:
        from rich.console import Console

        Console(stderr=True).print(f"dispatch plot written to {plot}")


def _profiles(site, hourly, scenario, load_mw, seed):  # type: ignore[no-untyped-def]
    from gridfirst.errors import DataError
    from gridfirst.resources import market_profiles, read_profiles

    if hourly is not None:
        return read_profiles(hourly)
    if scenario is not None:
        from gridfirst.scenario import load_scenario

        scen = load_scenario(scenario)
        markets = {m.id: m for m in scen.resolved_markets()}
        sites = {s.id: s for s in scen.sites}
        if site in sites:
            site = sites[site].market
    else:
        from gridfirst.data import bundled_markets

        markets = {m.id: m for m in bundled_markets()}
    if site not in markets:
        import difflib

        close = difflib.get_close_matches(str(site), list(markets), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise DataError(f"--site: {site!r} is not a known market or site{hint}")
    return market_profiles(markets[site], seed=seed, load_mw=load_mw)


def register(app: typer.Typer) -> None:
    app.command("procure")(procure)
