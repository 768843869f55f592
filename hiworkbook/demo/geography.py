"""Polygons of the synthetic region: an irregular outline tiled by Voronoi small areas, grouped into
contiguous LTLAs.

All coordinates are British National Grid (EPSG:27700) metres, around (400000, 350000) — inland
England — so the region sits plausibly on a map of England. It is about 40 km by 35 km.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely.geometry import LineString, MultiPoint, Polygon

__all__ = ["Tiling", "CENTRE", "make_outline", "make_tiling", "rook_neighbours"]

log = logging.getLogger(__name__)

CENTRE = (400_000.0, 350_000.0)
HALF_WIDTH = 22_000.0
HALF_HEIGHT = 19_000.0


@dataclass
class Tiling:
    """Small-area polygons, their seeds and their LTLA grouping.

    Attributes
    ----------
    outline : shapely.Polygon
        The region.
    cells : ndarray of shapely.Polygon
        Small areas, tiling ``outline``.
    seeds : ndarray, shape (n, 2)
        The point each cell was grown from (inside the cell).
    ltla : ndarray of int
        LTLA index of each cell (0 = the district around the main urban core).
    cores : ndarray, shape (k, 3)
        Urban cores: x, y, strength (the first is the city).
    urban : ndarray
        Urbanity of each cell in [0, 1] (from cell size).
    """

    outline: Polygon
    cells: np.ndarray
    seeds: np.ndarray
    ltla: np.ndarray
    cores: np.ndarray
    urban: np.ndarray


def make_outline(rng: np.random.Generator) -> Polygon:
    """An irregular region outline: an ellipse with a smoothly perturbed radius and an estuary.

    Parameters
    ----------
    rng : numpy.random.Generator

    Returns
    -------
    shapely.Polygon
    """
    theta = np.linspace(0, 2 * np.pi, 720, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 8):
        r += (
            rng.uniform(0.03, 0.08)
            / np.sqrt(k - 1)
            * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
        )
    cx, cy = CENTRE
    x = cx + HALF_WIDTH * 0.92 * r * np.cos(theta)
    y = cy + HALF_HEIGHT * 0.92 * r * np.sin(theta)
    poly = shapely.make_valid(Polygon(np.column_stack([x, y])))
    # an estuary biting in from the east-south-east
    a = rng.uniform(-0.5, 0.1)
    path = [
        (cx + HALF_WIDTH * f * np.cos(a + w), cy + HALF_HEIGHT * f * np.sin(a + w))
        for f, w in [(1.5, 0.0), (1.0, 0.0), (0.75, 0.06), (0.5, -0.04)]
    ]
    estuary = shapely.union_all(
        [
            LineString(path[i:]).buffer(w, quad_segs=8)
            for i, w in zip(range(3), (1400.0, 800.0, 350.0), strict=True)
        ]
    )
    poly = poly.difference(estuary)
    if poly.geom_type != "Polygon":
        poly = max(poly.geoms, key=lambda g: g.area)
    return shapely.Polygon(poly.exterior)


def _sample_inside(
    rng: np.random.Generator, outline: Polygon, n: int, sampler
) -> np.ndarray:
    out: list[np.ndarray] = []
    got = 0
    while got < n:
        pts = sampler(4 * n)
        pts = pts[shapely.contains_xy(outline, pts[:, 0], pts[:, 1])]
        out.append(pts)
        got += len(pts)
    return np.concatenate(out)[:n]


def _voronoi(points: np.ndarray, outline: Polygon) -> np.ndarray:
    vor = shapely.voronoi_polygons(
        MultiPoint(points), extend_to=outline.buffer(10_000), ordered=True
    )
    cells = np.array(shapely.get_parts(vor))
    return shapely.intersection(cells, outline)


def rook_neighbours(cells: np.ndarray, min_length: float = 1.0) -> np.ndarray:
    """Pairs (i, j), i < j, of polygons sharing a boundary of at least ``min_length`` metres."""
    tree = shapely.STRtree(cells)
    i, j = tree.query(cells, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    b = shapely.boundary(cells)
    shared = shapely.length(shapely.intersection(b[i], b[j]))
    keep = shared >= min_length
    return np.column_stack([i[keep], j[keep]])


def _fix_fragments(cells: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """Give every multi-part cell's stray parts to the neighbour they share most boundary with."""
    cells = cells.copy()
    for _ in range(10):
        multi = np.flatnonzero(shapely.get_num_geometries(cells) > 1)
        if len(multi) == 0:
            break
        tree = shapely.STRtree(cells)
        for k in multi:
            parts = shapely.get_parts(cells[k])
            home = shapely.contains_xy(parts, seeds[k, 0], seeds[k, 1])
            if not home.any():
                home[np.argmax(shapely.area(parts))] = True
            cells[k] = parts[np.flatnonzero(home)[0]]
            for part in parts[~home]:
                cand = [c for c in tree.query(part, predicate="intersects") if c != k]
                if not cand:
                    continue
                lengths = shapely.length(
                    shapely.intersection(part.boundary, shapely.boundary(cells[cand]))
                )
                best = cand[int(np.argmax(lengths))]
                cells[best] = shapely.union(cells[best], part)
    return cells


def _kmeans(
    rng: np.random.Generator, pts: np.ndarray, k: int, iters: int = 30
) -> np.ndarray:
    """Plain Lloyd k-means with k-means++ start; returns labels."""
    centres = [pts[rng.integers(len(pts))]]
    for _ in range(1, k):
        d2 = np.min(((pts[:, None, :] - np.array(centres)[None]) ** 2).sum(-1), axis=1)
        centres.append(pts[rng.choice(len(pts), p=d2 / d2.sum())])
    c = np.array(centres)
    labels = np.zeros(len(pts), dtype=int)
    for _ in range(iters):
        labels = np.argmin(((pts[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        for j in range(k):
            if (labels == j).any():
                c[j] = pts[labels == j].mean(axis=0)
    return labels


def _make_contiguous(labels: np.ndarray, pairs: np.ndarray, n: int) -> np.ndarray:
    """Move cells in detached pieces of a group to the neighbouring group they touch most."""
    labels = labels.copy()
    for _ in range(50):
        same = labels[pairs[:, 0]] == labels[pairs[:, 1]]
        p = pairs[same]
        g = coo_matrix((np.ones(len(p)), (p[:, 0], p[:, 1])), shape=(n, n))
        _, comp = connected_components(g, directed=False)
        changed = False
        for lab in np.unique(labels):
            members = np.flatnonzero(labels == lab)
            comps, sizes = np.unique(comp[members], return_counts=True)
            if len(comps) <= 1:
                continue
            main = comps[np.argmax(sizes)]
            for c in comps[comps != main]:
                piece = np.flatnonzero(comp == c)
                inpiece = np.isin(pairs, piece)
                edge = pairs[inpiece[:, 0] ^ inpiece[:, 1]]
                other = np.where(np.isin(edge[:, 0], piece), edge[:, 1], edge[:, 0])
                other_labels = labels[other]
                other_labels = other_labels[other_labels != lab]
                if len(other_labels):
                    labels[piece] = np.bincount(other_labels).argmax()
                    changed = True
        if not changed:
            break
    return labels


def make_tiling(rng: np.random.Generator, n_small_areas: int, n_ltla: int) -> Tiling:
    """Build the outline, the small areas and the LTLAs.

    Seed points are denser around a few urban cores (a city and smaller towns) and sparse at the
    rural edges; one Lloyd relaxation step evens out slivers; Voronoi cells are clipped to the
    outline; LTLAs are k-means groups of the cells, made contiguous.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_small_areas : int
    n_ltla : int

    Returns
    -------
    Tiling
    """
    outline = make_outline(rng)
    minx, miny, maxx, maxy = outline.bounds
    cx, cy = CENTRE
    # urban cores: a city west of centre and smaller towns
    n_towns = max(3, n_ltla - 1)
    core_pts = _sample_inside(
        rng,
        outline.buffer(-3000),
        n_towns + 1,
        lambda k: np.column_stack(
            [rng.uniform(minx, maxx, k), rng.uniform(miny, maxy, k)]
        ),
    )
    core_pts[0] = shapely.get_coordinates(
        shapely.Point(cx - 5000, cy + 2000)
        if outline.buffer(-4000).contains(shapely.Point(cx - 5000, cy + 2000))
        else outline.point_on_surface()
    )[0]
    strength = np.array([1.0] + [0.45] * n_towns)
    spread = np.array([3500.0] + [1600.0] * n_towns)
    cores = np.column_stack([core_pts, strength])

    def sampler(k: int) -> np.ndarray:
        n_urban = int(0.5 * k)
        which = rng.choice(len(strength), size=n_urban, p=strength / strength.sum())
        urban = core_pts[which] + rng.normal(size=(n_urban, 2)) * spread[which, None]
        rural = np.column_stack(
            [rng.uniform(minx, maxx, k - n_urban), rng.uniform(miny, maxy, k - n_urban)]
        )
        return np.concatenate([urban, rural])

    seeds = _sample_inside(rng, outline, n_small_areas, sampler)
    # one Lloyd step (keeps density contrast, removes slivers)
    cells = _voronoi(seeds, outline)
    cent = shapely.get_coordinates(shapely.centroid(cells))
    seeds = 0.5 * seeds + 0.5 * cent
    cells = _voronoi(seeds, outline)
    cells = _fix_fragments(cells, seeds)
    pairs = rook_neighbours(cells)
    # LTLAs: k-means on seeds, then contiguity
    labels = _kmeans(rng, seeds, n_ltla)
    labels = _make_contiguous(labels, pairs, len(cells))
    # relabel so 0 = the group containing the city core, then by distance from it
    present = np.unique(labels)
    cen = np.array([seeds[labels == lab].mean(axis=0) for lab in present])
    dist = np.hypot(cen[:, 0] - core_pts[0, 0], cen[:, 1] - core_pts[0, 1])
    order = present[np.argsort(dist, kind="stable")]
    remap = np.empty(labels.max() + 1, dtype=int)
    remap[order] = np.arange(len(order))
    labels = remap[labels]
    area = shapely.area(cells)
    logdens = -np.log(area)
    urban = (logdens - logdens.min()) / max(np.ptp(logdens), 1e-9)
    log.debug("tiling: %d cells, %d LTLAs", len(cells), len(order))
    return Tiling(outline, cells, seeds, labels, cores, urban)
