"""Census 2021 tables into the counts layout: chosen categories over all residents.

Recognised layouts
------------------
- **Long** (one row per area × category), as ONS custom datasets and Nomis/Trafford Data Lab
  extracts publish them: an area code, a category column (e.g. ``general_health`` or
  ``General health (6 categories)``), a count column (``value``, ``Observation``) and optionally a
  ``measure`` column (only ``Count`` rows are used) and a ``period``/date.
- **Wide** (one column per category), as the ONS bulk downloads (``General health: Very good
  health``, …, ``General health: Total: All usual residents``).

``numerator_categories`` (e.g. ``["Bad health", "Very bad health"]``; ``"Bad"`` matches ``"Bad
health"`` but not ``"Very bad health"``) become the numerator; the denominator is the total
category when the table has one (``Total``, ``All usual residents``), else the sum of all
categories except ``exclude_categories`` (e.g. ``"Does not apply"``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from hiworkbook.io._read import (
    ROW,
    clean_codes,
    find_column,
    label_for,
    normalise_period,
    read_table,
    to_numbers,
)
from hiworkbook.io.counts import finish_counts
from hiworkbook.io.population import AREA_ALIASES
from hiworkbook.validate import ProblemLog, did_you_mean, format_values

__all__ = ["load_census"]

_TOTAL_RE = re.compile(
    r"^(total\b.*|all (usual )?residents.*|all persons.*|all households.*|all people.*)$",
    re.I,
)
_CENSUS_AREA = (
    *AREA_ALIASES,
    "Lower layer Super Output Areas Code",
    "Lower Layer Super Output Areas Code",
    "geography code",
)


def _key(text: str) -> str:
    t = str(text).strip().lower()
    t = (
        re.sub(r"^[^:]*:\s*", "", t) if ":" in t else t
    )  # "General health: Bad health" → "bad health"
    return re.sub(r"\s+", " ", t.strip("\"' "))


def _matches(category: str, wanted: str) -> bool:
    c, w = _key(category), _key(wanted)
    return c == w or c.startswith(w + " ") or c == f"{w} health"


def load_census(
    path: str | Path,
    *,
    log: ProblemLog,
    label: str | None = None,
    vintage: int | None = None,
    indicator_id: str | None = None,
    numerator_categories: Sequence[str] | None = None,
    total_category: str | None = None,
    exclude_categories: Sequence[str] = (),
    category_col: str | None = None,
    value_col: str | None = None,
    period: str | int | None = None,
    sex: str = "persons",
    sheet: str | int | None = None,
    header_row: int | None = None,
    area_col: str | None = None,
    columns: dict[str, str] | None = None,
    best_fit_lookup: str | Path | pd.DataFrame | None = None,
    **options: object,
) -> pd.DataFrame | None:
    """Turn a Census 2021 table into counts: chosen categories (numerator) over the total (denominator).

    Parameters
    ----------
    path : str or Path
        CSV or Excel, long or wide (see the module docs).
    log : ProblemLog
    label : str, optional
    vintage : {2011, 2021}, optional
        The workbook's LSOA vintage (Census 2021 tables are LSOA 2021).
    indicator_id : str
        The indicator the counts are for (e.g. ``"bad_health"``). Required.
    numerator_categories : sequence of str
        The categories counted in the numerator. Required.
    total_category : str, optional
        The category holding the total; default the one named Total/All usual residents, else the
        sum of the categories.
    exclude_categories : sequence of str
        Categories left out of a summed denominator (``"Does not apply"``).
    category_col, value_col : str, optional
        Long layout: the category and count columns, when not found automatically.
    period : str, optional
        Default the file's period/date column, else ``"2021"``.
    sex : str, default "persons"
    sheet, header_row, columns : optional
        ``columns`` may give ``area``, ``category``, ``value``.
    area_col : str, optional
        Output code column for non-LSOA tables.

    best_fit_lookup : path or DataFrame, optional
        An LSOA 2011 ↔ 2021 best-fit lookup: Census 2021 tables are LSOA 2021, so a workbook on
        the 2011 geography converts them through it (see
        :func:`hiworkbook.io.geography.convert_vintage`).

    Returns
    -------
    pandas.DataFrame or None
        The counts layout (``indicator_id``, ``period``, ``{area}``, ``sex``, ``age_band`` = "all",
        ``ethnic_group`` = "all", ``numerator``, ``denominator``).
    """
    label = label_for(path, label)
    for k in options:
        if not str(k).startswith("_"):
            log.warning(
                f"the option '{k}' is not used when reading a Census table.", file=label
            )
    if not indicator_id or not numerator_categories:
        log.error(
            "a Census table needs indicator_id and numerator_categories options.",
            file=label,
            fix='E.g. indicator_id = "bad_health", numerator_categories = ["Bad health", "Very bad health"].',
        )
        return None
    if isinstance(numerator_categories, str):
        numerator_categories = [numerator_categories]
    columns = dict(columns or {})
    area_aliases = [columns["area"]] if "area" in columns else list(_CENSUS_AREA)
    df = read_table(
        path,
        log=log,
        label=label,
        sheet=sheet,
        header_row=header_row,
        expect=area_aliases,
    )
    if df is None:
        return None
    area = find_column(df.columns, area_aliases)
    cols = [c for c in df.columns if c != ROW]
    if area is None:
        log.error(
            f"has no area code column{did_you_mean('area_code', cols) or did_you_mean('lsoa21_code', cols)}.",
            file=label,
            fix=f'Name it with columns = {{ area = "…" }}. The file\'s columns are: {format_values(cols, 10)}.',
        )
        return None
    category_col = columns.get("category", category_col)
    value_col = columns.get("value", value_col)
    cat = find_column(df.columns, [category_col]) if category_col else None
    if cat is None and not category_col:
        # the column whose values include every wanted category
        for c in cols:
            if c == area:
                continue
            vals = df[c].unique()
            if len(vals) <= 200 and any(
                any(_matches(v, w) for v in vals) for w in numerator_categories
            ):
                cat = c
                break
    per_col = find_column(df.columns, ["period", "date", "year", "census_year"])
    if cat is not None:
        val = find_column(
            df.columns,
            [value_col]
            if value_col
            else ["value", "Observation", "count", "obs_value", "n"],
        )
        if val is None:
            log.error(
                f"has no count column{did_you_mean('value', cols)}.",
                file=label,
                fix='Name it with value_col = "…".',
            )
            return None
        meas = find_column(df.columns, ["measure", "measurement", "unit_of_measure"])
        if meas is not None:
            counts = df[meas].str.lower().isin(["count", "counts", "number", "persons"])
            if counts.any():
                df = df[counts]
        values = to_numbers(
            df, val, log=log, label=label, integer=True, minimum=0, what="counts"
        )
        long = pd.DataFrame(
            {
                "area": df[area],
                "category": df[cat],
                "value": values,
                ROW: df[ROW],
                "period": normalise_period(df[per_col])
                if per_col
                else str(period or "2021"),
            }
        )
        categories = list(dict.fromkeys(long["category"]))
    else:
        # wide: categories are columns
        categories = [
            c
            for c in cols
            if c not in (area, per_col)
            and any(_matches(c, w) for w in numerator_categories)
        ]
        if not categories:
            hint = next(
                (h for w in numerator_categories if (h := did_you_mean(w, cols))), ""
            )
            log.error(
                f"has no category matching {format_values(list(numerator_categories))}{hint}.",
                file=label,
                fix=f"The file's columns are: {format_values(cols, 12)}. Name the categories as the table does.",
            )
            return None
        num_cols = [
            c for c in cols if c not in (area, per_col) and _numeric_share(df[c]) > 0.9
        ]
        parts = []
        for c in num_cols:
            parts.append(
                pd.DataFrame(
                    {
                        "area": df[area],
                        "category": c,
                        ROW: df[ROW],
                        "value": to_numbers(
                            df,
                            c,
                            log=log,
                            label=label,
                            integer=True,
                            minimum=0,
                            what="counts",
                        ),
                        "period": normalise_period(df[per_col])
                        if per_col
                        else str(period or "2021"),
                    }
                )
            )
        long = pd.concat(parts, ignore_index=True)
        categories = num_cols
    if period is not None:
        long["period"] = str(period)

    missing = [
        w for w in numerator_categories if not any(_matches(c, w) for c in categories)
    ]
    if missing:
        hint = did_you_mean(missing[0], categories)
        log.error(
            f"has no category {format_values(missing)}{hint}.",
            file=label,
            column=cat,
            fix=f"Categories in the file: {format_values(categories, 10)}.",
        )
        return None
    num_mask = long["category"].map(
        lambda c: any(_matches(c, w) for w in numerator_categories)
    )
    if total_category is not None:
        tot_mask = long["category"].map(lambda c: _matches(c, total_category))
        if not tot_mask.any():
            log.error(
                f"has no total category '{total_category}'{did_you_mean(total_category, categories)}.",
                file=label,
                fix=f"Categories in the file: {format_values(categories, 10)}.",
            )
            return None
    else:
        tot_mask = long["category"].map(lambda c: bool(_TOTAL_RE.match(_key(c))))
    excl = long["category"].map(
        lambda c: any(_matches(c, w) for w in exclude_categories)
    )
    codes = clean_codes(long.assign(area=long["area"]), "area", log=log, label=label)
    long["area"] = codes
    if any(p.file == label for p in log.errors):
        return None
    g = ["area", "period"]
    num = long[num_mask].groupby(g, sort=False)["value"].sum()
    if tot_mask.any():
        den = long[tot_mask].groupby(g, sort=False)["value"].sum()
    else:
        den = long[~excl & ~tot_mask].groupby(g, sort=False)["value"].sum()
    out = pd.concat({"numerator": num, "denominator": den}, axis=1).reset_index()
    out["numerator"] = out["numerator"].fillna(0)
    over = out["numerator"] > out["denominator"]
    if over.any():
        log.error(
            f"gives {int(over.sum())} areas more people in the chosen categories than in total: "
            f"{format_values(out.loc[over, 'area'])}.",
            file=label,
            fix="Check total_category and exclude_categories.",
        )
        return None
    out["indicator_id"] = str(indicator_id)
    out["sex"] = sex
    out["age_band"] = "all"
    out["ethnic_group"] = "all"
    out["numerator"] = out["numerator"].astype("Int64")
    out["denominator"] = out["denominator"].astype("float64")
    out = finish_counts(out, area, area_col, vintage, label, log, best_fit_lookup)
    if out is None:
        return None
    out.attrs["categories"] = {
        "numerator": sorted(set(long.loc[num_mask, "category"])),
        "denominator": sorted(set(long.loc[tot_mask, "category"]))
        or "sum of all categories",
    }
    return out.reset_index(drop=True)


def _numeric_share(s: pd.Series) -> float:
    v = pd.to_numeric(s.str.replace(",", ""), errors="coerce")
    return float(np.mean(v.notna())) if len(v) else 0.0
