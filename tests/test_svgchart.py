"""Charts drawn as SVG marks (hiworkbook.svgchart) and their Chart wrapper."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from hiworkbook import svgchart as sc
from hiworkbook.charts import Chart

SVG = "{http://www.w3.org/2000/svg}"


def test_text_width_sums_dejavu_sans_advance_widths():
    # DejaVu Sans: H 752, e 616, l 278, l 278, o 612 (1/1000 em) at 10 px
    assert sc.text_width("Hello", 10) == pytest.approx(25.36)
    # bold: H 837, i 343 at 20 px
    assert sc.text_width("Hi", 20, bold=True) == pytest.approx(23.6)
    # a character outside ASCII counts as 0.88 em
    assert sc.text_width("▲", 10) == pytest.approx(8.8)


def test_text_width_is_not_short_of_what_matplotlib_measures_in_dejavu_sans():
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties

    r = RendererAgg(
        100, 100, 720
    )  # 11 pt at 720 dpi: 110 px, where hinting hardly rounds
    for text in (
        "Under 75 mortality",
        "Asian, Asian British or Asian Welsh",
        "▲▲ Better",
    ):
        for bold in (False, True):
            prop = FontProperties(
                family="DejaVu Sans", size=11, weight="bold" if bold else "normal"
            )
            w, _, _ = r.get_text_width_height_descent(text, prop, ismath=False)
            assert sc.text_width(text, 110, bold=bold) >= w * 0.99


@pytest.mark.parametrize(
    ("values", "zero", "lim", "ticks"),
    [
        # 55..62 from zero: top padded by 5% of 62, ticks every 20
        ([55, 62], True, (0, 65.1), [0, 20, 40, 60]),
        # -3.2..7.9: 5% of 11.1 either side, ticks every 2.5 inside
        ([-3.2, 7.9], False, (-3.755, 8.455), [-2.5, 0, 2.5, 5, 7.5]),
        ([1200, 98000], True, (0, 102900), [0, 25000, 50000, 75000, 100000]),
    ],
)
def test_axis_range_pads_the_data_and_puts_round_ticks_inside(values, zero, lim, ticks):
    got_lim, got_ticks = sc.axis_range(values, zero=zero)
    assert got_lim == pytest.approx(lim)
    assert got_ticks.tolist() == pytest.approx(ticks)


def test_axis_range_ignores_missing_values_and_copes_with_one_value():
    lim, ticks = sc.axis_range([np.nan, 5.0, None], zero=True)
    assert lim[0] == 0 and lim[1] > 5 and len(ticks) >= 4
    lim, ticks = sc.axis_range([np.nan])
    assert np.isfinite(lim).all() and len(ticks) >= 2


def test_tick_labels_take_the_decimals_of_the_step_and_thousands_separators():
    assert sc.tick_labels([0, 2.5, 5]) == ["0.0", "2.5", "5.0"]
    assert sc.tick_labels([0, 25000, 50000]) == ["0", "25,000", "50,000"]
    assert sc.tick_labels([-4, -2, 0, 2], suffix="%", absolute=True) == [
        "4%",
        "2%",
        "0%",
        "2%",
    ]


def test_wrap_breaks_at_spaces_within_the_width():
    lines = sc.wrap("the slope index of inequality is 12.3 deaths", 100, 10)
    assert " ".join(lines) == "the slope index of inequality is 12.3 deaths"
    assert all(sc.text_width(x, 10) <= 100 for x in lines)
    assert len(lines) > 1


def _drawing() -> sc.Drawing:
    d = sc.Drawing(300)
    ax = sc.Axes(d, 50, 20, 200, 100, (0, 10), (0, 100))
    ax.bar(2, 50, 1, fill="#0072B2", datum={"category": "a"})
    ax.errorbar(2, 40, 60)
    ax.hline(75, stroke="#555555", dash="dash", role="comparator")
    ax.point(5, 20, marker="^", fill="#74AEE0")
    ax.text(8, 90, "<script>alert('x')</script> & Co")
    ax.spines()
    d.height = 150
    return d


def test_axes_map_data_to_the_pixel_box():
    d = sc.Drawing(300, 150)
    ax = sc.Axes(d, 50, 20, 200, 100, (0, 10), (0, 100))
    assert ax.x(0) == 50 and ax.x(10) == 250 and ax.x(5) == 150
    assert ax.y(0) == 120 and ax.y(100) == 20 and ax.y(25) == 95
    bar = ax.bar(2, 50, 1, fill="#000000")
    # from x 1.5..2.5 (pixels 80..100), from y 0..50 (pixels 120 up to 70)
    assert (bar.geom["x"], bar.geom["y"], bar.geom["w"], bar.geom["h"]) == (
        80,
        70,
        20,
        50,
    )
    assert ax.bar(3, np.nan, 1, fill="#000000") is None  # a missing value draws nothing


def test_svg_is_well_formed_escapes_user_text_and_is_reproducible():
    d = _drawing()
    text = d.svg("A chart of <b>things</b>")
    root = ET.fromstring(text)  # well-formed XML
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "A chart of <b>things</b>"
    words = [t.text for t in root.iter(f"{SVG}text")]
    assert "<script>alert('x')</script> & Co" in words
    assert "<script>" not in text  # escaped, never markup
    assert root.get("viewBox") == "0 0 300 150"
    assert len(root.findall(f"{SVG}rect")) == 2  # background + the bar
    assert root.find(f"{SVG}line[@stroke-dasharray]") is not None  # the dashed line
    assert _drawing().svg("A chart of <b>things</b>") == text


def test_find_returns_marks_by_role():
    d = _drawing()
    assert [m.datum for m in d.find("bar")] == [{"category": "a"}]
    assert d.find("ci")[0].datum == {"lower": 40.0, "upper": 60.0}
    assert len(d.find("ci-cap")) == 2
    assert d.find("comparator")[0].datum == {"value": 75.0}


def test_the_matplotlib_figure_draws_every_mark():
    d = _drawing()
    fig = d.figure()
    ax = fig.axes[0]
    kinds = [m.kind for m in d.marks]
    assert len(ax.patches) == sum(k in ("rect", "polygon", "circle") for k in kinds)
    assert len(ax.lines) == sum(k in ("line", "polyline") for k in kinds)
    assert [t.get_text() for t in ax.texts] == [
        m.text for m in d.marks if m.kind == "text"
    ]
    assert fig.get_size_inches().tolist() == pytest.approx([3.0, 1.5])


def test_a_chart_of_a_drawing_shows_as_an_svg_image_with_its_alt_text(tmp_path):
    d = _drawing()
    chart = Chart(d, 'Bar chart of "x" <small>', "A caption & more")
    page = chart._repr_html_()
    src = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', page).group(1)
    assert base64.b64decode(src).decode("utf-8") == d.svg()
    assert 'alt="Bar chart of &quot;x&quot; &lt;small&gt;"' in page
    assert "<figcaption>A caption &amp; more</figcaption>" in page
    assert 'width="300" height="150"' in page
    png = chart.png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    out = chart.save(tmp_path, "c")
    assert out["svg"].read_bytes() == d.svg(chart.alt).encode("utf-8")
    assert out["png"].read_bytes() == png
