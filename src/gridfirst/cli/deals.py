"""``gridfirst deals``: the deal pipeline store (add, list, show, move, score, import, export,
history). A SQLite file in the user's data folder by default, any SQLAlchemy URL with ``--db``."""

from __future__ import annotations

import getpass
from enum import Enum
from pathlib import Path
from typing import Any

import typer

from gridfirst.cli.output import FORMAT_OPTION, Format, fail, print_json, print_records

deals_app = typer.Typer(
    name="deals", no_args_is_help=True,
    help="The deal pipeline: counterparties, sites and deals with their stage history.",
)

DB_OPTION = typer.Option(
    None, "--db", envvar="GRIDFIRST_DEALS_DB",
    help="SQLAlchemy URL (postgresql://user@host/db, sqlite:///file) or a SQLite file "
    "(default: deals.sqlite in $GRIDFIRST_DATA_DIR or ~/.local/share/gridfirst).",
)
BY_OPTION = typer.Option(None, "--by", help="Who makes the change (default: the login name).")
_LIST_COLUMNS = ["id", "kind", "stage", "counterparty", "market", "site", "capacity_mw",
                 "start_year", "term_years", "price_usd_per_kw_month", "price_usd_per_mwh",
                 "offer_expiry_date", "version"]


class ExportAs(str, Enum):
    csv = "csv"
    scenario = "scenario"


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def _store(db: str | None) -> Any:
    from gridfirst.deals import DealStore

    return DealStore(db)


def _flat(record: Any) -> dict[str, Any]:
    data: dict[str, Any] = record.model_dump(mode="json")
    data["mw_by_year"] = ";".join(f"{y}:{mw:g}" for y, mw in sorted(record.mw_by_year.items()))
    data["documents"] = ";".join(f"{d.title}|{d.uri}" for d in record.documents)
    return data


@deals_app.command("add")
def add(
    deal_id: str = typer.Argument(..., help="Deal id (lower case, digits, - and _)."),
    kind: str = typer.Option(..., "--kind", help="lease | powered_shell | build_to_suit | "
                             "colocation | ppa | grid_connection | land"),
    counterparty: str = typer.Option(..., "--counterparty"),
    market: str = typer.Option(..., "--market", help="Market id, e.g. jp-tokyo-inzai."),
    capacity_mw: float = typer.Option(..., "--capacity-mw", help="IT MW (space) or MW (PPA)."),
    start_year: int = typer.Option(..., "--start-year"),
    term_years: int = typer.Option(..., "--term-years"),
    price_usd_per_kw_month: float | None = typer.Option(None, "--price-usd-per-kw-month"),
    price_usd_per_mwh: float | None = typer.Option(None, "--price-usd-per-mwh"),
    take_or_pay_share: float = typer.Option(0.0, "--take-or-pay-share"),
    stage: str = typer.Option("prospect", "--stage"),
    site: str | None = typer.Option(None, "--site", help="Site id (created in the store if new)."),
    offer_expiry: str | None = typer.Option(None, "--offer-expiry", help="YYYY-MM-DD."),
    energisation: str | None = typer.Option(None, "--energisation", help="YYYY-MM-DD."),
    ready_for_service: str | None = typer.Option(None, "--ready-for-service", help="YYYY-MM-DD."),
    notes: str = typer.Option("", "--notes"),
    db: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    reason: str = typer.Option("", "--reason"),
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Add one deal."""
    from pydantic import ValidationError

    from gridfirst.deals import DealRecord
    from gridfirst.errors import GridfirstError

    fields = dict(id=deal_id, kind=kind, counterparty=counterparty, market=market,
                  capacity_mw=capacity_mw, start_year=start_year, term_years=term_years,
                  price_usd_per_kw_month=price_usd_per_kw_month,
                  price_usd_per_mwh=price_usd_per_mwh, take_or_pay_share=take_or_pay_share,
                  stage=stage, site=site, offer_expiry_date=offer_expiry,
                  energisation_date=energisation, ready_for_service_date=ready_for_service,
                  notes=notes)
    try:
        record = DealRecord.model_validate(fields)
    except ValidationError as exc:
        raise fail("\n".join(f"--{'-'.join(str(p) for p in e['loc']).replace('_', '-')}: "
                             f"{e.get('input')!r} {e['msg']}" for e in exc.errors())) from None
    try:
        with _store(db) as store:
            stored = store.add(record, by=_who(by), reason=reason)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    print_records([_flat(stored)], fmt, title="added", columns=_LIST_COLUMNS)


@deals_app.command("list")
def list_deals(
    stage: list[str] = typer.Option([], "--stage", help="Only these stages (repeatable)."),
    live: bool = typer.Option(False, "--live", help="Only the deals the planner takes."),
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """The deals of the store, by id."""
    from gridfirst.errors import GridfirstError

    try:
        with _store(db) as store:
            records = store.live_deals() if live else store.deals(stage or None)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    if live and stage:
        records = [r for r in records if r.stage in stage]
    print_records([_flat(r) for r in records], fmt, title="Deals",
                  columns=None if fmt == Format.json else _LIST_COLUMNS)


@deals_app.command("show")
def show(
    deal_id: str = typer.Argument(...),
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """One deal: every field, its version (for ``move --expect-version``) and its history."""
    from gridfirst.errors import GridfirstError

    try:
        with _store(db) as store:
            record = store.get(deal_id)
            history = store.history(deal_id)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    if fmt == Format.json:
        print_json({**record.model_dump(mode="json"), "history": history})
        return
    flat = _flat(record)
    print_records([{"field": k, "value": v} for k, v in flat.items()], fmt,
                  title=f"deal {deal_id}")
    if fmt == Format.table:
        print_records(history, fmt, title="history")


@deals_app.command("move")
def move(
    deal_id: str = typer.Argument(...),
    stage: str = typer.Argument(..., help="prospect | qualified | nda | loi | term_sheet | "
                                "negotiation | signed | energised | lost"),
    reason: str = typer.Option("", "--reason", help="Why (kept in the history)."),
    expect_version: int | None = typer.Option(
        None, "--expect-version", help="Fail unless the deal is still at this version."),
    db: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Move a deal to another stage; a concurrent change is a conflict, never overwritten."""
    from gridfirst.errors import GridfirstError

    try:
        with _store(db) as store:
            moved = store.move(deal_id, stage, by=_who(by), reason=reason,
                               expect_version=expect_version)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    print_records([_flat(moved)], fmt, title="moved", columns=_LIST_COLUMNS)


@deals_app.command("history")
def history(
    deal_id: str | None = typer.Argument(None, help="One deal (default: every deal)."),
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Every change: who, when, which field, from, to and why."""
    from gridfirst.errors import GridfirstError

    try:
        with _store(db) as store:
            events = store.history(deal_id)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    print_records(events, fmt, title="History",
                  columns=["deal", "at", "by", "field", "from", "to", "reason", "version"])


@deals_app.command("import")
def import_deals(
    file: Path = typer.Argument(..., help="CSV file, or a scenario YAML whose deals: are taken."),
    db: str | None = DB_OPTION,
    by: str | None = BY_OPTION,
    reason: str = typer.Option("import", "--reason"),
) -> None:
    """Add new deals and update existing ones in one transaction: all rows or none."""
    from gridfirst.deals import read_csv, read_scenario_deals
    from gridfirst.errors import GridfirstError

    try:
        records = (read_scenario_deals(file) if file.suffix.lower() in (".yaml", ".yml")
                   else read_csv(file))
        with _store(db) as store:
            counts = store.import_records(records, by=_who(by), reason=reason)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    typer.echo(f"{file.name}: {counts['added']} added, {counts['updated']} updated, "
               f"{counts['unchanged']} unchanged")


@deals_app.command("export")
def export(
    output: Path | None = typer.Option(None, "--output", "-o", help="File (default: stdout)."),
    as_: ExportAs = typer.Option(ExportAs.csv, "--as",
                                 help="csv (every field) or scenario (a deals: fragment)."),
    live: bool = typer.Option(False, "--live", help="Only the deals the planner takes."),
    db: str | None = DB_OPTION,
) -> None:
    """Write the deals as CSV (reads back with import) or as a scenario ``deals:`` fragment."""
    from gridfirst.deals import to_csv, to_scenario_fragment
    from gridfirst.errors import GridfirstError

    try:
        with _store(db) as store:
            records = store.live_deals() if live else store.deals()
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    text = to_csv(records) if as_ == ExportAs.csv else to_scenario_fragment(records)
    if output is None:
        typer.echo(text, nl=False)
        return
    tmp = output.with_name(f".{output.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(output)  # whole or not at all
    typer.echo(f"wrote {len(records)} deals to {output}", err=True)


@deals_app.command("score")
def score(
    scenario: Path | None = typer.Argument(
        None, help="Scenario YAML (default: the bundled examples/apac.yaml)."),
    probability: list[str] = typer.Option(
        [], "--probability", help="Override a stage's close probability, e.g. loi=0.3."),
    db: str | None = DB_OPTION,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """Plan the scenario with the store's live deals: which to sign, by when, and each one's
    value to the plan (plan cost without it minus with it, net present USD)."""
    from gridfirst.errors import DataError, GridfirstError
    from gridfirst.planning.deal_score import score_deals
    from gridfirst.scenario import example_path, load_scenario

    try:
        overrides: dict[str, float] = {}
        for item in probability:
            name, sep, value = item.partition("=")
            try:
                overrides[name.strip()] = float(value)
            except ValueError:
                raise DataError(f"--probability {item!r}: expected STAGE=P, e.g. loi=0.3") from None
            if not sep:
                raise DataError(f"--probability {item!r}: expected STAGE=P, e.g. loi=0.3")
        loaded = load_scenario(scenario if scenario is not None else example_path())
        score = score_deals(loaded, db, overrides)
    except GridfirstError as exc:
        raise fail(str(exc)) from None
    if fmt == Format.json:
        print_json({k: score[k] for k in ("plan_cost_usd", "mip_gap", "noise_usd", "deals")})
        return
    print_records(score["deals"], fmt,
                  title=f"Deals of {score['scenario']}: sign and value to the plan (USD)")
    if fmt == Format.table:
        typer.echo(f"plan cost {score['plan_cost_usd']:,.0f} USD; values below "
                   f"{score['noise_usd']:,.0f} USD are within the MIP gap", err=True)


def register(app: typer.Typer) -> None:
    app.add_typer(deals_app, name="deals")
