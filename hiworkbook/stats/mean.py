"""Means with Student's t confidence intervals (PHE method)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as st

from hiworkbook.stats._common import (
    Checker,
    Confidence,
    as_list,
    build_result,
    confidence_levels,
    make_groups,
    note_where,
)

__all__ = ["mean"]


def mean(
    data: pd.DataFrame,
    x: str,
    *,
    group_by: str | Sequence[str] | None = None,
    confidence: Confidence = 0.95,
) -> pd.DataFrame:
    """Mean of individual values with a t-distribution confidence interval.

    ``mean -/+ t_{(1+c)/2, n-1} s / sqrt(n)`` with ``s`` the sample standard deviation
    (PHEindicatormethods ``phe_mean``; PHE Technical Guide "Confidence intervals").

    Parameters
    ----------
    data : pandas.DataFrame
        One row per observation.
    x : str
        Column of the observations (missing values are an error).
    group_by : str or list of str, optional
    confidence : float or list of float, default 0.95

    Returns
    -------
    pandas.DataFrame
        Group columns, ``value_sum``, ``value_count``, ``stdev``, ``value``, CI columns,
        ``confidence``, ``method`` ("Student's t-distribution") and ``value_note`` (one
        observation: no interval).
    """
    levels = confidence_levels(confidence)
    group_by = as_list(group_by)
    chk = Checker(data, "mean")
    chk.columns(x, *group_by)
    xv = chk.numeric(x, nonnegative=False, what="values")
    chk.raise_if()
    g = make_groups(data, group_by)
    cnt = g.count().astype(float)
    total = g.sum(xv)
    m = total / cnt
    dev = xv - m[g.codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(g.sum(dev**2) / (cnt - 1))
        se = sd / np.sqrt(cnt)
    one = cnt < 2
    lowers, uppers = [], []
    for c in levels:
        t = np.where(one, np.nan, st.t.ppf(0.5 + c / 2, np.maximum(cnt - 1, 1)))
        lowers.append(m - t * se)
        uppers.append(m + t * se)
    return build_result(
        g.keys,
        {
            "value_sum": total,
            "value_count": cnt,
            "stdev": np.where(one, np.nan, sd),
            "value": m,
        },
        levels,
        lowers,
        uppers,
        "Student's t-distribution",
        note_where(one, "one observation: no confidence interval"),
    )
