"""Funnel-plot control limits and the significance of each point (PHE method)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats as st

from hiworkbook.stats._common import (
    Checker,
    Confidence,
    as_list,
    confidence_levels,
    level_suffix,
    make_groups,
    z_value,
)

__all__ = ["funnel_curve", "funnel_limits"]

Statistic = Literal["proportion", "rate", "ratio"]


def _limits(
    target: np.ndarray, n: np.ndarray, statistic: str, c: float, multiplier: float
) -> tuple[np.ndarray, np.ndarray]:
    """Control limits at denominator ``n`` around ``target`` (on the multiplier scale)."""
    target = np.asarray(target, dtype=float)
    n = np.asarray(n, dtype=float)
    a = 1 - c
    with np.errstate(divide="ignore", invalid="ignore"):
        if statistic == "proportion":
            p0 = target / multiplier
            half = z_value(c) * np.sqrt(p0 * (1 - p0) / n)
            lo, hi = np.clip(p0 - half, 0, 1), np.clip(p0 + half, 0, 1)
            return lo * multiplier, hi * multiplier
        # rate: expected count r0 n; ratio: n is the expected count and target the ratio
        expected = target / multiplier * n
        lo = np.where(expected > 0, st.chi2.ppf(a / 2, 2 * expected) / 2, 0.0)
        hi = st.chi2.ppf(1 - a / 2, 2 * expected + 2) / 2
        return lo / n * multiplier, hi / n * multiplier


def funnel_limits(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    *,
    statistic: Statistic = "proportion",
    multiplier: float = 1,
    target: float | None = None,
    group_by: str | Sequence[str] | None = None,
    confidence: Confidence = (0.95, 0.998),
) -> pd.DataFrame:
    """Each point's value, its funnel control limits and whether it lies outside them.

    The target is the pooled value of the group (``sum numerator / sum denominator``;
    1 for ratios) unless given. At a point's denominator ``n``:

    - proportions: ``p0 -/+ z sqrt(p0 (1 - p0) / n)`` (Spiegelhalter 2005) — the inverse of
      the Wilson score interval, so a point is outside the limits exactly when its Wilson
      interval excludes the target;
    - rates: exact Poisson limits of the expected count ``E = r0 n``
      (``chi2_{a/2}(2E)/2`` and ``chi2_{1-a/2}(2E+2)/2``) divided by ``n``;
    - ratios (ISR/SMR, ``numerator`` observed and ``denominator`` expected): the same Poisson
      limits of ``E`` divided by ``E``.

    As PHEindicatormethods ``calculate_funnel_limits`` / ``assign_funnel_significance`` and
    the PHE funnel-plot tools, 95% and 99.8% limits by default.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per point (e.g. area).
    numerator, denominator : str
        Counts and denominators (expected counts for ratios).
    statistic : {"proportion", "rate", "ratio"}
    multiplier : float, default 1
        Scale of the values (100 for percentages, 100,000 for rates per 100,000).
    target : float, optional
        Centre line on the multiplier scale; default the pooled value.
    group_by : str or list of str, optional
        Separate funnels (targets) per group.
    confidence : float or list of float, default (0.95, 0.998)

    Returns
    -------
    pandas.DataFrame
        ``data`` with ``value``, ``target``, ``lower_limit_95``, ``upper_limit_95``,
        ``lower_limit_99_8``, ``upper_limit_99_8`` and ``significance_95``,
        ``significance_99_8`` ("high", "low", "within", or "not compared" without a
        denominator).
    """
    if statistic not in ("proportion", "rate", "ratio"):
        raise ValueError("statistic must be 'proportion', 'rate' or 'ratio'")
    levels = confidence_levels(confidence)
    group_by = as_list(group_by)
    chk = Checker(data, "funnel_limits")
    chk.columns(numerator, denominator, *group_by)
    x = chk.numeric(numerator, what="numerators")
    n = chk.numeric(denominator, what="denominators")
    if statistic == "proportion":
        with np.errstate(invalid="ignore"):
            chk.rows(x > n, "the numerator is greater than the denominator", numerator)
    chk.raise_if()
    g = make_groups(data, group_by)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(n > 0, x / n * multiplier, np.nan)
        if target is None:
            if statistic == "ratio":
                t = np.full(g.n, float(multiplier))
            else:
                t = g.sum(x) / g.sum(n) * multiplier
            tv = t[g.codes]
        else:
            tv = np.full(len(data), float(target))
    out = data.copy()
    out["value"] = value
    out["target"] = tv
    for c in levels:
        lo, hi = _limits(tv, n, statistic, c, multiplier)
        s = level_suffix(c)
        out[f"lower_limit_{s}"] = lo
        out[f"upper_limit_{s}"] = hi
        sig = np.full(len(data), "within", dtype=object)
        with np.errstate(invalid="ignore"):
            sig[value > hi] = "high"
            sig[value < lo] = "low"
        sig[~(n > 0)] = "not compared"
        out[f"significance_{s}"] = sig
    return out


def funnel_curve(
    target: float,
    denominators: Sequence[float] | np.ndarray,
    *,
    statistic: Statistic = "proportion",
    multiplier: float = 1,
    confidence: Confidence = (0.95, 0.998),
) -> pd.DataFrame:
    """Control limits along a range of denominators, for drawing a funnel plot.

    Returns
    -------
    pandas.DataFrame
        ``denominator``, ``target`` and ``lower_limit_95`` … for each level.
    """
    levels = confidence_levels(confidence)
    n = np.asarray(denominators, dtype=float)
    out = pd.DataFrame({"denominator": n, "target": float(target)})
    for c in levels:
        lo, hi = _limits(np.full(len(n), float(target)), n, statistic, c, multiplier)
        out[f"lower_limit_{level_suffix(c)}"] = lo
        out[f"upper_limit_{level_suffix(c)}"] = hi
    return out
