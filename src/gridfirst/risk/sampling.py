"""Seeded, vectorised sampling of futures: one numpy Generator per block of samples.

Block ``b`` of a run with seed ``s`` draws from ``SeedSequence(s, spawn_key=(b,))`` (what
``SeedSequence(s).spawn(n)[b]`` gives), so a block's futures do not depend on which worker, chunk
or executor draws them. Every random number is drawn in a fixed order and shape from uniforms
and normals, whatever the options, so switching one source off leaves the others' draws alone
(common random numbers). Nothing here evaluates a plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from gridfirst.risk.problem import RiskProblem
from gridfirst.risk.uncertainty import (
    DelayOptions,
    delay_sigma,
    disruption_rate_per_year,
    threat_share,
    two_piece_quantile_scale,
)

#: Samples per block: the unit of randomness. Chunks handed to workers are whole blocks.
BLOCK_SIZE = 250
#: Poisson counts are truncated here (rates are far below one event a year).
_MAX_EVENTS = 12


@dataclass
class Futures:
    """n sampled futures of one block (arrays lead with the sample axis).

    Attributes
    ----------
    interconnection_delay_months : (n, P) per power pool.
    construction_delay_months : (n, S) per site.
    outage_share : (n, M, Y) share of the year a market's sites are down [0, 1].
    cable_share : (n, M, Y) share of a market's capacity-year stranded by cable faults [0, 1].
    price_factor : (n, M, Y) multiple of the planned energy price [-].
    demand_mw : (n, K, Y) demand [IT MW].
    grid_factor : (n, P) multiple of each pool's planned power after the grid's answer: 0 when
        refused, the accepted share over the expected one otherwise (1 for pools never refused).
    deal_failed : (n, S) the site is a deal that fails to deliver in this future.
    export_denied : (n, M) the market's export licence is refused (its outage share is then 1).
    """

    interconnection_delay_months: np.ndarray
    construction_delay_months: np.ndarray
    outage_share: np.ndarray
    cable_share: np.ndarray
    price_factor: np.ndarray
    demand_mw: np.ndarray
    grid_factor: np.ndarray | None = None
    deal_failed: np.ndarray | None = None
    export_denied: np.ndarray | None = None


def block_generator(seed: int, block: int) -> np.random.Generator:
    """The Generator of block ``block`` of a run seeded ``seed``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(block,))))


def block_sizes(samples: int, block_size: int = BLOCK_SIZE) -> list[int]:
    """Samples in each block: full blocks and one shorter last block."""
    full, rest = divmod(samples, block_size)
    return [block_size] * full + ([rest] if rest else [])


def _delays(rng: np.random.Generator, n: int, opts: DelayOptions, lead_months: np.ndarray,
            backlog: np.ndarray) -> np.ndarray:
    u = rng.random((n, lead_months.size))
    z = rng.standard_normal((n, lead_months.size))
    if not opts.enabled:
        return np.zeros((n, lead_months.size))
    scale = np.maximum(lead_months, opts.min_lead_months) * opts.median_share_of_lead_time
    late = scale * np.exp(delay_sigma(opts, backlog) * z)
    return np.where(u < opts.on_time_probability, 0.0, late)


def _poisson_inverse(u: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Poisson counts by inversion of the CDF (one uniform per cell, any rate shape)."""
    term = np.exp(-rate)
    cdf = term.copy()
    count = np.zeros(u.shape, dtype=np.int64)
    for k in range(1, _MAX_EVENTS + 1):
        more = u > cdf
        if not more.any():
            break
        count += more
        term = term * rate / k
        cdf = cdf + term
    return count


def _gamma_quantile(shape: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Quantile of Gamma(shape, 1) at ``u``: exact for shape 1 (the common single event),
    Wilson-Hilferty for more (mean within 0.03% for shape >= 2; the relative error is larger
    only in the far lower tail, i.e. for the shortest total outages); used instead of
    ``scipy.special.gammaincinv``, which dominated the run time.

    References
    ----------
    .. [1] Wilson, E. B., Hilferty, M. M. (1931). The distribution of chi-square. PNAS 17(12),
       684-688.
    """
    one = -np.log1p(-u)
    z = ndtri(u)
    k = np.maximum(shape, 1.0)
    wh = k * np.maximum(1.0 - 1.0 / (9.0 * k) + z / np.sqrt(9.0 * k), 0.0) ** 3
    return np.where(shape <= 1, one, wh)


def _event_months(u_count: np.ndarray, u_length: np.ndarray, rate: np.ndarray, mean_months: float
                  ) -> np.ndarray:
    """Total months lost to a Poisson number of exponential events (a gamma by inversion)."""
    count = _poisson_inverse(u_count, np.broadcast_to(rate, u_count.shape))
    months = np.zeros(u_count.shape)
    hit = count > 0
    if hit.any():
        months[hit] = mean_months * _gamma_quantile(count[hit].astype(float), u_length[hit])
    return months


def draw(problem: RiskProblem, rng: np.random.Generator, n: int) -> Futures:
    """Draw ``n`` futures of ``problem`` under ``problem.options``.

    References
    ----------
    .. [1] O'Neill, M. E. (2014). PCG: A family of simple fast space-efficient statistically good
       algorithms for random number generation. HMC-CS-2014-0905 (numpy's PCG64).
    """
    o = problem.options
    facts = problem.market_facts
    backlog = facts["backlog_years"].to_numpy(float)
    Y = problem.years.size
    M = len(problem.markets)
    K = len(problem.keys)

    inter = _delays(rng, n, o.interconnection, problem.pool_lead_months, backlog[problem.pool_market])
    build = _delays(rng, n, o.construction, problem.site_lead_months, backlog[problem.site_market])

    u_count, u_length = rng.random((n, M, Y)), rng.random((n, M, Y))
    rate = disruption_rate_per_year(
        o.disruption, threat_share(facts), facts["seismic_hazard_pga_g"].to_numpy(),
        facts["cyclone_hazard_level"].to_numpy().astype(int),
    )
    if o.disruption.enabled:
        outage = np.minimum(_event_months(u_count, u_length, rate[None, :, None],
                                          o.disruption.outage_mean_months) / 12.0, 1.0)
    else:
        outage = np.zeros((n, M, Y))

    u_count, u_length = rng.random((n, M, Y)), rng.random((n, M, Y))
    systems = np.maximum(facts["cable_systems_count"].to_numpy(float), 1.0)
    if o.cable.enabled:
        months = _event_months(u_count, u_length, (o.cable.faults_per_system_year * systems)[None, :, None],
                               o.cable.repair_mean_months)
        # Each fault strands 1/n of the market's systems, of which a share cannot re-route.
        cable = np.minimum(months / 12.0 * o.cable.unprotected_share / systems[None, :, None], 1.0)
    else:
        cable = np.zeros((n, M, Y))

    common = rng.standard_normal((n, Y))
    own = rng.standard_normal((n, M, Y))
    spike_u = rng.random((n, Y))
    if o.price.enabled:
        p = o.price
        rho = p.year_correlation
        innov = np.sqrt(max(1.0 - rho * rho, 0.0))
        c_path = np.empty_like(common)
        m_path = np.empty_like(own)
        c_path[:, 0], m_path[:, :, 0] = common[:, 0], own[:, :, 0]
        for t in range(1, Y):  # stationary AR(1): unit variance every year
            c_path[:, t] = rho * c_path[:, t - 1] + innov * common[:, t]
            m_path[:, :, t] = rho * m_path[:, :, t - 1] + innov * own[:, :, t]
        log_f = p.common_sigma * c_path[:, None, :] + p.market_sigma * m_path
        log_f -= 0.5 * (p.common_sigma**2 + p.market_sigma**2)  # mean-one factor
        spike = np.where(spike_u < p.spike_probability_per_year, p.spike_multiplier, 1.0)
        price = np.exp(log_f) * spike[:, None, :]
    else:
        price = np.ones((n, M, Y))

    shared = rng.standard_normal((n, 1))
    own_k = rng.standard_normal((n, K))
    base = problem.demand_mw[None]
    if o.demand.enabled and K:
        rho = o.demand.key_correlation
        z = (np.sqrt(rho) * shared + np.sqrt(1.0 - rho) * own_k)[:, :, None] / two_piece_quantile_scale(
            o.demand.band_quantile)
        up = (problem.demand_high_mw - problem.demand_mw)[None]
        down = (problem.demand_mw - problem.demand_low_mw)[None]
        demand = np.maximum(base + np.where(z > 0, z * up, z * down), 0.0)
    else:
        demand = np.broadcast_to(base, (n, K, Y)).copy()
    # Export licences refused: a market whose licence is denied delivers nothing all horizon.
    # Drawn after the streams above so that they are those of plans without licence risk; the
    # grid answers and deal failures follow, one uniform per pool and per site, always drawn.
    deny_p = (facts["denial_probability"].to_numpy(float) if "denial_probability" in facts
              else np.zeros(M))
    denied = np.zeros((n, M), bool)
    if (deny_p > 0).any():
        u_deny = rng.random((n, M))
        if o.export_denial.enabled:
            denied = u_deny < deny_p[None, :]
            outage = np.where(denied[:, :, None], 1.0, outage)
    u_grid = rng.random((n, len(problem.pools)))
    u_deal = rng.random((n, len(problem.sites)))
    grid = np.ones((n, len(problem.pools)))
    refuse_p = problem.pool_refusal_probability
    if o.grid_refusal.enabled and refuse_p is not None and problem.pool_accepted_factor is not None:
        grid = np.where(u_grid < refuse_p[None, :], 0.0, problem.pool_accepted_factor[None, :])
    failed = np.zeros((n, len(problem.sites)), bool)
    fail_p = problem.site_failure_probability
    if o.deal_failure.enabled and fail_p is not None:
        failed = u_deal < fail_p[None, :]
    return Futures(inter, build, outage, cable, price, demand, grid, failed, denied)
