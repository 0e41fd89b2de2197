"""A web app on a temporary data folder with a small scenario stored (shared by the web tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from plan_fixtures import small_scenario_dict

TOKEN = "test-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def small_yaml(name: str = "small-plan", **changes: Any) -> str:
    data = small_scenario_dict(name=name)
    data.update(changes)
    return yaml.safe_dump(data, sort_keys=False)


def make_app(data_dir: Path, **settings: Any) -> Any:
    from gridfirst.web import WebConfig, create_app

    settings.setdefault("executor", "serial")
    return create_app(WebConfig(data_dir=data_dir, token=TOKEN, **settings))
