"""Spatial statistics checked against what they should find: a planted hot spot on a regular grid,
Moran's I from its formula, empirical-Bayes smoothing worked by hand (docs/methods.md)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from hiworkbook import spatial

BLOCK = [
    r * 10 + c for r in range(3, 6) for c in range(3, 6)
]  # a 3x3 block in a 10x10 grid


@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    cells = [box(c, r, c + 1, r + 1) for r in range(10) for c in range(10)]
    codes = [f"G{i:03d}" for i in range(100)]
    return gpd.GeoDataFrame({"code": codes}, geometry=cells, crs=27700)


@pytest.fixture(scope="module")
def planted() -> np.ndarray:
    y = np.random.default_rng(3).normal(10, 1, 100)
    y[BLOCK] += 6
    return y


def test_queen_weights_on_grid(grid: gpd.GeoDataFrame) -> None:
    w = spatial.weights(grid, "code")
    card = w.cardinalities
    assert card["G000"] == 3  # corner: right, up, diagonal
    assert card["G005"] == 5  # edge
    assert card["G044"] == 8  # interior: queen = rook + diagonals
    assert set(w.neighbors["G000"]) == {"G001", "G010", "G011"}
    assert w.islands == [] and w.joined_islands == []


def test_island_joined_to_nearest_both_ways(grid: gpd.GeoDataFrame) -> None:
    far = gpd.GeoDataFrame(
        {"code": ["ISLE"]}, geometry=[box(12, 0, 13, 1)], crs=27700
    )  # 2 units right of G009 (the cell from x=9 to 10 on the bottom row)
    w = spatial.weights(
        gpd.GeoDataFrame(
            {"code": [*grid["code"], "ISLE"]},
            geometry=[*grid.geometry, *far.geometry],
            crs=27700,
        ),
        "code",
    )
    assert w.joined_islands == [("ISLE", "G009")]
    assert w.neighbors["ISLE"] == ["G009"] and "ISLE" in w.neighbors["G009"]
    kept = spatial.weights(
        gpd.GeoDataFrame(
            {"code": ["A", "B"]}, geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6)], crs=27700
        ),
        "code",
        islands="keep",
    )
    assert kept.islands == ["A", "B"]


def test_lisa_finds_the_planted_hot_spot(grid, planted) -> None:
    w = spatial.weights(grid, "code")
    lm = spatial.local_moran(planted, w, permutations=999, seed=7, alpha=0.05)
    hh = set(lm.index[lm["cluster"] == "High-High (hot spot)"])
    sig = set(lm.index[lm["is_significant"]])
    # the block's centre and the middles of its sides (5 or more of 8 neighbours inside it)
    assert {34, 43, 44, 45, 54} <= hh
    assert hh <= set(BLOCK), "hot spots only inside the planted block"
    assert len(hh) >= 5
    assert len(sig - set(BLOCK)) <= 2, "little else after the FDR correction"
    assert not (lm["cluster"] == "Low-Low (cold spot)").any()
    # without the correction, chance flags more areas outside the block
    raw = spatial.local_moran(planted, w, permutations=999, seed=7, fdr=False)
    assert raw["is_significant"].sum() > lm["is_significant"].sum()
    # BH cut-off: k * alpha / n for some k
    k = lm["p_cutoff"].iloc[0] * 100 / 0.05
    assert k == pytest.approx(round(k))


def test_lisa_is_deterministic_with_the_seed(grid, planted) -> None:
    w = spatial.weights(grid, "code")
    a = spatial.local_moran(planted, w, permutations=199, seed=11)
    b = spatial.local_moran(planted, w, permutations=199, seed=11)
    c = spatial.local_moran(planted, w, permutations=199, seed=12)
    assert a.equals(b)
    assert not np.array_equal(a["p_sim"], c["p_sim"])
    g1 = spatial.global_moran(planted, w, permutations=199, seed=5)
    g2 = spatial.global_moran(planted, w, permutations=199, seed=5)
    assert g1 == g2


def test_global_moran_matches_its_formula(grid, planted) -> None:
    w = spatial.weights(grid, "code")
    res = spatial.global_moran(planted, w, permutations=99, seed=1)
    # by hand: queen neighbours of each cell on the 10x10 grid, row-standardised
    n = 100
    z = planted - planted.mean()
    num = 0.0
    for i in range(n):
        r, c = divmod(i, 10)
        nb = [
            rr * 10 + cc
            for rr in (r - 1, r, r + 1)
            for cc in (c - 1, c, c + 1)
            if (rr, cc) != (r, c) and 0 <= rr < 10 and 0 <= cc < 10
        ]
        num += z[i] * sum(z[j] for j in nb) / len(nb)
    i_hand = (n / n) * num / (z @ z)  # S0 = n for row-standardised weights
    assert res.i == pytest.approx(i_hand, rel=1e-12)
    assert res.expected == pytest.approx(-1 / 99)
    assert res.i > 0.2 and res.p_sim == pytest.approx(0.01)  # 1 / (99 + 1)
    # local Is add up to the global I: esda scales I_i = (n - 1) z_i lag_i / sum z^2, so
    # sum I_i = (n - 1) I (Anselin 1995, eq. 7, up to that constant)
    lm = spatial.local_moran(planted, w, permutations=99, seed=1)
    assert lm["local_i"].sum() / (n - 1) == pytest.approx(res.i, rel=1e-9)


def test_eb_global_worked_example() -> None:
    """docs/methods.md, "Empirical-Bayes smoothing": four areas, worked by hand.

    e = 1, 30, 2, 50; b = 100, 500, 200, 400. m = 83/1200 = 0.0691667.
    s2 = sum b (r - m)^2 / sum b = 2.339167 / 1200 = 0.00194931; bbar = 300;
    phi = s2 - m/bbar = 0.00194931 - 0.00023056 = 0.00171875.
    w1 = phi / (phi + m/100) = 0.00171875 / 0.00241042 = 0.713055;
    eb1 = 0.713055 * 0.01 + 0.286945 * 0.0691667 = 0.0269776;
    w2 = 0.00171875 / (0.00171875 + m/500) = 0.925511; eb2 = 0.0606829;
    w3 = 0.00171875 / (0.00171875 + m/200) = 0.832492; eb3 = 0.0199109;
    w4 = 0.00171875 / (0.00171875 + m/400) = 0.908590; eb4 = 0.1198963.
    """
    eb = spatial.eb_global([1, 30, 2, 50], [100, 500, 200, 400])
    hand = [0.0269776, 0.0606829, 0.0199109, 0.1198963]
    assert eb == pytest.approx(hand, rel=2e-5)
    # shrinkage: the smaller the population, the further from its own crude rate
    crude = np.array([0.01, 0.06, 0.01, 0.125])
    assert abs(eb[0] - crude[0]) > abs(eb[2] - crude[2])


def test_eb_global_when_rates_vary_no_more_than_chance() -> None:
    # e = 2, 10, 0, 8; b = 100, 400, 50, 200: m = 20/750, s2 = 0.0766667/750 = 1.0222e-4
    # < m / bbar = 1.4222e-4, so phi < 0 and every area gets m (Marshall's rule)
    eb = spatial.eb_global([2, 10, 0, 8], [100, 400, 50, 200])
    assert eb == pytest.approx([20 / 750] * 4)


def test_eb_local_worked_example() -> None:
    """Three areas in a row (a-b-c), worked by hand from the formula in eb_local.

    a: N = {a, b}: m = 31/600 = 0.0516667; s2 = (100 (0.01-m)^2 + 500 (0.06-m)^2)/600 =
    3.47222e-4; m / bbar = 0.0516667/300 = 1.72222e-4; phi = 1.75e-4;
    eb = m + (0.01 - m) * phi / (phi + m/100) = 0.0411245.
    b: N = {a, b, c}: m = 33/800 = 0.04125; s2 = 0.46875/800 = 5.859375e-4;
    phi = 5.859375e-4 - 0.04125/266.667 = 4.3125e-4;
    eb = 0.04125 + 0.01875 * 4.3125e-4 / (4.3125e-4 + 8.25e-5) = 0.0569891.
    """
    line = gpd.GeoDataFrame(
        {"code": ["a", "b", "c"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs=27700,
    )
    w = spatial.weights(line, "code")
    eb = spatial.eb_local([1, 30, 2], [100, 500, 200], w)
    assert eb[0] == pytest.approx(0.0411245, rel=2e-5)
    assert eb[1] == pytest.approx(0.0569891, rel=2e-5)


def test_bad_values_are_refused(grid) -> None:
    w = spatial.weights(grid, "code")
    with pytest.raises(ValueError, match="finite"):
        spatial.local_moran(np.r_[np.nan, np.ones(99)], w)
    with pytest.raises(ValueError, match="no population"):
        spatial.eb_global([1, 2], [10, 0])


def test_smoothing_lets_lisa_see_through_small_numbers(grid) -> None:
    """A 3x3 block at twice the risk, 15 areas elsewhere with 40 people instead of 3,000: their
    crude rates (0 or 1 in 40) swamp the z-scores and, after the FDR correction, hide the block;
    on empirical-Bayes smoothed rates the tiny areas shrink to the place rate and the block
    shows as hot spots."""
    w = spatial.weights(grid, "code")
    rng = np.random.default_rng(3)
    pop = np.full(100, 3000.0)
    tiny = rng.choice([i for i in range(100) if i not in BLOCK], 15, replace=False)
    pop[tiny] = 40
    risk = np.full(100, 0.01)
    risk[BLOCK] = 0.02
    events = rng.poisson(risk * pop)
    found = {}
    for name, v in (
        ("crude", events / pop),
        ("smoothed", spatial.eb_global(events, pop)),
    ):
        lm = spatial.local_moran(v, w, seed=1)
        hh = set(lm.index[lm["cluster"] == "High-High (hot spot)"])
        found[name] = (
            len(hh & set(BLOCK)),
            set(lm.index[lm["is_significant"]]) - set(BLOCK),
        )
    assert found["smoothed"][0] >= 5 and not found["smoothed"][1]
    assert found["crude"][0] < found["smoothed"][0]
