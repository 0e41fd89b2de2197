"""A primal-dual interior-point method for LPs whose normal equations are banded plus a small border.

Holds :class:`BorderedBandedLP` (standard form ``min c'x, Ax = b, x >= 0`` with banded rows, a few
dense rows and a few dense columns) and :func:`mehrotra`; it knows nothing about power procurement.

Each Newton system is reduced to the normal equations ``A diag(x/z) A' dy = r``. The sparse columns
give a banded matrix over the banded rows (factorised by a banded Cholesky in linear time);
the dense rows and the dense columns form a border of a handful of unknowns that is eliminated with
a small dense Schur complement (the augmented-system treatment of dense columns, which stays stable
when a dense column's ``x/z`` grows without bound). Banded rows that share no sparse column (the
capacity links, "leaves") are eliminated first by their diagonal; the border is
carried through them and through one triangular half-solve of the kept rows' band, so a
factorisation costs one band solve per border column and a solve two triangular band solves.
Upper bounds ``x <= u`` are kept implicitly (their slacks and duals join a column's weight
``1 / (z/x + w/s)``), so they add no rows. The assembly, the band factor and solves and the
products with ``A`` are compiled kernels (:mod:`gridfirst.procurement.band_kernels`).

References
----------
.. [1] Mehrotra, S. (1992). On the implementation of a primal-dual interior point method.
   SIAM Journal on Optimization 2(4), 575-601.
.. [2] Wright, S. J. (1997). Primal-Dual Interior-Point Methods. SIAM, chapters 10-11.
.. [3] Andersen, K. D. (1996). A modified Schur-complement method for handling dense columns in
   interior-point methods for linear programming. ACM TOMS 22(3), 348-356.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from gridfirst.errors import SolverError
from gridfirst.procurement import band_kernels as bk


@dataclass
class IPMState:
    """Primal, dual and reduced-cost iterates of :func:`mehrotra` (scaled standard form).

    ``s`` and ``w`` are the slacks ``u - x`` of the bounded columns and their duals (empty when
    the LP has no upper bounds).
    """

    x: np.ndarray
    y: np.ndarray
    z: np.ndarray
    s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    w: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def copy(self) -> IPMState:
        return IPMState(self.x.copy(), self.y.copy(), self.z.copy(), self.s.copy(), self.w.copy())


@dataclass
class _KernelIndex:
    """Index arrays of the compiled kernels (unsigned 32-bit): the kept and leaf rows, the
    leaf-kept pairs by kept rows (``nkl``) and by leaves (``nlk``), and the dense columns on the
    leaves (``adl``) and on the kept rows (``adk``), each as compressed rows."""

    kept: np.ndarray
    leaf: np.ndarray
    nkl_ptr: np.ndarray
    nkl_idx: np.ndarray
    nlk_ptr: np.ndarray
    nlk_idx: np.ndarray
    adl_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.uint32))
    adl_idx: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))
    adk_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.uint32))
    adk_idx: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint32))


@dataclass
class IPMResult:
    """What :func:`mehrotra` returns: the final iterates and how it got there."""

    state: IPMState
    iterations: int
    primal_residual: float
    dual_residual: float
    relative_gap: float
    converged: bool


class BorderedBandedLP:
    """Standard-form LP with a banded normal-equations structure and a small dense border.

    Parameters
    ----------
    a : scipy.sparse matrix, shape (m, n)
        Constraint matrix. Rows ``0 .. n_band-1`` are the banded rows, in band order; the rest
        are dense rows.
    b, c : numpy.ndarray
        Right-hand side (m) and costs (n).
    n_band : int
        Number of banded rows.
    dense_cols : numpy.ndarray of int
        Columns kept out of the banded product (they touch rows far apart).
    leaf_rows : numpy.ndarray of bool, optional
        Banded rows that share no sparse column with each other (e.g. capacity links); they are
        eliminated first by a diagonal Schur complement, leaving a narrower band of kept rows.
    upper : numpy.ndarray, optional
        Upper bounds of the columns (``inf``: none), kept implicitly by :func:`mehrotra`: the
        bound and its slack add to a column's diagonal weight, not rows and columns to ``A``.
    """

    def __init__(
        self,
        a: sp.spmatrix,
        b: np.ndarray,
        c: np.ndarray,
        n_band: int,
        dense_cols: np.ndarray,
        leaf_rows: np.ndarray | None = None,
        upper: np.ndarray | None = None,
    ) -> None:
        a = sp.csc_matrix(a)
        self.leaf = (
            np.zeros(n_band, bool) if leaf_rows is None else np.asarray(leaf_rows, bool).copy()
        )
        self.m, self.n = a.shape
        self.n_band = n_band
        self.n_rowc = self.m - n_band
        dense = np.zeros(self.n, bool)
        dense[np.asarray(dense_cols, dtype=np.int64)] = True
        # columns in the order of the band rows they touch (internal; `unscale` restores the
        # caller's order): every gather and scatter of an iteration then walks memory forwards
        self.col_order = _band_column_order(a, self.leaf, dense)
        a = a[:, self.col_order]
        self.dense_cols = np.flatnonzero(dense[self.col_order])
        self.b = np.asarray(b, dtype=float)
        self.c = np.asarray(c, dtype=float)[self.col_order]
        self._scale(a)
        ub = np.full(self.n, np.inf) if upper is None else np.asarray(upper, float)[self.col_order]
        if np.any(ub <= 0.0):
            raise ValueError("an upper bound is not positive (fix such columns before)")
        #: bounded columns (internal order) and their scaled bounds: ``x_j + s_j = u_j``
        self.ub_idx = np.flatnonzero(np.isfinite(ub))
        self.uh = ub[self.ub_idx] / (self.col_scale[self.ub_idx] * self.b_scale)
        self._prepare_products()

    def residual(self, x: np.ndarray, base: np.ndarray, out: np.ndarray) -> None:
        """``out = base - A x`` (scaled A)."""
        bk.residual(*self._a_idx, self.a.data, x, base, out)

    def dual_residual(self, y: np.ndarray, z: np.ndarray, out: np.ndarray) -> None:
        """``out = c - A' y - z`` (scaled A and c)."""
        bk.dual_residual(*self._a_idx, self.a.data, y, self.ch, z, out)

    def dual_step(self, dy: np.ndarray, theta: np.ndarray, dx: np.ndarray, dz: np.ndarray) -> None:
        """``dx += theta A' dy`` and ``dz -= A' dy`` in place."""
        bk.dual_step(*self._a_idx, self.a.data, dy, theta, dx, dz)

    def set_rhs(self, b: np.ndarray) -> None:
        """Change the right-hand side only (e.g. a sweep's CFE budget), keeping the scaling."""
        self.b = np.asarray(b, dtype=float)
        self.bh = self.row_scale * self.b / self.b_scale

    # ------------------------------------------------------------------ setup
    def _scale(self, a: sp.csc_matrix, sweeps: int = 12) -> None:
        """Ruiz equilibration of rows and columns, then scalar scaling of b and c."""
        row = np.ones(self.m)
        col = np.ones(self.n)
        csc = sp.csc_matrix(a)
        ptr, idx, mag = _index(csc.indptr), _index(csc.indices), np.abs(csc.data)
        for _ in range(sweeps):
            bk.ruiz_sweep(ptr, idx, mag, row, col)
        work = sp.diags(row) @ a @ sp.diags(col)
        self.row_scale = row
        self.col_scale = col
        self.a = work.tocsc()
        self.a.sort_indices()
        self.at = self.a.T.tocsr()
        self._a_idx = (_index(self.a.indptr), _index(self.a.indices))
        bs = row * self.b
        cs_ = col * self.c
        self.b_scale = _typical(bs)
        self.c_scale = _typical(cs_)
        self.bh = bs / self.b_scale
        self.ch = cs_ / self.c_scale

    def _prepare_products(self) -> None:
        """Precompute where every product a_ik * a_jk of a sparse column lands in N = A D A'."""
        a = self.a
        is_dense = np.zeros(self.n, dtype=bool)
        is_dense[self.dense_cols] = True
        counts = np.diff(a.indptr)
        nb, nc = self.n_band, self.n_rowc
        band_idx, band_w, band_col = [], [], []
        bc_idx, bc_w, bc_col = [], [], []
        cc_idx, cc_w, cc_col = [], [], []
        for k in np.unique(counts):
            cols = np.flatnonzero((counts == k) & ~is_dense)
            if k == 0 or cols.size == 0:
                continue
            starts = a.indptr[cols]
            pos = starts[:, None] + np.arange(k)[None, :]
            rows = a.indices[pos]
            vals = a.data[pos]
            for p in range(k):
                for q in range(k):
                    r1, r2 = rows[:, p], rows[:, q]
                    w = vals[:, p] * vals[:, q]
                    m_bb = (r1 < nb) & (r2 < nb) & (r1 >= r2)
                    if m_bb.any():
                        d = r1[m_bb] - r2[m_bb]
                        band_idx.append((d, r2[m_bb]))
                        band_w.append(w[m_bb])
                        band_col.append(cols[m_bb])
                    m_bc = (r1 < nb) & (r2 >= nb)
                    if m_bc.any():
                        bc_idx.append(r1[m_bc] * nc + (r2[m_bc] - nb))
                        bc_w.append(w[m_bc])
                        bc_col.append(cols[m_bc])
                    m_cc = (r1 >= nb) & (r2 >= nb)
                    if m_cc.any():
                        cc_idx.append((r1[m_cc] - nb) * nc + (r2[m_cc] - nb))
                        cc_w.append(w[m_cc])
                        cc_col.append(cols[m_cc])
        self._dll: np.ndarray = np.ones(0)
        self._setup_leaves(
            np.concatenate([d + r for d, r in band_idx]),
            np.concatenate([r for _, r in band_idx]),
            np.concatenate(band_w),
            np.concatenate(band_col),
        )

        def _cat(idx: list[np.ndarray], w: list[np.ndarray], col: list[np.ndarray]) -> tuple:
            if not idx:
                return (np.zeros(0, np.int64), np.zeros(0), np.zeros(0, np.int64))
            return (np.concatenate(idx), np.concatenate(w), np.concatenate(col))

        self._bc = _by_target(*_cat(bc_idx, bc_w, bc_col))
        self._cc = _by_target(*_cat(cc_idx, cc_w, cc_col))
        ad = a[:, self.dense_cols].tocsr()
        ad_b = ad[:nb]
        # the dense columns on the banded rows, split into leaf and kept rows (sparse: a capacity
        # touches only its own link rows)
        self._ad_l = ad_b[self._leaf_idx].tocsr()
        self._ad_l.sort_indices()
        self._ad_k = ad_b[self._kept_idx].tocsr()
        self._ad_k.sort_indices()
        self._ix.adl_ptr, self._ix.adl_idx = _index(self._ad_l.indptr), _index(self._ad_l.indices)
        self._ix.adk_ptr, self._ix.adk_idx = _index(self._ad_k.indptr), _index(self._ad_k.indices)
        self._ad_c = ad[nb:].toarray()

    def _setup_leaves(self, r1: np.ndarray, r2: np.ndarray, w: np.ndarray, col: np.ndarray) -> None:
        """Split the banded products into kept-kept band, leaf diagonal and leaf-kept pairs."""
        nb = self.n_band
        leaf = self.leaf
        kept_idx = np.flatnonzero(~leaf)
        leaf_idx = np.flatnonzero(leaf)
        kpos = np.full(nb, -1, np.int64)
        kpos[kept_idx] = np.arange(kept_idx.size)
        lpos = np.full(nb, -1, np.int64)
        lpos[leaf_idx] = np.arange(leaf_idx.size)
        nk, nl = kept_idx.size, leaf_idx.size
        self._kept_idx, self._leaf_idx = kept_idx, leaf_idx
        # contiguous leaves (first) are indexed by a slice: no gather in every solve
        contiguous = bool(np.all(leaf_idx == np.arange(leaf_idx.size)))
        self._leaf_sel: slice | np.ndarray = slice(0, leaf_idx.size) if contiguous else leaf_idx
        kk = ~leaf[r1] & ~leaf[r2]
        ll = leaf[r1] & leaf[r2]
        if np.any(r1[ll] != r2[ll]):
            raise ValueError("leaf rows must not share a sparse column")
        lk = leaf[r1] != leaf[r2]
        k1, k2 = kpos[r1[kk]], kpos[r2[kk]]
        # leaf-kept pairs (each product counted once with r1 >= r2)
        pl = np.where(leaf[r1[lk]], lpos[r1[lk]], lpos[r2[lk]])
        pk = np.where(leaf[r1[lk]], kpos[r2[lk]], kpos[r1[lk]])
        key = pl * max(nk, 1) + pk
        ukey, pair_of = np.unique(key, return_inverse=True)
        pair_l = ukey // max(nk, 1)
        pair_k = ukey % max(nk, 1)
        # fill of eliminating a leaf: every two kept neighbours (p >= q by kept index)
        order = np.argsort(pair_l, kind="stable")
        starts = np.searchsorted(pair_l[order], np.arange(nl))
        ends = np.searchsorted(pair_l[order], np.arange(nl), side="right")
        deg = ends - starts
        fill_p, fill_q = [], []
        for dgr in np.unique(deg):
            if dgr == 0:
                continue
            leaves = np.flatnonzero(deg == dgr)
            ids = order[starts[leaves][:, None] + np.arange(dgr)[None, :]]
            for i in range(dgr):
                for j in range(dgr):
                    pi_, pj_ = ids[:, i], ids[:, j]
                    keep = pair_k[pi_] >= pair_k[pj_]
                    fill_p.append(pi_[keep])
                    fill_q.append(pj_[keep])
        fp = np.concatenate(fill_p) if fill_p else np.zeros(0, np.int64)
        fq = np.concatenate(fill_q) if fill_q else np.zeros(0, np.int64)
        dist = np.concatenate([k1 - k2, pair_k[fp] - pair_k[fq]])
        self.bandwidth = int(dist.max(initial=0))
        u1 = self.bandwidth + 1
        # row-major lower band (see band_kernels); every scatter sorted by where it lands
        self._band_flat, self._band_w, self._band_col = _by_target(
            k2 * u1 + (k1 - k2), w[kk], col[kk]
        )
        self._band_size = u1 * nk
        self._ll = _by_target(lpos[r1[ll]], w[ll], col[ll])
        self._lk = _by_target(pair_of, w[lk], col[lk])
        fill_flat, fp, fq = _by_target(pair_k[fq] * u1 + (pair_k[fp] - pair_k[fq]), fp, fq)
        self._fill = (fp, fq, _index(pair_l[fp]), fill_flat)
        npair = ukey.size
        pattern = sp.csr_matrix(
            (np.arange(1, npair + 1, dtype=float), (pair_k, pair_l)), shape=(nk, nl)
        )
        self._nkl_perm = pattern.data.astype(np.int64) - 1
        self._nkl = pattern
        pattern_t = sp.csr_matrix(
            (np.arange(1, npair + 1, dtype=float), (pair_l, pair_k)), shape=(nl, nk)
        )
        self._nlk_perm = pattern_t.data.astype(np.int64) - 1
        self._nlk = pattern_t
        self._n_pairs = npair
        self._ix = _KernelIndex(*(
            _index(a) for a in (kept_idx, leaf_idx, pattern.indptr, pattern.indices,
                                pattern_t.indptr, pattern_t.indices)
        ))

    # ------------------------------------------------------------- normal eqs
    def factorise(self, theta: np.ndarray, pivot_tol: float = 1e-9) -> None:
        """Factorise ``A diag(theta) A'`` (banded Cholesky plus the dense Schur complement).

        When basic dense columns leave the banded block nearly singular, the rows whose Cholesky
        pivots collapse are lifted by their own diagonal, and the lift is taken back exactly
        through the border (Andersen's modified Schur complement [3]_).
        """
        nb, nc = self.n_band, self.n_rowc
        nk = self._kept_idx.size
        band = np.zeros(self._band_size)
        bk.scatter(band, self._band_flat, self._band_w, theta, self._band_col)
        if self._leaf_idx.size:
            dll = np.zeros(self._leaf_idx.size)
            bk.scatter(dll, self._ll[0], self._ll[1], theta, self._ll[2])
            dll = np.maximum(dll, 1e-300)
            vlk = np.zeros(self._n_pairs)
            bk.scatter(vlk, self._lk[0], self._lk[1], theta, self._lk[2])
            fp, fq, fl, flat = self._fill
            bk.scatter_fill(band, flat, vlk, fp, fq, dll, fl)
            self._nkl.data = vlk[self._nkl_perm]
            self._nlk.data = vlk[self._nlk_perm]
            self._dll = dll
        else:
            self._dll = np.ones(0, dtype=float)
        lower = band.reshape(nk, self.bandwidth + 1)
        diag = lower[:, 0].copy()
        diag_max = float(diag.max(initial=1.0))
        lift = np.zeros(nk)
        shift = 0.0
        chol = None
        for _ in range(8):
            trial = lower.copy()
            trial[:, 0] += lift + shift
            pivots = trial[:, 0].copy()
            if bk.band_cholesky(trial) >= 0:
                shift = max(shift * 100.0, 1e-15 * diag_max)
                chol = None
                continue
            chol = trial
            weak = (chol[:, 0] ** 2 < pivot_tol * pivots) & (lift == 0.0)
            if not weak.any():
                break
            lift[weak] = np.maximum(diag[weak], 1e-12 * diag_max)
        if chol is None:  # pragma: no cover - numerical breakdown
            raise SolverError(
                "interior point: the banded normal equations are not positive definite"
            )
        self._chol = chol
        self._inv_diag = 1.0 / chol[:, 0]
        lifted = np.flatnonzero(lift > 0.0)
        self.lifted_rows = int(lifted.size)
        bc = np.zeros(nb * nc)
        bk.scatter(bc, self._bc[0], self._bc[1], theta, self._bc[2])
        bc = bc.reshape(nb, nc)
        cc = np.zeros(nc * nc)
        bk.scatter(cc, self._cc[0], self._cc[1], theta, self._cc[2])
        theta_d = theta[self.dense_cols]
        nd = self.dense_cols.size
        nl = lifted.size
        dll = self._dll
        # border E = [dense rows' products | dense columns | lifts], by leaf and kept rows
        k = nc + nd + nl
        r_k = np.empty((nk, k))
        ele = np.zeros((k, k))
        ix = self._ix
        head = r_k if nl == 0 else np.empty((nk, nc + nd))
        bk.border_block(bc, ix.kept, ix.leaf, dll, ix.nkl_ptr, ix.nkl_idx, self._nkl.data,
                        ix.adl_ptr, ix.adl_idx, self._ad_l.data, ix.adk_ptr, ix.adk_idx,
                        self._ad_k.data, head, ele[: nc + nd, : nc + nd])
        if nl:
            r_k[:, : nc + nd] = head
            r_k[:, nc + nd :] = 0.0
            r_k[lifted, nc + nd + np.arange(nl)] = np.sqrt(lift[lifted])
        # Z = L^-1 R with S = L L' the kept rows' Schur complement (banded Cholesky)
        bk.band_forward_block(chol, r_k)
        z_k = r_k
        small = np.zeros((k, k))
        small[:nc, :nc] = cc.reshape(nc, nc)
        small[:nc, nc : nc + nd] = self._ad_c
        small[nc : nc + nd, :nc] = self._ad_c.T
        small[nc : nc + nd, nc : nc + nd] = -np.diag(1.0 / theta_d)
        small[nc + nd :, nc + nd :] = np.eye(nl)
        # E' B^-1 E = E_l' D^-1 E_l (ele) + Z'Z
        bc_l = np.ascontiguousarray(bc[self._leaf_sel])
        schur = small - ele - z_k.T @ z_k
        self._bc_l, self._z = bc_l, z_k
        self._nd_nl = (nd, nl)
        self._n_extra = nd + nl
        self._schur_lu = sla.lu_factor(schur, check_finite=False)
        self._theta = theta

    def solve(self, rhs: np.ndarray) -> np.ndarray:
        """Solve the factorised normal equations for one right-hand side (length m).

        The border's products with ``Z`` are BLAS calls of their own rather than sums inside
        the band sweeps: near the optimum the border's right-hand side is a difference of
        numbers up to 1e9 times larger, and this order of summation measured up to 20 times
        more accurate solves there (the bundled Frankfurt stack at 0.9).
        """
        nb, nc = self.n_band, self.n_rowc
        nd, _ = self._nd_nl
        rhs = np.ascontiguousarray(rhs, dtype=float)
        ix, adl = self._ix, self._ad_l
        u = np.empty(self._leaf_idx.size)
        q = np.empty(self._kept_idx.size)
        bk.leaf_forward(rhs, ix.kept, ix.leaf, self._dll, ix.nkl_ptr, ix.nkl_idx, self._nkl.data,
                        self._chol, self._inv_diag, u, q)
        border = -(self._z.T @ q)
        border[:nc] += rhs[nb:] - self._bc_l.T @ u
        border[nc : nc + nd] -= adl.T @ u
        w = sla.lu_solve(self._schur_lu, border, check_finite=False)
        t = q - self._z @ w
        base_l = rhs[self._leaf_sel] - self._bc_l @ w[:nc] - adl @ w[nc : nc + nd]
        dy = np.empty(self.m)
        bk.leaf_backward(t, base_l, ix.kept, ix.leaf, self._dll, ix.nlk_ptr, ix.nlk_idx,
                         self._nlk.data, self._chol, self._inv_diag, dy)
        dy[nb:] = w[:nc]
        return dy

    def solve_refined(self, rhs: np.ndarray, steps: int = 1, rtol: float = 1e-12) -> np.ndarray:
        """Solve the exact normal equations by preconditioned conjugate gradients.

        The factorisation is of the matrix with a small dual regularisation on the banded rows
        (it keeps the banded Cholesky accurate when dense columns are basic); CG on the exact
        product ``A diag(theta) A'`` removes the regularisation's error.
        """
        dy = self.solve(rhs)
        if steps <= 0:
            return dy
        rnorm0 = float(np.linalg.norm(rhs))
        r = rhs - self.a @ (self._theta * (self.at @ dy))
        if np.linalg.norm(r) <= rtol * rnorm0:
            return dy
        zv = self.solve(r)
        p = zv.copy()
        rz = float(r @ zv)
        for _ in range(steps):
            q = self.a @ (self._theta * (self.at @ p))
            pq = float(p @ q)
            if pq <= 0.0:
                break
            alpha = rz / pq
            dy += alpha * p
            r -= alpha * q
            if np.linalg.norm(r) <= rtol * rnorm0:
                break
            zv = self.solve(r)
            rz_new = float(r @ zv)
            p = zv + (rz_new / rz) * p
            rz = rz_new
        return dy


def _band_column_order(a: sp.csc_matrix, leaf: np.ndarray, dense: np.ndarray) -> np.ndarray:
    """Columns sorted by the first band row they touch, leaves and kept rows each ranked on
    [0, 1) in their own order (both follow the band); dense columns and columns on dense rows
    only come last."""
    kept_idx, leaf_idx = np.flatnonzero(~leaf), np.flatnonzero(leaf)
    pos = np.full(a.shape[0], np.inf)
    pos[kept_idx] = np.arange(kept_idx.size) / max(kept_idx.size, 1)
    pos[leaf_idx] = np.arange(leaf_idx.size) / max(leaf_idx.size, 1)
    counts = np.diff(a.indptr)
    key = np.full(a.shape[1], np.inf)
    has = counts > 0
    key[has] = np.minimum.reduceat(pos[a.indices], a.indptr[:-1][has])
    key[dense] = np.inf
    order = np.lexsort((np.arange(a.shape[1]), dense, key))
    return order


def _by_target(flat: np.ndarray, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """A scatter's index and its companion arrays, sorted by where each entry lands (the
    compiled scatter then writes memory in order)."""
    order = np.argsort(flat, kind="stable")
    return tuple(_index(a[order]) for a in (flat, *arrays))


def _index(a: np.ndarray) -> np.ndarray:
    """Integer arrays as unsigned 32-bit indices for the compiled kernels (an unsigned index
    spares Numba its negative-index wraparound; every index here is below 2**32)."""
    if a.dtype.kind in "iu":
        if a.size and (a.min() < 0 or a.max() >= 2**32):  # pragma: no cover - defensive
            raise ValueError("an index outside 0 .. 2**32 - 1")
        return a.astype(np.uint32)
    return a


def _typical(v: np.ndarray) -> float:
    nz = np.abs(v[v != 0.0])
    return float(np.mean(nz)) if nz.size else 1.0


def _max_step(v: np.ndarray, dv: np.ndarray) -> float:
    """Longest step in [0, 1] keeping ``v + step dv >= 0`` (``v > 0``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        worst = float(np.max(-dv / v)) if v.size else 0.0
    if np.isfinite(worst):  # one pass where every v is positive
        return 1.0 if worst <= 1.0 else 1.0 / worst
    neg = dv < 0
    if not neg.any():
        return 1.0
    return float(min(1.0, np.min(-v[neg] / dv[neg])))


@dataclass
class _Pairs:
    """The bounded columns' part of an iterate: slacks ``s = u - x`` and their duals ``w``
    (``idx`` into the columns), the residual ``ru = u - x - s`` and the weights ``w / s``."""

    idx: np.ndarray
    s: np.ndarray
    w: np.ndarray
    ru: np.ndarray
    ws: np.ndarray


def _theta(x: np.ndarray, z: np.ndarray, bp: _Pairs) -> np.ndarray:
    """Diagonal weights ``1 / (z/x + w/s)`` (``x/z`` on the columns without a bound)."""
    theta = x / z
    if bp.idx.size:
        i = bp.idx
        theta[i] = 1.0 / (z[i] / x[i] + bp.ws)
    return theta


def _direction(
    lp: BorderedBandedLP,
    rp: np.ndarray,
    rd: np.ndarray,
    rc: np.ndarray,
    x: np.ndarray,
    z: np.ndarray,
    theta: np.ndarray,
    refine: int,
    bp: _Pairs,
    rcs: np.ndarray,
    ru: np.ndarray,
    floor: float = 1e-12,
    rtol: float = 1e-8,
    extra: int = 0,
    extra_above: float = 0.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Newton direction, refined on the primal residual ``rp - A dx`` itself (until it is below
    ``rtol`` of ``max(|rp|, floor |b|)``; after ``refine`` solves, up to ``extra`` more while
    the error is above ``extra_above`` and each solve at least halves it).

    ``rc`` and ``rcs`` are the complementarity right-hand sides of ``x z`` and ``s w``, ``ru``
    the bound residual. Correcting ``dy`` by ``dy'`` with ``dx += theta A' dy'`` and
    ``dz -= A' dy'`` keeps the dual and complementarity equations exact, and measuring
    ``rp - A dx`` avoids the cancellation in the normal equations' right-hand side when some
    ``z`` are tiny. The bounded columns' ``ds = ru - dx`` and ``dw = (rcs - w ds) / s`` follow
    from the final ``dx``, and ``dw`` joins ``dz`` (dual equation ``A'dy + dz - dw = rd``).
    """
    g = (rc - x * rd) / z
    if bp.idx.size:
        i = bp.idx
        g[i] = -theta[i] * (rd[i] - rc[i] / x[i] + (rcs - bp.w * ru) / bp.s)
    rhs = np.empty(lp.m)
    lp.residual(g, rp, rhs)
    dy = lp.solve(rhs)
    dx = g
    dz = rd.copy()
    lp.dual_step(dy, theta, dx, dz)
    rp_norm = max(float(np.linalg.norm(rp)), floor * float(np.linalg.norm(lp.bh)))
    err = np.empty(lp.m)
    before = np.inf
    for k in range(refine + extra):
        lp.residual(dx, rp, err)
        now = float(np.linalg.norm(err))
        if now <= rtol * rp_norm + 1e-15 or (
            k >= refine and (now <= extra_above or now > 0.5 * before)
        ):
            break
        before = now
        corr = lp.solve(err)
        dy += corr
        lp.dual_step(corr, theta, dx, dz)
    if bp.idx.size:
        ds = ru - dx[bp.idx]
        dw = (rcs - bp.w * ds) / bp.s
        dz[bp.idx] += dw
    else:
        ds = dw = np.zeros(0)
    return dx, dy, dz, ds, dw


def _steps(x: np.ndarray, z: np.ndarray, bp: _Pairs, dx: np.ndarray, dz: np.ndarray,
           ds: np.ndarray, dw: np.ndarray) -> tuple[float, float]:
    """Longest primal and dual steps in [0, 1] that keep ``x, s`` and ``z, w`` non-negative."""
    ap, ad = _max_step(x, dx), _max_step(z, dz)
    if bp.idx.size:
        ap = min(ap, _max_step(bp.s, ds))
        ad = min(ad, _max_step(bp.w, dw))
    return ap, ad


def _gondzio(
    lp: BorderedBandedLP,
    x: np.ndarray,
    z: np.ndarray,
    d: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray],
    mu_target: float,
    theta: np.ndarray,
    count: int,
    bp: _Pairs,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gondzio's multiple centrality correctors: push outlying products x_i z_i (and s_i w_i)
    towards the target so that a longer step fits; a corrector is kept only if it lengthens
    the step."""
    zeros_p = np.zeros(lp.m)
    zeros_d = np.zeros(lp.n)
    zeros_u = np.zeros(bp.idx.size)
    lo, hi = 0.1 * mu_target, 10.0 * mu_target

    def target(v: np.ndarray) -> np.ndarray:
        return np.maximum(np.clip(v, lo, hi) - v, -hi)

    ap, ad = _steps(x, z, bp, d[0], d[2], d[3], d[4])
    for _ in range(count):
        tp, td = min(1.0, 1.2 * ap + 0.1), min(1.0, 1.2 * ad + 0.1)
        corr = target((x + tp * d[0]) * (z + td * d[2]))
        corr_s = target((bp.s + tp * d[3]) * (bp.w + td * d[4]))
        c = _direction(lp, zeros_p, zeros_d, corr, x, z, theta, 2, bp, corr_s, zeros_u)
        nd = tuple(a + b for a, b in zip(d, c, strict=True))
        nap, nad = _steps(x, z, bp, nd[0], nd[2], nd[3], nd[4])
        if min(nap, nad) < 1.01 * min(ap, ad):
            break
        d, ap, ad = nd, nap, nad  # type: ignore[assignment]
        if min(ap, ad) >= 1.0:
            break
    return d


def starting_point(lp: BorderedBandedLP) -> IPMState:
    """Mehrotra's starting point: least-squares x and (y, z), shifted into the interior (the
    bounded columns' slacks with x, their duals so that ``z - w`` keeps the reduced cost)."""
    lp.factorise(np.ones(lp.n))
    a, at, b, c = lp.a, lp.at, lp.bh, lp.ch
    x = at @ lp.solve_refined(b)
    y = lp.solve_refined(a @ c)
    z = c - at @ y
    i = lp.ub_idx
    s = lp.uh - x[i]
    w = np.maximum(-z[i], 0.0)
    z[i] += w
    dx = max(-1.5 * float(min(x.min(), s.min(initial=np.inf))), 0.0)
    dz = max(-1.5 * float(min(z.min(), w.min(initial=np.inf))), 0.0)
    x, s = x + dx, s + dx
    z, w = z + dz, w + dz
    xz = float(x @ z) + float(s @ w)
    shift_x = 0.5 * xz / max(float(z.sum() + w.sum()), 1e-300)
    x, s = x + shift_x, s + shift_x
    shift_z = 0.5 * xz / max(float(x.sum() + s.sum()), 1e-300)
    z, w = z + shift_z, w + shift_z
    return IPMState(np.maximum(x, 1e-8), y, np.maximum(z, 1e-8), np.maximum(s, 1e-8),
                    np.maximum(w, 1e-8))


def warm_point(lp: BorderedBandedLP, prev: IPMState, push: float = 1e-3) -> IPMState:
    """Start from a previous solution, pushed back into the interior by a central shift."""
    x = np.maximum(prev.x, 0.0)
    z = np.maximum(prev.z, 0.0)
    s = np.maximum(prev.s, 0.0)
    w = np.maximum(prev.w, 0.0)
    mu = max((float(x @ z) + float(s @ w)) / (lp.n + s.size), push)
    shift = np.sqrt(mu) * 0.1 + push
    return IPMState(x + shift, prev.y.copy(), z + shift, s + shift, w + shift)


def mehrotra(
    lp: BorderedBandedLP,
    start: IPMState | None = None,
    tol: float = 1e-9,
    max_iter: int = 150,
    log: list | None = None,
    correctors: int = 0,
    refine: int = 4,
    refine_floor: float = 1e-12,
    refine_rtol: float = 1e-8,
    refine_extra: int = 12,
) -> IPMResult:
    """Mehrotra predictor-corrector on the scaled standard form of ``lp``.

    Parameters
    ----------
    lp : BorderedBandedLP
        The problem (scaled internally).
    start : IPMState, optional
        Starting iterate (e.g. :func:`warm_point`); Mehrotra's heuristic point if omitted.
    tol : float
        Relative primal residual, dual residual and duality gap at which to stop.
    max_iter : int
        Iteration limit.
    log : list, optional
        Receives ``(iteration, primal residual, dual residual, gap, mu, primal step, dual
        step, sigma)`` per iteration.
    correctors : int
        Gondzio's centrality correctors per iteration (0: plain Mehrotra).
    refine : int
        Most refinement solves of each Newton direction on its primal residual (they stop once
        the residual is below ``refine_rtol`` of ``max(|rp|, refine_floor |b|)``).
    refine_floor, refine_rtol : float
        See ``refine``. A larger floor spares refinement solves near the optimum whose error is
        already far below the tolerance; a larger relative tolerance accepts inexact Newton
        directions while the iterates are far from feasible.
    refine_extra : int
        Further refinement solves allowed after ``refine`` while the direction's primal error
        is above 1e-12 of ``|b|`` (a thousandth of ``tol``'s default, where it would show in
        the next iterate's residual) and each solve at least halves it. Near the optimum the
        normal equations are ill-conditioned and the factorisation is only a preconditioner:
        measured on a full-year LP at target 0.99 (the family benchmark's seed 1), four solves
        left a primal error that grew from 1e-16 to 1e-5 over the last three iterations and
        stalled the method at a certified gap of 2.7e-6; with these, 39 more solves in the
        whole run (590 against 551) end it at 9.7e-8.
    """
    b, c, u, ui = lp.bh, lp.ch, lp.uh, lp.ub_idx
    st = (start if start is not None else starting_point(lp)).copy()
    x, y, z, s, w = st.x, st.y, st.z, st.s, st.w
    nb_ = 1.0 + float(np.hypot(np.linalg.norm(b), np.linalg.norm(u)))
    nc_ = 1.0 + float(np.linalg.norm(c))
    extra_above = 1e-12 * nb_
    n_pairs = lp.n + ui.size
    it = 0
    pres = dres = gap = np.inf
    converged = False
    rp, rd = np.empty(lp.m), np.empty(lp.n)
    best: tuple[float, IPMState, float, float, float] | None = None
    stall = 0
    mu_ref = np.inf
    for it in range(max_iter + 1):
        lp.residual(x, b, rp)
        lp.dual_residual(y, z, rd)
        ru = u - x[ui] - s
        if ui.size:
            rd[ui] += w
        pobj = float(c @ x)
        dobj = float(b @ y) - float(u @ w)
        pres = float(np.hypot(np.linalg.norm(rp), np.linalg.norm(ru))) / nb_
        dres = float(np.linalg.norm(rd)) / nc_
        gap = abs(pobj - dobj) / (1.0 + abs(pobj))
        if pres < tol and dres < tol and gap < tol:
            converged = True
            break
        merit = max(pres, dres, gap)
        mu_now = (float(x @ z) + float(s @ w)) / n_pairs
        if best is None or merit < 0.9 * best[0]:
            best = (merit, IPMState(x, y, z, s, w).copy(), pres, dres, gap)
            stall = 0
            mu_ref = mu_now
        elif mu_now < 0.1 * mu_ref:
            # the merit can rise while the iterates still close in (the duality gap relative
            # to a primal objective far from feasible): progress in mu is progress
            stall = 0
            mu_ref = mu_now
        else:
            stall += 1
        if it == max_iter or stall >= 6 or merit > 1e4 * best[0]:
            # numerical trouble near the optimum: return the best iterate seen
            _, st, pres, dres, gap = best
            break
        mu = mu_now
        bp = _Pairs(ui, s, w, ru, w / s)
        theta = _theta(x, z, bp)
        try:
            lp.factorise(theta)
        except SolverError:
            if best is None:
                raise
            _, st, pres, dres, gap = best
            break
        # predictor (affine scaling) direction
        rc, rcs = -x * z, -s * w
        dx, dy, dz, ds, dw = _direction(lp, rp, rd, rc, x, z, theta, refine, bp, rcs, ru,
                                        refine_floor, refine_rtol, refine_extra, extra_above)
        ap, ad = _steps(x, z, bp, dx, dz, ds, dw)
        mu_aff = (float((x + ap * dx) @ (z + ad * dz))
                  + float((s + ap * ds) @ (w + ad * dw))) / n_pairs
        sigma = min(1.0, (mu_aff / mu) ** 3)
        # corrector with centring
        rc = sigma * mu - x * z - dx * dz
        rcs = sigma * mu - s * w - ds * dw
        d = _direction(lp, rp, rd, rc, x, z, theta, refine, bp, rcs, ru, refine_floor,
                       refine_rtol, refine_extra, extra_above)
        if correctors > 0:
            d = _gondzio(lp, x, z, d, sigma * mu, theta, correctors, bp)
        dx, dy, dz, ds, dw = d
        eta = max(0.9, 1.0 - 10.0 * mu) if it < 3 else 0.9995
        ap, ad = _steps(x, z, bp, dx, dz, ds, dw)
        ap, ad = min(1.0, eta * ap), min(1.0, eta * ad)
        if log is not None:
            log.append((it, pres, dres, gap, mu, ap, ad, sigma))
        x = x + ap * dx
        s = s + ap * ds
        y = y + ad * dy
        z = z + ad * dz
        w = w + ad * dw
        if not all(np.isfinite(v).all() for v in (x, y, z, s, w)):
            if best is None:
                raise SolverError("interior point: iterates became non-finite")
            _, st, pres, dres, gap = best
            break
        st = IPMState(x, y, z, s, w)
    return IPMResult(st, it, pres, dres, gap, converged)


def unscale(lp: BorderedBandedLP, state: IPMState) -> tuple[np.ndarray, np.ndarray]:
    """Primal x and duals y of the original (unscaled) standard form, in the caller's order."""
    x = np.empty(lp.n)
    x[lp.col_order] = state.x * lp.col_scale * lp.b_scale
    y = state.y * lp.row_scale * lp.c_scale
    return x, y
