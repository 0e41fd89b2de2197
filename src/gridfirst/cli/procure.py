"""``gridfirst procure``: cheapest 24/7 carbon-free power for one site, or a sweep of targets."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from gridfirst.cli.output import (
    FORMAT_OPTION,
    Format,
    check_output_file,
    fail,
    print_json,
    print_records,
)

if TYPE_CHECKING:
    import pandas as pd

# CSV columns (one row per target).
_COLUMNS = [
    "cfe_target", "objective_usd", "cost_usd_per_mwh", "solar_mw", "wind_mw", "battery_mw",
    "battery_mwh", "firm_mw", "cfe_score", "emissions_tco2", "cfe_shadow_price_usd_per_mwh",
    "optimality_gap", "solve_seconds", "method",
]
# Table of a sweep: the key figures only, short headers, so that it reads at 80 columns.
# record key -> (header, format)
_SWEEP_COLUMNS = {
    "cfe_target": ("target", "{:.3g}"),
    "cost_usd_per_mwh": ("USD/MWh", "{:,.2f}"),
    "solar_mw": ("solar MW", "{:,.1f}"),
    "wind_mw": ("wind MW", "{:,.1f}"),
    "battery_mw": ("batt MW", "{:,.1f}"),
    "battery_mwh": ("batt MWh", "{:,.1f}"),
    "firm_mw": ("firm MW", "{:,.1f}"),
    "cfe_score": ("CFE", "{:.3f}"),
}

_HOURLY_HELP = (
    "Hourly profiles CSV/Parquet (8760 rows). Grid prices may be negative (real markets have "
    "negative hours); negative load, CF, intensity or CFE share are errors."
)


def procure(
    site: list[str] | None = typer.Option(
        None, "--site", help="Site or market id of the scenario (without --scenario: any bundled "
        "market too); give it several times to procure a fleet together."
    ),
    hourly: Path | None = typer.Option(None, "--hourly", help=_HOURLY_HELP),
    weather: Path | None = typer.Option(
        None, "--weather",
        help="Weather year for --site (TMY3, EPW, PVGIS TMY/hourly or CSV): its solar and wind "
        "replace the synthetic profiles.",
        show_default="the site's weather_file, else synthetic profiles",
    ),
    scenario: Path | None = typer.Option(
        None, "--scenario", "-s",
        help="Scenario whose sites, markets, costs and policy.cfe_target apply.",
        show_default="the bundled example, examples/apac.yaml",
    ),
    costs: Path | None = typer.Option(
        None, "--costs",
        help="Cost YAML laid over the sourced defaults.",
        show_default="the scenario's costs over the sourced defaults",
    ),
    cfe_target: float | None = typer.Option(
        None, "--cfe-target",
        help="Hourly carbon-free share, 0..1.",
        show_default="the scenario's policy.cfe_target",
    ),
    sweep: str | None = typer.Option(None, "--sweep", help="Targets start:stop:step, e.g. 0:1:0.05."),
    method: str = typer.Option("fast", "--method", help="fast | highs."),
    load_mw: float = typer.Option(100.0, "--load-mw", help="Flat load for --site [MW]."),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the synthetic profiles for --site."),
    plot: Path | None = typer.Option(None, "--plot", help="Write a dispatch plot (HTML)."),
    supply: str = typer.Option(
        "market", "--supply",
        help="market: the market's sourced supply options (data/supply; see `gridfirst supply "
        "MARKET`); reference: generic solar, wind, clean firm and battery at US costs.",
    ),
    year: int | None = typer.Option(
        None, "--year", min=2000, max=2100,
        help="Only supply options available by this year (e.g. Singapore's licensed imports).",
        show_default="every allowed option",
    ),
    market_id: str | None = typer.Option(
        None, "--market", help="With --hourly: the market whose supply options apply.",
    ),
    flexible_share: float = typer.Option(
        0.0, "--flexible-share", help="Share of load that may move [0..1]: between several --site, or with one "
        "--site within the day (a fleet of one)."),
    shift: str = typer.Option("both", "--shift", help="With --flexible-share: time | space | both."),
    transfer_mw: float | None = typer.Option(
        None, "--transfer-mw", help="With several --site: most load moved between two "
        "sites an hour [MW].", show_default="no limit"),
    cfe_scope: str = typer.Option("site", "--cfe-scope", help="With several --site: the CFE target per "
        "site or across the fleet: site | fleet."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Size solar, wind, battery and clean firm supply to meet a 24/7 CFE target at least cost."""
    from gridfirst.errors import GridfirstError

    fleet_options = {
        "--flexible-share": None if flexible_share == 0.0 else flexible_share,
        "--shift": None if shift == "both" else shift, "--transfer-mw": transfer_mw,
        "--cfe-scope": None if cfe_scope == "site" else cfe_scope,
    }
    # several sites, or one site with flexible load (it may still move within the day): a fleet
    if site and (len(site) > 1 or any(v is not None for v in fleet_options.values())):
        from gridfirst.cli.fleet import procure_fleet

        _refuse_given("is for one site without flexible load or --hourly; a fleet (several "
                      "--site, or --flexible-share) takes none", {
            "--hourly": hourly, "--weather": weather, "--sweep": sweep, "--plot": plot,
            "--year": year, "--market": market_id, "--supply": None if supply == "market" else supply,
        })
        procure_fleet(site, scenario, costs, cfe_target, load_mw, seed, flexible_share, shift,
                      transfer_mw, cfe_scope, fmt, method)
        return
    # --hourly has no site to move load to or from: the fleet's options are refused, not ignored
    _refuse_given("is for --site (the fleet model); --hourly procures one fixed load",
                  fleet_options)
    site_id = site[0] if site else None

    if (site_id is None) == (hourly is None):
        raise fail("give exactly one of --site ID or --hourly FILE")
    if weather is not None and hourly is not None:
        raise fail("--weather applies to --site; --hourly already holds solar_cf and wind_cf")
    check_output_file(plot, "--plot")
    try:
        from gridfirst.procurement import load_costs, optimise_procurement, sweep_targets
        from gridfirst.procurement.site import scenario_costs
        from gridfirst.procurement.solve import parse_sweep
        from gridfirst.scenario import example_path, load_scenario

        scen = load_scenario(scenario if scenario is not None else example_path())
        cost_model = load_costs(costs) if costs is not None else scenario_costs(scen)
        target = scen.policy.cfe_target if cfe_target is None else cfe_target
        profiles, market = _profiles(site_id, hourly, scen, scenario is not None, load_mw, seed,
                                     weather, market_id)
        stack, lp_supply = _supply(supply, market, profiles, cost_model, year, hourly is not None)
        if sweep is not None:
            results = sweep_targets(profiles, parse_sweep(sweep), cost_model, method=method,
                                    **lp_supply)
        else:
            results = [optimise_procurement(profiles, cost_model, target, method=method,
                                            **lp_supply)]
        for result in results:
            result.stack = stack
        if plot is not None:
            from gridfirst.procurement.plot import write_dispatch_html

            write_dispatch_html(results[-1], plot)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    basis = profiles.attrs.get("resource_basis") or {
        "solar": f"hourly file {hourly}", "wind": f"hourly file {hourly}"}
    records = [{**r.to_dict(), "resource_basis": dict(basis)} for r in results]
    _warn_uncertified(records)
    _warn_unmet(records)
    if fmt == Format.json:
        print_json(records[0] if sweep is None else records)
    elif fmt == Format.csv:
        print_records(records, fmt, columns=_COLUMNS)
    elif sweep is None:
        print_records(_field_rows(records[0]), fmt, title="24/7 CFE procurement",
                      columns=["field", "value"])
        _print_supply(records[0])
    else:
        _print_sweep(records)
        from rich.console import Console

        Console().print(f"solar: {basis['solar']}; wind: {basis['wind']}", markup=False,
                        highlight=False)
    if plot is not None and fmt == Format.table:
        from rich.console import Console

        Console(stderr=True).print(f"dispatch plot written to {plot}")


def _refuse_given(why: str, given: dict[str, Any]) -> None:
    """Fail on the first option given where it would take no effect (None: not given)."""
    for flag, value in given.items():
        if value is not None:
            shown = str(value) if isinstance(value, Path) else repr(value)
            raise fail(f"{flag}: {shown} {why}")


def _supply(
    mode: str, market: Any, profiles: pd.DataFrame, costs: Any, year: int | None, hourly: bool,
) -> tuple[Any, dict[str, Any]]:
    """The supply stack and the LP keywords for ``--supply``."""
    from gridfirst.errors import DataError
    from gridfirst.procurement.solve import CFE_SHORTFALL_USD_PER_MWH, SUPPLY_MODES
    from gridfirst.procurement.stack import market_stack

    if mode not in SUPPLY_MODES:
        raise DataError(f"--supply: {mode!r} is not one of {list(SUPPLY_MODES)}")
    if mode == "reference":
        return None, {}
    if market is None:
        if hourly:
            return None, {}  # a profiles file alone names no market: the reference options
        raise DataError("--supply market needs a site or --market")
    stack = market_stack(market, profiles, costs, year=year)
    return stack, {"supply": stack.supply, "cfe_shortfall_usd_per_mwh": CFE_SHORTFALL_USD_PER_MWH}


def _warn_unmet(records: list[dict[str, Any]]) -> None:
    """Say so when the market's options cannot reach the target."""
    from rich.console import Console

    err = Console(stderr=True, soft_wrap=True)
    for rec in records:
        if rec.get("cfe_target_met") is False:
            err.print(f"warning: target {rec.get('cfe_target')}: the market's supply options reach "
                      f"at most CFE {rec.get('cfe_score'):.3f} ({rec.get('cfe_shortfall_mwh'):,.0f} "
                      "MWh short); the cost is that of the best reachable plan", markup=False,
                      highlight=False)


def _print_supply(record: dict[str, Any]) -> None:
    """The supply by option and contract as its own table."""
    from rich.console import Console
    from rich.table import Table

    rows = record.get("supply") or []
    if not rows:
        return
    table = Table(title="supply by option")
    for header in ("option", "kind", "contract", "MW", "GWh", "M USD/yr"):
        table.add_column(header, justify="left" if header in ("option", "kind", "contract") else "right")
    for row in rows:
        table.add_row(str(row["option"]), str(row["kind"]), str(row["contract"]),
                      f"{row['mw']:,.1f}", f"{row['mwh'] / 1000:,.1f}", f"{row['cost_usd'] / 1e6:,.2f}")
    console = Console()
    console.print(table)
    stack = record.get("supply_stack")
    if stack:
        console.print(f"supply: {stack['basis']}", markup=False, highlight=False)
        for row in stack.get("annual_only", []):
            console.print(f"  annual only (no hourly CFE credit): {row['option']} ({row['contract']})",
                          markup=False, highlight=False)
        for row in stack.get("excluded", []):
            console.print(f"  left out: {row['option']}: {row['reason']}", markup=False, highlight=False)


#: Above this certified relative optimality gap a result is reported as doubtful.
GAP_WARNING = 1e-4


def _warn_uncertified(records: list[dict[str, Any]]) -> None:
    """A doubtful answer says so: a certified gap above :data:`GAP_WARNING` is a warning."""
    from rich.console import Console

    err = Console(stderr=True, soft_wrap=True)
    for rec in records:
        gap = rec.get("optimality_gap")
        if isinstance(gap, float) and (gap != gap or gap > GAP_WARNING):
            err.print(f"warning: target {rec.get('cfe_target')}: the certified optimality gap is "
                      f"{gap:.3g} (above {GAP_WARNING:g}); the cost may be off by that share; "
                      "try --method highs", markup=False, highlight=False)


def _field_rows(record: dict[str, Any]) -> list[dict[str, Any]]:
    """One result as field/value rows (nested mappings such as the cost split flattened)."""
    rows: list[dict[str, Any]] = []
    for key, value in record.items():
        if key in ("supply", "supply_stack"):
            continue  # printed as their own table
        if isinstance(value, dict):
            rows.extend({"field": f"{key}.{k}", "value": _shown(v)} for k, v in value.items())
        else:
            rows.append({"field": key, "value": _shown(value)})
    return rows


def _print_sweep(records: list[dict[str, Any]]) -> None:
    """A sweep as one row per target with the key figures (CSV/JSON carry every figure)."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title="24/7 CFE procurement sweep")
    for header, _ in _SWEEP_COLUMNS.values():
        table.add_column(header, justify="right")
    for rec in records:
        table.add_row(*[fmt.format(rec[key]) for key, (_, fmt) in _SWEEP_COLUMNS.items()])
    Console().print(table)


def _shown(value: Any) -> Any:
    """A float as people read it: thousands separated, 4 significant digits, tiny ones in e."""
    if not isinstance(value, float):
        return value
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if 0 < size < 1e-3:
        return f"{value:.3g}"
    return f"{value:.4g}"


def _profiles(
    site: str | None,
    hourly: Path | None,
    scenario: Any,
    explicit_scenario: bool,
    load_mw: float,
    seed: int,
    weather: Path | None = None,
    market_id: str | None = None,
) -> tuple[pd.DataFrame, Any]:
    """The hourly profiles: the user's file, or a site's (its own values over its market's), and
    the market whose supply options apply (None for a file without ``--market``).

    A site's solar and wind come from ``weather`` or else its scenario ``weather_file`` when
    either is given; ``attrs["resource_basis"]`` says which.
    """
    from gridfirst.errors import DataError, ScenarioError
    from gridfirst.resources import market_profiles, read_profiles

    if hourly is not None:
        market_of_file = None
        if market_id is not None:
            from gridfirst.data import bundled_markets

            found = {m.id: m for m in bundled_markets()}
            if market_id not in found:
                raise DataError(f"--market: {market_id!r} is not a bundled market")
            market_of_file = found[market_id]
        return read_profiles(hourly), market_of_file
    if site is None:
        raise DataError("give exactly one of --site ID or --hourly FILE")
    from gridfirst.procurement.site import site_market

    try:
        market = site_market(scenario, site)
    except ScenarioError:
        if explicit_scenario:
            raise
        # the default scenario holds a subset of the bundled markets; the others are accepted too
        from gridfirst.data import bundled_markets

        markets = {m.id: m for m in bundled_markets()}
        if site not in markets:
            import difflib

            known = [s.id for s in scenario.sites] + list(markets)
            close = difflib.get_close_matches(site, known, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise DataError(f"--site: {site!r} is not a known site or market{hint}") from None
        market = markets[site]
    if weather is None:
        given = next((s.weather_file for s in scenario.sites if s.id == site), None)
        weather = Path(given) if given is not None else None
    if weather is not None:
        from gridfirst.weather import read_weather, weather_profiles

        return weather_profiles(market, read_weather(weather), seed=seed, load_mw=load_mw), market
    return market_profiles(market, seed=seed, load_mw=load_mw), market


def register(app: typer.Typer) -> None:
    app.command("procure")(procure)
