"""Per-site 24/7 procurement of a plan: one solve per candidate site, in parallel, cached by inputs.

Turns candidate sites into procurement tasks, runs them through an executor and keeps a flat
record per site (capacities, cost per MWh, CFE score, energy mix); the LP itself lives in
:mod:`gridfirst.procurement`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridfirst.resolve.cache import ResultCache, content_key, store_record

if TYPE_CHECKING:
    from gridfirst.procurement.contract import ContractShare
    from gridfirst.procurement.costs import ProcurementCosts
    from gridfirst.scenario import Market

#: Energy supplied by source, summed from the hourly dispatch [MWh/yr]: record key -> column.
MIX_COLUMNS = {
    "solar_mwh": "solar_mw",
    "wind_mwh": "wind_mw",
    "firm_mwh": "firm_mw",
    "battery_discharge_mwh": "discharge_mw",
    "grid_cfe_mwh": "grid_cfe_mw",
    "grid_mwh": "grid_mw",
    "load_mwh": "load_mw",
}

#: Modules whose source is part of the cache key (profiles and the LP and its solvers).
CODE_MODULES = ("gridfirst.resources", "gridfirst.procurement")

RECORD_COLUMNS = [
    "site", "market", "cfe_target", "cost_usd_per_mwh", "cfe_score", "objective_usd",
    "solar_mw", "wind_mw", "battery_mw", "battery_mwh", "firm_mw",
    "solar_mwh", "wind_mwh", "firm_mwh", "battery_discharge_mwh", "grid_cfe_mwh",
    "grid_other_mwh", "load_mwh", "emissions_tco2", "cfe_shadow_price_usd_per_mwh",
    "grid_price_usd_per_mwh", "optimality_gap", "solve_seconds", "method", "cfe_target_met",
    "supply", "supply_basis", "cached",
]


@dataclass(frozen=True)
class ProcurementTask:
    """Everything one site's procurement depends on (also the cache key's contents)."""

    site: str
    market: Market
    cfe_target: float
    costs: ProcurementCosts
    seed: int
    load_mw: float
    method: str
    supply: str = "market"
    year: int | None = None
    contracts: tuple[ContractShare, ...] = ()

    def key_inputs(self) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if self.contracts:  # signed PPAs serving the site (absent from plain tasks' keys)
            extra["contracts"] = [
                {"deal": c.deal, "technology": c.technology, "mw": float(c.mw),
                 "strike_usd_per_mwh": float(c.strike_usd_per_mwh),
                 "market": c.market.model_dump(mode="json")} for c in self.contracts]
        return {
            **extra,
            "supply": self.supply,
            "year": self.year,
            "market": self.market.model_dump(mode="json"),
            "cfe_target": float(self.cfe_target),
            "costs": self.costs.model_dump(mode="json"),
            "seed": int(self.seed),
            "load_mw": float(self.load_mw),
            "method": self.method,
        }


def procure_task(task: ProcurementTask) -> dict[str, Any]:
    """Solve one site's procurement (:func:`gridfirst.procurement.procure_market`) into a record.

    Top level so that process and Dask workers can pickle it.
    """
    from gridfirst.procurement import procure_market

    result = procure_market(
        task.market, task.cfe_target, costs=task.costs, seed=task.seed, load_mw=task.load_mw,
        method=task.method, supply=task.supply, year=task.year, contracts=task.contracts,
    )
    record: dict[str, Any] = {
        "site": task.site,
        "market": task.market.id,
        "cfe_target": float(task.cfe_target),
        "cost_usd_per_mwh": float(result.cost_usd_per_mwh),
        "cfe_score": float(result.cfe_score),
        "objective_usd": float(result.objective_usd),
        **{k: float(v) for k, v in result.capacities.items()},
        "emissions_tco2": float(result.emissions_tco2),
        "cfe_shadow_price_usd_per_mwh": float(result.cfe_shadow_price_usd_per_mwh),
        "grid_price_usd_per_mwh": float(task.market.price_usd_per_mwh),
        "optimality_gap": float(result.optimality_gap),
        "solve_seconds": float(result.solve_seconds),
        "method": str(result.method),
        "cfe_target_met": bool(result.cfe_target_met),
        "supply": [dict(row) for row in result.supply],
        "supply_basis": result.stack.basis if result.stack is not None else "reference options",
    }
    dispatch = result.dispatch
    for key, column in MIX_COLUMNS.items():
        record[key] = float(dispatch[column].sum()) if column in dispatch.columns else 0.0
    record["grid_other_mwh"] = record.pop("grid_mwh") - record["grid_cfe_mwh"]
    return record


@dataclass(frozen=True)
class StoredTask:
    """A procurement task with where its result goes the moment it is solved."""

    task: ProcurementTask
    key: str
    directory: str


def procure_and_store(item: StoredTask) -> dict[str, Any]:
    """Solve one task and store its record in the cache at once (in the worker that solved it),
    so a run stopped later keeps every site already solved."""
    record = procure_task(item.task)
    store_record(item.directory, item.key, record)
    return record


RunMap = Callable[
    [Callable[[StoredTask], dict[str, Any]], list[StoredTask], Callable[[int, int], None] | None],
    list[dict[str, Any]],
]


def pending_solves(tasks: Sequence[ProcurementTask], cache: ResultCache) -> int:
    """How many distinct solves :func:`procure_sites` would run (tasks not found in ``cache``)."""
    keys = {content_key("procurement", t.key_inputs(), code=CODE_MODULES) for t in tasks}
    return sum(1 for key in keys if not cache.contains(key))


def procure_sites(
    tasks: Sequence[ProcurementTask],
    run_map: RunMap,
    cache: ResultCache,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """Procure every task, reusing cached records, solving the rest through ``run_map``.

    Tasks with identical inputs (e.g. a site that only inherits its market's figures) are solved
    once.

    Parameters
    ----------
    tasks : sequence of ProcurementTask
        One per candidate site (ids unique).
    run_map : callable
        ``run_map(function, items, progress) -> results`` in item order (an executor's map).
    cache : ResultCache
        Records keyed by :func:`~gridfirst.resolve.cache.content_key` of the task's inputs.
    progress : callable, optional
        ``progress(done, total)`` as sites are done (cached ones first).

    Returns
    -------
    pandas.DataFrame
        Index site id, columns :data:`RECORD_COLUMNS` (``cached`` says whether a record was
        reused).
    """
    total = len(tasks)
    cache.required = tuple(c for c in RECORD_COLUMNS if c not in ("site", "cached"))
    keys = {t.site: content_key("procurement", t.key_inputs(), code=CODE_MODULES) for t in tasks}
    found: dict[str, dict[str, Any]] = {}
    todo: dict[str, ProcurementTask] = {}
    for task in tasks:
        key = keys[task.site]
        if key in found or key in todo:
            continue
        hit = cache.get(key)
        if hit is not None:
            found[key] = {**hit, "cached": True}
        else:
            todo[key] = task
    done_sites = sum(1 for t in tasks if keys[t.site] in found)
    if progress is not None:
        progress(done_sites, total)
    if todo:
        weight = {k: sum(1 for t in tasks if keys[t.site] == k) for k in todo}
        order = list(todo)

        def step(done: int, _count: int) -> None:
            if progress is not None:
                progress(done_sites + sum(weight[k] for k in order[:done]), total)

        items = [StoredTask(todo[k], k, str(cache.directory)) for k in order]
        solved = run_map(procure_and_store, items, step)
        for key, record in zip(order, solved, strict=True):
            found[key] = {**record, "cached": False}
    if progress is not None:
        progress(total, total)
    rows = [{**found[keys[t.site]], "site": t.site} for t in tasks]
    frame = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    return frame.set_index("site")
