"""``gridfirst risk``: Monte Carlo of the plan and its candidates (buffered, diversified)."""

from __future__ import annotations

from pathlib import Path

import typer

from gridfirst.cli.output import (
    FORMAT_OPTION,
    Format,
    check_address,
    fail,
    print_json,
    print_records,
)


def risk(
    scenario: Path | None = typer.Argument(None, help="Scenario YAML (the bundled apac.yaml if omitted)."),
    samples: int = typer.Option(10_000, "--samples", "-n", min=1, help="Sampled futures per plan."),
    seed: int = typer.Option(1, "--seed", min=0, max=2**32 - 1, help="Seed: same seed, same numbers on any executor."),
    executor: str = typer.Option("serial", "--executor", "-e", help="serial | processes | dask."),
    workers: int = typer.Option(2, "--workers", "-w", min=1, help="Local processes or Dask workers."),
    dask: str | None = typer.Option(None, "--dask", help="Dask scheduler, e.g. tcp://host:8786."),
    candidates: str = typer.Option(
        "cost_optimal,buffered,diversified", "--candidates",
        help="Plans to compare (comma-separated): cost_optimal, buffered, diversified."),
    buffer: float = typer.Option(0.15, "--buffer", help="Extra demand share the buffered plan buys."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Evaluate plans under sampled delays, demand, prices and disruptions; compare the trade-off."""
    import time

    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TextColumn,
        TimeRemainingColumn,
    )

    from gridfirst.errors import GridfirstError, RunCancelled
    from gridfirst.parallel import EXECUTORS
    from gridfirst.planning import decide, resolve_for_plan
    from gridfirst.risk.robust import compare_plans
    from gridfirst.scenario import load_scenario

    if executor not in EXECUTORS:
        raise fail(f"--executor: {executor!r} is not one of {list(EXECUTORS)}")
    check_address(dask)
    if dask is not None:
        executor = "dask"
    names = tuple(c.strip() for c in candidates.split(",") if c.strip())
    start = time.perf_counter()
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeRemainingColumn(), console=Console(stderr=True), transient=True)
    tasks: dict[str, TaskID] = {}

    def progress(name: str, done: int, total: int) -> None:
        if name not in tasks:
            tasks[name] = bar.add_task(f"{name} ({executor})", total=total)
        bar.update(tasks[name], completed=done)

    try:
        scen = load_scenario(scenario)
        with bar:
            # The cost-optimal candidate is the plan `gridfirst plan` makes: same resolved
            # inputs (procured energy costs, cached), same scores and solver settings.
            resolved = resolve_for_plan(scen)
            _, cost_optimal = decide(resolved)
            result = compare_plans(resolved, samples=samples, seed=seed, candidates=names,
                                   buffer_share=buffer, executor=executor, workers=workers,
                                   address=dask, progress=progress, cost_optimal=cost_optimal)
    except RunCancelled as exc:
        raise fail(f"interrupted: {exc}", code=130) from None
    except KeyboardInterrupt:
        raise fail("interrupted", code=130) from None
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    first = result.candidates[names[0]].risk
    chosen = result.candidates[names[0]].plan
    if fmt == Format.json:
        print_json({
            "scenario": scen.name,
            "samples": samples,
            "seed": seed,
            "candidates": result.table.to_dict(orient="records"),
            "plan": names[0],
            "total_cost_usd": float(chosen.total_cost_usd),
            "builds": chosen.builds.to_dict(orient="records"),
            **first.to_dict(),
            "total_seconds": time.perf_counter() - start,
        })
        return
    table = result.table.drop(columns=["description"]).to_dict(orient="records")
    print_records(table, fmt, title=f"{scen.name}: {samples} futures, seed {seed}")
    if fmt == Format.table:
        years = first.years.reset_index().to_dict(orient="records")
        print_records(years, fmt, title=f"{names[0]} plan by year")


def register(app: typer.Typer) -> None:
    app.command("risk")(risk)
