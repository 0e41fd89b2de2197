"""Output folders, written whole or not at all, and the plan's files (JSON, CSV, report).

An interface layer: it writes what a model returned and never computes a decision itself.
"""

from __future__ import annotations

from gridfirst.outputs.folder import MANIFEST, check_writable, read_manifest, write_folder
from gridfirst.outputs.plan import read_plan, write_plan

__all__ = ["MANIFEST", "check_writable", "read_manifest", "read_plan", "write_folder", "write_plan"]
