"""Every place's own rows computed at once (hiworkbook.level_results) are the rows each place's
own call computes: same rows, order, dtypes and numbers to the last bit, and a report that
reads them has the same result table."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

import hiworkbook as hw
from hiworkbook import level_results as L
from hiworkbook import results as R
from hiworkbook.workspace import Workspace


def _own(place, ind, period, levels):
    """What results._indicator_result computes for the place's own units."""
    ws = place.workspace
    c = R.counts_filled(ws, period, ind, place.areas[ws.area_col])
    keep = [ws.area_col, "sex", "age_band", "ethnic_group", "numerator", "denominator"]
    c = c[[k for k in keep if k in c]]
    units = R._units(c, place, ws.area_col, ind)
    return R._calculate(pd.concat(units, ignore_index=True), ind, levels, None)


@pytest.mark.parametrize("confidence", [0.95, 0.998])
def test_own_rows_of_every_place_at_once_are_each_places_own(
    demo_workspace, confidence
) -> None:
    ws = demo_workspace
    # every LTLA and the ICB that contains them: places that overlap
    codes = sorted(ws.areas["ltla_code"].unique()) + sorted(
        ws.areas["icb_code"].unique()
    )
    levels = R._levels(confidence)
    checked = 0
    for period in ws.periods:
        places = [ws.place(c, period=period) for c in codes]
        for ind_id in ws.indicators_with_counts(period):
            ind = ws.indicators[ind_id]
            got = L.own_rows(ws, places, period, ind, levels)
            if ind.measure == "isratio":
                assert got is None  # computed per place (its reference may be its own)
                continue
            assert set(got) == set(codes)
            for p in places:
                want = _own(p, ind, period, levels)
                pd.testing.assert_frame_equal(got[p.code], want, check_exact=True)
                checked += 1
    assert checked >= 3 * 6 * 5


def test_a_prepared_run_gives_the_same_result_tables(
    demo_config, tmp_path, monkeypatch
) -> None:
    # a cache folder of its own: no other test's run has prepared these places' rows
    monkeypatch.setenv("HIWORKBOOK_CACHE", str(tmp_path / "cache"))
    ws = Workspace.from_config(demo_config)
    code = sorted(ws.areas["ltla_code"].unique())[1]
    place = hw.load_place(demo_config, code)
    before = hw.place_results(place, period="2023", seed=3)
    # nothing prepared for this cache folder yet: computed as always
    assert (
        L.stored(place, ws.indicators["mortality_u75"], "2023", R._levels(0.95)) is None
    )
    L.prepare(ws, [code, sorted(ws.areas["ltla_code"].unique())[0]], workers=1)
    rows = L.stored(place, ws.indicators["mortality_u75"], "2023", R._levels(0.95))
    assert rows is not None and len(rows)
    after = hw.place_results(place, period="2023", seed=3)
    pd.testing.assert_frame_equal(after.table, before.table, check_exact=True)
    pd.testing.assert_frame_equal(after.sii, before.sii, check_exact=True)
    # another confidence level has its own files (none yet): computed as always
    assert (
        L.stored(place, ws.indicators["mortality_u75"], "2023", R._levels(0.90)) is None
    )
    # rows made for another definition of the indicator are not used
    changed = dataclasses.replace(ws.indicators["mortality_u75"], multiplier=1000)
    assert L.stored(place, changed, "2023", R._levels(0.95)) is None


def test_a_workspace_with_a_replaced_table_reads_no_prepared_rows(demo_config) -> None:
    ws = Workspace.from_config(demo_config)
    code = sorted(ws.areas["ltla_code"].unique())[0]
    L.prepare(ws, [code], periods=["2024"], workers=1)
    place = ws.place(code)
    assert (
        L.stored(place, ws.indicators["mortality_u75"], "2024", R._levels(0.95))
        is not None
    )
    ws.counts = ws.counts[ws.counts["numerator"] > 3]  # the rows no longer hold
    place = ws.place(code)
    assert (
        L.stored(place, ws.indicators["mortality_u75"], "2024", R._levels(0.95)) is None
    )


def test_rows_prepared_in_parts_on_workers_are_the_rows_of_one_process(
    demo_config, tmp_path, monkeypatch
) -> None:
    # two workers: each period in two parts of the places, on two processes
    levels = R._levels(0.95)
    monkeypatch.setenv("HIWORKBOOK_CACHE", str(tmp_path / "one"))
    ws = Workspace.from_config(demo_config)
    codes = sorted(ws.areas["ltla_code"].unique())
    L.prepare(ws, codes, periods=["2024"], workers=1)
    one = {
        (c, p, i): L.stored(ws.place(c, period=p), ws.indicators[i], p, levels)
        for c in codes
        for p in ["2024"]
        for i in ws.indicators_with_counts(p)
    }
    monkeypatch.setenv("HIWORKBOOK_CACHE", str(tmp_path / "two"))
    L._READ.clear()
    ws = Workspace.from_config(demo_config)
    L.prepare(ws, codes, periods=["2024"], workers=2)
    folders = list((tmp_path / "two").glob("rows-*"))
    assert len(folders) == 1
    for f in folders:
        names = sorted(p.stem for p in f.glob("*.pickle"))
        assert [n for n in names if not n.startswith("comparator-")] == codes
        assert any(n.startswith("comparator-") for n in names)  # their ICB's rows
    checked = 0
    for (c, p, i), want in one.items():
        got = L.stored(ws.place(c, period=p), ws.indicators[i], p, levels)
        if want is None:
            assert got is None
            continue
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        checked += 1
    assert checked >= 5 * 5


def test_parents_rows_computed_at_once_are_each_comparators_own(demo_workspace) -> None:
    ws = demo_workspace
    levels = R._levels(0.95)
    places = [ws.place(c) for c in sorted(ws.areas["ltla_code"].unique())]
    parents = {L.comparator_key(c): c for p in places for c in p.comparators}
    parents = [c for c in parents.values() if c.area_codes]
    assert parents  # the demo's LTLAs are compared with their ICB
    checked = 0
    for period in ws.periods:
        for ind_id in ws.indicators_with_counts(period):
            ind = ws.indicators[ind_id]
            got = L.comparator_rows(ws, parents, period, ind, levels)
            if ind.measure == "isratio":
                assert got is None
                continue
            for comp in parents:
                c = R.counts_filled(ws, period, ind, comp.area_codes)
                cu = R._comparator_units(c, comp, ws.area_col, period, ind.id)
                want = R._calculate(cu, ind, levels, None)
                pd.testing.assert_frame_equal(
                    got[L.comparator_key(comp)], want, check_exact=True
                )
                checked += 1
    assert checked >= 3 * 5


def test_a_prepared_place_reads_its_parents_rows(demo_config, tmp_path, monkeypatch):
    from hiworkbook import workspace as W

    monkeypatch.setenv("HIWORKBOOK_CACHE", str(tmp_path / "cache"))
    ws = Workspace.from_config(demo_config)
    code = sorted(ws.areas["ltla_code"].unique())[2]
    L.prepare(ws, [code], workers=1)
    place = hw.load_place(demo_config, code)
    parent = next(c for c in place.comparators if c.area_codes)
    ind = ws.indicators["mortality_u75"]
    rows = L.stored_comparator(ws, parent, ind, "2023", R._levels(0.95))
    assert rows is not None and set(rows["area_code"]) == {parent.code}
    W._SHARED_MEMO.clear()  # nothing remembered from another test: the file is read
    L._READ.clear()
    prepared = hw.place_results(place, period="2023", seed=3)
    W._SHARED_MEMO.clear()
    monkeypatch.setattr(L, "stored_comparator", lambda *a: None)
    monkeypatch.setattr(L, "stored", lambda *a: None)
    computed = hw.place_results(place, period="2023", seed=3)
    pd.testing.assert_frame_equal(prepared.table, computed.table, check_exact=True)
    pd.testing.assert_frame_equal(prepared.sii, computed.sii, check_exact=True)
    # rows made for another definition of the indicator are not used
    changed = dataclasses.replace(ind, multiplier=1000)
    assert L.stored_comparator(ws, parent, changed, "2023", R._levels(0.95)) is None
