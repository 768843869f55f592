"""English Indices of Deprivation (IoD2019, IoD2025) as published, into the canonical table.

Recognised layouts
------------------
- **Official wide files** (MHCLG): IoD2019 Files 1, 2, 5 and 7 and IoD2025 File 7, with their long
  column names — ``LSOA code (2011)``/``LSOA code (2021)``, ``Index of Multiple Deprivation (IMD)
  Score``, ``… Rank (where 1 is most deprived)``, ``… Decile (where 1 is most deprived 10% of
  LSOAs)`` and the same for each domain (File 1 writes ranks as ``"29,199"``).
- **Compact files**: ``lsoa21_code``, ``IMD_score``, ``IMD_rank``, ``IMD_decile``, ``Income_decile`` …
  (also hiworkbook's canonical ``imd_score``/``imd_rank``/``imd_decile``); ranks and deciles may be
  written as floats (``26525.0``).
- **Long files**: ``lsoa11cd, index_domain, decile, rank, score, year`` (one row per area × domain ×
  year) and the Open Data Communities layout (``FeatureCode``, ``Measurement``, ``Value``,
  ``Indices of Deprivation``, ``DateCode``): the IMD rows (and domains) of the requested year.

The LSOA vintage is told from the column names (``(2011)``, ``lsoa21``), the IoD year, or the codes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from hiworkbook.io._read import (
    ROW,
    clean_codes,
    find_column,
    label_for,
    norm,
    read_table,
    to_numbers,
)
from hiworkbook.io.geography import (
    NATIONAL_LSOA_COUNT,
    detect_lsoa_vintage,
    report_vintage_mismatch,
    vintage_from_name,
)
from hiworkbook.validate import ProblemLog, did_you_mean, format_values, plural

__all__ = ["load_deprivation", "DOMAINS", "decile_from_rank"]

#: Canonical domain keys and the (normalised) names the IoD files give them.
DOMAINS: dict[str, tuple[str, ...]] = {
    "imd": ("indexofmultipledeprivationimd", "indexofmultipledeprivation", "imd"),
    "income": ("income", "incomedeprivation"),
    "employment": ("employment", "employmentdeprivation"),
    "education": (
        "educationskillsandtraining",
        "education",
        "educationskillsandtrainingdeprivation",
    ),
    "health": ("healthdeprivationanddisability", "health"),
    "crime": ("crime",),
    "barriers": ("barrierstohousingandservices", "housingandservices", "barriers"),
    "environment": ("livingenvironment", "environment", "livingenvironmentdeprivation"),
    "idaci": (
        "incomedeprivationaffectingchildrenindexidaci",
        "idaci",
        "incomedeprivationaffectingchildrenindex",
    ),
    "idaopi": (
        "incomedeprivationaffectingolderpeopleidaopi",
        "idaopi",
        "incomedeprivationaffectingolderpeopleindex",
    ),
    "cyp": ("childrenandyoungpeoplesubdomain", "cyp"),
    "adult_skills": ("adultskillssubdomain", "adultskills"),
    "geographical_barriers": ("geographicalbarrierssubdomain", "geographicalbarriers"),
    "wider_barriers": ("widerbarrierssubdomain", "widerbarriers"),
    "indoors": ("indoorssubdomain", "indoors"),
    "outdoors": ("outdoorssubdomain", "outdoors"),
}
_DOMAIN_BY_NAME = {n: k for k, names in DOMAINS.items() for n in names}
_KIND_RE = re.compile(
    r"^(?P<domain>.*?)[\s_]*(?P<kind>score|rank|decile)s?\s*(\(where.*\))?$", re.I
)
_AREA_ALIASES = (
    "LSOA code (2021)",
    "LSOA code (2011)",
    "lsoa21_code",
    "lsoa11_code",
    "lsoa21cd",
    "lsoa11cd",
    "LSOA 2021 Code",
    "LSOA 2011 Code",
    "lsoa_code",
    "LSOA code",
    "FeatureCode",
    "area_code",
    "code",
)
_LONG_DOMAIN = ("index_domain", "domain", "Indices of Deprivation", "index")


def decile_from_rank(rank: pd.Series, n: int) -> pd.Series:
    """National decile (1 = most deprived 10%) from a national rank (1 = most deprived) among ``n``.

    Examples
    --------
    >>> decile_from_rank(pd.Series([1, 3284, 3285, 32844]), 32844).tolist()
    [1, 1, 2, 10]
    """
    r = pd.to_numeric(rank, errors="coerce").astype("float64")
    d = np.ceil(r * 10 / n)
    return pd.Series(d, index=rank.index).clip(1, 10).astype("Int64")


def load_deprivation(
    path: str | Path,
    *,
    log: ProblemLog,
    label: str | None = None,
    vintage: int | None = None,
    year: int | str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    national_count: int | None = None,
    code_field: str | None = None,
    **options: object,
) -> pd.DataFrame | None:
    """Read an English Indices of Deprivation file into the canonical deprivation table.

    Parameters
    ----------
    path : str or Path
        A CSV (optionally gzipped) or Excel file in any recognised layout (see the module docs).
    log : ProblemLog
        Where problems are recorded; nothing is raised.
    label : str, optional
        The file's name as the user wrote it, for messages.
    vintage : {2011, 2021}, optional
        The workbook's LSOA vintage; a file of the other vintage is an error. Default: the file's.
    year : int or str, optional
        Long layouts holding several IoD editions: the one to use (e.g. 2019). Default the latest,
        with a warning when there is a choice.
    sheet, header_row : optional
        Excel sheet (name or number from 1) and header row, when not found automatically.
    national_count : int, optional
        LSOAs in England for deriving deciles from ranks (default 32,844 for LSOA 2011, 33,755
        for LSOA 2021).
    code_field : str, optional
        The column holding the LSOA codes, when not found automatically.
    **options
        Ignored keys are reported as warnings.

    Returns
    -------
    pandas.DataFrame or None
        ``lsoa11_code`` or ``lsoa21_code``, ``imd_score`` (float, NA when absent), ``imd_rank``
        (Int64), ``imd_decile`` (Int64), and ``<domain>_score/_rank/_decile`` where present.
        ``df.attrs`` holds ``vintage``, ``iod_year``, ``layout``. None when unusable.
    """
    label = label_for(path, label)
    _unused(options, label, log)
    df = read_table(
        path,
        log=log,
        label=label,
        sheet=sheet,
        header_row=header_row,
        expect=[code_field] if code_field else _AREA_ALIASES,
    )
    if df is None:
        return None
    area = find_column(df.columns, [code_field] if code_field else _AREA_ALIASES)
    if area is None:
        cols = [c for c in df.columns if c != ROW]
        hint = next((h for a in _AREA_ALIASES if (h := did_you_mean(a, cols))), "")
        log.error(
            f"has no LSOA code column{hint}.",
            file=label,
            fix="Deprivation files need the LSOA code column, e.g. 'LSOA code (2021)' or lsoa21_code; "
            f'name yours with code_field = "…". The file\'s columns are: {format_values(cols, 10)}.',
        )
        return None
    long_dom = find_column(df.columns, _LONG_DOMAIN)
    layout = "long" if long_dom else "wide"
    iod_year: int | None = None
    if long_dom:
        res = _from_long(df, area, long_dom, year, log, label)
        if res is None:
            return None
        df, iod_year = res
        cols = {c: _parse_name(c) for c in df.columns if c not in (area, ROW)}
    else:
        cols = {c: _parse_name(c) for c in df.columns if c not in (area, ROW)}
        m = re.search(r"(?:iod|imd)[ _-]?(20\d\d)", label, re.I)
        iod_year = int(m.group(1)) if m else None
    cols = {c: p for c, p in cols.items() if p is not None}
    if not any(dom == "imd" for dom, _ in cols.values()):
        msg = "has no Index of Multiple Deprivation (IMD) score, rank or decile columns"
        if any("population" in c.lower() for c in df.columns):
            msg += " — it looks like IoD File 6 (population denominators)"
        elif cols:
            msg += f" (it has domain columns: {format_values(list(cols), 4)})"
        log.error(
            msg + ".",
            file=label,
            fix="Use IoD File 1, 2, 5 or 7 (IoD2019) or File 7 (IoD2025), or a file with imd_score, "
            "imd_rank or imd_decile columns.",
        )
        return None

    codes = clean_codes(df, area, log=log, label=label, what="LSOA codes")
    file_vintage = vintage_from_name(area)
    if file_vintage is None and iod_year:
        file_vintage = 2011 if iod_year < 2025 else 2021
    check = detect_lsoa_vintage(codes.dropna())
    if check.mixed:
        log.error(
            f"mixes LSOA vintages: {check.describe()}.",
            file=label,
            column=area,
            fix="Use one IoD edition throughout: IoD2019 for LSOA 2011, IoD2025 for LSOA 2021.",
        )
        return None
    evidence = f"column '{area}'" + (f"; {check.describe()}" if check.vintage else "")
    if file_vintage and check.vintage and check.vintage != file_vintage:
        log.error(
            f"is labelled LSOA {file_vintage} ({evidence}) but {check.describe()}.",
            file=label,
            column=area,
            fix="Check the file: its codes and its headers disagree.",
        )
        return None
    if file_vintage is None:
        file_vintage = check.vintage or vintage or 2021
        evidence = check.describe()
    if vintage and file_vintage != vintage:
        report_vintage_mismatch(
            log, label, file_vintage, int(vintage), evidence, kind="deprivation"
        )
        return None
    area_col = f"lsoa{str(file_vintage)[-2:]}_code"
    n_nat = int(national_count or NATIONAL_LSOA_COUNT[file_vintage])

    out = pd.DataFrame({area_col: codes})
    for col, (dom, kind) in cols.items():
        name = f"{dom}_{kind}"
        if name in out:
            continue
        if kind == "score":
            out[name] = to_numbers(
                df, col, log=log, label=label, allow_missing=True, what="scores"
            )
        elif kind == "rank":
            out[name] = to_numbers(
                df,
                col,
                log=log,
                label=label,
                integer=True,
                allow_missing=True,
                minimum=1,
                maximum=n_nat,
                what="ranks",
            )
        else:
            out[name] = to_numbers(
                df,
                col,
                log=log,
                label=label,
                integer=True,
                allow_missing=True,
                minimum=1,
                maximum=10,
                what="deciles",
            )
    # derive what is missing
    if "imd_decile" not in out and "imd_rank" in out:
        out["imd_decile"] = decile_from_rank(out["imd_rank"], n_nat)
        log.warning(
            f"has IMD ranks but no deciles; deciles were derived from the ranks among {n_nat:,} LSOAs in England.",
            file=label,
        )
    if "imd_rank" not in out and "imd_score" in out:
        if len(out) >= n_nat and out["imd_score"].notna().all():
            out["imd_rank"] = (
                out["imd_score"].rank(ascending=False, method="min").astype("Int64")
            )
            if "imd_decile" not in out:
                out["imd_decile"] = decile_from_rank(out["imd_rank"], n_nat)
            log.warning(
                "has IMD scores but no ranks; national ranks (and deciles) were derived from the scores.",
                file=label,
            )
        else:
            out["imd_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
            if "imd_decile" not in out:
                out["imd_decile"] = pd.array([pd.NA] * len(out), dtype="Int64")
                log.warning(
                    f"has IMD scores but no ranks or deciles, for {len(out):,} LSOAs (England has {n_nat:,}): "
                    "national ranks and deciles cannot be worked out from part of England, so they are left empty.",
                    file=label,
                    fix="Use a file with the official ranks and deciles (IoD File 1 or 7) for national deciles.",
                )
    if "imd_score" not in out:
        out["imd_score"] = np.nan
    if "imd_rank" not in out:
        out["imd_rank"] = pd.array([pd.NA] * len(out), dtype="Int64")
    for dom in {d for d, _ in cols.values()} - {"imd"}:
        if f"{dom}_rank" in out and f"{dom}_decile" not in out:
            out[f"{dom}_decile"] = decile_from_rank(out[f"{dom}_rank"], n_nat)

    dup = out[area_col].duplicated(keep=False) & out[area_col].notna()
    if dup.any():
        log.error(
            f"has {plural(int(out.loc[dup, area_col].nunique()), 'LSOA code')} on more than one row: "
            f"{format_values(out.loc[dup, area_col])}.",
            file=label,
            column=area,
            rows=df.loc[dup, ROW].tolist(),
            fix="Keep one row per LSOA (a long file needs the year option if it holds several IoD editions).",
        )
    if log.has_errors and _errors_from(log, label):
        return None
    first = [area_col, "imd_score", "imd_rank", "imd_decile"]
    rest = [c for c in out.columns if c not in first]
    out = out[first + rest].reset_index(drop=True)
    out.attrs.update(
        vintage=file_vintage, iod_year=iod_year, layout=layout, label=label
    )
    return out


def _errors_from(log: ProblemLog, label: str) -> bool:
    return any(p.file == label for p in log.errors)


def _unused(options: dict, label: str, log: ProblemLog) -> None:
    for k in options:
        if not str(k).startswith("_"):
            log.warning(
                f"the option '{k}' is not used when reading this file.", file=label
            )


def _parse_name(col: str) -> tuple[str, str] | None:
    m = _KIND_RE.match(col.strip())
    if not m:
        return None
    dom = _DOMAIN_BY_NAME.get(norm(m.group("domain")).replace("+", ""))
    return (dom, m.group("kind").lower()) if dom else None


def _from_long(
    df: pd.DataFrame,
    area: str,
    dom_col: str,
    year: int | str | None,
    log: ProblemLog,
    label: str,
) -> tuple[pd.DataFrame, int | None] | None:
    year_col = find_column(
        df.columns, ["year", "DateCode", "iod_year", "deprivation_data_year", "edition"]
    )
    measure_col = find_column(df.columns, ["Measurement", "measure"])
    value_col = find_column(df.columns, ["Value"])
    chosen: int | None = None
    if year_col is not None:
        years = df[year_col].str.extract(r"(\d{4})")[0]
        avail = sorted(years.dropna().unique().tolist())
        if year is not None:
            if str(year) not in avail:
                log.error(
                    f"has no rows for the year {year}{did_you_mean(str(year), avail)}.",
                    file=label,
                    column=year_col,
                    fix=f"Years in the file: {', '.join(avail)}.",
                )
                return None
            pick = str(year)
        else:
            pick = avail[-1]
            if len(avail) > 1:
                log.warning(
                    f"holds IoD editions {', '.join(avail)}; used the latest, {pick}.",
                    file=label,
                    column=year_col,
                    fix=f"Set year = {avail[0]} in the file's options to use another.",
                )
        df = df[years == pick]
        chosen = int(pick)
    keys = df[dom_col].map(
        lambda v: _DOMAIN_BY_NAME.get(re.sub(r"^[a-z]\.", "", norm(v)).replace("+", ""))
    )
    known = keys.notna()
    if not (keys == "imd").any():
        log.error(
            f"has no Index of Multiple Deprivation rows in column '{dom_col}' "
            f"(values: {format_values(df[dom_col].unique(), 4)}).",
            file=label,
            column=dom_col,
            fix="Keep the rows for 'Index of Multiple Deprivation'.",
        )
        return None
    df = df[known].assign(_dom=keys[known])
    if measure_col is not None and value_col is not None:
        kind = df[measure_col].str.lower().str.extract(r"(score|rank|decile)")[0]
        df = df[kind.notna()].assign(_kind=kind[kind.notna()])
        wide = df.pivot_table(
            index=area, columns=["_dom", "_kind"], values=value_col, aggfunc="first"
        )
        wide.columns = [f"{d}_{k}" for d, k in wide.columns]
    else:
        vals = [c for c in ("score", "rank", "decile") if find_column(df.columns, [c])]
        cols = {find_column(df.columns, [c]): c for c in vals}
        wide = df.pivot_table(
            index=area, columns="_dom", values=list(cols), aggfunc="first"
        )
        wide.columns = [f"{d}_{cols[v]}" for v, d in wide.columns]
    rows = df.groupby(area)[ROW].min()
    wide = wide.reset_index()
    wide[ROW] = wide[area].map(rows).to_numpy()
    wide = wide.sort_values(ROW).reset_index(drop=True)
    return wide.fillna("").astype({c: str for c in wide.columns if c != ROW}), chosen
