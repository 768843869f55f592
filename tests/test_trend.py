"""Fingertips' recent-trend test against values worked by hand from the published method."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hiworkbook import stats
from hiworkbook.stats.trend import recent_trend, trend_label

Z95 = 1.959963984540054


def _other(values, se, periods=None, **kw):
    y = np.asarray(values, dtype=float)
    se = np.broadcast_to(np.asarray(se, dtype=float), y.shape)
    df = pd.DataFrame(
        {
            "period": periods or [str(2019 + i) for i in range(len(y))],
            "value": y,
            "lo": y - Z95 * se,
            "hi": y + Z95 * se,
        }
    )
    return recent_trend(
        df,
        "period",
        value_type="other",
        value="value",
        lower_ci="lo",
        upper_ci="hi",
        **kw,
    ).iloc[0]


def test_chi_square_critical_value_is_fingertips() -> None:
    # Fingertips' TrendMarkerCalculator: ChiSquareConfidence = 9.54953570608324 (99.8%, 1 df)
    from scipy.stats import chi2

    assert chi2.ppf(0.998, 1) == pytest.approx(9.54953570608324, rel=1e-12)


def test_proportion_chi_square_for_trend_by_hand() -> None:
    # x = 10, 20, 30, 40, 50 of n = 100 each, t = 1..5:
    # N = 500, X = 150, Σxt = 550, Σnt = 1500, Σnt² = 5500
    # X² = 500 (500·550 − 150·1500)² / (150·350·(500·5500 − 1500²))
    #    = 500 · 50,000² / (52,500 · 500,000) = 47.619047…
    df = pd.DataFrame(
        {
            "period": ["2020", "2021", "2022", "2023", "2024"],
            "x": [10, 20, 30, 40, 50],
            "n": [100] * 5,
        }
    )
    r = recent_trend(
        df,
        "period",
        value_type="proportion",
        numerator="x",
        denominator="n",
        polarity="high_is_good",
    ).iloc[0]
    assert r["chi_square"] == pytest.approx(500 * 50_000**2 / (52_500 * 500_000))
    assert r["trend"] == "Increasing and getting better"
    assert r["trend_direction"] == "increasing"
    # the slope is of the logits: OLS slope of log(x/(n-x)) on t
    lg = [math.log(x / (100 - x)) for x in (10, 20, 30, 40, 50)]
    slope = sum((t - 3) * v for t, v in zip(range(1, 6), lg, strict=True)) / 10
    assert r["slope"] == pytest.approx(slope)


def test_proportion_matches_prop_trend_test_form() -> None:
    # R's prop.trend.test: the regression sum of squares of p on t with weights n / (p̄(1 − p̄));
    # PHEindicatormethods' documented example (Count, Denominator over 5 years)
    x = np.array([1367, 1332, 1199, 1023, 994], dtype=float)
    n = np.array([44701, 44064, 42811, 41527, 40299], dtype=float)
    t = np.arange(1, 6, dtype=float)
    p = x / n
    pbar = x.sum() / n.sum()
    w = n / pbar / (1 - pbar)
    tb = (w * t).sum() / w.sum()
    b = (w * (t - tb) * p).sum() / (w * (t - tb) ** 2).sum()
    ss = b**2 * (w * (t - tb) ** 2).sum()
    df = pd.DataFrame({"year": [str(y) for y in range(2016, 2021)], "x": x, "n": n})
    r = recent_trend(
        df,
        "year",
        value_type="proportion",
        numerator="x",
        denominator="n",
        polarity="low_is_good",
    ).iloc[0]
    assert r["chi_square"] == pytest.approx(ss, rel=1e-10)
    assert r["trend"] == "Decreasing and getting better"


def test_other_weighted_regression_by_hand_at_the_threshold() -> None:
    # values 10..14, se 1 each: b = 1, se(b)² = Σw / (ΣwΣwt² − (Σwt)²) = 5 / (5·55 − 15²) = 0.1
    # X² = 1 / 0.1 = 10 > 9.5495 -> significant
    r = _other([10, 11, 12, 13, 14], 1.0, polarity="low_is_good")
    assert r["slope"] == pytest.approx(1.0)
    assert r["chi_square"] == pytest.approx(10.0)
    assert r["trend"] == "Increasing and getting worse"
    # se 1.02: X² = 10 / 1.0404 = 9.6117 > 9.5495; se 1.03: 10 / 1.0609 = 9.426 < 9.5495
    assert _other([10, 11, 12, 13, 14], 1.02)["trend"] == "Increasing"
    r = _other([10, 11, 12, 13, 14], 1.03)
    assert r["chi_square"] == pytest.approx(10 / 1.03**2)
    assert r["trend"] == "No significant change"
    assert r["trend_note"] == "no significant trend"


def test_weighted_slope_uses_inverse_variance_weights() -> None:
    # y = 5, 4, 4, 2, 1 with se 1, 2, 1, 1, 0.5 -> w = 1, .25, 1, 1, 4
    y = np.array([5, 4, 4, 2, 1.0])
    se = np.array([1, 2, 1, 1, 0.5])
    w = 1 / se**2
    t = np.arange(1, 6.0)
    s1, s3, s4 = w.sum(), (w * t).sum(), (w * y).sum()
    s2, s5 = (w * y * t).sum(), (w * t * t).sum()
    b = (s1 * s2 - s3 * s4) / (s1 * s5 - s3**2)
    chi = b**2 / (s1 / (s1 * s5 - s3**2))
    r = _other(y, se)
    assert r["slope"] == pytest.approx(b)
    assert r["chi_square"] == pytest.approx(chi)
    assert r["trend"] == ("Decreasing" if chi > 9.5495 else "No significant change")


def test_outlier_check_removes_a_trend_driven_by_one_point() -> None:
    # flat then a jump: left out, the last point leaves a slope of 0 -> sign changes
    r = _other([10, 10, 10, 10, 30], 0.1)
    assert r["chi_square"] > 100
    assert r["trend"] == "No significant change"
    assert "outlier" in r["trend_note"]


def test_could_not_be_calculated_rules() -> None:
    r = _other([10, 11, 12], 0.1)
    assert r["trend"] == "Could not be calculated"
    assert r["trend_note"] == "fewer than 5 periods of data (only 3)"
    r = _other([10, 11, np.nan, 13, 14], 0.1)
    assert r["trend"] == "Could not be calculated"
    assert "missing" in r["trend_note"]
    df = pd.DataFrame({"period": list("ABCDE"), "x": [0, 2, 3, 4, 5], "n": [100] * 5})
    r = recent_trend(
        df, "period", value_type="proportion", numerator="x", denominator="n"
    ).iloc[0]
    assert r["trend"] == "Could not be calculated"
    assert "0%" in r["trend_note"]


def test_last_five_points_of_six_and_grouped() -> None:
    # group A: a steep first point then flat: only the last five count -> no change
    # group B: rising; order of rows shuffled
    a = pd.DataFrame(
        {
            "g": "A",
            "period": [str(y) for y in range(2019, 2025)],
            "value": [100, 10, 10.1, 10, 10.1, 10],
        }
    )
    b = pd.DataFrame(
        {
            "g": "B",
            "period": [str(y) for y in range(2019, 2025)],
            "value": [1, 2, 3, 4, 5, 6.0],
        }
    )
    df = pd.concat([a, b]).sample(frac=1, random_state=3)
    df["lo"] = df["value"] - Z95 * 0.05
    df["hi"] = df["value"] + Z95 * 0.05
    r = stats.recent_trend(
        df,
        "period",
        value_type="other",
        value="value",
        lower_ci="lo",
        upper_ci="hi",
        group_by="g",
    ).set_index("g")
    assert r.loc["A", "trend"] == "No significant change"
    assert r.loc["A", "first_period"] == "2020"
    assert r.loc["B", "trend"] == "Increasing"
    assert r.loc["B", "points_used"] == 5


def test_labels() -> None:
    assert trend_label("decreasing", "low_is_good") == "Decreasing and getting better"
    assert trend_label("decreasing", "high_is_good") == "Decreasing and getting worse"
    assert (
        trend_label("no significant change", "low_is_good") == "No significant change"
    )
    assert trend_label("could not be calculated") == "Could not be calculated"
