"""The report's view of near-optimal alternatives: the plans side by side and what they share.

Takes a plan's :class:`gridfirst.planning.alternatives.PlanAlternatives`; returns HTML (a stacked
bar figure of MW online by country per plan, the side-by-side table, the shared decisions).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.colors import qualitative

#: One colour per country, distinct for up to 22 countries (Safe is colour-blind safe).
COUNTRY_COLOURS = (*qualitative.Safe, *qualitative.Vivid)

if TYPE_CHECKING:
    from gridfirst.planning.alternatives import PlanAlternatives
    from gridfirst.planning.run import PlanResult


def alternatives_figure(alts: PlanAlternatives) -> go.Figure:
    """IT MW online in the last year by country, one stacked bar per plan, the common MW last."""
    search = alts.search
    plans = search.plans
    names = [*plans, "common"]
    common = search.common_countries
    year = int(common["year"].max()) if not common.empty else None
    at = common[common["year"] == year] if year is not None else common
    countries = sorted(at["country"].unique()) if not at.empty else []
    fig = go.Figure()
    for i, country in enumerate(countries):
        values = []
        for name in plans:
            b = plans[name].builds
            values.append(float(b[(b["year"] == year) & (b["country"] == country)]["online_mw"].sum())
                          if not b.empty else 0.0)
        values.append(float(at[at["country"] == country]["min_online_mw"].sum()))
        fig.add_trace(go.Bar(x=names, y=values, name=str(country),
                             marker_color=COUNTRY_COLOURS[i % len(COUNTRY_COLOURS)],
                             hovertemplate="%{x}: %{y:,.0f} MW<extra>" + str(country) + "</extra>"))
    fig.update_layout(barmode="stack", height=380, margin={"l": 50, "r": 20, "t": 30, "b": 40},
                      yaxis_title=f"IT MW online in {year}" if year is not None else "IT MW",
                      legend_title="country")
    return fig


def alternatives_section(result: PlanResult) -> str:
    """The section, or nothing when the plan was run without ``--alternatives``."""
    alts = result.alternatives
    if alts is None:
        return ""
    from gridfirst.planning.alternatives import side_by_side
    from gridfirst.portfolio.alternatives import METRIC
    from gridfirst.report.html import figure_div, table_html

    search = alts.search
    table = side_by_side(alts).reset_index().rename(columns={"index": "measure"})
    note = (f"Plans whose total cost (cash plus penalties, NPV: the plan's objective) is at most "
            f"{1 + search.slack:.3g} x the optimum's ({search.optimum_cost_usd / 1e9:,.2f} bn "
            f"USD), each at least {search.min_distance_mw:,.0f} MW from every other; distance: "
            f"{METRIC}. Each minimises one direction within the cost bound (its name below); "
            "'common' is the MW every plan holds, the decisions that are robust to take now.")
    lines = "".join(f"<li>alt{i + 1}: {html.escape(a.direction)}</li>"
                    for i, a in enumerate(search.alternatives))
    shared = "".join(f"<li>{html.escape(s)}</li>" for s in search.shared())
    notes = "".join(f"<li>{html.escape(n)}</li>" for n in search.notes)
    return ('<section id="sec-alternatives"><h2>Near-optimal alternatives: what else costs about '
            f'the same</h2><p class="note">{html.escape(note)}</p>'
            + '<div class="gf-figure" data-figure="alternatives">'
            + figure_div(alternatives_figure(alts), "fig-alternatives") + "</div>"
            + table_html(table)
            + f"<h3>How each was found</h3><ul>{lines}</ul>"
            + (f"<h3>What every near-optimal plan does</h3><ul>{shared}</ul>" if shared else "")
            + (f'<ul class="note">{notes}</ul>' if notes else "")
            + "</section>")
