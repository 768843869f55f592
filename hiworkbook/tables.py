"""HTML tables of the result table, in the one benchmark grammar of :mod:`hiworkbook.benchmark`.

Each comparison cell is coloured with the colour-blind-safe benchmark palette (blue better, pale
amber similar, orange-brown worse; purples for lower/higher where an indicator has no judgement of
good or bad) and carries the class's symbol and words, so colour is never the only signal. The
comparator is one argument, resolved as every other view resolves it.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from hiworkbook import benchmark as bm
from hiworkbook.narrative import HTMLFragment, fmt_int, fmt_value
from hiworkbook.results import PlaceResults

__all__ = ["HTMLTable", "indicator_table", "COMPARISON_COLOURS"]

#: (background, text) colour of each benchmark class: :data:`hiworkbook.benchmark.CATEGORIES`.
COMPARISON_COLOURS = {k: (c.colour, c.text) for k, c in bm.CATEGORIES.items()}


HTMLTable = HTMLFragment  # a table of the result table


def indicator_table(
    results: PlaceResults,
    *,
    comparator: str | None = None,
    level: str = "95",
) -> HTMLTable:
    """Every indicator for the place: value, 95% CI, count, comparator value and significance,
    with the benchmark legend.

    Parameters
    ----------
    results : PlaceResults
    comparator : str, optional
        Name or code of the comparator (:func:`hiworkbook.benchmark.reference`); default the
        place's primary comparator.
    level : {"95", "99.8", "both"}
        Compare at 95%, 99.8% or show Fingertips' five classes.

    Returns
    -------
    HTMLTable
    """
    s = results.table[results.table["breakdown"] == "area"].reset_index(drop=True)
    if s.empty:
        from hiworkbook.coverage import missing_section

        return missing_section(results, "table")
    ref = bm.reference(results, comparator, breakdown="area")
    cats = bm.classify(s, ref, level=level)
    ref_vals = ref.value_for(s)
    comp_name = escape(ref.name or "Comparator")
    rows = []
    for i, r in s.iterrows():
        ind = results.indicators.get(r["indicator_id"])
        single_sex = ind is not None and len(ind.sexes) == 1
        sex = (
            ""
            if r["sex"] == "persons" or single_sex
            else f" ({escape(str(r['sex']))}s)"
        )
        core = (
            f'<br><span class="hiw-tag">Core20PLUS5: {escape(ind.core20plus5_name)}</span>'
            if ind and ind.core20plus5
            else ""
        )
        meta = _indicator_meta(ind, results.period)
        comp = cats.iloc[i]
        if r["is_suppressed"]:
            value, ci = "suppressed", ""
        else:
            value = escape(fmt_value(r["value"], r["unit"]))
            ci = (
                f"{r['lower_ci']:,.1f} – {r['upper_ci']:,.1f}"
                if pd.notna(r["lower_ci"]) and pd.notna(r["upper_ci"])
                else ""
            )
        rv = ref_vals.iloc[i]
        rows.append(
            "<tr>"
            f"<th scope='row'>{escape(str(r['indicator_name']))}{sex}{core}{meta}</th>"
            f"<td class='num'>{fmt_int(r['numerator'])}</td>"
            f"<td class='num'>{value}</td>"
            f"<td class='num'>{ci}</td>"
            f"<td class='num'>{escape(fmt_value(rv, r['unit'])) if pd.notna(rv) else '—'}</td>"
            f"<td style='{bm.cell_style(comp)}'>{bm.cell_text(comp)}</td>"
            "</tr>"
        )
    present = [k for k in bm.CATEGORIES if k in set(cats)]
    label = escape(
        f"Indicators for {results.place.name} (table; scrolls sideways)", quote=True
    )
    html = (
        f"<div class='hiw-table-wrap' role='region' tabindex='0' aria-label='{label}'>"
        "<table class='hiw-table'>"
        f"<caption>Indicators for {escape(results.place.name)}, {escape(results.period)}, "
        f"{escape(ref.phrase(level))} ({results.confidence:.0%} confidence intervals shown)"
        f"{_rounding_note(results)}</caption>"
        "<thead><tr><th scope='col'>Indicator <span class='hiw-ind-meta'>(period · value type · polarity)</span></th><th scope='col'>Count <span class='hiw-ind-meta'>(numerator)</span></th><th scope='col'>Value</th>"
        f"<th scope='col'>95% CI</th><th scope='col'>{comp_name}</th><th scope='col'>Compared with {comp_name}</th></tr></thead>"
        "<tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
        + bm.legend_html(present, title=f"Benchmark: {ref.phrase(level)}")
    )
    return HTMLTable(html)


_MEASURE_WORDS = {
    "dsr": "directly standardised rate",
    "rate": "crude rate",
    "proportion": "proportion",
    "life_expectancy": "life expectancy",
    "isr": "indirectly standardised ratio",
}
_POLARITY_WORDS = {
    "low_is_good": "lower is better",
    "high_is_good": "higher is better",
    "no_judgement": "no judgement of better or worse",
}


def _indicator_meta(ind: Any, period: str) -> str:
    """Period, value type, polarity and what the count counts, under an indicator's name (HTML)."""
    if ind is None:
        return ""
    parts = [
        str(period),
        f"{_MEASURE_WORDS.get(ind.measure, ind.measure.replace('_', ' '))}"
        + (f" ({ind.unit})" if ind.unit and ind.measure != "life_expectancy" else ""),
        _POLARITY_WORDS.get(ind.polarity, ind.polarity.replace("_", " ")),
    ]
    if ind.numerator:
        parts.append(f"count: {ind.numerator[0].lower()}{ind.numerator[1:]}")
    return "<br><span class='hiw-ind-meta'>" + escape(" · ".join(parts)) + "</span>"


def _rounding_note(results: PlaceResults) -> str:
    """The caption's note when counts are rounded (values are from the unrounded counts)."""
    t = results.table
    if "is_rounded" not in t or not t["is_rounded"].fillna(False).astype(bool).any():
        return ""
    ws = results.place.workspace
    base = ws.config.disclosure.rounding_base if ws is not None else 5
    return (
        f". Counts are rounded to the nearest {base}; values and intervals are calculated "
        "from the unrounded counts"
    )
