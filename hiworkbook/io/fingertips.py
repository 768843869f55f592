"""OHID Fingertips data: the web CSV export and the API layout, into one tidy value table.

Recognised layouts
------------------
- **Web CSV export** ("Export data" on fingertips.phe.org.uk, or ``fingertipsR``): ``Indicator ID``,
  ``Indicator Name``, ``Area Code``, ``Area Name``, ``Area Type``, ``Sex``, ``Age``, ``Category Type``,
  ``Category``, ``Time period``, ``Value``, ``Lower CI 95.0 limit``, ``Upper CI 95.0 limit``,
  ``Lower CI 99.8 limit``, ``Upper CI 99.8 limit``, ``Count``, ``Denominator``, ``Value note`` …
- **API layout** (``IndicatorId``, ``Year``, ``AgeID``, ``SexID``, ``AreaCode``, ``Count``, ``Value``,
  ``LowerCI``, ``UpperCI``, ``Denominator``, ``Sex``, ``Age``, ``CategoryType``, ``Category``), as in
  the FingertipsNext extracts, where ``CategoryType`` and ``Category`` are swapped and ``Category``
  carries literal quotes: both are repaired. Its ``LowerCI``/``UpperCI`` are read as 95% limits
  (``ci_level`` option to say otherwise).

:func:`load_fingertips_metadata` reads the indicator metadata (polarity, value type, comparison method).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from hiworkbook.io._read import ROW, label_for, read_table, resolve_columns, to_numbers
from hiworkbook.validate import ProblemLog, format_values

__all__ = [
    "load_fingertips",
    "load_fingertips_metadata",
    "FINGERTIPS_COLUMNS",
    "area_type_from_code",
]

FINGERTIPS_COLUMNS = (
    "indicator_id",
    "indicator_name",
    "area_code",
    "area_name",
    "area_type",
    "sex",
    "age",
    "category_type",
    "category",
    "period",
    "value",
    "lower_ci_95",
    "upper_ci_95",
    "lower_ci_99_8",
    "upper_ci_99_8",
    "numerator",
    "denominator",
    "value_note",
)
_WANTED = {
    "indicator_id": ("Indicator ID", "IndicatorId", "IndicatorID"),
    "indicator_name": ("Indicator Name", "IndicatorName"),
    "area_code": ("Area Code", "AreaCode"),
    "area_name": ("Area Name", "AreaName"),
    "area_type": ("Area Type", "AreaType"),
    "sex": ("Sex",),
    "age": ("Age",),
    "category_type": ("Category Type", "CategoryType"),
    "category": ("Category",),
    "period": ("Time period", "Year", "Timeperiod", "TimePeriod"),
    "value": ("Value",),
    "lower_ci_95": ("Lower CI 95.0 limit", "LowerCI95", "LowerCI95.0limit"),
    "upper_ci_95": ("Upper CI 95.0 limit", "UpperCI95", "UpperCI95.0limit"),
    "lower_ci_99_8": ("Lower CI 99.8 limit", "LowerCI99_8", "LowerCI99.8limit"),
    "upper_ci_99_8": ("Upper CI 99.8 limit", "UpperCI99_8", "UpperCI99.8limit"),
    "lower_ci": ("LowerCI", "Lower CI"),
    "upper_ci": ("UpperCI", "Upper CI"),
    "numerator": ("Count",),
    "denominator": ("Denominator",),
    "value_note": ("Value note", "ValueNote"),
    "sex_id": ("SexID", "SexId"),
}
_SEX = {
    "persons": "persons",
    "male": "male",
    "female": "female",
    "not applicable": "persons",
    "1": "male",
    "2": "female",
    "4": "persons",
    "-1": "persons",
}


def area_type_from_code(codes: pd.Series) -> pd.Series:
    """A best guess of the Fingertips area type from ONS code prefixes (``E92`` England, ``E54`` ICB …).

    GP practice codes (a letter and five digits) give ``"GPs"``; unknown prefixes give NA.
    """
    prefix = {
        "E92": "England",
        "E12": "Region",
        "E40": "NHS region",
        "E54": "ICB",
        "E38": "Sub-ICB",
        "E06": "Local authority",
        "E07": "Local authority",
        "E08": "Local authority",
        "E09": "Local authority",
        "E10": "County",
        "E11": "Metropolitan county",
        "E47": "Combined authority",
        "E02": "MSOA",
        "E01": "LSOA",
        "E05": "Ward",
    }
    s = codes.astype(str)
    out = s.str[:3].map(prefix)
    out = out.where(~s.str.match(r"^[A-Z]\d{5}$"), "GPs")
    out = out.where(~s.str.match(r"^U\d{5}$"), "PCN")
    return out.astype(object)


def load_fingertips(
    path: str | Path,
    *,
    log: ProblemLog,
    label: str | None = None,
    indicator_ids: Iterable[str | int] | None = None,
    area_codes: Iterable[str] | None = None,
    ci_level: float = 95.0,
    sheet: str | int | None = None,
    **options: object,
) -> pd.DataFrame | None:
    """Read a Fingertips export (web CSV or API layout) into a tidy value table.

    Parameters
    ----------
    path : str or Path
        CSV (optionally gzipped) or Excel.
    log : ProblemLog
    label : str, optional
    indicator_ids : iterable, optional
        Keep only these indicators.
    area_codes : iterable of str, optional
        Keep only these areas (e.g. ``["E92000001"]`` for England).
    ci_level : {95, 99.8}, default 95
        The level of unlabelled ``LowerCI``/``UpperCI`` columns (API layout).
    sheet : optional
        Excel sheet.

    Returns
    -------
    pandas.DataFrame or None
        Columns :data:`FINGERTIPS_COLUMNS`: ids and periods as text, ``sex`` as
        ``female``/``male``/``persons``, numbers as floats, missing categories as NA.
        ``attrs["layout"]`` is ``"web"`` or ``"api"``; ``attrs["fixes"]`` lists repairs made.
    """
    label = label_for(path, label)
    for k in options:
        if not str(k).startswith("_"):
            log.warning(
                f"the option '{k}' is not used when reading a Fingertips file.",
                file=label,
            )
    df = read_table(
        path,
        log=log,
        label=label,
        sheet=sheet,
        expect=["Indicator ID", "IndicatorId", "IndicatorID"],
    )
    if df is None:
        return None
    cols = resolve_columns(
        df,
        _WANTED,
        log=log,
        label=label,
        required=["indicator_id", "area_code", "period", "value"],
        what="Fingertips file",
    )
    if cols is None:
        return None
    layout = (
        "web"
        if "Time period" in cols.get("period", "") or "indicator_name" in cols
        else "api"
    )
    fixes: list[str] = []
    out = pd.DataFrame(index=df.index)
    out["indicator_id"] = (
        df[cols["indicator_id"]].str.replace(r"\.0$", "", regex=True).astype(object)
    )
    out["indicator_name"] = (
        df[cols["indicator_name"]].astype(object) if "indicator_name" in cols else pd.NA
    )
    out["area_code"] = df[cols["area_code"]].str.strip().str.upper().astype(object)
    out["area_name"] = (
        df[cols["area_name"]].astype(object) if "area_name" in cols else pd.NA
    )
    out["area_type"] = (
        df[cols["area_type"]].astype(object)
        if "area_type" in cols
        else area_type_from_code(out["area_code"])
    )
    if "sex" in cols:
        sx = df[cols["sex"]]
    elif "sex_id" in cols:
        sx = df[cols["sex_id"]]
    else:
        sx = pd.Series("persons", index=df.index)
    key = sx.astype(str).str.strip().str.lower()
    out["sex"] = key.map(_SEX).astype(object)
    bad = out["sex"].isna()
    if bad.any():
        log.error(
            f"has sex values hiworkbook does not recognise: {format_values(sx[bad])}.",
            file=label,
            column=cols.get("sex"),
            rows=df.loc[bad, ROW].tolist(),
            fix="Fingertips uses Persons, Male and Female.",
        )
    out["age"] = df[cols["age"]].astype(object) if "age" in cols else pd.NA
    ct = (
        _unquote(df[cols["category_type"]])
        if "category_type" in cols
        else pd.Series(pd.NA, index=df.index)
    )
    cat = (
        _unquote(df[cols["category"]])
        if "category" in cols
        else pd.Series(pd.NA, index=df.index)
    )
    if "category" in cols and "category_type" in cols:
        quoted = df[cols["category"]].str.match(r'^".*"$').any()
        swapped = ct.nunique() > cat.nunique() or (
            quoted and ct.nunique() >= cat.nunique()
        )
        if swapped:
            ct, cat = cat, ct
            fixes.append("CategoryType and Category were swapped; swapped them back")
        if quoted:
            fixes.append("removed literal quotes from Category")
    out["category_type"] = ct
    out["category"] = cat
    out["period"] = (
        df[cols["period"]]
        .str.replace(r"^(\d{4})\.0$", r"\1", regex=True)
        .astype(object)
    )
    out["value"] = to_numbers(
        df, cols["value"], log=log, label=label, allow_missing=True, what="values"
    )
    for k in (
        "lower_ci_95",
        "upper_ci_95",
        "lower_ci_99_8",
        "upper_ci_99_8",
        "numerator",
        "denominator",
    ):
        out[k] = (
            to_numbers(
                df, cols[k], log=log, label=label, allow_missing=True, what="values"
            )
            if k in cols
            else np.nan
        )
    if "lower_ci" in cols and "lower_ci_95" not in cols:
        suffix = "95" if float(ci_level) == 95.0 else "99_8"
        out[f"lower_ci_{suffix}"] = to_numbers(
            df, cols["lower_ci"], log=log, label=label, allow_missing=True
        )
        out[f"upper_ci_{suffix}"] = to_numbers(
            df, cols["upper_ci"], log=log, label=label, allow_missing=True
        )
        fixes.append(f"read LowerCI/UpperCI as {ci_level:g}% limits")
    out["value_note"] = (
        df[cols["value_note"]].replace("", pd.NA).astype(object)
        if "value_note" in cols
        else pd.NA
    )
    if any(p.file == label for p in log.errors):
        return None
    if indicator_ids is not None:
        out = out[out["indicator_id"].isin([str(i) for i in indicator_ids])]
    if area_codes is not None:
        out = out[out["area_code"].isin([str(a).upper() for a in area_codes])]
    out = out[list(FINGERTIPS_COLUMNS)].reset_index(drop=True)
    out.attrs.update(layout=layout, fixes=fixes, label=label)
    return out


def _unquote(s: pd.Series) -> pd.Series:
    t = s.astype(str).str.strip()
    for _ in range(2):
        t = t.str.replace(r'^"(.*)"$', r"\1", regex=True).str.strip()
    return t.replace("", pd.NA).astype(object)


_POLARITY = {
    "low is good": "low_is_good",
    "rag - low is good": "low_is_good",
    "high is good": "high_is_good",
    "rag - high is good": "high_is_good",
    "no judgement": "no_judgement",
    "not applicable": "no_judgement",
    "bob - blue orange blue": "no_judgement",
}


def load_fingertips_metadata(
    path: str | Path,
    *,
    log: ProblemLog,
    label: str | None = None,
    **options: object,
) -> pd.DataFrame | None:
    """Read Fingertips indicator metadata: polarity, value type and benchmark comparison method.

    Parameters
    ----------
    path : str or Path
        A CSV with ``IndicatorID``, ``Polarity``, ``BenchmarkComparisonMethod``, ``ValueType``,
        ``IndicatorName`` … (API ``indicator_metadata`` or the FingertipsNext extract).
    log : ProblemLog
    label : str, optional

    Returns
    -------
    pandas.DataFrame or None
        ``indicator_id``, ``indicator_name``, ``polarity`` (``low_is_good``, ``high_is_good``,
        ``no_judgement``), ``polarity_text``, ``value_type``, ``comparison_method``, ``confidence``
        (95.0, 99.8 or NA), ``period_type``, ``frequency``.
    """
    label = label_for(path, label)
    for k in options:
        if not str(k).startswith("_"):
            log.warning(
                f"the option '{k}' is not used when reading Fingertips metadata.",
                file=label,
            )
    df = read_table(path, log=log, label=label, expect=["IndicatorID", "Indicator ID"])
    if df is None:
        return None
    wanted = {
        "indicator_id": ("IndicatorID", "Indicator ID", "IndicatorId"),
        "indicator_name": ("IndicatorName", "Indicator Name", "Indicator"),
        "polarity": ("Polarity", "PolarityName"),
        "value_type": ("ValueType", "Value type", "Value Type"),
        "comparison_method": (
            "BenchmarkComparisonMethod",
            "Comparison method",
            "ComparatorMethod",
        ),
        "period_type": ("PeriodType", "Year type"),
        "frequency": ("Frequency",),
    }
    cols = resolve_columns(
        df,
        wanted,
        log=log,
        label=label,
        required=["indicator_id", "polarity"],
        what="metadata file",
    )
    if cols is None:
        return None
    out = pd.DataFrame({k: df[c].astype(object) for k, c in cols.items()})
    for k in wanted:
        if k not in out:
            out[k] = pd.NA
    out["indicator_id"] = (
        out["indicator_id"].astype(str).str.replace(r"\.0$", "", regex=True)
    )
    out["polarity_text"] = out["polarity"]
    text = out["polarity"].astype(str).str.strip().str.lower()
    pol = text.map(_POLARITY).where(text.ne("") & text.ne("nan"), "no_judgement")
    unknown = pol.isna()
    if unknown.any():
        log.warning(
            f"has polarities hiworkbook does not know ({format_values(out.loc[unknown, 'polarity'])}); "
            "they are read as no_judgement.",
            file=label,
            column=cols["polarity"],
            rows=df.loc[unknown, ROW].tolist(),
        )
    out["polarity"] = pol.fillna("no_judgement")
    conf = out["comparison_method"].astype(str).str.extract(r"\((\d+(?:\.\d+)?)\)")[0]
    out["confidence"] = pd.to_numeric(conf, errors="coerce")
    order = [
        "indicator_id",
        "indicator_name",
        "polarity",
        "polarity_text",
        "value_type",
        "comparison_method",
        "confidence",
        "period_type",
        "frequency",
    ]
    return out[order].reset_index(drop=True)
