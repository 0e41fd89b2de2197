"""Why a candidate is unused: the constraint that keeps it out, or the cost it would add per MW.

Read from the solved model and its fixed-LP duals; nothing is re-solved. A candidate the screens
exclude, that can serve no demand, or that has no power in the years it could be online is kept
out by that constraint. Otherwise it is kept out by cost: its cost per MW-year (capital, its
fixed cost spread over the most it could hold, accelerators, risk, energy, network) against the
most the plan pays at the margin for capacity serving a demand it could serve (the demand rows'
shadow prices).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gridfirst.portfolio.inputs import energy_usd_per_mw_year
from gridfirst.portfolio.model import PortfolioModel
from gridfirst.portfolio.result import TOL_MW, UNUSED_COLUMNS

__all__ = ["unused_candidates"]


def _demand_value(model: PortfolioModel, row_dual: np.ndarray) -> np.ndarray:
    """Marginal value of 1 MW-year serving each demand [USD/MW-year, undiscounted; key x year]."""
    K, T = model.demand_mw.shape
    if not row_dual.size or "demand" not in model.layout.rows:
        return np.zeros((K, T))
    dual = np.asarray(row_dual)[model.layout.row("demand")].reshape(K, T)
    return np.maximum(dual / model.discount[None, :], 0.0)


def unused_candidates(model: PortfolioModel, x: np.ndarray, row_dual: np.ndarray
                      ) -> pd.DataFrame:
    """One row per candidate that holds no capacity in the plan (:data:`UNUSED_COLUMNS`).

    ``constraint`` names what keeps it out (screens, ended, latency, campus, power, cost);
    ``extra_cost_usd_per_mw_year`` is, for ``cost``, how much more a MW-year there costs than
    the plan's marginal capacity for the demand it could serve best.
    """
    inputs = model.inputs
    st = inputs.sites
    p = inputs.params
    years = np.asarray(inputs.years)
    T = years.size
    S = len(model.sites)
    cap = x[model.cols["cap"]].reshape(S, T) if S else np.zeros((0, T))
    pos = {s: i for i, s in enumerate(model.sites)}
    value = _demand_value(model, row_dual)
    util = float(p["utilisation"])
    accel = float(p.get("accelerator_usd_per_mw_year", 0.0))
    fixed = float(p.get("site_fixed_cost_usd_per_year", 0.0))
    rows = []
    for sid, row in st.iterrows():
        i = pos.get(str(sid))
        if i is not None and cap[i].max() > TOL_MW:
            continue
        base = {"site": sid, "name": row["name"], "kind": row["kind"], "market": row["market"]}
        constraint, reason, extra = _why(model, np.asarray(row_dual), str(sid), row, i, value,
                                         util, accel, fixed, years)
        rows.append({**base, "reason": reason, "constraint": constraint,
                     "extra_cost_usd_per_mw_year": extra})
    return pd.DataFrame(rows, columns=UNUSED_COLUMNS)


def _why(model: PortfolioModel, duals: np.ndarray, sid: str, row: pd.Series, i: int | None,
         value: np.ndarray, util: float, accel: float, fixed: float, years: np.ndarray
         ) -> tuple[str, str, float]:
    st = model.inputs.sites
    if not bool(row["allowed"]):
        return "screens", f"screened out: {row['screen_reason']}", math.nan
    if i is None:
        return "ended", "the deal ends before the first plan year", math.nan
    ok = model.eligible[i]
    if not ok.any():
        why = "it is outside every inference region's latency or residency limit"
        if not bool(row["training_eligible"]):
            why += f" and not eligible for training ({row['training_reason']})"
        else:
            why += (" and too small for a training campus of "
                    f"{float(model.inputs.params.get('training_campus_min_mw', 0.0)):,.0f} MW")
        return "latency", why, math.nan
    T = years.size
    is_deal = row["kind"] == "deal"
    if is_deal:
        online = ((years >= int(row["deal_start_year"])) & (years <= int(row["deal_end_year"])))
    else:
        online = np.arange(T) >= int(row["lead_years"])
    power = model.inputs.power_mw.reindex([row["power_pool"]]).fillna(0.0)
    power = power.reindex(columns=list(years)).fillna(0.0).to_numpy(float).ravel()
    if not is_deal and not (online & (power > 0)).any():
        first = years[online][0] if online.any() else None
        when = f"from {first}" if first is not None else "within the horizon"
        return "power", f"it has no power in the years it could be online ({when})", math.nan
    pue = float(row["pue"])
    min_build = float(model.inputs.params.get("min_build_mw", 0.0))
    if not is_deal:
        most = float(np.nanmin([float(row["max_it_mw"]), power.max() / pue]))
        if most < min_build - 1e-9:
            return "power", (f"its power ({power.max():,.0f} MW of facility power, about {most:,.0f}"
                             f" MW of IT) is below the minimum build of {min_build:,.0f} MW"
                             + _share_words(model, row)), math.nan
    scarce = _scarce(model, row, duals)
    if scarce:
        return scarce
    # Cost per MW-year at the site against the best marginal value of a demand it could serve.
    paid = bool(row["energy_paid"]) if "energy_paid" in row else not is_deal
    energy = float(energy_usd_per_mw_year(pue, util, float(row["energy_usd_per_mwh"]))) if paid \
        else 0.0
    if is_deal:
        capital = float(row["deal_usd_per_mw_year"])
        size = float(row["deal_mw"])
        site_fixed = 0.0
    else:
        capital = float(row["capex_usd_per_mw_year"])
        size = float(np.nanmin([float(row["max_it_mw"]), power.max() / pue]))
        site_fixed = fixed / max(size, 1e-9) if size > 0 else math.inf
    risk = float(row["risk_penalty_usd_per_mw_year"])
    net = float(model.inputs.params.get("network_usd_per_mw_year_per_ms", 0.0))
    rtt = np.nan_to_num(_rtt(model, sid), nan=0.0, posinf=0.0)
    cost = capital + site_fixed + accel + risk + energy
    years_ok = online & ((power > 0) | is_deal)
    best, best_k, best_t = -math.inf, -1, -1
    for k in np.flatnonzero(ok):
        v = np.where(years_ok, value[k] - net * rtt[k], -math.inf)
        t = int(np.argmax(v))
        if v[t] > best:
            best, best_k, best_t = float(v[t]), int(k), t
    if best_k < 0 or not math.isfinite(best):
        return "power", "no demand it could serve falls in the years it has power", math.nan
    region, workload = (str(v) for v in model.keys.iloc[best_k][["region", "workload"]])
    extra = cost - best
    parts = [f"capital {capital:,.0f}"]
    if site_fixed:
        parts.append(f"site {site_fixed:,.0f} (the fixed cost over {size:,.0f} MW)")
    if accel:
        parts.append(f"accelerators {accel:,.0f}")
    parts.append(f"energy {energy:,.0f}")
    if risk:
        parts.append(f"risk {risk:,.0f}")
    what = (f"{region} {workload} {int(years[best_t])}" if region != workload
            else f"{workload} {int(years[best_t])}")
    if extra > 0:
        return "cost", (f"a MW-year there costs {cost:,.0f} USD ({', '.join(parts)}), "
                        f"{extra:,.0f} USD more than the plan's marginal capacity for the demand "
                        f"it could serve best ({what}, worth {best:,.0f} USD)"), extra
    if not is_deal:
        return "fixed cost", (f"a MW-year there ({cost:,.0f} USD) is no dearer than the plan's "
                              f"margin for {what} ({best:,.0f} USD), but opening it costs "
                              f"{fixed:,.0f} USD a year fixed and at least {min_build:,.0f} MW, "
                              "which the demand left for it does not carry"), extra
    _ = st
    return "cost", (f"a MW-year there costs {cost:,.0f} USD against the plan's margin of "
                    f"{best:,.0f} USD for {what}; within the solver's optimality gap"), extra


def _share_words(model: PortfolioModel, row: pd.Series) -> str:
    pool = str(row["power_pool"])
    headroom = model.inputs.params.get("headroom") or {}
    info = headroom.get(pool[7:]) if pool.startswith("market:") else None
    if not info or float(info["share"]) >= 1.0 - 1e-9:
        return ""
    return (f"; that is the buyer's {float(info['share']):.0%} share of the market's "
            f"{float(info['grid_available_mw']):,.0f} MW grid headroom")


def _scarce(model: PortfolioModel, row: pd.Series, duals: np.ndarray
            ) -> tuple[str, str, float] | None:
    """A shared constraint the plan's other builds exhaust (labour in the country, the power
    pool, the country's diversification cap): its rows have a shadow price in some year."""
    if not duals.size:
        return None
    fam, ent, yr = model.row_family, model.row_entity, model.row_year
    checks = [("labour", str(row["country"]),
               f"construction labour in {row['country']} is taken by the plan's other builds"),
              ("power", str(row["power_pool"]),
               "its power pool is taken by the plan's other sites" + _share_words(model, row)),
              ("diversification", f"country:{row['country']}",
               f"the policy's cap on {row['country']}'s share of capacity binds")]
    for family, entity, text in checks:
        sel = (fam == family) & (ent == entity) & (np.abs(duals) > 1e-6)
        if sel.any():
            years = sorted({int(y) for y in yr[sel]})
            span = f"{years[0]}" if len(years) == 1 else f"{years[0]}-{years[-1]}"
            return family, f"{text} ({span})", math.nan
    return None


def _rtt(model: PortfolioModel, sid: str) -> np.ndarray:
    """Round trip [ms] from a site to each demand key's region (NaN when unknown)."""
    lat = model.inputs.latency_ms
    out = np.full(len(model.keys), np.nan)
    if sid not in lat.index:
        return out
    for k, region in enumerate(model.keys["region"]):
        if region in lat.columns:
            out[k] = float(lat.at[sid, region])
    return out
