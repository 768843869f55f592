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

from hiworkbook import svgchart as sc
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


def _category_limits(n: int) -> tuple[float, float]:
    """x limits for ``n`` periods drawn at 0 … n − 1, with room for the end labels."""
    return (-0.4, n - 1 + 0.4)


def _period_ticks(ax: sc.Axes, periods: list[str], *, size: float = 10) -> float:
    """Period labels under the box at 0 … n − 1; returns the y below them.

    Labels too wide for the space between ticks are broken at spaces onto two lines; when
    even that overlaps, every k-th period is labelled (always the latest) and the others keep
    an unlabelled tick.
    """
    n = len(periods)
    space = float(ax.x(1) - ax.x(0)) if n > 1 else ax.width
    gap = 8.0

    def widest(labels: list[str]) -> float:
        return max(
            sc.text_width(line, size) for lab in labels for line in lab.split("\n")
        )

    labels = list(periods)
    if widest(labels) + gap > space:
        broken = ["\n".join(sc.wrap(p, space - gap, size)) or p for p in periods]
        if widest(broken) + gap <= space and all(b.count("\n") <= 1 for b in broken):
            labels = broken
    step = 1
    if widest(labels) + gap > space:
        step = int(np.ceil((widest(labels) + gap) / space))
    shown = [i for i in range(n) if (n - 1 - i) % step == 0]
    for i in range(n):
        if i not in shown:
            px = float(ax.x(i))
            ax.d.line(
                [(px, ax.bottom), (px, ax.bottom + 3)],
                stroke="#333333",
                width=0.8,
                role="tick",
            )
    return ax.xticks(shown, [labels[i] for i in shown], size=size)


def _suppressed_labels(
    ax: sc.Axes, periods: list[str], suppressed: np.ndarray, below: float
) -> float:
    """The word "suppressed" under the label of each suppressed period (role
    ``"suppressed"``, datum ``period``), on a second row where two would overlap; returns
    the y below them."""
    size = 9
    w = sc.text_width("suppressed", size)
    right = {0: -np.inf, 1: -np.inf}  # the right end of the last word on each row
    lowest = below
    for i, p in enumerate(periods):
        if not suppressed[i]:
            continue
        px = float(ax.x(i))
        row = 0 if px - w / 2 > right[0] + 4 else 1
        yy = below + 1 + row * size * 1.2
        ax.d.text(
            px,
            yy,
            "suppressed",
            size=size,
            anchor="middle",
            baseline="top",
            colour=_COMP,
            role="suppressed",
            datum={"period": p},
        )
        right[row] = px + w / 2
        lowest = max(lowest, yy + size * 1.2)
    return lowest


def _errorbar_key(d: sc.Drawing, key: sc.Mark, colour: str) -> None:
    """Turn a legend's box swatch into an error bar (the intervals are drawn as bars)."""
    g = key.geom
    cx, y0, y1 = g["x"] + g["w"] / 2, g["y"] - 2, g["y"] + g["h"] + 2
    at = d.marks.index(key)
    bar = sc.Drawing(d.width)
    bar.line([(cx, y0), (cx, y1)], stroke=colour, width=1.2, role="legend-key")
    for yy in (y0, y1):
        bar.line(
            [(cx - 3, yy), (cx + 3, yy)], stroke=colour, width=1.2, role="legend-key"
        )
    d.marks[at : at + 1] = bar.marks


def _left_margin(ylabels: list[str], *, size: float = 10) -> float:
    """Room left of a box for a turned y-axis label (11 px) and right-aligned tick labels."""
    return 10 + 11 * 1.3 + 8 + max(sc.text_width(t, size) for t in ylabels) + 7


def trend_chart(it: trends.IndicatorTrend):
    """An indicator over time for the place with 95% CIs, the comparator's line and the
    recent-trend marker in words (title and caption), drawn as SVG marks.

    The place's values are joined by a line (broken where a value is suppressed, with
    "suppressed" written at the foot of that period) over a shaded band of their 95%
    confidence intervals (an error bar for a period whose neighbours have no interval); each
    value's point is coloured, shaped and labelled in the legend by its benchmark class
    against the comparator in that period (:mod:`hiworkbook.benchmark`). The comparator is
    the dashed line with squares.

    Parameters
    ----------
    it : hiworkbook.trends.IndicatorTrend

    Returns
    -------
    hiworkbook.charts.Chart
        Drawn as SVG (``chart.drawing``): marks with roles ``"point"`` (datum ``period``,
        ``value``, ``lower``, ``upper``, ``benchmark``), ``"line"``, ``"band"`` and ``"ci"``
        (intervals), ``"comparator"`` (the comparator's line) and ``"comparator-point"``,
        ``"suppressed"``, ``"title"``.
    """
    from hiworkbook import benchmark as bm
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
    bench = (
        [bm.category(k).key for k in s["comparison"]]
        if "comparison" in s
        else ["not compared"] * len(periods)
    )
    n = len(periods)
    x = np.arange(n)
    c = it.comparator
    cx: list[int] = []
    cv: list[float] = []
    if len(c):
        cx = [periods.index(p) for p in c["period"].astype(str) if p in periods]
        cv = [
            float(v)
            for p, v in zip(c["period"].astype(str), c["value"], strict=True)
            if p in periods
        ]
    sex_txt = "" if it.sex == "persons" else f" ({it.sex}s)"
    marker = it.marker.get("trend", "Could not be calculated")
    why = it.marker.get("trend_note", "")

    d = sc.Drawing(720)
    top = (
        sc.title(
            d,
            [
                f"{ind.name}{sex_txt}, {it.place_name}"
                + (" (synthetic data)" if it.synthetic else ""),
                f"Recent trend: {marker}",
            ],
        )
        + 10
    )
    ylim, yt = sc.axis_range([*vals, *lo, *hi, *cv])
    ylabels = sc.tick_labels(yt)
    left = _left_margin(ylabels)
    ax = sc.Axes(d, left, top, d.width - left - 24, 210, _category_limits(n), ylim)
    ax.yticks(yt, ylabels, grid=True)
    # the 95% CIs: a band where neighbouring periods have them, else an error bar
    ax.band(x, lo, hi, fill=_PLACE, opacity=0.15, role="band")
    has_ci = np.isfinite(lo) & np.isfinite(hi)
    for i in range(n):
        alone = not (i > 0 and has_ci[i - 1]) and not (i < n - 1 and has_ci[i + 1])
        if has_ci[i] and alone:
            ax.errorbar(i, lo[i], hi[i], cap=4, stroke=_PLACE, width=1.2, role="ci")
    comp_drawn = bool(np.isfinite(cv).any()) if cv else False
    if comp_drawn:
        ax.plot(cx, cv, stroke=_COMP, width=1.2, dash="dash", role="comparator")
        for i, v in zip(cx, cv, strict=True):
            ax.point(
                i,
                v,
                marker="s",
                size=6,
                fill=_COMP,
                stroke=_COMP,
                role="comparator-point",
                datum={"period": periods[i], "value": v},
            )
    ax.plot(x, vals, stroke=_PLACE, width=1.8, role="line")
    for i, (p, v, a, b, k) in enumerate(zip(periods, vals, lo, hi, bench, strict=True)):
        if sup[i]:  # written under the period's label (after the ticks)
            continue
        cat = bm.category(k)
        ax.point(
            i,
            v,
            marker=cat.marker,
            size=9,
            fill=cat.colour,
            stroke="#333333",
            role="point",
            datum={
                "period": p,
                "value": float(v),
                "lower": float(a),
                "upper": float(b),
                "benchmark": cat.key,
            },
        )
    ax.spines()
    ax.ylabel(ind.unit if ind.unit != "%" else "per cent", 10)
    y = _period_ticks(ax, periods)
    y = _suppressed_labels(ax, periods, sup, y)
    items: list = []
    banded = bool(d.find("band"))
    if has_ci.any():
        items.append(("rect", {"fill": _PLACE, "opacity": 0.15}, "95% CI"))
    items.append(("line", {"stroke": _PLACE, "width": 1.8}, it.place_name))
    drawn = {
        k for k, v, f in zip(bench, vals, sup, strict=True) if not f and np.isfinite(v)
    }
    items += bm.legend_items([k for k in bm.CATEGORIES if k in drawn])
    if comp_drawn:
        items.append(
            (
                "line",
                {"stroke": _COMP, "dash": "dash", "width": 1.2},
                it.comparator_name or "Comparator",
            )
        )
    d.height = sc.legend(d, items, top=y + 6) + 8
    if has_ci.any() and not banded:  # intervals drawn as error bars only: key as one
        _errorbar_key(d, d.find("legend-key")[0], _PLACE)
    if comp_drawn:  # the comparator's key: its dashed line with a square, as drawn
        (x0, y0), (x1, y1) = d.find("legend-key")[-1].geom["points"]
        d.marker("s", (x0 + x1) / 2, y0, 6, fill=_COMP, stroke=_COMP, role="legend-key")
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
    return Chart(d, alt, caption)


def sii_trend_chart(
    pr: trends.PeriodResults, indicator_id: str, sex: str | None = None
):
    """The slope index of inequality of each period with its 95% CI, and whether the gap is
    widening or narrowing (only where the test says so), drawn as SVG marks.

    Parameters
    ----------
    pr : hiworkbook.trends.PeriodResults
    indicator_id : str
    sex : str, optional
        Default persons, else the first sex with an SII.

    Returns
    -------
    hiworkbook.charts.Chart or Narrative
        A sentence when no period has an SII. The chart is drawn as SVG
        (``chart.drawing``): roles ``"point"`` (datum ``period``, ``value``, ``lower``,
        ``upper``), ``"line"``, ``"ci"`` (error bars), ``"zero"`` (the line at zero),
        ``"title"``.
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
    periods = s["period"].astype(str).tolist()
    n = len(periods)
    x = np.arange(n)
    v = s["sii"].to_numpy(float)
    lo, hi = s["lower_ci"].to_numpy(float), s["upper_ci"].to_numpy(float)
    sex_txt = "" if sex == "persons" else f" ({sex}s)"

    d = sc.Drawing(720)
    top = (
        sc.title(
            d,
            [
                f"{ind.name}{sex_txt}: slope index of inequality over time, {pr.place.name}",
                f"least deprived minus most deprived; change in the gap: {verdict}"
                + (" (synthetic data)" if pr.place.workspace.synthetic else ""),
            ],
        )
        + 10
    )
    ylim, yt = sc.axis_range([*v, *lo, *hi, 0.0])  # zero in view: its line is drawn
    ylabels = sc.tick_labels(yt)
    left = _left_margin(ylabels)
    ax = sc.Axes(d, left, top, d.width - left - 24, 200, _category_limits(n), ylim)
    ax.yticks(yt, ylabels, grid=True)
    ax.hline(0.0, stroke="#000000", width=0.8, role="zero")
    for i in range(n):
        ax.errorbar(i, lo[i], hi[i], cap=4, stroke="#000000", width=1.0, role="ci")
    ax.plot(x, v, stroke=_SII, width=1.5, role="line")
    for i, (p, a, b, c) in enumerate(zip(periods, v, lo, hi, strict=True)):
        ax.point(
            i,
            a,
            marker="o",
            size=8,
            fill=_SII,
            stroke=_SII,
            role="point",
            datum={
                "period": p,
                "value": float(a),
                "lower": float(b),
                "upper": float(c),
            },
        )
    ax.spines()
    ax.ylabel(f"SII ({ind.unit})", 10)
    y = _period_ticks(ax, periods)
    d.height = (
        sc.legend(
            d,
            [("o", {"fill": _SII, "stroke": _SII, "size": 8}, "SII with 95% CI")],
            top=y + 6,
        )
        + 8
    )
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
    return Chart(d, alt, caption)


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
        # a sentence (Narrative) or a chart; not hasattr(chart, "figure"): that would draw
        # the SVG chart's marks on a matplotlib figure just to ask
        parts.append(
            str(chart) if isinstance(chart, HTMLFragment) else chart._repr_html_()
        )
    parts.append(str(trend_table(pr, markers)))
    return HTMLFragment("".join(parts))
