"""Every disclosure policy holds in every file a run writes.

The demo region, with one place made hostile: a single small area of 3 events in a quintile whose
other small areas are all publishable (so, unprotected, ``quintile − the others`` would give it
away), an ethnic group of 2 events, and place and neighbourhood names carrying HTML/script
injection. A batch run per policy reports that place and an untouched demo place; then every file
written (HTML, the HTML inside each map's iframe ``srcdoc`` and its embedded GeoJSON tooltips,
CSV, JSON) is scanned for

- a suppressed value (the exact count, value or CI of a suppressed row, next to its label),
- a suppressed count recoverable by subtraction from the totals shown (quintiles, ethnic groups
  and small areas adding up to the place; small areas adding up to their quintile), checked both
  by direct subtraction and by linear algebra,
- under rounding, any count that is not a multiple of the base (an exact unrounded count),
- script injection.
"""

from __future__ import annotations

import dataclasses
import html as htmlmod
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hiworkbook.disclosure import DisclosurePolicy, recoverable
from hiworkbook.results import QUINTILE_LABELS

pytestmark = pytest.mark.slow

HOSTILE = "X06000005"  # the smallest demo LTLA, made hostile
INDICATOR = "hypertension_detection"  # mapped and shown by ethnic group in the report
PERIOD = "2024"
PLACE_NAME = "Marsh <script>alert('hiw')</script> & \"Co\""
AREA_NAME = "<img src=x onerror=alert('hiw')>"
MIXED = "Mixed or Multiple ethnic groups"


@pytest.fixture(scope="module")
def hostile_demo(demo_config: Path, tmp_path_factory) -> dict:
    src = demo_config.parent
    folder = tmp_path_factory.mktemp("hostile")
    lookup = pd.read_csv(src / "lookup.csv")
    dep = pd.read_csv(src / "deprivation.csv")
    counts = pd.read_csv(src / "counts.csv", dtype={"period": str})
    mine = lookup.loc[lookup["ltla_code"] == HOSTILE, "lsoa21_code"]
    quint = dep.set_index(dep.columns[0])["imd_decile"].add(1).floordiv(2)
    q_of = quint.reindex(mine).dropna()
    q = int(q_of.value_counts().idxmax())  # the quintile with most of the place's areas
    target = q_of.index[q_of == q][0]
    # every small area of the place publishable (5 <= n <= d - 5) except the target (3 of 50)
    sel = (
        (counts["indicator_id"] == INDICATOR)
        & (counts["period"] == PERIOD)
        & counts["lsoa21_code"].isin(mine)
    )
    alls = sel & (counts["ethnic_group"] == "all")
    d = counts.loc[alls, "denominator"].clip(lower=20)
    n = counts.loc[alls, "numerator"].clip(lower=5)
    counts.loc[alls, "denominator"] = d
    counts.loc[alls, "numerator"] = np.minimum(n, d - 5)
    counts.loc[
        alls & (counts["lsoa21_code"] == target), ["numerator", "denominator"]
    ] = [
        3,
        50,
    ]
    # one ethnic group of 2 events in the whole place; the others large
    mixed = sel & (counts["ethnic_group"] == MIXED)
    counts.loc[mixed, ["numerator", "denominator"]] = 0
    first = counts.index[mixed][0]
    counts.loc[first, ["numerator", "denominator"]] = [2, 40]
    others = sel & ~counts["ethnic_group"].isin(["all", MIXED])
    counts.loc[others, "denominator"] = counts.loc[others, "denominator"].clip(lower=30)
    counts.loc[others, "numerator"] = counts.loc[others, "numerator"].clip(lower=10)
    counts.to_csv(folder / "counts.csv", index=False)
    lookup.loc[lookup["ltla_code"] == HOSTILE, "ltla_name"] = PLACE_NAME
    lookup.loc[lookup["lsoa21_code"] == target, "lsoa21_name"] = AREA_NAME
    lookup.to_csv(folder / "lookup.csv", index=False)
    text = demo_config.read_text()
    for name in ("boundaries.gpkg", "deprivation.csv", "population.csv"):
        text = text.replace(f'"{name}"', f'"{src / name}"')
    text = text.replace(
        '"population_ethnicity.csv"', f'"{src / "population_ethnicity.csv"}"'
    )
    text = text.replace('"england_counts.csv"', f'"{src / "england_counts.csv"}"')
    return {"folder": folder, "text": text, "target": target, "quintile": q}


def _config(hostile: dict, policy: str) -> Path:
    folder = hostile["folder"]
    text = re.sub(
        r"\[disclosure\][^\[]*",
        f'[disclosure]\npolicy = "{policy}"\nmin_count = 5\nrounding_base = 5\n',
        hostile["text"],
    )
    cfg = folder / f"workbook_{policy}.toml"
    cfg.write_text(text)
    return cfg


_TRUTH: dict[str, tuple[pd.DataFrame, dict]] = {}


def _truth(cfg: Path, code: str) -> tuple[pd.DataFrame, dict]:
    """The exact (unprotected) result table and the quintile of each small area (the same
    data under every policy, so computed once)."""
    if code not in _TRUTH:
        _TRUTH[code] = _exact(cfg, code)
    return _TRUTH[code]


def _exact(cfg: Path, code: str) -> tuple[pd.DataFrame, dict]:
    import hiworkbook as hw

    ws = hw.Workspace.from_config(cfg)
    ws.config = dataclasses.replace(
        ws.config, disclosure=DisclosurePolicy("suppress", min_count=0)
    )
    place = ws.place(code)
    r = hw.place_results(place, sii_reps=1000)
    quint = (
        place.areas.set_index(ws.area_col)["imd_quintile"]
        .dropna()
        .astype(int)
        .map(QUINTILE_LABELS)
        .to_dict()
    )
    return r.table, quint


def _pages(path: Path) -> list[str]:
    """An HTML file and the HTML inside each of its iframes' srcdoc."""
    text = path.read_text(encoding="utf-8")
    return [text] + [
        htmlmod.unescape(m.group(1)) for m in re.finditer(r'srcdoc="([^"]*)"', text)
    ]


def _tooltips(page: str) -> list[str]:
    return [
        json.loads(f'"{m.group(1)}"')
        for m in re.finditer(r'"tip":\s*"((?:[^"\\]|\\.)*)"', page)
    ]


def _key(t: pd.DataFrame) -> pd.Series:
    return (
        t["indicator_id"] + "|" + t["sex"] + "|" + t["breakdown"] + "|" + t["category"]
    )


def _subtraction_recoveries(pub: pd.DataFrame, quint: dict) -> list[str]:
    """Suppressed counts given away by a shown total minus the shown parts (the direct attack)."""
    found = []
    for (ind, sex), g in pub.groupby(["indicator_id", "sex"]):
        total = g[g["breakdown"] == "area"]
        groups = [
            (total, g[g["breakdown"] == b])
            for b in g["breakdown"].unique()
            if b not in ("area", "comparator")
        ]
        small = g[g["breakdown"] == "small_area"]
        for _, qrow in g[g["breakdown"] == "imd_quintile"].iterrows():
            members = small[small["area_code"].map(quint) == qrow["category"]]
            groups.append((qrow.to_frame().T, members))
        for tot, parts in groups:
            if len(tot) != 1 or tot["is_suppressed"].astype(bool).any():
                continue
            hidden = parts[parts["is_suppressed"].astype(bool)]
            if len(hidden) == 1:
                found.append(f"{ind}/{sex}: {hidden['category'].iloc[0]}")
    return found


POLICIES = ["suppress", "round", "suppress_and_round"]


@pytest.fixture(scope="module", params=POLICIES)
def policy_run(request, hostile_demo: dict, tmp_path_factory) -> dict:
    from hiworkbook.batch import run_reports

    policy = request.param
    cfg = _config(hostile_demo, policy)
    out = tmp_path_factory.mktemp(f"run_{policy}")
    summary = run_reports(cfg, out_dir=out, places=[HOSTILE], workers=1, progress=False)
    assert not summary.failed, [f.error for f in summary.failed]
    return {"policy": policy, "cfg": cfg, "out": out}


def test_every_file_honours_the_policy(policy_run: dict, hostile_demo: dict) -> None:
    policy = DisclosurePolicy(policy_run["policy"])
    out: Path = policy_run["out"]
    files = [p for p in out.rglob("*") if p.is_file()]
    kinds = {p.suffix for p in files}
    assert {".html", ".csv", ".json"} <= kinds, kinds
    suppressed_cells = {}
    for code in (HOSTILE,):
        truth, quint = _truth(policy_run["cfg"], code)
        csv = next((out / code).glob("*_results.csv"))
        pub = pd.read_csv(csv, dtype={"period": str, "category": str})
        assert len(pub) == len(truth)
        hidden = pub["is_suppressed"].astype(bool)
        suppressed_cells[code] = int(hidden.sum())
        pages = _pages(out / code / "place_profile.html")
        if policy.suppresses:
            # blanked in the CSV
            cols = ["numerator", "denominator", "value", "lower_ci", "upper_ci"]
            assert pub.loc[hidden, cols].isna().all().all()
            # the planted cells are suppressed, and nothing is recoverable by subtraction
            if code == HOSTILE:
                k = _key(pub)
                assert hidden[
                    k == f"{INDICATOR}|persons|small_area|{hostile_demo['target']}"
                ].all()
                assert hidden[k == f"{INDICATOR}|persons|ethnic_group|{MIXED}"].all()
            assert _subtraction_recoveries(pub, quint) == []
            assert recoverable(pub, hidden, nesting={"imd_quintile": quint}) == []
            # no suppressed value beside its label in the map tooltips (HTML and GeoJSON)
            exact = truth.set_index(_key(truth))
            tips = [t for page in pages for t in _tooltips(page)]
            assert tips, "the report has map tooltips"
            sa = pub[hidden & (pub["breakdown"] == "small_area")]
            for _, row in sa.iterrows():
                v = exact.loc[_key(row.to_frame().T).iloc[0], "value"]
                for tip in tips:
                    if (
                        row["area_code"] in tip
                        and INDICATOR == row["indicator_id"]
                        and "IMD decile" not in tip  # the deprivation map's tooltip
                    ):
                        assert f"{v:,.1f}" not in tip.split(row["area_code"])[1]
                        assert "suppressed" in tip.lower()
            # chart data (alt text of the quintile and ethnicity charts) names no suppressed value
            alts = [htmlmod.unescape(a) for a in re.findall(r'alt="([^"]*)"', pages[0])]
            for _, row in pub[
                hidden & pub["breakdown"].isin(["ethnic_group", "imd_quintile"])
            ].iterrows():
                v = exact.loc[_key(row.to_frame().T).iloc[0], "value"]
                label = (
                    row["category"]
                    .split(",")[0]
                    .replace(" or Multiple ethnic groups", "")
                )
                for alt in alts:
                    assert f"{label}: {v:.1f}" not in alt, (label, alt)
        else:
            assert not hidden.any()
        if policy.rounds:
            shown = pub[~hidden & (pub["method"].astype(str) != "published value")]
            for col in ("numerator", "denominator"):
                vals = shown[col].dropna()
                if col == "denominator":
                    vals = shown.loc[shown["measure"] != "isratio", col].dropna()
                assert (vals % policy.rounding_base == 0).all(), col
            assert shown["is_rounded"].astype(bool).all()
            # the report's count column shows only rounded counts
            table = pages[0][
                re.search(r"<table class=.hiw-table.>", pages[0]).start() :
            ]
            cells = re.findall(r"</th><td class=.num.>([\d,]+)</td>", table)
            assert cells and all(int(c.replace(",", "")) % 5 == 0 for c in cells)
            # and says the counts are rounded
            assert "rounded to the nearest 5" in pages[0]
        # the methods footer states the policy
        assert f"Disclosure control ({policy.policy.replace('_', ' ')})" in pages[0]
        # no injected script or handler survives unescaped, in the page or inside a map frame
        for page in pages:
            assert "<script>alert(" not in page
            assert "<img src=x onerror" not in page
    # the index page and run record carry no counts, and no injection
    index = (out / "index.html").read_text()
    assert "<script>alert(" not in index
    record = json.loads((out / "run.json").read_text())
    assert record["failed"] == 0
    print(f"{policy.policy}: cells suppressed {suppressed_cells}")


@pytest.mark.parametrize("policy", POLICIES)
def test_demo_figures_files_honour_the_policy(
    policy: str, demo_workspace, tmp_path: Path
) -> None:
    """The untouched demo places' figures (CSV) under each policy: nothing suppressed is in the
    file, nothing is recoverable by subtraction, and rounded counts are multiples of 5."""
    import hiworkbook as hw
    from hiworkbook.export import save_results

    ws = demo_workspace
    saved = ws.config
    try:
        ws.config = dataclasses.replace(saved, disclosure=DisclosurePolicy(policy))
        for code in ("X06000001", "X54000001"):
            place = ws.place(code)
            r = hw.place_results(place, sii_reps=1000)
            quint = (
                place.areas.set_index(ws.area_col)["imd_quintile"]
                .astype(int)
                .map(QUINTILE_LABELS)
                .to_dict()
            )
            csv = [
                p
                for p in save_results(r, tmp_path / code)
                if p.name.endswith("_results.csv")
            ]
            pub = pd.read_csv(csv[0], dtype={"period": str, "category": str})
            hidden = pub["is_suppressed"].astype(bool)
            assert _subtraction_recoveries(pub, quint) == []
            assert recoverable(pub, hidden, nesting={"imd_quintile": quint}) == []
            assert (
                pub.loc[hidden, ["numerator", "value", "lower_ci"]].isna().all().all()
            )
            if "round" in policy:
                shown = pub[~hidden]
                assert (shown["numerator"].dropna() % 5 == 0).all()
            print(
                f"{policy} {code}: {int(hidden.sum())} of {len(pub)} cells suppressed"
            )
    finally:
        ws.config = saved


@pytest.mark.parametrize(
    ("indicator", "breakdown"),
    [
        ("copd_admissions", "sex"),
        ("copd_admissions", "age_band"),
        ("hypertension_detection", "imd_decile"),
        ("hypertension_detection", "core20"),
        ("smi_health_checks", "ethnic_group"),
        ("smi_health_checks", "local_quintile"),
    ],
)
def test_breakdown_tables_are_protected_too(
    demo_workspace, indicator: str, breakdown: str
) -> None:
    """The explore notebook's breakdowns (rows sharing the place's total) are linked sets too:
    nothing suppressed there can be worked out by subtraction, whatever the policy."""
    import hiworkbook as hw

    place = demo_workspace.place("X06000005")
    b = hw.breakdowns.indicator_by(place, indicator, breakdown)
    t = b.table
    hidden = t["is_suppressed"].astype(bool)
    assert recoverable(t, hidden) == []
    assert _subtraction_recoveries(t, {}) == []


# ---------------------------------------------------------------------- a whole run, together
RUNS = [("demo", p) for p in POLICIES] + [("hostile", p) for p in POLICIES]


@pytest.fixture(scope="module", params=RUNS, ids=lambda r: f"{r[0]}-{r[1]}")
def whole_run(request, demo_config: Path, hostile_demo: dict, tmp_path_factory) -> dict:
    """``hiworkbook run`` for every place (the ICB and its five districts) under one policy."""
    from hiworkbook.batch import run_reports

    data, policy = request.param
    if data == "hostile":
        cfg = _config(hostile_demo, policy)
    else:
        text = re.sub(
            r"\[disclosure\][^\[]*",
            f'[disclosure]\npolicy = "{policy}"\nmin_count = 5\nrounding_base = 5\n',
            demo_config.read_text(),
        )
        cfg = demo_config.parent / f"workbook_{policy}.toml"
        cfg.write_text(text)
    out = tmp_path_factory.mktemp(f"whole_{data}_{policy}")
    summary = run_reports(cfg, out_dir=out, workers=2, progress=False)
    assert not summary.failed, [f.error for f in summary.failed]
    return {"data": data, "policy": policy, "cfg": cfg, "out": out}


def test_whole_run_gives_nothing_away_across_reports(whole_run: dict) -> None:
    """Every file of a whole run read together: the figures CSV of every place (ICB and
    districts) audited across reports, the ICB's shown cells minus its districts', and every
    map tooltip (HTML and the GeoJSON inside each map frame) of every report against the
    cells hidden in any report."""
    import hiworkbook as hw
    from hiworkbook.disclosure import recoverable_across

    out: Path = whole_run["out"]
    ws = hw.Workspace.from_config(whole_run["cfg"])
    codes = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert len(codes) == 6, codes
    tables = []
    for code in codes:
        csv = next((out / code).glob("*_results.csv"))
        pub = pd.read_csv(csv, dtype={"period": str, "category": str, "area_code": str})
        tables.append((pub, ws.place(code)))
    kinds = {p.suffix for p in out.rglob("*") if p.is_file()}
    assert {".html", ".csv", ".json"} <= kinds, kinds
    hidden = {p.code: int(t["is_suppressed"].astype(bool).sum()) for t, p in tables}
    policy = DisclosurePolicy(whole_run["policy"])
    assert (sum(hidden.values()) > 0) == policy.suppresses
    assert recoverable_across(tables) == []
    # the direct attack: a shown ICB cell minus its districts' cells, one of them hidden
    icb = next(t for t, p in tables if p.level == "icb")
    districts = [t for t, p in tables if p.level != "icb"]
    for _, row in icb[~icb["is_suppressed"].astype(bool)].iterrows():
        if row["breakdown"] not in ("area", "imd_quintile", "ethnic_group"):
            continue
        flags = [
            bool(f)
            for t in districts
            for f in t.loc[
                (t["indicator_id"] == row["indicator_id"])
                & (t["sex"] == row["sex"])
                & (t["breakdown"] == row["breakdown"])
                & (t["category"] == row["category"]),
                "is_suppressed",
            ]
        ]
        assert sum(flags) != 1, (row["indicator_id"], row["breakdown"], row["category"])
    # a small area hidden in any report is hidden in every map of every report
    gone = set()
    for t, _ in tables:
        sa = t[t["is_suppressed"].astype(bool) & (t["breakdown"] == "small_area")]
        gone |= set(zip(sa["indicator_id"], sa["area_code"], strict=True))
    for code in codes:
        for page in _pages(out / code / "place_profile.html"):
            for tip in _tooltips(page):
                for ind, area in gone:
                    if ind == INDICATOR and area in tip and "IMD decile" not in tip:
                        assert "suppressed" in tip.lower(), (code, area, tip)
    print(f"{whole_run['data']} {policy.policy}: cells suppressed {hidden}")
