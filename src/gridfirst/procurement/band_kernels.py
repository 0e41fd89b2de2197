"""Compiled kernels of the banded interior-point method: assembly, band factor, solves, products.

The normal equations of :mod:`gridfirst.procurement.fast_ipm` are assembled by scattering
products ``w_i * theta[col_i]`` into a few arrays, factorised with a banded Cholesky of a small
bandwidth (about ten) after eliminating the leaf rows, and solved with a border of about twenty
columns carried through the leaves and the band. NumPy does each of these in several passes
with temporaries, and LAPACK's banded routines solve a block of right-hand sides one column at
a time; these kernels (compiled with Numba, cached on disk after the first call) do each in one
pass over the arrays. Index arrays are unsigned 32-bit, which spares Numba its negative-index
checks.

Band storage is row-major and lower: ``band[j, d]`` holds entry ``(j + d, j)`` of the symmetric
matrix, or of its Cholesky factor ``L`` after :func:`band_cholesky`.
"""

from __future__ import annotations

import math

import numba
import numpy as np

__all__ = [
    "band_cholesky",
    "band_forward_block",
    "border_block",
    "dual_residual",
    "dual_step",
    "leaf_backward",
    "leaf_forward",
    "residual",
    "ruiz_sweep",
    "scatter",
    "scatter_fill",
]


@numba.njit(cache=True, nogil=True)
def scatter(out: np.ndarray, flat: np.ndarray, w: np.ndarray, u: np.ndarray,
            iu: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out[flat[i]] += w[i] * u[iu[i]]`` for every ``i``."""
    for i in range(flat.size):
        out[flat[i]] += w[i] * u[iu[i]]


@numba.njit(cache=True, nogil=True)
def scatter_fill(out: np.ndarray, flat: np.ndarray, vals: np.ndarray, ip: np.ndarray,
                 iq: np.ndarray, diag: np.ndarray, idiag: np.ndarray) -> None:  # pragma: no cover
    """``out[flat[i]] -= vals[ip[i]] * vals[iq[i]] / diag[idiag[i]]``: the fill of eliminating
    a diagonal block."""
    for i in range(flat.size):
        out[flat[i]] -= vals[ip[i]] * vals[iq[i]] / diag[idiag[i]]


@numba.njit(cache=True, nogil=True)
def band_cholesky(band: np.ndarray) -> int:  # pragma: no cover - compiled
    """Factorise a symmetric band matrix in place (``band[j, d]`` = entry ``(j + d, j)``).

    Returns -1 on success, or the first column whose pivot is not positive (``band`` is then
    partly overwritten).
    """
    nk, u1 = band.shape
    bw = u1 - 1
    for j in range(nk):
        piv = band[j, 0]
        if not piv > 0.0:
            return j
        ljj = math.sqrt(piv)
        band[j, 0] = ljj
        inv = 1.0 / ljj
        dmax = min(bw, nk - 1 - j)
        for d in range(1, dmax + 1):
            band[j, d] *= inv
        for d1 in range(1, dmax + 1):
            c = band[j, d1]
            if c != 0.0:
                row = j + d1
                for d2 in range(d1, dmax + 1):
                    band[row, d2 - d1] -= c * band[j, d2]
    return -1


@numba.njit(cache=True, nogil=True)
def band_forward_block(band: np.ndarray, r: np.ndarray) -> None:  # pragma: no cover - compiled
    """``r <- L^-1 r`` in place for a row-major block of right-hand sides ``r`` (rows, k)."""
    nk, u1 = band.shape
    k = r.shape[1]
    for i in range(nk):
        for d in range(1, min(u1 - 1, i) + 1):
            c = band[i - d, d]
            if c != 0.0:
                for q in range(k):
                    r[i, q] -= c * r[i - d, q]
        inv = 1.0 / band[i, 0]
        for q in range(k):
            r[i, q] *= inv


@numba.njit(cache=True, nogil=True, fastmath=True)
def leaf_forward(v: np.ndarray, kept: np.ndarray, leaf: np.ndarray, dll: np.ndarray,
                 nkl_ptr: np.ndarray, nkl_idx: np.ndarray, nkl_val: np.ndarray, band: np.ndarray,
                 inv_diag: np.ndarray, u: np.ndarray, q: np.ndarray) -> None:  # pragma: no cover
    """First half of a solve through eliminated leaves: ``u = v_leaf / dll`` and
    ``q = L^-1 (v_kept - N_kl u)`` (``N_kl`` by kept rows as ``nkl_*``)."""
    for j in range(leaf.size):
        u[j] = v[leaf[j]] / dll[j]
    nk, u1 = band.shape
    for i in range(nk):
        s = v[kept[i]]
        for p in range(nkl_ptr[i], nkl_ptr[i + 1]):
            s -= nkl_val[p] * u[nkl_idx[p]]
        for d in range(1, min(u1 - 1, i) + 1):
            s -= band[i - d, d] * q[i - d]
        q[i] = s * inv_diag[i]


@numba.njit(cache=True, nogil=True, fastmath=True)
def leaf_backward(t: np.ndarray, base_l: np.ndarray, kept: np.ndarray, leaf: np.ndarray,
                  dll: np.ndarray, nlk_ptr: np.ndarray, nlk_idx: np.ndarray,
                  nlk_val: np.ndarray, band: np.ndarray, inv_diag: np.ndarray,
                  out: np.ndarray) -> None:  # pragma: no cover - compiled
    """Second half: the kept rows ``y = L'^-1 t`` (``t`` is overwritten) and the leaves
    ``(base_l - N_kl' y) / dll``, written into ``out`` at the rows ``kept`` and ``leaf``
    (``N_kl'`` by leaf rows as ``nlk_*``)."""
    nk, u1 = band.shape
    for i in range(nk - 1, -1, -1):
        s = t[i]
        for d in range(1, min(u1 - 1, nk - 1 - i) + 1):
            s -= band[i, d] * t[i + d]
        s *= inv_diag[i]
        t[i] = s
        out[kept[i]] = s
    for j in range(leaf.size):
        s = base_l[j]
        for p in range(nlk_ptr[j], nlk_ptr[j + 1]):
            s -= nlk_val[p] * t[nlk_idx[p]]
        out[leaf[j]] = s / dll[j]


@numba.njit(cache=True, nogil=True, fastmath=True)
def residual(ptr: np.ndarray, idx: np.ndarray, val: np.ndarray, x: np.ndarray, base: np.ndarray,
             out: np.ndarray) -> None:  # pragma: no cover - compiled
    """``out = base - A x`` with ``A`` in compressed columns (``ptr``, ``idx``, ``val``)."""
    for i in range(out.size):
        out[i] = base[i]
    for j in range(x.size):
        xj = x[j]
        if xj != 0.0:
            for p in range(ptr[j], ptr[j + 1]):
                out[idx[p]] -= val[p] * xj


@numba.njit(cache=True, nogil=True, fastmath=True)
def dual_residual(ptr: np.ndarray, idx: np.ndarray, val: np.ndarray, y: np.ndarray,
                  c: np.ndarray, z: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover
    """``out = c - A' y - z``."""
    for j in range(out.size):
        s = c[j] - z[j]
        for p in range(ptr[j], ptr[j + 1]):
            s -= val[p] * y[idx[p]]
        out[j] = s


@numba.njit(cache=True, nogil=True, fastmath=True)
def dual_step(ptr: np.ndarray, idx: np.ndarray, val: np.ndarray, dy: np.ndarray,
              theta: np.ndarray, dx: np.ndarray, dz: np.ndarray) -> None:  # pragma: no cover
    """With ``s = A' dy``: ``dx += theta s`` and ``dz -= s`` (the primal and dual parts of a
    Newton direction from its ``dy``)."""
    for j in range(dx.size):
        s = 0.0
        for p in range(ptr[j], ptr[j + 1]):
            s += val[p] * dy[idx[p]]
        dx[j] += theta[j] * s
        dz[j] -= s


@numba.njit(cache=True, nogil=True, fastmath=True)
def border_block(bc: np.ndarray, kept: np.ndarray, leaf: np.ndarray, dll: np.ndarray,
                 nkl_ptr: np.ndarray, nkl_idx: np.ndarray, nkl_val: np.ndarray,
                 adl_ptr: np.ndarray, adl_idx: np.ndarray, adl_val: np.ndarray,
                 adk_ptr: np.ndarray, adk_idx: np.ndarray, adk_val: np.ndarray,
                 r: np.ndarray, ele: np.ndarray) -> None:  # pragma: no cover - compiled
    """The border carried through the eliminated leaves, in one pass over each.

    The border ``E = [bc | A_d]`` (the dense rows' products ``bc`` by band row, and the dense
    columns, ``A_d``, given on the leaves as ``adl_*`` and on the kept rows as ``adk_*``):
    ``r[:, :nc + nd] = E_k - N_kl D^-1 E_l`` on the kept rows, and ``ele = E_l' D^-1 E_l``.
    """
    nc = bc.shape[1]
    width = ele.shape[0]
    nk = kept.size
    for i in range(nk):
        row = kept[i]
        for c in range(nc):
            r[i, c] = bc[row, c]
        for c in range(nc, width):
            r[i, c] = 0.0
        for p in range(adk_ptr[i], adk_ptr[i + 1]):
            r[i, nc + adk_idx[p]] += adk_val[p]
        for p in range(nkl_ptr[i], nkl_ptr[i + 1]):
            j = nkl_idx[p]
            coef = nkl_val[p] / dll[j]
            lrow = leaf[j]
            for c in range(nc):
                r[i, c] -= coef * bc[lrow, c]
            for q in range(adl_ptr[j], adl_ptr[j + 1]):
                r[i, nc + adl_idx[q]] -= coef * adl_val[q]
    acc = np.zeros((width, width))
    for j in range(leaf.size):
        t = 1.0 / dll[j]
        lrow = leaf[j]
        for c1 in range(nc):
            v1 = bc[lrow, c1] * t
            for c2 in range(nc):
                acc[c1, c2] += v1 * bc[lrow, c2]
        for q in range(adl_ptr[j], adl_ptr[j + 1]):
            col = nc + adl_idx[q]
            v1 = adl_val[q] * t
            for c in range(nc):
                acc[col, c] += v1 * bc[lrow, c]
                acc[c, col] += v1 * bc[lrow, c]
            for q2 in range(adl_ptr[j], adl_ptr[j + 1]):
                acc[col, nc + adl_idx[q2]] += v1 * adl_val[q2]
    for a in range(width):
        for b in range(width):
            ele[a, b] = acc[a, b]


@numba.njit(cache=True, nogil=True)
def ruiz_sweep(ptr: np.ndarray, idx: np.ndarray, mag: np.ndarray, row: np.ndarray,
               col: np.ndarray) -> None:  # pragma: no cover - compiled
    """One sweep of Ruiz equilibration in place: divide each row and column scale by the
    square root of the largest scaled magnitude in it (``A`` by compressed columns)."""
    rmax = np.zeros(row.size)
    cmax = np.zeros(col.size)
    for j in range(col.size):
        cj = col[j]
        best = 0.0
        for p in range(ptr[j], ptr[j + 1]):
            i = idx[p]
            v = mag[p] * row[i] * cj
            if v > best:
                best = v
            if v > rmax[i]:
                rmax[i] = v
        cmax[j] = best
    for i in range(row.size):
        if rmax[i] > 0.0:
            row[i] /= math.sqrt(rmax[i])
    for j in range(col.size):
        if cmax[j] > 0.0:
            col[j] /= math.sqrt(cmax[j])
