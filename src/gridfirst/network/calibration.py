"""Calibration of the latency model against published, measured city-pair round trips.

Compares the model and the 2.1x line-of-sight rule of thumb with each measured pair, and fits
the route factors and overheads. The measured data and their sources live in calibration_rtt.csv.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from gridfirst.network.data import LatencyParameters, calibration_pairs, default_parameters
from gridfirst.network.latency import (
    Endpoint,
    LatencyModel,
    endpoint,
    rule_of_thumb_rtt_ms,
    speed_of_light_rtt_ms,
)

if TYPE_CHECKING:
    import pandas as pd

FITTED = ("subsea_route_factor", "terrestrial_route_factor", "hop_overhead_ms", "fixed_overhead_ms")
BOUNDS = {
    "subsea_route_factor": (1.0, 1.6),
    "terrestrial_route_factor": (1.0, 2.5),
    "hop_overhead_ms": (0.0, 3.0),
    "fixed_overhead_ms": (0.0, 10.0),
}


def _pairs() -> list[tuple[str, Endpoint, Endpoint, float]]:
    out = []
    for pid, r in calibration_pairs().iterrows():
        a = endpoint((r["latitude_a"], r["longitude_a"]))
        b = endpoint((r["latitude_b"], r["longitude_b"]))
        out.append((str(pid), a, b, float(r["measured_rtt_ms"])))
    return out


def calibration_report(params: LatencyParameters | None = None) -> pd.DataFrame:
    """Model and rule-of-thumb RTT against every measured pair, with relative errors.

    Returns
    -------
    pandas.DataFrame
        Indexed by pair id: ``measured_rtt_ms, model_rtt_ms, model_error, rule_of_thumb_rtt_ms,
        rule_of_thumb_error, light_bound_rtt_ms, cables`` (errors are model/measured - 1).

    References
    ----------
    .. [1] Microsoft (2026). Azure network round-trip latency statistics.
    .. [2] Bozkurt, I.N. et al. (2018). Dissecting Latency in the Internet's Fiber
       Infrastructure. arXiv:1811.10737.
    """
    import pandas as pd

    p = params or default_parameters()
    model = LatencyModel(p)
    rows = []
    for pid, a, b, measured in _pairs():
        r = model.route(a, b)
        thumb = rule_of_thumb_rtt_ms(a.latitude, a.longitude, b.latitude, b.longitude, p)
        rows.append(
            {
                "pair_id": pid,
                "measured_rtt_ms": measured,
                "model_rtt_ms": r.rtt_ms,
                "model_error": r.rtt_ms / measured - 1.0,
                "rule_of_thumb_rtt_ms": thumb,
                "rule_of_thumb_error": thumb / measured - 1.0,
                "light_bound_rtt_ms": speed_of_light_rtt_ms(
                    a.latitude, a.longitude, b.latitude, b.longitude
                ),
                "cables": "; ".join(r.cables),
            }
        )
    return pd.DataFrame(rows).set_index("pair_id")


def fit_parameters(
    start: LatencyParameters | None = None, max_iter: int = 400
) -> LatencyParameters:
    """Fit route factors and overheads to the calibration pairs (bounded least squares on log error).

    The paths are re-found for every trial parameter set, so a change of route is part of the
    fit. A penalty keeps every pair within 15 % where the data allow it.
    """
    from scipy.optimize import minimize

    p0 = start or default_parameters()
    pairs = _pairs()
    measured = np.array([m for *_, m in pairs])

    def unpack(x: np.ndarray) -> LatencyParameters:
        vals: dict[str, Any] = {
            k: float(np.clip(v, *BOUNDS[k])) for k, v in zip(FITTED, x, strict=True)
        }
        return replace(p0, **vals)

    def objective(x: np.ndarray) -> float:
        model = LatencyModel(unpack(x))
        rtt = np.array([model.rtt_to(a, [b])[0] for _, a, b, _ in pairs])
        err = np.log(rtt / measured)
        excess = np.maximum(np.abs(rtt / measured - 1.0) - 0.14, 0.0)
        return float(np.sum(err**2) + 50.0 * np.sum(excess**2))

    x0 = np.array([getattr(p0, k) for k in FITTED])
    res = minimize(
        objective,
        x0,
        method="Nelder-Mead",
        options={"maxiter": max_iter, "xatol": 1e-3, "fatol": 1e-6},
    )
    return unpack(res.x)
