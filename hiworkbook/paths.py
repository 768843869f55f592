"""Where hiworkbook reads and writes by default: one module resolves every path.

Defaults are relative to the project root when running from a source checkout (``data/``,
``reports/``), else to the user's folders; environment variables override them:

- ``HIWORKBOOK_DATA`` — where the demo region is generated (default ``<root>/data``);
- ``HIWORKBOOK_OUTPUT`` — where reports are written (default ``<root>/reports``);
- ``HIWORKBOOK_CACHE`` — where validated workspaces are cached (default the user's cache folder:
  ``$XDG_CACHE_HOME/hiworkbook`` or ``~/.cache/hiworkbook`` on Linux, ``~/Library/Caches/hiworkbook``
  on macOS, ``%LOCALAPPDATA%\\hiworkbook\\Cache`` on Windows) — never the project's or the user's
  data folders.

Nothing depends on the current directory.
"""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path

__all__ = [
    "project_root",
    "data_dir",
    "output_dir",
    "cache_dir",
    "user_cache_dir",
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
    """Cache for validated workspaces: ``HIWORKBOOK_CACHE``, else the user's cache folder.

    The user's cache folder follows each system's convention (the XDG Base Directory
    specification on Linux: ``$XDG_CACHE_HOME/hiworkbook``, default ``~/.cache/hiworkbook``;
    ``~/Library/Caches/hiworkbook`` on macOS; ``%LOCALAPPDATA%\\hiworkbook\\Cache`` on Windows),
    so a cache is never written into a project's data folder or beside a user's data files.
    """
    env = os.environ.get("HIWORKBOOK_CACHE")
    if env:
        return Path(env).expanduser()
    return user_cache_dir()


def user_cache_dir() -> Path:
    """The current user's cache folder for hiworkbook, by the system's convention."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        root = Path(base) if base else Path.home() / "AppData" / "Local"
        return root / "hiworkbook" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "hiworkbook"
    xdg = os.environ.get("XDG_CACHE_HOME")
    root = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return root / "hiworkbook"


def demo_dir() -> Path:
    """Where the synthetic demo region is generated (``<data>/demo``)."""
    return data_dir() / "demo"


def notebook_path(name: str = "place_profile") -> Path:
    """Path of a report notebook shipped with hiworkbook (``notebooks/<name>.ipynb``)."""
    root_nb = project_root() / "notebooks" / f"{name}.ipynb"
    if root_nb.is_file():
        return root_nb
    return Path(str(files("hiworkbook").joinpath(f"notebooks/{name}.ipynb")))
