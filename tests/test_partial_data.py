"""Whatever data the analyst has: a report from every degraded workbook — deprivation only, no
ethnicity, one period, no comparator — and notebook parameters that name unknown or no
indicators give the problem list or a sentence, never a KeyError.

The place notebook's own code cells are executed in-process here (its parameters cell first,
then the given parameters, as Papermill injects them), so these tests exercise exactly what a
report runs without starting a kernel; one slow test runs ``hiworkbook run`` end to end.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "place_profile.ipynb"


def run_notebook_cells(params: dict) -> str:
    """Execute the place notebook's code cells in this process with ``params`` injected after
    its parameters cell; return the HTML of everything it displays."""
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    shown: list[str] = []

    def display(obj) -> None:
        shown.append(obj._repr_html_() if hasattr(obj, "_repr_html_") else str(obj))

    ns: dict = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        exec(compile(cell.source, "place_profile", "exec"), ns)  # noqa: S102
        ns["display"] = display
        if "parameters" in cell.metadata.get("tags", []):
            ns.update(params)
    return "\n".join(shown)


def _variant(
    demo_config: Path,
    folder: Path,
    *,
    counts: pd.DataFrame | None | str = "keep",
    ethnicity_population: bool = True,
    england: bool = True,
    parent: bool = True,
) -> Path:
    """A workbook over the demo's files with some removed or filtered."""
    src = demo_config.parent
    folder.mkdir(parents=True, exist_ok=True)
    files = [
        f'boundaries = {{ path = "{src / "boundaries.gpkg"}", layer = "lsoa" }}',
        f'lookup = "{src / "lookup.csv"}"',
        f'deprivation = "{src / "deprivation.csv"}"',
        f'population = "{src / "population.csv"}"',
    ]
    if ethnicity_population:
        files.append(f'population_ethnicity = "{src / "population_ethnicity.csv"}"')
    if isinstance(counts, pd.DataFrame):
        counts.to_csv(folder / "counts.csv", index=False)
        files.append('counts = ["counts.csv"]')
    elif counts == "keep":
        files.append(f'counts = ["{src / "counts.csv"}"]')
    comps = f"[comparators]\nparent = {'true' if parent else 'false'}\n"
    if england:
        comps += (
            '[comparators.england]\nname = "England (synthetic)"\ncode = "X92000001"\n'
            f'counts = "{src / "england_counts.csv"}"\n'
        )
    cfg = folder / "workbook.toml"
    cfg.write_text(
        '[workbook]\nname = "Degraded demo"\nsynthetic = true\nperiod = "2024"\n'
        '[geography]\nvintage = 2021\nplace_levels = ["ltla", "icb"]\n'
        "[files]\n" + "\n".join(files) + "\n" + comps
    )
    return cfg


@pytest.fixture(scope="module")
def demo_counts(demo_config: Path) -> pd.DataFrame:
    return pd.read_csv(demo_config.parent / "counts.csv", dtype={"period": str})


@pytest.fixture(scope="module")
def deprivation_only(demo_config: Path, tmp_path_factory) -> Path:
    return _variant(
        demo_config,
        tmp_path_factory.mktemp("deponly"),
        counts=None,
        ethnicity_population=False,
        england=False,
    )


def _no_key_errors(html: str) -> None:
    assert "KeyError" not in html and "Traceback" not in html


@pytest.mark.slow
def test_deprivation_only_report(deprivation_only: Path) -> None:
    html = run_notebook_cells({"config": str(deprivation_only), "seed": 1})
    _no_key_errors(html)
    text = re.sub(r"<[^>]+>", " ", html)
    # population, Core20 share and where they live, the deprivation map and the quintile table
    assert re.search(r"has\s+[\d,]+\s+residents", text)
    assert "Core20" in text
    assert "neighbourhoods by national IMD decile" in html
    assert "Residents of" in html and "Q1 (most deprived)" in html
    # each indicator section replaced by one sentence naming the files that would fill it
    assert html.count('class="hiw-missing"') >= 5
    assert "[files] counts" in html
    # no empty-case wording
    assert "any of the 0 indicators" not in text
    assert "0 of " not in text and "areas have a value" not in text
    assert "hypertension_detection" not in text and "mortality_u75" not in text
    assert "No indicator had counts for this place and period" in text


@pytest.mark.slow
def test_no_ethnicity(demo_config: Path, demo_counts: pd.DataFrame, tmp_path) -> None:
    cfg = _variant(
        demo_config,
        tmp_path,
        counts=demo_counts[demo_counts["ethnic_group"] == "all"],
        ethnicity_population=False,
    )
    html = run_notebook_cells({"config": str(cfg)})
    _no_key_errors(html)
    assert "No indicator in this report has counts by ethnic group" in html
    assert "population_ethnicity" in html
    # the other indicator sections are there
    assert "hiw-chart" in html and "<table class='hiw-table'>" in html


@pytest.mark.slow
def test_one_period_only(
    demo_config: Path, demo_counts: pd.DataFrame, tmp_path
) -> None:
    cfg = _variant(
        demo_config, tmp_path, counts=demo_counts[demo_counts["period"] == "2024"]
    )
    html = run_notebook_cells({"config": str(cfg)})
    _no_key_errors(html)
    assert "significantly" in html and "hiw-chart" in html


@pytest.mark.slow
def test_one_period_other_than_default(
    demo_config: Path, demo_counts: pd.DataFrame, tmp_path
) -> None:
    """The workbook's default period (2024) has no counts: every indicator section says so."""
    cfg = _variant(
        demo_config, tmp_path, counts=demo_counts[demo_counts["period"] == "2022"]
    )
    html = run_notebook_cells({"config": str(cfg)})
    _no_key_errors(html)
    assert "No indicator has counts for" in html and "2024" in html


@pytest.mark.slow
def test_no_comparator(demo_config: Path, tmp_path) -> None:
    cfg = _variant(demo_config, tmp_path, england=False, parent=False)
    html = run_notebook_cells({"config": str(cfg)})
    _no_key_errors(html)
    assert "not compared with another area" in html
    assert "[comparators] parent = true" in html


@pytest.mark.slow
def test_unknown_indicator_parameter_gets_the_problem_list(demo_config: Path) -> None:
    from hiworkbook.validate import DataError

    with pytest.raises(DataError) as err:
        run_notebook_cells(
            {"config": str(demo_config), "map_indicator": "hypertension_detecton"}
        )
    msg = str(err.value)
    assert "hypertension_detecton" in msg and "hypertension_detection" in msg


def test_unknown_indicator_in_list_parameters(demo_config: Path) -> None:
    from hiworkbook.validate import DataError

    with pytest.raises(DataError) as err:
        run_notebook_cells(
            {"config": str(demo_config), "gap_indicators": ["mortality_u57"]}
        )
    assert "mortality_u75" in str(err.value)


@pytest.mark.slow
def test_empty_string_parameters(demo_config: Path) -> None:
    html = run_notebook_cells(
        {
            "config": str(demo_config),
            "place_code": "",
            "period": "",
            "comparator": "",
            "map_indicator": "",
            "chart_indicator": "",
            "gap_indicators": [],
            "ethnicity_indicators": [],
        }
    )
    _no_key_errors(html)
    # empty names fall back to indicators the place has
    assert "by neighbourhood" in html and "hiw-chart" in html


@pytest.mark.slow
def test_default_parameters_on_a_workbook_without_those_indicators(
    demo_config: Path, demo_counts: pd.DataFrame, tmp_path
) -> None:
    """The notebook's defaults name mortality_u75 and hypertension_detection; a workbook with
    other indicators only falls back to them."""
    keep = demo_counts["indicator_id"].isin(["copd_admissions", "smoking_at_delivery"])
    cfg = _variant(demo_config, tmp_path, counts=demo_counts[keep])
    html = run_notebook_cells({"config": str(cfg)})
    _no_key_errors(html)
    assert "COPD" in html and "hiw-chart" in html


def test_validate_says_what_reports_lack(deprivation_only: Path) -> None:
    import contextlib
    import io

    from hiworkbook.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["validate", str(deprivation_only)]) == 0
    text = out.getvalue()
    assert "No counts: reports will show residents" in text
    assert "[files] counts" in text
    assert "Disclosure control: suppress" in text and "cached in" in text


def test_init_template_says_counts_are_optional(tmp_path) -> None:
    from hiworkbook.config import TEMPLATE

    assert "optional" in TEMPLATE.lower()
    counts_part = TEMPLATE[TEMPLATE.index("# Event counts") :]
    assert "optional" in counts_part[:400].lower()


def test_partial_boundaries_warn_with_place_count_codes_and_fix(
    demo_config: Path, tmp_path
) -> None:
    """Boundaries covering 20 of a place's small areas: one warning naming the place, how many
    are missing, some codes and the fix."""
    import geopandas as gpd

    from hiworkbook.workspace import Workspace

    src = demo_config.parent
    lookup = pd.read_csv(src / "lookup.csv")
    first = lookup["ltla_code"].iloc[0]
    mine = lookup.loc[lookup["ltla_code"] == first, "lsoa21_code"]
    others = lookup.loc[lookup["ltla_code"] != first, "lsoa21_code"]
    keep = set(mine.iloc[:20]) | set(others)
    b = gpd.read_file(src / "boundaries.gpkg", layer="lsoa")
    b[b["lsoa21_code"].isin(keep)].to_file(tmp_path / "part.gpkg", layer="lsoa")
    dep = pd.read_csv(src / "deprivation.csv")
    dep[dep.iloc[:, 0].isin(keep)].to_csv(tmp_path / "dep.csv", index=False)
    pop = pd.read_csv(src / "population.csv")
    pop[pop.iloc[:, 0].isin(keep)].to_csv(tmp_path / "pop.csv", index=False)
    cfg = tmp_path / "workbook.toml"
    cfg.write_text(
        '[workbook]\nname = "Partial"\nsynthetic = true\n'
        '[geography]\nvintage = 2021\nplace_levels = ["ltla"]\n'
        '[files]\nboundaries = { path = "part.gpkg", layer = "lsoa" }\n'
        f'lookup = "{src / "lookup.csv"}"\ndeprivation = "dep.csv"\npopulation = "pop.csv"\n'
    )
    ws = Workspace.from_config(cfg, cache=False)
    msgs = [str(w) for w in ws.warnings if "not in the boundaries" in str(w)]
    assert len(msgs) == 1, [str(w) for w in ws.warnings]
    name = lookup.loc[lookup["ltla_code"] == first, "ltla_name"].iloc[0]
    n_missing = len(mine) - 20
    assert name in msgs[0] and first in msgs[0]
    assert f"{len(mine)} small areas in the lookup but {n_missing} of them" in msgs[0]
    assert sorted(set(mine) - keep)[0] in msgs[0]
    assert "covering the whole place" in msgs[0]


@pytest.mark.slow
def test_hiworkbook_run_on_a_deprivation_only_workbook(
    deprivation_only: Path, tmp_path
) -> None:
    """The user's route: `hiworkbook run` writes a report and its figures for a place."""
    from hiworkbook.cli import main

    code = pd.read_csv(
        Path(re.search(r'lookup = "([^"]+)"', deprivation_only.read_text()).group(1))
    )["ltla_code"].iloc[0]
    out = tmp_path / "run"
    rc = main(
        [
            "run",
            str(deprivation_only),
            "--places",
            code,
            "--out",
            str(out),
            "--workers",
            "1",
            "--no-progress",
        ]
    )
    assert rc == 0, json.loads((out / "run.json").read_text())["places"]
    html = (out / code / "place_profile.html").read_text()
    assert "Core20" in html and 'class="hiw-missing"' in html
    assert (out / code).glob("*_deprivation.csv")


def test_run_with_an_unknown_indicator_parameter_stops_before_any_report(
    demo_config: Path, tmp_path, capsys
) -> None:
    from hiworkbook.cli import main

    rc = main(
        [
            "run",
            str(demo_config),
            "--out",
            str(tmp_path / "run"),
            "-p",
            "map_indicator",
            "hypertension_detecton",
            "-p",
            "gap_indicators",
            '["mortality_u57", ""]',
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1
    assert "did you mean 'hypertension_detection'" in err.lower()
    assert "mortality_u57" in err and "mortality_u75" in err
    assert "Traceback" not in err and "KeyError" not in err
    assert not (tmp_path / "run" / "index.html").exists()
