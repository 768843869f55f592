"""Fingertips' views of a result table: spine chart, compare areas, inequalities, pyramid, scatter.

Each function takes a :class:`~hiworkbook.results.PlaceResults` (the one result table) and returns a
:class:`~hiworkbook.charts.Chart` — a matplotlib figure with a caption, a text alternative and the
data behind it (``chart.save(folder, stem)`` writes PNG, SVG and CSV). Every view colours values
with the one benchmark grammar of :mod:`hiworkbook.benchmark` (colour + symbol + words) against one
``comparator`` argument resolved by :func:`hiworkbook.benchmark.reference`, and honours
``is_suppressed``: a suppressed value is never drawn as a value (nor as zero) and never appears in
the exported data.

The views follow OHID's Fingertips views and their R implementation *fingertipscharts*
(``area_profiles``, ``compare_areas``, ``compare_indicators``, ``population``), applied to the
user's own small areas (Fingertips shows published geographies only).
"""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hiworkbook import benchmark as bm
from hiworkbook.charts import Chart
from hiworkbook.narrative import HTMLFragment, fmt_value, short_group
from hiworkbook.results import QUINTILE_LABELS, PlaceResults
from hiworkbook.validate import ProblemLog, did_you_mean

_log = logging.getLogger(__name__)

__all__ = [
    "peer_values",
    "spine_chart",
    "spine_table",
    "draw_spine",
    "compare_areas_chart",
    "inequality_chart",
    "sii_line",
    "population_pyramid",
    "pyramid_table",
    "scatter_chart",
]

_COMP = "#333333"
_SPINE_COLS = (
    1.06,
    1.26,
    1.5,
    1.7,
)  # table columns beside the spine, in axes fractions
_SPINE_BANDS = (
    "#8C8C8C",
    "#C8C8C8",
    "#E8E8E8",
)  # worst–25th, 25th–75th, 75th–best (greys)


def _num(v: float) -> str:
    return "—" if pd.isna(v) else f"{float(v):,.1f}"


def _unit_label(unit: str) -> str:
    return "per cent" if unit == "%" else unit


def _sex_suffix(sex: str, single: bool) -> str:
    return "" if sex == "persons" or single else f" ({sex}s)"


# ---------------------------------------------------------------------------- spine


def peer_values(
    results: PlaceResults,
    *,
    level: str | None = None,
    places: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Every indicator's value for each peer place: the workspace's places of the same level
    (e.g. every LTLA), or the ``places`` given.

    Computed from the small-area counts with the same PHE method and in one vectorised call
    per indicator (:func:`hiworkbook.results.place_results` internals), with disclosure control
    applied, so a spine chart can range a place against its peers as Fingertips ranges a local
    authority against all of England's. The peers are the same for every place of a level, so
    they are computed once per workspace, period and indicator set
    (:meth:`hiworkbook.workspace.Workspace.memo`) and reused by a run's other places.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``sex``, ``area_code``, ``area_name``, ``value``, ``lower_ci``,
        ``upper_ci``, ``is_suppressed``.
    """
    place = results.place
    ws = place.workspace
    level = level or place.level
    key = (
        "peer_values",
        results.period,
        level,
        None if places is None else tuple(places),
        tuple(results.indicators.items()),
        results.confidence,
    )
    # the same for every place of the level: computed once per workspace (a run's first place)
    return ws.memo(key, lambda: _peer_values(ws, results, level, places)).copy()


def _peer_values(
    ws, results: PlaceResults, level: str, places: Sequence[str] | None
) -> pd.DataFrame:
    from hiworkbook import disclosure
    from hiworkbook import results as R

    code_col, name_col = f"{level}_code", f"{level}_name"
    areas = ws.areas
    if code_col not in areas:
        return pd.DataFrame(columns=["indicator_id", "sex", "area_code", "value"])
    keep = areas if places is None else areas[areas[code_col].isin(list(places))]
    names = keep.drop_duplicates(code_col).set_index(code_col)
    names = names[name_col] if name_col in names else names.index.to_series()
    member = keep.set_index(ws.area_col)[code_col]
    frames = []
    for ind_id, ind in results.indicators.items():
        c = R.counts_filled(ws, results.period, ind)
        if c.empty:
            continue
        if "ethnic_group" in c:
            c = c[c["ethnic_group"] == "all"]
        c = c.assign(_p=c[ws.area_col].map(member)).dropna(subset=["_p"])
        if c.empty:
            continue
        data = c.assign(
            breakdown="peer",
            category=c["_p"],
            area_code=c["_p"],
            area_name=c["_p"].map(names),
        ).drop(columns="_p")
        ref = None
        if ind.measure == "isratio":
            ref = R._reference_counts([data], None)
        res = R._calculate(data, ind, results.confidence, ref)
        frames.append(res.assign(indicator_id=ind_id, measure=ind.measure))
    if not frames:
        return pd.DataFrame(columns=["indicator_id", "sex", "area_code", "value"])
    # the peers' totals take the run's decision (disclosure.run_plan): a neighbour's total
    # hidden in its own report is hidden here too
    out = disclosure.apply(
        pd.concat(frames, ignore_index=True).assign(period=results.period),
        ws.config.disclosure,
        place=results.place,
    )
    return out[
        [
            "indicator_id",
            "sex",
            "area_code",
            "area_name",
            "value",
            "lower_ci",
            "upper_ci",
            "is_suppressed",
        ]
    ].reset_index(drop=True)


def spine_table(
    results: PlaceResults,
    *,
    comparator: str | None = None,
    peers: str | pd.DataFrame = "places",
    level: str = "95",
    indicators: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The numbers of a spine chart: per indicator, the place's value, the comparator's, the
    peers' range and the place's position on the spine.

    Fingertips' area profile (the "spine") draws, for each indicator, the range of values of the
    place's peers from the worst to the best, with the 25th and 75th percentiles, and the
    place's value as a marker coloured by its comparison with the benchmark. The spine runs
    from worst (left, 0) to best (right, 1) for indicators with a polarity, from lowest to
    highest for those without, so ``position = (value − worst) / (best − worst)``.

    Parameters
    ----------
    results : PlaceResults
    comparator : str, optional
        Benchmark (:func:`hiworkbook.benchmark.reference`); default the primary comparator.
    peers : "places", "small_areas" or pandas.DataFrame, default "places"
        What the place is ranged against: the workspace's places of the same level
        (:func:`peer_values`; the place's small areas when it is the only one), the place's own
        small areas, or a frame of ``indicator_id``, ``sex``, ``value`` (e.g. every local
        authority, from a Fingertips export). Suppressed values are left out.
    level : {"95", "99.8", "both"}
    indicators : sequence of str, optional
        Default every indicator with a value for the place.

    Returns
    -------
    pandas.DataFrame
        ``indicator_id``, ``indicator_name``, ``sex``, ``unit``, ``polarity``, ``numerator``,
        ``value``, ``comparator``, ``comparator_value``, ``benchmark``, ``peers``,
        ``worst``, ``q25``, ``median``, ``q75``, ``best``, ``position``,
        ``comparator_position``.
    """
    t = results.table
    area = t[t["breakdown"] == "area"].reset_index(drop=True)
    if indicators:
        area = area[area["indicator_id"].isin(list(indicators))].reset_index(drop=True)
    ref = bm.reference(results, comparator, breakdown="area")
    cats = bm.classify(area, ref, level=level)
    refv = ref.value_for(area)
    peer_name = "peers"
    if isinstance(peers, str) and peers == "places":
        pv = peer_values(results)
        if pv["area_code"].nunique() > 1:
            lv = results.place.level_name.lower()
            lv = lv[:-1] + "ies" if lv.endswith("y") else lv + "s"
            peers, peer_name = pv, f"{lv} of the workbook"
        else:
            peers = "small_areas"
    if isinstance(peers, str):
        if peers != "small_areas":
            raise ValueError(
                f"peers must be 'places', 'small_areas' or a DataFrame, not {peers!r}"
            )
        peers = t[t["breakdown"] == "small_area"]
        peer_name = "small areas"
    if "is_suppressed" in peers:
        peers = peers[~peers["is_suppressed"].fillna(False).astype(bool)]
    peer_vals = pd.to_numeric(peers["value"], errors="coerce")
    by_key = {
        k: g.dropna().to_numpy(dtype=float)
        for k, g in peer_vals.groupby(
            [peers["indicator_id"], peers["sex"]], sort=False, dropna=False
        )
    }
    empty = np.empty(0, dtype=float)
    rows = []
    for i, r in area.iterrows():
        v = by_key.get((r["indicator_id"], r["sex"]), empty)
        row = {
            "indicator_id": r["indicator_id"],
            "indicator_name": r["indicator_name"],
            "sex": r["sex"],
            "unit": r["unit"],
            "polarity": r["polarity"],
            "numerator": r["numerator"],
            "value": r["value"] if not r["is_suppressed"] else np.nan,
            "comparator": ref.name,
            "comparator_value": refv.iloc[i],
            "benchmark": cats.iloc[i],
            "peers": len(v),
        }
        if len(v):
            lo, q25, med, q75, hi = np.percentile(v, [0, 25, 50, 75, 100])
            if r["polarity"] == "low_is_good":
                worst, best = hi, lo
                q25, q75 = q75, q25  # the 25th percentile from the worst end
            else:
                worst, best = lo, hi
            row |= {"worst": worst, "q25": q25, "median": med, "q75": q75, "best": best}
            span = best - worst
            pos = (row["value"] - worst) / span if span else 0.5
            cpos = (row["comparator_value"] - worst) / span if span else 0.5
            row["position"] = pos
            row["comparator_position"] = cpos
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
    out = pd.DataFrame(rows)
    out.attrs["peer_name"] = peer_name
    return out


def spine_chart(
    results: PlaceResults,
    *,
    comparator: str | None = None,
    peers: str | pd.DataFrame = "places",
    level: str = "95",
    indicators: Sequence[str] | None = None,
    peer_name: str | None = None,
) -> Chart:
    """The area profile ("spine chart") of every indicator for the place against its peers.

    Each row is one indicator: grey bands from the worst peer value to the 25th percentile, the
    25th to the 75th, and the 75th to the best; a tick at the median; a dashed tick at the
    comparator's value; and the place's value as a marker whose colour, shape and symbol give
    its benchmark class (:func:`spine_table` has the numbers). Beside each row: the place's
    value, the comparator's and the peers' worst and best.

    Parameters
    ----------
    results : PlaceResults
    comparator, peers, level, indicators
        As :func:`spine_table`.
    peer_name : str, optional
        Words for the peers in the caption; default "small areas of <place>" or "peers".

    Returns
    -------
    Chart
    """
    if not (results.table["breakdown"] == "area").any():
        # the indicator table above already says which files would fill this section
        return HTMLFragment("")
    d = spine_table(
        results, comparator=comparator, peers=peers, level=level, indicators=indicators
    )
    ref = bm.reference(results, comparator, breakdown="area")
    peer_words = peer_name or (
        f"small areas of {results.place.name}"
        if d.attrs.get("peer_name") == "small areas"
        else d.attrs.get("peer_name", "peers")
    )
    single = {k for k, ind in results.indicators.items() if len(ind.sexes) == 1}
    return draw_spine(
        d,
        place_name=results.place.name,
        period=results.period,
        comparator_name=ref.name,
        phrase=ref.phrase(level),
        peer_words=peer_words,
        single_sex=single,
    )


def draw_spine(
    d: pd.DataFrame,
    *,
    place_name: str,
    period: str,
    comparator_name: str,
    phrase: str,
    peer_words: str,
    single_sex: set[str] | frozenset[str] = frozenset(),
) -> Chart:
    """Draw a spine chart from its table (:func:`spine_table`, or
    :func:`hiworkbook.published.spine_table` for published values).

    Parameters
    ----------
    d : pandas.DataFrame
        The spine table's columns.
    place_name, period, comparator_name : str
    phrase : str
        "compared with England at 95% confidence" (:meth:`Reference.phrase`).
    peer_words : str
        What the range is of, e.g. "local authorities in England".
    single_sex : set of str
        Indicators defined for one sex only (no sex shown beside their name).

    Returns
    -------
    Chart
    """
    n = max(len(d), 1)
    fig = Figure(figsize=(9.5, 0.42 * n + 1.6))
    ax = fig.add_axes((0.34, 1.1 / (0.42 * n + 1.6), 0.36, 1 - 1.5 / (0.42 * n + 1.6)))
    labels = []
    for y, (_, r) in enumerate(d.iterrows()):
        yy = n - 1 - y
        single = r["indicator_id"] in single_sex
        labels.append(str(r["indicator_name"]) + _sex_suffix(str(r["sex"]), single))
        if r["peers"] and pd.notna(r["worst"]):
            span = r["best"] - r["worst"]

            def sc(v: float, r=r, span=span) -> float:
                return (v - r["worst"]) / span if span else 0.5

            a, b25, b75 = 0.0, sc(r["q25"]), sc(r["q75"])
            ax.barh(yy, b25 - a, left=a, height=0.55, color=_SPINE_BANDS[0], lw=0)
            ax.barh(yy, b75 - b25, left=b25, height=0.55, color=_SPINE_BANDS[1], lw=0)
            ax.barh(yy, 1 - b75, left=b75, height=0.55, color=_SPINE_BANDS[2], lw=0)
            ax.plot([sc(r["median"])] * 2, [yy - 0.3, yy + 0.3], color="#555555", lw=1)
            cp = r["comparator_position"]
            if pd.notna(cp):
                ax.plot(
                    [np.clip(cp, -0.05, 1.05)] * 2,
                    [yy - 0.4, yy + 0.4],
                    color=_COMP,
                    lw=1.4,
                    ls="--",
                )
            if pd.notna(r["position"]):
                c = bm.category(r["benchmark"])
                big = "99.8" in r["benchmark"]
                ax.plot(
                    np.clip(r["position"], -0.05, 1.05),
                    yy,
                    marker=c.marker,
                    ms=10 if big else 8,
                    mfc=c.colour,
                    mec="#000000",
                    mew=1.6 if big else 0.8,
                    ls="none",
                )
        else:
            ax.text(0.5, yy, "no peer values", ha="center", va="center", fontsize=7)
        cells = [
            "suppressed" if pd.isna(r["value"]) else f"{r['value']:,.1f}",
            _num(r["comparator_value"]),
            _num(r["worst"]),
            _num(r["best"]),
        ]
        for x, text in zip(_SPINE_COLS, cells, strict=True):
            ax.text(
                x,
                yy,
                text,
                va="center",
                ha="left",
                fontsize=7,
                transform=ax.get_yaxis_transform(),
            )
        sym = bm.category(r["benchmark"]).symbol
        ax.text(
            -0.04,
            yy,
            sym,
            va="center",
            ha="right",
            fontsize=8,
            transform=ax.get_yaxis_transform(),
        )
    heads = ("Value", comparator_name.replace(" (", "\n("), "Worst", "Best")
    for x, head in zip(_SPINE_COLS, heads, strict=True):
        ax.text(
            x,
            n - 0.2,
            head,
            fontsize=7,
            fontweight="bold",
            transform=ax.get_yaxis_transform(),
        )
    ax.set_yticks(range(n), labels[::-1], fontsize=7)
    ax.tick_params(axis="y", pad=14)
    ax.set_ylim(-0.7, n - 0.1)
    ax.set_xlim(-0.06, 1.06)
    ax.set_xticks([0, 0.5, 1], ["worst\n(lowest)", "", "best\n(highest)"], fontsize=7)
    ax.spines[["top", "right", "left"]].set_visible(False)
    ax.set_title(
        f"{place_name}, {period}: area profile against the {peer_words}",
        fontsize=9,
        loc="left",
        x=-0.9,
    )
    keys = [k for k in bm.CATEGORIES if k in set(d["benchmark"])]
    handles = bm.legend_handles(keys)
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles += [
        Line2D([], [], color=_COMP, ls="--", lw=1.4, label=comparator_name),
        Patch(color=_SPINE_BANDS[0], label="worst to 25th percentile"),
        Patch(color=_SPINE_BANDS[1], label="25th to 75th"),
        Patch(color=_SPINE_BANDS[2], label="75th percentile to best"),
    ]
    fig.legend(handles=handles, fontsize=7, frameon=False, loc="lower center", ncol=4)
    parts = []
    for _, r in d.iterrows():
        word = bm.category(r["benchmark"]).label.lower()
        if pd.isna(r["value"]):
            parts.append(f"{r['indicator_name']}: suppressed")
            continue
        pos = (
            f", {abs(r['position']):.0%} of the way from worst to best"
            if pd.notna(r["position"])
            else ""
        )
        parts.append(
            f"{r['indicator_name']}: {fmt_value(r['value'], str(r['unit']))} ({word}){pos}"
        )
    alt = (
        f"Spine chart of {len(d)} indicators for {place_name}, each {phrase}, "
        f"against the range of the {peer_words}. " + "; ".join(parts)
    )
    caption = (
        f"Area profile of {place_name}, {period}: each indicator's value "
        f"(marker) {phrase} (colour, shape and symbol), on the range of the "
        f"{peer_words} from worst (left) to best (right); for indicators with no judgement of "
        "good or bad, from lowest to highest. Grey bands: worst to 25th percentile, 25th to "
        "75th, 75th to best; dashed tick: the comparator."
    )
    return Chart(fig, alt, caption, d)


# ---------------------------------------------------------------------------- compare areas


def compare_areas_chart(
    results: PlaceResults,
    indicator_id: str,
    *,
    comparator: str | None = None,
    level: str = "95",
    breakdown: str = "small_area",
    sex: str | None = None,
    ascending: bool = False,
    max_areas: int = 60,
) -> Chart:
    """One indicator across areas as bars with confidence intervals, sorted by value.

    Fingertips' "compare areas": each area's bar is coloured by its benchmark class against the
    comparator (default: the place itself for its small areas), with the comparator's value as a
    line. Suppressed areas are listed after the others with no bar. With more than
    ``max_areas`` areas, the chart shows the highest and lowest ``max_areas / 2`` and says so;
    the CSV keeps every area.

    Parameters
    ----------
    results : PlaceResults
    indicator_id : str
    comparator : str, optional
    level : {"95", "99.8", "both"}
    breakdown : {"small_area", "comparator"}
        Small areas of the place, or the place and its comparators.
    sex : str, optional
    ascending : bool, default False
        Highest value first (Fingertips' default sort).
    max_areas : int, default 60

    Returns
    -------
    Chart
    """
    if breakdown == "small_area":
        picked = results.pick(indicator_id, "map")
        if picked is None or results.for_indicator(picked, "small_area").empty:
            # the map above already says which files would fill this section
            return HTMLFragment("")
        indicator_id = picked
    elif indicator_id not in results.indicators:
        return HTMLFragment("")
    ind = results.indicators[indicator_id]
    t = results.table
    if breakdown == "comparator":
        rows = t[
            (t["indicator_id"] == indicator_id)
            & t["breakdown"].isin(["area", "comparator"])
        ]
    else:
        rows = results.for_indicator(indicator_id, breakdown)
    sexes = sorted(rows["sex"].unique())
    sex = sex or (
        "persons" if "persons" in sexes else (sexes[0] if sexes else "persons")
    )
    rows = rows[rows["sex"] == sex].reset_index(drop=True)
    ref = bm.reference(results, comparator, breakdown=breakdown)
    cats = bm.classify(rows, ref, level=level)
    rows = rows.assign(benchmark=cats.to_numpy())
    supp = rows["is_suppressed"].astype(bool) | rows["value"].isna()
    shown = rows[~supp].sort_values("value", ascending=ascending, kind="mergesort")
    hidden = rows[supp].sort_values("area_name")
    note = ""
    if len(shown) > max_areas:
        h = max_areas // 2
        drawn = pd.concat([shown.head(h), shown.tail(max_areas - h)])
        note = f" Showing the {h} highest and {max_areas - h} lowest of {len(shown)} areas; the data has all."
    else:
        drawn = shown
    n_supp = int(rows["is_suppressed"].astype(bool).sum())
    n_none = len(hidden) - n_supp
    left_out = []
    if n_supp:
        left_out.append(f"{n_supp} suppressed (small numbers)")
    if n_none:
        left_out.append(f"{n_none} with no value (too few events for the method)")
    left_txt = (
        (" Not drawn: " + "; ".join(left_out) + " (listed in the data).")
        if left_out
        else ""
    )
    n = max(len(drawn), 1)
    fig = Figure(figsize=(7.4, 0.2 * n + 2.0))
    ax = fig.add_subplot()
    y = np.arange(len(drawn))[::-1]
    v = drawn["value"].to_numpy(dtype=float)
    lo = drawn["lower_ci"].to_numpy(dtype=float)
    hi = drawn["upper_ci"].to_numpy(dtype=float)
    ax.barh(
        y,
        v,
        color=[bm.category(c).colour for c in drawn["benchmark"]],
        edgecolor="#333333",
        lw=0.4,
        height=0.75,
    )
    ax.errorbar(
        v,
        y,
        xerr=np.vstack([v - lo, hi - v]),
        fmt="none",
        ecolor="black",
        lw=0.7,
        capsize=1.5,
    )
    for yi, c in zip(y, drawn["benchmark"], strict=True):
        ax.text(
            1.0,
            yi,
            " " + bm.category(c).symbol,
            transform=ax.get_yaxis_transform(),
            fontsize=6,
            va="center",
        )
    names = [
        f"{a} {c}" if breakdown == "small_area" and a != c else str(a)
        for a, c in zip(drawn["area_name"], drawn["area_code"], strict=True)
    ]
    ax.set_yticks(y, names, fontsize=6 if n > 20 else 8)
    if note:
        gap = n - 1 - (max_areas // 2) + 0.5
        ax.axhline(gap, color="#000000", lw=0.8, ls=":")
        ax.text(
            0.99,
            gap,
            f"{len(shown) - len(drawn)} areas not drawn ",
            transform=ax.get_yaxis_transform(),
            ha="right",
            va="bottom",
            fontsize=6,
        )
    rv = ref.value_for(rows).dropna()
    if len(rv):
        ax.axvline(float(rv.iloc[0]), color=_COMP, ls="--", lw=1.2, label=f"{ref.name}")
    keys = [
        k for k in bm.legend_keys(ind.polarity, level) if k in set(rows["benchmark"])
    ]
    handles = bm.legend_handles(keys) + (
        ax.get_legend_handles_labels()[0] if len(rv) else []
    )
    fig.legend(handles=handles, fontsize=7, frameon=False, loc="lower center", ncol=3)
    ax.set_xlabel(
        _unit_label(ind.unit) + ("\n" + left_txt.strip() if left_txt else ""),
        fontsize=8,
    )
    ax.set_ylim(-0.8, n - 0.2)
    ax.spines[["top", "right"]].set_visible(False)
    what = "small areas" if breakdown == "small_area" else "areas"
    ax.set_title(
        f"{ind.name}{_sex_suffix(sex, len(ind.sexes) == 1)}, {results.period}: {what} of {results.place.name}"
        if breakdown == "small_area"
        else f"{ind.name}, {results.period}: {results.place.name} and its comparators",
        fontsize=9,
        loc="left",
    )
    fig.set_layout_engine("tight", rect=(0, 0.9 / (0.2 * n + 2.0), 1, 1))
    counts = rows["benchmark"].value_counts()
    summary = "; ".join(
        f"{int(counts[k])} {bm.category(k).label.lower()}"
        for k in bm.CATEGORIES
        if k in counts
    )
    alt = (
        f"Bar chart of {ind.name} for {len(rows)} {what}, sorted by value, each {ref.phrase(level)}: "
        f"{summary}."
        + (
            f" Highest: {drawn['area_name'].iloc[0]} {fmt_value(v[0], ind.unit)}; lowest shown: "
            f"{drawn['area_name'].iloc[-1]} {fmt_value(v[-1], ind.unit)}."
            if len(drawn)
            else ""
        )
    )
    caption = (
        f"{ind.name} by {what[:-1]}, {results.place.name}, {results.period}, sorted "
        f"{'lowest' if ascending else 'highest'} first, with 95% confidence intervals; each bar "
        f"{ref.phrase(level)}.{note}{left_txt}"
    )
    data = rows[
        [
            "area_code",
            "area_name",
            "numerator",
            "denominator",
            "value",
            "lower_ci",
            "upper_ci",
            "is_suppressed",
            "benchmark",
        ]
    ].copy()
    data = pd.concat([shown, hidden])[data.columns].assign(
        comparator=ref.name,
        comparator_value=ref.value_for(pd.concat([shown, hidden])).to_numpy(),
    )
    return Chart(fig, alt, caption, data.reset_index(drop=True))


# ---------------------------------------------------------------------------- inequalities


def sii_line(quintiles: pd.DataFrame) -> tuple[float, float]:
    """The fitted line of the slope index of inequality across quintiles: (value at the most
    deprived end, SII).

    Weighted least squares of the quintiles' values on the midpoint of their cumulative
    population share ranked from most (x = 0) to least deprived (x = 1), weights the population
    shares (Low, Low & Tomlinson's regression; PHE *Technical Guide: Slope index of inequality*,
    2018) — the same fit as :func:`hiworkbook.inequality.sii`, whose slope is the SII.

    Parameters
    ----------
    quintiles : pandas.DataFrame
        Rows ordered most to least deprived with ``value`` and ``denominator``.

    Returns
    -------
    intercept, slope : float
        Fitted value at x = 0 and the SII (least deprived minus most deprived).
    """
    q = quintiles.dropna(subset=["value", "denominator"])
    w = q["denominator"].to_numpy(dtype=float)
    if len(q) < 2 or w.sum() <= 0:
        return np.nan, np.nan
    a = w / w.sum()
    x = np.cumsum(a) - a / 2
    yv = q["value"].to_numpy(dtype=float)
    xbar, ybar = np.sum(a * x), np.sum(a * yv)
    slope = np.sum(a * (x - xbar) * (yv - ybar)) / np.sum(a * (x - xbar) ** 2)
    return float(ybar - slope * xbar), float(slope)


_BREAKDOWN_WORDS = {
    "imd_quintile": "national deprivation quintile",
    "imd_decile": "national deprivation decile",
    "ethnic_group": "ethnic group",
    "sex": "sex",
    "age_band": "age band",
}


def inequality_chart(
    results: PlaceResults,
    indicator_id: str,
    *,
    breakdown: str = "imd_quintile",
    frame: pd.DataFrame | None = None,
    comparator: str | None = None,
    level: str = "95",
    sex: str | None = None,
) -> Chart:
    """An indicator by an inequality breakdown: bars with 95% CIs in the benchmark grammar, and
    for deprivation quintiles the fitted SII line.

    Parameters
    ----------
    results : PlaceResults
    indicator_id : str
    breakdown : {"imd_quintile", "imd_decile", "ethnic_group", "sex", "age_band"}
        Rows of the result table with this breakdown, or of ``frame``.
    frame : pandas.DataFrame or hiworkbook.breakdowns.Breakdown, optional
        A :func:`hiworkbook.breakdowns.indicator_by` result (its categories, in its order,
        compared with its own place row, so an age band's crude rate is compared with the
        place's crude rate over the same ages), or rows in the result-table layout (``category``, ``value``, ``lower_ci``, ``upper_ci``,
        optional ``lower_ci_998``/``upper_ci_998``, ``is_suppressed``, ``sex``,
        ``denominator``) for breakdowns the result table does not carry (e.g. from
        ``hiworkbook.breakdowns``).
    comparator : str, optional
        Default the place itself.
    level : {"95", "99.8", "both"}
    sex : str, optional

    Returns
    -------
    Chart
    """
    if (
        frame is None
        and indicator_id not in results.indicators
        or (frame is None and results.for_indicator(indicator_id, breakdown).empty)
    ):
        picked = (
            results.pick(indicator_id, "gradient")
            if breakdown == "imd_quintile"
            else None
        )
        if picked is None:
            from hiworkbook.coverage import missing_section

            return missing_section(results, "gradient", indicator_id)
        indicator_id = picked
    ind = results.indicators[indicator_id]
    own = None  # a Breakdown (hiworkbook.breakdowns) carries its own place row and comparisons
    if frame is not None and hasattr(frame, "table") and hasattr(frame, "breakdown"):
        own, breakdown = frame, frame.breakdown
        bt = frame.table
        frame = bt[bt["breakdown"] == breakdown]
        if own.categories:
            order = {c: i for i, c in enumerate(own.categories)}
            frame = frame.sort_values(
                "category", key=lambda c: c.map(order), kind="stable"
            )
    rows = (
        frame.copy()
        if frame is not None
        else results.for_indicator(indicator_id, breakdown).copy()
    )
    if rows.empty:
        log = ProblemLog()
        have = sorted(
            set(
                results.table.loc[
                    results.table["indicator_id"] == indicator_id, "breakdown"
                ]
            )
        )
        log.error(
            f"'{indicator_id}' has no rows by {breakdown}{did_you_mean(breakdown, have)}.",
            fix=f"Its breakdowns: {', '.join(have)}; or pass frame= with the rows.",
        )
        log.raise_if_errors("the inequality chart")
    for col, default in (
        ("indicator_id", indicator_id),
        ("polarity", ind.polarity),
        ("sex", "persons"),
        ("is_suppressed", False),
    ):
        if col not in rows:
            rows[col] = default
    sexes = sorted(rows["sex"].unique())
    if breakdown != "sex":
        sex = sex or ("persons" if "persons" in sexes else sexes[0])
        rows = rows[rows["sex"] == sex]
    if breakdown == "imd_quintile":
        order = list(QUINTILE_LABELS.values())
        rows = rows.set_index("category").reindex(order).reset_index()
        rows["is_suppressed"] = rows["is_suppressed"].fillna(False)
        rows["indicator_id"] = indicator_id
        rows["polarity"] = ind.polarity
        rows["sex"] = sex
    rows = rows.reset_index(drop=True)
    ref = bm.reference(results, comparator, breakdown="imd_quintile")
    if (
        own is not None and not comparator
    ):  # compare like with like: the Breakdown's place row
        bt = own.table
        area = bt[bt["breakdown"] == "area"]
        ref = bm.Reference(
            results.place.code,
            results.place.name,
            "place",
            area[["indicator_id", "sex", "value"]].rename(
                columns={"value": "ref_value"}
            ),
        )
    if breakdown == "sex":  # each sex against the comparator's all-persons value
        have = set(ref.values.loc[ref.values["indicator_id"] == indicator_id, "sex"])
        cmp_rows = rows.assign(sex="persons" if "persons" in have else rows["sex"])
    else:
        cmp_rows = rows
    cats = bm.classify(cmp_rows, ref, level=level)
    supp = rows["is_suppressed"].astype(bool).to_numpy()
    v = np.where(supp, np.nan, rows["value"].to_numpy(dtype=float))
    lo = rows["lower_ci"].to_numpy(dtype=float)
    hi = rows["upper_ci"].to_numpy(dtype=float)
    quint = breakdown == "imd_quintile"
    width = np.full(len(rows), 0.65)
    x = np.arange(len(rows), dtype=float)
    if quint:
        # Bars at their population's midpoint rank (0 = most deprived, 1 = least), widths the
        # population shares: the x-axis of the SII regression, so its line is straight.
        den = (
            pd.to_numeric(rows["denominator"], errors="coerce")
            .fillna(0)
            .to_numpy(dtype=float)
        )
        if den.sum() > 0:
            share = den / den.sum()
            x = np.cumsum(share) - share / 2
            width = share * 0.92
    fig = Figure(figsize=(7.4, 4.0))
    ax = fig.add_subplot()
    ok = ~np.isnan(v)
    ax.bar(
        x[ok],
        v[ok],
        color=[bm.category(c).colour for c in cats[ok]],
        edgecolor="#333333",
        lw=0.6,
        width=width[ok],
    )
    ax.errorbar(
        x[ok],
        v[ok],
        yerr=np.vstack([v[ok] - lo[ok], hi[ok] - v[ok]]),
        fmt="none",
        ecolor="black",
        capsize=4,
        lw=1,
    )
    top = np.nanmax(hi[ok]) if ok.any() else 1.0
    for xi, val, c, s in zip(x, v, cats, supp, strict=True):
        sym = bm.category(c).symbol
        if np.isnan(val):
            ax.text(
                xi,
                top * 0.02,
                f"{sym}\n{'suppressed' if s else 'no data'}",
                ha="center",
                va="bottom",
                fontsize=7,
            )
        else:
            ax.text(xi, top * 1.03, sym, ha="center", va="bottom", fontsize=8)
    rv = ref.value_for(cmp_rows).dropna()
    if len(rv):
        ax.axhline(float(rv.iloc[0]), color=_COMP, ls="--", lw=1.2, label=ref.name)
    sii_txt = ""
    line = None
    if quint:
        s = results.sii[
            (results.sii["indicator_id"] == indicator_id) & (results.sii["sex"] == sex)
        ]
        b0, b1 = sii_line(rows)
        if len(s) and pd.notna(s["sii"].iloc[0]) and pd.notna(b1):
            sv, slo, shi = (
                float(s[c].iloc[0]) for c in ("sii", "lower_ci", "upper_ci")
            )
            line = b0 + b1 * x
            ax.plot(
                [0, 1], [b0, b0 + b1], color="#000000", lw=1.5, label="SII fitted line"
            )
            from hiworkbook.sii_reading import sii_statement

            sii_txt = sii_statement(sv, slo, shi, ind.unit)
        ax.set_xlim(0, 1)
        ax.set_xlabel(
            "population ranked from most deprived (0) to least deprived (1); bar width = population share",
            fontsize=7,
        )
    labels = [
        str(c).replace(" (", "\n(")
        if breakdown == "imd_quintile"
        else short_group(str(c))
        for c in rows["category"]
    ]
    ax.set_xticks(x, labels, fontsize=7)
    ax.set_ylabel(_unit_label(ind.unit))
    ax.set_ylim(0, top * 1.12)
    ax.spines[["top", "right"]].set_visible(False)
    keys = [k for k in bm.legend_keys(ind.polarity, level) if k in set(cats)]
    handles = bm.legend_handles(keys) + ax.get_legend_handles_labels()[0]
    ax.legend(
        handles=handles,
        fontsize=7,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.28),
        ncol=4,
    )
    what = _BREAKDOWN_WORDS.get(breakdown, breakdown)
    ax.set_title(
        f"{ind.name}{_sex_suffix(sex or 'persons', len(ind.sexes) == 1)} by {what}, {results.place.name}, {results.period}"
        + (f"\n{textwrap.fill(sii_txt, 105)}" if sii_txt else ""),
        fontsize=8,
        loc="left",
    )
    fig.set_layout_engine(
        "tight"
    )  # laid out by Chart.png, with the renderer that draws
    parts = [
        f"{c}: "
        + (
            "suppressed"
            if s
            else (
                f"{fmt_value(val, ind.unit)} ({bm.category(k).label.lower()})"
                if not np.isnan(val)
                else "no data"
            )
        )
        for c, val, k, s in zip(rows["category"], v, cats, supp, strict=True)
    ]
    alt = (
        f"Bar chart of {ind.name} by {what}, each {ref.phrase(level)}. "
        + "; ".join(parts)
        + (f". {sii_txt}." if sii_txt else ".")
    )
    caption = (
        f"{ind.name} by {what}, {results.place.name}, {results.period}, with 95% confidence "
        f"intervals; each bar {ref.phrase(level)}."
        + (f" {sii_txt}." if sii_txt else "")
    )
    data = pd.DataFrame(
        {
            "category": rows["category"].to_numpy(),
            "value": v,
            "lower_ci": np.where(supp, np.nan, lo),
            "upper_ci": np.where(supp, np.nan, hi),
            "is_suppressed": supp,
            "benchmark": cats.to_numpy(),
            "comparator": ref.name,
            "comparator_value": ref.value_for(cmp_rows).to_numpy(dtype=float),
        }
    )
    if line is not None:
        data["sii_line"] = line
    return Chart(fig, alt, caption, data)


# ---------------------------------------------------------------------------- pyramid


def _band_key(band: str) -> float:
    b = str(band).replace("+", "-999")
    try:
        return float(b.split("-")[0])
    except ValueError:
        return 1e9


def pyramid_table(
    results: PlaceResults, *, comparator: str | None = None
) -> pd.DataFrame:
    """Population by age band and sex for the place and its comparator, as counts and as the
    percentage of each one's total population (so pyramids of different sizes compare).

    The comparator is the workspace's small areas that make it up: a comparator computed from
    small areas (the ICB, a peer group); for comparators without small areas (England from a
    national file) the whole workspace, named as such.

    Returns
    -------
    pandas.DataFrame
        ``age_band``, ``sex``, ``population``, ``percent``, ``comparator_population``,
        ``comparator_percent``; attrs ``place``, ``comparator``, ``period``.
    """
    place = results.place
    ws = place.workspace
    pop = ws.population
    if pop.empty:
        log = ProblemLog()
        log.error(
            "The workbook has no population table.",
            fix="Add population = … under [files].",
        )
        log.raise_if_errors("the population pyramid")
    from hiworkbook.workspace import nearest_period

    periods = ws.population_periods
    use = (
        results.period
        if results.period in periods
        else nearest_period(results.period, periods)
    )

    def by_band(areas: Sequence[str]) -> pd.Series:
        p = ws.population_for(use, areas)
        p = p[p["sex"].isin(["female", "male"])]
        return p.groupby(["age_band", "sex"])["population"].sum()

    col = ws.area_col
    members = None
    cname = ""
    for c in place.comparators:
        if (comparator and comparator in (c.code, c.name)) or (
            not comparator and c.area_codes
        ):
            if c.area_codes:
                members, cname = list(c.area_codes), c.name
                break
    if members is None:
        members, cname = ws.areas[col].tolist(), f"all areas of {ws.config.name}"
    mine = by_band(place.area_codes)
    # the comparator's pyramid is every place's of the same parent: once per workspace
    theirs = ws.memo(("pyramid", use, tuple(members)), lambda: by_band(members))
    out = (
        pd.concat(
            [mine.rename("population"), theirs.rename("comparator_population")], axis=1
        )
        .fillna(0)
        .reset_index()
    )
    out["percent"] = 100 * out["population"] / out["population"].sum()
    out["comparator_percent"] = (
        100 * out["comparator_population"] / out["comparator_population"].sum()
    )
    out = out.sort_values(
        ["age_band", "sex"],
        key=lambda s: s.map(_band_key) if s.name == "age_band" else s,
    ).reset_index(drop=True)
    out["population"] = out["population"].astype("int64")
    out["comparator_population"] = out["comparator_population"].astype("int64")
    out.attrs.update(place=place.name, comparator=cname, period=use)
    return out[
        [
            "age_band",
            "sex",
            "population",
            "percent",
            "comparator_population",
            "comparator_percent",
        ]
    ]


def population_pyramid(
    results: PlaceResults, *, comparator: str | None = None
) -> Chart:
    """Age–sex population pyramid of the place (bars, % of its population) against its
    comparator (outline), as Fingertips' population view.

    Parameters
    ----------
    results : PlaceResults
    comparator : str, optional
        A comparator built from small areas (default the first such, e.g. the ICB).

    Returns
    -------
    Chart
    """
    d = pyramid_table(results, comparator=comparator)
    bands = sorted(d["age_band"].unique(), key=_band_key)
    y = np.arange(len(bands))
    fig = Figure(figsize=(7.2, 0.22 * len(bands) + 1.8))
    ax = fig.add_subplot()
    female_col, male_col = "#B8A98C", "#6E7F91"  # neutral: not benchmark colours
    for sex, sign, colour in (("male", -1, male_col), ("female", 1, female_col)):
        s = d[d["sex"] == sex].set_index("age_band").reindex(bands).fillna(0)
        ax.barh(
            y,
            sign * s["percent"],
            color=colour,
            height=0.85,
            label=f"{sex.title()}s, {d.attrs['place']}",
        )
        ax.step(
            sign * s["comparator_percent"].to_numpy(),
            y,
            where="mid",
            color="#000000",
            lw=1.1,
            label=f"{d.attrs['comparator']}" if sex == "male" else None,
        )
    ax.set_yticks(y, bands, fontsize=6)
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [f"{abs(t):g}%" for t in ticks], fontsize=7)
    ax.axvline(0, color="#333333", lw=0.6)
    ax.text(0.02, 1.01, "◀ Males", transform=ax.transAxes, fontsize=8)
    ax.text(0.98, 1.01, "Females ▶", transform=ax.transAxes, fontsize=8, ha="right")
    ax.set_xlabel("percentage of the total population")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        fontsize=7,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=3,
    )
    ax.set_title(
        f"Population of {d.attrs['place']} by age and sex, {d.attrs['period']}, against {d.attrs['comparator']}",
        fontsize=9,
        loc="left",
        pad=16,
    )
    fig.set_layout_engine(
        "tight"
    )  # laid out by Chart.png, with the renderer that draws
    total = int(d["population"].sum())
    old = d[d["age_band"].map(_band_key) >= 65]
    young = d[d["age_band"].map(_band_key) < 15]
    alt = (
        f"Population pyramid of {d.attrs['place']} ({total:,} people) by five-year age band and sex, "
        f"{d.attrs['period']}, against {d.attrs['comparator']}. Aged 65 and over: "
        f"{old['percent'].sum():.1f}% (comparator {old['comparator_percent'].sum():.1f}%); under 15: "
        f"{young['percent'].sum():.1f}% (comparator {young['comparator_percent'].sum():.1f}%)."
    )
    caption = (
        f"Population of {d.attrs['place']} by age band and sex ({total:,} people, ONS-style "
        f"estimates for {d.attrs['period']}); bars show each band as a percentage of the place's "
        f"population, the black outline the same for {d.attrs['comparator']}."
    )
    return Chart(fig, alt, caption, d)


# ---------------------------------------------------------------------------- scatter


def scatter_chart(
    results: PlaceResults,
    x_indicator: str = "",
    y_indicator: str = "",
    *,
    sex: str | None = None,
) -> Chart | HTMLFragment:
    """Two indicators across the place's small areas, with Pearson's correlation coefficient.

    Each point is a small area with both values (suppressed values left out), coloured by its
    national deprivation quintile. The caption gives Pearson's *r* and the number of areas and
    says that correlation is not causation (Fingertips' "compare indicators").

    Parameters
    ----------
    results : PlaceResults
    x_indicator, y_indicator : str
    sex : str, optional

    Returns
    -------
    Chart
    """
    # indicators without values by neighbourhood are replaced by ones that have them
    has = [
        k
        for k in results.indicators
        if not results.for_indicator(k, "small_area")["value"].dropna().empty
    ]
    pair = [i for i in (x_indicator, y_indicator) if i in has]
    pair += [k for k in has if k not in pair]
    if len(pair) < 2:
        return HTMLFragment(
            '<p class="hiw-missing">Two indicators with values by neighbourhood are needed to '
            "compare them across neighbourhoods; counts by LSOA for at least two indicators "
            "(under <code>[files] counts</code> in workbook.toml) would fill this section.</p>"
        )
    x_indicator, y_indicator = pair[0], pair[1]
    from scipy import stats as sps

    t = results.table
    frames = []
    for i in (x_indicator, y_indicator):
        r = results.for_indicator(i, "small_area")
        sexes = sorted(r["sex"].unique())
        s = (
            sex
            if sex in sexes
            else (
                "persons" if "persons" in sexes else (sexes[0] if sexes else "persons")
            )
        )
        r = r[(r["sex"] == s) & ~r["is_suppressed"].astype(bool)]
        frames.append(r.set_index("area_code")["value"].rename(i))
    del t
    d = pd.concat(frames, axis=1, join="inner").dropna()
    names = results.place.areas.set_index(results.place.workspace.area_col)
    d = d.assign(
        area_name=names["area_name"].reindex(d.index).to_numpy(),
        imd_quintile=names["imd_quintile"].reindex(d.index).to_numpy(),
    )
    d.index.name = "area_code"
    d = d.reset_index()
    xi, yi = results.indicators[x_indicator], results.indicators[y_indicator]
    n = len(d)
    r = float(d[x_indicator].corr(d[y_indicator])) if n >= 3 else np.nan
    p = float(sps.pearsonr(d[x_indicator], d[y_indicator]).pvalue) if n >= 3 else np.nan
    fig = Figure(figsize=(6.4, 4.8))
    ax = fig.add_subplot()
    for q in range(1, 6):
        s = d[d["imd_quintile"] == q]
        if len(s):
            ax.scatter(
                s[x_indicator],
                s[y_indicator],
                s=18,
                color=bm.QUINTILE_COLOURS[q - 1],
                edgecolor="#333333",
                lw=0.4,
                label=QUINTILE_LABELS[q],
            )
    if n >= 3 and d[x_indicator].std() > 0:
        b1, b0 = np.polyfit(d[x_indicator], d[y_indicator], 1)
        xs = np.linspace(d[x_indicator].min(), d[x_indicator].max(), 2)
        ax.plot(
            xs, b0 + b1 * xs, color="#000000", lw=1, ls="--", label="least-squares line"
        )
    ax.set_xlabel(f"{xi.name} ({_unit_label(xi.unit)})", fontsize=8)
    ax.set_ylabel(f"{yi.name} ({_unit_label(yi.unit)})", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        fontsize=7,
        frameon=False,
        title="IMD quintile of the area",
        title_fontsize=7,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    rtxt = (
        f"Pearson's r = {r:.2f} across {n} small areas"
        if n >= 3
        else f"only {n} areas: no correlation computed"
    )
    ax.set_title(
        f"{yi.name} against {xi.name}, {results.place.name}, {results.period}\n{rtxt}",
        fontsize=8,
        loc="left",
    )
    fig.set_layout_engine(
        "tight"
    )  # laid out by Chart.png, with the renderer that draws
    strength = (
        ""
        if np.isnan(r)
        else ("strong" if abs(r) >= 0.7 else "moderate" if abs(r) >= 0.4 else "weak")
    )
    direction = "" if np.isnan(r) else ("positive" if r > 0 else "negative")
    alt = (
        f"Scatter plot of {yi.name} against {xi.name} for {n} small areas of {results.place.name}; "
        + (
            f"{strength} {direction} correlation, Pearson's r = {r:.2f} (p = {p:.3g})."
            if n >= 3
            else "too few areas for a correlation."
        )
    )
    caption = (
        f"{yi.name} against {xi.name} by small area, {results.place.name}, {results.period}. "
        f"{rtxt}. Correlation is not causation: areas with higher values of one may differ in "
        "many other ways (age, deprivation, recording), and an area-level association need not "
        "hold for the people in them. Suppressed values are left out."
    )
    out = Chart(fig, alt, caption, d)
    out.data.attrs.update(pearson_r=r, p_value=p, n=n)
    return out
