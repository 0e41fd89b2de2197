"""A signed PPA in a site's hourly procurement: its hours as a fixed supply option, settled as a CfD.

A scenario PPA (a deal of kind ``ppa``) delivers its technology's hourly output in its market
times its MW. When it serves a site, the site's share of that output enters the site's LP as a
:class:`~gridfirst.procurement.model.Generator` with ``grid_settled=True``: capacity fixed at
the share's MW (it costs nothing per MW, the contract is signed), every MWh taken at the hour's
grid price (the buyer still draws it through the grid) and carbon-free. The contract for
difference settles strike against the hourly price on every MWh the contract produces, used by
the site or not::

    settlement = sum_t (strike - price_t) x output_t = (strike - capture price) x MWh

so the site's cost is the LP objective plus :func:`cfd_settlement_usd`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gridfirst.errors import DataError
from gridfirst.procurement.model import Generator

if TYPE_CHECKING:
    from gridfirst.scenario import Market

__all__ = ["ContractShare", "cfd_settlement_usd", "contract_generator", "contract_output_mw",
           "contract_profile"]

#: Supply kind of each PPA technology, as the stack reports it.
TECHNOLOGY_KIND = {"solar": "solar", "wind": "wind", "offshore_wind": "offshore_wind",
                   "hydro": "hydro", "geothermal": "geothermal", "nuclear": "nuclear"}


@dataclass(frozen=True)
class ContractShare:
    """The part of one signed PPA that serves one site's procurement LP.

    Parameters
    ----------
    deal : str
        The PPA's deal id (also the option's name in the LP).
    technology : str
        Its technology (``solar``, ``wind``, ``offshore_wind``, ``hydro``, ``geothermal``,
        ``nuclear``).
    market : Market
        Market whose hourly profile the contract's output follows (where the plant is).
    mw : float
        Contracted MW given to this LP [MW] (the deal's MW x the site's share, scaled to the
        LP's load).
    strike_usd_per_mwh : float
        Contract price [USD/MWh].
    """

    deal: str
    technology: str
    market: Market
    mw: float
    strike_usd_per_mwh: float

    def __post_init__(self) -> None:
        if self.technology not in TECHNOLOGY_KIND:
            raise DataError(f"deals.{self.deal}.technology: {self.technology!r} is not one of "
                            f"{', '.join(TECHNOLOGY_KIND)}")
        if not (math.isfinite(self.mw) and self.mw >= 0):
            raise DataError(f"deals.{self.deal}.capacity_mw: share {self.mw!r} must be >= 0")
        if not (math.isfinite(self.strike_usd_per_mwh) and self.strike_usd_per_mwh >= 0):
            raise DataError(f"deals.{self.deal}.price_usd_per_mwh: {self.strike_usd_per_mwh!r} "
                            "must be a finite number >= 0")


def contract_profile(share: ContractShare, seed: int = 0) -> np.ndarray:
    """Output per MW of the share's technology in its market, hour by hour [0..1]: the
    market's synthetic year (:func:`gridfirst.resources.market_profiles`, same ``seed`` as the
    site's) through :func:`gridfirst.procurement.stack.ppa_profile`."""
    from gridfirst.procurement.stack import ppa_profile
    from gridfirst.resources import market_profiles

    profiles = market_profiles(share.market, seed=seed)
    return np.asarray(ppa_profile(share.market, share.technology, profiles), dtype=np.float64)


def contract_output_mw(share: ContractShare, profile: np.ndarray) -> np.ndarray:
    """Hourly output of the share [MW]: its technology's profile per MW x its MW."""
    return np.asarray(profile, dtype=np.float64) * share.mw


def contract_generator(share: ContractShare, profile: np.ndarray) -> Generator:
    """The share as a fixed, grid-settled, carbon-free supply option of the LP.

    Parameters
    ----------
    share : ContractShare
    profile : numpy.ndarray
        Output per MW of the technology in the contract's market, hour by hour [0..1]
        (:func:`gridfirst.procurement.stack.ppa_profile`), on the LP's hours.
    """
    return Generator(
        name=share.deal, profile=np.asarray(profile, dtype=np.float64), usd_per_mw_year=0.0,
        max_mw=share.mw, cfe_share=1.0, kind=TECHNOLOGY_KIND[share.technology],
        contract="cfd", grid_settled=True,
    )


def cfd_settlement_usd(share: ContractShare, profile: np.ndarray, price_usd_per_mwh: np.ndarray
                       ) -> float:
    """What the buyer pays (positive) or receives under the CfD over the horizon [USD]:
    (strike - hourly price) on every MWh the share produces."""
    out = contract_output_mw(share, profile)
    return float((share.strike_usd_per_mwh - np.asarray(price_usd_per_mwh, float)) @ out)
