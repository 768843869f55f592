"""Views of trends: an indicator over time, the SII over time, the recent-trend table and sentences.

Every view takes :class:`hiworkbook.trends.PeriodResults` (or what :mod:`hiworkbook.trends`
derives from it), honours suppression (a suppressed value is drawn as a gap, never as zero),
says trends in Fingertips' words and says a gap is widening or narrowing **only** where
:func:`hiworkbook.trends.gap_trends` found the change significant.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hiworkbook import trends
from hiworkbook.narrative import HTMLFragment, Narrative, fmt_value
from hiworkbook.stats.trend import TREND_POINTS

__all__ = [
    "trend_chart",
    "sii_trend_chart",
    "trend_table",
    "trend_sentence",
    "gap_trend_sentence",
    "methods_items",
    "trends_unavailable",
    "trends_section",
]

_PLACE = "#D55E00"
_COMP = "#555555"
_SII = "#0072B2"


def trends_unavailable(pr: trends.PeriodResults) -> str | None:
    """One sentence saying why trends cannot be shown, or None when they can."""
    if len(pr.periods) < 2:
        only = pr.periods[0] if pr.periods else "no period"
        return (
            f"Trends need counts for at least two periods; this workbook holds {only} only. "
            "Add earlier years' counts (same layout, another period) to see trends."
        )
    return None


def trend_chart(it: trends.IndicatorTrend):
    """An indicator over time for the place with 95% CIs, the comparator's line and the
    recent-trend marker in words (title and caption).

    Returns
    -------
    hiworkbook.charts.Chart
    """
    from hiworkbook.charts import Chart

    ind = it.indicator
    s = it.series
    sup = s["is_suppressed"].fillna(False).astype(bool).to_numpy()
    vals = pd.to_numeric(s["value"], errors="coerce").to_numpy(dtype=float)
    lo = pd.to_numeric(s["lower_ci"], errors="coerce").to_numpy(dtype=float)
    hi = pd.to_numeric(s["upper_ci"], errors="coerce").to_numpy(dtype=float)
    vals = np.where(sup, np.nan, vals)
    lo, hi = np.where(sup, np.nan, lo), np.where(sup, np.nan, hi)
    periods = s["period"].astype(str).tolist()
    x = np.arange(len(periods))
    fig = Figure(figsize=(7.2, 3.4))
    ax = fig.add_subplot()
    ax.fill_between(x, lo, hi, color=_PLACE, alpha=0.15, lw=0, label="95% CI")
    ax.plot(x, vals, "-o", color=_PLACE, lw=1.8, ms=5, label=it.place_name)
    for xi, flag in zip(x, sup, strict=True):
        if flag:
            ax.annotate("suppressed", (xi, 0), xycoords=("data", "axes fraction"),
                        ha="center", va="bottom", fontsize=7, color=_COMP)  # fmt: skip
    c = it.comparator
    if len(c):
        cx = [periods.index(p) for p in c["period"].astype(str) if p in periods]
        cv = [
            float(v)
            for p, v in zip(c["period"].astype(str), c["value"], strict=True)
            if p in periods
        ]
        ax.plot(cx, cv, "--s", color=_COMP, lw=1.2, ms=4, label=it.comparator_name)
    ax.set_xticks(x, periods, fontsize=8)
    ax.set_ylabel(ind.unit if ind.unit != "%" else "per cent")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(fontsize=7, frameon=False, loc="upper center",
              bbox_to_anchor=(0.5, -0.15), ncol=3)  # fmt: skip
    sex_txt = "" if it.sex == "persons" else f" ({it.sex}s)"
    marker = it.marker.get("trend", "Could not be calculated")
    why = it.marker.get("trend_note", "")
    ax.set_title(
        f"{ind.name}{sex_txt}, {it.place_name}"
        + (" (synthetic data)" if it.synthetic else "")
        + f"\nRecent trend: {marker}",
        fontsize=9,
        loc="left",
    )
    fig.set_layout_engine(
        "tight"
    )  # laid out by Chart.png, with the renderer that draws
    words = "; ".join(
        f"{p}: {'suppressed' if f else fmt_value(v, ind.unit)}"
        for p, v, f in zip(periods, vals, sup, strict=True)
    )
    alt = (
        f"Line chart of {ind.name}{sex_txt} in {it.place_name} by period: {words}. "
        f"Recent trend: {marker}."
    )
    caption = (
        f"{ind.name}{sex_txt}, {it.place_name}, {periods[0]} to {periods[-1]}, with 95% "
        f"confidence intervals; dashed: {it.comparator_name or 'no comparator'}. Recent trend "
        f"(Fingertips' test over the last {TREND_POINTS} periods, 99.8%): {marker}"
        + (f" — {why}" if why and marker == "Could not be calculated" else "")
        + "."
    )
    return Chart(fig, alt, caption)


def sii_trend_chart(
    pr: trends.PeriodResults, indicator_id: str, sex: str | None = None
):
    """The slope index of inequality of each period with its 95% CI, and whether the gap is
    widening or narrowing (only where the test says so).

    Returns
    -------
    hiworkbook.charts.Chart or Narrative
        A sentence when no period has an SII.
    """
    from hiworkbook.charts import Chart

    s = trends.sii_by_period(pr, indicator_id).dropna(subset=["sii"])
    ind = pr.indicators[indicator_id]
    if s.empty:
        return Narrative(
            f"<p>No period has a slope index of inequality for {html.escape(ind.name)}.</p>"
        )
    sexes = sorted(s["sex"].unique())
    sex = sex or ("persons" if "persons" in sexes else sexes[0])
    s = s[s["sex"] == sex].sort_values("period")
    g = trends.gap_trends(pr, [indicator_id])
    g = g[g["sex"] == sex]
    verdict = g["gap_change"].iloc[0] if len(g) else "could not be calculated"
    test = g["test"].iloc[0] if len(g) else ""
    x = np.arange(len(s))
    v = s["sii"].to_numpy(float)
    lo, hi = s["lower_ci"].to_numpy(float), s["upper_ci"].to_numpy(float)
    fig = Figure(figsize=(7.2, 3.2))
    ax = fig.add_subplot()
    ax.axhline(0, color="black", lw=0.8)
    ax.errorbar(x, v, yerr=np.vstack([v - lo, hi - v]), fmt="o-", color=_SII,
                ecolor="black", capsize=4, lw=1.5, label="SII with 95% CI")  # fmt: skip
    ax.set_xticks(x, s["period"].astype(str).tolist(), fontsize=8)
    ax.set_ylabel(f"SII ({ind.unit})")
    ax.spines[["top", "right"]].set_visible(False)
    sex_txt = "" if sex == "persons" else f" ({sex}s)"
    ax.set_title(
        f"{ind.name}{sex_txt}: slope index of inequality over time, {pr.place.name}\n"
        f"least deprived minus most deprived; change in the gap: {verdict}"
        + (" (synthetic data)" if pr.place.workspace.synthetic else ""),
        fontsize=9,
        loc="left",
    )
    fig.set_layout_engine(
        "tight"
    )  # laid out by Chart.png, with the renderer that draws
    words = "; ".join(
        f"{p}: {a:,.1f} (95% CI {b:,.1f} to {c:,.1f})"
        for p, a, b, c in zip(s["period"], v, lo, hi, strict=True)
    )
    alt = (
        f"Chart of the slope index of inequality of {ind.name}{sex_txt} by period "
        f"(least deprived minus most deprived): {words}. The gap is {verdict}."
    )
    caption = (
        f"Slope index of inequality of {ind.name}{sex_txt} across {pr.place.name}'s national "
        f"IMD quintiles, each period with its 95% CI; the SII is the modelled value at the "
        f"least deprived end minus that at the most deprived end (negative = higher in more "
        f"deprived areas). Change: {verdict}" + (f" ({test})" if test else "") + "."
    )
    return Chart(fig, alt, caption)


def trend_table(
    pr: trends.PeriodResults, markers: pd.DataFrame | None = None
) -> HTMLFragment:
    """One row per indicator (and sex): the first and latest value and the recent trend in
    Fingertips' words."""
    markers = (
        trends.trend_markers(pr, breakdowns=("area",)) if markers is None else markers
    )
    t = pr.table[pr.table["breakdown"] == "area"]
    rows = []
    for (ind_id, sex), sub in t.groupby(["indicator_id", "sex"], sort=False):
        ind = pr.indicators.get(ind_id)
        if ind is None:
            continue
        sub = sub.sort_values("period")

        def val(r: pd.Series, unit: str = ind.unit) -> str:
            if bool(r["is_suppressed"]):
                return "suppressed"
            return fmt_value(r["value"], unit)

        m = markers[(markers["indicator_id"] == ind_id) & (markers["sex"] == sex)]
        mk = m["trend"].iloc[0] if len(m) else "Could not be calculated"
        note = m["trend_note"].iloc[0] if len(m) else ""
        sex_txt = "" if sex == "persons" else f" ({sex}s)"
        rows.append(
            "<tr>"
            f"<th scope='row'>{html.escape(ind.name + sex_txt)}</th>"
            f"<td>{html.escape(str(sub['period'].iloc[0]))}: {html.escape(val(sub.iloc[0]))}</td>"
            f"<td>{html.escape(str(sub['period'].iloc[-1]))}: {html.escape(val(sub.iloc[-1]))}</td>"
            f"<td>{html.escape(mk)}"
            + (
                f"<br><small>{html.escape(note)}</small>"
                if mk == "Could not be calculated"
                else ""
            )
            + "</td></tr>"
        )
    synth = " Synthetic data." if pr.place.workspace.synthetic else ""
    return HTMLFragment(
        "<table class='hiw-table hiw-trends'>"
        f"<caption>Recent trend of each indicator in {html.escape(pr.place.name)} "
        f"(Fingertips' test over the last {TREND_POINTS} periods at 99.8%).{synth}</caption>"
        "<thead><tr><th scope='col'>Indicator</th><th scope='col'>First period</th>"
        "<th scope='col'>Latest period</th><th scope='col'>Recent trend</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def trend_sentence(
    pr: trends.PeriodResults, markers: pd.DataFrame | None = None
) -> Narrative:
    """Which indicators are getting better or worse (only significant recent trends)."""
    markers = (
        trends.trend_markers(pr, breakdowns=("area",)) if markers is None else markers
    )
    if markers.empty:
        return Narrative("<p>No indicator has values in more than one period.</p>")
    better = markers[markers["trend"].str.endswith("getting better")]
    worse = markers[markers["trend"].str.endswith("getting worse")]
    cannot = markers["trend_direction"].eq("could not be calculated")
    name = {k: v.name for k, v in pr.indicators.items()}
    parts = []
    if cannot.all():
        n = len(pr.periods)
        parts.append(
            f"Fingertips' recent-trend test needs {TREND_POINTS} periods; the data hold {n} "
            f"({', '.join(pr.periods)}), so no recent trend is marked. The charts show the "
            "values and their confidence intervals period by period."
        )
    else:
        if len(worse):
            parts.append(
                "Getting significantly worse: "
                + ", ".join(name.get(i, i) for i in worse["indicator_id"])
                + "."
            )
        if len(better):
            parts.append(
                "Getting significantly better: "
                + ", ".join(name.get(i, i) for i in better["indicator_id"])
                + "."
            )
        if not len(worse) and not len(better):
            parts.append("No indicator shows a significant recent trend.")
    return Narrative("<p>" + html.escape(" ".join(parts)) + "</p>")


def gap_trend_sentence(
    pr: trends.PeriodResults, indicators: list[str] | None = None
) -> Narrative:
    """Which deprivation gaps (SIIs) are widening or narrowing — only where the test says so."""
    g = trends.gap_trends(pr, indicators)
    if g.empty:
        return Narrative(
            "<p>No indicator has a slope index of inequality in two or more periods, so "
            "changes in the deprivation gap cannot be tested.</p>"
        )
    name = {k: v.name for k, v in pr.indicators.items()}

    def label(r: pd.Series) -> str:
        sx = "" if r["sex"] == "persons" else f" ({r['sex']}s)"
        return f"{name.get(r['indicator_id'], r['indicator_id'])}{sx}"

    wid = g[g["gap_change"] == "widening"]
    nar = g[g["gap_change"] == "narrowing"]
    parts = []
    for verdict, sub in (("widening", wid), ("narrowing", nar)):
        for _, r in sub.iterrows():
            parts.append(
                f"The deprivation gap in {label(r)} is {verdict}: the SII (least deprived "
                f"minus most deprived) moved from {r['sii_first']:,.1f} in {r['first_period']} "
                f"to {r['sii_last']:,.1f} in {r['last_period']} (p = {r['p_value']:.3f}, "
                f"{r['test']})."
            )
    rest = g[~g["gap_change"].isin(["widening", "narrowing"])]
    if len(rest):
        first, last = g["first_period"].min(), g["last_period"].max()
        parts.append(
            f"{'No' if not parts else 'For the other indicators, no'} gap between the most and "
            f"least deprived changed significantly between {first} and {last}"
            + (f" ({rest['test'].iloc[0]})" if rest["test"].iloc[0] != "none" else "")
            + "; differences between periods may be chance."
        )
    return Narrative("<p>" + html.escape(" ".join(parts)) + "</p>")


def methods_items(pr: trends.PeriodResults | None = None, gap=None) -> list[str]:
    """Sentences for the methods footer describing the trend and life-expectancy-gap methods
    a report used (plain text; the footer escapes them)."""
    items = []
    if pr is not None:
        items.append(
            f"Recent trends: Fingertips' trend markers over the last {TREND_POINTS} periods at "
            "99.8% — the chi-square test for trend in proportions, and for other measures a "
            "weighted regression on the values with weights from their 95% confidence "
            "intervals; a trend is reported only if leaving out any one point keeps its "
            "direction (OHID Fingertips technical guidance; PHEindicatormethods "
            "assign_trend_markers). Fewer than 5 periods: could not be calculated."
        )
        items.append(
            "Changes in the deprivation gap: with 5 or more periods, the same trend test on the "
            "SII series; with 2 to 4 periods, a z-test of the difference between the first and "
            "the last SII (standard errors from their 95% intervals). A gap is called widening "
            "or narrowing only when the test is significant."
        )
    if gap is not None:
        items.append(
            "Life-expectancy gap by age and cause: Chiang II life tables of each group with "
            f"periods pooled ({', '.join(gap.periods)}), Arriaga's decomposition (Arriaga "
            "1984) of the gap into age bands, and each band's contribution split across causes "
            "by their shares of the difference in death rates, as OHID's Segment Tool."
        )
    items.append(
        "Quantiles: this report's deprivation quintiles are national (IMD deciles 1-2, 3-4 …). "
        "Where hiworkbook forms local quantiles it uses PHEindicatormethods' phe_quantile "
        "rule (inequality.quantiles, method='phe'); SIIs are fitted on the values' own scale "
        "(phe_sii's default; fit_scale='transformed' gives its transform=TRUE)."
    )
    return items


def trends_section(
    pr: trends.PeriodResults,
    indicators: list[str],
    sii_indicator: str | None = None,
) -> HTMLFragment:
    """The report's trends section: the recent-trend and gap sentences, a trend chart per
    indicator, the SII over time and the trend table — or one sentence when the data hold a
    single period. Indicators without values are skipped (with a note)."""
    why = trends_unavailable(pr)
    if why:
        return HTMLFragment(f"<p>{html.escape(why)}</p>")
    markers = trends.trend_markers(pr, breakdowns=("area",))
    parts = [str(trend_sentence(pr, markers)), str(gap_trend_sentence(pr))]
    area = pr.table[(pr.table["breakdown"] == "area") & pr.table["value"].notna()]
    have = set(area["indicator_id"])
    shown = [i for i in dict.fromkeys(indicators) if i in have]
    missing = [i for i in dict.fromkeys(indicators) if i and i not in have]
    for i in shown:
        sexes = sorted(area.loc[area["indicator_id"] == i, "sex"].unique())
        for sex in sexes:
            it = trends.indicator_trend(pr, i, sex=sex, markers=markers)
            parts.append(trend_chart(it)._repr_html_())
    if missing:
        parts.append(
            "<p>No values over time for: " + html.escape(", ".join(missing)) + ".</p>"
        )
    if sii_indicator and sii_indicator in pr.indicators:
        chart = sii_trend_chart(pr, sii_indicator)
        parts.append(chart._repr_html_() if hasattr(chart, "figure") else str(chart))
    parts.append(str(trend_table(pr, markers)))
    return HTMLFragment("".join(parts))
