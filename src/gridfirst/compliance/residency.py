"""Data-residency and transfer laws per country: where a region's regulated workloads may run.

Each row names the law, its citation and effective date, the data it covers (scope) and whether
it keeps data in the country (``in_country``), allows transfers on conditions, or sets no rule.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from gridfirst.compliance import data
from gridfirst.compliance.data import check_country

if TYPE_CHECKING:
    import pandas as pd


def residency_rules(country: str, as_of: dt.date | None = None) -> pd.DataFrame:
    """Residency and transfer laws of ``country`` (in force on ``as_of`` when given).

    Returns the rows of ``data_residency.csv``: country, law, citation, effective, scope, rule,
    source_id, note. An empty frame means no law is recorded for the country.
    """
    check_country(country, "country")
    table = data.data_residency()
    rows = table[table["country"] == country]
    if as_of is not None:
        rows = rows[rows["effective"] <= as_of]
    return rows.reset_index(drop=True)


def in_country_scopes(country: str, as_of: dt.date | None = None) -> list[str]:
    """Scopes (``public_sector``, ``personal_data``, ``financial``, ``health``, ``all``) whose data
    must stay in ``country``."""
    rows = residency_rules(country, as_of)
    return sorted(set(rows.loc[rows["rule"] == "in_country", "scope"]))
