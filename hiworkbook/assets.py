"""Make a folium/branca HTML page self-contained: no CDN, no network, renders offline.

NHS networks block CDNs and reports are e-mailed, so every ``<script src=…>`` and
``<link href=…>`` that folium 0.20 emits is either replaced by an inline copy of a file
from an installed Python package, or dropped when a hiworkbook map does not use it.

Inlined (files read once per process, :func:`functools.cache`):

- ``cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js`` → ``leaflet.js`` of the installed
  **xstatic-leaflet 1.9.3.0** (Leaflet 1.9.3, the exact version folium 0.20 asks for; 147 KB).
- ``…/leaflet@1.9.3/dist/leaflet.css`` → ``leaflet.css`` of xstatic-leaflet with its
  ``url(images/*.png)`` (layers control, default marker) as base64 data URIs (~19 KB).
- ``cdnjs…/d3/3.5.5/d3.min.js`` → ``d3.js`` of **xstatic-d3 3.5.17.1** (d3 3.5.17, unminified —
  the package ships no ``.min.js`` — same v3 API branca's legends use; 338 KB). Only pages that
  reference d3 get it: ``folium.Choropleth``, branca colormaps, ``GeoDataFrame.explore``.
  hiworkbook's own maps draw their legend in HTML and do not need d3.
- ``code.jquery.com/jquery-3.7.1.min.js`` → a 0.6 KB shim (:data:`JQUERY_SHIM`) when the page's
  own scripts call ``$(…)``; dropped otherwise.

Leaflet and d3 are *required*: without d3 a Choropleth draws no polygons at all (see
``/work/shared/reading/stack-measurements.md`` §5).

Dropped, after checking what folium 0.20 uses them for:

- **jQuery** — folium itself calls it in two places only: ``Popup`` parses its HTML with
  ``$(`…`)[0]`` and ``Map`` runs ``$(document).ready(objects_in_front)``. The shim covers
  exactly those two calls; any other jQuery use raises :class:`OfflineAssetError`.
- **Bootstrap 5 JS/CSS, Bootstrap 3 glyphicons, Font Awesome, Leaflet.awesome-markers (+ the
  rotate CSS)** — used only by ``folium.Icon``/``Marker`` icons and a few plugins. hiworkbook maps
  draw polygons, tooltips and an HTML legend, none of which uses them. If a page uses
  ``L.AwesomeMarkers`` or calls ``bootstrap.`` in a script, :class:`OfflineAssetError` is raised
  rather than drawing a broken map.

Anything else remote (tiles, TopoJSON, other plugins) is an error: :func:`inline_assets`
fails loudly instead of writing a report that would be blank offline.
"""

from __future__ import annotations

import base64
import html as _html
import logging
import mimetypes
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

__all__ = [
    "OfflineAssetError",
    "JQUERY_SHIM",
    "inline_assets",
    "find_external_refs",
    "assert_self_contained",
    "asset_versions",
]


class OfflineAssetError(RuntimeError):
    """A page still needs the network (or uses an asset hiworkbook cannot inline)."""


#: Replacement for jQuery covering only what folium 0.20 emits:
#: ``$(`<div>…</div>`)[0]`` (Popup contents) and ``$(document).ready(fn)``.
JQUERY_SHIM = """
(function () {
  function hiwShim(arg) {
    if (typeof arg === "string") {
      var t = document.createElement("template");
      t.innerHTML = arg.trim();
      return [t.content.firstElementChild || t.content.firstChild];
    }
    if (arg === document || typeof arg === "function") {
      var ready = function (fn) {
        if (document.readyState !== "loading") { fn(); }
        else { document.addEventListener("DOMContentLoaded", fn); }
      };
      if (typeof arg === "function") { ready(arg); return; }
      return { ready: ready };
    }
    throw new Error("hiworkbook offline jQuery shim: unsupported call");
  }
  window.$ = window.jQuery = hiwShim;
})();
""".strip()


# ---------------------------------------------------------------------------- files


def _xstatic_dir(name: str) -> Path:
    """``BASE_DIR`` of an installed xstatic package (``xstatic.pkg.<name>``)."""
    import importlib

    try:
        mod = importlib.import_module(f"xstatic.pkg.{name}")
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise OfflineAssetError(
            f"Package xstatic-{name} is not installed; it provides the offline copy of "
            f"{name}. Install hiworkbook's dependencies (pip install -e .)."
        ) from exc
    return Path(mod.BASE_DIR)


def _xstatic_version(name: str) -> str:
    import importlib

    return importlib.import_module(f"xstatic.pkg.{name}").VERSION


@cache
def asset_versions() -> dict[str, str]:
    """Versions of the inlined libraries, e.g. ``{"leaflet": "1.9.3", "d3": "3.5.17"}``."""
    return {"leaflet": _xstatic_version("leaflet"), "d3": _xstatic_version("d3")}


@cache
def leaflet_js() -> str:
    """Leaflet's minified JS from xstatic-leaflet."""
    return (_xstatic_dir("leaflet") / "leaflet.js").read_text(encoding="utf-8")


_CSS_URL = re.compile(r"url\(\s*(['\"]?)(?!data:|#)([^'\")]+)\1\s*\)")


@cache
def leaflet_css() -> str:
    """Leaflet's CSS from xstatic-leaflet with its images as base64 data URIs."""
    base = _xstatic_dir("leaflet")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def repl(m: re.Match[str]) -> str:
        rel = m.group(2).strip()
        if re.match(r"(?i)^(https?:)?//", rel):
            raise OfflineAssetError(f"leaflet.css refers to remote {rel}")
        path = base / rel
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'url("data:{mime};base64,{data}")'

    return _CSS_URL.sub(repl, css)


@cache
def d3_js() -> str:
    """d3 v3 from xstatic-d3 (the unminified ``d3.js``; the package ships no .min.js)."""
    return (_xstatic_dir("d3") / "d3.js").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- rules

# (pattern on the URL, kind, what to do). Kinds: "js"/"css" inline function, or "drop".
_SCRIPT_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"/leaflet@?([\d.]+)?/dist/leaflet(-src)?\.js$|/leaflet\.js$"),
        "leaflet",
    ),
    (re.compile(r"/d3(@|/)[\d.]+/d3(\.min)?\.js$|/d3(\.v3)?(\.min)?\.js$"), "d3"),
    (re.compile(r"jquery[-.@/\d]*(\.min)?\.js$"), "jquery"),
    (re.compile(r"/bootstrap[@/][\d.]+/.*bootstrap(\.bundle)?(\.min)?\.js$"), "drop"),
    (re.compile(r"leaflet\.awesome-markers(\.min)?\.js$"), "drop"),
]
_LINK_RULES: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(r"/leaflet@?([\d.]+)?/dist/leaflet\.css$|/leaflet\.css$"),
        "leaflet_css",
    ),
    (re.compile(r"/bootstrap(@|/)[\d.]+/.*\.css$"), "drop"),
    (re.compile(r"bootstrap-glyphicons\.css$"), "drop"),
    (re.compile(r"fontawesome|font-awesome"), "drop"),
    (re.compile(r"leaflet\.awesome-markers\.css$"), "drop"),
    (re.compile(r"leaflet\.awesome\.rotate(\.min)?\.css$"), "drop"),
]

_SCRIPT_SRC = re.compile(
    r"<script\b[^>]*?\bsrc\s*=\s*(['\"])(?P<url>[^'\"]+)\1[^>]*>\s*</script>",
    re.IGNORECASE,
)
_LINK_HREF = re.compile(
    r"<link\b[^>]*?\bhref\s*=\s*(['\"])(?P<url>[^'\"]+)\1[^>]*?/?>", re.IGNORECASE
)
_INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I
)
_REMOTE = r"(?:https?:)?//"


def _match(rules: list[tuple[re.Pattern[str], str]], path: str) -> str | None:
    """The action of the first rule whose pattern matches the URL path."""
    return next((kind for pattern, kind in rules if pattern.search(path)), None)


def _script_tag(code: str, name: str) -> str:
    # "</script" cannot occur inside a script element; none of our files contains it,
    # but be safe for future versions.
    code = re.sub(r"</(script)", r"<\\/\1", code, flags=re.I)
    return f"<script data-inlined={name!r}>\n{code}\n</script>"


def _style_tag(css: str, name: str) -> str:
    css = re.sub(r"</(style)", r"<\\/\1", css, flags=re.I)
    return f"<style data-inlined={name!r}>\n{css}\n</style>"


def _page_scripts(html: str) -> str:
    """Concatenated inline scripts of the page (what the page itself runs)."""
    return "\n".join(m.group(1) for m in _INLINE_SCRIPT.finditer(html))


def _check_dropped_unused(page_js: str) -> None:
    if "L.AwesomeMarkers" in page_js:
        raise OfflineAssetError(
            "This map uses folium.Icon/awesome markers, which need Font Awesome, Bootstrap and "
            "Leaflet.awesome-markers from CDNs; hiworkbook cannot inline them. Use "
            "CircleMarker or GeoJson layers instead."
        )
    if re.search(r"\bbootstrap\.", page_js):
        raise OfflineAssetError(
            "This map calls Bootstrap's JavaScript, which hiworkbook does not inline."
        )


def _uses_jquery(page_js: str) -> bool:
    return bool(re.search(r"(?<![\w.$])(\$|jQuery)\s*[(.]", page_js))


def _check_jquery_shim_enough(page_js: str) -> None:
    """Only the two jQuery calls folium emits are supported by the shim."""
    ok = re.compile(r"\$\(`|\$\(document\)\.ready\(")
    for m in re.finditer(r"(?<![\w.$])(\$|jQuery)\s*[(.]", page_js):
        if not ok.match(page_js, m.start()):
            snippet = page_js[m.start() : m.start() + 40].replace("\n", " ")
            raise OfflineAssetError(
                f"This page uses jQuery beyond what hiworkbook's offline shim covers: {snippet!r}"
            )


def inline_assets(html: str, *, allow_tiles: bool = False) -> str:
    """Replace the CDN references of a folium/branca page by inline copies.

    Parameters
    ----------
    html : str
        A complete page, e.g. ``folium.Map.get_root().render()``.
    allow_tiles : bool, default False
        Accept remote tile layers (``L.tileLayer("https://…")``) — for maps explicitly made for
        online use. The base map is then missing offline, but the data still draws.

    Returns
    -------
    str
        The same page with Leaflet (JS and CSS, images as data URIs) and d3 inlined, jQuery
        replaced by a tiny shim when the page calls it, Bootstrap / Font Awesome /
        awesome-markers removed, and ``<html lang="en">``.

    Raises
    ------
    OfflineAssetError
        If the page uses something that cannot be inlined (awesome-marker icons, Bootstrap's
        JS, jQuery beyond folium's two calls), or if any external reference remains (tile
        layers, TopoJSON, other plugins).
    """
    page_js = _page_scripts(html)
    inlined: set[str] = set()

    def script_repl(m: re.Match[str]) -> str:
        url = m.group("url")
        if not re.match(_REMOTE, url, re.I):
            return m.group(0)
        path = url.split("?", 1)[0]
        kind = _match(_SCRIPT_RULES, path)
        if kind is None:
            raise OfflineAssetError(
                f"Cannot make this map offline: it loads {url}, which hiworkbook has no "
                "installed copy of. Remove the plugin/layer that adds it."
            )
        if kind in inlined:
            return ""
        inlined.add(kind)
        if kind == "leaflet":
            _warn_version(url, "leaflet")
            return _script_tag(leaflet_js(), "leaflet")
        if kind == "d3":
            _warn_version(url, "d3")
            return _script_tag(d3_js(), "d3")
        if kind == "jquery":
            if _uses_jquery(page_js):
                _check_jquery_shim_enough(page_js)
                return _script_tag(JQUERY_SHIM, "jquery-shim")
            return ""
        _check_dropped_unused(page_js)
        log.debug("dropped %s (not used by this map)", url)
        return ""

    def link_repl(m: re.Match[str]) -> str:
        url = m.group("url")
        if not re.match(_REMOTE, url, re.I):
            return m.group(0)
        path = url.split("?", 1)[0]
        kind = _match(_LINK_RULES, path)
        if kind is None:
            raise OfflineAssetError(
                f"Cannot make this map offline: it links {url}, which hiworkbook has no "
                "installed copy of."
            )
        if kind in inlined:
            return ""
        inlined.add(kind)
        if kind == "leaflet_css":
            return _style_tag(leaflet_css(), "leaflet-css")
        _check_dropped_unused(page_js)
        log.debug("dropped %s (not used by this map)", url)
        return ""

    if not allow_tiles:
        remote_js = find_remote_js_loads(page_js)
        if remote_js:
            raise OfflineAssetError(
                "Cannot make this map offline: its scripts load from the network ("
                + _summarise(remote_js)
                + "). Use tiles=None (no base map) for offline reports."
            )
    out = _SCRIPT_SRC.sub(script_repl, html)
    out = _LINK_HREF.sub(link_repl, out)
    out = re.sub(r"<html(?![^>]*\blang=)([^>]*)>", r'<html lang="en"\1>', out, count=1)
    assert_self_contained(out, what="map page", allow_tiles=allow_tiles)
    return out


def _warn_version(url: str, name: str) -> None:
    m = re.search(r"[@/](\d+\.\d+(?:\.\d+)?)/", url)
    have = asset_versions()[name]
    if m and m.group(1) != have and name == "leaflet":
        log.warning(
            "folium asks for %s %s; inlining the installed %s (xstatic-%s)",
            name,
            m.group(1),
            have,
            name,
        )


# ---------------------------------------------------------------------------- checks

# Elements whose src/href/data/poster make the browser fetch something: a tag's start, then in its
# body (up to the next ">") the first such attribute with a remote URL. ``_FETCH_HINT`` is what any
# such attribute contains; a body without it (an image's long data URI) is skipped unread.
_FETCH_TAG = re.compile(
    r"<(?P<tag>script|link|img|iframe|frame|source|video|audio|embed|object|input|track|image|use)\b",
    re.IGNORECASE,
)
_FETCH_ATTR = re.compile(
    r"\b(?P<attr>src|href|xlink:href|data|poster|srcset)\s*=\s*(['\"]?)(?P<url>"
    + _REMOTE
    + r"[^'\"\s>]*)",
    re.IGNORECASE,
)
_FETCH_HINT = re.compile(r"=\s*['\"]?" + _REMOTE, re.IGNORECASE)
_CSS_REMOTE = re.compile(
    r"(?:url\(\s*['\"]?|@import\s+['\"])(?P<url>" + _REMOTE + r"[^'\")\s]*)", re.I
)
# the same two forms as separate patterns: each starts with a literal, which the regex engine
# finds with a fast string search instead of trying both forms at every character
_CSS_REMOTE_PARTS = (
    re.compile(r"url\(\s*['\"]?(?P<url>" + _REMOTE + r"[^'\")\s]*)", re.I),
    re.compile(r"@import\s+['\"](?P<url>" + _REMOTE + r"[^'\")\s]*)", re.I),
)
_SRCDOC = re.compile(r"\bsrcdoc\s*=\s*\"([^\"]*)\"", re.I)
# a character reference other than the five html.escape writes (or one without its ";")
_OTHER_REF = re.compile(r"&(?!(?:amp|lt|gt|quot|#x27|#39);)")


def find_external_refs(html: str, *, scripts: bool = True) -> list[str]:
    """Every remote resource the page would fetch, including inside ``srcdoc`` iframes.

    Looks at ``src``/``href``/``data``/``poster``/``srcset`` of elements that load something
    (script, link, img, iframe, source, video, audio, embed, object, …) and at CSS ``url()`` and
    ``@import``, and (``scripts=True``) at remote URLs passed to tile layers, overlays,
    ``fetch`` or ``$.ajax`` in scripts. Plain ``<a href>`` links are navigation, not loads,
    and are not reported.

    Parameters
    ----------
    html : str
    scripts : bool, default True
        Also report remote loads made by scripts (:func:`find_remote_js_loads`).

    Returns
    -------
    list of str
        ``"<tag attr=url>"`` descriptions, empty when the page is self-contained.
    """
    found = _fetching_tags(html)
    found += [f"css url({url})" for url in _css_remote(html)]
    if scripts:
        found += find_remote_js_loads(html)
    for m in _SRCDOC.finditer(html):
        found += find_external_refs(_unescape(m.group(1)), scripts=scripts)
    return found


def _css_remote(html: str) -> list[str]:
    """The URL of each match of :data:`_CSS_REMOTE` in ``html``, as its ``finditer`` gives them
    (leftmost first, each search going on from the end of the last match), found with its two
    literal-led forms (they never match at the same place: one starts with "u", one with "@")."""
    out: list[str] = []
    nxt = [p.search(html) for p in _CSS_REMOTE_PARTS]
    while True:
        hits = [m for m in nxt if m is not None]
        if not hits:
            return out
        m = min(hits, key=lambda h: h.start())
        out.append(m.group("url"))
        for i, (pattern, h) in enumerate(zip(_CSS_REMOTE_PARTS, nxt, strict=True)):
            if h is not None and h.start() < m.end():  # inside the match: search again
                nxt[i] = pattern.search(html, m.end())


def _unescape(text: str) -> str:
    """``html.unescape(text)``: by plain replacements when the only references are the five
    :func:`html.escape` writes (a map's srcdoc holds thousands of ``&quot;``), else by
    :func:`html.unescape` itself."""
    if "&" not in text:
        return text
    if _OTHER_REF.search(text):
        return _html.unescape(text)
    for ref, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#x27;", "'")):
        text = text.replace(ref, char)
    return text.replace("&#39;", "'").replace("&amp;", "&")


def _fetching_tags(html: str) -> list[str]:
    """``"<tag attr=url>"`` for each loading element with a remote ``src``/``href``/… (the first
    in its tag; a tag starting inside a reported one is not looked at again)."""
    found: list[str] = []
    done = 0
    for m in _FETCH_TAG.finditer(html):
        if m.start() < done:
            continue
        end = html.find(">", m.end())
        end = len(html) if end < 0 else end
        if not _FETCH_HINT.search(html, m.end(), end):
            continue
        a = _FETCH_ATTR.search(html, m.end(), end)
        if a:
            found.append(
                f"<{m.group('tag').lower()} {a.group('attr').lower()}={a.group('url')}>"
            )
            done = a.end()
    return found


_JS_REMOTE = re.compile(
    r"(?P<call>L\.tileLayer(?:\.wms)?|L\.imageOverlay|L\.videoOverlay|fetch|\$\.ajax|\$\.getJSON"
    r"|d3\.json|importScripts)\s*\(\s*(['\"`])(?P<url>" + _REMOTE + r"[^'\"`]*)",
)


def find_remote_js_loads(js: str) -> list[str]:
    """Remote URLs a page's own scripts load (tile layers, overlays, fetch/ajax).

    Parameters
    ----------
    js : str
        Script source.

    Returns
    -------
    list of str
        ``"call(url)"`` descriptions.
    """
    return [f"{m.group('call')}({m.group('url')})" for m in _JS_REMOTE.finditer(js)]


def assert_self_contained(
    html: str, *, what: str = "page", allow_tiles: bool = False
) -> None:
    """Raise :class:`OfflineAssetError` if the page would fetch anything remote.

    Parameters
    ----------
    html : str
    what : str
        Name of the page in the error message.
    allow_tiles : bool, default False
        Ignore remote loads made by scripts (tile layers of a map made for online use).
    """
    refs = find_external_refs(html, scripts=not allow_tiles)
    if refs:
        raise OfflineAssetError(
            f"The {what} is not self-contained; it would load from the network: "
            + _summarise(refs)
        )


def _summarise(refs: Iterable[str], n: int = 5) -> str:
    refs = list(dict.fromkeys(refs))
    more = f" (and {len(refs) - n} more)" if len(refs) > n else ""
    return "; ".join(refs[:n]) + more
