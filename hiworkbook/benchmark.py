"""The one benchmark grammar every view speaks: categories, palette, symbols, legend, comparator.

Fingertips colours every value by its comparison with a benchmark (OHID, *Fingertips* "Compared
with benchmark"; PHE *Technical Guide: Assessing the significance of differences*, 2018):

- **better / similar / worse** where the indicator has a polarity, at 95% or at 99.8% confidence
  (a value is significantly better when its whole confidence interval lies on the good side of
  the comparator's value — :func:`hiworkbook.stats.compare`);
- **lower / similar / higher** where it has none;
- **quintiles** (fifths of the areas' values) as an alternative classing;
- **not compared** (no interval, or no comparator value) and **suppressed** (disclosure control),
  always shown apart from each other and from every value class.

This module owns the categories (:data:`CATEGORIES`), their one colour-blind-safe palette with a
symbol and a word beside every colour, the HTML legend every view uses (:func:`legend_html`), the
matplotlib legend handles (:func:`legend_handles`), and the *comparator*: one argument (England, the
region, the ICB, the place itself for its small areas, or a user-chosen set of places) that every
view resolves the same way (:func:`reference`, :func:`classify`, :func:`with_peer_group`).

Why this palette
----------------
Fingertips' own colours (green better, amber similar, red worse) put the two judgements on the
red–green axis that about 1 in 12 men cannot separate (deuteranomaly/protanomaly), and its
similar/better colours differ little in lightness, so a greyscale print loses them. Here the
judgements sit on the **blue–orange** axis, which all three common colour-vision deficiencies
keep (Brettel, Viénot & Mollon 1997; Machado, Oliveira & Fernandes 2009), and the three main
classes are at least 18 L* apart in lightness (worse orange-brown ≈ 47, better mid blue ≈ 69,
similar pale amber ≈ 87), so they survive greyscale printing. The 99.8% classes are darker
shades of the same hues with the symbol doubled. Indicators with no polarity use a light-to-dark
purple ramp (lower light, higher dark), so "higher" is never read as "worse". Quintiles use five
steps of *cividis* (Nuñez, Anderton & Renslow 2018), a ramp designed to look the same to
people with and without red–green deficiency. :func:`palette_check` measures all of this: the
CIE76 colour difference ΔE*ab between every pair of categories that can appear together, under
normal vision and under simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009
matrices, severity 1), and their lightness difference. Colour is never the only signal:
each category has a symbol (▲ ▼ ● △ ▽ ○ ×) and a word.
"""

from __future__ import annotations

import functools
import html
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hiworkbook.validate import ProblemLog, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from hiworkbook.results import PlaceResults
    from hiworkbook.workspace import Place

__all__ = [
    "Category",
    "CATEGORIES",
    "QUINTILE_COLOURS",
    "LEVELS",
    "Reference",
    "category",
    "classify",
    "combine_levels",
    "quintile_classes",
    "reference",
    "legend_html",
    "legend_handles",
    "legend_items",
    "legend_keys",
    "palette_check",
    "simulate_cvd",
    "with_peer_group",
    "LEGEND_CSS",
]


@dataclass(frozen=True)
class Category:
    """One benchmark class: its key, words, fill colour, text colour and symbol.

    Attributes
    ----------
    key : str
        As the result table writes it (``"better"``, ``"worse 99.8%"``, ``"not compared"`` …).
    label : str
        The word(s) shown beside the colour.
    colour : str
        Fill colour (hex).
    text : str
        Text colour readable on ``colour`` (contrast ≥ 4.5:1).
    symbol : str
        Shown beside the colour so meaning never rests on colour alone.
    marker : str
        matplotlib marker for point views (spine chart, scatter).
    hatch : bool
        Drawn hatched (suppressed).
    """

    key: str
    label: str
    colour: str
    text: str
    symbol: str
    marker: str = "o"
    hatch: bool = False


_C = [
    # polarity: blue = better, orange = worse, pale amber = similar; 99.8% darker, symbol doubled
    Category("better 99.8%", "Better (99.8%)", "#1F4E8C", "#FFFFFF", "▲▲", "^"),
    Category("better", "Better (95%)", "#74AEE0", "#000000", "▲", "^"),
    Category("similar", "Similar", "#F3D98B", "#000000", "●", "o"),
    Category("worse", "Worse (95%)", "#B3550E", "#FFFFFF", "▼", "v"),
    Category("worse 99.8%", "Worse (99.8%)", "#6B2A05", "#FFFFFF", "▼▼", "v"),
    # no polarity: light → dark purple with the value
    Category("lower 99.8%", "Lower (99.8%)", "#CDB8F4", "#000000", "▽▽", "v"),
    Category("lower", "Lower (95%)", "#9479C8", "#000000", "▽", "v"),
    Category("higher", "Higher (95%)", "#5E409C", "#FFFFFF", "△", "^"),
    Category("higher 99.8%", "Higher (99.8%)", "#220845", "#FFFFFF", "△△", "^"),
    Category("not compared", "Not compared", "#FFFFFF", "#333333", "○", "o"),
    Category(
        "suppressed", "Suppressed (small numbers)", "#BDBDBD", "#000000", "×", "X", True
    ),
]
#: Every benchmark class by key.
CATEGORIES: dict[str, Category] = {c.key: c for c in _C}

#: cividis at 5 points: quintile 1 (lowest values) darkest.
QUINTILE_COLOURS: tuple[str, ...] = (
    "#00224E",
    "#414D6B",
    "#7C7B78",
    "#BCAF6F",
    "#FDE737",
)
_QUINTILE_WORDS = {
    "no_judgement": ("Lowest fifth", "Low", "Middle fifth", "High", "Highest fifth"),
    "low_is_good": (
        "Best fifth",
        "2nd best",
        "Middle fifth",
        "2nd worst",
        "Worst fifth",
    ),
    "high_is_good": (
        "Worst fifth",
        "2nd worst",
        "Middle fifth",
        "2nd best",
        "Best fifth",
    ),
}
for _i in range(5):
    _k = f"quintile {_i + 1}"
    CATEGORIES[_k] = Category(
        _k,
        f"Quintile {_i + 1}",
        QUINTILE_COLOURS[_i],
        "#FFFFFF" if _i < 2 else "#000000",
        str(_i + 1),
        "s",
    )

#: Confidence levels a view can compare at: the report's 95%, 99.8%, or both (five classes).
LEVELS = ("95", "99.8", "both")
_JUDGED = ("better", "similar", "worse")
_UNJUDGED = ("lower", "similar", "higher")

#: CSS for :func:`legend_html` (inlined once per fragment; small).
LEGEND_CSS = (
    ".hiw-bm-legend{list-style:none;margin:4px 0;padding:0;display:flex;flex-wrap:wrap;"
    "gap:4px 14px;font-size:12px;line-height:1.4}"
    ".hiw-bm-legend li{display:flex;align-items:center;gap:5px}"
    ".hiw-bm-sw{display:inline-block;min-width:26px;padding:0 3px;text-align:center;"
    "border:1px solid #666;font-size:11px;line-height:16px}"
)
_HATCH_CSS = "repeating-linear-gradient(45deg,#d0d0d0 0 3px,#8c8c8c 3px 4.5px)"


def category(key: str) -> Category:
    """The :class:`Category` for a key (``"not compared"`` for anything unknown or missing)."""
    if not isinstance(key, str):
        return CATEGORIES["not compared"]
    return CATEGORIES.get(key, CATEGORIES["not compared"])


def swatch_css(key: str) -> str:
    """CSS ``background`` of a category's swatch (hatched for suppressed)."""
    c = category(key)
    return _HATCH_CSS if c.hatch else c.colour


def cell_style(key: str) -> str:
    """Inline CSS for a table cell coloured as the category."""
    c = category(key)
    return f"background:{swatch_css(key)};color:{c.text}"


def cell_text(key: str) -> str:
    """Symbol and words of a category, HTML-escaped, for a table cell."""
    c = category(key)
    return f"{html.escape(c.symbol)} {html.escape(c.label)}"


# ---------------------------------------------------------------------------- classing


def combine_levels(comparison_95: Any, comparison_998: Any) -> str:
    """One of the five Fingertips classes from the 95% and 99.8% comparisons of one value.

    "worse 99.8%" when the 99.8% interval also excludes the comparator, "worse" when only the
    95% one does; likewise better/higher/lower; "similar" or "not compared" otherwise.
    """
    c95 = comparison_95 if isinstance(comparison_95, str) else "not compared"
    c998 = comparison_998 if isinstance(comparison_998, str) else "not compared"
    if c95 in ("better", "worse", "higher", "lower") and c998 == c95:
        return f"{c95} 99.8%"
    return c95


def classify(
    rows: pd.DataFrame,
    ref: Reference | None = None,
    *,
    level: str = "95",
) -> pd.Series:
    """The benchmark class of every row of the result table.

    With a ``ref`` (:func:`reference`), each row's interval is compared with the reference
    value of its indicator and sex (:func:`hiworkbook.stats.compare`, the row's polarity);
    without, the table's own ``comparison``/``comparison_998`` columns are used. Suppressed rows
    are ``"suppressed"`` whatever the comparison.

    Parameters
    ----------
    rows : pandas.DataFrame
        Rows of :attr:`PlaceResults.table` (``value``, ``lower_ci``, ``upper_ci``,
        ``lower_ci_998``, ``upper_ci_998``, ``polarity``, ``indicator_id``, ``sex``,
        ``is_suppressed``).
    ref : Reference, optional
    level : {"95", "99.8", "both"}
        Compare at the report's level (95%), at 99.8%, or give the five classes of both.

    Returns
    -------
    pandas.Series of str
        Keys of :data:`CATEGORIES`, indexed like ``rows``.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    from hiworkbook.stats import compare

    if rows.empty:
        return pd.Series([], index=rows.index, dtype=object)
    if ref is None:
        c95 = rows.get("comparison", pd.Series("not compared", index=rows.index))
        c998 = rows.get("comparison_998", pd.Series("not compared", index=rows.index))
    else:
        refv = ref.value_for(rows)
        c95 = pd.Series("not compared", index=rows.index, dtype=object)
        c998 = c95.copy()
        for pol, idx in rows.groupby(
            rows["polarity"].fillna("no_judgement")
        ).groups.items():
            sub = rows.loc[idx]
            pol = pol if pol in ("high_is_good", "low_is_good") else "no_judgement"
            for out, lo, hi in (
                (c95, "lower_ci", "upper_ci"),
                (c998, "lower_ci_998", "upper_ci_998"),
            ):
                if lo not in sub:
                    continue
                out.loc[idx] = np.asarray(
                    compare(
                        sub["value"].astype(float),
                        sub[lo].astype(float),
                        sub[hi].astype(float),
                        refv.loc[idx].astype(float),
                        polarity=pol,
                    )
                )
    c95 = c95.fillna("not compared").astype(object)
    c998 = c998.fillna("not compared").astype(object)
    if level == "95":
        out = c95.copy()
    elif level == "99.8":
        out = c998.copy()
    else:
        out = pd.Series(
            [combine_levels(a, b) for a, b in zip(c95, c998, strict=True)],
            index=rows.index,
            dtype=object,
        )
    if ref is not None and "area_code" in rows:  # the comparator itself is not compared
        whole = rows.get("breakdown", pd.Series("area", index=rows.index)).isin(
            ["area", "comparator"]
        )
        out[(whole & (rows["area_code"] == ref.code)).to_numpy()] = "not compared"
    supp = rows.get("is_suppressed", pd.Series(False, index=rows.index))
    out[supp.fillna(False).astype(bool).to_numpy()] = "suppressed"
    return out


def quintile_classes(
    values: Sequence[float] | pd.Series, *, suppressed: Any = None
) -> pd.Series:
    """Quintile class of each value among the values given ("quintile 1" = lowest fifth).

    Fingertips' "Quintiles" comparison ranks the areas' values and cuts them into five groups of
    (as near as possible) equal size; ties share the lower rank's class. Missing values are
    "not compared"; suppressed ones "suppressed".

    Parameters
    ----------
    values : array-like of float
    suppressed : array-like of bool, optional

    Returns
    -------
    pandas.Series of str
    """
    v = pd.Series(
        pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    )
    out = pd.Series("not compared", index=v.index, dtype=object)
    ok = v.notna()
    n = int(ok.sum())
    if n:
        rank = v[ok].rank(method="min")
        q = np.ceil(rank * 5 / n).clip(1, 5).astype(int)
        out[ok] = [f"quintile {i}" for i in q]
    if suppressed is not None:
        s = pd.Series(suppressed).fillna(False).astype(bool).to_numpy()
        out[s] = "suppressed"
    if isinstance(values, pd.Series):
        out.index = values.index
    return out


def quintile_label(key: str, polarity: str | None) -> str:
    """Words for a quintile class given the indicator's polarity ("Worst fifth" …)."""
    i = int(key.split()[-1]) - 1
    return _QUINTILE_WORDS.get(
        polarity or "no_judgement", _QUINTILE_WORDS["no_judgement"]
    )[i]


def legend_keys(polarity: str | None, level: str = "95") -> list[str]:
    """The classes a view of one indicator can show, in legend order (best/highest first)."""
    judged = polarity in ("high_is_good", "low_is_good")
    base = list(_JUDGED if judged else _UNJUDGED)
    if not judged:
        base = base[::-1]  # higher, similar, lower
    if level == "both":
        first, mid, last = base
        base = [f"{first} 99.8%", first, mid, last, f"{last} 99.8%"]
    return [*base, "not compared", "suppressed"]


# ---------------------------------------------------------------------------- legends


def legend_html(
    keys: Iterable[str] | None = None,
    *,
    title: str = "",
    polarity: str | None = None,
    level: str = "95",
    counts: dict[str, int] | None = None,
    labels: dict[str, str] | None = None,
) -> str:
    """The benchmark legend as an HTML fragment (a ``<figure>`` with a list): swatch, symbol
    and words for each class. Every view's legend is this one.

    Parameters
    ----------
    keys : iterable of str, optional
        Classes to list; default :func:`legend_keys` for ``polarity`` and ``level``.
    title : str
        Heading (escaped), e.g. "Compared with England (95% confidence)".
    polarity, level : str
        For the default keys.
    counts : dict, optional
        Number of items in each class, shown after the words.
    labels : dict, optional
        Override words (e.g. quintile words for the indicator's polarity).

    Returns
    -------
    str
    """
    keys = list(keys) if keys is not None else legend_keys(polarity, level)
    items = []
    for k in keys:
        c = category(k)
        words = (labels or {}).get(k, c.label)
        n = f" ({counts.get(k, 0):,})" if counts is not None else ""
        items.append(
            f'<li><span class="hiw-bm-sw" style="{cell_style(k)}" aria-hidden="true">'
            f"{html.escape(c.symbol)}</span><span>{html.escape(words)}{n}</span></li>"
        )
    head = f"<figcaption>{html.escape(title)}</figcaption>" if title else ""
    return (
        f'<figure class="hiw-bm" aria-label="{html.escape(title or "Legend", quote=True)}">'
        f"<style>{LEGEND_CSS}</style>{head}"
        f'<ul class="hiw-bm-legend">{"".join(items)}</ul></figure>'
    )


def legend_handles(keys: Iterable[str], labels: dict[str, str] | None = None) -> list:
    """matplotlib legend handles (marker, colour, symbol and words) for the classes."""
    from matplotlib.lines import Line2D

    out = []
    for k in keys:
        c = category(k)
        out.append(
            Line2D(
                [],
                [],
                ls="none",
                marker=c.marker,
                markersize=8 if "99.8" not in k else 10,
                markerfacecolor=c.colour,
                markeredgecolor="#333333",
                markeredgewidth=0.8 if "99.8" not in k else 1.6,
                label=f"{c.symbol} {(labels or {}).get(k, c.label)}",
            )
        )
    return out


def legend_items(
    keys: Iterable[str], labels: dict[str, str] | None = None
) -> list[tuple[str, dict, str]]:
    """Legend entries for :func:`hiworkbook.svgchart.legend`: marker, colour, symbol and words
    for the classes (the SVG twin of :func:`legend_handles`)."""
    out = []
    for k in keys:
        c = category(k)
        big = "99.8" in k
        style = {
            "fill": c.colour,
            "stroke": "#333333",
            "width": 1.6 if big else 0.8,
            "size": 12 if big else 10,
        }
        out.append((c.marker, style, f"{c.symbol} {(labels or {}).get(k, c.label)}"))
    return out


# ---------------------------------------------------------------------------- comparator


@dataclass(frozen=True)
class Reference:
    """The comparator a view compares with: its code, name and value per indicator and sex.

    Attributes
    ----------
    code, name : str
    kind : str
        ``"comparator"`` (England, region, ICB, a peer group: a comparator row of the result
        table) or ``"place"`` (the place itself, for its small areas and breakdowns).
    values : pandas.DataFrame
        ``indicator_id``, ``sex``, ``ref_value``.
    """

    code: str
    name: str
    kind: str
    values: pd.DataFrame

    def value_for(self, rows: pd.DataFrame) -> pd.Series:
        """The reference value for each row (by indicator and sex), NaN where it has none."""
        keys = zip(rows["indicator_id"].tolist(), rows["sex"].tolist(), strict=True)
        lookup = self._lookup
        return pd.Series(
            np.array([lookup.get(k, np.nan) for k in keys], dtype=float),
            index=rows.index,
        )

    @functools.cached_property
    def _lookup(self) -> dict[tuple, float]:
        """``{(indicator_id, sex): ref_value}`` (the first value of a key), built once: a view
        asks for the reference of many row sets."""
        v = self.values
        out: dict[tuple, float] = {}
        for k in zip(
            v["indicator_id"].tolist(),
            v["sex"].tolist(),
            pd.to_numeric(v["ref_value"], errors="coerce").astype(float).tolist(),
            strict=True,
        ):
            out.setdefault(k[:2], k[2])
        return out

    def phrase(self, level: str = "95") -> str:
        """ "compared with England at 95% confidence" — the words every caption uses."""
        lv = {"95": "95%", "99.8": "99.8%", "both": "95% and 99.8%"}[level]
        return f"compared with {self.name} at {lv} confidence"


def reference(
    results: PlaceResults,
    comparator: str | None = None,
    *,
    breakdown: str = "area",
) -> Reference:
    """Resolve the ``comparator`` argument of any view to one :class:`Reference`.

    Parameters
    ----------
    results : PlaceResults
    comparator : str, optional
        A comparator's name or code (England, the ICB, a region, a peer group added with
        :func:`with_peer_group`), or the place's own code or name, or ``"place"``. Empty: the
        place's primary comparator for place-level views (``breakdown="area"``), the place
        itself for views of its small areas and breakdowns.
    breakdown : str, default "area"
        What the view shows, for the default.

    Returns
    -------
    Reference

    Raises
    ------
    DataError
        When no comparator has that name or code (with the names that exist).
    """
    t = results.table
    place = results.place
    comps = t[t["breakdown"] == "comparator"]
    if not comparator:
        if breakdown in ("area", "comparator") and results.primary_comparator:
            comparator = results.primary_comparator
        else:
            comparator = "place"
    if comparator in ("place", place.code, place.name):
        own = t[t["breakdown"] == "area"]
        return Reference(
            place.code,
            place.name,
            "place",
            own[["indicator_id", "sex", "value"]].rename(
                columns={"value": "ref_value"}
            ),
        )
    hit = comps[(comps["area_code"] == comparator) | (comps["area_name"] == comparator)]
    if hit.empty:
        names = sorted(set(comps["area_name"].dropna().astype(str))) + [place.name]
        log = ProblemLog()
        log.error(
            f"No comparator is called '{comparator}'{did_you_mean(str(comparator), names)}.",
            fix=f"Use one of: {', '.join(names)} (or 'place' for the place itself).",
        )
        log.raise_if_errors("the comparator")
    r = hit.iloc[0]
    vals = hit[hit["area_code"] == r["area_code"]]
    return Reference(
        str(r["area_code"]),
        str(r["area_name"]),
        "comparator",
        vals[["indicator_id", "sex", "value"]]
        .drop_duplicates(["indicator_id", "sex"])
        .rename(columns={"value": "ref_value"}),
    )


def with_peer_group(
    place: Place,
    places: Sequence[str],
    *,
    name: str | None = None,
    code: str | None = None,
) -> Place:
    """The place with one more comparator: a user-chosen set of places, aggregated.

    The peer group's value for each indicator is computed by :func:`place_results` from the
    counts of every small area of the chosen places (as Fingertips computes a region from its
    districts), so it is compared like England or the ICB. Pass its ``name`` as
    ``place_results(..., comparator=name)`` or as any view's ``comparator``.

    Parameters
    ----------
    place : Place
    places : sequence of str
        Codes of places in the workspace (any configured level).
    name : str, optional
        Default "Peer group (<n> places)".
    code : str, optional
        Default "peer_group".

    Returns
    -------
    Place
        A copy; the original is unchanged.

    Raises
    ------
    DataError
        When a code is not a place of the workspace.
    """
    from hiworkbook.workspace import Comparator

    ws = place.workspace
    known = ws.places()
    log = ProblemLog()
    members: list[str] = []
    for c in places:
        row = known[known["place_code"] == c]
        if row.empty:
            log.error(
                f"The peer group names '{c}', which is not a place"
                f"{did_you_mean(str(c), known['place_code'].astype(str))}.",
                fix="Use codes from `hiworkbook places <config>`.",
            )
            continue
        lv = row["level"].iloc[0]
        members += ws.areas.loc[ws.areas[f"{lv}_code"] == c, ws.area_col].tolist()
    if not places:
        log.error("The peer group is empty.", fix="Name at least one place code.")
    log.raise_if_errors("the peer group")
    comp = Comparator(
        code=code or "peer_group",
        name=name or f"Peer group ({len(places)} places)",
        kind="aggregate",
        area_codes=tuple(dict.fromkeys(members)),
    )
    return replace(place, comparators=[*place.comparators, comp])


# ---------------------------------------------------------------------------- checks


# Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of colour
# vision deficiency", IEEE TVCG 15(6): matrices for severity 1.0, applied to linear RGB.
_CVD = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _linear_to_srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(c, 0, 1)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def _hex_rgb(colour: str) -> np.ndarray:
    h = colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], dtype=float) / 255


def simulate_cvd(colour: str, deficiency: str) -> np.ndarray:
    """sRGB (0–1) of a colour as seen with a colour-vision deficiency (Machado et al. 2009,
    severity 1; ``"normal"`` returns the colour)."""
    rgb = _hex_rgb(colour)
    if deficiency == "normal":
        return rgb
    lin = _CVD[deficiency] @ _srgb_to_linear(rgb)
    return _linear_to_srgb(lin)


def lab(rgb: np.ndarray) -> np.ndarray:
    """CIELAB (D65) of an sRGB colour (0–1): the IEC 61966-2-1 and CIE 1976 formulas."""
    lin = _srgb_to_linear(np.asarray(rgb, dtype=float))
    m = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = m @ lin / np.array([0.95047, 1.0, 1.08883])
    d = 6 / 29
    f = np.where(xyz > d**3, np.cbrt(xyz), xyz / (3 * d**2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def palette_check(
    groups: Sequence[Sequence[str]] | None = None,
    *,
    min_delta_e: float = 20.0,
    min_lightness: float = 15.0,
) -> pd.DataFrame:
    """Check that the categories that appear together stay apart for colour-blind readers.

    For every pair of categories within a group (the judged three, the unjudged three, the
    five-level classes, each with "not compared"), computes the CIE76
    difference ΔE*ab (Euclidean distance in CIELAB) under normal vision and simulated
    protanopia, deuteranopia and tritanopia (:func:`simulate_cvd`), and the lightness
    difference ΔL* (what survives greyscale printing).

    Parameters
    ----------
    groups : sequence of sequences of keys, optional
        Default: the groups a view can show together.
    min_delta_e : float, default 20
        Smallest acceptable ΔE*ab under every vision (about 2.3 is a "just noticeable
        difference"; 20 is clearly different at a glance on small map areas).
    min_lightness : float, default 15
        Smallest acceptable ΔL* for the main three classes of each group.

    "suppressed" is not in the default groups: it is told apart by its hatching (a pattern,
    :attr:`Category.hatch`), and no view draws it as a coloured value.

    Returns
    -------
    pandas.DataFrame
        One row per pair: ``a``, ``b``, ``delta_e_normal``, ``delta_e_protanopia``,
        ``delta_e_deuteranopia``, ``delta_e_tritanopia``, ``delta_l``, ``min_delta_e``,
        ``main`` (a pair of the main three), ``ok``.
    """
    groups = groups or [
        ["better", "similar", "worse", "not compared"],
        ["higher", "similar", "lower", "not compared"],
        ["better 99.8%", "better", "similar", "worse", "worse 99.8%", "not compared"],
        ["higher 99.8%", "higher", "similar", "lower", "lower 99.8%", "not compared"],
    ]
    mains = {frozenset(p) for p in itertools.combinations(_JUDGED, 2)} | {
        frozenset(p) for p in itertools.combinations(_UNJUDGED, 2)
    }
    rows = []
    seen = set()
    for g in groups:
        for a, b in itertools.combinations(g, 2):
            if frozenset((a, b)) in seen:
                continue
            seen.add(frozenset((a, b)))
            ca, cb = category(a).colour, category(b).colour
            r = {"a": a, "b": b}
            for v in ("normal", "protanopia", "deuteranopia", "tritanopia"):
                la, lb = lab(simulate_cvd(ca, v)), lab(simulate_cvd(cb, v))
                r[f"delta_e_{v}"] = float(np.linalg.norm(la - lb))
            r["delta_l"] = float(abs(lab(_hex_rgb(ca))[0] - lab(_hex_rgb(cb))[0]))
            rows.append(r)
    out = pd.DataFrame(rows)
    de = [c for c in out if c.startswith("delta_e_")]
    out["min_delta_e"] = out[de].min(axis=1)
    out["main"] = [
        frozenset((a, b)) in mains for a, b in zip(out["a"], out["b"], strict=True)
    ]
    out["ok"] = (out["min_delta_e"] >= min_delta_e) & (
        ~out["main"] | (out["delta_l"] >= min_lightness)
    )
    return out
