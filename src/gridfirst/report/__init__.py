"""The HTML report of a plan: plotly figures and one self-contained page that opens offline.

:func:`write_report` writes it; :mod:`gridfirst.report.figures` holds the figures.
"""

from __future__ import annotations

from gridfirst.report.html import report_html, write_report

__all__ = ["report_html", "write_report"]
