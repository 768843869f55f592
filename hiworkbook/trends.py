"""Trends over periods: the result table for every period, recent-trend markers, the SII over time.

- :func:`period_results` — :func:`hiworkbook.results.place_results` for every period the data
  hold, stacked into one long table (and the SII of each period);
- :func:`trend_markers` — Fingertips' recent-trend marker
  (:func:`hiworkbook.stats.recent_trend`) for every indicator of the place and its comparators;
- :func:`indicator_trend` — one indicator's series with CIs, the comparator's line and the marker;
- :func:`sii_by_period` — the slope index of inequality of each period with its CI;
- :func:`gap_trends` — whether each gap between the most and least deprived is widening or
  narrowing, said **only where a test supports it**.

Which test :func:`gap_trends` uses: with at least five periods, Fingertips' recent-trend test on
the SII series (weighted least squares on the SIIs with weights from their CIs, 99.8%, outlier
check); with two to four periods, a z-test of the difference between the first and the last SII,
``z = (SII_last - SII_first) / sqrt(se_first² + se_last²)`` with ``se = (upper - lower) / (2 ×
1.96)`` from the simulated 95% intervals, two-sided at ``confidence`` (95%). A gap "widens" when
the SII moves away from zero (its magnitude grows with its sign kept) and "narrows" when it moves
towards zero.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as st

from hiworkbook.indicators import Indicator
from hiworkbook.results import PlaceResults, place_results
from hiworkbook.stats.trend import TREND_POINTS, recent_trend
from hiworkbook.workspace import Place

_log = logging.getLogger(__name__)

__all__ = [
    "PeriodResults",
    "IndicatorTrend",
    "period_results",
    "trend_markers",
    "indicator_trend",
    "sii_by_period",
    "gap_trends",
]


@dataclass
class PeriodResults:
    """The result table of one place for every period.

    Attributes
    ----------
    place : Place
    periods : list of str
        Oldest first.
    table : pandas.DataFrame
        :data:`hiworkbook.results.RESULT_COLUMNS` rows of every period (the ``period`` column
        tells them apart), disclosure control applied per period.
    sii : pandas.DataFrame
        The SII table of each period with a ``period`` column.
    by_period : dict of str to PlaceResults
    seconds : float
        Time taken.
    """

    place: Place
    periods: list[str]
    table: pd.DataFrame
    sii: pd.DataFrame
    by_period: dict[str, PlaceResults] = field(default_factory=dict)
    indicators: dict[str, Indicator] = field(default_factory=dict)
    primary_comparator: str = ""
    seconds: float = 0.0

    @property
    def latest(self) -> PlaceResults:
        """The results of the latest period."""
        return self.by_period[self.periods[-1]]


def period_results(
    place: Place,
    periods: list[str] | None = None,
    indicators: list[str] | None = None,
    *,
    confidence: float = 0.95,
    comparator: str | None = None,
    sii_reps: int = 100_000,
    seed: int = 1,
    reuse: PlaceResults | None = None,
    progress: bool = False,
    sii_indicators: list[str] | None = None,
) -> PeriodResults:
    """The place's result table for every period the data hold.

    Calls :func:`hiworkbook.results.place_results` once per period (the same PHE methods,
    comparators, suppression and SII) and stacks the tables.

    Parameters
    ----------
    place : Place
    periods : list of str, optional
        Default every period with counts in the workspace.
    indicators : list of str, optional
        Default every indicator with counts (in each period).
    confidence, comparator, sii_reps, seed
        As :func:`~hiworkbook.results.place_results`.
    reuse : PlaceResults, optional
        Results already computed for one period (e.g. the report's own period) with the same
        settings: used as they are rather than computed again.
    progress : bool, default False
        Show a tqdm progress bar.
    sii_indicators : list of str, optional
        Simulate the SII of these indicators only in the periods computed here (default every
        indicator; ``reuse`` is kept as it is). Each SII is the one the full run gives.
        :func:`gap_trends` and the report's trends section test every indicator's SII, so the
        report computes them all.

    Returns
    -------
    PeriodResults
    """
    t0 = time.perf_counter()
    ws = place.workspace
    wanted = [str(p) for p in (periods or ws.periods)]
    if indicators:
        indicators = [i for i in indicators if i in ws.indicators]
    iterator = wanted
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(wanted, desc=f"{place.name}: periods", leave=False)
    by: dict[str, PlaceResults] = {}
    for p in iterator:
        if reuse is not None and str(reuse.period) == p:
            by[p] = reuse
            continue
        have = set(ws.indicators_with_counts(p))
        ids = [i for i in (indicators or ws.indicators) if i in have]
        if not ids:
            continue
        by[p] = place_results(
            place,
            period=p,
            indicators=ids,
            confidence=confidence,
            comparator=comparator,
            sii_reps=sii_reps,
            seed=seed,
            sii_indicators=sii_indicators,
        )
    done = sorted(by)
    table = pd.concat([by[p].table for p in done], ignore_index=True) if done else None
    sii = (
        pd.concat(
            [by[p].sii.assign(period=p) for p in done if len(by[p].sii)],
            ignore_index=True,
        )
        if any(len(by[p].sii) for p in done)
        else pd.DataFrame(columns=["indicator_id", "sex", "period", "sii"])
    )
    inds: dict[str, Indicator] = {}
    for p in done:
        inds.update(by[p].indicators)
    secs = time.perf_counter() - t0
    _log.info("period_results: %s, %d periods in %.1f s", place.name, len(done), secs)
    return PeriodResults(
        place=place,
        periods=done,
        table=table if table is not None else pd.DataFrame(),
        sii=sii,
        by_period=by,
        indicators=inds,
        primary_comparator=by[done[-1]].primary_comparator if done else "",
        seconds=secs,
    )


def _value_type(ind: Indicator) -> str:
    return "proportion" if ind.measure == "proportion" else "other"


def trend_markers(
    pr: PeriodResults,
    *,
    breakdowns: tuple[str, ...] = ("area", "comparator"),
    points: int = TREND_POINTS,
) -> pd.DataFrame:
    """Fingertips' recent-trend marker for every indicator, sex and row of the chosen breakdowns.

    Proportions use the chi-square test for trend on numerators and denominators; every other
    measure the weighted regression on values and their 95% CIs
    (:func:`hiworkbook.stats.recent_trend`). Suppressed values count as missing, so a series
    with a suppressed point among its last five "could not be calculated".

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``sex``, ``breakdown``, ``category``, ``area_code``, ``area_name``,
        then the columns of :func:`~hiworkbook.stats.recent_trend` (``trend``,
        ``trend_direction``, ``chi_square``, ``slope``, ``points_used``, ``first_period``,
        ``last_period``, ``trend_note``, ``trend_method``).
    """
    keys = ["indicator_id", "sex", "breakdown", "category", "area_code", "area_name"]
    t = pr.table
    if t.empty:
        return pd.DataFrame(columns=[*keys, "trend", "trend_direction"])
    t = t[t["breakdown"].isin(breakdowns)].copy()
    sup = t["is_suppressed"].fillna(False).astype(bool)
    for c in ("value", "lower_ci", "upper_ci", "numerator", "denominator"):
        t[c] = pd.to_numeric(t[c], errors="coerce").where(~sup)
    frames = []
    for ind_id, sub in t.groupby("indicator_id", sort=False):
        ind = pr.indicators.get(ind_id)
        if ind is None:
            continue
        vt = _value_type(ind)
        kw = (
            {"numerator": "numerator", "denominator": "denominator"}
            if vt == "proportion"
            else {"value": "value", "lower_ci": "lower_ci", "upper_ci": "upper_ci"}
        )
        res = recent_trend(
            sub,
            "period",
            value_type=vt,
            group_by=keys,
            polarity=ind.polarity,
            points=points,
            **kw,
        )
        frames.append(res)
    if not frames:
        return pd.DataFrame(columns=[*keys, "trend", "trend_direction"])
    return pd.concat(frames, ignore_index=True)


@dataclass
class IndicatorTrend:
    """One indicator's values over time for a place, its comparator and the recent trend.

    Attributes
    ----------
    indicator : Indicator
    sex : str
    series : pandas.DataFrame
        One row per period: ``period``, ``value``, ``lower_ci``, ``upper_ci``,
        ``numerator``, ``denominator``, ``is_suppressed``, ``comparison`` (against the
        comparator in that period).
    comparator : pandas.DataFrame
        The comparator's ``period`` and ``value`` (and CI) — the line drawn beside the place.
    comparator_name : str
    marker : dict
        The place's recent-trend row (``trend``, ``trend_direction``, ``chi_square``,
        ``trend_note`` …).
    place_name : str
    """

    indicator: Indicator
    sex: str
    series: pd.DataFrame
    comparator: pd.DataFrame
    comparator_name: str
    marker: dict
    place_name: str
    synthetic: bool = False


def indicator_trend(
    pr: PeriodResults,
    indicator_id: str,
    *,
    sex: str | None = None,
    comparator: str | None = None,
    markers: pd.DataFrame | None = None,
) -> IndicatorTrend:
    """One indicator's series for the place with CIs, the comparator's line and the trend marker.

    Parameters
    ----------
    pr : PeriodResults
    indicator_id : str
    sex : str, optional
        Default persons, else the first sex reported.
    comparator : str, optional
        Comparator name or code; default the primary comparator of the results.
    markers : pandas.DataFrame, optional
        Output of :func:`trend_markers` (computed if not given).
    """
    ind = pr.indicators[indicator_id]
    t = pr.table[pr.table["indicator_id"] == indicator_id]
    sexes = sorted(t["sex"].dropna().unique())
    sex = sex or (
        "persons" if "persons" in sexes else (sexes[0] if sexes else "persons")
    )
    t = t[t["sex"] == sex]
    cols = [
        "period",
        "value",
        "lower_ci",
        "upper_ci",
        "numerator",
        "denominator",
        "is_suppressed",
        "comparison",
        "value_note",
    ]
    series = t[t["breakdown"] == "area"][cols].sort_values("period")
    comp_rows = t[t["breakdown"] == "comparator"]
    comp_name = comparator or pr.primary_comparator
    if not comp_name and len(comp_rows):
        comp_name = str(comp_rows["area_name"].iloc[0])
    c = comp_rows[
        (comp_rows["area_name"] == comp_name) | (comp_rows["area_code"] == comp_name)
    ]
    if len(c):
        comp_name = str(c["area_name"].iloc[0])
    comp = c[["period", "value", "lower_ci", "upper_ci"]].sort_values("period")
    if markers is None:
        markers = trend_markers(pr, breakdowns=("area",))
    m = markers[
        (markers["indicator_id"] == indicator_id)
        & (markers["sex"] == sex)
        & (markers["breakdown"] == "area")
    ]
    marker = (
        m.iloc[0].to_dict()
        if len(m)
        else {
            "trend": "Could not be calculated",
            "trend_direction": "could not be calculated",
            "trend_note": "no values for the place",
        }
    )
    return IndicatorTrend(
        indicator=ind,
        sex=sex,
        series=series.reset_index(drop=True),
        comparator=comp.reset_index(drop=True),
        comparator_name=comp_name,
        marker=marker,
        place_name=pr.place.name,
        synthetic=bool(pr.place.workspace.synthetic),
    )


def sii_by_period(pr: PeriodResults, indicator_id: str | None = None) -> pd.DataFrame:
    """The slope index of inequality across the place's national IMD quintiles in each period.

    Parameters
    ----------
    pr : PeriodResults
    indicator_id : str, optional
        One indicator; default all.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``sex``, ``period``, ``sii``, ``lower_ci``, ``upper_ci`` (95%,
        simulated as PHE), ``rii``, ``rii_lower_ci``, ``rii_upper_ci``, ``quantiles_used``,
        ``value_note``, ``unit``; sorted by indicator, sex and period. The sign is PHE's: the
        least deprived end minus the most deprived end (negative = higher in more deprived
        areas).
    """
    s = pr.sii.copy()
    if s.empty:
        return pd.DataFrame(
            columns=["indicator_id", "sex", "period", "sii", "lower_ci", "upper_ci"]
        )
    if indicator_id is not None:
        s = s[s["indicator_id"] == indicator_id]
    s["unit"] = s["indicator_id"].map(
        lambda i: pr.indicators[i].unit if i in pr.indicators else ""
    )
    keep = [
        c
        for c in (
            "indicator_id",
            "sex",
            "period",
            "sii",
            "lower_ci",
            "upper_ci",
            "rii",
            "rii_lower_ci",
            "rii_upper_ci",
            "quantiles_used",
            "value_note",
            "unit",
        )
        if c in s
    ]
    return s[keep].sort_values(["indicator_id", "sex", "period"]).reset_index(drop=True)


def gap_trends(
    pr: PeriodResults,
    indicators: list[str] | None = None,
    *,
    confidence: float = 0.95,
    trend_confidence: float = 0.998,
) -> pd.DataFrame:
    """Is each indicator's deprivation gap (its SII) widening or narrowing? Only where a test says so.

    With at least five periods: Fingertips' recent-trend test on the SII series
    (:func:`hiworkbook.stats.recent_trend`, ``value_type="other"``, ``trend_confidence``
    99.8%). With two to four periods: a two-sided z-test of the difference between the first
    and the last SII at ``confidence`` (95%), standard errors from their 95% intervals. The gap
    is "widening" when the SII moves significantly away from zero, "narrowing" when it moves
    significantly towards zero (or crosses it), otherwise "no significant change"; "could not
    be calculated" with fewer than two SIIs.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``sex``, ``first_period``, ``last_period``, ``periods_used``,
        ``sii_first``, ``sii_last``, ``change`` (last minus first), ``test``, ``statistic``
        (z or chi-square), ``p_value``, ``gap_change`` ("widening", "narrowing", "no
        significant change", "could not be calculated"), ``note``.
    """
    s = sii_by_period(pr)
    if indicators:
        s = s[s["indicator_id"].isin(indicators)]
    s = s.dropna(subset=["sii", "lower_ci", "upper_ci"])
    rows = []
    z95 = st.norm.ppf(0.975)
    for (ind_id, sex), sub in s.groupby(["indicator_id", "sex"], sort=True):
        sub = sub.sort_values("period")
        n = len(sub)
        row = {
            "indicator_id": ind_id,
            "sex": sex,
            "first_period": sub["period"].iloc[0],
            "last_period": sub["period"].iloc[-1],
            "periods_used": n,
            "sii_first": float(sub["sii"].iloc[0]),
            "sii_last": float(sub["sii"].iloc[-1]),
        }
        row["change"] = row["sii_last"] - row["sii_first"]
        if n < 2:
            row.update(
                test="none",
                statistic=np.nan,
                p_value=np.nan,
                gap_change="could not be calculated",
                note="an SII for one period only",
            )
            rows.append(row)
            continue
        if n >= TREND_POINTS:
            tr = recent_trend(
                sub,
                "period",
                value_type="other",
                value="sii",
                lower_ci="lower_ci",
                upper_ci="upper_ci",
                confidence=trend_confidence,
            ).iloc[0]
            last5 = sub.tail(TREND_POINTS)
            row.update(
                first_period=last5["period"].iloc[0],
                periods_used=TREND_POINTS,
                sii_first=float(last5["sii"].iloc[0]),
                change=row["sii_last"] - float(last5["sii"].iloc[0]),
                test=f"Fingertips recent-trend test on the SII series ({trend_confidence:.1%})",
                statistic=float(tr["chi_square"]),
                p_value=float(st.chi2.sf(tr["chi_square"], 1))
                if np.isfinite(tr["chi_square"])
                else np.nan,
                note=str(tr["trend_note"]),
            )
            moving = tr["trend_direction"]
            if moving in ("increasing", "decreasing"):
                up = moving == "increasing"
                row["gap_change"] = _away_or_towards(row["sii_last"], up)
            elif moving == "could not be calculated":
                row["gap_change"] = "could not be calculated"
            else:
                row["gap_change"] = "no significant change"
        else:
            lo = sub["lower_ci"].to_numpy(float)
            hi = sub["upper_ci"].to_numpy(float)
            se = (hi - lo) / (2 * z95)
            sd = float(np.hypot(se[0], se[-1]))
            z = row["change"] / sd if sd > 0 else np.nan
            p = float(2 * st.norm.sf(abs(z))) if np.isfinite(z) else np.nan
            row.update(
                test=f"z-test of the difference between the first and last SII ({confidence:.0%})",
                statistic=z,
                p_value=p,
                note=f"{n} periods: fewer than {TREND_POINTS} for the recent-trend test",
            )
            if np.isfinite(p) and p < 1 - confidence:
                row["gap_change"] = _away_or_towards(row["sii_last"], row["change"] > 0)
            else:
                row["gap_change"] = "no significant change"
        rows.append(row)
    cols = [
        "indicator_id",
        "sex",
        "first_period",
        "last_period",
        "periods_used",
        "sii_first",
        "sii_last",
        "change",
        "test",
        "statistic",
        "p_value",
        "gap_change",
        "note",
    ]
    return pd.DataFrame(rows, columns=cols)


def _away_or_towards(sii_last: float, rising: bool) -> str:
    """A significant rise of the SII widens a positive gap and narrows a negative one."""
    if sii_last == 0:
        return "narrowing"
    return "widening" if (sii_last > 0) == rising else "narrowing"
