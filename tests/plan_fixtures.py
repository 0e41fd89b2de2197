"""Small scenarios for the plan and report tests (bundled market ids only; no bundled values assumed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

MARKETS = ["au-sydney", "jp-tokyo-inzai", "sg-singapore"]
YEARS = range(2026, 2031)


def small_scenario_dict(scale: float = 1.0, name: str = "small-plan") -> dict[str, Any]:
    """Three markets, two user regions and a training pool over five years.

    ``scale`` multiplies every demand figure (a huge scale makes the demand impossible).
    """
    points = [
        {"region": r, "year": y, "workload": "inference", "mw": scale * 10.0 * (y - 2025)}
        for r in ("tokyo", "sydney")
        for y in YEARS
    ]
    points += [
        {"region": "training", "year": y, "workload": "training", "mw": scale * 30.0 * (y - 2025)}
        for y in YEARS
    ]
    return {
        "name": name,
        "horizon": {"start_year": 2026, "end_year": 2030},
        "markets": {"include": list(MARKETS)},
        "sites": [
            {"id": "tokyo-campus", "market": "jp-tokyo-inzai", "name": "Tokyo campus",
             "power_schedule": [{"year": 2027, "available_mw": 40}], "max_it_mw": 30},
        ],
        "policy": {"cfe_target": 0.6, "max_share_per_country": 1.0, "max_conflict_exposure_gpi": 5,
                   "training_legal_regimes": ["yes", "limited", "no"]},
        "demand": {
            "regions": [
                {"id": "tokyo", "name": "Tokyo users", "city": "Tokyo", "latitude": 35.69,
                 "longitude": 139.69},
                {"id": "sydney", "name": "Sydney users", "city": "Sydney", "latitude": -33.87,
                 "longitude": 151.21},
            ],
            "points": points,
        },
        "options": {"plan": {"sensitivity_samples": 300}},
    }


def write_yaml(data: dict[str, Any], path: Path) -> Path:
    import yaml

    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def plan_to(folder: Any, scenario: Any, **kwargs: Any) -> Any:
    """Plan ``scenario`` and, when ``folder`` is given, write its output folder (as the CLI does)."""
    from gridfirst.outputs import write_plan
    from gridfirst.planning import plan

    result = plan(scenario, **kwargs)
    if folder is not None:
        write_plan(result, folder)
    return result
