"""Explanations of a ranking: each criterion's contribution and the weight change that swaps neighbours.

For the weighted sum the swap is an exact linear computation; for TOPSIS it is found numerically
(a grid scan of single-weight changes, then Brent's method on the bracketing interval).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy.optimize import brentq

from gridfirst.errors import ScenarioError
from gridfirst.scoring.methods import Scorer

if TYPE_CHECKING:
    from gridfirst.scoring.ranking import RankResult

SWAP_COLUMNS = ["criterion", "weight", "change", "new_weight"]
# TOPSIS scan: weight changes up to +MAX_RAISE (in shares of the current total weight).
MAX_RAISE = 10.0
_GRID = 400


def _swap_wsum(normalised: np.ndarray, w: np.ndarray, upper: int, lower: int) -> np.ndarray:
    """Exact single-weight changes that bring ``lower`` level with ``upper`` (weighted sum).

    With scores ``s = B w`` and gap ``D = s_u - s_l >= 0``, raising ``w_j`` by ``delta`` (then
    renormalising, which does not change the sign of a difference) moves the gap by
    ``delta * (B_uj - B_lj)``; the swap threshold is ``delta_j = D / (B_lj - B_uj)``, valid when
    the denominator is non-zero and ``w_j + delta_j >= 0``.
    """
    gap = float(normalised[upper] @ w - normalised[lower] @ w)
    diff = normalised[lower] - normalised[upper]
    with np.errstate(divide="ignore", invalid="ignore"):
        delta = np.where(diff != 0, gap / diff, np.nan)
    delta[w + delta < -1e-15] = np.nan
    return delta


def _swap_topsis(scorer: Scorer, w: np.ndarray, upper: int, lower: int) -> np.ndarray:
    """Single-weight changes that make TOPSIS closeness of ``lower`` reach ``upper``'s.

    For each criterion j, ``f(delta) = C_l(w + delta e_j) - C_u(w + delta e_j)`` is evaluated on
    a grid of decreases (down to weight 0) and increases (up to ``MAX_RAISE`` times the total
    weight, geometrically spaced); the sign change nearest zero on each side is refined with
    :func:`scipy.optimize.brentq` (xtol 1e-12) and the smaller magnitude is kept.
    """
    parts = scorer._topsis_parts()
    q_plus = parts[0][[upper, lower]]
    q_minus = parts[1][[upper, lower]]
    n = w.size

    def gap(weights: np.ndarray) -> np.ndarray:
        s = scorer.batch_scores(np.atleast_2d(weights), (q_plus, q_minus))
        return s[:, 1] - s[:, 0]

    out = np.full(n, np.nan)
    base = gap(w)[0]
    if base >= 0:
        return np.zeros(n)
    raise_grid = np.geomspace(1e-6, MAX_RAISE, _GRID)
    for j in range(n):
        best = np.nan
        cut_grid = -w[j] * np.linspace(0.0, 1.0, _GRID + 1)[1:]
        for grid in (cut_grid, raise_grid):
            trial = np.repeat(w[None, :], grid.size, axis=0)
            trial[:, j] += grid
            values = gap(trial)
            hit = np.flatnonzero(values >= 0)
            if hit.size == 0:
                continue
            k = int(hit[0])
            lo = 0.0 if k == 0 else float(grid[k - 1])
            hi = float(grid[k])

            def f(d: float, j: int = j) -> float:
                t = w.copy()
                t[j] += d
                return float(gap(t)[0])

            root = hi if f(hi) == 0 else brentq(f, lo, hi, xtol=1e-12)
            if np.isnan(best) or abs(root) < abs(best):
                best = root
        out[j] = best
    return out


def swap_changes(
    scorer: Scorer, weights: np.ndarray, upper: int, lower: int, names: list[str]
) -> pd.DataFrame:
    """Per criterion, the weight change that makes row ``lower`` tie with row ``upper``.

    Returns
    -------
    pandas.DataFrame
        ``criterion``, ``weight`` (share now), ``change`` (added to that weight, in shares of the
        current total, before renormalising), ``new_weight`` (its share after renormalising);
        sorted by the size of the change; criteria that cannot produce the swap are left out.
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.sum()
    if scorer.method == "wsum":
        delta = _swap_wsum(scorer.normalised, w, upper, lower)
    else:
        delta = _swap_topsis(scorer, w, upper, lower)
    # a change that leaves this weight below zero or the total at or below zero is no weighting
    delta = np.where((w + delta >= -1e-12) & (1.0 + delta > 1e-12), delta, np.nan)
    frame = pd.DataFrame(
        {
            "criterion": names,
            "weight": w,
            "change": delta,
            "new_weight": (w + delta) / np.where(np.isnan(delta), 1.0, 1.0 + delta),
        }
    )
    frame = frame.dropna(subset=["change"])
    return frame.iloc[np.argsort(np.abs(frame["change"].to_numpy()), kind="stable")].reset_index(
        drop=True
    )


@dataclass
class Explanation:
    """Why one market scores what it does.

    Attributes
    ----------
    contributions : pandas.DataFrame
        Index criterion: ``value`` (the field), ``unit``, ``criterion_value`` (transformed),
        ``normalised`` (0..1, larger is better), ``weight`` and ``contribution`` (adds up to
        ``score - baseline``), sorted by contribution, largest first.
    swaps : dict
        ``"above"`` / ``"below"``: (neighbour id, table from :func:`swap_changes`) for the
        market ranked just above (what would let this one overtake it) and just below (what
        would let that one overtake this one).
    """

    market_id: str
    rank: int
    score: float
    baseline: float
    method: str
    contributions: pd.DataFrame
    swaps: dict[str, tuple[str, pd.DataFrame]]

    def smallest_swap(self, side: str = "above") -> dict[str, Any] | None:
        """The smallest single-weight change that swaps with the neighbour on ``side``."""
        if side not in self.swaps:
            return None
        neighbour, table = self.swaps[side]
        if table.empty:
            return None
        row = table.iloc[0]
        return {
            "neighbour": neighbour,
            "criterion": str(row["criterion"]),
            "weight": float(row["weight"]),
            "change": float(row["change"]),
            "new_weight": float(row["new_weight"]),
        }

    def text(self) -> str:
        """The explanation in words."""
        how = "TOPSIS closeness" if self.method == "topsis" else "weighted sum"
        lines = [f"{self.market_id}: rank {self.rank}, {how} score {self.score:.3f}"]
        if self.baseline:
            lines.append(f"  contributions measured from the neutral score {self.baseline}")
        for name, row in self.contributions.iterrows():
            lines.append(
                f"  {name}: {row['contribution']:+.4f} (weight {row['weight']:.3f}, "
                f"normalised {row['normalised']:.3f}, value {row['value']} {row['unit']})"
            )
        for side, verb in (("above", "to overtake"), ("below", "to be overtaken by")):
            best = self.smallest_swap(side)
            if side in self.swaps and best is None:
                lines.append(f"  no single weight change lets it {verb[3:]} {self.swaps[side][0]}")
            elif best is not None:
                sign = "raise" if best["change"] > 0 else "lower"
                lines.append(
                    f"  {verb} {best['neighbour']}: {sign} the weight of {best['criterion']} from "
                    f"{best['weight']:.3f} to {best['new_weight']:.3f} of the total"
                )
        return "\n".join(lines)

    def swap_records(self, side: str) -> list[dict[str, Any]]:
        """Every single-weight change that swaps with the neighbour on ``side``, smallest first.

        Each record has ``criterion``, ``weight`` (share now), ``change`` (added to that weight,
        in shares of the current total, before renormalising) and ``new_weight`` (share after);
        empty when there is no neighbour on that side or no single weight can swap them.
        """
        if side not in self.swaps:
            return []
        return [
            {
                "criterion": str(row["criterion"]),
                "weight": float(row["weight"]),
                "change": float(row["change"]),
                "new_weight": float(row["new_weight"]),
            }
            for _, row in self.swaps[side][1].iterrows()
        ]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: score, every contribution, the smallest and all swap changes."""
        return {
            "market_id": self.market_id,
            "rank": self.rank,
            "score": self.score,
            "baseline": self.baseline,
            "method": self.method,
            "contributions": self.contributions.reset_index().to_dict("records"),
            "swap_above": self.smallest_swap("above"),
            "swap_below": self.smallest_swap("below"),
            "swaps": {
                side: {"neighbour": neighbour, "changes": self.swap_records(side)}
                for side, (neighbour, _) in self.swaps.items()
            },
        }

    def to_records(self) -> list[dict[str, Any]]:
        """The explanation as flat rows (for CSV), one per contribution and per swap change.

        Columns: ``section`` (``contribution``, ``swap_above`` or ``swap_below``),
        ``market_id``, ``neighbour`` (swap rows), ``criterion``, ``value``, ``unit``,
        ``normalised``, ``contribution`` (contribution rows), ``weight`` and, for swap rows,
        ``change`` and ``new_weight``.
        """
        rows: list[dict[str, Any]] = []
        for name, row in self.contributions.iterrows():
            rows.append(
                {
                    "section": "contribution",
                    "market_id": self.market_id,
                    "neighbour": None,
                    "criterion": str(name),
                    "value": row["value"],
                    "unit": row["unit"],
                    "weight": float(row["weight"]),
                    "normalised": float(row["normalised"]),
                    "contribution": float(row["contribution"]),
                    "change": None,
                    "new_weight": None,
                }
            )
        for side in ("above", "below"):
            if side not in self.swaps:
                continue
            neighbour = self.swaps[side][0]
            for rec in self.swap_records(side):
                rows.append(
                    {
                        "section": f"swap_{side}",
                        "market_id": self.market_id,
                        "neighbour": neighbour,
                        "criterion": rec["criterion"],
                        "value": None,
                        "unit": None,
                        "weight": rec["weight"],
                        "normalised": None,
                        "contribution": None,
                        "change": rec["change"],
                        "new_weight": rec["new_weight"],
                    }
                )
        return rows


def explain(result: RankResult, market_id: str) -> Explanation:
    """Explain one market of a :class:`RankResult` (see :class:`Explanation`)."""
    table = result.table
    if market_id not in table.index:
        removed = result.screened_out[result.screened_out["market_id"] == market_id]
        if not removed.empty:
            raise ScenarioError(f"market {market_id!r} was screened out: {removed['rule'].iloc[0]}")
        raise ScenarioError(
            f"market {market_id!r} is not in the ranking (known: {list(table.index)})"
        )
    names = list(result.weights.index)
    units = {c.name: c.unit for c in result.criteria}
    pos = table.index.get_loc(market_id)
    assert isinstance(pos, int)
    contributions = pd.DataFrame(
        {
            "value": result.raw.iloc[pos][names].to_numpy(),
            "unit": [units[n] for n in names],
            "criterion_value": result.values.iloc[pos][names].to_numpy(dtype=float),
            "normalised": result.normalised.iloc[pos][names].to_numpy(dtype=float),
            "weight": result.weights.to_numpy(),
            "contribution": table.iloc[pos][names].to_numpy(dtype=float),
        },
        index=pd.Index(names, name="criterion"),
    ).sort_values("contribution", ascending=False)
    scorer = result.scorer
    w = result.weights.to_numpy()
    swaps: dict[str, tuple[str, pd.DataFrame]] = {}
    if pos > 0:
        swaps["above"] = (str(table.index[pos - 1]), swap_changes(scorer, w, pos - 1, pos, names))
    if pos < len(table) - 1:
        swaps["below"] = (str(table.index[pos + 1]), swap_changes(scorer, w, pos, pos + 1, names))
    return Explanation(
        market_id=market_id,
        rank=int(table.iloc[pos]["rank"]),
        score=float(table.iloc[pos]["score"]),
        baseline=result.baseline,
        method=result.method,
        contributions=contributions,
        swaps=swaps,
    )
