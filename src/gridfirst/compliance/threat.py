"""Threat exposure of a location: distance-decayed weight of named flashpoints and conflict zones.

A location-based conflict input for risk, replacing a country-level peace index: a site near the
Taiwan Strait is exposed whatever its country's militarisation score. Flashpoints, severities and
the decay length are data (``flashpoints.csv``, ``parameters_compliance.csv``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gridfirst.compliance import data
from gridfirst.errors import ScenarioError
from gridfirst.geo import great_circle_km


def threat_decay_km() -> float:
    """Decay length of exposure with distance [km] (``parameters_compliance.csv``)."""
    return float(data.parameters().at["threat_decay_km", "value"])


def _points(latitude: Any, longitude: Any) -> tuple[np.ndarray, np.ndarray]:
    lat = np.atleast_1d(np.asarray(latitude, dtype=float))
    lon = np.atleast_1d(np.asarray(longitude, dtype=float))
    if lat.shape != lon.shape:
        raise ScenarioError(f"latitude and longitude differ in shape: {lat.shape} vs {lon.shape}")
    if not np.all(np.isfinite(lat)) or np.any(np.abs(lat) > 90):
        raise ScenarioError(f"latitude: {lat[~(np.abs(lat) <= 90)][:1]} is outside [-90, 90]")
    if not np.all(np.isfinite(lon)) or np.any(np.abs(lon) > 180):
        raise ScenarioError(f"longitude: {lon[~(np.abs(lon) <= 180)][:1]} is outside [-180, 180]")
    return lat, lon


def threat_exposures(latitudes: Any, longitudes: Any) -> np.ndarray:
    """Threat exposure of each point [severity units]: sum of severity x exp(-d / L).

    Parameters
    ----------
    latitudes, longitudes : array-like
        Site coordinates [degrees].

    Returns
    -------
    numpy.ndarray
        ``sum_k severity_k * exp(-d_k / L)`` with ``d_k`` the great-circle distance to
        flashpoint ``k`` [km] and ``L`` :func:`threat_decay_km`.
    """
    lat, lon = _points(latitudes, longitudes)
    points = data.flashpoints()
    d_km = great_circle_km(
        lat[:, None],
        lon[:, None],
        points["latitude"].to_numpy()[None, :],
        points["longitude"].to_numpy()[None, :],
    )
    weights = points["severity"].to_numpy()[None, :]
    return np.asarray((weights * np.exp(-d_km / threat_decay_km())).sum(axis=1))


def threat_exposure(latitude: float, longitude: float) -> float:
    """Threat exposure of one site [severity units]; see :func:`threat_exposures`."""
    return float(threat_exposures(latitude, longitude)[0])


def nearest_flashpoint(latitude: float, longitude: float) -> tuple[str, float]:
    """Name of the nearest flashpoint and its great-circle distance [km]."""
    lat, lon = _points(latitude, longitude)
    points = data.flashpoints()
    d_km = great_circle_km(
        lat[0], lon[0], points["latitude"].to_numpy(), points["longitude"].to_numpy()
    )
    k = int(np.argmin(d_km))
    return str(points["name"].iloc[k]), float(d_km[k])
