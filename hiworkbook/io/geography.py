"""LSOA vintages (2011 vs 2021): detecting them, checking files agree, converting between them.

How the vintage is told
-----------------------
ONS kept most LSOA codes in 2021 but retired those it split or merged and issued new ones. hiworkbook
ships the complete list of English and Welsh LSOA codes of both vintages as compact ranges
(:mod:`hiworkbook.io._lsoa_codes`, ~30 KB, derived from the ONS lookups in the shared real-data
folder and cross-checked against IoD2019 and IoD2025). So for any set of codes we know exactly
which exist only in 2011 (1,034 English, 72 Welsh: e.g. ``E01000010``), only in 2021 (1,945 English,
all above ``E01033768``, and 80 Welsh) or in both (31,810 English). A file's vintage is decided by
the codes that exist in only one vintage; a file whose codes all exist in both (true of most small
extracts) is compatible with either. Codes that are not E01/W01 (Scottish data zones, the demo
region's ``X01…``) are not judged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from hiworkbook.io._lsoa_codes import RANGES
from hiworkbook.validate import ProblemLog, format_values

__all__ = [
    "VintageCheck",
    "detect_lsoa_vintage",
    "vintage_from_name",
    "check_codes_match",
    "report_vintage_mismatch",
    "convert_vintage",
    "NATIONAL_LSOA_COUNT",
]

#: LSOAs in England by vintage (IoD national counts for deciles).
NATIONAL_LSOA_COUNT = {2011: 32_844, 2021: 33_755}

_LSOA_RE = re.compile(r"^(E01|W01)(\d{6})$")


@lru_cache(maxsize=1)
def _known() -> dict[tuple[str, int], np.ndarray]:
    out = {}
    for key, text in RANGES.items():
        nums: list[int] = []
        for part in text.split(","):
            a, _, b = part.partition("-")
            nums.extend(range(int(a), int(b or a) + 1))
        out[key] = np.array(sorted(nums), dtype=np.int64)
    return out


def _in(prefix: str, vintage: int, nums: np.ndarray) -> np.ndarray:
    known = _known()[(prefix, vintage)]
    pos = np.searchsorted(known, nums)
    pos = np.clip(pos, 0, len(known) - 1)
    return known[pos] == nums


@dataclass(frozen=True)
class VintageCheck:
    """What a set of codes says about its LSOA vintage.

    Attributes
    ----------
    vintage : int or None
        2011 or 2021 when the codes decide it; None when they are mixed or fit either vintage.
    mixed : bool
        Codes that exist only in 2011 *and* codes that exist only in 2021 are both present.
    only_2011, only_2021 : tuple of str
        The codes that exist in one vintage only (distinct, sorted).
    unknown : tuple of str
        E01/W01 codes that exist in neither vintage (typos, or not LSOAs at all).
    n_common : int
        Distinct codes valid in both vintages.
    n_other : int
        Distinct codes that are not English or Welsh LSOA codes (not judged).
    """

    vintage: int | None
    mixed: bool
    only_2011: tuple[str, ...]
    only_2021: tuple[str, ...]
    unknown: tuple[str, ...]
    n_common: int
    n_other: int

    @property
    def possible(self) -> tuple[int, ...]:
        """The vintages the codes are consistent with."""
        if self.mixed:
            return ()
        if self.vintage:
            return (self.vintage,)
        return (2011, 2021) if self.n_common else ()

    def fits(self, vintage: int) -> bool:
        """Whether every judged code exists in ``vintage``."""
        return not self.mixed and vintage in self.possible and not self.unknown

    def describe(self) -> str:
        """One sentence on the evidence, for messages."""
        if self.mixed:
            return (
                f"it mixes LSOA 2011 codes ({len(self.only_2011)} that exist only in 2011, e.g. "
                f"{format_values(self.only_2011, 3)}) with LSOA 2021 codes ({len(self.only_2021)} that "
                f"exist only in 2021, e.g. {format_values(self.only_2021, 3)})"
            )
        if self.vintage == 2011:
            return (
                f"it has {_n(len(self.only_2011), 'LSOA code')} found only in the 2011 set "
                f"(e.g. {format_values(self.only_2011, 3)}; ONS retired them in 2021)"
            )
        if self.vintage == 2021:
            return (
                f"it has {_n(len(self.only_2021), 'LSOA code')} found only in the 2021 set "
                f"(e.g. {format_values(self.only_2021, 3)}; new in 2021)"
            )
        if self.n_common:
            return "all its LSOA codes exist in both the 2011 and 2021 sets"
        return "it has no English or Welsh LSOA codes"


def _n(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def detect_lsoa_vintage(codes: Iterable[str]) -> VintageCheck:
    """Tell LSOA 2011 from LSOA 2021 codes using the complete lists of both vintages.

    Parameters
    ----------
    codes : iterable of str
        Area codes (any; non-LSOA codes are counted in ``n_other`` and not judged).

    Returns
    -------
    VintageCheck

    Examples
    --------
    >>> detect_lsoa_vintage(["E01000001", "E01033769"]).vintage
    2021
    >>> detect_lsoa_vintage(["E01000001", "E01000010"]).vintage
    2011
    >>> detect_lsoa_vintage(["E01000001"]).possible
    (2011, 2021)
    """
    ser = (
        codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
    )
    uniq = pd.unique(
        pd.Series(ser.dropna().unique(), dtype=object)
        .astype(str)
        .str.strip()
        .str.upper()
    )
    only11: list[str] = []
    only21: list[str] = []
    unknown: list[str] = []
    n_common = 0
    n_other = 0
    parsed = (
        pd.Series(uniq, dtype=object).str.extract(_LSOA_RE)
        if len(uniq)
        else pd.DataFrame([[None, None]])
    )
    for prefix in ("E01", "W01"):
        mask = (parsed[0] == prefix).to_numpy() if len(uniq) else np.zeros(0, bool)
        if not mask.any():
            continue
        nums = parsed.loc[mask, 1].astype(np.int64).to_numpy()
        sel = np.asarray(uniq)[mask]
        a = _in(prefix, 2011, nums)
        b = _in(prefix, 2021, nums)
        only11 += sel[a & ~b].tolist()
        only21 += sel[b & ~a].tolist()
        unknown += sel[~a & ~b].tolist()
        n_common += int((a & b).sum())
    if len(uniq):
        n_other = int((~parsed[0].isin(["E01", "W01"])).sum())
    mixed = bool(only11) and bool(only21)
    vintage = None if mixed else (2011 if only11 else 2021 if only21 else None)
    return VintageCheck(
        vintage=vintage,
        mixed=mixed,
        only_2011=tuple(sorted(only11)),
        only_2021=tuple(sorted(only21)),
        unknown=tuple(sorted(unknown)),
        n_common=n_common,
        n_other=n_other,
    )


def vintage_from_name(name: str) -> int | None:
    """The LSOA vintage a column name states (``"LSOA code (2011)"``, ``lsoa21cd``), or None.

    Examples
    --------
    >>> vintage_from_name("LSOA code (2011)"), vintage_from_name("lsoa21_code"), vintage_from_name("code")
    (2011, 2021, None)
    """
    n = re.sub(r"[^a-z0-9]+", "", str(name).lower())
    m = re.search(r"(?:lsoa|soa)(?:code|cd|nm|name)?(20)?(11|21)", n) or re.search(
        r"(20)?(11|21)(?:lsoa)", n
    )
    if m:
        return 2000 + int(m.group(2))
    m = re.search(r"lsoa.*(2011|2021)", n)
    return int(m.group(1)) if m else None


def report_vintage_mismatch(
    log: ProblemLog,
    label: str,
    found: int,
    expected: int,
    evidence: str,
    *,
    convertible: bool = False,
    kind: str = "",
) -> None:
    """Record that a file's LSOA vintage is not the workbook's, naming which is which and what to do.

    Parameters
    ----------
    log : ProblemLog
    label : str
        The file.
    found : int
        The file's vintage (2011 or 2021).
    expected : int
        The workbook's vintage (``geography.vintage``).
    evidence : str
        How the file's vintage was told (a column name or :meth:`VintageCheck.describe`).
    kind : str
        What the file is (``"deprivation"`` adds which IoD edition to use).
    convertible : bool
        Whether the data could be converted through a best-fit lookup (counts and populations can;
        deprivation ranks and boundaries cannot).
    """
    fix = f"Use a file with LSOA {expected} codes"
    if kind == "deprivation":
        fix += " (IoD2025 uses LSOA 2021; IoD2019 uses LSOA 2011)"
    if convertible:
        fix += (
            f", or name an ONS 'LSOA ({found}) to LSOA ({expected}) best fit lookup' as best_fit_lookup under [files]"
            " so hiworkbook converts it"
        )
    fix += (
        f", or set geography.vintage = {found} if the whole workbook is LSOA {found}."
    )
    log.error(
        f"has LSOA {found} codes but the workbook uses LSOA {expected} ({evidence}).",
        file=label,
        fix=fix,
    )


def check_codes_match(
    data_codes: Iterable[str],
    boundary_codes: Iterable[str],
    data_file: str,
    boundary_file: str,
    log: ProblemLog,
    *,
    both_ways: bool = True,
    extra: str = "warning",
) -> bool:
    """Check a data file's area codes against the boundaries' codes, and say why they differ.

    Parameters
    ----------
    data_codes : iterable of str
        Codes in the data (repeats are fine).
    boundary_codes : iterable of str
        Codes of the boundaries (the small areas reports are made of).
    data_file, boundary_file : str
        The files, as the user named them.
    log : ProblemLog
    both_ways : bool, default True
        Also report boundary areas that have no data (an error: e.g. areas without a deprivation
        decile). Counts files, which need not cover every area, pass False.
    extra : {"warning", "error", "ignore"}, default "warning"
        How to record data codes that are not in the boundaries when nothing points to a mistake.
        A data file covering every boundary area and more (a national file read for one place) is
        never reported unless ``extra="error"``. When nothing matches, or the cause is a vintage or
        code-format mismatch, it is always an error.

    Returns
    -------
    bool
        True when no error was recorded.
    """
    data = _distinct_text(data_codes)
    bnd = _distinct_text(boundary_codes)
    bset = set(bnd)
    dset = set(data)
    not_in_b = sorted(dset - bset)
    not_in_d = sorted(bset - dset)
    before = len(log.errors)
    if not not_in_b and (not not_in_d or not both_ways):
        return True
    cause, fix = _likely_cause(not_in_b, not_in_d, data, bnd, data_file, boundary_file)
    nothing = not (dset & bset)
    if not_in_b:
        n = len(not_in_b)
        msg = (
            f"{n} area code{'s' if n != 1 else ''} in {data_file} {'are' if n != 1 else 'is'} not in the "
            f"boundaries {boundary_file}: {format_values(not_in_b, 6)}."
        )
        if nothing:
            msg = (
                f"none of the {len(dset)} area codes in {data_file} is in the boundaries {boundary_file} "
                f"(e.g. {format_values(not_in_b, 4)})."
            )
        if cause:
            msg += f" Likely cause: {cause}."
        if nothing or cause or extra == "error":
            log.error(
                msg,
                file=data_file,
                fix=fix or "Check that both files describe the same areas.",
            )
        elif (
            extra == "warning" and not_in_d
        ):  # a superset (national file, one place) is normal
            log.warning(
                msg + " Their rows are not used.",
                file=data_file,
                fix="Nothing to do if the file deliberately covers a wider area.",
            )
    if both_ways and not_in_d and not nothing:
        n = len(not_in_d)
        msg = (
            f"{n} of the {len(bset)} areas in the boundaries {boundary_file} "
            f"{'have' if n != 1 else 'has'} no rows in {data_file}: {format_values(not_in_d, 6)}."
        )
        if cause:
            msg += f" Likely cause: {cause}."
        log.error(
            msg,
            file=data_file,
            fix=fix or f"Add these areas to {data_file}, or check the boundaries.",
        )
    return len(log.errors) == before


def _distinct_text(codes: Iterable[str]) -> pd.Series:
    """The distinct non-missing codes as text, in order of first appearance (object dtype).

    Distinct values are taken before anything is converted, so a column of millions of rows
    (counts) costs one hash pass, not a Python object per row."""
    s = codes if isinstance(codes, pd.Series) else pd.Series(list(codes), dtype=object)
    first = pd.Series(np.asarray(s.dropna().unique(), dtype=object), dtype=object)
    return pd.Series(pd.unique(first.astype(str)), dtype=object)


def _likely_cause(
    not_in_b: Sequence[str],
    not_in_d: Sequence[str],
    data: pd.Series,
    bnd: pd.Series,
    data_file: str,
    boundary_file: str,
) -> tuple[str, str]:
    dv = detect_lsoa_vintage(data)
    bv = detect_lsoa_vintage(bnd)
    if dv.mixed:
        return (
            f"{data_file} mixes LSOA vintages: {dv.describe()}",
            "Use one vintage throughout; convert the older rows with an ONS best-fit lookup.",
        )
    if dv.vintage and bv.vintage and dv.vintage != bv.vintage:
        return (
            f"the wrong LSOA vintage: {data_file} has LSOA {dv.vintage} codes "
            f"({len(getattr(dv, f'only_{dv.vintage}'))} exist only in {dv.vintage}, e.g. "
            f"{format_values(getattr(dv, f'only_{dv.vintage}'), 2)}) and {boundary_file} has LSOA "
            f"{bv.vintage} codes ({len(getattr(bv, f'only_{bv.vintage}'))} exist only in {bv.vintage}, "
            f"e.g. {format_values(getattr(bv, f'only_{bv.vintage}'), 2)})",
            f"Use files of one vintage (LSOA {bv.vintage} to match the boundaries), or convert {data_file} "
            "through an ONS best-fit lookup (best_fit_lookup under [files]).",
        )
    for v in (2011, 2021):
        other = 2021 if v == 2011 else 2011
        if getattr(dv, f"only_{v}") and bv.vintage == other:
            return (
                f"the wrong LSOA vintage: {data_file} has LSOA {v} codes such as "
                f"{format_values(getattr(dv, f'only_{v}'), 2)} while {boundary_file} is LSOA {other}",
                f"Use LSOA {other} data, or convert through an ONS best-fit lookup.",
            )
        if getattr(bv, f"only_{v}") and dv.vintage == other:
            return (
                f"the wrong LSOA vintage: {boundary_file} has LSOA {v} codes such as "
                f"{format_values(getattr(bv, f'only_{v}'), 2)} while {data_file} is LSOA {other}",
                f"Use LSOA {other} boundaries, or convert the data through an ONS best-fit lookup.",
            )
    bad = [c for c in not_in_b if c in set(dv.unknown)]
    if bad:
        return (
            f"{len(bad)} of them are not LSOA codes of either vintage (e.g. {format_values(bad, 3)}): typing errors?",
            "Correct the codes; ONS LSOA codes are E01 or W01 and six digits.",
        )
    low = {c.strip().upper() for c in bnd}
    fixable = [c for c in not_in_b if c.strip().upper() in low]
    if fixable:
        return (
            "the codes differ only in spaces or letter case",
            "Remove spaces and write codes in capitals.",
        )
    prefixes_d = {str(c)[:3] for c in not_in_b}
    prefixes_b = {str(c)[:3] for c in bnd}
    if prefixes_d and not prefixes_d & prefixes_b:
        return (
            f"different geographies: {data_file} has {', '.join(sorted(prefixes_d))}… codes and "
            f"{boundary_file} has {', '.join(sorted(prefixes_b))}… codes",
            "Use data and boundaries for the same kind of area (LSOA codes begin E01).",
        )
    return "", ""


def convert_vintage(
    table: pd.DataFrame,
    lookup: pd.DataFrame | str | Path,
    *,
    log: ProblemLog,
    from_vintage: int = 2011,
    to_vintage: int = 2021,
    value_cols: Sequence[str] | None = None,
    weights: pd.Series | None = None,
    label: str = "data",
    lookup_label: str | None = None,
) -> pd.DataFrame | None:
    """Convert counts or populations between LSOA vintages through a best-fit lookup.

    Each LSOA of ``from_vintage`` that maps to one LSOA of ``to_vintage`` (unchanged, or merged)
    gives it all its values; one that was split shares its values among its successors in
    proportion to ``weights`` (e.g. their populations), or equally when no weights are given.
    Whole-number columns stay whole: shares are rounded so each source row's total is kept
    (largest remainder). Rows are then summed by every other column.

    Parameters
    ----------
    table : pandas.DataFrame
        A canonical counts or population table with a ``lsoa11_code`` (or ``lsoa21_code``) column.
    lookup : DataFrame or path
        An ONS LSOA 2011 → 2021 best-fit lookup (``LSOA11CD``, ``LSOA21CD``; ONS or tidy names).
    log : ProblemLog
    from_vintage, to_vintage : int
        The table's vintage and the wanted one.
    value_cols : sequence of str, optional
        Columns to share out; default those of ``numerator``, ``denominator``, ``population`` present.
    weights : pandas.Series, optional
        Weight of each target LSOA (indexed by its code) for splitting.
    label, lookup_label : str
        File names for messages.

    Returns
    -------
    pandas.DataFrame or None
        The table with ``lsoa{yy}_code`` of ``to_vintage``; None when codes are missing from the lookup.
    """
    from hiworkbook.io._read import find_column, read_table

    src = f"lsoa{str(from_vintage)[-2:]}_code"
    dst = f"lsoa{str(to_vintage)[-2:]}_code"
    if isinstance(lookup, (str, Path)):
        lookup_label = lookup_label or Path(lookup).name
        lk = read_table(
            lookup,
            log=log,
            label=lookup_label,
            expect=[f"LSOA{str(from_vintage)[-2:]}CD", src],
        )
        if lk is None:
            return None
    else:
        lk = lookup
        lookup_label = lookup_label or "the best-fit lookup"
    yy_f, yy_t = str(from_vintage)[-2:], str(to_vintage)[-2:]
    c_from = find_column(
        lk.columns, [src, f"LSOA{yy_f}CD", f"lsoa{yy_f}cd", f"LSOA {from_vintage} Code"]
    )
    c_to = find_column(
        lk.columns, [dst, f"LSOA{yy_t}CD", f"lsoa{yy_t}cd", f"LSOA {to_vintage} Code"]
    )
    if c_from is None or c_to is None:
        log.error(
            f"is not an LSOA {from_vintage} → {to_vintage} lookup: it needs columns LSOA{yy_f}CD and LSOA{yy_t}CD.",
            file=lookup_label,
            fix="Download 'LSOA (2011) to LSOA (2021) to Local Authority District (2022) Best Fit Lookup' from the ONS Open Geography Portal.",
        )
        return None
    if src not in table:
        log.error(f"has no {src} column to convert.", file=label)
        return None
    pairs = pd.DataFrame(
        {
            src: lk[c_from].astype(str).str.strip().str.upper(),
            dst: lk[c_to].astype(str).str.strip().str.upper(),
        }
    ).drop_duplicates()
    missing = sorted(set(table[src].dropna().astype(str)) - set(pairs[src]))
    if missing:
        log.error(
            f"{len(missing)} LSOA {from_vintage} codes are not in the best-fit lookup {lookup_label}: "
            f"{format_values(missing, 6)}.",
            file=label,
            fix="Use the complete ONS best-fit lookup for England (and Wales).",
        )
        return None
    if weights is not None:
        pairs["w"] = pairs[dst].map(weights).astype(float).fillna(0.0)
    else:
        pairs["w"] = 1.0
    tot = pairs.groupby(src)["w"].transform("sum")
    n = pairs.groupby(src)[dst].transform("size")
    pairs["share"] = np.where(tot > 0, pairs["w"] / tot.where(tot > 0, 1), 1.0 / n)
    split = int((pairs.groupby(src).size() > 1).sum())
    value_cols = list(
        value_cols
        or [c for c in ("numerator", "denominator", "population") if c in table]
    )
    t = table.reset_index(drop=True).assign(_rid=lambda d: np.arange(len(d)))
    m = t.merge(pairs[[src, dst, "share"]], on=src, how="left")
    for col in value_cols:
        v = m[col].astype("float64") * m["share"]
        if pd.api.types.is_integer_dtype(table[col]):
            base = np.floor(v.fillna(0))
            rem = (v.fillna(0) - base).to_numpy()
            short = (
                m[col].astype("float64").fillna(0)
                - base.groupby(m["_rid"]).transform("sum")
            ).round()
            order = pd.Series(-rem).groupby(m["_rid"]).rank(method="first")
            add = (order <= short).astype(float)
            m[col] = (base + add).where(m[col].notna()).astype("Int64")
        else:
            m[col] = v
    keys = [c for c in table.columns if c not in value_cols and c != src]
    m = m.drop(columns=[src, "share", "_rid"])
    out = (
        m.groupby([dst, *keys], dropna=False, sort=False)[value_cols]
        .sum(min_count=1)
        .reset_index()
    )
    order = [dst if c == src else c for c in table.columns]
    out = out[order]
    for col in value_cols:
        if pd.api.types.is_integer_dtype(table[col]):
            out[col] = out[col].astype("Int64")
    if split:
        log.warning(
            f"{split} LSOA {from_vintage} areas were split in {to_vintage}; their "
            f"{'/'.join(value_cols)} were shared among the new areas "
            f"{'in proportion to the weights given' if weights is not None else 'equally'}.",
            file=label,
            fix="Prefer data published for LSOA 2021 where it exists.",
        )
    return out
