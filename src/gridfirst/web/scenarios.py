"""Scenarios kept by the server: YAML files under ``<data dir>/scenarios/``, plus the bundled
example under the name ``example``.

Uploads are parsed with the CLI's safe, size-limited loader and validated with the same located
errors (``gridfirst.scenario.load_scenario``); only a valid scenario is stored, written whole.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gridfirst.errors import ScenarioError
from gridfirst.web.security import WebError, check_file_references, check_name, encoded

if TYPE_CHECKING:
    from gridfirst.scenario import Scenario

#: The bundled example is always there under this name (read-only).
EXAMPLE = "example"


@dataclass(frozen=True)
class Validation:
    """Outcome of validating scenario text: the scenario, or its problems (one line each)."""

    scenario: Scenario | None
    problems: list[str]


def summary(name: str, scenario: Scenario) -> dict[str, Any]:
    """What a scenario holds, as ``gridfirst validate`` shows it."""
    return {
        "name": name,
        "scenario_name": scenario.name,
        "markets": len(scenario.resolved_markets()),
        "sites": len(scenario.sites),
        "site_ids": [site.id for site in scenario.sites],
        "places": _places(scenario),
        "deals": len(scenario.deals),
        "demand_regions": len(scenario.demand.regions),
        "demand_points": len(scenario.demand.points),
        "horizon": f"{scenario.horizon.start_year}-{scenario.horizon.end_year}",
        "cfe_target": scenario.policy.cfe_target,
    }


def _places(scenario: Scenario) -> dict[str, Any]:
    """Coordinates of every candidate a plan may choose (markets, sites, deals) and of the demand
    regions, for the UI's maps."""
    markets = {m.id: m for m in scenario.resolved_markets()}
    candidates = {m.id: [m.latitude, m.longitude] for m in markets.values()}
    for site in scenario.sites:
        market = markets.get(site.market)
        lat = site.latitude if site.latitude is not None else (market.latitude if market else None)
        lon = site.longitude if site.longitude is not None else (market.longitude if market else None)
        if lat is not None and lon is not None:
            candidates[site.id] = [lat, lon]
    for deal in scenario.deals:
        market_id = getattr(deal, "market", None)
        if market_id in markets and deal.id not in candidates:
            candidates[deal.id] = [markets[market_id].latitude, markets[market_id].longitude]
    regions = {r.id: [r.latitude, r.longitude] for r in scenario.demand.regions}
    return {"candidates": candidates, "regions": regions}


class ScenarioStore:
    """The scenario files of one data folder, loaded once per file version.

    Parameters
    ----------
    folder : pathlib.Path
        ``<data dir>/scenarios``; created when missing.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._loaded: dict[str, tuple[tuple[int, int], Scenario]] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        """The file of scenario ``name`` (404 when there is none)."""
        from gridfirst.scenario import example_path

        check_name(name)
        if name == EXAMPLE:
            return example_path()
        file = self.folder / f"{name}.yaml"
        if not file.is_file():
            raise WebError(404, f"scenario {name!r} does not exist; upload it first "
                           f"(known: {', '.join(self.names()[:20])})")
        return file

    def names(self) -> list[str]:
        """Stored names, the example first."""
        return [EXAMPLE] + sorted(p.stem for p in self.folder.glob("*.yaml")
                                  if p.stem != EXAMPLE and check_quiet(p.stem))

    def version(self, name: str) -> tuple[int, int]:
        """(mtime_ns, size) of the file: changes whenever the file is replaced."""
        stat = self.path(name).stat()
        return (stat.st_mtime_ns, stat.st_size)

    def load(self, name: str) -> Scenario:
        """The validated scenario ``name`` (cached per file version)."""
        from gridfirst.scenario import load_scenario

        file = self.path(name)
        stat = file.stat()
        key = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            hit = self._loaded.get(name)
            if hit is not None and hit[0] == key:
                return hit[1]
        scenario = load_scenario(file)
        with self._lock:
            self._loaded[name] = (key, scenario)
        return scenario

    def validate(self, name: str, text: str) -> Validation:
        """Validate YAML ``text`` as file ``<name>.yaml`` would be, without storing it."""
        with self._staged(name, text) as file:
            return self._validate_file(name, file)

    def save(self, name: str, text: str) -> Validation:
        """Validate ``text`` and, when valid, store it as ``name`` (replacing an older one)."""
        if name == EXAMPLE:
            raise WebError(409, f"scenario {EXAMPLE!r} is the bundled example; upload under "
                           "another name")
        with self._staged(name, text) as file:
            result = self._validate_file(name, file)
            if result.scenario is not None:
                os.replace(file, self.folder / f"{name}.yaml")
        return result

    def _validate_file(self, name: str, file: Path) -> Validation:
        from gridfirst.scenario import load_scenario, read_yaml

        try:
            data = read_yaml(file, ScenarioError, what="scenario file")
            check_file_references(data, self.folder, file.name)
            return Validation(load_scenario(file), [])
        except ScenarioError as exc:
            return Validation(None, list(exc.problems))

    def _staged(self, name: str, text: str) -> _Staged:
        check_name(name)
        return _Staged(self.folder, name, text)


def check_quiet(name: str) -> bool:
    try:
        check_name(name)
    except WebError:
        return False
    return True


class _Staged:
    """``<name>.yaml`` written in a fresh folder beside the store (so errors name ``<name>.yaml``
    and relative file references resolve inside the store), removed afterwards."""

    def __init__(self, folder: Path, name: str, text: str) -> None:
        self.folder, self.name, self.text = folder, name, text
        self.tmp: Path | None = None

    def __enter__(self) -> Path:
        data = encoded(self.text, f"{self.name}.yaml")
        self.tmp = Path(tempfile.mkdtemp(prefix=".upload-", dir=self.folder))
        file = self.tmp / f"{self.name}.yaml"
        with open(file, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        return file

    def __exit__(self, *exc: object) -> None:
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
