"""The national map: no gaps or slivers after simplification and quantisation, size within budget,
and it draws offline in Chromium."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

from hiworkbook.demo.england import build_england, make_england_tiling
from hiworkbook.national_map import (
    decode_polygons,
    encode_polygons,
    national_map,
)

BUDGET_BYTES = 15_000_000


def _payload(page: str) -> dict:
    m = re.search(
        r'<script type="application/json" id="hiw-nm-data">(.*?)</script>', page, re.S
    )
    assert m
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def areas() -> gpd.GeoDataFrame:
    t = build_england(3, n_ltla=3, periods=("2024",))
    return (
        t["lsoa"]
        .merge(t["lookup"][["lsoa21_code", "ltla_code"]])
        .merge(t["deprivation"])
    )


def _decoded_bng(page: str) -> np.ndarray:
    d = _payload(page)
    polys = decode_polygons(d["features"], d["origin"], d["quantum"])
    return gpd.GeoSeries(polys, crs=4326).to_crs(27700).values


def test_encode_decode_round_trip() -> None:
    sq = shapely.Polygon(
        [(0, 0), (1, 0), (1, 1), (0, 1)], [[(0.2, 0.2), (0.4, 0.2), (0.4, 0.4)]]
    )
    tri = shapely.Polygon([(1, 0), (2, 0), (1, 1)])
    feats, origin = encode_polygons(np.array([sq, tri], dtype=object), quantum=0.1)
    # first vertex from the origin, then steps; closing vertex left out
    assert feats[1] == [[[10, 0, 10, 0, -10, 10]]]
    back = decode_polygons(feats, origin, 0.1)
    assert back[0].equals(sq) and back[1].equals(tri)
    assert len(back[0].interiors) == 1


def test_no_gaps_no_overlaps_after_simplification(areas: gpd.GeoDataFrame) -> None:
    page = national_map(areas, synthetic=True).html
    decoded = _decoded_bng(page)
    assert len(decoded) == len(areas) and not shapely.is_empty(decoded).any()
    original = shapely.union_all(areas.geometry.values)
    union = shapely.union_all(shapely.make_valid(decoded))
    # one piece with no holes: neighbours still meet everywhere
    assert union.geom_type == "Polygon", union.geom_type
    assert len(union.interiors) == 0
    # the outline moved only by the simplification tolerance: area within 1%
    assert union.area == pytest.approx(original.area, rel=0.01)
    # no overlaps: the areas add up to their union (to 0.01%)
    assert shapely.area(decoded).sum() == pytest.approx(union.area, rel=1e-4)
    # the areas themselves changed little (median relative change under 5%)
    rel = np.abs(shapely.area(decoded) / areas.area.values - 1)
    assert np.median(rel) < 0.05


def test_naive_simplification_would_open_gaps(areas: gpd.GeoDataFrame) -> None:
    """The check above can fail: simplifying each polygon alone leaves holes between them."""
    naive = shapely.simplify(areas.geometry.values, 300.0, preserve_topology=True)
    union = shapely.union_all(naive)
    holes = sum(len(p.interiors) for p in shapely.get_parts(union))
    assert holes > 0 or shapely.area(naive).sum() > union.area * 1.0001


def test_page_is_self_contained_labelled_and_escaped(
    areas: gpd.GeoDataFrame,
) -> None:
    hostile = areas.copy()
    hostile.loc[0, "lsoa21_name"] = "</script><script>alert(1)</script>"
    page = national_map(hostile, synthetic=True, title="A & <b>").html
    assert "Synthetic demonstration data" in page
    assert "<title>A &amp; &lt;b&gt;" in page
    assert "<script>alert(1)" not in page
    assert _payload(page)["names"][0] == "</script><script>alert(1)</script>"
    assert "1 – most deprived 10% in England" in page


@pytest.mark.slow
def test_full_england_map_within_budget() -> None:
    """Every small area of a full-size synthetic England fits in 15 MB."""
    rng = np.random.default_rng(1)
    t = make_england_tiling(rng, 33_755, 296, 42)
    gdf = gpd.GeoDataFrame(
        {
            "lsoa21_code": [f"X01{i + 1:06d}" for i in range(len(t.cells))],
            "lsoa21_name": [f"Area {i + 1}" for i in range(len(t.cells))],
            "ltla_code": t.ltla,
            "imd_decile": (np.arange(len(t.cells)) % 10) + 1,
        },
        geometry=list(t.cells),
        crs=27700,
    )
    m = national_map(gdf, synthetic=True)
    assert m.n_areas == 33_755
    assert m.bytes <= BUDGET_BYTES, m.bytes
    d = _payload(m.html)
    assert sum(1 for f in d["features"] if f) == 33_755


@pytest.mark.slow
def test_draws_offline_in_chromium(areas: gpd.GeoDataFrame, tmp_path) -> None:
    from browser_utils import (
        CHROMIUM_ARGS,
        chromium_path,
        distinct_colours,
    )

    exe = chromium_path()
    if exe is None:
        pytest.skip("Chromium not installed: run scripts/install-chromium.sh")
    from playwright.sync_api import sync_playwright

    path = national_map(areas, synthetic=True).save(tmp_path / "map.html")
    external: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 900, "height": 900})

            def route(r):
                if r.request.url.startswith(("file:", "data:", "about:", "blob:")):
                    r.continue_()
                else:
                    external.append(r.request.url)
                    r.abort()

            page.route("**/*", route)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_function(
                "window.hiwNationalMap && window.hiwNationalMap.drawn > 0",
                timeout=60_000,
            )
            drawn = page.evaluate("window.hiwNationalMap")
            page.wait_for_timeout(300)
            page.locator("#hiw-nm-map").screenshot(path=str(tmp_path / "map.png"))
        finally:
            browser.close()
    assert not external and not errors
    assert drawn == {"drawn": len(areas), "areas": len(areas)}
    # the canvas is painted: the ten decile colours and more (edges, outlines)
    assert distinct_colours(tmp_path / "map.png") > 10
