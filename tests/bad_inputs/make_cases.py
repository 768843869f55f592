"""Regenerate the broken input files in this folder (run once; the files are committed).

    python tests/bad_inputs/make_cases.py

Most cases are a few lines of text written here verbatim; the Excel workbooks, the shapefile and
the zip are binary, so they are written with openpyxl, pyogrio and zipfile.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
H = "indicator_id,period,lsoa21_code,sex,age_band,numerator,denominator\n"

TEXT: dict[str, str | bytes] = {
    # --- counts -------------------------------------------------------------------------
    "counts_missing_numerator.csv": "indicator_id,period,lsoa21_code,numeratr\nsmoking,2022,E01000001,4\n",
    "counts_misspelt_area.csv": "indicator_id,period,lsoa21_cod,numerator\nsmoking,2022,E01000001,4\n",
    "counts_negative.csv": H
    + "smoking,2022,E01000001,persons,all,4,100\nsmoking,2022,E01000002,persons,all,-3,100\n",
    "counts_fractional.csv": H + "smoking,2022,E01000001,persons,all,3.5,100\n",
    "counts_float_integers.csv": H + "smoking,2022,E01000001,persons,all,3.0,100.0\n",
    "counts_thousands.csv": H + 'smoking,2022,E01000001,persons,all,"1,234","29,199"\n',
    "counts_not_number.csv": H + "smoking,2022,E01000001,persons,all,abc,100\n",
    "counts_suppressed.csv": H + "smoking,2022,E01000001,persons,all,*,100\n",
    "counts_num_over_den.csv": H
    + "smoking,2022,E01000001,persons,all,4,100\nsmoking,2022,E01000002,persons,all,120,100\n",
    "counts_duplicates.csv": H
    + "smoking,2022,E01000001,persons,all,4,100\nsmoking,2022,E01000001,persons,all,5,100\n",
    "counts_bad_age_band.csv": H
    + "smoking,2022,E01000001,persons,0-5,4,100\nsmoking,2022,E01000001,persons,85+,4,100\n",
    "counts_bad_sex.csv": H + "smoking,2022,E01000001,X,all,4,100\n",
    "counts_empty.csv": "",
    "counts_header_only.csv": H,
    "counts_cp1252.csv": (
        "indicator_id,period,lsoa21_code,ethnic_group,numerator\n"
        "smoking,2022,E01000001,Caf\xe9 society \xa3,4\n"
    ).encode("cp1252"),
    "counts_bom.csv": b"\xef\xbb\xbf"
    + (H + "smoking,2022,E01000001,F,all,4,100\n").encode(),
    "counts_mixed_vintage.csv": H
    + "smoking,2022,E01000010,persons,all,4,100\nsmoking,2022,E01033769,persons,all,4,100\n",
    "counts_wrong_vintage.csv": "indicator_id,period,lsoa_code,numerator\nsmoking,2022,E01000010,4\nsmoking,2022,E01000023,5\n",
    "counts_bad_codes.csv": H + "smoking,2022,E0100001,persons,all,4,100\n",
    "counts_unknown_indicator.csv": H
    + "mortality_u57,2022,E01000001,persons,all,4,100\n",
    "counts_old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
    "counts_title_rows.csv": "Smoking counts, 2022\nSource: GP records\n\n"
    + H
    + "smoking,2022,E01000001,persons,all,4,100\n",
    # --- deprivation --------------------------------------------------------------------
    "dep_file6.csv": (
        "LSOA code (2011),LSOA name (2011),Total population: mid 2015 (excluding prisoners)\n"
        'E01000001,City of London 001A,"1,296"\n'
    ),
    "dep_bad_decile.csv": (
        "LSOA code (2011),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile\n"
        '"E01000001","29,199",9\nE01000002,"30,379",11\n'
    ),
    "dep_rank_only.csv": (
        "LSOA code (2011),Index of Multiple Deprivation (IMD) Rank (where 1 is most deprived)\n"
        'E01000001,"29,199"\nE01000002,1\n'
    ),
    "dep_score_subset.csv": "lsoa21_code,IMD_score\nE01000001,8.742\nE01000002,4.722\n",
    "dep_duplicate_codes.csv": "lsoa21_code,IMD_decile,IMD_rank\nE01000001,8.0,26525.0\nE01000001,8.0,26525.0\n",
    "dep_misspelt_code.csv": "LSOA cde (2011),Index of Multiple Deprivation (IMD) Decile\nE01000001,9\n",
    "dep_long_years.csv": (
        "lsoa11cd,index_domain,decile,rank,score,year\n"
        "E01000001,Index of Multiple Deprivation,9,29199,6.2,2019\n"
        "E01000001,Index of Multiple Deprivation,9,29100,6.1,2015\n"
    ),
    "dep_wrong_vintage.csv": "lsoa21_code,IMD_decile\nE01000001,8\nE01033769,3\n",
    "dep_not_numbers.csv": "lsoa21_code,imd_score,imd_rank,imd_decile\nE01000001,high,1,1\n",
    # --- population ---------------------------------------------------------------------
    "pop_missing_ages.csv": "lsoa21_code,period,"
    + ",".join(str(a) for a in range(91) if a != 17)
    + "\nE01000001,2022,"
    + ",".join("1" for a in range(91) if a != 17)
    + "\n",
    "pop_negative.csv": "lsoa21_code,period,sex,"
    + ",".join(str(a) for a in range(90))
    + ",90+\nE01000001,2022,F,"
    + ",".join("-2" if a == 5 else "1" for a in range(91))
    + "\n",
    "pop_no_period.csv": "lsoa21_code,"
    + ",".join(str(a) for a in range(91))
    + "\nE01000001,"
    + ",".join("1" for _ in range(91))
    + "\n",
    "pop_bad_sex.csv": "lsoa21_code,period,sex,"
    + ",".join(str(a) for a in range(91))
    + "\nE01000001,2022,Unknown,"
    + ",".join("1" for _ in range(91))
    + "\n",
    "pop_long_bad_band.csv": "lsoa21_code,period,sex,age_band,population\nE01000001,2022,female,0-5,10\n",
    # --- lookups ------------------------------------------------------------------------
    "lookup_conflict.csv": "LSOA21CD,LSOA21NM,LAD22CD,LAD22NM\nE01000001,City 001A,E09000001,City\nE01000001,City 001A,E09000002,Barking\n",
    "lookup_no_parent.csv": "LSOA21CD,LSOA21NM\nE01000001,City 001A\n",
    "lookup_no_area.csv": "LSAO21CD,LAD22CD\nE01000001,E09000001\n",
    # --- census -------------------------------------------------------------------------
    "census_missing_category.csv": (
        "area_code,general_health,measure,value\n"
        "E01000001,Very good health,Count,500\nE01000001,Bad health,Count,50\nE01000001,Very bad health,Count,10\n"
    ),
    # --- fingertips ---------------------------------------------------------------------
    "fingertips_no_value.csv": (
        "Indicator ID,Indicator Name,Area Code,Area Name,Sex,Age,Time period,Valeu,Count,Denominator\n"
        "90366,Life expectancy at birth,E92000001,England,Male,All ages,2020 - 22,78.9,,\n"
    ),
    # --- boundaries ---------------------------------------------------------------------
    "bnd_wkt.csv": 'lsoa21_code,geometry\nE01000001,"POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))"\n',
    "bnd_invalid.geojson": (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"LSOA21CD":"E01000001","LSOA21NM":"A"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[-0.1,51.5],[-0.09,51.51],[-0.09,51.5],[-0.1,51.51],[-0.1,51.5]]]}},'
        '{"type":"Feature","properties":{"LSOA21CD":"E01000002","LSOA21NM":"B"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[-0.1,51.52],[-0.09,51.52],[-0.09,51.53],[-0.1,51.53],[-0.1,51.52]]]}}]}\n'
    ),
    "bnd_empty_geometry.geojson": (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"LSOA21CD":"E01000001"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[-0.1,51.5],[-0.09,51.5],[-0.09,51.51],[-0.1,51.51],[-0.1,51.5]]]}},'
        '{"type":"Feature","properties":{"LSOA21CD":"E01000002"},"geometry":null}]}\n'
    ),
    "bnd_duplicate_codes.geojson": (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"LSOA21CD":"E01000001"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[-0.1,51.5],[-0.09,51.5],[-0.09,51.51],[-0.1,51.51],[-0.1,51.5]]]}},'
        '{"type":"Feature","properties":{"LSOA21CD":"E01000001"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[-0.1,51.52],[-0.09,51.52],[-0.09,51.53],[-0.1,51.53],[-0.1,51.52]]]}}]}\n'
    ),
    "bnd_no_code_field.geojson": (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"lsoa_cod":"E01000001"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[-0.1,51.5],[-0.09,51.5],[-0.09,51.51],[-0.1,51.51],[-0.1,51.5]]]}}]}\n'
    ),
    "bnd_metres_as_degrees.geojson": (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"LSOA21CD":"E01000001"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[530000,180000],[531000,180000],[531000,181000],[530000,181000],[530000,180000]]]}}]}\n'
    ),
    "bnd_points.geojson": (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"LSOA21CD":"E01000001"},"geometry":{"type":"Point","coordinates":[-0.1,51.5]}}]}\n'
    ),
    "bnd_empty.geojson": "",
    # --- codes in data vs boundaries ------------------------------------------------------
    "match_data_lsoa11.csv": "indicator_id,period,lsoa_code,numerator\nsmoking,2022,E01000001,4\nsmoking,2022,E01000010,5\n",
    "match_boundaries_lsoa21.geojson": (
        '{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{"area_code":"E01000001"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[-0.1,51.5],[-0.09,51.5],[-0.09,51.51],[-0.1,51.51],[-0.1,51.5]]]}},'
        '{"type":"Feature","properties":{"area_code":"E01033769"},"geometry":{"type":"Polygon",'
        '"coordinates":[[[-0.1,51.52],[-0.09,51.52],[-0.09,51.53],[-0.1,51.53],[-0.1,51.52]]]}}]}\n'
    ),
    "match_data_typo.csv": "indicator_id,period,lsoa21_code,numerator\nsmoking,2022,E01000001,4\nsmoking,2022,E01099999,5\n",
    "match_data_partial.csv": "lsoa21_code,IMD_decile\nE01000001,8\n",
}


def _excel() -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Notes"
    ws.append(["Smoking counts, made up for the tests"])
    ws2 = wb.create_sheet("Data")
    ws2.append(
        [
            "Indicator ID",
            "Period",
            "LSOA21CD",
            "Sex",
            "Age band",
            "Count",
            "Denominator",
        ]
    )
    ws2.append(["smoking", 2022, "E01000001", "Female", "All", 4, 100])
    ws2.append(["smoking", 2022, "E01000002", "Male", "all", 6.0, 120])
    wb.save(HERE / "counts_excel.xlsx")
    wb.save(HERE / "counts_excel_wrong_sheet.xlsx")


def _shapefiles() -> None:
    import geopandas as gpd
    from shapely.geometry import box

    gdf = gpd.GeoDataFrame(
        {"LSOA21CD": ["E01000001"], "LSOA21NM": ["City of London 001A"]},
        geometry=[box(530000, 180000, 531000, 181000)],
        crs="EPSG:27700",
    )
    tmp = HERE / "_tmp_shp"
    tmp.mkdir(exist_ok=True)
    gdf.to_file(tmp / "bnd_no_prj.shp")
    for ext in (".shp", ".shx", ".dbf"):
        (HERE / f"bnd_no_prj{ext}").write_bytes((tmp / f"bnd_no_prj{ext}").read_bytes())
    with zipfile.ZipFile(HERE / "bnd_zipped_shapefile.zip", "w") as zf:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            zf.write(tmp / f"bnd_no_prj{ext}", f"lsoa21{ext}")
    with zipfile.ZipFile(HERE / "bnd_zipped_no_prj.zip", "w") as zf:
        for ext in (".shp", ".shx", ".dbf"):
            zf.write(tmp / f"bnd_no_prj{ext}", f"lsoa21{ext}")
    for f in tmp.iterdir():
        f.unlink()
    tmp.rmdir()


def main() -> None:
    for name, body in TEXT.items():
        data = body if isinstance(body, bytes) else body.encode("utf-8")
        (HERE / name).write_bytes(data)
    _excel()
    _shapefiles()


if __name__ == "__main__":
    main()
