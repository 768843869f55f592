"""The validated-workspace cache at scale: a compact cache file and an in-process copy that give a
workspace equal to a cold load, are invalidated by any input change, and never carry one
notebook's changes to the next; large CSV files read by the categorical reader give the same
tables and the same row-precise messages as the string reader."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hiworkbook import workspace as W
from hiworkbook.io import _read as R
from hiworkbook.io import load_counts, load_population
from hiworkbook.validate import DataError, ProblemLog


@pytest.fixture()
def demo_copy(demo_config: Path, tmp_path: Path, monkeypatch) -> Path:
    """A private copy of the demo workbook (its files may be changed) with its own cache."""
    monkeypatch.setenv("HIWORKBOOK_CACHE", str(tmp_path / "cache"))
    W._MEMO.clear()
    shutil.copytree(demo_config.parent, tmp_path / "demo")
    yield tmp_path / "demo" / "workbook.toml"
    W._MEMO.clear()


def _assert_same(a: W.Workspace, b: W.Workspace) -> None:
    for name in ("counts", "population", "population_ethnicity"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.areas.drop(columns="geometry")),
        pd.DataFrame(b.areas.drop(columns="geometry")),
    )
    assert a.areas.geometry.geom_equals_exact(b.areas.geometry, 0).all()
    assert a.areas.crs == b.areas.crs
    assert a.indicators == b.indicators
    assert [c.code for c in a.comparators] == [c.code for c in b.comparators]
    for ca, cb in zip(a.comparators, b.comparators, strict=True):
        if ca.counts is not None:
            pd.testing.assert_frame_equal(ca.counts, cb.counts)
    assert [str(w) for w in a.warnings] == [str(w) for w in b.warnings]
    assert a.sources == b.sources


def test_cache_file_and_memo_equal_a_cold_load(demo_copy: Path, monkeypatch) -> None:
    cold = W.Workspace.from_config(demo_copy, cache=False)
    first = W.Workspace.from_config(demo_copy)  # validates, writes the cache, holds it
    _assert_same(cold, first)
    # from the cache file, as a new process reads it
    W._MEMO.clear()
    W._SHARED_MEMO.clear()
    from_file = W.Workspace.from_config(demo_copy)
    _assert_same(cold, from_file)
    # what each reader would compute first comes with the file, equal to a cold computation:
    # the row indexes and every indicator's counts shape in every period
    assert from_file.has_memo(("counts_index",))
    for period in cold.periods:
        for ind_id in cold.indicators_with_counts(period):
            assert from_file.has_memo(("counts_shape", period, ind_id))
            assert from_file.counts_shape(period, ind_id) == cold.counts_shape(
                period, ind_id
            )
    assert from_file.counts["lsoa21_code"].dtype == object  # plain text, as loaded

    # from memory: the cache file is not read again
    def no_read(*a, **k):
        raise AssertionError("cache file read although the workspace is held in memory")

    monkeypatch.setattr(W, "_cache_read", no_read)
    again = W.Workspace.from_config(demo_copy)
    assert again is not from_file
    _assert_same(cold, again)


def test_one_notebooks_changes_do_not_reach_the_next(demo_copy: Path) -> None:
    ws = W.Workspace.from_config(demo_copy)
    before = ws.counts.copy()
    area0 = ws.areas.iloc[0].copy()
    # what a careless notebook might do to its workspace
    ws.counts.loc[ws.counts.index[0], "numerator"] = 10**6
    ws.counts["extra"] = 1
    ws.areas.loc[ws.areas.index[0], "area_name"] = "changed"
    ws.indicators.clear()
    ws.comparators.clear()
    ws.counts = ws.counts.iloc[:5]
    nxt = W.Workspace.from_config(demo_copy)
    pd.testing.assert_frame_equal(nxt.counts, before)
    assert nxt.areas.iloc[0]["area_name"] == area0["area_name"]
    assert nxt.indicators and nxt.comparators


def test_memo_and_cache_follow_input_changes(demo_copy: Path) -> None:
    ws = W.Workspace.from_config(demo_copy)
    counts = demo_copy.parent / "counts.csv"
    assert counts.is_file()
    frame = pd.read_csv(counts, dtype=str, keep_default_na=False)
    frame.loc[0, "numerator"] = str(int(frame.loc[0, "numerator"]) + 7)
    frame.to_csv(counts, index=False)
    changed = W.Workspace.from_config(demo_copy)
    row = frame.iloc[0]
    pick = (
        (changed.counts["indicator_id"] == row["indicator_id"])
        & (changed.counts["period"] == row["period"])
        & (changed.counts["lsoa21_code"] == row["lsoa21_code"])
        & (changed.counts["sex"] == row["sex"])
        & (changed.counts["age_band"] == row["age_band"])
        & (changed.counts["ethnic_group"] == row["ethnic_group"])
    )
    assert int(changed.counts.loc[pick, "numerator"].iloc[0]) == int(row["numerator"])
    assert int(ws.counts.loc[pick, "numerator"].iloc[0]) == int(row["numerator"]) - 7
    # a broken input is reported, never served from memory
    frame.loc[3, "numerator"] = "-2"
    frame.to_csv(counts, index=False)
    with pytest.raises(DataError, match="negative counts"):
        W.Workspace.from_config(demo_copy)


def _big_counts(path: Path, n_areas: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    codes = [f"X01{i:06d}" for i in range(1, n_areas + 1)]
    bands = ["0-4", "5-9", "10-14", "15-19"]
    frame = pd.DataFrame(
        {
            "indicator_id": "mortality_u75",
            "period": np.repeat(["2022", "2023"], n_areas * len(bands) * 2),
            "lsoa21_code": np.tile(np.repeat(codes, len(bands) * 2), 2),
            "sex": np.tile(["female", "male"], n_areas * len(bands) * 2),
            "age_band": np.tile(np.repeat(bands, 2), n_areas * 2),
            "numerator": rng.poisson(2, n_areas * len(bands) * 4).astype(str),
            "denominator": rng.integers(50, 90, n_areas * len(bands) * 4).astype(str),
        }
    )
    with gzip.open(path, "wt", newline="") as fh:
        frame.to_csv(fh, index=False, lineterminator="\n")
    return frame


def test_large_counts_file_bad_cells_named_by_row(tmp_path: Path) -> None:
    frame = _big_counts(tmp_path / "counts.csv.gz")
    # file rows: header = 1, so frame row i is file row i + 2
    frame.loc[1234, "numerator"] = "12a"
    frame.loc[20001, "numerator"] = "*"
    frame.loc[40000, "denominator"] = "-5"
    frame.loc[45000, "sex"] = "unknown"
    bad = tmp_path / "bad_counts.csv.gz"
    with gzip.open(bad, "wt", newline="") as fh:
        frame.to_csv(fh, index=False, lineterminator="\n")
    table = R.read_table(bad, log=ProblemLog(), categories=True)
    assert isinstance(table["numerator"].dtype, pd.CategoricalDtype)  # the fast reader
    log = ProblemLog()
    assert load_counts(bad, log=log, vintage=2021) is None
    by_text = {p.message: p for p in log.errors}
    msgs = " | ".join(by_text)
    assert "not numbers: '12a'" in msgs
    assert "suppressed or redacted counts ('*')" in msgs
    assert "negative denominators: -5" in msgs
    assert "sex values hiworkbook does not recognise: 'unknown'" in msgs
    rows = {p.message.split(":")[0]: list(p.rows) for p in log.errors}
    assert [1236] in rows.values()
    assert [20003] in rows.values()
    assert [40002] in rows.values()
    assert [45002] in rows.values()
    assert all(p.file == "bad_counts.csv.gz" for p in log.errors)
    cols = {p.column for p in log.errors}
    assert {"numerator", "denominator", "sex"} <= cols


def test_fast_and_string_readers_give_the_same_tables(
    tmp_path: Path, monkeypatch
) -> None:
    path = tmp_path / "counts.csv.gz"
    _big_counts(path, n_areas=500)
    fast = load_counts(path, log=ProblemLog(), vintage=2021)
    monkeypatch.setattr(R, "_arrow_body", lambda *a, **k: None)  # string reader only
    slow = load_counts(path, log=ProblemLog(), vintage=2021)
    pd.testing.assert_frame_equal(fast, slow)
    assert (fast.dtypes == slow.dtypes).all()


def test_fast_reader_leaves_odd_files_to_the_string_reader(tmp_path: Path) -> None:
    ok = "lsoa21_code,period,sex,age_band,population\nX01000001,2022,female,0-4,51\n"
    assert R._arrow_body(ok.encode(), None, ["lsoa21_code"]) is not None
    odd = {
        "padded": ok.replace(",51", ", 51"),
        "title row": "Population estimates\n" + ok,
        "ragged": ok + "X01000002,2022,male\n",
        "cp1252": ok.replace("X01000001", "X01000001").replace("female", "f\xe9male"),
    }
    for what, text in odd.items():
        data = text.encode("cp1252" if what == "cp1252" else "utf-8")
        assert R._arrow_body(data, None, ["lsoa21_code"]) is None, what
    # a blank line is a blank row to both readers: dropped, and later rows keep their numbers
    blank = tmp_path / "blank.csv"
    blank.write_text(
        ok + "\n" + ok.splitlines()[1] + "\n" + 'X01000002,2022,"fe\nmale",0-4,3\n'
    )
    fast = R.read_table(blank, log=ProblemLog(), categories=True)
    slow = R.read_table(blank, log=ProblemLog())
    assert fast[R.ROW].tolist() == slow[R.ROW].tolist() == [2, 4, 5]
    assert isinstance(fast["period"].dtype, pd.CategoricalDtype)
    assert fast.astype(str).equals(slow.astype(str))


def test_population_long_file_same_with_both_readers(
    demo_config: Path, monkeypatch
) -> None:
    path = demo_config.parent / "population.csv"
    if not path.is_file():
        pytest.skip("the demo writes no long population CSV")
    fast = load_population(path, log=ProblemLog(), vintage=2021)
    monkeypatch.setattr(R, "_arrow_body", lambda *a, **k: None)
    slow = load_population(path, log=ProblemLog(), vintage=2021)
    pd.testing.assert_frame_equal(fast, slow)
