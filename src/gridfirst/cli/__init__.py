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
    "compare",
    "sensitivity",
    "supply",
    "compliance",
    "electrical",
    "deals",
    "serve",
    "headroom",
]

for _name in _COMMAND_MODULES:
    importlib.import_module(f"gridfirst.cli.{_name}").register(app)


def main() -> None:
    """Entry point of the ``gridfirst`` script: every failure is one line on stderr.

    Errors gridfirst raises on purpose name what to fix; anything else is a bug, reported in one
    line too (``GRIDFIRST_DEBUG=1`` shows its traceback).
    """
    import os
    import sys

    from gridfirst.errors import GridfirstError

    try:
        app(standalone_mode=True)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    except GridfirstError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise SystemExit(2) from None
    except OSError as exc:
        sys.stderr.write(f"error: {exc.filename or ''} {exc.strerror or exc}\n".replace("  ", " "))
        raise SystemExit(2) from None
    except Exception as exc:
        if os.environ.get("GRIDFIRST_DEBUG"):
            raise
        sys.stderr.write(
            f"error: internal error ({type(exc).__name__}: {str(exc)[:200]}); please report it "
            "with the command that caused it (GRIDFIRST_DEBUG=1 shows the traceback)\n"
        )
        raise SystemExit(70) from None
