"""Build cables.csv, landings.csv and segments.csv from TeleGeography's public cable-map JSON.

Run by hand (not at import time), pointing at a folder laid out like TeleGeography's
Submarine Cable Map API v3 (``cable/<id>.json``, ``cable/cable-geo.json`` and
``landing-point/landing-point-geo.json``)::

    python prepare_cables.py /path/to/submarinecables

(with gridfirst importable: distances are :func:`gridfirst.geo.great_circle_km`).

Segment lengths are measured along the cable's drawn route (TeleGeography's route geometry) between
adjacent landings: a landing pair is adjacent when the shortest route between them passes no other
landing of the same cable. The route factor on top of the drawn length is applied later, by the
model (see ``gridfirst.network.parameters``). Corridors are tagged by testing the drawn route
against the boxes in ``CORRIDORS``.
"""

from __future__ import annotations

import csv
import heapq
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

from gridfirst.geo import great_circle_km

SOURCE_ID = "network-telegeography-2024"

# Cables bundled: trans-Pacific, Australia-Asia/US, intra-Asia, Asia-Europe (Red Sea and around),
# transatlantic, Gulf and India, plus the domestic/short links that tie the markets to them.
CABLE_IDS = """
unityeac-pacific trans-pacific-express-tpe-cable-system pacific-crossing-1-pc-1 faster
new-cross-pacific-ncp-cable-system jupiter japan-u-s-s1-jus-s1 pacific-light-cable-network-plcn
sea-us asia-america-gateway-aag-cable-system tata-tgn-pacific hawaiki
southern-cross-cable-network-sccn southern-cross-next japan-guam-australia-south-jga-s
japan-guam-australia-north-jga-n australia-japan-cable-ajc telstra-endeavour topaz echo bifrost
tpu indigo-west indigo-central australia-singapore-cable-asc oman-australia-cable-oac
sydney-melbourne-adelaide-perth-smap tasman-global-access-tga-cable apricot
asia-pacific-gateway-apg southeast-asia-japan-cable-sjc southeast-asia-japan-cable-2-sjc2
asia-direct-cable-adc apcn-2 eac-c2c tata-tgn-intra-asia-tgn-ia sea-h2x
asia-submarine-cable-express-asecahaya-malaysia asia-link-cable-alc korea-japan-cable-network-kjcn
batam-singapore-cable-system-bscs malaysia-cambodia-thailand-mct-cable
thailand-indonesia-singapore-tis hokkaido-akita-cable japan-information-highway-jih
guam-okinawa-kyushu-incheon-goki dumai-melaka-cable-system indonesia-global-gateway-igg-system
sistem-kabel-rakyat-1malaysia-skr1m hainan-to-hong-kong-express-h2he
flag-north-asia-loopreach-north-asia-loop taiwan-strait-express-1-tse-1 seamewe-3 seamewe-4
seamewe-5 seamewe-6 asia-africa-europe-1-aae-1 peace-cable 2africa flag-europe-asia-fea imewe
europe-india-gateway-eig middle-east-north-africa-mena-cable-systemgulf-bridge-international
seacomtata-tgn-eurasia india-europe-xpress-iex blue raman marea dunant grace-hopper
atlantic-crossing-1-ac-1 tata-tgn-atlantic havfrueaec-2 amitie flag-atlantic-1-fa-1 exa-express
exa-north-and-south apollo celtic-norse celtixconnect-1-cc-1 pan-european-crossing-uk-ireland
rockabill iris fiber-optic-gulf-fog tata-tgn-gulf falcon india-asia-xpress-iax
bay-of-bengal-gateway-bbg i2i-cable-network-i2icn tata-tgn-tata-indicom
qatar-u-a-e-submarine-cable-system mist
gulf-bridge-international-cable-system-gbicsmiddle-east-north-africa-mena-cable-system
""".split()

# Straits and seas where many cables share one narrow route: (lat_min, lat_max, lon_min, lon_max).
CORRIDORS = {
    "red_sea": (12.0, 30.5, 32.0, 44.5),  # Suez/Egypt crossing to Bab-el-Mandeb
    "luzon_strait": (18.5, 22.5, 119.0, 123.0),  # Bashi Channel, 2006 Hengchun earthquake
    "malacca_strait": (1.0, 6.5, 95.0, 103.4),
    "taiwan_strait": (22.5, 26.0, 117.5, 121.0),
    "hormuz_strait": (25.6, 27.5, 55.8, 57.5),
    "sunda_strait": (-6.6, -5.4, 104.8, 106.2),
}


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance [km] of one pair (:func:`gridfirst.geo.great_circle_km`)."""
    return float(great_circle_km(lat1, lon1, lat2, lon2))


def _key(lon: float, lat: float) -> tuple[float, float]:
    lon = 180.0 if abs(lon + 180.0) < 1e-6 else lon
    return (round(lon, 3), round(lat, 3))


def _corridors(path: list[tuple[float, float]]) -> set[str]:
    found: set[str] = set()
    for (lon1, lat1), (lon2, lat2) in zip(path, path[1:], strict=False):
        if abs(lon2 - lon1) > 180:  # antimeridian hop; no corridor there
            continue
        steps = max(1, int(_km(lat1, lon1, lat2, lon2) / 10.0))
        for i in range(steps + 1):
            t = i / steps
            lat, lon = lat1 + t * (lat2 - lat1), lon1 + t * (lon2 - lon1)
            for name, (a, b, c, d) in CORRIDORS.items():
                if a <= lat <= b and c <= lon <= d:
                    found.add(name)
    return found


def _dijkstra(adj, source, terminals, blocked=frozenset()):
    dist = {source: 0.0}
    prev: dict = {}
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, math.inf):
            continue
        if u != source and u in terminals:
            continue  # do not pass through another landing
        for v, w in adj[u]:
            if u in blocked and v not in terminals:
                continue  # a trunk vertex where another cable station sits
            nd = d + w
            if nd < dist.get(v, math.inf):
                dist[v], prev[v] = nd, u
                heapq.heappush(heap, (nd, v))
    return dist, prev


def build(root: Path, out: Path) -> None:
    geo = json.loads((root / "cable" / "cable-geo.json").read_text())
    lines_by_cable: dict[str, list] = defaultdict(list)
    for feat in geo["features"]:
        lines_by_cable[feat["properties"]["id"]].extend(feat["geometry"]["coordinates"])
    lp_geo = json.loads((root / "landing-point" / "landing-point-geo.json").read_text())
    lp_xy = {f["properties"]["id"]: f["geometry"]["coordinates"] for f in lp_geo["features"]}

    cables, landings, segments = [], [], []
    for cid in CABLE_IDS:
        meta = json.loads((root / "cable" / f"{cid}.json").read_text())
        lps = [lp for lp in meta["landing_points"] if lp["id"] in lp_xy]
        length = meta.get("length")
        length_km = float(length.replace(",", "").split()[0]) if length else ""
        # geometry graph
        adj: dict = defaultdict(list)
        for line in lines_by_cable.get(cid, []):
            for (x1, y1), (x2, y2) in zip(line, line[1:], strict=False):
                a, b = _key(x1, y1), _key(x2, y2)
                if a == b:
                    continue
                w = _km(a[1], a[0], b[1], b[0])
                adj[a].append((b, w))
                adj[b].append((a, w))
        verts = list(adj)
        method = "route_geometry"
        if not verts:
            method = "great_circle"
        # connect components of the drawing (gaps where the drawing breaks)
        if verts:
            comp: dict = {}
            for v in verts:
                if v in comp:
                    continue
                stack, comp[v] = [v], v
                while stack:
                    u = stack.pop()
                    for w_, _ in adj[u]:
                        if w_ not in comp:
                            comp[w_] = v
                            stack.append(w_)
            roots = sorted(set(comp.values()))
            while len(roots) > 1:
                members = defaultdict(list)
                for v, r in comp.items():
                    members[r].append(v)
                base = members[roots[0]]
                best = (math.inf, None, None, None)
                for r in roots[1:]:
                    for u in base[:: max(1, len(base) // 400)]:
                        for v in members[r][:: max(1, len(members[r]) // 400)]:
                            d = _km(u[1], u[0], v[1], v[0])
                            if d < best[0]:
                                best = (d, u, v, r)
                d, u, v, r = best
                adj[u].append((v, d))
                adj[v].append((u, d))
                for w_ in members[r]:
                    comp[w_] = roots[0]
                roots.remove(r)
        # attach landings
        node_of: dict[str, tuple] = {}
        attach: dict[tuple, tuple] = {}
        for lp in lps:
            lon, lat = lp_xy[lp["id"]]
            node = ("landing", lp["id"])
            node_of[lp["id"]] = node
            if verts:
                near = min(verts, key=lambda v: _km(lat, lon, v[1], v[0]))
                d = _km(lat, lon, near[1], near[0])
                adj[node].append((near, d))
                adj[near].append((node, d))
                attach[node] = near
        terminals = set(node_of.values())
        seen_pairs: set = set()

        def coords(n):
            return tuple(lp_xy[n[1]]) if n[0] == "landing" else n

        for lp in lps:
            src = node_of[lp["id"]]
            if verts:
                blocked = frozenset(v for k, v in attach.items() if k != src and v != attach[src])
                dist, prev = _dijkstra(adj, src, terminals, blocked)
                reached = sorted(t for t in terminals if t != src and t in dist)
            else:
                dist, prev, reached = {}, {}, []
            for t in reached:
                pair = tuple(sorted((src[1], t[1])))
                if pair in seen_pairs:
                    continue
                seen_pairs.add(pair)
                path, n = [t], t
                while n != src:
                    n = prev[n]
                    path.append(n)
                pts = [coords(n) for n in reversed(path)]
                segments.append(
                    {
                        "cable_id": cid,
                        "from_landing": pair[0],
                        "to_landing": pair[1],
                        # never shorter than the great circle (two stations on one vertex)
                        "length_km": round(
                            max(dist[t], _km(*coords(src)[::-1], *coords(t)[::-1]), 0.1), 1
                        ),
                        "method": method,
                        "corridors": ";".join(sorted(_corridors(pts))),
                        "source_id": SOURCE_ID,
                    }
                )
        if not verts and len(lps) > 1:
            # no drawing: chain the landings by a minimum spanning tree of great circles
            done, rest = [lps[0]], lps[1:]
            while rest:
                closest = min(
                    ((a, b) for a in done for b in rest),
                    key=lambda p: _km(
                        lp_xy[p[0]["id"]][1],
                        lp_xy[p[0]["id"]][0],
                        lp_xy[p[1]["id"]][1],
                        lp_xy[p[1]["id"]][0],
                    ),
                )
                a, b = closest
                (x1, y1), (x2, y2) = lp_xy[a["id"]], lp_xy[b["id"]]
                pair = tuple(sorted((a["id"], b["id"])))
                segments.append(
                    {
                        "cable_id": cid,
                        "from_landing": pair[0],
                        "to_landing": pair[1],
                        "length_km": round(_km(y1, x1, y2, x2), 1),
                        "method": method,
                        "corridors": ";".join(sorted(_corridors([(x1, y1), (x2, y2)]))),
                        "source_id": SOURCE_ID,
                    }
                )
                done.append(b)
                rest.remove(b)
        # order landings along the cable: from one end of the longest route
        seg_here = [s for s in segments if s["cable_id"] == cid]
        ladj: dict = defaultdict(list)
        for s in seg_here:
            ladj[s["from_landing"]].append((s["to_landing"], s["length_km"]))
            ladj[s["to_landing"]].append((s["from_landing"], s["length_km"]))

        def far(src_id, ladj=ladj):
            dist, _ = _dijkstra(ladj, src_id, set())
            return dist

        ids = [lp["id"] for lp in lps]
        start = ids[0]
        if ladj:
            d0 = far(ids[0])
            start = max(d0, key=d0.get)
            dstart = far(start)
        else:
            dstart = {}
        ordered = sorted(ids, key=lambda i: (dstart.get(i, math.inf), i))
        cable_corr = sorted({c for s in seg_here for c in s["corridors"].split(";") if c})
        cables.append(
            {
                "cable_id": cid,
                "name": meta["name"],
                "rfs_year": meta["rfs_year"],
                "length_km": length_km,
                "planned_in_source": bool(meta.get("is_planned")),
                "corridors": ";".join(cable_corr),
                "source_id": SOURCE_ID,
            }
        )
        for order, lid in enumerate(ordered, start=1):
            lp = next(p for p in lps if p["id"] == lid)
            lon, lat = lp_xy[lid]
            landings.append(
                {
                    "cable_id": cid,
                    "order": order,
                    "landing_id": lid,
                    "landing_name": lp["name"],
                    "country": lp["country"],
                    "latitude": round(lat, 4),
                    "longitude": round(lon, 4),
                    "source_id": SOURCE_ID,
                }
            )
    for name, rows in (("cables", cables), ("landings", landings), ("segments", segments)):
        with (out / f"{name}.csv").open("w", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        print(f"{name}.csv: {len(rows)} rows", file=sys.stderr)


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(__file__).parent)
