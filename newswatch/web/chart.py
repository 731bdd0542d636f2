"""A small line chart of articles per week per source, drawn as SVG on the server.

No JavaScript and no charting dependency: a few dozen elements with axes, gridlines and a legend.
Every label goes through ``escape`` because source names come from configuration and the archive.
Colours are presentation attributes, not inline styles, so the page's CSP needs no 'unsafe-inline'.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from html import escape

PALETTE = (
    "#1f6feb", "#d1242f", "#1a7f37", "#9a6700", "#8250df",
    "#bf3989", "#0a7d8c", "#6e7781", "#fb8500", "#3d5a80",
)  # fmt: skip
WIDTH, PLOT_HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 40
LEGEND_ROW = 20
LEGEND_COLUMNS = 3


def _nice_ceiling(value: int) -> int:
    """The axis maximum: four equal whole-number steps (1, 2, 3, 4, 5, 6 or 8 times a power of ten)."""
    raw_step = max(value, 1) / 4
    magnitude = 10 ** int(math.floor(math.log10(raw_step))) if raw_step >= 1 else 1
    for factor in (1, 2, 3, 4, 5, 6, 8, 10):
        if raw_step <= factor * magnitude:
            return int(4 * factor * magnitude)
    return int(40 * magnitude)  # pragma: no cover - the loop always returns


def _text(x: float, y: float, label: str, anchor: str = "middle", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="#57606a">{escape(label)}</text>'
    )


def weekly_chart_svg(weeks: Sequence[dt.date], series: Mapping[str, Sequence[int]], title: str) -> str:
    """An SVG document fragment: one line per source over the given Monday-dated weeks."""
    names = list(series)
    legend_rows = math.ceil(len(names) / LEGEND_COLUMNS) if names else 1
    height = TOP + PLOT_HEIGHT + BOTTOM + legend_rows * LEGEND_ROW + 8
    plot_w = WIDTH - LEFT - RIGHT
    top_value = _nice_ceiling(max((max(values, default=0) for values in series.values()), default=0))
    count = max(len(weeks), 1)

    def x_of(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / count)

    def y_of(v: float) -> float:
        return TOP + PLOT_HEIGHT - PLOT_HEIGHT * v / top_value

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" class="chart" '
        f'role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">{escape(title)}</title>',
    ]
    for tick in range(5):
        value = top_value * tick / 4
        y = y_of(value)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>')
        parts.append(_text(LEFT - 6, y + 4, f"{value:,.0f}", anchor="end"))
    axis_y = TOP + PLOT_HEIGHT
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{axis_y}" y2="{axis_y}" stroke="#57606a"/>')
    parts.append(f'<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{axis_y}" stroke="#57606a"/>')
    label_every = max(1, math.ceil(count / 8))
    for i, monday in enumerate(weeks):
        if i % label_every == 0 or i == count - 1:
            parts.append(_text(x_of(i), axis_y + 16, monday.strftime("%d %b")))
    parts.append(_text(LEFT + plot_w / 2, axis_y + 32, "week starting (Monday, UTC)", size=10))
    for n, name in enumerate(names):
        colour = PALETTE[n % len(PALETTE)]
        values = list(series[name])
        points = " ".join(f"{x_of(i):.1f},{y_of(v):.1f}" for i, v in enumerate(values))
        parts.append(f"<g><title>{escape(name)}</title>")
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for i, v in enumerate(values):
            parts.append(
                f'<circle cx="{x_of(i):.1f}" cy="{y_of(v):.1f}" r="3" fill="{colour}">'
                f"<title>{escape(name)}: {v} in week of {weeks[i].isoformat()}</title></circle>"
            )
        parts.append("</g>")
    legend_top = TOP + PLOT_HEIGHT + BOTTOM + 4
    column_w = (WIDTH - LEFT) / LEGEND_COLUMNS
    for n, name in enumerate(names):
        x = LEFT + column_w * (n % LEGEND_COLUMNS)
        y = legend_top + LEGEND_ROW * (n // LEGEND_COLUMNS)
        colour = PALETTE[n % len(PALETTE)]
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="12" height="12" fill="{colour}"/>')
        parts.append(_text(x + 18, y + 10, name[:40], anchor="start", size=12))
    if not names:
        parts.append(_text(LEFT + plot_w / 2, TOP + PLOT_HEIGHT / 2, "no articles in these weeks", size=13))
    parts.append("</svg>")
    return "\n".join(parts)
