"""The banded interior point keeps upper bounds implicitly: same optimum as HiGHS with the bounds
as bounds, and as the same method with the bounds written as rows and slack columns."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from gridfirst.procurement.fast_ipm import BorderedBandedLP, mehrotra, unscale


def _chain_lp(seed: int, m: int) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray, np.ndarray]:
    """Rows in a chain (each column touches one row or two neighbours, like a storage level),
    a feasible point strictly inside the bounds, costs that keep the LP bounded."""
    rng = np.random.default_rng(seed)
    cols = []
    for i in range(m):
        cols.append({i: rng.uniform(0.5, 2.0)})
        cols.append({i: -rng.uniform(0.5, 2.0)})
        if i + 1 < m:
            cols.append({i: 1.0, i + 1: -rng.uniform(0.5, 1.5)})
    n = len(cols)
    rows = [r for col in cols for r in col]
    idx = [j for j, col in enumerate(cols) for _ in col]
    vals = [v for col in cols for v in col.values()]
    a = sp.csc_matrix((vals, (rows, idx)), shape=(m, n))
    upper = np.where(rng.random(n) < 0.6, rng.uniform(1.0, 5.0, n), np.inf)
    x0 = np.where(np.isfinite(upper), rng.uniform(0.1, 0.9, n) * np.where(
        np.isfinite(upper), upper, 1.0), rng.uniform(0.1, 3.0, n))
    b = a @ x0
    c = np.where(np.isfinite(upper), rng.normal(0.0, 2.0, n), rng.uniform(0.1, 2.0, n))
    return a, b, c, upper


def _solve(a: sp.csc_matrix, b: np.ndarray, c: np.ndarray, upper: np.ndarray | None) -> float:
    lp = BorderedBandedLP(a, b, c, n_band=a.shape[0], dense_cols=np.zeros(0, np.int64),
                          upper=upper)
    res = mehrotra(lp, tol=1e-9)
    assert res.converged
    x, _ = unscale(lp, res.state)
    assert np.all(x >= -1e-7)
    if upper is not None:
        assert np.all(x <= upper + 1e-6)
    np.testing.assert_allclose(a @ x, b, atol=1e-6)
    return float(c @ x)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 40))
def test_implicit_bounds_match_highs(seed: int, m: int) -> None:
    a, b, c, upper = _chain_lp(seed, m)
    ref = linprog(c, A_eq=a, b_eq=b, bounds=list(zip(np.zeros_like(upper), upper, strict=True)),
                  method="highs")
    assert ref.status == 0
    ours = _solve(a, b, c, upper)
    assert abs(ours - ref.fun) <= 1e-6 * (1.0 + abs(ref.fun))


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 30))
def test_implicit_bounds_equal_bound_rows(seed: int, m: int) -> None:
    """The same LP with each bound written as a row x_j + s_j = u_j (what the fleet's standard
    form did before) has the same optimum."""
    a, b, c, upper = _chain_lp(seed, m)
    bounded = np.flatnonzero(np.isfinite(upper))
    n, k = a.shape[1], bounded.size
    rows = sp.csc_matrix((np.ones(2 * k), (np.tile(np.arange(k), 2),
                         np.concatenate([bounded, n + np.arange(k)]))), shape=(k, n + k))
    big = sp.vstack([sp.hstack([a, sp.csc_matrix((a.shape[0], k))]), rows]).tocsc()
    explicit = _solve(big, np.concatenate([b, upper[bounded]]),
                      np.concatenate([c, np.zeros(k)]), None)
    implicit = _solve(a, b, c, upper)
    assert abs(explicit - implicit) <= 1e-6 * (1.0 + abs(explicit))
