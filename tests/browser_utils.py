"""Open an HTML report in headless Chromium with the network cut off, and see what it draws.

Used by tests/test_browser.py and reusable on real reports::

    from tests.browser_utils import open_offline
    result = open_offline("reports/demo/X06000001/place_profile.html")
    assert not result["external_requests"] and min(result["polygons"]) > 0

Uses Debian's ``/usr/bin/chromium`` through Playwright (no bundled browser needed); install it
with ``scripts/install-chromium.sh``.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

CHROMIUM = os.environ.get("HIWORKBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def chromium_path() -> str | None:
    """Path of a usable Chromium, or ``None``."""
    if Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    return shutil.which("chromium") or shutil.which("chromium-browser")


def distinct_colours(png: str | Path) -> int:
    """Number of distinct RGB colours in a PNG (a blank page has 1–3)."""
    from PIL import Image

    with Image.open(png) as im:
        colours = im.convert("RGB").getcolors(maxcolors=1 << 24)
    return len(colours or [])


def open_offline(
    html_path: str | Path,
    *,
    screenshot: str | Path | None = None,
    width: int = 1200,
    height: int = 900,
    wait_ms: int = 15000,
) -> dict[str, Any]:
    """Load a local HTML file offline and report what rendered.

    Every request whose URL is not ``file:``, ``data:``, ``about:`` or ``blob:`` is aborted
    and recorded.

    Parameters
    ----------
    html_path : str or Path
    screenshot : str or Path, optional
        Where to write a full-page PNG (default: beside the HTML, ``<name>.png``).
    width, height : int
        Viewport size.
    wait_ms : int
        How long to wait for each map's polygons.

    Returns
    -------
    dict
        ``frames``: one dict per map (``title``, ``polygons`` = number of
        ``path.leaflet-interactive``, ``legend`` = legend found); ``polygons``: list of the
        counts; ``external_requests``: URLs the page tried to fetch; ``errors``: page errors and
        console errors; ``screenshot``: PNG path; ``colours``: distinct colours in it.
    """
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    if exe is None:
        raise RuntimeError(
            "Chromium not found at /usr/bin/chromium: run scripts/install-chromium.sh"
        )
    html_path = Path(html_path).resolve()
    shot = Path(screenshot) if screenshot else html_path.with_suffix(".png")
    external: list[str] = []
    errors: list[str] = []

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(_LOCAL_SCHEMES):
            r.continue_()
        else:
            external.append(url)
            r.abort()

    profile = tempfile.mkdtemp(prefix="hiw-chromium-")
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
                page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
                page.on(
                    "console",
                    lambda m: (
                        errors.append(f"console: {m.text}")
                        if m.type == "error"
                        else None
                    ),
                )
                page.goto(html_path.as_uri(), wait_until="load")
                frames = _map_frames(page, wait_ms)
                # Make the whole page the viewport so off-screen iframes paint too.
                full = page.evaluate("() => document.documentElement.scrollHeight")
                page.set_viewport_size(
                    {"width": width, "height": max(height, int(full))}
                )
                page.wait_for_timeout(500)
                page.screenshot(path=str(shot), full_page=True)
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return {
        "frames": frames,
        "polygons": [f["polygons"] for f in frames],
        "external_requests": external,
        "errors": errors,
        "screenshot": shot,
        "colours": distinct_colours(shot),
    }


def _map_frames(page: Any, wait_ms: int) -> list[dict[str, Any]]:
    """Leaflet maps in the page: the page itself and/or its iframes."""
    out = []
    for frame in page.frames:
        has_map = frame.evaluate("() => !!document.querySelector('.leaflet-container')")
        if not has_map:
            continue
        try:
            frame.wait_for_selector("path.leaflet-interactive", timeout=wait_ms)
        except Exception:  # noqa: BLE001 - counted as 0 below
            log.warning("no polygons appeared in frame %s", frame.name or frame.url)
        title = ""
        if frame is not page.main_frame:
            el = frame.frame_element()
            title = el.get_attribute("title") or ""
        else:
            title = page.title()
        out.append(
            {
                "title": title,
                "polygons": frame.locator("path.leaflet-interactive").count(),
                "legend": frame.locator(".hiw-legend, .legend").count() > 0,
                "legend_text": (
                    frame.locator(".hiw-legend").first.inner_text()
                    if frame.locator(".hiw-legend").count()
                    else ""
                ),
            }
        )
    return out


def voronoi_areas(n: int = 30, seed: int = 0, *, size_m: float = 8000.0) -> Any:
    """``n`` Voronoi 'small areas' in EPSG:27700 with demo-shaped columns (for map tests).

    Columns: ``lsoa21_code`` (X01…), ``area_name``, ``imd_decile`` (1–10), ``population``,
    ``value``, ``lower_ci``, ``upper_ci``, ``is_suppressed`` (every 7th area).
    """
    import geopandas as gpd
    import numpy as np
    import shapely

    rng = np.random.default_rng(seed)
    x0, y0 = 430000.0, 430000.0
    pts = rng.uniform(0, size_m, size=(n, 2)) + [x0, y0]
    env = shapely.box(x0, y0, x0 + size_m, y0 + size_m)
    cells = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=env)
    polys = [shapely.segmentize(c.intersection(env), 40.0) for c in cells.geoms]
    value = rng.normal(50, 10, len(polys))
    return gpd.GeoDataFrame(
        {
            "lsoa21_code": [f"X01{i:06d}" for i in range(len(polys))],
            "area_name": [f"Synthetic area {i:03d}" for i in range(len(polys))],
            "imd_decile": (np.arange(len(polys)) % 10) + 1,
            "population": rng.integers(1000, 3000, len(polys)),
            "value": value,
            "lower_ci": value - 4,
            "upper_ci": value + 4,
            "is_suppressed": np.arange(len(polys)) % 7 == 3,
        },
        geometry=polys,
        crs=27700,
    )
