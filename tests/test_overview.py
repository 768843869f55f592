"""Cross-place overview: place summaries, the run index (sortable, searchable, CSV), the league
table and the tartan rug."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import hiworkbook as hw
from hiworkbook import overview as ov


@pytest.fixture(scope="module")
def results(demo_workspace):
    return hw.place_results(demo_workspace.place("X06000001"))


@pytest.fixture(scope="module")
def summary(results) -> dict:
    return ov.place_summary(results, chart_indicator="mortality_u75")


def _s(code: str, name: str, **kw) -> dict:
    base = {
        "place_code": code,
        "place_name": name,
        "level": "ltla",
        "comparator": "England",
        "core20_share": 0.2,
        "n_worse": 1,
        "n_compared": 8,
        "sii_indicator_name": "Under 75 mortality",
        "sii_unit": "per 100,000",
        "sii_polarity": "low_is_good",
        "sii": -100.0,
        "sii_lower_ci": -150.0,
        "sii_upper_ci": -50.0,
        "sii_assessment": "worse",
        "core20_gap": 120.0,
        "core20_gap_assessment": "worse",
        "le_gap_years": 8.0,
        "le_gap_assessment": "worse",
        "le_gap_largest_contributor": None,
    }
    base.update(kw)
    return base


def test_summary_figures_from_the_small_areas(summary, demo_workspace) -> None:
    """Core20 share worked from the areas' own populations and deciles (1-2 = most deprived
    20% of England), not from the result table."""
    place = demo_workspace.place("X06000001")
    a = place.areas
    core20 = a.loc[a["imd_decile"] <= 2, "population"].sum()
    assert summary["population"] == a["population"].sum()
    assert summary["core20_share"] == pytest.approx(core20 / a["population"].sum())
    assert summary["place_code"] == "X06000001" and summary["level"] == "ltla"
    json.dumps(summary, allow_nan=False)  # plain JSON values only


def test_summary_agrees_with_the_result_table(summary, results) -> None:
    t = results.summary()
    shown = t[~t["is_suppressed"]]
    assert summary["n_worse"] == int((shown["comparison"] == "worse").sum())
    assert summary["n_indicators"] == len(t)
    s = results.sii[
        (results.sii["indicator_id"] == "mortality_u75")
        & (results.sii["sex"] == summary["sii_sex"])
    ]
    # the same signed SII as the report (least deprived minus most deprived end)
    assert summary["sii"] == pytest.approx(float(s["sii"].iloc[0]))
    assert summary["sii"] < 0  # under-75 mortality is higher at the most deprived end
    assert summary["sii_assessment"] == "worse"
    # a quintile hidden to protect a count in another report leaves no gap to state
    q = results.for_indicator("mortality_u75", "imd_quintile").set_index("category")
    ends = q.loc[["Q1 (most deprived)", "Q5 (least deprived)"]]
    if ends["is_suppressed"].any():
        assert summary["core20_gap"] is None
        assert summary["core20_gap_assessment"] == "suppressed"
    else:
        v = ends[ends["sex"] == summary["core20_gap_sex"]]["value"]
        assert summary["core20_gap"] == pytest.approx(v.iloc[0] - v.iloc[1])


def test_summary_gap_is_the_shown_quintiles_difference(results) -> None:
    """For an indicator whose two end quintiles are shown, the Core20 gap is Q1 minus Q5 of the
    result table (same sex as the summary says)."""
    q = results.table[results.table["breakdown"] == "imd_quintile"]
    ends = q[q["category"].isin(["Q1 (most deprived)", "Q5 (least deprived)"])]
    ok = ends.groupby(["indicator_id", "sex"])["is_suppressed"].agg(
        lambda s: len(s) == 2 and not s.any()
    )
    ind = ok[ok].index.get_level_values("indicator_id")
    assert len(ind), "some indicator shows both end quintiles in the demo"
    summary = ov.place_summary(results, chart_indicator=ind[0])
    assert summary["core20_gap"] is not None
    v = ends[
        (ends["indicator_id"] == ind[0]) & (ends["sex"] == summary["core20_gap_sex"])
    ]
    v = v.set_index("category")["value"]
    assert summary["core20_gap"] == pytest.approx(
        v["Q1 (most deprived)"] - v["Q5 (least deprived)"]
    )


@pytest.mark.parametrize(
    ("gap", "polarity", "significant", "word"),
    [
        (10.0, "low_is_good", True, "worse"),
        (-10.0, "low_is_good", True, "better"),
        (-10.0, "high_is_good", True, "worse"),
        (10.0, "high_is_good", True, "better"),
        (10.0, "no_judgement", True, "higher"),
        (-10.0, "no_judgement", True, "lower"),
        (10.0, "low_is_good", False, "similar"),
    ],
)
def test_benchmark_word_of_a_gap(gap, polarity, significant, word) -> None:
    assert ov._direction(gap, polarity, significant) == word


def test_largest_contributor_from_the_decomposition(demo_workspace) -> None:
    from hiworkbook import lifegap

    place = demo_workspace.place("X06000003")
    r = hw.place_results(place)
    s = ov.place_summary(r)
    g = lifegap.le_gap(place, "quintile", period=r.period)
    by = g.by_cause(s["le_gap_sex"])
    top = by.abs().idxmax()
    assert s["le_gap_largest_contributor"].startswith(f"{top} ({by[top]:+.1f} of ")
    assert ov.place_summary(r, le_gap=None)["le_gap_largest_contributor"] is None


def test_save_and_read_summary(results, tmp_path: Path) -> None:
    assert ov.save_place_summary(results, "") is None
    path = ov.save_place_summary(results, tmp_path / "X06000001")
    assert path.name == "summary.json"
    back = ov.read_summaries(tmp_path)
    assert set(back) == {"X06000001"}
    assert not list(tmp_path.glob("X06000001/.*tmp"))


def test_league_table_ranks_widest_gap_first() -> None:
    rows = [
        _s("X06000001", "A", sii=-50.0, le_gap_years=5.0),
        _s("X06000002", "B", sii=-300.0, le_gap_years=9.5),
        _s("X06000003", "C", sii=None, le_gap_years=None),
    ]
    le = ov.league_table(rows)
    assert list(le["place_code"]) == ["X06000002", "X06000001", "X06000003"]
    assert list(le["rank"].astype("float").fillna(0)) == [1, 2, 0]
    sii = ov.league_table(rows, by="sii")  # low is good: most negative SII = widest gap
    assert list(sii["place_code"][:2]) == ["X06000002", "X06000001"]
    with pytest.raises(ValueError, match="by must be one of"):
        ov.league_table(rows, by="nonsense")


def test_tartan_rug_colours_words_and_links() -> None:
    rows = [
        _s("X06000001", "Alder <b>&", sii_assessment="similar"),
        _s(
            "X06000002",
            "Bracken",
            core20_gap_assessment="suppressed",
            le_gap_largest_contributor="circulatory (+2.1 years)",
        ),
    ]
    html = ov.tartan_rug(rows, hrefs={"X06000001": "X06000001/place_profile.html"}).html
    assert "Alder &lt;b&gt;&amp;" in html and "<b>&" not in html
    assert '<a href="X06000001/place_profile.html">' in html
    assert "no significant gap" in html  # the word beside the colour
    assert "worse in the most deprived" in html
    assert "suppressed (small numbers)" in html
    assert "circulatory (+2.1 years)" in html
    assert "least minus most deprived end" in html
    assert "−100.0" in html  # the signed SII, never its absolute value


def test_run_index_page_and_csv(tmp_path: Path, demo_workspace) -> None:
    run = tmp_path / "run"
    for code, name in (("X06000001", "Alder"), ("X06000002", "<script>x</script>")):
        (run / code).mkdir(parents=True)
        (run / code / "place_profile.html").write_text("<html></html>")
        (run / code / "summary.json").write_text(json.dumps(_s(code, name)))
    outcomes = [
        {
            "place_code": "X06000001",
            "place_name": "Alder",
            "level": "ltla",
            "status": "ok",
            "report": "X06000001/place_profile.html",
        },
        {
            "place_code": "X06000002",
            "place_name": "<script>x</script>",
            "level": "ltla",
            "status": "ok",
            "report": "X06000002/place_profile.html",
        },
        {
            "place_code": "X06000003",
            "place_name": "Cedar",
            "level": "ltla",
            "status": "failed",
            "report": None,
            "error": "DataError: no counts",
        },
    ]
    index = ov.write_run_index(
        run, outcomes, demo_workspace, title="Demo", generated="today"
    )
    page = index.read_text()
    # accessible, sortable, searchable table
    assert '<table id="hiw-places"' in page
    assert len(re.findall(r'<th scope="col"[^>]*><button type="button">', page)) == 7
    assert '<label for="hiw-search">' in page and 'type="search"' in page
    assert 'aria-live="polite"' in page
    assert "<script>x</script>" not in page and "&lt;script&gt;x" in page
    assert "DataError: no counts" in page
    assert 'href="map.html"' in page and (run / "map.html").is_file()
    assert "tartan rug" in page
    assert not re.search(r"<script[^>]+src=", page)
    df = pd.read_csv(run / "index.csv")
    assert list(df["place_code"]) == ["X06000001", "X06000002", "X06000003"]
    assert df.loc[0, "core20_share"] == pytest.approx(0.2)
    assert df.loc[0, "sii_least_minus_most_deprived"] == pytest.approx(-100.0)
    assert np.isnan(df.loc[2, "core20_share"])
    assert df.loc[2, "status"] == "failed"


def test_run_index_escapes_text_and_links_only_relative_paths(
    tmp_path: Path, demo_workspace
) -> None:
    evil = "<script>alert(1)</script>"
    run = tmp_path / "run"
    outcomes = [
        {
            "place_code": "X06000001",
            "place_name": evil,
            "level": "ltla",
            "status": "ok",
            "report": "X06000001/place_profile.html",
        },
        {
            "place_code": "X06000002",
            "place_name": "Failing & Co",
            "level": "ltla",
            "status": "failed",
            "report": None,
            "error": f"DataError: bad value {evil}",
        },
        {
            "place_code": "X06000003",
            "place_name": "Sneaky",
            "level": "ltla",
            "status": "ok",
            "report": "javascript:alert(1)",
        },
    ]
    for o in outcomes:
        if o["status"] == "ok":
            (run / o["place_code"]).mkdir(parents=True)
            (run / o["place_code"] / "summary.json").write_text(
                json.dumps(_s(o["place_code"], o["place_name"]))
            )
    page = ov.write_run_index(
        run,
        outcomes,
        demo_workspace,
        title="Demo run",
        generated="2026-11-23 10:00 UTC",
        national_map=False,
    ).read_text()
    assert evil not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="X06000001/place_profile.html"' in page
    assert "javascript:" not in page  # not a relative path: no link
    assert "Failing &amp; Co" in page
    assert "DataError: bad value &lt;script&gt;" in page
    assert hw.report.SYNTHETIC_TEXT in page
    from hiworkbook import assets

    assert assets.find_external_refs(page) == []


@pytest.mark.slow
@pytest.mark.browser
def test_index_sorts_and_searches_in_chromium(tmp_path: Path, demo_workspace) -> None:
    from browser_utils import CHROMIUM_ARGS, chromium_path

    exe = chromium_path()
    if exe is None:
        pytest.skip("Chromium not installed: run scripts/install-chromium.sh")
    from playwright.sync_api import sync_playwright

    run = tmp_path / "run"
    outcomes = []
    for i, (name, share) in enumerate((("Cedar", 0.5), ("Alder", 0.1), ("Birch", 0.3))):
        code = f"X0600000{i + 1}"
        (run / code).mkdir(parents=True)
        (run / code / "summary.json").write_text(
            json.dumps(_s(code, name, core20_share=share))
        )
        outcomes.append(
            {
                "place_code": code,
                "place_name": name,
                "level": "ltla",
                "status": "ok",
                "report": f"{code}/place_profile.html",
            }
        )
    index = ov.write_run_index(
        run, outcomes, demo_workspace, title="Demo", generated="today"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(index.as_uri())
            names = "() => Array.from(document.querySelectorAll('#hiw-places tbody tr:not([hidden]) th')).map(t => t.textContent)"
            page.get_by_role("button", name="Place").click()
            assert page.evaluate(names) == ["Alder", "Birch", "Cedar"]
            sort = (
                page.locator("#hiw-places thead th").nth(1).get_attribute("aria-sort")
            )
            assert sort == "ascending"
            page.get_by_role("button", name="Core20 share").click()
            page.get_by_role("button", name="Core20 share").click()
            assert page.evaluate(names) == ["Cedar", "Birch", "Alder"]
            page.get_by_label("Search places").fill("bir")
            assert page.evaluate(names) == ["Birch"]
            assert "1 of 3" in page.locator("#hiw-places-status").text_content()
        finally:
            browser.close()
