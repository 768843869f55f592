"""Where hiworkbook reads and writes by default: one module resolves every path.

Defaults are relative to the project root when running from a source checkout (``data/``,
``reports/``), else to the user's folders; environment variables override them:

- ``HIWORKBOOK_DATA`` — where the demo region is generated (default ``<root>/data``);
- ``HIWORKBOOK_OUTPUT`` — where reports are written (default ``<root>/reports``);
- ``HIWORKBOOK_CACHE`` — where validated workspaces are cached (default ``<root>/data/cache``).

Nothing depends on the current directory.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

__all__ = [
    "project_root",
    "data_dir",
    "output_dir",
    "cache_dir",
    "demo_dir",
    "notebook_path",
]

_PACKAGE = Path(__file__).resolve().parent


def project_root() -> Path:
    """The source checkout's root if hiworkbook runs from one, else the current user's home."""
    root = _PACKAGE.parent
    if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir():
        return root
    return Path.home() / "hiworkbook"


def data_dir() -> Path:
    """Default data folder (``HIWORKBOOK_DATA`` or ``<root>/data``)."""
    return Path(os.environ.get("HIWORKBOOK_DATA") or project_root() / "data")


def output_dir() -> Path:
    """Default reports folder (``HIWORKBOOK_OUTPUT`` or ``<root>/reports``)."""
    return Path(os.environ.get("HIWORKBOOK_OUTPUT") or project_root() / "reports")


def cache_dir() -> Path:
    """Cache for validated workspaces (``HIWORKBOOK_CACHE`` or ``<data>/cache``)."""
    return Path(os.environ.get("HIWORKBOOK_CACHE") or data_dir() / "cache")


def demo_dir() -> Path:
    """Where the synthetic demo region is generated (``<data>/demo``)."""
    return data_dir() / "demo"


def notebook_path(name: str = "place_profile") -> Path:
    """Path of a report notebook shipped with hiworkbook (``notebooks/<name>.ipynb``)."""
    root_nb = project_root() / "notebooks" / f"{name}.ipynb"
    if root_nb.is_file():
        return root_nb
    return Path(str(files("hiworkbook").joinpath(f"notebooks/{name}.ipynb")))
