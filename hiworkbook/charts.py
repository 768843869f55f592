"""Charts of the result table, and :class:`Chart`, what every chart function returns.

A :class:`Chart` displays in a notebook as an image inside a ``<figure>`` with alt text and a
caption written from the numbers, so the HTML report carries the picture and a text equivalent
for screen readers. The report's charts are drawn as SVG marks (:mod:`hiworkbook.svgchart`:
the ethnic-group chart here, the views of :mod:`hiworkbook.views`, :mod:`hiworkbook.trendviews`
and :mod:`hiworkbook.lifegap`); the deep dive's quintile chart and funnel plot are matplotlib
figures (no pyplot state), drawn once to PNG by :func:`_render_png`.
"""

from __future__ import annotations

import base64
import html
import io
import os
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hiworkbook import svgchart as sc
from hiworkbook.narrative import HTMLFragment, fmt_value, short_group
from hiworkbook.results import QUINTILE_LABELS, PlaceResults
from hiworkbook.svgchart import Drawing

__all__ = ["Chart", "Panel", "quintile_chart", "ethnicity_chart", "ethnicity_panel"]

# Colour-blind-safe (Okabe–Ito) colours
_BAR = "#0072B2"
_PLACE = "#D55E00"
_COMP = "#555555"


class Chart:
    """A chart with alt text, a caption and the data behind it.

    A chart is drawn either as SVG marks (:class:`hiworkbook.svgchart.Drawing`: the report's
    charts, text laid out by the browser) or on a matplotlib figure (the deep dive's and
    Core20PLUS5's charts). Either way it shows in a notebook inside a ``<figure>`` with its alt
    text and caption, and :meth:`save` exports PNG, SVG and CSV.

    Parameters
    ----------
    picture : Drawing or matplotlib.figure.Figure
    alt : str
        Text alternative: what the chart shows, in words and numbers.
    caption : str
    data : pandas.DataFrame, optional
        The numbers drawn (exported as CSV by :meth:`save`).

    Attributes
    ----------
    drawing : Drawing or None
        The SVG marks, for a chart drawn as SVG.
    figure : matplotlib.figure.Figure
        The chart on a matplotlib figure (for a drawing, drawn from its marks when first asked
        for).
    """

    def __init__(
        self,
        picture: Figure | Drawing,
        alt: str,
        caption: str,
        data: pd.DataFrame | None = None,
    ) -> None:
        self.drawing = picture if isinstance(picture, Drawing) else None
        self._figure = None if self.drawing is not None else picture
        self.alt = alt
        self.caption = caption
        self.data = data
        self._png_cache: tuple[int, bytes] | None = None

    def __repr__(self) -> str:
        kind = "svg" if self.drawing is not None else "matplotlib"
        return f"Chart({kind}, alt={self.alt[:60]!r})"

    @property
    def figure(self) -> Figure:
        if self._figure is None:
            self._figure = self.drawing.figure()
        return self._figure

    def png(self, dpi: int = 110) -> bytes:
        """The chart as PNG bytes, cropped to its drawn content with a 0.1-inch margin.

        The picture is what ``savefig(dpi=dpi, bbox_inches="tight")`` writes, made with one
        draw instead of two: the figure is laid out (its layout engine, usually tight) and drawn
        once on an Agg canvas at ``dpi``; the tight bounding box is measured with the same
        renderer (text metrics are cached per renderer) and the pixels are cropped to it. Only
        when something is drawn outside the figure (which a crop cannot show) does it fall back
        to matplotlib's two-pass ``bbox_inches="tight"``. The bytes are kept until the figure
        changes (``Figure.stale``), so a chart shown and saved is rendered once. A drawing is
        drawn from its marks on a figure of its own size.
        """
        cached = self._png_cache
        if cached is not None and cached[0] == dpi and not self.figure.stale:
            return cached[1]
        data = _render_png(self.figure, dpi)
        self._png_cache = (dpi, data)
        return data

    def svg(self) -> bytes:
        """The chart as SVG bytes (text kept as text; no date, so reproducible)."""
        if self.drawing is not None:
            return self.drawing.svg(self.alt).encode("utf-8")
        import matplotlib

        buf = io.BytesIO()
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "hiw"}):
            self.figure.savefig(
                buf, format="svg", bbox_inches="tight", metadata={"Date": None}
            )
        return buf.getvalue()

    def csv(self) -> bytes:
        """The data behind the chart as UTF-8 CSV (empty when the chart has none)."""
        if self.data is None:
            return b""
        return self.data.to_csv(index=False, lineterminator="\n").encode("utf-8")

    def save(self, folder: str | Path, stem: str) -> dict[str, Path]:
        """Write ``<stem>.png``, ``<stem>.svg`` and ``<stem>.csv`` into ``folder``, atomically.

        All three are rendered first, then each is written to a temporary file in ``folder``
        and moved into place, so a failure leaves no partial or missing-sibling export.

        Parameters
        ----------
        folder : str or Path
            Created if missing.
        stem : str
            File name without extension.

        Returns
        -------
        dict
            ``{"png": Path, "svg": Path, "csv": Path}``.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        blobs = {"png": self.png(), "svg": self.svg(), "csv": self.csv()}
        tmps: dict[str, Path] = {}
        try:
            for ext, blob in blobs.items():
                fd, name = tempfile.mkstemp(
                    dir=folder, prefix=f".{stem}.", suffix=f".{ext}.tmp"
                )
                with os.fdopen(fd, "wb") as fh:
                    fh.write(blob)
                tmps[ext] = Path(name)
            out = {}
            for ext, tmp in tmps.items():
                dest = folder / f"{stem}.{ext}"
                tmp.chmod(0o644)
                tmp.replace(dest)
                out[ext] = dest
            return out
        finally:
            for tmp in tmps.values():
                tmp.unlink(missing_ok=True)

    def _repr_html_(self) -> str:
        if self.drawing is not None:
            # the SVG as an image: the browser draws it (text included) and the alt text is
            # the image's, as for a PNG; user text inside is escaped by Drawing.svg
            data = base64.b64encode(self.drawing.svg().encode("utf-8")).decode("ascii")
            src = f"data:image/svg+xml;base64,{data}"
            size = f' width="{round(self.drawing.width)}" height="{round(self.drawing.height)}"'
        else:
            src = "data:image/png;base64," + base64.b64encode(self.png()).decode(
                "ascii"
            )
            size = ""
        return (
            f'<figure class="hiw-chart"><img src="{src}"{size} '
            f'alt="{html.escape(self.alt)}"/><figcaption>{html.escape(self.caption)}</figcaption></figure>'
        )


_PAD_INCHES = 0.1  # matplotlib's savefig.pad_inches, the margin around a tight crop


_TEXT_METRICS: dict = {}  # (text, font, dpi, rc) -> (width, height, descent) in pixels
_TEXT_METRICS_MAX = 50_000
_FONT_HEIGHTS: dict = {}  # (font key, dpi) -> (ascent, descent, line gap) in pixels
_CANVAS: type | None = None


_GENERIC_FAMILIES = ("serif", "sans-serif", "cursive", "fantasy", "monospace")


def _font_key(prop) -> tuple:  # noqa: ANN001
    """What picks a font: its properties and, for a generic family such as "sans-serif", the
    font list that rcParams resolve it through (a notebook may change it)."""
    import matplotlib as mpl

    rc = mpl.rcParams
    return (
        prop.copy(),
        tuple(
            tuple(rc[f"font.{f}"]) for f in prop.get_family() if f in _GENERIC_FAMILIES
        ),
    )


def _font_height_metrics(prop, dpi: float) -> tuple:  # noqa: ANN001
    """A font's ascent, descent and line gap in pixels, as ``matplotlib.text.Text`` reads them
    (the OS/2 typographic values, else hhea's), or Nones when the font has neither table
    (the text is then measured instead, as matplotlib does)."""
    from matplotlib.font_manager import fontManager, get_font

    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, gap_key, ascent_key, descent_key in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        # the same arithmetic, in the same order, as matplotlib's: the same floats
        units_per_em = font.get_sfnt_table("head")["unitsPerEm"]
        scale = 1 / units_per_em * prop.get_size_in_points() * dpi / 72
        return (
            table[ascent_key] * scale,
            -table[descent_key] * scale,
            table[gap_key] * scale,
        )
    return (None, None, None)


def _canvas_class() -> type:
    """An Agg canvas whose renderers share one cache of plain-text metrics.

    Matplotlib caches a string's width, height and descent per renderer object, and a new
    renderer is made for every figure size (the layout pass, the drawing of a tight box and
    every chart of a report). The metrics of plain text depend only on the string, the font
    properties, the dpi and the hinting settings, so these renderers look them up in one
    process-wide table (cleared when it reaches 50,000 strings): a tick label, legend entry or
    indicator name measured once is not shaped again by FreeType in the next chart, or in the
    next place's report in a warm kernel. Mathtext and TeX are measured as usual.

    Likewise a font's ascent, descent and line gap, which matplotlib's text layout reads from
    the font's tables for every text box at every measurement (about 3,600 times in a place
    report): read once per font, size and dpi (:func:`_font_height_metrics`, the same
    arithmetic). Render time of a report's charts 1.74 → 1.40 s with the same PNG bytes
    (synthetic England, three LTLAs). The boxes are checked against a plain Agg renderer's
    (tests/test_views.py).
    """
    global _CANVAS
    if _CANVAS is not None:
        return _CANVAS
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg

    class _SharedMetricsRenderer(RendererAgg):
        def get_text_width_height_descent(self, s, prop, ismath):  # noqa: ANN001, ANN201
            if ismath is not False:
                return super().get_text_width_height_descent(s, prop, ismath)
            rc = mpl.rcParams
            key = (
                s,
                _font_key(prop),
                self.dpi,
                rc["text.hinting"],
                rc["text.hinting_factor"],
                rc.get("text.kerning_factor"),
            )
            hit = _TEXT_METRICS.get(key)
            if hit is None:
                hit = super().get_text_width_height_descent(s, prop, ismath)
                if len(_TEXT_METRICS) >= _TEXT_METRICS_MAX:
                    _TEXT_METRICS.clear()
                _TEXT_METRICS[key] = hit
            return hit

        def _get_font_height_metrics(self, prop):  # noqa: ANN001, ANN202
            # Matplotlib's text layout asks the renderer for a font's ascent, descent and
            # line gap (scaled to the size and dpi) before reading them from the font's
            # tables itself; it does so for every text box at every measurement. The same
            # numbers, read once per font, size and dpi.
            key = (_font_key(prop), self.dpi)
            hit = _FONT_HEIGHTS.get(key)
            if hit is None:
                hit = _font_height_metrics(prop, self.dpi)
                if len(_FONT_HEIGHTS) >= _TEXT_METRICS_MAX:
                    _FONT_HEIGHTS.clear()
                _FONT_HEIGHTS[key] = hit
            return hit

    class _SharedMetricsCanvas(FigureCanvasAgg):
        def get_renderer(self):  # noqa: ANN201
            w, h = self.get_width_height(physical=True)
            key = w, h, self.figure.dpi
            if self._lastKey != key:
                self.renderer = _SharedMetricsRenderer(w, h, self.figure.dpi)
                self._lastKey = key
            return self.renderer

    _CANVAS = _SharedMetricsCanvas
    return _CANVAS


def _render_png(fig: Figure, dpi: int) -> bytes:
    """Lay out and draw ``fig`` once at ``dpi`` and return PNG bytes of its tight bounding box.

    The same picture as ``fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")`` (the
    drawn content plus a 0.1-inch margin in the figure's face colour; no "Software" metadata,
    so the bytes are the same on every run) with one layout pass and one draw instead of
    savefig's layout, dry-run draw, second layout and real draw:

    1. the figure's layout engine (tight layout) runs once, on the Agg renderer that draws;
    2. the tight bounding box is measured with that renderer (its text metrics are cached);
    3. if everything drawn lies inside the figure, the figure is drawn once and the pixels are
       cropped to the box; otherwise (a legend or title placed outside) it is drawn once on a
       canvas of the box's size, as savefig does.
    """
    if not isinstance(fig.canvas, _canvas_class()):
        _canvas_class()(fig)
    canvas = fig.canvas
    fig.set_dpi(dpi)
    renderer = canvas.get_renderer()
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
        fig.set_layout_engine("none")  # laid out: the draw must not do it again
    try:
        tight = fig.get_tightbbox(renderer)  # inches
        width, height = fig.get_size_inches()
        eps = 0.5 / dpi
        inside = (
            tight.x0 >= -eps
            and tight.y0 >= -eps
            and tight.x1 <= width + eps
            and tight.y1 <= height + eps
        )
        if not inside:
            return _render_png_outside(fig, tight.padded(_PAD_INCHES), dpi, renderer)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
            fig.stale = False  # the engine is back; the picture has not changed
    rows, cols = rgba.shape[:2]
    pad = _PAD_INCHES * dpi
    # pixel box of the padded tight bbox; rows count down from the top of the buffer
    x0 = int(np.floor(tight.x0 * dpi - pad))
    x1 = x0 + int(tight.width * dpi + 2 * pad)
    top = int(np.floor((height - tight.y1) * dpi - pad))
    bottom = top + int(tight.height * dpi + 2 * pad)
    face = [round(255 * c) for c in fig.get_facecolor()]
    out = np.empty((bottom - top, x1 - x0, 4), dtype=np.uint8)
    out[:] = np.array(face, dtype=np.uint8)
    sy0, sy1 = max(top, 0), min(bottom, rows)
    sx0, sx1 = max(x0, 0), min(x1, cols)
    out[sy0 - top : sy1 - top, sx0 - x0 : sx1 - x0] = rgba[sy0:sy1, sx0:sx1]
    return _encode_png(out, dpi)


def _encode_png(rgba: np.ndarray, dpi: int) -> bytes:
    """PNG bytes of an RGBA pixel array (rows from the top), with the dpi recorded.

    An opaque picture (every alpha 255, as with the charts' white face) is written as RGB, the
    same pixels in three bytes instead of four; zlib level 3 compresses these flat-colour
    pictures about as small as level 6 in half the time. No text chunks and no time stamp, so
    the same pixels give the same bytes.
    """
    from PIL import Image

    arr = np.ascontiguousarray(rgba)
    if bool((arr[..., 3] == 255).all()):
        arr = np.ascontiguousarray(arr[..., :3])
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="png", compress_level=3, dpi=(dpi, dpi))
    return buf.getvalue()


def _render_png_outside(fig: Figure, box, dpi: int, renderer) -> bytes:
    """Draw ``fig`` (already laid out) once on a canvas the size of ``box`` (inches, padded).

    What savefig does after its dry run for ``bbox_inches="tight"``: matplotlib's own
    ``_tight_bbox.adjust_bbox`` moves the figure onto the box, the figure is drawn and
    restored. If that helper is missing or has another signature (it is private), savefig is
    called with the box instead (one more dry-run draw, the same picture).
    """
    import inspect

    buf = io.BytesIO()
    try:
        from matplotlib._tight_bbox import adjust_bbox

        params = list(inspect.signature(adjust_bbox).parameters)
    except (ImportError, ValueError, TypeError):
        params = []
    canvas = fig.canvas
    if params == ["fig", "bbox_inches", "renderer", "fixed_dpi"]:
        restore = adjust_bbox(fig, box, renderer, canvas.fixed_dpi)
        try:
            canvas.draw()
            rgba = np.asarray(canvas.buffer_rgba()).copy()
        finally:
            restore()
        return _encode_png(rgba, dpi)
    else:
        fig.savefig(
            buf,
            format="png",
            dpi=dpi,
            bbox_inches=box,
            pad_inches=0,
            metadata={"Software": None},
        )
    return buf.getvalue()


def quintile_chart(
    results: PlaceResults, indicator_id: str, *, sex: str | None = None
) -> Chart | HTMLFragment:
    """An indicator by national deprivation quintile with 95% CIs and the slope index of inequality.

    Bars show each quintile's value with its confidence interval; a line marks the place's own
    value and, when available, the primary comparator's. The title carries the SII with its CI.
    When ``indicator_id`` has no quintile values, another indicator that has is charted; when
    none has, the sentence of :func:`hiworkbook.coverage.missing_section` is returned instead.

    Parameters
    ----------
    results : PlaceResults
    indicator_id : str
    sex : str, optional
        For indicators reported by sex (life expectancy); default the first available.
    """
    picked = results.pick(indicator_id, "gradient")
    if picked is None:
        from hiworkbook.coverage import missing_section

        return missing_section(results, "gradient", indicator_id)
    indicator_id = picked
    ind = results.indicators[indicator_id]
    q = results.for_indicator(indicator_id, "imd_quintile")
    sexes = sorted(q["sex"].unique())
    sex = sex or (
        "persons" if "persons" in sexes else (sexes[0] if sexes else "persons")
    )
    q = q[q["sex"] == sex].set_index("category").reindex(list(QUINTILE_LABELS.values()))
    area = results.for_indicator(indicator_id, "area")
    area = area[area["sex"] == sex]
    comp = results.table[
        (results.table["indicator_id"] == indicator_id)
        & (results.table["breakdown"] == "comparator")
        & (results.table["area_name"] == results.primary_comparator)
        & (results.table["sex"] == sex)
    ]

    fig = Figure(figsize=(7.2, 3.8))
    ax = fig.add_subplot()
    x = np.arange(5)
    vals = q["value"].to_numpy(dtype=float)
    lo = q["lower_ci"].to_numpy(dtype=float)
    hi = q["upper_ci"].to_numpy(dtype=float)
    ax.bar(x, np.nan_to_num(vals), color=_BAR, width=0.6, label="Quintile value")
    err = np.vstack([np.nan_to_num(vals - lo), np.nan_to_num(hi - vals)])
    ax.errorbar(
        x,
        np.nan_to_num(vals),
        yerr=err,
        fmt="none",
        ecolor="black",
        capsize=4,
        lw=1,
        label="95% CI",
    )
    for xi, v in zip(x, vals, strict=True):
        if np.isnan(v):
            ax.text(
                xi,
                0,
                "no data /\nsuppressed",
                ha="center",
                va="bottom",
                fontsize=8,
                color=_COMP,
            )
    if len(area) and pd.notna(area["value"].iloc[0]):
        ax.axhline(
            float(area["value"].iloc[0]),
            color=_PLACE,
            lw=1.5,
            ls="-",
            label=results.place.name,
        )
    if len(comp) and pd.notna(comp["value"].iloc[0]):
        ax.axhline(
            float(comp["value"].iloc[0]),
            color=_COMP,
            lw=1.2,
            ls="--",
            label=results.primary_comparator,
        )
    ax.set_xticks(
        x, [lbl.replace(" (", "\n(") for lbl in QUINTILE_LABELS.values()], fontsize=8
    )
    ax.set_ylabel(ind.unit if ind.unit != "%" else "per cent")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        fontsize=7,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22),
        ncol=4,
    )
    sex_txt = "" if sex == "persons" else f" ({sex}s)"
    s = results.sii[
        (results.sii["indicator_id"] == indicator_id) & (results.sii["sex"] == sex)
    ]
    sii_txt = ""
    if len(s) and pd.notna(s["sii"].iloc[0]):
        from hiworkbook.sii_reading import sii_statement

        sii_txt = sii_statement(
            float(s["sii"].iloc[0]),
            float(s["lower_ci"].iloc[0]),
            float(s["upper_ci"].iloc[0]),
            ind.unit,
        )
    ax.set_title(
        f"{ind.name}{sex_txt}, {results.period}\n{textwrap.fill(sii_txt, 90)}",
        fontsize=9,
        loc="left",
    )
    fig.set_layout_engine(
        "tight"
    )  # laid out when drawn, with the renderer that draws it

    parts = [
        f"{label}: {fmt_value(v, ind.unit)}"
        for label, v in zip(QUINTILE_LABELS.values(), vals, strict=True)
    ]
    alt = (
        f"Bar chart of {ind.name}{sex_txt} by national deprivation quintile in {results.place.name}. "
        + "; ".join(parts)
    )
    caption = (
        f"{ind.name}{sex_txt} by national IMD quintile of residence, {results.place.name}, {results.period}, "
        f"with 95% confidence intervals. {sii_txt + '.' if sii_txt else ''}"
    )
    data = pd.DataFrame(
        {
            "imd_quintile": list(QUINTILE_LABELS.values()),
            "value": vals,
            "lower_ci": lo,
            "upper_ci": hi,
        }
    )
    return Chart(fig, alt, caption, data)


def ethnicity_chart(
    results: PlaceResults,
    indicator_id: str,
    *,
    comparator: str | None = None,
    level: str = "95",
) -> Chart | None:
    """An indicator by broad ethnic group, horizontal bars with 95% CIs, coloured by the
    benchmark grammar (:mod:`hiworkbook.benchmark`) against the comparator.

    Parameters
    ----------
    results : PlaceResults
    indicator_id : str
    comparator : str, optional
        Default the place itself (:func:`hiworkbook.benchmark.reference`).
    level : {"95", "99.8", "both"}

    Returns
    -------
    Chart or None
        None when the indicator has no ethnic-group breakdown.
    """
    from hiworkbook import benchmark as bm

    ind = results.indicators[indicator_id]
    e = results.for_indicator(indicator_id, "ethnic_group")
    if e.empty:
        return None
    e = e.sort_values("category")
    ref = bm.reference(results, comparator, breakdown="ethnic_group")
    cats = bm.classify(e, ref, level=level)
    ref_val = ref.value_for(e)
    vals = e["value"].to_numpy(dtype=float)
    lo = e["lower_ci"].to_numpy(dtype=float)
    hi = e["upper_ci"].to_numpy(dtype=float)
    labels = [short_group(c) for c in e["category"]]
    rv = ref_val.dropna()
    comp_value = float(rv.iloc[0]) if len(rv) else np.nan

    n = len(e)
    d = Drawing(720)
    top = sc.title(d, [f"{ind.name} by ethnic group, {results.period}"]) + 6
    left = 10 + max(sc.text_width(t, 11) for t in labels) + 10
    ax_width = d.width - left - 60  # room on the right for the symbols
    xlim, ticks = sc.axis_range([*vals, *lo, *hi, comp_value], zero=True)
    ax = sc.Axes(d, left, top, ax_width, 30 * n, xlim, (-0.6, n - 0.4))
    ax.xticks(ticks, sc.tick_labels(ticks), grid=True)
    for i, (cat, v, a, b, c) in enumerate(
        zip(e["category"], vals, lo, hi, cats, strict=True)
    ):
        yy = n - 1 - i  # the first group at the top
        k = bm.category(c)
        ax.barh(
            yy,
            v,
            0.6,
            fill=k.colour,
            stroke="#333333",
            datum={"category": cat, "value": v, "benchmark": c},
        )
        ax.errorbar(yy, a, b, horizontal=True, cap=3)
        end = np.nanmax([v, b, 0.0]) if np.isfinite(v) else 0.0
        ax.d.text(
            float(ax.x(end)) + 4,
            float(ax.y(yy)),
            k.symbol if np.isfinite(v) else f"{k.symbol} suppressed",
            role="symbol",
        )
    ax.yticks(range(n), labels[::-1], size=11, tick=0)
    ax.vline(comp_value, stroke=_COMP, dash="dash", role="comparator")
    ax.spines()
    y = ax.xlabel(ind.unit if ind.unit != "%" else "per cent", ax.bottom + 22)
    keys = [k for k in bm.legend_keys(ind.polarity, level) if k in set(cats)]
    items = bm.legend_items(keys)
    if np.isfinite(comp_value):
        items.append(
            ("line", {"stroke": _COMP, "dash": "dash"}, f"{ref.name} (comparator)")
        )
    d.height = sc.legend(d, items, top=y + 6) + 8
    words = {k: bm.category(k).label.lower() for k in bm.CATEGORIES}
    parts = [
        f"{short_group(c)}: "
        + ("suppressed" if s else f"{fmt_value(v, ind.unit)} ({words[k]})")
        for c, v, k, s in zip(
            e["category"], vals, cats, e["is_suppressed"], strict=True
        )
    ]
    alt = (
        f"Bar chart of {ind.name} by ethnic group in {results.place.name}, "
        f"{ref.phrase(level)}. " + "; ".join(parts)
    )
    caption = (
        f"{ind.name} by broad ethnic group (ONS 2021 categories), {results.place.name}, "
        f"{results.period}, with 95% confidence intervals, each group {ref.phrase(level)} "
        "(colour, symbol and legend words as in every view)."
    )
    data = pd.DataFrame(
        {
            "ethnic_group": e["category"].to_numpy(),
            "value": vals,
            "lower_ci": lo,
            "upper_ci": hi,
            "comparator": ref.name,
            "comparator_value": ref_val.to_numpy(dtype=float),
            "benchmark": cats.to_numpy(),
            "is_suppressed": e["is_suppressed"].to_numpy(),
        }
    )
    return Chart(d, alt, caption, data)


Panel = HTMLFragment  # several charts shown together


def ethnicity_panel(
    results: PlaceResults,
    indicator_ids: list[str],
    *,
    comparator: str | None = None,
    level: str = "95",
) -> Panel:
    """Ethnic-group charts for the indicators that have that breakdown, or a sentence saying
    that none has.

    Parameters
    ----------
    results : PlaceResults
    indicator_ids : list of str
        Indicators to show; those without ethnic-group rows are skipped.
    comparator, level : str, optional
        As :func:`ethnicity_chart`.
    """
    charts = []
    for i in indicator_ids:
        if (
            i in results.indicators
            and not results.for_indicator(i, "ethnic_group").empty
        ):
            charts.append(
                ethnicity_chart(results, i, comparator=comparator, level=level)
            )
    if not charts:
        from hiworkbook.coverage import missing_section

        return missing_section(results, "ethnicity")
    return Panel("".join(c._repr_html_() for c in charts))


# ---------------------------------------------------------------------- funnel plot
_FUNNEL_STATISTIC = {"proportion": "proportion", "rate": "rate", "isratio": "ratio"}


def funnel_plot(
    results: PlaceResults,
    indicator_id: str,
    *,
    sex: str | None = None,
    max_labels: int = 12,
) -> Chart | None:
    """A place's small areas on a funnel plot around the place's own value.

    Each unsuppressed small area is a point at its denominator (population, or expected count
    for a standardised ratio) and value; the centre line is the place's value and the curves
    are the 95% and 99.8% control limits at each denominator
    (:func:`hiworkbook.stats.funnel_limits` / :func:`hiworkbook.stats.funnel_curve`: Wilson-
    inverted limits for proportions, exact Poisson limits for rates and ratios, as
    PHEindicatormethods and PHE's funnel-plot tools; Spiegelhalter 2005). Points beyond the
    99.8% limits are labelled with the area's name (the ``max_labels`` furthest out); points
    between the 95% and 99.8% limits are drawn as open orange circles. Suppressed small areas
    are not plotted and the caption says how many were left out.

    Parameters
    ----------
    results : PlaceResults
    indicator_id : str
    sex : str, optional
        Default persons, else the first sex reported.
    max_labels : int, default 12

    Returns
    -------
    Chart or None
        None when the indicator's measure has no funnel in :mod:`hiworkbook.stats`
        (directly standardised rates, life expectancy) or no small area has a value.

    References
    ----------
    Spiegelhalter, D. J. (2005). Funnel plots for comparing institutional performance.
    Statistics in Medicine 24(8):1185-1202.
    """
    from hiworkbook import stats

    ind = results.indicators[indicator_id]
    statistic = _FUNNEL_STATISTIC.get(ind.measure)
    if statistic is None:
        return None
    sa = results.for_indicator(indicator_id, "small_area")
    area = results.for_indicator(indicator_id, "area")
    if sa.empty or area.empty:
        return None
    sexes = sorted(sa["sex"].unique())
    sex = sex or ("persons" if "persons" in sexes else sexes[0])
    sa = sa[sa["sex"] == sex]
    area = area[area["sex"] == sex]
    if area.empty or pd.isna(area["value"].iloc[0]):
        return None
    target = float(area["value"].iloc[0])
    suppressed = int(sa["is_suppressed"].fillna(False).astype(bool).sum())
    pts = sa[~sa["is_suppressed"].fillna(False).astype(bool)].copy()
    pts["numerator"] = pd.to_numeric(pts["numerator"], errors="coerce")
    pts["denominator"] = pd.to_numeric(pts["denominator"], errors="coerce")
    no_denominator = int((~(pts["denominator"] > 0)).sum())
    pts = pts[pts["denominator"] > 0]
    if pts.empty:
        return None
    mult = float(ind.multiplier)
    # the target is the place's own value on the indicator's scale (for a standardised
    # ratio the place's ratio, e.g. 104 when multiplier = 100)
    lim = stats.funnel_limits(
        pts,
        "numerator",
        "denominator",
        statistic=statistic,
        multiplier=mult,
        target=target,
    )
    n = lim["denominator"].to_numpy(dtype=float)
    grid = np.geomspace(max(n.min() * 0.8, 1e-9), n.max() * 1.15, 200)
    curve = stats.funnel_curve(target, grid, statistic=statistic, multiplier=mult)

    fig = Figure(figsize=(7.2, 4.2))
    ax = fig.add_subplot()
    ax.plot(grid, curve["target"], color=_PLACE, lw=1.5, label=f"{results.place.name}")
    for s, ls, lbl in (("95", "--", "95% limits"), ("99_8", ":", "99.8% limits")):
        ax.plot(grid, curve[f"lower_limit_{s}"], color=_COMP, ls=ls, lw=1, label=lbl)
        ax.plot(grid, curve[f"upper_limit_{s}"], color=_COMP, ls=ls, lw=1)
    out998 = lim["significance_99_8"].isin(["high", "low"]).to_numpy()
    out95 = lim["significance_95"].isin(["high", "low"]).to_numpy() & ~out998
    inside = ~(out998 | out95)
    v = lim["value"].to_numpy(dtype=float)
    ax.scatter(n[inside], v[inside], s=14, color=_BAR, alpha=0.7, label="within 95%")
    ax.scatter(
        n[out95],
        v[out95],
        s=22,
        facecolors="none",
        edgecolors=_PLACE,
        label="outside 95%",
    )
    ax.scatter(
        n[out998], v[out998], s=26, color=_PLACE, marker="D", label="outside 99.8%"
    )
    names = lim["area_name"].fillna(lim["area_code"]).astype(str).to_numpy()
    dist = np.abs(v - target) / np.maximum(
        np.abs(lim["upper_limit_99_8"].to_numpy(dtype=float) - target), 1e-12
    )
    order = [i for i in np.argsort(-dist) if out998[i]][:max_labels]
    for k, i in enumerate(order):
        ax.annotate(
            names[i],
            (n[i], v[i]),
            xytext=(4, 3 if k % 2 == 0 else -9),
            textcoords="offset points",
            fontsize=7,
            color="#1a1a1a",
        )
    ax.set_xscale("log")
    ax.set_xlabel(
        "Expected events (log scale)"
        if statistic == "ratio"
        else "Denominator (log scale)"
    )
    ax.set_ylabel(ind.unit if ind.unit != "%" else "per cent")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        fontsize=7,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=6,
    )
    ax.set_title(
        f"{ind.name}: {results.place.name}'s small areas, {results.period}",
        fontsize=9,
        loc="left",
    )
    fig.set_layout_engine(
        "tight"
    )  # laid out when drawn, with the renderer that draws it

    high = int((lim["significance_99_8"] == "high").sum())
    low = int((lim["significance_99_8"] == "low").sum())
    n95 = int(out95.sum())
    left_out = suppressed + no_denominator
    left_txt = (
        f" {left_out:,} small area(s) left out ({suppressed:,} suppressed for small numbers"
        + (f", {no_denominator:,} without a denominator" if no_denominator else "")
        + ")."
        if left_out
        else " No small area was left out."
    )
    labelled = [names[i] for i in order]
    more = int(out998.sum()) - len(labelled)
    alt = (
        f"Funnel plot of {ind.name} for {len(lim):,} small areas of {results.place.name} "
        f"against the place value {fmt_value(target, ind.unit)}. {high:,} above and {low:,} "
        f"below the 99.8% limits"
        + (
            f" ({', '.join(labelled)}{f' and {more} more' if more > 0 else ''})"
            if labelled
            else ""
        )
        + f"; {n95:,} more outside the 95% limits only."
    )
    caption = (
        f"{ind.name}, {results.period}: each point is a small area of {results.place.name}, "
        f"plotted against its {'expected count' if statistic == 'ratio' else 'denominator'}; "
        f"the line is the place value ({fmt_value(target, ind.unit)}) and the curves its 95% "
        f"and 99.8% control limits. {high:,} area(s) lie above and {low:,} below the 99.8% "
        f"limits (labelled), {n95:,} more outside the 95% limits only.{left_txt}"
    )
    return Chart(fig, alt, caption)


__all__ += ["funnel_plot"]
