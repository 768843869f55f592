"""Fingertips' recent-trend test: is an indicator increasing or decreasing over its last 5 points?

Fingertips marks each area's recent trend from the five most recent data points with a test at
99.8% confidence (chi-square with one degree of freedom above 9.5495) and an outlier check
(OHID, *Public Health Technical Guidance: trend markers*; the Fingertips source
``TrendMarkerCalculator``; PHEindicatormethods ``assign_trend_markers``):

- **proportions** — the chi-square test for linear trend in proportions (Armitage 1955;
  Cochran 1954; the statistic of R's ``prop.trend.test``) from the numerators and denominators;
  the direction is the slope of the least-squares line through the logits
  ``log(x / (n - x))``;
- **everything else** (crude and directly standardised rates, ratios, life expectancy, the SII,
  means) — a weighted least-squares line through the values with weights ``1 / se²``, where
  ``se = (upper - lower) / 3.92`` from each point's 95% confidence interval; the statistic is
  ``(slope / se(slope))²``;
- **outliers** — a significant trend is reported only if the slope keeps its sign when each of
  the five points in turn is left out; otherwise "No significant change".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as st

from hiworkbook.stats._common import Checker, as_list, make_groups, z_value

__all__ = [
    "TREND_LABELS",
    "TREND_POINTS",
    "recent_trend",
    "trend_label",
]

#: Fingertips uses the five most recent points.
TREND_POINTS = 5

#: Fingertips' recent-trend labels by direction and polarity.
TREND_LABELS = {
    ("increasing", "high_is_good"): "Increasing and getting better",
    ("increasing", "low_is_good"): "Increasing and getting worse",
    ("increasing", "no_judgement"): "Increasing",
    ("decreasing", "high_is_good"): "Decreasing and getting worse",
    ("decreasing", "low_is_good"): "Decreasing and getting better",
    ("decreasing", "no_judgement"): "Decreasing",
}
_NO_CHANGE = "No significant change"
_CANNOT = "Could not be calculated"


def trend_label(direction: str, polarity: str = "no_judgement") -> str:
    """Fingertips' words for a trend direction under an indicator's polarity.

    Parameters
    ----------
    direction : {"increasing", "decreasing", "no significant change", "could not be calculated"}
    polarity : {"high_is_good", "low_is_good", "no_judgement"}

    Returns
    -------
    str
        e.g. ``"Decreasing and getting better"`` for a falling mortality rate.
    """
    if direction == "no significant change":
        return _NO_CHANGE
    if direction == "could not be calculated":
        return _CANNOT
    key = (direction, polarity if polarity in _POLARITIES else "no_judgement")
    return TREND_LABELS[key]


_POLARITIES = ("high_is_good", "low_is_good", "no_judgement")


def _wls_slope(y, w, t, m):
    """Weighted slope, its standard error (rows are groups; ``m`` masks points in use)."""
    w = np.where(m, w, 0.0)
    y = np.where(m, y, 0.0)
    s1 = w.sum(1)
    s2 = (w * y * t).sum(1)
    s3 = (w * t).sum(1)
    s4 = (w * y).sum(1)
    s5 = (w * t * t).sum(1)
    with np.errstate(divide="ignore", invalid="ignore"):
        den = s1 * s5 - s3**2
        slope = (s1 * s2 - s3 * s4) / den
        se = np.sqrt(s1 / den)
    return slope, se


def _ols_slope(y, t, m):
    return _wls_slope(y, np.ones_like(y), t, m)[0]


def recent_trend(
    data: pd.DataFrame,
    period: str,
    *,
    value_type: str,
    value: str | None = None,
    lower_ci: str | None = None,
    upper_ci: str | None = None,
    numerator: str | None = None,
    denominator: str | None = None,
    group_by: str | Sequence[str] | None = None,
    polarity: str | None = "no_judgement",
    confidence: float = 0.998,
    ci_confidence: float = 0.95,
    points: int = TREND_POINTS,
) -> pd.DataFrame:
    """Fingertips' recent-trend marker for each group, from its ``points`` most recent periods.

    Method (OHID Fingertips trend markers; PHEindicatormethods ``assign_trend_markers``): over
    the last five periods ``t = 1 … 5`` of each group,

    - ``value_type="proportion"``: the chi-square test for linear trend in proportions,
      ``X² = N (N Σ x_t t − X Σ n_t t)² / (X (N − X) (N Σ n_t t² − (Σ n_t t)²))`` with
      ``x_t`` events out of ``n_t``, ``X = Σ x_t``, ``N = Σ n_t``; direction from the
      least-squares slope of ``log(x_t / (n_t − x_t))`` on ``t``;
    - ``value_type="other"`` (rates, DSRs, ratios, life expectancy, SII, means): weighted least
      squares of the value on ``t`` with weights ``w_t = 1 / se_t²``, ``se_t = (upper_t −
      lower_t) / (2 z)`` (``z`` of ``ci_confidence``, 1.96 for the 95% limits, so ``/ 3.92``);
      ``X² = (b / se(b))²`` with ``b = (Σw Σwyt − Σwt Σwy) / (Σw Σwt² − (Σwt)²)`` and
      ``se(b)² = Σw / (Σw Σwt² − (Σwt)²)``.

    The trend is significant when ``X²`` exceeds the chi-square (1 df) quantile of
    ``confidence`` (9.5495 at 99.8%) **and** the slope keeps its sign when each point in turn
    is left out (Fingertips' outlier check).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and period.
    period : str
        Period column; periods are ordered as sorted text (``"2019"`` … ``"2024"``,
        ``"2019/20"`` … — the form Fingertips and ONS use). Points are taken as equally spaced.
    value_type : {"proportion", "other"}
    value, lower_ci, upper_ci : str, optional
        Value and its 95% limits (needed for ``"other"``).
    numerator, denominator : str, optional
        Events and population (needed for ``"proportion"``).
    group_by : str or list of str, optional
        One marker per group (e.g. indicator × area × sex).
    polarity : str, optional
        ``"high_is_good"``, ``"low_is_good"`` or ``"no_judgement"``; or the name of a column
        of ``data`` holding each group's polarity.
    confidence : float, default 0.998
        Level of the test (Fingertips: 99.8%).
    ci_confidence : float, default 0.95
        Level of the limits given.
    points : int, default 5
        Most recent points used; fewer gives "Could not be calculated".

    Returns
    -------
    pandas.DataFrame
        One row per group: group columns, ``trend`` (Fingertips' words with polarity, e.g.
        "Decreasing and getting better", "No significant change", "Could not be
        calculated"), ``trend_direction`` ("increasing", "decreasing", "no significant
        change", "could not be calculated"), ``chi_square``, ``slope`` (per period, on the
        value scale for ``"other"``, the logit scale for proportions), ``points_used``,
        ``first_period``, ``last_period``, ``trend_note`` (the reason).

    Notes
    -----
    "Could not be calculated" (with the reason in ``trend_note``) when a group has fewer than
    ``points`` periods; when one of its last ``points`` periods has a missing value or limit
    (e.g. suppressed for small numbers) or, for proportions, a missing count; when a
    confidence interval has zero width (no weight); for proportions, when a period has no
    events or only events (``x = 0`` or ``x = n``: the logit is undefined), or all ``X = 0``.
    """
    if value_type not in ("proportion", "other"):
        raise ValueError('value_type must be "proportion" or "other"')
    points = int(points)
    if points < 3:
        raise ValueError("points must be at least 3 (Fingertips uses 5)")
    group_by = as_list(group_by)
    chk = Checker(data, "recent_trend")
    pol_col = polarity if polarity is not None and polarity in data.columns else None
    if pol_col is None and polarity not in _POLARITIES:
        raise ValueError(
            f"polarity must be one of {', '.join(_POLARITIES)} or a column name"
        )
    if value_type == "proportion":
        if numerator is None or denominator is None:
            raise ValueError("proportions need numerator and denominator columns")
        chk.columns(period, numerator, denominator, pol_col, *group_by)
        xv = chk.numeric(numerator, allow_nan=True, what="numerators")
        nv = chk.numeric(denominator, allow_nan=True, what="denominators")
        with np.errstate(invalid="ignore"):
            chk.rows(xv > nv, "the numerator is larger than the denominator", numerator)
        chk.raise_if()
        yv = lov = hiv = np.full(len(data), np.nan)
    else:
        if value is None or lower_ci is None or upper_ci is None:
            raise ValueError("value_type 'other' needs value, lower_ci and upper_ci")
        chk.columns(period, value, lower_ci, upper_ci, pol_col, *group_by)
        yv = chk.numeric(value, nonnegative=False, allow_nan=True, what="values")
        lov = chk.numeric(lower_ci, nonnegative=False, allow_nan=True, what="limits")
        hiv = chk.numeric(upper_ci, nonnegative=False, allow_nan=True, what="limits")
        chk.raise_if()
        xv = nv = np.full(len(data), np.nan)
    g = make_groups(data, group_by)
    per = data[period].astype(str).to_numpy()
    dup = pd.Series(list(zip(g.codes, per, strict=True))).duplicated(keep=False)
    chk.rows(
        dup.to_numpy(),
        "the same group and period appear more than once",
        period,
        fix="Give one row per group and period (sum or filter the others).",
    )
    chk.raise_if()

    G, K = g.n, points
    order = np.lexsort((per, g.codes))
    codes_s = g.codes[order]
    n_per_group = np.bincount(g.codes, minlength=G)
    # position from the end within the group (0 = latest)
    idx = np.arange(len(order))
    start = np.r_[0, np.cumsum(n_per_group)[:-1]]
    from_end = (start + n_per_group)[codes_s] - 1 - idx
    keep = from_end < K
    rows = order[keep]
    slot = K - 1 - from_end[keep]  # 0 … K-1, oldest first
    gc = codes_s[keep]

    def grid(arr):
        out = np.full((G, K), np.nan)
        out[gc, slot] = arr[rows]
        return out

    t = np.broadcast_to(np.arange(1, K + 1, dtype=float), (G, K))
    first_p = np.full(G, None, dtype=object)
    last_p = np.full(G, None, dtype=object)
    enough = n_per_group >= K
    pg = np.full((G, K), None, dtype=object)
    pg[gc, slot] = per[rows]
    first_p[enough] = pg[enough, 0]
    last_p[n_per_group > 0] = pg[n_per_group > 0, K - 1]

    reason = np.array(
        [
            "" if c >= K else f"fewer than {K} periods of data (only {c})"
            for c in n_per_group
        ],
        dtype=object,
    )

    if value_type == "proportion":
        X, N = grid(xv), grid(nv)
        missing = ~np.isfinite(X) | ~np.isfinite(N)
        reason = np.where(
            enough & (reason == "") & missing.any(1),
            "a count is missing in one of the periods",
            reason,
        )
        edge = (X <= 0) | (X >= N)
        reason = np.where(
            enough & (reason == "") & edge.any(1),
            "a period has no events or only events (the proportion is 0% or 100%)",
            reason,
        )
        ok = enough & (reason == "")
        Xs, Ns = np.where(ok[:, None], X, 1.0), np.where(ok[:, None], N, 3.0)
        sx, sn = Xs.sum(1), Ns.sum(1)
        sxt, snt, snt2 = (Xs * t).sum(1), (Ns * t).sum(1), (Ns * t * t).sum(1)
        with np.errstate(divide="ignore", invalid="ignore"):
            chi2 = (
                sn
                * (sn * sxt - sx * snt) ** 2
                / (sx * (sn - sx) * (sn * snt2 - snt**2))
            )
            y = np.log(Xs / (Ns - Xs))
        m_all = np.ones((G, K), dtype=bool)
        slope = _ols_slope(y, t, m_all)
        loo = [_ols_slope(y, t, m_all & (np.arange(K) != j)) for j in range(K)]
    else:
        Y, LO, HI = grid(yv), grid(lov), grid(hiv)
        missing = ~np.isfinite(Y) | ~np.isfinite(LO) | ~np.isfinite(HI)
        reason = np.where(
            enough & (reason == "") & missing.any(1),
            "a value or confidence limit is missing in one of the periods "
            "(e.g. suppressed)",
            reason,
        )
        se = (HI - LO) / (2 * z_value(ci_confidence))
        reason = np.where(
            enough & (reason == "") & (np.nan_to_num(se) <= 0).any(1),
            "a confidence interval has zero width",
            reason,
        )
        ok = enough & (reason == "")
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(ok[:, None], 1.0 / se**2, 1.0)
        y = np.where(ok[:, None], Y, 0.0)
        m_all = np.ones((G, K), dtype=bool)
        slope, se_b = _wls_slope(y, w, t, m_all)
        with np.errstate(divide="ignore", invalid="ignore"):
            chi2 = (slope / se_b) ** 2
        loo = [_wls_slope(y, w, t, m_all & (np.arange(K) != j))[0] for j in range(K)]

    crit = float(st.chi2.ppf(confidence, 1))
    signif = ok & (chi2 > crit)
    same_sign = np.all([np.sign(s) == np.sign(slope) for s in loo], axis=0)
    direction = np.where(
        ~ok,
        "could not be calculated",
        np.where(
            signif & same_sign,
            np.where(slope > 0, "increasing", "decreasing"),
            "no significant change",
        ),
    ).astype(object)
    reason = np.where(
        ok,
        np.where(
            signif & same_sign,
            "significant trend, no outlier",
            np.where(
                signif,
                "outlier: leaving one point out reverses the slope",
                "no significant trend",
            ),
        ),
        reason,
    ).astype(object)

    out = g.keys.reset_index(drop=True).copy()
    if out.shape[1] == 0:
        out = pd.DataFrame(index=range(G))
    if pol_col is not None:
        pol = data[pol_col].groupby(g.codes).first().reindex(range(G)).to_numpy()
    else:
        pol = np.full(G, polarity, dtype=object)
    out["trend"] = [trend_label(d, p) for d, p in zip(direction, pol, strict=True)]
    out["trend_direction"] = direction
    out["chi_square"] = np.where(ok, chi2, np.nan)
    out["slope"] = np.where(ok, slope, np.nan)
    out["points_used"] = np.minimum(n_per_group, K)
    out["first_period"] = first_p
    out["last_period"] = last_p
    out["trend_note"] = reason
    out["trend_method"] = (
        "chi-square test for trend in proportions"
        if value_type == "proportion"
        else "weighted least squares on values (weights 1/se²)"
    ) + f", last {K} points, {confidence:.1%} (Fingertips)"
    return out
