"""Synthetic England with polygons: structure, nesting, determinism, and a report made from it.

A reduced England (a few LTLAs at England's density) is generated through the command line, as a
user would; the full size is measured by benchmarks/bench_england.py, not here.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hiworkbook.cli import main
from hiworkbook.demo.england import (
    AREAS_PER_LTLA,
    FILES,
    build_england,
    england_ltla_names,
)


@pytest.fixture(scope="module")
def england(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A reduced synthetic England (4 LTLAs) written by ``hiworkbook generate-demo --scale 4``."""
    out = tmp_path_factory.mktemp("england") / "england"
    assert main(["generate-demo", "--scale", "4", str(out)]) == 0
    return out


def test_files_and_labels(england: Path) -> None:
    names = {p.name for p in england.iterdir()}
    assert set(FILES) | {"manifest.json"} == names
    readme = (england / "README.md").read_text()
    assert "Everything in this folder is synthetic" in readme
    toml = (england / "workbook.toml").read_text()
    assert "synthetic = true" in toml
    manifest = json.loads((england / "manifest.json").read_text())
    assert manifest["synthetic"] is True
    assert manifest["parameters"]["n_ltla"] == 4


def test_sizes_codes_and_nesting(england: Path) -> None:
    lookup = pd.read_csv(england / "lookup.csv")
    n = len(lookup)
    assert n == round(4 * AREAS_PER_LTLA)
    assert lookup["ltla_code"].nunique() == 4
    assert lookup["icb_code"].nunique() == 1
    for col in ("lsoa21_code", "ward_code", "ltla_code", "icb_code"):
        assert lookup[col].str.fullmatch(r"X\d{8}").all(), col
    # each ward and LTLA inside exactly one parent
    assert (lookup.groupby("ward_code")["ltla_code"].nunique() == 1).all()
    assert (lookup.groupby("ltla_code")["icb_code"].nunique() == 1).all()
    sizes = lookup.groupby("ward_code").size()
    assert 3 <= sizes.mean() <= 7
    lsoa = gpd.read_file(england / "boundaries.gpkg", layer="lsoa")
    ltla = gpd.read_file(england / "boundaries.gpkg", layer="ltla")
    assert list(lsoa["lsoa21_code"]) == list(lookup["lsoa21_code"])
    assert (lsoa.geom_type == "Polygon").all() and lsoa.is_valid.all()
    # the small areas form a valid coverage (shared edges vertex for vertex, no overlaps)
    assert shapely.coverage_is_valid(lsoa.geometry.values)
    # each LTLA is the union of its small areas: same area, one polygon
    by_ltla = lsoa.assign(ltla_code=lookup["ltla_code"]).dissolve("ltla_code")
    merged = ltla.set_index("ltla_code").loc[by_ltla.index]
    assert np.allclose(by_ltla.area.values, merged.area.values, rtol=1e-9)
    assert (merged.geom_type == "Polygon").all()
    # the small areas tile the country: no gaps (union area equals the sum of areas)
    total = shapely.union_all(lsoa.geometry.values)
    assert total.area == pytest.approx(lsoa.area.sum(), rel=1e-9)
    assert total.geom_type == "Polygon" and len(total.interiors) == 0


def test_tables_complete(england: Path) -> None:
    dep = pd.read_csv(england / "deprivation.csv")
    assert dep["imd_decile"].between(1, 10).all()
    assert dep["imd_decile"].nunique() == 10  # national deciles of a reduced England
    pop = pd.read_csv(england / "population.csv.gz")
    assert set(pop["period"].astype(str)) == {"2022", "2023", "2024"}
    assert set(pop["sex"]) == {"female", "male"}
    eth = pd.read_csv(england / "population_ethnicity.csv")
    assert eth["ethnic_group"].nunique() == 5
    counts = pd.read_csv(england / "counts.csv.gz")
    eng = pd.read_csv(england / "england_counts.csv")
    assert set(counts["indicator_id"]) == set(eng["indicator_id"])
    # England's counts are the sum of every small area's
    keys = ["indicator_id", "period", "sex", "age_band", "ethnic_group"]
    summed = counts.groupby(keys)["numerator"].sum().sort_index()
    eng_num = eng.set_index(keys)["numerator"].sort_index()
    eng_num.index = eng_num.index.set_levels(
        eng_num.index.levels[1].astype(str), level=1
    )
    summed.index = summed.index.set_levels(summed.index.levels[1].astype(str), level=1)
    pd.testing.assert_series_equal(summed, eng_num, check_names=False)


def test_deterministic_for_a_seed() -> None:
    a = build_england(5, n_ltla=2, periods=("2024",))
    b = build_england(5, n_ltla=2, periods=("2024",))
    c = build_england(6, n_ltla=2, periods=("2024",))
    pd.testing.assert_frame_equal(a["lookup"], b["lookup"])
    pd.testing.assert_frame_equal(a["counts"], b["counts"])
    assert (
        shapely.to_wkb(a["lsoa"].geometry.values).tolist()
        == shapely.to_wkb(b["lsoa"].geometry.values).tolist()
    )
    assert not a["deprivation"]["imd_score"].equals(c["deprivation"]["imd_score"])


def test_deaths_by_cause_are_additive() -> None:
    """With causes, five more indicators; every other table unchanged (own random stream)."""
    a = build_england(5, n_ltla=2, periods=("2024",))
    b = build_england(5, n_ltla=2, periods=("2024",), causes=True)
    extra = set(b["counts"]["indicator_id"]) - set(a["counts"]["indicator_id"])
    assert len(extra) == 5 and "mortality_other_causes" in extra
    pd.testing.assert_frame_equal(a["deprivation"], b["deprivation"])
    pd.testing.assert_frame_equal(a["population"], b["population"])
    same = b["counts"][
        b["counts"]["indicator_id"].isin(set(a["counts"]["indicator_id"]))
    ]
    assert same["numerator"].sum() == a["counts"]["numerator"].sum()
    # the causes add up to the all-cause deaths of the life-expectancy rows
    le = a["counts"][a["counts"]["indicator_id"] == "life_expectancy"][
        "numerator"
    ].sum()
    assert b["counts"][b["counts"]["indicator_id"].isin(extra)]["numerator"].sum() == le


def test_names_distinct_and_invented() -> None:
    names = england_ltla_names(296)
    assert len(set(names)) == 296
    # not the name of a real English local authority (a few that the syllables could make)
    real = {
        "Salford",
        "Wakefield",
        "Sheffield",
        "Macclesfield",
        "Chesterfield",
        "Mansfield",
    }
    assert not real & set(names)


def test_scale_argument_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["generate-demo", "--scale", "wales", str(tmp_path / "x")]) == 2
    assert "--scale must be" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_validate_and_a_report(england: Path, tmp_path: Path) -> None:
    """The workbook validates and the unchanged place report runs on it."""
    from hiworkbook.batch import run_reports
    from hiworkbook.workspace import Workspace

    ws = Workspace.from_config(england / "workbook.toml")
    places = ws.places()
    assert set(places["level"]) == {"ltla", "icb"}
    code = places.loc[places["level"] == "ltla", "place_code"].iloc[0]
    summary = run_reports(
        england / "workbook.toml",
        out_dir=tmp_path / "run",
        places=[code],
        workers=1,
        progress=False,
    )
    assert not summary.failed, summary.failed
    html = (tmp_path / "run" / summary.outcomes[0].report).read_text()
    assert "Synthetic demonstration data" in html
    assert "leaflet" in html.lower()
