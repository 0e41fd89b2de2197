"""Formatting of command results as a rich table, JSON or CSV (JSON and CSV on stdout only)."""

from __future__ import annotations

import json
import math
import sys
from enum import Enum
from typing import Any

import typer


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="Output format.")


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: numpy scalars to Python, NaN to None, containers recursively."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        try:
            value = value.item()
        except (ValueError, TypeError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def print_json(payload: Any) -> None:
    """Write ``payload`` as JSON to stdout and nothing else."""
    sys.stdout.write(json.dumps(_clean(payload), indent=2, default=str))
    sys.stdout.write("\n")


def print_records(
    records: list[dict[str, Any]],
    fmt: Format,
    title: str | None = None,
    columns: list[str] | None = None,
) -> None:
    """Print a list of flat records as a table, JSON list or CSV."""
    if fmt == Format.json:
        print_json(records)
        return
    cols = columns or (list(records[0]) if records else [])
    if fmt == Format.csv:
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=cols, extrasaction="ignore")
        writer.writeheader()
        for rec in records:
            writer.writerow({k: _csv_cell(rec.get(k)) for k in cols})
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col in cols:
        table.add_column(col, overflow="fold")
    for rec in records:
        table.add_row(*[_table_cell(rec.get(c)) for c in cols])
    Console().print(table)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return value


def _table_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e6 or abs(value) < 1e-3):
            return f"{value:.3g}"
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error message on stderr and return the Exit to raise."""
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code)
