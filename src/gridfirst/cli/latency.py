"""``gridfirst latency``: round trip and route between two places, or the market x city matrix."""

from __future__ import annotations

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_json, print_records


def latency(
    origin: str | None = typer.Argument(
        None, metavar="FROM", help="Market id, market name or city name (any case or accents)."
    ),
    destination: str | None = typer.Argument(
        None, metavar="TO", help="Market id, market name or city name (any case or accents)."
    ),
    matrix: bool = typer.Option(False, "--matrix", help="Bundled markets x cities of 1M+ people."),
    max_ms: float | None = typer.Option(
        None, "--max-ms", help="With --matrix: keep pairs within this RTT [ms] (> 0)."
    ),
    in_service_by: int | None = typer.Option(
        None,
        "--in-service-by",
        metavar="YEAR",
        help="Use cables ready for service by YEAR (default: the data year, 2026).",
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Modelled round-trip time (and the cables used) between two places, or the latency matrix.

    A name that matches several cities resolves to the most populous (a note on stderr; the JSON
    field "resolved" says what each end resolved to). The same place at both ends is 0 ms.
    """
    from gridfirst.errors import GridfirstError

    if matrix and (origin is not None or destination is not None):
        raise fail("give either FROM and TO or --matrix, not both")
    if max_ms is not None and not max_ms > 0:
        raise fail(f"--max-ms: {max_ms:g} is not a round-trip time; it must be > 0 (ms)")
    if max_ms is not None and not matrix:
        raise fail("--max-ms filters the --matrix output; it does not apply to FROM TO")
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
        notes = result.pop("notes", [])
        if notes:
            from rich.console import Console

            err = Console(stderr=True)
            for note in notes:
                err.print(f"note: {note}", highlight=False, markup=False)
        if fmt == Format.json:
            print_json(result)
        else:
            result.pop("resolved")
            print_records(
                [{**result, "path": " > ".join(result["path"])}],
                fmt,
                title=f"{origin} -> {destination}",
            )
    except GridfirstError as exc:
        raise fail(str(exc)) from None


def register(app: typer.Typer) -> None:
    app.command("latency")(latency)
