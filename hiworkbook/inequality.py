"""Measures of inequality across deprivation quantiles.

- :func:`quantiles` — area quantiles within groups (unweighted or population-weighted),
- :func:`sii` — slope and relative index of inequality (Low & Low 2004; PHEindicatormethods
  ``phe_sii``), with Monte-Carlo confidence intervals vectorised across groups,
- :func:`gap` — absolute and relative gap between the most and least deprived quantiles.

Sign convention (as PHEindicatormethods): quantile 1 is the **most deprived**; the SII is the
fitted value at the least deprived end of the regression line minus the fitted value at the most
deprived end. A positive SII means the indicator rises from the most to the least deprived.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hiworkbook.stats._common import (
    Checker,
    Confidence,
    as_list,
    ci_names,
    confidence_label,
    confidence_levels,
    fail,
    join_notes,
    make_groups,
    note_where,
    z_value,
)
from hiworkbook.validate import format_values

__all__ = ["gap", "quantiles", "sii"]

#: Budget of simulated values held in memory at once by :func:`sii` (reps × groups × quantiles).
SIM_BUDGET = 6_000_000


# ------------------------------------------------------------------ quantiles
def quantiles(
    data: pd.DataFrame,
    value: str,
    n_quantiles: int,
    population: str | None = None,
    *,
    invert: bool = True,
    group_by: str | Sequence[str] | None = None,
    name: str = "quantile",
    method: str = "phe",
) -> pd.DataFrame:
    """Assign each area to a quantile of ``value`` within its group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area.
    value : str
        Column to rank (e.g. ``imd_score`` or ``imd_rank``).
    n_quantiles : int
        Number of quantiles (5 for quintiles, 10 for deciles).
    population : str, optional
        Population column. Without it, every area counts once (PHEindicatormethods
        ``calculate_quantiles``); with it, quantiles hold (as near as whole areas allow)
        equal shares of the population, e.g. to re-base national IMD scores to a place's own
        population quintiles.
    invert : bool, default True
        True: the **highest** values get quantile 1 (right for IMD scores, where high = most
        deprived). False: the lowest values get quantile 1 (right for IMD ranks, where rank 1
        = most deprived).
    group_by : str or list of str, optional
        Quantiles are formed separately within each group (e.g. each place).
    name : str, default "quantile"
        Name of the added column.
    method : {"phe", "ceiling"}, default "phe"
        Rule for unweighted quantiles (ignored with ``population``). ``"phe"``:
        PHEindicatormethods ``phe_quantile`` (the rule behind Fingertips' local quantiles):
        ``q = floor((k + 1) - ceil((N + 1 - r) / (N / k)))``, 0 becomes 1, and **missing for
        every area of a group with fewer than k areas with values**. ``"ceiling"``:
        ``q = ceil(r k / N)``, with a quantile for every area however small the group.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with an integer column ``name`` (``<NA>`` where ``value`` is
        missing).

    Notes
    -----
    Areas are ordered by value (direction set by ``invert``). Unweighted, an area of rank
    ``r`` ("min" ranking of ties) among the ``N`` areas of its group with a value goes to
    quantile ``floor((k + 1) - ceil((N + 1 - r) / (N / k)))`` with ``method="phe"`` (computed
    in floating point exactly as ``phe_quantile``, so boundary cases agree; results are kept
    within 1..k), or ``ceil(r k / N)`` with ``method="ceiling"``. The two differ at
    boundaries: on 25 areas in deciles, ranks 3, 8, 13, 18 and 23 get deciles 1, 3, 5, 7, 9
    under PHE's rule and 2, 4, 6, 8, 10 under the ceiling rule. Weighted: an area goes to
    quantile ``floor(k m / P) + 1`` (at most ``k``), where ``m`` is the cumulative population
    at its midpoint and ``P`` the group's total. **Ties**: areas with equal values are one
    block and always share a quantile — unweighted, all take the rank of the first of them
    ("min" ranking); weighted, the block's cumulative-population midpoint decides. So a
    quantile can hold more or fewer areas than ``N/k`` when values are tied, and the result
    never depends on the order of the rows.
    """
    if int(n_quantiles) != n_quantiles or n_quantiles < 2:
        raise ValueError("n_quantiles must be an integer of at least 2")
    if method not in ("phe", "ceiling"):
        raise ValueError('method must be "phe" (PHEindicatormethods) or "ceiling"')
    k = int(n_quantiles)
    group_by = as_list(group_by)
    chk = Checker(data, "quantiles")
    chk.columns(value, population, *group_by)
    vals = chk.numeric(value, nonnegative=False, allow_nan=True, what="values")
    pop = (
        chk.numeric(population, what="populations")
        if population is not None
        else np.ones(len(data))
    )
    chk.raise_if()
    g = make_groups(data, group_by)
    out_q = np.full(len(data), -1, dtype=np.int64)
    valid = np.flatnonzero(~np.isnan(vals))
    if len(valid):
        key = -vals[valid] if invert else vals[valid]
        codes = g.codes[valid]
        order = np.lexsort((key, codes))
        sc, sk, w = codes[order], key[order], pop[valid][order]
        m = len(order)
        idx = np.arange(m)
        new_group = np.r_[True, sc[1:] != sc[:-1]]
        new_block = new_group | np.r_[True, sk[1:] != sk[:-1]]
        gstart = np.maximum.accumulate(np.where(new_group, idx, 0))
        bstart = np.maximum.accumulate(np.where(new_block, idx, 0))
        if population is None:
            n_per = np.bincount(sc, minlength=g.n)[sc]
            rank = bstart - gstart + 1
            if method == "ceiling":
                q = (rank * k + n_per - 1) // n_per
            else:
                # phe_quantile, in the same floating-point arithmetic as R
                nf = n_per.astype(float)
                qf = np.floor((k + 1) - np.ceil(((nf + 1) - rank) / (nf / k)))
                q = np.clip(np.where(qf == 0, 1, qf), 1, k).astype(np.int64)
                q = np.where(n_per < k, -1, q)
        else:
            cum = np.cumsum(w)
            before = cum - w  # population before each row (global)
            base = before[gstart]
            block_id = np.cumsum(new_block) - 1
            block_pop = np.bincount(block_id, weights=w)[block_id]
            mid = before[bstart] - base + block_pop / 2
            total = np.bincount(sc, weights=w, minlength=g.n)[sc]
            with np.errstate(divide="ignore", invalid="ignore"):
                q = np.floor(mid / total * k).astype(np.int64) + 1
            q = np.where(total > 0, np.clip(q, 1, k), -1)
        res = np.empty(m, dtype=np.int64)
        res[order] = q
        out_q[valid] = res
    out = data.copy()
    out[name] = pd.array(np.where(out_q > 0, out_q, 0), dtype="Int64")
    out.loc[out_q <= 0, name] = pd.NA
    return out


# ------------------------------------------------------------------ SII
def _transform(v: np.ndarray, value_type: int, scale: float) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        if value_type == 1:
            return np.log(v)
        if value_type == 2:
            p = v / scale
            return np.log(p / (1 - p))
    return v


def _back(t: np.ndarray, value_type: int, scale: float) -> np.ndarray:
    """Back-transform in place (``t`` is overwritten)."""
    if value_type == 1:
        return np.exp(t, out=t)
    if value_type == 2:
        np.negative(t, out=t)
        np.exp(t, out=t)
        t += 1
        return np.divide(scale, t, out=t)
    return t


def _weighted_sums(draws: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each simulation's weighted sum over the quantiles, ``sum_k w[g, k] draws[g, k, r]``, in
    float32: one vector-matrix product per group (BLAS)."""
    return np.matmul(weights.astype(np.float32)[:, None, :], draws)[:, 0, :]


def _sim_quantiles(sims: np.ndarray, probs: Sequence[float]) -> np.ndarray:
    """``np.quantile(sims, probs, axis=1).T``, the same numbers, for probabilities in the tails.

    The simulated limits of an SII are a few order statistics near each end of 100,000 draws
    (ranks 99-100 and 2,499-2,500 for 95% and 99.8% limits). Each row's order statistics are
    found among the draws beyond a threshold taken from an evenly spaced sample of the row
    (:func:`_order_stats`), a few thousand values instead of a partition of all of them, then
    interpolated as numpy's default ``"linear"`` method (Hyndman & Fan type 7, R's default,
    which PHEindicatormethods uses): ``h = (n - 1) p``, between ranks ``floor(h)`` and
    ``floor(h) + 1``. A row with a NaN is left to ``np.quantile``.
    """
    G, n = sims.shape
    q = np.asarray(probs, dtype=np.float64)
    virtual = (n - 1) * q  # numpy's linear method, to the last bit
    prev = np.floor(virtual)
    nxt = prev + 1
    top = virtual >= n - 1
    prev[top] = nxt[top] = n - 1
    gamma = virtual - prev
    pi, ni = prev.astype(np.intp), nxt.astype(np.intp)
    ranks = np.unique(np.concatenate([pi, ni]))
    at_prev, at_next = np.searchsorted(ranks, pi), np.searchsorted(ranks, ni)
    out = np.empty((G, len(q)))
    for g in range(G):
        x = sims[g]
        if np.isnan(x).any():
            out[g] = np.quantile(x, q)
            continue
        v = _order_stats(x, ranks)
        a, b = v[at_prev], v[at_next]
        diff = b - a  # numpy's _lerp: from the lower value below 0.5, the upper above
        res = np.add(a, diff * gamma)
        np.subtract(b, diff * (1 - gamma), out=res, where=gamma >= 0.5)
        out[g] = res
    return out


def _order_stats(x: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The values at ``ranks`` (0-based, ascending) of the sorted 1-d array ``x`` (no NaN).

    Ranks in the lower half are looked for among the values at or below a threshold, those in
    the upper half among the values at or above one; a threshold is read from a sorted sample
    of every ``n // 2000``-th value, generously past the rank needed. Every value left out lies
    strictly beyond the threshold, so the ranks among the values kept are the ranks in ``x``:
    exact, ties included. If too few values are kept (or the ranks are far from the ends) the
    whole array is partitioned instead.
    """
    n = len(x)
    out = np.empty(len(ranks), dtype=x.dtype)
    sample = np.sort(x[:: max(1, n // 2000)])
    m = len(sample)
    low = ranks < n // 2
    for side in (low, ~low):
        if not side.any():
            continue
        r = ranks[side]
        need = int(r.max()) + 1 if side is low else n - int(r.min())
        f = need / n
        k = min(m - 1, int(np.ceil(f * m * 1.5 + 4 * np.sqrt(f * m) + 8)))
        kept = None
        if f <= 0.2:
            kept = x[x <= sample[k]] if side is low else x[x >= sample[m - 1 - k]]
        if kept is None or len(kept) < need:
            out[side] = np.partition(x, r)[r]
        elif side is low:
            out[side] = np.partition(kept, r)[r]
        else:
            rr = r - (n - len(kept))
            out[side] = np.partition(kept, rr)[rr]
    return out


@functools.lru_cache(maxsize=4)
def _standard_normals(seed: int, reps: int, k: int) -> np.ndarray:
    """The standard normal draws every group of :func:`sii` is simulated from: ``(k, reps)``,
    one row per quantile (the transpose of the ``(reps, k)`` draws made).

    Common random numbers: one read-only array per seed, number of simulations and number of
    quantiles, drawn once in a process and kept (2 MB for 100,000 × 5 in float32). Each group
    scales and shifts the same draws by its own standard errors and values, so its interval
    does not depend on which other groups are in the call, and two groups' intervals differ by
    their data, not by simulation noise. Drawing the normals was most of the cost of an SII.
    Quantiles by rows: each operation on the draws runs along 100,000 contiguous values
    rather than along five.
    """
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(reps), int(k)]))
    z = np.ascontiguousarray(rng.standard_normal((reps, k), dtype=np.float32).T)
    z.flags.writeable = False
    return z


def sii(
    data: pd.DataFrame,
    value: str,
    lower_ci: str | None,
    upper_ci: str | None,
    population: str,
    quantile: str,
    *,
    group_by: str | Sequence[str] | None = None,
    value_type: int = 0,
    transform: bool | None = None,
    fit_scale: str = "value",
    multiplier: float = 1,
    se: str | None = None,
    ci_confidence: float = 0.95,
    confidence: Confidence = 0.95,
    rii: bool = False,
    rii_method: str = "mean",
    reps: int = 100_000,
    seed: int | None = None,
    min_quantiles: int = 3,
) -> pd.DataFrame:
    """Slope index of inequality (and relative index) with simulated confidence intervals.

    Method (Low & Low 2004; PHEindicatormethods ``phe_sii``): quantiles are ordered from 1
    (most deprived) upwards; each gets the midpoint of its range in the cumulative
    population distribution, ``x_i = sum_{j<i} a_j + a_i / 2`` with ``a_i`` its share of
    the population. The values ``y_i`` are regressed on ``x_i`` by weighted least squares
    with weights ``a_i`` (PHE's ``y sqrt(a) ~ sqrt(a) + x sqrt(a)`` without intercept is the
    same fit). The SII is the slope, i.e. the fitted value at ``x = 1`` (least deprived)
    minus that at ``x = 0`` (most deprived); **positive means the value rises from the most
    to the least deprived**.

    The confidence interval is simulated as in ``phe_sii``: each quantile's value is drawn
    ``reps`` times from a normal distribution with its standard error, on the log scale for
    rates (``value_type=1``) and the logit scale for proportions (``value_type=2``), where
    ``se = (T(upper) - T(lower)) / (2 z)`` from the quantile's ``ci_confidence`` (95%)
    limits; each draw is back-transformed and the regression refitted (closed form, as
    matrices); the limits are the ``(1 -/+ c) / 2`` percentiles of the simulated slopes.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and quantile.
    value, lower_ci, upper_ci : str
        Columns of the quantile's value and its confidence limits (``lower_ci`` and
        ``upper_ci`` may be None when ``se`` is given).
    population : str
        Column of the quantile's population (the regression weights).
    quantile : str
        Column of the quantile number, 1 = most deprived.
    group_by : str or list of str, optional
        One SII per group (e.g. indicator × sex × place).
    value_type : {0, 1, 2}
        0 other (no transformation), 1 rate (log), 2 proportion (logit), as ``phe_sii``.
    transform : bool, optional
        The **simulation** scale only (not PHE's ``phe_sii(transform=TRUE)``, which is
        ``fit_scale="transformed"`` here): whether the confidence-interval draws are made on
        the log/logit scale; defaults to True for value types 1 and 2. False simulates every
        value type on the normal scale. The point estimate does not change with it.
    fit_scale : {"value", "transformed"}, default "value"
        The scale the regression is **fitted** on. ``"value"``: the values themselves (PHE's
        default, ``transform=FALSE``). ``"transformed"``: as PHEindicatormethods
        ``phe_sii(transform=TRUE)``, the regression is fitted on log values (rates,
        ``value_type=1``) or logits of the proportions (``value_type=2``), with intercept
        ``b0`` (most deprived end) and slope ``b1``, and back-transformed with ``B`` = exp
        or the inverse logit (times the multiplier): SII ``= B(b0 + b1) - B(b0)``, RII ``=
        B(b0 + b1) / B(b0)`` and the intercept ``B(b0)``. This changes the point estimate;
        simulations are then made and refitted on the transformed scale too.
    multiplier : float, default 1
        The scale the values are expressed on (100 for percentages, 100,000 for rates per
        100,000). Proportions are divided by it before the logit. The SII is returned **on
        the values' scale** (unlike ``phe_sii``, whose values must be 0-1 and whose
        multiplier rescales the result: ``phe_sii(value/100, multiplier=100)`` equals
        ``sii(value, multiplier=100)``). A negative multiplier flips the sign of the SII and
        inverts the ratio RII, as ``phe_sii``.
    se : str, optional
        Column of standard errors on the simulation scale, used instead of the limits.
    ci_confidence : float, default 0.95
        The level of the quantiles' limits (PHE uses 95%).
    confidence : float or list of float, default 0.95
        Level(s) of the SII's own interval.
    rii : bool, default False
        Add the relative index of inequality and its interval.
    rii_method : {"mean", "ratio"}, default "mean"
        ``"mean"``: SII divided by the population-weighted mean value (Mackenbach & Kunst
        1997; the fitted value at ``x = 0.5``). ``"ratio"``: fitted value at the least
        deprived end over that at the most deprived end, ``(b0 + b1) / b0``, as ``phe_sii``.
    reps : int, default 100,000
        Simulations per group (PHE's default).
    seed : int, optional
        Seed for reproducible intervals. Every group is simulated from the same standard normal
        draws for a seed (common random numbers, scaled by each group's own standard errors),
        so a group's interval is the same whether it is computed alone or with others and
        whatever the row order. Without a seed the draws are fresh on every call.
    min_quantiles : int, default 3
        Fewest non-empty quantiles from which an SII is calculated.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``value`` (the SII), ``lower_ci``, ``upper_ci`` (or per-level
        columns), with ``rii`` also ``rii``, ``rii_lower_ci``, ``rii_upper_ci``; then
        ``quantiles_used``, ``population``, ``confidence``, ``value_type``, ``multiplier``,
        ``reps``, ``method`` and ``value_note``.

    Notes
    -----
    **Empty quantiles.** ``phe_sii`` drops any group missing a quantile. Here a quantile
    with no population, or a missing value or limit, is left out and the midpoints are
    recomputed from the remaining quantiles' populations (so they still span 0-1 in
    deprivation order); the SII is calculated if at least ``min_quantiles`` (3) remain, with
    a ``value_note`` naming the missing quantiles, and refused (NaN, with a note) otherwise.
    The remaining quantiles still cover the ranked population, so the slope remains the
    least-minus-most-deprived gradient, but it rests on fewer points; read it with care.
    """
    if value_type not in (0, 1, 2):
        raise ValueError("value_type must be 0 (other), 1 (rate) or 2 (proportion)")
    if rii_method not in ("mean", "ratio"):
        raise ValueError("rii_method must be 'mean' or 'ratio'")
    if int(reps) < 1000:
        raise ValueError("reps must be at least 1,000 (PHE's minimum); default 100,000")
    if multiplier == 0:
        raise ValueError("multiplier must not be zero")
    reps = int(reps)
    levels = confidence_levels(confidence)
    ci_level = confidence_levels(ci_confidence)[0]
    if fit_scale not in ("value", "transformed"):
        raise ValueError(
            'fit_scale must be "value" or "transformed" (phe_sii transform=TRUE)'
        )
    fitted_t = fit_scale == "transformed" and value_type in (1, 2)
    if transform is None or fitted_t:
        transform = value_type in (1, 2)
    sim_type = value_type if transform else 0
    scale, sign = abs(float(multiplier)), np.sign(multiplier)
    group_by = as_list(group_by)
    if se is None and (lower_ci is None or upper_ci is None):
        fail("sii needs lower_ci and upper_ci columns, or an se column.")

    chk = Checker(data, "sii")
    chk.columns(value, lower_ci, upper_ci, population, quantile, se, *group_by)
    v = chk.numeric(value, nonnegative=False, allow_nan=True, what="values")
    lo = (
        chk.numeric(lower_ci, nonnegative=False, allow_nan=True, what="lower limits")
        if lower_ci is not None
        else np.full(len(data), np.nan)
    )
    hi = (
        chk.numeric(upper_ci, nonnegative=False, allow_nan=True, what="upper limits")
        if upper_ci is not None
        else np.full(len(data), np.nan)
    )
    sev = chk.numeric(se, allow_nan=True, what="standard errors") if se else None
    pop = chk.numeric(population, allow_nan=True, what="populations")
    qv = chk.numeric(quantile, positive=True, what="quantile numbers")
    chk.raise_if()
    with np.errstate(invalid="ignore"):
        if value_type == 2:
            for arr, col in ((v, value), (lo, lower_ci), (hi, upper_ci)):
                if col is not None:
                    chk.rows(
                        (arr < 0) | (arr > scale),
                        f"proportions must lie between 0 and {scale:g} (the multiplier)",
                        col,
                    )
        if value_type == 1:
            chk.rows(v < 0, "rates must not be negative", value)
        if lower_ci is not None and upper_ci is not None:
            chk.rows(
                (lo > v) | (hi < v),
                "the value lies outside its confidence interval",
                value,
                fix="Check the value and limit columns are not swapped.",
            )
    g = make_groups(data, group_by)
    labels = np.unique(qv)
    qpos = np.searchsorted(labels, qv)
    K, G = len(labels), g.n
    slot = g.codes * K + qpos
    dup = np.bincount(slot, minlength=G * K)[slot] > 1
    chk.rows(dup, "the same group and quantile appear more than once", quantile)
    chk.raise_if()

    # padded (G, K) arrays; "valid" = a usable quantile
    has_ci = np.isfinite(sev) if sev is not None else np.isfinite(lo) & np.isfinite(hi)
    row_ok = np.isfinite(v) & has_ci & (np.nan_to_num(pop) > 0)
    V = np.zeros((G, K))
    P = np.zeros((G, K))
    LO = np.zeros((G, K))
    HI = np.zeros((G, K))
    SE = np.zeros((G, K))
    M = np.zeros((G, K), dtype=bool)
    present = np.zeros((G, K), dtype=bool)
    r, c = g.codes, qpos
    present[r, c] = True
    M[r, c] = row_ok
    V[r, c] = np.where(row_ok, v, 0.0)
    P[r, c] = np.where(row_ok, pop, 0.0)
    LO[r, c] = np.where(row_ok, lo, 0.0)
    HI[r, c] = np.where(row_ok, hi, 0.0)
    if sev is not None:
        SE[r, c] = np.where(row_ok, sev, 0.0)

    used = M.sum(axis=1)
    total = P.sum(axis=1)
    enough = used >= min_quantiles
    with np.errstate(divide="ignore", invalid="ignore"):
        A = P / total[:, None]
        X = np.cumsum(A, axis=1) - A / 2
        xbar = (A * X).sum(axis=1)
        Sxx = (A * (X - xbar[:, None]) ** 2).sum(axis=1)
        C = np.where(M, A * (X - xbar[:, None]) / Sxx[:, None], 0.0)
        slope = (C * V).sum(axis=1)
        ybar = (A * V).sum(axis=1)
        intercept = ybar - slope * xbar
    slope = np.where(enough, slope, np.nan)

    if fitted_t:
        with np.errstate(divide="ignore", invalid="ignore"):
            TV = np.where(M, _transform(V, value_type, scale), 0.0)
            b1_t = (C * TV).sum(axis=1)
            b0_t = (A * TV).sum(axis=1) - b1_t * xbar
            hi_end = _back(b0_t + b1_t, value_type, scale)
            lo_end = _back(b0_t.copy(), value_type, scale)
        slope = np.where(enough & np.isfinite(b1_t), hi_end - lo_end, np.nan)
        t_rii = hi_end / lo_end
        t_intercept = lo_end

    def _rii(slope_, ybar_, xbar_):
        with np.errstate(divide="ignore", invalid="ignore"):
            if rii_method == "mean":
                return slope_ / ybar_
            b0 = ybar_ - slope_ * xbar_
            ratio = (b0 + slope_) / b0
            return 1 / ratio if sign < 0 else ratio

    # simulation scale
    if sev is not None:
        T = np.where(M, _transform(V, sim_type, scale), 0.0)
        S = np.where(M, SE, 0.0)
        sim_ok = enough & np.all(np.isfinite(T) | ~M, axis=1)
    else:
        z = z_value(ci_level)
        T = _transform(V, sim_type, scale)
        # a limit at 0 (or at the multiplier, for a proportion) has no log/logit: that group's
        # CI is not simulated (value_note says so), without a numpy warning
        with np.errstate(invalid="ignore"):
            S = (_transform(HI, sim_type, scale) - _transform(LO, sim_type, scale)) / (
                2 * z
            )
        finite = np.isfinite(T) & np.isfinite(S)
        sim_ok = enough & np.all(finite | ~M, axis=1)
        T = np.where(M & finite, T, 0.0)
        S = np.where(M & finite, S, 0.0)

    probs = [p for c_ in levels for p in ((1 - c_) / 2, (1 + c_) / 2)]
    sii_q = np.full((G, len(probs)), np.nan)
    rii_q = np.full((G, len(probs)), np.nan)
    todo = np.flatnonzero(sim_ok)
    block = max(1, SIM_BUDGET // (reps * K))
    base = (
        _standard_normals(seed, reps, K)
        if seed is not None
        else np.random.default_rng().standard_normal((K, reps), dtype=np.float32)
    )
    for start in range(0, len(todo), block):
        gi = todo[start : start + block]
        # (groups, quantiles, reps) in float32: halves the memory traffic of the draws and
        # back-transforms; the regression sums stay well within float32 precision.
        Z = base[None, :, :] * S[gi][:, :, None].astype(np.float32)
        Z += T[gi][:, :, None].astype(np.float32)
        if fitted_t:
            b1s = _weighted_sums(Z, C[gi])
            b0s = _weighted_sums(Z, A[gi]) - b1s * xbar[gi][:, None].astype(np.float32)
            top = _back(b0s + b1s, sim_type, np.float32(scale))
            bottom = _back(b0s, sim_type, np.float32(scale))
            s_sims = top - bottom
            sii_q[gi] = _sim_quantiles(s_sims, probs)
            if rii:
                rii_q[gi] = _sim_quantiles(top / bottom, probs)
            del Z, top, bottom
            continue
        Y = _back(Z, sim_type, np.float32(scale)) if sim_type else Z
        s_sims = _weighted_sums(Y, C[gi])
        sii_q[gi] = _sim_quantiles(s_sims, probs)
        if rii:
            ybar_sims = _weighted_sums(Y, A[gi])
            r_sims = _rii(s_sims, ybar_sims, xbar[gi][:, None].astype(np.float32))
            rii_q[gi] = _sim_quantiles(r_sims, probs)
        del Z, Y

    # notes
    missing_note = np.full(G, "", dtype=object)
    incomplete = np.flatnonzero(~M.all(axis=1))
    for gi in incomplete:  # only groups with gaps: a handful
        gone = labels[~M[gi]]
        txt = format_values([int(q) if float(q).is_integer() else q for q in gone])
        missing_note[gi] = (
            f"quantile{'s' if len(gone) > 1 else ''} {txt} empty or missing: "
            f"SII from the remaining {used[gi]} of {K} quantiles"
        )
    notes = join_notes(
        np.where(
            ~enough,
            [f"not calculated: fewer than {min_quantiles} quantiles with data"] * G,
            missing_note,
        ).astype(object),
        note_where(
            enough & ~sim_ok,
            "confidence interval not simulated: a quantile's value or limit is 0 "
            "(or 1 for a proportion) and cannot be transformed; try transform=False",
        ),
    )

    # the output's columns gathered first and made into one frame (column by column, the frame
    # was rebuilt at every assignment: most of a small call's time)
    cols: dict[str, Any] = {"value": sign * slope}
    for i, (lo_name, hi_name) in enumerate(ci_names(levels)):
        a, b = sign * sii_q[:, 2 * i], sign * sii_q[:, 2 * i + 1]
        cols[lo_name], cols[hi_name] = np.fmin(a, b), np.fmax(a, b)
    if rii:
        cols["rii"] = np.where(
            enough, t_rii if fitted_t else _rii(slope, ybar, xbar), np.nan
        )
        for i, (lo_name, hi_name) in enumerate(ci_names(levels, prefix="rii_")):
            a, b = rii_q[:, 2 * i], rii_q[:, 2 * i + 1]
            cols[lo_name], cols[hi_name] = np.fmin(a, b), np.fmax(a, b)
    cols["quantiles_used"] = used
    cols["population"] = total
    cols["confidence"] = confidence_label(levels)
    cols["value_type"] = value_type
    cols["multiplier"] = multiplier
    cols["reps"] = reps
    tname = {0: "none", 1: "log", 2: "logit"}[sim_type]
    fit_txt = (
        f"fitted on the {tname} scale and back-transformed (phe_sii transform=TRUE)"
        if fitted_t
        else "WLS on population midpoints"
    )
    cols["method"] = f"SII: {fit_txt}; {reps:,} simulations ({tname} scale)"
    if fitted_t:
        cols["intercept"] = np.where(enough, sign * t_intercept, np.nan)
    cols["value_note"] = pd.Series(
        [n if n else None for n in notes], index=range(G), dtype=object
    )
    keys = g.keys.reset_index(drop=True)
    body = pd.DataFrame(cols, index=range(G))
    del intercept
    return pd.concat([keys, body], axis=1) if keys.shape[1] else body


# ------------------------------------------------------------------ gap
def gap(
    data: pd.DataFrame,
    value: str,
    quantile: str,
    *,
    group_by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Gap between the least and the most deprived quantile.

    ``absolute_gap = value(least deprived) - value(most deprived)`` (same sign convention as
    the SII) and ``relative_gap = value(least deprived) / value(most deprived)``. The most
    deprived quantile is the lowest quantile number present in the group, the least deprived
    the highest.

    Returns
    -------
    pandas.DataFrame
        Group columns, ``most_deprived_quantile``, ``most_deprived_value``,
        ``least_deprived_quantile``, ``least_deprived_value``, ``absolute_gap``,
        ``relative_gap``.
    """
    group_by = as_list(group_by)
    chk = Checker(data, "gap")
    chk.columns(value, quantile, *group_by)
    chk.numeric(value, nonnegative=False, allow_nan=True, what="values")
    chk.numeric(quantile, positive=True, what="quantile numbers")
    chk.raise_if()
    d = data[group_by + [quantile, value]].dropna(subset=[value])
    d = d.sort_values(group_by + [quantile], kind="stable")
    if group_by:
        grp = d.groupby(group_by, sort=True, dropna=False, observed=True)
        first, last = grp.head(1), grp.tail(1)
        out = first.rename(
            columns={quantile: "most_deprived_quantile", value: "most_deprived_value"}
        ).merge(
            last.rename(
                columns={
                    quantile: "least_deprived_quantile",
                    value: "least_deprived_value",
                }
            ),
            on=group_by,
            how="outer",
        )
    else:
        if d.empty:
            fail(f"no values to compare in column {value!r}", column=value)
        out = pd.DataFrame(
            {
                "most_deprived_quantile": [d[quantile].iloc[0]],
                "most_deprived_value": [d[value].iloc[0]],
                "least_deprived_quantile": [d[quantile].iloc[-1]],
                "least_deprived_value": [d[value].iloc[-1]],
            }
        )
    out["absolute_gap"] = out["least_deprived_value"] - out["most_deprived_value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        out["relative_gap"] = out["least_deprived_value"] / out["most_deprived_value"]
    return out.reset_index(drop=True)
