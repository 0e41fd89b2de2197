"""The tornado figure: total cost and MW by country against each assumption swung low and high.

Takes a :class:`gridfirst.planning.sensitivity.TornadoResult`, returns a plotly Figure; writes
nothing (the report places it, the CLI may write it alone).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from gridfirst.planning.sensitivity import TornadoResult

LOW_COLOUR, HIGH_COLOUR = "#0072B2", "#D55E00"  # Okabe-Ito blue and vermilion
COUNTRY_COLOURS = ("#009E73", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#999999")


def _label(row: dict) -> str:
    unit = "x" if row["unit"] == "x" else " yr"
    return f"{row['assumption']} ({row['low']:g}{unit} / {row['high']:g}{unit})"


def tornado_figure(result: TornadoResult) -> go.Figure:
    """Left: change in total cost [bn USD] at each assumption's low and high value, largest swing
    on top. Right: change in IT MW online in the last year by country, same rows."""
    rows = result.table.to_dict(orient="records")[::-1]  # plotly draws the first row at the bottom
    labels = [_label(r) for r in rows]
    delta = result.mw_delta()
    countries = sorted(set(delta.index.get_level_values("country")))
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=(f"total cost vs base {result.base_cost_usd / 1e9:,.2f} bn USD",
                                        f"IT MW online in {result.year} vs base, by country"))
    for side, colour in (("low", LOW_COLOUR), ("high", HIGH_COLOUR)):
        fig.add_trace(go.Bar(
            y=labels, x=[(r[f"cost_{side}_usd"] - result.base_cost_usd) / 1e9 for r in rows],
            orientation="h", name=f"{side} value", marker_color=colour, legendgroup=side,
            hovertemplate="%{y}: %{x:+.3f} bn USD<extra>" + side + "</extra>"), row=1, col=1)
        for k, country in enumerate(countries):
            fig.add_trace(go.Bar(
                y=labels, x=[float(delta[side].get((r["assumption"], country), 0.0)) for r in rows],
                orientation="h", name=f"{country}, {side} value", legendgroup=country,
                marker={"color": COUNTRY_COLOURS[k % len(COUNTRY_COLOURS)],
                        "pattern": {"shape": "/" if side == "low" else ""}},
                hovertemplate=f"{country} " + "%{y}: %{x:+.0f} MW<extra>" + side + "</extra>"),
                row=1, col=2)
    fig.update_layout(barmode="group", template="plotly_white", height=120 + 45 * len(rows),
                      margin={"l": 60, "r": 20, "t": 50, "b": 50},
                      legend={"orientation": "h", "y": -0.15})
    fig.update_xaxes(title_text="bn USD (net present)", row=1, col=1)
    fig.update_xaxes(title_text="MW", row=1, col=2)
    return fig
