"""``gridfirst compare``: finished plan folders or scenario YAMLs side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_json, print_records


def _summary(path: Path, cache: bool) -> dict[str, Any]:
    """A plan folder's ``plan.json`` (manifest checked), or a scenario file planned now."""
    from gridfirst.outputs import read_plan

    if path.is_dir():
        return read_plan(path)
    if not path.is_file():
        from gridfirst.errors import OutputError

        raise OutputError(f"{path}: no such plan folder or scenario file")
    from gridfirst.planning import plan

    return plan(path, cache=cache).to_dict()


def compare_command(
    plans: list[Path] = typer.Argument(..., help="Two or more finished plan folders "
                                       "(gridfirst plan -o) or scenario YAML files (planned now)."),
    fmt: Format = FORMAT_OPTION,
    no_cache: bool = typer.Option(False, "--no-cache", help="Solve every site of a YAML again."),
) -> None:
    """Plans side by side: cost, cash cost, MW by country and year, CFE, shortfalls, build changes."""
    from gridfirst.errors import GridfirstError
    from gridfirst.planning.compare import compare_summaries

    try:
        summaries = [_summary(p, cache=not no_cache) for p in plans]
        comparison = compare_summaries(summaries, sources=[str(p) for p in plans])
    except KeyboardInterrupt:
        raise fail("interrupted", code=130) from None
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    if fmt == Format.json:
        print_json(comparison.to_dict())
        return
    table = comparison.side_by_side().to_dict(orient="records")
    print_records(table, fmt, title="plans side by side")
    if fmt == Format.table:
        changes = comparison.build_changes.to_dict(orient="records")
        if changes:
            print_records(changes, fmt, title=f"builds that differ (online MW; change: "
                          f"{comparison.names[-1]} - {comparison.names[0]})")
        else:
            typer.echo("the plans build the same MW at every site and year")


def register(app: typer.Typer) -> None:
    app.command("compare")(compare_command)
