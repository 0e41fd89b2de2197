"""Geography and money arithmetic shared by every engine: great circle, fallback RTT, annuity.

One implementation of each, so two stages can never disagree about a distance, a round trip
estimated without the cable graph, or how overnight capital becomes a yearly cost. Routed
latency over real cables is :mod:`gridfirst.network`'s; this module holds only the fallback.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridfirst.errors import DataError

#: Mean Earth radius [km] (IUGG R1).
EARTH_RADIUS_KM = 6371.0088
#: Speed of light in vacuum [km/ms].
C_KM_PER_MS = 299.792458
#: Group index of standard single-mode fibre (ITU-T G.652, about 1.467 at 1550 nm).
FIBRE_GROUP_INDEX = 1.47
#: Fallback latency: fibre route length over great-circle distance (assumption: long-haul routes
#: follow coasts and cable landings, typically 1.3 to 2 times the great circle).
FALLBACK_ROUTE_FACTOR = 1.5
#: Fallback latency: fixed allowance for switching, routing and last mile [ms] (assumption).
FALLBACK_FIXED_RTT_MS = 5.0
#: How the fallback is described wherever it is used.
FALLBACK_RTT_SOURCE = (
    "great-circle fallback: RTT = 2 x great-circle km x route factor 1.5 x fibre index 1.47 / c "
    "+ 5 ms (no cable route)"
)


def great_circle_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Great-circle distance [km] between points given in degrees.

    Arguments broadcast with numpy rules. The spherical form of Vincenty's formula (an atan2 of
    the chord's cross and dot products) is accurate to rounding everywhere, including near the
    antipode where the haversine's arcsin loses digits.

    References
    ----------
    .. [1] Vincenty, T. (1975). Direct and inverse solutions of geodesics on the ellipsoid with
       application of nested equations. Survey Review 23(176), 88-93 (the spherical case).
    """
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dlmb = np.radians(np.asarray(lon2, dtype=float) - np.asarray(lon1, dtype=float))
    cross = np.hypot(np.cos(p2) * np.sin(dlmb),
                     np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dlmb))
    dot = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dlmb)
    return np.asarray(EARTH_RADIUS_KM * np.arctan2(cross, dot))


def fallback_rtt_ms(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    """Round trip [ms] estimated without a cable route (see :data:`FALLBACK_RTT_SOURCE`).

    ``2 x great-circle km x 1.5 x 1.47 / c + 5 ms``; arguments broadcast; degrees in.
    """
    km = great_circle_km(lat1, lon1, lat2, lon2)
    return (
        2 * km * FALLBACK_ROUTE_FACTOR * FIBRE_GROUP_INDEX / C_KM_PER_MS + FALLBACK_FIXED_RTT_MS
    )


def capital_recovery_factor(discount_rate: float, lifetime_years: float) -> float:
    """Annual payment per unit of overnight cost over ``lifetime_years`` at ``discount_rate``.

    Parameters
    ----------
    discount_rate : float
        Real discount rate per year [-]; 0 gives straight-line ``1 / lifetime``.
    lifetime_years : float
        Economic lifetime [years], > 0.

    Returns
    -------
    float
        CRF = r (1 + r)^n / ((1 + r)^n - 1) [1/year].

    References
    ----------
    .. [1] Short, W., Packey, D., Holt, T. (1995). A Manual for the Economic Evaluation of Energy
       Efficiency and Renewable Energy Technologies. NREL/TP-462-5173, eq. 4-5.
    """
    if not lifetime_years > 0:
        raise DataError(f"lifetime_years must be > 0, got {lifetime_years}")
    if not discount_rate >= 0:
        raise DataError(f"discount_rate must be >= 0, got {discount_rate}")
    if discount_rate == 0:
        return 1.0 / lifetime_years
    growth = (1.0 + discount_rate) ** lifetime_years
    return discount_rate * growth / (growth - 1.0)
