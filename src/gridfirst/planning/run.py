"""The main job: resolve, rank, plan the portfolio and evaluate risk, as one :class:`PlanResult`.

``gridfirst plan``, ``gridfirst portfolio`` and ``gridfirst risk`` all go through
:func:`decide`, so one scenario gives one plan. Writing files is :mod:`gridfirst.outputs`'s.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridfirst.decide import decide, rank_profiles
from gridfirst.errors import ScenarioError
from gridfirst.resolve import Resolved, ResultCache
from gridfirst.resolve.flexible import flexible_notes

if TYPE_CHECKING:
    from gridfirst.parallel import ParallelExecutor
    from gridfirst.planning.alternatives import PlanAlternatives
    from gridfirst.planning.contracts import PlanContracts
    from gridfirst.planning.fleet import FleetPlan
    from gridfirst.planning.sensitivity import TornadoResult
    from gridfirst.portfolio.result import PortfolioResult
    from gridfirst.risk import RiskResult
    from gridfirst.risk.saa import RobustPlan
    from gridfirst.scenario import Scenario
    from gridfirst.scoring import RankResult, SensitivityResult

#: Stages in the order :func:`plan` runs them (the CLI shows one progress row each).
STAGES = ("latency", "ranking", "procurement", "portfolio", "risk", "robust", "report")

#: ``progress(stage, completed, total)``; total 0 means "skipped".
Progress = Callable[[str, float, float], None]

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
        :data:`gridfirst.resolve.energy.RECORD_COLUMNS`).
    portfolio : PortfolioResult
        The build-out plan.
    risk : object or None
        The risk evaluation when asked for.
    contracts : PlanContracts or None
        The plan's PPAs in the hourly procurement of the sites they serve
        (:func:`gridfirst.planning.contracts.plan_contracts`).
    tornado : TornadoResult or None
        Cost and MW by country with each assumption swung, when asked for
        (:func:`gridfirst.planning.sensitivity.tornado`).
    alternatives : PlanAlternatives or None
        Near-optimal alternatives of the plan, when asked for
        (:func:`gridfirst.planning.alternatives.plan_alternatives`).
    robust : RobustPlan or None
        The plan solved against sampled futures and both plans' out-of-sample risk, when asked
        for (``robust_futures``; :func:`gridfirst.risk.saa.robust_plan`).
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
    tornado: TornadoResult | None = None
    seconds: dict[str, float] = field(default_factory=dict)
    cache_hits: int = 0
    cache_misses: int = 0
    executor: str = "serial"
    notes: list[str] = field(default_factory=list)
    output_dir: Path | None = None
    resolved: Resolved | None = None
    alternatives: PlanAlternatives | None = None
    robust: RobustPlan | None = None
    contracts: PlanContracts | None = None
    fleet: FleetPlan | None = None

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
        """The CSV tables of the output folder, by file stem (see :mod:`gridfirst.planning.summary`)."""
        from gridfirst.planning.summary import plan_tables

        return plan_tables(self)

    def to_dict(self) -> dict[str, Any]:
        """The summary written to ``plan.json`` (and printed by ``--format json``)."""
        from gridfirst.planning.summary import plan_summary

        return plan_summary(self)


def resolve_for_plan(
    scenario: Scenario | str | Path | None,
    run_map: Any = None,
    cache: bool | ResultCache = True,
    seed: int | None = None,
    progress: Progress | None = None,
) -> Resolved:
    """Load (when a path) and resolve a scenario with every candidate's procured energy cost."""
    from gridfirst.resolve import resolve
    from gridfirst.scenario import Scenario, load_scenario

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if scenario.deals_db is not None:  # the store's live deals join the scenario's
        from gridfirst.deals import scenario_with_store_deals

        scenario = scenario_with_store_deals(scenario)
    return resolve(scenario, energy=True, run_map=run_map, cache=cache, seed=seed,
                   progress=progress)


def plan(
    scenario: Scenario | str | Path | None = None,
    risk_samples: int = 0,
    executor: str = "serial",
    dask_address: str | None = None,
    workers: int | None = None,
    cache: bool | ResultCache = True,
    seed: int | None = None,
    progress: Progress | None = None,
    alternatives: int | None = None,
    slack: float | None = None,
    min_distance_mw: float | None = None,
    robust_futures: int | None = None,
    robust_out_of_sample: int | None = None,
) -> PlanResult:
    """Plan a scenario end to end: where, how powered, how much and when (and what if).

    Nothing is written; :func:`gridfirst.outputs.write_plan` writes the output folder.

    Parameters
    ----------
    scenario : Scenario or path, optional
        The scenario (default: the bundled example, :func:`gridfirst.scenario.example_path`).
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
    alternatives : int, optional
        Near-optimal alternatives to find (0: none), each costing at most ``(1 + slack)`` x the
        plan's total cost and at least ``min_distance_mw`` [MW] from every other plan
        (:mod:`gridfirst.planning.alternatives`); run after the portfolio, with each plan's
        risk when ``risk_samples`` > 0. The three default to ``options.plan.alternatives``.
    robust_futures : int, optional
        K: also solve the robust plan against K sampled futures (1..1000) and compare it out
        of sample with the deterministic plan (``result.robust``); None skips it.
    robust_out_of_sample : int, optional
        Futures of each plan's out-of-sample evaluation (default 5,000).

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
    from gridfirst.resolve import procurement_tasks, resolve
    from gridfirst.resolve.energy import pending_solves
    from gridfirst.scenario import Scenario, load_scenario
    from gridfirst.scoring import sensitivity

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if scenario.deals_db is not None:  # the store's live deals join the scenario's
        from gridfirst.deals import scenario_with_store_deals

        scenario = scenario_with_store_deals(scenario)
    opts = scenario.options.plan
    seed = int(opts.seed if seed is None else seed)
    if risk_samples < 0:
        raise ScenarioError(f"risk_samples: {risk_samples} must be >= 0")
    from gridfirst.portfolio.alternatives import check_settings

    alt_opts = opts.alternatives
    alternatives = int(alt_opts.count) if alternatives is None else alternatives
    slack = float(alt_opts.slack) if slack is None else slack
    min_distance_mw = float(alt_opts.min_distance_mw) if min_distance_mw is None else min_distance_mw
    check_settings(alternatives, slack, min_distance_mw)
    if robust_futures is not None:
        from gridfirst.risk.saa import check_futures

        robust_futures = check_futures(robust_futures)
    store = cache if isinstance(cache, ResultCache) else ResultCache(enabled=bool(cache))
    report = progress or (lambda stage, done, total: None)
    seconds: dict[str, float] = {}
    notes: list[str] = []

    def timed(stage: str, started: float) -> None:
        seconds[stage] = time.perf_counter() - started

    started = time.perf_counter()
    resolved = resolve(scenario, seed=seed, progress=report)
    timed("latency", started)

    started = time.perf_counter()
    report("ranking", 0, 3)
    rankings = rank_profiles(resolved)
    report("ranking", 2, 3)
    robust = None
    if len(rankings["training"].table) >= 2 and opts.sensitivity_samples > 0:
        robust = sensitivity(rankings["training"], samples=int(opts.sensitivity_samples),
                             seed=seed, top_k=min(5, len(rankings["training"].table)))
    report("ranking", 3, 3)
    timed("ranking", started)

    if executor == "auto":
        executor = choose_executor(pending_solves(procurement_tasks(resolved), store), risk_samples)
        notes.append(f"executor 'auto' chose {executor!r}")

    with open_executor(executor, address=dask_address, workers=workers) as pool:
        started = time.perf_counter()
        hits_before, misses_before = store.hits, store.misses
        first = resolved
        resolved = resolve(
            scenario, seed=seed, energy=True, run_map=lambda f, items, step: pool.map(f, items, step, unit="sites"), cache=store,
            latency_ms=first.latency_ms,
            progress=lambda stage, done, total: report("procurement", done, total)
            if stage == "procurement" else None,
        )
        resolved.latency_source = first.latency_source
        assert resolved.procurement is not None
        procurement = resolved.procurement
        timed("procurement", started)

        started = time.perf_counter()
        report("portfolio", 0, 1)
        rankings, portfolio = decide(resolved, rankings)
        contracts = _contracts(resolved, portfolio, pool, store)
        report("portfolio", 1, 1)
        timed("portfolio", started)
        fleet = _run_fleet(resolved, portfolio, seconds)

        risk = None
        if risk_samples > 0:
            started = time.perf_counter()
            report("risk", 0, risk_samples)
            risk = _run_risk(resolved, portfolio, risk_samples, seed, pool,
                             lambda done, total: report("risk", done, total))
            report("risk", risk_samples, risk_samples)
            timed("risk", started)
        else:
            report("risk", 0, 0)

        near = None
        if alternatives > 0:
            from gridfirst.planning.alternatives import plan_alternatives

            started = time.perf_counter()
            near = plan_alternatives(
                PlanResult(scenario=scenario, rankings=rankings, sensitivity=robust,
                           latency_ms=resolved.latency_ms, latency_source=resolved.latency_source,
                           procurement=procurement, portfolio=portfolio, risk=risk,
                           resolved=resolved),
                alternatives, slack=slack, min_distance_mw=min_distance_mw,
                risk_samples=risk_samples, seed=seed, pool=pool)
            notes.extend(near.search.notes)
            timed("alternatives", started)
        robust_result = None
        if robust_futures is not None:
            started = time.perf_counter()
            robust_result = _run_robust(resolved, portfolio, robust_futures, robust_out_of_sample,
                                        seed, pool, report)
            timed("robust", started)
        else:
            report("robust", 0, 0)

    notes.extend(store.problems)
    notes.extend(flexible_notes(resolved.flexible))
    if fleet is not None and fleet.missed_target:
        whose = "its market's" if len(fleet.missed_target) == 1 else "their markets'"
        notes.append(f"training fleet: {', '.join(fleet.missed_target)} cannot reach the CFE "
                     f"target {resolved.policy.cfe_target:g} on {whose} options (fleet CFE "
                     f"{fleet.cfe_score:.3f}); the cost is that of the best reachable plan")
    if fleet is None and resolved.options.plan.flexible_training_share:
        notes.append(f"options.plan.flexible_training_share "
                     f"{resolved.options.plan.flexible_training_share:g}: the plan trains nowhere, "
                     "so no training fleet was procured")
    if not math.isfinite(portfolio.total_cost_usd):
        notes.append("the portfolio objective is not finite")
    return PlanResult(
        scenario=scenario, rankings=rankings, sensitivity=robust, latency_ms=resolved.latency_ms,
        latency_source=resolved.latency_source, procurement=procurement, portfolio=portfolio,
        risk=risk, seconds=seconds, cache_hits=store.hits - hits_before,
        cache_misses=store.misses - misses_before, executor=executor, notes=notes,
        resolved=resolved, alternatives=near, robust=robust_result, contracts=contracts,
        fleet=fleet,
    )


def _run_robust(resolved: Resolved, portfolio: PortfolioResult, futures: int,
                out_of_sample: int | None, seed: int, pool: ParallelExecutor, report: Progress
                ) -> RobustPlan:
    """The robust plan (:mod:`gridfirst.risk.saa`) on the plan's open executor; progress in
    thousandths of its four steps (futures, solve, two out-of-sample runs)."""
    from gridfirst.risk.saa import DEFAULT_OUT_OF_SAMPLE, STAGES, robust_plan

    def step(stage: str, done: int, total: int) -> None:
        i = STAGES.index(stage)
        report("robust", 1000 * i + (1000 * done // total if total else 0), 1000 * len(STAGES))

    opts = resolved.scenario.options.plan
    return robust_plan(portfolio, resolved, futures=futures, seed=seed,
                       out_of_sample=DEFAULT_OUT_OF_SAMPLE if out_of_sample is None else out_of_sample,
                       executor=pool, mip_gap=float(opts.mip_gap), progress=step)


def _contracts(resolved: Resolved, portfolio: PortfolioResult, pool: ParallelExecutor,
               store: ResultCache) -> PlanContracts:
    """The plan's PPAs in the hourly procurement of the sites they serve."""
    from gridfirst.planning.contracts import plan_contracts

    return plan_contracts(resolved, portfolio,
                          lambda f, items, step: pool.map(f, items, step, unit="sites"), store)


def _run_fleet(resolved: Resolved, portfolio: PortfolioResult,
               seconds: dict[str, float]) -> FleetPlan | None:
    """The training sites as one flexible fleet when ``options.plan.flexible_training_share``."""
    opts = resolved.options.plan
    if not opts.flexible_training_share:
        return None
    from gridfirst.planning.fleet import plan_fleet

    started = time.perf_counter()
    fleet = plan_fleet(resolved, portfolio, float(opts.flexible_training_share),
                       transfer_mw=opts.flexible_transfer_mw)
    seconds["fleet"] = time.perf_counter() - started
    return fleet


def _run_risk(resolved: Resolved, portfolio: PortfolioResult, samples: int, seed: int,
              pool: ParallelExecutor, progress: Callable[[int, int], None]) -> RiskResult:
    """Monte Carlo of the chosen plan (:mod:`gridfirst.risk`) on the plan's open executor."""
    from gridfirst.risk import problem_from_plan, run_risk

    problem = problem_from_plan(portfolio, resolved)
    return run_risk(problem, samples=samples, seed=seed, executor=pool.target,
                    workers=pool.workers, progress=progress)
