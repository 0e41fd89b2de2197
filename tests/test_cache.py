"""The procurement cache: atomic records, each stored as soon as solved; corrupt ones repaired."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gridfirst.data import bundled_markets
from gridfirst.procurement import default_costs
from gridfirst.resolve.cache import ResultCache, content_key
from gridfirst.resolve.energy import CODE_MODULES, ProcurementTask, procure_sites
from gridfirst.resolve.resolved import serial_map


def bundled(market_id: str):  # type: ignore[no-untyped-def]
    return next(m for m in bundled_markets() if m.id == market_id)


@pytest.fixture(scope="module")
def task() -> ProcurementTask:
    market = bundled("se-stockholm")
    return ProcurementTask(site="se-stockholm", market=market, cfe_target=0.5,
                           costs=default_costs(), seed=0, load_mw=10.0, method="fast")


def _key(task: ProcurementTask) -> str:
    return content_key("procurement", task.key_inputs(), code=CODE_MODULES)


def test_each_result_is_stored_by_the_worker_that_solved_it(tmp_path: Path,
                                                            task: ProcurementTask) -> None:
    store = ResultCache(tmp_path)
    seen_on_disk: list[bool] = []

    def run_map(function, items, progress):  # type: ignore[no-untyped-def]
        out = []
        for item in items:
            out.append(function(item))
            # the record is on disk before the map returns (a later crash keeps it)
            seen_on_disk.append(store.path(_key(task)).is_file())
        return out

    frame = procure_sites([task], run_map, store)
    assert seen_on_disk == [True]
    assert not frame.loc["se-stockholm", "cached"]
    again = procure_sites([task], serial_map, ResultCache(tmp_path))
    assert bool(again.loc["se-stockholm", "cached"])
    assert again.loc["se-stockholm", "cost_usd_per_mwh"] == frame.loc["se-stockholm", "cost_usd_per_mwh"]


@pytest.mark.parametrize("content", ["{not json", "[]", '{"key": "other", "record": {}}',
                                     '{"key": "KEY", "record": {"cost_usd_per_mwh": 1}}'])
def test_a_corrupt_record_is_reported_skipped_and_rewritten(tmp_path: Path, task: ProcurementTask,
                                                            content: str) -> None:
    key = _key(task)
    store = ResultCache(tmp_path)
    path = store.path(key)
    path.parent.mkdir(parents=True)
    path.write_text(content.replace("KEY", key))
    frame = procure_sites([task], serial_map, store)
    assert not frame.loc["se-stockholm", "cached"]
    assert len(store.problems) == 1 and str(path) in store.problems[0]
    stored = json.loads(path.read_text())
    assert stored["key"] == key and stored["record"]["cost_usd_per_mwh"] > 0


def test_no_cache_solves_again_and_replaces_the_record(tmp_path: Path, task: ProcurementTask) -> None:
    key = _key(task)
    path = ResultCache(tmp_path).path(key)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"key": key, "record": {"cost_usd_per_mwh": -1.0}}))
    off = ResultCache(tmp_path, enabled=False)
    frame = procure_sites([task], serial_map, off)
    assert off.hits == 0 and frame.loc["se-stockholm", "cost_usd_per_mwh"] > 0
    assert json.loads(path.read_text())["record"]["cost_usd_per_mwh"] > 0
