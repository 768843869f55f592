"""Disclosure control, applied once to the result table so every view of it agrees.

Rules (configurable threshold ``min_count``, commonly 5 or 10 in NHS and local-authority
publication policies):

1. **Primary suppression.** A row is suppressed when its numerator is between 1 and
   ``min_count - 1``, or — for proportions — when the complement (denominator − numerator) is,
   because then the small group can be read off the complement. Zero counts are shown: a zero
   reveals nothing about an individual that a suppressed cell would protect, and suppressing zeros
   hides real good news.
2. **Secondary suppression.** Within a breakdown whose total is shown (ethnic groups, deprivation
   quintiles and deciles, Core20 against the rest, sex, age bands: :data:`PARTITIONS`), if exactly one category is suppressed its count could be recovered as the total
   minus the others, so the category with the next smallest numerator is suppressed as well.
3. Comparator rows (national or regional totals) are never suppressed.

A suppressed row keeps its labels but loses its numerator, denominator, value and CI; its
``value_note`` says why and ``comparison`` becomes ``"not compared"``.

The approach follows common UK practice for published health tables — small cells suppressed
and, where a shown total would let them be recovered by subtraction, a second cell suppressed
too — as in NHS Digital's Hospital Episode Statistics disclosure control and the Government
Statistical Service guidance on statistical disclosure control for tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["suppress", "SUPPRESSED_NOTE", "PARTITIONS"]

#: Breakdowns whose categories partition a shown total, so one suppressed category could be
#: recovered by subtraction (rule 2). Added to by :mod:`hiworkbook.breakdowns`' breakdowns.
PARTITIONS = (
    "ethnic_group",
    "imd_quintile",
    "imd_decile",
    "local_quintile",
    "core20",
    "sex",
    "age_band",
    "plus_group",
)

SUPPRESSED_NOTE = "Suppressed: fewer than {n} events (disclosure control)"
SECONDARY_NOTE = (
    "Suppressed to protect another suppressed value (secondary suppression)"
)
_BLANK = ["numerator", "denominator", "value", "lower_ci", "upper_ci"]


def suppress(table: pd.DataFrame, min_count: int = 5) -> pd.DataFrame:
    """Apply primary and secondary small-number suppression to a result table.

    Parameters
    ----------
    table : pandas.DataFrame
        A result table (see :data:`hiworkbook.results.RESULT_COLUMNS`); needs ``numerator``,
        ``denominator``, ``measure`` and ``breakdown``.
    min_count : int, default 5
        Smallest count that may be published. ``0`` switches suppression off.

    Returns
    -------
    pandas.DataFrame
        A copy with ``is_suppressed`` set and suppressed rows blanked.

    Examples
    --------
    >>> t = pd.DataFrame({"breakdown": ["area", "small_area"], "measure": ["proportion"] * 2,
    ...                   "numerator": [40, 3], "denominator": [100, 10], "value": [40.0, 30.0]})
    >>> suppress(t, 5)["is_suppressed"].tolist()
    [False, True]
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
    primary = protectable & (small | small_complement) & (min_count > 0)

    secondary = pd.Series(False, index=t.index)
    groups = (
        ["indicator_id", "sex", "breakdown"] if "indicator_id" in t else ["breakdown"]
    )
    shared = t["breakdown"].isin(PARTITIONS)
    for _, idx in t[shared].groupby(groups, dropna=False).groups.items():
        hit = primary.loc[idx]
        if hit.sum() == 1:
            rest = num.loc[idx][~hit.to_numpy()].dropna()
            if len(rest):
                secondary.loc[rest.idxmin()] = True

    t["is_suppressed"] = primary | secondary
    for col in _BLANK:
        if col in t:
            t[col] = t[col].astype(float)
            t.loc[t["is_suppressed"], col] = np.nan
    note = SUPPRESSED_NOTE.format(n=min_count)
    if "value_note" not in t:
        t["value_note"] = ""
    t["value_note"] = t["value_note"].astype(object)
    t.loc[primary, "value_note"] = note
    t.loc[secondary & ~primary, "value_note"] = SECONDARY_NOTE
    if "comparison" in t:
        t.loc[t["is_suppressed"], "comparison"] = "not compared"
    return t
