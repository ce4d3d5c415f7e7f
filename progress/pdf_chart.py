"""Draw a ``progress.charts`` figure as a reportlab vector drawing, for the PDF reports.

Why not a browser: plotly's own image export (kaleido) starts a Chromium for each call
(3-4 s cold, ecosystem notes P11) and needs one installed beside the app. The trend figures
use a small, fixed vocabulary -- shaded band rectangles, cut-off lines, text labels, line and
marker traces on a main axis and an infusion strip -- so this module reads the figure the chart
builder returned and draws that vocabulary directly: the same bands, lines, markers and labels
as on screen, as vectors, in milliseconds and with no browser.

Supported: ``scatter`` traces (lines and/or markers; symbols circle, circle-open, square,
diamond, triangle-up) on ``y`` or ``y2``; shapes ``rect`` and ``line`` with ``x``/``x domain``
and ``y``/``y2``/``paper`` references; annotations; a date or numeric x axis. Anything else
in a figure is skipped, never guessed.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any

import plotly.graph_objects as go
from reportlab.graphics.shapes import Circle, Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.lib.colors import Color

FONT = "Helvetica"
_RGBA = re.compile(r"rgba?\(\s*([\d.]+)\s*,\s*([\d.]+)\s*,\s*([\d.]+)\s*(?:,\s*([\d.]+)\s*)?\)")
_TAGS = re.compile(r"<[^>]+>")
_DASH = {"dash": [4, 3], "dot": [1, 2], "dashdot": [4, 2, 1, 2]}


def colour(value: Any, default: str = "#000000") -> Color:
    """``#RRGGBB`` or ``rgb(a)(...)`` -> a reportlab Color (alpha kept)."""
    text = str(value or default).strip()
    m = _RGBA.fullmatch(text)
    if m:
        r, g, b = (float(m.group(i)) / 255 for i in (1, 2, 3))
        return Color(r, g, b, alpha=float(m.group(4)) if m.group(4) else 1)
    if text.startswith("#") and len(text) == 7:
        return Color(*(int(text[i : i + 2], 16) / 255 for i in (1, 3, 5)))
    return colour(default) if text != default else Color(0, 0, 0)


def _plain(text: Any) -> str:
    return _TAGS.sub(" ", str(text or "")).replace("−", "-").strip()


def _x_value(v: Any) -> float:
    if isinstance(v, datetime):
        return v.timestamp() if v.tzinfo else (v - datetime(1970, 1, 1)).total_seconds()
    if isinstance(v, str):
        return _x_value(datetime.fromisoformat(v.replace("Z", "+00:00")))
    return float(v)


class _Frame:
    """Maps data to drawing coordinates for one figure laid into a width x height box."""

    def __init__(self, fig: dict, width: float, height: float, top: float = 16.0) -> None:
        lay = fig.get("layout", {})
        self.left, self.right, self.bottom, self.top = 34.0, 8.0, 18.0, top
        self.w = width - self.left - self.right
        self.h = height - self.bottom - self.top
        self.axes = {"y": lay.get("yaxis", {}), "y2": lay.get("yaxis2", {})}
        xs = [_x_value(x) for t in fig.get("data", []) for x in (t.get("x") or [])]
        xs += [_x_value(s[k]) for s in lay.get("shapes", []) if s.get("xref") == "x" for k in ("x0", "x1")]
        xr = lay.get("xaxis", {}).get("range")
        if xr:
            lo, hi = (_x_value(v) for v in xr)
        elif xs:
            lo, hi = min(xs), max(xs)
            pad = max((hi - lo) * 0.04, 86400.0)
            lo, hi = lo - pad, hi + pad
        else:
            lo, hi = 0.0, 1.0
        self.x0, self.x1 = lo, hi
        self.dates = lay.get("xaxis", {}).get("type") == "date" or any(
            isinstance(x, datetime) for t in fig.get("data", []) for x in (t.get("x") or [])[:1]
        )

    def px(self, x: Any, ref: str = "x") -> float:
        frac = float(x) if ref == "x domain" else (_x_value(x) - self.x0) / ((self.x1 - self.x0) or 1)
        return self.left + frac * self.w

    def domain(self, axis: str) -> tuple[float, float]:
        lo, hi = self.axes.get(axis, {}).get("domain") or (0, 1)
        return self.bottom + lo * self.h, self.bottom + hi * self.h

    def y_range(self, axis: str) -> tuple[float, float]:
        return tuple(self.axes.get(axis, {}).get("range") or (0, 1))  # type: ignore[return-value]

    def py(self, y: Any, ref: str = "y") -> float:
        if ref == "paper":
            return self.bottom + float(y) * self.h
        axis = "y2" if ref in ("y2", "y2 domain") else "y"
        d0, d1 = self.domain(axis)
        if ref.endswith("domain"):
            return d0 + float(y) * (d1 - d0)
        r0, r1 = self.y_range(axis)
        return d0 + (float(y) - r0) / ((r1 - r0) or 1) * (d1 - d0)


def _marker(symbol: str, x: float, y: float, size: float, fill: Color, stroke: Color, sw: float):
    r = size / 2
    open_ = symbol.endswith("-open")
    kind = symbol.removesuffix("-open")
    fill_colour = None if open_ else fill
    if kind == "square":
        return Rect(x - r, y - r, 2 * r, 2 * r, fillColor=fill_colour, strokeColor=stroke, strokeWidth=sw)
    if kind == "diamond":
        pts = [x, y + r * 1.2, x + r * 1.2, y, x, y - r * 1.2, x - r * 1.2, y]
        return Polygon(pts, fillColor=fill_colour, strokeColor=stroke, strokeWidth=sw)
    if kind == "triangle-up":
        pts = [x, y + r * 1.2, x + r * 1.1, y - r * 0.8, x - r * 1.1, y - r * 0.8]
        return Polygon(pts, fillColor=fill_colour, strokeColor=stroke, strokeWidth=sw)
    return Circle(x, y, r, fillColor=fill_colour, strokeColor=stroke, strokeWidth=sw)


def _label(text: str, x: float, y: float, size: float, col: Color, anchor: str = "start") -> String:
    return String(x, y, text, fontName=FONT, fontSize=size, fillColor=col, textAnchor=anchor)


def _nice_step(span: float, target: int = 5) -> float:
    raw = span / max(target, 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def _date_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    start = datetime(1970, 1, 1) + timedelta(seconds=lo)
    end = datetime(1970, 1, 1) + timedelta(seconds=hi)
    days = (end - start).days
    ticks = []
    if days > 75:
        step = max(1, round(days / 30 / 5))
        t = datetime(start.year, start.month, 1)
        while t <= end:
            if t >= start:
                ticks.append(((t - datetime(1970, 1, 1)).total_seconds(), f"{t:%b %Y}"))
            month = t.month - 1 + step
            t = datetime(t.year + month // 12, month % 12 + 1, 1)
    else:
        step = max(1, round(days / 5 / 7)) * 7 if days > 14 else max(1, round(days / 5))
        t = datetime(start.year, start.month, start.day) + timedelta(days=1)
        while t <= end:
            ticks.append(((t - datetime(1970, 1, 1)).total_seconds(), f"{t.day} {t:%b}"))
            t += timedelta(days=step)
    return ticks


def figure_drawing(figure: go.Figure, width: float, height: float, *, title: str = "") -> Drawing:
    """The figure as a Drawing ``width`` x ``height`` points (72 per inch)."""
    fig = figure.to_dict()
    lines = _legend_lines(fig, title, width - 42)
    f = _Frame(fig, width, height, top=6 + 9 * len(lines))
    d = Drawing(width, height)
    lay = fig.get("layout", {})
    muted, grid = colour("#4B5563"), colour("#E5E7EB")
    plot_y0, plot_y1 = f.domain("y")

    for shape in (s for s in lay.get("shapes", []) if s.get("layer") == "below"):
        d.add(_shape(f, shape))
    # y grid and ticks on the main axis
    if lay.get("yaxis", {}).get("visible", True) and lay.get("yaxis", {}).get("range"):
        r0, r1 = f.y_range("y")
        step = _nice_step(r1 - r0)
        v = math.ceil(r0 / step) * step
        while v <= r1:
            y = f.py(v)
            d.add(Line(f.left, y, f.left + f.w, y, strokeColor=grid, strokeWidth=0.4))
            d.add(_label(f"{v:g}", f.left - 3, y - 2.5, 6.5, muted, "end"))
            v += step
        ytitle = _plain(lay.get("yaxis", {}).get("title", {}).get("text"))
        if ytitle:
            s = _label(ytitle, 0, 0, 7, muted, "middle")
            g = Group(s)
            g.translate(8, (plot_y0 + plot_y1) / 2)
            g.rotate(90)
            d.add(g)
    strip = (lay.get("yaxis2", {}).get("ticktext") or [None])[0]
    if strip:  # the infusion strip's one tick label ("Infusions")
        d.add(_label(_plain(strip), f.left - 3, f.py(0, "y2") - 2.5, 6, muted, "end"))
    # x ticks
    if f.dates:
        for xv, text in _date_ticks(f.x0, f.x1):
            x = f.px(datetime(1970, 1, 1) + timedelta(seconds=xv))
            d.add(Line(x, plot_y0, x, plot_y1, strokeColor=grid, strokeWidth=0.4))
            d.add(_label(text, x, f.bottom - 10, 6.5, muted, "middle"))
    d.add(Rect(f.left, plot_y0, f.w, plot_y1 - plot_y0, fillColor=None,
               strokeColor=colour("#9CA3AF"), strokeWidth=0.5))
    for shape in (s for s in lay.get("shapes", []) if s.get("layer") != "below"):
        d.add(_shape(f, shape))
    for trace in fig.get("data", []):
        if trace.get("type", "scatter") == "scatter":
            d.add(_trace(f, trace))
    for note in lay.get("annotations", []):
        d.add(_annotation(f, note))
    _legend(d, f, lines)
    return d


def _shape(f: _Frame, s: dict) -> Group:
    g = Group()
    xref, yref = s.get("xref", "x"), s.get("yref", "y")
    x0, x1 = f.px(s["x0"], xref), f.px(s["x1"], xref)
    y0, y1 = f.py(s["y0"], yref), f.py(s["y1"], yref)
    line = s.get("line", {})
    if s.get("type") == "rect":
        width = max(x1 - x0, 1.5)
        g.add(Rect(min(x0, x1), min(y0, y1), width, abs(y1 - y0),
                   fillColor=colour(s.get("fillcolor"), "rgba(0,0,0,0)"),
                   strokeColor=None if not line.get("width") else colour(line.get("color")),
                   strokeWidth=line.get("width") or 0))
    elif s.get("type") == "line":
        g.add(Line(x0, y0, x1, y1, strokeColor=colour(line.get("color")),
                   strokeWidth=line.get("width", 1), strokeDashArray=_DASH.get(line.get("dash"))))
    return g


def _trace(f: _Frame, t: dict) -> Group:
    g = Group()
    axis = "y2" if t.get("yaxis") == "y2" else "y"
    pts = [(f.px(x), f.py(y, axis)) for x, y in zip(t.get("x") or [], t.get("y") or [], strict=False)
           if y is not None]
    mode = t.get("mode", "lines+markers")
    if "lines" in mode and len(pts) > 1:
        line = t.get("line", {})
        g.add(PolyLine([c for p in pts for c in p], strokeColor=colour(line.get("color")),
                       strokeWidth=line.get("width", 1.5) * 0.6,
                       strokeDashArray=_DASH.get(line.get("dash"))))
    if "markers" in mode:
        m = t.get("marker", {})
        stroke = m.get("line", {})
        for x, y in pts:
            g.add(_marker(m.get("symbol", "circle"), x, y, m.get("size", 6) * 0.55,
                          colour(m.get("color")), colour(stroke.get("color"), m.get("color") or "#000000"),
                          stroke.get("width", 0.5) * 0.6))
    return g


def _annotation(f: _Frame, a: dict) -> String:
    xref, yref = a.get("xref", "x"), a.get("yref", "y")
    x, y = f.px(a.get("x", 0), xref), f.py(a.get("y", 0), yref)
    size = a.get("font", {}).get("size", 10) * 0.62
    anchor = {"left": "start", "right": "end", "center": "middle"}.get(a.get("xanchor", "center"), "middle")
    dy = {"bottom": 1.5, "top": -size, "middle": -size / 3}.get(a.get("yanchor", "middle"), -size / 3)
    if anchor == "end":
        x -= 2
    elif anchor == "start":
        x += 2
    text = _plain(a.get("text"))
    # Keep a label inside the plot: one placed at a data x near the right edge (an induction
    # that began on the last day shown) is right-aligned to the edge instead of running off.
    right = f.left + f.w - 2
    if anchor == "start" and x + _text_width(text, size) > right:
        x, anchor = right, "end"
    return _label(text, x, y + dy, size, colour(a.get("font", {}).get("color"), "#4B5563"), anchor)


def _text_width(text: str, size: float) -> float:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return stringWidth(text, FONT, size)


def _legend_lines(fig: dict, title: str, width: float) -> list[list[tuple[str, dict | None]]]:
    """Title and trace names wrapped into lines that fit ``width`` (the plot's width)."""
    items: list[tuple[str, dict | None]] = [(title, None)] if title else []
    for t in fig.get("data", []):
        name = _plain(t.get("name"))
        if name and t.get("showlegend") is not False:
            items.append((name, t.get("marker", {})))
    lines: list[list[tuple[str, dict | None]]] = [[]]
    used = 0.0
    for name, marker in items:
        w = _text_width(name, 8 if marker is None else 6.5) + (18 if marker is not None else 10)
        if lines[-1] and used + w > width:
            lines.append([])
            used = 0.0
        lines[-1].append((name, marker))
        used += w
    return [line for line in lines if line] or [[]]


def _legend(d: Drawing, f: _Frame, lines: list[list[tuple[str, dict | None]]]) -> None:
    y = f.bottom + f.h + 4 + 9 * (len(lines) - 1)
    for line in lines:
        x = f.left
        for name, m in line:
            if m is None:
                d.add(_label(name, x, y, 8, colour("#1F2937")))
                x += _text_width(name, 8) + 10
                continue
            d.add(_marker(m.get("symbol", "circle"), x + 3, y + 2.5, 4.5, colour(m.get("color")),
                          colour(m.get("line", {}).get("color"), m.get("color") or "#000000"), 0.5))
            d.add(_label(name, x + 8, y, 6.5, colour("#4B5563")))
            x += _text_width(name, 6.5) + 18
        y -= 9


__all__ = ["colour", "figure_drawing"]
