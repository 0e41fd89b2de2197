"""Latency to users as scoring criteria: RTT to the nearest inference region, share within the SLA.

Reads a latency table (markets x demand points, RTT in ms) from the caller, from
:mod:`gridfirst.network` when it is installed, or from a stated great-circle estimate otherwise.
It does not model cable routes itself.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from gridfirst.errors import ScenarioError
from gridfirst.geo import FALLBACK_RTT_SOURCE, fallback_rtt_ms
from gridfirst.scenario import Market, Scenario


def great_circle_rtt_ms(
    markets: Sequence[Market], points: dict[str, tuple[float, float]]
) -> pd.DataFrame:
    """Round-trip time from each market to each point without a cable route [ms].

    The one fallback of :func:`gridfirst.geo.fallback_rtt_ms` (see
    :data:`gridfirst.geo.FALLBACK_RTT_SOURCE`), so scoring and the portfolio estimate the same
    round trip for the same pair; used when :mod:`gridfirst.network` is not.

    Parameters
    ----------
    markets : sequence of Market
        Rows; their ``latitude`` and ``longitude`` [degrees].
    points : dict
        Point id -> ``(latitude, longitude)`` [degrees]; the columns.

    Returns
    -------
    pandas.DataFrame
        Index market id, columns point id, values RTT [ms].
    """
    lat1 = np.array([m.latitude for m in markets], dtype=float)[:, None]
    lon1 = np.array([m.longitude for m in markets], dtype=float)[:, None]
    lat2 = np.array([p[0] for p in points.values()], dtype=float)[None, :]
    lon2 = np.array([p[1] for p in points.values()], dtype=float)[None, :]
    rtt = fallback_rtt_ms(lat1, lon1, lat2, lon2)
    return pd.DataFrame(rtt, index=[m.id for m in markets], columns=list(points))


def inference_demand_weights(scenario: Scenario) -> pd.Series:
    """Inference MW per demand region in the last year the outlook gives (0 when none)."""
    table = scenario.demand.table()
    table = table[table["workload"] == "inference"]
    if table.empty:
        return pd.Series(dtype=float)
    last = table[table["year"] == table["year"].max()]
    return last.groupby("region")["mw"].sum().astype(float)


def _network_latency(
    markets: Sequence[Market], points: dict[str, tuple[float, float]]
) -> pd.DataFrame | None:
    try:
        from gridfirst import network  # built separately; optional at run time
    except ImportError:
        return None
    try:
        return network.latency_to_points(list(markets), points)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - any failure of the optional module falls back, with a note
        return None


def user_latency_columns(
    scenario: Scenario,
    markets: Sequence[Market],
    latency_ms: pd.DataFrame | None,
    use_network: bool = True,
) -> tuple[pd.DataFrame | None, str]:
    """Columns ``user_latency_ms`` and ``users_within_sla_share`` per market, and a note.

    Parameters
    ----------
    scenario : Scenario
        Gives the demand regions, their inference MW (weights) and ``policy.latency_sla_ms``.
    markets : sequence of Market
        The candidates.
    latency_ms : pandas.DataFrame, optional
        Index market id, columns point id (demand-region ids), RTT [ms]. When None, taken from
        :func:`gridfirst.network.latency_to_points` if installed (and ``use_network``), else
        :func:`great_circle_rtt_ms`.

    Returns
    -------
    columns : pandas.DataFrame or None
        None when there is nothing to measure latency to (no demand regions, no table).
    note : str
        Where the latencies came from.
    """
    ids = [m.id for m in markets]
    demand = inference_demand_weights(scenario)
    if latency_ms is None:
        points = {r.id: (r.latitude, r.longitude) for r in scenario.demand.regions}
        if demand.sum() > 0:
            points = {k: v for k, v in points.items() if demand.get(k, 0.0) > 0}
        if not points or not ids:
            return None, "no demand regions: latency criteria left out"
        table = _network_latency(markets, points) if use_network else None
        if table is not None:
            note = "latency from gridfirst.network.latency_to_points"
        else:
            table = great_circle_rtt_ms(markets, points)
            note = f"latency from the {FALLBACK_RTT_SOURCE} (gridfirst.network not used)"
    else:
        table = latency_ms
        note = "latency from the latency_ms table given"
    missing = [i for i in ids if i not in table.index]
    if missing:
        raise ScenarioError(f"latency_ms: no row for markets {missing}")
    table = table.loc[ids].astype(float)
    if table.shape[1] == 0:
        return None, "latency table has no columns: latency criteria left out"
    bad = table.index[
        ~np.isfinite(table.to_numpy()).all(axis=1) | (table.to_numpy() < 0).any(axis=1)
    ]
    if len(bad):
        raise ScenarioError(
            f"latency_ms: rows {list(bad)} must hold finite RTTs >= 0 ms in every column"
        )
    cols = list(table.columns)
    weight = np.array([float(demand.get(c, 0.0)) for c in cols])
    if weight.sum() <= 0:
        weight = np.ones(len(cols))  # points that are not demand regions count equally
    sla = scenario.policy.latency_sla_ms
    default_sla = sla.get("inference", math.inf)
    limits = np.array([sla.get(str(c), default_sla) for c in cols])
    rtt = table.to_numpy()
    used = weight > 0
    nearest = rtt[:, used].min(axis=1)
    within = (rtt <= limits[None, :]) @ weight / weight.sum()
    frame = pd.DataFrame(
        {"user_latency_ms": nearest, "users_within_sla_share": within},
        index=pd.Index(ids, name="market_id"),
    )
    return frame, note


def network_connectivity(markets: Sequence[Market]) -> pd.Series | None:
    """``connectivity_score`` (0..1) from :func:`gridfirst.network.connectivity` if installed."""
    try:
        from gridfirst import network
    except ImportError:
        return None
    try:
        table = network.connectivity(list(markets))  # type: ignore[attr-defined]
        return table["connectivity_score"].astype(float)
    except Exception:  # noqa: BLE001 - optional module; fall back to the cable count
        return None
