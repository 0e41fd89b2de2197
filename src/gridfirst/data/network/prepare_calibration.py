"""Add IBM Cloud's inter-region round trips to calibration_rtt.csv and screen every pair.

Run by hand (not at import time):

    python prepare_calibration.py network-latency.md calibration_rtt.csv

``network-latency.md`` is the IBM Cloud documentation source of the VPC network latency
dashboards (github.com/ibm-cloud-docs/vpc, ``_include-segments/network-latency.md``); its
newest "Inter-region latency" table is read. Rows of other sources already in the CSV are kept
as they are. Then every pair gets a ``split``:

- ``excluded`` with a ``screen`` reason when one of the rules below holds (the measurement
  stays in the file, visible in ``calibration_report()``, but is neither fitted nor scored);
- otherwise ``holdout`` for every 4th kept pair of each source in file order, else ``fit``.

Rules (each names a reason the geographic model cannot reproduce the pair):

1. ``no cable``: an endpoint lies in a country where no bundled cable lands (the network has
   no route to it, e.g. Sao Paulo: no South-Atlantic system is bundled).
2. ``hub``: the provider's path runs through another of its regions: for some third city c
   of the same source, RTT(a, c) + RTT(c, b) <= RTT(a, b) + 3 ms.
3. ``detour``: the same source measures a faster round trip from one of the two endpoints to
   a place at least 1.3 times as far (great circle): the pair takes a detour of that network.
4. ``duplicate``: two sources measure the same city pair (both ends within 100 km); the
   lower round trip is kept, as the model gives the fastest route.
5. Reasons already in the ``screen`` column that none of the above produce (written by hand,
   with the evidence) are kept.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

IBM_SOURCE = "network-ibm-rtt-2026"
HUB_MARGIN_MS = 3.0
DETOUR_DISTANCE_RATIO = 1.3
SAME_PLACE_KM = 100.0
HOLDOUT_EVERY = 4

# City coordinates [degrees]: GeoNames (gridfirst.data.gazetteer), rounded to 0.01 degree; cities
# already in the file keep the coordinates used there.
IBM_CITIES = {
    "Dallas": (32.78, -96.81),
    "Toronto": (43.71, -79.40),
    "Washington DC": (38.90, -77.04),
    "Frankfurt": (50.12, 8.68),
    "London": (51.51, -0.13),
    "Madrid": (40.42, -3.70),
    "Montreal": (45.51, -73.59),
    "Chennai": (13.09, 80.28),
    "Mumbai": (19.07, 72.88),
    "Osaka": (34.69, 135.50),
    "Sydney": (-33.87, 151.21),
    "Tokyo": (35.69, 139.69),
    "Sao Paulo": (-23.55, -46.64),
}
# ISO country of each city (rule 1).
IBM_COUNTRY = {
    "Dallas": "US",
    "Toronto": "CA",
    "Washington DC": "US",
    "Frankfurt": "DE",
    "London": "GB",
    "Madrid": "ES",
    "Montreal": "CA",
    "Chennai": "IN",
    "Mumbai": "IN",
    "Osaka": "JP",
    "Sydney": "AU",
    "Tokyo": "JP",
    "Sao Paulo": "BR",
}


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle km (:func:`gridfirst.geo.great_circle_km`, the one implementation)."""
    from gridfirst.geo import great_circle_km

    return float(great_circle_km(lat1, lon1, lat2, lon2))


def read_ibm(md: Path) -> tuple[str, list[tuple[str, str, float, float]]]:
    """The newest inter-region table: (period caption, [(a, b, a->b ms, b->a ms)])."""
    text = md.read_text(encoding="utf-8")
    block = text.split("### Inter-region latency", 1)[1].split("###", 1)[0]
    lines = block.splitlines()
    head = next(line for line in lines if line.startswith("| Average latency"))
    cols = [c.strip() for c in head.strip().strip("|").split("|")][1:]
    caption = next(line for line in lines if "caption=" in line).split('"')[1]
    table: dict[tuple[str, str], float] = {}
    for line in lines:
        if line.startswith("| **"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            name = cells[0].strip("*")
            for col, value in zip(cols, cells[1:], strict=True):
                if value:
                    table[(name, col)] = float(value)
    pairs = [
        (a, b, table[(a, b)], table[(b, a)]) for i, a in enumerate(cols) for b in cols[i + 1 :]
    ]
    return caption, pairs


def _slug(name: str) -> str:
    return name.lower().replace(" dc", "").replace(" ", "-")


def ibm_rows(md: Path) -> list[dict[str, str]]:
    caption, pairs = read_ibm(md)
    rows = []
    for a, b, ab, ba in pairs:
        (la, oa), (lb, ob) = IBM_CITIES[a], IBM_CITIES[b]
        rows.append(
            {
                "pair_id": f"ibm-{_slug(a)}-{_slug(b)}",
                "city_a": a,
                "latitude_a": f"{la:.2f}",
                "longitude_a": f"{oa:.2f}",
                "city_b": b,
                "latitude_b": f"{lb:.2f}",
                "longitude_b": f"{ob:.2f}",
                "measured_rtt_ms": f"{(ab + ba) / 2:g}",
                "statistic": "30-day mean",
                "data_year": "2026",
                "source_id": IBM_SOURCE,
                "split": "",
                "screen": "",
                "note": f"{a} - {b} ({ab:g} and {ba:g}); {caption}",
            }
        )
    return rows


def _country_of(row: dict[str, str], end: str) -> str:
    return IBM_COUNTRY.get(row[f"city_{end}"], "")


def screen(rows: list[dict[str, str]], cable_countries: set[str]) -> None:
    """Write ``screen`` reasons (rules 1-4, keeping hand-written ones) and ``split`` in place."""
    rtt = {r["pair_id"]: float(r["measured_rtt_ms"]) for r in rows}

    def ends(r: dict[str, str]) -> tuple[tuple[float, float], tuple[float, float]]:
        return (
            (float(r["latitude_a"]), float(r["longitude_a"])),
            (float(r["latitude_b"]), float(r["longitude_b"])),
        )

    def gc(r: dict[str, str]) -> float:
        (la, oa), (lb, ob) = ends(r)
        return haversine_km(la, oa, lb, ob)

    by_source: dict[str, dict[frozenset[str], dict[str, str]]] = {}
    for r in rows:
        by_source.setdefault(r["source_id"], {})[frozenset((r["city_a"], r["city_b"]))] = r
    for r in rows:
        reasons: list[str] = []
        countries = {_country_of(r, "a"), _country_of(r, "b")} - {""}
        missing = sorted(c for c in countries if c not in cable_countries)
        if missing:
            reasons.append(f"no cable: no bundled cable lands in {', '.join(missing)}")
        same = by_source[r["source_id"]]
        a, b = r["city_a"], r["city_b"]
        cities = {c for key in same for c in key} - {a, b}
        for c in sorted(cities):
            ac, cb = same.get(frozenset((a, c))), same.get(frozenset((c, b)))
            if ac and cb:
                total = float(ac["measured_rtt_ms"]) + float(cb["measured_rtt_ms"])
                if total <= rtt[r["pair_id"]] + HUB_MARGIN_MS:
                    reasons.append(f"hub: via {c} {total:g} ms")
                    break
        for key, other in same.items():
            if other is r or not ({a, b} & key):
                continue
            if (
                gc(other) >= DETOUR_DISTANCE_RATIO * gc(r)
                and float(other["measured_rtt_ms"]) < rtt[r["pair_id"]]
            ):
                reasons.append(
                    f"detour: {other['city_a']}-{other['city_b']} is farther and faster "
                    f"({other['measured_rtt_ms']} ms)"
                )
                break
        (pa, pb) = ends(r)
        for other in rows:
            if other["source_id"] == r["source_id"]:
                continue
            (qa, qb) = ends(other)
            near = (
                haversine_km(*pa, *qa) <= SAME_PLACE_KM and haversine_km(*pb, *qb) <= SAME_PLACE_KM
            )
            near |= (
                haversine_km(*pa, *qb) <= SAME_PLACE_KM and haversine_km(*pb, *qa) <= SAME_PLACE_KM
            )
            if near and float(other["measured_rtt_ms"]) < rtt[r["pair_id"]]:
                reasons.append(
                    f"duplicate: {other['pair_id']} measures {other['measured_rtt_ms']} ms"
                )
                break
        kept = [
            s
            for s in r.get("screen", "").split("; ")
            if s and s.split(":")[0] not in {"no cable", "hub", "detour", "duplicate"}
        ]
        r["screen"] = "; ".join(reasons + kept)
    count: dict[str, int] = {}
    for r in rows:
        if r["screen"]:
            r["split"] = "excluded"
            continue
        count[r["source_id"]] = count.get(r["source_id"], 0) + 1
        r["split"] = "holdout" if count[r["source_id"]] % HOLDOUT_EVERY == 0 else "fit"


def main(md: Path, csv_path: Path) -> None:
    with csv_path.open(encoding="utf-8", newline="") as f:
        old = list(csv.DictReader(f))
    columns = [
        "pair_id", "city_a", "latitude_a", "longitude_a", "city_b", "latitude_b", "longitude_b",
        "measured_rtt_ms", "statistic", "data_year", "source_id", "split", "screen", "note",
    ]  # fmt: skip
    hand = {r["pair_id"]: r.get("screen", "") for r in old}
    rows = [r for r in old if r["source_id"] != IBM_SOURCE] + ibm_rows(md)
    for r in rows:
        r.setdefault("screen", "")
        r["screen"] = hand.get(r["pair_id"], r["screen"]) or ""
    from gridfirst.network.data import landings

    screen(rows, set(landings()["country_code"]))
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
