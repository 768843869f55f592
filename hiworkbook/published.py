"""Results from published indicator values: a local authority against England from a Fingertips export.

Fingertips (OHID) publishes every indicator's value with its 95% (and sometimes 99.8%) confidence
limits. This module reads those published values as :func:`hiworkbook.io.load_fingertips` returns
them and

- compares every area with a benchmark (England by default) exactly as Fingertips does:
  significantly higher (or better) when the lower limit is above the benchmark's value,
  significantly lower (or worse) when the upper limit is below it, similar otherwise — at the
  confidence level of the indicator's "BenchmarkComparisonMethod" ("Confidence intervals
  overlapping reference value (95.0)" or "(99.8)"), with the indicator's polarity ("RAG - Low is
  good" …) turning higher/lower into better/worse (:func:`compare_with_benchmark`, using
  :func:`hiworkbook.stats.compare.compare`);
- builds a one-row-per-indicator profile of one area (:func:`area_profile`), its headline, table
  and map, for ``notebooks/la_profile.ipynb`` (:func:`load_profile_inputs` is that notebook's one
  validation call);
- recomputes the published intervals from ``Count`` and ``Denominator`` with hiworkbook's own
  methods — Wilson score intervals for proportions, Byar's method (exact Poisson below 10 events)
  for crude rates — so the real data proves that these methods are Fingertips' methods
  (:func:`check_published_cis`).

References: OHID, *Fingertips* "Compared with benchmark" and the PHE *Technical Guide: Confidence
intervals* (2018); PHE *Technical Guide: Assessing the significance of differences* (2018).
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hiworkbook.stats._common import EXACT_BELOW, poisson_limits
from hiworkbook.stats.compare import compare
from hiworkbook.stats.proportion import wilson_limits
from hiworkbook.validate import ProblemLog, did_you_mean, format_values

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

    from hiworkbook.maps import OfflineMap
    from hiworkbook.narrative import Narrative
    from hiworkbook.tables import HTMLTable

log = logging.getLogger(__name__)

__all__ = [
    "ENGLAND",
    "KEY",
    "ProfileInputs",
    "area_profile",
    "benchmark_keys",
    "check_published_cis",
    "ci_check_summary",
    "compare_with_benchmark",
    "headline",
    "la_map",
    "load_profile_inputs",
    "profile_table",
    "realdata_dir",
    "sources_footer",
    "spine_chart",
    "spine_table",
    "title",
    "load_workbook_profile",
]

ENGLAND = "E92000001"
#: The columns that identify one published value (besides its repeat number within a period).
KEY = [
    "indicator_id",
    "area_code",
    "period",
    "sex",
    "age",
    "category_type",
    "category",
]
_CI = {95.0: ("lower_ci_95", "upper_ci_95"), 99.8: ("lower_ci_99_8", "upper_ci_99_8")}
_LA_PREFIXES = ("E06", "E07", "E08", "E09")
_WORDS = {
    "better": "significantly better than",
    "worse": "significantly worse than",
    "higher": "significantly higher than",
    "lower": "significantly lower than",
    "similar": "similar to",
    "not compared": "not compared with",
}
#: Value types whose intervals :func:`check_published_cis` can recompute, and the method used.
RECOMPUTABLE = {"proportion": "Wilson", "crude rate": "Byar's"}


# ---------------------------------------------------------------------------- helpers


def _ci_columns(level: float) -> tuple[str, str]:
    try:
        return _CI[float(level)]
    except KeyError:
        raise ValueError(
            f"confidence must be 95 or 99.8 (the levels Fingertips publishes), not {level!r}"
        ) from None


def _meta_table(values: pd.DataFrame, metadata: pd.DataFrame | None) -> pd.DataFrame:
    """One row per indicator of ``values``: name, polarity, value type, comparison method, level."""
    ids = pd.Index(values["indicator_id"].astype(str).unique(), name="indicator_id")
    out = pd.DataFrame(index=ids)
    names = (
        values.dropna(subset=["indicator_name"])
        .drop_duplicates("indicator_id")
        .set_index("indicator_id")["indicator_name"]
        if "indicator_name" in values
        else pd.Series(dtype=object)
    )
    out["indicator_name"] = names.reindex(ids)
    for c in ("polarity", "value_type", "comparison_method", "confidence"):
        out[c] = pd.NA
    if metadata is not None and len(metadata):
        m = metadata.drop_duplicates("indicator_id").set_index("indicator_id")
        m.index = m.index.astype(str)
        m = m.reindex(ids)
        out["indicator_name"] = out["indicator_name"].fillna(m["indicator_name"])
        for c in ("polarity", "value_type", "comparison_method", "confidence"):
            if c in m:
                out[c] = m[c]
    out["indicator_name"] = out["indicator_name"].fillna(
        pd.Series("Indicator " + ids.astype(str), index=ids)
    )
    out["polarity"] = out["polarity"].fillna("no_judgement")
    return out.astype(object)


def _with_part(values: pd.DataFrame) -> pd.DataFrame:
    """Number repeated rows of one key (sub-annual values sharing a year) in file order."""
    v = values.copy()
    keys = [v[k].astype(object).fillna("") for k in KEY]
    v["period_part"] = v.groupby(keys, sort=False).cumcount() + 1
    v["period_parts"] = v.groupby(keys, sort=False)["period_part"].transform("max")
    return v


def _is_ci_method(method: Any) -> bool | None:
    """True for Fingertips' confidence-interval comparison, False for others, None if unknown."""
    if method is None or (not isinstance(method, str) and pd.isna(method)):
        return None
    text = str(method).strip().lower()
    if not text or text == "nan":
        return None
    return "confidence interval" in text


# ---------------------------------------------------------------------------- comparison


def compare_with_benchmark(
    values: pd.DataFrame,
    benchmark_code: str = ENGLAND,
    metadata: pd.DataFrame | None = None,
    confidence: float = 95,
) -> pd.DataFrame:
    """Compare every published value with the benchmark's, as Fingertips does.

    For each area × indicator × period × sex × age × category the benchmark's value of the same
    indicator, period, sex, age and category is found and the area's confidence interval is
    compared with it: significantly higher when the lower limit is above the benchmark value,
    significantly lower when the upper limit is below it, similar when the interval contains or
    touches it (Fingertips "Confidence intervals overlapping reference value"; PHE Technical Guide
    "Assessing the significance of differences"). With a polarity ("High is good" / "Low is good")
    the words are better/similar/worse, without one ("No judgement") higher/similar/lower.

    Parameters
    ----------
    values : pandas.DataFrame
        A tidy Fingertips value table (:func:`hiworkbook.io.load_fingertips`).
    benchmark_code : str, default "E92000001"
        The benchmark area (England).
    metadata : pandas.DataFrame, optional
        :func:`hiworkbook.io.load_fingertips_metadata`: each indicator's polarity, value type and
        benchmark comparison method. Without it every indicator is compared at ``confidence`` and
        with no polarity ("higher"/"lower").
    confidence : {95, 99.8}, default 95
        The level to compare at when the metadata does not name one.

    Returns
    -------
    pandas.DataFrame
        The rows of ``values`` (repeats of a key, such as quarterly values in an annual ``Year``,
        numbered in file order by ``period_part`` of ``period_parts``) with ``indicator_name``
        filled from the metadata and ``polarity``, ``value_type``, ``comparison_method``,
        ``confidence`` (level compared at), ``lower_ci``/``upper_ci`` (limits at that level),
        ``benchmark_code``, ``benchmark_value``, ``benchmark_lower_ci``, ``benchmark_upper_ci``,
        ``comparison`` ("better"/"similar"/"worse", "higher"/"similar"/"lower" or
        "not compared") and ``comparison_note`` (why a value is not compared: the method is not
        confidence-interval based, e.g. "Quintiles"; the interval at that level is not in the
        file; no benchmark value; the row is the benchmark).
    """
    default_level = float(confidence)
    _ci_columns(default_level)
    meta = _meta_table(values, metadata)
    v = _with_part(values)
    v["indicator_id"] = v["indicator_id"].astype(str)
    v["indicator_name"] = v["indicator_id"].map(meta["indicator_name"])
    for c in ("polarity", "value_type", "comparison_method"):
        v[c] = v["indicator_id"].map(meta[c]).astype(object)
    ci_method = v["comparison_method"].map(_is_ci_method)
    level = pd.to_numeric(v["indicator_id"].map(meta["confidence"]), errors="coerce")
    v["confidence"] = level.where(level.isin(list(_CI)), default_level).astype(float)
    v["lower_ci"] = np.nan
    v["upper_ci"] = np.nan
    for lv, (lo, hi) in _CI.items():
        at = v["confidence"] == lv
        v.loc[at, "lower_ci"] = pd.to_numeric(v.loc[at, lo], errors="coerce")
        v.loc[at, "upper_ci"] = pd.to_numeric(v.loc[at, hi], errors="coerce")

    match = [k for k in KEY if k != "area_code"] + ["period_part"]
    bench = v.loc[
        v["area_code"] == benchmark_code,
        [*match, "value", "lower_ci", "upper_ci"],
    ].rename(
        columns={
            "value": "benchmark_value",
            "lower_ci": "benchmark_lower_ci",
            "upper_ci": "benchmark_upper_ci",
        }
    )
    fill = {k: "\x00" for k in ("category_type", "category", "age", "sex")}
    left = v.assign(**{k: v[k].astype(object).fillna(f) for k, f in fill.items()})
    bench = bench.assign(
        **{k: bench[k].astype(object).fillna(f) for k, f in fill.items()}
    ).drop_duplicates(match)
    out = left.merge(bench, on=match, how="left", sort=False)
    for k in fill:
        out[k] = out[k].replace("\x00", pd.NA).astype(object)
    out.index = v.index
    out["benchmark_code"] = benchmark_code

    comp = pd.Series("not compared", index=out.index, dtype=object)
    for pol, idx in out.groupby("polarity", sort=False).groups.items():
        p = pol if pol in ("high_is_good", "low_is_good") else "no_judgement"
        rows = out.loc[idx]
        comp.loc[idx] = compare(
            rows["value"],
            rows["lower_ci"],
            rows["upper_ci"],
            rows["benchmark_value"],
            polarity=p,
        )
    note = pd.Series(pd.NA, index=out.index, dtype=object)
    lv_text = out["confidence"].map(lambda x: f"{x:g}%")
    note = note.mask(
        out["lower_ci"].isna() | out["upper_ci"].isna(),
        "no published " + lv_text + " confidence interval",
    )
    note = note.mask(out["benchmark_value"].isna(), "no benchmark value")
    note = note.mask(out["value"].isna(), "no value")
    not_ci = ci_method.eq(False)
    note = note.mask(
        not_ci,
        "Fingertips compares this indicator by "
        + out["comparison_method"].astype(str).str.lower()
        + ", not by confidence intervals",
    )
    no_comp = (
        out["comparison_method"].astype(str).str.strip().str.lower() == "no comparison"
    )
    note = note.mask(not_ci & no_comp, "Fingertips does not compare this indicator")
    note = note.mask(out["area_code"] == benchmark_code, "the benchmark itself")
    comp = comp.mask(note.notna(), "not compared")
    out["comparison"] = comp.astype(object)
    out["comparison_note"] = note.astype(object)
    n_dup = int((out["period_parts"] > 1).sum())
    if n_dup:
        log.warning(
            "%d values share their indicator, area, period, sex, age and category with another "
            "(e.g. quarterly values under one Year); they are paired with the benchmark in file "
            "order",
            n_dup,
        )
    return out


# ---------------------------------------------------------------------------- profile


def _age_span(age: Any) -> float:
    """How wide an age band label is ("All ages" widest, "65+ yrs" > "65-74 yrs")."""
    if age is None or (not isinstance(age, str) and pd.isna(age)):
        return 1000.0
    text = str(age).strip().lower()
    if text.startswith("all ages") or text in ("", "not applicable"):
        return 1000.0
    nums = [int(n) for n in re.findall(r"\d+", text)]
    if "+" in text and nums:
        return 150.0 - nums[0]
    if text.startswith("<") and nums:
        return float(nums[0])
    if len(nums) >= 2:
        return float(nums[1] - nums[0])
    return 0.0


def _headline_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Per indicator, the persons (else the only sex) and widest-age breakdown."""
    r = rows.assign(
        _sex=(rows["sex"] != "persons").astype(int),
        _age=-rows["age"].map(_age_span),
    )
    best = r.sort_values(["_sex", "_age"], kind="stable").drop_duplicates(
        "indicator_id"
    )[["indicator_id", "sex", "age"]]
    keep = r.merge(best, on=["indicator_id", "sex", "age"], how="inner")
    return keep.drop(columns=["_sex", "_age"])


def _period_sort_key(p: pd.Series) -> pd.Series:
    return p.astype(str)


def area_profile(
    values: pd.DataFrame,
    area_code: str,
    *,
    benchmark_code: str = ENGLAND,
    period: str = "latest",
    metadata: pd.DataFrame | None = None,
    all_breakdowns: bool = False,
) -> pd.DataFrame:
    """One area's profile: one row per indicator with its value, CI and comparison with England.

    Only whole-population values (no ``Category``) are profiled. Per indicator the breakdown
    shown is persons (or the only sex published, e.g. female for conceptions) and the widest age
    band ("All ages", else e.g. "65+ yrs"), and the latest period with a value — as Fingertips'
    "Area profiles" view shows the most recent value of each indicator.

    Parameters
    ----------
    values : pandas.DataFrame
        A tidy Fingertips value table (:func:`hiworkbook.io.load_fingertips`), holding the area
        and the benchmark.
    area_code : str
        The area (e.g. ``"E08000009"`` Trafford).
    benchmark_code : str, default "E92000001"
    period : str, default "latest"
        ``"latest"`` (or ``""``): each indicator's latest period with a value; else only that
        period (indicators without a value then are left out).
    metadata : pandas.DataFrame, optional
        :func:`hiworkbook.io.load_fingertips_metadata`.
    all_breakdowns : bool, default False
        Keep every sex and age breakdown instead of one row per indicator.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``indicator_name``, ``sex``, ``age``, ``period`` (with ``" (k of n)"``
        when several values share a period, the last is shown), ``count``, ``denominator``,
        ``value``, ``lower_ci``, ``upper_ci``, ``confidence``, ``benchmark_value``,
        ``comparison``, ``comparison_note``, ``polarity``, ``value_type``, ``area_code``,
        ``area_name``; sorted by indicator name. ``attrs``: ``area_code``, ``area_name``,
        ``benchmark_code``, ``benchmark_name``.
    """
    code = str(area_code).strip().upper()
    sub = values[values["area_code"].isin([code, benchmark_code])]
    c = compare_with_benchmark(sub, benchmark_code, metadata)
    rows = c[(c["area_code"] == code) & c["category"].isna() & c["value"].notna()]
    if period and period != "latest":
        rows = rows[rows["period"].astype(str) == str(period)]
    if not all_breakdowns and len(rows):
        rows = _headline_rows(rows)
    group = ["indicator_id", "sex", "age"]
    if len(rows):
        rows = rows.assign(_p=_period_sort_key(rows["period"]))
        rows = rows.sort_values([*group, "_p", "period_part"], kind="stable")
        rows = rows.groupby(group, dropna=False, sort=False).tail(1).drop(columns="_p")
    rows = rows.copy()
    label = rows["period"].astype(str)
    multi = rows["period_parts"] > 1
    rows["period"] = label.where(
        ~multi,
        label
        + " ("
        + rows["period_part"].astype(str)
        + " of "
        + rows["period_parts"].astype(str)
        + ")",
    )
    rows = rows.rename(columns={"numerator": "count"})
    cols = [
        "indicator_id",
        "indicator_name",
        "sex",
        "age",
        "period",
        "count",
        "denominator",
        "value",
        "lower_ci",
        "upper_ci",
        "confidence",
        "benchmark_value",
        "comparison",
        "comparison_note",
        "polarity",
        "value_type",
        "area_code",
        "area_name",
    ]
    out = rows[cols].sort_values(["indicator_name", "sex", "age"], kind="stable")
    out = out.reset_index(drop=True)
    names = values.loc[values["area_code"] == code, "area_name"].dropna()
    bnames = values.loc[values["area_code"] == benchmark_code, "area_name"].dropna()
    out.attrs.update(
        area_code=code,
        area_name=str(names.iloc[0]) if len(names) else code,
        benchmark_code=benchmark_code,
        benchmark_name=str(bnames.iloc[0])
        if len(bnames)
        else ("England" if benchmark_code == ENGLAND else benchmark_code),
    )
    return out


# ---------------------------------------------------------------------------- CI check


def _multiplier(value: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """The power of ten turning ``count / denominator`` into the published value."""
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(ratio > 0, value / ratio, np.nan)
        return np.where(np.isfinite(m) & (m > 0), 10.0 ** np.round(np.log10(m)), np.nan)


def _rounding(x: np.ndarray, max_decimals: int = 6) -> np.ndarray:
    """Half a unit in the last decimal place a published number shows (0 for full precision)."""
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    done = ~np.isfinite(x)
    for d in range(max_decimals + 1):
        scaled = x * 10.0**d
        hit = ~done & (np.abs(scaled - np.round(scaled)) < 1e-6)
        out[hit] = 0.5 * 10.0**-d * (1 + 1e-9)
        done |= hit
    return out


def _explain(v: pd.DataFrame, prop: np.ndarray, c: float, rtol: float) -> np.ndarray:
    """Why a recomputed interval does not match, where a known cause reproduces it."""
    out = np.full(len(v), "", dtype=object)
    bad = ~v["matches"].to_numpy(bool)
    x = v["numerator"].to_numpy(float)
    n = v["denominator"].to_numpy(float)
    mult = v["multiplier"].to_numpy(float)
    lp = v["lower_published"].to_numpy(float)
    up = v["upper_published"].to_numpy(float)
    tol = np.maximum(rtol * np.abs(up - lp), 1e-9)

    def limits(xx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        lo = np.full(len(xx), np.nan)
        hi = np.full(len(xx), np.nan)
        ok = prop & (xx <= n) & (xx >= 0)
        lw, hw = wilson_limits(xx[ok], n[ok], c)
        lo[ok], hi[ok] = lw * mult[ok], hw * mult[ok]
        r = ~prop & (xx >= 0)
        lr, hr = poisson_limits(xx[r], c)
        lo[r], hi[r] = lr / n[r] * mult[r], hr / n[r] * mult[r]
        return lo, hi

    with np.errstate(invalid="ignore"):
        val = v["value"].to_numpy(float)
        rec = v["value_recomputed"].to_numpy(float)
        off = np.abs(rec - val) > np.maximum(_rounding(val), 1e-3 * np.abs(val))
        out[bad & off] = (
            "the value is not Count/Denominator (a weighted or modelled estimate)"
        )
        rounded5 = bad & ~off & (x % 5 == 0) & (x > 0)
        for d in (-2, -1, 1, 2):
            lo, hi = limits(x + d)
            hit = rounded5 & (np.abs(lo - lp) <= tol) & (np.abs(hi - up) <= tol)
            out[hit & (out == "")] = (
                "the published Count is rounded to a multiple of 5; the unrounded count "
                "reproduces the limits"
            )
        lo, hi = poisson_limits(x, c)
        count_scale = (
            bad & (np.abs(lo - lp) <= tol + 1e-6) & (np.abs(hi - up) <= tol + 1e-6)
        )
        out[count_scale & (out == "")] = (
            "the published limits are those of the count, not divided by the denominator"
        )
    return out


def check_published_cis(
    values: pd.DataFrame,
    metadata: pd.DataFrame,
    *,
    confidence: float = 95,
    rtol: float = 1e-3,
) -> pd.DataFrame:
    """Recompute published confidence limits from ``Count`` and ``Denominator``.

    Where the indicator's value type allows it, the limits are recomputed with hiworkbook's
    own methods — Wilson score intervals for proportions (:func:`hiworkbook.stats.proportion`),
    Byar's approximation, exact Poisson below 10 events, for crude rates
    (:func:`hiworkbook.stats.rate`) — as the PHE Technical Guide "Confidence intervals" and
    Fingertips specify. The multiplier (100 for a percentage, 1,000 or 100,000 for a rate) is the
    power of ten that turns ``Count / Denominator`` into the published value. Standardised rates
    and ratios, life expectancy and scores cannot be recomputed from a count and a denominator
    and are left out.

    Parameters
    ----------
    values : pandas.DataFrame
        A tidy Fingertips value table.
    metadata : pandas.DataFrame
        :func:`hiworkbook.io.load_fingertips_metadata` (for each indicator's value type).
    confidence : {95, 99.8}, default 95
        The published limits to check.
    rtol : float, default 1e-3
        A limit matches when it differs from the published one by at most ``rtol`` times the
        published interval's width, or by at most half a unit in the last decimal place the
        published limit shows (Fingertips rounds some indicators' limits to 1 or 2 decimals).
        0.1% of the width is far above floating-point noise (full-precision matches agree to
        about 1e-6 of the width) and far below any change of method: a normal approximation
        instead of Wilson, or exact instead of Byar's, moves limits by several per cent of the
        width.

    Returns
    -------
    pandas.DataFrame
        One row per checkable value: the key columns, ``indicator_name``, ``value_type``,
        ``method`` ("Wilson", "Byar's" or "Exact"), ``multiplier``, ``numerator``,
        ``denominator``, ``value``, ``value_recomputed``, ``lower_published``,
        ``lower_recomputed``, ``upper_published``, ``upper_recomputed``, ``lower_diff``,
        ``upper_diff`` (recomputed minus published), ``diff_share_of_width`` (the larger
        absolute difference over the published width), ``matches`` and ``explanation`` (for
        a mismatch, a known cause that reproduces it: a Count rounded to a multiple of 5, limits
        of the count rather than the rate, a value that is not Count/Denominator; else empty).
    """
    lo_col, hi_col = _ci_columns(confidence)
    meta = _meta_table(values, metadata)
    vt = values["indicator_id"].astype(str).map(meta["value_type"])
    kind = vt.astype(str).str.strip().str.lower()
    ok = (
        kind.isin(list(RECOMPUTABLE))
        & values[["numerator", "denominator", "value", lo_col, hi_col]]
        .notna()
        .all(axis=1)
        & (values["denominator"] > 0)
        & (values["numerator"] >= 0)
    )
    v = values[ok].copy()
    kind = kind[ok]
    v["indicator_name"] = v["indicator_id"].astype(str).map(meta["indicator_name"])
    v["value_type"] = vt[ok]
    x = v["numerator"].to_numpy(float)
    n = v["denominator"].to_numpy(float)
    mult = _multiplier(v["value"].to_numpy(float), x / n)
    # a zero count says nothing about the multiplier: take the indicator's usual one
    usual = (
        pd.Series(mult, index=v.index)
        .groupby(v["indicator_id"].astype(str))
        .transform(lambda s: s.mode().iloc[0] if s.notna().any() else np.nan)
    )
    mult = np.where(np.isnan(mult), usual.to_numpy(float), mult)
    prop = (kind == "proportion").to_numpy()
    lo = np.full(len(v), np.nan)
    hi = np.full(len(v), np.nan)
    c = float(confidence) / 100
    if prop.any():
        ok_p = prop & (x <= n)
        lw, hw = wilson_limits(x[ok_p], n[ok_p], c)
        lo[ok_p], hi[ok_p] = lw * mult[ok_p], hw * mult[ok_p]
    if (~prop).any():
        lp, hp = poisson_limits(x[~prop], c)
        lo[~prop], hi[~prop] = lp / n[~prop] * mult[~prop], hp / n[~prop] * mult[~prop]
    v["method"] = np.where(prop, "Wilson", np.where(x < EXACT_BELOW, "Exact", "Byar's"))
    v["multiplier"] = mult
    v["value_recomputed"] = x / n * mult
    v["lower_published"] = v[lo_col]
    v["upper_published"] = v[hi_col]
    v["lower_recomputed"] = lo
    v["upper_recomputed"] = hi
    v["lower_diff"] = v["lower_recomputed"] - v["lower_published"]
    v["upper_diff"] = v["upper_recomputed"] - v["upper_published"]
    lp, up = v["lower_published"].to_numpy(float), v["upper_published"].to_numpy(float)
    width = np.abs(up - lp)
    ld, ud = (
        np.abs(v["lower_diff"].to_numpy(float)),
        np.abs(v["upper_diff"].to_numpy(float)),
    )
    worst = np.maximum(ld, ud)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(width > 0, worst / width, np.where(worst == 0, 0.0, np.inf))
    v["diff_share_of_width"] = share
    tol = rtol * width
    v["matches"] = np.isfinite(worst) & (
        (worst <= tol)
        | (
            (ld <= np.maximum(tol, _rounding(lp)))
            & (ud <= np.maximum(tol, _rounding(up)))
        )
    )
    v["explanation"] = _explain(v, prop, c, rtol)
    cols = [
        *KEY,
        "indicator_name",
        "value_type",
        "method",
        "multiplier",
        "numerator",
        "denominator",
        "value",
        "value_recomputed",
        "lower_published",
        "lower_recomputed",
        "upper_published",
        "upper_recomputed",
        "lower_diff",
        "upper_diff",
        "diff_share_of_width",
        "matches",
        "explanation",
    ]
    out = v[cols].reset_index(drop=True)
    log.info(
        "recomputed %d published %g%% intervals: %d match within %.1g of their width",
        len(out),
        confidence,
        int(out["matches"].sum()),
        rtol,
    )
    return out


def ci_check_summary(check: pd.DataFrame) -> pd.DataFrame:
    """Per indicator: how many recomputed intervals match the published ones.

    Parameters
    ----------
    check : pandas.DataFrame
        :func:`check_published_cis`.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``indicator_name``, ``value_type``, ``checked``, ``matching``,
        ``share_matching``, ``median_diff_share`` and ``max_diff_share`` (of the interval width).
    """
    g = check.groupby(["indicator_id", "indicator_name", "value_type"], dropna=False)
    out = g.agg(
        checked=("matches", "size"),
        matching=("matches", "sum"),
        median_diff_share=("diff_share_of_width", "median"),
        max_diff_share=("diff_share_of_width", "max"),
    ).reset_index()
    out["share_matching"] = out["matching"] / out["checked"]
    return out


# ---------------------------------------------------------------------------- views


def _e(x: Any) -> str:
    if x is None or (not isinstance(x, str) and pd.isna(x)):
        return ""
    return html.escape(str(x), quote=True)


def _num(x: Any, digits: int = 1) -> str:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return "—"
    if not np.isfinite(f):
        return "—"
    return f"{f:,.{digits}f}"


def _breakdown(row: pd.Series) -> str:
    bits = []
    if isinstance(row.get("sex"), str) and row["sex"] != "persons":
        bits.append(row["sex"])
    age = row.get("age")
    if isinstance(age, str) and age.strip().lower() != "all ages":
        bits.append(age)
    return ", ".join(bits)


def _names(profile: pd.DataFrame, area_name: str | None, benchmark_name: str | None):
    a = area_name or profile.attrs.get("area_name") or profile.attrs.get("area_code")
    b = benchmark_name or profile.attrs.get("benchmark_name") or "England"
    return str(a or "the area"), str(b)


def profile_table(
    profile: pd.DataFrame,
    *,
    area_name: str | None = None,
    benchmark_name: str | None = None,
) -> HTMLTable:
    """The profile as an HTML table in the benchmark grammar (all text escaped).

    Each comparison cell has the colour, symbol and words of :mod:`hiworkbook.benchmark` (the
    same as the place report's table); 99.8% comparisons are shown as the 99.8% classes; the
    legend follows the table.

    Parameters
    ----------
    profile : pandas.DataFrame
        :func:`area_profile`.
    area_name, benchmark_name : str, optional
        Default: ``profile.attrs``.

    Returns
    -------
    hiworkbook.tables.HTMLTable
        Displays itself in a notebook (``_repr_html_``).
    """
    from hiworkbook import benchmark as bm
    from hiworkbook.tables import HTMLTable

    area, bench = _names(profile, area_name, benchmark_name)
    keys = benchmark_keys(profile)
    rows = []
    for i, (_, r) in enumerate(profile.iterrows()):
        key = keys.iloc[i]
        note = r.get("comparison_note")
        title_attr = f' title="{_e(note)}"' if isinstance(note, str) else ""
        sub = _breakdown(r)
        sub_html = f'<br><span class="hiw-tag">{_e(sub)}</span>' if sub else ""
        ci = (
            f"{_num(r['lower_ci'])} – {_num(r['upper_ci'])}"
            if pd.notna(r["lower_ci"]) and pd.notna(r["upper_ci"])
            else "—"
        )
        level = r.get("confidence")
        if pd.notna(r["lower_ci"]) and pd.notna(level) and float(level) != 95.0:
            ci += f" ({float(level):g}%)"
        rows.append(
            "<tr>"
            f"<th scope='row'>{_e(r['indicator_name'])}{sub_html}</th>"
            f"<td>{_e(r['period'])}</td>"
            f"<td class='num'>{_num(r['count'], 0)}</td>"
            f"<td class='num'>{_num(r['value'])}</td>"
            f"<td class='num'>{ci}</td>"
            f"<td class='num'>{_num(r['benchmark_value'])}</td>"
            f"<td style='{bm.cell_style(key)}'{title_attr}>{bm.cell_text(key)}</td>"
            "</tr>"
        )
    b = _e(bench)
    out = (
        "<table class='hiw-table'>"
        f"<caption>Published indicators for {_e(area)}, latest period of each, compared with "
        f"{b} (Fingertips' comparison of confidence intervals)</caption>"
        "<thead><tr><th scope='col'>Indicator</th><th scope='col'>Period</th>"
        "<th scope='col'>Count</th><th scope='col'>Value</th><th scope='col'>95% CI</th>"
        f"<th scope='col'>{b}</th><th scope='col'>Compared with {b}</th></tr></thead>"
        "<tbody>"
        + "".join(rows)
        + "</tbody></table>"
        + bm.legend_html(
            [k for k in bm.CATEGORIES if k in set(keys)],
            title=f"Compared with {bench} at the level Fingertips uses for each indicator",
        )
    )
    return HTMLTable(out)


def benchmark_keys(rows: pd.DataFrame) -> pd.Series:
    """The benchmark class (:data:`hiworkbook.benchmark.CATEGORIES` key) of published rows.

    Fingertips compares each indicator at one level (its ``BenchmarkComparisonMethod``): a
    significant comparison at 99.8% is the "… 99.8%" class, at 95% the plain class.
    """
    comp = rows["comparison"].where(rows["comparison"].notna(), "not compared")
    lv = pd.to_numeric(rows.get("confidence"), errors="coerce")
    sig = comp.isin(["better", "worse", "higher", "lower"])
    return comp.where(~(sig & (lv == 99.8)), comp + " 99.8%").astype(object)


def spine_table(inputs: ProfileInputs) -> pd.DataFrame:
    """The numbers of the LA's spine chart: each profiled indicator against every local
    authority's value of the same indicator, period, sex and age (Fingertips' area profile).

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`hiworkbook.views.spine_table` (``position`` = (value − worst) /
        (best − worst), worst and best by polarity).
    """
    prof = inputs.profile
    v = inputs.values
    v = v[v["category"].isna() & v["area_code"].astype(str).str[:3].isin(_LA_PREFIXES)]
    keys = benchmark_keys(prof)
    rows = []
    for i, (_, r) in enumerate(prof.iterrows()):
        period = str(r["period"]).split(" (")[0]
        age = "" if pd.isna(r["age"]) else r["age"]
        peers = v[
            (v["indicator_id"].astype(str) == str(r["indicator_id"]))
            & (v["sex"] == r["sex"])
            & (v["age"].astype(object).fillna("") == age)
            & (v["period"].astype(str) == period)
        ]
        vals = (
            pd.to_numeric(peers["value"], errors="coerce")
            .dropna()
            .to_numpy(dtype=float)
        )
        row = {
            "indicator_id": r["indicator_id"],
            "indicator_name": r["indicator_name"]
            + (f" ({_breakdown(r)})" if _breakdown(r) else ""),
            "sex": r["sex"],
            "unit": "",
            "polarity": r["polarity"],
            "numerator": r["count"],
            "value": r["value"],
            "comparator": inputs.benchmark_name,
            "comparator_value": r["benchmark_value"],
            "benchmark": keys.iloc[i],
            "peers": len(vals),
        }
        if len(vals):
            lo, q25, med, q75, hi = np.percentile(vals, [0, 25, 50, 75, 100])
            if r["polarity"] == "low_is_good":
                lo, hi, q25, q75 = hi, lo, q75, q25
            span = hi - lo
            row |= {"worst": lo, "q25": q25, "median": med, "q75": q75, "best": hi}
            row["position"] = (r["value"] - lo) / span if span else 0.5
            row["comparator_position"] = (
                (r["benchmark_value"] - lo) / span if span else 0.5
            )
        else:
            row |= dict.fromkeys(
                (
                    "worst",
                    "q25",
                    "median",
                    "q75",
                    "best",
                    "position",
                    "comparator_position",
                ),
                np.nan,
            )
        rows.append(row)
    return pd.DataFrame(rows)


def spine_chart(inputs: ProfileInputs) -> Any:
    """The LA's area profile (spine chart) against every local authority in the file, drawn by
    :func:`hiworkbook.views.draw_spine` — the place report's spine, on published values.

    Returns
    -------
    hiworkbook.charts.Chart
    """
    from hiworkbook.views import draw_spine

    d = spine_table(inputs)
    return draw_spine(
        d,
        place_name=inputs.area_name,
        period="latest period of each indicator"
        if inputs.period == "latest"
        else inputs.period,
        comparator_name=inputs.benchmark_name,
        phrase=f"compared with {inputs.benchmark_name} at the level Fingertips uses",
        peer_words="local authorities in the Fingertips file",
        single_sex=set(d["indicator_id"]),  # the breakdown is already in the name
    )


def headline(
    profile: pd.DataFrame,
    *,
    area_name: str | None = None,
    benchmark_name: str | None = None,
) -> Narrative:
    """A paragraph counting indicators significantly better, similar and worse than England.

    Uses Fingertips' wording: "significantly worse than England" only when the interval
    excludes England's value; "higher"/"lower" for indicators with no judgement of good or bad.

    Parameters
    ----------
    profile : pandas.DataFrame
        :func:`area_profile`.
    area_name, benchmark_name : str, optional

    Returns
    -------
    hiworkbook.narrative.Narrative
    """
    from hiworkbook.narrative import Narrative

    area, bench = _names(profile, area_name, benchmark_name)
    counts = profile["comparison"].value_counts()
    compared = int(counts.drop("not compared", errors="ignore").sum())
    parts = []
    for word in ("better", "similar", "worse", "higher", "lower"):
        k = int(counts.get(word, 0))
        if k:
            parts.append(f"{k} {_WORDS[word]} {bench}")
    text = (
        f"Of {len(profile)} published indicators for {area}, {compared} can be compared with "
        f"{bench}"
    )
    text += ": " + "; ".join(parts) + "." if parts else "."
    nc = int(counts.get("not compared", 0))
    if nc:
        text += (
            f" {nc} {'is' if nc == 1 else 'are'} not compared (no confidence interval at the "
            "level Fingertips compares at, or Fingertips compares them by quintiles)."
        )
    worse = profile.loc[profile["comparison"] == "worse", "indicator_name"]
    extra = ""
    if len(worse):
        items = "".join(f"<li>{_e(w)}</li>" for w in worse)
        extra = f"<p>Significantly worse than {_e(bench)}:</p><ul>{items}</ul>"
    return Narrative(f"<p class='hiw-headline'>{_e(text)}</p>{extra}")


def title(inputs: ProfileInputs) -> Narrative:
    """The report's heading: the area and its benchmark.

    Parameters
    ----------
    inputs : ProfileInputs

    Returns
    -------
    hiworkbook.narrative.Narrative
    """
    from hiworkbook.narrative import Narrative

    return Narrative(
        f"<h1>{_e(inputs.area_name)} compared with {_e(inputs.benchmark_name)}</h1>"
        f"<p>Published Fingertips indicators ({_e(inputs.area_code)}), latest period of each.</p>"
    )


def la_map(
    inputs: ProfileInputs,
    indicator_id: str | None = None,
    *,
    tolerance: float = 100.0,
    max_bytes: int | None = None,
) -> OfflineMap:
    """Map one indicator for every local authority in the region (or England), each coloured by
    its comparison with the benchmark in the benchmark grammar, the area outlined.

    The boundaries' ``region_code`` picks the region when present; otherwise every local
    authority district in the boundaries file with a value is mapped. The breakdown (sex, age)
    and period are those of the indicator's row in the profile. The map is held to a byte
    budget (:func:`hiworkbook.maps.budgeted_map`).

    Parameters
    ----------
    inputs : ProfileInputs
        :func:`load_profile_inputs`.
    indicator_id : str, optional
        Default ``inputs.map_indicator``.
    tolerance : float, default 100
        Simplification in metres (districts over England need far less detail than LSOAs).
    max_bytes : int, optional
        Default :data:`hiworkbook.maps.DEFAULT_MAX_BYTES`.

    Returns
    -------
    hiworkbook.maps.OfflineMap
    """
    from hiworkbook import benchmark as bm
    from hiworkbook.maps import DEFAULT_MAX_BYTES, budgeted_map

    ind = str(indicator_id or inputs.map_indicator)
    prof = inputs.profile.set_index("indicator_id")
    row = prof.loc[ind]
    period = str(row["period"]).split(" (")[0]
    v = inputs.values
    age = "" if pd.isna(row["age"]) else row["age"]
    sel = v[
        (v["indicator_id"].astype(str) == ind)
        & v["category"].isna()
        & (v["sex"] == row["sex"])
        & (v["age"].astype(object).fillna("") == age)
        & (v["period"].astype(str) == period)
        & v["area_code"]
        .astype(str)
        .str[:3]
        .isin([*_LA_PREFIXES, inputs.benchmark_code[:3]])
    ]
    comp = compare_with_benchmark(sel, inputs.benchmark_code, inputs.metadata)
    comp = comp[comp["area_code"].astype(str).str[:3].isin(_LA_PREFIXES)]
    comp = comp.assign(_cat=benchmark_keys(comp).to_numpy()).drop_duplicates(
        "area_code", keep="last"
    )
    b = inputs.boundaries
    areas = b
    where = "England"
    if "region_code" in b.columns:
        reg = b.loc[b["ltla_code"] == inputs.area_code, "region_code"].dropna()
        if len(reg):
            areas = b[b["region_code"] == reg.iloc[0]]
            names = b.loc[b["ltla_code"] == inputs.area_code, "region_name"].dropna()
            where = str(names.iloc[0]) if len(names) else str(reg.iloc[0])
    g = areas.merge(
        comp[["area_code", "value", "lower_ci", "upper_ci", "count", "_cat"]]
        if "count" in comp
        else comp[["area_code", "value", "lower_ci", "upper_ci", "_cat"]].assign(
            count=comp.get("numerator")
        ),
        left_on="ltla_code",
        right_on="area_code",
        how="inner",
    )
    g = g.rename(columns={"ltla_name": "area_name"})
    name = str(row["indicator_name"])
    sub = _breakdown(row)
    label = f"{name}{f' ({sub})' if sub else ''}"
    tips, fills, dashed = [], [], []
    for _, r in g.iterrows():
        c = bm.category(r["_cat"])
        parts = [
            f"<b>{_e(r['area_name'])}</b>",
            _e(r["ltla_code"]),
            f"{_e(label)}: {_num(r['value'])}",
        ]
        if pd.notna(r["lower_ci"]) and pd.notna(r["upper_ci"]):
            parts[-1] += f" (CI {_num(r['lower_ci'])} – {_num(r['upper_ci'])})"
        if pd.notna(r.get("count")):
            parts.append(f"Count: {_num(r['count'], 0)}")
        parts.append(_e(f"{c.symbol} {c.label}"))
        tips.append('<div class="hiw-tip">' + "<br>".join(parts) + "</div>")
        fills.append(c.colour)
        dashed.append(r["_cat"] == "not compared")
    g["_tip"], g["_fill"], g["_dash"] = tips, fills, dashed
    g["_supp"] = False
    counts = g["_cat"].value_counts()
    keys = [k for k in bm.CATEGORIES if k in counts]
    items = [
        (
            bm.category(k).colour,
            f"{bm.category(k).symbol} {bm.category(k).label} ({int(counts[k]):,})",
        )
        for k in keys
    ]
    outline = b[b["ltla_code"] == inputs.area_code]
    return budgeted_map(
        g,
        code_col="ltla_code",
        title=f"{label}, {period}: local authorities in {where} compared with "
        f"{inputs.benchmark_name}; {inputs.area_name} outlined",
        heading=f"{label}: compared with {inputs.benchmark_name}",
        items=items,
        description=f"{len(g):,} local authorities: "
        + "; ".join(f"{int(counts[k]):,} {bm.category(k).label.lower()}" for k in keys)
        + ".",
        layer_name=label,
        outline=outline,
        max_bytes=max_bytes or DEFAULT_MAX_BYTES,
        tolerance=tolerance,
    )


def sources_footer(inputs: ProfileInputs) -> Narrative:
    """Data sources (Fingertips, ONS boundaries, OGL v3.0) and methods.

    Parameters
    ----------
    inputs : ProfileInputs

    Returns
    -------
    hiworkbook.narrative.Narrative
    """
    from hiworkbook.narrative import Narrative

    files = ", ".join(_e(Path(p).name) for p in inputs.sources.values() if p)
    chk = inputs.ci_check
    check_text = ""
    if chk is not None and len(chk):
        check_text = (
            f" As a check of methods, hiworkbook recomputed {len(chk):,} published 95% intervals "
            f"of {_e(inputs.area_name)} and {_e(inputs.benchmark_name)} from their counts and "
            f"denominators (Wilson for proportions, Byar's or exact Poisson for crude rates): "
            f"{int(chk['matches'].sum()):,} match to within 0.1% of the interval's width."
        )
    return Narrative(
        "<footer class='hiw-methods'><h2>Data and methods</h2>"
        "<p>Indicator values, counts and confidence intervals are as published by the Office "
        "for Health Improvement and Disparities (OHID) in Fingertips "
        "(fingertips.phe.org.uk). Local authority boundaries: Office for National Statistics "
        "(ONS), Local Authority Districts. Contains public sector information licensed under "
        "the Open Government Licence v3.0; contains OS data © Crown copyright and database "
        f"right. Files: {files}.</p>"
        "<p>Comparison with the benchmark follows Fingertips: a value is significantly "
        "better (or higher) when its confidence interval lies wholly on one side of the "
        "benchmark's value, and similar when the interval contains it, at the level Fingertips "
        "uses for the indicator (95% or 99.8%). Indicators Fingertips compares by quintiles, or "
        "without a published interval at that level, are not compared. Each indicator shows "
        f"its latest period.{check_text}</p></footer>"
    )


# ---------------------------------------------------------------------------- inputs


def realdata_dir() -> Path:
    """``<project>/../shared/realdata``: the shared real open data, when beside the project."""
    from hiworkbook.paths import project_root

    return project_root().parent / "shared" / "realdata"


_DEFAULTS = {
    "fingertips": "fingertips_derived/healthdata.csv",
    "metadata": "fingertips_derived/indicators_metadata_HEAD.csv",
    "boundaries": "boundaries_england/Local_Authority_Districts_May_2024_Boundaries_UK_BSC.geojson",
}


@dataclass
class ProfileInputs:
    """Everything the LA profile report needs, validated.

    Attributes
    ----------
    values : pandas.DataFrame
        The Fingertips value table (area names filled from the boundaries).
    metadata : pandas.DataFrame or None
    boundaries : geopandas.GeoDataFrame
        Local authority districts (``ltla_code``, ``ltla_name``, ``geometry``).
    area_code, area_name, benchmark_code, benchmark_name : str
    period : str
        ``"latest"`` or the period asked for.
    map_indicator : str
    profile : pandas.DataFrame
        :func:`area_profile`.
    ci_check : pandas.DataFrame or None
        :func:`check_published_cis` on the area's and the benchmark's values.
    sources : dict
        Parameter name → file used.
    warnings : list of str
    """

    values: pd.DataFrame
    metadata: pd.DataFrame | None
    boundaries: gpd.GeoDataFrame
    area_code: str
    area_name: str
    benchmark_code: str
    benchmark_name: str
    period: str
    map_indicator: str
    profile: pd.DataFrame
    ci_check: pd.DataFrame | None = None
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


def _resolve(name: str, given: str, log: ProblemLog, required: bool) -> Path | None:
    if given:
        p = Path(given).expanduser()
        if not p.exists():
            log.error(
                f"the file given as parameter '{name}' does not exist (looked for {p}).",
                fix=f"Set '{name}' to the path of the file.",
            )
            return None
        return p
    default = realdata_dir() / _DEFAULTS[name]
    if default.exists():
        logging.getLogger(__name__).info(
            "parameter '%s' is empty: using the shared real data %s", name, default
        )
        return default
    if required:
        what = {
            "fingertips": "a Fingertips export (web CSV or API layout)",
            "boundaries": "local authority district boundaries (e.g. ONS LAD GeoJSON)",
        }[name]
        log.error(
            f"no file for parameter '{name}' ({what}), and {default} does not exist.",
            fix=f"Set the notebook parameter '{name}' to the path of {what}.",
        )
    return None


def load_workbook_profile(
    config: str | Path = "",
    area_code: str = "E08000009",
    *,
    benchmark_code: str = ENGLAND,
    map_indicator: str = "",
    period: str = "",
) -> ProfileInputs:
    """The LA profile's one validation call from a workbook config (as :func:`load_place` is
    the place report's).

    The workbook names the published values under ``[files]``: ``fingertips`` (a Fingertips
    export; else the first comparator's ``fingertips`` file), ``fingertips_metadata`` (polarity
    and comparison method, optional) and ``la_boundaries`` (local authority districts). An
    empty ``config`` uses the shared real data (``../shared/realdata``) when it is beside the
    project, as :func:`load_profile_inputs` does.

    Parameters
    ----------
    config : str or Path
        ``workbook.toml``; empty for the shared real data.
    area_code : str, default "E08000009"
    benchmark_code : str, default "E92000001"
    map_indicator, period : str, optional

    Returns
    -------
    ProfileInputs

    Raises
    ------
    hiworkbook.validate.DataError
        The config's problems, a missing Fingertips export or boundaries, and every problem
        :func:`load_profile_inputs` finds.
    """
    kw = dict(
        area_code=area_code,
        benchmark_code=benchmark_code,
        map_indicator=map_indicator,
        period=period,
    )
    if not config:
        return load_profile_inputs("", "", "", **kw)
    from hiworkbook.config import load_config

    cfg = load_config(config)
    plog = ProblemLog()
    ft = cfg.file("fingertips") or next(
        (c.fingertips for c in cfg.comparators if c.fingertips is not None), None
    )
    meta = cfg.file("fingertips_metadata")
    lad = cfg.file("la_boundaries")
    if ft is None:
        plog.error(
            "names no Fingertips export.",
            file=cfg.path.name,
            fix='Add fingertips = "path/to/export.csv" under [files].',
        )
    if lad is None:
        plog.error(
            "names no local authority boundaries.",
            file=cfg.path.name,
            fix='Add la_boundaries = "path/to/LAD_boundaries.geojson" under [files].',
        )
    plog.raise_if_errors(f"the workbook {cfg.path.name}")
    inputs = load_profile_inputs(ft.path, lad.path, meta.path if meta else "", **kw)
    inputs.sources["workbook"] = str(cfg.path)
    return inputs


def load_profile_inputs(
    fingertips: str | Path = "",
    boundaries: str | Path = "",
    metadata: str | Path = "",
    *,
    area_code: str = "E08000009",
    benchmark_code: str = ENGLAND,
    map_indicator: str = "",
    period: str = "",
) -> ProfileInputs:
    """Read and check the LA profile's inputs; raise one DataError listing every problem.

    Empty paths default to the shared real data (``../shared/realdata``, see
    :func:`realdata_dir`) when it is beside the project.

    Parameters
    ----------
    fingertips : str or Path
        A Fingertips export (web CSV or API layout).
    boundaries : str or Path
        Local authority district boundaries (any vector format :func:`hiworkbook.io.load_boundaries`
        reads).
    metadata : str or Path, optional
        Fingertips indicator metadata (polarity, value type, comparison method); without it
        indicators are compared at 95% with no polarity.
    area_code : str, default "E08000009"
        The local authority (a code; a name is suggested back as its code).
    benchmark_code : str, default "E92000001"
    map_indicator : str, optional
        Indicator id to map; default the first profiled indicator with a comparison (else the
        first).
    period : str, optional
        Empty for each indicator's latest period.

    Returns
    -------
    ProfileInputs

    Raises
    ------
    hiworkbook.validate.DataError
        Missing files, unreadable files, an unknown area code (with "did you mean"), an unknown
        benchmark, map indicator or period.
    """
    from hiworkbook.io import load_boundaries, load_fingertips, load_fingertips_metadata

    plog = ProblemLog()
    fp = _resolve("fingertips", str(fingertips or ""), plog, True)
    bp = _resolve("boundaries", str(boundaries or ""), plog, True)
    mp = _resolve("metadata", str(metadata or ""), plog, False)
    values = load_fingertips(fp, log=plog) if fp else None
    meta = load_fingertips_metadata(mp, log=plog) if mp else None
    bounds = load_boundaries(bp, log=plog, level="ltla") if bp else None
    if bounds is not None and "ltla_code" not in bounds.columns:
        plog.error(
            "has no local authority district codes (LAD..CD).",
            file=bp.name,
            fix="Use ONS Local Authority District boundaries.",
        )
        bounds = None
    code = str(area_code or "").strip().upper()
    if not code:
        plog.error(
            "the parameter 'area_code' is empty.",
            fix="Set it to a local authority code, such as E08000009 for Trafford.",
        )
    profile = pd.DataFrame()
    area_name = code
    bench_name = "England" if benchmark_code == ENGLAND else benchmark_code
    map_id = str(map_indicator or "")
    if values is not None and code:
        if bounds is not None:
            names = dict(zip(bounds["ltla_code"], bounds["ltla_name"], strict=False))
            values["area_name"] = values["area_name"].fillna(
                values["area_code"].map(names)
            )
        values.loc[
            values["area_code"].eq(ENGLAND) & values["area_name"].isna(), "area_name"
        ] = "England"
        codes = set(values["area_code"].dropna())
        if code not in codes:
            by_name = {}
            if bounds is not None:
                by_name = {
                    str(n).lower(): c
                    for c, n in zip(
                        bounds["ltla_code"], bounds["ltla_name"], strict=False
                    )
                }
            hint = (
                f" ('{area_code}' is the name of {by_name[code.lower()]}: use the code)"
                if code.lower() in by_name
                else did_you_mean(
                    code, sorted(c for c in codes if c[:3] in _LA_PREFIXES)
                )
            )
            plog.error(
                f"the area code '{code}'{hint} has no values in the Fingertips file.",
                file=fp.name if fp else None,
                fix="Set 'area_code' to a local authority code from the file, e.g. E08000009.",
            )
        if benchmark_code not in codes:
            plog.error(
                f"the benchmark '{benchmark_code}'{did_you_mean(benchmark_code, codes)} has no "
                "values in the Fingertips file.",
                file=fp.name if fp else None,
                fix="Export England's values too, or set 'benchmark_code'.",
            )
        if (
            bounds is not None
            and code in codes
            and code not in set(bounds["ltla_code"])
        ):
            plog.error(
                f"has no boundary for {code}"
                f"{did_you_mean(code, bounds['ltla_code'].astype(str))}.",
                file=bp.name,
                fix="Use boundaries of the same vintage as the Fingertips values.",
            )
        if not plog.has_errors:
            profile = area_profile(
                values,
                code,
                benchmark_code=benchmark_code,
                period=period or "latest",
                metadata=meta,
            )
            area_name = profile.attrs["area_name"]
            bench_name = profile.attrs["benchmark_name"]
            if profile.empty:
                have = sorted(
                    values.loc[values["area_code"] == code, "period"]
                    .astype(str)
                    .unique()
                )
                plog.error(
                    f"{code} has no whole-population values"
                    + (f" for period '{period}'" if period else "")
                    + (f"; its periods are {format_values(have)}." if have else "."),
                    file=fp.name if fp else None,
                    fix="Set 'period' to one of those, or leave it empty for the latest.",
                )
            elif map_id and map_id not in set(profile["indicator_id"]):
                plog.error(
                    f"the map indicator '{map_id}'"
                    f"{did_you_mean(map_id, profile['indicator_id'])} has no value for "
                    f"{area_name}.",
                    fix=f"Use one of: {format_values(profile['indicator_id'], 40)}.",
                )
            elif not map_id:
                compared = profile[profile["comparison"] != "not compared"]
                map_id = str(
                    (compared if len(compared) else profile)["indicator_id"].iloc[0]
                )
    plog.raise_if_errors("the local authority profile's inputs")
    assert values is not None and bounds is not None  # for type checkers
    sub = values[values["area_code"].isin([code, benchmark_code])]
    check = check_published_cis(sub, meta) if meta is not None else None
    return ProfileInputs(
        values=values,
        metadata=meta,
        boundaries=bounds,
        area_code=code,
        area_name=area_name,
        benchmark_code=benchmark_code,
        benchmark_name=bench_name,
        period=period or "latest",
        map_indicator=map_id,
        profile=profile,
        ci_check=check,
        sources={
            "fingertips": str(fp),
            "metadata": str(mp) if mp else "",
            "boundaries": str(bp),
        },
        warnings=[str(p) for p in plog.warnings],
    )
