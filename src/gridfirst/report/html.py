"""One self-contained HTML file of a plan: plotly.js and the world outline inlined, no network use.

Assembles the figures of :mod:`gridfirst.report.figures` and the tables of a plan into a page
that opens offline; it computes nothing about the plan itself.
"""

from __future__ import annotations

import html
import json
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from gridfirst.planning.run import PlanResult

#: plotly.js looks geo outlines up here before it would fetch them from its CDN.
TOPOJSON_NAME = "world_110m"
#: Plotly config of every figure: no logo, no link out, no MathJax (nothing to fetch).
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True,
                 "typesetMath": False, "topojsonURL": ""}

_CSS = """
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#12355b;color:#fff;padding:18px 32px}
header h1{margin:0 0 4px 0;font-size:24px}
header p{margin:0;opacity:.85}
main{max-width:1200px;margin:0 auto;padding:12px 32px 48px}
section{background:#fff;border:1px solid #e3e3e3;border-radius:6px;margin:18px 0;padding:12px 18px}
section h2{font-size:18px;margin:6px 0 8px}
.kpis{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}
.kpi{background:#fff;border:1px solid #e3e3e3;border-radius:6px;padding:10px 16px;min-width:150px}
.kpi .v{font-size:22px;font-weight:bold}.kpi .l{font-size:12px;color:#555}
.kpi.bad .v{color:#D55E00}
table{border-collapse:collapse;width:100%;font-size:12px}
th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:left;vertical-align:top;overflow-wrap:break-word}
td a{white-space:nowrap}
th{background:#f3f3f3}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:12px}
.short{border-left:4px solid #D55E00}
"""


def _asset(name: str) -> str:
    return (resources.files("gridfirst") / "report" / "assets" / name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """plotly.min.js as bundled with the ``plotly`` Python package."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


@lru_cache(maxsize=1)
def geo_assets_script() -> str:
    """``window.PlotlyGeoAssets`` with the bundled Natural Earth outline, set before plotly.js."""
    topojson = json.loads(_asset("world_110m.json"))
    payload = json.dumps({"topojson": {TOPOJSON_NAME: topojson}}, separators=(",", ":"))
    return "window.PlotlyGeoAssets = " + payload.replace("</", "<\\/") + ";"


def figure_div(fig: Any, div_id: str) -> str:
    """A figure as a ``<div>`` plus the script that draws it (plotly.js not included)."""
    import plotly.io as pio

    return str(pio.to_html(fig, full_html=False, include_plotlyjs=False, div_id=div_id,
                           config=PLOTLY_CONFIG, include_mathjax=False))


def _fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        if value != 0 and (abs(value) >= 1e6):
            return f"{value:,.0f}"
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    return str(value)


def table_html(frame: pd.DataFrame, columns: list[str] | None = None, max_rows: int = 400,
               links: str | None = None) -> str:
    """A DataFrame as an HTML table (escaped; numbers right-aligned)."""
    cols = columns or list(frame.columns)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in cols)
    body = []
    for _, row in frame.head(max_rows).iterrows():
        cells = []
        for c in cols:
            v = row.get(c)
            text = html.escape(_fmt(v))
            if c == links and text:
                # the host as the link's text keeps the column narrow; the full URL is the target
                from urllib.parse import urlsplit

                host = html.escape(urlsplit(_fmt(v)).netloc or "link")
                text = f'<a href="{text}" rel="noreferrer" title="{text}">{host}</a>'
            css = ' class="num"' if isinstance(v, int | float) and not isinstance(v, bool) else ""
            cells.append(f"<td{css}>{text}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = (f'<p class="note">{len(frame) - max_rows} more rows in the CSV file.</p>'
            if len(frame) > max_rows else "")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _kpis(result: PlanResult) -> str:
    summary = result.to_dict()
    short = summary.get("plan_shortfall_mw_years", summary["shortfall_mw_years"])
    structural = summary.get("structural_shortfall_mw_years", 0.0)
    items = [
        ("cash cost (NPV)", f"${summary.get('cash_cost_usd', summary['total_cost_usd']) / 1e9:,.2f} bn",
         False),
        ("penalties (NPV, not cash)", f"${summary.get('penalty_cost_usd', 0.0) / 1e9:,.2f} bn", False),
        (f"IT MW online in {summary['horizon']['end_year']}", f"{summary['online_mw_end']:,.0f}", False),
        ("sites chosen", str(len(summary["chosen_sites"])), False),
        ("unmet demand (MW-years)", f"{short:,.0f}", short > 0),
        ("structural shortfall (MW-years)", f"{structural:,.0f}", False),
        ("hourly CFE target", f"{summary['cfe_target']:.0%}", False),
        ("solver status", str(summary["status"]), False),
    ]
    cells = "".join(
        f'<div class="kpi{" bad" if bad else ""}"><div class="v">{html.escape(v)}</div>'
        f'<div class="l">{html.escape(label)}</div></div>'
        for label, v, bad in items
    )
    return f'<div class="kpis">{cells}</div>'


def _shortfall_section(result: PlanResult) -> str:
    short = result.portfolio.shortfalls
    if short.empty:
        return '<p class="note">Every region\'s demand is met in every year.</p>'
    total = short["mw"].sum()
    lines = [
        f'<p><b>{total:,.0f} MW-years of demand are not met.</b> Each row names the constraint '
        "families that bind, found by relaxing them one at a time in the plan's LP while no "
        "other demand may go shorter, and how many of the missing MW relaxing them would serve; "
        "where capacity that could serve the demand goes to other demand, the row says so. The "
        "binding-constraints table gives the value of 1 MW more of each binding limit.</p>",
        table_html(short.sort_values(["year", "region"]),
                   ["region", "year", "workload", "mw", "binding", "explanation"]),
    ]
    return '<div class="short">' + "".join(lines) + "</div>"


_SECTIONS = [
    ("map", "Where: candidate markets and chosen sites",
     "Markets coloured by score (training profile; inference where screened out for training), "
     "chosen sites sized by peak IT MW, lines from each site to the demand centres it serves."),
    ("schedule", "How much and when: build schedule", ""),
    ("demand", "Demand vs capacity", "Hover a red bar for why the demand is not met."),
    ("power", "How powered: each chosen site's supply",
     "From the hourly 24/7 procurement LP at the policy's CFE target (per 100 MW flat load)."),
    ("latency", "Latency to demand centres", ""),
    ("robustness", "How robust is the ranking", "Probability of each rank under sampled weights."),
    ("risk", "What if: risk", ""),
]


def report_html(result: PlanResult) -> str:
    """The whole report as one HTML string (no external reference of any kind)."""
    from gridfirst.report.assumptions import assumptions_table
    from gridfirst.report.electrical import electrical_section
    from gridfirst.report.figures import all_figures

    scenario = result.scenario
    figures = all_figures(result)
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>gridfirst plan: {html.escape(scenario.name)}</title>",
        f"<style>{_CSS}</style>",
        f"<script>{geo_assets_script()}</script>",
        f"<script>{plotly_js()}</script>",
        "</head><body>",
        f"<header><h1>gridfirst plan: {html.escape(scenario.name)}</h1>"
        f"<p>{html.escape(scenario.description)}</p><p>Money in USD of "
        f"{scenario.currency_year}; horizon {scenario.horizon.start_year} to "
        f"{scenario.horizon.end_year}.</p></header><main>",
        _kpis(result),
    ]
    for key, title, note in _SECTIONS:
        if key not in figures:
            continue
        parts.append(f'<section id="sec-{key}"><h2>{html.escape(title)}</h2>')
        if note:
            parts.append(f'<p class="note">{html.escape(note)}</p>')
        parts.append(f'<div class="gf-figure" data-figure="{key}">{figure_div(figures[key], f"fig-{key}")}</div>')
        if key == "demand":
            parts.append("<h3>Shortfalls and why</h3>" + _shortfall_section(result))
        if key == "power":
            parts.append(table_html(_power_table(result)))
            parts.append(_carbon_section(result))
        parts.append("</section>")
    parts.append(_fleet_section(result))
    parts.append(_tornado_section(result))
    from gridfirst.report.alternatives import alternatives_section

    parts.append(alternatives_section(result))
    from gridfirst.report.robust import robust_section

    parts.append(robust_section(result.robust))
    parts.append(_compliance_section(result))
    parts.append(electrical_section(result))
    parts.append('<section id="sec-binding"><h2>Binding constraints</h2><p class="note">Shadow '
                 "prices from the plan's LP with its yes/no decisions fixed.</p>"
                 + table_html(result.portfolio.binding.head(25)) + "</section>")
    parts.append('<section id="sec-assumptions"><h2>Assumptions and sources</h2>'
                 + table_html(assumptions_table(result), links="url") + "</section>")
    notes = list(result.rankings["training"].notes) + [result.latency_source, *result.notes]
    parts.append('<section id="sec-notes"><h2>Notes</h2><ul>'
                 + "".join(f"<li>{html.escape(str(n))}</li>" for n in notes) + "</ul></section>")
    parts.append("</main></body></html>")
    return "\n".join(parts)


def _fleet_section(result: PlanResult) -> str:
    """The training sites procured as one flexible fleet (``options.plan.flexible_training_share``)."""
    fleet = result.fleet
    if fleet is None:
        return ""
    transfer = ("no limit" if not math.isfinite(fleet.transfer_mw)
                else f"at most {fleet.transfer_mw:,.0f} MW between two sites")
    note = (f"{fleet.share:.0%} of each training site's load may move within the day and between "
            f"the sites ({transfer}). The fleet's 24/7 procurement costs "
            f"{fleet.objective_usd / 1e6:,.1f} M USD/yr ({fleet.cost_usd_per_mwh:,.2f} USD/MWh, "
            f"hourly CFE {fleet.cfe_score:.1%}) against {fleet.independent_objective_usd / 1e6:,.1f} "
            f"M USD/yr (hourly CFE {fleet.independent_cfe_score:.1%}) with each site on its own: "
            f"{fleet.savings_share:.1%} less.")
    return ('<section id="sec-fleet"><h2>Flexible training: the sites as one fleet</h2>'
            f'<p class="note">{html.escape(note)}</p>' + table_html(fleet.sites) + "</section>")


def _tornado_section(result: PlanResult) -> str:
    """The sensitivity tornado, when the plan was run with one (``gridfirst plan --sensitivity``)."""
    if result.tornado is None:
        return ""
    from gridfirst.report.tornado import tornado_figure

    return ('<section id="sec-tornado"><h2>What moves the plan: sensitivity</h2><p class="note">'
            "Each assumption swung low and high and the portfolio solved again (procurement as "
            "resolved).</p>" + figure_div(tornado_figure(result.tornado), "fig-tornado")
            + table_html(result.tornado.table) + "</section>")


def _compliance_section(result: PlanResult) -> str:
    """Who may put which chips where: each candidate market's export-control status."""
    resolved = result.resolved
    head = '<section id="sec-compliance"><h2>Compliance: export controls</h2>'
    buyer = result.scenario.buyer
    if resolved is None or resolved.compliance is None or buyer is None:
        return (head + '<p class="note">The scenario names no buyer, so export controls were not '
                "evaluated (add <code>buyer: {jurisdiction, accelerators}</code>).</p></section>")
    from gridfirst.resolve.resolved import as_of

    table = resolved.compliance.reset_index()[
        ["market_id", "country", "status", "rule", "effective", "licence_lead_time_months",
         "denial_probability", "fdi_lead_time_months", "citation", "source_id"]]
    note = (f"A {html.escape(buyer.jurisdiction)} buyer of "
            f"{html.escape(', '.join(buyer.accelerators))}, rules as of {as_of(result.scenario)}."
            " Markets under a presumption of denial or prohibition are screened out; where a "
            "licence is required its wait joins the lead time and its denial odds the risk.")
    return head + f'<p class="note">{note}</p>' + table_html(table) + "</section>"


def _carbon_section(result: PlanResult) -> str:
    """The plan's hourly CFE and Scope 2 emissions by year."""
    from gridfirst.planning.carbon import BASIS, plan_carbon

    _, by_year = plan_carbon(result)
    if by_year.empty:
        return ""
    table = by_year.assign(
        facility_gwh=by_year["facility_mwh"] / 1000.0,
        scope2_location_kt=by_year["scope2_location_tco2"] / 1000.0,
        scope2_market_kt=by_year["scope2_market_tco2"] / 1000.0,
    )[["year", "facility_gwh", "cfe_score", "scope2_location_kt", "scope2_market_kt"]]
    return ("<h3>Carbon of the plan: hourly CFE and Scope 2</h3>"
            f'<p class="note">{html.escape(BASIS)}.</p>' + table_html(table)
            + _ppa_part(result))


def _ppa_part(result: PlanResult) -> str:
    """The plan's PPAs: the sites each serves and, per year, its MWh credited and matched."""
    contracts = result.contracts
    if contracts is None or contracts.shares.empty:
        return ""
    shares = contracts.shares
    table = shares.groupby(["deal", "year"], as_index=False).agg(
        sites=("site", lambda s: ", ".join(sorted(set(s)))),
        credited_gwh=("credited_mwh", "sum"), matched_gwh=("matched_mwh", "sum"),
        settlement_musd=("settlement_usd", "sum"))
    table["matched_share"] = table["matched_gwh"] / table["credited_gwh"]
    table[["credited_gwh", "matched_gwh"]] /= 1000.0
    table["settlement_musd"] /= 1e6
    note = ("Each PPA the plan takes supplies its technology's hourly output x its MW to the "
            "sites it serves, split pro rata to their load and credited once; matched is what "
            "their load uses hour by hour. The contract for difference settles strike minus the "
            "hourly price on all its output (negative: the buyer receives).")
    return ("<h3>PPAs hour by hour</h3>" + f'<p class="note">{html.escape(note)}</p>'
            + table_html(table[["deal", "year", "sites", "credited_gwh", "matched_gwh",
                                "matched_share", "settlement_musd"]]))


def _power_table(result: PlanResult) -> pd.DataFrame:
    """Each chosen site's power: its supply by option and contract, cost, CFE and whether the
    market's options reach the target. A space deal runs on its grid's mix (its CFE is the grid's
    clean share; certificates in its terms are not modelled), so it shows no supply of its own."""
    proc = result.procurement
    sites = result.portfolio.inputs.sites
    markets = {m.id: m for m in result.scenario.resolved_markets()}
    deal_ids = {d.id for d in result.scenario.deals}
    rows = []
    for sid in result.chosen_sites:
        market_id = str(sites.at[sid, "market"]) if sid in sites.index else sid
        if sid in deal_ids:
            market = markets.get(market_id)
            rows.append({"site": sid, "power": "grid mix (space deal)",
                         "supply by option": "the provider's grid supply; no certificates in its terms",
                         "cost_usd_per_mwh": float(sites.at[sid, "energy_usd_per_mwh"])
                         if "energy_usd_per_mwh" in sites.columns else float("nan"),
                         "cfe_score": float(market.grid_cfe_share) if market is not None else float("nan"),
                         "target met": "no (grid mix)"})
            continue
        key = sid if sid in proc.index else market_id
        if key not in proc.index:
            continue
        r = proc.loc[key]
        supply = r.get("supply") if hasattr(r, "get") else None
        parts = []
        if isinstance(supply, list):
            for item in supply:
                if float(item.get("mw", 0.0)) > 0.05:
                    parts.append(f"{item['option']} {float(item['mw']):,.0f} MW ({item['contract']})")
        met = r.get("cfe_target_met", True) if hasattr(r, "get") else True
        rows.append({"site": sid, "power": f"procured as {key}",
                     "supply by option": "; ".join(parts) or "grid only",
                     "cost_usd_per_mwh": float(r["cost_usd_per_mwh"]),
                     "cfe_score": float(r["cfe_score"]),
                     "target met": "yes" if bool(met) else "no: the market's options fall short"})
    return pd.DataFrame(rows)


def write_report(result: PlanResult, path: str | Path) -> Path:
    """Write :func:`report_html` to ``path`` (UTF-8) and return the path."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report_html(result), encoding="utf-8")
    return out
