"""The plan's training sites procured as one flexible fleet (``options.plan.flexible_training_share``).

After the portfolio has chosen where training runs, each training site's 24/7 procurement (its
market's supply stack, its own grid, the policy's CFE target per site) is solved again as one
fleet (:func:`gridfirst.procurement.fleet.solve_fleet`) in which a share of the training load may
move within the day and between the sites, and against the same sites with nothing moving (the
sites' own runs side by side). The difference is what flexible training saves.

Each site's load is flat at its largest training allocation over the horizon [MW of IT]; the
fleet is a yearly view of the plan's end state, not a re-optimisation of the portfolio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridfirst.errors import SolverError

if TYPE_CHECKING:
    from gridfirst.portfolio.result import PortfolioResult
    from gridfirst.procurement.fleet import FleetResult
    from gridfirst.resolve import Resolved

#: Columns of :attr:`FleetPlan.sites`.
SITE_COLUMNS = ["site", "market", "load_mw", "own_cost_usd_per_mwh", "fleet_cost_usd_per_mwh",
                "own_cfe_score", "fleet_cfe_score", "fleet_load_mwh"]


@dataclass
class FleetPlan:
    """The plan's training sites procured together, against each on its own.

    Attributes
    ----------
    share : float
        Flexible share of each site's training load [0..1].
    transfer_mw : float
        Most load moved between two sites in an hour [MW] (``inf``: no limit).
    objective_usd : float
        Annual procurement cost of the fleet with flexible training [USD/yr].
    cost_usd_per_mwh : float
        ``objective_usd`` over the sites' training load [USD/MWh].
    cfe_score : float
        Hourly carbon-free share of the fleet's consumption [0..1].
    independent_objective_usd : float
        The same sites procured each on its own (nothing moves) [USD/yr].
    lp_objective_usd, independent_lp_objective_usd : float
        The same with a soft CFE target's shortfall penalty (what the LPs minimise; flexible
        training never makes it larger) [USD/yr].
    independent_cfe_score : float
        Hourly carbon-free share of the sites on their own [0..1].
    sites : pandas.DataFrame
        Per site (:data:`SITE_COLUMNS`): load, cost per MWh and CFE score on its own and in the
        fleet, and the energy it consumed in the fleet [MWh/yr].
    missed_target : list of str
        Sites whose market options do not reach the policy's CFE target in the fleet (their
        cost is that of the best reachable plan); empty when every site meets it.
    """

    share: float
    transfer_mw: float
    objective_usd: float
    cost_usd_per_mwh: float
    cfe_score: float
    independent_objective_usd: float
    independent_cost_usd_per_mwh: float
    independent_cfe_score: float
    lp_objective_usd: float
    independent_lp_objective_usd: float
    moved_in_space_mwh: float
    method: str
    solve_seconds: float
    sites: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SITE_COLUMNS))
    missed_target: list[str] = field(default_factory=list)

    @property
    def savings_usd(self) -> float:
        """What flexible training saves a year against the sites on their own [USD/yr]."""
        return self.independent_objective_usd - self.objective_usd

    @property
    def savings_share(self) -> float:
        """``savings_usd`` as a share of the independent cost."""
        base = self.independent_objective_usd
        return self.savings_usd / base if base > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """The ``fleet`` key of ``plan.json``."""
        return {
            "sites": list(self.sites["site"]),
            "share": self.share,
            "shift": "both",
            "transfer_mw": self.transfer_mw if math.isfinite(self.transfer_mw) else None,
            "objective_usd": self.objective_usd,
            "cost_usd_per_mwh": self.cost_usd_per_mwh,
            "cfe_score": self.cfe_score,
            "independent_objective_usd": self.independent_objective_usd,
            "independent_cost_usd_per_mwh": self.independent_cost_usd_per_mwh,
            "independent_cfe_score": self.independent_cfe_score,
            "lp_objective_usd": self.lp_objective_usd,
            "independent_lp_objective_usd": self.independent_lp_objective_usd,
            "savings_usd": self.savings_usd,
            "savings_share": self.savings_share,
            "moved_in_space_mwh": self.moved_in_space_mwh,
            "method": self.method,
            "solve_seconds": self.solve_seconds,
            "by_site": self.sites.to_dict(orient="records"),
            "missed_target": list(self.missed_target),
        }


def training_loads_mw(portfolio: PortfolioResult, max_sites: int | None = None) -> dict[str, float]:
    """Each training site's largest training allocation over the horizon [MW], largest first
    (the ``max_sites`` largest when given)."""
    alloc = portfolio.allocation
    if alloc.empty:
        return {}
    training = alloc[alloc["workload"] == "training"]
    peak = training.groupby(["site", "year"])["mw"].sum().groupby(level="site").max()
    peak = peak[peak > 1e-6].sort_values(ascending=False)
    if max_sites is not None:
        peak = peak.iloc[:max_sites]
    return {str(s): float(v) for s, v in peak.items()}


def _solve(sites: list[tuple[str, Any]], flex: Any, method: str) -> FleetResult:
    from gridfirst.procurement.fleet import solve_fleet

    if method == "fast":
        try:
            return solve_fleet(sites, flex, method="structured")
        except SolverError:  # the interior point stalled: the monolithic LP is the reference
            pass
    return solve_fleet(sites, flex, method="highs")


def _own_runs(sites: list[tuple[str, Any]], method: str) -> tuple[dict[str, Any], float, float]:
    """Each site on its own (a fleet with nothing moving is exactly these, solved apart):
    results by site, the sum of their objectives and of their LP objectives [USD/yr]."""
    from gridfirst.procurement.fleet import Flexibility

    runs = {name: _solve([(name, lp)], Flexibility(0.0), method) for name, lp in sites}
    return ({n: r.sites[n] for n, r in runs.items()},
            float(sum(r.objective_usd for r in runs.values())),
            float(sum(r.lp_objective_usd for r in runs.values())))


def plan_fleet(
    resolved: Resolved,
    portfolio: PortfolioResult,
    share: float,
    transfer_mw: float | None = None,
    hours: int | None = None,
    method: str | None = None,
    max_sites: int | None = None,
) -> FleetPlan | None:
    """Procure the portfolio's training sites as one flexible fleet and on their own.

    Parameters
    ----------
    resolved : Resolved
        The resolved scenario (markets, costs, policy, seed, ``options.plan``).
    portfolio : PortfolioResult
        The plan; its training allocation names the sites and their loads.
    share : float
        Flexible share of the training load in [0, 1] (0: the fleet is the sites' own runs).
    transfer_mw : float, optional
        Most load moved between two sites in an hour [MW]; None: no limit.
    hours : int, optional
        Only the first hours of the year (whole days; a short horizon for checks).
    method : {"fast", "highs"}, optional
        ``fast``: the structured interior point (HiGHS if it stalls); default
        ``options.plan.procurement_method``.
    max_sites : int, optional
        Only the largest training sites (default ``options.plan.flexible_training_sites``); the
        fleet LP's time grows faster than its number of sites.

    Returns
    -------
    FleetPlan or None
        None when the plan trains nowhere.
    """
    from gridfirst.procurement.fleet import Flexibility, market_lp
    from gridfirst.resolve.resolved import supply_year

    opts = resolved.options.plan
    loads = training_loads_mw(portfolio, max_sites or int(opts.flexible_training_sites))
    if not loads:
        return None
    method = str(method or opts.procurement_method)
    cfe_target = float(resolved.policy.cfe_target)
    year = supply_year(resolved)
    lps = [(site, market_lp(resolved.candidate_markets[site], cfe_target, costs=resolved.costs,
                            seed=resolved.seed, load_mw=mw, supply=str(opts.procurement_supply),
                            year=year, hours=hours))
           for site, mw in loads.items()]
    transfer = math.inf if transfer_mw is None else float(transfer_mw)
    flex = Flexibility(float(share), shift="both", transfer_mw=transfer)
    fleet = _solve(lps, flex, method)
    own, own_objective, own_lp = _own_runs(lps, method)
    total_mwh = sum(float(r.dispatch["load_mw"].sum()) for r in own.values())
    rows = []
    for site, mw in loads.items():
        mine, ours = own[site], fleet.sites[site]
        rows.append({
            "site": site, "market": resolved.candidate_markets[site].id, "load_mw": mw,
            "own_cost_usd_per_mwh": mine.cost_usd_per_mwh,
            "fleet_cost_usd_per_mwh": ours.cost_usd_per_mwh,
            "own_cfe_score": mine.cfe_score, "fleet_cfe_score": ours.cfe_score,
            "fleet_load_mwh": float(ours.dispatch["load_mw"].sum()),
        })
    own_score = (sum(r.cfe_score * float(r.dispatch["load_mw"].sum()) for r in own.values())
                 / total_mwh if total_mwh > 0 else 1.0)
    return FleetPlan(
        share=float(share), transfer_mw=transfer, objective_usd=fleet.objective_usd,
        cost_usd_per_mwh=fleet.cost_usd_per_mwh, cfe_score=fleet.cfe_score,
        independent_objective_usd=own_objective,
        independent_cost_usd_per_mwh=own_objective / total_mwh if total_mwh > 0 else 0.0,
        independent_cfe_score=float(own_score), lp_objective_usd=fleet.lp_objective_usd,
        independent_lp_objective_usd=own_lp,
        moved_in_space_mwh=fleet.moved_in_space_mwh, method=fleet.method,
        solve_seconds=fleet.solve_seconds, sites=pd.DataFrame(rows, columns=SITE_COLUMNS),
        missed_target=[n for n, r in fleet.sites.items() if not r.cfe_target_met],
    )
