"""The synthetic demo region: tiling, codes, deprivation, population, counts and determinism."""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from hiworkbook.demo import FILES, generate_demo, generate_england
from hiworkbook.demo.geography import rook_neighbours
from hiworkbook.demo.model import (
    ESP_BANDS,
    ETHNIC_GROUPS,
    LE_BANDS,
    N_ENGLAND,
    life_expectancy,
)

ROOT = Path(__file__).resolve().parents[1]
INDICATORS = tomllib.loads(
    (ROOT / "hiworkbook" / "data" / "indicators.toml").read_text()
)["indicator"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of a freshly generated demo region (default seed)."""
    toml = generate_demo(tmp_path_factory.mktemp("demo") / "demo")
    return toml.parent


@pytest.fixture(scope="module")
def lsoa(demo: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(demo / "boundaries.gpkg", layer="lsoa")


@pytest.fixture(scope="module")
def ltla(demo: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(demo / "boundaries.gpkg", layer="ltla")


@pytest.fixture(scope="module")
def lookup(demo: Path) -> pd.DataFrame:
    return pd.read_csv(demo / "lookup.csv")


@pytest.fixture(scope="module")
def dep(demo: Path) -> pd.DataFrame:
    return pd.read_csv(demo / "deprivation.csv")


@pytest.fixture(scope="module")
def counts(demo: Path, dep: pd.DataFrame) -> pd.DataFrame:
    c = pd.read_csv(demo / "counts.csv", dtype={"period": str})
    return c.merge(dep[["lsoa21_code", "imd_decile"]], on="lsoa21_code", validate="m:1")


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
    }


# ----------------------------------------------------------------- files and config


def test_files_and_workbook_toml(demo: Path) -> None:
    for name in (*FILES, "manifest.json"):
        assert (demo / name).is_file(), name
    cfg = tomllib.loads((demo / "workbook.toml").read_text())
    assert cfg["workbook"]["synthetic"] is True
    assert cfg["workbook"]["period"] == "2024"
    assert cfg["files"]["boundaries"] == {"path": "boundaries.gpkg", "layer": "lsoa"}
    assert cfg["comparators"]["england"]["code"] == "X92000001"
    assert cfg["disclosure"]["min_count"] == 5
    manifest = json.loads((demo / "manifest.json").read_text())
    assert manifest["parameters"]["seed"] == 20241
    assert set(manifest["files"]) == set(FILES)


def test_readme_says_synthetic(demo: Path) -> None:
    text = (demo / "README.md").read_text().lower()
    assert "synthetic" in text and "20241" in text


# ----------------------------------------------------------------- geography


def test_tiling_without_gaps_or_overlaps(lsoa: gpd.GeoDataFrame, demo: Path) -> None:
    assert lsoa.crs.to_epsg() == 27700
    assert len(lsoa) >= 500
    geoms = lsoa.geometry.values
    union = shapely.union_all(geoms)
    icb = gpd.read_file(demo / "boundaries.gpkg", layer="icb").geometry.iloc[0]
    assert union.geom_type == "Polygon"
    assert shapely.symmetric_difference(union, icb).area / icb.area < 1e-6
    assert (
        abs(shapely.area(geoms).sum() - union.area) / union.area < 1e-6
    )  # no overlaps
    assert shapely.is_valid(geoms).all()
    assert (shapely.get_type_id(geoms) == 3).all()  # each a single polygon
    # irregular outline, plausibly placed in England, about 40 km x 35 km
    minx, miny, maxx, maxy = union.bounds
    assert union.area < 0.9 * (maxx - minx) * (maxy - miny)
    assert 300_000 < minx < maxx < 500_000 and 250_000 < miny < maxy < 450_000
    assert 30_000 < maxx - minx < 50_000 and 25_000 < maxy - miny < 45_000


def test_ltlas_are_contiguous_unions(
    lsoa: gpd.GeoDataFrame, ltla: gpd.GeoDataFrame, lookup: pd.DataFrame
) -> None:
    assert len(ltla) >= 4
    merged = lsoa.merge(lookup[["lsoa21_code", "ltla_code"]], on="lsoa21_code")
    for row in ltla.itertuples():
        cells = merged.loc[merged.ltla_code == row.ltla_code].geometry.values
        union = shapely.union_all(cells)
        assert union.geom_type == "Polygon", row.ltla_name
        assert (
            shapely.symmetric_difference(union, row.geometry).area / union.area < 1e-6
        )


def test_codes_and_names(lookup: pd.DataFrame, ltla: gpd.GeoDataFrame) -> None:
    assert lookup.lsoa21_code.str.fullmatch(r"X01\d{6}").all()
    assert lookup.ltla_code.str.fullmatch(r"X06\d{6}").all()
    assert (lookup.icb_code == "X54000001").all()
    assert lookup.lsoa21_code.is_unique and lookup.lsoa21_name.is_unique
    assert not lookup.lsoa21_code.str.match(r"[EWSNKJ]").any()
    pat = re.compile(r"^(?P<ltla>.+) \d{3}[A-Z]+$")
    for name, ltla_name in zip(lookup.lsoa21_name, lookup.ltla_name, strict=True):
        m = pat.match(name)
        assert m and m["ltla"] == ltla_name
    assert set(ltla.ltla_name) == set(lookup.ltla_name)


# ----------------------------------------------------------------- deprivation


def test_deprivation_is_spatially_clustered(
    lsoa: gpd.GeoDataFrame, dep: pd.DataFrame
) -> None:
    x = lsoa.merge(dep, on="lsoa21_code").imd_score.to_numpy()
    pairs = rook_neighbours(lsoa.geometry.values)
    z = x - x.mean()
    moran = (
        len(x)
        / (2 * len(pairs))
        * (2 * (z[pairs[:, 0]] * z[pairs[:, 1]]).sum())
        / (z @ z)
    )
    assert moran > 0.3


def test_deciles_skew_deprived(dep: pd.DataFrame, lookup: pd.DataFrame) -> None:
    assert dep.imd_rank.between(1, N_ENGLAND).all() and dep.imd_rank.is_unique
    assert dep.imd_decile.between(1, 10).all()
    # rank 1 = most deprived: scores fall with rank
    assert np.corrcoef(dep.imd_rank, dep.imd_score)[0, 1] < -0.9
    assert (dep.imd_decile <= 3).sum() > (dep.imd_decile >= 8).sum()
    d = dep.merge(lookup, on="lsoa21_code")
    share_deprived = d.groupby("ltla_code").imd_decile.apply(lambda s: (s <= 3).mean())
    share_affluent = d.groupby("ltla_code").imd_decile.apply(lambda s: (s >= 8).mean())
    assert share_deprived.max() > 0.5
    assert share_affluent.max() > 0.5


# ----------------------------------------------------------------- population


def test_population(demo: Path, dep: pd.DataFrame) -> None:
    pop = pd.read_csv(demo / "population.csv", dtype={"period": str})
    assert set(pop.sex) == {"female", "male"}
    assert list(pop.age_band.drop_duplicates()) == list(ESP_BANDS)
    assert pop.period.nunique() >= 2
    tot = pop.groupby(["lsoa21_code", "period"]).population.sum()
    assert tot.between(900, 3200).all() and tot.median() > 1200
    latest = pop[pop.period == "2024"].copy()
    latest["old"] = latest.age_band.isin(ESP_BANDS[13:])
    old = latest.groupby("lsoa21_code").apply(
        lambda g: g.loc[g.old, "population"].sum() / g.population.sum(),
        include_groups=False,
    )
    s = dep.set_index("lsoa21_code").imd_score.loc[old.index]
    assert np.corrcoef(old, s)[0, 1] < -0.2
    eth = pd.read_csv(demo / "population_ethnicity.csv", dtype={"period": str})
    assert set(eth.ethnic_group) == set(ETHNIC_GROUPS)
    e_tot = eth.groupby(["lsoa21_code", "period"]).population.sum()
    assert (e_tot.sort_index() == tot.sort_index()).all()


# ----------------------------------------------------------------- counts


def test_counts_layout(counts: pd.DataFrame) -> None:
    cols = [
        "indicator_id",
        "period",
        "lsoa21_code",
        "sex",
        "age_band",
        "ethnic_group",
        "numerator",
        "denominator",
    ]
    assert list(counts.columns[:8]) == cols
    assert {i["id"] for i in INDICATORS} == set(counts.indicator_id)
    assert counts.period.nunique() >= 2
    assert pd.api.types.is_integer_dtype(counts.numerator)
    assert pd.api.types.is_integer_dtype(counts.denominator)
    assert (counts.numerator >= 0).all() and (counts.denominator >= 0).all()
    for ind in INDICATORS:
        c = counts[counts.indicator_id == ind["id"]]
        if ind["measure"] == "dsr":
            assert set(c.sex) == {"female", "male"}
            assert set(c.age_band) == set(
                ind.get("age_bands", ESP_BANDS)
            )  # all 19 if omitted
            assert set(c.ethnic_group) == {"all"}
        elif ind["measure"] == "life_expectancy":
            assert set(c.sex) == {"female", "male"}
            assert set(c.age_band) == set(LE_BANDS)
        else:
            assert set(c.age_band) == {"all"}
            assert set(c.sex) == set(ind["sexes"])
            want = (
                {"all", *ETHNIC_GROUPS}
                if "ethnic_group" in ind["breakdowns"]
                else {"all"}
            )
            assert set(c.ethnic_group) == want
            assert (c.numerator <= c.denominator).all(), ind["id"]


def test_ethnic_rows_sum_to_all(counts: pd.DataFrame) -> None:
    p = counts[counts.age_band == "all"]
    key = ["indicator_id", "period", "lsoa21_code"]
    all_rows = p[p.ethnic_group == "all"].set_index(key)[["numerator", "denominator"]]
    groups = p[p.ethnic_group != "all"].groupby(key)[["numerator", "denominator"]].sum()
    pd.testing.assert_frame_equal(all_rows.loc[groups.index], groups)


@pytest.mark.parametrize(
    ("indicator", "worse_when_deprived"),
    [
        ("mortality_u75", True),
        ("copd_admissions", True),
        ("infant_mortality", True),
        ("smoking_at_delivery", True),
        ("cancer_early_stage", False),
        ("hypertension_detection", False),
        ("smi_health_checks", False),
    ],
)
def test_deprivation_gradient(
    counts: pd.DataFrame, indicator: str, worse_when_deprived: bool
) -> None:
    c = counts[(counts.indicator_id == indicator) & (counts.ethnic_group == "all")]
    q = (c.imd_decile + 1) // 2
    g = c.groupby(q)[["numerator", "denominator"]].sum()
    rate = g.numerator / g.denominator
    most, least = rate.loc[1], rate.loc[5]
    assert (most > least) == worse_when_deprived, rate.to_dict()
    # monotone-ish: the most deprived two quintiles vs the least deprived two
    assert (rate.loc[[1, 2]].mean() > rate.loc[[4, 5]].mean()) == worse_when_deprived


def test_life_expectancy_gap(counts: pd.DataFrame) -> None:
    c = counts[counts.indicator_id == "life_expectancy"]
    for sex, (lo, hi) in {"male": (6, 13), "female": (4, 11)}.items():
        le = {}
        for q in (1, 5):
            s = c[(c.sex == sex) & ((c.imd_decile + 1) // 2 == q)]
            s = (
                s.groupby("age_band")[["numerator", "denominator"]]
                .sum()
                .loc[list(LE_BANDS)]
            )
            le[q] = life_expectancy(
                s.numerator.to_numpy(float), s.denominator.to_numpy(float)
            )
        assert lo < le[5] - le[1] < hi, (sex, le)


def test_ethnic_differences(counts: pd.DataFrame) -> None:
    c = (
        counts[counts.indicator_id == "hypertension_detection"]
        .groupby("ethnic_group")[["numerator", "denominator"]]
        .sum()
    )
    rate = c.numerator / c.denominator
    assert rate[ETHNIC_GROUPS[1]] < rate["White"]


def test_england_counts(demo: Path, counts: pd.DataFrame) -> None:
    e = pd.read_csv(demo / "england_counts.csv", dtype={"period": str})
    assert (e.area_code == "X92000001").all()
    assert (e.area_name == "England (synthetic)").all()
    assert {"sex", "age_band", "ethnic_group", "numerator", "denominator"} <= set(
        e.columns
    )
    key = ["indicator_id", "period", "sex", "age_band", "ethnic_group"]
    region = counts.groupby(key)[["numerator", "denominator"]].sum()
    eng = e.set_index(key)[["numerator", "denominator"]]
    assert set(region.index) == set(eng.index)
    assert (eng.loc[region.index] >= region).all().all()
    u75 = e[(e.indicator_id == "mortality_u75") & (e.period == "2024")]
    assert 10_000_000 < u75.denominator.sum() < 80_000_000


# ----------------------------------------------------------------- behaviour


def test_deterministic_and_reused(demo: Path, tmp_path: Path) -> None:
    other = generate_demo(tmp_path / "again").parent
    assert _hashes(other) == _hashes(demo)
    mtime = (other / "counts.csv").stat().st_mtime_ns
    assert generate_demo(other) == other / "workbook.toml"
    assert (
        other / "counts.csv"
    ).stat().st_mtime_ns == mtime  # complete: not regenerated


def test_other_seed_differs_and_overwrites_own_folder(tmp_path: Path) -> None:
    a = generate_demo(tmp_path / "d", seed=7, n_ltla=4, n_small_areas=500).parent
    h = _hashes(a)
    generate_demo(a, seed=8, n_ltla=4, n_small_areas=500)
    assert _hashes(a) != h
    assert json.loads((a / "manifest.json").read_text())["parameters"]["seed"] == 8


def test_never_replaces_a_foreign_folder(tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate_demo(foreign, overwrite=True)
    assert (foreign / "notes.txt").read_text() == "keep me"


def test_generate_england_small() -> None:
    t = generate_england(3000, seed=3)
    assert {"lookup", "deprivation", "population", "counts"} <= set(t)
    assert t["deprivation"].ltla_code.nunique() > 10
    assert set(t["counts"].indicator_id) == {i["id"] for i in INDICATORS}
    assert t["counts"].numerator.dtype == np.int32
    assert t["deprivation"].imd_decile.value_counts().min() > 250
