"""Why a plan is short: an elastic pass that relaxes one constraint family at a time.

For each shortfall (region, year, workload) the LP relaxation is re-solved with one family left
out while no other demand may get shorter; the families that then clear it are named in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from gridfirst.errors import InfeasibleError
from gridfirst.portfolio.inputs import PortfolioInputs, sla_ms
from gridfirst.portfolio.model import FAMILIES, PortfolioModel, build_model, residency_ok
from gridfirst.scenario import TRAINING_POOL

#: Every family an explanation can name, in the fixed order ``binding`` lists them.
ORDER = (*FAMILIES, "blocks", "penalty")
WORDS = {
    "power": "power",
    "lead_time": "lead time",
    "latency": "latency",
    "labour": "labour",
    "diversification": "diversification",
    "screens": "screens",
    "site_size": "site size",
    "residency": "data residency",
    "campus": "training campus size",
    "blocks": "block size",
    "penalty": "unmet penalty",
}
#: ``binding`` joins family words with this separator, in :data:`ORDER`.
SEPARATOR = " + "
#: Extra weight on the focused demand's unmet MW (share of the unmet penalty): among relaxed
#: plans that leave no other demand shorter, the one that serves this demand most is taken.
FOCUS_BONUS = 0.01
#: Below this many MW a relief is solver noise.
TOL_MW = 1e-3


def binding_label(families: list[str] | tuple[str, ...]) -> str:
    """``binding`` text: the families' words in :data:`ORDER`, joined by :data:`SEPARATOR`."""
    return SEPARATOR.join(WORDS[f] for f in ORDER if f in families)


@dataclass
class ElasticPass:
    """LP relaxations of a model with constraint families left out, each solved with every
    demand's unmet MW capped at its value in the base LP (so a relaxation can only serve more,
    never move a shortfall from one demand to another).

    ``unmet(relax, focus)`` is the unmet MW [key x year] of the relaxed LP; with ``focus``
    (key, year index) that demand's unmet carries :data:`FOCUS_BONUS` more weight, so capacity
    the relaxation frees goes to it first. Results are cached.
    """

    model: PortfolioModel
    threads: int | None = None
    base: np.ndarray = field(init=False)
    _models: dict[frozenset[str], PortfolioModel] = field(default_factory=dict, init=False)
    _unmet: dict[tuple[frozenset[str], tuple[int, int] | None], np.ndarray] = field(
        default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.base = self._solve(self.model, None, cap=False)

    def unmet(self, relax: frozenset[str], focus: tuple[int, int] | None = None) -> np.ndarray:
        key = (relax, focus)
        if key not in self._unmet:
            if relax not in self._models:
                self._models[relax] = build_model(self.model.inputs, relax)
            self._unmet[key] = self._solve(self._models[relax], focus, cap=True)
        return self._unmet[key]

    def _solve(self, model: PortfolioModel, focus: tuple[int, int] | None, cap: bool
               ) -> np.ndarray:
        from gridfirst.portfolio.solve import _run_highs

        cols = np.arange(model.cols["unmet"].start, model.cols["unmet"].stop).reshape(
            model.demand_mw.shape)
        hi = model.col_upper
        if cap:
            hi = hi.copy()
            hi[cols] = np.minimum(hi[cols], self.base + TOL_MW)
        cost = model.cost
        if focus is not None:
            cost = cost.copy()
            cost[cols[focus]] *= 1.0 + FOCUS_BONUS
        try:
            sol = _run_highs(replace(model, cost=cost), integer=False, col_upper=hi,
                             threads=self.threads)
        except InfeasibleError:
            if not cap:
                raise
            # a relaxed family can change a big-M of the campus rows (a site's largest build
            # follows its power when power is not relaxed), so the cap may not hold: uncapped
            sol = _run_highs(replace(model, cost=cost), integer=False, threads=self.threads)
        return np.maximum(sol.x[cols], 0.0)


def explain_shortfalls(
    model: PortfolioModel, x: np.ndarray, shortfalls: pd.DataFrame, threads: int | None = None,
    row_dual: np.ndarray | None = None,
) -> pd.DataFrame:
    """Fill ``binding`` and ``explanation`` of each shortfall row.

    Parameters
    ----------
    model : PortfolioModel
        The solved model (no family relaxed).
    x : numpy.ndarray
        The plan's primal values (to say where capacity that could serve a demand went).
    shortfalls : pandas.DataFrame
        ``region, year, workload, mw`` rows from the plan.
    threads : int, optional
        HiGHS threads.
    row_dual : numpy.ndarray, optional
        Row duals of the plan's fixed LP; a demand row's dual is the bridge price.

    Returns
    -------
    pandas.DataFrame
        ``shortfalls`` with ``binding`` (family words in :data:`ORDER`, joined by " + "),
        ``structural`` and ``structural_mw`` (the MW no decision inside the horizon can serve:
        still short with every family but lead time relaxed), ``bridge_usd_per_kw_month`` (the
        demand row's shadow price per kW-month, undiscounted) and ``explanation`` (the reason,
        what relaxing it would serve, and which other demand holds capacity that could serve
        it; for a structural shortfall, what would serve it and up to what price).

    Notes
    -----
    The MW short beyond the LP relaxation's shortfall are put down to block size and minimum
    build. For the rest, each family is relaxed alone with every demand's unmet MW capped at its
    base-LP value, and this demand weighted first; the family binds when that serves at least a
    quarter of it (the three that serve most are named). When no single family does, the
    families that keep it short on their own while every other family is relaxed are named
    together. When relaxing everything still leaves it short, the unmet penalty is cheaper than
    serving it.
    """
    out = shortfalls.copy()
    if out.empty:
        return out
    elastic = ElasticPass(model, threads)
    years = list(model.inputs.years)
    timing_only = elastic.unmet(frozenset(FAMILIES) - {"lead_time"})
    bridge = bridge_prices(model, row_dual)
    key_pos = {(r, w): i for i, (r, w) in enumerate(
        zip(model.keys["region"], model.keys["workload"], strict=True))}
    for i, row in out.iterrows():
        k, t = key_pos[(row["region"], row["workload"])], years.index(int(row["year"]))
        region, workload, year = str(row["region"]), str(row["workload"]), int(row["year"])
        short = float(row["mw"])
        base = min(short, float(elastic.base[k, t]))
        families, served, together = _attribute(elastic, k, t, base)
        block_part = short - base
        if block_part >= max(0.25 * short, TOL_MW):
            families = ["blocks", *families]
        ordered = [f for f in ORDER if f in families]
        reasons = [_reason(model, f, region, workload, year) for f in ordered]
        head = f"{_label(model.inputs, region, workload, year)} is {short:,.0f} MW short: "
        if together:
            head += (f"no single constraint explains it; {binding_label(families)} bind together: ")
        sentences = [head + "; ".join(reasons)]
        sentences.append(_closing(families, served, together, short, block_part))
        sentences.append(_competition(model, x, k, t))
        structural_mw = min(short, float(timing_only[k, t]))
        is_structural = structural_mw >= short - max(0.5, 0.01 * short)
        price = float(bridge[k, t])
        if structural_mw > TOL_MW:
            sentences.insert(0, _structural(model, region, workload, year, structural_mw, short,
                                            price))
        out.at[i, "binding"] = binding_label(families)
        out.at[i, "structural"] = bool(is_structural)
        out.at[i, "structural_mw"] = structural_mw
        out.at[i, "bridge_usd_per_kw_month"] = price
        out.at[i, "explanation"] = " ".join(_sentence(s) for s in sentences if s)
    out["structural"] = out["structural"].astype(bool)
    for col in ("structural_mw", "bridge_usd_per_kw_month"):
        out[col] = out[col].astype(float)
    return out


def bridge_prices(model: PortfolioModel, row_dual: np.ndarray | None) -> np.ndarray:
    """What 1 kW more capacity serving each demand is worth to the plan [USD per kW-month,
    undiscounted; key x year]: the demand row's shadow price (NaN when not positive or unknown)."""
    K, T = model.demand_mw.shape
    out = np.full((K, T), np.nan)
    if row_dual is None or not row_dual.size or "demand" not in model.layout.rows:
        return out
    dual = np.asarray(row_dual)[model.layout.row("demand")].reshape(K, T)
    value = dual / model.discount[None, :] / 12.0 / 1000.0
    return np.where(value > 1e-9, value, np.nan)


def _structural(model: PortfolioModel, region: str, workload: str, year: int, mw: float,
                short: float, price: float) -> str:
    """Why no decision inside the horizon can serve ``mw`` of this demand, and what would."""
    inputs = model.inputs
    st = inputs.sites
    y0 = int(inputs.years[0])
    sites, _ = _candidates(model, region, workload)
    built = [s for s in sites if st.at[s, "kind"] != "deal"]
    lead = (min(int(st.at[s, "lead_years"]) for s in built) if built
            else inputs.params.get("build_lead_years"))
    part = "all of it" if mw >= short - 0.5 else f"{mw:,.0f} of the {short:,.0f} MW"
    why = f"structural ({part}): no decision from {y0} can serve it"
    if lead is not None:
        why += (f", since new capacity decided from {y0} is online from {y0 + int(lead)} at the "
                f"earliest")
    active = [d for d in sites if st.at[d, "kind"] == "deal"
              and st.at[d, "deal_start_year"] <= year <= st.at[d, "deal_end_year"]]
    if active:
        why += f" and the deals that run in {year} are full"
    what = (f"; only capacity already built could serve it: bridge capacity for "
            f"{_demand_name(inputs, region, workload)} in {year}")
    if math.isfinite(price):
        what += f" is worth up to {price:,.0f} USD per kW-month all-in (its shadow price)"
    else:
        what += " has no shadow price in this plan"
    return why + what


def _attribute(elastic: ElasticPass, k: int, t: int, base: float
               ) -> tuple[list[str], dict[str, float], bool]:
    """Families that bind the LP part ``base`` of demand ``k``'s shortfall in year ``t``, the
    MW relaxing each (or all of them, key ``"together"``) would serve, and whether they bind
    only together."""
    if base <= TOL_MW:
        return [], {}, False
    threshold = max(0.25 * base, TOL_MW)
    total = float(elastic.base.sum())
    served: dict[str, float] = {}
    for f in FAMILIES:
        relax = frozenset({f})
        free = elastic.unmet(relax)
        if total - float(free.sum()) < TOL_MW:
            served[f] = 0.0  # relaxing f serves no demand anywhere
            continue
        gain = float(elastic.base[k, t] - free[k, t])
        if gain < threshold:  # the freed capacity may have gone to another demand first
            gain = float(elastic.base[k, t] - elastic.unmet(relax, (k, t))[k, t])
        served[f] = min(max(gain, 0.0), base)
    single = sorted((f for f in FAMILIES if served[f] >= threshold), key=lambda f: -served[f])[:3]
    if single:
        return single, served, False
    every = frozenset(FAMILIES)
    together = _gain(elastic, every, k, t, base)
    if together < threshold:
        return ["penalty"], served, False
    # Families each needed on its own (still short with every other family relaxed), then the
    # family that serves most added one at a time until the set serves it (at most three).
    needed = [f for f in FAMILIES
              if float(elastic.unmet(every - {f}, (k, t))[k, t]) >= threshold]
    chosen = list(needed)
    gain = _gain(elastic, frozenset(chosen), k, t, base) if chosen else 0.0
    while gain < threshold and len(chosen) < 3:
        options = {f: _gain(elastic, frozenset([*chosen, f]), k, t, base)
                   for f in FAMILIES if f not in chosen}
        best = max(options, key=lambda f: options[f])
        chosen.append(best)
        gain = options[best]
    if gain < threshold:
        chosen, gain = list(FAMILIES), together
    served["together"] = gain
    return chosen, served, True


def _gain(elastic: ElasticPass, relax: frozenset[str], k: int, t: int, base: float) -> float:
    """MW of demand ``k``'s LP shortfall in year ``t`` served when ``relax`` is left out."""
    return min(max(float(elastic.base[k, t] - elastic.unmet(relax, (k, t))[k, t]), 0.0), base)


def _closing(families: list[str], served: dict[str, float], together: bool, short: float,
             block_part: float) -> str:
    """What would close the gap, from the relaxations (MW served when a family is relaxed)."""
    def of(mw: float) -> str:
        return f"all {short:,.0f} MW" if mw >= short - 0.5 else f"{mw:,.0f} of the {short:,.0f} MW"

    parts = []
    if together:
        parts.append(f"relaxing {binding_label(families)} together would serve "
                     f"{of(served.get('together', 0.0))}")
    else:
        parts += [f"relaxing {WORDS[f]} alone would serve {of(served[f])}"
                  for f in ORDER if f in families and f in served]
    if "blocks" in families:
        parts.append(f"a smaller phase, minimum build or campus would serve {of(block_part)}")
    if "penalty" in families:
        parts.append("an unmet penalty above the cost of serving it would close it")
    return "; ".join(parts)


def _competition(model: PortfolioModel, x: np.ndarray, k: int, t: int) -> str:
    """Capacity that could serve demand ``k`` in year ``t`` but serves other demand in the plan."""
    xs = x[model.cols["x"]]
    sel = (model.eligible[model.x_site, k] & (model.x_year == t) & (model.x_key != k)
           & (xs > TOL_MW))
    if not sel.any():
        return ""
    use = pd.Series(xs[sel]).groupby([model.x_site[sel], model.x_key[sel]]).sum()
    use = use[use >= 0.5].sort_values(ascending=False)
    if use.empty:
        return ""
    st = model.inputs.sites
    year = int(model.inputs.years[t])
    parts = []
    for (s, other), mw in use.head(3).items():
        site = model.sites[int(s)]
        region, workload = (str(v) for v in model.keys.iloc[int(other)][["region", "workload"]])
        whom = _demand_name(model.inputs, region, workload)
        name = str(st.at[site, "name"])
        if st.at[site, "kind"] == "deal":
            deal_mw = float(st.at[site, "deal_mw"])
            what = f"the {deal_mw:,.0f} MW {name} deal"
            parts.append(f"{what} serves {whom}" if mw >= deal_mw - 0.5
                         else f"{mw:,.0f} MW of {what} serves {whom}")
        else:
            parts.append(f"{mw:,.0f} MW at {name} serves {whom}")
    more = len(use) - 3
    tail = f" (and {more} more)" if more > 0 else ""
    return f"capacity that could serve it goes to other demand in {year}: " + "; ".join(parts) + tail


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def _label(inputs: PortfolioInputs, region: str, workload: str, year: int) -> str:
    if region == TRAINING_POOL:
        return f"Training pool {year}"
    return f"{_region_name(inputs, region)} {workload} {year}"


def _demand_name(inputs: PortfolioInputs, region: str, workload: str) -> str:
    if region == TRAINING_POOL:
        return "the training pool"
    return f"{_region_name(inputs, region)} {workload}"


def _region_name(inputs: PortfolioInputs, region: str) -> str:
    if region in inputs.regions.index:
        name = str(inputs.regions.at[region, "name"])
        return name if name and name != "nan" else region
    return region


def _shared(inputs: PortfolioInputs, sites: list[str], year: int) -> str:
    """Words for the market grid pools among ``sites`` whose buyer's share binds, not the
    market's total: 'the buyer's share of Johor's grid headroom is 15% (85 of 570 MW)'."""
    headroom = inputs.params.get("headroom")
    if not isinstance(headroom, dict) or not sites:
        return ""
    st = inputs.sites
    parts = []
    for s in sites:
        pool = str(st.at[s, "power_pool"])
        market = pool[7:] if pool.startswith("market:") else ""
        row = headroom.get(market)
        if row is None or float(row["share"]) >= 1.0 - 1e-9:
            continue
        share = float(row["share"])
        total = float(row["grid_available_mw"])
        parts.append(f"{st.at[s, 'name']} {share:.0%} ({share * total:,.0f} of {total:,.0f} MW)")
    if not parts:
        return ""
    return ("the buyer's share of the grid headroom binds, not the market's total: "
            + ", ".join(parts[:3]) + (f" and {len(parts) - 3} more" if len(parts) > 3 else ""))


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
    ok &= residency_ok(inputs, region, st)
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
        mw = inputs.power_mw.reindex(pools["power_pool"]).fillna(0.0)[year].to_numpy(float)
        it = mw / pools["pue"].to_numpy(float)
        powered = list(pools.index[mw > 0])
        text = (f"sites {where} can draw only {mw.sum():,.0f} MW of facility power in {year}, "
                f"about {it.sum():,.0f} MW of IT ({_names(inputs, powered)})")
        shared = _shared(inputs, powered, year)
        return text + (f"; {shared}" if shared else "")
    if family == "lead_time":
        built = [s for s in sites if st.at[s, "kind"] != "deal"]
        if built:
            lead: int | None = min(int(st.at[s, "lead_years"]) for s in built)
        else:
            lead = p.get("build_lead_years")  # no candidate to build: the scenario's lead time
        texts = []
        if lead is not None:
            texts.append(f"new capacity decided from {y0} is online from {y0 + int(lead)} at the "
                         f"earliest (build lead time {int(lead)} year{'s' if lead != 1 else ''})")
        deals = [s for s in sites if st.at[s, "kind"] == "deal"]
        active = [d for d in deals
                  if st.at[d, "deal_start_year"] <= year <= st.at[d, "deal_end_year"]]
        if active and lead is not None and year < y0 + int(lead):
            mw = sum(float(st.at[d, "deal_mw"]) for d in active)
            texts.append(f"in {year} only deals can serve it, {mw:,.0f} MW in all ("
                         + ", ".join(f"{st.at[d, 'name']} {float(st.at[d, 'deal_mw']):,.0f} MW"
                                     for d in active[:3])
                         + (f" and {len(active) - 3} more" if len(active) > 3 else "") + ")")
        later = [d for d in deals if int(st.at[d, "deal_start_year"]) > year]
        if later:
            texts.append("deals start later: " + ", ".join(
                f"{st.at[d, 'name']} {int(st.at[d, 'deal_start_year'])}" for d in later[:3]))
        return "; ".join(texts) or f"nothing {where} can be online by {year}"
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
    if family == "residency":
        allowed = inputs.regions.at[region, "serve_from"] if "serve_from" in inputs.regions else []
        basis = (inputs.regions.at[region, "residency_basis"]
                 if "residency_basis" in inputs.regions else "")
        law = f" ({basis})" if basis else ""
        return (f"{_region_name(inputs, region)}'s data must be processed in "
                f"{', '.join(allowed)}{law}, and the sites there cannot carry it")
    if family == "campus":
        campus = float(p.get("training_campus_min_mw", 0.0))
        big = [model.sites[int(i)] for i in model.campus_sites]
        return (f"training runs only on a campus holding at least {campus:,.0f} MW of IT at one "
                f"site, and too few sites eligible for training can hold one in {year}"
                + (f" ({_names(inputs, big)})" if big else ""))
    if family == "site_size":
        sizes = st.loc[sites, "max_it_mw"]
        sizes = sizes[np.isfinite(sizes)]
        return (f"land limits the sites {where} ({_names(inputs, list(sizes.index))}) to "
                f"{sizes.sum():,.0f} MW of IT")
    if family == "blocks":
        campus = float(p.get("training_campus_min_mw", 0.0))
        whole = (f" and training needs a whole campus of at least {campus:,.0f} MW of IT at one "
                 "site" if campus > 0 and workload == "training" else "")
        return (f"capacity comes in {p['block_mw']:g} MW phases with a {p['min_build_mw']:g} MW "
                f"minimum per site{whole}, and another phase costs more than leaving this unmet "
                "(or is within the solver's optimality gap)")
    return (f"serving it costs more than the stated unmet penalty of "
            f"{p['unmet_penalty_usd_per_mw_year']:,.0f} USD per MW-year")

