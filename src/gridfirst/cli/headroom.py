"""``gridfirst headroom``: curtailment-enabled headroom of a balancing authority or a load file."""

from __future__ import annotations

from typing import Any

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_records


def _budgets(texts: list[str]) -> list[float]:
    """Every ``--budget`` given (each comma-separated), checked here so the error names the flag."""
    import math

    out = []
    for text in texts:
        for part in text.split(","):
            try:
                value = float(part)
            except ValueError:
                raise fail(f"--budget: {part!r} is not a number (give shares, e.g. "
                           "0.0025,0.005)") from None
            if not (math.isfinite(value) and 0.0 <= value < 1.0):
                raise fail(f"--budget: {part.strip()!r} is not a share of the new load's annual "
                           "energy in [0, 1), e.g. 0.005 for 0.5 %")
            out.append(value)
    return out


def headroom(
    zone: str | None = typer.Argument(
        None, metavar="ZONE_OR_FILE", help="A shipped zone (see --list) or a CSV (or Parquet) of "
        "time_utc,load_mw."
    ),
    budget: list[str] = typer.Option(
        ["0.0025,0.005,0.01"],
        "--budget",
        "-b",
        metavar="SHARES",
        help="Curtailment budgets, shares of the new load's annual energy, comma-separated "
        "(or the option repeated).",
    ),
    threshold: str = typer.Option(
        "seasonal", "--threshold", help="Planning peak: 'seasonal' (the report's) or 'peak'."
    ),
    list_zones: bool = typer.Option(False, "--list", help="List the shipped zones."),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """New flat load (MW) a zone takes if curtailed in the hours it would pass its planning peak.

    For each budget: the MW, the curtailed hours a year and the longest curtailment event
    (Norris et al. 2025, "Rethinking Load Growth").
    """
    from gridfirst.errors import GridfirstError
    from gridfirst.headroom import curtailment_headroom, load_for, shipped_zones

    try:
        if list_zones:
            if zone is not None:
                raise fail(f"--list takes no ZONE_OR_FILE (got {zone!r}); give one or the other")
            zones = shipped_zones()
            records = [
                {"zone": r.zone, "source": r.source, "year": r.year} for r in zones.itertuples()
            ]
            print_records(records, fmt, title="Shipped hourly loads")
            return
        if zone is None:
            raise fail("give ZONE_OR_FILE or --list")
        if threshold not in ("seasonal", "peak"):
            raise fail(f"--threshold: {threshold!r} is not one of seasonal, peak")
        budgets = _budgets(budget)  # before the file is read: a typo fails fast
        label, load = load_for(zone)
        rows: list[dict[str, Any]] = [
            curtailment_headroom(load, b, threshold).record()  # type: ignore[arg-type]
            for b in budgets
        ]
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    if fmt == Format.table:
        rows = [{**r, "budget": f"{r['budget']:g}"} for r in rows]
    print_records(rows, fmt, title=f"Curtailment-enabled headroom, {label}")


def register(app: typer.Typer) -> None:
    app.command("headroom")(headroom)
