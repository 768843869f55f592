"""What a workbook's data can fill, and which files would fill the rest.

Analysts start from whatever data they have on the day — often only boundaries, deprivation, a
population and a lookup. A report made from that is still useful (residents, the Core20 share and
where they live, the deprivation map and quintile table); each section the data cannot fill is
replaced by one sentence naming the files that would fill it (:func:`missing_section`), and
``hiworkbook validate`` lists the same gaps before any report is made (:func:`data_gaps`).

:func:`check_place_coverage` warns when a place's small areas in the lookup are missing from the
boundaries, the deprivation file or the population: a report for such a place would silently
describe part of it.
"""

from __future__ import annotations

from html import escape
from typing import Any

import pandas as pd

from hiworkbook.narrative import HTMLFragment
from hiworkbook.validate import ProblemLog, format_values

__all__ = ["SECTIONS", "missing_section", "data_gaps", "check_place_coverage"]

COUNTS_FILES = (
    "counts files under <code>[files] counts</code> in workbook.toml (event counts by LSOA: "
    "a tidy CSV or Excel sheet of deaths, admissions or registers, or Census 2021 tables; "
    "see docs/data.md)"
)
SECTIONS = ("indicators", "map", "gradient", "ethnicity", "table", "comparator")


def _indicator_note(results: Any, wanted: str | None) -> str:
    if not wanted:
        return ""
    ind = getattr(results, "indicators", {}).get(wanted)
    name = ind.name if ind is not None else wanted
    return f" ({escape(name)}, named in the report's parameters, has none)"


def missing_section(
    results: Any, section: str, wanted: str | None = None
) -> HTMLFragment:
    """One sentence in place of a report section the data cannot fill, naming the files that
    would fill it.

    Parameters
    ----------
    results : hiworkbook.results.PlaceResults
    section : {"indicators", "map", "gradient", "ethnicity", "table", "comparator"}
        The section: the headline's comparison, the indicator map, the gradient chart, the
        ethnicity charts, the indicator table, or the comparison with a comparator.
    wanted : str, optional
        The indicator the report's parameters asked for, named in the sentence.

    Returns
    -------
    HTMLFragment
        A ``<p class="hiw-missing">`` paragraph (user text escaped).
    """
    if section not in SECTIONS:
        raise ValueError(f"section must be one of {SECTIONS}, not {section!r}")
    place = escape(str(results.place.name))
    period = escape(str(results.period))
    has_any = bool(len(results.table)) and (results.table["breakdown"] == "area").any()
    note = _indicator_note(results, wanted)
    if section in ("indicators", "table") or not has_any:
        what = {
            "indicators": "so this report shows its population and deprivation only",
            "table": "so there are no indicators to tabulate",
            "map": "so there is no indicator to map by neighbourhood",
            "gradient": "so there is no indicator to chart by deprivation quintile",
            "ethnicity": "so there is no indicator to show by ethnic group",
            "comparator": "so there is nothing to compare",
        }[section]
        if section == "indicators":
            text = (
                f"No indicator has counts for {place} in {period}, {what}. "
                f"Add {COUNTS_FILES} to fill the indicator sections; counts without "
                "denominators take them from the population file "
                "(<code>[files] population</code>)."
            )
        else:
            text = (
                f"No indicator has counts for {place} in {period}, {what}: counts by LSOA "
                "under <code>[files] counts</code> in workbook.toml would fill it."
            )
    elif section == "map":
        text = (
            f"No indicator has values by neighbourhood for {place} in {period}{note}. "
            f"Counts by LSOA ({COUNTS_FILES}) would be mapped here."
        )
    elif section == "gradient":
        text = (
            f"No indicator has values by national deprivation quintile for {place} in "
            f"{period}{note}. Counts by LSOA ({COUNTS_FILES}) would be charted here by "
            "quintile, with the slope index of inequality."
        )
    elif section == "ethnicity":
        text = (
            f"No indicator in this report has counts by ethnic group for {period}{note}. "
            "Counts with an <code>ethnic_group</code> column (ONS broad groups) for an indicator "
            "defined with that breakdown — and, for rates, a population by ethnic group "
            "(<code>[files] population_ethnicity</code>) — would show here the breakdown NHS "
            "England asks for beside deprivation."
        )
    else:  # comparator
        text = (
            f"{place}'s indicators are not compared with another area: the workbook has no "
            "comparator with values for them. Set <code>[comparators] parent = true</code> "
            "(each place against its parent, e.g. an LTLA against its ICB), or add England's "
            "values from a Fingertips export (<code>[comparators.england]</code> with "
            '<code>fingertips = "…"</code>) or national counts (<code>counts = "…"</code>).'
        )
    return HTMLFragment(f'<p class="hiw-missing">{text}</p>')


def data_gaps(ws: Any) -> list[str]:
    """What reports made from a workbook will lack, and which file would fill each gap.

    Parameters
    ----------
    ws : hiworkbook.workspace.Workspace

    Returns
    -------
    list of str
        Plain-text sentences (empty when nothing optional is missing), for ``hiworkbook
        validate``.
    """
    out: list[str] = []
    files = ws.config.files
    counts = ws.counts
    if counts is None or counts.empty:
        out.append(
            "No counts: reports will show residents, the Core20 share and where they live, the "
            "deprivation map and the quintile table, but no indicators — no indicator map, "
            "gradient chart, ethnicity charts or indicator table (each says so in one sentence). "
            "Add counts files under [files] counts (tidy CSV/Excel of events by LSOA, or Census "
            "2021 tables) to fill them."
        )
    else:
        if "ethnic_group" not in counts or (counts["ethnic_group"] == "all").all():
            out.append(
                "No counts by ethnic group: the Ethnicity section will say so. Add counts with "
                "an ethnic_group column (and [files] population_ethnicity for rates) to fill it."
            )
        if len(ws.periods) == 1:
            out.append(
                f"Counts for one period only ({ws.periods[0]}): reports describe that period; "
                "counts for earlier periods would allow comparisons over time."
            )
    if ws.population is None or ws.population.empty:
        out.append(
            "No population: residents and the Core20 share cannot be counted and counts need "
            "their own denominators. Add an ONS mid-year estimate under [files] population."
        )
    if not ws.comparators and not ws.config.compare_with_parent:
        out.append(
            "No comparator: indicators will not be compared with another area. Set "
            "[comparators] parent = true or add England's values ([comparators.england] with a "
            "Fingertips export or national counts)."
        )
    if "lookup" not in files:
        out.append(
            "No lookup: places come from the boundaries' own fields only. Add an ONS lookup "
            "under [files] lookup to report by LTLA, ICB or ward."
        )
    return out


def check_place_coverage(
    areas: pd.DataFrame,
    lookup: pd.DataFrame | None,
    area_col: str,
    levels: tuple[str, ...] | list[str],
    log: ProblemLog,
    *,
    deprivation: pd.DataFrame | None = None,
    population: pd.DataFrame | None = None,
    files: dict[str, str] | None = None,
) -> None:
    """Warn when a place's small areas in the lookup are missing from the boundaries, the
    deprivation file or the population.

    A place counts when at least one of its small areas is in the boundaries (a national lookup
    read for one district names every other district too; those are not reported). For each such
    place, the lookup's small areas of that place that the boundaries (or the deprivation file,
    or the population) lack are listed in one warning with the place's name, how many, some
    codes, and the fix.

    Parameters
    ----------
    areas : pandas.DataFrame
        The boundaries' small areas (``area_col``).
    lookup : pandas.DataFrame or None
        The lookup, with ``area_col`` and ``<level>_code`` (and ``<level>_name``) columns.
    area_col : str
    levels : sequence of str
        The configured place levels.
    log : ProblemLog
    deprivation, population : pandas.DataFrame, optional
        With ``area_col``.
    files : dict, optional
        File labels by config key, for messages.
    """
    if lookup is None or area_col not in lookup:
        return
    files = files or {}

    def as_text(codes: pd.Series) -> set[str]:
        # distinct values first: a population table has millions of rows
        return set(pd.Series(codes.unique(), dtype=object).astype(str))

    have = {
        "boundaries": as_text(areas[area_col]),
    }
    if deprivation is not None and area_col in deprivation:
        have["deprivation"] = as_text(deprivation[area_col])
    if population is not None and len(population) and area_col in population:
        have["population"] = as_text(population[area_col])
    in_boundaries = have["boundaries"]
    for lv in levels:
        code_col, name_col = f"{lv}_code", f"{lv}_name"
        if code_col not in lookup:
            continue
        lk = lookup[[area_col, code_col, *([name_col] if name_col in lookup else [])]]
        lk = lk.dropna(subset=[code_col]).drop_duplicates(area_col)
        lk = lk.assign(**{area_col: lk[area_col].astype(str)})
        shown = set(lk[lk[area_col].isin(in_boundaries)][code_col])
        for code, mine in lk[lk[code_col].isin(shown)].groupby(code_col, sort=True):
            name = str(mine[name_col].iloc[0]) if name_col in mine else str(code)
            place_codes = set(mine[area_col])
            for key, codes in have.items():
                # areas missing from the boundaries are reported once, under the boundaries
                universe = (
                    place_codes if key == "boundaries" else place_codes & in_boundaries
                )
                missing = sorted(universe - codes)
                if not missing:
                    continue
                n, total = len(missing), len(mine)
                label = files.get(key, key)
                fix = {
                    "boundaries": "Use a boundaries file covering the whole place (e.g. ONS's "
                    "LSOA boundaries for all of England, or clipped to the whole district); "
                    "otherwise its report describes only the areas the boundaries have.",
                    "deprivation": "Use the IoD file for all of England (IoD2019 File 1 or "
                    "IoD2025 File 7) of the same LSOA vintage.",
                    "population": "Use the ONS mid-year estimate for all LSOAs of the place, "
                    "of the same LSOA vintage.",
                }[key]
                log.warning(
                    f"{name} ({code}) has {total} small areas in the lookup but {n} of them "
                    f"{'are' if n != 1 else 'is'} not in the {key} file {label}: "
                    f"{format_values(missing, 5)}. Its report would describe only part of it.",
                    file=label,
                    fix=fix,
                )
