"""HTML reports and the run index: self-contained, escaped, synthetic banner, atomic writes."""

from __future__ import annotations

import base64
import html
import random
import re
from pathlib import Path

import nbformat
import pytest
from browser_utils import voronoi_areas
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from hiworkbook import assets, maps, report

EVIL = "<script>alert(1)</script>"
# 1×1 transparent PNG
PNG = base64.b64encode(
    bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )
).decode()


def _nb(*extra_cells) -> nbformat.NotebookNode:
    cells = [
        new_code_cell(
            "import hiworkbook as hw  # SECRET-SOURCE",
            metadata={"tags": ["remove-cell"]},
            outputs=[
                new_output("display_data", data={"text/html": "<p>REMOVED-CELL</p>"})
            ],
        ),
        new_code_cell(
            "x = 1",
            metadata={"tags": ["remove_cell"]},
            outputs=[
                new_output("display_data", data={"text/html": "<p>REMOVED-2</p>"})
            ],
        ),
        new_markdown_cell("## Section heading\n\nSome *narrative*."),
        new_code_cell(
            "display(thing)  # SECRET-SOURCE",
            outputs=[
                new_output("stream", name="stderr", text="UserWarning: LEAKED-WARNING"),
                new_output("stream", name="stdout", text="LEAKED-PRINT"),
                new_output("display_data", data={"text/html": "<p>SHOWN-OUTPUT</p>"}),
                new_output(
                    "display_data",
                    data={"image/png": PNG, "text/plain": "<Figure>"},
                ),
            ],
        ),
        *extra_cells,
    ]
    return new_notebook(cells=cells)


def test_report_basics():
    page = report.notebook_to_html(
        _nb(), title="Place X: profile", subtitle="X06000001"
    )
    assert page.startswith("<!DOCTYPE html>")
    assert '<html lang="en">' in page
    assert "<title>Place X: profile</title>" in page
    assert "SHOWN-OUTPUT" in page and "Section heading" in page
    for hidden in (
        "SECRET-SOURCE",
        "REMOVED-CELL",
        "REMOVED-2",
        "LEAKED-WARNING",
        "LEAKED-PRINT",
    ):
        assert hidden not in page, hidden
    assert f"data:image/png;base64,{PNG}" in page
    assert assets.find_external_refs(page) == []
    assert "<style>" in page and "max-width" in page
    assert "Synthetic demonstration data" not in page
    assert "¶" not in page


def test_synthetic_banner():
    page = report.notebook_to_html(_nb(), title="Demo", synthetic=True)
    assert 'class="hiw-synthetic-banner"' in page
    assert report.SYNTHETIC_TEXT in page
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "Synthetic demonstration data" in title


def test_title_and_footer_escaped():
    page = report.notebook_to_html(_nb(), title=EVIL, subtitle=EVIL, footer=EVIL)
    assert EVIL not in page
    assert html.escape(EVIL) in page


def test_report_from_path(tmp_path):
    p = tmp_path / "nb.ipynb"
    nbformat.write(_nb(), p)
    assert "SHOWN-OUTPUT" in report.notebook_to_html(p, title="t")
    assert "SHOWN-OUTPUT" in report.notebook_to_html(str(p), title="t")


def test_external_reference_raises():
    cell = new_code_cell(
        "x",
        outputs=[
            new_output(
                "display_data",
                data={"text/html": '<img src="https://example.org/logo.png">'},
            )
        ],
    )
    with pytest.raises(assets.OfflineAssetError, match="example.org"):
        report.notebook_to_html(_nb(cell), title="t")


# The single pattern the tag check was first written as: a loading tag, then lazily up to its first
# src/href/… attribute with a remote URL. The faster scan must find exactly what it finds.
_ONE_PATTERN = re.compile(
    r"<(?P<tag>script|link|img|iframe|frame|source|video|audio|embed|object|input|track|image|use)\b"
    r"[^>]*?\b(?P<attr>src|href|xlink:href|data|poster|srcset)\s*=\s*(['\"]?)(?P<url>"
    r"(?:https?:)?//[^'\"\s>]*)",
    re.IGNORECASE,
)


def test_remote_tag_scan_finds_what_one_pattern_finds():
    pieces = [
        "<img ", "<IMG ", "<script ", "<use ", "<link", "<a href=", "<imgsrc=", "src=",
        "SRC =", "xlink:href=", "data=", "srcset=", "poster=", "alt=", '"', "'", "http://a",
        "https://b", "//c", "HTTP:", "data:image/png;base64,AAAA//BB==", ">", " ", "\n", "=", "x",
    ]  # fmt: skip
    rng = random.Random(7)
    cases = [
        '<img alt="<script src=http://x>" src="https://y">',
        '<video poster=http://p src=http://s><img src="data:a//b=">',
        '<iframe src="https://x"',
    ]
    cases += [
        "".join(rng.choice(pieces) for _ in range(rng.randint(1, 16)))
        for _ in range(5000)
    ]
    for text in cases:
        expected = [
            f"<{m.group('tag').lower()} {m.group('attr').lower()}={m.group('url')}>"
            for m in _ONE_PATTERN.finditer(text)
        ]
        got = [r for r in assets.find_external_refs(text) if r.startswith("<")]
        assert got == expected, text


def test_css_scan_and_srcdoc_unescape_match_the_one_pattern_and_the_standard_library():
    """The CSS ``url()``/``@import`` scan (two literal-led patterns) finds exactly what the
    single pattern finds, and a srcdoc's fast unescape is ``html.unescape``, on random text."""
    import html

    pieces = [
        "url(", "URL( ", "url('", 'url("', '@import "', "@import  '", '@IMPORT "', ")",
        "http://a.b/c", "https://x.y", "//cdn.z/q", '"', "'", " ", "x", "&amp;", "&lt;",
        "&gt;", "&quot;", "&#39;", "&#x27;", "&amp;quot;", "&copy;", "&amp", "&#X27;",
        "&nbsp;", '<img src="//r.s/t">', "&lt;link href=&quot;http://e.f&quot;&gt;",
    ]  # fmt: skip
    rng = random.Random(11)
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        expected = [m.group("url") for m in assets._CSS_REMOTE.finditer(text)]
        assert assets._css_remote(text) == expected, text
        assert assets._unescape(text) == html.unescape(text), text


def test_map_in_report_is_self_contained():
    g = voronoi_areas(15, seed=2)
    m = maps.deprivation_map(g, code_col="lsoa21_code", title="Deprivation map")
    cell = new_code_cell(
        "m", outputs=[new_output("display_data", data={"text/html": m._repr_html_()})]
    )
    page = report.notebook_to_html(_nb(cell), title="t")
    assert page.count("<iframe") == 1
    assert 'title="Deprivation map"' in page
    assert assets.find_external_refs(page) == []


def test_page_body_is_the_document_nbconvert_writes():
    # the report's exporter skips nbconvert's BeautifulSoup pass (0.3 s a report): parsed, its
    # body is nbconvert's own (a map's srcdoc, a heading's anchor, an image without alt text)
    from bs4 import BeautifulSoup
    from nbconvert import HTMLExporter

    g = voronoi_areas(8, seed=3)
    m = maps.deprivation_map(g, code_col="lsoa21_code", title="Deprivation map")
    cells = [
        new_markdown_cell(
            "### A heading & more\n\n<img src='data:image/png;base64,x'>"
        ),
        new_code_cell(
            "m",
            outputs=[new_output("display_data", data={"text/html": m._repr_html_()})],
        ),
    ]
    node = report._strip_for_report(_nb(*cells))
    theirs, _ = HTMLExporter(**report.EXPORT_OPTIONS).from_notebook_node(node)
    ours, _ = report._exporter().from_notebook_node(node)
    ours = report._accessible(report._ANCHOR.sub("", ours))
    assert str(BeautifulSoup(ours, "html.parser")) == report._ANCHOR.sub("", theirs)
    assert ours.count(report.MISSING_ALT) == 2  # the PNG output and the markdown image
    assert "anchor-link" not in ours


def test_h1_in_body_is_not_duplicated():
    cell = new_code_cell(
        "t",
        outputs=[
            new_output("display_data", data={"text/html": "<h1>Place heading</h1>"})
        ],
    )
    page = report.notebook_to_html(_nb(cell), title="Doc title")
    assert page.count("<h1") == 1


def test_write_html_creates_parents(tmp_path):
    out = report.write_html("<p>x</p>", tmp_path / "a" / "b" / "r.html")
    assert out.read_text(encoding="utf-8") == "<p>x</p>"
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]


def test_write_html_is_atomic(tmp_path, monkeypatch):
    target = tmp_path / "r.html"

    def boom(fd):
        raise OSError("disk full")

    monkeypatch.setattr(report.os, "fsync", boom)
    with pytest.raises(OSError, match="disk full"):
        report.write_html("<p>new</p>" * 1000, target)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind

    # an existing report survives a failed rewrite untouched
    monkeypatch.undo()
    report.write_html("<p>old</p>", target)
    monkeypatch.setattr(report.os, "fsync", boom)
    with pytest.raises(OSError):
        report.write_html("<p>new</p>", target)
    assert target.read_text(encoding="utf-8") == "<p>old</p>"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_static_css_packaged():
    css = report.static_css()
    assert "@media print" in css
    assert (Path(report.__file__).parent / "templates" / "report.html.j2").is_file()


def test_print_tags_mark_cells_and_leave_a_print_only_sentence():
    """A ``print-omit`` cell is classed for the print styles and followed by a print-only
    sentence naming its figure (from the image's alt text); on screen the sentence is hidden
    (``display: none``), so screen readers never meet it."""
    fig = (
        f'<figure class="hiw-chart"><img src="data:image/png;base64,{PNG}" '
        'alt="Bar chart of X for 9 small areas, sorted by value. Three worse."/></figure>'
    )
    page = report.notebook_to_html(
        _nb(
            new_code_cell(
                "display(chart)",
                metadata={"tags": ["print-omit"]},
                outputs=[new_output("display_data", data={"text/html": fig})],
            ),
            new_code_cell(
                "display(panel)",
                metadata={"tags": ["print-grid", "print-compact"]},
                outputs=[
                    new_output("display_data", data={"text/html": "<p>PANEL</p>"})
                ],
            ),
        ),
        title="Place X: profile",
    )
    assert "celltag_print-omit" in page
    assert "celltag_print-grid celltag_print-compact" in page
    assert "celltag_print-only" in page
    note = page[page.index('class="hiw-print-note"') :]
    note = note[: note.index("</p>")]
    assert "Not printed: the bar chart of X for 9 small areas, sorted by value." in note
    assert "Three worse" not in note  # only the alt text's first sentence
    assert "HTML version of this report" in note
    # the note comes after the omitted cell, and only omitted cells get one
    assert page.index("celltag_print-omit") < page.index("hiw-print-note")
    assert page.count("hiw-print-note") == 1 + report.static_css().count(
        "hiw-print-note"
    )
    css = report.static_css()
    screen = css[: css.index("@media print")]
    assert ".celltag_print-only" in screen and "display: none" in screen
    assert ".celltag_print-omit { display: none !important; }" in css
    # a print-omit cell without a figure gets no sentence
    plain = report.notebook_to_html(
        _nb(new_markdown_cell("## Omitted heading", metadata={"tags": ["print-omit"]})),
        title="T",
    )
    assert "celltag_print-only" not in plain.split("</style>", 1)[1]


def test_print_footer_carries_the_title_as_a_safe_css_string():
    """Every printed page's footer (CSS page-margin boxes) has the title and "Page N of M";
    a title cannot end the CSS string or the style element."""
    assert str(report.css_string('a "b" \\ <x>')) == r'"a \22 b\22  \5c  \3c x\3e "'
    page = report.render_page(
        "<p>x</p>", title=f'Place {EVIL} "q"', generated="2 December 2026"
    )
    head = page[: page.index("</head>")]
    assert "<script>" not in head and head.count("</style>") == 2
    assert (
        r'content: "Place \3c script\3e alert(1)\3c \2f script\3e  \22 q\22  — 2 December 2026"'
        in head
    )
    css = report.static_css()
    assert 'counter(page) " of " counter(pages)' in css
