"""``gridfirst sensitivity``: tornado of the plan's cost and MW by country against its assumptions."""

from __future__ import annotations

from pathlib import Path

import typer

from gridfirst.cli.output import (
    FORMAT_OPTION,
    Format,
    check_output_file,
    fail,
    print_json,
    print_records,
)


def sensitivity_command(
    scenario: Path | None = typer.Argument(None, help="Scenario YAML (the bundled apac.yaml if omitted)."),
    swing: list[str] = typer.Option(
        [], "--swing", help="Override a range, name=low:high (factors, or years for "
        "energisation_years and lead_years), e.g. --swing capex=0.7:1.5. Repeatable."),
    only: str | None = typer.Option(
        None, "--only", help="Swing only these assumptions (comma-separated)."),
    figure: Path | None = typer.Option(None, "--figure", help="Write the tornado as an HTML file."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Solve every site again."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Re-solve the plan with each assumption low and high: grid MW and energisation year, lead
    times, capex, energy price, unmet penalty."""
    from dataclasses import replace

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from gridfirst.errors import GridfirstError, ScenarioError
    from gridfirst.planning import resolve_for_plan
    from gridfirst.planning.sensitivity import SWINGS, parse_swing, tornado

    check_output_file(figure, "--figure")
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   console=Console(stderr=True), transient=True)
    try:
        swings = {s.assumption: s for s in SWINGS}
        for text in swing:
            given = parse_swing(text)
            swings[given.assumption] = replace(given)
        if only is not None:
            names = [n.strip() for n in only.split(",") if n.strip()]
            unknown = [n for n in names if n not in swings]
            if unknown or not names:
                raise ScenarioError(f"--only {only!r}: name one or more of {sorted(swings)}")
            swings = {n: swings[n] for n in names}
        with bar:
            task = bar.add_task("resolving (per-site procurement, cached)", total=None)
            resolved = resolve_for_plan(scenario, cache=not no_cache)
            bar.update(task, description="portfolio re-solves")
            result = tornado(resolved, list(swings.values()),
                             progress=lambda done, total: bar.update(task, completed=done,
                                                                      total=total))
    except KeyboardInterrupt:
        raise fail("interrupted", code=130) from None
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    if figure is not None:
        from gridfirst.report.tornado import tornado_figure

        tornado_figure(result).write_html(str(figure), include_plotlyjs=True)
    if fmt == Format.json:
        print_json(result.records())
        return
    rows = result.table.drop(columns=["description"]).to_dict(orient="records")
    print_records(rows, fmt, title=f"total cost (base {result.base_cost_usd:,.0f} USD), "
                  "largest swing first")
    if fmt == Format.table:
        delta = result.mw_delta().reset_index()
        delta = delta[(delta["low"].abs() > 1e-6) | (delta["high"].abs() > 1e-6)]
        print_records(delta.to_dict(orient="records"), fmt,
                      title=f"change in IT MW online in {result.year} by country "
                      f"(base {result.base_mw_by_country})")


def register(app: typer.Typer) -> None:
    app.command("sensitivity")(sensitivity_command)
