"""The plan's output folder: ``plan.json``, one CSV per table and ``report.html``, written whole.

What the CLI prints comes from the same in-memory summary that is written here, never from the
folder on disk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridfirst.outputs.folder import MANIFEST, write_folder

if TYPE_CHECKING:
    from gridfirst.planning import PlanResult


def write_plan(result: PlanResult, output_dir: str | Path) -> dict[str, Any]:
    """Write the plan's folder (see :data:`gridfirst.planning.summary.TABLE_FILES`).

    Returns
    -------
    dict
        The summary written to ``plan.json`` (with its ``files``).
    """
    import gridfirst
    from gridfirst.planning.summary import plan_summary, plan_tables
    from gridfirst.report import write_report

    folder = Path(output_dir)
    tables = plan_tables(result)
    result.output_dir = folder
    summary = plan_summary(result)
    names = [f"{stem}.csv" for stem in tables]
    summary["files"] = sorted([*names, "plan.json", "report.html", MANIFEST])

    def csv_writer(stem: str) -> Any:
        return lambda path: tables[stem].to_csv(path, index=False)

    files = {f"{stem}.csv": csv_writer(stem) for stem in tables}
    text = json.dumps(summary, indent=2, default=str) + "\n"
    files["plan.json"] = lambda path: path.write_text(text, encoding="utf-8")
    files["report.html"] = lambda path: write_report(result, path)
    write_folder(folder, files, meta={"kind": "gridfirst-plan", "scenario": summary["scenario"],
                                      "gridfirst_version": gridfirst.__version__})
    return summary


def read_plan(folder: str | Path) -> dict[str, Any]:
    """The ``plan.json`` of a finished plan folder written by this version of gridfirst.

    The manifest is checked first (every file's size and SHA-256), so a half-written or edited
    folder is refused.

    Raises
    ------
    OutputError
        Not a folder, no manifest, files changed since written, not a plan folder, or a folder
        from another gridfirst version (naming both versions).
    """
    import gridfirst
    from gridfirst.errors import OutputError
    from gridfirst.outputs.folder import read_manifest

    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(f"{folder}: not a folder; give a finished plan folder or a scenario YAML")
    manifest = read_manifest(folder)
    if manifest.get("kind") != "gridfirst-plan":
        raise OutputError(f"{folder}: manifest kind {manifest.get('kind')!r} is not "
                          "'gridfirst-plan'; not a plan folder")
    version = manifest.get("gridfirst_version")
    if version != gridfirst.__version__:
        raise OutputError(f"{folder}: written by gridfirst {version}, this is "
                          f"{gridfirst.__version__}; plan it again with this version")
    if "plan.json" not in manifest["files"]:
        raise OutputError(f"{folder}: plan.json is not listed in {MANIFEST}")
    try:
        summary = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    except ValueError as exc:
        raise OutputError(f"{folder / 'plan.json'}: not JSON ({exc})") from None
    if not isinstance(summary, dict):
        raise OutputError(f"{folder / 'plan.json'}: not a JSON object")
    return summary
