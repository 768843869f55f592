"""Fingertips' views of a result table: spine chart, compare areas, inequalities, pyramid, scatter.

Each function takes a :class:`~hiworkbook.results.PlaceResults` (the one result table) and returns a
:class:`~hiworkbook.charts.Chart` — drawn as SVG (:mod:`hiworkbook.svgchart`), with a caption, a text alternative and the
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
from collections.abc import Sequence

import numpy as np
import pandas as pd

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
    # each small area's place, by number (place numbers index ``peer``; -1: not a peer's)
    keep = keep.drop_duplicates(ws.area_col)
    area_at = pd.Index(keep[ws.area_col])
    place_of, peer = pd.factorize(keep[code_col])
    peer = np.asarray(peer, dtype=object)
    peer_name = names.reindex(peer).to_numpy(dtype=object)
    frames = []
    for ind_id, ind in results.indicators.items():
        c = R.counts_filled(ws, results.period, ind)
        if c.empty:
            continue
        if "ethnic_group" in c:
            c = c[(c["ethnic_group"] == "all").to_numpy(dtype=bool, na_value=False)]
        at = area_at.get_indexer(c[ws.area_col])
        p = np.where(at >= 0, place_of[at], -1)
        mine = p >= 0
        if not mine.any():
            continue
        data = c[mine].reset_index(drop=True)
        p = p[mine]
        if ind.measure == "isratio":  # text keys, as the ratio's reference reads them
            keys = {
                "category": peer[p],
                "area_code": peer[p],
                "area_name": peer_name[p],
            }
        else:  # categorical keys (sorted: the same groups in the same order), text after
            keys = {
                "category": R._key_categorical([(peer, p)]),
                "area_code": R._key_categorical([(peer, p)]),
                "area_name": R._key_categorical([(peer_name, p)]),
            }
        data = data.assign(breakdown="peer", **keys)
        ref = None
        if ind.measure == "isratio":
            ref = R._reference_counts([data], None)
        res = R._keys_as_text(R._calculate(data, ind, results.confidence, ref))
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
    :func:`hiworkbook.published.spine_table` for published values), as SVG marks
    (:class:`hiworkbook.svgchart.Drawing`, 900 pixels wide).

    One row per indicator: its name (wrapped when long) and benchmark symbol on the left; the
    grey bands (worst to 25th percentile, 25th to 75th, 75th to best), the median tick, the
    comparator's dashed tick and the place's marker on the spine; the place's value, the
    comparator's and the peers' worst and best in columns on the right. The label column, the
    spine and the columns are placed by the measured widths of their words. Marks carry roles
    for readers of the drawing: "band", "median", "comparator", "place" (datum
    ``indicator_id``, ``sex``, ``value``, ``benchmark``, ``position``), "symbol",
    "row-label", "cell", "header", "no-peers".

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
        Drawn as SVG (``chart.drawing``); ``chart.figure`` and ``chart.png()`` draw the same
        marks with matplotlib.
    """
    from hiworkbook import svgchart as sc

    # row labels and symbols; value columns, headers and axis words
    size, small = 11.0, 10.0
    g = sc.Drawing(900)
    top = (
        sc.title(
            g,
            [f"{place_name}, {period}: area profile against the {peer_words}"],
            width=g.width - 20,
        )
        + 8
    )
    rows = [r for _, r in d.iterrows()]
    labels = [
        str(r["indicator_name"])
        + _sex_suffix(str(r["sex"]), r["indicator_id"] in single_sex)
        for r in rows
    ]
    symbols = [bm.category(r["benchmark"]).symbol for r in rows]
    cells = [
        [
            "suppressed" if pd.isna(r["value"]) else f"{r['value']:,.1f}",
            _num(r["comparator_value"]),
            _num(r["worst"]),
            _num(r["best"]),
        ]
        for r in rows
    ]
    columns = ("value", "comparator_value", "worst", "best")
    heads = [
        ["Value"],
        sc.wrap(comparator_name.replace(" (", "\n("), 130, small, bold=True),
        ["Worst"],
        ["Best"],
    ]
    # value columns on the right, each as wide as its widest header line or cell
    col_gap = 16.0
    col_w = [
        max(
            [sc.text_width(t, small, bold=True) for t in head]
            + [sc.text_width(row[j], small) for row in cells]
        )
        for j, head in enumerate(heads)
    ]
    cols_w = sum(col_w) + col_gap * len(col_w)
    # the spine gets at least min_spine pixels; the label column what it needs up to the rest
    sym_w = max([sc.text_width(s, size) for s in symbols], default=0.0)
    min_spine, margin = 300.0, 10.0
    room = g.width - 2 * margin - cols_w - min_spine - (sym_w + 16)
    label_w = min(max([sc.text_width(t, size) for t in labels], default=0.0), room)
    label_lines = [sc.wrap(t, label_w, size) for t in labels]
    label_w = max(
        [sc.text_width(t, size) for lines in label_lines for t in lines], default=0.0
    )
    spine_left = margin + label_w + 8 + sym_w + 8
    spine_w = g.width - margin - cols_w - spine_left
    line_h, band_h = size * 1.2, 16.0
    heights = [max(30.0, line_h * len(lines) + 12) for lines in label_lines] or [30.0]
    head_h = max(len(h) for h in heads) * small * 1.2
    rows_top = top + head_h + 4
    rows_h = sum(heights)
    # y in pixels down from the first row's top; x: worst (0) to best (1) with a margin
    ax = sc.Axes(g, spine_left, rows_top, spine_w, rows_h, (-0.06, 1.06), (rows_h, 0))
    col_x = [ax.right + col_gap + sum(col_w[:j]) + col_gap * j for j in range(4)]
    for j, head in enumerate(heads):
        for k, t in enumerate(head):
            g.text(
                col_x[j],
                rows_top - 4 - (len(head) - 1 - k) * small * 1.2,
                t,
                size=small,
                bold=True,
                baseline="baseline",
                role="header",
            )
    yc = 0.0
    for r, lines, sym, row_cells, h in zip(
        rows, label_lines, symbols, cells, heights, strict=False
    ):
        yc += h / 2
        py = rows_top + yc
        key = {"indicator_id": r["indicator_id"], "sex": r["sex"]}
        if r["peers"] and pd.notna(r["worst"]):
            span = r["best"] - r["worst"]

            def pos(v: float, r=r, span=span) -> float:
                return (v - r["worst"]) / span if span else 0.5

            edges = (0.0, pos(r["q25"]), pos(r["q75"]), 1.0)
            ends = (r["worst"], r["q25"], r["q75"], r["best"])
            names = ("worst to 25th", "25th to 75th", "75th to best")
            for b, colour in enumerate(_SPINE_BANDS):
                ax.barh(
                    yc,
                    edges[b + 1],
                    band_h,
                    base=edges[b],
                    fill=colour,
                    role="band",
                    datum=key | {"band": names[b], "from": ends[b], "to": ends[b + 1]},
                )
            mx = float(ax.x(pos(r["median"])))
            g.line(
                [(mx, py - band_h / 2 - 1), (mx, py + band_h / 2 + 1)],
                stroke="#555555",
                width=1.0,
                role="median",
                datum=key | {"value": r["median"]},
            )
            cp = r["comparator_position"]
            if pd.notna(cp):
                cx = float(ax.x(np.clip(cp, -0.05, 1.05)))
                g.line(
                    [(cx, py - band_h / 2 - 5), (cx, py + band_h / 2 + 5)],
                    stroke=_COMP,
                    width=1.4,
                    dash="dash",
                    role="comparator",
                    datum=key | {"value": r["comparator_value"], "position": cp},
                )
            if pd.notna(r["position"]):
                c = bm.category(r["benchmark"])
                big = "99.8" in r["benchmark"]
                g.marker(
                    c.marker,
                    float(ax.x(np.clip(r["position"], -0.05, 1.05))),
                    py,
                    12 if big else 10,
                    fill=c.colour,
                    stroke="#000000",
                    width=1.6 if big else 0.8,
                    role="place",
                    datum=key
                    | {
                        "value": r["value"],
                        "benchmark": r["benchmark"],
                        "position": r["position"],
                    },
                )
        else:
            g.text(
                float(ax.x(0.5)),
                py,
                "no peer values",
                size=small,
                anchor="middle",
                colour="#555555",
                role="no-peers",
                datum=key,
            )
        g.text(
            spine_left - 8,
            py,
            sym,
            size=size,
            anchor="end",
            role="symbol",
            datum=key | {"benchmark": r["benchmark"]},
        )
        for k, t in enumerate(lines):
            g.text(
                margin + label_w,
                py + (k - (len(lines) - 1) / 2) * line_h,
                t,
                size=size,
                anchor="end",
                role="row-label",
                datum=key,
            )
        for x, t, col in zip(col_x, row_cells, columns, strict=True):
            g.text(x, py, t, size=small, role="cell", datum=key | {"column": col})
        yc += h / 2
    ax.spines(left=False)
    g.line(
        [(float(ax.x(0.5)), ax.bottom), (float(ax.x(0.5)), ax.bottom + 4)],
        stroke="#333333",
        width=0.8,
        role="tick",
    )
    y = ax.xticks([0, 1], ["worst\n(lowest)", "best\n(highest)"], size=small)
    keys = [k for k in bm.CATEGORIES if k in set(d["benchmark"])]
    items = bm.legend_items(keys) + [
        ("line", {"stroke": _COMP, "dash": "dash", "width": 1.4}, comparator_name),
        ("rect", {"fill": _SPINE_BANDS[0]}, "worst to 25th percentile"),
        ("rect", {"fill": _SPINE_BANDS[1]}, "25th to 75th"),
        ("rect", {"fill": _SPINE_BANDS[2]}, "75th percentile to best"),
    ]
    g.height = sc.legend(g, items, top=y + 10) + 8
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
    return Chart(g, alt, caption, d)


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
    the CSV keeps every area. Drawn as SVG marks (:class:`hiworkbook.svgchart.Drawing`, 720
    pixels wide): "bar" (datum ``area_code``, ``area_name``, ``value``, ``lower_ci``,
    ``upper_ci``, ``benchmark``), "ci", "symbol", "comparator", "gap" and "gap-label" (the
    areas left out of the middle).

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
        Drawn as SVG (``chart.drawing``); ``chart.figure`` and ``chart.png()`` draw the same
        marks with matplotlib.
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
    from hiworkbook import svgchart as sc

    n = max(len(drawn), 1)
    what = "small areas" if breakdown == "small_area" else "areas"
    y = np.arange(len(drawn))[::-1]  # the first area at the top
    v = drawn["value"].to_numpy(dtype=float)
    lo = drawn["lower_ci"].to_numpy(dtype=float)
    hi = drawn["upper_ci"].to_numpy(dtype=float)
    names = [
        f"{a} {c}" if breakdown == "small_area" and a != c else str(a)
        for a, c in zip(drawn["area_name"], drawn["area_code"], strict=True)
    ]
    rv = ref.value_for(rows).dropna()
    comp_value = float(rv.iloc[0]) if len(rv) else np.nan
    size, row_h = (10.0, 16.0) if n > 20 else (11.0, 24.0)
    g = sc.Drawing(720)
    top = (
        sc.title(
            g,
            [
                f"{ind.name}{_sex_suffix(sex, len(ind.sexes) == 1)}, {results.period}: {what} of {results.place.name}"
                if breakdown == "small_area"
                else f"{ind.name}, {results.period}: {results.place.name} and its comparators"
            ],
            width=g.width - 20,
        )
        + 6
    )
    left = 10 + max((sc.text_width(t, size) for t in names), default=0.0) + 8
    sym_w = max(
        (sc.text_width(bm.category(c).symbol, size) for c in drawn["benchmark"]),
        default=0.0,
    )
    xlim, ticks = sc.axis_range([*v, *lo, *hi, comp_value], zero=True)
    ax = sc.Axes(
        g,
        left,
        top,
        g.width - left - sym_w - 24,
        row_h * (n + 0.6),
        xlim,
        (-0.8, n - 0.2),
    )
    below = ax.xticks(ticks, sc.tick_labels(ticks), grid=True)
    for yi, code, name, val, a, b, c in zip(
        y,
        drawn["area_code"],
        drawn["area_name"],
        v,
        lo,
        hi,
        drawn["benchmark"],
        strict=True,
    ):
        k = bm.category(c)
        ax.barh(
            yi,
            val,
            0.75,
            fill=k.colour,
            stroke="#333333",
            datum={
                "area_code": code,
                "area_name": name,
                "value": val,
                "lower_ci": a,
                "upper_ci": b,
                "benchmark": c,
            },
        )
        ax.errorbar(yi, a, b, horizontal=True, cap=2.5, width=0.8)
        g.text(
            ax.right + 8,
            float(ax.y(yi)),
            k.symbol,
            size=size,
            role="symbol",
            datum={"area_code": code, "benchmark": c},
        )
    ax.yticks(y, names, size=size, tick=0)
    if note:
        gap = n - 1 - (max_areas // 2) + 0.5
        ax.hline(
            gap,
            stroke="#000000",
            width=0.8,
            dash="dot",
            role="gap",
            datum={"not_drawn": len(shown) - len(drawn)},
        )
        g.text(
            ax.right - 4,
            float(ax.y(gap)) - 3,
            f"{len(shown) - len(drawn)} areas not drawn",
            size=9,
            anchor="end",
            baseline="baseline",
            role="gap-label",
        )
    ax.vline(comp_value, stroke=_COMP, width=1.2, dash="dash", role="comparator")
    ax.spines()
    below = ax.xlabel(_unit_label(ind.unit), below)
    if left_txt:
        mid = ax.left + ax.width / 2
        for line in sc.wrap(left_txt.strip(), 2 * min(mid, g.width - mid) - 20, 10.0):
            g.text(
                mid,
                below,
                line,
                size=10,
                anchor="middle",
                baseline="top",
                role="xlabel",
            )
            below += 12.5
    keys = [
        k for k in bm.legend_keys(ind.polarity, level) if k in set(rows["benchmark"])
    ]
    items = bm.legend_items(keys)
    if np.isfinite(comp_value):
        items.append(
            ("line", {"stroke": _COMP, "dash": "dash", "width": 1.2}, ref.name)
        )
    g.height = sc.legend(g, items, top=below + 8) + 8
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
    return Chart(g, alt, caption, data.reset_index(drop=True))


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
    """An indicator by an inequality breakdown, drawn as SVG: bars with 95% CIs in the benchmark
    grammar (colour, and the class's symbol above each bar), the comparator's value as a dashed
    line and, for deprivation quintiles, the fitted SII line.

    For deprivation quintiles each bar stands at its population's midpoint rank (0 most
    deprived, 1 least) with its population share as width — the x-axis of the SII regression
    (:func:`sii_line`), so the fitted line is straight and drawn from rank 0 to rank 1. A
    category without a value shows its symbol and "suppressed" or "no data" instead of a bar.

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
        Drawn as SVG marks (``chart.drawing``): roles "bar" (datum: category, value, CI,
        benchmark), "ci", "symbol", "missing", "comparator" and "sii" (datum: intercept,
        slope, SII and its CI). ``data`` has the numbers drawn, with ``sii_line`` (the fitted
        value at each bar) when the line is drawn.
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
    rank = False  # x is the cumulative population rank, 0 to 1
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
            rank = True
    from hiworkbook import svgchart as sc

    ok = ~np.isnan(v)
    rv = ref.value_for(cmp_rows).dropna()
    comp_value = float(rv.iloc[0]) if len(rv) else np.nan
    sii_txt = ""
    line = None
    fit: dict = {}  # the SII line's numbers, when it is drawn
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
            fit = {
                "intercept": b0,
                "slope": b1,
                "sii": sv,
                "lower_ci": slo,
                "upper_ci": shi,
            }
            from hiworkbook.sii_reading import sii_statement

            sii_txt = sii_statement(sv, slo, shi, ind.unit)
    what = _BREAKDOWN_WORDS.get(breakdown, breakdown)
    d = sc.Drawing(720)
    head = (
        f"{ind.name}{_sex_suffix(sex or 'persons', len(ind.sexes) == 1)} by {what}, "
        f"{results.place.name}, {results.period}"
    )
    # the title, then a row for the symbols above the bars
    top = (
        sc.title(
            d,
            [head, sii_txt],
        )
        + 22
    )
    # the SII line runs from rank 0 to rank 1: its ends are inside the y range
    ends = [fit["intercept"], fit["intercept"] + fit["slope"]] if fit else []
    ylim, yt = sc.axis_range([*v[ok], *lo[ok], *hi[ok], comp_value, *ends], zero=True)
    ylabels = sc.tick_labels(yt)
    left = 10 + 11 * 1.25 + 8 + max(sc.text_width(t, 10) for t in ylabels) + 7
    xlim = (0.0, 1.0) if rank else (-0.5, len(rows) - 0.5)
    ax = sc.Axes(d, left, top, d.width - left - 24, 250, xlim, ylim)
    ax.yticks(yt, ylabels)
    base = float(ax.y(0.0))
    centres = [float(ax.x(xi)) for xi in x]
    missing = []
    for i, (cat, xi, wi, val, a, b, c, s) in enumerate(
        zip(rows["category"], x, width, v, lo, hi, cats, supp, strict=True)
    ):
        k = bm.category(c)
        if np.isnan(val):  # no bar: words instead, drawn over the bars and lines
            missing.append((i, cat, c, s))
            continue
        ax.bar(
            xi,
            val,
            wi,
            fill=k.colour,
            stroke="#333333",
            datum={
                "category": cat,
                "value": val,
                "lower_ci": a,
                "upper_ci": b,
                "benchmark": c,
            },
        )
        first = len(d.marks)
        half = (float(ax.x(xi + wi / 2)) - float(ax.x(xi - wi / 2))) / 2
        ax.errorbar(xi, a, b, cap=min(4.0, max(2.0, half - 1)))
        for m in d.marks[first:]:
            if m.role == "ci":
                m.datum["category"] = cat
        d.text(
            centres[i],
            ax.top - 9,
            k.symbol,
            size=10,
            anchor="middle",
            role="symbol",
            datum={"category": cat, "benchmark": c},
        )
    ax.hline(
        comp_value,
        stroke=_COMP,
        dash="dash",
        role="comparator",
        datum={"comparator": ref.name, "value": comp_value},
    )
    if fit:  # the fitted line across the ranks, in the bars' data-to-pixel mapping
        d.line(
            [
                (float(ax.x(0.0)), float(ax.y(ends[0]))),
                (float(ax.x(1.0)), float(ax.y(ends[1]))),
            ],
            stroke="#000000",
            width=1.5,
            role="sii",
            datum=fit,
        )
    # the symbol and the reason where a bar is missing, turned if the gap is narrow
    for i, cat, c, s in missing:
        k = bm.category(c)
        words = f"{k.symbol} {'suppressed' if s else 'no data'}"
        room = min(
            [abs(centres[i] - q) for j, q in enumerate(centres) if j != i] + [ax.width]
        )
        long = sc.text_width(words, 10)
        turn = long > room - 6
        if turn:  # on a white strip: the bars beside may be closer than the text
            d.rect(
                centres[i] - 7,
                base - long - 8,
                14,
                long + 7,
                fill="#ffffff",
                role="halo",
            )
        d.text(
            centres[i],
            base - 4,
            words,
            size=10,
            anchor="start" if turn else "middle",
            baseline="middle" if turn else "baseline",
            rotate=90 if turn else 0,
            colour=_COMP,
            role="missing",
            datum={"category": cat, "benchmark": c},
        )
    ax.spines()
    labels = [
        str(c).replace(" (", "\n(")
        if breakdown == "imd_quintile"
        else short_group(str(c))
        for c in rows["category"]
    ]
    y = ax.xticks(x, labels, stagger=True)
    if rank:
        y = ax.xlabel(
            "population ranked from most deprived (0) to least deprived (1); bar width = population share",
            y + 2,
            size=10,
        )
    ax.ylabel(_unit_label(ind.unit), 10)
    keys = [k for k in bm.legend_keys(ind.polarity, level) if k in set(cats)]
    items = bm.legend_items(keys)
    if np.isfinite(comp_value):
        items.append(
            ("line", {"stroke": _COMP, "dash": "dash", "width": 1.2}, ref.name)
        )
    if fit:
        items.append(("line", {"stroke": "#000000", "width": 1.5}, "SII fitted line"))
    d.height = sc.legend(d, items, top=y + 8) + 8
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
    return Chart(d, alt, caption, data)


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


def _floats(col: pd.Series) -> pd.Series:
    """A column as plain floats, missing values (``pd.NA`` or NaN) as NaN."""
    return pd.Series(
        pd.to_numeric(col, errors="coerce").to_numpy(dtype=float, na_value=np.nan),
        index=col.index,
    )


def population_pyramid(
    results: PlaceResults, *, comparator: str | None = None
) -> Chart | HTMLFragment:
    """Age–sex population pyramid of the place (bars, % of its population) against its
    comparator (outline), as Fingertips' population view, drawn as SVG.

    Males are drawn to the left and females to the right of a centre line on one scale; the
    comparator's percentages are a step outline (each band's edge, joined at the band
    boundaries).

    Parameters
    ----------
    results : PlaceResults
    comparator : str, optional
        A comparator built from small areas (default the first such, e.g. the ICB).

    Returns
    -------
    Chart or HTMLFragment
        Drawn as SVG marks (``chart.drawing``): roles "bar" (datum: age band, sex, value as
        the percentage, population) and "comparator" (one outline per sex); ``data`` is
        :func:`pyramid_table`. A sentence saying what would draw it when the population has
        no age bands by sex.
    """
    d = pyramid_table(results, comparator=comparator)
    from hiworkbook import svgchart as sc

    bands = sorted(d["age_band"].unique(), key=_band_key)
    if not bands:  # e.g. a population file of totals only
        from html import escape

        return HTMLFragment(
            f'<p class="hiw-missing">No pyramid for {escape(str(results.place.name))}: the '
            "population data have no five-year age bands by sex. Add a population file by "
            "sex and age band (the ONS mid-year estimates) to draw one.</p>"
        )
    y = np.arange(len(bands))  # the youngest band at the bottom
    female_col, male_col = "#B8A98C", "#6E7F91"  # neutral: not benchmark colours
    sides = {}
    for sex in ("male", "female"):
        s = d[d["sex"] == sex].set_index("age_band").reindex(bands)
        s["percent"] = _floats(s["percent"]).fillna(0.0)
        s["population"] = _floats(s["population"]).fillna(0.0)
        # a comparator without population (none in the data) has no outline
        s["comparator_percent"] = _floats(s["comparator_percent"])
        sides[sex] = s
    drawn = np.concatenate(
        [
            s[c].to_numpy()
            for s in sides.values()
            for c in ("percent", "comparator_percent")
        ]
    )
    drawn = drawn[np.isfinite(drawn)]
    widest = float(drawn.max()) if drawn.size else 0.0
    has_comparator = any(
        np.isfinite(s["comparator_percent"].to_numpy()).any() for s in sides.values()
    )
    xlim, ticks = sc.axis_range([-widest, widest])  # the same scale both sides of zero
    dr = sc.Drawing(720)
    top = sc.title(
        dr,
        [
            f"Population of {d.attrs['place']} by age and sex, {d.attrs['period']}, "
            f"against {d.attrs['comparator']}"
        ],
    )
    left = 10 + max(sc.text_width(str(b), 10) for b in bands) + 10
    ax = sc.Axes(
        dr,
        left,
        top + 24,
        dr.width - left - 30,
        18 * len(bands),
        xlim,
        (-0.5, len(bands) - 0.5),
    )
    ax.xticks(ticks, sc.tick_labels(ticks, suffix="%", absolute=True))
    for sex, sign, colour in (("male", -1, male_col), ("female", 1, female_col)):
        s = sides[sex]
        for yy, band in zip(y, bands, strict=True):
            ax.barh(
                yy,
                sign * float(s.at[band, "percent"]),
                0.85,
                fill=colour,
                datum={
                    "age_band": band,
                    "sex": sex,
                    "value": float(s.at[band, "percent"]),
                    "population": int(s.at[band, "population"]),
                },
            )
        # the comparator's outline: each band's edge, joined at the band boundaries
        cp = sign * s["comparator_percent"].to_numpy(dtype=float)
        first = len(dr.marks)
        ax.plot(
            np.repeat(cp, 2),
            np.ravel(np.column_stack([y - 0.5, y + 0.5])),
            stroke="#000000",
            width=1.1,
            role="comparator",
        )
        for m in dr.marks[first:]:
            m.datum = {
                "comparator": d.attrs["comparator"],
                "sex": sex,
                "percent": s["comparator_percent"].tolist(),
            }
    ax.vline(0.0, stroke="#333333", width=0.6, role="centre")
    ax.yticks(y, bands, size=10)
    dr.text(ax.left + 4, ax.top - 6, "◀ Males", baseline="baseline", role="label")
    dr.text(
        ax.right,
        ax.top - 6,
        "Females ▶",
        anchor="end",
        baseline="baseline",
        role="label",
    )
    ax.spines()
    yb = ax.xlabel("percentage of the total population", ax.bottom + 22)
    place = d.attrs["place"]
    items = [
        ("rect", {"fill": male_col}, f"Males, {place}"),
        ("rect", {"fill": female_col}, f"Females, {place}"),
    ]
    if has_comparator:
        items.append(
            ("line", {"stroke": "#000000", "width": 1.1}, d.attrs["comparator"])
        )
    dr.height = sc.legend(dr, items, top=yb + 6) + 8
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
    return Chart(dr, alt, caption, d)


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
    says that correlation is not causation (Fingertips' "compare indicators"). Drawn as SVG,
    with the least-squares line when there are three or more areas and the x values vary.

    Parameters
    ----------
    results : PlaceResults
    x_indicator, y_indicator : str
    sex : str, optional

    Returns
    -------
    Chart or HTMLFragment
        Drawn as SVG marks (``chart.drawing``): role "point" (datum: area code and name, IMD
        quintile, ``x`` and ``y`` and the two values by indicator id) and "trend" (the
        least-squares line). A note instead when fewer than two indicators have values by
        small area.
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
    from hiworkbook import svgchart as sc

    rtxt = (
        f"Pearson's r = {r:.2f} across {n} small areas"
        if n >= 3
        else f"only {n} areas: no correlation computed"
    )
    fit = n >= 3 and d[x_indicator].std() > 0
    dr = sc.Drawing(720)
    top = sc.title(
        dr,
        [f"{yi.name} against {xi.name}, {results.place.name}, {results.period}", rtxt],
    )
    # the legend beside the plot, on the right, as a column
    leg_title = "IMD quintile of the area"
    dot = {"stroke": "#333333", "width": 0.5, "size": 7}
    items = [
        ("o", {**dot, "fill": bm.QUINTILE_COLOURS[q - 1]}, QUINTILE_LABELS[q])
        for q in range(1, 6)
        if (d["imd_quintile"] == q).any()
    ]
    if fit:
        trend = {"stroke": "#000000", "width": 1, "dash": "dash"}
        items.append(("line", trend, "least-squares line"))
    leg_w = max(
        [16 + 5 + sc.text_width(lab, 10) for _, _, lab in items]
        + [sc.text_width(leg_title, 10)]
    )
    leg_left = dr.width - 10 - leg_w
    xlim, xt = sc.axis_range(d[x_indicator])
    ylim, yt = sc.axis_range(d[y_indicator])
    ylabels = sc.tick_labels(yt)
    height = 300
    ytitle = sc.wrap(f"{yi.name} ({_unit_label(yi.unit)})", height, 11)
    tick_w = max(sc.text_width(t, 10) for t in ylabels)
    left = 10 + len(ytitle) * 11 * 1.25 + 6 + tick_w + 7
    ax = sc.Axes(dr, left, top + 10, leg_left - 24 - left, height, xlim, ylim)
    ax.yticks(yt, ylabels)
    yb = ax.xticks(xt, sc.tick_labels(xt))
    for q in range(1, 6):
        s = d[d["imd_quintile"] == q]
        for code, name, xv, yv in zip(
            s["area_code"], s["area_name"], s[x_indicator], s[y_indicator], strict=True
        ):
            ax.point(
                xv,
                yv,
                size=7,
                fill=bm.QUINTILE_COLOURS[q - 1],
                stroke="#333333",
                width=0.5,
                datum={
                    "area_code": code,
                    "area_name": name,
                    "imd_quintile": q,
                    "x": float(xv),
                    "y": float(yv),
                    x_indicator: float(xv),
                    y_indicator: float(yv),
                },
            )
    if fit:
        b1, b0 = np.polyfit(d[x_indicator], d[y_indicator], 1)
        xs = np.linspace(d[x_indicator].min(), d[x_indicator].max(), 2)
        first = len(dr.marks)
        ax.plot(xs, b0 + b1 * xs, stroke="#000000", width=1, dash="dash", role="trend")
        for m in dr.marks[first:]:
            m.datum = {"intercept": float(b0), "slope": float(b1)}
    ax.spines()
    for k, part in enumerate(ytitle):
        ax.ylabel(part, 10 + k * 11 * 1.25)
    for part in sc.wrap(f"{xi.name} ({_unit_label(xi.unit)})", ax.width, 11):
        yb = ax.xlabel(part, yb)
    dr.text(
        leg_left, ax.top + 2, leg_title, size=10, baseline="top", role="legend-title"
    )
    yl = ax.top + 16
    for item in items:  # one entry a row
        yl = sc.legend(dr, [item], top=yl, left=leg_left, width=leg_w, centre=False)
    dr.height = max(yb, yl) + 8
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
    out = Chart(dr, alt, caption, d)
    out.data.attrs.update(pearson_r=r, p_value=p, n=n)
    return out
