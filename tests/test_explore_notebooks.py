"""The explore and Core20PLUS5 notebooks run under Papermill with their defaults on the demo, and
on Trafford's real files where those have the data; every parameter is documented."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(name: str, tmp_path: Path, **params) -> tuple[dict, str]:
    import papermill as pm

    out = tmp_path / f"{name}.ipynb"
    pm.execute_notebook(
        str(ROOT / "notebooks" / f"{name}.ipynb"),
        str(out),
        parameters=params,
        kernel_name="python3",
        progress_bar=False,
        execution_timeout=600,  # a stuck cell fails the test instead of the whole run
    )
    nb = json.loads(out.read_text())
    errors = [
        o
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, errors
    html = "".join(
        "".join(o.get("data", {}).get("text/html", ""))
        for c in nb["cells"]
        for o in c.get("outputs", [])
    )
    return nb, html


@pytest.mark.parametrize("name", ["explore", "core20plus5"])
def test_help_notebook_documents_every_parameter(name: str) -> None:
    """``papermill --help-notebook`` (its click command, run in-process) lists every parameter
    with the comment the parameters cell gives it."""
    from click.testing import CliRunner
    from papermill.cli import papermill

    res = CliRunner().invoke(
        papermill, ["--help-notebook", str(ROOT / "notebooks" / f"{name}.ipynb")]
    )
    assert res.exit_code == 0, res.output
    out = res.output
    source = (ROOT / "scripts" / "notebook_sources" / f"{name}.py").read_text()
    params = source.split('PARAMETERS = """\\\n', 1)[1].split('"""', 1)[0]
    for line in params.strip().splitlines():
        pname = line.split(":", 1)[0]
        comment = line.split("#", 1)[1].strip()
        assert pname in out and comment[:30] in out, (pname, out)


def test_explore_notebook_on_the_demo(demo_config: Path, tmp_path: Path) -> None:
    nb, html = _run(
        "explore", tmp_path, config=str(demo_config), output_dir=str(tmp_path / "csv")
    )
    # the default views are ordinary outputs (kept in HTML exports), then the explorer
    assert "by national deprivation quintile (IMD)" in html
    assert "<iframe srcdoc=" in html and "Q1 (most deprived)" in html
    assert "Synthetic demonstration data" in html
    assert "open this notebook in JupyterLab" in html
    # exported without a kernel, the default views still show: the project's offline report
    # page (which refuses any network reference) and JupyterLab's own HTML export
    from nbconvert import HTMLExporter

    from hiworkbook.report import notebook_to_html

    page = notebook_to_html(tmp_path / "explore.ipynb", title="Explore", synthetic=True)
    lab_html, _ = HTMLExporter().from_filename(str(tmp_path / "explore.ipynb"))
    for exported in (page, lab_html):
        assert exported.count("<iframe srcdoc=") >= 1
        assert "hiw-breakdown-sentence" in exported and "Q1 (most deprived)" in exported
        assert "VBox(" not in exported
    # the exported notebook passes axe-core like the reports (tests/test_accessibility.py)
    from axe_utils import axe_check, axe_path, summarise
    from browser_utils import chromium_path

    if chromium_path() is not None and axe_path() is not None:
        exported_page = tmp_path / "explore.html"
        exported_page.write_text(page, encoding="utf-8")
        found = axe_check(exported_page)
        assert not found, "axe-core violations:\n" + summarise(found)
    csvs = sorted(p.name for p in (tmp_path / "csv").glob("*.csv"))
    assert csvs == [
        "hypertension_detection_by_imd_quintile.csv",
        "hypertension_detection_by_small_area.csv",
    ]


def test_core20plus5_notebook_on_the_demo(demo_config: Path, tmp_path: Path) -> None:
    nb, html = _run(
        "core20plus5",
        tmp_path,
        config=str(demo_config),
        output_dir=str(tmp_path / "csv"),
    )
    for area in (
        "Maternity",
        "Severe mental illness",
        "Chronic respiratory disease",
        "Early cancer diagnosis",
        "Hypertension case-finding",
        "Asthma (children and young people)",
    ):
        assert area in html
    assert "Core20 minus the rest" in html and "Dot plot of Core20PLUS5" in html
    assert "Synthetic demonstration data" in html
    assert sorted(p.name for p in (tmp_path / "csv").glob("*.csv")) == [
        "core20_share.csv",
        "core20_where.csv",
        "core20plus5_gaps.csv",
    ]


# ---------------------------------------------------------------- Trafford
@pytest.fixture(scope="module")
def trafford21(realdata: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from test_realdata_trafford import _workbook_2021

    return _workbook_2021(tmp_path_factory.mktemp("trafford21"), realdata)


@pytest.mark.realdata
def test_explore_notebook_on_trafford(trafford21: Path, tmp_path: Path) -> None:
    """Trafford's real files have one small-area indicator (Census 2021 bad health, persons, all
    ages): the deprivation breakdowns work; sex and age bands are not in the data and say so."""
    nb, html = _run(
        "explore",
        tmp_path,
        config=str(trafford21),
        place_code="E08000009",
        indicator="census_bad_health",
        breakdown="core20",
        output_dir=str(tmp_path / "csv"),
    )
    assert "Core20 (national IMD quintile 1)" in html and "Trafford" in html
    assert "Synthetic" not in html

    import hiworkbook as hw
    from hiworkbook.breakdowns import core20_gap, indicator_by

    place = hw.load_place(trafford21, "E08000009")
    g = core20_gap(place, "census_bad_health")
    # more bad health in Trafford's most deprived neighbourhoods: Core20 minus the rest is
    # positive and its interval excludes zero
    assert g["gap"] > 0 and g["gap_lower_ci"] > 0 and g["comparison"] == "worse"
    assert "not split by sex" in indicator_by(place, "census_bad_health", "sex").reason


@pytest.mark.realdata
def test_core20plus5_notebook_on_trafford(trafford21: Path, tmp_path: Path) -> None:
    """No Core20PLUS5 indicator in Trafford's open small-area files: the notebook gives the
    Core20 share and where they live, and says for each clinical area that there is no
    indicator (never a number it does not have)."""
    nb, html = _run(
        "core20plus5",
        tmp_path,
        config=str(trafford21),
        place_code="E08000009",
        output_dir=str(tmp_path / "csv"),
    )
    import pandas as pd

    import hiworkbook as hw

    place = hw.load_place(trafford21, "E08000009")
    a = place.areas
    core20 = int(a.loc[a["imd_decile"] <= 2, "population"].sum())
    share = pd.read_csv(tmp_path / "csv" / "core20_share.csv").iloc[0]
    assert share["core20_population"] == core20 > 0
    where = pd.read_csv(tmp_path / "csv" / "core20_where.csv")
    assert (
        set(where["level"]) == {"ward"} and where["core20_population"].sum() == core20
    )
    gaps = pd.read_csv(tmp_path / "csv" / "core20plus5_gaps.csv")
    assert gaps["gap"].isna().all() and gaps["note"].str.contains("No indicator").all()
    assert f"{core20:,}" in html
