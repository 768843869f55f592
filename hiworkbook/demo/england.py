"""A synthetic England with polygons: the demo's model at national scale.

:func:`build_england` tiles a fictional country-sized outline with about 33,755 Voronoi small areas
grouped into 296 contiguous LTLA-like districts, 42 ICB-like boards and ward-like clusters of about
five small areas, and draws deprivation, population (sex, age, ethnic group) and counts of every
built-in indicator with the demo's model (:mod:`hiworkbook.demo.model`). :func:`generate_england_demo`
writes it as a complete workbook (``hiworkbook generate-demo --scale england DIR``).

Geography in a few vectorised passes (shapely 2 / GEOS): one Voronoi diagram of all seed points
(``shapely.voronoi_polygons``), clipped to the outline only where a cell crosses it, one Lloyd step,
then LTLAs as k-means clusters of the seed points (nearest centre by ``scipy.spatial.cKDTree``)
made contiguous over the rook-neighbour graph, and ICBs as k-means clusters of the LTLAs made
contiguous the same way. Each LTLA is therefore the exact union of its small areas and each ICB
the exact union of its LTLAs; no polygon is clipped twice, so neighbouring cells share their edges
vertex for vertex (a valid polygonal coverage, which :func:`shapely.coverage_simplify` needs).

Everything is fictional and labelled synthetic; codes have the prefix ``X``, which ONS never issues.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree
from shapely.geometry import Polygon

from hiworkbook.demo import model as M
from hiworkbook.demo import names as N
from hiworkbook.demo.geography import _fix_fragments, _make_contiguous, rook_neighbours
from hiworkbook.demo.writer import (
    _CAUSE_STREAM,
    _ethnic_frame,
    _le_block,
    _population_frame,
    _sha256,
    _smooth_noise,
    blocks_to_frame,
)

__all__ = [
    "ENGLAND_LTLAS",
    "ENGLAND_ICBS",
    "EnglandTiling",
    "make_country_outline",
    "make_england_tiling",
    "build_england",
    "generate_england_demo",
    "england_ltla_names",
    "england_icb_names",
]

log = logging.getLogger(__name__)

#: LTLAs and ICBs of England (2023 geography): 296 lower-tier local authorities, 42 ICBs.
ENGLAND_LTLAS = 296
ENGLAND_ICBS = 42
#: Small areas per LTLA on average (33,755 LSOA 2021 / 296 LTLAs).
AREAS_PER_LTLA = M.N_ENGLAND / ENGLAND_LTLAS
GENERATOR = "hiworkbook.demo.england"
MODEL_VERSION = 1
COUNTRY_NAME = "Synthetic England"
#: Centre and half-size (metres, EPSG:27700) of the fictional country: about 125,000 km².
COUNTRY_CENTRE = (420_000.0, 330_000.0)
COUNTRY_HALF = (165_000.0, 245_000.0)
FILES = (
    "boundaries.gpkg",
    "lookup.csv",
    "deprivation.csv",
    "population.csv.gz",
    "population_ethnicity.csv",
    "counts.csv.gz",
    "england_counts.csv",
    "README.md",
    "workbook.toml",
)

_PREFIXES = (
    "Alder", "Bracken", "Curlew", "Dunlin", "Elder", "Fen", "Grey", "Heron", "Ivy", "Juniper",
    "Kestrel", "Linnet", "Marsh", "Nettle", "Otter", "Plover", "Quail", "Rook", "Sedge", "Thistle",
    "Umber", "Vetch", "Wren", "Yarrow", "Teasel", "Merrow", "Hollin", "Larkspur", "Starling",
    "Tansy", "Sorrel", "Pipit",
)  # fmt: skip
_SUFFIXES = (
    "field", "wick", "vale", "mere", "hallow", "hithe", "dale", "moor", "combe", "leigh",
)  # fmt: skip
_ICB_WORDS = (
    "North", "South", "East", "West", "Central", "Upper", "Lower", "Coastal", "Inner", "Outer",
)  # fmt: skip


# --------------------------------------------------------------------------- names


def england_ltla_names(n: int) -> list[str]:
    """``n`` distinct invented district names (``"Alderfield"``, ``"Brackenwick"`` …).

    Prefix × suffix pairs in a fixed shuffled order; beyond the 320 pairs a numeral is added.
    None is the name of an English local authority.

    Parameters
    ----------
    n : int

    Returns
    -------
    list of str
    """
    pairs = [p + s for s in _SUFFIXES for p in _PREFIXES]
    order = np.random.default_rng(7).permutation(len(pairs))
    base = [pairs[i] for i in order]
    return [
        base[i % len(base)] + ("" if i < len(base) else f" {i // len(base) + 1}")
        for i in range(n)
    ]


def england_icb_names(first_ltla_names: Sequence[str]) -> list[str]:
    """ICB names from the name of each ICB's largest district (``"NHS Alderfield and District
    Integrated Care Board"``), made distinct."""
    out = []
    for i, name in enumerate(first_ltla_names):
        word = _ICB_WORDS[i % len(_ICB_WORDS)]
        out.append(f"NHS {name} and {word} District Integrated Care Board")
    return out


# --------------------------------------------------------------------------- geography


@dataclass
class EnglandTiling:
    """Small-area polygons grouped into wards, LTLAs and ICBs.

    Attributes
    ----------
    outline : shapely.Polygon
    cells : ndarray of shapely.Polygon
        Small areas tiling ``outline`` (each one polygon).
    seeds : ndarray, shape (n, 2)
    ltla, icb : ndarray of int
        Group of each cell.
    cores : ndarray, shape (k, 3)
        Urban cores: x, y, strength (the first is the capital).
    urban : ndarray
        Urbanity of each cell in [0, 1] (from cell size).
    pairs : ndarray, shape (m, 2)
        Rook-neighbour pairs of cells.
    """

    outline: Polygon
    cells: np.ndarray
    seeds: np.ndarray
    ltla: np.ndarray
    icb: np.ndarray
    cores: np.ndarray
    urban: np.ndarray
    pairs: np.ndarray


def make_country_outline(
    rng: np.random.Generator,
    centre: tuple[float, float] = COUNTRY_CENTRE,
    half: tuple[float, float] = COUNTRY_HALF,
) -> Polygon:
    """A fictional country outline: an ellipse whose radius is perturbed at many frequencies.

    Parameters
    ----------
    rng : numpy.random.Generator
    centre : (float, float)
        Centre in EPSG:27700 metres.
    half : (float, float)
        Half-width and half-height in metres.

    Returns
    -------
    shapely.Polygon
    """
    theta = np.linspace(0, 2 * np.pi, 1440, endpoint=False)
    r = np.ones_like(theta)
    for k in range(2, 24):
        r += (
            rng.uniform(0.02, 0.07)
            / (k - 1) ** 0.8
            * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
        )
    x = centre[0] + half[0] * r * np.cos(theta)
    y = centre[1] + half[1] * r * np.sin(theta)
    poly = shapely.make_valid(Polygon(np.column_stack([x, y])))
    if poly.geom_type != "Polygon":
        poly = max(shapely.get_parts(poly), key=lambda g: g.area)
    return shapely.Polygon(poly.exterior)


def _voronoi_clip(points: np.ndarray, outline: Polygon) -> np.ndarray:
    """Voronoi cells of ``points`` (in their order), clipped to ``outline`` where they cross it."""
    vor = shapely.voronoi_polygons(
        shapely.MultiPoint(points), extend_to=outline.buffer(20_000), ordered=True
    )
    cells = np.array(shapely.get_parts(vor))
    shapely.prepare(outline)
    inside = shapely.contains_properly(outline, cells)
    out = cells.copy()
    out[~inside] = shapely.intersection(cells[~inside], outline)
    return out


def _kmeans_points(
    rng: np.random.Generator,
    pts: np.ndarray,
    k: int,
    iters: int = 12,
    min_size: int = 1,
) -> np.ndarray:
    """Lloyd k-means started from ``k`` of the points (density-proportional); labels 0..k-1.

    A cluster smaller than ``min_size`` has its centre moved beside the centre of the largest
    cluster (splitting it) and the iterations go on, so no group is tiny.
    """
    centres = pts[rng.choice(len(pts), size=k, replace=False)].astype(float)
    labels = np.zeros(len(pts), dtype=np.int64)
    for it in range(iters + 4 * k):
        labels = cKDTree(centres).query(pts)[1]
        counts = np.bincount(labels, minlength=k)
        sums = np.stack(
            [np.bincount(labels, weights=pts[:, j], minlength=k) for j in range(2)],
            axis=1,
        )
        keep = counts > 0
        centres[keep] = sums[keep] / counts[keep, None]
        small = np.flatnonzero(counts < min_size)
        if it >= iters - 1:
            if not len(small):
                break
            big = int(np.argmax(counts))
            members = pts[labels == big]
            centres[small[0]] = members[rng.integers(len(members))]
    _, labels = np.unique(labels, return_inverse=True)
    return labels


def _group_pairs(pairs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Pairs of groups whose members are rook neighbours."""
    a, b = labels[pairs[:, 0]], labels[pairs[:, 1]]
    keep = a != b
    gp = np.sort(np.column_stack([a[keep], b[keep]]), axis=1)
    return np.unique(gp, axis=0) if len(gp) else gp.reshape(0, 2)


def _order_labels(labels: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Relabel groups 0..k-1 in the order of ``key`` (one value per current label)."""
    order = np.argsort(key, kind="stable")
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    return remap[labels]


def make_england_tiling(
    rng: np.random.Generator,
    n_small_areas: int,
    n_ltla: int,
    n_icb: int,
    *,
    outline: Polygon | None = None,
) -> EnglandTiling:
    """Tile a country with small areas grouped into contiguous LTLAs and ICBs.

    Seed points are dense around urban cores (a capital and cities whose sizes follow a
    Zipf-like law) and sparse in the countryside; one Lloyd step removes slivers; Voronoi cells are
    clipped to the outline. LTLAs are k-means clusters of the seed points and ICBs k-means clusters
    of the LTLAs (by centroid), each made contiguous over the rook-neighbour graph. LTLAs are
    numbered north to south, west to east within an ICB; ICBs north to south.

    Parameters
    ----------
    rng : numpy.random.Generator
    n_small_areas, n_ltla, n_icb : int
    outline : shapely.Polygon, optional
        Default :func:`make_country_outline` scaled to the number of small areas (a reduced
        England keeps England's density).

    Returns
    -------
    EnglandTiling
    """
    if outline is None:
        s = math.sqrt(n_small_areas / M.N_ENGLAND)
        outline = make_country_outline(
            rng, half=(COUNTRY_HALF[0] * s, COUNTRY_HALF[1] * s)
        )
    minx, miny, maxx, maxy = outline.bounds
    n_cores = max(3, round(n_ltla / 7))
    inner = outline.buffer(-0.04 * (maxx - minx))
    cand = np.column_stack(
        [rng.uniform(minx, maxx, 20 * n_cores), rng.uniform(miny, maxy, 20 * n_cores)]
    )
    cand = cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]
    core_xy = cand[:n_cores]
    strength = 1.0 / np.arange(1, n_cores + 1) ** 0.9
    strength[0] *= 2.5  # the capital
    spread = 0.012 * (maxx - minx) * (1 + 2.0 * np.sqrt(strength / strength[0]))
    cores = np.column_stack([core_xy, strength])

    def sample(k: int) -> np.ndarray:
        n_urban = int(0.62 * k)
        which = rng.choice(n_cores, size=n_urban, p=strength / strength.sum())
        urban = core_xy[which] + rng.normal(size=(n_urban, 2)) * spread[which, None]
        rural = np.column_stack(
            [rng.uniform(minx, maxx, k - n_urban), rng.uniform(miny, maxy, k - n_urban)]
        )
        return np.concatenate([urban, rural])

    seeds = np.empty((0, 2))
    while len(seeds) < n_small_areas:
        pts = sample(2 * n_small_areas)
        pts = pts[shapely.contains_xy(outline, pts[:, 0], pts[:, 1])]
        seeds = np.concatenate([seeds, pts[rng.permutation(len(pts))]])
    seeds = seeds[:n_small_areas]
    cells = _voronoi_clip(seeds, outline)
    seeds = 0.5 * seeds + 0.5 * shapely.get_coordinates(shapely.centroid(cells))
    cells = _voronoi_clip(seeds, outline)
    cells = _fix_fragments(cells, seeds)
    pairs = rook_neighbours(cells)
    n = len(cells)

    ltla = _kmeans_points(
        rng, seeds, n_ltla, min_size=max(1, int(0.3 * n_small_areas / n_ltla))
    )
    ltla = _make_contiguous(ltla, pairs, n)
    _, ltla = np.unique(ltla, return_inverse=True)
    k_l = int(ltla.max()) + 1
    cnt = np.bincount(ltla, minlength=k_l)
    lc = np.stack(
        [np.bincount(ltla, weights=seeds[:, j], minlength=k_l) / cnt for j in range(2)],
        axis=1,
    )
    icb_of_ltla = _kmeans_points(rng, lc, min(n_icb, k_l))
    icb_of_ltla = _make_contiguous(icb_of_ltla, _group_pairs(pairs, ltla), k_l)
    _, icb_of_ltla = np.unique(icb_of_ltla, return_inverse=True)
    k_i = int(icb_of_ltla.max()) + 1
    # ICBs north to south; LTLAs by ICB then north to south
    ic = np.array([lc[icb_of_ltla == j].mean(axis=0) for j in range(k_i)])
    icb_rank = _order_labels(np.arange(k_i), -ic[:, 1] + 1e-6 * ic[:, 0])
    icb_of_ltla = icb_rank[icb_of_ltla]
    ltla_rank = _order_labels(
        np.arange(k_l), icb_of_ltla * 1e9 - lc[:, 1] + 1e-6 * lc[:, 0]
    )
    ltla = ltla_rank[ltla]
    icb_of_ltla_new = np.empty(k_l, dtype=np.int64)
    icb_of_ltla_new[ltla_rank] = icb_of_ltla
    icb = icb_of_ltla_new[ltla]

    logdens = -np.log(shapely.area(cells))
    urban = (logdens - np.quantile(logdens, 0.02)) / max(
        np.quantile(logdens, 0.98) - np.quantile(logdens, 0.02), 1e-9
    )
    log.debug("England tiling: %d cells, %d LTLAs, %d ICBs", n, k_l, k_i)
    return EnglandTiling(
        outline, cells, seeds, ltla, icb, cores, np.clip(urban, 0, 1), pairs
    )


def _wards(
    rng: np.random.Generator, seeds: np.ndarray, ltla: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ward-like clusters of about five small areas inside each LTLA, numbered north to south.

    Returns the ward index of each cell (0-based, numbered LTLA by LTLA) and its number within
    its LTLA (1-based).
    """
    ward = np.empty(len(seeds), dtype=np.int64)
    number = np.empty(len(seeds), dtype=np.int64)
    offset = 0
    for k in range(int(ltla.max()) + 1):
        members = np.flatnonzero(ltla == k)
        n_w = max(1, math.ceil(len(members) / 5))
        lab = (
            _kmeans_points(rng, seeds[members], n_w, iters=8)
            if n_w > 1
            else np.zeros(len(members), dtype=np.int64)
        )
        n_w = int(lab.max()) + 1
        cen = np.stack(
            [
                np.bincount(lab, weights=seeds[members, j], minlength=n_w)
                / np.bincount(lab, minlength=n_w)
                for j in range(2)
            ],
            axis=1,
        )
        lab = _order_labels(lab, -cen[:, 1] + 1e-6 * cen[:, 0])
        ward[members] = offset + lab
        number[members] = lab + 1
        offset += n_w
    return ward, number


# --------------------------------------------------------------------------- model


def _latent(rng: np.random.Generator, t: EnglandTiling) -> np.ndarray:
    """Latent deprivation: urban cores, a north-south gradient, district and board effects,
    spatially smoothed noise; standardised."""
    xy = t.seeds
    minx, miny, maxx, maxy = t.outline.bounds
    width = maxx - minx
    f = np.zeros(len(xy))
    for x, y, s in t.cores:
        sd = 0.015 * width * (1 + 3 * math.sqrt(s / t.cores[0, 2]))
        f += (
            1.4
            * math.sqrt(s / t.cores[0, 2])
            * np.exp(-((xy[:, 0] - x) ** 2 + (xy[:, 1] - y) ** 2) / (2 * sd**2))
        )
    f = (f - f.mean()) / max(f.std(), 1e-9)
    north = (xy[:, 1] - miny) / max(maxy - miny, 1e-9) - 0.5
    f = f + 0.5 * north
    f = f + rng.normal(0, 0.35, int(t.icb.max()) + 1)[t.icb]
    f = f + rng.normal(0, 0.3, int(t.ltla.max()) + 1)[t.ltla]
    f = f + 0.5 * _smooth_noise(rng, t.pairs, len(xy)) + 0.35 * rng.normal(size=len(xy))
    return (f - f.mean()) / f.std()


def build_england(
    seed: int = 1,
    *,
    n_ltla: int = ENGLAND_LTLAS,
    n_icb: int | None = None,
    n_small_areas: int | None = None,
    periods: Sequence[str] = ("2022", "2023", "2024"),
    causes: bool = False,
) -> dict[str, pd.DataFrame]:
    """Every table of a synthetic England, in memory.

    Parameters
    ----------
    seed : int
        Seed of the one random generator everything is drawn from.
    n_ltla : int
        Number of LTLAs (default 296, as in England; fewer for a reduced England at the same
        density).
    n_icb : int, optional
        Number of ICBs; default 42 scaled by ``n_ltla / 296`` (at least 1).
    n_small_areas : int, optional
        Default ``round(n_ltla * 33755 / 296)`` (33,755 for 296 LTLAs).
    periods : sequence of str
        Periods of population and counts, oldest first.
    causes : bool, default False
        Also deaths by broad cause (:func:`hiworkbook.demo.model.cause_blocks`, five all-age DSR
        indicators, drawn from their own random stream as in the demo region, so every other
        table is the same with or without them). Off by default: at England's size they nearly
        triple the counts (about 31 million rows instead of 11.5 million).

    Returns
    -------
    dict of str to DataFrame
        ``lsoa``, ``ltla``, ``icb`` (GeoDataFrames, EPSG:27700), ``lookup`` (with ward, LTLA and
        ICB codes and names), ``deprivation``, ``population``, ``population_ethnicity``,
        ``counts``, ``england_counts`` (the sum of every area's counts).
    """
    n_ltla = int(n_ltla)
    if n_ltla < 2:
        raise ValueError("need at least 2 LTLAs")
    n_sa = int(n_small_areas or round(n_ltla * AREAS_PER_LTLA))
    n_icb = int(n_icb or max(1, round(ENGLAND_ICBS * n_ltla / ENGLAND_LTLAS)))
    if n_sa < 20 * n_ltla:
        raise ValueError("need at least 20 small areas per LTLA")
    periods = [str(p) for p in periods]
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    tiling = make_england_tiling(rng, n_sa, n_ltla, n_icb)
    log.info(
        "tiled %d small areas in %.1f s", len(tiling.cells), time.perf_counter() - t0
    )
    ward, ward_no = _wards(rng, tiling.seeds, tiling.ltla)
    # order small areas by LTLA, ward, then north to south
    perm = np.lexsort((tiling.seeds[:, 0], -tiling.seeds[:, 1], ward))
    cells = tiling.cells[perm]
    ltla, icb, ward, ward_no = (
        tiling.ltla[perm],
        tiling.icb[perm],
        ward[perm],
        ward_no[perm],
    )
    inv = np.empty(len(perm), dtype=np.int64)
    inv[perm] = np.arange(len(perm))
    tiling = EnglandTiling(
        tiling.outline,
        cells,
        tiling.seeds[perm],
        ltla,
        icb,
        tiling.cores,
        tiling.urban[perm],
        np.sort(inv[tiling.pairs], axis=1),
    )
    n = len(cells)
    k_l, k_i = int(ltla.max()) + 1, int(icb.max()) + 1

    z = _latent(rng, tiling)
    score, rank, decile, d = M.rank_national(z)
    area = M.AreaModel(z=z, d=d, urban=tiling.urban, group=ltla)
    n_per = len(periods)
    pop = M.draw_population(rng, M.expected_population(rng, area, n_per))
    shares = M.ethnic_shares(rng, area, n_per)
    eth = M.ethnic_population(rng, pop.sum(axis=(2, 3)), shares)
    blocks = M.simulate_counts(
        rng, area, pop, eth / np.maximum(eth.sum(-1, keepdims=True), 1)
    )
    if causes:
        cause_rng = np.random.default_rng([seed, _CAUSE_STREAM])
        blocks += M.cause_blocks(cause_rng, _le_block(blocks), area.d)
    eng_blocks = [
        M.Block(
            b.indicator_id,
            b.sexes,
            b.bands,
            b.ethnic,
            b.numerator.sum(axis=0, keepdims=True),
            b.denominator.sum(axis=0, keepdims=True),
        )
        for b in blocks
    ]

    codes = np.array([N.small_area_code(i + 1) for i in range(n)])
    l_names = np.array(england_ltla_names(k_l), dtype=object)
    l_codes = np.array([N.ltla_code(i + 1) for i in range(k_l)], dtype=object)
    # name each ICB after its most populous district
    sizes = np.bincount(ltla, minlength=k_l)
    icb_of_ltla = np.zeros(k_l, dtype=np.int64)
    icb_of_ltla[ltla] = icb
    lead = [
        l_names[np.flatnonzero(icb_of_ltla == j)[np.argmax(sizes[icb_of_ltla == j])]]
        for j in range(k_i)
    ]
    i_names = np.array(england_icb_names(lead), dtype=object)
    i_codes = np.array([f"X54{j + 1:06d}" for j in range(k_i)], dtype=object)
    w_codes = np.array([f"X05{j + 1:06d}" for j in range(int(ward.max()) + 1)])
    w_names = np.char.add(
        np.char.add(l_names[ltla].astype(str), " ward "),
        np.char.zfill(ward_no.astype(str), 2),
    )
    # LSOA-style names: "<LTLA> 001A" with the ward number as the MSOA-like number
    letter = np.zeros(n, dtype=np.int64)
    start = np.r_[0, np.flatnonzero(np.diff(ward)) + 1]
    run = np.diff(np.r_[start, n])
    letter = np.arange(n) - np.repeat(start, run)
    sa_names = np.array(
        [
            N.small_area_name(l_names[ltla[i]], int(ward_no[i]), int(letter[i]))
            for i in range(n)
        ],
        dtype=object,
    )
    lsoa = gpd.GeoDataFrame(
        {"lsoa21_code": codes, "lsoa21_name": sa_names.astype(str)},
        geometry=list(cells),
        crs="EPSG:27700",
    )
    ltla_gdf = gpd.GeoDataFrame(
        {"ltla_code": l_codes.astype(str), "ltla_name": l_names.astype(str)},
        geometry=[shapely.union_all(cells[ltla == k]) for k in range(k_l)],
        crs="EPSG:27700",
    )
    icb_gdf = gpd.GeoDataFrame(
        {"icb_code": i_codes.astype(str), "icb_name": i_names.astype(str)},
        geometry=[
            shapely.union_all(ltla_gdf.geometry.values[icb_of_ltla == j])
            for j in range(k_i)
        ],
        crs="EPSG:27700",
    )
    lookup = pd.DataFrame(
        {
            "lsoa21_code": codes,
            "lsoa21_name": sa_names.astype(str),
            "ward_code": w_codes[ward],
            "ward_name": w_names,
            "ltla_code": l_codes[ltla].astype(str),
            "ltla_name": l_names[ltla].astype(str),
            "icb_code": i_codes[icb].astype(str),
            "icb_name": i_names[icb].astype(str),
        }
    )
    deprivation = pd.DataFrame(
        {
            "lsoa21_code": codes,
            "imd_score": np.round(score, 2),
            "imd_rank": rank,
            "imd_decile": decile,
        }
    )
    eng = blocks_to_frame(eng_blocks, [N.ENGLAND_CODE], periods, code_col="area_code")
    eng.insert(3, "area_name", N.ENGLAND_NAME)
    return {
        "lsoa": lsoa,
        "ltla": ltla_gdf,
        "icb": icb_gdf,
        "lookup": lookup,
        "deprivation": deprivation,
        "population": _population_frame(pop, codes, periods),
        "population_ethnicity": _ethnic_frame(eth, codes, periods),
        "counts": blocks_to_frame(blocks, codes, periods),
        "england_counts": eng,
    }


# --------------------------------------------------------------------------- files


def _workbook_toml(seed: int, n_ltla: int, period: str) -> str:
    return f"""# hiworkbook workbook: a synthetic England (hiworkbook.demo.england, seed {seed}, {n_ltla} LTLAs)
[workbook]
name = "{COUNTRY_NAME} (synthetic demo data)"
synthetic = true
period = "{period}"

[geography]
small_area = "lsoa"
vintage = 2021
place_levels = ["ltla", "icb"]   # add "ward" for ward reports (about five small areas each)

[files]
boundaries = {{ path = "boundaries.gpkg", layer = "lsoa" }}
lookup = "lookup.csv"
deprivation = "deprivation.csv"
population = "population.csv.gz"
population_ethnicity = "population_ethnicity.csv"
counts = ["counts.csv.gz"]
indicators = "builtin"

[comparators.england]
name = "{N.ENGLAND_NAME}"
code = "{N.ENGLAND_CODE}"
counts = "england_counts.csv"

[disclosure]
min_count = 5
"""


def _readme(seed: int, tables: dict[str, pd.DataFrame], periods: Sequence[str]) -> str:
    return f"""# {COUNTRY_NAME}: synthetic demo data at national scale

**Everything in this folder is synthetic.** The country outline, places, names, boundaries, people
and counts are invented by `hiworkbook.demo.england` (seed {seed}); none of it describes a real
place or real people, and no real data were used. Codes have the prefix `X` (small areas `X01…`,
wards `X05…`, LTLAs `X06…`, ICBs `X54…`, the England comparator `X92000001`), which ONS never issues.

- {len(tables["lsoa"]):,} LSOA-like small areas in {len(tables["ltla"])} fictional LTLAs and
  {len(tables["icb"])} fictional ICBs, ward-like groups of about five small areas in the lookup,
  EPSG:27700 coordinates.
- Periods: {", ".join(periods)}. Counts of every built-in indicator; `england_counts.csv` is the sum
  of every small area's counts.

Regenerate with `hiworkbook generate-demo --scale england DIR --seed {seed}`. Files: {", ".join(FILES)},
manifest.json (SHA-256 of each file).
"""


def _write_england_files(
    tmp: Path,
    seed: int,
    n_ltla: int,
    tables: dict[str, pd.DataFrame],
    periods: Sequence[str],
) -> None:
    import pyogrio

    from hiworkbook.demo.writer import _GPKG_DATE

    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": _GPKG_DATE})
    try:
        gpkg = tmp / "boundaries.gpkg"
        for layer in ("lsoa", "ltla", "icb"):
            tables[layer].to_file(gpkg, layer=layer, driver="GPKG", engine="pyogrio")
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": None})
    csv = {"lineterminator": "\n", "index": False}
    gz = {"method": "gzip", "compresslevel": 1, "mtime": 0}
    tables["lookup"].to_csv(tmp / "lookup.csv", **csv)
    tables["deprivation"].to_csv(tmp / "deprivation.csv", float_format="%.2f", **csv)
    tables["population_ethnicity"].to_csv(tmp / "population_ethnicity.csv", **csv)
    tables["england_counts"].to_csv(tmp / "england_counts.csv", **csv)
    for key in ("population", "counts"):
        tables[key].to_csv(
            tmp / f"{key}.csv.gz", compression=gz, chunksize=500_000, **csv
        )
    (tmp / "README.md").write_text(_readme(seed, tables, periods), encoding="utf-8")
    (tmp / "workbook.toml").write_text(
        _workbook_toml(seed, n_ltla, periods[-1]), encoding="utf-8"
    )


def _manifest_matches(out_dir: Path, params: dict) -> bool:
    try:
        m = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        m.get("generator") == GENERATOR
        and m.get("parameters") == params
        and set(m.get("files", {})) == set(FILES)
        and all((out_dir / f).is_file() for f in FILES)
    )


def generate_england_demo(
    out_dir: Path,
    *,
    seed: int = 1,
    n_ltla: int = ENGLAND_LTLAS,
    periods: Sequence[str] = ("2022", "2023", "2024"),
    causes: bool = False,
    overwrite: bool = False,
) -> Path:
    """Write a synthetic England workbook into ``out_dir`` and return its ``workbook.toml``.

    Same contract as :func:`hiworkbook.demo.generate_demo`: built in a temporary folder beside
    ``out_dir`` and renamed into place (never half a workbook); an existing complete England of the
    same parameters is returned as it is unless ``overwrite``; a folder that is neither empty nor
    written by hiworkbook's demo generators is never touched. The large tables
    (``population.csv.gz``, ``counts.csv.gz``) are gzipped (level 1, no time stamp, so the same
    seed gives the same bytes).

    Parameters
    ----------
    out_dir : Path
    seed : int
    n_ltla : int
        296 for the real size; fewer for a reduced England at the same density (tests).
    periods : sequence of str
    causes : bool, default False
        Also deaths by broad cause (see :func:`build_england`).
    overwrite : bool

    Returns
    -------
    Path

    Raises
    ------
    FileExistsError
        If ``out_dir`` is a folder of something else.
    """
    from hiworkbook import __version__

    out_dir = Path(out_dir).expanduser().resolve()
    periods = [str(p) for p in periods]
    params = {
        "scale": "england",
        "seed": int(seed),
        "n_ltla": int(n_ltla),
        "periods": periods,
        "causes": bool(causes),
        "model_version": MODEL_VERSION,
    }
    if out_dir.exists():
        if not out_dir.is_dir():
            raise FileExistsError(f"{out_dir} exists and is not a folder.")
        if not overwrite and _manifest_matches(out_dir, params):
            log.info("Synthetic England already in %s (seed %d)", out_dir, seed)
            return out_dir / "workbook.toml"
        if any(out_dir.iterdir()):
            try:
                m = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))
                ours = str(m.get("generator", "")).startswith("hiworkbook.demo")
            except (OSError, ValueError, AttributeError):
                ours = False
            if not ours:
                raise FileExistsError(
                    f"{out_dir} exists and is not a demo folder written by hiworkbook.demo; "
                    "choose another folder (nothing was changed)."
                )
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    tables = build_england(seed, n_ltla=n_ltla, periods=periods, causes=causes)
    t_build = time.perf_counter() - t0
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        _write_england_files(tmp, seed, n_ltla, tables, periods)
        manifest = {
            "generator": GENERATOR,
            "synthetic": True,
            "parameters": params,
            "package_version": __version__,
            "files": {name: _sha256(tmp / name) for name in FILES},
        }
        (tmp / "manifest.json").write_text(
            json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        tmp.chmod(0o755)
        if out_dir.exists():
            trash = Path(
                tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent)
            )
            out_dir.rename(trash / out_dir.name)
            tmp.rename(out_dir)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            tmp.rename(out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    size = sum(f.stat().st_size for f in out_dir.iterdir() if f.is_file())
    log.info(
        "Wrote a synthetic England (seed %d, %d small areas, %d LTLAs, %d ICBs) to %s: "
        "built in %.1f s, %.1f s in all, %.0f MB",
        seed,
        len(tables["lsoa"]),
        len(tables["ltla"]),
        len(tables["icb"]),
        out_dir,
        t_build,
        time.perf_counter() - t0,
        size / 1e6,
    )
    return out_dir / "workbook.toml"
