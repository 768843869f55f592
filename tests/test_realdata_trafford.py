"""Real-data proof: Trafford (E08000009) end to end from its published files, through the same
workbook route and report as the demo region."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

pytestmark = [pytest.mark.realdata]

INDICATORS = """
[[indicator]]
id = "census_bad_health"
name = "Residents in bad or very bad health"
measure = "proportion"
multiplier = 100
unit = "%"
polarity = "low_is_good"
ages = "All ages"
numerator = "Usual residents describing their health as bad or very bad (Census 2021)"
denominator = "All usual residents"
source = "ONS Census 2021, TS037 General health"
"""

NOTEBOOK_PARAMS = {
    "map_indicator": "census_bad_health",
    "chart_indicator": "census_bad_health",
    "gap_indicators": ["census_bad_health"],
    "ethnicity_indicators": [],
}


def _workbook_2021(folder: Path, r: Path) -> Path:
    (folder / "indicators.toml").write_text(INDICATORS)
    cfg = folder / "workbook.toml"
    cfg.write_text(
        f"""
[workbook]
name = "Trafford (real open data)"
period = "2021"
[geography]
vintage = 2021
place_levels = ["ltla", "ward"]
[files]
boundaries = "{r}/boundaries_trafford/trafford_lsoa21_generalised.geojson"
lookup = "{r}/lookups/lookup_lsoa21_ward24_ltla24.csv.gz"
deprivation = "{r}/iod2025_england_lsoa21/imd2025_england_lsoa21.csv.gz"
population = {{ path = "{r}/population_lsoa/trafford_mye2022_lsoa21_sex_syoa.csv", period = "2022" }}
counts = [{{ path = "{r}/small_area_health_trafford/census2021_general_health_lsoa21_trafford.csv", format = "census", indicator_id = "census_bad_health", numerator_categories = ["Bad health", "Very bad health"], period = "2021" }}]
indicators = ["builtin", "indicators.toml"]
[comparators]
parent = false
"""
    )
    return cfg


def _hashes(folder: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def trafford21(realdata: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _workbook_2021(tmp_path_factory.mktemp("trafford21"), realdata)


def test_trafford_2021_results(trafford21: Path) -> None:
    import hiworkbook as hw

    place = hw.load_place(trafford21, "E08000009")
    assert place.name == "Trafford" and len(place.areas) == 139
    # IoD2025: Trafford has LSOAs in both the most and least deprived national deciles
    assert (
        place.areas["imd_decile"].min() == 1 and place.areas["imd_decile"].max() == 10
    )
    # mid-2022 population by sex and single year of age, summed: about 236,000 residents
    assert 230_000 < place.population < 245_000
    res = hw.place_results(place, indicators=["census_bad_health"])
    area = res.for_indicator("census_bad_health", "area").iloc[0]
    # Census 2021 TS037: bad + very bad health over all usual residents, Trafford ≈ 4.6%
    assert 4.0 < area["value"] < 5.5
    assert area["denominator"] > 230_000
    q = res.for_indicator("census_bad_health", "imd_quintile").set_index("category")
    assert (
        q.loc["Q1 (most deprived)", "value"] > 2 * q.loc["Q5 (least deprived)", "value"]
    )
    sii = res.sii.set_index("indicator_id").loc["census_bad_health"]
    # worse health in more deprived areas: the SII (least minus most deprived end) is negative and
    # its CI excludes zero
    assert sii["sii"] < 0 and sii["upper_ci"] < 0


@pytest.mark.slow
def test_trafford_2021_report(trafford21: Path, realdata: Path, tmp_path: Path) -> None:
    from hiworkbook.batch import run_reports

    before = _hashes(realdata)
    run = run_reports(
        trafford21,
        out_dir=tmp_path,
        places=["E08000009"],
        parameters=NOTEBOOK_PARAMS,
        workers=1,
        progress=False,
    )
    # a ward with the notebook's default parameters (the demo's indicator names): the views fall
    # back to the indicators the workbook has
    ward = run_reports(
        trafford21,
        out_dir=tmp_path / "ward",
        places=["E05015258"],
        workers=1,
        progress=False,
    )
    assert not run.failed and not ward.failed, [
        f.error for f in run.failed + ward.failed
    ]
    assert (
        "Timperley North" in (tmp_path / "ward" / ward.outcomes[0].report).read_text()
    )
    html = (tmp_path / run.outcomes[0].report).read_text()
    assert "Trafford" in html and "Slope index of inequality" in html
    assert "leaflet-interactive" in html or "L.geoJson" in html or "L.geoJSON" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "Synthetic demonstration data" not in html
    assert _hashes(realdata) == before  # the user's files are never modified


def _workbook_2011(folder: Path, r: Path, *, best_fit: bool) -> Path:
    """The 2011 geography: IoD2019 File 1, LSOA 2011 boundaries, mid-2020 LSOA 2011 population.
    The Census 2021 counts are LSOA 2021, so they need a best-fit lookup to be used here."""
    import geopandas as gpd

    (folder / "indicators.toml").write_text(INDICATORS)
    if best_fit:
        # a best-fit lookup as ONS builds one: each LSOA 2021 goes to the LSOA 2011 holding its
        # representative point (ONS uses population-weighted centroids)
        a11 = gpd.read_file(
            r / "boundaries_trafford/trafford_lsoa11_generalised.geojson"
        ).to_crs(27700)
        a21 = gpd.read_file(
            r / "boundaries_trafford/trafford_lsoa21_generalised.geojson"
        ).to_crs(27700)
        pts = a21.set_geometry(a21.representative_point())
        j = gpd.sjoin(pts, a11, predicate="within", how="left")
        j[["area_code_right", "area_code_left"]].set_axis(
            ["LSOA11CD", "LSOA21CD"], axis=1
        ).to_csv(folder / "bestfit.csv", index=False)
    cfg = folder / "workbook.toml"
    cfg.write_text(
        f"""
[workbook]
name = "Trafford (real open data, 2011 geography)"
period = "2021"
[geography]
vintage = 2011
place_levels = ["ltla"]
[files]
boundaries = "{r}/boundaries_trafford/trafford_lsoa11_generalised.geojson"
lookup = "{r}/lookups/lookup_lsoa11_sicbl22_icb22_ltla22.csv.gz"
deprivation = "{r}/iod2019_england_lsoa11/File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz"
population = {{ path = "{r}/population_lsoa/population20_lsoa11_england_wales.csv.gz", period = "2020" }}
counts = [{{ path = "{r}/small_area_health_trafford/census2021_general_health_lsoa21_trafford.csv", format = "census", indicator_id = "census_bad_health", numerator_categories = ["Bad health", "Very bad health"], period = "2021" }}]
indicators = ["builtin", "indicators.toml"]
{'best_fit_lookup = "bestfit.csv"' if best_fit else ""}
[comparators]
parent = false
"""
    )
    return cfg


def test_trafford_2011_geography(realdata: Path, tmp_path: Path) -> None:
    import hiworkbook as hw

    cfg = _workbook_2011(tmp_path, realdata, best_fit=True)
    place = hw.load_place(cfg, "E08000009")
    assert place.workspace.area_col == "lsoa11_code" and len(place.areas) == 138
    # IoD2019 File 1 gives ranks and deciles (no scores); Trafford spans deciles 1 to 10
    assert (
        place.areas["imd_decile"].between(1, 10).all()
        and place.areas["imd_decile"].nunique() == 10
    )
    # mid-2020 persons by single year of age, England and Wales file: Trafford ≈ 237,000
    assert 230_000 < place.population < 245_000
    res = hw.place_results(place, indicators=["census_bad_health"])
    area = res.for_indicator("census_bad_health", "area").iloc[0]
    # converting LSOA 2021 counts to 2011 loses or invents nobody
    (tmp_path / "lsoa21").mkdir()
    place21 = hw.load_place(_workbook_2021(tmp_path / "lsoa21", realdata), "E08000009")
    res21 = hw.place_results(place21, indicators=["census_bad_health"])
    area21 = res21.for_indicator("census_bad_health", "area").iloc[0]
    assert (
        area["numerator"] == area21["numerator"]
        and area["denominator"] == area21["denominator"]
    )
    sii = res.sii.set_index("indicator_id").loc["census_bad_health"]
    assert sii["sii"] < 0 and sii["upper_ci"] < 0


def test_trafford_mixed_vintages_refused_with_names(
    realdata: Path, tmp_path: Path
) -> None:
    import hiworkbook as hw
    from hiworkbook.validate import DataError

    cfg = _workbook_2011(tmp_path, realdata, best_fit=False)
    with pytest.raises(DataError) as err:
        hw.load_place(cfg, "E08000009")
    msg = str(err.value)
    assert "census2021_general_health_lsoa21_trafford.csv" in msg
    assert "LSOA 2021" in msg and "LSOA 2011" in msg
