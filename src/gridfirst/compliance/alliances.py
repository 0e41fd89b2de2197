"""Alliances shared by a host country and the buyer's home country, and a score in [0, 1].

Memberships (Five Eyes, NATO, US mutual-defence treaties, AUKUS, Quad, EU) are sourced facts in
``alliances.csv``; how much each counts is an assumption in ``alliance_weights.csv``.
"""

from __future__ import annotations

from gridfirst.compliance import data
from gridfirst.compliance.data import check_country


def alliance_memberships(country: str, year: int | None = None) -> list[str]:
    """Alliances ``country`` belongs to (joined no later than ``year`` when given)."""
    check_country(country, "country")
    table = data.alliances()
    rows = table[table["country"] == country]
    if year is not None:
        rows = rows[rows["joined"] <= year]
    return sorted(rows["alliance"])


def shared_alliances(country: str, buyer_jurisdiction: str, year: int | None = None) -> list[str]:
    """Alliances binding ``country`` and ``buyer_jurisdiction`` to each other.

    A hub alliance (bilateral treaties with one country, e.g. the US treaties) counts only when
    one side is the hub: Japan and Korea are both US treaty allies but not allied to each other.
    """
    check_country(buyer_jurisdiction, "buyer jurisdiction")
    weights = data.alliance_weights()
    common = set(alliance_memberships(country, year)) & set(
        alliance_memberships(buyer_jurisdiction, year)
    )
    shared = []
    for alliance in sorted(common):
        if alliance in weights.index and weights.at[alliance, "kind"] == "hub":
            if weights.at[alliance, "hub"] not in (country, buyer_jurisdiction):
                continue
        shared.append(alliance)
    return shared


def alliance_score(country: str, buyer_jurisdiction: str, year: int | None = None) -> float:
    """Alliance closeness of a host country to the buyer's home [0-1].

    1 for the buyer's own country; otherwise the sum of the weights of the alliances they share
    (:func:`shared_alliances`), capped at 1. Weights: ``alliance_weights.csv`` (an assumption).
    """
    check_country(country, "country")
    check_country(buyer_jurisdiction, "buyer jurisdiction")
    if country == buyer_jurisdiction:
        return 1.0
    weights = data.alliance_weights()["weight"]
    total = sum(
        float(weights.get(a, 0.0)) for a in shared_alliances(country, buyer_jurisdiction, year)
    )
    return min(1.0, total)
