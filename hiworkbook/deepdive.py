"""One indicator across a place's small areas: the indicator deep dive.

View-level composition for ``notebooks/indicator_deep_dive.ipynb``: :func:`deep_dive` computes,
once, everything the notebook shows for one indicator in one place and period, and the
:class:`DeepDive` it returns draws each view:

- the gradient by national IMD decile and quintile, each with the slope and relative index of
  inequality (:func:`hiworkbook.inequality.sii`, PHE's method);
- the SII in every period the data hold (:func:`hiworkbook.trends.sii_by_period`);
- a funnel plot of the small areas against the place (:func:`hiworkbook.charts.funnel_plot`);
- the map of the indicator and the map of hot and cold spots (local Moran's I with permutation
  inference, a fixed seed and a Benjamini–Hochberg correction, on empirical-Bayes smoothed rates
  where populations are small: :mod:`hiworkbook.spatial`);
- a plain-English reading of what the clusters show and do not show.

Statistics live in :mod:`hiworkbook.spatial`, :mod:`hiworkbook.stats`, :mod:`hiworkbook.inequality`
and :mod:`hiworkbook.results`; this module only combines them. Every SII shown here is
PHEindicatormethods' signed value: the least deprived end minus the most deprived end.
"""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hiworkbook import disclosure, inequality, stats
from hiworkbook.charts import Chart
from hiworkbook.indicators import Indicator
from hiworkbook.narrative import Narrative, fmt_value
from hiworkbook.results import (
    QUINTILE_LABELS,
    PlaceResults,
    place_results,
    small_area_frame,
)
from hiworkbook.validate import ProblemLog, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from hiworkbook.maps import OfflineMap
    from hiworkbook.spatial import MoranResult
    from hiworkbook.workspace import Place

_log = logging.getLogger(__name__)

__all__ = ["DeepDive", "deep_dive", "DECILE_LABELS", "SMOOTHING", "LISA_COLOURS"]

DECILE_LABELS = {
    d: f"D{d}"
    + (" (most deprived)" if d == 1 else " (least deprived)" if d == 10 else "")
    for d in range(1, 11)
}
#: ``smoothing`` options of :func:`deep_dive`.
SMOOTHING = ("auto", "global", "local", "none")
NOT_ANALYSED = "Not analysed (no value)"
#: LISA classes → colours (ColorBrewer RdBu; the class is also written in legend and tooltip).
LISA_COLOURS = {
    "High-High (hot spot)": "#b2182b",
    "Low-Low (cold spot)": "#2166ac",
    "High-Low (high outlier)": "#f4a582",
    "Low-High (low outlier)": "#92c5de",
    "Not significant": "#e8e8e8",
}
_VALUE_TYPE = {"dsr": 1, "rate": 1, "isratio": 1, "proportion": 2, "life_expectancy": 0}
_MINUS = "\u2212"


# ---------------------------------------------------------------------- the computation
@dataclass
class DeepDive:
    """Everything the deep-dive notebook shows for one indicator, place and period.

    Attributes
    ----------
    results : PlaceResults
        The result table for the indicator (place, comparators, quintiles, small areas).
    indicator : Indicator
    sex : str
        The sex shown (persons, or the first the indicator is reported for).
    deciles : pandas.DataFrame
        Result-table rows by national IMD decile (``breakdown == "imd_decile"``), disclosure
        control applied, compared with the place's value.
    gradient : pandas.DataFrame
        SII and RII across deciles and across quintiles (``grouping``, ``sii``, ``lower_ci``,
        ``upper_ci``, ``rii``, ``rii_lower_ci``, ``rii_upper_ci``, ``groups_used``).
    sii_periods : pandas.DataFrame
        SII across quintiles for every period with counts
        (:func:`hiworkbook.trends.sii_by_period`).
    areas : geopandas.GeoDataFrame
        The place's small areas with the indicator's value (suppressed areas blank), the value
        LISA ran on (``lisa_value``; blank for suppressed areas), ``local_i``, ``p_sim``,
        ``is_significant`` and ``cluster``.
    moran : MoranResult or None
        Global Moran's I of the LISA variable.
    lisa_variable : str
        What local Moran's I was computed on, in words.
    smoothing : str
        The smoothing used: ``"global"``, ``"local"`` or ``"none"``.
    note : str
        Why LISA could not run (else empty).
    """

    results: PlaceResults
    indicator: Indicator
    sex: str
    deciles: pd.DataFrame
    gradient: pd.DataFrame
    sii_periods: pd.DataFrame
    areas: Any
    moran: MoranResult | None
    lisa_variable: str
    smoothing: str
    seed: int
    permutations: int
    fdr_alpha: float
    min_events: float
    p_cutoff: float = float("nan")
    note: str = ""
    settings: dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ names
    @property
    def place(self) -> Place:
        return self.results.place

    @property
    def period(self) -> str:
        return self.results.period

    @property
    def _synthetic(self) -> str:
        ws = self.place.workspace
        return (
            " Synthetic demonstration data." if ws is not None and ws.synthetic else ""
        )

    # ------------------------------------------------------------------ views
    def title(self) -> Narrative:
        """Heading: indicator, place, period (and the synthetic-data label)."""
        ind = self.indicator
        syn = (
            '<p class="hiw-synthetic"><strong>Synthetic data</strong>: the demo region is '
            "fictional; no number here describes real people.</p>"
            if self._synthetic
            else ""
        )
        return Narrative(
            f"<h1>{html.escape(ind.name)}: {html.escape(self.place.name)}, "
            f"{html.escape(self.period)}</h1>"
            f"<p>An indicator deep dive across {len(self.areas):,} small areas "
            f"({html.escape(ind.unit)}; {html.escape(ind.ages)}).</p>{syn}"
        )

    def gradient_table(self) -> pd.DataFrame:
        """Values by national IMD decile and quintile with 95% CIs and the comparison with the
        place (suppressed rows blank)."""
        q = self.results.for_indicator(self.indicator.id, "imd_quintile")
        q = q[q["sex"] == self.sex]
        cols = [
            "breakdown",
            "category",
            "numerator",
            "denominator",
            "value",
            "lower_ci",
            "upper_ci",
            "comparison",
            "is_suppressed",
            "value_note",
        ]
        out = pd.concat([self.deciles[cols], q[cols]], ignore_index=True).assign(
            unit=self.indicator.unit, period=self.period
        )
        return out

    def decile_chart(self) -> Chart:
        """Bars by national IMD decile with 95% CIs, the place's line and the decile SII."""
        return _group_chart(self, self.deciles, list(DECILE_LABELS.values()), "decile")

    def quintile_chart(self) -> Chart:
        """Bars by national IMD quintile with 95% CIs, the place's line and the quintile SII."""
        q = self.results.for_indicator(self.indicator.id, "imd_quintile")
        q = q[q["sex"] == self.sex]
        return _group_chart(self, q, list(QUINTILE_LABELS.values()), "quintile")

    def gradient_sentence(self) -> Narrative:
        """The SII and RII by decile and by quintile in words, signed as PHE signs them."""
        parts = []
        for _, r in self.gradient.iterrows():
            parts.append(
                f"<li><strong>By national IMD {html.escape(r['grouping'])}</strong>: "
                f"{html.escape(sii_words(r, self.indicator))}</li>"
            )
        if not parts:
            return Narrative(
                "<p>There are not enough groups with values to fit a slope index of inequality "
                "(at least three are needed).</p>"
            )
        return Narrative(
            "<p>The slope index of inequality (SII) is the difference the fitted line implies "
            "between the least and the most deprived end of the place's population "
            "(<em>least deprived minus most deprived</em>, so a negative SII means higher values "
            "in more deprived areas); the relative index (RII) is the SII divided by the mean.</p>"
            f"<ul>{''.join(parts)}</ul>"
        )

    def sii_trend_chart(self) -> Chart:
        """The SII across quintiles in each period, with its 95% CI."""
        return _sii_chart(self)

    def funnel(self) -> Chart | Narrative:
        """Funnel plot of the small areas against the place (or why there is none)."""
        from hiworkbook.charts import funnel_plot

        ch = funnel_plot(self.results, self.indicator.id, sex=self.sex)
        if ch is not None:
            ch.caption += self._synthetic
            return ch
        return Narrative(
            f"<p>No funnel plot for {html.escape(self.indicator.name)}: funnel limits are "
            "defined here for proportions, crude rates and standardised ratios (PHE's funnel "
            "methods), not for directly standardised rates or life expectancy, whose small-area "
            "values do not follow one binomial or Poisson count.</p>"
        )

    def indicator_map(self) -> OfflineMap:
        """The indicator by small area (suppressed areas hatched)."""
        from hiworkbook.maps import results_map

        return results_map(
            self.results, self.indicator.id, outline=self.place.outline()
        )

    def lisa_map(self) -> OfflineMap:
        """Hot spots, cold spots and outliers (local Moran's I after the FDR correction)."""
        from hiworkbook.maps import category_map

        a = self.areas.copy()
        a["cluster_shown"] = a["cluster"].fillna(NOT_ANALYSED)
        a["p_text"] = [
            "" if pd.isna(p) else f"{p:.3f}" for p in a["p_sim"].astype(float)
        ]
        a["value_text"] = [
            "suppressed (small numbers)" if s else self.indicator.format_value(v)
            for v, s in zip(a["value"].astype(float), a["is_suppressed"], strict=True)
        ]
        colours = dict(LISA_COLOURS)
        counts = a["cluster_shown"].value_counts()
        desc = "; ".join(f"{label}: {int(counts.get(label, 0)):,}" for label in colours)
        if counts.get(NOT_ANALYSED, 0):
            desc += f"; {NOT_ANALYSED.lower()}: {int(counts[NOT_ANALYSED]):,}"
        rule = (
            f"Significant: pseudo p ≤ {self.p_cutoff:.4f} (Benjamini–Hochberg, FDR "
            f"{self.fdr_alpha:g}; {self.permutations:,} permutations, seed {self.seed})."
            if np.isfinite(self.p_cutoff)
            else ""
        )
        return category_map(
            a,
            "cluster_shown",
            colours,
            legend_title="Local Moran's I cluster",
            code_col=self.place.workspace.area_col,
            tip_cols={"Value": "value_text", "Pseudo p": "p_text"},
            title=(
                f"{self.place.name}: hot and cold spots of {self.indicator.name}, "
                f"{self.period}"
            ),
            note=rule,
            description=f"{len(a):,} small areas. {desc}.{self._synthetic}",
            outline=self.place.outline(),
        )

    def lisa_table(self, *, significant_only: bool = False) -> pd.DataFrame:
        """Each small area's value, the value LISA used, its cluster and pseudo p-value (hot
        spots first); ``significant_only`` keeps the significant areas and the columns a reader
        needs."""
        area_col = self.place.workspace.area_col
        cols = [
            area_col,
            "area_name",
            "imd_decile",
            "value",
            "is_suppressed",
            "lisa_value",
            "local_i",
            "p_sim",
            "is_significant",
            "cluster",
        ]
        if significant_only:
            cols = [area_col, "area_name", "imd_decile", "cluster", "value"]
            cols += ["lisa_value", "p_sim"]
        t = pd.DataFrame(self.areas[[c for c in cols if c in self.areas]])
        if significant_only:
            t = t[self.areas.loc[t.index, "is_significant"].astype(bool)]
        order = {c: i for i, c in enumerate(LISA_COLOURS)}
        return (
            t.assign(_o=t["cluster"].map(order).fillna(len(order)))
            .sort_values(["_o", "p_sim"])
            .drop(columns="_o")
            .reset_index(drop=True)
        )

    def reading(self) -> Narrative:
        """What the clusters show and what they do not (no causal claims)."""
        return Narrative(_reading(self))

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table the notebook shows, by file stem (for :func:`hiworkbook.export.save_tables`)."""
        sa = small_area_frame(self.results, self.indicator.id)
        funnel = _funnel_table(self)
        out = {
            "gradient_by_decile_and_quintile": self.gradient_table(),
            "sii_rii": self.gradient.assign(
                unit=self.indicator.unit, period=self.period
            ),
            "sii_by_period": self.sii_periods.assign(unit=self.indicator.unit),
            "small_area_values": pd.DataFrame(sa.drop(columns="geometry")),
            "hot_cold_spots": self.lisa_table(),
        }
        if funnel is not None:
            out["funnel"] = funnel
        if self.moran is not None:
            m = self.moran
            out["global_moran"] = pd.DataFrame(
                [
                    {
                        "morans_i": m.i,
                        "expected_i": m.expected,
                        "z_randomisation": m.z_rand,
                        "p_randomisation": m.p_rand,
                        "p_permutation": m.p_sim,
                        "permutations": m.permutations,
                        "seed": self.seed,
                        "areas": m.n,
                        "variable": self.lisa_variable,
                    }
                ]
            )
        return out


def deep_dive(
    place: Place,
    indicator_id: str,
    *,
    period: str | None = None,
    comparator: str | None = None,
    confidence: float = 0.95,
    seed: int = 1,
    permutations: int = 999,
    fdr_alpha: float = 0.05,
    smoothing: str = "auto",
    min_events: float = 20,
    sii_reps: int = 100_000,
) -> DeepDive:
    """Compute the deep dive of one indicator in one place and period.

    Parameters
    ----------
    place : Place
        From :func:`hiworkbook.load_place`.
    indicator_id : str
    period : str, optional
        Default the place's period.
    comparator : str, optional
        As :func:`hiworkbook.place_results`.
    confidence : float, default 0.95
    seed : int, default 1
        Seed of the SII simulations and of the Moran's I permutations.
    permutations : int, default 999
        Permutations for Moran's I (at least 99).
    fdr_alpha : float, default 0.05
        False discovery rate of the hot/cold-spot test (Benjamini–Hochberg).
    smoothing : {"auto", "global", "local", "none"}, default "auto"
        What local Moran's I runs on. ``"global"``: empirical-Bayes rates shrunk towards the
        place's rate (:func:`hiworkbook.spatial.eb_global`); ``"local"``: towards each area's
        neighbourhood (:func:`hiworkbook.spatial.eb_local`; makes neighbours alike, so it
        overstates clustering — for comparison only); ``"none"``: the indicator's values of the
        unsuppressed areas. ``"auto"`` is ``"global"`` when any area expects fewer than
        ``min_events`` events (at the place's rate), else ``"none"``. Directly standardised
        rates and standardised ratios are smoothed as ratios of observed to expected events,
        expected from the place's own age-specific rates (100 = the place). Life expectancy is
        never smoothed.
    min_events : float, default 20
        Expected events below which an area's rate counts as unstable: with fewer than 20
        events the relative standard error of a Poisson count exceeds about 22% (1/sqrt(20)),
        the point below which ONS and NCHS flag rates as unreliable.
    sii_reps : int, default 100,000
        Simulations for each SII's confidence interval.

    Returns
    -------
    DeepDive

    Raises
    ------
    DataError
        For an unknown indicator or invalid settings (every problem listed).
    """
    ws = place.workspace
    log = ProblemLog()
    if indicator_id not in ws.indicators:
        log.error(
            f"No indicator is defined with the id '{indicator_id}'"
            f"{did_you_mean(indicator_id, ws.indicators)}.",
            fix="Use an id from the workbook's indicator definitions.",
        )
    if smoothing not in SMOOTHING:
        log.error(
            f"smoothing must be one of {', '.join(SMOOTHING)}, not '{smoothing}'.",
            fix="Use 'auto' unless you have a reason to choose.",
        )
    if not (isinstance(permutations, int) and permutations >= 99):
        log.error(
            f"permutations must be a whole number of at least 99, not {permutations!r}.",
            fix="999 (the default) gives pseudo p-values down to 0.001.",
        )
    if not (isinstance(sii_reps, int) and sii_reps >= 1000):
        log.error(
            f"sii_reps must be a whole number of at least 1,000, not {sii_reps!r}.",
            fix="PHE uses 100,000 simulations (the default); 1,000 is its minimum.",
        )
    if not 0 < float(fdr_alpha) < 1:
        log.error(
            f"fdr_alpha must be between 0 and 1, not {fdr_alpha!r}.",
            fix="0.05 is the usual false discovery rate.",
        )
    if indicator_id in ws.indicators:
        per = str(period or place.period or ws.default_period)
        c = ws.counts
        have = sorted(set(c.loc[c["period"].astype(str) == per, "indicator_id"]))
        if indicator_id not in have:
            log.error(
                f"There are no counts for '{indicator_id}' in {per}.",
                fix=f"Indicators with counts in {per}: {', '.join(have) or 'none'}.",
            )
    log.raise_if_errors("deep_dive")
    ind = ws.indicators[indicator_id]
    res = place_results(
        place,
        period=period,
        indicators=[indicator_id],
        confidence=confidence,
        comparator=comparator,
        sii_reps=sii_reps,
        seed=seed,
    )
    sa = res.for_indicator(indicator_id, "small_area")
    sexes = sorted(set(sa["sex"])) or list(ind.sexes)
    sex = "persons" if "persons" in sexes else sexes[0]
    deciles, dec_sii = _by_decile(
        place, ind, res.period, confidence, comparator, sex, sii_reps, seed
    )
    gradient = _gradient(res, ind, sex, dec_sii)
    sii_periods = _sii_periods(place, res, sex, confidence, comparator, sii_reps, seed)
    lisa = _lisa(
        res, ind, sex, seed, permutations, float(fdr_alpha), smoothing, min_events
    )
    return DeepDive(
        results=res,
        indicator=ind,
        sex=sex,
        deciles=deciles,
        gradient=gradient,
        sii_periods=sii_periods,
        seed=seed,
        permutations=permutations,
        fdr_alpha=float(fdr_alpha),
        min_events=min_events,
        settings={"smoothing_requested": smoothing, "confidence": confidence},
        **lisa,
    )


# ---------------------------------------------------------------------- counts
def _place_counts(
    place: Place, ind: Indicator, period: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indicator's count rows (denominators filled) for the place's small areas (totals
    only, not ethnic groups), and for every area (for comparators)."""
    from hiworkbook.results import _fill_denominators

    ws = place.workspace
    area_col = ws.area_col
    c = ws.counts[
        (ws.counts["indicator_id"] == ind.id)
        & (ws.counts["period"].astype(str) == period)
    ]
    if c.empty:
        return c, c
    c = _fill_denominators(c, ws.population, area_col, period, ind)
    c = c.assign(
        numerator=pd.to_numeric(c["numerator"]),
        denominator=pd.to_numeric(c["denominator"]),
    )
    if "ethnic_group" in c:
        c = c[c["ethnic_group"].astype(str) == "all"]
    mine = c[c[area_col].isin(place.areas[area_col])]
    return mine, c


def _small_area_counts(
    place: Place, ind: Indicator, period: str
) -> tuple[pd.DataFrame, float, str] | None:
    """Events and population at risk per small area for empirical-Bayes smoothing.

    Proportions and crude rates: numerator and denominator (the smoothed value is on the
    indicator's scale). Directly standardised rates and standardised ratios: observed events
    and the events expected at the place's own age-specific rates (indirect standardisation
    within the place), so the smoothed value is a ratio with the place = 100. Life expectancy:
    None (no single count to smooth).
    """
    if ind.measure not in ("proportion", "rate", "dsr", "isratio"):
        return None
    mine, _ = _place_counts(place, ind, period)
    if mine.empty:
        return None
    area_col = place.workspace.area_col
    if ind.measure in ("proportion", "rate"):
        g = mine.groupby(area_col)[["numerator", "denominator"]].sum()
        out = pd.DataFrame({"events": g["numerator"], "at_risk": g["denominator"]})
        return out, float(ind.multiplier), f"{ind.unit}"
    if ind.measure == "dsr":
        bands = list(ind.age_bands) or list(stats.ESP2013.index)
        mine = mine[mine["age_band"].isin(bands)]
    by_band = mine.groupby("age_band")[["numerator", "denominator"]].sum()
    band_rate = (by_band["numerator"] / by_band["denominator"]).replace(
        [np.inf, -np.inf], np.nan
    )
    exp = mine["denominator"] * mine["age_band"].map(band_rate).fillna(0)
    g = mine.assign(_exp=exp).groupby(area_col)[["numerator", "_exp"]].sum()
    out = pd.DataFrame({"events": g["numerator"], "at_risk": g["_exp"]})
    return out, 100.0, "standardised ratio, place = 100"


# ---------------------------------------------------------------------- gradient
def _by_decile(
    place: Place,
    ind: Indicator,
    period: str,
    confidence: float,
    comparator: str | None,
    sex: str,
    sii_reps: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The indicator by national IMD decile within the place (PHE method, as the quintiles of
    the result table) and its SII across deciles.

    Lean version of a decile breakdown: uses the same private steps as
    :func:`hiworkbook.results.place_results` (denominators, the indicator's PHE method,
    disclosure control). Should use a shared decile breakdown when one lands.
    """
    from hiworkbook.results import (
        _calculate,
        _comparator_units,
        _primary,
        _reference_counts,
    )

    ws = place.workspace
    area_col = ws.area_col
    mine, every = _place_counts(place, ind, period)
    empty = pd.DataFrame(
        columns=[
            "breakdown",
            "category",
            "imd_decile",
            "sex",
            "numerator",
            "denominator",
            "value",
            "lower_ci",
            "upper_ci",
            "comparison",
            "is_suppressed",
            "value_note",
        ]
    )
    if mine.empty:
        return empty, pd.DataFrame()
    dec = place.areas.set_index(area_col)["imd_decile"]
    d = mine.assign(_d=mine[area_col].map(dec)).dropna(subset=["_d"])
    own = mine.assign(
        breakdown="area", category="All", area_code=place.code, area_name=place.name
    )
    units = [
        d.assign(
            breakdown="imd_decile",
            category=d["_d"].astype(int).map(DECILE_LABELS),
            area_code=place.code,
            area_name=place.name,
        ).drop(columns="_d"),
        own,
    ]
    reference = None
    if ind.measure == "isratio":
        primary = _primary(place.comparators, comparator)
        comps = [
            cu
            for comp in place.comparators
            if (cu := _comparator_units(every, comp, area_col, period, ind.id))
            is not None
        ]
        reference = _reference_counts([own, *comps], primary)
    res = _calculate(pd.concat(units, ignore_index=True), ind, confidence, reference)
    res = res[res["sex"] == sex]
    total = res[res["breakdown"] == "area"].copy()
    place_value = total["value"]
    res = res[res["breakdown"] == "imd_decile"].copy()
    res["imd_decile"] = res["category"].map({v: k for k, v in DECILE_LABELS.items()})
    res = res.sort_values("imd_decile")
    # SII across deciles from the values before suppression (as results does for quintiles)
    sii = pd.DataFrame()
    ok = res[res["value"].notna()]
    if len(ok) >= 3:
        sii = inequality.sii(
            ok.assign(indicator_id=ind.id),
            value="value",
            lower_ci="lower_ci",
            upper_ci="upper_ci",
            population="denominator",
            quantile="imd_decile",
            group_by=["indicator_id"],
            value_type=_VALUE_TYPE[ind.measure],
            multiplier=float(ind.multiplier),
            rii=True,
            reps=sii_reps,
            seed=seed,
        ).rename(columns={"value": "sii"})
    pv = float(place_value.iloc[0]) if len(place_value) else np.nan
    res["comparison"] = np.asarray(
        stats.compare(
            res["value"].astype(float),
            res["lower_ci"].astype(float),
            res["upper_ci"].astype(float),
            np.full(len(res), pv),
            polarity=ind.polarity,
        )
    )
    # the deciles add up to the place's total (shown in the result table): the workbook's
    # disclosure policy treats them as one linked set with it (primary and secondary suppression,
    # or rounding), as it treats the quintiles
    both = pd.concat([total, res], ignore_index=True).assign(
        measure=ind.measure, indicator_id=ind.id
    )
    decile_of = (
        place.areas.set_index(area_col)["imd_decile"]
        .dropna()
        .astype(int)
        .map(DECILE_LABELS)
    )
    sup = disclosure.apply(
        both, ws.config.disclosure, nesting={"imd_decile": decile_of.to_dict()}
    )
    sup = sup[sup["breakdown"] == "imd_decile"]
    return sup[[c for c in empty.columns if c in sup]].reset_index(drop=True), sii


def _gradient(
    res: PlaceResults, ind: Indicator, sex: str, dec_sii: pd.DataFrame
) -> pd.DataFrame:
    rows = []
    cols = ["sii", "lower_ci", "upper_ci", "rii", "rii_lower_ci", "rii_upper_ci"]
    if len(dec_sii) and pd.notna(dec_sii["sii"].iloc[0]):
        r = dec_sii.iloc[0]
        rows.append(
            {"grouping": "decile", **{c: r.get(c) for c in cols}}
            | {"groups_used": r.get("quantiles_used")}
        )
    s = res.sii
    s = s[(s["indicator_id"] == ind.id) & (s["sex"] == sex)] if len(s) else s
    if len(s) and pd.notna(s["sii"].iloc[0]):
        r = s.iloc[0]
        rows.append(
            {"grouping": "quintile", **{c: r.get(c) for c in cols}}
            | {"groups_used": r.get("quantiles_used")}
        )
    out = pd.DataFrame(rows, columns=["grouping", *cols, "groups_used"])
    out["reading"] = [sii_words(r, ind) for _, r in out.iterrows()]
    return out


def _signed(v: float, unit: str) -> str:
    if v != v:
        return "not calculated"
    s = f"{abs(v):,.1f}"
    return (_MINUS if v < 0 else "") + s


def _unit_words(unit: str) -> str:
    return {"%": "percentage points", "years": "years"}.get(unit, unit)


def sii_words(row: pd.Series | dict, ind: Indicator) -> str:
    """One SII in words, signed as PHE signs it (least deprived minus most deprived).

    >>> from hiworkbook.indicators import Indicator
    >>> i = Indicator("x", "X", "dsr", 100000, "per 100,000", "low_is_good")
    >>> sii_words({"sii": -257.5, "lower_ci": -367.3, "upper_ci": -146.6}, i)
    'SII −257.5 per 100,000 (95% CI −367.3 to −146.6): the modelled value is 257.5 per 100,000 lower at the least deprived end than at the most deprived end (least deprived minus most deprived).'
    """
    v = float(row["sii"])
    lo, hi = float(row["lower_ci"]), float(row["upper_ci"])
    u = _unit_words(ind.unit)
    if v != v:
        return "SII not calculated."
    ci = (
        f" (95% CI {_signed(lo, u)} to {_signed(hi, u)})"
        if np.isfinite(lo) and np.isfinite(hi)
        else ""
    )
    if v == 0:
        how = "the same at both ends"
    else:
        how = (
            f"{abs(v):,.1f} {u} {'lower' if v < 0 else 'higher'} at the least deprived end "
            "than at the most deprived end"
        )
    sig = ""
    if np.isfinite(lo) and np.isfinite(hi) and lo <= 0 <= hi:
        sig = " The interval includes zero: no clear gradient."
    return (
        f"SII {_signed(v, u)} {u}{ci}: the modelled value is {how} "
        f"(least deprived minus most deprived).{sig}"
    )


def _sii_periods(
    place: Place,
    res: PlaceResults,
    sex: str,
    confidence: float,
    comparator: str | None,
    sii_reps: int,
    seed: int,
) -> pd.DataFrame:
    """The SII across national IMD quintiles in every period with counts for the indicator:
    :func:`hiworkbook.trends.period_results` (one :func:`~hiworkbook.results.place_results`
    per period, reusing this period's) and :func:`hiworkbook.trends.sii_by_period`, so each SII
    is the one a place report for that period shows."""
    from hiworkbook import trends

    ind_id = next(iter(res.indicators))
    pr = trends.period_results(
        place,
        indicators=[ind_id],
        confidence=confidence,
        comparator=comparator,
        sii_reps=sii_reps,
        seed=seed,
        reuse=res,
    )
    t = trends.sii_by_period(pr, ind_id)
    if "sex" in t:
        t = t[t["sex"] == sex]
    return t.reset_index(drop=True)


# ---------------------------------------------------------------------- LISA
def _lisa(
    res: PlaceResults,
    ind: Indicator,
    sex: str,
    seed: int,
    permutations: int,
    fdr_alpha: float,
    smoothing: str,
    min_events: float,
) -> dict[str, Any]:
    from hiworkbook import spatial

    place = res.place
    area_col = place.workspace.area_col
    frame = small_area_frame(res, ind.id)
    keep = [
        area_col,
        "area_name",
        "imd_decile",
        "imd_quintile",
        "population",
        "geometry",
    ]
    areas = frame[[c for c in keep if c in frame]].copy()
    for c in ("value", "lower_ci", "upper_ci", "is_suppressed"):
        areas[c] = frame[c]
    areas["is_suppressed"] = areas["is_suppressed"].fillna(False).astype(bool)
    counts = _small_area_counts(place, ind, res.period)
    mode = smoothing
    if counts is not None:
        cnt, scale, what = counts
        cnt = cnt[cnt["at_risk"] > 0]
        expected = cnt["at_risk"] * cnt["events"].sum() / cnt["at_risk"].sum()
        few = int((expected < min_events).sum())
    else:
        few = 0
    if mode == "auto":
        mode = "global" if counts is not None and few > 0 else "none"
    if mode != "none" and counts is None:
        _log.warning("%s has no counts to smooth: LISA runs on its values", ind.name)
        mode = "none"
    out: dict[str, Any] = {
        "areas": areas,
        "moran": None,
        "lisa_variable": "",
        "smoothing": mode,
        "p_cutoff": float("nan"),
        "note": "",
    }
    for c in ("lisa_value", "local_i", "p_sim"):
        areas[c] = np.nan
    areas["is_significant"] = False
    areas["cluster"] = None
    if mode == "none":
        used = areas[areas["value"].notna() & ~areas["is_suppressed"]]
        values = used["value"].to_numpy(dtype=float)
        out["lisa_variable"] = (
            f"the indicator's values ({ind.unit}) of the {len(used):,} small areas with an "
            "unsuppressed value, unsmoothed"
            + (
                f" (every area expects at least {min_events:g} events)"
                if counts is not None and few == 0
                else ""
            )
        )
    else:
        used = areas[areas[area_col].isin(cnt.index)]
    if len(used) < 10:
        out["note"] = (
            f"Only {len(used)} small areas have a value: too few for local Moran's I "
            "(at least 10 are needed)."
        )
        return out
    if mode != "none":
        c = cnt.reindex(used[area_col])
        e, b = c["events"].to_numpy(float), c["at_risk"].to_numpy(float)
        if mode == "global":
            values = spatial.eb_global(e, b) * scale
        else:
            w_eb = spatial.weights(used, area_col)
            values = spatial.eb_local(e, b, w_eb) * scale
        out["lisa_variable"] = (
            f"{'global' if mode == 'global' else 'local (spatial)'} empirical-Bayes smoothed "
            f"values ({what}) of {len(used):,} small areas; {few:,} of them expect fewer than "
            f"{min_events:g} events"
        )
    w = spatial.weights(used, area_col)
    lm = spatial.local_moran(
        values, w, permutations=permutations, seed=seed, alpha=fdr_alpha
    )
    gm = spatial.global_moran(values, w, permutations=permutations, seed=seed)
    lm = lm.set_index("area_code")
    idx = areas[area_col].astype(str)
    for src, dst in (
        ("value", "lisa_value"),
        ("local_i", "local_i"),
        ("p_sim", "p_sim"),
        ("is_significant", "is_significant"),
        ("cluster", "cluster"),
    ):
        areas[dst] = idx.map(lm[src]).to_numpy()
    areas["is_significant"] = areas["is_significant"].fillna(False).astype(bool)
    # a suppressed area's smoothed value could reveal its count: keep its class, not its value
    areas.loc[areas["is_suppressed"], "lisa_value"] = np.nan
    out.update(moran=gm, p_cutoff=float(lm["p_cutoff"].iloc[0]))
    return out


def _funnel_table(dd: DeepDive) -> pd.DataFrame | None:
    from hiworkbook.charts import _FUNNEL_STATISTIC

    st = _FUNNEL_STATISTIC.get(dd.indicator.measure)
    if st is None:
        return None
    sa = dd.results.for_indicator(dd.indicator.id, "small_area")
    sa = sa[(sa["sex"] == dd.sex) & ~sa["is_suppressed"].fillna(False).astype(bool)]
    area = dd.results.for_indicator(dd.indicator.id, "area")
    area = area[area["sex"] == dd.sex]
    sa = sa[pd.to_numeric(sa["denominator"], errors="coerce") > 0]
    if sa.empty or area.empty or pd.isna(area["value"].iloc[0]):
        return None
    lim = stats.funnel_limits(
        sa[["area_code", "area_name", "numerator", "denominator"]],
        "numerator",
        "denominator",
        statistic=st,
        multiplier=float(dd.indicator.multiplier),
        target=float(area["value"].iloc[0]),
    )
    return lim.reset_index(drop=True)


# ---------------------------------------------------------------------- charts
def _group_chart(
    dd: DeepDive, rows: pd.DataFrame, labels: list[str], what: str
) -> Chart:
    ind = dd.indicator
    r = rows.set_index("category").reindex(labels)
    vals = r["value"].to_numpy(dtype=float)
    lo = r["lower_ci"].to_numpy(dtype=float)
    hi = r["upper_ci"].to_numpy(dtype=float)
    sup = r["is_suppressed"].fillna(False).astype(bool).to_numpy()
    x = np.arange(len(labels))
    fig = Figure(figsize=(7.2, 3.8))
    ax = fig.add_subplot()
    ax.bar(
        x,
        np.nan_to_num(vals),
        color="#0072B2",
        width=0.65,
        label=f"{what.title()} value",
    )
    ax.errorbar(
        x,
        np.nan_to_num(vals),
        yerr=np.vstack([np.nan_to_num(vals - lo), np.nan_to_num(hi - vals)]),
        fmt="none",
        ecolor="black",
        capsize=3,
        lw=1,
        label="95% CI",
    )
    for xi, v, s in zip(x, vals, sup, strict=True):
        if np.isnan(v):
            ax.text(
                xi,
                0,
                "suppressed" if s else "no areas",
                ha="center",
                va="bottom",
                fontsize=7,
                rotation=90,
                color="#555555",
            )
    area = dd.results.for_indicator(ind.id, "area")
    area = area[area["sex"] == dd.sex]
    if len(area) and pd.notna(area["value"].iloc[0]):
        ax.axhline(
            float(area["value"].iloc[0]), color="#D55E00", lw=1.5, label=dd.place.name
        )
    ax.set_xticks(x, [lbl.replace(" (", "\n(") for lbl in labels], fontsize=7)
    ax.set_ylabel(ind.unit if ind.unit != "%" else "per cent")
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(
        fontsize=7,
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22),
        ncol=3,
    )
    g = dd.gradient[dd.gradient["grouping"] == what]
    sii_txt = sii_words(g.iloc[0], ind) if len(g) else "SII not calculated."
    ax.set_title(
        f"{ind.name} by national IMD {what}, {dd.place.name}, {dd.period}",
        fontsize=9,
        loc="left",
    )
    fig.set_layout_engine("tight")  # laid out once, by the renderer that draws it
    parts = [
        f"{lbl}: {fmt_value(v, ind.unit)}" for lbl, v in zip(labels, vals, strict=True)
    ]
    n_sup = int(sup.sum())
    alt = (
        f"Bar chart of {ind.name} by national deprivation {what} in {dd.place.name}. "
        + "; ".join(parts)
        + f". {sii_txt}"
    )
    caption = (
        f"{ind.name} by national IMD {what} of residence (1 = most deprived in England), "
        f"{dd.place.name}, {dd.period}, with 95% confidence intervals. {sii_txt}"
        + (f" {n_sup} {what}(s) suppressed for small numbers." if n_sup else "")
        + dd._synthetic
    )
    return Chart(fig, alt, caption)


def _sii_chart(dd: DeepDive) -> Chart:
    ind = dd.indicator
    t = dd.sii_periods
    u = _unit_words(ind.unit)
    fig = Figure(figsize=(7.2, 3.4))
    ax = fig.add_subplot()
    x = np.arange(len(t))
    v = t["sii"].to_numpy(dtype=float)
    lo = t["lower_ci"].to_numpy(dtype=float)
    hi = t["upper_ci"].to_numpy(dtype=float)
    ax.axhline(0, color="#555555", lw=0.8)
    ax.errorbar(
        x,
        v,
        yerr=np.vstack([v - lo, hi - v]),
        fmt="o",
        color="#0072B2",
        ecolor="black",
        capsize=4,
        lw=1,
        label="SII with 95% CI",
    )
    ax.plot(x, v, color="#0072B2", lw=1, alpha=0.6)
    ax.set_xticks(x, t["period"].astype(str).tolist())
    ax.set_ylabel(f"SII ({u})\nleast minus most deprived", fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(
        f"Slope index of inequality of {ind.name} across national IMD quintiles, "
        f"{dd.place.name}",
        fontsize=9,
        loc="left",
    )
    fig.set_layout_engine("tight")  # laid out once, by the renderer that draws it
    parts = [
        f"{p}: {_signed(s, u)} ({_signed(a, u)} to {_signed(b, u)})"
        for p, s, a, b in zip(t["period"], v, lo, hi, strict=True)
    ]
    alt = (
        f"Chart of the slope index of inequality of {ind.name} in {dd.place.name} by period, "
        f"in {u}, least deprived minus most deprived: " + "; ".join(parts) + "."
    )
    overlap = (
        "The 95% intervals of the first and last periods overlap, so these periods alone "
        "do not show a change in the gradient."
        if len(t) >= 2
        and np.isfinite([lo[0], hi[0], lo[-1], hi[-1]]).all()
        and not (hi[0] < lo[-1] or hi[-1] < lo[0])
        else ""
    )
    caption = (
        f"The SII of {ind.name} across {dd.place.name}'s national IMD quintiles in each period "
        f"with data ({u}; least deprived minus most deprived, so below zero means higher in "
        f"more deprived areas), with 95% confidence intervals (PHE's simulation, seed "
        f"{dd.seed}). {overlap}{dd._synthetic}"
    ).replace("  ", " ")
    return Chart(fig, alt, caption)


# ---------------------------------------------------------------------- reading
def _names(a: pd.DataFrame, k: int = 6) -> str:
    names = a["area_name"].fillna(a.iloc[:, 0]).astype(str).tolist()
    shown = ", ".join(html.escape(n) for n in names[:k])
    return shown + (f" and {len(names) - k} more" if len(names) > k else "")


def _reading(dd: DeepDive) -> str:
    ind = dd.indicator
    a = dd.areas
    paras = []
    if dd.note:
        return f"<p>{html.escape(dd.note)}</p>"
    analysed = a[a["cluster"].notna()]
    n = len(analysed)
    hot = analysed[analysed["cluster"] == "High-High (hot spot)"]
    cold = analysed[analysed["cluster"] == "Low-Low (cold spot)"]
    outl = analysed[
        analysed["cluster"].isin(["High-Low (high outlier)", "Low-High (low outlier)"])
    ]
    good = {"high_is_good": "better", "low_is_good": "worse"}.get(ind.polarity)
    high_means = f"; higher is {good} for this indicator" if good else ""
    if len(hot) or len(cold):
        s = (
            f"<p><strong>What the clusters show.</strong> Of {n:,} small areas analysed, "
            f"{len(hot):,} form hot spots (high values among neighbours with high values"
            f"{high_means}) and {len(cold):,} cold spots (low among low)"
            + (
                f"; {len(outl):,} are outliers (high among low or low among high)"
                if len(outl)
                else ""
            )
            + ". Hot spots: "
            + (_names(hot) if len(hot) else "none")
            + ". Cold spots: "
            + (_names(cold) if len(cold) else "none")
            + ".</p>"
        )
        paras.append(s)
        if "imd_quintile" in analysed and len(hot):
            q1_all = (analysed["imd_quintile"] == 1).mean()
            q1_hot = (hot["imd_quintile"] == 1).mean()
            q1_cold = (cold["imd_quintile"] == 1).mean() if len(cold) else np.nan
            paras.append(
                f"<p>{q1_hot:.0%} of the hot-spot areas are in England's most deprived 20% "
                f"(Core20), against {q1_all:.0%} of all areas analysed"
                + (f" and {q1_cold:.0%} of the cold-spot areas" if len(cold) else "")
                + ". That describes where the clusters are; it does not say deprivation "
                "causes them.</p>"
            )
    else:
        paras.append(
            f"<p><strong>What the clusters show.</strong> None of the {n:,} small areas is a "
            "significant hot or cold spot after the false-discovery-rate correction"
            + (f" ({len(outl):,} outliers)" if len(outl) else "")
            + ". That is not proof that there is no clustering: with few areas or small "
            "numbers the test has little power.</p>"
        )
    if dd.moran is not None:
        paras.append(f"<p>{html.escape(dd.moran.sentence())}</p>")
    paras.append(
        "<p><strong>How to read them.</strong> Local Moran's I compares each area and its "
        f"neighbours (areas sharing a boundary or corner) with the average of {html.escape(dd.place.name)}, "
        f"not with England. It was computed on {html.escape(dd.lisa_variable)}. Each of the "
        f"{n:,} areas was tested, so by chance alone about {dd.fdr_alpha * n:.0f} would look "
        f"significant at p &lt; {dd.fdr_alpha:g}; the Benjamini–Hochberg correction keeps the "
        f"expected share of false discoveries among the flagged areas at {dd.fdr_alpha:.0%} "
        f"(cut-off pseudo p ≤ {dd.p_cutoff:.4f}). Pseudo p-values come from "
        f"{dd.permutations:,} random permutations with seed {dd.seed} (the smallest possible is "
        f"{1 / (dd.permutations + 1):.4f}); another seed can move areas near the cut-off.</p>"
    )
    if dd.smoothing == "none":
        small = "Values were not smoothed. " + (
            f"Every area expects at least {dd.min_events:g} events, so chance variation is "
            "modest."
            if "every area expects" in dd.lisa_variable
            else "Areas with few events vary a lot by chance and can look like outliers."
        )
    else:
        small = (
            "Rates of areas with few events vary a lot by chance, so they were shrunk towards "
            + (
                "the place's rate"
                if dd.smoothing == "global"
                else "their neighbourhood's rate"
            )
            + " by empirical Bayes (more shrinkage the fewer the events) before testing; a "
            "smoothed value is an estimate, not a measured rate."
            + (
                " Local smoothing makes neighbours alike and so overstates clustering."
                if dd.smoothing == "local"
                else ""
            )
        )
    nsup = int(a["is_suppressed"].sum())
    sup_txt = (
        f" {nsup:,} areas have suppressed values (small numbers): "
        + (
            "they were left out of the analysis."
            if dd.smoothing == "none"
            else "they are included through their smoothed rate, and the map shows only "
            "their class, which reveals no count."
        )
        if nsup
        else ""
    )
    paras.append(
        f"<p><strong>Small numbers.</strong> {html.escape(small)}{html.escape(sup_txt)}</p>"
    )
    paras.append(
        "<p><strong>What they do not show.</strong> A cluster says that similar values sit "
        "together more than random placement would give; it does not say why, that the "
        "neighbourhood causes the outcome, or that every resident of a hot spot is affected "
        "(inferences about individuals from area values are ecological). Clusters depend on "
        "the boundaries and the neighbour rule, ignore areas across the place's border, and "
        "say nothing about areas that were not significant. Use them to decide where to look "
        "more closely, alongside local knowledge.</p>"
    )
    if dd._synthetic:
        paras.append(f"<p><em>{dd._synthetic.strip()}</em></p>")
    return "".join(paras)
