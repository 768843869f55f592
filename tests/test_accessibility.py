"""Accessibility in CI: axe-core over every page type a run writes, and a phone-width check.

axe-core (npm, installed into .cache/axe by scripts/install-axe.sh, ``make browser``) runs in headless
Chromium, offline, over one demo place report (a Papermill-executed notebook exported to HTML by
hiworkbook.report), the run's index page, the national map page, and inside each map frame of the
report (each frame checked as its own document). Rules: WCAG 2.0/2.1/2.2 A and AA and axe's best
practices. Pass: no violations of any impact (serious, critical, moderate or minor).
The phone test loads the report at 390 px wide: no horizontal page overflow, and the indicator
table's last column is reachable by scrolling its labelled, focusable region.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_utils import axe_check, axe_path, summarise
from browser_utils import chromium_path

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def run_dir(demo_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    if chromium_path() is None or axe_path() is None:
        pytest.skip("needs Chromium and axe-core: run `make browser`")
    from hiworkbook.batch import run_reports

    run = tmp_path_factory.mktemp("a11yrun")
    summary = run_reports(
        demo_config, out_dir=run, places=["X06000001"], workers=1, progress=False
    )
    assert not summary.failed
    return run


def _pages(run: Path) -> list[Path]:
    pages = [run / "X06000001" / "place_profile.html", run / "index.html"]
    pages += [p for p in [run / "map.html"] if p.exists()]
    return pages


def test_axe_finds_no_violations(run_dir: Path):
    found = []
    for page in _pages(run_dir):
        for v in axe_check(page):
            found.append({**v, "page": f"{page.name} {v['page']}"})
    assert not found, "axe-core violations:\n" + summarise(found)


def test_report_frames_are_checked_and_described(run_dir: Path):
    html = (run_dir / "X06000001" / "place_profile.html").read_text(encoding="utf-8")
    # each map frame is a document with a main landmark, a heading and zoom allowed
    assert html.count("&lt;main aria-label=") >= 1
    assert "user-scalable=no" not in html


def test_phone_width_has_no_page_overflow_and_table_reachable(run_dir: Path):
    from browser_utils import CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.route(
                "**/*",
                lambda r: (
                    r.continue_()
                    if r.request.url.startswith(("file:", "data:", "about:"))
                    else r.abort()
                ),
            )
            page.goto(
                (run_dir / "X06000001" / "place_profile.html").resolve().as_uri(),
                wait_until="load",
            )
            widths = page.evaluate(
                "() => [document.documentElement.scrollWidth,"
                " document.documentElement.clientWidth]"
            )
            assert widths[0] <= widths[1] + 1, f"page overflows sideways: {widths}"
            wrap = page.locator(".hiw-table-wrap").first
            assert wrap.get_attribute("tabindex") == "0"
            assert wrap.get_attribute("aria-label")
            wrap.focus()
            wrap.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
            last = wrap.locator("thead th").last
            box, view = last.bounding_box(), wrap.bounding_box()
            assert box["x"] + box["width"] <= view["x"] + view["width"] + 2
            assert box["x"] >= view["x"] - 2
        finally:
            browser.close()
