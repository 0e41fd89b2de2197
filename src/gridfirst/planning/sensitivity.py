"""Tornado of the plan: total cost and MW by country as each assumption swings low and high.

The scenario is resolved once (per-site procurement included); each swing perturbs the portfolio
tables (:class:`gridfirst.portfolio.PortfolioInputs`) and re-solves the MILP. Nothing is re-resolved
and nothing is written. The MCDA weight sensitivity is :func:`gridfirst.scoring.sensitivity`'s.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.errors import ScenarioError
from gridfirst.records import json_safe

if TYPE_CHECKING:
    from gridfirst.portfolio import PortfolioInputs, PortfolioResult
    from gridfirst.resolve import Resolved
    from gridfirst.scoring import RankResult

__all__ = ["SWINGS", "Swing", "TornadoResult", "parse_swing", "perturb", "tornado"]


@dataclass(frozen=True)
class Swing:
    """One assumption and the range it is swung over.

    Attributes
    ----------
    assumption : str
        Name (one of :data:`SWINGS`' names).
    low, high : float
        The two values: a factor on the base (``unit`` "x") or years added (``unit`` "years").
    unit : str
        ``"x"`` (multiplies the base) or ``"years"`` (added to it).
    description : str
        What is changed, in a planner's words.
    """

    assumption: str
    low: float
    high: float
    unit: str
    description: str


# Default ranges (assumptions, not sourced data). Factors: +-20% on grid MW and capex is the
# spread of an early (class 4) cost estimate's and a utility's indicative offer's usual revision;
# energy -20%/+30% covers a year of wholesale moves in the bundled APAC markets without a price
# shock; the unmet penalty is halved and doubled because it is a policy weight, not a price.
# Energisation one year early to two late: grid connections slip more often than they come early.
SWINGS: tuple[Swing, ...] = (
    Swing("grid_mw", 0.8, 1.2, "x", "facility power available in every pool and year"),
    Swing("energisation_years", -1, 2, "years",
          "every pool's power arrives this many years later (early if negative)"),
    Swing("lead_years", -1, 1, "years", "build lead time of every built site, added"),
    Swing("capex", 0.8, 1.2, "x", "capital cost per MW of every built site"),
    Swing("energy_price", 0.8, 1.3, "x", "energy price of every site and PPA"),
    Swing("unmet_penalty", 0.5, 2.0, "x", "penalty per MW-year of unmet demand"),
)
_BY_NAME = {s.assumption: s for s in SWINGS}


def parse_swing(text: str) -> Swing:
    """``name=low:high`` (e.g. ``capex=0.7:1.5``) -> the named swing over that range.

    Raises
    ------
    ScenarioError
        Unknown name, or a range that is not two numbers (factors must be >= 0).
    """
    name, sep, rng = text.partition("=")
    low_text, sep2, high_text = rng.partition(":")
    if name not in _BY_NAME:
        raise ScenarioError(f"--swing {text!r}: {name!r} is not one of {sorted(_BY_NAME)}")
    try:
        if not (sep and sep2):
            raise ValueError
        low, high = float(low_text), float(high_text)
    except ValueError:
        raise ScenarioError(f"--swing {text!r}: give name=low:high, e.g. capex=0.8:1.2") from None
    base = _BY_NAME[name]
    if not (math.isfinite(low) and math.isfinite(high)) or (base.unit == "x" and min(low, high) < 0):
        raise ScenarioError(f"--swing {text!r}: factors must be finite numbers >= 0")
    return replace(base, low=low, high=high)


def _shift_years(power: pd.DataFrame, years: int) -> pd.DataFrame:
    """Power by pool and year arriving ``years`` later (earlier if negative); what a pool holds
    in the first year stays (it is already energised)."""
    cols = list(power.columns)
    values = power.to_numpy(float)
    idx = np.clip(np.arange(len(cols)) - int(years), 0, len(cols) - 1)
    return pd.DataFrame(values[:, idx], index=power.index, columns=cols)


def perturb(inputs: PortfolioInputs, assumption: str, value: float) -> PortfolioInputs:
    """A copy of the portfolio tables with one assumption at ``value`` (see :data:`SWINGS`).

    ``value`` is a factor on the base for ``x`` swings and whole years added for ``years`` swings.
    """
    if assumption not in _BY_NAME:
        raise ScenarioError(f"assumption {assumption!r} is not one of {sorted(_BY_NAME)}")
    sites = inputs.sites.copy()
    power, ppas, params = inputs.power_mw, inputs.ppas, inputs.params
    built = (sites["kind"] != "deal").to_numpy()
    if assumption == "grid_mw":
        power = power * float(value)
    elif assumption == "energisation_years":
        power = _shift_years(power, round(value))
    elif assumption == "lead_years":
        lead = sites["lead_years"].to_numpy(int)
        sites["lead_years"] = np.where(built, np.maximum(lead + round(value), 0), lead)
        params = copy.deepcopy(params)
        if "build_lead_years" in params:
            params["build_lead_years"] = max(int(params["build_lead_years"]) + round(value), 0)
    elif assumption == "capex":
        for col in ("capex_usd_per_mw", "capex_usd_per_mw_year", "risk_penalty_usd_per_mw_year"):
            # The risk penalty of a built site is a share of its annual capital, so it follows.
            sites[col] = np.where(built, sites[col].to_numpy(float) * value, sites[col])
    elif assumption == "energy_price":
        sites["energy_usd_per_mwh"] = sites["energy_usd_per_mwh"].astype(float) * value
        ppas = ppas.copy()
        for col in ("price_usd_per_mwh", "market_price_usd_per_mwh"):
            if col in ppas:
                ppas[col] = ppas[col].astype(float) * value
    else:  # unmet_penalty
        params = copy.deepcopy(params)
        params["unmet_penalty_usd_per_mw_year"] = float(params["unmet_penalty_usd_per_mw_year"]) * value
    return replace(inputs, sites=sites, power_mw=power, ppas=ppas, params=params)


def _mw_by_country(result: PortfolioResult, year: int) -> dict[str, float]:
    b = result.builds
    if b.empty:
        return {}
    end = b[b["year"] == year]
    return {str(k): float(v) for k, v in end.groupby("country")["online_mw"].sum().items()}


@dataclass
class TornadoResult:
    """The plan's cost and end-year MW by country, base and each assumption swung.

    Attributes
    ----------
    base_cost_usd, base_cash_cost_usd : float
        The unperturbed plan's total and cash cost [USD, net present].
    base_mw_by_country : dict of str to float
        IT MW online in ``year`` by country in the unperturbed plan [MW].
    table : pandas.DataFrame
        One row per assumption, largest cost swing first: ``assumption, unit, low, high,
        cost_low_usd, cost_high_usd, cash_cost_low_usd, cash_cost_high_usd, swing_usd,
        description``.
    mw : pandas.DataFrame
        ``assumption, side (low | high), country, online_mw`` in ``year`` [MW].
    year : int
        The year MW by country are read in (the horizon's last).
    """

    base_cost_usd: float
    base_cash_cost_usd: float
    base_mw_by_country: dict[str, float]
    table: pd.DataFrame
    mw: pd.DataFrame
    year: int

    def mw_delta(self) -> pd.DataFrame:
        """Change in MW by country against the base: index ``assumption, country``, columns
        ``low, high`` [MW]."""
        countries = sorted(set(self.mw["country"]) | set(self.base_mw_by_country))
        index = pd.MultiIndex.from_product([list(self.table["assumption"]), countries],
                                           names=["assumption", "country"])
        wide = self.mw.pivot_table(index=["assumption", "country"], columns="side",
                                   values="online_mw", aggfunc="sum", fill_value=0.0)
        wide = wide.reindex(index=index, columns=["low", "high"], fill_value=0.0).fillna(0.0)
        base = np.array([self.base_mw_by_country.get(c, 0.0)
                         for c in wide.index.get_level_values("country")])
        return wide[["low", "high"]].sub(base, axis=0)

    def records(self) -> list[dict[str, Any]]:
        """JSON-ready rows: ``assumption, low, high, cost_low_usd, cost_high_usd`` and the
        cash costs, units and MW by country on each side."""
        out = []
        delta = self.mw_delta()
        for row in self.table.to_dict(orient="records"):
            mine = delta.loc[row["assumption"]]
            for side in ("low", "high"):
                row[f"mw_{side}_by_country"] = {
                    str(c): float(self.base_mw_by_country.get(c, 0.0) + v)
                    for c, v in mine[side].items()}
            out.append(row)
        return [json_safe(r) for r in out]


def tornado(
    resolved: Resolved,
    swings: Sequence[Swing] = SWINGS,
    rankings: dict[str, RankResult] | None = None,
    mip_gap: float | None = None,
    time_limit_s: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TornadoResult:
    """Re-solve the plan with each assumption at its low and its high value.

    Parameters
    ----------
    resolved : Resolved
        Resolved with energy (:func:`gridfirst.planning.resolve_for_plan`), so the procured
        energy costs are the plan's and are not solved again.
    swings : sequence of Swing
        Assumptions and ranges (default :data:`SWINGS`).
    rankings : dict, optional
        The rankings pricing the risk penalty (default: ranked here, as :func:`decide` does).
    mip_gap, time_limit_s : float, optional
        Solver settings (default ``options.plan``'s). A swing smaller than the MIP gap times the
        cost is within the solver's tolerance.
    progress : callable, optional
        ``progress(done, total)`` after each solve.

    Returns
    -------
    TornadoResult
    """
    from gridfirst.decide import decision_inputs
    from gridfirst.portfolio import solve_portfolio

    if not swings:
        raise ScenarioError("sensitivity: no assumption to swing")
    opts = resolved.options.plan
    gap = float(opts.mip_gap if mip_gap is None else mip_gap)
    limit = float(opts.time_limit_s if time_limit_s is None else time_limit_s)
    inputs = decision_inputs(resolved, rankings)
    year = int(inputs.years[-1])
    total = 1 + 2 * len(swings)
    report = progress or (lambda done, total: None)

    def solve(tables: PortfolioInputs) -> PortfolioResult:
        return solve_portfolio(tables, mip_gap=gap, time_limit_s=limit, explain=False)

    base = solve(inputs)
    report(1, total)
    rows, mw_rows = [], []
    for i, swing in enumerate(swings):
        side_results = {}
        for j, side in enumerate(("low", "high")):
            value = swing.low if side == "low" else swing.high
            result = solve(perturb(inputs, swing.assumption, value))
            side_results[side] = result
            mw_rows += [{"assumption": swing.assumption, "side": side, "country": c,
                         "online_mw": mw} for c, mw in _mw_by_country(result, year).items()]
            report(2 + 2 * i + j, total)
        lo, hi = side_results["low"], side_results["high"]
        rows.append({
            "assumption": swing.assumption, "unit": swing.unit, "low": swing.low,
            "high": swing.high, "cost_low_usd": float(lo.total_cost_usd),
            "cost_high_usd": float(hi.total_cost_usd),
            "cash_cost_low_usd": float(lo.cash_cost_usd),
            "cash_cost_high_usd": float(hi.cash_cost_usd),
            "swing_usd": abs(float(hi.total_cost_usd) - float(lo.total_cost_usd)),
            "description": swing.description,
        })
    table = pd.DataFrame(rows).sort_values("swing_usd", ascending=False, kind="stable")
    return TornadoResult(
        base_cost_usd=float(base.total_cost_usd), base_cash_cost_usd=float(base.cash_cost_usd),
        base_mw_by_country=_mw_by_country(base, year), table=table.reset_index(drop=True),
        mw=pd.DataFrame(mw_rows, columns=["assumption", "side", "country", "online_mw"]),
        year=year,
    )
