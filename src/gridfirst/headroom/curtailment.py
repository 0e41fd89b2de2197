"""The curtailment-enabled headroom of a zone: the largest new flat load whose curtailment stays in budget.

Pure arithmetic on an hourly system load; it reads no file (see :mod:`gridfirst.headroom.zones`).

Method (Norris et al. 2025)
---------------------------
A new load of ``x`` MW runs flat all year. The system may not go above its planning threshold
``T_t``, so in hour ``t`` the new load is curtailed by ``max(0, x - s_t)`` with the slack
``s_t = T_t - L_t``. The curtailment rate is the curtailed energy over the new load's energy,
``C(x) / (x N)``; the headroom at budget ``b`` is the largest ``x`` whose rate is at most ``b``.
``C`` is convex with ``C(0) = 0``, so the rate grows with ``x`` and the answer is unique; it is
found exactly on the sorted slacks (``C`` is linear between two of them), not by bisection.

The threshold is the historical peak of the record, by season as in the report: the summer
threshold (April to October, :data:`SUMMER_MONTHS`) is the highest load of those months and
the winter one (November to March) the highest of the others. ``threshold="peak"`` uses the
single all-time peak instead.

References
----------
.. [1] Norris, T. H., Profeta, T., Patino-Echeverri, D., Cowie-Haskell, A. (2025). Rethinking
   Load Growth: Assessing the Potential for Integration of Large Flexible Loads in US Power
   Systems. NI R 25-01, Nicholas Institute, Duke University.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gridfirst.errors import ScenarioError

SUMMER_MONTHS = (4, 5, 6, 7, 8, 9, 10)
HOURS_PER_YEAR = 8766.0  # 365.25 days: the record's hours per year on average
Threshold = Literal["seasonal", "peak"]


@dataclass(frozen=True)
class Headroom:
    """The headroom at one curtailment budget.

    Attributes
    ----------
    budget : float
        Curtailment budget, share of the new load's energy [-].
    headroom_mw : float
        New flat load that fits [MW].
    hours : float
        Hours a year in which the new load is curtailed (at least partly), record average [h].
    longest_event_h : int
        Longest run of consecutive curtailed hours in the record [h].
    curtailed_share : float
        Curtailed energy over the new load's energy (equals ``budget`` unless zero) [-].
    curtailed_mwh_per_year : float
        Curtailed energy, record average [MWh/yr].
    """

    budget: float
    headroom_mw: float
    hours: float
    longest_event_h: int
    curtailed_share: float
    curtailed_mwh_per_year: float

    def record(self) -> dict[str, float | int]:
        """The four public fields (the JSON of ``gridfirst headroom``)."""
        return {
            "budget": self.budget,
            "headroom_mw": round(self.headroom_mw, 1),
            "hours": round(self.hours, 1),
            "longest_event_h": self.longest_event_h,
        }


def _check_budget(budget: float) -> float:
    value = float(budget)
    if not np.isfinite(value) or value < 0 or value >= 1:
        raise ScenarioError(
            f"budget: {budget!r} is not a curtailment budget; give a share of the new load's "
            "annual energy in [0, 1), e.g. 0.005 for 0.5 %"
        )
    return value


def planning_threshold_mw(load_mw: pd.Series, threshold: Threshold = "seasonal") -> np.ndarray:
    """The planning threshold of each hour [MW]: the record's seasonal (or all-time) peak."""
    values = load_mw.to_numpy(dtype=float)
    if threshold == "peak":
        return np.full(values.shape, values.max())
    if threshold != "seasonal":
        raise ScenarioError(f"threshold: {threshold!r} is not one of 'seasonal', 'peak'")
    index = pd.DatetimeIndex(load_mw.index)
    summer = np.isin(index.month, SUMMER_MONTHS)
    out = np.empty_like(values)
    for mask in (summer, ~summer):
        if mask.any():
            out[mask] = values[mask].max()
    return out


def _headroom_from_slack(sorted_slack: np.ndarray, budget: float) -> float:
    # C(x) = k x - S_k on (s_k, s_k+1]; the budget binds at x = S_k / (k - bN) in the first
    # segment where that bound falls below the segment's end.
    n = sorted_slack.size
    k = np.arange(1, n + 1, dtype=float)
    prefix = np.cumsum(sorted_slack)
    denom = k - budget * n
    with np.errstate(divide="ignore", invalid="ignore"):
        bound = np.where(denom > 0, prefix / denom, np.inf)
    seg_end = np.append(sorted_slack[1:], np.inf)
    binding = np.flatnonzero(bound < seg_end)
    return float(bound[binding[0]]) if binding.size else float("inf")


def _longest_run(mask: np.ndarray) -> int:
    if not mask.any():
        return 0
    padded = np.concatenate(([0], mask.astype(np.int8), [0]))
    edges = np.flatnonzero(np.diff(padded))
    return int((edges[1::2] - edges[::2]).max())


def curtailment_headroom(
    load_mw: pd.Series, budget: float, threshold: Threshold = "seasonal"
) -> Headroom:
    """The new flat load that fits under the planning threshold at a curtailment budget.

    Parameters
    ----------
    load_mw : pandas.Series
        Hourly system load on a gap-free hourly DatetimeIndex [MW] (see
        :func:`gridfirst.headroom.read_load_csv`, which checks it).
    budget : float
        Curtailment budget, share of the new load's annual energy in [0, 1) [-].
    threshold : {"seasonal", "peak"}
        Seasonal historical peaks (the report's method) or the single all-time peak.

    Returns
    -------
    Headroom
        MW, curtailed hours a year and the longest event.

    References
    ----------
    .. [1] Norris et al. (2025), Rethinking Load Growth, Nicholas Institute, Duke University.
    """
    b = _check_budget(budget)
    values = load_mw.to_numpy(dtype=float)
    slack = planning_threshold_mw(load_mw, threshold) - values
    x = _headroom_from_slack(np.sort(slack), b)
    curtailed_mw = np.maximum(0.0, x - slack)
    mask = curtailed_mw > 1e-9 * max(x, 1.0)
    years = values.size / HOURS_PER_YEAR
    energy = float(curtailed_mw.sum())
    return Headroom(
        budget=b,
        headroom_mw=x,
        hours=float(mask.sum()) / years,
        longest_event_h=_longest_run(mask),
        curtailed_share=energy / (x * values.size) if x > 0 else 0.0,
        curtailed_mwh_per_year=energy / years,
    )


def headroom_table(
    load_mw: pd.Series, budgets: Iterable[float], threshold: Threshold = "seasonal"
) -> pd.DataFrame:
    """:func:`curtailment_headroom` for several budgets, one row each (columns of :class:`Headroom`)."""
    rows = [curtailment_headroom(load_mw, b, threshold) for b in budgets]
    return pd.DataFrame([r.__dict__ for r in rows])
