"""Disclosure control, applied once to the result table so every view of it agrees.

Three policies, chosen in ``workbook.toml`` (see :class:`DisclosurePolicy`)::

    [disclosure]
    policy = "suppress"        # "suppress" | "round" | "suppress_and_round"
    min_count = 5              # suppress counts from 1 to min_count - 1 (0 = never suppress)
    rounding_base = 5          # round counts to the nearest multiple of this

**Suppress** (the default):

1. **Primary suppression.** A row is suppressed when its numerator is between 1 and
   ``min_count - 1``, or — for proportions — when the complement (denominator − numerator) is,
   because then the small group can be read off the complement. Zero counts are shown: a zero
   reveals nothing about an individual that a suppressed cell would protect, and suppressing zeros
   hides real good news.
2. **Secondary suppression.** Rows that add up to a shown total — a place's deprivation
   quintiles, its ethnic groups, its small areas (and the small areas inside each quintile),
   any other breakdown of the place, and females + males = persons — form a *linked set*. A linked
   set with exactly one suppressed row would give it away by subtraction, so the smallest other
   non-zero row of the set is suppressed too, repeatedly until no set has exactly one. The result
   is then audited by linear algebra (:func:`recoverable`): no suppressed count may be determined
   by the shown totals, however the sets are combined; if one is, another row is suppressed.
3. Comparator rows (national or regional totals) are never suppressed.

**Round**: every count (numerators, and denominators that are counts) is rounded to the nearest
``rounding_base`` (halves upwards: with base 5, 1–2 → 0, 3–7 → 5). Values and confidence intervals
are computed from the *unrounded* counts, as ONS does for Census tables, and each rounded row says
so in ``value_note`` and ``is_rounded``. Rounded rows need not add up to the rounded total.
Published comparator values (a Fingertips export) are shown as published.

**Suppress and round**: suppression first (on the exact counts), then rounding of what is shown.

A suppressed row keeps its labels but loses its numerator, denominator, value and CI; its
``value_note`` says why and ``comparison`` becomes ``"not compared"``.

The approach follows common UK practice for published health tables — small cells suppressed
and, where a shown total would let them be recovered by subtraction, a second cell suppressed
too; or counts rounded to a base of 5 — as in NHS Digital's Hospital Episode Statistics
disclosure control, the ONS Census 2021 statistical disclosure control methodology and the
Government Statistical Service guidance on statistical disclosure control for tables.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

_log = logging.getLogger(__name__)

__all__ = [
    "DisclosurePolicy",
    "POLICIES",
    "apply",
    "suppress",
    "round_counts",
    "linked_sets",
    "recoverable",
    "SUPPRESSED_NOTE",
    "run_plan",
    "prepare",
    "planned",
    "row_cells",
    "recoverable_across",
    "SECONDARY_NOTE",
    "ROUNDED_NOTE",
    "SMALL_ROUNDED_NOTE",
]

POLICIES = ("suppress", "round", "suppress_and_round")
SUPPRESSED_NOTE = "Suppressed: fewer than {n} events (disclosure control)"
SECONDARY_NOTE = (
    "Suppressed to protect another suppressed value (secondary suppression)"
)
ROUNDED_NOTE = (
    "Counts rounded to the nearest {base}; value and confidence interval computed from the "
    "unrounded counts"
)
_BLANK = [
    "numerator",
    "denominator",
    "value",
    "lower_ci",
    "upper_ci",
    "lower_ci_998",
    "upper_ci_998",
]
_NOT_LINKED = {"area", "comparator"}


@dataclass(frozen=True)
class DisclosurePolicy:
    """How small numbers are protected in every output.

    Attributes
    ----------
    policy : {"suppress", "round", "suppress_and_round"}, default "suppress"
    min_count : int, default 5
        Counts from 1 to ``min_count - 1`` are suppressed (suppressing policies); 0 = none.
    rounding_base : int, default 5
        Counts are rounded to the nearest multiple of this (rounding policies).
    """

    policy: str = "suppress"
    min_count: int = 5
    rounding_base: int = 5

    @property
    def suppresses(self) -> bool:
        """Whether small counts are suppressed."""
        return self.policy in ("suppress", "suppress_and_round") and self.min_count > 0

    @property
    def rounds(self) -> bool:
        """Whether counts are rounded."""
        return self.policy in ("round", "suppress_and_round") and self.rounding_base > 1

    def describe(self) -> str:
        """The policy in one or two plain sentences, for a report's methods footer."""
        parts = []
        if self.suppresses:
            parts.append(
                f"Counts from 1 to {self.min_count - 1} (and proportions whose complement is "
                "that small) are suppressed in every table, chart, map, sentence and data file, "
                "with secondary suppression wherever a shown total would let a suppressed count "
                "be worked out by subtraction. The decision is made once for every report the "
                "workbook can produce (every place of every level, the notebooks' decile and "
                "Core20 tables), so combining reports — an ICB's with its districts', a "
                "district's with its neighbours' — gives no suppressed count away either."
            )
        if self.rounds:
            parts.append(
                f"Counts are rounded to the nearest {self.rounding_base}; values and confidence "
                "intervals are computed from the unrounded counts, so rounded counts need not add "
                "up to the rounded totals"
                + (
                    "."
                    if self.suppresses
                    else f", except that a proportion or rate of fewer than "
                    f"{self.min_count or self.rounding_base} events is computed from the "
                    "rounded counts, so it does not point back to the true count."
                )
            )
        if not parts:
            parts.append(
                "No disclosure control was applied (disclosure.min_count = 0)."
            )
        return " ".join(parts)

    @classmethod
    def from_config(
        cls, raw: Mapping[str, Any], log: Any = None, file: str | None = None
    ) -> DisclosurePolicy:
        """Read the ``[disclosure]`` table of a workbook config, recording bad values in ``log``
        (a :class:`~hiworkbook.validate.ProblemLog`) and using the defaults in their place."""
        from hiworkbook.validate import did_you_mean

        def problem(msg: str, fix: str) -> None:
            if log is not None:
                log.error(msg, file=file, fix=fix)
            else:
                raise ValueError(f"{msg} {fix}")

        known = ("policy", "min_count", "rounding_base")
        for key in raw:
            if key not in known:
                problem(
                    f"[disclosure] has an unknown key '{key}'{did_you_mean(key, known)}.",
                    f"Keys are: {', '.join(known)}.",
                )
        policy = raw.get("policy", "suppress")
        if policy not in POLICIES:
            problem(
                f"disclosure.policy is {policy!r}{did_you_mean(str(policy), POLICIES)}.",
                'Use "suppress" (counts below min_count hidden), "round" (counts rounded to '
                'the nearest rounding_base) or "suppress_and_round" (both).',
            )
            policy = "suppress"
        min_count = raw.get("min_count", 5)
        if (
            isinstance(min_count, bool)
            or not isinstance(min_count, int)
            or min_count < 0
        ):
            problem(
                f"disclosure.min_count is {min_count!r}; it must be a whole number ≥ 0.",
                "Use your organisation's threshold, commonly 5 or 10.",
            )
            min_count = 5
        base = raw.get("rounding_base", 5)
        if isinstance(base, bool) or not isinstance(base, int) or base < 1:
            problem(
                f"disclosure.rounding_base is {base!r}; it must be a whole number ≥ 1.",
                "Use your organisation's rounding base, commonly 5 (or 10).",
            )
            base = 5
        return cls(
            policy=str(policy), min_count=int(min_count), rounding_base=int(base)
        )


def apply(
    table: pd.DataFrame,
    policy: DisclosurePolicy | None = None,
    *,
    nesting: Mapping[str, Mapping[str, str]] | None = None,
    place: Any = None,
) -> pd.DataFrame:
    """Apply a disclosure policy to a result table, once.

    Parameters
    ----------
    table : pandas.DataFrame
        A result table (see :data:`hiworkbook.results.RESULT_COLUMNS`).
    policy : DisclosurePolicy, optional
        Default: suppress counts below 5.
    nesting : mapping, optional
        For breakdowns whose categories are groups of small areas (``"imd_quintile"`` …): the
        category of each small-area code, so the small areas inside each category are a linked
        set too (:func:`linked_sets`).

    Returns
    -------
    pandas.DataFrame
        A copy with ``is_suppressed`` and ``is_rounded`` set, suppressed rows blanked, counts
        rounded, and ``value_note`` saying what was done.
    """
    policy = policy or DisclosurePolicy()
    forced = None
    if place is not None and policy.suppresses and place.workspace is not None:
        if place.workspace.config.disclosure == policy:
            forced = planned(table, place)
    t = suppress(
        table,
        policy.min_count if policy.suppresses else 0,
        nesting=nesting,
        forced=forced,
    )
    if policy.rounds:
        t = round_counts(t, policy.rounding_base, small_below=policy.min_count or None)
    elif "is_rounded" not in t:
        t["is_rounded"] = False
    return t


def _block_keys(t: pd.DataFrame) -> list[str]:
    return [c for c in ("indicator_id", "period") if c in t]


def _group_positions(t: pd.DataFrame, keys: list[str]) -> list[np.ndarray]:
    """The row positions of each group of ``t`` by ``keys``, as
    ``t.groupby(keys, dropna=False, sort=False).indices.values()``: groups in order of first
    appearance, a missing key a value of its own, positions ascending. Built from the keys'
    codes (pandas' ``indices`` tests every group's key for missing values in Python)."""
    from hiworkbook.results import _key_ids

    ids = _key_ids(t, keys)
    if not len(ids):
        return []
    order = np.argsort(ids, kind="stable")
    bounds = np.searchsorted(ids[order], np.arange(int(ids.max()) + 2))
    return [order[bounds[g] : bounds[g + 1]] for g in range(len(bounds) - 1)]


def _linked_positions(
    t: pd.DataFrame, nesting: Mapping[str, Mapping[str, str]] | None = None
) -> list[list[int]]:
    """:func:`linked_sets` by row position (the total first)."""
    out: list[list[int]] = []
    if t.empty or "breakdown" not in t:
        return out
    n = len(t)
    bd = t["breakdown"].astype(str).to_numpy()
    sex = (
        t["sex"].astype(str).to_numpy() if "sex" in t else np.full(n, "persons", object)
    )
    cat = t["category"].astype(str).to_numpy() if "category" in t else None
    code_col = (
        "area_code" if "area_code" in t else ("category" if cat is not None else None)
    )
    groups = {
        b: t[code_col].astype(str).map(dict(m)).to_numpy() if code_col else None
        for b, m in (nesting or {}).items()
    }
    keys = [*_block_keys(t), "sex"] if "sex" in t else _block_keys(t)
    parts = _group_positions(t, keys) if keys else [np.arange(n)]
    for pos in parts:
        pb = bd[pos]
        total = pos[pb == "area"]
        if len(total) != 1:
            continue
        for b in pd.unique(pb):
            if b not in _NOT_LINKED:
                out.append([int(total[0]), *pos[pb == b].tolist()])
        small = pos[pb == "small_area"]
        for b, grp in groups.items():
            if grp is None or cat is None:
                continue
            for p in pos[pb == b]:
                members = small[grp[small] == cat[p]]
                if len(members):
                    out.append([int(p), *members.tolist()])
    # females + males = persons, in each breakdown and category
    if cat is not None and {"female", "male", "persons"} <= set(sex):
        keys = [*_block_keys(t), "breakdown", "category"]
        for pos in _group_positions(t, keys):
            ps = sex[pos]
            if {"female", "male", "persons"} <= set(ps):
                out.append(
                    [int(pos[ps == s_][0]) for s_ in ("persons", "female", "male")]
                )
    return out


def linked_sets(
    table: pd.DataFrame, nesting: Mapping[str, Mapping[str, str]] | None = None
) -> list[list[Any]]:
    """Sets of rows of a result table whose counts add up: the first index of each set is the
    total, the others its parts.

    Within each indicator, period and sex: every breakdown other than ``"area"`` and
    ``"comparator"`` (quintiles, ethnic groups, small areas, and any breakdown added later) is
    taken to split the place's ``"area"`` row — conservatively, since a breakdown that does not
    cover everyone only makes recovery harder; for each nested breakdown (``nesting``), the small
    areas inside each category split that category's row; and, within each breakdown and
    category, ``"female"`` + ``"male"`` split ``"persons"``.

    Parameters
    ----------
    table : pandas.DataFrame
    nesting : mapping, optional
        ``{breakdown: {small-area code: category}}``.

    Returns
    -------
    list of list
        Index labels of ``table``.
    """
    idx = table.index
    return [[idx[i] for i in s] for s in _linked_positions(table, nesting)]


def _recoverable_positions(
    hidden: np.ndarray, sets: list[list[int | None]]
) -> list[int]:
    eqs = [[i for i in s if i is not None and hidden[i]] for s in sets]
    sign = [
        {i: (1.0 if k == 0 else -1.0) for k, i in enumerate(s) if i is not None}
        for s in sets
    ]
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for e in eqs:
        for i in e[1:]:
            parent[find(i)] = find(e[0])
    comps: dict[int, list[int]] = {}
    for k, e in enumerate(eqs):
        if e:
            comps.setdefault(find(e[0]), []).append(k)
    found: list[int] = []
    for ks in comps.values():
        var = sorted({i for k in ks for i in eqs[k]})
        col = {v: j for j, v in enumerate(var)}
        a = np.zeros((len(ks), len(var)))
        for r, k in enumerate(ks):
            for i in eqs[k]:
                a[r, col[i]] = sign[k][i]
        _, sv, vt = np.linalg.svd(a, full_matrices=False)
        basis = vt[sv > 1e-9]
        weight = (basis**2).sum(axis=0) if len(basis) else np.zeros(len(var))
        found += [v for v, w in zip(var, weight, strict=True) if w > 1 - 1e-9]
    return found


def recoverable(
    table: pd.DataFrame,
    suppressed: pd.Series | np.ndarray,
    sets: list[list[Any]] | None = None,
    *,
    nesting: Mapping[str, Mapping[str, str]] | None = None,
) -> list[Any]:
    """Suppressed rows whose count is determined by the shown rows of the linked sets.

    Each linked set says ``total − Σ parts = 0``; with the shown counts known, it is a linear
    equation in the suppressed ones. A suppressed count is determined exactly when its unit
    vector lies in the row space of those equations (checked with a singular value
    decomposition, for each group of suppressed rows that share equations).

    Parameters
    ----------
    table : pandas.DataFrame
    suppressed : pandas.Series or numpy.ndarray of bool
        Aligned with ``table``.
    sets : list of list, optional
        Index labels, from :func:`linked_sets`; default ``linked_sets(table, nesting)``.
    nesting : mapping, optional
        See :func:`linked_sets`.

    Returns
    -------
    list
        Index labels of suppressed rows an attacker could work out by subtraction.
    """
    if sets is None:
        pos_sets: list[list[int | None]] = list(_linked_positions(table, nesting))
    else:
        where = {label: k for k, label in enumerate(table.index)}
        pos_sets = [[where[i] for i in s] for s in sets]
    hidden = np.asarray(suppressed, dtype=bool)
    return [table.index[i] for i in _recoverable_positions(hidden, pos_sets)]


def suppress(
    table: pd.DataFrame,
    min_count: int = 5,
    *,
    nesting: Mapping[str, Mapping[str, str]] | None = None,
    forced: tuple[np.ndarray, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Apply primary and secondary small-number suppression to a result table.

    Parameters
    ----------
    table : pandas.DataFrame
        A result table (see :data:`hiworkbook.results.RESULT_COLUMNS`); needs ``numerator``,
        ``denominator``, ``measure`` and ``breakdown``.
    min_count : int, default 5
        Smallest count that may be published. ``0`` switches suppression off.
    nesting : mapping, optional
        ``{breakdown: {small-area code: category}}`` (see :func:`linked_sets`).
    forced : (array of bool, array of bool), optional
        Rows already decided by the run's plan (:func:`planned`): suppressed, and of those the
        primary ones. The table's own linked sets are still checked after them.

    Returns
    -------
    pandas.DataFrame
        A copy with ``is_suppressed`` set and suppressed rows blanked.

    Examples
    --------
    A small area of 3 events beside one of 37 in a place of 40: the second is suppressed too, or
    40 − 37 would give the first away.

    >>> t = pd.DataFrame({"breakdown": ["area", "small_area", "small_area"],
    ...                   "category": ["All", "a", "b"], "measure": ["proportion"] * 3,
    ...                   "numerator": [40, 3, 37], "denominator": [200, 100, 100]})
    >>> suppress(t, 5)["is_suppressed"].tolist()
    [False, True, True]
    """
    t = table.copy()
    if t.empty:
        t["is_suppressed"] = pd.Series(dtype=bool)
        return t
    num = pd.to_numeric(t["numerator"], errors="coerce")
    den = pd.to_numeric(t["denominator"], errors="coerce")
    protectable = t["breakdown"] != "comparator"
    small = (num >= 1) & (num < min_count)
    comp = den - num
    small_complement = (t["measure"] == "proportion") & (comp >= 1) & (comp < min_count)
    primary = (protectable & (small | small_complement) & (min_count > 0)).to_numpy()
    if forced is not None:
        primary = primary | forced[1]

    hidden = primary.copy()
    if forced is not None:
        hidden |= forced[0]
    if hidden.any():
        sets = _protectable_sets(t, nesting, protectable.to_numpy())
        counts = num.to_numpy(dtype=float)
        for _ in range(len(t)):  # each pass suppresses at least one more row, or stops
            changed = _protect_sets(sets, hidden, counts)
            if not changed:
                exposed = _recoverable_positions(hidden, sets)
                if not exposed:
                    break
                changed = _protect_exposed(exposed, sets, hidden, counts)
            if not changed:
                break
    secondary = hidden & ~primary

    t["is_suppressed"] = hidden
    # each column blanked as an array and assigned once (a .loc assignment per column was
    # most of this function's time on a report's table)
    for col in _BLANK:
        if col in t:
            arr = t[col].to_numpy(dtype=float, na_value=np.nan, copy=True)
            arr[hidden] = np.nan
            t[col] = arr
    notes = (
        t["value_note"].to_numpy(dtype=object, copy=True)
        if "value_note" in t
        else np.full(len(t), "", dtype=object)
    )
    notes[primary] = SUPPRESSED_NOTE.format(n=min_count)
    notes[secondary] = SECONDARY_NOTE
    t["value_note"] = pd.Series(notes, index=t.index, dtype=object)
    for col in ("comparison", "comparison_998"):
        if col in t and hidden.any():
            words = t[col].to_numpy(dtype=object, copy=True)
            words[hidden] = "not compared"
            t[col] = pd.array(words, dtype=t[col].dtype)
    return t


def _protectable_sets(
    t: pd.DataFrame,
    nesting: Mapping[str, Mapping[str, str]] | None,
    protectable: np.ndarray,
) -> list[list[int | None]]:
    """Linked sets by position; rows of a breakdown with no ``"area"`` total in the table (a
    bare breakdown) are linked among themselves (first element ``None``: the total is shown
    elsewhere)."""
    sets: list[list[int | None]] = list(_linked_positions(t, nesting))
    in_sets = {i for s in sets for i in s}
    keys = [*_block_keys(t), *(["sex"] if "sex" in t else []), "breakdown"]
    bd = t["breakdown"].astype(str).to_numpy()
    for pos in _group_positions(t, keys):
        if bd[pos[0]] in _NOT_LINKED:
            continue
        free = [int(i) for i in pos if protectable[i] and int(i) not in in_sets]
        if len(free) > 1:
            sets.append([None, *free])
    # the smallest sets first: protecting a cell inside its quintile also protects it in the
    # place's total, so fewer cells are suppressed than working from the largest sets
    return sorted(sets, key=len)


def _pick(
    candidates: list[int | None], hidden: np.ndarray, num: np.ndarray
) -> int | None:
    """The row to suppress next among ``candidates``: the smallest non-zero shown count
    (least information lost), else any shown row."""
    shown = [i for i in candidates if i is not None and not hidden[i]]
    if not shown:
        return None
    nonzero = [i for i in shown if num[i] > 0]
    if nonzero:
        return min(nonzero, key=lambda i: num[i])
    return shown[0]


def _next(s: list[int | None], hidden: np.ndarray, num: np.ndarray) -> int | None:
    pick = _pick(s[1:], hidden, num)
    return pick if pick is not None else _pick(s[:1], hidden, num)


def _protect_sets(
    sets: list[list[int | None]], hidden: np.ndarray, num: np.ndarray
) -> bool:
    changed = False
    for s in sets:
        if sum(bool(hidden[i]) for i in s if i is not None) == 1:
            pick = _next(s, hidden, num)
            if pick is not None:
                hidden[pick] = True
                changed = True
    return changed


def _protect_exposed(
    exposed: list[int],
    sets: list[list[int | None]],
    hidden: np.ndarray,
    num: np.ndarray,
) -> bool:
    for i in exposed:
        for s in sets:
            if i in s:
                pick = _next(s, hidden, num)
                if pick is not None:
                    hidden[pick] = True
                    return True
    return False


def round_counts(
    table: pd.DataFrame, base: int = 5, small_below: int | None = None
) -> pd.DataFrame:
    """Round a result table's counts to the nearest ``base`` (halves upwards), leaving values and
    confidence intervals as computed from the unrounded counts — except where the unrounded
    count is small (see ``small_below``).

    Numerators are rounded in every row; denominators where they are counts (not the expected
    events of an indirectly standardised ratio). Published comparator values and suppressed
    (blank) rows are left as they are.

    Parameters
    ----------
    table : pandas.DataFrame
    base : int, default 5
    small_below : int, optional
        A proportion, crude rate or indirectly standardised ratio whose unrounded count (or,
        for a proportion, complement) is from 1 to ``small_below − 1`` (default ``base − 1``)
        has its value and confidence interval recomputed from the *rounded* counts, as NHS
        Digital's disclosure control for Hospital Episode Statistics computes percentages from
        rounded numerators and denominators: otherwise the value beside the rounded
        denominator would give the small count back (2 of 1,000 shown as "0 of 1,000,
        0.2%"). Directly standardised rates (not calculated below 10 events) and life
        expectancy (not a count over a denominator) are left as computed.

    Returns
    -------
    pandas.DataFrame
        A copy with ``is_rounded`` set and ``value_note`` saying so.

    Examples
    --------
    >>> t = pd.DataFrame({"breakdown": ["area"] * 3, "measure": ["rate"] * 3,
    ...                   "numerator": [2, 3, 12], "denominator": [1000, 1001, 1002]})
    >>> round_counts(t, 5)[["numerator", "denominator"]].values.tolist()
    [[0.0, 1000.0], [5.0, 1000.0], [10.0, 1000.0]]
    """
    t = table.copy()
    published = (
        t["method"].astype(str) == "published value"
        if "method" in t
        else pd.Series(False, index=t.index)
    )

    def rnd(col: pd.Series) -> pd.Series:
        x = pd.to_numeric(col, errors="coerce").astype(float)
        return np.floor(x / base + 0.5) * base

    num = pd.to_numeric(t["numerator"], errors="coerce")
    den_orig = (
        pd.to_numeric(t["denominator"], errors="coerce")
        if "denominator" in t
        else pd.Series(np.nan, index=t.index)
    )
    target = ~published & num.notna()
    t["numerator"] = pd.to_numeric(t["numerator"], errors="coerce").astype(float)
    t.loc[target, "numerator"] = rnd(t.loc[target, "numerator"])
    if "denominator" in t:
        den_is_count = (
            t["measure"] != "isratio"
            if "measure" in t
            else pd.Series(True, index=t.index)
        )
        dtarget = target & den_is_count
        t["denominator"] = pd.to_numeric(t["denominator"], errors="coerce").astype(
            float
        )
        t.loc[dtarget, "denominator"] = rnd(t.loc[dtarget, "denominator"])
    t["is_rounded"] = target
    t, from_rounded = _small_from_rounded(t, num, den_orig, target, small_below or base)
    note = np.where(
        from_rounded,
        SMALL_ROUNDED_NOTE.format(base=base, n=small_below or base),
        ROUNDED_NOTE.format(base=base),
    )
    if "value_note" not in t:
        t["value_note"] = ""
    old = t["value_note"].fillna("").astype(str)
    t["value_note"] = np.where(
        target, np.where(old != "", old + "; " + note, note), old
    ).astype(object)
    return t


# ====================================================================== across reports
# A run publishes many tables over the same small areas: an ICB's report and each of its
# districts' reports, a district's neighbours in its spine chart, a notebook's decile table. A
# *cell* is a count over a set of small areas (its atoms) within one indicator, period and sex,
# optionally restricted to one ethnic group; the same cell in two reports (a small area in its
# district's and its ICB's report, the ICB's total as its districts' comparator) is one cell, so
# it takes one decision. The cross-report audit is linear algebra over the atoms, so every
# combination of every output (ICB total minus the other districts; an ICB quintile minus its
# districts' quintiles; two deciles against a quintile) is covered.

_ALL = ""
_AREA_BREAKDOWNS = {
    "area",
    "imd_quintile",
    "imd_decile",
    "core20",
    "local_quintile",
    "small_area",
    "peer",
}


def _label_maps(place: Any) -> dict[str, dict[str, str]]:
    """For each breakdown whose categories are groups of small areas: ``{code: category}``
    (a code listed twice takes its last row's category)."""
    from hiworkbook.results import QUINTILE_LABELS

    ws = place.workspace
    a = place.areas
    codes = a[ws.area_col].to_numpy(dtype=object)
    out: dict[str, dict[str, str]] = {}

    def labelled(col: str, labels: Callable[[int], str]) -> dict[str, str]:
        v = a[col].to_numpy(dtype=float, na_value=np.nan)
        ok = ~np.isnan(v)
        return dict(zip(codes[ok], [labels(int(x)) for x in v[ok]], strict=True))

    if "imd_quintile" in a:
        from hiworkbook.breakdowns import CORE20, REST

        out["imd_quintile"] = labelled("imd_quintile", QUINTILE_LABELS.__getitem__)
        out["core20"] = labelled("imd_quintile", lambda v: CORE20 if v == 1 else REST)
    if "imd_decile" in a:
        from hiworkbook.breakdowns import DECILE_LABELS

        out["imd_decile"] = labelled("imd_decile", DECILE_LABELS.__getitem__)
    return out


def _local_quintile_map(place: Any) -> dict[str, str]:
    from hiworkbook.breakdowns import LOCAL_QUINTILE_LABELS, local_quintiles

    return (
        local_quintiles(place).dropna().astype(int).map(LOCAL_QUINTILE_LABELS).to_dict()
    )


def _atom_index(ws: Any) -> dict[str, int]:
    """Each small area's atom number (its row in the workspace's areas), once per workspace
    data (:meth:`~hiworkbook.workspace.Workspace.memo`: every report of a run shares it)."""

    def build() -> dict[str, int]:
        codes = ws.areas[ws.area_col].astype(str).tolist()
        return {c: i for i, c in enumerate(codes)}

    return ws.memo(("disclosure_atoms",), build)


def _place_atoms(ws: Any, code: str) -> np.ndarray | None:
    """Atom indices of a place (any configured level) by its code, else None."""
    idx = _atom_index(ws)
    for lv in ws.config.place_levels:
        col = f"{lv}_code"
        if col in ws.areas:
            m = (ws.areas[col].astype(str) == str(code)).to_numpy()
            if m.any():
                return np.sort(
                    np.fromiter(
                        (idx[c] for c in ws.areas.loc[m, ws.area_col].astype(str)),
                        dtype=np.int64,
                    )
                )
    return None


def row_cells(table: pd.DataFrame, place: Any) -> list[tuple | None]:
    """The cross-report cell of each row of a place's table (None: not a cell of the
    workspace's small areas, e.g. a national comparator from its own counts file).

    A cell is ``(indicator_id, period, sex, dimension, atoms)``: ``dimension`` is ``""`` or
    ``"ethnic_group=<group>"`` and ``atoms`` the sorted small-area indices as bytes, so equal
    keys in two reports are the same count.
    """
    ws = place.workspace
    idx = _atom_index(ws)
    codes = place.areas[ws.area_col].astype(str).tolist()
    own = np.sort(np.fromiter((idx[c] for c in codes), dtype=np.int64))
    maps = _label_maps(place)
    comps = {
        c.code: np.sort(
            np.fromiter((idx[a] for a in c.area_codes if a in idx), dtype=np.int64)
        )
        for c in place.comparators
        if c.kind == "aggregate" and c.area_codes
    }
    groups: dict[tuple[str, str], np.ndarray] = {}
    out: list[tuple | None] = []
    bd = table["breakdown"].astype(str).to_numpy()
    cat = table["category"].astype(str).to_numpy()
    code = table["area_code"].astype(str).to_numpy()
    ind = table["indicator_id"].astype(str).to_numpy()
    per = (
        table["period"].astype(str).to_numpy()
        if "period" in table
        else np.full(len(table), "")
    )
    sex = table["sex"].astype(str).to_numpy()
    peers: dict[str, np.ndarray | None] = {}
    # a table computed another way than the indicator (a DSR's age bands as crude rates over
    # some ages only) counts other things: none of its rows is a workspace cell
    meas = (
        table["measure"].astype(str).to_numpy()
        if "measure" in table
        else np.full(len(table), "")
    )
    for i in range(len(table)):
        b, dim, atoms = bd[i], _ALL, None
        known = ws.indicators.get(ind[i])
        if meas[i] and known is not None and known.measure != meas[i]:
            out.append(None)
            continue
        if b == "area":
            atoms = own
        elif b == "small_area":
            atoms = np.array([idx[code[i]]]) if code[i] in idx else None
        elif b == "ethnic_group":
            atoms, dim = own, f"ethnic_group={cat[i]}"
        elif b == "comparator":
            atoms = comps.get(code[i])
        elif b == "peer":
            if code[i] not in peers:
                peers[code[i]] = _place_atoms(ws, code[i])
            atoms = peers[code[i]]
        elif b in ("imd_quintile", "imd_decile", "core20", "local_quintile"):
            key = (b, cat[i])
            if key not in groups:
                if b == "local_quintile" and b not in maps:
                    maps[b] = _local_quintile_map(place)
                m = maps.get(b, {})
                groups[key] = np.sort(
                    np.fromiter(
                        (idx[c] for c in codes if m.get(c) == cat[i]), dtype=np.int64
                    )
                )
            atoms = groups[key]
        if atoms is None or len(atoms) == 0:
            out.append(None)
        else:
            out.append((ind[i], per[i], sex[i], dim, np.asarray(atoms).tobytes()))
    return out


def _atoms_of(key: tuple) -> np.ndarray:
    return np.frombuffer(key[4], dtype=np.int64)


def _audit_cells(keys: list[tuple], hidden: np.ndarray) -> list[int]:
    """Positions of hidden cells whose count is determined by the shown cells.

    For each indicator, period and sex: the unknowns are the counts of small areas that are not
    shown on their own and, for each dimension (ethnic group), the counts of each group in each
    *piece* (small areas lying in exactly the same cells of that dimension). Every shown cell
    is a known linear combination of them, and so is each relation "the groups of a piece add
    up to the piece's small areas". A hidden cell is recoverable exactly when its vector lies
    in the span of those known rows (checked by singular value decomposition, separately for
    each connected group of unknowns).
    """
    found: list[int] = []
    blocks: dict[tuple, list[int]] = {}
    for i, k in enumerate(keys):
        blocks.setdefault(k[:3], []).append(i)
    for members in blocks.values():
        found += _audit_block(keys, hidden, members)
    return sorted(found)


def _audit_block(
    keys: list[tuple], hidden: np.ndarray, members: list[int]
) -> list[int]:
    if not any(hidden[i] for i in members):
        return []
    atoms = {i: _atoms_of(keys[i]) for i in members}
    known: set[int] = set()
    for i in members:
        if not hidden[i] and keys[i][3] == _ALL and len(atoms[i]) == 1:
            known.add(int(atoms[i][0]))
    cols: dict[Any, int] = {}

    def col(name: Any) -> int:
        return cols.setdefault(name, len(cols))

    # pieces of each dimension: small areas in exactly the same cells of that dimension
    dims: dict[str, list[int]] = {}
    for i in members:
        d = keys[i][3]
        if d != _ALL:
            dims.setdefault(d.split("=", 1)[0], []).append(i)
    piece_of: dict[str, dict[int, int]] = {}
    pieces: dict[str, dict[int, np.ndarray]] = {}
    for name, cells in dims.items():
        sig: dict[int, list[bytes]] = {}
        for i in cells:
            for a in atoms[i]:
                sig.setdefault(int(a), []).append(keys[i][4])
        by: dict[tuple, list[int]] = {}
        for a, s in sig.items():
            by.setdefault(tuple(sorted(set(s))), []).append(a)
        piece_of[name] = {}
        pieces[name] = {}
        for p, (_, alist) in enumerate(sorted(by.items(), key=lambda kv: min(kv[1]))):
            pieces[name][p] = np.array(sorted(alist))
            for a in alist:
                piece_of[name][a] = p

    def vector(i: int) -> dict[int, float]:
        d = keys[i][3]
        v: dict[int, float] = {}
        if d == _ALL:
            for a in atoms[i]:
                if int(a) not in known:
                    v[col(("y", int(a)))] = 1.0
        else:
            name, val = d.split("=", 1)
            for p in sorted({piece_of[name][int(a)] for a in atoms[i]}):
                v[col(("z", name, p, val))] = 1.0
        return v

    rows: list[dict[int, float]] = []
    for i in members:
        if not hidden[i]:
            v = vector(i)
            if v:
                rows.append(v)
    for name, cells in dims.items():
        vals = sorted({keys[i][3].split("=", 1)[1] for i in cells})
        for p, alist in pieces[name].items():
            r = {col(("z", name, p, val)): 1.0 for val in vals}
            for a in alist:
                if int(a) not in known:
                    r[col(("y", int(a)))] = -1.0
            rows.append(r)
    targets = {i: vector(i) for i in members if hidden[i]}
    if not cols:
        return list(targets)
    # Unknowns fall into independent groups (a shown row links the unknowns it sums): a hidden
    # cell is in the span of the shown rows exactly when it is in the span of its own group's
    # rows, so each group is checked on its own — small matrices even at national scale.
    parent = list(range(len(cols)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in [*rows, *targets.values()]:
        ks = list(r)
        for k in ks[1:]:
            ra, rb = find(ks[0]), find(k)
            if ra != rb:
                parent[rb] = ra
    group_rows: dict[int, list[dict[int, float]]] = {}
    for r in rows:
        if r:
            group_rows.setdefault(find(next(iter(r))), []).append(r)
    group_targets: dict[int, list[int]] = {}
    found: list[int] = []
    for i, v in targets.items():
        if not v:  # every small area of the cell is shown on its own: determined
            found.append(i)
            continue
        group_targets.setdefault(find(next(iter(v))), []).append(i)
    for g, order in group_targets.items():
        gcols = sorted(
            {k for r in group_rows.get(g, []) for k in r}
            | {k for i in order for k in targets[i]}
        )
        found += _in_span(
            group_rows.get(g, []), [targets[i] for i in order], order, gcols
        )
    return found


def _in_span(
    rows: list[dict[int, float]],
    tvecs: list[dict[int, float]],
    order: list[int],
    gcols: list[int],
) -> list[int]:
    """Which target vectors lie in the span of ``rows`` (sparse rows over columns ``gcols``)."""
    where = {c: j for j, c in enumerate(gcols)}
    n = len(gcols)
    a = np.zeros((len(rows), n))
    for r_i, r in enumerate(rows):
        for k, v in r.items():
            a[r_i, where[k]] = v
    t = np.zeros((len(tvecs), n))
    for r_i, r in enumerate(tvecs):
        for k, v in r.items():
            t[r_i, where[k]] = v
    # unknowns whose columns are identical can only be known together: merge them (a target
    # is determined only if it weighs each merged group's members equally)
    _, first, inv = np.unique(a.T, axis=0, return_index=True, return_inverse=True)
    inv = np.asarray(inv).reshape(-1)
    even = np.abs(t - t[:, first[inv]]).max(axis=1, initial=0.0) < 1e-12
    tm = t[:, first]
    am = np.unique(a[:, first], axis=0)
    if len(am):
        _, sv, vt = np.linalg.svd(am, full_matrices=False)
        basis = vt[sv > 1e-9 * max(1.0, float(sv.max(initial=0.0)))]
    else:
        basis = np.zeros((0, tm.shape[1]))
    resid = tm - (tm @ basis.T) @ basis
    ok = even & (np.abs(resid).max(axis=1, initial=0.0) < 1e-7)
    return [i for i, f in zip(order, ok, strict=True) if f]


def recoverable_across(
    tables: list[tuple[pd.DataFrame, Any]],
) -> list[str]:
    """Suppressed counts that combining every published table would give away.

    Parameters
    ----------
    tables : list of (DataFrame, Place)
        Each published table (a place's result table, a notebook's breakdown table, the
        peer values of a spine chart …, as written) with the place it was made for.

    Returns
    -------
    list of str
        ``"indicator period sex: breakdown category in place"`` for each cell that is
        suppressed everywhere it appears yet determined by the cells shown anywhere.
    """
    index: dict[tuple, int] = {}
    keys: list[tuple] = []
    shown: list[bool] = []
    label: list[str] = []
    for table, place in tables:
        hide = table["is_suppressed"].astype(bool).to_numpy()
        for r, key in enumerate(row_cells(table, place)):
            if key is None:
                continue
            if key not in index:
                index[key] = len(keys)
                keys.append(key)
                shown.append(False)
                row = table.iloc[r]
                label.append(
                    f"{key[0]} {key[1]} {key[2]}: {row['breakdown']} {row['category']} "
                    f"in {place.code}"
                )
            if not hide[r]:
                shown[index[key]] = True
    hidden = ~np.array(shown, dtype=bool)
    return [label[i] for i in _audit_cells(keys, hidden)]


# ---------------------------------------------------------------------- the run's plan
_NESTED = ("imd_quintile", "imd_decile", "core20")
_HIERARCHY = ("area", "imd_quintile", "imd_decile", "core20", "ethnic_group")


def _atom_counts(ws: Any, period: str) -> dict[str, pd.DataFrame]:
    """Each indicator's counts by small area, sex (as its result rows have it) and ethnic group:
    the numerator the result table shows (a directly standardised rate's events in its age
    bands) and the denominator."""
    from hiworkbook.results import _fill_denominators
    from hiworkbook.stats import ESP2013

    col = ws.area_col
    counts = ws.counts[ws.counts["period"].astype(str) == str(period)]
    out = {}
    for ind_id, c in counts.groupby("indicator_id", sort=True):
        ind = ws.indicators.get(ind_id)
        if ind is None:
            continue
        if ind.measure == "proportion":
            c = _fill_denominators(c, ws.population, col, str(period), ind)
        if ind.measure == "dsr":
            c = c[c["age_band"].isin(list(ind.age_bands) or list(ESP2013.index))]
        if ind.measure == "life_expectancy":
            sex = c["sex"].astype(str)
        else:
            sex = ind.sexes[0] if len(ind.sexes) == 1 else "persons"
        eth = c["ethnic_group"].astype(str) if "ethnic_group" in c else "all"
        c = pd.DataFrame(
            {
                "area": c[col].astype(str),
                "sex": sex,
                "ethnic_group": eth,
                "numerator": pd.to_numeric(c["numerator"], errors="coerce"),
                "denominator": pd.to_numeric(c["denominator"], errors="coerce"),
            }
        )
        out[str(ind_id)] = c.groupby(
            ["area", "sex", "ethnic_group"], as_index=False, sort=True
        )[["numerator", "denominator"]].sum(min_count=1)
    return out


class _Atoms:
    """The atoms of one period (:func:`_atom_counts`) with each small area's rows found through
    an index built once, and each comparator's sums by sex kept: every place of the plan takes
    its rows from it instead of comparing every row of every indicator (on England, 338 places ×
    13 indicators × 70,000 rows)."""

    def __init__(self, frames: dict[str, pd.DataFrame]) -> None:
        self.frames = frames
        self._rows = {
            k: f.groupby("area", sort=False).indices for k, f in frames.items()
        }
        self._sums: dict[tuple, pd.DataFrame] = {}

    def of(self, ind_id: str, areas: Any) -> pd.DataFrame:
        """The rows of these small areas, in the table's order (as a boolean filter gives)."""
        rows = self._rows[ind_id]
        found = [rows[a] for a in areas if a in rows]
        pos = np.sort(np.concatenate(found)) if found else np.empty(0, dtype=np.intp)
        return self.frames[ind_id].iloc[pos]

    def comparator_sums(self, ind_id: str, comp: Any) -> pd.DataFrame:
        """A comparator's counts by sex (ethnic group "all"), once per indicator and comparator."""
        key = (ind_id, comp.code, comp.area_codes)
        if key not in self._sums:
            ca = self.of(ind_id, set(comp.area_codes))
            ca = ca[ca["ethnic_group"] == "all"]
            self._sums[key] = ca.groupby("sex", as_index=False)[
                ["numerator", "denominator"]
            ].sum(min_count=1)
        return self._sums[key]


def _skeleton(place: Any, atoms: _Atoms, period: str) -> pd.DataFrame:
    """The count rows every report of ``place`` can show (its result table's breakdowns and the
    notebooks' decile, Core20 and local-quintile breakdowns), without statistics."""
    ws = place.workspace
    col = ws.area_col
    maps = _label_maps(place)
    mine = set(place.areas[col].astype(str))
    frames = []
    for ind_id in atoms.frames:
        a = atoms.of(ind_id, mine)
        if a.empty:
            continue
        tot = a[a["ethnic_group"] == "all"]
        eth = a[a["ethnic_group"] != "all"]
        parts = [tot.assign(breakdown="area", category="All", area_code=place.code)]
        for b in _NESTED:
            m = maps.get(b, {})
            parts.append(
                tot.assign(
                    breakdown=b, category=tot["area"].map(m), area_code=place.code
                ).dropna(subset=["category"])
            )
        parts.append(
            eth.assign(
                breakdown="ethnic_group",
                category=eth["ethnic_group"],
                area_code=place.code,
            )
        )
        parts.append(
            tot.assign(
                breakdown="small_area", category=tot["area"], area_code=tot["area"]
            )
        )
        g = pd.concat(parts, ignore_index=True)
        g = g.groupby(
            ["sex", "breakdown", "category", "area_code"], as_index=False, sort=False
        )[["numerator", "denominator"]].sum(min_count=1)
        for comp in place.comparators:
            if comp.kind == "aggregate" and comp.area_codes:
                s = atoms.comparator_sums(ind_id, comp)
                g = pd.concat(
                    [
                        g,
                        s.assign(
                            breakdown="comparator",
                            category=comp.name,
                            area_code=comp.code,
                        ),
                    ],
                    ignore_index=True,
                )
        frames.append(
            g.assign(
                indicator_id=ind_id,
                period=str(period),
                measure=ws.indicators[ind_id].measure,
            )
        )
    if not frames:
        return pd.DataFrame(
            columns=["indicator_id", "period", "sex", "breakdown", "category"]
        )
    return pd.concat(frames, ignore_index=True)


def _small(
    num: np.ndarray, den: np.ndarray, proportion: np.ndarray, n: int
) -> np.ndarray:
    small = (num >= 1) & (num < n)
    comp = den - num
    return (small | (proportion & (comp >= 1) & (comp < n))) & (n > 0)


def run_plan(
    workspace: Any, period: str, policy: DisclosurePolicy | None = None
) -> dict[tuple, str]:
    """One suppression decision for every cell any report of the workspace can show.

    Built from the whole workspace (every place of every configured level), so a place run on
    its own takes the same decision as in a batch run, and no suppressed count can be worked
    out by combining reports: an ICB's report with its districts', a district's with its
    neighbours' (the ICB total is every district's comparator), a notebook's decile or Core20
    table with the place report.

    The method is the hierarchical-table practice of statistical disclosure control: primary
    suppression of counts 1 to ``min_count − 1`` (and proportions whose complement is); then,
    for every linked set — within each place as :func:`suppress` does, and across places, the
    parent's cell = the sum of its children's cells for the total, each national IMD quintile,
    decile, Core20 and each ethnic group — secondary suppression of the smallest other non-zero
    cell wherever a set has exactly one hidden cell; then an audit by linear algebra over the
    small areas themselves (every cell as a sum of small-area counts, see
    :func:`recoverable_across`), adding the smallest complementary cell until no hidden count
    is determined by the shown ones. Deterministic: ties go to the first cell in a fixed order.

    Parameters
    ----------
    workspace : Workspace
    period : str
    policy : DisclosurePolicy, optional
        Default the workspace's.

    Returns
    -------
    dict
        ``{cell: "primary" | "secondary"}`` for every cell to suppress (cells as in
        :func:`row_cells`). Empty when the policy does not suppress. Cached on the workspace.
    """
    ws = workspace
    policy = policy or ws.config.disclosure
    if not policy.suppresses:
        return {}
    if hasattr(
        ws, "memo"
    ):  # memoised per workspace data (dropped when a table is replaced)
        return ws.memo(
            _plan_key(period, policy),
            lambda: _stored_plan(ws, str(period), policy, {}),
        )
    return _stored_plan(
        ws, str(period), policy, ws.__dict__.setdefault("_disclosure_plans", {})
    )


def _plan_key(period: str, policy: DisclosurePolicy) -> tuple:
    """The key a workspace's memo holds a period's plan under."""
    return ("disclosure_plan", str(period), policy)


def _stored_plan(
    ws: Any, period: str, policy: DisclosurePolicy, cache: dict
) -> dict[tuple, str]:
    ck = (str(period), policy)
    if ck in cache:
        return cache[ck]
    # the file cache only for a workspace read from unchanged inputs
    unchanged = getattr(ws, "source_key", "") is not None
    path = _plan_path(ws, str(period), policy) if unchanged else None
    if path is not None and path.is_file():
        try:
            with path.open("rb") as fh:
                cache[ck] = pickle.load(fh)
            return cache[ck]
        except Exception:  # a stale or partial cache is ignored, never fatal
            _log.info("ignoring unreadable disclosure plan %s", path)
    plan = _build_plan(ws, str(period), policy)
    cache[ck] = plan
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(plan, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
        except OSError as exc:  # an unwritable cache folder is fine: just no cache
            _log.info("disclosure plan not cached (%s)", exc)
    return plan


def _plan_path(ws: Any, period: str, policy: DisclosurePolicy) -> Any:
    """Where the plan is cached: beside the validated workspace, keyed by the same hash of the
    config, every input file and the package's code, and by the period and policy."""
    try:
        from hiworkbook.workspace import _cache_dir, _cache_key, _config_tag

        cfg = ws.config
        key = _cache_key(cfg)
        extra = hashlib.sha256(repr((period, policy)).encode()).hexdigest()[:10]
        return _cache_dir(cfg) / f"disclosure-{_config_tag(cfg)}-{key}-{extra}.pickle"
    except Exception:  # a workspace built in memory (tests): no file cache
        return None


def prepare(
    workspace: Any, periods: list[str] | None = None, *, workers: int = 1
) -> None:
    """Build (or load) the run's plan for every period before any report is made, so a batch
    run's places only read it (:func:`run_plan`).

    Parameters
    ----------
    workspace : Workspace
    periods : list of str, optional
        Default every period of the workspace.
    workers : int, default 1
        Build the plans of periods not cached yet on this many local processes at once (each
        plan is one period's; a worker writes it to the cache and this process reads it back).
        On synthetic England a period's plan takes about 4 minutes, so a run's first plan
        of three periods takes two rounds instead of three with 2 workers.
    """
    policy = workspace.config.disclosure
    if not policy.suppresses:
        return
    periods = [str(p) for p in (periods or workspace.periods)]
    if workers > 1 and getattr(workspace, "source_key", None) is not None:
        paths = {p: _plan_path(workspace, p, policy) for p in periods}
        missing = [  # neither in the cache folder nor already held by this workspace
            p
            for p, path in paths.items()
            if path is not None
            and not path.is_file()
            and not workspace.has_memo(_plan_key(p, policy))
        ]
        folder = next((paths[p].parent for p in missing), None)
        if len(missing) > 1 and folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            if os.access(folder, os.W_OK):
                _plans_on_workers(workspace, missing, workers)
    for p in periods:
        run_plan(workspace, p)


def _plans_on_workers(workspace: Any, periods: list[str], workers: int) -> None:
    """Build and cache the plans of ``periods`` on local worker processes (the batch's own pool:
    Ctrl-C and the parent's death stop them). A plan a worker could not make is built here
    afterwards by :func:`run_plan`, so a failure costs time, never the run."""
    import time

    from hiworkbook.executors import LocalPool

    t = time.perf_counter()
    config = str(workspace.config.path)

    def failed(task: tuple[str, str], exc: BaseException) -> None:
        _log.warning("disclosure plan for %s not built on a worker (%s)", task[1], exc)

    with LocalPool(min(workers, len(periods))) as pool:
        args = [(config, p) for p in periods]
        for _ in pool.map_unordered(_plan_in_worker, args, on_error=failed):
            pass
    _log.info(
        "disclosure plans for %s built on %d workers in %.0f s",
        ", ".join(periods),
        min(workers, len(periods)),
        time.perf_counter() - t,
    )


def _plan_in_worker(args: tuple[str, str]) -> str:
    """In a worker: build one period's plan from the workbook (its validated workspace, from
    the cache) and write it to the cache."""
    from hiworkbook.workspace import Workspace

    config, period = args
    run_plan(Workspace.from_config(config), period)
    return period


def _build_plan(ws: Any, period: str, policy: DisclosurePolicy) -> dict[tuple, str]:
    atoms = _Atoms(_atom_counts(ws, str(period)))
    index: dict[tuple, int] = {}
    keys: list[tuple] = []
    num: list[float] = []
    den: list[float] = []
    prop: list[bool] = []
    sets: set[tuple[int, ...]] = set()
    by_place: dict[str, dict[tuple, int]] = {}
    places = ws.places()
    place_objs = {}
    for code in places["place_code"].astype(str):
        place = ws.place(code, period=str(period))
        place_objs[code] = place
        sk = _skeleton(place, atoms, str(period))
        if sk.empty:
            continue
        ks = row_cells(sk, place)
        sk_num = sk["numerator"].to_numpy(dtype=float)
        sk_den = sk["denominator"].to_numpy(dtype=float)
        sk_prop = (sk["measure"] == "proportion").to_numpy()
        pos = []
        for r, k in enumerate(ks):
            if k not in index:
                index[k] = len(keys)
                keys.append(k)
                num.append(sk_num[r])
                den.append(sk_den[r])
                prop.append(bool(sk_prop[r]))
            pos.append(index[k])
        nesting = {
            b: dict(
                zip(
                    sk.loc[sk["breakdown"] == "small_area", "area_code"],
                    sk.loc[sk["breakdown"] == "small_area", "area_code"].map(m),
                    strict=True,
                )
            )
            for b, m in _label_maps(place).items()
        }
        nest = {
            b: {c: v for c, v in m.items() if isinstance(v, str)}
            for b, m in nesting.items()
        }
        for s in _linked_positions(sk, nest):
            _add_set(sets, [pos[i] for i in s])
        # deciles inside quintiles
        sk_key = {
            (r.indicator_id, r.sex, r.breakdown, r.category): pos[i]
            for i, r in enumerate(sk.itertuples(index=False))
        }
        by_place[code] = sk_key
        for (ind, sex, b, cat), p in sk_key.items():
            if b == "imd_quintile":
                q = int(str(cat)[1])
                ds = [
                    sk_key.get((ind, sex, "imd_decile", _decile_label(d)))
                    for d in (2 * q - 1, 2 * q)
                ]
                _add_set(sets, [p, *[d for d in ds if d is not None]])
    # across places: a parent's cells are the sums of its children's
    for code, place in place_objs.items():
        mine = _place_atoms(ws, code)
        for lv in ws.config.place_levels:
            if lv == place.level or f"{lv}_code" not in place.areas:
                continue
            kids = sorted(set(place.areas[f"{lv}_code"].astype(str)) & set(by_place))
            if len(kids) < 2:
                continue
            if not all(np.isin(_place_atoms(ws, k), mine).all() for k in kids):
                continue
            for tup, p in by_place.get(code, {}).items():
                if tup[2] in _HIERARCHY:
                    parts = [by_place[k].get(tup) for k in kids]
                    if tup[2] == "area":
                        parts = [by_place[k].get(tup[:3] + ("All",)) for k in kids]
                    _add_set(sets, [p, *[x for x in parts if x is not None]])
        # the parent comparator (a place or not) is the sum of its places at this level
        for comp in place.comparators:
            if not (comp.kind == "aggregate" and comp.area_codes):
                continue
            kids = sorted(
                set(
                    ws.areas.loc[
                        ws.areas[ws.area_col].isin(comp.area_codes),
                        f"{place.level}_code",
                    ].astype(str)
                )
                & set(by_place)
            )
            for (ind, sex, b, cat), p in by_place.get(code, {}).items():
                if b == "comparator" and cat == comp.name:
                    parts = [by_place[k].get((ind, sex, "area", "All")) for k in kids]
                    _add_set(sets, [p, *[x for x in parts if x is not None]])
    n_arr = np.nan_to_num(np.array(num, dtype=float), nan=0.0)
    d_arr = np.array(den, dtype=float)
    primary = _small(n_arr, d_arr, np.array(prop, dtype=bool), policy.min_count)
    hidden = primary.copy()
    set_list: list[list[int | None]] = sorted(
        (list(s) for s in sets), key=lambda s: (len(s), s)
    )
    if hidden.any():
        for _ in range(len(keys)):
            changed = _protect_sets(set_list, hidden, n_arr)
            if changed:
                continue
            exposed = _audit_cells(keys, hidden)
            if not exposed:
                break
            if not _protect_all_exposed(exposed, set_list, keys, hidden, n_arr):
                break
    plan = {
        keys[i]: ("primary" if primary[i] else "secondary")
        for i in np.flatnonzero(hidden)
    }
    _log.info(
        "disclosure plan for %s: %d cells, %d suppressed (%d primary)",
        period,
        len(keys),
        int(hidden.sum()),
        int(primary.sum()),
    )
    return plan


def _decile_label(d: int) -> str:
    from hiworkbook.breakdowns import DECILE_LABELS

    return DECILE_LABELS[d]


def _add_set(sets: set[tuple[int, ...]], s: list[int]) -> None:
    total, parts = s[0], list(dict.fromkeys(x for x in s[1:] if x != s[0]))
    if len(parts) >= 2 or (len(parts) == 1 and parts[0] != total):
        sets.add((total, *parts))


def _protect_all_exposed(
    exposed: list[int],
    sets: list[list[int | None]],
    keys: list[tuple],
    hidden: np.ndarray,
    num: np.ndarray,
) -> bool:
    """One complementary suppression for each exposed cell (in a linked set with it, else
    overlapping it), skipping exposed cells whose sets already gained one in this pass."""
    changed = False
    member: dict[int, list[int]] = {}
    for k, s in enumerate(sets):
        for i in s:
            if i is not None:
                member.setdefault(i, []).append(k)
    touched: set[int] = set()
    for i in exposed:
        ks = member.get(i, [])
        if any(k in touched for k in ks):
            continue
        pick = None
        for k in ks:
            pick = _next(sets[k], hidden, num)
            if pick is not None:
                break
        if pick is None:
            if _protect_overlap([i], keys, hidden, num):
                changed = True
            continue
        hidden[pick] = True
        changed = True
        touched.update(member.get(pick, []))
        touched.update(ks)
    return changed


def _protect_overlap(
    exposed: list[int], keys: list[tuple], hidden: np.ndarray, num: np.ndarray
) -> bool:
    """Suppress the smallest shown cell sharing small areas with an exposed one (for overlaps
    that no linked set describes)."""
    for i in exposed:
        mine = set(_atoms_of(keys[i]).tolist())
        cands = [
            j
            for j, k in enumerate(keys)
            if not hidden[j]
            and k[:3] == keys[i][:3]
            and mine & set(_atoms_of(k).tolist())
        ]
        pick = _pick(cands, hidden, num)
        if pick is not None:
            hidden[pick] = True
            return True
    return False


def planned(
    table: pd.DataFrame, place: Any, period: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``table`` the run's plan (:func:`run_plan`, the workspace's policy) suppresses,
    and which of them are primary.

    Parameters
    ----------
    table : pandas.DataFrame
        A table made for ``place`` (result table, breakdown table, peer values).
    place : Place
    period : str, optional
        When ``table`` has no ``period`` column.
    """
    ws = place.workspace
    n = len(table)
    if ws is None or n == 0 or not ws.config.disclosure.suppresses:
        return np.zeros(n, bool), np.zeros(n, bool)
    t = table if "period" in table else table.assign(period=str(period))
    periods = t["period"].astype(str).unique()
    plans = {p: run_plan(ws, p) for p in periods}
    hidden = np.zeros(n, bool)
    prim = np.zeros(n, bool)
    per = t["period"].astype(str).to_numpy()
    for r, key in enumerate(row_cells(t, place)):
        if key is None:
            continue
        kind = plans[per[r]].get(key)
        if kind:
            hidden[r] = True
            prim[r] = kind == "primary"
    return hidden, prim


SMALL_ROUNDED_NOTE = (
    "Counts rounded to the nearest {base}; fewer than {n} events, so the value and confidence "
    "interval are computed from the rounded counts"
)


def _small_from_rounded(
    t: pd.DataFrame,
    num: pd.Series,
    den: pd.Series,
    target: pd.Series,
    below: int,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Recompute from the rounded counts the value and CIs of rows with a small unrounded count
    (see :func:`round_counts`)."""
    from hiworkbook import stats

    if "measure" not in t or "value" not in t:  # counts only: nothing to recompute
        return t, np.zeros(len(t), dtype=bool)
    measure = t["measure"].astype(str)
    simple = measure.isin(["proportion", "rate", "isratio"])
    comp = den - num
    small = ((num >= 1) & (num < below)) | (
        (measure == "proportion") & (comp >= 1) & (comp < below)
    )
    value = pd.to_numeric(t["value"], errors="coerce")
    rows = target & simple & small & value.notna() & (num > 0) & (den > 0)
    if not rows.any():
        return t, rows.to_numpy()
    t = t.copy()
    for c in ("value", "lower_ci", "upper_ci", "lower_ci_998", "upper_ci_998"):
        if c in t:
            t[c] = pd.to_numeric(t[c], errors="coerce").astype(float)
    conf = (
        pd.to_numeric(t["confidence"], errors="coerce").fillna(0.95)
        if "confidence" in t
        else pd.Series(0.95, index=t.index)
    )
    mult = (value * den / num).round(6)
    sub = pd.DataFrame(
        {
            "row": t.index[rows],
            "x": t.loc[rows, "numerator"].astype(float),
            "n": t.loc[rows, "denominator"].astype(float),
            "m": mult[rows],
            "c": conf[rows],
            "kind": measure[rows],
        }
    )
    for (kind, m, c), g in sub.groupby(["kind", "m", "c"]):
        fn = stats.proportion if kind == "proportion" else stats.rate
        levels = sorted({float(c), 0.998})
        res = fn(
            g[["row", "x", "n"]],
            x="x",
            n="n",
            group_by=["row"],
            multiplier=float(m),
            confidence=levels,
        ).set_index("row")
        from hiworkbook.stats._common import level_suffix

        sfx, sfx8 = level_suffix(float(c)), level_suffix(0.998)
        idx = res.index
        t.loc[idx, "value"] = res["value"].to_numpy()
        t.loc[idx, "lower_ci"] = res[f"lower_ci_{sfx}"].to_numpy()
        t.loc[idx, "upper_ci"] = res[f"upper_ci_{sfx}"].to_numpy()
        if "lower_ci_998" in t:
            t.loc[idx, "lower_ci_998"] = res[f"lower_ci_{sfx8}"].to_numpy()
            t.loc[idx, "upper_ci_998"] = res[f"upper_ci_{sfx8}"].to_numpy()
    # the significance shown beside the value follows the value shown
    if {"comparator_value", "polarity"} <= set(t.columns):
        for col, lo, hi in (
            ("comparison", "lower_ci", "upper_ci"),
            ("comparison_998", "lower_ci_998", "upper_ci_998"),
        ):
            if col not in t or lo not in t:
                continue
            for pol, idx in t[rows].groupby("polarity").groups.items():
                sub = t.loc[idx]
                t.loc[idx, col] = np.asarray(
                    stats.compare(
                        sub["value"].astype(float),
                        sub[lo].astype(float),
                        sub[hi].astype(float),
                        pd.to_numeric(sub["comparator_value"], errors="coerce"),
                        polarity=pol,
                    )
                )
    return t, rows.to_numpy()
