"""Executed notebook → one self-contained HTML report (and the run's index page).

The notebook is converted in-process by nbconvert's ``basic`` template (a body fragment: the
``lab`` template pulls require.js and MathJax from CDNs), with code, prompts, cells tagged
``remove-cell``/``remove_cell``, and stream/error outputs (warnings, prints, tracebacks) left out.
The fragment is placed in hiworkbook's page template (``templates/report.html.j2`` with the
inline stylesheet ``templates/report.css``). Maps are already self-contained iframes (see
:mod:`hiworkbook.maps`) and matplotlib figures are base64 PNGs, so the page needs no network;
this is checked on every page and a :class:`hiworkbook.assets.OfflineAssetError` is raised
otherwise.
"""

from __future__ import annotations

import contextlib
import html as _html
import logging
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hiworkbook.assets import assert_self_contained

if TYPE_CHECKING:  # pragma: no cover
    import jinja2
    import nbformat

log = logging.getLogger(__name__)

__all__ = [
    "SYNTHETIC_TEXT",
    "REMOVE_TAGS",
    "notebook_to_html",
    "render_page",
    "write_html",
    "static_css",
    "PRINT_TAGS",
    "css_string",
]

SYNTHETIC_TEXT = "Synthetic demonstration data — not real people or places"
#: Cell tags that keep a cell out of the report (both spellings in use).
REMOVE_TAGS = ("remove_cell", "remove-cell")
_REMOVE_INPUT_TAGS = ("remove_input", "remove-input", "hide-input", "hide_input")
_REMOVE_OUTPUT_TAGS = ("remove_output", "remove-output")
#: Cell tags read by the print styles (``templates/report.css``); nbconvert writes each tag as a
#: ``celltag_<tag>`` class on the cell. ``print-omit``: left out of the printed paper, with a
#: print-only sentence in its place (:func:`_print_note`); ``print-grid``: its figures two a row
#: on paper; ``print-compact``: its tables in a smaller type on paper; ``print-small``: its
#: figure printed smaller. The screen view is the same with or without them.
PRINT_TAGS = ("print-omit", "print-grid", "print-compact", "print-small")
_PRINT_ONLY_TAG = "print-only"
_TEMPLATES = Path(__file__).parent / "templates"


# ---------------------------------------------------------------------------- templates


@cache
def static_css() -> str:
    """The report stylesheet (``templates/report.css``), inlined in every page.

    Returns
    -------
    str
    """
    return (_TEMPLATES / "report.css").read_text(encoding="utf-8")


@cache
def _env() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["css_string"] = css_string
    return env


def css_string(text: Any) -> Any:
    """A quoted CSS string holding ``text``, safe inside a ``<style>`` element.

    Every character other than letters, digits, space and ``,.:;()·–—-`` is written as a CSS
    escape (``\\hex ``, CSS Syntax Level 3, section 4.3.7), so quotes, backslashes, ``<``/``>``
    (no ``</style>``), ``&`` and line breaks cannot end the string or the element.

    Parameters
    ----------
    text : Any
        Plain text (``None`` gives ``""``).

    Returns
    -------
    markupsafe.Markup
        ``"..."`` with its quotes, marked safe for the template.
    """
    from markupsafe import Markup

    out = []
    for ch in "" if text is None else str(text):
        if ch.isalnum() or ch in " ,.:;()·–—-":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):x} ")
    return Markup('"' + "".join(out) + '"')


def _version() -> str:
    from hiworkbook import __version__

    return __version__


def render_page(
    body: str,
    *,
    title: str,
    subtitle: str | None = None,
    synthetic: bool = False,
    footer: str | None = None,
    generated: str | None = None,
) -> str:
    """Wrap an HTML fragment in the report page (inline CSS, banner, header, footer).

    Parameters
    ----------
    body : str
        Trusted HTML fragment (already escaped where needed).
    title : str
        Plain text, escaped.
    subtitle : str, optional
        Plain text, escaped.
    synthetic : bool, default False
        Show the "Synthetic demonstration data" banner and put it in the ``<title>``.
    footer : str, optional
        Plain text, escaped (pass a :class:`markupsafe.Markup` for trusted HTML).
    generated : str, optional
        When the page was made, shown in the footer.

    Returns
    -------
    str
        The whole page; raises :class:`hiworkbook.assets.OfflineAssetError` if it would fetch
        anything from the network.
    """
    page = (
        _env()
        .get_template("report.html.j2")
        .render(
            body=body,
            title=title,
            subtitle=subtitle,
            synthetic=synthetic,
            synthetic_text=SYNTHETIC_TEXT,
            footer=footer,
            generated=generated,
            heading_in_body=bool(re.search(r"<h1[\s>]", body, re.I)),
            footer_label=f"{title} — {generated}" if generated else title,
            css=static_css(),
            version=_version(),
        )
    )
    assert_self_contained(page, what=f"report {title!r}")
    return page


# ---------------------------------------------------------------------------- notebook


def _load(nb: nbformat.NotebookNode | str | Path) -> nbformat.NotebookNode:
    import nbformat

    if isinstance(nb, (str, Path)):
        return nbformat.read(str(nb), as_version=4)
    if isinstance(nb, Mapping):
        return (
            nbformat.from_dict(nb) if not isinstance(nb, nbformat.NotebookNode) else nb
        )
    raise TypeError(f"Expected a notebook, a path or a dict, not {type(nb).__name__}")


def _strip_for_report(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without removed cells and without stream/error outputs."""
    import copy

    nb = copy.deepcopy(nb)
    cells = []
    dropped = {"stream": 0, "error": 0}
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & set(REMOVE_TAGS):
            continue
        if cell.get("cell_type") == "code":
            if tags & set(_REMOVE_OUTPUT_TAGS):
                cell["outputs"] = []
            outs = []
            for out in cell.get("outputs", []):
                kind = out.get("output_type")
                if kind in dropped:
                    dropped[kind] += 1
                    continue
                outs.append(out)
            cell["outputs"] = outs
            # An input-only cell with nothing to show adds nothing to the report.
            if not outs:
                continue
        cells.append(cell)
        if "print-omit" in tags and cell.get("cell_type") == "code":
            note = _print_note(cell["outputs"])
            if note:
                # a stable id (nbformat would draw a random one): same report bytes every run
                note["id"] = f"{cell.get('id') or len(cells)}-print"[:64]
                cells.append(note)
    if dropped["stream"] or dropped["error"]:
        log.debug(
            "left out of the report: %d stream and %d error outputs",
            dropped["stream"],
            dropped["error"],
        )
    if dropped["error"]:
        log.warning(
            "the notebook has %d error output(s); not shown in the report",
            dropped["error"],
        )
    nb.cells = cells
    return nb


_ALT = re.compile(r'<img\b[^>]*\balt="([^"]*)"', re.I)


def _print_note(outputs: Sequence[Mapping[str, Any]]) -> Any | None:
    """A print-only markdown cell saying what a ``print-omit`` cell's figures were.

    The sentence names each left-out figure by the first sentence of its alternative text (the
    charts' ``alt`` says what they show) and says where the full figures are. The cell is tagged
    ``print-only``: hidden (``display: none``) on screen, so screen readers never meet it.
    """
    from nbformat.v4 import new_markdown_cell

    names = []
    for out in outputs:
        data = out.get("data", {}) or {}
        html_text = data.get("text/html", "")
        if isinstance(html_text, list):
            html_text = "".join(html_text)
        for alt in _ALT.findall(html_text):
            first = _html.unescape(alt).split(". ")[0].rstrip(".")
            if first:
                names.append(first[0].lower() + first[1:])
    if not names:
        return None
    what = "; ".join(names)
    text = (
        f"Not printed: the {what}. It is in the HTML version of this report, and its figures "
        "are in the results CSV written beside it."
    )
    return new_markdown_cell(
        f'<p class="hiw-print-note">{_html.escape(text, quote=False)}</p>',
        metadata={"tags": [_PRINT_ONLY_TAG]},
    )


@cache
def _exporter() -> Any:
    """nbconvert's HTML exporter ("basic" template: outputs only, images embedded), without
    the BeautifulSoup pass of :meth:`HTMLExporter.from_notebook_node`.

    That pass parses and re-serialises the whole page, maps' ``srcdoc`` included (about 0.3 s
    of every report in a batch run), to give images without ``alt`` a placeholder and to make
    the cell wrappers of JupyterLab's templates focusable. The "basic" template writes no such
    wrappers, and :func:`_accessible` gives any image without ``alt`` the same placeholder
    (every hiworkbook figure has its own text). The page is the same document
    (tests/test_report.py parses both).
    """
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class PageExporter(HTMLExporter):
        def from_notebook_node(  # type: ignore[override]
            self, nb: Any, resources: dict | None = None, **kw: Any
        ) -> tuple[str, dict]:
            info = nb.metadata.get("language_info", {})
            lexer = info.get("pygments_lexer", info.get("name"))
            resources = self._init_resources(resources)
            self.register_filter(
                "highlight_code",
                self.filters.get(
                    "highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self)
                ),
            )
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata,
                    parent=self,
                    resources=resources,
                ),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return PageExporter(**EXPORT_OPTIONS)


#: The report's nbconvert options: the "basic" template's outputs only, images embedded
EXPORT_OPTIONS: dict[str, Any] = {
    "template_name": "basic",
    "exclude_input": True,
    "exclude_input_prompt": True,
    "exclude_output_prompt": True,
    "embed_images": True,
    "anchor_link_text": "",
}


#: Markdown headings' anchor links (written empty, as ``<a …/>``, with ``anchor_link_text=""``)
_ANCHOR = re.compile(r'<a class="anchor-link" href="#[^"]*"(?:\s*/>|>[^<]*</a>)')
#: An image tag without ``alt``, and a JupyterLab cell wrapper (made focusable, as nbconvert does)
_NO_ALT = re.compile(r"<img\b(?![^>]*\balt=)", re.I)
_WRAPPER = re.compile(
    r'<div\b(?![^>]*\btabindex=)(?=[^>]*\bclass="[^"]*\b'
    r"(?:jp-Cell-inputWrapper|jp-OutputArea-output)\b)"
)
MISSING_ALT = "No description has been provided for this image"


def _accessible(body: str) -> str:
    """What nbconvert's exporter adds for assistive technology: a placeholder ``alt`` on images
    without one (with a warning) and ``tabindex="0"`` on JupyterLab's cell wrappers."""
    body, missing = _NO_ALT.subn(f'<img alt="{MISSING_ALT}"', body)
    if missing:
        log.warning("Alternative text is missing on %s image(s).", missing)
    return _WRAPPER.sub('<div tabindex="0"', body)


def notebook_to_html(
    nb: nbformat.NotebookNode | str | Path,
    *,
    title: str,
    subtitle: str | None = None,
    synthetic: bool = False,
    footer: str | None = None,
    generated: str | None = None,
) -> str:
    """Convert an executed notebook to one self-contained HTML page.

    Parameters
    ----------
    nb : nbformat.NotebookNode or str or Path
        The executed notebook (e.g. returned by ``papermill.execute_notebook``) or its path.
    title : str
        Page title (``<title>`` and header), plain text.
    subtitle : str, optional
        Plain text under the title.
    synthetic : bool, default False
        Put the banner "Synthetic demonstration data — not real people or places" at the top
        of the page and in its ``<title>``.
    footer : str, optional
        Plain text for the footer (provenance, contact …).
    generated : str, optional
        When the report was made, shown in the footer.

    Returns
    -------
    str
        The page. Code, prompts, ``remove-cell``/``remove_cell`` cells and stream/error outputs
        are left out; images are embedded as data URIs.

    Raises
    ------
    hiworkbook.assets.OfflineAssetError
        If the page would fetch anything from the network (e.g. a map with a tile layer or an
        output referring to a remote image).
    """
    node = _strip_for_report(_load(nb))
    body, _resources = _exporter().from_notebook_node(node)
    body = _accessible(_ANCHOR.sub("", body))
    return render_page(
        body,
        title=title,
        subtitle=subtitle,
        synthetic=synthetic,
        footer=footer,
        generated=generated,
    )


# ---------------------------------------------------------------------------- index


def _safe_href(path: Any) -> str | None:
    """A relative link (no scheme, not absolute) or ``None``."""
    if not path:
        return None
    p = str(path).replace("\\", "/")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", p) or p.startswith(("/", "//")):
        log.warning("not linking %r from the index: not a relative path", p)
        return None
    from urllib.parse import quote

    return quote(p, safe="/._-~")


# ---------------------------------------------------------------------------- writing


def write_html(html: str, path: str | Path) -> Path:
    """Write a page atomically: a temporary file in the same folder, then ``os.replace``.

    A reader never sees half a report, and a failure leaves no file (nor a temporary one).

    Parameters
    ----------
    html : str
    path : str or Path
        Parent folders are created.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(html)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return path


def escape(text: Any) -> str:
    """HTML-escape any value (``None`` → ``""``)."""
    return "" if text is None else _html.escape(str(text), quote=True)
