"""Regional split of demand: by user shares given in a scenario, or weighted by the population
living near each demand region (GeoNames cities, :mod:`gridfirst.data.gazetteer`).

It splits a total; it does not decide where capacity is built (that is the portfolio's job).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gridfirst.data.gazetteer import cities
from gridfirst.errors import DataError, ScenarioError
from gridfirst.geo import great_circle_km

if TYPE_CHECKING:
    from gridfirst.scenario import DemandRegion

SHARE_SUM_TOLERANCE = 0.01


def check_shares(
    shares: Mapping[str, float], region_ids: Sequence[str] | None = None
) -> dict[str, float]:
    """Validate user shares and return them normalised to sum exactly to 1.

    Parameters
    ----------
    shares : mapping
        Region id -> share of demand [-]. Must be >= 0 and sum to 1 within 0.01.
    region_ids : sequence of str, optional
        Known region ids; every share must name one of them.

    Raises
    ------
    ScenarioError
        Naming the region and value, or the sum.
    """
    if not shares:
        raise ScenarioError("shares: no regions given")
    for rid, value in shares.items():
        if region_ids is not None and rid not in region_ids:
            raise ScenarioError(
                f"shares.{rid}: {rid!r} is not a demand region; known: {list(region_ids)}"
            )
        if not np.isfinite(value) or value < 0:
            raise ScenarioError(f"shares.{rid}: {value!r} must be a number >= 0")
    total = float(sum(shares.values()))
    if abs(total - 1.0) > SHARE_SUM_TOLERANCE:
        raise ScenarioError(f"shares: they sum to {total:.4g}; they must sum to 1 (within 0.01)")
    return {rid: float(v) / total for rid, v in shares.items()}


def population_near(latitude: float, longitude: float, radius_km: float = 50.0) -> int:
    """People living in GeoNames cities (population > 15,000) within ``radius_km`` of a point.

    References
    ----------
    .. [1] GeoNames (2024). cities15000 gazetteer (CC BY 4.0), read by
       :func:`gridfirst.data.gazetteer.cities`.
    """
    table = cities()
    dist = great_circle_km(
        latitude, longitude, table["latitude"].to_numpy(), table["longitude"].to_numpy()
    )
    return int(table["population"].to_numpy()[dist <= radius_km].sum())


def population_shares(regions: Sequence[DemandRegion], radius_km: float = 50.0) -> dict[str, float]:
    """Each demand region's share of the population living within ``radius_km`` of it.

    A city that lies within the radius of two regions counts for both (regions are meant to be
    metro areas far apart; overlapping radii would double count).

    Raises
    ------
    ScenarioError
        When no region is given, or a region has no city within the radius (names the region).
    """
    if not regions:
        raise ScenarioError("demand.regions: no regions to split demand over")
    if radius_km <= 0:
        raise ScenarioError(f"radius_km: {radius_km!r} must be positive")
    pops = {}
    for r in regions:
        pop = population_near(r.latitude, r.longitude, radius_km)
        if pop <= 0:
            raise ScenarioError(
                f"demand.regions.{r.id}: no city with population data within {radius_km:g} km of "
                f"({r.latitude}, {r.longitude}); check the coordinates or give shares"
            )
        pops[r.id] = pop
    total = float(sum(pops.values()))
    return {rid: p / total for rid, p in pops.items()}


def split_by_shares(total: pd.DataFrame, shares: Mapping[str, float]) -> pd.DataFrame:
    """Split a yearly total (columns ``mw``, ``low_mw``, ``high_mw``) over regions by share.

    The bands are split with the same shares (regions move together: the uncertainty is in the
    total, not in the split).

    Returns
    -------
    pandas.DataFrame
        Long table: ``region, year, mw, low_mw, high_mw``.
    """
    missing = [c for c in ("mw", "low_mw", "high_mw") if c not in total.columns]
    if missing:
        raise DataError(f"split_by_shares: total lacks column(s) {missing}")
    normed = check_shares(shares)
    parts = []
    for rid, share in normed.items():
        part = total[["mw", "low_mw", "high_mw"]] * share
        part = part.assign(region=rid, year=total.index.to_numpy())
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    return out[["region", "year", "mw", "low_mw", "high_mw"]]
