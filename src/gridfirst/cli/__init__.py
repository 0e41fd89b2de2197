"""The ``gridfirst`` command line: thin typer commands that parse, call one library function, format.

Heavy libraries are imported inside the commands so that ``gridfirst --help`` stays fast.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="gridfirst",
    help="Power-first planning of AI compute capacity: where, how powered, how much and when.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# One module per command (or command group); each defines ``register(app)``.
_COMMAND_MODULES = [
    "markets",
    "validate",
    "rank",
    "demand",
    "portfolio",
    "latency",
    "procure",
    "risk",
    "plan",
]

for _name in _COMMAND_MODULES:
    importlib.import_module(f"gridfirst.cli.{_name}").register(app)


def main() -> None:
    """Entry point of the ``gridfirst`` script."""
    app()
