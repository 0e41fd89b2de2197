"""The main job: screening and ranking, latency, per-site procurement, the portfolio plan and risk.

:func:`plan` chains the model modules into one :class:`PlanResult`; writing it to files and
drawing the report live in :mod:`gridfirst.planning.outputs` and :mod:`gridfirst.report`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridfirst.errors import ScenarioError
from gridfirst.planning.cache import ResultCache

if TYPE_CHECKING:
    from gridfirst.parallel import ParallelExecutor
    from gridfirst.portfolio.result import PortfolioResult
    from gridfirst.risk import RiskResult
    from gridfirst.scenario import Scenario
    from gridfirst.scoring import RankResult, SensitivityResult

#: Stages in the order :func:`plan` runs them (the CLI shows one progress row each).
STAGES = ("latency", "ranking", "procurement", "portfolio", "risk", "report")

#: ``progress(stage, completed, total)``; total 0 means "skipped".
Progress = Callable[[str, float, float], None]

#: Defaults of ``scenario.options['plan']``.
DEFAULT_OPTIONS: dict[str, Any] = {
    "sensitivity_samples": 2000,  # weight draws of the rank-robustness view
    "procurement_method": "fast",  # gridfirst.procurement solver
    "procurement_load_mw": 100.0,  # flat load of the per-site procurement (cost per MWh is per MWh)
    "mip_gap": 0.001,  # a 1% gap leaves block-sized shortfalls a planner would not accept
    "time_limit_s": 30.0,
    "seed": 0,
}


@dataclass
class PlanResult:
    """Every decision of one planning run, as tables (money in USD of the scenario's currency year).

    Attributes
    ----------
    scenario : Scenario
        What was planned.
    rankings : dict of str to RankResult
        Ranking of the markets per workload profile (``training``, ``inference``).
    sensitivity : SensitivityResult or None
        Rank probabilities of the training ranking under sampled weights.
    latency_ms : pandas.DataFrame
        Round-trip time [ms], candidate site or market ids x demand regions.
    latency_source : str
        Where the latency came from.
    procurement : pandas.DataFrame
        Per candidate site at the policy's CFE target (see
        :data:`gridfirst.planning.procure.RECORD_COLUMNS`).
    portfolio : PortfolioResult
        The build-out plan.
    risk : object or None
        The risk evaluation when asked for.
    seconds : dict of str to float
        Wall time per stage [s].
    """

    scenario: Scenario
    rankings: dict[str, RankResult]
    sensitivity: SensitivityResult | None
    latency_ms: pd.DataFrame
    latency_source: str
    procurement: pd.DataFrame
    portfolio: PortfolioResult
    risk: RiskResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    executor: str = "serial"
    notes: list[str] = field(default_factory=list)
    output_dir: Path | None = None

    @property
    def builds(self) -> pd.DataFrame:
        return self.portfolio.builds

    @property
    def shortfalls(self) -> pd.DataFrame:
        return self.portfolio.shortfalls

    @property
    def total_cost_usd(self) -> float:
        return float(self.portfolio.total_cost_usd)

    @property
    def chosen_sites(self) -> list[str]:
        """Sites that hold capacity in some year, largest peak first."""
        b = self.portfolio.builds
        if b.empty:
            return []
        peak = b.groupby("site")["online_mw"].max()
        return list(peak[peak > 0].sort_values(ascending=False).index)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The CSV tables of the output folder, by file stem (see :mod:`gridfirst.planning.outputs`)."""
        from gridfirst.planning.outputs import plan_tables

        return plan_tables(self)

    def to_dict(self) -> dict[str, Any]:
        """The summary written to ``plan.json`` (and printed by ``--format json``)."""
        from gridfirst.planning.outputs import plan_summary

        return plan_summary(self)


def _options(scenario: Scenario) -> dict[str, Any]:
    given = dict(scenario.options.get("plan", {}))
    unknown = sorted(set(given) - set(DEFAULT_OPTIONS))
    if unknown:
        raise ScenarioError(f"options.plan.{unknown[0]}: unknown option; known: {sorted(DEFAULT_OPTIONS)}")
    return {**DEFAULT_OPTIONS, **given}


def _site_markets(scenario: Scenario, sites: pd.DataFrame) -> list[Any]:
    """One Market per candidate site, carrying the site's id and coordinates (for latency)."""
    out = []
    for sid, row in sites.iterrows():
        m = scenario.market(str(row["market"]))
        out.append(m.model_copy(update={"id": str(sid), "latitude": float(row["latitude"]),
                                        "longitude": float(row["longitude"])}))
    return out


def compute_latency(scenario: Scenario, sites: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Round-trip time [ms] from every candidate site and market to every located demand region.

    From :func:`gridfirst.network.latency_to_points` (fastest route over the subsea cable graph
    plus terrestrial legs); sites carry their own coordinates.
    """
    from gridfirst.network import latency_to_points

    points = {r.id: (float(r.latitude), float(r.longitude)) for r in scenario.demand.regions}
    markets = _site_markets(scenario, sites)
    markets += [m for m in scenario.resolved_markets() if m.id not in sites.index]
    ids = [m.id for m in markets]
    if not points:
        return pd.DataFrame(index=pd.Index(ids), dtype=float), "gridfirst.network (no demand regions)"
    table = latency_to_points(markets, points)
    return table.reindex(index=ids, columns=list(points)).astype(float), "gridfirst.network"


def _scores(rankings: dict[str, RankResult]) -> pd.Series:
    """One score per market: the training ranking's, else the inference ranking's."""
    training = rankings["training"].table["score"]
    inference = rankings["inference"].table["score"]
    return training.combine_first(inference).astype(float)


def plan(
    scenario: Scenario | str | Path | None = None,
    output_dir: str | Path | None = None,
    risk_samples: int = 0,
    executor: str = "serial",
    dask_address: str | None = None,
    workers: int | None = None,
    cache: bool | ResultCache = True,
    seed: int | None = None,
    progress: Progress | None = None,
) -> PlanResult:
    """Plan a scenario end to end: where, how powered, how much and when (and what if).

    Parameters
    ----------
    scenario : Scenario or path, optional
        The scenario (default: the bundled example, :func:`gridfirst.scenario.example_path`).
    output_dir : path, optional
        When given, ``plan.json``, the CSV tables and ``report.html`` are written there.
    risk_samples : int
        Monte Carlo futures of the risk evaluation; 0 skips it.
    executor : {"serial", "processes", "dask", "auto"}
        Where the per-site procurement (and the risk evaluation) runs.
    dask_address : str, optional
        Scheduler address for ``executor="dask"`` (a local cluster when None).
    workers : int, optional
        Local processes or Dask workers (default: the executor's choice).
    cache : bool or ResultCache
        Reuse per-site procurement results of earlier runs with identical inputs (default cache
        folder: ``$GRIDFIRST_CACHE_DIR`` or ``~/.cache/gridfirst``).
    seed : int, optional
        Seed of the resource profiles, the weight sensitivity and the risk sampling (default
        ``options.plan.seed``, 0).
    progress : callable, optional
        ``progress(stage, completed, total)`` with ``stage`` in :data:`STAGES`.

    Returns
    -------
    PlanResult

    Raises
    ------
    ScenarioError, DataError
        Bad scenario or data; an impossible demand is not an error but a shortfall with its
        explanation in ``result.shortfalls``.
    """
    from gridfirst.parallel import choose_executor, open_executor
    from gridfirst.planning.procure import ProcurementTask, pending_solves, procure_sites
    from gridfirst.portfolio import portfolio_inputs, solve_portfolio
    from gridfirst.procurement.site import scenario_costs, site_market
    from gridfirst.scenario import Scenario, load_scenario
    from gridfirst.scoring import rank_markets, sensitivity

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    opts = _options(scenario)
    seed = int(opts["seed"] if seed is None else seed)
    if risk_samples < 0:
        raise ScenarioError(f"risk_samples: {risk_samples} must be >= 0")
    store = cache if isinstance(cache, ResultCache) else ResultCache(enabled=bool(cache))
    report = progress or (lambda stage, done, total: None)
    seconds: dict[str, float] = {}
    notes: list[str] = []

    def timed(stage: str, started: float) -> None:
        seconds[stage] = time.perf_counter() - started

    # Candidate sites come from the portfolio's own table (screens, deals, site coordinates).
    started = time.perf_counter()
    report("latency", 0, 1)
    draft = portfolio_inputs(scenario)
    latency, latency_source = compute_latency(scenario, draft.sites)
    report("latency", 1, 1)
    timed("latency", started)

    started = time.perf_counter()
    report("ranking", 0, 3)
    market_latency = latency.reindex([m.id for m in scenario.resolved_markets()])
    rankings = {"training": rank_markets(scenario, profile="training", latency_ms=market_latency)}
    report("ranking", 1, 3)
    rankings["inference"] = rank_markets(scenario, profile="inference", latency_ms=market_latency)
    report("ranking", 2, 3)
    robust = None
    if len(rankings["training"].table) >= 2 and int(opts["sensitivity_samples"]) > 0:
        robust = sensitivity(rankings["training"], samples=int(opts["sensitivity_samples"]),
                             seed=seed, top_k=min(5, len(rankings["training"].table)))
    report("ranking", 3, 3)
    timed("ranking", started)

    sites = draft.sites
    allowed = sites[sites["allowed"]]
    costs = scenario_costs(scenario)
    tasks = [
        ProcurementTask(
            site=str(sid), market=site_market(scenario, str(sid), str(row["market"])),
            cfe_target=scenario.policy.cfe_target, costs=costs, seed=seed,
            load_mw=float(opts["procurement_load_mw"]), method=str(opts["procurement_method"]),
        )
        for sid, row in allowed.iterrows()
        if row["kind"] != "deal"  # a space deal's energy is bought like its market's
    ]
    if executor == "auto":
        executor = choose_executor(pending_solves(tasks, store), risk_samples)
        notes.append(f"executor 'auto' chose {executor!r}")

    with open_executor(executor, address=dask_address, workers=workers) as pool:
        started = time.perf_counter()
        hits_before, misses_before = store.hits, store.misses
        procurement = procure_sites(
            tasks, lambda f, items, step: pool.map(f, items, step, unit="sites"), store,
            progress=lambda done, total: report("procurement", done, total),
        )
        timed("procurement", started)

        started = time.perf_counter()
        report("portfolio", 0, 1)
        energy = procurement["cost_usd_per_mwh"].to_dict()
        for sid, row in allowed.iterrows():
            if sid not in energy and row["market"] in energy:
                energy[str(sid)] = energy[row["market"]]
        inputs = portfolio_inputs(scenario, latency_ms=latency, energy_cost_usd_per_mwh=energy,
                                  scores=_scores(rankings))
        inputs.latency_source = latency_source
        portfolio = solve_portfolio(inputs, mip_gap=float(opts["mip_gap"]),
                                    time_limit_s=float(opts["time_limit_s"]))
        report("portfolio", 1, 1)
        timed("portfolio", started)

        risk = None
        if risk_samples > 0:
            started = time.perf_counter()
            report("risk", 0, risk_samples)
            risk = _run_risk(scenario, portfolio, risk_samples, seed, pool,
                             lambda done, total: report("risk", done, total))
            report("risk", risk_samples, risk_samples)
            timed("risk", started)
        else:
            report("risk", 0, 0)

    if not math.isfinite(portfolio.total_cost_usd):
        notes.append("the portfolio objective is not finite")
    result = PlanResult(
        scenario=scenario, rankings=rankings, sensitivity=robust, latency_ms=latency,
        latency_source=latency_source, procurement=procurement, portfolio=portfolio, risk=risk,
        seconds=seconds, cache_hits=store.hits - hits_before,
        cache_misses=store.misses - misses_before, executor=executor, notes=notes,
    )
    if output_dir is not None:
        from gridfirst.planning.outputs import write_outputs

        started = time.perf_counter()
        report("report", 0, 1)
        write_outputs(result, output_dir)
        report("report", 1, 1)
        timed("report", started)
    else:
        report("report", 0, 0)
    return result


def _run_risk(scenario: Scenario, portfolio: PortfolioResult, samples: int, seed: int,
              pool: ParallelExecutor, progress: Callable[[int, int], None]) -> RiskResult:
    """Monte Carlo of the chosen plan (:mod:`gridfirst.risk`) on the plan's open executor."""
    from gridfirst.risk import problem_from_plan, run_risk

    problem = problem_from_plan(portfolio, scenario)
    return run_risk(problem, samples=samples, seed=seed, executor=pool.target,
                    workers=pool.workers, progress=progress)
