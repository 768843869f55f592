"""Run axe-core (Deque's accessibility rules) over a local HTML page in headless Chromium, offline.

axe-core comes from the npm registry, installed into ``.cache/axe`` by ``scripts/install-axe.sh``
(``make browser``). The page and every same-origin frame in it (the report's map iframes) are
checked; each frame is checked inside itself, as its own document, so a map frame's violations are
reported against that frame. Used by tests/test_accessibility.py::

    from axe_utils import axe_check  # with tests/ on sys.path, as pytest runs it
    found = axe_check("reports/demo/X06000001/place_profile.html")
    [v for v in found if v["impact"] in ("serious", "critical")]
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

from browser_utils import CHROMIUM_ARGS, chromium_path

ROOT = Path(__file__).resolve().parents[1]
AXE_JS = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
_LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
# WCAG 2.x A and AA rules plus axe's best practices (landmarks, headings, regions).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_path() -> Path | None:
    """Path of axe.min.js when installed, else ``None``."""
    if AXE_JS.is_file():
        return AXE_JS
    # a shared checkout's cache (the main checkout beside a worktree)
    return None


def axe_check(
    html_path: str | Path,
    *,
    width: int = 1200,
    height: int = 900,
    frames: bool = True,
    wait_ms: int = 8000,
) -> list[dict[str, Any]]:
    """Violations axe-core finds on a page and inside each of its frames.

    Parameters
    ----------
    html_path : str or Path
        A local HTML file; loaded with every non-local request aborted.
    width, height : int
        Viewport size in CSS pixels.
    frames : bool
        Also check inside each child frame (map iframes), each as its own document.
    wait_ms : int
        How long to wait for Leaflet polygons in map frames before checking.

    Returns
    -------
    list of dict
        One per (document, rule): ``page`` (``"main"`` or the frame's title), ``id`` (axe rule id),
        ``impact`` (minor/moderate/serious/critical), ``help``, ``nodes`` (count) and
        ``targets`` (first few CSS selectors).
    """
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    axe = axe_path()
    if exe is None or axe is None:
        raise RuntimeError("needs Chromium and axe-core: run `make browser`")
    source = axe.read_text(encoding="utf-8")
    opts = json.dumps({"runOnly": {"type": "tag", "values": AXE_TAGS}})
    html_path = Path(html_path).resolve()
    out: list[dict[str, Any]] = []
    profile = tempfile.mkdtemp(prefix="hiw-axe-")

    def route(r: Any) -> None:
        if r.request.url.startswith(_LOCAL_SCHEMES):
            r.continue_()
        else:
            r.abort()

    def run(frame: Any, label: str) -> None:
        frame.evaluate(source)
        res = frame.evaluate(
            "async (o) => { const r = await axe.run(document, o);"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.length, targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));"
            " }",
            json.loads(opts),
        )
        for v in res:
            out.append({"page": label, **v})

    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
            try:
                ctx = browser.new_context(
                    viewport={"width": width, "height": height},
                    service_workers="block",
                )
                ctx.route("**/*", route)
                page = ctx.new_page()
                page.goto(html_path.as_uri(), wait_until="load")
                run(page.main_frame, "main")
                if frames:
                    for frame in page.frames:
                        if frame is page.main_frame:
                            continue
                        try:
                            frame.wait_for_selector(
                                "path.leaflet-interactive", timeout=wait_ms
                            )
                        except Exception:  # noqa: BLE001 - not every frame is a map
                            pass
                        title = (
                            frame.frame_element().get_attribute("title") or frame.name
                        )
                        run(frame, f"frame: {title}")
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out


def summarise(found: list[dict[str, Any]]) -> str:
    """One line per violation: page, impact, rule id, node count, first targets."""
    return "\n".join(
        f"{v['page']}: {v['impact']} {v['id']} x{v['nodes']} ({v['help']}) {v['targets'][:2]}"
        for v in found
    )
