"""Tiny inline-SVG charts for the HTML report (no JavaScript, no CDN, prints as it shows).

Values are fractions 0..1 unless said otherwise; ``None`` draws as "n/a" rather than as 0, so
"no data" never looks like "bad".
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["SERIES_COLOURS", "bar_chart", "scatter_chart"]

SERIES_COLOURS = ("#2563eb", "#f59e0b", "#10b981", "#ef4444")
_LABEL_W = 190
_BAR_H = 14
_GAP = 10
_PLOT_W = 420


def _text(x: float, y: float, body: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{escape(v)}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}"{extra}>{escape(body)}</text>'


def bar_chart(
    title: str,
    series: Sequence[str],
    rows: Sequence[tuple[str, Sequence[float | None]]],
    *,
    show_missing: bool = True,
) -> str:
    """Horizontal grouped bars: one group per row label, one bar per series (0..1).

    ``show_missing=False`` leaves a series out silently where it does not apply.
    """
    group_h = len(series) * _BAR_H + _GAP
    top = 46
    height = top + len(rows) * group_h + 30
    width = _LABEL_W + _PLOT_W + 70
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui,sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        _text(8, 18, title, font_weight="600", font_size="14"),
    ]
    for i, name in enumerate(series):  # legend
        lx = _LABEL_W + i * 110
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        out.append(f'<rect x="{lx}" y="26" width="10" height="10" fill="{colour}"/>')
        out.append(_text(lx + 14, 35, name))
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = _LABEL_W + tick * _PLOT_W
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{height - 24}" '
            'stroke="#e5e7eb" stroke-width="1"/>'
        )
        out.append(_text(x, height - 10, f"{tick:.0%}", text_anchor="middle", fill="#6b7280"))
    for r, (label, values) in enumerate(rows):
        y0 = top + r * group_h
        out.append(_text(_LABEL_W - 8, y0 + len(series) * _BAR_H / 2 + 4, label, text_anchor="end"))
        for s, value in enumerate(values):
            y = y0 + s * _BAR_H
            colour = SERIES_COLOURS[s % len(SERIES_COLOURS)]
            if value is None:
                if show_missing:
                    out.append(_text(_LABEL_W + 4, y + 11, "n/a", fill="#9ca3af"))
                continue
            w = max(0.0, min(1.0, value)) * _PLOT_W
            tip = escape(f"{label} {series[s]}: {value:.1%}")
            out.append(
                f'<rect x="{_LABEL_W}" y="{y}" width="{w:.1f}" height="{_BAR_H - 2}" '
                f'fill="{colour}"><title>{tip}</title></rect>'
            )
            out.append(_text(_LABEL_W + w + 4, y + 11, f"{value:.0%}", fill="#374151"))
    out.append("</svg>")
    return "\n".join(out)


def scatter_chart(
    title: str,
    x_label: str,
    y_label: str,
    points: Sequence[tuple[str, float, float | None]],
) -> str:
    """Labelled points; x is any non-negative quantity (scaled to its max), y is 0..1."""
    width, height = 640, 320
    left, right, top, bottom = 60, 30, 40, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    x_max = max((x for _, x, _ in points), default=0.0) or 1.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui,sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        _text(8, 18, title, font_weight="600", font_size="14"),
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
        'stroke="#6b7280"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#6b7280"/>',
        _text(left + plot_w / 2, height - 10, x_label, text_anchor="middle", fill="#374151"),
        _text(
            14,
            top + plot_h / 2,
            y_label,
            text_anchor="middle",
            fill="#374151",
            transform=f"rotate(-90 14 {top + plot_h / 2})",
        ),
    ]
    for tick in (0, 0.5, 1.0):
        y = top + plot_h * (1 - tick)
        out.append(_text(left - 6, y + 4, f"{tick:.0%}", text_anchor="end", fill="#6b7280"))
        x = left + plot_w * tick
        out.append(_text(x, top + plot_h + 16, f"{x_max * tick:.4g}", text_anchor="middle"))
    placed: list[tuple[float, float, float]] = []  # label boxes: x0, x1, baseline
    for i, (label, x, value) in enumerate(points):
        if value is None:
            continue
        cx = left + plot_w * (x / x_max)
        cy = top + plot_h * (1 - value)
        anchor = "end" if cx > left + plot_w * 0.6 else "start"
        text_w = len(label) * 7.0  # rough width at 12px, enough to keep labels apart
        x0 = cx - 9 - text_w if anchor == "end" else cx + 9
        label_y = cy - 8
        while any(x0 < b1 and x0 + text_w > b0 and abs(by - label_y) < 13 for b0, b1, by in placed):
            label_y -= 13  # stack labels of nearby points instead of overprinting them
        placed.append((x0, x0 + text_w, label_y))
        colour = SERIES_COLOURS[i % len(SERIES_COLOURS)]
        out.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{colour}">'
            f"<title>{escape(f'{label}: {x:.4g}, {value:.1%}')}</title></circle>"
        )
        dx = -9 if anchor == "end" else 9
        out.append(_text(cx + dx, label_y, label, text_anchor=anchor))
    out.append("</svg>")
    return "\n".join(out)
