"""Near-optimal alternatives: plans that cost little more than the optimum but build elsewhere.

Modelling to generate alternatives (MGA): the cost-optimal plan is one of many that cost about
the same. Keeping the plan's constraints and adding one row, *total cost <= (1 + slack) x the
optimum's*, each alternative minimises a linear direction over the MW online by site and year
(fewest MW where the plans found so far build, away from their countries, a random mix of
countries, least MW in one country). Several directions are tried per alternative and the one
whose plan lies farthest from every plan found so far is kept, so the alternatives differ from
the optimum and from each other. What every near-optimal plan builds is the robust decision.

The cost is the plan's objective: cash plus penalties (unmet demand, risk), discounted, as
:func:`~gridfirst.portfolio.solve.solve_portfolio` minimises it. The distance between two plans
is the L1 distance of their IT MW online by country, averaged over the horizon's years [MW]:
``mean_t sum_c |a_ct - b_ct|`` (an alternative that moves 50 MW from one country to another for
the whole horizon is 100 MW away). The same by site is reported as ``site_distance_mw``.

References
----------
.. [1] Neumann, F., Brown, T. (2021). The near-optimal feasible space of a renewable power
   system model. Electric Power Systems Research 190, 106690.
.. [2] Brill, E. D., Chang, S.-Y., Hopkins, L. D. (1982). Modeling to generate alternatives:
   the HSJ approach and an illustration using a problem in land use planning. Management
   Science 28(3), 221-235.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gridfirst.errors import InfeasibleError, ScenarioError, SolverError
from gridfirst.options import AlternativesOptions
from gridfirst.portfolio.model import PortfolioModel, build_model
from gridfirst.portfolio.result import PortfolioResult, decode
from gridfirst.solver import HighsModel, Layout, Solution

if TYPE_CHECKING:
    from gridfirst.parallel import ParallelExecutor
    from gridfirst.portfolio.inputs import PortfolioInputs

__all__ = ["Alternative", "NearOptimal", "check_settings", "near_optimal", "plan_distance_mw"]

#: Default cost slack over the optimum [-] (``options.plan.alternatives.slack``'s).
DEFAULT_SLACK = float(AlternativesOptions().slack)
#: Default minimum distance between two kept plans [MW, country metric]; one 10 MW block moved
#: between countries for the whole horizon is 20 MW (``options.plan.alternatives``'s).
DEFAULT_MIN_DISTANCE_MW = float(AlternativesOptions().min_distance_mw)
#: Directions tried per alternative (the farthest plan is kept).
DEFAULT_CANDIDATES = 3
#: Relative MIP gap of each alternative's solve, on its direction: on the example, 1% moves the
#: plans found by under 1 MW of distance and takes a fifth of the time of 0.1%.
DEFAULT_DIRECTION_GAP = 0.01
#: Rounds (each: several directions, one plan kept) per alternative asked for, at most.
MAX_ROUNDS_PER_ALTERNATIVE = 2
#: Rounds in a row whose farthest plan is too near an earlier one before the search stops.
MAX_MISSES = 2
#: Most alternatives one call may ask for.
MAX_ALTERNATIVES = 50
#: Weight of cost in a direction's objective, in MW per (cost / optimum): breaks ties between
#: plans equally far along a direction in favour of the cheaper, never trading a block for cost.
TIE_BREAK_MW = 0.5
METRIC = ("L1 distance of IT MW online by country, averaged over the horizon's years [MW]: "
          "mean over years of the sum over countries of |MW in plan a - MW in plan b|")


@dataclass
class Alternative:
    """One near-optimal plan.

    Attributes
    ----------
    result : PortfolioResult
        The plan (builds, allocation, costs) as :func:`~gridfirst.portfolio.solve_portfolio`
        gives it, without binding constraints or shortfall explanations.
    direction : str
        The direction it minimised, in words.
    distance_mw : float
        Distance to the optimum (country metric, :data:`METRIC`) [MW].
    nearest_mw : float
        Distance to the nearest earlier plan (the optimum or an earlier alternative) [MW].
    site_distance_mw : float
        Distance to the optimum by site (same metric over sites) [MW].
    cost_ratio : float
        Total cost over the optimum's [-]; at most ``1 + slack``.
    """

    result: PortfolioResult
    direction: str
    distance_mw: float
    nearest_mw: float
    site_distance_mw: float
    cost_ratio: float

    @property
    def total_cost_usd(self) -> float:
        return float(self.result.total_cost_usd)

    @property
    def cash_cost_usd(self) -> float:
        return float(self.result.cash_cost_usd)


@dataclass
class NearOptimal:
    """The optimum, its near-optimal alternatives and what they all share.

    Attributes
    ----------
    optimum : PortfolioResult
        The cost-optimal plan the slack is measured from.
    alternatives : list of Alternative
        Kept alternatives, in the order found; each at least ``min_distance_mw`` from every
        earlier plan.
    slack : float
        Cost slack [-]: every alternative's total cost <= (1 + slack) x ``optimum_cost_usd``.
    optimum_cost_usd : float
        The optimum's total cost (objective: cash + penalties, NPV) [USD].
    bound_usd : float
        The cost bound every alternative respects [USD].
    min_distance_mw : float
        Minimum distance between kept plans (:data:`METRIC`) [MW].
    common_countries : pandas.DataFrame
        ``country, year, min_online_mw, max_online_mw, optimum_online_mw``: the MW every plan
        holds online in a country by a year (min), and the spread.
    common_sites : pandas.DataFrame
        The same by ``site`` (with its ``country``), sites that hold capacity in some plan.
    common_deals : list of str
        Deals every plan takes.
    decide_now : pandas.DataFrame
        ``site, country, year, min_decided_mw``: blocks every plan decides at a site in the
        first plan year [IT MW], the commitments that cannot wait for more information.
    distances_mw : pandas.DataFrame
        Pairwise distances (:data:`METRIC`), plans by name (``optimum``, ``alt1``, ...).
    notes : list of str
        Alternatives dropped or not found, and why.
    seconds : float
        Wall time of the search [s].
    """

    optimum: PortfolioResult
    alternatives: list[Alternative]
    slack: float
    optimum_cost_usd: float
    bound_usd: float
    min_distance_mw: float
    common_countries: pd.DataFrame
    common_sites: pd.DataFrame
    common_deals: list[str]
    decide_now: pd.DataFrame
    distances_mw: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def plans(self) -> dict[str, PortfolioResult]:
        """Every near-optimal plan by name: ``optimum``, ``alt1``, ``alt2``, ..."""
        return {"optimum": self.optimum,
                **{f"alt{i + 1}": a.result for i, a in enumerate(self.alternatives)}}

    def shared(self, year: int | None = None) -> list[str]:
        """What every plan does, in words: MW by country (and site) by ``year`` (default: each
        country's first year with common capacity, and the horizon's end), deals taken."""
        def held(frame: pd.DataFrame) -> pd.DataFrame:
            frame = frame[frame["min_online_mw"] > 1e-6]
            return frame if year is None else frame[frame["year"] == year]

        lines = []
        for country, rows in held(self.common_countries).groupby("country", sort=True):
            first = rows.sort_values("year").iloc[0]
            last = rows.sort_values("year").iloc[-1]
            lines.append(f"{country}: at least {first['min_online_mw']:,.0f} MW online by "
                         f"{int(first['year'])}, {last['min_online_mw']:,.0f} MW by "
                         f"{int(last['year'])}")
        for site, rows in held(self.common_sites).groupby("site", sort=True):
            first = rows.sort_values("year").iloc[0]
            lines.append(f"site {site}: at least {first['min_online_mw']:,.0f} MW online by "
                         f"{int(first['year'])}")
        lines += [f"deal {d}: taken by every plan" for d in self.common_deals]
        lines += [f"decide now ({int(r.year)}): at least {r.min_decided_mw:,.0f} MW at {r.site}"
                  for r in self.decide_now.itertuples() if r.min_decided_mw > 1e-6]
        return lines


def check_settings(n: int, slack: float, min_distance_mw: float = DEFAULT_MIN_DISTANCE_MW,
                   candidates: int = DEFAULT_CANDIDATES) -> None:
    """Raise :class:`ScenarioError` (one line naming the setting) unless the settings are valid."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 0 <= n <= MAX_ALTERNATIVES:
        raise ScenarioError(f"alternatives: {n!r} must be a whole number from 0 to "
                            f"{MAX_ALTERNATIVES}")
    if not isinstance(slack, int | float) or not math.isfinite(slack) or not 0 <= slack <= 1:
        raise ScenarioError(f"alternatives slack: {slack!r} must be a fraction of the optimal "
                            "cost from 0 to 1 (0.02 is 2%)")
    if (not isinstance(min_distance_mw, int | float) or not math.isfinite(min_distance_mw)
            or min_distance_mw < 0):
        raise ScenarioError(f"alternatives min_distance_mw: {min_distance_mw!r} must be a "
                            "number of MW >= 0")
    if isinstance(candidates, bool) or not isinstance(candidates, int) or not 1 <= candidates <= 4:
        raise ScenarioError(f"alternatives candidates: {candidates!r} must be a whole number "
                            "from 1 to 4")


def online_by_site(result: PortfolioResult, sites: list[str], years: list[int]) -> np.ndarray:
    """IT MW online [site x year] of a plan, in the given site and year order."""
    b = result.builds
    if b.empty:
        return np.zeros((len(sites), len(years)))
    table = b.pivot_table(index="site", columns="year", values="online_mw", aggfunc="sum")
    return table.reindex(index=sites, columns=years).fillna(0.0).to_numpy(float)


def plan_distance_mw(a: np.ndarray, b: np.ndarray) -> float:
    """L1 distance of two [entity x year] MW tables averaged over the years [MW] (:data:`METRIC`)."""
    if a.size == 0:
        return 0.0
    return float(np.abs(a - b).sum(axis=0).mean())


@dataclass
class _Problem:
    """The model with its cost bound row, as HiGHS takes it (sent to workers once)."""

    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    layout: Layout
    mip_gap: float
    time_limit_s: float
    threads: int | None


def _bounded(model: PortfolioModel, bound_usd: float, scale_usd: float, mip_gap: float,
             time_limit_s: float, threads: int | None) -> _Problem:
    """The model plus one row: cost / scale <= bound / scale (scaled so its terms are near 1)."""
    row = sp.csr_matrix(model.cost[None, :] / scale_usd)
    A = sp.vstack([model.A, row], format="csr")
    m = model.num_rows
    layout = Layout(
        columns=model.layout.columns,
        rows={**model.layout.rows, "near_optimal_cost": (m, m + 1)},
        column_labels=model.layout.column_labels,
        row_labels={**model.layout.row_labels,
                    "near_optimal_cost": {"entity": np.array(["total cost"], dtype=object),
                                          "year": np.array([-1])}},
    )
    return _Problem(
        A=A, row_lower=np.append(model.row_lower, -np.inf),
        row_upper=np.append(model.row_upper, bound_usd / scale_usd),
        col_lower=model.col_lower, col_upper=model.col_upper, integrality=model.integrality,
        layout=layout, mip_gap=mip_gap, time_limit_s=time_limit_s, threads=threads)


def _solve_direction(problem: _Problem, objective: np.ndarray) -> Solution | str:
    """Minimise one direction within the cost bound (a module-level function for workers);
    the solver's message when it finds no plan (a time limit without one, numerical trouble)."""
    highs = HighsModel(objective, problem.A, problem.row_lower, problem.row_upper,
                       problem.col_lower, problem.col_upper,
                       problem.integrality if problem.integrality.any() else None,
                       layout=problem.layout)
    try:
        out = highs.solve(time_limit_s=problem.time_limit_s, mip_rel_gap=problem.mip_gap,
                          threads=problem.threads)
    except (SolverError, InfeasibleError) as exc:
        return str(exc).splitlines()[0]
    out.layout = None
    return out


def _directions(found: list[np.ndarray], countries: np.ndarray, opt_site: np.ndarray,
                rng: np.random.Generator, round_no: int, candidates: int
                ) -> list[tuple[str, np.ndarray]]:
    """Candidate directions [site x year weights, minimised] for the next alternative.

    ``found`` are the MW online [site x year] of the plans kept so far (the optimum first).
    """
    S, T = opt_site.shape
    names = np.unique(countries) if S else np.zeros(0, object)
    out: list[tuple[str, np.ndarray]] = []
    # Hop-Skip-Jump: fewest MW at the site-years where plans found so far build.
    used = np.mean([f > 1e-6 for f in found], axis=0)
    if used.any():
        out.append(("fewest MW where earlier plans build (HSJ)", used.astype(float)))
    # Away from the countries the plans found so far use, by their mean share of MW each year.
    by_country = np.array([[f[countries == c].sum(axis=0) for c in names] for f in found])
    total = by_country.sum(axis=1, keepdims=True)
    share = np.divide(by_country, total, out=np.zeros_like(by_country), where=total > 0).mean(axis=0)
    if names.size > 1 and share.any():
        weights = share - share.mean(axis=0, keepdims=True)
        w = weights[np.searchsorted(names, countries)]
        out.append(("away from the countries earlier plans use", w / max(np.abs(w).max(), 1e-9)))
    # A random mix of countries (seeded): minimised, so negative weights attract capacity.
    if names.size > 1:
        draw = rng.normal(size=names.size)
        draw /= max(np.abs(draw).max(), 1e-9)
        w = np.repeat(draw[np.searchsorted(names, countries)][:, None], T, axis=1)
        out.append((f"random mix of countries (draw {round_no + 1})", w))
    # Least MW in one country: the optimum's countries, largest first, one per round.
    if names.size:
        opt_mw = np.array([opt_site[countries == c].sum() for c in names])
        order = [names[i] for i in np.argsort(-opt_mw) if opt_mw[i] > 0]
        if order:
            c = order[round_no % len(order)]
            out.append((f"least MW in {c}", np.repeat((countries == c).astype(float)[:, None],
                                                       T, axis=1)))
    return out[:candidates]


def _objective(model: PortfolioModel, weights: np.ndarray, scale_usd: float) -> np.ndarray:
    """Direction on the capacity columns [MW-years] plus a small cost tie-break."""
    c = model.cost / scale_usd * TIE_BREAK_MW
    c[model.cols["cap"]] += weights.ravel()
    return c


def _by_country(site_mw: np.ndarray, countries: np.ndarray, names: np.ndarray) -> np.ndarray:
    return np.array([site_mw[countries == c].sum(axis=0) for c in names]).reshape(
        names.size, site_mw.shape[1])


def near_optimal(
    inputs: PortfolioInputs,
    n: int,
    slack: float = DEFAULT_SLACK,
    min_distance_mw: float = DEFAULT_MIN_DISTANCE_MW,
    optimum: PortfolioResult | None = None,
    mip_gap: float = 0.001,
    direction_gap: float = DEFAULT_DIRECTION_GAP,
    time_limit_s: float = 30.0,
    seed: int = 0,
    candidates: int = DEFAULT_CANDIDATES,
    executor: ParallelExecutor | None = None,
    threads: int | None = None,
) -> NearOptimal:
    """Up to ``n`` plans within ``slack`` of the optimal cost, far from it and from each other.

    Parameters
    ----------
    inputs : PortfolioInputs
        As for :func:`~gridfirst.portfolio.solve_portfolio`.
    n : int
        Alternatives wanted (0 to :data:`MAX_ALTERNATIVES`).
    slack : float
        Cost slack [-]: each alternative's total cost (cash + penalties, NPV) is at most
        ``(1 + slack)`` x the optimum's.
    min_distance_mw : float
        A candidate nearer than this to any earlier plan (:data:`METRIC`) is not kept [MW].
    optimum : PortfolioResult, optional
        The cost-optimal plan of ``inputs`` (solved here when not given).
    mip_gap : float
        Relative MIP gap of the optimum's solve, when solved here [-].
    direction_gap : float
        Relative MIP gap of each alternative's solve, on its direction (the cost bound holds
        exactly whatever the gap; a looser gap only stops short along the direction) [-].
    time_limit_s : float
        Wall-clock limit of each solve [s].
    seed : int
        Seed of the random directions.
    candidates : int
        Directions tried per alternative, 1 to 4, in this order: fewest MW where earlier
        plans build (Hop-Skip-Jump), away from the countries they use, a random mix of
        countries, least MW in one of the optimum's countries (a different one each round);
        the plan farthest from all earlier ones is kept.
    executor : ParallelExecutor, optional
        Where the candidate solves of one alternative run (default: this process).
    threads : int, optional
        HiGHS threads per solve.

    Returns
    -------
    NearOptimal

    Raises
    ------
    ScenarioError
        A bad ``n``, ``slack``, ``min_distance_mw`` or ``candidates`` (one line naming it).
    """
    check_settings(n, slack, min_distance_mw, candidates)
    if not isinstance(direction_gap, int | float) or not 0 <= direction_gap <= 1:
        raise ScenarioError(f"alternatives direction_gap: {direction_gap!r} must be from 0 to 1")
    started = time.perf_counter()
    model = build_model(inputs)
    if optimum is None:
        from gridfirst.portfolio.solve import solve_portfolio

        optimum = solve_portfolio(inputs, mip_gap=mip_gap, time_limit_s=time_limit_s,
                                  explain=False, threads=threads)
    sites = list(model.sites)
    years = [int(y) for y in inputs.years]
    countries = inputs.sites.loc[sites, "country"].astype(str).to_numpy(object)
    names = np.unique(countries) if sites else np.zeros(0, object)
    opt_cost = float(optimum.total_cost_usd)
    bound = opt_cost + slack * abs(opt_cost)
    scale = max(abs(opt_cost), 1.0)
    problem = _bounded(model, bound, scale, direction_gap, time_limit_s, threads)
    rng = np.random.default_rng(seed)
    opt_site = online_by_site(optimum, sites, years)
    found_site = [opt_site]
    found_country = [_by_country(opt_site, countries, names)]
    kept: list[Alternative] = []
    notes: list[str] = []
    misses = 0
    for round_no in range(MAX_ROUNDS_PER_ALTERNATIVE * n):
        if len(kept) == n or misses == MAX_MISSES:
            break
        dirs = _directions(found_site, countries, opt_site, rng, round_no, candidates)
        if not dirs:
            notes.append("no capacity to move: the optimum builds nothing")
            break
        objectives = [_objective(model, w, scale) for _, w in dirs]
        if executor is None:
            sols = [_solve_direction(problem, c) for c in objectives]
        else:
            sols = executor.map(_solve_direction, objectives, shared=problem, unit="solves")
        best: tuple[float, float, int, np.ndarray] | None = None
        for i, sol in enumerate(sols):
            if isinstance(sol, str):
                notes.append(f"round {round_no + 1}: {dirs[i][0]}: no plan ({sol})")
                continue
            site_mw = np.where(np.abs(sol.x[model.cols["cap"]]) < 1e-4, 0.0,
                               sol.x[model.cols["cap"]]).reshape(len(sites), len(years))
            country_mw = _by_country(site_mw, countries, names)
            nearest = min(plan_distance_mw(country_mw, f) for f in found_country)
            nearest_site = min(plan_distance_mw(site_mw, f) for f in found_site)
            if best is None or (nearest, nearest_site) > (best[0], best[1]):
                best = (nearest, nearest_site, i, site_mw)
        if best is None:
            misses += 1
            continue
        nearest, _, i, site_mw = best
        if nearest < max(min_distance_mw, 1e-6):
            misses += 1
            notes.append(
                f"round {round_no + 1}: the farthest of {len(dirs)} directions' plans is "
                f"{nearest:,.1f} MW from an earlier plan, under the minimum {min_distance_mw:,.1f}"
                " MW; not kept")
            continue
        misses = 0
        sol = sols[i]
        assert not isinstance(sol, str)
        result = decode(model, sol.x, sol)
        cost = float(result.total_cost_usd)
        if cost > bound + 1e-6 * scale:  # the row holds to HiGHS's tolerance; never accept more
            raise SolverError(f"alternative {round_no + 1} costs {cost:,.0f} USD, above the bound "
                              f"{bound:,.0f} USD")
        country_mw = _by_country(site_mw, countries, names)
        kept.append(Alternative(
            result=result, direction=dirs[i][0],
            distance_mw=plan_distance_mw(country_mw, found_country[0]),
            nearest_mw=nearest,
            site_distance_mw=plan_distance_mw(site_mw, opt_site),
            cost_ratio=cost / opt_cost if opt_cost else 1.0,
        ))
        found_site.append(site_mw)
        found_country.append(country_mw)
    if len(kept) < n:
        notes.append(f"{len(kept)} of {n} alternatives found at least {min_distance_mw:,.1f} MW "
                     f"from every other plan within a {slack:.1%} cost slack")
    plans = {"optimum": optimum, **{f"alt{i + 1}": a.result for i, a in enumerate(kept)}}
    return NearOptimal(
        optimum=optimum, alternatives=kept, slack=float(slack), optimum_cost_usd=opt_cost,
        bound_usd=bound, min_distance_mw=float(min_distance_mw),
        common_countries=_common(found_country, list(names), years, "country"),
        common_sites=_common_sites(found_site, sites, countries, years),
        common_deals=_common_deals(list(plans.values())),
        decide_now=_decide_now(list(plans.values()), years[0] if years else 0),
        distances_mw=_pairwise(list(plans), found_country),
        notes=notes, seconds=time.perf_counter() - started,
    )


def _common(tables: list[np.ndarray], entities: list[Any], years: list[int], column: str
            ) -> pd.DataFrame:
    """Min, max and optimum MW online per entity and year across the plans."""
    stack = np.stack(tables) if tables else np.zeros((0, len(entities), len(years)))
    e_i, t_i = np.meshgrid(np.arange(len(entities)), np.arange(len(years)), indexing="ij")
    frame = pd.DataFrame({
        column: np.asarray(entities, dtype=object)[e_i.ravel()],
        "year": np.asarray(years, dtype=int)[t_i.ravel()],
        "min_online_mw": stack.min(axis=0).ravel() if len(tables) else 0.0,
        "max_online_mw": stack.max(axis=0).ravel() if len(tables) else 0.0,
        "optimum_online_mw": stack[0].ravel() if len(tables) else 0.0,
    })
    return frame[frame["max_online_mw"] > 1e-6].reset_index(drop=True)


def _common_sites(tables: list[np.ndarray], sites: list[str], countries: np.ndarray,
                  years: list[int]) -> pd.DataFrame:
    frame = _common(tables, sites, years, "site")
    country_of = dict(zip(sites, countries, strict=True))
    frame.insert(1, "country", frame["site"].map(country_of))
    return frame


def _decide_now(plans: list[PortfolioResult], year: int) -> pd.DataFrame:
    """MW every plan decides at each site in ``year`` (the least of the plans)."""
    columns = ["site", "country", "year", "min_decided_mw"]
    per_plan = []
    for plan in plans:
        b = plan.builds
        per_plan.append(b[b["year"] == year].groupby(["site", "country"])["decided_mw"].sum()
                        if not b.empty else pd.Series(dtype=float))
    if not per_plan:
        return pd.DataFrame(columns=columns)
    table = pd.concat(per_plan, axis=1).fillna(0.0)
    least = table.min(axis=1)
    least = least[least > 1e-6]
    return pd.DataFrame({"site": [s for s, _ in least.index], "country": [c for _, c in least.index],
                         "year": year, "min_decided_mw": least.to_numpy(float)}, columns=columns)


def _common_deals(plans: list[PortfolioResult]) -> list[str]:
    """Deals (signed or recommended) that every plan takes, in the optimum's order."""
    if not plans:
        return []
    taken = [set(p.taken_deals) for p in plans]
    return [d for d in plans[0].taken_deals if all(d in t for t in taken)]


def _pairwise(names: list[str], tables: list[np.ndarray]) -> pd.DataFrame:
    n = len(names)
    d = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            d[i, j] = d[j, i] = plan_distance_mw(tables[i], tables[j])
    return pd.DataFrame(d, index=names, columns=names)
