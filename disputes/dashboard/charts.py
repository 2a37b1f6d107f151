"""The dashboard's charts: server-side SVG from pygal (no JavaScript, no CDN).

Each chart is shown as an image (a data: URI), not inline SVG: pygal's markup carries a <style>
element, a style attribute and a configuration <script>, which the page's Content-Security-Policy
rightly blocks, while an SVG image keeps its own styles and never runs scripts.
"""

import base64
import functools

from django.utils.translation import gettext_lazy as _

from disputes.dashboard.board import Dashboard
from disputes.dashboard.figures import FLOW_LABELS, TREND_MEASURES


def _chart_style():
    from pygal.style import Style

    return Style(
        background="transparent",
        plot_background="transparent",
        font_family='system-ui, "Noto Sans CJK SC", "Microsoft YaHei", sans-serif',
        colors=("#198754", "#0d6efd", "#fd7e14", "#6c757d", "#dc3545", "#6f42c1"),
        # The SVG is drawn 600 wide and shown at about 480 (a half-width card): large type.
        label_font_size=16,
        major_label_font_size=16,
        legend_font_size=17,
        value_font_size=15,
        title_font_size=19,
    )


@functools.lru_cache(maxsize=256)
def _draw(kind: str, title: str, x_labels: tuple, series: tuple, options: tuple) -> str:
    """One chart's SVG as a data: URI. Memoised on its inputs (the figures and the translated labels): drawing
    costs pygal about 20 ms a chart, and the figures change far less often than pages are viewed."""
    import pygal

    chart = getattr(pygal, kind)(
        title=title,
        style=_chart_style(),
        js=[],  # pygal's tooltip script comes from a CDN by default: none here
        disable_xml_declaration=True,
        width=600,
        legend_at_bottom=True,
        show_y_guides=True,
        truncate_label=-1,  # never cut "2026-03" to "20…"
        max_scale=6,  # a few y labels, not one per unit
        x_label_rotation=30 if kind in ("Line", "Bar") else 0,
        **dict(options),
    )
    if x_labels:
        chart.x_labels = list(x_labels)
    for name, values in series:
        chart.add(name, list(values) if isinstance(values, tuple) else values)
    svg = chart.render(is_unicode=True).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def charts_for(board: Dashboard) -> dict[str, str]:
    """The charts as data: URIs of SVG images; the page shows the same numbers in tables."""
    labels = {key: str(label) for key, label in FLOW_LABELS.items()}
    weeks, months = board.trends.weeks, board.trends.months
    weekly = _draw(
        "Line",
        str(_("Weekly trend")),
        tuple(f"{w['start']:%m-%d}" if i % 2 == 0 else "" for i, w in enumerate(weeks)),
        tuple((labels[k], tuple(w[k] for w in weeks)) for k in ("received", "resolved")),
        (("height", 320), ("include_x_axis", True)),
    )
    monthly = _draw(
        "Bar",
        str(_("Monthly trend")),
        tuple(f"{m['start']:%y-%m}" for m in months),
        tuple((labels[k], tuple(m[k] for m in months)) for k in TREND_MEASURES),
        (("height", 320),),
    )
    categories = sorted((r for r in board.flows.by_category if r["received"]), key=lambda r: r["received"])
    by_category = _draw(
        "HorizontalBar",
        str(_("Received by category")),
        tuple(str(r["category"]) for r in categories),
        ((labels["received"], tuple(r["received"] for r in categories)),),
        (("height", max(240, 30 * len(categories) + 100)), ("show_legend", False)),
    )
    by_source = _draw(
        "Pie",
        str(_("Received by source")),
        (),
        tuple((str(r["label"]), r["received"]) for r in board.flows.by_source if r["received"]),
        (("height", 320), ("inner_radius", 0.45)),
    )
    return {"weekly": weekly, "monthly": monthly, "by_category": by_category, "by_source": by_source}
