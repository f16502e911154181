"""Small, legible SVG charts written by hand (no JavaScript, no network): a trust's position
within its peer group's quartiles, and its trend over cycles. Text is escaped; every number
drawn has already been through the disclosure rule by the caller."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH = 720
LABEL_WIDTH = 190
ROW_HEIGHT = 30
TRUST_COLOUR = "#005eb8"  # NHS blue
NATIONAL_COLOUR = "#d5281b"
BOX_COLOUR = "#aeb7bd"
SERIES_COLOURS = ("#005eb8", "#007f3b", "#ed8b00", "#7c2855")


@dataclass(frozen=True)
class PeerPosition:
    label: str
    q1: float
    median: float
    q3: float
    trust: float | None  # None when the trust's figure is suppressed or missing
    national: float | None
    scale_max: float  # 100 for percentages


def peer_positions_svg(positions: list[PeerPosition]) -> str:
    """One row per indicator: the peer group's interquartile box and median, the trust (blue
    diamond) and the national figure (red tick), on a scale from 0 to the row's maximum."""
    height = 40 + ROW_HEIGHT * len(positions)
    plot = WIDTH - LABEL_WIDTH - 60
    parts = [_svg_open(WIDTH, height, "Position among peers"),
             _legend([("peer middle half (Q1-Q3)", BOX_COLOUR), ("peer median", "#425563"),
                       ("your trust", TRUST_COLOUR), ("England", NATIONAL_COLOUR)])]
    for index, row in enumerate(positions):
        y = 40 + index * ROW_HEIGHT
        scale = row.scale_max or 1.0

        def x(value: float, scale: float = scale) -> float:
            return LABEL_WIDTH + plot * max(0.0, min(value, scale)) / scale

        parts.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-size="12">'
                     f"{escape(row.label)}</text>")
        parts.append(f'<line x1="{LABEL_WIDTH}" y1="{y + 11}" x2="{LABEL_WIDTH + plot}" y2="{y + 11}" '
                     'stroke="#d8dde0"/>')
        parts.append(f'<rect x="{x(row.q1):.1f}" y="{y + 3}" width="{max(x(row.q3) - x(row.q1), 1):.1f}" '
                     f'height="16" fill="{BOX_COLOUR}"/>')
        parts.append(f'<line x1="{x(row.median):.1f}" y1="{y + 1}" x2="{x(row.median):.1f}" y2="{y + 21}" '
                     'stroke="#425563" stroke-width="2"/>')
        if row.national is not None:
            parts.append(f'<line x1="{x(row.national):.1f}" y1="{y}" x2="{x(row.national):.1f}" y2="{y + 22}" '
                         f'stroke="{NATIONAL_COLOUR}" stroke-width="2" stroke-dasharray="3,2"/>')
        if row.trust is not None:
            cx = x(row.trust)
            parts.append(f'<polygon points="{cx:.1f},{y + 3} {cx + 7:.1f},{y + 11} {cx:.1f},{y + 19} '
                         f'{cx - 7:.1f},{y + 11}" fill="{TRUST_COLOUR}"/>')
        parts.append(f'<text x="{LABEL_WIDTH + plot + 6}" y="{y + 15}" font-size="11" fill="#425563">'
                     f"0-{_tick(scale)}</text>")
    parts.append("</svg>")
    return "".join(parts)


def trend_svg(cycles: list[int], series: dict[str, list[float | None]], *, y_max: float = 100.0,
              y_label: str = "%") -> str:
    """Lines over cycles (one per series), y from 0 to y_max; a missing point breaks the line."""
    height, left, right, top, bottom = 260, 50, 170, 20, 40
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    span = max(len(cycles) - 1, 1)

    def x(index: int) -> float:
        return left + plot_w * (index / span if len(cycles) > 1 else 0.5)

    def y(value: float) -> float:
        return top + plot_h * (1 - max(0.0, min(value, y_max)) / y_max)

    parts = [_svg_open(WIDTH, height, "Trend over cycles")]
    for tick in range(0, 5):
        value = y_max * tick / 4
        parts.append(f'<line x1="{left}" y1="{y(value):.1f}" x2="{left + plot_w}" y2="{y(value):.1f}" '
                     'stroke="#e8edee"/>')
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="11">'
                     f"{_tick(value)}{escape(y_label)}</text>")
    for index, cycle in enumerate(cycles):
        parts.append(f'<text x="{x(index):.1f}" y="{height - 15}" text-anchor="middle" font-size="12">'
                     f"{cycle}</text>")
    for number, (label, values) in enumerate(series.items()):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        segments: list[list[tuple[float, float]]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                segments.append([])
            else:
                segments[-1].append((x(i), y(v)))
        for segment in segments:
            if len(segment) > 1:
                path = " ".join(f"{px:.1f},{py:.1f}" for px, py in segment)
                parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for px, py in points:
            parts.append(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{colour}"/>')
        ly = top + 14 + number * 20
        parts.append(f'<rect x="{left + plot_w + 14}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{left + plot_w + 32}" y="{ly + 1}" font-size="12">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_open(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" font-family="Arial, sans-serif">'
            f"<title>{escape(title)}</title>")


def _legend(entries: list[tuple[str, str]]) -> str:
    parts, x = [], LABEL_WIDTH
    for label, colour in entries:
        parts.append(f'<rect x="{x}" y="8" width="12" height="12" fill="{colour}"/>'
                     f'<text x="{x + 16}" y="18" font-size="11">{escape(label)}</text>')
        x += 22 + 6 * len(label)
    return "".join(parts)


def _tick(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"
