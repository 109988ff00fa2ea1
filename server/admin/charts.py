"""Charts for the dashboard as plain geometry; `templates/admin/chart.html` draws it as SVG.

Server-rendered SVG needs no script and no network: every bar and point carries a
`<title>`, so hovering shows its number, and each chart sits next to a table of the same
figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 10, 34


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    series: int
    title: str


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    title: str


@dataclass
class Line:
    series: int
    points: str  # "x,y x,y ..." for a polyline
    dots: list[Dot]


@dataclass
class Chart:
    label: str  # what the chart shows, for screen readers
    names: list[str]  # series names, for the legend
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    y_ticks: list[tuple[float, str]] = field(default_factory=list)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _format(value: float, percent: bool) -> str:
    if percent:
        return f"{value:.0%}"
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def _frame(chart: Chart, labels: list[str], top: float, percent: bool) -> tuple[float, float]:
    plot_w = chart.width - LEFT - RIGHT
    plot_h = chart.height - TOP - BOTTOM
    chart.y_ticks = [(TOP + plot_h * (1 - i / 4), _format(top * i / 4, percent)) for i in range(5)]
    step = max(1, math.ceil(len(labels) / 8))
    slot = plot_w / max(len(labels), 1)
    chart.x_ticks = [
        (LEFT + slot * (i + 0.5), label) for i, label in enumerate(labels) if i % step == 0
    ]
    return slot, plot_h


def bar_chart(label: str, labels: list[str], series: dict[str, list[float]]) -> Chart:
    """Stacked bars, one per label; each series a colour."""
    chart = Chart(label, list(series))
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    slot, plot_h = _frame(chart, labels, top, percent=False)
    for i, name in enumerate(labels):
        base = TOP + plot_h
        for s, (series_name, values) in enumerate(series.items()):
            value = values[i]
            height = plot_h * value / top
            base -= height
            chart.bars.append(
                Rect(
                    LEFT + slot * i + slot * 0.15,
                    base,
                    slot * 0.7,
                    height,
                    s,
                    f"{name}: {series_name} {_format(value, False)}",
                )
            )
    return chart


def line_chart(
    label: str, labels: list[str], series: dict[str, list[float | None]], percent: bool = False
) -> Chart:
    """One line per series; a missing value (None) breaks nothing, it is just not drawn."""
    chart = Chart(label, list(series))
    values = [v for vs in series.values() for v in vs if v is not None]
    top = 1.0 if percent and values and max(values) <= 1 else _nice_max(max(values, default=0))
    slot, plot_h = _frame(chart, labels, top, percent)
    for s, (series_name, points) in enumerate(series.items()):
        line = Line(s, "", [])
        coordinates = []
        for i, value in enumerate(points):
            if value is None:
                continue
            x = LEFT + slot * (i + 0.5)
            y = TOP + plot_h * (1 - value / top)
            coordinates.append(f"{x:.1f},{y:.1f}")
            line.dots.append(Dot(x, y, f"{labels[i]}: {series_name} {_format(value, percent)}"))
        line.points = " ".join(coordinates)
        chart.lines.append(line)
    return chart
