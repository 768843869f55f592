"""Every place's own result rows for a batch run, computed at once and cached.

A place's result table (:func:`hiworkbook.results.place_results`) is mostly its *own rows*: the
PHE method of each indicator applied to the place, its national IMD quintiles, its ethnic groups
and its small areas, one vectorised call per indicator and period. A report makes 24 indicators ×
3 periods of these calls, and at the size of one place most of each call is pandas' fixed cost
(about 40 ms of ~45). The calls are group-wise: each group's value, interval and note depend
only on that group's rows. So a batch run computes them for **every place of the run in one call
per indicator and period** (:func:`own_rows`: the same rows, in the same order, with the same
numbers as the place's own call; tests/test_level_results.py) before any report runs, on its
worker processes, and writes each place's rows beside the disclosure plans (:func:`prepare`).
Each report's :func:`~hiworkbook.results.place_results` then reads its own file
(:func:`stored`) instead of computing them, and does the rest as always: comparators,
significance, SII, disclosure control.

The places' **parents** (an LTLA's ICB, a ward's LTLA: comparators made of small areas) are
computed the same way, all of them in one call per indicator and period
(:func:`comparator_rows`), and read by :func:`stored_comparator`. Each kernel would otherwise
compute every ICB's rows again when its first place of that ICB came up.

The files are keyed like the cached workspace (the config, every input file and the package's
code), the period and the confidence levels; a place without a file, or an indicator missing from
it (indirectly standardised ratios, whose reference may be the place itself), is computed as
usual. Nothing here changes a number.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["own_rows", "prepare", "stored"]

_log = logging.getLogger(__name__)


def own_rows(
    ws: Any, places: Sequence[Any], period: str, ind: Any, levels: list[float]
) -> dict[str, pd.DataFrame] | None:
    """The own rows of every place for one indicator and period, from one vectorised call.

    The units of :func:`hiworkbook.results._units` (the place, its quintiles, its ethnic groups,
    its small areas) are built for every place at once — each place's rows in table order, as
    its own call reads them — and :func:`hiworkbook.results._calculate` is called once. Its
    output is sorted by group, so each place's rows, taken in that order, are the rows and the
    order of the place's own call; each group's sums run over the same rows in the same order,
    so the numbers are the same to the last bit.

    Parameters
    ----------
    ws : Workspace
    places : sequence of Place
    period : str
    ind : Indicator
    levels : list of float
        Confidence levels (:func:`hiworkbook.results._levels`).

    Returns
    -------
    dict or None
        ``{place code: rows}``; None for an indirectly standardised ratio (its reference
        counts may be the place's own, so it is computed per place).
    """
    from hiworkbook import results as R

    if ind.measure == "isratio" or not places:
        return None
    area_col = ws.area_col
    # every place's small areas, quintiles and names, one place after another
    sizes = [len(p.areas) for p in places]
    m_place = np.repeat(np.arange(len(places)), sizes)
    m_area = np.concatenate([p.areas[area_col].to_numpy(dtype=object) for p in places])
    m_quint = np.concatenate(
        [p.areas["imd_quintile"].to_numpy(dtype=float, na_value=np.nan) for p in places]
    )
    m_name = np.concatenate(
        [p.areas["area_name"].to_numpy(dtype=object) for p in places]
    )
    areas = pd.Index(pd.unique(m_area))  # the run's small areas, each once
    m_id = areas.get_indexer(m_area)
    c = R.counts_filled(ws, period, ind, areas.to_numpy())
    keep = [k for k in ("sex", "age_band", "numerator", "denominator") if k in c]
    row_id = areas.get_indexer(c[area_col])
    if "ethnic_group" in c:
        is_all = (c["ethnic_group"] == "all").to_numpy(dtype=bool, na_value=False)
    else:
        is_all = np.ones(len(c), dtype=bool)
    tpos = np.flatnonzero(is_all)  # the total rows (not split by ethnic group)
    id_lists = [m_id[m_place == k] for k in range(len(places))]

    # each unit block: rows of ``c`` and, per key column, (labels, index into the labels)
    blocks: list[tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]] = []
    codes = np.array([str(p.code) for p in places], dtype=object)
    names = np.array([str(p.name) for p in places], dtype=object)

    def of_place(owner: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return {"area_code": (codes, owner), "area_name": (names, owner)}

    def label(text: str, n: int) -> tuple[np.ndarray, np.ndarray]:
        return np.array([text], dtype=object), np.zeros(n, dtype=np.intp)

    tsel, towner = _owned(row_id[tpos], len(areas), id_lists)
    trows = tpos[tsel]
    blocks.append(
        (
            trows,
            {
                "breakdown": label("area", len(trows)),
                "category": label("All", len(trows)),
                **of_place(towner),
            },
        )
    )
    # each place's quintile of each of its small areas (the first, if listed twice)
    key = m_place.astype(np.int64) * len(areas) + m_id
    ukey, first = np.unique(key, return_index=True)
    at = np.searchsorted(ukey, towner.astype(np.int64) * len(areas) + row_id[trows])
    q = m_quint[first][at]
    has_q = ~np.isnan(q)
    labels = pd.Series(R.QUINTILE_LABELS)
    qi = labels.index.get_indexer(q[has_q].astype(int))  # -1: no label, left out
    labels = labels.to_numpy(dtype=object)
    blocks.append(
        (
            trows[has_q],
            {
                "breakdown": label("imd_quintile", int(has_q.sum())),
                "category": (labels, qi),
                **of_place(towner[has_q]),
            },
        )
    )
    if "ethnic_group" in ind.breakdowns and "ethnic_group" in c:
        epos = np.flatnonzero(~is_all)
        if len(epos):
            esel, eowner = _owned(row_id[epos], len(areas), id_lists)
            erows = epos[esel]
            ei, egroups = pd.factorize(c["ethnic_group"].to_numpy(dtype=object)[erows])
            blocks.append(
                (
                    erows,
                    {
                        "breakdown": label("ethnic_group", len(erows)),
                        "category": (np.asarray(egroups, dtype=object), ei),
                        **of_place(eowner),
                    },
                )
            )
    # every small area's own rows, in table order
    _, first_in = np.unique(m_id, return_index=True)  # each area's first listing
    small = row_id[tpos]
    blocks.append(
        (
            tpos,
            {
                "breakdown": label("small_area", len(tpos)),
                "category": (areas.to_numpy(dtype=object), small),
                "area_code": (areas.to_numpy(dtype=object), small),
                "area_name": (m_name[first_in], small),
            },
        )
    )
    rows = np.concatenate([b[0] for b in blocks])
    data = c[keep].take(rows).reset_index(drop=True)
    # the group keys as categoricals with sorted categories, built from each block's labels:
    # the PHE methods' groupbys then work on codes (text keys over millions of rows were most
    # of this call), in the same group order; the keys are text again in the result
    for col in R._GROUPS:
        data[col] = R._key_categorical([b[1][col] for b in blocks])
    res = R._keys_as_text(R._calculate(data, ind, levels, None))
    # split: a place's own, quintile and ethnic-group rows carry its code; its small areas theirs
    lists = [[str(p.code), *p.areas[area_col].astype(str)] for p in places]
    out: dict[str, pd.DataFrame] = {}
    for p, pos in zip(places, _positions(res["area_code"], lists), strict=True):
        out[str(p.code)] = res.take(pos).reset_index(drop=True)
    return out


def _owned(
    ids: np.ndarray, n: int, id_lists: Sequence[np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """For rows with small-area numbers ``ids`` (0 … n-1), each list's rows (those of its
    areas, in row order), one list after another: the positions and the number of the list
    each was taken for."""
    from hiworkbook.workspace import _ranges

    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(n + 1))
    pos, owner = [], []
    for k, wanted in enumerate(id_lists):
        a = pd.unique(wanted)
        a = a[(a >= 0) & (a < n)]
        p_ = np.sort(_ranges(order, bounds[a], bounds[a + 1]))
        pos.append(p_)
        owner.append(np.full(len(p_), k, dtype=np.intp))
    if not pos:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    return np.concatenate(pos), np.concatenate(owner)


def _positions(keys: pd.Series, key_lists: Sequence[Iterable[str]]) -> list[np.ndarray]:
    """For each list, the positions of the rows whose key is in it, in table order."""
    from hiworkbook.workspace import _ranges

    ids, index = pd.factorize(keys)
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(len(index) + 1))
    out = []
    for wanted in key_lists:
        a = index.get_indexer(pd.Index(list(wanted)).unique())
        a = a[a >= 0]
        out.append(np.sort(_ranges(order, bounds[a], bounds[a + 1])))
    return out


def comparator_rows(
    ws: Any, comps: Sequence[Any], period: str, ind: Any, levels: list[float]
) -> dict[tuple, pd.DataFrame] | None:
    """The rows of every comparator made of small areas (a place's parent: its ICB, its region)
    for one indicator and period, from one vectorised call.

    Each comparator's rows are those :func:`hiworkbook.results._indicator_result` computes for it
    (:func:`hiworkbook.results._comparator_units` of its areas' counts, then one
    :func:`~hiworkbook.results._calculate`), with the same numbers to the last bit: each
    comparator's count rows are taken in table order, as its own call reads them, and each
    group's sums run over the same rows in the same order.

    Parameters
    ----------
    ws : Workspace
    comps : sequence of Comparator
        Aggregate comparators with ``area_codes``.
    period : str
    ind : Indicator
    levels : list of float

    Returns
    -------
    dict or None
        ``{comparator key: rows}`` (:func:`comparator_key`) for each comparator with counts;
        None for an indirectly standardised ratio (its reference depends on the report).
    """
    from hiworkbook import results as R

    # one comparator per code and name (the group key of its rows); a name shared by two
    # comparators of different areas is left to each report
    same: dict[tuple[str, str], list[Any]] = {}
    for comp in comps:
        if comp.kind == "aggregate" and comp.area_codes:
            same.setdefault((str(comp.code), str(comp.name)), []).append(comp)
    comps = [v[0] for v in same.values() if len({comparator_key(x) for x in v}) == 1]
    if ind.measure == "isratio" or not comps:
        return None
    area_col = ws.area_col
    areas = pd.Index(
        pd.unique(
            np.concatenate([np.asarray(c.area_codes, dtype=object) for c in comps])
        )
    )
    c = R.counts_filled(ws, period, ind, areas.to_numpy())
    if "ethnic_group" in c:
        c = c[(c["ethnic_group"] == "all").to_numpy(dtype=bool, na_value=False)]
    pos, owner = _owned(
        areas.get_indexer(c[area_col]),
        len(areas),
        [areas.get_indexer(pd.Index(comp.area_codes)) for comp in comps],
    )
    if not len(pos):
        return {}
    keep = [k for k in ("sex", "age_band", "numerator", "denominator") if k in c]
    units = c[keep].take(pos).reset_index(drop=True)
    comp_codes = np.array([str(comp.code) for comp in comps], dtype=object)
    comp_names = np.array([str(comp.name) for comp in comps], dtype=object)
    # the keys as categoricals (as own_rows), text again in the result
    units["breakdown"] = R._key_categorical(
        [(np.array(["comparator"], dtype=object), np.zeros(len(pos), dtype=np.intp))]
    )
    units["category"] = R._key_categorical([(comp_names, owner)])
    units["area_code"] = R._key_categorical([(comp_codes, owner)])
    units["area_name"] = R._key_categorical([(comp_names, owner)])
    units = units[[*R._GROUPS, *keep]]
    res = R._keys_as_text(R._calculate(units, ind, levels, None))
    out: dict[tuple, pd.DataFrame] = {}
    for comp in comps:
        mine = (res["area_code"] == str(comp.code)) & (
            res["area_name"] == str(comp.name)
        )
        if mine.any():
            out[comparator_key(comp)] = res[mine.to_numpy()].reset_index(drop=True)
    return out


def comparator_key(comp: Any) -> tuple:
    """What makes a comparator's rows: its code, its name and its small areas."""
    return (str(comp.code), str(comp.name), tuple(comp.area_codes))


# ---------------------------------------------------------------------------- the cache


def _folder(ws: Any, period: str, levels: Sequence[float]) -> Path | None:
    """Where the places' rows of one period and set of levels are cached: beside the
    validated workspace and its disclosure plans, under the same key (None for a workspace
    not read from unchanged inputs: nothing is cached for it)."""
    key = getattr(ws, "source_key", None)
    if key is None:
        return None
    from hiworkbook.workspace import _cache_dir, _config_tag

    cfg = ws.config
    extra = hashlib.sha256(
        repr((str(period), [round(float(x), 10) for x in levels])).encode()
    ).hexdigest()[:10]
    return _cache_dir(cfg) / f"rows-{_config_tag(cfg)}-{key}-{extra}"


def stored(
    place: Any, ind: Any, period: str, levels: Sequence[float]
) -> pd.DataFrame | None:
    """The place's own rows of one indicator and period as :func:`prepare` cached them, or
    None (not prepared, or prepared for another definition of the indicator: the caller
    computes them). A place's file is read once per process."""
    ws = place.workspace
    folder = _folder(ws, period, levels)
    if folder is None:
        return None
    return _hit(folder / f"{place.code}.pickle", ind)


def _hit(path: Path, ind: Any) -> pd.DataFrame | None:
    """The rows of ``ind`` in a cached file, if they were made with this very definition."""
    rows = _READ.get(path)
    if rows is None:
        try:
            with path.open("rb") as fh:
                rows = pickle.load(fh)
        except FileNotFoundError:  # not prepared (not remembered: a run may prepare it)
            return None
        except Exception:  # a stale or partial file is ignored, never fatal
            _log.info("ignoring unreadable cached rows %s", path)
            rows = {}
        _READ[path] = rows
        while len(_READ) > 16:  # a report reads its three periods' files; keep a few
            _READ.pop(next(iter(_READ)))
    hit = rows.get(ind.id)
    if hit is None or hit[0] != ind:  # computed with this very definition only
        return None
    return hit[1]


def stored_comparator(
    ws: Any, comp: Any, ind: Any, period: str, levels: Sequence[float]
) -> pd.DataFrame | None:
    """A comparator's rows of one indicator and period as :func:`prepare` cached them
    (:func:`comparator_rows`), or None: the caller computes them."""
    folder = _folder(ws, period, levels)
    if folder is None:
        return None
    return _hit(_comparator_path(folder, comp), ind)


def _comparator_path(folder: Path, comp: Any) -> Path:
    digest = hashlib.sha256(repr(comparator_key(comp)).encode()).hexdigest()[:16]
    return folder / f"comparator-{digest}.pickle"


#: The files :func:`stored` and :func:`stored_comparator` read last, by path.
_READ: dict[Path, dict[str, tuple[Any, pd.DataFrame]]] = {}


def prepare(
    ws: Any,
    codes: Iterable[str],
    *,
    periods: Iterable[str] | None = None,
    confidence: float = 0.95,
    workers: int = 1,
) -> None:
    """Compute and cache the own rows of every place in ``codes`` for every period, unless
    cached already: one vectorised call per indicator, period and part of the places
    (:func:`own_rows`). With ``workers`` > 1 the places are split into ``workers`` parts, each
    run on its own local process (the batch's own pool) for every missing period.

    Parameters
    ----------
    ws : Workspace
        Read from unchanged inputs (:meth:`Workspace.from_config`); otherwise nothing is done.
    codes : iterable of str
        The run's places.
    periods : iterable of str, optional
        Default every period of the workspace.
    confidence : float, default 0.95
        The reports' confidence level (the notebooks' ``confidence`` parameter).
    workers : int, default 1
    """
    from hiworkbook import results as R

    if getattr(ws, "source_key", None) is None:
        return
    codes = sorted(dict.fromkeys(str(c) for c in codes))
    levels = R._levels(confidence)
    todo = []
    for p in [str(x) for x in (periods or ws.periods)]:
        folder = _folder(ws, p, levels)
        if folder is None:
            return
        if any(not (folder / f"{c}.pickle").is_file() for c in codes):
            todo.append(p)
    if not todo:
        return
    t = time.perf_counter()
    # the places in ``workers`` parts (a part's cost follows its places), each part doing every
    # missing period: two workers stay equally busy, and each builds its places once
    parts = max(1, min(workers, len(codes)))
    chunks = [list(c) for c in np.array_split(np.array(codes, dtype=object), parts)]
    args = [(str(ws.config.path), todo, chunk, confidence) for chunk in chunks]
    if workers > 1 and len(args) > 1:
        from hiworkbook.executors import LocalPool

        def failed(task: tuple, exc: BaseException) -> None:
            _log.warning("rows not prepared on a worker (%s)", exc)

        with LocalPool(min(workers, len(args))) as pool:
            for _ in pool.map_unordered(_prepare_in_worker, args, on_error=failed):
                pass
    else:
        _write(ws, todo, codes, confidence)
    _log.info(
        "rows of %d places for %s computed in %.0f s",
        len(codes),
        ", ".join(todo),
        time.perf_counter() - t,
    )


def _prepare_in_worker(args: tuple[str, list[str], list[str], float]) -> int:
    from hiworkbook.workspace import Workspace

    config, periods, codes, confidence = args
    _write(Workspace.from_config(config), periods, codes, confidence)
    return len(codes)


def _write(ws: Any, periods: list[str], codes: list[str], confidence: float) -> None:
    """Compute the rows of every place for each period and write one file per place and
    period, atomically. The places are built once: their small areas, quintiles and parents
    are the same in every period (their populations, which differ, are not read here)."""
    places = [ws.place(c) for c in codes]
    for period in periods:
        _write_period(ws, period, places, confidence)


def _write_period(ws: Any, period: str, places: list[Any], confidence: float) -> None:
    """One period's rows of every place, one file per place (and per parent)."""
    from hiworkbook import results as R

    levels = R._levels(confidence)
    folder = _folder(ws, period, levels)
    if folder is None:
        return
    # each place's {indicator id: (its definition, its rows)}
    files: dict[Path, dict[str, tuple[Any, pd.DataFrame]]] = {
        folder / f"{p.code}.pickle": {} for p in places
    }
    # the places' parents (ICB, region): each computed once here, not once per kernel
    parents = {
        comparator_key(c): c for p in places for c in p.comparators if c.area_codes
    }
    for ind_id in ws.indicators_with_counts(period):
        ind = ws.indicators.get(ind_id)
        if ind is None:
            continue
        rows = own_rows(ws, places, period, ind, levels)
        for code, frame in (rows or {}).items():
            files[folder / f"{code}.pickle"][ind_id] = (ind, frame)
        comp_rows = comparator_rows(ws, list(parents.values()), period, ind, levels)
        for key, frame in (comp_rows or {}).items():
            path = _comparator_path(folder, parents[key])
            files.setdefault(path, {})[ind_id] = (ind, frame)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path, rows in files.items():
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(rows, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
    except (
        OSError
    ) as exc:  # an unwritable cache folder is fine: reports compute their rows
        _log.info("places' rows not cached (%s)", exc)
