"""Figure of a growth fit: observations, the chosen curve, its bootstrap band and where the data
end. Builds a plotly figure; writing it to a self-contained HTML file is :func:`write_plot`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from gridfirst.demand.growth import Forecast, GrowthFit


def growth_figure(
    fit: GrowthFit, fc: Forecast, title: str | None = None, log_y: bool = True
) -> Any:
    """A plotly figure of the observed series, every fitted curve and the chosen one's band."""
    import plotly.graph_objects as go

    series = fit.series
    start = series.index[0]
    end = max(fc.table.index.max(), series.index[-1])
    grid = pd.date_range(start, end, periods=200)
    fig = go.Figure()
    band = fc.table
    fig.add_trace(
        go.Scatter(
            x=list(band.index) + list(band.index[::-1]),
            y=list(band["high"]) + list(band["low"][::-1]),
            fill="toself",
            fillcolor="rgba(31,119,180,0.18)",
            line={"width": 0},
            name=f"{fc.level:.0%} band ({fit.model}, {fc.n_boot} resamples, seed {fc.seed})",
            hoverinfo="skip",
        )
    )
    for name in fit.fits:
        chosen = name == fit.model
        fig.add_trace(
            go.Scatter(
                x=grid,
                y=fit.predict(grid, model=name),
                mode="lines",
                name=f"{name} ({fit.criterion.upper()} {fit.scores()[name]:.1f})"
                + (" - chosen" if chosen else ""),
                line={"width": 3 if chosen else 1, "dash": "solid" if chosen else "dot"},
            )
        )
    fig.add_trace(
        go.Scatter(
            x=band.index,
            y=band["value"],
            mode="markers",
            name="forecast (year points)",
            marker={"symbol": "diamond", "size": 7},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=series.index,
            y=series.to_numpy(),
            mode="markers",
            name="observed",
            marker={"size": 9, "color": "black"},
        )
    )
    fig.add_vline(x=series.index[-1], line_dash="dash", line_color="grey")
    fig.add_annotation(
        x=series.index[-1],
        y=1.0,
        yref="paper",
        showarrow=False,
        xanchor="left",
        text=f" data end; forecast reaches {fc.max_extrapolation_years:.1f} y beyond",
    )
    fig.update_layout(
        title=title or f"Growth fit of {series.name}: {fit.model}",
        xaxis_title="date",
        yaxis_title=str(series.name),
        yaxis_type="log" if log_y else "linear",
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def write_plot(fit: GrowthFit, fc: Forecast, path: str | Path, title: str | None = None) -> Path:
    """Write the growth figure as a self-contained HTML file (plotly.js inline, works offline)."""
    out = Path(path)
    growth_figure(fit, fc, title=title).write_html(str(out), include_plotlyjs=True, full_html=True)
    return out
