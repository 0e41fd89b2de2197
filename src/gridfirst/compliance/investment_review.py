"""Foreign-investment review of the buyer's build or acquisition in a host country, and its lead
time, which joins the site's lead time.

Regimes (FIRB, FEFTA, NSIA, CFIUS, India's Press Note 3) and the buyers they catch are data in
``fdi_review.csv``; a buyer building in its own country faces none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gridfirst.compliance import data
from gridfirst.compliance.data import check_country, split_list

if TYPE_CHECKING:
    import pandas as pd


def fdi_reviews(country: str, buyer_jurisdiction: str, acquisition: bool = False) -> pd.DataFrame:
    """Review regimes of ``country`` that catch a buyer from ``buyer_jurisdiction``.

    A row with ``buyer_jurisdictions = foreign`` catches every buyer from another country; a
    list of codes catches only those. Regimes triggered only by acquiring control of an existing
    firm (``trigger = acquisition``) count when ``acquisition`` is True; a new build
    (``acquisition=False``) meets only ``build_or_acquisition`` regimes.
    """
    check_country(country, "country")
    check_country(buyer_jurisdiction, "buyer jurisdiction")
    table = data.fdi_review()
    rows = table[table["country"] == country]
    if country == buyer_jurisdiction:
        return rows.iloc[0:0].reset_index(drop=True)

    def catches(scope: str) -> bool:
        items = split_list(scope)
        return "foreign" in items or buyer_jurisdiction in items

    rows = rows[rows["buyer_jurisdictions"].map(catches).astype(bool)]
    if not acquisition:
        rows = rows[rows["trigger"] == "build_or_acquisition"]
    return rows.reset_index(drop=True)


def fdi_lead_time_months(country: str, buyer_jurisdiction: str, acquisition: bool = False) -> float:
    """Lead time of the foreign-investment review the buyer faces in ``country`` [months].

    Parameters
    ----------
    country, buyer_jurisdiction : str
        Host country and the buyer's home, ISO 3166-1 alpha-2.
    acquisition : bool
        True when the buyer acquires control of an existing firm or site (e.g. a data-centre
        operator); False for a new build.

    Returns
    -------
    float
        The longest applicable regime's lead time (regimes run in parallel) [months]; 0 when
        none applies, always 0 in the buyer's own country.
    """
    rows = fdi_reviews(country, buyer_jurisdiction, acquisition)
    return float(rows["lead_time_months"].max()) if len(rows) else 0.0
