"""Run the installed CLI's entry point in-process, as a user's command line would."""

from __future__ import annotations

import sys

import pytest


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``gridfirst ARGV`` through :func:`gridfirst.cli.main`: (exit code, stderr, stdout)."""
    from gridfirst.cli import main

    old = sys.argv
    sys.argv = ["gridfirst", *argv]
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = old
    captured = capsys.readouterr()
    return code, captured.err, captured.out
