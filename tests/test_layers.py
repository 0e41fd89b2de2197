"""The import contract holds on the project, and fails on a deliberate back-edge."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(src: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--config", str(ROOT / ".importlinter"), "--no-cache"],
                          cwd=src, env=env, capture_output=True, text=True, timeout=300)


def test_layers_contract_is_kept() -> None:
    run = _lint(ROOT / "src")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_a_model_importing_an_interface_breaks_the_contract(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "gridfirst", src / "gridfirst",
                    ignore=shutil.ignore_patterns("__pycache__", "*.csv", "*.yaml", "*.json",
                                                  "*.js", "*.html", "*.png"))
    target = src / "gridfirst" / "portfolio" / "solve.py"
    target.write_text(target.read_text() + "\nfrom gridfirst.cli import output  # back-edge\n")
    run = _lint(src)
    assert run.returncode != 0
    assert "BROKEN" in run.stdout or "broken" in run.stdout
    assert "gridfirst.portfolio.solve -> gridfirst.cli" in run.stdout
