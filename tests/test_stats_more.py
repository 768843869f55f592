"""Reference tests: ISR / ISRatio, mean, life expectancy, funnel limits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hiworkbook import stats
from hiworkbook.validate import DataError

Z95 = 1.959963984540054


# ====================================================================== ISR / ratio
def _isr_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    local = pd.DataFrame({"band": ["A", "B"], "x": [10, 20], "n": [1000, 1000]})
    ref = pd.DataFrame(
        {"band": ["A", "B"], "ref_x": [50, 300], "ref_n": [10_000, 10_000]}
    )
    return local, ref


def test_isratio_worked() -> None:
    # reference rates 0.005 and 0.03 -> E = 1000*0.005 + 1000*0.03 = 35; O = 30
    # ratio = 30/35 = 0.857143; Byar (O >= 10): 30 (1 - 1/270 - z/(3 sqrt 30))^3 / 35
    local, ref = _isr_data()
    r = stats.isratio(local, "x", "n", "band", reference=ref)
    lo = 30 * (1 - 1 / 270 - Z95 / (3 * math.sqrt(30))) ** 3 / 35
    hi = 31 * (1 - 1 / 279 + Z95 / (3 * math.sqrt(31))) ** 3 / 35
    assert r["expected"].iloc[0] == pytest.approx(35.0)
    assert r["value"].iloc[0] == pytest.approx(30 / 35)
    assert r["lower_ci"].iloc[0] == pytest.approx(lo, rel=1e-12)
    assert r["upper_ci"].iloc[0] == pytest.approx(hi, rel=1e-12)
    # reference columns inside the data give the same result
    both = local.merge(ref, on="band")
    assert stats.isratio(both, "x", "n")["value"].iloc[0] == pytest.approx(30 / 35)


def test_isr_worked_and_small_count_exact() -> None:
    # ISR = O/E x reference crude rate (350 / 20,000) x 100,000 = (30/35) x 1750 = 1500
    local, ref = _isr_data()
    r = stats.isr(local, "x", "n", "band", reference=ref)
    assert r["value"].iloc[0] == pytest.approx(1500.0)
    # O = 9 < 10: exact limits 4.115373 and 17.084803, scaled by 1750/35 = 50
    small = local.assign(x=[4, 5])
    r = stats.isr(small, "x", "n", "band", reference=ref)
    assert r["method"].iloc[0] == "Exact"
    assert r["lower_ci"].iloc[0] == pytest.approx(4.115373 * 50, abs=1e-4)
    assert r["upper_ci"].iloc[0] == pytest.approx(17.084803 * 50, abs=1e-4)


def test_isr_zero_observed_and_unknown_band() -> None:
    # O = 0: value 0, lower 0, upper -ln(0.025)/E
    local, ref = _isr_data()
    r = stats.isratio(local.assign(x=[0, 0]), "x", "n", "band", reference=ref)
    assert r["value"].iloc[0] == 0 and r["lower_ci"].iloc[0] == 0
    assert r["upper_ci"].iloc[0] == pytest.approx(3.688879 / 35, abs=1e-6)
    with pytest.raises(DataError, match="column 'band'.*'C'.*row with index 1"):
        stats.isratio(local.assign(band=["A", "C"]), "x", "n", "band", reference=ref)


# ====================================================================== mean
def test_mean_t_interval() -> None:
    # 1, 2, 4: mean 7/3, s = sqrt(((4/3)^2 + (1/3)^2 + (5/3)^2) / 2) = sqrt(7/3) = 1.527525
    # t_{0.975, 2} = 4.302653; half-width = 4.302653 * 1.527525 / sqrt(3) = 3.794583
    r = stats.mean(
        pd.DataFrame({"g": [1, 1, 1, 2], "v": [1.0, 2, 4, 3]}), "v", group_by="g"
    )
    assert r["value"].iloc[0] == pytest.approx(7 / 3)
    assert r["stdev"].iloc[0] == pytest.approx(math.sqrt(7 / 3))
    assert r["lower_ci"].iloc[0] == pytest.approx(7 / 3 - 3.794583, abs=1e-5)
    assert r["upper_ci"].iloc[0] == pytest.approx(7 / 3 + 3.794583, abs=1e-5)
    assert (
        np.isnan(r["lower_ci"].iloc[1]) and "one observation" in r["value_note"].iloc[1]
    )


# ====================================================================== life expectancy
PHE_POPS = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601, 50209,
            56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]  # fmt: skip
PHE_DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390,
              1605, 1936, 1937]  # fmt: skip


def _chiang_reference(deaths, pops):
    """The life table written out band by band from Chiang / Silcocks (no vectorising)."""
    starts = [0, 1] + list(range(5, 95, 5))
    k = len(starts)
    M = [d / p for d, p in zip(deaths, pops, strict=True)]
    a = [0.1] + [0.5] * (k - 1)
    n = [starts[i + 1] - starts[i] for i in range(k - 1)] + [2 / M[-1]]
    q = []
    for i in range(k):
        if deaths[i] <= pops[i] / n[i] / a[i]:
            q.append(M[i] * n[i] / (1 + M[i] * n[i] * (1 - a[i])))
        else:
            q.append(1.0)
    lx = [100_000.0]
    for i in range(1, k):
        lx.append(lx[-1] * (1 - q[i - 1]))
    d = [lx[i] - (lx[i + 1] if i + 1 < k else 0) for i in range(k)]
    L = [n[i] * (lx[i + 1] + a[i] * d[i]) for i in range(k - 1)] + [lx[-1] / M[-1]]
    T = [sum(L[i:]) for i in range(k)]
    e = [T[i] / lx[i] for i in range(k)]
    sp = [0 if d[i] == 0 else q[i] ** 2 * (1 - q[i]) / deaths[i] for i in range(k)]
    sp[-1] = 4 / (deaths[-1] * M[-1] ** 2)  # Silcocks: variance of the final band
    W = [sp[i] * lx[i] ** 2 * ((1 - a[i]) * n[i] + e[i + 1]) ** 2 for i in range(k - 1)]
    W.append((lx[-1] / 2) ** 2 * sp[-1])
    se = [math.sqrt(sum(W[i:]) / lx[i] ** 2) for i in range(k)]
    return e, se


def test_life_expectancy_phe_example_against_written_out_table() -> None:
    # PHEindicatormethods' phe_life_expectancy example data (persons, 20 bands)
    df = pd.DataFrame({"startage": [0, 1] + list(range(5, 95, 5)), "pops": PHE_POPS,
                       "deaths": PHE_DEATHS})  # fmt: skip
    r = stats.life_expectancy(
        df, "deaths", "pops", "startage", confidence=[0.95, 0.998]
    )
    e, se = _chiang_reference(PHE_DEATHS, PHE_POPS)
    assert r["startage"].tolist() == list(stats.LIFE_TABLE_BANDS)
    assert r["value"].tolist() == pytest.approx(e, rel=1e-10)
    assert r["lower_ci_95"].tolist() == pytest.approx(
        [x - Z95 * s for x, s in zip(e, se, strict=True)], rel=1e-10
    )
    z998 = 3.090232306167813
    assert r["upper_ci_99_8"].tolist() == pytest.approx(
        [x + z998 * s for x, s in zip(e, se, strict=True)], rel=1e-10
    )
    # LE at birth about 80.17 years; numerator/denominator are deaths/population at ages >= start
    assert r["value"].iloc[0] == pytest.approx(80.1696, abs=1e-4)
    assert (
        r["numerator"].iloc[0] == sum(PHE_DEATHS) and r["denominator"].iloc[-1] == 11936
    )


def test_life_expectancy_rules_and_groups() -> None:
    base = pd.DataFrame(
        {"age": list(stats.LIFE_TABLE_BANDS), "pops": PHE_POPS, "deaths": PHE_DEATHS}
    )
    small = base.assign(
        pops=[250] * 20, deaths=[1] * 20, area="small"
    )  # total 5000 <= 5000
    over = base.assign(area="over")
    over.loc[5, "deaths"] = over.loc[5, "pops"] + 1
    ok = base.assign(area="ok")
    none90 = base.assign(area="none90")
    none90.loc[19, "deaths"] = 0
    wide = base.assign(
        pops=[400] * 20, deaths=[0] * 19 + [1], area="wide"
    )  # total 8000
    r = stats.life_expectancy(
        pd.concat([small, over, ok, none90, wide]),
        "deaths",
        "pops",
        "age",
        group_by="area",
    )
    first = r.groupby("area").first()
    assert "5,000 or fewer" in first.loc["small", "value_note"]
    assert "more deaths than population" in first.loc["over", "value_note"]
    assert "no deaths at ages 90+" in first.loc["none90", "value_note"]
    assert first.loc["ok", "value"] == pytest.approx(80.1696, abs=1e-4)
    assert first.loc["ok", "value_note"] is None
    for a in ("small", "over", "none90"):
        assert np.isnan(first.loc[a, "value"]) and np.isnan(first.loc[a, "lower_ci"])
    # one death at 90+ in 400: SE at 90+ = sqrt(4 / (1 * M^2)) / 2 = 400 years -> withheld
    w = r[(r["area"] == "wide") & (r["age"] == "90+")].iloc[0]
    assert np.isnan(w["value"]) and np.isfinite(w["upper_ci"])
    assert "wider than 20 years" in w["value_note"]


def test_life_expectancy_bad_inputs() -> None:
    df = pd.DataFrame(
        {"age": list(stats.LIFE_TABLE_BANDS), "pops": PHE_POPS, "deaths": PHE_DEATHS}
    )
    with pytest.raises(DataError, match="age bands are missing.*'90\\+'"):
        stats.life_expectancy(df.iloc[:19], "deaths", "pops", "age")
    with pytest.raises(DataError, match="column 'deaths'.*negative.*row with index 3"):
        stats.life_expectancy(
            df.assign(deaths=[-1 if i == 3 else d for i, d in enumerate(PHE_DEATHS)]),
            "deaths",
            "pops",
            "age",
        )
    with pytest.raises(DataError, match="'85-90'"):
        stats.life_expectancy(
            df.assign(age=[*stats.LIFE_TABLE_BANDS[:18], "85-90", "90+"]),
            "deaths",
            "pops",
            "age",
        )


# ====================================================================== funnel
def test_funnel_proportion_limits_and_significance() -> None:
    # target p0 = 143/550 = 0.26; at n = 100: 0.26 -/+ z sqrt(0.26 * 0.74 / 100)
    # = 0.26 -/+ 1.959964 * 0.0438634 -> 17.4029% .. 34.5971%
    d = pd.DataFrame({"x": [10, 50, 3, 80], "n": [100, 200, 50, 200]})
    r = stats.funnel_limits(d, "x", "n", multiplier=100)
    assert r["target"].iloc[0] == pytest.approx(26.0)
    assert r["lower_limit_95"].iloc[0] == pytest.approx(17.4029, abs=1e-3)
    assert r["upper_limit_95"].iloc[0] == pytest.approx(34.5971, abs=1e-3)
    assert r["significance_95"].tolist() == ["low", "within", "low", "high"]
    assert (r["upper_limit_99_8"] > r["upper_limit_95"]).all()


def test_funnel_rate_and_ratio() -> None:
    # rate target 20 per 1000 at n = 1000 -> E = 20: exact Poisson 95% limits of 20 events
    # chi2_{0.025}(40)/2 = 12.21652, chi2_{0.975}(42)/2 = 30.88838 -> per 1000 as is
    c = stats.funnel_curve(
        20, [1000], statistic="rate", multiplier=1000, confidence=0.95
    )
    assert c["lower_limit_95"].iloc[0] == pytest.approx(12.21652, abs=1e-4)
    assert c["upper_limit_95"].iloc[0] == pytest.approx(30.88838, abs=1e-4)
    # ratio: observed 30, expected 20 -> ratio 1.5 against limits 0.6108 .. 1.5444: within
    d = pd.DataFrame({"obs": [30, 40], "exp": [20.0, 20.0]})
    r = stats.funnel_limits(d, "obs", "exp", statistic="ratio", confidence=0.95)
    assert r["upper_limit_95"].iloc[0] == pytest.approx(30.88838 / 20, abs=1e-5)
    assert r["significance_95"].tolist() == ["within", "high"]


def test_proportion_funnel_matches_phe_reference_outputs() -> None:
    """Proportion funnel limits against reference outputs published with DHSC's PHStatsMethods
    test data (``testdata_funnel_prop_outputs.csv``, generated with PHEindicatormethods'
    ``calculate_funnel_limits``): baseline 80.642448%, 95% ("2s") and 99.8% ("3s") limits in %,
    capped at 0 and 100. Nine of its rows, copied as published (6 dp)."""
    from hiworkbook.stats import funnel_curve

    # denominator, lower 95%, upper 95%, lower 99.8%, upper 99.8%
    reference = [
        (1, 3.204264, 100, 0, 100),
        (3, 35.933491, 100, 10.150815, 100),
        (6, 49.028442, 100, 30.797336, 100),
        (11, 57.293957, 100, 43.829393, 100),
        (20, 63.326743, 97.958152, 53.341156, 100),
        (50, 69.691035, 91.593861, 63.375595, 97.909301),
        (102, 72.974925, 88.309971, 68.553233, 92.731663),
        (1008, 78.203374, 83.081521, 76.796814, 84.488082),
        (110000, 80.408963, 80.875933, 80.274317, 81.010578),
    ]
    n = [r[0] for r in reference]
    got = funnel_curve(0.80642448, n, statistic="proportion", multiplier=1)
    for row, (_, lo95, hi95, lo998, hi998) in zip(
        got.itertuples(), reference, strict=True
    ):
        assert 100 * row.lower_limit_95 == pytest.approx(lo95, abs=1e-5)
        assert 100 * row.upper_limit_95 == pytest.approx(hi95, abs=1e-5)
        assert 100 * row.lower_limit_99_8 == pytest.approx(lo998, abs=1e-5)
        assert 100 * row.upper_limit_99_8 == pytest.approx(hi998, abs=1e-5)


def test_life_expectancy_matches_phe_reference_answers() -> None:
    """Life expectancy at every band start against the expected answers published in
    PHEindicatormethods' own tests (``testLifeExpectancy.R``: data ``df1`` and ``answer1``, which
    that package checks to 4 decimal places). Numbers copied as published."""
    from hiworkbook.stats import LIFE_TABLE_BANDS, life_expectancy

    pops = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601,
            50209, 56416, 46411, 39820, 37978, 37039, 33288, 23306, 11936, 11936]  # fmt: skip
    deaths = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71,
              100, 163, 263, 304, 536, 872, 1390, 1605, 1936, 1937]  # fmt: skip
    value = [80.16960813, 79.36245674, 75.44193645, 70.47299936, 65.52909542, 60.67510088,
             55.78835987, 50.92752727, 46.06740425, 41.24505636, 36.49322717, 31.83343842,
             27.26027992, 22.9719144, 18.76856852, 14.95858336, 11.51684445, 8.618849241,
             6.163942934, 6.16210635]  # fmt: skip
    lower = [79.88268548, 79.0898816, 75.17407307, 70.20675732, 65.26548673, 60.41876577,
             55.53801579, 50.68279939, 45.82666794, 41.00842831, 36.26223216, 31.60996318,
             27.04337271, 22.76653134, 18.57570352, 14.77985004, 11.34831778, 8.451134045,
             5.978358351, 5.887683386]  # fmt: skip
    upper = [80.45653078, 79.63503188, 75.70979983, 70.7392414, 65.79270412, 60.931436,
             56.03870395, 51.17225516, 46.30814055, 41.48168441, 36.72422219, 32.05691365,
             27.47718713, 23.17729746, 18.96143352, 15.13731667, 11.68537112, 8.786564437,
             6.349527517, 6.436529314]  # fmt: skip
    data = pd.DataFrame(
        {"age_band": list(LIFE_TABLE_BANDS), "deaths": deaths, "pop": pops}
    )
    got = life_expectancy(data, "deaths", "pop", "age_band")
    assert got["value"].to_numpy() == pytest.approx(value, abs=1e-4)
    assert got["lower_ci"].to_numpy() == pytest.approx(lower, abs=1e-4)
    assert got["upper_ci"].to_numpy() == pytest.approx(upper, abs=1e-4)
