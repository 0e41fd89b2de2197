"""The connectivity graph: landing stations and demand-centre nodes joined by subsea and terrestrial links.

Builds the node and edge tables once (cached) and turns them into sparse weight matrices for a
parameter set and a set of cut cables or corridors. It computes no latency itself.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from gridfirst.geo import C_KM_PER_MS, great_circle_km
from gridfirst.network.data import LatencyParameters

if TYPE_CHECKING:
    import networkx as nx
    import pandas as pd
    import scipy.sparse

# Old name of gridfirst.geo.C_KM_PER_MS, still imported from here by network/latency.py (as is
# great_circle_km); drop once latency.py imports both from gridfirst.geo.
C_VACUUM_KM_PER_MS = C_KM_PER_MS

# Macro-regions inside which land neighbours get terrestrial links (see sources_network.csv,
# network-assumption-terrestrial). Countries not listed use their GeoNames continent.
_MACRO_REGION = {
    **dict.fromkeys("AE OM SA QA BH KW IQ JO IL PS LB SY YE EG IR".split(), "middle_east"),
    **dict.fromkeys("IN PK BD NP BT LK MV AF".split(), "south_asia"),
    **dict.fromkeys("KZ UZ TM KG TJ".split(), "central_asia"),
    **dict.fromkeys("CN HK MO VN KH LA TH MM MY SG MN BN ID TL PG".split(), "east_asia"),
    "TR": "EU",
    "KP": "north_korea",
}
# Short sea crossings served by many systems outside the bundled set, modelled as terrestrial.
_SHORT_CROSSINGS = {
    frozenset(p.split("-")) for p in "GB-FR GB-BE GB-NL GB-IE SG-MY SG-ID DK-SE FI-EE".split()
}


def _unit(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def macro_region(iso2: str) -> str:
    """The macro-region of a country for terrestrial links."""
    from gridfirst.data.gazetteer import countries

    if iso2 in _MACRO_REGION:
        return _MACRO_REGION[iso2]
    table = countries()
    return str(table.at[iso2, "continent"]) if iso2 in table.index else iso2


@lru_cache(maxsize=512)
def land_linked(a: str, b: str) -> bool:
    """True when a terrestrial link may join countries ``a`` and ``b`` (ISO 3166-1 alpha-2)."""
    from gridfirst.data.gazetteer import countries

    if a == b:
        return True
    if frozenset((a, b)) in _SHORT_CROSSINGS:
        return True
    table = countries()
    neighbours = table.at[a, "neighbours"] if a in table.index else ()
    return b in neighbours and macro_region(a) == macro_region(b)


@dataclass
class LinkWeights:
    """One-link round-trip times after cuts: a symmetric sparse matrix and its links.

    Attributes
    ----------
    matrix : scipy.sparse.csr_matrix
        Round trip over the fastest surviving link between two nodes [ms] (both directions).
    lo, hi, link : numpy.ndarray
        For each node pair in the matrix (``lo < hi``), the position of that link in
        ``NetworkGraph.edges``.
    keep : numpy.ndarray
        Bool mask over ``NetworkGraph.edges``: links present after cuts and filters.
    """

    matrix: scipy.sparse.csr_matrix
    lo: np.ndarray
    hi: np.ndarray
    link: np.ndarray
    keep: np.ndarray
    _edge_of: dict[tuple[int, int], int] | None = field(default=None, repr=False)

    def edge_of(self) -> dict[tuple[int, int], int]:
        """(lo, hi) node pair -> position of the fastest surviving link (built on first use)."""
        if self._edge_of is None:
            self._edge_of = {
                (int(x), int(y)): int(i)
                for x, y, i in zip(self.lo, self.hi, self.link, strict=True)
            }
        return self._edge_of


@dataclass
class NetworkGraph:
    """Nodes and links of the cable and terrestrial network.

    Attributes
    ----------
    nodes : pandas.DataFrame
        One row per node: ``node_id, kind ('landing'|'city'), name, country, latitude,
        longitude, population``.
    edges : pandas.DataFrame
        One row per link: ``u, v`` (node positions), ``kind ('subsea'|'terrestrial')``,
        ``cable_id`` ('' for terrestrial), ``corridors`` (frozenset), ``length_km``.
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    _tree: object = field(default=None, repr=False)
    _land_component: np.ndarray | None = field(default=None, repr=False)
    _links: dict[str, np.ndarray] | None = field(default=None, repr=False)
    _order: dict[tuple[Any, ...], tuple[np.ndarray, np.ndarray]] = field(
        default_factory=dict, repr=False
    )

    @property
    def n(self) -> int:
        return len(self.nodes)  # type: ignore[arg-type]

    def tree(self) -> object:
        if self._tree is None:
            from scipy.spatial import cKDTree

            nodes = self.nodes
            self._tree = cKDTree(_unit(nodes["latitude"].to_numpy(), nodes["longitude"].to_numpy()))  # type: ignore[index]
        return self._tree

    def nearest(self, lat: float, lon: float, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the ``k`` nearest nodes and their great-circle distance [km]."""
        k = min(k, self.n)
        _, idx = self.tree().query(_unit(np.array([lat]), np.array([lon]))[0], k=k)  # type: ignore[attr-defined]
        idx = np.atleast_1d(idx)
        nodes = self.nodes
        dist = great_circle_km(
            lat, lon, nodes["latitude"].to_numpy()[idx], nodes["longitude"].to_numpy()[idx]
        )  # type: ignore[index]
        return idx, np.atleast_1d(dist)

    def land_component(self) -> np.ndarray:
        """Label of the connected terrestrial component of every node."""
        if self._land_component is None:
            from scipy.sparse import coo_matrix
            from scipy.sparse.csgraph import connected_components

            e = self.edges
            t = e[e["kind"] == "terrestrial"]  # type: ignore[index]
            m = coo_matrix((np.ones(len(t)), (t["u"], t["v"])), shape=(self.n, self.n))
            _, labels = connected_components(m, directed=False)
            self._land_component = labels
        return self._land_component

    def link_arrays(self) -> dict[str, np.ndarray]:
        """Per-link arrays that do not depend on parameters or cuts (computed once).

        ``lo``/``hi`` (end positions, ordered), ``subsea`` (bool), ``length_km``, ``cable_id``,
        ``rfs_year`` (ready-for-service year of the link's cable; -inf for terrestrial links and
        for cables without a published year, which are always in service) and one bool mask
        per corridor, ``corridor:<name>``.
        """
        if self._links is None:
            from gridfirst.network.data import cables

            e = self.edges
            u, v = e["u"].to_numpy(dtype=int), e["v"].to_numpy(dtype=int)  # type: ignore[index]
            cable_id = e["cable_id"].to_numpy(dtype=object)  # type: ignore[index]
            rfs = cables()["rfs_year"].astype(float).to_dict()
            rfs_year = np.array([rfs.get(c, -np.inf) if c else -np.inf for c in cable_id])
            rfs_year[np.isnan(rfs_year)] = -np.inf
            arrays: dict[str, np.ndarray] = {
                "lo": np.minimum(u, v),
                "hi": np.maximum(u, v),
                "subsea": (e["kind"] == "subsea").to_numpy(),  # type: ignore[index]
                "length_km": e["length_km"].to_numpy(dtype=float),  # type: ignore[index]
                "cable_id": cable_id,
                "rfs_year": rfs_year,
            }
            names = sorted({c for cs in e["corridors"] for c in cs})  # type: ignore[index]
            for name in names:
                arrays[f"corridor:{name}"] = np.array(
                    [name in cs for cs in e["corridors"]],  # type: ignore[index]
                    dtype=bool,
                )
            self._links = arrays
        return self._links

    def kept_links(
        self,
        cut_cables: frozenset[str] = frozenset(),
        cut_corridors: frozenset[str] = frozenset(),
        in_service_by: int | None = None,
    ) -> np.ndarray:
        """Bool mask of the links left after cuts and the ready-for-service filter.

        Parameters
        ----------
        cut_cables : frozenset of str
            Cable ids whose every segment is removed.
        cut_corridors : frozenset of str
            Corridors whose every subsea segment is removed.
        in_service_by : int, optional
            Keep only cables with ``rfs_year <= in_service_by`` [year]; default
            :func:`gridfirst.network.data.default_in_service_year`. Nodes and terrestrial links
            do not depend on the year, so a later year only adds links (RTT never rises).
        """
        from gridfirst.network.data import in_service_year

        arrays = self.link_arrays()
        keep = arrays["rfs_year"] <= in_service_year(in_service_by)
        if cut_cables:
            keep &= ~np.isin(arrays["cable_id"], list(cut_cables))
        for name in cut_corridors:
            mask = arrays.get(f"corridor:{name}")
            if mask is not None:
                keep &= ~mask
        return keep

    def link_weights(
        self,
        params: LatencyParameters,
        cut_cables: frozenset[str] = frozenset(),
        cut_corridors: frozenset[str] = frozenset(),
        in_service_by: int | None = None,
    ) -> LinkWeights:
        """Sparse matrix of one-link round-trip times [ms] after cuts, and the link behind each entry.

        Parallel links keep the fastest (ties: the first in the link table). Cut cables, every
        subsea link crossing a cut corridor and cables not in service by ``in_service_by``
        [year] are left out (see :meth:`kept_links`).
        """
        from scipy.sparse import csr_matrix

        keep = self.kept_links(cut_cables, cut_corridors, in_service_by)
        order, w_sorted = self._sorted_links(params)
        # Filtering the stably sorted links equals sorting the filtered links: the result is the
        # same as sorting per cut, at a fraction of the cost.
        sel = order[keep[order]]
        arrays = self.link_arrays()
        a, b, w = arrays["lo"][sel], arrays["hi"][sel], w_sorted[keep[order]]
        first = np.ones(len(a), dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        a, b, w, ids = a[first], b[first], w[first], sel[first]
        matrix = csr_matrix(
            (np.concatenate([w, w]), (np.concatenate([a, b]), np.concatenate([b, a]))),
            shape=(self.n, self.n),
        )
        return LinkWeights(matrix=matrix, lo=a, hi=b, link=ids, keep=keep)

    def weights_ms(
        self,
        params: LatencyParameters,
        cut_cables: frozenset[str] = frozenset(),
        cut_corridors: frozenset[str] = frozenset(),
        in_service_by: int | None = None,
    ) -> tuple[scipy.sparse.csr_matrix, dict[tuple[int, int], int]]:
        """:meth:`link_weights` as (matrix, {(lo, hi): link position})."""
        lw = self.link_weights(params, cut_cables, cut_corridors, in_service_by)
        return lw.matrix, lw.edge_of()

    def _sorted_links(self, params: LatencyParameters) -> tuple[np.ndarray, np.ndarray]:
        # Link order by (lo, hi, rtt, position) and the rtt in that order, per parameter set.
        key = dataclasses.astuple(params)
        if key not in self._order:
            arrays = self.link_arrays()
            ms = link_rtt_ms(arrays["length_km"], arrays["subsea"], params)
            order = np.lexsort((ms, arrays["hi"], arrays["lo"]))
            if len(self._order) >= 8:
                self._order.clear()
            self._order[key] = (order, ms[order])
        return self._order[key]

    def to_networkx(self) -> nx.MultiGraph:
        """The graph as a networkx MultiGraph (node ids as keys, link attributes on edges)."""
        import networkx as nx

        g = nx.MultiGraph()
        for row in self.nodes.itertuples():  # type: ignore[attr-defined]
            g.add_node(
                row.node_id,
                kind=row.kind,
                name=row.name,
                country=row.country,
                latitude=row.latitude,
                longitude=row.longitude,
            )
        ids = self.nodes["node_id"].to_numpy()  # type: ignore[index]
        for row in self.edges.itertuples():  # type: ignore[attr-defined]
            g.add_edge(
                ids[row.u],
                ids[row.v],
                kind=row.kind,
                cable_id=row.cable_id,
                corridors=row.corridors,
                length_km=row.length_km,
            )
        return g


def link_rtt_ms(length_km: np.ndarray, subsea: np.ndarray, params: LatencyParameters) -> np.ndarray:
    """Round trip over one link [ms]: 2 x fibre length x group index / c, plus the hop overhead.

    Fibre length is the link length times the subsea or terrestrial route factor.
    """
    factor = np.where(subsea, params.subsea_route_factor, params.terrestrial_route_factor)
    fibre_km = np.asarray(length_km, dtype=float) * factor
    return 2.0 * fibre_km * params.group_index / C_KM_PER_MS + params.hop_overhead_ms


def build_graph(params: LatencyParameters) -> NetworkGraph:
    """Build the network from the bundled cables and the demand centres.

    Parameters
    ----------
    params : LatencyParameters
        Only ``terrestrial_max_km`` and ``terrestrial_neighbours`` shape the graph.
    """
    import pandas as pd

    from gridfirst.network.data import demand_centres, landings, segments

    lands = landings().drop_duplicates("landing_id")
    centres = demand_centres()
    nodes = pd.concat(
        [
            pd.DataFrame(
                {
                    "node_id": "landing:" + lands["landing_id"],
                    "kind": "landing",
                    "name": lands["landing_name"],
                    "country": lands["country_code"],
                    "latitude": lands["latitude"].astype(float),
                    "longitude": lands["longitude"].astype(float),
                    "population": 0,
                }
            ),
            pd.DataFrame(
                {
                    "node_id": "city:" + centres.index,
                    "kind": "city",
                    "name": centres["name"],
                    "country": centres["country"],
                    "latitude": centres["latitude"],
                    "longitude": centres["longitude"],
                    "population": centres["population"],
                }
            ),
        ],
        ignore_index=True,
    )
    pos = {nid: i for i, nid in enumerate(nodes["node_id"])}
    seg = segments()
    subsea = pd.DataFrame(
        {
            "u": seg["from_landing"].map(lambda x: pos["landing:" + x]),
            "v": seg["to_landing"].map(lambda x: pos["landing:" + x]),
            "kind": "subsea",
            "cable_id": seg["cable_id"],
            "corridors": seg["corridors"].map(lambda s: frozenset(c for c in s.split(";") if c)),
            "length_km": seg["length_km"].astype(float),
        }
    )
    graph = NetworkGraph(nodes=nodes, edges=subsea)
    lat, lon = nodes["latitude"].to_numpy(), nodes["longitude"].to_numpy()
    country = nodes["country"].to_numpy()
    pairs: dict[tuple[int, int], float] = {}
    for i in range(len(nodes)):
        idx, dist = graph.nearest(lat[i], lon[i], 48)
        taken = 0
        for j, d in zip(idx, dist, strict=True):
            if j == i or d > params.terrestrial_max_km:
                continue
            if land_linked(country[i], country[j]):
                pairs[(min(i, j), max(i, j))] = float(d)
                taken += 1
                if taken >= params.terrestrial_neighbours:
                    break
    # Inland regions without a bundled landing reach the nearest network node overland.
    _join_landless(graph, pairs, lat, lon)
    terrestrial = pd.DataFrame(
        {
            "u": [p[0] for p in pairs],
            "v": [p[1] for p in pairs],
            "kind": "terrestrial",
            "cable_id": "",
            "corridors": [frozenset()] * len(pairs),
            "length_km": list(pairs.values()),
        }
    )
    return NetworkGraph(nodes=nodes, edges=pd.concat([subsea, terrestrial], ignore_index=True))


def _join_landless(
    graph: NetworkGraph, pairs: dict[tuple[int, int], float], lat: np.ndarray, lon: np.ndarray
) -> None:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    is_landing = (graph.nodes["kind"] == "landing").to_numpy()  # type: ignore[index]
    n = graph.n
    while True:
        u = [p[0] for p in pairs]
        v = [p[1] for p in pairs]
        m = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
        _, labels = connected_components(m, directed=False)
        with_landing = set(labels[is_landing])
        landless = [c for c in set(labels) if c not in with_landing]
        if not landless:
            return
        comp = landless[0]
        members = np.flatnonzero(labels == comp)
        targets = np.flatnonzero(np.isin(labels, list(with_landing)))
        best_km, best_i, best_j = np.inf, -1, -1
        for i in members:
            dist = great_circle_km(lat[i], lon[i], lat[targets], lon[targets])
            j = int(np.argmin(dist))
            if dist[j] < best_km:
                best_km, best_i, best_j = float(dist[j]), int(i), int(targets[j])
        pairs[(min(best_i, best_j), max(best_i, best_j))] = best_km


def cached_graph(params: LatencyParameters) -> NetworkGraph:
    """:func:`build_graph`, cached per graph-shaping parameters."""
    return _cached_graph(params.terrestrial_max_km, params.terrestrial_neighbours)


@lru_cache(maxsize=4)
def _cached_graph(terrestrial_max_km: float, terrestrial_neighbours: int) -> NetworkGraph:
    from gridfirst.network.data import default_parameters

    base = default_parameters()
    return build_graph(
        LatencyParameters(
            **{
                **base.__dict__,
                "terrestrial_max_km": terrestrial_max_km,
                "terrestrial_neighbours": terrestrial_neighbours,
            }
        )
    )
