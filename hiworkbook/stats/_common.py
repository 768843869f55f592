"""Shared machinery for the statistics functions.

Confidence levels and their column names, input checks that raise one
:class:`~hiworkbook.validate.DataError` naming the column and the rows, and the
group-by aggregation every method uses (one ``np.bincount`` per column rather
than a Python loop per group).

Rows in messages are DataFrame *index labels* (``"rows with index 3, 7"``),
because these functions receive DataFrames, not files.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as st

from hiworkbook.validate import DataError, ProblemLog, did_you_mean, format_values

Confidence = float | Sequence[float]

#: Minimum count below which PHE uses the exact Poisson interval rather than Byar's.
EXACT_BELOW = 10


# ------------------------------------------------------------------ confidence
def confidence_levels(confidence: Confidence) -> list[float]:
    """Normalise ``confidence`` to a list of fractions strictly between 0.5 and 1.

    Accepts a fraction (0.95) or a percentage (95, 99.8), or a list of them, as
    PHEindicatormethods does.
    """
    levels = (
        [confidence]
        if isinstance(confidence, int | float | np.floating | np.integer)
        else list(confidence)
    )
    if not levels:
        raise ValueError("confidence must be a number such as 0.95 or a list of them")
    out = []
    for c in levels:
        c = float(c)
        if c >= 50:
            c = c / 100
        if not 0.5 <= c < 1:
            raise ValueError(
                f"confidence level {c!r} must be between 0.5 and 1 (e.g. 0.95, 0.998) "
                "or between 50 and 100 (e.g. 95, 99.8)"
            )
        out.append(round(c, 10))
    if len(set(out)) != len(out):
        raise ValueError(f"confidence levels repeated: {levels!r}")
    return out


def level_suffix(c: float) -> str:
    """``0.95 -> "95"``, ``0.998 -> "99_8"``."""
    return f"{round(c * 100, 6):g}".replace(".", "_")


def ci_names(levels: Sequence[float], prefix: str = "") -> list[tuple[str, str]]:
    """Column names of the lower and upper limits for each level.

    One level gives ``lower_ci``/``upper_ci``; several give ``lower_ci_95``,
    ``upper_ci_95``, ``lower_ci_99_8``, … . ``prefix`` (e.g. ``"rii_"``) is put
    in front.
    """
    if len(levels) == 1:
        return [(f"{prefix}lower_ci", f"{prefix}upper_ci")]
    return [
        (f"{prefix}lower_ci_{level_suffix(c)}", f"{prefix}upper_ci_{level_suffix(c)}")
        for c in levels
    ]


def confidence_label(levels: Sequence[float]) -> float | str:
    """The value of the ``confidence`` column: the level, or ``"95%, 99.8%"``."""
    if len(levels) == 1:
        return levels[0]
    return ", ".join(f"{round(c * 100, 6):g}%" for c in levels)


def z_value(c: float) -> float:
    """Two-sided standard normal quantile for confidence ``c``."""
    return float(st.norm.ppf(0.5 + c / 2))


# ------------------------------------------------------------------ messages
def index_desc(labels: Iterable[object], limit: int = 8) -> str:
    """``"row with index 3"`` / ``"rows with index 3, 7 and 2 more"``."""
    labels = list(labels)
    if len(labels) == 1:
        return f"row with index {format_values(labels, limit)}"
    return f"rows with index {format_values(labels, limit)}"


def fail(message: str, column: str | None = None, fix: str | None = None, context=None):
    """Raise a one-problem DataError."""
    log = ProblemLog()
    log.error(message, column=column, fix=fix)
    log.raise_if_errors(context)


class Checker:
    """Collect input problems for one call and raise them together."""

    def __init__(self, data: pd.DataFrame, function: str):
        if not isinstance(data, pd.DataFrame):
            raise TypeError(
                f"{function}: data must be a pandas DataFrame, not {type(data)}"
            )
        self.data = data
        self.function = function
        self.log = ProblemLog()

    def columns(self, *cols: str | None) -> None:
        for c in cols:
            if c is None:
                continue
            if c not in self.data.columns:
                self.log.error(
                    f"column not found in the data{did_you_mean(str(c), map(str, self.data.columns))}.",
                    column=str(c),
                    fix=f"Pass the name of an existing column to {self.function}.",
                )
        self.raise_if()

    def numeric(
        self,
        col: str,
        *,
        nonnegative: bool = True,
        positive: bool = False,
        allow_nan: bool = False,
        what: str = "values",
    ) -> np.ndarray:
        s = self.data[col]
        arr = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad_type = np.isnan(arr) & s.notna().to_numpy()
        if bad_type.any():
            self.log.error(
                f"{what} must be numbers; found {format_values(s[bad_type].astype(str))} "
                f"in {index_desc(s.index[bad_type])}.",
                column=col,
                fix="Correct these values or remove the rows.",
            )
        missing = s.isna().to_numpy()
        if missing.any() and not allow_nan:
            self.log.error(
                f"{what} are missing (NaN/empty) in {index_desc(s.index[missing])}.",
                column=col,
                fix="Fill in the missing values (0 if there were none) or remove the rows.",
            )
        if positive:
            neg = arr <= 0
            if neg.any():
                self.log.error(
                    f"{what} must be greater than zero; found {format_values(arr[neg])} "
                    f"in {index_desc(s.index[neg])}.",
                    column=col,
                    fix="Correct these values or remove the rows.",
                )
        elif nonnegative:
            neg = arr < 0
            if neg.any():
                self.log.error(
                    f"{what} must not be negative; found {format_values(arr[neg])} "
                    f"in {index_desc(s.index[neg])}.",
                    column=col,
                    fix="Correct these values or remove the rows.",
                )
        if np.isinf(arr).any():
            inf = np.isinf(arr)
            self.log.error(
                f"{what} must be finite; found infinity in {index_desc(s.index[inf])}.",
                column=col,
            )
        return arr

    def rows(self, mask: np.ndarray, message: str, column: str, fix: str | None = None):
        """Record an error for the rows where ``mask`` is true."""
        if mask.any():
            self.log.error(
                f"{message} in {index_desc(self.data.index[mask])}.",
                column=column,
                fix=fix,
            )

    def raise_if(self) -> None:
        self.log.raise_if_errors(f"the data passed to {self.function}")


# ------------------------------------------------------------------ grouping
def as_list(group_by: str | Sequence[str] | None) -> list[str]:
    if group_by is None:
        return []
    if isinstance(group_by, str):
        return [group_by]
    return list(group_by)


@dataclass
class Groups:
    """Integer group codes of each row and one row per group of the key columns."""

    codes: np.ndarray  # int64, one per data row
    keys: pd.DataFrame  # one row per group, group columns only (0..G-1)

    @property
    def n(self) -> int:
        return len(self.keys)

    def sum(self, values: np.ndarray) -> np.ndarray:
        return np.bincount(self.codes, weights=values, minlength=self.n)

    def count(self) -> np.ndarray:
        return np.bincount(self.codes, minlength=self.n)

    def any(self, mask: np.ndarray) -> np.ndarray:
        return self.sum(mask.astype(float)) > 0


def make_groups(data: pd.DataFrame, group_by: list[str]) -> Groups:
    """Factorise the group columns (sorted keys, NaN kept as its own group).

    The groups, their codes and their order are those of
    ``data.groupby(group_by, sort=True, dropna=False, observed=True)``: each column is
    factorised in sorted order (NaN last, as groupby puts it), the codes are combined into one
    integer per row (mixed radix, so their order is the keys' lexicographic order) and the
    distinct combinations numbered with :func:`numpy.unique`. This is a few array operations
    instead of a hash groupby over several text columns (a report makes dozens of these
    groupings). Columns whose values cannot be sorted together fall back to the groupby.
    """
    if not group_by:
        return Groups(np.zeros(len(data), dtype=np.int64), pd.DataFrame(index=[0]))
    if len(group_by) == 1:
        col = group_by[0]
        codes, uniques = pd.factorize(data[col], sort=True, use_na_sentinel=False)
        keys = pd.DataFrame({col: uniques})
        return Groups(codes.astype(np.int64), keys)
    try:
        return _combined_groups(data, group_by)
    except (TypeError, OverflowError):
        pass
    g = data.groupby(group_by, sort=True, dropna=False, observed=True)
    codes = g.ngroup().to_numpy(dtype=np.int64)
    keys = g.size().reset_index()[group_by]
    return Groups(codes, keys.reset_index(drop=True))


def _combined_groups(data: pd.DataFrame, group_by: list[str]) -> Groups:
    """:func:`make_groups` of several columns through per-column sorted codes."""
    factors = [
        pd.factorize(data[col], sort=True, use_na_sentinel=False) for col in group_by
    ]
    sizes = [max(len(u), 1) for _, u in factors]
    if float(np.prod(sizes, dtype=float)) >= 2.0**62:
        raise OverflowError("too many combinations for one integer code")
    combined = np.zeros(len(data), dtype=np.int64)
    for (codes, _), n in zip(factors, sizes, strict=True):
        combined = combined * n + codes.astype(np.int64)
    distinct, inverse = np.unique(combined, return_inverse=True)
    digits = []
    rest = distinct
    for n in reversed(sizes):
        digits.append(rest % n)
        rest = rest // n
    digits.reverse()
    keys = pd.DataFrame(
        {
            col: uniques.take(d)
            for col, (_, uniques), d in zip(group_by, factors, digits, strict=True)
        }
    )
    keys.columns = pd.Index(list(group_by), dtype=object)
    return Groups(inverse.astype(np.int64).ravel(), keys)


def build_result(
    keys: pd.DataFrame,
    columns: dict[str, object],
    levels: Sequence[float],
    lowers: Sequence[np.ndarray],
    uppers: Sequence[np.ndarray],
    method: str | np.ndarray,
    value_note: np.ndarray,
    after: dict[str, object] | None = None,
) -> pd.DataFrame:
    """Assemble the output table: group columns, inputs/totals, value, CIs, metadata."""
    out = keys.reset_index(drop=True).copy()
    if out.shape[1] == 0:
        out = pd.DataFrame(index=range(len(value_note)))
    for k, v in columns.items():
        out[k] = v
    for (lo_name, hi_name), lo, hi in zip(
        ci_names(levels), lowers, uppers, strict=True
    ):
        out[lo_name] = lo
        out[hi_name] = hi
    out["confidence"] = confidence_label(levels)
    for k, v in (after or {}).items():
        out[k] = v
    out["method"] = method
    notes = [None if (v is None or v == "") else str(v) for v in value_note]
    out["value_note"] = pd.Series(notes, index=out.index, dtype=object)
    return out


def join_notes(*notes: np.ndarray) -> np.ndarray:
    """Element-wise join of note arrays ("" = no note) with "; " (a new array).

    Only the elements with a note to add are touched: a national table has millions of rows
    and a handful of notes."""
    out = np.array(notes[0], dtype=object)
    for n in notes[1:]:
        n = np.asarray(n, dtype=object)
        idx = np.flatnonzero(n != "")
        if len(idx):
            before, add = out[idx], n[idx]
            out[idx] = np.where(before != "", before + "; " + add, add)
    return out


def note_where(mask: np.ndarray, text: str) -> np.ndarray:
    """``text`` where ``mask`` holds, else "" (an object array)."""
    mask = np.asarray(mask, dtype=bool)
    out = np.full(mask.shape, "", dtype=object)
    out[mask] = text
    return out


# ------------------------------------------------------------------ Poisson CIs
def byar_limits(x: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """Byar's approximation to the Poisson limits of a count (Breslow & Day 1987).

    lower = x (1 - 1/(9x) - z/(3 sqrt x))^3,
    upper = (x+1) (1 - 1/(9(x+1)) + z/(3 sqrt(x+1)))^3.
    """
    z = z_value(c)
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        lo = np.where(x > 0, lo, 0.0)
        x1 = x + 1
        hi = x1 * (1 - 1 / (9 * x1) + z / (3 * np.sqrt(x1))) ** 3
    return lo, hi


def exact_limits(x: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits of a count from chi-squared quantiles.

    lower = chi2_{(1-c)/2}(2x) / 2 (0 when x = 0), upper = chi2_{(1+c)/2}(2x+2) / 2.
    """
    x = np.asarray(x, dtype=float)
    a = 1 - c
    with np.errstate(invalid="ignore"):
        lo = np.where(x > 0, st.chi2.ppf(a / 2, 2 * np.maximum(x, 1e-300)) / 2, 0.0)
        hi = st.chi2.ppf(1 - a / 2, 2 * x + 2) / 2
    return lo, hi


def poisson_limits(
    x: np.ndarray, c: float, exact_below: float = EXACT_BELOW
) -> tuple[np.ndarray, np.ndarray]:
    """PHE's count limits: exact Poisson for x < 10, Byar's method otherwise."""
    x = np.asarray(x, dtype=float)
    small = x < exact_below
    lo_b, hi_b = byar_limits(x, c)
    if small.any():
        lo_e, hi_e = exact_limits(np.where(small, x, 0.0), c)
        return np.where(small, lo_e, lo_b), np.where(small, hi_e, hi_b)
    return lo_b, hi_b


__all__ = [
    "EXACT_BELOW",
    "Checker",
    "DataError",
    "Groups",
    "as_list",
    "build_result",
    "byar_limits",
    "ci_names",
    "confidence_label",
    "confidence_levels",
    "exact_limits",
    "fail",
    "index_desc",
    "join_notes",
    "level_suffix",
    "make_groups",
    "note_where",
    "poisson_limits",
    "z_value",
]
