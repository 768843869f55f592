"""The gap in life expectancy between two groups, decomposed by age band (Arriaga) and by cause.

As OHID's Segment Tool: each group's abridged life table (Chiang II, the table of
:func:`hiworkbook.stats.life_expectancy`), Arriaga's (1984) decomposition of the difference in
life expectancy at birth into the contributions of each age band, and each band's contribution
split across causes of death in proportion to each cause's share of the difference in death
rates in that band (Preston, Heuveline & Guillot 2001, ch. 4; Segment Tool technical
document).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hiworkbook.stats._common import Checker, as_list, make_groups
from hiworkbook.stats.life_expectancy import _chiang, _normalise
from hiworkbook.stats.standard_populations import LIFE_TABLE_BANDS
from hiworkbook.validate import format_values

__all__ = ["arriaga", "life_table"]


def _arrays(
    data: pd.DataFrame,
    deaths: str,
    population: str,
    age_band: str,
    keys: list[str],
    chk: Checker,
    cause: str | None = None,
):
    """Deaths (groups, bands[, causes]) and populations (groups, bands) as arrays."""
    dv = chk.numeric(deaths, what="deaths")
    pv = chk.numeric(population, allow_nan=True, what="populations")
    chk.raise_if()
    labels = np.array([_normalise(b) for b in data[age_band]], dtype=object)
    pos = pd.Index(LIFE_TABLE_BANDS).get_indexer(labels)
    chk.rows(
        pos < 0,
        f"age bands must be life-table bands ({', '.join(LIFE_TABLE_BANDS)})"
        + (
            f"; found {format_values(pd.unique(labels[pos < 0]))}"
            if (pos < 0).any()
            else ""
        ),
        age_band,
        fix="Use 0, 1-4, 5-9 … 85-89, 90+ (20 bands).",
    )
    chk.raise_if()
    g = make_groups(data, keys)
    B = len(LIFE_TABLE_BANDS)
    if cause is not None:
        causes = sorted(pd.unique(data[cause].astype(str)))
        cpos = pd.Index(causes).get_indexer(data[cause].astype(str))
    else:
        causes = ["all"]
        cpos = np.zeros(len(data), dtype=np.int64)
    C = len(causes)
    D = np.zeros((g.n, B, C))
    np.add.at(D, (g.codes, pos, cpos), dv)
    # population: one per group and band (repeated on each cause row: take the maximum)
    P = np.full((g.n, B), np.nan)
    seen = np.zeros((g.n, B), dtype=bool)
    np.fmax.at(P, (g.codes, pos), pv)
    seen[g.codes, pos] = True
    return g, D, P, seen, causes


def life_table(
    data: pd.DataFrame,
    deaths: str,
    population: str,
    age_band: str,
    *,
    group_by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """The full abridged life table (Chiang II, as PHE's life expectancy calculator).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and life-table band (``"0"``, ``"1-4"``, ``"5-9"`` … ``"90+"``).
    deaths, population, age_band : str
    group_by : str or list of str, optional

    Returns
    -------
    pandas.DataFrame
        Group columns, ``age_band``, ``mx`` (death rate), ``nx`` (band width; the open band's
        is ``2 / m``), ``ax``, ``qx``, ``lx`` (radix 100,000), ``dx``, ``Lx``, ``Tx``, ``ex``.
        Groups whose table cannot be formed (a band with no population, more deaths than
        population, no deaths at 90+) get NaN and ``value_note``.
    """
    group_by = as_list(group_by)
    chk = Checker(data, "life_table")
    chk.columns(deaths, population, age_band, *group_by)
    g, D3, P, seen, _ = _arrays(data, deaths, population, age_band, group_by, chk)
    D = D3[..., 0]
    return _table_frame(g, D, P, seen, age_band)


def _tables(D: np.ndarray, P: np.ndarray, seen: np.ndarray):
    bad = (
        (~seen).any(1)
        | (np.nan_to_num(P) <= 0).any(1)
        | (D > P).any(1)
        | (D[:, -1] <= 0)
    )
    Ds = np.where(bad[:, None], 1.0, D)
    Ps = np.where(bad[:, None], 2.0, P)
    M, n, a, q, lx, d, L, T = _chiang(Ds, Ps)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(lx == 0, 0.0, T / lx)
    return bad, M, n, a, q, lx, d, L, T, e


def _table_frame(g, D, P, seen, age_band) -> pd.DataFrame:
    bad, M, n, a, q, lx, d, L, T, e = _tables(D, P, seen)
    G, B = D.shape
    out = g.keys.loc[np.repeat(np.arange(G), B)].reset_index(drop=True)
    if out.shape[1] == 0:
        out = pd.DataFrame(index=range(G * B))
    out[age_band] = np.tile(np.array(LIFE_TABLE_BANDS, dtype=object), G)
    blank = np.repeat(bad, B)
    for name, arr in (
        ("mx", M),
        ("nx", n),
        ("ax", np.broadcast_to(a, (G, B))),
        ("qx", q),
        ("lx", lx),
        ("dx", d),
        ("Lx", L),
        ("Tx", T),
        ("ex", e),
    ):
        out[name] = np.where(blank, np.nan, np.asarray(arr, dtype=float).ravel())
    out["value_note"] = np.where(
        blank,
        "life table not formed: a band is missing or has no population, more deaths "
        "than population, or no deaths at 90+",
        None,
    )
    return out


def arriaga(
    data: pd.DataFrame,
    deaths: str,
    population: str,
    age_band: str,
    group: str,
    *,
    baseline: object,
    comparison: object,
    cause: str | None = None,
    group_by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Decompose the gap in life expectancy at birth between two groups by age band and cause.

    Method (Arriaga 1984; Preston, Heuveline & Guillot 2001, eq. 3.11; OHID Segment Tool). With
    group 1 the ``baseline`` and group 2 the ``comparison``, life tables ``l``, ``L``, ``T``
    (radix ``l_0``) from :func:`life_table`, the contribution of the band ``[x, x+n)`` is

    ``Δ_x = (l1_x / l1_0)(L2_x / l2_x − L1_x / l1_x)
    + (T2_{x+n} / l1_0)(l1_x / l2_x − l1_{x+n} / l2_{x+n})``

    (direct effect + indirect and interaction effect), and for the open band 90+
    ``Δ = (l1_x / l1_0)(T2_x / l2_x − T1_x / l1_x)``. The contributions sum exactly to
    ``e2_0 − e1_0``. With ``cause``, each band's contribution is split across causes in
    proportion to each cause's share of the difference in death rates,
    ``Δ_x,c = Δ_x (m2_x,c − m1_x,c) / (m2_x − m1_x)`` (where the rates are equal the band
    contributes nothing, and nothing is split).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group, life-table band (and cause): deaths and population. With causes,
        the population is repeated on each cause row of a band.
    deaths, population, age_band : str
    group : str
        Column naming the two groups being compared.
    baseline, comparison : object
        The values of ``group`` for group 1 and group 2: the gap is ``LE(comparison) −
        LE(baseline)``. For a deprivation gap with the SII's sign, baseline = most deprived,
        comparison = least deprived.
    cause : str, optional
        Column of the cause of death (deaths by cause sum to all deaths in a band).
    group_by : str or list of str, optional
        Separate decompositions (e.g. by sex).

    Returns
    -------
    pandas.DataFrame
        One row per group_by × band × cause: group columns, ``age_band``, ``cause`` (``"all"``
        without causes), ``years`` (contribution to the gap), ``le_baseline``,
        ``le_comparison``, ``gap``, ``value_note``. ``years`` sums to ``gap`` within each
        group.
    """
    group_by = as_list(group_by)
    chk = Checker(data, "arriaga")
    chk.columns(deaths, population, age_band, group, cause, *group_by)
    keys = [*group_by, group]
    sub = data[data[group].isin([baseline, comparison])]
    missing = [v for v in (baseline, comparison) if v not in set(sub[group])]
    if missing:
        chk.log.error(
            f"no rows for {format_values(missing)} in the column {group!r}.",
            column=group,
            fix="Name two values of the group column that are in the data.",
        )
        chk.raise_if()
    chk2 = Checker(sub, "arriaga")
    g, D3, P, seen, causes = _arrays(
        sub, deaths, population, age_band, keys, chk2, cause
    )
    D = D3.sum(-1)
    bad, M, n, a, q, lx, d, L, T, e = _tables(D, P, seen)
    kdf = g.keys
    outer = (
        kdf[group_by].drop_duplicates().reset_index(drop=True)
        if group_by
        else pd.DataFrame(index=[0])
    )
    rows = []
    B, C = len(LIFE_TABLE_BANDS), len(causes)
    for _, okey in outer.iterrows():
        m = np.ones(len(kdf), dtype=bool)
        for c in group_by:
            m &= (kdf[c] == okey[c]).to_numpy()
        i1 = np.flatnonzero(m & (kdf[group] == baseline).to_numpy())
        i2 = np.flatnonzero(m & (kdf[group] == comparison).to_numpy())
        base = {c: okey[c] for c in group_by}
        if len(i1) == 0 or len(i2) == 0 or bad[i1[0]] or bad[i2[0]]:
            note = "life table not formed for one of the groups"
            for b in range(B):
                for c in causes:
                    rows.append(
                        {
                            **base,
                            age_band: LIFE_TABLE_BANDS[b],
                            "cause": c,
                            "years": np.nan,
                            "le_baseline": np.nan,
                            "le_comparison": np.nan,
                            "gap": np.nan,
                            "value_note": note,
                        }
                    )
            continue
        a1, a2 = i1[0], i2[0]
        l1, l2, L1, L2, T1, T2 = lx[a1], lx[a2], L[a1], L[a2], T[a1], T[a2]
        delta = np.empty(B)
        delta[:-1] = (l1[:-1] / l1[0]) * (L2[:-1] / l2[:-1] - L1[:-1] / l1[:-1]) + (
            T2[1:] / l1[0]
        ) * (l1[:-1] / l2[:-1] - l1[1:] / l2[1:])
        delta[-1] = (l1[-1] / l1[0]) * (T2[-1] / l2[-1] - T1[-1] / l1[-1])
        if C > 1:
            m1 = D3[a1] / P[a1][:, None]
            m2 = D3[a2] / P[a2][:, None]
            dm = (m2 - m1).sum(1)
            with np.errstate(divide="ignore", invalid="ignore"):
                share = np.where(dm[:, None] != 0, (m2 - m1) / dm[:, None], 0.0)
            years = delta[:, None] * share
        else:
            years = delta[:, None]
        e1, e2 = T1[0] / l1[0], T2[0] / l2[0]
        for b in range(B):
            for ci, c in enumerate(causes):
                rows.append(
                    {
                        **base,
                        age_band: LIFE_TABLE_BANDS[b],
                        "cause": c,
                        "years": float(years[b, ci]),
                        "le_baseline": e1,
                        "le_comparison": e2,
                        "gap": e2 - e1,
                        "value_note": None,
                    }
                )
    return pd.DataFrame(rows)
