"""The result table, its views and the narrative, on the demo region: numbers the report shows
must follow from the table, and no sentence may claim what the confidence intervals do not."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

import hiworkbook as hw
from hiworkbook.results import QUINTILE_LABELS, RESULT_COLUMNS


@pytest.fixture(scope="module")
def results(demo_workspace):
    return hw.place_results(demo_workspace.place("X06000001"))


def test_table_shape(results) -> None:
    t = results.table
    assert list(t.columns) == RESULT_COLUMNS
    assert set(t["breakdown"]) == {
        "area",
        "comparator",
        "imd_quintile",
        "ethnic_group",
        "small_area",
    }
    assert (
        set(results.indicators) == set(t["indicator_id"])
        and len(results.indicators) == len(hw.load_indicators())  # all built-in ones
    )
    # life expectancy is reported by sex, everything else once
    area = t[t["breakdown"] == "area"]
    assert sorted(area.loc[area["indicator_id"] == "life_expectancy", "sex"]) == [
        "female",
        "male",
    ]
    assert (area.groupby("indicator_id").size().drop("life_expectancy") == 1).all()


def test_comparisons_follow_the_intervals(results) -> None:
    t = results.table.dropna(
        subset=["value", "lower_ci", "upper_ci", "comparator_value"]
    )
    above = t["lower_ci"] > t["comparator_value"]
    below = t["upper_ci"] < t["comparator_value"]
    similar = ~above & ~below
    assert (t.loc[similar, "comparison"] == "similar").all()
    hi_good = t["polarity"] == "high_is_good"
    lo_good = t["polarity"] == "low_is_good"
    assert (t.loc[above & hi_good, "comparison"] == "better").all()
    assert (t.loc[above & lo_good, "comparison"] == "worse").all()
    assert (t.loc[below & lo_good, "comparison"] == "better").all()
    # the primary comparator is England and is not compared with itself
    eng = results.table[results.table["area_code"] == "X92000001"]
    assert len(eng) and (eng["comparison"] == "not compared").all()
    assert results.primary_comparator == "England (synthetic)"


def test_values_are_recomputable_from_counts(results) -> None:
    """The place's proportion is Wilson on its own summed counts (independent arithmetic)."""
    row = results.for_indicator("hypertension_detection").iloc[0]
    x, n = row["numerator"], row["denominator"]
    z = 1.959963984540054
    p = x / n
    centre = (2 * x + z**2) / (2 * (n + z**2))
    half = z * np.sqrt(z**2 + 4 * x * (1 - p)) / (2 * (n + z**2))
    assert row["value"] == pytest.approx(100 * p)
    assert row["lower_ci"] == pytest.approx(100 * (centre - half))
    assert row["upper_ci"] == pytest.approx(100 * (centre + half))


def test_gradient_and_sii_direction(results) -> None:
    q = results.for_indicator("mortality_u75", "imd_quintile").set_index("category")[
        "value"
    ]
    assert q[QUINTILE_LABELS[1]] > q.dropna().iloc[-1]
    s = results.sii.set_index("indicator_id").loc["mortality_u75"]
    # higher mortality at the most deprived end: SII (least − most deprived end) is negative
    assert s["sii"] < 0 and s["upper_ci"] < 0


def test_small_numbers_are_suppressed_everywhere(results) -> None:
    t = results.table
    shown = t[(t["breakdown"] != "comparator") & t["numerator"].notna()]
    assert not ((shown["numerator"] >= 1) & (shown["numerator"] < 5)).any()
    assert t["is_suppressed"].any()
    sup = t[t["is_suppressed"]]
    assert sup["value"].isna().all() and (sup["comparison"] == "not compared").all()


def test_headline_claims_only_what_the_table_supports(results) -> None:
    html = hw.narrative.headline(results).html
    text = re.sub(r"<[^>]+>", "", html)
    worse = results.summary().query("comparison == 'worse'")
    m = re.search(r"significantly worse\s+on (\d+) of (\d+) indicators", text)
    assert (
        m
        and int(m.group(1)) == len(worse)
        and int(m.group(2)) == len(results.summary())
    )
    # up to three are named; a longer list is counted and left to the indicator table
    sentence = text[m.start() : text.index(".", m.end())].lower()
    named = [n for n in worse["indicator_name"].unique() if n[1:].lower() in sentence]
    assert 1 <= len(named) <= 3  # labels: one name can appear for males and females
    if len(worse) > 3:
        assert "the table of all indicators below lists every one" in text
    dep = results.deprivation
    q1 = int(dep.loc[dep["imd_quintile"] == 1, "population"].iloc[0])
    assert f"{q1:,} of them" in text
    assert "Synthetic data" in text


def test_user_text_is_escaped(demo_workspace) -> None:
    import copy

    ws = copy.copy(demo_workspace)
    ws.areas = demo_workspace.areas.copy()
    evil = "<script>alert('x')</script> & Co"
    ws.areas.loc[ws.areas["ltla_code"] == "X06000003", "ltla_name"] = evil
    res = hw.place_results(
        ws.place("X06000003"), indicators=["hypertension_detection", "mortality_u75"]
    )
    for html in (
        hw.narrative.headline(res).html,
        hw.narrative.title(res).html,
        hw.tables.indicator_table(res).html,
        hw.narrative.deprivation_summary(res).html,
        hw.charts.quintile_chart(res, "mortality_u75")._repr_html_(),
    ):
        assert "<script>" not in html
        assert "&lt;script&gt;" in html or "&#" in html


def test_unknown_parameters_are_listed(demo_config) -> None:
    with pytest.raises(hw.DataError) as err:
        hw.load_place(
            demo_config,
            "X06000001",
            period="2031",
            indicators=["mortality_u57", "copd_admissions"],
        )
    msg = str(err.value)
    assert (
        "period '2031'" in msg
        and "mortality_u57" in msg
        and "did you mean 'mortality_u75'" in msg
    )
    assert err.value._render_traceback_()[0].startswith("DataError: 2 problems")


def test_deprivation_profile_sums_to_population(results) -> None:
    dep = results.deprivation
    assert dep["population"].sum() == results.place.population
    assert dep["share"].sum() == pytest.approx(1.0)
    assert isinstance(dep, pd.DataFrame) and len(dep) == 5


def test_event_extract_without_denominators(demo_workspace) -> None:
    """Deaths listed as events only (no denominator, no zero rows) give the same DSR as the full
    table: missing bands are zero events and denominators come from the population."""
    import copy

    ws = copy.copy(demo_workspace)
    c = demo_workspace.counts
    full = c[
        (c["indicator_id"] == "mortality_u75") & (c["period"].astype(str) == "2024")
    ]
    events = full[full["numerator"] > 0].assign(denominator=np.nan)
    ws.counts = pd.concat(
        [c[c["indicator_id"] != "mortality_u75"], events], ignore_index=True
    )
    place = ws.place("X06000004")
    a = hw.place_results(place, indicators=["mortality_u75"]).for_indicator(
        "mortality_u75"
    )
    b = hw.place_results(
        demo_workspace.place("X06000004"), indicators=["mortality_u75"]
    ).for_indicator("mortality_u75")
    assert a["value"].iloc[0] == pytest.approx(b["value"].iloc[0])
    assert a["upper_ci"].iloc[0] == pytest.approx(b["upper_ci"].iloc[0])


def test_indirectly_standardised_ratio_against_england(sar_workspace) -> None:
    """An 'isratio' indicator (an SAR, England = 100): expected events from England's age-specific
    rates, worked out here independently of hiworkbook.stats."""
    ws = sar_workspace
    england = ws.comparators[0]
    res = hw.place_results(ws.place("X06000001"), indicators=["copd_sar"])
    t = res.table[res.table["breakdown"].isin(["area", "comparator"])].set_index(
        "area_code"
    )

    eng = england.counts
    eng = eng[
        (eng["indicator_id"] == "copd_admissions")
        & (eng["period"].astype(str) == "2024")
    ]
    rate = (
        eng.groupby("age_band")["numerator"].sum()
        / eng.groupby("age_band")["denominator"].sum()
    )
    c = ws.counts
    mine = c[
        (c["indicator_id"] == "copd_admissions")
        & (c["period"].astype(str) == "2024")
        & c["lsoa21_code"].isin(res.place.area_codes)
    ]
    observed = mine["numerator"].sum()
    expected = (mine.groupby("age_band")["denominator"].sum() * rate).sum()
    assert t.loc["X06000001", "value"] == pytest.approx(100 * observed / expected)
    assert t.loc["X92000001", "value"] == pytest.approx(100.0)
    assert t.loc["X06000001", "comparison"] == "worse"  # the demo's most deprived LTLA


def test_headline_names_ethnic_groups_faring_worse(results) -> None:
    text = re.sub(r"<[^>]+>", "", hw.narrative.headline(results).html)
    t = results.table
    worse = t[
        (t["breakdown"] == "ethnic_group")
        & (t["comparison"] == "worse")
        & ~t["is_suppressed"]
    ]
    assert len(worse), "the demo builds in ethnic inequalities"
    assert "By ethnic group" in text
    for group in worse["category"].map(hw.narrative.short_group):
        assert f"{group}" in text


def test_pick_warns_only_when_it_shows_another_indicator(caplog) -> None:
    """A gradient view asked for an indicator whose place value is missing (suppressed, say)
    but whose quintiles and SII exist shows it, without claiming to show something else; an
    indicator with nothing to show falls back to one that has, and says so."""
    import logging
    from types import SimpleNamespace

    from hiworkbook.results import PlaceResults

    rows = [
        {"indicator_id": "a", "breakdown": "area", "value": np.nan},
        *[
            {"indicator_id": "a", "breakdown": "imd_quintile", "value": 10.0 + q}
            for q in range(5)
        ],
        {"indicator_id": "b", "breakdown": "area", "value": 3.0},
    ]
    res = PlaceResults(
        place=SimpleNamespace(name="Somewhere"),
        period="2024",
        table=pd.DataFrame(rows),
        sii=pd.DataFrame({"indicator_id": ["a"], "sii": [4.0]}),
        deprivation=pd.DataFrame(),
        primary_comparator="England",
        indicators={"a": None, "b": None},
    )
    with caplog.at_level(logging.WARNING, logger="hiworkbook.results"):
        assert res.pick("a", "gradient") == "a"
    assert not caplog.records
    with caplog.at_level(logging.WARNING, logger="hiworkbook.results"):
        assert res.pick("c", "any") == "b"
    assert "'c' has no value for Somewhere in 2024: showing 'b'" in caplog.text
