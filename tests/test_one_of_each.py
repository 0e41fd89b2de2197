"""One implementation of each shared mechanism: executors, screens, option defaults."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "gridfirst"

#: pattern -> (what it is, the one file allowed to hold it)
ONE_HOME = {
    r"ProcessPoolExecutor|LocalCluster|distributed\.Client|PR_SET_PDEATHSIG": (
        "executor mechanics", {"parallel.py"}),
    r"excluded_countries\b.*\bnot in\b|\bin policy\.excluded_countries": (
        "a policy screen", {"resolve/screens.py"}),
    # defaults as dict literals beside an engine (they live as typed fields in options.py)
    r"[\"'](sensitivity_samples|procurement_load_mw|build_lead_time_months|utilisation|mip_gap)"
    r"[\"']\s*:\s*[\d.]": ("an option default", set()),
}


def test_each_mechanism_has_one_home() -> None:
    stray = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for pattern, (what, allowed) in ONE_HOME.items():
                if re.search(pattern, line) and rel not in allowed:
                    stray.append(f"{rel}:{lineno}: {what}: {line.strip()}")
    assert not stray, "\n".join(stray)


def test_models_write_nothing() -> None:
    """Writing files belongs to the interfaces (outputs, report, cli) and the cache."""
    writers = re.compile(r"\.write_text\(|\.to_csv\(|\.write_bytes\(|open\([^)]*['\"]w")
    allowed_dirs = ("cli/", "web/", "outputs/", "report/", "data/network/prepare_",
                    "data/prepare_", "resolve/cache.py", "procurement/plot.py", "demand/plot.py",
                    "demand/outlook.py",
                    "weather.py")  # weather.py: a .gz weather file decompressed to a temporary file
    stray = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith(allowed_dirs):
            continue
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if writers.search(line):
                stray.append(f"{rel}:{lineno}: {line.strip()}")
    assert not stray, "\n".join(stray)
