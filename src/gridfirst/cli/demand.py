"""``gridfirst demand``: fit growth to an observed series, forecast it with bands, convert to MW
by region and year, and optionally write the outlook into a scenario or plot the fit.
"""

from __future__ import annotations

import sys
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

QUANTITY_HELP = (
    "What the series counts: tokens_per_day, tokens_per_month, requests_per_day, "
    "weekly_active_users, revenue_usd_per_year, accelerators or training_flop_per_year."
)


def _parse_shares(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    shares: dict[str, float] = {}
    for item in text.split(","):
        if "=" not in item:
            raise fail(f"--shares: {item!r} is not region=share (e.g. tokyo=0.6,sydney=0.4)")
        key, value = item.split("=", 1)
        try:
            shares[key.strip()] = float(value)
        except ValueError:
            raise fail(f"--shares: {value!r} for {key.strip()!r} is not a number") from None
    return shares


def demand(
    file: Path = typer.Argument(..., help="CSV with a date column and a value column."),
    quantity: str = typer.Option(..., "--quantity", "-q", help=QUANTITY_HELP),
    column: str | None = typer.Option(None, "--column", help="Value column (default: value)."),
    date_column: str = typer.Option("date", "--date-column", help="Date column."),
    models: str = typer.Option(
        "exponential,logistic,gompertz", "--models", help="Candidate models, comma-separated."
    ),
    criterion: str = typer.Option("aic", "--criterion", help="aic, aicc or bic."),
    start_year: int | None = typer.Option(None, "--start-year", help="First forecast year."),
    end_year: int | None = typer.Option(None, "--end-year", help="Last forecast year."),
    at: str = typer.Option("end", "--at", help="Each year's value at its 'end' (31 Dec) or 'mid'."),
    accelerator: str = typer.Option("h100-sxm", "--accelerator", "-a", help="Accelerator id."),
    tokens_per_s: float | None = typer.Option(
        None, "--tokens-per-s", help="Override: tokens/s per accelerator."
    ),
    utilisation: float | None = typer.Option(
        None, "--utilisation", help="Override: average utilisation of inference capacity."
    ),
    power_w: float | None = typer.Option(
        None, "--power-w", help="Override: all-in IT power per accelerator [W]."
    ),
    mfu: float | None = typer.Option(
        None, "--mfu", help="Override: training model-FLOPs utilisation."
    ),
    tokens_per_request: float | None = typer.Option(None, "--tokens-per-request"),
    tokens_per_user_per_day: float | None = typer.Option(None, "--tokens-per-user-per-day"),
    usd_per_million_tokens: float | None = typer.Option(None, "--usd-per-million-tokens"),
    served_share: float = typer.Option(
        1.0, "--served-share", help="Share of the observed quantity this plan serves (0-1]."
    ),
    pue: float | None = typer.Option(None, "--pue", help="PUE for facility MW."),
    market: str | None = typer.Option(
        None,
        "--market",
        help="Facility MW at this market's climate-based design PUE (not with --pue).",
    ),
    shares: str | None = typer.Option(
        None,
        "--shares",
        help=(
            "Regional shares summing to 1, e.g. tokyo=0.6,sydney=0.4. Without --write-scenario "
            "the ids name the regions; with it they must be the scenario's demand regions "
            "(default: options.demand.shares, else population)."
        ),
    ),
    radius_km: float = typer.Option(50.0, "--radius-km", help="Population radius per region [km]."),
    samples: int = typer.Option(
        500, "--samples", help="Bootstrap resamples: at least 20, or 0 for no band."
    ),
    seed: int = typer.Option(0, "--seed", min=0, max=2**32 - 1, help="Seed of the bootstrap."),
    level: float = typer.Option(0.8, "--level", help="Central coverage of the band."),
    write_scenario: Path | None = typer.Option(
        None, "--write-scenario", help="Scenario whose regions, shares and horizon to use."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        help=(
            "Write the scenario with the outlook here: only demand.points (and demand.regions "
            "when missing) are rewritten; the rest of the file, comments included, is kept."
        ),
    ),
    plot: Path | None = typer.Option(None, "--plot", help="Write the fit as offline HTML here."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Fit growth to FILE, forecast with bands and turn it into IT MW by region and year."""
    from gridfirst.demand import (
        conversion_chain,
        demand_outlook,
        read_series,
        resolve_pue,
        scenario_shares,
    )
    from gridfirst.demand.growth import MIN_BOOTSTRAP
    from gridfirst.errors import GridfirstError

    if out is not None and write_scenario is None:
        raise fail("--out needs --write-scenario (the scenario to copy the outlook into)")
    if write_scenario is not None and out is None:
        raise fail("--write-scenario needs --out (a new file; the input scenario is kept)")
    check_output_file(plot, "--plot")
    check_output_file(out, "--out")
    if at not in ("end", "mid"):
        raise fail(f"--at: {at!r} is not 'end' or 'mid'")
    if samples != 0 and samples < MIN_BOOTSTRAP:
        raise fail(
            f"--samples: {samples} bootstrap resamples are too few for a band; give at least "
            f"{MIN_BOOTSTRAP} (or 0 for no band)"
        )
    try:
        series = read_series(file, column=column, date_column=date_column, quantity=quantity)
        scenario = None
        regions: list = []
        user_shares = _parse_shares(shares)
        if write_scenario is not None:
            from gridfirst.scenario import load_scenario

            scenario = load_scenario(write_scenario)
            regions = list(scenario.demand.regions)
            if user_shares is None:
                user_shares = scenario_shares(scenario)
        if scenario is not None:
            first = start_year or scenario.horizon.start_year
            last = end_year or scenario.horizon.end_year
        else:
            first = start_year or int(series.index[-1].year)
            last = end_year or first + 5
        if last < first:
            raise fail(f"--end-year {last} is before the first forecast year {first}")
        resolved_pue = resolve_pue(market_id=market, scenario=scenario, pue=pue)
        chosen_pue, pue_source = resolved_pue if resolved_pue is not None else (None, None)
        chain = conversion_chain(
            quantity,
            accelerator,
            tokens_per_s_per_accelerator=tokens_per_s,
            utilisation=utilisation,
            it_power_per_accelerator_w=power_w,
            mfu=mfu,
            tokens_per_request=tokens_per_request,
            tokens_per_user_per_day=tokens_per_user_per_day,
            usd_per_million_tokens=usd_per_million_tokens,
            served_share=served_share,
        )
        result = demand_outlook(
            series,
            quantity,
            years=range(first, last + 1),
            chain=chain,
            regions=regions,
            shares=user_shares,
            models=[m.strip() for m in models.split(",") if m.strip()],
            criterion=criterion,  # type: ignore[arg-type]
            n_boot=samples,
            seed=seed,
            level=level,
            at=at,  # type: ignore[arg-type]
            pue=chosen_pue,
            pue_source=pue_source,
            radius_km=radius_km,
            source=file.name,
        )
        if out is not None and write_scenario is not None and result.outlook is not None:
            from gridfirst.demand import write_outlook

            write_outlook(write_scenario, result.outlook, out)
        if plot is not None:
            from gridfirst.demand.plot import write_plot

            write_plot(result.fit, result.forecast, plot)
    except GridfirstError as exc:
        raise fail(str(exc)) from None

    from rich.console import Console

    err = Console(stderr=True)
    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    if out is not None:
        err.print(f"wrote the outlook into {out}", highlight=False)
    if plot is not None:
        err.print(f"wrote the plot to {plot}", highlight=False)

    payload = result.to_dict()
    if fmt == Format.json:
        print_json(payload)
        return
    rows = payload["forecast"]
    if fmt == Format.csv:
        print_records(rows, fmt)
        return
    _print_table(result, payload)


def _param_text(name: str, value: float) -> str:
    """One format per parameter, shared by the header line and the models table.

    Calendar years (``midpoint_year``, ``inflection_year``) to two decimals; rates such as
    ``rate_per_year`` and levels to four significant digits.
    """
    is_calendar_year = name.endswith("_year") and not name.endswith("per_year")
    return f"{value:.2f}" if is_calendar_year else f"{value:.4g}"


def _print_table(result, payload) -> None:  # type: ignore[no-untyped-def]
    from rich.console import Console

    console = Console()
    fit = result.fit
    params = ", ".join(f"{k} = {_param_text(k, v)}" for k, v in fit.parameters.items())
    console.print(
        f"[bold]{fit.model}[/] chosen by {fit.criterion.upper()} on {len(fit.series)} points "
        f"({payload['series']['first']} to {payload['series']['last']}): {params}",
        highlight=False,
    )
    crit_rows = [
        {
            "model": name,
            "aic": payload["aic"][name],
            "aicc": payload["aicc"][name],
            "bic": payload["bic"][name],
            **{k: _param_text(k, v) for k, v in f.parameters.items()},
        }
        for name, f in fit.fits.items()
    ]
    param_cols = list(dict.fromkeys(k for f in fit.fits.values() for k in f.parameters))
    print_records(
        crit_rows,
        Format.table,
        title="models (lower criterion is better)",
        columns=["model", "aic", "aicc", "bic", *param_cols],
    )
    cols = ["year", "value", "low", "high", "years_beyond_data", "mw", "low_mw", "high_mw"]
    pue_note = ""
    if result.pue is not None:
        cols += ["facility_mw", "facility_low_mw", "facility_high_mw"]
        pue_note = f"; facility MW at PUE {result.pue:.3g} ({result.pue_source})"
    print_records(
        payload["forecast"],
        Format.table,
        title=(
            f"forecast ({result.forecast.level:.0%} band) and {result.chain.workload} IT MW "
            f"({result.chain.accelerator}, {result.chain.it_mw_per_unit:.4g} MW per unit"
            f"{pue_note})"
        ),
        columns=cols,
    )
    if result.outlook is not None and result.outlook.points:
        table = result.outlook.table()
        pivot = table.pivot_table(index="region", columns="year", values="mw", aggfunc="sum")
        records = [
            {"region": region, **{str(y): float(v) for y, v in row.items()}}
            for region, row in pivot.iterrows()
        ]
        method = f" - shares: {result.share_method}" if result.share_method else ""
        print_records(records, Format.table, title=f"IT MW by region and year (base){method}")
    console.print(f"[dim]{result.forecast.extrapolation_note}[/]", highlight=False)
    sys.stdout.flush()


def register(app: typer.Typer) -> None:
    app.command("demand")(demand)
