"""Property tests (hypothesis) for hiworkbook.stats and hiworkbook.inequality."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hiworkbook import stats
from hiworkbook.inequality import quantiles, sii

FAST = settings(max_examples=60, deadline=None)


@st.composite
def counts(draw, max_groups=6):
    k = draw(st.integers(1, max_groups))
    n = draw(st.lists(st.integers(0, 100_000), min_size=k, max_size=k))
    x = [draw(st.integers(0, m)) for m in n]
    return pd.DataFrame({"g": [f"g{i}" for i in range(k)], "x": x, "n": n})


def _ok(r: pd.DataFrame) -> pd.DataFrame:
    return r[r["value"].notna()]


@FAST
@given(counts(), st.sampled_from([1, 100]))
def test_proportion_ci_contains_value_widens_and_in_range(df, mult) -> None:
    r = _ok(
        stats.proportion(
            df, "x", "n", group_by="g", multiplier=mult, confidence=[0.95, 0.998]
        )
    )
    eps = 1e-9 * mult
    assert (r["lower_ci_95"] <= r["value"] + eps).all() and (
        r["value"] <= r["upper_ci_95"] + eps
    ).all()
    assert (r["lower_ci_99_8"] <= r["lower_ci_95"] + eps).all()
    assert (r["upper_ci_99_8"] >= r["upper_ci_95"] - eps).all()
    assert (r["lower_ci_99_8"] >= 0).all() and (r["upper_ci_99_8"] <= mult).all()


@FAST
@given(counts())
def test_rate_ci_contains_value_and_widens(df) -> None:
    r = _ok(stats.rate(df, "x", "n", group_by="g", confidence=[0.95, 0.998]))
    assert (r["lower_ci_95"] <= r["value"] + 1e-9).all() and (
        r["value"] <= r["upper_ci_95"]
    ).all()
    assert (r["lower_ci_99_8"] <= r["lower_ci_95"] + 1e-9).all()
    assert (r["upper_ci_99_8"] >= r["upper_ci_95"]).all()


@FAST
@given(counts(max_groups=8))
def test_grouped_equals_group_by_group(df) -> None:
    for fn in (stats.proportion, stats.rate):
        together = fn(df, "x", "n", group_by="g")
        for _, row in together.iterrows():
            alone = fn(df[df["g"] == row["g"]], "x", "n")
            for col in ("value", "lower_ci", "upper_ci"):
                a, b = row[col], alone[col].iloc[0]
                assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-12)


@FAST
@given(
    st.integers(1, 50),  # population scale
    st.floats(1e-4, 0.05),  # common rate
    st.lists(st.floats(0.5, 2.0), min_size=19, max_size=19),  # noise on the events
)
def test_dsr_equals_crude_rate_for_standard_age_structure(scale, r, noise) -> None:
    # population proportional to the ESP: the DSR is the crude rate of the same events
    pop = stats.ESP2013.to_numpy() * scale
    x = np.round(pop * r * np.asarray(noise))
    if x.sum() < 10:
        return
    df = pd.DataFrame({"age_band": stats.ESP2013.index, "x": x, "n": pop})
    d = stats.dsr(df, "x", "n", "age_band")
    crude = x.sum() / pop.sum() * 100_000
    assert d["value"].iloc[0] == pytest.approx(crude, rel=1e-9)
    assert d["lower_ci"].iloc[0] <= d["value"].iloc[0] <= d["upper_ci"].iloc[0]


@FAST
@given(
    st.lists(
        st.tuples(st.integers(0, 300), st.integers(1, 5000)), min_size=6, max_size=6
    )
)
def test_dsr_grouped_equals_separate(rows) -> None:
    std = {"a": 1.0, "b": 2.0, "c": 3.0}
    df = pd.DataFrame(
        {
            "g": ["p"] * 3 + ["q"] * 3,
            "band": ["a", "b", "c"] * 2,
            "x": [x for x, _ in rows],
            "n": [n for _, n in rows],
        }  # fmt: skip
    )
    together = stats.dsr(
        df, "x", "n", "band", standard=std, group_by="g", confidence=[0.95, 0.998]
    )
    for g in ("p", "q"):
        alone = stats.dsr(
            df[df["g"] == g], "x", "n", "band", standard=std, confidence=[0.95, 0.998]
        )
        row = together[together["g"] == g]
        for col in ("value", "lower_ci_95", "upper_ci_99_8"):
            a, b = row[col].iloc[0], alone[col].iloc[0]
            assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-12)
        if not np.isnan(a):
            assert row["lower_ci_99_8"].iloc[0] <= row["lower_ci_95"].iloc[0]


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(1, 100), min_size=5, max_size=5),
    st.lists(st.integers(100, 10_000), min_size=5, max_size=5),
    st.randoms(use_true_random=False),
)
def test_sii_invariant_to_row_order(values, pops, rnd) -> None:
    v = np.asarray(values)
    d = pd.DataFrame(
        {"q": range(1, 6), "value": v, "lo": v * 0.9, "hi": v * 1.1, "pop": pops}
    )
    idx = list(d.index)
    rnd.shuffle(idx)
    kw = dict(value_type=1, rii=True, reps=2000, seed=11)
    a = sii(d, "value", "lo", "hi", "pop", "q", **kw)
    b = sii(d.loc[idx], "value", "lo", "hi", "pop", "q", **kw)
    pd.testing.assert_frame_equal(a, b)
    assert a["lower_ci"].iloc[0] <= a["upper_ci"].iloc[0]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-100, 100, allow_nan=False), min_size=1, max_size=40),
    st.integers(2, 10),
    st.booleans(),
)
def test_quantiles_monotone_and_in_range(vals, k, invert) -> None:
    d = pd.DataFrame({"v": vals, "pop": np.arange(1, len(vals) + 1) * 10})
    phe = quantiles(d, "v", k, invert=invert)["quantile"]
    # phe_quantile: missing for every area when the group has fewer areas than quantiles
    assert phe.isna().all() if len(vals) < k else phe.notna().all()
    for pop, method in ((None, "ceiling"), ("pop", "phe"), (None, "phe")):
        if method == "phe" and pop is None and len(vals) < k:
            continue
        q = quantiles(d, "v", k, population=pop, invert=invert, method=method)[
            "quantile"
        ].astype(int)
        assert q.between(1, k).all()
        order = d["v"].argsort(kind="stable")
        seq = q.iloc[order].to_numpy()
        # quantile never decreases (invert=False) / increases (invert=True) with the value
        assert (np.diff(seq) >= 0).all() if not invert else (np.diff(seq) <= 0).all()
