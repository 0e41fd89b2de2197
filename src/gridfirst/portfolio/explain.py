"""Why a plan is short: an elastic pass that relaxes one constraint family at a time.

For each shortfall (region, year, workload) the LP relaxation is re-solved with one family left
out; the families whose removal clears the shortfall are named in words a planner reads.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gridfirst.portfolio.inputs import PortfolioInputs, sla_ms
from gridfirst.portfolio.model import FAMILIES, PortfolioModel, build_model
from gridfirst.scenario import TRAINING_POOL

WORDS = {
    "power": "power",
    "lead_time": "lead time",
    "latency": "latency",
    "labour": "labour",
    "diversification": "diversification",
    "screens": "screens",
    "site_size": "site size",
    "blocks": "block size",
    "penalty": "unmet penalty",
}


def _unmet_lp(model: PortfolioModel, threads: int | None) -> np.ndarray:
    from gridfirst.portfolio.solve import _run_highs

    sol = _run_highs(model, integer=False, threads=threads)
    return sol.x[model.cols["unmet"]].reshape(model.demand_mw.shape)


def relaxation_pass(
    model: PortfolioModel, threads: int | None = None
) -> dict[str, np.ndarray]:
    """Unmet MW [key x year] of LP relaxations: the base model, each family relaxed alone
    (``f``), every family relaxed (``all``) and every family but one relaxed (``only:f``)."""
    out = {"base": _unmet_lp(model, threads)}
    if not out["base"].any():
        return out
    for family in FAMILIES:
        out[family] = _unmet_lp(build_model(model.inputs, {family}), threads)
    out["all"] = _unmet_lp(build_model(model.inputs, set(FAMILIES)), threads)
    for family in FAMILIES:
        out[f"only:{family}"] = _unmet_lp(build_model(model.inputs, set(FAMILIES) - {family}),
                                         threads)
    return out


def explain_shortfalls(
    model: PortfolioModel, x: np.ndarray, shortfalls: pd.DataFrame, threads: int | None = None
) -> pd.DataFrame:
    """Fill ``binding`` and ``explanation`` of each shortfall row.

    The MW short beyond the LP relaxation's shortfall are put down to block size and minimum
    build. The rest: a family binds when relaxing it alone removes at least a quarter of it (the
    three that remove most are named). When no single family does, the families that keep it
    short on their own while every other family is relaxed are named together. When relaxing
    everything still leaves it short, the unmet penalty is cheaper than serving it.
    """
    unmet = relaxation_pass(model, threads)
    years = list(model.inputs.years)
    key_pos = {(r, w): i for i, (r, w) in enumerate(
        zip(model.keys["region"], model.keys["workload"], strict=True))}
    out = shortfalls.copy()
    for i, row in out.iterrows():
        k, t = key_pos[(row["region"], row["workload"])], years.index(int(row["year"]))
        short = float(row["mw"])
        base = min(short, float(unmet["base"][k, t]))
        families: list[str] = []
        if short - base >= max(0.25 * short, 1e-3):
            families.append("blocks")
        together = False
        if base > 1e-3:
            threshold = max(0.25 * base, 1e-3)
            relieved = {f: base - float(unmet[f][k, t]) for f in FAMILIES}
            single = [f for f, v in sorted(relieved.items(), key=lambda kv: -kv[1])
                      if v >= threshold][:3]
            if single:
                families += single
            elif base - float(unmet["all"][k, t]) >= threshold:
                joint = [f for f in FAMILIES if float(unmet[f"only:{f}"][k, t]) >= threshold]
                families += joint or [f for f in FAMILIES if relieved[f] > 1e-3][:3]
                together = True
            else:
                families.append("penalty")
        reasons = [_reason(model, f, str(row["region"]), str(row["workload"]), int(row["year"]))
                   for f in families]
        joined = (" and, together, " if together else "; ").join(reasons)
        out.at[i, "binding"] = (" and " if together else " + ").join(WORDS[f] for f in families)
        out.at[i, "explanation"] = f"{_label(model.inputs, row)} is {short:,.0f} MW short: {joined}"
    return out


def _label(inputs: PortfolioInputs, row: pd.Series) -> str:
    region, workload = str(row["region"]), str(row["workload"])
    if region == TRAINING_POOL:
        return f"Training pool {int(row['year'])}"
    return f"{_region_name(inputs, region)} {workload} {int(row['year'])}"


def _region_name(inputs: PortfolioInputs, region: str) -> str:
    if region in inputs.regions.index:
        name = str(inputs.regions.at[region, "name"])
        return name if name and name != "nan" else region
    return region


def _names(inputs: PortfolioInputs, sites: list[str], limit: int = 3) -> str:
    names = [str(inputs.sites.at[s, "name"]) for s in sites[:limit]]
    more = f" and {len(sites) - limit} more" if len(sites) > limit else ""
    return ", ".join(names) + more


def _candidates(model: PortfolioModel, region: str, workload: str) -> tuple[list[str], str]:
    """Sites that pass screens and latency for this demand, and the words for that set."""
    inputs = model.inputs
    st = inputs.sites
    ok = st["allowed"].to_numpy(bool).copy()
    if workload == "training":
        ok &= st["training_eligible"].to_numpy(bool)
    limit = sla_ms(inputs, region, workload)
    if math.isfinite(limit) and region in inputs.latency_ms.columns:
        ok &= np.nan_to_num(inputs.latency_ms.loc[st.index, region].to_numpy(float), nan=np.inf) <= limit
        where = f"within {limit:g} ms"
    elif workload == "training":
        where = "eligible for training"
    else:
        where = "eligible"
    return list(st.index[ok]), where


def _reason(model: PortfolioModel, family: str, region: str, workload: str, year: int) -> str:
    inputs = model.inputs
    st = inputs.sites
    p = inputs.params
    y0 = inputs.years[0]
    sites, where = _candidates(model, region, workload)
    if family == "latency":
        limit = sla_ms(inputs, region, workload)
        if not math.isfinite(limit):
            return "the sites that may serve it are too few or too far to carry it"
        if not sites:
            return f"no candidate site is within {limit:g} ms of {_region_name(inputs, region)}"
        return (f"the sites within {limit:g} ms ({_names(inputs, sites)}) cannot carry it, while "
                "sites farther away could")
    if family == "power":
        if not sites:
            return f"no site {where} has power in {year}"
        power = inputs.power_mw.reindex(st.loc[sites, "power_pool"]).fillna(0.0)
        power.index = sites
        has = power.columns[(power > 0).any(axis=0)]
        first = int(has.min()) if len(has) else None
        if first is None or first > year:
            firsts = {s: (power.loc[s] > 0).idxmax() for s in sites if (power.loc[s] > 0).any()}
            if not firsts:
                return f"no site {where} has power within the horizon"
            best = min(firsts, key=lambda s: firsts[s])
            return (f"no site {where} has power before {first} ({st.at[best, 'name']} energises "
                    f"{st.at[best, 'energisation']})")
        pools = st.loc[sites].drop_duplicates("power_pool")
        total = float(inputs.power_mw.reindex(pools["power_pool"]).fillna(0.0)[year].sum())
        return (f"sites {where} have only {total:,.0f} MW of power in {year} "
                f"({_names(inputs, sites)})")
    if family == "lead_time":
        built = [s for s in sites if st.at[s, "kind"] != "deal"]
        lead = min((int(st.at[s, "lead_years"]) for s in built), default=0)
        deals = [s for s in sites if st.at[s, "kind"] == "deal"]
        text = (f"capacity decided from {y0} is online from {y0 + lead} at the earliest "
                f"(build lead time {lead} year{'s' if lead != 1 else ''})")
        if deals:
            text += "; deals start " + ", ".join(
                f"{st.at[d, 'name']} {int(st.at[d, 'deal_start_year'])}" for d in deals[:3])
        return text
    if family == "labour":
        countries = sorted(set(st.loc[sites, "country"])) if sites else []
        caps = ", ".join(f"{c} {float(inputs.labour_mw.get(c, 0.0)):,.0f} MW" for c in countries)
        return f"construction labour caps MW under construction per year ({caps})"
    if family == "diversification":
        parts = [f"any country at {p['max_share_per_country']:.0%}"]
        if p["max_share_per_cluster"] < 1:
            parts.append(f"any risk cluster at {p['max_share_per_cluster']:.0%}")
        return "the policy caps " + " and ".join(parts) + " of total capacity"
    if family == "screens":
        screened = st[~st["allowed"].to_numpy(bool)]
        texts = []
        if workload == "training":
            regimes = "/".join(f"'{r}'" for r in p.get("training_legal_regimes", []))
            texts.append(f"training is allowed only where the AI-training legal regime is "
                         f"{regimes or 'none'}")
        limit = sla_ms(inputs, region, workload)
        if math.isfinite(limit) and region in inputs.latency_ms.columns and len(screened):
            near = inputs.latency_ms.loc[screened.index, region].to_numpy(float) <= limit
            screened = screened[near]
        if len(screened):
            texts.append(f"{len(screened)} site(s) that could serve it are screened out, e.g. "
                         f"{screened['name'].iloc[0]}: {screened['screen_reason'].iloc[0]}")
        return "; ".join(texts) or "the policy's screens exclude the sites that could serve it"
    if family == "site_size":
        sizes = st.loc[sites, "max_it_mw"]
        sizes = sizes[np.isfinite(sizes)]
        return (f"land limits the sites {where} ({_names(inputs, list(sizes.index))}) to "
                f"{sizes.sum():,.0f} MW of IT")
    if family == "blocks":
        return (f"capacity comes in {p['block_mw']:g} MW blocks with a {p['min_build_mw']:g} MW "
                "minimum per site, and another block costs more than leaving this unmet (or is "
                "within the solver's optimality gap)")
    return (f"serving it costs more than the stated unmet penalty of "
            f"{p['unmet_penalty_usd_per_mw_year']:,.0f} USD per MW-year")

