"""Maps and offline assets: no network references, escaping, legends, suppression (no browser)."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest
from browser_utils import voronoi_areas

from hiworkbook import assets, maps

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def areas():
    g = voronoi_areas(40, seed=3)
    g.loc[0, "area_name"] = EVIL
    return g


def _tips(page: str) -> list[str]:
    """The tooltip strings embedded in a map page, JSON-decoded as the browser would."""
    return [
        json.loads(f'"{m}"') for m in re.findall(r'"tip": "((?:[^"\\]|\\.)*)"', page)
    ]


def test_deprivation_map_is_self_contained(areas):
    m = maps.deprivation_map(areas, code_col="lsoa21_code", title="Deprivation")
    page = m.to_html()
    assert assets.find_external_refs(page) == []
    assert "data-inlined='leaflet'" in page
    assert "data-inlined='d3'" not in page  # our legend is HTML: d3 not needed
    assert 'lang="en"' in page
    assert len(_tips(page)) == len(areas)


def test_deprivation_legend_labels(areas):
    page = maps.deprivation_map(areas, code_col="lsoa21_code").to_html()
    assert "1 – most deprived 10% in England" in page
    assert "10 – least deprived" in page
    for colour in maps.DECILE_COLOURS:
        assert colour in page


def test_malicious_name_is_escaped_in_tooltips(areas):
    m = maps.deprivation_map(areas, code_col="lsoa21_code", title=EVIL)
    page = m.to_html()
    assert EVIL not in page
    tips = _tips(page)
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in t for t in tips)
    assert not any("<script" in t for t in tips)
    # title: escaped in <title>, in the iframe's attributes and caption
    assert f"<title>{html.escape(EVIL)}</title>" in page
    frag = m._repr_html_()
    assert EVIL not in frag
    assert EVIL not in html.unescape(re.search(r'srcdoc="([^"]*)"', frag).group(1))


def test_tooltip_content(areas):
    g = areas.copy()
    g.loc[1, "population"] = 12345
    page = maps.deprivation_map(g, code_col="lsoa21_code").to_html()
    tip = next(t for t in _tips(page) if g.loc[1, "lsoa21_code"] in t)
    assert "Synthetic area 001" in tip
    assert "Population: 12,345" in tip
    assert f"IMD decile: {g.loc[1, 'imd_decile']}" in tip


def test_only_needed_columns_and_rounded_coordinates(areas):
    g = areas.copy()
    g["secret"] = "do-not-embed"
    page = maps.deprivation_map(g, code_col="lsoa21_code").to_html()
    assert "do-not-embed" not in page
    coords = re.findall(r"-?\d+\.\d+(?=[,\]])", page.split('"features"', 1)[1][:20000])
    assert coords and max(len(c.split(".")[1]) for c in coords) <= 5


def test_repr_html_is_iframe_with_title(areas):
    m = maps.deprivation_map(areas, code_col="lsoa21_code", title="My map", height=400)
    frag = m._repr_html_()
    assert frag.count("<iframe") == 1
    assert 'title="My map"' in frag and 'aria-label="My map"' in frag
    assert "height:400px" in frag and "width:100%" in frag
    assert "<figcaption>My map</figcaption>" in frag
    assert assets.find_external_refs(frag) == []


def test_missing_decile_is_no_data(areas):
    g = areas.copy()
    g["imd_decile"] = g["imd_decile"].astype("Int64")
    g.loc[2, "imd_decile"] = None
    page = maps.deprivation_map(g, code_col="lsoa21_code").to_html()
    assert "IMD decile: no data" in " ".join(_tips(page))
    assert maps.NO_DATA_LABEL in page


def test_bad_decile_raises(areas):
    g = areas.copy()
    g.loc[0, "imd_decile"] = 11
    with pytest.raises(ValueError, match="1–10"):
        maps.deprivation_map(g, code_col="lsoa21_code")


def test_no_crs_raises(areas):
    g = areas.copy()
    g = g.set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match="coordinate reference system"):
        maps.deprivation_map(g, code_col="lsoa21_code")


def test_indicator_map_suppressed_and_missing(areas):
    g = areas.copy()
    g.loc[5, "value"] = np.nan
    m = maps.indicator_map(
        g,
        "value",
        label="Rate per 1,000",
        code_col="lsoa21_code",
        suppressed_col="is_suppressed",
        lower_col="lower_ci",
        upper_col="upper_ci",
        polarity="low_is_good",
    )
    page = m.to_html()
    assert assets.find_external_refs(page) == []
    tips = _tips(page)
    n_supp = int(g["is_suppressed"].sum())
    assert sum("suppressed (small numbers)" in t for t in tips) == n_supp
    assert sum("Rate per 1,000: no data" in t for t in tips) == 1
    assert "url(#hiw-hatch)" in page and 'id="hiw-hatch"' in page
    assert "suppressed (small numbers)" in page.split('class="hiw-legend"', 1)[1]
    assert "95% CI" in " ".join(tips)
    # suppressed values never shown: the value of a suppressed area is not in its tooltip
    i = int(np.flatnonzero(g["is_suppressed"])[0])
    t = next(t for t in tips if g.loc[i, "lsoa21_code"] in t)
    assert f"{g.loc[i, 'value']:,.1f}" not in t
    assert m._stats["suppressed"] == n_supp and m._stats["missing"] == 1


def test_indicator_legend_breaks(areas):
    m = maps.indicator_map(
        areas, "value", label="Value", code_col="lsoa21_code", classes=4, fmt="{:.2f}"
    )
    edges = m._stats["edges"]
    assert len(edges) == 5
    legend = m.to_html().split('class="hiw-legend"', 1)[1]
    assert f"{edges[0]:.2f} – {edges[1]:.2f}" in legend
    assert f"{edges[3]:.2f} – {edges[4]:.2f}" in legend


def test_indicator_label_escaped(areas):
    page = maps.indicator_map(
        areas, "value", label=EVIL, code_col="lsoa21_code"
    ).to_html()
    assert EVIL not in page


def test_indicator_polarity_validation(areas):
    with pytest.raises(ValueError, match="polarity"):
        maps.indicator_map(
            areas, "value", label="x", code_col="lsoa21_code", polarity="up"
        )


def test_outline_drawn(areas):
    outline = areas.dissolve()[["geometry"]]
    page = maps.deprivation_map(
        areas, code_col="lsoa21_code", outline=outline
    ).to_html()
    assert '"fill": false' in page or "fill: false" in page


def test_classify():
    edges, idx = maps.classify([1, 2, 3, 4, np.nan, 5, 6, 7, 8], 4)
    assert edges[0] == 1 and edges[-1] == 8 and len(edges) == 5
    assert idx[4] == -1
    assert idx.max() == 3 and idx[idx >= 0].min() == 0
    edges, idx = maps.classify([2, 2, 2], 5)  # ties collapse
    assert list(idx) == [0, 0, 0]
    edges, idx = maps.classify([1, 5, 9], scheme=[0, 4, 10])
    assert list(idx) == [0, 1, 1]
    edges, idx = maps.classify([0, 10], 2, "equal_interval")
    assert list(edges) == [0, 5, 10]


def test_tile_layer_refused_offline():
    import folium

    with pytest.raises(assets.OfflineAssetError, match="tileLayer"):
        assets.inline_assets(folium.Map().get_root().render())


def test_choropleth_gets_d3(areas):
    import folium

    g = areas.to_crs(4326)[["lsoa21_code", "value", "geometry"]]
    m = folium.Map(tiles=None)
    folium.Choropleth(
        g,
        data=g,
        columns=["lsoa21_code", "value"],
        key_on="feature.properties.lsoa21_code",
        legend_name="Value",
    ).add_to(m)
    page = assets.inline_assets(m.get_root().render())
    assert "data-inlined='d3'" in page and "data-inlined='leaflet'" in page
    assert assets.find_external_refs(page) == []


def test_popup_gets_jquery_shim_and_icons_refused():
    import folium

    m = folium.Map(tiles=None)
    folium.CircleMarker([52, -1], popup="<b>hello</b>").add_to(m)
    page = assets.inline_assets(m.get_root().render())
    assert "data-inlined='jquery-shim'" in page
    m = folium.Map(tiles=None)
    folium.Marker([52, -1], icon=folium.Icon(icon="info-sign")).add_to(m)
    with pytest.raises(assets.OfflineAssetError, match="awesome markers"):
        assets.inline_assets(m.get_root().render())


def test_unknown_cdn_raises():
    page = '<html><head><script src="https://example.org/plugin.js"></script></head></html>'
    with pytest.raises(assets.OfflineAssetError, match="example.org"):
        assets.inline_assets(page)


def test_find_external_refs_inside_srcdoc():
    inner = '<img src="https://example.org/x.png">'
    outer = f'<iframe srcdoc="{html.escape(inner)}"></iframe><a href="https://ok.org">link</a>'
    refs = assets.find_external_refs(outer)
    assert refs == ["<img src=https://example.org/x.png>"]


def test_map_size_for_120_areas():
    g = voronoi_areas(120, seed=1, size_m=12000)
    page = maps.deprivation_map(g, code_col="lsoa21_code").to_html()
    assert len(page.encode()) < 600_000


def test_results_map_uses_indicator_definition(areas):
    from types import SimpleNamespace

    import pandas as pd

    from hiworkbook.indicators import Indicator

    g = areas.copy()
    sa = pd.DataFrame(
        {
            "indicator_id": "smoking",
            "breakdown": "small_area",
            "sex": "persons",
            "area_code": g["lsoa21_code"],
            "value": g["value"],
            "lower_ci": g["lower_ci"],
            "upper_ci": g["upper_ci"],
            "numerator": 10,
            "denominator": 100,
            "is_suppressed": g["is_suppressed"],
            "value_note": "",
        }
    )
    ind = Indicator(
        id="smoking",
        name="Smoking prevalence",
        measure="proportion",
        multiplier=100,
        unit="%",
        polarity="low_is_good",
    )
    place = SimpleNamespace(
        name="Greyfield",
        areas=g.drop(columns=["value", "lower_ci", "upper_ci", "is_suppressed"]),
        workspace=SimpleNamespace(area_col="lsoa21_code"),
    )
    results = SimpleNamespace(
        place=place,
        period="2024",
        indicators={"smoking": ind},
        for_indicator=lambda i, b: sa[(sa.indicator_id == i) & (sa.breakdown == b)],
    )
    m = maps.results_map(results, "smoking")
    assert m.title == "Greyfield: Smoking prevalence by neighbourhood, 2024"
    page = m.to_html()
    assert "Smoking prevalence (%)" in page
    assert "%" in " ".join(_tips(page))
    assert m._stats["suppressed"] == int(g["is_suppressed"].sum())
