"""hiworkbook: health-inequalities analysis workbook for England's public health analysts.

Local data (or a synthetic demo region) in; maps, PHE-standard statistics and plain-English
place reports out. See docs/architecture.md for the flow.

The names below are imported lazily so that ``hiworkbook --help`` and batch workers start fast:

>>> import hiworkbook as hw                                   # doctest: +SKIP
>>> place = hw.load_place("workbook.toml", "E08000009")       # doctest: +SKIP
>>> results = hw.place_results(place)                         # doctest: +SKIP
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hiworkbook")
except (
    PackageNotFoundError
):  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

_LAZY = {
    "Workspace": "hiworkbook.workspace",
    "Place": "hiworkbook.workspace",
    "load_place": "hiworkbook.workspace",
    "place_results": "hiworkbook.results",
    "small_area_frame": "hiworkbook.results",
    "DataError": "hiworkbook.validate",
    "load_config": "hiworkbook.config",
    "load_indicators": "hiworkbook.indicators",
}
_SUBMODULES = {
    "benchmark",
    "breakdowns",
    "charts",
    "core20plus5",
    "explore",
    "export",
    "config",
    "coverage",
    "deepdive",
    "demo",
    "disclosure",
    "indicators",
    "inequality",
    "io",
    "maps",
    "narrative",
    "national_map",
    "overview",
    "pdf",
    "published",
    "paths",
    "report",
    "results",
    "spatial",
    "stats",
    "tables",
    "trends",
    "teaching",
    "trendviews",
    "lifegap",
    "validate",
    "workspace",
    "batch",
    "views",
}

__all__ = ["__version__", *_LAZY, *sorted(_SUBMODULES)]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return import_module(f"hiworkbook.{name}")
    raise AttributeError(f"module 'hiworkbook' has no attribute {name!r}")
