"""Geography lookups (LSOA → MSOA → LTLA → ICB, ward, sub-ICB …) into canonical columns.

ONS naming (``LSOA21CD``, ``LAD22CD``, ``ICB23NM``, ``SICBL22CD``, ``WD24CD`` …) and tidy naming
(``lsoa11_code``, ``lad22_name``, ``icb22_code_h`` …) are read alike. Each level's columns become
canonical (``msoa_code``, ``ltla_code``, ``ltla_name``, ``icb_code``, ``icb_name``, ``icb_code_nhs``,
``subicb_code``, ``ward_code`` …) and the year each level was drawn from is kept in
``df.attrs["vintages"]`` (e.g. ``{"lsoa": 2021, "ward": 2024, "ltla": 2024}``). Output-area
lookups (one row per OA) are reduced to one row per LSOA.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from hiworkbook.io._read import ROW, clean_codes, label_for, norm, read_table
from hiworkbook.io.geography import detect_lsoa_vintage, report_vintage_mismatch
from hiworkbook.validate import ProblemLog, did_you_mean, format_values

__all__ = ["load_lookup", "LEVELS"]

#: Canonical level → the field-name stems used for it (normalised).
LEVELS: dict[str, tuple[str, ...]] = {
    "oa": ("oa",),
    "lsoa": ("lsoa",),
    "msoa": ("msoa",),
    "ltla": ("lad", "ltla", "lau1"),
    "utla": ("utla", "cty", "cua", "ctyua"),
    "ward": ("wd", "ward"),
    "subicb": ("sicbl", "subicb", "ccg", "loc"),
    "icb": ("icb", "stp"),
    "nhs_region": ("nhser",),
    "region": ("rgn", "region"),
    "country": ("ctry", "country"),
}
_STEM = {stem: lv for lv, stems in LEVELS.items() for stem in stems}
_COL_RE = re.compile(
    r"^(?P<stem>" + "|".join(sorted(_STEM, key=len, reverse=True)) + r")(?P<yy>\d\d)?"
    r"(?P<kind>cd|code|nm|name|nmw|cdh|codeh|codenhs|cdnhs)$"
)
_KIND = {
    "cd": "code",
    "code": "code",
    "nm": "name",
    "name": "name",
    "cdh": "code_nhs",
    "codeh": "code_nhs",
    "codenhs": "code_nhs",
    "cdnhs": "code_nhs",
}


def load_lookup(
    path: str | Path,
    *,
    log: ProblemLog,
    label: str | None = None,
    vintage: int | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    columns: dict[str, str] | None = None,
    area_level: str = "lsoa",
    **options: object,
) -> pd.DataFrame | None:
    """Read a geography lookup into canonical columns, one row per small area.

    Parameters
    ----------
    path : str or Path
        CSV (optionally gzipped) or Excel.
    log : ProblemLog
        Where problems are recorded.
    label : str, optional
        The file's name as the user wrote it.
    vintage : {2011, 2021}, optional
        The workbook's LSOA vintage; a lookup from the other vintage is an error.
    sheet, header_row : optional
        Excel sheet (name or number from 1) and header row.
    columns : dict, optional
        Explicit columns for canonical names the file does not follow, e.g.
        ``{ ltla_code = "District code", ltla_name = "District" }``; ``area`` names the LSOA code column.
    area_level : str, default "lsoa"
        The level rows are keyed by.

    Returns
    -------
    pandas.DataFrame or None
        ``lsoa21_code`` (or ``lsoa11_code``), ``lsoa21_name`` where present, then ``msoa_code``,
        ``msoa_name``, ``ltla_code``, ``ltla_name``, ``icb_code``, ``icb_name``, ``icb_code_nhs``,
        ``subicb_code``, ``subicb_name``, ``ward_code``, ``ward_name``, ``utla_code``, ``region_code`` …
        (whichever exist). ``attrs["vintages"]``: the year of each level; ``attrs["vintage"]``:
        the LSOA vintage.
    """
    label = label_for(path, label)
    for k in options:
        if not str(k).startswith("_"):
            log.warning(
                f"the option '{k}' is not used when reading a lookup.", file=label
            )
    df = read_table(
        path,
        log=log,
        label=label,
        sheet=sheet,
        header_row=header_row,
        expect=[
            "LSOA21CD",
            "LSOA11CD",
            "lsoa21_code",
            "lsoa11_code",
            "lsoa21cd",
            "lsoa11cd",
        ],
    )
    if df is None:
        return None
    columns = dict(columns or {})
    mapping: dict[str, str] = {}  # canonical → file column
    years: dict[str, int] = {}
    for c in df.columns:
        if c == ROW:
            continue
        m = _COL_RE.match(norm(c))
        if not m or m.group("kind") == "nmw":
            continue
        lv = _STEM[m.group("stem")]
        key = f"{lv}_{_KIND[m.group('kind')]}"
        if key in mapping:
            continue
        mapping[key] = c
        if m.group("yy"):
            years.setdefault(lv, 2000 + int(m.group("yy")))
    for key, col in columns.items():
        key = f"{area_level}_code" if key == "area" else key
        hit = next((c for c in df.columns if norm(c) == norm(col)), None)
        if hit is None:
            cols = [c for c in df.columns if c != ROW]
            log.error(
                f"has no column '{col}' (named for {key} in the columns option){did_you_mean(col, cols)}.",
                file=label,
                fix=f"The file's columns are: {format_values(cols, 12)}.",
            )
            return None
        mapping[key] = hit
    area_key = f"{area_level}_code"
    if area_key not in mapping:
        cols = [c for c in df.columns if c != ROW]
        hint = did_you_mean("LSOA21CD", cols) or did_you_mean("lsoa21_code", cols)
        log.error(
            f"has no {area_level.upper()} code column{hint}.",
            file=label,
            fix="A lookup needs the small-area code column (LSOA21CD, LSOA11CD, lsoa21_code …); "
            f'name yours with columns = {{ area = "…" }}. The file\'s columns are: {format_values(cols, 12)}.',
        )
        return None
    parents = [
        k
        for k in mapping
        if k.endswith("_code") and k != area_key and not k.startswith("oa_")
    ]
    if not parents:
        log.error(
            f"has no parent geography columns (looked for MSOA, LAD/LTLA, ICB, ward, sub-ICB codes) beside "
            f"'{mapping[area_key]}'.",
            file=label,
            fix="Use a lookup with LAD22CD, ICB23CD … or lad22_code, icb23_code … columns.",
        )
        return None

    codes = clean_codes(
        df, mapping[area_key], log=log, label=label, what=f"{area_level.upper()} codes"
    )
    out = pd.DataFrame({area_key: codes})
    keep = [k for k in mapping if k != area_key and not k.startswith("oa_")]
    for k in keep:
        out[k] = (
            df[mapping[k]].astype(str).str.strip().replace("", pd.NA).astype(object)
        )
    out[ROW] = df[ROW]
    if any(p.file == label for p in log.errors):
        return None

    # one row per small area; parents must agree
    if out[area_key].duplicated().any():
        code_cols = [k for k in keep if k.endswith("_code")]
        nun = out.groupby(area_key)[code_cols].nunique(dropna=True)
        for k in code_cols:
            clash = nun.index[nun[k] > 1]
            if len(clash):
                rows = out.loc[out[area_key].isin(clash), ROW].tolist()
                log.error(
                    f"puts {len(clash)} {area_level.upper()}s in more than one {k.removesuffix('_code').upper()}: "
                    f"{format_values(list(clash))}.",
                    file=label,
                    column=mapping[k],
                    rows=rows,
                    fix="A lookup must give each small area one parent at each level; for best-fit lookups "
                    "keep the best-fit row only.",
                )
        if any(p.file == label for p in log.errors):
            return None
        out = out.drop_duplicates(area_key)
    missing = {
        k: int(out[k].isna().sum())
        for k in keep
        if k.endswith("_code") and out[k].isna().any()
    }
    if missing:
        log.warning(
            "has small areas without a parent code: "
            + ", ".join(
                f"{n} without {k.removesuffix('_code')}" for k, n in missing.items()
            )
            + ".",
            file=label,
            fix="Those areas will not belong to any place at that level.",
        )

    if area_level == "lsoa":
        check = detect_lsoa_vintage(out[area_key].dropna())
        named = years.get("lsoa")
        if check.mixed:
            log.error(
                f"mixes LSOA vintages: {check.describe()}.",
                file=label,
                column=mapping[area_key],
            )
            return None
        if named and check.vintage and named != check.vintage:
            log.error(
                f"has a column named for LSOA {named} ('{mapping[area_key]}') but {check.describe()}.",
                file=label,
                column=mapping[area_key],
            )
            return None
        found = check.vintage or named or vintage or 2021
        if vintage and found != vintage:
            ev = check.describe() if check.vintage else f"column '{mapping[area_key]}'"
            report_vintage_mismatch(log, label, found, int(vintage), ev)
            return None
        years["lsoa"] = found
        area_col = f"lsoa{str(found)[-2:]}_code"
        ren = {area_key: area_col, "lsoa_name": f"lsoa{str(found)[-2:]}_name"}
        out = out.rename(columns=ren)
    else:
        area_col = area_key
    order = [area_col] + [c for c in out.columns if c not in (area_col, ROW)]
    out = out[order].reset_index(drop=True)
    out.attrs["vintages"] = {
        k: v for k, v in years.items() if k == "lsoa" or f"{k}_code" in out.columns
    }
    out.attrs["vintage"] = years.get("lsoa")
    out.attrs["label"] = label
    out.attrs["columns"] = {
        k: v for k, v in mapping.items() if k in keep or k == area_key
    }
    return out
