"""The report's electrical section: each chosen site's one-line diagram and its availability.

Shown only when the scenario designs its sites' power chains (``options.plan.electrical``); the
designs come from the resolve step, nothing is designed here.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from gridfirst.planning.run import PlanResult


def electrical_section(result: PlanResult) -> str:
    """A section with a table (availability, downtime, tier, cost per MW) and one SVG per chosen
    site that has a design; ``""`` when the plan has no electrical designs."""
    from gridfirst.electrical.diagram import one_line_svg
    from gridfirst.report.html import table_html

    resolved = result.resolved
    if resolved is None or not resolved.electrical:
        return ""
    chosen = [sid for sid in result.chosen_sites if sid in resolved.electrical]
    rows = []
    for sid in chosen:
        d = resolved.electrical[sid]
        rows.append({"site": sid, "topology": d.topology.value, "it_mw": d.it_mw,
                     "availability": f"{d.availability:.6f}",
                     "downtime_hours_per_year": d.downtime_hours_per_year,
                     "outages_per_year": d.outages_per_year, "tier": d.tier_met,
                     "electrical_capex_usd_per_mw": d.capex_usd_per_mw})
    parts = ['<section id="sec-electrical"><h2>Electrical: power chain and availability</h2>',
             '<p class="note">Each chosen site\'s chain from grid to racks (options.plan.electrical),'
             " its availability with the market's grid SAIDI/SAIFI, and its cost per MW of IT "
             "(USD 2024), which replaces the critical-capacity share of the construction cost. "
             "Space deals are the provider's and have no design.</p>"]
    if not rows:
        parts.append('<p class="note">No chosen site has a design.</p></section>')
        return "\n".join(parts)
    parts.append(table_html(pd.DataFrame(rows)))
    for sid in chosen:
        parts.append(f'<h3>{html.escape(sid)}</h3><div class="gf-oneline" data-site="'
                     f'{html.escape(sid)}">{one_line_svg(resolved.electrical[sid])}</div>')
    parts.append("</section>")
    return "\n".join(parts)
