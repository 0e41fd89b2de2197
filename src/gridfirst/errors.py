"""The one exception hierarchy of gridfirst.

Every message names what the user must fix: the file, the field path, the bad value and what was
expected. Interfaces (CLI, API) catch :class:`GridfirstError` and print its message.
"""

from __future__ import annotations


class GridfirstError(Exception):
    """Base class of every error gridfirst raises on purpose."""


class ScenarioError(GridfirstError, ValueError):
    """A scenario file or object is invalid (wrong type, out of range, unknown field or id)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


class DataError(GridfirstError, ValueError):
    """A data file (bundled or the user's) is malformed: missing column, wrong length, NaN, ..."""


class InfeasibleError(GridfirstError):
    """An optimisation has no solution; the message names the binding or violated constraint."""

    def __init__(self, message: str, explanation: object | None = None) -> None:
        super().__init__(message)
        self.explanation = explanation


class SolverError(GridfirstError):
    """The solver failed for a reason other than infeasibility (time limit, numerical trouble)."""


class OutputError(GridfirstError, OSError):
    """An output folder or file cannot be written (a file in the way, no permission, disk full)."""


class StoreError(GridfirstError):
    """The deals store cannot be used: unknown URL, unknown schema revision, missing deal."""


class DealConflict(StoreError):
    """Someone else changed a deal between reading and writing it (optimistic locking)."""


class RunCancelled(GridfirstError):
    """The run was interrupted (Ctrl-C); outstanding work was cancelled and its workers stopped."""
