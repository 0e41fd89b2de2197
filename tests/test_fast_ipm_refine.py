"""Extra refinement of a Newton direction: where the factorisation is only a preconditioner (as
near an interior point's optimum), further solves keep cutting the direction's primal error, and
they stop once it is small enough or no longer halves."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fast_ipm_bounds import _chain_lp

from gridfirst.procurement.fast_ipm import BorderedBandedLP, _direction, _Pairs, _theta


def _setup(seed: int, m: int, spread: float):
    """An LP, an interior iterate, and a factorisation of weights off by up to ``spread``."""
    a, b, c, _ = _chain_lp(seed, m)
    lp = BorderedBandedLP(a, b, c, n_band=a.shape[0], dense_cols=np.zeros(0, np.int64))
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.1, 2.0, lp.n)
    z = rng.uniform(0.1, 2.0, lp.n)
    none = np.zeros(0)
    bp = _Pairs(np.zeros(0, np.int64), none, none, none, none)
    theta = _theta(x, z, bp)
    lp.factorise(theta * rng.uniform(1.0 - spread, 1.0 + spread, lp.n))
    rp = rng.normal(size=lp.m)
    rd = rng.normal(size=lp.n)
    rc = rng.normal(size=lp.n)
    return lp, x, z, theta, bp, rp, rd, rc, none


def _primal_error(seed: int, m: int, spread: float, extra: int, above: float) -> float:
    lp, x, z, theta, bp, rp, rd, rc, none = _setup(seed, m, spread)
    dx = _direction(lp, rp, rd, rc, x, z, theta, 1, bp, none, none, 1e-12, 1e-14, extra,
                    above)[0]
    err = np.empty(lp.m)
    lp.residual(dx, rp, err)
    return float(np.linalg.norm(err))


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31), st.integers(3, 40))
def test_extra_solves_cut_the_error_of_an_inexact_factorisation(seed: int, m: int) -> None:
    plain = _primal_error(seed, m, 0.3, 0, 0.0)
    extra = _primal_error(seed, m, 0.3, 12, 0.0)
    # weights off by at most 30 % contract the error by 0.3 or better per solve
    assert extra <= max(1e-4 * plain, 1e-12)


@settings(max_examples=10, deadline=None)
@given(st.integers(0, 2**31), st.integers(3, 40))
def test_extra_solves_stop_below_their_threshold(seed: int, m: int) -> None:
    plain = _primal_error(seed, m, 0.3, 0, 0.0)
    # an error already below the threshold takes no further solve: the same direction
    assert _primal_error(seed, m, 0.3, 12, 10.0 * plain + 1.0) == plain
