"""Trends over periods, gap trends, their views, and the life-expectancy gap on the demo."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import hiworkbook as hw
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
