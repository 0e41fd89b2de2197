"""'auto' executor: processes only when there are cores and enough solves to pay for them."""

from __future__ import annotations

import os

import pytest

from gridfirst.parallel import AUTO_MIN_SOLVES, choose_executor


@pytest.mark.parametrize(
    ("cores", "pending", "risk", "expected"),
    [
        (1, 100, 0, "serial"),
        (2, 0, 0, "serial"),
        (2, AUTO_MIN_SOLVES - 1, 0, "serial"),
        (2, AUTO_MIN_SOLVES, 0, "processes"),
        (8, 0, 10_000_000, "processes"),
    ],
)
def test_choice(monkeypatch, cores, pending, risk, expected) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda _pid: set(range(cores)), raising=False)
    assert choose_executor(pending, risk) == expected


def test_pending_counts_only_uncached_distinct_solves(tmp_path) -> None:
    from gridfirst.procurement import default_costs
    from gridfirst.resolve.cache import ResultCache, content_key
    from gridfirst.resolve.energy import CODE_MODULES, ProcurementTask, pending_solves
    from gridfirst.scenario import load_scenario

    scenario = load_scenario()
    costs = default_costs()
    tasks = [
        ProcurementTask(site=mid, market=scenario.market(mid), cfe_target=0.9, costs=costs,
                        seed=0, load_mw=100.0, method="fast")
        for mid in ("sg-singapore", "kr-seoul")
    ]
    twin = ProcurementTask(site="twin", market=scenario.market("kr-seoul"), cfe_target=0.9,
                           costs=costs, seed=0, load_mw=100.0, method="fast")
    store = ResultCache(tmp_path)
    assert pending_solves([*tasks, twin], store) == 2
    store.put(content_key("procurement", tasks[0].key_inputs(), code=CODE_MODULES), {"x": 1})
    assert pending_solves([*tasks, twin], store) == 1
    assert pending_solves(tasks, ResultCache(tmp_path, enabled=False)) == 2
