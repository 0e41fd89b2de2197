"""A one-line diagram of a designed chain as SVG text (grid to racks, generation and cooling).

Returns the SVG as a string for the report or the CLI to write; draws nothing else and writes no
file.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gridfirst.electrical.design import ElectricalDesign

_LABELS = {
    "hv_transformer": "HV intake / transformers", "mv_switchgear": "MV switchgear",
    "mv_lv_transformer": "MV/LV transformers", "lv_switchgear": "LV switchboards",
    "ups": "UPS", "busway": "Busways / PDUs", "diesel_genset": "Diesel gensets",
    "gas_genset": "Gas gensets", "fuel_cell": "Fuel cells", "chiller": "Chillers",
    "dry_cooler": "Dry coolers", "cdu": "CDUs",
}
_MAIN = ("hv_transformer", "mv_switchgear", "mv_lv_transformer", "lv_switchgear", "ups", "busway")


def one_line_svg(design: ElectricalDesign) -> str:
    """The design's one-line diagram: the main chain top to bottom, generation beside the MV bus,
    cooling on the right; each box gives installed count, needed count and unit rating."""
    rows = [("grid", f"Grid ({design.market_id or 'no market'})",
             f"A = {design.grid_availability:.5f}")]
    for name in _MAIN:
        c = design.counts[name]
        rating = design.equipment()[list(design.counts).index(name)]["rating_mw"]
        rows.append((name, _LABELS[name], f"{c.installed} x {rating:g} MW (need {c.needed})"))
    rows.append(("racks", f"{design.loads.racks} racks x {design.rack_kw:g} kW",
                 f"{design.it_mw:g} MW IT"))
    box_w, box_h, gap, x0, y0 = 250, 44, 26, 30, 60
    height = y0 + len(rows) * (box_h + gap) + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="720" height="{height}" '
        f'viewBox="0 0 720 {height}" font-family="sans-serif" font-size="12">',
        f'<text x="{x0}" y="24" font-size="15" font-weight="bold">{escape(design.topology.value)} '
        f'power chain: availability {design.availability:.6f}, '
        f'{design.downtime_hours_per_year:.2f} h/yr down</text>',
        f'<text x="{x0}" y="44">{escape(design.tier_met)}; '
        f'{design.capex_usd_per_mw / 1e6:.2f} M USD/MW of IT (USD 2024)</text>',
    ]
    for i, (_, title, detail) in enumerate(rows):
        y = y0 + i * (box_h + gap)
        parts.append(f'<rect x="{x0}" y="{y}" width="{box_w}" height="{box_h}" fill="#eef3fb" '
                     'stroke="#1f4e8c"/>')
        parts.append(f'<text x="{x0 + 8}" y="{y + 18}" font-weight="bold">{escape(title)}</text>')
        parts.append(f'<text x="{x0 + 8}" y="{y + 35}">{escape(detail)}</text>')
        if i:
            parts.append(f'<line x1="{x0 + box_w / 2}" y1="{y - gap}" x2="{x0 + box_w / 2}" '
                         f'y2="{y}" stroke="#1f4e8c" stroke-width="2"/>')
    side_x = x0 + box_w + 60
    mv_y = y0 + 2 * (box_h + gap)
    gen = [n for n in design.counts if n in ("diesel_genset", "gas_genset", "fuel_cell")]
    if gen:
        c = design.counts[gen[0]]
        parts.append(f'<rect x="{side_x}" y="{mv_y}" width="{box_w}" height="{box_h}" '
                     'fill="#fbf3e6" stroke="#8c5a1f"/>')
        parts.append(f'<text x="{side_x + 8}" y="{mv_y + 18}" font-weight="bold">'
                     f'{escape(_LABELS[gen[0]])}</text>')
        parts.append(f'<text x="{side_x + 8}" y="{mv_y + 35}">{c.installed} units (need {c.needed})'
                     '</text>')
        parts.append(f'<line x1="{side_x}" y1="{mv_y + box_h / 2}" x2="{x0 + box_w}" '
                     f'y2="{mv_y + box_h / 2}" stroke="#8c5a1f" stroke-width="2"/>')
    cool = [n for n in ("chiller", "dry_cooler", "cdu") if n in design.counts]
    for j, name in enumerate(cool):
        c = design.counts[name]
        y = y0 + (4 + j) * (box_h + gap)
        parts.append(f'<rect x="{side_x}" y="{y}" width="{box_w}" height="{box_h}" '
                     'fill="#e9f7ef" stroke="#1f7a4d"/>')
        parts.append(f'<text x="{side_x + 8}" y="{y + 18}" font-weight="bold">'
                     f'{escape(_LABELS[name])}</text>')
        parts.append(f'<text x="{side_x + 8}" y="{y + 35}">{c.installed} x (need {c.needed}), '
                     f'{c.load_mw:.1f} MW heat</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
