"""Printing reports to PDF: an A4 board paper with maps drawn, legend text, title and page numbers
in the footer; without a browser, a message saying how to get one."""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from hiworkbook import pdf


def test_without_a_browser_the_message_says_how(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(pdf, "chromium_path", lambda: None)
    (tmp_path / "X1").mkdir()
    (tmp_path / "X1" / "place_profile.html").write_text("<html></html>")
    outcome = SimpleNamespace(
        status="ok", report="X1/place_profile.html", place_name="Somewhere"
    )
    with caplog.at_level(logging.ERROR, logger="hiworkbook.pdf"):
        assert pdf.print_run(tmp_path, [outcome], date="today") == []
    assert "make browser" in caplog.text and "apt-get install chromium" in caplog.text
    assert (tmp_path / "X1" / "place_profile.html").is_file()
    assert not (tmp_path / "X1" / "place_profile.pdf").exists()
    with pytest.raises(pdf.PdfUnavailable, match="HTML reports are written"):
        pdf.print_pdf(tmp_path / "X1" / "place_profile.html")


def _poppler() -> None:
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        pytest.skip("poppler-utils not installed: run scripts/install-chromium.sh")


@pytest.fixture(scope="module")
def printed(demo_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if pdf.chromium_path() is None:
        pytest.skip("Chromium not installed: run scripts/install-chromium.sh")
    from hiworkbook.batch import run_reports

    run = tmp_path_factory.mktemp("pdfrun")
    summary = run_reports(
        demo_config,
        out_dir=run,
        places=["X06000001"],
        workers=1,
        progress=False,
        formats=("html", "pdf"),
    )
    assert not summary.failed
    return run / "X06000001" / "place_profile.pdf"


def _fill(pdf_path: Path, tmp: Path) -> list[float]:
    """For each page, how far down the text area (between the 14 mm top and 16 mm bottom
    margins of hiworkbook.pdf, so without the footer) the lowest ink reaches, 0 to 1."""
    from PIL import Image

    out_dir = tmp / "fill"
    out_dir.mkdir()
    subprocess.run(
        ["pdftoppm", "-r", "20", "-gray", "-png", str(pdf_path), str(out_dir / "f")],
        check=True,
    )
    fills = []
    for png in sorted(out_dir.glob("f*.png")):
        with Image.open(png) as im:
            grey = im.convert("L")
        w, h = grey.size
        top, bottom = round(h * 14 / 297), round(h * (297 - 16) / 297)
        rows = [
            y
            for y in range(top, bottom)
            if grey.crop((0, y, w, y + 1)).getextrema()[0] < 200
        ]
        fills.append((max(rows, default=top) - top) / (bottom - top))
    return fills


@pytest.mark.slow
@pytest.mark.browser
def test_report_prints_as_a_board_paper(printed: Path, tmp_path: Path) -> None:
    _poppler()
    assert printed.is_file()
    info = subprocess.run(
        ["pdfinfo", str(printed)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(
        next(ln for ln in info.splitlines() if ln.startswith("Pages:")).split()[1]
    )
    # 8 for a demo LTLA (21 before the board-paper print styles; docs/index-and-pdf.md)
    assert 6 <= pages <= 10, pages
    assert "595.92 x 842.88" in info or "595 x 842" in info  # A4 in points
    text = subprocess.run(
        ["pdftotext", "-layout", str(printed), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    per_page = text.split("\f")
    # the footer of every page: title, date and "Page n of N"
    for n, page in enumerate(per_page[:pages], start=1):
        assert "Greyfield: health inequalities profile" in page
        assert f"Page {n} of {pages}" in page
    # no page holds only a heading (or only the footer): every page has body text
    for n, page in enumerate(per_page[:pages], start=1):
        body = [
            ln
            for ln in page.splitlines()
            if ln.strip() and f"Page {n} of {pages}" not in ln
        ]
        assert len(body) >= 4, (n, body)
    # the legend of the deprivation map printed as text, and the synthetic label
    assert "most deprived 10% in England" in text
    assert "Synthetic demonstration data" in text
    # the key-number cards and the headline are on page 1
    assert "residents" in per_page[0] and "Headline" in per_page[0]
    # the indicator table's legend and comparison words (colour is never alone)
    assert "Worse (95%)" in text and "Benchmark: compared with" in text
    # the gradient chart is printed; the one-bar-per-neighbourhood chart is left out with a
    # print-only sentence saying where it is; no screen-only control text
    assert "The gradient by deprivation" in text
    assert "Not printed: the bar chart of" in text and "HTML version" in text
    assert "Two indicators across neighbourhoods" not in text
    assert "Skip to content" not in text
    # no part-empty page except the last: ink reaches at least half-way down the text area
    fills = _fill(printed, tmp_path)
    assert len(fills) == pages and min(fills[:-1]) >= 0.5, fills
    # the maps are drawn: the page with the deprivation map has its colours
    from PIL import Image

    page_with_map = next(
        i for i, p in enumerate(per_page, start=1) if "10 – least deprived 10%" in p
    )
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", str(page_with_map), "-l",
         str(page_with_map), str(printed), str(tmp_path / "p")],
        check=True,
    )  # fmt: skip
    png = next(tmp_path.glob("p*.png"))
    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 20) or []
    # the ten decile colours (and their anti-aliased edges) are on the page
    from hiworkbook.maps import DECILE_COLOURS

    have = {c for _, c in colours}
    wanted = [tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for h in DECILE_COLOURS]
    near = [
        any(sum(abs(a - b) for a, b in zip(w, c, strict=True)) < 12 for c in have)
        for w in wanted
    ]
    assert sum(near) >= 8, near


@pytest.mark.slow
@pytest.mark.browser
def test_index_links_the_pdf(printed: Path) -> None:
    index = (printed.parent.parent / "index.html").read_text()
    assert 'href="X06000001/place_profile.pdf"' in index
