"""What the course shows: tables and plain-English explanations computed from the data.

Every number a course notebook's text quotes comes from a function here, at run time — never typed
into a Markdown cell — so the words stay true when the data or the place change. Explanations are
:class:`Explanation` objects: Markdown that displays itself in Jupyter (and in an HTML export).

The functions are thin wrappers over the package's public methods (:mod:`hiworkbook.stats`,
:mod:`hiworkbook.inequality`, :func:`hiworkbook.results.place_results`, :mod:`hiworkbook.maps`);
each docstring names the method it teaches and its source.
"""

from __future__ import annotations

import html
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hiworkbook import inequality, stats
from hiworkbook.narrative import fmt_int, fmt_value, indicator_sentence
from hiworkbook.results import QUINTILE_LABELS, PlaceResults

if TYPE_CHECKING:  # pragma: no cover
    from hiworkbook.workspace import Place, Workspace

__all__ = [
    "Explanation",
    "RefusalMessage",
    "HeadlineReview",
    "age_structure",
    "check_headline",
    "class_comparison",
    "core20_by_place",
    "counts_by_age_band",
    "core20_share",
    "crude_vs_standardised",
    "deprivation_profile",
    "explain_classes",
    "explain_clusters",
    "explain_crude_vs_dsr",
    "explain_deprivation",
    "explain_gap",
    "explain_instability",
    "explain_sii",
    "explain_small_numbers",
    "explain_statements",
    "fingertips_sentences",
    "explain_suppression",
    "headline_facts",
    "instability",
    "interval_widths",
    "poisson_methods",
    "quintile_values",
    "signed_sii_sentence",
    "small_area_values",
    "statements",
    "vintage_refusal",
    "worse_clusters",
]


@dataclass(frozen=True)
class Explanation:
    """Markdown written from the numbers; displays as Markdown in Jupyter."""

    text: str

    def _repr_markdown_(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def _pct(x: float, digits: int = 1) -> str:
    return "—" if x is None or x != x else f"{x:.{digits}f}%"


def _signed(x: float, digits: int = 1) -> str:
    """A number with its sign shown as a true minus sign (−)."""
    if x is None or x != x:
        return "—"
    s = f"{x:,.{digits}f}"
    return s.replace("-", "−")


# ------------------------------------------------------------------ lesson 1: deprivation
def deprivation_profile(place: Place) -> pd.DataFrame:
    """Neighbourhoods and residents of a place by national IMD decile (1 = most deprived 10%).

    Deciles and quintiles are national: a decile-1 neighbourhood is among the 10% most deprived
    small areas in England (MHCLG, English Indices of Deprivation, technical report). Quintile
    ``q`` holds deciles ``2q - 1`` and ``2q``.

    Returns
    -------
    pandas.DataFrame
        ``imd_decile``, ``imd_quintile``, ``small_areas``, ``population``, ``population_pct``.
    """
    a = place.areas
    by = a.groupby("imd_decile")
    out = pd.DataFrame(
        {
            "small_areas": by.size(),
            "population": by["population"].sum(),
        }
    ).reindex(range(1, 11), fill_value=0)
    out.index.name = "imd_decile"
    out = out.reset_index()
    out.insert(1, "imd_quintile", (out["imd_decile"] + 1) // 2)
    total = out["population"].sum()
    out["population_pct"] = 100 * out["population"] / total if total else np.nan
    return out


def core20_share(place: Place) -> float:
    """Percentage of a place's residents living in England's most deprived 20% of neighbourhoods
    (national IMD quintile 1: the Core20 population of NHS England's Core20PLUS5)."""
    a = place.areas
    total = float(a["population"].sum())
    core = float(a.loc[a["imd_quintile"] == 1, "population"].sum())
    return 100 * core / total if total else float("nan")


def core20_by_place(workspace: Workspace, level: str = "ltla") -> pd.DataFrame:
    """Core20 share of every place of one level (default the LTLAs).

    Returns
    -------
    pandas.DataFrame
        ``place_code``, ``place_name``, ``population``, ``core20_population``, ``core20_pct``.
    """
    rows = []
    for code, name in workspace.places(level)[["place_code", "place_name"]].itertuples(
        index=False
    ):
        p = workspace.place(code)
        a = p.areas
        total = int(a["population"].sum())
        core = int(a.loc[a["imd_quintile"] == 1, "population"].sum())
        rows.append(
            {
                "place_code": code,
                "place_name": name,
                "population": total,
                "core20_population": core,
                "core20_pct": 100 * core / total if total else np.nan,
            }
        )
    return pd.DataFrame(rows)


def explain_deprivation(place: Place) -> Explanation:
    """A paragraph on how a place's neighbourhoods spread over England's deprivation deciles."""
    prof = deprivation_profile(place)
    total_pop = int(prof["population"].sum())
    n = int(prof["small_areas"].sum())
    d1 = prof.loc[prof["imd_decile"] == 1].iloc[0]
    d10 = prof.loc[prof["imd_decile"] == 10].iloc[0]
    core = core20_share(place)
    core_pop = int(prof.loc[prof["imd_quintile"] == 1, "population"].sum())
    return Explanation(
        f"**{html.escape(place.name)}** has {fmt_int(n)} neighbourhoods (LSOAs) and "
        f"{fmt_int(total_pop)} residents. {fmt_int(d1['small_areas'])} of its neighbourhoods "
        f"({fmt_int(d1['population'])} people) are in national decile 1, the most deprived 10% "
        f"in England; {fmt_int(d10['small_areas'])} are in decile 10, the least deprived 10%. "
        f"Its **Core20 population** — residents of neighbourhoods in the most deprived 20% "
        f"nationally (deciles 1 and 2) — is {fmt_int(core_pop)} people, "
        f"**{_pct(core)}** of its residents. If deprivation were spread evenly across England "
        f"that share would be one in five."
    )


@dataclass(frozen=True)
class RefusalMessage:
    """The message hiworkbook gives when it refuses data, displayed as the user sees it."""

    text: str

    def _repr_html_(self) -> str:
        return (
            '<pre class="hiw-refusal" style="white-space:pre-wrap;border-left:4px solid '
            '#C00000;padding:6px 10px;background:#fff5f5">'
            f"{html.escape(self.text)}</pre>"
        )

    def __str__(self) -> str:
        return self.text


#: Real LSOA 2011 codes that ONS retired in 2021 (they are in the 2011 set only).
LSOA2011_ONLY = ("E01000010", "E01000023")


def vintage_refusal(workbook_vintage: int = 2021) -> RefusalMessage:
    """What hiworkbook says when a counts file with LSOA 2011 codes meets an LSOA 2021 workbook.

    A small counts file is written with real LSOA codes that exist only in the 2011 set
    (:data:`LSOA2011_ONLY`) and read with :func:`hiworkbook.io.load_counts` for a workbook whose
    ``geography.vintage`` is 2021 — the loader every workbook uses. The vintage is told from the
    codes by :func:`hiworkbook.io.detect_lsoa_vintage` against ONS's complete lists of both sets.

    Returns
    -------
    RefusalMessage
        The text of the :class:`~hiworkbook.validate.DataError`.
    """
    from hiworkbook.io import load_counts
    from hiworkbook.validate import DataError, ProblemLog

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deaths_lsoa11.csv"
        path.write_text(
            "indicator_id,period,lsoa_code,numerator\n"
            + "".join(
                f"mortality_u75,2024,{c},{7 + i}\n" for i, c in enumerate(LSOA2011_ONLY)
            ),
            encoding="utf-8",
        )
        log = ProblemLog()
        load_counts(path, log=log, label=path.name, vintage=workbook_vintage)
        try:
            log.raise_if_errors("the workbook")
        except DataError as err:
            return RefusalMessage(str(err))
    return RefusalMessage("No problem found (the file was accepted).")


# ------------------------------------------------------------------ lesson 2: rates and CIs
def small_area_values(
    results: PlaceResults, indicator_id: str, *, suppressed: bool = True
) -> pd.DataFrame:
    """One indicator by small area from the result table, with the interval's width.

    Parameters
    ----------
    results : PlaceResults
    indicator_id : str
    suppressed : bool, default True
        Keep suppressed rows (their values are blank); False drops them.

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``area_name``, ``numerator``, ``denominator``, ``value``, ``lower_ci``,
        ``upper_ci``, ``ci_width``, ``comparison`` (against the place), ``is_suppressed``,
        ``value_note``, sorted by denominator.
    """
    sa = results.for_indicator(indicator_id, "small_area")
    sexes = set(sa["sex"])
    if len(sexes) > 1:
        sa = sa[sa["sex"] == ("persons" if "persons" in sexes else sorted(sexes)[0])]
    out = sa[
        [
            "area_code",
            "area_name",
            "numerator",
            "denominator",
            "value",
            "lower_ci",
            "upper_ci",
            "comparison",
            "is_suppressed",
            "value_note",
        ]
    ].copy()
    out.insert(
        7, "ci_width", out["upper_ci"].astype(float) - out["lower_ci"].astype(float)
    )
    if not suppressed:
        out = out[~out["is_suppressed"]]
    return out.sort_values("denominator", kind="stable").reset_index(drop=True)


def interval_widths(
    results: PlaceResults, indicator_id: str, groups: int = 4
) -> pd.DataFrame:
    """Median confidence-interval width of small areas grouped by the size of their denominator.

    Shows the square-root law of sampling error: the interval narrows roughly with the square
    root of the denominator (PHE Technical Guide, "Confidence intervals").

    Returns
    -------
    pandas.DataFrame
        ``size_group`` (1 = smallest denominators), ``small_areas``, ``median_denominator``,
        ``median_value``, ``median_ci_width``.
    """
    v = small_area_values(results, indicator_id, suppressed=False).dropna(
        subset=["value", "ci_width"]
    )
    v = v.assign(
        size_group=pd.qcut(
            v["denominator"].rank(method="first"), groups, labels=range(1, groups + 1)
        ).astype(int)
    )
    return (
        v.groupby("size_group")
        .agg(
            small_areas=("area_code", "size"),
            median_denominator=("denominator", "median"),
            median_value=("value", "median"),
            median_ci_width=("ci_width", "median"),
        )
        .reset_index()
    )


def explain_small_numbers(results: PlaceResults, indicator_id: str) -> Explanation:
    """Why small numbers mislead: interval widths and extreme values in small and large areas."""
    ind = results.indicators[indicator_id]
    w = interval_widths(results, indicator_id)
    v = small_area_values(results, indicator_id, suppressed=False).dropna(
        subset=["value"]
    )
    small, large = w.iloc[0], w.iloc[-1]
    ratio = small["median_ci_width"] / large["median_ci_width"]
    k = max(1, len(v) // 10)
    top = v.nlargest(k, "value")
    bottom = v.nsmallest(k, "value")
    med = v["denominator"].median()
    extremes_small = int((pd.concat([top, bottom])["denominator"] < med).sum())
    return Explanation(
        f"For *{html.escape(ind.name)}*, the quarter of neighbourhoods with the smallest "
        f"denominators (median {fmt_int(small['median_denominator'])}) have a median 95% "
        f"interval {fmt_value(small['median_ci_width'], ind.unit)} wide; the quarter with the "
        f"largest (median {fmt_int(large['median_denominator'])}) have one "
        f"{fmt_value(large['median_ci_width'], ind.unit)} wide — {ratio:.1f} times narrower "
        f"for the big ones. Of the {fmt_int(2 * k)} most extreme values (the {fmt_int(k)} "
        f"highest and {fmt_int(k)} lowest), {fmt_int(extremes_small)} are in neighbourhoods "
        f"with a denominator below the median. Small areas are not more extreme in truth; "
        f"their values are noisier, so they crowd the top and the bottom of any ranking."
    )


def poisson_methods(
    counts: tuple[int, ...] = (0, 1, 2, 3, 5, 8, 9, 10, 15, 20, 50, 100, 500),
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Exact Poisson and Byar's limits of a count, side by side, and which one PHE uses.

    PHE uses exact limits (chi-squared quantiles) below 10 events and Byar's approximation from
    10 (PHEindicatormethods ``phe_rate``; Breslow & Day 1987). Limits are of the count; divide by
    the population and multiply to get the limits of a rate.

    Returns
    -------
    pandas.DataFrame
        ``count``, ``exact_lower``, ``exact_upper``, ``byar_lower``, ``byar_upper``,
        ``phe_method``, ``upper_over_count`` (how many times the count the upper limit is).
    """
    x = np.asarray(counts, dtype=float)
    elo, ehi = stats.exact_limits(x, confidence)
    blo, bhi = stats.byar_limits(x, confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(x > 0, np.where(x < 10, ehi, bhi) / x, np.nan)
    return pd.DataFrame(
        {
            "count": x.astype(int),
            "exact_lower": elo,
            "exact_upper": ehi,
            "byar_lower": blo,
            "byar_upper": bhi,
            "phe_method": np.where(x < 10, "Exact", "Byar's"),
            "upper_over_count": rel,
        }
    )


def explain_suppression(results: PlaceResults, indicator_id: str) -> Explanation:
    """How many small-area values the disclosure rule hides, and why."""
    ind = results.indicators[indicator_id]
    v = small_area_values(results, indicator_id)
    n_sup = int(v["is_suppressed"].sum())
    min_count = results.place.workspace.config.min_count
    return Explanation(
        f"The workbook's disclosure rule hides any count from 1 to {min_count - 1} "
        f"(`disclosure.min_count = {min_count}`), and for a proportion also a small complement. "
        f"For *{html.escape(ind.name)}*, {fmt_int(n_sup)} of {fmt_int(len(v))} neighbourhood "
        f"values are suppressed: their count, value and interval are blank in the result table, "
        f"so every map, chart, table and sentence made from it leaves them out too."
    )


# ------------------------------------------------------------------ lesson 3: standardisation
def age_structure(workspace: Workspace, period: str | None = None) -> pd.DataFrame:
    """Age structure of each LTLA: population and percentages aged under 20 and 65 and over.

    Returns
    -------
    pandas.DataFrame
        ``place_code``, ``place_name``, ``population``, ``pct_under_20``, ``pct_65_plus``.
    """
    pop = workspace.population
    period = str(period or workspace.default_period)
    pop = pop[pop["period"].astype(str) == period]
    col = workspace.area_col
    ltla = workspace.areas.set_index(col)["ltla_code"]
    names = workspace.areas.drop_duplicates("ltla_code").set_index("ltla_code")[
        "ltla_name"
    ]
    d = pop.assign(place_code=pop[col].map(ltla).astype(str))
    band = d["age_band"].astype(str)
    lower = band.str.extract(r"^(\d+)")[0].astype(float)
    d = d.assign(
        under20=np.where(lower < 20, d["population"], 0),
        over65=np.where(lower >= 65, d["population"], 0),
    )
    g = d.groupby("place_code")[["population", "under20", "over65"]].sum()
    out = pd.DataFrame(
        {
            "place_code": g.index,
            "place_name": g.index.map(names),
            "population": g["population"].to_numpy(),
            "pct_under_20": (100 * g["under20"] / g["population"]).to_numpy(),
            "pct_65_plus": (100 * g["over65"] / g["population"]).to_numpy(),
        }
    )
    return out.reset_index(drop=True)


def crude_vs_standardised(
    workspace: Workspace,
    indicator_id: str = "mortality_u75",
    period: str | None = None,
) -> pd.DataFrame:
    """Crude rate and directly standardised rate (ESP 2013) of every LTLA, with their ranks.

    The crude rate is events over population in the indicator's age bands (Poisson limits, PHE
    ``phe_rate``); the DSR weights each band's rate by the European Standard Population 2013 and
    has Dobson limits (PHE ``calculate_dsr``). Rank 1 = highest rate.

    Returns
    -------
    pandas.DataFrame
        ``place_code``, ``place_name``, ``events``, ``population``, ``crude_rate``,
        ``crude_lower_ci``, ``crude_upper_ci``, ``dsr``, ``dsr_lower_ci``, ``dsr_upper_ci``,
        ``crude_rank``, ``dsr_rank``.
    """
    ind = workspace.indicators[indicator_id]
    period = str(period or workspace.default_period)
    col = workspace.area_col
    c = workspace.counts
    c = c[
        (c["indicator_id"] == indicator_id)
        & (c["period"].astype(str) == period)
        & (c["ethnic_group"].astype(str) == "all")
    ]
    bands = list(ind.age_bands) or list(stats.ESP2013.index)
    c = c[c["age_band"].astype(str).isin(bands)]
    ltla = workspace.areas.set_index(col)["ltla_code"]
    names = workspace.areas.drop_duplicates("ltla_code").set_index("ltla_code")[
        "ltla_name"
    ]
    d = pd.DataFrame(
        {
            "place_code": c[col].map(ltla).astype(str).to_numpy(),
            "age_band": c["age_band"].astype(str).to_numpy(),
            "events": pd.to_numeric(c["numerator"]).to_numpy(),
            "population": pd.to_numeric(c["denominator"]).to_numpy(),
        }
    )
    d = d.groupby(["place_code", "age_band"], as_index=False)[
        ["events", "population"]
    ].sum()
    crude = stats.rate(
        d, "events", "population", group_by="place_code", multiplier=ind.multiplier
    )
    dsr = stats.dsr(
        d,
        "events",
        "population",
        "age_band",
        group_by="place_code",
        standard=stats.ESP2013.loc[bands],
        multiplier=ind.multiplier,
    )
    out = pd.DataFrame(
        {
            "place_code": crude["place_code"],
            "place_name": crude["place_code"].map(names),
            "events": crude["numerator"].astype(int),
            "population": crude["denominator"].astype(int),
            "crude_rate": crude["value"],
            "crude_lower_ci": crude["lower_ci"],
            "crude_upper_ci": crude["upper_ci"],
        }
    ).merge(
        dsr[["place_code", "value", "lower_ci", "upper_ci"]].rename(
            columns={
                "value": "dsr",
                "lower_ci": "dsr_lower_ci",
                "upper_ci": "dsr_upper_ci",
            }
        ),
        on="place_code",
    )
    out["crude_rank"] = (
        out["crude_rate"].rank(ascending=False, method="min").astype(int)
    )
    out["dsr_rank"] = out["dsr"].rank(ascending=False, method="min").astype(int)
    return out


def explain_crude_vs_dsr(
    workspace: Workspace,
    indicator_id: str = "mortality_u75",
    period: str | None = None,
) -> Explanation:
    """What standardisation changed: the youngest and oldest places, the spread between places,
    and any change of ranking."""
    t = crude_vs_standardised(workspace, indicator_id, period).set_index("place_code")
    ages = age_structure(workspace, period)
    oldest = ages.loc[ages["pct_65_plus"].idxmax()]
    youngest = ages.loc[ages["pct_65_plus"].idxmin()]
    ind = workspace.indicators[indicator_id]
    y = t.loc[youngest["place_code"]]
    crude_ratio = t["crude_rate"].max() / t["crude_rate"].min()
    dsr_ratio = t["dsr"].max() / t["dsr"].min()
    moved = t[t["crude_rank"] != t["dsr_rank"]]
    if len(moved):
        moves = "; ".join(
            f"{html.escape(r.place_name)} from {r.crude_rank} to {r.dsr_rank}"
            for r in moved.itertuples()
        )
        rank_text = f"Standardising changes the ranking of {fmt_int(len(moved))} places ({moves})."
    else:
        rank_text = (
            "Here the ranking stays the same; the size of the differences does not."
        )
    return Explanation(
        f"{html.escape(str(youngest['place_name']))} has the youngest population "
        f"({_pct(youngest['pct_65_plus'])} aged 65 and over, against "
        f"{_pct(oldest['pct_65_plus'])} in {html.escape(str(oldest['place_name']))}). Its crude "
        f"{html.escape(ind.name.lower())} is {fmt_value(y['crude_rate'], ind.unit)}; "
        f"standardised to the European Standard Population 2013 it is "
        f"{fmt_value(y['dsr'], ind.unit)}. Across the region the highest place's rate is "
        f"{crude_ratio:.2f} times the lowest's on crude rates but {dsr_ratio:.2f} times on DSRs: "
        f"age structure {'hid' if dsr_ratio > crude_ratio else 'exaggerated'} part of the "
        f"difference. {rank_text} The crude rate answers 'how many events happen here?'; the "
        f"DSR answers 'would this place have more or fewer events than another if both had the "
        f"same age structure?'."
    )


def counts_by_age_band(
    place: Place, indicator_id: str, period: str | None = None
) -> pd.DataFrame:
    """A place's events and population by age band for one indicator (sexes added), in ESP 2013
    order and restricted to the indicator's bands — the input of a DSR.

    Returns
    -------
    pandas.DataFrame
        ``age_band``, ``numerator``, ``denominator``.
    """
    ws = place.workspace
    ind = ws.indicators[indicator_id]
    period = str(period or place.period or ws.default_period)
    bands = list(ind.age_bands) or list(stats.ESP2013.index)
    c = ws.counts
    c = c[
        (c["indicator_id"] == indicator_id)
        & (c["period"].astype(str) == period)
        & c[ws.area_col].isin(place.area_codes)
        & (c["ethnic_group"].astype(str) == "all")
    ]
    d = pd.DataFrame(
        {
            "age_band": c["age_band"].astype(str).to_numpy(),
            "numerator": pd.to_numeric(c["numerator"]).to_numpy(),
            "denominator": pd.to_numeric(c["denominator"]).to_numpy(),
        }
    )
    out = d.groupby("age_band")[["numerator", "denominator"]].sum()
    return out.reindex(bands, fill_value=0).rename_axis("age_band").reset_index()


# ------------------------------------------------------------------ lesson 4: the gradient
def quintile_values(results: PlaceResults, indicator_id: str) -> pd.DataFrame:
    """An indicator's value, interval and denominator by national IMD quintile (1 = most deprived).

    Returns
    -------
    pandas.DataFrame
        ``imd_quintile``, ``category``, ``numerator``, ``denominator``, ``value``, ``lower_ci``,
        ``upper_ci``, ``is_suppressed``.
    """
    q = results.for_indicator(indicator_id, "imd_quintile")
    sexes = set(q["sex"])
    if len(sexes) > 1:
        q = q[q["sex"] == ("persons" if "persons" in sexes else sorted(sexes)[0])]
    inv = {v: k for k, v in QUINTILE_LABELS.items()}
    out = q.assign(imd_quintile=q["category"].map(inv))[
        [
            "imd_quintile",
            "category",
            "numerator",
            "denominator",
            "value",
            "lower_ci",
            "upper_ci",
            "is_suppressed",
        ]
    ]
    return out.sort_values("imd_quintile").reset_index(drop=True)


def explain_gap(results: PlaceResults, indicator_id: str) -> Explanation:
    """The absolute and relative gap between the least and most deprived quintiles, in words."""
    ind = results.indicators[indicator_id]
    q = quintile_values(results, indicator_id)
    g = inequality.gap(q, "value", "imd_quintile").iloc[0]
    unit = "percentage points" if ind.unit == "%" else ind.unit
    return Explanation(
        f"*{html.escape(ind.name)}* is {fmt_value(g['most_deprived_value'], ind.unit)} in the "
        f"most deprived quintile (Q{int(g['most_deprived_quantile'])}) and "
        f"{fmt_value(g['least_deprived_value'], ind.unit)} in the least deprived "
        f"(Q{int(g['least_deprived_quantile'])}). The **absolute gap**, least deprived minus "
        f"most deprived, is {_signed(g['absolute_gap'])} {unit}; the **relative gap**, least "
        f"over most, is {g['relative_gap']:.2f}. The gap uses only the two end quintiles and "
        f"ignores the people in between."
    )


def signed_sii_sentence(results: PlaceResults, indicator_id: str) -> str:
    """The SII as the project states it: signed, with the direction in words.

    ``SII = value at the least deprived end − value at the most deprived end`` of the fitted
    line (PHEindicatormethods ``phe_sii``): negative means higher in more deprived areas.
    """
    ind = results.indicators[indicator_id]
    s = results.sii[results.sii["indicator_id"] == indicator_id]
    if s.empty or pd.isna(s["sii"].iloc[0]):
        return f"No slope index of inequality could be calculated for {ind.name}."
    r = s.iloc[0]
    sii, lo, hi = float(r["sii"]), float(r["lower_ci"]), float(r["upper_ci"])
    unit = "percentage points" if ind.unit == "%" else ind.unit
    word = "lower" if sii < 0 else "higher"
    ci = (
        f" (95% CI {_signed(lo)} to {_signed(hi)})"
        if np.isfinite(lo) and np.isfinite(hi)
        else " (no confidence interval could be simulated)"
    )
    return (
        f"SII {_signed(sii)} {unit}{ci}: the modelled value is {abs(sii):,.1f} {unit} {word} "
        f"at the least deprived end than at the most deprived end "
        f"(least deprived minus most deprived)."
    )


def explain_sii(results: PlaceResults, indicator_id: str) -> Explanation:
    """The SII and RII of an indicator in words, with what their intervals mean."""
    ind = results.indicators[indicator_id]
    s = results.sii[results.sii["indicator_id"] == indicator_id]
    text = signed_sii_sentence(results, indicator_id)
    if len(s) and pd.notna(s["sii"].iloc[0]):
        r = s.iloc[0]
        lo, hi = float(r["lower_ci"]), float(r["upper_ci"])
        if np.isfinite(lo) and np.isfinite(hi):
            if lo > 0 or hi < 0:
                text += (
                    " The interval excludes zero, so the data support a gradient by "
                    "deprivation."
                )
            else:
                text += (
                    " The interval includes zero, so these data do not show a clear "
                    "gradient: a straight line with no slope fits them about as well."
                )
        if pd.notna(r.get("rii")):
            text += (
                f" The RII is {_signed(float(r['rii']), 3)} (95% CI "
                f"{_signed(float(r['rii_lower_ci']), 3)} to "
                f"{_signed(float(r['rii_upper_ci']), 3)}): the SII as a share of the place's "
                f"average, so places with different averages can be compared."
            )
    return Explanation(f"*{html.escape(ind.name)}*: {html.escape(text, quote=False)}")


# ------------------------------------------------------------------ lesson 5: maps
def class_comparison(
    results: PlaceResults, indicator_id: str, classes: int = 5
) -> pd.DataFrame:
    """How many neighbourhoods fall in each class under quantiles and equal intervals.

    Uses :func:`hiworkbook.maps.classify` — the classification the report maps use.

    Returns
    -------
    pandas.DataFrame
        ``scheme``, ``class`` (1 = lowest values), ``from``, ``to``, ``small_areas``.
    """
    from hiworkbook.maps import classify

    v = small_area_values(results, indicator_id)["value"].astype(float)
    rows = []
    for scheme in ("quantiles", "equal_interval"):
        edges, idx = classify(v, classes, scheme)
        for k in range(len(edges) - 1):
            rows.append(
                {
                    "scheme": scheme,
                    "class": k + 1,
                    "from": edges[k],
                    "to": edges[k + 1],
                    "small_areas": int((idx == k).sum()),
                }
            )
    return pd.DataFrame(rows)


def explain_classes(
    results: PlaceResults, indicator_id: str, classes: int = 5
) -> Explanation:
    """What the two classifications do to the darkest class."""
    t = class_comparison(results, indicator_id, classes)
    ind = results.indicators[indicator_id]
    q_top = t[t["scheme"] == "quantiles"].iloc[-1]
    e_top = t[t["scheme"] == "equal_interval"].iloc[-1]
    return Explanation(
        f"With {classes} **quantile** classes each colour holds about the same number of "
        f"neighbourhoods: the top class has {fmt_int(q_top['small_areas'])}, from "
        f"{fmt_value(q_top['from'], ind.unit)}. With {classes} **equal intervals** each class "
        f"spans the same range of values: the top class starts at "
        f"{fmt_value(e_top['from'], ind.unit)} and holds {fmt_int(e_top['small_areas'])}. "
        f"Same data, different story: quantiles always paint a fifth of the map dark; equal "
        f"intervals let a few extreme (often small, noisy) neighbourhoods set the scale. "
        f"Benchmark colours ask a different question — is this neighbourhood significantly "
        f"different from the place? — and say nothing about size."
    )


def instability(
    place: Place,
    indicator_id: str = "smoking_at_delivery",
    periods: tuple[str, str] = ("2023", "2024"),
) -> pd.DataFrame:
    """Each neighbourhood's value in two periods and whether it was in the top fifth in each.

    Values are computed per small area with the indicator's PHE method (here through
    :func:`hiworkbook.stats.proportion` or :func:`hiworkbook.stats.rate` on the counts; no
    suppression, for teaching only — never publish these).

    Returns
    -------
    pandas.DataFrame
        ``area_code``, ``denominator`` (second period), ``value_<p1>``, ``value_<p2>``,
        ``top_<p1>``, ``top_<p2>`` (in the highest fifth of values).
    """
    ws = place.workspace
    ind = ws.indicators[indicator_id]
    if ind.measure not in ("proportion", "rate"):
        raise ValueError(
            "instability() needs a proportion or a crude rate indicator, "
            f"not {ind.measure!r}."
        )
    col = ws.area_col
    c = ws.counts
    c = c[
        (c["indicator_id"] == indicator_id)
        & c[col].isin(place.areas[col])
        & (c["ethnic_group"].astype(str) == "all")
    ]
    fn = stats.proportion if ind.measure == "proportion" else stats.rate
    out = None
    for p in periods:
        sub = c[c["period"].astype(str) == str(p)]
        sub = pd.DataFrame(
            {
                "area_code": sub[col].astype(str).to_numpy(),
                "x": pd.to_numeric(sub["numerator"]).to_numpy(),
                "n": pd.to_numeric(sub["denominator"]).to_numpy(),
            }
        )
        r = fn(sub, "x", "n", group_by="area_code", multiplier=ind.multiplier)
        r = r[["area_code", "denominator", "value"]].rename(
            columns={"value": f"value_{p}", "denominator": f"denominator_{p}"}
        )
        cut = r[f"value_{p}"].quantile(0.8)
        r[f"top_{p}"] = r[f"value_{p}"] > cut
        out = r if out is None else out.merge(r, on="area_code")
    out = out.rename(columns={f"denominator_{periods[-1]}": "denominator"})
    return out.drop(columns=[f"denominator_{periods[0]}"])


def explain_instability(
    place: Place,
    indicator_id: str = "smoking_at_delivery",
    periods: tuple[str, str] = ("2023", "2024"),
) -> Explanation:
    """How many of one year's 'top fifth' neighbourhoods are still there the next year."""
    t = instability(place, indicator_id, periods)
    p1, p2 = periods
    top1 = t[t[f"top_{p1}"]]
    stay = int(top1[f"top_{p2}"].sum())
    corr = float(t[f"value_{p1}"].corr(t[f"value_{p2}"]))
    ind = place.workspace.indicators[indicator_id]
    return Explanation(
        f"In {p1}, {fmt_int(len(top1))} of {html.escape(place.name)}'s neighbourhoods were in "
        f"the highest fifth for *{html.escape(ind.name.lower())}*. In {p2} only "
        f"{fmt_int(stay)} of them were still there ({_pct(100 * stay / max(len(top1), 1), 0)}; "
        f"pure chance would keep about a fifth). The correlation between the two years' "
        f"neighbourhood values is {corr:.2f}. A map of one year's small-area values "
        f"shows a lot of noise: a neighbourhood that is dark this year may be pale the next."
    )


def worse_clusters(results: PlaceResults, indicator_id: str) -> pd.DataFrame:
    """Groups of touching neighbourhoods that are each significantly worse than the place.

    A simple screen for hot spots: neighbourhoods whose 95% interval lies wholly on the worse
    side of the place's value (:func:`hiworkbook.stats.compare`) are joined when their
    boundaries touch (queen contiguity), and each connected group of two or more is a cluster.
    It is not a formal test of spatial clustering (local Moran's I, with a correction for many
    tests, is — e.g. PySAL's ``esda``).

    Returns
    -------
    pandas.DataFrame
        ``cluster`` (1 = largest), ``small_areas``, ``area_codes`` (comma-separated),
        ``population`` (sum of denominators).
    """
    import geopandas as gpd
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    ind = results.indicators[indicator_id]
    bad = {"high_is_good": "worse", "low_is_good": "worse"}.get(ind.polarity, "higher")
    v = small_area_values(results, indicator_id)
    worse = set(v.loc[v["comparison"] == bad, "area_code"])
    col = results.place.workspace.area_col
    a = results.place.areas
    g = a[a[col].isin(worse)][[col, "geometry"]].reset_index(drop=True)
    cols = ["cluster", "small_areas", "area_codes", "population"]
    if len(g) < 2:
        return pd.DataFrame(columns=cols)
    pairs = gpd.sjoin(g, g, predicate="intersects", how="inner")
    pairs = pairs[pairs.index != pairs["index_right"]]
    n = len(g)
    graph = coo_matrix(
        (
            np.ones(len(pairs)),
            (pairs.index.to_numpy(), pairs["index_right"].to_numpy()),
        ),
        shape=(n, n),
    )
    _, labels = connected_components(graph, directed=False)
    den = v.set_index("area_code")["denominator"]
    rows = []
    for lab in np.unique(labels):
        codes = sorted(g.loc[labels == lab, col])
        if len(codes) >= 2:
            rows.append(
                {
                    "small_areas": len(codes),
                    "area_codes": ", ".join(codes),
                    "population": float(den.reindex(codes).sum()),
                }
            )
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.DataFrame(rows).sort_values(
        ["small_areas", "area_codes"], ascending=[False, True]
    )
    out.insert(0, "cluster", range(1, len(out) + 1))
    return out.reset_index(drop=True)


def explain_clusters(results: PlaceResults, indicator_id: str) -> Explanation:
    """The clusters in words, with what they do and do not show."""
    ind = results.indicators[indicator_id]
    v = small_area_values(results, indicator_id)
    bad = "worse" if ind.polarity in ("high_is_good", "low_is_good") else "higher"
    n_bad = int((v["comparison"] == bad).sum())
    cl = worse_clusters(results, indicator_id)
    in_cl = int(cl["small_areas"].sum()) if len(cl) else 0
    biggest = int(cl["small_areas"].iloc[0]) if len(cl) else 0
    return Explanation(
        f"{fmt_int(n_bad)} of {fmt_int(len(v))} neighbourhoods are significantly {bad} than "
        f"{html.escape(results.place.name)} on *{html.escape(ind.name.lower())}*. "
        f"{fmt_int(in_cl)} of them touch another such neighbourhood, forming "
        f"{fmt_int(len(cl))} cluster{'' if len(cl) == 1 else 's'} (the largest has "
        f"{fmt_int(biggest)}). A cluster says "
        f"*where* to look, not *why*: it may follow deprivation, a GP practice's coding, a care "
        f"home, or chance — with many neighbourhoods tested at 95%, about one in twenty is "
        f"flagged by chance alone."
    )


# ------------------------------------------------------------------ lesson 6: narrative
_CAUSAL = re.compile(
    r"\b(because|caus(e|es|ed|ing)|due to|leads? to|led to|results? in|driv(e|es|en|ing)|"
    r"owing to|explain(s|ed)? by|the reason)\b",
    re.I,
)
_NUMBER = re.compile(r"(?<![\w.])[−-]?\d[\d,]*(?:\.\d+)?")


def headline_facts(results: PlaceResults, indicator_id: str) -> dict[str, float]:
    """Every number a headline about one indicator may quote, by what it is.

    The place's value, its interval and the comparator's value; the quintile values and the
    gap; the SII and its interval; the place's population and Core20 population and share.
    """
    facts: dict[str, float] = {}
    s = results.summary()
    row = s[s["indicator_id"] == indicator_id]
    if len(row):
        r = row.iloc[0]
        for k in ("value", "lower_ci", "upper_ci", "comparator_value", "numerator"):
            if pd.notna(r[k]):
                facts[k] = float(r[k])
    q = quintile_values(results, indicator_id)
    for _, qr in q.iterrows():
        if pd.notna(qr["value"]):
            facts[f"q{int(qr['imd_quintile'])}_value"] = float(qr["value"])
    if len(q) and q["value"].notna().sum() >= 2:
        g = inequality.gap(q.dropna(subset=["value"]), "value", "imd_quintile").iloc[0]
        facts["absolute_gap"] = float(g["absolute_gap"])
        facts["relative_gap"] = float(g["relative_gap"])
    sii = results.sii[results.sii["indicator_id"] == indicator_id]
    if len(sii) and pd.notna(sii["sii"].iloc[0]):
        for k in ("sii", "lower_ci", "upper_ci", "rii"):
            facts[f"sii_{k}" if k != "sii" else "sii"] = float(sii[k].iloc[0])
    dep = results.deprivation
    facts["population"] = float(dep["population"].sum())
    facts["core20_population"] = float(
        dep.loc[dep["imd_quintile"] == 1, "population"].sum()
    )
    facts["core20_pct"] = core20_share(results.place)
    facts["period"] = float(results.period) if str(results.period).isdigit() else np.nan
    return {k: v for k, v in facts.items() if np.isfinite(v)}


@dataclass(frozen=True)
class HeadlineReview:
    """The result of :func:`check_headline`: the problems found (empty = none)."""

    text: str
    problems: tuple[str, ...]
    numbers_checked: int

    @property
    def ok(self) -> bool:
        """True when no problem was found."""
        return not self.problems

    def _repr_html_(self) -> str:
        if self.ok:
            return (
                '<div class="hiw-review" style="border-left:4px solid #1a7f37;padding:6px 10px">'
                f"<b>No problems found</b> in the headline ({self.numbers_checked} numbers "
                "checked against the results).</div>"
            )
        items = "".join(f"<li>{html.escape(p)}</li>" for p in self.problems)
        return (
            '<div class="hiw-review" style="border-left:4px solid #b35900;padding:6px 10px">'
            f"<b>{len(self.problems)} thing(s) to fix:</b><ul>{items}</ul></div>"
        )

    def __str__(self) -> str:
        return "No problems found." if self.ok else "\n".join(self.problems)


def _matches(number: float, decimals: int, facts: dict[str, float]) -> bool:
    tol = 0.5 * 10**-decimals + 1e-9
    for v in facts.values():
        for cand in (v, abs(v)):
            if abs(round(cand, decimals) - number) <= tol:
                return True
    return False


def _matches_any_value(text: str, value: float) -> bool:
    """Whether ``text`` quotes ``value`` (rounded as written)."""
    for raw in _NUMBER.findall(text):
        clean = raw.replace(",", "").replace("−", "-")
        try:
            num = float(clean)
        except ValueError:
            continue
        decimals = len(clean.split(".")[1]) if "." in clean else 0
        if _matches(abs(num), decimals, {"v": value}):
            return True
    return False


def check_headline(
    text: str, results: PlaceResults, indicator_id: str
) -> HeadlineReview:
    """Check a headline about one indicator against the results, the way a careful reviewer would.

    Checks that (1) every number in it is one of :func:`headline_facts`, rounded as written (a
    trailing "%" is allowed; years such as the period are allowed); (2) its comparison words
    agree with the Fingertips comparison (``"significantly worse"`` only when the interval
    excludes the comparator; no "worse"/"better"/"higher"/"lower" than the comparator when it is
    "similar"); (3) it makes no causal claim ("because", "caused by", "due to", "drives" …) —
    these data show association, not cause; (4) it quotes no value that is suppressed.

    Parameters
    ----------
    text : str
    results : PlaceResults
    indicator_id : str
        The indicator the headline is about.

    Returns
    -------
    HeadlineReview
    """
    problems: list[str] = []
    if not isinstance(text, str) or not text.strip():
        return HeadlineReview(
            str(text), ("Write the headline as a sentence in quotes.",), 0
        )
    facts = headline_facts(results, indicator_id)
    ind = results.indicators.get(indicator_id)
    # numbers that are part of the indicator's definition ("under 75", "per 100,000")
    defined = set()
    if ind is not None:
        for part in (ind.name, ind.unit, ind.ages):
            defined |= {n.replace(",", "") for n in _NUMBER.findall(part)}
    nums = _NUMBER.findall(text)
    checked = 0
    for raw in nums:
        clean = raw.replace(",", "").replace("−", "-")
        try:
            val = float(clean)
        except ValueError:
            continue
        decimals = len(clean.split(".")[1]) if "." in clean else 0
        if decimals == 0 and 1900 <= abs(val) <= 2100:
            continue  # a year
        if decimals == 0 and abs(val) in (95, 20):  # "95% CI", "most deprived 20%"
            continue
        if clean.lstrip("-") in defined:
            continue
        checked += 1
        if not _matches(abs(val), decimals, facts):
            problems.append(
                f"'{raw}' is not a number in the results for this indicator and place "
                "(check the value, its rounding and its unit)."
            )
    s = results.summary()
    row = s[s["indicator_id"] == indicator_id]
    low = text.lower()
    if len(row):
        r = row.iloc[0]
        comp = r["comparison"]
        name = str(r["comparator_name"] or "the comparator")
        says_diff = re.search(
            r"\b(worse|better|higher|lower|above|below|more|less)\b", low
        )
        if comp == "similar" and says_diff and "not significantly" not in low:
            problems.append(
                f"The value is similar to {name} (the 95% interval includes "
                f"{name}'s value): do not call it {says_diff.group(1)}."
            )
        if comp in ("worse", "better", "higher", "lower"):
            if comp not in low:
                problems.append(
                    f"Fingertips would call this 'significantly {comp} than {name}'; "
                    "say so in those words."
                )
            elif "significantly" not in low:
                problems.append(
                    "Say 'significantly' when the interval excludes the comparator: it tells "
                    "the reader the difference is unlikely to be chance."
                )
            wrong = {
                "worse": "better",
                "better": "worse",
                "higher": "lower",
                "lower": "higher",
            }[comp]
            if re.search(rf"\b{wrong}\b", low) and "least deprived" not in low:
                problems.append(f"The value is {comp} than {name}, not {wrong}.")
        if bool(r["is_suppressed"]):
            problems.append(
                "This indicator's value is suppressed (small numbers): a headline cannot quote it."
            )
    m = _CAUSAL.search(text)
    if m:
        problems.append(
            f"'{m.group(0)}' claims a cause. These figures show an association with "
            "deprivation, not what causes it; say 'higher in', 'associated with'."
        )
    return HeadlineReview(text, tuple(problems), checked)


def fingertips_sentences(results: PlaceResults) -> Explanation:
    """Every indicator of the place in one sentence each, in Fingertips' wording
    (:func:`hiworkbook.narrative.indicator_sentence`)."""
    lines = [
        f"- {html.escape(indicator_sentence(r), quote=False)}"
        for _, r in results.summary().iterrows()
    ]
    return Explanation("\n".join(lines))


def explain_statements(results: PlaceResults, indicator_id: str) -> Explanation:
    """The three statements of :func:`statements` as a Markdown list."""
    st = statements(results, indicator_id)
    return Explanation(
        "\n".join(f"- **{k}.** {html.escape(v, quote=False)}" for k, v in st.items())
    )


def statements(results: PlaceResults, indicator_id: str) -> dict[str, str]:
    """Three statements about one indicator, written from the numbers; exactly one is honest.

    ``"A"`` claims a cause; ``"B"`` gets the Fingertips comparison wrong; ``"C"`` is the
    package's own Fingertips-worded sentence (:func:`hiworkbook.narrative.indicator_sentence`).
    """
    s = results.summary()
    r = s[s["indicator_id"] == indicator_id].iloc[0]
    ind = results.indicators[indicator_id]
    val = fmt_value(r["value"], ind.unit)
    comp = str(r["comparator_name"])
    q = quintile_values(results, indicator_id)
    q1 = q.loc[q["imd_quintile"] == 1, "value"]
    q1_txt = fmt_value(float(q1.iloc[0]), ind.unit) if len(q1) else val
    wrong = {
        "similar": "significantly worse than",
        "worse": "similar to",
        "better": "similar to",
        "higher": "similar to",
        "lower": "similar to",
    }.get(str(r["comparison"]), "significantly worse than")
    return {
        "A": (
            f"Deprivation causes the difference: {ind.name.lower()} is {q1_txt} in "
            f"{results.place.name}'s most deprived fifth of neighbourhoods."
        ),
        "B": f"{ind.name} in {results.place.name} is {val}, {wrong} {comp}.",
        "C": indicator_sentence(r),
    }
