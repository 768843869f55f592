"""The Core20PLUS5 view of a place (NHS England's approach to reducing healthcare inequalities).

- **Core20**: the most deprived 20% of England's population by the national IMD — here, residents
  of the place's small areas in national IMD quintile 1 — how many they are and where they live;
- **PLUS** groups: populations the system chooses (``[core20plus5] plus_groups`` in workbook.toml:
  ethnic groups, or a list of small areas);
- **5** clinical areas for adults (maternity, severe mental illness, chronic respiratory disease,
  early cancer diagnosis, hypertension case-finding) and five for children and young people
  (asthma, diabetes, epilepsy, oral health, mental health).

For every indicator whose definition names a Core20PLUS5 area (``core20plus5`` in
``indicators.toml``), :func:`core20plus5` compares Core20 with the rest of the place, and each
PLUS group with the rest, as a gap with its confidence interval
(:func:`hiworkbook.breakdowns.group_gap`: MOVER, Newcombe's method 10 for proportions) and says
whether it is significant. Areas the workbook has no indicator for are listed as such, never
filled in.

Source: NHS England, *Core20PLUS5 – an approach to reducing healthcare inequalities* (2021) and
*Core20PLUS5 for children and young people* (2022).
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hiworkbook.breakdowns import (
    CORE20,
    GAP_COLUMNS,
    OTHER_AREAS,
    OTHER_GROUPS,
    REST,
    Breakdown,
    gap_words,
    group_gap,
    indicator_by,
    plus_group_by,
)
from hiworkbook.indicators import CORE20PLUS5
from hiworkbook.narrative import HTMLFragment, fmt_int, fmt_value
from hiworkbook.validate import ProblemLog, did_you_mean, format_values
from hiworkbook.workspace import Place

_log = logging.getLogger(__name__)

__all__ = [
    "ADULT_AREAS",
    "CYP_AREAS",
    "Core20Plus5",
    "core20plus5",
    "core20_share",
    "core20_where",
    "core20_map",
]

ADULT_AREAS = ("maternity", "smi", "respiratory", "cancer", "hypertension")
CYP_AREAS = (
    "cyp_asthma",
    "cyp_diabetes",
    "cyp_epilepsy",
    "cyp_oral_health",
    "cyp_mental_health",
)
ROW_COLUMNS = ["programme", "clinical_area", "clinical_area_name", *GAP_COLUMNS]


@dataclass
class Core20Plus5:
    """Everything the Core20PLUS5 notebook shows for one place.

    Attributes
    ----------
    place : Place
    period : str
    share : dict
        ``population``, ``core20_population``, ``core20_share`` (0–1), ``small_areas``,
        ``core20_small_areas``.
    where : pandas.DataFrame
        Where Core20 residents live (by ward, LTLA … within the place).
    gaps : pandas.DataFrame
        One row per clinical area × indicator × group (Core20 or a PLUS group) against the rest:
        :data:`ROW_COLUMNS`. Areas with no indicator in the workbook have one row with a note.
    breakdowns : dict
        The :class:`~hiworkbook.breakdowns.Breakdown` behind each gap, by (indicator, group).
    """

    place: Place
    period: str
    share: dict[str, float]
    where: pd.DataFrame
    gaps: pd.DataFrame
    confidence: float = 0.95
    breakdowns: dict[tuple[str, str], Breakdown] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        ws = self.place.workspace
        return bool(ws is not None and ws.synthetic)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table the notebook shows, for :func:`hiworkbook.export.save_tables`."""
        return {
            "core20_share": pd.DataFrame([self.share]).assign(
                place_code=self.place.code, place_name=self.place.name
            ),
            "core20_where": self.where,
            "core20plus5_gaps": self.gaps,
        }

    # ------------------------------------------------------------------ views
    def share_sentence(self) -> HTMLFragment:
        """How many of the place's residents are Core20 and where most of them live."""
        s = self.share
        p = self.place
        if not s["population"]:
            return HTMLFragment("<p>The place has no population figures.</p>")
        text = (
            f"{fmt_int(s['core20_population'])} of {p.name}'s {fmt_int(s['population'])} "
            f"residents ({s['core20_share']:.0%}) live in neighbourhoods among the most deprived "
            f"20% in England (Core20: {s['core20_small_areas']} of {s['small_areas']} small "
            "areas, national IMD quintile 1)."
        )
        w = self.where[self.where["core20_population"] > 0]
        if len(w):
            top = w.head(3)
            text += (
                f" Most live in {', '.join(top['name'].astype(str))}"
                f" ({', '.join(f'{x:.0%}' for x in top['share_of_core20'])} of the place's "
                "Core20 residents)."
            )
        elif s["core20_population"] == 0:
            text += " With no Core20 neighbourhoods, Core20 against the rest cannot be shown."
        if self.synthetic:
            text += " Synthetic demonstration data."
        return HTMLFragment(f'<p class="hiw-core20-share">{html.escape(text)}</p>')

    def sentences(self) -> HTMLFragment:
        """One sentence per gap in Fingertips' words (significant only when the CI excludes 0)."""
        items = []
        for _, r in self.gaps.iterrows():
            if pd.isna(r["indicator_id"]):
                items.append(f"{r['clinical_area_name']}: {r['note']}")
                continue
            gw, rw, diff = _words(r["group"], r["rest"], self.place.name)
            items.append(gap_words(r.to_dict(), gw, rw, diff))
        tail = (
            "<p class='hiw-note'>Synthetic demonstration data.</p>"
            if self.synthetic
            else ""
        )
        return HTMLFragment(
            "<ul class='hiw-core20-sentences'>"
            + "".join(f"<li>{html.escape(t)}</li>" for t in items)
            + "</ul>"
            + tail
        )

    def table(self) -> HTMLFragment:
        """Core20 (and PLUS groups) against the rest for every clinical area (escaped HTML)."""
        from hiworkbook import benchmark as bm

        body = []
        for _, r in self.gaps.iterrows():
            area = html.escape(str(r["clinical_area_name"]))
            if pd.isna(r["indicator_id"]):
                body.append(
                    f"<tr><th scope='row'>{area}</th><td colspan='6'>"
                    f"{html.escape(str(r['note']))}</td></tr>"
                )
                continue
            unit = r["unit"]
            du = "pp" if unit == "%" else ""
            gap = (
                f"{r['gap']:+,.1f}{du} ({r['gap_lower_ci']:+,.1f} to {r['gap_upper_ci']:+,.1f})"
                if pd.notna(r["gap"])
                else html.escape(str(r["note"]) or "not calculated")
            )
            c = str(r["comparison"])
            body.append(
                f"<tr><th scope='row'>{area}<br><span class='hiw-tag'>"
                f"{html.escape(str(r['indicator_name']))}</span></th>"
                f"<td>{html.escape(str(r['group']))} vs {html.escape(str(r['rest']))}</td>"
                f"<td class='num'>{html.escape(fmt_value(r['group_value'], unit))}</td>"
                f"<td class='num'>{html.escape(fmt_value(r['rest_value'], unit))}</td>"
                f"<td class='num'>{gap if pd.isna(r['gap']) else html.escape(gap)}</td>"
                f"<td style='{bm.cell_style(c)}'>{bm.cell_text(c)}</td>"
                "</tr>"
            )
        syn = " Synthetic demonstration data." if self.synthetic else ""
        caption = (
            f"Core20PLUS5 in {self.place.name}, {self.period}: each group against the rest, "
            f"gap = group minus rest with its {self.confidence:.0%} confidence interval "
            "(pp = percentage points); the comparison says whether the group is significantly "
            f"better or worse than the rest.{syn}"
        )
        return HTMLFragment(
            "<table class='hiw-table hiw-core20plus5'>"
            f"<caption>{html.escape(caption)}</caption>"
            "<thead><tr><th scope='col'>Clinical area / indicator</th>"
            "<th scope='col'>Groups</th><th scope='col'>Group value</th>"
            "<th scope='col'>Rest</th><th scope='col'>Gap (CI)</th>"
            "<th scope='col'>Group compared with the rest</th></tr></thead>"
            "<tbody>" + "".join(body) + "</tbody></table>"
        )

    def chart(self) -> Any:
        """Each group's value beside the rest's, with CIs, one panel per indicator and group (so
        each panel keeps its own unit). A :class:`hiworkbook.charts.Chart`, or a paragraph when
        no gap could be calculated."""
        from matplotlib.figure import Figure

        from hiworkbook.charts import Chart

        g = self.gaps[
            self.gaps["group_value"].notna() & self.gaps["rest_value"].notna()
        ]
        if g.empty:
            return HTMLFragment(
                "<p>No Core20PLUS5 indicator has values for both groups here, so there is no "
                "chart.</p>"
            )
        n = len(g)
        fig = Figure(figsize=(7.2, 0.95 * n + 0.9))
        axes = fig.subplots(n, 1, squeeze=False)[:, 0]
        colours = {"worse": "#D55E00", "better": "#009E73", "higher": "#1E3B7A"}
        alt_parts = []
        for ax, (_, r) in zip(axes, g.iterrows(), strict=True):
            vals = [r["group_value"], r["rest_value"]]
            lo = [r["group_lower_ci"], r["rest_lower_ci"]]
            hi = [r["group_upper_ci"], r["rest_upper_ci"]]
            col = colours.get(str(r["comparison"]), "#0072B2")
            for y, v, a, b, c in zip(
                (1, 0), vals, lo, hi, (col, "#555555"), strict=True
            ):
                ax.errorbar(
                    [v],
                    [y],
                    xerr=[[v - a], [b - v]],
                    fmt="o",
                    color=c,
                    ecolor=c,
                    capsize=3,
                    ms=5,
                )
            ax.set_yticks([1, 0], [_short(r["group"]), _short(r["rest"])], fontsize=7)
            ax.set_ylim(-0.6, 1.6)
            ax.tick_params(axis="x", labelsize=7)
            ax.spines[["top", "right"]].set_visible(False)
            verdict = (
                f"significantly {r['comparison']}"
                if r["significant"] is True
                else "not significant"
            )
            gap = (
                f"gap {r['gap']:+,.1f} ({r['gap_lower_ci']:+,.1f} to "
                f"{r['gap_upper_ci']:+,.1f}), {verdict}"
                if pd.notna(r["gap"])
                else "no gap"
            )
            ax.set_title(
                f"{r['clinical_area_name']}: {r['indicator_name']} ({r['unit']}); {gap}",
                fontsize=7.5,
                loc="left",
            )
            alt_parts.append(
                f"{r['indicator_name']}: {r['group']} {fmt_value(r['group_value'], r['unit'])}, "
                f"{r['rest']} {fmt_value(r['rest_value'], r['unit'])}, {gap}"
            )
        fig.set_layout_engine("tight")  # laid out once, by the renderer that draws it
        syn = " Synthetic demonstration data." if self.synthetic else ""
        alt = f"Dot plot of Core20PLUS5 indicators in {self.place.name}. " + "; ".join(
            alt_parts
        )
        caption = (
            f"Core20PLUS5 indicators in {self.place.name}, {self.period}: each group (top dot) "
            f"against the rest (bottom dot) with {self.confidence:.0%} confidence intervals; "
            "orange = group significantly worse than the rest, green = better; the gap is the "
            f"group minus the rest.{syn}"
        )
        return Chart(fig, alt, caption)


def core20_share(place: Place) -> dict[str, float]:
    """The place's population and small areas in national IMD quintile 1 (Core20).

    Returns
    -------
    dict
        ``population``, ``core20_population``, ``core20_share`` (0–1, NaN without population),
        ``small_areas``, ``core20_small_areas``.
    """
    a = place.areas
    core = a["imd_quintile"] == 1
    pop = float(a["population"].sum())
    cpop = float(a.loc[core, "population"].sum())
    return {
        "population": int(pop),
        "core20_population": int(cpop),
        "core20_share": cpop / pop if pop else np.nan,
        "small_areas": int(len(a)),
        "core20_small_areas": int(core.sum()),
    }


def core20_where(place: Place) -> pd.DataFrame:
    """Where the place's Core20 residents live: by ward (an LTLA), LTLA (an ICB) or MSOA, else
    by small area.

    Returns
    -------
    pandas.DataFrame
        ``level``, ``code``, ``name``, ``population``, ``core20_population``,
        ``core20_share`` (of that part's residents), ``share_of_core20`` (of the place's Core20
        residents), largest Core20 population first.
    """
    a = pd.DataFrame(place.areas.drop(columns="geometry", errors="ignore"))
    order = {
        "icb": ["ltla", "msoa", "ward"],
        "subicb": ["ltla", "msoa", "ward"],
    }.get(place.level, ["ward", "msoa"])
    level = next(
        (lv for lv in order if f"{lv}_code" in a and a[f"{lv}_code"].nunique() > 1),
        None,
    )
    if level is None:
        code, name, level = place.workspace.area_col, "area_name", "small_area"
    else:
        code = f"{level}_code"
        name = f"{level}_name" if f"{level}_name" in a else code
    a = a.assign(core20_population=np.where(a["imd_quintile"] == 1, a["population"], 0))
    g = a.groupby([code, name], as_index=False)[
        ["population", "core20_population"]
    ].sum()
    g = g.rename(columns={code: "code", name: "name"}).assign(level=level)
    total = g["core20_population"].sum()
    g["core20_share"] = g["core20_population"] / g["population"].where(
        g["population"] > 0
    )
    g["share_of_core20"] = g["core20_population"] / total if total else np.nan
    cols = [
        "level",
        "code",
        "name",
        "population",
        "core20_population",
        "core20_share",
        "share_of_core20",
    ]
    return (
        g[cols]
        .sort_values(["core20_population", "code"], ascending=[False, True])
        .reset_index(drop=True)
    )


def core20_map(place: Place) -> Any:
    """The place's small areas by national IMD decile; Core20 is deciles 1 and 2 (the two
    darkest classes). Uses :func:`hiworkbook.maps.deprivation_map`."""
    from hiworkbook import maps

    return maps.deprivation_map(
        place.areas,
        code_col=place.workspace.area_col,
        outline=place.outline(),
        title=(
            f"{place.name}: Core20 neighbourhoods are those in national IMD deciles 1 and 2 "
            "(the most deprived 20% in England)"
        ),
    )


def core20plus5(
    source: Any,
    *,
    period: str | None = None,
    confidence: float = 0.95,
    indicators: list[str] | None = None,
) -> Core20Plus5:
    """The Core20PLUS5 view of a place.

    Parameters
    ----------
    source : PlaceResults or Place
    period : str, optional
        Default: the results' or place's period.
    confidence : float, default 0.95
    indicators : list of str, optional
        Limit to these indicator ids; default every indicator whose definition names a
        Core20PLUS5 clinical area.

    Returns
    -------
    Core20Plus5

    Raises
    ------
    DataError
        When a PLUS group in workbook.toml names ethnic groups or small areas the workbook's
        data do not have (each listed with a fix).
    """
    place: Place = source.place if hasattr(source, "table") else source
    ws = place.workspace
    period = str(
        period or getattr(source, "period", "") or place.period or ws.default_period
    )
    groups = ws.config.plus_groups
    _check_plus_groups(ws, groups)
    with_counts = set(
        ws.counts.loc[ws.counts["period"].astype(str) == period, "indicator_id"]
    )
    rows: list[dict[str, Any]] = []
    bds: dict[tuple[str, str], Breakdown] = {}
    for programme, areas in (
        ("adult", ADULT_AREAS),
        ("children and young people", CYP_AREAS),
    ):
        for area in areas:
            inds = [
                i
                for i, ind in ws.indicators.items()
                if ind.core20plus5 == area
                and i in with_counts
                and (indicators is None or i in indicators)
            ]
            base = {
                "programme": programme,
                "clinical_area": area,
                "clinical_area_name": CORE20PLUS5[area],
            }
            if not inds:
                rows.append(
                    {
                        **dict.fromkeys(GAP_COLUMNS, np.nan),
                        **base,
                        "note": f"No indicator for this area has counts in {period} in this "
                        "workbook.",
                        "comparison": "not compared",
                    }
                )
                continue
            for i in inds:
                bd = indicator_by(place, i, "core20", period, confidence)
                bds[(i, "Core20")] = bd
                rows.append({**base, **group_gap(bd, CORE20, REST)})
                for g in groups:
                    pb = plus_group_by(place, i, g, period, confidence)
                    bds[(i, g.name)] = pb
                    rest = OTHER_GROUPS if g.ethnic_groups else OTHER_AREAS
                    rows.append({**base, **group_gap(pb, g.name, rest)})
    gaps = pd.DataFrame(rows)
    for c in ROW_COLUMNS:
        if c not in gaps:
            gaps[c] = np.nan
    return Core20Plus5(
        place=place,
        period=period,
        share=core20_share(place),
        where=core20_where(place),
        gaps=gaps[ROW_COLUMNS],
        confidence=confidence,
        breakdowns=bds,
    )


def _check_plus_groups(ws: Any, groups: tuple) -> None:
    """PLUS groups must name ethnic groups and small areas the data have."""
    if not groups:
        return
    log = ProblemLog()
    label = ws.config.path.name
    known_eth: set[str] = set()
    for t in (ws.counts, ws.population_ethnicity):
        if t is not None and "ethnic_group" in t:
            known_eth |= {str(x) for x in t["ethnic_group"].unique()} - {"all"}
    codes = set(ws.areas[ws.area_col])
    for g in groups:
        for e in g.ethnic_groups:
            if e not in known_eth:
                log.error(
                    f"core20plus5 PLUS group '{g.name}' names the ethnic group '{e}'"
                    f"{did_you_mean(e, sorted(known_eth))}, which is not in the data.",
                    file=label,
                    fix=f"Ethnic groups in the data: {format_values(sorted(known_eth), 8)}.",
                )
        missing = [c for c in g.areas if c not in codes]
        if missing:
            log.error(
                f"core20plus5 PLUS group '{g.name}' lists small areas not in the boundaries: "
                f"{format_values(missing, 5)}.",
                file=label,
                fix=f"Use {ws.area_col} codes of the workbook's small areas.",
            )
    log.raise_if_errors("the [core20plus5] PLUS groups")


def _words(group: str, rest: str, place: str) -> tuple[str, str, str]:
    """How a sentence names the group, the rest and which minus which."""
    if group == CORE20:
        return (
            "in Core20 neighbourhoods",
            f"in the rest of {place}",
            "Core20 minus the rest",
        )
    if rest == OTHER_GROUPS:
        return (
            f"among {group}",
            "among other ethnic groups",
            f"{group} minus other ethnic groups",
        )
    return f"in {group}", f"in the rest of {place}", f"{group} minus the rest"


def _short(label: Any) -> str:
    s = str(label)
    return s if len(s) <= 28 else s[:26] + "…"
