"""The compiled kernels of the banded interior point against NumPy and SciPy on random data."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from gridfirst.procurement import band_kernels as bk


def _spd_band(rng: np.random.Generator, n: int, bw: int) -> np.ndarray:
    """A random symmetric positive definite band matrix, dense."""
    m = np.zeros((n, n))
    for d in range(1, bw + 1):
        v = rng.normal(size=n - d)
        m += np.diag(v, -d) + np.diag(v, d)
    m += np.diag(np.abs(m).sum(axis=1) + rng.uniform(0.1, 2.0, n))
    return m


def _lower_rows(m: np.ndarray, bw: int) -> np.ndarray:
    n = m.shape[0]
    out = np.zeros((n, bw + 1))
    for d in range(bw + 1):
        out[: n - d, d] = np.diag(m, -d)
    return out


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 60), st.integers(0, 6), st.integers(1, 5), st.integers(0, 2**31))
def test_band_cholesky_and_block_solve_match_dense(n: int, bw: int, k: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    bw = min(bw, n - 1)
    m = _spd_band(rng, n, bw)
    band = _lower_rows(m, bw)
    assert bk.band_cholesky(band) == -1
    dense_l = np.linalg.cholesky(m)
    np.testing.assert_allclose(band, _lower_rows(dense_l, bw), rtol=1e-10, atol=1e-12)
    r = rng.normal(size=(n, k))
    z = r.copy()
    bk.band_forward_block(band, z)
    np.testing.assert_allclose(dense_l @ z, r, rtol=1e-9, atol=1e-9)


def test_band_cholesky_reports_the_first_bad_pivot() -> None:
    m = np.diag([1.0, 2.0, -1.0, 3.0])
    band = _lower_rows(m, 1)
    assert bk.band_cholesky(band) == 2


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(1, 200), st.integers(0, 2**31))
def test_scatters_match_bincount(size: int, entries: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    flat = np.sort(rng.integers(0, size, entries)).astype(np.uint32)
    w = rng.normal(size=entries)
    u = rng.uniform(0.5, 2.0, 30)
    iu = rng.integers(0, 30, entries).astype(np.uint32)
    v = rng.uniform(0.5, 2.0, 7)
    iv = rng.integers(0, 7, entries).astype(np.uint32)
    out = np.zeros(size)
    bk.scatter(out, flat, w, u, iu)
    np.testing.assert_allclose(out, np.bincount(flat, w * u[iu], minlength=size), atol=1e-12)
    out = np.ones(size)
    bk.scatter_fill(out, flat, u, iu, iu, v, iv)
    expect = 1.0 - np.bincount(flat, u[iu] ** 2 / v[iv], minlength=size)
    np.testing.assert_allclose(out, expect, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 30), st.integers(1, 30), st.floats(0.05, 0.6), st.integers(0, 2**31))
def test_products_with_a_match_scipy(m: int, n: int, density: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = sp.random(m, n, density=density, random_state=rng, format="csc")
    a.sort_indices()
    ptr, idx = a.indptr.astype(np.uint32), a.indices.astype(np.uint32)
    x, y, c, z = rng.normal(size=n), rng.normal(size=m), rng.normal(size=n), rng.normal(size=n)
    base = rng.normal(size=m)
    out = np.empty(m)
    bk.residual(ptr, idx, a.data, x, base, out)
    np.testing.assert_allclose(out, base - a @ x, atol=1e-12)
    out_n = np.empty(n)
    bk.dual_residual(ptr, idx, a.data, y, c, z, out_n)
    np.testing.assert_allclose(out_n, c - a.T @ y - z, atol=1e-12)
    theta = rng.uniform(0.1, 3.0, n)
    dx, dz = x.copy(), z.copy()
    bk.dual_step(ptr, idx, a.data, y, theta, dx, dz)
    np.testing.assert_allclose(dx, x + theta * (a.T @ y), atol=1e-12)
    np.testing.assert_allclose(dz, z - a.T @ y, atol=1e-12)


def test_leaf_solves_invert_the_reduced_system() -> None:
    """One solve through eliminated leaves: [D N'; N S] [y_l; y_k] = [v_l; v_k] with S = L L' +
    N D^-1 N' and no border (Z empty) gives the exact solution of the block system."""
    rng = np.random.default_rng(3)
    nk, nl, bw = 12, 9, 2
    s_band = _spd_band(rng, nk, bw)
    nkl = sp.random(nk, nl, density=0.3, random_state=rng, format="csr")
    dll = rng.uniform(0.5, 2.0, nl)
    full = np.block([[np.diag(dll), nkl.T.toarray()], [nkl.toarray(),
                     s_band + nkl.toarray() @ np.diag(1 / dll) @ nkl.T.toarray()]])
    band = _lower_rows(s_band, bw)
    bk.band_cholesky(band)
    leaf = np.arange(nl, dtype=np.uint32)
    kept = np.arange(nl, nl + nk, dtype=np.uint32)
    v = rng.normal(size=nl + nk)
    u, q = np.empty(nl), np.empty(nk)
    nlk = nkl.T.tocsr()
    bk.leaf_forward(v, kept, leaf, dll, nkl.indptr.astype(np.uint32),
                    nkl.indices.astype(np.uint32), nkl.data, band, 1.0 / band[:, 0], u, q)
    out = np.empty(nl + nk)
    bk.leaf_backward(q, v[:nl].copy(), kept, leaf, dll, nlk.indptr.astype(np.uint32),
                     nlk.indices.astype(np.uint32), nlk.data, band, 1.0 / band[:, 0], out)
    np.testing.assert_allclose(full @ out, v, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 15), st.integers(1, 12), st.integers(0, 3), st.integers(1, 4),
       st.integers(0, 2**31))
def test_border_block_matches_dense_algebra(nk: int, nl: int, nc: int, nd: int,
                                            seed: int) -> None:
    """E_k - N_kl D^-1 E_l and E_l' D^-1 E_l from the compiled pass equal the dense products."""
    rng = np.random.default_rng(seed)
    nb = nk + nl
    leaf = rng.permutation(nb)[:nl].astype(np.uint32)
    kept = np.setdiff1d(np.arange(nb), leaf).astype(np.uint32)
    bc = rng.normal(size=(nb, nc))
    dll = rng.uniform(0.5, 2.0, nl)
    nkl = sp.random(nk, nl, density=0.4, random_state=rng, format="csr")
    adl = sp.random(nl, nd, density=0.5, random_state=rng, format="csr")
    adk = sp.random(nk, nd, density=0.3, random_state=rng, format="csr")
    for mat in (nkl, adl, adk):
        mat.sort_indices()
    r = np.full((nk, nc + nd), np.nan)
    ele = np.full((nc + nd, nc + nd), np.nan)

    def u32(a: np.ndarray) -> np.ndarray:
        return a.astype(np.uint32)

    bk.border_block(bc, kept, leaf, dll, u32(nkl.indptr), u32(nkl.indices), nkl.data,
                    u32(adl.indptr), u32(adl.indices), adl.data, u32(adk.indptr),
                    u32(adk.indices), adk.data, r, ele)
    e_l = np.hstack([bc[leaf], adl.toarray()])
    e_k = np.hstack([bc[kept], adk.toarray()])
    np.testing.assert_allclose(r, e_k - nkl.toarray() @ (e_l / dll[:, None]), atol=1e-10)
    np.testing.assert_allclose(ele, e_l.T @ (e_l / dll[:, None]), atol=1e-10)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 25), st.integers(1, 25), st.floats(0.05, 0.8), st.integers(0, 2**31))
def test_ruiz_sweep_matches_numpy(m: int, n: int, density: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = sp.random(m, n, density=density, random_state=rng, format="csc",
                  data_rvs=lambda k: rng.normal(size=k) * 10.0 ** rng.uniform(-3, 3, k))
    row, col = rng.uniform(0.5, 2.0, m), rng.uniform(0.5, 2.0, n)
    dense = np.abs(a.toarray()) * row[:, None] * col[None, :]
    rmax, cmax = dense.max(axis=1), dense.max(axis=0)
    expect_row = np.where(rmax > 0, row / np.sqrt(np.where(rmax > 0, rmax, 1.0)), row)
    expect_col = np.where(cmax > 0, col / np.sqrt(np.where(cmax > 0, cmax, 1.0)), col)
    bk.ruiz_sweep(a.indptr.astype(np.uint32), a.indices.astype(np.uint32), np.abs(a.data),
                  row, col)
    np.testing.assert_allclose(row, expect_row, rtol=1e-14)
    np.testing.assert_allclose(col, expect_col, rtol=1e-14)
