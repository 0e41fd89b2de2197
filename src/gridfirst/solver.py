"""The one layer between gridfirst's models and the HiGHS solver (via highspy).

Models describe ``min c x s.t. row_lo <= A x <= row_hi, col_lo <= x <= col_hi`` (optionally with
integrality) through :class:`ModelBuilder`: named blocks of variables and constraints with labels,
coefficients entered as numpy triplets, the matrix assembled once. HiGHS answers with a
:class:`Solution` whose primal values and duals are read by block name, or with a typed error
(:class:`~gridfirst.errors.InfeasibleError` naming the conflicting constraint blocks,
:class:`~gridfirst.errors.SolverError`) carrying HiGHS's own status message. Nothing here knows
what the variables mean. Callers that already hold matrices may use :func:`solve` or
:class:`HighsModel` directly.

Example
-------
>>> b = ModelBuilder()
>>> build = b.variables("build", 2, upper=10.0, cost=[1.0, 2.0], labels={"site": ["a", "b"]})
>>> power = b.constraints("power", 1, lower=3.0)
>>> b.coefficients(power.index, build.index, 1.0)
>>> sol = b.build().solve()
>>> sol.primal("build"), sol.dual("power")
(array([3., 0.]), array([1.]))
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from gridfirst.errors import InfeasibleError, SolverError

if TYPE_CHECKING:
    from collections.abc import Iterator

_ALGORITHMS: dict[str, dict[str, Any]] = {
    "choose": {"solver": "choose"},
    "simplex": {"solver": "simplex"},
    "dual": {"solver": "simplex", "simplex_strategy": 1},
    "primal": {"solver": "simplex", "simplex_strategy": 4},
    "ipm": {"solver": "ipm"},
    "ipx": {"solver": "ipx"},
    "pdlp": {"solver": "pdlp"},
}


#: Label key used when a block's labels are given as one plain array.
PLAIN_LABEL = "label"


@dataclass(frozen=True)
class Block:
    """A named run of consecutive columns (variables) or rows (constraints).

    Attributes
    ----------
    name : str
        Block name, unique among the model's columns (or rows).
    start, stop : int
        Positions ``[start, stop)`` in the model's column (or row) order.
    """

    name: str
    start: int
    stop: int

    @property
    def count(self) -> int:
        return self.stop - self.start

    def __len__(self) -> int:
        return self.count

    @property
    def slice(self) -> slice:
        return slice(self.start, self.stop)

    @property
    def index(self) -> np.ndarray:
        """Model positions of the block's columns (or rows), ``arange(start, stop)``."""
        return np.arange(self.start, self.stop, dtype=np.int64)


def _labels_of(labels: Mapping[str, Any] | Sequence[Any] | np.ndarray | None, count: int,
               what: str) -> dict[str, np.ndarray]:
    """Labels of a block as ``key -> array of length count`` (scalars broadcast)."""
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        labels = {PLAIN_LABEL: labels}
    out = {}
    for key, values in labels.items():
        arr = np.asarray(values)
        if arr.ndim == 0:
            arr = np.broadcast_to(arr, (count,))
        if arr.shape != (count,):
            raise SolverError(f"{what}: label {key!r} has shape {arr.shape}, expected ({count},)")
        out[str(key)] = arr
    return out


@dataclass(frozen=True)
class Layout:
    """Where each named block of columns and rows sits, and the labels of their members.

    Attributes
    ----------
    columns, rows : dict of str to (int, int)
        Block name -> ``(start, stop)``, in model order.
    column_labels, row_labels : dict of str to dict of str to numpy.ndarray
        Block name -> label key -> one value per member (e.g. ``{"site": ..., "year": ...}``).
    """

    columns: dict[str, tuple[int, int]]
    rows: dict[str, tuple[int, int]]
    column_labels: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    row_labels: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def num_cols(self) -> int:
        return max((stop for _, stop in self.columns.values()), default=0)

    @property
    def num_rows(self) -> int:
        return max((stop for _, stop in self.rows.values()), default=0)

    def col(self, name: str) -> slice:
        """Column positions of variable block ``name``."""
        return slice(*self._span(self.columns, name, "variable"))

    def row(self, name: str) -> slice:
        """Row positions of constraint block ``name``."""
        return slice(*self._span(self.rows, name, "constraint"))

    @staticmethod
    def _span(spans: dict[str, tuple[int, int]], name: str, what: str) -> tuple[int, int]:
        if name not in spans:
            raise SolverError(f"no {what} block named {name!r}; blocks: {list(spans)}")
        return spans[name]

    def row_name(self, i: int) -> str:
        """Readable name of row ``i``, e.g. ``power[pool=au-nsw, year=2030]``."""
        return self._name(self.rows, self.row_labels, int(i), "row")

    def col_name(self, j: int) -> str:
        """Readable name of column ``j``, e.g. ``build[site=au-syd-1, year=2028]``."""
        return self._name(self.columns, self.column_labels, int(j), "column")

    @staticmethod
    def _name(spans: dict[str, tuple[int, int]], labels: dict[str, dict[str, np.ndarray]],
              i: int, what: str) -> str:
        for name, (start, stop) in spans.items():
            if start <= i < stop:
                own = labels.get(name, {})
                if own:
                    parts = [str(v[i - start]) if k == PLAIN_LABEL else f"{k}={v[i - start]}"
                             for k, v in own.items()]
                    return f"{name}[{', '.join(parts)}]"
                return name if stop - start == 1 else f"{name}[{i - start}]"
        return f"{what} {i}"

    def row_block(self, i: int) -> str:
        """Name of the constraint block holding row ``i``."""
        for name, (start, stop) in self.rows.items():
            if start <= i < stop:
                return name
        raise SolverError(f"row {i} is in no constraint block")

    def row_blocks(self) -> np.ndarray:
        """Block name of every row (object array, length ``num_rows``)."""
        return self._per_member(self.rows, lambda name, n: np.full(n, name, dtype=object))

    def row_label(self, key: str, fill: Any = None) -> np.ndarray:
        """Label ``key`` of every row (``fill`` where a block has no such label)."""
        return self._label(self.rows, self.row_labels, key, fill)

    def col_label(self, key: str, fill: Any = None) -> np.ndarray:
        """Label ``key`` of every column (``fill`` where a block has no such label)."""
        return self._label(self.columns, self.column_labels, key, fill)

    def _label(self, spans: dict[str, tuple[int, int]], labels: dict[str, dict[str, np.ndarray]],
               key: str, fill: Any) -> np.ndarray:
        def one(name: str, n: int) -> np.ndarray:
            own = labels.get(name, {})
            return own[key] if key in own else np.full(n, fill, dtype=object)

        return self._per_member(spans, one)

    @staticmethod
    def _per_member(spans: dict[str, tuple[int, int]],
                    one: Callable[[str, int], np.ndarray]) -> np.ndarray:
        parts = [one(name, stop - start) for name, (start, stop) in spans.items()]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=object)


@dataclass(frozen=True)
class LinearModel:
    """An assembled model ``min c x s.t. row_lo <= A x <= row_hi, col_lo <= x <= col_hi``.

    Made by :meth:`ModelBuilder.build`; matrices and bounds are plain numpy/scipy objects, so a
    model can be inspected or tested without a solver.

    Attributes
    ----------
    c : numpy.ndarray
        Objective coefficients (n).
    A : scipy.sparse.csr_matrix or scipy.sparse.csc_matrix
        Constraint matrix (m x n), duplicates summed.
    row_lo, row_hi, col_lo, col_hi : numpy.ndarray
        Row (m) and column (n) bounds; ``-inf``/``inf`` for free sides.
    integrality : numpy.ndarray
        1 for integer columns, 0 for continuous (int8, n).
    layout : Layout
        Named blocks of columns and rows with their labels.
    sense : {"min", "max"}
    offset : float
        Constant added to the objective.
    """

    c: np.ndarray
    A: sp.csr_matrix | sp.csc_matrix
    row_lo: np.ndarray
    row_hi: np.ndarray
    col_lo: np.ndarray
    col_hi: np.ndarray
    integrality: np.ndarray
    layout: Layout
    sense: str = "min"
    offset: float = 0.0

    @property
    def num_cols(self) -> int:
        return int(self.c.size)

    @property
    def num_rows(self) -> int:
        return int(self.row_lo.size)

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())

    def highs(self, *, relax_integrality: bool = False) -> HighsModel:
        """This model held by HiGHS (re-solvable after bound or cost changes)."""
        return HighsModel(
            self.c, self.A, self.row_lo, self.row_hi, self.col_lo, self.col_hi,
            None if relax_integrality or not self.is_mip else self.integrality,
            sense=self.sense, offset=self.offset, layout=self.layout,
        )

    def solve(self, *, relax_integrality: bool = False, **kwargs: Any) -> Solution:
        """Solve once; keyword arguments as :meth:`HighsModel.solve`."""
        return self.highs(relax_integrality=relax_integrality).solve(**kwargs)


class ModelBuilder:
    """Collects named variable and constraint blocks and their coefficients, then builds once.

    Blocks are laid out in the order they are added. Coefficients are entered as numpy arrays
    of row positions, column positions and values (broadcast together, so a scalar value or a
    single column serves many rows); nothing is assembled until :meth:`build`, which turns all
    triplets into one sparse matrix (COO to CSR or CSC, duplicates summed).

    Examples
    --------
    >>> b = ModelBuilder()
    >>> x = b.variables("x", 3, upper=1.0, cost=-1.0)
    >>> cap = b.constraints("cap", 1, upper=2.0)
    >>> b.coefficients(cap.start, x.index, 1.0)
    >>> b.build().solve().objective
    -2.0
    """

    def __init__(self) -> None:
        self._cols: dict[str, Block] = {}
        self._rows: dict[str, Block] = {}
        self._col_lo: list[np.ndarray] = []
        self._col_hi: list[np.ndarray] = []
        self._cost: list[np.ndarray] = []
        self._integer: list[np.ndarray] = []
        self._row_lo: list[np.ndarray] = []
        self._row_hi: list[np.ndarray] = []
        self._col_labels: dict[str, dict[str, np.ndarray]] = {}
        self._row_labels: dict[str, dict[str, np.ndarray]] = {}
        self._r: list[np.ndarray] = []
        self._c: list[np.ndarray] = []
        self._v: list[np.ndarray] = []
        self.num_cols = 0
        self.num_rows = 0

    @staticmethod
    def _vector(value: Any, count: int, what: str, dtype: Any = np.float64) -> np.ndarray:
        arr = np.asarray(value, dtype=dtype)
        if arr.ndim == 0:
            return np.full(count, arr, dtype=dtype)
        if arr.size != count:
            raise SolverError(f"{what} has {arr.size} values, expected {count}")
        return arr.ravel().copy()

    def variables(
        self,
        name: str,
        count: int,
        *,
        lower: Any = 0.0,
        upper: Any = np.inf,
        cost: Any = 0.0,
        integer: Any = False,
        labels: Mapping[str, Any] | Sequence[Any] | np.ndarray | None = None,
    ) -> Block:
        """Add a block of ``count`` variables (columns).

        Parameters
        ----------
        name : str
            Block name (unique among variable blocks), used by :meth:`Solution.primal`.
        count : int
            Number of variables (0 is allowed).
        lower, upper, cost : float or array-like
            Bounds and objective coefficients, a scalar for all or one value each.
        integer : bool or array-like of bool
            Integrality, for all or each.
        labels : mapping of str to array-like, or array-like, optional
            Labels of each variable (e.g. ``{"site": ..., "year": ...}``), used in names.

        Returns
        -------
        Block
            Its positions; ``block.index`` gives the column numbers for :meth:`coefficients`.
        """
        count = int(count)
        if name in self._cols:
            raise SolverError(f"variable block {name!r} is added twice")
        what = f"variable block {name!r}"
        block = Block(name, self.num_cols, self.num_cols + count)
        self._col_lo.append(self._vector(lower, count, f"{what} lower"))
        self._col_hi.append(self._vector(upper, count, f"{what} upper"))
        self._cost.append(self._vector(cost, count, f"{what} cost"))
        self._integer.append(self._vector(integer, count, f"{what} integer", np.int8))
        self._col_labels[name] = _labels_of(labels, count, what)
        self._cols[name] = block
        self.num_cols += count
        return block

    def constraints(
        self,
        name: str,
        count: int,
        *,
        lower: Any = -np.inf,
        upper: Any = np.inf,
        labels: Mapping[str, Any] | Sequence[Any] | np.ndarray | None = None,
    ) -> Block:
        """Add a block of ``count`` constraints ``lower <= row . x <= upper``.

        Parameters
        ----------
        name : str
            Block name (unique among constraint blocks), used by :meth:`Solution.dual` and in
            infeasibility messages.
        count : int
            Number of rows (0 is allowed).
        lower, upper : float or array-like
            Row bounds (equal for an equality), a scalar for all or one value each.
        labels : mapping of str to array-like, or array-like, optional
            Labels of each row (e.g. ``{"pool": ..., "year": ...}``).
        """
        count = int(count)
        if name in self._rows:
            raise SolverError(f"constraint block {name!r} is added twice")
        what = f"constraint block {name!r}"
        block = Block(name, self.num_rows, self.num_rows + count)
        self._row_lo.append(self._vector(lower, count, f"{what} lower"))
        self._row_hi.append(self._vector(upper, count, f"{what} upper"))
        self._row_labels[name] = _labels_of(labels, count, what)
        self._rows[name] = block
        self.num_rows += count
        return block

    def coefficients(self, rows: Any, cols: Any, vals: Any = 1.0) -> None:
        """Add matrix entries ``A[rows, cols] += vals`` (model positions, broadcast together)."""
        r, c, v = np.broadcast_arrays(np.asarray(rows, dtype=np.int64),
                                      np.asarray(cols, dtype=np.int64),
                                      np.asarray(vals, dtype=np.float64))
        self._r.append(r.ravel())
        self._c.append(c.ravel())
        self._v.append(v.ravel())

    def column_block(self, name: str) -> Block:
        return self._cols[name]

    def row_block(self, name: str) -> Block:
        return self._rows[name]

    def set_bounds(self, block: Block | str, lower: Any = None, upper: Any = None,
                   at: Any = None) -> None:
        """Change bounds of a variable block (all of it, or the members ``at`` within it)."""
        self._set(self._col_lo, block, lower, at)
        self._set(self._col_hi, block, upper, at)

    def set_cost(self, block: Block | str, cost: Any, at: Any = None) -> None:
        """Change objective coefficients of a variable block (all, or the members ``at``)."""
        self._set(self._cost, block, cost, at)

    def _set(self, store: list[np.ndarray], block: Block | str, value: Any, at: Any) -> None:
        if value is None:
            return
        name = block if isinstance(block, str) else block.name
        if name not in self._cols:
            raise SolverError(f"no variable block named {name!r}")
        arr = store[list(self._cols).index(name)]
        arr[slice(None) if at is None else at] = value

    def build(self, matrix_format: str = "csr", sense: str = "min", offset: float = 0.0
              ) -> LinearModel:
        """Assemble the model: one COO to CSR (``"csr"``) or CSC (``"csc"``) conversion."""
        if matrix_format not in ("csr", "csc"):
            raise SolverError(f"matrix_format must be 'csr' or 'csc', got {matrix_format!r}")

        def cat(parts: list[np.ndarray], dtype: Any) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)

        r, c, v = cat(self._r, np.int64), cat(self._c, np.int64), cat(self._v, np.float64)
        shape = (self.num_rows, self.num_cols)
        if r.size and (r.min() < 0 or r.max() >= shape[0] or c.min() < 0 or c.max() >= shape[1]):
            raise SolverError(f"a coefficient lies outside the {shape[0]} x {shape[1]} model")
        fmt = sp.csr_matrix if matrix_format == "csr" else sp.csc_matrix
        layout = Layout(
            columns={k: (b.start, b.stop) for k, b in self._cols.items()},
            rows={k: (b.start, b.stop) for k, b in self._rows.items()},
            column_labels=dict(self._col_labels), row_labels=dict(self._row_labels),
        )
        return LinearModel(
            c=cat(self._cost, np.float64), A=fmt((v, (r, c)), shape=shape),
            row_lo=cat(self._row_lo, np.float64), row_hi=cat(self._row_hi, np.float64),
            col_lo=cat(self._col_lo, np.float64), col_hi=cat(self._col_hi, np.float64),
            integrality=cat(self._integer, np.int8), layout=layout, sense=sense,
            offset=float(offset),
        )


@dataclass
class Solution:
    """What HiGHS returned, in the model's own column and row order.

    Attributes
    ----------
    status : str
        ``"optimal"``, or for a MIP stopped early with a feasible point ``"time_limit"`` /
        ``"interrupted"``.
    objective : float
        Objective value of ``x`` (in the model's units, e.g. USD).
    x : numpy.ndarray
        Primal values, one per column.
    row_dual : numpy.ndarray
        Row duals (HiGHS convention for minimisation: d objective / d row bound); empty for MIPs.
    col_dual : numpy.ndarray
        Reduced costs ``c - A^T y``; empty for MIPs.
    gap : float
        Relative optimality gap: for an LP, from an independently computed dual bound (see
        :func:`lp_duality_gap`); for a MIP, HiGHS's ``mip_gap``.
    dual_bound : float
        The lower bound behind ``gap`` [objective units].
    solve_seconds : float
        Wall time of the HiGHS run [s].
    iterations : int
        Simplex + IPM (+ PDLP) iterations, or branch-and-bound nodes for a MIP.
    message : str
        HiGHS's model status text.
    layout : Layout or None
        The model's named blocks, when it was built by :class:`ModelBuilder` (or given one);
        :meth:`primal`, :meth:`dual` and :meth:`reduced_cost` read values by block name.
    """

    status: str
    objective: float
    x: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    gap: float
    dual_bound: float
    solve_seconds: float
    iterations: int
    message: str
    layout: Layout | None = field(default=None, repr=False)

    @property
    def mip_gap(self) -> float:
        """The relative gap under its MIP name (same value as :attr:`gap`)."""
        return self.gap

    @property
    def seconds(self) -> float:
        """Wall time of the solve [s] (same value as :attr:`solve_seconds`)."""
        return self.solve_seconds

    def _blocks(self) -> Layout:
        if self.layout is None:
            raise SolverError("this solution has no named blocks (the model was given as matrices)")
        return self.layout

    def primal(self, name: str) -> np.ndarray:
        """Primal values of variable block ``name``, in block order."""
        return self.x[self._blocks().col(name)]

    def dual(self, name: str) -> np.ndarray:
        """Row duals of constraint block ``name`` (d objective / d row bound).

        Raises
        ------
        SolverError
            For a MIP (no duals; solve the LP with the integers fixed instead).
        """
        rows = self._blocks().row(name)
        if self.row_dual.size != self._blocks().num_rows:
            raise SolverError(f"no duals for constraint block {name!r}: the model was a MIP")
        return self.row_dual[rows]

    def reduced_cost(self, name: str) -> np.ndarray:
        """Reduced costs ``c - A^T y`` of variable block ``name`` (LP only)."""
        cols = self._blocks().col(name)
        if self.col_dual.size != self.x.size:
            raise SolverError(f"no reduced costs for variable block {name!r}: the model was a MIP")
        return self.col_dual[cols]


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence C-level stdout (HiGHS prints its banner from C++ when a model is created)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):
        yield
        return
    sys.stdout.flush()
    saved = os.dup(fd)
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, fd)
        os.close(saved)



def _new_highs() -> Any:
    import highspy

    with _quiet_stdout():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
    return h


def _run_interruptible(h: Any) -> None:
    """``h.run()`` in HiGHS's solver thread, waiting in slices so Ctrl-C is seen at once."""
    from gridfirst.errors import RunCancelled

    h.HandleUserInterrupt = True
    h.startSolve()
    try:
        while not h.wait(0.1)[0]:
            pass
    except KeyboardInterrupt:
        h.cancelSolve()
        while not h.wait(0.1)[0]:
            pass
        raise RunCancelled("solve cancelled") from None
    finally:
        h.HandleUserInterrupt = False


class HighsModel:
    """One model held by HiGHS, re-solvable after bound or cost changes (warm start).

    Parameters
    ----------
    c : numpy.ndarray
        Objective coefficients (n).
    A : scipy.sparse matrix
        Constraint matrix (m x n), CSC or CSR (anything else is converted to CSC).
    row_lo, row_hi : numpy.ndarray
        Row bounds (m); use ``-inf``/``inf`` for free sides.
    col_lo, col_hi : numpy.ndarray
        Column bounds (n).
    integrality : numpy.ndarray, optional
        1 for integer columns, 0 for continuous (n); None for an LP.
    sense : {"min", "max"}
        Objective sense.
    offset : float
        Constant added to the objective.
    row_name, col_name : callable, optional
        ``index -> name`` used to name constraints in an infeasibility explanation.
    layout : Layout, optional
        Named blocks (from :class:`ModelBuilder`): names rows and columns when ``row_name`` /
        ``col_name`` are not given, and lets the :class:`Solution` be read by block name.
    """

    def __init__(
        self,
        c: np.ndarray,
        A: sp.spmatrix | sp.sparray,
        row_lo: np.ndarray,
        row_hi: np.ndarray,
        col_lo: np.ndarray,
        col_hi: np.ndarray,
        integrality: np.ndarray | None = None,
        *,
        sense: str = "min",
        offset: float = 0.0,
        row_name: Callable[[int], str] | None = None,
        col_name: Callable[[int], str] | None = None,
        layout: Layout | None = None,
    ) -> None:
        if sense not in ("min", "max"):
            raise SolverError(f"sense must be 'min' or 'max', got {sense!r}")
        if not sp.issparse(A):
            raise SolverError(f"A must be a scipy.sparse matrix, got {type(A).__name__}")
        m, n = A.shape
        arrays = {
            "c": (c, n), "col_lo": (col_lo, n), "col_hi": (col_hi, n),
            "row_lo": (row_lo, m), "row_hi": (row_hi, m),
        }
        checked = {}
        for key, (arr, size) in arrays.items():
            vec = np.ascontiguousarray(arr, dtype=np.float64).ravel()
            if vec.shape[0] != size:
                raise SolverError(f"{key} has length {vec.shape[0]}, expected {size}")
            if np.isnan(vec).any():
                raise SolverError(f"{key} contains NaN at index {int(np.flatnonzero(np.isnan(vec))[0])}")
            checked[key] = vec
        self._c, self._col_lo, self._col_hi = checked["c"], checked["col_lo"], checked["col_hi"]
        self._row_lo, self._row_hi = checked["row_lo"], checked["row_hi"]
        if sp.isspmatrix_csr(A) or getattr(A, "format", None) == "csr":
            mat, a_format = A, 2  # kRowwise
        else:
            mat, a_format = A.tocsc(), 1  # kColwise
        mat = mat.copy()
        mat.sum_duplicates()
        if not np.isfinite(mat.data).all():
            raise SolverError("A contains NaN or infinite coefficients")
        self._A = mat
        self.num_col, self.num_row = n, m
        self._is_mip = integrality is not None and bool(np.any(integrality))
        self._integrality = (
            np.ascontiguousarray(integrality, dtype=np.int32).ravel()
            if integrality is not None
            else np.zeros(n, dtype=np.int32)
        )
        self._sense = sense
        self._layout = layout
        self._row_name = row_name if row_name is not None else (
            layout.row_name if layout is not None else None)
        self._col_name = col_name if col_name is not None else (
            layout.col_name if layout is not None else None)
        self._highs = _new_highs()
        status = self._highs.passModel(
            n, m, int(mat.nnz), a_format, 1 if sense == "min" else -1, float(offset),
            self._c, self._col_lo, self._col_hi, self._row_lo, self._row_hi,
            np.ascontiguousarray(mat.indptr, dtype=np.int32),
            np.ascontiguousarray(mat.indices, dtype=np.int32),
            np.ascontiguousarray(mat.data, dtype=np.float64),
            self._integrality,
        )
        if "Error" in str(status):
            raise SolverError(f"HiGHS rejected the model: {status}")

    @property
    def is_mip(self) -> bool:
        return self._is_mip

    def change_row_bounds(self, rows: Sequence[int] | np.ndarray, lo: Any, hi: Any) -> None:
        """Change row bounds in place; the next :meth:`solve` starts from the last basis."""
        idx = np.atleast_1d(np.asarray(rows, dtype=np.int32))
        lo_arr = np.broadcast_to(np.asarray(lo, dtype=np.float64), idx.shape).copy()
        hi_arr = np.broadcast_to(np.asarray(hi, dtype=np.float64), idx.shape).copy()
        self._row_lo[idx], self._row_hi[idx] = lo_arr, hi_arr
        self._highs.changeRowsBounds(len(idx), idx, lo_arr, hi_arr)

    def change_col_bounds(self, cols: Sequence[int] | np.ndarray, lo: Any, hi: Any) -> None:
        """Change column bounds in place."""
        idx = np.atleast_1d(np.asarray(cols, dtype=np.int32))
        lo_arr = np.broadcast_to(np.asarray(lo, dtype=np.float64), idx.shape).copy()
        hi_arr = np.broadcast_to(np.asarray(hi, dtype=np.float64), idx.shape).copy()
        self._col_lo[idx], self._col_hi[idx] = lo_arr, hi_arr
        self._highs.changeColsBounds(len(idx), idx, lo_arr, hi_arr)

    def change_costs(self, cols: Sequence[int] | np.ndarray, cost: Any) -> None:
        """Change objective coefficients in place."""
        idx = np.atleast_1d(np.asarray(cols, dtype=np.int32))
        cost_arr = np.broadcast_to(np.asarray(cost, dtype=np.float64), idx.shape).copy()
        self._c[idx] = cost_arr
        self._highs.changeColsCost(len(idx), idx, cost_arr)

    def solve(
        self,
        *,
        time_limit_s: float | None = None,
        mip_rel_gap: float | None = None,
        algorithm: str = "choose",
        threads: int | None = None,
        tolerance: float | None = None,
        options: dict[str, Any] | None = None,
        interruptible: bool = False,
    ) -> Solution:
        """Run HiGHS and return the solution, or raise a typed error.

        Parameters
        ----------
        time_limit_s : float, optional
            Wall-clock limit [s]. An LP that hits it raises :class:`SolverError`; a MIP with a
            feasible point returns it with ``status="time_limit"`` and its gap.
        mip_rel_gap : float, optional
            Relative MIP gap at which branch and bound stops.
        algorithm : str
            ``choose`` (HiGHS decides), ``simplex``, ``dual``, ``primal``, ``ipm``, ``ipx`` or
            ``pdlp``.
        threads : int, optional
            Threads HiGHS may use.
        tolerance : float, optional
            Primal and dual feasibility tolerance.
        options : dict, optional
            Any further HiGHS options by name.
        interruptible : bool
            Solve in HiGHS's own thread so that Ctrl-C stops it within a fraction of a second
            and raises :class:`~gridfirst.errors.RunCancelled` (long solves).

        Raises
        ------
        InfeasibleError
            HiGHS proved the model infeasible (the message names constraints of an IIS when
            names were given).
        SolverError
            Unbounded, limits reached without a usable point, or numerical failure.
        """
        if algorithm not in _ALGORITHMS:
            raise SolverError(f"algorithm {algorithm!r} is not one of {sorted(_ALGORITHMS)}")
        h = self._highs
        settings: dict[str, Any] = dict(_ALGORITHMS[algorithm])
        settings["time_limit"] = float(time_limit_s) if time_limit_s is not None else float("inf")
        if mip_rel_gap is not None:
            settings["mip_rel_gap"] = float(mip_rel_gap)
        if threads is not None:
            settings["threads"] = int(threads)
        if tolerance is not None:
            settings["primal_feasibility_tolerance"] = float(tolerance)
            settings["dual_feasibility_tolerance"] = float(tolerance)
        settings.update(options or {})
        for key, value in settings.items():
            status = h.setOptionValue(key, value)
            if "Error" in str(status):
                raise SolverError(f"HiGHS option {key}={value!r} was rejected")
        start = time.perf_counter()
        if interruptible:
            _run_interruptible(h)
        else:
            h.run()
        seconds = time.perf_counter() - start
        model_status = h.getModelStatus()
        message = h.modelStatusToString(model_status)
        name = str(model_status).rsplit(".", 1)[-1]
        info = h.getInfo()
        if name == "kUnboundedOrInfeasible":
            # presolve could not tell which; without it the simplex can.
            h.setOptionValue("presolve", "off")
            h.run()
            h.setOptionValue("presolve", "choose")
            model_status = h.getModelStatus()
            message = h.modelStatusToString(model_status)
            name = str(model_status).rsplit(".", 1)[-1]
            info = h.getInfo()
        if name == "kInfeasible":
            raise InfeasibleError(
                f"the model is infeasible (HiGHS: {message}){self._explain()}",
                explanation=message,
            )
        if name == "kUnbounded":
            raise SolverError(f"the model is unbounded (HiGHS: {message}); a cost or bound is missing")
        has_point = int(info.primal_solution_status) == 2  # kSolutionStatusFeasible
        if name != "kOptimal":
            limited = name in ("kTimeLimit", "kIterationLimit", "kSolutionLimit", "kInterrupt")
            if not (self._is_mip and limited and has_point):
                raise SolverError(
                    f"HiGHS stopped without an optimal solution: {message}"
                    + (f" after {seconds:.1f} s" if limited else "")
                )
        sol = h.getSolution()
        x = np.asarray(sol.col_value, dtype=np.float64)
        objective = float(info.objective_function_value)
        if self._is_mip:
            dual_bound = float(info.mip_dual_bound)
            gap = float(info.mip_gap) if np.isfinite(info.mip_gap) else float("inf")
            row_dual = np.zeros(0)
            col_dual = np.zeros(0)
            iterations = int(info.mip_node_count)
        else:
            row_dual = np.asarray(sol.row_dual, dtype=np.float64)
            col_dual = np.asarray(sol.col_dual, dtype=np.float64)
            sign = 1.0 if self._sense == "min" else -1.0
            dual_bound = sign * lp_dual_bound(
                sign * self._c, self._A, self._row_lo, self._row_hi,
                self._col_lo, self._col_hi, sign * row_dual,
            )
            gap = abs(objective - dual_bound) / max(1.0, abs(objective))
            iterations = (
                int(info.simplex_iteration_count) + max(0, int(info.ipm_iteration_count))
                + max(0, int(info.pdlp_iteration_count))
            )
        status_text = "optimal" if name == "kOptimal" else (
            "time_limit" if name == "kTimeLimit" else "interrupted"
        )
        return Solution(
            status=status_text, objective=objective, x=x, row_dual=row_dual, col_dual=col_dual,
            gap=gap, dual_bound=dual_bound, solve_seconds=seconds, iterations=iterations,
            message=message, layout=self._layout,
        )

    def _explain(self) -> str:
        """Name the constraints behind an infeasibility, and the blocks they belong to.

        Uses HiGHS's irreducible infeasible subset when it finds one, else the rows with a
        non-zero entry in the dual (Farkas) ray, which prove infeasibility together.
        """
        if self._row_name is None and self._col_name is None:
            return ""
        rows, cols = self._iis()
        if not rows and not cols:
            rows = self._ray_rows()
        names = []
        if self._row_name is not None:
            names += [self._row_name(i) for i in rows[:8]]
        if self._col_name is not None:
            names += [f"bound of {self._col_name(j)}" for j in cols[:8]]
        if not names:
            return ""
        text = f"; conflicting constraints: {', '.join(names)}"
        if self._layout is not None and rows:
            blocks = list(dict.fromkeys(self._layout.row_block(i) for i in rows))
            text += f" (constraint blocks: {', '.join(blocks)})"
        return text

    def _iis(self) -> tuple[list[int], list[int]]:
        try:
            status, iis = self._highs.getIis()
        except Exception:  # pragma: no cover - IIS is best effort
            return [], []
        if "Error" in str(status) or not getattr(iis, "valid_", False):
            return [], []
        return [int(i) for i in iis.row_index_], [int(j) for j in iis.col_index_]

    def _ray_rows(self) -> list[int]:
        if self._is_mip:
            return []
        h = self._highs
        try:
            _, has_ray, ray = h.getDualRay()
            if not has_ray:
                # presolve proved infeasibility without a ray; the simplex gives one
                h.setOptionValue("presolve", "off")
                with _quiet_stdout():
                    h.run()
                h.setOptionValue("presolve", "choose")
                _, has_ray, ray = h.getDualRay()
        except Exception:  # pragma: no cover - the ray is best effort
            return []
        if not has_ray:
            return []
        ray = np.asarray(ray, dtype=np.float64)
        scale = float(np.abs(ray).max(initial=0.0))
        return [int(i) for i in np.flatnonzero(np.abs(ray) > 1e-9 * max(scale, 1.0))]


def lp_dual_bound(
    c: np.ndarray,
    A: sp.spmatrix | sp.sparray,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    col_lo: np.ndarray,
    col_hi: np.ndarray,
    row_dual: np.ndarray,
) -> float:
    """Lower bound on ``min c x`` implied by any row dual vector ``y`` (weak duality).

    With reduced costs ``z = c - A^T y``, every feasible ``x`` has
    ``c x = y^T A x + z^T x >= sum_i min(y_i lo_i, y_i hi_i) + sum_j min(z_j l_j, z_j u_j)``.
    Rows or columns whose needed bound is infinite have their dual clipped to 0 first (a
    projection onto the dual-feasible set); for a column this uses the fact that the remaining
    reduced cost is within HiGHS's dual feasibility tolerance.

    Returns
    -------
    float
        The bound, ``-inf`` if a non-negligible dual sits on an infinite bound.

    References
    ----------
    .. [1] Vanderbei, R. J. (2020). Linear Programming: Foundations and Extensions, 5th ed.,
       Springer, ch. 5 (weak duality).
    """
    y = np.asarray(row_dual, dtype=np.float64).copy()
    y[(y > 0) & ~np.isfinite(row_lo)] = 0.0
    y[(y < 0) & ~np.isfinite(row_hi)] = 0.0
    z = np.asarray(c, dtype=np.float64) - A.T @ y
    rows = np.where(y > 0, y * np.where(np.isfinite(row_lo), row_lo, 0.0),
                    y * np.where(np.isfinite(row_hi), row_hi, 0.0))
    bad_lo = (z > 0) & ~np.isfinite(col_lo)
    bad_hi = (z < 0) & ~np.isfinite(col_hi)
    scale = max(1.0, float(np.abs(c).max(initial=0.0)))
    if (np.abs(z[bad_lo | bad_hi]) > 1e-6 * scale).any():
        return float("-inf")
    z = np.where(bad_lo | bad_hi, 0.0, z)
    cols = np.where(z > 0, z * np.where(np.isfinite(col_lo), col_lo, 0.0),
                    z * np.where(np.isfinite(col_hi), col_hi, 0.0))
    return float(rows.sum() + cols.sum())


def solve(
    c: np.ndarray,
    A: sp.spmatrix | sp.sparray,
    row_lo: np.ndarray,
    row_hi: np.ndarray,
    col_lo: np.ndarray,
    col_hi: np.ndarray,
    integrality: np.ndarray | None = None,
    **kwargs: Any,
) -> Solution:
    """Build a :class:`HighsModel` and solve it once (see :meth:`HighsModel.solve` for kwargs).

    Keyword arguments ``sense``, ``offset``, ``row_name`` and ``col_name`` go to the model; the
    rest (``time_limit_s``, ``mip_rel_gap``, ``algorithm``, ``threads``, ...) to the solve.
    """
    model_keys = {"sense", "offset", "row_name", "col_name"}
    model_kwargs = {k: kwargs.pop(k) for k in list(kwargs) if k in model_keys}
    model = HighsModel(c, A, row_lo, row_hi, col_lo, col_hi, integrality, **model_kwargs)
    return model.solve(**kwargs)
