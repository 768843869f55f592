"""Arriaga decomposition of a life-expectancy gap, checked against a hand-worked computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hiworkbook import stats
from hiworkbook.stats.decomposition import arriaga, life_table

BANDS = stats.LIFE_TABLE_BANDS
STARTS = [0, 1] + list(range(5, 95, 5))

# England-like death rates per person-year (0, 1-4, 5-9 … 90+)
BASE = np.array(
    [420, 11, 7, 9, 30, 48, 62, 85, 120, 175, 265, 390, 580, 880, 1400, 2250, 3800,
     6800, 12300, 25500]
) / 1e5  # fmt: skip


def _frame(rates, pop=100_000.0, group="g"):
    deaths = np.round(np.asarray(rates) * pop, 6)
    return pd.DataFrame({"grp": group, "band": BANDS, "deaths": deaths, "pop": pop})


def _hand_table(mx):
    """Chiang II life table written out band by band (ONS/PHE layout)."""
    ell = [100_000.0]
    Ls, qs = [], []
    for i in range(20):
        if i == 19:
            Ls.append(ell[i] / mx[i])
            break
        n = STARTS[i + 1] - STARTS[i]
        a = 0.1 if i == 0 else 0.5
        q = n * mx[i] / (1 + n * (1 - a) * mx[i])
        qs.append(q)
        d = ell[i] * q
        ell.append(ell[i] - d)
        Ls.append(n * (ell[i + 1] + a * d))
    T = [sum(Ls[i:]) for i in range(20)]
    return ell, Ls, T


def _hand_arriaga(m1, m2):
    l1, L1, T1 = _hand_table(m1)
    l2, L2, T2 = _hand_table(m2)
    out = []
    for i in range(19):
        direct = l1[i] / l1[0] * (L2[i] / l2[i] - L1[i] / l1[i])
        indirect = T2[i + 1] / l1[0] * (l1[i] / l2[i] - l1[i + 1] / l2[i + 1])
        out.append(direct + indirect)
    out.append(l1[19] / l1[0] * (T2[19] / l2[19] - T1[19] / l1[19]))
    return np.array(out), T1[0] / l1[0], T2[0] / l2[0]


def test_life_table_matches_hand_and_life_expectancy() -> None:
    lt = life_table(_frame(BASE), "deaths", "pop", "band")
    ell, Ls, T = _hand_table(BASE)
    assert lt["lx"].to_numpy() == pytest.approx(ell)
    assert lt["Lx"].to_numpy() == pytest.approx(Ls)
    le = stats.life_expectancy(_frame(BASE), "deaths", "pop", "band")
    assert lt["ex"].iloc[0] == pytest.approx(le["value"].iloc[0])
    assert lt["ex"].iloc[0] == pytest.approx(T[0] / 1e5)


def test_arriaga_matches_hand_and_sums_exactly_to_the_gap() -> None:
    # group 2 has 30% lower death rates at 50-79 (bands 11-16) and 10% lower elsewhere
    m1 = BASE.copy()
    m2 = BASE * np.where((np.arange(20) >= 11) & (np.arange(20) <= 16), 0.7, 0.9)
    data = pd.concat([_frame(m1, group="worse"), _frame(m2, group="better")])
    r = arriaga(
        data, "deaths", "pop", "band", "grp", baseline="worse", comparison="better"
    )
    hand, e1, e2 = _hand_arriaga(m1, m2)
    assert r["years"].to_numpy() == pytest.approx(hand, rel=1e-9, abs=1e-12)
    assert r["le_baseline"].iloc[0] == pytest.approx(e1)
    assert r["le_comparison"].iloc[0] == pytest.approx(e2)
    # exact additivity: the contributions add up to the gap at floating-point precision
    assert r["years"].sum() == pytest.approx(e2 - e1, abs=1e-9)
    assert r["gap"].iloc[0] == pytest.approx(e2 - e1)
    # the bands with the larger mortality difference at older ages carry most of the gap
    top = r.sort_values("years", ascending=False)["band"].iloc[0]
    assert top in {"60-64", "65-69", "70-74", "75-79"}


def test_a_difference_in_one_band_puts_the_whole_gap_there() -> None:
    # Arriaga: with equal rates elsewhere, the direct effect and the indirect effect vanish
    # outside the band (the survivorship ratios l1/l2 are constant after it and 1 before)
    m2 = BASE.copy()
    m2[12] *= 0.5  # 55-59
    data = pd.concat([_frame(BASE, group="a"), _frame(m2, group="b")])
    r = arriaga(data, "deaths", "pop", "band", "grp", baseline="a", comparison="b")
    gap = r["gap"].iloc[0]
    assert gap > 0
    assert r.set_index("band").loc["55-59", "years"] == pytest.approx(gap)
    assert r.drop(index=r.index[r["band"] == "55-59"])["years"].abs().max() < 1e-9


def test_causes_split_each_band_by_share_of_the_rate_difference() -> None:
    # two causes: circulatory carries 3/4 of each band's rate difference, cancer 1/4
    m2 = BASE * 0.8
    rows = []
    for grp, m in (("a", BASE), ("b", m2)):
        diff = BASE - m  # zero for a
        circ = BASE * 0.4 - 0.75 * diff
        canc = BASE * 0.6 - 0.25 * diff
        for b, c1, c2 in zip(BANDS, circ, canc, strict=True):
            rows.append((grp, b, "circulatory", c1 * 1e5, 1e5))
            rows.append((grp, b, "cancer", c2 * 1e5, 1e5))
    data = pd.DataFrame(rows, columns=["grp", "band", "cause", "deaths", "pop"])
    r = arriaga(
        data,
        "deaths",
        "pop",
        "band",
        "grp",
        baseline="a",
        comparison="b",
        cause="cause",
    )
    hand, e1, e2 = _hand_arriaga(BASE, m2)
    by = r.pivot(index="band", columns="cause", values="years").loc[list(BANDS)]
    assert by["circulatory"].to_numpy() == pytest.approx(0.75 * hand, rel=1e-9)
    assert by["cancer"].to_numpy() == pytest.approx(0.25 * hand, rel=1e-9)
    assert r["years"].sum() == pytest.approx(e2 - e1, abs=1e-9)


def test_group_by_sex_and_unformable_table() -> None:
    f = pd.concat(
        [
            _frame(BASE, group="a").assign(sex="female"),
            _frame(BASE * 0.9, group="b").assign(sex="female"),
            _frame(BASE, group="a").assign(sex="male"),
            _frame(BASE, group="b").assign(sex="male", deaths=0.0),
        ]
    )
    r = arriaga(
        f, "deaths", "pop", "band", "grp", baseline="a", comparison="b", group_by="sex"
    )
    fem = r[r["sex"] == "female"]
    assert fem["years"].sum() == pytest.approx(fem["gap"].iloc[0])
    male = r[r["sex"] == "male"]
    assert male["years"].isna().all()
    assert "not formed" in male["value_note"].iloc[0]
