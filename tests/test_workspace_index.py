"""Fast slices of the workspace and what is computed once per workspace: the same rows and the
same numbers as the straightforward full-table filters and one-call calculations they replace."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import hiworkbook as hw
from hiworkbook import results as R
from hiworkbook.workspace import Workspace


def _filter(c: pd.DataFrame, area_col: str, periods=None, ids=None, areas=None):
    m = np.ones(len(c), dtype=bool)
    if periods is not None:
        m &= c["period"].astype(str).isin([str(p) for p in periods]).to_numpy()
    if ids is not None:
        m &= c["indicator_id"].isin(list(ids)).to_numpy()
    if areas is not None:
        m &= c[area_col].isin(list(areas)).to_numpy()
    return c[m]


@pytest.mark.parametrize(
    "periods, ids, ltla",
    [
        (["2024"], ["mortality_u75"], None),
        (["2022", "2024"], ["life_expectancy", "smoking_at_delivery"], "X06000002"),
        (None, ["hypertension_detection"], "X06000005"),
        (["2023"], None, "X06000001"),
        (["1999"], ["mortality_u75"], None),  # no such period: no rows
        (["2024"], ["no_such_indicator"], None),
    ],
)
def test_counts_for_gives_the_rows_of_the_boolean_filter(
    demo_workspace, periods, ids, ltla
) -> None:
    ws = demo_workspace
    areas = (
        None
        if ltla is None
        else ws.areas.loc[ws.areas["ltla_code"] == ltla, ws.area_col]
    )
    got = ws.counts_for(periods, ids, areas)
    want = _filter(ws.counts, ws.area_col, periods, ids, areas)
    pd.testing.assert_frame_equal(
        got, want
    )  # same rows, order, index labels and dtypes
    if periods and len(periods) == 1 and ids and len(ids) == 1:  # the str forms
        pd.testing.assert_frame_equal(ws.counts_for(periods[0], ids[0], areas), want)


def test_counts_for_areas_given_as_a_list_with_unknown_and_repeated_codes(
    demo_workspace,
) -> None:
    ws = demo_workspace
    codes = ws.areas[ws.area_col].tolist()
    # out of order, repeated, one unknown and one area of another place
    areas = [codes[7], codes[3], codes[7], "X99999999", codes[-1], codes[3]]
    for periods, ids in ((None, None), (["2024"], ["mortality_u75"]), (["2023"], None)):
        got = ws.counts_for(periods, ids, areas)
        want = _filter(ws.counts, ws.area_col, periods, ids, areas)
        pd.testing.assert_frame_equal(got, want)
    assert ws.counts_for(None, None, ["X99999999"]).empty
    assert ws.counts_for(None, None, []).empty


def test_population_for_and_periods(demo_workspace) -> None:
    ws = demo_workspace
    pop = ws.population
    areas = ws.areas.loc[ws.areas["ltla_code"] == "X06000003", ws.area_col]
    pd.testing.assert_frame_equal(
        ws.population_for("2024", areas),
        _filter(pop, ws.area_col, ["2024"], None, areas),
    )
    assert ws.periods == sorted(ws.counts["period"].astype(str).unique())
    assert ws.population_periods == sorted(pop["period"].astype(str).unique())
    have = set(ws.counts.loc[ws.counts["period"].astype(str) == "2023", "indicator_id"])
    assert set(ws.indicators_with_counts("2023")) == have
    assert ws.indicators_with_counts("1999") == []


def test_memo_is_shared_by_the_same_inputs_and_forgotten_when_a_table_changes(
    demo_config,
) -> None:
    a = Workspace.from_config(demo_config)
    b = Workspace.from_config(demo_config)
    assert a is not b and a.source_key and a.source_key == b.source_key
    calls = []
    assert a.memo(("test-key",), lambda: calls.append(1) or "x") == "x"
    assert b.memo(("test-key",), lambda: calls.append(2) or "y") == "x"
    assert calls == [1]  # the second workspace of the same inputs reuses it
    c = copy.copy(a)  # a copy keeps nothing memoised
    assert c.source_key is None and c.memo(("test-key",), lambda: "z") == "z"
    b.counts = b.counts[b.counts["indicator_id"] != "mortality_u75"]
    assert b.source_key is None  # a replaced table: its own memo, rebuilt
    assert b.memo(("test-key",), lambda: "w") == "w"
    assert "mortality_u75" not in b.indicators_with_counts("2024")
    assert "mortality_u75" in a.indicators_with_counts("2024")


def test_one_indicator_result_is_the_one_call_over_every_unit(demo_workspace) -> None:
    """The place's rows and the (shared) comparators' rows, put together, are the rows and
    numbers of a single calculation over all units, as PHE's methods are applied per group."""
    ws = demo_workspace
    place = ws.place("X06000002")
    primary = R._primary(place.comparators, None)
    levels = R._levels(0.95)
    for ind_id in ("mortality_u75", "life_expectancy", "hypertension_detection"):
        ind = ws.indicators[ind_id]
        c = ws.counts[
            (ws.counts["period"].astype(str) == "2024")
            & (ws.counts["indicator_id"] == ind_id)
        ]
        c = R._fill_denominators(c, ws.population, ws.area_col, "2024", ind)
        units = R._units(c, place, ws.area_col, ind)
        for comp in place.comparators:
            cu = R._comparator_units(c, comp, ws.area_col, "2024", ind_id)
            if cu is not None:
                units.append(cu)
        want = R._calculate(pd.concat(units, ignore_index=True), ind, levels)
        got = R._indicator_result(place, ind, "2024", levels, primary)
        pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_counts_filled_for_an_event_extract(demo_workspace) -> None:
    """Deaths listed as events only: the denominators and zero-event bands of one place's rows
    are those the whole table gives them."""
    ws = copy.copy(demo_workspace)
    c = demo_workspace.counts
    full = c[
        (c["indicator_id"] == "mortality_u75") & (c["period"].astype(str) == "2024")
    ]
    events = full[full["numerator"] > 0].assign(denominator=np.nan)
    ws.counts = pd.concat(
        [c[c["indicator_id"] != "mortality_u75"], events], ignore_index=True
    )
    ind = ws.indicators["mortality_u75"]
    areas = ws.areas.loc[ws.areas["ltla_code"] == "X06000004", ws.area_col]
    whole = R._fill_denominators(events, ws.population, ws.area_col, "2024", ind)
    want = whole[whole[ws.area_col].isin(areas)].reset_index(drop=True)
    got = R.counts_filled(ws, "2024", ind, areas).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)


def test_sii_of_some_indicators_is_their_sii_in_the_full_run(demo_workspace) -> None:
    place = demo_workspace.place("X06000003")
    full = hw.place_results(place, period="2023", sii_reps=2000)
    some = hw.place_results(
        place,
        period="2023",
        sii_reps=2000,
        sii_indicators=["mortality_u75", "smoking_at_delivery"],
    )
    pd.testing.assert_frame_equal(some.table, full.table)
    want = full.sii[
        full.sii["indicator_id"].isin(["mortality_u75", "smoking_at_delivery"])
    ]
    pd.testing.assert_frame_equal(
        some.sii.reset_index(drop=True), want.reset_index(drop=True), check_exact=True
    )
    assert set(some.sii["indicator_id"]) == {"mortality_u75", "smoking_at_delivery"}


def test_peers_once_per_workspace_equal_a_fresh_calculation(demo_workspace) -> None:
    res = hw.place_results(
        demo_workspace.place("X06000001"),
        indicators=["mortality_u75", "hypertension_detection"],
        sii_reps=1000,
    )
    first = hw.views.peer_values(res)
    again = hw.views.peer_values(res)
    again.loc[:, "value"] = -1.0  # a caller's changes do not reach the memo
    pd.testing.assert_frame_equal(hw.views.peer_values(res), first)
    fresh_ws = copy.copy(demo_workspace)  # nothing memoised
    fresh = hw.place_results(
        fresh_ws.place("X06000001"),
        indicators=["mortality_u75", "hypertension_detection"],
        sii_reps=1000,
    )
    pd.testing.assert_frame_equal(hw.views.peer_values(fresh), first)
    assert set(first["area_code"]) == set(demo_workspace.areas["ltla_code"])


def test_trends_with_the_sii_of_one_indicator(demo_workspace) -> None:
    from hiworkbook import trends

    place = demo_workspace.place("X06000005")
    kw = dict(
        periods=["2022", "2023"], indicators=["mortality_u75", "infant_mortality"]
    )
    full = trends.period_results(place, sii_reps=1000, **kw)
    one = trends.period_results(
        place, sii_reps=1000, sii_indicators=["mortality_u75"], **kw
    )
    pd.testing.assert_frame_equal(one.table, full.table)
    assert set(one.sii["indicator_id"]) == {"mortality_u75"}
    pd.testing.assert_frame_equal(
        trends.sii_by_period(one, "mortality_u75"),
        trends.sii_by_period(full, "mortality_u75"),
        check_exact=True,
    )
