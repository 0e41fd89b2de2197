"""Plans side by side: cost, cash cost, MW by country and year, CFE, shortfalls and build changes.

Reads plan summaries (the content of ``plan.json``, :func:`gridfirst.planning.plan_summary`) and
compares them; it neither plans nor reads folders (see :mod:`gridfirst.outputs` and the CLI).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from gridfirst.errors import DataError
from gridfirst.records import json_safe

__all__ = ["HEADLINE", "Comparison", "compare_summaries"]

#: Headline figures of each plan, in the order they are shown (USD of each plan's currency year).
HEADLINE = ("total_cost_usd", "cash_cost_usd", "penalty_cost_usd", "online_mw_end",
            "shortfall_mw_years", "cfe_score_end")

#: Two builds closer than this are the same build [MW] (the MILP's own tolerance is finer).
SAME_MW = 0.01


@dataclass
class Comparison:
    """Several plans side by side, each named by its scenario's ``name``.

    Attributes
    ----------
    names : list of str
        The plans in the order given (a repeated name gets ``#2``, ``#3``...).
    sources : list of str
        Where each plan came from (folder or scenario file).
    headline : pandas.DataFrame
        Index :data:`HEADLINE`, one column per plan.
    online_mw : pandas.DataFrame
        IT MW online by ``country`` and ``year`` (index), one column per plan [MW].
    cfe_score : pandas.DataFrame
        Hourly CFE score of the plan's energy by ``year`` (index), one column per plan [0..1].
    shortfall_mw : pandas.DataFrame
        Unmet IT MW by ``region, workload, year`` (index), one column per plan [MW].
    build_changes : pandas.DataFrame
        ``site, market, country, year``, the online MW of each plan and ``change_mw`` of the last
        plan against the first, for every site and year where the plans differ by more than
        :data:`SAME_MW`.
    """

    names: list[str]
    sources: list[str]
    headline: pd.DataFrame
    online_mw: pd.DataFrame
    cfe_score: pd.DataFrame
    shortfall_mw: pd.DataFrame
    build_changes: pd.DataFrame

    def side_by_side(self) -> pd.DataFrame:
        """One flat table: ``metric`` then one column per plan (headline, MW, CFE, shortfall)."""
        parts = [self.headline.rename_axis("metric").reset_index()]
        if not self.online_mw.empty:
            mw = self.online_mw.reset_index()
            mw.insert(0, "metric", "online_mw " + mw.pop("country").astype(str) + " "
                      + mw.pop("year").astype(str))
            parts.append(mw)
        if not self.cfe_score.empty:
            cfe = self.cfe_score.reset_index()
            cfe.insert(0, "metric", "cfe_score " + cfe.pop("year").astype(str))
            parts.append(cfe)
        if not self.shortfall_mw.empty:
            short = self.shortfall_mw.reset_index()
            short.insert(0, "metric", "shortfall_mw " + short.pop("region").astype(str) + " "
                         + short.pop("workload").astype(str) + " " + short.pop("year").astype(str))
            parts.append(short)
        return pd.concat(parts, ignore_index=True)[["metric", *self.names]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``scenarios`` keyed by name, then ``build_changes`` as records."""
        scenarios: dict[str, Any] = {}
        for name, source in zip(self.names, self.sources, strict=True):
            mw: dict[str, dict[str, float]] = {}
            for (country, year), value in self.online_mw[name].items():
                mw.setdefault(str(country), {})[str(year)] = float(value)
            scenarios[name] = {
                "source": source,
                **{k: _float(self.headline.at[k, name]) for k in HEADLINE},
                "online_mw_by_country": mw,
                "cfe_score_by_year": {str(y): _float(v) for y, v in self.cfe_score[name].items()},
                "shortfalls": [
                    {"region": r, "workload": w, "year": int(y), "mw": float(v)}
                    for (r, w, y), v in self.shortfall_mw[name].items() if v > SAME_MW
                ],
            }
        return json_safe({"scenarios": scenarios,
                          "build_changes": self.build_changes.to_dict(orient="records")})


def _float(value: Any) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _field(summary: Mapping[str, Any], key: str, source: str) -> Any:
    if key not in summary:
        raise DataError(f"{source}: plan.json has no {key!r}; not a gridfirst plan summary")
    return summary[key]


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


def _frame(rows: list[dict[str, Any]], columns: list[str], source: str, what: str
           ) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=columns)
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(f"{source}: plan.json {what} lack {missing}")
    return frame[columns]


def _wide(frames: dict[str, pd.DataFrame], keys: list[str], value: str, fill: float
          ) -> pd.DataFrame:
    """Long frames per plan -> one frame, ``keys`` as index and one column per plan."""
    series = {name: f.groupby(keys)[value].sum() if not f.empty
              else pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=keys)
                             if len(keys) > 1 else pd.Index([], name=keys[0]))
              for name, f in frames.items()}
    wide = pd.concat(series, axis=1).sort_index()
    return wide.fillna(fill).astype(float)


def compare_summaries(summaries: Sequence[Mapping[str, Any]],
                      sources: Sequence[str] | None = None) -> Comparison:
    """Compare plan summaries (``plan.json`` contents) side by side.

    Parameters
    ----------
    summaries : sequence of mapping
        At least two plan summaries, each with ``scenario``, the costs, ``builds``,
        ``shortfalls`` and ``carbon.by_year``.
    sources : sequence of str, optional
        Where each came from (named in errors and in the JSON); default the scenario name.

    Returns
    -------
    Comparison

    Raises
    ------
    DataError
        Fewer than two plans, or a summary missing a field (naming the source and the field).
    """
    if len(summaries) < 2:
        raise DataError(f"compare: needs at least two plans, got {len(summaries)}")
    labels = list(sources) if sources is not None else [str(s.get("scenario")) for s in summaries]
    names = _unique([str(_field(s, "scenario", src)) for s, src in zip(summaries, labels,
                                                                         strict=True)])
    headline: dict[str, dict[str, float]] = {}
    builds: dict[str, pd.DataFrame] = {}
    cfe: dict[str, pd.DataFrame] = {}
    short: dict[str, pd.DataFrame] = {}
    for name, summary, src in zip(names, summaries, labels, strict=True):
        b = _frame(_field(summary, "builds", src),
                   ["site", "market", "country", "year", "online_mw"], src, "builds")
        c = _frame(_field(_field(summary, "carbon", src), "by_year", src),
                   ["year", "cfe_score"], src, "carbon.by_year")
        s = _frame(_field(summary, "shortfalls", src), ["region", "workload", "year", "mw"],
                   src, "shortfalls")
        end_year = int(_field(summary, "horizon", src)["end_year"])
        cfe_end = c.loc[c["year"] == end_year, "cfe_score"]
        headline[name] = {
            **{k: float(_field(summary, k, src)) for k in HEADLINE[:5]},
            "cfe_score_end": float(cfe_end.iloc[0]) if len(cfe_end) else math.nan,
        }
        builds[name], cfe[name], short[name] = b, c.astype({"cfe_score": float}), s
    table = pd.DataFrame(headline).loc[list(HEADLINE), names]
    online = _wide(builds, ["country", "year"], "online_mw", 0.0)
    cfe_wide = _wide(cfe, ["year"], "cfe_score", math.nan)
    short_wide = _wide(short, ["region", "workload", "year"], "mw", 0.0)
    return Comparison(
        names=names, sources=labels, headline=table, online_mw=online[names],
        cfe_score=cfe_wide.reindex(columns=names), shortfall_mw=short_wide.reindex(columns=names),
        build_changes=_build_changes(builds, names),
    )


def _build_changes(builds: dict[str, pd.DataFrame], names: list[str]) -> pd.DataFrame:
    """Sites and years where the plans' online MW differ, the last against the first."""
    keys = ["site", "market", "country", "year"]
    wide = _wide(builds, keys, "online_mw", 0.0).reindex(columns=names, fill_value=0.0)
    spread = wide.max(axis=1) - wide.min(axis=1)
    changed = wide[spread > SAME_MW].copy()
    changed.columns = [f"{n}_mw" for n in names]
    changed["change_mw"] = changed[f"{names[-1]}_mw"] - changed[f"{names[0]}_mw"]
    return changed.reset_index()
