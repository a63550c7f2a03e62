"""Small inline SVG figures for the report (a dental chart, histograms): text in the page,
crisp at any zoom, and no figure library or external file needed to show them."""

from __future__ import annotations

from html import escape

import numpy as np

UPPER = [f"1{p}" for p in range(8, 0, -1)] + [f"2{p}" for p in range(1, 9)]
LOWER = [f"4{p}" for p in range(8, 0, -1)] + [f"3{p}" for p in range(1, 9)]


def score_colour(value: float | None, low: float = 0.6) -> str:
    """Red (``low`` or less) through yellow to green (1.0); grey for no score."""
    if value is None:
        return "#d9d9d9"
    t = float(np.clip((value - low) / (1.0 - low), 0.0, 1.0))
    if t < 0.5:
        r, g = 220, int(60 + 2 * t * 150)
    else:
        r, g = int(220 - 2 * (t - 0.5) * 170), 210
    return f"#{r:02x}{g:02x}50"


def dental_chart(per_tooth: dict[str, float], title: str = "per-tooth Dice") -> str:
    """The 32 FDI positions as a chart seen from the front (patient's right on the left),
    each coloured and labelled by its score."""
    cell, gap, top = 46, 4, 22
    width = 16 * (cell + gap) + 14
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{top + 2 * (cell + 18) + 8}" '
             f'viewBox="0 0 {width} {top + 2 * (cell + 18) + 8}">',
             f'<text x="4" y="14" class="svg-title">{escape(title)} (upper jaw above, lower below; patient\'s right on the left)</text>']
    for row, teeth in enumerate((UPPER, LOWER)):
        y = top + row * (cell + 18)
        for i, fdi in enumerate(teeth):
            x = 4 + i * (cell + gap) + (10 if i >= 8 else 0)
            value = per_tooth.get(fdi)
            shown = "–" if value is None else f"{value:.2f}"
            parts.append(f'<g data-fdi="{fdi}"><title>{fdi}: {shown}</title>'
                         f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" rx="9" fill="{score_colour(value)}" stroke="#555"/>'
                         f'<text x="{x + cell / 2}" y="{y + 18}" text-anchor="middle" class="fdi">{fdi}</text>'
                         f'<text x="{x + cell / 2}" y="{y + 36}" text-anchor="middle" class="val">{shown}</text></g>')
    middle = 4 + 8 * (cell + gap) + 3
    parts.append(f'<line x1="{middle}" y1="{top - 4}" x2="{middle}" y2="{top + 2 * (cell + 18)}" stroke="#888" stroke-dasharray="3 3"/>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(values: list[float], title: str, low: float | None = None, high: float | None = None, bins: int = 20,
              colour: str = "#4a7ab8") -> str:
    """A bar histogram of ``values`` between ``low`` and ``high`` (their range when not given)."""
    values = [float(v) for v in values if v is not None and np.isfinite(v)]
    if not values:
        return f"<p>{escape(title)}: no values.</p>"
    low = min(values) if low is None else low
    high = max(values) if high is None else high
    if high <= low:
        low, high = low - 0.5, high + 0.5
    counts, edges = np.histogram(values, bins=bins, range=(low, high))
    width, height, left, bottom = 560, 210, 36, 34
    plot_w, plot_h = width - left - 10, height - bottom - 24
    most = max(int(counts.max()), 1)
    bar = plot_w / bins
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<text x="{left}" y="14" class="svg-title">{escape(title)}</text>',
             f'<line x1="{left}" y1="{24 + plot_h}" x2="{left + plot_w}" y2="{24 + plot_h}" stroke="#555"/>',
             f'<text x="{left - 4}" y="{24 + 4}" text-anchor="end" class="tick">{most}</text>',
             f'<text x="{left - 4}" y="{24 + plot_h}" text-anchor="end" class="tick">0</text>']
    for i, n in enumerate(counts):
        h = plot_h * int(n) / most
        parts.append(f'<rect x="{left + i * bar + 1:.1f}" y="{24 + plot_h - h:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" '
                     f'fill="{colour}"><title>{edges[i]:.3f} to {edges[i + 1]:.3f}: {int(n)} images</title></rect>')
    for i in range(0, bins + 1, max(1, bins // 5)):
        parts.append(f'<text x="{left + i * bar:.1f}" y="{24 + plot_h + 16}" text-anchor="middle" class="tick">{edges[i]:.3g}</text>')
    parts.append("</svg>")
    return "".join(parts)
