"""Route diversity and resilience: cable-disjoint paths, worst single-cable and corridor cuts.

Counts cable-disjoint routes by max-flow / min-cut (networkx) on a graph whose cuttable units
are whole cable systems, and measures latency after cuts; builds the connectivity criterion.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from gridfirst.errors import ScenarioError
from gridfirst.geo import great_circle_km
from gridfirst.network.data import LatencyParameters, default_parameters
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


class CableFlowNetwork:
    """:func:`cable_disjoint_paths` for many place pairs over one set of cable memberships.

    Builds the area/cable flow network once and solves each query with scipy's compiled
    max-flow (Dinic) instead of rebuilding a networkx graph; the values equal
    :func:`cable_disjoint_paths` (checked in the tests).

    Parameters
    ----------
    memberships : mapping
        Cable id -> the land areas (any hashable labels) where it lands.
    """

    def __init__(self, memberships: Mapping[str, Iterable[Any]]) -> None:
        areas: dict[Any, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        caps: list[int] = []
        n_cables = len(memberships)
        self._inf = n_cables + 1  # more than any flow: every unit crosses one cable
        sets = [set(a) for a in memberships.values()]
        for group in sets:
            for area in group:
                areas.setdefault(area, len(areas))
        n_areas = len(areas)
        for k, group in enumerate(sets):
            cable_in, cable_out = n_areas + k, n_areas + n_cables + k
            rows.append(cable_in)
            cols.append(cable_out)
            caps.append(1)
            for area in group:
                rows += [areas[area], cable_out]
                cols += [cable_in, areas[area]]
                caps += [self._inf, self._inf]
        self._areas = areas
        self._source = n_areas + 2 * n_cables
        self._sink = self._source + 1
        self._rows = np.array(rows, dtype=np.int64)
        self._cols = np.array(cols, dtype=np.int64)
        self._caps = np.array(caps, dtype=np.int32)
        self._cache: dict[tuple[frozenset[Any], frozenset[Any]], float] = {}

    def paths(self, sources: Iterable[Any], targets: Iterable[Any]) -> float:
        """Cable-disjoint routes between two places given by their land areas (see
        :func:`cable_disjoint_paths`)."""
        src, dst = frozenset(sources), frozenset(targets)
        if src & dst:
            return float("inf")
        if (src, dst) not in self._cache:
            self._cache[(src, dst)] = self._solve(src, dst)
        return self._cache[(src, dst)]

    def _solve(self, src: frozenset[Any], dst: frozenset[Any]) -> float:
        from scipy.sparse import csr_matrix
        from scipy.sparse.csgraph import maximum_flow

        s_nodes = [self._areas[a] for a in src if a in self._areas]
        t_nodes = [self._areas[b] for b in dst if b in self._areas]
        if not s_nodes or not t_nodes:
            return 0.0
        n = self._sink + 1
        rows = np.concatenate([self._rows, np.full(len(s_nodes), self._source), t_nodes])
        cols = np.concatenate([self._cols, s_nodes, np.full(len(t_nodes), self._sink)])
        caps = np.concatenate([self._caps, np.full(len(s_nodes) + len(t_nodes), self._inf)])
        graph = csr_matrix((caps.astype(np.int32), (rows, cols)), shape=(n, n))
        graph.sum_duplicates()
        return float(maximum_flow(graph, self._source, self._sink).flow_value)


def _subsea_in_model(model: LatencyModel) -> pd.DataFrame:
    # Subsea links the model keeps: in service by its year and not cut.
    e = model.graph.edges
    return e[(e["kind"] == "subsea").to_numpy() & model.links.keep]  # type: ignore[index]


def _memberships(model: LatencyModel) -> dict[str, set[int]]:
    comp = model.graph.land_component()
    sub = _subsea_in_model(model)
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
    """Cable systems landing within ``radius_km`` of the place, in its own land area [ids].

    Only cables the model keeps (in service by its ``in_service_by`` year, not cut) count.
    """
    nodes = model.graph.nodes
    comp = model.graph.land_component()
    areas = _areas(model, ep)
    d = great_circle_km(
        ep.latitude, ep.longitude, nodes["latitude"].to_numpy(), nodes["longitude"].to_numpy()
    )  # type: ignore[index]
    near = set(np.flatnonzero((d <= radius_km) & np.isin(comp, list(areas))))
    sub = _subsea_in_model(model)
    hit = sub[sub["u"].isin(near) | sub["v"].isin(near)]
    return sorted(set(hit["cable_id"]))


def connectivity(
    markets: list[Market],
    hubs: Iterable[str] = DEFAULT_HUBS,
    params: LatencyParameters | None = None,
    method: Literal["fast", "exhaustive"] = "fast",
    in_service_by: int | None = None,
) -> pd.DataFrame:
    """Diversity and resilience of every market, and the connectivity criterion for scoring.

    For each market: the fewest cable-disjoint routes to any overseas hub (hubs reachable
    overland are skipped), the cable systems landing nearby, the mean RTT to the hubs, and that
    mean after the worst single-cable cut and after the worst corridor cut (every cable
    segment through one strait at once, as in the 2024 Red Sea and 2006 Luzon Strait events).

    Parameters
    ----------
    markets : list of Market
    hubs : iterable of str
        City names (or market ids) the market's routes are measured to.
    params : LatencyParameters, optional
    method : {"fast", "exhaustive"}
        ``"fast"`` (default) finds a market's routes to all hubs with one shortest-path search,
        re-solves a cut only for the hubs whose route crosses it (a cut that leaves a shortest
        route intact cannot change its round trip) and counts disjoint routes with scipy's
        max-flow. ``"exhaustive"`` re-solves every candidate cut for every hub and uses the
        networkx max-flow: the reference the fast method is tested against. Both give equal
        results.
    in_service_by : int, optional
        Use only cables ready for service by this year [year] for routes, cuts and disjoint
        paths; default the data year (:func:`gridfirst.network.data.default_in_service_year`,
        2026). Pass a plan's horizon to count cables planned until then.

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

    if method not in ("fast", "exhaustive"):
        raise ScenarioError(f"connectivity: method {method!r} is not 'fast' or 'exhaustive'")
    p = params or default_parameters()
    base = LatencyModel(p, in_service_by=in_service_by)
    hub_eps = [endpoint(h, cities_first=True) for h in hubs]  # "Singapore": the city
    members = _memberships(base)
    hub_areas = [_areas(base, h) for h in hub_eps]
    fast = method == "fast"
    flow = CableFlowNetwork(members) if fast else None
    links = base.graph.link_arrays()
    no_link = np.zeros(len(links["lo"]), dtype=bool)
    cuts = _CutRtt(p, hub_eps, base.in_service_by)
    rows = []
    for m in markets:
        ep = endpoint(m)
        areas = _areas(base, ep)
        if flow is not None:
            paths = [flow.paths(areas, h) for h in hub_areas]
        else:
            paths = [cable_disjoint_paths(members, areas, h) for h in hub_areas]
        finite = [x for x in paths if np.isfinite(x)]
        disjoint = min(finite) if finite else float("inf")
        nearby = cable_systems_near(base, ep)
        named = set(m.cable_systems) if getattr(m, "cable_systems", None) else set()
        count = max(len(nearby), len(named))
        route_links: list[np.ndarray] | None = None
        if fast:
            traced = base.routes_with_links(ep, hub_eps)
            baseline = np.array([r.rtt_ms for r, _ in traced])
            route_links = [lk for _, lk in traced]
            used = {c for r, _ in traced for c in r.extra.get("cable_ids", [])}
        else:
            baseline = base.rtt_to(ep, hub_eps)
            used = set()
            for h in hub_eps:
                used.update(base.route(ep, h).extra.get("cable_ids", []))
        base_mean = float(np.mean(baseline))
        worst_cable, worst_cable_ms = "", base_mean
        for cable in sorted(used):
            hit = links["cable_id"] == cable
            cut = cuts.mean_rtt_ms(ep, "cable", cable, baseline, route_links, hit)
            if cut > worst_cable_ms:
                worst_cable, worst_cable_ms = cable, cut
        worst_corr, worst_corr_ms = "", base_mean
        for corr in CORRIDORS:
            hit = links.get(f"corridor:{corr}", no_link)
            cut = cuts.mean_rtt_ms(ep, "corridor", corr, baseline, route_links, hit)
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


class _CutRtt:
    """Mean round trip from a market to the hubs after one cable or corridor cut."""

    def __init__(self, params: LatencyParameters, hubs: list[Endpoint], in_service_by: int) -> None:
        self.params = params
        self.hubs = hubs
        self.in_service_by = in_service_by
        self._models: dict[tuple[str, str], LatencyModel] = {}

    def model(self, kind: str, name: str) -> LatencyModel:
        """The latency model with one cable (``kind='cable'``) or corridor cut (cached)."""
        if (kind, name) not in self._models:
            cut = frozenset({name})
            self._models[(kind, name)] = (
                LatencyModel(self.params, cut_cables=cut, in_service_by=self.in_service_by)
                if kind == "cable"
                else LatencyModel(self.params, cut_corridors=cut, in_service_by=self.in_service_by)
            )
        return self._models[(kind, name)]

    def mean_rtt_ms(
        self,
        ep: Endpoint,
        kind: str,
        name: str,
        baseline: np.ndarray,
        route_links: list[np.ndarray] | None,
        hit: np.ndarray,
    ) -> float:
        """Mean RTT [ms] to the hubs with the cut; ``hit`` marks the links the cut removes.

        With ``route_links`` (the links of the market's uncut route to each hub) only hubs
        whose route the cut hits are re-solved; the others keep their ``baseline`` round trip,
        which the cut cannot change. Without, every hub is re-solved.
        """
        if route_links is None:
            return float(np.mean(self.model(kind, name).rtt_to(ep, self.hubs)))
        affected = [i for i, lk in enumerate(route_links) if hit[lk].any()]
        if not affected:
            return float(np.mean(baseline))
        values = baseline.copy()
        values[affected] = self.model(kind, name).rtt_to(ep, [self.hubs[i] for i in affected])
        return float(np.mean(values))


def _ratio(base: float, cut: float) -> float:
    if not np.isfinite(cut) or cut <= 0:
        return 0.0
    return float(min(1.0, base / cut))
