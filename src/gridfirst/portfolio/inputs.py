"""Portfolio inputs: the plain tables the build-out model reads, made from a Scenario.

Candidate sites, power schedules, costs, latency, labour caps, risk clusters and screens as
DataFrames. Nothing here builds or solves a model (see :mod:`gridfirst.portfolio.model`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.errors import ScenarioError
from gridfirst.geo import capital_recovery_factor
from gridfirst.options import PortfolioOptions
from gridfirst.resolve.candidates import SPACE_DEALS

if TYPE_CHECKING:
    from gridfirst.resolve import Resolved
    from gridfirst.scenario import Scenario

__all__ = ["DEFAULT_OPTIONS", "HOURS_PER_YEAR", "energy_usd_per_mw_year", "RISK_WEIGHT_BY_APPETITE", "SPACE_DEALS", "PortfolioInputs",
           "capital_recovery_factor", "portfolio_inputs", "sla_ms"]

#: Defaults of ``options.portfolio`` (kept for callers; the one definition is
#: :class:`gridfirst.options.PortfolioOptions`).
DEFAULT_OPTIONS: dict[str, float] = {
    k: float(f.default) for k, f in PortfolioOptions.model_fields.items()
    if isinstance(f.default, int | float) and not isinstance(f.default, bool)
}

#: Risk penalty per unit of missing score (1 - score), as a share of the site's annualised
#: capital, by the policy's risk appetite (assumption: a site scoring 0 costs as if its capital
#: were this share dearer).
RISK_WEIGHT_BY_APPETITE = {"low": 0.3, "medium": 0.15, "high": 0.05}



@dataclass
class PortfolioInputs:
    """Everything the portfolio model reads, as plain tables (money in USD of ``currency_year``).

    Attributes
    ----------
    sites : pandas.DataFrame
        One row per candidate site, indexed by site id: ``kind`` (site | deal | market),
        ``name``, ``market``, ``country``, ``latitude``, ``longitude``, ``pue``, ``lead_years``,
        ``max_it_mw``, ``capex_usd_per_mw``, ``capex_usd_per_mw_year`` (annualised),
        ``energy_usd_per_mwh``, ``power_pool``, ``energisation`` (e.g. '2028-04'),
        ``allowed`` (passes the screens), ``screen_reason``, ``training_eligible``,
        ``training_reason``, ``risk_penalty_usd_per_mw_year``, and for deals ``deal_mw``,
        ``deal_start_year``, ``deal_end_year``, ``deal_usd_per_mw_year``, ``take_or_pay_share``.
    power_mw : pandas.DataFrame
        Facility power available [MW] by power pool (index) and year (columns). Sites without a
        schedule of their own share their market's pool.
    demand : pandas.DataFrame
        Columns ``region, workload, year, mw`` (IT MW).
    regions : pandas.DataFrame
        Index region id; ``name``, ``latitude``, ``longitude``, ``sla_ms`` (the region's own
        service level [ms], NaN when the workload's applies).
    latency_ms : pandas.DataFrame
        Round-trip time [ms], sites (index) x regions with coordinates (columns).
    labour_mw : pandas.Series
        Cap on MW under construction per country and year [MW].
    clusters : pandas.DataFrame
        Columns ``site, cluster``: membership of shared-risk clusters.
    ppas : pandas.DataFrame
        Energy deals, index deal id: ``market, mw, start_year, end_year, price_usd_per_mwh,
        market_price_usd_per_mwh, take_or_pay_share, stage, allowed``.
    params : dict
        ``start_year``, ``block_mw``, ``min_build_mw``, ``discount_rate``, ``asset_life_years``,
        ``max_share_per_country``, ``max_share_per_cluster``, ``unmet_penalty_usd_per_mw_year``,
        ``utilisation``, ``network_usd_per_mw_year_per_ms``, ``sla_ms_by_workload``,
        ``build_lead_years`` (the scenario's build lead time, whole years; may be absent in
        hand-made inputs), ``training_campus_min_mw`` (IT MW a site must hold in a year it serves
        training), ``site_fixed_cost_usd_per_year`` (annualised fixed cost of an open site) and
        ``accelerator_usd_per_mw_year`` (annualised accelerator capital per IT MW online, 0 when
        not included); ``block_mw`` is the policy's ``phase_mw`` when set.
    latency_source : str
        Where the latency came from (given, gridfirst.network, or the great-circle fallback).
    """

    years: list[int]
    sites: pd.DataFrame
    power_mw: pd.DataFrame
    demand: pd.DataFrame
    regions: pd.DataFrame
    latency_ms: pd.DataFrame
    labour_mw: pd.Series
    clusters: pd.DataFrame
    ppas: pd.DataFrame
    params: dict[str, Any]
    latency_source: str = "given"
    name: str = "portfolio"
    notes: list[str] = field(default_factory=list)


def _lookup(values: Any, keys: list[str], what: str) -> float | None:
    """A per-site figure from a float, or a mapping / Series keyed by site or market id."""
    if values is None:
        return None
    if isinstance(values, int | float):
        return float(values)
    for key in keys:
        if key in values:
            value = float(values[key])
            if not math.isfinite(value) or value < 0:
                raise ScenarioError(f"{what}[{key!r}]: {value!r} must be a finite number >= 0")
            return value
    return None


def portfolio_inputs(
    resolved: Resolved | Scenario,
    latency_ms: pd.DataFrame | None = None,
    energy_cost_usd_per_mwh: Any = None,
    scores: Any = None,
) -> PortfolioInputs:
    """The portfolio model's tables, read from a resolved scenario.

    Parameters
    ----------
    resolved : Resolved or Scenario
        The resolved scenario (:func:`gridfirst.resolve.resolve`); a Scenario is resolved here
        (network latency, market grid prices as energy costs).
    latency_ms : pandas.DataFrame, optional
        Round-trip time [ms] overriding the resolved latency (index site or market ids, columns
        demand-region ids); only used when a Scenario is given.
    energy_cost_usd_per_mwh : float or mapping or pandas.Series, optional
        Energy cost [USD/MWh] by site or market id, overriding the resolved energy cost (a site's
        own ``price_usd_per_mwh`` still wins).
    scores : pandas.Series or DataFrame, optional
        Scores in 0..1 (higher is better) by site or market id, or a frame with a ``score``
        column (``RankResult.table``). Each MW-year is charged
        ``(1 - score) x weight x annualised capex`` with the weight from the risk appetite.

    Returns
    -------
    PortfolioInputs
    """
    from gridfirst.resolve import Resolved, resolve

    if not isinstance(resolved, Resolved):
        resolved = resolve(resolved, latency_ms=latency_ms)
    policy = resolved.policy
    options = resolved.options.portfolio
    years = resolved.years
    start = years[0]
    if isinstance(scores, pd.DataFrame):
        scores = scores["score"]
    crf = resolved.crf
    risk_weight = RISK_WEIGHT_BY_APPETITE[policy.risk_appetite.level] if scores is not None else 0.0
    c = resolved.candidates
    sites = c[["kind", "name", "market", "country", "latitude", "longitude", "pue", "lead_years",
               "max_it_mw", "capex_usd_per_mw", "power_pool", "energisation", "allowed",
               "screen_reason", "training_eligible", "training_reason", "deal_mw",
               "deal_start_year", "deal_end_year", "deal_usd_per_mw_year",
               "take_or_pay_share", "deal_stage", "deal_energy"]].copy()
    energy = resolved.energy_usd_per_mwh.reindex(c.index).astype(float)
    for sid in sites.index:
        given = _lookup(energy_cost_usd_per_mwh, [sid, str(sites.at[sid, "market"])],
                        "energy_cost_usd_per_mwh")
        if given is not None and not bool(c.at[sid, "own_price"]):
            energy[sid] = given
    # A space deal pays energy only when its terms pass it through, at the grid price.
    is_deal = (sites["kind"] == "deal").to_numpy()
    sites["energy_paid"] = ~is_deal | (sites["deal_energy"] == "pass_through").to_numpy()
    energy[is_deal] = c.loc[is_deal, "price_usd_per_mwh"].astype(float).to_numpy()
    sites["energy_usd_per_mwh"] = energy
    sites["capex_usd_per_mw_year"] = sites["capex_usd_per_mw"] * crf
    score = np.array(
        [
            _lookup(scores, [sid, str(sites.at[sid, "market"])], "scores") or 0.0
            if scores is not None
            else 1.0
            for sid in sites.index
        ]
    )
    if scores is not None and ((score < 0) | (score > 1)).any():
        raise ScenarioError("scores: every score must be within 0..1")
    sites["score"] = score
    annual = np.where(
        sites["kind"] == "deal", sites["deal_usd_per_mw_year"], sites["capex_usd_per_mw_year"]
    )
    # An export licence still to be granted may be refused: the expected loss of the capacity's
    # annual cost (probability of denial x annual cost) is charged like the score penalty.
    denial = c["denial_probability"].to_numpy(float) if "denial_probability" in c else 0.0
    sites["denial_probability"] = denial
    sites["risk_penalty_usd_per_mw_year"] = (risk_weight * (1.0 - score) + denial) * annual
    market_ok = c.loc[c["kind"] == "market", "allowed"]
    ppas = resolved.ppas.copy()
    for i, (deal, row) in enumerate(ppas.iterrows()):
        if not math.isfinite(float(row["price_usd_per_mwh"] or math.nan)):
            raise ScenarioError(f"deals.{deal}.price_usd_per_mwh: a PPA needs its energy price"
                                f" (PPA {i + 1} of the scenario)")
    ppas["allowed"] = [
        row["stage"] != "lost" and bool(market_ok.get(row["market"], False))
        for _, row in ppas.iterrows()
    ]
    # ``stage`` stays: only signed deals are reported as signed.
    demand = resolved.demand[["region", "workload", "year", "mw"]].copy()
    accel_crf = capital_recovery_factor(policy.discount_rate, int(options.accelerator_life_years))
    params = {
        "start_year": start,
        "block_mw": policy.phase_mw if policy.phase_mw is not None else policy.block_mw,
        "training_campus_min_mw": policy.training_campus_min_mw,
        "site_fixed_cost_usd_per_year": float(options.site_fixed_cost_usd) * crf,
        "accelerator_usd_per_mw_year": (float(options.accelerator_capex_usd_per_mw) * accel_crf
                                        if options.include_accelerators else 0.0),
        "min_build_mw": policy.min_build_mw,
        "discount_rate": policy.discount_rate,
        "asset_life_years": policy.asset_life_years,
        "max_share_per_country": policy.max_share_per_country,
        "max_share_per_cluster": policy.max_share_per_cluster,
        "unmet_penalty_usd_per_mw_year": policy.unmet_penalty_usd_per_mw_year,
        "utilisation": float(options.utilisation),
        "build_lead_years": math.ceil(options.build_lead_time_months / 12 - 1e-9),
        "network_usd_per_mw_year_per_ms": float(options.network_usd_per_mw_year_per_ms),
        "training_legal_regimes": list(policy.training_legal_regimes),
        "headroom": {str(k): dict(v) for k, v in resolved.headroom.to_dict("index").items()},
        "sla_ms_by_workload": {
            w: float(policy.latency_sla_ms.get(w, math.inf)) for w in ("inference", "training")
        },
    }
    return PortfolioInputs(
        years=years, sites=sites, power_mw=resolved.power_mw.copy(), demand=demand,
        regions=resolved.regions.copy(), latency_ms=resolved.latency_ms.copy(),
        labour_mw=resolved.labour_mw.copy(), clusters=resolved.clusters.copy(), ppas=ppas,
        params=params, latency_source=resolved.latency_source, name=resolved.name,
    )


#: Hours in a (non-leap) year [h].
HOURS_PER_YEAR = 8760.0


def energy_usd_per_mw_year(pue: Any, utilisation: float, price_usd_per_mwh: Any) -> np.ndarray:
    """Energy cost of 1 MW of IT for a year [USD/MW-year]: PUE x 8,760 h x utilisation x price.

    The one energy-cost formula of the portfolio and the risk evaluation (a space deal whose
    rent includes its energy, ``energy_paid`` False, is zeroed by the caller).
    """
    return np.asarray(pue, dtype=float) * HOURS_PER_YEAR * float(utilisation) * np.asarray(
        price_usd_per_mwh, dtype=float)


def sla_ms(inputs: PortfolioInputs, region: str, workload: str) -> float:
    """Round-trip service level [ms] of a region's workload: the region's own, else the
    workload's, else none (inf)."""
    own = inputs.regions.at[region, "sla_ms"] if region in inputs.regions.index else math.nan
    if math.isfinite(own):
        return float(own)
    return float(inputs.params["sla_ms_by_workload"].get(workload, math.inf))
