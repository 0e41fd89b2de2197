"""Portfolio results as tables: build schedule, allocation, costs, shortfalls, binding constraints.

Decoding a solved :class:`~gridfirst.portfolio.model.PortfolioModel` into planner's tables; no
solving or explaining happens here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.portfolio.inputs import PortfolioInputs
from gridfirst.portfolio.model import COST_PARTS, PENALTY_PARTS, SIGNED_STAGES, PortfolioModel

if TYPE_CHECKING:
    from gridfirst.portfolio.solve import Solution

#: Below this many MW a value is solver noise, not a build or a shortfall.
TOL_MW = 1e-4

BUILD_COLUMNS = ["site", "market", "country", "kind", "year", "decided_mw", "added_mw",
                 "online_mw", "power_available_mw", "pue", "power_pool"]
SHORTFALL_COLUMNS = ["region", "year", "workload", "mw", "binding", "structural",
                     "structural_mw", "bridge_usd_per_kw_month", "explanation"]
DEAL_COLUMNS = ["deal", "kind", "stage", "mw", "start_year", "sign_by_year"]
UNUSED_COLUMNS = ["site", "name", "kind", "market", "reason", "constraint",
                  "extra_cost_usd_per_mw_year"]
BINDING_COLUMNS = ["constraint", "site_or_region", "year", "shadow_price", "unit", "meaning"]


@dataclass
class PortfolioResult:
    """A solved build-out plan (money in USD of the scenario's currency year).

    Attributes
    ----------
    builds : pandas.DataFrame
        ``site, market, country, kind, year, decided_mw`` (construction started that year),
        ``added_mw`` (newly online), ``online_mw``, ``power_available_mw`` (the site's power pool),
        ``pue``, ``power_pool``; every year of every site that holds capacity.
    allocation : pandas.DataFrame
        ``site, region, workload, year, mw`` served.
    shortfalls : pandas.DataFrame
        ``region, year, workload, mw, binding`` (constraint family in words), ``structural``
        (no decision inside the horizon can serve it), ``structural_mw`` (the part no decision
        can serve), ``bridge_usd_per_kw_month`` (what 1 kW of capacity online that year is worth
        to the plan, all-in: its shadow price), ``explanation``.
    costs : pandas.DataFrame
        Per year: one column per cost part [USD], ``total_usd``, ``discount_factor``, ``npv_usd``.
    total_cost_usd : float
        Net present cost of the plan (the objective) [USD]: ``cash_cost_usd`` plus the
        penalties.
    cash_cost_usd : float
        Net present cash cost [USD]: capital, site, accelerators, energy, network, deals, PPAs.
    cost_breakdown_usd : dict
        Net present cost by part [USD], the cash parts and, apart, ``penalties`` (``unmet`` and
        ``risk``).
    binding : pandas.DataFrame
        ``constraint, site_or_region, year, shadow_price, unit, meaning``.
    signed_deals : list of str
        Deals (space and PPA) the plan takes that are signed already.
    recommended_deals : pandas.DataFrame
        Deals the plan takes that are not signed yet (:data:`DEAL_COLUMNS`), with the year by
        which to sign them.
    unused : pandas.DataFrame
        Every candidate the plan leaves out and why (:data:`UNUSED_COLUMNS`).
    """

    builds: pd.DataFrame
    allocation: pd.DataFrame
    shortfalls: pd.DataFrame
    costs: pd.DataFrame
    total_cost_usd: float
    status: str
    mip_gap: float
    solve_seconds: float
    inputs: PortfolioInputs
    binding: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=BINDING_COLUMNS))
    signed_deals: list[str] = field(default_factory=list)
    recommended_deals: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=DEAL_COLUMNS))
    unused: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=UNUSED_COLUMNS))

    @property
    def taken_deals(self) -> list[str]:
        """Every deal the plan takes: the signed ones and those it recommends signing."""
        return [*self.signed_deals, *(str(d) for d in self.recommended_deals["deal"])]

    @property
    def cost_breakdown_usd(self) -> dict[str, Any]:
        """Net present cost by part [USD]: cash parts, and the penalties apart."""
        npv = {part: float((self.costs[f"{part}_usd"] * self.costs["discount_factor"]).sum())
               if f"{part}_usd" in self.costs else 0.0 for part in COST_PARTS}
        out: dict[str, Any] = {part: npv[part] for part in COST_PARTS
                               if part not in PENALTY_PARTS}
        out["penalties"] = {part: npv[part] for part in PENALTY_PARTS}
        return out

    @property
    def penalty_cost_usd(self) -> float:
        """Net present value of the penalties (unmet demand, risk) [USD]; not cash."""
        return float(sum(self.cost_breakdown_usd["penalties"].values()))

    @property
    def cash_cost_usd(self) -> float:
        """Net present cash cost [USD]: the objective without the penalties."""
        return float(self.total_cost_usd - self.penalty_cost_usd)

    def explain(self) -> list[str]:
        """Each shortfall in a planner's words."""
        return [str(s) for s in self.shortfalls["explanation"]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: builds, allocation, shortfalls, costs, binding, total_cost_usd, status."""

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
                for row in frame.to_dict(orient="records")
            ]

        return {
            "scenario": self.inputs.name,
            "status": self.status,
            "total_cost_usd": float(self.total_cost_usd),
            "mip_gap": float(self.mip_gap),
            "solve_seconds": float(self.solve_seconds),
            "latency_source": self.inputs.latency_source,
            "cash_cost_usd": self.cash_cost_usd,
            "cost_breakdown_usd": self.cost_breakdown_usd,
            "signed_deals": list(self.signed_deals),
            "recommended_deals": records(self.recommended_deals),
            "unused_candidates": records(self.unused),
            "builds": records(self.builds),
            "allocation": records(self.allocation),
            "shortfalls": records(self.shortfalls),
            "costs": records(self.costs),
            "binding": records(self.binding),
        }


def decode(model: PortfolioModel, x: np.ndarray, sol: Solution) -> PortfolioResult:
    """Turn a primal vector into the result tables (binding and explanations filled later)."""
    inputs = model.inputs
    years = np.asarray(inputs.years)
    T = years.size
    S = len(model.sites)
    st = inputs.sites.loc[model.sites]
    block = float(inputs.params["block_mw"])
    cap = x[model.cols["cap"]].reshape(S, T)
    cap = np.where(cap < TOL_MW, 0.0, cap)
    decided = np.zeros((S, T))
    n = np.round(x[model.cols["n"]])
    np.add.at(decided, (model.n_site, model.n_year), block * n)
    added = np.diff(np.concatenate([np.zeros((S, 1)), cap], axis=1), axis=1)
    power = (
        inputs.power_mw.reindex(index=st["power_pool"].to_numpy(), columns=list(years))
        .fillna(0.0).to_numpy(float)
    )
    holds = cap.max(axis=1) > TOL_MW if S else np.zeros(0, bool)
    s_i, t_i = np.nonzero(np.repeat(holds[:, None], T, axis=1))
    builds = pd.DataFrame(
        {
            "site": np.asarray(model.sites, object)[s_i],
            "market": st["market"].to_numpy(object)[s_i],
            "country": st["country"].to_numpy(object)[s_i],
            "kind": st["kind"].to_numpy(object)[s_i],
            "year": years[t_i],
            "decided_mw": decided[s_i, t_i],
            "added_mw": added[s_i, t_i],
            "online_mw": cap[s_i, t_i],
            "power_available_mw": power[s_i, t_i],
            "pue": st["pue"].to_numpy(float)[s_i],
            "power_pool": st["power_pool"].to_numpy(object)[s_i],
        },
        columns=BUILD_COLUMNS,
    )
    xs = x[model.cols["x"]]
    used = xs > TOL_MW
    keys = model.keys
    allocation = pd.DataFrame(
        {
            "site": np.asarray(model.sites, object)[model.x_site[used]],
            "region": keys["region"].to_numpy(object)[model.x_key[used]],
            "workload": keys["workload"].to_numpy(object)[model.x_key[used]],
            "year": years[model.x_year[used]],
            "mw": xs[used],
        }
    ).sort_values(["year", "region", "workload", "site"]).reset_index(drop=True)
    unmet = x[model.cols["unmet"]].reshape(len(keys), T)
    k_i, t_i = np.nonzero(unmet > 1e-3)
    shortfalls = pd.DataFrame(
        {
            "region": keys["region"].to_numpy(object)[k_i],
            "year": years[t_i],
            "workload": keys["workload"].to_numpy(object)[k_i],
            "mw": unmet[k_i, t_i],
            "binding": "",
            "structural": False,
            "structural_mw": 0.0,
            "bridge_usd_per_kw_month": np.nan,
            "explanation": "",
        },
        columns=SHORTFALL_COLUMNS,
    )
    for col in ("region", "workload", "binding", "explanation"):
        shortfalls[col] = shortfalls[col].astype(object)
    costs = pd.DataFrame({"year": years})
    for part in COST_PARTS:
        per_col = model.cost_parts[part] * x
        sel = model.col_year >= 0
        costs[f"{part}_usd"] = np.bincount(model.col_year[sel], weights=per_col[sel], minlength=T)
    if "open" in model.cols and model.site_cost_by_year.size:
        opened = np.round(x[model.cols["open"]])
        costs["site_usd"] = opened @ model.site_cost_by_year
    costs["total_usd"] = costs[[f"{p}_usd" for p in COST_PARTS]].sum(axis=1)
    costs["discount_factor"] = model.discount
    costs["npv_usd"] = costs["total_usd"] * costs["discount_factor"]
    signed, recommended = _deals(model, x)
    return PortfolioResult(
        builds=builds, allocation=allocation, shortfalls=shortfalls, costs=costs,
        total_cost_usd=float(model.cost @ x), status=sol.status, mip_gap=sol.mip_gap,
        solve_seconds=sol.seconds, inputs=inputs, signed_deals=signed,
        recommended_deals=recommended,
    )


def _deals(model: PortfolioModel, x: np.ndarray) -> tuple[list[str], pd.DataFrame]:
    """Deals the plan takes: the signed ones by id, the others with the year to sign them by.

    A deal must be signed by the year before it starts (or the first plan year if it starts
    then): a space deal's capacity, a PPA's energy flows from its start year.
    """
    inputs = model.inputs
    y0 = int(inputs.years[0])
    st = inputs.sites
    taken: list[tuple[str, str, str, float, int]] = []
    for d, v in zip(model.deal_sites, x[model.cols["sign"]], strict=True):
        if v > 0.5:
            sid = model.sites[int(d)]
            stage = str(st.at[sid, "deal_stage"]) if "deal_stage" in st else ""
            taken.append((sid, "space", stage, float(st.at[sid, "deal_mw"]),
                          int(st.at[sid, "deal_start_year"])))
    pp = inputs.ppas
    for pid, v in zip(model.ppa_ids, x[model.cols["ppa_sign"]], strict=True):
        if v > 0.5:
            stage = str(pp.at[pid, "stage"]) if "stage" in pp else ""
            taken.append((pid, "ppa", stage, float(pp.at[pid, "mw"]),
                          int(pp.at[pid, "start_year"])))
    signed = [t[0] for t in taken if t[2] in SIGNED_STAGES]
    rows = [{"deal": d, "kind": kind, "stage": stage, "mw": mw, "start_year": start,
             "sign_by_year": max(y0, start - 1)}
            for d, kind, stage, mw, start in taken if stage not in SIGNED_STAGES]
    return signed, pd.DataFrame(rows, columns=DEAL_COLUMNS)


_MEANING = {
    "power": ("value of 1 MW more power at {e} in {y}", -1.0),
    "labour": ("value of 1 MW more construction labour in {e} in {y}", -1.0),
    "diversification": ("value of loosening the {e} share cap by 1 MW in {y}", -1.0),
    "demand": ("cost of serving 1 MW more of {e} demand in {y}", 1.0),
    "allocation": ("value of 1 MW more IT capacity online at {e} in {y}", -1.0),
}


def binding_table(model: PortfolioModel, row_dual: np.ndarray, tol: float = 1e-6) -> pd.DataFrame:
    """Binding constraints with their shadow prices (NPV USD per MW, from the fixed LP)."""
    fam = model.row_family
    mask = np.isin(fam, list(_MEANING)) & (np.abs(row_dual) > tol)
    idx = np.flatnonzero(mask)
    out = []
    for i in idx:
        text, sign = _MEANING[str(fam[i])]
        entity, year = str(model.row_entity[i]), int(model.row_year[i])
        out.append(
            {
                "constraint": str(fam[i]),
                "site_or_region": entity,
                "year": year,
                "shadow_price": sign * float(row_dual[i]),
                "unit": "USD (NPV) per MW",
                "meaning": text.format(e=entity, y=year),
            }
        )
    frame = pd.DataFrame(out, columns=BINDING_COLUMNS)
    if frame.empty:
        return frame
    order = frame["shadow_price"].abs().sort_values(ascending=False).index
    return frame.loc[order].reset_index(drop=True)
