"""The fast method's own layout of the reference procurement LP: a banded standard form.

Holds :func:`build_standard_form`, which lays a :class:`~gridfirst.procurement.model.ProcurementLP`
(the one LP data class both methods take) out for the interior-point method in :mod:`fast_ipm`;
the API is in :mod:`fast`. This is deliberately not built through
:class:`gridfirst.solver.ModelBuilder`: the IPM needs every inequality turned into an equality
with a slack column (``min c'x, Ax = b, x >= 0``) and rows numbered hour by hour (links, balance,
storage) so that the normal equations of the hourly columns are banded; the five capacity
columns and the state of charge of the last hour (the cyclic wrap) are dense columns, and the
CFE budget is the one dense row. HiGHS never sees this form (it solves
:func:`~gridfirst.procurement.model.to_sparse`), and nothing outside the fast method reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from gridfirst.procurement.model import CAPACITY_NAMES, HOURLY_BLOCKS, ProcurementLP

# hourly row types, in band order within an hour
_ROW_KINDS = ("ls", "lw", "lf", "lg", "bal", "lc", "ld", "sto", "le")
_LEAF_KINDS = ("ls", "lw", "lf", "lg", "lc", "ld", "le")
HOURLY = HOURLY_BLOCKS
CAPACITIES = CAPACITY_NAMES


@dataclass
class StandardForm:
    """The standard-form matrices plus the index maps back to the named variables."""

    a: sp.csc_matrix
    b: np.ndarray
    c: np.ndarray
    n_band: int
    dense_cols: np.ndarray
    cols: dict[str, np.ndarray]  # hourly name -> column per hour (-1 if absent)
    cap_cols: np.ndarray  # 5 capacity columns
    rows: dict[str, np.ndarray]  # row kind -> row per hour (-1 if absent)
    cfe_row: int  # -1 if absent
    grid_fixed_zero: np.ndarray  # hours where g_t is fixed to zero (target 100 %, share < 1)
    leaf_rows: np.ndarray  # banded rows eliminated first (the capacity and grid links)


def build_standard_form(d: ProcurementLP) -> StandardForm:
    """Build ``min c'x, Ax = b, x >= 0`` for the reference LP with a banded row order."""
    t_n = d.hours
    hours = np.arange(t_n)
    budget = d.cfe_budget_mwh
    dirty = 1.0 - d.grid_cfe_share
    grid_cap = d.grid_limit_mw
    # presolve: g_t fixed at zero when the grid is closed or the CFE budget is zero
    g_zero = np.zeros(t_n, dtype=bool)
    if grid_cap <= 0.0:
        g_zero[:] = True
    if budget <= 0.0:
        g_zero |= dirty > 0.0
    has = {
        "solar": d.solar_cf > 0.0,
        "wind": d.wind_cf > 0.0,
        "firm": np.ones(t_n, bool),
        "grid": ~g_zero,
        "charge": np.ones(t_n, bool),
        "discharge": np.ones(t_n, bool),
        "soc": np.ones(t_n, bool),
    }
    link_of = {
        "solar": "ls",
        "wind": "lw",
        "firm": "lf",
        "charge": "lc",
        "discharge": "ld",
        "soc": "le",
    }
    row_has = {
        "ls": has["solar"],
        "lw": has["wind"],
        "lf": has["firm"],
        "lg": has["grid"] & np.isfinite(grid_cap),
        "bal": np.ones(t_n, bool),
        "lc": has["charge"],
        "ld": has["discharge"],
        "sto": np.ones(t_n, bool),
        "le": has["soc"],
    }
    # row numbering: hour-major, kind-minor, only present rows
    keys, kinds_t = [], []
    leaf_first = len(_ROW_KINDS) * t_n  # link rows (leaves) first, then balance/storage by hour
    for k, kind in enumerate(_ROW_KINDS):
        present = hours[row_has[kind]]
        keys.append(present * len(_ROW_KINDS) + k + (0 if kind in _LEAF_KINDS else leaf_first))
        kinds_t.append((kind, present))
    order = np.argsort(np.concatenate(keys), kind="stable")
    row_id = np.empty(order.size, np.int64)
    row_id[order] = np.arange(order.size)
    rows: dict[str, np.ndarray] = {}
    pos = 0
    for kind, present in kinds_t:
        r = np.full(t_n, -1, np.int64)
        r[present] = row_id[pos : pos + present.size]
        rows[kind] = r
        pos += present.size
    n_band = order.size
    cfe_present = bool(budget > 0.0 and np.any(has["grid"] & (dirty > 0.0)))
    cfe_row = n_band if cfe_present else -1
    m = n_band + (1 if cfe_present else 0)

    # columns
    ncol = 0
    cols: dict[str, np.ndarray] = {}
    for name in HOURLY:
        ccol = np.full(t_n, -1, np.int64)
        cnt = int(has[name].sum())
        ccol[has[name]] = np.arange(ncol, ncol + cnt)
        cols[name] = ccol
        ncol += cnt
    slack_cols: dict[str, np.ndarray] = {}
    for kind in ("ls", "lw", "lf", "lg", "lc", "ld", "le"):
        present = row_has[kind]
        scol = np.full(t_n, -1, np.int64)
        scol[present] = np.arange(ncol, ncol + int(present.sum()))
        slack_cols[kind] = scol
        ncol += int(present.sum())
    cfe_slack = -1
    if cfe_present:
        cfe_slack = ncol
        ncol += 1
    cap_cols = np.arange(ncol, ncol + 5)
    ncol += 5

    ri: list[np.ndarray] = []
    ci: list[np.ndarray] = []
    vv: list[np.ndarray] = []

    def add(r: np.ndarray, c: np.ndarray, v: np.ndarray | float) -> None:
        keep = (r >= 0) & (c >= 0)
        ri.append(r[keep])
        ci.append(c[keep])
        vv.append(np.broadcast_to(np.asarray(v, float), r.shape)[keep])

    bal = rows["bal"]
    for name in ("solar", "wind", "firm", "grid", "discharge"):
        add(bal, cols[name], 1.0)
    add(bal, cols["charge"], -1.0)
    sto = rows["sto"]
    add(sto, cols["soc"], 1.0)
    add(sto, np.roll(cols["soc"], 1), -1.0)  # e_{t-1}, cyclic
    add(sto, cols["charge"], -d.eta_charge)
    add(sto, cols["discharge"], 1.0 / d.eta_discharge)
    # links: x_t + slack - cf_t * K = 0  (or x_t + slack = G for the grid)
    cap_of = {"solar": 0, "wind": 1, "charge": 2, "discharge": 2, "soc": 3, "firm": 4}
    factor = {"solar": d.solar_cf, "wind": d.wind_cf}
    for name, kind in link_of.items():
        r = rows[kind]
        add(r, cols[name], 1.0)
        add(r, slack_cols[kind], 1.0)
        add(r, np.full(t_n, cap_cols[cap_of[name]]), -factor.get(name, np.ones(t_n)))
    add(rows["lg"], cols["grid"], 1.0)
    add(rows["lg"], slack_cols["lg"], 1.0)
    b = np.zeros(m)
    b[bal] = d.load_mw
    if np.isfinite(grid_cap):
        lg = rows["lg"]
        b[lg[lg >= 0]] = grid_cap
    if cfe_present:
        gcol = cols["grid"]
        sel = (gcol >= 0) & (dirty > 0.0)
        add(np.full(int(sel.sum()), cfe_row), gcol[sel], dirty[sel])
        add(np.array([cfe_row]), np.array([cfe_slack]), 1.0)
        b[cfe_row] = budget
    a = sp.csc_matrix(
        (np.concatenate(vv), (np.concatenate(ri), np.concatenate(ci))), shape=(m, ncol)
    )
    c = np.zeros(ncol)
    gcol = cols["grid"]
    c[gcol[gcol >= 0]] = d.grid_price_usd_per_mwh[gcol >= 0]
    c[cols["firm"]] = d.firm_marginal_usd_per_mwh
    c[cap_cols] = d.capacity_costs
    dense = np.concatenate([cap_cols, [cols["soc"][-1]]])
    leaf = np.zeros(n_band, bool)
    for kind in _LEAF_KINDS:
        r = rows[kind]
        leaf[r[r >= 0]] = True
    return StandardForm(a, b, c, n_band, dense, cols, cap_cols, rows, cfe_row, g_zero, leaf)


def split_solution(sf: StandardForm, x: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Hourly arrays (zeros where a variable is absent) and the five capacities from x."""
    hourly = {}
    for name, col in sf.cols.items():
        v = np.zeros(col.size)
        present = col >= 0
        v[present] = x[col[present]]
        hourly[name] = v
    return hourly, x[sf.cap_cols].copy()
