"""The report's plotly figures: map, build schedule, demand vs capacity, power mix, latency, ranks.

Each function takes a :class:`~gridfirst.planning.run.PlanResult` and returns a
``plotly.graph_objects.Figure``; nothing here writes files or HTML (see :mod:`gridfirst.report.html`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

if TYPE_CHECKING:
    from gridfirst.planning.run import PlanResult

#: Colours of the energy sources (colour-blind-safe Okabe-Ito palette, grey for fossil grid).
MIX_COLOURS = {
    "solar_mwh": ("Solar", "#E69F00"),
    "wind_mwh": ("Wind", "#56B4E9"),
    "firm_mwh": ("Firm: hydro, geothermal, nuclear, imports", "#009E73"),
    "battery_discharge_mwh": ("Battery", "#CC79A7"),
    "grid_cfe_mwh": ("Grid, carbon-free", "#0072B2"),
    "grid_other_mwh": ("Grid, fossil", "#999999"),
}
SHORTFALL_COLOUR = "#D55E00"
_LAYOUT = {"template": "plotly_white", "font": {"family": "Helvetica, Arial, sans-serif", "size": 12},
           "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}


def _peak_mw(result: PlanResult) -> pd.Series:
    b = result.portfolio.builds
    if b.empty:
        return pd.Series(dtype=float)
    return b.groupby("site")["online_mw"].max()


def _node_coordinates() -> dict[str, tuple[float, float]]:
    """Coordinates of the cable graph's named nodes (landings, then demand centres)."""
    from gridfirst.network import demand_centres, landings

    out: dict[str, tuple[float, float]] = {}
    for row in demand_centres().itertuples():
        out.setdefault(str(row.name), (float(row.latitude), float(row.longitude)))
    for row in landings().itertuples():
        out[str(row.landing_name)] = (float(row.latitude), float(row.longitude))
    return out


def _parse_point(node: str) -> tuple[float, float] | None:
    text = node.strip()
    if not (text.startswith("(") and text.endswith(")")):
        return None
    try:
        lat, lon = (float(v) for v in text[1:-1].split(","))
    except ValueError:
        return None
    return lat, lon


def route_points(site: tuple[float, float], centre: tuple[float, float]
                 ) -> tuple[list[float], list[float], str]:
    """Latitudes, longitudes and cable names of the fastest route from a site to a demand centre.

    Follows the landings of :func:`gridfirst.network.route`; nodes without known coordinates are
    skipped (the line then runs straight between the known ones).
    """
    from gridfirst.network import route

    found = route(site, centre)
    known = _node_coordinates()
    coords = [site]
    for node in found.path[1:-1]:
        point = _parse_point(str(node)) or known.get(str(node))
        if point is not None:
            coords.append(point)
    coords.append(centre)
    return [c[0] for c in coords], [c[1] for c in coords], ", ".join(found.cables)


def map_figure(result: PlanResult) -> go.Figure:
    """Candidate markets coloured by score, chosen sites sized by MW, routes to demand centres."""
    scenario = result.scenario
    markets = scenario.markets_table()
    training = result.rankings["training"].table["score"]
    inference = result.rankings["inference"].table["score"]
    score = training.combine_first(inference).reindex(markets.index)
    fig = go.Figure()
    sites = result.portfolio.inputs.sites
    peak = _peak_mw(result)
    alloc = result.portfolio.allocation
    # Routes first so markers draw on top.
    served = alloc[alloc["region"].isin({r.id for r in scenario.demand.regions})]
    pairs = served.groupby(["site", "region"])["mw"].max().reset_index() if not served.empty else []
    first = True
    for _, row in (pairs.iterrows() if isinstance(pairs, pd.DataFrame) else iter(())):
        s = sites.loc[row["site"]]
        centre = next(r for r in scenario.demand.regions if r.id == row["region"])
        lats, lons, cables = route_points((float(s["latitude"]), float(s["longitude"])),
                                          (float(centre.latitude), float(centre.longitude)))
        rtt = result.latency_ms.at[row["site"], row["region"]] if (
            row["site"] in result.latency_ms.index and row["region"] in result.latency_ms.columns
        ) else math.nan
        text = f"{row['site']} → {row['region']}: {rtt:.0f} ms RTT" + (f" via {cables}" if cables else "")
        fig.add_trace(go.Scattergeo(
            lat=lats, lon=lons, mode="lines", line={"width": 1.2, "color": "#0072B2"},
            opacity=0.6, name="Route to demand centre", legendgroup="routes", showlegend=first,
            hoverinfo="text", text=[text] * len(lats),
        ))
        first = False
    ranked = markets[score.notna()]
    fig.add_trace(go.Scattergeo(
        lat=ranked["latitude"], lon=ranked["longitude"], mode="markers",
        marker={"size": 9, "color": score[score.notna()], "colorscale": "Viridis", "cmin": 0,
                "cmax": 1, "colorbar": {"title": {"text": "score"}, "x": 1.0, "len": 0.6},
                "line": {"width": 0.5, "color": "#333"}},
        name="Candidate market (score)",
        text=[f"{mid}: {name}<br>score {score[mid]:.2f}" for mid, name in ranked["name"].items()],
        hoverinfo="text",
    ))
    out = markets[score.isna()]
    if not out.empty:
        fig.add_trace(go.Scattergeo(
            lat=out["latitude"], lon=out["longitude"], mode="markers",
            marker={"size": 8, "symbol": "x", "color": "#777"}, name="Screened out",
            text=[f"{mid}: screened out" for mid in out.index], hoverinfo="text",
        ))
    if not peak.empty:
        chosen = sites.loc[peak.index]
        size = 10 + 30 * np.sqrt(peak.to_numpy() / max(peak.max(), 1e-9))
        fig.add_trace(go.Scattergeo(
            lat=chosen["latitude"], lon=chosen["longitude"], mode="markers",
            marker={"size": size, "color": "rgba(213,94,0,0.35)",
                    "line": {"width": 1.5, "color": SHORTFALL_COLOUR}},
            name="Chosen site (size: peak MW)",
            text=[f"{sid}: {mw:,.0f} MW peak" for sid, mw in peak.items()], hoverinfo="text",
        ))
    regions = scenario.demand.regions
    if regions:
        fig.add_trace(go.Scattergeo(
            lat=[r.latitude for r in regions], lon=[r.longitude for r in regions],
            mode="markers+text", marker={"size": 11, "symbol": "star", "color": "#222"},
            text=[r.city for r in regions], textposition="top center", name="Demand centre",
            hoverinfo="text",
        ))
    lat_all = pd.concat([markets["latitude"], pd.Series([r.latitude for r in regions])])
    lon_all = pd.concat([markets["longitude"], pd.Series([r.longitude for r in regions])])
    pad = 8.0
    lat_lo, lat_hi = max(-90.0, lat_all.min() - pad), min(90.0, lat_all.max() + pad)
    lon_lo, lon_hi = max(-180.0, lon_all.min() - pad), min(180.0, lon_all.max() + pad)
    # Keep the frame about twice as wide as tall so the page is not one tall strip.
    widen = max(0.0, 1.8 * (lat_hi - lat_lo) - (lon_hi - lon_lo)) / 2
    lon_lo, lon_hi = max(-180.0, lon_lo - widen), min(180.0, lon_hi + widen)
    fig.update_geos(
        scope="world", resolution=110, projection_type="natural earth",
        showland=True, landcolor="#EEEEEE", showcountries=True, countrycolor="#BBBBBB",
        showocean=True, oceancolor="#F7FBFF", showcoastlines=True, coastlinecolor="#888",
        lataxis_range=[lat_lo, lat_hi], lonaxis_range=[lon_lo, lon_hi],
    )
    fig.update_layout(**_LAYOUT, height=560, title="Candidate markets, chosen sites and routes",
                      legend={"orientation": "h", "y": -0.05})
    return fig


def build_schedule_figure(result: PlanResult) -> go.Figure:
    """New IT capacity coming online by year, stacked by country, with the total online."""
    b = result.portfolio.builds
    fig = go.Figure()
    years = result.scenario.horizon.years
    if not b.empty:
        added = b.pivot_table(index="year", columns="country", values="added_mw", aggfunc="sum")
        added = added.reindex(years).fillna(0.0).clip(lower=0.0)
        for country in added.columns:
            fig.add_trace(go.Bar(x=years, y=added[country], name=f"added in {country}"))
        online = b.groupby("year")["online_mw"].sum().reindex(years).fillna(0.0)
        fig.add_trace(go.Scatter(x=years, y=online, name="online (all sites)", mode="lines+markers",
                                 line={"color": "#222"}))
    fig.update_layout(**_LAYOUT, barmode="stack", height=380, title="Build schedule by year and country",
                      xaxis_title="year", yaxis_title="IT MW")
    return fig


def demand_capacity_figure(result: PlanResult) -> go.Figure:
    """Per demand region: demand, capacity serving it and shortfalls (hover gives the reason)."""
    inputs = result.portfolio.inputs
    demand = inputs.demand.groupby(["region", "year"])["mw"].sum()
    alloc = result.portfolio.allocation.groupby(["region", "year"])["mw"].sum()
    short = result.portfolio.shortfalls
    regions = list(dict.fromkeys(inputs.demand["region"]))
    years = result.scenario.horizon.years
    cols = min(3, max(1, len(regions)))
    rows = max(1, math.ceil(len(regions) / cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=regions or ["no demand"],
                        shared_xaxes=True, vertical_spacing=0.12 if rows > 1 else 0.1)
    for i, region in enumerate(regions):
        r, c = i // cols + 1, i % cols + 1
        d = demand.get(region, pd.Series(dtype=float)).reindex(years).fillna(0.0)
        a = alloc.get(region, pd.Series(dtype=float)).reindex(years).fillna(0.0)
        s_rows = short[short["region"] == region]
        s = s_rows.groupby("year")["mw"].sum().reindex(years).fillna(0.0)
        why = s_rows.groupby("year")["explanation"].apply(lambda x: "<br>".join(map(str, x)))
        fig.add_trace(go.Bar(x=years, y=a, name="served", marker_color="#009E73",
                             legendgroup="served", showlegend=i == 0), row=r, col=c)
        fig.add_trace(go.Bar(
            x=years, y=s, name="shortfall", marker_color=SHORTFALL_COLOUR, legendgroup="short",
            showlegend=i == 0,
            hovertext=[f"{region} {y}: {mw:,.0f} MW short<br>{why.get(y, '')}" for y, mw in s.items()],
            hoverinfo="text"), row=r, col=c)
        fig.add_trace(go.Scatter(x=years, y=d, name="demand", mode="lines+markers",
                                 line={"color": "#222", "dash": "dot"}, legendgroup="demand",
                                 showlegend=i == 0), row=r, col=c)
    fig.update_layout(**{**_LAYOUT, "margin": {"l": 50, "r": 20, "t": 70, "b": 40}},
                      barmode="stack", height=260 * rows + 80,
                      title="Demand vs capacity by region and year (IT MW)")
    return fig


def power_mix_figure(result: PlanResult) -> go.Figure:
    """Each chosen site's energy mix (share of supply), cost per MWh and hourly CFE score."""
    proc = result.procurement
    market_rows = result.portfolio.inputs.sites
    markets = {m.id: m for m in result.scenario.resolved_markets()}
    deal_ids = {d.id for d in result.scenario.deals}
    # A space deal runs on its grid's mix; every other site on its own (or its market's) record.
    records: dict[str, dict[str, float]] = {}
    for sid in result.chosen_sites:
        market_id = str(market_rows.at[sid, "market"]) if sid in market_rows.index else sid
        if sid in deal_ids and market_id in markets:
            share = float(markets[market_id].grid_cfe_share)
            cost = (float(market_rows.at[sid, "energy_usd_per_mwh"])
                    if "energy_usd_per_mwh" in market_rows.columns else float("nan"))
            records[sid] = {**dict.fromkeys(MIX_COLOURS, 0.0), "grid_cfe_mwh": share,
                            "grid_other_mwh": 1.0 - share, "cost_usd_per_mwh": cost,
                            "cfe_score": share}
            continue
        key = sid if sid in proc.index else market_id
        if key in proc.index:
            records[sid] = {c: float(proc.at[key, c])
                            for c in [*MIX_COLOURS, "cost_usd_per_mwh", "cfe_score"]}
    chosen = list(records)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.16,
                        subplot_titles=["Energy supplied by source (share)", "Cost per MWh of load"])
    if records:
        rec = pd.DataFrame.from_dict(records, orient="index")
        supply = rec[list(MIX_COLOURS)].sum(axis=1).replace(0.0, np.nan)
        for col, (label, colour) in MIX_COLOURS.items():
            fig.add_trace(go.Bar(y=chosen, x=(rec[col] / supply).to_numpy(), name=label,
                                 orientation="h", marker_color=colour), row=1, col=1)
        fig.add_trace(go.Bar(
            y=chosen, x=rec["cost_usd_per_mwh"].to_numpy(), orientation="h", showlegend=False,
            marker_color="#0072B2",
            text=[f"${c:,.0f}/MWh · CFE {s:.0%}" for c, s in zip(rec["cost_usd_per_mwh"], rec["cfe_score"], strict=True)],
            textposition="auto", name="cost per MWh"), row=1, col=2)
    fig.update_layout(**_LAYOUT, barmode="stack", height=120 + 48 * max(1, len(chosen)),
                      title=f"Power of the chosen sites at a {result.scenario.policy.cfe_target:.0%} hourly CFE target",
                      legend={"orientation": "h", "y": -0.2})
    fig.update_xaxes(tickformat=".0%", row=1, col=1)
    fig.update_xaxes(title_text="USD/MWh", row=1, col=2)
    fig.update_yaxes(autorange="reversed")
    return fig


def latency_figure(result: PlanResult) -> go.Figure:
    """Round-trip latency from chosen sites to demand centres, with the service level marked."""
    lat = result.latency_ms
    chosen = [s for s in result.chosen_sites if s in lat.index]
    table = lat.loc[chosen] if chosen else lat.iloc[:0]
    sla = result.scenario.policy.latency_sla_ms.get("inference", math.nan)
    text = [[f"{v:.0f}" + (" ✗" if math.isfinite(sla) and v > sla else "") for v in row]
            for row in table.to_numpy()]
    fig = go.Figure(go.Heatmap(
        z=table.to_numpy(), x=list(table.columns), y=chosen, colorscale="Blues",
        colorbar={"title": {"text": "RTT ms"}}, text=text, texttemplate="%{text}",
        hovertemplate="%{y} → %{x}: %{z:.1f} ms<extra></extra>",
    ))
    title = "Round-trip latency from chosen sites to demand centres [ms]"
    if math.isfinite(sla):
        title += f" (✗: above the {sla:g} ms inference service level)"
    fig.update_layout(**_LAYOUT, title=title, height=140 + 40 * max(1, len(chosen)))
    fig.update_yaxes(autorange="reversed")
    return fig


def robustness_figure(result: PlanResult, top: int = 12) -> go.Figure:
    """Probability of each rank when the scoring weights vary around the chosen ones."""
    fig = go.Figure()
    sens = result.sensitivity
    if sens is not None:
        probs = sens.rank_probabilities
        order = result.rankings["training"].table.index
        probs = probs.reindex(order[:top])
        ranks = [c for c in probs.columns if int(c) <= top]
        fig.add_trace(go.Heatmap(
            z=probs[ranks].to_numpy(), x=[str(r) for r in ranks], y=list(probs.index),
            colorscale="Greens", zmin=0, zmax=1, colorbar={"title": {"text": "probability"}},
            hovertemplate="%{y} at rank %{x}: %{z:.0%}<extra></extra>",
            texttemplate="%{z:.0%}",
        ))
        title = (f"Rank robustness (training profile): {sens.samples} weight draws, "
                 f"Dirichlet concentration {sens.concentration:g}")
    else:
        title = "Rank robustness: fewer than two ranked markets"
    fig.update_layout(**_LAYOUT, title=title, height=160 + 30 * min(top, len(fig.data[0].y) if fig.data else 1),
                      xaxis_title="rank", yaxis={"autorange": "reversed"})
    return fig


def risk_figure(result: PlanResult) -> go.Figure | None:
    """Under sampled futures: probability of meeting all demand, and mean and P90 shortfall."""
    risk = result.risk
    if risk is None:
        return None
    years = risk.years
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(x=list(years.index), y=years["shortfall_mean_mw"], name="mean shortfall",
                         marker_color=SHORTFALL_COLOUR, opacity=0.7), secondary_y=False)
    fig.add_trace(go.Scatter(x=list(years.index), y=years["shortfall_p90_mw"], name="P90 shortfall",
                             mode="lines+markers", line={"color": SHORTFALL_COLOUR, "dash": "dot"}),
                  secondary_y=False)
    fig.add_trace(go.Scatter(x=list(years.index), y=years["probability_met"],
                             name="probability all demand met", mode="lines+markers",
                             line={"color": "#009E73"}), secondary_y=True)
    s = risk.summary
    fig.update_layout(**_LAYOUT, height=360, title=(
        f"Risk over {s['samples']:,} sampled futures: cost mean ${s['cost_mean_usd'] / 1e9:,.2f} bn, "
        f"P90 ${s['cost_p90_usd'] / 1e9:,.2f} bn, CVaR95 ${s['cost_cvar95_usd'] / 1e9:,.2f} bn"),
        xaxis_title="year", legend={"orientation": "h", "y": -0.2})
    fig.update_yaxes(title_text="IT MW short", secondary_y=False)
    fig.update_yaxes(title_text="probability", tickformat=".0%", range=[0, 1.02], secondary_y=True)
    return fig


def all_figures(result: PlanResult) -> dict[str, go.Figure]:
    """The report's figures by section id, in page order."""
    figures = {
        "map": map_figure(result),
        "schedule": build_schedule_figure(result),
        "demand": demand_capacity_figure(result),
        "power": power_mix_figure(result),
        "latency": latency_figure(result),
        "robustness": robustness_figure(result),
    }
    risk = risk_figure(result)
    if risk is not None:
        figures["risk"] = risk
    return figures
