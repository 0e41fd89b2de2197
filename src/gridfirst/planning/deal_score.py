"""Which of the store's deals to sign, by when, and what each is worth to the plan.

:func:`score_deals` is ``gridfirst deals score`` (and the web app's ``deals_score`` job): the
scenario planned with the store's live deals, each deal's value to the plan (plan cost without it
minus with it, :func:`gridfirst.planning.deal_values`) and its expected value at its close
probability (the store's per-deal override, else its stage's).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gridfirst.resolve import ResultCache
    from gridfirst.scenario import Scenario


def score_deals(
    scenario: Scenario,
    deals_db: str | Path | None,
    probabilities: dict[str, float] | None = None,
    cache: bool | ResultCache = True,
) -> dict[str, Any]:
    """The deal score as JSON-ready figures.

    Returns
    -------
    dict
        ``scenario``, ``plan_cost_usd``, ``mip_gap``, ``noise_usd`` (values below it are within
        the MIP gap) and ``deals``: per deal ``deal, kind, stage, in_store, close_probability,
        sign, sign_by, value_usd, expected_value_usd``, largest value first.
    """
    from gridfirst.deals import DealStore, close_probabilities, scenario_with_store_deals
    from gridfirst.planning.deal_values import deal_values
    from gridfirst.planning.run import resolve_for_plan

    probs = close_probabilities(probabilities or {})
    with DealStore(deals_db) as store:
        live = {r.id: r for r in store.live_deals()}
    merged = scenario_with_store_deals(scenario, deals_db)
    values = deal_values(resolve_for_plan(merged, cache=cache))
    starts = {d.id: d.start_year for d in merged.deals}
    rows = []
    for deal_id, row in values.table.iterrows():
        rec = live.get(str(deal_id))
        p = (rec.close_probability if rec is not None and rec.close_probability is not None
             else probs[str(row["stage"])])
        rows.append({
            "deal": deal_id, "kind": row["kind"], "stage": row["stage"],
            "in_store": rec is not None, "close_probability": p, "sign": bool(row["signed"]),
            "sign_by": "" if not row["signed"] else (
                rec.sign_by() if rec is not None else date(starts[str(deal_id)], 1, 1)).isoformat(),
            "value_usd": float(row["value_usd"]),
            "expected_value_usd": p * float(row["value_usd"]),
        })
    rows.sort(key=lambda r: -r["value_usd"])
    return {"scenario": merged.name, "plan_cost_usd": values.plan.total_cost_usd,
            "mip_gap": values.mip_gap, "noise_usd": values.noise_usd, "deals": rows}
