"""ONS mid-year population estimates for small areas, into the canonical population table.

Recognised layouts
------------------
- **Wide by single year of age** (ONS SAPE): one column per age ``0`` … ``90`` (the last meaning
  90 and over; ``90+`` also understood), with or without sex: a ``sex`` column (``F``/``M``,
  ``Females``/``Males``/``Persons``, ``1``/``2``), sex-prefixed columns (``F0`` … ``F90``, ``M0`` …
  ``M90``), a ``sex`` option for files that hold one sex each, or persons only. Extra columns
  (``LSOA 2021 Name``, ``Total``, ``all_ages``, ``aged_0_to_15`` …) are ignored, though a total
  column is checked against the sum of the ages.
- **Long**: ``{area}, period, sex, age_band, population`` (canonical) or with a single-year ``age``
  column instead of ``age_band``.

Single years are aggregated to ESP 2013 bands (``"0-4"`` … ``"85-89"``, ``"90+"``) or, with
``bands="life_expectancy"``, to the bands life expectancy uses (``"0"``, ``"1-4"``, ``"5-9"`` …).
Where a file gives females, males and persons, the persons rows are dropped (they are the sum).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from hiworkbook.io._read import (
    ESP2013_BANDS,
    LE_BANDS,
    ROW,
    SEX_VALUES,
    as_objects,
    clean_codes,
    esp_band,
    find_column,
    label_for,
    le_band,
    normalise_age_band,
    normalise_period,
    normalise_sex,
    read_table,
    resolve_columns,
    to_numbers,
)
from hiworkbook.io.geography import (
    convert_vintage,
    detect_lsoa_vintage,
    report_vintage_mismatch,
    vintage_from_name,
)
from hiworkbook.validate import ProblemLog, format_values, plural

__all__ = [
    "load_population",
    "load_population_ethnicity",
    "ESP2013_BANDS",
    "LE_BANDS",
    "AREA_ALIASES",
]

AREA_ALIASES = (
    "lsoa21_code",
    "lsoa11_code",
    "LSOA 2021 Code",
    "LSOA 2011 Code",
    "LSOA21CD",
    "LSOA11CD",
    "LSOA code (2021)",
    "LSOA code (2011)",
    "lsoa_code",
    "LSOA Code",
    "LSOA",
    "area_code",
    "Area Codes",
    "geography code",
    "geography_code",
    "mnemonic",
    "code",
)
_AGE_COL = re.compile(
    r"^(?:(?P<sex>f|m|females?|males?|persons)[ _:-]*)?(?:age[ds]?[ _]*)?(?P<age>\d{1,3})"
    r"(?P<plus>\s*\+|\s*(?:and|&)\s*over|\s*plus)?$",
    re.I,
)
_TOTAL = ("Total", "all_ages", "All Ages", "total_population", "Persons", "all ages")
_BANDINGS = {"esp2013": ESP2013_BANDS, "life_expectancy": LE_BANDS, "single_year": ()}


def load_population(
    path: str | Path,
    *,
    log: ProblemLog,
    label: str | None = None,
    vintage: int | None = None,
    period: str | int | None = None,
    sex: str | None = None,
    bands: str = "esp2013",
    sheet: str | int | None = None,
    header_row: int | None = None,
    code_field: str | None = None,
    columns: dict[str, str] | None = None,
    best_fit_lookup: str | Path | pd.DataFrame | None = None,
    area_col: str | None = None,
    **options: object,
) -> pd.DataFrame | None:
    """Read ONS mid-year population estimates (or the canonical long layout).

    Parameters
    ----------
    path : str or Path
        CSV (optionally gzipped) or Excel file.
    log : ProblemLog
        Where problems are recorded.
    label : str, optional
        The file's name as the user wrote it.
    vintage : {2011, 2021}, optional
        The workbook's LSOA vintage. A file of the other vintage is converted when
        ``best_fit_lookup`` is given, else it is an error.
    period : str or int, optional
        The period (e.g. ``"2022"``) when the file has no period column; overrides nothing in a
        file that has one. Dates such as ``2022-06-30`` are read as ``"2022"``. When neither is
        given, a year in the file name (``mye2022``, ``mid-2020``) is used with a warning.
    sex : str, optional
        The sex of every row (``"female"``, ``"male"``, ``"persons"``) for files without a sex column.
    bands : {"esp2013", "life_expectancy", "single_year"}, default "esp2013"
        The age bands to return.
    sheet, header_row : optional
        Excel sheet (name or number from 1) and header row, when not found automatically.
    code_field : str, optional
        The column holding the area codes, when not found automatically.
    columns : dict, optional
        Explicit column names for the long layout: keys ``area``, ``period``, ``sex``,
        ``age_band``, ``age``, ``population``.
    best_fit_lookup : path or DataFrame, optional
        ONS LSOA 2011 → 2021 best-fit lookup for converting a file of the other vintage.
    area_col : str, optional
        Name of the output code column for non-LSOA files (e.g. ``"area_code"``); skips LSOA
        vintage checks.

    Returns
    -------
    pandas.DataFrame or None
        ``lsoa21_code`` (or ``lsoa11_code``/``area_col``), ``period`` (str), ``sex``, ``age_band``,
        ``population`` (Int64). ``attrs``: ``vintage``, ``bands``, ``layout``.
    """
    label = label_for(path, label)
    for k in options:
        if not str(k).startswith("_"):
            log.warning(
                f"the option '{k}' is not used when reading population.", file=label
            )
    if bands not in _BANDINGS:
        log.error(
            f"bands = '{bands}' is not one of {', '.join(_BANDINGS)}.",
            file=label,
            fix='Use bands = "esp2013".',
        )
        return None
    area_aliases = [code_field] if code_field else list(AREA_ALIASES)
    df = read_table(
        path,
        log=log,
        label=label,
        sheet=sheet,
        header_row=header_row,
        expect=area_aliases,
        categories=True,  # one check per distinct text: long population files are large
    )
    if df is None:
        return None
    wanted = {
        "area": area_aliases,
        "period": ("period", "year", "mid_year", "mid-year", "date", "time_period"),
        "sex": ("sex", "gender", "sex_name", "c_sex"),
        "age_band": ("age_band", "ageband", "age_group", "agegroup", "band"),
        "age": ("age", "single_year_of_age", "syoa", "age_years"),
        "population": (
            "population",
            "count",
            "value",
            "observation",
            "obs_value",
            "pop",
        ),
    }
    cols = resolve_columns(
        df,
        wanted,
        log=log,
        label=label,
        required=["area"],
        columns=columns,
        what="population file",
    )
    if cols is None:
        return None
    area = cols["area"]
    age_cols = _age_columns([c for c in df.columns if c not in (ROW, *cols.values())])
    long_layout = "population" in cols and ("age_band" in cols or "age" in cols)
    if not long_layout and not age_cols:
        long_layout = (
            "population" in cols and "age_band" not in cols and "age" not in cols
        )
        if not long_layout:
            log.error(
                "has neither single-year-of-age columns (0, 1, … 90) nor age_band and population columns.",
                file=label,
                fix="Use the ONS 'Lower layer Super Output Area population estimates' by single year of age, or "
                "a long file with age_band and population columns.",
            )
            return None

    if not long_layout:  # wide single-year files are small: plain text columns
        df = df.apply(as_objects)
    codes = as_objects(clean_codes(df, area, log=log, label=label, what="area codes"))
    # period
    if "period" in cols:
        per = as_objects(normalise_period(df[cols["period"]]))
    elif period is not None:
        per = pd.Series(str(period), index=df.index, dtype=object)
    else:
        m = re.search(
            r"(?:mid[-_ ]?|mye[-_ ]?|pop(?:ulation)?[-_ ]?|sape[-_a-z]*?)(\d{4}|\d{2})(?!\d)",
            label,
            re.I,
        )
        if not m:
            log.error(
                "has no period column and no period was given.",
                file=label,
                fix='Add period = "2022" (the mid-year of the estimates) to the file\'s options.',
            )
            return None
        yr = m.group(1)
        yr = yr if len(yr) == 4 else f"20{yr}"
        per = pd.Series(yr, index=df.index, dtype=object)
        log.warning(
            f"has no period column; took the period {yr} from the file name.",
            file=label,
            fix=f'Set period = "{yr}" in the file\'s options to confirm it.',
        )
    # sex
    if "sex" in cols:
        sx = as_objects(normalise_sex(df, cols["sex"], log=log, label=label))
    elif sex is not None:
        key = re.sub(r"[^a-z0-9]", "", str(sex).lower())
        if key not in SEX_VALUES:
            log.error(f"sex = '{sex}' is not female, male or persons.", file=label)
            return None
        sx = pd.Series(SEX_VALUES[key], index=df.index, dtype=object)
    else:
        sx = pd.Series("persons", index=df.index, dtype=object)

    base = pd.DataFrame({"area": codes, "period": per, "sex": sx, ROW: df[ROW]})
    if long_layout:
        tidy = _long(df, base, cols, log, label)
    else:
        tidy = _wide(df, base, age_cols, bands, log, label)
    if tidy is None or any(p.file == label for p in log.errors):
        return None

    # persons rows are the sum of female and male: keep one or the other
    have = set(tidy["sex"].unique())
    if {"female", "male"} <= have and "persons" in have:
        tidy = tidy[tidy["sex"] != "persons"]
    # duplicates
    dup = tidy.duplicated(
        ["area", "period", "sex", "age"]
        if "age" in tidy
        else ["area", "period", "sex", "age_band"],
        keep=False,
    )
    if dup.any():
        log.error(
            f"has {plural(int(dup.sum()), 'row')} repeating the same area, period, sex and age: "
            f"{format_values(tidy.loc[dup, 'area'])}.",
            file=label,
            rows=sorted(set(tidy.loc[dup, ROW].tolist())),
            fix="Keep one row per area, period, sex and age (was a file appended to itself?).",
        )
        return None

    # bands
    if "age" in tidy:
        if bands == "single_year":
            tidy["age_band"] = (
                tidy["age"]
                .astype(str)
                .where(~tidy["open"], tidy["age"].astype(str) + "+")
            )
        else:
            fn = esp_band if bands == "esp2013" else le_band
            tidy["age_band"] = fn(tidy["age"].to_numpy())
    else:
        allowed = set(_BANDINGS[bands]) | {"all"}
        bad = ~tidy["age_band"].isin(allowed)
        if bands != "single_year" and bad.any():
            log.error(
                f"has age bands that are not {bands} bands: {format_values(tidy.loc[bad, 'age_band'])}.",
                file=label,
                column=cols.get("age_band"),
                rows=tidy.loc[bad, ROW].tolist(),
                fix=f"Use the bands {', '.join(_BANDINGS[bands])}.",
            )
            return None

    if long_layout:
        out = tidy.groupby(
            ["area", "period", "sex", "age_band"], sort=False, as_index=False
        )["population"].sum()
        out["population"] = out["population"].astype("Int64")
    else:
        out = tidy.drop(columns=ROW).reset_index(drop=True)

    # vintage
    file_vintage = None
    if area_col is None:
        out, file_vintage = _to_workbook_vintage(
            out, area, vintage, label, log, best_fit_lookup
        )
        if out is None:
            return None
    else:
        out = out.rename(columns={"area": area_col})
    order = {b: i for i, b in enumerate(_BANDINGS[bands] or ())}
    if order:
        out = (
            out.assign(_o=out["age_band"].map(order))
            .sort_values([out.columns[0], "period", "sex", "_o"], kind="stable")
            .drop(columns="_o")
        )
    out = out.reset_index(drop=True)
    out.attrs.update(
        vintage=file_vintage,
        bands=bands,
        layout="long" if long_layout else "wide",
        label=label,
    )
    return out


def _vintage(
    codes: pd.Series,
    column: str,
    vintage: int | None,
    label: str,
    log: ProblemLog,
    *,
    convertible: bool,
    report: bool = True,
) -> tuple[int, bool]:
    named = vintage_from_name(column)
    check = detect_lsoa_vintage(codes.dropna())
    if check.mixed:
        log.error(
            f"mixes LSOA vintages: {check.describe()}.",
            file=label,
            column=column,
            fix="Use one vintage throughout; convert older rows through an ONS best-fit lookup.",
        )
        return 0, False
    if named and check.vintage and named != check.vintage:
        log.error(
            f"has a column named for LSOA {named} ('{column}') but {check.describe()}.",
            file=label,
            column=column,
        )
        return 0, False
    found = check.vintage or named or vintage or 2021
    if vintage and found != vintage:
        if report:
            evidence = check.describe() if check.vintage else f"column '{column}'"
            report_vintage_mismatch(
                log, label, found, int(vintage), evidence, convertible=convertible
            )
        return found, False
    return found, True


def _to_workbook_vintage(
    out: pd.DataFrame,
    column: str,
    vintage: int | None,
    label: str,
    log: ProblemLog,
    best_fit_lookup: str | Path | pd.DataFrame | None,
) -> tuple[pd.DataFrame | None, int]:
    """Name the ``area`` column for its LSOA vintage and, when the file's vintage differs from the
    workbook's, convert through ``best_fit_lookup`` (else record why it cannot be used).

    Returns the table (None when unusable) and its vintage after conversion.
    """
    found, ok = _vintage(
        out["area"],
        column,
        vintage,
        label,
        log,
        convertible=True,
        report=best_fit_lookup is None,
    )
    if not found or (not ok and best_fit_lookup is None):
        return None, 0
    out = out.rename(columns={"area": f"lsoa{str(found)[-2:]}_code"})
    if vintage and found != vintage:
        out = convert_vintage(
            out,
            best_fit_lookup,
            log=log,
            from_vintage=found,
            to_vintage=int(vintage),
            label=label,
        )
        found = int(vintage)
    return out, found


def _age_columns(columns: list[str]) -> dict[str, tuple[str | None, int, bool]]:
    out = {}
    for c in columns:
        m = _AGE_COL.match(c.strip())
        if not m:
            continue
        age = int(m.group("age"))
        if age > 120:
            continue
        s = m.group("sex")
        sx = SEX_VALUES.get(s.lower()) if s else None
        out[c] = (sx, age, bool(m.group("plus")))
    # a lone number column is only an age when there are many of them
    if len(out) < 5:
        return {}
    return out


def _wide(
    df: pd.DataFrame,
    base: pd.DataFrame,
    age_cols: dict[str, tuple[str | None, int, bool]],
    bands: str,
    log: ProblemLog,
    label: str,
) -> pd.DataFrame | None:
    """Band the single-year columns in wide form (fast), then make the table long."""
    sexes = {s for s, _, _ in age_cols.values()}
    frames = []
    for sx in sorted(sexes, key=str):
        group = {c: v for c, v in age_cols.items() if v[0] == sx}
        ages = sorted(v[1] for v in group.values())
        top = max(ages)
        missing = sorted(set(range(0, top + 1)) - set(ages))
        if missing:
            log.error(
                f"lacks single-year-of-age columns {format_values([str(a) for a in missing], 8)}"
                f"{f' for {sx}s' if sx else ''}.",
                file=label,
                fix="Every age from 0 to the open-ended top age (90+) needs a column.",
            )
            return None
        if top < 90 and bands != "single_year":
            log.error(
                f"has ages only up to {top}{'+' if any(v[2] for v in group.values()) else ''}; ESP 2013 bands need "
                "ages up to 90+.",
                file=label,
                fix="Use estimates by single year of age up to 90+.",
            )
            return None
        by_age = {v[1]: c for c, v in group.items()}
        ordered = [by_age[a] for a in range(top + 1)]
        block = np.empty((len(df), len(ordered)), dtype="float64")
        for j, c in enumerate(ordered):
            v = pd.to_numeric(df[c], errors="coerce").to_numpy(
                dtype="float64", na_value=np.nan
            )
            if np.isnan(v).any() or (v < 0).any() or (v != np.round(v)).any():
                v = to_numbers(
                    df,
                    c,
                    log=log,
                    label=label,
                    integer=True,
                    minimum=0,
                    what="population counts",
                ).to_numpy(dtype="float64", na_value=np.nan)
            block[:, j] = v
        age = np.arange(top + 1)
        if bands == "single_year":
            labels = np.array(
                [str(a) if a < top else f"{a}+" for a in age], dtype=object
            )
        else:
            labels = (esp_band if bands == "esp2013" else le_band)(age)
        uniq = list(dict.fromkeys(labels.tolist()))
        sums = np.column_stack([block[:, labels == u].sum(axis=1) for u in uniq])
        part = base.copy()
        if sx is not None:
            part["sex"] = sx
        long = pd.DataFrame(
            {
                "area": np.repeat(part["area"].to_numpy(dtype=object), len(uniq)),
                "period": np.repeat(part["period"].to_numpy(dtype=object), len(uniq)),
                "sex": np.repeat(part["sex"].to_numpy(dtype=object), len(uniq)),
                "age_band": np.tile(np.array(uniq, dtype=object), len(part)),
                "population": sums.reshape(-1),
                ROW: np.repeat(part[ROW].to_numpy(), len(uniq)),
            }
        )
        frames.append(long)
        total = find_column(df.columns, _TOTAL)
        if total is not None and sx is None:
            tot = pd.to_numeric(
                df[total].str.replace(",", ""), errors="coerce"
            ).to_numpy(dtype="float64", na_value=np.nan)
            diff = np.abs(tot - block.sum(axis=1)) > 0.5
            diff &= ~np.isnan(tot)
            if diff.any():
                log.warning(
                    f"has {plural(int(diff.sum()), 'row')} whose '{total}' differs from the sum of the single-year columns.",
                    file=label,
                    column=total,
                    rows=df.loc[diff, ROW].tolist(),
                    fix="Check these rows; hiworkbook uses the single years.",
                )
    long = pd.concat(frames, ignore_index=True)
    long["population"] = long["population"].round().astype("Int64")
    return long


def _long(
    df: pd.DataFrame,
    base: pd.DataFrame,
    cols: dict[str, str],
    log: ProblemLog,
    label: str,
) -> pd.DataFrame | None:
    tidy = base.copy()
    tidy["population"] = to_numbers(
        df,
        cols["population"],
        log=log,
        label=label,
        integer=True,
        minimum=0,
        what="population counts",
    )
    if "age_band" in cols:
        tidy["age_band"] = as_objects(normalise_age_band(df[cols["age_band"]]))
        return tidy
    raw = as_objects(df[cols["age"]]).astype(str).str.strip()
    m = raw.str.extract(r"^(?:age\s*)?(\d{1,3})(\s*\+|\s*and over)?", flags=re.I)
    bad = m[0].isna()
    if bad.any():
        log.error(
            f"has ages that are not whole years: {format_values(raw[bad])}.",
            file=label,
            column=cols["age"],
            rows=df.loc[bad, ROW].tolist(),
            fix="Ages must be single years (0, 1, … 90+).",
        )
        return None
    tidy["age"] = m[0].astype(int)
    tidy["open"] = m[1].notna() | (tidy["age"] == tidy["age"].max())
    return tidy


# ---------------------------------------------------------------------------- ethnicity
_BROAD = {
    "asian": "Asian",
    "black": "Black",
    "mixed": "Mixed",
    "white": "White",
    "other": "Other",
}


def load_population_ethnicity(
    path: str | Path,
    *,
    log: ProblemLog,
    label: str | None = None,
    vintage: int | None = None,
    period: str | int | None = "2021",
    columns: dict[str, str] | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    broad: bool = True,
    area_col: str | None = None,
    **options: object,
) -> pd.DataFrame | None:
    """Read population by ethnic group (e.g. Census 2021 TS021, long layout).

    Parameters
    ----------
    path : str or Path
        CSV or Excel with an area code, an ethnic group and a count column
        (``Lower layer Super Output Areas Code``, ``Ethnic group (20 categories)``, ``Observation``
        as ONS's custom-dataset downloads, or canonical ``lsoa21_code, period, ethnic_group, population``).
    log : ProblemLog
    label : str, optional
    vintage : {2011, 2021}, optional
        The workbook's vintage; another is an error.
    period : str, default "2021"
        Used when the file has no period column.
    columns : dict, optional
        Explicit column names: ``area``, ``period``, ``ethnic_group``, ``population``.
    sheet, header_row : optional
    broad : bool, default True
        Map detailed categories (``"Asian, Asian British or Asian Welsh: Indian"``) to the five
        ONS broad groups (Asian, Black, Mixed, White, Other); "Does not apply" rows are dropped.
    area_col : str, optional
        Output code column for non-LSOA files.

    Returns
    -------
    pandas.DataFrame or None
        ``{area}``, ``period``, ``ethnic_group``, ``population`` (Int64).
    """
    label = label_for(path, label)
    for k in options:
        if not str(k).startswith("_"):
            log.warning(
                f"the option '{k}' is not used when reading population by ethnic group.",
                file=label,
            )
    aliases = [
        *AREA_ALIASES,
        "Lower layer Super Output Areas Code",
        "Lower Layer Super Output Areas Code",
    ]
    df = read_table(
        path,
        log=log,
        label=label,
        sheet=sheet,
        header_row=header_row,
        expect=aliases,
        categories=True,  # checks run once per distinct text
    )
    if df is None:
        return None
    wanted = {
        "area": aliases,
        "period": ("period", "year", "date"),
        "ethnic_group": (
            "ethnic_group",
            "ethnicity",
            "Ethnic group (20 categories)",
            "Ethnic group (6 categories)",
            "Ethnic group (8 categories)",
            "Ethnic group",
            "category",
        ),
        "population": ("population", "Observation", "count", "value", "obs_value"),
    }
    cols = resolve_columns(
        df,
        wanted,
        log=log,
        label=label,
        required=["area", "ethnic_group", "population"],
        columns=columns,
        what="population-by-ethnicity file",
    )
    if cols is None:
        return None
    codes = as_objects(clean_codes(df, cols["area"], log=log, label=label))
    pop = to_numbers(
        df,
        cols["population"],
        log=log,
        label=label,
        integer=True,
        minimum=0,
        what="population counts",
    )
    per = (
        as_objects(normalise_period(df[cols["period"]]))
        if "period" in cols
        else pd.Series(str(period), index=df.index)
    )
    grp = as_objects(df[cols["ethnic_group"]]).astype(str).str.strip()
    tidy = pd.DataFrame(
        {
            "area": codes,
            "period": per.astype(object),
            "ethnic_group": grp,
            "population": pop,
        }
    )
    if broad:
        low = grp.str.lower()
        dna = low.str.startswith("does not apply") | low.str.startswith("total")
        head = low.str.extract(r"^([a-z]+)")[0].map(_BROAD)
        tidy["ethnic_group"] = head.where(head.notna(), grp)
        tidy = tidy[~dna]
    if any(p.file == label for p in log.errors):
        return None
    out = tidy.groupby(["area", "period", "ethnic_group"], sort=False, as_index=False)[
        "population"
    ].sum()
    out["population"] = out["population"].astype("Int64")
    if area_col is None:
        found, ok = _vintage(
            out["area"], cols["area"], vintage, label, log, convertible=False
        )
        if not ok:
            return None
        out = out.rename(columns={"area": f"lsoa{str(found)[-2:]}_code"})
        out.attrs["vintage"] = found
    else:
        out = out.rename(columns={"area": area_col})
    return out
