"""The report's robust-plan section: the plan solved against sampled futures next to the
deterministic one (builds by year, out-of-sample cost and shortfall, price of robustness).

Takes a :class:`gridfirst.risk.saa.RobustPlan`; returns HTML and a plotly Figure, writes nothing.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

if TYPE_CHECKING:
    from gridfirst.risk.saa import RobustPlan

DET_COLOUR, ROBUST_COLOUR = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermilion

#: Rows of the comparison table: summary key, label, scale, format.
_ROWS = (
    ("planned_cost_usd", "cost as planned (base future) [bn USD]", 1e-9, "{:,.2f}"),
    ("cash_cost_usd", "cash cost as planned [bn USD]", 1e-9, "{:,.2f}"),
    ("cost_mean_usd", "expected cost, out of sample [bn USD]", 1e-9, "{:,.2f}"),
    ("cost_cvar95_usd", "CVaR 95% of cost, out of sample [bn USD]", 1e-9, "{:,.2f}"),
    ("shortfall_mean_mw_years", "expected shortfall, out of sample [MW-years]", 1.0, "{:,.0f}"),
    ("shortfall_p90_mw_years", "P90 shortfall, out of sample [MW-years]", 1.0, "{:,.0f}"),
    ("shortfall_cvar95_mw_years", "CVaR 95% of shortfall [MW-years]", 1.0, "{:,.0f}"),
    ("probability_all_years_met", "probability every year is met", 1.0, "{:.1%}"),
    ("probability_as_planned", "probability no year falls short of plan", 1.0, "{:.1%}"),
)


def comparison_table(robust: RobustPlan) -> pd.DataFrame:
    """Deterministic and robust plan side by side, one row per figure."""
    d, r = robust.summary["deterministic"], robust.summary["robust"]
    rows = []
    for key, label, scale, fmt in _ROWS:
        if key in d and key in r:
            rows.append({"figure": label, "deterministic": fmt.format(d[key] * scale),
                         "robust": fmt.format(r[key] * scale)})
    return pd.DataFrame(rows)


def online_figure(robust: RobustPlan) -> go.Figure:
    """IT MW online per year, deterministic and robust plan."""
    by_year = robust.builds.groupby("year")[["deterministic_mw", "robust_mw"]].sum()
    fig = go.Figure()
    for col, name, colour in (("deterministic_mw", "deterministic plan", DET_COLOUR),
                              ("robust_mw", "robust plan", ROBUST_COLOUR)):
        fig.add_trace(go.Bar(x=by_year.index, y=by_year[col], name=name, marker_color=colour,
                             hovertemplate="%{x}: %{y:,.0f} MW<extra>" + name + "</extra>"))
    fig.update_layout(barmode="group", template="plotly_white", height=320,
                      margin={"l": 60, "r": 20, "t": 30, "b": 40}, yaxis_title="IT MW online")
    return fig


def robust_section(robust: RobustPlan | None) -> str:
    """The section's HTML ('' without a robust plan)."""
    if robust is None:
        return ""
    from gridfirst.report.html import figure_div, table_html

    s = robust.summary
    note = (f"The portfolio solved against {s['futures']} sampled futures at once (seed {s['seed']}, "
            f"measure {s['measure']}; {s['status']}, gap {s['mip_gap']:.2%}). Price of robustness: "
            f"{s['price_of_robustness_usd'] / 1e9:+,.2f} bn USD "
            f"({s['price_of_robustness_share']:+.1%}) against the deterministic plan in the base "
            f"future. Risk figures are out of sample: {s['out_of_sample_futures']} independent "
            f"futures (seed {s['out_of_sample_seed']}).")
    return ('<section id="sec-robust"><h2>Robust plan vs deterministic plan</h2>'
            f'<p class="note">{html.escape(note)}</p>'
            + figure_div(online_figure(robust), "fig-robust")
            + table_html(comparison_table(robust)) + "</section>")
