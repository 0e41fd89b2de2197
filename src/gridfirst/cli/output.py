"""Formatting of command results as a rich table, JSON or CSV (JSON and CSV on stdout only)."""

from __future__ import annotations

import json
import math
import sys
from enum import Enum
from typing import Any

import typer

from gridfirst.records import json_safe as _clean


class Format(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="Output format.")


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
    if isinstance(value, float) and math.isnan(value):
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
    from rich.markup import escape

    # The message is text, never markup: ids like ``[a-z]`` or a value holding ``[/]`` print as is.
    Console(stderr=True, soft_wrap=True).print(f"[bold red]error:[/] {escape(message)}",
                                               highlight=False)
    return typer.Exit(code)


def check_address(address: str | None, flag: str = "--dask") -> None:
    """A Dask scheduler address must look like ``tcp://host:port`` (or another Dask scheme)."""
    if address is None:
        return
    from urllib.parse import urlsplit

    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme not in ("tcp", "tls", "inproc", "ucx", "ws", "wss") or not parts.hostname \
            or (parts.scheme != "inproc" and port is None):
        raise fail(f"{flag}: {address!r} is not a scheduler address like tcp://host:8786")


def check_output_file(path: object, flag: str) -> None:
    """The folder of an output file must exist (we do not create folders for a single file)."""
    from pathlib import Path

    if path is None:
        return
    target = Path(str(path))
    if target.is_dir():
        raise fail(f"{flag}: {target} is a folder; give a file name")
    if not target.parent.is_dir():
        raise fail(f"{flag}: folder {target.parent} does not exist")
