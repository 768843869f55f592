"""One indicator broken down by a chosen dimension for a place, and the gap between two groups.

:func:`indicator_by` computes an indicator for a place's categories of one breakdown —

- ``"imd_decile"`` — the national IMD decile of each small area (1 = most deprived 10% in England),
- ``"imd_quintile"`` — the national IMD quintile (quintile 1 = Core20),
- ``"local_quintile"`` — quintiles of the place's *own* population by IMD score (population-weighted,
  :func:`hiworkbook.inequality.quantiles`), so each holds about a fifth of the place's residents,
- ``"core20"`` — Core20 (national IMD quintile 1, NHS England's Core20PLUS5) against the rest,
- ``"sex"``, ``"age_band"``, ``"ethnic_group"`` — where the counts have them,

with the same PHE methods as the result table (``hiworkbook.results._calculate``: Wilson score
intervals for proportions, Byar's for rates, Dobson's for DSRs, Chiang II for life expectancy),
compares each category with the place's own value as Fingertips does
(:func:`hiworkbook.stats.compare`) and applies disclosure control as the result table does
(:func:`hiworkbook.disclosure.apply`, the workbook's policy). The rows have the result table's columns
(:data:`hiworkbook.results.RESULT_COLUMNS`).

Where the data cannot support a breakdown (no sex split, no age bands, no ethnic groups, a
breakdown that makes no sense for the measure) the :class:`Breakdown` is empty and its ``reason``
says why in words a view can show.

:func:`group_gap` (and :func:`core20_gap`) give the difference between two groups' values with
a confidence interval by the MOVER method (Zou & Donner 2008), which for proportions with Wilson
intervals is Newcombe's (1998) method 10; see docs/methods.md.
"""

from __future__ import annotations

import html
import logging
import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from hiworkbook import disclosure, inequality, stats
from hiworkbook.indicators import Indicator
from hiworkbook.narrative import HTMLFragment, fmt_int, fmt_value, short_group
from hiworkbook.results import (
    QUINTILE_LABELS,
    RESULT_COLUMNS,
    _add_published,
    _calculate,
    _comparator_units,
    _compare,
    _fill_denominators,
    _primary,
    _reference_counts,
)
from hiworkbook.validate import ProblemLog, did_you_mean
from hiworkbook.workspace import Place

_log = logging.getLogger(__name__)

__all__ = [
    "BREAKDOWNS",
    "Breakdown",
    "GAP_COLUMNS",
    "core20_gap",
    "difference_ci",
    "group_gap",
    "indicator_by",
    "plus_group_by",
]

#: The breakdowns :func:`indicator_by` knows, with their names in words.
BREAKDOWNS = {
    "imd_decile": "national deprivation decile (IMD)",
    "imd_quintile": "national deprivation quintile (IMD)",
    "local_quintile": "local deprivation quintile (population-weighted, within the place)",
    "core20": "Core20 (most deprived 20% in England) against the rest",
    "sex": "sex",
    "age_band": "age band",
    "ethnic_group": "ethnic group",
}
DECILE_LABELS = {
    d: f"D{d}" + {1: " (most deprived)", 10: " (least deprived)"}.get(d, "")
    for d in range(1, 11)
}
LOCAL_QUINTILE_LABELS = {
    q: f"Local Q{q}" + {1: " (most deprived)", 5: " (least deprived)"}.get(q, "")
    for q in range(1, 6)
}
CORE20 = "Core20 (national IMD quintile 1)"
REST = "Rest (national IMD quintiles 2-5)"
OTHER_AREAS = "Rest of the place"
OTHER_GROUPS = "Other ethnic groups"
GAP_COLUMNS = [
    "indicator_id",
    "indicator_name",
    "unit",
    "period",
    "sex",
    "group",
    "group_value",
    "group_lower_ci",
    "group_upper_ci",
    "rest",
    "rest_value",
    "rest_lower_ci",
    "rest_upper_ci",
    "gap",
    "gap_lower_ci",
    "gap_upper_ci",
    "confidence",
    "significant",
    "comparison",
    "polarity",
    "note",
]


@dataclass
class Breakdown:
    """An indicator for a place's categories of one breakdown.

    Attributes
    ----------
    place : Place
    indicator : Indicator
    breakdown : str
        A key of :data:`BREAKDOWNS` (or ``"plus_group"``).
    period : str
    table : pandas.DataFrame
        Result-table rows (:data:`~hiworkbook.results.RESULT_COLUMNS`): the place
        (``breakdown == "area"``), its comparators and one row per category and sex, compared with
        the place's own value, disclosure control applied. Empty when ``reason`` is set.
    categories : list of str
        The categories in display order.
    reason : str
        Why the breakdown is not shown ("" when it is).
    note : str
        A method note the views show (e.g. crude age-specific rates in place of a DSR).
    confidence : float
    label : str
        The breakdown in words.
    """

    place: Place
    indicator: Indicator
    breakdown: str
    period: str
    table: pd.DataFrame
    categories: list[str] = field(default_factory=list)
    reason: str = ""
    note: str = ""
    confidence: float = 0.95
    label: str = ""

    @property
    def supported(self) -> bool:
        """True when the breakdown has rows to show."""
        return not self.reason and not self.table.empty

    @property
    def sex(self) -> str:
        """The sex the views show: persons, else the first reported."""
        sexes = sorted(set(self.table["sex"].dropna())) if len(self.table) else []
        return "persons" if "persons" in sexes or not sexes else sexes[0]

    def rows(self, sex: str | None = None) -> pd.DataFrame:
        """The category rows, in display order (one sex: ``sex`` or :attr:`sex`)."""
        t = self.table
        if t.empty:
            return t
        t = t[(t["breakdown"] == self.breakdown) & (t["sex"] == (sex or self.sex))]
        order = {c: i for i, c in enumerate(self.categories)}
        return t.sort_values("category", key=lambda s: s.map(order)).reset_index(
            drop=True
        )

    def place_row(self, sex: str | None = None) -> pd.Series | None:
        """The place's own row (the value every category is compared with)."""
        t = self.table
        if t.empty:
            return None
        r = t[(t["breakdown"] == "area") & (t["sex"] == (sex or self.sex))]
        return r.iloc[0] if len(r) else None

    def comparator_row(self, sex: str | None = None) -> pd.Series | None:
        """The place's primary comparator's row (e.g. England), if computed."""
        t = self.table
        if t.empty:
            return None
        r = t[(t["breakdown"] == "comparator") & (t["sex"] == (sex or self.sex))]
        return r.iloc[0] if len(r) else None

    @property
    def _sex_words(self) -> str:
        """ " (females)" when the views show one sex of an indicator reported for both."""
        if (
            not self.supported
            or self.sex == "persons"
            or len(self.indicator.sexes) == 1
        ):
            return ""
        return f" ({self.sex}s)"

    @property
    def _synthetic(self) -> str:
        ws = self.place.workspace
        return (
            " Synthetic demonstration data." if ws is not None and ws.synthetic else ""
        )

    # ------------------------------------------------------------------ views
    def sentence(self) -> HTMLFragment:
        """A paragraph in Fingertips' words: which categories are significantly better or worse
        (higher or lower) than the place overall, at the breakdown's confidence level; the rest
        are "similar". Never says more than the intervals support."""
        ind, place = self.indicator, self.place
        sex = self._sex_words
        head = f"{ind.name}{sex}, {place.name}, {self.period}, by {self.label}"
        if not self.supported:
            return HTMLFragment(
                f'<p class="hiw-breakdown-sentence">{html.escape(head)}: '
                f"{html.escape(self.reason)}{html.escape(self._synthetic)}</p>"
            )
        own = self.place_row()
        rows = self.rows()
        shown = rows[~rows["is_suppressed"].astype(bool) & rows["value"].notna()]
        words = (
            ("higher", "lower")
            if ind.polarity == "no_judgement"
            else ("worse", "better")
        )
        level = f"{self.confidence:.0%}"
        parts = [f"{head}."]
        if own is not None and pd.notna(own["value"]):
            parts.append(
                f"The place overall is {fmt_value(own['value'], own['unit'])}."
            )
        for w in words:
            names = shown.loc[shown["comparison"] == w, "category"].map(_short)
            if len(names):
                parts.append(
                    f"Significantly {w} than {place.name} overall ({level} confidence "
                    f"intervals): {', '.join(names)}."
                )
        similar = shown[shown["comparison"] == "similar"]
        if len(similar) == len(shown) and len(shown):
            parts.append(
                f"No group is significantly different from {place.name} overall: every "
                f"{level} confidence interval includes the place's value."
            )
        elif len(similar):
            verb = "is" if len(similar) == 1 else "are"
            parts.append(f"{len(similar)} of {len(shown)} groups {verb} similar.")
        blank = rows[~rows["is_suppressed"].astype(bool) & rows["value"].isna()]
        if len(blank):
            why = next((str(n) for n in blank["value_note"] if pd.notna(n) and n), "")
            parts.append(
                f"{len(blank)} group{'s' if len(blank) > 1 else ''} could not be calculated"
                + (f" ({why.rstrip('.')})." if why else ".")
            )
        n_supp = int(rows["is_suppressed"].astype(bool).sum())
        if n_supp:
            parts.append(
                f"{n_supp} group{'s are' if n_supp > 1 else ' is'} not shown "
                "(small numbers suppressed)."
            )
        if self.note:
            parts.append(self.note)
        text = " ".join(parts) + self._synthetic
        return HTMLFragment(
            f'<p class="hiw-breakdown-sentence">{html.escape(text)}</p>'
        )

    def html_table(self) -> HTMLFragment:
        """The categories with count, value, CI and comparison with the place (escaped HTML)."""
        from hiworkbook import benchmark as bm

        ind, place = self.indicator, self.place
        sex = self._sex_words
        caption = (
            f"{ind.name}{sex}, {place.name}, {self.period}, by {self.label} "
            f"({self.confidence:.0%} confidence intervals; each group compared with "
            f"{place.name} overall).{self._synthetic}"
        )
        if not self.supported:
            return HTMLFragment(
                f"<p class='hiw-breakdown-reason'>{html.escape(caption)} "
                f"{html.escape(self.reason)}</p>"
            )
        body = []
        own = self.place_row()
        lines = [("place", own)] if own is not None else []
        lines += [("group", r) for _, r in self.rows().iterrows()]
        comp = self.comparator_row()
        if comp is not None:
            lines.append(("comparator", comp))
        for kind, r in lines:
            c = str(r["comparison"]) if pd.notna(r["comparison"]) else "not compared"
            if bool(r["is_suppressed"]):
                c = "suppressed"
            style, word = bm.cell_style(c), bm.cell_text(c)
            if kind == "place":
                style, word = "background:#FFFFFF;color:#333333", "The place's value"
            if bool(r["is_suppressed"]):
                value, ci, count = "suppressed", "", "—"
            else:
                value = fmt_value(r["value"], r["unit"])
                ci = (
                    f"{r['lower_ci']:,.1f} – {r['upper_ci']:,.1f}"
                    if pd.notna(r["lower_ci"]) and pd.notna(r["upper_ci"])
                    else ""
                )
                count = fmt_int(r["numerator"])
            name = place.name if kind == "place" else str(r["category"])
            body.append(
                f"<tr class='hiw-{kind}'><th scope='row'>{html.escape(name)}</th>"
                f"<td class='num'>{html.escape(count)}</td>"
                f"<td class='num'>{html.escape(value)}</td>"
                f"<td class='num'>{html.escape(ci)}</td>"
                f"<td style='{style}'>{word}</td>"
                "</tr>"
            )
        note = f"<p class='hiw-note'>{html.escape(self.note)}</p>" if self.note else ""
        return HTMLFragment(
            "<table class='hiw-table hiw-breakdown'>"
            f"<caption>{html.escape(caption)}</caption>"
            "<thead><tr><th scope='col'>Group</th><th scope='col'>Count</th>"
            "<th scope='col'>Value</th><th scope='col'>CI</th>"
            f"<th scope='col'>Compared with {html.escape(place.name)}</th></tr></thead>"
            "<tbody>" + "".join(body) + "</tbody></table>" + note
        )

    def chart(self) -> Any:
        """Bars of each category's value with its CI, a line at the place's value; coloured
        where significantly better/worse (higher) than the place. A
        :class:`hiworkbook.charts.Chart` (PNG with alt text and caption), or a paragraph with the
        reason when the breakdown is not shown."""
        from matplotlib.figure import Figure

        from hiworkbook.charts import Chart

        if not self.supported:
            return self.sentence()
        ind, place = self.indicator, self.place
        rows = self.rows()
        vals = rows["value"].to_numpy(dtype=float)
        lo = rows["lower_ci"].to_numpy(dtype=float)
        hi = rows["upper_ci"].to_numpy(dtype=float)
        from hiworkbook import benchmark as bm

        # the one benchmark palette (hiworkbook.benchmark): the same colours as every other view
        colours = [bm.category(str(c)).colour for c in rows["comparison"]]
        fig = Figure(figsize=(7.2, 3.8))
        ax = fig.add_subplot()
        x = np.arange(len(rows))
        ax.bar(
            x,
            np.nan_to_num(vals),
            color=colours,
            edgecolor="#333333",
            lw=0.6,
            width=0.6,
        )
        ax.errorbar(
            x,
            np.nan_to_num(vals),
            yerr=np.vstack([np.nan_to_num(vals - lo), np.nan_to_num(hi - vals)]),
            fmt="none",
            ecolor="black",
            capsize=4,
            lw=1,
            label=f"{self.confidence:.0%} CI",
        )
        for xi, v, s in zip(x, vals, rows["is_suppressed"], strict=True):
            if np.isnan(v):
                ax.text(
                    xi,
                    0,
                    "suppressed" if s else "no data",
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    rotation=90,
                )
        own = self.place_row()
        if own is not None and pd.notna(own["value"]):
            ax.axhline(
                float(own["value"]),
                color="#555555",
                ls="--",
                lw=1.2,
                label=f"{place.name} overall",
            )
        labels = [_short(c).replace(" (", "\n(") for c in rows["category"]]
        ax.set_xticks(x, labels, fontsize=7 if len(rows) > 6 else 8)
        ax.set_ylabel(ind.unit if ind.unit != "%" else "per cent")
        ax.spines[["top", "right"]].set_visible(False)
        # symbols beside the colours, so the comparison never rests on colour alone
        for xi, v, hi_, c in zip(x, vals, hi, rows["comparison"], strict=True):
            if not np.isnan(v):
                top = hi_ if not np.isnan(hi_) else v
                ax.text(xi, top, bm.category(str(c)).symbol, ha="center", va="bottom")
        present = [k for k in bm.CATEGORIES if k in set(rows["comparison"].astype(str))]
        handles, _ = ax.get_legend_handles_labels()
        ax.legend(
            handles=handles + bm.legend_handles(present),
            fontsize=7,
            frameon=False,
            loc="best",
        )
        sex = self._sex_words
        ax.set_title(
            f"{ind.name}{sex}, {place.name}, {self.period}\nby {self.label}",
            fontsize=9,
            loc="left",
        )
        fig.set_layout_engine("tight")  # laid out once, by the renderer that draws it
        parts = [
            f"{_short(c)}: "
            + ("suppressed" if s else fmt_value(v, ind.unit))
            + (f" ({cmp})" if not s else "")
            for c, v, s, cmp in zip(
                rows["category"],
                vals,
                rows["is_suppressed"],
                rows["comparison"],
                strict=True,
            )
        ]
        alt = (
            f"Bar chart of {ind.name}{sex} in {place.name} by {self.label}. "
            + "; ".join(parts)
        )
        caption = (
            f"{ind.name}{sex} by {self.label}, {place.name}, {self.period}, with "
            f"{self.confidence:.0%} confidence intervals; orange = significantly worse and "
            "green = significantly better than the place overall (dark blue = higher where "
            f"higher is neither better nor worse).{(' ' + self.note) if self.note else ''}"
            f"{self._synthetic}"
        )
        return Chart(fig, alt, caption)


# ---------------------------------------------------------------------- computing
def indicator_by(
    source: Any,
    indicator_id: str,
    breakdown: str,
    period: str | None = None,
    confidence: float = 0.95,
    *,
    comparator: str | None = None,
) -> Breakdown:
    """An indicator for a place broken down by one dimension, as result-table rows.

    Parameters
    ----------
    source : PlaceResults or Place
        The place (a :class:`~hiworkbook.results.PlaceResults` gives its place and period).
    indicator_id : str
    breakdown : str
        One of :data:`BREAKDOWNS`: ``"imd_decile"``, ``"imd_quintile"``, ``"local_quintile"``,
        ``"core20"``, ``"sex"``, ``"age_band"``, ``"ethnic_group"``.
    period : str, optional
        Default: the results' or place's period.
    confidence : float, default 0.95
    comparator : str, optional
        The comparator the place row is compared with (default as
        :func:`~hiworkbook.results.place_results`).

    Returns
    -------
    Breakdown
        Empty with a ``reason`` when the data cannot support the breakdown.

    Notes
    -----
    Values and CIs use the indicator's PHE method (the same code as the result table). Each
    category is compared with the place's own value by Fingertips' method: significantly
    better/worse (or higher/lower) when the category's CI excludes the place's value.
    **Local quintiles** rank the place's small areas by IMD score and cut them into five groups
    of about equal population (:func:`hiworkbook.inequality.quantiles` with ``population``).
    **Age bands** of a directly standardised rate: standardising within one age band gives that
    band's crude rate, so the rows are crude age-specific rates (Byar's CI), and the place and
    comparator rows are crude rates over the same ages, so like is compared with like.
    Disclosure control as in :func:`hiworkbook.disclosure.apply` (the workbook's policy).
    """
    return _compute(source, indicator_id, breakdown, period, confidence, comparator)


def plus_group_by(
    source: Any,
    indicator_id: str,
    group: Any,
    period: str | None = None,
    confidence: float = 0.95,
) -> Breakdown:
    """An indicator for a PLUS group (from ``[core20plus5]`` in workbook.toml) against the rest.

    Parameters
    ----------
    source : PlaceResults or Place
    indicator_id : str
    group : hiworkbook.config.PlusGroupSpec
        ``name`` and either ``ethnic_groups`` (against the place's other ethnic groups) or
        ``areas`` (small-area codes, against the rest of the place's small areas).
    period : str, optional
    confidence : float, default 0.95

    Returns
    -------
    Breakdown
        ``breakdown == "plus_group"``, categories ``[group.name, rest]``.
    """
    return _compute(source, indicator_id, "plus_group", period, confidence, None, group)


def _compute(
    source: Any,
    indicator_id: str,
    breakdown: str,
    period: str | None,
    confidence: float,
    comparator: str | None,
    group: Any = None,
) -> Breakdown:
    place: Place = source.place if hasattr(source, "table") else source
    ws = place.workspace
    period = str(
        period or getattr(source, "period", "") or place.period or ws.default_period
    )
    label = (
        f"PLUS group: {group.name} against the rest"
        if group is not None
        else BREAKDOWNS.get(breakdown, breakdown)
    )
    log = ProblemLog()
    if indicator_id not in ws.indicators:
        log.error(
            f"No indicator is defined with the id '{indicator_id}'"
            f"{did_you_mean(indicator_id, ws.indicators)}.",
            fix="Use an id from the workbook's indicator definitions.",
        )
    if breakdown not in BREAKDOWNS and breakdown != "plus_group":
        log.error(
            f"'{breakdown}' is not a breakdown{did_you_mean(breakdown, BREAKDOWNS)}.",
            fix=f"Breakdowns: {', '.join(BREAKDOWNS)}.",
        )
    log.raise_if_errors("indicator_by")
    ind = ws.indicators[indicator_id]

    def empty(reason: str) -> Breakdown:
        return Breakdown(
            place,
            ind,
            breakdown,
            period,
            pd.DataFrame(columns=RESULT_COLUMNS),
            reason=reason,
            confidence=confidence,
            label=label,
        )

    area_col = ws.area_col
    counts = ws.counts[
        (ws.counts["indicator_id"] == indicator_id)
        & (ws.counts["period"].astype(str) == period)
    ]
    if counts.empty:
        return empty(f"There are no counts for {ind.name} in {period}.")
    counts = _fill_denominators(counts, ws.population, area_col, period, ind)
    mine = counts[counts[area_col].isin(place.areas[area_col])]
    if "ethnic_group" in mine:
        total = mine[mine["ethnic_group"].astype(str) == "all"]
        eth = mine[mine["ethnic_group"].astype(str) != "all"]
    else:
        total, eth = mine, mine.iloc[0:0]
    if total.empty:
        return empty(f"{place.name} has no counts for {ind.name} in {period}.")

    calc, note = ind, ""
    made = _categories(place, ind, breakdown, total, eth, area_col, group)
    if isinstance(made, str):
        return empty(made)
    units, categories = made
    if breakdown == "age_band" and ind.measure == "dsr":
        bands = list(ind.age_bands) or list(stats.ESP2013.index)
        calc = replace(ind, measure="rate")
        total = total[total["age_band"].isin(bands)]
        units = [u[u["age_band"].isin(bands)] for u in units]
        note = (
            "A directly standardised rate has no meaning within one age band (it equals the "
            "band's crude rate), so these are crude age-specific rates, compared with the "
            f"crude rate over the same ages ({ind.ages}) for the place."
        )

    primary = _primary(place.comparators, comparator)
    own = total.assign(
        breakdown="area", category="All", area_code=place.code, area_name=place.name
    )
    all_units = [own, *units]
    for comp in place.comparators:
        cu = _comparator_units(counts, comp, area_col, period, ind.id)
        if cu is not None:
            if calc is not ind:
                cu = cu[cu["age_band"].isin(total["age_band"].unique())]
            all_units.append(cu)
    data = pd.concat(all_units, ignore_index=True)
    reference = (
        _reference_counts(
            [u for u in all_units if u["breakdown"].iloc[0] != breakdown], primary
        )
        if calc.measure == "isratio"
        else None
    )
    res = _calculate(data, calc, confidence, reference)
    if calc is ind:
        res = _add_published(res, place.comparators, ind, period)
    res = res.assign(
        indicator_id=ind.id,
        indicator_name=ind.name,
        measure=calc.measure,
        unit=ind.unit,
        period=period,
        polarity=ind.polarity,
    )
    table = _compare(res, place, primary)
    table = disclosure.apply(table, ws.config.disclosure, place=place)
    for col in RESULT_COLUMNS:
        if col not in table:
            table[col] = pd.NA
    table = table[RESULT_COLUMNS].reset_index(drop=True)
    table["is_suppressed"] = table["is_suppressed"].fillna(False).astype(bool)
    present = set(table.loc[table["breakdown"] == breakdown, "category"])
    return Breakdown(
        place,
        ind,
        breakdown,
        period,
        table,
        categories=[c for c in categories if c in present],
        note=note,
        confidence=confidence,
        label=label,
    )


def _categories(
    place: Place,
    ind: Indicator,
    breakdown: str,
    total: pd.DataFrame,
    eth: pd.DataFrame,
    area_col: str,
    group: Any,
) -> tuple[list[pd.DataFrame], list[str]] | str:
    """The count rows of each category, labelled, and the display order; or the reason there
    are none."""
    areas = place.areas

    def by_area(labels: pd.Series, order: list[str]) -> tuple[list, list[str]]:
        lab = total[area_col].map(labels)
        sub = total.assign(category=lab).dropna(subset=["category"])
        return [_label(sub, breakdown, place)], order

    if breakdown == "imd_decile":
        lab = areas.set_index(area_col)["imd_decile"].map(DECILE_LABELS)
        return by_area(lab, list(DECILE_LABELS.values()))
    if breakdown == "imd_quintile":
        lab = areas.set_index(area_col)["imd_quintile"].map(QUINTILE_LABELS)
        return by_area(lab, list(QUINTILE_LABELS.values()))
    if breakdown == "core20":
        q = areas.set_index(area_col)["imd_quintile"]
        lab = q.map(lambda v: CORE20 if v == 1 else (REST if pd.notna(v) else None))
        return by_area(lab, [CORE20, REST])
    if breakdown == "local_quintile":
        lq = local_quintiles(place)
        lab = lq.map(LOCAL_QUINTILE_LABELS)
        return by_area(lab, list(LOCAL_QUINTILE_LABELS.values()))
    if breakdown == "sex":
        if ind.measure == "life_expectancy":
            return (
                f"{ind.name} is already calculated for females and males separately; "
                "every other breakdown shows both."
            )
        if len(ind.sexes) == 1 and ind.sexes[0] != "persons":
            return (
                f"{ind.name} covers {ind.sexes[0]}s only, so it has no sex breakdown."
            )
        sexes = set(total["sex"].astype(str))
        if not sexes & {"female", "male"}:
            return (
                f"The counts for {ind.name} are not split by sex (only 'persons'); add "
                "counts with sex = female / male to show this breakdown."
            )
        sub = total[total["sex"].isin(["female", "male"])]
        sub = sub.assign(category=sub["sex"].astype(str).str.capitalize())
        return [_label(sub, breakdown, place)], ["Female", "Male"]
    if breakdown == "age_band":
        if ind.measure == "life_expectancy":
            return (
                f"{ind.name} summarises mortality at every age in one number, so it has no "
                "age-band breakdown."
            )
        bands = [str(b) for b in total["age_band"].astype(str).unique()]
        if set(bands) <= {"all"}:
            return (
                f"The counts for {ind.name} have no age bands (age_band is 'all'); add counts "
                "by age band to show this breakdown."
            )
        esp = list(stats.ESP2013.index)
        order = sorted(
            [b for b in bands if b != "all"],
            key=lambda b: (esp.index(b) if b in esp else len(esp), b),
        )
        sub = total[total["age_band"].astype(str) != "all"]
        sub = sub.assign(category=sub["age_band"].astype(str))
        return [_label(sub, breakdown, place)], order
    if breakdown == "ethnic_group":
        if eth.empty:
            return (
                f"The counts for {ind.name} are not split by ethnic group; add counts with an "
                "ethnic_group column (ONS broad groups) to show this breakdown."
            )
        sub = eth.assign(category=eth["ethnic_group"].astype(str))
        return [_label(sub, breakdown, place)], sorted(sub["category"].unique())
    # plus_group
    if group.ethnic_groups:
        if eth.empty:
            return (
                f"The counts for {ind.name} are not split by ethnic group, so the PLUS group "
                f"'{group.name}' cannot be shown."
            )
        inside = eth["ethnic_group"].astype(str).isin(group.ethnic_groups)
        sub = eth.assign(category=np.where(inside, group.name, OTHER_GROUPS))
        return [_label(sub, breakdown, place)], [group.name, OTHER_GROUPS]
    codes = set(group.areas)
    if not codes & set(total[area_col]):
        return f"None of the small areas of '{group.name}' is in {place.name}."
    inside = total[area_col].isin(codes)
    sub = total.assign(category=np.where(inside, group.name, OTHER_AREAS))
    return [_label(sub, breakdown, place)], [group.name, OTHER_AREAS]


def _label(sub: pd.DataFrame, breakdown: str, place: Place) -> pd.DataFrame:
    return sub.assign(breakdown=breakdown, area_code=place.code, area_name=place.name)


def local_quintiles(place: Place) -> pd.Series:
    """Each small area's local deprivation quintile within the place (1 = most deprived).

    Areas are ranked by IMD score (most deprived first; by national IMD rank when scores are
    missing) and cut into five groups holding about equal shares of the place's population
    (:func:`hiworkbook.inequality.quantiles` with ``population``), as PHE's local-quintile
    inequality indicators do.

    Returns
    -------
    pandas.Series
        Integer quintile indexed by small-area code.
    """
    area_col = place.workspace.area_col
    a = pd.DataFrame(place.areas.drop(columns="geometry", errors="ignore"))
    use_score = "imd_score" in a and a["imd_score"].notna().any()
    value = "imd_score" if use_score else "imd_rank"
    a = a[a[value].notna()]
    q = inequality.quantiles(
        a[[area_col, value, "population"]].astype({value: float}),
        value,
        5,
        population="population",
        invert=use_score,
        name="local_quintile",
    )
    return q.set_index(area_col)["local_quintile"].astype("Int64")


# ---------------------------------------------------------------------- gaps
def difference_ci(
    value1: float,
    lower1: float,
    upper1: float,
    value2: float,
    lower2: float,
    upper2: float,
) -> tuple[float, float, float]:
    """The difference of two independent estimates with its confidence interval (MOVER).

    ``d = value1 - value2``;
    ``lower = d - sqrt((value1 - lower1)**2 + (upper2 - value2)**2)``;
    ``upper = d + sqrt((upper1 - value1)**2 + (value2 - lower2)**2)``.

    The method of variance estimates recovery (Zou & Donner 2008, *Statistics in Medicine*
    27:1693–1702) recovers each estimate's variance from its own (possibly asymmetric)
    confidence limits, so the interval keeps the good properties of those limits. With Wilson
    score limits for two proportions it is Newcombe's method 10 (Newcombe 1998, *Statistics in
    Medicine* 17:873–890); with symmetric limits it is the usual ``d ± z·sqrt(se1² + se2²)``.
    Both estimates must use the same confidence level, which the difference then has.

    Returns
    -------
    tuple of float
        ``(difference, lower, upper)``; NaNs where any input is missing.
    """
    vals = [value1, lower1, upper1, value2, lower2, upper2]
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in vals):
        return (math.nan, math.nan, math.nan)
    v1, l1, u1, v2, l2, u2 = (float(v) for v in vals)
    d = v1 - v2
    lo = d - math.sqrt((v1 - l1) ** 2 + (u2 - v2) ** 2)
    hi = d + math.sqrt((u1 - v1) ** 2 + (v2 - l2) ** 2)
    return (d, lo, hi)


def group_gap(
    bd: Breakdown, group: str, rest: str, *, sex: str | None = None
) -> dict[str, Any]:
    """One group's value minus another's in a :class:`Breakdown`, with its CI and significance.

    The groups are disjoint sets of people, so their estimates are independent and
    :func:`difference_ci` applies. The gap is significant when its CI excludes zero. When
    either group is suppressed or missing, the gap is not given (``note`` says why).

    Returns
    -------
    dict
        Keys :data:`GAP_COLUMNS`; ``comparison`` is "worse"/"better" (or "higher"/"lower") for
        ``group`` against ``rest`` when significant, "similar" when not, "not compared" when
        there is no gap.
    """
    ind = bd.indicator
    out: dict[str, Any] = dict.fromkeys(GAP_COLUMNS, np.nan)
    out.update(
        indicator_id=ind.id,
        indicator_name=ind.name,
        unit=ind.unit,
        period=bd.period,
        sex=sex or bd.sex,
        group=group,
        rest=rest,
        confidence=bd.confidence,
        polarity=ind.polarity,
        significant=pd.NA,
        comparison="not compared",
        note="",
    )
    if not bd.supported:
        out["note"] = bd.reason
        return out
    rows = bd.rows(sex).set_index("category")
    missing = [g for g in (group, rest) if g not in rows.index]
    if missing:
        out["note"] = f"No counts for {', '.join(missing)}."
        return out
    a, b = rows.loc[group], rows.loc[rest]
    for prefix, r in (("group", a), ("rest", b)):
        out[f"{prefix}_value"] = r["value"]
        out[f"{prefix}_lower_ci"] = r["lower_ci"]
        out[f"{prefix}_upper_ci"] = r["upper_ci"]
    if bool(a["is_suppressed"]) or bool(b["is_suppressed"]):
        out["note"] = "Not shown: small numbers suppressed (disclosure control)."
        return out
    d, lo, hi = difference_ci(
        a["value"],
        a["lower_ci"],
        a["upper_ci"],
        b["value"],
        b["lower_ci"],
        b["upper_ci"],
    )
    if math.isnan(d):
        out["note"] = "Not calculated: a value or its confidence interval is missing."
        return out
    sig = bool(lo > 0 or hi < 0)
    out.update(gap=d, gap_lower_ci=lo, gap_upper_ci=hi, significant=sig)
    up, down = {
        "high_is_good": ("better", "worse"),
        "low_is_good": ("worse", "better"),
    }.get(ind.polarity, ("higher", "lower"))
    out["comparison"] = (up if d > 0 else down) if sig else "similar"
    out["method"] = "MOVER (Newcombe method 10 for proportions)"
    return out


def core20_gap(
    source: Any,
    indicator_id: str,
    period: str | None = None,
    confidence: float = 0.95,
    *,
    sex: str | None = None,
) -> dict[str, Any]:
    """Core20 (national IMD quintile 1) value minus the rest of the place's, with a CI.

    Parameters
    ----------
    source : PlaceResults, Place or Breakdown
        A ``Breakdown`` with ``breakdown == "core20"`` is used as it is.
    indicator_id : str
    period : str, optional
    confidence : float, default 0.95
    sex : str, optional

    Returns
    -------
    dict
        See :func:`group_gap`; the gap is Core20 minus the rest, by :func:`difference_ci`.
    """
    bd = (
        source
        if isinstance(source, Breakdown) and source.breakdown == "core20"
        else indicator_by(source, indicator_id, "core20", period, confidence)
    )
    return group_gap(bd, CORE20, REST, sex=sex)


def gap_words(
    g: dict[str, Any],
    group_words: str,
    rest_words: str,
    difference: str = "the difference",
) -> str:
    """A gap in Fingertips' words, never claiming more than its CI supports.

    E.g. "Hypertension … is 56.9% in Core20 neighbourhoods and 62.5% in the rest of Greyfield;
    Core20 minus the rest is -5.6 percentage points (95% CI -7.3 to -3.8): significantly worse in
    Core20 neighbourhoods (the interval excludes zero)." ``difference`` names which minus which.
    """
    unit = g["unit"]
    if pd.isna(g.get("gap")):
        vals = ""
        if pd.notna(g.get("group_value")) and pd.notna(g.get("rest_value")):
            vals = (
                f" ({fmt_value(g['group_value'], unit)} {group_words}, "
                f"{fmt_value(g['rest_value'], unit)} {rest_words})"
            )
        return f"{g['indicator_name']}: no gap can be given{vals}. {g['note']}".strip()
    du = "percentage points" if unit == "%" else unit
    level = f"{g['confidence']:.0%}"
    head = (
        f"{g['indicator_name']} is {fmt_value(g['group_value'], unit)} {group_words} and "
        f"{fmt_value(g['rest_value'], unit)} {rest_words}; {difference} is "
        f"{g['gap']:+,.1f} {du} ({level} CI {g['gap_lower_ci']:+,.1f} to "
        f"{g['gap_upper_ci']:+,.1f})"
    )
    if g["significant"] is True:
        return (
            f"{head}: significantly {g['comparison']} {group_words} (the interval excludes "
            "zero)."
        )
    return (
        f"{head}; the interval includes zero, so the data do not show a significant "
        "difference (similar)."
    )


def _short(category: Any) -> str:
    c = str(category)
    return short_group(c) if "," in c else c
