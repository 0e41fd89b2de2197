"""``gridfirst portfolio [SCENARIO]``: solve the multi-year build-out plan alone and print it."""

from __future__ import annotations

from pathlib import Path

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_json, print_records


def portfolio(
    scenario: Path | None = typer.Argument(
        None, help="Scenario YAML file (default: the bundled examples/apac.yaml)."
    ),
    fmt: Format = FORMAT_OPTION,
    mip_gap: float | None = typer.Option(
        None, "--mip-gap", min=0.0, max=1.0,
        help="Relative MIP gap (default: the scenario's options.plan.mip_gap, 0.001).",
    ),
    time_limit_s: float | None = typer.Option(
        None, "--time-limit", min=1.0,
        help="Solve limit [s] (default: the scenario's options.plan.time_limit_s, 30).",
    ),
) -> None:
    """How much, where and when: build schedule, shortfalls (explained) and cost of the plan.

    The plan `gridfirst plan` makes for the same scenario (it procures each site's power first,
    reusing cached solves).

    JSON has builds, allocation, shortfalls, costs, binding constraints, total_cost_usd (the
    objective), cash_cost_usd and cost_breakdown_usd (penalties apart), signed and recommended
    deals and the unused candidates with their reasons; CSV is the build schedule.
    """
    from gridfirst.errors import GridfirstError
    from gridfirst.planning import decide, resolve_for_plan
    from gridfirst.scenario import example_path, load_scenario

    try:
        loaded = load_scenario(scenario if scenario is not None else example_path())
        # The same resolved inputs as `gridfirst plan` (procured energy costs, cached per site),
        # the same scores and solver settings: one scenario, one plan.
        _, result = decide(resolve_for_plan(loaded), mip_gap=mip_gap, time_limit_s=time_limit_s)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    if fmt == Format.json:
        print_json(result.to_dict())
        return
    builds = result.builds
    if fmt == Format.csv:
        print_records(builds.to_dict(orient="records"), fmt)
        return
    shown = builds[(builds["added_mw"].abs() > 1e-6) | (builds["decided_mw"] > 0)]
    print_records(
        shown.to_dict(orient="records"), fmt,
        title=f"Build schedule of {loaded.name} (MW of IT; power in MW)",
        columns=["site", "country", "year", "decided_mw", "added_mw", "online_mw",
                 "power_available_mw", "pue"],
    )
    if not result.shortfalls.empty:
        print_records(result.shortfalls.to_dict(orient="records"), fmt, title="Shortfalls",
                      columns=["region", "year", "workload", "mw", "binding", "explanation"])
    print_records(result.costs.to_dict(orient="records"), fmt, title="Cost per year (USD)")
    if not result.binding.empty:
        print_records(result.binding.head(12).to_dict(orient="records"), fmt,
                      title="Binding constraints (largest shadow prices)",
                      columns=["constraint", "site_or_region", "year", "shadow_price", "meaning"])
    from rich.console import Console

    Console().print(
        f"Net present cash cost {result.cash_cost_usd:,.0f} USD (objective "
        f"{result.total_cost_usd:,.0f} USD with penalties); {result.status}, gap "
        f"{result.mip_gap:.2%}, {result.solve_seconds:.1f} s; latency: "
        f"{result.inputs.latency_source}; signed deals taken: {', '.join(result.signed_deals) or 'none'}; to sign: "
        f"{', '.join(f'{d} by {y}' for d, y in zip(result.recommended_deals['deal'], result.recommended_deals['sign_by_year'], strict=True)) or 'none'}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.command("portfolio")(portfolio)
