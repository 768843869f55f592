"""Event counts by small area (deaths, admissions, cases …) into the canonical counts table.

The tidy layout is ``indicator_id, period, {area}, sex, age_band, ethnic_group, numerator,
denominator`` (CSV or Excel); only the area and the numerator are always needed: ``indicator_id``
and ``period`` may come from options, ``sex`` defaults to ``"persons"``, ``age_band`` and
``ethnic_group`` to ``"all"`` and ``denominator`` to NA (taken from the population later). Common
alternative names are understood (``count``, ``deaths``, ``year``, ``gender``, ``age_group`` …).

Checks: negative or fractional counts, numerators above denominators for proportions, duplicate
rows, unknown age-band labels and sex values, unknown indicators, area codes and vintages.
A Census 2021 table is read by :func:`hiworkbook.io.census.load_census` (``format = "census"``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from hiworkbook.io._read import (
    ESP2013_BANDS,
    LE_BANDS,
    ROW,
    as_objects,
    by_value,
    clean_codes,
    label_for,
    normalise_age_band,
    normalise_period,
    normalise_sex,
    read_table,
    resolve_columns,
    to_numbers,
)
from hiworkbook.io.population import AREA_ALIASES, _to_workbook_vintage
from hiworkbook.validate import ProblemLog, did_you_mean, format_values

__all__ = ["load_counts", "COUNTS_COLUMNS", "AGE_BANDS"]

COUNTS_COLUMNS = (
    "indicator_id",
    "period",
    "sex",
    "age_band",
    "ethnic_group",
    "numerator",
    "denominator",
)
#: Age band labels counts may use: ESP 2013 bands, life-expectancy bands and "all".
AGE_BANDS = tuple(dict.fromkeys((*ESP2013_BANDS, *LE_BANDS, "all")))
_WANTED = {
    "indicator_id": ("indicator", "indicatorid", "indicator_code", "measure_id"),
    "period": ("year", "time_period", "financial_year", "time period", "date"),
    "sex": ("gender", "sex_name"),
    "age_band": ("ageband", "age_group", "agegroup", "age"),
    "ethnic_group": ("ethnicity", "ethnic group", "ethnic_category"),
    "numerator": (
        "count",
        "events",
        "deaths",
        "admissions",
        "cases",
        "n",
        "value",
        "observation",
    ),
    "denominator": ("denom", "population", "pop", "total"),
}


def load_counts(
    path: str | Path,
    *,
    log: ProblemLog,
    label: str | None = None,
    vintage: int | None = None,
    indicators: Mapping[str, object] | None = None,
    indicator_id: str | None = None,
    period: str | int | None = None,
    sex: str | None = None,
    measure: str | None = None,
    columns: dict[str, str] | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    area_col: str | None = None,
    best_fit_lookup: str | Path | pd.DataFrame | None = None,
    format: str | None = None,  # noqa: A002 - the config's word
    **options: object,
) -> pd.DataFrame | None:
    """Read event counts into the canonical counts table.

    Parameters
    ----------
    path : str or Path
        CSV (optionally gzipped) or Excel.
    log : ProblemLog
        Where problems are recorded.
    label : str, optional
        The file's name as the user wrote it.
    vintage : {2011, 2021}, optional
        The workbook's LSOA vintage. Counts of the other vintage are converted when
        ``best_fit_lookup`` is given, else it is an error.
    indicators : mapping, optional
        Known indicators by id (:func:`hiworkbook.indicators.load_indicators`); unknown ids are
        errors, and each indicator's ``measure`` decides whether numerators may exceed denominators.
    indicator_id, period, sex : str, optional
        Values for every row when the file has no such column.
    measure : str, optional
        ``"proportion"`` makes numerator > denominator an error for every row (overrides ``indicators``).
    columns : dict, optional
        Explicit column names: keys ``area``, ``indicator_id``, ``period``, ``sex``, ``age_band``,
        ``ethnic_group``, ``numerator``, ``denominator``.
    sheet, header_row : optional
        Excel sheet (name or number from 1) and header row.
    area_col : str, optional
        The output name of the area column for non-LSOA counts (e.g. ``"area_code"`` for a
        comparator's aggregate counts); skips LSOA vintage checks.
    best_fit_lookup : path or DataFrame, optional
        ONS LSOA 2011 → 2021 best-fit lookup for converting counts of the other vintage.
    format : {"counts", "census"}, optional
        ``"census"`` reads a Census 2021 table (see :func:`hiworkbook.io.census.load_census`; the
        census options are passed through). Also chosen when ``numerator_categories`` is given.

    Returns
    -------
    pandas.DataFrame or None
        ``indicator_id``, ``period``, ``{area}``, ``sex``, ``age_band``, ``ethnic_group``,
        ``numerator`` (Int64), ``denominator`` (float, NA = from population).
    """
    if format == "census" or "numerator_categories" in options:
        from hiworkbook.io.census import load_census

        return load_census(
            path,
            log=log,
            label=label,
            vintage=vintage,
            indicator_id=indicator_id,
            period=period,
            sheet=sheet,
            header_row=header_row,
            area_col=area_col,
            columns=columns,
            best_fit_lookup=best_fit_lookup,
            **options,
        )
    label = label_for(path, label)
    if format not in (None, "counts"):
        log.error(f"format = '{format}' is not 'counts' or 'census'.", file=label)
        return None
    for k in options:
        if not str(k).startswith("_"):
            log.warning(
                f"the option '{k}' is not used when reading counts{did_you_mean(str(k), ['indicator_id', 'period', 'sex', 'measure', 'columns', 'sheet'])}.",
                file=label,
            )
    area_aliases = [area_col] if area_col else list(AREA_ALIASES)
    df = read_table(
        path,
        log=log,
        label=label,
        sheet=sheet,
        header_row=header_row,
        expect=area_aliases + ["numerator"],
        categories=True,  # one check per distinct text: counts files are the largest inputs
    )
    if df is None:
        return None
    wanted = {"area": tuple(area_aliases), **_WANTED}
    required = ["area", "numerator"]
    if indicator_id is None:
        required.append("indicator_id")
    if period is None:
        required.append("period")
    cols = resolve_columns(
        df,
        wanted,
        log=log,
        label=label,
        required=required,
        columns=columns,
        what="counts file",
    )
    if cols is None:
        return None
    n = len(df)
    out = pd.DataFrame(index=df.index)
    out["indicator_id"] = (
        by_value(df[cols["indicator_id"]], _stripped)
        if "indicator_id" in cols
        else str(indicator_id)
    )
    out["period"] = (
        normalise_period(df[cols["period"]]) if "period" in cols else str(period)
    )
    codes = clean_codes(df, cols["area"], log=log, label=label)
    out["area"] = codes
    if "sex" in cols:
        out["sex"] = normalise_sex(df, cols["sex"], log=log, label=label)
    else:
        out["sex"] = normalise_sex(
            pd.DataFrame({"sex": [sex or "persons"] * n, ROW: df[ROW]}),
            "sex",
            log=log,
            label=label,
        )
    out["age_band"] = (
        normalise_age_band(df[cols["age_band"]]) if "age_band" in cols else "all"
    )
    out["ethnic_group"] = (
        by_value(df[cols["ethnic_group"]], lambda v: _stripped(v).replace("", "all"))
        if "ethnic_group" in cols
        else "all"
    )
    out["numerator"] = to_numbers(
        df,
        cols["numerator"],
        log=log,
        label=label,
        integer=True,
        minimum=0,
        what="counts",
    )
    if "denominator" in cols:
        out["denominator"] = to_numbers(
            df,
            cols["denominator"],
            log=log,
            label=label,
            minimum=0,
            allow_missing=True,
            what="denominators",
        )
    else:
        out["denominator"] = float("nan")
    rows = df[ROW]

    # age bands
    bad = ~out["age_band"].isin(AGE_BANDS)
    if bad.any():
        vals = out.loc[bad, "age_band"]
        hint = did_you_mean(str(vals.iloc[0]), AGE_BANDS)
        log.error(
            f"has age bands hiworkbook does not know: {format_values(vals)}{hint}.",
            file=label,
            column=cols.get("age_band"),
            rows=rows[bad].tolist(),
            fix="Use ESP 2013 five-year bands '0-4', '5-9' … '85-89', '90+' (life expectancy may also use "
            "'0' and '1-4'), or 'all' when the counts are not split by age.",
        )
    # indicators
    if indicators is not None and len(indicators):
        unknown = ~out["indicator_id"].isin(list(indicators))
        if unknown.any():
            first = str(out.loc[unknown, "indicator_id"].iloc[0])
            log.error(
                f"has indicator ids that are not defined: {format_values(out.loc[unknown, 'indicator_id'])}"
                f"{did_you_mean(first, list(indicators))}.",
                file=label,
                column=cols.get("indicator_id"),
                rows=rows[unknown].tolist(),
                fix=f"Known indicators: {format_values(list(indicators), 8)}. Add yours to an indicators "
                "TOML file and name it in workbook.toml.",
            )
    # numerator above denominator for proportions
    if measure is not None:
        is_prop = pd.Series(measure == "proportion", index=out.index)
    elif indicators:
        kinds = {k: getattr(v, "measure", None) for k, v in indicators.items()}
        is_prop = out["indicator_id"].map(kinds).eq("proportion")
    else:
        is_prop = pd.Series(False, index=out.index)
    over = (
        is_prop
        & out["denominator"].notna()
        & out["numerator"].notna()
        & (out["numerator"].astype("float64") > out["denominator"])
    )
    if over.any():
        log.error(
            f"has {int(over.sum())} row{'s' if over.sum() != 1 else ''} where the numerator is larger than the "
            "denominator, which a proportion cannot have.",
            file=label,
            column=cols.get("numerator"),
            rows=rows[over].tolist(),
            fix="Check that the numerator and denominator columns are not swapped and describe the same people.",
        )
    # duplicates
    key = ["indicator_id", "period", "area", "sex", "age_band", "ethnic_group"]
    dup = out.duplicated(key, keep=False)
    if dup.any():
        log.error(
            f"has {int(dup.sum())} duplicate rows (same indicator, period, area, sex, age band and ethnic group): "
            f"{format_values(out.loc[dup, 'area'])}.",
            file=label,
            rows=rows[dup].tolist(),
            fix="Keep one row per combination; if the rows are parts of one count, add them up first.",
        )
    if any(p.file == label for p in log.errors):
        return None

    out["numerator"] = out["numerator"].astype("Int64")
    out["denominator"] = out["denominator"].astype("float64")
    for c in ("indicator_id", "period", "area", "sex", "age_band", "ethnic_group"):
        out[c] = as_objects(out[c])  # the canonical table holds plain text
    return finish_counts(
        out, cols["area"], area_col, vintage, label, log, best_fit_lookup
    )


def _stripped(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().astype(object)


COUNTS_COLUMNS = [
    "indicator_id",
    "period",
    "sex",
    "age_band",
    "ethnic_group",
    "numerator",
    "denominator",
]


def finish_counts(
    out: pd.DataFrame,
    area_label: str,
    area_col: str | None,
    vintage: int | None,
    label: str,
    log: ProblemLog,
    best_fit_lookup: str | Path | pd.DataFrame | None = None,
) -> pd.DataFrame | None:
    """Last step of every counts loader: the area column named for its vintage (converted through
    ``best_fit_lookup`` when the file's vintage is not the workbook's), canonical column order.

    ``out`` has an ``area`` column and the :data:`COUNTS_COLUMNS`; ``area_label`` is the file's
    own name for the area column (for messages). With ``area_col`` the codes are not LSOAs (e.g.
    a comparator's ``area_code``) and no vintage is checked.
    """
    if area_col is None:
        out, found = _to_workbook_vintage(
            out, area_label, vintage, label, log, best_fit_lookup
        )
        if out is None:
            return None
        name = f"lsoa{str(found)[-2:]}_code"
        out.attrs["vintage"] = found
    else:
        name = area_col
        out = out.rename(columns={"area": name})
    cols = COUNTS_COLUMNS[:2] + [name] + COUNTS_COLUMNS[2:]
    result = out[cols].reset_index(drop=True)
    result.attrs.update(out.attrs, label=label)
    return result
