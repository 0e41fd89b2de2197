"""The robust plan: the portfolio solved against K sampled futures at once (sample average).

A two-stage model in extensive form. The first stage is the deterministic portfolio's
(:func:`gridfirst.portfolio.build_model`) build, open, deal-signing, PPA and campus decisions
with their rows and costs. Each sampled future ``k`` adds its own dispatch: the capacity each
site delivers (its planned capacity shifted by the future's construction delay, under its pool's
power after the interconnection delay and the grid's answer, times the share of the year its
market is up, its cables carry traffic and, for a deal, the deal closes), the MW served per
(site, demand key, year), bridge colocation rented at a price, and unmet demand at the plan's
penalty, at the future's energy prices. The objective is the first-stage cost plus the mean of
the futures' dispatch cost, optionally plus a weighted CVaR (Rockafellar-Uryasev) or subject to a
chance constraint on meeting demand (``policy.risk_appetite``).

Rows of the deterministic model that involve the dispatch are copied per future, so a deal's
rent (``paid``, first stage) covers the most MW any future uses, a PPA's energy value counts only
the energy every future draws, and training runs only on a campus in every future; a pool's power
in a future is shared by every site in it (deals included), as in the Monte Carlo evaluator. With
one future and every uncertainty off, the model is the deterministic one (same optimum).

The futures are those of :mod:`gridfirst.risk.sampling` under the same seed (the first K futures
of ``gridfirst risk`` with that seed), drawn block by block on the run's executor. The robust
plan's first stage is then fixed in the deterministic model and its dispatch re-solved, so it is
an ordinary :class:`~gridfirst.portfolio.PortfolioResult`; both plans are evaluated by
:func:`gridfirst.risk.run.run` on independent futures (seed + 1), out of sample.

References
----------
.. [1] Shapiro, A., Dentcheva, D., Ruszczynski, A. (2014). Lectures on Stochastic Programming,
   2nd ed., SIAM, ch. 5 (sample average approximation).
.. [2] Rockafellar, R. T., Uryasev, S. (2000). Optimization of conditional value-at-risk.
   Journal of Risk 2(3), 21-41.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from gridfirst.errors import GridfirstError, InfeasibleError, ScenarioError
from gridfirst.parallel import open_executor
from gridfirst.risk.evaluate import RiskResult, _delayed, _window_min
from gridfirst.risk.problem import RiskProblem, problem_from_plan
from gridfirst.risk.run import run
from gridfirst.risk.sampling import Futures, block_generator, block_sizes, draw

if TYPE_CHECKING:
    from gridfirst.portfolio import PortfolioModel, PortfolioResult
    from gridfirst.resolve import Resolved
    from gridfirst.scenario import RiskAppetite

#: Most futures the extensive form takes (its size grows linearly; 50 solve in about a minute).
MAX_FUTURES = 1_000
#: Out-of-sample futures per plan when the caller names none.
DEFAULT_OUT_OF_SAMPLE = 5_000
#: Columns of the first stage that are decisions, fixed when the robust plan is re-solved.
DECISIONS = ("n", "open", "sign", "ppa_sign", "campus")
#: Rows of the deterministic model that involve the dispatch (copied once per future).
RECOURSE_FAMILIES = ("allocation", "demand", "deal_use", "ppa_load", "campus_use")
#: What ``progress(stage, done, total)`` reports, in order.
STAGES = ("futures", "solve", "deterministic out of sample", "robust out of sample")

Progress = Callable[[str, int, int], None]


@dataclass
class SampledFutures:
    """The K futures the robust plan is solved against, on the portfolio model's sites.

    Attributes
    ----------
    build_delay_years : (K, S) construction slip of each site [years].
    keep : (K, S, Y) share of a site's delivered capacity that serves: up, cables working, deal
        closed, own chain available.
    power_mw : (K, P, Y) each pool's facility MW after the interconnection slip and the grid's answer.
    demand_mw : (K, D, Y) demand per key [IT MW].
    price_factor : (K, S, Y) energy price multiple at each site's market.
    """

    build_delay_years: np.ndarray
    keep: np.ndarray
    power_mw: np.ndarray
    demand_mw: np.ndarray
    price_factor: np.ndarray

    @property
    def count(self) -> int:
        return int(self.keep.shape[0])


def _draw_task(problem: RiskProblem, task: tuple[int, int, int]) -> Futures:
    """Block ``block`` (``n`` futures) of a run seeded ``seed`` (one unit of executor work)."""
    seed, block, n = task
    return draw(problem, block_generator(seed, block), n)


def _condense(problem: RiskProblem, f: Futures) -> SampledFutures:
    """What the extensive form reads from a block of futures (see :class:`SampledFutures`)."""
    keep = ((1.0 - f.outage_share[:, problem.site_market]) * (1.0 - f.cable_share[:, problem.site_market]))
    u = problem.site_unavailability
    if u is not None and problem.options.disruption.enabled:
        keep = keep * (1.0 - u)[None, :, None]
    if f.deal_failed is not None:
        keep = keep * (~f.deal_failed)[:, :, None]
    power = problem.pool_power_mw
    pw = _delayed(_window_min(power, power[:, 0]), f.interconnection_delay_months)
    if f.grid_factor is not None:
        pw = pw * f.grid_factor[:, :, None]
    return SampledFutures(
        build_delay_years=f.construction_delay_months / 12.0, keep=keep, power_mw=pw,
        demand_mw=f.demand_mw, price_factor=f.price_factor[:, problem.site_market],
    )


def sample_futures(problem: RiskProblem, futures: int, seed: int, executor: Any = "serial",
                   workers: int | None = None, progress: Callable[[int, int], None] | None = None
                   ) -> SampledFutures:
    """The first ``futures`` futures of seed ``seed`` (blocks as :func:`gridfirst.risk.run.run`
    draws them), drawn on ``executor``; the same numbers on every executor."""
    sizes = block_sizes(futures)
    with open_executor(executor, workers=workers) as pool:
        blocks = pool.map(_draw_task, [(seed, b, n) for b, n in enumerate(sizes)], progress,
                          weights=sizes, shared=problem, unit="futures")
    parts = [_condense(problem, f) for f in blocks]
    return SampledFutures(*(np.concatenate([getattr(p, name) for p in parts]) for name in (
        "build_delay_years", "keep", "power_mw", "demand_mw", "price_factor")))


@dataclass
class ExtensiveForm:
    """The extensive form's arrays (``min c x`` s.t. ``row_lo <= A x <= row_hi``, bounds,
    integers) and where the first stage and each future's blocks sit."""

    c: np.ndarray
    A: sp.csr_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integrality: np.ndarray
    first: np.ndarray  # model column of each first-stage column
    future_cols: int  # columns per future
    offset: int  # first column of future 0


def _shift_terms(delay_years: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capacity delivered in year t after a slip of d = k + f years: (1 - f) cap[t - k] +
    f cap[t - k - 1] (a non-decreasing schedule; years before the first count as 0).
    Returns (site, t, t', weight) triplets as three arrays (site x t flattened, t', weight)."""
    S = delay_years.size
    d = np.minimum(delay_years, float(T + 1))
    k = np.floor(d).astype(int)
    f = d - k
    rows, src, w = [], [], []
    t = np.arange(T)
    if S == 0:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    for j, wt in ((0, 1.0 - f), (1, f)):
        lag = t[None, :] - k[:, None] - j
        ok = (lag >= 0) & (wt[:, None] > 0)
        s_i, t_i = np.nonzero(ok)
        rows.append(s_i * T + t_i)
        src.append(s_i * T + lag[s_i, t_i])
        w.append(wt[s_i])
    return np.concatenate(rows), np.concatenate(src), np.concatenate(w)


def extensive_form(model: PortfolioModel, problem: RiskProblem, fut: SampledFutures,
                   appetite: RiskAppetite | None = None, structural_mw_years: float = 0.0
                   ) -> ExtensiveForm:
    """Build the sample-average model of ``model`` over the futures ``fut``.

    Parameters
    ----------
    model : PortfolioModel
        The deterministic portfolio model (its first stage is kept as it is).
    problem : RiskProblem
        The same inputs as plain arrays (sites, pools, keys in the model's order), for the pools,
        energy and network costs and the bridge options (``problem.options.bridge``).
    appetite : RiskAppetite, optional
        How futures are weighed (default: expected cost).
    structural_mw_years : float
        Unmet MW-years no plan can avoid; the chance constraint counts a future as met when its
        unmet demand is within this.
    """
    K = fut.count
    S, T = len(model.sites), len(model.inputs.years)
    D = len(model.keys)
    A = model.A.tocsr()
    n_cols = model.num_cols
    x_sl, u_sl = model.cols["x"], model.cols["unmet"]
    second = np.zeros(n_cols, bool)
    second[x_sl] = True
    second[u_sl] = True
    first = np.flatnonzero(~second)
    F = first.size
    col_pos = np.full(n_cols, -1)
    col_pos[first] = np.arange(F)
    fam = np.asarray(model.row_family).astype(str)
    rec = np.isin(fam, RECOURSE_FAMILIES)
    touches = np.asarray(abs(A[:, second]).sum(axis=1)).ravel() > 0
    if (touches & ~rec).any():
        bad = sorted(set(fam[touches & ~rec]))
        raise GridfirstError(f"robust plan: rows {bad} involve the dispatch but are not copied per future")
    first_rows = np.flatnonzero(~rec)
    rec_rows = np.flatnonzero(rec)
    nx, nu = x_sl.stop - x_sl.start, u_sl.stop - u_sl.start
    # per future: z (nx) | unmet (nu = D*T) | bridge (D*T) | v (S*T)
    z0, u0, b0, v0 = 0, nx, nx + nu, nx + 2 * nu
    per = nx + 2 * nu + S * T
    offset = F
    measure = appetite.measure if appetite is not None else "expected"
    extra = 1 + K if measure == "cvar" else (K if measure == "chance" else 0)
    N = F + K * per + extra

    # first-stage rows, first-stage columns
    A1 = A[first_rows][:, first].tocoo()
    rows_r, cols_r, vals_r = [A1.row], [A1.col], [A1.data]
    row_lo = [model.row_lower[first_rows]]
    row_hi = [model.row_upper[first_rows]]
    m = first_rows.size

    Ar = A[rec_rows].tocoo()
    r_fam = fam[rec_rows][Ar.row]
    on_first = ~second[Ar.col]
    keep_first = on_first & (r_fam != "allocation")  # allocation's -cap becomes -keep x v
    fr_r, fr_c, fr_v = Ar.row[keep_first], col_pos[Ar.col[keep_first]], Ar.data[keep_first]
    is_x = (Ar.col >= x_sl.start) & (Ar.col < x_sl.stop)
    is_u = (Ar.col >= u_sl.start) & (Ar.col < u_sl.stop)
    sr_r = Ar.row[is_x | is_u]
    sr_c = np.where(is_x, Ar.col - x_sl.start + z0, Ar.col - u_sl.start + u0)[is_x | is_u]
    sr_v = Ar.data[is_x | is_u]
    fam_r = fam[rec_rows]
    alloc_rows = np.flatnonzero(fam_r == "allocation")  # S*T, site-major, in model order
    demand_rows = np.flatnonzero(fam_r == "demand")  # D*T, key-major
    if alloc_rows.size != S * T or demand_rows.size != D * T:
        raise GridfirstError("robust plan: the model's allocation or demand rows are not one per "
                             "site-year and key-year")
    n_rec = rec_rows.size
    cap = model.cols["cap"]
    cap_cols = col_pos[np.arange(cap.start, cap.stop)]  # S*T, site-major
    pool_of = problem.site_pool
    P = len(problem.pools)
    lo_r, hi_r = model.row_lower[rec_rows], model.row_upper[rec_rows]

    # costs (undiscounted per year in cost_parts; discount by column year)
    col_year = model.col_year
    disc = np.where(col_year >= 0, model.discount[np.clip(col_year, 0, T - 1)], 0.0)
    energy = model.cost_parts["energy"] * disc
    network = model.cost_parts["network"] * disc
    unmet_cost = model.cost_parts["unmet"] * disc
    x_idx = np.arange(x_sl.start, x_sl.stop)
    x_site, x_year = model.x_site, model.x_year
    bridge = problem.options.bridge
    bridge_on = bridge.enabled and bridge.max_share_of_demand > 0
    bridge_cost = np.repeat(np.asarray(model.discount, float)[None, :], D, axis=0).ravel() * float(
        bridge.usd_per_mw_year)

    c = np.zeros(N)
    c[:F] = model.cost[first]
    col_lo = np.zeros(N)
    col_hi = np.full(N, np.inf)
    col_lo[:F] = model.col_lower[first]
    col_hi[:F] = model.col_upper[first]
    integ = np.zeros(N, np.int32)
    integ[:F] = model.integrality[first]
    pue = problem.pue
    loss_rows: list[tuple[np.ndarray, np.ndarray]] = []
    for k in range(K):
        base = offset + k * per
        r0 = m
        # the dispatch rows of the deterministic model, per future
        rows_r += [r0 + fr_r, r0 + sr_r]
        cols_r += [fr_c, base + sr_c]
        vals_r += [fr_v, sr_v]
        lo, hi = lo_r.copy(), hi_r.copy()
        dk = fut.demand_mw[k].ravel()
        lo[demand_rows], hi[demand_rows] = dk, dk
        # allocation: sum_k z - keep x v <= 0
        rows_r.append(r0 + alloc_rows)
        cols_r.append(base + v0 + np.arange(S * T))
        vals_r.append(-fut.keep[k].ravel())
        # bridge colocation in the demand rows
        rows_r.append(r0 + demand_rows)
        cols_r.append(base + b0 + np.arange(D * T))
        vals_r.append(np.ones(D * T))
        row_lo.append(lo)
        row_hi.append(hi)
        m += n_rec
        # v <= capacity shifted by the construction slip
        rr, src, w = _shift_terms(fut.build_delay_years[k], T)
        rows_r += [m + np.arange(S * T), m + rr]
        cols_r += [base + v0 + np.arange(S * T), cap_cols[src]]
        vals_r += [np.ones(S * T), -w]
        row_lo.append(np.full(S * T, -np.inf))
        row_hi.append(np.zeros(S * T))
        m += S * T
        # pool power after the interconnection slip and the grid's answer
        s_i = np.repeat(np.arange(S), T)
        t_i = np.tile(np.arange(T), S)
        rows_r.append(m + pool_of[s_i] * T + t_i)
        cols_r.append(base + v0 + s_i * T + t_i)
        vals_r.append(pue[s_i])
        row_lo.append(np.full(P * T, -np.inf))
        row_hi.append(fut.power_mw[k].ravel())
        m += P * T
        # costs and bounds of the future's columns
        ck = np.zeros(per)
        pf = fut.price_factor[k][x_site, x_year]
        ck[z0:z0 + nx] = energy[x_idx] * pf + network[x_idx]
        ck[u0:u0 + nu] = unmet_cost[u_sl]
        ck[b0:b0 + nu] = bridge_cost
        c[base:base + per] = ck / K
        col_hi[base + b0:base + b0 + nu] = (bridge.max_share_of_demand * dk) if bridge_on else 0.0
        loss_rows.append((base + np.flatnonzero(ck), ck[ck != 0]))

    if measure == "cvar":
        assert appetite is not None
        eta = F + K * per
        lam, alpha = float(appetite.cvar_weight), float(appetite.cvar_level)
        c[eta] = lam
        col_lo[eta] = -np.inf
        c[eta + 1:eta + 1 + K] = lam / ((1.0 - alpha) * K)
        for k, (cols, vals) in enumerate(loss_rows):  # xi_k + eta - loss_k >= 0
            rows_r += [np.full(cols.size + 2, m)]
            cols_r += [np.concatenate([cols, [eta, eta + 1 + k]])]
            vals_r += [np.concatenate([-vals, [1.0, 1.0]])]
            row_lo.append(np.zeros(1))
            row_hi.append(np.full(1, np.inf))
            m += 1
    elif measure == "chance":
        assert appetite is not None
        w0 = F + K * per
        col_hi[w0:w0 + K] = 1.0
        integ[w0:w0 + K] = 1
        allowed = math.floor((1.0 - float(appetite.chance_level)) * K + 1e-9)
        for k in range(K):  # unmet_k - big_k x w_k <= structural
            base = offset + k * per
            big = float(fut.demand_mw[k].sum()) + 1.0
            rows_r += [np.full(nu + 1, m)]
            cols_r += [np.concatenate([base + u0 + np.arange(nu), [w0 + k]])]
            vals_r += [np.concatenate([np.ones(nu), [-big]])]
            row_lo.append(np.full(1, -np.inf))
            row_hi.append(np.full(1, structural_mw_years + 1e-6 + float(
                appetite.chance_shortfall_share) * float(fut.demand_mw[k].sum())))
            m += 1
        rows_r += [np.full(K, m)]
        cols_r += [w0 + np.arange(K)]
        vals_r += [np.ones(K)]
        row_lo.append(np.full(1, -np.inf))
        row_hi.append(np.full(1, float(allowed)))
        m += 1
    big_A = sp.csr_matrix((np.concatenate(vals_r), (np.concatenate(rows_r), np.concatenate(cols_r))),
                          shape=(m, N))
    return ExtensiveForm(c=c, A=big_A, row_lo=np.concatenate(row_lo), row_hi=np.concatenate(row_hi),
                         col_lo=col_lo, col_hi=col_hi, integrality=integ, first=first,
                         future_cols=per, offset=offset)


def in_sample_cost(ef: ExtensiveForm, model: PortfolioModel, first_x: np.ndarray) -> float:
    """The extensive form's objective with the decisions (:data:`DECISIONS`) of ``first_x``
    (values on every column of ``model``) fixed: what that plan costs over the same futures."""
    from gridfirst.solver import HighsModel

    lo, hi = ef.col_lo.copy(), ef.col_hi.copy()
    pos = np.full(model.num_cols, -1)
    pos[ef.first] = np.arange(ef.first.size)
    for name in DECISIONS:
        sl = model.cols[name]
        cols = pos[np.arange(sl.start, sl.stop)]
        v = np.round(first_x[sl])
        lo[cols], hi[cols] = v, v
    integ = ef.integrality.copy()
    integ[: ef.first.size] = 0
    sol = HighsModel(ef.c, ef.A, ef.row_lo, ef.row_hi, lo, hi,
                     integ if integ.any() else None).solve(mip_rel_gap=1e-6)
    return float(sol.objective)


def fix_first_stage(model: PortfolioModel, first_x: np.ndarray, threads: int | None = None
                    ) -> PortfolioResult:
    """The deterministic model with the decisions (:data:`DECISIONS`) of ``first_x`` (values on
    every model column; only the decision blocks are read) fixed and the rest re-solved: the
    plan as a :class:`~gridfirst.portfolio.PortfolioResult`, costed in the base future."""
    from gridfirst.portfolio.result import binding_table, decode
    from gridfirst.portfolio.solve import _run_highs

    lo, hi = model.col_lower.copy(), model.col_upper.copy()
    for name in DECISIONS:
        sl = model.cols[name]
        v = np.round(first_x[sl])
        lo[sl], hi[sl] = v, v
    sol = _run_highs(model, integer=False, col_lower=lo, col_upper=hi, threads=threads)
    result = decode(model, sol.x, sol)
    result.binding = binding_table(model, sol.row_dual)
    return result


@dataclass
class RobustPlan:
    """The robust plan next to the deterministic one (money: present value, USD).

    Attributes
    ----------
    plan : PortfolioResult
        The robust plan (its first stage from the sample-average model, its dispatch re-solved
        in the base future).
    deterministic : PortfolioResult
        The plan solved for the base future only.
    summary : dict
        ``futures, seed, out_of_sample_futures, out_of_sample_seed, measure, objective_usd,
        mip_gap, status, price_of_robustness_usd, price_of_robustness_share`` and, per plan
        (``deterministic``, ``robust``), its planned cost and out-of-sample risk.
    builds : pandas.DataFrame
        ``site, year, deterministic_mw, robust_mw`` (IT MW online).
    """

    plan: PortfolioResult
    deterministic: PortfolioResult
    summary: dict[str, Any]
    builds: pd.DataFrame
    risk: dict[str, RiskResult] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary, "builds": self.builds.to_dict(orient="records"),
                "seconds": dict(self.timings)}


#: Out-of-sample figures reported per plan (from :attr:`RiskResult.summary`).
RISK_KEYS = ("cost_mean_usd", "cost_cvar95_usd", "shortfall_mean_mw_years", "shortfall_p90_mw_years",
             "shortfall_cvar95_mw_years", "probability_all_years_met",
             "probability_as_planned")


def _builds(det: PortfolioResult, rob: PortfolioResult) -> pd.DataFrame:
    cols = ["site", "year", "online_mw"]
    a = det.builds[cols].rename(columns={"online_mw": "deterministic_mw"}) if len(det.builds) else \
        pd.DataFrame(columns=["site", "year", "deterministic_mw"])
    b = rob.builds[cols].rename(columns={"online_mw": "robust_mw"}) if len(rob.builds) else \
        pd.DataFrame(columns=["site", "year", "robust_mw"])
    out = a.merge(b, on=["site", "year"], how="outer").fillna(0.0)
    return out.sort_values(["site", "year"]).reset_index(drop=True)


def check_futures(futures: Any) -> int:
    """``futures`` as an int within 1..:data:`MAX_FUTURES`, or a one-line :class:`ScenarioError`."""
    if isinstance(futures, bool) or not isinstance(futures, int | np.integer):
        raise ScenarioError(f"robust futures: {futures!r} must be a whole number of futures")
    if not 1 <= int(futures) <= MAX_FUTURES:
        raise ScenarioError(f"robust futures: {futures} must be within 1..{MAX_FUTURES}")
    return int(futures)


def robust_plan(
    deterministic: PortfolioResult,
    resolved: Resolved | None = None,
    futures: int = 50,
    seed: int = 1,
    appetite: RiskAppetite | None = None,
    out_of_sample: int = DEFAULT_OUT_OF_SAMPLE,
    executor: Any = "serial",
    workers: int | None = None,
    mip_gap: float = 0.01,
    time_limit_s: float = 100.0,
    progress: Progress | None = None,
    problem: RiskProblem | None = None,
) -> RobustPlan:
    """Solve the portfolio against ``futures`` sampled futures and compare it, out of sample,
    with the deterministic plan.

    Parameters
    ----------
    deterministic : PortfolioResult
        The plan solved for the base future (:func:`gridfirst.portfolio.solve_portfolio`); its
        inputs are the robust plan's.
    resolved : Resolved, optional
        The resolved scenario (demand bands, markets, export licences, electrical designs); the
        bundled markets and no bands when None.
    futures : int
        K, the futures of the sample-average model (1..:data:`MAX_FUTURES`).
    seed : int
        Seed of the futures (the first K of ``gridfirst risk --seed``); the out-of-sample
        futures use ``seed + 1``, an independent stream.
    appetite : RiskAppetite, optional
        ``expected``, ``cvar`` or ``chance`` (default ``resolved``'s ``policy.risk_appetite``).
    out_of_sample : int
        Futures of each plan's out-of-sample evaluation (0 skips it).
    executor, workers
        Where futures are drawn and evaluated (:func:`gridfirst.parallel.open_executor`).
    mip_gap, time_limit_s : float
        HiGHS settings of the sample-average model; a plan found by the time limit is kept with
        its gap.
    progress : callable, optional
        ``progress(stage, done, total)`` with ``stage`` in :data:`STAGES`.

    Raises
    ------
    ScenarioError
        K or the out-of-sample count out of range.
    RunCancelled
        On Ctrl-C (drawing, solving or evaluating), after stopping the run's workers.
    """
    from gridfirst.portfolio import build_model
    from gridfirst.solver import HighsModel

    K = check_futures(futures)
    if isinstance(out_of_sample, bool) or not isinstance(out_of_sample, int | np.integer) or out_of_sample < 0:
        raise ScenarioError(f"robust out_of_sample: {out_of_sample!r} must be a whole number >= 0")
    if appetite is None and resolved is not None:
        scen = resolved.scenario if hasattr(resolved, "scenario") else resolved
        appetite = scen.policy.risk_appetite
    if appetite is not None and not hasattr(appetite, "measure"):
        raise ScenarioError(f"policy.risk_appetite: {appetite!r} is not a risk appetite")
    measure = appetite.measure if appetite is not None else "expected"
    report = progress or (lambda stage, done, total: None)
    timings: dict[str, float] = {}
    model = build_model(deterministic.inputs)
    if problem is None:
        problem = problem_from_plan(deterministic, resolved)
    with open_executor(executor, workers=workers) as pool:
        t0 = time.perf_counter()
        fut = sample_futures(problem, K, seed, pool, progress=lambda d, t: report("futures", d, t))
        timings["futures_seconds"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        shortfalls = deterministic.shortfalls
        structural = (float(shortfalls["structural_mw"].sum())
                      if "structural_mw" in shortfalls and not shortfalls.empty else 0.0)
        ef = extensive_form(model, problem, fut, appetite, structural)
        report("solve", 0, 1)
        highs = HighsModel(ef.c, ef.A, ef.row_lo, ef.row_hi, ef.col_lo, ef.col_hi, ef.integrality)
        try:
            sol = highs.solve(time_limit_s=time_limit_s, mip_rel_gap=mip_gap, interruptible=True)
        except InfeasibleError:
            if measure != "chance":
                raise
            assert appetite is not None
            raise ScenarioError(
                f"policy.risk_appetite.chance_level: {appetite.chance_level} cannot be met: no plan "
                f"keeps unmet demand within {appetite.chance_shortfall_share:.0%} of demand (plus the"
                " structural shortfall) in that share of the futures; lower chance_level or raise "
                "chance_shortfall_share") from None
        report("solve", 1, 1)
        timings["build_and_solve_seconds"] = time.perf_counter() - t0
        first_x = np.zeros(model.num_cols)
        first_x[ef.first] = sol.x[:ef.first.size]
        t0 = time.perf_counter()
        plan = fix_first_stage(model, first_x)
        plan.solve_seconds = timings["build_and_solve_seconds"]
        timings["fix_seconds"] = time.perf_counter() - t0

        det_cost = float(deterministic.total_cost_usd)
        rob_cost = float(plan.total_cost_usd)
        summary: dict[str, Any] = {
            "futures": K,
            "seed": int(seed),
            "measure": measure,
            "objective_usd": float(sol.objective),
            "status": sol.status,
            "mip_gap": float(sol.gap),
            "price_of_robustness_usd": rob_cost - det_cost,
            "price_of_robustness_share": (rob_cost - det_cost) / det_cost if det_cost else math.nan,
            "out_of_sample_futures": int(out_of_sample),
            "out_of_sample_seed": int(seed) + 1,
            "deterministic": {"planned_cost_usd": det_cost,
                              "cash_cost_usd": float(deterministic.cash_cost_usd)},
            "robust": {"planned_cost_usd": rob_cost, "cash_cost_usd": float(plan.cash_cost_usd)},
        }
        if appetite is not None and measure == "cvar":
            summary.update(cvar_level=appetite.cvar_level, cvar_weight=appetite.cvar_weight)
        if appetite is not None and measure == "chance":
            summary.update(chance_level=appetite.chance_level)
        risks: dict[str, RiskResult] = {}
        if out_of_sample > 0:
            for name, p in (("deterministic", deterministic), ("robust", plan)):
                stage = f"{name} out of sample"
                t0 = time.perf_counter()
                prob = problem if p is deterministic else problem_from_plan(
                    p, resolved, problem.options)
                risks[name] = run(prob, samples=int(out_of_sample), seed=int(seed) + 1,
                                  executor=pool, progress=partial(report, stage))
                timings[f"{name}_out_of_sample_seconds"] = time.perf_counter() - t0
                summary[name].update({k: float(risks[name].summary[k]) for k in RISK_KEYS})
    return RobustPlan(plan=plan, deterministic=deterministic, summary=summary,
                      builds=_builds(deterministic, plan), risk=risks, timings=timings)
