"""Reference tests: proportion (Wilson), rate (Byar / exact Poisson), DSR (Dobson), compare.

Every expected number is worked out from the published formula in the comments (z = 1.959964
for 95%, 3.090232 for 99.8%), not taken from the code's own output.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiworkbook import stats
from hiworkbook.validate import DataError

Z95 = 1.959963984540054


# ====================================================================== proportion
class TestProportion:
    def test_wilson_65_of_100(self) -> None:
        # Wilson: (2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))
        # x=65, n=100: z^2 = 3.841459; sqrt(3.841459 + 4*65*0.35) = sqrt(94.841459) = 9.738658
        # lower = (130 + 3.841459 - 19.087439) / 207.682918 = 0.552544
        # upper = (130 + 3.841459 + 19.087439) / 207.682918 = 0.736358
        r = stats.proportion(
            pd.DataFrame({"x": [65], "n": [100]}), "x", "n", multiplier=100
        )
        assert r["value"].iloc[0] == pytest.approx(65.0)
        assert r["lower_ci"].iloc[0] == pytest.approx(55.2544, abs=1e-4)
        assert r["upper_ci"].iloc[0] == pytest.approx(73.6358, abs=1e-4)
        assert r["method"].iloc[0] == "Wilson"
        assert r["numerator"].iloc[0] == 65 and r["denominator"].iloc[0] == 100

    def test_zero_numerator(self) -> None:
        # x = 0: lower = (z^2 - z*z)/... = 0; upper = 2z^2 / (2(n + z^2)) = z^2/(n + z^2)
        # n = 50: 3.841459 / 53.841459 = 0.0713476
        r = stats.proportion(pd.DataFrame({"x": [0], "n": [50]}), "x", "n")
        assert r["value"].iloc[0] == 0
        assert r["lower_ci"].iloc[0] == pytest.approx(0.0, abs=1e-12)
        assert r["upper_ci"].iloc[0] == pytest.approx(0.0713476, abs=1e-6)

    def test_proportion_of_one(self) -> None:
        # x = n = 50: sqrt(z^2 + 4x(1 - 1)) = z, so lower = (2n + z^2 - z^2) / (2(n + z^2))
        # = 100 / 107.682918 = 0.928652 and upper = (100 + 2 z^2) / (2(n + z^2)) = 1
        r = stats.proportion(pd.DataFrame({"x": [50], "n": [50]}), "x", "n")
        assert r["value"].iloc[0] == 1
        assert r["lower_ci"].iloc[0] == pytest.approx(0.928652, abs=1e-6)
        assert r["upper_ci"].iloc[0] == pytest.approx(1.0)

    def test_998_level_and_column_names(self) -> None:
        # z(99.8%) = 3.090232; z^2 = 9.549536; x = 65, n = 100:
        # sqrt(9.549536 + 91) = 10.027439; z*... = 30.987117
        # lower = (130 + 9.549536 - 30.987117) / (2 * 109.549536) = 0.495495
        # upper = (139.549536 + 30.987117) / 219.099072 = 0.778354
        r = stats.proportion(
            pd.DataFrame({"x": [65], "n": [100]}), "x", "n", confidence=[0.95, 0.998]
        )
        assert {"lower_ci_95", "upper_ci_95", "lower_ci_99_8", "upper_ci_99_8"} <= set(
            r
        )
        assert r["lower_ci_99_8"].iloc[0] == pytest.approx(0.495495, abs=1e-6)
        assert r["upper_ci_99_8"].iloc[0] == pytest.approx(0.778354, abs=1e-6)
        assert r["confidence"].iloc[0] == "95%, 99.8%"
        # percentages accepted as confidence
        r2 = stats.proportion(
            pd.DataFrame({"x": [65], "n": [100]}), "x", "n", confidence=99.8
        )
        assert r2["lower_ci"].iloc[0] == pytest.approx(0.495495, abs=1e-6)

    def test_grouped_sums_counts_and_keeps_group_columns_first(self) -> None:
        df = pd.DataFrame(
            {
                "area": ["b", "a", "b", "a"],
                "x": [10, 30, 20, 35],
                "n": [100, 50, 100, 50],
            }
        )
        r = stats.proportion(df, "x", "n", group_by="area", multiplier=100)
        assert list(r.columns[:3]) == ["area", "numerator", "denominator"]
        assert list(r["area"]) == ["a", "b"]
        # a: 65/100 -> as the first test; b: 30/200 = 15%
        assert r["value"].tolist() == pytest.approx([65.0, 15.0])
        assert r["lower_ci"].iloc[0] == pytest.approx(55.2544, abs=1e-4)

    def test_zero_denominator_gives_note(self) -> None:
        r = stats.proportion(pd.DataFrame({"x": [0], "n": [0]}), "x", "n")
        assert np.isnan(r["value"].iloc[0]) and np.isnan(r["lower_ci"].iloc[0])
        assert r["value_note"].iloc[0] == "denominator is zero"

    def test_bad_inputs_name_column_and_rows(self) -> None:
        df = pd.DataFrame(
            {"x": [5, -1, 12, np.nan], "n": [10, 10, 10, 10]}, index=[3, 7, 9, 11]
        )
        with pytest.raises(DataError) as e:
            stats.proportion(df, "x", "n")
        msg = str(e.value)
        assert "column 'x'" in msg
        assert "must not be negative" in msg and "row with index 7" in msg
        assert "greater than the denominator" in msg and "row with index 9" in msg
        assert "missing" in msg and "row with index 11" in msg
        with pytest.raises(DataError, match="did you mean 'x'"):
            stats.proportion(df, "xx", "n")


# ====================================================================== rate
class TestRate:
    def test_byar_above_threshold(self) -> None:
        # x = 100 >= 10: Byar's.
        # lower = 100 (1 - 1/900 - z/30)^3 = 100 * 0.8136211 = 81.36211
        # upper = 101 (1 - 1/909 + z/(3 sqrt 101))^3 = 121.62794
        # per 100,000 of 50,000: multiply by 2
        r = stats.rate(pd.DataFrame({"x": [100], "n": [50_000]}), "x", "n")
        assert r["value"].iloc[0] == pytest.approx(200.0)
        assert r["lower_ci"].iloc[0] == pytest.approx(162.72421, abs=1e-4)
        assert r["upper_ci"].iloc[0] == pytest.approx(243.25588, abs=1e-4)
        assert r["method"].iloc[0] == "Byar's"

    def test_threshold_9_exact_10_byar(self) -> None:
        # x = 9 < 10: exact, chi2_{0.025}(18)/2 = 4.115373, chi2_{0.975}(20)/2 = 17.084803
        # x = 10: Byar's, 10 (1 - 1/90 - z/(3 sqrt 10))^3 = 4.787450,
        #          11 (1 - 1/99 + z/(3 sqrt 11))^3 = 18.391459
        df = pd.DataFrame({"g": ["a", "b"], "x": [9, 10], "n": [1000, 1000]})
        r = stats.rate(df, "x", "n", group_by="g", multiplier=1000)
        assert r["method"].tolist() == ["Exact", "Byar's"]
        assert r["lower_ci"].tolist() == pytest.approx([4.115373, 4.787450], abs=1e-5)
        assert r["upper_ci"].tolist() == pytest.approx([17.084803, 18.391459], abs=1e-5)

    def test_zero_count(self) -> None:
        # x = 0: lower 0, upper = chi2_{0.975}(2)/2 = -ln(0.025) = 3.688879;
        # at 99.8%: -ln(0.001) = 6.907755
        r = stats.rate(
            pd.DataFrame({"x": [0], "n": [100_000]}), "x", "n", confidence=[0.95, 0.998]
        )
        assert r["value"].iloc[0] == 0
        assert r["lower_ci_95"].iloc[0] == 0
        assert r["upper_ci_95"].iloc[0] == pytest.approx(3.688879, abs=1e-6)
        assert r["upper_ci_99_8"].iloc[0] == pytest.approx(6.907755, abs=1e-6)

    def test_998_byar(self) -> None:
        # z = 3.090232, x = 100: 100 (1 - 1/900 - z/30)^3 = 71.903692;
        # 101 (1 - 1/909 + z/(3 sqrt 101))^3 = 134.943622
        r = stats.rate(
            pd.DataFrame({"x": [100], "n": [100]}),
            "x",
            "n",
            multiplier=100,
            confidence=0.998,
        )
        assert r["lower_ci"].iloc[0] == pytest.approx(71.903692, abs=1e-5)
        assert r["upper_ci"].iloc[0] == pytest.approx(134.943622, abs=1e-5)

    def test_negative_population_is_an_error(self) -> None:
        with pytest.raises(DataError, match="column 'n'.*row with index 1"):
            stats.rate(pd.DataFrame({"x": [1, 2], "n": [10, -10]}), "x", "n")


# ====================================================================== DSR
def _three_band() -> tuple[pd.DataFrame, pd.Series]:
    std = pd.Series({"A": 1000.0, "B": 2000.0, "C": 1000.0})
    df = pd.DataFrame(
        {"band": ["A", "B", "C"], "x": [5, 10, 20], "n": [1000, 2000, 500]}
    )
    return df, std


class TestDSR:
    def test_worked_three_band_example(self) -> None:
        # rates 5/1000, 10/2000, 20/500 = 0.005, 0.005, 0.04; weights 1000, 2000, 1000 (sum 4000)
        # DSR = (5 + 10 + 40) / 4000 = 0.01375 -> 1375 per 100,000
        # var = sum O (w/n)^2 / W^2 = (5*1 + 10*1 + 20*4) / 4000^2 = 95 / 16e6
        # O = 35; Byar: lower 35 (1 - 1/315 - z/(3 sqrt 35))^3 = 24.375210,
        #                upper 36 (1 - 1/324 + z/18)^3 = 48.678009
        # limits = DSR + sqrt(var/O) (O_L - O): 937.389106 and 1938.366066
        df, std = _three_band()
        r = stats.dsr(df, "x", "n", "band", standard=std)
        assert r["value"].iloc[0] == pytest.approx(1375.0)
        assert r["lower_ci"].iloc[0] == pytest.approx(937.389106, abs=1e-5)
        assert r["upper_ci"].iloc[0] == pytest.approx(1938.366066, abs=1e-5)
        assert r["numerator"].iloc[0] == 35 and r["denominator"].iloc[0] == 3500
        assert r["method"].iloc[0] == "Dobson"

    def test_998(self) -> None:
        # as above with z = 3.090232: Byar 35 -> limits 736.173556 and 2299.677904
        df, std = _three_band()
        r = stats.dsr(df, "x", "n", "band", standard=std, confidence=[0.95, 0.998])
        assert r["lower_ci_99_8"].iloc[0] == pytest.approx(736.173556, abs=1e-5)
        assert r["upper_ci_99_8"].iloc[0] == pytest.approx(2299.677904, abs=1e-5)

    def test_standard_as_dict_dataframe_or_column(self) -> None:
        df, std = _three_band()
        as_dict = stats.dsr(df, "x", "n", "band", standard=std.to_dict())
        as_frame = stats.dsr(
            df,
            "x",
            "n",
            "band",
            standard=pd.DataFrame({"b": std.index, "w": std.values}),
        )
        as_col = stats.dsr(
            df.assign(w=df["band"].map(std)), "x", "n", "band", standard="w"
        )
        for r in (as_dict, as_frame, as_col):
            assert r["value"].iloc[0] == pytest.approx(1375.0)

    def test_empty_age_band(self) -> None:
        # band B has no events: DSR = (5 + 0 + 40)/4000 = 0.01125 -> 1125; O = 25
        # var = (5 + 80)/16e6; Byar 25: 25 (1 - 1/225 - z/15)^3 = 16.177..., checked via formula
        df, std = _three_band()
        df.loc[1, "x"] = 0
        r = stats.dsr(df, "x", "n", "band", standard=std)
        assert r["value"].iloc[0] == pytest.approx(1125.0)
        lo = 25 * (1 - 1 / 225 - Z95 / 15) ** 3
        expected_lo = (0.01125 + np.sqrt(85 / 16e6 / 25) * (lo - 25)) * 1e5
        assert r["lower_ci"].iloc[0] == pytest.approx(expected_lo, rel=1e-9)
        assert r["value_note"].iloc[0] is None
        # a band with no population and no events contributes zero, with a note
        df.loc[1, "n"] = 0
        r = stats.dsr(df, "x", "n", "band", standard=std)
        assert r["value"].iloc[0] == pytest.approx(1125.0)
        assert "no population" in r["value_note"].iloc[0]

    def test_total_count_threshold(self) -> None:
        # 9 events -> not calculated (PHE: total count < 10); 10 events -> calculated
        std = pd.Series({"A": 1.0, "B": 1.0})
        df = pd.DataFrame(
            {
                "g": ["p", "p", "q", "q"],
                "band": ["A", "B"] * 2,
                "x": [4, 5, 5, 5],
                "n": [1000] * 4,
            }
        )
        r = stats.dsr(df, "x", "n", "band", standard=std, group_by="g")
        assert np.isnan(r["value"].iloc[0]) and np.isnan(r["upper_ci"].iloc[0])
        assert r["value_note"].iloc[0] == "total count is less than 10"
        assert r["numerator"].iloc[0] == 9
        assert r["value"].iloc[1] == pytest.approx(500.0)  # 10 / 2000 per 100,000

    def test_esp2013_default_equals_crude_for_standard_structure(self) -> None:
        # population = ESP weights x 3, events = 1% everywhere -> DSR = crude rate = 1000
        df = pd.DataFrame(
            {
                "age_band": stats.ESP2013.index,
                "x": stats.ESP2013.values * 0.03,
                "n": stats.ESP2013.values * 3,
            }
        )
        r = stats.dsr(df, "x", "n", "age_band")
        assert r["value"].iloc[0] == pytest.approx(1000.0)
        assert len(stats.ESP2013) == 19 and stats.ESP2013.sum() == 100_000
        assert stats.ESP2013_18["85+"] == 2500 and len(stats.ESP2013_18) == 18

    def test_non_independent_events(self) -> None:
        # bands A, B, weights 1000 each, n = 1000 each.
        # A: 4 people with 1 event, 3 with 2 -> 10 events; B: 6 with 1, 2 with 3 -> 12 events
        # DSR = (10 + 12) / 2000 = 0.011 -> 1100
        # var = sum f^2 P (w/n)^2 / W^2 = (4 + 12 + 6 + 18) / 4e6 = 1e-5 (independent: 22/4e6)
        # Byar 22, limits 1100 + sqrt(var/22) (O_L - 22) -> 545.975773, 1862.505130
        df = pd.DataFrame(
            {
                "band": ["A", "A", "B", "B"],
                "freq": [1, 2, 1, 3],
                "people": [4, 3, 6, 2],
                "n": [1000] * 4,
            }
        )
        std = {"A": 1000, "B": 1000}
        r = stats.dsr(
            df,
            "people",
            "n",
            "band",
            standard=std,
            independent_events=False,
            event_frequency="freq",
        )
        assert r["value"].iloc[0] == pytest.approx(1100.0)
        assert r["numerator"].iloc[0] == 22 and r["denominator"].iloc[0] == 2000
        assert r["lower_ci"].iloc[0] == pytest.approx(545.975773, abs=1e-5)
        assert r["upper_ci"].iloc[0] == pytest.approx(1862.505130, abs=1e-5)
        # the independent-events interval on the same 22 events is narrower
        ind = pd.DataFrame({"band": ["A", "B"], "x": [10, 12], "n": [1000, 1000]})
        r2 = stats.dsr(ind, "x", "n", "band", standard=std)
        assert r2["lower_ci"].iloc[0] == pytest.approx(689.124637, abs=1e-5)

    def test_missing_and_unknown_bands(self) -> None:
        df, std = _three_band()
        with pytest.raises(DataError, match="age bands are missing.*'C'"):
            stats.dsr(df.iloc[:2], "x", "n", "band", standard=std)
        bad = df.assign(band=["A", "B", "D"])
        with pytest.raises(DataError, match="column 'band'.*'D'.*row with index 2"):
            stats.dsr(bad, "x", "n", "band", standard=std)
        esp = pd.DataFrame({"b": ["0-4", "5-9 "], "x": [1, 2], "n": [10, 10]})
        with pytest.raises(DataError, match="did you mean '5-9'"):
            stats.dsr(esp, "x", "n", "b")

    def test_events_without_population_and_nan(self) -> None:
        df, std = _three_band()
        df.loc[2, "n"] = 0
        with pytest.raises(DataError, match="column 'n'.*population of zero.*index 2"):
            stats.dsr(df, "x", "n", "band", standard=std)
        df, std = _three_band()
        df.loc[0, "x"] = np.nan
        with pytest.raises(DataError, match="column 'x'.*missing.*index 0"):
            stats.dsr(df, "x", "n", "band", standard=std)


# ====================================================================== compare
class TestCompare:
    @pytest.mark.parametrize(
        ("args", "polarity", "expected"),
        [
            ((10, 9, 11, 12), "no_judgement", "lower"),  # upper 11 < 12
            ((10, 9, 11, 8), "no_judgement", "higher"),  # lower 9 > 8
            ((10, 9, 11, 10.5), "no_judgement", "similar"),
            ((10, 9, 11, 11), "no_judgement", "similar"),  # touching counts as similar
            ((10, 9, 11, 8), "high_is_good", "better"),
            ((10, 9, 11, 8), "low_is_good", "worse"),
            ((10, 9, 11, 12), "low_is_good", "better"),
            ((np.nan, 9, 11, 12), "low_is_good", "not compared"),
            ((10, 9, 11, np.nan), "high_is_good", "not compared"),
            ((10, np.nan, 11, 5), "no_judgement", "not compared"),
        ],
    )
    def test_scalar(self, args, polarity, expected) -> None:
        assert stats.compare(*args, polarity=polarity) == expected

    def test_vectorised_series_keeps_index(self) -> None:
        v = pd.Series([1.0, 2.0, 3.0], index=[5, 6, 7])
        out = stats.compare(
            v, [0, 1.5, np.nan], [2, 2.5, 4], 2.2, polarity="high_is_good"
        )
        assert isinstance(out, pd.Series) and list(out.index) == [5, 6, 7]
        assert out.tolist() == ["worse", "similar", "not compared"]
        arr = stats.compare([1, 2], [0, 1.5], [2, 2.5], [3, 1])
        assert list(arr) == ["lower", "higher"]

    def test_bad_polarity(self) -> None:
        with pytest.raises(ValueError, match="polarity"):
            stats.compare(1, 0, 2, 1, polarity="up")


# ====================================================================== grouping
@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame(
            {
                "breakdown": ["area", "small_area", "area", "imd_quintile", None],
                "category": ["All", "E01", "All", "1 (most deprived)", "x"],
                "sex": ["persons", "persons", "male", np.nan, "persons"],
            }
        ),
        pd.DataFrame(
            {
                "a": pd.Categorical(["b", "a", "b", "c"], categories=["c", "b", "a"]),
                "b": [3, 1, 3, 2],
            }
        ),
        pd.DataFrame({"a": [1, "x", 1, "x"], "b": ["p", "q", "p", "p"]}),  # mixed
    ],
)
def test_groups_are_the_groups_of_a_sorted_groupby(frame: pd.DataFrame) -> None:
    from hiworkbook.stats._common import make_groups

    cols = list(frame.columns)
    g = frame.groupby(cols, sort=True, dropna=False, observed=True)
    got = make_groups(frame, cols)
    np.testing.assert_array_equal(got.codes, g.ngroup().to_numpy())
    want = g.size().reset_index()[cols].reset_index(drop=True)
    pd.testing.assert_frame_equal(got.keys, want)
