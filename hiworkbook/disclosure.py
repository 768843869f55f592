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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "DisclosurePolicy",
    "POLICIES",
    "apply",
    "suppress",
    "round_counts",
    "linked_sets",
    "recoverable",
    "SUPPRESSED_NOTE",
    "SECONDARY_NOTE",
    "ROUNDED_NOTE",
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
                "be worked out by subtraction."
            )
        if self.rounds:
            parts.append(
                f"Counts are rounded to the nearest {self.rounding_base}; values and confidence "
                "intervals are computed from the unrounded counts, so rounded counts need not add "
                "up to the rounded totals."
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
    t = suppress(table, policy.min_count if policy.suppresses else 0, nesting=nesting)
    if policy.rounds:
        t = round_counts(t, policy.rounding_base)
    elif "is_rounded" not in t:
        t["is_rounded"] = False
    return t


def _block_keys(t: pd.DataFrame) -> list[str]:
    return [c for c in ("indicator_id", "period") if c in t]


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
    if keys:
        by = t[keys[0]] if len(keys) == 1 else [t[k] for k in keys]
        parts = t.groupby(by, dropna=False, sort=False).indices.values()
    else:
        parts = [np.arange(n)]
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
        for pos in t.groupby(
            [t[k] for k in keys], dropna=False, sort=False
        ).indices.values():
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

    hidden = primary.copy()
    if primary.any():
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
    for col in _BLANK:
        if col in t:
            t[col] = t[col].astype(float)
            t.loc[hidden, col] = np.nan
    note = SUPPRESSED_NOTE.format(n=min_count)
    if "value_note" not in t:
        t["value_note"] = ""
    t["value_note"] = t["value_note"].astype(object)
    t.loc[primary, "value_note"] = note
    t.loc[secondary, "value_note"] = SECONDARY_NOTE
    for col in ("comparison", "comparison_998"):
        if col in t:
            t.loc[hidden, col] = "not compared"
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
    for pos in t.groupby(
        [t[k] for k in keys], dropna=False, sort=False
    ).indices.values():
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


def round_counts(table: pd.DataFrame, base: int = 5) -> pd.DataFrame:
    """Round a result table's counts to the nearest ``base`` (halves upwards), leaving values and
    confidence intervals as computed from the unrounded counts.

    Numerators are rounded in every row; denominators where they are counts (not the expected
    events of an indirectly standardised ratio). Published comparator values and suppressed
    (blank) rows are left as they are.

    Parameters
    ----------
    table : pandas.DataFrame
    base : int, default 5

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
    note = ROUNDED_NOTE.format(base=base)
    if "value_note" not in t:
        t["value_note"] = ""
    old = t["value_note"].fillna("").astype(str)
    t["value_note"] = np.where(
        target, np.where(old != "", old + "; " + note, note), old
    ).astype(object)
    return t
