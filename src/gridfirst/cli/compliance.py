"""``gridfirst compliance [SCENARIO]``: may the buyer's accelerators go to each market, and why."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_records


def compliance(
    scenario: Path | None = typer.Argument(
        None, help="Scenario YAML file (default: the bundled examples/apac.yaml)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Read the rules as of this date (YYYY-MM-DD; default: buyer.as_of, "
        "else 1 January of the horizon start)."
    ),
    jurisdiction: str | None = typer.Option(
        None, "--jurisdiction", help="Buyer's home country (ISO code), overriding buyer.jurisdiction."
    ),
    accelerators: str | None = typer.Option(
        None, "--accelerators", help="Comma-separated accelerator ids, overriding buyer.accelerators."
    ),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Export-control status of every market of the scenario for its buyer: allowed, licence
    required, presumption of denial or prohibited, with the rule, its source and effective date."""
    from gridfirst.compliance.buyer import buyer_with
    from gridfirst.errors import GridfirstError
    from gridfirst.resolve.resolved import as_of as default_as_of
    from gridfirst.resolve.resolved import compliance_of
    from gridfirst.scenario import example_path, load_scenario

    try:
        loaded = load_scenario(scenario if scenario is not None else example_path())
        when = default_as_of(loaded)
        if as_of is not None:
            try:
                when = dt.date.fromisoformat(as_of)
            except ValueError:
                raise fail(f"--as-of: {as_of!r} is not a date like 2026-12-01") from None
        buyer = buyer_with(loaded.buyer, jurisdiction, accelerators)
        if buyer is None:
            raise fail(f"{loaded.name}: the scenario names no buyer; add buyer: {{jurisdiction: US, "
                       "accelerators: [gb200-nvl72]}} or pass --jurisdiction")
        table = compliance_of(loaded.resolved_markets(), buyer, when)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    rows = table.reset_index().to_dict(orient="records")
    if fmt == Format.table:
        print_records(rows, fmt, title=f"Export controls for a {buyer.jurisdiction} buyer of "
                      f"{', '.join(buyer.accelerators)} as of {when.isoformat()}",
                      columns=["market_id", "country", "status", "rule", "effective",
                               "licence_lead_time_months", "denial_probability", "citation"])
        return
    print_records(rows, fmt)




def register(app: typer.Typer) -> None:
    app.command("compliance")(compliance)
