"""The result table for a place: every indicator by place, comparator and breakdown.

:func:`place_results` is the one step between loaded data and every view of it. It computes, with
the PHE methods in :mod:`hiworkbook.stats`, each indicator's value and confidence interval for

- the place itself and each comparator (the parent area, England or another configured area),
- the place's national IMD quintiles (quintile 1 = the most deprived 20% of England: Core20),
- ethnic groups, for indicators defined with that breakdown,
- each small area (for maps),

then the slope index of inequality across the quintiles (:func:`hiworkbook.inequality.sii`), the
significance of every comparison (Fingertips' method, :func:`hiworkbook.stats.compare`) and applies
disclosure control once (:mod:`hiworkbook.disclosure`), so maps, charts, tables and narrative agree.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from hiworkbook import disclosure, inequality, level_results, stats
from hiworkbook.indicators import Indicator
from hiworkbook.validate import ProblemLog, did_you_mean
from hiworkbook.workspace import Comparator, Place, Workspace, nearest_period

_log = logging.getLogger(__name__)

__all__ = [
    "PlaceResults",
    "place_results",
    "small_area_frame",
    "QUINTILE_LABELS",
    "RESULT_COLUMNS",
]

QUINTILE_LABELS = {
    1: "Q1 (most deprived)",
    2: "Q2",
    3: "Q3",
    4: "Q4",
    5: "Q5 (least deprived)",
}
RESULT_COLUMNS = [
    "indicator_id",
    "indicator_name",
    "measure",
    "unit",
    "period",
    "sex",
    "breakdown",
    "category",
    "area_code",
    "area_name",
    "numerator",
    "denominator",
    "value",
    "lower_ci",
    "upper_ci",
    "confidence",
    "method",
    "value_note",
    "comparator_code",
    "comparator_name",
    "comparator_value",
    "comparison",
    "polarity",
    "is_suppressed",
    "lower_ci_998",
    "upper_ci_998",
    "comparison_998",
    "is_rounded",
]
#: The second confidence level every value carries (Fingertips compares some indicators at 99.8%).
LEVEL_998 = 0.998
_VALUE_TYPE = {"dsr": 1, "rate": 1, "isratio": 1, "proportion": 2, "life_expectancy": 0}


@dataclass
class PlaceResults:
    """Everything a place report shows, computed once.

    Attributes
    ----------
    place : Place
    period : str
    table : pandas.DataFrame
        The tidy result table (:data:`RESULT_COLUMNS`), one row per indicator × sex × breakdown ×
        category, disclosure control applied.
    sii : pandas.DataFrame
        Slope and relative index of inequality per indicator and sex across the place's national
        IMD quintiles, with 95% CIs.
    deprivation : pandas.DataFrame
        Population of the place by national IMD quintile (``imd_quintile``, ``population``,
        ``share``).
    primary_comparator : str
        Name of the comparator the headline compares with.
    """

    place: Place
    period: str
    table: pd.DataFrame
    sii: pd.DataFrame
    deprivation: pd.DataFrame
    primary_comparator: str
    confidence: float = 0.95
    indicators: dict[str, Indicator] = field(default_factory=dict)

    def pick(self, wanted: str | None, role: str = "any") -> str | None:
        """The indicator a view should show: ``wanted`` when it has a value here, else the first
        indicator that suits the view (``role``: ``"map"`` — values by small area, ``"gradient"`` —
        a slope index of inequality, ``"any"``), else None.

        Notebook parameters name indicators; a user's workbook may not have those in the period,
        so views fall back to what the data has (logging which) rather than failing.
        """
        t = self.table
        has = set(
            t.loc[(t["breakdown"] == "area") & t["value"].notna(), "indicator_id"]
        )
        if wanted and wanted in has:
            return wanted
        if role == "map":
            sa = t[(t["breakdown"] == "small_area") & t["value"].notna()]
            ok = [i for i in self.indicators if i in set(sa["indicator_id"])]
        elif role == "gradient":
            s = self.sii.dropna(subset=["sii"]) if len(self.sii) else self.sii
            q = t[(t["breakdown"] == "imd_quintile") & t["value"].notna()]
            ok = [i for i in self.indicators if len(s) and i in set(s["indicator_id"])]
            ok += [
                i
                for i in self.indicators
                if i in set(q["indicator_id"]) and i not in ok
            ]
        else:
            ok = []
        ok += [i for i in self.indicators if i in has and i not in ok]
        choice = ok[0] if ok else None
        if wanted and choice and choice != wanted:
            _log.warning(
                "'%s' has no value for %s in %s: showing '%s'",
                wanted,
                self.place.name,
                self.period,
                choice,
            )
        return choice

    def for_indicator(self, indicator_id: str, breakdown: str = "area") -> pd.DataFrame:
        """Rows of the table for one indicator and breakdown."""
        t = self.table
        return t[(t["indicator_id"] == indicator_id) & (t["breakdown"] == breakdown)]

    def summary(self) -> pd.DataFrame:
        """One row per indicator (and sex): the place's value, CI, comparator and significance."""
        t = self.table[self.table["breakdown"] == "area"]
        return t[
            [
                "indicator_name",
                "sex",
                "period",
                "numerator",
                "denominator",
                "value",
                "lower_ci",
                "upper_ci",
                "unit",
                "comparator_name",
                "comparator_value",
                "comparison",
                "polarity",
                "is_suppressed",
                "indicator_id",
            ]
        ].reset_index(drop=True)


def place_results(
    place: Place,
    *,
    period: str | None = None,
    indicators: list[str] | None = None,
    confidence: float = 0.95,
    comparator: str | None = None,
    sii_reps: int = 100_000,
    seed: int = 1,
    sii_indicators: list[str] | None = None,
) -> PlaceResults:
    """Compute the result table for one place.

    Parameters
    ----------
    place : Place
        From :meth:`Workspace.place` or :func:`hiworkbook.workspace.load_place`.
    period : str, optional
        Default: the place's period.
    indicators : list of str, optional
        Indicator ids; default every indicator with counts in the period.
    confidence : float, default 0.95
        Confidence level of the intervals and the significance test.
    comparator : str, optional
        Name or code of the comparator the place is tested against; default the first configured
        non-parent comparator (e.g. England), else the parent area.
    sii_reps : int, default 100,000
        Monte-Carlo simulations for the SII confidence interval (PHE's default).
    seed : int, default 1
        Seed for the SII simulation: same inputs and seed give the same numbers.
    sii_indicators : list of str, optional
        Calculate the SII of these indicators only (default every indicator): each indicator's
        SII is simulated from the same seeded draws whichever others are calculated with it,
        so it is the same number. Trends use it for earlier periods, whose SIIs a report shows for
        fewer indicators.

    Returns
    -------
    PlaceResults
    """
    ws = place.workspace
    period = str(period or place.period or ws.default_period)
    area_col = ws.area_col
    have = ws.indicators_with_counts(period)
    wanted = indicators or [i for i in ws.indicators if i in set(have)]
    unknown = [i for i in wanted if i not in ws.indicators]
    if unknown:
        log = ProblemLog()
        for i in unknown:
            log.error(
                f"No indicator is defined with the id '{i}'{did_you_mean(i, ws.indicators)}.",
                fix="Use an id from the workbook's indicator definitions.",
            )
        log.raise_if_errors("place_results")
    primary = _primary(place.comparators, comparator)
    levels = _levels(confidence)

    frames, shown = [], []
    for ind_id in wanted:
        if ind_id not in have:
            continue
        ind = ws.indicators[ind_id]
        res = _indicator_result(place, ind, period, levels, primary)
        if res is None:
            continue
        res = _with_998(res, confidence)
        frames.append(_add_published(res, place.comparators, ind, period))
        shown.append(ind)
    if frames:
        # each indicator's labels on its rows, assigned once for the whole table
        sizes = [len(f) for f in frames]

        def labels(values: list) -> pd.Series:
            return pd.Series(np.repeat(np.array(values, dtype=object), sizes))

        table = pd.concat(frames, ignore_index=True).assign(
            indicator_id=labels([i.id for i in shown]),
            indicator_name=labels([i.name for i in shown]),
            measure=labels([i.measure for i in shown]),
            unit=labels([i.unit for i in shown]),
            period=period,
            polarity=labels([i.polarity for i in shown]),
        )
    else:
        table = pd.DataFrame(columns=RESULT_COLUMNS)
    table = _compare(table, place, primary)
    # The SII summarises a fitted line, not cells, so it uses the quintile values before
    # suppression (as PHE does); it reveals no small count.
    sii_table = table
    if sii_indicators is not None:
        sii_table = table[table["indicator_id"].isin(list(sii_indicators))]
    sii = _sii(sii_table, ws.indicators, sii_reps, seed)
    # small areas inside each quintile add up to the quintile: a linked set for secondary suppression
    quintiles = place.areas.set_index(area_col)["imd_quintile"].dropna().astype(int)
    table = disclosure.apply(
        table,
        ws.config.disclosure,
        nesting={"imd_quintile": quintiles.map(QUINTILE_LABELS).to_dict()},
        place=place,  # one decision across every report of the workspace (run_plan)
    )
    for col in RESULT_COLUMNS:
        if col not in table:
            table[col] = pd.NA
    table = table[RESULT_COLUMNS].reset_index(drop=True)
    dep = _deprivation_profile(place)
    return PlaceResults(
        place=place,
        period=period,
        table=table,
        sii=sii,
        deprivation=dep,
        primary_comparator=primary.name if primary else "",
        confidence=confidence,
        indicators={k: ws.indicators[k] for k in wanted if k in ws.indicators},
    )


# ---------------------------------------------------------------------- building units
def _primary(comparators: list[Comparator], wanted: str | None) -> Comparator | None:
    if wanted:
        for c in comparators:
            if wanted in (c.code, c.name):
                return c
    non_parent = [c for c in comparators if c.area_codes == ()]
    return non_parent[0] if non_parent else (comparators[0] if comparators else None)


def _fill_denominators(
    c: pd.DataFrame,
    population: pd.DataFrame,
    area_col: str,
    period: str,
    ind: Indicator,
) -> pd.DataFrame:
    """Take missing denominators from the population table.

    Event extracts (deaths, admissions) usually list only the events. Where denominators are
    missing they come from the population of the same area, sex and age band, in the counts'
    period or the latest population before it (or the earliest after it). For directly
    standardised rates the age bands with no row are events of zero: the grid of every area × sex
    × band comes from the population, as PHE's method requires every band.
    """
    if "denominator" in c and c["denominator"].notna().all():
        return c
    if population.empty:
        return c
    periods = sorted(population["period"].astype(str).unique())
    use = period if period in periods else nearest_period(period, periods)
    pop = population[population["period"].astype(str) == use]
    shape = (False, set(c["sex"]) == {"persons"}, set(c["age_band"]) == {"all"})
    return _fill_from(c, pop, area_col, period, ind, shape)


def _fill_from(
    c: pd.DataFrame,
    pop: pd.DataFrame,
    area_col: str,
    period: str,
    ind: Indicator,
    shape: tuple[bool, bool, bool],
) -> pd.DataFrame:
    """:func:`_fill_denominators` with the population of the period to use (``pop``) and the
    shape of the indicator's counts (complete, persons only, all ages only) given."""
    complete, persons_only, all_ages = shape
    if complete:
        return c
    keys = [area_col, "sex", "age_band"]
    if persons_only:
        pop = (
            pop.groupby([area_col, "age_band"], as_index=False)["population"]
            .sum()
            .assign(sex="persons")
        )
    if all_ages:
        pop = (
            pop.groupby([area_col, "sex"], as_index=False)["population"]
            .sum()
            .assign(age_band="all")
        )
    known = c[c["denominator"].notna()]
    missing = c[c["denominator"].isna()]
    if ind.measure == "dsr":
        bands = list(ind.age_bands) or list(stats.ESP2013.index)
        grid = pop[pop["age_band"].isin(bands)][keys + ["population"]]
        sums = missing.groupby(keys, as_index=False)["numerator"].sum()
        filled = grid.merge(sums, on=keys, how="left").assign(
            indicator_id=ind.id, period=period, ethnic_group="all"
        )
        filled["numerator"] = filled["numerator"].fillna(0)
    else:
        filled = missing.merge(pop[keys + ["population"]], on=keys, how="left")
    filled["denominator"] = filled["population"]
    filled = filled.drop(columns="population")
    return pd.concat([known, filled[c.columns]], ignore_index=True)


def counts_filled(
    ws: Workspace, period: str, ind: Indicator, areas: Iterable[str] | None = None
) -> pd.DataFrame:
    """An indicator's count rows of one period and some small areas, missing denominators
    filled from the population.

    The rows of :meth:`Workspace.counts_for` with :func:`_fill_denominators` applied, but
    reading only the rows of ``areas``: whether denominators are missing, and whether the counts
    are for persons or all ages only, is decided on the indicator's rows of every area (once
    per workspace, :meth:`Workspace.memo`), so the rows returned for ``areas`` are those the
    whole table gives for them.

    Parameters
    ----------
    ws : Workspace
    period : str
    ind : Indicator
    areas : iterable of str, optional
        Small-area codes; default every area.

    Returns
    -------
    pandas.DataFrame
    """
    period = str(period)
    c = ws.counts_for(period, ind.id, areas)
    shape = ws.counts_shape(period, ind.id)
    if shape[0] or ws.population.empty:
        return c
    periods = ws.population_periods
    use = period if period in periods else nearest_period(period, periods)
    pop = ws.population_for(use, areas)
    return _fill_from(c, pop, ws.area_col, period, ind, shape)


def _indicator_result(
    place: Place,
    ind: Indicator,
    period: str,
    levels: list[float],
    primary: Comparator | None,
) -> pd.DataFrame | None:
    """One indicator's rows of the result table (before significance and suppression): the
    place, its quintiles, ethnic groups and small areas, and its aggregate comparators.

    The same rows, in the same order, as one :func:`_calculate` over every unit: the
    comparators' rows (shared by every place with the same comparators, so computed once per
    workspace, :meth:`Workspace.memo`) sit between the place's "area" rows and its
    breakdowns, where the sorted groups of one call put them.
    """
    ws = place.workspace
    area_col = ws.area_col
    comps = [comp for comp in place.comparators if comp.kind == "aggregate"]
    # a batch run computes every place's own rows at once before its reports (level_results)
    own = (
        None
        if ind.measure == "isratio"
        else level_results.stored(place, ind, period, levels)
    )
    units: list[pd.DataFrame] = []
    if own is None:
        c = counts_filled(ws, period, ind, place.areas[area_col])
        # only what the units and the PHE methods read: fewer columns to copy at every step
        keep = [area_col, "sex", "age_band", "ethnic_group", "numerator", "denominator"]
        c = c[[k for k in keep if k in c]]
        units = _units(c, place, area_col, ind)

    def rows(comp: Comparator) -> pd.DataFrame | None:
        # a comparator's labelled count rows: made when its values are, and not kept
        if comp.area_codes:
            cc = counts_filled(ws, period, ind, comp.area_codes)
        else:
            cc = ws.counts.iloc[:0]  # the comparator's own counts are used
        return _comparator_units(cc, comp, area_col, period, ind.id)

    def ckey(comp: Comparator) -> tuple:
        return (period, ind, comp.code, comp.name, comp.area_codes)

    reference = None
    shared = True  # the comparators' values do not depend on the place
    if ind.measure == "isratio":
        # expected counts from the primary comparator's rates (the first of its units with
        # rows, as _reference_counts picks), else from the place's own
        code = primary.code if primary is not None else None
        own_ref = code is not None and any(
            len(u) and (u["area_code"] == code).all() for u in units
        )
        if code is not None and not own_ref:
            for comp in comps:
                if comp.code != code:
                    continue
                reference = ws.memo(
                    ("comparator_reference", *ckey(comp)),
                    lambda comp=comp: _reference_of(rows(comp), primary),
                )
                if reference is not None:
                    break
        if reference is None:
            shared = False
            reference = _reference_counts(units, primary)
    if own is None:
        own = _calculate(pd.concat(units, ignore_index=True), ind, levels, reference)
    parts = []
    for comp in comps:

        def build(comp: Comparator = comp) -> pd.DataFrame | None:
            if reference is None:  # a batch run computes its places' parents at once
                hit = level_results.stored_comparator(ws, comp, ind, period, levels)
                if hit is not None:
                    return hit
            cu = rows(comp)
            return None if cu is None else _calculate(cu, ind, levels, reference)

        key = ("comparator_result", *ckey(comp), tuple(levels), primary)
        res = ws.memo(key, build) if shared else build()
        if res is not None:
            parts.append(res)

    def combined() -> pd.DataFrame | None:
        if not parts:
            return None
        both = pd.concat(parts, ignore_index=True)
        return both.sort_values(_GROUPS, kind="stable", na_position="last")

    # the places with the same comparators (an ICB's LTLAs) share their sorted rows too
    comp_res = (
        ws.memo(
            ("comparator_rows", *(ckey(c) for c in comps), tuple(levels), primary),
            combined,
        )
        if shared
        else combined()
    )
    if comp_res is None:
        return own
    first = (own["breakdown"] <= "comparator").to_numpy(dtype=bool, na_value=False)
    k = int(first.sum())
    # sorted groups: the place's own rows lead, so slices (no copies)
    if first[:k].all():
        head, tail = own.iloc[:k], own.iloc[k:]
    else:
        head, tail = own[first], own[~first]
    return pd.concat([head, comp_res, tail], ignore_index=True)


def _reference_of(
    cu: pd.DataFrame | None, primary: Comparator | None
) -> pd.DataFrame | None:
    """The reference counts of a comparator's rows, None when it has none."""
    if cu is None or not len(cu):
        return None
    return _reference_counts([cu], primary)


def _units(
    c: pd.DataFrame, place: Place, area_col: str, ind: Indicator
) -> list[pd.DataFrame]:
    """The place, its quintiles, its ethnic groups and its small areas as labelled count rows."""
    areas = place.areas
    mine = c[c[area_col].isin(areas[area_col])]
    total = mine[mine["ethnic_group"] == "all"] if "ethnic_group" in mine else mine
    out = [
        total.assign(
            breakdown="area", category="All", area_code=place.code, area_name=place.name
        )
    ]
    quint = areas.set_index(area_col)["imd_quintile"]
    q = total.assign(q=total[area_col].map(quint)).dropna(subset=["q"])
    out.append(
        q.assign(
            breakdown="imd_quintile",
            category=q["q"].astype(int).map(QUINTILE_LABELS),
            area_code=place.code,
            area_name=place.name,
        ).drop(columns="q")
    )
    if "ethnic_group" in ind.breakdowns and "ethnic_group" in mine:
        eth = mine[mine["ethnic_group"] != "all"]
        if len(eth):
            out.append(
                eth.assign(
                    breakdown="ethnic_group",
                    category=eth["ethnic_group"],
                    area_code=place.code,
                    area_name=place.name,
                )
            )
    names = areas.set_index(area_col)["area_name"]
    out.append(
        total.assign(
            breakdown="small_area",
            category=total[area_col],
            area_code=total[area_col],
            area_name=total[area_col].map(names),
        )
    )
    return out


def _comparator_units(
    c: pd.DataFrame, comp: Comparator, area_col: str, period: str, ind_id: str
) -> pd.DataFrame | None:
    if comp.kind != "aggregate":
        return None
    if comp.area_codes:
        sub = c[c[area_col].isin(comp.area_codes)]
    elif comp.counts is not None:
        cc = comp.counts
        sub = cc[(cc["indicator_id"] == ind_id) & (cc["period"].astype(str) == period)]
    else:
        return None
    if "ethnic_group" in sub:
        sub = sub[sub["ethnic_group"] == "all"]
    if sub.empty:
        return None
    return sub.assign(
        breakdown="comparator",
        category=comp.name,
        area_code=comp.code,
        area_name=comp.name,
    )


# ---------------------------------------------------------------------- statistics
def _levels(confidence: float) -> list[float]:
    """The report's level and 99.8% (once), for one vectorised call of a PHE method."""
    c = float(confidence) / (100 if confidence >= 50 else 1)
    return [c] if round(c, 10) == LEVEL_998 else [c, LEVEL_998]


def _with_998(res: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Rename the two levels' limits to ``lower_ci``/``upper_ci`` (the report's level) and
    ``lower_ci_998``/``upper_ci_998``; ``confidence`` stays the report's level."""
    from hiworkbook.stats._common import level_suffix

    c = _levels(confidence)[0]
    lo, hi = f"lower_ci_{level_suffix(c)}", f"upper_ci_{level_suffix(c)}"
    lo8, hi8 = (f"{b}_ci_{level_suffix(LEVEL_998)}" for b in ("lower", "upper"))
    res = res.copy(deep=False)  # copy-on-write: the caller's frame is never changed
    if lo in res and lo8 in res:  # two levels computed
        res = res.rename(
            columns={
                lo: "lower_ci",
                hi: "upper_ci",
                lo8: "lower_ci_998",
                hi8: "upper_ci_998",
            }
        )
    elif "lower_ci" in res:  # the report's level is 99.8%
        res["lower_ci_998"], res["upper_ci_998"] = res["lower_ci"], res["upper_ci"]
    res["confidence"] = c
    return res


_GROUPS = ["breakdown", "category", "area_code", "area_name"]


def _key_categorical(parts: list[tuple[np.ndarray, np.ndarray]]) -> pd.Categorical:
    """A group-key column for :func:`_calculate` as a categorical, from parts of (labels, index
    into the labels): sorted categories, so the PHE methods' groupbys work on codes in the
    group order text keys give (``pd.factorize(..., sort=True)``); a missing label, or an index
    of -1, is a missing value. :func:`_keys_as_text` turns the result's keys back into text."""
    every = pd.Index(np.concatenate([lab for lab, _ in parts])).dropna().unique()
    cats = every.sort_values()
    # index -1 picks the -1 appended: a missing value
    codes = [np.append(cats.get_indexer(pd.Index(lab)), -1)[idx] for lab, idx in parts]
    return pd.Categorical.from_codes(np.concatenate(codes), categories=cats)


def _keys_as_text(res: pd.DataFrame) -> pd.DataFrame:
    """The group keys of a :func:`_calculate` result made from :func:`_key_categorical`
    columns as text again (in place; returns ``res``)."""
    for col in _GROUPS:
        if isinstance(res[col].dtype, pd.CategoricalDtype):
            res[col] = pd.array(res[col].to_numpy(dtype=object), dtype="str")
    return res


def _key_ids(table: pd.DataFrame, cols: list[str]) -> np.ndarray:
    """Each row's group by ``cols``, numbered 0, 1, … in order of first appearance (a missing
    value a value of its own, as ``groupby(dropna=False, sort=False)``)."""
    ids = np.zeros(len(table), dtype=np.int64)
    for col in cols:
        codes, uniq = pd.factorize(table[col], use_na_sentinel=False)
        ids = ids * (len(uniq) + 1) + codes
        ids, _ = pd.factorize(ids)  # renumbered by first appearance: never overflows
    return ids


def _reference_counts(
    units: list[pd.DataFrame], primary: Comparator | None
) -> pd.DataFrame | None:
    """Events and population by age band of the reference area of an indirectly standardised
    ratio: the primary comparator (England, as Fingertips' SMRs and SARs use), else the place."""
    ref = None
    if primary is not None:
        ref = next(
            (u for u in units if len(u) and (u["area_code"] == primary.code).all()),
            None,
        )
    if ref is None:
        ref = units[0]
    ref = ref.assign(
        numerator=pd.to_numeric(ref["numerator"]),
        denominator=pd.to_numeric(ref["denominator"]),
    )
    return (
        ref.groupby("age_band", as_index=False)[["numerator", "denominator"]]
        .sum()
        .rename(columns={"numerator": "ref_x", "denominator": "ref_n"})
    )


def _calculate(
    data: pd.DataFrame,
    ind: Indicator,
    confidence: float,
    reference: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One vectorised call of the indicator's PHE method over every unit."""
    # a new frame over the caller's columns (copy-on-write): the counts are not copied
    data = data.assign(
        numerator=pd.to_numeric(data["numerator"]),
        denominator=pd.to_numeric(data["denominator"]),
    )
    if ind.measure == "isratio":
        grouped = data.groupby(_GROUPS + ["age_band"], as_index=False)[
            ["numerator", "denominator"]
        ].sum()
        res = stats.isratio(
            grouped,
            x="numerator",
            n="denominator",
            age_band="age_band",
            reference=reference,
            group_by=_GROUPS,
            multiplier=ind.multiplier,
            confidence=confidence,
        )
        res = res.rename(columns={"observed": "numerator", "expected": "denominator"})
        return res.assign(sex=ind.sexes[0] if len(ind.sexes) == 1 else "persons")
    if ind.measure == "life_expectancy":
        le = stats.life_expectancy(
            data.groupby(_GROUPS + ["sex", "age_band"], as_index=False)[
                ["numerator", "denominator"]
            ].sum(),
            deaths="numerator",
            population="denominator",
            age_band="age_band",
            group_by=_GROUPS + ["sex"],
            confidence=confidence,
        )
        le = le[le["age_band"] == "0"].drop(columns=["age_band"])
        deaths = data.groupby(_GROUPS + ["sex"], as_index=False)[
            ["numerator", "denominator"]
        ].sum()
        le = le.drop(
            columns=[c for c in ("numerator", "denominator") if c in le]
        ).merge(deaths, on=_GROUPS + ["sex"], how="left")
        return le
    # persons (or the single sex the indicator covers): sum over sex first
    sex = ind.sexes[0] if len(ind.sexes) == 1 else "persons"
    if ind.measure == "dsr":
        grouped = data.groupby(_GROUPS + ["age_band"], as_index=False)[
            ["numerator", "denominator"]
        ].sum()
        bands = list(ind.age_bands) or list(stats.ESP2013.index)
        grouped = grouped[grouped["age_band"].isin(bands)]
        res = stats.dsr(
            grouped,
            x="numerator",
            n="denominator",
            age_band="age_band",
            group_by=_GROUPS,
            standard=stats.ESP2013.loc[bands],
            multiplier=ind.multiplier,
            confidence=confidence,
        )
    else:
        grouped = data.groupby(_GROUPS, as_index=False)[
            ["numerator", "denominator"]
        ].sum()
        fn = stats.proportion if ind.measure == "proportion" else stats.rate
        res = fn(
            grouped,
            x="numerator",
            n="denominator",
            group_by=_GROUPS,
            multiplier=ind.multiplier,
            confidence=confidence,
        )
    return res.assign(sex=sex)


def _add_published(
    res: pd.DataFrame, comparators: list[Comparator], ind: Indicator, period: str
) -> pd.DataFrame:
    """Add rows for comparators whose values are published (e.g. a Fingertips export)."""
    rows = []
    for comp in comparators:
        if comp.kind != "published" or comp.values is None:
            continue
        v = comp.values
        v = v[
            (v["indicator_id"].astype(str) == ind.id)
            & (v["period"].astype(str) == period)
        ]
        for _, r in v.iterrows():
            rows.append(
                {
                    "breakdown": "comparator",
                    "category": comp.name,
                    "area_code": comp.code,
                    "area_name": comp.name,
                    "sex": str(r.get("sex", "persons")).lower(),
                    "value": r["value"],
                    "lower_ci": r.get("lower_ci_95"),
                    "upper_ci": r.get("upper_ci_95"),
                    "lower_ci_998": r.get("lower_ci_99_8"),
                    "upper_ci_998": r.get("upper_ci_99_8"),
                    "numerator": r.get("numerator"),
                    "denominator": r.get("denominator"),
                    "method": "published value",
                    "confidence": 0.95,
                }
            )
    return pd.concat([res, pd.DataFrame(rows)], ignore_index=True) if rows else res


def _compare(
    table: pd.DataFrame, place: Place, primary: Comparator | None
) -> pd.DataFrame:
    """Fingertips comparison: the place and other comparators against the primary comparator;
    breakdown rows (quintiles, ethnic groups, small areas) against the place's own value."""
    if table.empty:
        return table
    table = table.reset_index(drop=True)
    # each row's own and primary comparator values: the value of the first row of the same
    # indicator and sex among the place's rows / the primary comparator's rows, by key number
    # (a merge per lookup cost most of this call)
    key = _key_ids(table, ["indicator_id", "sex"])
    bd = table["breakdown"].to_numpy(dtype=object)
    area = table["area_code"].to_numpy(dtype=object)
    values = table["value"].to_numpy(dtype=float, na_value=np.nan)

    def matched(rows: np.ndarray) -> np.ndarray:
        pos = np.flatnonzero(rows)
        firsts, at = np.unique(key[pos], return_index=True)
        ref = np.full(int(key.max()) + 1 if len(key) else 0, np.nan)
        ref[firsts] = values[pos[at]]
        return ref[key]

    own = matched(bd == "area")
    if primary is not None:
        prim = matched((bd == "comparator") & (area == primary.code))
    else:
        prim = np.full(len(table), np.nan)
    vs_primary = (bd == "area") | (bd == "comparator")
    is_self = vs_primary & (area == (primary.code if primary else ""))
    table["comparator_value"] = np.where(
        is_self, np.nan, np.where(vs_primary, prim, own)
    )
    table["comparator_name"] = np.where(
        is_self, "", np.where(vs_primary, primary.name if primary else "", place.name)
    )
    table["comparator_code"] = np.where(
        is_self, "", np.where(vs_primary, primary.code if primary else "", place.code)
    )

    def floats(col: str) -> np.ndarray:
        if col not in table:
            return np.full(len(table), np.nan)
        return table[col].astype(float).to_numpy()

    value, comparator = floats("value"), floats("comparator_value")
    polarity = table["polarity"]
    for col, lo, hi in (
        ("comparison", "lower_ci", "upper_ci"),
        ("comparison_998", "lower_ci_998", "upper_ci_998"),
    ):
        lower, upper = floats(lo), floats(hi)
        words = np.full(len(table), "not compared", dtype=object)
        for pol in polarity.dropna().unique():  # Fingertips' words for each polarity
            rows = (polarity == pol).to_numpy()
            words[rows] = stats.compare(
                value[rows], lower[rows], upper[rows], comparator[rows], polarity=pol
            )
        table[col] = pd.array(words, dtype="str")
    for c in ("lower_ci_998", "upper_ci_998"):
        if c not in table:
            table[c] = np.nan
    return table


def _sii(
    table: pd.DataFrame, indicators: dict[str, Indicator], reps: int, seed: int
) -> pd.DataFrame:
    q = table[(table["breakdown"] == "imd_quintile") & table["value"].notna()].copy()
    cols = [
        "indicator_id",
        "sex",
        "sii",
        "lower_ci",
        "upper_ci",
        "rii",
        "rii_lower_ci",
        "rii_upper_ci",
        "quintiles_used",
        "value_note",
    ]
    if q.empty:
        return pd.DataFrame(columns=cols)
    q["quintile"] = q["category"].map({v: k for k, v in QUINTILE_LABELS.items()})
    frames = []
    for vt, sub in q.groupby(q["measure"].map(_VALUE_TYPE)):
        mult = sub["indicator_id"].map(lambda i: indicators[i].multiplier)
        for m, part in sub.groupby(mult):
            res = inequality.sii(
                part,
                value="value",
                lower_ci="lower_ci",
                upper_ci="upper_ci",
                population="denominator",
                quantile="quintile",
                group_by=["indicator_id", "sex"],
                value_type=int(vt),
                multiplier=float(m),
                rii=True,
                reps=reps,
                seed=seed,
            )
            frames.append(res)
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    return out.rename(columns={"value": "sii"})


def _deprivation_profile(place: Place) -> pd.DataFrame:
    a = place.areas
    pop = (
        a.groupby("imd_quintile")["population"].sum().reindex(range(1, 6), fill_value=0)
    )
    areas = a.groupby("imd_quintile").size().reindex(range(1, 6), fill_value=0)
    total = pop.sum()
    return pd.DataFrame(
        {
            "imd_quintile": range(1, 6),
            "label": [QUINTILE_LABELS[i] for i in range(1, 6)],
            "small_areas": areas.to_numpy(),
            "population": pop.to_numpy(),
            "share": (pop / total).to_numpy() if total else np.nan,
        }
    )


def small_area_frame(results: PlaceResults, indicator_id: str) -> pd.DataFrame:
    """The place's small areas (geometry included) with one indicator's value, CI and suppression.

    Parameters
    ----------
    results : PlaceResults
    indicator_id : str

    Returns
    -------
    geopandas.GeoDataFrame
        The place's areas with ``value``, ``lower_ci``, ``upper_ci``, ``numerator``,
        ``denominator`` and ``is_suppressed`` (persons, or the first sex reported).
    """
    ws = results.place.workspace
    sa = results.for_indicator(indicator_id, "small_area")
    if len(sa):
        sex = "persons" if "persons" in set(sa["sex"]) else sorted(set(sa["sex"]))[0]
        sa = sa[sa["sex"] == sex]
    cols = [
        "value",
        "lower_ci",
        "upper_ci",
        "numerator",
        "denominator",
        "is_suppressed",
        "value_note",
    ]
    vals = sa.set_index("area_code")[cols]
    out = results.place.areas.join(vals, on=ws.area_col)
    out["is_suppressed"] = out["is_suppressed"].fillna(False).astype(bool)
    return out
