"""JupyterLab as an analyst uses it: headless Chromium opens notebooks/explore.ipynb in a real
JupyterLab server (localhost only, token, temporary Jupyter folders), runs every cell, changes the
indicator in the explorer and sees the map and the sentence change — with no request leaving the
machine.

Set ``HIWORKBOOK_SCREENSHOT=docs/img/explore.png`` to keep the screenshot for the docs.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from browser_utils import CHROMIUM_ARGS, chromium_path
from lab_utils import lab_available, running_lab

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        chromium_path() is None,
        reason="headless Chromium not found (install it with scripts/install-chromium.sh)",
    ),
    pytest.mark.skipif(
        not lab_available(),
        reason="JupyterLab and ipywidgets not installed: `make lab` installs the lab extra",
    ),
]

SECOND = "People with severe mental illness receiving a full physical health check"


def test_explorer_in_jupyterlab_updates_map_and_sentence(
    demo_config: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import sync_playwright

    root = tmp_path / "notebooks"
    root.mkdir()
    shutil.copy(ROOT / "notebooks" / "explore.ipynb", root / "explore.ipynb")
    env = {
        # the notebook's default (config = "") is the demo region in HIWORKBOOK_DATA/demo
        "HIWORKBOOK_DATA": str(demo_config.parent.parent),
        "HIWORKBOOK_OUTPUT": str(tmp_path / "reports"),
    }
    external: list[str] = []
    errors: list[str] = []
    with running_lab(root, tmp_path / "jupyter", env) as (base, token):
        local = (base, "data:", "blob:", "about:")

        def route(r) -> None:
            if r.request.url.startswith(local):
                r.continue_()
            else:
                external.append(r.request.url)
                r.abort()

        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium_path(), args=CHROMIUM_ARGS
            )
            try:
                ctx = browser.new_context(viewport={"width": 1200, "height": 1200})
                ctx.route("**/*", route)
                page = ctx.new_page()
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.goto(f"{base}/lab/tree/explore.ipynb?token={token}")
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=90_000)
                page.wait_for_selector(
                    "#jp-main-statusbar >> text=Idle", timeout=90_000
                )
                page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
                page.locator(
                    ".lm-Menu-itemLabel", has_text="Run All Cells"
                ).first.click()

                sentence = page.locator(".hiw-explore-sentence .hiw-breakdown-sentence")
                frame = page.locator(".hiw-explore-map iframe")
                sentence.wait_for(timeout=300_000)
                frame.wait_for(state="attached", timeout=60_000)
                first_text = sentence.inner_text()
                first_title = frame.get_attribute("title")
                assert "Hypertension" in first_text and "Hypertension" in first_title
                polygons = page.frame_locator(".hiw-explore-map iframe").locator(
                    "path.leaflet-interactive"
                )
                polygons.first.wait_for(state="attached", timeout=60_000)
                assert polygons.count() > 50

                explorer = page.locator(".hiw-explorer")
                no_news = page.get_by_role("button", name="No", exact=True)
                if no_news.count():  # JupyterLab's "notify about news?" toast
                    no_news.first.click()
                page.locator(
                    ".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current"
                ).first.click()  # fold the file browser away
                explorer.evaluate("el => el.scrollIntoView({block: 'start'})")
                page.wait_for_timeout(1500)
                shot = tmp_path / "explore.png"
                page.screenshot(path=str(shot))
                keep = os.environ.get("HIWORKBOOK_SCREENSHOT")
                if keep:
                    shutil.copy(shot, ROOT / keep)

                explorer.locator("select").nth(1).select_option(label=SECOND)
                page.wait_for_function(
                    """([sel, old]) => {
                        const el = document.querySelector(sel);
                        return el && el.innerText !== old;
                    }""",
                    arg=[".hiw-explore-sentence .hiw-breakdown-sentence", first_text],
                    timeout=180_000,
                )
                page.wait_for_function(
                    """(old) => {
                        const f = document.querySelector('.hiw-explore-map iframe');
                        return f && f.title !== old;
                    }""",
                    arg=first_title,
                    timeout=60_000,
                )
                new_text = sentence.inner_text()
                new_title = frame.get_attribute("title")
                assert SECOND in new_text and "mental illness" in new_title
            finally:
                browser.close()
    assert external == []
    assert not [e for e in errors if "hiw" in e.lower()], errors
