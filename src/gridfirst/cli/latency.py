"""``gridfirst latency``: round trip and route between two places, or the market x city matrix."""

from __future__ import annotations

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_json, print_records


def latency(
    origin: str | None = typer.Argument(None, metavar="FROM", help="Market id or city name."),
    destination: str | None = typer.Argument(None, metavar="TO", help="Market id or city name."),
    matrix: bool = typer.Option(False, "--matrix", help="Bundled markets x cities of 1M+ people."),
    max_ms: float | None = typer.Option(
        None, "--max-ms", help="With --matrix: keep pairs within this RTT."
    ),
    in_service_by: int | None = typer.Option(
        None,
        "--in-service-by",
        metavar="YEAR",
        help="Use cables ready for service by YEAR (default: the data year, 2026).",
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Modelled round-trip time (and the cables used) between two places, or the latency matrix."""
    from gridfirst.errors import GridfirstError

    try:
        if matrix:
            from gridfirst.data import bundled_markets
            from gridfirst.network import demand_centres, latency_matrix

            table = latency_matrix(bundled_markets(), in_service_by=in_service_by)
            centres = demand_centres()
            records = []
            for market_id, row in table.iterrows():
                for centre_id, rtt in row.items():
                    if max_ms is None or rtt <= max_ms:
                        records.append(
                            {
                                "market_id": market_id,
                                "centre_id": centre_id,
                                "city": centres.at[centre_id, "name"],
                                "population": int(centres.at[centre_id, "population"]),
                                "rtt_ms": round(float(rtt), 2),
                            }
                        )
            print_records(records, fmt, title=f"{len(records)} market-city pairs")
            return
        if origin is None or destination is None:
            raise fail("give FROM and TO (market ids or city names), or --matrix")
        from gridfirst.network import route

        result = route(origin, destination, in_service_by=in_service_by).to_dict()
        if fmt == Format.json:
            print_json(result)
        else:
            print_records(
                [{**result, "path": " > ".join(result["path"])}],
                fmt,
                title=f"{origin} -> {destination}",
            )
    except GridfirstError as exc:
        raise fail(str(exc)) from None


def register(app: typer.Typer) -> None:
    app.command("latency")(latency)
