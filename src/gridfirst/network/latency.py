"""Round-trip latency between markets, cities and coordinates over the cable graph.

RTT = 2 x fibre path length x group index / c + per-link and per-path overheads, found by
Dijkstra on the network graph; also the rule-of-thumb and speed-of-light references. A place
to itself is 0 ms (no path, so no per-path overhead; see :func:`same_place`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from gridfirst.errors import ScenarioError
from gridfirst.network.data import LatencyParameters, default_parameters, in_service_year
from gridfirst.network.graph import (
    C_VACUUM_KM_PER_MS,
    NetworkGraph,
    cached_graph,
    great_circle_km,
    land_linked,
    link_rtt_ms,
)

if TYPE_CHECKING:
    import pandas as pd

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
def _cached_attachments(params: LatencyParameters, ep: Endpoint) -> tuple[np.ndarray, np.ndarray]:
    # Attachments depend on the graph and parameters, not on cuts: shared by every model.
    pos, ms = attachments(cached_graph(params), ep, params)
    pos.flags.writeable = False
    ms.flags.writeable = False
    return pos, ms


class LatencyModel:
    """Shortest round trips over one graph, parameter set, set of cuts and in-service year.

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
        self._attach: dict[Endpoint, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def edge_of(self) -> dict[tuple[int, int], int]:
        """(lo, hi) node pair -> position in ``graph.edges`` of the link the weights use."""
        return self.links.edge_of()

    def attach(self, ep: Endpoint) -> tuple[np.ndarray, np.ndarray]:
        """Nodes ``ep`` connects to overland and the round trip to each [ms] (cached)."""
        if ep not in self._attach:
            self._attach[ep] = _cached_attachments(self.params, ep)
        return self._attach[ep]

    def node_rtt_ms(self, ep: Endpoint) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Round trip from ``ep`` to every node (no fixed overhead), predecessors, entry node."""
        from scipy.sparse.csgraph import dijkstra

        pos, w = self.attach(ep)
        # The weight matrix holds both directions of every link, so the directed search is the
        # undirected one without scipy symmetrising the matrix on every call.
        dist, pred = dijkstra(self.weights, directed=True, indices=pos, return_predecessors=True)
        total = dist + w[:, None]
        best = np.argmin(total, axis=0)
        cols = np.arange(total.shape[1])
        return total[best, cols], pred, best

    def rtt_to(self, src: Endpoint, targets: list[Endpoint]) -> np.ndarray:
        """Round trip [ms] from one endpoint to many, fixed overhead included."""
        node_ms, _, _ = self.node_rtt_ms(src)
        return self._rtt_from_nodes(node_ms, src, targets)

    def _rtt_from_nodes(
        self, node_ms: np.ndarray, src: Endpoint, targets: list[Endpoint]
    ) -> np.ndarray:
        out = np.empty(len(targets))
        for i, t in enumerate(targets):
            if same_place(src, t):
                out[i] = 0.0
                continue
            pos, w = self.attach(t)
            best = float(np.min(node_ms[pos] + w))
            out[i] = min(best, self._direct_ms(src, t)) + self.params.fixed_overhead_ms
        return out

    def _direct_ms(self, a: Endpoint, b: Endpoint) -> float:
        d = float(great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude))
        if d <= self.params.terrestrial_max_km and land_linked(a.country, b.country):
            return float(link_rtt_ms(np.array([d]), np.array([False]), self.params)[0])
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
        unchanged; :func:`gridfirst.network.diversity.connectivity` uses this to skip cuts.
        """
        search = self.node_rtt_ms(a)
        return [self._trace(a, b, *search) for b in targets]

    def _trace(
        self,
        a: Endpoint,
        b: Endpoint,
        node_ms: np.ndarray,
        pred_rows: np.ndarray,
        source_row: np.ndarray,
    ) -> tuple[Route, np.ndarray]:
        if same_place(a, b):
            return Route(0.0, _path([a.name, b.name]), [], 0.0, 0.0), np.empty(0, dtype=int)
        pos, w = self.attach(b)
        k = int(np.argmin(node_ms[pos] + w))
        best = float(node_ms[pos[k]] + w[k])
        gc = float(great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude))
        direct = self._direct_ms(a, b)
        if direct <= best or not np.isfinite(best):
            rtt = direct + self.params.fixed_overhead_ms
            return Route(rtt, _path([a.name, b.name]), [], gc, gc), np.empty(0, dtype=int)
        row = int(source_row[pos[k]])
        pred = pred_rows[row]
        chain = [int(pos[k])]
        while True:
            prev = int(pred[chain[-1]])
            if prev < 0:
                break
            chain.append(prev)
        chain.reverse()
        names = self.graph.nodes["name"].to_numpy()  # type: ignore[index]
        nodes = self.graph.nodes
        lat, lon = nodes["latitude"].to_numpy(), nodes["longitude"].to_numpy()  # type: ignore[index]
        arrays = self.graph.link_arrays()
        edge_of = self.edge_of
        links = np.array(
            [edge_of[(min(u, v), max(u, v))] for u, v in zip(chain, chain[1:], strict=False)],
            dtype=int,
        )
        km = float(great_circle_km(a.latitude, a.longitude, lat[chain[0]], lon[chain[0]]))
        km += float(great_circle_km(b.latitude, b.longitude, lat[chain[-1]], lon[chain[-1]]))
        cables: list[str] = []
        for e in links:
            km += float(arrays["length_km"][e])
            cid = str(arrays["cable_id"][e])
            if cid and (not cables or cables[-1] != cid):
                cables.append(cid)
        from gridfirst.network.data import cables as cable_table

        table = cable_table()
        cable_names = [str(table.at[c, "name"]) for c in cables]
        path = _path([a.name, *[str(names[i]) for i in chain], b.name])
        route = Route(
            best + self.params.fixed_overhead_ms,
            path,
            cable_names,
            km,
            gc,
            extra={"cable_ids": cables},
        )
        return route, links


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
        ``rtt_ms`` [ms], the node path and the cable systems used; ``extra["resolved"]`` says
        what each of ``a`` and ``b`` resolved to (``{"from": ..., "to": ...}``) and
        ``extra["notes"]`` why, when a name matched several cities. The same place at both
        ends gives 0 ms (see :func:`same_place`).
    """
    ea, eb = endpoint(a), endpoint(b)
    result = LatencyModel(params, in_service_by=in_service_by).route(ea, eb)
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
    att = [model.attach(p) for p in points]
    width = max(len(p) for p, _ in att)
    pos = np.zeros((len(points), width), dtype=int)
    w = np.full((len(points), width), np.inf)
    for i, (p, ms) in enumerate(att):
        pos[i, : len(p)], w[i, : len(p)] = p, ms
    for r, m in enumerate(markets):
        ep = endpoint(m)
        node_ms, _, _ = model.node_rtt_ms(ep)
        row = np.min(node_ms[pos] + w, axis=1)
        direct = np.array([model._direct_ms(ep, p) for p in points])
        out[r] = np.minimum(row, direct) + model.params.fixed_overhead_ms
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
