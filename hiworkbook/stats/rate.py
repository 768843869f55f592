"""Crude rates with Byar's / exact Poisson confidence intervals (PHE method)."""

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

__all__ = ["rate"]


def rate(
    data: pd.DataFrame,
    x: str,
    n: str,
    *,
    group_by: str | Sequence[str] | None = None,
    confidence: Confidence = 0.95,
    multiplier: float = 100_000,
) -> pd.DataFrame:
    """Crude rate ``x / n * multiplier`` with PHE's Poisson confidence intervals.

    The interval of the count ``O`` is exact Poisson when ``O < 10``
    (``chi2_{a/2}(2O)/2``, ``chi2_{1-a/2}(2O+2)/2``) and Byar's approximation
    otherwise (Breslow & Day 1987), divided by ``n`` and multiplied, as in
    PHEindicatormethods ``phe_rate`` and the PHE Technical Guide
    "Confidence intervals".

    Parameters
    ----------
    data : pandas.DataFrame
        Counts and person-years (or populations).
    x, n : str
        Columns of events and of the population at risk.
    group_by : str or list of str, optional
        Columns defining the groups; counts are summed within each group.
    confidence : float or list of float, default 0.95
    multiplier : float, default 100,000
        Rate per ``multiplier`` population.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``numerator``, ``denominator``, ``value``, CI columns,
        ``confidence``, ``multiplier``, ``method`` ("Byar's" or "Exact") and
        ``value_note`` (zero denominator).

    Examples
    --------
    >>> df = pd.DataFrame({"x": [100], "n": [50_000]})
    >>> rate(df, "x", "n")[["value", "lower_ci", "upper_ci"]].round(2)
       value  lower_ci  upper_ci
    0  200.0    162.72    243.26
    """
    levels = confidence_levels(confidence)
    group_by = as_list(group_by)
    chk = Checker(data, "rate")
    chk.columns(x, n, *group_by)
    xv = chk.numeric(x, what="counts")
    nv = chk.numeric(n, what="denominators")
    chk.raise_if()
    g = make_groups(data, group_by)
    xs, ns = g.sum(xv), g.sum(nv)
    zero = ns <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(zero, np.nan, multiplier / ns)
    lowers, uppers = [], []
    for c in levels:
        lo, hi = poisson_limits(xs, c)
        lowers.append(lo * scale)
        uppers.append(hi * scale)
    method = np.where(xs < EXACT_BELOW, "Exact", "Byar's")
    return build_result(
        g.keys,
        {"numerator": xs, "denominator": ns, "value": xs * scale},
        levels,
        lowers,
        uppers,
        method,
        note_where(zero, "denominator is zero"),
        after={"multiplier": multiplier},
    )
