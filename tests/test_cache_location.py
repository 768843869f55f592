"""The validated-workspace cache goes to HIWORKBOOK_CACHE or the user's cache folder, never into the
project's or the user's data folders, and keeps one copy per workbook."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from hiworkbook import paths


def test_cache_dir_follows_env_then_xdg(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HIWORKBOOK_CACHE", str(tmp_path / "mine"))
    assert paths.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("HIWORKBOOK_CACHE")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert paths.cache_dir() == tmp_path / "xdg" / "hiworkbook"
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/not/allowed")
        assert paths.cache_dir() == Path.home() / ".cache" / "hiworkbook"
    assert paths.project_root() / "data" not in paths.cache_dir().parents


def test_cache_written_beside_nothing_of_the_users(
    monkeypatch, tmp_path: Path, demo_workspace, caplog: pytest.LogCaptureFixture
) -> None:
    from hiworkbook import workspace as W

    monkeypatch.delenv("HIWORKBOOK_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    cfg = demo_workspace.config
    before = sorted(p.name for p in cfg.root.iterdir())
    with caplog.at_level(logging.INFO, logger="hiworkbook.workspace"):
        W._cache_write(cfg, "aaaa", demo_workspace)
        W._cache_write(
            cfg, "bbbb", demo_workspace
        )  # the data changed: the old copy goes
    folder = paths.cache_dir()
    files = sorted(p.name for p in folder.iterdir())
    assert len(files) == 1 and files[0].endswith("-bbbb.pickle"), files
    assert sorted(p.name for p in cfg.root.iterdir()) == before
    assert str(folder) in caplog.text and "HIWORKBOOK_CACHE" in caplog.text
    assert W._cache_read(cfg, "bbbb") is not None
