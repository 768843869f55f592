"""Folium maps of small areas for reports that render offline.

Every map is a :class:`OfflineMap`: a ``folium.Map`` with no base-map tiles by default, geometry
simplified in EPSG:27700 (British National Grid, metres) and reprojected to EPSG:4326 with
coordinates rounded to 5 decimal places (about 1 m), only the columns the tooltip needs embedded,
an HTML legend, and tooltips whose text is escaped. Displayed in a notebook it becomes an
``<iframe srcdoc=…>`` of a self-contained page (Leaflet inlined by :mod:`hiworkbook.assets`),
so the executed notebook and the HTML report carry a working map with no network.

Colours are colour-blind safe: deprivation deciles use the 10-step *viridis* ramp (decile 1,
most deprived, darkest); indicator classes use ColorBrewer sequential ramps (*YlOrRd* with
darker = worse when the indicator has a polarity, *YlGnBu* with darker = higher otherwise).
Suppressed values are hatched grey; missing values are pale grey with a dashed outline.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import folium
    import geopandas as gpd

log = logging.getLogger(__name__)

__all__ = [
    "OfflineMap",
    "DECILE_COLOURS",
    "deprivation_map",
    "indicator_map",
    "results_map",
    "benchmark_map",
    "budgeted_map",
    "mapclassify_classes",
    "MAPCLASSIFY_SCHEMES",
    "classify",
    "prepare_geometry",
    "fit_when_sized",
]

#: viridis sampled at 10 points; index 0 = decile 1 (most deprived) = darkest.
DECILE_COLOURS: tuple[str, ...] = (
    "#440154",
    "#482878",
    "#3e4989",
    "#31688e",
    "#26828e",
    "#1f9e89",
    "#35b779",
    "#6ece58",
    "#b5de2b",
    "#fde725",
)
SUPPRESSED_FILL = "url(#hiw-hatch)"
SUPPRESSED_LABEL = "suppressed (small numbers)"
NO_DATA_FILL = "#f2f2f2"
NO_DATA_LABEL = "no data"
_SUPPRESSED_SWATCH = "repeating-linear-gradient(45deg,#d0d0d0 0 3px,#8c8c8c 3px 4.5px)"
_POLARITIES = {"high_is_good", "low_is_good", "no_judgement"}
_DEFAULT_TOLERANCE = 10.0
_DEFAULT_HEIGHT = 480

# A hidden SVG with the hatch pattern Leaflet's paths refer to as fill="url(#hiw-hatch)",
# plus the page styles: white background (no tiles), legend box, tooltip.
_PAGE_EXTRAS = """
<svg width="0" height="0" style="position:absolute" aria-hidden="true" focusable="false">
  <defs>
    <pattern id="hiw-hatch" patternUnits="userSpaceOnUse" width="6" height="6"
             patternTransform="rotate(45)">
      <rect width="6" height="6" fill="#d0d0d0"></rect>
      <line x1="0" y1="0" x2="0" y2="6" stroke="#8c8c8c" stroke-width="3"></line>
    </pattern>
  </defs>
</svg>
"""
_PAGE_STYLE = """
<style>
  html, body { margin: 0; padding: 0; font-family: system-ui, -apple-system, "Segoe UI",
    Roboto, Arial, sans-serif; }
  html .leaflet-container { background: #ffffff; font: inherit; font-size: 13px; }
  .hiw-legend { position: absolute; z-index: 1000; right: 10px; bottom: 24px;
    max-height: calc(100% - 48px); overflow: auto; background: rgba(255,255,255,0.94);
    border: 1px solid #999; border-radius: 4px; padding: 6px 8px; font-size: 12px;
    line-height: 1.35; color: #1a1a1a; box-shadow: 0 1px 4px rgba(0,0,0,.2);
    max-width: min(46%, 270px); }
  .hiw-legend h2 { font-size: 12px; margin: 0 0 4px 0; font-weight: 700; }
  .hiw-legend p { margin: 4px 0 0 0; color: #333; }
  .hiw-legend ul { list-style: none; margin: 0; padding: 0; }
  .hiw-legend li { display: flex; align-items: center; gap: 6px; margin: 1px 0; }
  .hiw-legend .sw { flex: 0 0 auto; display: inline-block; width: 16px; height: 12px;
    border: 1px solid #666; }
  .hiw-tip { font-size: 12px; line-height: 1.4; }
  .hiw-tip b { font-size: 13px; }
  .leaflet-tooltip table td { padding: 0; }
  /* phones: the legend sits above the map instead of covering its corner (where the most
     deprived neighbourhoods often are); the map takes the rest of the frame */
  @media (max-width: 480px) {
    html body main { display: flex; flex-direction: column; height: 100vh; }
    .hiw-legend { position: static; flex: 0 0 auto; max-width: none; max-height: 38vh;
      box-shadow: none; border-width: 0 0 1px 0; border-radius: 0; font-size: 11px; }
    .hiw-legend ul { display: flex; flex-wrap: wrap; gap: 0 10px; }
    .folium-map { flex: 1 1 auto; height: auto !important; min-height: 0; }
  }
  /* print (an A4 board paper, docs/index-and-pdf.md): the legend beside the map, not over it;
     the map re-fits to what is left (fitBounds on resize) */
  @media print {
    * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
    .leaflet-control-container { display: none; }
    html body main { display: flex; flex-direction: row; align-items: flex-end; height: 100vh; }
    .hiw-legend { position: static; order: 2; flex: 0 0 auto; max-width: 32%; max-height: none;
      box-shadow: none; border-radius: 0; border-width: 0 0 0 1px; font-size: 10px; }
    .hiw-legend h2 { font-size: 10px; }
    .folium-map { flex: 1 1 auto; height: 100% !important; min-width: 0; }
  }
</style>
"""


# ---------------------------------------------------------------------------- OfflineMap


@dataclass
class OfflineMap:
    """A folium map that renders as one self-contained page.

    Attributes
    ----------
    map : folium.Map
        The map; add layers to it as usual (anything needing a CDN fails in :meth:`to_html`).
    title : str
        Plain-text title, used as the page title, the iframe's ``title``/``aria-label`` and the
        figure caption (screen readers announce it).
    height : int
        Height of the iframe in a notebook or report, in pixels.
    allow_tiles : bool
        The map has a remote tile layer (made with ``tiles="OpenStreetMap"``, for online use).
    description : str
        Optional longer text equivalent of the map (e.g. "12 of 120 neighbourhoods are in the
        most deprived 10% in England"), shown under the map.
    """

    map: folium.Map
    title: str
    height: int = _DEFAULT_HEIGHT
    allow_tiles: bool = False
    description: str = ""
    _stats: dict[str, Any] = field(default_factory=dict, repr=False)
    _page: tuple[tuple, str] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def _fingerprint(self) -> tuple:
        """What the page depends on, cheaply: the attributes and the tree of folium elements
        (names of every child, recursively). Adding or removing a layer anywhere changes it."""

        def tree(el: Any) -> tuple:
            return tuple(
                (name, tree(child))
                for name, child in getattr(el, "_children", {}).items()
            )

        return (
            self.title,
            self.description,
            self.allow_tiles,
            tree(self.map.get_root()),
        )

    def to_html(self) -> str:
        """The whole page, with Leaflet (and d3 if used) inlined.

        The page is rendered once and kept while the map's element tree, title and description
        are unchanged, so measuring a map's size (:func:`budgeted_map`) and showing it in the
        report render it once.

        Returns
        -------
        str
            A complete HTML document that needs no network (unless ``allow_tiles``).
        """
        from hiworkbook.assets import inline_assets

        key = self._fingerprint()
        if self._page is not None and self._page[0] == key:
            return self._page[1]
        page = _stable_ids(self.map.get_root().render())
        page = _accessible_page(page, self.title, self.description)
        page = inline_assets(page, allow_tiles=self.allow_tiles)
        # folium adds elements while rendering: the key is the tree as rendered
        self._page = (self._fingerprint(), page)
        return page

    def save(self, path: str | Path) -> Path:
        """Write :meth:`to_html` to ``path`` atomically.

        Parameters
        ----------
        path : str or Path

        Returns
        -------
        Path
        """
        from hiworkbook.report import write_html

        return write_html(self.to_html(), Path(path))

    def _repr_html_(self) -> str:
        page = self.to_html()
        t = html.escape(self.title, quote=True)
        desc = (
            f'<p class="hiw-map-desc">{html.escape(self.description)}</p>'
            if self.description
            else ""
        )
        return (
            f'<figure class="hiw-map">'
            f'<iframe srcdoc="{html.escape(page, quote=True)}" title="{t}" aria-label="{t}" '
            f'style="width:100%;height:{int(self.height)}px;border:1px solid #c8c8c8" '
            f'sandbox="allow-scripts" loading="eager"></iframe>'
            f"<figcaption>{html.escape(self.title)}</figcaption>{desc}</figure>"
        )


# ---------------------------------------------------------------------------- geometry


def prepare_geometry(
    gdf: gpd.GeoDataFrame,
    columns: Sequence[str] = (),
    *,
    tolerance: float = _DEFAULT_TOLERANCE,
    precision: float = 1e-5,
) -> gpd.GeoDataFrame:
    """Slim a GeoDataFrame down for the web.

    Keeps only ``columns`` and the geometry, simplifies in EPSG:27700 (``tolerance`` metres,
    topology of each polygon preserved), reprojects to EPSG:4326 and rounds coordinates to
    ``precision`` degrees. Empty geometries are dropped.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Must have a CRS.
    columns : sequence of str
        Attribute columns to keep.
    tolerance : float, default 10
        Simplification tolerance in metres; 0 or None = no simplification.
    precision : float, default 1e-5
        Grid size for :func:`shapely.set_precision` in degrees (1e-5° ≈ 1.1 m).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326 with a fresh RangeIndex.

    Raises
    ------
    ValueError
        If ``gdf`` has no CRS or a column is missing.
    """
    import shapely

    if gdf.crs is None:
        raise ValueError(
            "The areas have no coordinate reference system; set it first, e.g. "
            "gdf.set_crs(27700) for British National Grid."
        )
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise ValueError(
            f"Column(s) {', '.join(map(repr, missing))} not found; the areas have "
            f"{', '.join(map(str, gdf.columns))}."
        )
    g = gdf[[*dict.fromkeys(columns), gdf.geometry.name]].copy()
    if g.geometry.name != "geometry":
        g = g.rename_geometry("geometry")
    if tolerance:
        g = g.to_crs(27700)
        g["geometry"] = g.geometry.simplify(tolerance, preserve_topology=True)
    g = g.to_crs(4326)
    if precision:
        g["geometry"] = shapely.set_precision(
            g.geometry.values, precision, mode="pointwise"
        )
    if not len(g):
        log.warning("no areas to map")
    keep = ~(g.geometry.isna() | g.geometry.is_empty)
    if not keep.all():
        log.info("dropping %d empty geometries", int((~keep).sum()))
    return g[keep].reset_index(drop=True)


# ---------------------------------------------------------------------------- classes


def classify(
    values: Sequence[float] | np.ndarray | pd.Series,
    classes: int = 5,
    scheme: str | Sequence[float] = "quantiles",
) -> tuple[np.ndarray, np.ndarray]:
    """Class breaks and the class of each value (numpy only, no mapclassify).

    Parameters
    ----------
    values : array-like of float
        NaN = unclassified.
    classes : int, default 5
    scheme : {"quantiles", "equal_interval"} or sequence of float
        Or explicit breaks ``[b0, b1, …, bk]`` (values outside are put in the end classes).

    Returns
    -------
    edges : numpy.ndarray
        ``k + 1`` increasing class edges (fewer classes when values tie).
    index : numpy.ndarray of int
        Class of each value, ``0 … k-1``, or -1 for NaN.
    """
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    ok = np.isfinite(v)
    idx = np.full(v.shape, -1, dtype=int)
    if not ok.any():
        return np.array([], dtype=float), idx
    if isinstance(scheme, str):
        if classes < 1:
            raise ValueError("classes must be at least 1")
        if scheme == "quantiles":
            edges = np.quantile(v[ok], np.linspace(0, 1, classes + 1))
        elif scheme in ("equal_interval", "equal"):
            edges = np.linspace(v[ok].min(), v[ok].max(), classes + 1)
        else:
            raise ValueError(
                f"scheme must be 'quantiles', 'equal_interval' or a list of breaks, not {scheme!r}"
            )
    else:
        edges = np.asarray(sorted(float(b) for b in scheme), dtype=float)
        if len(edges) < 2:
            raise ValueError("give at least two breaks")
    edges = np.unique(edges)
    if len(edges) == 1:
        edges = np.array([edges[0], edges[0]])
    k = len(edges) - 1
    idx[ok] = np.clip(np.searchsorted(edges[1:-1], v[ok], side="right"), 0, k - 1)
    return edges, idx


def _palette(k: int, polarity: str | None) -> tuple[list[str], str]:
    """``k`` colours, lightest first, for classes in increasing value order, and a note."""
    from branca.utilities import color_brewer

    if polarity in (None, "no_judgement"):
        name, note = "YlGnBu", "Darker = higher value."
    else:
        name, note = "YlOrRd", "Darker = worse."
    n = max(k, 3)
    cols = color_brewer(name, n)
    if len(cols) != n:  # branca interpolates for unusual n; keep the ends
        cols = cols[:n]
    if k < 3:
        cols = [cols[0], cols[-1]][:k] if k == 2 else [cols[-2]]
    if polarity == "high_is_good":
        cols = cols[::-1]  # low values (worse) darkest
    return list(cols), note


# ---------------------------------------------------------------------------- builders


def _find_code_col(gdf: pd.DataFrame, code_col: str | None) -> str:
    if code_col:
        return code_col
    for c in ("lsoa21_code", "lsoa11_code", "area_code", "code"):
        if c in gdf.columns:
            return c
    cands = [c for c in gdf.columns if str(c).endswith("_code")]
    if cands:
        return cands[0]
    raise ValueError("Say which column holds the area codes: code_col=...")


def _base_map(g4326: gpd.GeoDataFrame, tiles: str | None, title: str) -> folium.Map:
    import folium

    m = folium.Map(
        location=None,
        tiles=tiles,
        width="100%",
        height="100%",
        control_scale=True,
        zoom_snap=0.25,
        scroll_wheel_zoom=False,
    )
    root = m.get_root()
    root.title = html.escape(title)
    root.header.add_child(folium.Element(_PAGE_STYLE), name="hiw_style")
    root.html.add_child(folium.Element(_PAGE_EXTRAS), name="hiw_svg_defs")
    if len(g4326):
        minx, miny, maxx, maxy = g4326.total_bounds
        fit_when_sized(m, [[miny, minx], [maxy, maxx]])
    return m


def fit_when_sized(m: folium.Map, bounds: Sequence[Sequence[float]]) -> None:
    """Fit the map to ``bounds`` once its container has a size (and again on resize).

    ``folium.Map.fit_bounds`` runs while the page is parsed; inside an ``<iframe srcdoc>`` the
    frame may not be laid out yet (size 0 × 0), Leaflet then computes a NaN zoom, throws
    "Invalid LatLng object: (NaN, NaN)" and draws nothing. This waits for a size first. Use it
    instead of ``fit_bounds`` for any folium map shown through :class:`OfflineMap`.

    Parameters
    ----------
    m : folium.Map
    bounds : [[south, west], [north, east]]
    """
    from branca.element import MacroElement
    from folium.template import Template

    class _FitWhenSized(MacroElement):
        _template = Template(
            """
            {% macro script(this, kwargs) %}
            (function () {
                var map = {{ this._parent.get_name() }};
                var bounds = L.latLngBounds({{ this.bounds|tojson }});
                var tries = 0;
                function fit() {
                    var c = map.getContainer();
                    if ((!c.clientWidth || !c.clientHeight) && tries++ < 200) {
                        window.setTimeout(fit, 25);
                        return;
                    }
                    map._sizeChanged = true;  // Leaflet caches a size read too early
                    var wide = c.clientWidth > 560;
                    map.fitBounds(bounds, {
                        paddingTopLeft: [8, 8],
                        paddingBottomRight: [wide ? 120 : 8, 8]
                    });
                }
                fit();
            })();
            {% endmacro %}
            """
        )

        def __init__(self, bounds: Sequence[Sequence[float]]) -> None:
            super().__init__()
            self._name = "FitWhenSized"
            self.bounds = [[float(v) for v in corner] for corner in bounds]

    m.add_child(_FitWhenSized(bounds))


def _add_legend(
    m: folium.Map, title: str, items: list[tuple[str, str]], note: str
) -> None:
    """Legend box: ``items`` = (CSS background, label) — labels escaped here."""
    import folium

    rows = "".join(
        f'<li><span class="sw" style="background:{bg}" aria-hidden="true"></span>'
        f"<span>{html.escape(label)}</span></li>"
        for bg, label in items
    )
    note_html = f"<p>{html.escape(note)}</p>" if note else ""
    box = (
        f'<div class="hiw-legend" role="group" aria-label="Legend: {html.escape(title, quote=True)}">'
        f"<h2>{html.escape(title)}</h2><ul>{rows}</ul>{note_html}</div>"
    )
    m.get_root().html.add_child(folium.Element(box), name="hiw_legend")


def _add_areas(
    m: folium.Map,
    g: gpd.GeoDataFrame,
    fills: list[str],
    tips: list[str],
    dashed: list[bool],
    name: str,
) -> None:
    """Add the polygons with per-feature fill and a pre-escaped HTML tooltip."""
    import folium

    g = g[["geometry"]].copy()
    g["tip"] = tips
    g["f"] = fills
    g["d"] = dashed

    def style(feature: dict) -> dict:
        p = feature["properties"]
        s = {
            "fillColor": p["f"],
            "fillOpacity": 0.85,
            "color": "#555555" if p["d"] else "#ffffff",
            "weight": 0.7,
            "opacity": 1,
        }
        if p["d"]:
            s["dashArray"] = "3 3"
        return s

    folium.GeoJson(
        g,
        name=name,
        style_function=style,
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["tip"], labels=False, sticky=True, class_name="hiw-tooltip"
        ),
        smooth_factor=0.5,
    ).add_to(m)


def _add_outline(
    m: folium.Map, outline: gpd.GeoDataFrame | None, tolerance: float
) -> None:
    if outline is None:
        return
    import folium

    o = prepare_geometry(outline, (), tolerance=tolerance)
    folium.GeoJson(
        o,
        name="outline",
        style_function=lambda _f: {
            "fill": False,
            "color": "#1a1a1a",
            "weight": 2.2,
            "opacity": 1,
        },
        interactive=False,
    ).add_to(m)


def _e(x: Any) -> str:
    return html.escape(
        "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)
    )


def _int_or_none(x: Any) -> int | None:
    try:
        if pd.isna(x):
            return None
        return int(x)
    except (TypeError, ValueError):
        return None


_DECILE_NOTE = {
    1: " (most deprived 10% in England)",
    10: " (least deprived 10% in England)",
}


def _decile_label(d: int) -> str:
    if d == 1:
        return "1 – most deprived 10% in England"
    if d == 10:
        return "10 – least deprived 10%"
    return str(d)


def deprivation_map(
    areas: gpd.GeoDataFrame,
    *,
    decile_col: str = "imd_decile",
    code_col: str | None = None,
    name_col: str = "area_name",
    population_col: str | None = "population",
    title: str = "Neighbourhoods by national deprivation decile (IMD)",
    outline: gpd.GeoDataFrame | None = None,
    tolerance: float = _DEFAULT_TOLERANCE,
    tiles: str | None = None,
    height: int = _DEFAULT_HEIGHT,
) -> OfflineMap:
    """Small areas coloured by their national Index of Multiple Deprivation decile.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        One row per small area, any CRS.
    decile_col : str, default "imd_decile"
        National IMD decile, 1 = most deprived 10% in England.
    code_col : str, optional
        Area code column (default: ``lsoa21_code``/``lsoa11_code``/the first ``*_code``).
    name_col : str, default "area_name"
    population_col : str or None, default "population"
        Shown in tooltips when the column exists.
    title : str
    outline : geopandas.GeoDataFrame, optional
        Boundary drawn on top (e.g. the local authority).
    tolerance : float, default 10
        Simplification tolerance in metres.
    tiles : str, optional
        A folium tile name (e.g. ``"OpenStreetMap"``) for online use; ``None`` = offline.
    height : int, default 480
        Height in a notebook/report, pixels.

    Returns
    -------
    OfflineMap
    """
    code_col = _find_code_col(areas, code_col)
    cols = [code_col, decile_col]
    if name_col and name_col in areas.columns:
        cols.append(name_col)
    pop = population_col if population_col and population_col in areas.columns else None
    if pop:
        cols.append(pop)
    g = prepare_geometry(areas, cols, tolerance=tolerance)

    fills, tips, dashed = [], [], []
    counts = dict.fromkeys(range(1, 11), 0)
    missing = 0
    names = g[name_col] if name_col in g.columns else pd.Series([None] * len(g))
    pops = g[pop] if pop else pd.Series([None] * len(g))
    for code, dec, name, p in zip(g[code_col], g[decile_col], names, pops, strict=True):
        d = _int_or_none(dec)
        if d is not None and not 1 <= d <= 10:
            raise ValueError(f"{decile_col} must be 1–10; area {code} has {dec}")
        parts = [f"<b>{_e(name)}</b>" if name is not None else "", _e(code)]
        if d is None:
            fills.append(NO_DATA_FILL)
            dashed.append(True)
            missing += 1
            parts.append(f"IMD decile: {NO_DATA_LABEL}")
        else:
            fills.append(DECILE_COLOURS[d - 1])
            dashed.append(False)
            counts[d] += 1
            parts.append(f"IMD decile: {d}{_DECILE_NOTE.get(d, '')}")
        pi = _int_or_none(p)
        if pop:
            parts.append(
                f"Population: {pi:,}" if pi is not None else "Population: no data"
            )
        tips.append(
            '<div class="hiw-tip">' + "<br>".join(x for x in parts if x) + "</div>"
        )

    m = _base_map(g, tiles, title)
    _add_areas(m, g, fills, tips, dashed, name="Deprivation decile")
    _add_outline(m, outline, tolerance)
    items = [(DECILE_COLOURS[d - 1], _decile_label(d)) for d in range(1, 11)]
    if missing:
        items.append((NO_DATA_FILL, NO_DATA_LABEL))
    _add_legend(m, "Deprivation decile (IMD, national)", items, "")
    n1 = counts[1]
    desc = (
        f"{len(g):,} neighbourhoods; {n1:,} in the most deprived 10% in England"
        f" and {counts[10]:,} in the least deprived 10%."
    )
    return OfflineMap(
        m,
        title=title,
        height=height,
        allow_tiles=tiles is not None,
        description=desc,
        _stats={"features": len(g), "deciles": counts, "missing": missing},
    )


def indicator_map(
    areas: gpd.GeoDataFrame,
    value_col: str,
    *,
    label: str,
    code_col: str | None = None,
    name_col: str = "area_name",
    classes: int = 5,
    scheme: str | Sequence[float] = "quantiles",
    polarity: str | None = None,
    fmt: str | Callable[[float], str] = "{:,.1f}",
    lower_col: str | None = None,
    upper_col: str | None = None,
    suppressed_col: str | None = None,
    title: str | None = None,
    outline: gpd.GeoDataFrame | None = None,
    tolerance: float = _DEFAULT_TOLERANCE,
    tiles: str | None = None,
    height: int = _DEFAULT_HEIGHT,
) -> OfflineMap:
    """Choropleth of an indicator's value per small area (or place).

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        One row per area, any CRS.
    value_col : str
        The value to map; NaN = no data.
    label : str
        What the value is, with its unit (legend heading and tooltip), e.g.
        ``"Emergency admissions per 100,000"``.
    code_col : str, optional
        Area code column (default: ``lsoa21_code``/``lsoa11_code``/the first ``*_code``).
    name_col : str, default "area_name"
    classes : int, default 5
    scheme : {"quantiles", "equal_interval"} or sequence of float, default "quantiles"
        Classification (numpy; explicit breaks allowed).
    polarity : {"high_is_good", "low_is_good", "no_judgement"}, optional
        With a polarity, darker = worse; without, darker = higher.
    fmt : str or callable, default "{:,.1f}"
        Format of values in legend and tooltips.
    lower_col, upper_col : str, optional
        Confidence interval, shown in tooltips.
    suppressed_col : str, optional
        Boolean column: True = value withheld by disclosure control (hatched grey,
        "suppressed (small numbers)").
    title : str, optional
        Default: ``label``.
    outline : geopandas.GeoDataFrame, optional
        Boundary drawn on top.
    tolerance : float, default 10
        Simplification tolerance in metres.
    tiles : str, optional
        A folium tile name for online use; ``None`` = offline.
    height : int, default 480

    Returns
    -------
    OfflineMap
    """
    if polarity is not None and polarity not in _POLARITIES:
        raise ValueError(
            f"polarity must be one of {sorted(_POLARITIES)} or None, not {polarity!r}"
        )
    title = title or label
    fmt_fn: Callable[[float], str] = fmt.format if isinstance(fmt, str) else fmt
    code_col = _find_code_col(areas, code_col)
    cols = [code_col, value_col]
    for c in (name_col, lower_col, upper_col, suppressed_col):
        if c and c in areas.columns:
            cols.append(c)
        elif c and c != name_col:
            raise ValueError(f"Column {c!r} not found in the areas.")
    g = prepare_geometry(areas, cols, tolerance=tolerance)

    values = pd.to_numeric(g[value_col], errors="coerce").astype(float).to_numpy()
    supp = (
        g[suppressed_col].fillna(False).astype(bool).to_numpy()
        if suppressed_col
        else np.zeros(len(g), dtype=bool)
    )
    values = np.where(supp, np.nan, values)
    edges, idx = classify(values, classes, scheme)
    k = max(len(edges) - 1, 0)
    colours, note = _palette(k, polarity) if k else ([], "")

    names = g[name_col] if name_col in g.columns else pd.Series([None] * len(g))
    lows = g[lower_col] if lower_col else pd.Series([np.nan] * len(g))
    highs = g[upper_col] if upper_col else pd.Series([np.nan] * len(g))
    fills, tips, dashed = [], [], []
    n_supp = n_missing = 0
    for i, (code, name) in enumerate(zip(g[code_col], names, strict=True)):
        parts = [f"<b>{_e(name)}</b>" if name is not None else "", _e(code)]
        if supp[i]:
            fills.append(SUPPRESSED_FILL)
            dashed.append(False)
            n_supp += 1
            val = SUPPRESSED_LABEL
        elif idx[i] < 0:
            fills.append(NO_DATA_FILL)
            dashed.append(True)
            n_missing += 1
            val = NO_DATA_LABEL
        else:
            fills.append(colours[idx[i]])
            dashed.append(False)
            val = fmt_fn(values[i])
            lo, hi = _num(lows.iloc[i]), _num(highs.iloc[i])
            if lo is not None and hi is not None:
                val += f" (95% CI {fmt_fn(lo)} – {fmt_fn(hi)})"
        parts.append(f"{_e(label)}: {html.escape(val)}")
        tips.append(
            '<div class="hiw-tip">' + "<br>".join(x for x in parts if x) + "</div>"
        )

    m = _base_map(g, tiles, title)
    _add_areas(m, g, fills, tips, dashed, name=label)
    _add_outline(m, outline, tolerance)
    items = [
        (colours[j], f"{fmt_fn(edges[j])} – {fmt_fn(edges[j + 1])}") for j in range(k)
    ][::-1]  # highest class at the top
    if n_supp:
        items.append((_SUPPRESSED_SWATCH, SUPPRESSED_LABEL))
    if n_missing:
        items.append((NO_DATA_FILL, NO_DATA_LABEL))
    if isinstance(scheme, str) and scheme == "quantiles" and k:
        note = f"{note} Classes: {k} groups with about equal numbers of areas.".strip()
    _add_legend(m, label, items, note)
    shown = len(g) - n_supp - n_missing
    desc = f"{shown:,} of {len(g):,} areas have a value"
    if k:
        desc += f", from {fmt_fn(edges[0])} to {fmt_fn(edges[-1])}"
    if n_supp:
        desc += f"; {n_supp:,} suppressed (small numbers)"
    if n_missing:
        desc += f"; {n_missing:,} with no data"
    return OfflineMap(
        m,
        title=title,
        height=height,
        allow_tiles=tiles is not None,
        description=desc + ".",
        _stats={
            "features": len(g),
            "edges": edges.tolist(),
            "suppressed": n_supp,
            "missing": n_missing,
        },
    )


def _num(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def results_map(
    results: Any,
    indicator_id: str,
    *,
    title: str | None = None,
    **kwargs: Any,
) -> Any:
    """Map one indicator of a place's result table by small area.

    Parameters
    ----------
    results : hiworkbook.results.PlaceResults
    indicator_id : str
    title : str, optional
        Default: "<place>: <indicator> by neighbourhood, <period>".
    **kwargs
        Passed to :func:`indicator_map` (``classes``, ``scheme``, ``outline``, …).

    Returns
    -------
    OfflineMap or HTMLFragment
        The map; or, when no indicator has values by small area, one sentence saying which
        files would fill it (:func:`hiworkbook.coverage.missing_section`).
    """
    from hiworkbook.results import small_area_frame

    if hasattr(results, "pick"):  # fall back to an indicator the place has values for
        picked = results.pick(indicator_id, "map")
        sa = results.for_indicator(picked, "small_area") if picked else None
        if picked is None or sa is None or sa.empty:
            from hiworkbook.coverage import missing_section

            return missing_section(results, "map", indicator_id)
        indicator_id = picked
    frame = small_area_frame(results, indicator_id)
    ind = getattr(results, "indicators", {}).get(indicator_id)
    place = results.place
    label = indicator_id
    polarity = None
    fmt: str | Callable[[float], str] = "{:,.1f}"
    if ind is not None:
        label = ind.name if not ind.unit else f"{ind.name} ({ind.unit})"
        polarity = ind.polarity
        fmt = ind.format_value
    if title is None:
        name = getattr(place, "name", "")
        title = f"{name}: {ind.name if ind else indicator_id} by neighbourhood, {results.period}"
    code_col = place.workspace.area_col
    kwargs.setdefault("polarity", polarity)
    kwargs.setdefault("fmt", fmt)
    return indicator_map(
        frame,
        "value",
        label=label,
        code_col=code_col,
        lower_col="lower_ci",
        upper_col="upper_ci",
        suppressed_col="is_suppressed",
        title=title,
        **kwargs,
    )


# ---------------------------------------------------------------------------- benchmark map

#: mapclassify schemes a user can pick for :func:`benchmark_map` (snake_case → class name).
MAPCLASSIFY_SCHEMES = {
    "quantiles": "Quantiles",
    "equal_interval": "EqualInterval",
    "natural_breaks": "NaturalBreaks",
    "fisher_jenks": "FisherJenks",
    "jenks_caspall": "JenksCaspall",
    "head_tail_breaks": "HeadTailBreaks",
    "box_plot": "BoxPlot",
    "std_mean": "StdMean",
    "maximum_breaks": "MaximumBreaks",
    "percentiles": "Percentiles",
}
#: Simplification steps tried, in order, until a map fits its byte budget: (metres, degrees).
BUDGET_STEPS: tuple[tuple[float, float], ...] = (
    (1.0, 1e-5),
    (2.5, 1e-5),
    (5.0, 1e-4),
    (10.0, 1e-4),
    (20.0, 1e-4),
)
DEFAULT_MAX_BYTES = 2_000_000


def mapclassify_classes(
    values: Sequence[float] | np.ndarray, scheme: str, classes: int = 5
) -> tuple[np.ndarray, np.ndarray]:
    """Class edges and each value's class with a mapclassify scheme (NaN → -1).

    Parameters
    ----------
    values : array-like of float
    scheme : str
        A key of :data:`MAPCLASSIFY_SCHEMES` (``"natural_breaks"`` …).
    classes : int, default 5
        ``k`` for schemes that take it.

    Returns
    -------
    edges : numpy.ndarray
        ``k + 1`` edges (the minimum, then mapclassify's upper bounds).
    index : numpy.ndarray of int
    """
    import mapclassify

    if scheme not in MAPCLASSIFY_SCHEMES:
        raise ValueError(
            f"scheme must be 'benchmark', 'quintiles' or one of "
            f"{', '.join(MAPCLASSIFY_SCHEMES)}, not {scheme!r}"
        )
    v = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype=float)
    idx = np.full(v.shape, -1, dtype=int)
    ok = np.isfinite(v)
    if not ok.any():
        return np.array([], dtype=float), idx
    cls = getattr(mapclassify, MAPCLASSIFY_SCHEMES[scheme])
    kwargs: dict[str, Any] = {}
    if scheme in (
        "quantiles",
        "equal_interval",
        "natural_breaks",
        "fisher_jenks",
        "jenks_caspall",
        "maximum_breaks",
    ):
        kwargs["k"] = (
            min(classes, max(int(ok.sum()) - 1, 1))
            if scheme != "equal_interval"
            else classes
        )
    if scheme == "natural_breaks":
        kwargs["initial"] = 10
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = cls(v[ok], **kwargs)
    idx[ok] = np.asarray(c.yb, dtype=int)
    edges = np.concatenate([[float(np.min(v[ok]))], np.asarray(c.bins, dtype=float)])
    return edges, idx


def benchmark_map(
    results: Any,
    indicator_id: str,
    *,
    comparator: str | None = None,
    level: str = "95",
    scheme: str = "benchmark",
    classes: int = 5,
    sex: str | None = None,
    title: str | None = None,
    outline: gpd.GeoDataFrame | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    tolerance: float = _DEFAULT_TOLERANCE,
    tiles: str | None = None,
    height: int = _DEFAULT_HEIGHT,
) -> OfflineMap | Any:
    """Small areas coloured by their benchmark class against the comparator, or by a class
    scheme the user picks, within a byte budget.

    ``scheme="benchmark"`` colours each small area by :func:`hiworkbook.benchmark.classify`
    against ``comparator`` (default the place itself: Fingertips' grammar on the user's small
    areas); ``"quintiles"`` by Fingertips' quintile classes; any key of
    :data:`MAPCLASSIFY_SCHEMES` by that mapclassify classification (sequential ColorBrewer
    colours, darker = worse or higher). Suppressed areas are hatched grey with their own legend
    entry and carry no value, CI or count in their tooltip or in the page's GeoJSON. Tooltips
    show the value, its 95% CI, the count and the class (all text escaped).

    The page must fit ``max_bytes``: the map is rebuilt with coarser simplification and
    coordinate quantisation (:data:`BUDGET_STEPS`, multiples of ``tolerance``) until it does;
    when even the coarsest is too big (very large places) a static PNG map with a text
    alternative is returned instead (a :class:`hiworkbook.charts.Chart`).

    Parameters
    ----------
    results : hiworkbook.results.PlaceResults
    indicator_id : str
    comparator : str, optional
        Any view's comparator (:func:`hiworkbook.benchmark.reference`).
    level : {"95", "99.8", "both"}
    scheme : str, default "benchmark"
    classes : int, default 5
        For mapclassify schemes.
    sex : str, optional
    title : str, optional
    outline : geopandas.GeoDataFrame, optional
    max_bytes : int, default 2,000,000
        Budget for the whole self-contained page (Leaflet included).
    tolerance : float, default 10
        Base simplification tolerance in metres.
    tiles : str, optional
    height : int, default 480

    Returns
    -------
    OfflineMap or hiworkbook.charts.Chart
        ``_stats`` of an OfflineMap has ``bytes``, ``tolerance`` and ``precision`` used.
    """
    from hiworkbook import benchmark as bm

    if hasattr(results, "pick"):
        picked = results.pick(indicator_id, "map")
        if picked is None or results.for_indicator(picked, "small_area").empty:
            from hiworkbook.coverage import missing_section

            return missing_section(results, "map", indicator_id)
        indicator_id = picked
    ind = results.indicators[indicator_id]
    place = results.place
    area_col = place.workspace.area_col
    rows = results.for_indicator(indicator_id, "small_area")
    sexes = sorted(rows["sex"].unique())
    sex = (
        sex
        if sex in sexes
        else ("persons" if "persons" in sexes else (sexes[0] if sexes else "persons"))
    )
    rows = rows[rows["sex"] == sex].drop_duplicates("area_code").reset_index(drop=True)
    ref = bm.reference(results, comparator, breakdown="small_area")
    supp = rows["is_suppressed"].fillna(False).astype(bool).to_numpy()
    values = np.where(supp, np.nan, rows["value"].to_numpy(dtype=float))
    legend_labels: dict[str, str] = {}
    if scheme == "benchmark":
        cats = bm.classify(rows, ref, level=level).to_numpy()
        keys = [k for k in bm.legend_keys(ind.polarity, level) if k in set(cats)]
        heading = f"{ind.name}: {ref.phrase(level)}"
        fill_of = {k: bm.category(k).colour for k in bm.CATEGORIES}
    elif scheme == "quintiles":
        cats = bm.quintile_classes(values, suppressed=supp).to_numpy()
        keys = [
            f"quintile {i}" for i in range(5, 0, -1) if f"quintile {i}" in set(cats)
        ]
        keys += [k for k in ("not compared", "suppressed") if k in set(cats)]
        legend_labels = {
            k: bm.quintile_label(k, ind.polarity)
            for k in keys
            if k.startswith("quintile")
        }
        heading = f"{ind.name}: quintiles of the small areas' values"
        fill_of = {k: bm.category(k).colour for k in bm.CATEGORIES}
    else:
        edges, idx = mapclassify_classes(values, scheme, classes)
        k = max(len(edges) - 1, 0)
        colours, _note = _palette(k, ind.polarity) if k else ([], "")
        fmt = ind.format_value
        cats = np.array(
            [
                "suppressed" if s else ("not compared" if i < 0 else f"class {i}")
                for i, s in zip(idx, supp, strict=True)
            ],
            dtype=object,
        )
        fill_of = {f"class {j}": colours[j] for j in range(k)} | {
            "not compared": bm.category("not compared").colour,
            "suppressed": bm.category("suppressed").colour,
        }
        keys = [f"class {j}" for j in range(k)][::-1] + [
            c for c in ("not compared", "suppressed") if c in set(cats)
        ]
        legend_labels = {
            f"class {j}": f"{fmt(edges[j])} – {fmt(edges[j + 1])}" for j in range(k)
        }
        heading = f"{ind.name} ({ind.unit}), {scheme.replace('_', ' ')} classes"
    words = {k: legend_labels.get(k, bm.category(k).label) for k in set(cats)}

    fmt = ind.format_value
    frame = place.areas[[area_col, "area_name", "geometry"]].merge(
        rows[["area_code", "numerator", "lower_ci", "upper_ci"]].assign(
            _v=values, _cat=cats, _supp=supp
        ),
        left_on=area_col,
        right_on="area_code",
        how="left",
    )
    frame["_cat"] = frame["_cat"].fillna("not compared")
    frame["_supp"] = frame["_supp"].fillna(False).astype(bool)
    tips, fills, dashed = [], [], []
    for _, r in frame.iterrows():
        parts = [f"<b>{_e(r['area_name'])}</b>", _e(r[area_col])]
        key = r["_cat"]
        if r["_supp"]:
            parts.append(f"{_e(ind.name)}: {html.escape(SUPPRESSED_LABEL)}")
            fills.append(SUPPRESSED_FILL)
            dashed.append(False)
        else:
            v = _num(r["_v"])
            if v is None:
                parts.append(f"{_e(ind.name)}: {NO_DATA_LABEL}")
            else:
                val = fmt(v)
                lo, hi = _num(r["lower_ci"]), _num(r["upper_ci"])
                if lo is not None and hi is not None:
                    val += f" (95% CI {fmt(lo)} – {fmt(hi)})"
                parts.append(f"{_e(ind.name)}: {html.escape(val)}")
                n = _int_or_none(r["numerator"])
                if n is not None:
                    parts.append(f"Count: {n:,}")
            fills.append(fill_of.get(key, NO_DATA_FILL))
            dashed.append(key == "not compared")
        sym = bm.category(key).symbol if key in bm.CATEGORIES else ""
        parts.append(html.escape(f"{sym} {words.get(key, key)}".strip()))
        tips.append(
            '<div class="hiw-tip">' + "<br>".join(p for p in parts if p) + "</div>"
        )
    frame["_tip"], frame["_fill"], frame["_dash"] = tips, fills, dashed

    counts = pd.Series(cats).value_counts()
    items = []
    for k in keys:
        sw = _SUPPRESSED_SWATCH if k == "suppressed" else fill_of.get(k, NO_DATA_FILL)
        sym = bm.category(k).symbol if k in bm.CATEGORIES else ""
        items.append(
            (sw, f"{sym} {words.get(k, k)} ({int(counts.get(k, 0)):,})".strip())
        )
    title = title or f"{place.name}: {ind.name} by neighbourhood, {results.period}"
    desc_parts = [f"{int(counts.get(k, 0)):,} {words.get(k, k).lower()}" for k in keys]
    desc = (
        f"{len(frame):,} neighbourhoods"
        + (f", {ref.phrase(level)}" if scheme == "benchmark" else "")
        + ": "
        + "; ".join(desc_parts)
        + "."
    )

    return budgeted_map(
        frame,
        code_col=area_col,
        title=title,
        heading=heading,
        items=items,
        description=desc,
        note="Hatched grey: suppressed, no value shown." if supp.any() else "",
        layer_name=ind.name,
        outline=outline,
        max_bytes=max_bytes,
        tolerance=tolerance,
        tiles=tiles,
        height=height,
    )


def budgeted_map(
    frame: gpd.GeoDataFrame,
    *,
    code_col: str,
    title: str,
    heading: str,
    items: list[tuple[str, str]],
    description: str = "",
    note: str = "",
    layer_name: str = "areas",
    outline: gpd.GeoDataFrame | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    tolerance: float = _DEFAULT_TOLERANCE,
    tiles: str | None = None,
    height: int = _DEFAULT_HEIGHT,
) -> OfflineMap | Any:
    """A categorical map of prepared areas that fits a byte budget, else a static PNG.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame
        One row per area with ``area_name``, ``_tip`` (escaped tooltip HTML), ``_fill`` (CSS
        fill), ``_dash`` (bool: dashed outline), ``_cat`` (class key) and ``_supp`` (bool).
    code_col : str
    title, heading : str
        Map title and legend heading (escaped here).
    items : list of (css background, label)
        Legend rows.
    description, note : str
    layer_name : str
    outline : geopandas.GeoDataFrame, optional
    max_bytes : int
        Budget for the whole page; the geometry is simplified and quantised through
        :data:`BUDGET_STEPS` (multiples of ``tolerance`` metres, 1e-5° then 1e-4°) until the
        page fits.
    tolerance : float
    tiles : str, optional
    height : int

    Returns
    -------
    OfflineMap or hiworkbook.charts.Chart
        The map (``_stats`` has ``bytes``, ``tolerance``, ``precision``), or a static image
        with a text alternative when even the coarsest geometry is over budget.
    """
    counts = frame["_cat"].value_counts()
    size = 0
    for mult, precision in BUDGET_STEPS:
        tol = tolerance * mult
        g = prepare_geometry(
            frame, ["_tip", "_fill", "_dash"], tolerance=tol, precision=precision
        )
        m = _base_map(g, tiles, title)
        _add_areas(
            m,
            g,
            g["_fill"].tolist(),
            g["_tip"].tolist(),
            g["_dash"].tolist(),
            name=layer_name,
        )
        _add_outline(m, outline, tol)
        _add_legend(m, heading, items, note)
        om = OfflineMap(
            m,
            title=title,
            height=height,
            allow_tiles=tiles is not None,
            description=description,
            _stats={"features": len(g), "counts": counts.to_dict()},
        )
        size = len(om.to_html().encode("utf-8"))
        if size <= max_bytes:
            om._stats.update(bytes=size, tolerance=tol, precision=precision)
            return om
        log.info("map %s is %d bytes at %g m; simplifying further", title, size, tol)
    log.warning(
        "map '%s' is %d bytes even at %g m tolerance (budget %d): drawing a static image",
        title,
        size,
        tolerance * BUDGET_STEPS[-1][0],
        max_bytes,
    )
    return _static_benchmark_map(
        frame, code_col, title, items, heading, description, outline
    )


def _static_benchmark_map(frame, area_col, title, items, heading, desc, outline):  # noqa: ANN001, ANN202
    """A PNG map (matplotlib) for places too big for an interactive map's byte budget."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from hiworkbook.charts import Chart

    fig = Figure(figsize=(7.2, 6.4))
    ax = fig.add_subplot()
    g = frame.to_crs(27700)
    plain = g[~g["_supp"]]
    plain.plot(
        ax=ax,
        color=plain["_fill"].where(~plain["_fill"].str.startswith("url"), NO_DATA_FILL),
        edgecolor="#ffffff",
        linewidth=0.1,
    )
    if g["_supp"].any():
        g[g["_supp"]].plot(
            ax=ax, color="#d0d0d0", edgecolor="#8c8c8c", hatch="///", linewidth=0.1
        )
    if outline is not None:
        outline.to_crs(27700).boundary.plot(ax=ax, color="#1a1a1a", linewidth=1)
    ax.set_axis_off()
    handles = [
        Patch(
            facecolor="#d0d0d0" if sw.startswith("repeating") else sw,
            edgecolor="#666666",
            hatch="///" if sw.startswith("repeating") else None,
            label=label,
        )
        for sw, label in items
    ]
    ax.legend(
        handles=handles,
        title=heading,
        fontsize=7,
        title_fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        frameon=False,
    )
    ax.set_title(title, fontsize=9, loc="left")
    fig.set_layout_engine(
        "tight"
    )  # laid out by Chart.png, with the renderer that draws
    data = pd.DataFrame(
        {
            "area_code": frame[area_col],
            "area_name": frame["area_name"],
            "class": frame["_cat"],
        }
    )
    return Chart(
        fig,
        f"Map: {title}. {desc}",
        f"{title} (static image: the place is too large for an interactive map within its size budget). {desc}",
        data,
    )


_FOLIUM_ID = re.compile(r"\b([a-z][a-z0-9_]*?)_([0-9a-f]{32})(?![0-9a-f])")


def _accessible_page(page: str, title: str, description: str = "") -> str:
    """Make folium's page pass axe-core (WCAG 2.x AA + best practice): zooming allowed (folium
    sets ``user-scalable=no``), the whole page in one ``<main>`` landmark named by the map's
    title, and a level-one heading and text alternative (what the map shows) for screen readers.
    Leaflet's map container is keyboard-focusable (``tabindex=0``; arrow keys pan, +/− zoom)."""
    page = re.sub(
        r'<meta name="viewport"[^>]*>',
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">',
        page,
        count=1,
    )
    t = html.escape(title)
    sr = "position:absolute;left:-9999px;width:1px;height:1px;overflow:hidden"  # visually hidden
    # main fills the frame, as body does, so folium's height:100% map keeps its size
    intro = (
        "<style>main { display: block; height: 100%; margin: 0; }</style>"
        f'<main aria-label="{html.escape(title, quote=True)}">'
        f'<h1 style="{sr}">{t}</h1>'
        + (f'<p style="{sr}">{html.escape(description)}</p>' if description else "")
    )
    page = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + intro, page, count=1)
    return page.replace("</body>", "</main></body>", 1)


def _stable_ids(page: str) -> str:
    """Replace folium's random element ids (``map_<uuid4 hex>``) with ids numbered in order of
    appearance, so the same map gives the same bytes on every run (reproducible reports)."""
    seen: dict[str, str] = {}

    def sub(m: re.Match[str]) -> str:
        key = m.group(2)
        if key not in seen:
            seen[key] = f"{len(seen):032x}"
        return f"{m.group(1)}_{seen[key]}"

    return _FOLIUM_ID.sub(sub, page)


# ---------------------------------------------------------------------------- categories
def category_map(
    areas: gpd.GeoDataFrame,
    category_col: str,
    colours: dict[str, str],
    *,
    legend_title: str,
    code_col: str | None = None,
    name_col: str = "area_name",
    tip_cols: dict[str, str] | None = None,
    title: str = "",
    note: str = "",
    description: str = "",
    outline: gpd.GeoDataFrame | None = None,
    tolerance: float = _DEFAULT_TOLERANCE,
    tiles: str | None = None,
    height: int = _DEFAULT_HEIGHT,
) -> OfflineMap:
    """Small areas coloured by a category (e.g. hot and cold spots), with a categorical legend.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        One row per small area, any CRS.
    category_col : str
        The category of each area; missing = "no data" (pale grey, dashed outline).
    colours : dict of str to str
        Category label → CSS colour, in legend order. Categories not listed are drawn as
        "no data". The label is written in the legend and the tooltip, so colour is never the
        only cue.
    legend_title : str
    code_col : str, optional
        Area code column (default: ``lsoa21_code``/``lsoa11_code``/the first ``*_code``).
    name_col : str, default "area_name"
    tip_cols : dict of str to str, optional
        Tooltip label → column of already formatted text (escaped here).
    title : str
        Page title, iframe title and caption.
    note : str
        A line under the legend (e.g. the significance rule).
    description : str
        Text equivalent of the map, shown under it.
    outline, tolerance, tiles, height
        As :func:`deprivation_map`.

    Returns
    -------
    OfflineMap
    """
    code_col = _find_code_col(areas, code_col)
    tip_cols = dict(tip_cols or {})
    cols = [code_col, category_col, *tip_cols.values()]
    if name_col and name_col in areas.columns:
        cols.append(name_col)
    g = prepare_geometry(areas, list(dict.fromkeys(cols)), tolerance=tolerance)
    names = g[name_col] if name_col in g.columns else pd.Series([None] * len(g))
    fills, tips, dashed = [], [], []
    counts = dict.fromkeys(colours, 0)
    missing = 0
    for i, (code, cat, name) in enumerate(
        zip(g[code_col], g[category_col], names, strict=True)
    ):
        parts = [f"<b>{_e(name)}</b>" if name is not None else "", _e(code)]
        key = (
            None
            if cat is None or (isinstance(cat, float) and math.isnan(cat))
            else str(cat)
        )
        if key in colours:
            fills.append(colours[key])
            dashed.append(False)
            counts[key] += 1
            parts.append(f"{_e(legend_title)}: {_e(key)}")
        else:
            fills.append(NO_DATA_FILL)
            dashed.append(True)
            missing += 1
            parts.append(f"{_e(legend_title)}: {NO_DATA_LABEL}")
        for label, col in tip_cols.items():
            parts.append(f"{_e(label)}: {_e(g[col].iloc[i])}")
        tips.append(
            '<div class="hiw-tip">' + "<br>".join(x for x in parts if x) + "</div>"
        )
    m = _base_map(g, tiles, title or legend_title)
    _add_areas(m, g, fills, tips, dashed, name=legend_title)
    _add_outline(m, outline, tolerance)
    items = [(c, f"{label} ({counts[label]:,})") for label, c in colours.items()]
    if missing:
        items.append((NO_DATA_FILL, f"{NO_DATA_LABEL} ({missing:,})"))
    _add_legend(m, legend_title, items, note)
    return OfflineMap(
        m,
        title=title or legend_title,
        height=height,
        allow_tiles=tiles is not None,
        description=description,
        _stats={"features": len(g), "categories": counts, "missing": missing},
    )


__all__ += ["category_map"]
