"""Indirectly standardised rates and ratios (PHE method: Byar's / exact on the observed count)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hiworkbook.stats._common import (
    EXACT_BELOW,
    Checker,
    Confidence,
    as_list,
    build_result,
    confidence_levels,
    make_groups,
    note_where,
    poisson_limits,
)
from hiworkbook.validate import format_values

__all__ = ["isr", "isratio"]


def _expected(
    data: pd.DataFrame,
    x: str,
    n: str,
    age_band: str | None,
    reference: pd.DataFrame | None,
    ref_x: str,
    ref_n: str,
    group_by: list[str],
    function: str,
):
    chk = Checker(data, function)
    chk.columns(x, n, *group_by)
    xv = chk.numeric(x, what="counts")
    nv = chk.numeric(n, what="populations")
    if reference is None:
        chk.columns(ref_x, ref_n)
        rx = chk.numeric(ref_x, what="reference counts")
        rn = chk.numeric(ref_n, positive=True, what="reference populations")
    else:
        if age_band is None:
            raise ValueError("age_band is needed to match rows to the reference table")
        chk.columns(age_band)
        rchk = Checker(reference, f"{function} (reference)")
        rchk.columns(age_band, ref_x, ref_n)
        rxs = rchk.numeric(ref_x, what="reference counts")
        rns = rchk.numeric(ref_n, positive=True, what="reference populations")
        rchk.raise_if()
        ref_bands = reference[age_band].astype(str)
        if ref_bands.duplicated().any():
            rchk.log.error(
                f"reference age bands repeated: {format_values(ref_bands[ref_bands.duplicated()])}",
                column=age_band,
            )
            rchk.raise_if()
        pos = pd.Index(ref_bands).get_indexer(data[age_band].astype(str))
        chk.rows(
            pos < 0,
            f"age band(s) {format_values(data[age_band][pos < 0].astype(str))} are not in "
            "the reference table",
            age_band,
            fix="Give the reference rates for every age band in the data.",
        )
        chk.raise_if()
        rx, rn = rxs[pos], rns[pos]
    chk.raise_if()
    g = make_groups(data, group_by)
    observed = g.sum(xv)
    expected = g.sum(nv * rx / rn)
    # the reference rate over all the reference bands used
    if reference is None:
        ref_rate = g.sum(rx) / g.sum(rn)
    else:
        ref_rate = np.full(g.n, rxs.sum() / rns.sum())
    return g, observed, g.sum(nv), expected, ref_rate


def isratio(
    data: pd.DataFrame,
    x: str,
    n: str,
    age_band: str | None = None,
    *,
    reference: pd.DataFrame | None = None,
    ref_x: str = "ref_x",
    ref_n: str = "ref_n",
    group_by: str | Sequence[str] | None = None,
    confidence: Confidence = 0.95,
    multiplier: float = 1,
) -> pd.DataFrame:
    """Indirectly standardised ratio (e.g. SMR): observed / expected.

    ``E = sum_i n_i R_i / N_i`` from the reference counts ``R_i`` and populations ``N_i``
    in each age band; ``ratio = O / E * multiplier`` with the limits of ``O`` (exact Poisson
    for ``O < 10``, Byar's otherwise) divided by ``E`` (PHEindicatormethods
    ``calculate_ISRatio``; Breslow & Day 1987).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and age band.
    x, n : str
        Observed events and population in each band.
    age_band : str, optional
        Band column; needed with ``reference``.
    reference : pandas.DataFrame, optional
        Reference table with ``age_band``, ``ref_x`` and ``ref_n`` columns. Without it,
        ``ref_x`` and ``ref_n`` name columns of ``data``.
    ref_x, ref_n : str
        Reference events and population columns.
    group_by : str or list of str, optional
    confidence : float or list of float, default 0.95
    multiplier : float, default 1
        1 for a ratio, 100 for a ratio per 100.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``observed``, ``expected``, ``value``, CI columns, ``confidence``,
        ``multiplier``, ``method``, ``value_note``.
    """
    levels = confidence_levels(confidence)
    group_by = as_list(group_by)
    g, obs, _pop, exp, _ = _expected(
        data, x, n, age_band, reference, ref_x, ref_n, group_by, "isratio"
    )
    no_exp = exp <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(no_exp, np.nan, multiplier / exp)
    lowers, uppers = [], []
    for c in levels:
        lo, hi = poisson_limits(obs, c)
        lowers.append(lo * scale)
        uppers.append(hi * scale)
    return build_result(
        g.keys,
        {"observed": obs, "expected": exp, "value": obs * scale},
        levels,
        lowers,
        uppers,
        np.where(obs < EXACT_BELOW, "Exact", "Byar's"),
        note_where(no_exp, "expected count is zero"),
        after={"multiplier": multiplier},
    )


def isr(
    data: pd.DataFrame,
    x: str,
    n: str,
    age_band: str | None = None,
    *,
    reference: pd.DataFrame | None = None,
    ref_x: str = "ref_x",
    ref_n: str = "ref_n",
    group_by: str | Sequence[str] | None = None,
    confidence: Confidence = 0.95,
    multiplier: float = 100_000,
) -> pd.DataFrame:
    """Indirectly standardised rate: ``O / E`` times the reference population's crude rate.

    ``ISR = O / E * (sum R_i / sum N_i) * multiplier``; the limits are those of ``O``
    (exact Poisson for ``O < 10``, Byar's otherwise) scaled the same way
    (PHEindicatormethods ``calculate_ISRate``). Parameters as :func:`isratio`; the default
    multiplier is 100,000.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``observed``, ``expected``, ``denominator``, ``value``, CI columns,
        ``confidence``, ``multiplier``, ``method``, ``value_note``.
    """
    levels = confidence_levels(confidence)
    group_by = as_list(group_by)
    g, obs, pop, exp, ref_rate = _expected(
        data, x, n, age_band, reference, ref_x, ref_n, group_by, "isr"
    )
    no_exp = exp <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(no_exp, np.nan, ref_rate * multiplier / exp)
    lowers, uppers = [], []
    for c in levels:
        lo, hi = poisson_limits(obs, c)
        lowers.append(lo * scale)
        uppers.append(hi * scale)
    return build_result(
        g.keys,
        {"observed": obs, "expected": exp, "denominator": pop, "value": obs * scale},
        levels,
        lowers,
        uppers,
        np.where(obs < EXACT_BELOW, "Exact", "Byar's"),
        note_where(no_exp, "expected count is zero"),
        after={"multiplier": multiplier},
    )
