"""Ranking of a scenario's markets: screens, criteria, weights, method, and the explained result.

Brings the criteria, the screens and the methods together into one :class:`RankResult`; the
explanations and the weight sensitivity live in their own modules.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from gridfirst.errors import ScenarioError
from gridfirst.scenario import Scenario
from gridfirst.scoring.criteria import Criterion, decision_matrix, default_criteria, resolve_weights
from gridfirst.scoring.methods import Scorer, check_method, ranks_from_scores
from gridfirst.scoring.users import network_connectivity, user_latency_columns

#: Columns of ``RankResult.screened_out``.
SCREEN_COLUMNS = ["market_id", "rule", "policy_fields"]

if TYPE_CHECKING:
    from gridfirst.resolve import Resolved
    from gridfirst.scoring.explain import Explanation


@dataclass
class RankResult:
    """Ranked markets with per-criterion contributions, the removed markets and the weights used.

    Attributes
    ----------
    table : pandas.DataFrame
        Index market id, sorted best first: ``score`` (0..1, higher is better), ``rank``
        (1 = best) and one column per criterion with its contribution; the contributions add
        up to ``score - baseline``.
    screened_out : pandas.DataFrame
        ``market_id``, ``rule`` (in words), ``policy_fields``.
    weights : pandas.Series
        Weights used, normalised to sum 1, indexed by criterion name.
    raw, values, normalised : pandas.DataFrame
        The field values, the transformed criterion values and the benefit-oriented normalised
        matrix (markets x criteria) in table order.
    baseline : float
        0 for the weighted sum, 0.5 for TOPSIS (see :meth:`Scorer.contributions`).
    notes : list of str
        Where latency and connectivity came from, criteria left out, and similar facts.
    """

    table: pd.DataFrame
    screened_out: pd.DataFrame
    weights: pd.Series
    criteria: list[Criterion]
    raw: pd.DataFrame
    values: pd.DataFrame
    normalised: pd.DataFrame
    profile: str
    method: str
    normalisation: str
    baseline: float
    notes: list[str] = field(default_factory=list)

    @property
    def scorer(self) -> Scorer:
        return Scorer(self.normalised.to_numpy(), self.method)

    def explain(self, market_id: str) -> Explanation:
        """Contributions of each criterion and the smallest weight changes that swap neighbours."""
        from gridfirst.scoring.explain import explain

        return explain(self, market_id)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict: markets (score, rank, contributions), screened out, weights, notes."""
        markets = []
        for mid, row in self.table.iterrows():
            markets.append(
                {
                    "market_id": mid,
                    "rank": int(row["rank"]),
                    "score": float(row["score"]),
                    "contributions": {c: float(row[c]) for c in self.weights.index},
                }
            )
        return {
            "profile": self.profile,
            "method": self.method,
            "normalisation": self.normalisation,
            "baseline": self.baseline,
            "weights": {k: float(v) for k, v in self.weights.items()},
            "markets": markets,
            "screened_out": self.screened_out.to_dict("records"),
            "notes": list(self.notes),
        }


def rank_matrix(
    values: pd.DataFrame,
    criteria: Sequence[Criterion],
    weights: pd.Series | Mapping[str, float],
    method: str = "topsis",
    normalisation: str = "vector",
    profile: str = "custom",
    raw: pd.DataFrame | None = None,
    screened_out: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
) -> RankResult:
    """Rank the rows of a criterion-value matrix (already transformed) under given weights.

    Parameters
    ----------
    values : pandas.DataFrame
        Index candidate id, one column per criterion in ``criteria`` (transformed values).
    criteria : sequence of Criterion
        Gives each column's direction.
    weights : pandas.Series or mapping
        Weight per criterion name, >= 0; normalised to sum 1 here. Criteria with weight 0 are
        left out of the result.
    method, normalisation : str
        ``topsis`` or ``wsum``; ``vector`` or ``minmax``.
    """
    check_method(method, normalisation)
    w = pd.Series(dict(weights), dtype=float)
    crit = [c for c in criteria if w.get(c.name, 0.0) > 0]
    if not crit:
        raise ScenarioError(
            "weights: every criterion has weight 0; give at least one a positive weight"
        )
    names = [c.name for c in crit]
    w = w[names] / w[names].sum()
    matrix = values[names].to_numpy(dtype=float)
    benefit = np.array([c.is_benefit for c in crit])
    if len(values) == 0:
        scorer = Scorer(np.zeros((0, len(names))), method)
        scores = np.zeros(0)
        contrib = np.zeros((0, len(names)))
    else:
        scorer = Scorer.build(matrix, benefit, method, normalisation)
        scores = scorer.scores(w.to_numpy())
        contrib = scorer.contributions(w.to_numpy())
    table = pd.DataFrame(contrib, index=values.index, columns=names)
    table.insert(0, "rank", ranks_from_scores(scores) if len(scores) else np.zeros(0, dtype=int))
    table.insert(0, "score", scores)
    order = np.lexsort((np.arange(len(table)), table["rank"].to_numpy()))
    table = table.iloc[order]
    normalised = pd.DataFrame(scorer.normalised, index=values.index, columns=names).iloc[order]
    raw_table = (raw if raw is not None else values)[names].iloc[order]
    return RankResult(
        table=table,
        screened_out=screened_out
        if screened_out is not None
        else pd.DataFrame(columns=SCREEN_COLUMNS),
        weights=w,
        criteria=crit,
        raw=raw_table,
        values=values[names].iloc[order],
        normalised=normalised,
        profile=profile,
        method=method,
        normalisation=normalisation,
        baseline=scorer.baseline,
        notes=list(notes),
    )


def rank_markets(
    scenario: Scenario | Resolved,
    profile: str = "training",
    method: str = "topsis",
    normalisation: str = "vector",
    weights: dict[str, float] | None = None,
    latency_ms: pd.DataFrame | None = None,
    connectivity: pd.Series | None = None,
    use_network: bool = True,
) -> RankResult:
    """Screen, score and rank a scenario's markets for a workload profile.

    Parameters
    ----------
    scenario : Scenario
        Markets, policy (hard screens), demand regions and ``weights`` overrides.
    profile : {"training", "inference"}
        Default weights (see ``criteria.csv``). The legal-regime screen applies to training.
    method : {"topsis", "wsum"}
        TOPSIS closeness or weighted sum.
    normalisation : {"vector", "minmax"}
        Column normalisation; cost criteria are complemented (``1 - r``).
    weights : dict, optional
        Weight overrides by criterion name, applied after ``scenario.weights``.
    latency_ms : pandas.DataFrame, optional
        RTT [ms], index market id, columns demand-region ids. Used by the latency criteria when
        their weight is positive (the inference profile); when None these come from
        :mod:`gridfirst.network` if installed, else a great-circle estimate.
    connectivity : pandas.Series, optional
        A connectivity score in 0..1 per market id that replaces the cable-system count.
    use_network : bool
        For the inference profile, take latency and connectivity from :mod:`gridfirst.network`
        when it is installed and they are not given. False uses the great-circle latency
        estimate and the cable-system count instead.

    Returns
    -------
    RankResult

    Raises
    ------
    ScenarioError
        Unknown profile, method, normalisation or criterion name; negative weight; missing
        latency rows.

    References
    ----------
    .. [1] Hwang, C.-L., Yoon, K. (1981). Multiple Attribute Decision Making. Springer.
    """
    from gridfirst.resolve import Resolved, resolve

    check_method(method, normalisation)
    if isinstance(scenario, Resolved):
        tables = scenario
        if latency_ms is None and not tables.latency_ms.empty:
            latency_ms = tables.market_latency()
    else:
        tables = resolve(scenario, use_network=False)
    scenario = tables.scenario
    resolved = resolve_weights(profile, scenario.weights, weights)
    out = tables.screened_out(profile, kind="market")
    screened = out.rename_axis("market_id").reset_index()[SCREEN_COLUMNS]
    kept = [m for m in tables.markets if m.id not in set(out.index)]
    criteria = default_criteria()
    notes: list[str] = []
    extra = pd.DataFrame(index=pd.Index([m.id for m in kept], name="market_id"))

    # Site-level security columns come from the resolved markets table (alliance only with a
    # buyer); a criterion without its column is dropped, with a note.
    for name, column in (("threat_exposure", "threat_exposure"), ("alliance", "alliance_score"),
                         ("export_access", "export_access")):
        if column in tables.markets_table.columns:
            extra[column] = tables.markets_table[column].reindex(extra.index).astype(float)
        elif resolved[name] > 0:
            resolved[name] = 0.0
            notes.append(f"{name}: not scored (the scenario names no buyer)")

    if tables.compliance is not None:
        for mid, row in tables.compliance.iterrows():
            if mid in extra.index and row["status"] == "licence_required":
                notes.append(
                    f"{mid}: the buyer needs an export licence under {row['rule']} "
                    f"({row['citation']}); about {row['licence_lead_time_months']:g} months, "
                    f"denial probability {row['denial_probability']:g} (both assumptions)"
                )

    latency_names = {"user_latency", "users_within_sla"}
    if any(resolved[n] > 0 for n in latency_names) and kept:
        columns, note = user_latency_columns(scenario, kept, latency_ms, use_network)
        notes.append(note)
        if columns is None:
            resolved[list(latency_names)] = 0.0
        else:
            extra = extra.join(columns)
    else:
        resolved[list(latency_names)] = 0.0

    if resolved["connectivity"] > 0 and kept:
        score = connectivity
        if score is None and profile == "inference" and use_network:
            score = network_connectivity(kept)
            if score is not None:
                notes.append(
                    "connectivity from gridfirst.network.connectivity (connectivity_score)"
                )
        if score is not None:
            missing = [m.id for m in kept if m.id not in score.index]
            if missing:
                raise ScenarioError(f"connectivity: no value for markets {missing}")
            extra["connectivity_score"] = score.loc[extra.index].astype(float)
            criteria = [
                dataclasses.replace(
                    c, field="connectivity_score", transform="identity", unit="0..1"
                )
                if c.name == "connectivity"
                else c
                for c in criteria
            ]
        else:
            notes.append("connectivity from the number of subsea cable systems")

    active = [c for c in criteria if resolved[c.name] > 0]
    if not screened.empty:
        notes.append(f"{len(screened)} market(s) removed by the hard screens")
    raw, values = decision_matrix(kept, active, scenario.horizon.start_year, extra)
    return rank_matrix(
        values,
        active,
        resolved,
        method=method,
        normalisation=normalisation,
        profile=profile,
        raw=raw,
        screened_out=screened,
        notes=notes,
    )
