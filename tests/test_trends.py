"""Trends over periods, gap trends, their views, and the life-expectancy gap on the demo."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import hiworkbook as hw
from hiworkbook import benchmark as bm
from hiworkbook import lifegap, trends, trendviews
from hiworkbook.indicators import Indicator
from hiworkbook.validate import DataError

Z95 = 1.959963984540054
U75 = Indicator(
    "u75", "Under 75 mortality", "dsr", 100000, "per 100,000", "low_is_good"
)
SMK = Indicator("smk", "Smoking at delivery", "proportion", 100, "%", "low_is_good")


def _pr(sii_rows=None, table=None) -> trends.PeriodResults:
    sii = pd.DataFrame(
        sii_rows or [],
        columns=["indicator_id", "sex", "period", "sii", "lower_ci", "upper_ci"],
    )
    return trends.PeriodResults(
        place=None,
        periods=sorted(set(sii["period"])) if len(sii) else [],
        table=table if table is not None else pd.DataFrame(),
        sii=sii,
        indicators={"u75": U75, "smk": SMK},
    )


def _sii_series(values, half_width):
    return [
        ("u75", "persons", str(2019 + i), v, v - half_width, v + half_width)
        for i, v in enumerate(values)
    ]


# ---------------------------------------------------------------- gap trends (hand-worked)
def test_gap_trend_two_periods_z_test_by_hand() -> None:
    # SII -100 (95% CI ±10) then -200 (±10): se = 10 / 1.96 each;
    # z = (-200 - -100) / sqrt(2 (10/1.96)²) = -100 / 7.2155 = -13.86 -> significant,
    # moving away from zero -> widening
    g = trends.gap_trends(_pr(_sii_series([-100, -200], 10))).iloc[0]
    se = 10 / Z95
    assert g["statistic"] == pytest.approx(-100 / math.sqrt(2 * se**2))
    assert g["gap_change"] == "widening"
    assert g["test"].startswith("z-test")
    # towards zero: narrowing; a small change: no significant change
    assert (
        trends.gap_trends(_pr(_sii_series([-200, -100], 10)))["gap_change"].iloc[0]
        == "narrowing"
    )
    # -100 vs -120 with ±20: z = -20 / sqrt(2 (20/1.96)²) = -1.386 -> p = 0.166
    g = trends.gap_trends(_pr(_sii_series([-100, -120], 20))).iloc[0]
    assert g["p_value"] == pytest.approx(0.1657, abs=5e-4)
    assert g["gap_change"] == "no significant change"


def test_gap_trend_five_periods_uses_the_recent_trend_test() -> None:
    # SII 10, 12, 14, 16, 18 with se 0.5: slope 2, se(b) = sqrt(4 / (4·5·55 − (4·15)²)·…)
    # weights w = 4: Σw = 20, Σwt = 60, Σwt² = 220 -> se(b)² = 20 / (20·220 − 3600) = 0.025
    # X² = 4 / 0.025 = 160 > 9.55, positive SII rising -> widening
    g = trends.gap_trends(_pr(_sii_series([10, 12, 14, 16, 18], 0.5 * Z95))).iloc[0]
    assert g["statistic"] == pytest.approx(160.0)
    assert g["gap_change"] == "widening"
    assert g["test"].startswith("Fingertips recent-trend test")
    g = trends.gap_trends(_pr(_sii_series([18, 16, 14, 12, 10], 0.5 * Z95))).iloc[0]
    assert g["gap_change"] == "narrowing"
    one = trends.gap_trends(_pr(_sii_series([5], 1))).iloc[0]
    assert one["gap_change"] == "could not be calculated"


def _table(values, suppressed=(), periods=None):
    periods = periods or [str(2019 + i) for i in range(len(values))]
    rows = []
    for i, (p, v) in enumerate(zip(periods, values, strict=True)):
        rows.append(
            {
                "indicator_id": "u75",
                "sex": "persons",
                "breakdown": "area",
                "category": "All",
                "area_code": "X1",
                "area_name": "Place",
                "period": p,
                "value": v,
                "lower_ci": v - 2 * Z95,
                "upper_ci": v + 2 * Z95,
                "numerator": 100,
                "denominator": 1000,
                "is_suppressed": i in suppressed,
                "comparison": "similar",
                "value_note": None,
            }
        )
        rows.append(
            {
                **rows[-1],
                "breakdown": "comparator",
                "area_code": "E",
                "area_name": "England",
                "value": 50.0,
                "lower_ci": 49.0,
                "upper_ci": 51.0,
            }  # fmt: skip
        )
    return pd.DataFrame(rows)


def test_trend_markers_polarity_and_suppression() -> None:
    # falling 10 a period with se 2: X² = (b / se(b))², se(b)² = 4·… -> highly significant
    pr = _pr(table=_table([100, 90, 80, 70, 60]))
    m = trends.trend_markers(pr)
    place = m[m["breakdown"] == "area"].iloc[0]
    assert place["trend"] == "Decreasing and getting better"  # low is good
    comp = m[m["breakdown"] == "comparator"].iloc[0]
    assert comp["trend"] == "No significant change"
    pr = _pr(table=_table([100, 90, 80, 70, 60], suppressed={2}))
    m = trends.trend_markers(pr, breakdowns=("area",)).iloc[0]
    assert m["trend"] == "Could not be calculated"
    assert "suppressed" in m["trend_note"]


def test_trend_chart_draws_gaps_for_suppressed_values() -> None:
    pr = _pr(table=_table([100, 90, 80], suppressed={1}))
    pr.place = type(
        "P", (), {"name": "Place", "workspace": type("W", (), {"synthetic": True})()}
    )()
    it = trends.indicator_trend(pr, "u75")
    assert it.comparator_name == "England"
    assert it.marker["trend"] == "Could not be calculated"
    ch = trendviews.trend_chart(it)
    assert "2020: suppressed" in ch.alt and "2019: 100.0 per 100,000" in ch.alt
    assert "fewer than 5 periods" in ch.caption
    assert trendviews.trends_unavailable(_pr(table=_table([1.0]))) is not None
    # the drawing: a point per shown value (none for the suppressed one, never a zero),
    # coloured by its benchmark class, the word "suppressed" at the gap, the comparator
    d = ch.drawing
    points = d.find("point")
    assert [(m.datum["period"], m.datum["value"]) for m in points] == [
        ("2019", 100.0),
        ("2021", 80.0),
    ]
    assert {m.datum["benchmark"] for m in points} == {"similar"}
    assert {m.style["fill"] for m in points} == {bm.category("similar").colour}
    assert [m.datum["period"] for m in d.find("suppressed")] == ["2020"]
    assert [m.text for m in d.find("suppressed")] == ["suppressed"]
    assert not d.find("line")  # no line joins 2019 and 2021 across the gap
    # no neighbouring interval to shade between: each shown value has its error bar
    assert [(m.datum["lower"], m.datum["upper"]) for m in d.find("ci")] == [
        pytest.approx((100 - 2 * Z95, 100 + 2 * Z95)),
        pytest.approx((80 - 2 * Z95, 80 + 2 * Z95)),
    ]
    assert len(d.find("comparator")) == 1
    assert [m.datum["value"] for m in d.find("comparator-point")] == [50.0] * 3
    titles = [m.text for m in d.find("title")]
    assert titles == [
        "Under 75 mortality, Place (synthetic data)",
        "Recent trend: Could not be calculated",
    ]
    assert [m.text for m in d.find("xtick-label")] == ["2019", "2020", "2021"]
    labels = [m.text for m in d.find("legend-label")]
    assert labels == ["95% CI", "Place", "● Similar", "England"]
    assert 0 < d.height and all(
        0 <= m.geom.get("y", 0) <= d.height for m in d.marks if m.kind == "text"
    )


def test_trend_chart_joins_shown_values_over_their_ci_band() -> None:
    pr = _pr(table=_table([100, 90, 80, 70], suppressed={1}))
    pr.place = type(
        "P", (), {"name": "Place", "workspace": type("W", (), {"synthetic": False})()}
    )()
    d = trendviews.trend_chart(trends.indicator_trend(pr, "u75")).drawing
    # 2021-2022 joined and shaded; 2019 alone gets an error bar; nothing at 2020
    (line,) = d.find("line")
    x = {m.datum["period"]: m.geom["cx"] for m in d.find("point")}
    assert [p[0] for p in line.geom["points"]] == pytest.approx([x["2021"], x["2022"]])
    assert len(d.find("band")) == 1
    assert [m.datum["lower"] for m in d.find("ci")] == [pytest.approx(100 - 2 * Z95)]
    assert [m.datum["value"] for m in d.find("point")] == [100.0, 80.0, 70.0]
    assert "(synthetic data)" not in d.find("title")[0].text


def test_sii_trend_chart_draws_each_period_with_its_ci_and_the_verdict() -> None:
    pr = _pr(_sii_series([-100, -200], 10))
    pr.place = type(
        "P", (), {"name": "Place", "workspace": type("W", (), {"synthetic": True})()}
    )()
    ch = trendviews.sii_trend_chart(pr, "u75")
    d = ch.drawing
    assert [
        (m.datum["period"], m.datum["value"], m.datum["lower"], m.datum["upper"])
        for m in d.find("point")
    ] == [("2019", -100.0, -110.0, -90.0), ("2020", -200.0, -210.0, -190.0)]
    assert [(m.datum["lower"], m.datum["upper"]) for m in d.find("ci")] == [
        (-110.0, -90.0),
        (-210.0, -190.0),
    ]
    assert len(d.find("line")) == 1
    (zero,) = d.find("zero")  # the zero line is drawn, inside the box
    assert zero.datum == {"value": 0.0}
    titles = " ".join(m.text for m in d.find("title"))
    assert "slope index of inequality over time, Place" in titles
    assert "change in the gap: widening (synthetic data)" in titles
    assert [m.text for m in d.find("xtick-label")] == ["2019", "2020"]
    assert [m.text for m in d.find("ylabel")] == ["SII (per 100,000)"]
    assert [m.text for m in d.find("legend-label")] == ["SII with 95% CI"]
    assert "2020: -200.0 (95% CI -210.0 to -190.0)" in ch.alt and "widening" in ch.alt
    none = trendviews.sii_trend_chart(_pr(), "u75")
    assert "No period has a slope index" in str(none)


def _gap(years_by_cause: dict[str, float], synthetic: bool = False) -> lifegap.LEGap:
    groups = lifegap.GapGroups("the most deprived fifth", "the least deprived fifth")
    dec = pd.DataFrame(
        [
            {
                "sex": "female",
                "age_band": "50-54",
                "broad_age": "45-59",
                "cause": c,
                "years": y,
            }
            for c, y in years_by_cause.items()
        ]
    )
    gap = sum(years_by_cause.values())
    summary = pd.DataFrame(
        [
            {
                "sex": "female",
                "le_baseline": 80.0,
                "le_comparison": 80.0 + gap,
                "gap": gap,
                "by_cause": True,
                "note": None,
            }
        ]
    )
    return lifegap.LEGap(groups, ["2022", "2023"], dec, summary, synthetic)


def test_scarf_chart_stacks_positive_right_and_negative_left_hatched() -> None:
    g = _gap({"other": 1.0, "circulatory": 3.0, "cancer": -0.5, "external": 0.02})
    ch = lifegap.scarf_chart(g, "female")
    d = ch.drawing
    segs = d.find("segment")
    # in the cause colours' order; years, and where each starts and ends, from the data
    assert [
        (m.datum["cause"], m.datum["years"], m.datum["start"], m.datum["end"])
        for m in segs
    ] == [
        ("circulatory", 3.0, 0.0, 3.0),
        ("cancer", -0.5, 0.0, -0.5),
        ("external", 0.02, 3.0, 3.02),
        ("other", 1.0, 3.02, pytest.approx(4.02)),
    ]
    assert [m.style["fill"] for m in segs] == [
        lifegap.CAUSE_COLOURS[c] for c in ("circulatory", "cancer", "external", "other")
    ]
    assert sum(m.datum["years"] for m in segs) == pytest.approx(
        g.summary["gap"].iloc[0]
    )
    # positive to the right of the zero line, the negative one to its left and hatched
    (zero,) = d.find("zero")
    x0 = zero.geom["points"][0][0]
    cancer = segs[1]
    assert cancer.geom["x"] + cancer.geom["w"] == pytest.approx(x0)
    assert all(m.geom["x"] >= x0 - 1e-6 for m in segs if m.datum["years"] > 0)
    hatch = d.find("hatch")
    assert hatch and all(
        cancer.geom["x"] - 1e-6 <= x <= cancer.geom["x"] + cancer.geom["w"] + 1e-6
        for m in hatch
        for x, _ in m.geom["points"]
    )
    # widths in proportion to the years
    assert segs[0].geom["w"] / segs[3].geom["w"] == pytest.approx(3.0)
    # labels where the words fit: not in the 0.02-year sliver
    labels = [m.text for m in d.find("segment-label")]
    assert labels == ["circulatory", "3.0", "cancer", "-0.5", "other", "1.0"]
    assert [m.text for m in d.find("legend-label")] == [
        "circulatory",
        "cancer",
        "external",
        "other",
    ]
    titles = [m.text for m in d.find("title")]
    assert titles == [
        "Life expectancy gap, females: 3.5 years, 2022 to 2023 pooled",
        "the least deprived fifth minus the most deprived fifth",
    ]
    assert [m.text for m in d.find("xlabel")] == ["years of life expectancy"]
    assert "cancer: -0.50 years" in ch.alt and "hatched" in ch.caption
    by_age = lifegap.scarf_chart(g, "female", by="age").drawing.find("segment")
    assert [m.datum["age"] for m in by_age] == list(lifegap.BROAD_AGES)
    assert by_age[4].datum["years"] == pytest.approx(3.52)
    assert "cannot be decomposed" in str(lifegap.scarf_chart(g, "male"))


# ---------------------------------------------------------------- on the demo
@pytest.fixture(scope="module")
def demo_periods(demo_workspace):
    place = demo_workspace.place("X06000001")
    return trends.period_results(
        place, indicators=["mortality_u75", "life_expectancy"], sii_reps=2000
    )


@pytest.mark.slow
def test_period_results_matches_place_results_per_period(
    demo_periods, demo_workspace
) -> None:
    pr = demo_periods
    assert pr.periods == demo_workspace.periods and len(pr.periods) >= 2
    first = pr.periods[0]
    direct = hw.place_results(
        demo_workspace.place("X06000001"),
        period=first,
        indicators=["mortality_u75", "life_expectancy"],
        sii_reps=2000,
    )
    a = pr.table[(pr.table["period"] == first) & (pr.table["breakdown"] == "area")]
    b = direct.table[direct.table["breakdown"] == "area"]
    assert a["value"].to_numpy() == pytest.approx(b["value"].to_numpy())
    s = trends.sii_by_period(pr, "mortality_u75")
    assert list(s["period"]) == pr.periods
    assert s["sii"].iloc[0] == pytest.approx(
        direct.sii.set_index("indicator_id").loc["mortality_u75", "sii"]
    )
    section = str(
        trendviews.trends_section(pr, ["mortality_u75", "nope"], "mortality_u75")
    )
    assert "Recent trend" in section and "No values over time for: nope" in section
    assert "least deprived minus most deprived" in section
    # the under-75 trend (persons) and its SII over time, each an SVG image
    assert section.count('src="data:image/svg+xml;base64,') == 2
    sii = trendviews.sii_trend_chart(pr, "mortality_u75").drawing.find("point")
    assert [m.datum["period"] for m in sii] == pr.periods
    assert [m.datum["value"] for m in sii] == pytest.approx(list(s["sii"]))


def test_demo_deaths_by_cause_add_up_to_all_deaths(demo_workspace) -> None:
    c = demo_workspace.counts
    col = demo_workspace.area_col
    causes = [i for i, ind in demo_workspace.indicators.items() if ind.cause]
    assert len(causes) == 5
    by_cause = (
        c[c["indicator_id"].isin(causes)]
        .groupby([col, "period", "sex"])["numerator"]
        .sum()
    )
    le = (
        c[c["indicator_id"] == "life_expectancy"]
        .groupby([col, "period", "sex"])["numerator"]
        .sum()
    )
    pd.testing.assert_series_equal(
        by_cause.sort_index(), le.sort_index(), check_names=False
    )


@pytest.mark.slow
def test_le_gap_on_the_demo(demo_workspace) -> None:
    place = demo_workspace.place("X06000001")
    g = lifegap.le_gap(place, "quintile")
    assert g.periods == demo_workspace.periods[-3:]
    for sex in ("female", "male"):
        assert g.ok(sex)
        row = g.summary.set_index("sex").loc[sex]
        assert row["gap"] > 0  # the least deprived fifth lives longer (demo gradient)
        assert g.by_cause(sex).sum() == pytest.approx(row["gap"], abs=1e-9)
        assert g.by_age(sex).sum() == pytest.approx(row["gap"], abs=1e-9)
    # the baseline LE is the pooled life expectancy of the Q1 areas (same Chiang table)
    q1 = set(place.areas.loc[place.areas["imd_quintile"] == 1, demo_workspace.area_col])
    c = demo_workspace.counts
    le = c[
        (c["indicator_id"] == "life_expectancy") & c[demo_workspace.area_col].isin(q1)
    ]
    le = le.groupby(["sex", "age_band"], as_index=False)[
        ["numerator", "denominator"]
    ].sum()
    ref = hw.stats.life_expectancy(
        le, "numerator", "denominator", "age_band", group_by="sex"
    )
    ref = ref[ref["age_band"] == "0"].set_index("sex")["value"]
    assert g.summary.set_index("sex")["le_baseline"].to_numpy() == pytest.approx(
        ref.to_numpy()
    )
    html = str(lifegap.gap_section(g))
    assert "Synthetic" in html and "circulatory" in html.lower()
    assert html.count('src="data:image/svg+xml;base64,') == 2  # a scarf per sex, as SVG
    for sex in ("female", "male"):
        segs = lifegap.scarf_chart(g, sex).drawing.find("segment")
        causes = g.by_cause(sex)
        assert [m.datum["cause"] for m in segs] == [
            c for c in lifegap.CAUSE_COLOURS if c in causes.index
        ]
        assert [m.datum["years"] for m in segs] == pytest.approx(
            [causes[m.datum["cause"]] for m in segs]
        )
        assert sum(m.datum["years"] for m in segs) == pytest.approx(
            g.summary.set_index("sex").loc[sex, "gap"]
        )
    assert "<table" in html and "hiw-chart" in html
    # other groups, and what cannot be done says why (no KeyError)
    assert lifegap.le_gap(place, "core20").ok("female")
    assert lifegap.le_gap(place, "comparator").ok("male")
    none = lifegap.le_gap(place, "quintile", le_indicator="no_such_indicator")
    assert not none.ok("female")
    assert "cannot be decomposed" in str(lifegap.gap_section(none))
    with pytest.raises(DataError, match="quintile"):
        lifegap.le_gap(place, "quintiles")
    assert np.isfinite(g.decomposition["years"]).all()
