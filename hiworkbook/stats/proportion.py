"""Proportions with Wilson score confidence intervals (PHE / Fingertips method)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hiworkbook.stats._common import (
    Checker,
    Confidence,
    as_list,
    build_result,
    confidence_levels,
    make_groups,
    note_where,
    z_value,
)

__all__ = ["proportion", "wilson_limits"]


def wilson_limits(
    x: np.ndarray, n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits of the proportion x/n (on the 0-1 scale).

    ``(2x + z^2 -/+ z sqrt(z^2 + 4x(1 - x/n))) / (2(n + z^2))`` (Wilson 1927;
    Newcombe & Altman 2000). NaN where ``n == 0``.
    """
    x = np.asarray(x, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        root = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
        lo = (2 * x + z**2 - root) / (2 * (n + z**2))
        hi = (2 * x + z**2 + root) / (2 * (n + z**2))
    bad = n <= 0
    lo = np.clip(np.where(bad, np.nan, lo), 0.0, 1.0)
    hi = np.clip(np.where(bad, np.nan, hi), 0.0, 1.0)
    return lo, hi


def proportion(
    data: pd.DataFrame,
    x: str,
    n: str,
    *,
    group_by: str | Sequence[str] | None = None,
    confidence: Confidence = 0.95,
    multiplier: float = 1,
) -> pd.DataFrame:
    """Proportion of ``n`` with the attribute ``x``, with Wilson score intervals.

    Counts are summed within each group, then
    ``value = x / n * multiplier`` with the Wilson score interval (Wilson 1927,
    as in PHEindicatormethods ``phe_proportion`` and the PHE Technical Guide
    "Confidence intervals").

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit (e.g. small area), or already one per group.
    x, n : str
        Columns holding the numerator (people with the attribute) and the
        denominator (people).
    group_by : str or list of str, optional
        Columns defining the groups; one output row per group.
    confidence : float or list of float, default 0.95
        0.95, 0.998, 95, 99.8 or a list of them.
    multiplier : {1, 100}, default 1
        1 for a proportion, 100 for a percentage.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``numerator``, ``denominator``, ``value``, ``lower_ci``,
        ``upper_ci`` (``lower_ci_95`` … with several levels), ``confidence``,
        ``multiplier``, ``method`` and ``value_note`` (why a value is missing:
        a zero denominator).

    Raises
    ------
    hiworkbook.validate.DataError
        Missing, negative or non-numeric counts, or ``x > n``.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [65], "n": [100]})
    >>> proportion(df, "x", "n", multiplier=100)[["value", "lower_ci", "upper_ci"]].round(2)
       value  lower_ci  upper_ci
    0   65.0     55.25     73.64
    """
    levels = confidence_levels(confidence)
    group_by = as_list(group_by)
    chk = Checker(data, "proportion")
    chk.columns(x, n, *group_by)
    xv = chk.numeric(x, what="numerators")
    nv = chk.numeric(n, what="denominators")
    with np.errstate(invalid="ignore"):
        chk.rows(
            xv > nv,
            "the numerator is greater than the denominator",
            x,
            fix=f"A proportion needs {x} <= {n}; check the two columns.",
        )
    chk.raise_if()
    g = make_groups(data, group_by)
    xs, ns = g.sum(xv), g.sum(nv)
    zero = ns <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(zero, np.nan, xs / ns) * multiplier
    lowers, uppers = [], []
    for c in levels:
        lo, hi = wilson_limits(xs, ns, c)
        lowers.append(lo * multiplier)
        uppers.append(hi * multiplier)
    return build_result(
        g.keys,
        {"numerator": xs, "denominator": ns, "value": value},
        levels,
        lowers,
        uppers,
        "Wilson",
        note_where(zero, "denominator is zero"),
        after={"multiplier": multiplier},
    )
