"""Breakdowns of an indicator for a place, the Core20 gap and the Core20PLUS5 view: checked against
numbers worked by hand from the raw demo files and against Newcombe's published intervals."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

Z = 1.959963984540054


def _wilson(x: int, n: int) -> tuple[float, float, float]:
    """Wilson score interval written out (Wilson 1927), as percentages."""
    p = x / n
    centre, half = 2 * x + Z * Z, Z * math.sqrt(Z * Z + 4 * x * (1 - p))
    d = 2 * (n + Z * Z)
    return 100 * p, 100 * (centre - half) / d, 100 * (centre + half) / d


# ---------------------------------------------------------------- the difference CI
@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "expected"),
    [
        # Newcombe RG (1998) Stat Med 17:873-90, Table II, method 10
        (56, 70, 48, 80, (0.2, 0.0524, 0.3339)),
        (9, 10, 3, 10, (0.6, 0.1705, 0.8090)),
        (5, 56, 0, 29, (0.0893, -0.0381, 0.1926)),
    ],
)
def test_difference_ci_is_newcombes_method_10(x1, n1, x2, n2, expected) -> None:
    from hiworkbook.breakdowns import difference_ci

    a, b = _wilson(x1, n1), _wilson(x2, n2)
    d, lo, hi = difference_ci(*a, *b)
    assert d / 100 == pytest.approx(expected[0], abs=5e-5)
    assert lo / 100 == pytest.approx(expected[1], abs=5e-5)
    assert hi / 100 == pytest.approx(expected[2], abs=5e-5)


def test_difference_ci_with_symmetric_limits_is_the_usual_normal_interval() -> None:
    from hiworkbook.breakdowns import difference_ci

    # 80 ± 1.2 and 83 ± 0.9 years: d = −3, half-width √(1.2² + 0.9²) = 1.5
    assert difference_ci(80, 78.8, 81.2, 83, 82.1, 83.9) == pytest.approx(
        (-3.0, -4.5, -1.5)
    )
    assert all(math.isnan(v) for v in difference_ci(1, np.nan, 2, 1, 0, 2))


# ---------------------------------------------------------------- local quintiles
def test_local_quintiles_are_population_weighted() -> None:
    """Six areas, most deprived first by score; populations 100,100,100,100,100,500 (P = 1000).
    Cumulative midpoints 50,150,250,350,450,750 → quintile ⌊5m/1000⌋+1 = 1,1,2,2,3,4 — the big
    least-deprived area is a quintile on its own, so quintiles hold ~equal population, not
    equal numbers of areas."""
    from hiworkbook.breakdowns import local_quintiles

    areas = pd.DataFrame(
        {
            "lsoa21_code": [f"E0100000{i}" for i in range(1, 7)],
            "imd_score": [60.0, 50.0, 40.0, 30.0, 20.0, 10.0],
            "imd_rank": [1, 2, 3, 4, 5, 6],
            "population": [100, 100, 100, 100, 100, 500],
        }
    )
    place = SimpleNamespace(
        areas=areas, workspace=SimpleNamespace(area_col="lsoa21_code")
    )
    got = local_quintiles(place)
    assert got.tolist() == [1, 1, 2, 2, 3, 4]


def test_local_quintiles_on_the_demo_hold_a_fifth_of_the_population_each(
    demo_workspace,
) -> None:
    from hiworkbook.breakdowns import local_quintiles

    place = demo_workspace.place("X06000001")
    lq = local_quintiles(place)
    a = place.areas.set_index(demo_workspace.area_col)
    pop = a["population"].groupby(lq).sum()
    assert list(pop.index) == [1, 2, 3, 4, 5]
    biggest = a["population"].max()
    assert (pop - pop.sum() / 5).abs().max() <= biggest
    # most deprived first: every score in Q1 at least every score in Q2
    s = a["imd_score"]
    assert s[lq == 1].min() >= s[lq == 2].max()


# ---------------------------------------------------------------- breakdown values
@pytest.fixture(scope="module")
def place(demo_workspace):
    return demo_workspace.place("X06000001", period="2024")


def _raw_counts(demo_config: Path) -> pd.DataFrame:
    return pd.read_csv(demo_config.parent / "counts.csv", dtype={"period": str})


def test_core20_rows_and_gap_worked_by_hand(place, demo_config: Path) -> None:
    """Hypertension detection (a proportion): the Core20 row is the Wilson interval of the counts
    of the place's quintile-1 areas summed from the raw file; the gap is Core20 minus the rest
    with the MOVER limits written out."""
    from hiworkbook.breakdowns import CORE20, REST, core20_gap, indicator_by

    c = _raw_counts(demo_config)
    c = c[
        (c["indicator_id"] == "hypertension_detection")
        & (c["period"] == "2024")
        & (c["ethnic_group"] == "all")
    ]
    q = place.areas.set_index("lsoa21_code")["imd_quintile"]
    c = c[c["lsoa21_code"].isin(q.index)]
    core = c[c["lsoa21_code"].map(q) == 1]
    rest = c[c["lsoa21_code"].map(q) > 1]
    a = _wilson(int(core["numerator"].sum()), int(core["denominator"].sum()))
    b = _wilson(int(rest["numerator"].sum()), int(rest["denominator"].sum()))

    bd = indicator_by(place, "hypertension_detection", "core20")
    rows = bd.rows().set_index("category")
    assert list(rows.index) == [CORE20, REST]
    assert rows.loc[CORE20, ["value", "lower_ci", "upper_ci"]].tolist() == (
        pytest.approx(list(a))
    )
    assert rows.loc[REST, ["value", "lower_ci", "upper_ci"]].tolist() == (
        pytest.approx(list(b))
    )
    g = core20_gap(place, "hypertension_detection")
    d = a[0] - b[0]
    lo = d - math.sqrt((a[0] - a[1]) ** 2 + (b[2] - b[0]) ** 2)
    hi = d + math.sqrt((a[2] - a[0]) ** 2 + (b[0] - b[1]) ** 2)
    assert g["gap"] == pytest.approx(d)
    assert g["gap"] == pytest.approx(g["group_value"] - g["rest_value"])
    assert (g["gap_lower_ci"], g["gap_upper_ci"]) == pytest.approx((lo, hi))
    assert g["significant"] is (lo > 0 or hi < 0)
    # high is good: a significant negative gap means Core20 is worse
    if g["significant"]:
        assert g["comparison"] == ("worse" if d < 0 else "better")


def test_rows_have_the_result_table_columns_and_compare_with_the_place(place) -> None:
    from hiworkbook.breakdowns import indicator_by
    from hiworkbook.results import RESULT_COLUMNS

    bd = indicator_by(place, "hypertension_detection", "imd_decile")
    assert list(bd.table.columns) == RESULT_COLUMNS
    own = bd.place_row()
    rows = bd.rows()
    assert (rows["comparator_value"] == own["value"]).all()
    assert set(rows["comparator_name"]) == {place.name}
    shown = rows[~rows["is_suppressed"]]
    worse = shown[shown["upper_ci"] < own["value"]]  # high_is_good
    assert (worse["comparison"] == "worse").all()
    similar = shown[
        (shown["lower_ci"] <= own["value"]) & (shown["upper_ci"] >= own["value"])
    ]
    assert (similar["comparison"] == "similar").all()
    # deciles partition the place: numerators add up to the place's
    assert rows["numerator"].sum() == pytest.approx(own["numerator"])


def test_sex_breakdown_of_a_dsr_and_unsupported_breakdowns_give_reasons(place) -> None:
    from hiworkbook.breakdowns import indicator_by

    sex = indicator_by(place, "mortality_u75", "sex")
    assert sex.supported and list(sex.rows()["category"]) == ["Female", "Male"]
    assert set(sex.rows()["method"].str.lower().str.contains("dobson")) == {True}

    cases = {
        ("hypertension_detection", "sex"): "not split by sex",
        ("smoking_at_delivery", "sex"): "females only",
        ("hypertension_detection", "age_band"): "no age bands",
        ("mortality_u75", "ethnic_group"): "not split by ethnic group",
        ("life_expectancy", "age_band"): "no age-band breakdown",
    }
    for (ind, b), words in cases.items():
        bd = indicator_by(place, ind, b)
        assert not bd.supported and bd.table.empty, (ind, b)
        assert words in bd.reason, (ind, b, bd.reason)
        assert words in str(bd.sentence()) and words in str(bd.html_table())
        assert words in str(bd.chart())


def test_age_bands_of_a_dsr_are_crude_age_specific_rates(place, demo_config) -> None:
    """A DSR within one band is that band's crude rate: the 70-74 row is deaths / population ×
    100,000 summed over sexes from the raw files, and the method says so."""
    from hiworkbook.breakdowns import indicator_by

    bd = indicator_by(place, "mortality_u75", "age_band")
    assert bd.supported and "crude age-specific" in bd.note
    rows = bd.rows().set_index("category")
    assert list(rows.index)[0] == "0-4" and list(rows.index)[-1] == "70-74"
    c = _raw_counts(demo_config)
    c = c[
        (c["indicator_id"] == "mortality_u75")
        & (c["period"] == "2024")
        & (c["age_band"] == "70-74")
        & c["lsoa21_code"].isin(place.areas["lsoa21_code"])
    ]
    pop = pd.read_csv(demo_config.parent / "population.csv", dtype={"period": str})
    assert c["denominator"].notna().all() or not pop.empty
    x, n = c["numerator"].sum(), c["denominator"].sum()
    r = rows.loc["70-74"]
    if not r["is_suppressed"]:
        assert r["value"] == pytest.approx(x / n * 100_000)
        assert r["numerator"] == x
    assert (rows["measure"] == "rate").all()


def test_suppression_is_applied_as_the_result_table_does(demo_workspace) -> None:
    """A tight threshold suppresses small deciles: each suppressed row is blanked and not
    compared, and a lone suppressed category brings a second one with it (secondary)."""
    from hiworkbook.breakdowns import indicator_by

    place = demo_workspace.place("X06000001", period="2024")
    bd = indicator_by(place, "infant_mortality", "imd_decile")
    rows = bd.rows()
    small = rows["is_suppressed"]
    assert small.any(), "the demo's infant deaths by decile include counts below 5"
    assert rows.loc[small, "value"].isna().all()
    assert (rows.loc[small, "comparison"] == "not compared").all()
    assert small.sum() != 1


def test_unknown_breakdown_is_a_data_error(place) -> None:
    from hiworkbook.breakdowns import indicator_by
    from hiworkbook.validate import DataError

    with pytest.raises(DataError, match="did you mean 'imd_decile'"):
        indicator_by(place, "hypertension_detection", "imd_decil")


def test_views_escape_names_and_label_synthetic(place) -> None:
    from hiworkbook.breakdowns import indicator_by

    bd = indicator_by(place, "smi_health_checks", "ethnic_group")
    name = bd.place.name
    bd.place.name = "<b>Town & Gown</b>"
    try:
        for view in (bd.sentence(), bd.html_table()):
            s = str(view)
            assert "<b>Town" not in s and "&lt;b&gt;Town &amp; Gown" in s
            assert "Synthetic demonstration data" in s
        chart = bd.chart()
        assert "Synthetic" in chart.caption and "Bar chart" in chart.alt
    finally:
        bd.place.name = name


# ---------------------------------------------------------------- Core20PLUS5
def _with_plus_groups(demo_config: Path, text: str) -> Path:
    cfg = demo_config.parent / f"workbook_plus_{abs(hash(text)) % 10**8}.toml"
    cfg.write_text(demo_config.read_text() + "\n" + text)
    return cfg


def test_core20plus5_shows_each_area_and_a_plus_group(
    demo_config: Path, demo_workspace
) -> None:
    import hiworkbook as hw
    from hiworkbook.core20plus5 import ADULT_AREAS, CYP_AREAS, core20plus5

    area = demo_workspace.places().iloc[0]
    codes = demo_workspace.place(area["place_code"]).areas["lsoa21_code"].tolist()[:40]
    cfg = _with_plus_groups(
        demo_config,
        "[core20plus5]\nplus_groups = [\n"
        '  { name = "Black residents", ethnic_groups = ["Black, Black British, Black Welsh, '
        'Caribbean or African"] },\n'
        f'  {{ name = "Riverside estates", areas = {codes!r} }},\n]\n'.replace(
            "'", '"'
        ),
    )
    place = hw.load_place(cfg, area["place_code"], period="2024")
    c5 = core20plus5(place)
    g = c5.gaps
    assert set(g["clinical_area"]) == set(ADULT_AREAS) | set(CYP_AREAS)
    # the children and young people's five have no demo indicator: said, not filled in
    cyp = g[g["clinical_area"].isin(CYP_AREAS)]
    assert (
        cyp["indicator_id"].isna().all()
        and cyp["note"].str.contains("No indicator").all()
    )
    assert cyp["gap"].isna().all()
    groups = set(g["group"].dropna())
    assert {"Black residents", "Riverside estates"} <= groups
    # the ethnic PLUS group is shown where the indicator has ethnic groups, with a reason else
    eth = g[g["group"] == "Black residents"].set_index("indicator_id")
    assert pd.notna(eth.loc["hypertension_detection", "gap"])
    assert "not split by ethnic group" in eth.loc["copd_admissions", "note"]
    riv = g[g["group"] == "Riverside estates"]
    assert (riv["gap"].notna() | riv["note"].str.contains("suppressed")).all()
    assert riv["gap"].notna().sum() >= 4
    for _, r in g[g["gap"].notna()].iterrows():
        assert r["gap"] == pytest.approx(r["group_value"] - r["rest_value"])
    html = str(c5.table())
    assert "Riverside estates" in html and "Black residents" in html
    assert "Synthetic demonstration data" in html
    words = str(c5.sentences())
    for _, r in g[g["gap"].notna()].iterrows():
        if r["significant"] is True:
            assert "significantly" in words
        else:
            assert "do not show a significant difference" in words
    share = c5.share
    a = place.areas
    assert (
        share["core20_population"] == a.loc[a["imd_quintile"] == 1, "population"].sum()
    )
    assert c5.where["core20_population"].sum() == share["core20_population"]
    assert c5.chart().alt.startswith("Dot plot")


def test_plus_group_config_errors_have_fixes(demo_config: Path) -> None:
    import hiworkbook as hw
    from hiworkbook.config import load_config
    from hiworkbook.core20plus5 import core20plus5
    from hiworkbook.validate import DataError

    bad = _with_plus_groups(
        demo_config,
        "[core20plus5]\nplus_group = []\n",
    )
    with pytest.raises(DataError, match="did you mean 'plus_groups'"):
        load_config(bad)
    bad = _with_plus_groups(
        demo_config,
        '[core20plus5]\nplus_groups = [{ name = "A", areas = ["nonsense"], colour = "red" }]\n',
    )
    with pytest.raises(DataError) as err:
        load_config(bad)
    assert "not a small-area code" in str(err.value) and "colour" in str(err.value)
    unknown = _with_plus_groups(
        demo_config,
        '[core20plus5]\nplus_groups = [{ name = "Asian", ethnic_groups = ["Asain"] },'
        ' { name = "B", areas = ["X01999999"] }]\n',
    )
    place = hw.load_place(unknown, "X06000001")
    with pytest.raises(DataError) as err:
        core20plus5(place)
    msg = str(err.value)
    assert "Asain" in msg and "X01999999" in msg and "Ethnic groups in the data" in msg


def test_unknown_core20plus5_area_in_indicators_is_refused(tmp_path: Path) -> None:
    from hiworkbook.indicators import load_indicators
    from hiworkbook.validate import DataError

    p = tmp_path / "ind.toml"
    p.write_text(
        '[[indicator]]\nid = "x"\nname = "X"\nmeasure = "proportion"\nmultiplier = 100\n'
        'unit = "%"\npolarity = "high_is_good"\ncore20plus5 = "cyp_asthma"\n'
        '[[indicator]]\nid = "y"\nname = "Y"\nmeasure = "proportion"\nmultiplier = 100\n'
        'unit = "%"\npolarity = "high_is_good"\ncore20plus5 = "hypertensoin"\n'
    )
    with pytest.raises(DataError, match="did you mean 'hypertension'"):
        load_indicators(p)


# ---------------------------------------------------------------- explore + export
def test_explore_views_and_saved_tables(place, tmp_path: Path) -> None:
    from hiworkbook.explore import explore_views
    from hiworkbook.export import save_tables

    v = explore_views(place, "hypertension_detection", "local_quintile")
    assert "Local Q1 (most deprived)" in str(v.table)
    assert "Hypertension" in v.map.title and v.map._stats["features"] == len(
        place.areas
    )
    files = save_tables(v.tables(), tmp_path / "out", synthetic=True)
    assert [f.name for f in files] == [
        "hypertension_detection_by_local_quintile.csv",
        "hypertension_detection_by_small_area.csv",
    ]
    back = pd.read_csv(files[0])
    assert (back["data_note"] == "synthetic demonstration data").all()
    assert len(back) == len(v.breakdown.table)
    assert not list((tmp_path / "out").glob(".*tmp"))
    # an unsupported breakdown still gives all four views, with the reason
    v = explore_views(place, "hypertension_detection", "sex")
    assert "not split by sex" in str(v.sentence) and "not split by sex" in str(v.chart)


def test_explorer_widget_updates_together(place) -> None:
    pytest.importorskip("ipywidgets")
    from hiworkbook.explore import NO_KERNEL_TEXT, explorer

    ex = explorer(place, "hypertension_detection", "imd_quintile")
    first = str(ex.views.sentence)
    ex.controls["indicator"].value = "smi_health_checks"
    assert ex.views.breakdown.indicator.id == "smi_health_checks"
    assert str(ex.views.sentence) != first and "mental illness" in ex.views.map.title
    ex.controls["breakdown"].value = "sex"
    assert "not split by sex" in str(ex.views.sentence)
    ex.controls["place"].value = "X06000002"
    assert ex.views.breakdown.place.code == "X06000002"
    assert ex.views.map.title.startswith(ex.views.breakdown.place.name)
    # each output widget holds its one view, set in the kernel (no captured display, which
    # Papermill's nbclient answers on the shell channel: nbclient issue #312)
    for name in ("sentence", "map", "chart", "table"):
        (shown,) = ex.outputs[name].outputs
        assert shown["output_type"] == "display_data"
        assert shown["data"]["text/html"] == getattr(ex.views, name)._repr_html_()
    bundle = ex._repr_mimebundle_()
    assert bundle["text/plain"] == NO_KERNEL_TEXT
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_batch_reports_do_not_import_widgets() -> None:
    import subprocess
    import sys

    code = (
        "import sys, hiworkbook.results, hiworkbook.breakdowns, hiworkbook.core20plus5, "
        "hiworkbook.explore, hiworkbook.export; "
        "print(any(m.startswith(('ipywidgets', 'jupyterlab')) for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
