"""Reference tests for hiworkbook.inequality: quantiles, SII/RII, gap.

Expected values are worked by hand from Low & Low (2004) / PHEindicatormethods ``phe_sii``
definitions in the comments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiworkbook.inequality import gap, quantiles, sii
from hiworkbook.validate import DataError


def _quintiles(values, pops=None, se=1.0):
    pops = pops or [1000] * len(values)
    z = 1.959963984540054
    v = np.asarray(values, dtype=float)
    return pd.DataFrame(
        {
            "q": range(1, len(values) + 1),
            "value": v,
            "lo": v - z * se,
            "hi": v + z * se,
            "pop": pops,
        }
    )


# ====================================================================== SII
class TestSII:
    def test_equal_populations(self) -> None:
        # 5 equal quintiles: a = 0.2, midpoints 0.1, 0.3, 0.5, 0.7, 0.9; y = 10..18 by 2.
        # xbar = 0.5, ybar = 14, Sxx = 0.2 (0.16+0.04+0+0.04+0.16) = 0.08,
        # Sxy = 0.2 (1.6+0.4+0+0.4+1.6) = 0.8 -> SII = 10 (least minus most deprived).
        # RII (mean) = 10/14; RII (ratio, phe_sii) = (b0 + b1)/b0 with b0 = 14 - 5 = 9 -> 19/9
        d = _quintiles([10, 12, 14, 16, 18])
        r = sii(d, "value", "lo", "hi", "pop", "q", rii=True, reps=20_000, seed=1)
        assert r["value"].iloc[0] == pytest.approx(10.0)
        assert r["rii"].iloc[0] == pytest.approx(10 / 14)
        r2 = sii(
            d,
            "value",
            "lo",
            "hi",
            "pop",
            "q",
            rii=True,
            rii_method="ratio",
            reps=20_000,
            seed=1,
        )
        assert r2["rii"].iloc[0] == pytest.approx(19 / 9)
        assert r["quantiles_used"].iloc[0] == 5 and r["value_note"].iloc[0] is None

    def test_simulated_interval_matches_analytic_normal(self) -> None:
        # value_type 0: SII = sum c_i y_i with c_i = a_i (x_i - xbar)/Sxx = -1, -0.5, 0, 0.5, 1.
        # With se_i = 1 the simulated SII is normal with sd = sqrt(1 + .25 + 0 + .25 + 1)
        # = 1.581139, so the 95% CI is 10 -/+ 1.959964 * 1.581139 = 6.900972 .. 13.099028
        d = _quintiles([10, 12, 14, 16, 18])
        r = sii(d, "value", "lo", "hi", "pop", "q", reps=100_000, seed=3)
        assert r["lower_ci"].iloc[0] == pytest.approx(6.900972, abs=0.05)
        assert r["upper_ci"].iloc[0] == pytest.approx(13.099028, abs=0.05)

    def test_unequal_populations(self) -> None:
        # shares 0.1, 0.2, 0.3, 0.4 -> midpoints 0.05, 0.2, 0.45, 0.8 (xbar = 0.5)
        # y = 5, 4, 3, 1: ybar = 2.6; Sxy = .1(-.45)(2.4) + .2(-.3)(1.4) + .3(-.05)(.4)
        # + .4(.3)(-1.6) = -0.39; Sxx = .02025 + .018 + .00075 + .036 = 0.075 -> SII = -5.2
        d = _quintiles([5, 4, 3, 1], pops=[100, 200, 300, 400])
        r = sii(d, "value", "lo", "hi", "pop", "q", reps=10_000, seed=1)
        assert r["value"].iloc[0] == pytest.approx(-5.2)

    def test_one_empty_quantile_uses_remaining_midpoints(self) -> None:
        # quintile 3 has no population: the other four are the example above -> -5.2, noted
        d = _quintiles([5, 4, 99, 3, 1], pops=[100, 200, 0, 300, 400])
        r = sii(d, "value", "lo", "hi", "pop", "q", reps=10_000, seed=1)
        assert r["value"].iloc[0] == pytest.approx(-5.2)
        assert r["quantiles_used"].iloc[0] == 4
        assert "quantile 3 empty or missing" in r["value_note"].iloc[0]
        # same when the quintile's value is missing instead, or the row is absent in a group
        d2 = d.assign(
            value=d["value"].where(d["q"] != 3), pop=[100, 200, 500, 300, 400]
        )
        r2 = sii(d2, "value", "lo", "hi", "pop", "q", reps=10_000, seed=1)
        assert r2["value"].iloc[0] == pytest.approx(-5.2)

    def test_fewer_than_three_quantiles_refused(self) -> None:
        d = _quintiles([5, 4, 3, 1, 1], pops=[100, 200, 0, 0, 0])
        r = sii(d, "value", "lo", "hi", "pop", "q", reps=1000, seed=1)
        assert np.isnan(r["value"].iloc[0]) and np.isnan(r["lower_ci"].iloc[0])
        assert "fewer than 3 quantiles" in r["value_note"].iloc[0]

    def test_rate_log_and_proportion_logit_transforms(self) -> None:
        # rates per 100,000 with tiny CIs: simulated CI collapses onto the point SII
        d = _quintiles([500, 450, 400, 350, 300], se=0.001)
        r = sii(
            d,
            "value",
            "lo",
            "hi",
            "pop",
            "q",
            value_type=1,
            multiplier=100_000,
            reps=5000,
            seed=2,
        )
        assert r["value"].iloc[0] == pytest.approx(-250.0)
        assert r["lower_ci"].iloc[0] == pytest.approx(-250.0, abs=0.01)
        assert "log scale" in r["method"].iloc[0]
        # percentages: multiplier 100 puts them on 0-1 before the logit; SII in points
        p = _quintiles([60, 62, 64, 66, 68], se=0.001)
        r = sii(
            p,
            "value",
            "lo",
            "hi",
            "pop",
            "q",
            value_type=2,
            multiplier=100,
            reps=5000,
            seed=2,
        )
        assert r["value"].iloc[0] == pytest.approx(10.0)
        assert r["upper_ci"].iloc[0] == pytest.approx(10.0, abs=0.01)
        with pytest.raises(DataError, match="between 0 and 100"):
            sii(
                p.assign(value=p["value"] * 2),
                "value",
                "lo",
                "hi",
                "pop",
                "q",
                value_type=2,
                multiplier=100,
            )

    def test_zero_lower_limit_cannot_be_logged(self) -> None:
        d = _quintiles([5, 4, 3, 2, 1]).assign(lo=[1, 1, 1, 1, 0])
        r = sii(d, "value", "lo", "hi", "pop", "q", value_type=1, reps=1000, seed=1)
        assert r["value"].iloc[0] == pytest.approx(-5.0)  # step -1 per 0.2
        assert (
            np.isnan(r["lower_ci"].iloc[0])
            and "not simulated" in r["value_note"].iloc[0]
        )

    def test_grouped_equals_separate_and_seed_reproducible(self) -> None:
        a = _quintiles([10, 12, 14, 16, 18]).assign(place="a")
        b = _quintiles([18, 15, 14, 12, 9], pops=[300, 200, 100, 50, 25], se=2).assign(
            place="b"
        )
        both = sii(
            pd.concat([b, a]),
            "value",
            "lo",
            "hi",
            "pop",
            "q",
            group_by="place",
            reps=5000,
            seed=7,
            confidence=[0.95, 0.998],
        )
        alone = sii(
            b,
            "value",
            "lo",
            "hi",
            "pop",
            "q",
            group_by="place",
            reps=5000,
            seed=7,
            confidence=[0.95, 0.998],
        )
        assert both["place"].tolist() == ["a", "b"]
        pd.testing.assert_frame_equal(both.iloc[[1]].reset_index(drop=True), alone)
        assert both["lower_ci_99_8"].iloc[0] < both["lower_ci_95"].iloc[0]

    def test_bad_inputs(self) -> None:
        d = _quintiles([1, 2, 3, 4, 5]).assign(pop=[10, -1, 10, 10, 10])
        with pytest.raises(DataError, match="column 'pop'.*row with index 1"):
            sii(d, "value", "lo", "hi", "pop", "q")
        d = _quintiles([1, 2, 3, 4, 5]).assign(q=[1, 1, 2, 3, 4])
        with pytest.raises(DataError, match="more than once"):
            sii(d, "value", "lo", "hi", "pop", "q")

    def test_simulated_limits_are_numpys_quantiles(self) -> None:
        # the SII's limits read order statistics from the tails of the draws only: the very
        # numbers np.quantile gives (type 7), for normal, skewed, tied and short rows, mid and
        # extreme probabilities, and a row with a NaN
        from hiworkbook.inequality import _sim_quantiles

        rng = np.random.default_rng(7)
        for trial in range(60):
            kind = trial % 5
            if kind == 0:
                x = rng.standard_normal((3, 100_000)).astype(np.float32)
            elif kind == 1:
                x = np.exp(rng.standard_normal((3, 100_000)) * 3).astype(np.float32)
            elif kind == 2:
                x = rng.integers(0, 50, (3, 100_000)).astype(np.float32)
            elif kind == 3:
                x = rng.standard_normal((3, 1000 + trial))
            else:
                x = rng.standard_normal((3, 5000)).astype(np.float32)
                x[1, 7] = np.nan
            probs = (
                [0.001, 0.025, 0.975, 0.999]
                if trial % 3
                else [0.05, 0.1, 0.5, 0.9, 0.0, 1.0]
            )
            want = np.quantile(x, probs, axis=1).T
            np.testing.assert_array_equal(_sim_quantiles(x, probs), want)


# ====================================================================== quantiles
class TestQuantiles:
    def test_unweighted_invert(self) -> None:
        # scores 1..10, quintiles, highest score = most deprived = quintile 1:
        # rank r (from the highest) -> ceil(r * 5 / 10)
        d = pd.DataFrame({"score": np.arange(1, 11)})
        q = quantiles(d, "score", 5)["quantile"].tolist()
        assert q == [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
        q2 = quantiles(d, "score", 5, invert=False)["quantile"].tolist()
        assert q2 == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]

    def test_ties_share_a_quantile_and_nan(self) -> None:
        # scores 9, 9, 9, 1 in 2 quantiles: the tied block all take rank 1 -> quantile 1
        d = pd.DataFrame({"score": [9, 1, 9, 9, np.nan]})
        q = quantiles(d, "score", 2)["quantile"]
        assert q.iloc[:4].tolist() == [1, 2, 1, 1] and q.isna().iloc[4]

    def test_population_weighted_within_groups(self) -> None:
        # place p: scores 4,3,2,1 (most deprived first) with populations 100, 100, 100, 700.
        # cumulative midpoints as shares of 1000: 0.05, 0.15, 0.25, 0.65 -> quintile
        # floor(5 m) + 1 = 1, 1, 2, 4. Place r (one area) -> quintile 3 (midpoint 0.5).
        d = pd.DataFrame(
            {
                "place": ["p", "p", "p", "p", "r"],
                "score": [1, 2, 3, 4, 5],
                "pop": [700, 100, 100, 100, 50],
            }
        )
        q = quantiles(d, "score", 5, population="pop", group_by="place")[
            "quantile"
        ].tolist()
        assert q == [4, 2, 1, 1, 3]


def test_gap() -> None:
    d = pd.DataFrame(
        {"g": ["a"] * 3 + ["b"] * 2, "q": [3, 1, 2, 1, 5], "v": [30.0, 10, 20, 8, 4]}
    )
    r = gap(d, "v", "q", group_by="g")
    assert r["absolute_gap"].tolist() == [20.0, -4.0]
    assert r["relative_gap"].tolist() == pytest.approx([3.0, 0.5])
