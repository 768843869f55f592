"""PHE's quantile rule (phe_quantile) and the SII fitted on the transformed scale
(phe_sii transform=TRUE), against values worked by hand from the published methods."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hiworkbook.inequality import quantiles, sii

# 25 areas in deciles, ranks 1..25 (invert=False: lowest value = rank 1).
# phe_quantile: q = floor((k + 1) - ceil((N + 1 - r) / (N / k))), N = 25, k = 10, N/k = 2.5
#   r = 3: ceil(23 / 2.5) = ceil(9.2) = 10 -> 11 - 10 = 1;  r = 4: ceil(8.8) = 9 -> 2
#   r = 6: ceil(8.0) = 8 -> 3; r = 8: ceil(7.2) = 8 -> 3; r = 9: ceil(6.8) = 7 -> 4 ...
PHE_25 = [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5, 5, 6, 6, 7, 7, 7, 8, 8, 9, 9, 9, 10, 10]
# ceiling rule: ceil(r * 10 / 25) = ceil(0.4 r)
CEIL_25 = [1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 8, 9, 9, 10, 10, 10]


def test_phe_quantile_25_areas_by_hand() -> None:
    d = pd.DataFrame({"v": np.arange(1, 26, dtype=float)})
    got = quantiles(d, "v", 10, invert=False)["quantile"].tolist()
    assert got == PHE_25
    assert (
        quantiles(d, "v", 10, invert=False, method="ceiling")["quantile"].tolist()
        == CEIL_25
    )
    # they differ at ranks 3, 8, 13, 18, 23
    diff = [
        i + 1 for i, (a, b) in enumerate(zip(PHE_25, CEIL_25, strict=True)) if a != b
    ]
    assert diff == [3, 8, 13, 18, 23]


def test_phe_quantile_ties_invert_and_small_groups() -> None:
    # ranks 3 and 4 tied: both take rank 3 ("min") -> decile 1 under PHE, 2 under ceiling
    v = np.arange(1, 26, dtype=float)
    v[3] = v[2]
    d = pd.DataFrame({"v": v, "g": "a"})
    q = quantiles(d, "v", 10, invert=False, group_by="g")["quantile"]
    assert q.iloc[2] == q.iloc[3] == 1
    # invert=True ranks from the highest value: the highest of 25 is decile 1
    qi = quantiles(pd.DataFrame({"v": np.arange(1, 26.0)}), "v", 10)["quantile"]
    assert qi.tolist() == PHE_25[::-1]
    # a group with fewer areas than quantiles gets missing values (phe_quantile), the
    # ceiling rule still assigns them; missing values stay missing
    small = pd.DataFrame({"v": [1.0, 2, 3, np.nan], "g": "b"})
    assert quantiles(small, "v", 5, group_by="g")["quantile"].isna().all()
    c = quantiles(small, "v", 5, group_by="g", method="ceiling")["quantile"]
    # highest first: ranks 3, 2, 1 of 3 -> ceil(5r/3) = 5, 4, 2
    assert c.iloc[:3].tolist() == [5, 4, 2] and c.isna().iloc[3]


def test_sii_fitted_on_the_log_scale_by_hand() -> None:
    # equal populations: midpoints x = .1 .3 .5 .7 .9, weights equal (OLS)
    v = np.array([400.0, 300, 250, 200, 150])
    d = pd.DataFrame({"q": range(1, 6), "v": v, "pop": 1000.0})
    d["lo"], d["hi"] = d["v"] * 0.9, d["v"] * 1.1
    x = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    y = np.log(v)
    b1 = ((x - 0.5) * y).sum() / ((x - 0.5) ** 2).sum()
    b0 = y.mean() - 0.5 * b1
    r = sii(
        d,
        "v",
        "lo",
        "hi",
        "pop",
        "q",
        value_type=1,
        fit_scale="transformed",
        rii=True,
        reps=2000,
        seed=3,
    ).iloc[0]
    assert r["value"] == pytest.approx(math.exp(b0 + b1) - math.exp(b0), rel=1e-12)
    assert r["rii"] == pytest.approx(math.exp(b1), rel=1e-12)
    assert r["intercept"] == pytest.approx(math.exp(b0), rel=1e-12)
    assert r["lower_ci"] < r["value"] < r["upper_ci"]
    # the value-scale fit (PHE's default) is the plain weighted slope: different number
    plain = sii(d, "v", "lo", "hi", "pop", "q", value_type=1, reps=2000, seed=3)
    assert plain["value"].iloc[0] == pytest.approx(
        ((x - 0.5) * v).sum() / ((x - 0.5) ** 2).sum()
    )
    assert plain["value"].iloc[0] != pytest.approx(r["value"], rel=1e-3)
    # `transform` is only the simulation scale: it never changes the point estimate
    t_off = sii(
        d, "v", "lo", "hi", "pop", "q", value_type=1, transform=False, reps=2000
    )
    assert t_off["value"].iloc[0] == pytest.approx(plain["value"].iloc[0])


def test_sii_fitted_on_the_logit_scale_by_hand() -> None:
    # percentages (multiplier 100): logit of p = v / 100
    v = np.array([20.0, 25, 30, 35, 45])
    pop = np.array([100.0, 200, 300, 200, 200])
    d = pd.DataFrame({"q": range(1, 6), "v": v, "pop": pop, "lo": v - 2, "hi": v + 2})
    a = pop / pop.sum()
    x = np.cumsum(a) - a / 2
    y = np.log((v / 100) / (1 - v / 100))
    xb = (a * x).sum()
    b1 = (a * (x - xb) * y).sum() / (a * (x - xb) ** 2).sum()
    b0 = (a * y).sum() - b1 * xb

    def inv(t: float) -> float:
        return 100 / (1 + math.exp(-t))

    r = sii(
        d,
        "v",
        "lo",
        "hi",
        "pop",
        "q",
        value_type=2,
        multiplier=100,
        fit_scale="transformed",
        rii=True,
        reps=2000,
        seed=1,
    ).iloc[0]
    assert r["value"] == pytest.approx(inv(b0 + b1) - inv(b0), rel=1e-12)
    assert r["rii"] == pytest.approx(inv(b0 + b1) / inv(b0), rel=1e-12)
