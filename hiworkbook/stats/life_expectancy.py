"""Life expectancy from an abridged life table (Chiang II) with Silcocks' confidence intervals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hiworkbook.stats._common import (
    Checker,
    Confidence,
    as_list,
    ci_names,
    confidence_label,
    confidence_levels,
    join_notes,
    make_groups,
    note_where,
    z_value,
)
from hiworkbook.stats.standard_populations import LIFE_TABLE_BANDS
from hiworkbook.validate import did_you_mean, format_values

__all__ = ["LE_MIN_POPULATION", "life_expectancy"]

#: PHE does not calculate life expectancy for a total population of 5,000 or fewer.
LE_MIN_POPULATION = 5000
_STARTS = np.array([0, 1] + list(range(5, 95, 5)), dtype=float)
_ALIASES = {str(int(s)): b for s, b in zip(_STARTS, LIFE_TABLE_BANDS, strict=True)}
_ALIASES.update({b: b for b in LIFE_TABLE_BANDS})
_ALIASES.update({"<1": "0", "00": "0", "1to4": "1-4", "90andover": "90+"})


def _normalise(label: object) -> str:
    s = str(label).strip().lower().replace(" ", "")
    if s.endswith(".0") and s[:-2].isdigit():
        s = s[:-2]
    return _ALIASES.get(s, str(label))


def life_expectancy(
    data: pd.DataFrame,
    deaths: str,
    population: str,
    age_band: str,
    *,
    group_by: str | Sequence[str] | None = None,
    confidence: Confidence = 0.95,
    min_population: float = LE_MIN_POPULATION,
) -> pd.DataFrame:
    """Life expectancy at birth and at the start of every age band.

    Abridged life table with Chiang's method (Chiang 1984; ONS) for the 20 bands 0, 1-4,
    5-9, … 85-89, 90+ (``a = 0.1`` for the first year, 0.5 otherwise; the 90+ band closed
    with ``L = l / M``), and the variance of Chiang with Silcocks et al.'s (2001) term for
    the final band, as PHE's Life Expectancy Calculator and PHEindicatormethods
    ``phe_life_expectancy``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and age band.
    deaths, population : str
        Deaths and population (person-years) in the band.
    age_band : str
        Labels ``"0"``, ``"1-4"``, ``"5-9"`` … ``"85-89"``, ``"90+"`` (start ages 0, 1, 5 …
        90 are accepted too).
    group_by : str or list of str, optional
    confidence : float or list of float, default 0.95
    min_population : float, default 5,000
        Not calculated when the total population is at most this (PHE).

    Returns
    -------
    pandas.DataFrame
        One row per group and age band: group columns, ``age_band``, ``numerator`` (deaths at
        or above the band's start age), ``denominator`` (population at or above it),
        ``value`` (life expectancy at the band's start age, years), CI columns,
        ``confidence``, ``method``, ``value_note``.

    Notes
    -----
    As PHE: not calculated for a group when any band has a population of zero or less, more
    deaths than population, the total population is ``min_population`` or less, or there are
    no deaths at 90+ (the final band cannot be closed). The value (but not its interval) is
    withheld when the 95% interval is wider than 20 years. Negative deaths and missing or
    unknown bands are errors.
    """
    levels = confidence_levels(confidence)
    group_by = as_list(group_by)
    chk = Checker(data, "life_expectancy")
    chk.columns(deaths, population, age_band, *group_by)
    dv = chk.numeric(deaths, what="deaths")
    pv = chk.numeric(population, nonnegative=False, what="populations")
    chk.raise_if()
    # each distinct label normalised once (a national table has millions of rows, 20 labels)
    codes, uniques = pd.factorize(data[age_band], use_na_sentinel=False)
    labels = np.array([_normalise(b) for b in uniques], dtype=object)[codes]
    pos = pd.Index(LIFE_TABLE_BANDS).get_indexer(labels)
    if (pos < 0).any():
        bad = pd.unique(labels[pos < 0])
        chk.rows(
            pos < 0,
            f"age band(s) {format_values(bad)} are not life-table bands "
            f"({', '.join(LIFE_TABLE_BANDS)}){did_you_mean(str(bad[0]), LIFE_TABLE_BANDS)}",
            age_band,
            fix="Use 0, 1-4, 5-9 … 85-89, 90+ (20 bands).",
        )
        chk.raise_if()
    g = make_groups(data, group_by)
    B = len(LIFE_TABLE_BANDS)
    slot = g.codes * B + pos
    cnt = np.bincount(slot, minlength=g.n * B)
    chk.rows(
        cnt[slot] > 1, "the same group and age band appear more than once", age_band
    )
    missing = cnt.reshape(g.n, B) == 0
    if missing.any():
        bad_groups = np.flatnonzero(missing.any(axis=1))
        ex = []
        for gi in bad_groups[:3]:
            key = (
                ", ".join(f"{c}={g.keys.iloc[gi][c]!r}" for c in group_by)
                if group_by
                else "the data"
            )
            ex.append(
                f"{key} lacks {format_values(np.array(LIFE_TABLE_BANDS)[missing[gi]])}"
            )
        more = len(bad_groups) - len(ex)
        chk.log.error(
            "age bands are missing: "
            + "; ".join(ex)
            + (f" and {more} more groups" if more > 0 else "")
            + ".",
            column=age_band,
            fix="Life expectancy needs all 20 bands; add rows with zero deaths where there were none.",
        )
    chk.raise_if()

    D = np.zeros((g.n, B))
    P = np.zeros((g.n, B))
    D[g.codes, pos] = dv
    P[g.codes, pos] = pv
    bad_pop = (P <= 0).any(axis=1)
    over = (D > P).any(axis=1)
    small = P.sum(axis=1) <= min_population
    no_old = D[:, -1] <= 0
    skip = bad_pop | over | small | no_old
    # calculate on safe stand-ins for skipped groups, then blank them
    Ds = np.where(skip[:, None], 1.0, D)
    Ps = np.where(skip[:, None], 2.0, P)

    M, n, a, q, lx, d, L, T = _chiang(Ds, Ps)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(lx == 0, 0.0, T / lx)
        spi = np.where(d == 0, 0.0, q**2 * (1 - q) / Ds)
        spi[:, -1] = 4 / (Ds[:, -1] * M[:, -1] ** 2)
        e_next = np.concatenate([e[:, 1:], np.zeros((g.n, 1))], axis=1)
        W = np.empty((g.n, B))
        W[:, :-1] = (
            spi[:, :-1]
            * lx[:, :-1] ** 2
            * ((1 - a[:-1]) * n[:, :-1] + e_next[:, :-1]) ** 2
        )
        W[:, -1] = (lx[:, -1] / 2) ** 2 * spi[:, -1]
        ST = np.cumsum(W[:, ::-1], axis=1)[:, ::-1]
        se = np.sqrt(ST / lx**2)
    wide = z_value(0.95) * se > 10

    # long format: group × band
    G = g.n
    out = g.keys.loc[np.repeat(np.arange(G), B)].reset_index(drop=True)
    if out.shape[1] == 0:
        out = pd.DataFrame(index=range(G * B))
    out[age_band] = np.tile(np.array(LIFE_TABLE_BANDS, dtype=object), G)
    out["numerator"] = np.cumsum(D[:, ::-1], axis=1)[:, ::-1].ravel()
    out["denominator"] = np.cumsum(P[:, ::-1], axis=1)[:, ::-1].ravel()
    skip_rows = np.repeat(skip, B)
    value = np.where(skip_rows | wide.ravel(), np.nan, e.ravel())
    value[np.isinf(value)] = np.nan
    out["value"] = value
    for (lo_name, hi_name), c in zip(ci_names(levels), levels, strict=True):
        z = z_value(c)
        out[lo_name] = np.where(skip_rows, np.nan, (e - z * se).ravel())
        out[hi_name] = np.where(skip_rows, np.nan, (e + z * se).ravel())
    out["confidence"] = confidence_label(levels)
    out["method"] = "Chiang, using Silcocks et al for confidence limits"
    group_note = join_notes(
        note_where(bad_pop, "an age band has a population of zero or less"),
        note_where(over, "an age band has more deaths than population"),
        note_where(small, f"total population is {min_population:,.0f} or fewer"),
        note_where(
            no_old & ~bad_pop, "no deaths at ages 90+: the life table cannot be closed"
        ),
    )
    notes = join_notes(
        np.repeat(group_note, B),
        note_where(
            ~skip_rows & wide.ravel(),
            "95% confidence interval wider than 20 years: value withheld",
        ),
    )
    out["value_note"] = pd.Series(
        [x if x else None for x in notes], index=out.index, dtype=object
    )
    return out


def _chiang(D: np.ndarray, P: np.ndarray) -> tuple[np.ndarray, ...]:
    """Chiang II abridged life table from deaths and populations of shape (groups, 20 bands).

    Returns ``M`` (death rates), ``n`` (band widths, the last ``2 / M``), ``a`` (fraction of
    the band lived by those dying), ``q``, ``l`` (survivors at the band's start, radix
    100,000), ``d``, ``L`` (person-years lived in the band) and ``T`` (person-years lived from
    the band's start on).
    """
    G, B = D.shape
    M = D / P
    a = np.full(B, 0.5)
    a[0] = 0.1
    n = np.empty((G, B))
    n[:, :-1] = np.diff(_STARTS)
    with np.errstate(divide="ignore", invalid="ignore"):
        n[:, -1] = 2 / M[:, -1]
        q = np.where(D <= P / n / a, M * n / (1 + M * n * (1 - a)), 1.0)
    p = 1 - q
    lx = np.empty((G, B))
    lx[:, 0] = 1e5
    lx[:, 1:] = 1e5 * np.cumprod(p[:, :-1], axis=1)
    l_next = np.concatenate([lx[:, 1:], np.zeros((G, 1))], axis=1)
    d = lx - l_next
    L = np.empty((G, B))
    L[:, :-1] = n[:, :-1] * (l_next[:, :-1] + a[:-1] * d[:, :-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        L[:, -1] = lx[:, -1] / M[:, -1]
    T = np.cumsum(L[:, ::-1], axis=1)[:, ::-1]
    return M, n, a, q, lx, d, L, T
