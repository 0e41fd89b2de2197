"""The one thin layer between gridfirst's models and the HiGHS solver (via highspy).

Models hand over ``min c x s.t. row_lo <= A x <= row_hi, col_lo <= x <= col_hi`` as scipy.sparse
matrices and numpy arrays (optionally with integrality) and get back a :class:`Solution` or a
typed error (:class:`~gridfirst.errors.InfeasibleError`, :class:`~gridfirst.errors.SolverError`)
carrying HiGHS's own status message. Nothing here knows what the variables mean.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from gridfirst.errors import InfeasibleError, SolverError

if TYPE_CHECKING:
    from collections.abc import Iterator

    import scipy.sparse as sp

_ALGORITHMS: dict[str, dict[str, Any]] = {
    "choose": {"solver": "choose"},
    "simplex": {"solver": "simplex"},
    "dual": {"solver": "simplex", "simplex_strategy": 1},
    "primal": {"solver": "simplex", "simplex_strategy": 4},
    "ipm": {"solver": "ipm"},
    "ipx": {"solver": "ipx"},
    "pdlp": {"solver": "pdlp"},
}


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

    @property
    def mip_gap(self) -> float:
        return self.gap


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
    ) -> None:
        import scipy.sparse as sp

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
        self._row_name = row_name
        self._col_name = col_name
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
            message=message,
        )

    def _explain(self) -> str:
        """Name the constraints of an irreducible infeasible subset, when HiGHS finds one."""
        if self._row_name is None and self._col_name is None:
            return ""
        try:
            status, iis = self._highs.getIis()
        except Exception:  # pragma: no cover - IIS is best effort
            return ""
        if "Error" in str(status) or not getattr(iis, "valid_", False):
            return ""
        names = []
        if self._row_name is not None:
            names += [self._row_name(int(i)) for i in list(iis.row_index_)[:8]]
        if self._col_name is not None:
            names += [f"bound of {self._col_name(int(j))}" for j in list(iis.col_index_)[:8]]
        return f"; conflicting constraints: {', '.join(names)}" if names else ""


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
