"""Round-trip latency between markets, cities and coordinates over the cable graph.

RTT = 2 x fibre path length x group index / c + overheads, found by Dijkstra on the network
graph; land routes (no subsea segment) and subsea routes have their own route factors and
per-path overhead, each found by its own search. Also the rule-of-thumb and speed-of-light references. A place to itself is
0 ms (no path, so no per-path overhead; see :func:`same_place`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from gridfirst.errors import ScenarioError
from gridfirst.geo import C_KM_PER_MS as C_VACUUM_KM_PER_MS
from gridfirst.geo import great_circle_km
from gridfirst.network.data import LatencyParameters, default_parameters, in_service_year
from gridfirst.network.graph import (
    LinkWeights,
    NetworkGraph,
    cached_graph,
    land_linked,
    link_rtt_ms,
)

if TYPE_CHECKING:
    import pandas as pd
    import scipy.sparse

    from gridfirst.scenario import Market

ATTACH_NEIGHBOURS = 4


@dataclass(frozen=True)
class Endpoint:
    """A place to measure from or to: a market, a city or a coordinate.

    ``resolved`` (what a name resolved to) and ``note`` (why, among several cities of that
    name) are reports only: they take no part in equality or hashing.
    """

    id: str
    name: str
    latitude: float
    longitude: float
    country: str
    cable_systems: tuple[str, ...] = ()
    resolved: str = field(default="", compare=False)
    note: str = field(default="", compare=False)


@dataclass
class Route:
    """The fastest route between two endpoints.

    Attributes
    ----------
    rtt_ms : float
        Modelled round-trip time [ms].
    path : list of str
        Node names along the route (endpoints first and last).
    cables : list of str
        Cable systems used, in order.
    fibre_km : float
        Route length before route factors [km].
    great_circle_km : float
        Line-of-sight distance between the endpoints [km].
    """

    rtt_ms: float
    path: list[str]
    cables: list[str]
    fibre_km: float
    great_circle_km: float
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rtt_ms": round(self.rtt_ms, 2),
            "path": self.path,
            "cables": self.cables,
            "fibre_km": round(self.fibre_km, 1),
            "great_circle_km": round(self.great_circle_km, 1),
            **self.extra,
        }


def speed_of_light_rtt_ms(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Lower bound: round trip at the speed of light in vacuum along the great circle [ms]."""
    return float(2.0 * great_circle_km(lat1, lon1, lat2, lon2) / C_VACUUM_KM_PER_MS)


def rule_of_thumb_rtt_ms(
    lat1: float, lon1: float, lat2: float, lon2: float, params: LatencyParameters | None = None
) -> float:
    """The measurement-study rule of thumb: line-of-sight distance x 2.1 / speed of light in fibre.

    References
    ----------
    .. [1] Bozkurt, I.N. et al. (2018). Dissecting Latency in the Internet's Fiber
       Infrastructure. arXiv:1811.10737.
    """
    p = params or default_parameters()
    c_fibre = C_VACUUM_KM_PER_MS / p.group_index
    return float(great_circle_km(lat1, lon1, lat2, lon2) * p.rule_of_thumb_factor / c_fibre)


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def cable_aliases() -> dict[str, set[str]]:
    """Normalised names each bundled cable answers to (name, abbreviation, id, '/'-parts)."""
    from gridfirst.network.data import cables

    aliases: dict[str, set[str]] = {}
    for cid, row in cables().iterrows():
        name = str(row["name"])
        names = {name, str(cid), name.split("(")[0]}
        names.update(re.findall(r"\(([^)]*)\)", name))
        for part in name.split("/"):
            names.add(part)
            names.add(part.split("(")[0])
        aliases[str(cid)] = {_norm(n) for n in names if _norm(n)}
    return aliases


def match_cables(names: list[str] | tuple[str, ...]) -> list[str]:
    """Bundled cable ids matching a market's ``cable_systems`` names (exact alias, then prefix)."""
    aliases = cable_aliases()
    found: list[str] = []
    for raw in names:
        key = _norm(raw)
        if not key:
            continue
        hits = [cid for cid, al in aliases.items() if key in al]
        if not hits and len(key) >= 3:
            hits = [cid for cid, al in aliases.items() if any(a.startswith(key) for a in al)]
        found.extend(h for h in hits if h not in found)
    return found


def endpoint(place: Any, cities_first: bool = False) -> Endpoint:
    """Resolve a market, a market id or name, a city name or a (latitude, longitude) tuple.

    Names resolve with :func:`gridfirst.network.places.resolve_place` (case- and
    accent-insensitive; market id, market name, city name, part of a market name, alternate
    city name; the most populous of several cities). ``cities_first`` tries city names before
    market names (hubs are cities).
    """
    from gridfirst.network.places import resolve_place

    if hasattr(place, "latitude") and hasattr(place, "country") and hasattr(place, "id"):
        return Endpoint(
            place.id,
            place.name,
            float(place.latitude),
            float(place.longitude),
            place.country,
            tuple(getattr(place, "cable_systems", ()) or ()),
            resolved=getattr(place, "resolved", "") or f"market {place.id} ({place.name})",
            note=getattr(place, "note", ""),
        )
    if isinstance(place, tuple | list) and len(place) == 2:
        lat, lon = float(place[0]), float(place[1])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise ScenarioError(f"point {place!r}: latitude/longitude out of range")
        g = cached_graph(default_parameters())
        idx, _ = g.nearest(lat, lon, 1)
        country = str(g.nodes["country"].to_numpy()[idx[0]])  # type: ignore[index]
        name = f"({lat:.3f}, {lon:.3f})"
        return Endpoint(f"{lat:.4f},{lon:.4f}", name, lat, lon, country, resolved=name)
    if isinstance(place, str):
        found = resolve_place(place, cities_first=cities_first)
        if found.kind == "market":
            market = _bundled_market(found.id)
            if market is not None:
                return replace(endpoint(market), resolved=found.resolved)
            # market facts being edited: the market's place, without its named cables
            return Endpoint(
                found.id,
                found.name,
                found.latitude,
                found.longitude,
                found.country,
                resolved=found.resolved,
            )
        return Endpoint(
            found.name.lower(),
            found.name,
            found.latitude,
            found.longitude,
            found.country,
            resolved=found.resolved,
            note=found.note,
        )
    raise ScenarioError(f"cannot place {place!r}: give a market, a market id, a city or (lat, lon)")


def _bundled_market(mid: str) -> Market | None:
    from gridfirst.errors import GridfirstError

    try:
        from gridfirst.data import bundled_markets

        markets = bundled_markets()
    except GridfirstError:  # market data being edited: the caller falls back
        return None
    for m in markets:
        if m.id == mid:
            return m
    return None


def attachments(
    g: NetworkGraph, ep: Endpoint, params: LatencyParameters
) -> tuple[np.ndarray, np.ndarray]:
    """Graph nodes an endpoint connects to overland and the round trip to each [ms].

    The nearest allowed nodes (same country or land-linked neighbour, within
    ``terrestrial_max_km``), plus the nearest landing of every cable the market names.
    Falls back to the three nearest nodes of any country.
    """
    nodes = g.nodes
    country = nodes["country"].to_numpy()  # type: ignore[index]
    idx, dist = g.nearest(ep.latitude, ep.longitude, 48)
    chosen: dict[int, float] = {}
    for j, d in zip(idx, dist, strict=True):
        if d <= params.terrestrial_max_km and land_linked(ep.country, str(country[j])):
            chosen[int(j)] = float(d)
            if len(chosen) >= ATTACH_NEIGHBOURS:
                break
    if ep.cable_systems:
        _attach_named_cables(g, ep, params, chosen)
    if not chosen:
        chosen = {int(j): float(d) for j, d in zip(idx[:3], dist[:3], strict=True)}
    pos = np.fromiter(chosen, dtype=int)
    km = np.fromiter(chosen.values(), dtype=float)
    return pos, link_rtt_ms(km, np.zeros(len(km), dtype=bool), params)


def _attach_named_cables(
    g: NetworkGraph, ep: Endpoint, params: LatencyParameters, chosen: dict[int, float]
) -> None:
    from gridfirst.network.data import landings

    lands = landings()
    ids = g.nodes["node_id"].to_numpy()  # type: ignore[index]
    pos = {nid: i for i, nid in enumerate(ids)}
    for cid in match_cables(ep.cable_systems):
        rows = lands[lands["cable_id"] == cid]
        linked = rows[[land_linked(ep.country, c) for c in rows["country_code"]]]
        if linked.empty:
            continue
        d = great_circle_km(
            ep.latitude,
            ep.longitude,
            linked["latitude"].to_numpy(float),
            linked["longitude"].to_numpy(float),
        )
        k = int(np.argmin(d))
        if d[k] <= params.terrestrial_max_km:
            chosen[pos["landing:" + linked["landing_id"].iloc[k]]] = float(d[k])


@lru_cache(maxsize=4096)
def _cached_attachments(
    params: LatencyParameters, ep: Endpoint
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # Attachments depend on the graph and parameters, not on cuts: shared by every model.
    # Returns node positions, round trip on a subsea route's land leg, and on a land route [ms].
    pos, ms = attachments(cached_graph(params), ep, params)
    nodes = cached_graph(params).nodes
    km = great_circle_km(
        ep.latitude,
        ep.longitude,
        nodes["latitude"].to_numpy()[pos],  # type: ignore[index]
        nodes["longitude"].to_numpy()[pos],  # type: ignore[index]
    )
    land = land_rtt_ms(np.atleast_1d(km), params)
    for a in (pos, ms, land):
        a.flags.writeable = False
    return pos, ms, land


def land_rtt_ms(length_km: np.ndarray, params: LatencyParameters) -> np.ndarray:
    """Round trip over terrestrial fibre on a land route [ms]: 2 x km x land factor x n / c.

    A land route carries no per-link overhead (its nodes are large cities, not equipment), so
    its round trip is ``land_rtt_ms(route km) + land_fixed_overhead_ms``.
    """
    fibre_km = np.asarray(length_km, dtype=float) * params.land_route_factor
    return 2.0 * fibre_km * params.group_index / C_VACUUM_KM_PER_MS


@lru_cache(maxsize=8)
def _land_links(
    params: LatencyParameters,
) -> tuple[scipy.sparse.csr_matrix, dict[tuple[int, int], int]]:
    # Terrestrial links only: no cut or ready-for-service year removes one (both act on cables),
    # so the land graph depends on the parameters alone and is shared by every model.
    from scipy.sparse import csr_matrix

    g = cached_graph(params)
    arrays = g.link_arrays()
    land = np.flatnonzero(~arrays["subsea"])
    km = arrays["length_km"][land]
    lo, hi = arrays["lo"][land], arrays["hi"][land]
    order = np.lexsort((km, hi, lo))
    lo, hi, km, land = lo[order], hi[order], km[order], land[order]
    first = np.ones(len(lo), dtype=bool)
    first[1:] = (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])
    lo, hi, ms, land = lo[first], hi[first], land_rtt_ms(km[first], params), land[first]
    matrix = csr_matrix(
        (np.concatenate([ms, ms]), (np.concatenate([lo, hi]), np.concatenate([hi, lo]))),
        shape=(g.n, g.n),
    )
    edge_of = {(int(x), int(y)): int(i) for x, y, i in zip(lo, hi, land, strict=True)}
    return matrix, edge_of


@lru_cache(maxsize=1024)
def _cached_land_search(
    params: LatencyParameters, ep: Endpoint
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pos, _, w = _cached_attachments(params, ep)
    out = _search(_land_links(params)[0], pos, w)
    for a in out:
        a.flags.writeable = False
    return out


def _search(
    weights: scipy.sparse.csr_matrix, pos: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Round trip from attachment nodes ``pos`` (reached in ``w`` ms) to every node,
    predecessors (one row per attachment) and the best attachment row per node."""
    from scipy.sparse.csgraph import dijkstra

    # The weight matrices hold both directions of every link, so the directed search is the
    # undirected one without scipy symmetrising the matrix on every call.
    dist, pred = dijkstra(weights, directed=True, indices=pos, return_predecessors=True)
    total = dist + w[:, None]
    best = np.argmin(total, axis=0)
    cols = np.arange(total.shape[1])
    return total[best, cols], pred, best


@lru_cache(maxsize=8)
def _layer_links(
    params: LatencyParameters,
) -> tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    # Every link in both layers, sorted by (from, to, round trip, link position); models filter
    # by their kept links, which keeps the order (as in NetworkGraph.link_weights).
    g = cached_graph(params)
    n = g.n
    arrays = g.link_arrays()
    rows, cols, ms, ids = [], [], [], []
    for subsea in (False, True):
        sel = np.flatnonzero(arrays["subsea"] == subsea)
        lo, hi = arrays["lo"][sel], arrays["hi"][sel]
        w = link_rtt_ms(arrays["length_km"][sel], np.full(len(sel), subsea), params)
        layer_pairs = ((0, n), (n, n)) if subsea else ((0, 0), (n, n))
        for off_from, off_to in layer_pairs:
            for u, v in ((lo, hi), (hi, lo)):
                rows.append(u + off_from)
                cols.append(v + off_to)
                ms.append(w)
                ids.append(sel)
    r, c = np.concatenate(rows), np.concatenate(cols)
    w_all, id_all = np.concatenate(ms), np.concatenate(ids)
    order = np.lexsort((id_all, w_all, c, r))
    return n, r[order], c[order], w_all[order], id_all[order]


class _SubseaLayers:
    """The graph twice: layer 0 before the first subsea link, layer 1 from it on.

    Terrestrial links join nodes within a layer, subsea links go from layer 0 to layer 1 and
    within layer 1. A path from a layer-0 node to a layer-1 node therefore has at least one
    subsea link, so a shortest-path search finds the fastest route with a subsea segment.
    """

    def __init__(self, links: LinkWeights, params: LatencyParameters):
        from scipy.sparse import csr_matrix

        n, r, c, w, ids = _layer_links(params)
        keep = links.keep[ids]
        r, c, w, ids = r[keep], c[keep], w[keep], ids[keep]
        # Parallel links keep the fastest (ties: the first in the link table).
        first = np.ones(len(r), dtype=bool)
        first[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
        self.n = n
        self._r, self._c, self._ids = r[first], c[first], ids[first]
        self.matrix = csr_matrix((w[first], (self._r, self._c)), shape=(2 * n, 2 * n))
        self._link_of: dict[tuple[int, int], int] | None = None

    @property
    def link_of(self) -> dict[tuple[int, int], int]:
        """(from, to) in the two-layer graph -> position in ``graph.edges`` (built on first use)."""
        if self._link_of is None:
            self._link_of = {
                (int(x), int(y)): int(i)
                for x, y, i in zip(self._r, self._c, self._ids, strict=True)
            }
        return self._link_of


class LatencyModel:
    """Shortest round trips over one graph, parameter set, set of cuts and in-service year.

    A route is a land route (terrestrial links only; ``land_route_factor``, no per-link
    overhead, ``land_fixed_overhead_ms`` once) or a subsea route (at least one subsea link;
    ``subsea_route_factor`` on subsea and ``terrestrial_route_factor`` on land links,
    ``hop_overhead_ms`` per link, ``fixed_overhead_ms`` once). The round trip is the faster of
    the fastest route of each kind; each kind is found by its own shortest-path search.

    Parameters
    ----------
    params : LatencyParameters, optional
    cut_cables, cut_corridors : frozenset of str
        Cable ids and corridors removed from the graph.
    in_service_by : int, optional
        Use only cables ready for service by this year [year]; default the data year
        (:func:`gridfirst.network.data.default_in_service_year`, 2026). Pass a plan's horizon
        to include cables planned until then.
    """

    def __init__(
        self,
        params: LatencyParameters | None = None,
        cut_cables: frozenset[str] = frozenset(),
        cut_corridors: frozenset[str] = frozenset(),
        in_service_by: int | None = None,
    ) -> None:
        self.params = params or default_parameters()
        self.in_service_by = in_service_year(in_service_by)
        self.graph = cached_graph(self.params)
        self.links = self.graph.link_weights(
            self.params, cut_cables, cut_corridors, self.in_service_by
        )
        self.weights = self.links.matrix
        self._layers: _SubseaLayers | None = None

    @property
    def edge_of(self) -> dict[tuple[int, int], int]:
        """(lo, hi) node pair -> position in ``graph.edges`` of the link the weights use."""
        return self.links.edge_of()

    @property
    def layers(self) -> _SubseaLayers:
        """The two-layer graph of subsea routes (built on first use)."""
        if self._layers is None:
            self._layers = _SubseaLayers(self.links, self.params)
        return self._layers

    def attach(self, ep: Endpoint) -> tuple[np.ndarray, np.ndarray]:
        """Nodes ``ep`` connects to overland and the round trip to each on a subsea route's
        land leg [ms] (cached)."""
        pos, ms, _ = _cached_attachments(self.params, ep)
        return pos, ms

    def attach_land(self, ep: Endpoint) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`attach` with the round trips of a land route [ms]."""
        pos, _, land = _cached_attachments(self.params, ep)
        return pos, land

    def node_rtt_ms(self, ep: Endpoint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Round trip from ``ep`` to every node by a route with a subsea segment (no per-path
        overhead) [ms], predecessors and entry rows, over the two-layer graph (2 x nodes)."""
        pos, w = self.attach(ep)
        return _search(self.layers.matrix, pos, w)

    def land_node_rtt_ms(self, ep: Endpoint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Round trip from ``ep`` to every node by land (no per-path overhead) [ms],
        predecessors and entry rows (cached: cuts never change it)."""
        return _cached_land_search(self.params, ep)

    def _subsea_ms(self, node_ms: np.ndarray, t: Endpoint) -> float:
        pos, w = self.attach(t)
        return float(np.min(node_ms[pos + self.layers.n] + w))

    def _land_ms(self, land_ms: np.ndarray, src: Endpoint, t: Endpoint) -> float:
        pos, w = self.attach_land(t)
        return min(float(np.min(land_ms[pos] + w)), self._direct_ms(src, t))

    def rtt_to(self, src: Endpoint, targets: list[Endpoint]) -> np.ndarray:
        """Round trip [ms] from one endpoint to many, per-path overhead included."""
        node_ms = self.node_rtt_ms(src)[0]
        land_ms = self.land_node_rtt_ms(src)[0]
        p = self.params
        out = np.empty(len(targets))
        for i, t in enumerate(targets):
            if same_place(src, t):
                out[i] = 0.0
                continue
            out[i] = min(
                self._land_ms(land_ms, src, t) + p.land_fixed_overhead_ms,
                self._subsea_ms(node_ms, t) + p.fixed_overhead_ms,
            )
        return out

    def _direct_ms(self, a: Endpoint, b: Endpoint) -> float:
        """Land round trip over a direct terrestrial link between two places [ms] (or inf)."""
        d = float(great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude))
        if d <= self.params.terrestrial_max_km and land_linked(a.country, b.country):
            return float(land_rtt_ms(np.array([d]), self.params)[0])
        return float("inf")

    def route(self, a: Endpoint, b: Endpoint) -> Route:
        """The fastest route from ``a`` to ``b`` with the nodes and cables it uses."""
        return self.routes(a, [b])[0]

    def routes(self, a: Endpoint, targets: list[Endpoint]) -> list[Route]:
        """The fastest route from ``a`` to each target (one shortest-path search for all)."""
        return [r for r, _ in self.routes_with_links(a, targets)]

    def routes_with_links(
        self, a: Endpoint, targets: list[Endpoint]
    ) -> list[tuple[Route, np.ndarray]]:
        """:meth:`routes`, each with the positions in ``graph.edges`` of the links it uses.

        A cut that removes none of a route's links leaves that route, and so its round trip,
        unchanged (a cut removes subsea links only, so it lengthens no land route and no
        other subsea route); :func:`gridfirst.network.diversity.connectivity` uses this.
        """
        search = self.node_rtt_ms(a)
        land = self.land_node_rtt_ms(a)
        return [self._trace(a, b, search, land) for b in targets]

    def _trace(
        self,
        a: Endpoint,
        b: Endpoint,
        search: tuple[np.ndarray, np.ndarray, np.ndarray],
        land: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> tuple[Route, np.ndarray]:
        no_links = np.empty(0, dtype=int)
        gc = float(great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude))
        if same_place(a, b):
            return Route(0.0, _path([a.name, b.name]), [], 0.0, 0.0), no_links
        p = self.params
        n = self.layers.n
        pos_s, w_s = self.attach(b)
        pos_l, w_l = self.attach_land(b)
        k_s = int(np.argmin(search[0][pos_s + n] + w_s))
        k_l = int(np.argmin(land[0][pos_l] + w_l))
        subsea_ms = float(search[0][pos_s[k_s] + n] + w_s[k_s]) + p.fixed_overhead_ms
        via_land_ms = float(land[0][pos_l[k_l]] + w_l[k_l])
        direct_ms = self._direct_ms(a, b)
        land_ms = min(via_land_ms, direct_ms) + p.land_fixed_overhead_ms
        if not np.isfinite(min(land_ms, subsea_ms)):
            route = Route(float("inf"), _path([a.name, b.name]), [], float("inf"), gc)
            route.extra["route_kind"] = "none"
            return route, no_links
        if land_ms <= subsea_ms and direct_ms <= via_land_ms:
            route = Route(land_ms, _path([a.name, b.name]), [], gc, gc)
            route.extra["route_kind"] = "land"
            return route, no_links
        if land_ms <= subsea_ms:
            rtt, (_, pred_rows, rows), end = land_ms, land, int(pos_l[k_l])
            chain = _chain(pred_rows[int(rows[end])], end)
            land_edges = _land_links(p)[1]
            links = [
                land_edges[(min(u, v), max(u, v))] for u, v in zip(chain, chain[1:], strict=False)
            ]
        else:
            rtt, (_, pred_rows, rows), end = subsea_ms, search, int(pos_s[k_s]) + n
            chain = _chain(pred_rows[int(rows[end])], end)
            link_of = self.layers.link_of
            links = [link_of[(u, v)] for u, v in zip(chain, chain[1:], strict=False)]
            chain = [c % n for c in chain]
        link_pos = np.array(links, dtype=int)
        nodes = self.graph.nodes
        names = nodes["name"].to_numpy()  # type: ignore[index]
        lat, lon = nodes["latitude"].to_numpy(), nodes["longitude"].to_numpy()  # type: ignore[index]
        arrays = self.graph.link_arrays()
        km = float(great_circle_km(a.latitude, a.longitude, lat[chain[0]], lon[chain[0]]))
        km += float(great_circle_km(b.latitude, b.longitude, lat[chain[-1]], lon[chain[-1]]))
        cables: list[str] = []
        for e in link_pos:
            km += float(arrays["length_km"][e])
            cid = str(arrays["cable_id"][e])
            if cid and (not cables or cables[-1] != cid):
                cables.append(cid)
        from gridfirst.network.data import cables as cable_table

        table = cable_table()
        cable_names = [str(table.at[c, "name"]) for c in cables]
        path = _path([a.name, *[str(names[i]) for i in chain], b.name])
        kind = "subsea" if bool(arrays["subsea"][link_pos].any()) else "land"
        route = Route(rtt, path, cable_names, km, gc, extra={"cable_ids": cables})
        route.extra["route_kind"] = kind
        return route, link_pos


def _chain(pred: np.ndarray, end: int) -> list[int]:
    """Node positions from the search's source to ``end``, following predecessors."""
    chain = [end]
    while True:
        prev = int(pred[chain[-1]])
        if prev < 0:
            break
        chain.append(prev)
    chain.reverse()
    return chain


def same_place(a: Endpoint, b: Endpoint) -> bool:
    """True when two endpoints are one place (equal coordinates).

    The round trip from a place to itself is 0 ms: the fixed per-path overhead (hosts, metro
    access) is charged on a path between two distinct places, and a place to itself has no
    path. RTT(x, x) = 0 keeps symmetry and the triangle inequality (up to overheads).
    """
    return a.latitude == b.latitude and a.longitude == b.longitude


def _path(names: list[str]) -> list[str]:
    """Node names with consecutive repeats dropped ("London", "London" -> "London")."""
    out: list[str] = []
    for name in names:
        if not out or out[-1].casefold() != name.casefold():
            out.append(name)
    return out


def route(
    a: Any, b: Any, params: LatencyParameters | None = None, in_service_by: int | None = None
) -> Route:
    """The fastest route between ``a`` and ``b`` (market, market id, city name or (lat, lon)).

    Parameters
    ----------
    a, b : Market, str or (float, float)
    params : LatencyParameters, optional
    in_service_by : int, optional
        Use only cables ready for service by this year [year]; default the data year
        (:func:`gridfirst.network.data.default_in_service_year`, 2026). Pass a plan's horizon
        to include cables planned until then.

    Returns
    -------
    Route
        ``rtt_ms`` [ms] (the monthly 95th percentile the model is calibrated to;
        ``extra["rtt_mean_ms"]`` is the 30-day mean, ``rtt_ms - p95_excess_ms``), the node
        path and the cable systems used; ``extra["route_kind"]`` is ``land`` or ``subsea``;
        ``extra["resolved"]`` says
        what each of ``a`` and ``b`` resolved to (``{"from": ..., "to": ...}``) and
        ``extra["notes"]`` why, when a name matched several cities. The same place at both
        ends gives 0 ms (see :func:`same_place`).
    """
    ea, eb = endpoint(a), endpoint(b)
    model = LatencyModel(params, in_service_by=in_service_by)
    result = model.route(ea, eb)
    if result.rtt_ms > 0 and np.isfinite(result.rtt_ms):
        # rtt_ms is the monthly P95 the model is calibrated to; a 30-day mean is lower by this
        result.extra["rtt_mean_ms"] = round(result.rtt_ms - model.params.p95_excess_ms, 2)
    result.extra["resolved"] = {"from": ea.resolved or ea.name, "to": eb.resolved or eb.name}
    notes = list(dict.fromkeys(e.note for e in (ea, eb) if e.note))
    if notes:
        result.extra["notes"] = notes
    return result


def latency_ms(
    a: Any, b: Any, params: LatencyParameters | None = None, in_service_by: int | None = None
) -> float:
    """Modelled round-trip time between ``a`` and ``b`` [ms] (see :func:`route`)."""
    return route(a, b, params, in_service_by).rtt_ms


def _matrix(markets: list[Any], points: list[Endpoint], model: LatencyModel) -> np.ndarray:
    out = np.empty((len(markets), len(points)))
    n = model.layers.n

    def stacked(att: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
        width = max(len(p) for p, _ in att)
        pos = np.zeros((len(att), width), dtype=int)
        w = np.full((len(att), width), np.inf)
        for i, (p, ms) in enumerate(att):
            pos[i, : len(p)], w[i, : len(p)] = p, ms
        return pos, w

    pos_s, w_s = stacked([model.attach(p) for p in points])
    pos_l, w_l = stacked([model.attach_land(p) for p in points])
    prm = model.params
    for r, m in enumerate(markets):
        ep = endpoint(m)
        subsea_ms = np.min(model.node_rtt_ms(ep)[0][pos_s + n] + w_s, axis=1)
        land_ms = np.min(model.land_node_rtt_ms(ep)[0][pos_l] + w_l, axis=1)
        direct = np.array([model._direct_ms(ep, p) for p in points])
        out[r] = np.minimum(
            np.minimum(land_ms, direct) + prm.land_fixed_overhead_ms,
            subsea_ms + prm.fixed_overhead_ms,
        )
        out[r, np.array([same_place(ep, p) for p in points], dtype=bool)] = 0.0
    return out


def latency_to_points(
    markets: list[Market],
    points: dict[str, tuple[float, float]],
    params: LatencyParameters | None = None,
    in_service_by: int | None = None,
) -> pd.DataFrame:
    """Round-trip time [ms] from every market to every point.

    Parameters
    ----------
    markets : list of Market
        Markets (their coordinates, country and ``cable_systems`` place them).
    points : dict
        Point id -> (latitude, longitude) [degrees].
    params : LatencyParameters, optional
    in_service_by : int, optional
        Use only cables ready for service by this year [year]; default the data year
        (:func:`gridfirst.network.data.default_in_service_year`, 2026). Pass a plan's horizon
        to include cables planned until then.

    Returns
    -------
    pandas.DataFrame
        Index market id, one column per point id, values ``rtt_ms``.
    """
    import pandas as pd

    model = LatencyModel(params, in_service_by=in_service_by)
    eps = [endpoint((lat, lon)) for lat, lon in points.values()]
    eps = [
        Endpoint(pid, pid, e.latitude, e.longitude, e.country)
        for pid, e in zip(points, eps, strict=True)
    ]
    values = _matrix(markets, eps, model) if eps and markets else np.empty((len(markets), len(eps)))
    return pd.DataFrame(
        values, index=pd.Index([m.id for m in markets], name="market_id"), columns=list(points)
    )


def latency_matrix(
    markets: list[Market],
    centres: pd.DataFrame | None = None,
    params: LatencyParameters | None = None,
    in_service_by: int | None = None,
) -> pd.DataFrame:
    """Round-trip time [ms] from every market to every demand centre.

    Parameters
    ----------
    markets : list of Market
    centres : pandas.DataFrame, optional
        Indexed by centre id with ``name, country, latitude, longitude``; defaults to every
        city of one million people or more (:func:`gridfirst.network.data.demand_centres`).
    params : LatencyParameters, optional
    in_service_by : int, optional
        Use only cables ready for service by this year [year]; default the data year
        (:func:`gridfirst.network.data.default_in_service_year`, 2026). Pass a plan's horizon
        to include cables planned until then.

    Returns
    -------
    pandas.DataFrame
        Index market id, one column per centre id, values ``rtt_ms``.
    """
    import pandas as pd

    from gridfirst.network.data import demand_centres

    table = demand_centres() if centres is None else centres
    model = LatencyModel(params, in_service_by=in_service_by)
    eps = [
        Endpoint(
            str(cid), str(r["name"]), float(r["latitude"]), float(r["longitude"]), str(r["country"])
        )
        for cid, r in table.iterrows()
    ]
    values = _matrix(markets, eps, model) if eps and markets else np.empty((len(markets), len(eps)))
    return pd.DataFrame(
        values, index=pd.Index([m.id for m in markets], name="market_id"), columns=table.index
    )


def population_within_ms(
    markets: list[Market],
    max_ms: float,
    params: LatencyParameters | None = None,
    in_service_by: int | None = None,
) -> pd.Series:
    """People in demand centres reachable within ``max_ms`` round trip, per market [persons].

    ``in_service_by`` [year] as in :func:`latency_matrix`.
    """
    from gridfirst.network.data import demand_centres

    centres = demand_centres()
    rtt = latency_matrix(markets, centres, params, in_service_by)
    pop = centres["population"].reindex(rtt.columns).to_numpy(dtype=float)
    series = (rtt.to_numpy() <= max_ms).astype(float) @ pop
    import pandas as pd

    return pd.Series(series, index=rtt.index, name=f"population_within_{max_ms:g}_ms")
