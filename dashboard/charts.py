"""The dashboard's charts, drawn on the server as SVG with pygal.

Each chart is embedded as an `<img>` with a `data:` URL: an SVG shown as an image runs no
script and loads nothing, so the site's strict Content-Security-Policy (which allows
`data:` images) needs no exception, and the page costs no second request. pygal's
tooltip script is left out (`js=[]`); the figures are in a table beside each chart.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import pygal
from pygal.style import Style

# pygal appends a legacy import hook for its map plugins to sys.meta_path (it has only
# `find_module`), and Python warns (ImportWarning) at every import that reaches it.
# Kindnet draws no pygal map: the hook goes.
sys.meta_path[:] = [
    finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"
]

#: The admin's colours, and a font every system has.
CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#333333",
    foreground_strong="#222222",
    foreground_subtle="#767676",
    colors=("#417690", "#79aec8", "#e39b2d", "#5b8c5a"),
    font_family="Helvetica, Arial, sans-serif",
    label_font_size=12,
    major_label_font_size=12,
    title_font_size=15,
    value_font_size=11,
)
CHART_OPTIONS = {
    "style": CHART_STYLE,
    "js": [],  # no tooltip script: an image runs none anyway
    "width": 640,
    "height": 320,
    "show_legend": False,
    "print_values": False,
    "margin": 12,
    "disable_xml_declaration": False,
}


def growth_chart(labels: Sequence[str], totals: Sequence[int], *, title: str) -> str:
    """Members in the network at the end of each month, as a data: URL."""
    chart = pygal.Line(
        **CHART_OPTIONS,
        fill=True,
        show_dots=False,
        x_label_rotation=0,
        truncate_label=-1,
        show_minor_x_labels=False,
        x_labels_major_every=max(1, len(labels) // 6),
        include_x_axis=True,
    )
    chart.title = title
    chart.x_labels = list(labels)
    chart.add(title, list(totals))
    return chart.render_data_uri()


def region_chart(labels: Sequence[str], counts: Sequence[int], *, title: str) -> str:
    """Active members by region or canton, the largest first, as a data: URL."""
    chart = pygal.HorizontalBar(
        **{**CHART_OPTIONS, "height": max(160, 40 + 26 * len(labels))}, truncate_label=-1
    )
    chart.title = title
    # pygal draws a horizontal bar chart from the bottom up: reverse to read top-down.
    chart.x_labels = list(reversed(labels))
    chart.add(title, list(reversed(counts)))
    return chart.render_data_uri()
