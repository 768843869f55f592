"""Every loader on the real open data in ../shared/realdata (skipped when the folder is absent).

Each big England file is read once per module (module-scoped fixtures) to keep this fast.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hiworkbook import io as hio
from hiworkbook.validate import ProblemLog

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata"

pytestmark = pytest.mark.realdata


@pytest.fixture(scope="module", autouse=True)
def _need_realdata() -> None:
    if not REAL.is_dir():
        pytest.skip(
            "../shared/realdata not found: real-data tests need the shared folder beside the repo"
        )


def _load(fn, rel: str, **kw):
    log = ProblemLog()
    out = fn(REAL / rel, log=log, **kw)
    assert not log.has_errors, str(log)
    assert out is not None
    return out, log


# ------------------------------------------------------------------------------- deprivation
@pytest.fixture(scope="module")
def iod19_file1():
    return _load(
        hio.load_deprivation,
        "iod2019_england_lsoa11/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz",
    )


@pytest.fixture(scope="module")
def iod25():
    return _load(
        hio.load_deprivation, "iod2025_england_lsoa21/imd2025_england_lsoa21.csv.gz"
    )


def test_iod2019_file1(iod19_file1) -> None:
    d, log = iod19_file1
    assert len(d) == 32_844 and d.attrs["vintage"] == 2011
    assert list(d.columns[:4]) == ["lsoa11_code", "imd_score", "imd_rank", "imd_decile"]
    first = d.set_index("lsoa11_code").loc["E01000001"]
    assert (
        first["imd_rank"] == 29_199 and first["imd_decile"] == 9
    )  # "29,199" in the file
    assert d["imd_rank"].min() == 1 and d["imd_rank"].max() == 32_844
    assert d["imd_decile"].value_counts().sort_index().between(3284, 3285).all()
    assert d["imd_score"].isna().all()
    derived = hio.deprivation.decile_from_rank(d["imd_rank"], 32_844)
    assert (
        derived == d["imd_decile"]
    ).all()  # the rank → decile rule matches MHCLG's deciles


def test_iod2019_file2_domains() -> None:
    d, _ = _load(
        hio.load_deprivation,
        "iod2019_england_lsoa11/File_2_-_IoD2019_Domains_of_Deprivation.csv.gz",
    )
    assert len(d) == 32_844
    for dom in (
        "income",
        "employment",
        "education",
        "health",
        "crime",
        "barriers",
        "environment",
    ):
        assert (
            d[f"{dom}_rank"].notna().all() and d[f"{dom}_decile"].between(1, 10).all()
        )


def test_iod2019_file6_is_refused_with_a_reason() -> None:
    log = ProblemLog()
    out = hio.load_deprivation(
        REAL / "iod2019_england_lsoa11/File_6_-_IoD2019_Population_Denominators.csv.gz",
        log=log,
    )
    assert out is None and "IoD File 6 (population denominators)" in str(log)


def test_iod2019_trafford_long_scores() -> None:
    rel = "iod2019_trafford_lsoa11_scores/trafford_iod2015_iod2019_lsoa11_long.csv"
    d, log = _load(hio.load_deprivation, rel, year=2019)
    assert len(d) == 138 and d.attrs["iod_year"] == 2019 and d.attrs["vintage"] == 2011
    row = d.set_index("lsoa11_code").loc["E01006074"]
    assert (
        row["imd_score"] == pytest.approx(19.534)
        and row["imd_rank"] == 14785
        and row["imd_decile"] == 5
    )
    assert row["crime_score"] == pytest.approx(-0.547)
    d15, _ = _load(hio.load_deprivation, rel, year=2015)
    assert d15.set_index("lsoa11_code").loc["E01006074", "imd_rank"] == 14072


def test_iod2025_compact(iod25) -> None:
    d, _ = iod25
    assert len(d) == 33_755 and d.attrs["vintage"] == 2021 and "lsoa21_code" in d
    assert (
        str(d["imd_decile"].dtype) == "Int64" and d["imd_decile"].between(1, 10).all()
    )
    assert d["imd_rank"].max() == 33_755 and d["imd_score"].notna().all()
    log = ProblemLog()
    assert (
        hio.load_deprivation(
            REAL / "iod2025_england_lsoa21/imd2025_england_lsoa21.csv.gz",
            log=log,
            vintage=2011,
        )
        is None
    )
    assert "has LSOA 2021 codes but the workbook uses LSOA 2011" in str(log)


# ------------------------------------------------------------------------------- boundaries
def test_lad_boundaries_repairs_invalid_polygons() -> None:
    g, log = _load(
        hio.load_boundaries,
        "boundaries_england/Local_Authority_Districts_May_2024_Boundaries_UK_BSC.geojson",
        level="ltla",
    )
    assert (
        len(g) == 361
        and g.crs.to_epsg() == 27700
        and g.attrs["code_field"] == "LAD24CD"
    )
    assert g.attrs["repaired"] > 0 and g.is_valid.all()
    assert f"has {g.attrs['repaired']} invalid polygons" in str(log)
    assert g.set_index("ltla_code").loc["E08000009", "ltla_name"] == "Trafford"


def test_icb_boundaries() -> None:
    g, _ = _load(
        hio.load_boundaries,
        "boundaries_england/Integrated_Care_Boards_April_2023_EN_BSC.geojson",
        level="icb",
    )
    assert (
        len(g) == 42
        and g["icb_code"].str.startswith("E54").all()
        and g.crs.to_epsg() == 27700
    )


def test_trafford_lsoa_boundaries() -> None:
    g21, _ = _load(
        hio.load_boundaries,
        "boundaries_trafford/trafford_lsoa21_generalised.geojson",
        vintage=2021,
    )
    assert len(g21) == 139 and list(g21.columns) == [
        "lsoa21_code",
        "area_name",
        "geometry",
    ]
    assert g21.attrs["code_field"] == "area_code"
    g11, log = _load(
        hio.load_boundaries, "boundaries_trafford/trafford_lsoa11_generalised.geojson"
    )
    assert len(g11) == 138 and g11.attrs["vintage"] == 2011 and g11.is_valid.all()
    log = ProblemLog()
    assert (
        hio.load_boundaries(
            REAL / "boundaries_trafford/trafford_lsoa11_generalised.geojson",
            log=log,
            vintage=2021,
        )
        is None
    )
    assert "has LSOA 2011 codes but the workbook uses LSOA 2021" in str(log)
    m, _ = _load(
        hio.load_boundaries,
        "boundaries_trafford/trafford_msoa21_generalised.geojson",
        level="msoa",
    )
    assert len(m) == 28


# ------------------------------------------------------------------------------- population
def test_mye2022_by_sex() -> None:
    p, _ = _load(
        hio.load_population, "population_lsoa/trafford_mye2022_lsoa21_sex_syoa.csv"
    )
    assert set(p["sex"]) == {"female", "male"} and set(p["period"]) == {"2022"}
    assert list(p["age_band"].unique()) == list(hio.population.ESP2013_BANDS)
    raw = pd.read_csv(REAL / "population_lsoa/trafford_mye2022_lsoa21_sex_syoa.csv")
    persons = raw[raw["sex"] == "Persons"]["all_ages"].sum()
    assert p["population"].sum() == persons
    assert p["lsoa21_code"].nunique() == 139


def test_mye2024_life_expectancy_bands() -> None:
    p, _ = _load(
        hio.load_population,
        "population_lsoa/trafford_mye2024_lsoa21_sex_syoa.csv",
        bands="life_expectancy",
    )
    assert list(p["age_band"].unique())[:3] == ["0", "1-4", "5-9"] and set(
        p["period"]
    ) == {"2024"}


@pytest.fixture(scope="module")
def pop2020():
    return _load(
        hio.load_population,
        "population_lsoa/population20_lsoa11_england_wales.csv.gz",
        period="2020",
    )


def test_mid2020_lsoa11_persons(pop2020) -> None:
    p, _ = pop2020
    assert (
        "lsoa11_code" in p
        and set(p["sex"]) == {"persons"}
        and p["lsoa11_code"].nunique() == 34_753
    )
    first = p[p["lsoa11_code"] == "E01011949"]
    assert first["population"].sum() == 1944 and len(first) == 19


# ------------------------------------------------------------------------------- lookups
@pytest.mark.parametrize(
    ("rel", "area_col", "n", "vintages"),
    [
        (
            "lookups/DERIVED_lsoa11_msoa11_ltla22_icb22_england.csv.gz",
            "lsoa11_code",
            32_844,
            {"ltla": 2022, "icb": 2022},
        ),
        (
            "lookups/OA11_LSOA11_MSOA11_LAD17_GB_lookup_with_classifications.csv.gz",
            "lsoa11_code",
            41_729,
            {"ltla": 2017},
        ),
        (
            "lookups/gm_oa21_lsoa21_msoa21_lad22_lookup.csv",
            "lsoa21_code",
            1_702,
            {"msoa": 2021, "ltla": 2022},
        ),
        ("lookups/lookup_lsoa11_msoa11.csv.gz", "lsoa11_code", 41_729, {"msoa": 2011}),
        (
            "lookups/lookup_lsoa11_sicbl22_icb22_ltla22.csv.gz",
            "lsoa11_code",
            32_844,
            {"subicb": 2022, "icb": 2022},
        ),
        (
            "lookups/lookup_lsoa21_icb24.csv.gz",
            "lsoa21_code",
            33_755,
            {"icb": 2024, "subicb": 2024},
        ),
        (
            "lookups/lookup_lsoa21_ward24_ltla24.csv.gz",
            "lsoa21_code",
            35_672,
            {"ward": 2024, "ltla": 2024},
        ),
    ],
)
def test_lookups(rel: str, area_col: str, n: int, vintages: dict) -> None:
    lk, _ = _load(hio.load_lookup, rel)
    assert lk.columns[0] == area_col and len(lk) == n and lk[area_col].is_unique
    for level, year in vintages.items():
        assert lk.attrs["vintages"][level] == year
        assert f"{level}_code" in lk


def test_lookup_and_boundaries_agree_for_trafford() -> None:
    lk, _ = _load(
        hio.load_lookup, "lookups/lookup_lsoa21_ward24_ltla24.csv.gz", vintage=2021
    )
    g, _ = _load(
        hio.load_boundaries, "boundaries_trafford/trafford_lsoa21_generalised.geojson"
    )
    trafford = lk[lk["ltla_code"] == "E08000009"]
    log = ProblemLog()
    assert hio.check_codes_match(
        trafford["lsoa21_code"], g["lsoa21_code"], "lookup", "boundaries", log
    ), str(log)


def test_national_file_for_one_place_is_quiet(iod25) -> None:
    g, _ = _load(
        hio.load_boundaries, "boundaries_trafford/trafford_lsoa21_generalised.geojson"
    )
    log = ProblemLog()
    assert hio.check_codes_match(
        iod25[0]["lsoa21_code"], g["lsoa21_code"], "IoD2025", "trafford", log
    )
    assert len(log) == 0


def test_wrong_vintage_is_explained(iod19_file1) -> None:
    d, _ = iod19_file1
    g, _ = _load(
        hio.load_boundaries, "boundaries_trafford/trafford_lsoa21_generalised.geojson"
    )
    log = ProblemLog()
    assert not hio.check_codes_match(
        d["lsoa11_code"], g["lsoa21_code"], "IoD2019 File 1", "trafford_lsoa21", log
    )
    assert "Likely cause: the wrong LSOA vintage" in str(log)


def test_detect_vintage_on_real_files(iod19_file1, iod25) -> None:
    assert hio.detect_lsoa_vintage(iod19_file1[0]["lsoa11_code"]).vintage == 2011
    assert hio.detect_lsoa_vintage(iod25[0]["lsoa21_code"]).vintage == 2021


# ------------------------------------------------------------------------------- census, fingertips
def test_census_general_health_trafford() -> None:
    c, _ = _load(
        hio.load_counts,
        "small_area_health_trafford/census2021_general_health_lsoa21_trafford.csv",
        format="census",
        indicator_id="bad_health",
        numerator_categories=["Bad", "Very bad"],
        vintage=2021,
    )
    assert (
        len(c) == 139
        and set(c["period"]) == {"2021"}
        and (c["numerator"] <= c["denominator"]).all()
    )
    row = c.set_index("lsoa21_code").loc["E01006109"]
    assert row["numerator"] > 0 and row["denominator"] > 1000
    assert c.attrs["categories"]["numerator"] == ["Bad health", "Very bad health"]


def test_fingertips_api_layout() -> None:
    f, _ = _load(hio.load_fingertips, "fingertips_derived/healthdata.csv")
    assert len(f) == 44_452 and list(f.columns) == list(
        hio.fingertips.FINGERTIPS_COLUMNS
    )
    assert (
        "CategoryType and Category were swapped; swapped them back" in f.attrs["fixes"]
    )
    dec = f[f["category"] == "Most deprived decile (IMD2019)"]
    assert (
        len(dec)
        and dec["category_type"].str.contains("deprivation deciles in England").all()
    )
    assert not f["category_type"].dropna().str.startswith('"').any()
    assert set(f["sex"]) <= {"female", "male", "persons"}
    assert (f.loc[f["area_code"] == "E92000001", "area_type"] == "England").all()


def test_fingertips_metadata() -> None:
    m, _ = _load(
        hio.load_fingertips_metadata, "fingertips_derived/indicators_metadata_HEAD.csv"
    )
    assert set(m["polarity"]) <= {"low_is_good", "high_is_good", "no_judgement"}
    assert m.set_index("indicator_id").loc["41101", "confidence"] == 95.0
