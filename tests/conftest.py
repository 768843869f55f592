"""Shared fixtures: the demo region generated once per test session, and the real-data folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# HIWORKBOOK_REALDATA points elsewhere (e.g. from a git worktree, where ../shared is not beside)
REALDATA = Path(
    os.environ.get("HIWORKBOOK_REALDATA") or ROOT.parent / "shared" / "realdata"
)


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the workspace cache of test runs out of the project's data folder."""
    mp = pytest.MonkeyPatch()
    mp.setenv("HIWORKBOOK_CACHE", str(tmp_path_factory.mktemp("cache")))
    yield
    mp.undo()


@pytest.fixture(scope="session")
def demo_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """workbook.toml of a freshly generated demo region (default seed)."""
    from hiworkbook.demo import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo") / "demo")


@pytest.fixture(scope="session")
def demo_workspace(demo_config: Path):
    """The demo region loaded and validated."""
    from hiworkbook.workspace import Workspace

    return Workspace.from_config(demo_config)


@pytest.fixture(scope="session")
def sar_workspace(demo_workspace):
    """The demo workspace with an indirectly standardised ratio, ``copd_sar`` (COPD admissions
    against England = 100): its counts, and England's, a copy of COPD admissions'. Shared: do
    not change it."""
    import copy
    import dataclasses

    import pandas as pd

    from hiworkbook.indicators import Indicator

    base = demo_workspace.indicators["copd_admissions"]
    ws = copy.copy(demo_workspace)
    ws.indicators = {
        **demo_workspace.indicators,
        "copd_sar": Indicator(
            id="copd_sar",
            name="COPD admissions, standardised ratio",
            measure="isratio",
            multiplier=100,
            unit="(England = 100)",
            polarity="low_is_good",
            age_bands=base.age_bands,
        ),
    }

    def with_sar(c: pd.DataFrame) -> pd.DataFrame:
        copd = c[c["indicator_id"] == "copd_admissions"]
        return pd.concat([c, copd.assign(indicator_id="copd_sar")])

    ws.counts = with_sar(demo_workspace.counts)
    england = demo_workspace.comparators[0]
    ws.comparators = [dataclasses.replace(england, counts=with_sar(england.counts))]
    return ws


@pytest.fixture(scope="session")
def realdata() -> Path:
    """../shared/realdata, or skip with the reason."""
    if not REALDATA.is_dir():
        pytest.skip(
            "../shared/realdata not found: real-data tests need the shared folder beside the repo"
        )
    return REALDATA
