"""Server-side SVG charts: time series with release events drawn as vertical lines.

The dashboard serves no JavaScript (its content-security policy is `default-src 'self'`
and it ships no scripts at all), so charts are drawn here, as SVG text. Colours and fonts
are presentation attributes, never `style` attributes, because the policy blocks inline
styles. Output is a pure function of the input, with coordinates rounded to one decimal, so
golden files can pin it byte for byte.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from html import escape

#: Okabe–Ito: distinguishable with the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
#: Release events by kind: a breach or rollback must stand out from routine moves.
MARKER_COLOURS = {"guard-breach": "#D55E00", "rollback": "#D55E00", "rollout-abort": "#E69F00",
                  "freeze": "#7F3C8D", "rollout-complete": "#009E73"}
MARKER_DEFAULT = "#888888"

_TICK_STEPS = (
    dt.timedelta(minutes=10), dt.timedelta(minutes=30), dt.timedelta(hours=1), dt.timedelta(hours=3),
    dt.timedelta(hours=6), dt.timedelta(hours=12), dt.timedelta(days=1), dt.timedelta(days=2),
    dt.timedelta(days=7), dt.timedelta(days=14), dt.timedelta(days=28),
)


@dataclass(frozen=True)
class Series:
    """One line: a version (or variant) of a prompt, its values over time."""

    label: str
    points: tuple[tuple[dt.datetime, float], ...]


@dataclass(frozen=True)
class Marker:
    """A release event on the time axis (a ramp, a breach, a rollback)."""

    at: dt.datetime
    label: str
    kind: str = ""


@dataclass(frozen=True)
class _Frame:
    left: float
    top: float
    width: float
    height: float
    t0: dt.datetime
    t1: dt.datetime
    y_max: float

    def x(self, moment: dt.datetime) -> float:
        span = (self.t1 - self.t0).total_seconds() or 1.0
        return self.left + self.width * (moment - self.t0).total_seconds() / span

    def y(self, value: float) -> float:
        return self.top + self.height * (1.0 - value / self.y_max)


def _num(value: float) -> str:
    """A coordinate: one decimal, no `-0.0`, no trailing `.0`."""
    text = f"{round(value, 1):.1f}"
    if text == "-0.0":
        text = "0.0"
    return text[:-2] if text.endswith(".0") else text


def nice_ceiling(value: float) -> tuple[float, float]:
    """The top of a y axis and its tick step: 1, 2 or 5 times a power of ten, 3–5 ticks."""
    if value <= 0 or not math.isfinite(value):
        return 1.0, 0.25
    exponent = math.floor(math.log10(value / 4))
    for base in (1, 2, 2.5, 5, 10):
        step = base * 10 ** exponent
        if value / step <= 5:
            return step * math.ceil(value / step - 1e-9), step
    step = 10 ** (exponent + 1)
    return step * math.ceil(value / step), step


def format_value(value: float, step: float) -> str:
    """A tick label with as many decimals as the step needs (0.25 → 2, 0.5 → 1, 5 → 0)."""
    decimals = 0
    while decimals < 6 and abs(step * 10 ** decimals - round(step * 10 ** decimals)) > 1e-9:
        decimals += 1
    return f"{value:.{decimals}f}"


def _time_ticks(t0: dt.datetime, t1: dt.datetime, most: int = 8) -> tuple[list[dt.datetime], dt.timedelta]:
    span = t1 - t0
    step = next((s for s in _TICK_STEPS if span / s <= most), _TICK_STEPS[-1])
    # Ticks on round UTC instants: midnight-aligned for days, hour-aligned for hours.
    origin = t0.replace(hour=0, minute=0, second=0, microsecond=0)
    n = math.ceil((t0 - origin) / step)
    ticks, tick = [], origin + n * step
    while tick <= t1:
        ticks.append(tick)
        tick += step
    return ticks, step


def _time_label(moment: dt.datetime, step: dt.timedelta) -> str:
    return moment.strftime("%b %d") if step >= dt.timedelta(days=1) else moment.strftime("%b %d %H:%M")


def line_chart(title: str, series: list[Series], markers: list[Marker] = (), *, y_label: str = "",
               width: int = 720, height: int = 280) -> str:
    """An SVG line chart of `series` over time, `markers` as labelled vertical lines.

    The y axis starts at zero: these are rates, means and counts, and a chart that starts
    elsewhere makes a small change look like a large one."""
    left, right, top, bottom = 60.0, 16.0, 30.0, 64.0
    plot_w, plot_h = width - left - right, height - top - bottom
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">',
           f"<title>{escape(title)}</title>",
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
           f'<text x="{_num(left)}" y="18" font-family="sans-serif" font-size="13" font-weight="bold" '
           f'fill="#222222">{escape(title)}</text>']
    moments = [t for s in series for t, _ in s.points] + [m.at for m in markers]
    if not any(s.points for s in series):
        out.append(f'<text x="{_num(width / 2)}" y="{_num(top + plot_h / 2)}" text-anchor="middle" '
                   'font-family="sans-serif" font-size="13" fill="#666666">no signals recorded</text>')
        out.append("</svg>")
        return "\n".join(out) + "\n"
    t0, t1 = min(moments), max(moments)
    if t1 == t0:
        t0, t1 = t0 - dt.timedelta(minutes=30), t1 + dt.timedelta(minutes=30)
    y_top, y_step = nice_ceiling(max(v for s in series for _, v in s.points))
    frame = _Frame(left, top, plot_w, plot_h, t0, t1, y_top)

    # Grid and axes.
    out.append('<g font-family="sans-serif" font-size="11" fill="#444444">')
    ticks = int(round(y_top / y_step))
    for i in range(ticks + 1):
        value = i * y_step
        y = _num(frame.y(value))
        out.append(f'<line x1="{_num(left)}" y1="{y}" x2="{_num(left + plot_w)}" y2="{y}" stroke="#e5e5e5"/>')
        out.append(f'<text x="{_num(left - 6)}" y="{y}" dy="4" text-anchor="end">{format_value(value, y_step)}</text>')
    x_ticks, step = _time_ticks(t0, t1)
    for tick in x_ticks:
        x = _num(frame.x(tick))
        out.append(f'<line x1="{x}" y1="{_num(top + plot_h)}" x2="{x}" y2="{_num(top + plot_h + 4)}" '
                   'stroke="#444444"/>')
        out.append(f'<text x="{x}" y="{_num(top + plot_h + 16)}" text-anchor="middle">'
                   f"{escape(_time_label(tick, step))}</text>")
    out.append(f'<line x1="{_num(left)}" y1="{_num(top + plot_h)}" x2="{_num(left + plot_w)}" '
               f'y2="{_num(top + plot_h)}" stroke="#444444"/>')
    out.append(f'<line x1="{_num(left)}" y1="{_num(top)}" x2="{_num(left)}" y2="{_num(top + plot_h)}" '
               'stroke="#444444"/>')
    if y_label:
        out.append(f'<text x="14" y="{_num(top + plot_h / 2)}" text-anchor="middle" '
                   f'transform="rotate(-90 14 {_num(top + plot_h / 2)})">{escape(y_label)}</text>')
    out.append("</g>")

    # Release events under the lines, so the data stays readable where they cross.
    out.append('<g font-family="sans-serif" font-size="10">')
    for marker in sorted(markers, key=lambda m: (m.at, m.label)):
        colour = MARKER_COLOURS.get(marker.kind, MARKER_DEFAULT)
        x = _num(frame.x(marker.at))
        out.append(f'<line x1="{x}" y1="{_num(top)}" x2="{x}" y2="{_num(top + plot_h)}" stroke="{colour}" '
                   f'stroke-width="1.5" stroke-dasharray="4 3"><title>{escape(marker.label)}</title></line>')
        out.append(f'<text x="{x}" y="{_num(top + 4)}" dx="3" fill="{colour}" '
                   f'transform="rotate(90 {x} {_num(top + 4)})">{escape(marker.label)}</text>')
    out.append("</g>")

    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = sorted(line.points)
        if len(points) == 1:
            (t, v), = points
            out.append(f'<circle cx="{_num(frame.x(t))}" cy="{_num(frame.y(v))}" r="3" fill="{colour}"/>')
            continue
        path = " ".join(f"{_num(frame.x(t))},{_num(frame.y(v))}" for t, v in points)
        out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2" '
                   'stroke-linejoin="round"/>')

    # Legend, one row under the time axis.
    out.append('<g font-family="sans-serif" font-size="11" fill="#222222">')
    x = left
    for index, line in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        y = height - 14
        out.append(f'<rect x="{_num(x)}" y="{_num(y - 9)}" width="12" height="10" fill="{colour}"/>')
        out.append(f'<text x="{_num(x + 16)}" y="{_num(y)}">{escape(line.label)}</text>')
        x += 28 + 6.5 * len(line.label)
    out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
