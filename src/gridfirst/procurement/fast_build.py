"""The fast method's own layout of the procurement LP: a banded standard form.

Holds :func:`build_standard_form`, which lays a :class:`~gridfirst.procurement.model.ProcurementLP`
(the one LP data class both methods take, with any number of supply options) out for the
interior-point method in :mod:`fast_ipm`; the API is in :mod:`fast`. This is deliberately not
built through :class:`gridfirst.solver.ModelBuilder`: the IPM needs every inequality turned into
an equality with a slack column (``min c'x, Ax = b, x >= 0``) and rows numbered hour by hour so
that the normal equations of the hourly columns are banded. Per hour, the link rows (``x_t <=
a_t K``, ``c_t <= P``, ``d_t <= P``, ``e_t <= E``, ``g_t <= limit``) come first as leaves, then
the balance row and one storage row per storage. Capacities and each storage's state of charge
in the last hour (the cyclic wrap) are dense columns; the CFE budget, the energy limits and the
capacity caps (``K + s = max_mw``) are dense rows. HiGHS never sees this form (it solves
:func:`~gridfirst.procurement.model.to_sparse`), and nothing outside the fast method reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from gridfirst.procurement.model import ProcurementLP


@dataclass
class StandardForm:
    """The standard-form matrices plus the index maps back to the named variables.

    ``cols`` maps an hourly variable (``gen:<g>``, ``grid``, ``charge:<s>``, ``discharge:<s>``,
    ``soc:<s>``) to its column per hour (-1 where absent); ``cap_cols`` maps a capacity name of
    :attr:`ProcurementLP.capacity_names` to its column; ``rows`` maps ``bal`` and ``sto:<s>`` to
    the row per hour; ``dense_rows`` maps ``cfe`` and ``energy_limit:<g>`` to their row.
    """

    a: sp.csc_matrix
    b: np.ndarray
    c: np.ndarray
    n_band: int
    dense_cols: np.ndarray
    cols: dict[str, np.ndarray]
    cap_cols: dict[str, int]
    rows: dict[str, np.ndarray]
    dense_rows: dict[str, int]
    grid_fixed_zero: np.ndarray  # hours where g_t is fixed to zero (target 100 %, share < 1)
    leaf_rows: np.ndarray  # banded rows eliminated first (the capacity and grid links)
    shortfall_col: int = -1  # the soft target's CFE shortfall [MWh], -1 if absent

    @property
    def cfe_row(self) -> int:
        return self.dense_rows.get("cfe", -1)


def grid_closed(d: ProcurementLP) -> np.ndarray:
    """Hours whose grid import is fixed at zero: the grid is closed, or the CFE budget is zero
    and the hour's grid is not fully carbon-free."""
    g_zero = np.zeros(d.hours, dtype=bool)
    if d.grid_limit_mw <= 0.0:
        g_zero[:] = True
    if d.cfe_budget_mwh <= 0.0 and not d.soft_target:
        g_zero |= (1.0 - d.grid_cfe_share) > 0.0
    return g_zero


def generator_open(d: ProcurementLP, i: int) -> np.ndarray:
    """Hours where generator ``i`` may produce (positive availability, and not dirty energy
    under a zero CFE budget)."""
    g = d.generators[i]
    if g.max_mw <= 0.0 or (d.cfe_budget_mwh <= 0.0 and not d.soft_target and g.cfe_share < 1.0):
        return np.zeros(d.hours, dtype=bool)
    return g.profile > 0.0


class _Rows:
    """Hour-major numbering of the banded rows: leaves of all hours first, then kept rows."""

    def __init__(self, t_n: int) -> None:
        self.t_n = t_n
        self.kinds: list[tuple[str, np.ndarray, bool]] = []

    def add(self, kind: str, present: np.ndarray, leaf: bool) -> None:
        self.kinds.append((kind, present, leaf))

    def number(self) -> tuple[dict[str, np.ndarray], int, np.ndarray]:
        t_n, k_n = self.t_n, len(self.kinds)
        hours = np.arange(t_n)
        keys = []
        for k, (_, present, leaf) in enumerate(self.kinds):
            keys.append(hours[present] * k_n + k + (0 if leaf else k_n * t_n))
        order = np.argsort(np.concatenate(keys), kind="stable")
        row_id = np.empty(order.size, np.int64)
        row_id[order] = np.arange(order.size)
        rows: dict[str, np.ndarray] = {}
        leaf_mask = np.zeros(order.size, bool)
        pos = 0
        for kind, present, leaf in self.kinds:
            r = np.full(t_n, -1, np.int64)
            count = int(present.sum())
            r[present] = row_id[pos : pos + count]
            rows[kind] = r
            if leaf:
                leaf_mask[r[present]] = True
            pos += count
        return rows, order.size, leaf_mask


def build_standard_form(d: ProcurementLP) -> StandardForm:
    """Build ``min c'x, Ax = b, x >= 0`` for the LP with a banded row order."""
    t_n = d.hours
    budget = d.cfe_budget_mwh
    dirty = 1.0 - d.grid_cfe_share
    grid_cap = d.grid_limit_mw
    g_zero = grid_closed(d)
    ones = np.ones(t_n, bool)

    has: dict[str, np.ndarray] = {}
    for i, g in enumerate(d.generators):
        has[f"gen:{g.name}"] = generator_open(d, i)
    has["grid"] = ~g_zero
    for s in d.storages:
        for kind in ("charge", "discharge", "soc"):
            has[f"{kind}:{s.name}"] = ones if s.max_mw > 0 else np.zeros(t_n, bool)

    # banded rows
    numbering = _Rows(t_n)
    links: list[tuple[str, str, str | None, np.ndarray | float]] = []  # row, var, cap, factor
    for g in d.generators:
        links.append((f"L:{g.name}", f"gen:{g.name}", f"{g.name}_mw", g.profile))
    if np.isfinite(grid_cap):
        links.append(("L:grid", "grid", None, 1.0))
    for s in d.storages:
        links.append((f"Lc:{s.name}", f"charge:{s.name}", f"{s.name}_mw", 1.0))
        links.append((f"Ld:{s.name}", f"discharge:{s.name}", f"{s.name}_mw", 1.0))
        if s.duration_h is None:
            links.append((f"Le:{s.name}", f"soc:{s.name}", f"{s.name}_mwh", 1.0))
        else:
            links.append((f"Le:{s.name}", f"soc:{s.name}", f"{s.name}_mw", s.duration_h))
    for row, var, _, _ in links:
        numbering.add(row, has[var], leaf=True)
    numbering.add("bal", ones, leaf=False)
    for s in d.storages:
        numbering.add(f"sto:{s.name}", ones, leaf=False)
    rows, n_band, leaf = numbering.number()

    # dense rows
    dense_rows: dict[str, int] = {}
    m = n_band
    cfe_terms = [(f"gen:{g.name}", 1.0 - g.cfe_share) for g in d.generators if g.cfe_share < 1.0]
    cfe_present = (budget > 0.0 or d.soft_target) and (
        bool(np.any(has["grid"] & (dirty > 0.0)))
        or any(bool(has[var].any()) for var, _ in cfe_terms)
    )
    if cfe_present:
        dense_rows["cfe"] = m
        m += 1
    for g in d.generators:
        if g.energy_mwh_per_mw is not None and has[f"gen:{g.name}"].any():
            dense_rows[f"energy_limit:{g.name}"] = m
            m += 1
    capped = [name for name, cap in capacity_caps(d).items() if np.isfinite(cap)]
    for name in capped:
        dense_rows[f"cap:{name}"] = m
        m += 1

    # columns: hourly variables, link slacks, dense-row slacks, capacities
    ncol = 0
    cols: dict[str, np.ndarray] = {}
    for name, present in has.items():
        ccol = np.full(t_n, -1, np.int64)
        cnt = int(present.sum())
        ccol[present] = np.arange(ncol, ncol + cnt)
        cols[name] = ccol
        ncol += cnt
    slack: dict[str, np.ndarray] = {}
    for row, var, _, _ in links:
        present = has[var]
        scol = np.full(t_n, -1, np.int64)
        scol[present] = np.arange(ncol, ncol + int(present.sum()))
        slack[row] = scol
        ncol += int(present.sum())
    row_slack: dict[str, int] = {}
    for name in dense_rows:
        row_slack[name] = ncol
        ncol += 1
    cap_cols: dict[str, int] = {}
    for name in d.capacity_names:
        cap_cols[name] = ncol
        ncol += 1
    shortfall_col = -1
    if cfe_present and d.soft_target:
        shortfall_col = ncol
        ncol += 1

    ri: list[np.ndarray] = []
    ci: list[np.ndarray] = []
    vv: list[np.ndarray] = []

    def add(r: np.ndarray, c: np.ndarray, v: np.ndarray | float) -> None:
        r, c = np.broadcast_arrays(np.asarray(r), np.asarray(c))
        keep = (r >= 0) & (c >= 0)
        ri.append(r[keep])
        ci.append(c[keep])
        vv.append(np.broadcast_to(np.asarray(v, float), r.shape)[keep])

    bal = rows["bal"]
    for g in d.generators:
        add(bal, cols[f"gen:{g.name}"], 1.0)
    add(bal, cols["grid"], 1.0)
    for s in d.storages:
        c_, d_, e_ = (cols[f"{k}:{s.name}"] for k in ("charge", "discharge", "soc"))
        add(bal, d_, 1.0)
        add(bal, c_, -1.0)
        sto = rows[f"sto:{s.name}"]
        add(sto, e_, 1.0)
        add(sto, np.roll(e_, 1), -1.0)  # e_{t-1}, cyclic
        add(sto, c_, -s.eta_charge)
        add(sto, d_, 1.0 / s.eta_discharge)
    # links: x_t + slack - factor_t * K = 0  (or g_t + slack = limit for the grid)
    for row, var, cap, factor in links:
        r = rows[row]
        add(r, cols[var], 1.0)
        add(r, slack[row], 1.0)
        if cap is not None:
            add(r, np.full(t_n, cap_cols[cap]), -np.broadcast_to(np.asarray(factor, float), (t_n,)))
    b = np.zeros(m)
    b[bal] = d.load_mw
    if np.isfinite(grid_cap):
        lg = rows["L:grid"]
        b[lg[lg >= 0]] = grid_cap
    if cfe_present:
        dr = dense_rows["cfe"]
        gcol = cols["grid"]
        sel = (gcol >= 0) & (dirty > 0.0)
        add(np.full(int(sel.sum()), dr), gcol[sel], dirty[sel])
        for var, w in cfe_terms:
            xc = cols[var]
            add(np.full(int((xc >= 0).sum()), dr), xc[xc >= 0], w)
        add(np.array([dr]), np.array([row_slack["cfe"]]), 1.0)
        if shortfall_col >= 0:
            add(np.array([dr]), np.array([shortfall_col]), -1.0)
        b[dr] = budget
    for g in d.generators:
        name = f"energy_limit:{g.name}"
        if name in dense_rows:
            dr = dense_rows[name]
            xc = cols[f"gen:{g.name}"]
            add(np.full(int((xc >= 0).sum()), dr), xc[xc >= 0], 1.0)
            add(np.array([dr]), np.array([cap_cols[f"{g.name}_mw"]]), -float(g.energy_mwh_per_mw or 0.0))
            add(np.array([dr]), np.array([row_slack[name]]), 1.0)
    caps = capacity_caps(d)
    for name in capped:
        dr = dense_rows[f"cap:{name}"]
        add(np.array([dr]), np.array([cap_cols[name]]), 1.0)
        add(np.array([dr]), np.array([row_slack[f"cap:{name}"]]), 1.0)
        b[dr] = caps[name]
    rr, cc, vals = np.concatenate(ri), np.concatenate(ci), np.concatenate(vv)
    a = sp.csc_matrix((vals, (rr, cc)), shape=(m, ncol))
    c = np.zeros(ncol)
    gcol = cols["grid"]
    c[gcol[gcol >= 0]] = d.price_usd_per_mwh[gcol >= 0]
    for g in d.generators:
        xc = cols[f"gen:{g.name}"]
        c[xc[xc >= 0]] = d.energy_price_usd_per_mwh(g)[xc >= 0]
    for name, value in capacity_costs(d).items():
        c[cap_cols[name]] = value
    if shortfall_col >= 0:
        c[shortfall_col] = float(d.cfe_shortfall_usd_per_mwh or 0.0)
    wraps = [cols[f"soc:{s.name}"][-1] for s in d.storages if cols[f"soc:{s.name}"][-1] >= 0]
    dense = np.array(sorted(cap_cols.values()) + wraps, dtype=np.int64)
    return StandardForm(a, b, c, n_band, dense, cols, cap_cols, rows, dense_rows, g_zero, leaf,
                        shortfall_col)


#: Key of the soft target's CFE shortfall [MWh] among a plan's capacities.
SHORTFALL = "cfe_shortfall_mwh"


def _capacities(d: ProcurementLP) -> list[tuple[str, float, float]]:
    """Each capacity of :attr:`ProcurementLP.capacity_names` as (name, annual cost, cap)."""
    out = [(f"{g.name}_mw", g.usd_per_mw_year, g.max_mw) for g in d.generators]
    for s in d.storages:
        out.append((f"{s.name}_mw", s.power_cost_usd_per_mw_year, s.max_mw))
        if s.duration_h is None:
            out.append((f"{s.name}_mwh", s.energy_usd_per_mwh_year, np.inf))
    return out


def capacity_costs(d: ProcurementLP) -> dict[str, float]:
    """Annual cost of each capacity of :attr:`ProcurementLP.capacity_names` [USD per MW(h)-yr]."""
    return {name: cost for name, cost, _ in _capacities(d)}


def capacity_caps(d: ProcurementLP) -> dict[str, float]:
    """Most of each capacity the buyer can contract [MW or MWh] (``inf`` when unlimited)."""
    return {name: cap for name, _, cap in _capacities(d)}


def split_solution(sf: StandardForm, x: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Hourly arrays (zeros where a variable is absent) and the capacities from x."""
    hourly = {}
    for name, col in sf.cols.items():
        v = np.zeros(col.size)
        present = col >= 0
        v[present] = x[col[present]]
        hourly[name] = v
    caps = {name: float(x[j]) for name, j in sf.cap_cols.items()}
    if sf.shortfall_col >= 0:
        caps[SHORTFALL] = float(x[sf.shortfall_col])
    return hourly, caps
