"""Plotly figure of a procurement dispatch: a summer and a winter week stacked by source, with SoC.

Offline HTML only (plotly.js inlined); the models never import this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from gridfirst.procurement.result import ProcurementResult

_SOURCES = (
    ("solar_mw", "Solar", "#f2b701"),
    ("wind_mw", "Wind", "#3b8bc2"),
    ("firm_mw", "Clean firm", "#7a5195"),
    ("discharge_mw", "Battery discharge", "#2ca02c"),
    ("grid_cfe_mw", "Grid (carbon-free part)", "#8fd19e"),
    ("grid_fossil_mw", "Grid (fossil part)", "#7f7f7f"),
    ("backup_mw", "Backup", "#d62728"),
)


def _weeks(dispatch: pd.DataFrame) -> list[tuple[str, int]]:
    """(label, first row) of a summer and a winter week; the first week for short horizons."""
    hours = len(dispatch)
    if hours < 24 * 7 * 4 or not hasattr(dispatch.index, "month"):
        return [("first week", 0)]
    months = dispatch.index.month
    solar = dispatch["solar_mw"].to_numpy() if "solar_mw" in dispatch else None
    july, january = int((months == 7).argmax()), int((months == 1).argmax())
    # the hemisphere decides which is summer: more solar output in July means northern summer
    if solar is not None and solar[july : july + 168].sum() < solar[january : january + 168].sum():
        july, january = january, july
    return [("summer week", july), ("winter week", january)]


def dispatch_figure(result: ProcurementResult, title: str = "") -> go.Figure:
    """Stacked hourly supply by source with load, charging and state of charge, two weeks."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    d = result.dispatch.copy()
    d["grid_fossil_mw"] = d["grid_mw"] - d["grid_cfe_mw"]
    weeks = _weeks(d)
    fig = make_subplots(
        rows=len(weeks), cols=1, shared_xaxes=False, vertical_spacing=0.12,
        subplot_titles=[label for label, _ in weeks],
        specs=[[{"secondary_y": True}] for _ in weeks],
    )
    for row, (_, start) in enumerate(weeks, start=1):
        part = d.iloc[start : start + 168]
        x = part.index
        for col, name, colour in _SOURCES:
            if col not in part or float(part[col].abs().sum()) == 0.0:
                continue
            fig.add_trace(
                go.Scatter(x=x, y=part[col], name=name, stackgroup=f"supply{row}",
                           line={"width": 0}, fillcolor=colour, legendgroup=name,
                           showlegend=row == 1, mode="lines"),
                row=row, col=1,
            )
        fig.add_trace(
            go.Scatter(x=x, y=-part["charge_mw"], name="Battery charge", fill="tozeroy",
                       line={"width": 0, "color": "#98df8a"}, legendgroup="charge",
                       showlegend=row == 1),
            row=row, col=1,
        )
        fig.add_trace(
            go.Scatter(x=x, y=part["load_mw"], name="Load", line={"color": "black", "width": 2},
                       legendgroup="load", showlegend=row == 1),
            row=row, col=1,
        )
        fig.add_trace(
            go.Scatter(x=x, y=part["soc_mwh"], name="State of charge [MWh]",
                       line={"color": "#2ca02c", "dash": "dot"}, legendgroup="soc",
                       showlegend=row == 1),
            row=row, col=1, secondary_y=True,
        )
        fig.update_yaxes(title_text="MW", row=row, col=1, secondary_y=False)
        fig.update_yaxes(title_text="MWh", row=row, col=1, secondary_y=True)
    heading = title or (
        f"24/7 CFE target {result.cfe_target:.0%}: score {result.cfe_score:.1%}, "
        f"{result.cost_usd_per_mwh:,.1f} USD/MWh"
    )
    fig.update_layout(title=heading, template="plotly_white", height=420 * len(weeks))
    return fig


def write_dispatch_html(result: ProcurementResult, path: str | Path, title: str = "") -> Path:
    """Write :func:`dispatch_figure` as a self-contained HTML file (plotly.js inline)."""
    path = Path(path)
    dispatch_figure(result, title).write_html(path, include_plotlyjs=True, full_html=True)
    return path
