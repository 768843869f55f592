"""Charts drawn as SVG, with the text laid out by the browser.

A report draws about a dozen charts. Drawing them with matplotlib costs about 1.5 s per report,
most of it laying out and rasterising text (docs/benchmarks.md); the same picture written as
SVG marks costs a few milliseconds. A :class:`Drawing` is a list of marks (rectangles, lines,
polygons, circles, text) in pixels, origin top left. It is written as SVG (:meth:`Drawing.svg`:
text kept as text, so the browser lays it out, screen magnifiers keep it sharp and the PDF
keeps it as vectors) or, for the PNG an analyst exports, drawn on a matplotlib figure
(:meth:`Drawing.figure`) from the same marks.

:class:`Axes` maps data to pixels (linear scales with round ticks) and gives the few plot
elements the charts need: bars, error bars, lines, bands, points, reference lines, ticks,
axis labels. :func:`legend` and :func:`title` lay out text rows. Text widths are estimated
from DejaVu Sans' metrics (the widest of the fonts the charts name) to size margins; the browser
draws the text itself.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "Drawing",
    "Mark",
    "Axes",
    "axis_range",
    "legend",
    "nice_ticks",
    "text_width",
    "tick_labels",
    "title",
    "wrap",
]

FONT = "Arial, 'Liberation Sans', Helvetica, 'DejaVu Sans', sans-serif"

# Advance widths (1/1000 em, rounded up) of the printable ASCII characters in DejaVu Sans,
# regular and bold: the widest of the fonts the charts name (the only one on many Linux
# machines, and matplotlib's), so an estimate is never short when Arial or Liberation Sans draws.
_W = (
    "318 401 460 838 637 951 780 275 391 391 500 838 318 361 318 337 637 637 637 637 637 637 "
    "637 637 637 637 337 337 838 838 838 531 1000 685 687 699 771 632 576 775 752 295 295 656 "
    "558 863 749 788 604 788 695 635 611 732 685 989 686 611 686 391 337 391 838 500 500 613 "
    "635 550 635 616 353 635 634 278 278 580 278 975 634 612 635 635 412 521 393 634 592 818 "
    "592 592 525 637 337 637 838"
)
_WB = (
    "349 457 521 838 696 1002 873 307 458 458 523 838 380 416 380 366 696 696 696 696 696 696 "
    "696 696 696 696 400 400 838 838 838 581 1000 774 763 734 831 684 684 821 837 373 373 775 "
    "638 996 837 851 733 851 771 721 683 813 774 1104 771 725 726 458 366 458 838 500 500 675 "
    "716 593 716 679 436 716 712 343 343 666 343 1042 712 688 716 716 494 596 479 712 652 924 "
    "646 652 583 712 366 712 838"
)
_WIDTHS = {
    False: {chr(32 + i): int(w) for i, w in enumerate(_W.split())},
    True: {chr(32 + i): int(w) for i, w in enumerate(_WB.split())},
}
_OTHER = (
    880  # other characters (▲ ● × …, letters with accents): as wide as DejaVu's widest
)


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """Estimated width in pixels of one line of ``text`` at font ``size`` (pixels).

    Sums DejaVu Sans' advance widths (no kerning); characters outside printable ASCII count as
    0.88 em. Used to size margins and place legend entries, never to draw: the browser lays out
    the text, in Arial or Liberation Sans where they are installed (narrower), else DejaVu Sans.
    """
    table = _WIDTHS[bold]
    return sum(table.get(ch, _OTHER) for ch in text) * size / 1000


def nice_ticks(lo: float, hi: float, n: int = 5) -> np.ndarray:
    """About ``n`` round tick values (steps of 1, 2, 2.5 or 5 × 10^k) covering [lo, hi].

    The ends are widened to the ticks outside them (as a chart's axis limits usually are).
    """
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return np.array([0.0, 1.0])
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        pad = abs(hi) * 0.1 or 1.0
        lo, hi = lo - pad, hi + pad
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw * 0.999)
    first = math.floor(lo / step + 1e-9) * step
    last = math.ceil(hi / step - 1e-9) * step
    k = int(round((last - first) / step))
    return np.round(first + step * np.arange(k + 1), 10)


def axis_range(
    values: Iterable[float], *, zero: bool = False, pad: float = 0.05, n: int = 5
) -> tuple[tuple[float, float], np.ndarray]:
    """Axis limits for ``values`` (missing ones ignored) and the round ticks inside them.

    The limits are the data's range widened by ``pad`` of it at each end (not at zero when
    ``zero`` is true: bars start at the axis); ``zero`` also brings zero into the range.
    """
    v = np.asarray([x for x in values if x is not None], dtype=float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        v = np.array([0.0, 1.0])
    lo, hi = float(v.min()), float(v.max())
    if zero:
        lo, hi = min(lo, 0.0), max(hi, 0.0)
    if hi == lo:
        hi, lo = (
            hi + (abs(hi) * 0.1 or 1.0),
            lo - (0 if zero and lo == 0 else abs(lo) * 0.1 or 1.0),
        )
    span = hi - lo
    lim = (
        lo if zero and lo == 0 else lo - pad * span,
        hi if zero and hi == 0 else hi + pad * span,
    )
    eps = span * 1e-9
    for k in range(n, n + 6):  # finer steps until at least n - 1 ticks fall inside
        ticks = nice_ticks(*lim, n=k)
        ticks = ticks[(ticks >= lim[0] - eps) & (ticks <= lim[1] + eps)]
        if len(ticks) >= n - 1:
            break
    return lim, ticks


def tick_labels(
    ticks: Sequence[float], *, suffix: str = "", absolute: bool = False
) -> list[str]:
    """Tick labels with the decimals the step needs and thousands separators."""
    t = np.asarray(ticks, dtype=float)
    step = float(np.min(np.diff(t))) if len(t) > 1 else 1.0
    decimals = 0
    while decimals < 6 and abs(step * 10**decimals - round(step * 10**decimals)) > 1e-6:
        decimals += 1
    out = []
    for v in t:
        v = abs(v) if absolute else v
        if abs(v) < 10 ** -(decimals + 1):
            v = 0.0
        out.append(f"{v:,.{decimals}f}{suffix}")
    return out


def _n(v: float) -> str:
    """A coordinate: one decimal, no trailing zeros."""
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


_DASH = {"dash": "5 3", "dot": "1.5 2.5", "dashdot": "6 2.5 1.5 2.5"}
_MPL_DASH = {
    "dash": (0, (5, 3)),
    "dot": (0, (1.5, 2.5)),
    "dashdot": (0, (6, 2.5, 1.5, 2.5)),
}
_ANCHOR = {"start": "left", "middle": "center", "end": "right"}
_BASELINE = {
    "middle": ("central", "center"),
    "top": ("hanging", "top"),
    "baseline": ("", "baseline"),
}


@dataclass
class Mark:
    """One drawn element, in pixels (origin top left).

    Attributes
    ----------
    kind : {"rect", "line", "polyline", "polygon", "circle", "text"}
    geom : dict
        ``x, y, w, h`` (rect), ``points`` (line, polyline, polygon: list of (x, y)),
        ``cx, cy, r`` (circle), ``x, y`` (text).
    style : dict
        ``fill``, ``stroke``, ``width`` (stroke width), ``dash``, ``opacity``; for text
        ``size``, ``anchor``, ``baseline``, ``bold``, ``rotate``, ``colour``.
    role : str
        What the mark shows ("bar", "ci", "comparator", "place", "label" …): tests and
        readers of the drawing find marks by it.
    text : str
        The words of a text mark.
    datum : dict
        The numbers the mark stands for (e.g. a bar's category and value).
    """

    kind: str
    geom: dict
    style: dict
    role: str = ""
    text: str = ""
    datum: dict = field(default_factory=dict)


class Drawing:
    """A picture made of marks, written as SVG or drawn on a matplotlib figure.

    Parameters
    ----------
    width, height : float
        Pixels; ``height`` may be set once the marks are placed.
    """

    def __init__(self, width: float, height: float = 0.0) -> None:
        self.width = float(width)
        self.height = float(height)
        self.marks: list[Mark] = []

    # -- marks ------------------------------------------------------------------------
    def _add(
        self,
        kind: str,
        geom: dict,
        style: dict,
        role: str,
        text: str = "",
        datum: dict | None = None,
    ) -> Mark:
        m = Mark(kind, geom, style, role, text, dict(datum or {}))
        self.marks.append(m)
        return m

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: str,
        stroke: str | None = None,
        width: float = 0.8,
        opacity: float = 1.0,
        role: str = "",
        datum: dict | None = None,
    ) -> Mark:
        """A rectangle from its top-left corner; negative sizes are flipped."""
        if w < 0:
            x, w = x + w, -w
        if h < 0:
            y, h = y + h, -h
        return self._add(
            "rect",
            {"x": x, "y": y, "w": w, "h": h},
            {"fill": fill, "stroke": stroke, "width": width, "opacity": opacity},
            role,
            datum=datum,
        )

    def line(
        self,
        points: Sequence[tuple[float, float]],
        *,
        stroke: str,
        width: float = 1.0,
        dash: str | None = None,
        role: str = "",
        datum: dict | None = None,
    ) -> Mark:
        """A line through ``points`` (two or more)."""
        kind = "line" if len(points) == 2 else "polyline"
        return self._add(
            kind,
            {"points": [(float(a), float(b)) for a, b in points]},
            {"stroke": stroke, "width": width, "dash": dash},
            role,
            datum=datum,
        )

    def polygon(
        self,
        points: Sequence[tuple[float, float]],
        *,
        fill: str,
        stroke: str | None = None,
        width: float = 0.8,
        opacity: float = 1.0,
        role: str = "",
        datum: dict | None = None,
    ) -> Mark:
        return self._add(
            "polygon",
            {"points": [(float(a), float(b)) for a, b in points]},
            {"fill": fill, "stroke": stroke, "width": width, "opacity": opacity},
            role,
            datum=datum,
        )

    def circle(
        self,
        cx: float,
        cy: float,
        r: float,
        *,
        fill: str,
        stroke: str | None = None,
        width: float = 0.8,
        opacity: float = 1.0,
        role: str = "",
        datum: dict | None = None,
    ) -> Mark:
        return self._add(
            "circle",
            {"cx": cx, "cy": cy, "r": r},
            {"fill": fill, "stroke": stroke, "width": width, "opacity": opacity},
            role,
            datum=datum,
        )

    def marker(
        self,
        kind: str,
        cx: float,
        cy: float,
        size: float,
        *,
        fill: str,
        stroke: str | None = "#333333",
        width: float = 0.8,
        opacity: float = 1.0,
        role: str = "",
        datum: dict | None = None,
    ) -> Mark:
        """A point marker of ``size`` pixels across: matplotlib's marker letters "o" (circle),
        "s" (square), "D" (diamond), "^"/"v" (triangles), "X" (cross)."""
        h = size / 2
        if kind == "o":
            return self.circle(
                cx,
                cy,
                h,
                fill=fill,
                stroke=stroke,
                width=width,
                opacity=opacity,
                role=role,
                datum=datum,
            )
        shapes = {
            "s": [(-h, -h), (h, -h), (h, h), (-h, h)],
            "D": [(0, -h * 1.2), (h, 0), (0, h * 1.2), (-h, 0)],
            "^": [(0, -h * 1.15), (h, h * 0.85), (-h, h * 0.85)],
            "v": [(0, h * 1.15), (h, -h * 0.85), (-h, -h * 0.85)],
            "X": [
                (-h, -h * 0.6),
                (-h * 0.6, -h),
                (0, -h * 0.4),
                (h * 0.6, -h),
                (h, -h * 0.6),
                (h * 0.4, 0),
                (h, h * 0.6),
                (h * 0.6, h),
                (0, h * 0.4),
                (-h * 0.6, h),
                (-h, h * 0.6),
                (-h * 0.4, 0),
            ],
        }
        pts = shapes.get(kind, shapes["s"])
        return self.polygon(
            [(cx + a, cy + b) for a, b in pts],
            fill=fill,
            stroke=stroke,
            width=width,
            opacity=opacity,
            role=role,
            datum=datum,
        )

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 11,
        anchor: str = "start",
        baseline: str = "middle",
        bold: bool = False,
        colour: str = "#1a1a1a",
        rotate: float = 0.0,
        role: str = "",
        datum: dict | None = None,
    ) -> Mark:
        """One line of text at (x, y): ``anchor`` start/middle/end, ``baseline``
        middle/top/baseline; ``rotate`` in degrees, anticlockwise."""
        return self._add(
            "text",
            {"x": x, "y": y},
            {
                "size": size,
                "anchor": anchor,
                "baseline": baseline,
                "bold": bold,
                "colour": colour,
                "rotate": rotate,
            },
            role,
            str(text),
            datum,
        )

    def find(self, role: str) -> list[Mark]:
        """The marks drawn with ``role``, in drawing order."""
        return [m for m in self.marks if m.role == role]

    # -- output -----------------------------------------------------------------------
    def svg(self, title: str = "") -> str:
        """The drawing as a standalone SVG document (no time stamp: the same marks, the same
        bytes). ``title`` becomes its ``<title>`` (user text escaped)."""
        out = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(self.width)}" height="{_n(self.height)}" '
            f'viewBox="0 0 {_n(self.width)} {_n(self.height)}" font-family="{html.escape(FONT)}" font-size="11">'
        ]
        if title:
            out.append(f"<title>{html.escape(title)}</title>")
        out.append('<rect width="100%" height="100%" fill="#ffffff"/>')
        for m in self.marks:
            out.append(_svg_mark(m))
        out.append("</svg>")
        return "".join(out)

    def figure(self, dpi: float = 100) -> Any:
        """The drawing on a new matplotlib figure the drawing's size (``dpi`` pixels per inch),
        one full-size axes in pixel coordinates."""
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.patches import Circle, Polygon, Rectangle

        px = 72 / dpi  # points per pixel
        fig = Figure(figsize=(self.width / dpi, max(self.height, 1) / dpi), dpi=dpi)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_xlim(0, self.width)
        ax.set_ylim(max(self.height, 1), 0)
        ax.set_axis_off()
        for z, m in enumerate(self.marks):
            s, g = m.style, m.geom
            if m.kind == "text":
                va = _BASELINE[s["baseline"]][1]
                ax.text(
                    g["x"],
                    g["y"],
                    m.text,
                    fontsize=s["size"] * px,
                    ha=_ANCHOR[s["anchor"]],
                    va=va,
                    color=s["colour"],
                    fontweight="bold" if s["bold"] else "normal",
                    rotation=s["rotate"],
                    rotation_mode="anchor",
                    zorder=z,
                )
                continue
            common = {"zorder": z}
            if m.kind in ("line", "polyline"):
                xs, ys = zip(*g["points"], strict=True)
                ax.add_line(
                    Line2D(
                        xs,
                        ys,
                        color=s["stroke"],
                        lw=s["width"] * px,
                        ls=_MPL_DASH.get(s["dash"], "-"),
                        **common,
                    )
                )
                continue
            patch_style = {
                "facecolor": s["fill"] if s["fill"] != "none" else "none",
                "edgecolor": s["stroke"] or "none",
                "lw": s["width"] * px if s["stroke"] else 0,
                "alpha": s["opacity"] if s["opacity"] < 1 else None,
                **common,
            }
            if m.kind == "rect":
                ax.add_patch(Rectangle((g["x"], g["y"]), g["w"], g["h"], **patch_style))
            elif m.kind == "polygon":
                ax.add_patch(Polygon(g["points"], closed=True, **patch_style))
            elif m.kind == "circle":
                ax.add_patch(Circle((g["cx"], g["cy"]), g["r"], **patch_style))
        return fig


def _paint(s: dict) -> str:
    out = f' fill="{s["fill"]}"'
    if s.get("stroke"):
        out += f' stroke="{s["stroke"]}" stroke-width="{_n(s["width"])}"'
    if s.get("opacity", 1) < 1:
        out += f' fill-opacity="{s["opacity"]:.2f}"'
    return out


def _svg_mark(m: Mark) -> str:
    g, s = m.geom, m.style
    if m.kind == "rect":
        return f'<rect x="{_n(g["x"])}" y="{_n(g["y"])}" width="{_n(g["w"])}" height="{_n(g["h"])}"{_paint(s)}/>'
    if m.kind == "circle":
        return f'<circle cx="{_n(g["cx"])}" cy="{_n(g["cy"])}" r="{_n(g["r"])}"{_paint(s)}/>'
    if m.kind == "polygon":
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in g["points"])
        return f'<polygon points="{pts}"{_paint(s)}/>'
    if m.kind in ("line", "polyline"):
        dash = f' stroke-dasharray="{_DASH[s["dash"]]}"' if s.get("dash") else ""
        stroke = f' stroke="{s["stroke"]}" stroke-width="{_n(s["width"])}"{dash}'
        if m.kind == "line":
            (x1, y1), (x2, y2) = g["points"]
            return f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"{stroke}/>'
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in g["points"])
        return f'<polyline points="{pts}" fill="none"{stroke} stroke-linejoin="round"/>'
    # text
    attrs = f'x="{_n(g["x"])}" y="{_n(g["y"])}"'
    if s["size"] != 11:
        attrs += f' font-size="{_n(s["size"])}"'
    if s["anchor"] != "start":
        attrs += f' text-anchor="{s["anchor"]}"'
    base = _BASELINE[s["baseline"]][0]
    if base:
        attrs += f' dominant-baseline="{base}"'
    if s["bold"]:
        attrs += ' font-weight="bold"'
    if s["colour"] != "#1a1a1a":
        attrs += f' fill="{s["colour"]}"'
    else:
        attrs += ' fill="#1a1a1a"'
    if s["rotate"]:
        attrs += f' transform="rotate({_n(-s["rotate"])} {_n(g["x"])} {_n(g["y"])})"'
    return f"<text {attrs}>{html.escape(m.text, quote=False)}</text>"


# ---------------------------------------------------------------------------- axes


class Axes:
    """A plotting box on a :class:`Drawing` with linear x and y scales.

    Parameters
    ----------
    drawing : Drawing
    left, top, width, height : float
        The box in pixels.
    xlim, ylim : (float, float)
        Data limits; y grows upwards.
    """

    def __init__(
        self,
        drawing: Drawing,
        left: float,
        top: float,
        width: float,
        height: float,
        xlim: tuple[float, float],
        ylim: tuple[float, float],
    ) -> None:
        self.d = drawing
        self.left, self.top, self.width, self.height = left, top, width, height
        self.right, self.bottom = left + width, top + height
        self.xlim = (float(xlim[0]), float(xlim[1]))
        self.ylim = (float(ylim[0]), float(ylim[1]))

    def x(self, v: Any) -> Any:
        """Data x to pixels."""
        a, b = self.xlim
        return (
            self.left + (np.asarray(v, dtype=float) - a) / ((b - a) or 1.0) * self.width
        )

    def y(self, v: Any) -> Any:
        """Data y to pixels (up is smaller)."""
        a, b = self.ylim
        return (
            self.bottom
            - (np.asarray(v, dtype=float) - a) / ((b - a) or 1.0) * self.height
        )

    # -- plot elements ------------------------------------------------------------------
    def bar(
        self,
        x: float,
        value: float,
        width: float,
        *,
        fill: str,
        stroke: str | None = None,
        base: float = 0.0,
        role: str = "bar",
        datum: dict | None = None,
    ) -> Mark | None:
        """A vertical bar centred on ``x`` from ``base`` to ``value`` (data units); none when
        the value is missing."""
        if value is None or not np.isfinite(value):
            return None
        x0, x1 = float(self.x(x - width / 2)), float(self.x(x + width / 2))
        y0, y1 = float(self.y(base)), float(self.y(value))
        return self.d.rect(
            x0,
            min(y0, y1),
            x1 - x0,
            abs(y1 - y0),
            fill=fill,
            stroke=stroke,
            role=role,
            datum=datum,
        )

    def barh(
        self,
        y: float,
        value: float,
        height: float,
        *,
        fill: str,
        stroke: str | None = None,
        base: float = 0.0,
        role: str = "bar",
        datum: dict | None = None,
    ) -> Mark | None:
        """A horizontal bar centred on ``y`` from ``base`` to ``value`` (data units)."""
        if value is None or not np.isfinite(value) or not np.isfinite(base):
            return None
        y0, y1 = float(self.y(y + height / 2)), float(self.y(y - height / 2))
        x0, x1 = float(self.x(base)), float(self.x(value))
        return self.d.rect(
            min(x0, x1),
            y0,
            abs(x1 - x0),
            y1 - y0,
            fill=fill,
            stroke=stroke,
            role=role,
            datum=datum,
        )

    def errorbar(
        self,
        at: float,
        lo: float,
        hi: float,
        *,
        horizontal: bool = False,
        cap: float = 4.0,
        stroke: str = "#000000",
        width: float = 1.0,
        role: str = "ci",
    ) -> None:
        """A confidence interval from ``lo`` to ``hi`` at ``at`` (x for vertical, y for
        horizontal), with caps ``cap`` pixels either side; nothing when a limit is missing."""
        if not (np.isfinite(lo) and np.isfinite(hi)):
            return
        datum = {"lower": float(lo), "upper": float(hi)}
        if horizontal:
            py, x0, x1 = float(self.y(at)), float(self.x(lo)), float(self.x(hi))
            self.d.line(
                [(x0, py), (x1, py)], stroke=stroke, width=width, role=role, datum=datum
            )
            for px in (x0, x1):
                self.d.line(
                    [(px, py - cap), (px, py + cap)],
                    stroke=stroke,
                    width=width,
                    role=role + "-cap",
                )
        else:
            px, y0, y1 = float(self.x(at)), float(self.y(lo)), float(self.y(hi))
            self.d.line(
                [(px, y0), (px, y1)], stroke=stroke, width=width, role=role, datum=datum
            )
            for py in (y0, y1):
                self.d.line(
                    [(px - cap, py), (px + cap, py)],
                    stroke=stroke,
                    width=width,
                    role=role + "-cap",
                )

    def hline(
        self,
        value: float,
        *,
        stroke: str,
        width: float = 1.2,
        dash: str | None = None,
        role: str = "",
        datum: dict | None = None,
    ) -> None:
        """A horizontal line across the box at y = ``value`` (nothing when it is missing)."""
        self._across(value, True, stroke, width, dash, role, datum)

    def vline(
        self,
        value: float,
        *,
        stroke: str,
        width: float = 1.2,
        dash: str | None = None,
        role: str = "",
        datum: dict | None = None,
    ) -> None:
        """A vertical line down the box at x = ``value`` (nothing when it is missing)."""
        self._across(value, False, stroke, width, dash, role, datum)

    def _across(
        self,
        value: float,
        horizontal: bool,
        stroke: str,
        width: float,
        dash: str | None,
        role: str,
        datum: dict | None,
    ) -> None:
        if value is None or not np.isfinite(value):
            return
        if horizontal:
            py = float(self.y(value))
            points = [(self.left, py), (self.right, py)]
        else:
            px = float(self.x(value))
            points = [(px, self.top), (px, self.bottom)]
        self.d.line(
            points,
            stroke=stroke,
            width=width,
            dash=dash,
            role=role,
            datum=datum or {"value": float(value)},
        )

    def plot(
        self,
        xs: Iterable[float],
        ys: Iterable[float],
        *,
        stroke: str,
        width: float = 1.5,
        dash: str | None = None,
        role: str = "line",
    ) -> None:
        """A line through the points, broken where a value is missing."""
        run: list[tuple[float, float]] = []
        for xv, yv in [*zip(xs, ys, strict=True), (np.nan, np.nan)]:
            if np.isfinite(xv) and np.isfinite(yv):
                run.append((float(self.x(xv)), float(self.y(yv))))
                continue
            if len(run) >= 2:
                self.d.line(run, stroke=stroke, width=width, dash=dash, role=role)
            run = []

    def band(
        self,
        xs: Sequence[float],
        lo: Sequence[float],
        hi: Sequence[float],
        *,
        fill: str,
        opacity: float = 0.2,
        role: str = "band",
    ) -> None:
        """A shaded band between ``lo`` and ``hi``, broken where a limit is missing."""
        run: list[tuple[float, float, float]] = []
        for xv, a, b in [*zip(xs, lo, hi, strict=True), (np.nan, np.nan, np.nan)]:
            if np.isfinite(xv) and np.isfinite(a) and np.isfinite(b):
                run.append((float(xv), float(a), float(b)))
                continue
            if len(run) >= 2:
                top = [(float(self.x(p[0])), float(self.y(p[2]))) for p in run]
                bottom = [
                    (float(self.x(p[0])), float(self.y(p[1]))) for p in reversed(run)
                ]
                self.d.polygon(top + bottom, fill=fill, opacity=opacity, role=role)
            run = []

    def point(
        self,
        x: float,
        y: float,
        *,
        marker: str = "o",
        size: float = 8,
        fill: str,
        stroke: str | None = "#333333",
        width: float = 0.8,
        opacity: float = 1.0,
        role: str = "point",
        datum: dict | None = None,
    ) -> Mark | None:
        if not (np.isfinite(x) and np.isfinite(y)):
            return None
        return self.d.marker(
            marker,
            float(self.x(x)),
            float(self.y(y)),
            size,
            fill=fill,
            stroke=stroke,
            width=width,
            opacity=opacity,
            role=role,
            datum=datum,
        )

    def text(self, x: float, y: float, text: str, **kw: Any) -> Mark:
        """Text at data coordinates (see :meth:`Drawing.text`)."""
        return self.d.text(float(self.x(x)), float(self.y(y)), text, **kw)

    # -- axes ---------------------------------------------------------------------------
    def spines(
        self, *, left: bool = True, bottom: bool = True, colour: str = "#333333"
    ) -> None:
        if left:
            self.d.line(
                [(self.left, self.top), (self.left, self.bottom)],
                stroke=colour,
                width=0.8,
                role="spine",
            )
        if bottom:
            self.d.line(
                [(self.left, self.bottom), (self.right, self.bottom)],
                stroke=colour,
                width=0.8,
                role="spine",
            )

    def xticks(
        self,
        ticks: Sequence[float],
        labels: Sequence[str],
        *,
        size: float = 10,
        grid: bool = False,
        tick: float = 4.0,
        stagger: bool = False,
    ) -> float:
        """Ticks and labels (``"\\n"`` splits lines) under the box; returns the y below them.

        With ``stagger``, a label that would overlap one already placed (bars drawn close
        together, e.g. narrow deprivation quintiles) moves down below it, with a grey leader
        from its tick; every label is kept inside the drawing.
        """
        top0, gap, line_h = self.bottom + tick + 3, 6.0, size * 1.2
        boxes: list[tuple[float, float, float]] = []  # (left, right, bottom) placed
        lowest = self.bottom
        for t, lab in zip(ticks, labels, strict=True):
            px = float(self.x(t))
            if grid:
                self.d.line(
                    [(px, self.top), (px, self.bottom)],
                    stroke="#e3e3e3",
                    width=0.8,
                    role="grid",
                )
            self.d.line(
                [(px, self.bottom), (px, self.bottom + tick)],
                stroke="#333333",
                width=0.8,
                role="tick",
            )
            lines = str(lab).split("\n")
            cx, y0 = px, top0
            if stagger:
                w = max(text_width(x, size) for x in lines)
                cx = min(max(px, 4 + w / 2), self.d.width - 4 - w / 2)
                x0, x1 = cx - w / 2, cx + w / 2
                y0 = max(
                    [top0]
                    + [b + 2 for a, z, b in boxes if a < x1 + gap and z > x0 - gap]
                )
                if y0 > top0:
                    self.d.line(
                        [(px, self.bottom + tick), (px, y0 - 2)],
                        stroke="#b0b0b0",
                        width=0.6,
                        role="tick",
                    )
                boxes.append((x0, x1, y0 + len(lines) * line_h))
            for k, line in enumerate(lines):
                self.d.text(
                    cx,
                    y0 + k * line_h,
                    line,
                    size=size,
                    anchor="middle",
                    baseline="top",
                    role="xtick-label",
                )
            lowest = max(lowest, y0 + len(lines) * line_h)
        return lowest

    def yticks(
        self,
        ticks: Sequence[float],
        labels: Sequence[str],
        *,
        size: float = 10,
        grid: bool = False,
        tick: float = 4.0,
        pad: float = 3.0,
    ) -> None:
        """Ticks and right-aligned labels left of the box (``"\\n"`` splits lines)."""
        for t, lab in zip(ticks, labels, strict=True):
            py = float(self.y(t))
            if grid:
                self.d.line(
                    [(self.left, py), (self.right, py)],
                    stroke="#e3e3e3",
                    width=0.8,
                    role="grid",
                )
            if tick:
                self.d.line(
                    [(self.left - tick, py), (self.left, py)],
                    stroke="#333333",
                    width=0.8,
                    role="tick",
                )
            lines = str(lab).split("\n")
            for k, line in enumerate(lines):
                yy = py + (k - (len(lines) - 1) / 2) * size * 1.15
                self.d.text(
                    self.left - tick - pad,
                    yy,
                    line,
                    size=size,
                    anchor="end",
                    role="ytick-label",
                )

    def xlabel(self, text: str, y: float, *, size: float = 11) -> float:
        """An x-axis label centred under the box at ``y``; returns the y below it."""
        self.d.text(
            self.left + self.width / 2,
            y + 2,
            text,
            size=size,
            anchor="middle",
            baseline="top",
            role="xlabel",
        )
        return y + 2 + size * 1.25

    def ylabel(self, text: str, x: float, *, size: float = 11) -> None:
        """A y-axis label, turned, centred beside the box with its top at ``x``."""
        self.d.text(
            x,
            self.top + self.height / 2,
            text,
            size=size,
            anchor="middle",
            baseline="top",
            rotate=90,
            role="ylabel",
        )


# ---------------------------------------------------------------------------- text rows

LegendItem = tuple[
    str, dict, str
]  # (kind: "rect" | "line" | a marker letter, style, label)


def legend(
    d: Drawing,
    items: Sequence[LegendItem],
    *,
    top: float,
    left: float = 10.0,
    width: float | None = None,
    size: float = 10.0,
    centre: bool = True,
) -> float:
    """Legend entries (a swatch and its words) in rows across ``width``; returns the y below.

    Each item is ``(kind, style, label)``: kind "rect" (a filled box: style ``fill``,
    ``stroke``), "line" (style ``stroke``, ``dash``, ``width``) or a marker letter of
    :meth:`Drawing.marker` (style ``fill``, ``stroke``, ``width``, ``size``).
    """
    if not items:
        return top
    width = d.width - 2 * left if width is None else width
    gap, swatch, row_h = 16.0, 16.0, size * 1.6
    sizes = [swatch + 5 + text_width(label, size) for _, _, label in items]
    rows: list[list[int]] = [[]]
    used = 0.0
    for i, w in enumerate(sizes):
        if rows[-1] and used + gap + w > width:
            rows.append([])
            used = 0.0
        used += (gap if rows[-1] else 0) + w
        rows[-1].append(i)
    y = top
    for row in rows:
        total = sum(sizes[i] for i in row) + gap * (len(row) - 1)
        x = left + ((width - total) / 2 if centre else 0)
        cy = y + row_h / 2
        for i in row:
            kind, style, label = items[i]
            if kind == "rect":
                d.rect(
                    x + 2,
                    cy - 5,
                    swatch - 4,
                    10,
                    fill=style.get("fill", "#999999"),
                    stroke=style.get("stroke"),
                    opacity=style.get("opacity", 1.0),
                    role="legend-key",
                )
            elif kind == "line":
                d.line(
                    [(x, cy), (x + swatch, cy)],
                    stroke=style.get("stroke", "#333333"),
                    width=style.get("width", 1.5),
                    dash=style.get("dash"),
                    role="legend-key",
                )
            else:
                d.marker(
                    kind,
                    x + swatch / 2,
                    cy,
                    style.get("size", 9),
                    fill=style.get("fill", "#999999"),
                    stroke=style.get("stroke", "#333333"),
                    width=style.get("width", 0.8),
                    opacity=style.get("opacity", 1.0),
                    role="legend-key",
                )
            d.text(x + swatch + 5, cy, label, size=size, role="legend-label")
            x += sizes[i] + gap
        y += row_h
    return y


def title(
    d: Drawing,
    lines: Sequence[str],
    *,
    top: float = 8.0,
    left: float = 10.0,
    size: float = 13.0,
    width: float | None = None,
) -> float:
    """Title lines at the top left, each wrapped to ``width`` (estimated); the first bold.
    Returns the y below them."""
    width = d.width - 2 * left if width is None else width
    y = top
    for k, line in enumerate(lines):
        if not line:
            continue
        bold = k == 0
        s = size if k == 0 else size - 2
        for part in wrap(line, width, s, bold=bold):
            d.text(left, y, part, size=s, bold=bold, baseline="top", role="title")
            y += s * 1.3
    return y


def wrap(text: str, width: float, size: float, *, bold: bool = False) -> list[str]:
    """``text`` split at its line breaks and each line broken at spaces into lines no wider
    than ``width`` (estimated; a single word wider than that keeps its own line)."""
    out: list[str] = []
    for para in str(text).split("\n"):
        words = para.split()
        if not words:
            continue
        lines = [words[0]]
        for w in words[1:]:
            trial = f"{lines[-1]} {w}"
            if text_width(trial, size, bold=bold) <= width:
                lines[-1] = trial
            else:
                lines.append(w)
        out += lines
    return out
