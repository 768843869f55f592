"""The corpus of broken inputs (tests/bad_inputs/): each gives the exact, helpful message expected.

Every case: the loader never raises and never prints a traceback; a file with errors yields no
output at all (None), never a partial table; a file that is merely awkward (cp1252, BOM, Excel,
thousands separators) loads, with a warning where one is due; and the input file is byte-for-byte
unchanged afterwards (hashed before and after), with nothing new written beside it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from hiworkbook import io as hio
from hiworkbook.indicators import Indicator
from hiworkbook.validate import DataError, ProblemLog

HERE = Path(__file__).resolve().parent / "bad_inputs"

_IND = {
    "mortality_u75": Indicator(
        "mortality_u75",
        "Under 75 mortality",
        "dsr",
        100000,
        "per 100,000",
        "low_is_good",
    ),
    "smoking": Indicator(
        "smoking", "Smoking prevalence", "proportion", 100, "%", "low_is_good"
    ),
}


@dataclass
class Case:
    file: str
    loader: str
    expect: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    ok: bool = False  # loads (possibly with warnings) rather than failing


CASES = [
    # --- counts -------------------------------------------------------------------------
    Case(
        "counts_missing_numerator.csv",
        "counts",
        ("has no 'numerator' column", "(did you mean 'numeratr'?)"),
    ),
    Case(
        "counts_misspelt_area.csv",
        "counts",
        ("has no 'area' column", "(did you mean 'lsoa21_cod'?)"),
    ),
    Case(
        "counts_negative.csv",
        "counts",
        ("column 'numerator', row 3", "has negative counts: -3"),
    ),
    Case(
        "counts_fractional.csv",
        "counts",
        ("row 2", "has fractional counts (3.5) where whole numbers are expected"),
    ),
    Case("counts_float_integers.csv", "counts", (), ok=True),
    Case("counts_thousands.csv", "counts", (), ok=True),
    Case(
        "counts_not_number.csv",
        "counts",
        ("row 2", "has counts that are not numbers: 'abc'"),
    ),
    Case(
        "counts_suppressed.csv",
        "counts",
        ("has suppressed or redacted counts ('*')", "disclosure control"),
    ),
    Case(
        "counts_num_over_den.csv",
        "counts",
        (
            "row 3",
            "1 row where the numerator is larger than the denominator",
            "swapped",
        ),
        {"measure": "proportion"},
    ),
    Case(
        "counts_num_over_den.csv",
        "counts",
        ("numerator is larger than the denominator",),
        {"indicators": _IND},
    ),
    Case(
        "counts_duplicates.csv",
        "counts",
        ("rows 2, 3", "2 duplicate rows (same indicator, period, area", "'E01000001'"),
    ),
    Case(
        "counts_bad_age_band.csv",
        "counts",
        (
            "rows 2, 3",
            "age bands hiworkbook does not know: '0-5', '85+'",
            "'85-89', '90+'",
        ),
    ),
    Case(
        "counts_bad_sex.csv",
        "counts",
        ("sex values hiworkbook does not recognise: 'X'", "female, male or persons"),
    ),
    Case("counts_empty.csv", "counts", ("counts_empty.csv: is empty.",)),
    Case("counts_header_only.csv", "counts", ("has a header row but no data rows.",)),
    Case(
        "counts_cp1252.csv",
        "counts",
        ("is not UTF-8; read it as Windows-1252 (cp1252)", "CSV UTF-8"),
        ok=True,
    ),
    Case("counts_bom.csv", "counts", (), ok=True),
    Case("counts_excel.xlsx", "counts", (), ok=True),
    Case(
        "counts_excel_wrong_sheet.xlsx",
        "counts",
        ("has no sheet named 'Dta'", "(did you mean 'Data'?)", "'Notes', 'Data'"),
        {"sheet": "Dta"},
    ),
    Case("counts_title_rows.csv", "counts", (), ok=True),
    Case(
        "counts_mixed_vintage.csv",
        "counts",
        ("mixes LSOA vintages", "'E01000010'", "'E01033769'"),
    ),
    Case(
        "counts_wrong_vintage.csv",
        "counts",
        (
            "has LSOA 2011 codes but the workbook uses LSOA 2021",
            "'E01000010'",
            "best_fit_lookup",
        ),
        {"vintage": 2021},
    ),
    Case("counts_bad_codes.csv", "counts", ("not 9-character ONS codes: 'E0100001'",)),
    Case(
        "counts_unknown_indicator.csv",
        "counts",
        (
            "indicator ids that are not defined: 'mortality_u57'",
            "(did you mean 'mortality_u75'?)",
        ),
        {"indicators": _IND},
    ),
    Case(
        "counts_old_excel.xls",
        "counts",
        ("old-style Excel .xls", "save it as .xlsx"),
    ),
    # --- deprivation --------------------------------------------------------------------
    Case(
        "dep_file6.csv",
        "deprivation",
        ("looks like IoD File 6 (population denominators)",),
    ),
    Case("dep_bad_decile.csv", "deprivation", ("row 3", "has deciles above 10: 11")),
    Case(
        "dep_rank_only.csv",
        "deprivation",
        ("deciles were derived from the ranks among 32,844 LSOAs",),
        ok=True,
    ),
    Case(
        "dep_score_subset.csv",
        "deprivation",
        ("national ranks and deciles cannot be worked out",),
        ok=True,
    ),
    Case(
        "dep_duplicate_codes.csv",
        "deprivation",
        ("rows 2, 3", "1 LSOA code on more than one row: 'E01000001'"),
    ),
    Case(
        "dep_misspelt_code.csv",
        "deprivation",
        ("has no LSOA code column (did you mean 'LSOA cde (2011)'?)",),
    ),
    Case(
        "dep_long_years.csv",
        "deprivation",
        ("has no rows for the year 2010", "Years in the file: 2015, 2019"),
        {"year": 2010},
    ),
    Case(
        "dep_long_years.csv",
        "deprivation",
        ("holds IoD editions 2015, 2019; used the latest, 2019",),
        ok=True,
    ),
    Case(
        "dep_wrong_vintage.csv",
        "deprivation",
        (
            "has LSOA 2021 codes but the workbook uses LSOA 2011",
            "'E01033769'",
            "IoD2019 uses LSOA 2011",
        ),
        {"vintage": 2011},
    ),
    Case(
        "dep_not_numbers.csv",
        "deprivation",
        ("column 'imd_score', row 2", "scores that are not numbers: 'high'"),
    ),
    # --- population ---------------------------------------------------------------------
    Case(
        "pop_missing_ages.csv", "population", ("lacks single-year-of-age columns '17'",)
    ),
    Case(
        "pop_negative.csv",
        "population",
        ("column '5', row 2", "negative population counts: -2"),
    ),
    Case(
        "pop_no_period.csv",
        "population",
        ("has no period column and no period was given", 'period = "2022"'),
    ),
    Case(
        "pop_bad_sex.csv",
        "population",
        ("sex values hiworkbook does not recognise: 'Unknown'",),
    ),
    Case(
        "pop_long_bad_band.csv",
        "population",
        ("age bands that are not esp2013 bands: '0-5'",),
    ),
    # --- lookups ------------------------------------------------------------------------
    Case(
        "lookup_conflict.csv",
        "lookup",
        ("rows 2, 3", "puts 1 LSOAs in more than one LTLA: 'E01000001'"),
    ),
    Case("lookup_no_parent.csv", "lookup", ("has no parent geography columns",)),
    Case(
        "lookup_no_area.csv",
        "lookup",
        ("has no LSOA code column (did you mean 'LSAO21CD'?)",),
    ),
    # --- census -------------------------------------------------------------------------
    Case(
        "census_missing_category.csv",
        "census",
        (
            "has no category 'Terrible health'",
            "'Very good health', 'Bad health', 'Very bad health'",
        ),
        {
            "indicator_id": "bad_health",
            "numerator_categories": ["Bad health", "Terrible health"],
        },
    ),
    # --- fingertips ---------------------------------------------------------------------
    Case(
        "fingertips_no_value.csv",
        "fingertips",
        ("has no 'value' column (did you mean 'Valeu'?)",),
    ),
    # --- boundaries ---------------------------------------------------------------------
    Case(
        "bnd_no_prj.shp",
        "boundaries",
        ("has no coordinate reference system (CRS)", ".prj file beside the .shp"),
    ),
    Case(
        "bnd_zipped_no_prj.zip",
        "boundaries",
        ("has no coordinate reference system (CRS)", ".prj"),
    ),
    Case("bnd_zipped_shapefile.zip", "boundaries", (), ok=True),
    Case(
        "bnd_wkt.csv",
        "boundaries",
        (
            "has no coordinate reference system (CRS): a CSV of WKT",
            'crs = "EPSG:27700"',
        ),
    ),
    Case(
        "bnd_invalid.geojson",
        "boundaries",
        ("has 1 invalid polygon", "repaired with make_valid: 'E01000001'"),
        ok=True,
    ),
    Case(
        "bnd_empty_geometry.geojson",
        "boundaries",
        ("1 feature(s) with empty or missing geometry: 'E01000002'",),
    ),
    Case(
        "bnd_duplicate_codes.geojson",
        "boundaries",
        ("has 1 codes on more than one feature: 'E01000001'", "dissolve"),
    ),
    Case(
        "bnd_no_code_field.geojson",
        "boundaries",
        ("has no LSOA code field (did you mean 'lsoa_cod'?)", "code_field"),
    ),
    Case(
        "bnd_metres_as_degrees.geojson",
        "boundaries",
        ("they look like metres, e.g. British National Grid",),
    ),
    Case(
        "bnd_points.geojson",
        "boundaries",
        ("has Point geometries; boundaries must be polygons",),
    ),
    Case("bnd_empty.geojson", "boundaries", ("bnd_empty.geojson: is empty.",)),
    # --- codes in data vs boundaries ------------------------------------------------------
    Case(
        "match_data_lsoa11.csv",
        "codes_match",
        (
            "1 area code in match_data_lsoa11.csv is not in the boundaries match_boundaries_lsoa21.geojson: 'E01000010'",
            "Likely cause: the wrong LSOA vintage",
            "1 of the 2 areas in the boundaries match_boundaries_lsoa21.geojson has no rows",
            "'E01033769'",
        ),
        {"both_ways": True},
    ),
    Case(
        "match_data_typo.csv",
        "codes_match",
        ("'E01099999'", "not LSOA codes of either vintage", "typing errors"),
        {"both_ways": False},
    ),
    Case(
        "match_data_partial.csv",
        "codes_match_dep",
        (
            "1 of the 2 areas in the boundaries match_boundaries_lsoa21.geojson has no rows in match_data_partial.csv: 'E01033769'",
        ),
        {"both_ways": True},
    ),
]


def _run(case: Case, log: ProblemLog) -> Any:
    path = HERE / case.file
    opts = dict(case.options)
    if case.loader == "counts":
        return hio.load_counts(path, log=log, **opts)
    if case.loader == "deprivation":
        return hio.load_deprivation(path, log=log, **opts)
    if case.loader == "population":
        return hio.load_population(path, log=log, **opts)
    if case.loader == "lookup":
        return hio.load_lookup(path, log=log, **opts)
    if case.loader == "census":
        return hio.load_census(path, log=log, **opts)
    if case.loader == "fingertips":
        return hio.load_fingertips(path, log=log, **opts)
    if case.loader == "boundaries":
        return hio.load_boundaries(path, log=log, **opts)
    if case.loader in ("codes_match", "codes_match_dep"):
        bnd_file = HERE / "match_boundaries_lsoa21.geojson"
        bnd = hio.load_boundaries(bnd_file, log=log)
        if case.loader == "codes_match":
            data = hio.load_counts(path, log=log)
        else:
            data = hio.load_deprivation(path, log=log)
        assert bnd is not None and data is not None, str(log)
        ok = hio.check_codes_match(
            data.iloc[:, 2] if case.loader == "codes_match" else data.iloc[:, 0],
            bnd.iloc[:, 0],
            case.file,
            bnd_file.name,
            log,
            both_ways=opts["both_ways"],
        )
        return data if ok else None
    raise AssertionError(case.loader)


def _hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_corpus_is_large_enough_and_documented() -> None:
    files = {c.file for c in CASES}
    assert len(files) >= 30
    readme = (HERE / "README.md").read_text(encoding="utf-8")
    for f in files:
        assert (HERE / f).exists(), f
        assert f"`{f}`" in readme, f"{f} is not listed in tests/bad_inputs/README.md"


@pytest.mark.parametrize(
    "case", CASES, ids=lambda c: f"{c.loader}:{c.file}:{'ok' if c.ok else 'error'}"
)
def test_bad_input(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    path = HERE / case.file
    siblings = sorted(p.name for p in HERE.iterdir())
    before = _hash(path)
    log = ProblemLog()
    result = _run(case, log)  # must not raise
    text = str(log)
    assert _hash(path) == before, "the loader modified the user's file"
    assert sorted(p.name for p in HERE.iterdir()) == siblings, (
        "the loader wrote beside the user's file"
    )
    out = capsys.readouterr()
    assert "Traceback" not in text + out.out + out.err
    for fragment in case.expect:
        assert fragment in text, f"missing {fragment!r} in:\n{text}"
    if case.ok:
        assert not log.has_errors, text
        assert result is not None and len(result) > 0
    else:
        assert log.has_errors, f"expected an error, got:\n{text}"
        assert result is None, "a file with errors must give no (partial) output"
        with pytest.raises(DataError) as exc:
            log.raise_if_errors("the test")
        assert case.expect[0] in str(exc.value)


def test_awkward_files_load_with_the_right_values() -> None:
    log = ProblemLog()
    t = hio.load_counts(HERE / "counts_thousands.csv", log=log)
    assert t["numerator"].tolist() == [1234] and t["denominator"].tolist() == [29199.0]
    f = hio.load_counts(HERE / "counts_float_integers.csv", log=log)
    assert str(f["numerator"].dtype) == "Int64" and f["numerator"].tolist() == [3]
    c = hio.load_counts(HERE / "counts_cp1252.csv", log=log)
    assert c["ethnic_group"].tolist() == ["Café society £"]
    b = hio.load_counts(HERE / "counts_bom.csv", log=log)
    assert list(b.columns)[:3] == ["indicator_id", "period", "lsoa21_code"] and b[
        "sex"
    ].tolist() == ["female"]
    x = hio.load_counts(HERE / "counts_excel.xlsx", log=log)
    assert x["sex"].tolist() == ["female", "male"] and x["numerator"].tolist() == [4, 6]
    assert x["age_band"].tolist() == ["all", "all"] and x["period"].tolist() == [
        "2022",
        "2022",
    ]
    g = hio.load_boundaries(HERE / "bnd_zipped_shapefile.zip", log=log)
    assert g.crs.to_epsg() == 27700 and g["lsoa21_code"].tolist() == ["E01000001"]
    w = hio.load_boundaries(HERE / "bnd_wkt.csv", log=log, crs="EPSG:27700")
    assert w is not None and w.crs.to_epsg() == 27700
    assert not log.has_errors, str(log)


def test_row_numbers_count_title_rows() -> None:
    log = ProblemLog()
    hio.load_counts(HERE / "counts_negative.csv", log=log)
    assert log.errors[0].rows == (3,)
    log = ProblemLog()
    t = hio.load_counts(HERE / "counts_title_rows.csv", log=log)
    assert t is not None and t["numerator"].tolist() == [4]
