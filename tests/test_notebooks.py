"""Every notebook runs top to bottom with Papermill on the demo data, and the batch route writes a
self-contained report per place, an index and a run record."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [
    ROOT / "notebooks" / "place_profile.ipynb"
]  # la_profile: tests/test_published.py

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_place_profile_executes_with_papermill(
    path: Path, demo_config: Path, tmp_path: Path
) -> None:
    import papermill as pm

    out = tmp_path / path.name
    nb = pm.execute_notebook(
        str(path),
        str(out),
        parameters={"config": str(demo_config)},
        kernel_name="python3",
        progress_bar=False,
    )
    errors = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors
    text = out.read_text()
    assert "Synthetic" in text


@pytest.fixture(scope="module")
def demo_run(demo_config: Path, tmp_path_factory: pytest.TempPathFactory):
    from hiworkbook.batch import run_reports

    return run_reports(
        demo_config, out_dir=tmp_path_factory.mktemp("run"), workers=2, progress=False
    )


def test_batch_writes_one_report_per_place(demo_run, demo_workspace) -> None:
    places = demo_workspace.places()
    assert len(demo_run.outcomes) == len(places) >= 5
    assert not demo_run.failed, [f.error for f in demo_run.failed]
    for o in demo_run.outcomes:
        html = (demo_run.run_dir / o.report).read_text()
        assert '<script src="http' not in html and not re.search(
            r"(src|href)=\"(https?:)?//", html
        )
        assert "Synthetic demonstration data" in html
        assert "In [" not in html  # no code cells or prompts
        assert "leaflet" in html.lower()
    index = demo_run.index.read_text()
    assert all(o.place_code in index for o in demo_run.outcomes)
    record = json.loads((demo_run.run_dir / "run.json").read_text())
    assert record["failed"] == 0 and len(record["places"]) == len(places)
    assert all(len(h) == 64 for h in record["inputs_sha256"].values())


def test_batch_reports_numbers_are_reproducible(
    demo_run, demo_config: Path, tmp_path: Path
) -> None:
    """A second run gives the same numbers (the footer's run time is the only difference)."""
    from hiworkbook.batch import run_reports

    first = demo_run.outcomes[0]
    again = run_reports(
        demo_config,
        out_dir=tmp_path,
        places=[first.place_code],
        workers=1,
        progress=False,
    )

    def numbers(p: Path) -> str:
        text = p.read_text()
        text = re.sub(r"on \d{4}-\d\d-\d\d \d\d:\d\d UTC", "", text)
        return text

    assert numbers(demo_run.run_dir / first.report) == numbers(
        again.run_dir / again.outcomes[0].report
    )


def test_batch_stops_before_any_report_when_data_is_bad(
    demo_config: Path, tmp_path: Path
) -> None:
    import shutil

    from hiworkbook.batch import run_reports
    from hiworkbook.validate import DataError

    bad = tmp_path / "bad"
    shutil.copytree(demo_config.parent, bad)
    counts = bad / "counts.csv"
    lines = counts.read_text().splitlines()
    head = lines[0].split(",")
    row = lines[5].split(",")
    row[head.index("numerator")] = "-3"
    lines[5] = ",".join(row)
    counts.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out"
    with pytest.raises(DataError) as err:
        run_reports(bad / "workbook.toml", out_dir=out, workers=1, progress=False)
    assert "counts.csv" in str(err.value) and "row 6" in str(err.value)
    assert not out.exists() or not any(out.rglob("*.html"))


def test_unknown_place_code_suggests(demo_config: Path, tmp_path: Path) -> None:
    from hiworkbook.batch import run_reports
    from hiworkbook.validate import DataError

    with pytest.raises(DataError, match="did you mean 'X06000001'"):
        run_reports(
            demo_config,
            out_dir=tmp_path,
            places=["X0600001"],
            workers=1,
            progress=False,
        )


@pytest.mark.browser
def test_demo_report_renders_offline_in_chromium(demo_run, tmp_path: Path) -> None:
    """The real report, opened in headless Chromium with every network request refused, draws the
    polygons of both maps and their legends, fetches nothing and raises no script error."""
    from browser_utils import chromium_path, open_offline

    if chromium_path() is None:
        pytest.skip(
            "Chromium not installed: run `make browser` (scripts/install-chromium.sh)"
        )
    ltla = next(o for o in demo_run.outcomes if o.level == "ltla")
    got = open_offline(
        demo_run.run_dir / ltla.report, screenshot=tmp_path / "report.png"
    )
    assert got["external_requests"] == []
    assert got["errors"] == []
    assert len(got["frames"]) == 2
    n_areas = got["frames"][0]["polygons"]
    assert n_areas >= 50 and all(
        f["polygons"] == n_areas and f["legend"] for f in got["frames"]
    )
    assert got["colours"] > 500


def test_a_partial_run_adds_to_the_index(demo_config: Path, tmp_path: Path) -> None:
    from hiworkbook.batch import run_reports

    run_reports(
        demo_config, out_dir=tmp_path, places=["X06000004"], workers=1, progress=False
    )
    second = run_reports(
        demo_config, out_dir=tmp_path, places=["X06000005"], workers=1, progress=False
    )
    assert [o.place_code for o in second.outcomes] == ["X06000004", "X06000005"]
    index = second.index.read_text()
    assert "X06000004" in index and "X06000005" in index
