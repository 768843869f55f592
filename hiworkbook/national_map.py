"""One self-contained map of every small area of a country (or any large workbook).

A folium map with one SVG path per area is too heavy for 33,755 areas. This map is built for that
size in four steps, all vectorised:

1. **Topology-preserving simplification** — :func:`shapely.coverage_simplify` (GEOS ≥ 3.12,
   shapely ≥ 2.1) simplifies the *edges* of a polygonal coverage once, so two neighbours keep the
   same simplified shared edge: no slivers and no gaps, which simplifying each polygon on its own
   would create. The outer boundary is simplified too.
2. **Reprojection** to longitude/latitude (EPSG:4326) for Leaflet.
3. **Quantisation** of coordinates to a fixed grid (``quantum`` degrees, 1e-4° ≈ 11 m by default,
   as TopoJSON quantises to integers). A vertex shared by two areas is the same point before, so it
   is the same integer after: quantisation cannot open a gap.
4. **Delta encoding** of each ring as integers (the first vertex from the map's origin, then the
   step from the previous vertex), in one JSON array embedded in the page.

The page inlines Leaflet (:mod:`hiworkbook.assets`, from xstatic-leaflet) and a 30-line decoder,
draws every area on one canvas (``L.canvas``; SVG would need 33,755 DOM nodes), colours areas by a
categorical column (national IMD decile by default) with an HTML legend that prints, and shows a
tooltip with the area's name and class. It needs no network.

The encoding is a compact cousin of TopoJSON's quantised, delta-encoded arcs: TopoJSON also stores
each shared arc once, which would halve the size again, but needs a client library that no
installed Python package ships; at 33,755 areas the per-ring encoding is already well under the
15 MB budget (see docs/index-and-pdf.md for measured sizes).
"""

from __future__ import annotations

import html
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

__all__ = [
    "NationalMap",
    "simplify_coverage",
    "encode_polygons",
    "decode_polygons",
    "national_map",
    "national_map_from_workspace",
]

log = logging.getLogger(__name__)

#: Default simplification tolerance (metres, EPSG:27700) and coordinate quantum (degrees).
DEFAULT_TOLERANCE_M = 50.0
DEFAULT_QUANTUM_DEG = 1e-4


@dataclass
class NationalMap:
    """A built national map page.

    Attributes
    ----------
    html : str
        The whole self-contained page.
    n_areas : int
    seconds : float
        Build time (simplify, project, quantise, encode, render).
    """

    html: str
    n_areas: int
    seconds: float

    @property
    def bytes(self) -> int:
        """Size of the page in bytes (UTF-8)."""
        return len(self.html.encode("utf-8"))

    def save(self, path: str | Path) -> Path:
        """Write the page atomically and return its path."""
        from hiworkbook.report import write_html

        return write_html(self.html, path)

    def _repr_html_(self) -> str:  # a notebook shows it in a frame
        return (
            '<iframe title="National map" style="width:100%;height:640px;border:0" srcdoc="'
            + html.escape(self.html, quote=True)
            + '"></iframe>'
        )


def simplify_coverage(
    geoms: Sequence[Any] | np.ndarray, tolerance: float = DEFAULT_TOLERANCE_M
) -> np.ndarray:
    """Simplify a polygonal coverage keeping shared edges shared.

    Parameters
    ----------
    geoms : array of shapely polygons
        Non-overlapping polygons whose neighbours share edges vertex for vertex (ONS boundaries
        and hiworkbook's synthetic areas are).
    tolerance : float
        Visvalingam–Whyatt area tolerance expressed as a distance, in the geometries' units
        (see :func:`shapely.coverage_simplify`).

    Returns
    -------
    ndarray of shapely geometries
        Same length and order.
    """
    arr = np.asarray(geoms, dtype=object)
    return shapely.coverage_simplify(arr, tolerance, simplify_boundary=True)


def encode_polygons(
    geoms_lonlat: np.ndarray, quantum: float = DEFAULT_QUANTUM_DEG
) -> tuple[list[Any], list[float]]:
    """Quantise and delta-encode polygons (longitude/latitude) for the map page.

    Parameters
    ----------
    geoms_lonlat : ndarray of shapely Polygon/MultiPolygon
    quantum : float
        Grid step in degrees.

    Returns
    -------
    features : list
        Per geometry, a list of polygons, each a list of rings, each a flat list of integers
        ``[dx0, dy0, dx1, dy1, …]`` (first vertex from the origin, then steps; ring not closed).
    origin : [lon0, lat0]
    """
    geoms_lonlat = np.asarray(geoms_lonlat, dtype=object)
    xmin, ymin, _, _ = shapely.total_bounds(geoms_lonlat)
    origin = [
        float(np.floor(xmin / quantum) * quantum),
        float(np.floor(ymin / quantum) * quantum),
    ]
    parts, part_of = shapely.get_parts(geoms_lonlat, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    coords, coord_of = shapely.get_coordinates(rings, return_index=True)
    q = np.rint((coords - origin) / quantum).astype(np.int64)
    # drop each ring's closing vertex and consecutive duplicates made by quantisation
    last = np.r_[coord_of[1:] != coord_of[:-1], True]
    dup = np.r_[False, (q[1:] == q[:-1]).all(axis=1) & (coord_of[1:] == coord_of[:-1])]
    keep = ~last & ~dup
    q, coord_of = q[keep], coord_of[keep]
    first = np.r_[True, coord_of[1:] != coord_of[:-1]]
    d = q.copy()
    d[1:] -= q[:-1]
    d[first] = q[first]
    # split into rings (rings with fewer than 3 vertices after quantisation are dropped)
    n_r = len(rings)
    counts = np.bincount(coord_of, minlength=n_r)
    flat = np.split(d.reshape(-1), 2 * np.cumsum(counts)[:-1])
    feats: list[list[list[list[int]]]] = [[] for _ in range(len(geoms_lonlat))]
    current: list[list[int]] | None = None
    for r in range(n_r):
        p = int(ring_of[r])
        if r == 0 or int(ring_of[r - 1]) != p:  # the part's exterior ring
            current = None
            if counts[r] >= 3:
                current = [flat[r].tolist()]
                feats[int(part_of[p])].append(current)
        elif current is not None and counts[r] >= 3:  # a hole of a kept part
            current.append(flat[r].tolist())
    return feats, origin


def decode_polygons(
    features: Sequence[Any], origin: Sequence[float], quantum: float
) -> np.ndarray:
    """Inverse of :func:`encode_polygons` (used by tests and the size checks).

    Returns
    -------
    ndarray of shapely Polygon/MultiPolygon (longitude/latitude), empty polygons where nothing
    was drawn.
    """
    out = []
    for feat in features:
        polys = []
        for rings in feat:
            shells = []
            for flat in rings:
                a = np.cumsum(np.asarray(flat, dtype=np.int64).reshape(-1, 2), axis=0)
                shells.append(a * quantum + np.asarray(origin))
            polys.append(shapely.Polygon(shells[0], shells[1:]))
        out.append(
            polys[0]
            if len(polys) == 1
            else shapely.MultiPolygon(polys)
            if polys
            else shapely.Polygon()
        )
    return np.array(out, dtype=object)


_SCRIPT = r"""
(function () {
  var D = JSON.parse(document.getElementById("hiw-nm-data").textContent);
  var q = D.quantum, x0 = D.origin[0], y0 = D.origin[1];
  function ring(a) {
    var x = 0, y = 0, out = new Array(a.length / 2);
    for (var i = 0; i < a.length; i += 2) {
      x += a[i]; y += a[i + 1];
      out[i / 2] = [y0 + y * q, x0 + x * q];
    }
    return out;
  }
  var map = L.map("hiw-nm-map", {preferCanvas: true, zoomSnap: 0.25, attributionControl: false});
  var canvas = L.canvas({padding: 0.3, tolerance: 0});
  var group = L.featureGroup();
  var n = 0;
  for (var i = 0; i < D.features.length; i++) {
    var f = D.features[i];
    if (!f.length) continue;
    var latlngs = f.map(function (rings) { return rings.map(ring); });
    var cls = D.classes[i];
    var fill = cls === null ? D.missing : D.colours[cls];
    L.polygon(latlngs, {
      renderer: canvas, weight: 0.5, color: fill, opacity: 1,
      fillColor: fill, fillOpacity: 1,
      hiwIndex: i
    }).addTo(group);
    n++;
  }
  map.fitBounds(group.getBounds());
  group.addTo(map);
  if (D.outlines) {
    for (var j = 0; j < D.outlines.length; j++) {
      var g = D.outlines[j];
      L.polygon(g.map(function (rings) { return rings.map(ring); }), {
        renderer: canvas, weight: 0.7, color: "#1a1a1a", opacity: 0.8, fill: false, interactive: false
      }).addTo(map);
    }
  }
  group.bindTooltip(function (layer) {
    var k = layer.options.hiwIndex, c = D.classes[k];
    var el = document.createElement("span");
    el.textContent = D.names[k] + " (" + D.codes[k] + "): " +
      (c === null ? D.missing_label : D.labels[c]);
    return el;
  }, {sticky: true});
  window.hiwNationalMap = {drawn: n, areas: D.features.length};
  document.getElementById("hiw-nm-map").setAttribute("data-drawn", String(n));
})();
"""

_CSS = """
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1a1a1a}
header,main,footer{margin:0 1rem}
h1{font-size:1.3rem;margin:.6rem 0 .2rem}
.hiw-synthetic{background:#fff3bf;border-bottom:2px solid #8a6d00;padding:.4rem 1rem;font-weight:600;margin:0}
#hiw-nm-map{height:82vh;min-height:420px;background:#fff;border:1px solid #ccc}
.hiw-nm-wrap{position:relative}
.hiw-legend{position:absolute;bottom:.6rem;left:.6rem;z-index:1000;background:#fff;padding:.5rem .7rem;
 border:1px solid #999;border-radius:4px;font-size:.8rem;max-width:15rem}
.hiw-legend h2{font-size:.85rem;margin:0 0 .3rem}
.hiw-legend ul{list-style:none;margin:0;padding:0}
.hiw-legend li{display:flex;align-items:center;gap:.4rem;margin:.1rem 0}
.hiw-legend .sw{display:inline-block;width:1.1rem;height:.9rem;border:1px solid #555;flex:none}
.hiw-legend p{margin:.3rem 0 0}
footer{font-size:.8rem;color:#444;margin-top:.4rem}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
@media print{.leaflet-control-container{display:none}#hiw-nm-map{height:24cm}}
@page{size:A4;margin:12mm}
"""


def _colours(n: int) -> list[str]:
    from hiworkbook.maps import DECILE_COLOURS

    if n == len(DECILE_COLOURS):
        return list(DECILE_COLOURS)
    import matplotlib

    cmap = matplotlib.colormaps["viridis"].resampled(max(n, 2))
    return [matplotlib.colors.to_hex(cmap(i)) for i in range(n)]


def national_map(
    areas: Any,
    *,
    value_col: str = "imd_decile",
    code_col: str = "lsoa21_code",
    name_col: str | None = None,
    labels: Mapping[Any, str] | None = None,
    title: str = "Every neighbourhood by national deprivation decile (IMD)",
    legend_title: str = "IMD decile",
    outline_col: str | None = "ltla_code",
    tolerance: float = DEFAULT_TOLERANCE_M,
    quantum: float = DEFAULT_QUANTUM_DEG,
    synthetic: bool = False,
    note: str = "",
) -> NationalMap:
    """A self-contained HTML map of every small area, coloured by a categorical column.

    Parameters
    ----------
    areas : geopandas.GeoDataFrame
        Small areas (any projected CRS; EPSG:27700 for England) forming a polygonal coverage.
    value_col : str
        Column whose classes colour the areas (default the national IMD decile, 1 = most
        deprived, drawn with the reports' viridis decile colours). Missing values are grey.
    code_col, name_col : str
        Shown in the tooltip (``name_col`` defaults to ``area_name`` or ``lsoa21_name``).
    labels : mapping, optional
        Legend label of each class (default the class itself; for deciles "1 – most
        deprived 10%" … as the reports say).
    title, legend_title : str
        Plain text (escaped).
    outline_col : str or None
        Draw the outline of each group of areas (e.g. LTLA) from the *simplified* areas, so the
        lines fall exactly on area edges; None for no outlines.
    tolerance : float
        Simplification tolerance in the CRS's units (metres): see :func:`simplify_coverage`.
    quantum : float
        Coordinate grid in degrees: see :func:`encode_polygons`.
    synthetic : bool
        Show the synthetic-data banner.
    note : str
        A sentence under the map (plain text).

    Returns
    -------
    NationalMap
    """
    import geopandas as gpd

    t0 = time.perf_counter()
    if not isinstance(areas, gpd.GeoDataFrame):
        raise TypeError("areas must be a GeoDataFrame")
    if name_col is None:
        name_col = next(
            (c for c in ("area_name", "lsoa21_name", "lsoa11_name") if c in areas),
            code_col,
        )
    simple = simplify_coverage(areas.geometry.values, tolerance)
    simple = gpd.GeoSeries(simple, crs=areas.crs)
    lonlat = simple.to_crs(4326).values
    features, origin = encode_polygons(np.asarray(lonlat, dtype=object), quantum)

    values = areas[value_col]
    classes = sorted(pd.unique(values.dropna()))
    index = {c: i for i, c in enumerate(classes)}
    cls = [None if pd.isna(v) else index[v] for v in values]
    if labels is None and value_col.endswith("imd_decile"):
        from hiworkbook.maps import _decile_label

        labels = {d: _decile_label(int(d)) for d in classes}
    legend = [str((labels or {}).get(c, c)) for c in classes]
    colours = _colours(len(classes))

    outline_feats = None
    if outline_col and outline_col in areas:
        groups = areas[outline_col].astype(str).to_numpy()
        geoms = np.asarray(simple.values, dtype=object)
        order = np.argsort(groups, kind="stable")
        bounds = np.r_[
            0, np.flatnonzero(groups[order][1:] != groups[order][:-1]) + 1, len(order)
        ]
        merged = [
            shapely.coverage_union_all(geoms[order[a:b]])
            for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        merged_ll = gpd.GeoSeries(merged, crs=areas.crs).to_crs(4326).values
        outline_feats, _ = _encode_with_origin(
            np.asarray(merged_ll, dtype=object), origin, quantum
        )

    data = {
        "quantum": quantum,
        "origin": origin,
        "features": features,
        "classes": cls,
        "colours": colours,
        "labels": legend,
        "missing": "#d9d9d9",
        "missing_label": "no data",
        "codes": areas[code_col].astype(str).tolist(),
        "names": areas[name_col].astype(str).tolist(),
        "outlines": outline_feats,
    }
    payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    # "<" as \u003c: nothing in the data can end the script element or open a comment
    payload = payload.replace("<", "\\u003c")
    page = _render(
        payload,
        title=title,
        legend_title=legend_title,
        legend=list(zip(colours, legend, strict=True)),
        n=len(areas),
        synthetic=synthetic,
        note=note,
    )
    seconds = time.perf_counter() - t0
    # debug: after Ctrl-C the run prints one line only (the index is rewritten with this map)
    log.debug(
        "national map: %d areas, %.1f MB, %.1f s", len(areas), len(page) / 1e6, seconds
    )
    return NationalMap(page, len(areas), seconds)


def _encode_with_origin(
    geoms: np.ndarray, origin: Sequence[float], quantum: float
) -> tuple[list[Any], list[float]]:
    """:func:`encode_polygons` against a given origin (so outlines and areas share the grid)."""
    feats, own = encode_polygons(geoms, quantum)
    shift = np.rint((np.asarray(own) - np.asarray(origin)) / quantum).astype(int)
    for f in feats:
        for rings in f:
            for flat in rings:
                flat[0] += int(shift[0])
                flat[1] += int(shift[1])
    return feats, list(origin)


def _render(
    payload: str,
    *,
    title: str,
    legend_title: str,
    legend: list[tuple[str, str]],
    n: int,
    synthetic: bool,
    note: str,
) -> str:
    from hiworkbook.assets import assert_self_contained, leaflet_css, leaflet_js
    from hiworkbook.report import SYNTHETIC_TEXT

    e = html.escape
    items = "".join(
        f'<li><span class="sw" style="background:{c}" aria-hidden="true"></span>{e(lbl)}</li>'
        for c, lbl in legend
    )
    banner = (
        f'<p class="hiw-synthetic" role="note">{e(SYNTHETIC_TEXT)}</p>'
        if synthetic
        else ""
    )
    alt = (
        f"Map of {n:,} small areas, each coloured by {legend_title.lower()}; "
        "the legend lists the colours. Hover over an area for its name."
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}{" (synthetic data)" if synthetic else ""}</title>
<style>{leaflet_css()}</style>
<style>{_CSS}</style>
<script>{leaflet_js()}</script>
</head><body>
<header>{banner}<h1>{e(title)}</h1></header>
<main>
<div class="hiw-nm-wrap">
<div id="hiw-nm-map" role="region" aria-label="{e(alt, quote=True)}"></div>
<div class="hiw-legend" role="group" aria-label="Legend: {e(legend_title, quote=True)}">
<h2>{e(legend_title)}</h2><ul>{items}</ul></div>
</div>
{f"<p>{e(note)}</p>" if note else ""}
</main>
<footer><p>{n:,} areas. Boundaries simplified with shared edges kept (no gaps between
neighbours) and coordinates rounded to about 10 m: for overview, not measurement.</p></footer>
<script type="application/json" id="hiw-nm-data">{payload}</script>
<script>{_SCRIPT}</script>
</body></html>
"""
    assert_self_contained(page, what="national map")
    return page


def national_map_from_workspace(ws: Any, **kwargs: Any) -> NationalMap:
    """:func:`national_map` of every small area of a :class:`hiworkbook.workspace.Workspace`,
    coloured by national IMD decile with LTLA outlines, labelled synthetic when the data are.

    Parameters
    ----------
    ws : Workspace
    **kwargs
        Passed to :func:`national_map`.

    Returns
    -------
    NationalMap
    """
    areas = ws.areas
    if "imd_decile" not in areas:
        areas = areas.merge(
            ws.deprivation[[ws.area_col, "imd_decile"]], on=ws.area_col, how="left"
        )
    kwargs.setdefault("code_col", ws.area_col)
    kwargs.setdefault("synthetic", ws.synthetic)
    kwargs.setdefault(
        "title", f"{ws.config.name}: every neighbourhood by national deprivation decile"
    )
    return national_map(areas, **kwargs)
