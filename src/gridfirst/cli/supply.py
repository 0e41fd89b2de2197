"""``gridfirst supply MARKET``: the supply options a buyer can contract in a market, with sources."""

from __future__ import annotations

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_records


def supply(
    market: str = typer.Argument(..., help="Market id, e.g. sg-singapore."),
    fmt: Format = FORMAT_OPTION,
    allowed_only: bool = typer.Option(False, "--allowed", help="Only options allowed there."),
) -> None:
    """A market's supply options: kind, contract, allowed (and the law when not), MW one buyer can
    get, first year, cost and the source of each row."""
    from gridfirst.data.supply import market_supply
    from gridfirst.errors import GridfirstError

    try:
        rows = market_supply(market)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    if allowed_only:
        rows = rows[rows["allowed"]]
    records = rows.to_dict(orient="records")
    if fmt == Format.table:
        for rec in records:
            rec["cost"] = _cost_text(rec)
            rec["allowed"] = "yes" if rec["allowed"] else f"no: {rec['legal_basis']}"
        print_records(records, fmt, title=f"Supply options in {market} (USD of each data year)",
                      columns=["option", "kind", "contract", "allowed", "max_mw",
                               "earliest_year", "cost", "capacity_factor", "source_id"])
        return
    print_records(records, fmt)


def _cost_text(rec: dict) -> str:
    import math

    basis = rec.get("cost_basis")
    if basis == "capex" and not math.isnan(rec["capex_usd_per_kw"]):
        return f"{rec['capex_usd_per_kw']:,.0f} USD/kW"
    if basis == "ppa_price" and not math.isnan(rec["price_usd_per_mwh"]):
        return f"{rec['price_usd_per_mwh']:,.1f} USD/MWh"
    if basis == "premium_over_grid" and not math.isnan(rec["price_usd_per_mwh"]):
        return f"+{rec['price_usd_per_mwh']:,.1f} USD/MWh over grid"
    return ""


def register(app: typer.Typer) -> None:
    app.command("supply")(supply)
