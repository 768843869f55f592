"""The whole route, offline, in a real browser.

A notebook displaying hiworkbook maps is executed by papermill (in-process), converted by
``report.notebook_to_html``, written to disk and opened in headless Chromium with every
non-local request aborted. The maps must draw their polygons and legends with zero network
requests attempted.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from browser_utils import chromium_path, open_offline, voronoi_areas

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="headless Chromium not found at /usr/bin/chromium "
        "(install it with scripts/install-chromium.sh, as `make test` does)",
    ),
]

N_AREAS = 30


def _notebook():
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    code = lambda s, **kw: new_code_cell(textwrap.dedent(s).strip(), **kw)  # noqa: E731
    nb = new_notebook(
        cells=[
            code(
                """
                import warnings
                import geopandas as gpd
                from IPython.display import display
                """,
                metadata={"tags": ["remove-cell"]},
            ),
            code(
                """
                areas_path = ""
                """,
                metadata={"tags": ["parameters"]},
            ),
            code(
                """
                from hiworkbook import maps
                areas = gpd.read_file(areas_path)
                """,
                metadata={"tags": ["remove_cell"]},
            ),
            new_markdown_cell("## Deprivation"),
            code(
                """
                warnings.warn("this warning must not reach the report")
                print("nor this print")
                display(maps.deprivation_map(areas, code_col="lsoa21_code",
                                             title="Synthetic place: deprivation deciles"))
                """
            ),
            new_markdown_cell("## An indicator"),
            code(
                """
                maps.indicator_map(
                    areas, "value", label="Emergency admissions per 1,000",
                    code_col="lsoa21_code", suppressed_col="is_suppressed",
                    lower_col="lower_ci", upper_col="upper_ci", polarity="low_is_good",
                    outline=areas.dissolve()[["geometry"]],
                    title="Synthetic place: emergency admissions",
                )
                """
            ),
            new_markdown_cell("## A plain folium Choropleth (needs d3)"),
            code(
                """
                import folium
                g = areas.to_crs(4326)[["lsoa21_code", "value", "geometry"]]
                m = folium.Map(tiles=None)
                folium.Choropleth(g, data=g, columns=["lsoa21_code", "value"],
                                  key_on="feature.properties.lsoa21_code",
                                  legend_name="Value").add_to(m)
                maps.fit_when_sized(m, m.get_bounds())
                maps.OfflineMap(m, title="Choropleth with a branca legend")
                """
            ),
            code(
                """
                import matplotlib
                matplotlib.use("Agg")
                from matplotlib.figure import Figure
                from IPython.display import Image
                import io
                fig = Figure(figsize=(4, 2.5)); ax = fig.subplots(); ax.bar([1, 2, 3], [3, 1, 2])
                buf = io.BytesIO(); fig.savefig(buf, format="png"); Image(buf.getvalue())
                """
            ),
        ]
    )
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import papermill as pm

    from hiworkbook.report import notebook_to_html, write_html

    tmp = tmp_path_factory.mktemp("browser")
    areas = voronoi_areas(N_AREAS, seed=7)
    areas.loc[0, "area_name"] = "<script>alert(1)</script>"
    areas_path = tmp / "areas.gpkg"
    areas.to_file(areas_path, driver="GPKG")
    executed = pm.execute_notebook(
        _notebook(),
        None,
        parameters={"areas_path": str(areas_path)},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(tmp),
    )
    html = notebook_to_html(
        executed, title="Synthetic place: test report", synthetic=True
    )
    return write_html(html, tmp / "X06000001" / "report.html")


@pytest.fixture(scope="module")
def rendered(report_html: Path) -> dict:
    return open_offline(report_html, screenshot=report_html.with_name("report.png"))


def test_report_file_is_clean(report_html: Path):
    html = report_html.read_text(encoding="utf-8")
    assert "must not reach the report" not in html
    assert "nor this print" not in html
    assert "<script>alert(1)</script>" not in html
    assert "Synthetic demonstration data" in html


def test_no_network_requests(rendered: dict):
    assert rendered["external_requests"] == []


def test_no_script_errors(rendered: dict):
    assert rendered["errors"] == []


def test_every_map_draws_polygons_and_legend(rendered: dict):
    frames = rendered["frames"]
    assert [f["title"] for f in frames] == [
        "Synthetic place: deprivation deciles",
        "Synthetic place: emergency admissions",
        "Choropleth with a branca legend",
    ]
    for f in frames:
        assert f["polygons"] >= N_AREAS, f
        assert f["legend"], f
    assert "1 – most deprived 10% in England" in frames[0]["legend_text"]
    assert "suppressed (small numbers)" in frames[1]["legend_text"]


def test_screenshot_not_blank(rendered: dict):
    shot: Path = rendered["screenshot"]
    assert shot.is_file() and shot.stat().st_size > 20_000
    # a blank page has a handful of colours; three maps and a chart have thousands
    assert rendered["colours"] > 500
