"""HTML tables of the result table, coloured as Fingertips colours comparisons.

Fingertips' palette: green = significantly better, amber = similar, red = significantly worse;
where an indicator has no judgement of good or bad, light and dark blue = significantly lower and
higher. Colour is never the only signal: the comparison is also written in words.
"""

from __future__ import annotations

from html import escape

import pandas as pd

from hiworkbook.narrative import HTMLFragment, fmt_int, fmt_value
from hiworkbook.results import PlaceResults

__all__ = ["HTMLTable", "indicator_table", "COMPARISON_COLOURS"]

COMPARISON_COLOURS = {
    "better": ("#92D050", "#000000"),
    "similar": ("#FFC000", "#000000"),
    "worse": ("#C00000", "#FFFFFF"),
    "higher": ("#1E3B7A", "#FFFFFF"),
    "lower": ("#BED2FF", "#000000"),
    "not compared": ("#FFFFFF", "#333333"),
}
_WORDS = {
    "better": "Better",
    "similar": "Similar",
    "worse": "Worse",
    "higher": "Higher",
    "lower": "Lower",
    "not compared": "Not compared",
}


HTMLTable = HTMLFragment  # a table of the result table


def indicator_table(results: PlaceResults) -> HTMLTable:
    """Every indicator for the place: value, 95% CI, count, comparator value and significance.

    Parameters
    ----------
    results : PlaceResults

    Returns
    -------
    HTMLTable
    """
    s = results.summary()
    if s.empty:
        from hiworkbook.coverage import missing_section

        return missing_section(results, "table")
    comp_name = escape(results.primary_comparator or "Comparator")
    rows = []
    for _, r in s.iterrows():
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
        comp = str(r["comparison"]) if pd.notna(r["comparison"]) else "not compared"
        bg, fg = COMPARISON_COLOURS.get(comp, COMPARISON_COLOURS["not compared"])
        if r["is_suppressed"]:
            value, ci = "suppressed", ""
        else:
            value = escape(fmt_value(r["value"], r["unit"]))
            ci = (
                f"{r['lower_ci']:,.1f} – {r['upper_ci']:,.1f}"
                if pd.notna(r["lower_ci"]) and pd.notna(r["upper_ci"])
                else ""
            )
        rows.append(
            "<tr>"
            f"<th scope='row'>{escape(str(r['indicator_name']))}{sex}{core}</th>"
            f"<td class='num'>{fmt_int(r['numerator'])}</td>"
            f"<td class='num'>{value}</td>"
            f"<td class='num'>{ci}</td>"
            f"<td class='num'>{escape(fmt_value(r['comparator_value'], r['unit'])) if pd.notna(r['comparator_value']) else '—'}</td>"
            f"<td style='background:{bg};color:{fg}'>{_WORDS.get(comp, escape(comp))}</td>"
            "</tr>"
        )
    html = (
        "<table class='hiw-table'>"
        f"<caption>Indicators for {escape(results.place.name)}, {escape(results.period)}, compared with "
        f"{comp_name} ({results.confidence:.0%} confidence intervals){_rounding_note(results)}</caption>"
        "<thead><tr><th scope='col'>Indicator</th><th scope='col'>Count</th><th scope='col'>Value</th>"
        f"<th scope='col'>95% CI</th><th scope='col'>{comp_name}</th><th scope='col'>Compared with {comp_name}</th></tr></thead>"
        "<tbody>" + "".join(rows) + "</tbody></table>"
    )
    return HTMLTable(html)


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
