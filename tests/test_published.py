"""Reports from published Fingertips values: comparison, profile, CI cross-check, LA notebook."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hiworkbook import published as pub
from hiworkbook.io.fingertips import FINGERTIPS_COLUMNS
from hiworkbook.validate import DataError

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata"
ROOT = Path(__file__).resolve().parents[1]
TRAFFORD, ENGLAND = "E08000009", "E92000001"


def _row(**kw) -> dict:
    r = dict.fromkeys(FINGERTIPS_COLUMNS, np.nan)
    r.update(
        indicator_name=pd.NA,
        area_name=pd.NA,
        area_type=pd.NA,
        sex="persons",
        age="All ages",
        category_type=pd.NA,
        category=pd.NA,
        value_note=pd.NA,
    )
    r.update(kw)
    return r


def _values() -> pd.DataFrame:
    """England and one area, three indicators (high is good, low is good, quintiles)."""
    rows = []
    for ind, eng in (("1", 50.0), ("2", 50.0), ("3", 50.0), ("4", 50.0)):
        rows.append(
            _row(
                indicator_id=ind,
                area_code=ENGLAND,
                period="2023",
                value=eng,
                lower_ci_95=eng - 0.1,
                upper_ci_95=eng + 0.1,
            )
        )
    rows += [
        _row(
            indicator_id="1",
            area_code="E08000001",
            period="2022",
            value=40.0,
            lower_ci_95=35.0,
            upper_ci_95=45.0,
        ),
        _row(
            indicator_id="1",
            area_code="E08000001",
            period="2023",
            value=60.0,
            lower_ci_95=55.0,
            upper_ci_95=65.0,
            area_name="<script>alert(1)</script>",
        ),
        _row(
            indicator_id="2",
            area_code="E08000001",
            period="2023",
            value=60.0,
            lower_ci_95=55.0,
            upper_ci_95=65.0,
        ),
        _row(
            indicator_id="3",
            area_code="E08000001",
            period="2023",
            value=60.0,
            lower_ci_95=55.0,
            upper_ci_95=65.0,
        ),
        _row(
            indicator_id="4",
            area_code="E08000001",
            period="2023",
            value=51.0,
            lower_ci_95=np.nan,
            upper_ci_95=np.nan,
        ),
    ]
    return pd.DataFrame(rows)[list(FINGERTIPS_COLUMNS)]


def _meta() -> pd.DataFrame:
    ci = "Confidence intervals overlapping reference value (95.0)"
    return pd.DataFrame(
        {
            "indicator_id": ["1", "2", "3", "4"],
            "indicator_name": [
                "Good <b>thing</b>",
                "Bad thing",
                "Quintile thing",
                "No CI",
            ],
            "polarity": ["high_is_good", "low_is_good", "no_judgement", "low_is_good"],
            "value_type": ["Proportion"] * 4,
            "comparison_method": [ci, ci, "Quintiles", ci],
            "confidence": [95.0, 95.0, np.nan, 95.0],
        }
    )


# ------------------------------------------------------------------------------- unit tests
def test_comparison_uses_polarity_and_not_compared_cases() -> None:
    c = pub.compare_with_benchmark(_values(), metadata=_meta())
    la = c[(c.area_code == "E08000001") & (c.period == "2023")].set_index(
        "indicator_id"
    )
    assert la.loc["1", "comparison"] == "better"  # higher, high is good
    assert la.loc["2", "comparison"] == "worse"  # higher, low is good
    assert la.loc["3", "comparison"] == "not compared"  # quintiles
    assert "quintiles" in la.loc["3", "comparison_note"]
    assert la.loc["4", "comparison"] == "not compared"  # no CI
    assert "confidence interval" in la.loc["4", "comparison_note"]
    assert (c.loc[c.area_code == ENGLAND, "comparison"] == "not compared").all()
    # no benchmark for 2022
    old = c[(c.area_code == "E08000001") & (c.period == "2022")].iloc[0]
    assert (
        old["comparison"] == "not compared"
        and old["comparison_note"] == "no benchmark value"
    )


def test_without_metadata_higher_lower_at_95() -> None:
    c = pub.compare_with_benchmark(_values())
    la = c[(c.area_code == "E08000001") & (c.period == "2023")].set_index(
        "indicator_id"
    )
    assert la.loc["1", "comparison"] == la.loc["3", "comparison"] == "higher"
    assert (la["confidence"] == 95.0).all()


def test_touching_interval_is_similar_and_99_8_needs_its_limits() -> None:
    v = _values()
    v.loc[
        (v.indicator_id == "1") & (v.period == "2023") & (v.area_code != ENGLAND),
        "lower_ci_95",
    ] = 50.0
    m = _meta()
    m.loc[1, ["comparison_method", "confidence"]] = [
        "Confidence intervals overlapping reference value (99.8)",
        99.8,
    ]
    c = pub.compare_with_benchmark(v, metadata=m)
    la = c[(c.area_code == "E08000001") & (c.period == "2023")].set_index(
        "indicator_id"
    )
    assert la.loc["1", "comparison"] == "similar"
    assert la.loc["2", "comparison"] == "not compared"
    assert la.loc["2", "comparison_note"] == "no published 99.8% confidence interval"


def test_profile_latest_period_and_escaping() -> None:
    p = pub.area_profile(_values(), "e08000001", metadata=_meta())
    assert list(p.indicator_id) == ["2", "1", "4", "3"]  # sorted by name
    one = p.set_index("indicator_id").loc["1"]
    assert one["period"] == "2023" and one["value"] == 60.0
    assert one["benchmark_value"] == 50.0
    assert p.attrs["area_name"] == "<script>alert(1)</script>"
    html = pub.profile_table(p)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "&lt;b&gt;thing" in html
    # the one benchmark grammar: colour, symbol and words of better and worse, and a legend
    from hiworkbook import benchmark as bm

    for k in ("better", "worse"):
        c = bm.category(k)
        assert c.colour in html and f"{c.symbol} {c.label}" in html
    assert "hiw-bm-legend" in html
    head = str(pub.headline(p))
    assert "<script>" not in head and "1 significantly better than England" in head
    assert "1 significantly worse than England" in head
    p22 = pub.area_profile(_values(), "E08000001", period="2022", metadata=_meta())
    assert list(p22.indicator_id) == ["1"] and p22.iloc[0]["value"] == 40.0


def test_profile_breakdown_and_repeated_periods() -> None:
    v = _values()
    extra = [
        _row(
            indicator_id="1",
            area_code="E08000001",
            period="2024",
            sex="male",
            value=10.0,
            lower_ci_95=9.0,
            upper_ci_95=11.0,
        ),
        _row(
            indicator_id="2",
            area_code="E08000001",
            period="2023",
            value=40.0,
            lower_ci_95=39.0,
            upper_ci_95=41.0,
        ),  # a second value for 2023 (quarterly)
        _row(
            indicator_id="2",
            area_code=ENGLAND,
            period="2023",
            value=45.0,
            lower_ci_95=44.9,
            upper_ci_95=45.1,
        ),
    ]
    v = pd.concat([v, pd.DataFrame(extra)], ignore_index=True)
    p = pub.area_profile(v, "E08000001", metadata=_meta()).set_index("indicator_id")
    assert p.loc["1", "sex"] == "persons"  # persons before the later male-only value
    assert p.loc["2", "period"] == "2023 (2 of 2)" and p.loc["2", "value"] == 40.0
    assert (
        p.loc["2", "benchmark_value"] == 45.0 and p.loc["2", "comparison"] == "better"
    )


def test_check_cis_on_exact_methods() -> None:
    from hiworkbook.stats import proportion, rate

    pr = proportion(pd.DataFrame({"x": [65], "n": [100]}), "x", "n", multiplier=100)
    rt = rate(pd.DataFrame({"x": [100], "n": [50_000]}), "x", "n")
    v = pd.DataFrame(
        [
            _row(
                indicator_id="1",
                area_code="E08000001",
                period="2023",
                value=65.0,
                numerator=65,
                denominator=100,
                lower_ci_95=pr.lower_ci[0],
                upper_ci_95=round(pr.upper_ci[0], 1),
            ),  # published to 1 decimal
            _row(
                indicator_id="2",
                area_code="E08000001",
                period="2023",
                value=200.0,
                numerator=100,
                denominator=50_000,
                lower_ci_95=rt.lower_ci[0],
                upper_ci_95=rt.upper_ci[0],
            ),
            _row(
                indicator_id="2",
                area_code="E08000002",
                period="2023",
                value=200.0,
                numerator=100,
                denominator=50_000,
                lower_ci_95=150.0,
                upper_ci_95=250.0,
            ),
        ]
    )[list(FINGERTIPS_COLUMNS)]
    m = _meta()
    m.loc[1, "value_type"] = "Crude rate"
    c = pub.check_published_cis(v, m)
    assert list(c["method"]) == ["Wilson", "Byar's", "Byar's"]
    assert list(c["multiplier"]) == [100, 100_000, 100_000]
    assert list(c["matches"]) == [True, True, False]


def test_missing_inputs_raise_one_clear_data_error(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(pub, "realdata_dir", lambda: tmp_path / "nowhere")
    with pytest.raises(DataError) as e:
        pub.load_profile_inputs(area_code="")
    msg = str(e.value)
    assert "parameter 'fingertips'" in msg and "parameter 'boundaries'" in msg
    assert "'area_code' is empty" in msg and "FileNotFoundError" not in msg
    with pytest.raises(DataError, match="does not exist"):
        pub.load_profile_inputs(str(tmp_path / "x.csv"), str(tmp_path / "y.geojson"))


# ------------------------------------------------------------------------------- real data
need_real = pytest.mark.skipif(
    not REAL.is_dir(),
    reason="../shared/realdata not found: real-data tests need the shared folder beside the repo",
)


@pytest.fixture(scope="module")
def trafford() -> pub.ProfileInputs:
    if not REAL.is_dir():
        pytest.skip(
            "../shared/realdata not found: real-data tests need the shared folder beside the repo"
        )
    return pub.load_profile_inputs(
        REAL / "fingertips_derived/healthdata.csv",
        REAL
        / "boundaries_england/Local_Authority_Districts_May_2024_Boundaries_UK_BSC.geojson",
        REAL / "fingertips_derived/indicators_metadata_HEAD.csv",
        area_code=TRAFFORD,
    )


@pytest.mark.realdata
def test_trafford_against_england(trafford: pub.ProfileInputs) -> None:
    p = trafford.profile
    assert trafford.area_name == "Trafford" and trafford.benchmark_name == "England"
    assert len(p) == 27 and p.indicator_id.is_unique
    assert (p.area_code == TRAFFORD).all()
    # every indicator: the comparison is what its published CI says about England's value
    for _, r in p.iterrows():
        if r["comparison"] == "not compared":
            assert isinstance(r["comparison_note"], str)
            continue
        lo, hi, eng = r["lower_ci"], r["upper_ci"], r["benchmark_value"]
        up, down = {
            "high_is_good": ("better", "worse"),
            "low_is_good": ("worse", "better"),
        }.get(r["polarity"], ("higher", "lower"))
        expect = up if lo > eng else down if hi < eng else "similar"
        assert r["comparison"] == expect, r["indicator_name"]
    by = p.set_index("indicator_id")
    assert by.loc["93085", "comparison"] == "better"  # smoking at delivery 3.8% vs 7.4%
    assert by.loc["91040", "comparison"] == "worse"
    assert by.loc["93553", "comparison"] == "not compared"  # quintiles
    assert by.loc["241", "comparison_note"] == "no published 99.8% confidence interval"
    counts = p.comparison.value_counts().to_dict()
    assert counts == {
        "not compared": 10,
        "better": 6,
        "similar": 6,
        "worse": 2,
        "higher": 1,
        "lower": 2,
    }
    # same answers from every LA row of the whole file
    full = pub.compare_with_benchmark(trafford.values, metadata=trafford.metadata)
    assert full.comparison.isin(
        ["better", "similar", "worse", "higher", "lower", "not compared"]
    ).all()


@pytest.mark.realdata
def test_recomputed_cis_match_published(trafford: pub.ProfileInputs) -> None:
    c = trafford.ci_check  # Trafford and England rows
    assert len(c) == 1935
    share = c.matches.mean()
    assert c.matches.sum() == 1638 and share > 0.84
    # exact methods: these indicators match everywhere
    s = pub.ci_check_summary(c).set_index("indicator_id")
    for ind in ("20401", "41203", "91040", "91894", "92266", "93474", "93085"):
        assert s.loc[ind, "share_matching"] == 1.0, ind
    bad = c[~c.matches]
    explained = bad[bad.explanation != ""]
    # HES counts published rounded to 5: the unrounded count reproduces every such interval
    assert set(explained.indicator_id) == {"92904", "93015", "93124"}
    # unexplained: QOF prevalence (241, 247) within 1% of the width; other methods (93701
    # children in low income families, 94103 modelled perinatal mental health)
    rest = bad[bad.explanation == ""]
    assert set(rest.indicator_id) == {"241", "247", "93701", "94103"}
    assert (
        rest.loc[rest.indicator_id.isin(["241", "247"]), "diff_share_of_width"].max()
        < 0.01
    )


@pytest.mark.realdata
def test_unknown_area_suggests(trafford: pub.ProfileInputs) -> None:
    with pytest.raises(DataError, match="'Trafford' is the name of E08000009"):
        pub.load_profile_inputs(
            REAL / "fingertips_derived/healthdata.csv",
            REAL
            / "boundaries_england/Local_Authority_Districts_May_2024_Boundaries_UK_BSC.geojson",
            area_code="Trafford",
        )
    with pytest.raises(DataError, match=r"map indicator '93058' \(did you mean"):
        pub.load_profile_inputs(
            REAL / "fingertips_derived/healthdata.csv",
            REAL
            / "boundaries_england/Local_Authority_Districts_May_2024_Boundaries_UK_BSC.geojson",
            area_code=TRAFFORD,
            map_indicator="93058",
        )


def _realdata_workbook(folder: Path) -> Path:
    """A workbook.toml naming the shared real Fingertips export, metadata and LA boundaries."""
    cfg = folder / "workbook.toml"
    cfg.write_text(
        '[workbook]\nname = "Fingertips"\n\n[files]\n'
        f'fingertips = "{REAL / "fingertips_derived/healthdata.csv"}"\n'
        f'fingertips_metadata = "{REAL / "fingertips_derived/indicators_metadata_HEAD.csv"}"\n'
        f'la_boundaries = "{REAL / "boundaries_england/Local_Authority_Districts_May_2024_Boundaries_UK_BSC.geojson"}"\n',
        encoding="utf-8",
    )
    return cfg


def test_published_workbook_config_names_its_files(tmp_path) -> None:
    from hiworkbook.config import load_config
    from hiworkbook.workspace import Workspace

    v = tmp_path / "ft.csv"
    v.write_text("x\n", encoding="utf-8")
    cfg = tmp_path / "workbook.toml"
    cfg.write_text('[files]\nfingertips = "ft.csv"\n', encoding="utf-8")
    c = load_config(
        cfg
    )  # boundaries and deprivation are not required for published values
    assert c.file("fingertips").path == v.resolve()
    with pytest.raises(DataError, match="names no local authority boundaries"):
        pub.load_workbook_profile(cfg, TRAFFORD)
    with pytest.raises(DataError, match="published values only"):
        Workspace.from_config(cfg, cache=False)
    cfg.write_text('[files]\nla_boundaries = "ft.csv"\n', encoding="utf-8")
    with pytest.raises(DataError, match="names no Fingertips export"):
        pub.load_workbook_profile(cfg, TRAFFORD)


def test_benchmark_keys_and_spine_position() -> None:
    p = pub.area_profile(_values(), "E08000001", metadata=_meta())
    p.loc[p.indicator_id == "1", "confidence"] = 99.8
    keys = pub.benchmark_keys(p).tolist()
    assert keys == ["worse", "better 99.8%", "not compared", "not compared"]
    # spine: three LAs of indicator 2 (low is good): worst 70, best 40, ours 60 → 1/3 of the way
    v = _values()
    extra = [
        _row(
            indicator_id="2",
            area_code=c,
            period="2023",
            value=x,
            lower_ci_95=x - 1,
            upper_ci_95=x + 1,
        )
        for c, x in (("E06000001", 40.0), ("E07000001", 70.0))
    ]
    v = pd.concat([v, pd.DataFrame(extra)[list(FINGERTIPS_COLUMNS)]], ignore_index=True)
    inputs = pub.ProfileInputs(
        values=v,
        metadata=_meta(),
        boundaries=None,
        area_code="E08000001",
        area_name="X",
        benchmark_code=ENGLAND,
        benchmark_name="England",
        period="latest",
        map_indicator="2",
        profile=pub.area_profile(v, "E08000001", metadata=_meta()),
    )
    d = pub.spine_table(inputs).set_index("indicator_id")
    assert (d.loc["2", "worst"], d.loc["2", "best"]) == (70.0, 40.0)
    assert d.loc["2", "position"] == pytest.approx((60 - 70) / (40 - 70))
    assert d.loc["2", "comparator_position"] == pytest.approx((50 - 70) / (40 - 70))
    assert pub.spine_chart(inputs).data.equals(pub.spine_table(inputs))


@pytest.mark.realdata
def test_la_map_in_the_benchmark_grammar(trafford: pub.ProfileInputs) -> None:
    import json

    from hiworkbook import benchmark as bm

    m = pub.la_map(
        trafford, "93085"
    )  # smoking at delivery: Trafford better than England
    page = m.to_html()
    props = [json.loads(p) for p in re.findall(r'"properties": (\{[^{}]*\})', page)]
    mine = [p for p in props if "tip" in p and "E08000009" in p["tip"]]
    assert len(mine) == 1 and mine[0]["f"] == bm.category("better").colour
    assert "▲ Better (95%)" in mine[0]["tip"]
    assert m._stats["bytes"] <= 2_000_000


@pytest.mark.realdata
@pytest.mark.slow
def test_la_profile_notebook(trafford: pub.ProfileInputs, tmp_path: Path) -> None:
    import papermill as pm

    from hiworkbook.assets import find_external_refs
    from hiworkbook.report import notebook_to_html

    out = tmp_path / "la_profile.ipynb"
    nb = pm.execute_notebook(
        str(ROOT / "notebooks" / "la_profile.ipynb"),
        str(out),
        parameters={
            "config": str(_realdata_workbook(tmp_path)),
            "area_code": TRAFFORD,
            "map_indicator": "93085",
        },
        kernel_name="python3",
        progress_bar=False,
    )
    assert not [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    html = notebook_to_html(nb, title="Trafford compared with England")
    assert find_external_refs(html) == []
    assert not re.search(r"(src|href)=\"(https?:)?//", html)
    assert "Trafford" in html and "England" in html
    assert "Smokers at time of childbirth delivery" in html
    assert "Open Government Licence v3.0" in html and "Fingertips" in html
    assert "leaflet" in html.lower()
