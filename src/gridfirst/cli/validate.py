"""``gridfirst validate FILE``: check a scenario and say what it holds, or every problem in it."""

from __future__ import annotations

from pathlib import Path

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_json, print_records


def validate(
    file: Path = typer.Argument(..., help="Scenario YAML file."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Validate a scenario file: names the file, field, bad value and what was expected."""
    from gridfirst.errors import ScenarioError
    from gridfirst.scenario import load_scenario

    try:
        scenario = load_scenario(file)
    except ScenarioError as exc:
        if fmt == Format.json:
            print_json({"valid": False, "file": str(file), "problems": exc.problems})
            raise typer.Exit(1) from None
        raise fail(str(exc), code=1) from None
    summary = {
        "valid": True,
        "file": str(file),
        "name": scenario.name,
        "markets": len(scenario.resolved_markets()),
        "sites": len(scenario.sites),
        "deals": len(scenario.deals),
        "demand_regions": len(scenario.demand.regions),
        "demand_points": len(scenario.demand.points),
        "horizon": f"{scenario.horizon.start_year}-{scenario.horizon.end_year}",
        "cfe_target": scenario.policy.cfe_target,
    }
    if fmt == Format.json:
        print_json(summary)
    else:
        records = [{"item": k, "value": v} for k, v in summary.items()]
        print_records(records, fmt, title=f"{file.name} is valid")


def register(app: typer.Typer) -> None:
    app.command("validate")(validate)
