"""Route diversity and resilience: cable-disjoint paths, worst single-cable and corridor cuts.

Counts cable-disjoint routes by max-flow / min-cut (networkx) on a graph whose cuttable units
are whole cable systems, and measures latency after cuts; builds the connectivity criterion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from gridfirst.network.data import LatencyParameters, default_parameters
from gridfirst.network.graph import great_circle_km
from gridfirst.network.latency import Endpoint, LatencyModel, endpoint

if TYPE_CHECKING:
    import pandas as pd

    from gridfirst.scenario import Market

# Overseas hubs against which a market's diversity and resilience are measured.
DEFAULT_HUBS = (
    "Tokyo",
    "Singapore",
    "Hong Kong",
    "Sydney",
    "Mumbai",
    "Dubai",
    "London",
    "Los Angeles",
    "New York City",
)
CORRIDORS = (
    "red_sea",
    "luzon_strait",
    "malacca_strait",
    "taiwan_strait",
    "hormuz_strait",
    "sunda_strait",
)
LANDING_RADIUS_KM = 2500.0
_INF_CAPACITY = 10**9


def cable_disjoint_paths(
    memberships: Mapping[str, Iterable[Any]],
    sources: Iterable[Any],
    targets: Iterable[Any],
) -> float:
    """Number of routes between two places that share no cable system (Menger, by max-flow).

    Parameters
    ----------
    memberships : mapping
        Cable id -> the land areas (any hashable labels) where it lands.
    sources, targets : iterable
        Land areas of the two places.

    Returns
    -------
    float
        The max-flow value = the fewest cable systems whose loss disconnects the places;
        ``inf`` when the places share a land area (an overland route exists).

    References
    ----------
    .. [1] Ford, L.R.; Fulkerson, D.R. (1956). Maximal flow through a network.
    """
    import networkx as nx

    src, dst = set(sources), set(targets)
    if src & dst:
        return float("inf")
    g = nx.DiGraph()
    for cable, areas in memberships.items():
        g.add_edge(("in", cable), ("out", cable), capacity=1)
        for area in set(areas):
            g.add_edge(("area", area), ("in", cable), capacity=_INF_CAPACITY)
            g.add_edge(("out", cable), ("area", area), capacity=_INF_CAPACITY)
    for a in src:
        g.add_edge("s", ("area", a), capacity=_INF_CAPACITY)
    for b in dst:
        g.add_edge(("area", b), "t", capacity=_INF_CAPACITY)
    if "s" not in g or "t" not in g:
        return 0.0
    return float(nx.maximum_flow_value(g, "s", "t"))


def _memberships(model: LatencyModel) -> dict[str, set[int]]:
    e = model.graph.edges
    comp = model.graph.land_component()
    sub = e[e["kind"] == "subsea"]  # type: ignore[index]
    out: dict[str, set[int]] = {}
    for cable, u, v in zip(sub["cable_id"], sub["u"], sub["v"], strict=True):
        out.setdefault(str(cable), set()).update((int(comp[u]), int(comp[v])))
    return out


def _areas(model: LatencyModel, ep: Endpoint) -> set[int]:
    pos, _ = model.attach(ep)
    return {int(c) for c in model.graph.land_component()[pos]}


def cable_systems_near(
    model: LatencyModel, ep: Endpoint, radius_km: float = LANDING_RADIUS_KM
) -> list[str]:
    """Cable systems landing within ``radius_km`` of the place, in its own land area [ids]."""
    nodes, e = model.graph.nodes, model.graph.edges
    comp = model.graph.land_component()
    areas = _areas(model, ep)
    d = great_circle_km(
        ep.latitude, ep.longitude, nodes["latitude"].to_numpy(), nodes["longitude"].to_numpy()
    )  # type: ignore[index]
    near = set(np.flatnonzero((d <= radius_km) & np.isin(comp, list(areas))))
    sub = e[e["kind"] == "subsea"]  # type: ignore[index]
    hit = sub[sub["u"].isin(near) | sub["v"].isin(near)]
    return sorted(set(hit["cable_id"]))


def connectivity(
    markets: list[Market],
    hubs: Iterable[str] = DEFAULT_HUBS,
    params: LatencyParameters | None = None,
) -> pd.DataFrame:
    """Diversity and resilience of every market, and the connectivity criterion for scoring.

    For each market: the fewest cable-disjoint routes to any overseas hub (hubs reachable
    overland are skipped), the cable systems landing nearby, the mean RTT to the hubs, and that
    mean after the worst single-cable cut and after the worst corridor cut (every cable
    segment through one strait at once, as in the 2024 Red Sea and 2006 Luzon Strait events).

    Returns
    -------
    pandas.DataFrame
        Index market id; columns ``cable_disjoint_paths, cable_systems_count,
        single_cable_risk, rtt_to_hubs_ms, worst_cable, worst_cable_cut_rtt_ms,
        worst_corridor, worst_corridor_cut_rtt_ms, connectivity_score``.
        ``connectivity_score`` (0..1) = 0.5 x min(paths, 6) / 6 + 0.25 x (base / worst cable
        cut) + 0.25 x (base / worst corridor cut); a market cut off scores 0 on that part.
    """
    import pandas as pd

    p = params or default_parameters()
    base = LatencyModel(p)
    models: dict[tuple[str, str], LatencyModel] = {}

    def cut_model(kind: str, name: str) -> LatencyModel:
        if (kind, name) not in models:
            cut = frozenset({name})
            models[(kind, name)] = (
                LatencyModel(p, cut_cables=cut)
                if kind == "cable"
                else LatencyModel(p, cut_corridors=cut)
            )
        return models[(kind, name)]

    hub_eps = [endpoint(h) for h in hubs]
    members = _memberships(base)
    rows = []
    for m in markets:
        ep = endpoint(m)
        areas = _areas(base, ep)
        paths = [cable_disjoint_paths(members, areas, _areas(base, h)) for h in hub_eps]
        finite = [x for x in paths if np.isfinite(x)]
        disjoint = min(finite) if finite else float("inf")
        nearby = cable_systems_near(base, ep)
        named = set(m.cable_systems) if getattr(m, "cable_systems", None) else set()
        count = max(len(nearby), len(named))
        baseline = base.rtt_to(ep, hub_eps)
        base_mean = float(np.mean(baseline))
        used: set[str] = set()
        for h in hub_eps:
            used.update(base.route(ep, h).extra.get("cable_ids", []))
        worst_cable, worst_cable_ms = "", base_mean
        for cable in sorted(used):
            cut = float(np.mean(cut_model("cable", cable).rtt_to(ep, hub_eps)))
            if cut > worst_cable_ms:
                worst_cable, worst_cable_ms = cable, cut
        worst_corr, worst_corr_ms = "", base_mean
        for corr in CORRIDORS:
            cut = float(np.mean(cut_model("corridor", corr).rtt_to(ep, hub_eps)))
            if cut > worst_corr_ms:
                worst_corr, worst_corr_ms = corr, cut
        diversity = min(disjoint, 6.0) / 6.0
        score = (
            0.5 * diversity
            + 0.25 * _ratio(base_mean, worst_cable_ms)
            + 0.25 * _ratio(base_mean, worst_corr_ms)
        )
        rows.append(
            {
                "market_id": m.id,
                "cable_disjoint_paths": disjoint,
                "cable_systems_count": count,
                "single_cable_risk": bool(count <= 1 or disjoint <= 1),
                "cable_systems": "; ".join(nearby),
                "rtt_to_hubs_ms": base_mean,
                "worst_cable": worst_cable,
                "worst_cable_cut_rtt_ms": worst_cable_ms,
                "worst_corridor": worst_corr,
                "worst_corridor_cut_rtt_ms": worst_corr_ms,
                "connectivity_score": float(np.clip(score, 0.0, 1.0)),
            }
        )
    return pd.DataFrame(rows).set_index("market_id")


def _ratio(base: float, cut: float) -> float:
    if not np.isfinite(cut) or cut <= 0:
        return 0.0
    return float(min(1.0, base / cut))
