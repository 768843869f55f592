"""The benchmark grammar and the views: each test checks what a view shows, not only that it runs."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

import hiworkbook as hw
from hiworkbook import benchmark as bm
from hiworkbook import charts, maps, stats, tables, views
from hiworkbook.validate import DataError


@pytest.fixture(scope="module")
def res(demo_workspace):
    return hw.place_results(demo_workspace.place("X06000001"), sii_reps=2000)


# ---------------------------------------------------------------------------- palette


def test_palette_is_colour_blind_safe_and_every_class_has_a_symbol():
    check = bm.palette_check()
    assert check["ok"].all(), check[~check["ok"]]
    assert (check[check["main"]]["delta_l"] >= 15).all()  # survives greyscale
    for key, c in bm.CATEGORIES.items():
        assert c.symbol.strip(), key
        assert c.label.strip(), key
    groups = [bm.legend_keys(p, lv) for p in ("low_is_good", None) for lv in bm.LEVELS]
    for keys in groups:  # symbols tell every class in a legend apart without colour
        assert len({bm.category(k).symbol for k in keys}) == len(keys)
    assert bm.category("suppressed").hatch
    # Fingertips' own red/green fails the same check under deuteranopia
    red, green = (
        bm.lab(bm.simulate_cvd("#C00000", "deuteranopia")),
        bm.lab(bm.simulate_cvd("#92D050", "deuteranopia")),
    )
    assert abs(red[0] - green[0]) > 0  # computed, and
    ft = bm.lab(bm._hex_rgb("#92D050"))[0] - bm.lab(bm._hex_rgb("#FFC000"))[0]
    assert abs(ft) < 5  # Fingertips' better/similar differ by < 5 L*: lost in greyscale


def test_cvd_simulation_is_machado_2009():
    # Worked by hand: pure red is linear (1, 0, 0), so deuteranopia gives the matrix's first
    # column (0.367322, 0.280085, -0.011820), clipped and gamma-encoded.
    lin = np.array([0.367322, 0.280085, 0.0])
    expected = np.where(lin <= 0.0031308, 12.92 * lin, 1.055 * lin ** (1 / 2.4) - 0.055)
    assert np.allclose(bm.simulate_cvd("#FF0000", "deuteranopia"), expected, atol=1e-6)
    colorspacious = pytest.importorskip("colorspacious")
    for colour in ("#B3550E", "#74AEE0", "#F3D98B", "#5E409C"):
        for ours, theirs in (
            ("protanopia", "protanomaly"),
            ("deuteranopia", "deuteranomaly"),
            ("tritanopia", "tritanomaly"),
        ):
            cs = colorspacious.cspace_convert(
                bm._hex_rgb(colour),
                {"name": "sRGB1+CVD", "cvd_type": theirs, "severity": 100},
                "sRGB1",
            )
            assert np.allclose(
                bm.simulate_cvd(colour, ours), np.clip(cs, 0, 1), atol=1e-3
            )
    # CIELAB of sRGB white and mid grey (#777777 has L* = 50.0)
    assert np.allclose(bm.lab(bm._hex_rgb("#FFFFFF")), [100, 0, 0], atol=0.01)
    assert abs(bm.lab(bm._hex_rgb("#777777"))[0] - 50.03) < 0.05


def test_classify_worked_example():
    rows = pd.DataFrame(
        {
            "indicator_id": ["a"] * 4,
            "sex": ["persons"] * 4,
            "polarity": ["low_is_good", "low_is_good", "no_judgement", "high_is_good"],
            "value": [10.0, 10.0, 10.0, np.nan],
            "lower_ci": [8.0, 8.0, 8.0, np.nan],
            "upper_ci": [12.0, 12.0, 12.0, np.nan],
            "lower_ci_998": [7.0, 7.0, 7.0, np.nan],
            "upper_ci_998": [13.0, 13.0, 13.0, np.nan],
            "is_suppressed": [False, False, False, True],
        }
    )
    for refval, expect95, expect_both in (
        (7.5, "worse", "worse"),  # 95% lower limit 8 > 7.5, 99.8% lower 7 < 7.5
        (6.0, "worse", "worse 99.8%"),  # both lower limits above 6
        (12.5, "better", "better"),
        (10.0, "similar", "similar"),
    ):
        ref = bm.Reference(
            "E",
            "England",
            "comparator",
            pd.DataFrame(
                {"indicator_id": ["a"], "sex": ["persons"], "ref_value": [refval]}
            ),
        )
        both = bm.classify(rows.iloc[:1], ref, level="both")
        assert bm.classify(rows.iloc[:1], ref).iloc[0] == expect95
        assert both.iloc[0] == expect_both
    ref = bm.Reference(
        "E",
        "England",
        "comparator",
        pd.DataFrame({"indicator_id": ["a"], "sex": ["persons"], "ref_value": [6.0]}),
    )
    out = bm.classify(rows, ref, level="both")
    assert out.tolist() == ["worse 99.8%", "worse 99.8%", "higher 99.8%", "suppressed"]


def test_quintile_classes_and_legend_html():
    q = bm.quintile_classes(
        [5, 1, 4, 2, 3, np.nan, 9], suppressed=[0, 0, 0, 0, 0, 0, 1]
    )
    # six values ranked 1..6 → ceil(rank * 5 / 6)
    assert q.tolist() == [
        "quintile 5",
        "quintile 1",
        "quintile 4",
        "quintile 2",
        "quintile 3",
        "not compared",
        "suppressed",
    ]
    html = bm.legend_html(title="<b>England</b>", polarity="low_is_good", level="both")
    assert "&lt;b&gt;England" in html
    for k in bm.legend_keys("low_is_good", "both"):
        assert bm.category(k).label in html and bm.category(k).symbol in html


# ---------------------------------------------------------------------------- result table


def test_result_table_has_998_comparison(res):
    t = res.table
    for c in ("lower_ci_998", "upper_ci_998", "comparison_998"):
        assert c in hw.results.RESULT_COLUMNS and c in t
    ok = t.dropna(subset=["lower_ci", "lower_ci_998"])
    assert len(ok) > 100
    assert (ok["lower_ci_998"] <= ok["lower_ci"] + 1e-9).all()
    assert (ok["upper_ci_998"] >= ok["upper_ci"] - 1e-9).all()
    # Wilson at 99.8% for the place's hypertension proportion, worked from its counts
    r = res.for_indicator("hypertension_detection").iloc[0]
    z = 3.090232306167813  # Φ⁻¹(0.999)
    p, n = r["numerator"] / r["denominator"], r["denominator"]
    centre, half = p + z**2 / (2 * n), z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    assert r["lower_ci_998"] == pytest.approx(
        100 * (centre - half) / (1 + z**2 / n), rel=1e-9
    )
    # comparison_998 is stats.compare on the 99.8% limits; a 99.8% difference is a 95% one
    area = t[t["breakdown"].isin(["area", "comparator"])]
    for _, row in area.iterrows():
        if row["is_suppressed"]:
            continue
        want = stats.compare(
            row["value"],
            row["lower_ci_998"],
            row["upper_ci_998"],
            row["comparator_value"],
            row["polarity"],
        )
        assert row["comparison_998"] == want
        if row["comparison_998"] not in ("similar", "not compared"):
            assert row["comparison"] == row["comparison_998"]
    supp = t[t["is_suppressed"]]
    assert (
        supp["lower_ci_998"].isna().all()
        and (supp["comparison_998"] == "not compared").all()
    )


# ---------------------------------------------------------------------------- comparator


def test_comparator_is_one_argument(res):
    icb = next(c.name for c in res.place.comparators if c.area_codes)
    ref = bm.reference(res, icb)
    t = res.table
    want = t[
        (t["breakdown"] == "comparator")
        & (t["area_name"] == icb)
        & (t["indicator_id"] == "hypertension_detection")
    ]
    rows = res.for_indicator("hypertension_detection")
    assert ref.value_for(rows).iloc[0] == pytest.approx(want["value"].iloc[0])
    assert bm.reference(res).name == res.primary_comparator
    assert bm.reference(res, breakdown="small_area").name == res.place.name
    with pytest.raises(DataError, match="No comparator is called 'Englnd'"):
        bm.reference(res, "Englnd")
    # the table's comparator column follows the argument
    html = str(tables.indicator_table(res, comparator=icb))
    assert f"Compared with {icb}" in html and "hiw-bm-legend" in html


def test_peer_group_comparator(demo_workspace):
    place = demo_workspace.place("X06000001")
    peers = bm.with_peer_group(place, ["X06000002", "X06000003"], name="My peers")
    assert len(place.comparators) + 1 == len(peers.comparators)
    r = hw.place_results(
        peers,
        indicators=["hypertension_detection"],
        comparator="My peers",
        sii_reps=1000,
    )
    ws = demo_workspace
    members = ws.areas.loc[
        ws.areas["ltla_code"].isin(["X06000002", "X06000003"]), ws.area_col
    ]
    c = ws.counts[
        (ws.counts["indicator_id"] == "hypertension_detection")
        & (ws.counts["period"].astype(str) == r.period)
    ]
    c = c[c[ws.area_col].isin(members) & (c["ethnic_group"] == "all")]
    by_hand = 100 * c["numerator"].sum() / c["denominator"].sum()
    ref = bm.reference(r, "My peers")
    assert ref.values["ref_value"].iloc[0] == pytest.approx(by_hand)
    assert (
        r.for_indicator("hypertension_detection")["comparator_name"].iloc[0]
        == "My peers"
    )
    with pytest.raises(DataError, match="not a place"):
        bm.with_peer_group(place, ["X0600000X"])


# ---------------------------------------------------------------------------- views


def test_spine_marker_is_value_scaled_between_worst_and_best(res):
    chart = views.spine_chart(res)
    d = chart.data
    peers = views.peer_values(res)
    assert set(peers["area_code"]) == set(
        res.place.workspace.places("ltla")["place_code"]
    )
    # the place's own peer value is its value in the result table
    own = peers[
        (peers["area_code"] == res.place.code)
        & (peers["indicator_id"] == "hypertension_detection")
    ]
    assert own["value"].iloc[0] == pytest.approx(
        res.for_indicator("hypertension_detection")["value"].iloc[0]
    )
    for _, r in d.dropna(subset=["position"]).iterrows():
        v = peers[
            (peers["indicator_id"] == r["indicator_id"])
            & (peers["sex"] == r["sex"])
            & ~peers["is_suppressed"]
        ]["value"]
        lo, hi = v.min(), v.max()
        worst, best = (hi, lo) if r["polarity"] == "low_is_good" else (lo, hi)
        assert r["worst"] == pytest.approx(worst) and r["best"] == pytest.approx(best)
        assert r["position"] == pytest.approx((r["value"] - worst) / (best - worst))
        assert 0 <= r["position"] <= 1
    # the marker drawn is at that position, in the class's colour
    markers = chart.drawing.find("place")
    first = d.dropna(subset=["position"]).iloc[0]
    mark = next(m for m in markers if m.datum["indicator_id"] == first["indicator_id"])
    assert mark.datum["value"] == first["value"]
    assert mark.datum["benchmark"] == first["benchmark"]
    # its centre is `position` of the way along the bands, from the worst end to the best
    bands = [
        b
        for b in chart.drawing.find("band")
        if (b.datum["indicator_id"], b.datum["sex"])
        == (first["indicator_id"], first["sex"])
    ]
    assert len(bands) == 3
    x0 = min(b.geom["x"] for b in bands)
    x1 = max(b.geom["x"] + b.geom["w"] for b in bands)
    g = mark.geom
    cx = g["cx"] if "cx" in g else float(np.mean([p[0] for p in g["points"]]))
    assert (cx - x0) / (x1 - x0) == pytest.approx(first["position"], abs=1e-9)
    colours = {m.style["fill"] for m in markers}
    assert {bm.category(k).colour.lower() for k in d["benchmark"]} <= {
        c.lower() for c in colours
    }
    # every indicator has its row label, the median tick and the comparator's dashed tick
    assert {m.datum["indicator_id"] for m in chart.drawing.find("row-label")} == set(
        d["indicator_id"]
    )
    with_peers = d[d["peers"] > 0]
    assert len(chart.drawing.find("median")) == len(with_peers)
    comp = chart.drawing.find("comparator")
    assert len(comp) == int(with_peers["comparator_position"].notna().sum()) > 0
    assert all(m.style["dash"] == "dash" for m in comp)


def test_peer_values_are_each_peers_own_values(sar_workspace):
    """Every peer's value (all indicators, one call for every LTLA) is the value its own result
    table gives; an indirectly standardised ratio's peers are worked out here from their counts,
    with the peers together as the reference."""
    ws = sar_workspace
    res = hw.place_results(ws.place("X06000001"), sii_reps=1000)
    peers = views._peer_values(ws, res, "ltla", None)
    assert set(peers["area_code"]) == set(ws.places("ltla")["place_code"])
    assert set(peers["indicator_id"]) == set(res.indicators)
    for code in ws.places("ltla")["place_code"]:
        own = hw.place_results(ws.place(code), sii_reps=1000).table
        own = own[own["breakdown"] == "area"].set_index(["indicator_id", "sex"])
        mine = peers[peers["area_code"] == code].set_index(["indicator_id", "sex"])
        for key, row in mine.drop(index="copd_sar", level=0).iterrows():
            assert row["value"] == own.loc[key, "value"] or (
                row["is_suppressed"] and own.loc[key, "is_suppressed"]
            ), (code, key)
    # the SAR: observed over expected from the peers' own age-specific rates
    c = ws.counts_for(res.period, "copd_admissions")
    c = c[c["ethnic_group"] == "all"].merge(
        ws.areas[[ws.area_col, "ltla_code"]], on=ws.area_col
    )
    by = c.groupby(["ltla_code", "age_band"])[["numerator", "denominator"]].sum()
    rate = by.groupby("age_band").sum()
    rate = rate["numerator"] / rate["denominator"]
    expected = (
        (by["denominator"] * rate.reindex(by.index, level="age_band"))
        .groupby("ltla_code")
        .sum()
    )
    observed = by["numerator"].groupby("ltla_code").sum()
    sar = peers[peers["indicator_id"] == "copd_sar"].set_index("area_code")
    shown = ~sar["is_suppressed"]
    assert shown.any()
    assert sar.loc[shown, "value"].to_numpy(dtype=float) == pytest.approx(
        (100 * observed / expected).reindex(sar.index[shown]).to_numpy(dtype=float),
        rel=1e-12,
    )


def test_compare_areas_sorted_and_suppressed_not_drawn(res):
    c = views.compare_areas_chart(res, "mortality_u75")
    d = c.data
    cmp = views.compare_areas_chart(
        res, "hypertension_detection", breakdown="comparator"
    ).data
    # the place against the primary comparator; the comparator itself is not compared
    assert (
        cmp.loc[cmp["area_name"] == res.primary_comparator, "benchmark"].iloc[0]
        == "not compared"
    )
    mine = res.for_indicator("hypertension_detection").iloc[0]
    assert (
        cmp.loc[cmp["area_code"] == res.place.code, "benchmark"].iloc[0]
        == mine["comparison"]
    )
    drawn = d[~d["is_suppressed"] & d["value"].notna()]
    assert drawn["value"].is_monotonic_decreasing
    # suppressed areas come after every drawn one and carry no value
    supp = d[d["is_suppressed"]]
    assert len(supp) > 0 and supp["value"].isna().all()
    assert supp.index.min() > drawn.index.max()
    bars = c.drawing.find("bar")
    assert len(bars) == len(drawn)  # one bar per area with a value, none for suppressed
    assert [b.datum["area_code"] for b in bars] == drawn["area_code"].tolist()
    assert [b.style["fill"] for b in bars] == [
        bm.category(k).colour for k in drawn["benchmark"]
    ]
    assert len(c.drawing.find("ci")) == int(
        (drawn["lower_ci"].notna() & drawn["upper_ci"].notna()).sum()
    )
    assert len(c.drawing.find("comparator")) == 1
    assert "suppressed" in c.caption


def test_sii_line_worked_example_and_matches_result_table(res):
    b0, b1 = views.sii_line(
        pd.DataFrame({"value": [10.0, 20.0], "denominator": [50, 50]})
    )
    # x = 0.25 and 0.75: slope (20 - 10) / 0.5 = 20, intercept 10 - 20 × 0.25 = 5
    assert (b0, b1) == (pytest.approx(5.0), pytest.approx(20.0))
    # an indicator whose five quintiles are all shown (the SII is fitted before suppression;
    # a quintile hidden to protect another report's cell leaves the drawn line short)
    t = res.table
    q5 = t[(t["breakdown"] == "imd_quintile") & (t["sex"] == "persons")]
    full = q5.groupby("indicator_id")["is_suppressed"].agg(["sum", "size"])
    ind = next(
        i
        for i in ("mortality_u75", "mortality_circulatory", "hypertension_detection")
        if i in full.index and full.loc[i, "sum"] == 0 and full.loc[i, "size"] == 5
    )
    c = views.inequality_chart(res, ind)
    s = res.sii[(res.sii["indicator_id"] == ind) & (res.sii["sex"] == "persons")]
    q = res.for_indicator(ind, "imd_quintile")
    q = q.set_index("category").reindex(list(hw.results.QUINTILE_LABELS.values()))
    _, slope = views.sii_line(q)
    assert slope == pytest.approx(float(s["sii"].iloc[0]), rel=1e-9)
    assert "least deprived minus most deprived" in c.caption
    # the signed SII, sign kept (a true minus sign, hiworkbook.sii_reading)
    assert f"{float(s['sii'].iloc[0]):,.1f}".replace("-", "\u2212") in c.caption
    # drawn: a bar per quintile in its class's colour, at its population's midpoint rank
    bars = c.drawing.find("bar")
    assert [b.datum["category"] for b in bars] == c.data["category"].tolist()
    assert [b.style["fill"] for b in bars] == [
        bm.category(k).colour for k in c.data["benchmark"]
    ]
    share = q["denominator"].to_numpy(dtype=float) / q["denominator"].sum()
    rank = np.cumsum(share) - share / 2
    centre = np.array([b.geom["x"] + b.geom["w"] / 2 for b in bars])
    px_per_rank = (centre[-1] - centre[0]) / (rank[-1] - rank[0])
    x0 = centre[0] - rank[0] * px_per_rank  # pixel x of rank 0
    assert centre == pytest.approx(x0 + rank * px_per_rank, abs=1e-6)
    # the fitted line from rank 0 to rank 1, on the bars' value scale
    b0, b1 = views.sii_line(q)
    assert c.data["sii_line"].to_numpy() == pytest.approx(b0 + b1 * rank)
    px_per_unit = bars[0].geom["h"] / bars[0].datum["value"]
    y_zero = bars[0].geom["y"] + bars[0].geom["h"]
    (line,) = c.drawing.find("sii")
    assert line.datum["slope"] == pytest.approx(float(s["sii"].iloc[0]), rel=1e-9)
    assert line.geom["points"] == [
        (
            pytest.approx(x0, abs=1e-6),
            pytest.approx(y_zero - b0 * px_per_unit, abs=1e-6),
        ),
        (
            pytest.approx(x0 + px_per_rank, abs=1e-6),
            pytest.approx(y_zero - (b0 + b1) * px_per_unit, abs=1e-6),
        ),
    ]


def test_inequality_chart_accepts_a_breakdown_frame(res):
    frame = pd.DataFrame(
        {
            "category": ["female", "male"],
            "sex": ["female", "male"],
            "value": [50.0, 70.0],
            "lower_ci": [45.0, 66.0],
            "upper_ci": [55.0, 74.0],
            "is_suppressed": [False, False],
        }
    )
    c = views.inequality_chart(
        res, "hypertension_detection", breakdown="sex", frame=frame
    )
    place_value = res.for_indicator("hypertension_detection")["value"].iloc[0]
    want = [
        stats.compare(50, 45, 55, place_value, "high_is_good"),
        stats.compare(70, 66, 74, place_value, "high_is_good"),
    ]
    assert c.data["benchmark"].tolist() == want


def test_pyramid_bars_sum_to_the_population(res):
    c = views.population_pyramid(res)
    d = c.data
    ws = res.place.workspace
    p = ws.population[
        (ws.population["period"].astype(str) == d.attrs["period"])
        & ws.population[ws.area_col].isin(res.place.area_codes)
    ]
    assert (
        d["population"].sum()
        == p[p["sex"].isin(["female", "male"])]["population"].sum()
    )
    assert d["percent"].sum() == pytest.approx(100)
    bars = c.drawing.find("bar")
    assert len(bars) == len(d)  # a bar for each age band and sex
    assert sum(b.datum["value"] for b in bars) == pytest.approx(100)
    # on one scale: each bar's length is its percentage, males left of the centre line
    scale = [b.geom["w"] / b.datum["value"] for b in bars if b.datum["value"] > 0]
    assert min(scale) == pytest.approx(max(scale))
    widths = [b.geom["w"] / scale[0] for b in bars]
    assert sum(widths) == pytest.approx(100)
    (centre,) = c.drawing.find("centre")
    mid = centre.geom["points"][0][0]
    for b in bars:
        if b.datum["sex"] == "male":
            assert b.geom["x"] + b.geom["w"] == pytest.approx(mid)
        else:
            assert b.geom["x"] == pytest.approx(mid)
    assert {m.datum["sex"] for m in c.drawing.find("comparator")} == {"male", "female"}


def test_scatter_correlation_is_pandas(res):
    c = views.scatter_chart(res, "hypertension_detection", "smi_health_checks")
    t = res.table
    sa = t[(t["breakdown"] == "small_area") & ~t["is_suppressed"]]
    x = sa[sa["indicator_id"] == "hypertension_detection"].set_index("area_code")[
        "value"
    ]
    y = sa[sa["indicator_id"] == "smi_health_checks"].set_index("area_code")["value"]
    both = pd.concat([x, y], axis=1, join="inner").dropna()
    r = both.iloc[:, 0].corr(both.iloc[:, 1])
    assert c.data.attrs["pearson_r"] == pytest.approx(r)
    assert c.data.attrs["n"] == len(both)
    assert f"r = {r:.2f}" in c.caption and "Correlation is not causation" in c.caption
    # a point per area with a deprivation quintile, in the quintile's colour, at its values
    points = c.drawing.find("point")
    shown = c.data[c.data["imd_quintile"].isin(range(1, 6))]
    assert sorted(p.datum["area_code"] for p in points) == sorted(shown["area_code"])
    by_code = c.data.set_index("area_code")
    for p in points:
        assert p.style["fill"] == bm.QUINTILE_COLOURS[p.datum["imd_quintile"] - 1]
        row = by_code.loc[p.datum["area_code"]]
        assert p.datum["x"] == row["hypertension_detection"]
        assert p.datum["y"] == row["smi_health_checks"]


def test_ethnicity_chart_uses_the_palette(res):
    c = charts.ethnicity_chart(res, "hypertension_detection")
    bars = c.drawing.find("bar")
    shown = c.data[c.data["value"].notna()]
    assert [b.datum["category"] for b in bars] == shown["ethnic_group"].tolist()
    assert [b.style["fill"] for b in bars] == [
        bm.category(k).colour for k in shown["benchmark"]
    ]
    # every group has its symbol, the suppressed ones with the word
    symbols = [m.text for m in c.drawing.find("symbol")]
    assert symbols == [
        bm.category(k).symbol + ("" if v == v else " suppressed")
        for k, v in zip(c.data["benchmark"], c.data["value"], strict=True)
    ]
    assert "#D55E00" not in str(c.caption)
    # each group is compared with the place's value (worked with stats.compare)
    e = res.for_indicator("hypertension_detection", "ethnic_group").sort_values(
        "category"
    )
    own = res.for_indicator("hypertension_detection")["value"].iloc[0]
    expect = [
        "suppressed" if s else stats.compare(v, lo, hi, own, "high_is_good")
        for v, lo, hi, s in zip(
            e["value"], e["lower_ci"], e["upper_ci"], e["is_suppressed"], strict=True
        )
    ]
    assert c.data["benchmark"].tolist() == expect
    assert set(expect) - {"not compared", "suppressed"}


def test_chart_save_writes_png_svg_and_the_csv_behind_it(res, tmp_path):
    c = views.inequality_chart(res, "mortality_u75")
    out = c.save(tmp_path / "exports", "inequality")
    assert sorted(p.suffix for p in out.values()) == [".csv", ".png", ".svg"]
    assert out["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in out["svg"].read_bytes()[:400]
    back = pd.read_csv(out["csv"])
    pd.testing.assert_frame_equal(
        back, c.data.reset_index(drop=True), check_dtype=False
    )
    assert not [p for p in (tmp_path / "exports").iterdir() if p.name.startswith(".")]


def test_charts_measure_text_exactly_as_matplotlibs_own_renderer():
    # The charts' canvas keeps text metrics and font heights across renderers: every box
    # must be the one a plain Agg renderer measures, to the last bit.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    def boxes(canvas_class, dpi):
        fig = Figure(figsize=(4, 3), dpi=dpi)
        canvas_class(fig)
        ax = fig.add_subplot()
        texts = [
            ax.text(0.1, 0.5, "Q1 (most\ndeprived)", fontsize=8, ha="center"),
            ax.text(0.5, 0.2, "Ågy – 12,345.6 per 100,000", fontsize=11, rotation=30),
            ax.set_title("A title\nover two lines", fontsize=9, loc="left"),
            ax.text(0.2, 0.8, "bold serif", family="serif", weight="bold"),
        ]
        renderer = fig.canvas.get_renderer()
        return [t.get_window_extent(renderer).bounds for t in texts]

    for dpi in (72, 110):
        shared = charts._canvas_class()
        assert boxes(shared, dpi) == boxes(shared, dpi) == boxes(FigureCanvasAgg, dpi)


# ---------------------------------------------------------------------------- maps


def _features(page: str) -> list[dict]:
    props = re.findall(r'"properties": (\{[^{}]*\})', page)
    return [json.loads(p) for p in props]


def test_benchmark_map_colours_classes_and_hides_suppressed_values(res):
    m = maps.benchmark_map(res, "mortality_u75")
    page = m.to_html()
    feats = [f for f in _features(page) if "tip" in f]
    rows = res.for_indicator("mortality_u75", "small_area")
    cats = bm.classify(
        rows.reset_index(drop=True), bm.reference(res, breakdown="small_area")
    )
    by_code = dict(zip(rows["area_code"], cats, strict=True))
    worse = [
        f
        for f in feats
        if any(code in f["tip"] and k == "worse" for code, k in by_code.items())
    ]
    assert worse and all(f["f"] == bm.category("worse").colour for f in worse)
    supp_codes = set(rows.loc[rows["is_suppressed"], "area_code"])
    supp = [f for f in feats if any(code in f["tip"] for code in supp_codes)]
    assert len(supp) == len(supp_codes) > 0
    for f in supp:
        assert f["f"] == maps.SUPPRESSED_FILL
        assert set(f) == {"tip", "f", "d"}  # no value, CI or count in the GeoJSON
        assert (
            "CI" not in f["tip"]
            and "Count" not in f["tip"]
            and "suppressed" in f["tip"]
        )
    # measured on the first render (folium adds ~110 bytes of script per re-render)
    assert m._stats["bytes"] <= len(page.encode()) <= m._stats["bytes"] + 500
    assert m._stats["bytes"] <= maps.DEFAULT_MAX_BYTES


@pytest.mark.slow
def test_benchmark_map_schemes_and_byte_budget(res):
    m = maps.benchmark_map(res, "hypertension_detection", scheme="natural_breaks")
    assert len(m._stats["counts"]) == 5
    full = maps.benchmark_map(res, "hypertension_detection")
    # a budget below the full-detail size forces coarser geometry, and it fits
    budget = full._stats["bytes"] - 3_000
    small = maps.benchmark_map(res, "hypertension_detection", max_bytes=budget)
    assert small._stats["tolerance"] > full._stats["tolerance"]
    assert small._stats["bytes"] <= budget
    static = maps.benchmark_map(res, "hypertension_detection", max_bytes=10_000)
    assert isinstance(static, charts.Chart) and "static image" in static.caption
    with pytest.raises(ValueError, match="scheme must be"):
        maps.benchmark_map(res, "hypertension_detection", scheme="jenks")


def test_inequality_chart_draws_a_breakdown(res):
    from hiworkbook import breakdowns

    b = breakdowns.indicator_by(
        res.place, "copd_admissions", "age_band", period=res.period
    )
    if b.reason:
        pytest.skip(b.reason)
    c = views.inequality_chart(res, "copd_admissions", frame=b)
    rows = b.table[b.table["breakdown"] == "age_band"]
    assert c.data["category"].tolist() == [
        x for x in b.categories if x in set(rows["category"])
    ]
    place = b.table[b.table["breakdown"] == "area"]
    by_cat = rows.set_index("category")
    for _, r in c.data.iterrows():
        src = by_cat.loc[r["category"]]
        if src["is_suppressed"]:
            assert r["benchmark"] == "suppressed" and np.isnan(r["value"])
            continue
        place_value = place[place["sex"] == src["sex"]]["value"].iloc[0]
        want = stats.compare(
            src["value"], src["lower_ci"], src["upper_ci"], place_value, src["polarity"]
        )
        assert r["benchmark"] == want


def test_pyramid_of_a_population_without_sexes_says_what_would_draw_it(demo_config):
    from hiworkbook.workspace import Workspace

    ws = Workspace.from_config(demo_config)
    res = hw.place_results(ws.place("X06000001"), indicators=["hypertension_detection"])
    # persons only (as some published population files): no pyramid by sex
    ws.population = (
        ws.population.groupby(
            [ws.area_col, "period", "age_band"], as_index=False, observed=True
        )["population"]
        .sum()
        .assign(sex="persons")
    )
    out = views.population_pyramid(res)
    assert not isinstance(out, charts.Chart)
    text = out._repr_html_()
    assert 'class="hiw-missing"' in text and "no five-year age bands by sex" in text
