"""The training load the grid sees: a buffer that keeps the grid-side ramp within a limit.

Holds the synthetic training profile, the rate limiter that sets the grid-side power, the buffer
(power and energy) it needs with its cost, and a dispatch that checks a given buffer; not the
facility's chain (see design).

Synchronous training swings tens of MW within seconds (all accelerators compute, then wait on
communication together); grid operators now set ramp and ride-through rules for large loads after
events such as the loss of about 1,500 MW of data-centre load in Virginia on 10 July 2024 that NERC
reviewed [1]_.

References
----------
.. [1] NERC (2025). Incident Review: Considering Simultaneous Voltage-Sensitive Load Reductions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gridfirst.errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


def synthetic_training_profile(
    base_mw: float, step_mw: float, period_s: float, duration_s: float, dt_s: float = 0.1,
    duty: float = 0.5,
) -> pd.Series:
    """A square-wave training load: ``base_mw + step_mw`` for ``duty`` of each period, else base.

    Parameters
    ----------
    base_mw : float
        Load while the accelerators wait on communication [MW], >= 0.
    step_mw : float
        Swing when they compute together [MW], > 0.
    period_s : float
        Period of one iteration [s], > 2 * dt_s.
    duration_s : float
        Length of the profile [s].
    dt_s : float
        Time step [s].
    duty : float
        Share of the period at the high level (0..1).

    Returns
    -------
    pandas.Series
        Power [MW] indexed by time [s].
    """
    import numpy as np
    import pandas as pd

    for name, value in (("step_mw", step_mw), ("period_s", period_s), ("duration_s", duration_s),
                        ("dt_s", dt_s)):
        if not math.isfinite(value) or value <= 0:
            raise DataError(f"synthetic profile: {name} must be > 0, got {value!r}")
    if base_mw < 0 or not 0 < duty < 1 or period_s <= 2 * dt_s:
        raise DataError("synthetic profile: need base_mw >= 0, 0 < duty < 1 and period_s > 2 dt_s")
    t = np.arange(0.0, duration_s, dt_s)
    high = (t % period_s) < duty * period_s
    return pd.Series(base_mw + step_mw * high, index=pd.Index(t, name="time_s"), name="power_mw")


def read_profile(path: Any) -> pd.Series:
    """A user's load profile: CSV with columns ``time_s`` (evenly spaced) and ``power_mw``.

    Raises
    ------
    DataError
        Missing columns, fewer than 3 rows, uneven or non-increasing time, negative or NaN power.
    """
    import numpy as np
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise DataError(f"{path}: cannot be read as CSV: {exc}") from None
    for col in ("time_s", "power_mw"):
        if col not in frame.columns:
            raise DataError(f"{path}: missing column {col!r}; expected time_s, power_mw")
    t = frame["time_s"].to_numpy(float)
    p = frame["power_mw"].to_numpy(float)
    if len(t) < 3:
        raise DataError(f"{path}: needs at least 3 rows, has {len(t)}")
    if not np.all(np.isfinite(p)) or (p < 0).any():
        raise DataError(f"{path}: field power_mw: values must be finite and >= 0")
    steps = np.diff(t)
    if not (steps > 0).all() or not np.allclose(steps, steps[0], rtol=1e-6):
        raise DataError(f"{path}: field time_s: must increase in even steps")
    return pd.Series(p, index=pd.Index(t, name="time_s"), name="power_mw")


def _dt(profile: pd.Series) -> float:
    import numpy as np

    if len(profile) < 3:
        raise DataError("ramp: the profile needs at least 3 points")
    return float(np.diff(profile.index.to_numpy(float))[0])


def rate_limited(profile: pd.Series, ramp_limit_mw_per_s: float) -> np.ndarray:
    """Grid-side power that follows the load as closely as the ramp limit lets it.

    Each step the grid moves toward the load by at most ``ramp_limit * dt``; the first point equals
    the load.
    """
    import numpy as np

    if not math.isfinite(ramp_limit_mw_per_s) or ramp_limit_mw_per_s <= 0:
        raise DataError(f"--ramp-limit: must be > 0 MW/min, got {ramp_limit_mw_per_s * 60!r}")
    load = profile.to_numpy(float)
    step = ramp_limit_mw_per_s * _dt(profile)
    grid = np.empty_like(load)
    grid[0] = load[0]
    for i in range(1, len(load)):
        grid[i] = min(max(load[i], grid[i - 1] - step), grid[i - 1] + step)
    return grid


@dataclass(frozen=True)
class RampBuffer:
    """The buffer that keeps the grid-side ramp within the limit, and what it costs.

    Attributes
    ----------
    power_mw : float
        Largest charge or discharge power [MW].
    energy_mwh : float
        Usable energy span [MWh].
    initial_soc_mwh : float
        Energy it must hold at the start.
    technology : str
        Cheapest of ``bess``, ``supercap``, ``ups_battery`` that meets both.
    cost_usd : float
        Capital cost of that technology [USD 2024].
    costs_usd : dict
        Cost of each technology.
    ramp_limit_mw_per_min : float
    max_load_ramp_mw_per_min : float
        Steepest ramp of the load itself.
    """

    power_mw: float
    energy_mwh: float
    initial_soc_mwh: float
    technology: str
    cost_usd: float
    costs_usd: dict[str, float]
    ramp_limit_mw_per_min: float
    max_load_ramp_mw_per_min: float

    def to_dict(self) -> dict[str, Any]:
        return {"buffer_power_mw": self.power_mw, "buffer_energy_mwh": self.energy_mwh,
                "buffer_energy_kwh": self.energy_mwh * 1000.0,
                "technology": self.technology, "cost_usd": self.cost_usd,
                "costs_usd": dict(self.costs_usd), "ramp_limit_mw_per_min": self.ramp_limit_mw_per_min,
                "max_load_ramp_mw_per_min": self.max_load_ramp_mw_per_min, "currency_year": 2024}


def buffer_costs_usd(power_mw: float, energy_mwh: float) -> dict[str, float]:
    """Capital cost of each buffer technology for a power and energy [USD 2024].

    A UPS battery re-used as the buffer needs no new power electronics (the UPS is there, rated
    above the swing) but is oversized for cycling; batteries have a shortest duration.
    """
    from gridfirst.electrical.data import parameters

    p = parameters()
    kw, kwh = power_mw * 1000.0, energy_mwh * 1000.0
    # batteries are bought with a shortest duration: their energy is at least power x that
    bess_kwh = max(kwh, kw * p["bess_min_hours"])
    ups_kwh = max(kwh * p["ups_buffer_oversize"], kw * p["ups_buffer_min_hours"])
    return {
        "bess": kw * p["bess_power_usd_per_kw"] + bess_kwh * p["bess_energy_usd_per_kwh"],
        "supercap": kw * p["supercap_power_usd_per_kw"] + kwh * p["supercap_energy_usd_per_kwh"],
        "ups_battery": ups_kwh * p["ups_buffer_energy_usd_per_kwh"],
    }


def size_buffer(profile: pd.Series, ramp_limit_mw_per_min: float) -> RampBuffer:
    """The smallest buffer (power, energy) that lets the grid follow the load at the ramp limit.

    The buffer supplies ``load - grid`` where ``grid`` is :func:`rate_limited`; its power is the
    largest ``|load - grid|`` and its energy the span of the running integral.

    Parameters
    ----------
    profile : pandas.Series
        Load [MW] indexed by time [s], evenly spaced.
    ramp_limit_mw_per_min : float
        Largest grid-side change allowed [MW/min].
    """
    import numpy as np

    limit_s = ramp_limit_mw_per_min / 60.0
    grid = rate_limited(profile, limit_s)
    dt = _dt(profile)
    gap = profile.to_numpy(float) - grid
    # energy delivered up to and including each step [MWh]
    delivered = np.concatenate([[0.0], np.cumsum(gap) * dt / 3600.0])
    costs = buffer_costs_usd(float(np.abs(gap).max()), float(delivered.max() - delivered.min()))
    tech = min(costs, key=lambda k: costs[k])
    load_ramp = float(np.abs(np.diff(profile.to_numpy(float))).max() / dt * 60.0)
    return RampBuffer(
        power_mw=float(np.abs(gap).max()), energy_mwh=float(delivered.max() - delivered.min()),
        initial_soc_mwh=float(delivered.max()), technology=tech, cost_usd=costs[tech],
        costs_usd=costs, ramp_limit_mw_per_min=ramp_limit_mw_per_min,
        max_load_ramp_mw_per_min=load_ramp,
    )


def dispatch(
    profile: pd.Series, ramp_limit_mw_per_min: float, power_mw: float, energy_mwh: float,
    initial_soc_mwh: float | None = None,
) -> np.ndarray:
    """Grid-side power with a given buffer: it covers ``load - target`` within its power and energy.

    The target is the rate-limited grid power from the previous step; what the buffer cannot
    cover (power or state-of-charge limits) falls on the grid.

    Returns
    -------
    numpy.ndarray
        Grid-side power [MW] at each step.
    """
    import numpy as np

    if power_mw < 0 or energy_mwh < 0:
        raise DataError("buffer: power_mw and energy_mwh must be >= 0")
    load = profile.to_numpy(float)
    dt = _dt(profile)
    step = ramp_limit_mw_per_min / 60.0 * dt
    soc = energy_mwh / 2 if initial_soc_mwh is None else min(max(initial_soc_mwh, 0.0), energy_mwh)
    grid = np.empty_like(load)
    grid[0] = load[0]
    for i in range(1, len(load)):
        target = min(max(load[i], grid[i - 1] - step), grid[i - 1] + step)
        want = load[i] - target  # > 0 discharge
        # energy limits over this step [MW]
        most_out = soc * 3600.0 / dt
        most_in = (energy_mwh - soc) * 3600.0 / dt
        b = min(max(want, -power_mw, -most_in), power_mw, most_out)
        soc -= b * dt / 3600.0
        grid[i] = load[i] - b
    return grid


def max_ramp_mw_per_min(power: np.ndarray, dt_s: float) -> float:
    """Steepest step-to-step change of a series [MW/min]."""
    import numpy as np

    return float(np.abs(np.diff(power)).max() / dt_s * 60.0)
