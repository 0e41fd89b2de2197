"""The report's assumptions table: every figure a plan rests on, with its source or its reasoning.

Collects the market data sources of the scenario's markets, the procurement cost defaults, the
portfolio and plan options and the policy; it draws nothing (see :mod:`gridfirst.report.html`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from gridfirst.planning.run import PlanResult

COLUMNS = ["group", "item", "value", "kind", "source", "url"]


def _source_text(row: pd.Series) -> str:
    parts = [str(row.get("publisher", "")), str(row.get("title", ""))]
    text = ": ".join(p for p in parts if p)
    year = str(row.get("year", "") or "")
    if year:
        text += f" ({year})"
    reasoning = str(row.get("reasoning", "") or "")
    if reasoning:
        text += f". {reasoning}"
    return text


def market_sources(result: PlanResult) -> pd.DataFrame:
    """One row per source of the scenario's bundled market figures, with the fields it gives."""
    from gridfirst.data import market_facts, sources

    ids = {m.id for m in result.scenario.resolved_markets()}
    facts = market_facts()
    facts = facts[facts["market_id"].isin(ids)]
    table = sources()
    rows = []
    for source_id, group in facts.groupby("source_id"):
        src = table.loc[source_id] if source_id in table.index else pd.Series(dtype=object)
        fields = ", ".join(sorted(set(group["field"])))
        years = sorted({str(y) for y in group["data_year"] if str(y)})
        rows.append({
            "group": "market data",
            "item": f"{fields} ({group['market_id'].nunique()} markets; data year {', '.join(years)})",
            "value": "per market (see plan.json / gridfirst markets show ID)",
            "kind": str(src.get("kind", "")),
            "source": _source_text(src),
            "url": str(src.get("url", "")),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def procurement_defaults(result: PlanResult) -> pd.DataFrame:
    """The procurement cost inputs (defaults with their sources; scenario overrides marked)."""
    import yaml

    from gridfirst.data import data_dir, sources

    raw = yaml.safe_load((data_dir() / "procurement_costs.yaml").read_text(encoding="utf-8"))
    table = sources()
    from gridfirst.options import given_costs

    overrides = given_costs(result.scenario.costs)
    rows = []
    for key, entry in raw.items():
        if not isinstance(entry, dict):
            continue
        source_id = str(entry.get("source_id", ""))
        src = table.loc[source_id] if source_id in table.index else pd.Series(dtype=object)
        # Sources a note cites besides the entry's own (e.g. a lifetime from another catalogue).
        note = str(entry.get("note", ""))
        cited = [sid for sid in table.index if sid != source_id and sid in note]
        values = {k: v for k, v in entry.items() if k not in {"source_id", "data_year", "note"}}
        value = "; ".join(f"{k} = {v:g}" if isinstance(v, int | float) else f"{k} = {v}"
                          for k, v in values.items())
        rows.append({
            "group": "procurement costs",
            "item": f"{key} ({entry.get('note', '')}, data year {entry.get('data_year', '')})",
            "value": value,
            "kind": str(src.get("kind", "")),
            "source": _source_text(src),
            "url": str(src.get("url", "")),
        })
        for sid in cited:
            other = table.loc[sid]
            rows.append({"group": "procurement costs", "item": f"{key}: also cited ({sid})",
                         "value": "", "kind": str(other.get("kind", "")),
                         "source": _source_text(other), "url": str(other.get("url", ""))})
    for key, given in overrides.items():
        rows.append({"group": "procurement costs", "item": key, "value": f"{given:g}",
                     "kind": "scenario", "source": "the scenario's costs section", "url": ""})
    return pd.DataFrame(rows, columns=COLUMNS)


def model_options(result: PlanResult) -> pd.DataFrame:
    """Policy, portfolio and plan options: the scenario's own values and stated defaults."""
    from gridfirst.portfolio.inputs import RISK_WEIGHT_BY_APPETITE

    scenario = result.scenario
    rows: list[dict[str, Any]] = []
    policy = scenario.policy.model_dump(mode="json")
    for key, value in policy.items():
        rows.append({"group": "policy", "item": key, "value": str(value), "kind": "scenario",
                     "source": "the scenario's policy (default when not given)", "url": ""})
    portfolio = scenario.options.portfolio
    for key in type(portfolio).model_fields:
        own = key in portfolio.model_fields_set
        value = getattr(portfolio, key)
        shown = f"{value:g}" if isinstance(value, int | float) and not isinstance(value, bool) \
            else str(value)
        rows.append({
            "group": "portfolio", "item": key, "value": shown,
            "kind": "scenario" if own else "assumption",
            "source": "options.portfolio" if own else "gridfirst.portfolio default (reasoning in its docs)",
            "url": "",
        })
    rows.append({
        "group": "portfolio", "item": "risk weight by risk appetite",
        "value": ", ".join(f"{k} {v:g}" for k, v in RISK_WEIGHT_BY_APPETITE.items()),
        "kind": "assumption",
        "source": "share of annualised capital charged per unit of missing score (gridfirst.portfolio)",
        "url": "",
    })
    rows.append({"group": "network", "item": "latency", "value": result.latency_source,
                 "kind": "model", "source": "round-trip times used by ranking and portfolio", "url": ""})
    plan = scenario.options.plan
    for key in type(plan).model_fields:
        rows.append({"group": "plan", "item": key, "value": str(getattr(plan, key)),
                     "kind": "scenario" if key in plan.model_fields_set else "default",
                     "source": "options.plan", "url": ""})
    return pd.DataFrame(rows, columns=COLUMNS)


def risk_defaults(result: PlanResult) -> pd.DataFrame:
    """The Monte Carlo's distribution parameters with their sources (when risk was run)."""
    if result.risk is None:
        return pd.DataFrame(columns=COLUMNS)
    from gridfirst.data import sources
    from gridfirst.risk.uncertainty import default_table

    table = sources()
    given = result.scenario.options.risk
    rows = []
    for section, params in default_table().items():
        own = getattr(given, section)
        for name, entry in params.items():
            source_id = str(entry["source_id"])
            src = table.loc[source_id] if source_id in table.index else pd.Series(dtype=object)
            value = getattr(own, name)
            default = entry["value"]
            mine = (list(value) if isinstance(value, tuple) else value) != default
            rows.append({
                "group": "risk", "item": f"{section}.{name} ({entry['note']})",
                "value": str(value if mine else default),
                "kind": "scenario" if mine else str(src.get("kind", "")),
                "source": "options.risk" if mine else _source_text(src),
                "url": "" if mine else str(src.get("url", "")),
            })
    return pd.DataFrame(rows, columns=COLUMNS)


def assumptions_table(result: PlanResult) -> pd.DataFrame:
    """Every assumption of the plan with its source (columns :data:`COLUMNS`)."""
    frames = [procurement_defaults(result), model_options(result), risk_defaults(result),
              market_sources(result)]
    return pd.concat([f for f in frames if not f.empty], ignore_index=True)
