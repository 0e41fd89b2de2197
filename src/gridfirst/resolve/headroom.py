"""The buyer's share of each market's grid headroom: the utility's MW are every applicant's.

A market's ``grid_available_mw`` is what the utility can connect for every new large load of the
zone. Applicants the utility accepts (a sourced acceptance rate, else an assumption) share it in
proportion to their requests: the buyer asks for the whole headroom ``H``, its competitors for
their pipeline ``C``, so an accepted buyer gets ``H / (H + a C)`` and the expected share is
``a H / (H + a C)`` (source ``grid-share-assume``). A site with its own power schedule (an offer
letter) and a space deal keep their own power; only the market's generic grid pool is shared.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import TYPE_CHECKING

import pandas as pd

from gridfirst.errors import DataError, ScenarioError

if TYPE_CHECKING:
    from gridfirst.options import PortfolioOptions
    from gridfirst.scenario import Market

ACCEPTANCE_FILE = "grid_acceptance.csv"

#: Columns of :func:`headroom_table` (index market id).
HEADROOM_COLUMNS = ["grid_available_mw", "competing_pipeline_mw", "acceptance_rate",
                    "acceptance_source", "share", "share_low", "share_high", "share_basis",
                    "buyer_mw"]


@lru_cache(maxsize=1)
def acceptance_rates() -> pd.DataFrame:
    """Sourced acceptance rates of large-load grid applications (index market id):
    ``acceptance_rate, source_id, data_year, note``."""
    from gridfirst.data import data_dir, sources

    path = data_dir() / ACCEPTANCE_FILE
    frame = pd.read_csv(path, dtype={"market_id": str, "source_id": str, "note": str})
    rate = pd.to_numeric(frame["acceptance_rate"], errors="coerce")
    bad = frame.index[~rate.between(0.0, 1.0)]
    if len(bad):
        i = int(bad[0])
        raise DataError(f"{ACCEPTANCE_FILE}: field acceptance_rate of {frame.at[i, 'market_id']}:"
                        f" {frame.at[i, 'acceptance_rate']!r} must be a share within 0..1")
    unknown = sorted(set(frame["source_id"]) - set(sources().index))
    if unknown:
        raise DataError(f"{ACCEPTANCE_FILE}: field source_id: {unknown} not in sources_*.csv")
    frame["acceptance_rate"] = rate
    return frame.set_index("market_id")


def buyer_share(grid_available_mw: float, competing_pipeline_mw: float,
                acceptance_rate: float) -> tuple[float, float, float]:
    """Expected, low and high share of a market's headroom the buyer can contract [-].

    ``a H / (H + a C)`` expected, 0 when refused, ``H / (H + a C)`` when accepted.
    """
    h, c, a = float(grid_available_mw), float(competing_pipeline_mw), float(acceptance_rate)
    if not 0.0 <= a <= 1.0 or not math.isfinite(a):
        raise ScenarioError(f"acceptance_rate: {a!r} must be a share within 0..1")
    if h <= 0:
        return a, 0.0, 1.0
    accepted = h / (h + a * max(c, 0.0))
    return a * accepted, 0.0, accepted


def headroom_table(markets: list[Market], options: PortfolioOptions) -> pd.DataFrame:
    """The buyer's share of each market's grid headroom (see :data:`HEADROOM_COLUMNS`).

    ``share_basis`` says where the share came from: ``override`` (options.portfolio.headroom_share),
    ``sourced acceptance`` or ``assumed acceptance``; ``buyer_mw`` is the facility MW the buyer
    can expect (``share x grid_available_mw``).
    """
    rates = acceptance_rates()
    ids = {m.id for m in markets}
    unknown = sorted(set(options.headroom_share) - ids)
    if unknown:
        raise ScenarioError(f"options.portfolio.headroom_share: {unknown} are not markets of the "
                            f"scenario (known: {sorted(ids)})")
    rows = []
    for m in markets:
        if m.id in rates.index:
            rate, source, basis = float(rates.at[m.id, "acceptance_rate"]), str(
                rates.at[m.id, "source_id"]), "sourced acceptance"
        else:
            rate, source, basis = float(options.grid_acceptance_rate), "grid-acceptance-assume", (
                "assumed acceptance")
        share, low, high = buyer_share(m.grid_available_mw, m.competing_pipeline_mw, rate)
        if m.id in options.headroom_share:
            share = low = high = float(options.headroom_share[m.id])
            basis = "override"
        rows.append({"market": m.id, "grid_available_mw": m.grid_available_mw,
                     "competing_pipeline_mw": m.competing_pipeline_mw, "acceptance_rate": rate,
                     "acceptance_source": source, "share": share, "share_low": low,
                     "share_high": high, "share_basis": basis,
                     "buyer_mw": share * m.grid_available_mw})
    return pd.DataFrame(rows, columns=["market", *HEADROOM_COLUMNS]).set_index("market")


def share_pools(power_mw: pd.DataFrame, headroom: pd.DataFrame) -> pd.DataFrame:
    """Power by pool with each market's grid pool (``market:<id>``) scaled by the buyer's share;
    own schedules and deal pools unchanged."""
    out = power_mw.copy()
    for pool in out.index:
        name = str(pool)
        if name.startswith("market:") and name[7:] in headroom.index:
            out.loc[pool] = out.loc[pool].to_numpy(float) * float(headroom.at[name[7:], "share"])
    return out


__all__ = ["HEADROOM_COLUMNS", "acceptance_rates", "buyer_share", "headroom_table", "share_pools"]
