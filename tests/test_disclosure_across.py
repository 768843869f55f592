"""No suppressed count can be worked out by combining the outputs a run publishes.

Every place of the demo region (the ICB and its five districts) is computed under each policy,
with the breakdown tables the explore and Core20PLUS5 notebooks show and export (national IMD
deciles and Core20 against the rest, from :func:`hiworkbook.breakdowns.indicator_by`). All of
them together are then audited: by linear algebra over the small areas' counts
(:func:`hiworkbook.disclosure.recoverable_across`) and by the direct attack, the ICB's total (or
quintile, or ethnic group) minus its districts' shown ones. On today's main (one suppression per
table) the audit finds 28 cells of the demo recoverable across reports; each table alone, none.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from hiworkbook.disclosure import DisclosurePolicy, planned, recoverable_across

pytestmark = pytest.mark.slow

POLICIES = ["suppress", "round", "suppress_and_round"]
ICB = "X54000001"
BREAKDOWNS = [("hypertension_detection", "imd_decile"), ("mortality_u75", "core20")]


@pytest.fixture(scope="module", params=POLICIES)
def published(request, demo_workspace) -> dict:
    import hiworkbook as hw

    ws = demo_workspace
    saved = ws.config
    ws.config = dataclasses.replace(saved, disclosure=DisclosurePolicy(request.param))
    try:
        reports, breakdowns = [], []
        for code in ws.places()["place_code"]:
            place = ws.place(code)
            reports.append((hw.place_results(place, sii_reps=1000).table, place))
            for ind, by in BREAKDOWNS:
                breakdowns.append(
                    (hw.breakdowns.indicator_by(place, ind, by).table, place)
                )
        yield {"policy": request.param, "reports": reports, "breakdowns": breakdowns}
    finally:
        ws.config = saved


def _icb_minus_districts(reports: list) -> list[str]:
    """The direct attack: a shown ICB cell minus its districts' shown cells, where exactly one
    district's cell is hidden."""
    found = []
    tables = {p.code: t for t, p in reports}
    icb = tables[ICB]
    districts = [t for c, t in tables.items() if c != ICB]
    for (ind, sex, bd, cat), row in icb.set_index(
        ["indicator_id", "sex", "breakdown", "category"]
    ).iterrows():
        if bd not in ("area", "imd_quintile", "ethnic_group") or row["is_suppressed"]:
            continue
        parts = []
        for t in districts:
            m = t[
                (t["indicator_id"] == ind)
                & (t["sex"] == sex)
                & (t["breakdown"] == bd)
                & (t["category"] == cat)
            ]
            parts += m["is_suppressed"].astype(bool).tolist()
        if sum(parts) == 1:
            found.append(f"{ind} {sex} {bd} {cat}")
    return found


def test_no_count_is_recoverable_across_reports(published: dict) -> None:
    reports, breakdowns = published["reports"], published["breakdowns"]
    every = reports + breakdowns
    hidden = sum(int(t["is_suppressed"].sum()) for t, _ in reports)
    if published["policy"] == "round":
        assert hidden == 0
    else:
        assert hidden > 0
    assert recoverable_across(every) == []
    assert _icb_minus_districts(reports) == []
    print(
        f"{published['policy']}: cells suppressed "
        + ", ".join(f"{p.code} {int(t['is_suppressed'].sum())}" for t, p in reports)
    )


def test_one_decision_per_cell_in_every_report(published: dict) -> None:
    """The same count (a small area in its district's and its ICB's report, the ICB total as
    each district's comparator, a quintile and the Core20 row) is hidden everywhere or nowhere,
    and each table takes exactly the run's decision (its own checks add nothing)."""
    from hiworkbook.disclosure import row_cells

    seen: dict[tuple, set[bool]] = {}
    for t, place in published["reports"] + published["breakdowns"]:
        hide = t["is_suppressed"].astype(bool).to_numpy()
        plan_hide, _ = planned(t, place)
        keyed = np.array([k is not None for k in row_cells(t, place)])
        if published["policy"] != "round":
            assert (hide[keyed] == plan_hide[keyed]).all(), place.code
        for k, h in zip(row_cells(t, place), hide, strict=True):
            if k is not None:
                seen.setdefault(k, set()).add(bool(h))
    assert all(len(v) == 1 for v in seen.values())


def test_rounded_values_do_not_point_to_small_counts(
    published: dict, demo_workspace
) -> None:
    """Under rounding, a proportion or crude rate of 1 to 4 events shown beside its rounded
    denominator points only to the rounded count (0 or 5), never to the true one."""
    import hiworkbook as hw

    if published["policy"] != "round":
        pytest.skip("small counts are suppressed, not rounded")
    ws = demo_workspace
    code = "X06000005"
    saved = ws.config
    ws.config = dataclasses.replace(
        saved, disclosure=DisclosurePolicy("suppress", min_count=0)
    )
    try:
        truth = hw.place_results(ws.place(code), sii_reps=1000).table
    finally:
        ws.config = saved
    t = next(t for t, p in published["reports"] if p.code == code)
    key = ["indicator_id", "sex", "breakdown", "category"]
    both = t.merge(truth[[*key, "numerator"]], on=key, suffixes=("", "_true"))
    mult = both["indicator_id"].map({i: d.multiplier for i, d in ws.indicators.items()})
    small = (
        both["numerator_true"].between(1, 4)
        & both["measure"].isin(["proportion", "rate"])
        & ~both["is_suppressed"].astype(bool)
        & both["value"].notna()
    )
    assert small.any()
    implied = both.loc[small, "value"] * both.loc[small, "denominator"] / mult[small]
    assert implied.round(6).tolist() == both.loc[small, "numerator"].tolist()
    assert set(both.loc[small, "numerator"]) <= {0, 5}
    assert (pd.to_numeric(t["numerator"].dropna()) % 5 == 0).all()


def test_the_plans_index_gives_the_rows_of_the_boolean_filter(demo_workspace) -> None:
    """Each place of the plan takes its small areas' atoms (and its comparators' sums) through
    an index built once: the same rows in the same order as comparing every row."""
    from hiworkbook.disclosure import _atom_counts, _Atoms

    ws = demo_workspace
    frames = _atom_counts(ws, "2024")
    atoms = _Atoms(frames)
    place = ws.place("X06000003")
    mine = set(place.areas[ws.area_col].astype(str)) | {"not-an-area"}
    parent = next(c for c in place.comparators if c.area_codes)
    for ind_id, a in frames.items():
        pd.testing.assert_frame_equal(atoms.of(ind_id, mine), a[a["area"].isin(mine)])
        ca = a[a["area"].isin(set(parent.area_codes)) & (a["ethnic_group"] == "all")]
        want = ca.groupby("sex", as_index=False)[["numerator", "denominator"]].sum(
            min_count=1
        )
        pd.testing.assert_frame_equal(atoms.comparator_sums(ind_id, parent), want)
    assert atoms.of(next(iter(frames)), set()).empty


def test_plans_built_on_workers_are_the_plans_built_here(
    demo_config, tmp_path, monkeypatch
) -> None:
    """`prepare(workers=2)` builds the periods' plans on worker processes, which cache them; the
    plans read back are those built in this process, and a second call builds nothing."""
    import shutil

    from hiworkbook import disclosure
    from hiworkbook.workspace import Workspace

    monkeypatch.setenv("HIWORKBOOK_CACHE", str(tmp_path / "cache"))
    # a copy of the demo: inputs of their own, so no plan is held in memory from other tests
    config = shutil.copytree(demo_config.parent, tmp_path / "demo") / demo_config.name
    ws = Workspace.from_config(config)
    policy = ws.config.disclosure
    assert not list((tmp_path / "cache").glob("disclosure-*"))
    on_workers, built_here = [], []
    real_workers, real_build = disclosure._plans_on_workers, disclosure._build_plan
    monkeypatch.setattr(
        disclosure,
        "_plans_on_workers",
        lambda ws_, ps, n: on_workers.append(ps) or real_workers(ws_, ps, n),
    )
    # counted in this process only: a forked worker's calls stay in the worker
    monkeypatch.setattr(
        disclosure, "_build_plan", lambda *a: built_here.append(a[1]) or real_build(*a)
    )
    disclosure.prepare(ws, workers=2)
    assert on_workers == [list(ws.periods)] and built_here == []
    monkeypatch.setattr(disclosure, "_build_plan", real_build)
    files = sorted((tmp_path / "cache").glob("disclosure-*"))
    assert len(files) == len(ws.periods)
    for p in ws.periods:
        want = disclosure._build_plan(ws, p, policy)
        assert disclosure.run_plan(ws, p) == want and want
    built = []
    monkeypatch.setattr(disclosure, "_plans_on_workers", lambda *a: built.append(a))
    disclosure.prepare(Workspace.from_config(config), workers=2)  # on disk
    for f in files:
        f.unlink()
    disclosure.prepare(Workspace.from_config(config), workers=2)  # held in memory
    assert built == [] and not any(f.exists() for f in files)
