"""``gridfirst markets``: list the bundled markets, or show one with every field's source."""

from __future__ import annotations

from pathlib import Path

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_records

markets_app = typer.Typer(
    help="List the bundled candidate markets; 'markets show ID' gives every field with its source.",
    invoke_without_command=True,
    no_args_is_help=False,
)

_TABLE_COLUMNS = [
    "id",
    "name",
    "country",
    "region",
    "grid_available_mw",
    "grid_energisation_year",
    "price_usd_per_mwh",
    "grid_intensity_tco2_per_mwh",
    "political_stability_percentile",
    "ai_training_legal_regime",
]


@markets_app.callback()
def list_markets(
    ctx: typer.Context,
    region: str | None = typer.Option(None, "--region", "-r", help="Only this region."),
    scenario: Path | None = typer.Option(
        None, "--scenario", "-s", help="List a scenario's markets (with its overrides)."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """List the bundled candidate markets (or a scenario's), one row each."""
    if ctx.invoked_subcommand is not None:
        return
    from gridfirst.errors import GridfirstError

    try:
        if scenario is not None:
            from gridfirst.scenario import load_scenario

            markets = load_scenario(scenario).resolved_markets()
        else:
            from gridfirst.data import bundled_markets

            markets = bundled_markets()
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    regions = sorted({m.region for m in markets})
    if region is not None:
        if region not in regions:
            raise fail(f"--region: {region!r} is not one of {regions}")
        markets = [m for m in markets if m.region == region]
    records = [m.model_dump(mode="json") for m in markets]
    print_records(
        records,
        fmt,
        title=f"{len(records)} markets",
        columns=None if fmt != Format.table else _TABLE_COLUMNS,
    )


@markets_app.command("show")
def show_market(
    market_id: str = typer.Argument(..., help="Market id, e.g. jp-tokyo-inzai."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Show every field of one market with its value, source and data year."""
    from gridfirst.data import bundled_markets, market_identities, market_provenance, sources
    from gridfirst.errors import GridfirstError

    try:
        known = {m.id: m for m in bundled_markets()}
        market_id = market_id.strip().lower()
        if market_id not in known:
            import difflib

            close = difflib.get_close_matches(market_id, list(known), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise fail(f"{market_id!r} is not a bundled market{hint}")
        prov = market_provenance(market_id)
        ident = market_identities().loc[market_id]
        loc_src = sources().loc[ident["location_source_id"]]
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    market = known[market_id]
    records = []
    for field in ("name", "country", "region", "latitude", "longitude"):
        records.append(
            {
                "field": field,
                "value": getattr(market, field),
                "source": f"{loc_src['publisher']}: {loc_src['title']} ({loc_src['year']})",
                "kind": loc_src["kind"],
                "data_year": int(loc_src["year"]) if str(loc_src["year"]).isdigit() else loc_src["year"],
                "source_id": ident["location_source_id"],
                "note": "",
            }
        )
    for row in prov.itertuples():
        value = getattr(market, row.field)
        records.append(
            {
                "field": row.field,
                "value": value,
                "source": f"{row.publisher}: {row.title} ({row.source_year})",
                "kind": row.kind,
                "data_year": int(row.data_year) if str(row.data_year).isdigit() else row.data_year,
                "source_id": row.source_id,
                "note": row.note,
            }
        )
    records.append(
        {
            "field": "design_pue",
            "value": round(market.design_pue, 3),
            "source": "derived: gridfirst.scenario.pue_from_climate(mean_temperature_c)",
            "kind": "derived",
            "data_year": None,
            "source_id": "",
            "note": "",
        }
    )
    print_records(records, fmt, title=f"{market.name} ({market.id})")


def register(app: typer.Typer) -> None:
    app.add_typer(markets_app, name="markets")
