"""hiworkbook: health-inequalities analysis workbook for England's public health analysts.

Local data (or a synthetic demo region) in; maps, PHE-standard statistics and plain-English
place reports out. See docs/architecture.md for the flow.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("hiworkbook")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
