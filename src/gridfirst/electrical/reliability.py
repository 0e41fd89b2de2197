"""Reliability block diagrams of repairable equipment: steady-state availability and its check.

Holds the blocks (a unit, series, parallel, k-out-of-n), their closed-form availability and a seeded
Monte Carlo of alternating renewal processes; not which equipment a facility has (see topology).

Why closed forms rather than a reliability library: the packages on PyPI that build block diagrams
(``reliability`` fits lifetime distributions but has no repairable block diagram; RePyability
takes fitted ``surpyval`` models and pulls in that stack) would add dependencies for four formulas.
With exponential up and down times and one repair crew per unit (independent repair), a unit's
steady-state availability is ``A = MTBF / (MTBF + MTTR)``, units fail and recover independently, so
series is the product, parallel one minus the product of unavailabilities and k-out-of-n the
binomial tail in A (``scipy.stats.binom``). The Monte Carlo simulates each unit's up/down history
with numpy and evaluates the same diagram on a time grid, so it checks the closed forms without
sharing their algebra.

References
----------
.. [1] IEEE Std 493-2007, Recommended Practice for the Design of Reliable Industrial and Commercial
   Power Systems (Gold Book), ch. 2: availability of series, parallel and k-out-of-n systems.
.. [2] Billinton, R., Allan, R. N. (1992). Reliability Evaluation of Engineering Systems, 2nd ed.,
   ch. 9 (continuous Markov processes, repairable systems).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from gridfirst.errors import DataError

if TYPE_CHECKING:
    import numpy as np

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class Unit:
    """One repairable unit with exponential times to failure and to repair.

    Attributes
    ----------
    name : str
        Component name (e.g. ``ups``).
    failure_rate_per_year : float
        Failures per year of operation [1/yr], > 0.
    mttr_hours : float
        Mean time to repair [h], > 0.
    """

    name: str
    failure_rate_per_year: float
    mttr_hours: float

    def __post_init__(self) -> None:
        if not self.failure_rate_per_year > 0 or not self.mttr_hours > 0:
            raise DataError(
                f"unit {self.name!r}: failure_rate_per_year and mttr_hours must be > 0, got "
                f"{self.failure_rate_per_year!r} and {self.mttr_hours!r}"
            )

    @property
    def mtbf_hours(self) -> float:
        """Mean time between failures [h] (mean up time)."""
        return HOURS_PER_YEAR / self.failure_rate_per_year


@dataclass(frozen=True)
class Series:
    """Up only while every block is up."""

    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Parallel:
    """Up while at least one block is up."""

    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class KofN:
    """Up while at least ``k`` of ``n`` identical copies of ``block`` are up."""

    k: int
    n: int
    block: Block

    def __post_init__(self) -> None:
        if not 0 <= self.k <= self.n or self.n < 1:
            raise DataError(f"k-out-of-n block: need 0 <= k <= n and n >= 1, got k={self.k}, n={self.n}")


Block = Unit | Series | Parallel | KofN


def unit_availability(unit: Unit) -> float:
    """Steady-state availability of one unit, ``MTBF / (MTBF + MTTR)``."""
    return unit.mtbf_hours / (unit.mtbf_hours + unit.mttr_hours)


def k_of_n_availability(k: int, n: int, availability: float) -> float:
    """Chance that at least ``k`` of ``n`` independent units of availability A are up.

    The binomial tail ``sum_{i=k}^{n} C(n, i) A^i (1 - A)^(n - i)``, computed as the survival function
    so that tiny unavailabilities keep their digits.
    """
    from scipy.stats import binom

    if k <= 0:
        return 1.0
    return float(binom.sf(k - 1, n, availability))


def k_of_n_unavailability(k: int, n: int, availability: float) -> float:
    """``1 - k_of_n_availability`` without the cancellation: the chance that more than n-k are down."""
    from scipy.stats import binom

    if k <= 0:
        return 0.0
    # more than n - k failed: failures ~ Binomial(n, 1 - A)
    return float(binom.sf(n - k, n, 1.0 - availability))


def unavailability(block: Block) -> float:
    """Steady-state unavailability ``1 - A`` of a block, computed so that small values keep digits."""
    if isinstance(block, Unit):
        return block.mttr_hours / (block.mtbf_hours + block.mttr_hours)
    if isinstance(block, Series):
        import math

        # 1 - prod(1 - u_i) without cancellation
        return -math.expm1(sum(math.log1p(-unavailability(b)) for b in block.blocks))
    if isinstance(block, Parallel):
        import math

        return math.prod(unavailability(b) for b in block.blocks)
    if isinstance(block, KofN):
        return k_of_n_unavailability(block.k, block.n, 1.0 - unavailability(block.block))
    raise TypeError(f"not a block: {block!r}")


def availability(block: Block) -> float:
    """Steady-state availability of a block diagram (independent units, independent repair)."""
    return 1.0 - unavailability(block)


def failure_frequency_per_year(block: Block) -> float:
    """Steady-state frequency of the block's failures (up-to-down transitions) [1/yr].

    Exact for independent blocks: a unit fails at ``A * lambda``; a series block fails when one of
    its blocks fails while the others are up; a parallel block when the last one up fails; a
    k-out-of-n block when one of exactly k up copies fails (each at ``f / A`` while up).
    """
    import math

    if isinstance(block, Unit):
        return availability(block) * block.failure_rate_per_year
    if isinstance(block, (Series, Parallel)):
        parts = [(failure_frequency_per_year(b), availability(b), unavailability(b))
                 for b in block.blocks]
        total = 0.0
        for i, (f_i, _, _) in enumerate(parts):
            others = [p[1] if isinstance(block, Series) else p[2]
                      for j, p in enumerate(parts) if j != i]
            total += f_i * math.prod(others)
        return total
    if isinstance(block, KofN):
        if block.k <= 0:
            return 0.0
        a, f = availability(block.block), failure_frequency_per_year(block.block)
        u = unavailability(block.block)
        exactly_k = math.comb(block.n, block.k) * a ** block.k * u ** (block.n - block.k)
        return exactly_k * block.k * f / a
    raise TypeError(f"not a block: {block!r}")


def units(block: Block) -> int:
    """Number of physical units in the diagram (copies of a k-out-of-n block counted)."""
    if isinstance(block, Unit):
        return 1
    if isinstance(block, (Series, Parallel)):
        return sum(units(b) for b in block.blocks)
    return block.n * units(block.block)


@dataclass(frozen=True)
class MonteCarloResult:
    """Simulated unavailability with a confidence interval.

    Attributes
    ----------
    unavailability : float
        Mean fraction of time down over the replications.
    ci_low, ci_high : float
        Two-sided confidence interval of the mean (Student t over replications).
    confidence : float
        Level of the interval.
    replications : int
    years : float
        Simulated years per replication.
    failures_per_year : float
        System failures (up-to-down transitions seen on the grid) per simulated year.
    """

    unavailability: float
    ci_low: float
    ci_high: float
    confidence: float
    replications: int
    years: float
    failures_per_year: float


def monte_carlo(
    block: Block,
    seed: int,
    years: float = 20.0,
    replications: int = 30,
    step_hours: float = 1.0,
    confidence: float = 0.99,
) -> MonteCarloResult:
    """Simulate the diagram's units as alternating renewal processes and time-average its state.

    Each unit starts up with chance A (the stationary state; memoryless times make the residual
    time exponential too), then alternates exponential up times (mean MTBF) and down times (mean
    MTTR). The diagram is evaluated on a grid of ``step_hours`` over ``years``; the fraction of
    grid points down is one replication's unavailability.

    Parameters
    ----------
    block : Block
        The diagram.
    seed : int
        Seed of ``numpy.random.default_rng``.
    years : float
        Simulated time per replication [yr].
    replications : int
        Independent replications (>= 2) for the interval.
    step_hours : float
        Grid step [h]; keep it below the shortest MTTR.
    confidence : float
        Level of the two-sided interval.

    Returns
    -------
    MonteCarloResult
    """
    import numpy as np
    from scipy import stats

    if replications < 2 or years <= 0 or step_hours <= 0:
        raise DataError("monte_carlo: need replications >= 2, years > 0 and step_hours > 0")
    rng = np.random.default_rng(seed)
    horizon = years * HOURS_PER_YEAR
    grid = np.arange(0.0, horizon, step_hours)
    downs = np.empty(replications)
    failures = np.empty(replications)
    for r in range(replications):
        up = _simulate(block, rng, grid, horizon)
        downs[r] = 1.0 - up.mean()
        failures[r] = np.count_nonzero(up[:-1] & ~up[1:]) / years
    mean = float(downs.mean())
    half = float(stats.t.ppf(0.5 + confidence / 2, replications - 1) * downs.std(ddof=1)
                 / np.sqrt(replications))
    return MonteCarloResult(mean, mean - half, mean + half, confidence, replications, years,
                            float(failures.mean()))


def _simulate(block: Block, rng: np.random.Generator, grid: np.ndarray, horizon: float) -> np.ndarray:
    """Boolean up-state of ``block`` at the grid times (fresh, independent units each call)."""
    import numpy as np

    if isinstance(block, Unit):
        return _unit_history(block, rng, grid, horizon)
    if isinstance(block, Series):
        state = np.ones(grid.shape, dtype=bool)
        for b in block.blocks:
            state &= _simulate(b, rng, grid, horizon)
        return state
    if isinstance(block, Parallel):
        state = np.zeros(grid.shape, dtype=bool)
        for b in block.blocks:
            state |= _simulate(b, rng, grid, horizon)
        return state
    count = np.zeros(grid.shape, dtype=np.int32)
    for _ in range(block.n):
        count += _simulate(block.block, rng, grid, horizon)
    return count >= block.k


def _unit_history(unit: Unit, rng: np.random.Generator, grid: np.ndarray, horizon: float) -> np.ndarray:
    """Up-state of one alternating renewal process (exponential up and down times) at ``grid``."""
    import numpy as np

    mtbf, mttr = unit.mtbf_hours, unit.mttr_hours
    starts_up = bool(rng.random() < mtbf / (mtbf + mttr))
    # enough cycles to pass the horizon with overwhelming probability; extend if not
    cycles = int(horizon / (mtbf + mttr) * 1.5) + 20
    while True:
        ups = rng.exponential(mtbf, cycles)
        downs = rng.exponential(mttr, cycles)
        first, second = (ups, downs) if starts_up else (downs, ups)
        durations = np.empty(2 * cycles)
        durations[0::2], durations[1::2] = first, second
        switches = np.cumsum(durations)
        if switches[-1] >= horizon:
            break
        cycles *= 2
    # number of switches at or before t: even -> initial state, odd -> the other
    flips = np.searchsorted(switches, grid, side="right")
    return (flips % 2 == 0) if starts_up else (flips % 2 == 1)
