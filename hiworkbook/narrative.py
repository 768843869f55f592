"""Plain-English narrative written from the result table.

Every sentence is generated from numbers in :class:`~hiworkbook.results.PlaceResults` and uses
Fingertips' language of significance: a place is "significantly worse than England" only when the
95% confidence interval of its value excludes England's value; otherwise it is "similar to". A gap
between the most and least deprived is called a gradient only when the slope index of
inequality's confidence interval excludes zero. User-supplied text (place and indicator names) is
HTML-escaped by the template engine (autoescape).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from hiworkbook.results import QUINTILE_LABELS, PlaceResults

__all__ = [
    "HTMLFragment",
    "Narrative",
    "headline",
    "indicator_sentence",
    "fmt_int",
    "fmt_value",
]

_env = Environment(
    loader=PackageLoader("hiworkbook", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class HTMLFragment:
    """HTML that displays itself in a notebook (and so in the HTML report): the one type every
    text view returns — sentences here, tables in :mod:`hiworkbook.tables`, chart panels in
    :mod:`hiworkbook.charts`."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html


Narrative = HTMLFragment  # a paragraph or more of report text


def fmt_int(n: float) -> str:
    """Format a count with thousands separators: ``12,345``."""
    return "—" if n is None or n != n else f"{int(round(n)):,}"


def fmt_value(value: float, unit: str) -> str:
    """Format a value with its unit: ``"64.2%"``, ``"312.4 per 100,000"``, ``"79.1 years"``."""
    if value is None or value != value:
        return "not available"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "years":
        return f"{value:.1f} years"
    return f"{value:,.1f} {unit}"


_COMPARISON_WORDS = {
    "better": "significantly better than",
    "worse": "significantly worse than",
    "higher": "significantly higher than",
    "lower": "significantly lower than",
    "similar": "similar to",
    "not compared": "not compared with",
}


def indicator_sentence(row: pd.Series) -> str:
    """One sentence for a place's indicator row, e.g. "… is 412.3 per 100,000, significantly
    worse than England (351.0)." (plain text; escape before putting it in HTML)."""
    value = fmt_value(row["value"], row["unit"])
    sex = "" if row["sex"] == "persons" else f" ({row['sex']}s)"
    if row.get("is_suppressed"):
        return f"{row['indicator_name']}{sex} is not shown: the numbers are too small to publish."
    if row["value"] != row["value"]:
        return f"{row['indicator_name']}{sex} could not be calculated ({row.get('value_note') or 'no data'})."
    comp = row.get("comparison", "not compared")
    if comp == "not compared" or not row.get("comparator_name"):
        return f"{row['indicator_name']}{sex} is {value}."
    return (
        f"{row['indicator_name']}{sex} is {value}, {_COMPARISON_WORDS.get(comp, comp)} "
        f"{row['comparator_name']} ({fmt_value(row['comparator_value'], row['unit'])})."
    )


def headline(
    results: PlaceResults, key_indicators: list[str] | None = None
) -> Narrative:
    """The headline paragraph of a place report, written from the result table.

    It says how many people live in the most deprived national quintile, which indicators are
    significantly worse (and better) than the comparator, and the size of the gap between the
    most and least deprived quintiles for up to two key indicators, with the slope index of
    inequality and whether its confidence interval supports a gradient.

    Parameters
    ----------
    results : PlaceResults
    key_indicators : list of str, optional
        Indicator ids whose deprivation gap is described; default the first two indicators with
        a slope index of inequality.
    """
    place = results.place
    dep = results.deprivation
    total = float(dep["population"].sum())
    q1 = dep.loc[dep["imd_quintile"] == 1]
    q1_pop = float(q1["population"].iloc[0]) if len(q1) else 0.0
    summary = results.summary()
    worse = summary[summary["comparison"] == "worse"]
    better = summary[summary["comparison"] == "better"]
    similar = summary[summary["comparison"] == "similar"]
    ethnic = []
    eth = results.table[
        (results.table["breakdown"] == "ethnic_group") & ~results.table["is_suppressed"]
    ]
    for ind_id, rows in eth.groupby("indicator_id", sort=False):
        worse_groups = (
            rows.loc[rows["comparison"] == "worse", "category"]
            .map(short_group)
            .tolist()
        )
        if worse_groups:
            ethnic.append(
                {"name": results.indicators[ind_id].name, "groups": worse_groups}
            )
    keys = [i for i in (key_indicators or []) if i in results.indicators]
    gaps = [_gap(results, i) for i in (keys or _default_keys(results))]
    gaps = [g for g in gaps if g]
    html = _env.get_template("narrative_headline.html.j2").render(
        cards=key_numbers(results, key_indicators),
        max_names=MAX_NAMES,
        place=place,
        period=results.period,
        total=fmt_int(total),
        q1_pop=fmt_int(q1_pop),
        q1_pct=f"{100 * q1_pop / total:.0f}" if total else "0",
        core20_share=q1_pop / total if total else 0.0,
        comparator=results.primary_comparator,
        worse=[_label(r, results) for _, r in worse.iterrows()],
        better=[_label(r, results) for _, r in better.iterrows()],
        n_similar=len(similar),
        n_indicators=len(summary),
        gaps=gaps,
        ethnic=ethnic,
        synthetic=place.workspace.synthetic if place.workspace else False,
        confidence=f"{results.confidence:.0%}",
        missing=_missing_headline(results, summary),
    )
    return Narrative(html)


#: No sentence of the headline lists more indicator names than this; longer lists are counted and
#: left to the indicator table.
MAX_NAMES = 3


def key_numbers(
    results: PlaceResults, key_indicators: list[str] | None = None
) -> list[dict[str, str]]:
    """The headline's key-number cards, read from the result table.

    Four cards, in order: residents (the deprivation table's population), the Core20 share (the
    share living in England's most deprived national quintile), the indicators significantly
    worse than the primary comparator (``comparison == "worse"`` among the place's headline
    rows, :meth:`PlaceResults.summary`) and the headline gap: the slope index of inequality of
    the first key indicator, signed as the project states every SII (least deprived minus most
    deprived, :mod:`hiworkbook.sii_reading`).

    Parameters
    ----------
    results : PlaceResults
    key_indicators : list of str, optional
        As for :func:`headline`; the first one with an SII gives the gap card.

    Returns
    -------
    list of dict
        ``key`` (residents / core20 / worse / gap), ``value`` (the big number, plain text) and
        ``label`` and ``detail`` (plain text). Escape before putting them in HTML.
    """
    from hiworkbook.sii_reading import CONVENTION, sii_meaning

    dep = results.deprivation
    total = float(dep["population"].sum()) if len(dep) else 0.0
    q1 = dep.loc[dep["imd_quintile"] == 1] if len(dep) else dep
    q1_pop = float(q1["population"].iloc[0]) if len(q1) else 0.0
    n_areas = int(dep["small_areas"].sum()) if len(dep) else 0
    cards = [
        {
            "key": "residents",
            "value": fmt_int(total),
            "label": "residents",
            "detail": f"in {n_areas:,} neighbourhoods (LSOAs)",
        },
        {
            "key": "core20",
            "value": f"{100 * q1_pop / total:.0f}%" if total else "—",
            "label": "live in England's most deprived 20% of neighbourhoods (Core20)",
            "detail": f"{fmt_int(q1_pop)} people",
        },
    ]
    summary = results.summary()
    comparator = results.primary_comparator
    if comparator and len(summary):
        compared = summary[summary["comparison"] != "not compared"]
        n_worse = int((summary["comparison"] == "worse").sum())
        cards.append(
            {
                "key": "worse",
                "value": f"{n_worse} of {len(compared)}",
                "label": f"indicators significantly worse than {comparator}",
                "detail": "see the table of all indicators",
            }
        )
    keys = [i for i in (key_indicators or []) if i in results.indicators]
    for ind_id in keys or _default_keys(results):
        g = _gap(results, ind_id)
        if not g or "sii" not in g:
            continue
        ind = results.indicators[ind_id]
        sex = f" ({g['sex']})" if g["sex"] else ""
        if not g["has_ci"]:
            verdict = "confidence interval not available: no gradient claimed"
        elif g["significant"]:
            verdict = sii_meaning(g["sii_raw"], ind.unit)
        else:
            verdict = "confidence interval includes zero: no clear gradient"
        cards.append(
            {
                "key": "gap",
                "value": g["sii"],
                "label": (
                    f"gap in {ind.name[0].lower()}{ind.name[1:]}{sex}: "
                    f"slope index of inequality, {CONVENTION}"
                ),
                "detail": verdict,
            }
        )
        break
    return cards


def _missing_headline(results: PlaceResults, summary: pd.DataFrame) -> str:
    """The sentence standing in for the headline's comparison when the data cannot make one:
    no indicator at all, or no comparator (HTML, already escaped)."""
    from hiworkbook.coverage import missing_section

    if summary.empty:
        return missing_section(results, "indicators").html
    if not results.primary_comparator:
        return missing_section(results, "comparator").html
    return ""


def _sex_label(row: pd.Series, results: PlaceResults | None = None) -> str:
    ind = results.indicators.get(row["indicator_id"]) if results is not None else None
    if row["sex"] == "persons" or (ind is not None and len(ind.sexes) == 1):
        return ""
    return f" ({row['sex']}s)"


def _label(row: pd.Series, results: PlaceResults | None = None) -> str:
    sex = _sex_label(row, results)
    return f"{row['indicator_name'].lower()[0]}{row['indicator_name'][1:]}{sex}"


def _default_keys(results: PlaceResults) -> list[str]:
    s = results.sii
    ok = s.dropna(subset=["sii", "lower_ci", "upper_ci"]) if "sii" in s else s
    seen: list[str] = []
    for i in ok["indicator_id"]:
        if i not in seen:
            seen.append(i)
    return seen[:2]


def _gap(results: PlaceResults, indicator_id: str) -> dict | None:
    q = results.for_indicator(indicator_id, "imd_quintile")
    ind = results.indicators.get(indicator_id)
    if q.empty or ind is None:
        return None
    sex = "persons" if "persons" in set(q["sex"]) else sorted(set(q["sex"]))[-1]
    q = q[q["sex"] == sex]
    most = q[q["category"] == QUINTILE_LABELS[1]]
    least = q[q["category"] == QUINTILE_LABELS[5]]
    s = results.sii[
        (results.sii["indicator_id"] == indicator_id) & (results.sii["sex"] == sex)
    ]
    out: dict = {
        "name": ind.name,
        "sex": "" if sex == "persons" or len(ind.sexes) == 1 else f"{sex}s",
        "unit": ind.unit,
    }
    if (
        len(most)
        and len(least)
        and most["value"].notna().all()
        and least["value"].notna().all()
    ):
        v1, v5 = float(most["value"].iloc[0]), float(least["value"].iloc[0])
        out.update(most=fmt_value(v1, ind.unit), least=fmt_value(v5, ind.unit))
        if ind.unit == "%":
            out["gap"] = f"{abs(v1 - v5):.1f} percentage points"
        elif ind.unit == "years":
            out["gap"] = f"{abs(v1 - v5):.1f} years"
        elif v5 > 0:
            out["gap"] = (
                f"{v1 / v5:.1f} times as high"
                if v1 >= v5
                else f"{v5 / v1:.1f} times lower"
            )
    elif (
        len(most)
        and len(least)
        and (most["is_suppressed"].any() or least["is_suppressed"].any())
    ):
        out["suppressed_quintile"] = True
    else:
        out["missing_quintile"] = True
    if len(s) and pd.notna(s["sii"].iloc[0]):
        from hiworkbook.sii_reading import CONVENTION, sii_ci, sii_meaning, sii_value

        sii, lo, hi = (float(s[c].iloc[0]) for c in ("sii", "lower_ci", "upper_ci"))
        # one reading everywhere: the signed SII (least deprived minus most deprived), its CI
        # and what the sign means in words (hiworkbook.sii_reading)
        out.update(
            sii=sii_value(sii, ind.unit),
            sii_ci=sii_ci(lo, hi),
            sii_meaning=sii_meaning(sii, ind.unit),
            sii_convention=CONVENTION,
            sii_raw=sii,
            has_ci=bool(np.isfinite(lo) and np.isfinite(hi)),
            significant=bool(lo > 0 or hi < 0),
        )
        good_high = ind.polarity == "high_is_good"
        bad_for_deprived = (sii > 0) if good_high else (sii < 0)
        out["unfavourable"] = (
            bool(bad_for_deprived) if ind.polarity != "no_judgement" else None
        )
    return out if ("most" in out or "sii" in out) else None


def methods_footer(
    results: PlaceResults,
    *,
    run_time: str | None = None,
    extra_methods: list[str] | None = None,
) -> Narrative:
    """The data-and-methods footer: sources, geography vintage, methods, package version, run time.

    Parameters
    ----------
    results : PlaceResults
    run_time : str, optional
        When the report was made (ISO 8601); default now, in UTC.
    extra_methods : list of str, optional
        More methods the report used (plain text, escaped), listed after the others, e.g.
        :func:`hiworkbook.trendviews.methods_items`.
    """
    from datetime import UTC, datetime

    from hiworkbook import __version__

    ws = results.place.workspace
    cfg = ws.config
    measures = sorted({i.measure for i in results.indicators.values()})
    reported = set(results.table["indicator_id"])
    html = _env.get_template("methods_footer.html.j2").render(
        results=results,
        workbook=cfg.name,
        synthetic=ws.synthetic,
        sources=ws.sources,
        vintage=cfg.vintage,
        area_col=cfg.area_col,
        indicators=[i for k, i in results.indicators.items() if k in reported],
        measures=measures,
        min_count=cfg.min_count,
        disclosure=getattr(cfg, "disclosure", None),
        version=__version__,
        run_time=run_time or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        confidence=f"{results.confidence:.0%}",
        extra_methods=list(extra_methods or []),
    )
    return Narrative(html)


def title(results: PlaceResults) -> Narrative:
    """The report's heading: place name, level, code and period (escaped)."""
    from html import escape

    p = results.place
    synthetic = p.workspace.synthetic if p.workspace else False
    badge = '<p class="hiw-badge">Synthetic demonstration data</p>' if synthetic else ""
    return Narrative(
        f"<h1>{escape(p.name)}: health inequalities profile</h1>"
        f"<p class='hiw-subtitle'>{escape(p.level_name)} {escape(p.code)} · {escape(results.period)}</p>{badge}"
    )


def deprivation_summary(results: PlaceResults) -> Narrative:
    """Sentences on how the place's population spreads over England's deprivation quintiles."""
    dep = results.deprivation
    total = float(dep["population"].sum())
    html = _env.get_template("deprivation_summary.html.j2").render(
        place=results.place,
        rows=[
            {
                "label": r["label"],
                "areas": int(r["small_areas"]),
                "population": fmt_int(r["population"]),
                "pct": f"{100 * r['population'] / total:.0f}%" if total else "—",
            }
            for _, r in dep.iterrows()
        ],
        n_areas=int(dep["small_areas"].sum()),
        most=dep.sort_values("population", ascending=False)["label"].iloc[0]
        if total
        else "",
    )
    return Narrative(html)


def gradient_sentence(results: PlaceResults, indicator_id: str) -> Narrative:
    """A paragraph on one indicator's gradient across deprivation quintiles (SII and RII)."""
    picked = results.pick(indicator_id, "gradient")
    if picked is None:
        # the gradient chart (charts.quintile_chart) already says which files would fill it
        return Narrative("")
    g = _gap(results, picked)
    if not g:
        return Narrative(
            "<p>There are not enough data to describe a gradient for this indicator.</p>"
        )
    html = _env.get_template("narrative_headline.html.j2").render(
        place=results.place,
        gaps=[g],
        comparator="",
        synthetic=False,
        q1_pop="0",
        total="",
        only_gaps=True,
    )
    return Narrative(html)


def short_group(name: str) -> str:
    """The first words of an ONS broad ethnic group ("Black, Black British, …" → "Black")."""
    return str(name).split(",")[0].replace(" or Multiple ethnic groups", "").strip()
