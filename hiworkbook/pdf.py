"""Print reports to PDF with headless Chromium: clean A4 board papers.

The page's print styles (``templates/report.css``: ``@page`` A4, colours kept with
``print-color-adjust: exact``, no controls, headings kept with what follows, figures and table
rows never split) do the layout; this module drives the browser:

1. opens the report offline (every request that is not ``file:``/``data:``/``about:``/``blob:``
   is refused, as the reports need none);
2. waits until every map frame has drawn its areas (Leaflet paths or canvas) and images loaded;
3. prints with ``page.pdf(format="A4", print_background=True)``. The footer of every page is the
   report's own CSS page-margin boxes (``templates/report.css``): "Page N of M" on the right and,
   on the left, the report's title, to which the printer adds the date (a style it adds to the
   page before printing) — the same footer a reader gets printing the HTML from Chromium.

Chromium is Debian's ``/usr/bin/chromium`` (``scripts/install-chromium.sh``, ``make browser``),
or the one named by ``HIWORKBOOK_CHROMIUM``; it is driven by Playwright's Python package
(``pip install "hiworkbook[pdf]"``) with ``executable_path``, so no browser download is needed.
When either is missing :class:`PdfUnavailable` says how to get it, and the HTML reports are
still written.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hiworkbook.report import css_string

__all__ = [
    "PdfUnavailable",
    "PrintedPdf",
    "chromium_path",
    "print_pdf",
    "print_pdfs",
    "print_run",
    "HOW_TO_GET_CHROMIUM",
]

log = logging.getLogger(__name__)

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_LOCAL = ("file:", "data:", "about:", "blob:")
HOW_TO_GET_CHROMIUM = (
    "PDF printing needs headless Chromium and Playwright's Python package. On Debian/Ubuntu run "
    "`make browser` (or `sudo apt-get install chromium`), and `pip install 'hiworkbook[pdf]'` "
    "(or `make install`); or set HIWORKBOOK_CHROMIUM to a Chromium binary. The HTML reports are "
    "written either way."
)


class PdfUnavailable(RuntimeError):
    """No usable Chromium or Playwright: the message says how to get them."""


@dataclass
class PrintedPdf:
    """One printed report."""

    html: Path
    pdf: Path | None
    pages: int = 0
    error: str | None = None


def chromium_path() -> str | None:
    """Path of a usable Chromium (``HIWORKBOOK_CHROMIUM``, ``/usr/bin/chromium`` or on PATH)."""
    env = os.environ.get("HIWORKBOOK_CHROMIUM")
    for cand in (env, "/usr/bin/chromium"):
        if cand and Path(cand).is_file() and os.access(cand, os.X_OK):
            return cand
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _check() -> str:
    exe = chromium_path()
    if exe is None:
        raise PdfUnavailable("Chromium not found. " + HOW_TO_GET_CHROMIUM)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        raise PdfUnavailable(
            "Playwright's Python package is not installed. " + HOW_TO_GET_CHROMIUM
        ) from exc
    return exe


def _wait_for_maps(page: Any, timeout_ms: int) -> None:
    """Wait until every Leaflet map in the page or its frames has drawn something."""
    for frame in page.frames:
        try:
            has_map = frame.evaluate(
                "() => !!document.querySelector('.leaflet-container')"
            )
        except Exception:  # noqa: BLE001 - a frame that went away draws nothing
            continue
        if not has_map:
            continue
        try:
            frame.wait_for_function(
                "() => document.querySelector('path.leaflet-interactive') || "
                "(window.hiwNationalMap && window.hiwNationalMap.drawn > 0)",
                timeout=timeout_ms,
            )
        except Exception:  # noqa: BLE001 - printed anyway, logged
            log.warning("a map did not finish drawing before printing")
    page.wait_for_function(
        "() => Array.from(document.images).every(i => i.complete)", timeout=timeout_ms
    )


def _count_pages(pdf: bytes) -> int:
    """Pages of a PDF Chromium wrote (its page tree objects are ``/Type /Page``)."""
    import re

    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


def print_pdfs(
    reports: Iterable[tuple[str | Path, str]],
    *,
    date: str = "",
    timeout_s: float = 30.0,
) -> list[PrintedPdf]:
    """Print HTML reports to PDF beside them (``report.html`` → ``report.pdf``), one browser.

    Parameters
    ----------
    reports : iterable of (path, title)
        The HTML files and the title to put in each footer.
    date : str
        Shown after the title in the footer (e.g. the run's date).
    timeout_s : float
        Longest wait for a page's maps to draw.

    Returns
    -------
    list of PrintedPdf
        One per report; a report that could not be printed has ``pdf=None`` and ``error``.

    Raises
    ------
    PdfUnavailable
        No Chromium or no Playwright (the message says how to get them).
    """
    exe = _check()
    from playwright.sync_api import sync_playwright

    out: list[PrintedPdf] = []
    reports = [(Path(p), t) for p, t in reports]
    if not reports:
        return out
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            ctx = browser.new_context(
                viewport={"width": 1100, "height": 1400}, service_workers="block"
            )
            ctx.route(
                "**/*",
                lambda r: (
                    r.continue_() if r.request.url.startswith(_LOCAL) else r.abort()
                ),
            )
            for html_path, title in reports:
                out.append(_print_one(ctx, html_path, title, date, timeout_s))
        finally:
            browser.close()
    return out


def _print_one(
    ctx: Any, html_path: Path, title: str, date: str, timeout_s: float
) -> PrintedPdf:
    pdf_path = html_path.with_suffix(".pdf")
    page = ctx.new_page()
    try:
        page.goto(html_path.resolve().as_uri(), wait_until="load")
        _wait_for_maps(page, int(timeout_s * 1000))
        page.emulate_media(media="print")
        page.wait_for_timeout(300)  # maps re-fit to the printed width
        label = css_string(f"{title} — {date}" if date else title)
        page.add_style_tag(content=f"@page {{ @bottom-left {{ content: {label}; }} }}")
        data = page.pdf(
            format="A4",
            print_background=True,
            margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
            prefer_css_page_size=False,
        )
        fd, tmp = tempfile.mkstemp(
            dir=pdf_path.parent, prefix=f".{pdf_path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            Path(tmp).chmod(0o644)
            Path(tmp).replace(pdf_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return PrintedPdf(html_path, pdf_path, pages=_count_pages(data))
    except Exception as exc:  # noqa: BLE001 - one report failing does not stop the others
        log.error("could not print %s to PDF: %s", html_path, exc)
        return PrintedPdf(html_path, None, error=f"{type(exc).__name__}: {exc}")
    finally:
        page.close()


def print_pdf(
    html_path: str | Path, *, title: str = "", date: str = "", timeout_s: float = 30.0
) -> PrintedPdf:
    """Print one HTML report to PDF beside it. See :func:`print_pdfs`.

    Parameters
    ----------
    html_path : str or Path
    title : str
        Footer title (default the file's name).
    date : str
    timeout_s : float

    Returns
    -------
    PrintedPdf
    """
    html_path = Path(html_path)
    return print_pdfs(
        [(html_path, title or html_path.stem)], date=date, timeout_s=timeout_s
    )[0]


def print_run(
    run_dir: str | Path, outcomes: Sequence[Any], *, date: str
) -> list[PrintedPdf]:
    """Print every successful report of a batch run (``PlaceOutcome`` objects) to PDF.

    Logs one clear line and returns ``[]`` when no browser is available (the HTML reports are
    already written).
    """
    run_dir = Path(run_dir)
    todo = [
        (run_dir / o.report, f"{o.place_name}: health inequalities profile")
        for o in outcomes
        if o.status == "ok" and o.report
    ]
    try:
        printed = print_pdfs(todo, date=date)
    except PdfUnavailable as exc:
        log.error("No PDFs made: %s", exc)
        return []
    ok = [p for p in printed if p.pdf]
    log.info(
        "%d of %d reports printed to PDF (%s pages each)",
        len(ok),
        len(todo),
        "/".join(str(p.pages) for p in ok[:10]) + ("…" if len(ok) > 10 else ""),
    )
    return printed
