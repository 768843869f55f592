"""The life-expectancy gap between two groups, by age and cause — a Segment Tool for any two groups.

OHID's Segment Tool decomposes the gap in life expectancy at birth between the most and least
deprived fifths of an area (or an area and England) into the years contributed by each age band
and cause of death. :func:`le_gap` does the same for any two groups the workbook's data can
form — two sets of small areas (:func:`groups_by_quintile`, :func:`groups_core20`) or the place
against an aggregate comparator (England, its ICB: :func:`groups_vs_comparator`) — with
Arriaga's method (:func:`hiworkbook.stats.decomposition.arriaga`).

Data: the ``life_expectancy`` indicator's counts (deaths and population by sex and the 20
life-table bands) give each group's life table; indicators tagged with a ``cause`` (deaths of one
broad cause by sex and ESP age band, e.g. ``mortality_circulatory``) give each band's split of
deaths by cause. As PHE's life expectancy by deprivation, periods are pooled (three by default).

Views: :func:`scarf_chart` (one horizontal bar of years contributed, by cause or age), and
:func:`gap_table` (years by broad age group × cause), :func:`gap_sentence` (the narrative naming
the largest contributors).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hiworkbook import svgchart as sc
from hiworkbook.narrative import HTMLFragment, Narrative
from hiworkbook.stats import LE_MIN_POPULATION, LIFE_TABLE_BANDS
from hiworkbook.stats.decomposition import arriaga
from hiworkbook.workspace import Place

_log = logging.getLogger(__name__)

__all__ = [
    "GapGroups",
    "LEGap",
    "BROAD_AGES",
    "groups_by_quintile",
    "groups_core20",
    "groups_vs_comparator",
    "make_groups",
    "le_gap",
    "scarf_chart",
    "gap_table",
    "gap_sentence",
    "gap_section",
]

#: Broad age groups the views show (life-table bands merged).
BROAD_AGES = {
    "Under 1": ("0",),
    "1-14": ("1-4", "5-9", "10-14"),
    "15-29": ("15-19", "20-24", "25-29"),
    "30-44": ("30-34", "35-39", "40-44"),
    "45-59": ("45-49", "50-54", "55-59"),
    "60-74": ("60-64", "65-69", "70-74"),
    "75-84": ("75-79", "80-84"),
    "85+": ("85-89", "90+"),
}
#: The group pairs :func:`make_groups` knows.
GROUP_KINDS = ("quintile", "core20", "comparator")
_BAND_TO_BROAD = {b: g for g, bands in BROAD_AGES.items() for b in bands}
#: Colour-blind-safe colours (Okabe-Ito) for causes, in a fixed order.
CAUSE_COLOURS = {
    "circulatory": "#D55E00",
    "cancer": "#0072B2",
    "respiratory": "#009E73",
    "external": "#E69F00",
    "other": "#999999",
    "all": "#56B4E9",
}
_AGE_COLOURS = [
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
]


@dataclass
class GapGroups:
    """Two groups to compare: each is a set of small-area codes or aggregate counts.

    ``baseline`` is group 1 (e.g. the most deprived fifth) and ``comparison`` group 2 (e.g. the
    least deprived fifth): the gap is LE(comparison) − LE(baseline).
    """

    baseline_label: str
    comparison_label: str
    baseline_areas: tuple[str, ...] = ()
    comparison_areas: tuple[str, ...] = ()
    baseline_counts: pd.DataFrame | None = field(default=None, repr=False)
    comparison_counts: pd.DataFrame | None = field(default=None, repr=False)
    description: str = ""


def groups_by_quintile(place: Place, low: int = 1, high: int = 5) -> GapGroups:
    """The place's small areas in national IMD quintile ``low`` (most deprived) vs ``high``."""
    a = place.areas
    col = place.workspace.area_col
    return GapGroups(
        baseline_label=f"the most deprived fifth (IMD quintile {low})",
        comparison_label=f"the least deprived fifth (IMD quintile {high})",
        baseline_areas=tuple(a.loc[a["imd_quintile"] == low, col]),
        comparison_areas=tuple(a.loc[a["imd_quintile"] == high, col]),
        description=f"{place.name}: neighbourhoods in England's most deprived 20% vs its least deprived 20%",
    )


def groups_core20(place: Place) -> GapGroups:
    """The place's Core20 neighbourhoods (England's most deprived 20%) vs the rest of the place."""
    a = place.areas
    col = place.workspace.area_col
    return GapGroups(
        baseline_label=f"{place.name}'s Core20 neighbourhoods",
        comparison_label=f"the rest of {place.name}",
        baseline_areas=tuple(a.loc[a["imd_quintile"] == 1, col]),
        comparison_areas=tuple(a.loc[a["imd_quintile"] != 1, col]),
        description=f"{place.name}: Core20 neighbourhoods vs the rest of {place.name}",
    )


def groups_vs_comparator(place: Place, comparator: str | None = None) -> GapGroups:
    """The place vs an aggregate comparator (England, its ICB …; default the first non-parent
    comparator, else the parent)."""
    comps = [c for c in place.comparators if c.kind == "aggregate"]
    chosen = None
    for c in comps:
        if comparator and comparator in (c.code, c.name):
            chosen = c
    if chosen is None:
        non_parent = [c for c in comps if not c.area_codes]
        chosen = (non_parent or comps or [None])[0]
    if chosen is None:
        raise ValueError(f"{place.name} has no comparator with counts to compare with")
    return GapGroups(
        baseline_label=place.name,
        comparison_label=chosen.name,
        baseline_areas=tuple(place.area_codes),
        comparison_areas=tuple(chosen.area_codes),
        comparison_counts=None if chosen.area_codes else chosen.counts,
        description=f"{place.name} vs {chosen.name}",
    )


def make_groups(place: Place, kind: str, comparator: str | None = None) -> GapGroups:
    """Groups by name: ``"quintile"`` (Q1 vs Q5), ``"core20"`` (Core20 vs the rest),
    ``"comparator"`` (the place vs England or the named comparator)."""
    if kind == "quintile":
        return groups_by_quintile(place)
    if kind == "core20":
        return groups_core20(place)
    if kind == "comparator":
        return groups_vs_comparator(place, comparator)
    from hiworkbook.validate import ProblemLog, did_you_mean

    log = ProblemLog()
    log.error(
        f"The life-expectancy gap groups '{kind}' are not known"
        f"{did_you_mean(str(kind), GROUP_KINDS)}.",
        fix="Use 'quintile' (most vs least deprived fifth), 'core20' (Core20 vs the rest) "
        "or 'comparator' (the place vs England or its ICB).",
    )
    log.raise_if_errors("the notebook's parameters")
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass
class LEGap:
    """A life-expectancy gap decomposed by age band and cause, for each sex.

    Attributes
    ----------
    groups : GapGroups
    periods : list of str
        The periods pooled.
    decomposition : pandas.DataFrame
        :func:`~hiworkbook.stats.decomposition.arriaga` output with ``sex``: one row per sex ×
        life-table band × cause, ``years`` (contribution to the gap), ``le_baseline``,
        ``le_comparison``, ``gap``, ``value_note``; plus ``broad_age``.
    summary : pandas.DataFrame
        One row per sex: ``le_baseline``, ``le_comparison``, ``gap``, ``deaths_baseline``,
        ``deaths_comparison``, ``by_cause`` (whether causes were available), ``note``.
    synthetic : bool
    """

    groups: GapGroups
    periods: list[str]
    decomposition: pd.DataFrame
    summary: pd.DataFrame
    synthetic: bool = False

    def ok(self, sex: str) -> bool:
        """Whether the gap could be decomposed for ``sex``."""
        s = self.summary[self.summary["sex"] == sex]
        return bool(len(s) and np.isfinite(s["gap"].iloc[0]))

    def by_cause(self, sex: str) -> pd.Series:
        """Years contributed by each cause (sums to the gap)."""
        d = self.decomposition[self.decomposition["sex"] == sex]
        return d.groupby("cause", sort=False)["years"].sum()

    def by_age(self, sex: str) -> pd.Series:
        """Years contributed by each broad age group (sums to the gap)."""
        d = self.decomposition[self.decomposition["sex"] == sex]
        return d.groupby("broad_age", sort=False)["years"].sum().reindex(BROAD_AGES)


def _select(
    ws, areas: tuple[str, ...], counts: pd.DataFrame | None, ids: list[str], periods
) -> pd.DataFrame:
    if counts is not None:
        c = counts[counts["indicator_id"].isin(ids)]
        c = c[c["period"].astype(str).isin(periods)]
    else:
        c = ws.counts_for([str(p) for p in periods], ids, areas)
    if "ethnic_group" in c:
        c = c[c["ethnic_group"] == "all"]
    return c


def _group_frame(
    ws, c_le: pd.DataFrame, period_list, areas, from_counts
) -> pd.DataFrame:
    """Deaths and population by sex and life-table band for one group (periods pooled)."""
    c = c_le.copy()
    c["numerator"] = pd.to_numeric(c["numerator"])
    c["denominator"] = pd.to_numeric(c["denominator"])
    if c["denominator"].isna().any() and not from_counts:
        pop = ws.population_for([str(p) for p in period_list], areas)
        # the life table's bands "0" and "1-4" are not in ESP populations: need denominators
        if set(c["age_band"]) & {"0", "1-4"}:
            raise ValueError(
                "life-expectancy counts need denominators for the bands '0' and '1-4'"
            )
        c = c.drop(columns="denominator").merge(
            pop.groupby(["sex", "age_band"], as_index=False)["population"].sum(),
            on=["sex", "age_band"],
            how="left",
        )
        c = c.rename(columns={"population": "denominator"})
    return c.groupby(["sex", "age_band"], as_index=False)[
        ["numerator", "denominator"]
    ].sum()


def _cause_shares(c: pd.DataFrame, cause_of: dict[str, str]) -> pd.DataFrame:
    """Each cause's share of deaths in each sex × life-table band (ESP 0-4 gives 0 and 1-4)."""
    c = c.assign(
        cause=c["indicator_id"].map(cause_of),
        numerator=pd.to_numeric(c["numerator"]),
    )
    by = c.groupby(["sex", "age_band", "cause"], as_index=False)["numerator"].sum()
    by = by.rename(columns={"numerator": "deaths"})
    young = by[by["age_band"] == "0-4"]
    by = pd.concat(
        [
            by[by["age_band"] != "0-4"],
            young.assign(age_band="0"),
            young.assign(age_band="1-4"),
        ],
        ignore_index=True,
    )
    tot = by.groupby(["sex", "age_band"])["deaths"].transform("sum")
    by["share"] = np.where(tot > 0, by["deaths"] / tot.where(tot > 0, 1), np.nan)
    return by


def le_gap(
    place: Place,
    groups: GapGroups | str = "quintile",
    *,
    period: str | None = None,
    pool: int = 3,
    comparator: str | None = None,
    le_indicator: str = "life_expectancy",
) -> LEGap:
    """Decompose the gap in life expectancy at birth between two groups by age band and cause.

    Method: each group's deaths and populations by sex and life-table band (0, 1-4, 5-9 … 90+)
    are pooled over the last ``pool`` periods up to ``period`` (PHE pools three years for life
    expectancy by deprivation); Chiang II life tables; Arriaga's decomposition
    (:func:`hiworkbook.stats.decomposition.arriaga`), so the years by band add up exactly to the
    gap. Where indicators tagged with a ``cause`` have counts for both groups, each band's
    deaths are split by cause in the proportions of those counts (the ESP band 0-4 gives the
    split for both 0 and 1-4; a band with no cause deaths counts as "other"), and each band's
    contribution is split across causes by their shares of the difference in death rates, as
    the Segment Tool does.

    Parameters
    ----------
    place : Place
    groups : GapGroups or {"quintile", "core20", "comparator"}, default "quintile"
        The two groups (:func:`make_groups`).
    period : str, optional
        The latest period pooled; default the place's period.
    pool : int, default 3
        Number of periods pooled (fewer when the data hold fewer).
    comparator : str, optional
        For ``groups="comparator"``: the comparator's name or code.
    le_indicator : str, default "life_expectancy"
        The indicator whose counts hold deaths and populations by life-table band.

    Returns
    -------
    LEGap
        Gap and decomposition for each sex; NaN with a note where a group's life table cannot be
        formed (e.g. no deaths at 90+, a band with no population). Groups given by name are
        decomposed once per place and arguments (a report's section and its summary ask for the
        same gap): the same LEGap is returned again; treat it as read-only.
    """
    if isinstance(groups, str):
        # a report and its summary ask for the same gap: made once per place (the place's memo)
        key = (
            groups,
            str(period or place.period or place.workspace.default_period),
            pool,
            comparator,
            le_indicator,
        )
        memo = place.__dict__.setdefault("_le_gaps", {})
        if key not in memo:
            memo[key] = _le_gap(place, groups, period, pool, comparator, le_indicator)
        return memo[key]
    return _le_gap(place, groups, period, pool, comparator, le_indicator)


def _le_gap(
    place: Place,
    groups: GapGroups | str,
    period: str | None,
    pool: int,
    comparator: str | None,
    le_indicator: str,
) -> LEGap:
    ws = place.workspace
    if isinstance(groups, str):
        try:
            groups = make_groups(place, groups, comparator)
        except ValueError as exc:  # e.g. no comparator with counts
            g = GapGroups(place.name, comparator or "a comparator")
            return _empty(g, [], ["female", "male"], str(exc), ws.synthetic)
    period = str(period or place.period or ws.default_period)
    have = [
        p
        for p in ws.periods
        if p <= period and le_indicator in ws.indicators_with_counts(p)
    ]
    periods = have[-pool:] if have else []
    cause_of = {i: ind.cause for i, ind in ws.indicators.items() if ind.cause}
    frames = []
    shares = []
    for gname, areas, counts in (
        ("baseline", groups.baseline_areas, groups.baseline_counts),
        ("comparison", groups.comparison_areas, groups.comparison_counts),
    ):
        c = _select(ws, areas, counts, [le_indicator], periods)
        if len(c):
            frames.append(
                _group_frame(ws, c, periods, areas, counts is not None).assign(
                    group=gname
                )
            )
        cc = _select(ws, areas, counts, list(cause_of), periods)
        if len(cc):
            shares.append(_cause_shares(cc, cause_of).assign(group=gname))
    sexes = sorted({s for f in frames for s in f["sex"]} - {"persons"}) or ["persons"]
    if len(frames) < 2:
        note = (
            "no life-expectancy counts (deaths and population by life-table band) for "
            + (
                "either group"
                if not frames
                else f"the {'comparison' if frames[0]['group'].iloc[0] == 'baseline' else 'baseline'} group"
            )
        )
        return _empty(groups, periods, sexes, note, ws.synthetic)
    data = pd.concat(frames, ignore_index=True)
    data = data[data["age_band"].isin(LIFE_TABLE_BANDS)]
    by_cause = len(shares) == 2 and all(len(s) for s in shares)
    if by_cause:
        sh = pd.concat(shares, ignore_index=True)
        data = _split_by_cause(data, sh)
        cause_col: str | None = "cause"
    else:
        cause_col = None
    dec = arriaga(
        data,
        "numerator",
        "denominator",
        "age_band",
        "group",
        baseline="baseline",
        comparison="comparison",
        cause=cause_col,
        group_by="sex",
    )
    dec["broad_age"] = dec["age_band"].map(_BAND_TO_BROAD)
    tot = data.groupby(["sex", "group"])["numerator"].sum()
    # PHE calculates no life expectancy for 5,000 people (person-years) or fewer
    pys = (
        data.drop_duplicates(["group", "sex", "age_band"])
        .groupby(["sex", "group"])["denominator"]
        .sum()
    )
    small = {s for (s, _g), v in pys.items() if v <= LE_MIN_POPULATION}
    if small:
        m = dec["sex"].isin(small)
        dec.loc[m, ["years", "le_baseline", "le_comparison", "gap"]] = np.nan
        dec.loc[m, "value_note"] = (
            f"a group has {LE_MIN_POPULATION:,} person-years or fewer "
            "(PHE's minimum for life expectancy)"
        )
    rows = []
    for sex, d in dec.groupby("sex", sort=True):
        rows.append(
            {
                "sex": sex,
                "le_baseline": d["le_baseline"].iloc[0],
                "le_comparison": d["le_comparison"].iloc[0],
                "gap": d["gap"].iloc[0],
                "deaths_baseline": float(tot.get((sex, "baseline"), np.nan)),
                "deaths_comparison": float(tot.get((sex, "comparison"), np.nan)),
                "by_cause": by_cause,
                "note": d["value_note"].iloc[0],
            }
        )
    return LEGap(
        groups=groups,
        periods=periods,
        decomposition=dec,
        summary=pd.DataFrame(rows),
        synthetic=ws.synthetic,
    )


def _split_by_cause(data: pd.DataFrame, sh: pd.DataFrame) -> pd.DataFrame:
    causes = sorted(sh["cause"].unique())
    grid = data.merge(pd.DataFrame({"cause": causes}), how="cross")
    grid = grid.merge(
        sh[["group", "sex", "age_band", "cause", "share"]],
        on=["group", "sex", "age_band", "cause"],
        how="left",
    )
    known = grid.groupby(["group", "sex", "age_band"])["share"].transform("sum")
    other = "other" if "other" in causes else causes[-1]
    # a band with no deaths by cause: its deaths count as "other"
    grid["share"] = np.where(
        known > 0,
        grid["share"].fillna(0.0),
        (grid["cause"] == other).astype(float),
    )
    grid["numerator"] = grid["numerator"] * grid["share"]
    return grid.drop(columns="share")


def _empty(groups, periods, sexes, note, synthetic) -> LEGap:
    dec = pd.DataFrame(
        columns=[
            "sex",
            "age_band",
            "cause",
            "years",
            "le_baseline",
            "le_comparison",
            "gap",
            "value_note",
            "broad_age",
        ]
    )
    summary = pd.DataFrame(
        [
            {
                "sex": s,
                "le_baseline": np.nan,
                "le_comparison": np.nan,
                "gap": np.nan,
                "deaths_baseline": np.nan,
                "deaths_comparison": np.nan,
                "by_cause": False,
                "note": note,
            }
            for s in sexes
        ]
    )
    return LEGap(groups, periods, dec, summary, synthetic)


# ---------------------------------------------------------------------- views
def _period_text(periods: list[str]) -> str:
    if not periods:
        return ""
    return periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]} pooled"


def _why_not(gap: LEGap, sex: str) -> str:
    s = gap.summary[gap.summary["sex"] == sex]
    note = s["note"].iloc[0] if len(s) else "no data"
    return (
        f"The life-expectancy gap between {gap.groups.baseline_label} and "
        f"{gap.groups.comparison_label} ({sex}s) cannot be decomposed: {note}."
    )


def _ink(colour: str) -> str:
    """Black or white, whichever contrasts more with ``colour`` (WCAG relative luminance)."""
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#ffffff"


def _hatch(
    d: sc.Drawing,
    x: float,
    y: float,
    w: float,
    h: float,
    *,
    colour: str = "#ffffff",
    step: float = 6.0,
) -> None:
    """Diagonal hatching ("//") inside the rectangle (x, y, w, h), as lines clipped to it
    (role ``"hatch"``): SVG marks have no hatch pattern."""
    k = x + y + step / 2
    while k < x + w + y + h:
        a, b = max(x, k - y - h), min(x + w, k - y)
        if b > a:
            d.line([(a, k - a), (b, k - b)], stroke=colour, width=1.0, role="hatch")
        k += step


def scarf_chart(gap: LEGap, sex: str = "female", *, by: str | None = None):
    """The "scarf": one horizontal bar of the gap split into the years each cause (or broad age
    group) contributes, as the Segment Tool draws it, drawn as SVG marks.

    Positive contributions are stacked rightwards from zero, negative ones leftwards and
    hatched; a segment is labelled with its cause (or age group) and years where the words
    fit inside it.

    Parameters
    ----------
    gap : LEGap
    sex : str
    by : {"cause", "age"}, optional
        Default by cause when causes are available, else by age.

    Returns
    -------
    hiworkbook.charts.Chart or Narrative
        A sentence instead of a chart when the gap could not be decomposed. The chart is
        drawn as SVG (``chart.drawing``): one mark with role ``"segment"`` per cause or age
        group (datum ``group``, ``by``, ``cause`` or ``age``, ``years``, ``start``, ``end``),
        ``"segment-label"``, ``"hatch"``, ``"zero"``, ``"title"``.
    """
    from hiworkbook.charts import Chart

    if not gap.ok(sex):
        return Narrative(f"<p>{html.escape(_why_not(gap, sex))}</p>")
    has_cause = bool(gap.summary.loc[gap.summary["sex"] == sex, "by_cause"].iloc[0])
    by = by or ("cause" if has_cause else "age")
    if by == "cause":
        parts = gap.by_cause(sex)
        order = [c for c in CAUSE_COLOURS if c in parts.index]
        parts = parts.reindex(order + [c for c in parts.index if c not in order])
    else:
        parts = gap.by_age(sex).fillna(0.0)
    colours = (
        [CAUSE_COLOURS.get(str(k), "#777777") for k in parts.index]
        if by == "cause"
        else _AGE_COLOURS[: len(parts)]
    )
    years = parts.to_numpy(dtype=float)
    ok = np.isfinite(years)
    row = gap.summary[gap.summary["sex"] == sex].iloc[0]
    synth = " (synthetic data)" if gap.synthetic else ""

    d = sc.Drawing(720)
    top = (
        sc.title(
            d,
            [
                f"Life expectancy gap, {sex}s: {row['gap']:.1f} years, "
                f"{_period_text(gap.periods)}{synth}",
                f"{gap.groups.comparison_label} minus {gap.groups.baseline_label}",
            ],
        )
        + 12
    )
    ends = [
        float(years[ok & (years >= 0)].sum()),
        float(years[ok & (years < 0)].sum()),
    ]
    # about eight ticks: the bar is read in years
    xlim, xt = sc.axis_range(ends, zero=True, pad=0.02, n=8)
    ax = sc.Axes(d, 20, top, d.width - 40, 70, xlim, (-0.5, 0.5))
    size = 10
    pos, neg = 0.0, 0.0
    for label, v, col in zip(parts.index, years, colours, strict=True):
        if not np.isfinite(v):
            continue
        if v >= 0:
            start, pos = pos, pos + v
        else:
            start, neg = neg, neg + v
        end = start + v
        m = ax.barh(
            0,
            end,
            0.6,
            base=start,
            fill=col,
            stroke="#ffffff",
            role="segment",
            datum={
                "group": str(label),
                "by": by,
                by: str(label),
                "years": float(v),
                "start": float(start),
                "end": float(end),
            },
        )
        g = m.geom
        if v < 0:
            _hatch(d, g["x"], g["y"], g["w"], g["h"])
        lines = [str(label), f"{v:.1f}"]
        text_w = max(sc.text_width(t, size) for t in lines)
        text_h = len(lines) * size * 1.2
        if v != 0 and text_w + 10 <= g["w"] and text_h + 6 <= g["h"]:
            cx, cy = g["x"] + g["w"] / 2, g["y"] + g["h"] / 2
            if v < 0:  # the words on a plain patch over the hatching
                d.rect(
                    cx - text_w / 2 - 3,
                    cy - text_h / 2 - 1,
                    text_w + 6,
                    text_h + 2,
                    fill=col,
                    role="segment-label-back",
                )
            for k, t in enumerate(lines):
                d.text(
                    cx,
                    cy + (k - (len(lines) - 1) / 2) * size * 1.2,
                    t,
                    size=size,
                    anchor="middle",
                    colour=_ink(col),
                    role="segment-label",
                    datum={"group": str(label), "years": float(v)},
                )
    ax.vline(0.0, stroke="#000000", width=0.8, role="zero")
    ax.spines(left=False)
    y = ax.xticks(xt, sc.tick_labels(xt))
    y = ax.xlabel("years of life expectancy", y + 2)
    items = [
        ("rect", {"fill": c}, str(k)) for k, c in zip(parts.index, colours, strict=True)
    ]
    d.height = sc.legend(d, items, top=y + 6) + 8
    words = "; ".join(f"{k}: {v:+.2f} years" for k, v in parts.items())
    alt = (
        f"Stacked bar of the {row['gap']:.1f}-year gap in {sex} life expectancy between "
        f"{gap.groups.comparison_label} ({row['le_comparison']:.1f}) and "
        f"{gap.groups.baseline_label} ({row['le_baseline']:.1f}), by {by}: {words}."
    )
    caption = (
        f"Years of the {sex} life-expectancy gap contributed by each {by} "
        f"(Arriaga's decomposition; negative contributions hatched, to the left of zero), "
        f"{_period_text(gap.periods)}{synth}."
    )
    return Chart(d, alt, caption)


def gap_table(gap: LEGap, sex: str = "female") -> HTMLFragment:
    """Years contributed to the gap by broad age group (rows) and cause (columns), with totals."""
    if not gap.ok(sex):
        return Narrative(f"<p>{html.escape(_why_not(gap, sex))}</p>")
    d = gap.decomposition[gap.decomposition["sex"] == sex]
    t = d.pivot_table(
        index="broad_age", columns="cause", values="years", aggfunc="sum", sort=False
    ).reindex(list(BROAD_AGES))
    cols = [c for c in CAUSE_COLOURS if c in t.columns] + [
        c for c in t.columns if c not in CAUSE_COLOURS
    ]
    t = t[cols]
    t["Total"] = t.sum(axis=1)
    total = t.sum(axis=0)
    gap_years = float(total["Total"])
    head = "".join(
        f"<th scope='col'>{html.escape(str(c).capitalize())}</th>" for c in t.columns
    )
    body = []
    for idx, r in t.iterrows():
        cells = "".join(f"<td>{_signed(v)}</td>" for v in r.to_numpy())
        share = r["Total"] / gap_years * 100 if gap_years else np.nan
        body.append(
            f"<tr><th scope='row'>{html.escape(str(idx))}</th>{cells}<td>{share:.0f}%</td></tr>"
        )
    cells = "".join(f"<td><strong>{_signed(v)}</strong></td>" for v in total.to_numpy())
    body.append(f"<tr><th scope='row'>All ages</th>{cells}<td>100%</td></tr>")
    synth = " Synthetic data." if gap.synthetic else ""
    cap = (
        f"Years of the {sex} life-expectancy gap ({gap.groups.comparison_label} minus "
        f"{gap.groups.baseline_label}, {_period_text(gap.periods)}) contributed by age and "
        f"cause; positive = years lost in {gap.groups.baseline_label} there.{synth}"
    )
    return HTMLFragment(
        "<table class='hiw-table hiw-legap'>"
        f"<caption>{html.escape(cap)}</caption>"
        f"<thead><tr><th scope='col'>Age</th>{head}<th scope='col'>Share of gap</th></tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def gap_sentence(gap: LEGap, *, top: int = 3) -> Narrative:
    """Plain English: the gap for each sex and its largest contributors (age and cause)."""
    parts = []
    g = gap.groups
    for _, row in gap.summary.iterrows():
        sex = row["sex"]
        if not gap.ok(sex):
            parts.append(html.escape(_why_not(gap, sex)))
            continue
        who = "Women" if sex == "female" else ("Men" if sex == "male" else "People")
        diff = row["gap"]
        direction = "longer" if diff >= 0 else "shorter"
        s = (
            f"{who} in {g.comparison_label} can expect to live {abs(diff):.1f} years "
            f"{direction} than in {g.baseline_label} ({row['le_comparison']:.1f} vs "
            f"{row['le_baseline']:.1f} years, {_period_text(gap.periods)})."
        )
        ages = gap.by_age(sex).dropna().sort_values(ascending=diff < 0)
        lead = [
            f"ages {k} ({v:.1f} years)"
            for k, v in ages.head(top).items()
            if v * diff > 0
        ]
        if lead:
            s += " The largest contributions come from deaths at " + _join(lead) + "."
        if row["by_cause"]:
            causes = gap.by_cause(sex).sort_values(ascending=diff < 0)
            lc = [
                f"{k} ({v:.1f} years, {v / diff:.0%})"
                for k, v in causes.head(top).items()
                if v * diff > 0 and diff != 0
            ]
            if lc:
                s += " By cause: " + _join(lc) + "."
        parts.append(html.escape(s))
    synth = " <em>Synthetic data.</em>" if gap.synthetic else ""
    return Narrative("<p>" + " ".join(parts) + synth + "</p>")


def _signed(v: float) -> str:
    """``+1.23`` / ``-0.48``, and ``0.00`` rather than ``-0.00``."""
    r = round(float(v), 2) + 0.0
    return "0.00" if r == 0 else f"{r:+.2f}"


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def gap_section(gap: LEGap, *, by: str | None = None) -> HTMLFragment:
    """The report's life-expectancy-gap section: the sentence, a scarf chart and a table of
    years contributed for each sex (or one sentence saying why the data cannot support it)."""
    parts = [str(gap_sentence(gap))]
    for sex in gap.summary["sex"]:
        if gap.ok(sex):
            chart = scarf_chart(gap, sex, by=by)
            parts.append(chart._repr_html_())
            parts.append(str(gap_table(gap, sex)))
    if not gap.summary["by_cause"].any() and gap.summary["gap"].notna().any():
        parts.append(
            "<p>The gap is split by age only: the workbook has no deaths by cause "
            "(indicators with a <code>cause</code>, see docs/data.md).</p>"
        )
    return HTMLFragment("".join(parts))
