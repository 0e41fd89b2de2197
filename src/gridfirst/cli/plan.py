"""``gridfirst plan``: the main job on a scenario, written to an output folder with its report."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from gridfirst.cli.output import check_address, fail


class PlanFormat(str, Enum):
    table = "table"
    json = "json"


class ExecutorName(str, Enum):
    auto = "auto"
    serial = "serial"
    processes = "processes"
    dask = "dask"


_STAGE_LABELS = {
    "latency": "latency to demand centres",
    "ranking": "screening and ranking",
    "procurement": "per-site 24/7 procurement",
    "portfolio": "portfolio plan (MILP)",
    "risk": "risk (Monte Carlo)",
    "robust": "robust plan (K futures)",
    "report": "plan.json, CSV files, report.html",
}


def plan_command(
    scenario: Path | None = typer.Argument(
        None, help="Scenario YAML file (default: the bundled examples/apac.yaml)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Output folder (default: gridfirst-out/<scenario name>/)."
    ),
    risk: int = typer.Option(0, "--risk", min=0, help="Monte Carlo futures of the risk run (0: none)."),
    executor: ExecutorName = typer.Option(
        ExecutorName.auto, "--executor",
        help="Where per-site procurement and risk run; 'auto' uses local processes when there are "
        "several sites to solve and more than one core, else this process.",
    ),
    dask: str | None = typer.Option(
        None, "--dask", help="Dask scheduler address (implies --executor dask), e.g. tcp://host:8786."
    ),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Processes or Dask workers."),
    seed: int | None = typer.Option(None, "--seed", min=0, max=2**32 - 1, help="Seed of profiles, sensitivity and risk."),
    fmt: PlanFormat = typer.Option(PlanFormat.table, "--format", "-f", help="Output format."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Solve every site again."),
    sensitivity: bool = typer.Option(
        False, "--sensitivity", help="Add the tornado of cost and MW by country to the report "
        "(see `gridfirst sensitivity`)."),
    deals: str | None = typer.Option(
        None, "--deals", help="Deals store (URL or SQLite file) whose live deals join the "
        "scenario's (see `gridfirst deals`)."),
    alternatives: int | None = typer.Option(
        None, "--alternatives", help="Near-optimal alternatives to find: plans within --slack of "
        "the optimal cost that differ most in MW by country, side by side with what they share "
        "(default options.plan.alternatives.count, 0)."),
    slack: float | None = typer.Option(
        None, "--slack", help="Cost slack of the alternatives over the optimum's total cost "
        "(default 0.02, i.e. 2%)."),
    min_distance: float | None = typer.Option(
        None, "--min-distance", help="Minimum distance between alternatives [MW]: mean over "
        "years of the summed |MW online by country| differences (default 20)."),
    robust: int | None = typer.Option(
        None, "--robust", help="Also solve the plan against K sampled futures at once (1..1000; "
        "policy.risk_appetite sets how they are weighed) and compare both plans out of sample."),
) -> None:
    """Rank markets, procure power per site, plan the build-out, and write the report."""
    from rich.console import Console

    from gridfirst.errors import GridfirstError
    from gridfirst.outputs import check_writable, write_plan
    from gridfirst.planning import STAGES, plan
    from gridfirst.scenario import load_scenario

    err = Console(stderr=True)
    check_address(dask)
    try:
        loaded = load_scenario(scenario)
        from gridfirst.portfolio.alternatives import check_settings

        alt_opts = loaded.options.plan.alternatives
        check_settings(alt_opts.count if alternatives is None else alternatives,
                       alt_opts.slack if slack is None else slack,
                       alt_opts.min_distance_mw if min_distance is None else min_distance)
        if deals is not None:
            from gridfirst.deals import scenario_with_store_deals

            loaded = scenario_with_store_deals(loaded, deals)
        folder = output if output is not None else Path("gridfirst-out") / loaded.name
        check_writable(folder)  # before the solves, not after them
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    name = "dask" if dask is not None else executor.value

    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description:<34}"), BarColumn(), TaskProgressColumn(),
                   TimeElapsedColumn(), console=err, transient=False)
    tasks = {s: bar.add_task(_STAGE_LABELS[s], total=None, start=False) for s in STAGES}

    def progress(stage: str, done: float, total: float) -> None:
        task = tasks[stage]
        if total == 0:
            bar.update(task, description=f"{_STAGE_LABELS[stage]} (skipped)", total=1, completed=1)
            return
        bar.start_task(task)
        bar.update(task, total=total, completed=done)

    try:
        with bar:
            result = plan(loaded, risk_samples=risk, executor=name, dask_address=dask,
                          workers=workers, cache=not no_cache, seed=seed, progress=progress,
                          alternatives=alternatives, slack=slack, min_distance_mw=min_distance,
                          robust_futures=robust)
            if sensitivity and result.resolved is not None:
                from gridfirst.planning.sensitivity import tornado

                result.tornado = tornado(result.resolved, rankings=result.rankings)
            progress("report", 0, 1)
            summary = write_plan(result, folder)
            progress("report", 1, 1)
    except KeyboardInterrupt:
        err.print("[yellow]interrupted:[/] stopped before the plan was complete; nothing more written")
        raise typer.Exit(130) from None
    except GridfirstError as exc:
        if type(exc).__name__ == "RunCancelled":
            err.print(f"[yellow]interrupted:[/] {exc}")
            raise typer.Exit(130) from None
        raise fail(str(exc)) from None
    for note in summary.get("notes", []):
        if note.startswith("cache record"):
            err.print(f"warning: {note}", markup=False, highlight=False)
    # What is printed is this run's own summary, never re-read from the folder.
    if fmt == PlanFormat.json:
        import json

        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    _print_summary(err, summary, folder)
    if result.alternatives is not None:
        _print_alternatives(result.alternatives)
    if deals is not None:
        _print_signing(deals, [*summary.get("signed_deals", []),
                               *(d["deal"] for d in summary.get("recommended_deals", []))])


def _print_signing(db: str, signed: list[str]) -> None:
    """Which store deals the plan signs and the last day to sign each."""
    from gridfirst.deals import DealStore

    with DealStore(db) as store:
        records = {r.id: r for r in store.live_deals()}
    for deal_id in signed:
        if deal_id in records:
            typer.echo(f"sign {deal_id} ({records[deal_id].stage}) by "
                       f"{records[deal_id].sign_by().isoformat()}")


def _print_summary(console: object, summary: dict, folder: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    out = Console()
    table = Table(title=f"plan {summary['scenario']} ({summary['status']})", show_header=False)
    table.add_column("item")
    table.add_column("value")
    table.add_row("cash cost (NPV, USD)", f"{summary['cash_cost_usd']:,.0f}")
    table.add_row("penalties (NPV, USD; not cash)", f"{summary['penalty_cost_usd']:,.0f}")
    table.add_row("total cost (NPV, USD; the objective)", f"{summary['total_cost_usd']:,.0f}")
    table.add_row(f"IT MW online in {summary['horizon']['end_year']}", f"{summary['online_mw_end']:,.0f}")
    table.add_row("chosen sites", ", ".join(summary["chosen_sites"]) or "none")
    table.add_row("unmet demand (MW-years)",
                  f"{summary['plan_shortfall_mw_years']:,.1f} the plan's, "
                  f"{summary['structural_shortfall_mw_years']:,.1f} structural")
    recommended = summary.get("recommended_deals", [])
    if recommended:
        table.add_row("deals to sign", ", ".join(f"{d['deal']} by {d['sign_by_year']}"
                                                 for d in recommended))
    rob = summary.get("robust")
    if rob:
        d, r = rob["deterministic"], rob["robust"]
        table.add_row(f"robust plan ({rob['futures']} futures, {rob['measure']})",
                      f"price of robustness {rob['price_of_robustness_usd']:,.0f} USD "
                      f"({rob['price_of_robustness_share']:+.1%})")
        if "shortfall_mean_mw_years" in r:
            table.add_row(f"out of sample ({rob['out_of_sample_futures']} futures)",
                          f"expected shortfall {d['shortfall_mean_mw_years']:,.0f} -> "
                          f"{r['shortfall_mean_mw_years']:,.0f} MW-years; expected cost "
                          f"{d['cost_mean_usd']:,.0f} -> {r['cost_mean_usd']:,.0f} USD")
    cache = summary["cache"]
    table.add_row("procurement cache", f"{cache['hits']} reused, {cache['misses']} solved")
    table.add_row("seconds", ", ".join(f"{k} {v:.1f}" for k, v in summary["seconds"].items()))
    table.add_row("output", f"{folder}/ ({', '.join(summary['files'])})")
    out.print(table)
    for row in summary["shortfalls"][:10]:
        out.print(f"[red]shortfall[/] {row['region']} {row['year']} {row['workload']}: "
                  f"{row['mw']:,.1f} MW ({row['binding']}) {row.get('explanation', '')}")


def _print_alternatives(alts: object) -> None:
    """The plans side by side, then what every one of them does."""
    from rich.console import Console
    from rich.table import Table

    from gridfirst.planning.alternatives import PlanAlternatives, side_by_side

    assert isinstance(alts, PlanAlternatives)
    search = alts.search
    frame = side_by_side(alts)
    table = Table(title=f"near-optimal plans (total cost within {search.slack:.1%} of the "
                  f"optimum, at least {search.min_distance_mw:,.0f} MW apart)")
    table.add_column("")
    for col in frame.columns:
        table.add_column(str(col), justify="right")
    for label, row in frame.iterrows():
        text = str(label)
        whole = "MW" in text and "probability" not in text  # MW and MW-years as whole numbers
        table.add_row(text, *("" if v != v else f"{v:,.0f}" if whole else f"{v:,.2f}"
                              for v in row.to_numpy(float)))
    out = Console()
    out.print(table)
    for i, alt in enumerate(search.alternatives):
        out.print(f"alt{i + 1}: {alt.direction}", markup=False, highlight=False)
    shared = search.shared()
    if shared:
        out.print("every near-optimal plan does this (the robust decisions):")
        for line in shared:
            out.print(f"  {line}", markup=False, highlight=False)
    for note in search.notes:
        out.print(f"note: {note}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.command("plan")(plan_command)
